//! The design space (candidate values per parameter), the design specs a candidate must meet, and
//! how a point of the space becomes a validated [`Arch`].

use crate::eval::{Evaluation, Metrics};
use serde::{Deserialize, Serialize};
use tessera_arch::spec::{BufferSpec, MAX_ARRAY_DIM, MAX_BUFFER_WORDS, MAX_RF_WEIGHTS};
use tessera_arch::{Arch, ArchSpec, Dataflow, Noc, Reduce, Stream};
use tessera_core::diag::{ensure, Diagnostic, Result};

/// Candidate values for every searched parameter of the accelerator. Everything else (datatypes,
/// DRAM channel, clock, technology) is taken from a base [`Arch`].
///
/// In RON: `(rows: [4, 8, 16], cols: [4, 8, 16], input_bytes: [8192, 16384], weight_bytes: [4096],
/// accumulator_bytes: [32768, 65536], banks: [2], dataflow: [WeightStationary, OutputStationary])`.
/// Lists may be in any order; they are sorted (dataflows in the order weight-, output-, input-,
/// row-stationary). The same bank count is used for all three buffers.
///
/// Row-stationary (Eyeriss's, [`Dataflow::RowStationary`]) is searched when `dataflow` lists it;
/// its points take each of `rf_weights` (the PEs' register-file operands), no double buffering
/// and the default interconnect (points with `weight_double_buffer: true` or another `noc` do not
/// validate and are skipped). Capacities are bytes for every dataflow; a point whose capacities
/// are not a whole number of its words per bank does not validate and is skipped, and
/// row-stationary words differ from the GEMM-tiled ones: an input word is `R + C − 1` bytes, a
/// weight word `R` bytes, an accumulator word `C` lanes. With power-of-two `R` and `C`, `R + C − 1`
/// is odd, so a power-of-two `input_bytes` never holds whole row-stationary input words: list
/// multiples of `banks × (R + C − 1)` bytes for them (e.g. 7168 = 2 × 7 × 512 for 4×4 arrays with
/// two banks), or every row-stationary point is skipped as invalid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSpace {
    /// Array rows (the K dimension of a weight tile), each 1..=128.
    pub rows: Vec<i64>,
    /// Array columns (the N dimension of a weight tile), each 1..=128.
    pub cols: Vec<i64>,
    /// Input-buffer capacities in bytes.
    pub input_bytes: Vec<i64>,
    /// Weight-buffer capacities in bytes.
    pub weight_bytes: Vec<i64>,
    /// Accumulator-buffer capacities in bytes.
    pub accumulator_bytes: Vec<i64>,
    /// Banks per buffer (all three buffers alike). Defaults to `[2]` (double buffering).
    #[serde(default = "default_banks")]
    pub banks: Vec<i64>,
    /// Dataflows of the PE array, each one of [`Dataflow::ALL`]. Defaults to
    /// [`Dataflow::SEARCH_DEFAULT`] (`[WeightStationary, OutputStationary]`); list
    /// `InputStationary` or `RowStationary` (with `rf_weights`) to search them too.
    #[serde(default = "default_dataflows")]
    pub dataflow: Vec<Dataflow>,
    /// Whether the PEs double-buffer their stationary operand (`array.weight_double_buffer`:
    /// weights (WS), inputs (IS), sums (OS); the next tile's weights or inputs preload while the
    /// current one streams, or a tile's sums drain while the next one accumulates), each of
    /// `false`, `true`. Defaults to `[false]`.
    #[serde(default = "default_double_buffer")]
    pub weight_double_buffer: Vec<bool>,
    /// The array interconnects (`array.noc`: systolic or broadcast streaming, a partial-sum chain
    /// or adder trees), each listed once. Weight- and input-stationary arrays have every one, with
    /// or without double-buffered weights, output-stationary arrays the broadcast streaming
    /// with a chain (row and column buses), with or without double-buffered sums: other points
    /// with them do not validate and are skipped. Defaults to `[(stream: Systolic, reduce: Chain)]`.
    #[serde(default = "default_nocs", skip_serializing_if = "is_default_nocs")]
    pub noc: Vec<Noc>,
    /// Buffer words the DMA moves per cycle (`dram.words_per_cycle`: 1, 2, 4 or 8; each input
    /// and weight bank then interleaved over as many SRAMs), each listed once. A point whose banks
    /// cannot be interleaved so does not validate and is skipped. Defaults to `[1]`.
    #[serde(default = "default_words", skip_serializing_if = "is_default_words")]
    pub words_per_cycle: Vec<i64>,
    /// Register-file sizes of the row-stationary points (`array.rf_weights`: operands per PE, each
    /// 1..=255), each listed once: every row-stationary point takes each of them; the other
    /// dataflows' points have no register file and ignore the list (one point each, not one per
    /// value). A space whose `dataflow` lists `RowStationary` must list at least one. Defaults to
    /// `[]` (left out of the RON when empty, so spaces without row-stationary read and write as
    /// before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rf_weights: Vec<i64>,
}

fn default_words() -> Vec<i64> {
    vec![1]
}

fn is_default_words(v: &[i64]) -> bool {
    v == [1]
}

fn default_nocs() -> Vec<Noc> {
    vec![Noc::default()]
}

fn is_default_nocs(v: &[Noc]) -> bool {
    v == [Noc::default()]
}

/// An interconnect's code: bit 0 broadcast streaming, bit 1 adder trees (the default is 0).
fn noc_code(n: Noc) -> u64 {
    u64::from(n.stream == Stream::Broadcast) | u64::from(n.reduce == Reduce::AdderTree) << 1
}

fn noc_of_code(code: u64) -> Noc {
    Noc {
        stream: if code & 1 == 1 {
            Stream::Broadcast
        } else {
            Stream::Systolic
        },
        reduce: if code & 2 == 2 {
            Reduce::AdderTree
        } else {
            Reduce::Chain
        },
    }
}

fn default_double_buffer() -> Vec<bool> {
    vec![false]
}

fn default_banks() -> Vec<i64> {
    vec![2]
}

fn default_dataflows() -> Vec<Dataflow> {
    Dataflow::SEARCH_DEFAULT.to_vec()
}

