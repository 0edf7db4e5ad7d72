//! The multi-task search (NASAIC): specs that one accelerator cannot meet are met by a system of
//! several sub-accelerators within the budget; figures are consistent and cycle-exact; runs are
//! deterministic; bad configurations are refused by field.

use tessera_arch::builtin;
use tessera_search::multitask::{search_multitask, MultiTaskConfig, Task};
use tessera_search::Objective;

fn tasks(specs: &[(&str, Option<u64>)]) -> Vec<Task> {
    specs
        .iter()
        .map(|(w, c)| Task {
            workload: w.to_string(),
            max_cycles: *c,
        })
        .collect()
}

#[test]
fn specs_one_accelerator_cannot_meet_are_met_by_a_heterogeneous_system() {
    let base = builtin::arch("ws_16x16").unwrap();
    // dqn alone takes ~150k cycles on the whole budget; mlp_small, listed after it, must finish
    // by 60k: on one accelerator it would wait for dqn, so it needs a sub-accelerator of its own.
    let mut cfg = MultiTaskConfig::default_for(
        &base,
        tasks(&[("dqn", Some(400_000)), ("mlp_small", Some(60_000))]),
    );
    cfg.evaluations = 400;
    let w: Vec<_> = cfg
        .tasks
        .iter()
        .map(|t| tessera_workloads::builtin::workload(&t.workload).unwrap())
        .collect();
    let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    let b = &r.best;
    assert!(b.meets_specs, "{b:#?}");
    assert!(b.over_budget.is_none());
    assert!(b.subaccelerators.len() >= 2, "{b:#?}");
    assert!(b.pes <= base.pes() && b.sram_bytes <= base.sram_bytes().get());
    assert!(b.dram_bytes_per_cycle <= base.spec().dram.bytes_per_cycle as u64);
    for t in &b.tasks {
        assert_eq!(t.finish_cycle, t.start_cycle + t.cycles);
        // the analytical model is exact against the cycle simulator on every task
        assert_eq!(t.simulated_cycles, Some(t.cycles), "{}", t.workload);
        assert!(t.finish_cycle <= t.max_cycles.unwrap());
    }
    assert_eq!(
        b.latency_cycles,
        b.tasks.iter().map(|t| t.finish_cycle).max().unwrap()
    );
    let e: f64 = b.tasks.iter().map(|t| t.energy_pj).sum();
    assert_eq!(b.energy_pj, e);
    // every sub-accelerator runs what the tasks say, and each is a valid description
    for s in &b.subaccelerators {
        s.arch.clone().validate().unwrap();
        for t in &s.tasks {
            let tr = b.tasks.iter().find(|x| &x.workload == t).unwrap();
            assert_eq!(tr.subaccelerator.as_deref(), Some(s.name.as_str()));
        }
    }
    // the baseline: each designed alone within the whole budget, then combined
    let c = r
        .baseline
        .combined
        .as_ref()
        .expect("both have designs alone");
    assert_eq!(c.subaccelerators.len(), 2);
    assert!(c.over_budget.is_some() || !c.meets_specs, "{c:#?}");
    // best-so-far never gets worse
    let v: Vec<f64> = r.best_so_far.iter().flatten().copied().collect();
    assert!(v.windows(2).all(|p| p[1] <= p[0]));
    // deterministic
    let again = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&r).unwrap()
    );
}

