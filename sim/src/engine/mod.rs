//! The cycle-level simulator: executes a [`Program`] against the contract in docs/TIMING.md.
//!
//! Both granularities are built from the same components — controller, DMA unit with its DRAM
//! channel, compute unit (the PE array of the accelerator's dataflow) and the three buffers — and
//! share the machine state in [`Machine`] (DRAM image, buffer contents, counters, trace).
//! - [`stepped`]: every component evaluates its outputs from its registers, then every component
//!   commits its next register values, once per cycle, as RTL does. Timing comes out of the
//!   components' own pipelines and counters; nothing reads the contract's formulas.
//! - [`event`]: components exchange events through one queue ordered by (cycle, phase, sequence);
//!   unit busy lengths and beat times come from the contract's functions, tiles from the fast int8
//!   kernel.
//!
//! Both must give identical outputs, cycles, counters and traces (a property test holds them
//! together; Verilator holds the stepped engine to the RTL).
//!
//! Trace events (both engines, same cycles): `ctrl issue pc=… <instr>` in the issue cycle and
//! `<unit> done` in the unit's last busy cycle, plus the DMA's request and beats.

pub mod event;
pub mod stepped;

use crate::contract::Contract;
use crate::counters::Counters;
use crate::energy::Energy;
use crate::trace::{TraceEvent, Tracer};
use serde::{Deserialize, Serialize};
use tessera_arch::gather::{Gather, GatherRegs, ReadReq};
use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_core::Cycles;

/// Which granularity to simulate at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Engine {
    /// Every PE and register, every cycle.
    Stepped,
    /// Event to event; tiles computed by the fast kernel. The default.
    #[default]
    Event,
}

impl std::str::FromStr for Engine {
    type Err = Diagnostic;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "stepped" => Ok(Engine::Stepped),
            "event" => Ok(Engine::Event),
            _ => Err(Diagnostic::field(
                "engine",
                format!("{s:?}: expected `stepped` or `event`"),
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SimOptions {
    pub engine: Engine,
    pub trace: bool,
    /// Give up (with an error) after this many cycles.
    pub max_cycles: u64,
    /// The event engine's copy of the contract (the stepped engine has none).
    pub contract: Contract,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            engine: Engine::Event,
            trace: false,
            max_cycles: 1 << 40,
            contract: Contract::default(),
        }
    }
}

/// Busy and stall cycles per unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitStats {
    pub dma_busy_cycles: u64,
    pub compute_busy_cycles: u64,
    /// Cycles the controller waited to issue to a busy DMA unit.
    pub ctrl_wait_dma_cycles: u64,
    /// Cycles the controller waited to issue to a busy compute unit.
    pub ctrl_wait_compute_cycles: u64,
    /// Cycles spent in SYNC and HALT waiting for units.
    pub ctrl_wait_sync_cycles: u64,
    /// Cycles the DMA unit waited for a DRAM channel held by another sub-accelerator's transfer
    /// (part of its busy cycles; always 0 for one accelerator alone).
    #[serde(default)]
    pub dram_wait_cycles: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    pub engine: Engine,
    pub cycles: Cycles,
    pub counters: Counters,
    pub units: UnitStats,
    pub energy: Energy,
    /// MACs / (PEs × cycles): the array's MAC slots as [`simulate`] counts them (padding
    /// included); [`crate::run_layer`] replaces it with the layer's useful MACs.
    pub utilization: f64,
    /// The cycles by cause.
    pub breakdown: crate::breakdown::Breakdown,
}

pub struct SimResult {
    pub report: SimReport,
    /// The DRAM image after the run.
    pub dram: Vec<u8>,
    pub trace: Option<Vec<TraceEvent>>,
}

/// Buffer words one COMPUTE of `len` touches ([`Arch::compute_words`]): (input words read, weight
/// words read, accumulator words written).
pub fn compute_words(arch: &Arch, len: u64) -> (u64, u64, u64) {
    let w = arch.compute_words(u32::try_from(len).unwrap_or(u32::MAX));
    (w.input.into(), w.weight.into(), w.out.into())
}

/// The buffer words a COMPUTE (either form) reaches: its addresses, the words of each buffer
/// (input read, weight read, accumulator written and, accumulating, read first), and the words it
/// streams (the breakdown's `compute` cycles: `len`, or `E·T` for a row-stationary pass).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ComputeRanges {
    pub in_addr: u32,
    pub w_addr: u32,
    pub out_addr: u32,
    pub accumulate: bool,
    /// (input, weight, accumulator) words.
    pub words: (u64, u64, u64),
    pub streamed: u64,
}

impl ComputeRanges {
    /// `None` if `ins` is not a COMPUTE. A row-stationary pass's words are
    /// [`tessera_arch::spec::ComputeWords::of_pass`] (`E·T` input, `T` weight, `E·B` accumulator).
    pub fn of(arch: &Arch, ins: &Instr) -> Option<ComputeRanges> {
        match *ins {
            Instr::Compute {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
            } => Some(ComputeRanges {
                in_addr,
                w_addr,
                out_addr,
                accumulate,
                words: compute_words(arch, len.into()),
                streamed: len.into(),
            }),
            Instr::ComputeRs {
                len,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
                pass,
            } => {
                // (u16 · u8 never passes u32)
                let w = tessera_arch::spec::ComputeWords::of_pass(
                    len.into(),
                    pass.steps.into(),
                    pass.blocks.into(),
                )
                .expect("a 16-bit len times an 8-bit count fits u32");
                Some(ComputeRanges {
                    in_addr,
                    w_addr,
                    out_addr,
                    accumulate,
                    words: (w.input.into(), w.weight.into(), w.out.into()),
                    streamed: w.input.into(),
                })
            }
            _ => None,
        }
    }
}

