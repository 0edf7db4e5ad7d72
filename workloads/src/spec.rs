//! The workload file format ([`WorkloadSpec`], RON) and its validation into a [`Workload`].
//!
//! A workload is a list of layers. Layers with explicit sizes stand alone (`Gemm`, `MatMul`, and
//! `Linear` / `Conv2d` given their input size); the others take the output of another layer (`input`,
//! by default the layer before) and have their sizes inferred. The layers form a DAG (petgraph),
//! checked for cycles and for tensor shapes between layers, and are kept in a topological order.
//!
//! ```ron
//! WorkloadSpec(
//!     name: "tiny_cnn",
//!     inputs: [(name: "image", shape: [1, 3, 32, 32])],          // N, C, H, W
//!     layers: [
//!         Conv2d((name: "conv1", out_channels: 16, kernel: (3, 3), padding: (1, 1))),
//!         Op((name: "relu1", kind: Relu)),
//!         Op((name: "pool1", kind: MaxPool((kernel: (2, 2))))),
//!         Conv2d((name: "conv2", out_channels: 32, kernel: (3, 3), stride: (2, 2), padding: (1, 1))),
//!         Op((name: "add", kind: Add, inputs: ["conv2", "conv2"])),
//!         Op((name: "gap", kind: GlobalAvgPool)),
//!         Linear((name: "fc", out_features: 10)),
//!     ],
//! )
//! ```
//!
//! Operations that are not MAC work ([`OpKind`]) are kept with an operation count and reported as
//! "not modelled"; they never disappear from a report.

use crate::layer::{Conv2d, Gemm, Layer, MatMul, OpLayer};
use crate::Workload;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use tessera_core::diag::{ensure, Diagnostic, Result};

/// A workload file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    /// The network's input tensors (N, C, H, W for images; N, F for vectors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<InputSpec>,
    pub layers: Vec<LayerSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub name: String,
    pub shape: Vec<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LayerSpec {
    Gemm(GemmSpec),
    MatMul(MatMulSpec),
    Linear(LinearSpec),
    Conv2d(Conv2dSpec),
    Op(OpSpec),
}

impl LayerSpec {
    pub fn name(&self) -> &str {
        match self {
            LayerSpec::Gemm(s) => &s.name,
            LayerSpec::MatMul(s) => &s.name,
            LayerSpec::Linear(s) => &s.name,
            LayerSpec::Conv2d(s) => &s.name,
            LayerSpec::Op(s) => &s.name,
        }
    }
    fn variant(&self) -> &'static str {
        match self {
            LayerSpec::Gemm(_) => "Gemm",
            LayerSpec::MatMul(_) => "MatMul",
            LayerSpec::Linear(_) => "Linear",
            LayerSpec::Conv2d(_) => "Conv2d",
            LayerSpec::Op(_) => "Op",
        }
    }
    /// The layers whose outputs this one reads (empty: the layer before, if it needs an input).
    fn inputs(&self) -> Vec<String> {
        match self {
            LayerSpec::Gemm(_) | LayerSpec::MatMul(_) => vec![],
            LayerSpec::Linear(s) => s.input.iter().cloned().collect(),
            LayerSpec::Conv2d(s) => s.input.iter().cloned().collect(),
            LayerSpec::Op(s) => s.inputs.clone(),
        }
    }
    /// Whether the layer stands alone (its sizes are all given) when no input is named.
    fn standalone(&self) -> bool {
        match self {
            LayerSpec::Gemm(_) | LayerSpec::MatMul(_) => true,
            LayerSpec::Linear(s) => s.input.is_none() && s.in_features.is_some(),
            LayerSpec::Conv2d(s) => s.input.is_none() && s.in_shape.is_some(),
            LayerSpec::Op(_) => false,
        }
    }
}

/// `C[M×N] = A[M×K] · B[K×N]`, standalone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmSpec {
    pub name: String,
    pub m: i64,
    pub k: i64,
    pub n: i64,
}

/// `batch` GEMMs of one shape (attention's Q·Kᵀ per head), standalone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatMulSpec {
    pub name: String,
    #[serde(default = "one")]
    pub batch: i64,
    pub m: i64,
    pub k: i64,
    pub n: i64,
}

