//! Stepped engine: the accelerator as components that advance once per cycle, like RTL.
//!
//! Components (one module each): the [`ctrl::Controller`], the [`dma::Dma`] unit, the
//! [`dma::DramPort`] (the memory side of the DRAM channel), the compute unit of the accelerator's
//! dataflow ([`ws::WsUnit`] or [`os::OsUnit`]; an input-stationary array is a [`ws::WsUnit`] whose
//! preload port is the input buffer's and whose stream port is the weight buffer's) and the SRAM
//! read ports ([`Ports`]: the read-data
//! register of each port; the memories themselves are the machine's buffers). Each cycle:
//!
//! 1. **evaluate**: every component computes its outputs for this cycle from its registers (and from
//!    outputs evaluated before it in the fixed order controller → DRAM → DMA → compute, the order of
//!    the combinational paths between them): the controller's issue decision, the DRAM's read word
//!    and acknowledgement, the DMA's buffer write, store read and write beat, the compute unit's
//!    buffer reads and accumulator write;
//! 2. **commit**: every component's registers take their next values from this cycle's values (the
//!    read ports' data included); then the SRAM reads sample the memories as they were during the
//!    cycle; then every write lands. An SRAM of a single-ported buffer (`ports: OneReadWrite`) read
//!    and written in one cycle is a contract violation the run stops at (docs/TIMING.md,
//!    "Single-ported banks"; `check_program` refuses such programs before they run).
//!
//! No formula of the contract is used: a unit's last busy cycle is the cycle its pipeline produces
//! its last result (the DMA's last word or acknowledgement, the array's last output row), and the
//! DRAM paces words with a credit counter. This engine is the reference the event engine and the
//! trace diff are checked against; it is slow by design (O(R·C) work per computing cycle).
//!
//! Systems (docs/TIMING.md, "Systems"; [`run_system`]): every sub-accelerator is a `SteppedSim`
//! (its controller, DMA, DRAM port and compute unit); each cycle the [`Arbiter`] grants the shared
//! channel from the registers (the DMA units waiting, first come first served, and whether a
//! transfer holds the channel), then every sub-accelerator evaluates and commits as above. One
//! accelerator is the one-member system. The compute unit of a weight- or input-stationary array
//! with a broadcast row bus or adder trees (`array.noc`) is `ws_noc::WsNocUnit`, with
//! double-buffered weights `ws_db::WsDbUnit` (every interconnect); the
//! output-stationary [`os::OsUnit`] has both interconnects (systolic, or row and column buses).
//! A row-stationary array's unit is `rs::RsUnit` (one pass at a time, fixed buses).
//!
//! Adding components: a second DMA stream is a second `Dma` whose requests go through the same
//! `Arbiter`; it evaluates and commits in the same two phases.

mod ctrl;
mod dma;
mod os;
mod os_db;
mod rs;
mod ws;
mod ws_db;
mod ws_noc;

use super::Machine;
use crate::SimOptions;
use tessera_arch::isa::{Instr, Program};
use tessera_arch::Dataflow;
use tessera_core::diag::{Diagnostic, Result};

/// The read-data registers of every SRAM read port: a synchronous read samples the word at the end
/// of the cycle its address is presented; the word is on the port from the next cycle until the next
/// read.
pub(crate) struct Ports {
    pub input: Vec<i8>,
    pub weight: Vec<i8>,
    /// Accumulator port a (the compute unit's accumulate read).
    pub acc_a: Vec<i32>,
    /// Accumulator port b (the DMA's store read lanes): the words read together, back to back
    /// (room for `P` of them).
    pub acc_b: Vec<i32>,
}

/// Word addresses presented to the read ports this cycle.
#[derive(Default)]
pub(crate) struct Reads {
    pub input: Option<u32>,
    pub weight: Option<u32>,
    pub acc_a: Option<u32>,
    /// The store read lanes: (first address, words), consecutive words.
    pub acc_b: Option<(u32, u32)>,
}

