//! Evolutionary vs random on the default space: `cargo run --release -p tessera-search --example
//! compare [workload] [base] [budget] [seeds]`. Prints each strategy's best analytical objective per
//! seed, its median, and how often it found the space's optimum (found by exhaustive evaluation).
use tessera_search::*;
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let wl = args.get(1).map_or("mlp_small", |s| s.as_str());
    let base_name = args.get(2).map_or("ws_16x16", |s| s.as_str());
    let budget: usize = args.get(3).map_or(Ok(64), |s| s.parse())?;
    let seeds: u64 = args.get(4).map_or(Ok(20), |s| s.parse())?;
    let w = tessera_workloads::builtin::workload(wl)?;
    let base = tessera_arch::builtin::arch(base_name)?;
    let cfg = SearchConfig::default_for(&base);
    // Exhaustive: a random search with a budget far above the space size sees (nearly) every point.
    let mut all = cfg.clone();
    all.strategy = Strategy::Random;
    all.evaluations = 20 * cfg.space.size() as usize;
    let ex = search(&all, &base, &w)?;
    let opt = ex
        .history
        .last()
        .and_then(|h| h.best_so_far)
        .unwrap_or(f64::NAN);
    println!(
        "{wl} on {base_name}: {} distinct feasible seen, optimum {opt:.6e}",
        ex.distinct_evaluated
    );
    for strategy in [Strategy::evolutionary(), Strategy::Random] {
        let mut v = vec![];
        for seed in 1..=seeds {
            let mut c = cfg.clone();
            c.strategy = strategy.clone();
            c.evaluations = budget;
            c.seed = seed;
            let r = search(&c, &base, &w)?;
            v.push(
                r.history
                    .last()
                    .and_then(|h| h.best_so_far)
                    .unwrap_or(f64::NAN),
            );
        }
        let hits = v.iter().filter(|&&x| x == opt).count();
        let mut s = v.clone();
        s.sort_by(f64::total_cmp);
        let mean_gap = v.iter().map(|x| (x / opt - 1.0) * 100.0).sum::<f64>() / v.len() as f64;
        println!(
            "{:>12}: median {:.6e}, optimum hit {hits}/{seeds}, mean gap to optimum {mean_gap:.3}%",
            strategy.name(),
            s[s.len() / 2]
        );
    }
    Ok(())
}
