//! Where a layer's operands and results live in DRAM, in the word formats of docs/TIMING.md. The
//! layout follows the dataflow, so that every linear LOAD of a [`Step`] is one contiguous run.
//!
//! Per instance (a GEMM has one; a batched product one per batch element, a convolution one per
//! group), with `M×K×N` the instance's GEMM:
//! - A, weight-stationary: `ceil(K/R)` k-slices, each `M` words of `R` bytes (word `(s, m)`, byte `r` =
//!   `A[m][s·R + r]`). Output-stationary: `ceil(M/R)` m-slices, each `K` words of `R` bytes (word
//!   `(i, k)`, byte `r` = `A[i·R + r][k]`: A transposed, a column of the PE rows per word).
//!   Input-stationary: `ceil(M/C)` m-slices, each `K` words of `C` bytes (word `(i, k)`, byte `c` =
//!   `A[i·C + c][k]`: a row of the PE columns per word).
//! - A convolution has no A in DRAM: its input tensor lies there once, as `[N][H][W][C]` (channels
//!   innermost; a group's channels are a run inside each pixel), and the DMA gathers the implicit
//!   im2col from it ([`tessera_arch::gather`]).
//! - B: `ceil(N/C)` n-slices, each `Kb` words of `C` bytes (word `(t, k)`, byte `c` = `B[k][t·C + c]`);
//!   `Kb` is K rounded up to R for weight-stationary (its weight tiles are always R words) and K for
//!   output-stationary. A convolution's B row `k` is kernel position `k / Kp`, channel `k % Kp`
//!   ([`ConvGeometry::k_position`]); rows past the group's channels are zero. Weights are laid out
//!   offline, as a compiler would; activations are not.
//!   Input-stationary: `ceil(K/R)` k-slices, each `N` words of `R` bytes (word `(s, n)`, byte `r` =
//!   `B[s·R + r][n]`: a column of B, fed to the PE rows); rows past K are zero.
//! - C: `ceil(N/C)` n-slices, each `M` words of `C` little-endian accumulator lanes. Input-stationary:
//!   `Q` m-slices, each `N` words of `C` lanes (word `(q, n)`, lane `c` = `out[m][n]` for row `m`
//!   of the slice's lane `c`): `Q = ceil(M/C)` with slice `q` rows `q·C + c`; a convolution's
//!   m-slices never span two output rows (its gathers read one row), so there `Q = N·OH·ceil(OW/C)`
//!   and slice `q` is row `q / ceil(OW/C)`'s pixels `(q mod ceil(OW/C))·C + c` (lanes past the
//!   row's end are never read).
//!
//! Elements past the layer's edge in B and in a linear A are zero, and are real traffic: the DMA
//! moves the zero bytes too, and the models count them. A gather reads only the bytes inside the
//! tensor.

use crate::problem::{ConvGeometry, Problem};
use crate::schedule::Step;
use serde::{Deserialize, Serialize};
use tessera_arch::isa::{Config, GatherPos};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::data::Operands;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramLayout {
    pub dataflow: Dataflow,
    /// One instance's GEMM.
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub instances: u32,
    pub rows: u32,
    pub cols: u32,
    /// Bytes of an input word (R operands), a weight word (C operands) and an accumulator word (C
    /// lanes): the accelerator's, from its datatypes.
    pub in_word_bytes: u32,
    pub w_word_bytes: u32,
    pub acc_word_bytes: u32,
    /// B words per n-slice (input-stationary: per k-slice).
    pub b_words_per_slice: u32,
    /// C words per slice of the outputs: M (weight- and output-stationary) or N (input-stationary).
    pub c_words_per_slice: u32,
    /// Input-stationary convolutions: m-slices per output row, `ceil(OW/C)`.
    pub slices_per_row: u32,
    pub a_base: u32,
    pub b_base: u32,
    pub c_base: u32,
    /// Bytes from one instance's A, B and C to the next's (a convolution's A stride is its group's
    /// channel offset inside each pixel).
    pub a_stride: u32,
    pub b_stride: u32,
    pub c_stride: u32,
    pub conv: Option<ConvGeometry>,
    pub total_bytes: u32,
    /// A row-stationary array's geometry and filters per pass `B` (the weights lie in pass
    /// order, so their image follows the mapping: [`DramLayout::with_mapping`]); the layout of
    /// mapping/src/rs.rs.
    pub rs: Option<crate::rs::RsGeom>,
    pub rs_blocks: u32,
    /// Row-stationary: channels per pass `q` (the chunks' words lie one after another).
    pub rs_chunk: u32,
}

