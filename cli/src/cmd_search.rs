//! `tessera search` and `tessera demo`: arguments, progress bars and printing.

use crate::print;
use crate::{load_arch, load_workload, print_json};
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_arch::Arch;
use tessera_core::diag::Kind;
use tessera_core::diag::{Diagnostic, Result};
use tessera_flow::codesign::{export_best, verify_best};
use tessera_flow::demo::{DemoReport, Stage};
use tessera_flow::slurm::{self, SlurmFiles, SlurmPlan, Submitted};
use tessera_search::journal::Header;
use tessera_search::{
    Journal, Objective, Persist, Phase, Replay, SearchConfig, SearchResult, Shard, Strategy,
};
use tessera_verif::{ExportReport, VerifyReport};

#[derive(Args)]
pub struct SearchArgs {
    /// Base accelerator: DRAM, clock and the default space and constraints come from it.
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    #[arg(long, default_value = "mlp_small")]
    workload: String,
    /// A SearchConfig RON file (space, constraints, objective, strategy, budget, seed); flags below
    /// override its fields. Its space may list InputStationary and RowStationary beside the
    /// default WeightStationary and OutputStationary, RowStationary with the PEs' register-file
    /// sizes to try (`rf_weights: [4, 16]`); see search/examples/search.ron.
    #[arg(long)]
    config: Option<PathBuf>,
    /// latency | energy | edp
    #[arg(long)]
    objective: Option<String>,
    /// random | evolutionary | bayesian | predictor
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
    /// Write the Pareto front (cycles × energy × area) to this folder as pareto.json, pareto.csv
    /// and pareto.svg.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "slurm"])]
    pareto: Option<PathBuf>,
    #[arg(long)]
    json: bool,
    /// Append every evaluation to this journal as it is made, so the run can be resumed (after a
    /// crash, a kill or Ctrl-C) or merged with other shards.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// Continue the run journaled in --checkpoint (a new journal when it does not exist yet): its
    /// evaluations are replayed, not recomputed, and the result is the uninterrupted run's.
    #[arg(long, requires = "checkpoint")]
    resume: bool,
    /// Journals to take evaluations from instead of computing them; every shard's journal merges a
    /// split run (the result is the one-machine run's).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    replay: Vec<PathBuf>,
    /// Evaluate only shard I of N of the run's distinct candidates into --checkpoint (random
    /// strategy); merge the shards with --replay.
    #[arg(long, value_name = "I/N", requires = "checkpoint")]
    shard: Option<String>,
    /// Write Slurm batch scripts into DIR: an array job of --shards shards and a dependent merge
    /// that writes DIR/result.json (random strategy).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["shard", "checkpoint", "replay", "export", "verify"])]
    slurm: Option<PathBuf>,
    /// Shards of a --slurm run.
    #[arg(long, default_value_t = 4, requires = "slurm")]
    shards: u32,
    /// Submit the --slurm scripts with sbatch.
    #[arg(long, requires = "slurm")]
    submit: bool,
}

/// What `tessera search --json` prints: the search result, plus export and verify when asked.
#[derive(Serialize)]
struct SearchOut {
    #[serde(flatten)]
    result: SearchResult,
    export: Option<ExportReport>,
    verify: Option<VerifyReport>,
}

/// `--objective`: latency, energy or edp.
pub(crate) fn parse_objective(o: &str) -> Result<Objective> {
    match o {
        "latency" => Ok(Objective::Latency),
        "energy" => Ok(Objective::Energy),
        "edp" => Ok(Objective::Edp),
        _ => Err(Diagnostic::field(
            "--objective",
            format!("{o:?}: expected latency, energy or edp"),
        )),
    }
}

/// `--strategy`: random, evolutionary, bayesian or predictor (default parameters).
pub(crate) fn parse_strategy(s: &str) -> Result<Strategy> {
    match s {
        "random" => Ok(Strategy::Random),
        "evolutionary" => Ok(Strategy::evolutionary()),
        "bayesian" => Ok(Strategy::bayesian()),
        "predictor" => Ok(Strategy::predictor()),
        _ => Err(Diagnostic::field(
            "--strategy",
            format!("{s:?}: expected random, evolutionary, bayesian or predictor"),
        )),
    }
}

