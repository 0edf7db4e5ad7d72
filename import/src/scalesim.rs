//! SCALE-Sim's input files: topology CSVs → [`WorkloadSpec`](tessera_workloads::WorkloadSpec),
//! configurations → [`ArchSpec`](tessera_arch::ArchSpec).
//!
//! SCALE-Sim (github.com/scalesim-project/scale-sim-v2) describes a run with two files; the rules
//! below follow its readers (`scalesim/topology_utils.py`, `scalesim/scale_config.py`) and its
//! example files, some of which are under `import/tests/data/scalesim/`.
//!
//! # Topology CSV ([`topology`])
//!
//! The first line is a header, which SCALE-Sim skips; the importer uses it to tell the two forms
//! apart (SCALE-Sim is told by its `-i gemm` switch instead; [`topology::parse_as`] takes the form
//! explicitly). Each row ends with a comma in SCALE-Sim's files (its reader drops the last field of
//! every row); the importer accepts rows with or without it, skips blank rows and rows of empty
//! fields, and strips spaces around fields and a UTF-8 byte order mark.
//!
//! **Conv form.** `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
//! Num Filter, Strides,` — one stride for both axes, or a ninth column with the width's stride (as
//! SCALE-Sim's reader allows). SCALE-Sim has no padding and no batch: its IFMAP is what is convolved
//! ("valid"), so each row becomes a standalone
//! `Conv2d { in_shape: [1, Channels, IFMAP Height, IFMAP Width], out_channels: Num Filter,
//! kernel: (Filter Height, Filter Width), stride, padding: (0, 0) }`. One exception, so that the
//! output size and MACs are SCALE-Sim's: SCALE-Sim's output size is
//! `ceil((IFMAP - Filter + stride) / stride)`, one more than the valid size when the stride does
//! not divide `IFMAP - Filter` (AlexNet's first layer: 224 wide, 11 wide filter, stride 4 → 55, not
//! 54), and its last window reads past the IFMAP, where it fetches nothing (zeros). Such a layer
//! gets that overhang as `padding_end` (a note lists them), and then has exactly SCALE-Sim's
//! output size, GEMM shape and MACs (the tests compare every layer of the example topologies with
//! SCALE-Sim's own `topology_utils.py`). A layer whose name contains `DP` is
//! depthwise in SCALE-Sim (it runs one single-channel convolution per channel): it becomes a
//! grouped convolution with `groups = Channels` and `Channels × Num Filter` output channels, the
//! same MACs.
//!
//! **GEMM form.** `Layer, M, N, K,` — **the columns are M, N, K, in that order**, and SCALE-Sim
//! reads the row as `C[M×N] = A[M×K] · B[K×N]`: M output rows (its "ofmap pixels"), N output
//! columns (its "filters"), K the reduction (its "window"). Tessera's `Gemm` is written
//! `m, k, n`, so the mapping is `Gemm { m: M, k: K, n: N }` — the second and third columns swap
//! places. Reading the columns in Tessera's order instead swaps K and N: the MACs stay the same,
//! so nothing complains, but the tiles, utilisation and cycles change (by 8–19 %, as reported
//! when this importer was asked for). The test `gemm_columns_are_m_n_k` pins the mapping against
//! SCALE-Sim's own conversion of a GEMM row to a convolution (IFMAP M×K, a 1×K filter, N
//! filters), and a header that names the columns in another order (`M, K, N`) is refused, since
//! SCALE-Sim would read it as M, N, K all the same.
//!
//! # Configuration (`.cfg`, [`config`])
//!
//! An INI file as Python's `configparser` reads it (`key: value` or `key = value`, keys in any
//! case, `#` and `;` comments):
//!
//! | SCALE-Sim | Tessera |
//! | --- | --- |
//! | `[general] run_name` | `name` (made a valid identifier; the file's stem when absent) |
//! | `ArrayHeight`, `ArrayWidth` | `array.rows`, `array.cols` |
//! | `Dataflow` `ws` / `os` / `is` | `array.dataflow` `WeightStationary` / `OutputStationary` / `InputStationary` (the ifmap buffer is the input buffer, its words `C` bytes on an input-stationary array) |
//! | `IfmapSramSzkB`, `FilterSramSzkB`, `OfmapSramSzkB` (KiB) | `buffers.input`, `.weight`, `.accumulator` `capacity_bytes`: KiB × 1024, rounded **down** to a multiple of banks × word bytes (the word is R operand bytes for the input buffer, C for the weight buffer, 4·C for the accumulator), so the buffer never holds more than SCALE-Sim's SRAM; a note gives every rounding |
//! | `Bandwidth` (words per cycle; the first of a list, as SCALE-Sim uses) | `dram.bytes_per_cycle` (SCALE-Sim's words are 1 byte). SCALE-Sim uses it only with `InterfaceBandwidth: USER`; with `CALC` it computes the bandwidth a stall-free run needs, which Tessera cannot, so the file's `Bandwidth` is used and a note says so |
//!
//! What SCALE-Sim does not say, and the defaults ([`ConfigDefaults`]): 2 banks per buffer
//! (SCALE-Sim's scratchpads are double-buffered, half active and half filling), a DRAM latency of 1
//! cycle (SCALE-Sim's DRAM port answers after 1 cycle), 10 bytes per cycle when there is no
//! `Bandwidth` (SCALE-Sim's own starting figure and the value in all its example configurations),
//! a 500 MHz clock (SCALE-Sim counts cycles only; the clock changes times, not cycles), and int8
//! operands with int32 accumulators (SCALE-Sim's words are one byte; Tessera accumulates in 32
//! bits, so an accumulator buffer of the same bytes holds a quarter of the outputs).
//!
//! Ignored, with a note: the DRAM address offsets (`IfmapOffset`, `FilterOffset`, `OfmapOffset`,
//! used for SCALE-Sim's traces), `MemoryBanks` (not read by SCALE-Sim v2), `[network_presets]
//! TopologyCsvLoc` (import the topology file itself), and any key Tessera does not know.
//!
//! # Errors
//!
//! A malformed file gives a `BadInput` error naming the file, the line (and column) and the
//! column or key; [`Imported::validate`](crate::Imported::validate) maps a validation error back
//! to the line the field came from.

pub mod config;
pub mod topology;

pub use config::{parse_config, parse_config_with, read_config, ConfigDefaults};
pub use topology::{parse_topology, read_topology, Form};

/// The largest SCALE-Sim file read (16 MiB: the largest example topologies are a few KiB).
pub const MAX_SCALESIM_BYTES: u64 = 16 << 20;

use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};

/// Read a text file (a UTF-8 byte order mark is dropped).
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = crate::read_bytes(path, MAX_SCALESIM_BYTES, "a SCALE-Sim file")?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Diagnostic::new(format!("is not UTF-8 text ({e})")).in_file(path))?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// An error at a line and column of `origin`.
pub(crate) fn at(origin: &Path, line: usize, col: usize, message: String) -> Diagnostic {
    let mut d = Diagnostic::new(message).in_file(origin);
    d.position = Some((line, col));
    d
}