const ALIGN: u64 = 64;

fn align(x: u64) -> u64 {
    x.div_ceil(ALIGN) * ALIGN
}

/// The DRAM regions one after the other, each aligned: A (`a_bytes`) at 0, then `inst` strides of
/// B, then `inst` strides of C. Returns `(a_base, b_base, c_base, total)`, or an error naming
/// `layer` when they pass the 32-bit DRAM address space.
fn regions(
    layer: &str,
    a_bytes: u64,
    b_stride: u64,
    c_stride: u64,
    inst: u64,
) -> Result<(u64, u64, u64, u64)> {
    let a_base = 0;
    let b_base = align(a_base + a_bytes);
    let c_base = align(b_base + b_stride * inst);
    let total = align(c_base + c_stride * inst);
    if total > u64::from(u32::MAX) {
        return Err(Diagnostic::new(format!(
            "layer {layer:?} needs {total} B of DRAM, more than the 32-bit DRAM address space"
        )));
    }
    Ok((a_base, b_base, c_base, total))
}

impl DramLayout {
    pub fn new(p: &Problem, arch: &Arch) -> Result<Self> {
        if arch.dataflow() == Dataflow::RowStationary {
            return Self::new_rs(p, arch);
        }
        let g = &p.gemm;
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let (m, k, n) = (u64::from(g.m), u64::from(g.k), u64::from(g.n));
        let inst = u64::from(p.instances);
        let opb = u64::from(arch.datatypes().operand_bytes());
        let acc_word = u64::from(arch.accumulator().word_bytes());
        let ns = n.div_ceil(c);
        let (a_words, kb) = match arch.dataflow() {
            Dataflow::OutputStationary => (m.div_ceil(r) * k, k),
            Dataflow::WeightStationary => (k.div_ceil(r) * m, k.div_ceil(r) * r),
            Dataflow::InputStationary => (m.div_ceil(c) * k, n),
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
        };
        let in_word = u64::from(arch.input().word_bytes());
        let slices_per_row = match &p.conv {
            Some(cv) => u64::from(cv.conv.out_w).div_ceil(c),
            None => 0,
        };
        // The output's slices and their words, and B's: per n-slice (k rows) or per k-slice (n).
        let (out_slices, c_words_per_slice, b_slices) = match arch.dataflow() {
            Dataflow::InputStationary => {
                let q = match &p.conv {
                    Some(cv) => {
                        u64::from(cv.conv.batch) * u64::from(cv.conv.out_h) * slices_per_row
                    }
                    None => m.div_ceil(c),
                };
                (q, n, k.div_ceil(r))
            }
            _ => (ns, m, ns),
        };
        let (a_stride, a_bytes) = match &p.conv {
            Some(cv) => {
                let t = &cv.conv;
                let tensor = u64::from(t.batch)
                    * u64::from(t.in_h)
                    * u64::from(t.in_w)
                    * u64::from(t.in_channels)
                    * opb;
                (u64::from(cv.cg) * opb, tensor)
            }
            None => {
                let one = align(a_words * in_word);
                (one, one * inst)
            }
        };
        let b_stride = align(b_slices * kb * u64::from(arch.weight().word_bytes()));
        let c_stride = align(out_slices * c_words_per_slice * acc_word);
        let (a_base, b_base, c_base, total) = regions(&g.name, a_bytes, b_stride, c_stride, inst)?;
        Ok(Self {
            dataflow: arch.dataflow(),
            m: g.m,
            k: g.k,
            n: g.n,
            instances: p.instances,
            rows: arch.rows(),
            cols: arch.cols(),
            in_word_bytes: arch.input().word_bytes(),
            w_word_bytes: arch.weight().word_bytes(),
            acc_word_bytes: acc_word as u32,
            b_words_per_slice: kb as u32,
            c_words_per_slice: c_words_per_slice as u32,
            slices_per_row: slices_per_row as u32,
            a_base: a_base as u32,
            b_base: b_base as u32,
            c_base: c_base as u32,
            a_stride: a_stride as u32,
            b_stride: b_stride as u32,
            c_stride: c_stride as u32,
            conv: p.conv.clone(),
            total_bytes: total as u32,
            rs: None,
            rs_blocks: 0,
            rs_chunk: 0,
        })
    }