fn sample<T: Copy>(reg: &mut [T], mem: &[T], addr: Option<u32>) {
    if let Some(a) = addr {
        let w = reg.len();
        reg.copy_from_slice(&mem[a as usize * w..(a as usize + 1) * w]);
    }
}

/// The compute unit of the accelerator's dataflow.
enum ComputeUnit {
    Ws(ws::WsUnit),
    WsDb(ws_db::WsDbUnit),
    Os(os::OsUnit),
    OsDb(os_db::OsDbUnit),
    /// Input-stationary: the weight-stationary unit wired to the other buffers (docs/TIMING.md,
    /// "Compute unit: input-stationary"); its `input` port and reads are the weight buffer's, its
    /// `weight` ones the input buffer's ([`swap_roles`]).
    Is(ws::WsUnit),
    /// A weight-stationary array with a broadcast row bus and/or adder trees.
    WsNoc(ws_noc::WsNocUnit),
    /// Input-stationary on that array (ports swapped as for [`ComputeUnit::Is`]).
    IsNoc(ws_noc::WsNocUnit),
    /// Input-stationary with double-buffered stationary inputs: the double-buffered
    /// weight-stationary unit, ports swapped as for [`ComputeUnit::Is`].
    IsDb(ws_db::WsDbUnit),
    /// Row-stationary (docs/TIMING.md, "Compute unit: row-stationary").
    Rs(rs::RsUnit),
}

/// Swap the input and weight sides of the read ports and of a unit's reads: the input-stationary
/// wiring of the weight-stationary unit.
fn swap_roles(ports: &mut Ports, reads: &mut Reads) {
    std::mem::swap(&mut ports.input, &mut ports.weight);
    std::mem::swap(&mut reads.input, &mut reads.weight);
}

impl ComputeUnit {
    /// What the controller sees of the unit at the start of a cycle.
    fn state(&self) -> ctrl::CuState {
        match self {
            ComputeUnit::Ws(u) | ComputeUnit::Is(u) => ctrl::CuState::single(u.busy()),
            ComputeUnit::WsNoc(u) | ComputeUnit::IsNoc(u) => ctrl::CuState::single(u.busy()),
            ComputeUnit::Os(u) => ctrl::CuState::single(u.busy()),
            ComputeUnit::Rs(u) => ctrl::CuState::single(u.busy()),
            ComputeUnit::WsDb(u) | ComputeUnit::IsDb(u) => ctrl::CuState {
                accepts: u.accepts(),
                idle: u.idle(),
                prev_done: u.prev_done(),
                prev_streamed: u.prev_streamed(),
            },
            ComputeUnit::OsDb(u) => ctrl::CuState {
                accepts: u.accepts(),
                idle: u.idle(),
                prev_done: u.prev_done(),
                prev_streamed: u.prev_streamed(),
            },
        }
    }
}

/// What the compute unit does this cycle.
#[derive(Default)]
pub(crate) struct ComputeOut {
    pub reads: Reads,
    /// Accumulator word written at the end of this cycle (the data is the unit's `out_row`).
    pub acc_write: Option<u32>,
    /// This is a tile's last busy cycle.
    pub done: bool,
    /// A unit that overlaps tiles: some tile is between its preload and its last write this cycle.
    pub busy: bool,
    /// Row-stationary: every PE's `out` captures its `ps` at the end of this cycle.
    pub capture: bool,
}

pub(crate) fn run(m: &mut Machine, program: &Program, opts: &SimOptions) -> Result<u64> {
    let mut cycles = run_system(std::slice::from_mut(m), &[program], opts)?;
    Ok(cycles.remove(0))
}

