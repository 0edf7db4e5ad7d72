//! Event-level engine: components exchange events through one queue, and time jumps from event to
//! event.
//!
//! The queue holds events keyed by (cycle, phase, sequence): phase [`Phase::Settle`] (a unit's busy
//! register has cleared) comes before [`Phase::Look`] (the controller examines the instruction at `pc`) within a
//! cycle, as register outputs settle before the logic that reads them; the sequence number makes
//! ties deterministic. Components:
//! - the [`Controller`] issues in order: an instruction for a unit issues when the unit is free,
//!   SYNC and HALT wait for the units they name; when it cannot proceed it sleeps until the unit it
//!   waits for posts its `Settle` event (no polling);
//! - the DMA and compute [`UnitState`]s hold their busy registers; a unit's busy length comes from
//!   the contract ([`Contract`]), the DMA's through the [`DramChannel`]; the DMA keeps up to `O`
//!   transfers in flight ([`DmaSlots`]: their last busy cycles, in order), so a LOAD or STORE
//!   issues when a slot is free and SYNC, HALT and CONFIG wait for the last one;
//! - the [`DramChannel`] grants transfers in the order they begin to request it (docs/TIMING.md,
//!   "Systems": a DMA's oldest transfer not yet granted requests from `max(c + 1, e' + 1)`, `e'`
//!   its previous transfer's request end; ties by sub-accelerator index), each holding it through
//!   its last request or beat. A transfer issued is *pending* until granted: [`run_system`] makes
//!   the next grant, `g = max(free, r)` for the earliest request `r`, before any event of cycle `g`
//!   (every request from `g` or earlier is known by then: it comes from an issue before `g` or
//!   from an earlier grant), and a controller never runs past the next grant. The grant fixes the
//!   transfer's busy span, posts its `Settle` event and records its statistics; a lone accelerator
//!   is the system of one, whose every grant is `max(c + 1, e' + 1)`. A transfer is one event with
//!   the contract's closed-form beat times from its grant (arbitration finer than a transfer would
//!   make it one event per burst).
//!
//! Functional effects are applied when an instruction issues: LOAD and STORE copy words, COMPUTE
//! runs the fast int8 kernel over the tile (a row-stationary pass: [`rs_pass`], the pass's sums
//! straight from their definition, busy [`Contract::rs_busy`] cycles; the array's MAC slots
//! [`Contract::rs_mac_slots`]). That is exact only for race-free programs, so the engine
//! checks every pair of overlapping instructions of different units for a buffer conflict and
//! refuses a racy program (the stepped engine runs it as the hardware would).

use super::{compute_words, ComputeRanges, Machine};
use crate::contract::{Contract, OverlappedTile};
use crate::SimOptions;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use tessera_arch::gather::ReadReq;
use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
use tessera_arch::Dataflow;
use tessera_core::diag::{Diagnostic, Result};

/// The two units the controller issues to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Dma = 0,
    Compute = 1,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Dma => "dma",
            Unit::Compute => "compute",
        }
    }
}

/// Order of events within one cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// A unit's busy register is low from this cycle on.
    Settle = 0,
    /// The controller examines the instruction at `pc`.
    Look = 1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Free(Unit),
    Look,
}

/// The event queue: a binary heap with a total order (cycle, phase, sequence).
#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<(u64, Phase, u64, Event)>>,
    seq: u64,
}

impl Queue {
    fn push(&mut self, cycle: u64, phase: Phase, ev: Event) {
        self.seq += 1;
        self.heap.push(Reverse((cycle, phase, self.seq, ev)));
    }
    fn pop(&mut self) -> Option<(u64, Event)> {
        self.heap.pop().map(|Reverse((c, _, _, e))| (c, e))
    }
    /// Whether nothing is queued before (`cycle`, `phase`), so that event can be handled at once.
    fn nothing_before(&self, cycle: u64, phase: Phase) -> bool {
        self.heap
            .peek()
            .is_none_or(|Reverse((c, p, _, _))| (*c, *p) > (cycle, phase))
    }
}

/// A unit's busy register.
#[derive(Clone, Copy, Default)]
struct UnitState {
    busy: bool,
}

/// A compute unit that overlaps tiles (double-buffered weights, docs/TIMING.md): its tiles' times
/// instead of one busy register. `Free(Compute)` events are posted at each time a condition below
/// starts to hold.
#[derive(Clone, Copy, Default)]
struct OverlapState {
    last: Option<OverlappedTile>,
    /// The last COMPUTE's first accumulator word and program counter.
    last_out: u32,
    last_pc: usize,
    /// First cycle no tile is waiting (a COMPUTE may issue).
    accept_at: u64,
    /// First cycle every tile is done.
    done_at: u64,
    /// First cycle every tile but the last is done.
    prev_done_at: u64,
    /// First cycle every tile but the last has read its streamed words (SYNC prev_stream).
    prev_stream_at: u64,
}

/// The DRAM channel (docs/TIMING.md, "Systems"): granted to the transfer that has requested
/// longest, ties to the lower sub-accelerator index, in a cycle in which no transfer holds it.
#[derive(Default)]
struct DramChannel {
    /// First cycle at which the channel is free for a new transfer.
    free_at: u64,
}

