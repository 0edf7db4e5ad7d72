//! Design-space search: the co-design loop that picks an accelerator *and* its mappings for a
//! workload.
//!
//! What it models. The outer search explores accelerators built from a base [`Arch`]: the dataflow
//! (weight- or output-stationary by default; input-stationary and row-stationary when the space
//! lists them, row-stationary with each of the space's `rf_weights`, the PEs' register-file
//! sizes), array rows and columns, input/weight/accumulator buffer capacities, the bank count and
//! whether the PEs double-buffer their stationary operand (weight- and input-stationary), the
//! interconnect and the DMA's words per cycle come from a [`SearchSpace`]; datatypes, the rest of
//! the
//! DRAM channel, clock and
//! technology figures come from the base. Each point becomes an
//! [`ArchSpec`](tessera_arch::ArchSpec) and is validated by `ArchSpec::validate`; points that fail
//! are skipped and counted, as are points that exceed the design specs known before evaluation
//! ([`Constraints`]: PEs, SRAM bytes, optionally area). For every remaining candidate
//! the mapper ([`tessera_sim::mapper`]) picks, per layer, the best of the layer's mapping space
//! ([`Mapping::space_in`](tessera_mapping::Mapping::space_in); a coarse
//! [`SpaceBudget::SCREEN`](tessera_mapping::SpaceBudget::SCREEN) while screening, the full space
//! every command uses for the top-K finalists) for the candidate's dataflow (WS:
//! the streamed rows `tile_m` and the output width `tile_n`; OS: the streamed depth `tile_k` and
//! `tile_n`; IS: the streamed columns `tile_n` and the output height `tile_m`; RS: the layer's
//! passes, `RsGeom::space` in `tessera_mapping::rs`) by the analytical model on the mapping's
//! [`Schedule`](tessera_mapping::Schedule) ([`tessera_sim::estimate`]) under the [`Objective`]
//! (latency in cycles, energy in pJ, or EDP), with an exact branch and bound; the candidate's cost
//! is the sum over layers (layers run back to back). Optional limits on the workload's total
//! cycles, energy and average power (`max_cycles`, `max_energy_pj`, `max_power_mw`) are only known after that evaluation: such
//! candidates count against the budget but are never best nor finalists.
//!
//! Four strategies propose candidates under an evaluation budget, all through one ask/tell
//! interface (the explorer asks for a batch, screens and evaluates it, and tells each candidate's
//! outcome: feasible with its objective, infeasible, invalid or unmappable; see [`explore`]):
//! uniform [`Strategy::Random`] sampling; a generational genetic algorithm,
//! [`Strategy::Evolutionary`] (tournament selection, optional uniform crossover, one-gene
//! neighbour mutation, elitism; the dataflow is one more gene, so the search chooses between
//! weight-, output- (and, if listed, input- and row-) stationary arrays like it chooses sizes; a
//! row-stationary point's register file is part of its dataflow's gene value); constrained Bayesian
//! optimisation, [`Strategy::Bayesian`] ([`bayes`]: a Gaussian process ([`gp`]) of the log
//! objective, models of unmappability and of each performance limit, expected improvement ×
//! probability of feasibility over sampled candidates); and [`Strategy::Predictor`] ([`guided`]:
//! [`predict`]'s per-layer boosted trees over physical features and the default mapping's
//! closed-form cost, fitted to the run's evaluations, screen every candidate and the best
//! predicted are evaluated). Batches are evaluated in parallel with rayon; a run is deterministic for its seed whatever the thread count.
//!
//! After exploring, the top-K distinct candidates by the analytical objective are re-simulated on
//! every layer with the cycle-level simulator ([`tessera_sim::run_layer`], event engine, operands
//! from the seed). The result reports both models' totals and the analytical model's error, and
//! [`SearchResult::best`] is the finalist with the best *simulated* objective. A re-simulation whose
//! outputs differ from the reference GEMM is an error of the whole search (a simulator bug), never
//! a result: every finalist returned computed the right outputs.
//!
//! Beside the scalar objective, the result carries the [`pareto`] front of the distinct evaluated
//! candidates that map and meet every limit, over total cycles, energy (pJ) and area (µm²), all
//! minimised ([`SearchResult::pareto`], in a deterministic order; the candidates themselves in
//! [`SearchResult::feasible`]). Its figures are the analytical totals the search ranked by (the
//! screening mapper's); computing it costs `O(n log n + n·f)` for `n` candidates and a front of `f`.
//!
//! What it leaves out (for now): the per-layer EDP choice minimises each layer's own
//! cycles × energy, not the workload's total EDP; layers do not overlap or share buffers; one
//! dataflow per accelerator for the whole workload (no per-layer switching); input- and
//! row-stationary are left out of the default space (listing them changes the default search's
//! random draws, which tests and the demo pin) and must be listed in a space file
//! (row-stationary with `rf_weights`; its input words are `R + C − 1` bytes, so it needs input
//! capacities that are multiples of them, see [`SearchSpace`]); there are no network or
//! multi-accelerator variants to search; the mapping space is two tile sizes per
//! layer, not loop orders; there is no reinforcement learning or gradient-based search, and the
//! Bayesian strategy models accelerators only (the mapper stays an exact inner search, not a
//! second learned loop) and costs `O(n³)` per model fit in the `n` candidates evaluated, so it is
//! meant for budgets of a few hundred; the area and energy figures are the first-order models of
//! `tessera_sim` (no leakage, wires, controller).
//!
//! Long runs ([`journal`]): [`search_persisted`] appends every distinct evaluation to a journal and
//! takes evaluations from journals instead of computing them; since a run is deterministic for its
//! seed, replaying gives exactly the uninterrupted run's result (resume after a kill). A random run
//! can be split into shards ([`search_shard`]) whose journals, replayed together, merge to the
//! one-machine result; interruption ([`tessera_core::interrupt`]) is checked between batches.
//!
//! The library prints nothing: pass a progress callback to [`search_with_progress`].

