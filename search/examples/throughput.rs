//! Measures search throughput on the default space: `cargo run --release -p tessera-search
//! --example throughput [workload] [base] [evaluations]` (defaults: mlp_small, ws_16x16, 400).
//!
//! Reports (1) analytical evaluations per second over every feasible point of the default space
//! (all distinct, rayon-parallel), (2) a whole evolutionary and random search, end to end.

use std::time::Instant;
use tessera_search::{evaluate, search, SearchConfig, Strategy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rayon::prelude::*;
    let args: Vec<String> = std::env::args().collect();
    let wl = args.get(1).map_or("mlp_small", |s| s.as_str());
    let base_name = args.get(2).map_or("ws_16x16", |s| s.as_str());
    let evals: usize = args.get(3).map_or(Ok(400), |s| s.parse())?;
    let workload = tessera_workloads::builtin::workload(wl)?;
    let base = tessera_arch::builtin::arch(base_name)?;
    let cfg = SearchConfig::default_for(&base);
    println!(
        "{wl} on {base_name}: default space of {} points, {} threads",
        cfg.space.size(),
        rayon::current_num_threads()
    );

    // (1) Every feasible point of the space, evaluated once.
    let mut archs = vec![];
    for p in cfg.space.points() {
        if let Ok(arch) = p.to_arch(&base) {
            if cfg.constraints.violation(&arch).is_none() {
                archs.push(arch);
            }
        }
    }
    // Repeat over the same points until at least a second has passed, for a steady figure.
    let timed = |parallel: bool| {
        let (t, mut n, mut ok) = (Instant::now(), 0usize, 0usize);
        while n == 0 || t.elapsed().as_secs_f64() < 1.0 {
            let eval = |a: &tessera_arch::Arch| evaluate(a, &workload, cfg.objective).is_ok();
            ok = if parallel {
                archs.par_iter().filter(|a| eval(a)).count()
            } else {
                archs.iter().filter(|a| eval(a)).count()
            };
            n += archs.len();
        }
        (ok, n, t.elapsed().as_secs_f64())
    };
    for (label, parallel) in [("rayon", true), ("one thread", false)] {
        let (ok, n, dt) = timed(parallel);
        println!(
            "analytical ({label}): {} feasible candidates ({ok} mappable), {n} evaluations in \
             {dt:.3} s = {:.0} candidates/s",
            archs.len(),
            n as f64 / dt
        );
    }

    // (2) Whole searches.
    for strategy in [Strategy::evolutionary(), Strategy::Random] {
        let mut c = cfg.clone();
        c.strategy = strategy;
        c.evaluations = evals;
        let t = Instant::now();
        let r = search(&c, &base, &workload)?;
        let dt = t.elapsed().as_secs_f64();
        println!(
            "{}: {} evaluations ({} distinct) + top-{} re-simulation in {:.3} s = {:.0} evaluations/s; \
             best {} sim {} cycles, {:.0} pJ, EDP {:.4e} (analytical error {:+.2}% cycles)",
            r.strategy.name(),
            r.evaluated,
            r.distinct_evaluated,
            r.top.len(),
            dt,
            r.evaluated as f64 / dt,
            r.best.arch.name,
            r.best.simulated.cycles,
            r.best.simulated.energy_pj,
            r.best.simulated.edp_cycles_pj,
            r.best.cycle_error_pct
        );
    }
    Ok(())
}