impl DramChannel {
    /// The next grant as the requests known now make it: (grant cycle, sub-accelerator).
    fn next(&self, sims: &[EventSim]) -> Option<(u64, usize)> {
        sims.iter()
            .enumerate()
            .filter_map(|(i, s)| s.dma.request().map(|r| (r, i)))
            .min()
            .map(|(r, i)| (r.max(self.free_at), i))
    }
}

/// A LOAD or STORE issued and not yet granted the channel.
struct Pending {
    ins: Instr,
    pc: usize,
    /// Its issue cycle `c`.
    issue: u64,
}

/// The breakdown's intervals, fed in issue order: a COMPUTE issued after a transfer that is still
/// pending waits here until that transfer's busy span is known.
#[derive(Default)]
struct Deferred {
    ops: std::collections::VecDeque<BdOp>,
}

enum BdOp {
    /// A transfer's busy cycles not counted before (`None` while pending).
    Dma(Option<(u64, u64)>),
    /// A COMPUTE's (start, end, len).
    Compute(u64, u64, u64),
}

impl Deferred {
    fn dma_issued(&mut self) {
        self.ops.push_back(BdOp::Dma(None));
    }

    fn compute(&mut self, m: &mut Machine, start: u64, end: u64, len: u64) {
        if self.ops.is_empty() {
            m.breakdown.compute(start, end, len);
        } else {
            self.ops.push_back(BdOp::Compute(start, end, len));
        }
    }

    /// The oldest pending transfer is granted: busy in `from..=end` beyond the cycles counted.
    fn dma_granted(&mut self, m: &mut Machine, from: u64, end: u64) {
        if let Some(op) = self.ops.iter_mut().find(|o| matches!(o, BdOp::Dma(None))) {
            *op = BdOp::Dma(Some((from, end)));
        }
        while let Some(op) = self.ops.front() {
            match *op {
                BdOp::Dma(None) => break,
                BdOp::Dma(Some((f, e))) => {
                    if f <= e {
                        m.breakdown.dma(f, e);
                    }
                }
                BdOp::Compute(s, e, l) => m.breakdown.compute(s, e, l),
            }
            self.ops.pop_front();
        }
    }
}

/// Cycles a transfer holds the channel: through its last read request or write beat.
fn dma_hold(arch: &tessera_arch::Arch, ins: &Instr) -> u64 {
    match *ins {
        Instr::Load { target, count, .. } | Instr::Gather { target, count, .. } => {
            Contract::load_hold(
                arch,
                count.into(),
                arch.load_buffer(target).word_bytes().into(),
            )
        }
        Instr::Store { count, .. } => Contract::store_hold(arch, count.into()),
        _ => unreachable!("only LOAD and STORE use the channel"),
    }
}

/// The in-order controller.
#[derive(Default)]
struct Controller {
    pc: usize,
    /// The unit the controller sleeps on, and since which cycle it has been waiting.
    waiting: Option<(Unit, u64)>,
    /// Start of the current wait (kept across several sleeps of one SYNC or HALT).
    wait_since: Option<u64>,
}

impl Controller {
    /// Sleep until `u`'s busy register clears; the wait counts from the first cycle of waiting.
    fn sleep_on(&mut self, u: Unit, t: u64) {
        self.waiting = Some((u, t));
        self.wait_since.get_or_insert(t);
    }
}

/// Buffer word ranges an instruction touches: (buffer id, start, end, writes?).
type Footprint = [(u8, u32, u32, bool); 3];

fn footprint(m: &Machine, ins: &Instr) -> (Footprint, usize) {
    let none = (0, 0, 0, false);
    match *ins {
        Instr::Load {
            target,
            count,
            sram_addr,
            ..
        }
        | Instr::Gather {
            target,
            count,
            sram_addr,
            ..
        } => {
            let b = if target == LoadTarget::Input { 0 } else { 1 };
            let s = sram_addr;
            ([(b, s, s + u32::from(count), true), none, none], 1)
        }
        Instr::Store {
            count, sram_addr, ..
        } => {
            let s = sram_addr;
            ([(2, s, s + u32::from(count), false), none, none], 1)
        }
        Instr::Compute { .. } | Instr::ComputeRs { .. } => {
            let ComputeRanges {
                in_addr: i,
                w_addr: w,
                out_addr: o,
                words: (ni, nw, no),
                ..
            } = ComputeRanges::of(m.arch, ins).expect("a COMPUTE");
            (
                [
                    (0, i, i + ni as u32, false),
                    (1, w, w + nw as u32, false),
                    (2, o, o + no as u32, true),
                ],
                3,
            )
        }
        _ => ([none; 3], 0),
    }
}

struct Active {
    end: u64,
    pc: usize,
    fp: (Footprint, usize),
    /// The cycles each footprint entry is touched in (an overlapped tile reads its weights only
    /// while it preloads, its inputs only while it streams — the other way round on an
    /// input-stationary array — and writes back only after).
    spans: [(u64, u64); 3],
}

pub(crate) fn run(m: &mut Machine, program: &Program, opts: &SimOptions) -> Result<u64> {
    let mut cycles = run_system(std::slice::from_mut(m), &[program], opts)?;
    Ok(cycles.remove(0))
}