#[test]
fn bad_configurations_are_refused_by_field() {
    let base = builtin::arch("ws_16x16").unwrap();
    let good = MultiTaskConfig::default_for(&base, tasks(&[("dqn", None)]));
    good.validate().unwrap();
    let mut c = good.clone();
    c.max_subaccelerators = 0;
    assert_eq!(
        c.validate().unwrap_err().field.as_deref(),
        Some("max_subaccelerators")
    );
    let mut c = good.clone();
    c.budget.max_cycles = Some(5);
    assert_eq!(c.validate().unwrap_err().field.as_deref(), Some("budget"));
    let mut c = good.clone();
    c.tasks.clear();
    assert_eq!(c.validate().unwrap_err().field.as_deref(), Some("tasks"));
    let mut c = good.clone();
    c.share_weights = vec![1, 0];
    assert_eq!(
        c.validate().unwrap_err().field.as_deref(),
        Some("share_weights[1]")
    );
    let mut c = good;
    c.objective = Objective::Edp;
    c.tasks[0].max_cycles = Some(0);
    assert_eq!(
        c.validate().unwrap_err().field.as_deref(),
        Some("tasks[0].max_cycles")
    );
}

/// A small run on a shared channel: every sub-accelerator sees the whole DRAM, the latencies come
/// from the contention estimate, the best system and the baseline are simulated together, and the
/// run is deterministic.
#[test]
fn a_shared_channel_run_is_estimated_then_simulated_as_one_system() {
    use tessera_search::multitask::{shared_mapping_spec, shared_system, DramMode};
    let base = builtin::arch("ws_8x8").unwrap();
    let w_bytes = base.spec().dram.bytes_per_cycle as u64;
    let mut cfg = MultiTaskConfig::default_for(
        &base,
        tasks(&[("gemm_64x64x64", Some(80_000)), ("gemm_37x50x19", None)]),
    );
    cfg.dram = DramMode::Shared;
    cfg.space.rows = vec![2, 4, 8];
    cfg.space.cols = vec![4, 8];
    cfg.max_subaccelerators = 2;
    cfg.evaluations = 64;
    cfg.evolution.population = 16;
    let w: Vec<_> = cfg
        .tasks
        .iter()
        .map(|t| tessera_workloads::builtin::workload(&t.workload).unwrap())
        .collect();
    let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    assert_eq!(r.dram, DramMode::Shared);
    for b in [
        &r.best,
        r.baseline.combined.as_ref().expect("a combined baseline"),
    ] {
        assert_eq!(b.dram_bytes_per_cycle, w_bytes);
        let mut sim_max = 0;
        for s in &b.subaccelerators {
            assert_eq!(s.dram_bytes_per_cycle, w_bytes);
            let c = s.contention.as_ref().expect("shared figures");
            let sim = c.simulated_cycles.expect("re-simulated");
            // contention only slows a sub-accelerator down; alone, the model is exact
            assert!(sim >= c.alone_cycles, "{c:?}");
            assert!(c.estimated_cycles >= c.alone_cycles, "{c:?}");
            assert_eq!(c.simulated_alone_cycles, Some(c.alone_cycles));
            let last = b
                .tasks
                .iter()
                .rfind(|t| t.subaccelerator.as_deref() == Some(s.name.as_str()))
                .unwrap();
            assert_eq!(last.finish_cycle, c.estimated_cycles);
            let err = c.estimate_error_pct.unwrap();
            assert!(err.abs() < 50.0, "{c:?}");
            sim_max = sim_max.max(sim);
        }
        assert_eq!(b.simulated_latency_cycles, Some(sim_max));
        for t in &b.tasks {
            assert_eq!(t.finish_cycle, t.start_cycle + t.cycles);
            assert_eq!(t.simulated_cycles, None);
        }
        // the estimate the search ranked by is the simulator's own estimate of the system it
        // simulated: the same mappings, the same segments
        let sys = shared_system(b, &w).unwrap();
        let est = tessera_sim::system::estimate_system(&sys, &shared_mapping_spec(cfg.objective))
            .unwrap();
        let mine: Vec<u64> = b
            .subaccelerators
            .iter()
            .map(|s| s.contention.as_ref().unwrap().estimated_cycles)
            .collect();
        assert_eq!(est, mine);
    }
    let b = &r.best;
    assert!(b.over_budget.is_none(), "{b:#?}");
    assert!(b.pes <= base.pes() && b.sram_bytes <= base.sram_bytes().get());
    let again = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&r).unwrap()
    );
}