fn config(a: &SearchArgs, base: &Arch) -> Result<SearchConfig> {
    let mut c = match &a.config {
        Some(p) => SearchConfig::load(p)?,
        None => SearchConfig::default_for(base),
    };
    if let Some(o) = &a.objective {
        c.objective = parse_objective(o)?;
    }
    if let Some(s) = &a.strategy {
        c.strategy = parse_strategy(s)?;
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
pub(crate) fn progress_bar(quiet: bool, total: u64) -> indicatif::ProgressBar {
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

/// The journal to append to (created, or resumed with its evaluations to replay).
fn open_journal(a: &SearchArgs, header: &Header) -> Result<Option<(Journal, Replay)>> {
    let Some(path) = &a.checkpoint else {
        return Ok(None);
    };
    if a.resume && path.exists() {
        let (j, r) = Journal::resume(path, header)?;
        if !a.json {
            eprintln!(
                "resuming {}: {} evaluations journaled",
                path.display(),
                r.len()
            );
        }
        Ok(Some((j, r)))
    } else {
        Ok(Some((Journal::create(path, header)?, Replay::default())))
    }
}

/// An interruption's message says where the evaluations so far are and how to go on.
fn on_interrupt(e: Diagnostic, a: &SearchArgs) -> Diagnostic {
    if e.kind != Kind::Interrupted {
        return e;
    }
    let mut e = e;
    e.message = match &a.checkpoint {
        Some(p) => format!(
            "interrupted; the evaluations so far are journaled in {}: rerun the same command \
             with --resume to continue",
            p.display()
        ),
        None => "interrupted (pass --checkpoint FILE to be able to resume a run)".into(),
    };
    e
}

fn run_slurm(a: &SearchArgs, dir: &std::path::Path, cfg: SearchConfig) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .map_err(|e| Diagnostic::new(format!("cannot find the tessera executable: {e}")))?;
    let plan = SlurmPlan {
        dir: dir.to_path_buf(),
        shards: a.shards,
        exe,
        arch: slurm::job_path(&a.arch)?,
        workload: slurm::job_path(&a.workload)?,
        config: cfg,
    };
    let files = slurm::write_scripts(&plan)?;
    let submitted = if a.submit {
        Some(slurm::submit(&files)?)
    } else {
        None
    };
    if a.json {
        #[derive(Serialize)]
        struct Out {
            files: SlurmFiles,
            submitted: Option<Submitted>,
        }
        print_json(&Out { files, submitted })?;
    } else {
        outln!(
            "wrote {}, {}, {} and {}",
            files.config.display(),
            files.shards_script.display(),
            files.merge_script.display(),
            files.submit_script.display()
        );
        match submitted {
            Some(s) => outln!(
                "submitted {} shards as job {} and the merge as job {}; the result will be {}",
                a.shards,
                s.shards_job,
                s.merge_job,
                files.result.display()
            ),
            None => outln!(
                "submit with: sh {}   (the result will be {})",
                files.submit_script.display(),
                files.result.display()
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(a: SearchArgs) -> Result<ExitCode> {
    let base = load_arch(&a.arch)?;
    let w = load_workload(&a.workload)?;
    let cfg = config(&a, &base)?;
    if let Some(dir) = &a.slurm {
        return run_slurm(&a, dir, cfg);
    }
    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;
    if shard.is_some() && !cfg.strategy.ignores_outcomes() {
        return Err(Diagnostic::field(
            "--shard",
            format!("{}: {}", cfg.strategy.name(), Strategy::SEQUENTIAL),
        ));
    }
    let header = Header::new(&base, &w, cfg.objective, shard);
    let mut journal = open_journal(&a, &header)?;
    let mut replay = Replay::load(&a.replay, &header)?;
    if replay.has_shards() {
        replay.check_complete_shards()?;
    }
    if let Some((_, own)) = &mut journal {
        replay.absorb(std::mem::take(own));
    }
    let bar = progress_bar(a.json, cfg.evaluations as u64);
    let show = |p, d, t| show_progress(&bar, p, d, t);
    let persist = Persist {
        replay: Some(&replay),
        journal: journal.as_mut().map(|(j, _)| j),
    };
    if let Some(shard) = shard {
        let r = tessera_search::search_shard(&cfg, &base, &w, shard, &show, persist);
        bar.finish_and_clear();
        let r = r.map_err(|e| on_interrupt(e, &a))?;
        if a.json {
            print_json(&r)?;
        } else {
            outln!(
                "shard {}: {} of the run's {} distinct candidates ({} proposed) are this shard's: \
                 {} evaluated, {} replayed; journal {}",
                r.shard,
                r.owned,
                r.distinct,
                r.proposed,
                r.stats.computed,
                r.stats.replayed,
                a.checkpoint
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let r = tessera_search::search_persisted(&cfg, &base, &w, &show, persist);
    bar.finish_and_clear();
    let (r, stats) = r.map_err(|e| on_interrupt(e, &a))?;
    if !a.json && (a.checkpoint.is_some() || !a.replay.is_empty()) {
        eprintln!(
            "distinct evaluations: {} computed, {} replayed from journals",
            stats.computed, stats.replayed
        );
    }
    if let Some(dir) = &a.pareto {
        crate::pareto_out::write(&r, dir)?;
    }
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
        if let Some(dir) = &a.pareto {
            outln!(
                "  Pareto front: {} designs non-dominated in cycles × energy (pJ) × area (µm²), of {} feasible candidates; written to {} ({})",
                r.pareto.len(),
                r.feasible.len(),
                dir.display(),
                crate::pareto_out::FILES.join(", ")
            );
        }
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