/// Run several sub-accelerators that share one DRAM channel (docs/TIMING.md, "Systems"): each
/// cycle the [`Arbiter`] grants the channel from the registers as they are at the start of the
/// cycle, then every sub-accelerator evaluates and commits as one accelerator does. Returns each
/// one's cycle count. One accelerator alone is the case of one sub-accelerator (it never waits).
pub(crate) fn run_system(
    machines: &mut [Machine],
    programs: &[&Program],
    opts: &SimOptions,
) -> Result<Vec<u64>> {
    let mut sims: Vec<SteppedSim> = machines.iter().map(|m| SteppedSim::new(m.arch)).collect();
    let mut cycles: Vec<Option<u64>> = vec![None; sims.len()];
    let mut arbiter = Arbiter::default();
    for t in 0u64.. {
        if t > opts.max_cycles {
            return Err(Diagnostic::internal(format!(
                "simulation exceeded {} cycles",
                opts.max_cycles
            )));
        }
        // the transfers that begin requesting this cycle queue up, lower index first
        for (i, s) in sims.iter().enumerate() {
            if cycles[i].is_none() && s.dma.waits() {
                arbiter.request(i);
            }
        }
        let held = sims.iter().any(|s| s.dma.holds());
        let grant = if held { None } else { arbiter.front() };
        for (i, (s, m)) in sims.iter_mut().zip(machines.iter_mut()).enumerate() {
            if cycles[i].is_some() {
                continue;
            }
            if s.dma.waits() && grant != Some(i) {
                m.units.dram_wait_cycles += 1;
            }
            let out = s.cycle(m, programs[i], t, grant == Some(i))?;
            if grant == Some(i) {
                arbiter.granted();
            }
            cycles[i] = out.halted;
        }
        if cycles.iter().all(Option::is_some) {
            break;
        }
    }
    Ok(cycles.into_iter().flatten().collect())
}

/// The arbiter of a shared DRAM channel: the DMA units waiting for it, in the order they began to
/// request (the first cycle of their requesting transfer's request, `max(c + 1, e' + 1)`, then
/// sub-accelerator index; docs/TIMING.md, "Systems"). It grants the first one in a cycle in which
/// no transfer holds the channel. A DMA requests for one transfer at a time, so it is queued at
/// most once.
#[derive(Default)]
struct Arbiter {
    waiting: std::collections::VecDeque<usize>,
}

impl Arbiter {
    fn front(&self) -> Option<usize> {
        self.waiting.front().copied()
    }
    fn granted(&mut self) {
        self.waiting.pop_front();
    }
    /// Sub-accelerator `i`'s DMA requests the channel this cycle: queue it unless it already is.
    fn request(&mut self, i: usize) {
        if !self.waiting.contains(&i) {
            self.waiting.push_back(i);
        }
    }
}

/// What one cycle of one accelerator did that the system sees.
struct CycleOut {
    /// HALT completed: the cycle count.
    halted: Option<u64>,
}

/// One accelerator's components.
struct SteppedSim {
    ctrl: ctrl::Controller,
    dma: dma::Dma,
    dram: dma::DramPort,
    ports: Ports,
    cu: ComputeUnit,
}

