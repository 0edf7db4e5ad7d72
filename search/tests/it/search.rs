//! End-to-end tests of the search on small workloads and budgets (debug builds stay fast).

use std::path::Path;
use std::sync::Mutex;
use tessera_arch::{builtin, is_safe_identifier, Arch, Dataflow};
use tessera_mapping::{Mapping, Problem, SpaceBudget};
use tessera_search::*;
use tessera_sim::estimate;
use tessera_workloads::{Layer, Workload};

fn base() -> Arch {
    builtin::arch("ws_16x16").unwrap()
}

fn mlp() -> Workload {
    tessera_workloads::builtin::workload("mlp_small").unwrap()
}

fn config(strategy: Strategy, evaluations: usize, seed: u64) -> SearchConfig {
    let mut c = SearchConfig::default_for(&base());
    c.strategy = strategy;
    c.evaluations = evaluations;
    c.seed = seed;
    c
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn same_seed_same_result_on_one_two_and_four_threads() {
    let (base, w) = (base(), mlp());
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
    ] {
        let c = config(strategy, 48, 7);
        let one = pool(1).install(|| search(&c, &base, &w)).unwrap();
        let two = pool(2).install(|| search(&c, &base, &w)).unwrap();
        let again = pool(4).install(|| search(&c, &base, &w)).unwrap();
        let json = |r: &SearchResult| serde_json::to_string(r).unwrap();
        let ron = |r: &SearchResult| tessera_core::load::to_ron_string(r).unwrap();
        assert_eq!(json(&one), json(&two), "{}", c.strategy.name());
        assert_eq!(json(&two), json(&again));
        assert_eq!(ron(&one), ron(&two));
        // A different seed explores differently.
        let c2 = config(c.strategy.clone(), 48, 8);
        let other = search(&c2, &base, &w).unwrap();
        let names = |r: &SearchResult| r.history.iter().map(|h| h.arch.clone()).collect::<Vec<_>>();
        assert_ne!(names(&one), names(&other));
        // The default space has weight- and output-stationary, and the run explores both.
        for df in Dataflow::SEARCH_DEFAULT {
            assert!(one.history.iter().any(|h| h.point.dataflow == df), "{df:?}");
        }
    }
}

#[test]
fn result_is_consistent() {
    let (base, w) = (base(), mlp());
    let c = config(Strategy::evolutionary(), 40, 3);
    let r = search(&c, &base, &w).unwrap();
    assert_eq!(r.evaluated, 40);
    assert_eq!(r.budget, 40);
    assert_eq!(r.history.len(), r.evaluated);
    assert!(r.distinct_evaluated <= r.evaluated);
    assert_eq!(
        r.history.iter().filter(|h| h.new).count(),
        r.distinct_evaluated
    );
    assert_eq!(r.space_size, c.space.size());
    assert_eq!(r.objective, Objective::Edp);
    assert_eq!(r.objective_unit, "cycles·pJ");
    let b = r.base_analytical.unwrap();
    assert_eq!((b.pes, b.sram_bytes), (256, base.sram_bytes().get()));
    // History: indices in order, best-so-far is the running minimum.
    let mut best = f64::INFINITY;
    for (i, h) in r.history.iter().enumerate() {
        assert_eq!(h.index, i);
        best = best.min(h.objective.unwrap());
        assert_eq!(h.best_so_far, Some(best));
        assert_eq!(h.arch, h.point.name());
    }
    // Top-K: distinct, in analytical order, re-simulated, best by the simulated objective.
    assert_eq!(r.top.len(), 3);
    for (i, f) in r.top.iter().enumerate() {
        assert_eq!(f.analytical_rank, i);
        assert_eq!(f.layers.len(), w.layers.len());
        assert!(is_safe_identifier(&f.arch.name));
        assert_eq!(f.arch.name, f.point.name());
        let arch = f.arch.validate().unwrap();
        assert_eq!(DesignPoint::of(&arch), f.point);
        assert_eq!(arch.dataflow(), f.point.dataflow);
        assert_eq!(f.analytical.pes, arch.pes());
        assert_eq!(
            f.simulated.cycles,
            f.layers.iter().map(|l| l.simulated_cycles).sum::<u64>()
        );
        assert_eq!(
            f.simulated.edp_cycles_pj,
            f.simulated.cycles as f64 * f.simulated.energy_pj
        );
        assert_eq!(f.simulated_objective, f.simulated.edp_cycles_pj);
        // The analytical model is close to the simulator on these layers.
        assert!(f.cycle_error_pct.abs() < 10.0, "{}", f.cycle_error_pct);
        // The per-layer mapping is the inner search's choice.
        for (l, layer) in f.layers.iter().zip(&w.layers) {
            let p = Problem::new(layer, &arch).unwrap();
            assert_eq!(
                l.mapping,
                best_mapping(&p, &arch, r.objective).unwrap().mapping
            );
        }
    }
    // The finalists are ranked by their screening objective (the history's, in the coarse mapping
    // space): the first is the best so far; remapped in the full space, none is worse than it was.
    let screened = |name: &str| {
        r.history
            .iter()
            .find(|h| h.arch == name)
            .and_then(|h| h.objective)
            .unwrap()
    };
    let obj: Vec<f64> = r.top.iter().map(|f| screened(&f.arch.name)).collect();
    assert!(obj.windows(2).all(|x| x[0] <= x[1]), "{obj:?}");
    assert_eq!(Some(obj[0]), r.history.last().unwrap().best_so_far);
    for (f, s) in r.top.iter().zip(&obj) {
        assert!(f.analytical.edp_cycles_pj <= *s, "{}", f.arch.name);
    }
    let names: std::collections::BTreeSet<_> = r.top.iter().map(|f| &f.arch.name).collect();
    assert_eq!(names.len(), 3);
    let min_sim = r
        .top
        .iter()
        .map(|f| f.simulated_objective)
        .fold(f64::INFINITY, f64::min);
    assert_eq!(r.best.simulated_objective, min_sim);
    assert!(r.top.contains(&r.best));
}

