//! `ArchSpec` (what the RON file says) and `Arch` (what was validated).

use crate::tech::{SramPorts, Tech};
use serde::{Deserialize, Serialize};
use tessera_core::diag::{ensure, Result};
use tessera_core::{Bytes, Cycles};

/// Dataflow of the PE array; every stage (estimate, simulate, export, verify) implements all four.
/// Weight-, output- and input-stationary tile a layer's GEMM ([`Dataflow::SUPPORTED`]);
/// input-stationary is the weight-stationary array with the operands' roles swapped
/// (docs/TIMING.md, "Compute unit: input-stationary"). Row-stationary (Eyeriss's, docs/TIMING.md,
/// "Compute unit: row-stationary") runs a layer as passes of 1-D convolutions
/// (mapping/src/rs.rs); the design-space search draws it when its space lists it (with the
/// register-file sizes to try, `SearchSpace::rf_weights`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dataflow {
    WeightStationary,
    OutputStationary,
    InputStationary,
    RowStationary,
}

/// The accelerator description as written in a RON file. Integers are signed here so that a
/// negative value is reported by validation with its field name, not as a parse error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchSpec {
    /// Becomes a Verilog module prefix and file name: letters, digits, `_`.
    pub name: String,
    /// What the description approximates (a template of a published design names its nearest
    /// configuration here); every report shows it. Printable text, at most [`MAX_NOTE_CHARS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub array: ArraySpec,
    pub datatypes: DatatypeSpec,
    pub buffers: BuffersSpec,
    pub dram: DramSpec,
    pub clock_mhz: f64,
    /// The technology figures: a built-in name (`"45nm"`, `"32nm"`; see [`crate::tech::BUILTIN`]).
    /// Absent: 45 nm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArraySpec {
    pub rows: i64,
    pub cols: i64,
    pub dataflow: Dataflow,
    /// The PEs double-buffer their stationary operand: weights (WS), inputs (IS), sums (OS).
    /// Weight- and input-stationary: every PE holds a second (shadow) register for its operand, so
    /// the next tile's operand preloads while the current tile streams (docs/TIMING.md,
    /// "double-buffered weights"); output-stationary: every PE holds a second bank of sums, so one
    /// tile drains while the next accumulates (docs/TIMING.md, "double-buffered sums"). Off when
    /// left out.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weight_double_buffer: bool,
    /// How the streamed operands reach the PEs and how a column's partial sums are reduced
    /// (docs/TIMING.md, "Interconnect options"): on weight- and input-stationary arrays every
    /// option; on output-stationary ones `stream` only (a broadcast sends both operands over row
    /// and column buses; the sums stay in the PEs, so `reduce` is `Chain`). Systolic forwarding
    /// and a partial-sum chain when left out.
    #[serde(default, skip_serializing_if = "Noc::is_default")]
    pub noc: Noc,
    /// Row-stationary only, and required there: the operands each PE's register file holds (`F`
    /// of docs/TIMING.md, "Compute unit: row-stationary"; 1 to 255), the most steps of one pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rf_weights: Option<i64>,
}

/// How the streamed operand reaches the PEs of a row (output-stationary: how both operands reach
/// the PEs of a row and of a column).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Stream {
    /// One PE per cycle, left to right (a register in every PE).
    #[default]
    Systolic,
    /// A row bus: every PE of the row in the same cycle (output-stationary: also a column bus
    /// for the second operand; no skew and no forwarding registers).
    Broadcast,
}

/// How a column's partial sums are reduced.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Reduce {
    /// Down the column, one PE per cycle (the streamed rows skewed to meet them).
    #[default]
    Chain,
    /// A pipelined binary adder tree per column, `⌈log₂ R⌉` register levels.
    AdderTree,
}

/// The array's interconnect (docs/TIMING.md, "Interconnect options"; an output-stationary array
/// takes `stream` only); [`crate::noc::NocGraph`] is its graph.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Noc {
    #[serde(default)]
    pub stream: Stream,
    #[serde(default)]
    pub reduce: Reduce,
}

impl Noc {
    pub fn is_default(&self) -> bool {
        *self == Noc::default()
    }
    /// Register levels of a column's adder tree of `rows` products: `⌈log₂ rows⌉`.
    pub fn tree_levels(rows: u32) -> u32 {
        rows.max(1).next_power_of_two().trailing_zeros()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatatypeSpec {
    pub operand_bits: i64,
    /// 16, 24 or 32 ([`ACCUMULATOR_BITS`]): every sum wraps around at this width.
    pub accumulator_bits: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuffersSpec {
    pub input: BufferSpec,
    pub weight: BufferSpec,
    pub accumulator: BufferSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BufferSpec {
    pub capacity_bytes: i64,
    pub banks: i64,
    /// The ports of every SRAM of the buffer (docs/TIMING.md, "Word widths" and "Single-ported
    /// banks"): one read and one write port (`OneReadOneWrite`), or one read-write port
    /// (`OneReadWrite`: about half the area, a read or a write per cycle, never both; the input and
    /// weight buffers only). One read and one write port when left out.
    #[serde(default, skip_serializing_if = "SramPorts::is_default")]
    pub ports: SramPorts,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramSpec {
    pub bytes_per_cycle: i64,
    pub latency_cycles: i64,
    /// Transfers the DMA keeps in flight on the channel (docs/TIMING.md, "DMA unit and the DRAM
    /// port"); 1 when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outstanding_transfers: Option<i64>,
    /// Buffer words a LOAD or STORE may move per cycle (docs/TIMING.md, "DMA unit and the DRAM
    /// port"): a power of two up to [`MAX_WORDS_PER_CYCLE`]; the input and weight buffers are then
    /// word-interleaved over that many write lanes, and the accumulator over as many store read
    /// lanes as W lets a STORE use ([`Arch::store_lanes`]: one when its words are at least W
    /// bytes). 1 when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words_per_cycle: Option<i64>,
}

/// Which on-chip buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BufferKind {
    Input,
    Weight,
    Accumulator,
}

impl BufferKind {
    pub const ALL: [BufferKind; 3] = [
        BufferKind::Input,
        BufferKind::Weight,
        BufferKind::Accumulator,
    ];
    pub fn name(self) -> &'static str {
        match self {
            BufferKind::Input => "input",
            BufferKind::Weight => "weight",
            BufferKind::Accumulator => "accumulator",
        }
    }
}

impl Dataflow {
    /// The RON spelling, e.g. `WeightStationary`.
    pub fn name(self) -> &'static str {
        match self {
            Dataflow::WeightStationary => "WeightStationary",
            Dataflow::OutputStationary => "OutputStationary",
            Dataflow::InputStationary => "InputStationary",
            Dataflow::RowStationary => "RowStationary",
        }
    }
    /// Two-letter short name used in generated names: `ws`, `os`, `is`, `rs`.
    pub fn short(self) -> &'static str {
        match self {
            Dataflow::WeightStationary => "ws",
            Dataflow::OutputStationary => "os",
            Dataflow::InputStationary => "is",
            Dataflow::RowStationary => "rs",
        }
    }
    /// Every dataflow a description may name.
    pub const ALL: [Dataflow; 4] = [
        Dataflow::WeightStationary,
        Dataflow::OutputStationary,
        Dataflow::InputStationary,
        Dataflow::RowStationary,
    ];
    /// Whether layers map onto the array as a GEMM tiling (`Mapping::space_in`); a row-stationary
    /// array's layers map as passes instead (mapping/src/rs.rs; docs/TIMING.md, "Compute unit:
    /// row-stationary").
    pub fn tiles_gemm(self) -> bool {
        self != Dataflow::RowStationary
    }
    /// The dataflows every stage (estimate, simulate, export, verify) implements.
    pub const SUPPORTED: [Dataflow; 3] = [
        Dataflow::WeightStationary,
        Dataflow::OutputStationary,
        Dataflow::InputStationary,
    ];
    /// The dataflows a design-space search explores when its space does not list them (a space
    /// file may add input-stationary and row-stationary, which any search accepts, as
    /// [`Dataflow::ALL`]; they are left out of the default so that the default search's random
    /// sequences stay what they were before they existed).
    pub const SEARCH_DEFAULT: [Dataflow; 2] =
        [Dataflow::WeightStationary, Dataflow::OutputStationary];
    /// The English name used in reports and generated headers, e.g. `weight-stationary`.
    pub fn label(self) -> &'static str {
        match self {
            Dataflow::WeightStationary => "weight-stationary",
            Dataflow::OutputStationary => "output-stationary",
            Dataflow::InputStationary => "input-stationary",
            Dataflow::RowStationary => "row-stationary",
        }
    }
}