impl SteppedSim {
    fn new(arch: &tessera_arch::Arch) -> Self {
        let (r, c) = (arch.rows() as usize, arch.cols() as usize);
        let (iw, ww) = super::word_operands(arch);
        SteppedSim {
            ctrl: ctrl::Controller::default(),
            dma: dma::Dma::new(arch),
            dram: dma::DramPort::new(arch),
            ports: Ports {
                input: vec![0; iw],
                weight: vec![0; ww],
                acc_a: vec![0; c],
                acc_b: vec![0; c * arch.dram().words_per_cycle() as usize],
            },
            cu: match arch.dataflow() {
                Dataflow::RowStationary => {
                    ComputeUnit::Rs(rs::RsUnit::new(r, c, arch.rf_weights() as usize))
                }
                Dataflow::OutputStationary if arch.weight_double_buffered() => {
                    ComputeUnit::OsDb(os_db::OsDbUnit::new(r, c, arch.noc()))
                }
                Dataflow::OutputStationary => ComputeUnit::Os(os::OsUnit::new(r, c, arch.noc())),
                // double-buffered: one unit for every interconnect
                Dataflow::InputStationary if arch.weight_double_buffered() => {
                    ComputeUnit::IsDb(ws_db::WsDbUnit::new(r, c, arch.noc()))
                }
                Dataflow::InputStationary if !arch.noc().is_default() => {
                    ComputeUnit::IsNoc(ws_noc::WsNocUnit::new(r, c, arch.noc()))
                }
                Dataflow::InputStationary => ComputeUnit::Is(ws::WsUnit::new(r, c)),
                _ if arch.weight_double_buffered() => {
                    ComputeUnit::WsDb(ws_db::WsDbUnit::new(r, c, arch.noc()))
                }
                _ if !arch.noc().is_default() => {
                    ComputeUnit::WsNoc(ws_noc::WsNocUnit::new(r, c, arch.noc()))
                }
                _ => ComputeUnit::Ws(ws::WsUnit::new(r, c)),
            },
        }
    }

