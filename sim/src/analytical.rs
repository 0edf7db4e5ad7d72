//! The analytical model: a layer's cost from its [`Schedule`], without executing the program.
//!
//! Access counters are exact and in closed form: they are the schedule's [`Summary`] in words and
//! bytes. Cycles are a sum over the schedule's tiles of each tile's unit times — the contract's busy
//! lengths ([`Contract`]) plus one issue cycle per instruction — combined the way the program's
//! in-order issue and SYNCs combine them: with double buffering a tile costs the longer of its
//! COMPUTE and the DMA work issued behind it (the previous output tile's stores and the next tile's
//! loads) plus the SYNC and issue cycles between them; without, the sum of its loads, COMPUTE and
//! stores and their SYNCs. It never runs the program and never touches data.
//!
//! Speed: the walk does not visit every tile. In a loop of four or more trips the middle
//! iterations are identical, and once one of them has moved the controller's state by a uniform
//! shift (every time in it later by the same number of cycles, every total up by the same
//! amount), the rest are applied as that many more shifts ([`tessera_mapping::Tree::walk`]).
//! That is exact, not an approximation: the recurrence only takes maxima and adds constants, so a
//! shifted state evolves shifted. When a loop never settles into such a period, it is walked.
//! On an array that does not overlap tiles every COMPUTE finds the DMA idle (a `SYNC dma` precedes
//! it) and the array free, so the program is a sum over windows of three consecutive tiles; with
//! one transfer slot (the DMA's transfers back to back) each window is plain arithmetic, and the
//! nest's tiles fold the sum in closed form ([`visits`]: most designs), with no walk at all between
//! the first tile's loads and the last tile's COMPUTE. Overlapped arrays, DMAs of more slots and
//! row-stationary passes (walked one by one) are walked.
//!
//! For today's machine — one in-order controller, one DMA with `O` transfer slots (a transfer
//! issues once the one `O` back is done and starts after the previous one's last request or beat,
//! [`Walk::dma`]), an uncontended DRAM channel with fixed latency, no bank conflicts — this
//! recurrence follows the controller exactly, and `tessera validate` reports an error of 0. What it
//! leaves out, and so where its error will come from when the machine grows: contention for a
//! shared channel (estimated separately, `crate::system`), bank conflicts, and any issue order
//! other than the lowering's.
//!
//! Arithmetic: counts come from the checked summary; per-tile times are bounded by the contract's
//! 16-bit fields and the DRAM's latency and width (under 2^40 cycles a tile even at 1 B/cycle and a
//! 2^32-cycle latency), and a layer has far fewer than 2^24 tiles, so the cycle sum stays inside u64.

use crate::area::Area;
use crate::breakdown::{Breakdown, SyncedAcc};
use crate::contract::{Contract, OverlapRule, OverlappedTile};
use crate::counters::{BufferAccesses, Counters};
use crate::energy::{Energy, EnergyTable};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_core::Cycles;
use tessera_mapping::{
    Mapping, Periodic, PrevSync, Problem, Schedule, Shape, Summary, SummaryAcc, Tree,
};

mod visits;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub cycles: Cycles,
    pub counters: Counters,
    pub energy: Energy,
    pub area: Area,
    /// Useful MACs / (PEs × cycles).
    pub utilization: f64,
    /// Cycles the array is busy: the union of the COMPUTEs' busy intervals (their sum when tiles do
    /// not overlap).
    pub compute_cycles: Cycles,
    /// Cycles the DMA is busy (sum of LOAD and STORE busy lengths).
    pub dma_cycles: Cycles,
    /// The cycles by cause.
    pub breakdown: Breakdown,
}

/// What the model is and leaves out, for reports.
pub const MODEL_NOTE: &str = "analytical: a sum over the mapping's tiles of the contract's unit \
times, combined as the in-order controller issues them; exact access counts; assumes one DMA, an \
uncontended DRAM channel and no bank conflicts (see sim/src/analytical.rs)";

/// Estimate `p` on `arch` with `mapping` (checked first).
pub fn estimate(p: &Problem, arch: &Arch, mapping: &Mapping) -> Result<Estimate> {
    mapping.check(&p.gemm, arch)?;
    if arch.dataflow() == tessera_arch::Dataflow::RowStationary {
        tessera_mapping::rs::RsGeom::of(p, arch).check(mapping, arch)?;
    }
    tessera_mapping::DramLayout::new(p, arch)?;
    estimate_schedule(p, arch, &Schedule::new(p, arch, mapping))
}

/// The counters a schedule implies (exact; the simulator's must equal them).
pub fn counters(p: &Problem, arch: &Arch, s: &Summary) -> Counters {
    let (ww, accw) = (
        u64::from(arch.weight().word_bytes()),
        u64::from(arch.accumulator().word_bytes()),
    );
    Counters {
        dram_read_bytes: s.input_dram_bytes + s.weight_words * ww,
        dram_write_bytes: s.store_words * accw,
        input: BufferAccesses {
            reads: s.input_reads,
            writes: s.input_words,
        },
        weight: BufferAccesses {
            reads: s.weight_reads,
            writes: s.weight_words,
        },
        accumulator: BufferAccesses {
            reads: s.accumulate_reads + s.store_words,
            writes: s.out_writes,
        },
        useful_macs: p.macs(),
        array_macs: s.array_macs,
        instructions: s.program_len,
        loads: s.input_loads + s.weight_loads,
        stores: s.stores,
        computes: s.steps,
        // a row-stationary pass captures its `len` = `E` outputs into every PE's `out`
        captures: if arch.dataflow() == tessera_arch::Dataflow::RowStationary {
            s.stream_words
        } else {
            0
        },
    }
}

/// A tile's unit times, each including its instructions' issue cycles: (COMPUTE, LOADs before it
/// with the `configs` CONFIGs ahead of them, STOREs after it). With one transfer slot the loads
/// and the stores each run one after the other, and these are their exact times from the first
/// issue to the cycle their SYNC passes; with several slots (`dram.outstanding_transfers`) they are
/// lower bounds: every transfer holds the channel for its [`Contract::load_hold`] /
/// [`Contract::store_hold`] and the last one ends `L` cycles after its hold.
pub fn tile_times(arch: &Arch, contract: &Contract, sh: &Shape, configs: u32) -> (u64, u64, u64) {
    let (inw, ww) = (
        u64::from(arch.input().word_bytes()),
        u64::from(arch.weight().word_bytes()),
    );
    let lat = arch.dram().latency().get();
    let serial = arch.dram().outstanding_transfers() == 1;
    // one transfer: busy + issue cycle when serial, its hold when several overlap
    let group = |parts: &[(u64, u64)]| -> u64 {
        if parts.is_empty() {
            0
        } else if serial {
            parts.iter().map(|&(busy, _)| busy + 1).sum()
        } else {
            parts.iter().map(|&(_, hold)| hold).sum::<u64>() + lat + 1
        }
    };
    let mut loads = [(0, 0); 2];
    let mut nl = 0;
    if sh.input_words > 0 {
        let n = sh.input_words.into();
        loads[nl] = (
            Contract::load_busy(arch, n, inw),
            Contract::load_hold(arch, n, inw),
        );
        nl += 1;
    }
    if sh.weight_words > 0 {
        let n = sh.weight_words.into();
        loads[nl] = (
            Contract::load_busy(arch, n, ww),
            Contract::load_hold(arch, n, ww),
        );
        nl += 1;
    }
    // a CONFIG takes one cycle of the controller and none of the DMA
    let load = u64::from(configs) + group(&loads[..nl]);
    let store = if sh.stores > 0 {
        let n = sh.store_words.into();
        let one = (Contract::store_busy(arch, n), Contract::store_hold(arch, n));
        if serial {
            u64::from(sh.stores) * (one.0 + 1)
        } else {
            u64::from(sh.stores) * one.1 + lat + 1
        }
    } else {
        0
    };
    (compute_busy(arch, contract, sh) + 1, load, store)
}

