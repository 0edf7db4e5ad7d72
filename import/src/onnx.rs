//! ONNX models → [`WorkloadSpec`].
//!
//! # Reading the file
//!
//! The ONNX schema (`proto/onnx.proto`, copied from the ONNX project, Apache-2.0) is compiled at
//! build time by [prost](https://crates.io/crates/prost)'s code generator fed by
//! [protox](https://crates.io/crates/protox), a protobuf compiler written in Rust: the types are in
//! [`proto`] and the decoding is prost's. Why these:
//!
//! - **Maintenance.** prost is the most used and actively maintained protobuf implementation for
//!   Rust (tokio-rs); protox is maintained with prost-reflect and follows prost's releases. The
//!   alternatives checked: `onnx-protobuf` 0.2.3 ships pre-generated code pinned to `protobuf` 3.4.0
//!   and does not build against today's `protobuf` 3.7 (its version check fails), and the
//!   `protobuf` 3.x line (rust-protobuf) is in maintenance mode (the crate name moved to Google's
//!   upb-based 4.x, whose code generator needs `protoc`); `onnx-ir` 0.22 (burn) is pure Rust but
//!   brings burn-tensor and 146 crates, and converts the graph to its own IR with its own op rules,
//!   where this importer needs the raw graph to report every unsupported op itself.
//! - **Build.** No `protoc` binary (none is installed here, nor on CI): protox parses the `.proto`
//!   in Rust. Building prost, prost-build and protox from nothing took 19 s on this two-core
//!   machine, once; the rust-protobuf 3.x equivalent took 16 s.
//! - **Dependencies.** 20 crates new to the workspace's lock file, most only at build time
//!   (protox's parser, prost-build and their regex, logos, miette); at run time the importer needs
//!   `prost` and `bytes`, with the `prost-derive` macro (anyhow, itertools). `prost-build` is used
//!   without its formatting feature.
//!
//! Files are read up to [`MAX_ONNX_BYTES`] (protobuf's own limit for one message). Weights stored
//! as external data need not be present: the importer reads the dims of each initializer, never
//! its data (but for the few small constants it needs: a Pad's pads, a Reshape's shape, a Clip's
//! bounds).
//!
//! # What is mapped
//!
//! | ONNX operator | Tessera layer |
//! | --- | --- |
//! | `Conv`, `ConvInteger`, `QLinearConv` (2-D) | `Conv2d` (kernel, out channels and groups from the weight's dims; stride, dilation, padding, `auto_pad`; bias not counted) |
//! | `Gemm` with a constant B, `MatMul`/`MatMulInteger`/`QLinearMatMul` of a 2-D activation and a 2-D constant | `Linear` (reads its input; `transB` respected) |
//! | other `Gemm` (two activations, `transA`) and 2-D `MatMul`s of two activations | `Gemm { m, k, n }` (stands alone) |
//! | `MatMul` family with batch dimensions (attention's Q·Kᵀ, A·V; a 3-D activation times weights) | `MatMul { batch, m, k, n }` (stands alone; batch = the product of the broadcast batch dims) |
//! | `Relu`, `Sigmoid`, `Tanh`, `Gelu`, `HardSwish`, `Softmax` | `Op` of the same kind |
//! | `Clip` | `Relu6` when its bounds are 0 and 6, `Relu` when 0 and none; other bounds are counted as `Relu6` (noted) |
//! | `BatchNormalization`, `LayerNormalization` | `BatchNorm`, `LayerNorm` |
//! | `Add`, `Mul` | `Add`, `Mul`: with a constant (a BN split into Mul/Add, a bias) it has one input, with two activations two; a broadcast activation (an SE block's scale) is noted and not linked |
//! | `MaxPool`, `AveragePool` | `MaxPool`, `AvgPool` (kernel, strides, pads, `auto_pad`; `ceil_mode` by widening the end padding) |
//! | `GlobalAveragePool` | `GlobalAvgPool` |
//! | `Flatten`, `Reshape` to `[N, features]` | `Flatten` (a `Reshape` to the same shape is dropped) |
//! | `Concat` along the channels of a 4-D tensor | `Concat` |
//! | `Pad` (constant mode, zero value, H and W only) before convolutions | folded into their `padding` / `padding_end` |
//!
//! Counted as the nearest kind (the operation count is the same rule, one per element or one per
//! input element; each is noted): `Sub` as `Add`, `Div` as `Mul`, `Erf` as `Gelu` (the exported
//! GELU pattern `Div`, `Erf`, `Add`, `Mul`, `Mul` stays five ops), `LeakyRelu` and `PRelu` as
//! `Relu`, `HardSigmoid` as `Sigmoid`, `GlobalMaxPool` as `GlobalAvgPool`.
//!
//! Left out, as data passing through (noted): `Identity`, `Dropout` (inference), `QuantizeLinear`
//! and `DequantizeLinear` (the int8 boundary of a quantized model; Tessera computes in int8).
//! `Constant` nodes and every node whose inputs are all constants (weight preprocessing) are
//! folded.
//!
//! # Shapes
//!
//! Shapes are inferred from the graph inputs' shapes and the initializers' dims, node by node in a
//! topological order. A symbolic first dimension of a graph input (`N`, `batch_size`) becomes 1,
//! and a note says so; any other symbolic dimension is refused (the importer needs sizes).
//! Graph inputs read only as parameters (a weight, a scale, a zero point given at run time, as in
//! ONNX's operator tests) are constants of their declared shape, not network inputs. A batched
//! matrix product of more than one batch dimension is one Tessera `MatMul` whose batch is their
//! product, so its output is 3-D where ONNX's is 4-D or more (the element count is the same).
//! The Tessera shapes are checked again by [`WorkloadSpec::validate`]; MACs follow the workload
//! types' convention (convolutions and matrix products count their multiply-accumulates; bias,
//! scale and zero-point arithmetic are not counted).
//!
//! # What is refused
//!
//! - Operators not listed above, and operators of other domains (`com.microsoft`, ...): one error
//!   lists every such operator type with the names of its nodes.
//! - Listed operators used in a way Tessera cannot model (a 1-D or 3-D convolution, a dilated pool,
//!   a Reshape to anything but `[N, features]`, a Concat on another axis, a non-zero or reflecting
//!   Pad, a Pad that feeds something other than a convolution, a run-time computed Reshape
//!   target...): one error lists every such node and what is wrong.
//! - A file that is not an ONNX model, or is truncated or corrupt.

