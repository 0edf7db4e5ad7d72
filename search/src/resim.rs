//! Re-simulating one evaluated design cycle by cycle, outside a search: the same procedure the
//! search applies to its top-K finalists (the analytical figures held to `tessera_sim::estimate`,
//! every layer run on the event engine with operands from the seed, outputs checked against the
//! host's execution of the layer), for a design the caller evaluated itself, e.g. a baseline
//! template compared with a search's best (`tessera_flow::baseline`).

use crate::eval::{Evaluation, Metrics, Objective};
use crate::result::{Finalist, FinalistLayer};
use crate::space::DesignPoint;
use rayon::prelude::*;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_sim::{run_layer, Engine, SimOptions};
use tessera_workloads::Workload;

fn pct(model: f64, reference: f64) -> f64 {
    if reference == 0.0 {
        0.0
    } else {
        (model - reference) / reference * 100.0
    }
}

/// Re-simulate `arch` on every layer of `workload` with the mappings of `ev` (its
/// [`evaluate`](crate::evaluate) on that workload), layers in parallel, operands from `seed`.
/// The result is a [`Finalist`] of rank 0 with both models' totals; `simulated_objective` is
/// `objective` on the simulated totals. A simulated output that differs from the reference, or an
/// analytical figure in `ev` that differs from `tessera_sim::estimate`, is an internal error.
/// Deterministic for its arguments whatever the thread count.
pub fn resimulate_design(
    arch: &Arch,
    ev: &Evaluation,
    workload: &Workload,
    seed: u64,
    objective: Objective,
) -> Result<Finalist> {
    if ev.layers.len() != workload.layers.len() {
        return Err(Diagnostic::internal(format!(
            "internal error: an evaluation of {} layers re-simulated on {:?} ({} layers)",
            ev.layers.len(),
            workload.name,
            workload.layers.len()
        )));
    }
    let opts = SimOptions {
        engine: Engine::Event,
        ..SimOptions::default()
    };
    let runs: Vec<(u64, f64)> = (0..workload.layers.len())
        .into_par_iter()
        .map(|l| {
            let layer = &workload.layers[l];
            let p = tessera_mapping::Problem::new(layer, arch)?;
            let chosen = &ev.layers[l];
            let mapping = chosen.mapping;
            let full = tessera_sim::estimate(&p, arch, &mapping)?;
            if full.cycles.get() != chosen.cycles || full.energy.total_pj != chosen.energy_pj {
                return Err(Diagnostic::internal(format!(
                    "internal error: the evaluation of layer {:?} on {} ({} cycles, {} pJ) \
                     differs from tessera_sim::estimate ({}, {})",
                    p.name,
                    arch.name(),
                    chosen.cycles,
                    chosen.energy_pj,
                    full.cycles,
                    full.energy.total_pj
                )));
            }
            tessera_core::interrupt::check()?;
            let run = run_layer(
                layer,
                arch,
                &mapping,
                tessera_sim::workload::layer_seed(seed, l),
                &opts,
            )?;
            if !run.matches_reference {
                return Err(Diagnostic::internal(format!(
                    "simulator bug: the cycle simulator's output for layer {:?} on {} with mapping \
                     {mapping:?} differs from the host's execution of the layer",
                    p.name,
                    arch.name()
                )));
            }
            Ok((run.report.cycles.get(), run.report.energy.total_pj))
        })
        .collect::<Result<_>>()?;
    let layers = ev
        .layers
        .iter()
        .zip(&runs)
        .map(|(a, &(c, e))| FinalistLayer {
            layer: a.layer.clone(),
            mapping: a.mapping,
            analytical_cycles: a.cycles,
            simulated_cycles: c,
            analytical_energy_pj: a.energy_pj,
            simulated_energy_pj: e,
            cycle_error_pct: pct(a.cycles as f64, c as f64),
        })
        .collect();
    let simulated = Metrics::total(arch, runs.iter().copied())?;
    let analytical = ev.metrics;
    Ok(Finalist {
        analytical_rank: 0,
        point: DesignPoint::of(arch),
        arch: ev.arch.clone(),
        layers,
        cycle_error_pct: pct(analytical.cycles as f64, simulated.cycles as f64),
        energy_error_pct: pct(analytical.energy_pj, simulated.energy_pj),
        simulated_objective: simulated.objective(objective),
        analytical,
        simulated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn matches_the_search_finalists_procedure() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
        let ev = crate::evaluate(&arch, &w, Objective::Edp).unwrap();
        let f = resimulate_design(&arch, &ev, &w, 3, Objective::Edp).unwrap();
        assert_eq!(f.layers.len(), w.layers.len());
        assert_eq!(f.analytical, ev.metrics);
        let c: u64 = f.layers.iter().map(|l| l.simulated_cycles).sum();
        assert_eq!(f.simulated.cycles, c);
        assert_eq!(
            f.simulated_objective,
            f.simulated.cycles as f64 * f.simulated.energy_pj
        );
        assert_eq!(f.point, DesignPoint::of(&arch));
        // A search whose only point is this design re-simulates it to the same figures.
        let cfg = crate::SearchConfig {
            space: crate::SearchSpace {
                rows: vec![4],
                cols: vec![4],
                input_bytes: vec![arch.input().capacity().get() as i64],
                weight_bytes: vec![arch.weight().capacity().get() as i64],
                accumulator_bytes: vec![arch.accumulator().capacity().get() as i64],
                banks: vec![i64::from(arch.input().banks())],
                dataflow: vec![arch.dataflow()],
                weight_double_buffer: vec![arch.weight_double_buffered()],
                noc: vec![arch.noc()],
                words_per_cycle: vec![i64::from(arch.dram().words_per_cycle())],
                rf_weights: vec![],
            },
            evaluations: 1,
            seed: 3,
            top_k: 1,
            ..crate::SearchConfig::default_for(&arch)
        };
        let r = crate::search(&cfg, &arch, &w).unwrap();
        assert_eq!(r.best.simulated, f.simulated);
        assert_eq!(r.best.analytical, f.analytical);
        // Layers that do not belong to the workload are refused.
        let other = tessera_workloads::builtin::workload("gemm_64x64x64").unwrap();
        assert!(resimulate_design(&arch, &ev, &other, 3, Objective::Edp).is_err());
    }
}