/// The COMPUTE's busy length: the contract's, or a row-stationary pass's
/// ([`Contract::rs_busy`]) when the shape has steps.
fn compute_busy(arch: &Arch, contract: &Contract, sh: &Shape) -> u64 {
    if sh.steps > 0 {
        contract
            .rs_busy(&rs_pass(sh), sh.len.into())
            .expect("a pass's busy length fits 64 bits")
    } else {
        contract.compute_busy(arch, sh.len.into())
    }
}

/// The fields of a row-stationary pass its busy length reads (`T`, `B`).
fn rs_pass(sh: &Shape) -> tessera_arch::isa::RsPass {
    tessera_arch::isa::RsPass {
        steps: sh.steps as u8,
        block_rows: 1,
        blocks: sh.blocks as u8,
        row_step: 0,
    }
}

/// Cycles a tile's transfers hold the DRAM channel (its loads' and stores' holds): with several
/// transfer slots, the DMA's request streams are still one after the other, so a run lasts at least
/// the sum of these.
pub fn tile_holds(arch: &Arch, sh: &Shape) -> u64 {
    let mut h = 0;
    if sh.input_words > 0 {
        h += Contract::load_hold(
            arch,
            sh.input_words.into(),
            arch.input().word_bytes().into(),
        );
    }
    if sh.weight_words > 0 {
        h += Contract::load_hold(
            arch,
            sh.weight_words.into(),
            arch.weight().word_bytes().into(),
        );
    }
    h + u64::from(sh.stores) * Contract::store_hold(arch, sh.store_words.into())
}

/// The model over a schedule.
pub fn estimate_schedule(p: &Problem, arch: &Arch, schedule: &Schedule) -> Result<Estimate> {
    estimate_schedule_priced(p, arch, schedule, &Pricing::of(arch))
}

/// [`estimate_schedule`] with the accelerator's [`Pricing`] already computed: the summary and the
/// walk from one pass over the schedule's distinct tiles ([`Schedule::tiles`]). What [`estimate`]
/// (every command's analytical estimate) runs. Many schedules of one accelerator go faster
/// through an [`Estimator`], which gives the same figures: `tessera bench` times its full
/// estimates, and the mapper, which has the summary from its bound pass, calls
/// [`Estimator::capped`].
pub fn estimate_schedule_priced(
    p: &Problem,
    arch: &Arch,
    schedule: &Schedule,
    pricing: &Pricing,
) -> Result<Estimate> {
    estimate_with(p, arch, schedule, pricing, None)
}

/// Estimates of many schedules on one accelerator (the candidate mappings of a layer, of a
/// network): each is [`estimate_schedule_priced`]'s, bit for bit, but the fold of every k-tile
/// subtree of the tile nest is remembered and taken again wherever another schedule has an equal
/// one ([`Schedule::subtree_key`]: the same array, rule, loops, extent and outer tile), so most of
/// a candidate's tiles are not looked at again. The memo is bounded (it starts over past 2^14
/// subtrees, a few MB). One per thread: it is not shared.
pub struct Estimator<'a> {
    arch: &'a Arch,
    pricing: Pricing,
    memo: visits::Memo,
    scratch: Scratch<'a>,
}

/// What an [`Estimator`] reuses from one estimate to the next rather than allocating it anew:
/// the tile costs' tables and the tile tree (emptied before each estimate).
struct Scratch<'a> {
    costs: TileCosts<'a>,
    tree: Tree<(TileId, u32)>,
}

impl<'a> Estimator<'a> {
    pub fn new(arch: &'a Arch) -> Self {
        Estimator::with_pricing(arch, Pricing::of(arch))
    }

    /// An estimator with the accelerator's [`Pricing`] already computed.
    pub fn with_pricing(arch: &'a Arch, pricing: Pricing) -> Self {
        Estimator {
            arch,
            pricing,
            memo: visits::Memo::default(),
            scratch: Scratch {
                costs: TileCosts::new(arch),
                tree: Tree::default(),
            },
        }
    }

    /// [`estimate_schedule_priced`] of `schedule`, a schedule of `p` on this estimator's
    /// accelerator.
    pub fn estimate(&mut self, p: &Problem, schedule: &Schedule) -> Result<Estimate> {
        let memos = Some((&mut self.memo, &mut self.scratch));
        estimate_with(p, self.arch, schedule, &self.pricing, memos)
    }

    /// [`Estimator::estimate`] of `schedule`, whose summary is `summary`, that gives up (`None`)
    /// as soon as the walk shows the run takes more than `cap` cycles: the mapper's branch and
    /// bound stops estimating a candidate that cannot win.
    pub fn capped(
        &mut self,
        p: &Problem,
        schedule: &Schedule,
        summary: &Summary,
        cap: u64,
    ) -> Option<Estimate> {
        let memos = Some((&mut self.memo, &mut self.scratch));
        estimate_capped(p, self.arch, schedule, summary, &self.pricing, cap, memos)
    }
}

/// An [`Estimator`]'s memo of folded subtrees, and its scratch.
type Memos<'m, 'a> = (&'m mut visits::Memo, &'m mut Scratch<'a>);

/// What an estimate takes of an [`Estimator`]: its memo, costs and tree (or fresh costs alone).
type Parts<'m, 'a> = (
    Option<&'m mut visits::Memo>,
    &'m mut TileCosts<'a>,
    Option<&'m mut Tree<(TileId, u32)>>,
);

/// The parts of `memos`, its costs emptied; fresh costs without.
fn split<'m, 'a>(
    arch: &'a Arch,
    memos: Option<Memos<'m, 'a>>,
    fresh: &'m mut Option<TileCosts<'a>>,
) -> Parts<'m, 'a> {
    match memos {
        Some((memo, scratch)) => {
            scratch.costs.reset();
            (Some(memo), &mut scratch.costs, Some(&mut scratch.tree))
        }
        None => (None, fresh.insert(TileCosts::new(arch)), None),
    }
}

/// [`estimate_schedule_priced`], with the subtrees of `memos` and its scratch where given.
fn estimate_with<'a>(
    p: &Problem,
    arch: &'a Arch,
    schedule: &Schedule,
    pricing: &Pricing,
    memos: Option<Memos<'_, 'a>>,
) -> Result<Estimate> {
    if schedule.rs.is_some() {
        return Ok(estimate_priced(
            p,
            arch,
            schedule,
            &schedule.summary()?,
            pricing,
        ));
    }
    let mut fresh = None;
    let (memo, costs, mut tree) = split(arch, memos, &mut fresh);
    let (tiles, acc) = Tiles::with(arch, schedule, costs, true, memo, tree.as_deref_mut());
    let estimate = schedule.finish(&acc).map(|summary| {
        let timeline = timeline(arch, schedule, &tiles, costs, u64::MAX, How::Folded)
            .expect("an uncapped walk always finishes");
        priced(p, arch, &summary, pricing, timeline)
    });
    tiles.give_back(tree);
    estimate
}

