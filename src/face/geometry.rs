//! Boxes and points in image pixel coordinates (x right, y down, origin top-left).

use serde::Serialize;

/// A point in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Horizontal position.
    pub x: f32,
    /// Vertical position.
    pub y: f32,
}

impl Point {
    /// Distance to another point.
    pub fn distance(self, other: Point) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// An axis-aligned box, corners inclusive of `x1,y1` and exclusive-ish of `x2,y2` as the
/// detector reports them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BBox {
    /// Left.
    pub x1: f32,
    /// Top.
    pub y1: f32,
    /// Right.
    pub x2: f32,
    /// Bottom.
    pub y2: f32,
}

impl BBox {
    /// Width (`x2 - x1`).
    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }

    /// Height (`y2 - y1`).
    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }

    /// Area, zero for a degenerate box.
    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    /// Centre point.
    pub fn centre(&self) -> Point {
        Point {
            x: (self.x1 + self.x2) / 2.0,
            y: (self.y1 + self.y2) / 2.0,
        }
    }

    /// Intersection over union; zero when either box is empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let w = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let h = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = w * h;
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// A square of side `side` about this box's centre.
    pub fn square_about_centre(&self, side: f32) -> BBox {
        let c = self.centre();
        BBox {
            x1: c.x - side / 2.0,
            y1: c.y - side / 2.0,
            x2: c.x + side / 2.0,
            y2: c.y + side / 2.0,
        }
    }

    /// This box scaled by `factor` about its centre.
    pub fn scaled(&self, factor: f32) -> BBox {
        let c = self.centre();
        let (hw, hh) = (self.width() * factor / 2.0, self.height() * factor / 2.0);
        BBox {
            x1: c.x - hw,
            y1: c.y - hh,
            x2: c.x + hw,
            y2: c.y + hh,
        }
    }

    /// Clipped to `0..=width`, `0..=height`.
    pub fn clipped(&self, width: f32, height: f32) -> BBox {
        BBox {
            x1: self.x1.clamp(0.0, width),
            y1: self.y1.clamp(0.0, height),
            x2: self.x2.clamp(0.0, width),
            y2: self.y2.clamp(0.0, height),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x1: f32, y1: f32, x2: f32, y2: f32) -> BBox {
        BBox { x1, y1, x2, y2 }
    }

    #[test]
    fn iou_of_identical_boxes_is_one_and_of_disjoint_zero() {
        assert!((b(0., 0., 2., 2.).iou(&b(0., 0., 2., 2.)) - 1.0).abs() < 1e-6);
        assert_eq!(b(0., 0., 1., 1.).iou(&b(2., 2., 3., 3.)), 0.0);
    }

    #[test]
    fn iou_of_half_overlap() {
        // Two 2x2 boxes sharing a 1x2 strip: 2 / (4 + 4 - 2).
        assert!((b(0., 0., 2., 2.).iou(&b(1., 0., 3., 2.)) - 2.0 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn square_keeps_the_centre() {
        let s = b(10., 20., 30., 60.).square_about_centre(40.0);
        assert_eq!(s, b(0., 20., 40., 60.));
    }
}
