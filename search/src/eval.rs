//! Evaluating one accelerator on a workload with the analytical model: the inner mapping search
//! per layer, then the workload's totals.
//!
//! Everything here is a pure function of its arguments (no caches), so candidates can be evaluated
//! on any thread in any order.

use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, ArchSpec};
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{k_slices, n_slices, DramLayout, Mapping, Step};
use tessera_sim::analytical::estimate_steps;
use tessera_sim::contract::Contract;
use tessera_sim::counters::BufferAccesses;
use tessera_sim::{Counters, Energy, Estimate};
use tessera_workloads::{Gemm, Layer, Workload};

/// What the search minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Objective {
    /// Total cycles over the workload's layers.
    Latency,
    /// Total energy in pJ.
    Energy,
    /// Energy-delay product: total cycles × total energy (cycles·pJ).
    Edp,
}

impl Objective {
    /// The objective's value for a cost of `cycles` and `energy_pj`.
    pub fn value(self, cycles: u64, energy_pj: f64) -> f64 {
        match self {
            Objective::Latency => cycles as f64,
            Objective::Energy => energy_pj,
            Objective::Edp => cycles as f64 * energy_pj,
        }
    }

    /// The unit of [`Objective::value`].
    pub fn unit(self) -> &'static str {
        match self {
            Objective::Latency => "cycles",
            Objective::Energy => "pJ",
            Objective::Edp => "cycles·pJ",
        }
    }
}

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

/// The per-layer ordering: objective value, then cycles, then energy, then the mapping itself, so
/// ties are broken the same way on every run.
fn layer_key(o: Objective, e: &Estimate, m: &Mapping) -> (f64, u64, f64, Mapping) {
    let (c, pj) = (e.cycles.get(), e.energy.total_pj);
    (o.value(c, pj), c, pj, *m)
}

fn key_cmp(a: &(f64, u64, f64, Mapping), b: &(f64, u64, f64, Mapping)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0)
        .then(a.1.cmp(&b.1))
        .then(a.2.total_cmp(&b.2))
        .then(a.3.cmp(&b.3))
}

/// The steps [`tessera_mapping::lower()`] produces for `mapping`, without building the program (the
/// search estimates thousands of mappings and simulates only a few). Written into `out`, which is
/// cleared first. Checks the mapping; the DRAM layout is checked once per layer by the caller.
/// `tests::steps_match_the_lowering` holds this to `lower`'s loop nest.
pub fn steps_into(g: &Gemm, arch: &Arch, mapping: &Mapping, out: &mut Vec<Step>) -> Result<()> {
    mapping.check(g, arch)?;
    out.clear();
    let (ks, ns) = (k_slices(g, arch), n_slices(g, arch));
    let (tm, nb) = (mapping.tile_m, mapping.n_per_tile(arch));
    let mut tile = 0;
    for m0 in (0..g.m).step_by(tm as usize) {
        let rows = tm.min(g.m - m0);
        for t0 in (0..ns).step_by(nb as usize) {
            let tiles_n = nb.min(ns - t0);
            for s in 0..ks {
                for dt in 0..tiles_n {
                    let last = s == ks - 1 && dt == tiles_n - 1;
                    out.push(Step {
                        tile,
                        rows,
                        input_words: if dt == 0 { rows } else { 0 },
                        weight_words: arch.rows,
                        accumulate: s > 0,
                        store_words: if last { rows * tiles_n } else { 0 },
                        stores: if last { tiles_n } else { 0 },
                    });
                }
            }
            tile += 1;
        }
    }
    Ok(())
}

/// Mappings with more steps than this are not estimated: their step list alone would take hundreds
/// of MB (a tiny array on a large layer with a small `tile_m`). Such mappings are never competitive:
/// the bound below grows with the step count.
pub const MAX_STEPS_PER_MAPPING: u64 = 1 << 22;