use crate::names::Namer;
use crate::{Imported, Origin};
use prost::Message;
use proto::{AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::spec::{
    Conv2dSpec, GemmSpec, InputSpec, LayerSpec, LinearSpec, MatMulSpec, OpKind, OpSpec, PoolSpec,
    WorkloadSpec, MAX_DIM,
};

/// The ONNX protobuf types, generated from `proto/onnx.proto` at build time.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}

/// The largest model file read: 2 GiB, protobuf's limit for one message (larger models keep their
/// weights as external data, which the importer does not need).
pub const MAX_ONNX_BYTES: u64 = 2 << 30;

/// Read and import an ONNX model file.
pub fn read(path: impl AsRef<Path>) -> Result<Imported<WorkloadSpec>> {
    let path = path.as_ref();
    let bytes = crate::read_bytes(path, MAX_ONNX_BYTES, "an ONNX model")?;
    from_bytes(&bytes, path)
}

/// Import an ONNX model from its bytes; `origin` names the file in errors and gives the
/// workload's name (its stem).
pub fn from_bytes(bytes: &[u8], origin: &Path) -> Result<Imported<WorkloadSpec>> {
    let model = ModelProto::decode(bytes).map_err(|e| {
        Diagnostic::new(format!(
            "is not a readable ONNX model: the protobuf data is truncated or corrupt ({e})"
        ))
        .in_file(origin)
    })?;
    from_model(&model, origin)
}

/// Import a decoded ONNX model.
pub fn from_model(model: &ModelProto, origin: &Path) -> Result<Imported<WorkloadSpec>> {
    let bad = |m: String| Diagnostic::new(m).in_file(origin);
    let graph = match &model.graph {
        Some(g) if !g.node.is_empty() => g,
        Some(_) => return Err(bad("the ONNX model's graph has no nodes".into())),
        None => {
            return Err(bad(
                "is not an ONNX model: it has no graph (is it the right file?)".into(),
            ))
        }
    };
    let opset = model
        .opset_import
        .iter()
        .find(|o| is_default_domain(o.domain()))
        .map_or(1, |o| o.version());
    unsupported(graph).map_err(bad)?;
    let order = topological_order(graph).map_err(bad)?;
    let mut c = Converter::new(graph, opset);
    c.inputs(graph);
    for i in order {
        c.node(&graph.node[i], i);
    }
    if !c.problems.is_empty() {
        const SHOWN: usize = 20;
        let n = c.problems.len();
        let mut list = c.problems[..n.min(SHOWN)].join("\n  - ");
        if n > SHOWN {
            list.push_str(&format!("\n  - … and {} more", n - SHOWN));
        }
        return Err(bad(format!(
            "cannot import the ONNX model ({n} problem{}):\n  - {list}",
            if n == 1 { "" } else { "s" }
        )));
    }
    let name = {
        let stem = crate::stem(origin);
        let raw = if stem.is_empty() { graph.name() } else { &stem };
        crate::names::sanitize(raw, "onnx", crate::names::MAX_LEN)
    };
    let mut notes = c.notes;
    if !c.standalone.is_empty() {
        notes.push(format!(
            "{} matrix product{} stand{} alone (the workload format gives Gemm and MatMul layers no \
             input, so the edges from their operands are not kept): {}",
            c.standalone.len(),
            if c.standalone.len() == 1 { "" } else { "s" },
            if c.standalone.len() == 1 { "s" } else { "" },
            c.standalone.join(", ")
        ));
    }
    if !c.counted_as.is_empty() {
        let list: Vec<String> = c
            .counted_as
            .iter()
            .map(|((from, to), n)| format!("{from} as {to} ({n})"))
            .collect();
        notes.push(format!(
            "counted as the nearest Tessera kind (same operation count rule): {}",
            list.join(", ")
        ));
    }
    if !c.passed.is_empty() {
        let list: Vec<String> = c.passed.iter().map(|(op, n)| format!("{n} {op}")).collect();
        notes.push(format!(
            "left out as data passing through (no work Tessera counts): {}",
            list.join(", ")
        ));
    }
    notes.extend(c.namer.note("ONNX"));
    Ok(Imported {
        spec: WorkloadSpec {
            name,
            inputs: c.network_inputs,
            layers: c.layers,
        },
        file: origin.to_path_buf(),
        notes,
        origins: c.origins,
    })
}

/// What the importer does with an operator.
#[derive(Clone, Debug)]
enum K {
    /// A 2-D convolution; the weight is input `.0`.
    Conv(usize),
    /// A matrix product; B is input `.0`.
    MatMul(usize),
    Gemm,
    /// One data input, same shape out; `.1`: counted as the nearest kind (noted).
    Unary(OpKind, bool),
    Clip,
    /// Element-wise with broadcasting; `.1`: counted as the nearest kind.
    Binary(OpKind, bool),
    /// `true`: MaxPool.
    Pool(bool),
    /// `true`: GlobalMaxPool (counted as GlobalAvgPool).
    GlobalPool(bool),
    Flatten,
    Reshape,
    Concat,
    Pad,
    /// Passes its first input through.
    Pass,
    Constant,
}

/// Every operator the importer knows (default domain).
fn kind(op: &str) -> Option<K> {
    Some(match op {
        "Conv" | "ConvInteger" => K::Conv(1),
        "QLinearConv" => K::Conv(3),
        "MatMul" | "MatMulInteger" => K::MatMul(1),
        "QLinearMatMul" => K::MatMul(3),
        "Gemm" => K::Gemm,
        "Relu" => K::Unary(OpKind::Relu, false),
        "Sigmoid" => K::Unary(OpKind::Sigmoid, false),
        "Tanh" => K::Unary(OpKind::Tanh, false),
        "Gelu" => K::Unary(OpKind::Gelu, false),
        "HardSwish" => K::Unary(OpKind::HardSwish, false),
        "Softmax" => K::Unary(OpKind::Softmax, false),
        "BatchNormalization" => K::Unary(OpKind::BatchNorm, false),
        "LayerNormalization" => K::Unary(OpKind::LayerNorm, false),
        "LeakyRelu" | "PRelu" => K::Unary(OpKind::Relu, true),
        "HardSigmoid" => K::Unary(OpKind::Sigmoid, true),
        "Erf" => K::Unary(OpKind::Gelu, true),
        "Clip" => K::Clip,
        "Add" => K::Binary(OpKind::Add, false),
        "Mul" => K::Binary(OpKind::Mul, false),
        "Sub" => K::Binary(OpKind::Add, true),
        "Div" => K::Binary(OpKind::Mul, true),
        "MaxPool" => K::Pool(true),
        "AveragePool" => K::Pool(false),
        "GlobalAveragePool" => K::GlobalPool(false),
        "GlobalMaxPool" => K::GlobalPool(true),
        "Flatten" => K::Flatten,
        "Reshape" => K::Reshape,
        "Concat" => K::Concat,
        "Pad" => K::Pad,
        "Identity" | "Dropout" | "QuantizeLinear" | "DequantizeLinear" => K::Pass,
        "Constant" => K::Constant,
        _ => return None,
    })
}

/// The operators the importer knows (all in the default domain), for error messages.
pub const SUPPORTED_OPS: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Clip",
    "Concat",
    "Constant",
    "Conv",
    "ConvInteger",
    "DequantizeLinear",
    "Div",
    "Dropout",
    "Erf",
    "Flatten",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "LayerNormalization",
    "LeakyRelu",
    "MatMul",
    "MatMulInteger",
    "MaxPool",
    "Mul",
    "PRelu",
    "Pad",
    "QLinearConv",
    "QLinearMatMul",
    "QuantizeLinear",
    "Relu",
    "Reshape",
    "Sigmoid",
    "Softmax",
    "Sub",
    "Tanh",
];

fn is_default_domain(d: &str) -> bool {
    d.is_empty() || d == "ai.onnx"
}

/// How a node is named in messages: its name, or its first output, or its position.
fn label(n: &NodeProto, i: usize) -> String {
    if !n.name().is_empty() {
        format!("`{}`", n.name())
    } else if let Some(o) = n.output.first().filter(|o| !o.is_empty()) {
        format!("#{i} (output `{o}`)")
    } else {
        format!("#{i}")
    }
}

/// Every unsupported operator type, with its nodes, in one message.
fn unsupported(graph: &GraphProto) -> std::result::Result<(), String> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        let known = is_default_domain(n.domain()) && kind(n.op_type()).is_some();
        if !known {
            let key = if is_default_domain(n.domain()) {
                n.op_type().to_string()
            } else {
                format!("{}.{}", n.domain(), n.op_type())
            };
            found.entry(key).or_default().push(label(n, i));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = found
        .iter()
        .map(|(op, nodes)| {
            const SHOWN: usize = 5;
            let mut names = nodes[..nodes.len().min(SHOWN)].join(", ");
            if nodes.len() > SHOWN {
                names.push_str(&format!(", … {} more", nodes.len() - SHOWN));
            }
            if nodes.len() == 1 {
                format!("{op} (node {names})")
            } else {
                format!("{op} ({} nodes: {names})", nodes.len())
            }
        })
        .collect();
    // PyTorch's older exports compute a Reshape's target from the tensor's shape at run time.
    let shape_ops = [
        "Shape",
        "Gather",
        "Unsqueeze",
        "Squeeze",
        "ConstantOfShape",
        "Cast",
    ];
    let hint = if found.keys().any(|k| shape_ops.contains(&k.as_str())) {
        " (Shape, Gather, Unsqueeze and the like usually compute a Reshape's target shape at run \
         time: fold them into constants first, e.g. with onnx-simplifier or onnxruntime's graph \
         optimizer)"
    } else {
        ""
    };
    Err(format!(
        "the ONNX model uses {} operator type{} the importer does not support: {}{hint}. \
         Supported: {}",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        list.join("; "),
        SUPPORTED_OPS.join(", ")
    ))
}