    /// The row-stationary layout (mapping/src/rs.rs): the input tensor (a GEMM's `A` as its
    /// `[1][M][1][K]` tensor per instance), room for the weights in pass order with one filter per
    /// pass (the most any `B` needs), and the output words `(g, k, n, i, ow)`.
    fn new_rs(p: &Problem, arch: &Arch) -> Result<Self> {
        let geo = crate::rs::RsGeom::of(p, arch);
        let g = &p.gemm;
        let inst = u64::from(p.instances);
        let acc_word = u64::from(arch.accumulator().word_bytes());
        let (a_stride, a_bytes) = if geo.gemm_like {
            let one = align(u64::from(g.m) * u64::from(g.k));
            (one, one * inst)
        } else {
            let t = &p.conv.as_ref().expect("a convolution").conv;
            (
                u64::from(geo.cg),
                u64::from(t.batch)
                    * u64::from(t.in_h)
                    * u64::from(t.in_w)
                    * u64::from(t.in_channels),
            )
        };
        let b_stride = align(geo.weight_words(1) * u64::from(arch.weight().word_bytes()));
        let c_stride = align(geo.out_words() * acc_word);
        let (a_base, b_base, c_base, total) = regions(&g.name, a_bytes, b_stride, c_stride, inst)?;
        Ok(Self {
            dataflow: arch.dataflow(),
            m: g.m,
            k: g.k,
            n: g.n,
            instances: p.instances,
            rows: arch.rows(),
            cols: arch.cols(),
            in_word_bytes: arch.input().word_bytes(),
            w_word_bytes: arch.weight().word_bytes(),
            acc_word_bytes: acc_word as u32,
            b_words_per_slice: 0,
            c_words_per_slice: 0,
            slices_per_row: 0,
            a_base: a_base as u32,
            b_base: b_base as u32,
            c_base: c_base as u32,
            a_stride: a_stride as u32,
            b_stride: b_stride as u32,
            c_stride: c_stride as u32,
            conv: p.conv.clone(),
            total_bytes: total as u32,
            rs: Some(geo),
            rs_blocks: 1,
            rs_chunk: 1,
        })
    }

    /// The layout with the weights in the pass order of `mapping` (row-stationary: `B` filters per
    /// pass); the same layout on the other arrays.
    pub fn with_mapping(mut self, mapping: &crate::Mapping) -> Self {
        if self.rs.is_some() {
            self.rs_blocks = mapping.tile_n.max(1);
            self.rs_chunk = mapping.tile_k.max(1);
        }
        self
    }

    /// Row-stationary: the byte address of instance `g`'s weight word `w`.
    pub fn rs_weight_addr(&self, g: u32, w: u32) -> u32 {
        self.b_base + g * self.b_stride + w * self.w_word_bytes
    }