/// The accumulator widths supported: whole bytes, at least the 16 bits of an int8 × int8 product
/// (docs/TIMING.md, "Accumulator width": sums wrap around at this width).
pub const ACCUMULATOR_BITS: [i64; 3] = [16, 24, 32];

/// Operand and accumulator widths, validated (8-bit operands; 16-, 24- or 32-bit accumulators).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Datatypes {
    operand_bits: u32,
    accumulator_bits: u32,
}

impl Datatypes {
    pub fn operand_bits(self) -> u32 {
        self.operand_bits
    }
    pub fn accumulator_bits(self) -> u32 {
        self.accumulator_bits
    }
    /// Bytes of one operand (input or weight element).
    pub fn operand_bytes(self) -> u32 {
        self.operand_bits / 8
    }
    /// Bytes of one accumulator lane.
    pub fn accumulator_bytes(self) -> u32 {
        self.accumulator_bits / 8
    }
    /// The deepest reduction whose sum can never overflow a lane: `K` products of at most
    /// `2^(2·operand_bits − 2)` (−128 × −128 for int8) stay within `2^(AB−1) − 1`. 1 at 16 bits,
    /// 511 at 24, 131,071 at 32.
    pub fn exact_depth(self) -> u64 {
        let max_product = 1u64 << (2 * self.operand_bits - 2);
        ((1u64 << (self.accumulator_bits - 1)) - 1) / max_product
    }
    /// `v` as an accumulator lane holds it: its low [`Datatypes::accumulator_bits`] bits,
    /// sign-extended (two's-complement wrap-around at the accumulator's width).
    pub fn wrap(self, v: i32) -> i32 {
        let shift = 32 - self.accumulator_bits;
        v.wrapping_shl(shift).wrapping_shr(shift)
    }
}

/// A validated on-chip buffer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Buffer {
    kind: BufferKind,
    capacity: Bytes,
    banks: u32,
    ports: SramPorts,
    word_bytes: u32,
    depth: u32,
}

impl Buffer {
    pub fn kind(&self) -> BufferKind {
        self.kind
    }
    /// Bytes in the whole buffer.
    pub fn capacity(&self) -> Bytes {
        self.capacity
    }
    pub fn banks(&self) -> u32 {
        self.banks
    }
    /// The ports of every SRAM of the buffer (input and weight: either; accumulator: always one
    /// read and one write port).
    pub fn ports(&self) -> SramPorts {
        self.ports
    }
    /// Its SRAMs have one read-write port: a read or a write per cycle, never both
    /// (docs/TIMING.md, "Single-ported banks").
    pub fn single_ported(&self) -> bool {
        self.ports == SramPorts::OneReadWrite
    }
    /// Bytes per word (see docs/TIMING.md: R, C operands or C accumulator lanes).
    pub fn word_bytes(&self) -> u32 {
        self.word_bytes
    }
    /// Words in the whole buffer.
    pub fn depth(&self) -> u32 {
        self.depth
    }
    /// Words in one bank.
    pub fn bank_depth(&self) -> u32 {
        self.depth / self.banks
    }
    /// Bytes in one bank.
    pub fn bank_bytes(&self) -> u64 {
        self.capacity.get() / u64::from(self.banks)
    }
}

/// A validated DRAM channel (see docs/TIMING.md, "DMA unit and the DRAM port").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Dram {
    bytes_per_cycle: u32,
    latency: Cycles,
    outstanding: u32,
    words_per_cycle: u32,
}

impl Dram {
    /// W: bytes the channel moves per cycle.
    pub fn bytes_per_cycle(&self) -> u32 {
        self.bytes_per_cycle
    }
    /// L: cycles from a request to its first data (or from a store's last beat to its acknowledgement).
    pub fn latency(&self) -> Cycles {
        self.latency
    }
    /// O: transfers the DMA may have in flight at once (1 = one at a time).
    pub fn outstanding_transfers(&self) -> u32 {
        self.outstanding
    }
    /// P: buffer words a LOAD or STORE may move per cycle (1 = one word per cycle; a power of
    /// two). The input and weight buffers have P write lanes, word `a` in lane `a mod P`; the
    /// accumulator has [`Arch::store_lanes`] store read lanes (at most P, as many as W allows).
    pub fn words_per_cycle(&self) -> u32 {
        self.words_per_cycle
    }
}

/// Buffer words one COMPUTE reads and writes ([`Arch::compute_words`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ComputeWords {
    /// Input-buffer words read.
    pub input: u32,
    /// Weight-buffer words read.
    pub weight: u32,
    /// Accumulator words written (and, when accumulating, read first).
    pub out: u32,
}