/// A dataflow's code in the dataflow gene, with the register file `rf` of a row-stationary point:
/// 0 weight-, 1 output-, 2 input-stationary (the declaration order, as [`DesignPoint`]'s), and
/// `2 + rf` (3..=257) row-stationary, so the gene's sorted values are the GEMM-tiled dataflows,
/// then row-stationary by growing register file, one value per (dataflow, register file) a
/// space lists: the other dataflows' points are not repeated per register file, and the
/// GEMM-tiled codes (so the draws of spaces without row-stationary) are what they were.
fn dataflow_code(d: Dataflow, rf: u32) -> u64 {
    match d {
        Dataflow::WeightStationary => 0,
        Dataflow::OutputStationary => 1,
        Dataflow::InputStationary => 2,
        Dataflow::RowStationary => 2 + u64::from(rf),
    }
}

/// The dataflow and register file (0 but for row-stationary) of a [`dataflow_code`].
fn dataflow_of_code(code: u64) -> (Dataflow, u32) {
    match code {
        0 => (Dataflow::WeightStationary, 0),
        1 => (Dataflow::OutputStationary, 0),
        2 => (Dataflow::InputStationary, 0),
        c => (Dataflow::RowStationary, (c - 2) as u32),
    }
}

/// The largest buffer capacity worth listing: 65 536 words (the instruction set's address space)
/// of the widest word (4 × 128 accumulator lanes). Larger values can never validate.
pub const MAX_CAPACITY_BYTES: i64 = MAX_BUFFER_WORDS as i64 * 4 * MAX_ARRAY_DIM;
/// At most this many values per parameter.
pub const MAX_VALUES_PER_PARAMETER: usize = 256;

/// Number of searched parameters ("genes").
pub(crate) const GENES: usize = 8;
/// Number of numeric genes (the first ones; then the dataflow and the weight double-buffering).
const NUMERIC_GENES: usize = 6;
/// The dataflow's gene (values: [`dataflow_code`]s: a row-stationary point's register file is
/// part of its dataflow's code).
pub(crate) const DATAFLOW_GENE: usize = 6;
/// The array options' gene: weight double-buffering (bit 0), the interconnect (bits 1-2,
/// [`noc_code`]) and the DMA's words per cycle (bits 3-4, log₂ P); with the default interconnect
/// and one word per cycle its values are 0 = off and 1 = on.
pub(crate) const DOUBLE_BUFFER_GENE: usize = 7;
/// A point of the space as indices into the sorted value lists, in the order rows, cols, input,
/// weight, accumulator, banks, dataflow, weight double-buffering. Its `Ord` is the stable
/// tie-break key of the whole search.
pub(crate) type Genome = [u16; GENES];

/// A validated space: each parameter's values, sorted ascending, distinct (the dataflow gene holds
/// [`dataflow_code`]s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Space {
    pub values: [Vec<u64>; GENES],
}

impl SearchSpace {
    /// Check every list. Errors name the field (`rows`, `input_bytes[2]`, ...).
    pub fn validate(&self) -> Result<()> {
        self.to_space().map(|_| ())
    }

    /// Number of points (the product of the list lengths, row-stationary counted once per
    /// `rf_weights` value), saturating.
    pub fn size(&self) -> u64 {
        self.lists()
            .iter()
            .map(|(_, v, _)| v.len() as u64)
            .fold(self.flows().len() as u64, |a, b| a.saturating_mul(b))
            .saturating_mul(self.weight_double_buffer.len() as u64)
            .saturating_mul(self.noc.len() as u64)
            .saturating_mul(self.words_per_cycle.len() as u64)
    }