    /// Row-stationary: the byte address of instance `g`'s output word `w`.
    pub fn rs_out_addr(&self, g: u32, w: u32) -> u32 {
        self.c_base + g * self.c_stride + w * self.acc_word_bytes
    }

    /// A word index of (row `m`, depth `k`): the word holding `A[m][k]`, and the byte within it.
    fn a_word(&self, m: u32, k: u32) -> (u32, u32) {
        match self.dataflow {
            Dataflow::OutputStationary => ((m / self.rows) * self.k + k, m % self.rows),
            Dataflow::WeightStationary => ((k / self.rows) * self.m + m, k % self.rows),
            Dataflow::InputStationary => ((m / self.cols) * self.k + k, m % self.cols),
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
        }
    }

    /// Byte address of the first A word a (linear) step loads.
    pub fn a_addr(&self, s: &Step) -> u32 {
        let (w, _) = self.a_word(s.m0, s.k0);
        self.a_base + s.instance * self.a_stride + w * self.in_word_bytes
    }

    /// Where a convolution step's gather starts: its first output pixel and k-step.
    pub fn gather_pos(&self, s: &Step) -> GatherPos {
        let cv = self.conv.as_ref().expect("a convolution's layout");
        let (n, oh, ow) = cv.pixel(s.m0);
        let (kh, kw, c) = cv.k_position(s.k0);
        // Problem::new bounds every coordinate to its field.
        GatherPos {
            n: n as u16,
            oh: oh as u16,
            ow: ow as u16,
            kh: kh as u8,
            kw: kw as u8,
            c: c as u16,
        }
    }

    /// The CONFIGs that set the gather registers for `instance` (a group): the tensor at the
    /// group's first channel, and the window.
    pub fn configs(&self, instance: u32) -> [Config; 2] {
        let cv = self.conv.as_ref().expect("a convolution's layout");
        let t = &cv.conv;
        // Problem::new bounds every value to its field.
        [
            Config::Tensor {
                base: self.a_base + instance * self.a_stride,
                h: t.in_h as u16,
                w: t.in_w as u16,
                cs: t.in_channels as u16,
                ow: t.out_w as u16,
                oh: t.out_h as u16,
            },
            Config::Window {
                stride: t.stride.map(|v| v as u8),
                dilation: t.dilation.map(|v| v as u8),
                pad: t.pad_begin.map(|v| v as u8),
                kw: t.kernel[1] as u8,
                cg: cv.cg as u16,
            },
        ]
    }

    /// Byte address of the first B word a step loads.
    pub fn b_addr(&self, s: &Step) -> u32 {
        let word = match self.dataflow {
            Dataflow::InputStationary => (s.k0 / self.rows) * self.b_words_per_slice + s.n0,
            _ => s.n_slice * self.b_words_per_slice + s.k0,
        };
        self.b_base + s.instance * self.b_stride + word * self.w_word_bytes
    }

    /// Byte address of C's word for `instance`, slice `t`, word `x` of the slice: n-slice `t`, row
    /// `x` of M; on an input-stationary array m-slice `t`, column `x` of N.
    pub fn c_addr(&self, instance: u32, t: u32, x: u32) -> u32 {
        self.c_base
            + instance * self.c_stride
            + (t * self.c_words_per_slice + x) * self.acc_word_bytes
    }

    /// Byte address of the first C word of the `dt`-th STORE after step `s` (one per slice of its
    /// output tile).
    pub fn store_addr(&self, s: &Step, dt: u32) -> u32 {
        let x = match self.dataflow {
            Dataflow::InputStationary => s.n0,
            _ => s.m0,
        };
        self.c_addr(s.instance, s.tile_first_slice + dt, x)
    }