    /// Cycle `t`: evaluate every component, then commit; `grant`: the channel is granted to this
    /// accelerator's DMA this cycle.
    fn cycle(
        &mut self,
        m: &mut Machine,
        program: &Program,
        t: u64,
        grant: bool,
    ) -> Result<CycleOut> {
        let arch = m.arch;
        let c = arch.cols() as usize;
        let SteppedSim {
            ctrl,
            dma,
            dram,
            ports,
            cu,
        } = self;
        {
            // ---- evaluate
            let cu_state = cu.state();
            let decision = ctrl.eval(program, dma.busy(), dma.accepts(), cu_state);
            match decision {
                ctrl::Decision::Halt => {
                    m.breakdown.tick(false, false);
                    m.counters.instructions += 1;
                    m.tracer.emit(t, "ctrl", "halt", String::new);
                    return Ok(CycleOut {
                        halted: Some(t + 1),
                    });
                }
                ctrl::Decision::Wait(w) => match w {
                    ctrl::Wait::Dma => m.units.ctrl_wait_dma_cycles += 1,
                    ctrl::Wait::Compute => m.units.ctrl_wait_compute_cycles += 1,
                    ctrl::Wait::Sync => m.units.ctrl_wait_sync_cycles += 1,
                },
                ctrl::Decision::Pass => m.counters.instructions += 1,
                ctrl::Decision::Config(_) => {
                    m.counters.instructions += 1;
                    let pc = ctrl.pc();
                    m.tracer
                        .emit(t, "ctrl", "issue", || format!("pc={pc} CONFIG"));
                }
                ctrl::Decision::Issue(ins) => {
                    m.counters.instructions += 1;
                    let pc = ctrl.pc();
                    m.tracer
                        .emit(t, "ctrl", "issue", || format!("pc={pc} {}", ins.mnemonic()));
                }
            }
            let from_dram = dram.eval(t);
            let dma_out = dma.eval(m, &from_dram, t, grant);
            for (i, req) in &dma_out.requests {
                super::check_request(m.dram.len(), *i as usize, req).map_err(|e| Diagnostic {
                    message: format!("a gather LOAD: {}", e.message),
                    ..e
                })?;
            }
            let mut cu_out = match &mut *cu {
                ComputeUnit::Ws(u) => u.eval(ports),
                ComputeUnit::WsDb(u) => u.eval(ports),
                ComputeUnit::Os(u) => u.eval(ports),
                ComputeUnit::OsDb(u) => u.eval(ports),
                ComputeUnit::Rs(u) => u.eval(ports),
                ComputeUnit::Is(u) => {
                    let mut none = Reads::default();
                    swap_roles(&mut *ports, &mut none);
                    let mut out = u.eval(ports);
                    swap_roles(&mut *ports, &mut out.reads);
                    out
                }
                ComputeUnit::WsNoc(u) => u.eval(ports),
                ComputeUnit::IsNoc(u) => {
                    let mut none = Reads::default();
                    swap_roles(&mut *ports, &mut none);
                    let mut out = u.eval(ports);
                    swap_roles(&mut *ports, &mut out.reads);
                    out
                }
                ComputeUnit::IsDb(u) => {
                    let mut none = Reads::default();
                    swap_roles(&mut *ports, &mut none);
                    let mut out = u.eval(ports);
                    swap_roles(&mut *ports, &mut out.reads);
                    out
                }
            };
            let cu_busy = match &cu {
                ComputeUnit::WsDb(_) | ComputeUnit::IsDb(_) | ComputeUnit::OsDb(_) => cu_out.busy,
                _ => !cu_state.idle,
            };
            m.breakdown.tick(cu_busy, dma.busy());
            if dma.busy() {
                m.units.dma_busy_cycles += 1;
            }
            if cu_busy {
                m.units.compute_busy_cycles += 1;
            }
            if dma_out.done {
                m.tracer.emit(t, "dma", "done", String::new);
            }
            if cu_out.done {
                m.tracer.emit(t, "compute", "done", String::new);
            }

            // ---- commit: registers take their next values from this cycle's port data; then the SRAM
            // reads sample the memories as they were during the cycle; then the writes land.
            match &mut *cu {
                ComputeUnit::Ws(u) => u.commit(ports, &cu_out),
                ComputeUnit::WsDb(u) => u.commit(ports, &cu_out),
                ComputeUnit::Os(u) => u.commit(ports, &cu_out),
                ComputeUnit::OsDb(u) => u.commit(ports, &cu_out),
                ComputeUnit::Rs(u) => u.commit(ports, &cu_out),
                ComputeUnit::Is(u) => {
                    swap_roles(&mut *ports, &mut cu_out.reads);
                    u.commit(ports, &cu_out);
                    swap_roles(&mut *ports, &mut cu_out.reads);
                }
                ComputeUnit::WsNoc(u) => u.commit(ports, &cu_out),
                ComputeUnit::IsNoc(u) => {
                    swap_roles(&mut *ports, &mut cu_out.reads);
                    u.commit(ports, &cu_out);
                    swap_roles(&mut *ports, &mut cu_out.reads);
                }
                ComputeUnit::IsDb(u) => {
                    swap_roles(&mut *ports, &mut cu_out.reads);
                    u.commit(ports, &cu_out);
                    swap_roles(&mut *ports, &mut cu_out.reads);
                }
            }
            m.counters.captures += u64::from(cu_out.capture);
            dram.commit(m, &dma_out, ports, t);
            dma.commit(m, &dma_out, grant);
            let reads = Reads {
                acc_b: dma_out.acc_read,
                ..cu_out.reads
            };
            if let Some(e) = single_port_clash(arch, &reads, &dma_out.load_writes) {
                return Err(Diagnostic::new(format!("cycle {t}: {e}")));
            }
            sample(&mut ports.input, &m.input, reads.input);
            sample(&mut ports.weight, &m.weight, reads.weight);
            sample(&mut ports.acc_a, &m.acc, reads.acc_a);
            if let Some((a, q)) = reads.acc_b {
                let (a, q) = (a as usize, q as usize);
                ports.acc_b[..q * c].copy_from_slice(&m.acc[a * c..(a + q) * c]);
            }
            count_reads(m, &reads);
            if let Some(a) = cu_out.acc_write {
                let row = match &cu {
                    ComputeUnit::Ws(u) | ComputeUnit::Is(u) => u.out_row(),
                    ComputeUnit::WsNoc(u) | ComputeUnit::IsNoc(u) => u.out_row(),
                    ComputeUnit::WsDb(u) | ComputeUnit::IsDb(u) => u.out_row(),
                    ComputeUnit::Os(u) => u.out_row(),
                    ComputeUnit::OsDb(u) => u.out_row(),
                    ComputeUnit::Rs(u) => u.out_row(),
                };
                m.acc[a as usize * c..(a as usize + 1) * c].copy_from_slice(row);
                m.counters.accumulator.writes += 1;
            }
            for w in &dma_out.load_writes {
                m.read_word(w.target, w.sram_addr as usize, &w.req);
            }
            // ---- issue: the unit the controller issued to is busy from the next cycle.
            match decision {
                ctrl::Decision::Issue(Instr::Compute {
                    len,
                    in_addr,
                    w_addr,
                    out_addr,
                    accumulate,
                }) => {
                    m.counters.computes += 1;
                    m.counters.array_macs += arch.pes() * u64::from(len);
                    m.breakdown.streamed(len.into());
                    let op = ComputeOp {
                        len: len.into(),
                        in_addr,
                        w_addr,
                        out_addr,
                        accumulate,
                    };
                    match &mut *cu {
                        ComputeUnit::Ws(u) => u.start(op),
                        ComputeUnit::WsDb(u) => u.start(op),
                        ComputeUnit::Os(u) => u.start(op),
                        ComputeUnit::OsDb(u) => u.start(op),
                        // the unit streams from its `in_addr` and preloads from its `w_addr`
                        ComputeUnit::Is(u) => u.start(ComputeOp {
                            in_addr: w_addr,
                            w_addr: in_addr,
                            ..op
                        }),
                        ComputeUnit::WsNoc(u) => u.start(op),
                        ComputeUnit::IsNoc(u) => u.start(ComputeOp {
                            in_addr: w_addr,
                            w_addr: in_addr,
                            ..op
                        }),
                        ComputeUnit::IsDb(u) => u.start(ComputeOp {
                            in_addr: w_addr,
                            w_addr: in_addr,
                            ..op
                        }),
                        ComputeUnit::Rs(_) => {
                            unreachable!("check_program refuses a plain COMPUTE on this array")
                        }
                    }
                }
                ctrl::Decision::Issue(Instr::ComputeRs {
                    len,
                    in_addr,
                    w_addr,
                    out_addr,
                    accumulate,
                    pass,
                }) => {
                    m.counters.computes += 1;
                    let macs = crate::contract::Contract::rs_mac_slots(arch, &pass, len.into())
                        .ok_or_else(|| Diagnostic::internal("MAC slots overflow u64"))?;
                    m.counters.array_macs = m
                        .counters
                        .array_macs
                        .checked_add(macs)
                        .ok_or_else(|| Diagnostic::internal("MAC slots overflow u64"))?;
                    // the streamed words: one step of every PE each
                    m.breakdown.streamed(u64::from(len) * u64::from(pass.steps));
                    let op = ComputeOp {
                        len: len.into(),
                        in_addr,
                        w_addr,
                        out_addr,
                        accumulate,
                    };
                    match &mut *cu {
                        ComputeUnit::Rs(u) => u.start(op, pass),
                        _ => unreachable!("check_program refuses a pass on another array"),
                    }
                }
                ctrl::Decision::Issue(ins) => dma.start(m, &ins),
                ctrl::Decision::Config(c) => m.gather.write(&c),
                _ => {}
            }
            ctrl.commit(&decision);
            Ok(CycleOut { halted: None })
        }
    }
}

