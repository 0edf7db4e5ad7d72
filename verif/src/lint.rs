//! `verilator --lint-only -Wall` on the generated RTL (not on the testbench). Any warning is an error:
//! the templates are kept warning-free, and the few deliberate exceptions are waived in the RTL itself
//! (`lint_off` around the array's unused edge wires, `unused_*` sinks for bits no field uses).

use crate::tools::Tools;
use std::process::Command;
use tessera_core::diag::{Diagnostic, Result};
use tessera_rtl_gen::Design;

/// A clean lint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintReport {
    pub top: String,
    pub files: usize,
    pub verilator_version: String,
}

/// Lint every file of `design` with `-Wall`; an error lists every warning.
pub fn lint(design: &Design, tools: &Tools) -> Result<LintReport> {
    let dir = crate::proc::temp_dir("tessera-lint-", None)?;
    design.write_to(dir.path())?;
    let out = crate::proc::run(
        Command::new(&tools.verilator)
            .current_dir(dir.path())
            .args(["--lint-only", "-Wall", "--top-module", &design.top])
            .args(design.files.iter().map(|f| f.name.as_str())),
        "verilator --lint-only",
    )?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let findings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("%Warning") || l.starts_with("%Error"))
        .collect();
    if !out.status.success() || !findings.is_empty() {
        let listed = if findings.is_empty() {
            stderr.trim().to_string()
        } else {
            findings.join("\n")
        };
        return Err(Diagnostic::check_failed(format!(
            "verilator --lint-only -Wall on {} found {} problem(s):\n{listed}",
            design.top,
            findings.len()
        )));
    }
    Ok(LintReport {
        top: design.top.clone(),
        files: design.files.len(),
        verilator_version: tools.verilator_version.clone(),
    })
}