#[test]
fn every_evaluated_candidate_meets_the_constraints() {
    let (base, w) = (base(), mlp());
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
    ] {
        let mut c = config(strategy, 60, 11);
        c.constraints = Constraints {
            max_pes: Some(64),
            max_sram_bytes: Some(96 * 1024),
            max_area_um2: Some(1.5e6),
            ..Constraints::default()
        };
        let r = search(&c, &base, &w).unwrap();
        assert!(r.infeasible_skipped > 0, "the limits should bite");
        for h in &r.history {
            let arch = h.point.to_arch(&base).unwrap();
            assert_eq!(c.constraints.violation(&arch), None, "{}", h.arch);
            assert!(arch.pes() <= 64);
            assert!(arch.sram_bytes().get() <= 96 * 1024);
        }
        for f in &r.top {
            assert!(f.analytical.pes <= 64 && f.analytical.sram_bytes <= 96 * 1024);
            assert!(f.analytical.area_um2 <= 1.5e6);
        }
    }
}

#[test]
fn performance_limits_are_learned_from_evaluations_and_respected() {
    let (base, w) = (base(), mlp());
    // Half-way between the fastest and the median candidate of an unconstrained run.
    let free = search(&config(Strategy::Random, 64, 5), &base, &w).unwrap();
    let mut cycles: Vec<u64> = free
        .history
        .iter()
        .map(|h| {
            let arch = h.point.to_arch(&base).unwrap();
            evaluate(&arch, &w, Objective::Edp).unwrap().metrics.cycles
        })
        .collect();
    cycles.sort_unstable();
    let limit = (cycles[0] + cycles[cycles.len() / 2]) / 2;
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
        Strategy::predictor(),
    ] {
        let mut c = config(strategy, 64, 5);
        c.constraints.max_cycles = Some(limit);
        let r = search(&c, &base, &w).unwrap();
        assert!(r.over_limits > 0, "the limit should bite");
        let mut best = None::<f64>;
        for h in &r.history {
            // Over the limit: evaluated (it has an objective) but never the best so far.
            if let Some(why) = &h.violation {
                assert!(why.contains("max_cycles"), "{why}");
                assert!(h.objective.is_some());
            } else {
                let v = h.objective.unwrap();
                best = Some(best.map_or(v, |b| b.min(v)));
            }
            assert_eq!(h.best_so_far, best);
        }
        for f in &r.top {
            assert!(f.analytical.cycles <= limit, "{}", f.arch.name);
        }
        // the first finalist is the best screened design (remapped in the full space: no worse)
        let screened = r
            .history
            .iter()
            .find(|h| h.arch == r.top[0].arch.name)
            .and_then(|h| h.objective);
        assert_eq!(screened, best);
        assert!(Some(r.top[0].analytical.edp_cycles_pj) <= best);
    }
    let mut c = config(Strategy::Random, 8, 5);
    c.constraints.max_energy_pj = Some(1.0);
    let e = search(&c, &base, &w).unwrap_err();
    assert!(e.message.contains("max_energy_pj"), "{e}");
}