/// An event's place in a system's total order: (cycle, phase, sub-accelerator).
type Key = (u64, Phase, usize);

/// Run several sub-accelerators that share one DRAM channel (docs/TIMING.md, "Systems"): every
/// sub-accelerator's events in one total order (cycle, phase, sub-accelerator index), and each
/// grant of the channel made before the events of its cycle. Returns each one's cycle count. One
/// accelerator alone is the system of one.
pub(crate) fn run_system(
    machines: &mut [Machine],
    programs: &[&Program],
    opts: &SimOptions,
) -> Result<Vec<u64>> {
    let mut sims: Vec<EventSim> = machines.iter().map(|m| EventSim::new(m.arch)).collect();
    let mut cycles: Vec<Option<u64>> = vec![None; sims.len()];
    let mut channel = DramChannel::default();
    // an accelerator alone is granted the channel as it issues (nothing else requests it)
    let alone = sims.len() == 1;
    loop {
        // the earliest pending event, and the earliest of another sub-accelerator's
        let (mut first, mut second): (Option<Key>, Option<Key>) = (None, None);
        for (i, s) in sims.iter().enumerate() {
            let Some((c, p)) = s.next_key().filter(|_| cycles[i].is_none()) else {
                continue;
            };
            let k = (c, p, i);
            if first.is_none_or(|f| k < f) {
                second = first;
                first = Some(k);
            } else if second.is_none_or(|x| k < x) {
                second = Some(k);
            }
        }
        // the next grant comes first if no event is due before its cycle
        let next = channel.next(&sims);
        if let Some((g, i)) = next {
            if first.is_none_or(|(c, _, _)| g <= c) {
                if g > opts.max_cycles {
                    return Err(Diagnostic::internal(format!(
                        "simulation exceeded {} cycles",
                        opts.max_cycles
                    )));
                }
                sims[i].grant(&mut machines[i], &mut channel, g, opts);
                continue;
            }
        }
        let Some((_, _, i)) = first else {
            break;
        };
        if let Some(c) = sims[i].step(
            &mut machines[i],
            programs[i],
            opts,
            &mut channel,
            (i, alone),
            (second, next.map(|(g, _)| g)),
        )? {
            cycles[i] = Some(c);
        }
    }
    cycles
        .into_iter()
        .map(|c| c.ok_or_else(|| Diagnostic::internal("a sub-accelerator stopped without HALT")))
        .collect()
}

/// The DMA's transfers in flight (docs/TIMING.md, "DMA unit and the DRAM port"): the granted
/// ones' last busy cycles in issue order (they end in that order), then the pending ones, at most
/// `outstanding` of them in all.
#[derive(Default)]
struct DmaSlots {
    ends: std::collections::VecDeque<u64>,
    /// Issued and not yet granted, oldest first (the oldest requests the channel).
    pending: std::collections::VecDeque<Pending>,
    outstanding: usize,
    /// The last busy cycle of the latest transfer (busy cycles count once, overlapping or not).
    last_end: Option<u64>,
    /// The cycle after the latest granted transfer's request end: a later one waits for it without
    /// waiting for the channel (not counted as a DRAM wait).
    own_free: u64,
}

impl DmaSlots {
    /// The cycle from which the oldest pending transfer requests the channel, `max(c + 1, e' + 1)`.
    fn request(&self) -> Option<u64> {
        self.pending
            .front()
            .map(|p| (p.issue + 1).max(self.own_free))
    }

    /// Transfers in flight, granted or not.
    fn in_flight(&self) -> usize {
        self.ends.len() + self.pending.len()
    }
}

/// [`EventSim::grant`] on the parts of an [`EventSim`] it changes.
fn grant(
    (dma, active, deferred, q): (
        &mut DmaSlots,
        &mut [Vec<Active>; 2],
        &mut Deferred,
        &mut Queue,
    ),
    m: &mut Machine,
    channel: &mut DramChannel,
    g: u64,
    opts: &SimOptions,
) {
    let r = dma.request().expect("a transfer requests the channel");
    let p = dma.pending.pop_front().expect("a pending transfer");
    let start = p.issue + 1;
    m.units.dram_wait_cycles += g - r;
    let hold = dma_hold(m.arch, &p.ins);
    channel.free_at = g + hold;
    let end = g + unit_busy(m, &p.ins, opts).expect("a LOAD's or STORE's busy length") - 1;
    // transfers in flight together count their cycles once
    let from = start.max(dma.last_end.map_or(0, |e| e + 1));
    dma.ends.push_back(end);
    dma.last_end = Some(end);
    dma.own_free = g + hold;
    if let Some(a) = active[Unit::Dma as usize].iter_mut().find(|a| a.pc == p.pc) {
        a.end = end;
        a.spans = [(start, end); 3];
    }
    if m.tracer.enabled() {
        trace_dma_beats(m, &p.ins, g);
    }
    m.tracer.emit(end, "dma", "done", String::new);
    m.units.dma_busy_cycles += (end + 1).saturating_sub(from);
    deferred.dma_granted(m, from, end);
    q.push(end + 1, Phase::Settle, Event::Free(Unit::Dma));
}

