//! SCALE-Sim configurations (`.cfg`) → [`ArchSpec`] (the rules are in the [parent module](super)).

use super::at;
use crate::{Imported, Origin};
use std::path::Path;
use tessera_arch::spec::{
    ArraySpec, BufferSpec, BuffersSpec, DatatypeSpec, DramSpec, MAX_ARRAY_DIM,
};
use tessera_arch::{ArchSpec, Dataflow};
use tessera_core::diag::{Diagnostic, Result};

/// What Tessera needs and SCALE-Sim does not say (see the [parent module](super) for why these).
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigDefaults {
    /// Banks per buffer: 2 (SCALE-Sim's scratchpads are double-buffered).
    pub banks: i64,
    /// DRAM latency in cycles: 1 (SCALE-Sim's DRAM port).
    pub dram_latency_cycles: i64,
    /// DRAM bytes per cycle when the file has no `Bandwidth`: 10 (SCALE-Sim's own figure).
    pub dram_bytes_per_cycle: i64,
    /// Clock: 500 MHz (SCALE-Sim counts cycles only).
    pub clock_mhz: f64,
}

impl Default for ConfigDefaults {
    fn default() -> Self {
        ConfigDefaults {
            banks: 2,
            dram_latency_cycles: 1,
            dram_bytes_per_cycle: 10,
            clock_mhz: 500.0,
        }
    }
}

/// Operand and accumulator widths: SCALE-Sim's one-byte words, Tessera's int32 accumulators.
const OPERAND_BITS: i64 = 8;
const ACCUMULATOR_BITS: i64 = 32;

/// One `key: value` line.
#[derive(Clone, Debug)]
struct Entry {
    /// The section, as written.
    section: String,
    /// The key, as written.
    key: String,
    value: String,
    line: usize,
    /// 1-based column of the value.
    col: usize,
}

/// The keys the importer reads, by section (lower case; configparser compares keys so). Every
/// other key is ignored with a note.
const READ: &[(&str, &str)] = &[
    ("general", "run_name"),
    ("architecture_presets", "arrayheight"),
    ("architecture_presets", "arraywidth"),
    ("architecture_presets", "ifmapsramszkb"),
    ("architecture_presets", "filtersramszkb"),
    ("architecture_presets", "ofmapsramszkb"),
    ("architecture_presets", "dataflow"),
    ("architecture_presets", "bandwidth"),
    ("run_presets", "interfacebandwidth"),
];
/// Read and import a configuration file with the [default](ConfigDefaults) assumptions.
pub fn read_config(path: impl AsRef<Path>) -> Result<Imported<ArchSpec>> {
    let path = path.as_ref();
    parse_config(&super::read_text(path)?, path)
}

/// Import a configuration with the [default](ConfigDefaults) assumptions; `origin` names the file
/// in errors.
pub fn parse_config(text: &str, origin: &Path) -> Result<Imported<ArchSpec>> {
    parse_config_with(text, origin, &ConfigDefaults::default())
}

/// Parse the INI text as configparser does (sections, `key: value` or `key = value`, comments).
fn entries(text: &str, origin: &Path) -> Result<Vec<Entry>> {
    let mut out: Vec<Entry> = vec![];
    let mut section: Option<String> = None;
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[') {
            let Some(name) = name.strip_suffix(']') else {
                return Err(at(
                    origin,
                    line,
                    1,
                    format!("`{t}` is not a [section] header"),
                ));
            };
            section = Some(name.trim().to_string());
            continue;
        }
        let Some(split) = t.find([':', '=']) else {
            return Err(at(
                origin,
                line,
                raw.len() - raw.trim_start().len() + 1,
                format!("`{t}` is neither a [section] header nor a `key: value` line"),
            ));
        };
        let Some(sec) = section.clone() else {
            return Err(at(
                origin,
                line,
                1,
                format!(
                    "`{t}` comes before any [section] header (SCALE-Sim's keys live in [general], \
                     [architecture_presets] and [run_presets])"
                ),
            ));
        };
        let key = t[..split].trim().to_string();
        let value = t[split + 1..].trim().to_string();
        let lead = raw.len() - raw.trim_start().len();
        let after = &t[split + 1..];
        let col = raw[..lead + split + 1 + (after.len() - after.trim_start().len())]
            .chars()
            .count()
            + 1;
        if let Some(first) = out
            .iter()
            .find(|e| e.section.eq_ignore_ascii_case(&sec) && e.key.eq_ignore_ascii_case(&key))
        {
            return Err(at(
                origin,
                line,
                lead + 1,
                format!(
                    "`{key}` is given twice in [{sec}] (first on line {})",
                    first.line
                ),
            ));
        }
        out.push(Entry {
            section: sec,
            key,
            value,
            line,
            col,
        });
    }
    Ok(out)
}