/// An average-power spec: known after evaluation like the cycle and energy limits, respected by
/// every strategy, and computed at the accelerator's clock.
#[test]
fn power_limit_is_respected() {
    let (base, w) = (base(), mlp());
    let clock = base.clock_mhz();
    let free = search(&config(Strategy::Random, 64, 5), &base, &w).unwrap();
    let mut power: Vec<f64> = free
        .history
        .iter()
        .map(|h| {
            let arch = h.point.to_arch(&base).unwrap();
            let m = eval::evaluate_in(&arch, &w, Objective::Edp, SpaceBudget::SCREEN)
                .unwrap()
                .metrics;
            m.average_power_mw(clock)
        })
        .collect();
    power.sort_by(f64::total_cmp);
    let limit = power[power.len() / 2];
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
        Strategy::predictor(),
    ] {
        let name = strategy.name();
        let mut c = config(strategy, 48, 5);
        c.constraints.max_power_mw = Some(limit);
        let r = search(&c, &base, &w).unwrap();
        assert!(r.over_limits > 0, "{name}: the limit should bite");
        for h in &r.history {
            if let Some(why) = &h.violation {
                assert!(why.contains("max_power_mw"), "{why}");
            }
        }
        for f in &r.top {
            let p = f.analytical.average_power_mw(clock);
            assert!(p <= limit, "{name}: {} at {p} mW", f.arch.name);
        }
    }
}

/// The front is the non-dominated set of exactly the distinct feasible candidates, with the figures
/// the search ranked them by, and is in the JSON report.
#[test]
fn pareto_front_of_the_feasible_candidates() {
    let (base, w) = (base(), mlp());
    let mut c = config(Strategy::Random, 64, 11);
    // a cycle limit that some candidates exceed: they are evaluated but not on the front
    let probe = search(&c, &base, &w).unwrap();
    let mut cycles: Vec<u64> = probe.feasible.iter().map(|p| p.cycles).collect();
    cycles.sort_unstable();
    c.constraints.max_cycles = Some(cycles[cycles.len() * 3 / 4]);
    let r = search(&c, &base, &w).unwrap();
    assert!(r.over_limits > 0, "the limit should bite");
    // feasible = the distinct history entries that mapped and meet the limits
    let from_history: std::collections::BTreeMap<&str, f64> = r
        .history
        .iter()
        .filter(|h| h.violation.is_none())
        .filter_map(|h| Some((h.arch.as_str(), h.objective?)))
        .collect();
    assert_eq!(r.feasible.len(), from_history.len());
    assert_eq!(
        r.feasible.len(),
        r.distinct_evaluated - r.unmappable - r.over_limits
    );
    for p in &r.feasible {
        assert_eq!(from_history[p.name.as_str()], p.edp_cycles_pj, "{}", p.name);
        assert_eq!(p.edp_cycles_pj, p.cycles as f64 * p.energy_pj);
        assert_eq!(p.name, p.point.name());
        assert!(p.cycles <= c.constraints.max_cycles.unwrap());
    }
    assert!(r.feasible.windows(2).all(|x| x[0].order(&x[1]).is_lt()));
    // the front: non-dominated, everything else dominated by it, in order
    assert!(!r.pareto.is_empty());
    assert_eq!(r.pareto, pareto::front(&r.feasible));
    for p in &r.feasible {
        let on = r.pareto.contains(p);
        let dominated = r.feasible.iter().any(|q| q.dominates(p));
        assert_eq!(on, !dominated, "{}", p.name);
    }
    // the analytically best candidate by the objective (EDP) is on the front
    let best = r
        .feasible
        .iter()
        .map(|p| p.edp_cycles_pj)
        .fold(f64::INFINITY, f64::min);
    assert!(r.pareto.iter().any(|p| p.edp_cycles_pj == best));
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["pareto"].as_array().unwrap().len(), r.pareto.len());
    assert_eq!(json["pareto"][0]["name"], r.pareto[0].name.as_str());
    assert!(json.get("feasible").is_none(), "not serialised");
}