    /// Every point of the space, as listed (not screened: some may not validate), in the order of
    /// nested loops over rows (outermost), cols, input, weight, accumulator, banks, dataflow and
    /// the array options (words per cycle, interconnect, weight double-buffering innermost), each
    /// in its list's order; row-stationary once per `rf_weights` value, in that list's order. For
    /// exhaustive baselines of small spaces.
    pub fn points(&self) -> impl Iterator<Item = DesignPoint> + '_ {
        let lists = self.lists().map(|(_, v, _)| v);
        let flows = self.flows();
        let lens: Vec<u64> = lists
            .iter()
            .map(|v| v.len() as u64)
            .chain([
                flows.len() as u64,
                self.weight_double_buffer.len() as u64
                    * self.noc.len() as u64
                    * self.words_per_cycle.len() as u64,
            ])
            .collect();
        (0..self.size()).map(move |mut i| {
            let mut idx = [0usize; GENES];
            for g in (0..GENES).rev() {
                idx[g] = (i % lens[g]) as usize;
                i /= lens[g];
            }
            DesignPoint {
                rows: lists[0][idx[0]] as u32,
                cols: lists[1][idx[1]] as u32,
                input_bytes: lists[2][idx[2]] as u64,
                weight_bytes: lists[3][idx[3]] as u64,
                accumulator_bytes: lists[4][idx[4]] as u64,
                banks: lists[5][idx[5]] as u32,
                dataflow: flows[idx[DATAFLOW_GENE]].0,
                // words per cycle outermost, then the interconnect, double-buffering inner
                weight_double_buffer: self.weight_double_buffer
                    [idx[DOUBLE_BUFFER_GENE] % self.weight_double_buffer.len()],
                noc: self.noc
                    [idx[DOUBLE_BUFFER_GENE] / self.weight_double_buffer.len() % self.noc.len()],
                words_per_cycle: self.words_per_cycle
                    [idx[DOUBLE_BUFFER_GENE] / (self.weight_double_buffer.len() * self.noc.len())]
                    as u32,
                rf_weights: flows[idx[DATAFLOW_GENE]].1,
            }
        })
    }

    /// The (dataflow, register file) pairs of the space's points, in the listed order:
    /// row-stationary once per `rf_weights` value, the other dataflows once with 0.
    fn flows(&self) -> Vec<(Dataflow, u32)> {
        self.dataflow
            .iter()
            .flat_map(|&d| -> Vec<(Dataflow, u32)> {
                if d == Dataflow::RowStationary {
                    self.rf_weights.iter().map(|&f| (d, f as u32)).collect()
                } else {
                    vec![(d, 0)]
                }
            })
            .collect()
    }

    fn lists(&self) -> [(&'static str, &Vec<i64>, (i64, i64)); NUMERIC_GENES] {
        let cap = (1, MAX_CAPACITY_BYTES);
        [
            ("rows", &self.rows, (1, MAX_ARRAY_DIM)),
            ("cols", &self.cols, (1, MAX_ARRAY_DIM)),
            ("input_bytes", &self.input_bytes, cap),
            ("weight_bytes", &self.weight_bytes, cap),
            ("accumulator_bytes", &self.accumulator_bytes, cap),
            ("banks", &self.banks, (1, 64)),
        ]
    }

    pub(crate) fn to_space(&self) -> Result<Space> {
        let mut values: [Vec<u64>; GENES] = Default::default();
        for (slot, (field, list, (lo, hi))) in values.iter_mut().zip(self.lists()) {
            check_len(field, list.len())?;
            for (i, &v) in list.iter().enumerate() {
                ensure((lo..=hi).contains(&v), &format!("{field}[{i}]"), || {
                    format!("must be between {lo} and {hi}, got {v}")
                })?;
                if let Some(j) = list[..i].iter().position(|&x| x == v) {
                    return Err(Diagnostic::field(
                        format!("{field}[{i}]"),
                        format!("{v} is already listed at index {j}"),
                    ));
                }
            }
            let mut sorted: Vec<u64> = list.iter().map(|&v| v as u64).collect();
            sorted.sort_unstable();
            *slot = sorted;
        }
        // every dataflow is searchable (`Dataflow::ALL`): row-stationary with its register files
        check_len("dataflow", self.dataflow.len())?;
        for (i, &d) in self.dataflow.iter().enumerate() {
            if let Some(j) = self.dataflow[..i].iter().position(|&x| x == d) {
                return Err(Diagnostic::field(
                    format!("dataflow[{i}]"),
                    format!("{} is already listed at index {j}", d.name()),
                ));
            }
        }
        ensure(
            self.rf_weights.len() <= MAX_VALUES_PER_PARAMETER,
            "rf_weights",
            || {
                format!(
                    "lists {} values; at most {MAX_VALUES_PER_PARAMETER} are allowed",
                    self.rf_weights.len()
                )
            },
        )?;
        for (i, &f) in self.rf_weights.iter().enumerate() {
            let field = format!("rf_weights[{i}]");
            ensure((1..=MAX_RF_WEIGHTS).contains(&f), &field, || {
                format!("must be between 1 and {MAX_RF_WEIGHTS} operands per PE, got {f}")
            })?;
            if let Some(j) = self.rf_weights[..i].iter().position(|&x| x == f) {
                return Err(Diagnostic::field(
                    field,
                    format!("{f} is already listed at index {j}"),
                ));
            }
        }
        ensure(
            !self.rf_weights.is_empty() || !self.dataflow.contains(&Dataflow::RowStationary),
            "rf_weights",
            || {
                "must list at least one register-file size (operands per PE, 1..=255) when \
                 dataflow lists RowStationary, e.g. rf_weights: [16]"
                    .into()
            },
        )?;
        let mut codes: Vec<u64> = self
            .flows()
            .into_iter()
            .map(|(d, f)| dataflow_code(d, f))
            .collect();
        codes.sort_unstable();
        values[DATAFLOW_GENE] = codes;
        check_len("weight_double_buffer", self.weight_double_buffer.len())?;
        if self.weight_double_buffer.len() == 2
            && self.weight_double_buffer[0] == self.weight_double_buffer[1]
        {
            return Err(Diagnostic::field(
                "weight_double_buffer[1]",
                format!(
                    "{} is already listed at index 0",
                    self.weight_double_buffer[1]
                ),
            ));
        }
        check_len("noc", self.noc.len())?;
        for (i, &n) in self.noc.iter().enumerate() {
            if let Some(j) = self.noc[..i].iter().position(|&x| x == n) {
                return Err(Diagnostic::field(
                    format!("noc[{i}]"),
                    format!("{n:?} is already listed at index {j}"),
                ));
            }
        }
        check_len("words_per_cycle", self.words_per_cycle.len())?;
        for (i, &p) in self.words_per_cycle.iter().enumerate() {
            let field = format!("words_per_cycle[{i}]");
            ensure(matches!(p, 1 | 2 | 4 | 8), &field, || {
                format!("must be 1, 2, 4 or 8, got {p}")
            })?;
            if let Some(j) = self.words_per_cycle[..i].iter().position(|&x| x == p) {
                return Err(Diagnostic::field(
                    field,
                    format!("{p} is already listed at index {j}"),
                ));
            }
        }
        let mut db: Vec<u64> = self
            .words_per_cycle
            .iter()
            .flat_map(|&p| {
                let log = u64::from((p as u64).trailing_zeros());
                self.noc.iter().flat_map(move |&n| {
                    self.weight_double_buffer
                        .iter()
                        .map(move |&b| u64::from(b) | noc_code(n) << 1 | log << 3)
                })
            })
            .collect();
        db.sort_unstable();
        values[DOUBLE_BUFFER_GENE] = db;
        Ok(Space { values })
    }
}

/// A list must have between 1 and [`MAX_VALUES_PER_PARAMETER`] values.
fn check_len(field: &str, len: usize) -> Result<()> {
    ensure(len >= 1, field, || "must list at least one value".into())?;
    ensure(len <= MAX_VALUES_PER_PARAMETER, field, || {
        format!("lists {len} values; at most {MAX_VALUES_PER_PARAMETER} are allowed")
    })
}

/// One point of the design space, as values. Ordered field by field (dataflows in the order
/// weight-, output-, input-, row-stationary; the register file last).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DesignPoint {
    pub rows: u32,
    pub cols: u32,
    pub input_bytes: u64,
    pub weight_bytes: u64,
    pub accumulator_bytes: u64,
    pub banks: u32,
    pub dataflow: Dataflow,
    /// The PEs double-buffer their stationary operand (weight- and input-stationary).
    #[serde(default)]
    pub weight_double_buffer: bool,
    /// The array's interconnect (output-stationary: `stream` only).
    #[serde(default, skip_serializing_if = "Noc::is_default")]
    pub noc: Noc,
    /// Buffer words the DMA moves per cycle (`dram.words_per_cycle`).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub words_per_cycle: u32,
    /// Operands per PE register file (`array.rf_weights`) of a row-stationary point; 0 for the
    /// other dataflows (left out of RON and JSON when 0, so points written before row-stationary
    /// was searched read and write as they were).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rf_weights: u32,
}

fn is_zero(f: &u32) -> bool {
    *f == 0
}

fn one() -> u32 {
    1
}

fn is_one(p: &u32) -> bool {
    *p == 1
}