/// Import a configuration; `defaults` fills what SCALE-Sim does not say.
pub fn parse_config_with(
    text: &str,
    origin: &Path,
    defaults: &ConfigDefaults,
) -> Result<Imported<ArchSpec>> {
    let entries = entries(text, origin)?;
    let find = |section: &str, key: &str| {
        entries
            .iter()
            .find(|e| e.section.eq_ignore_ascii_case(section) && e.key.eq_ignore_ascii_case(key))
    };
    let need = |key: &str| {
        find("architecture_presets", key).ok_or_else(|| {
            Diagnostic::field(
                key,
                "is missing from [architecture_presets]; SCALE-Sim needs it too",
            )
            .in_file(origin)
        })
    };
    let int = |e: &Entry, what: &str| -> Result<i64> {
        e.value
            .parse::<i64>()
            .ok()
            .filter(|&v| v >= 1)
            .ok_or_else(|| {
                at(
                    origin,
                    e.line,
                    e.col,
                    format!("`{}` must be {what}, got `{}`", e.key, e.value),
                )
            })
    };
    let mut notes = vec![];
    let mut origins = vec![];
    let mut from = |field: &str, e: &Entry| {
        origins.push((
            field.to_string(),
            Origin {
                line: Some(e.line),
                what: format!("`{}` on line {} in [{}]", e.key, e.line, e.section),
            },
        ));
    };

    // Name.
    let name_entry = find("general", "run_name");
    let raw_name = match name_entry {
        Some(e) => e.value.clone(),
        None => crate::stem(origin),
    };
    let mut name = crate::names::sanitize(&raw_name, "scalesim", 48);
    if !tessera_arch::is_safe_identifier(&name) {
        name = format!("{}_arch", &name[..name.len().min(43)]);
    }
    if name != raw_name {
        notes.push(format!(
            "the accelerator is named `{name}` (from {:?}: a name must be a Verilog identifier)",
            raw_name
        ));
    }
    if let Some(e) = name_entry {
        from("name", e);
    }

    // Array.
    let rows_e = need("ArrayHeight")?;
    let cols_e = need("ArrayWidth")?;
    let rows = int(rows_e, "a whole number of PE rows, at least 1")?;
    let cols = int(cols_e, "a whole number of PE columns, at least 1")?;
    from("array.rows", rows_e);
    from("array.cols", cols_e);
    let df_e = need("Dataflow")?;
    let dataflow = match df_e.value.to_ascii_lowercase().as_str() {
        "ws" => Dataflow::WeightStationary,
        "os" => Dataflow::OutputStationary,
        "is" => Dataflow::InputStationary,
        other => {
            return Err(at(
                origin,
                df_e.line,
                df_e.col,
                format!("`Dataflow` must be ws, os or is (as in SCALE-Sim), got `{other}`"),
            ))
        }
    };
    from("array.dataflow", df_e);

    // Buffers: KiB → bytes, rounded down to whole words in every bank.
    let banks = defaults.banks.max(1);
    let operand_bytes = OPERAND_BITS / 8;
    let word = |lanes: i64, bytes: i64| lanes.clamp(1, MAX_ARRAY_DIM) * bytes;
    let mut buffer = |key: &str, field: &str, word_bytes: i64| -> Result<BufferSpec> {
        let e = need(key)?;
        let kib = int(e, "a whole number of KiB, at least 1")?;
        let bytes = kib
            .checked_mul(1024)
            .filter(|&b| b <= 1 << 40)
            .ok_or_else(|| {
                at(
                    origin,
                    e.line,
                    e.col,
                    format!("`{key}` of {kib} KiB is too large"),
                )
            })?;
        let unit = banks.saturating_mul(word_bytes);
        let mut cap = bytes / unit * unit;
        if cap == 0 {
            cap = unit;
            notes.push(format!(
                "{key} = {kib} KiB is smaller than one word in each of {banks} banks; the {field} \
                 buffer is rounded up to {cap} B"
            ));
        } else if cap != bytes {
            notes.push(format!(
                "{key} = {kib} KiB = {bytes} B is rounded down to {cap} B for the {field} buffer \
                 (a multiple of {banks} banks × {word_bytes} B words)"
            ));
        }
        origins.push((
            format!("buffers.{field}.capacity_bytes"),
            Origin {
                line: Some(e.line),
                what: format!("`{}` on line {} in [{}]", e.key, e.line, e.section),
            },
        ));
        Ok(BufferSpec {
            capacity_bytes: cap,
            banks,
            ports: Default::default(),
        })
    };
    // input-stationary: the ifmap's words are rows of the PE columns, the filters' feed the rows
    let (in_lanes, w_lanes) = match dataflow {
        Dataflow::InputStationary => (cols, rows),
        _ => (rows, cols),
    };
    let input = buffer("IfmapSramSzkB", "input", word(in_lanes, operand_bytes))?;
    let weight = buffer("FilterSramSzkB", "weight", word(w_lanes, operand_bytes))?;
    let accumulator = buffer(
        "OfmapSramSzkB",
        "accumulator",
        word(cols, ACCUMULATOR_BITS / 8),
    )?;

    // DRAM.
    let mode = find("run_presets", "InterfaceBandwidth").map(|e| e.value.to_ascii_uppercase());
    let bytes_per_cycle = match find("architecture_presets", "Bandwidth") {
        Some(e) => {
            let list: Vec<&str> = e.value.split(',').map(str::trim).collect();
            let first = list[0]
                .parse::<i64>()
                .ok()
                .filter(|&v| v >= 1)
                .ok_or_else(|| {
                    at(
                        origin,
                        e.line,
                        e.col,
                        format!(
                        "`{}` must be a whole number of words per cycle (or a list of them), got \
                         `{}`",
                        e.key, e.value
                    ),
                    )
                })?;
            if list.len() > 1 {
                notes.push(format!(
                    "Bandwidth lists {} values; the first, {first}, is used (as SCALE-Sim does)",
                    list.len()
                ));
            }
            if mode.as_deref() != Some("USER") {
                notes.push(format!(
                    "InterfaceBandwidth is {}: SCALE-Sim would compute the bandwidth a stall-free \
                     run needs; Tessera's DRAM has a fixed one, so the file's Bandwidth ({first} \
                     B/cycle) is used",
                    mode.as_deref().unwrap_or("not given")
                ));
            }
            origins.push((
                "dram.bytes_per_cycle".to_string(),
                Origin {
                    line: Some(e.line),
                    what: format!("`{}` on line {} in [{}]", e.key, e.line, e.section),
                },
            ));
            first
        }
        None => {
            notes.push(format!(
                "no Bandwidth: the DRAM moves {} B/cycle (the importer's default)",
                defaults.dram_bytes_per_cycle
            ));
            defaults.dram_bytes_per_cycle
        }
    };
    notes.push(format!(
        "not in SCALE-Sim's configuration, so the importer's defaults: {banks} banks per buffer \
         (double-buffered), DRAM latency {} cycle(s), a {} MHz clock, int8 operands with int32 \
         accumulators",
        defaults.dram_latency_cycles,
        tessera_core::units::fmt_real(defaults.clock_mhz)
    ));

    // Everything else: ignored, and said so.
    let mut ignored = vec![];
    for e in &entries {
        let key = (e.section.to_ascii_lowercase(), e.key.to_ascii_lowercase());
        if !READ.iter().any(|(s, k)| key.0 == *s && key.1 == *k) {
            ignored.push(format!("{} (line {})", e.key, e.line));
        }
    }
    if !ignored.is_empty() {
        notes.push(format!(
            "ignored (Tessera has no such setting, or SCALE-Sim uses it for its traces only): {}",
            ignored.join(", ")
        ));
    }

    Ok(Imported {
        spec: ArchSpec {
            name,
            note: None,
            array: ArraySpec {
                rows,
                cols,
                dataflow,
                weight_double_buffer: false,
                noc: Default::default(),
                rf_weights: None,
            },
            datatypes: DatatypeSpec {
                operand_bits: OPERAND_BITS,
                accumulator_bits: ACCUMULATOR_BITS,
            },
            buffers: BuffersSpec {
                input,
                weight,
                accumulator,
            },
            dram: DramSpec {
                bytes_per_cycle,
                latency_cycles: defaults.dram_latency_cycles,
                outstanding_transfers: None,
                words_per_cycle: None,
            },
            clock_mhz: defaults.clock_mhz,
            tech: None,
        },
        file: origin.to_path_buf(),
        notes,
        origins,
    })
}