/// A fully connected layer: `[N, F] → [N, out_features]` (a 4-D input is flattened). Standalone with
/// `in_features` (and `batch`, default 1) when it has no input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearSpec {
    pub name: String,
    #[serde(default)]
    pub input: Option<String>,
    pub out_features: i64,
    #[serde(default)]
    pub in_features: Option<i64>,
    #[serde(default)]
    pub batch: Option<i64>,
}

/// A 2-D convolution of an `[N, C, H, W]` input. Standalone with `in_shape` when it has no input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2dSpec {
    pub name: String,
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub in_shape: Option<[i64; 4]>,
    pub out_channels: i64,
    /// (height, width).
    pub kernel: (i64, i64),
    #[serde(default = "ones")]
    pub stride: (i64, i64),
    /// Zero padding at the start of each axis (top, left), and at the end too unless
    /// `padding_end` says otherwise.
    #[serde(default)]
    pub padding: (i64, i64),
    #[serde(default)]
    pub padding_end: Option<(i64, i64)>,
    #[serde(default = "ones")]
    pub dilation: (i64, i64),
    #[serde(default = "one")]
    pub groups: i64,
}

fn one() -> i64 {
    1
}
fn ones() -> (i64, i64) {
    (1, 1)
}

/// An operation that is not MAC work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpSpec {
    pub name: String,
    pub kind: OpKind,
    /// The layers it reads (empty: the layer before).
    #[serde(default)]
    pub inputs: Vec<String>,
}

/// Operations that are not MAC work, and how their operation count is defined (per output element
/// unless said otherwise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OpKind {
    /// Activations: 1 each.
    Relu,
    Relu6,
    Sigmoid,
    Tanh,
    Gelu,
    HardSwish,
    /// Batch normalisation in inference (a multiply and an add): 2.
    BatchNorm,
    /// Element-wise with another tensor of the same shape (two inputs) or a constant (one): 1.
    Add,
    Mul,
    /// Pooling: the window's area per output element.
    MaxPool(PoolSpec),
    AvgPool(PoolSpec),
    /// The whole H×W plane per output element (so: one per input element).
    GlobalAvgPool,
    /// Exponent, sum and divide: 3.
    Softmax,
    /// Mean, variance, normalise, scale, shift: 5.
    LayerNorm,
    /// Data movement only: 0.
    Flatten,
    /// Concatenation along the channel axis: 0.
    Concat,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub kernel: (i64, i64),
    /// Default: the kernel.
    #[serde(default)]
    pub stride: Option<(i64, i64)>,
    #[serde(default)]
    pub padding: (i64, i64),
    #[serde(default)]
    pub padding_end: Option<(i64, i64)>,
}

impl OpKind {
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::Relu => "Relu",
            OpKind::Relu6 => "Relu6",
            OpKind::Sigmoid => "Sigmoid",
            OpKind::Tanh => "Tanh",
            OpKind::Gelu => "Gelu",
            OpKind::HardSwish => "HardSwish",
            OpKind::BatchNorm => "BatchNorm",
            OpKind::Add => "Add",
            OpKind::Mul => "Mul",
            OpKind::MaxPool(_) => "MaxPool",
            OpKind::AvgPool(_) => "AvgPool",
            OpKind::GlobalAvgPool => "GlobalAvgPool",
            OpKind::Softmax => "Softmax",
            OpKind::LayerNorm => "LayerNorm",
            OpKind::Flatten => "Flatten",
            OpKind::Concat => "Concat",
        }
    }
}

/// The largest size of any dimension (keeps every derived count inside u32 and u64).
pub const MAX_DIM: i64 = 1 << 20;
/// The largest kernel, stride, dilation or padding.
pub const MAX_WINDOW: i64 = 255;

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && s.len() <= 64
}

fn dim(v: i64, f: &str) -> Result<u32> {
    ensure((1..=MAX_DIM).contains(&v), f, || {
        format!("must be between 1 and {MAX_DIM}, got {v}")
    })?;
    Ok(v as u32)
}

