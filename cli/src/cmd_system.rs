//! `tessera system FILE`: sub-accelerators that share one DRAM channel, each running its workloads,
//! simulated cycle by cycle together (docs/TIMING.md, "Systems"), with each one's cycles alone and
//! shared, the contention, and the analytical estimate's error; `--verify` runs the system's Verilog
//! under Verilator on the same programs and data.

use crate::{load_arch, load_workload, print_json};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::MappingSpec;
use tessera_sim::system::{simulate_system_report, System, SystemReport, SystemSpec};
use tessera_sim::Engine;

#[derive(Args)]
pub struct SystemArgs {
    /// A system file (RON): `SystemSpec(name: .., dram: Some((bytes_per_cycle: .., latency_cycles:
    /// ..)), subs: [(arch: .., workloads: [..]), ..])`; arch and workload names are built-ins or
    /// files relative to the system file.
    file: PathBuf,
    /// event (default) or stepped
    #[arg(long, default_value = "event")]
    engine: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What the mapper minimises for every layer: latency (default), energy or edp (a system
    /// `tessera multitask --dram shared --export` wrote runs with its objective's mappings).
    #[arg(long, value_parser = ["latency", "energy", "edp"])]
    map_for: Option<String>,
    /// Also run the system's Verilog under Verilator and compare (bit-exact, equal cycles).
    #[arg(long)]
    verify: bool,
    #[arg(long)]
    json: bool,
}

/// A built-in name as is, else a path relative to the system file's folder.
fn resolve(name: &str, dir: &Path, builtin: bool) -> String {
    if builtin || Path::new(name).is_absolute() {
        return name.to_string();
    }
    dir.join(name).display().to_string()
}

/// Read and validate a system file; errors name the file.
pub fn load_system(file: &Path) -> Result<System> {
    let spec: SystemSpec = tessera_core::load::read_ron(file)?;
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut subs = vec![];
    for (i, s) in spec.subs.iter().enumerate() {
        let arch_name = resolve(
            &s.arch,
            dir,
            tessera_arch::builtin::names().contains(&s.arch.as_str()),
        );
        let arch = load_arch(&arch_name)
            .map_err(|e| Diagnostic::field(format!("subs[{i}].arch"), e.message).in_file(file))?;
        let mut workloads = vec![];
        for (j, w) in s.workloads.iter().enumerate() {
            let builtin = crate::WORKLOADS.iter().any(|b| b.0 == w);
            workloads.push(load_workload(&resolve(w, dir, builtin)).map_err(|e| {
                Diagnostic::field(format!("subs[{i}].workloads[{j}]"), e.message).in_file(file)
            })?);
        }
        subs.push((arch.spec().clone(), workloads));
    }
    System::new(&spec.name, spec.dram.as_ref(), subs).map_err(|e| e.in_file(file))
}

#[derive(serde::Serialize)]
struct Out {
    #[serde(flatten)]
    report: SystemReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    verify: Option<tessera_verif::SystemVerifyReport>,
}

pub fn run(a: SystemArgs) -> Result<ExitCode> {
    let sys = load_system(&a.file)?;
    let engine: Engine = a.engine.parse()?;
    let spec = MappingSpec {
        objective: a
            .map_for
            .as_deref()
            .and_then(tessera_mapping::Objective::parse),
        ..MappingSpec::default()
    };
    let report = simulate_system_report(&sys, &spec, engine, a.seed)?;
    let verify = if a.verify {
        let tools = tessera_verif::Tools::find()?;
        Some(tessera_verif::verify_system(&sys, &spec, a.seed, &tools)?)
    } else {
        None
    };
    let ok = report.matches_reference && verify.as_ref().is_none_or(|v| v.passed);
    if a.json {
        print_json(&Out { report, verify })?;
    } else {
        print(&report, verify.as_ref());
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print(r: &SystemReport, v: Option<&tessera_verif::SystemVerifyReport>) {
    outln!(
        "system {}: {} sub-accelerators sharing one DRAM channel of {} B/cycle, latency {} cycles ({} engine, seed {})",
        r.system,
        r.subs.len(),
        r.dram_bytes_per_cycle,
        r.dram_latency_cycles,
        match r.engine {
            Engine::Event => "event",
            Engine::Stepped => "stepped",
        },
        r.seed
    );
    outln!(
        "{:>3} {:<18} {:<16} {:>6} {:>14} {:>14} {:>12} {:>12} {:>12} {:>14} {:>8} {:>6}",
        "sub",
        "arch",
        "dataflow",
        "layers",
        "alone cycles",
        "shared cycles",
        "contention",
        "DMA waits",
        "hold cycles",
        "estimate",
        "error %",
        "ref"
    );
    for s in &r.subs {
        outln!(
            "{:>3} {:<18} {:<16} {:>6} {:>14} {:>14} {:>12} {:>12} {:>12} {:>14} {:>8.2} {:>6}",
            s.index,
            s.arch,
            s.dataflow,
            s.layers,
            s.alone_cycles,
            s.cycles,
            s.contention_cycles,
            s.dram_wait_cycles,
            s.channel_hold_cycles,
            s.estimated_cycles,
            s.estimate_error_pct,
            if s.matches_reference { "ok" } else { "DIFFER" }
        );
    }
    outln!(
        "system: {} cycles (the last to finish), {:.4e} pJ (interconnect {:.4e} pJ), shared channel held {:.1} % of the cycles",
        r.cycles,
        r.energy_pj,
        r.noc_energy_pj,
        100.0 * r.channel_utilization
    );
    outln!("estimate: {}", r.model);
    if let Some(v) = v {
        print_verify(v);
    }
}

/// One line: a system's Verilog against the simulator.
pub fn print_verify(v: &tessera_verif::SystemVerifyReport) {
    outln!(
        "verify (Verilator, {}): {} — outputs bit-exact: {}, cycles equal: {} (RTL {:?} vs simulator {:?} cycles)",
        v.lint,
        if v.passed { "PASS" } else { "FAIL" },
        v.bit_exact,
        v.cycles_equal,
        v.rtl_cycles,
        v.sim_cycles
    );
    if let Some(e) = &v.rtl_error {
        outln!("  RTL error: {e}");
    }
}
