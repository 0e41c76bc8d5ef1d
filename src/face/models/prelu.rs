//! A one-pass PReLU for tract.
//!
//! tract-onnx 0.23 expands ONNX `PRelu` into three whole-tensor operators (multiply, compare,
//! select), each allocating its output. In `fr_feature` and `fr_liveness`, 33 PReLUs each,
//! that was half of the run time (`examgate bench face --profile`). The slopes in these
//! models are constants along one axis (per channel), so the activation is one in-place pass
//! over the tensor: negative values times their channel's slope.
//!
//! The slopes lie outside 0..=1 in `fr_feature` (−1.35 to 1.23), so the cheaper
//! `max(x, a·x)` identity would be wrong; this op is exact.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

/// Parser hook for ONNX `PRelu`, installed in place of tract's expansion.
pub fn parse(
    _ctx: &ParsingContext<'_>,
    _node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    Ok((expand(PreluExpansion), vec![]))
}

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct PreluExpansion;

impl Expansion for PreluExpansion {
    fn name(&self) -> StaticName {
        "PreluOnePass".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 2)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].datum_type, &outputs[0].datum_type)?;
        s.equals(&inputs[0].shape, &outputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        name: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let x = model.outlet_fact(inputs[0])?.clone();
        let slope = model.outlet_fact(inputs[1])?.clone();
        let Some(konst) = slope.konst.clone() else {
            bail!("PRelu {name}: the slope is not a constant; only constant slopes are supported")
        };
        if x.datum_type != f32::datum_type() {
            bail!(
                "PRelu {name}: input is {:?}, only f32 is supported",
                x.datum_type
            );
        }
        let slope_values = konst.cast_to::<f32>()?.into_owned();
        // Right-align the slope's shape with the input's (ONNX broadcasting) and find the one
        // axis it varies along.
        let rank = x.rank();
        let dims = slope_values.shape().to_vec();
        if dims.len() > rank {
            bail!(
                "PRelu {name}: slope rank {} exceeds input rank {rank}",
                dims.len()
            );
        }
        let padded: Vec<usize> = std::iter::repeat_n(1, rank - dims.len())
            .chain(dims)
            .collect();
        let varying: Vec<usize> = (0..rank).filter(|&a| padded[a] > 1).collect();
        let axis = match varying.as_slice() {
            [] => None,
            [a] => Some(*a),
            _ => bail!("PRelu {name}: slope shape {padded:?} varies along several axes"),
        };
        let op = OnePassPrelu {
            slopes: Arc::new(slope_values.into_shape(&[padded.iter().product()])?),
            axis,
        };
        model.wire_node(name, op, &[inputs[0]])
    }
}

/// `y = x` where `x >= 0`, else `slope[c] · x`, with `c` the index along `axis` (one slope
/// for the whole tensor when `axis` is `None`).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct OnePassPrelu {
    slopes: Arc<Tensor>,
    axis: Option<usize>,
}

impl Op for OnePassPrelu {
    fn name(&self) -> StaticName {
        "OnePassPrelu".into()
    }

    op_as_typed_op!();
}

impl EvalOp for OnePassPrelu {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext<'_>, mut inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let mut x = inputs.remove(0).into_tensor();
        let shape = x.shape().to_vec();
        let slopes = self.slopes.try_as_plain_ram()?.as_slice::<f32>()?.to_vec();
        let (channels, inner) = match self.axis {
            None => (1, shape.iter().product::<usize>()),
            Some(a) => (shape[a], shape[a + 1..].iter().product::<usize>()),
        };
        if slopes.len() != channels {
            bail!(
                "OnePassPrelu: {} slopes for {channels} channels",
                slopes.len()
            );
        }
        let mut view = x.try_as_plain_ram_mut()?;
        let data = view.as_slice_mut::<f32>()?;
        for (i, run) in data.chunks_mut(inner.max(1)).enumerate() {
            apply(run, slopes[i % channels]);
        }
        Ok(tvec!(x.into_tvalue()))
    }
}

/// The inner loop, written so the compiler vectorises it (a select, not a branch).
#[inline]
fn apply(run: &mut [f32], slope: f32) {
    for v in run {
        *v = if *v < 0.0 { *v * slope } else { *v };
    }
}

impl TypedOp for OnePassPrelu {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(inputs[0].without_value()))
    }

    as_op!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_take_their_channels_slope_and_positives_pass() {
        let op = OnePassPrelu {
            slopes: Arc::new(tensor1(&[0.5f32, -2.0])),
            axis: Some(1),
        };
        // Shape [1, 2, 3]: channel 0 = [-2, 0, 4], channel 1 = [-1, 3, -0.5].
        let x = Tensor::from_shape(&[1, 2, 3], &[-2.0f32, 0.0, 4.0, -1.0, 3.0, -0.5])
            .expect("shape matches data");
        let out = op
            .eval(&EvalContext::out_of_plan(), tvec!(x.into_tvalue()))
            .expect("evaluates");
        let y = out[0]
            .try_as_plain_ram()
            .expect("plain")
            .as_slice::<f32>()
            .expect("f32")
            .to_vec();
        assert_eq!(y, vec![-1.0, 0.0, 4.0, 2.0, 3.0, 1.0]);
    }

    #[test]
    fn a_slope_count_that_does_not_match_the_channels_is_an_error() {
        let op = OnePassPrelu {
            slopes: Arc::new(tensor1(&[0.5f32, 0.5, 0.5])),
            axis: Some(1),
        };
        let x = Tensor::from_shape(&[1, 2, 1], &[-1.0f32, 1.0]).expect("shape matches data");
        assert!(op
            .eval(&EvalContext::out_of_plan(), tvec!(x.into_tvalue()))
            .is_err());
    }
}