pub mod bayes;
pub mod config;
pub mod eval;
pub mod explore;
pub mod gp;
pub mod guided;
pub mod journal;
pub mod multitask;
pub mod pareto;
pub mod predict;
pub mod resim;
pub mod result;
pub mod space;

pub use config::{BayesParams, EvolutionParams, PredictorParams, SearchConfig, Strategy};
pub use eval::{best_mapping, evaluate, BestMapping, Evaluation, LayerChoice, Metrics, Objective};
pub use pareto::ParetoPoint;
pub use resim::resimulate_design;
pub use result::{Finalist, FinalistLayer, HistoryEntry, SearchResult};
pub use space::{Constraints, DesignPoint, SearchSpace};

use bayes::Bayesian;
use explore::{fitness_cmp, Evolution, Explorer, Proposer, RandomSearch};
use guided::Guided;
pub use journal::{Journal, Replay, Shard};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::Workload;

/// Which part of a run a progress report is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Evaluations made so far, of the budget. Reported after each batch, from the calling thread.
    Explore,
    /// Layer simulations of the top-K finished so far, of `top_k × layers`. Reported from rayon's
    /// worker threads as they finish.
    Resimulate,
}

/// Run the search described by `config` for `workload`, building candidates from `base`.
pub fn search(config: &SearchConfig, base: &Arch, workload: &Workload) -> Result<SearchResult> {
    search_with_progress(config, base, workload, &|_, _, _| {})
}

/// [`search`], calling `progress(phase, done, total)` as work completes.
pub fn search_with_progress(
    config: &SearchConfig,
    base: &Arch,
    workload: &Workload,
    progress: &(dyn Fn(Phase, usize, usize) + Sync),
) -> Result<SearchResult> {
    search_persisted(config, base, workload, progress, Persist::default()).map(|(r, _)| r)
}

/// Where a run's evaluations come from and go to ([`journal`]): journals to replay (a resumed run,
/// a merge of shards) and the journal every computed evaluation is appended to.
#[derive(Default)]
pub struct Persist<'a> {
    pub replay: Option<&'a Replay>,
    pub journal: Option<&'a mut Journal>,
}