/// What every estimate on one accelerator shares, a function of the accelerator alone: its energy
/// per event and its area. The mapper and the search estimate many schedules of one accelerator
/// and compute it once.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pricing {
    pub energy: EnergyTable,
    pub area: Area,
}

impl Pricing {
    pub fn of(arch: &Arch) -> Pricing {
        Pricing {
            energy: EnergyTable::of(arch),
            area: Area::of(arch),
        }
    }
}

/// [`estimate_schedule`] with the schedule's summary and the accelerator's [`Pricing`] already
/// computed (the search evaluates many schedules of one accelerator).
pub fn estimate_priced(
    p: &Problem,
    arch: &Arch,
    schedule: &Schedule,
    summary: &Summary,
    pricing: &Pricing,
) -> Estimate {
    estimate_capped(p, arch, schedule, summary, pricing, u64::MAX, None)
        .expect("an uncapped walk always finishes")
}

/// [`estimate_priced`] that gives up (`None`) as soon as the walk shows the run takes more than
/// `cap` cycles (the mapper's branch and bound stops estimating a candidate that cannot win:
/// [`Estimator::capped`]), with the subtrees of `memos` and its scratch where given.
fn estimate_capped<'a>(
    p: &Problem,
    arch: &'a Arch,
    schedule: &Schedule,
    summary: &Summary,
    pricing: &Pricing,
    cap: u64,
    memos: Option<Memos<'_, 'a>>,
) -> Option<Estimate> {
    let mut fresh = None;
    let (memo, costs, mut tree) = split(arch, memos, &mut fresh);
    let (tiles, _) = Tiles::with(arch, schedule, costs, false, memo, tree.as_deref_mut());
    let estimate = timeline(arch, schedule, &tiles, costs, cap, How::Folded)
        .map(|timeline| priced(p, arch, summary, pricing, timeline));
    tiles.give_back(tree);
    estimate
}

/// The estimate of a walk's [`Timeline`] and the schedule's summary.
fn priced(
    p: &Problem,
    arch: &Arch,
    summary: &Summary,
    pricing: &Pricing,
    timeline: Timeline,
) -> Estimate {
    let Timeline {
        cycles,
        breakdown,
        compute_cycles,
        dma_cycles,
    } = timeline;
    let k = counters(p, arch, summary);
    let energy = Energy::priced(&pricing.energy, &k);
    Estimate {
        cycles: Cycles(cycles),
        utilization: k.useful_macs as f64 / (arch.pes() as f64 * cycles as f64),
        counters: k,
        energy,
        area: pricing.area,
        compute_cycles: Cycles(compute_cycles),
        dma_cycles: Cycles(dma_cycles),
        breakdown,
    }
}

/// The most transfer slots a DMA has ([`tessera_arch::spec::MAX_OUTSTANDING_TRANSFERS`]).
const MAX_SLOTS: usize = tessera_arch::spec::MAX_OUTSTANDING_TRANSFERS as usize;

/// The in-order controller over the lowering's instruction order, one tile at a time: each
/// instruction issues at the first cycle the controller reaches it and its unit is free, and the
/// units are busy for the contract's lengths. For the double-buffered program it also holds the
/// tiles the lowering is behind on (`prev`: computed next; `pending`: stored next, kept only if it
/// has STOREs, so that states which differ only in a tile without stores compare equal and a
/// period is found an iteration sooner).
///
/// `SLOTS` is the room for the DMA's transfer slots: 1 for a DMA with one (most designs), so that
/// the state the periodic walk copies at every middle iteration stays small, else [`MAX_SLOTS`].
#[derive(Clone, Copy)]
struct Walk<const SLOTS: usize, const OVERLAP: bool> {
    /// The cycle the controller reaches the next instruction.
    t: u64,
    /// First cycle every transfer issued so far is done.
    dma_free: u64,
    /// The DMA's transfer slots (docs/TIMING.md, "DMA unit and the DRAM port"): the cycle after the
    /// last busy cycle of each of the last `O` transfers, oldest at `slot`; and the first cycle a new
    /// transfer may start (the previous one's request end + 1). Not kept with one slot, whose
    /// transfer is the last one, done at `dma_free`.
    slots: [u64; SLOTS],
    slot: usize,
    outstanding: usize,
    req_free: u64,
    cmp_free: u64,
    dma_cycles: u64,
    /// The breakdown so far (every COMPUTE of the lowering's programs waits for the DMA). Its
    /// busy cycles of the array, the union of the COMPUTEs' busy intervals, are the estimate's
    /// `compute_cycles`.
    acc: SyncedAcc,
    prev: Option<TileId>,
    pending: Option<TileId>,
    /// CONFIGs marked before the next tile's loads ([`Tiles::walk`]).
    configs: u32,
    /// Overlapped COMPUTEs (double-buffered weights): the last tile issued, the first cycle a
    /// COMPUTE may issue (no tile waiting), the first cycle every tile but the last is done, and
    /// the first cycle every tile but the last has read its streamed words.
    last_tile: Option<OverlappedTile>,
    accept_at: u64,
    prev_done_at: u64,
    prev_stream_at: u64,
}

/// One period of a [`Walk`]: every time moved by `dt`, every total by its increment.
struct WalkPeriod {
    dt: u64,
    dma_cycles: u64,
    acc: Breakdown,
}

impl<const SLOTS: usize, const OVERLAP: bool> Periodic for Walk<SLOTS, OVERLAP> {
    type Period = WalkPeriod;

    fn period_since(&self, b: &Self) -> Option<WalkPeriod> {
        // A unit's free time matters only once the controller reaches it: compare from `t` on.
        let dt = self.t.checked_sub(b.t)?;
        let rel = |x: u64, t: u64| x.max(t) - t;
        let tile = |w: &Self| {
            w.last_tile
                .map(|p| (i128::from(p.stream) - i128::from(w.t), p.len))
        };
        // the times first (cheap, and where a walk that has not settled differs); the
        // overlapped COMPUTEs' only when they overlap (else they stay 0)
        let same = rel(self.cmp_free, self.t) == rel(b.cmp_free, b.t)
            && rel(self.dma_free, self.t) == rel(b.dma_free, b.t)
            // (with one slot the request end times nothing: [`Walk::dma`])
            && (SLOTS == 1 || rel(self.req_free, self.t) == rel(b.req_free, b.t))
            && (!OVERLAP
                || rel(self.accept_at, self.t) == rel(b.accept_at, b.t)
                    && rel(self.prev_done_at, self.t) == rel(b.prev_done_at, b.t)
                    && rel(self.prev_stream_at, self.t) == rel(b.prev_stream_at, b.t)
                    && tile(self) == tile(b))
            && self.prev == b.prev
            && self.pending == b.pending
            && self.configs == b.configs
            && self.outstanding == b.outstanding
            // (one slot is the DMA's free time, [`Walk::dma`])
            && if SLOTS == 1 {
                true
            } else if self.outstanding == 1 {
                rel(self.slots[0], self.t) == rel(b.slots[0], b.t)
            } else {
                self.slots_oldest_first()
                    .map(|x| rel(x, self.t))
                    .eq(b.slots_oldest_first().map(|x| rel(x, b.t)))
            };
        if !same {
            return None;
        }
        Some(WalkPeriod {
            dt,
            dma_cycles: self.dma_cycles.checked_sub(b.dma_cycles)?,
            acc: self.acc.period_since(&b.acc, dt)?,
        })
    }