/// Operands per word of the input and the weight buffer: `(R, C)`, or `(C, R)` on an
/// input-stationary array (docs/TIMING.md, "Word widths").
pub(crate) fn word_operands(arch: &Arch) -> (usize, usize) {
    let opb = arch.datatypes().operand_bytes().max(1);
    (
        (arch.input().word_bytes() / opb) as usize,
        (arch.weight().word_bytes() / opb) as usize,
    )
}

/// Machine state shared by the engines: the DRAM image, the buffers' contents (flat, word-major),
/// and what the run records.
pub(crate) struct Machine<'a> {
    pub arch: &'a Arch,
    pub dram: Vec<u8>,
    /// Input buffer: `depth` words of `R` operands (`C` on an input-stationary array, `R + C - 1`
    /// on a row-stationary one).
    pub input: Vec<i8>,
    /// Weight buffer: `depth` words of `C` operands (`R` on an input-stationary array).
    pub weight: Vec<i8>,
    /// Accumulator: `depth` words of `C` int32 lanes.
    pub acc: Vec<i32>,
    pub counters: Counters,
    pub units: UnitStats,
    pub tracer: Tracer,
    /// The DMA's gather registers.
    pub gather: GatherRegs,
    pub breakdown: crate::breakdown::BreakdownAcc,
}

impl<'a> Machine<'a> {
    fn new(arch: &'a Arch, dram: Vec<u8>, trace: bool) -> Self {
        let c = arch.cols() as usize;
        let (iw, ww) = word_operands(arch);
        Self {
            arch,
            dram,
            input: vec![0; arch.input().depth() as usize * iw],
            weight: vec![0; arch.weight().depth() as usize * ww],
            acc: vec![0; arch.accumulator().depth() as usize * c],
            counters: Counters::default(),
            units: UnitStats::default(),
            tracer: if trace {
                Tracer::on()
            } else {
                Tracer::default()
            },
            gather: GatherRegs::default(),
            breakdown: Default::default(),
        }
    }

    /// Write one input word at word `sram_addr` as request `req` reads it, and count it.
    #[inline]
    pub fn read_word(&mut self, target: LoadTarget, sram_addr: usize, req: &ReadReq) {
        let (iw, ww) = word_operands(self.arch);
        let (buf, wb) = match target {
            LoadTarget::Input => (&mut self.input, iw),
            LoadTarget::Weight => (&mut self.weight, ww),
        };
        req.fill(&self.dram, &mut buf[sram_addr * wb..(sram_addr + 1) * wb]);
        match target {
            LoadTarget::Input => self.counters.input.writes += 1,
            LoadTarget::Weight => self.counters.weight.writes += 1,
        }
        self.counters.dram_read_bytes += u64::from(req.count);
    }

    /// The requests of a gather LOAD from `pos`, under the current gather registers.
    pub fn gather(&self, pos: &tessera_arch::isa::GatherPos) -> Gather {
        let (iw, _) = word_operands(self.arch);
        Gather::new(&self.gather, self.arch.dataflow(), iw as u32, pos)
    }

    /// Copy `words` words of a LOAD from the DRAM image at byte `dram_addr` into its buffer at word
    /// `sram_addr`, and count them.
    pub fn load_words(
        &mut self,
        target: LoadTarget,
        sram_addr: usize,
        dram_addr: usize,
        words: usize,
    ) {
        let (iw, ww) = word_operands(self.arch);
        let (buf, wb) = match target {
            LoadTarget::Input => (&mut self.input, iw),
            LoadTarget::Weight => (&mut self.weight, ww),
        };
        let n = words * wb;
        for (d, x) in buf[sram_addr * wb..sram_addr * wb + n]
            .iter_mut()
            .zip(&self.dram[dram_addr..dram_addr + n])
        {
            *d = *x as i8;
        }
        let b = u64::from(self.arch.load_buffer(target).word_bytes());
        let words = words as u64;
        match target {
            LoadTarget::Input => self.counters.input.writes += words,
            LoadTarget::Weight => self.counters.weight.writes += words,
        }
        self.counters.dram_read_bytes += b * words;
    }
}

