//! `tessera search` and `tessera demo`.

use crate::{choice_default, print_json, print_validate, print_verify};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera::verify::{export, verify, ExportReport, VerifyOptions, VerifyReport};
use tessera::{EstimateReport, MappingChoice, SimulateReport, ValidateReport};
use tessera_arch::builtin::load_arch;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_search::{Objective, Phase, SearchConfig, SearchResult, Strategy};
use tessera_sim::Engine;
use tessera_workloads::builtin::load_workload;
use tessera_workloads::Workload;

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
    /// random | evolutionary
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
            _ => {
                return Err(Diagnostic::field(
                    "--strategy",
                    format!("{s:?}: expected random or evolutionary"),
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

fn run_search(cfg: &SearchConfig, base: &Arch, w: &Workload, quiet: bool) -> Result<SearchResult> {
    let bar = indicatif::ProgressBar::new(cfg.evaluations as u64);
    if quiet {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len}")
            .expect("valid template"),
    );
    let progress = |phase: Phase, done: usize, total: usize| {
        bar.set_message(match phase {
            Phase::Explore => "exploring",
            Phase::Resimulate => "re-simulating",
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let r = tessera_search::search_with_progress(cfg, base, w, &progress);
    bar.finish_and_clear();
    r
}

fn best_arch(r: &SearchResult) -> Result<Arch> {
    r.best.arch.validate()
}

/// Write the best design's RON next to its Verilog.
fn export_best(r: &SearchResult, dir: &Path, synth: bool) -> Result<ExportReport> {
    let arch = best_arch(r)?;
    let tools = tessera_verif::Tools::find()?;
    let report = export(&arch, dir, synth, &tools)?;
    let ron = tessera_core::load::to_ron_string(&r.best.arch)?;
    tessera_core::load::write_atomic(&dir.join(format!("{}.ron", arch.name)), ron.as_bytes())?;
    Ok(report)
}

fn verify_best(r: &SearchResult, w: &Workload, seed: u64) -> Result<VerifyReport> {
    let arch = best_arch(r)?;
    let tools = tessera_verif::Tools::find()?;
    // Verify with the mappings the search chose for each layer.
    let mut report: Option<VerifyReport> = None;
    for (layer, fl) in w.layers.iter().zip(&r.best.layers) {
        let one = Workload {
            name: w.name.clone(),
            layers: vec![layer.clone()],
        };
        let o = VerifyOptions {
            engine: Engine::Event,
            contract: Default::default(),
            seed,
            trace: false,
            mapping: MappingChoice::Fixed {
                tile_m: fl.mapping.tile_m,
                tile_n: fl.mapping.tile_n,
            },
        };
        let v = verify(&arch, &one, &o, &tools)?;
        report = Some(match report {
            None => v,
            Some(mut acc) => {
                let overflow = || Diagnostic::new("total cycles overflow 64 bits");
                acc.bit_exact &= v.bit_exact;
                acc.cycles_equal &= v.cycles_equal;
                acc.passed &= v.passed;
                acc.lint_clean &= v.lint_clean;
                acc.sim_cycles = acc
                    .sim_cycles
                    .checked_add(v.sim_cycles)
                    .ok_or_else(overflow)?;
                acc.rtl_cycles = acc
                    .rtl_cycles
                    .checked_add(v.rtl_cycles)
                    .ok_or_else(overflow)?;
                acc.layers.extend(v.layers);
                acc
            }
        });
    }
    report.ok_or_else(|| Diagnostic::new("workload has no layers"))
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
            "    {:<34} analytical {:>9} cycles, simulated {:>9} cycles ({:+.2} %), {:.3e} pJ, {:.0} µm²",
            f.arch.name, f.analytical.cycles, f.simulated.cycles, f.cycle_error_pct, f.simulated.energy_pj, f.simulated.area_um2
        );
    }
    outln!(
        "  best: {} ({}x{} PEs, {} B SRAM): {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ, area {:.0} µm²",
        b.arch.name,
        b.point.rows,
        b.point.cols,
        b.simulated.sram_bytes,
        b.simulated.cycles,
        b.simulated.energy_pj,
        b.simulated.edp_cycles_pj,
        b.simulated.area_um2
    );
    if let Some(base) = &r.base_analytical {
        outln!(
            "  base {}: {} cycles, {:.3e} pJ, EDP {:.3e} cycles·pJ (analytical)",
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
    let r = run_search(&cfg, &base, &w, a.json)?;
    let export = a
        .export
        .as_deref()
        .map(|d| export_best(&r, d, false))
        .transpose()?;
    let verify = if a.verify {
        Some(verify_best(&r, &w, cfg.seed)?)
    } else {
        None
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
            print_verify(v);
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every stage of the loop, one member each.
#[derive(Serialize)]
struct Demo {
    estimate: EstimateReport,
    simulate: SimulateReport,
    validate: ValidateReport,
    search: SearchResult,
    export: ExportReport,
    verify: VerifyReport,
}

/// The demo: a 3-layer MLP on a 16×16 array; estimate, simulate, validate on several arrays, search
/// under the 16×16's PE and SRAM budget, export the best design, verify it under Verilator.
pub fn demo(json: bool) -> Result<ExitCode> {
    let base = load_arch("ws_16x16")?;
    let w = load_workload("mlp_small")?;
    let say = |s: &str| {
        if !json {
            outln!("\n== {s}");
        }
    };
    say("estimate (analytical model)");
    let estimate = tessera::estimate(&base, &w, MappingChoice::Default)?;
    if !json {
        outln!(
            "  {} on {}: {} cycles, {:.3e} pJ, area {:.0} µm², utilization {:.1} %",
            w.name,
            base.name,
            estimate.cycles,
            estimate.energy_pj,
            estimate.area_um2,
            100.0 * estimate.utilization
        );
    }
    say("simulate (cycle-level, event engine, real int8 data)");
    let (simulate, _) =
        tessera::simulate(&base, &w, MappingChoice::Default, Engine::Event, 1, false)?;
    if !json {
        outln!(
            "  {} cycles, {:.3e} pJ, outputs {} the reference executor",
            simulate.cycles,
            simulate.energy_pj,
            if simulate.matches_reference {
                "match"
            } else {
                "DIFFER from"
            }
        );
    }
    say("validate (analytical vs cycle simulator)");
    let pairs: Vec<(Arch, Workload)> = ["ws_4x4", "ws_8x8", "ws_16x16"]
        .iter()
        .flat_map(|a| ["gemm_37x50x19", "mlp_small"].iter().map(move |wl| (a, wl)))
        .map(|(a, wl)| Ok((load_arch(a)?, load_workload(wl)?)))
        .collect::<Result<_>>()?;
    let validate = tessera::validate(&pairs, choice_default(), 1)?;
    if !json {
        print_validate(&validate);
    }
    say("search (evolutionary, EDP, within the 16x16's PEs and SRAM)");
    let cfg = SearchConfig::default_for(&base);
    let search = run_search(&cfg, &base, &w, json)?;
    if !json {
        print_search(&search);
    }
    say("export the best design (Verilog, verilator -Wall, yosys synth)");
    let dir = PathBuf::from("tessera-out").join("demo");
    let export = export_best(&search, &dir, true)?;
    if !json {
        outln!(
            "  wrote {} files to {} ({})",
            export.files.len(),
            export.out_dir,
            export.lint
        );
        if let Some(sy) = &export.synth {
            outln!(
                "  yosys synth (SRAMs as black boxes): {} cells, {} latches",
                sy.cells,
                sy.latches
            );
        }
    }
    say("verify the best design under Verilator (outputs and cycles vs the simulator)");
    let verify = verify_best(&search, &w, cfg.seed)?;
    if !json {
        print_verify(&verify);
    }
    let ok = verify.passed && simulate.matches_reference;
    if json {
        print_json(&Demo {
            estimate,
            simulate,
            validate,
            search,
            export,
            verify,
        })?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
