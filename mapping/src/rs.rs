//! The lowering of layers onto a row-stationary array (docs/TIMING.md, "Compute unit:
//! row-stationary", its paragraph "In a convolution", and "Gather registers").
//!
//! Which layers: convolutions (groups included), and GEMMs and batched products as a 1×1
//! convolution over an `M×1` image (`OH = M`, `OW = 1`, `K` channels, `N` filters; a batched
//! product's batch elements are its instances, as a convolution's groups are).
//!
//! One pass (one COMPUTE) is: instance `g`, image `n`, output-row block `oh0 .. oh0 + C` (array
//! column `c` is output row `oh0 + c`), output-column tile `ow0 .. ow0 + E`, filter block `k0 ..
//! k0 + B` (block `b` is filter `k0 + b`), one row group of kernel rows, and one channel chunk
//! `c0 .. c0 + q`. Kernel rows split into phases (equal `kh·dh mod sh`: `kh ≡ ph mod sh/g`, `g =
//! gcd(sh, dh)`) and each phase into groups of at most `H_max` consecutive rows `kh0, kh0 + sh/g,
//! …` read through `row_step = dh/g` (`H_max = min(R, ⌊(R-1)/row_step⌋ + 1)`). Steps are `t = kw·q
//! + c`, `T = q·KW ≤ F`. The mapping's fields on a row-stationary array: `tile_m = E` (output
//! columns per pass), `tile_k = q` (channels per pass), `tile_n = B` (filters per pass, at most
//! `⌊R/H⌋` for the tallest row group and at most the smallest chunk's `T`), `keep = Tiles`.
//!
//! Loop nest, outermost first (one COMPUTE per innermost iteration):
//!
//! ```text
//! for instance g; for image n; for output-row block oh0 (C rows); for output-column tile ow0 (E)
//!   for filter block k0 (B filters)                     -- the output tile: E·B accumulator words
//!     for row group (kh0, H); for channel chunk c0 (q channels)
//!       [CONFIG tensor, window when (g, c0) changes]
//!       gather LOAD E·T input words from (n, oh0, ow0, kh0, kw 0, c 0); LOAD T weight words
//!       COMPUTE (len E, T, H, B, row_step), accumulating after the tile's first pass
//!     STORE B runs of E words (block b: filter k0 + b)
//! ```
//!
//! DRAM: the input tensor as the other dataflows' convolutions keep it (`[N][H][W][C]`; a GEMM's
//! A is its `[1][M][1][K]` tensor, one per instance); weights laid out by the host in pass order,
//! `T` words of `R` bytes per (instance, filter block, row group, chunk), byte `r` = filter `k0 +
//! r/H`, kernel row `kh0 + (r mod H)·sh/g`, channel `c0 + c`, column `kw` for `t = kw·q + c` (zero
//! for rows past `B·H` or filters past the layer); outputs as accumulator words `(g, k, n, i, ow)`
//! (`i` the output-row block), lane `c` = output row `i·C + c` (lanes past `OH` hold sums of
//! rows outside the layer, never read back).
//!
//! Program: with one bank in some buffer every pass runs alone (loads; SYNC dma; COMPUTE; SYNC
//! compute; [stores; SYNC dma]); with two or more in every buffer the next pass's loads and the
//! previous output tile's stores run while a pass computes, in the pattern of mapping/src/lower.rs
//! (inputs and weights alternate buffer halves every pass, the accumulator every output tile, and a
//! pass then uses at most one bank of each buffer). Passes never overlap in the array (the
//! contract has no row-stationary overlap).
//!
//! What it leaves out: the input rows shared by the passes of neighbouring row groups and chunks
//! (and the rows of neighbouring row blocks) are gathered again for each pass; the weights of a
//! pass are loaded again for every output tile (no kept panel); a GEMM uses one output column per
//! pass (`E = 1`), so its passes are mostly preload; the mapper's space is a handful of `E`, `q`,
//! `B` values; and the RTL's DMA does not yet gather row-stationary words (`tessera verify` of a
//! lowered layer waits for it).

use crate::mapping::Mapping;
use crate::problem::Problem;
use crate::schedule::{Schedule, Shape, Step, SummaryAcc};
use serde::{Deserialize, Serialize};
use tessera_arch::isa::{Config, GatherPos, RsPass};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};

