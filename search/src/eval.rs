//! Evaluating one accelerator on a workload with the analytical model: the inner mapping search
//! per layer, then the workload's totals.
//!
//! Everything here is a pure function of its arguments (no caches), so candidates can be evaluated
//! on any thread in any order.

use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, ArchSpec};
use tessera_core::diag::{Diagnostic, Result};
pub use tessera_mapping::Objective;
use tessera_mapping::{Mapping, Pinned, Problem, SpaceBudget};
pub use tessera_sim::mapper::{best_mapping, best_pinned, lower_bound, BestMapping};
use tessera_workloads::Workload;

/// A candidate's cost on a whole workload. Units are in the field names.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Sum of the layers' cycles (layers run one after the other).
    pub cycles: u64,
    /// Sum of the layers' energies.
    pub energy_pj: f64,
    /// `cycles × energy_pj` of the totals.
    pub edp_cycles_pj: f64,
    /// Area of the accelerator (first-order model).
    pub area_um2: f64,
    pub pes: u64,
    pub sram_bytes: u64,
}

impl Metrics {
    /// Totals of per-layer `(cycles, energy_pj)` on `arch`.
    pub fn total(arch: &Arch, layers: impl IntoIterator<Item = (u64, f64)>) -> Result<Metrics> {
        let (mut cycles, mut energy_pj) = (0u64, 0.0f64);
        for (c, e) in layers {
            cycles = cycles
                .checked_add(c)
                .ok_or_else(|| Diagnostic::new("total cycles overflow u64"))?;
            energy_pj += e;
        }
        Ok(Metrics {
            cycles,
            energy_pj,
            edp_cycles_pj: cycles as f64 * energy_pj,
            area_um2: tessera_sim::area::Area::of(arch).total_um2,
            pes: arch.pes(),
            sram_bytes: arch.sram_bytes().get(),
        })
    }

    /// The value of `objective` for these totals.
    pub fn objective(&self, objective: Objective) -> f64 {
        objective.value(self.cycles, self.energy_pj)
    }

    /// Average power over the workload in mW: the energy over the time the cycles take at
    /// `clock_mhz` (pJ × MHz / cycles = µW). Dynamic energy only, as the energy model.
    pub fn average_power_mw(&self, clock_mhz: f64) -> f64 {
        power_mw(self.cycles as f64, self.energy_pj, clock_mhz)
    }
}

/// Average power in mW of `energy_pj` spent over `cycles` at `clock_mhz`.
pub fn power_mw(cycles: f64, energy_pj: f64, clock_mhz: f64) -> f64 {
    energy_pj * clock_mhz / cycles.max(1.0) / 1000.0
}

/// The mapping chosen for one layer and its analytical cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerChoice {
    pub layer: String,
    pub mapping: Mapping,
    pub cycles: u64,
    pub energy_pj: f64,
    /// Candidate mappings of the layer on this accelerator.
    pub mapping_candidates: usize,
    /// How many of them the inner search estimated (the rest were bounded out).
    pub mappings_estimated: usize,
}

/// An accelerator's analytical evaluation on a workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub arch: ArchSpec,
    pub layers: Vec<LayerChoice>,
    pub metrics: Metrics,
}

/// Evaluate `arch` on every layer of `workload`: the best mapping per layer (the mapper's full
/// space, as every command maps), summed.
pub fn evaluate(arch: &Arch, workload: &Workload, objective: Objective) -> Result<Evaluation> {
    evaluate_in(arch, workload, objective, SpaceBudget::FULL)
}

/// [`evaluate`] with the mapper visiting `budget` of each layer's space.
pub fn evaluate_in(
    arch: &Arch,
    workload: &Workload,
    objective: Objective,
    budget: SpaceBudget,
) -> Result<Evaluation> {
    let mut layers: Vec<LayerChoice> = Vec::with_capacity(workload.layers.len());
    // A network repeats layers (ResNet-18's blocks): the mapper is a pure function of the work,
    // so a layer that does the same work as an earlier one takes its choice.
    let mut mapped: Vec<(Problem, usize)> = Vec::new();
    for layer in &workload.layers {
        let p = Problem::new(layer, arch)?;
        if let Some(&(_, i)) = mapped.iter().find(|(q, _)| q.same_work(&p)) {
            let same = LayerChoice {
                layer: p.name.clone(),
                ..layers[i].clone()
            };
            layers.push(same);
            continue;
        }
        let b = best_pinned(&p, arch, objective, &Pinned::default(), budget)?;
        layers.push(LayerChoice {
            layer: p.name.clone(),
            mapping: b.mapping,
            cycles: b.estimate.cycles.get(),
            energy_pj: b.estimate.energy.total_pj,
            mapping_candidates: b.candidates,
            mappings_estimated: b.estimated,
        });
        mapped.push((p, layers.len() - 1));
    }
    let metrics = Metrics::total(arch, layers.iter().map(|l| (l.cycles, l.energy_pj)))?;
    Ok(Evaluation {
        arch: arch.spec().clone(),
        layers,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn totals_sum_layers() {
        for name in ["ws_4x4", "os_4x4"] {
            let arch = builtin::arch(name).unwrap();
            let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
            let ev = evaluate(&arch, &w, Objective::Latency).unwrap();
            assert_eq!(ev.layers.len(), 3);
            assert_eq!(&ev.arch, arch.spec());
            let c: u64 = ev.layers.iter().map(|l| l.cycles).sum();
            assert_eq!(ev.metrics.cycles, c);
            assert_eq!(
                ev.metrics.edp_cycles_pj,
                ev.metrics.cycles as f64 * ev.metrics.energy_pj
            );
            assert_eq!(ev.metrics.pes, 16);
            assert!(ev.metrics.area_um2 > 0.0);
        }
    }

    /// ResNet-18 repeats blocks: a layer that does an earlier layer's work under another name
    /// takes its choice, which is the one the mapper makes for it alone; a layer of other work
    /// is mapped on its own.
    #[test]
    fn repeated_layers_take_the_choice_the_mapper_makes_for_them() {
        let arch = builtin::arch("ws_8x8").unwrap();
        let w = tessera_workloads::builtin::workload("resnet18").unwrap();
        let ev = evaluate(&arch, &w, Objective::Latency).unwrap();
        let problems: Vec<Problem> = w
            .layers
            .iter()
            .map(|l| Problem::new(l, &arch).unwrap())
            .collect();
        let mut repeats = 0;
        for (i, (p, choice)) in problems.iter().zip(&ev.layers).enumerate() {
            assert_eq!(choice.layer, p.name);
            if problems[..i].iter().any(|q| q.same_work(p)) {
                repeats += 1;
                let alone = best_mapping(p, &arch, Objective::Latency).unwrap();
                assert_eq!(choice.mapping, alone.mapping, "{}", p.name);
                assert_eq!(choice.cycles, alone.estimate.cycles.get(), "{}", p.name);
                assert_eq!(choice.energy_pj, alone.estimate.energy.total_pj);
            }
        }
        // layer1's four 3x3 convolutions are one work, and so are the later stages' repeats
        assert!(repeats >= 5, "{repeats} repeated layers");
        let first = &problems[1];
        let renamed = Problem {
            name: "other".into(),
            ..first.clone()
        };
        assert!(first.same_work(&renamed));
        let mut wider = first.clone();
        wider.gemm.n += 1;
        assert!(!first.same_work(&wider));
    }
}