/// How a run's distinct evaluations were obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    /// Computed with the analytical model in this run.
    pub computed: usize,
    /// Taken from the journals replayed.
    pub replayed: usize,
}

/// What one shard of a split run did ([`search_shard`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ShardReport {
    pub shard: Shard,
    /// Candidates proposed (the whole run's budget).
    pub proposed: usize,
    /// Distinct candidates among them (the whole run's).
    pub distinct: usize,
    /// Distinct candidates this shard owns (evaluated now or replayed from its journal).
    pub owned: usize,
    pub stats: RunStats,
}

fn strategy_for(
    config: &SearchConfig,
    space: &space::Space,
    workload: &Workload,
) -> Box<dyn Proposer> {
    match &config.strategy {
        Strategy::Random => Box::new(RandomSearch),
        Strategy::Evolutionary(p) => Box::new(Evolution::new(p)),
        Strategy::Bayesian(p) => Box::new(Bayesian::new(p, space)),
        Strategy::Predictor(p) => Box::new(Guided::new(p, workload, config.objective)),
    }
}

/// A run's explorer, strategy and proposal RNG, from `config` (validated) and `persist`.
fn start<'a>(
    config: &'a SearchConfig,
    base: &'a Arch,
    workload: &'a Workload,
    progress: &'a (dyn Fn(Phase, usize, usize) + Sync),
    persist: Persist<'a>,
) -> Result<(Explorer<'a>, Box<dyn Proposer>, ChaCha8Rng)> {
    config.validate()?;
    let space = config.space.to_space()?;
    let strategy = strategy_for(config, &space, workload);
    let mut ex = Explorer::new(
        space,
        base,
        workload,
        &config.constraints,
        config.objective,
        config.evaluations,
        progress,
    );
    ex.persist(persist.replay, persist.journal);
    Ok((ex, strategy, ChaCha8Rng::seed_from_u64(config.seed)))
}

/// One shard of a run split over machines: propose exactly the candidates of the whole run (same
/// configuration and seed) and evaluate the shard's part of them, into `persist.journal`. Only
/// strategies that ignore outcomes (random) can be split. Merging is [`search_persisted`] with the
/// union of the shards' journals replayed: its result is the whole run's, byte for byte.
pub fn search_shard(
    config: &SearchConfig,
    base: &Arch,
    workload: &Workload,
    shard: Shard,
    progress: &(dyn Fn(Phase, usize, usize) + Sync),
    persist: Persist,
) -> Result<ShardReport> {
    let (mut ex, mut strategy, mut rng) = start(config, base, workload, progress, persist)?;
    let (distinct, owned) = ex.run_shard(strategy.as_mut(), &mut rng, shard)?;
    Ok(ShardReport {
        shard,
        proposed: config.evaluations,
        distinct,
        owned,
        stats: ex.stats(),
    })
}