/// One accelerator's event-level state: its queue, controller, units and race-check window.
struct EventSim {
    q: Queue,
    ctrl: Controller,
    units: [UnitState; 2],
    dma: DmaSlots,
    overlapped: bool,
    ov: OverlapState,
    /// Instructions still running or recently run, per unit, for the race check.
    active: [Vec<Active>; 2],
    deferred: Deferred,
    scratch: Scratch,
}

impl EventSim {
    fn new(arch: &tessera_arch::Arch) -> Self {
        let mut q = Queue::default();
        q.push(0, Phase::Look, Event::Look);
        EventSim {
            q,
            ctrl: Controller::default(),
            units: [UnitState::default(); 2],
            dma: DmaSlots {
                outstanding: arch.dram().outstanding_transfers() as usize,
                ..DmaSlots::default()
            },
            overlapped: arch.weight_double_buffered(),
            ov: OverlapState::default(),
            active: [vec![], vec![]],
            deferred: Deferred::default(),
            scratch: Scratch::default(),
        }
    }

    /// Grant the channel to this sub-accelerator's oldest pending transfer in cycle `g`: its busy
    /// span, the DMA's slots and statistics, its trace, and the event that frees its slot.
    fn grant(&mut self, m: &mut Machine, channel: &mut DramChannel, g: u64, opts: &SimOptions) {
        grant(
            (
                &mut self.dma,
                &mut self.active,
                &mut self.deferred,
                &mut self.q,
            ),
            m,
            channel,
            g,
            opts,
        );
    }

    /// The (cycle, phase) of the next event.
    fn next_key(&self) -> Option<(u64, Phase)> {
        self.q.heap.peek().map(|Reverse((c, p, _, _))| (*c, *p))
    }