    /// The initial DRAM image: the operands in place, C zero. (Operands are int8 here, as the
    /// functional model is; the addresses follow the word widths.) Panics if the operands are not
    /// this layer's (a caller's bug).
    pub fn image(&self, ops: &Operands) -> Vec<u8> {
        if let Some(geo) = &self.rs {
            return self.image_rs(geo, ops);
        }
        let mut img = vec![0u8; self.total_bytes as usize];
        match (ops, &self.conv) {
            (Operands::Conv { x, w }, Some(cv)) => {
                let t = &cv.conv;
                let (n, ci, h, wi) = (
                    t.batch as usize,
                    t.in_channels as usize,
                    t.in_h as usize,
                    t.in_w as usize,
                );
                assert_eq!(x.len(), n * ci * h * wi, "input tensor length");
                let a = self.a_base as usize;
                for b in 0..n {
                    for ch in 0..ci {
                        for y in 0..h {
                            for xx in 0..wi {
                                img[a + ((b * h + y) * wi + xx) * ci + ch] =
                                    x[((b * ci + ch) * h + y) * wi + xx] as u8;
                            }
                        }
                    }
                }
                let (cg, kg) = t.group_channels();
                let [kh, kw] = t.kernel;
                assert_eq!(w.len(), t.weight_len(), "weight tensor length");
                for g in 0..self.instances {
                    for kk in 0..self.k {
                        let (y, xx, ch) = cv.k_position(kk);
                        if ch >= cg {
                            continue;
                        }
                        for nn in 0..self.n {
                            let oc = g * kg + nn;
                            let v = w[(((oc * cg + ch) * kh + y) * kw + xx) as usize];
                            img[self.b_byte(g, kk, nn)] = v as u8;
                        }
                    }
                }
            }
            (Operands::Gemm(pairs), None) => {
                assert_eq!(
                    pairs.len(),
                    self.instances as usize,
                    "one (A, B) per instance"
                );
                let (m, k, n) = (self.m as usize, self.k as usize, self.n as usize);
                for (g, (a, b)) in pairs.iter().enumerate() {
                    assert_eq!(a.len(), m * k);
                    assert_eq!(b.len(), k * n);
                    let base = (self.a_base + g as u32 * self.a_stride) as usize;
                    for mi in 0..m {
                        for kk in 0..k {
                            let (wd, byte) = self.a_word(mi as u32, kk as u32);
                            img[base + (wd * self.in_word_bytes + byte) as usize] =
                                a[mi * k + kk] as u8;
                        }
                    }
                    for kk in 0..k {
                        for nn in 0..n {
                            img[self.b_byte(g as u32, kk as u32, nn as u32)] = b[kk * n + nn] as u8;
                        }
                    }
                }
            }
            _ => panic!("operands of another kind of layer"),
        }
        img
    }

    /// The byte of `B[k][n]` of `instance`.
    fn b_byte(&self, instance: u32, k: u32, n: u32) -> usize {
        let (word, byte) = match self.dataflow {
            Dataflow::InputStationary => {
                ((k / self.rows) * self.b_words_per_slice + n, k % self.rows)
            }
            _ => ((n / self.cols) * self.b_words_per_slice + k, n % self.cols),
        };
        (self.b_base + instance * self.b_stride + word * self.w_word_bytes + byte) as usize
    }

    /// Where `out[m][n]` lies among the C words: (slice, word in the slice, lane).
    fn c_place(&self, m: u32, n: u32) -> (u32, u32, u32) {
        let c = self.cols;
        match self.dataflow {
            Dataflow::InputStationary => match &self.conv {
                Some(cv) => {
                    let ow = cv.conv.out_w;
                    let (row, x) = (m / ow, m % ow);
                    (row * self.slices_per_row + x / c, n, x % c)
                }
                None => (m / c, n, m % c),
            },
            _ => (n / c, m, n % c),
        }
    }

    /// Reference results ([`tessera_workloads::exec::run`], exact int32 sums) as the output lanes
    /// hold them: each wrapped to the accumulator's width and sign-extended (the identity for
    /// 32-bit accumulators), comparable with [`DramLayout::read_output`].
    pub fn stored(&self, mut values: Vec<i32>) -> Vec<i32> {
        let shift = 32 - 8 * (self.acc_word_bytes / self.cols);
        for v in &mut values {
            *v = v.wrapping_shl(shift).wrapping_shr(shift);
        }
        values
    }

