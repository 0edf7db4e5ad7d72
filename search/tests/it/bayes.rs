//! The model-based strategies (Bayesian, predictor-guided) measured against the exhaustive
//! optimum, on spaces small enough to evaluate every point (576 accelerators), and against random
//! search at the same budget.
//!
//! What is measured: evaluations-to-target, the number of evaluations (duplicates included, as the
//! budget counts them) after which the best feasible objective found is within 1 % of the space's
//! optimum. The optimum is the minimum of the screening objective (the mapper's coarse space, what
//! the search ranks by) over every point that validates, maps and meets the limits. Seeds 1 to 5.
//! Both strategies get the same budget, a quarter of the space; a run that does not reach the
//! target counts as budget + 1, which flatters random search (its true figure is larger).
//!
//! The claims held to: every Bayesian or predictor-guided run reaches the target within 5 % of the space's size, and
//! random search needs at least twice as many evaluations on average. Run with `--nocapture` to
//! see the figures.
//!
//! A case where the claim does not hold, so it is not tested: the fastest mlp_small design within
//! 21.3 µJ on this space. Only 18 of the 576 points meet the cap, all of them 32×8
//! output-stationary arrays, a needle the energy model has to resolve to 1 %; seeds 1–5 took
//! 34, 4, 4, 48, 4 evaluations (random: 25, 4, 4, 49, 4).

use tessera_arch::{builtin, Arch, Dataflow};
use tessera_mapping::SpaceBudget;
use tessera_search::*;
use tessera_workloads::Workload;

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn base() -> Arch {
    builtin::arch("ws_16x16").unwrap()
}

/// 4 × 4 arrays × 3 × 3 × 2 buffer sizes × 2 dataflows = 576 points, no limits, EDP.
fn small_space() -> SearchConfig {
    let mut c = SearchConfig::default_for(&base());
    c.space.rows = vec![4, 8, 16, 32];
    c.space.cols = vec![4, 8, 16, 32];
    c.space.input_bytes = vec![8192, 16384, 32768];
    c.space.weight_bytes = vec![4096, 8192, 16384];
    c.space.accumulator_bytes = vec![32768, 65536];
    c.space.dataflow = Dataflow::SEARCH_DEFAULT.to_vec();
    c.space.weight_double_buffer = vec![false];
    c.constraints = Constraints::default();
    c.objective = Objective::Edp;
    c.top_k = 1;
    c
}

/// The optimum of the space (by the screening objective, among points that validate, map and
/// meet the limits), and how many points are within 1 % of it.
fn exhaustive(c: &SearchConfig, base: &Arch, w: &Workload) -> (f64, usize) {
    let mut values = vec![];
    for p in c.space.points() {
        let Ok(arch) = p.to_arch(base) else { continue };
        if c.constraints.violation(&arch).is_some() {
            continue;
        }
        let Ok(e) = eval::evaluate_in(&arch, w, c.objective, SpaceBudget::SCREEN) else {
            continue;
        };
        if c.constraints.performance_violation(&e).is_none() {
            values.push(e.metrics.objective(c.objective));
        }
    }
    let opt = values.iter().copied().fold(f64::INFINITY, f64::min);
    let near = values.iter().filter(|&&v| v <= opt * 1.01).count();
    (opt, near)
}

/// Evaluations until the best feasible objective is within 1 % of `opt` (`budget + 1` if never).
fn to_target(r: &SearchResult, opt: f64) -> usize {
    r.history
        .iter()
        .position(|h| h.best_so_far.is_some_and(|b| b <= opt * 1.01))
        .map_or(r.budget + 1, |i| i + 1)
}

fn mean(v: &[usize]) -> f64 {
    v.iter().sum::<usize>() as f64 / v.len() as f64
}

/// Run both strategies on every seed and check the claims.
fn bayesian_against_exhaustive_and_random(label: &str, c: &SearchConfig, w: &Workload) {
    against_exhaustive_and_random(label, Strategy::bayesian(), c, w)
}

