//! `tessera multitask`: several networks with latency specs on a system of sub-accelerators chosen
//! together (NASAIC), beside the "design each separately, then combine" baseline.

use crate::{load_arch, load_workload, print_json};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_core::diag::{Diagnostic, Result};
use tessera_search::multitask::{
    search_multitask, DramMode, MultiTaskConfig, MultiTaskResult, SystemReport, Task,
};
use tessera_search::Objective;

#[derive(Args)]
pub struct MultiTaskArgs {
    /// Base accelerator: the DRAM channel (shared by the sub-accelerators), clock, technology, and
    /// the default space and budget (its PEs and SRAM).
    #[arg(long, default_value = "ws_32x32")]
    arch: String,
    /// The tasks: WORKLOAD[:MAX_CYCLES],... (a latency spec in cycles per task, optional).
    #[arg(long, value_name = "LIST")]
    tasks: Option<String>,
    /// A MultiTaskConfig RON file; the flags below override its fields.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Sub-accelerators the system may have (1..=8).
    #[arg(long)]
    max_subaccelerators: Option<usize>,
    /// energy | latency | edp (of the whole system)
    #[arg(long, value_parser = ["energy", "latency", "edp"])]
    objective: Option<String>,
    /// The base's DRAM channel partitioned statically among the sub-accelerators, or shared whole
    /// by all of them (arbitrated transfer by transfer; latencies by the contention estimate, the
    /// best system simulated together).
    #[arg(long, value_parser = ["partitioned", "shared"])]
    dram: Option<String>,
    /// Systems evaluated.
    #[arg(long)]
    evaluations: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Write every sub-accelerator of the best system (Verilog, linted, and its RON) under DIR;
    /// with --dram shared also DIR/system.ron (for `tessera system`) and the system's Verilog.
    #[arg(long, value_name = "DIR")]
    export: Option<PathBuf>,
    /// Verify every task under Verilator on its sub-accelerator (bit-exact, equal cycles); with
    /// --dram shared, the whole system's Verilog against the simulator.
    #[arg(long)]
    verify: bool,
    #[arg(long)]
    json: bool,
}

/// What `--json` prints: the result, and the exports and verifications when asked.
#[derive(serde::Serialize)]
struct Out {
    #[serde(flatten)]
    result: MultiTaskResult,
    export: Option<Vec<tessera_verif::ExportReport>>,
    verify: Option<Vec<tessera_verif::VerifyReport>>,
    /// With a shared channel: the system's Verilog against the simulator.
    #[serde(skip_serializing_if = "Option::is_none")]
    verify_system: Option<tessera_verif::SystemVerifyReport>,
}

fn parse_tasks(list: &str) -> Result<Vec<Task>> {
    list.split(',')
        .map(|item| {
            let (name, spec) = match item.split_once(':') {
                Some((n, c)) => (n, Some(c)),
                None => (item, None),
            };
            let max_cycles = spec
                .map(|c| {
                    c.trim().replace('_', "").parse::<u64>().map_err(|_| {
                        Diagnostic::field(
                            "--tasks",
                            format!("{item:?}: the latency spec must be a whole number of cycles"),
                        )
                    })
                })
                .transpose()?;
            if name.trim().is_empty() {
                return Err(Diagnostic::field("--tasks", "an empty workload name"));
            }
            Ok(Task {
                workload: name.trim().to_string(),
                max_cycles,
            })
        })
        .collect()
}

