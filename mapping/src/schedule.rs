//! The schedule: the one place where a (layer, accelerator, mapping) becomes a sequence of tiles.
//!
//! Weight- and output-stationary arrays use the same loop nest, outermost first (a COMPUTE per
//! innermost iteration):
//!
//! ```text
//! for instance  (the layer's independent GEMMs: 1, a batch, or a convolution's groups)
//!   [for output row (OW pixels of M) -- output-stationary convolutions only: an m-tile never
//!                                       spans two output rows, as its gather reads one row]
//!   for m-tile    (tile_m rows of M)           -- WS: tile_m streamed rows;  OS: R rows, one per PE row
//!     for n-tile  (tile_n columns of N)        -- the output tile the accumulator keeps
//!       for k-tile (tile_k of K)               -- WS: R, one per PE row;      OS: tile_k streamed steps
//!         for n-slice (C columns of the n-tile)
//!           COMPUTE: acc[n-slice] (+)= A[m-tile, k-tile] · B[k-tile, n-slice]
//!       STORE the n-tile's accumulator words, one STORE per n-slice
//! ```
//!
//! An input-stationary array runs the weight-stationary nest of the transposed product
//! `out^T = B^T · A^T`: M and N swap places, B is the streamed operand and A the stationary one.
//!
//! ```text
//! for instance
//!   [for output row (OW pixels of M) -- convolutions: an m-slice never spans two output rows]
//!   for n-tile    (tile_n columns of N)        -- streamed, one column of B per cycle
//!     for m-tile  (tile_m rows of M)           -- the output tile the accumulator keeps
//!       for k-tile (R of K, one per PE row)
//!         for m-slice (C rows of the m-tile, one per PE column)
//!           COMPUTE: acc[m-slice] (+)= (A[m-slice, k-tile] · B[k-tile, n-tile])^T
//!     STORE the m-tile's accumulator words, one STORE per m-slice
//! ```
//!
//! A mapping that keeps a panel ([`Keep`], mapping/src/mapping.rs) orders the two tile loops as
//! [`Keep::tile_order`] says: `InputPanel` keeps the m-tile loop outside the n-tile loop (the
//! natural order on weight- and output-stationary arrays, the other one on input-stationary
//! ones), `WeightPanel` the n-tile loop outside. The kept operand's slices are then loaded only in
//! the inner tile loop's first iteration, into a region of the buffer that holds every k-tile's
//! slices (at [`Step::in_offset`] / [`Step::w_offset`]), and reused in its later iterations.
//!
//! What each tile moves is a function of where it stands in the nest ([`Class`]es), written once per
//! dataflow in [`Schedule::shape`]: the slice of the streamed operand (A; B on an input-stationary
//! array) is loaded at the first slice of each k-tile and reused by the others, a slice of the
//! other operand is loaded for every COMPUTE, the first k-tile of an output tile
//! writes the accumulators and later ones accumulate, and the last k-tile's last n-slice is followed by
//! the stores. A convolution's A slice is gathered from the input tensor (an implicit im2col,
//! docs/TIMING.md), after two CONFIGs at the start of each instance. Everything else derives from this:
//! - [`Schedule::for_each_step`] walks the tiles in order with their coordinates (the lowering emits
//!   the program from it, the analytical model times it);
//! - [`Schedule::summary`] sums the shapes in closed form over the nest's classes: instructions,
//!   words moved per buffer, bytes read from DRAM, MACs — the analytical model's access counts and
//!   the search's cost bound.
//!
//! A row-stationary array's passes are not this nest: [`Schedule::for_each_step`] and
//! [`Schedule::summary`] walk the passes of mapping/src/rs.rs instead
//! (every pass, not in closed form: a pass's gathered bytes depend on where it stands), each a
//! [`Step`] with its [`crate::rs::RsStep`] and a [`Shape`] whose `steps` and `blocks` are the pass's.
//!
//! Reuse captured: a streamed slice across the slices of an output tile, a partial sum across the
//! k-tiles (it never leaves the accumulator), the stationary operand across the stream (WS: the
//! weight tile across `tile_m` rows; IS: the input tile across `tile_n` columns of B; OS: the
//! output tile across `tile_k` steps), and with a kept panel A across the n-tiles or B across the
//! m-tiles. Not captured (later mappings): a panel of each operand at once, loop orders that put
//! the k-tiles outside an output tile (partial sums would leave the accumulator), and
//! the overlap of a convolution's windows between k-tiles (each (pixel, kernel position) pair is
//! gathered from DRAM on its own: the input's reuse across kernel positions happens in DRAM reads,
//! not in the buffer).

use crate::mapping::{Keep, Mapping};
use crate::nest::{Class, Dim, Fold, Loop, Memo, Nest, Pos, Tree};
use crate::problem::Problem;
use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};

/// Loop positions in the nest, counted from the innermost (the outer loops vary by problem): the
/// two tile loops (m-tiles and n-tiles in the order [`Keep::tile_order`] gives), the k-tile and
/// the slice (an n-slice; an m-slice on an input-stationary array).
const OUTER_TILE: usize = 4;
const INNER_TILE: usize = 3;
const K_TILE: usize = 2;
const N_SLICE: usize = 1;

/// What one tile (one COMPUTE with its transfers) moves and computes. A function of the loop
/// classes alone, so it sums in closed form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Words loaded into the input buffer before the COMPUTE (0: the resident A slice is reused).
    pub input_words: u32,
    /// Words loaded into the weight buffer before the COMPUTE (0: the resident B slice is reused).
    pub weight_words: u32,
    /// Words the COMPUTE streams (its `len` field).
    pub len: u32,
    /// Whether the COMPUTE adds to the accumulator words (else it overwrites them).
    pub accumulate: bool,
    /// The first COMPUTE of an output tile (its k-tile's and slice's first).
    pub new_tile: bool,
    /// A slice of an operand the COMPUTE streams was loaded for it: A, or B on an
    /// input-stationary array (where it is the weight buffer's); A or B on an output-stationary
    /// array, which streams both.
    pub stream_loaded: bool,
    /// Input-buffer words the COMPUTE reads.
    pub input_reads: u32,
    /// Weight-buffer words the COMPUTE reads.
    pub weight_reads: u32,
    /// Accumulator words the COMPUTE writes (and, when accumulating, reads first).
    pub out_words: u32,
    /// STOREs after the COMPUTE (one per n-slice of the output tile, on its last tile).
    pub stores: u32,
    /// Words per STORE.
    pub store_words: u32,
    /// A row-stationary pass's steps `T` and blocks `B` (0 on the other arrays): its busy length
    /// is `T·(E + 1) + B + 2` with `E` = `len`, and it makes `E·T` steps.
    pub steps: u32,
    pub blocks: u32,
}