fn window(v: i64, f: &str, min: i64) -> Result<u32> {
    ensure((min..=MAX_WINDOW).contains(&v), f, || {
        format!("must be between {min} and {MAX_WINDOW}, got {v}")
    })?;
    Ok(v as u32)
}

fn pair(v: (i64, i64), f: &str, min: i64) -> Result<[u32; 2]> {
    Ok([
        window(v.0, &format!("{f}.0"), min)?,
        window(v.1, &format!("{f}.1"), min)?,
    ])
}

/// A tensor shape and whether it is a 4-D image tensor.
type Shape = Vec<u32>;

fn shape_str(s: &[u32]) -> String {
    format!(
        "[{}]",
        s.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl WorkloadSpec {
    /// Check every layer, build the DAG, infer and check the tensor shapes, and order the layers
    /// topologically. Errors name the field, e.g. `layers[3].Conv2d.groups`.
    pub fn validate(&self) -> Result<Workload> {
        ensure(is_name(&self.name), "name", || {
            format!("{:?}: use letters, digits and `_` (at most 64)", self.name)
        })?;
        ensure(!self.layers.is_empty(), "layers", || {
            "needs at least one layer".into()
        })?;
        // Names: network inputs and layers share one namespace.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut shapes: HashMap<String, Shape> = HashMap::new();
        for (i, inp) in self.inputs.iter().enumerate() {
            let under = format!("inputs[{i}]");
            ensure(is_name(&inp.name), "name", || {
                format!("{:?}: use letters, digits and `_`", inp.name)
            })
            .map_err(|e| e.under(&under))?;
            ensure((1..=4).contains(&inp.shape.len()), "shape", || {
                format!("needs 1 to 4 dimensions, got {}", inp.shape.len())
            })
            .map_err(|e| e.under(&under))?;
            let s = inp
                .shape
                .iter()
                .enumerate()
                .map(|(j, &d)| dim(d, &format!("shape[{j}]")))
                .collect::<Result<Shape>>()
                .map_err(|e| e.under(&under))?;
            if shapes.insert(inp.name.clone(), s).is_some() {
                return Err(
                    Diagnostic::field("name", format!("duplicate name {:?}", inp.name))
                        .under(&under),
                );
            }
        }
        for (i, l) in self.layers.iter().enumerate() {
            let under = format!("layers[{i}].{}", l.variant());
            ensure(is_name(l.name()), "name", || {
                format!("{:?}: use letters, digits and `_` (at most 64)", l.name())
            })
            .map_err(|e| e.under(&under))?;
            if shapes.contains_key(l.name()) || index.insert(l.name(), i).is_some() {
                return Err(
                    Diagnostic::field("name", format!("duplicate name {:?}", l.name()))
                        .under(&under),
                );
            }
        }
        // The DAG: an edge from each input to its reader. A layer with no named input and no sizes
        // of its own reads the layer before it (or the network's only input, for the first).
        let mut g: DiGraph<usize, ()> = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..self.layers.len()).map(|i| g.add_node(i)).collect();
        let mut inputs_of: Vec<Vec<String>> = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let under = format!("layers[{i}].{}", l.variant());
            let mut ins = l.inputs();
            if ins.is_empty() && !l.standalone() {
                if i > 0 {
                    ins.push(self.layers[i - 1].name().to_string());
                } else if self.inputs.len() == 1 {
                    ins.push(self.inputs[0].name.clone());
                } else {
                    let f = match l {
                        LayerSpec::Op(_) => "inputs",
                        _ => "input",
                    };
                    return Err(Diagnostic::field(
                        f,
                        "the first layer needs an input: name one, declare exactly one network \\
                         input, or give its sizes",
                    )
                    .under(&under));
                }
            }
            for name in &ins {
                if let Some(&j) = index.get(name.as_str()) {
                    g.add_edge(nodes[j], nodes[i], ());
                } else if !shapes.contains_key(name) {
                    let f = match l {
                        LayerSpec::Op(_) => "inputs",
                        _ => "input",
                    };
                    return Err(Diagnostic::field(
                        f,
                        format!("no layer or network input named {name:?}"),
                    )
                    .under(&under));
                }
            }
            inputs_of.push(ins);
        }
        if let Err(cycle) = petgraph::algo::toposort(&g, None) {
            let i = g[cycle.node_id()];
            return Err(Diagnostic::field(
                "input",
                format!("layer {:?} is part of a cycle", self.layers[i].name()),
            )
            .under(&format!("layers[{i}].{}", self.layers[i].variant())));
        }
        // A topological order that keeps the file's order wherever it can (Kahn's algorithm taking
        // the earliest ready layer first): a file written in order keeps its order.
        let order = {
            use std::cmp::Reverse;
            use std::collections::BinaryHeap;
            let mut indegree: Vec<usize> = nodes
                .iter()
                .map(|&n| {
                    g.neighbors_directed(n, petgraph::Direction::Incoming)
                        .count()
                })
                .collect();
            let mut ready: BinaryHeap<Reverse<usize>> = (0..nodes.len())
                .filter(|&i| indegree[i] == 0)
                .map(Reverse)
                .collect();
            let mut order = Vec::with_capacity(nodes.len());
            while let Some(Reverse(i)) = ready.pop() {
                order.push(nodes[i]);
                for m in g.neighbors_directed(nodes[i], petgraph::Direction::Outgoing) {
                    let j = g[m];
                    indegree[j] -= 1;
                    if indegree[j] == 0 {
                        ready.push(Reverse(j));
                    }
                }
            }
            order
        };
        // Shapes, in that order.
        let mut layers = vec![];
        let mut ops = vec![];
        let mut edges = vec![];
        for n in order {
            let i = g[n];
            let l = &self.layers[i];
            let under = format!("layers[{i}].{}", l.variant());
            let ins: Vec<Shape> = inputs_of[i].iter().map(|n| shapes[n].clone()).collect();
            for n in &inputs_of[i] {
                edges.push((n.clone(), l.name().to_string()));
            }
            let out = self
                .layer(l, &ins, &mut layers, &mut ops)
                .map_err(|e| e.under(&under))?;
            shapes.insert(l.name().to_string(), out);
        }
        Ok(Workload {
            name: self.name.clone(),
            layers,
            ops,
            edges,
        })
    }

    /// Validate one layer given its input shapes; push it, return its output shape.
    fn layer(
        &self,
        l: &LayerSpec,
        ins: &[Shape],
        layers: &mut Vec<Layer>,
        ops: &mut Vec<OpLayer>,
    ) -> Result<Shape> {
        let one_input = |what: &str| -> Result<&Shape> {
            match ins {
                [s] => Ok(s),
                _ => Err(Diagnostic::field(
                    "inputs",
                    format!("{what} takes one input, got {}", ins.len()),
                )),
            }
        };
        match l {
            LayerSpec::Gemm(s) => {
                let (m, k, n) = (dim(s.m, "m")?, dim(s.k, "k")?, dim(s.n, "n")?);
                layers.push(Layer::Gemm(Gemm::new(&s.name, m, k, n)));
                Ok(vec![m, n])
            }
            LayerSpec::MatMul(s) => {
                let (b, m, k, n) = (
                    dim(s.batch, "batch")?,
                    dim(s.m, "m")?,
                    dim(s.k, "k")?,
                    dim(s.n, "n")?,
                );
                layers.push(Layer::MatMul(MatMul {
                    name: s.name.clone(),
                    batch: b,
                    m,
                    k,
                    n,
                }));
                Ok(vec![b, m, n])
            }
            LayerSpec::Linear(s) => {
                let out = dim(s.out_features, "out_features")?;
                let (batch, feat) = if ins.is_empty() {
                    let f = s.in_features.ok_or_else(|| {
                        Diagnostic::field("in_features", "needed when the layer has no input")
                    })?;
                    (dim(s.batch.unwrap_or(1), "batch")?, dim(f, "in_features")?)
                } else {
                    let sh = one_input("Linear")?;
                    let feat: u64 = sh[1..].iter().map(|&d| u64::from(d)).product();
                    let feat = u32::try_from(feat)
                        .ok()
                        .filter(|&f| i64::from(f) <= MAX_DIM)
                        .ok_or_else(|| {
                            Diagnostic::field(
                                "input",
                                format!("{} features are too many", shape_str(sh)),
                            )
                        })?;
                    if sh.len() < 2 {
                        return Err(Diagnostic::field(
                            "input",
                            format!(
                                "needs a [N, F] or [N, C, H, W] input, got {}",
                                shape_str(sh)
                            ),
                        ));
                    }
                    if let Some(f) = s.in_features {
                        ensure(i64::from(feat) == f, "in_features", || {
                            format!("is {f} but the input {} has {feat}", shape_str(sh))
                        })?;
                    }
                    (sh[0], feat)
                };
                layers.push(Layer::Gemm(Gemm::new(&s.name, batch, feat, out)));
                Ok(vec![batch, out])
            }
            LayerSpec::Conv2d(s) => {
                let sh: Shape = match (ins, &s.in_shape) {
                    ([], Some(v)) => v
                        .iter()
                        .enumerate()
                        .map(|(j, &d)| dim(d, &format!("in_shape[{j}]")))
                        .collect::<Result<_>>()?,
                    ([], None) => {
                        return Err(Diagnostic::field(
                            "in_shape",
                            "needed when the layer has no input",
                        ))
                    }
                    (_, Some(_)) => {
                        return Err(Diagnostic::field(
                            "in_shape",
                            "give either an input or an in_shape, not both",
                        ))
                    }
                    _ => one_input("Conv2d")?.clone(),
                };
                ensure(sh.len() == 4, "input", || {
                    format!("needs an [N, C, H, W] input, got {}", shape_str(&sh))
                })?;
                let out_channels = dim(s.out_channels, "out_channels")?;
                let kernel = pair(s.kernel, "kernel", 1)?;
                let stride = pair(s.stride, "stride", 1)?;
                let dilation = pair(s.dilation, "dilation", 1)?;
                let pad_begin = pair(s.padding, "padding", 0)?;
                let pad_end = pair(s.padding_end.unwrap_or(s.padding), "padding_end", 0)?;
                let groups = dim(s.groups, "groups")?;
                ensure(
                    sh[1].is_multiple_of(groups) && out_channels.is_multiple_of(groups),
                    "groups",
                    || {
                        format!(
                            "{groups} groups do not divide {} input and {out_channels} output channels",
                            sh[1]
                        )
                    },
                )?;
                let out = |a: usize| {
                    Conv2d::out_size(
                        sh[2 + a],
                        pad_begin[a] + pad_end[a],
                        kernel[a],
                        stride[a],
                        dilation[a],
                    )
                    .ok_or_else(|| {
                        Diagnostic::field(
                            "kernel",
                            format!(
                                "a {}-wide kernel (dilation {}) does not fit the padded input of {}",
                                kernel[a],
                                dilation[a],
                                sh[2 + a] + pad_begin[a] + pad_end[a]
                            ),
                        )
                    })
                };
                let (out_h, out_w) = (out(0)?, out(1)?);
                // the implicit GEMM's rows (batch × output pixels) are counted in 32 bits
                let pixels = u64::from(sh[0]) * u64::from(out_h) * u64::from(out_w);
                ensure(pixels <= u64::from(u32::MAX), "in_shape", || {
                    format!(
                        "batch × output pixels = {}·{out_h}·{out_w} = {pixels} exceeds {}",
                        sh[0],
                        u32::MAX
                    )
                })?;
                layers.push(Layer::Conv2d(Conv2d {
                    name: s.name.clone(),
                    batch: sh[0],
                    in_channels: sh[1],
                    in_h: sh[2],
                    in_w: sh[3],
                    out_channels,
                    kernel,
                    stride,
                    dilation,
                    pad_begin,
                    pad_end,
                    groups,
                    out_h,
                    out_w,
                }));
                Ok(vec![sh[0], out_channels, out_h, out_w])
            }
            LayerSpec::Op(s) => {
                let (shape, ops_count) = op_shape(&s.kind, ins)?;
                ops.push(OpLayer {
                    name: s.name.clone(),
                    kind: s.kind.name().to_string(),
                    ops: ops_count,
                    shape: shape.clone(),
                });
                Ok(shape)
            }
        }
    }
}

