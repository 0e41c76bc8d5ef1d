//! Loading the ONNX models into tract, once, with fixed input shapes, and running them.
//! This file (with its `prelu` operator) is the only place that names `tract_onnx` types.
//!
//! Each file is checked against its pinned SHA-256 (the same digests `models/fetch.sh`
//! pins) before tract parses it: a truncated or swapped model would otherwise run and
//! produce plausible nonsense.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tract_onnx::prelude::*;

use super::Error;

mod prelu;

/// The models the pipeline uses (`docs/models.md`, "Inputs and outputs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Ultra-Light face detector, `[1,3,240,320]` → score logits (its softmax is cut off at
    /// load), boxes.
    Detect,
    /// MTCNN O-Net, `[1,48,48,3]` → box regression, five points, score.
    FivePoints,
    /// 68-point landmarks `[1,1,64,64]`, used only to place the eye crops.
    Landmarks68,
    /// Face embedding `[1,3,112,112]` → 512 values.
    Embed,
    /// Passive liveness `[1,3,128,128]` → 3 logits.
    Liveness,
    /// Eye open/closed `[1,1,24,24]` → 2 logits.
    Eye,
    /// Head pose `[1,3,224,224]` → yaw, pitch, roll bins.
    Pose,
}

impl ModelKind {
    /// Every model, in load order.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::Detect,
        ModelKind::FivePoints,
        ModelKind::Landmarks68,
        ModelKind::Embed,
        ModelKind::Liveness,
        ModelKind::Eye,
        ModelKind::Pose,
    ];

    /// File name inside the models directory.
    pub fn file_name(self) -> &'static str {
        match self {
            ModelKind::Detect => "fr_detect.onnx",
            ModelKind::FivePoints => "onet.onnx",
            ModelKind::Landmarks68 => "fr_landmark.onnx",
            ModelKind::Embed => "fr_feature.onnx",
            ModelKind::Liveness => "fr_liveness.onnx",
            ModelKind::Eye => "fr_eye.onnx",
            ModelKind::Pose => "fr_pose.onnx",
        }
    }

    /// Pinned SHA-256 of the file (must agree with `models/SHA256SUMS`).
    pub fn sha256(self) -> &'static str {
        match self {
            ModelKind::Detect => "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
            ModelKind::FivePoints => {
                "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52"
            }
            ModelKind::Landmarks68 => {
                "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258"
            }
            ModelKind::Embed => "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
            ModelKind::Liveness => {
                "afa783b7e902fdfcf323a7240cac2a1c580c25314ea4161129dc1b0d100dc32d"
            }
            ModelKind::Eye => "1afcea006abc1ccac3c517022abde0aa092bed74ff3c9fe6878483ef9e6e38de",
            ModelKind::Pose => "72d032ec941b7153bf8d3f2c03a4c165453cc7e63d479041ec7c6ef087e5839d",
        }
    }

    /// The input shape the plan is optimised for.
    pub fn input_shape(self) -> [usize; 4] {
        match self {
            ModelKind::Detect => [1, 3, 240, 320],
            ModelKind::FivePoints => [1, 48, 48, 3],
            ModelKind::Landmarks68 => [1, 1, 64, 64],
            ModelKind::Embed => [1, 3, 112, 112],
            ModelKind::Liveness => [1, 3, 128, 128],
            ModelKind::Eye => [1, 1, 24, 24],
            ModelKind::Pose => [1, 3, 224, 224],
        }
    }

    /// Number of values in one input.
    pub fn input_len(self) -> usize {
        self.input_shape().iter().product()
    }
}

/// How ONNX `PRelu` is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreluKernel {
    /// tract-onnx's own expansion: multiply, compare, select (three passes).
    TractExpansion,
    /// Our single in-place pass (`models/prelu.rs`); the default.
    OnePass,
}

/// One optimised, runnable model.
pub struct Net {
    kind: ModelKind,
    plan: Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Net({:?})", self.kind)
    }
}

impl Net {
    /// Read, hash-check, parse, fix the input shape, optimise.
    pub fn load(dir: &Path, kind: ModelKind) -> Result<Net, Error> {
        Net::load_with(dir, kind, PreluKernel::OnePass)
    }