impl Shape {
    /// LOADs before the COMPUTE.
    pub fn loads(&self) -> u32 {
        u32::from(self.input_words > 0) + u32::from(self.weight_words > 0)
    }

    /// What must wait for the previous tile when it starts an output tile: the previous output
    /// tile's stores follow this COMPUTE, and they read what the previous tile's drain writes, so
    /// they need it done (`SYNC prev_compute`).
    pub fn waits_prev_compute(&self) -> bool {
        self.new_tile
    }

    /// What must wait for the previous tile when it loaded a slice of a streamed operand: the
    /// next tile's loads may rewrite the half the previous tile streamed from, which only its
    /// stream reads, so they need its stream over (`SYNC prev_stream`).
    pub fn waits_prev_stream(&self) -> bool {
        self.stream_loaded
    }

    /// The SYNC the lowering puts after this tile's COMPUTE on an array that overlaps COMPUTEs
    /// (mapping/src/lower.rs), if any: `prev_compute` when the tile starts an output tile (it
    /// orders the stream reads too), else `prev_stream` when it loaded a slice of a streamed
    /// operand. With one tile of each operand kept, an output tile's first tile always loads a
    /// streamed slice; with a kept panel of it it may not.
    pub fn prev_sync(&self) -> Option<PrevSync> {
        if self.waits_prev_compute() {
            Some(PrevSync::Compute)
        } else if self.waits_prev_stream() {
            Some(PrevSync::Stream)
        } else {
            None
        }
    }

    /// Whether, on an array that overlaps COMPUTEs, some SYNC follows this tile's COMPUTE
    /// ([`Shape::prev_sync`]): what the program's length counts.
    pub fn orders_prev(&self) -> bool {
        self.prev_sync().is_some()
    }
}

/// The SYNC after a COMPUTE on an array that overlaps COMPUTEs ([`Shape::prev_sync`],
/// docs/TIMING.md, "double-buffered weights" and "double-buffered sums").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrevSync {
    /// `SYNC prev_stream`: every COMPUTE but the last has read its streamed words.
    Stream,
    /// `SYNC prev_compute`: every COMPUTE but the last has completed.
    Compute,
}

impl PrevSync {
    /// The SYNC's mask ([`tessera_arch::isa::unit`]).
    pub fn mask(self) -> u8 {
        match self {
            PrevSync::Stream => tessera_arch::isa::unit::PREV_STREAM,
            PrevSync::Compute => tessera_arch::isa::unit::PREV_COMPUTE,
        }
    }
}

/// One tile in program order: its shape and where it sits in the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub shape: Shape,
    /// The instance (batch element or group) the tile belongs to.
    pub instance: u32,
    /// First tile of its instance (a convolution's CONFIGs come before its loads).
    pub new_instance: bool,
    /// First row of M of the tile (on an input-stationary array: of its m-slice).
    pub m0: u32,
    /// Rows of M in the tile (may be a remainder; input-stationary: in its m-slice).
    pub m_size: u32,
    /// First element of K of the tile.
    pub k0: u32,
    /// First column of N of the tile: its n-slice's (weight- and output-stationary) or its
    /// streamed n-tile's (input-stationary).
    pub n0: u32,
    /// The slice (C columns of the array) this COMPUTE produces: an n-slice of N, or on an
    /// input-stationary array an m-slice of M, numbered as the DRAM layout numbers them
    /// ([`Schedule::m_slice`]).
    pub n_slice: u32,
    /// The first slice of the output tile, and this one's index within it.
    pub tile_first_slice: u32,
    pub slice_in_tile: u32,
    /// First COMPUTE of a new output tile (the accumulator half changes).
    pub new_tile: bool,
    /// Word offsets of the input and weight slices this COMPUTE reads (and its loads write) within
    /// the operand's current region: 0 unless the mapping keeps a panel of the operand, whose
    /// region then holds every k-tile's slices ([`Keep`]). A load at offset 0 starts a new region
    /// (the lowering alternates the buffer's halves).
    pub in_offset: u32,
    pub w_offset: u32,
    /// A row-stationary pass's place and fields (mapping/src/rs.rs); `None` on the other arrays.
    pub rs: Option<crate::rs::RsStep>,
}

/// CONFIG instructions at the start of each instance of a convolution (the tensor and the window).
pub const CONFIGS_PER_INSTANCE: u32 = 2;

impl Step {
    /// CONFIGs the lowering emits before this tile's loads.
    pub fn configs(&self, conv: bool) -> u32 {
        if let Some(rs) = &self.rs {
            return if rs.new_config {
                CONFIGS_PER_INSTANCE
            } else {
                0
            };
        }
        if conv && self.new_instance {
            CONFIGS_PER_INSTANCE
        } else {
            0
        }
    }
}

/// Totals over every tile of a schedule, in closed form. Counts of words and instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// COMPUTEs (tiles).
    pub steps: u64,
    pub input_loads: u64,
    pub input_words: u64,
    pub weight_loads: u64,
    pub weight_words: u64,
    pub stores: u64,
    /// Words stored (over all STOREs).
    pub store_words: u64,
    /// Tiles followed by STOREs (= output tiles).
    pub steps_with_stores: u64,
    /// Σ len over the COMPUTEs: the words they stream; on a row-stationary array, whose pass
    /// streams `len·T` words, the outputs the passes capture (`E` = `len` each).
    pub stream_words: u64,
    pub input_reads: u64,
    pub weight_reads: u64,
    pub out_writes: u64,
    /// Accumulator words read by accumulating COMPUTEs.
    pub accumulate_reads: u64,
    /// MAC slots the array spends: R·C per streamed word.
    pub array_macs: u64,
    /// Tiles a `SYNC prev_compute` or `SYNC prev_stream` follows when COMPUTEs overlap
    /// ([`Shape::prev_sync`]).
    pub ordering_tiles: u64,
    /// CONFIG instructions.
    pub configs: u64,
    /// Bytes the input loads read from DRAM: every byte of every word for a linear load; for a
    /// gather, the bytes inside the tensor (padding and the rows past a group's channels read
    /// nothing).
    pub input_dram_bytes: u64,
    /// Instructions of the lowered program (with its CONFIGs, SYNCs and the HALT).
    pub program_len: u64,
}

/// The index in [`SummaryAcc`]'s totals of the outputs accumulated into (`out_words` of the
/// tiles that accumulate).
const ACCUMULATED: usize = 12;