    fn repeat(&mut self, p: &WalkPeriod, k: u64) -> bool {
        // every time moves by the same `k` periods: one product for all of them
        let Some(shift) = p.dt.checked_mul(k) else {
            return false;
        };
        let later = |x: u64| x.checked_add(shift);
        let (Some(t), Some(dma_free), Some(cmp_free), Some(dc)) = (
            later(self.t),
            later(self.dma_free.max(self.t)),
            later(self.cmp_free.max(self.t)),
            p.dma_cycles
                .checked_mul(k)
                .and_then(|v| self.dma_cycles.checked_add(v)),
        ) else {
            return false;
        };
        let Some(req_free) = later(self.req_free.max(self.t)) else {
            return false;
        };
        let mut slots = self.slots;
        for x in &mut slots[..if SLOTS == 1 { 0 } else { self.outstanding }] {
            let Some(y) = later((*x).max(self.t)) else {
                return false;
            };
            *x = y;
        }
        let overlapped = if OVERLAP {
            let (Some(accept_at), Some(prev_done_at), Some(prev_stream_at)) = (
                later(self.accept_at.max(self.t)),
                later(self.prev_done_at.max(self.t)),
                later(self.prev_stream_at.max(self.t)),
            ) else {
                return false;
            };
            let last_tile = match self.last_tile {
                None => None,
                Some(x) => {
                    let (Some(preload), Some(stream), Some(done)) =
                        (later(x.preload), later(x.stream), later(x.done))
                    else {
                        return false;
                    };
                    Some(OverlappedTile {
                        preload,
                        stream,
                        done,
                        len: x.len,
                    })
                }
            };
            Some((accept_at, prev_done_at, prev_stream_at, last_tile))
        } else {
            None
        };
        if !self.acc.repeat(p.dt, &p.acc, k) {
            return false;
        }
        if let Some((accept_at, prev_done_at, prev_stream_at, last_tile)) = overlapped {
            (self.accept_at, self.prev_done_at) = (accept_at, prev_done_at);
            (self.prev_stream_at, self.last_tile) = (prev_stream_at, last_tile);
        }
        (self.slots, self.req_free) = (slots, req_free);
        (self.t, self.dma_free, self.cmp_free) = (t, dma_free, cmp_free);
        self.dma_cycles = dc;
        true
    }
}

impl<const SLOTS: usize, const OVERLAP: bool> Walk<SLOTS, OVERLAP> {
    /// The transfer slots, oldest first (the ring from `slot` on, then from 0).
    fn slots_oldest_first(&self) -> impl Iterator<Item = u64> + '_ {
        let (newer, older) = self.slots[..self.outstanding].split_at(self.slot);
        older.iter().chain(newer).copied()
    }
    fn config(&mut self) {
        self.t = self.t.max(self.dma_free) + 1;
    }
    fn new(arch: &Arch) -> Self {
        let outstanding = arch.dram().outstanding_transfers() as usize;
        assert!(outstanding <= SLOTS, "room for every transfer slot");
        Walk {
            t: 0,
            dma_free: 0,
            slots: [0; SLOTS],
            slot: 0,
            outstanding,
            req_free: 0,
            cmp_free: 0,
            dma_cycles: 0,
            acc: SyncedAcc::default(),
            prev: None,
            pending: None,
            configs: 0,
            last_tile: None,
            accept_at: 0,
            prev_done_at: 0,
            prev_stream_at: 0,
        }
    }
    /// A LOAD or STORE busy for `busy` cycles from its start, holding the channel for `hold`: it
    /// issues once a slot is free (the transfer `O` back is done), starts after the previous one's
    /// request end, and its busy cycles count once where they overlap the previous ones'.
    ///
    /// With one slot the transfer before is the one the DMA is busy with until `dma_free` (the
    /// slot is not kept), and this one starts the cycle after it issues: the one before held the
    /// channel no longer than it was busy (a LOAD's hold `k + 1` is its busy `L + k + 1` without
    /// the latency, a STORE's `k + 2` is `k + L + 2` without it: docs/TIMING.md), so its request
    /// end is past by then. Neither maximum is taken, and the walk's chain of dependent updates
    /// is shorter by one a transfer.
    #[inline(always)]
    fn dma(&mut self, busy: u64, hold: u64) {
        let i = self.t.max(if SLOTS == 1 {
            self.dma_free
        } else {
            self.slots[self.slot]
        });
        let (start, from) = if SLOTS == 1 {
            debug_assert!(
                self.req_free <= i + 1,
                "one slot: a transfer's hold within its busy"
            );
            (i + 1, i + 1)
        } else {
            ((i + 1).max(self.req_free), (i + 1).max(self.dma_free))
        };
        let end = start + busy - 1;
        self.acc.dma(from, end);
        self.dma_cycles += end + 1 - from;
        self.dma_free = end + 1;
        self.req_free = start + hold;
        if SLOTS > 1 {
            self.slots[self.slot] = end + 1;
            self.slot += 1;
            if self.slot == self.outstanding {
                self.slot = 0;
            }
        }
        self.t = i + 1;
    }
    #[inline(always)]
    fn compute(&mut self, busy: u64, len: u64) {
        let i = self.t.max(self.cmp_free);
        assert!(
            self.dma_free <= i + 1,
            "a COMPUTE waits for the DMA (SyncedAcc)"
        );
        self.acc.compute(i + 1, i + busy, len);
        self.cmp_free = i + busy + 1;
        self.t = i + 1;
    }
    /// A COMPUTE on an array that overlaps tiles (docs/TIMING.md, "double-buffered weights").
    #[inline(always)]
    fn compute_overlapped(&mut self, rule: &OverlapRule, len: u64) {
        let i = self.t.max(self.accept_at);
        let tile = rule.after(i, len, self.last_tile.as_ref());
        assert!(
            self.dma_free <= tile.preload,
            "a COMPUTE waits for the DMA (SyncedAcc)"
        );
        // (its busy cycles: the union of the tiles' preload..done intervals)
        self.acc.compute(tile.preload, tile.done, len);
        self.prev_done_at = self.cmp_free;
        self.prev_stream_at = self.last_tile.map_or(0, |p| p.stream_end());
        self.cmp_free = tile.done + 1;
        self.accept_at = tile.stream + 1;
        self.last_tile = Some(tile);
        self.t = i + 1;
    }
    #[inline(always)]
    fn sync(&mut self, dma: bool, cmp: bool) {
        let mut i = self.t;
        if dma {
            i = i.max(self.dma_free);
        }
        if cmp {
            i = i.max(self.cmp_free);
        }
        self.t = i + 1;
    }
    /// SYNC prev_compute: every COMPUTE but the last done.
    fn sync_prev(&mut self) {
        self.t = self.t.max(self.prev_done_at) + 1;
    }
    /// SYNC prev_stream: every COMPUTE but the last has read its streamed words (the tile
    /// before the last, [`OverlappedTile::stream_end`]).
    fn sync_prev_stream(&mut self) {
        self.t = self.t.max(self.prev_stream_at) + 1;
    }
    /// The SYNC after an overlapped COMPUTE, if any ([`Shape::prev_sync`]).
    #[inline(always)]
    fn sync_after_compute(&mut self, s: Option<PrevSync>) {
        match s {
            Some(PrevSync::Compute) => self.sync_prev(),
            Some(PrevSync::Stream) => self.sync_prev_stream(),
            None => {}
        }
    }
    /// Cycles of the run (HALT completes at h; the count is h + 1).
    fn halt(&self) -> u64 {
        self.t.max(self.dma_free).max(self.cmp_free) + 1
    }
}

