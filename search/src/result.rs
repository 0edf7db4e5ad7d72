//! What a search reports. Everything is `Serialize` with deterministic field order, so the same
//! configuration and seed give byte-identical JSON or RON.

use crate::config::Strategy;
use crate::eval::{Metrics, Objective};
use crate::pareto::ParetoPoint;
use crate::space::DesignPoint;
use serde::Serialize;
use tessera_arch::ArchSpec;
use tessera_mapping::Mapping;

/// One layer of a finalist: its mapping and both models' costs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinalistLayer {
    pub layer: String,
    pub mapping: Mapping,
    pub analytical_cycles: u64,
    pub simulated_cycles: u64,
    pub analytical_energy_pj: f64,
    pub simulated_energy_pj: f64,
    /// `(analytical − simulated) / simulated × 100` on cycles.
    pub cycle_error_pct: f64,
}

/// A top-K candidate, re-simulated cycle by cycle on every layer. Its outputs equal the reference
/// GEMM's on every layer: a re-simulation that differs is an error of the search, not a result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finalist {
    /// 0-based rank among the evaluated candidates by the analytical objective.
    pub analytical_rank: usize,
    pub point: DesignPoint,
    /// The generated accelerator (validated), ready to be written as a RON file.
    pub arch: ArchSpec,
    pub layers: Vec<FinalistLayer>,
    /// Totals by the analytical model (what the search optimised).
    pub analytical: Metrics,
    /// Totals by the cycle-level simulator (event engine).
    pub simulated: Metrics,
    /// `(analytical − simulated) / simulated × 100` on total cycles.
    pub cycle_error_pct: f64,
    /// The same on total energy.
    pub energy_error_pct: f64,
    /// The objective's value on the simulated totals (what `best` is chosen by).
    pub simulated_objective: f64,
}

/// One evaluation, in the order they were made, for convergence plots.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// 0-based evaluation index.
    pub index: usize,
    /// The candidate's name (`cand_ws_…` or `cand_os_…`).
    pub arch: String,
    pub point: DesignPoint,
    /// False when the candidate had been evaluated before in this run (answered from the memo).
    pub new: bool,
    /// The analytical objective, `None` when some layer could not be mapped on the candidate.
    pub objective: Option<f64>,
    /// The performance limit (`max_cycles`, `max_energy_pj`) the candidate exceeds, described;
    /// `None` when it meets them (or was not mapped).
    pub violation: Option<String>,
    /// The best objective among evaluations `0..=index` that mapped and meet every limit.
    pub best_so_far: Option<f64>,
}

/// The outcome of [`search`](crate::search).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchResult {
    pub workload: String,
    pub base_arch: String,
    pub strategy: Strategy,
    pub objective: Objective,
    /// The unit of every objective value in this result.
    pub objective_unit: String,
    pub seed: u64,
    /// The evaluation budget asked for.
    pub budget: usize,
    /// Evaluations made, duplicates included (equals `budget`).
    pub evaluated: usize,
    /// Distinct candidates evaluated by the analytical model.
    pub distinct_evaluated: usize,
    /// Distinct design points drawn that `ArchSpec::validate` rejected (never evaluated). The
    /// Bayesian strategy also counts the candidates it screened before scoring them.
    pub invalid_skipped: usize,
    /// Distinct valid design points drawn that exceed the PE, SRAM or area limit (never
    /// evaluated; counted like `invalid_skipped`).
    pub infeasible_skipped: usize,
    /// Distinct evaluated candidates on which some layer had no mapping (objective `None`).
    pub unmappable: usize,
    /// Distinct evaluated candidates that mapped but exceed `max_cycles` or `max_energy_pj` (never
    /// finalists).
    pub over_limits: usize,
    /// Size of the space (product of the list lengths).
    pub space_size: u64,
    /// The base accelerator's analytical totals with the same inner mapping search, for
    /// comparison (`None` if some layer cannot be mapped on it). Not counted as an evaluation.
    pub base_analytical: Option<Metrics>,
    /// The finalist with the best objective by the cycle-level simulator.
    pub best: Finalist,
    /// The top-K distinct candidates by the analytical objective, in that order, re-simulated.
    pub top: Vec<Finalist>,
    pub history: Vec<HistoryEntry>,
    /// The Pareto front ([`crate::pareto`]) of [`SearchResult::feasible`] over cycles, energy (pJ)
    /// and area (µm²), all minimised, in the order cycles, energy, area, design point. The figures
    /// are the analytical totals the search ranked candidates by (the screening mapper's), so a
    /// finalist's re-mapped totals in `top` may be lower than its entry here.
    pub pareto: Vec<ParetoPoint>,
    /// Every distinct evaluated candidate that maps every layer and meets every limit, with the
    /// same figures and order as `pareto`. Not serialised (a large budget would add megabytes to
    /// every report): `tessera search --pareto DIR` writes it beside the front.
    #[serde(skip)]
    pub feasible: Vec<ParetoPoint>,
}