impl ComputeWords {
    /// The words of a COMPUTE streaming `len` words on an array of `rows` rows of `dataflow`:
    /// weight-stationary streams `len` input words through the `R`-word weight tile;
    /// input-stationary streams `len` weight words through the `R`-word input tile;
    /// output-stationary streams `len` words of each and drains `R` accumulator words.
    /// (Inlined: returned through memory, its three words were read back as one and stalled
    /// store forwarding in the tile tree's per-leaf shape.)
    #[inline]
    pub fn of(dataflow: Dataflow, rows: u32, len: u32) -> ComputeWords {
        match dataflow {
            Dataflow::OutputStationary => ComputeWords {
                input: len,
                weight: len,
                out: rows,
            },
            Dataflow::WeightStationary => ComputeWords {
                input: len,
                weight: rows,
                out: len,
            },
            Dataflow::InputStationary => ComputeWords {
                input: rows,
                weight: len,
                out: len,
            },
            // (a row-stationary schedule prices its passes with `of_pass`, mapping/src/rs.rs)
            Dataflow::RowStationary => unreachable!(
                "a row-stationary pass's words depend on its steps and blocks: use \
                 ComputeWords::of_pass"
            ),
        }
    }

    /// The words of a row-stationary pass (docs/TIMING.md, "Compute unit: row-stationary") of
    /// `len` outputs, `steps` steps and `blocks` blocks: `steps` weight words, `len · steps` input
    /// words, `len · blocks` accumulator words (`None` past `u32`).
    pub fn of_pass(len: u32, steps: u32, blocks: u32) -> Option<ComputeWords> {
        Some(ComputeWords {
            input: len.checked_mul(steps)?,
            weight: steps,
            out: len.checked_mul(blocks)?,
        })
    }
}

/// A validated accelerator: the only way to build one is [`ArchSpec::validate`], so every `Arch`
/// satisfies every check there (fields are private; read them through the accessors).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arch {
    name: String,
    rows: u32,
    cols: u32,
    dataflow: Dataflow,
    weight_double_buffer: bool,
    noc: Noc,
    rf_weights: u32,
    note: Option<String>,
    datatypes: Datatypes,
    input: Buffer,
    weight: Buffer,
    accumulator: Buffer,
    dram: Dram,
    clock_mhz: f64,
    #[serde(skip)]
    tech: Tech,
    /// The spec it was validated from, kept for headers and reports.
    #[serde(skip)]
    spec: ArchSpec,
}

/// The longest [`ArchSpec::note`].
pub const MAX_NOTE_CHARS: usize = 400;

/// Upper bounds that keep every derived size inside the instruction encoding and u64 arithmetic.
pub const MAX_ARRAY_DIM: i64 = 128;
/// Buffer word addresses are [`crate::isa::ADDR_BITS`] (20) bits in the instruction encoding.
pub const MAX_BUFFER_WORDS: u32 = 1 << crate::isa::ADDR_BITS;
pub const MAX_DRAM_BYTES_PER_CYCLE: i64 = 4096;
pub const MAX_DRAM_LATENCY: i64 = 100_000;
/// Most DMA transfers in flight (`dram.outstanding_transfers`).
pub const MAX_OUTSTANDING_TRANSFERS: i64 = 16;
/// Most buffer words a LOAD moves per cycle (`dram.words_per_cycle`).
pub const MAX_WORDS_PER_CYCLE: i64 = 8;
/// Most operands a row-stationary PE's register file holds (`array.rf_weights`; a pass's `steps`
/// field is 8 bits).
pub const MAX_RF_WEIGHTS: i64 = 255;

/// [`Arch::store_lanes`] of `P` words per cycle, `W` bytes per cycle and `b`-byte accumulator
/// words: `min(P, 2^⌈log2 ⌈W/b⌉⌉)`.
pub fn store_lanes_of(words_per_cycle: u32, bytes_per_cycle: u32, word_bytes: u32) -> u32 {
    bytes_per_cycle
        .div_ceil(word_bytes.max(1))
        .max(1)
        .next_power_of_two()
        .min(words_per_cycle.max(1))
}

/// The lanes of a channel shared by `subs` (docs/TIMING.md, "Systems"): as many read lanes as the
/// largest `dram.words_per_cycle` of them and as many write lanes as the most store lanes of one.
pub fn channel_lanes(subs: &[Arch]) -> (u32, u32) {
    (
        subs.iter()
            .map(|a| a.dram().words_per_cycle())
            .max()
            .unwrap_or(1),
        subs.iter().map(Arch::store_lanes).max().unwrap_or(1),
    )
}

/// Highest clock accepted, and the lowest (a slower clock is surely a unit mistake).
pub const MAX_CLOCK_MHZ: f64 = 10_000.0;
pub const MIN_CLOCK_MHZ: f64 = 0.001;