/// What the walk needs of a tile: its instructions' unit times under the contract (a function of
/// its [`Shape`], computed once per distinct shape of a schedule by [`TileCosts`]). Loads are
/// absent when their busy length is 0 (a LOAD is busy at least one cycle).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TileCost {
    /// The input LOAD's busy and hold lengths.
    input: (u64, u64),
    /// The weight LOAD's.
    weight: (u64, u64),
    /// STOREs after the COMPUTE, and each one's busy and hold lengths.
    stores: u32,
    store: (u64, u64),
    /// The COMPUTE's busy length (on an array that does not overlap tiles) and the words it
    /// streams.
    compute: u64,
    len: u64,
    /// The SYNC that follows the COMPUTE when COMPUTEs overlap ([`Shape::prev_sync`]).
    prev_sync: Option<PrevSync>,
}

/// The fields of a [`Shape`] its [`TileCost`] depends on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TileKey {
    input_words: u32,
    weight_words: u32,
    len: u32,
    stores: u32,
    store_words: u32,
    prev_sync: Option<PrevSync>,
    steps: u32,
    blocks: u32,
}

impl TileKey {
    #[inline(always)]
    fn of(sh: &Shape) -> TileKey {
        TileKey {
            input_words: sh.input_words,
            weight_words: sh.weight_words,
            len: sh.len,
            stores: sh.stores,
            store_words: sh.store_words,
            prev_sync: sh.prev_sync(),
            steps: sh.steps,
            blocks: sh.blocks,
        }
    }
}

/// A distinct tile cost of one walk: an index into its [`TileCosts`], which never forgets one, so
/// equal ids are equal costs (the walk's state compares them to find periods).
type TileId = u16;

/// The tile costs of one schedule's distinct shapes, each computed once (the walk meets a handful
/// of shapes over and over: the contract's divisions are done once each). A schedule has at most
/// 24 distinct keys (two tile sizes of the stream, the first slice or not, no stores or one per
/// slice of either width, two store widths), most have a handful.
struct TileCosts<'a> {
    arch: &'a Arch,
    contract: Contract,
    word_bytes: (u64, u64),
    keys: Vec<TileKey>,
    costs: Vec<TileCost>,
    /// The id found last.
    last: usize,
    /// Per id, the first shape tallied with its key, and the tiles tallied ([`TileCosts::tally`]).
    shapes: Vec<Shape>,
    tallies: Vec<Tally>,
}

/// Tiles of one cost id counted into a summary ([`TileCosts::tally`]): how many, how many of them
/// accumulate into their outputs (the one term of a tile's summary that its [`TileKey`] leaves
/// out), and whether either count passed 64 bits.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    tiles: u64,
    accumulating: u64,
    overflow: bool,
}

impl<'a> TileCosts<'a> {
    fn new(arch: &'a Arch) -> Self {
        TileCosts {
            arch,
            contract: Contract::default(),
            word_bytes: (
                u64::from(arch.input().word_bytes()),
                u64::from(arch.weight().word_bytes()),
            ),
            keys: Vec::with_capacity(24),
            costs: Vec::with_capacity(24),
            last: 0,
            shapes: Vec::with_capacity(24),
            tallies: Vec::with_capacity(24),
        }
    }

    /// The key of a cost id's tile (`None`: [`MARK`]).
    fn key(&self, id: TileId) -> Option<TileKey> {
        (id != MARK).then(|| self.keys[usize::from(id)])
    }

    /// Forget every cost, keeping the tables' memory.
    fn reset(&mut self) {
        self.keys.clear();
        self.costs.clear();
        self.last = 0;
        self.shapes.clear();
        self.tallies.clear();
    }

    /// Count `mult` tiles of shape `sh`, whose cost id is `id`, into the summary that
    /// [`TileCosts::add_tallies`] adds: one tally per id rather than a summary's fifteen
    /// products per tile of the tree. Exact: every term of a tile's summary but one is a function
    /// of its key (its words, stores and length: the words the array reads and writes are a
    /// function of the length), and the one that is not is tallied apart.
    #[inline(always)]
    fn tally(&mut self, id: TileId, sh: &Shape, mult: u64) {
        let i = usize::from(id);
        if self.tallies[i].tiles == 0 {
            self.shapes[i] = *sh;
        }
        debug_assert_eq!(
            SummaryAcc::of(sh, 8, 8),
            SummaryAcc::of(
                &Shape {
                    accumulate: sh.accumulate,
                    ..self.shapes[i]
                },
                8,
                8
            ),
            "a tile's summary is a function of its key and `accumulate`"
        );
        let t = &mut self.tallies[i];
        let (tiles, o) = t.tiles.overflowing_add(mult);
        t.tiles = tiles;
        t.overflow |= o;
        if sh.accumulate {
            let (acc, o) = t.accumulating.overflowing_add(mult);
            t.accumulating = acc;
            t.overflow |= o;
        }
    }

    /// Add every id's tallied tiles to `acc` (on an `r × c` array). A tally that passed 64 bits
    /// counts tiles past what any total holds: `acc` is marked overflowed.
    fn add_tallies(&self, acc: &mut SummaryAcc, r: u32, c: u32) {
        for (sh, t) in self.shapes.iter().zip(&self.tallies) {
            if t.overflow {
                acc.overflowed();
            } else if t.tiles > 0 {
                acc.add_split(sh, t.tiles, t.accumulating, r, c);
            }
        }
    }

    /// The id of `sh`'s cost.
    #[inline(always)]
    fn id(&mut self, sh: &Shape) -> TileId {
        let key = TileKey::of(sh);
        if self.keys.get(self.last) == Some(&key) {
            return self.last as TileId;
        }
        self.find_or_add(key)
    }