/// Accumulates [`Summary`] totals from tile shapes and multiplicities in 64 bits, remembering
/// whether any product or sum overflowed: every term is non-negative, so one did exactly when a
/// total exceeds 64 bits, which [`SummaryAcc::finish`] reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SummaryAcc {
    /// The totals (wrapped where `overflow`).
    t: [u64; 15],
    /// Some product or sum went past 64 bits (or a tile's MAC slots, `R·C·len·steps`).
    overflow: bool,
}

impl SummaryAcc {
    /// The totals of one tile of this shape on an `r × c` array.
    #[inline]
    pub fn of(sh: &Shape, r: u32, c: u32) -> SummaryAcc {
        let (t, overflow) = Self::terms(sh, r, c);
        SummaryAcc { t, overflow }
    }

    /// `self` followed by `o`: their totals added.
    #[inline]
    pub fn plus(&mut self, o: &SummaryAcc) {
        let mut overflow = o.overflow;
        for (t, p) in self.t.iter_mut().zip(o.t) {
            let (sum, o) = t.overflowing_add(p);
            *t = sum;
            overflow |= o;
        }
        self.overflow |= overflow;
    }

    /// `self` `k` times over: its totals multiplied by `k`.
    #[inline]
    pub fn times(&mut self, k: u64) {
        let mut overflow = false;
        for t in &mut self.t {
            let (v, o) = t.overflowing_mul(k);
            *t = v;
            overflow |= o;
        }
        self.overflow |= overflow;
    }

    /// Add `mult` tiles of this shape on an `r × c` array.
    #[inline]
    pub fn add(&mut self, sh: &Shape, mult: u64, r: u32, c: u32) {
        let (per, o) = Self::terms(sh, r, c);
        // in 128 bits, one test a term: the sum passes 64 bits exactly when the product or the
        // 64-bit sum of the wrapped product would (and wraps to the same value)
        let mut high = u64::from(o);
        for (t, p) in self.t.iter_mut().zip(per) {
            let sum = u128::from(*t) + u128::from(p) * u128::from(mult);
            *t = sum as u64;
            high |= (sum >> 64) as u64;
        }
        self.overflow |= high != 0;
    }

    /// Mark the totals overflowed: a caller counted more tiles than 64 bits hold.
    pub fn overflowed(&mut self) {
        self.overflow = true;
    }

    /// Add `mult` tiles of this shape on an `r × c` array, `accumulating` of them accumulating
    /// into their outputs and the others not (whatever `sh.accumulate` says): [`SummaryAcc::add`]
    /// of both kinds with the tile's terms taken once. For a caller that tallies its tiles by a
    /// key that leaves `accumulate` out.
    #[inline]
    pub fn add_split(&mut self, sh: &Shape, mult: u64, accumulating: u64, r: u32, c: u32) {
        let sh = Shape {
            accumulate: false,
            ..*sh
        };
        self.add(&sh, mult, r, c);
        let sum =
            u128::from(self.t[ACCUMULATED]) + u128::from(sh.out_words) * u128::from(accumulating);
        self.t[ACCUMULATED] = sum as u64;
        self.overflow |= sum >> 64 != 0;
    }

    /// One tile's terms of the totals, and whether its MAC slots pass 64 bits.
    #[inline(always)]
    fn terms(sh: &Shape, r: u32, c: u32) -> ([u64; 15], bool) {
        // a row-stationary pass makes `len·steps` steps in every PE
        let (array, o) = (u64::from(r) * u64::from(c))
            .overflowing_mul(u64::from(sh.len) * u64::from(sh.steps.max(1)));
        let per = [
            1,
            u64::from(sh.input_words > 0),
            u64::from(sh.input_words),
            u64::from(sh.weight_words > 0),
            u64::from(sh.weight_words),
            u64::from(sh.stores),
            u64::from(sh.stores) * u64::from(sh.store_words),
            u64::from(sh.stores > 0),
            u64::from(sh.len),
            u64::from(sh.input_reads),
            u64::from(sh.weight_reads),
            u64::from(sh.out_words),
            if sh.accumulate {
                u64::from(sh.out_words)
            } else {
                0
            },
            array,
            u64::from(sh.orders_prev()),
        ];
        (per, o)
    }

    /// The totals, with the program length of the lowering's SYNC policy. `configs` CONFIGs;
    /// `input_dram_bytes`: `None` for linear input loads of `in_word_bytes`-byte words.
    pub fn finish(
        &self,
        double_buffered: bool,
        overlapped: bool,
        configs: u64,
        in_word_bytes: u32,
        input_dram_bytes: Option<u64>,
    ) -> Result<Summary> {
        let over = || {
            Diagnostic::new(
                "the schedule's totals overflow 64 bits (the layer is far too large for the tiles)",
            )
        };
        if self.overflow {
            return Err(over());
        }
        let v = self.t;
        let mut s = Summary {
            steps: v[0],
            input_loads: v[1],
            input_words: v[2],
            weight_loads: v[3],
            weight_words: v[4],
            stores: v[5],
            store_words: v[6],
            steps_with_stores: v[7],
            stream_words: v[8],
            input_reads: v[9],
            weight_reads: v[10],
            out_writes: v[11],
            accumulate_reads: v[12],
            array_macs: v[13],
            ordering_tiles: v[14],
            configs,
            input_dram_bytes: 0,
            program_len: 0,
        };
        s.input_dram_bytes = match input_dram_bytes {
            Some(b) => b,
            None => s
                .input_words
                .checked_mul(in_word_bytes.into())
                .ok_or_else(over)?,
        };
        // with overlapped COMPUTEs, a SYNC prev_compute after each COMPUTE that starts an output
        // tile and a SYNC prev_stream after each other that loaded a streamed slice
        // (mapping/src/lower.rs)
        let syncs = sync_count(double_buffered, s.steps, s.steps_with_stores)
            .and_then(|n| n.checked_add(if overlapped { s.ordering_tiles } else { 0 }))
            .ok_or_else(over)?;
        s.program_len = [
            s.input_loads,
            s.weight_loads,
            s.steps,
            s.stores,
            syncs,
            configs,
            1,
        ]
        .into_iter()
        .try_fold(0u64, |a, b| a.checked_add(b))
        .ok_or_else(over)?;
        Ok(s)
    }
}

/// SYNC instructions the lowering ([`crate::lower()`]) emits for `steps` tiles of which
/// `steps_with_stores` end an output tile: its SYNC policy, counted (`None` past 64 bits). A
/// test holds it to the emitted program.
pub fn sync_count(double_buffered: bool, steps: u64, steps_with_stores: u64) -> Option<u64> {
    if double_buffered {
        // one after each tile's loads, and the SYNC compute before the last stores
        steps.checked_add(u64::from(steps_with_stores > 0))
    } else {
        steps.checked_mul(2)?.checked_add(steps_with_stores)
    }
}