/// Run `strategy` and random search on every seed and check the claims.
fn against_exhaustive_and_random(label: &str, strategy: Strategy, c: &SearchConfig, w: &Workload) {
    let name = strategy.name();
    let base = base();
    let size = c.space.size() as usize;
    assert_eq!(size, 576);
    let (opt, near) = exhaustive(c, &base, w);
    assert!(opt.is_finite(), "{label}: no feasible point");
    let budget = size / 4;
    let five_percent = size * 5 / 100;
    let run = |strategy: Strategy| -> Vec<usize> {
        SEEDS
            .iter()
            .map(|&seed| {
                let mut c = c.clone();
                c.strategy = strategy.clone();
                c.evaluations = budget;
                c.seed = seed;
                to_target(&search(&c, &base, w).unwrap(), opt)
            })
            .collect()
    };
    let bayes = run(strategy);
    let random = run(Strategy::Random);
    eprintln!(
        "{label}: optimum {opt:.6e} ({near} of {size} points within 1 %), budget {budget}; \
         evaluations to within 1 %, seeds {SEEDS:?}:\n  {name} {bayes:?} mean {:.1}\n  random   \
         {random:?} mean {:.1} (budget + 1 = not reached)",
        mean(&bayes),
        mean(&random)
    );
    for (seed, &n) in SEEDS.iter().zip(&bayes) {
        assert!(
            n <= five_percent,
            "{label}: seed {seed} needed {n} evaluations, more than 5 % of the space \
             ({five_percent}): {bayes:?}"
        );
    }
    assert!(
        mean(&random) >= 2.0 * mean(&bayes),
        "{label}: random {random:?} vs {name} {bayes:?}"
    );
}

#[test]
fn bayesian_finds_the_edp_optimum_of_mlp_small_with_5_percent_of_the_space() {
    let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
    bayesian_against_exhaustive_and_random("mlp_small EDP", &small_space(), &w);
}

#[test]
fn bayesian_finds_the_edp_optimum_of_dqn_with_5_percent_of_the_space() {
    let w = tessera_workloads::builtin::workload("dqn").unwrap();
    bayesian_against_exhaustive_and_random("dqn EDP", &small_space(), &w);
}

