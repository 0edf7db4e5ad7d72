//! `tessera search` and `tessera demo`: arguments, progress bars and printing.

use crate::print;
use crate::{load_arch, load_workload, print_json};
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_flow::codesign::{export_best, verify_best};
use tessera_flow::demo::{DemoReport, Stage};
use tessera_search::{Objective, Phase, SearchConfig, SearchResult, Strategy};
use tessera_verif::{ExportReport, VerifyReport};

#[derive(Args)]
pub struct SearchArgs {
    /// Base accelerator: DRAM, clock and the default space and constraints come from it.
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    #[arg(long, default_value = "mlp_small")]
    workload: String,
    /// A SearchConfig RON file (space, constraints, objective, strategy, budget, seed); flags below
    /// override its fields.
    #[arg(long)]
    config: Option<PathBuf>,
    /// latency | energy | edp
    #[arg(long)]
    objective: Option<String>,
    /// random | evolutionary | bayesian
    #[arg(long)]
    strategy: Option<String>,
    /// Evaluation budget.
    #[arg(long)]
    evaluations: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Write the best design's RON and Verilog to this folder.
    #[arg(long)]
    export: Option<PathBuf>,
    /// Verify the best design under Verilator on the workload.
    #[arg(long)]
    verify: bool,
    #[arg(long)]
    json: bool,
}

/// What `tessera search --json` prints: the search result, plus export and verify when asked.
#[derive(Serialize)]
struct SearchOut {
    #[serde(flatten)]
    result: SearchResult,
    export: Option<ExportReport>,
    verify: Option<VerifyReport>,
}

fn config(a: &SearchArgs, base: &Arch) -> Result<SearchConfig> {
    let mut c = match &a.config {
        Some(p) => SearchConfig::load(p)?,
        None => SearchConfig::default_for(base),
    };
    if let Some(o) = &a.objective {
        c.objective = match o.as_str() {
            "latency" => Objective::Latency,
            "energy" => Objective::Energy,
            "edp" => Objective::Edp,
            _ => {
                return Err(Diagnostic::field(
                    "--objective",
                    format!("{o:?}: expected latency, energy or edp"),
                ))
            }
        };
    }
    if let Some(s) = &a.strategy {
        c.strategy = match s.as_str() {
            "random" => Strategy::Random,
            "evolutionary" => Strategy::evolutionary(),
            "bayesian" => Strategy::bayesian(),
            _ => {
                return Err(Diagnostic::field(
                    "--strategy",
                    format!("{s:?}: expected random, evolutionary or bayesian"),
                ))
            }
        };
    }
    if let Some(n) = a.evaluations {
        c.evaluations = n;
    }
    if let Some(s) = a.seed {
        c.seed = s;
    }
    c.validate()?;
    Ok(c)
}

/// A progress bar for the search's phases (hidden when `quiet`).
fn progress_bar(quiet: bool, total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len}")
            .expect("valid template"),
    );
    bar
}