impl Arch {
    /// The name: a safe identifier (see [`crate::is_safe_identifier`]).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// R: PE rows.
    pub fn rows(&self) -> u32 {
        self.rows
    }
    /// C: PE columns.
    pub fn cols(&self) -> u32 {
        self.cols
    }
    pub fn dataflow(&self) -> Dataflow {
        self.dataflow
    }
    /// What the description approximates, if it says ([`ArchSpec::note`]).
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// Whether the PEs double-buffer their stationary operand (weights; inputs on an input-stationary
    /// array).
    pub fn weight_double_buffered(&self) -> bool {
        self.weight_double_buffer
    }
    /// The array's interconnect (the default on output-stationary arrays).
    pub fn noc(&self) -> Noc {
        self.noc
    }
    /// `F`: the operands each PE's register file holds (row-stationary; 0 on other arrays, whose
    /// PEs have none).
    pub fn rf_weights(&self) -> u32 {
        self.rf_weights
    }
    pub fn datatypes(&self) -> Datatypes {
        self.datatypes
    }
    /// DMA lanes of a buffer, the SRAMs each of its banks is word-interleaved over (word `a` of a
    /// bank in SRAM `a mod lanes`, row `a / lanes`): the input and weight buffers take up to `P =
    /// dram.words_per_cycle` LOAD words per cycle through `P` write lanes; the accumulator gives
    /// a STORE up to [`Arch::store_lanes`] words per cycle through that many read lanes (its
    /// compute-side read and write ports touch one SRAM per access).
    pub fn write_lanes(&self, kind: BufferKind) -> u32 {
        match kind {
            BufferKind::Accumulator => self.store_lanes(),
            BufferKind::Input | BufferKind::Weight => self.dram.words_per_cycle,
        }
    }
    /// S: accumulator words a STORE can move in one cycle, the accumulator's store read lanes:
    /// `min(P, 2^⌈log2 ⌈W/b⌉⌉)` for `b`-byte accumulator words (docs/TIMING.md, "DMA unit and the
    /// DRAM port"). The pacing `k_i` never puts more than `⌈W/b⌉` words in one cycle, so `S`
    /// lanes carry every STORE paced with `P`; `S = 1` when `b ≥ W` or `P = 1`.
    pub fn store_lanes(&self) -> u32 {
        store_lanes_of(
            self.dram.words_per_cycle,
            self.dram.bytes_per_cycle,
            self.accumulator.word_bytes(),
        )
    }
    pub fn input(&self) -> &Buffer {
        &self.input
    }
    pub fn weight(&self) -> &Buffer {
        &self.weight
    }
    pub fn accumulator(&self) -> &Buffer {
        &self.accumulator
    }
    pub fn buffer(&self, kind: BufferKind) -> &Buffer {
        match kind {
            BufferKind::Input => &self.input,
            BufferKind::Weight => &self.weight,
            BufferKind::Accumulator => &self.accumulator,
        }
    }
    /// The buffer a LOAD fills.
    pub fn load_buffer(&self, target: crate::isa::LoadTarget) -> &Buffer {
        match target {
            crate::isa::LoadTarget::Input => &self.input,
            crate::isa::LoadTarget::Weight => &self.weight,
        }
    }
    pub fn dram(&self) -> Dram {
        self.dram
    }
    pub fn clock_mhz(&self) -> f64 {
        self.clock_mhz
    }
    pub fn tech(&self) -> &Tech {
        &self.tech
    }
    /// The spec this accelerator was validated from.
    pub fn spec(&self) -> &ArchSpec {
        &self.spec
    }
    /// The same accelerator with other technology figures.
    pub fn with_tech(mut self, tech: Tech) -> Arch {
        self.tech = tech;
        self
    }
    pub fn pes(&self) -> u64 {
        u64::from(self.rows) * u64::from(self.cols)
    }
    /// Total on-chip SRAM.
    pub fn sram_bytes(&self) -> Bytes {
        self.input.capacity + self.weight.capacity + self.accumulator.capacity
    }
    /// Width of the DRAM data bus in bytes: the widest buffer word.
    pub fn mem_bus_bytes(&self) -> u32 {
        self.input
            .word_bytes
            .max(self.weight.word_bytes)
            .max(self.accumulator.word_bytes)
    }
    /// Whether every buffer has at least two banks, so the lowering can ping-pong.
    pub fn double_buffered(&self) -> bool {
        self.input.banks >= 2 && self.weight.banks >= 2 && self.accumulator.banks >= 2
    }
    /// Buffer words one COMPUTE streaming `len` words touches on this accelerator's dataflow
    /// (docs/TIMING.md, "Compute unit"): weight-stationary reads `len` input words and the `R`-word
    /// weight tile and writes `len` accumulator words; input-stationary the same with the input
    /// and weight buffers' roles swapped; output-stationary reads `len` words of each operand and
    /// drains `R` accumulator words. The one statement of it: the schedule, the program check and
    /// both simulator engines use it.
    pub fn compute_words(&self, len: u32) -> ComputeWords {
        ComputeWords::of(self.dataflow, self.rows, len)
    }

    /// Cycles per microsecond: the clock in MHz.
    pub fn microseconds(&self, cycles: Cycles) -> f64 {
        cycles.get() as f64 / self.clock_mhz
    }
}

impl ArchSpec {
    /// A weight-stationary int8 spec from plain numbers (buffer capacities in bytes, each buffer with
    /// `banks` banks), at 500 MHz: the shape tests and generators build most often.
    #[allow(clippy::too_many_arguments)]
    pub fn ws(
        name: &str,
        rows: i64,
        cols: i64,
        [input, weight, accumulator]: [i64; 3],
        banks: i64,
        bytes_per_cycle: i64,
        latency_cycles: i64,
    ) -> ArchSpec {
        let buf = |capacity_bytes| BufferSpec {
            capacity_bytes,
            banks,
            ports: Default::default(),
        };
        ArchSpec {
            name: name.into(),
            note: None,
            array: ArraySpec {
                rows,
                cols,
                dataflow: Dataflow::WeightStationary,
                weight_double_buffer: false,
                noc: Default::default(),
                rf_weights: None,
            },
            datatypes: DatatypeSpec {
                operand_bits: 8,
                accumulator_bits: 32,
            },
            buffers: BuffersSpec {
                input: buf(input),
                weight: buf(weight),
                accumulator: buf(accumulator),
            },
            dram: DramSpec {
                bytes_per_cycle,
                latency_cycles,
                outstanding_transfers: None,
                words_per_cycle: None,
            },
            clock_mhz: 500.0,
            tech: None,
        }
    }

    /// The same spec with the PEs' weights double-buffered or not.
    pub fn with_weight_double_buffer(mut self, on: bool) -> ArchSpec {
        self.array.weight_double_buffer = on;
        self
    }

    /// The same accelerator with the interconnect `noc` (docs/TIMING.md, "Interconnect options").
    pub fn with_noc(mut self, noc: Noc) -> ArchSpec {
        self.array.noc = noc;
        self
    }

    /// The same spec with `bits`-bit accumulator lanes (validated by [`ArchSpec::validate`]).
    pub fn with_accumulator_bits(mut self, bits: i64) -> ArchSpec {
        self.datatypes.accumulator_bits = bits;
        self
    }

    /// The same spec with `ports` on the input and weight buffers' SRAMs (the accumulator keeps
    /// one read and one write port).
    pub fn with_operand_ports(mut self, ports: SramPorts) -> ArchSpec {
        self.buffers.input.ports = ports;
        self.buffers.weight.ports = ports;
        self
    }

    /// The same spec with another dataflow (tests and the search build both from one shape).
    pub fn with_dataflow(mut self, dataflow: Dataflow) -> ArchSpec {
        self.array.dataflow = dataflow;
        self
    }

    /// The same spec as a row-stationary array whose PEs hold `rf_weights` operands each.
    pub fn row_stationary(mut self, rf_weights: i64) -> ArchSpec {
        self.array.dataflow = Dataflow::RowStationary;
        self.array.rf_weights = Some(rf_weights);
        self
    }

