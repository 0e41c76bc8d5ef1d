//! Resampling with OpenCV's semantics, producing `f32` pixels for model inputs.

use image::RgbImage;

/// An RGB image with `f32` samples in 0..=255, interleaved (HWC). Model inputs are cut from
/// these so no rounding to `u8` happens between two resampling steps.
#[derive(Clone, PartialEq)]
pub struct FloatImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height * 3` samples, R, G, B per pixel, row by row.
    pub data: Vec<f32>,
}

impl std::fmt::Debug for FloatImage {
    // Pixel data of a face is personal data; the size is all a log needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FloatImage({}x{})", self.width, self.height)
    }
}

impl FloatImage {
    /// A black image.
    pub fn zeros(width: usize, height: usize) -> Self {
        Self {
            width,
            height,
            data: vec![0.0; width * height * 3],
        }
    }

    /// Widen an 8-bit image.
    pub fn from_rgb8(img: &RgbImage) -> Self {
        Self {
            width: img.width() as usize,
            height: img.height() as usize,
            data: img.as_raw().iter().map(|&v| f32::from(v)).collect(),
        }
    }

    /// The sample at (x, y, channel); callers keep coordinates in range.
    #[inline]
    pub fn at(&self, x: usize, y: usize, c: usize) -> f32 {
        self.data[(y * self.width + x) * 3 + c]
    }

    /// The image flipped left to right.
    pub fn mirrored(&self) -> FloatImage {
        let mut data = Vec::with_capacity(self.data.len());
        for row in self.data.chunks_exact(self.width * 3) {
            for px in row.chunks_exact(3).rev() {
                data.extend_from_slice(px);
            }
        }
        FloatImage {
            width: self.width,
            height: self.height,
            data,
        }
    }

    /// Luma as OpenCV's `COLOR_BGR2GRAY` computes it (ITU-R BT.601).
    pub fn to_grey(&self) -> GreyImage {
        GreyImage {
            width: self.width,
            height: self.height,
            data: self
                .data
                .chunks_exact(3)
                .map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2])
                .collect(),
        }
    }

    /// Round back to 8 bits, for thumbnails and evidence crops.
    pub fn to_rgb8(&self) -> RgbImage {
        let bytes = self
            .data
            .iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        RgbImage::from_raw(self.width as u32, self.height as u32, bytes)
            .expect("data holds width*height*3 samples by construction")
    }
}

/// Read access to RGB samples as `f32`, so the resamplers take 8-bit frames directly (no
/// widened copy of a whole camera frame) as well as float crops.
pub trait RgbSamples {
    /// Width in pixels.
    fn width(&self) -> usize;
    /// Height in pixels.
    fn height(&self) -> usize;
    /// The sample at (x, y, channel); callers keep coordinates in range.
    fn sample(&self, x: usize, y: usize, c: usize) -> f32;
}

impl RgbSamples for FloatImage {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn sample(&self, x: usize, y: usize, c: usize) -> f32 {
        self.at(x, y, c)
    }
}

impl RgbSamples for RgbImage {
    fn width(&self) -> usize {
        RgbImage::width(self) as usize
    }
    fn height(&self) -> usize {
        RgbImage::height(self) as usize
    }
    #[inline]
    fn sample(&self, x: usize, y: usize, c: usize) -> f32 {
        f32::from(self.as_raw()[(y * RgbSamples::width(self) + x) * 3 + c])
    }
}

/// A single-channel `f32` image.
#[derive(Clone, PartialEq)]
pub struct GreyImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` samples, row by row.
    pub data: Vec<f32>,
}

impl std::fmt::Debug for GreyImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GreyImage({}x{})", self.width, self.height)
    }
}

/// Bilinear resize with half-pixel centres and edge clamping (`cv2.resize`, `INTER_LINEAR`).
pub fn resize_bilinear(src: &impl RgbSamples, width: usize, height: usize) -> FloatImage {
    let mut out = FloatImage::zeros(width, height);
    if src.width() == 0 || src.height() == 0 {
        return out;
    }
    let xs = axis_taps(src.width(), width);
    let ys = axis_taps(src.height(), height);
    for (oy, &(y0, y1, wy)) in ys.iter().enumerate() {
        for (ox, &(x0, x1, wx)) in xs.iter().enumerate() {
            for c in 0..3 {
                let top = src.sample(x0, y0, c) * (1.0 - wx) + src.sample(x1, y0, c) * wx;
                let bottom = src.sample(x0, y1, c) * (1.0 - wx) + src.sample(x1, y1, c) * wx;
                out.data[(oy * width + ox) * 3 + c] = top * (1.0 - wy) + bottom * wy;
            }
        }
    }
    out
}