/// [`search_with_progress`] taking evaluations from `persist.replay` and journaling the computed
/// ones to `persist.journal`. The result does not depend on where evaluations came from.
pub fn search_persisted(
    config: &SearchConfig,
    base: &Arch,
    workload: &Workload,
    progress: &(dyn Fn(Phase, usize, usize) + Sync),
    persist: Persist,
) -> Result<(SearchResult, RunStats)> {
    let (mut ex, mut strategy, mut rng) = start(config, base, workload, progress, persist)?;
    ex.run(strategy.as_mut(), &mut rng)?;
    let stats = ex.stats();

    // Rank the distinct, mappable candidates that meet the performance limits by the analytical
    // objective (stable tie-break).
    let limits = &config.constraints;
    let mut ranked: Vec<(f64, space::Genome, &Evaluation)> = ex
        .designs
        .memo
        .iter()
        .filter_map(|(g, r)| {
            r.as_ref()
                .ok()
                .filter(|e| limits.performance_violation(e).is_none())
                .map(|e| (e.metrics.objective(config.objective), *g, e))
        })
        .collect();
    if ranked.is_empty() {
        let evaluated = ex.designs.memo.len();
        let over = ex.designs.memo.values().find_map(|r| {
            r.as_ref()
                .ok()
                .and_then(|e| limits.performance_violation(e))
        });
        if let Some(over) = over {
            return Err(Diagnostic::new(format!(
                "none of the {evaluated} candidates evaluated on {:?} meets the performance limits \
                 (e.g. {over}): relax max_cycles, max_energy_pj or max_power_mw, or widen the space",
                workload.name
            )));
        }
        let why = ex
            .designs
            .memo
            .values()
            .find_map(|r| r.as_ref().err().cloned())
            .unwrap_or_default();
        return Err(Diagnostic::new(format!(
            "none of the {evaluated} candidates evaluated could map every layer of {:?} (e.g. {why})",
            workload.name
        )));
    }
    // Every distinct candidate that maps and meets every limit, with the totals it was ranked by,
    // and the front of their cycles, energy and area.
    let mut feasible: Vec<ParetoPoint> = ranked
        .iter()
        .map(|(_, g, e)| ParetoPoint::new(ex.designs.space.point(g), &e.metrics))
        .collect();
    pareto::sort(&mut feasible);
    let front = pareto::front(&feasible);
    ranked.sort_by(|a, b| fitness_cmp((Some(a.0), &a.1), (Some(b.0), &b.1)));
    ranked.truncate(config.top_k);
    // Screening mapped each candidate in a coarse space (`SpaceBudget::SCREEN`); the finalists are
    // mapped again in the mapper's full space, so their mappings and figures are the ones every
    // command gives for the same design. The mapper optimises the objective, not the limits: when
    // the full space's choice exceeds a performance limit the screening choice met (possible for
    // EDP or energy under `max_cycles`), the screening mappings are kept.
    let remapped: Vec<(&Arch, Evaluation)> = ranked
        .par_iter()
        .map(|(_, g, screened)| {
            let arch = &ex.designs.feasible[g];
            evaluate(arch, workload, config.objective).map(|e| {
                if limits.performance_violation(&e).is_some() {
                    (arch, (*screened).clone())
                } else {
                    (arch, e)
                }
            })
        })
        .collect::<Result<_>>()?;
    let finalists: Vec<(&Arch, &Evaluation)> = remapped.iter().map(|(a, e)| (*a, e)).collect();
    let top = resimulate(&finalists, workload, config, progress)?;
    let best = top
        .iter()
        .min_by(|a, b| {
            a.simulated_objective
                .total_cmp(&b.simulated_objective)
                .then(a.analytical_rank.cmp(&b.analytical_rank))
        })
        .cloned()
        .expect("at least one finalist");
    let result = SearchResult {
        workload: workload.name.clone(),
        base_arch: base.name().to_string(),
        strategy: config.strategy.clone(),
        objective: config.objective,
        objective_unit: config.objective.unit().into(),
        seed: config.seed,
        budget: config.evaluations,
        evaluated: ex.history.len(),
        distinct_evaluated: ex.designs.memo.len(),
        invalid_skipped: ex.designs.invalid_skipped(),
        infeasible_skipped: ex.designs.infeasible_skipped(),
        unmappable: ex.unmappable(),
        over_limits: ex.over_limits(),
        space_size: config.space.size(),
        base_analytical: evaluate(base, workload, config.objective)
            .ok()
            .map(|e| e.metrics),
        best,
        top,
        history: ex.history,
        pareto: front,
        feasible,
    };
    Ok((result, stats))
}

/// Re-simulate each finalist on every layer ([`resimulate_design`]; finalists one after the
/// other, the layers of each in parallel), reporting progress per finalist.
fn resimulate(
    finalists: &[(&Arch, &Evaluation)],
    workload: &Workload,
    config: &SearchConfig,
    progress: &(dyn Fn(Phase, usize, usize) + Sync),
) -> Result<Vec<Finalist>> {
    let nl = workload.layers.len();
    let total = finalists.len() * nl;
    finalists
        .iter()
        .enumerate()
        .map(|(f, (arch, ev))| {
            let mut r = resimulate_design(arch, ev, workload, config.seed, config.objective)?;
            r.analytical_rank = f;
            progress(Phase::Resimulate, (f + 1) * nl, total);
            Ok(r)
        })
        .collect()
}