/// The nodes in a topological order, keeping the file's order where it can (ONNX requires the
/// file's order to be one; a file that breaks the rule is still read).
fn topological_order(graph: &GraphProto) -> std::result::Result<Vec<usize>, String> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in graph.node.iter().enumerate() {
        for o in n.output.iter().filter(|o| !o.is_empty()) {
            producer.insert(o.as_str(), i);
        }
    }
    let mut readers: Vec<Vec<usize>> = vec![vec![]; graph.node.len()];
    let mut indegree = vec![0usize; graph.node.len()];
    for (i, n) in graph.node.iter().enumerate() {
        let deps: HashSet<usize> = n
            .input
            .iter()
            .filter_map(|t| producer.get(t.as_str()).copied())
            .collect();
        for d in deps {
            readers[d].push(i);
            indegree[i] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..graph.node.len())
        .filter(|&i| indegree[i] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(graph.node.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        for &r in &readers[i] {
            indegree[r] -= 1;
            if indegree[r] == 0 {
                ready.push(Reverse(r));
            }
        }
    }
    if order.len() < graph.node.len() {
        let stuck = (0..graph.node.len())
            .find(|&i| indegree[i] > 0)
            .unwrap_or(0);
        return Err(format!(
            "the ONNX graph has a cycle through node {}",
            label(&graph.node[stuck], stuck)
        ));
    }
    Ok(order)
}

/// Small constant values (a Pad's pads, a Reshape's shape, a Clip's bounds).
#[derive(Clone, Debug, PartialEq)]
enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
}

impl Values {
    fn ints(&self) -> Option<Vec<i64>> {
        match self {
            Values::Int(v) => Some(v.clone()),
            Values::Float(_) => None,
        }
    }
    fn scalar(&self) -> Option<f64> {
        match self {
            Values::Int(v) if v.len() == 1 => Some(v[0] as f64),
            Values::Float(v) if v.len() == 1 => Some(v[0]),
            _ => None,
        }
    }
}

/// What the importer knows about one tensor of the graph.
#[derive(Clone, Debug, Default)]
struct Tensor {
    /// ONNX dims, when known.
    shape: Option<Vec<i64>>,
    /// The values of a small constant, when stored in the file.
    value: Option<Values>,
    /// An initializer, a `Constant`, or computed from constants only.
    constant: bool,
    /// The Tessera layer or network input that gives it (activations only).
    source: Option<String>,
    /// Zero padding (top, left, bottom, right) of a folded `Pad` for the convolution that reads it.
    pad: Option<[i64; 4]>,
    /// The node that gives it failed (its problem is already reported).
    failed: bool,
    /// A graph input read only as a parameter: a constant whose values come at run time.
    runtime: bool,
    /// A secondary output Tessera does not model, e.g. "output 1 of node `mp` (MaxPool)".
    unmodelled: Option<String>,
}

/// Why a node could not be imported: a problem to report, or a failure upstream (already reported).
enum Fail {
    Problem(String),
    Quiet,
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail::Problem(s)
    }
}

type R<T> = std::result::Result<T, Fail>;

/// What a node became.
enum Out {
    /// A Tessera layer with this (ONNX) output shape.
    Layer(LayerSpec, Vec<i64>),
    /// No layer: the output is this tensor (pass-through, folded Pad, no-op Reshape).
    Alias(Tensor),
}

fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name() == name)
}
fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}
fn attr_int(n: &NodeProto, name: &str) -> Option<i64> {
    attr(n, name).and_then(|a| a.i)
}
fn attr_float(n: &NodeProto, name: &str) -> Option<f32> {
    attr(n, name).and_then(|a| a.f)
}
fn attr_string(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name)
        .and_then(|a| a.s.as_ref())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

/// The product of dims (saturating; dims are checked elsewhere).
fn product(d: &[i64]) -> i64 {
    d.iter().fold(1i64, |a, &b| a.saturating_mul(b))
}

