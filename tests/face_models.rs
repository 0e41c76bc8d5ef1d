//! The model runtime: our one-pass PReLU gives the same outputs as tract's own expansion on
//! the real models that use it.

mod common;

use examgate::face::models::Net;
use examgate::face::{ModelKind, PreluKernel};

#[test]
fn one_pass_prelu_matches_tracts_expansion_on_every_prelu_model() {
    let dir = common::models_dir();
    for kind in [ModelKind::FivePoints, ModelKind::Embed, ModelKind::Liveness] {
        let stock = Net::load_with(&dir, kind, PreluKernel::TractExpansion).expect("loads");
        let fused = Net::load_with(&dir, kind, PreluKernel::OnePass).expect("loads");
        // A deterministic input with both signs everywhere, so negative pre-activations occur.
        let input: Vec<f32> = (0..kind.input_len())
            .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 1.5)
            .collect();
        let a = stock.run(input.clone()).expect("stock runs");
        let b = fused.run(input).expect("fused runs");
        assert_eq!(a.len(), b.len(), "{kind:?}: output count");
        for (oa, ob) in a.iter().zip(&b) {
            assert_eq!(oa.len(), ob.len(), "{kind:?}: output length");
            let worst = oa
                .iter()
                .zip(ob)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0f32, f32::max);
            let scale = oa.iter().map(|x| x.abs()).fold(1e-6f32, f32::max);
            assert!(
                worst <= 1e-4 * scale,
                "{kind:?}: outputs differ by {worst} (scale {scale})"
            );
        }
    }
}