/// A single-ported SRAM read and written in one cycle (docs/TIMING.md, "Single-ported banks"): the
/// compute unit's read of word `r` and a DMA write lane's write of word `w` of one buffer whose
/// banks have one read-write port, in the same SRAM (bank `a / D`, and with `P` write lanes SRAM
/// `a mod P` of it). `check_program`'s static rule keeps every program that runs from doing it;
/// this is its cycle-by-cycle backing, as the RTL's SRAM model flags it.
fn single_port_clash(
    arch: &tessera_arch::Arch,
    reads: &Reads,
    writes: &[dma::LoadWrite],
) -> Option<String> {
    use tessera_arch::isa::LoadTarget;
    for w in writes {
        let (buf, read) = match w.target {
            LoadTarget::Input => (arch.input(), reads.input),
            LoadTarget::Weight => (arch.weight(), reads.weight),
        };
        let Some(r) = read else { continue };
        if !buf.single_ported() {
            continue;
        }
        let (d, p) = (buf.bank_depth().max(1), arch.write_lanes(buf.kind()).max(1));
        let sram = |a: u32| (a / d, a % d % p);
        if sram(r) == sram(w.sram_addr) {
            let (bank, lane) = sram(r);
            return Some(format!(
                "the {} buffer's SRAM {lane} of bank {bank} is read (word {r}) and written (word \
                 {}) in one cycle, but its banks have one read-write port (docs/TIMING.md, \
                 \"Single-ported banks\"): the program breaks the contract",
                buf.kind().name(),
                w.sram_addr
            ));
        }
    }
    None
}