/// Check every instruction's ranges against the buffers and the DRAM image, so that the engines can
/// index without bounds surprises and a bad program is a clear error, not a panic.
///
/// On a row-stationary array (docs/TIMING.md, "Compute unit: row-stationary") every COMPUTE must
/// be a pass (`Instr::ComputeRs`, steps ≥ 1) with `len ≥ 1` and a legal shape
/// ([`tessera_arch::isa::RsPass::check`]: `1 ≤ T ≤ F`, `B·H ≤ R`, `(H - 1)·step ≤ R - 1`, `B ≤ T`),
/// whose `E·T` input, `T` weight and `E·B` accumulator words lie inside the buffers; its gather
/// LOADs read words of `R + C - 1` input rows (docs/TIMING.md, "Gather registers"). On every other
/// array a pass is illegal.
pub fn check_program(arch: &Arch, program: &Program, dram_len: usize) -> Result<()> {
    let err = |i: usize, m: String| {
        Err(Diagnostic::new(format!(
            "instruction {i} ({}): {m}",
            program.instrs[i]
        )))
    };
    let fits = |a: u64, n: u64, depth: u64| a + n <= depth;
    let mut halted = false;
    let mut ports = SharedPorts::new(arch);
    for (i, ins) in program.instrs.iter().enumerate() {
        let rs = arch.dataflow() == Dataflow::RowStationary;
        match ins {
            Instr::Compute { .. } if rs => {
                return err(
                    i,
                    "a row-stationary array runs only row-stationary passes (a COMPUTE with steps \
                     ≥ 1; docs/TIMING.md, \"Instructions\")"
                        .into(),
                )
            }
            Instr::ComputeRs { .. } if !rs => {
                return err(
                    i,
                    format!(
                        "a row-stationary pass (steps ≥ 1) on a {} array, whose COMPUTEs have \
                         steps = 0 (docs/TIMING.md, \"Instructions\")",
                        arch.dataflow().label()
                    ),
                )
            }
            Instr::ComputeRs { len, pass, .. } => {
                if *len == 0 {
                    return err(i, "len must be at least 1".into());
                }
                if let Err(m) = pass.check(arch.rows(), arch.rf_weights()) {
                    return err(i, format!("illegal row-stationary pass: {m}"));
                }
            }
            _ => {}
        }
        if let Some(m) = ports.issue(arch, ins) {
            return err(i, m);
        }
        match *ins {
            Instr::ComputeRs {
                in_addr,
                w_addr,
                out_addr,
                ..
            } => {
                let w = ComputeRanges::of(arch, ins).expect("a COMPUTE").words;
                if !fits(in_addr.into(), w.0, arch.input().depth().into())
                    || !fits(w_addr.into(), w.1, arch.weight().depth().into())
                    || !fits(out_addr.into(), w.2, arch.accumulator().depth().into())
                {
                    return err(
                        i,
                        format!(
                            "a buffer range exceeds its buffer (input words {in_addr}..+{}, \
                             weight words {w_addr}..+{}, accumulator words {out_addr}..+{}; \
                             depths {}, {}, {})",
                            w.0,
                            w.1,
                            w.2,
                            arch.input().depth(),
                            arch.weight().depth(),
                            arch.accumulator().depth()
                        ),
                    );
                }
            }
            Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            } => {
                let buf = arch.load_buffer(target);
                if count == 0 {
                    return err(i, "count must be at least 1".into());
                }
                if !fits(sram_addr.into(), count.into(), buf.depth().into()) {
                    return err(i, format!("buffer range exceeds {} words", buf.depth()));
                }
                if !fits(
                    dram_addr.into(),
                    u64::from(count) * u64::from(buf.word_bytes()),
                    dram_len as u64,
                ) {
                    return err(i, format!("DRAM range exceeds the {dram_len}-byte image"));
                }
            }
            Instr::Store {
                count,
                dram_addr,
                sram_addr,
            } => {
                let buf = arch.accumulator();
                if count == 0 {
                    return err(i, "count must be at least 1".into());
                }
                if !fits(sram_addr.into(), count.into(), buf.depth().into()) {
                    return err(
                        i,
                        format!("accumulator range exceeds {} words", buf.depth()),
                    );
                }
                if !fits(
                    dram_addr.into(),
                    u64::from(count) * u64::from(buf.word_bytes()),
                    dram_len as u64,
                ) {
                    return err(i, format!("DRAM range exceeds the {dram_len}-byte image"));
                }
            }
            Instr::Compute {
                len,
                in_addr,
                w_addr,
                out_addr,
                ..
            } => {
                if len == 0 {
                    return err(i, "len must be at least 1".into());
                }
                let (ni, nw, no) = compute_words(arch, len.into());
                if !fits(in_addr.into(), ni, arch.input().depth().into())
                    || !fits(w_addr.into(), nw, arch.weight().depth().into())
                    || !fits(out_addr.into(), no, arch.accumulator().depth().into())
                {
                    return err(i, "a buffer range exceeds its buffer".into());
                }
            }
            Instr::Config(_) => {}
            Instr::Gather {
                target,
                count,
                sram_addr,
                ..
            } => {
                if target != LoadTarget::Input {
                    return err(i, "only the input buffer gathers".into());
                }
                if count == 0 {
                    return err(i, "count must be at least 1".into());
                }
                let buf = arch.input();
                if !fits(sram_addr.into(), count.into(), buf.depth().into()) {
                    return err(i, format!("buffer range exceeds {} words", buf.depth()));
                }
                // Where each word reads depends on the gather registers at run time: the engines
                // check every request against the image as they run it (`check_request`).
            }
            Instr::Sync { .. } => {}
            Instr::Halt => {
                halted = true;
                break;
            }
        }
    }
    if !halted {
        return Err(Diagnostic::new("program has no HALT"));
    }
    Ok(())
}