    /// Handle the next event, and run the controller for as long as nothing else is due first —
    /// neither in this accelerator's queue nor, in a system, at `horizon.0` (the earliest event of
    /// the other sub-accelerators; this one is number `sub`) — and the cycle of the next grant,
    /// `horizon.1` (or of one this controller's transfers make), has not come. Returns the cycle
    /// count at HALT.
    fn step(
        &mut self,
        m: &mut Machine,
        program: &Program,
        opts: &SimOptions,
        channel: &mut DramChannel,
        (sub, alone): (usize, bool),
        (horizon, mut grant_at): (Option<(u64, Phase, usize)>, Option<u64>),
    ) -> Result<Option<u64>> {
        let arch = m.arch;
        let (r, c) = (arch.rows() as usize, arch.cols() as usize);
        let EventSim {
            q,
            ctrl,
            units,
            dma,
            overlapped,
            ov,
            active,
            deferred,
            scratch,
        } = self;
        let overlapped = *overlapped;
        let next_look = |q: &mut Queue, t: u64, grant_at: Option<u64>| -> Option<u64> {
            if q.nothing_before(t, Phase::Look)
                && horizon.is_none_or(|h| (t, Phase::Look, sub) < h)
                && grant_at.is_none_or(|g| t < g)
            {
                Some(t)
            } else {
                q.push(t, Phase::Look, Event::Look);
                None
            }
        };
        {
            let Some((t, ev)) = q.pop() else {
                return Ok(None);
            };
            let mut look_at = match ev {
                Event::Free(u) => {
                    if u == Unit::Dma {
                        // the transfers whose last busy cycle has passed leave their slots
                        while dma.ends.front().is_some_and(|&e| e < t) {
                            dma.ends.pop_front();
                        }
                    }
                    units[u as usize].busy = u == Unit::Dma && dma.in_flight() > 0;
                    match ctrl.waiting {
                        Some((w, _)) if w == u => {
                            ctrl.waiting = None;
                            Some(t)
                        }
                        _ => None,
                    }
                }
                Event::Look => Some(t),
            };
            // A unit that settles wakes the controller in the same cycle; in a system another
            // sub-accelerator's look in this cycle may come first (lower index): queue it behind.
            if let Some(t) = look_at {
                if horizon.is_some_and(|h| h < (t, Phase::Look, sub))
                    || grant_at.is_some_and(|g| g <= t)
                {
                    q.push(t, Phase::Look, Event::Look);
                    look_at = None;
                }
            }
            // The controller runs for as long as nothing else is due first.
            while let Some(t) = look_at.take() {
                if t > opts.max_cycles {
                    return Err(Diagnostic::internal(format!(
                        "simulation exceeded {} cycles",
                        opts.max_cycles
                    )));
                }
                let pc = ctrl.pc;
                let ins = program.instrs[pc];
                let blocked_on = |mask: u8| -> Option<Unit> {
                    if mask & unit::DMA != 0 && units[Unit::Dma as usize].busy {
                        return Some(Unit::Dma);
                    }
                    let cu = if overlapped {
                        (mask & unit::COMPUTE != 0 && t < ov.done_at)
                            || (mask & unit::PREV_COMPUTE != 0 && t < ov.prev_done_at)
                            || (mask & unit::PREV_STREAM != 0 && t < ov.prev_stream_at)
                    } else {
                        mask & unit::COMPUTE != 0 && units[Unit::Compute as usize].busy
                    };
                    cu.then_some(Unit::Compute)
                };
                let u = match ins {
                    Instr::Config(cf) => {
                        // Writes the gather registers once the DMA is idle; occupies no unit.
                        if units[Unit::Dma as usize].busy {
                            ctrl.sleep_on(Unit::Dma, t);
                            continue;
                        }
                        if let Some(s) = ctrl.wait_since.take() {
                            m.units.ctrl_wait_dma_cycles += t - s;
                        }
                        m.gather.write(&cf);
                        m.counters.instructions += 1;
                        m.tracer
                            .emit(t, "ctrl", "issue", || format!("pc={pc} {}", ins.mnemonic()));
                        ctrl.pc += 1;
                        look_at = next_look(q, t + 1, grant_at);
                        continue;
                    }
                    Instr::Load { .. } | Instr::Gather { .. } | Instr::Store { .. } => Unit::Dma,
                    Instr::Compute { .. } | Instr::ComputeRs { .. } => Unit::Compute,
                    Instr::Sync { .. } | Instr::Halt => {
                        let mask = match ins {
                            Instr::Sync { mask } => mask,
                            _ => unit::DMA | unit::COMPUTE,
                        };
                        if let Some(b) = blocked_on(mask) {
                            ctrl.sleep_on(b, t);
                            continue;
                        }
                        if let Some(s) = ctrl.wait_since.take() {
                            m.units.ctrl_wait_sync_cycles += t - s;
                        }
                        m.counters.instructions += 1;
                        if ins == Instr::Halt {
                            m.tracer.emit(t, "ctrl", "halt", String::new);
                            return Ok(Some(t + 1));
                        }
                        ctrl.pc += 1;
                        look_at = next_look(q, t + 1, grant_at);
                        continue;
                    }
                };
                let unit_full = if overlapped && u == Unit::Compute {
                    t < ov.accept_at
                } else if u == Unit::Dma {
                    dma.in_flight() >= dma.outstanding
                } else {
                    units[u as usize].busy
                };
                if unit_full {
                    ctrl.sleep_on(u, t);
                    continue;
                }
                if let Some(s) = ctrl.wait_since.take() {
                    match u {
                        Unit::Dma => m.units.ctrl_wait_dma_cycles += t - s,
                        Unit::Compute => m.units.ctrl_wait_compute_cycles += t - s,
                    }
                }
                if overlapped && u == Unit::Compute {
                    let Instr::Compute { len, .. } = ins else {
                        unreachable!("only COMPUTE goes to the compute unit")
                    };
                    let tile = opts
                        .contract
                        .overlapped_tile(arch, t, len.into(), ov.last.as_ref());
                    check_overlap(arch, ov, &tile, &ins, pc, program)?;
                    // footprint order: input, weight, accumulator (an input-stationary tile
                    // preloads from the input buffer and streams the weight buffer, an
                    // output-stationary one streams both); the accumulator from the first row's
                    // read to the last write
                    let [input, weight] = tile.operand_reads(arch);
                    let first_acc = tile.first_acc(arch);
                    let spans = [input, weight, (first_acc, tile.done)];
                    issue_span(
                        m,
                        program,
                        &ins,
                        pc,
                        t,
                        u,
                        (tile.preload, tile.done),
                        Some(spans),
                        (active, deferred),
                        ov.done_at,
                    )?;
                    let Instr::Compute { out_addr, .. } = ins else {
                        unreachable!()
                    };
                    *ov = OverlapState {
                        last: Some(tile),
                        last_out: out_addr,
                        last_pc: pc,
                        accept_at: tile.stream + 1,
                        prev_done_at: ov.done_at,
                        prev_stream_at: ov.last.map_or(0, |p| p.stream_end()),
                        done_at: tile.done + 1,
                    };
                    // wake a controller waiting on the compute unit when a condition starts to hold
                    // (the previous tile's done + 1 was posted at its issue)
                    q.push(tile.stream + 1, Phase::Settle, Event::Free(u));
                    q.push(tile.done + 1, Phase::Settle, Event::Free(u));
                    if ov.prev_stream_at > t {
                        q.push(ov.prev_stream_at, Phase::Settle, Event::Free(u));
                    }
                } else if u == Unit::Dma {
                    // pending until granted (`grant`): busy from its first busy cycle through a
                    // last one not known yet, which is after every cycle run before the grant
                    check_race(
                        m,
                        program,
                        &ins,
                        pc,
                        (t + 1, u64::MAX),
                        [(t + 1, u64::MAX); 3],
                        u,
                        active,
                    )?;
                    m.tracer
                        .emit(t, "ctrl", "issue", || format!("pc={pc} {}", ins.mnemonic()));
                    dma.pending.push_back(Pending { ins, pc, issue: t });
                    deferred.dma_issued();
                    units[u as usize].busy = true;
                    if alone {
                        // its grant is known now: max(c + 1, e' + 1, the channel's free cycle)
                        let g = dma
                            .request()
                            .expect("the transfer just issued")
                            .max(channel.free_at);
                        if g > opts.max_cycles {
                            return Err(Diagnostic::internal(format!(
                                "simulation exceeded {} cycles",
                                opts.max_cycles
                            )));
                        }
                        grant((dma, active, deferred, q), m, channel, g, opts);
                    } else if let Some(r) = dma.request() {
                        let g = r.max(channel.free_at);
                        grant_at = Some(grant_at.map_or(g, |x| x.min(g)));
                    }
                } else {
                    let (start, end) = (t + 1, t + unit_busy(m, &ins, opts)?);
                    issue_span(
                        m,
                        program,
                        &ins,
                        pc,
                        t,
                        u,
                        (start, end),
                        None,
                        (active, deferred),
                        start,
                    )?;
                    units[u as usize].busy = true;
                    q.push(end + 1, Phase::Settle, Event::Free(u));
                }
                apply(m, &ins, scratch, r, c).map_err(|e| Diagnostic {
                    message: format!("instruction {pc} ({ins}): {}", e.message),
                    ..e
                })?;
                m.counters.instructions += 1;
                ctrl.pc += 1;
                look_at = next_look(q, t + 1, grant_at);
            }
        }
        Ok(None)
    }
}

