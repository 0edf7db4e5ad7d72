//! `tessera_flow::baseline`: the search against a template at equal resources.

use tessera_arch::builtin;
use tessera_flow::baseline::{self, BaselineOptions, BaselineReport, Comparison, Ratios};
use tessera_search::{Objective, Strategy};
use tessera_workloads::builtin::workload;

fn options(evaluations: usize) -> BaselineOptions {
    BaselineOptions {
        evaluations,
        seed: 7,
        ..BaselineOptions::default()
    }
}

/// Every figure of a comparison agrees with the others.
fn check_consistent(c: &Comparison, objective: Objective) {
    let (t, f) = (&c.template_design, &c.found);
    // Equal resources: the found design uses at most the template's PEs and SRAM.
    assert!(f.pes <= t.pes, "{c:?}");
    assert!(f.sram_bytes <= t.sram_bytes, "{c:?}");
    assert_eq!(f.pes, u64::from(f.rows) * u64::from(f.cols));
    assert_eq!(
        f.sram_bytes,
        f.input_bytes + f.weight_bytes + f.accumulator_bytes
    );
    assert_eq!(c.search.max_pes, t.pes);
    assert_eq!(c.search.max_sram_bytes, t.sram_bytes);
    // The ratios are the reported figures' quotients.
    let r = &c.ratios;
    assert_eq!(r.edp, t.simulated.edp_cycles_pj / f.simulated.edp_cycles_pj);
    assert_eq!(
        r.latency,
        t.simulated.cycles as f64 / f.simulated.cycles as f64
    );
    assert_eq!(r.energy, t.simulated.energy_pj / f.simulated.energy_pj);
    assert_eq!(
        c.analytical_ratios.edp,
        t.analytical.edp_cycles_pj / f.analytical.edp_cycles_pj
    );
    for d in [t, f] {
        for m in [&d.analytical, &d.simulated] {
            assert_eq!(m.edp_cycles_pj, m.cycles as f64 * m.energy_pj);
            assert_eq!(m.pes, d.pes);
            assert_eq!(m.sram_bytes, d.sram_bytes);
        }
    }
    assert_eq!(
        c.found_beats_template,
        f.simulated.objective(objective) < t.simulated.objective(objective)
    );
    assert_eq!(c.template_not_in_space, None);
}

#[test]
fn found_design_is_no_worse_than_a_template_it_visits() {
    // A small template whose space the budget covers: the search evaluates its point, so what it
    // returns is no worse on the objective.
    let t = builtin::arch("ws_4x4").unwrap();
    let w = workload("mlp_small").unwrap();
    let budget = 2304;
    for objective in [Objective::Edp, Objective::Latency] {
        let o = BaselineOptions {
            objective,
            ..options(budget)
        };
        let c = baseline::compare(&t, &w, &o, &|_| {}).unwrap();
        assert!(c.search.space_size <= budget as u64, "{:?}", c.search);
        check_consistent(&c, objective);
        assert!(c.template_point_evaluated, "{c:?}");
        let (tv, fv) = (
            c.template_design.simulated.objective(objective),
            c.found.simulated.objective(objective),
        );
        assert!(fv <= tv, "{objective:?}: found {fv} > template {tv}");
        let (ta, fa) = (
            c.template_design.analytical.objective(objective),
            c.found.analytical.objective(objective),
        );
        assert!(fa <= ta, "{objective:?}: found {fa} > template {ta}");
        // The template side is the template itself, mapped for the objective.
        assert_eq!(c.template_design.name, "ws_4x4");
        assert_eq!((c.template_design.rows, c.template_design.cols), (4, 4));
    }
}

fn report(threads: usize) -> (BaselineReport, String) {
    let templates = vec![
        baseline::template("nvdla_like").unwrap(),
        baseline::template("shidiannao_like").unwrap(),
    ];
    let workloads = vec![workload("dqn").unwrap(), workload("mlp_small").unwrap()];
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let seen = std::sync::Mutex::new(vec![]);
    let r = pool
        .install(|| {
            baseline::run(&templates, &workloads, &options(60), &|p| {
                seen.lock().unwrap().push(p)
            })
        })
        .unwrap();
    let seen = seen.into_inner().unwrap();
    let last = seen.iter().max_by_key(|p| p.pairs_done).unwrap();
    assert_eq!((last.pairs_done, last.pairs_total), (4, 4));
    assert_eq!(last.evaluations_total, 4 * 60);
    assert!(seen.iter().all(|p| p.evaluations_done <= 4 * 60));
    let json = serde_json::to_string(&r).unwrap();
    (r, json)
}

#[test]
fn templates_report_is_consistent_and_deterministic() {
    let (r, one) = report(1);
    let (_, again) = report(2);
    assert_eq!(one, again, "the report depends on the thread count");
    let (_, third) = report(2);
    assert_eq!(again, third);
    // Template-major, in the order given.
    let order: Vec<(&str, &str)> = r
        .comparisons
        .iter()
        .map(|c| (c.template.as_str(), c.workload.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("nvdla_like", "dqn"),
            ("nvdla_like", "mlp_small"),
            ("shidiannao_like", "dqn"),
            ("shidiannao_like", "mlp_small")
        ]
    );
    for c in &r.comparisons {
        check_consistent(c, Objective::Edp);
        assert!(c.template_note.is_some());
        assert_eq!(c.search.evaluated, 60);
    }
    // One summary per workload: the geometric means of its comparisons' ratios.
    assert_eq!(r.summaries.len(), 2);
    for s in &r.summaries {
        let rs: Vec<Ratios> = r
            .comparisons
            .iter()
            .filter(|c| c.workload == s.workload)
            .map(|c| c.ratios)
            .collect();
        assert_eq!(s.templates, 2);
        let g = (rs[0].edp * rs[1].edp).sqrt();
        assert!((s.geomean.edp - g).abs() <= 1e-12 * g, "{s:?}");
        assert_eq!(s.min_edp_ratio, rs[0].edp.min(rs[1].edp));
    }
}

#[test]
fn bad_lists_are_refused() {
    let t = baseline::template("gemmini").unwrap();
    let w = workload("dqn").unwrap();
    let o = BaselineOptions {
        strategy: Strategy::Random,
        ..options(5)
    };
    let e = baseline::run(
        &[t.clone(), t.clone()],
        std::slice::from_ref(&w),
        &o,
        &|_| {},
    )
    .unwrap_err();
    assert!(e.message.contains("\"gemmini\" is listed twice"), "{e}");
    let e = baseline::run(
        std::slice::from_ref(&t),
        &[w.clone(), w.clone()],
        &o,
        &|_| {},
    )
    .unwrap_err();
    assert!(e.message.contains("listed twice"), "{e}");
    assert!(baseline::run(&[], &[w], &o, &|_| {}).is_err());
    let e = baseline::run(
        &[t],
        &[workload("mlp_small").unwrap()],
        &options(0),
        &|_| {},
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("evaluations"), "{e}");
}