fn count_reads(m: &mut Machine, r: &Reads) {
    let k = &mut m.counters;
    k.input.reads += u64::from(r.input.is_some());
    k.weight.reads += u64::from(r.weight.is_some());
    k.accumulator.reads += u64::from(r.acc_a.is_some()) + r.acc_b.map_or(0, |(_, q)| u64::from(q));
}

/// The valid tags that travel with the data along the path of PE row R-1's operand `a`: the input
/// port register, row R-1's skew chain (R-1 registers), and the `a_out` registers of PE (R-1, 0..C-1).
/// A tag is the index of the streamed word whose data sits in that register; the compute units read
/// their timing from where the tags are, not from a formula. An array whose row buses replace the
/// skew and the forwarding registers has the port register alone ([`TagPath::port_only`]).
pub(crate) struct TagPath {
    r: usize,
    c: usize,
    port: Option<u32>,
    skew: std::collections::VecDeque<Option<u32>>,
    a: Vec<Option<u32>>,
}

impl TagPath {
    pub fn new(r: usize, c: usize) -> Self {
        Self {
            r,
            c,
            port: None,
            skew: std::collections::VecDeque::from(vec![None; r - 1]),
            a: vec![None; c - 1],
        }
    }

    /// The path of an array without skew or forwarding registers: the operand goes from the
    /// input port register straight to every PE of its row, so PE (R-1, C-1) sees the port's tag.
    pub fn port_only() -> Self {
        Self::new(1, 1)
    }

    /// The tag of the input port register (the word read last cycle).
    pub fn port(&self) -> Option<u32> {
        self.port
    }

    /// The tag on the `a` input of PE (R-1, 0): the end of row R-1's skew chain.
    fn row_start(&self) -> Option<u32> {
        if self.r >= 2 {
            *self.skew.front().expect("R-1 skew stages")
        } else {
            self.port
        }
    }

    /// The tag on the `a` input of PE (R-1, C-1).
    pub fn last_pe(&self) -> Option<u32> {
        if self.c >= 2 {
            self.a[self.c - 2]
        } else {
            self.row_start()
        }
    }

    /// Clock edge: every tag moves one register on; `read` is the word read this cycle, whose data
    /// the port register holds next cycle.
    pub fn shift(&mut self, read: Option<u32>) {
        let row_start = self.row_start();
        for k in (1..self.c.saturating_sub(1)).rev() {
            self.a[k] = self.a[k - 1];
        }
        if self.c >= 2 {
            self.a[0] = row_start;
        }
        if self.r >= 2 {
            self.skew.pop_front();
            self.skew.push_back(self.port);
        }
        self.port = read;
    }
}

/// A COMPUTE's fields, latched by the compute unit when it issues.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ComputeOp {
    pub len: u32,
    pub in_addr: u32,
    pub w_addr: u32,
    pub out_addr: u32,
    pub accumulate: bool,
}