    /// [`TileCosts::id`] past the id found last.
    #[inline(never)]
    fn find_or_add(&mut self, key: TileKey) -> TileId {
        let i = match self.keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                let c = self.cost(&key);
                self.keys.push(key);
                self.costs.push(c);
                // (the shape is the first one tallied, [`TileCosts::tally`])
                self.shapes.push(Shape::default());
                self.tallies.push(Tally::default());
                self.keys.len() - 1
            }
        };
        self.last = i;
        match TileId::try_from(i) {
            Ok(id) if id != MARK => id,
            _ => panic!("a schedule has far fewer than 2^16 tile shapes"),
        }
    }

    /// Whether no transfer of these tiles holds the DRAM channel longer than it is busy (a premise
    /// of [`visits`]; the contract's lengths satisfy it).
    fn holds_within_busy(&self) -> bool {
        self.costs
            .iter()
            .all(|c| c.input.1 <= c.input.0 && c.weight.1 <= c.weight.0 && c.store.1 <= c.store.0)
    }

    #[inline(always)]
    fn get(&self, id: TileId) -> &TileCost {
        &self.costs[usize::from(id)]
    }

    fn cost(&self, k: &TileKey) -> TileCost {
        let arch = self.arch;
        let (inw, ww) = self.word_bytes;
        let load = |words: u32, b: u64| {
            if words > 0 {
                let n = words.into();
                (
                    Contract::load_busy(arch, n, b),
                    Contract::load_hold(arch, n, b),
                )
            } else {
                (0, 0)
            }
        };
        let store = if k.stores > 0 {
            // every STORE of a tile moves the same words: one busy length for all of them
            let n = k.store_words.into();
            (Contract::store_busy(arch, n), Contract::store_hold(arch, n))
        } else {
            (0, 0)
        };
        TileCost {
            input: load(k.input_words, inw),
            weight: load(k.weight_words, ww),
            stores: k.stores,
            store,
            compute: if k.steps > 0 {
                compute_busy(
                    arch,
                    &self.contract,
                    &Shape {
                        len: k.len,
                        steps: k.steps,
                        blocks: k.blocks,
                        ..Shape::default()
                    },
                )
            } else {
                self.contract.compute_busy(arch, k.len.into())
            },
            // a row-stationary pass streams E·T words
            len: u64::from(k.len) * u64::from(k.steps.max(1)),
            prev_sync: k.prev_sync,
        }
    }
}

/// What the walk of a schedule's program gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timeline {
    cycles: u64,
    breakdown: Breakdown,
    /// The units' busy totals: the array's is the breakdown's compute and fill/drain cycles.
    compute_cycles: u64,
    dma_cycles: u64,
}

/// A schedule's tiles as the walk reads them: their sum of visits, folded without a tree where
/// the visits apply ([`visits`]); else the tree of its distinct tiles' cost ids, with each
/// instance's CONFIGs as a mark ([`Schedule::tiles`]); or a row-stationary schedule's passes,
/// walked one by one.
enum Tiles {
    Folded(visits::Stretch),
    Tree(Tree<(TileId, u32)>),
    Passes,
}

/// The id of a CONFIG mark in a [`Tiles::Tree`] (no tile's: [`TileCosts::id`]).
const MARK: TileId = TileId::MAX;

impl Tiles {
    /// The tiles of `schedule` on `arch`, folded where the visits apply.
    #[cfg(test)]
    fn of(arch: &Arch, schedule: &Schedule, costs: &mut TileCosts) -> Tiles {
        Tiles::with(arch, schedule, costs, false, None, None).0
    }

    /// [`Tiles::of`], and from the same pass the sum of the tiles' shapes (the summary's totals)
    /// when `sum` (else an empty one); the subtrees `memo` remembers are taken from it.
    fn with(
        arch: &Arch,
        schedule: &Schedule,
        costs: &mut TileCosts,
        sum: bool,
        memo: Option<&mut visits::Memo>,
        scratch: Option<&mut Tree<(TileId, u32)>>,
    ) -> (Tiles, SummaryAcc) {
        if schedule.rs.is_some() {
            return (Tiles::Passes, SummaryAcc::default());
        }
        if visits::apply(arch, schedule) {
            // (the fold sums the shapes with the visits; an overflowing one is left for the tree)
            if let Some(s) = visits::fold(schedule, costs, memo) {
                return (
                    Tiles::Folded(s),
                    if sum { s.acc } else { SummaryAcc::default() },
                );
            }
        }
        let mut acc = SummaryAcc::default();
        let tiles = Tiles::tree(schedule, costs, sum.then_some(&mut acc), scratch);
        (tiles, acc)
    }

    /// The tree of `schedule`'s tiles (what [`Tiles::walk`] walks), the tiles' shapes summed
    /// into `acc` where given; built in `scratch`'s memory where given ([`Tiles::give_back`]).
    fn tree(
        schedule: &Schedule,
        costs: &mut TileCosts,
        acc: Option<&mut SummaryAcc>,
        scratch: Option<&mut Tree<(TileId, u32)>>,
    ) -> Tiles {
        let mut tree = scratch.map(std::mem::take).unwrap_or_default();
        let sum = acc.is_some();
        schedule.tiles_in(&mut tree, Tiles::mark, |sh, mult| {
            let id = costs.id(sh);
            if sum {
                costs.tally(id, sh, mult);
            }
            (id, 0)
        });
        if let Some(acc) = acc {
            costs.add_tallies(acc, schedule.rows, schedule.cols);
        }
        Tiles::Tree(tree)
    }

    /// The tree's memory back to `scratch`, if any, for the next estimate's tree.
    fn give_back(self, scratch: Option<&mut Tree<(TileId, u32)>>) {
        if let (Tiles::Tree(tree), Some(scratch)) = (self, scratch) {
            *scratch = tree;
        }
    }

    /// The mark of `n` CONFIGs before the next tile's loads.
    fn mark(n: u32) -> (TileId, u32) {
        (MARK, n)
    }

    /// `step(state, costs, id, configs)` for every tile in program order, with the CONFIGs the
    /// lowering emits before its loads: by the tree, repeated stretches applied as whole periods
    /// of `state` ([`Tree::walk`]); tile by tile when `plain` (the reference the periodic walk is
    /// held to) or for row-stationary passes.
    fn walk<const SLOTS: usize, const OVERLAP: bool>(
        &self,
        schedule: &Schedule,
        costs: &mut TileCosts,
        plain: bool,
        state: &mut Walk<SLOTS, OVERLAP>,
        mut step: impl FnMut(&mut Walk<SLOTS, OVERLAP>, &TileCosts, TileId, u32) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        match self {
            // folded where the visits apply, walked where they do not after all
            Tiles::Folded(_) if !plain => {
                Tiles::tree(schedule, costs, None, None).walk(schedule, costs, plain, state, step)
            }
            Tiles::Tree(tree) if !plain => tree.walk(state, &mut |w, &(id, n)| {
                if id == MARK {
                    w.configs = n;
                    ControlFlow::Continue(())
                } else {
                    let configs = std::mem::take(&mut w.configs);
                    step(w, costs, id, configs)
                }
            }),
            _ => {
                let conv = schedule.is_conv();
                schedule.try_for_each_step(|st| {
                    let id = costs.id(&st.shape);
                    step(state, costs, id, st.configs(conv))
                })
            }
        }
    }
}