/// Number of steps (COMPUTEs) of `mapping`: one per (m-tile, k-slice, n-slice).
pub fn step_count(g: &Gemm, arch: &Arch, mapping: &Mapping) -> u64 {
    u64::from(g.m.div_ceil(mapping.tile_m))
        * u64::from(k_slices(g, arch))
        * u64::from(n_slices(g, arch))
}

/// A lower bound on the analytical model's `(cycles, energy_pj)` for `mapping` (of at most
/// [`MAX_STEPS_PER_MAPPING`] steps, so that no count overflows), in O(1), from the
/// contract's own latencies and the simulator's own energy model. It follows the loop nest of
/// `tessera_mapping::lower`: m-tiles of `ρ` rows (`tile_m`, the last one possibly shorter), each
/// with `ceil(ns / n_per_tile)` n-groups × `ks` k-slices of "blocks"; a block's first step loads
/// `ρ` A words, every step loads one weight tile (`R` words), every n-slice is stored once.
///
/// - cycles, double-buffered: step j costs at least `max(COMPUTE_j, W + 1)` (the next step's
///   weight load runs beside it), and the DMA runs every load and store one after the other, so the
///   bound is the larger of `Σ_j max(COMPUTE_j, W + 1) + 1` and `Σ loads + Σ stores + S + 2`
///   (COMPUTE_j and W include their issue cycle; S = steps). Single-buffered: the sum of every
///   load, COMPUTE and store with their issue and SYNC cycles.
/// - energy: every access count follows from the loop nest in closed form; through `Energy::of`,
///   which is monotone in every counter.
///
/// `tests::bounds_hold_and_branch_and_bound_is_exact` holds it to the model.
pub fn lower_bound(g: &Gemm, arch: &Arch, mapping: &Mapping) -> (u64, f64) {
    let (r, c) = (u64::from(arch.rows), u64::from(arch.cols));
    let (m, ks, ns) = (
        u64::from(g.m),
        u64::from(k_slices(g, arch)),
        u64::from(n_slices(g, arch)),
    );
    let tm = u64::from(mapping.tile_m);
    let groups = ns.div_ceil(u64::from(mapping.n_per_tile(arch)));
    let steps = step_count(g, arch, mapping);
    let contract = Contract::default();
    let comp = |rows: u64| contract.compute_busy(arch, rows) + 1;
    let w = Contract::load_busy(arch, r, c) + 1;
    let a_load = |rows: u64| Contract::load_busy(arch, rows, r) + 1;
    let store = |rows: u64| Contract::store_busy(arch, rows) + 1;
    // (rows, number of m-tiles with that many rows)
    let classes = [(tm, m / tm), (m % tm, u64::from(m % tm > 0))];
    let (mut per_step_max, mut dma, mut single) = (1u64, steps + 2, 1u64);
    for (rho, count) in classes.into_iter().filter(|x| x.1 > 0) {
        let n = count * ks * ns;
        let loads = n * w + count * groups * ks * a_load(rho);
        let stores = count * ns * store(rho);
        per_step_max += n * comp(rho).max(w + 1);
        dma += loads + stores;
        single += loads + n * (comp(rho) + 2) + stores + count * groups;
    }
    let cycles = if arch.double_buffered() {
        per_step_max.max(dma)
    } else {
        single
    };
    // Every row of A is streamed once per (k-slice, n-slice) and loaded once per (k-slice, n-group).
    let rows_streamed = m * ks * ns;
    let a_words = m * ks * groups;
    let k = Counters {
        dram_read_bytes: steps * r * c + a_words * r,
        dram_write_bytes: m * ns * 4 * c,
        input: BufferAccesses {
            reads: rows_streamed,
            writes: a_words,
        },
        weight: BufferAccesses {
            reads: steps * r,
            writes: steps * r,
        },
        accumulator: BufferAccesses {
            reads: rows_streamed,
            writes: rows_streamed,
        },
        array_macs: r * c * rows_streamed,
        ..Counters::default()
    };
    (cycles, Energy::of(arch, &k).total_pj)
}