/// The best objective found with this strategy, budget and seed.
fn best_found(strategy: Strategy, evaluations: usize, seed: u64) -> f64 {
    let r = search(&config(strategy, evaluations, seed), &base(), &mlp()).unwrap();
    r.history.last().unwrap().best_so_far.unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn evolutionary_beats_or_ties_random() {
    let seeds = [1, 2, 3, 4, 5];
    let budget = 64;
    let evo: Vec<f64> = seeds
        .iter()
        .map(|&s| best_found(Strategy::evolutionary(), budget, s))
        .collect();
    let rnd: Vec<f64> = seeds
        .iter()
        .map(|&s| best_found(Strategy::Random, budget, s))
        .collect();
    eprintln!("evolutionary {evo:?}\nrandom       {rnd:?}");
    assert!(median(evo) <= median(rnd));
}

#[test]
fn inner_search_is_no_worse_than_the_default_mapping_on_mlp_small() {
    let w = mlp();
    for a in [
        "ws_2x3", "ws_4x4", "ws_8x8", "ws_16x16", "ws_32x32", "os_2x3", "os_4x4", "os_8x8",
        "os_16x16", "os_32x32",
    ] {
        let arch = builtin::arch(a).unwrap();
        for layer in &w.layers {
            let p = Problem::new(layer, &arch).unwrap();
            let d = estimate(&p, &arch, &Mapping::default_for(&p.gemm, &arch)).unwrap();
            for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                let b = best_mapping(&p, &arch, o).unwrap();
                let full = estimate(&p, &arch, &b.mapping).unwrap();
                assert_eq!(full, b.estimate, "the fast path is the model");
                assert!(
                    o.value(full.cycles.get(), full.energy.total_pj)
                        <= o.value(d.cycles.get(), d.energy.total_pj),
                    "{a} {} {o:?}",
                    p.name
                );
            }
        }
    }
}

#[test]
fn bad_space_names_the_field() {
    let base = base();
    let mut c = SearchConfig::default_for(&base);
    c.space.rows.clear();
    let e = c.validate().unwrap_err();
    assert_eq!(e.field.as_deref(), Some("space.rows"), "{e}");
    assert!(e.message.contains("at least one"), "{e}");
    // search() validates too, and never panics on bad input.
    assert_eq!(
        search(&c, &base, &mlp()).unwrap_err().field.as_deref(),
        Some("space.rows")
    );

    let text = "SearchConfig(space: (rows: [4], cols: [4], input_bytes: [2048, 0], \
                weight_bytes: [1024], accumulator_bytes: [8192]), objective: Latency, \
                strategy: Random, evaluations: 5, seed: 9)";
    let e = SearchConfig::from_ron_str(text, Path::new("s.ron")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("space.input_bytes[1]"), "{e}");
    assert!(
        e.to_string()
            .starts_with("s.ron: field `space.input_bytes[1]`"),
        "{e}"
    );

    let e = SearchConfig::from_ron_str(
        &text.replace("input_bytes", "input_kib"),
        Path::new("s.ron"),
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("space.input_kib"), "{e}");
    assert!(e.position.is_some());

    let e = SearchConfig::from_ron_str(
        &text
            .replace("[2048, 0]", "[2048]")
            .replace("evaluations: 5", "evaluations: 0"),
        Path::new("s.ron"),
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("evaluations"), "{e}");
}

#[test]
fn invalid_combinations_are_skipped_and_counted() {
    let base = builtin::arch("ws_4x4").unwrap();
    let w = tessera_workloads::builtin::workload("gemm_37x50x19").unwrap();
    let mut c = SearchConfig::default_for(&base);
    // 3 rows or cols makes words of 3 or 12 bytes that do not divide these capacities.
    c.space.rows = vec![3, 4];
    c.space.cols = vec![3, 4];
    c.constraints = Constraints::default();
    c.evaluations = 30;
    c.top_k = 2;
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
    ] {
        c.strategy = strategy;
        let r = search(&c, &base, &w).unwrap();
        assert!(r.invalid_skipped > 0);
        assert!(r.history.iter().all(|h| h.point.to_arch(&base).is_ok()));
        assert_eq!(r.evaluated, 30);
    }
}

