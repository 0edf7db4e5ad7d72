//! The transfer experiment of the learned predictor ([`tessera_search::predict`]):
//! `cargo run --release -p tessera-search --example predictor [train_designs] [targets...]`
//! (defaults: 300 designs per source network; targets dqn alexnet vgg16). 2–3 minutes on 2
//! cores, most of it labelling with the mapper.
//!
//! Trains on resnet18, mobilenetv2 and bert_ffn (`train_designs` random designs each, labelled by
//! the analytical model under the mapper, objective EDP, base ws_16x16), then for each held-out
//! target network: 1,000 random test designs, and at most 50 other random designs to fine-tune on.
//! Prints MAPE (%) and Spearman's rank correlation of whole-workload latency (cycles) and energy
//! (pJ) before and after each kind of fine-tuning, the training time, and predictions per second
//! against analytical evaluations per second.
//!
//! `TESSERA_PREDICTOR_CACHE=DIR` keeps the labels as JSON in DIR and reuses them (labelling is
//! most of the run's time; labels read back from JSON may differ from fresh ones in the last bit, so
//! figures from a cache can differ slightly in the last digit).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;
use tessera_arch::{Arch, Dataflow};
use tessera_search::predict::{
    label, mape, random_points, spearman, FineTune, GbdtParams, Labelled, Predictor,
};
use tessera_search::{Objective, SearchSpace};
use tessera_workloads::Workload;

const SOURCES: [&str; 3] = ["resnet18", "mobilenetv2", "bert_ffn"];
const TEST_DESIGNS: usize = 1000;
const FINE_TUNE_DESIGNS: usize = 50;

/// The space the experiment draws from: wider than `SearchConfig::default_for` (1,600 points,
/// too few for 1,000 distinct test designs plus training designs): 6 × 6 arrays from 2 to 64,
/// 6 capacities per buffer, 1 or 2 banks, both dataflows (31,104 points).
fn space() -> SearchSpace {
    SearchSpace {
        rows: vec![2, 4, 8, 16, 32, 64],
        cols: vec![2, 4, 8, 16, 32, 64],
        input_bytes: vec![4096, 8192, 16384, 32768, 65536, 131072],
        weight_bytes: vec![4096, 8192, 16384, 32768, 65536, 131072],
        accumulator_bytes: vec![8192, 16384, 32768, 65536, 131072, 262144],
        banks: vec![1, 2],
        dataflow: vec![Dataflow::WeightStationary, Dataflow::OutputStationary],
        weight_double_buffer: vec![false],
        noc: vec![Default::default()],
        words_per_cycle: vec![1],
        rf_weights: vec![],
    }
}

/// Label `n` random designs of `w` (seeded), excluding `exclude`, through the cache if any.
/// Returns the labelled designs and the labelling time in seconds (0 when cached).
fn labelled(
    base: &Arch,
    w: &Workload,
    n: usize,
    seed: u64,
    exclude: &BTreeSet<tessera_search::DesignPoint>,
) -> Result<(Vec<Labelled>, f64), Box<dyn std::error::Error>> {
    let cache = std::env::var_os("TESSERA_PREDICTOR_CACHE").map(PathBuf::from);
    let file = cache
        .as_ref()
        .map(|d| d.join(format!("{}_{n}_{seed}_{}.json", w.name, exclude.len())));
    if let Some(f) = &file {
        if let Ok(text) = std::fs::read_to_string(f) {
            return Ok((serde_json::from_str(&text)?, 0.0));
        }
    }
    let t = Instant::now();
    let points = random_points(&space(), base, n, seed, exclude)?;
    let (data, skipped) = label(base, w, &points, Objective::Edp);
    if skipped > 0 {
        return Err(format!("{skipped} of {n} designs of {} could not be mapped", w.name).into());
    }
    let secs = t.elapsed().as_secs_f64();
    if let (Some(d), Some(f)) = (&cache, &file) {
        std::fs::create_dir_all(d)?;
        std::fs::write(f, serde_json::to_string(&data)?)?;
    }
    Ok((data, secs))
}

struct Scores {
    mape_cycles: f64,
    rho_cycles: f64,
    mape_energy: f64,
    rho_energy: f64,
}