/// What the tiles of the k-tile loop's subtree of a schedule's nest are a function of
/// ([`Schedule::subtree_key`]): the array and the shape rule, the subtree's two loops and
/// extent, and what [`Schedule::shape`] reads of the loops outside it. Two subtrees of equal keys,
/// of any schedules, have equal tiles in equal order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubtreeKey {
    dataflow: Dataflow,
    rows: u32,
    cols: u32,
    keeps_stream: bool,
    keeps_slice: bool,
    loops: [Loop; 2],
    extent: [u32; 4],
    /// The height tile's size, and the inner tile loop's first iteration where a kept panel
    /// makes it matter (else `false`).
    height: u32,
    inner_first: bool,
}

/// The parts of a schedule [`Schedule::shape`] reads besides the loop classes.
#[derive(Clone, Copy, Debug)]
struct ShapeRule {
    /// The height tile loop's position from the innermost.
    height: usize,
    keeps_stream: bool,
    keeps_slice: bool,
}

/// A layer's schedule on an accelerator under a mapping (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub dataflow: Dataflow,
    /// The array's rows and columns.
    pub rows: u32,
    pub cols: u32,
    /// Bytes of an input-buffer word.
    pub in_word_bytes: u32,
    pub mapping: Mapping,
    /// The layer's work, its names left out ([`Problem::unnamed`]): a schedule is the same for
    /// every layer of the same work.
    pub problem: Problem,
    pub nest: Nest,
    /// Whether load, compute and store overlap through ping-pong buffer halves.
    pub double_buffered: bool,
    /// Whether consecutive COMPUTEs overlap in the array too (double-buffered buffers and PE
    /// weights): the program then orders the previous tile's stores behind it with a `SYNC
    /// prev_compute` after each COMPUTE that starts an output tile, and the reloading of the
    /// streamed half it read behind its stream with a `SYNC prev_stream` after each other COMPUTE
    /// that loaded a streamed slice (docs/TIMING.md, mapping/src/lower.rs).
    pub overlapped: bool,
    /// A row-stationary array's geometry: its passes replace the nest's tiles (mapping/src/rs.rs).
    pub rs: Option<crate::rs::RsGeom>,
}

impl Schedule {
    /// The schedule of `p` on `arch` under `mapping` (not checked: see [`Mapping::check`]).
    pub fn new(p: &Problem, arch: &Arch, mapping: &Mapping) -> Schedule {
        let tile = |t: u32| t.max(1);
        let g = &p.gemm;
        let lp = |dim, tile, positional| Loop {
            dim,
            tile,
            positional,
        };
        // Shapes read only the sizes of the m- and n-tiles, the positions of the k-tile and of
        // the n-slice, and, when a panel is kept, the position of the inner tile loop (see
        // `shape`).
        let mut loops = Vec::with_capacity(6);
        loops.push(lp(Dim::G, 1, false));
        if p.conv.is_some() && arch.dataflow() != Dataflow::WeightStationary {
            loops.push(lp(
                Dim::M,
                p.conv.as_ref().map_or(1, |c| c.conv.out_w),
                false,
            ));
        }
        let panel = mapping.keep != Keep::Tiles;
        let tile_of = |d: Dim| match d {
            Dim::M => tile(mapping.tile_m),
            _ => tile(mapping.tile_n),
        };
        let [outer, inner] = mapping.keep.tile_order(arch.dataflow());
        let slice = match arch.dataflow() {
            Dataflow::InputStationary => Dim::M,
            _ => Dim::N,
        };
        loops.extend([
            lp(outer, tile_of(outer), false),
            lp(inner, tile_of(inner), panel),
            lp(Dim::K, tile(mapping.tile_k), true),
            lp(slice, arch.cols(), true),
        ]);
        let rs =
            (arch.dataflow() == Dataflow::RowStationary).then(|| crate::rs::RsGeom::of(p, arch));
        if rs.is_some() {
            // the passes are walked by `rs::try_for_each_pass`; the nest only numbers instances
            loops = vec![lp(Dim::G, 1, false)];
        }
        Schedule {
            dataflow: arch.dataflow(),
            rows: arch.rows(),
            cols: arch.cols(),
            in_word_bytes: arch.input().word_bytes(),
            mapping: *mapping,
            nest: Nest::new([g.m, g.k, g.n, p.instances], loops),
            problem: p.unnamed(),
            // a row-stationary array never overlaps passes; with two banks per buffer its loads
            // and stores overlap them (mapping/src/rs.rs)
            double_buffered: arch.double_buffered(),
            overlapped: arch.double_buffered() && arch.weight_double_buffered() && rs.is_none(),
            rs,
        }
    }

    /// The class of the loop `from_inner` places from the innermost.
    fn at<T: Copy>(c: &[T], from_inner: usize) -> T {
        c[c.len() - from_inner]
    }

    /// Whether the tile loops run in the other order than the dataflow's natural one (the *height*
    /// tile — the m-tile, or the streamed n-tile on an input-stationary array — inside the width
    /// tile): the mapping keeps the panel of the operand loaded for every COMPUTE.
    fn swapped(&self) -> bool {
        self.keeps_slice_operand()
    }

    /// Whether a kept panel is of the streamed operand (A; B on an input-stationary array), loaded
    /// at each k-tile's first slice.
    fn keeps_stream_operand(&self) -> bool {
        matches!(
            (self.mapping.keep, self.dataflow),
            (
                Keep::InputPanel,
                Dataflow::WeightStationary | Dataflow::OutputStationary
            ) | (Keep::WeightPanel, Dataflow::InputStationary)
        )
    }

    /// Whether a kept panel is of the operand loaded for every COMPUTE (B; A on an
    /// input-stationary array).
    fn keeps_slice_operand(&self) -> bool {
        matches!(
            (self.mapping.keep, self.dataflow),
            (
                Keep::WeightPanel,
                Dataflow::WeightStationary | Dataflow::OutputStationary
            ) | (Keep::InputPanel, Dataflow::InputStationary)
        )
    }

    /// The position (from the innermost) of the height tile's loop and of the width tile's.
    fn tile_positions(&self) -> (usize, usize) {
        if self.swapped() {
            (INNER_TILE, OUTER_TILE)
        } else {
            (OUTER_TILE, INNER_TILE)
        }
    }