    /// Check every field and build the [`Arch`]. Errors name the field (`array.rows`, ...).
    pub fn validate(&self) -> Result<Arch> {
        ensure(crate::is_safe_identifier(&self.name), "name", || {
            format!(
                "{:?} is not a valid name: use an ASCII letter followed by letters, digits and single \
                 `_` between them (no `__`, no `_` at the end; at most 48 characters; not a \
                 Verilog keyword)",
                self.name
            )
        })?;
        let a = &self.array;
        for (v, f) in [(a.rows, "array.rows"), (a.cols, "array.cols")] {
            ensure((1..=MAX_ARRAY_DIM).contains(&v), f, || {
                format!("must be between 1 and {MAX_ARRAY_DIM}, got {v}")
            })?;
        }
        ensure(
            self.datatypes.operand_bits == 8,
            "datatypes.operand_bits",
            || {
                format!(
                    "only 8-bit operands are supported, got {}",
                    self.datatypes.operand_bits
                )
            },
        )?;
        ensure(
            ACCUMULATOR_BITS.contains(&self.datatypes.accumulator_bits),
            "datatypes.accumulator_bits",
            || {
                format!(
                    "accumulators of 16, 24 or 32 bits are supported (at least an int8 \
                     product's 16 bits, whole bytes), got {}",
                    self.datatypes.accumulator_bits
                )
            },
        )?;
        let datatypes = Datatypes {
            operand_bits: self.datatypes.operand_bits as u32,
            accumulator_bits: self.datatypes.accumulator_bits as u32,
        };
        let rows = a.rows as u32;
        let cols = a.cols as u32;
        let opb = datatypes.operand_bytes();
        // The smallest bank that holds one tile's stationary operand: R weight words (WS preload),
        // R input words (IS preload), or one k-word of each operand and R accumulator words (OS).
        let (min_in, min_w, min_acc) = match a.dataflow {
            Dataflow::OutputStationary => (1, 1, rows),
            Dataflow::WeightStationary => (1, rows, 1),
            Dataflow::InputStationary => (rows, 1, 1),
            // a pass reads at least one word of each
            Dataflow::RowStationary => (1, 1, 1),
        };
        // Word widths (docs/TIMING.md, "Word widths"): the input word feeds the array rows (WS, OS)
        // or is a preloaded row of the columns (IS); the weight word the other way round.
        // Row-stationary: an input word has a byte per diagonal, a weight word one per row.
        let (in_word, w_word) = match a.dataflow {
            Dataflow::InputStationary => (cols * opb, rows * opb),
            Dataflow::RowStationary => ((rows + cols - 1) * opb, rows * opb),
            _ => (rows * opb, cols * opb),
        };
        let input = buffer(&self.buffers.input, BufferKind::Input, in_word, min_in)?;
        let weight = buffer(&self.buffers.weight, BufferKind::Weight, w_word, min_w)?;
        let accumulator = buffer(
            &self.buffers.accumulator,
            BufferKind::Accumulator,
            cols * datatypes.accumulator_bytes(),
            min_acc,
        )?;
        let d = &self.dram;
        ensure(
            (1..=MAX_DRAM_BYTES_PER_CYCLE).contains(&d.bytes_per_cycle),
            "dram.bytes_per_cycle",
            || {
                format!(
                    "must be between 1 and {MAX_DRAM_BYTES_PER_CYCLE}, got {}",
                    d.bytes_per_cycle
                )
            },
        )?;
        ensure(
            (1..=MAX_DRAM_LATENCY).contains(&d.latency_cycles),
            "dram.latency_cycles",
            || {
                format!(
                    "must be between 1 and {MAX_DRAM_LATENCY} cycles, got {}",
                    d.latency_cycles
                )
            },
        )?;
        let outstanding = d.outstanding_transfers.unwrap_or(1);
        ensure(
            (1..=MAX_OUTSTANDING_TRANSFERS).contains(&outstanding),
            "dram.outstanding_transfers",
            || format!("must be between 1 and {MAX_OUTSTANDING_TRANSFERS}, got {outstanding}"),
        )?;
        let words_per_cycle = d.words_per_cycle.unwrap_or(1);
        ensure(
            (1..=MAX_WORDS_PER_CYCLE).contains(&words_per_cycle)
                && (words_per_cycle as u64).is_power_of_two(),
            "dram.words_per_cycle",
            || {
                format!(
                    "must be a power of two between 1 and {MAX_WORDS_PER_CYCLE} (the buffers' \
                     write lanes interleave words by the low address bits), got {words_per_cycle}"
                )
            },
        )?;
        for b in [&input, &weight] {
            ensure(
                b.bank_depth().is_multiple_of(words_per_cycle as u32),
                &format!("buffers.{}.capacity_bytes", b.kind().name()),
                || {
                    format!(
                        "a bank of {} words cannot be interleaved over dram.words_per_cycle = \
                         {words_per_cycle} write lanes: the words per bank must be a multiple of \
                         {words_per_cycle}",
                        b.bank_depth()
                    )
                },
            )?;
        }
        let store_lanes = store_lanes_of(
            words_per_cycle as u32,
            d.bytes_per_cycle as u32,
            accumulator.word_bytes(),
        );
        ensure(
            accumulator.bank_depth().is_multiple_of(store_lanes),
            "buffers.accumulator.capacity_bytes",
            || {
                format!(
                    "a bank of {} words cannot be interleaved over the {store_lanes} store read \
                     lanes that dram.words_per_cycle = {words_per_cycle} gives {}-byte \
                     accumulator words on a {} B/cycle channel: the words per bank must be a \
                     multiple of {store_lanes}",
                    accumulator.bank_depth(),
                    accumulator.word_bytes(),
                    d.bytes_per_cycle
                )
            },
        )?;
        ensure(
            self.clock_mhz.is_finite() && (MIN_CLOCK_MHZ..=MAX_CLOCK_MHZ).contains(&self.clock_mhz),
            "clock_mhz",
            || {
                format!(
                    "must be a frequency between {MIN_CLOCK_MHZ} and {MAX_CLOCK_MHZ} MHz, got {}",
                    tessera_core::units::fmt_real(self.clock_mhz)
                )
            },
        )?;
        // every interconnect on a weight- or input-stationary array, with or without
        // double-buffered weights (docs/TIMING.md, "double-buffered weights")
        ensure(
            a.noc.is_default()
                || a.dataflow != Dataflow::OutputStationary
                || a.noc.reduce == Reduce::Chain,
            "array.noc",
            || {
                "reduce: AdderTree is a weight- and input-stationary option: an \
                 output-stationary array keeps its sums in the PEs and drains them down the \
                 columns, so it has nothing to reduce (use reduce: Chain; stream: Broadcast \
                 is available)"
                    .to_string()
            },
        )?;
        let rf_weights = match (a.dataflow, a.rf_weights) {
            (Dataflow::RowStationary, Some(f)) => {
                ensure(
                    (1..=MAX_RF_WEIGHTS).contains(&f),
                    "array.rf_weights",
                    || format!("must be between 1 and {MAX_RF_WEIGHTS} operands per PE, got {f}"),
                )?;
                f as u32
            }
            (Dataflow::RowStationary, None) => {
                return Err(tessera_core::Diagnostic::field(
                    "array.rf_weights",
                    "a row-stationary array needs the size of its PEs' register files \
                     (rf_weights: operands per PE, e.g. 224 as in Eyeriss)",
                ))
            }
            (_, Some(_)) => {
                return Err(tessera_core::Diagnostic::field(
                    "array.rf_weights",
                    format!(
                        "only row-stationary PEs have register files; a {} array has none \
                         (leave rf_weights out)",
                        a.dataflow.label()
                    ),
                ))
            }
            (_, None) => 0,
        };
        if a.dataflow == Dataflow::RowStationary {
            ensure(
                !a.weight_double_buffer,
                "array.weight_double_buffer",
                || {
                    "a row-stationary array runs one pass at a time (docs/TIMING.md, \"Compute unit: \
                 row-stationary\"): leave weight_double_buffer out"
                    .to_string()
                },
            )?;
            ensure(a.noc.is_default(), "array.noc", || {
                "a row-stationary array has fixed buses (weights along the rows, input windows \
                 per row, a block adder per column): leave noc out"
                    .to_string()
            })?;
        }
        let tech = match &self.tech {
            None => Tech::default_45nm(),
            Some(name) => {
                ensure(
                    crate::tech::BUILTIN.iter().any(|(n, _)| n == name),
                    "tech",
                    || {
                        format!(
                            "{name:?} is not a built-in technology; use one of {}",
                            Tech::builtin_names()
                        )
                    },
                )?;
                Tech::builtin(name).expect("built-in technology files are valid")
            }
        };
        if let Some(n) = &self.note {
            ensure(
                n.chars().count() <= MAX_NOTE_CHARS && !n.chars().any(char::is_control),
                "note",
                || {
                    format!("must be printable text of at most {MAX_NOTE_CHARS} characters (no line breaks)")
                },
            )?;
        }
        Ok(Arch {
            name: self.name.clone(),
            rows,
            cols,
            dataflow: a.dataflow,
            weight_double_buffer: a.weight_double_buffer,
            noc: a.noc,
            rf_weights,
            note: self.note.clone(),
            datatypes,
            input,
            weight,
            accumulator,
            dram: Dram {
                bytes_per_cycle: d.bytes_per_cycle as u32,
                latency: Cycles(d.latency_cycles as u64),
                outstanding: outstanding as u32,
                words_per_cycle: words_per_cycle as u32,
            },
            clock_mhz: self.clock_mhz,
            tech,
            spec: self.clone(),
        })
    }
}