/// The buffer ports the compute unit shares with the DMA, checked statically so that both engines
/// refuse the same programs (docs/TIMING.md, "Accumulator read port" and "Single-ported banks"):
///
/// - the accumulator banks' one read port, shared by the compute unit's accumulate reads and the
///   DMA's STORE reads: a STORE and an accumulating COMPUTE must never be in flight together on a
///   common bank;
/// - the one read-write port of a single-ported input or weight buffer's banks (`ports:
///   OneReadWrite`): a LOAD or GATHER writing a bank must never be in flight together with a
///   COMPUTE that may still read it.
///
/// A DMA transfer is *possibly in flight* from its issue until a SYNC with bit dma. A COMPUTE may
/// reach the buffers from its issue until a SYNC that waits for it (bit compute: every COMPUTE; bit
/// prev_compute: every COMPUTE but the most recently issued; bit prev_stream: the same, for its
/// reads of the input and weight buffers only — a COMPUTE that has read its streamed words still
/// reads the accumulator until it completes), and by the compute unit's own timing: without
/// double-buffered PEs a COMPUTE issues only into an idle unit, so issuing one ends every earlier
/// one; with them (COMPUTEs overlap) a COMPUTE reads its preloaded operand (weight-stationary:
/// weights; input-stationary: inputs) only until the next COMPUTE issues, and its streamed operands
/// only until the COMPUTE after that issues (the controller issues a COMPUTE only once the tile
/// before it has begun to stream, which is after that tile's preload and after the stream of the
/// tile before it: docs/TIMING.md, "double-buffered weights" and "double-buffered sums"). An
/// instruction that issues while one of the other unit possibly in flight reaches a common bank
/// through a shared port is refused, naming the buffer and the banks. The lowering never does
/// that: a STORE reads the accumulator half the COMPUTEs of the next output tile do not touch and
/// is ordered behind the last COMPUTE of its own tile, the DMA writes the half of a buffer the
/// running COMPUTEs do not read, and with one bank every tile runs alone (mapping/src/lower.rs).
struct SharedPorts {
    /// Words per bank of each buffer whose port is shared ([`SharedPorts::INPUT`],
    /// [`SharedPorts::WEIGHT`] when single-ported, [`SharedPorts::ACCUMULATOR`] always).
    bank_depth: [Option<u64>; 3],
    overlapped: bool,
    /// The buffer the compute unit preloads from, if any.
    preloaded: Option<usize>,
    /// COMPUTEs possibly in flight, oldest first: the banks of each buffer each may still reach
    /// through a shared port (the accumulator's only if it accumulates).
    computes: Vec<[Option<(u64, u64)>; 3]>,
    /// DMA transfers possibly in flight that reach a shared port: the buffer and the banks.
    transfers: Vec<(usize, (u64, u64))>,
}

impl SharedPorts {
    const INPUT: usize = 0;
    const WEIGHT: usize = 1;
    const ACCUMULATOR: usize = 2;

    fn new(arch: &Arch) -> Self {
        let single = |b: &tessera_arch::spec::Buffer| {
            b.single_ported().then(|| u64::from(b.bank_depth().max(1)))
        };
        SharedPorts {
            bank_depth: [
                single(arch.input()),
                single(arch.weight()),
                Some(u64::from(arch.accumulator().bank_depth().max(1))),
            ],
            overlapped: arch.weight_double_buffered(),
            preloaded: match arch.dataflow() {
                Dataflow::WeightStationary => Some(Self::WEIGHT),
                Dataflow::InputStationary => Some(Self::INPUT),
                // (a row-stationary array never overlaps passes: validation refuses
                // weight_double_buffer, so `overlapped` is false and a COMPUTE's issue ends the one
                // before it)
                Dataflow::OutputStationary | Dataflow::RowStationary => None,
            },
            computes: vec![],
            transfers: vec![],
        }
    }

    /// The first and last bank of `n ≥ 1` words from `addr` of buffer `k`, if its port is shared.
    fn banks(&self, k: usize, addr: u32, n: u64) -> Option<(u64, u64)> {
        let d = self.bank_depth[k]?;
        let a = u64::from(addr);
        Some((a / d, (a + n.max(1) - 1) / d))
    }

    /// Why `what` may not issue while `other` may reach buffer `k`'s `banks`.
    fn conflict(what: &str, other: &str, k: usize, banks: (u64, u64)) -> String {
        if k == Self::ACCUMULATOR {
            format!(
                "{what} reaches accumulator banks {}..={} while {other} on one of them may still \
                 be in flight: the accumulator banks have one read port (docs/TIMING.md, \
                 \"Accumulator read port\"); put a SYNC between them",
                banks.0, banks.1,
            )
        } else {
            let name = if k == Self::INPUT { "input" } else { "weight" };
            format!(
                "{what} reaches {name} buffer banks {}..={} while {other} on one of them may still \
                 be in flight: the {name} buffer's banks have one read-write port (ports: \
                 OneReadWrite; docs/TIMING.md, \"Single-ported banks\"), a read or a write per \
                 cycle; put a SYNC between them",
                banks.0, banks.1,
            )
        }
    }