    /// The results out of a final DRAM image, in the reference's layout
    /// ([`tessera_workloads::exec::run`]): per instance `M×N` row-major for a GEMM or batched
    /// product; `[N][O][OH][OW]` for a convolution; each lane sign-extended from the accumulator's
    /// width.
    pub fn read_output(&self, img: &[u8]) -> Vec<i32> {
        if let Some(geo) = &self.rs {
            return self.read_output_rs(geo, img);
        }
        let (m, n, c) = (self.m as usize, self.n as usize, self.cols as usize);
        let lane = self.acc_word_bytes as usize / c;
        let at = |g: usize, mi: usize, nn: usize| {
            let (t, x, l) = self.c_place(mi as u32, nn as u32);
            let a = self.c_addr(g as u32, t, x) as usize + lane * l as usize;
            // the lane's bytes, little-endian, sign-extended from its width
            let mut b = [0u8; 4];
            b[4 - lane..].copy_from_slice(&img[a..a + lane]);
            i32::from_le_bytes(b) >> (8 * (4 - lane))
        };
        let inst = self.instances as usize;
        let mut out = vec![0i32; inst * m * n];
        match &self.conv {
            Some(cv) => {
                // m = (b·OH + y)·OW + x; channel g·N + nn
                let t = &cv.conv;
                let (o, plane) = (t.out_channels as usize, (t.out_h * t.out_w) as usize);
                for g in 0..inst {
                    for mi in 0..m {
                        let (b, p) = (mi / plane, mi % plane);
                        for nn in 0..n {
                            out[(b * o + g * n + nn) * plane + p] = at(g, mi, nn);
                        }
                    }
                }
            }
            None => {
                for g in 0..inst {
                    for mi in 0..m {
                        for nn in 0..n {
                            out[(g * m + mi) * n + nn] = at(g, mi, nn);
                        }
                    }
                }
            }
        }
        out
    }
}

impl DramLayout {
    /// The row-stationary image: the tensor (or each instance's `A`), the weights in pass order
    /// for `B = rs_blocks` filters per pass (mapping/src/rs.rs), C zero.
    fn image_rs(&self, geo: &crate::rs::RsGeom, ops: &Operands) -> Vec<u8> {
        let mut img = vec![0u8; self.total_bytes as usize];
        // w(g, k, c, kh, kw): filter k of instance g
        let weights: Vec<i8>;
        let wt = |w: &[i8], g: u32, k: u32, c: u32, kh: u32, kw: u32| -> i8 {
            let oc = g * geo.kg + k;
            w[(((oc * geo.cg + c) * geo.kernel[0] + kh) * geo.kernel[1] + kw) as usize]
        };
        match (ops, geo.gemm_like) {
            (Operands::Conv { x, w }, false) => {
                let t = &self.conv.as_ref().expect("a convolution").conv;
                let (n, ci, h, wi) = (
                    t.batch as usize,
                    t.in_channels as usize,
                    t.in_h as usize,
                    t.in_w as usize,
                );
                assert_eq!(x.len(), n * ci * h * wi, "input tensor length");
                let a = self.a_base as usize;
                for b in 0..n {
                    for ch in 0..ci {
                        for y in 0..h {
                            for xx in 0..wi {
                                img[a + ((b * h + y) * wi + xx) * ci + ch] =
                                    x[((b * ci + ch) * h + y) * wi + xx] as u8;
                            }
                        }
                    }
                }
                assert_eq!(w.len(), t.weight_len(), "weight tensor length");
                weights = w.clone();
            }
            (Operands::Gemm(pairs), true) => {
                assert_eq!(
                    pairs.len(),
                    self.instances as usize,
                    "one (A, B) per instance"
                );
                let (m, k, n) = (self.m as usize, self.k as usize, self.n as usize);
                // B[k][n] of instance g as filter n's channel k: w[(g·N + n)·K + k]
                let mut w = vec![0i8; pairs.len() * n * k];
                for (g, (a, b)) in pairs.iter().enumerate() {
                    assert_eq!(a.len(), m * k);
                    assert_eq!(b.len(), k * n);
                    let base = (self.a_base + g as u32 * self.a_stride) as usize;
                    for (i, v) in a.iter().enumerate() {
                        img[base + i] = *v as u8;
                    }
                    for kk in 0..k {
                        for nn in 0..n {
                            w[(g * n + nn) * k + kk] = b[kk * n + nn];
                        }
                    }
                }
                weights = w;
            }
            _ => panic!("operands of another kind of layer"),
        }
        let b = self.rs_blocks.max(1);
        let (kw_n, period) = (geo.kernel[1], geo.row_period);
        for g in 0..self.instances {
            for k0 in (0..geo.kg).step_by(b as usize) {
                let blocks = b.min(geo.kg - k0);
                for (gi, &(kh0, h)) in geo.groups.iter().enumerate() {
                    for r in 0..blocks * h {
                        let (blk, row) = (r / h, r % h);
                        let kh = kh0 + row * period;
                        for c in 0..geo.cg {
                            for kw in 0..kw_n {
                                let v = wt(&weights, g, k0 + blk, c, kh, kw);
                                let wd = self.rs_word_of(geo, k0 / b, gi as u32, c, kw);
                                img[(self.rs_weight_addr(g, wd) + r) as usize] = v as u8;
                            }
                        }
                    }
                }
            }
        }
        img
    }