/// Two overlapped tiles must reach each accumulator word in issue order: the later tile may read
/// (to accumulate) or write a word the earlier one writes only after that write (the SRAM reads the
/// old word in a write's own cycle). Row m of a tile is read at `s+(X-R)+m-1` and written at
/// `s+(X-R)+m` (`X - R = R + C` on the default array, the same for every tile of an array), so
/// with `d = out_j - out_{j-1}` a shared word is safe iff `d < s_j - s_{j-1} - 1`.
/// The lowering never breaks this; the engine refuses a program that does, since it applies
/// effects in issue order (the stepped engine runs it as the hardware would).
fn check_overlap(
    arch: &tessera_arch::Arch,
    ov: &OverlapState,
    tile: &OverlappedTile,
    ins: &Instr,
    pc: usize,
    program: &Program,
) -> Result<()> {
    let (Some(prev), Instr::Compute { out_addr, len, .. }) = (ov.last.as_ref(), *ins) else {
        return Ok(());
    };
    if prev.done < tile.preload || prev.done < tile.first_acc(arch) {
        return Ok(());
    }
    let (a0, a1) = (
        i64::from(ov.last_out),
        i64::from(ov.last_out) + prev.len as i64,
    );
    let (b0, b1) = (i64::from(out_addr), i64::from(out_addr) + i64::from(len));
    let shared = a0 < b1 && b0 < a1;
    let d = b0 - a0;
    let gap = tile.stream as i64 - prev.stream as i64;
    if shared && d >= gap - 1 {
        return Err(Diagnostic::internal(format!(
            "program race: instruction {pc} ({ins}) reaches accumulator words of instruction {} ({}) \
             before that one has written them; the event engine cannot order them (use --engine stepped)",
            ov.last_pc, program.instrs[ov.last_pc]
        )));
    }
    Ok(())
}

/// The contract's busy length of an instruction on its unit.
fn unit_busy(m: &Machine, ins: &Instr, opts: &SimOptions) -> Result<u64> {
    let arch = m.arch;
    Ok(match *ins {
        Instr::Load { target, count, .. } | Instr::Gather { target, count, .. } => {
            Contract::load_busy(
                arch,
                count.into(),
                arch.load_buffer(target).word_bytes().into(),
            )
        }
        Instr::Store { count, .. } => Contract::store_busy(arch, count.into()),
        Instr::Compute { len, .. } => opts.contract.compute_busy(arch, len.into()),
        Instr::ComputeRs { len, pass, .. } => opts
            .contract
            .rs_busy(&pass, len.into())
            .ok_or_else(|| Diagnostic::internal("a row-stationary pass's busy length overflows"))?,
        _ => unreachable!("only LOAD, STORE and COMPUTE occupy a unit"),
    })
}

/// Issue COMPUTE `ins` at cycle `t`, busy in cycles `start..=end`: the race check, statistics,
/// breakdown and trace. `busy_from` is the first cycle not already counted busy for the unit (a
/// tile that overlaps the previous one counts only its new cycles). (A LOAD or STORE is checked at
/// its issue and counted at its grant, `EventSim::grant`.)
#[allow(clippy::too_many_arguments)]
fn issue_span(
    m: &mut Machine,
    program: &Program,
    ins: &Instr,
    pc: usize,
    t: u64,
    u: Unit,
    (start, end): (u64, u64),
    spans: Option<[(u64, u64); 3]>,
    (active, deferred): (&mut [Vec<Active>; 2], &mut Deferred),
    busy_from: u64,
) -> Result<()> {
    let spans = spans.unwrap_or([(start, end); 3]);
    check_race(m, program, ins, pc, (start, end), spans, u, active)?;
    m.tracer
        .emit(t, "ctrl", "issue", || format!("pc={pc} {}", ins.mnemonic()));
    m.tracer.emit(end, u.name(), "done", String::new);
    m.units.compute_busy_cycles += (end + 1).saturating_sub(start.max(busy_from));
    if let Some(w) = ComputeRanges::of(m.arch, ins) {
        deferred.compute(m, start, end, w.streamed);
    }
    Ok(())
}

