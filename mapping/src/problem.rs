//! A layer as the accelerator runs it: `instances` independent problems of one GEMM shape (one for a
//! GEMM, the batch of a batched matrix product, the groups of a convolution), and for a convolution
//! the geometry its A operand is gathered with (an implicit im2col: docs/TIMING.md, "Gather
//! registers").
//!
//! A convolution group is the GEMM `M = N·OH·OW` output pixels × `K` × `N = out channels per group`.
//! Its K runs over kernel positions and channels, channels innermost:
//! - weight-stationary: a k-slice is `R` channels of one kernel position, so K is
//!   `KH·KW·Cp` with `Cp` = channels per group rounded up to `R` (the extra rows of B are zero, and
//!   the gathered words hold zeros there: they cost array time, not DRAM traffic);
//! - output- and input-stationary: a k-step is one channel of one kernel position (a gathered word
//!   is one k-step of consecutive output pixels), so K is `KH·KW·Cg`.

use crate::nest::Dim;
use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{ensure, Result};
use tessera_workloads::{Conv2d, Gemm, Layer};

/// How a convolution's A operand is gathered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvGeometry {
    pub conv: Conv2d,
    /// Input channels per group.
    pub cg: u32,
    /// Rows of K per kernel position: `Cg` rounded up to `R` (weight-stationary) or `Cg`.
    pub k_per_position: u32,
}

impl ConvGeometry {
    /// The kernel position and channel of row `k` of K: `(kh, kw, c)`.
    pub fn k_position(&self, k: u32) -> (u32, u32, u32) {
        let pos = k / self.k_per_position;
        let c = k % self.k_per_position;
        (pos / self.conv.kernel[1], pos % self.conv.kernel[1], c)
    }

    /// The output pixel `(n, oh, ow)` of row `m` of M.
    pub fn pixel(&self, m: u32) -> (u32, u32, u32) {
        let plane = self.conv.out_h * self.conv.out_w;
        let rest = m % plane;
        (m / plane, rest / self.conv.out_w, rest % self.conv.out_w)
    }

    /// Output rows `oh` whose input row `oh·sh + kh·dh - pt` lies inside the tensor.
    pub fn valid_rows(&self, kh: u32) -> u64 {
        let c = &self.conv;
        valid(
            c.out_h,
            c.stride[0],
            kh * c.dilation[0],
            c.pad_begin[0],
            c.in_h,
        )
    }

    /// Output columns `ow` whose input column lies inside the tensor.
    pub fn valid_cols(&self, kw: u32) -> u64 {
        let c = &self.conv;
        valid(
            c.out_w,
            c.stride[1],
            kw * c.dilation[1],
            c.pad_begin[1],
            c.in_w,
        )
    }

    /// Bytes the gathers of one instance read from DRAM when every (pixel, k) pair is gathered once:
    /// `N · Cg · Σ_kh valid_rows · Σ_kw valid_cols` (padding reads nothing).
    pub fn gathered_bytes(&self) -> u64 {
        let c = &self.conv;
        let rows: u64 = (0..c.kernel[0]).map(|kh| self.valid_rows(kh)).sum();
        let cols: u64 = (0..c.kernel[1]).map(|kw| self.valid_cols(kw)).sum();
        u64::from(c.batch) * u64::from(self.cg) * rows * cols
    }
}

/// How many `o` in `[0, out)` have `0 ≤ o·stride + offset - pad < size`: in closed form, the `o`
/// with `lo ≤ o·stride < hi` for `lo = pad - offset` and `hi = size + pad - offset` (the mapper
/// prices every candidate's gathers, so this is on its hot path).
fn valid(out: u32, stride: u32, offset: u32, pad: u32, size: u32) -> u64 {
    let lo = i64::from(pad) - i64::from(offset);
    let hi = i64::from(size) + lo;
    if hi <= 0 || stride == 0 {
        // every o reads the same input element
        return if lo <= 0 && hi > 0 { out.into() } else { 0 };
    }
    let s = i64::from(stride);
    // the first o with o·s ≥ lo, and one past the last with o·s ≤ hi - 1 (hi - 1 ≥ 0)
    let first = if lo <= 0 { 0 } else { (lo + s - 1) / s };
    let end = ((hi - 1) / s + 1).min(i64::from(out));
    u64::try_from(end - first).unwrap_or(0)
}

/// A layer as independent GEMM-shaped instances (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub name: String,
    /// Independent instances: 1, a batch, or the groups of a convolution.
    pub instances: u32,
    /// One instance's GEMM (for a convolution, its implicit-im2col GEMM).
    pub gemm: Gemm,
    /// A convolution's gather geometry.
    pub conv: Option<ConvGeometry>,
    pub dataflow: Dataflow,
}

/// The largest value a gather register or field holds (16 bits; kernel, stride, dilation and
/// padding 8 bits).
const GATHER_MAX: u32 = u16::MAX as u32;
const WINDOW_MAX: u32 = u8::MAX as u32;