impl DesignPoint {
    /// The point `arch` is (its array, buffer capacities, the input buffer's bank count and its
    /// dataflow).
    pub fn of(arch: &Arch) -> DesignPoint {
        DesignPoint {
            rows: arch.rows(),
            cols: arch.cols(),
            input_bytes: arch.input().capacity().get(),
            weight_bytes: arch.weight().capacity().get(),
            accumulator_bytes: arch.accumulator().capacity().get(),
            banks: arch.input().banks(),
            dataflow: arch.dataflow(),
            weight_double_buffer: arch.weight_double_buffered(),
            noc: arch.noc(),
            words_per_cycle: arch.dram().words_per_cycle(),
            rf_weights: arch.rf_weights(),
        }
    }

    /// The generated accelerator's name, e.g. `cand_ws_16x8_i32k_w16k_a64k_b2` or
    /// `cand_os_16x8_i32k_w16k_a64k_b2` (the dataflow's short name, then capacities in KiB with a
    /// `k` when they are whole KiB, else in bytes); `cand_wsd_…` when the weight-stationary PEs
    /// double-buffer the weights, `b` and `t` after the dataflow for a broadcast row bus and adder
    /// trees (`cand_wsbt_…`), `_f{F}` after the banks for a row-stationary point's register file
    /// (`cand_rs_4x4_i7k_w4k_a8k_b2_f16`), and `_p2` (`_p4`, `_p8`) at the end when the DMA moves
    /// several words per cycle. The name must be a safe identifier (at most 48 characters), which
    /// the points of practical spaces' names are (`cand_wsdbt_128x128_i1024k_w1024k_a4096k_b8_p8`
    /// has 45); capacities near the 2^20-word limit or not whole KiB (bytes, up to 9 digits each)
    /// on the largest arrays can make it longer, and `ArchSpec::validate` then refuses the point
    /// on `name`, which the search skips as invalid like any other.
    pub fn name(&self) -> String {
        fn cap(b: u64) -> String {
            if b / 1024 * 1024 == b {
                format!("{}k", b / 1024)
            } else {
                b.to_string()
            }
        }
        format!(
            "cand_{}{}{}{}_{}x{}_i{}_w{}_a{}_b{}",
            self.dataflow.short(),
            if self.weight_double_buffer { "d" } else { "" },
            if self.noc.stream == Stream::Broadcast {
                "b"
            } else {
                ""
            },
            if self.noc.reduce == Reduce::AdderTree {
                "t"
            } else {
                ""
            },
            self.rows,
            self.cols,
            cap(self.input_bytes),
            cap(self.weight_bytes),
            cap(self.accumulator_bytes),
            self.banks,
        ) + &if self.dataflow == Dataflow::RowStationary {
            format!("_f{}", self.rf_weights)
        } else {
            String::new()
        } + &if self.words_per_cycle > 1 {
            format!("_p{}", self.words_per_cycle)
        } else {
            String::new()
        }
    }

    /// The accelerator spec: this point's array, dataflow and buffers, everything else from `base`.
    pub fn to_arch_spec(&self, base: &Arch) -> ArchSpec {
        let mut s = base.spec().clone().with_dataflow(self.dataflow);
        s.name = self.name();
        // a candidate is not the base's template; double-buffered weights with another dataflow
        // than weight-stationary do not validate
        s.note = None;
        s.array.weight_double_buffer = self.weight_double_buffer;
        s.array.noc = self.noc;
        // a row-stationary point's register file; the other arrays have none (a row-stationary
        // base's is cleared)
        s.array.rf_weights =
            (self.dataflow == Dataflow::RowStationary).then_some(i64::from(self.rf_weights));
        s.dram.words_per_cycle =
            (self.words_per_cycle > 1).then_some(i64::from(self.words_per_cycle));
        s.array.rows = i64::from(self.rows);
        s.array.cols = i64::from(self.cols);
        let buf = |capacity: u64| BufferSpec {
            capacity_bytes: capacity as i64,
            banks: i64::from(self.banks),
            ports: Default::default(),
        };
        s.buffers.input = buf(self.input_bytes);
        s.buffers.weight = buf(self.weight_bytes);
        s.buffers.accumulator = buf(self.accumulator_bytes);
        s
    }

    /// Build and validate the accelerator (keeping `base`'s technology figures).
    pub fn to_arch(&self, base: &Arch) -> Result<Arch> {
        Ok(self
            .to_arch_spec(base)
            .validate()?
            .with_tech(base.tech().clone()))
    }
}

impl Space {
    pub fn point(&self, g: &Genome) -> DesignPoint {
        let v = |i: usize| self.values[i][usize::from(g[i])];
        let (dataflow, rf_weights) = dataflow_of_code(v(DATAFLOW_GENE));
        DesignPoint {
            rows: v(0) as u32,
            cols: v(1) as u32,
            input_bytes: v(2),
            weight_bytes: v(3),
            accumulator_bytes: v(4),
            banks: v(5) as u32,
            dataflow,
            weight_double_buffer: v(DOUBLE_BUFFER_GENE) & 1 == 1,
            noc: noc_of_code(v(DOUBLE_BUFFER_GENE) >> 1 & 3),
            words_per_cycle: 1 << (v(DOUBLE_BUFFER_GENE) >> 3),
            rf_weights,
        }
    }

    pub fn len(&self, gene: usize) -> usize {
        self.values[gene].len()
    }

    /// Number of points, saturating.
    pub fn size(&self) -> u64 {
        self.values
            .iter()
            .fold(1u64, |a, v| a.saturating_mul(v.len() as u64))
    }
}

