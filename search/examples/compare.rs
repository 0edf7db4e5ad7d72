//! Random, evolutionary, Bayesian and predictor-guided search head to head: `cargo run --release -p tessera-search
//! --example compare [workload] [base] [seeds] [space] [objective] [max_cycles]` (defaults:
//! mlp_small, ws_16x16, 5, default, edp, none). `space` is `default` (`SearchConfig::default_for`
//! the base: 3200 points, within the base's PEs and SRAM) or `small` (576 points: rows and cols
//! from {4, 8, 16, 32}, three input and weight sizes, two accumulator sizes, both dataflows, no
//! PE/SRAM limit). `objective` is latency, energy or edp; `max_cycles` adds a limit only
//! evaluation reveals.
//!
//! The optimum is found by evaluating every point of the space (the screening objective the
//! search ranks by). Each strategy runs once per seed with a budget of 200 evaluations; from its
//! history come the evaluations until the best feasible objective is within 1 % of the optimum
//! ("to 1 %", `>200` when never) and the best found after 25, 50, 100 and 200 evaluations, as the
//! mean gap to the optimum in percent. Wall time is one whole search (exploration, full-space
//! remapping and cycle-level re-simulation of the top 1), mean over the seeds. A gap is `inf`
//! when some seed had found no feasible design yet (or, when the search returned an error, none
//! at all). Random search's
//! expected evaluations to 1 % (sampling with replacement) are `feasible / within 1 %`.
use std::time::Instant;
use tessera_mapping::SpaceBudget;
use tessera_search::*;

const BUDGETS: [usize; 4] = [25, 50, 100, 200];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: &'static str| args.get(i).map_or(default, |s| s.as_str());
    let wl = arg(1, "mlp_small");
    let base_name = arg(2, "ws_16x16");
    let seeds: u64 = arg(3, "5").parse()?;
    let w = tessera_workloads::builtin::workload(wl)?;
    let base = tessera_arch::builtin::arch(base_name)?;
    let mut cfg = SearchConfig::default_for(&base);
    match arg(4, "default") {
        "default" => {}
        "small" => {
            cfg.space.rows = vec![4, 8, 16, 32];
            cfg.space.cols = vec![4, 8, 16, 32];
            cfg.space.input_bytes = vec![8192, 16384, 32768];
            cfg.space.weight_bytes = vec![4096, 8192, 16384];
            cfg.space.accumulator_bytes = vec![32768, 65536];
            cfg.constraints = Constraints::default();
        }
        s => return Err(format!("space {s:?}: expected default or small").into()),
    }
    cfg.objective = match arg(5, "edp") {
        "latency" => Objective::Latency,
        "energy" => Objective::Energy,
        "edp" => Objective::Edp,
        o => return Err(format!("objective {o:?}: expected latency, energy or edp").into()),
    };
    if let Some(m) = args.get(6) {
        cfg.constraints.max_cycles = Some(m.parse()?);
    }
    cfg.top_k = 1;
    cfg.validate()?;

    // Exhaustive optimum.
    let t = Instant::now();
    let (mut feasible, mut values) = (0usize, vec![]);
    for p in cfg.space.points() {
        let Ok(arch) = p.to_arch(&base) else { continue };
        if cfg.constraints.violation(&arch).is_some() {
            continue;
        }
        feasible += 1;
        if let Ok(e) = eval::evaluate_in(&arch, &w, cfg.objective, SpaceBudget::SCREEN) {
            if cfg.constraints.performance_violation(&e).is_none() {
                values.push(e.metrics.objective(cfg.objective));
            }
        }
    }
    let opt = values.iter().copied().fold(f64::INFINITY, f64::min);
    let near = values.iter().filter(|&&v| v <= opt * 1.01).count();
    println!(
        "{wl} on {base_name}, {:?}{}: {} points, {feasible} pass the PE/SRAM/area screen, {} meet \
         every limit; optimum {opt:.6e} {}, {near} within 1 % (exhaustive: {:.2} s); random's \
         expected evaluations to 1 %: {:.1}",
        cfg.objective,
        cfg.constraints
            .max_cycles
            .map_or(String::new(), |m| format!(", max_cycles {m}")),
        cfg.space.size(),
        values.len(),
        cfg.objective.unit(),
        t.elapsed().as_secs_f64(),
        feasible as f64 / near.max(1) as f64
    );
    let max_budget = *BUDGETS.last().expect("budgets");
    println!(
        "{:>12} | {:>7} | {:<32} | mean gap to optimum after {:?} evaluations | wall",
        "strategy", "to 1 %", "per seed", BUDGETS
    );
    for strategy in [
        Strategy::Random,
        Strategy::evolutionary(),
        Strategy::bayesian(),
        Strategy::predictor(),
    ] {
        let (mut reach, mut gaps, mut wall) = (vec![], [0.0f64; 4], 0.0);
        for seed in 1..=seeds {
            let mut c = cfg.clone();
            c.strategy = strategy.clone();
            c.evaluations = max_budget;
            c.seed = seed;
            let t = Instant::now();
            let r = search(&c, &base, &w);
            wall += t.elapsed().as_secs_f64();
            // A search that found no feasible candidate at all is an error: never reached.
            let Ok(r) = r else {
                reach.push(None);
                gaps.iter_mut().for_each(|g| *g = f64::INFINITY);
                continue;
            };
            reach.push(
                r.history
                    .iter()
                    .position(|h| h.best_so_far.is_some_and(|b| b <= opt * 1.01))
                    .map(|i| i + 1),
            );
            for (gap, &b) in gaps.iter_mut().zip(&BUDGETS) {
                let best = r.history[b - 1].best_so_far.unwrap_or(f64::INFINITY);
                *gap += (best / opt - 1.0) * 100.0;
            }
        }
        let n = seeds as f64;
        let shown: Vec<String> = reach
            .iter()
            .map(|r| r.map_or(format!(">{max_budget}"), |e| e.to_string()))
            .collect();
        // A run that never reaches it counts as the budget + 1 in the mean (a lower bound).
        let mean = reach
            .iter()
            .map(|r| r.unwrap_or(max_budget + 1))
            .sum::<usize>() as f64
            / n;
        let missed = reach.iter().filter(|r| r.is_none()).count();
        println!(
            "{:>12} | {:>6.1}{} | {:<32} | {} | {:.3} s",
            strategy.name(),
            mean,
            if missed > 0 { "+" } else { " " },
            shown.join(" "),
            gaps.iter()
                .map(|g| format!("{:>7.2} %", g / n))
                .collect::<Vec<_>>()
                .join(" "),
            wall / n
        );
    }
    Ok(())
}