impl Problem {
    /// How `layer` runs on `arch`. Errors when a convolution's sizes do not fit the gather registers.
    pub fn new(layer: &Layer, arch: &Arch) -> Result<Problem> {
        let dataflow = arch.dataflow();
        match layer {
            Layer::Gemm(g) => Ok(Problem {
                name: g.name.clone(),
                instances: 1,
                gemm: g.clone(),
                conv: None,
                dataflow,
            }),
            Layer::MatMul(m) => Ok(Problem {
                name: m.name.clone(),
                instances: m.batch,
                gemm: m.gemm(),
                conv: None,
                dataflow,
            }),
            Layer::Conv2d(c) => {
                for (v, f) in [
                    (c.batch, "batch"),
                    (c.in_h, "in_h"),
                    (c.in_w, "in_w"),
                    (c.in_channels, "in_channels"),
                    (c.out_h, "out_h"),
                    (c.out_w, "out_w"),
                ] {
                    ensure(v <= GATHER_MAX, f, || {
                        format!(
                            "{v} is more than the DMA's 16-bit gather registers hold ({GATHER_MAX})"
                        )
                    })?;
                }
                for (v, f) in [
                    (c.kernel, "kernel"),
                    (c.stride, "stride"),
                    (c.dilation, "dilation"),
                    (c.pad_begin, "pad_begin"),
                ] {
                    ensure(v.iter().all(|&x| x <= WINDOW_MAX), f, || {
                        format!(
                            "{v:?} is more than the DMA's 8-bit window registers hold ({WINDOW_MAX})"
                        )
                    })?;
                }
                let (cg, kg) = c.group_channels();
                let r = arch.rows();
                let k_per_position = match dataflow {
                    Dataflow::OutputStationary
                    | Dataflow::InputStationary
                    | Dataflow::RowStationary => cg,
                    Dataflow::WeightStationary => cg.div_ceil(r) * r,
                };
                let too_big = |what: &str| {
                    tessera_core::diag::Diagnostic::field(
                        "in_shape",
                        format!("the convolution's implicit GEMM has more than 2^32 {what}"),
                    )
                };
                let k = c.kernel[0]
                    .checked_mul(c.kernel[1])
                    .and_then(|x| x.checked_mul(k_per_position))
                    .ok_or_else(|| too_big("rows of K"))?;
                let m = c
                    .batch
                    .checked_mul(c.out_h)
                    .and_then(|x| x.checked_mul(c.out_w))
                    .ok_or_else(|| too_big("output pixels"))?;
                Ok(Problem {
                    name: c.name.clone(),
                    instances: c.groups,
                    gemm: Gemm::new(&c.name, m, k, kg),
                    conv: Some(ConvGeometry {
                        conv: c.clone(),
                        cg,
                        k_per_position,
                    }),
                    dataflow,
                })
            }
        }
    }

    /// The problem of a plain GEMM.
    pub fn gemm(g: &Gemm, arch: &Arch) -> Problem {
        Problem {
            name: g.name.clone(),
            instances: 1,
            gemm: g.clone(),
            conv: None,
            dataflow: arch.dataflow(),
        }
    }

    /// The extents of the nest's dimensions.
    pub fn extent(&self, d: Dim) -> u32 {
        match d {
            Dim::M => self.gemm.m,
            Dim::K => self.gemm.k,
            Dim::N => self.gemm.n,
            Dim::G => self.instances,
        }
    }

    /// Whether `other` is the same work under another name: every field but the layer's names
    /// equal, so every schedule, estimate and simulation of one is the other's (a network's
    /// repeated blocks map once).
    pub fn same_work(&self, other: &Problem) -> bool {
        self.unnamed() == other.unnamed()
    }

    /// The same work with the layer's names left empty (a copy that allocates nothing: a
    /// [`crate::Schedule`] keeps one per candidate mapping).
    pub fn unnamed(&self) -> Problem {
        Problem {
            name: String::new(),
            instances: self.instances,
            gemm: Gemm {
                name: String::new(),
                ..self.gemm
            },
            conv: self.conv.as_ref().map(|c| ConvGeometry {
                conv: Conv2d {
                    name: String::new(),
                    ..c.conv
                },
                ..*c
            }),
            dataflow: self.dataflow,
        }
    }

    /// MAC slots of the layer's useful work (the layer's MACs).
    pub fn macs(&self) -> u64 {
        match &self.conv {
            Some(c) => c.conv.macs(),
            None => u64::from(self.instances) * self.gemm.macs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed form of `valid` equals counting, over small ranges of every argument.
    #[test]
    fn valid_equals_counting() {
        for out in 0..12 {
            for stride in 0..5 {
                for offset in 0..12 {
                    for pad in 0..8 {
                        for size in 0..12 {
                            let counted = (0..out)
                                .filter(|&o| {
                                    let i = i64::from(o) * i64::from(stride) + i64::from(offset)
                                        - i64::from(pad);
                                    i >= 0 && i < i64::from(size)
                                })
                                .count() as u64;
                            assert_eq!(
                                valid(out, stride, offset, pad, size),
                                counted,
                                "{out} {stride} {offset} {pad} {size}"
                            );
                        }
                    }
                }
            }
        }
        // the extremes of the gather registers
        let m = u32::from(u16::MAX);
        assert_eq!(valid(m, 255, 0, 0, m), u64::from(m.div_ceil(255)));
        assert_eq!(valid(m, 1, 255, 0, m), u64::from(m - 255));
    }
}