    /// Take `ins` at its issue; the conflict it makes, if any.
    fn issue(&mut self, arch: &Arch, ins: &Instr) -> Option<String> {
        let meet = |x: (u64, u64), y: (u64, u64)| x.0 <= y.1 && y.0 <= x.1;
        // a DMA transfer: the buffer it reaches, the words, and what it is called
        let transfer = match *ins {
            Instr::Load {
                target,
                count,
                sram_addr,
                ..
            } => Some((target, count, sram_addr, "a LOAD writing")),
            Instr::Gather {
                target,
                count,
                sram_addr,
                ..
            } => Some((target, count, sram_addr, "a GATHER writing")),
            _ => None,
        }
        .map(|(t, count, addr, what)| {
            let k = match t {
                LoadTarget::Input => Self::INPUT,
                LoadTarget::Weight => Self::WEIGHT,
            };
            (k, count, addr, what, "a COMPUTE reading")
        })
        .or(match *ins {
            Instr::Store {
                count, sram_addr, ..
            } => Some((
                Self::ACCUMULATOR,
                count,
                sram_addr,
                "STORE",
                "an accumulating COMPUTE",
            )),
            _ => None,
        });
        if let Some((k, count, addr, what, other)) = transfer {
            if let Some(b) = self.banks(k, addr, count.into()) {
                if self
                    .computes
                    .iter()
                    .any(|c| c[k].is_some_and(|c| meet(c, b)))
                {
                    return Some(Self::conflict(what, other, k, b));
                }
                self.transfers.push((k, b));
            }
            return None;
        }
        match *ins {
            Instr::Compute { .. } | Instr::ComputeRs { .. } => {
                let ComputeRanges {
                    in_addr,
                    w_addr,
                    out_addr,
                    accumulate,
                    words: (ni, nw, out),
                    ..
                } = ComputeRanges::of(arch, ins).expect("a COMPUTE");
                if !self.overlapped {
                    self.computes.clear();
                } else {
                    // the earlier tiles have finished their preloads, and all but the newest
                    // their streams (their accumulator reads last until they complete)
                    let newest = self.computes.len().saturating_sub(1);
                    for (i, c) in self.computes.iter_mut().enumerate() {
                        for k in [Self::INPUT, Self::WEIGHT] {
                            if i < newest || self.preloaded == Some(k) {
                                c[k] = None;
                            }
                        }
                    }
                }
                let reach = [
                    self.banks(Self::INPUT, in_addr, ni),
                    self.banks(Self::WEIGHT, w_addr, nw),
                    if accumulate {
                        self.banks(Self::ACCUMULATOR, out_addr, out)
                    } else {
                        None
                    },
                ];
                for k in [Self::ACCUMULATOR, Self::INPUT, Self::WEIGHT] {
                    let Some(b) = reach[k] else { continue };
                    if self.transfers.iter().any(|&(l, t)| l == k && meet(t, b)) {
                        return Some(if k == Self::ACCUMULATOR {
                            Self::conflict("an accumulating COMPUTE", "a STORE", k, b)
                        } else {
                            Self::conflict("a COMPUTE reading", "a LOAD or GATHER writing", k, b)
                        });
                    }
                }
                self.computes.push(reach);
            }
            Instr::Sync { mask } => {
                if mask & unit::DMA != 0 {
                    self.transfers.clear();
                }
                let older = self.computes.len().saturating_sub(1);
                if mask & unit::COMPUTE != 0 {
                    self.computes.clear();
                } else if mask & unit::PREV_COMPUTE != 0 {
                    self.computes.drain(..older);
                } else if mask & unit::PREV_STREAM != 0 {
                    for c in &mut self.computes[..older] {
                        (c[Self::INPUT], c[Self::WEIGHT]) = (None, None);
                    }
                }
            }
            _ => {}
        }
        None
    }
}

/// A gathered word's request must lie inside the DRAM image (word `i` of its LOAD).
pub(crate) fn check_request(dram_len: usize, i: usize, req: &ReadReq) -> Result<()> {
    if req.end() > dram_len as u64 {
        return Err(Diagnostic::new(format!(
            "gathered word {i} reads bytes up to {} outside the {dram_len}-byte DRAM image",
            req.end()
        )));
    }
    Ok(())
}

/// Run `program` on `arch` from the DRAM image `dram`.
pub fn simulate(
    arch: &Arch,
    program: &Program,
    dram: Vec<u8>,
    opts: &SimOptions,
) -> Result<SimResult> {
    check_program(arch, program, dram.len())?;
    let mut m = Machine::new(arch, dram, opts.trace);
    let cycles = match opts.engine {
        Engine::Event => event::run(&mut m, program, opts)?,
        Engine::Stepped => stepped::run(&mut m, program, opts)?,
    };
    Ok(finish(m, cycles, opts))
}

/// The most sub-accelerators a system has (docs/TIMING.md, "Systems"; the RTL's 3-bit index).
pub const MAX_SUBACCELERATORS: usize = 8;