/// A layer as a row-stationary array runs it: one convolution per instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsGeom {
    /// A GEMM or batched product as a 1×1 convolution over an `M×1` image.
    pub gemm_like: bool,
    pub instances: u32,
    pub batch: u32,
    pub in_h: u32,
    pub in_w: u32,
    /// Channels per pixel of the tensor in DRAM.
    pub cs: u32,
    /// Channels per instance (group), and filters per instance.
    pub cg: u32,
    pub kg: u32,
    pub out_h: u32,
    pub out_w: u32,
    pub kernel: [u32; 2],
    pub stride: [u32; 2],
    pub dilation: [u32; 2],
    pub pad: [u32; 2],
    /// Row groups: (first kernel row, rows).
    pub groups: Vec<(u32, u32)>,
    /// Kernel rows from one row of a group to the next (`sh/g`) and input-word bytes (`dh/g`).
    pub row_period: u32,
    pub row_step: u32,
    /// The array.
    pub rows: u32,
    pub cols: u32,
    pub rf: u32,
}

/// The words one pass may use of a buffer: a bank (its half) when the accelerator double-buffers,
/// else all of it.
fn room(arch: &Arch, b: &tessera_arch::Buffer) -> u32 {
    if arch.double_buffered() {
        b.bank_depth()
    } else {
        b.depth()
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl RsGeom {
    /// The geometry of `p` on the row-stationary `arch`.
    pub fn of(p: &Problem, arch: &Arch) -> RsGeom {
        let (rows, cols, rf) = (arch.rows(), arch.cols(), arch.rf_weights());
        let mut g = match &p.conv {
            Some(cv) => {
                let c = &cv.conv;
                RsGeom {
                    gemm_like: false,
                    instances: p.instances,
                    batch: c.batch,
                    in_h: c.in_h,
                    in_w: c.in_w,
                    cs: c.in_channels,
                    cg: cv.cg,
                    kg: p.gemm.n,
                    out_h: c.out_h,
                    out_w: c.out_w,
                    kernel: c.kernel,
                    stride: c.stride,
                    dilation: c.dilation,
                    pad: c.pad_begin,
                    groups: vec![],
                    row_period: 1,
                    row_step: 1,
                    rows,
                    cols,
                    rf,
                }
            }
            None => RsGeom {
                gemm_like: true,
                instances: p.instances,
                batch: 1,
                in_h: p.gemm.m,
                in_w: 1,
                cs: p.gemm.k,
                cg: p.gemm.k,
                kg: p.gemm.n,
                out_h: p.gemm.m,
                out_w: 1,
                kernel: [1, 1],
                stride: [1, 1],
                dilation: [1, 1],
                pad: [0, 0],
                groups: vec![],
                row_period: 1,
                row_step: 1,
                rows,
                cols,
                rf,
            },
        };
        let (sh, dh) = (g.stride[0].max(1), g.dilation[0].max(1));
        let d = gcd(sh, dh);
        g.row_period = sh / d;
        g.row_step = dh / d;
        let hcap = rows.min((rows - 1) / g.row_step + 1).max(1);
        for ph in 0..g.row_period.min(g.kernel[0]) {
            let n = (g.kernel[0] - ph).div_ceil(g.row_period);
            let mut i = 0;
            while i < n {
                let h = hcap.min(n - i);
                g.groups.push((ph + i * g.row_period, h));
                i += h;
            }
        }
        g
    }

    /// The tallest row group.
    pub fn max_rows(&self) -> u32 {
        self.groups.iter().map(|g| g.1).max().unwrap_or(1)
    }

    /// The smallest chunk's steps under chunks of `q` channels.
    pub fn min_steps(&self, q: u32) -> u32 {
        let q = q.max(1).min(self.cg);
        let last = self.cg - (self.cg.div_ceil(q) - 1) * q;
        last * self.kernel[1]
    }

    /// Output-row blocks of `C` rows.
    pub fn row_blocks(&self) -> u32 {
        self.out_h.div_ceil(self.cols)
    }

    /// Why `m` does not fit, if it does not.
    pub fn check(&self, m: &Mapping, arch: &Arch) -> Result<()> {
        let (e, q, b) = (m.tile_m, m.tile_k, m.tile_n);
        let kw = self.kernel[1];
        // a GEMM's M and K become the tensor's rows and channels (Problem::new bounds a
        // convolution's)
        for (v, what) in [
            (self.in_h, "input rows (a GEMM's M)"),
            (self.cs, "channels (a GEMM's K)"),
            (self.out_h, "output rows"),
        ] {
            if v > u32::from(u16::MAX) {
                return Err(Diagnostic::new(format!(
                    "{v} {what}: more than the 16-bit gather registers hold"
                )));
            }
        }
        if kw > self.rf {
            return Err(Diagnostic::new(format!(
                "a kernel row of {kw} taps does not fit the register file of {} operands (a \
                 row-stationary pass holds at least one channel's kernel row)",
                self.rf
            )));
        }
        if m.keep != crate::Keep::Tiles {
            return Err(Diagnostic::field(
                "keep",
                "a row-stationary array keeps one pass of each operand (Tiles)",
            ));
        }
        if e == 0 || q == 0 || b == 0 {
            return Err(Diagnostic::new(
                "a row-stationary mapping needs tile_m (E), tile_k (q) and tile_n (B) ≥ 1",
            ));
        }
        if q > self.cg {
            return Err(Diagnostic::field(
                "tile_k",
                format!("{q} channels per pass: the layer has {} per group", self.cg),
            ));
        }
        let t = q * kw;
        if t > self.rf {
            return Err(Diagnostic::field(
                "tile_k",
                format!(
                    "{q} channels of {kw} taps are {t} steps: more than the register file's {}",
                    self.rf
                ),
            ));
        }
        let h = self.max_rows();
        if b * h > self.rows {
            return Err(Diagnostic::field(
                "tile_n",
                format!(
                    "{b} filters of {h} kernel rows need {} array rows, the array has {}",
                    b * h,
                    self.rows
                ),
            ));
        }
        let tmin = self.min_steps(q);
        if b > tmin {
            return Err(Diagnostic::field(
                "tile_n",
                format!("{b} filters per pass need at least {b} steps; a pass has {tmin}"),
            ));
        }
        let e = e.min(self.out_w);
        let need = [
            (
                u64::from(e) * u64::from(t),
                room(arch, arch.input()),
                "input",
            ),
            (u64::from(t), room(arch, arch.weight()), "weight"),
            (
                u64::from(e) * u64::from(b),
                room(arch, arch.accumulator()),
                "accumulator",
            ),
        ];
        for (words, depth, what) in need {
            if words > u64::from(depth) {
                return Err(Diagnostic::new(format!(
                    "a pass needs {words} {what} words; the {what} buffer holds {depth}"
                )));
            }
            if words > u64::from(u16::MAX) {
                return Err(Diagnostic::new(format!(
                    "a pass moves {words} {what} words, more than a 16-bit count"
                )));
            }
        }
        Ok(())
    }

    /// The mappings the mapper tries: a handful of `E`, `q` and `B`, each the fullest that fits
    /// the buffers or a power of two below it.
    pub fn space(&self, arch: &Arch) -> Vec<Mapping> {
        let kw = self.kernel[1];
        if kw > self.rf {
            return vec![];
        }
        let vals = |max: u32| -> Vec<u32> {
            let mut v: Vec<u32> = (0..16).map(|i| 1u32 << i).filter(|&x| x < max).collect();
            v.push(max);
            v.dedup();
            v
        };
        let qmax = (self.rf / kw).min(self.cg).max(1);
        let mut out = vec![];
        for q in vals(qmax) {
            let t = q * kw;
            let bmax = (self.rows / self.max_rows())
                .min(self.min_steps(q))
                .min(self.kg)
                .max(1);
            let emax = (room(arch, arch.input()) / t)
                .min(u32::from(u16::MAX) / t)
                .min(self.out_w)
                .max(1);
            for b in vals(bmax) {
                let emax = emax.min(room(arch, arch.accumulator()) / b).max(1);
                for e in vals(emax) {
                    let m = Mapping {
                        tile_m: e,
                        tile_k: q,
                        tile_n: b,
                        keep: crate::Keep::Tiles,
                    };
                    if self.check(&m, arch).is_ok() {
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    /// Weight words of one (instance, filter block) under `B`: every row group's every chunk.
    pub fn weight_words_per_block(&self) -> u32 {
        self.groups.len() as u32 * self.cg * self.kernel[1]
    }

    /// Weight words per instance under blocks of `b` filters.
    pub fn weight_words(&self, b: u32) -> u64 {
        u64::from(self.kg.div_ceil(b.max(1))) * u64::from(self.weight_words_per_block())
    }

    /// Accumulator words of the outputs per instance.
    pub fn out_words(&self) -> u64 {
        u64::from(self.kg)
            * u64::from(self.batch)
            * u64::from(self.row_blocks())
            * u64::from(self.out_w)
    }

    /// The output word of (filter `k`, image `n`, row block `i`, column `ow`) within its
    /// instance.
    pub fn out_word(&self, k: u32, n: u32, i: u32, ow: u32) -> u32 {
        ((k * self.batch + n) * self.row_blocks() + i) * self.out_w + ow
    }

    /// Gathered bytes of one pass: `q` channels times the valid input rows of its words times
    /// its valid (column, kw) pairs.
    fn gathered(&self, st: &RsStep) -> u64 {
        let b = self.rows + self.cols - 1;
        let (sh, dh, pt) = (
            i64::from(self.stride[0]),
            i64::from(self.dilation[0]),
            i64::from(self.pad[0]),
        );
        let ih0 = i64::from(st.oh0) * sh + i64::from(st.kh0) * dh - pt;
        let rows = (0..b)
            .filter(|&j| (0..i64::from(self.in_h)).contains(&(ih0 + i64::from(j) * sh)))
            .count() as u64;
        let mut cols = 0u64;
        for x in 0..st.e {
            for kw in 0..self.kernel[1] {
                let iw = i64::from(st.ow0 + x) * i64::from(self.stride[1])
                    + i64::from(kw * self.dilation[1])
                    - i64::from(self.pad[1]);
                if (0..i64::from(self.in_w)).contains(&iw) {
                    cols += 1;
                }
            }
        }
        u64::from(st.q) * rows * cols
    }
}

/// Where one pass stands and what it is (the row-stationary part of a [`Step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsStep {
    pub pass: RsPass,
    pub n: u32,
    pub oh0: u32,
    pub ow0: u32,
    /// Output columns (`E`) of the pass.
    pub e: u32,
    pub k0: u32,
    pub kh0: u32,
    /// Row group and first channel of the chunk, and its channels.
    pub group: u32,
    pub c0: u32,
    pub q: u32,
    /// The gather registers change before this pass (its CONFIGs are emitted).
    pub new_config: bool,
    /// Bytes its gather reads from DRAM.
    pub gathered: u64,
}

impl RsStep {
    /// The (instance-relative) weight word index of this pass's first word, with blocks of `b`
    /// filters.
    pub fn weight_word(&self, geo: &RsGeom, b: u32) -> u32 {
        let kb = self.k0 / b.max(1);
        (kb * geo.groups.len() as u32 + self.group) * geo.cg * geo.kernel[1]
            + self.c0 * geo.kernel[1]
    }

    /// Its gather's start.
    pub fn gather_pos(&self) -> GatherPos {
        GatherPos {
            n: self.n as u16,
            oh: self.oh0 as u16,
            ow: self.ow0 as u16,
            kh: self.kh0 as u8,
            kw: 0,
            c: 0,
        }
    }
}

impl RsGeom {
    /// The CONFIGs of instance `g`'s chunk at channel `c0` of `q` channels, tensor at `a_base`
    /// with `a_stride` bytes between instances.
    pub fn configs(&self, a_base: u32, a_stride: u32, g: u32, c0: u32, q: u32) -> [Config; 2] {
        [
            Config::Tensor {
                base: a_base + g * a_stride + c0,
                h: self.in_h as u16,
                w: self.in_w as u16,
                cs: self.cs as u16,
                ow: self.out_w as u16,
                oh: self.out_h as u16,
            },
            Config::Window {
                stride: self.stride.map(|v| v as u8),
                dilation: self.dilation.map(|v| v as u8),
                pad: self.pad.map(|v| v as u8),
                kw: self.kernel[1] as u8,
                cg: q as u16,
            },
        ]
    }
}

/// Every pass of `s` in program order (see the module docs).
pub(crate) fn try_for_each_pass(
    s: &Schedule,
    geo: &RsGeom,
    mut f: impl FnMut(&Step) -> std::ops::ControlFlow<()>,
) -> std::ops::ControlFlow<()> {
    let m = &s.mapping;
    let (e_t, q_t, b_t) = (
        m.tile_m.max(1),
        m.tile_k.max(1).min(geo.cg),
        m.tile_n.max(1),
    );
    let kw = geo.kernel[1];
    let (ngroups, nchunks) = (geo.groups.len() as u32, geo.cg.div_ceil(q_t));
    let mut config: Option<(u32, u32)> = None;
    let mut tile = 0u32;
    for g in 0..geo.instances {
        let mut first_of_instance = true;
        for n in 0..geo.batch {
            for i in 0..geo.row_blocks() {
                let oh0 = i * geo.cols;
                for ow0 in (0..geo.out_w).step_by(e_t as usize) {
                    let e = e_t.min(geo.out_w - ow0);
                    for k0 in (0..geo.kg).step_by(b_t as usize) {
                        let b = b_t.min(geo.kg - k0);
                        for (gi, &(kh0, h)) in geo.groups.iter().enumerate() {
                            for ci in 0..nchunks {
                                let c0 = ci * q_t;
                                let q = q_t.min(geo.cg - c0);
                                let t = q * kw;
                                let first = gi == 0 && ci == 0;
                                let last = gi as u32 + 1 == ngroups && ci + 1 == nchunks;
                                let new_config = config != Some((g, c0));
                                config = Some((g, c0));
                                let pass = RsPass {
                                    steps: t as u8,
                                    block_rows: h as u8,
                                    blocks: b as u8,
                                    row_step: if h > 1 { geo.row_step as u8 } else { 0 },
                                };
                                let mut rs = RsStep {
                                    pass,
                                    n,
                                    oh0,
                                    ow0,
                                    e,
                                    k0,
                                    kh0,
                                    group: gi as u32,
                                    c0,
                                    q,
                                    new_config,
                                    gathered: 0,
                                };
                                rs.gathered = geo.gathered(&rs);
                                let shape = Shape {
                                    input_words: e * t,
                                    weight_words: t,
                                    len: e,
                                    accumulate: !first,
                                    new_tile: first,
                                    stream_loaded: true,
                                    input_reads: e * t,
                                    weight_reads: t,
                                    out_words: e * b,
                                    stores: if last { b } else { 0 },
                                    store_words: e,
                                    steps: t,
                                    blocks: b,
                                };
                                let step = Step {
                                    shape,
                                    instance: g,
                                    new_instance: first_of_instance,
                                    m0: 0,
                                    m_size: e,
                                    k0: c0,
                                    n0: k0,
                                    n_slice: 0,
                                    tile_first_slice: tile,
                                    slice_in_tile: 0,
                                    new_tile: first,
                                    in_offset: 0,
                                    w_offset: 0,
                                    rs: Some(rs),
                                };
                                first_of_instance = false;
                                f(&step)?;
                            }
                        }
                        tile += 1;
                    }
                }
            }
        }
    }
    std::ops::ControlFlow::Continue(())
}

/// The totals of every pass (walked: a pass's gathered bytes depend on where it stands).
pub(crate) fn accumulate(s: &Schedule, geo: &RsGeom) -> (SummaryAcc, u64, u64) {
    let mut acc = SummaryAcc::default();
    let (mut configs, mut gathered) = (0u64, 0u64);
    let _ = try_for_each_pass(s, geo, |st| {
        acc.add(&st.shape, 1, s.rows, s.cols);
        let rs = st.rs.expect("a row-stationary step");
        configs += if rs.new_config { 2 } else { 0 };
        gathered += rs.gathered;
        std::ops::ControlFlow::Continue(())
    });
    (acc, configs, gathered)
}

/// Lower `p` onto the row-stationary `arch` with `mapping` (see the module docs): a pass is
/// `[CONFIG ×2]; gather LOAD; LOAD; COMPUTE; [STORE ×B]` with the SYNCs of the single- or
/// double-buffered pattern.
pub fn lower(p: &Problem, arch: &Arch, mapping: &Mapping) -> Result<crate::Lowered> {
    use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
    let geo = RsGeom::of(p, arch);
    geo.check(mapping, arch)?;
    let layout = crate::DramLayout::new(p, arch)?.with_mapping(mapping);
    let schedule = Schedule::new(p, arch, mapping);
    let b_t = mapping.tile_n.max(1);
    // With double buffering (every buffer ≥ 2 banks) the next pass's loads and the previous
    // output tile's stores run while a pass computes, as in mapping/src/lower.rs: input and
    // weights alternate halves every pass, the accumulator every output tile.
    let db = schedule.double_buffered;
    let pong = |b: &tessera_arch::Buffer| if db { b.bank_depth() } else { 0 };
    let (in_pong, w_pong, acc_pong) = (
        pong(arch.input()),
        pong(arch.weight()),
        pong(arch.accumulator()),
    );
    let half = |count: u32, pong: u32| if count % 2 == 1 { pong } else { 0 };
    struct Tile {
        loads: Vec<Instr>,
        compute: Instr,
        stores: Vec<Instr>,
    }
    let mut prog: Vec<Instr> = vec![];
    let mut prev: Option<Tile> = None;
    let mut pending: Vec<Instr> = vec![];
    let (mut passes, mut out_tiles, mut acc_base) = (0u32, 0u32, 0u32);
    schedule.for_each_step(|st| {
        let rs = st.rs.expect("a row-stationary step");
        let sh = st.shape;
        let g = st.instance;
        let (in_base, w_base) = (half(passes, in_pong), half(passes, w_pong));
        passes += 1;
        if st.new_tile {
            acc_base = half(out_tiles, acc_pong);
            out_tiles += 1;
        }
        let mut loads = vec![];
        if rs.new_config {
            loads.extend(
                geo.configs(layout.a_base, layout.a_stride, g, rs.c0, rs.q)
                    .map(Instr::Config),
            );
        }
        loads.push(Instr::Gather {
            target: LoadTarget::Input,
            count: sh.input_words as u16,
            sram_addr: in_base,
            pos: rs.gather_pos(),
        });
        loads.push(Instr::Load {
            target: LoadTarget::Weight,
            count: sh.weight_words as u16,
            dram_addr: layout.rs_weight_addr(g, rs.weight_word(&geo, b_t)),
            sram_addr: w_base,
        });
        let compute = Instr::ComputeRs {
            len: sh.len as u16,
            in_addr: in_base,
            w_addr: w_base,
            out_addr: acc_base,
            accumulate: sh.accumulate,
            pass: rs.pass,
        };
        let stores = (0..sh.stores)
            .map(|b| Instr::Store {
                count: sh.store_words as u16,
                dram_addr: layout
                    .rs_out_addr(g, geo.out_word(rs.k0 + b, rs.n, rs.oh0 / geo.cols, rs.ow0)),
                sram_addr: acc_base + b * sh.store_words,
            })
            .collect::<Vec<_>>();
        let t = Tile {
            loads,
            compute,
            stores,
        };
        if db {
            match prev.take() {
                None => prog.extend(&t.loads),
                Some(q) => {
                    prog.push(q.compute);
                    prog.append(&mut pending);
                    prog.extend(&t.loads);
                    pending = q.stores;
                }
            }
            prog.push(Instr::Sync { mask: unit::DMA });
            prev = Some(t);
        } else {
            prog.extend(&t.loads);
            prog.push(Instr::Sync { mask: unit::DMA });
            prog.push(t.compute);
            prog.push(Instr::Sync {
                mask: unit::COMPUTE,
            });
            if !t.stores.is_empty() {
                prog.extend(&t.stores);
                prog.push(Instr::Sync { mask: unit::DMA });
            }
        }
    });
    if let Some(last) = prev {
        prog.push(last.compute);
        prog.append(&mut pending);
        if !last.stores.is_empty() {
            prog.push(Instr::Sync {
                mask: unit::COMPUTE,
            });
            prog.extend(&last.stores);
        }
    }
    prog.push(Instr::Halt);
    Ok(crate::Lowered {
        program: Program { instrs: prog },
        layout,
        schedule,
    })
}
