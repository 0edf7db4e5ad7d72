//! Whole-workload operations: estimate, simulate and validate every layer of a workload on one
//! accelerator, with reports that carry their units in their field names. These are the library
//! forms of `tessera estimate`, `simulate` and `validate`; the command line only parses and prints.
//!
//! Layers run one after the other, each from a fresh machine (no overlap between layers, no data
//! kept on chip between them); totals are sums. Layer `i`'s operands come from seed `seed + i` in
//! every operation (and in `tessera_verif::verify`), so the same seed means the same data.

use crate::analytical::MODEL_NOTE;
use crate::counters::Counters;
use crate::engine::UnitStats;
use crate::{Engine, SimOptions};
use serde::Serialize;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_core::units::checked_sum;
use tessera_mapping::{Mapping, MappingSpec};
use tessera_workloads::{Gemm, Layer, Workload};

/// The GEMM of a layer (every layer is a GEMM today).
pub fn gemm(layer: &Layer) -> &Gemm {
    match layer {
        Layer::Gemm(g) => g,
    }
}

/// The mapping of one layer: the user's (partial) choice resolved against the layer and the
/// accelerator; errors name the layer, the accelerator, and whether the tiles were the default's.
pub fn mapping_for(g: &Gemm, arch: &Arch, spec: &MappingSpec) -> Result<Mapping> {
    Mapping::resolve(spec, g, arch).map_err(|e| {
        let given = if *spec == MappingSpec::default() {
            "the default mapping"
        } else {
            "the mapping given (missing tiles from the default)"
        };
        Diagnostic {
            message: format!(
                "layer {:?} on {} with {given}: {}",
                g.name,
                arch.name(),
                e.message
            ),
            ..e
        }
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerEstimate {
    pub layer: String,
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub mapping: Mapping,
    pub cycles: u64,
    pub energy_pj: f64,
    pub utilization: f64,
    pub counters: Counters,
}

#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub arch: String,
    pub dataflow: String,
    pub workload: String,
    pub model: &'static str,
    pub layers: Vec<LayerEstimate>,
    pub cycles: u64,
    pub energy_pj: f64,
    pub area_um2: f64,
    pub utilization: f64,
    pub latency_us: f64,
}

fn utilization(arch: &Arch, w: &Workload, cycles: u64) -> Result<f64> {
    let macs = checked_sum(w.layers.iter().map(Layer::macs), "total MACs")?;
    Ok(macs as f64 / (arch.pes() as f64 * cycles as f64))
}

pub fn estimate(arch: &Arch, w: &Workload, spec: &MappingSpec) -> Result<EstimateReport> {
    let mut layers = vec![];
    for l in &w.layers {
        let g = gemm(l);
        let mapping = mapping_for(g, arch, spec)?;
        let e = crate::estimate(g, arch, &mapping)?;
        layers.push(LayerEstimate {
            layer: g.name.clone(),
            m: g.m,
            k: g.k,
            n: g.n,
            mapping,
            cycles: e.cycles.get(),
            energy_pj: e.energy.total_pj,
            utilization: e.utilization,
            counters: e.counters,
        });
    }
    let cycles = checked_sum(layers.iter().map(|l| l.cycles), "total cycles")?;
    Ok(EstimateReport {
        arch: arch.name().to_string(),
        dataflow: arch.dataflow().name().to_string(),
        workload: w.name.clone(),
        model: MODEL_NOTE,
        energy_pj: layers.iter().map(|l| l.energy_pj).sum(),
        utilization: utilization(arch, w, cycles)?,
        latency_us: arch.microseconds(tessera_core::Cycles(cycles)),
        cycles,
        area_um2: crate::area::Area::of(arch).total_um2,
        layers,
    })
}

pub use crate::trace::LayerTrace;

#[derive(Clone, Debug, Serialize)]
pub struct LayerSim {
    pub layer: String,
    pub mapping: Mapping,
    pub cycles: u64,
    pub energy_pj: f64,
    pub utilization: f64,
    pub counters: Counters,
    pub units: UnitStats,
    pub matches_reference: bool,
    pub instructions: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimulateReport {
    pub arch: String,
    pub dataflow: String,
    pub workload: String,
    pub engine: Engine,
    pub seed: u64,
    pub layers: Vec<LayerSim>,
    pub cycles: u64,
    pub energy_pj: f64,
    pub utilization: f64,
    pub latency_us: f64,
    /// Every layer's int32 outputs equal the reference executor's.
    pub matches_reference: bool,
}

/// The operand seed of layer `i` of a run seeded with `seed`.
pub fn layer_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_add(i as u64)
}

/// Cycle-simulate every layer (each from a fresh machine), with operands drawn from `seed`.
/// Returns the report and, when `trace`, each layer's event log.
pub fn simulate(
    arch: &Arch,
    w: &Workload,
    spec: &MappingSpec,
    engine: Engine,
    seed: u64,
    trace: bool,
) -> Result<(SimulateReport, Vec<LayerTrace>)> {
    let opts = SimOptions {
        engine,
        trace,
        ..SimOptions::default()
    };
    let mut layers = vec![];
    let mut traces = vec![];
    for (i, l) in w.layers.iter().enumerate() {
        let g = gemm(l);
        let mapping = mapping_for(g, arch, spec)?;
        let run = crate::run_layer(g, arch, &mapping, layer_seed(seed, i), &opts)?;
        if let Some(t) = run.trace {
            traces.push((g.name.clone(), t));
        }
        layers.push(LayerSim {
            layer: g.name.clone(),
            mapping,
            cycles: run.report.cycles.get(),
            energy_pj: run.report.energy.total_pj,
            utilization: run.report.utilization,
            counters: run.report.counters,
            units: run.report.units,
            matches_reference: run.matches_reference,
            instructions: run.lowered.program.instrs.len(),
        });
    }
    let cycles = checked_sum(layers.iter().map(|l| l.cycles), "total cycles")?;
    Ok((
        SimulateReport {
            arch: arch.name().to_string(),
            dataflow: arch.dataflow().name().to_string(),
            workload: w.name.clone(),
            engine,
            seed,
            matches_reference: layers.iter().all(|l| l.matches_reference),
            energy_pj: layers.iter().map(|l| l.energy_pj).sum(),
            utilization: utilization(arch, w, cycles)?,
            latency_us: arch.microseconds(tessera_core::Cycles(cycles)),
            cycles,
            layers,
        },
        traces,
    ))
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateCase {
    pub arch: String,
    pub dataflow: String,
    pub layer: String,
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub mapping: Mapping,
    pub analytical_cycles: u64,
    pub cycle_sim_cycles: u64,
    /// (analytical − cycle sim) / cycle sim × 100.
    pub error_pct: f64,
    /// Counters on which the two models disagree: (field, analytical, cycle sim).
    pub counter_mismatches: Vec<(String, u64, u64)>,
    pub energy_error_pct: f64,
    /// The cycle simulator's outputs equal the reference executor's.
    pub matches_reference: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateReport {
    pub model: &'static str,
    pub cases: Vec<ValidateCase>,
    /// Every case's outputs match the reference and its access counters agree (the model claims
    /// them exact). The cycle error is a measurement, not part of this check.
    pub passed: bool,
    /// Mean absolute percentage error of the analytical cycles.
    pub mape_pct: f64,
    pub max_abs_error_pct: f64,
}

fn pct(model: f64, reference: f64) -> f64 {
    (model - reference) / reference * 100.0
}

/// Compare the analytical model with the cycle simulator on every (arch, layer) pair.
pub fn validate(
    pairs: &[(Arch, Workload)],
    spec: &MappingSpec,
    seed: u64,
) -> Result<ValidateReport> {
    let mut cases = vec![];
    for (arch, w) in pairs {
        for (i, l) in w.layers.iter().enumerate() {
            let g = gemm(l);
            let mapping = mapping_for(g, arch, spec)?;
            let est = crate::estimate(g, arch, &mapping)?;
            let run = crate::run_layer(
                g,
                arch,
                &mapping,
                layer_seed(seed, i),
                &SimOptions::default(),
            )?;
            let sim = run.report.cycles.get();
            let a = est.cycles.get();
            cases.push(ValidateCase {
                arch: arch.name().to_string(),
                dataflow: arch.dataflow().name().to_string(),
                layer: g.name.clone(),
                m: g.m,
                k: g.k,
                n: g.n,
                mapping,
                analytical_cycles: a,
                cycle_sim_cycles: sim,
                error_pct: pct(a as f64, sim as f64),
                counter_mismatches: est
                    .counters
                    .diff(&run.report.counters)
                    .into_iter()
                    .map(|(f, x, y)| (f.to_string(), x, y))
                    .collect(),
                energy_error_pct: pct(est.energy.total_pj, run.report.energy.total_pj),
                matches_reference: run.matches_reference,
            });
        }
    }
    let n = cases.len().max(1) as f64;
    Ok(ValidateReport {
        model: MODEL_NOTE,
        passed: cases
            .iter()
            .all(|c| c.matches_reference && c.counter_mismatches.is_empty()),
        mape_pct: cases.iter().map(|c| c.error_pct.abs()).sum::<f64>() / n,
        max_abs_error_pct: cases.iter().map(|c| c.error_pct.abs()).fold(0.0, f64::max),
        cases,
    })
}