fn elements(s: &[u32]) -> u64 {
    s.iter().map(|&d| u64::from(d)).product()
}

/// An operation's output shape and operation count (the rules of [`OpKind`]).
fn op_shape(kind: &OpKind, ins: &[Shape]) -> Result<(Shape, u64)> {
    let one = || -> Result<&Shape> {
        match ins {
            [s] => Ok(s),
            _ => Err(Diagnostic::field(
                "inputs",
                format!("{} takes one input, got {}", kind.name(), ins.len()),
            )),
        }
    };
    let image = |s: &Shape| -> Result<()> {
        ensure(s.len() == 4, "inputs", || {
            format!(
                "{} needs an [N, C, H, W] input, got {}",
                kind.name(),
                shape_str(s)
            )
        })
    };
    match kind {
        OpKind::Relu
        | OpKind::Relu6
        | OpKind::Sigmoid
        | OpKind::Tanh
        | OpKind::Gelu
        | OpKind::HardSwish => {
            let s = one()?.clone();
            let n = elements(&s);
            Ok((s, n))
        }
        OpKind::BatchNorm => {
            let s = one()?.clone();
            let n = 2 * elements(&s);
            Ok((s, n))
        }
        OpKind::Softmax => {
            let s = one()?.clone();
            let n = 3 * elements(&s);
            Ok((s, n))
        }
        OpKind::LayerNorm => {
            let s = one()?.clone();
            let n = 5 * elements(&s);
            Ok((s, n))
        }
        OpKind::Add | OpKind::Mul => match ins {
            [s] => Ok((s.clone(), elements(s))),
            [a, b] => {
                ensure(a == b, "inputs", || {
                    format!(
                        "{} of different shapes {} and {}",
                        kind.name(),
                        shape_str(a),
                        shape_str(b)
                    )
                })?;
                Ok((a.clone(), elements(a)))
            }
            _ => Err(Diagnostic::field(
                "inputs",
                format!("{} takes one or two inputs, got {}", kind.name(), ins.len()),
            )),
        },
        OpKind::MaxPool(p) | OpKind::AvgPool(p) => {
            let s = one()?;
            image(s)?;
            let kernel = pair(p.kernel, "kind.kernel", 1)?;
            let stride = pair(p.stride.unwrap_or(p.kernel), "kind.stride", 1)?;
            let pb = pair(p.padding, "kind.padding", 0)?;
            let pe = pair(p.padding_end.unwrap_or(p.padding), "kind.padding_end", 0)?;
            let out = |a: usize| {
                Conv2d::out_size(s[2 + a], pb[a] + pe[a], kernel[a], stride[a], 1).ok_or_else(
                    || {
                        Diagnostic::field(
                            "kind.kernel",
                            "the pooling window does not fit the input",
                        )
                    },
                )
            };
            let shape = vec![s[0], s[1], out(0)?, out(1)?];
            let n = elements(&shape) * u64::from(kernel[0]) * u64::from(kernel[1]);
            Ok((shape, n))
        }
        OpKind::GlobalAvgPool => {
            let s = one()?;
            image(s)?;
            Ok((vec![s[0], s[1], 1, 1], elements(s)))
        }
        OpKind::Flatten => {
            let s = one()?;
            let rest: u64 = elements(&s[1..]);
            let rest = u32::try_from(rest)
                .map_err(|_| Diagnostic::field("inputs", "too many elements to flatten"))?;
            Ok((vec![s[0], rest], 0))
        }
        OpKind::Concat => {
            ensure(!ins.is_empty(), "inputs", || "Concat needs inputs".into())?;
            let first = &ins[0];
            image(first)?;
            let mut c = 0u64;
            for s in ins {
                ensure(
                    s.len() == 4 && s[0] == first[0] && s[2..] == first[2..],
                    "inputs",
                    || {
                        format!(
                            "Concat along channels needs equal N, H, W: {} and {}",
                            shape_str(first),
                            shape_str(s)
                        )
                    },
                )?;
                c += u64::from(s[1]);
            }
            let c =
                u32::try_from(c).map_err(|_| Diagnostic::field("inputs", "too many channels"))?;
            Ok((vec![first[0], c, first[2], first[3]], 0))
        }
    }
}