/// Design specs every candidate the search returns must meet. Absent limits do not constrain. In
/// RON: `(max_pes: Some(256), max_sram_bytes: Some(180224), max_area_um2: None, max_cycles:
/// Some(20000))`.
///
/// Two kinds. PEs, SRAM and area are known from the design alone: points that exceed them are
/// screened out before evaluation and never evaluated ([`Constraints::violation`]). Cycles and
/// energy are only known once the candidate has been mapped and estimated on the workload: such
/// candidates are evaluated (and count against the budget), then excluded from the finalists
/// ([`Constraints::performance_violation`]); strategies are told they are infeasible, which is
/// what the Bayesian strategy's feasibility model learns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// At most this many PEs (rows × cols).
    #[serde(default)]
    pub max_pes: Option<u64>,
    /// At most this much on-chip SRAM (input + weight + accumulator), in bytes.
    #[serde(default)]
    pub max_sram_bytes: Option<u64>,
    /// At most this much area, in µm², by the first-order model of `tessera_sim::area`.
    #[serde(default)]
    pub max_area_um2: Option<f64>,
    /// At most this many cycles for the whole workload (the analytical model's total, layers back
    /// to back). Known only after evaluation.
    #[serde(default)]
    pub max_cycles: Option<u64>,
    /// At most this much energy for the whole workload, in pJ (analytical model). Known only after
    /// evaluation.
    #[serde(default)]
    pub max_energy_pj: Option<f64>,
    /// At most this much average power over the whole workload, in mW: its energy over its time
    /// at the accelerator's clock (analytical model; no leakage). Known only after evaluation.
    #[serde(default)]
    pub max_power_mw: Option<f64>,
}