#[test]
fn bayesian_finds_the_constrained_optimum_with_5_percent_of_the_space() {
    // The most frugal design that runs mlp_small in at most 5000 cycles: only 12 of the 576
    // points are that fast, and only evaluation tells which, so the feasibility model matters.
    let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
    let mut c = small_space();
    c.objective = Objective::Energy;
    c.constraints.max_cycles = Some(5000);
    bayesian_against_exhaustive_and_random("mlp_small energy, max_cycles 5000", &c, &w);
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn bayesian_runs_are_deterministic_whatever_the_thread_count() {
    let (base, w) = (
        base(),
        tessera_workloads::builtin::workload("mlp_small").unwrap(),
    );
    // The default space (3200 points) is larger than the candidate set: the sampled path, with a
    // batch of 3 and a limit so every model is used.
    let mut c = SearchConfig::default_for(&base);
    c.strategy = Strategy::Bayesian(BayesParams {
        initial: 6,
        batch: 3,
        candidates: 256,
    });
    c.constraints.max_cycles = Some(12_000);
    c.evaluations = 30;
    c.seed = 4;
    let json = |r: &SearchResult| serde_json::to_string(r).unwrap();
    let one = pool(1).install(|| search(&c, &base, &w)).unwrap();
    let two = pool(2).install(|| search(&c, &base, &w)).unwrap();
    let four = pool(4).install(|| search(&c, &base, &w)).unwrap();
    assert_eq!(json(&one), json(&two));
    assert_eq!(json(&one), json(&four));
    assert_eq!(one.evaluated, 30);
    // After the initial design it never re-evaluates a point.
    assert_eq!(one.distinct_evaluated, 30);
    assert!(one.top.iter().all(|f| f.analytical.cycles <= 12_000));
    c.seed = 5;
    let other = search(&c, &base, &w).unwrap();
    assert_ne!(json(&one), json(&other));
}

#[test]
fn bayesian_on_a_space_smaller_than_its_budget_evaluates_every_point() {
    let base = base();
    let w = tessera_workloads::builtin::workload("gemm_37x50x19").unwrap();
    let mut c = small_space();
    c.space.input_bytes.truncate(1);
    c.space.weight_bytes.truncate(1);
    c.space.accumulator_bytes.truncate(1);
    c.space.rows.truncate(2);
    assert_eq!(c.space.size(), 16);
    c.strategy = Strategy::Bayesian(BayesParams {
        initial: 4,
        ..BayesParams::default()
    });
    c.evaluations = 40;
    let r = search(&c, &base, &w).unwrap();
    assert_eq!(r.evaluated, 40);
    assert_eq!(r.distinct_evaluated, 16);
    // Every point before any repeat: the first 16 evaluations are the 16 points.
    assert!(r.history[..16].iter().all(|h| h.new));
    let (opt, _) = exhaustive(&c, &base, &w);
    assert_eq!(r.history.last().unwrap().best_so_far, Some(opt));
}

#[test]
fn predictor_finds_the_edp_optimum_of_mlp_small_with_5_percent_of_the_space() {
    let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
    against_exhaustive_and_random("mlp_small EDP", Strategy::predictor(), &small_space(), &w);
}

#[test]
fn predictor_finds_the_edp_optimum_of_dqn_with_5_percent_of_the_space() {
    let w = tessera_workloads::builtin::workload("dqn").unwrap();
    against_exhaustive_and_random("dqn EDP", Strategy::predictor(), &small_space(), &w);
}

#[test]
fn predictor_finds_the_constrained_optimum_with_5_percent_of_the_space() {
    let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
    let mut c = small_space();
    c.objective = Objective::Energy;
    c.constraints.max_cycles = Some(5000);
    against_exhaustive_and_random(
        "mlp_small energy, max_cycles 5000",
        Strategy::predictor(),
        &c,
        &w,
    );
}

#[test]
fn predictor_runs_are_deterministic_whatever_the_thread_count() {
    let (base, w) = (base(), tessera_workloads::builtin::workload("dqn").unwrap());
    // The default space (3200 points) is larger than the candidate set: the sampled path, with a
    // batch of 3, a limit, and enough evaluations for two refits.
    let mut c = SearchConfig::default_for(&base);
    c.strategy = Strategy::Predictor(PredictorParams {
        initial: 6,
        batch: 3,
        candidates: 256,
    });
    c.constraints.max_cycles = Some(400_000);
    c.evaluations = 30;
    c.seed = 4;
    let json = |r: &SearchResult| serde_json::to_string(r).unwrap();
    let one = pool(1).install(|| search(&c, &base, &w)).unwrap();
    let two = pool(2).install(|| search(&c, &base, &w)).unwrap();
    assert_eq!(json(&one), json(&two));
    assert_eq!(one.evaluated, 30);
    assert_eq!(one.distinct_evaluated, 30);
    assert!(one.top.iter().all(|f| f.analytical.cycles <= 400_000));
    c.seed = 5;
    let other = search(&c, &base, &w).unwrap();
    assert_ne!(json(&one), json(&other));
}

#[test]
fn predictor_on_a_space_smaller_than_its_budget_evaluates_every_point() {
    let base = base();
    let w = tessera_workloads::builtin::workload("gemm_37x50x19").unwrap();
    let mut c = small_space();
    c.space.input_bytes.truncate(1);
    c.space.weight_bytes.truncate(1);
    c.space.accumulator_bytes.truncate(1);
    c.space.rows.truncate(2);
    assert_eq!(c.space.size(), 16);
    c.strategy = Strategy::Predictor(PredictorParams {
        initial: 4,
        ..PredictorParams::default()
    });
    c.evaluations = 40;
    let r = search(&c, &base, &w).unwrap();
    assert_eq!(r.evaluated, 40);
    assert_eq!(r.distinct_evaluated, 16);
    assert!(r.history[..16].iter().all(|h| h.new));
    let (opt, _) = exhaustive(&c, &base, &w);
    assert_eq!(r.history.last().unwrap().best_so_far, Some(opt));
}