fn shape_str(s: &[i64]) -> String {
    format!(
        "[{}]",
        s.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// NumPy-style broadcast of two shapes.
fn broadcast(a: &[i64], b: &[i64]) -> Option<Vec<i64>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for (i, o) in out.iter_mut().enumerate() {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        *o = match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// The values of a small tensor stored in the file (not external data), if its type is numeric.
fn tensor_values(t: &TensorProto) -> Option<Values> {
    const MAX_VALUES: i64 = 64;
    if t.data_location == Some(1) {
        return None;
    }
    let n = product(&t.dims);
    if !(0..=MAX_VALUES).contains(&n) {
        return None;
    }
    let n = n as usize;
    let raw = t.raw_data.as_deref().filter(|r| !r.is_empty());
    fn chunks<const W: usize, T>(raw: &[u8], f: impl Fn([u8; W]) -> T) -> Vec<T> {
        raw.chunks_exact(W)
            .map(|c| {
                let mut b = [0u8; W];
                b.copy_from_slice(c);
                f(b)
            })
            .collect()
    }
    let v = match (t.data_type(), raw) {
        (1, Some(r)) => Values::Float(chunks(r, |b| f64::from(f32::from_le_bytes(b)))),
        (1, None) => Values::Float(t.float_data.iter().map(|&x| f64::from(x)).collect()),
        (11, Some(r)) => Values::Float(chunks(r, f64::from_le_bytes)),
        (11, None) => Values::Float(t.double_data.clone()),
        (10, Some(r)) => Values::Float(chunks(r, |b| half(u16::from_le_bytes(b)))),
        (10, None) => Values::Float(t.int32_data.iter().map(|&x| half(x as u16)).collect()),
        (7, Some(r)) => Values::Int(chunks(r, i64::from_le_bytes)),
        (7, None) => Values::Int(t.int64_data.clone()),
        (6, Some(r)) => Values::Int(chunks(r, |b| i64::from(i32::from_le_bytes(b)))),
        (5, Some(r)) => Values::Int(chunks(r, |b| i64::from(i16::from_le_bytes(b)))),
        (4, Some(r)) => Values::Int(chunks(r, |b| i64::from(u16::from_le_bytes(b)))),
        (3, Some(r)) => Values::Int(r.iter().map(|&x| i64::from(x as i8)).collect()),
        (2 | 9, Some(r)) => Values::Int(r.iter().map(|&x| i64::from(x)).collect()),
        (2..=6 | 9, None) => Values::Int(t.int32_data.iter().map(|&x| i64::from(x)).collect()),
        (12, Some(r)) => Values::Int(chunks(r, |b| i64::from(u32::from_le_bytes(b)))),
        (13, Some(r)) => Values::Int(chunks(r, |b| u64::from_le_bytes(b) as i64)),
        (12 | 13, None) => Values::Int(t.uint64_data.iter().map(|&x| x as i64).collect()),
        _ => return None,
    };
    let len = match &v {
        Values::Int(x) => x.len(),
        Values::Float(x) => x.len(),
    };
    (len == n).then_some(v)
}

/// An IEEE half-precision value.
fn half(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((bits >> 10) & 0x1f);
    let frac = f64::from(bits & 0x3ff);
    sign * match exp {
        0 => frac * 2f64.powi(-24),
        31 if frac == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + frac / 1024.0) * 2f64.powi(e - 15),
    }
}

/// Which nodes read a tensor, and at which input: `None` for a graph output.
type Readers = HashMap<String, Vec<Option<(usize, usize)>>>;

struct Converter<'g> {
    graph: &'g GraphProto,
    opset: i64,
    /// The index of the node being converted (for messages).
    at: usize,
    tensors: HashMap<String, Tensor>,
    readers: Readers,
    namer: Namer,
    network_inputs: Vec<InputSpec>,
    layers: Vec<LayerSpec>,
    origins: Vec<(String, Origin)>,
    notes: Vec<String>,
    problems: Vec<String>,
    standalone: Vec<String>,
    counted_as: BTreeMap<(String, String), usize>,
    passed: BTreeMap<String, usize>,
}

impl<'g> Converter<'g> {
    fn new(graph: &'g GraphProto, opset: i64) -> Self {
        let mut tensors = HashMap::new();
        for t in &graph.initializer {
            tensors.insert(
                t.name().to_string(),
                Tensor {
                    shape: Some(t.dims.clone()),
                    value: tensor_values(t),
                    constant: true,
                    ..Tensor::default()
                },
            );
        }
        for s in &graph.sparse_initializer {
            let name = s.values.as_ref().map(|v| v.name()).unwrap_or_default();
            tensors.insert(
                name.to_string(),
                Tensor {
                    shape: Some(s.dims.clone()),
                    constant: true,
                    ..Tensor::default()
                },
            );
        }
        let mut readers: Readers = HashMap::new();
        for (i, n) in graph.node.iter().enumerate() {
            for (slot, t) in n.input.iter().enumerate() {
                if !t.is_empty() {
                    readers.entry(t.clone()).or_default().push(Some((i, slot)));
                }
            }
        }
        for o in &graph.output {
            readers.entry(o.name().to_string()).or_default().push(None);
        }
        Converter {
            graph,
            opset,
            at: 0,
            tensors,
            readers,
            namer: Namer::default(),
            network_inputs: vec![],
            layers: vec![],
            origins: vec![],
            notes: vec![],
            problems: vec![],
            standalone: vec![],
            counted_as: BTreeMap::new(),
            passed: BTreeMap::new(),
        }
    }

    /// Whether a graph input is read only where a node takes parameters (a weight, a scale, a
    /// zero point, a bound, a target shape), never where it takes activations.
    fn parameter_only(&self, name: &str) -> bool {
        let readers = self
            .readers
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        !readers.is_empty()
            && readers.iter().all(|r| match r {
                None => false,
                Some((j, slot)) => match kind(self.graph.node[*j].op_type()) {
                    Some(K::Conv(_)) => *slot != 0,
                    Some(K::MatMul(b)) => *slot != 0 && *slot != b,
                    Some(K::Gemm | K::Binary(..)) => *slot > 1,
                    Some(K::Concat) | None => false,
                    Some(K::Constant) => true,
                    Some(_) => *slot != 0,
                },
            })
    }

    /// The graph inputs that are not initializers become the network inputs, but for those read
    /// only as parameters, which are constants whose values come at run time.
    fn inputs(&mut self, graph: &GraphProto) {
        use proto::tensor_shape_proto::dimension::Value as Dim;
        use proto::type_proto::Value as Type;
        let mut parameters = vec![];
        for vi in &graph.input {
            let onnx_name = vi.name();
            if self.tensors.get(onnx_name).is_some_and(|t| t.constant) {
                continue; // an initializer listed as an input (IR version < 4)
            }
            let what = format!("graph input `{onnx_name}`");
            if self.parameter_only(onnx_name) {
                let shape = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                    Some(Type::TensorType(t)) => t.shape.as_ref().and_then(|s| {
                        s.dim
                            .iter()
                            .map(|d| match d.value {
                                Some(Dim::DimValue(v)) if v >= 0 => Some(v),
                                _ => None,
                            })
                            .collect::<Option<Vec<i64>>>()
                    }),
                    _ => None,
                };
                self.tensors.insert(
                    onnx_name.to_string(),
                    Tensor {
                        shape,
                        constant: true,
                        runtime: true,
                        ..Tensor::default()
                    },
                );
                parameters.push(format!("`{onnx_name}`"));
                continue;
            }
            let dims = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
                Some(Type::TensorType(t)) => t.shape.as_ref().map(|s| &s.dim),
                _ => {
                    self.fail_input(onnx_name, format!("{what} is not a tensor"));
                    continue;
                }
            };
            let Some(dims) = dims else {
                self.fail_input(
                    onnx_name,
                    format!("{what} has no shape; the importer needs its dimensions"),
                );
                continue;
            };
            let mut shape = vec![];
            let mut problem = None;
            for (d, dim) in dims.iter().enumerate() {
                match &dim.value {
                    Some(Dim::DimValue(v)) if (1..=MAX_DIM).contains(v) => shape.push(*v),
                    Some(Dim::DimValue(v)) if *v > MAX_DIM => {
                        problem = Some(format!(
                            "dimension {d} of {what} is {v}, beyond Tessera's {MAX_DIM}"
                        ));
                        break;
                    }
                    other => {
                        let symbol = match other {
                            Some(Dim::DimParam(p)) if !p.is_empty() => format!("`{p}`"),
                            _ => "unknown".to_string(),
                        };
                        if d == 0 {
                            shape.push(1);
                            self.notes.push(format!(
                                "{what}: the batch dimension ({symbol}) is set to 1"
                            ));
                        } else {
                            problem = Some(format!(
                                "dimension {d} of {what} is symbolic ({symbol}); the importer needs \
                                 fixed sizes (fix them in the model first, e.g. with onnxruntime's \
                                 `make_dynamic_shape_fixed`)"
                            ));
                            break;
                        }
                    }
                }
            }
            if problem.is_none() && !(1..=4).contains(&shape.len()) {
                problem = Some(format!(
                    "{what} has {} dimensions; Tessera's network inputs have 1 to 4",
                    shape.len()
                ));
            }
            if let Some(p) = problem {
                self.fail_input(onnx_name, p);
                continue;
            }
            let name = self.namer.name(onnx_name, "input");
            self.origins.push((
                format!("inputs[{}]", self.network_inputs.len()),
                Origin {
                    line: None,
                    what: format!("ONNX {what}"),
                },
            ));
            self.network_inputs.push(InputSpec {
                name: name.clone(),
                shape: shape.clone(),
            });
            self.tensors.insert(
                onnx_name.to_string(),
                Tensor {
                    shape: Some(shape),
                    source: Some(name),
                    ..Tensor::default()
                },
            );
        }
        if !parameters.is_empty() {
            self.notes.push(format!(
                "graph inputs read only as parameters (weights, scales, zero points, bounds) are \
                 taken as constants given at run time, not as network inputs: {}",
                parameters.join(", ")
            ));
        }
    }

    fn fail_input(&mut self, onnx_name: &str, problem: String) {
        self.problems.push(problem);
        self.tensors.insert(
            onnx_name.to_string(),
            Tensor {
                failed: true,
                ..Tensor::default()
            },
        );
    }

    /// Import one node.
    fn node(&mut self, n: &NodeProto, i: usize) {
        let Some(k) = kind(n.op_type()) else {
            return; // refused before conversion starts
        };
        self.at = i;
        let result = if self.all_constant(n, &k) {
            self.fold(n, &k).map(Out::Alias)
        } else {
            self.convert(n, i, &k)
        };
        let first = n.output.first().cloned().unwrap_or_default();
        match result {
            Ok(Out::Layer(spec, shape)) => {
                let source = spec.name().to_string();
                self.origins.push((
                    format!("layers[{}]", self.layers.len()),
                    Origin {
                        line: None,
                        what: format!("ONNX node {} ({})", label(n, i), n.op_type()),
                    },
                ));
                self.layers.push(spec);
                self.set(
                    &first,
                    Tensor {
                        shape: Some(shape),
                        source: Some(source),
                        ..Tensor::default()
                    },
                );
            }
            Ok(Out::Alias(t)) => self.set(&first, t),
            Err(f) => {
                if let Fail::Problem(p) = f {
                    self.problems
                        .push(format!("node {} ({}): {p}", label(n, i), n.op_type()));
                }
                for o in &n.output {
                    self.set(
                        o,
                        Tensor {
                            failed: true,
                            ..Tensor::default()
                        },
                    );
                }
                return;
            }
        }
        for (j, o) in n.output.iter().enumerate().skip(1) {
            self.set(
                o,
                Tensor {
                    unmodelled: Some(format!(
                        "output {j} of node {} ({}), which Tessera does not model",
                        label(n, i),
                        n.op_type()
                    )),
                    ..Tensor::default()
                },
            );
        }
    }

    fn set(&mut self, name: &str, t: Tensor) {
        if !name.is_empty() {
            self.tensors.insert(name.to_string(), t);
        }
    }

    /// Whether every input of the node is a constant (then the node is folded).
    fn all_constant(&self, n: &NodeProto, k: &K) -> bool {
        if matches!(k, K::Constant) {
            return true;
        }
        let mut any = false;
        for t in n.input.iter().filter(|t| !t.is_empty()) {
            match self.tensors.get(t) {
                Some(t) if t.constant => any = true,
                _ => return false,
            }
        }
        any
    }

    /// A node of constants: its output is a constant (shape known for the element-wise ops, which
    /// is what weight preprocessing such as `DequantizeLinear` of int8 weights needs).
    fn fold(&self, n: &NodeProto, k: &K) -> R<Tensor> {
        let input = |slot: usize| {
            n.input
                .get(slot)
                .and_then(|t| self.tensors.get(t))
                .cloned()
                .unwrap_or_default()
        };
        let constant = |shape: Option<Vec<i64>>, value: Option<Values>| Tensor {
            shape,
            value,
            constant: true,
            ..Tensor::default()
        };
        Ok(match k {
            K::Constant => {
                let Some(a) = n.attribute.first() else {
                    return Err("has no value".to_string().into());
                };
                match a.name() {
                    "value" => match &a.t {
                        Some(t) => constant(Some(t.dims.clone()), tensor_values(t)),
                        None => return Err("its `value` is not a tensor".to_string().into()),
                    },
                    "sparse_value" => {
                        constant(a.sparse_tensor.as_ref().map(|s| s.dims.clone()), None)
                    }
                    "value_float" => {
                        constant(Some(vec![]), Some(Values::Float(vec![f64::from(a.f())])))
                    }
                    "value_floats" => constant(
                        Some(vec![a.floats.len() as i64]),
                        Some(Values::Float(
                            a.floats.iter().map(|&x| f64::from(x)).collect(),
                        )),
                    ),
                    "value_int" => constant(Some(vec![]), Some(Values::Int(vec![a.i()]))),
                    "value_ints" => constant(
                        Some(vec![a.ints.len() as i64]),
                        Some(Values::Int(a.ints.clone())),
                    ),
                    _ => constant(None, None),
                }
            }
            K::Pass => {
                let t = input(0);
                let keep = matches!(n.op_type(), "Identity" | "Dropout");
                constant(t.shape, if keep { t.value } else { None })
            }
            K::Unary(..) | K::Clip => constant(input(0).shape, None),
            K::Binary(..) => {
                let (a, b) = (input(0).shape, input(1).shape);
                constant(a.zip(b).and_then(|(a, b)| broadcast(&a, &b)), None)
            }
            _ => constant(None, None),
        })
    }

    /// An input of the node (`None`: absent, an optional input left out).
    fn get(&self, n: &NodeProto, slot: usize) -> R<Option<Tensor>> {
        let Some(name) = n.input.get(slot).filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        match self.tensors.get(name) {
            None => Err(
                format!("reads `{name}`, which no node, graph input or initializer gives").into(),
            ),
            Some(t) if t.failed => Err(Fail::Quiet),
            Some(Tensor {
                unmodelled: Some(what),
                ..
            }) => Err(format!("reads `{name}`, {what}").into()),
            Some(t) => Ok(Some(t.clone())),
        }
    }

    /// A required input.
    fn need(&self, n: &NodeProto, slot: usize, what: &str) -> R<Tensor> {
        self.get(n, slot)?
            .ok_or_else(|| format!("has no {what} (input {slot})").into())
    }

    /// A required input whose shape is known.
    fn shaped(&self, n: &NodeProto, slot: usize, what: &str) -> R<(Tensor, Vec<i64>)> {
        let t = self.need(n, slot, what)?;
        match t.shape.clone() {
            Some(s) if s.iter().all(|d| (0..=MAX_DIM).contains(d)) => Ok((t, s)),
            Some(s) => Err(format!(
                "its {what} `{}` has the shape {}, with a dimension beyond Tessera's {MAX_DIM}",
                n.input[slot],
                shape_str(&s)
            )
            .into()),
            None => Err(format!(
                "the shape of its {what} `{}` is unknown (it is computed from constants at run \
                 time; fold constants first, e.g. with onnx-simplifier)",
                n.input[slot]
            )
            .into()),
        }
    }

    /// The data input (an activation): the layer that gives it, and its shape.
    fn data(&self, n: &NodeProto, slot: usize) -> R<(String, Vec<i64>)> {
        let (t, s) = self.shaped(n, slot, "input")?;
        match (t.source, t.pad) {
            (_, Some(_)) => Err(Fail::Quiet),
            (Some(src), None) => Ok((src, s)),
            (None, None) => Err("its input is a constant".to_string().into()),
        }
    }

    /// A constant input's stored values (`what` names it in the error).
    fn values(&self, n: &NodeProto, slot: usize, what: &str) -> R<Option<Values>> {
        match self.get(n, slot)? {
            None => Ok(None),
            Some(t) if !t.constant => Err(format!(
                "its {what} `{}` is computed at run time; the importer needs a constant (fold \
                 constants first, e.g. with onnx-simplifier)",
                n.input[slot]
            )
            .into()),
            Some(t) => match t.value {
                Some(v) => Ok(Some(v)),
                None if t.runtime => Err(format!(
                    "its {what} `{}` is a graph input, given at run time; the importer needs a \
                     constant",
                    n.input[slot]
                )
                .into()),
                None => Err(format!(
                    "the values of its {what} `{}` are not in the file (external data?) or not a \
                     small numeric tensor",
                    n.input[slot]
                )
                .into()),
            },
        }
    }

    /// A Tessera name for the layer this node becomes.
    fn layer_name(&mut self, n: &NodeProto) -> String {
        let raw = if !n.name().is_empty() {
            n.name()
        } else if let Some(o) = n.output.first().filter(|o| !o.is_empty()) {
            o.as_str()
        } else {
            n.op_type()
        };
        self.namer.name(raw, "node")
    }

    fn op(&mut self, n: &NodeProto, kind: OpKind, inputs: Vec<String>, shape: Vec<i64>) -> Out {
        let name = self.layer_name(n);
        Out::Layer(LayerSpec::Op(OpSpec { name, kind, inputs }), shape)
    }

    fn count_as(&mut self, n: &NodeProto, kind: &OpKind) {
        *self
            .counted_as
            .entry((n.op_type().to_string(), kind.name().to_string()))
            .or_default() += 1;
    }

    fn convert(&mut self, n: &NodeProto, i: usize, k: &K) -> R<Out> {
        match k {
            K::Constant => Err("a Constant is folded, never converted".to_string().into()),
            K::Pass => {
                let t = self.need(n, 0, "input")?;
                *self.passed.entry(n.op_type().to_string()).or_default() += 1;
                Ok(Out::Alias(Tensor { value: None, ..t }))
            }
            K::Unary(kind, counted) => {
                let (src, shape) = self.data(n, 0)?;
                if *counted {
                    self.count_as(n, kind);
                }
                Ok(self.op(n, kind.clone(), vec![src], shape))
            }
            K::Clip => self.clip(n),
            K::Binary(kind, counted) => self.binary(n, kind, *counted),
            K::Conv(w) => self.conv(n, *w),
            K::Gemm => self.gemm(n),
            K::MatMul(b) => self.matmul(n, *b),
            K::Pool(max) => self.pool(n, *max),
            K::GlobalPool(max) => {
                let (src, s) = self.data(n, 0)?;
                if s.len() != 4 {
                    return Err(
                        format!("needs an [N, C, H, W] input, got {}", shape_str(&s)).into(),
                    );
                }
                if *max {
                    self.count_as(n, &OpKind::GlobalAvgPool);
                }
                Ok(self.op(n, OpKind::GlobalAvgPool, vec![src], vec![s[0], s[1], 1, 1]))
            }
            K::Flatten => {
                let (src, s) = self.data(n, 0)?;
                let r = s.len() as i64;
                let axis = attr_int(n, "axis").unwrap_or(1);
                let axis = if axis < 0 { axis + r } else { axis };
                if !(0..=r).contains(&axis) {
                    return Err(format!("axis {axis} is out of range for {}", shape_str(&s)).into());
                }
                let a = axis as usize;
                let out = vec![product(&s[..a]), product(&s[a..])];
                self.flatten(n, src, &s, out)
            }
            K::Reshape => {
                let (src, s) = self.data(n, 0)?;
                let target = self
                    .values(n, 1, "target shape")?
                    .and_then(|v| v.ints())
                    .ok_or_else(|| "has no constant integer target shape".to_string())?;
                let out = reshape(&s, &target, attr_int(n, "allowzero").unwrap_or(0) != 0)?;
                if out == s {
                    *self
                        .passed
                        .entry("Reshape (to the same shape)".into())
                        .or_default() += 1;
                    return Ok(Out::Alias(Tensor {
                        shape: Some(s),
                        source: Some(src),
                        ..Tensor::default()
                    }));
                }
                self.flatten(n, src, &s, out)
            }
            K::Concat => {
                let mut srcs = vec![];
                let mut shapes = vec![];
                for slot in 0..n.input.len() {
                    let (src, s) = self.data(n, slot)?;
                    srcs.push(src);
                    shapes.push(s);
                }
                let Some(first) = shapes.first().cloned() else {
                    return Err("has no inputs".to_string().into());
                };
                let axis = attr_int(n, "axis").unwrap_or(1);
                let axis = if axis < 0 {
                    axis + first.len() as i64
                } else {
                    axis
                };
                if first.len() != 4 || axis != 1 {
                    return Err(format!(
                        "concatenates along axis {axis} of {}; Tessera models a Concat along the \
                         channels (axis 1) of [N, C, H, W] tensors",
                        shape_str(&first)
                    )
                    .into());
                }
                let mut out = first.clone();
                out[1] = shapes.iter().map(|s| s.get(1).copied().unwrap_or(0)).sum();
                Ok(self.op(n, OpKind::Concat, srcs, out))
            }
            K::Pad => self.pad(n, i),
        }
    }

    /// A Flatten (or Reshape) to `out`: Tessera's Flatten gives `[N, rest]`.
    fn flatten(&mut self, n: &NodeProto, src: String, s: &[i64], out: Vec<i64>) -> R<Out> {
        let tessera = vec![
            s.first().copied().unwrap_or(1),
            s.get(1..).map_or(1, product),
        ];
        if out != tessera {
            return Err(format!(
                "reshapes {} to {}; Tessera models only a flatten to [N, features] (here {})",
                shape_str(s),
                shape_str(&out),
                shape_str(&tessera)
            )
            .into());
        }
        Ok(self.op(n, OpKind::Flatten, vec![src], out))
    }

    fn clip(&mut self, n: &NodeProto) -> R<Out> {
        let (src, shape) = self.data(n, 0)?;
        let (min, max) = if self.opset < 11 {
            (
                attr_float(n, "min").map(f64::from),
                attr_float(n, "max").map(f64::from),
            )
        } else {
            // A bound computed at run time or stored outside the file is unknown.
            let bound = |slot| {
                self.values(n, slot, "bound")
                    .ok()
                    .flatten()
                    .and_then(|v| v.scalar())
            };
            (bound(1), bound(2))
        };
        let big = |v: Option<f64>| v.is_none_or(|v| v >= f64::from(f32::MAX));
        let kind = match (min, max) {
            (Some(lo), Some(hi)) if lo == 0.0 && hi == 6.0 => OpKind::Relu6,
            (Some(lo), hi) if lo == 0.0 && big(hi) => OpKind::Relu,
            _ => {
                let b = |v: Option<f64>| v.map_or("none".to_string(), |v| v.to_string());
                self.notes.push(format!(
                    "Clip {} (min {}, max {}) is counted as Relu6 (one operation per element)",
                    label(n, self.at),
                    b(min),
                    b(max)
                ));
                OpKind::Relu6
            }
        };
        Ok(self.op(n, kind, vec![src], shape))
    }

    fn binary(&mut self, n: &NodeProto, kind: &OpKind, counted: bool) -> R<Out> {
        let a = self.need(n, 0, "first input")?;
        let b = self.need(n, 1, "second input")?;
        if a.pad.is_some() || b.pad.is_some() {
            return Err(Fail::Quiet);
        }
        let out = match (&a.shape, &b.shape) {
            (Some(x), Some(y)) => broadcast(x, y).ok_or_else(|| {
                format!(
                    "cannot broadcast {} and {} together",
                    shape_str(x),
                    shape_str(y)
                )
            })?,
            (Some(x), None) if !a.constant => x.clone(),
            (None, Some(y)) if !b.constant => y.clone(),
            _ => return Err("the shapes of its inputs are unknown".to_string().into()),
        };
        let data: Vec<(String, Vec<i64>)> = [&a, &b]
            .iter()
            .filter(|t| !t.constant)
            .filter_map(|t| t.source.clone().zip(t.shape.clone()))
            .collect();
        let inputs = match data.as_slice() {
            [(src, s)] if *s == out => vec![src.clone()],
            [(_, s)] => {
                return Err(format!(
                    "broadcasts its input {} to {} with a constant; Tessera models element-wise \
                     operations that keep their input's shape",
                    shape_str(s),
                    shape_str(&out)
                )
                .into())
            }
            [(x, sx), (y, sy)] if *sx == out && *sy == out => vec![x.clone(), y.clone()],
            [(x, sx), (y, sy)] if *sx == out || *sy == out => {
                let (keep, small, small_shape) = if *sx == out { (x, y, sy) } else { (y, x, sx) };
                self.notes.push(format!(
                    "{} {}: its input `{small}` {} is broadcast to {}; the layer reads only \
                     `{keep}` (the workload format's element-wise ops take equal shapes)",
                    n.op_type(),
                    label(n, self.at),
                    shape_str(small_shape),
                    shape_str(&out)
                ));
                vec![keep.clone()]
            }
            _ => {
                return Err(format!(
                    "broadcasts two activations to {}, a shape neither has",
                    shape_str(&out)
                )
                .into())
            }
        };
        if counted {
            self.count_as(n, kind);
        }
        Ok(self.op(n, kind.clone(), inputs, out))
    }

    fn conv(&mut self, n: &NodeProto, w_slot: usize) -> R<Out> {
        let (x, xs) = self.shaped(n, 0, "input")?;
        let Some(src) = x.source.clone() else {
            return Err("its input is a constant".to_string().into());
        };
        let (_, ws) = self.shaped(n, w_slot, "weight")?;
        if xs.len() != 4 || ws.len() != 4 {
            let d = xs.len().saturating_sub(2);
            return Err(format!(
                "is a {d}-D convolution (input {}, weight {}); Tessera models 2-D convolutions \
                 ([N, C, H, W])",
                shape_str(&xs),
                shape_str(&ws)
            )
            .into());
        }
        let groups = attr_int(n, "group").unwrap_or(1);
        let kernel = attr_ints(n, "kernel_shape").unwrap_or_else(|| ws[2..].to_vec());
        if kernel.len() != 2 || kernel != ws[2..] || kernel.iter().any(|&k| k < 1) {
            return Err(format!(
                "its kernel_shape {} does not match its weight {}",
                shape_str(&kernel),
                shape_str(&ws)
            )
            .into());
        }
        if groups < 1 || ws[1].saturating_mul(groups) != xs[1] {
            return Err(format!(
                "its weight {} with {groups} group(s) does not fit its input {} ({} channels)",
                shape_str(&ws),
                shape_str(&xs),
                xs[1]
            )
            .into());
        }
        let stride = pair(n, "strides")?;
        let dilation = pair(n, "dilations")?;
        let folded = x.pad.unwrap_or([0; 4]);
        let padded = [xs[2] + folded[0] + folded[2], xs[3] + folded[1] + folded[3]];
        let span = [
            (kernel[0] - 1) * dilation[0] + 1,
            (kernel[1] - 1) * dilation[1] + 1,
        ];
        let own = padding(n, padded, span, stride)?;
        let pads = [
            own[0] + folded[0],
            own[1] + folded[1],
            own[2] + folded[2],
            own[3] + folded[3],
        ];
        let out = |a: usize| (xs[2 + a] + pads[a] + pads[a + 2] - span[a]) / stride[a] + 1;
        let (oh, ow) = (out(0), out(1));
        if xs[2] + pads[0] + pads[2] < span[0] || xs[3] + pads[1] + pads[3] < span[1] {
            return Err(format!(
                "its kernel {} does not fit its padded input {}",
                shape_str(&kernel),
                shape_str(&xs)
            )
            .into());
        }
        let name = self.layer_name(n);
        let spec = Conv2dSpec {
            name,
            input: Some(src),
            in_shape: None,
            out_channels: ws[0],
            kernel: (kernel[0], kernel[1]),
            stride: (stride[0], stride[1]),
            padding: (pads[0], pads[1]),
            padding_end: ((pads[2], pads[3]) != (pads[0], pads[1])).then_some((pads[2], pads[3])),
            dilation: (dilation[0], dilation[1]),
            groups,
        };
        Ok(Out::Layer(
            LayerSpec::Conv2d(spec),
            vec![xs[0], ws[0], oh, ow],
        ))
    }

    fn pool(&mut self, n: &NodeProto, max: bool) -> R<Out> {
        let (src, s) = self.data(n, 0)?;
        if s.len() != 4 {
            return Err(format!(
                "pools a {}-D tensor {}; Tessera models 2-D pooling of [N, C, H, W]",
                s.len(),
                shape_str(&s)
            )
            .into());
        }
        let kernel = attr_ints(n, "kernel_shape")
            .filter(|k| k.len() == 2 && k.iter().all(|x| (1..=MAX_DIM).contains(x)))
            .ok_or_else(|| "has no 2-D kernel_shape of positive sizes".to_string())?;
        let stride = pair(n, "strides")?;
        if pair(n, "dilations")? != [1, 1] {
            return Err("is dilated; Tessera models pooling without dilation"
                .to_string()
                .into());
        }
        let mut pads = padding(n, [s[2], s[3]], [kernel[0], kernel[1]], stride)?;
        if attr_int(n, "ceil_mode").unwrap_or(0) != 0 {
            // ONNX's ceil rule, and its rule that the last window starts inside the input or the
            // begin padding; then the end padding that makes the floor rule give the same size.
            for a in 0..2 {
                let (i, k, st) = (s[2 + a], kernel[a], stride[a]);
                let total = i + pads[a] + pads[a + 2] - k;
                if total < 0 {
                    break;
                }
                let mut o = (total + st - 1) / st + 1;
                if (o - 1) * st >= i + pads[a] {
                    o -= 1;
                }
                let need = (o - 1) * st + k - i - pads[a];
                if need > pads[a + 2] {
                    self.notes.push(format!(
                        "{} {}: ceil_mode is modelled by widening the end padding of axis {} from \
                         {} to {need}",
                        n.op_type(),
                        label(n, self.at),
                        a + 2,
                        pads[a + 2]
                    ));
                    pads[a + 2] = need;
                }
            }
        }
        let out = |a: usize| (s[2 + a] + pads[a] + pads[a + 2] - kernel[a]) / stride[a] + 1;
        if s[2] + pads[0] + pads[2] < kernel[0] || s[3] + pads[1] + pads[3] < kernel[1] {
            return Err(format!(
                "its window {} does not fit its input {}",
                shape_str(&kernel),
                shape_str(&s)
            )
            .into());
        }
        let shape = vec![s[0], s[1], out(0), out(1)];
        let p = PoolSpec {
            kernel: (kernel[0], kernel[1]),
            stride: Some((stride[0], stride[1])),
            padding: (pads[0], pads[1]),
            padding_end: ((pads[2], pads[3]) != (pads[0], pads[1])).then_some((pads[2], pads[3])),
        };
        let kind = if max {
            OpKind::MaxPool(p)
        } else {
            OpKind::AvgPool(p)
        };
        Ok(self.op(n, kind, vec![src], shape))
    }

    fn gemm(&mut self, n: &NodeProto) -> R<Out> {
        let (a, sa) = self.shaped(n, 0, "input A")?;
        let (b, sb) = self.shaped(n, 1, "input B")?;
        if sa.len() != 2 || sb.len() != 2 {
            return Err(format!(
                "multiplies {} by {}; Gemm takes 2-D operands",
                shape_str(&sa),
                shape_str(&sb)
            )
            .into());
        }
        let ta = attr_int(n, "transA").unwrap_or(0) != 0;
        let tb = attr_int(n, "transB").unwrap_or(0) != 0;
        let (m, k) = if ta { (sa[1], sa[0]) } else { (sa[0], sa[1]) };
        let (k2, nn) = if tb { (sb[1], sb[0]) } else { (sb[0], sb[1]) };
        if k != k2 {
            return Err(format!(
                "its operands {} and {} (transA {}, transB {}) do not agree on K",
                shape_str(&sa),
                shape_str(&sb),
                u8::from(ta),
                u8::from(tb)
            )
            .into());
        }
        let name = self.layer_name(n);
        let spec = match (&a.source, b.constant, ta) {
            (Some(src), true, false) => LayerSpec::Linear(LinearSpec {
                name,
                input: Some(src.clone()),
                out_features: nn,
                in_features: None,
                batch: None,
            }),
            _ => {
                self.standalone.push(name.clone());
                LayerSpec::Gemm(GemmSpec { name, m, k, n: nn })
            }
        };
        Ok(Out::Layer(spec, vec![m, nn]))
    }

    fn matmul(&mut self, n: &NodeProto, b_slot: usize) -> R<Out> {
        let (a, sa) = self.shaped(n, 0, "input A")?;
        let (b, sb) = self.shaped(n, b_slot, "input B")?;
        if sa.len() < 2 || sb.len() < 2 {
            return Err(format!(
                "multiplies {} by {}; the importer needs operands of at least 2 dimensions",
                shape_str(&sa),
                shape_str(&sb)
            )
            .into());
        }
        let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let (k2, nn) = (sb[sb.len() - 2], sb[sb.len() - 1]);
        if k != k2 {
            return Err(format!(
                "its operands {} and {} do not agree on K",
                shape_str(&sa),
                shape_str(&sb)
            )
            .into());
        }
        let batch_dims = broadcast(&sa[..sa.len() - 2], &sb[..sb.len() - 2]).ok_or_else(|| {
            format!(
                "the batch dimensions of {} and {} do not broadcast",
                shape_str(&sa),
                shape_str(&sb)
            )
        })?;
        let mut out = batch_dims.clone();
        out.extend([m, nn]);
        let name = self.layer_name(n);
        let spec = match (&a.source, b.constant, sa.len(), sb.len()) {
            (Some(src), true, 2, 2) => LayerSpec::Linear(LinearSpec {
                name,
                input: Some(src.clone()),
                out_features: nn,
                in_features: None,
                batch: None,
            }),
            _ => {
                self.standalone.push(name.clone());
                if batch_dims.is_empty() {
                    LayerSpec::Gemm(GemmSpec { name, m, k, n: nn })
                } else {
                    LayerSpec::MatMul(MatMulSpec {
                        name,
                        batch: product(&batch_dims),
                        m,
                        k,
                        n: nn,
                    })
                }
            }
        };
        Ok(Out::Layer(spec, out))
    }

    /// An explicit `Pad`: folded into the convolutions that read it, or refused.
    fn pad(&mut self, n: &NodeProto, i: usize) -> R<Out> {
        let x = self.need(n, 0, "input")?;
        let Some(s) = x.shape.clone() else {
            return Err("the shape of its input is unknown".to_string().into());
        };
        let mode = attr_string(n, "mode").unwrap_or_else(|| "constant".into());
        if mode != "constant" {
            return Err(format!(
                "pads in `{mode}` mode; only zero padding (constant mode, value 0) is modelled, \
                 folded into the convolution that follows"
            )
            .into());
        }
        let (pads, value) = if self.opset < 11 {
            (
                attr_ints(n, "pads").ok_or_else(|| "has no pads".to_string())?,
                attr_float(n, "value").map_or(0.0, f64::from),
            )
        } else {
            let pads = self
                .values(n, 1, "pads")?
                .and_then(|v| v.ints())
                .ok_or_else(|| "has no constant integer pads".to_string())?;
            let value = self
                .values(n, 2, "constant value")?
                .map_or(Some(0.0), |v| v.scalar())
                .ok_or_else(|| "its constant value is not a scalar".to_string())?;
            (pads, value)
        };
        if value != 0.0 {
            return Err(format!(
                "pads with the value {value}; only zero padding is folded into a convolution"
            )
            .into());
        }
        let r = s.len();
        let axes: Vec<usize> = match self.values(n, 3, "axes")? {
            None => (0..r).collect(),
            Some(v) => v
                .ints()
                .unwrap_or_default()
                .iter()
                .map(|&a| if a < 0 { a + r as i64 } else { a } as usize)
                .collect(),
        };
        if pads.len() != 2 * axes.len() || axes.iter().any(|&a| a >= r) {
            return Err(format!(
                "its pads {} do not fit its input {}",
                shape_str(&pads),
                shape_str(&s)
            )
            .into());
        }
        let mut full = vec![0i64; 2 * r];
        for (j, &a) in axes.iter().enumerate() {
            full[a] = pads[j];
            full[a + r] = pads[j + axes.len()];
        }
        if r != 4 || full[0] != 0 || full[1] != 0 || full[4] != 0 || full[5] != 0 {
            return Err(format!(
                "pads {} of {}; only the H and W axes of an [N, C, H, W] tensor are folded into a \
                 convolution",
                shape_str(&pads),
                shape_str(&s)
            )
            .into());
        }
        if full.iter().any(|&p| p > MAX_DIM) {
            return Err(format!("has pads {} beyond Tessera's {MAX_DIM}", shape_str(&pads)).into());
        }
        if full.iter().any(|&p| p < 0) {
            return Err(format!(
                "has negative pads {} (cropping), which are not modelled",
                shape_str(&pads)
            )
            .into());
        }
        let readers = n
            .output
            .first()
            .and_then(|o| self.readers.get(o))
            .cloned()
            .unwrap_or_default();
        let not_conv: Vec<String> = readers
            .iter()
            .filter_map(|r| match r {
                Some((j, 0))
                    if matches!(
                        self.graph.node[*j].op_type(),
                        "Conv" | "ConvInteger" | "QLinearConv"
                    ) =>
                {
                    None
                }
                Some((j, _)) => Some(format!(
                    "{} ({})",
                    label(&self.graph.node[*j], *j),
                    self.graph.node[*j].op_type()
                )),
                None => Some("a graph output".into()),
            })
            .collect();
        if readers.is_empty() || !not_conv.is_empty() {
            return Err(format!(
                "is read by {}; an explicit Pad is modelled only when convolutions alone read it \
                 (it becomes their padding)",
                if not_conv.is_empty() {
                    "nothing".to_string()
                } else {
                    not_conv.join(", ")
                }
            )
            .into());
        }
        let Some(src) = x.source.clone() else {
            return Err("its input is a constant".to_string().into());
        };
        let before = x.pad.unwrap_or([0; 4]);
        let pad = [
            before[0] + full[2],
            before[1] + full[3],
            before[2] + full[6],
            before[3] + full[7],
        ];
        self.notes.push(format!(
            "Pad {} (top {}, left {}, bottom {}, right {}) is folded into the padding of the \
             convolution{} reading it",
            label(n, i),
            full[2],
            full[3],
            full[6],
            full[7],
            if readers.len() == 1 { "" } else { "s" }
        ));
        Ok(Out::Alias(Tensor {
            shape: Some(s),
            source: Some(src),
            pad: Some(pad),
            ..Tensor::default()
        }))
    }
}

