//! Laying resampled pixels out as model input tensors. Each model wants its own channel
//! order, layout and normalisation; getting one wrong does not crash, it silently ruins the
//! scores (RGB instead of BGR turns the liveness model into a coin flip), so each model's
//! choice is spelled out once, where its stage builds its input.

use crate::imaging::{FloatImage, GreyImage};

/// Which colour channel goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (OpenCV's native order, which most of these models were trained on).
    Bgr,
}

/// `[1, 3, H, W]` planes in `order`, each sample mapped through `norm`.
pub fn nchw(img: &FloatImage, order: ChannelOrder, norm: impl Fn(f32, usize) -> f32) -> Vec<f32> {
    let plane = img.width * img.height;
    let mut out = vec![0.0; plane * 3];
    for (i, px) in img.data.chunks_exact(3).enumerate() {
        for (plane_index, dst) in out.chunks_exact_mut(plane).enumerate() {
            let src_channel = match order {
                ChannelOrder::Rgb => plane_index,
                ChannelOrder::Bgr => 2 - plane_index,
            };
            dst[i] = norm(px[src_channel], plane_index);
        }
    }
    out
}

/// `[1, W, H, 3]` RGB, x-major: the MTCNN networks were trained on transposed images.
pub fn nwhc_transposed(img: &FloatImage, norm: impl Fn(f32) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(img.data.len());
    for x in 0..img.width {
        for y in 0..img.height {
            for c in 0..3 {
                out.push(norm(img.at(x, y, c)));
            }
        }
    }
    out
}

/// `[1, 1, H, W]` from a grey image.
pub fn grey(img: &GreyImage, norm: impl Fn(f32) -> f32) -> Vec<f32> {
    img.data.iter().map(|&v| norm(v)).collect()
}

/// Softmax over a short logit vector.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_pixels() -> FloatImage {
        FloatImage {
            width: 2,
            height: 1,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    }

    #[test]
    fn nchw_bgr_puts_blue_plane_first() {
        let t = nchw(&two_pixels(), ChannelOrder::Bgr, |v, _| v);
        assert_eq!(t, vec![3.0, 6.0, 2.0, 5.0, 1.0, 4.0]);
    }

    #[test]
    fn nchw_rgb_keeps_order_and_passes_the_plane_index() {
        let t = nchw(&two_pixels(), ChannelOrder::Rgb, |v, c| v + 10.0 * c as f32);
        assert_eq!(t, vec![1.0, 4.0, 12.0, 15.0, 23.0, 26.0]);
    }

    #[test]
    fn transposed_layout_walks_columns_first() {
        // 2x2 image, one value per pixel repeated on all channels: (x,y) -> 10x + y.
        let px = |v: f32| [v, v, v];
        let img = FloatImage {
            width: 2,
            height: 2,
            data: [px(0.0), px(10.0), px(1.0), px(11.0)].concat(),
        };
        let t = nwhc_transposed(&img, |v| v);
        let firsts: Vec<f32> = t.chunks_exact(3).map(|p| p[0]).collect();
        assert_eq!(firsts, vec![0.0, 1.0, 10.0, 11.0]);
    }

    #[test]
    fn softmax_sums_to_one_and_is_stable_for_large_logits() {
        let p = softmax(&[1000.0, 1000.0]);
        assert!((p[0] - 0.5).abs() < 1e-6 && (p[1] - 0.5).abs() < 1e-6);
    }
}