#[test]
fn impossible_specs_are_an_error_not_a_hang() {
    let base = base();
    let mut c = config(Strategy::evolutionary(), 10, 1);
    c.constraints.max_pes = Some(3);
    let e = search(&c, &base, &mlp()).unwrap_err();
    assert!(e.message.contains("relax the constraints"), "{e}");
}

#[test]
fn a_layer_too_large_for_dram_is_reported() {
    let base = base();
    let w = Workload::of_layers(
        "huge",
        vec![Layer::Gemm(tessera_workloads::Gemm::new(
            "big", 70_000, 70_000, 1,
        ))],
    );
    let e = search(&config(Strategy::Random, 4, 1), &base, &w).unwrap_err();
    assert!(e.message.contains("could map"), "{e}");
}

#[test]
fn budgets_smaller_than_a_population_and_top_k_larger_than_the_run() {
    let (base, w) = (base(), mlp());
    let mut c = config(Strategy::evolutionary(), 2, 5);
    c.top_k = 10;
    let r = search(&c, &base, &w).unwrap();
    assert_eq!(r.evaluated, 2);
    assert_eq!(r.top.len(), r.distinct_evaluated);
}

#[test]
fn progress_reaches_the_end_of_both_phases() {
    let (base, w) = (base(), mlp());
    let c = config(Strategy::Random, 40, 2);
    let seen = Mutex::new(vec![]);
    let r = search_with_progress(&c, &base, &w, &|p, done, total| {
        seen.lock().unwrap().push((p, done, total))
    })
    .unwrap();
    let seen = seen.into_inner().unwrap();
    assert!(seen.contains(&(Phase::Explore, 40, 40)));
    let n = r.top.len() * w.layers.len();
    assert!(seen.contains(&(Phase::Resimulate, n, n)));
    // Explore reports come in order (one per batch: 32 then 8).
    let explore: Vec<usize> = seen
        .iter()
        .filter(|s| s.0 == Phase::Explore)
        .map(|s| s.1)
        .collect();
    assert_eq!(explore, vec![32, 40]);
}

#[test]
fn objectives_pick_their_own_optimum() {
    let (base, w) = (base(), mlp());
    let mut best = vec![];
    for o in [Objective::Latency, Objective::Energy] {
        let mut c = config(Strategy::evolutionary(), 48, 4);
        c.objective = o;
        let r = search(&c, &base, &w).unwrap();
        assert_eq!(r.best.simulated_objective, r.best.simulated.objective(o));
        best.push(r.best.analytical);
    }
    // The latency search's pick is at least as fast (analytically) as the energy search's, and
    // the energy search's pick at least as frugal, or the searches saw different candidates.
    assert!(best[0].cycles <= best[1].cycles || best[1].energy_pj <= best[0].energy_pj);
}

/// A one-layer workload.
fn one_layer(m: u32, k: u32, n: u32) -> Workload {
    Workload::of_layers(
        &format!("gemm_{m}x{k}x{n}"),
        vec![Layer::Gemm(tessera_workloads::Gemm::new("g", m, k, n))],
    )
}

/// A small space around `ws_4x4` with both dataflows, searched exhaustively (a random search whose
/// budget is many times the space's size sees every point).
fn both_dataflows_exhaustive(objective: Objective) -> (Arch, SearchConfig) {
    let base = builtin::arch("ws_4x4").unwrap();
    let mut c = SearchConfig::default_for(&base);
    c.space.rows = vec![4, 8];
    c.space.cols = vec![4, 8];
    c.space.input_bytes = vec![base.input().capacity().get() as i64];
    c.space.weight_bytes = vec![base.weight().capacity().get() as i64];
    c.space.accumulator_bytes = vec![base.accumulator().capacity().get() as i64];
    assert_eq!(c.space.dataflow, Dataflow::SEARCH_DEFAULT.to_vec());
    c.space.weight_double_buffer = vec![false];
    c.constraints = Constraints::default();
    c.objective = objective;
    c.strategy = Strategy::Random;
    c.evaluations = 40 * c.space.size() as usize;
    c.top_k = 2;
    (base, c)
}