/// A 2-D attribute such as `strides` or `dilations` (default 1, 1).
fn pair(n: &NodeProto, name: &str) -> R<[i64; 2]> {
    match attr_ints(n, name) {
        None => Ok([1, 1]),
        Some(v) if v.len() == 2 && v.iter().all(|x| (1..=MAX_DIM).contains(x)) => Ok([v[0], v[1]]),
        Some(v) => Err(format!(
            "its {name} {} are not two numbers from 1 to {MAX_DIM}",
            shape_str(&v)
        )
        .into()),
    }
}

/// The padding (top, left, bottom, right) of a convolution or pool from `pads` or `auto_pad`, for
/// an input of `size` (H, W) and a window spanning `span`.
fn padding(n: &NodeProto, size: [i64; 2], span: [i64; 2], stride: [i64; 2]) -> R<[i64; 4]> {
    let auto = attr_string(n, "auto_pad").unwrap_or_default();
    match auto.as_str() {
        "" | "NOTSET" => match attr_ints(n, "pads") {
            None => Ok([0; 4]),
            Some(p) if p.len() == 4 && p.iter().all(|x| (0..=MAX_DIM).contains(x)) => {
                Ok([p[0], p[1], p[2], p[3]])
            }
            Some(p) => Err(format!(
                "its pads {} are not four numbers from 0 to {MAX_DIM}",
                shape_str(&p)
            )
            .into()),
        },
        "VALID" => Ok([0; 4]),
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut p = [0; 4];
            for a in 0..2 {
                let out = (size[a] + stride[a] - 1) / stride[a];
                let total = ((out - 1) * stride[a] + span[a] - size[a]).max(0);
                let small = total / 2;
                let (begin, end) = if auto == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
                p[a] = begin;
                p[a + 2] = end;
            }
            Ok(p)
        }
        other => Err(format!("has an unknown auto_pad `{other}`").into()),
    }
}