/// For each output index: the two source indices and the weight of the second.
fn axis_taps(src_len: usize, dst_len: usize) -> Vec<(usize, usize, f32)> {
    let scale = src_len as f64 / dst_len as f64;
    (0..dst_len)
        .map(|d| {
            let s = ((d as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (s.floor() as usize).min(src_len - 1);
            let i1 = (i0 + 1).min(src_len - 1);
            (i0, i1, (s - i0 as f64) as f32)
        })
        .collect()
}

/// Area-averaging resize (`cv2.resize`, `INTER_AREA`): each output pixel is the mean of the
/// source area it covers. Enlarging falls back to bilinear, as OpenCV does.
pub fn resize_area(src: &FloatImage, width: usize, height: usize) -> FloatImage {
    if width >= src.width || height >= src.height || src.width == 0 || src.height == 0 {
        return resize_bilinear(src, width, height);
    }
    let xs = area_spans(src.width, width);
    let ys = area_spans(src.height, height);
    let mut out = FloatImage::zeros(width, height);
    for (oy, yspan) in ys.iter().enumerate() {
        for (ox, xspan) in xs.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for &(sy, wy) in yspan {
                for &(sx, wx) in xspan {
                    let w = wx * wy;
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a += src.at(sx, sy, c) * w;
                    }
                }
            }
            out.data[(oy * width + ox) * 3..][..3].copy_from_slice(&acc);
        }
    }
    out
}

/// For each output index: the source indices it covers and their normalised weights.
fn area_spans(src_len: usize, dst_len: usize) -> Vec<Vec<(usize, f32)>> {
    let scale = src_len as f64 / dst_len as f64;
    (0..dst_len)
        .map(|d| {
            let start = d as f64 * scale;
            let end = ((d + 1) as f64 * scale).min(src_len as f64);
            let mut taps = Vec::new();
            let mut s = start.floor() as usize;
            while (s as f64) < end && s < src_len {
                let lo = start.max(s as f64);
                let hi = end.min((s + 1) as f64);
                if hi > lo {
                    taps.push((s, ((hi - lo) / scale) as f32));
                }
                s += 1;
            }
            taps
        })
        .collect()
}

/// Cut `width` x `height` pixels starting at (`x0`, `y0`), which may lie partly or wholly
/// outside the image; outside pixels are black (MTCNN's padding).
pub fn crop_padded(src: &RgbImage, x0: i64, y0: i64, width: usize, height: usize) -> FloatImage {
    let mut out = FloatImage::zeros(width, height);
    let (sw, sh) = (i64::from(src.width()), i64::from(src.height()));
    let raw = src.as_raw();
    for oy in 0..height {
        let sy = y0 + oy as i64;
        if !(0..sh).contains(&sy) {
            continue;
        }
        for ox in 0..width {
            let sx = x0 + ox as i64;
            if !(0..sw).contains(&sx) {
                continue;
            }
            let s = ((sy * sw + sx) * 3) as usize;
            let d = (oy * width + ox) * 3;
            for c in 0..3 {
                out.data[d + c] = f32::from(raw[s + c]);
            }
        }
    }
    out
}

/// Warp with the 2x3 matrix `m` mapping source to destination coordinates, bilinear, black
/// outside the source (`cv2.warpAffine` with `BORDER_CONSTANT` 0).
pub fn warp_affine(src: &RgbImage, m: [[f64; 3]; 2], width: usize, height: usize) -> FloatImage {
    let mut out = FloatImage::zeros(width, height);
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if det.abs() < 1e-12 {
        return out;
    }
    // Inverse of the linear part, then of the translation: destination → source.
    let (a, b, c, d) = (m[1][1] / det, -m[0][1] / det, -m[1][0] / det, m[0][0] / det);
    let (tx, ty) = (-(a * m[0][2] + b * m[1][2]), -(c * m[0][2] + d * m[1][2]));
    let (sw, sh) = (i64::from(src.width()), i64::from(src.height()));
    let raw = src.as_raw();
    let sample = |x: i64, y: i64, ch: usize| -> f32 {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            0.0
        } else {
            f32::from(raw[((y * sw + x) * 3) as usize + ch])
        }
    };
    for oy in 0..height {
        for ox in 0..width {
            let sx = a * ox as f64 + b * oy as f64 + tx;
            let sy = c * ox as f64 + d * oy as f64 + ty;
            let (x0, y0) = (sx.floor() as i64, sy.floor() as i64);
            let (fx, fy) = ((sx - x0 as f64) as f32, (sy - y0 as f64) as f32);
            for ch in 0..3 {
                let top = sample(x0, y0, ch) * (1.0 - fx) + sample(x0 + 1, y0, ch) * fx;
                let bot = sample(x0, y0 + 1, ch) * (1.0 - fx) + sample(x0 + 1, y0 + 1, ch) * fx;
                out.data[(oy * width + ox) * 3 + ch] = top * (1.0 - fy) + bot * fy;
            }
        }
    }
    out
}

