//! Yosys synthesis of the generated RTL as an area proxy and a structural check.
//!
//! Runs the script from [`Design::yosys_script`] (generic `synth`, hierarchical, SRAM banks as black
//! boxes) and reads `stat -json` of the top module. What it models: a
//! generic gate count per cell type. What it leaves out: a technology library, timing, the area of the
//! memories (each black box counts as one cell). Latches are counted (cells and Yosys's "Latch
//! inferred" lines); an export with any latch fails, since every register in the templates is
//! clocked.

use crate::tools::Tools;
use std::collections::BTreeMap;
use std::process::Command;
use tessera_core::diag::{Diagnostic, Result};
use tessera_rtl_gen::Design;

/// Cell counts of the whole hierarchy under the top module, and the latches Yosys inferred.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthReport {
    pub cells: u64,
    pub cells_by_type: BTreeMap<String, u64>,
    /// Latch cells (`$_DLATCH_*`, `$dlatch`, `$_SR_*`, ...) in the synthesised netlist.
    pub latches: u64,
    /// Yosys's "Latch inferred" log lines.
    pub inferred_latches: Vec<String>,
}

impl SynthReport {
    /// An error naming the latches, if synthesis inferred any (every register must be clocked).
    pub fn require_no_latches(&self, top: &str) -> Result<()> {
        if self.latches == 0 && self.inferred_latches.is_empty() {
            return Ok(());
        }
        Err(Diagnostic::check_failed(format!(
            "synthesis of {top} inferred {} latch cell(s); every register must be clocked:\n{}",
            self.latches,
            self.inferred_latches.join("\n")
        )))
    }
}

/// Synthesise `design` with Yosys. A failed run is an error; latches are counted in the report (see
/// [`SynthReport::require_no_latches`], which export applies).
pub fn synth(design: &Design, tools: &Tools) -> Result<SynthReport> {
    let yosys = tools.yosys()?;
    let dir = crate::proc::temp_dir("tessera-synth-", None)?;
    design.write_to(dir.path())?;
    let script = design.yosys_script("stat.json")?;
    tessera_core::load::write_atomic(&dir.path().join("synth.ys"), script.as_bytes())?;
    let out = crate::proc::run(
        Command::new(yosys).current_dir(dir.path()).args([
            "-q",
            "-l",
            "yosys.log",
            "-s",
            "synth.ys",
        ]),
        "yosys",
    )?;
    let log = std::fs::read_to_string(dir.path().join("yosys.log")).unwrap_or_default();
    if !out.status.success() {
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(Diagnostic::tool(format!(
            "yosys failed on {}:\n{}\n{}",
            design.top,
            String::from_utf8_lossy(&out.stderr).trim(),
            tail.join("\n")
        )));
    }
    let json = std::fs::read_to_string(dir.path().join("stat.json"))
        .map_err(|e| Diagnostic::tool(format!("yosys wrote no stat.json: {e}")))?;
    let mut report = parse_stat(&json)?;
    report.inferred_latches = log
        .lines()
        .filter(|l| l.contains("Latch inferred"))
        .map(|l| l.trim().to_string())
        .collect();
    Ok(report)
}

fn is_latch(cell_type: &str) -> bool {
    let t = cell_type.to_ascii_lowercase();
    t.contains("dlatch") || t.starts_with("$_sr_") || t == "$sr"
}

/// Parse `stat -json -top` output. Yosys 0.23 prints the hierarchy tree into the JSON text (lines
/// like `   ws_2x3_array   1` between the modules and `"design"`); such lines are dropped first.
pub(crate) fn parse_stat(text: &str) -> Result<SynthReport> {
    let cleaned: String = text
        .lines()
        .filter(|l| {
            matches!(
                l.trim_start().chars().next(),
                None | Some('"' | '{' | '}' | '[' | ']' | ',')
            )
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let v: serde_json::Value = serde_json::from_str(&cleaned)
        .map_err(|e| Diagnostic::tool(format!("cannot parse yosys stat -json output: {e}")))?;
    let design = v.get("design").ok_or_else(|| {
        Diagnostic::tool("yosys stat -json output has no \"design\" section (was -top given?)")
    })?;
    let cells = design
        .get("num_cells")
        .and_then(|c| c.as_u64())
        .ok_or_else(|| Diagnostic::tool("yosys stat -json: design.num_cells missing"))?;
    let mut cells_by_type = BTreeMap::new();
    if let Some(m) = design.get("num_cells_by_type").and_then(|m| m.as_object()) {
        for (k, n) in m {
            cells_by_type.insert(k.clone(), n.as_u64().unwrap_or(0));
        }
    }
    let latches = cells_by_type
        .iter()
        .filter(|(k, _)| is_latch(k))
        .map(|(_, n)| n)
        .sum();
    Ok(SynthReport {
        cells,
        cells_by_type,
        latches,
        inferred_latches: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_hierarchy_lines_parses() {
        let text = r#"{
   "creator": "Yosys 0.23",
   "modules": {
      "\\x_pe": { "num_cells": 3, "num_cells_by_type": { "$_AND_": 3 } }
   },
       x_array                  1
         x_pe                   6
      "design": {
         "num_cells":         21,
         "num_cells_by_type": {
            "$_AND_": 18,
            "$_DLATCH_P_": 2,
            "x_sram": 1
         }
      }
}
"#;
        let r = parse_stat(text).unwrap();
        assert_eq!(r.cells, 21);
        assert_eq!(r.latches, 2);
        assert_eq!(r.cells_by_type["x_sram"], 1);
    }
}
