//! Whole-workload operations: estimate, simulate and validate every MAC layer of a workload (a
//! network) on one accelerator, with per-layer rows and totals whose units are in their field names.
//! These are the library forms of `tessera estimate`, `simulate` and `validate`; the command line only
//! parses and prints (table, JSON, CSV).
//!
//! Layers run one after the other on the accelerator, each from a fresh machine (no overlap between
//! layers, no data kept on chip between them); totals are sums. Each layer's operands come from
//! its own seed ([`layer_seed`]) in every operation (and in `tessera_verif::verify`), so a layer's
//! data does not depend on which other layers run or in what order: layers are independent, and the
//! host runs them in parallel (rayon) with identical results. The outputs of one layer are not fed
//! to the next (that would need the requantisation the accelerator does not model); operations that
//! are not MAC work (activations, pooling, element-wise, normalisation) are listed in every report as
//! not modelled, with their operation counts.

use crate::analytical::MODEL_NOTE;
use crate::breakdown::Breakdown;
use crate::counters::Counters;
use crate::engine::UnitStats;
use crate::{Engine, SimOptions};
use rayon::prelude::*;
use serde::Serialize;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_core::units::checked_sum;
use tessera_mapping::{Mapping, MappingSpec, Problem};
use tessera_workloads::{Layer, OpLayer, Workload};

/// The mapping of one layer: the user's (partial) choice, the free tiles chosen by the mapper
/// ([`crate::mapper::map_layer`]); errors name the layer, the accelerator, and whether tiles were
/// given.
pub fn mapping_for(p: &Problem, arch: &Arch, spec: &MappingSpec) -> Result<Mapping> {
    let spec = &spec.for_layer(&p.name);
    crate::mapper::map_layer(p, arch, spec).map_err(|e| {
        let given = if spec.tile_m.is_none()
            && spec.tile_k.is_none()
            && spec.tile_n.is_none()
            && spec.keep.is_none()
        {
            "the mapper's mapping"
        } else {
            "the mapping given (free tiles from the mapper)"
        };
        Diagnostic {
            message: format!(
                "layer {:?} on {} with {given}: {}",
                p.name,
                arch.name(),
                e.message
            ),
            ..e
        }
    })
}

/// The problem of `layer` on `arch`, with errors naming the layer.
pub fn problem_for(layer: &Layer, arch: &Arch) -> Result<Problem> {
    Problem::new(layer, arch).map_err(|e| Diagnostic {
        message: format!("layer {:?} on {}: {}", layer.name(), arch.name(), e.message),
        ..e
    })
}

/// What a layer is, in every per-layer row.
#[derive(Clone, Debug, Serialize)]
pub struct LayerInfo {
    pub layer: String,
    pub kind: &'static str,
    pub shape: String,
    /// Independent GEMMs the layer runs as (groups of a convolution, batch of a matrix product).
    pub instances: u32,
    /// One instance's GEMM (a convolution's implicit im2col).
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub macs: u64,
}

impl LayerInfo {
    fn of(l: &Layer, p: &Problem) -> LayerInfo {
        LayerInfo {
            layer: l.name().to_string(),
            kind: l.kind(),
            shape: l.shape(),
            instances: p.instances,
            m: p.gemm.m,
            k: p.gemm.k,
            n: p.gemm.n,
            macs: l.macs(),
        }
    }
}

/// Sums over the layers.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub cycles: u64,
    pub latency_us: f64,
    pub energy_pj: f64,
    /// The part of `energy_pj` spent in the array's interconnect (pipeline registers, wires, adder
    /// trees).
    pub noc_energy_pj: f64,
    pub macs: u64,
    /// MACs / (PEs × cycles).
    pub utilization: f64,
    pub counters: Counters,
    pub breakdown: Breakdown,
}

