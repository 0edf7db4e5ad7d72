//! estimate, simulate and validate over a whole workload.

use serde::Serialize;
use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_core::units::checked_sum;
use tessera_mapping::Mapping;
use tessera_sim::counters::Counters;
use tessera_sim::engine::UnitStats;
use tessera_sim::trace::TraceEvent;
use tessera_sim::{Engine, SimOptions};
use tessera_workloads::{Gemm, Layer, Workload};

/// How layers are mapped: the default heuristic or fixed tile sizes.
#[derive(Clone, Copy, Debug, Default)]
pub enum MappingChoice {
    #[default]
    Default,
    Fixed {
        tile_m: u32,
        tile_n: u32,
    },
}

pub fn gemm(layer: &Layer) -> &Gemm {
    match layer {
        Layer::Gemm(g) => g,
    }
}

/// The mapping of one layer.
pub fn mapping_for(g: &Gemm, arch: &Arch, choice: MappingChoice) -> Result<Mapping> {
    match choice {
        MappingChoice::Default => Ok(Mapping::default_for(g, arch)),
        MappingChoice::Fixed { tile_m, tile_n } => {
            // Clamp the tile to the layer so one setting works for every layer of a network.
            let m = Mapping {
                tile_m: tile_m.min(g.m),
                tile_n,
            };
            m.check(g, arch).map_err(|e| e.under("mapping"))?;
            Ok(m)
        }
    }
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
    pub workload: String,
    pub model: &'static str,
    pub layers: Vec<LayerEstimate>,
    pub cycles: u64,
    pub energy_pj: f64,
    pub area_um2: f64,
    pub utilization: f64,
    pub latency_us: f64,
}

pub const ANALYTICAL_NOTE: &str =
    "analytical: closed form over the mapping's steps; exact access counts; \
cycles ignore SYNC cycles and in-order issue interactions (see sim/src/analytical.rs)";

pub fn estimate(arch: &Arch, w: &Workload, choice: MappingChoice) -> Result<EstimateReport> {
    let mut layers = vec![];
    let mut area = 0.0;
    for l in &w.layers {
        let g = gemm(l);
        let mapping = mapping_for(g, arch, choice)?;
        let e = tessera_sim::estimate(g, arch, &mapping)?;
        area = e.area.total_um2;
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
    let macs = checked_sum(w.layers.iter().map(Layer::macs), "total MACs")?;
    Ok(EstimateReport {
        arch: arch.name.clone(),
        workload: w.name.clone(),
        model: ANALYTICAL_NOTE,
        energy_pj: layers.iter().map(|l| l.energy_pj).sum(),
        utilization: macs as f64 / (arch.pes() as f64 * cycles as f64),
        latency_us: cycles as f64 / arch.clock_mhz,
        cycles,
        area_um2: area,
        layers,
    })
}

/// One layer's event log, by layer name.
pub type LayerTrace = (String, Vec<TraceEvent>);

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

/// Cycle-simulate every layer (each from a fresh machine), with operands drawn from `seed`.
/// Returns the report and, when `trace`, each layer's event log.
pub fn simulate(
    arch: &Arch,
    w: &Workload,
    choice: MappingChoice,
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
    for l in &w.layers {
        let g = gemm(l);
        let mapping = mapping_for(g, arch, choice)?;
        let run = tessera_sim::run_layer(g, arch, &mapping, seed, &opts)?;
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
    let macs = checked_sum(w.layers.iter().map(Layer::macs), "total MACs")?;
    Ok((
        SimulateReport {
            arch: arch.name.clone(),
            workload: w.name.clone(),
            engine,
            seed,
            matches_reference: layers.iter().all(|l| l.matches_reference),
            energy_pj: layers.iter().map(|l| l.energy_pj).sum(),
            utilization: macs as f64 / (arch.pes() as f64 * cycles as f64),
            latency_us: cycles as f64 / arch.clock_mhz,
            cycles,
            layers,
        },
        traces,
    ))
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateCase {
    pub arch: String,
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
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateReport {
    pub model: &'static str,
    pub cases: Vec<ValidateCase>,
    /// Mean absolute percentage error of the analytical cycles.
    pub mape_pct: f64,
    pub max_abs_error_pct: f64,
}

/// Compare the analytical model with the cycle simulator on every (arch, layer) pair.
pub fn validate(
    pairs: &[(Arch, Workload)],
    choice: MappingChoice,
    seed: u64,
) -> Result<ValidateReport> {
    let mut cases = vec![];
    for (arch, w) in pairs {
        for l in &w.layers {
            let g = gemm(l);
            let mapping = mapping_for(g, arch, choice)?;
            let est = tessera_sim::estimate(g, arch, &mapping)?;
            let run = tessera_sim::run_layer(g, arch, &mapping, seed, &SimOptions::default())?;
            let sim = run.report.cycles.get();
            let a = est.cycles.get();
            cases.push(ValidateCase {
                arch: arch.name.clone(),
                layer: g.name.clone(),
                m: g.m,
                k: g.k,
                n: g.n,
                mapping,
                analytical_cycles: a,
                cycle_sim_cycles: sim,
                error_pct: (a as f64 - sim as f64) / sim as f64 * 100.0,
                counter_mismatches: est
                    .counters
                    .diff(&run.report.counters)
                    .into_iter()
                    .map(|(f, x, y)| (f.to_string(), x, y))
                    .collect(),
                energy_error_pct: (est.energy.total_pj - run.report.energy.total_pj)
                    / run.report.energy.total_pj
                    * 100.0,
            });
        }
    }
    let n = cases.len().max(1) as f64;
    Ok(ValidateReport {
        model: ANALYTICAL_NOTE,
        mape_pct: cases.iter().map(|c| c.error_pct.abs()).sum::<f64>() / n,
        max_abs_error_pct: cases.iter().map(|c| c.error_pct.abs()).fold(0.0, f64::max),
        cases,
    })
}
