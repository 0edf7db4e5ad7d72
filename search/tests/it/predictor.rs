//! A small, fast version of the predictor's transfer experiment (the full one is the `predictor`
//! example): train on three small networks, fine-tune on a few designs of a fourth, predict it.

use std::collections::BTreeSet;
use tessera_arch::{Arch, Dataflow};
use tessera_search::predict::{
    label, mape, random_points, spearman, FineTune, GbdtParams, Labelled, Predictor,
};
use tessera_search::{DesignPoint, Objective, SearchSpace};
use tessera_workloads::{builtin, Workload};

fn space() -> SearchSpace {
    SearchSpace {
        rows: vec![2, 4, 8, 16, 32],
        cols: vec![2, 4, 8, 16, 32],
        input_bytes: vec![4096, 16384, 65536],
        weight_bytes: vec![4096, 16384, 65536],
        accumulator_bytes: vec![8192, 32768, 131072],
        banks: vec![1, 2],
        dataflow: vec![Dataflow::WeightStationary, Dataflow::OutputStationary],
        weight_double_buffer: vec![false],
        noc: vec![Default::default()],
        words_per_cycle: vec![1],
        rf_weights: vec![],
    }
}

fn base() -> Arch {
    tessera_arch::builtin::arch("ws_16x16").unwrap()
}

/// The first `n` MAC layers of a zoo network, as a small network of its own.
fn head(name: &str, n: usize) -> Workload {
    let w = builtin::workload(name).unwrap();
    Workload::of_layers(&format!("{name}_head{n}"), w.layers[..n].to_vec())
}

fn labelled(w: &Workload, n: usize, seed: u64, exclude: &BTreeSet<DesignPoint>) -> Vec<Labelled> {
    let pts = random_points(&space(), &base(), n, seed, exclude).unwrap();
    let (data, skipped) = label(&base(), w, &pts, Objective::Edp);
    assert_eq!(skipped, 0);
    data
}

struct Experiment {
    sources: Vec<(Workload, Vec<Labelled>)>,
    target: Workload,
    test: Vec<Labelled>,
    tune: Vec<Labelled>,
}

fn experiment() -> Experiment {
    let none = BTreeSet::new();
    let sources: Vec<(Workload, Vec<Labelled>)> = [
        builtin::workload("mlp_small").unwrap(),
        builtin::workload("bert_ffn").unwrap(),
        head("mobilenetv2", 6),
    ]
    .into_iter()
    .map(|w| {
        let d = labelled(&w, 120, 1, &none);
        (w, d)
    })
    .collect();
    let target = builtin::workload("dqn").unwrap();
    let test = labelled(&target, 100, 2, &none);
    let exclude: BTreeSet<_> = test.iter().map(|d| d.point).collect();
    let tune = labelled(&target, 20, 3, &exclude);
    assert!(tune.iter().all(|d| !exclude.contains(&d.point)));
    Experiment {
        sources,
        target,
        test,
        tune,
    }
}

fn params() -> GbdtParams {
    GbdtParams {
        trees: 150,
        ..GbdtParams::default()
    }
}

fn train(e: &Experiment) -> Predictor {
    let sets: Vec<(&Workload, &[Labelled])> =
        e.sources.iter().map(|(w, d)| (w, d.as_slice())).collect();
    Predictor::train(&base(), Objective::Edp, &sets, &params()).unwrap()
}

/// (latency MAPE %, latency Spearman, energy MAPE %, energy Spearman) on the test designs.
fn scores(p: &Predictor, e: &Experiment) -> (f64, f64, f64, f64) {
    let preds: Vec<_> = e
        .test
        .iter()
        .map(|d| p.predict(&d.point, &e.target).unwrap())
        .collect();
    let pc: Vec<f64> = preds.iter().map(|q| q.cycles).collect();
    let pe: Vec<f64> = preds.iter().map(|q| q.energy_pj).collect();
    let tc: Vec<f64> = e.test.iter().map(|d| d.cycles as f64).collect();
    let te: Vec<f64> = e.test.iter().map(|d| d.energy_pj).collect();
    (
        mape(&pc, &tc),
        spearman(&pc, &tc),
        mape(&pe, &te),
        spearman(&pe, &te),
    )
}