fn totals<'a>(arch: &Arch, rows: impl Iterator<Item = Row<'a>> + Clone) -> Result<Totals> {
    let cycles = checked_sum(rows.clone().map(|r| r.0), "total cycles")?;
    let macs = checked_sum(rows.clone().map(|r| r.2), "total MACs")?;
    let mut counters = Counters::default();
    let mut breakdown = Breakdown::default();
    for r in rows.clone() {
        counters.add(r.3);
        breakdown.add(r.4);
    }
    Ok(Totals {
        cycles,
        latency_us: arch.microseconds(tessera_core::Cycles(cycles)),
        energy_pj: rows.clone().map(|r| r.1).sum(),
        noc_energy_pj: rows.map(|r| r.5).sum(),
        macs,
        utilization: macs as f64 / (arch.pes() as f64 * cycles.max(1) as f64),
        counters,
        breakdown,
    })
}

/// What a per-layer row adds to the totals: (cycles, energy pJ, MACs, counters, breakdown, the
/// interconnect's energy pJ).
type Row<'a> = (u64, f64, u64, &'a Counters, &'a Breakdown, f64);

/// `row()` for the per-layer report types, which share these fields.
macro_rules! layer_rows {
    ($($t:ty),*) => {$(
        impl $t {
            fn row(&self) -> Row<'_> {
                (
                    self.cycles,
                    self.energy_pj,
                    self.info.macs,
                    &self.counters,
                    &self.breakdown,
                    self.noc_energy_pj,
                )
            }
        }
    )*};
}
layer_rows!(LayerEstimate, LayerSim);

/// Operations no stage models, with their operation counts.
#[derive(Clone, Debug, Serialize)]
pub struct NotModelled {
    pub ops: Vec<OpLayer>,
    /// Σ operation counts.
    pub total_ops: u64,
}

