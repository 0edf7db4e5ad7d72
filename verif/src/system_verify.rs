//! The RTL ≡ simulator check for a system of sub-accelerators sharing one DRAM channel
//! (docs/TIMING.md, "Systems"): the cycle simulator runs every sub-accelerator's program on its own
//! region; the system's Verilog (each sub-accelerator, the arbiter, the system top) runs the same
//! programs, relocated to their regions of one DRAM image, under Verilator. Every region must be
//! bit-exact, every sub-accelerator's cycle count equal, and the outputs the reference's.
//!
//! What it leaves out: the event trace (the system testbench compares outputs and cycles; the
//! channel's grants are implied by the cycle counts, not compared event by event).

use crate::tools::Tools;
use serde::Serialize;
use tessera_arch::Arch;
use tessera_core::diag::{Kind, Result};
use tessera_mapping::MappingSpec;
use tessera_sim::system::{build_jobs, shared_image, System};
use tessera_sim::{simulate_system, SimOptions, SubRun};

#[derive(Clone, Debug, Serialize)]
pub struct SystemVerifyReport {
    pub system: String,
    /// What `verilator --lint-only -Wall` said of the system's Verilog.
    pub lint: String,
    pub lint_clean: bool,
    /// Each sub-accelerator's cycles: simulator, RTL.
    pub sim_cycles: Vec<u64>,
    pub rtl_cycles: Vec<u64>,
    /// Every region of the RTL's DRAM equals the simulator's.
    pub bit_exact: bool,
    /// And holds the reference outputs of every layer.
    pub matches_reference: bool,
    pub cycles_equal: bool,
    /// The RTL run broke the contract (a DRAM violation, a timeout): the testbench's message.
    pub rtl_error: Option<String>,
    pub passed: bool,
}

/// Verify `sys` with the mapper's mappings (`spec`) and operands from `seed`.
pub fn verify_system(
    sys: &System,
    spec: &MappingSpec,
    seed: u64,
    tools: &Tools,
) -> Result<SystemVerifyReport> {
    let jobs = build_jobs(sys, spec, seed)?;
    let archs: Vec<Arch> = sys.subs.iter().map(|(a, _)| a.clone()).collect();
    let design = tessera_rtl_gen::emit_system(&sys.name, &archs)?;
    let lint = match crate::lint(&design, tools) {
        Ok(r) => format!(
            "{} -Wall: no warnings in {} files",
            r.verilator_version, r.files
        ),
        Err(e) if e.kind == Kind::CheckFailed => format!("FAILED: {}", e.message),
        Err(e) => return Err(e),
    };
    let lint_clean = !lint.starts_with("FAILED");
    let sim = simulate_system(
        archs
            .iter()
            .zip(&jobs)
            .map(|(arch, j)| SubRun {
                arch,
                program: &j.program,
                dram: j.image.clone(),
            })
            .collect(),
        &SimOptions::default(),
    )?;
    let sim_cycles: Vec<u64> = sim.iter().map(|r| r.report.cycles.get()).collect();
    let (bases, image) = shared_image(&jobs)?;
    let programs = jobs
        .iter()
        .zip(&bases)
        .map(|(j, &b)| Ok(j.program.relocate(b)?.encode()))
        .collect::<Result<Vec<_>>>()?;
    let max_cycles = sim_cycles
        .iter()
        .max()
        .copied()
        .unwrap_or(0)
        .saturating_mul(2)
        .saturating_add(10_000);
    let report = |rtl_cycles: Vec<u64>, bit_exact, matches_reference, rtl_error: Option<String>| {
        let cycles_equal = rtl_error.is_none() && rtl_cycles == sim_cycles;
        SystemVerifyReport {
            system: sys.name.clone(),
            lint: lint.clone(),
            lint_clean,
            sim_cycles: sim_cycles.clone(),
            passed: lint_clean && bit_exact && matches_reference && cycles_equal,
            rtl_cycles,
            bit_exact,
            matches_reference,
            cycles_equal,
            rtl_error,
        }
    };
    let rtl = match crate::run_system_rtl(&archs, &design, &programs, &image, max_cycles, tools) {
        Ok(r) => r,
        Err(e) if e.kind == Kind::CheckFailed => {
            return Ok(report(vec![], false, false, Some(e.message)));
        }
        Err(e) => return Err(e),
    };
    let mut bit_exact = rtl.dram.len() == image.len();
    let mut matches_reference = true;
    for ((j, s), &b) in jobs.iter().zip(&sim).zip(&bases) {
        let b = b as usize;
        let region = rtl.dram.get(b..b + j.image.len()).unwrap_or(&[]);
        bit_exact &= region == s.dram.as_slice();
        matches_reference &= j.outputs_match(region) && j.outputs_match(&s.dram);
    }
    Ok(report(rtl.cycles, bit_exact, matches_reference, None))
}