/// One sub-accelerator of a system: its accelerator, its program, and the image of its own DRAM
/// region (its program addresses the region from 0; the host relocates it for the RTL).
pub struct SubRun<'a> {
    pub arch: &'a Arch,
    pub program: &'a Program,
    pub dram: Vec<u8>,
}

/// Run a system of sub-accelerators that share one DRAM channel (docs/TIMING.md, "Systems"): each
/// one's result (its own cycle count, counters, energy and final region image) in order. Every
/// sub-accelerator must have the same DRAM bytes per cycle and latency, the channel's.
pub fn simulate_system(subs: Vec<SubRun>, opts: &SimOptions) -> Result<Vec<SimResult>> {
    check_system(&subs.iter().map(|s| s.arch).collect::<Vec<_>>())?;
    for (i, s) in subs.iter().enumerate() {
        check_program(s.arch, s.program, s.dram.len()).map_err(|e| Diagnostic {
            message: format!("sub-accelerator {i} ({}): {}", s.arch.name(), e.message),
            ..e
        })?;
    }
    let programs: Vec<&Program> = subs.iter().map(|s| s.program).collect();
    let mut machines: Vec<Machine> = subs
        .into_iter()
        .map(|s| Machine::new(s.arch, s.dram, opts.trace))
        .collect();
    let cycles = match opts.engine {
        Engine::Event => event::run_system(&mut machines, &programs, opts)?,
        Engine::Stepped => stepped::run_system(&mut machines, &programs, opts)?,
    };
    Ok(machines
        .into_iter()
        .zip(cycles)
        .map(|(m, c)| finish(m, c, opts))
        .collect())
}

/// A system's sub-accelerators: 1 to [`MAX_SUBACCELERATORS`], every one with the DRAM channel of
/// the first (bytes per cycle and latency; the words per cycle, `P`, and the transfer slots, `O`,
/// are each DMA's own: a granted transfer is paced with its own `P`, and a DMA requests the channel
/// for one transfer at a time, docs/TIMING.md "Systems").
pub fn check_system(archs: &[&Arch]) -> Result<()> {
    if archs.is_empty() || archs.len() > MAX_SUBACCELERATORS {
        return Err(Diagnostic::field(
            "subs",
            format!(
                "a system has 1 to {MAX_SUBACCELERATORS} sub-accelerators, not {}",
                archs.len()
            ),
        ));
    }
    let d0 = archs[0].dram();
    for (i, a) in archs.iter().enumerate().skip(1) {
        let d = a.dram();
        if d.bytes_per_cycle() != d0.bytes_per_cycle() || d.latency() != d0.latency() {
            return Err(Diagnostic::field(
                format!("subs[{i}]"),
                format!(
                    "{} has a DRAM of {} B/cycle and latency {}, but the shared channel (sub-accelerator 0's) has {} B/cycle and latency {} (a system file's `dram` sets one channel for all)",
                    a.name(),
                    d.bytes_per_cycle(),
                    d.latency(),
                    d0.bytes_per_cycle(),
                    d0.latency()
                ),
            ));
        }
    }
    Ok(())
}

