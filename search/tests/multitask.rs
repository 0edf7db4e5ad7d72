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