/// The inner mapping search: the best of [`Mapping::candidates`] and [`Mapping::default_for`] for
/// `g` on `arch` by the
/// analytical model ([`tessera_sim::analytical::estimate_steps`], the same figures as
/// [`tessera_sim::estimate`]) under `objective` (per layer; for [`Objective::Edp`] the layer's own
/// cycles × energy). Ties are broken by cycles, energy, then the mapping's order.
///
/// Exact branch and bound: candidates are visited in order of [`lower_bound`] and the visit stops
/// when the bound exceeds the best value found, so the answer is the exhaustive search's. Mappings
/// above [`MAX_STEPS_PER_MAPPING`] steps are skipped; an error only if no mapping is left or the
/// layer does not fit the DRAM address space. Returns the mapping, its estimate, and the number of
/// candidates and of mappings actually estimated.
pub fn best_mapping(g: &Gemm, arch: &Arch, objective: Objective) -> Result<BestMapping> {
    DramLayout::new(g, arch)?;
    let mut candidates = Mapping::candidates(g, arch);
    // The default is not always on the ladder (its width need not be a power of two): add it, so
    // the search is never worse than the default.
    let default = Mapping::default_for(g, arch);
    if !candidates.contains(&default) && default.check(g, arch).is_ok() {
        candidates.push(default);
    }
    // Mappings above the step cap are skipped before anything else (this also keeps every
    // product in `lower_bound` far from u64 overflow).
    let mut first_err = None;
    let mut order: Vec<(f64, Mapping)> = vec![];
    for m in &candidates {
        let n = step_count(g, arch, m);
        if n > MAX_STEPS_PER_MAPPING {
            first_err.get_or_insert_with(|| {
                Diagnostic::new(format!(
                    "{m:?} needs {n} steps, more than the {MAX_STEPS_PER_MAPPING} the search estimates"
                ))
            });
            continue;
        }
        let (c, e) = lower_bound(g, arch, m);
        order.push((objective.value(c, e), *m));
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut best: Option<((f64, u64, f64, Mapping), Estimate)> = None;
    let mut estimated = 0;
    let mut steps = Vec::new();
    for (bound, m) in &order {
        if best.as_ref().is_some_and(|(bk, _)| *bound > bk.0) {
            break;
        }
        match steps_into(g, arch, m, &mut steps) {
            Ok(()) => {
                estimated += 1;
                let e = estimate_steps(g, arch, &steps, arch.double_buffered());
                let k = layer_key(objective, &e, m);
                if best.as_ref().is_none_or(|(bk, _)| key_cmp(&k, bk).is_lt()) {
                    best = Some((k, e));
                }
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match best {
        Some((k, estimate)) => Ok(BestMapping {
            mapping: k.3,
            estimate,
            candidates: candidates.len(),
            estimated,
        }),
        None => Err(Diagnostic::new(format!(
            "layer {:?} has no mapping on {}: {}",
            g.name,
            arch.name,
            first_err.map_or_else(
                // Say why: the default mapping's own check names the limit it breaks.
                || Mapping::default_for(g, arch)
                    .check(g, arch)
                    .err()
                    .map_or_else(|| "no candidate fits the buffers".into(), |e| e.message),
                |e| e.message
            )
        ))),
    }
}

/// What [`best_mapping`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct BestMapping {
    pub mapping: Mapping,
    pub estimate: Estimate,
    /// Candidate mappings of the layer ([`Mapping::candidates`]).
    pub candidates: usize,
    /// Mappings actually estimated (the others were bounded out or too large).
    pub estimated: usize,
}

/// Evaluate `arch` on every layer of `workload`: the best mapping per layer, summed.
pub fn evaluate(arch: &Arch, workload: &Workload, objective: Objective) -> Result<Evaluation> {
    let mut layers = Vec::with_capacity(workload.layers.len());
    for layer in &workload.layers {
        let Layer::Gemm(g) = layer;
        let b = best_mapping(g, arch, objective)?;
        layers.push(LayerChoice {
            layer: g.name.clone(),
            mapping: b.mapping,
            cycles: b.estimate.cycles.get(),
            energy_pj: b.estimate.energy.total_pj,
            mapping_candidates: b.candidates,
            mappings_estimated: b.estimated,
        });
    }
    let metrics = Metrics::total(arch, layers.iter().map(|l| (l.cycles, l.energy_pj)))?;
    Ok(Evaluation {
        arch: arch.spec.clone(),
        layers,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;
    use tessera_sim::estimate;

    #[test]
    fn steps_match_the_lowering() {
        let mut steps = vec![];
        for arch in &test_archs() {
            for (m, k, n) in GEMMS {
                let g = Gemm::new("g", m, k, n);
                for m in Mapping::candidates(&g, arch) {
                    let low = tessera_mapping::lower(&g, arch, &m).unwrap();
                    steps_into(&g, arch, &m, &mut steps).unwrap();
                    assert_eq!(steps, low.steps, "{} {g:?} {m:?}", arch.name);
                    assert_eq!(arch.double_buffered(), low.double_buffered);
                    assert_eq!(
                        estimate_steps(&g, arch, &steps, arch.double_buffered()),
                        estimate(&g, arch, &m).unwrap()
                    );
                }
            }
        }
    }

    fn test_archs() -> Vec<Arch> {
        let mut archs: Vec<Arch> = builtin::ARCHS
            .iter()
            .map(|(n, _)| builtin::arch(n).unwrap())
            .collect();
        // Single-buffered (one buffer with one bank), DMA-bound (1 B/cycle) and short-latency,
        // four-bank variants.
        let mut single = builtin::arch_spec("ws_4x4").unwrap();
        single.buffers.input.banks = 1;
        archs.push(single.validate().unwrap());
        let mut slow = builtin::arch_spec("ws_8x8").unwrap();
        slow.dram.bytes_per_cycle = 1;
        archs.push(slow.validate().unwrap());
        let mut fast = builtin::arch_spec("ws_2x3").unwrap();
        fast.dram.latency_cycles = 1;
        fast.dram.bytes_per_cycle = 4096;
        archs.push(fast.validate().unwrap());
        let mut four = builtin::arch_spec("ws_4x4").unwrap();
        for b in [
            &mut four.buffers.input,
            &mut four.buffers.weight,
            &mut four.buffers.accumulator,
        ] {
            b.banks = 4;
        }
        archs.push(four.validate().unwrap());
        archs
    }

    const GEMMS: [(u32, u32, u32); 4] = [(37, 50, 19), (32, 64, 10), (1, 1, 1), (5, 130, 67)];

    #[test]
    fn bounds_hold_and_branch_and_bound_is_exact() {
        for arch in &test_archs() {
            for (m, k, n) in GEMMS {
                let g = Gemm::new("g", m, k, n);
                let mut all = vec![];
                let mut cands = Mapping::candidates(&g, arch);
                cands.push(Mapping::default_for(&g, arch));
                for mp in cands {
                    let e = estimate(&g, arch, &mp).unwrap();
                    let (c, pj) = lower_bound(&g, arch, &mp);
                    assert!(c <= e.cycles.get(), "{} {g:?} {mp:?}", arch.name);
                    assert!(pj <= e.energy.total_pj, "{} {g:?} {mp:?}", arch.name);
                    assert_eq!(step_count(&g, arch, &mp), e.counters.computes);
                    all.push((mp, e));
                }
                for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                    let (m0, e0) = all
                        .iter()
                        .min_by(|a, b| {
                            key_cmp(&layer_key(o, &a.1, &a.0), &layer_key(o, &b.1, &b.0))
                        })
                        .unwrap();
                    let b = best_mapping(&g, arch, o).unwrap();
                    assert_eq!(
                        (&b.mapping, &b.estimate),
                        (m0, e0),
                        "{} {g:?} {o:?}",
                        arch.name
                    );
                    assert!(b.estimated >= 1 && b.estimated <= b.candidates);
                }
            }
        }
    }

    /// Random small accelerators and layers (fixed seed): the bound, the step list and the
    /// branch and bound against the full lowering and model.
    #[test]
    fn random_archs_and_layers() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let mut checked = 0;
        let mut steps = vec![];
        while checked < 60 {
            let mut s = builtin::arch_spec("ws_4x4").unwrap();
            s.array.rows = rng.random_range(1..=6);
            s.array.cols = rng.random_range(1..=6);
            let banks = rng.random_range(1..=2);
            for b in [
                &mut s.buffers.input,
                &mut s.buffers.weight,
                &mut s.buffers.accumulator,
            ] {
                b.banks = banks;
                b.capacity_bytes = 96 * rng.random_range(1..=40);
            }
            s.dram.bytes_per_cycle = rng.random_range(1..=16);
            s.dram.latency_cycles = rng.random_range(1..=30);
            let Ok(arch) = s.validate() else { continue };
            let g = Gemm::new(
                "g",
                rng.random_range(1..=70),
                rng.random_range(1..=70),
                rng.random_range(1..=70),
            );
            let mut cands = Mapping::candidates(&g, &arch);
            cands.push(Mapping::default_for(&g, &arch));
            let mut all = vec![];
            for mp in cands {
                let low = tessera_mapping::lower(&g, &arch, &mp).unwrap();
                steps_into(&g, &arch, &mp, &mut steps).unwrap();
                assert_eq!(steps, low.steps);
                let e = estimate(&g, &arch, &mp).unwrap();
                let (c, pj) = lower_bound(&g, &arch, &mp);
                assert!(
                    c <= e.cycles.get() && pj <= e.energy.total_pj,
                    "{s:?} {g:?} {mp:?}"
                );
                all.push((mp, e));
            }
            for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                let (m0, _) = all
                    .iter()
                    .min_by(|a, b| key_cmp(&layer_key(o, &a.1, &a.0), &layer_key(o, &b.1, &b.0)))
                    .unwrap();
                assert_eq!(best_mapping(&g, &arch, o).unwrap().mapping, *m0);
            }
            checked += 1;
        }
    }

    #[test]
    fn inner_search_is_no_worse_than_the_default_mapping() {
        for arch in &test_archs() {
            for (m, k, n) in GEMMS {
                let g = Gemm::new("g", m, k, n);
                let d = estimate(&g, arch, &Mapping::default_for(&g, arch)).unwrap();
                for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                    let b = best_mapping(&g, arch, o).unwrap();
                    b.mapping.check(&g, arch).unwrap();
                    let dv = o.value(d.cycles.get(), d.energy.total_pj);
                    let bv = o.value(b.estimate.cycles.get(), b.estimate.energy.total_pj);
                    assert!(bv <= dv, "{} {g:?} {o:?}: {bv} > default {dv}", arch.name);
                }
            }
        }
    }

    #[test]
    fn layers_beyond_the_instruction_memory_have_no_mapping() {
        let arch = builtin::arch("ws_1x1").unwrap();
        let g = Gemm::new("wide", 4, 2048, 4096);
        let e = best_mapping(&g, &arch, Objective::Latency).unwrap_err();
        assert!(e.message.contains("instruction memory"), "{e}");
        assert!(evaluate(
            &arch,
            &Workload {
                name: "w".into(),
                layers: vec![Layer::Gemm(g)]
            },
            Objective::Edp
        )
        .is_err());
    }

    #[test]
    fn totals_sum_layers() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let w = tessera_workloads::builtin::workload("mlp_small").unwrap();
        let ev = evaluate(&arch, &w, Objective::Latency).unwrap();
        assert_eq!(ev.layers.len(), 3);
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