/// The result of a finished machine.
fn finish(mut m: Machine, cycles: u64, opts: &SimOptions) -> SimResult {
    let arch = m.arch;
    let energy = Energy::of(arch, &m.counters);
    let breakdown = std::mem::take(&mut m.breakdown).finish(cycles, opts.engine == Engine::Stepped);
    let utilization = m.counters.array_macs as f64 / (arch.pes() as f64 * cycles as f64);
    SimResult {
        report: SimReport {
            engine: opts.engine,
            cycles: Cycles(cycles),
            counters: m.counters,
            units: m.units,
            energy,
            utilization,
            breakdown,
        },
        dram: m.dram,
        trace: m.tracer.events.map(crate::trace::canonical),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A STORE and an accumulating COMPUTE on one accumulator bank with no SYNC between them are
    /// refused by both engines, with the instruction and the rule named; the same program with a
    /// SYNC, or with the STORE in the other bank, runs.
    #[test]
    fn a_store_and_an_accumulating_compute_on_one_bank_are_refused() {
        let arch = tessera_arch::builtin::arch("ws_4x4").unwrap();
        let bank = arch.accumulator().bank_depth();
        assert!(bank >= 6);
        let compute = |accumulate| Instr::Compute {
            len: 4,
            in_addr: 0,
            w_addr: 0,
            out_addr: 0,
            accumulate,
        };
        let store = |sram_addr| Instr::Store {
            count: 2,
            dram_addr: 0,
            sram_addr,
        };
        let sync = |mask| Instr::Sync { mask };
        let run = |instrs: Vec<Instr>| {
            [Engine::Event, Engine::Stepped].map(|engine| {
                simulate(
                    &arch,
                    &Program {
                        instrs: instrs.clone(),
                    },
                    vec![0; 4096],
                    &SimOptions {
                        engine,
                        ..SimOptions::default()
                    },
                )
                .map(|r| r.report.cycles)
            })
        };
        // an accumulating COMPUTE, then a STORE of its own words in flight with it
        for [e, s] in [
            run(vec![compute(true), store(0), Instr::Halt]),
            run(vec![store(1), compute(true), Instr::Halt]),
        ] {
            for r in [e, s] {
                let m = r.unwrap_err().message;
                assert!(m.contains("accumulator banks 0..=0"), "{m}");
                assert!(m.contains("one read port"), "{m}");
            }
        }
        // ordered by a SYNC, in another bank, or a COMPUTE that only writes: no conflict
        for prog in [
            vec![compute(true), sync(unit::COMPUTE), store(0), Instr::Halt],
            vec![store(0), sync(unit::DMA), compute(true), Instr::Halt],
            vec![compute(true), store(bank), Instr::Halt],
            // words 4..6 of bank 0, beside the COMPUTE's 0..4
            vec![compute(false), store(4), Instr::Halt],
        ] {
            let [e, s] = run(prog.clone());
            assert_eq!(e.unwrap(), s.unwrap(), "{prog:?}");
        }
    }
    /// A LOAD (or GATHER) writing a bank of a single-ported buffer and a COMPUTE reading that bank,
    /// possibly in flight together, are refused by both engines, naming the instruction, the buffer
    /// and the banks; a SYNC between them, another bank, or two-ported banks make the program run.
    /// Run past the static check, the stepped engine catches the same program in the cycle the
    /// SRAM is read and written (the dynamic rule behind the static one).
    #[test]
    fn a_load_and_a_compute_on_one_single_ported_bank_are_refused() {
        use tessera_arch::SramPorts;
        let spec = tessera_arch::builtin::arch_spec("ws_4x4").unwrap();
        let one = spec
            .clone()
            .with_operand_ports(SramPorts::OneReadWrite)
            .validate()
            .unwrap();
        let two = spec.validate().unwrap();
        let bank = one.input().bank_depth();
        assert_eq!(bank, 256);
        let compute = |in_addr, w_addr| Instr::Compute {
            len: 64,
            in_addr,
            w_addr,
            out_addr: 0,
            accumulate: false,
        };
        let load = |target, sram_addr| Instr::Load {
            target,
            count: 64,
            dram_addr: 0,
            sram_addr,
        };
        let sync = |mask| Instr::Sync { mask };
        let run = |arch: &Arch, instrs: &[Instr]| {
            [Engine::Event, Engine::Stepped].map(|engine| {
                simulate(
                    arch,
                    &Program {
                        instrs: instrs.to_vec(),
                    },
                    vec![0; 4096],
                    &SimOptions {
                        engine,
                        ..SimOptions::default()
                    },
                )
                .map(|r| r.report.cycles)
            })
        };
        let (li, lw) = (LoadTarget::Input, LoadTarget::Weight);
        for (prog, what) in [
            (
                vec![load(li, 0), compute(0, 0), Instr::Halt],
                "a COMPUTE reading reaches input buffer banks 0..=0",
            ),
            (
                vec![compute(0, 0), load(li, 32), Instr::Halt],
                "a LOAD writing reaches input buffer banks 0..=0",
            ),
            (
                vec![compute(0, 0), load(lw, 0), Instr::Halt],
                "a LOAD writing reaches weight buffer banks 0..=0",
            ),
        ] {
            for r in run(&one, &prog) {
                let m = r.unwrap_err().message;
                assert!(m.starts_with("instruction 1 ("), "{m}");
                assert!(m.contains(what), "{m}");
                assert!(m.contains("one read-write port"), "{m}");
            }
            // two-ported banks keep the rule out (the event engine may still refuse a race on
            // the same words, which is another matter)
            check_program(
                &two,
                &Program {
                    instrs: prog.clone(),
                },
                4096,
            )
            .unwrap();
        }
        for prog in [
            vec![load(li, 0), sync(unit::DMA), compute(0, 0), Instr::Halt],
            vec![compute(0, 0), sync(unit::COMPUTE), load(li, 0), Instr::Halt],
            vec![load(li, bank), compute(0, 0), Instr::Halt],
            vec![
                compute(0, 0),
                load(lw, one.weight().bank_depth()),
                Instr::Halt,
            ],
            // a later COMPUTE ends an earlier one without double-buffered weights
            vec![
                compute(0, 0),
                compute(bank, one.weight().bank_depth()),
                load(li, 0),
                Instr::Halt,
            ],
        ] {
            let [e, s] = run(&one, &prog);
            assert_eq!(e.unwrap(), s.unwrap(), "{prog:?}");
        }
        // with double-buffered weights COMPUTEs overlap: the earlier one stays in flight
        let db = tessera_arch::builtin::arch_spec("ws_4x4")
            .unwrap()
            .with_weight_double_buffer(true)
            .with_operand_ports(SramPorts::OneReadWrite)
            .validate()
            .unwrap();
        let prog = [
            compute(0, 0),
            compute(bank, db.weight().bank_depth()),
            load(li, 0),
            Instr::Halt,
        ];
        for r in run(&db, &prog) {
            assert!(r.unwrap_err().message.contains("input buffer banks 0..=0"));
        }
        // the stepped engine, past the static check, sees the SRAM read and written in one cycle
        let program = Program {
            instrs: vec![load(li, 0), compute(0, 0), Instr::Halt],
        };
        let mut m = Machine::new(&one, vec![0; 4096], false);
        let e = stepped::run(&mut m, &program, &SimOptions::default()).unwrap_err();
        assert!(
            e.message
                .contains("input buffer's SRAM 0 of bank 0 is read"),
            "{}",
            e.message
        );
        // and on two-ported banks the same program runs
        let mut m = Machine::new(&two, vec![0; 4096], false);
        stepped::run(&mut m, &program, &SimOptions::default()).unwrap();
    }

    /// On a unit that overlaps tiles, `SYNC prev_stream` ends no COMPUTE's accumulator reads: a
    /// STORE behind it, on the bank the COMPUTE before the last accumulates into, is refused by
    /// both engines, while `SYNC prev_compute` (or a STORE on the other bank) orders it.
    #[test]
    fn prev_stream_does_not_order_a_store_behind_an_accumulating_compute() {
        for name in ["ws_4x4", "os_4x4"] {
            let arch = tessera_arch::builtin::arch_spec(name)
                .unwrap()
                .with_weight_double_buffer(true)
                .validate()
                .unwrap();
            let bank = arch.accumulator().bank_depth();
            let compute = |out_addr, accumulate| Instr::Compute {
                len: 4,
                in_addr: 0,
                w_addr: 0,
                out_addr,
                accumulate,
            };
            let store = |sram_addr| Instr::Store {
                count: 2,
                dram_addr: 0,
                sram_addr,
            };
            let sync = |mask| Instr::Sync { mask };
            let run = |instrs: Vec<Instr>| {
                [Engine::Event, Engine::Stepped].map(|engine| {
                    simulate(
                        &arch,
                        &Program {
                            instrs: instrs.clone(),
                        },
                        vec![0; 4096],
                        &SimOptions {
                            engine,
                            ..SimOptions::default()
                        },
                    )
                    .map(|r| r.report.cycles)
                })
            };
            // COMPUTE 0 accumulates into bank 0, COMPUTE 1 writes bank 1; a STORE of bank 0
            let prog = |mask| {
                vec![
                    compute(0, true),
                    compute(bank, false),
                    sync(mask),
                    store(0),
                    Instr::Halt,
                ]
            };
            for r in run(prog(unit::PREV_STREAM)) {
                let m = r.unwrap_err().message;
                assert!(m.contains("accumulator banks 0..=0"), "{name}: {m}");
                assert!(m.contains("one read port"), "{name}: {m}");
            }
            let [e, s] = run(prog(unit::PREV_COMPUTE));
            assert_eq!(e.unwrap(), s.unwrap(), "{name}");
            let [e, s] = run(prog(unit::PREV_STREAM | unit::PREV_COMPUTE));
            assert_eq!(e.unwrap(), s.unwrap(), "{name}");
            // prev_stream before a STORE of a bank no COMPUTE accumulates into
            let [e, s] = run(vec![
                compute(0, true),
                compute(bank, false),
                sync(unit::PREV_STREAM),
                store(bank + 8),
                Instr::Halt,
            ]);
            assert_eq!(e.unwrap(), s.unwrap(), "{name}");
        }
    }

    /// The contract's row-stationary busy length is the event engine's only source of a pass's
    /// timing: a fault of one cycle in it ([`Contract::with_fault`]) makes the event engine's
    /// pass end one cycle after the stepped engine's, and the traces part at that `compute done`.
    #[test]
    fn a_fault_in_the_row_stationary_busy_length_shows_in_the_trace() {
        use tessera_arch::isa::RsPass;
        let arch = tessera_arch::ArchSpec::ws("rs", 3, 4, [6 * 64, 3 * 64, 16 * 64], 1, 8, 5)
            .row_stationary(6)
            .validate()
            .unwrap();
        let pass = RsPass {
            steps: 4,
            block_rows: 3,
            blocks: 1,
            row_step: 1,
        };
        let program = Program {
            instrs: vec![
                Instr::ComputeRs {
                    len: 3,
                    in_addr: 0,
                    w_addr: 0,
                    out_addr: 0,
                    accumulate: false,
                    pass,
                },
                Instr::Halt,
            ],
        };
        let run = |engine, contract| {
            simulate(
                &arch,
                &program,
                vec![0; 64],
                &SimOptions {
                    engine,
                    trace: true,
                    contract,
                    ..SimOptions::default()
                },
            )
            .unwrap()
        };
        let st = run(Engine::Stepped, Contract::default());
        let ev = run(Engine::Event, Contract::default());
        let bad = run(Engine::Event, Contract::with_fault(1));
        // issue at 0, busy 1..=19, HALT at 20
        assert_eq!(st.report.cycles.get(), 21);
        assert_eq!(ev.report.cycles, st.report.cycles);
        assert_eq!(bad.report.cycles.get(), 22);
        let lines = |r: &SimResult| -> Vec<String> {
            r.trace
                .as_ref()
                .unwrap()
                .iter()
                .map(|e| e.to_string())
                .collect()
        };
        assert!(crate::trace::first_divergence(&lines(&st), &lines(&ev), 1).is_none());
        let d = crate::trace::first_divergence(&lines(&st), &lines(&bad), 1).unwrap();
        let d = d.to_string();
        assert!(d.contains("19 compute done"), "{d}");
    }
}