/// The best analytical objective of each dataflow over every point of the space.
fn best_per_dataflow(c: &SearchConfig, base: &Arch, w: &Workload) -> [f64; 2] {
    let mut best = [f64::INFINITY; 2];
    for &rows in &c.space.rows {
        for &cols in &c.space.cols {
            for (i, dataflow) in Dataflow::SEARCH_DEFAULT.into_iter().enumerate() {
                let p = DesignPoint {
                    rows: rows as u32,
                    cols: cols as u32,
                    input_bytes: c.space.input_bytes[0] as u64,
                    weight_bytes: c.space.weight_bytes[0] as u64,
                    accumulator_bytes: c.space.accumulator_bytes[0] as u64,
                    banks: c.space.banks[0] as u32,
                    dataflow,
                    weight_double_buffer: false,
                    noc: Default::default(),
                    words_per_cycle: 1,
                    rf_weights: 0,
                };
                let arch = p.to_arch(base).unwrap();
                let v = evaluate(&arch, w, c.objective)
                    .unwrap()
                    .metrics
                    .objective(c.objective);
                best[i] = best[i].min(v);
            }
        }
    }
    best
}

#[test]
fn output_stationary_wins_on_small_m_and_deep_k() {
    // 4 rows of A against a deep K: weight-stationary reloads an R×C weight tile for every 4
    // streamed rows, output-stationary streams K through resident outputs.
    let w = one_layer(4, 1024, 16);
    for objective in [Objective::Latency, Objective::Edp] {
        let (base, c) = both_dataflows_exhaustive(objective);
        let [ws, os] = best_per_dataflow(&c, &base, &w);
        assert!(os < ws, "{objective:?}: OS {os} vs WS {ws}");
        let r = search(&c, &base, &w).unwrap();
        assert_eq!(r.distinct_evaluated as u64, c.space.size());
        // The search returns the output-stationary optimum, by the analytical objective.
        let best = &r.top[0];
        assert_eq!(
            best.point.dataflow,
            Dataflow::OutputStationary,
            "{objective:?}"
        );
        assert!(best.arch.name.starts_with("cand_os_"), "{}", best.arch.name);
        assert_eq!(best.analytical.objective(objective), os);
        assert_eq!(r.history.last().unwrap().best_so_far, Some(os));
        // And the finalist chosen by the cycle-level simulator is output-stationary too.
        assert_eq!(r.best.point.dataflow, Dataflow::OutputStationary);
        let arch = r.best.arch.validate().unwrap();
        assert_eq!(arch.dataflow(), Dataflow::OutputStationary);
        // Its per-layer mappings are output-stationary ones (tile_m fixed to the rows).
        let p = Problem::new(&w.layers[0], &arch).unwrap();
        let l = &r.best.layers[0];
        assert_eq!(l.mapping.tile_m, arch.rows());
        assert_eq!(
            l.mapping,
            best_mapping(&p, &arch, objective).unwrap().mapping
        );
        assert!(r.best.simulated_objective <= r.top[1].simulated_objective);
    }
}

#[test]
fn double_buffered_weights_are_chosen_where_weight_preloads_dominate() {
    // Few streamed rows per weight tile: single-buffered PEs wait for every preload.
    let w = one_layer(32, 512, 256);
    let (base, mut c) = both_dataflows_exhaustive(Objective::Latency);
    c.space.weight_double_buffer = vec![true, false];
    c.evaluations = 40 * c.space.size() as usize;
    let r = search(&c, &base, &w).unwrap();
    // every point validates (output-stationary ones double-buffer their sums)
    assert_eq!(r.distinct_evaluated, 16);
    assert_eq!(r.invalid_skipped, 0);
    let best = &r.top[0];
    assert!(best.point.weight_double_buffer, "{}", best.arch.name);
    assert!(
        best.arch.name.starts_with("cand_wsd_"),
        "{}",
        best.arch.name
    );
    assert!(best.arch.array.weight_double_buffer);
    // the same design without double-buffering is slower, on both models
    let mut single = best.point;
    single.weight_double_buffer = false;
    let slow = evaluate(&single.to_arch(&base).unwrap(), &w, c.objective).unwrap();
    assert!(slow.metrics.cycles > best.analytical.cycles);
    assert_eq!(best.simulated.cycles, best.analytical.cycles);
}