#[test]
fn transfers_to_an_unseen_network_and_fine_tuning_stays_close() {
    let e = experiment();
    let p = train(&e);
    // determinism: a second training, on one thread, gives the same model and predictions
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| train(&e));
    assert_eq!(p, one_thread);
    let zero = scores(&p, &e);
    let tuned = scores(
        &p.fine_tune(&e.target, &e.tune, FineTune::BOOST).unwrap(),
        &e,
    );
    let linear = scores(
        &p.fine_tune(&e.target, &e.tune, FineTune::Linear).unwrap(),
        &e,
    );
    eprintln!("zero-shot {zero:?}\nboost {tuned:?}\nlinear {linear:?}");
    // measured (since the panel features, `Keep`): zero-shot 1.8 % latency and 1.6 % energy MAPE,
    // Spearman 0.999 and 0.974, on 100 designs of dqn; boost 1.8 % and 2.0 % (0.999, 0.965);
    // linear 1.8 % and 1.7 % (before those features: zero-shot about 3 % and 5 %)
    for (name, s) in [("zero-shot", zero), ("boost", tuned), ("linear", linear)] {
        assert!(s.0 < 3.0, "{name}: latency MAPE {} %", s.0);
        assert!(s.2 < 3.0, "{name}: energy MAPE {} %", s.2);
        assert!(s.1 > 0.99 && s.3 > 0.95, "{name}: Spearman {} {}", s.1, s.3);
    }
    // With the zero-shot error that low, 20 designs of the target no longer improve it: boosting
    // on them stays close (it used to halve the error of a weaker zero-shot predictor).
    assert!(
        tuned.0 + tuned.2 < 1.25 * (zero.0 + zero.2),
        "boost {tuned:?} vs zero-shot {zero:?}"
    );
}

#[test]
fn labels_are_the_same_whatever_the_thread_count() {
    let w = head("resnet18", 3);
    let pts = random_points(&space(), &base(), 12, 5, &BTreeSet::new()).unwrap();
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| label(&base(), &w, &pts, Objective::Edp).0)
    };
    let one = run(1);
    assert_eq!(one.len(), 12);
    assert_eq!(one, run(3));
    // a label is the analytical model's total: the sum of its layers
    for d in &one {
        assert_eq!(d.cycles, d.layers.iter().map(|l| l.0).sum::<u64>());
    }
}

#[test]
fn random_points_are_distinct_valid_and_seeded() {
    let b = base();
    let a = random_points(&space(), &b, 50, 9, &BTreeSet::new()).unwrap();
    assert_eq!(
        a,
        random_points(&space(), &b, 50, 9, &BTreeSet::new()).unwrap()
    );
    assert_ne!(
        a,
        random_points(&space(), &b, 50, 10, &BTreeSet::new()).unwrap()
    );
    let set: BTreeSet<_> = a.iter().copied().collect();
    assert_eq!(set.len(), 50);
    assert!(a.iter().all(|p| p.to_arch(&b).is_ok()));
    let more = random_points(&space(), &b, 20, 11, &set).unwrap();
    assert!(more.iter().all(|p| !set.contains(p)));
    // a one-point space cannot supply two
    let mut tiny = space();
    for v in [
        &mut tiny.rows,
        &mut tiny.cols,
        &mut tiny.input_bytes,
        &mut tiny.weight_bytes,
        &mut tiny.accumulator_bytes,
        &mut tiny.banks,
    ] {
        v.truncate(1);
    }
    tiny.dataflow.truncate(1);
    assert!(random_points(&tiny, &b, 2, 1, &BTreeSet::new()).is_err());
}