/// ONNX Reshape's target: `0` copies the input's dim (unless `allowzero`), one `-1` is inferred.
fn reshape(input: &[i64], target: &[i64], allowzero: bool) -> R<Vec<i64>> {
    let mut out: Vec<i64> = target
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 && !allowzero {
                input.get(i).copied().unwrap_or(0)
            } else {
                d
            }
        })
        .collect();
    let total = product(input);
    let unknown: Vec<usize> = (0..out.len()).filter(|&i| out[i] == -1).collect();
    let known = product(&out.iter().copied().filter(|&d| d != -1).collect::<Vec<_>>());
    match unknown.as_slice() {
        [] => {}
        [i] if known > 0 && total % known == 0 => out[*i] = total / known,
        _ => {
            return Err(format!(
                "cannot reshape {} to {}",
                shape_str(input),
                shape_str(target)
            )
            .into())
        }
    }
    if product(&out) != total || out.iter().any(|&d| d < 1) {
        return Err(format!(
            "cannot reshape {} to {}",
            shape_str(input),
            shape_str(target)
        )
        .into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(
            broadcast(&[1, 16, 8, 8], &[16, 1, 1]),
            Some(vec![1, 16, 8, 8])
        );
        assert_eq!(broadcast(&[2, 1], &[1, 3]), Some(vec![2, 3]));
        assert_eq!(broadcast(&[2, 3], &[4, 3]), None);
    }

    #[test]
    fn reshape_copies_zeros_and_infers_minus_one() {
        assert_eq!(
            reshape(&[1, 8, 4, 4], &[0, -1], false).ok(),
            Some(vec![1, 128])
        );
        assert!(reshape(&[1, 8, 4, 4], &[3, -1], false).is_err());
        assert!(reshape(&[1, 8], &[-1, -1], false).is_err());
    }

    #[test]
    fn half_precision_values() {
        assert_eq!(half(0x4600), 6.0);
        assert_eq!(half(0x0000), 0.0);
        assert_eq!(half(0xbc00), -1.0);
    }
}
