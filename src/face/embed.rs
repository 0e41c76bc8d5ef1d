//! The face embedding (`fr_feature`, pipeline step 4): the aligned crop in B,G,R order,
//! `(p - 127) / 128`, 512 outputs L2-normalised; two faces compare by cosine.

use super::tensor::{nchw, ChannelOrder};
use crate::imaging::FloatImage;

/// Embedding length.
pub const DIM: usize = 512;

/// An L2-normalised face embedding. It identifies a person: it never goes into the log and
/// its `Debug` shows nothing of it.
#[derive(Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding([{} values redacted])", self.0.len())
    }
}

impl Embedding {
    /// Normalise raw model outputs. `None` for a zero or non-finite vector.
    pub fn from_raw(raw: &[f32]) -> Option<Embedding> {
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm < 1e-12 {
            return None;
        }
        Some(Embedding(raw.iter().map(|v| v / norm).collect()))
    }

    /// The normalised mean of several embeddings (one template from several views of a
    /// face). `None` for none, or when they cancel out.
    pub fn mean(all: &[Embedding]) -> Option<Embedding> {
        let first = all.first()?;
        let mut sum = vec![0.0f32; first.0.len()];
        for e in all {
            for (s, v) in sum.iter_mut().zip(&e.0) {
                *s += v;
            }
        }
        Embedding::from_raw(&sum)
    }

    /// The unit vector.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }
}

/// The model input for an aligned 112x112 face.
pub fn input(aligned: &FloatImage) -> Vec<f32> {
    nchw(aligned, ChannelOrder::Bgr, |v, _| (v - 127.0) / 128.0)
}

/// Cosine similarity of two unit vectors (their dot product), in -1..=1.
pub fn cosine(a: &Embedding, b: &Embedding) -> f32 {
    a.0.iter().zip(&b.0).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_vectors_have_unit_length_and_self_cosine_one() {
        let e = Embedding::from_raw(&[3.0, 4.0]).expect("non-zero");
        assert_eq!(e.as_slice(), &[0.6, 0.8]);
        assert!((cosine(&e, &e) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn the_mean_is_normalised_and_opposites_cancel() {
        let a = Embedding::from_raw(&[1.0, 0.0]).expect("non-zero");
        let b = Embedding::from_raw(&[0.0, 1.0]).expect("non-zero");
        let m = Embedding::mean(&[a.clone(), b]).expect("non-zero");
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((m.as_slice()[0] - h).abs() < 1e-6 && (m.as_slice()[1] - h).abs() < 1e-6);
        let minus_a = Embedding::from_raw(&[-1.0, 0.0]).expect("non-zero");
        assert!(Embedding::mean(&[a, minus_a]).is_none());
        assert!(Embedding::mean(&[]).is_none());
    }

    #[test]
    fn orthogonal_and_opposite_vectors() {
        let a = Embedding::from_raw(&[1.0, 0.0]).expect("non-zero");
        let b = Embedding::from_raw(&[0.0, 2.0]).expect("non-zero");
        let c = Embedding::from_raw(&[-5.0, 0.0]).expect("non-zero");
        assert_eq!(cosine(&a, &b), 0.0);
        assert_eq!(cosine(&a, &c), -1.0);
    }

    #[test]
    fn zero_and_nan_vectors_are_refused() {
        assert!(Embedding::from_raw(&[0.0, 0.0]).is_none());
        assert!(Embedding::from_raw(&[f32::NAN, 1.0]).is_none());
    }

    #[test]
    fn debug_redacts_the_values() {
        let e = Embedding::from_raw(&[0.123_456, 1.0]).expect("non-zero");
        assert!(!format!("{e:?}").contains("0.12"));
    }
}