    /// What a tile at these loop classes moves and computes: the dataflow's one definition. It reads
    /// the m-tile and n-tile through their sizes, and the inner one's position only when a panel
    /// is kept (the panel is loaded in the inner loop's first iteration). The words the COMPUTE
    /// itself touches are the ISA's ([`Arch::compute_words`]).
    pub fn shape(&self, c: &[Class]) -> Shape {
        self.shape_by(&self.shape_rule(), c)
    }

    /// What [`Schedule::shape`] reads of the schedule besides the classes, looked up once for a
    /// walk of many tiles.
    fn shape_rule(&self) -> ShapeRule {
        ShapeRule {
            height: self.tile_positions().0,
            keeps_stream: self.keeps_stream_operand(),
            keeps_slice: self.keeps_slice_operand(),
        }
    }

    /// [`Schedule::shape`] under the schedule's [`ShapeRule`].
    #[inline]
    fn shape_by(&self, rule: &ShapeRule, c: &[Class]) -> Shape {
        // the height tile: the m-tile (WS, OS) or the streamed n-tile (IS)
        let (m, k, slice) = (
            Self::at(c, rule.height),
            Self::at(c, K_TILE),
            Self::at(c, N_SLICE),
        );
        let inner_first = Self::at(c, INNER_TILE).first;
        let stores = if k.last && slice.last { slice.trips } else { 0 };
        // What one COMPUTE streams, and the operand slices loaded for the tile: the streamed
        // operand's slice (A; B on IS) at the first slice and reused by the others; the other
        // operand for every COMPUTE. A kept panel is loaded only in the inner tile loop's first
        // iteration.
        let (len, a_words, b_words) = match self.dataflow {
            // k-steps of both operands; the last m-tile's rows past M are zero and not stored
            Dataflow::OutputStationary => (k.size, k.size, k.size),
            // rows of A; the whole R-row weight tile, zero rows included
            Dataflow::WeightStationary => (m.size, m.size, self.rows),
            // columns of B; the k-tile's rows of A (the preload's rows past them meet zero bytes
            // of B, docs/TIMING.md)
            Dataflow::InputStationary => (m.size, k.size, m.size),
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
        };
        let stream_loaded = slice.first && (inner_first || !rule.keeps_stream);
        let slice_loaded = inner_first || !rule.keeps_slice;
        let words = |loaded: bool, w: u32| if loaded { w } else { 0 };
        let (input_words, weight_words) = match self.dataflow {
            Dataflow::InputStationary => {
                (words(slice_loaded, a_words), words(stream_loaded, b_words))
            }
            _ => (words(stream_loaded, a_words), words(slice_loaded, b_words)),
        };
        let words = tessera_arch::ComputeWords::of(self.dataflow, self.rows, len);
        Shape {
            input_words,
            weight_words,
            len,
            accumulate: !k.first,
            new_tile: k.first && slice.first,
            stream_loaded: match self.dataflow {
                Dataflow::InputStationary => weight_words > 0,
                // both operands stream
                Dataflow::OutputStationary => input_words > 0 || weight_words > 0,
                Dataflow::WeightStationary => input_words > 0,
                Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
            },
            input_reads: words.input,
            weight_reads: words.weight,
            out_words: words.out,
            stores,
            store_words: m.size,
            steps: 0,
            blocks: 0,
        }
    }

    /// Word offsets, within the regions the lowering gives the input and weight operands, of the
    /// slices this tile's COMPUTE reads: 0 for an operand held one tile at a time; in a kept panel,
    /// the k-tiles' slices one after another (per k-tile the streamed operand's one slice, or the
    /// other operand's slice per output slice in order), as [`Mapping::panel_words`] counts them.
    fn panel_offsets(&self, sh: &Shape, k: &Pos, slice: &Pos) -> (u32, u32) {
        let (kc, sc) = (k.class, slice.class);
        // words of a full k-tile's streamed slice: WS S rows (the height tile's), OS tile_k steps
        // (k0 counts them), IS S columns of B
        let stream_off = match self.dataflow {
            Dataflow::OutputStationary => k.start,
            _ => k.index * sh.len,
        };
        // the per-COMPUTE operand's words per slice: the R-word tile its preload reads (WS: the
        // weight tile; IS: the input tile, of which a last k-tile loads fewer words — its slice
        // still spans R words, so no COMPUTE reads a word of the next slice), or the k-tile's
        // k-steps (OS)
        let per = match self.dataflow {
            Dataflow::OutputStationary => kc.size,
            _ => self.rows,
        };
        let slice_off = k.start * sc.trips + slice.index * per;
        let (a, b) = if self.keeps_stream_operand() {
            (stream_off, 0)
        } else if self.keeps_slice_operand() {
            (0, slice_off)
        } else {
            (0, 0)
        };
        match self.dataflow {
            // the streamed operand is B, the per-COMPUTE one A
            Dataflow::InputStationary => (b, a),
            _ => (a, b),
        }
    }

    /// The tiles in program order for their timing and totals alone, as a [`Tree`]:
    /// `leaf(shape, multiplicity)` once per distinct class of tiles (a handful, however many
    /// tiles) with its [`Shape`] and how many tiles it stands for; for a convolution, whose
    /// lowering emits `n` CONFIGs before the loads of each instance's first tile, the tree walks
    /// the mark `configs(n)` before each instance. The tree's walk hands the values to a step per
    /// tile (and mark), skipping repeated stretches by whole periods. Not for a row-stationary
    /// schedule, whose passes are walked one by one ([`Schedule::try_for_each_step`]).
    pub fn tiles<T: Clone>(
        &self,
        configs: impl FnOnce(u32) -> T,
        leaf: impl FnMut(&Shape, u64) -> T,
    ) -> Tree<T> {
        let mut tree = Tree::new();
        self.tiles_in(&mut tree, configs, leaf);
        tree
    }

    /// [`Schedule::tiles`] built in `tree`, in place of what it held ([`Nest::tree_in`]).
    pub fn tiles_in<T: Clone>(
        &self,
        tree: &mut Tree<T>,
        configs: impl FnOnce(u32) -> T,
        mut leaf: impl FnMut(&Shape, u64) -> T,
    ) {
        assert!(self.rs.is_none(), "row-stationary passes are walked");
        let rule = self.shape_rule();
        let start = self.is_conv().then(|| configs(CONFIGS_PER_INSTANCE));
        self.nest.tree_in(
            tree,
            |_| false,
            start,
            |classes, mult| leaf(&self.shape_by(&rule, classes), mult),
        )
    }

