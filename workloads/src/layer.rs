//! Validated layers: the MAC work an accelerator runs ([`Layer`]: GEMM, convolution, batched matrix
//! product) and the operations it does not model ([`OpLayer`]: activations, pooling, element-wise,
//! normalisation), which every report lists with their operation counts.

use serde::{Deserialize, Serialize};

/// A GEMM `C[M×N] = A[M×K] · B[K×N]` (a fully connected layer is one, with M the batch).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gemm {
    pub name: String,
    pub m: u32,
    pub k: u32,
    pub n: u32,
}

impl Gemm {
    pub fn new(name: &str, m: u32, k: u32, n: u32) -> Self {
        Self {
            name: name.into(),
            m,
            k,
            n,
        }
    }
    pub fn macs(&self) -> u64 {
        u64::from(self.m) * u64::from(self.k) * u64::from(self.n)
    }
}

/// `batch` independent GEMMs of the same shape (attention's Q·Kᵀ and A·V, one per head).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MatMul {
    pub name: String,
    pub batch: u32,
    pub m: u32,
    pub k: u32,
    pub n: u32,
}

impl MatMul {
    pub fn macs(&self) -> u64 {
        u64::from(self.batch) * u64::from(self.m) * u64::from(self.k) * u64::from(self.n)
    }
    /// One of the batch's GEMMs.
    pub fn gemm(&self) -> Gemm {
        Gemm::new(&self.name, self.m, self.k, self.n)
    }
}

/// A 2-D convolution over an NCHW-shaped input (the DRAM layout is the accelerator's choice; see
/// `tessera_mapping::layout`). Padding may differ at the two ends of each axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Conv2d {
    pub name: String,
    pub batch: u32,
    pub in_channels: u32,
    pub in_h: u32,
    pub in_w: u32,
    pub out_channels: u32,
    /// (height, width) of the kernel, stride, dilation.
    pub kernel: [u32; 2],
    pub stride: [u32; 2],
    pub dilation: [u32; 2],
    /// Zero padding before (top, left) and after (bottom, right).
    pub pad_begin: [u32; 2],
    pub pad_end: [u32; 2],
    pub groups: u32,
    pub out_h: u32,
    pub out_w: u32,
}

impl Conv2d {
    /// Output size along one axis: `(in + pads - dilation·(kernel-1) - 1) / stride + 1`, or `None`
    /// when the kernel does not fit.
    pub fn out_size(input: u32, pads: u32, kernel: u32, stride: u32, dilation: u32) -> Option<u32> {
        let span = u64::from(dilation) * u64::from(kernel.checked_sub(1)?) + 1;
        let padded = u64::from(input) + u64::from(pads);
        let out = padded.checked_sub(span)? / u64::from(stride) + 1;
        u32::try_from(out).ok()
    }

    /// Input channels per group, output channels per group.
    pub fn group_channels(&self) -> (u32, u32) {
        (
            self.in_channels / self.groups,
            self.out_channels / self.groups,
        )
    }

    /// Multiply-accumulates: batch · OH · OW · out channels · (in channels / groups) · KH · KW.
    pub fn macs(&self) -> u64 {
        u64::from(self.batch)
            * u64::from(self.out_h)
            * u64::from(self.out_w)
            * u64::from(self.out_channels)
            * u64::from(self.in_channels / self.groups)
            * u64::from(self.kernel[0])
            * u64::from(self.kernel[1])
    }

    /// The GEMM one group of this convolution is (explicit im2col): M = batch·OH·OW output pixels,
    /// K = KH·KW·(in channels per group), N = out channels per group. `None` when M or K exceeds
    /// 32 bits (validation refuses such layers).
    pub fn group_gemm(&self) -> Option<Gemm> {
        let (cg, kg) = self.group_channels();
        Some(Gemm::new(
            &self.name,
            self.batch
                .checked_mul(self.out_h)?
                .checked_mul(self.out_w)?,
            self.kernel[0]
                .checked_mul(self.kernel[1])?
                .checked_mul(cg)?,
            kg,
        ))
    }

    /// Whether this is a depthwise convolution (one input and at least one output channel per group).
    pub fn is_depthwise(&self) -> bool {
        self.groups > 1 && self.groups == self.in_channels
    }

    /// Input elements (batch · C · H · W).
    pub fn input_len(&self) -> usize {
        self.batch as usize * self.in_channels as usize * self.in_h as usize * self.in_w as usize
    }

    /// Weight elements (out channels · in channels per group · KH · KW).
    pub fn weight_len(&self) -> usize {
        self.out_channels as usize
            * (self.in_channels / self.groups) as usize
            * self.kernel[0] as usize
            * self.kernel[1] as usize
    }
}

/// A validated layer of MAC work.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    Gemm(Gemm),
    Conv2d(Conv2d),
    MatMul(MatMul),
}

impl Layer {
    pub fn name(&self) -> &str {
        match self {
            Layer::Gemm(g) => &g.name,
            Layer::Conv2d(c) => &c.name,
            Layer::MatMul(m) => &m.name,
        }
    }
    pub fn macs(&self) -> u64 {
        match self {
            Layer::Gemm(g) => g.macs(),
            Layer::Conv2d(c) => c.macs(),
            Layer::MatMul(m) => m.macs(),
        }
    }
    /// The kind's name, as reports print it.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Gemm(_) => "Gemm",
            Layer::Conv2d(c) if c.is_depthwise() => "Conv2d (depthwise)",
            Layer::Conv2d(_) => "Conv2d",
            Layer::MatMul(_) => "MatMul",
        }
    }
    /// A short description of the shape, e.g. `M=37 K=50 N=19` or `3x224x224 -> 64x112x112 k7 s2`.
    pub fn shape(&self) -> String {
        match self {
            Layer::Gemm(g) => format!("M={} K={} N={}", g.m, g.k, g.n),
            Layer::MatMul(m) => format!("{}×(M={} K={} N={})", m.batch, m.m, m.k, m.n),
            Layer::Conv2d(c) => format!(
                "{}x{}x{}x{} -> {}x{}x{} k{}x{} s{}x{}{}{}",
                c.batch,
                c.in_channels,
                c.in_h,
                c.in_w,
                c.out_channels,
                c.out_h,
                c.out_w,
                c.kernel[0],
                c.kernel[1],
                c.stride[0],
                c.stride[1],
                if c.dilation != [1, 1] {
                    format!(" d{}x{}", c.dilation[0], c.dilation[1])
                } else {
                    String::new()
                },
                if c.groups > 1 {
                    format!(" g{}", c.groups)
                } else {
                    String::new()
                }
            ),
        }
    }
}

/// An operation the accelerators do not execute (no MAC work on the array). Every report lists
/// these as "not modelled" with their operation count, so nothing is dropped silently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpLayer {
    pub name: String,
    pub kind: String,
    /// Elementary operations (compares, adds, multiplies, exponentials…), by the rule of
    /// [`crate::spec::OpKind`]'s docs.
    pub ops: u64,
    /// Output tensor shape.
    pub shape: Vec<u32>,
}