/// A photo as a `width` x `height` camera frame: scaled to fit, centred on grey (how the
/// benchmarks and the demo camera show a still photo to the engine).
pub fn camera_frame(photo: &RgbImage, width: u32, height: u32) -> RgbImage {
    let scale = (width as f32 / photo.width() as f32).min(height as f32 / photo.height() as f32);
    let (w, h) = (
        ((photo.width() as f32 * scale) as u32).max(1),
        ((photo.height() as f32 * scale) as u32).max(1),
    );
    let scaled = image::imageops::resize(photo, w, h, image::imageops::FilterType::Triangle);
    let mut canvas = RgbImage::from_pixel(width, height, image::Rgb([128, 128, 128]));
    image::imageops::overlay(
        &mut canvas,
        &scaled,
        i64::from((width - w) / 2),
        i64::from((height - h) / 2),
    );
    canvas
}

#[cfg(test)]
mod tests {

    #[test]
    fn mirrored_reverses_each_row_and_twice_is_the_original() {
        let img = FloatImage {
            width: 2,
            height: 2,
            data: vec![1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11., 12.],
        };
        let m = img.mirrored();
        assert_eq!(
            m.data,
            vec![4., 5., 6., 1., 2., 3., 10., 11., 12., 7., 8., 9.]
        );
        assert_eq!(m.mirrored(), img);
    }

    use super::*;

    fn ramp(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 10) as u8, (y * 10) as u8, 7]))
    }

    #[test]
    fn bilinear_identity_size_is_a_copy() {
        let img = FloatImage::from_rgb8(&ramp(9, 6));
        assert_eq!(resize_bilinear(&img, 9, 6), img);
    }

    #[test]
    fn bilinear_reads_8_bit_frames_like_their_float_copy() {
        let img = ramp(9, 6);
        assert_eq!(
            resize_bilinear(&img, 5, 4),
            resize_bilinear(&FloatImage::from_rgb8(&img), 5, 4)
        );
    }

    #[test]
    fn bilinear_halving_averages_neighbour_pairs() {
        // Half-pixel centres: output x=0 samples source x=0.5, the mean of columns 0 and 1.
        let img = FloatImage::from_rgb8(&ramp(4, 4));
        let out = resize_bilinear(&img, 2, 2);
        assert!((out.at(0, 0, 0) - 5.0).abs() < 1e-4);
        assert!((out.at(1, 1, 1) - 25.0).abs() < 1e-4);
    }

    #[test]
    fn area_by_integer_factor_is_the_block_mean() {
        let img = FloatImage::from_rgb8(&ramp(6, 6));
        let out = resize_area(&img, 2, 2);
        assert!((out.at(0, 0, 0) - 10.0).abs() < 1e-4, "{}", out.at(0, 0, 0));
        assert!((out.at(1, 0, 0) - 40.0).abs() < 1e-4);
        assert!((out.at(0, 1, 1) - 40.0).abs() < 1e-4);
    }

    #[test]
    fn crop_outside_is_black_inside_is_copied() {
        let img = ramp(4, 4);
        let out = crop_padded(&img, -1, 2, 3, 3);
        assert_eq!(out.at(0, 0, 0), 0.0);
        assert_eq!(out.at(1, 0, 1), 20.0);
        assert_eq!(out.at(2, 1, 0), 10.0);
        assert_eq!(out.at(1, 2, 2), 0.0, "row y=4 is outside");
    }

    #[test]
    fn warp_by_translation_shifts_pixels() {
        let img = ramp(8, 8);
        let out = warp_affine(&img, [[1.0, 0.0, -2.0], [0.0, 1.0, -1.0]], 4, 4);
        assert_eq!(out.at(0, 0, 0), 20.0);
        assert_eq!(out.at(0, 0, 1), 10.0);
    }
}