    /// The fold under `f` of [`Schedule::tiles`]'s tree ([`Tree::fold`]), without building it
    /// ([`Nest::fold_memo`]): `leaf(f, shape, multiplicity)` for the same leaves in the same
    /// order, but those of the subtrees `memo` remembers (a memo keys them by
    /// [`Schedule::subtree_key`]). `None` when `f` overflows (the leaves after that point are not
    /// visited).
    pub fn fold_tiles<T, F: Fold<T>>(
        &self,
        configs: impl FnOnce(u32) -> T,
        f: &mut F,
        memo: &mut impl Memo<T, F>,
        mut leaf: impl FnMut(&mut F, &Shape, u64) -> T,
    ) -> Option<F::Sum> {
        assert!(self.rs.is_none(), "row-stationary passes are walked");
        let rule = self.shape_rule();
        let start = self.is_conv().then(|| configs(CONFIGS_PER_INSTANCE));
        self.nest.fold_memo(
            |_| false,
            start,
            f,
            memo,
            |f, classes, mult| leaf(f, &self.shape_by(&rule, classes), mult),
        )
    }

    /// The depth of the subtrees [`Schedule::subtree_key`] keys (the k-tile loop's), if any.
    pub fn subtree_key_depth(&self) -> Option<usize> {
        let n = self.nest.loops.len();
        (self.rs.is_none() && n >= OUTER_TILE).then(|| n - K_TILE)
    }

    /// The key of the subtree of the nest at depth `d` (over `extent`, under the outer loops'
    /// classes `outer`) when it is the k-tile loop's: what its tiles are a function of
    /// ([`SubtreeKey`]). `None` at any other depth (those subtrees are few, or a handful of
    /// tiles) and on a row-stationary array.
    pub fn subtree_key(&self, d: usize, extent: [u32; 4], outer: &[Class]) -> Option<SubtreeKey> {
        let n = self.nest.loops.len();
        if self.subtree_key_depth() != Some(d) || outer.len() != d {
            return None;
        }
        let rule = self.shape_rule();
        // the classes `shape_by` reads outside the subtree, by their places from the innermost
        let outside = |from_inner: usize| outer[n - from_inner];
        let panel = rule.keeps_stream || rule.keeps_slice;
        Some(SubtreeKey {
            dataflow: self.dataflow,
            rows: self.rows,
            cols: self.cols,
            keeps_stream: rule.keeps_stream,
            keeps_slice: rule.keeps_slice,
            loops: [self.nest.loops[d], self.nest.loops[d + 1]],
            extent,
            height: outside(rule.height).size,
            inner_first: panel && outside(INNER_TILE).first,
        })
    }

    /// Visit every tile in program order.
    pub fn for_each_step(&self, mut f: impl FnMut(&Step)) {
        let _ = self.try_for_each_step(|st| {
            f(st);
            std::ops::ControlFlow::Continue(())
        });
    }

    /// [`Schedule::for_each_step`] that stops at the first tile for which `f` breaks.
    pub fn try_for_each_step(
        &self,
        mut f: impl FnMut(&Step) -> std::ops::ControlFlow<()>,
    ) -> std::ops::ControlFlow<()> {
        if let Some(geo) = &self.rs {
            return crate::rs::try_for_each_pass(self, geo, f);
        }
        let mut classes = [Class::UNENTERED; crate::nest::MAX_LOOPS];
        let depth = self.nest.loops.len();
        self.nest.try_for_each(|p: &[Pos]| {
            for (c, p) in classes.iter_mut().zip(p) {
                *c = p.class;
            }
            let shape = self.shape(&classes[..depth]);
            let (hp, wp) = self.tile_positions();
            let (g, m, nt, k, s) = (
                p[0],
                Self::at(p, hp),
                Self::at(p, wp),
                Self::at(p, K_TILE),
                Self::at(p, N_SLICE),
            );
            let new_instance = p[1..].iter().all(|q| q.index == 0);
            let new_tile = k.class.first && s.class.first;
            let (in_offset, w_offset) = self.panel_offsets(&shape, &k, &s);
            f(&if self.dataflow == Dataflow::InputStationary {
                // `m` is the streamed n-tile, `nt` the m-tile and `s` the m-slice
                Step {
                    shape,
                    instance: g.start,
                    new_instance,
                    m0: s.start,
                    m_size: s.class.size,
                    k0: k.start,
                    n0: m.start,
                    n_slice: self.m_slice(s.start),
                    tile_first_slice: self.m_slice(nt.start),
                    slice_in_tile: s.index,
                    new_tile,
                    in_offset,
                    w_offset,
                    rs: None,
                }
            } else {
                Step {
                    shape,
                    instance: g.start,
                    new_instance,
                    m0: m.start,
                    m_size: m.class.size,
                    k0: k.start,
                    n0: s.start,
                    n_slice: s.start / self.cols,
                    tile_first_slice: nt.start / self.cols,
                    slice_in_tile: s.index,
                    new_tile,
                    in_offset,
                    w_offset,
                    rs: None,
                }
            })
        })
    }

    /// Input-stationary: the index of the m-slice that starts at row `m` of M, as the DRAM layout
    /// numbers them: `m / C` for a GEMM; for a convolution, whose m-slices never span two output
    /// rows, `row · ceil(OW / C) + (m mod OW) / C` with `row = m / OW`.
    pub fn m_slice(&self, m: u32) -> u32 {
        match &self.problem.conv {
            Some(cv) => {
                let ow = cv.conv.out_w;
                (m / ow) * ow.div_ceil(self.cols) + (m % ow) / self.cols
            }
            None => m / self.cols,
        }
    }

    /// Whether the layer is a convolution (its input loads gather).
    pub fn is_conv(&self) -> bool {
        self.problem.conv.is_some()
    }

    /// Closed-form totals (see [`Summary`]); an error only if a total overflows 64 bits.
    pub fn summary(&self) -> Result<Summary> {
        if let Some(geo) = &self.rs {
            let (acc, configs, gathered) = crate::rs::accumulate(self, geo);
            return acc.finish(
                self.double_buffered,
                false,
                configs,
                self.in_word_bytes,
                Some(gathered),
            );
        }
        let mut acc = SummaryAcc::default();
        let rule = self.shape_rule();
        self.nest.for_each_class(|cls, mult| {
            acc.add(&self.shape_by(&rule, cls), mult, self.rows, self.cols)
        });
        self.finish(&acc)
    }