impl NotModelled {
    pub fn of(w: &Workload) -> NotModelled {
        NotModelled {
            ops: w.ops.clone(),
            total_ops: w.unmodelled_ops(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerEstimate {
    #[serde(flatten)]
    pub info: LayerInfo,
    pub mapping: Mapping,
    pub cycles: u64,
    pub energy_pj: f64,
    /// The part of `energy_pj` spent in the array's interconnect.
    pub noc_energy_pj: f64,
    pub utilization: f64,
    pub counters: Counters,
    pub breakdown: Breakdown,
}

#[derive(Clone, Debug, Serialize)]
pub struct EstimateReport {
    pub arch: String,
    pub dataflow: String,
    /// What the accelerator's description approximates (`ArchSpec::note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_note: Option<String>,
    /// The layers whose sums can overflow the accumulator's lanes, when some can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accumulator_note: Option<String>,
    pub workload: String,
    pub model: &'static str,
    pub layers: Vec<LayerEstimate>,
    pub totals: Totals,
    pub area_um2: f64,
    /// The area by component ([`crate::area::Area`]; `total_um2` is `area_um2`).
    pub area: crate::area::Area,
    /// The array's interconnect: its options and its graph's measures.
    pub interconnect: InterconnectReport,
    pub not_modelled: NotModelled,
}

/// The array's interconnect in a report: `array.noc` and what its graph
/// ([`tessera_arch::noc::NocGraph`]) measures.
#[derive(Clone, Debug, Serialize)]
pub struct InterconnectReport {
    pub stream: tessera_arch::Stream,
    pub reduce: tessera_arch::Reduce,
    #[serde(flatten)]
    pub stats: tessera_arch::noc::NocStats,
    /// The PE pitch the area model implies (the length of one hop), in µm.
    pub pe_pitch_um: f64,
    /// The energy model's price of one streamed word's registers, wires and tree adds (pJ).
    pub energy_per_word_pj: f64,
    /// And of one COMPUTE's preload (output-stationary: drain), in pJ.
    pub energy_per_compute_pj: f64,
    /// Row-stationary: of one weight word read (a preload step: every PE's register-file entry
    /// and the row buses), in pJ; 0 on the other arrays.
    pub energy_per_weight_read_pj: f64,
    /// Row-stationary: of one output captured into every PE's `out`, in pJ; 0 on the others.
    pub energy_per_capture_pj: f64,
}

impl InterconnectReport {
    pub fn of(arch: &Arch) -> Result<InterconnectReport> {
        let t = crate::EnergyTable::of(arch);
        Ok(InterconnectReport {
            stream: arch.noc().stream,
            reduce: arch.noc().reduce,
            stats: tessera_arch::noc::NocGraph::of(arch).check()?,
            pe_pitch_um: crate::area::pe_pitch_um(arch),
            energy_per_word_pj: t.noc_mac_slot_pj * arch.pes() as f64,
            energy_per_compute_pj: t.noc_compute_pj,
            energy_per_weight_read_pj: t.noc_weight_read_pj,
            energy_per_capture_pj: t.noc_capture_pj,
        })
    }
}

/// Which layers' sums can overflow the accumulator's lanes (a reduction deeper than
/// `Datatypes::exact_depth`), said in a sentence; `None` when none can. The outputs of such layers
/// are still exact modulo `2^AB` (docs/TIMING.md, "Accumulator width"), as the hardware's are.
pub fn accumulator_note<'a>(
    arch: &Arch,
    layers: impl IntoIterator<Item = &'a LayerInfo>,
) -> Option<String> {
    let dt = arch.datatypes();
    let exact = dt.exact_depth();
    // the products a sum adds: the layer's MACs per output (a gathered K counts padding zeros)
    let depth = |l: &LayerInfo| {
        let outputs = u64::from(l.instances) * u64::from(l.m) * u64::from(l.n);
        l.macs / outputs.max(1)
    };
    let (mut n, mut deepest) = (0usize, None::<(&LayerInfo, u64)>);
    for l in layers {
        let k = depth(l);
        if k > exact {
            n += 1;
            if deepest.is_none_or(|(_, dk)| k > dk) {
                deepest = Some((l, k));
            }
        }
    }
    let (d, k) = deepest?;
    Some(format!(
        "{n} layer(s) can overflow the {}-bit accumulator (sums of more than {exact} int8 products; \
         deepest: {} with {k} per output): their outputs wrap around at {} bits, as the hardware's do",
        dt.accumulator_bits(),
        d.layer,
        dt.accumulator_bits()
    ))
}

pub fn estimate(arch: &Arch, w: &Workload, spec: &MappingSpec) -> Result<EstimateReport> {
    let layers = w
        .layers
        .par_iter()
        .map(|l| {
            let p = problem_for(l, arch)?;
            let mapping = mapping_for(&p, arch, spec)?;
            let e = crate::estimate(&p, arch, &mapping)?;
            Ok(LayerEstimate {
                info: LayerInfo::of(l, &p),
                mapping,
                cycles: e.cycles.get(),
                energy_pj: e.energy.total_pj,
                noc_energy_pj: e.energy.noc_pj,
                utilization: e.utilization,
                counters: e.counters,
                breakdown: e.breakdown,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(EstimateReport {
        arch: arch.name().to_string(),
        dataflow: arch.dataflow().name().to_string(),
        arch_note: arch.note().map(str::to_string),
        accumulator_note: accumulator_note(arch, layers.iter().map(|l| &l.info)),
        workload: w.name.clone(),
        model: MODEL_NOTE,
        totals: totals(arch, layers.iter().map(|l| l.row()))?,
        area_um2: crate::area::Area::of(arch).total_um2,
        area: crate::area::Area::of(arch),
        interconnect: InterconnectReport::of(arch)?,
        not_modelled: NotModelled::of(w),
        layers,
    })
}

pub use crate::trace::LayerTrace;

#[derive(Clone, Debug, Serialize)]
pub struct LayerSim {
    #[serde(flatten)]
    pub info: LayerInfo,
    pub mapping: Mapping,
    pub cycles: u64,
    pub energy_pj: f64,
    /// The part of `energy_pj` spent in the array's interconnect.
    pub noc_energy_pj: f64,
    pub utilization: f64,
    pub counters: Counters,
    pub breakdown: Breakdown,
    pub units: UnitStats,
    pub matches_reference: bool,
    pub instructions: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimulateReport {
    pub arch: String,
    pub dataflow: String,
    /// What the accelerator's description approximates (`ArchSpec::note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_note: Option<String>,
    /// The layers whose sums can overflow the accumulator's lanes, when some can.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accumulator_note: Option<String>,
    pub workload: String,
    pub engine: Engine,
    pub seed: u64,
    pub layers: Vec<LayerSim>,
    pub totals: Totals,
    /// Every layer's int32 outputs equal the host's native execution of the layer.
    pub matches_reference: bool,
    pub not_modelled: NotModelled,
}

/// The operand seed of layer `i` of a run seeded with `seed`.
pub fn layer_seed(seed: u64, i: usize) -> u64 {
    seed.wrapping_add(i as u64)
}

/// Cycle-simulate every layer (each from a fresh machine, in parallel on the host), with operands
/// drawn from `seed`. Returns the report and, when `trace`, each layer's event log.
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
    let runs = w
        .layers
        .par_iter()
        .enumerate()
        .map(|(i, l)| {
            let p = problem_for(l, arch)?;
            let mapping = mapping_for(&p, arch, spec)?;
            let run = crate::run_layer(l, arch, &mapping, layer_seed(seed, i), &opts)?;
            let trace = run.trace.map(|t| (l.name().to_string(), t));
            Ok((
                LayerSim {
                    info: LayerInfo::of(l, &p),
                    mapping,
                    cycles: run.report.cycles.get(),
                    energy_pj: run.report.energy.total_pj,
                    noc_energy_pj: run.report.energy.noc_pj,
                    utilization: run.report.utilization,
                    counters: run.report.counters,
                    breakdown: run.report.breakdown,
                    units: run.report.units,
                    matches_reference: run.matches_reference,
                    instructions: run.lowered.program.instrs.len(),
                },
                trace,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let (layers, traces): (Vec<LayerSim>, Vec<Option<LayerTrace>>) = runs.into_iter().unzip();
    Ok((
        SimulateReport {
            arch: arch.name().to_string(),
            dataflow: arch.dataflow().name().to_string(),
            arch_note: arch.note().map(str::to_string),
            accumulator_note: accumulator_note(arch, layers.iter().map(|l| &l.info)),
            workload: w.name.clone(),
            engine,
            seed,
            matches_reference: layers.iter().all(|l| l.matches_reference),
            totals: totals(arch, layers.iter().map(|l| l.row()))?,
            not_modelled: NotModelled::of(w),
            layers,
        },
        traces.into_iter().flatten().collect(),
    ))
}

#[derive(Clone, Debug, Serialize)]
pub struct ValidateCase {
    pub arch: String,
    pub dataflow: String,
    /// What the accelerator's description approximates (`ArchSpec::note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_note: Option<String>,
    #[serde(flatten)]
    pub info: LayerInfo,
    pub mapping: Mapping,
    pub analytical_cycles: u64,
    pub cycle_sim_cycles: u64,
    /// (analytical − cycle sim) / cycle sim × 100.
    pub error_pct: f64,
    /// Counters on which the two models disagree: (field, analytical, cycle sim).
    pub counter_mismatches: Vec<(String, u64, u64)>,
    pub energy_error_pct: f64,
    pub analytical_breakdown: Breakdown,
    pub cycle_sim_breakdown: Breakdown,
    /// The cycle simulator's outputs equal the host's native execution of the layer.
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
    /// Σ analytical cycles and Σ cycle-simulated cycles over the cases, and the error of the sum.
    pub analytical_cycles: u64,
    pub cycle_sim_cycles: u64,
    pub total_error_pct: f64,
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
    let jobs: Vec<(&Arch, usize, &Layer)> = pairs
        .iter()
        .flat_map(|(a, w)| w.layers.iter().enumerate().map(move |(i, l)| (a, i, l)))
        .collect();
    let cases = jobs
        .par_iter()
        .map(|&(arch, i, l)| {
            let p = problem_for(l, arch)?;
            let mapping = mapping_for(&p, arch, spec)?;
            let est = crate::estimate(&p, arch, &mapping)?;
            let run = crate::run_layer(
                l,
                arch,
                &mapping,
                layer_seed(seed, i),
                &SimOptions::default(),
            )?;
            let sim = run.report.cycles.get();
            let a = est.cycles.get();
            Ok(ValidateCase {
                arch: arch.name().to_string(),
                dataflow: arch.dataflow().name().to_string(),
                arch_note: arch.note().map(str::to_string),
                info: LayerInfo::of(l, &p),
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
                analytical_breakdown: est.breakdown,
                cycle_sim_breakdown: run.report.breakdown,
                matches_reference: run.matches_reference,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let n = cases.len().max(1) as f64;
    let analytical_cycles = checked_sum(cases.iter().map(|c| c.analytical_cycles), "cycles")?;
    let cycle_sim_cycles = checked_sum(cases.iter().map(|c| c.cycle_sim_cycles), "cycles")?;
    Ok(ValidateReport {
        model: MODEL_NOTE,
        passed: cases
            .iter()
            .all(|c| c.matches_reference && c.counter_mismatches.is_empty()),
        mape_pct: cases.iter().map(|c| c.error_pct.abs()).sum::<f64>() / n,
        max_abs_error_pct: cases.iter().map(|c| c.error_pct.abs()).fold(0.0, f64::max),
        total_error_pct: pct(analytical_cycles as f64, cycle_sim_cycles.max(1) as f64),
        analytical_cycles,
        cycle_sim_cycles,
        cases,
    })
}

/// Another tool's input format for a (layer, accelerator, mapping):
/// `tessera_mapping::interop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum InteropFormat {
    /// Timeloop v0.4 (timeloopfe): `arch.yaml`, `problem.yaml`, `mapping.yaml`.
    Timeloop,
    /// ZigZag: `accelerator.yaml`, `workload.yaml`, `mapping.yaml`.
    ZigZag,
}

/// One layer's files in another tool's format.
#[derive(Clone, Debug, Serialize)]
pub struct InteropLayer {
    pub layer: String,
    /// A folder name for the layer: its index and its name reduced to `[A-Za-z0-9_-]` (never a
    /// path: nothing a workload names can leave the output folder).
    pub folder: String,
    pub mapping: Mapping,
    /// (file name, contents).
    pub files: Vec<(String, String)>,
}

/// Every MAC layer of `w` on `arch`, mapped as every command maps it (the mapper, with `spec`'s
/// pinned tiles, kept panels included), written in `format`: the files hold the mappings
/// `estimate` reports for the same options. A kept panel is written with its buffer as the level
/// under DRAM (`tessera_mapping::interop`, "Kept panels").
pub fn interop(
    arch: &Arch,
    w: &Workload,
    spec: &MappingSpec,
    format: InteropFormat,
) -> Result<Vec<InteropLayer>> {
    use tessera_mapping::interop::{timeloop, zigzag};
    w.layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let p = problem_for(l, arch)?;
            let mapping = mapping_for(&p, arch, spec)?;
            let files: Vec<(String, String)> = match format {
                InteropFormat::Timeloop => timeloop::write(arch, &p, &mapping)?
                    .files()
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect(),
                InteropFormat::ZigZag => zigzag::write(arch, &p, &mapping)?
                    .files()
                    .iter()
                    .map(|(n, t)| (n.to_string(), t.to_string()))
                    .collect(),
            };
            let safe: String = l
                .name()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .take(64)
                .collect();
            Ok(InteropLayer {
                layer: l.name().to_string(),
                folder: format!("{i:03}_{safe}"),
                mapping,
                files,
            })
        })
        .collect()
}

#[cfg(test)]
mod interop_tests {
    use super::*;
    use tessera_mapping::interop::{Export, Operand, PDim};
    use tessera_mapping::Keep;
    use tessera_workloads::{Conv2d, Gemm};

    /// The files hold the mapper's choice, as `estimate` makes it: kept panels too.
    #[test]
    fn the_files_hold_the_mappers_choice_kept_panels_included() {
        let spec = MappingSpec::default();
        let mut kept = 0;
        for name in ["ws_8x8", "os_8x8", "is_8x8"] {
            let arch = tessera_arch::builtin::arch(name).unwrap();
            let w = tessera_workloads::builtin::workload("dqn").unwrap();
            let out = interop(&arch, &w, &spec, InteropFormat::Timeloop).unwrap();
            for (l, x) in w.layers.iter().zip(&out) {
                let m = mapping_for(&problem_for(l, &arch).unwrap(), &arch, &spec).unwrap();
                assert_eq!(x.mapping, m, "{name} {}", l.name());
                let mapping = &x.files.iter().find(|f| f.0 == "mapping.yaml").unwrap().1;
                let label = format!("keep={}", m.keep.label());
                assert_eq!(mapping.contains(&label), m.keep != Keep::Tiles, "{mapping}");
                kept += usize::from(m.keep != Keep::Tiles);
            }
        }
        assert!(kept > 0, "some layer keeps a panel");
    }

    /// For layers the tiles cover exactly, with two k-tiles or more and two tiles of the loop a
    /// panel stays across, the exported nest moves what the analytical model counts, operand
    /// by operand, for every keep on every dataflow: a kept panel's operand once per panel (per
    /// output row and n-tile for a B panel of an output- or input-stationary convolution), which
    /// the `Tiles` export reads once per tile of the other dimension. Words of int8 operands are
    /// their bytes; outputs leave as int32.
    #[test]
    fn exported_dram_traffic_is_the_analytical_models() {
        let gemm = Layer::Gemm(Gemm::new("gemm", 128, 128, 128));
        // 16 channels of 8x16 pixels, 32 output channels, a 3x3 kernel with padding 1: two
        // m-tiles per output row on every array below
        let conv = Layer::Conv2d(Conv2d {
            name: "conv".into(),
            batch: 1,
            in_channels: 16,
            in_h: 8,
            in_w: 16,
            out_channels: 32,
            kernel: [3, 3],
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [1, 1],
            pad_end: [1, 1],
            groups: 1,
            out_h: 8,
            out_w: 16,
        });
        let mut seen = 0;
        for (name, base) in [
            ("ws_8x8", (16, 8, 16)),
            ("os_8x8", (8, 16, 16)),
            ("is_8x8", (8, 8, 16)),
        ] {
            let arch = tessera_arch::builtin::arch(name).unwrap();
            let bytes = |b: &tessera_arch::Buffer| u128::from(b.word_bytes());
            for layer in [&gemm, &conv] {
                let p = problem_for(layer, &arch).unwrap();
                let (tile_m, tile_k, tile_n) = base;
                let tiles = Mapping {
                    tile_m,
                    tile_k,
                    tile_n,
                    keep: Keep::Tiles,
                };
                let mut kept_reads = Vec::new();
                for keep in Keep::ALL {
                    let what = format!("{name} {} {}", layer.name(), keep.label());
                    let m = tiles.with_panel(keep, &p.gemm, &arch).unwrap();
                    let e = Export::new(&arch, &p, &m).unwrap();
                    assert!(PDim::ALL.iter().all(|&d| e.padded(d).is_none()), "{what}");
                    let c = crate::analytical::estimate(&p, &arch, &m).unwrap().counters;
                    let a = u128::from(c.input.writes) * bytes(arch.input());
                    let b = u128::from(c.weight.writes) * bytes(arch.weight());
                    assert_eq!(e.dram_elements(Operand::Inputs), a, "{what}");
                    assert_eq!(e.dram_elements(Operand::Weights), b, "{what}");
                    assert_eq!(
                        e.dram_elements(Operand::Outputs) * 4,
                        u128::from(c.dram_write_bytes),
                        "{what}"
                    );
                    if p.conv.is_none() {
                        assert_eq!(a + b, u128::from(c.dram_read_bytes), "{what}");
                    }
                    kept_reads.push((a, b));
                    seen += 1;
                }
                // the kept operand: less than with one tile of each, and then its whole matrix
                // (a B panel of an OS or IS convolution: once per output row)
                let (g, inst) = (&p.gemm, u128::from(p.instances));
                let (a_all, b_all) = (
                    u128::from(g.m) * u128::from(g.k) * inst,
                    u128::from(g.k) * u128::from(g.n) * inst,
                );
                let rows = match (&p.conv, arch.dataflow()) {
                    (Some(cg), df) if df != tessera_arch::Dataflow::WeightStationary => {
                        u128::from(cg.conv.batch * cg.conv.out_h)
                    }
                    _ => 1,
                };
                let [t, ip, wp] = [kept_reads[0], kept_reads[1], kept_reads[2]];
                assert!(
                    ip.0 < t.0 && wp.1 < t.1,
                    "{name} {}: {kept_reads:?}",
                    layer.name()
                );
                assert_eq!(
                    (ip.0, wp.1),
                    (a_all, b_all * rows),
                    "{name} {}",
                    layer.name()
                );
            }
        }
        assert_eq!(seen, 18);
    }

    #[test]
    fn folders_are_safe_and_every_layer_is_written() {
        let arch = tessera_arch::builtin::arch("ws_8x8").unwrap();
        let mut w = tessera_workloads::builtin::workload("dqn").unwrap();
        if let Layer::Conv2d(c) = &mut w.layers[0] {
            c.name = "../../etc/passwd\n".into();
        }
        for f in [InteropFormat::Timeloop, InteropFormat::ZigZag] {
            let out = interop(&arch, &w, &MappingSpec::default(), f).unwrap();
            assert_eq!(out.len(), w.layers.len());
            assert_eq!(out[0].folder, "000_______etc_passwd_");
            for l in &out {
                assert!(l
                    .folder
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
                assert_eq!(l.files.len(), 3);
            }
        }
    }
}

#[cfg(test)]
mod accumulator_tests {
    use super::*;

    fn narrow(bits: i64) -> Arch {
        let mut s = tessera_arch::builtin::arch_spec("ws_16x16")
            .unwrap()
            .with_accumulator_bits(bits);
        s.buffers.accumulator.capacity_bytes = s.buffers.accumulator.capacity_bytes / 32 * bits;
        s.validate().unwrap()
    }

    #[test]
    fn the_report_says_which_layers_can_overflow_the_accumulator() {
        let w = tessera_workloads::builtin::workload("dqn").unwrap();
        let spec = MappingSpec::default();
        let wide = estimate(&narrow(32), &w, &spec).unwrap();
        assert_eq!(wide.accumulator_note, None);
        // conv1 adds 4·8·8 = 256 products per output (its gathered K of 1024 counts padding),
        // conv2 512, conv3 576, fc4 3136, fc5 512: all but conv1 exceed 511.
        let note = estimate(&narrow(24), &w, &spec)
            .unwrap()
            .accumulator_note
            .unwrap();
        assert!(
            note.starts_with("4 layer(s) can overflow the 24-bit"),
            "{note}"
        );
        assert!(note.contains("fc4 with 3136"), "{note}");
        let note = estimate(&narrow(16), &w, &spec)
            .unwrap()
            .accumulator_note
            .unwrap();
        assert!(note.starts_with("5 layer(s)"), "{note}");
    }
}