pub fn run(a: MultiTaskArgs) -> Result<ExitCode> {
    let base = load_arch(&a.arch)?;
    let mut cfg = match &a.config {
        Some(p) => {
            let c = tessera_core::load::read_ron::<MultiTaskConfig>(p)?;
            if a.tasks.is_none() {
                c.validate().map_err(|e| e.in_file(p))?;
            }
            c
        }
        None => MultiTaskConfig::default_for(&base, vec![]),
    };
    if let Some(t) = &a.tasks {
        cfg.tasks = parse_tasks(t)?;
    }
    if cfg.tasks.is_empty() {
        return Err(Diagnostic::field(
            "--tasks",
            "give the tasks (e.g. --tasks resnet18:5000000,dqn:200000) or a --config file",
        ));
    }
    if let Some(k) = a.max_subaccelerators {
        cfg.max_subaccelerators = k;
    }
    if let Some(o) = &a.objective {
        cfg.objective = match o.as_str() {
            "latency" => Objective::Latency,
            "edp" => Objective::Edp,
            _ => Objective::Energy,
        };
    }
    if let Some(n) = a.evaluations {
        cfg.evaluations = n;
    }
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(d) = &a.dram {
        cfg.dram = match d.as_str() {
            "shared" => DramMode::Shared,
            _ => DramMode::Partitioned,
        };
    }
    // the file was checked as read: what fails now comes from the flags
    cfg.validate()?;
    let workloads = cfg
        .tasks
        .iter()
        .map(|t| load_workload(&t.workload))
        .collect::<Result<Vec<_>>>()?;
    let bar = indicatif::ProgressBar::new(cfg.evaluations as u64);
    if a.json {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let r = search_multitask(&cfg, &base, &workloads, &|d, t| {
        bar.set_length(t as u64);
        bar.set_position(d as u64);
    });
    bar.finish_and_clear();
    let r = r?;
    let tools = if a.export.is_some() || a.verify {
        Some(tessera_verif::Tools::find()?)
    } else {
        None
    };
    let export = match (&a.export, &tools) {
        (Some(d), Some(t)) => {
            let mut e = tessera_flow::codesign::export_system(&r.best, d, false, t)?;
            if cfg.dram == DramMode::Shared {
                let names = cfg
                    .tasks
                    .iter()
                    .map(|t| system_file_name(&t.workload))
                    .collect::<Vec<_>>();
                e.push(tessera_flow::codesign::export_shared_system(
                    &r.best, &names, d, t,
                )?);
            }
            Some(e)
        }
        _ => None,
    };
    let (verify, verify_system) = match (a.verify, &tools, cfg.dram) {
        (true, Some(t), DramMode::Partitioned) => (
            Some(tessera_flow::codesign::verify_system(
                &r.best, &workloads, cfg.seed, t,
            )?),
            None,
        ),
        (true, Some(t), DramMode::Shared) => (
            None,
            Some(tessera_flow::codesign::verify_shared_system(
                &r.best,
                &workloads,
                cfg.objective,
                cfg.seed,
                t,
            )?),
        ),
        _ => (None, None),
    };
    let failed = verify.iter().flatten().any(|v| !v.passed)
        || verify_system.as_ref().is_some_and(|v| !v.passed);
    if a.json {
        print_json(&Out {
            result: r,
            export,
            verify,
            verify_system,
        })?;
    } else {
        let (dram, combined) = match cfg.dram {
            DramMode::Partitioned => ("shared by static partition", "DRAM split equally"),
            DramMode::Shared => (
                "shared whole, arbitrated (latencies by the contention estimate)",
                "DRAM shared whole",
            ),
        };
        outln!(
            "multi-task search (objective {:?}, seed {}): {} systems ({} distinct, {} task evaluations), DRAM {} B/cycle {dram}",
            r.objective,
            r.seed,
            r.evaluations,
            r.distinct_systems,
            r.task_evaluations,
            base.spec().dram.bytes_per_cycle
        );
        outln!("\nfound (designed together):");
        print_system(&r.best);
        outln!("\nbaseline (each task's best design alone, then combined, {combined}):");
        for (w, c) in &r.baseline.alone {
            match c {
                Some(c) => outln!("  {w:<14} alone, whole budget and DRAM: {c} cycles"),
                None => outln!("  {w:<14} alone: no design meets its spec within the budget"),
            }
        }
        match &r.baseline.combined {
            Some(s) => print_system(s),
            None => outln!(
                "  no combined system: {}",
                r.baseline.note.as_deref().unwrap_or("")
            ),
        }
        if let Some(e) = &export {
            for x in e {
                outln!("\nexported {} files to {}", x.files.len(), x.out_dir);
            }
            if let (Some(d), DramMode::Shared) = (&a.export, cfg.dram) {
                outln!(
                    "\nsystem file: {0} (run it with `tessera system {0} --map-for {1}`)",
                    d.join("system.ron").display(),
                    cfg.objective.name()
                );
            }
        }
        for v in verify.iter().flatten() {
            outln!();
            crate::print::verify(v);
        }
        if let Some(v) = &verify_system {
            outln!();
            crate::cmd_system::print_verify(v);
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A task's workload as a system file names it: a built-in by its name, a file by its absolute
/// path (the system file may be elsewhere; `tessera system` reads relative paths from its folder).
fn system_file_name(workload: &str) -> String {
    if crate::WORKLOADS.iter().any(|b| b.0 == workload) {
        return workload.to_string();
    }
    std::fs::canonicalize(workload)
        .map_or_else(|_| workload.to_string(), |p| p.display().to_string())
}

fn print_system(s: &SystemReport) {
    for sub in &s.subaccelerators {
        outln!(
            "  {:<40} {:>5} PEs, {:>7} B SRAM, {:>3} B/cycle DRAM, {:>9.0} µm²: {}",
            sub.name,
            sub.pes,
            sub.sram_bytes,
            sub.dram_bytes_per_cycle,
            sub.area_um2,
            sub.tasks.join(", ")
        );
        if let Some(c) = &sub.contention {
            let sim = match (c.simulated_cycles, c.estimate_error_pct) {
                (Some(x), Some(e)) => format!(", simulated {x} (estimate error {e:+.2} %)"),
                _ => String::new(),
            };
            outln!(
                "  {:<40} on the shared channel: alone {} cycles, estimated {}{sim}",
                "",
                c.alone_cycles,
                c.estimated_cycles
            );
            // the simulator sees the sub-accelerator's last task end: say when that misses its spec
            let last = s
                .tasks
                .iter()
                .rfind(|t| t.subaccelerator.as_deref() == Some(sub.name.as_str()));
            if let (Some(t), Some(x)) = (last, c.simulated_cycles) {
                if let Some(m) = t.max_cycles.filter(|&m| x > m && t.meets_spec) {
                    outln!(
                        "  {:<40} simulated, {} misses its spec of {m} cycles (the estimate met it)",
                        "",
                        t.workload
                    );
                }
            }
        }
    }
    for t in &s.tasks {
        let spec = t
            .max_cycles
            .map_or("no spec".to_string(), |m| format!("spec {m} cycles"));
        let sim = t
            .simulated_cycles
            .map_or(String::new(), |c| format!(", simulated {c} cycles"));
        outln!(
            "  {:<14} finishes at {:>10} cycles ({} cycles{sim}), {:.3e} pJ, {spec}: {}",
            t.workload,
            t.finish_cycle,
            t.cycles,
            t.energy_pj,
            if t.meets_spec { "met" } else { "MISSED" }
        );
    }
    if let Some(c) = s.simulated_latency_cycles {
        outln!("  system simulated on the shared channel: {c} cycles (the last to finish)");
    }
    outln!(
        "  system: {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ, {} PEs, {} B SRAM, {:.0} µm²; specs {}; budget {}",
        s.latency_cycles,
        s.energy_pj,
        s.edp_cycles_pj,
        s.pes,
        s.sram_bytes,
        s.area_um2,
        if s.meets_specs { "all met" } else { "NOT all met" },
        s.over_budget.as_deref().unwrap_or("met")
    );
}
