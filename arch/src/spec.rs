//! `ArchSpec` (what the RON file says) and `Arch` (what was validated).

use crate::tech::Tech;
use serde::{Deserialize, Serialize};
use tessera_core::diag::{ensure, Result};
use tessera_core::{Bytes, Cycles};

/// Dataflow of the PE array. Only weight-stationary is implemented; the others are accepted by the
/// parser so that files written for later versions give a clear "not supported yet" error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dataflow {
    WeightStationary,
    OutputStationary,
    InputStationary,
}

/// The accelerator description as written in a RON file. Integers are signed here so that a
/// negative value is reported by validation with its field name, not as a parse error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchSpec {
    /// Becomes a Verilog module prefix and file name: letters, digits, `_`.
    pub name: String,
    pub array: ArraySpec,
    pub datatypes: DatatypeSpec,
    pub buffers: BuffersSpec,
    pub dram: DramSpec,
    pub clock_mhz: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArraySpec {
    pub rows: i64,
    pub cols: i64,
    pub dataflow: Dataflow,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatatypeSpec {
    pub operand_bits: i64,
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramSpec {
    pub bytes_per_cycle: i64,
    pub latency_cycles: i64,
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

/// A validated on-chip buffer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Buffer {
    pub kind: BufferKind,
    pub capacity: Bytes,
    pub banks: u32,
    /// Bytes per word (see docs/TIMING.md: R, C or 4C).
    pub word_bytes: u32,
    /// Words in the whole buffer.
    pub depth: u32,
}

impl Buffer {
    /// Words in one bank.
    pub fn bank_depth(&self) -> u32 {
        self.depth / self.banks
    }
}

/// A validated DRAM channel (see docs/TIMING.md, "DMA unit and the DRAM port").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Dram {
    pub bytes_per_cycle: u32,
    pub latency: Cycles,
}

/// A validated accelerator. Construct with [`ArchSpec::validate`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arch {
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub dataflow: Dataflow,
    pub input: Buffer,
    pub weight: Buffer,
    pub accumulator: Buffer,
    pub dram: Dram,
    pub clock_mhz: f64,
    #[serde(skip)]
    pub tech: Tech,
    /// The spec it was validated from, kept for headers and reports.
    #[serde(skip)]
    pub spec: ArchSpec,
}

/// Upper bounds that keep every derived size inside the instruction encoding and u64 arithmetic.
pub const MAX_ARRAY_DIM: i64 = 128;
/// Buffer addresses are 16-bit words in the instruction encoding.
pub const MAX_BUFFER_WORDS: u32 = 1 << 16;
pub const MAX_DRAM_BYTES_PER_CYCLE: i64 = 4096;
pub const MAX_DRAM_LATENCY: i64 = 100_000;

impl Arch {
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
        };
        ArchSpec {
            name: name.into(),
            array: ArraySpec {
                rows,
                cols,
                dataflow: Dataflow::WeightStationary,
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
            },
            clock_mhz: 500.0,
        }
    }

    /// Check every field and build the [`Arch`]. Errors name the field (`array.rows`, ...).
    pub fn validate(&self) -> Result<Arch> {
        ensure(crate::is_safe_identifier(&self.name), "name", || {
            format!(
                "{:?} is not a valid name: use an ASCII letter followed by letters, digits or `_` \
                 (at most 48 characters, not a Verilog keyword)",
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
            a.dataflow == Dataflow::WeightStationary,
            "array.dataflow",
            || {
                format!(
                    "{:?} is not supported yet; use WeightStationary",
                    a.dataflow
                )
            },
        )?;
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
            self.datatypes.accumulator_bits == 32,
            "datatypes.accumulator_bits",
            || {
                format!(
                    "only 32-bit accumulators are supported, got {}",
                    self.datatypes.accumulator_bits
                )
            },
        )?;
        let rows = a.rows as u32;
        let cols = a.cols as u32;
        let input = buffer(&self.buffers.input, BufferKind::Input, rows, 1)?;
        let weight = buffer(&self.buffers.weight, BufferKind::Weight, cols, rows)?;
        let accumulator = buffer(
            &self.buffers.accumulator,
            BufferKind::Accumulator,
            4 * cols,
            1,
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
        ensure(
            self.clock_mhz.is_finite() && self.clock_mhz > 0.0 && self.clock_mhz <= 10_000.0,
            "clock_mhz",
            || {
                format!(
                    "must be a positive frequency up to 10000 MHz, got {}",
                    self.clock_mhz
                )
            },
        )?;
        Ok(Arch {
            name: self.name.clone(),
            rows,
            cols,
            dataflow: a.dataflow,
            input,
            weight,
            accumulator,
            dram: Dram {
                bytes_per_cycle: d.bytes_per_cycle as u32,
                latency: Cycles(d.latency_cycles as u64),
            },
            clock_mhz: self.clock_mhz,
            tech: Tech::default_45nm(),
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
        };
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("buffers.weight.capacity_bytes"));
        assert!(e.message.contains("too small for one tile"), "{e}");
    }

    #[test]
    fn bad_name_rejected() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        s.name = "x\"; module evil".into();
        assert_eq!(s.validate().unwrap_err().field.as_deref(), Some("name"));
    }
}