impl Constraints {
    /// Check the limits themselves. Errors name the field.
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = self.max_pes {
            ensure(p >= 1, "max_pes", || "must be at least 1".into())?;
        }
        if let Some(b) = self.max_sram_bytes {
            ensure(b >= 1, "max_sram_bytes", || "must be at least 1".into())?;
        }
        if let Some(a) = self.max_area_um2 {
            ensure(a.is_finite() && a > 0.0, "max_area_um2", || {
                format!("must be a positive area, got {a}")
            })?;
        }
        if let Some(c) = self.max_cycles {
            ensure(c >= 1, "max_cycles", || "must be at least 1".into())?;
        }
        if let Some(e) = self.max_energy_pj {
            ensure(e.is_finite() && e > 0.0, "max_energy_pj", || {
                format!("must be a positive energy, got {e}")
            })?;
        }
        if let Some(p) = self.max_power_mw {
            ensure(p.is_finite() && p > 0.0, "max_power_mw", || {
                format!("must be a positive power, got {p}")
            })?;
        }
        Ok(())
    }

    /// Are there limits only evaluation can check (`max_cycles`, `max_energy_pj`,
    /// `max_power_mw`)?
    pub fn has_performance_limits(&self) -> bool {
        self.max_cycles.is_some() || self.max_energy_pj.is_some() || self.max_power_mw.is_some()
    }

    /// The first performance limit an evaluated candidate exceeds, described, or `None`.
    pub fn performance_violation(&self, e: &Evaluation) -> Option<String> {
        self.performance_violation_of(&e.metrics, e.arch.clock_mhz)
    }

    /// [`Constraints::performance_violation`] of totals `m` at a clock of `clock_mhz`.
    pub fn performance_violation_of(&self, m: &Metrics, clock_mhz: f64) -> Option<String> {
        if let Some(max) = self.max_cycles {
            if m.cycles > max {
                return Some(format!("{} cycles exceed max_cycles = {max}", m.cycles));
            }
        }
        if let Some(max) = self.max_energy_pj {
            if m.energy_pj > max {
                return Some(format!(
                    "{:.0} pJ exceed max_energy_pj = {max}",
                    m.energy_pj
                ));
            }
        }
        if let Some(max) = self.max_power_mw {
            let p = m.average_power_mw(clock_mhz);
            if p > max {
                return Some(format!("{p:.3} mW exceed max_power_mw = {max}"));
            }
        }
        None
    }

    /// The first limit checked before evaluation (PEs, SRAM, area) that `arch` exceeds, described,
    /// or `None` when it meets them all.
    pub fn violation(&self, arch: &Arch) -> Option<String> {
        if let Some(max) = self.max_pes {
            if arch.pes() > max {
                return Some(format!("{} PEs exceed max_pes = {max}", arch.pes()));
            }
        }
        if let Some(max) = self.max_sram_bytes {
            let b = arch.sram_bytes().get();
            if b > max {
                return Some(format!("{b} B of SRAM exceed max_sram_bytes = {max}"));
            }
        }
        if let Some(max) = self.max_area_um2 {
            let a = tessera_sim::area::Area::of(arch).total_um2;
            if a > max {
                return Some(format!("{a:.0} µm² exceed max_area_um2 = {max}"));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    fn space() -> SearchSpace {
        SearchSpace {
            rows: vec![8, 2, 4],
            cols: vec![4],
            input_bytes: vec![4096],
            weight_bytes: vec![2048],
            accumulator_bytes: vec![8192],
            banks: vec![2],
            dataflow: vec![Dataflow::OutputStationary, Dataflow::WeightStationary],
            weight_double_buffer: vec![false],
            noc: vec![Noc::default()],
            words_per_cycle: vec![1],
            rf_weights: vec![],
        }
    }

    /// The DMA's words per cycle multiply the space through the array options' gene (bits 3-4),
    /// name the candidate and reach its accelerator; a bank that cannot be interleaved that many
    /// ways makes the point invalid; bad lists are refused naming the entry.
    #[test]
    fn words_per_cycle_are_points_of_the_space() {
        let mut s = space();
        s.weight_double_buffer = vec![false, true];
        s.words_per_cycle = vec![2, 1];
        let sp = s.to_space().unwrap();
        assert_eq!(sp.values[DOUBLE_BUFFER_GENE], vec![0, 1, 8, 9]);
        assert_eq!(s.size(), 3 * 2 * 2 * 2);
        let pts: Vec<DesignPoint> = s.points().collect();
        assert_eq!(
            pts.iter().filter(|p| p.words_per_cycle == 2).count(),
            3 * 2 * 2
        );
        let mut g = [0u16; GENES];
        g[DOUBLE_BUFFER_GENE] = 3;
        g[DATAFLOW_GENE] = 1;
        let p = sp.point(&g);
        assert_eq!((p.words_per_cycle, p.weight_double_buffer), (2, true));
        assert!(p.name().ends_with("_p2"), "{}", p.name());
        let base = builtin::arch("ws_4x4").unwrap();
        let mut ws = p;
        ws.dataflow = Dataflow::WeightStationary;
        let a = ws.to_arch(&base).unwrap();
        assert_eq!(a.dram().words_per_cycle(), 2);
        assert_eq!(DesignPoint::of(&a), ws);
        // P = 1 from a base with P = 2: the point decides
        let mut wide = base.spec().clone();
        wide.dram.words_per_cycle = Some(2);
        let wide = wide.validate().unwrap();
        ws.words_per_cycle = 1;
        assert_eq!(ws.to_arch(&wide).unwrap().dram().words_per_cycle(), 1);
        // banks of an odd number of words cannot be interleaved over 2 SRAMs (input words: R bytes)
        let mut odd = ws;
        odd.words_per_cycle = 2;
        odd.input_bytes = u64::from(odd.banks * odd.rows) * 65;
        let e = odd.to_arch(&base).unwrap_err();
        assert!(e.message.contains("words_per_cycle"), "{e}");
        odd.words_per_cycle = 1;
        assert!(odd.to_arch(&base).is_ok());
        for (list, field) in [
            (vec![3], "words_per_cycle[0]"),
            (vec![2, 2], "words_per_cycle[1]"),
        ] {
            s.words_per_cycle = list;
            assert_eq!(s.validate().unwrap_err().field.as_deref(), Some(field));
        }
        // a journal point without the field reads as one word per cycle
        let text = ron::to_string(&DesignPoint {
            words_per_cycle: 1,
            ..ws
        })
        .unwrap();
        assert!(!text.contains("words_per_cycle"), "{text}");
        let back: DesignPoint = ron::from_str(&text).unwrap();
        assert_eq!(back.words_per_cycle, 1);
    }

    /// Interconnects multiply the space through the array options' gene; with the default one
    /// alone the gene's values are the double-buffering's 0 and 1 as before.
    #[test]
    fn interconnects_are_points_of_the_space() {
        let mut s = space();
        s.weight_double_buffer = vec![false, true];
        assert_eq!(s.to_space().unwrap().values[DOUBLE_BUFFER_GENE], vec![0, 1]);
        let bt = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::AdderTree,
        };
        s.noc = vec![bt, Noc::default()];
        let sp = s.to_space().unwrap();
        assert_eq!(sp.values[DOUBLE_BUFFER_GENE], vec![0, 1, 6, 7]);
        assert_eq!(s.size(), 3 * 2 * 2 * 2);
        let pts: Vec<DesignPoint> = s.points().collect();
        assert_eq!(pts.len() as u64, s.size());
        assert!(pts.iter().any(|p| p.noc == bt && !p.weight_double_buffer));
        let mut g = [0u16; GENES];
        g[DOUBLE_BUFFER_GENE] = 2;
        g[DATAFLOW_GENE] = 0;
        let p = sp.point(&g);
        assert_eq!((p.noc, p.weight_double_buffer), (bt, false));
        assert!(p.name().starts_with("cand_wsbt_"), "{}", p.name());
        let base = builtin::arch("ws_4x4").unwrap();
        assert_eq!(p.to_arch(&base).unwrap().noc(), bt);
        // with double-buffered weights too: an accelerator (docs/TIMING.md, "double-buffered
        // weights")
        g[DOUBLE_BUFFER_GENE] = 3;
        let pd = sp.point(&g);
        assert_eq!((pd.noc, pd.weight_double_buffer), (bt, true));
        let ad = pd.to_arch(&base).unwrap();
        assert_eq!((ad.noc(), ad.weight_double_buffered()), (bt, true));
        // the same interconnect twice is refused
        s.noc = vec![bt, bt];
        assert_eq!(s.validate().unwrap_err().field.as_deref(), Some("noc[1]"));
        // an output-stationary point with buses is an accelerator; with adder trees it is not
        let mut os = p;
        os.dataflow = Dataflow::OutputStationary;
        assert!(os.to_arch(&base).is_err());
        os.noc.reduce = Reduce::Chain;
        assert!(os.name().starts_with("cand_osb_"), "{}", os.name());
        assert_eq!(os.to_arch(&base).unwrap().noc(), os.noc);
    }

    /// Row-stationary points take each listed register file (the other dataflows' points do
    /// not repeat per value), validate with the row-stationary word sizes, name their register
    /// file and round-trip through RON; a space that lists row-stationary without register files,
    /// or a register file out of range or twice, is refused naming the field.
    #[test]
    fn row_stationary_points_take_each_register_file() {
        let mut s = space();
        s.rows = vec![4];
        // row-stationary input words are R + C − 1 = 7 bytes: 7168 B = 2 banks × 512 words
        s.input_bytes = vec![7168];
        s.dataflow = vec![Dataflow::RowStationary, Dataflow::WeightStationary];
        s.rf_weights = vec![8, 4];
        s.weight_double_buffer = vec![false, true];
        let sp = s.to_space().unwrap();
        assert_eq!(sp.values[DATAFLOW_GENE], vec![0, 2 + 4, 2 + 8]);
        // (WS + RS × 2 register files) × double buffering
        assert_eq!(s.size(), 3 * 2);
        let pts: Vec<DesignPoint> = s.points().collect();
        assert_eq!(pts.len() as u64, s.size());
        let flows: Vec<(Dataflow, u32, bool)> = pts
            .iter()
            .map(|p| (p.dataflow, p.rf_weights, p.weight_double_buffer))
            .collect();
        let (rs, ws) = (Dataflow::RowStationary, Dataflow::WeightStationary);
        assert_eq!(
            flows,
            [
                (rs, 8, false),
                (rs, 8, true),
                (rs, 4, false),
                (rs, 4, true),
                (ws, 0, false),
                (ws, 0, true)
            ]
        );
        let names: std::collections::BTreeSet<String> = pts.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), pts.len());
        let base = builtin::arch("ws_4x4").unwrap();
        for p in &pts {
            let a = p.to_arch(&base);
            // row-stationary arrays run one pass at a time: no double buffering
            assert_eq!(
                a.is_ok(),
                !(p.dataflow == rs && p.weight_double_buffer),
                "{p:?}"
            );
            if let Ok(a) = a {
                assert_eq!(a.name(), p.name());
                assert!(tessera_arch::is_safe_identifier(a.name()));
                assert_eq!(a.rf_weights(), p.rf_weights);
                assert_eq!(DesignPoint::of(&a), *p);
            }
        }
        let mut g = [0u16; GENES];
        g[DATAFLOW_GENE] = 2;
        let p = sp.point(&g);
        assert_eq!((p.dataflow, p.rf_weights), (rs, 8));
        assert_eq!(p.name(), "cand_rs_4x4_i7k_w2k_a8k_b2_f8");
        g[DATAFLOW_GENE] = 0;
        assert_eq!((sp.point(&g).dataflow, sp.point(&g).rf_weights), (ws, 0));
        // an RS point with the words per cycle and another interconnect: the suffixes in order,
        // and the interconnect does not validate
        let mut wide = p;
        wide.words_per_cycle = 2;
        assert_eq!(wide.name(), "cand_rs_4x4_i7k_w2k_a8k_b2_f8_p2");
        assert!(wide.to_arch(&base).is_ok());
        wide.noc.stream = Stream::Broadcast;
        assert!(wide.to_arch(&base).is_err());
        // a power-of-two input capacity is not whole 7-byte words: the point does not validate
        let mut odd = p;
        odd.input_bytes = 8192;
        let e = odd.to_arch(&base).unwrap_err();
        assert_eq!(
            e.field.as_deref(),
            Some("buffers.input.capacity_bytes"),
            "{e}"
        );
        // a GEMM-tiled point built from a row-stationary base has no register file
        let rs_base = p.to_arch(&base).unwrap();
        let mut w = pts[4];
        w.input_bytes = 4096;
        let a = w.to_arch(&rs_base).unwrap();
        assert_eq!((a.dataflow(), a.rf_weights()), (ws, 0));
        // RON: a point with a register file keeps it, one without writes as before
        let text = ron::to_string(&p).unwrap();
        assert!(text.contains("rf_weights:8"), "{text}");
        assert_eq!(ron::from_str::<DesignPoint>(&text).unwrap(), p);
        let text = ron::to_string(&w).unwrap();
        assert!(!text.contains("rf_weights"), "{text}");
        assert_eq!(ron::from_str::<DesignPoint>(&text).unwrap(), w);
        // and a space likewise: without row-stationary its RON has no rf_weights, and a space
        // written before the field existed reads with none
        let text = ron::to_string(&s).unwrap();
        assert!(text.contains("rf_weights:[8,4]"), "{text}");
        assert_eq!(ron::from_str::<SearchSpace>(&text).unwrap(), s);
        let old = space();
        let text = ron::to_string(&old).unwrap();
        assert!(!text.contains("rf_weights"), "{text}");
        assert_eq!(ron::from_str::<SearchSpace>(&text).unwrap(), old);
        let read: SearchSpace = ron::from_str(
            "(rows: [4], cols: [4], input_bytes: [4096], weight_bytes: [2048], \
             accumulator_bytes: [8192], dataflow: [WeightStationary])",
        )
        .unwrap();
        assert!(read.rf_weights.is_empty());
        assert!(read.validate().is_ok());
        // register files are ignored without row-stationary, required with it, each checked
        let mut no_rs = s.clone();
        no_rs.dataflow = vec![ws];
        assert_eq!(no_rs.size(), 2);
        assert!(no_rs.points().all(|p| p.rf_weights == 0));
        for (list, field) in [
            (vec![], "rf_weights"),
            (vec![0], "rf_weights[0]"),
            (vec![256], "rf_weights[0]"),
            (vec![4, 4], "rf_weights[1]"),
        ] {
            let mut bad = s.clone();
            bad.rf_weights = list;
            let e = bad.validate().unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{e}");
        }
        let mut bad = s.clone();
        bad.rf_weights = vec![];
        assert!(bad
            .validate()
            .unwrap_err()
            .message
            .contains("RowStationary"));
    }

    #[test]
    fn lists_are_sorted_and_checked() {
        let s = space().to_space().unwrap();
        assert_eq!(s.values[0], vec![2, 4, 8]);
        assert_eq!(s.values[6], vec![0, 1]);
        assert_eq!(space().size(), 6);
        let mut bad = space();
        bad.rows.push(4);
        assert_eq!(
            bad.validate().unwrap_err().field.as_deref(),
            Some("rows[3]")
        );
        let mut bad = space();
        bad.banks = vec![0];
        assert_eq!(
            bad.validate().unwrap_err().field.as_deref(),
            Some("banks[0]")
        );
        let mut bad = space();
        bad.cols = vec![129];
        assert_eq!(
            bad.validate().unwrap_err().field.as_deref(),
            Some("cols[0]")
        );
    }

    #[test]
    fn points_enumerate_the_space_in_loop_order() {
        let s = space();
        let all: Vec<DesignPoint> = s.points().collect();
        assert_eq!(all.len() as u64, s.size());
        assert_eq!(all.len(), 6);
        assert_eq!(
            (all[0].rows, all[0].dataflow),
            (8, Dataflow::OutputStationary)
        );
        assert_eq!(
            (all[1].rows, all[1].dataflow),
            (8, Dataflow::WeightStationary)
        );
        assert_eq!(all[5].rows, 4);
        let distinct: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), 6);
    }

    #[test]
    fn dataflows_are_checked() {
        // input-stationary is searched when a space lists it
        let mut is = space();
        is.dataflow.push(Dataflow::InputStationary);
        let s = is.to_space().unwrap();
        assert_eq!(s.values[NUMERIC_GENES], vec![0, 1, 2]);
        let mut g = [0; GENES];
        g[NUMERIC_GENES] = 2;
        assert_eq!(s.point(&g).dataflow, Dataflow::InputStationary);
        let mut bad = space();
        bad.dataflow.push(Dataflow::OutputStationary);
        let e = bad.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("dataflow[2]"), "{e}");
        assert!(e.message.contains("already listed at index 0"), "{e}");
        let mut bad = space();
        bad.dataflow.clear();
        assert_eq!(
            bad.validate().unwrap_err().field.as_deref(),
            Some("dataflow")
        );
        // The points of a one-dataflow space all have it.
        let mut os = space();
        os.dataflow = vec![Dataflow::OutputStationary];
        let s = os.to_space().unwrap();
        assert_eq!(s.point(&[0; GENES]).dataflow, Dataflow::OutputStationary);
    }

    #[test]
    fn point_becomes_a_valid_arch_named_safely() {
        let base = builtin::arch("ws_16x16").unwrap();
        let mut p = DesignPoint {
            rows: 16,
            cols: 8,
            input_bytes: 32768,
            weight_bytes: 16384,
            accumulator_bytes: 65536,
            banks: 2,
            dataflow: Dataflow::WeightStationary,
            weight_double_buffer: false,
            noc: Default::default(),
            words_per_cycle: 1,
            rf_weights: 0,
        };
        assert_eq!(p.name(), "cand_ws_16x8_i32k_w16k_a64k_b2");
        let a = p.to_arch(&base).unwrap();
        assert!(tessera_arch::is_safe_identifier(a.name()));
        assert_eq!((a.rows(), a.cols()), (16, 8));
        assert_eq!(a.dataflow(), Dataflow::WeightStationary);
        assert_eq!(a.dram(), base.dram());
        assert_eq!(a.clock_mhz(), base.clock_mhz());
        assert_eq!(DesignPoint::of(&a), p);
        // double-buffered stationary operands: weights on a weight-stationary point, sums on an
        // output-stationary one
        p.weight_double_buffer = true;
        assert_eq!(p.name(), "cand_wsd_16x8_i32k_w16k_a64k_b2");
        let a = p.to_arch(&base).unwrap();
        assert!(a.weight_double_buffered());
        assert_eq!(DesignPoint::of(&a), p);
        p.dataflow = Dataflow::OutputStationary;
        let a = p.to_arch(&base).unwrap();
        assert!(a.weight_double_buffered());
        assert_eq!(
            (a.dataflow(), a.name()),
            (Dataflow::OutputStationary, p.name().as_str())
        );
        assert_eq!(DesignPoint::of(&a), p);
        p.weight_double_buffer = false;
        assert_eq!(p.name(), "cand_os_16x8_i32k_w16k_a64k_b2");
        let a = p.to_arch(&base).unwrap();
        assert_eq!(a.dataflow(), Dataflow::OutputStationary);
        assert_eq!(a.name(), p.name());
        assert_eq!(DesignPoint::of(&a), p);
        // The longest names an accelerator that validates can have: 7-digit input and weight
        // capacities that are not whole KiB (127-byte words, 3 banks), an 8-digit accumulator
        // (512-byte words), and 64 banks for the longest bank suffix.
        for (banks, input, weight, acc) in [
            (3, 127 * 3 * 20_001, 128 * 3 * 20_001, 512 * 3 * 21_845),
            (64, 127 * 64 * 1_023, 127 * 64 * 1_023, 508 * 64 * 1_023),
        ] {
            for (dataflow, db) in Dataflow::SUPPORTED
                .into_iter()
                .map(|d| (d, false))
                .chain([(Dataflow::WeightStationary, true)])
            {
                // an input-stationary input word is C bytes, its weight word R
                let (input, weight) = if dataflow == Dataflow::InputStationary {
                    (weight, input)
                } else {
                    (input, weight)
                };
                let p = DesignPoint {
                    rows: 127,
                    cols: if acc % 512 == 0 { 128 } else { 127 },
                    input_bytes: input,
                    weight_bytes: weight,
                    accumulator_bytes: acc,
                    banks,
                    dataflow,
                    weight_double_buffer: db,
                    noc: Noc::default(),
                    words_per_cycle: 1,
                    rf_weights: 0,
                };
                let name = p.name();
                assert_eq!(p.to_arch(&base).unwrap().name(), name);
                assert!(name.len() >= 46, "{name}");
                assert!(tessera_arch::is_safe_identifier(&name), "{name}");
                assert!(!name.contains("__") && !name.ends_with('_'), "{name}");
            }
        }
    }

    #[test]
    fn design_points_order_by_fields_then_dataflow() {
        let p = DesignPoint {
            rows: 4,
            cols: 4,
            input_bytes: 1,
            weight_bytes: 1,
            accumulator_bytes: 1,
            banks: 2,
            dataflow: Dataflow::OutputStationary,
            weight_double_buffer: false,
            noc: Default::default(),
            words_per_cycle: 1,
            rf_weights: 0,
        };
        let q = DesignPoint {
            dataflow: Dataflow::WeightStationary,
            ..p
        };
        assert!(q < p);
        assert!(DesignPoint { rows: 2, ..p } < q);
    }

    #[test]
    fn constraints_report_the_exceeded_limit() {
        let a = builtin::arch("ws_16x16").unwrap();
        let c = Constraints {
            max_pes: Some(255),
            ..Constraints::default()
        };
        assert!(c.violation(&a).unwrap().contains("max_pes"));
        let c = Constraints {
            max_sram_bytes: Some(a.sram_bytes().get()),
            max_pes: Some(256),
            max_area_um2: None,
            max_cycles: Some(1),
            max_energy_pj: None,
            max_power_mw: None,
        };
        assert_eq!(c.violation(&a), None);
        assert!(c.has_performance_limits());
        assert!(!Constraints::default().has_performance_limits());
        let m = |cycles, energy_pj| Metrics {
            cycles,
            energy_pj,
            edp_cycles_pj: cycles as f64 * energy_pj,
            area_um2: 1.0,
            pes: 1,
            sram_bytes: 1,
        };
        assert_eq!(c.performance_violation_of(&m(1, 5.0), 1000.0), None);
        assert!(c
            .performance_violation_of(&m(2, 5.0), 1000.0)
            .unwrap()
            .contains("max_cycles"));
        let c = Constraints {
            max_energy_pj: Some(4.0),
            ..Constraints::default()
        };
        assert!(c
            .performance_violation_of(&m(9, 5.0), 1000.0)
            .unwrap()
            .contains("max_energy_pj"));
        let c = Constraints {
            max_power_mw: Some(0.5),
            ..Constraints::default()
        };
        assert!(c.has_performance_limits());
        // 9 cycles at 1000 MHz are 9 ns; 9 pJ over them is 1 mW.
        let over = c.performance_violation_of(&m(9, 9.0), 1000.0).unwrap();
        assert!(over.contains("1.000 mW exceed max_power_mw"), "{over}");
        // The same energy over 18 ns is 0.5 mW: at the limit.
        assert_eq!(c.performance_violation_of(&m(18, 9.0), 1000.0), None);
        // At 500 MHz the 9 cycles take 18 ns.
        assert_eq!(c.performance_violation_of(&m(9, 9.0), 500.0), None);
        for bad in [
            Constraints {
                max_cycles: Some(0),
                ..Constraints::default()
            },
            Constraints {
                max_energy_pj: Some(f64::NAN),
                ..Constraints::default()
            },
            Constraints {
                max_power_mw: Some(0.0),
                ..Constraints::default()
            },
        ] {
            let f = bad.validate().unwrap_err().field.unwrap();
            assert!(f.starts_with("max_"), "{f}");
        }
        let c = Constraints {
            max_area_um2: Some(-1.0),
            ..Constraints::default()
        };
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("max_area_um2")
        );
    }
}