fn buffer(
    s: &BufferSpec,
    kind: BufferKind,
    word_bytes: u32,
    min_bank_words: u32,
) -> Result<Buffer> {
    let field = |f: &str| format!("buffers.{}.{f}", kind.name());
    ensure((1..=64).contains(&s.banks), &field("banks"), || {
        format!("must be between 1 and 64, got {}", s.banks)
    })?;
    ensure(
        kind != BufferKind::Accumulator || s.ports == SramPorts::OneReadOneWrite,
        &field("ports"),
        || {
            format!(
                "{:?} is not available on the accumulator: the compute unit reads (accumulates) \
                 and writes its banks in the same cycle, so they need one read and one write port \
                 (OneReadOneWrite); one read-write port is an input and weight buffer option",
                s.ports
            )
        },
    )?;
    ensure(s.capacity_bytes > 0, &field("capacity_bytes"), || {
        format!("must be positive, got {}", s.capacity_bytes)
    })?;
    let banks = s.banks as u64;
    let unit = u64::from(word_bytes) * banks;
    let cap = s.capacity_bytes as u64;
    ensure(cap.is_multiple_of(unit), &field("capacity_bytes"), || {
        format!("{cap} B is not a multiple of {banks} bank(s) × {word_bytes} B words (= {unit} B)")
    })?;
    let depth = cap / u64::from(word_bytes);
    ensure(
        depth <= u64::from(MAX_BUFFER_WORDS),
        &field("capacity_bytes"),
        || {
            format!("{depth} words exceed the {MAX_BUFFER_WORDS}-word address space of the instruction set")
        },
    )?;
    let bank_depth = depth / banks;
    ensure(
        bank_depth >= u64::from(min_bank_words),
        &field("capacity_bytes"),
        || {
            format!(
            "a bank of {bank_depth} words of {word_bytes} B is too small for one tile, which needs \
             {min_bank_words} words ({} B per bank)",
            u64::from(min_bank_words) * u64::from(word_bytes)
        )
        },
    )?;
    Ok(Buffer {
        kind,
        capacity: Bytes(cap),
        banks: s.banks as u32,
        ports: s.ports,
        word_bytes,
        depth: depth as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin;

    #[test]
    fn builtins_validate() {
        for (name, _) in builtin::ARCHS {
            builtin::arch(name).unwrap();
        }
    }

    #[test]
    fn accumulator_widths_of_whole_bytes_from_16_to_32_bits() {
        for bits in [16, 24, 32] {
            let mut s = builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_accumulator_bits(bits);
            s.buffers.accumulator.capacity_bytes = 8192 / 32 * bits;
            let a = s.validate().unwrap();
            assert_eq!(a.datatypes().accumulator_bits(), bits as u32);
            // a word is a lane per column
            assert_eq!(a.accumulator().word_bytes(), 4 * bits as u32 / 8);
        }
        for bits in [8, 12, 20, 40, 64, -32] {
            let e = builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_accumulator_bits(bits)
                .validate()
                .unwrap_err();
            assert_eq!(
                e.field.as_deref(),
                Some("datatypes.accumulator_bits"),
                "{bits}"
            );
        }
    }

    #[test]
    fn a_lane_wraps_at_its_width() {
        let d = |bits| {
            let mut s = builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_accumulator_bits(bits);
            s.buffers.accumulator.capacity_bytes = 8192 / 32 * bits;
            s.validate().unwrap().datatypes()
        };
        assert_eq!(d(16).wrap(32_767), 32_767);
        assert_eq!(d(16).wrap(32_768), -32_768);
        assert_eq!(d(16).wrap(-32_769), 32_767);
        assert_eq!(d(16).wrap(70_000), 70_000 - 65_536);
        assert_eq!(d(24).wrap(8_388_608), -8_388_608);
        assert_eq!(d(24).wrap(-5), -5);
        assert_eq!(d(32).wrap(i32::MIN), i32::MIN);
        assert_eq!(d(32).wrap(123_456_789), 123_456_789);
        assert_eq!(d(16).exact_depth(), 1);
        assert_eq!(d(24).exact_depth(), 511);
        assert_eq!(d(32).exact_depth(), 131_071);
    }

    #[test]
    fn zero_rows_names_field() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        s.array.rows = 0;
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("array.rows"));
    }

    #[test]
    fn negative_latency_names_field() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        s.dram.latency_cycles = -3;
        assert_eq!(
            s.validate().unwrap_err().field.as_deref(),
            Some("dram.latency_cycles")
        );
    }

    #[test]
    fn weight_buffer_too_small_for_a_tile() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        s.buffers.weight = BufferSpec {
            capacity_bytes: 8,
            banks: 2,
            ports: Default::default(),
        };
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("buffers.weight.capacity_bytes"));
        assert!(e.message.contains("too small for one tile"), "{e}");
    }

    #[test]
    fn output_stationary_needs_room_for_the_drained_tile() {
        let mut s = builtin::arch_spec("ws_4x4")
            .unwrap()
            .with_dataflow(Dataflow::OutputStationary);
        s.validate().unwrap();
        // 4 rows drain 4 accumulator words: a bank of 2 words (of 16 B) is too small.
        s.buffers.accumulator = BufferSpec {
            capacity_bytes: 64,
            banks: 2,
            ports: Default::default(),
        };
        let e = s.validate().unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("buffers.accumulator.capacity_bytes")
        );
    }

    #[test]
    fn widths_come_from_the_datatypes() {
        let a = builtin::arch("ws_2x3").unwrap();
        assert_eq!(a.datatypes().operand_bytes(), 1);
        assert_eq!(a.input().word_bytes(), 2);
        assert_eq!(a.weight().word_bytes(), 3);
        assert_eq!(a.accumulator().word_bytes(), 3 * 4);
    }

    #[test]
    fn notes_are_short_printable_text_and_templates_have_one() {
        let mut s = crate::builtin::arch_spec("ws_4x4").unwrap();
        s.note = Some("nearest configuration: weight-stationary".into());
        assert_eq!(
            s.validate().unwrap().note(),
            Some("nearest configuration: weight-stationary")
        );
        s.note = Some("two\nlines".into());
        assert_eq!(s.validate().unwrap_err().field.as_deref(), Some("note"));
        s.note = Some("x".repeat(MAX_NOTE_CHARS + 1));
        assert_eq!(s.validate().unwrap_err().field.as_deref(), Some("note"));
        for (name, _) in crate::builtin::TEMPLATES {
            assert!(
                crate::builtin::arch(name).unwrap().note().is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn double_buffered_stationary_operands_are_an_option_of_every_dataflow() {
        let ws = crate::builtin::arch_spec("ws_4x4")
            .unwrap()
            .with_weight_double_buffer(true);
        assert!(ws.validate().unwrap().weight_double_buffered());
        // output-stationary: a second bank of sums (docs/TIMING.md, "double-buffered sums")
        let os = ws.clone().with_dataflow(Dataflow::OutputStationary);
        assert!(os.validate().unwrap().weight_double_buffered());
        assert!(!os
            .with_weight_double_buffer(false)
            .validate()
            .unwrap()
            .weight_double_buffered());
        let is = crate::builtin::arch_spec("is_4x4")
            .unwrap()
            .with_weight_double_buffer(true);
        assert!(is.validate().unwrap().weight_double_buffered());
        // left out: off; and written only when on
        let text: ArchSpec = tessera_core::load::parse_ron(
            "ArchSpec(name: \"a\", array: (rows: 2, cols: 2, dataflow: WeightStationary), \
             datatypes: (operand_bits: 8, accumulator_bits: 32), buffers: (input: (capacity_bytes: \
             64, banks: 1), weight: (capacity_bytes: 64, banks: 1), accumulator: (capacity_bytes: \
             256, banks: 1)), dram: (bytes_per_cycle: 4, latency_cycles: 5), clock_mhz: 100.0)",
            std::path::Path::new("a.ron"),
        )
        .unwrap();
        assert!(!text.validate().unwrap().weight_double_buffered());
    }

    /// `ports` is an input and weight buffer option: left out it is one read and one write port
    /// (and is not written back), `OneReadWrite` single-ports the banks, and on the accumulator it
    /// is refused with the field named.
    #[test]
    fn single_ported_banks_are_an_input_and_weight_buffer_option() {
        let ron = |ports: &str| {
            tessera_core::load::parse_ron::<ArchSpec>(
                &format!(
                    "ArchSpec(name: \"a\", array: (rows: 2, cols: 2, dataflow: WeightStationary), \
                     datatypes: (operand_bits: 8, accumulator_bits: 32), buffers: (input: \
                     (capacity_bytes: 64, banks: 1{ports}), weight: (capacity_bytes: 64, banks: 2), \
                     accumulator: (capacity_bytes: 256, banks: 1)), dram: (bytes_per_cycle: 4, \
                     latency_cycles: 5), clock_mhz: 100.0)"
                ),
                std::path::Path::new("a.ron"),
            )
            .unwrap()
        };
        let plain = ron("");
        let a = plain.validate().unwrap();
        for b in [a.input(), a.weight(), a.accumulator()] {
            assert_eq!(b.ports(), SramPorts::OneReadOneWrite);
            assert!(!b.single_ported());
        }
        assert!(!ron::to_string(&plain).unwrap().contains("ports"));
        let one = ron(", ports: OneReadWrite");
        let a = one.validate().unwrap();
        assert!(a.input().single_ported() && !a.weight().single_ported());
        assert!(ron::to_string(&one).unwrap().contains("ports:OneReadWrite"));
        assert_eq!(ron(", ports: OneReadOneWrite"), plain);
        for name in ["ws_4x4", "os_4x4", "is_4x4"] {
            let s = builtin::arch_spec(name)
                .unwrap()
                .with_operand_ports(SramPorts::OneReadWrite);
            let a = s.validate().unwrap();
            assert!(
                a.input().single_ported() && a.weight().single_ported(),
                "{name}"
            );
            assert!(!a.accumulator().single_ported());
            let mut s = s;
            s.buffers.accumulator.ports = SramPorts::OneReadWrite;
            let e = s.validate().unwrap_err();
            assert_eq!(
                e.field.as_deref(),
                Some("buffers.accumulator.ports"),
                "{name}"
            );
            assert!(e.message.contains("same cycle"), "{e}");
        }
    }

    #[test]
    fn input_stationary_swaps_the_operand_words() {
        let a = builtin::arch("is_2x3").unwrap();
        assert_eq!(a.dataflow(), Dataflow::InputStationary);
        // the input word is a row of the columns (C bytes), the weight word feeds the rows (R)
        assert_eq!(a.input().word_bytes(), 3);
        assert_eq!(a.weight().word_bytes(), 2);
        assert_eq!(a.accumulator().word_bytes(), 3 * 4);
        assert_eq!(
            a.compute_words(7),
            ComputeWords {
                input: 2,
                weight: 7,
                out: 7
            }
        );
        // the preload reads R input words from one bank
        let mut s = builtin::arch_spec("is_4x4").unwrap();
        s.buffers.input = BufferSpec {
            capacity_bytes: 16,
            banks: 2,
            ports: Default::default(),
        };
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("buffers.input.capacity_bytes"));
        assert!(e.message.contains("too small for one tile"), "{e}");
    }

    #[test]
    fn subnormal_and_absurd_clocks_are_refused_readably() {
        for bad in [1e-320, 0.0, -5.0, f64::INFINITY, f64::NAN, 1e9] {
            let mut s = builtin::arch_spec("ws_4x4").unwrap();
            s.clock_mhz = bad;
            let e = s.validate().unwrap_err();
            assert_eq!(e.field.as_deref(), Some("clock_mhz"), "{bad}");
            assert!(e.message.len() < 120, "{e}");
        }
    }

    #[test]
    fn tech_picks_a_builtin_node_and_names_the_field_otherwise() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        assert_eq!(s.validate().unwrap().tech().spec.node_nm, 45);
        s.tech = Some("32nm".into());
        assert_eq!(s.validate().unwrap().tech().spec.node_nm, 32);
        s.tech = Some("3nm".into());
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tech"));
        assert!(e.message.contains("45nm, 32nm"), "{e}");
        // written without `Some(...)`, and absent in older files
        let text = include_str!("../builtin/ws_4x4.ron").replace(
            "clock_mhz: 500.0,",
            "clock_mhz: 500.0,\n    tech: \"32nm\",",
        );
        let s: ArchSpec =
            tessera_core::load::parse_ron(&text, std::path::Path::new("t.ron")).unwrap();
        assert_eq!(s.tech.as_deref(), Some("32nm"));
    }

    #[test]
    fn bad_name_rejected() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        s.name = "x\"; module evil".into();
        assert_eq!(s.validate().unwrap_err().field.as_deref(), Some("name"));
    }
}