    /// Row-stationary: instance-relative weight word of (filter block `kb`, row group `gi`,
    /// channel `c`, column `kw`) with chunks of `q = tile_k`: chunk `c0 = c - c mod q` starts at
    /// word `c0·KW`, and its word `t = kw·q' + (c - c0)` (`q'` the chunk's channels).
    fn rs_word_of(&self, geo: &crate::rs::RsGeom, kb: u32, gi: u32, c: u32, kw: u32) -> u32 {
        let q = self.rs_chunk.max(1).min(geo.cg);
        let c0 = c - c % q;
        let qq = q.min(geo.cg - c0);
        (kb * geo.groups.len() as u32 + gi) * geo.cg * geo.kernel[1]
            + c0 * geo.kernel[1]
            + kw * qq
            + (c - c0)
    }

    /// Row-stationary outputs in the reference's layout.
    fn read_output_rs(&self, geo: &crate::rs::RsGeom, img: &[u8]) -> Vec<i32> {
        let c = self.cols;
        let lane = self.acc_word_bytes as usize / c as usize;
        let at = |g: u32, k: u32, n: u32, oh: u32, ow: u32| {
            let w = geo.out_word(k, n, oh / c, ow);
            let a = (self.rs_out_addr(g, w) + lane as u32 * (oh % c)) as usize;
            let mut b = [0u8; 4];
            b[4 - lane..].copy_from_slice(&img[a..a + lane]);
            i32::from_le_bytes(b) >> (8 * (4 - lane))
        };
        let mut out = vec![];
        if geo.gemm_like {
            // per instance M×N row-major
            for g in 0..self.instances {
                for m in 0..self.m {
                    for n in 0..self.n {
                        out.push(at(g, n, 0, m, 0));
                    }
                }
            }
        } else {
            // [N][O][OH][OW], channel g·Kg + k
            for n in 0..geo.batch {
                for g in 0..self.instances {
                    for k in 0..geo.kg {
                        for oh in 0..geo.out_h {
                            for ow in 0..geo.out_w {
                                out.push(at(g, k, n, oh, ow));
                            }
                        }
                    }
                }
            }
        }
        out
    }
}