    /// [`Net::load`] with a choice of PReLU implementation (to compare against tract's own).
    pub fn load_with(dir: &Path, kind: ModelKind, prelu_kernel: PreluKernel) -> Result<Net, Error> {
        let path = dir.join(kind.file_name());
        let bytes = std::fs::read(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::MissingModel { path: path.clone() }
            } else {
                Error::Io {
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let actual = crate::platform::keystore::hex(&Sha256::digest(&bytes));
        if actual != kind.sha256() {
            return Err(Error::ModelHash {
                path,
                expected: kind.sha256().to_string(),
                actual,
            });
        }
        let load = |e: TractError| Error::Load {
            model: kind,
            reason: format!("{e:#}"),
        };
        let mut onnx = tract_onnx::onnx();
        if prelu_kernel == PreluKernel::OnePass {
            onnx.op_register.insert("PRelu", prelu::parse);
        }
        let mut model = onnx.model_for_read(&mut bytes.as_slice()).map_err(load)?;
        if kind == ModelKind::Detect {
            drop_output_softmax(&mut model).map_err(load)?;
        }
        let plan = model
            .with_input_fact(0, f32::fact(kind.input_shape()).into())
            .map_err(load)?
            .into_optimized()
            .map_err(load)?
            .into_runnable()
            .map_err(load)?;
        Ok(Net { kind, plan })
    }

    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    fn run_error(&self, e: TractError) -> Error {
        Error::Run {
            model: self.kind,
            reason: format!("{e:#}"),
        }
    }

    fn input_tensor(&self, input: Vec<f32>) -> Result<Tensor, Error> {
        if input.len() != self.kind.input_len() {
            return Err(Error::InputShape {
                model: self.kind,
                expected: self.kind.input_len(),
                got: input.len(),
            });
        }
        tract_ndarray::ArrayD::from_shape_vec(self.kind.input_shape().to_vec(), input)
            .map(Tensor::from)
            .map_err(|e| self.run_error(e.into()))
    }

    /// Run on one input (already laid out in the model's shape); every output flattened.
    pub fn run(&self, input: Vec<f32>) -> Result<Vec<Vec<f32>>, Error> {
        let run = |e: TractError| self.run_error(e);
        let tensor = self.input_tensor(input)?;
        let outputs = self.plan.run(tvec!(tensor.into())).map_err(run)?;
        outputs
            .iter()
            .map(|o| {
                o.to_plain_array_view::<f32>()
                    .map(|v| v.iter().copied().collect())
                    .map_err(run)
            })
            .collect()
    }
}

impl Net {
    /// Run once with every operator timed: milliseconds per operator kind, largest first.
    /// For `bench face --profile`, to see where a model spends its time.
    pub fn profile(&self, input: Vec<f32>) -> Result<Vec<(String, f64)>, Error> {
        use std::collections::HashMap;
        use tract_onnx::tract_core::plan::eval;

        use crate::platform::clock::Stopwatch;

        let tensor = self.input_tensor(input)?;
        let mut state = self.plan.spawn().map_err(|e| self.run_error(e))?;
        let mut per_op: HashMap<String, f64> = HashMap::new();
        state
            .run_plan_with_eval(tvec!(tensor.into()), |ctx, op_state, node, inputs| {
                let t = Stopwatch::start();
                let out = eval(ctx, op_state, node, inputs);
                *per_op.entry(node.op().name().to_string()).or_default() += t.ms();
                out
            })
            .map_err(|e| self.run_error(e))?;
        let mut ops: Vec<(String, f64)> = per_op.into_iter().collect();
        ops.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(ops)
    }
}

/// All models, loaded once and shared by every frame.
#[derive(Debug)]
pub struct ModelSet {
    /// Face detector.
    pub detect: Net,
    /// O-Net five points.
    pub five_points: Net,
    /// 68-point landmarks (eye crops).
    pub landmarks68: Net,
    /// Embedding.
    pub embed: Net,
    /// Liveness.
    pub liveness: Net,
    /// Eye state.
    pub eye: Net,
    /// Head pose.
    pub pose: Net,
    /// Where they were loaded from.
    pub dir: PathBuf,
}

impl ModelSet {
    /// Every model with its kind, in load order.
    pub fn all(&self) -> [&Net; 7] {
        [
            &self.detect,
            &self.five_points,
            &self.landmarks68,
            &self.embed,
            &self.liveness,
            &self.eye,
            &self.pose,
        ]
    }

    /// Load every model from `dir` in one call.
    pub fn load(dir: &Path) -> Result<ModelSet, Error> {
        Ok(ModelSet {
            detect: Net::load(dir, ModelKind::Detect)?,
            five_points: Net::load(dir, ModelKind::FivePoints)?,
            landmarks68: Net::load(dir, ModelKind::Landmarks68)?,
            embed: Net::load(dir, ModelKind::Embed)?,
            liveness: Net::load(dir, ModelKind::Liveness)?,
            eye: Net::load(dir, ModelKind::Eye)?,
            pose: Net::load(dir, ModelKind::Pose)?,
            dir: dir.to_path_buf(),
        })
    }
}

/// Make the detector return its score logits instead of softmaxed scores. tract spends
/// 1.5 ms of the detector's 10 on a softmax over 4420 pairs that the decoder turns into
/// probabilities in microseconds (`detect::probabilities`).
fn drop_output_softmax(model: &mut InferenceModel) -> TractResult<()> {
    let mut outputs = model.output_outlets()?.to_vec();
    let mut dropped = 0;
    let mut seen = Vec::new();
    for outlet in &mut outputs {
        let node = model.node(outlet.node);
        seen.push(node.op.name().to_string());
        if node.op.name() == "LayerSoftmax" {
            *outlet = node.inputs[0];
            dropped += 1;
        }
    }
    if dropped != 1 {
        tract_onnx::tract_hir::internal::bail!(
            "expected one LayerSoftmax (ONNX Softmax) at the detector's outputs, found the ops {seen:?}"
        );
    }
    model.select_output_outlets(&outputs)
}