/// The race check of `ins`, issued to unit `u` and busy in `start..=end`, with the cycles each
/// footprint entry is touched in, against the other unit's instructions still running; then `ins`
/// joins its unit's window.
#[allow(clippy::too_many_arguments)]
fn check_race(
    m: &Machine,
    program: &Program,
    ins: &Instr,
    pc: usize,
    (start, end): (u64, u64),
    spans: [(u64, u64); 3],
    u: Unit,
    active: &mut [Vec<Active>; 2],
) -> Result<()> {
    let fp = footprint(m, ins);
    let other = 1 - u as usize;
    active[other].retain(|a| a.end >= start);
    for a in &active[other] {
        for (x, xs) in fp.0[..fp.1].iter().zip(&spans) {
            for (y, ys) in a.fp.0[..a.fp.1].iter().zip(&a.spans) {
                // `a` issued first: a conflict unless `ins` touches the words only after `a` is
                // done with them (the functional effects apply in issue order)
                let at_once = xs.0 <= ys.1;
                if x.0 == y.0 && x.1 < y.2 && y.1 < x.2 && (x.3 || y.3) && at_once {
                    return Err(Diagnostic::internal(format!(
                        "program race: instruction {pc} ({ins}) and instruction {} ({}) touch the same \
                         buffer words while both run; the event engine cannot order them (use --engine stepped)",
                        a.pc, program.instrs[a.pc]
                    )));
                }
            }
        }
    }
    active[u as usize].push(Active { end, pc, fp, spans });
    Ok(())
}

/// The DMA's request and beat events of a LOAD or STORE granted the channel at `start`, at the
/// contract's beat times (read request `i` at `k_i`, its word `L` later). Called before the
/// instruction's functional effect, so a gather's requests see the registers it runs with.
fn trace_dma_beats(m: &mut Machine, ins: &Instr, start: u64) {
    let arch = m.arch;
    let reads = |m: &mut Machine, count: u16, b: u64, mut req: Box<dyn FnMut(u32) -> ReadReq>| {
        for i in 0..u64::from(count) {
            let k = Contract::load_request(arch, i, b);
            let r = req(i as u32);
            m.tracer.emit(start + k, "dma", "rreq", || {
                crate::trace::read_request(i, &r)
            });
        }
        for i in 0..u64::from(count) {
            let at = start + Contract::load_beat(arch, i, b);
            m.tracer.emit(at, "dma", "rbeat", || i.to_string());
        }
    };
    match *ins {
        Instr::Load {
            target,
            count,
            dram_addr,
            ..
        } => {
            let b = arch.load_buffer(target).word_bytes();
            reads(
                m,
                count,
                b.into(),
                Box::new(move |i| ReadReq::linear(dram_addr, i, b)),
            );
        }
        Instr::Gather {
            target, count, pos, ..
        } => {
            let b = arch.load_buffer(target).word_bytes();
            let mut g = m.gather(&pos);
            reads(m, count, b.into(), Box::new(move |_| g.next()));
        }
        Instr::Store { count, .. } => {
            for i in 0..u64::from(count) {
                let at = start + Contract::store_beat(arch, i);
                m.tracer.emit(at, "dma", "wbeat", || i.to_string());
            }
        }
        _ => {}
    }
}

/// Reused buffers of the tile kernels (their packed operands).
#[derive(Default)]
struct Scratch {
    tile: tessera_workloads::kernel::TileScratch,
}