fn show_progress(bar: &indicatif::ProgressBar, phase: Phase, done: usize, total: usize) {
    bar.set_message(match phase {
        Phase::Explore => "exploring",
        Phase::Resimulate => "re-simulating",
    });
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

fn print_search(r: &SearchResult) {
    let b = &r.best;
    outln!(
        "search ({}, objective {:?}, seed {}): {} evaluations ({} distinct; {} invalid and {} infeasible points skipped) of a {}-point space",
        r.strategy.name(),
        r.objective,
        r.seed,
        r.evaluated,
        r.distinct_evaluated,
        r.invalid_skipped,
        r.infeasible_skipped,
        r.space_size
    );
    outln!("  top {} re-simulated cycle by cycle:", r.top.len());
    for f in &r.top {
        outln!(
            "    {:<36} analytical {:>9} cycles, simulated {:>9} cycles ({:+.2} %), {:.3e} pJ, {:.0} µm²",
            f.arch.name,
            f.analytical.cycles,
            f.simulated.cycles,
            f.cycle_error_pct,
            f.simulated.energy_pj,
            f.simulated.area_um2
        );
    }
    outln!(
        "  best: {} ({}, {}x{} PEs, {} B SRAM, area {:.0} µm²)",
        b.arch.name,
        b.point.dataflow.name(),
        b.point.rows,
        b.point.cols,
        b.simulated.sram_bytes,
        b.simulated.area_um2
    );
    outln!(
        "    simulated:  {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ",
        b.simulated.cycles,
        b.simulated.energy_pj,
        b.simulated.edp_cycles_pj
    );
    outln!(
        "    analytical: {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ",
        b.analytical.cycles,
        b.analytical.energy_pj,
        b.analytical.edp_cycles_pj
    );
    if let Some(base) = &r.base_analytical {
        outln!(
            "  base {} (analytical, as the best's analytical line): {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ",
            r.base_arch,
            base.cycles,
            base.energy_pj,
            base.edp_cycles_pj
        );
    }
}

pub fn run(a: SearchArgs) -> Result<ExitCode> {
    let base = load_arch(&a.arch)?;
    let w = load_workload(&a.workload)?;
    let cfg = config(&a, &base)?;
    let bar = progress_bar(a.json, cfg.evaluations as u64);
    let r = tessera_search::search_with_progress(&cfg, &base, &w, &|p, d, t| {
        show_progress(&bar, p, d, t)
    });
    bar.finish_and_clear();
    let r = r?;
    let tools = if a.export.is_some() || a.verify {
        Some(tessera_verif::Tools::find()?)
    } else {
        None
    };
    let export = match (&a.export, &tools) {
        (Some(d), Some(t)) => Some(export_best(&r, d, false, t)?),
        _ => None,
    };
    let verify = match (a.verify, &tools) {
        (true, Some(t)) => Some(verify_best(&r, &w, cfg.seed, t)?),
        _ => None,
    };
    let failed = verify.as_ref().is_some_and(|v| !v.passed);
    if a.json {
        print_json(&SearchOut {
            result: r,
            export,
            verify,
        })?;
    } else {
        print_search(&r);
        if let Some(e) = &export {
            outln!("  exported {} files to {}", e.files.len(), e.out_dir);
        }
        if let Some(v) = &verify {
            print::verify(v);
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The demo: every stage printed as it finishes (or one JSON object at the end).
pub fn demo(json: bool) -> Result<ExitCode> {
    let tools = tessera_flow::demo::demo_tools();
    let out = PathBuf::from("tessera-out").join("demo");
    let bar = progress_bar(json, 0);
    let mut heading = 0;
    let mut say = |title: &str| {
        if !json {
            heading += 1;
            outln!("\n== {heading}. {title}");
        }
    };
    let mut on_stage = |s: Stage| {
        if json {
            return;
        }
        match s {
            Stage::Estimate(e) => {
                say(&format!("estimate (analytical model) on {}", e.arch));
                outln!(
                    "  {} on {} ({}): {} cycles, {:.3e} pJ, area {:.0} µm², utilization {:.1} %",
                    e.workload,
                    e.arch,
                    e.dataflow,
                    e.totals.cycles,
                    e.totals.energy_pj,
                    e.area_um2,
                    100.0 * e.totals.utilization
                );
            }
            Stage::Simulate(s) => {
                say(&format!(
                    "simulate (cycle-level, event engine, real int8 data) on {}",
                    s.arch
                ));
                outln!(
                    "  {} cycles, {:.3e} pJ, outputs {} the reference executor",
                    s.totals.cycles,
                    s.totals.energy_pj,
                    if s.matches_reference {
                        "match"
                    } else {
                        "DIFFER from"
                    }
                );
            }
            Stage::Validate(v) => {
                say("validate (analytical vs cycle simulator, both dataflows)");
                print::validate(v);
            }
            Stage::Search(r, choice) => {
                bar.finish_and_clear();
                say("search (evolutionary, EDP, both dataflows, within the 16x16's PEs and SRAM)");
                print_search(r);
                for c in choice {
                    outln!(
                        "  best {}: {} at {:.3e} {} (analytical)",
                        c.dataflow,
                        c.best_design,
                        c.objective,
                        r.objective_unit
                    );
                }
                outln!("  chosen: {}", r.best.point.dataflow.name());
            }
            Stage::Export(e) => {
                say("export the best design (Verilog, verilator -Wall, yosys synth)");
                print::export(e);
            }
            Stage::Verify(v) => {
                say("verify the best design under Verilator (outputs and cycles vs the simulator)");
                print::verify(v);
            }
            Stage::Skipped(s) => {
                say(&format!("{}: SKIPPED", s.stage));
                outln!("  {}", s.reason);
                outln!("  to run it, install the tools: {}", s.install);
            }
        }
    };
    let r: DemoReport = tessera_flow::demo::demo(
        tools.as_ref().map_err(|e| e.clone()),
        &out,
        &mut on_stage,
        &|p, d, t| show_progress(&bar, p, d, t),
    )?;
    bar.finish_and_clear();
    if json {
        print_json(&r)?;
    }
    Ok(if r.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