fn score(
    p: &Predictor,
    w: &Workload,
    test: &[Labelled],
) -> Result<Scores, Box<dyn std::error::Error>> {
    let mut pc = Vec::with_capacity(test.len());
    let mut pe = Vec::with_capacity(test.len());
    for d in test {
        let q = p.predict(&d.point, w)?;
        pc.push(q.cycles);
        pe.push(q.energy_pj);
    }
    let tc: Vec<f64> = test.iter().map(|d| d.cycles as f64).collect();
    let te: Vec<f64> = test.iter().map(|d| d.energy_pj).collect();
    Ok(Scores {
        mape_cycles: mape(&pc, &tc),
        rho_cycles: spearman(&pc, &tc),
        mape_energy: mape(&pe, &te),
        rho_energy: spearman(&pe, &te),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n_train: usize = args.first().map_or(Ok(300), |s| s.parse())?;
    let targets: Vec<&str> = if args.len() > 1 {
        args[1..].iter().map(|s| s.as_str()).collect()
    } else {
        vec!["dqn", "alexnet", "vgg16"]
    };
    let base = tessera_arch::builtin::arch("ws_16x16")?;
    let none = BTreeSet::new();
    println!(
        "space: {} points (base ws_16x16, objective EDP); {} threads",
        space().size(),
        rayon::current_num_threads()
    );

    // Source networks.
    let mut sources = vec![];
    for name in SOURCES {
        let w = tessera_workloads::builtin::workload(name)?;
        let (data, secs) = labelled(&base, &w, n_train, 1, &none)?;
        println!(
            "labelled {n_train} designs of {name} ({} layers) in {secs:.1} s",
            w.layers.len()
        );
        sources.push((w, data));
    }
    let rows: usize = sources.iter().map(|(w, d)| w.layers.len() * d.len()).sum();
    let sets: Vec<(&Workload, &[Labelled])> =
        sources.iter().map(|(w, d)| (w, d.as_slice())).collect();
    let params = GbdtParams::default();
    let t = Instant::now();
    let predictor = Predictor::train(&base, Objective::Edp, &sets, &params)?;
    let train_s = t.elapsed().as_secs_f64();
    println!(
        "trained on {rows} (design, layer) rows: 2 × {} trees of depth {} in {train_s:.2} s",
        params.trees, params.depth
    );

    let methods: [(&str, Option<FineTune>); 4] = [
        ("none (zero-shot)", None),
        ("linear (log totals)", Some(FineTune::Linear)),
        ("boost (40 trees)", Some(FineTune::BOOST)),
        (
            "boost + linear",
            Some(FineTune::BoostThenLinear {
                trees: 40,
                depth: 3,
                learning_rate: 0.1,
            }),
        ),
    ];
    println!();
    println!(
        "| held out | fine-tuning ({FINE_TUNE_DESIGNS} designs) | latency MAPE (%) | latency Spearman | energy MAPE (%) | energy Spearman | fine-tune time (ms) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut speed = vec![];
    for name in &targets {
        let w = tessera_workloads::builtin::workload(name)?;
        let (test, test_s) = labelled(&base, &w, TEST_DESIGNS, 2, &none)?;
        let exclude: BTreeSet<_> = test.iter().map(|d| d.point).collect();
        let (tune, _) = labelled(&base, &w, FINE_TUNE_DESIGNS, 3, &exclude)?;
        for (label, how) in methods {
            let t = Instant::now();
            let p = match how {
                None => predictor.clone(),
                Some(h) => predictor.fine_tune(&w, &tune, h)?,
            };
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let s = score(&p, &w, &test)?;
            println!(
                "| {name} | {label} | {:.2} | {:.4} | {:.2} | {:.4} | {ms:.1} |",
                s.mape_cycles, s.rho_cycles, s.mape_energy, s.rho_energy
            );
        }
        // Throughput, one thread: predictions vs the analytical evaluations they replace.
        let t = Instant::now();
        let mut sink = 0.0;
        for d in &test {
            sink += predictor.predict(&d.point, &w)?.cycles;
        }
        let pred_per_s = test.len() as f64 / t.elapsed().as_secs_f64();
        assert!(sink > 0.0);
        speed.push((name.to_string(), w.layers.len(), pred_per_s, test_s));
    }
    println!();
    println!("| network | layers | predictions/s (1 thread) | analytical evaluations/s (labelling, all threads) |");
    println!("|---|---:|---:|---:|");
    for (name, layers, pps, test_s) in speed {
        let eval = if test_s > 0.0 {
            format!("{:.1}", TEST_DESIGNS as f64 / test_s)
        } else {
            "(cached)".into()
        };
        println!("| {name} | {layers} | {pps:.0} | {eval} |");
    }
    Ok(())
}