#[test]
fn weight_stationary_wins_on_tall_layers() {
    // Many rows of A: weight-stationary streams them past one weight tile.
    let w = one_layer(256, 64, 64);
    let (base, c) = both_dataflows_exhaustive(Objective::Edp);
    let [ws, os] = best_per_dataflow(&c, &base, &w);
    assert!(ws < os, "WS {ws} vs OS {os}");
    let r = search(&c, &base, &w).unwrap();
    assert_eq!(r.top[0].point.dataflow, Dataflow::WeightStationary);
    assert_eq!(r.top[0].analytical.objective(c.objective), ws);
}

#[test]
fn evolutionary_search_finds_output_stationary_designs_and_stays_deterministic() {
    let w = Workload::of_layers(
        "deep",
        vec![
            Layer::Gemm(tessera_workloads::Gemm::new("a", 4, 1024, 16)),
            Layer::Gemm(tessera_workloads::Gemm::new("b", 8, 2048, 8)),
        ],
    );
    let base = base();
    let c = config(Strategy::evolutionary(), 64, 3);
    let one = pool(1).install(|| search(&c, &base, &w)).unwrap();
    let four = pool(4).install(|| search(&c, &base, &w)).unwrap();
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&four).unwrap()
    );
    assert_eq!(one.best.point.dataflow, Dataflow::OutputStationary);
    // Every weight-stationary candidate it evaluated is worse than its pick.
    let pick = one.top[0].analytical.objective(c.objective);
    for h in one
        .history
        .iter()
        .filter(|h| h.point.dataflow == Dataflow::WeightStationary)
    {
        assert!(h.objective.unwrap() > pick, "{}", h.arch);
    }
}

#[test]
fn one_dataflow_spaces_search_only_that_dataflow() {
    let w = mlp();
    for df in Dataflow::SUPPORTED {
        let mut c = config(Strategy::evolutionary(), 24, 2);
        c.space.dataflow = vec![df];
        c.top_k = 1;
        let r = search(&c, &base(), &w).unwrap();
        assert!(r.history.iter().all(|h| h.point.dataflow == df));
        assert_eq!(r.best.point.dataflow, df);
        assert!(r
            .best
            .arch
            .name
            .starts_with(&format!("cand_{}_", df.short())));
    }
}

/// A space file that lists input-stationary searches it beside the default two: the run explores
/// all three, its finalists re-simulate to the reference outputs (the search refuses a run whose
/// finalist does not), and the input-stationary candidates' names say so.
#[test]
fn a_space_that_lists_input_stationary_searches_it() {
    let text = r#"SearchConfig(
        space: (
            rows: [4, 8], cols: [4, 8],
            input_bytes: [8192, 16384], weight_bytes: [8192], accumulator_bytes: [32768],
            dataflow: [InputStationary, WeightStationary, OutputStationary],
        ),
        objective: Edp,
        strategy: Random,
        evaluations: 24,
        seed: 5,
        top_k: 3,
    )"#;
    let c = SearchConfig::from_ron_str(text, Path::new("space.ron")).unwrap();
    let r = search(&c, &base(), &mlp()).unwrap();
    for df in Dataflow::SUPPORTED {
        assert!(r.history.iter().any(|h| h.point.dataflow == df), "{df:?}");
    }
    let is = r
        .history
        .iter()
        .find(|h| h.point.dataflow == Dataflow::InputStationary && h.objective.is_some())
        .expect("an input-stationary candidate mapped");
    assert!(is.arch.starts_with("cand_is_"), "{}", is.arch);
}

/// A convolution with padding and a GEMM, small enough for a row-stationary array of a few PEs.
fn conv_and_gemm() -> Workload {
    let text = r#"WorkloadSpec(
        name: "conv_gemm",
        inputs: [(name: "x", shape: [1, 3, 8, 8])],
        layers: [
            Conv2d((name: "conv", out_channels: 4, kernel: (3, 3), padding: (1, 1))),
            Op((name: "flatten", kind: Flatten)),
            Linear((name: "fc", out_features: 10)),
        ],
    )"#;
    let spec: tessera_workloads::WorkloadSpec =
        tessera_core::load::parse_ron(text, Path::new("conv_gemm.ron")).unwrap();
    spec.validate().unwrap()
}