    /// The totals of `acc`, the sum of this schedule's tile shapes (as [`Schedule::summary`] adds
    /// them), with what is not a sum of shapes: the CONFIGs and a convolution's gathered bytes.
    pub fn finish(&self, acc: &SummaryAcc) -> Result<Summary> {
        if let Some(geo) = &self.rs {
            // the CONFIGs and gathered bytes of the passes, walked
            let (_, configs, gathered) = crate::rs::accumulate(self, geo);
            return acc.finish(
                self.double_buffered,
                false,
                configs,
                self.in_word_bytes,
                Some(gathered),
            );
        }
        let instances = u64::from(self.problem.instances);
        let (configs, gathered) = match &self.problem.conv {
            Some(cv) => {
                // Each A element is gathered once per n-tile (see the module docs), or once when
                // the input buffer keeps the A panel across the n-tiles.
                let n_tiles = if self.mapping.keep == Keep::InputPanel {
                    1
                } else {
                    u64::from(self.problem.gemm.n.div_ceil(self.mapping.tile_n.max(1)))
                };
                let bytes = cv
                    .gathered_bytes()
                    .checked_mul(n_tiles)
                    .and_then(|b| b.checked_mul(instances));
                (
                    instances * u64::from(CONFIGS_PER_INSTANCE),
                    Some(bytes.ok_or_else(|| {
                        Diagnostic::new("the schedule's gathered bytes overflow 64 bits")
                    })?),
                )
            }
            None => (0, None),
        };
        acc.finish(
            self.double_buffered,
            self.overlapped,
            configs,
            self.in_word_bytes,
            gathered,
        )
    }