/// How [`timeline`] goes through the tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    /// Every tile (the reference the others are held to).
    EveryTile,
    /// By the tree, repeated stretches applied as whole periods ([`Tree::walk`]): what
    /// [`How::Folded`] does where the visits do not apply (tests hold it to the others everywhere).
    #[cfg_attr(not(test), allow(dead_code))]
    Periodic,
    /// As a sum of visits where the program allows it ([`visits`]), else periodic.
    Folded,
}

/// Cycles, their breakdown, and the units' busy totals of a schedule's program; `None` as soon as
/// the controller is past cycle `cap` (the run then takes more than `cap` cycles). Repeated
/// stretches of the loop nest are applied as whole periods of the walk ([`Tree::walk`]),
/// exactly: the walk only takes maxima and adds constants, so it commutes with a time shift. With
/// one transfer slot, on an array that does not overlap tiles, the program is a sum of visits
/// instead, which the tree folds in closed form ([`visits`]; else, or on overflow, walked).
fn timeline(
    arch: &Arch,
    schedule: &Schedule,
    tiles: &Tiles,
    costs: &mut TileCosts,
    cap: u64,
    how: How,
) -> Option<Timeline> {
    match (
        arch.dram().outstanding_transfers() == 1,
        schedule.overlapped,
    ) {
        (true, false) => timeline_with::<1, false>(arch, schedule, tiles, costs, cap, how),
        (true, true) => timeline_with::<1, true>(arch, schedule, tiles, costs, cap, how),
        (false, false) => timeline_with::<MAX_SLOTS, false>(arch, schedule, tiles, costs, cap, how),
        (false, true) => timeline_with::<MAX_SLOTS, true>(arch, schedule, tiles, costs, cap, how),
    }
}

/// The lowering's two programs, tile by tile (mapping/src/lower.rs):
/// - double-buffered: loads(0); SYNC dma; per tile j: COMPUTE j; stores(j-1); loads(j+1); SYNC
///   dma (not after the last); then SYNC compute; stores(last); HALT;
/// - single-buffered, every tile alone: loads; SYNC dma; COMPUTE; SYNC compute; [stores; SYNC dma].
impl<const SLOTS: usize, const OVERLAP: bool> Walk<SLOTS, OVERLAP> {
    /// A tile's `configs` CONFIGs, then its loads.
    #[inline(always)]
    fn loads(&mut self, c: &TileCost, configs: u32) {
        for _ in 0..configs {
            self.config();
        }
        if c.input.0 > 0 {
            self.dma(c.input.0, c.input.1);
        }
        if c.weight.0 > 0 {
            self.dma(c.weight.0, c.weight.1);
        }
    }
    #[inline(always)]
    fn stores(&mut self, c: &TileCost) {
        for _ in 0..c.stores {
            self.dma(c.store.0, c.store.1);
        }
    }
    #[inline(always)]
    fn compute_tile(&mut self, c: &TileCost, rule: &OverlapRule) {
        if OVERLAP {
            self.compute_overlapped(rule, c.len);
            self.sync_after_compute(c.prev_sync);
        } else {
            self.compute(c.compute, c.len);
        }
    }
    /// The double-buffered program's instructions as far as tile `id`'s loads and the SYNC after
    /// them: its loads alone for the first tile, else the previous tile's COMPUTE, the stores of
    /// the one before, and its loads.
    #[inline(always)]
    fn double_step(&mut self, costs: &TileCosts, rule: &OverlapRule, id: TileId, configs: u32) {
        match self.prev {
            None => self.loads(costs.get(id), configs),
            Some(p) => {
                self.compute_tile(costs.get(p), rule);
                if let Some(q) = self.pending {
                    self.stores(costs.get(q));
                }
                self.loads(costs.get(id), configs);
                self.pending = (costs.get(p).stores > 0).then_some(p);
            }
        }
        self.sync(true, false);
        self.prev = Some(id);
    }
    /// The double-buffered program's end, after the last tile's step.
    fn double_end(&mut self, costs: &TileCosts, rule: &OverlapRule) {
        let last = *costs.get(self.prev.expect("a schedule has at least one tile"));
        self.compute_tile(&last, rule);
        if let Some(q) = self.pending {
            self.stores(costs.get(q));
        }
        if last.stores > 0 {
            self.sync(false, true);
            self.stores(&last);
        }
    }
    /// The single-buffered program's tile up to its COMPUTE: its loads and the SYNC after them.
    #[inline(always)]
    fn single_head(&mut self, c: &TileCost, configs: u32) {
        self.loads(c, configs);
        self.sync(true, false);
    }
    /// The single-buffered program's tile from its COMPUTE on.
    #[inline(always)]
    fn single_tail(&mut self, c: &TileCost, rule: &OverlapRule) {
        self.compute_tile(c, rule);
        self.sync(false, true);
        if c.stores > 0 {
            self.stores(c);
            self.sync(true, false);
        }
    }
}