/// A space that lists row-stationary with two register files searches it beside weight-stationary:
/// every point of the small space is evaluated and re-simulated (top-K = the space), the
/// row-stationary finalists have each register file, validate as the search named them, and
/// every finalist's analytical totals equal its cycle simulation's (the model is exact on both
/// dataflows). A row-stationary-only space returns a row-stationary design, which
/// `resimulate_design` re-simulates to the same figures. Input capacities are multiples of both
/// arrays' `R + C − 1`-byte row-stationary input words (5 and 7 bytes, two banks); 8192 B is not,
/// and its row-stationary points are skipped as invalid.
#[test]
fn a_space_that_lists_row_stationary_searches_it() {
    let text = r#"SearchConfig(
        space: (
            rows: [2, 4], cols: [4],
            input_bytes: [4480, 8192], weight_bytes: [4096], accumulator_bytes: [8192],
            dataflow: [RowStationary, WeightStationary],
            rf_weights: [8, 4],
        ),
        objective: Latency,
        strategy: Random,
        evaluations: 60,
        seed: 2,
        top_k: 8,
    )"#;
    let base = builtin::arch("ws_4x4").unwrap();
    let w = conv_and_gemm();
    let mut c = SearchConfig::from_ron_str(text, Path::new("space.ron")).unwrap();
    // 2 rows × 2 capacities × (WS + RS × 2 register files); RS at 8192 B does not validate
    assert_eq!(c.space.size(), 12);
    let r = search(&c, &base, &w).unwrap();
    assert!(r.invalid_skipped > 0);
    assert!(r
        .history
        .iter()
        .filter(|h| h.point.dataflow == Dataflow::RowStationary)
        .all(|h| h.point.input_bytes == 4480 || h.objective.is_none()));
    assert_eq!(r.top.len(), 8);
    let mut rf = std::collections::BTreeSet::new();
    for f in &r.top {
        let arch = f.arch.validate().unwrap();
        assert_eq!(DesignPoint::of(&arch), f.point);
        assert_eq!(arch.name(), f.point.name());
        if f.point.dataflow == Dataflow::RowStationary {
            assert!(arch.name().ends_with(&format!("_f{}", f.point.rf_weights)));
            assert_eq!(arch.rf_weights(), f.point.rf_weights);
            rf.insert(f.point.rf_weights);
        } else {
            assert_eq!(f.point.rf_weights, 0);
        }
        assert_eq!(f.analytical.cycles, f.simulated.cycles, "{}", arch.name());
        assert_eq!(f.analytical.energy_pj, f.simulated.energy_pj);
        for l in &f.layers {
            assert_eq!(l.analytical_cycles, l.simulated_cycles, "{}", l.layer);
        }
    }
    assert_eq!(rf, [4, 8].into());
    // every strategy draws row-stationary points of both register files from the space
    for strategy in [
        Strategy::evolutionary(),
        Strategy::bayesian(),
        Strategy::predictor(),
    ] {
        let mut s = c.clone();
        s.strategy = strategy;
        s.evaluations = 16;
        s.top_k = 1;
        let r = search(&s, &base, &w).unwrap();
        let drawn: std::collections::BTreeSet<u32> = r
            .history
            .iter()
            .filter(|h| h.point.dataflow == Dataflow::RowStationary)
            .map(|h| h.point.rf_weights)
            .collect();
        assert!(!drawn.is_empty(), "{}", s.strategy.name());
        assert!(drawn.iter().all(|f| [4, 8].contains(f)), "{drawn:?}");
    }
    // only row-stationary: the search returns one, exact against its simulation
    c.space.dataflow = vec![Dataflow::RowStationary];
    c.evaluations = 12;
    c.top_k = 1;
    let r = search(&c, &base, &w).unwrap();
    let b = &r.best;
    assert_eq!(b.point.dataflow, Dataflow::RowStationary);
    assert!([4, 8].contains(&b.point.rf_weights));
    assert_eq!(b.analytical.cycles, b.simulated.cycles);
    let arch = b.arch.validate().unwrap();
    let ev = evaluate(&arch, &w, c.objective).unwrap();
    let again = resimulate_design(&arch, &ev, &w, c.seed, c.objective).unwrap();
    assert_eq!(again.simulated, b.simulated);
    assert_eq!(again.analytical.cycles, again.simulated.cycles);
}