/// The functional effect of one instruction, with its counters.
/// Errors only when a gathered word reads outside the DRAM image.
fn apply(m: &mut Machine, ins: &Instr, s: &mut Scratch, r: usize, c: usize) -> Result<()> {
    let arch = m.arch;
    match *ins {
        Instr::ComputeRs {
            len,
            in_addr,
            w_addr,
            out_addr,
            accumulate,
            pass,
        } => {
            let ComputeRanges {
                words: (ni, nw, no),
                ..
            } = ComputeRanges::of(arch, ins).expect("a COMPUTE");
            let (iw, ww) = super::word_operands(arch);
            let a = &m.input[in_addr as usize * iw..(in_addr as usize + ni as usize) * iw];
            let wt = &m.weight[w_addr as usize * ww..(w_addr as usize + nw as usize) * ww];
            let dst = &mut m.acc[out_addr as usize * c..(out_addr as usize + no as usize) * c];
            rs_pass(a, wt, (r, c), &pass, len.into(), dst, accumulate);
            m.counters.computes += 1;
            m.counters.input.reads += ni;
            m.counters.weight.reads += nw;
            m.counters.accumulator.writes += no;
            if accumulate {
                m.counters.accumulator.reads += no;
            }
            // every PE's `out` takes each of the pass's `E` outputs once
            m.counters.captures += u64::from(len);
            m.counters.array_macs = Contract::rs_mac_slots(arch, &pass, len.into())
                .and_then(|n| m.counters.array_macs.checked_add(n))
                .ok_or_else(|| Diagnostic::internal("MAC slots overflow u64"))?;
        }
        Instr::Load {
            target,
            count,
            dram_addr,
            sram_addr,
        } => {
            m.load_words(target, sram_addr as usize, dram_addr as usize, count.into());
            m.counters.loads += 1;
        }
        Instr::Gather {
            target,
            count,
            sram_addr,
            pos,
        } => {
            let mut g = m.gather(&pos);
            let wb = arch.load_buffer(target).word_bytes() as usize;
            let (s0, n) = (sram_addr as usize, usize::from(count));
            let buf = match target {
                LoadTarget::Input => &mut m.input,
                LoadTarget::Weight => &mut m.weight,
            };
            match g.read_words(&m.dram, &mut buf[s0 * wb..(s0 + n) * wb]) {
                Ok(bytes) => m.counters.dram_read_bytes += bytes,
                Err((i, end)) => {
                    return Err(Diagnostic::new(format!(
                        "gathered word {i} reads bytes up to {end} outside the {}-byte DRAM image",
                        m.dram.len()
                    )))
                }
            }
            match target {
                LoadTarget::Input => m.counters.input.writes += u64::from(count),
                LoadTarget::Weight => m.counters.weight.writes += u64::from(count),
            }
            m.counters.loads += 1;
        }
        Instr::Store {
            count,
            dram_addr,
            sram_addr,
        } => {
            let words = count as usize;
            let base = dram_addr as usize;
            let src = &m.acc[sram_addr as usize * c..(sram_addr as usize + words) * c];
            // each lane's low accumulator_bytes, little-endian (the lane's width)
            let lane = arch.datatypes().accumulator_bytes() as usize;
            for (j, v) in src.iter().enumerate() {
                m.dram[base + lane * j..base + lane * (j + 1)]
                    .copy_from_slice(&v.to_le_bytes()[..lane]);
            }
            m.counters.stores += 1;
            m.counters.dram_write_bytes +=
                u64::from(count) * u64::from(arch.accumulator().word_bytes());
            m.counters.accumulator.reads += u64::from(count);
        }
        Instr::Compute {
            len,
            in_addr,
            w_addr,
            out_addr,
            accumulate,
        } => {
            let (ni, nw, no) = compute_words(arch, len.into());
            let (iw, ww) = super::word_operands(arch);
            let a = &m.input[in_addr as usize * iw..(in_addr as usize + ni as usize) * iw];
            let wt = &m.weight[w_addr as usize * ww..(w_addr as usize + nw as usize) * ww];
            let dst = &mut m.acc[out_addr as usize * c..(out_addr as usize + no as usize) * c];
            match arch.dataflow() {
                Dataflow::RowStationary => {
                    unreachable!("check_program refuses a plain COMPUTE on a row-stationary array")
                }
                // out[r][c] (+)= Σ_k a[k][r] · w[k][c], straight from the streamed words.
                Dataflow::OutputStationary => {
                    tessera_workloads::kernel::tile_os(a, wt, r, c, dst, accumulate, &mut s.tile)
                }
                Dataflow::WeightStationary => {
                    tessera_workloads::kernel::tile_ws(a, wt, r, c, dst, accumulate, &mut s.tile)
                }
                // the weight-stationary tile with the roles swapped: the streamed words (R
                // bytes) are the weight buffer's, the stationary R words (C bytes) the input's
                Dataflow::InputStationary => {
                    tessera_workloads::kernel::tile_ws(wt, a, r, c, dst, accumulate, &mut s.tile)
                }
            }
            m.counters.computes += 1;
            m.counters.input.reads += ni;
            m.counters.weight.reads += nw;
            m.counters.accumulator.writes += no;
            if accumulate {
                m.counters.accumulator.reads += no;
            }
            m.counters.array_macs += arch.pes() * u64::from(len);
        }
        Instr::Sync { .. } | Instr::Halt | Instr::Config(_) => {}
    }
    Ok(())
}

/// The functional effect of one row-stationary pass (docs/TIMING.md, "Compute unit:
/// row-stationary"), straight from its definition: for output `x < E` and block `b < B`, lane `c`
/// of accumulator word `b·E + x` of `dst` is `Σ_{h<H} Σ_{t<T} RF_{bH+h}[t] · in[x·T + t][o(bH+h) +
/// c]` (plus the old lane when `accumulate`), with `RF_r[t]` byte `r` of weight word `t` and
/// `o(r) = (r mod H)·step`. `inp` holds the `E·T` input words of `R + C - 1` bytes, `wt` the `T`
/// weight words of `R` bytes. Sums wrap around (i32 here: the stored lanes are its low `AB` bits,
/// and addition modulo `2^AB` does not depend on when the wrap happens).
pub(crate) fn rs_pass(
    inp: &[i8],
    wt: &[i8],
    (r, c): (usize, usize),
    pass: &tessera_arch::isa::RsPass,
    len: usize,
    dst: &mut [i32],
    accumulate: bool,
) {
    let (t_n, h_n, b_n) = (
        usize::from(pass.steps),
        usize::from(pass.block_rows),
        usize::from(pass.blocks),
    );
    let iw = r + c - 1;
    for x in 0..len {
        for b in 0..b_n {
            let word = &mut dst[(b * len + x) * c..(b * len + x + 1) * c];
            for (col, lane) in word.iter_mut().enumerate() {
                let mut sum = 0i32;
                for h in 0..h_n {
                    let row = b * h_n + h;
                    let j = pass.offset(row as u32) as usize + col;
                    for t in 0..t_n {
                        let a = inp[(x * t_n + t) * iw + j];
                        let w = wt[t * r + row];
                        sum = sum.wrapping_add(i32::from(a) * i32::from(w));
                    }
                }
                *lane = if accumulate {
                    lane.wrapping_add(sum)
                } else {
                    sum
                };
            }
        }
    }
}