#[cfg(test)]
mod words_per_cycle_tests {
    use super::*;
    use crate::builtin;

    /// `dram.words_per_cycle`: 1 when absent, a power of two up to 8, dividing the input and
    /// weight banks' words; the errors name the field.
    #[test]
    fn words_per_cycle_is_validated() {
        let base = builtin::arch_spec("ws_2x3").unwrap(); // input banks of 128 words, weight of 64
        assert_eq!(base.clone().validate().unwrap().dram().words_per_cycle(), 1);
        for p in [1, 2, 4, 8] {
            let mut s = base.clone();
            s.dram.words_per_cycle = Some(p);
            let a = s.validate().unwrap();
            assert_eq!(a.dram().words_per_cycle(), p as u32);
            assert_eq!(a.write_lanes(crate::BufferKind::Input), p as u32);
            // 12-byte accumulator words on an 8 B/cycle channel: one store lane
            assert_eq!(a.write_lanes(crate::BufferKind::Accumulator), 1);
            assert_eq!(a.store_lanes(), 1);
        }
        for p in [0, 3, 6, 16, -1] {
            let mut s = base.clone();
            s.dram.words_per_cycle = Some(p);
            let e = s.validate().unwrap_err();
            assert_eq!(
                e.field.as_deref(),
                Some("dram.words_per_cycle"),
                "{p}: {e:?}"
            );
        }
        // a weight bank of 12 words (3-byte words, 2 banks of 36 B) interleaves over 2 or 4 lanes,
        // not 8
        let mut s = base.clone();
        s.buffers.weight.capacity_bytes = 72;
        s.dram.words_per_cycle = Some(8);
        let e = s.clone().validate().unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("buffers.weight.capacity_bytes"),
            "{e:?}"
        );
        assert!(e.message.contains("dram.words_per_cycle = 8"), "{e:?}");
        s.dram.words_per_cycle = Some(4);
        s.validate().unwrap();
    }

    /// Store lanes: `min(P, 2^⌈log2 ⌈W/b⌉⌉)`, one when the accumulator words are at least W bytes;
    /// the accumulator's banks must divide among them.
    #[test]
    fn store_lanes_follow_w() {
        use super::store_lanes_of;
        assert_eq!(store_lanes_of(8, 8, 12), 1);
        assert_eq!(store_lanes_of(8, 16, 16), 1);
        assert_eq!(store_lanes_of(8, 16, 6), 4); // ⌈16/6⌉ = 3 words a cycle at most: 4 lanes
        assert_eq!(store_lanes_of(2, 16, 6), 2);
        assert_eq!(store_lanes_of(8, 16, 2), 8);
        assert_eq!(store_lanes_of(1, 4096, 1), 1);
        let mut s = builtin::arch_spec("ws_2x3").unwrap();
        s.datatypes.accumulator_bits = 16; // 6-byte accumulator words
        s.dram.bytes_per_cycle = 16;
        s.dram.words_per_cycle = Some(2);
        let a = s.clone().validate().unwrap();
        assert_eq!(a.store_lanes(), 2);
        assert_eq!(a.write_lanes(crate::BufferKind::Accumulator), 2);
        // an accumulator bank of an odd number of words cannot take two store lanes
        s.buffers.accumulator.capacity_bytes = 6 * 2 * 21;
        let e = s.validate().unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("buffers.accumulator.capacity_bytes"),
            "{e:?}"
        );
        assert!(e.message.contains("2 store read lanes"), "{e:?}");
    }

    /// A row-stationary array needs its register files, and nothing else has them; it runs one
    /// pass at a time on fixed buses; its words are `R + C - 1` input bytes and `R` weight bytes.
    #[test]
    fn row_stationary_descriptions() {
        let base = ArchSpec::ws("rs", 3, 4, [3072, 3072, 4096], 1, 8, 4);
        let a = base.clone().row_stationary(12).validate().unwrap();
        assert_eq!(a.dataflow(), Dataflow::RowStationary);
        assert_eq!(a.rf_weights(), 12);
        assert_eq!(a.input().word_bytes(), 3 + 4 - 1);
        assert_eq!(a.weight().word_bytes(), 3);
        assert_eq!(a.accumulator().word_bytes(), 4 * 4);
        let field = |s: ArchSpec| s.validate().unwrap_err().field;
        let mut no_rf = base.clone().row_stationary(12);
        no_rf.array.rf_weights = None;
        assert_eq!(field(no_rf).as_deref(), Some("array.rf_weights"));
        for f in [0, 256] {
            assert_eq!(
                field(base.clone().row_stationary(f)).as_deref(),
                Some("array.rf_weights")
            );
        }
        let mut ws_rf = base.clone();
        ws_rf.array.rf_weights = Some(4);
        assert_eq!(field(ws_rf).as_deref(), Some("array.rf_weights"));
        assert_eq!(
            field(
                base.clone()
                    .row_stationary(12)
                    .with_weight_double_buffer(true)
            )
            .as_deref(),
            Some("array.weight_double_buffer")
        );
        let broadcast = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::Chain,
        };
        assert_eq!(
            field(base.clone().row_stationary(12).with_noc(broadcast)).as_deref(),
            Some("array.noc")
        );
        assert!(!Dataflow::SUPPORTED.contains(&Dataflow::RowStationary));
        assert!(!Dataflow::RowStationary.tiles_gemm());
    }
}
