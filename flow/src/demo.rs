//! `tessera demo`: the whole loop on a built-in example, as one library operation.
//!
//! A three-layer MLP (`mlp_small`): estimate and simulate it on a 16×16 weight-stationary and a 16×16
//! output-stationary array; validate the analytical model against the cycle simulator on six arrays
//! of both dataflows; search accelerators of both dataflows within the 16×16's PE and SRAM budget;
//! export the best design (Verilog, lint, Yosys) and verify it under Verilator with the search's
//! mappings. Stages that need Verilator or Yosys are skipped, and say so, when the tools are missing.

use crate::codesign::{export_best, verify_best};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tessera_arch::builtin::load_arch;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::MappingSpec;
use tessera_search::{Phase, SearchConfig, SearchResult};
use tessera_sim::workload::{EstimateReport, SimulateReport, ValidateReport};
use tessera_sim::Engine;
use tessera_verif::{ExportReport, Tools, VerifyReport};
use tessera_workloads::builtin::load_workload;
use tessera_workloads::Workload;

/// The accelerators the demo estimates and simulates, and the base of its search.
pub const DEMO_ARCHS: [&str; 2] = ["ws_16x16", "os_16x16"];
/// The workload of the demo.
pub const DEMO_WORKLOAD: &str = "mlp_small";
/// Arrays and workloads of the demo's validation.
pub const VALIDATE_ARCHS: [&str; 6] = [
    "ws_4x4", "ws_8x8", "ws_16x16", "os_4x4", "os_8x8", "os_16x16",
];
pub const VALIDATE_WORKLOADS: [&str; 2] = ["gemm_37x50x19", "mlp_small"];

/// A stage that did not run, why, and the command that would let it run.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    pub stage: String,
    pub reason: String,
    pub install: String,
}

/// The best design the search evaluated in each dataflow (analytical objective).
#[derive(Clone, Debug, Serialize)]
pub struct DataflowChoice {
    pub dataflow: String,
    pub best_design: String,
    pub objective: f64,
}

/// Every stage of the loop, one member each.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    pub estimate: Vec<EstimateReport>,
    pub simulate: Vec<SimulateReport>,
    pub validate: ValidateReport,
    pub search: SearchResult,
    /// The search's best per dataflow: the choice it made.
    pub dataflow_choice: Vec<DataflowChoice>,
    pub export: Option<ExportReport>,
    pub verify: Option<VerifyReport>,
    pub skipped: Vec<Skipped>,
    /// Every stage that ran passed (outputs match, RTL ≡ simulator).
    pub passed: bool,
}

/// One finished stage, for progress output.
pub enum Stage<'a> {
    Estimate(&'a EstimateReport),
    Simulate(&'a SimulateReport),
    Validate(&'a ValidateReport),
    Search(&'a SearchResult, &'a [DataflowChoice]),
    Export(&'a ExportReport),
    Verify(&'a VerifyReport),
    Skipped(&'a Skipped),
}

/// Stage names, in order, for progress headings.
pub const STAGES: [&str; 6] = [
    "estimate", "simulate", "validate", "search", "export", "verify",
];

/// Run the demo. `tools` is `Err` (with the reason) when Verilator or Yosys is missing: the export
/// and verify stages are then skipped. The exported design goes to `out_dir`.
pub fn demo(
    tools: std::result::Result<&Tools, String>,
    out_dir: &Path,
    on_stage: &mut dyn FnMut(Stage),
    search_progress: &(dyn Fn(Phase, usize, usize) + Sync),
) -> Result<DemoReport> {
    let w = load_workload(DEMO_WORKLOAD)?;
    let archs: Vec<Arch> = DEMO_ARCHS
        .iter()
        .map(|a| load_arch(a))
        .collect::<Result<_>>()?;
    let none = MappingSpec::default();
    let mut estimate = vec![];
    for a in &archs {
        let e = tessera_sim::workload::estimate(a, &w, &none)?;
        on_stage(Stage::Estimate(&e));
        estimate.push(e);
    }
    let mut simulate = vec![];
    for a in &archs {
        let (s, _) = tessera_sim::workload::simulate(a, &w, &none, Engine::Event, 1, false)?;
        on_stage(Stage::Simulate(&s));
        simulate.push(s);
    }
    let pairs: Vec<(Arch, Workload)> = VALIDATE_ARCHS
        .iter()
        .flat_map(|a| VALIDATE_WORKLOADS.iter().map(move |wl| (a, wl)))
        .map(|(a, wl)| Ok((load_arch(a)?, load_workload(wl)?)))
        .collect::<Result<_>>()?;
    let validate = tessera_sim::workload::validate(&pairs, &none, 1)?;
    on_stage(Stage::Validate(&validate));
    let base = &archs[0];
    let cfg = SearchConfig::default_for(base);
    let search = tessera_search::search_with_progress(&cfg, base, &w, search_progress)?;
    let dataflow_choice = dataflow_choice(&search);
    on_stage(Stage::Search(&search, &dataflow_choice));
    let mut skipped = vec![];
    let (mut export, mut verify) = (None, None);
    match tools {
        Ok(tools) if tools.yosys.is_some() => {
            let e = export_best(&search, out_dir, true, tools)?;
            on_stage(Stage::Export(&e));
            export = Some(e);
            let v = verify_best(&search, &w, cfg.seed, tools)?;
            on_stage(Stage::Verify(&v));
            verify = Some(v);
        }
        other => {
            let reason = match other {
                Err(why) => why,
                Ok(_) => "yosys not found on PATH".to_string(),
            };
            for stage in ["export", "verify"] {
                let s = Skipped {
                    stage: stage.into(),
                    reason: reason.clone(),
                    install: tessera_verif::tools::INSTALL_COMMAND.into(),
                };
                on_stage(Stage::Skipped(&s));
                skipped.push(s);
            }
        }
    }
    let passed = simulate.iter().all(|s| s.matches_reference)
        && verify.as_ref().is_none_or(|v| v.passed)
        && validate.passed;
    Ok(DemoReport {
        estimate,
        simulate,
        validate,
        search,
        dataflow_choice,
        export,
        verify,
        skipped,
        passed,
    })
}

/// The best analytical objective the search found in each dataflow it evaluated: for the chosen
/// dataflow the search's best design, for the others the first of their best in the search's history.
fn dataflow_choice(r: &SearchResult) -> Vec<DataflowChoice> {
    let mut best: BTreeMap<String, (f64, String)> = BTreeMap::new();
    for h in &r.history {
        let Some(v) = h.objective else { continue };
        let df = h.point.dataflow.name().to_string();
        let e = best.entry(df).or_insert((f64::INFINITY, String::new()));
        if v < e.0 {
            *e = (v, h.arch.clone());
        }
    }
    let chosen = r.best.point.dataflow.name().to_string();
    best.insert(
        chosen,
        (
            r.best.analytical.objective(r.objective),
            r.best.arch.name.clone(),
        ),
    );
    best.into_iter()
        .map(|(dataflow, (objective, best_design))| DataflowChoice {
            dataflow,
            best_design,
            objective,
        })
        .collect()
}

/// Find Verilator and Yosys for the demo: the tools, or why they cannot be used.
pub fn demo_tools() -> std::result::Result<Tools, String> {
    let t = Tools::find().map_err(|e: Diagnostic| e.message)?;
    if t.yosys.is_none() {
        return Err("yosys not found on PATH".into());
    }
    Ok(t)
}