/// [`timeline`] with room for `SLOTS` transfer slots in the walk's state, on an array that
/// overlaps COMPUTEs when `OVERLAP` (the schedule's `overlapped`).
fn timeline_with<const SLOTS: usize, const OVERLAP: bool>(
    arch: &Arch,
    schedule: &Schedule,
    tiles: &Tiles,
    costs: &mut TileCosts,
    cap: u64,
    how: How,
) -> Option<Timeline> {
    let rule = OverlapRule::of(arch);
    let over = |w: &Walk<SLOTS, OVERLAP>| {
        if w.t > cap {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let double = schedule.double_buffered;
    // the state before the last tile's COMPUTE, summed in closed form
    let folded = match tiles {
        Tiles::Folded(s) if how == How::Folded => visits::resume(arch, double, s, costs, &rule),
        _ => None,
    };
    let w = match folded {
        Some((mut w, last)) => {
            if double {
                w.double_end(costs, &rule);
            } else {
                w.single_tail(costs.get(last), &rule);
            }
            w
        }
        None => {
            let mut w = Walk::<SLOTS, OVERLAP>::new(arch);
            let plain = how == How::EveryTile;
            let walked = if double {
                tiles.walk(schedule, costs, plain, &mut w, |w, costs, id, configs| {
                    w.double_step(costs, &rule, id, configs);
                    over(w)
                })
            } else {
                tiles.walk(schedule, costs, plain, &mut w, |w, costs, id, configs| {
                    let c = costs.get(id);
                    w.single_head(c, configs);
                    w.single_tail(c, &rule);
                    over(w)
                })
            };
            if walked.is_break() {
                return None;
            }
            if double {
                w.double_end(costs, &rule);
            }
            w
        }
    };
    let cycles = w.halt();
    if cycles > cap {
        return None;
    }
    let breakdown = w.acc.finish(cycles);
    Some(Timeline {
        cycles,
        breakdown,
        compute_cycles: breakdown.compute + breakdown.fill_drain,
        dma_cycles: w.dma_cycles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tessera_arch::{ArchSpec, Dataflow};
    use tessera_workloads::{Conv2d, Gemm, Layer};

    /// The timeline of `s`'s tiles, gone through as `how` says.
    fn timeline_of(arch: &Arch, s: &Schedule, cap: u64, how: How) -> Option<Timeline> {
        let mut costs = TileCosts::new(arch);
        let tiles = Tiles::of(arch, s, &mut costs);
        timeline(arch, s, &tiles, &mut costs, cap, how)
    }

    /// A random accelerator of the proptests: dataflow `df` (an index), an array of
    /// `rows × cols`, `banks` banks, DRAM of `bpc` bytes a cycle, `lat` cycles and `slots`
    /// transfer slots, double-buffered weights when `db` and two banks.
    #[allow(clippy::too_many_arguments)]
    fn arch_of(
        df: usize,
        rows: i64,
        cols: i64,
        banks: i64,
        bpc: i64,
        lat: i64,
        slots: i64,
        db: bool,
    ) -> Arch {
        let df = Dataflow::SUPPORTED[df];
        let (streamed, stationary) = (rows * 64 * banks, cols * rows.max(32) * banks);
        let bytes = match df {
            Dataflow::InputStationary => [stationary, streamed, 4 * cols * 64 * banks],
            _ => [streamed, stationary, 4 * cols * 64 * banks],
        };
        let mut spec = ArchSpec::ws("prop", rows, cols, bytes, banks, bpc, lat).with_dataflow(df);
        spec.dram.outstanding_transfers = Some(slots);
        if db && banks == 2 {
            spec = spec.with_weight_double_buffer(true);
        }
        spec.validate().unwrap()
    }

    /// A random layer of the proptests: an `m × k × n` GEMM, or a convolution whose GEMM is
    /// about `m × (9·c) × n`.
    fn layer_of(m: u32, k: u32, n: u32, conv: bool) -> Layer {
        if conv {
            let c = (k / 9).clamp(1, 40);
            let side = ((m as f64).sqrt() as u32).clamp(1, 24);
            Layer::Conv2d(Conv2d {
                name: "c".into(),
                batch: 1,
                in_channels: c,
                in_h: side + 2,
                in_w: side + 2,
                out_channels: n.min(80),
                kernel: [3, 3],
                stride: [1, 1],
                dilation: [1, 1],
                pad_begin: [0, 0],
                pad_end: [0, 0],
                groups: 1,
                out_h: side,
                out_w: side,
            })
        } else {
            Layer::Gemm(Gemm::new("g", m, k, n))
        }
    }

    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        /// The periodic walk (repeated stretches applied as periods, tile costs looked up once
        /// per shape) and the fold of the visits give exactly the figures of the walk of every
        /// tile, on random accelerators
        /// of every dataflow (single- and double-buffered, double-buffered weights, one to four
        /// transfer slots) and random GEMMs and convolutions under random mappings, capped or not.
        #[test]
        fn the_periodic_walk_equals_the_walk_of_every_tile(
            df in 0usize..3, rows in 1i64..9, cols in 1i64..9, banks in 1i64..3,
            bpc in 1i64..40, lat in 1i64..60, slots in 1i64..5, db in any::<bool>(),
            m in 1u32..400, k in 1u32..400, n in 1u32..300, conv in any::<bool>(),
            pick in 0usize..10_000, cap_frac in 0u64..4,
        ) {
            let arch = arch_of(df, rows, cols, banks, bpc, lat, slots, db);
            let p = Problem::new(&layer_of(m, k, n, conv), &arch).unwrap();
            let cands = Mapping::candidates(&p.gemm, &arch);
            prop_assume!(!cands.is_empty());
            let mp = cands[pick % cands.len()];
            let s = Schedule::new(&p, &arch, &mp);
            prop_assume!(s.summary().unwrap().steps <= 200_000);
            let plain = timeline_of(&arch, &s, u64::MAX, How::EveryTile);
            prop_assert_eq!(timeline_of(&arch, &s, u64::MAX, How::Periodic), plain);
            prop_assert_eq!(timeline_of(&arch, &s, u64::MAX, How::Folded), plain);
            // which is folded wherever the visits apply (one slot, tiles not overlapped)
            if slots == 1 && !s.overlapped {
                let mut costs = TileCosts::new(&arch);
                let Tiles::Folded(f) = Tiles::of(&arch, &s, &mut costs) else {
                    panic!("the visits apply")
                };
                let rule = OverlapRule::of(&arch);
                let w = visits::resume::<1, false>(&arch, s.double_buffered, &f, &mut costs, &rule);
                prop_assert!(w.is_some());
            }
            // a cap below, at and above the run's cycles: the same answer from every walk
            let cycles = plain.unwrap().cycles;
            let cap = cycles / 2 + cap_frac * cycles / 4;
            let capped = timeline_of(&arch, &s, cap, How::EveryTile);
            prop_assert_eq!(timeline_of(&arch, &s, cap, How::Periodic), capped);
            prop_assert_eq!(timeline_of(&arch, &s, cap, How::Folded), capped);
            // the estimate from one pass over the tiles (summary and walk) equals the one from
            // the summary's own pass
            let pricing = Pricing::of(&arch);
            prop_assert_eq!(
                estimate_schedule_priced(&p, &arch, &s, &pricing).unwrap(),
                estimate_priced(&p, &arch, &s, &s.summary().unwrap(), &pricing)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

        /// An [`Estimator`] that has estimated other schedules gives every estimate bit for bit
        /// as a fresh one does, on random accelerators of every dataflow and random GEMMs and
        /// convolutions: candidates of several layers, their subtrees remembered and taken again
        /// (the second pass takes every k-tile subtree from the memo).
        #[test]
        fn an_estimator_with_a_memo_gives_the_fresh_estimates(
            df in 0usize..3, rows in 1i64..9, cols in 1i64..9, banks in 1i64..3,
            bpc in 1i64..40, lat in 1i64..60, slots in 1i64..3, db in any::<bool>(),
            layers in proptest::collection::vec((1u32..300, 1u32..300, 1u32..200, any::<bool>()), 1..4),
            picks in proptest::collection::vec(0usize..10_000, 1..6),
        ) {
            let arch = arch_of(df, rows, cols, banks, bpc, lat, slots, db);
            let pricing = Pricing::of(&arch);
            let mut jobs = vec![];
            for &(m, k, n, conv) in &layers {
                let p = Problem::new(&layer_of(m, k, n, conv), &arch).unwrap();
                let cands = Mapping::candidates(&p.gemm, &arch);
                for &i in picks.iter().filter(|_| !cands.is_empty()) {
                    let s = Schedule::new(&p, &arch, &cands[i % cands.len()]);
                    if s.summary().unwrap().steps <= 50_000 {
                        jobs.push((p.clone(), s));
                    }
                }
            }
            let mut est = Estimator::with_pricing(&arch, pricing);
            for _ in 0..2 {
                for (p, s) in &jobs {
                    let fresh = estimate_schedule_priced(p, &arch, s, &pricing).unwrap();
                    prop_assert_eq!(&est.estimate(p, s).unwrap(), &fresh);
                    // and capped at its cycles, or one fewer
                    let (summary, cycles) = (s.summary().unwrap(), fresh.cycles.0);
                    prop_assert_eq!(est.capped(p, s, &summary, cycles), Some(fresh));
                    prop_assert_eq!(est.capped(p, s, &summary, cycles - 1), None);
                }
            }
        }
    }
}