    /// Visit each class of tiles once with its shape and multiplicity (for closed-form costs).
    pub fn for_each_shape(&self, mut f: impl FnMut(&Shape, u64)) {
        if self.rs.is_some() {
            self.for_each_step(|st| f(&st.shape, 1));
            return;
        }
        self.nest
            .for_each_class(|cls, mult| f(&self.shape(cls), mult));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tessera_arch::builtin;
    use tessera_workloads::{Conv2d, Gemm, Layer};

    /// The two ways a total passes 64 bits with no product doing so first, and a product that
    /// does: each is an error, not a wrapped total.
    #[test]
    fn summary_overflows_are_errors() {
        let finish = |acc: &SummaryAcc| acc.finish(false, false, 0, 1, Some(0));
        let empty = Shape::default();
        // a sum: 2 × 2^63 tiles
        let mut acc = SummaryAcc::default();
        acc.add(&empty, 1 << 63, 1, 1);
        acc.add(&empty, 1 << 63, 1, 1);
        assert!(finish(&acc).is_err());
        // MAC slots: R·C·len past 64 bits for a single tile
        let mut acc = SummaryAcc::default();
        let long = Shape {
            len: u32::MAX,
            ..Shape::default()
        };
        acc.add(&long, 1, 1 << 16, (1 << 16) + 1);
        assert!(finish(&acc).is_err());
        acc = SummaryAcc::default();
        acc.add(&long, 1, 1 << 16, 1 << 16);
        assert_eq!(
            finish(&acc).unwrap().array_macs,
            (1 << 32) * u64::from(u32::MAX)
        );
        // a product: 2^33 tiles of 2^32 words
        let mut acc = SummaryAcc::default();
        let wide = Shape {
            input_words: u32::MAX,
            ..Shape::default()
        };
        acc.add(&wide, 1 << 33, 1, 1);
        assert!(finish(&acc).is_err());
    }

    proptest! {
        /// Tiles added split by whether they accumulate are the tiles added one kind at a time,
        /// overflow and all.
        #[test]
        fn an_add_split_is_the_adds_of_both_kinds(
            out in 0u32..u32::MAX, len in 1u32..1000, stores in 0u32..4, words in 0u32..5000,
            accumulate in any::<bool>(), tiles in 0u64..u64::MAX, part in 0u64..u64::MAX,
            wide in any::<bool>(),
        ) {
            let sh = Shape {
                out_words: out,
                len,
                stores,
                store_words: words,
                input_words: words,
                accumulate,
                ..Shape::default()
            };
            // small counts, or counts whose products pass 64 bits
            let (tiles, part) = if wide { (tiles, part) } else { (tiles % 1000, part % 1000) };
            let accumulating = part.min(tiles);
            let mut split = SummaryAcc::default();
            split.add_split(&sh, tiles, accumulating, 4, 4);
            let mut apart = SummaryAcc::default();
            apart.add(&Shape { accumulate: false, ..sh }, tiles - accumulating, 4, 4);
            apart.add(&Shape { accumulate: true, ..sh }, accumulating, 4, 4);
            let finish = |a: &SummaryAcc| a.finish(false, false, 0, 1, Some(0)).ok();
            prop_assert_eq!(finish(&split), finish(&apart));
        }

        /// The 64-bit accumulator with its overflow flag gives the totals, or the error, that
        /// exact 128-bit sums give (the error exactly when a total passes 64 bits).
        #[test]
        fn summary_totals_overflow_exactly_when_they_pass_64_bits(
            adds in proptest::collection::vec(
                (any::<[u32; 8]>(), any::<bool>(), prop_oneof![
                    0u64..1000, any::<u64>(), (1u64 << 31)..(1u64 << 33), (1u64 << 63)..u64::MAX,
                ]),
                1..5,
            ),
            fields in 0u32..3,
            r in prop_oneof![1u32..300, 60_000u32..70_000], c in prop_oneof![1u32..300, 60_000u32..70_000],
        ) {
            let mut acc = SummaryAcc::default();
            let mut exact = [0u128; 15];
            for (f, accumulate, mult) in &adds {
                // small fields (with huge multiplicities, sums overflow while no product does), or any
                let f = match fields {
                    0 => f.map(|x| x % 2),
                    1 => f.map(|x| x % 5000),
                    _ => *f,
                };
                let sh = Shape {
                    input_words: f[0], weight_words: f[1], len: f[2], accumulate: *accumulate,
                    new_tile: !*accumulate, stream_loaded: f[0] > 0, input_reads: f[3], weight_reads: f[4],
                    out_words: f[5], stores: f[6], store_words: f[7], steps: 0, blocks: 0,
                };
                acc.add(&sh, *mult, r, c);
                let w = |x: u32| u128::from(x);
                let per = [
                    1, w(u32::from(sh.input_words > 0)), w(sh.input_words),
                    w(u32::from(sh.weight_words > 0)), w(sh.weight_words), w(sh.stores),
                    w(sh.stores) * w(sh.store_words), w(u32::from(sh.stores > 0)), w(sh.len),
                    w(sh.input_reads), w(sh.weight_reads), w(sh.out_words),
                    if sh.accumulate { w(sh.out_words) } else { 0 },
                    w(r) * w(c) * w(sh.len), w(u32::from(sh.orders_prev())),
                ];
                // (saturating: a term may pass even 128 bits; past 64 is all that matters)
                for (t, p) in exact.iter_mut().zip(per) {
                    *t = t.saturating_add(p.saturating_mul(u128::from(*mult)));
                }
            }
            let got = acc.finish(false, false, 0, 1, Some(0));
            let fits = exact.iter().all(|&t| t <= u128::from(u64::MAX));
            match got {
                Ok(s) => {
                    prop_assert!(fits);
                    prop_assert_eq!(
                        [s.steps, s.input_loads, s.input_words, s.weight_loads, s.weight_words,
                         s.stores, s.store_words, s.steps_with_stores, s.stream_words,
                         s.input_reads, s.weight_reads, s.out_writes, s.accumulate_reads,
                         s.array_macs, s.ordering_tiles].map(u128::from),
                        exact
                    );
                }
                // beyond the totals, the program length may overflow too
                Err(_) => prop_assert!(
                    !fits || [exact[0], exact[1], exact[3], exact[5], 2 * exact[0], exact[7], 1]
                        .into_iter()
                        .fold(0u128, u128::saturating_add)
                        > u128::from(u64::MAX)
                ),
            }
        }
    }

    proptest! {
        /// The closed-form summary equals the walk, tile by tile.
        #[test]
        fn summary_equals_the_walk(m in 1u32..80, k in 1u32..80, n in 1u32..80, pick in 0usize..1000, df in 0usize..3) {
            let arch = builtin::arch(["ws_4x4", "os_4x4", "is_2x3"][df]).unwrap();
            let g = Gemm::new("g", m, k, n);
            let cands = Mapping::candidates(&g, &arch);
            let mp = cands[pick % cands.len()];
            let sch = Schedule::new(&Problem::gemm(&g, &arch), &arch, &mp);
            let s = sch.summary().unwrap();
            let mut w = Summary::default();
            sch.for_each_step(|st| {
                let sh = st.shape;
                w.steps += 1;
                w.input_words += u64::from(sh.input_words);
                w.weight_words += u64::from(sh.weight_words);
                w.store_words += u64::from(sh.stores * sh.store_words);
                w.stream_words += u64::from(sh.len);
                w.out_writes += u64::from(sh.out_words);
            });
            prop_assert_eq!((s.steps, s.input_words, s.weight_words, s.store_words, s.stream_words, s.out_writes),
                (w.steps, w.input_words, w.weight_words, w.store_words, w.stream_words, w.out_writes));
            // Every output element is stored exactly once; every MAC of the layer is in some tile.
            let out_words_needed = match arch.dataflow() {
                Dataflow::InputStationary => u64::from(n) * u64::from(m.div_ceil(arch.cols())),
                _ => u64::from(m) * u64::from(n.div_ceil(arch.cols())),
            };
            prop_assert_eq!(s.store_words, out_words_needed);
            prop_assert!(s.array_macs >= u64::from(m) * u64::from(k) * u64::from(n));
        }

        /// A convolution's gathered bytes, in closed form, equal the walk of its gathers; the
        /// accesses are at least the compulsory traffic (every input byte a window touches, every
        /// weight, every output word, once).
        #[test]
        fn conv_gathers_equal_the_walk(
            cg in 1u32..7, o in 1u32..6, h in 1u32..9, w in 1u32..9, kh in 1u32..4, kw in 1u32..4,
            s in (1u32..4, 1u32..4), d in (1u32..3, 1u32..3), pb in (0u32..3, 0u32..3),
            pe in (0u32..3, 0u32..3), groups in 1u32..4, batch in 1u32..4, df in 0usize..3,
            rows in 1i64..7, cols in 1i64..5, pick in 0usize..1000,
        ) {
            let df = Dataflow::SUPPORTED[df];
            let mut bytes = [rows * 64 * 2, cols * rows.max(32) * 2, 4 * cols * 64 * 2];
            if df == Dataflow::InputStationary {
                bytes.swap(0, 1);
            }
            let arch = tessera_arch::ArchSpec::ws("p", rows, cols, bytes, 2, 8, 10)
                .with_dataflow(df)
                .validate()
                .unwrap();
            let (Some(out_h), Some(out_w)) = (
                Conv2d::out_size(h, pb.0 + pe.0, kh, s.0, d.0),
                Conv2d::out_size(w, pb.1 + pe.1, kw, s.1, d.1),
            ) else { return Ok(()) };
            let (c, s, d) = (cg * groups, [s.0, s.1], [d.0, d.1]);
            let cv = Conv2d {
                name: "c".into(), batch, in_channels: c, in_h: h, in_w: w,
                out_channels: o * groups, kernel: [kh, kw], stride: s, dilation: d,
                pad_begin: [pb.0, pb.1], pad_end: [pe.0, pe.1], groups, out_h, out_w,
            };
            let p = Problem::new(&Layer::Conv2d(cv.clone()), &arch).unwrap();
            let cands = Mapping::candidates(&p.gemm, &arch);
            let mp = cands[pick % cands.len()];
            let l = crate::lower(&p, &arch, &mp).unwrap();
            let sum = l.schedule.summary().unwrap();
            let mut regs = tessera_arch::gather::GatherRegs::default();
            let mut walked = 0u64;
            for ins in &l.program.instrs {
                match ins {
                    tessera_arch::isa::Instr::Config(cf) => regs.write(cf),
                    tessera_arch::isa::Instr::Gather { count, pos, .. } => {
                        let mut g = tessera_arch::gather::Gather::new(&regs, arch.dataflow(), arch.input().word_bytes(), pos);
                        for _ in 0..*count {
                            walked += u64::from(g.next().count);
                        }
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(sum.input_dram_bytes, walked);
            prop_assert_eq!(sum.program_len, l.program.instrs.len() as u64);
            prop_assert_eq!(sum.configs, 2 * u64::from(groups));
            // compulsory: the input bytes some window reads at least once
            let mut touched = 0u64;
            for y in 0..h { for x in 0..w {
                let hit = |i: u32, o_: u32, k: u32, s: u32, d: u32, p: u32| {
                    (0..o_).any(|q| (0..k).any(|k_| q * s + k_ * d == i + p))
                };
                if hit(y, out_h, kh, s[0], d[0], pb.0) && hit(x, out_w, kw, s[1], d[1], pb.1) {
                    touched += u64::from(c * batch);
                }
            }}
            prop_assert!(sum.input_dram_bytes >= touched);
            prop_assert!(
                sum.store_words * u64::from(arch.cols())
                    >= u64::from(batch * out_h * out_w * o * groups)
            );
        }
    }
}
