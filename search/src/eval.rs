//! Evaluating one accelerator on a workload with the analytical model: the inner mapping search
//! per layer, then the workload's totals.
//!
//! Everything here is a pure function of its arguments (no caches), so candidates can be evaluated
//! on any thread in any order.

use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, ArchSpec};
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{DramLayout, Mapping, Problem, Schedule, Summary, SummaryAcc};
use tessera_sim::analytical::{counters, estimate_priced, tile_times};
use tessera_sim::contract::Contract;
use tessera_sim::{Energy, EnergyTable, Estimate};
use tessera_workloads::Workload;

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

/// A lower bound on the analytical model's `(cycles, energy_pj)` for `mapping`
/// ([`tessera_sim::estimate`]), from the mapping's [`Schedule`] alone, in closed form: one visit
/// per class of tiles ([`Schedule::for_each_shape`], at most 3⁴ = 81), whatever the number of
/// tiles.
///
/// With per-tile unit times `(C_j, L_j, S_j)` = [`tile_times`] (COMPUTE, the LOADs before it and
/// the STOREs after it, each with its issue cycles), and `n` tiles:
/// - energy is exact: the schedule's [`Summary`] gives the access counters in closed form
///   ([`counters`]), priced by [`Energy::of`];
/// - cycles, single-buffered: exact, `Σ_j (L_j + 1 + C_j + 1 + (S_j > 0 ? S_j + 1 : 0)) + 1`;
/// - cycles, double-buffered: the model's `L_0 + 1 + Σ_{j<n-1} max(C_j, D_j + 2)
///   + max(C_{n-1} + 1, D_pend + 1) + S_{n-1} + 1` with `D_j = S_{j-1} + L_{j+1}` is at least
///   - `Σ_j max(C_j, L_min + 2) + 1` (the array: every tile but the last lasts at least its
///     COMPUTE and the next tile's loads with their SYNC and issue cycles; `L_min` is the least
///     `L` of any tile, and the first loads and the last tile's SYNC and stores cover the last
///     term), and
///   - `Σ_j (L_j + S_j) + 2(n - 1) + 3` (the DMA: every load and store one after the other, with
///     the issue and SYNC cycles between tiles).
///
/// A convolution's CONFIGs are left out of every `L_j` (they only add cycles, so the bound stays
/// one). An error only when the schedule's totals or the bound overflow u64.
/// `tests::bounds_hold_and_branch_and_bound_is_exact` holds it to the model.
pub fn lower_bound(p: &Problem, arch: &Arch, mapping: &Mapping) -> Result<(u64, f64)> {
    let schedule = Schedule::new(p, arch, mapping);
    Ok(bound_pass(p, arch, &schedule, &EnergyTable::of(arch))?.1)
}

/// One pass over the schedule's tile classes: its [`Summary`], and the [`lower_bound`].
fn bound_pass(
    p: &Problem,
    arch: &Arch,
    schedule: &Schedule,
    table: &EnergyTable,
) -> Result<(Summary, (u64, f64))> {
    let contract = Contract::default();
    let mut acc = SummaryAcc::default();
    // Each class of tiles once: (C, L, S, multiplicity).
    let mut classes: Vec<(u64, u64, u64, u64)> = Vec::with_capacity(36);
    schedule.for_each_shape(|shape, mult| {
        acc.add(shape, mult, schedule.rows, schedule.cols);
        let (c, l, s) = tile_times(arch, &contract, shape, 0);
        classes.push((c, l, s, mult));
    });
    let summary = schedule.finish(&acc)?;
    let energy_pj = Energy::priced(table, &counters(p, arch, &summary)).total_pj;
    // Σ over the classes of multiplicity × per-tile term, checked (`None` on overflow).
    let sum = |term: &dyn Fn(u64, u64, u64) -> Option<u64>| -> Option<u64> {
        classes.iter().try_fold(0u64, |t, &(c, l, s, mult)| {
            t.checked_add(term(c, l, s)?.checked_mul(mult)?)
        })
    };
    let cycles = if schedule.double_buffered {
        let l_min = classes.iter().map(|x| x.1).min().unwrap_or(0);
        let n = summary.steps;
        let array =
            sum(&|c, _, _| Some(c.max(l_min.checked_add(2)?))).and_then(|t| t.checked_add(1));
        let dma = sum(&|_, l, s| l.checked_add(s)).and_then(|t| {
            t.checked_add(n.checked_sub(1)?.checked_mul(2)?)?
                .checked_add(3)
        });
        array.zip(dma).map(|(a, d)| a.max(d))
    } else {
        sum(&|c, l, s| {
            let store = if s > 0 { s.checked_add(1)? } else { 0 };
            l.checked_add(c)?.checked_add(2)?.checked_add(store)
        })
        .and_then(|t| t.checked_add(1))
    };
    let cycles = cycles.ok_or_else(|| {
        Diagnostic::new(format!(
            "the cycle bound of {:?} overflows 64 bits",
            schedule.mapping
        ))
    })?;
    Ok((summary, (cycles, energy_pj)))
}

/// The inner mapping search: the best of [`Mapping::candidates`] and [`Mapping::default_for`] for
/// `p` on `arch` by the analytical model ([`tessera_sim::analytical::estimate_priced`] on the
/// mapping's [`Schedule`], the same figures as [`tessera_sim::estimate`]) under `objective` (per
/// layer; for [`Objective::Edp`] the layer's own cycles × energy). Ties are broken by cycles,
/// energy, then the mapping's order.
///
/// Exact branch and bound: candidates are visited in order of [`lower_bound`] and the visit stops
/// when the bound exceeds the best value found, so the answer is the exhaustive search's. Each
/// candidate's check, summary and bound come from one pass over its tile classes. An error only if
/// no mapping fits or the layer does not fit the DRAM address space. Returns the mapping, its estimate, and the number of candidates
/// and of mappings actually estimated.
pub fn best_mapping(p: &Problem, arch: &Arch, objective: Objective) -> Result<BestMapping> {
    DramLayout::new(p, arch)?;
    let g = &p.gemm;
    let table = EnergyTable::of(arch);
    let mut ladder = Mapping::ladder(g, arch);
    // The default is not always on the ladder (its width need not be a power of two): add it, so
    // the search is never worse than the default.
    let default = Mapping::default_for(g, arch);
    if !ladder.contains(&default) {
        ladder.push(default);
    }
    let mut first_err = None;
    let mut candidates = 0;
    let mut order: Vec<(f64, Mapping, Schedule, Summary)> = Vec::with_capacity(ladder.len());
    for m in &ladder {
        if m.check(arch).is_err() {
            continue;
        }
        let schedule = Schedule::new(p, arch, m);
        let (summary, (c, e)) = match bound_pass(p, arch, &schedule, &table) {
            Ok(x) => x,
            Err(e) => {
                // Not a candidate (its totals overflow): say why if nothing else fits.
                first_err.get_or_insert(e);
                continue;
            }
        };
        candidates += 1;
        order.push((objective.value(c, e), *m, schedule, summary));
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut best: Option<((f64, u64, f64, Mapping), Estimate)> = None;
    let mut estimated = 0;
    for (bound, m, schedule, summary) in &order {
        if best.as_ref().is_some_and(|(bk, _)| *bound > bk.0) {
            break;
        }
        let e = estimate_priced(p, arch, schedule, summary, &table);
        estimated += 1;
        let k = layer_key(objective, &e, m);
        if best.as_ref().is_none_or(|(bk, _)| key_cmp(&k, bk).is_lt()) {
            best = Some((k, e));
        }
    }
    match best {
        Some((k, estimate)) => Ok(BestMapping {
            mapping: k.3,
            estimate,
            candidates,
            estimated,
        }),
        None => Err(Diagnostic::new(format!(
            "layer {:?} has no mapping on {}: {}",
            g.name,
            arch.name(),
            first_err.map_or_else(
                // Say why: the default mapping's own check names the limit it breaks.
                || Mapping::default_for(g, arch)
                    .check(arch)
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
        let p = Problem::new(layer, arch)?;
        let b = best_mapping(&p, arch, objective)?;
        layers.push(LayerChoice {
            layer: p.name.clone(),
            mapping: b.mapping,
            cycles: b.estimate.cycles.get(),
            energy_pj: b.estimate.energy.total_pj,
            mapping_candidates: b.candidates,
            mappings_estimated: b.estimated,
        });
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
    use tessera_arch::{builtin, Dataflow};
    use tessera_sim::estimate;
    use tessera_workloads::{Conv2d, Gemm, Layer};

    /// Every built-in (weight- and output-stationary), and in both dataflows: single-buffered (one
    /// buffer with one bank), DMA-bound (1 B/cycle), short-latency and four-bank variants.
    fn test_archs() -> Vec<Arch> {
        let mut archs: Vec<Arch> = builtin::ARCHS
            .iter()
            .map(|(n, _)| builtin::arch(n).unwrap())
            .collect();
        for df in Dataflow::SUPPORTED {
            let spec = |name: &str| builtin::arch_spec(name).unwrap().with_dataflow(df);
            let mut single = spec("ws_4x4");
            single.buffers.input.banks = 1;
            archs.push(single.validate().unwrap());
            let mut slow = spec("ws_8x8");
            slow.dram.bytes_per_cycle = 1;
            archs.push(slow.validate().unwrap());
            let mut fast = spec("ws_2x3");
            fast.dram.latency_cycles = 1;
            fast.dram.bytes_per_cycle = 4096;
            archs.push(fast.validate().unwrap());
            let mut four = spec("ws_4x4");
            for b in [
                &mut four.buffers.input,
                &mut four.buffers.weight,
                &mut four.buffers.accumulator,
            ] {
                b.banks = 4;
            }
            archs.push(four.validate().unwrap());
        }
        assert!(archs
            .iter()
            .any(|a| a.dataflow() == Dataflow::OutputStationary && !a.double_buffered()));
        archs
    }

    const GEMMS: [(u32, u32, u32); 5] = [
        (37, 50, 19),
        (32, 64, 10),
        (1, 1, 1),
        (5, 130, 67),
        (3, 300, 9),
    ];

    #[test]
    fn bounds_hold_and_branch_and_bound_is_exact() {
        for arch in &test_archs() {
            for (m, k, n) in GEMMS {
                let g = Gemm::new("g", m, k, n);
                let mut all = vec![];
                let mut cands = Mapping::candidates(&g, arch);
                cands.push(Mapping::default_for(&g, arch));
                for mp in cands {
                    let e = estimate(&Problem::gemm(&g, arch), arch, &mp).unwrap();
                    let (c, pj) = lower_bound(&Problem::gemm(&g, arch), arch, &mp).unwrap();
                    assert!(c <= e.cycles.get(), "{} {g:?} {mp:?}", arch.name());
                    // The energy is exact, and so are single-buffered cycles.
                    assert_eq!(pj, e.energy.total_pj, "{} {g:?} {mp:?}", arch.name());
                    if !arch.double_buffered() {
                        assert_eq!(c, e.cycles.get(), "{} {g:?} {mp:?}", arch.name());
                    }
                    all.push((mp, e));
                }
                for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                    let (m0, e0) = all
                        .iter()
                        .min_by(|a, b| {
                            key_cmp(&layer_key(o, &a.1, &a.0), &layer_key(o, &b.1, &b.0))
                        })
                        .unwrap();
                    let b = best_mapping(&Problem::gemm(&g, arch), arch, o).unwrap();
                    assert_eq!(
                        (&b.mapping, &b.estimate),
                        (m0, e0),
                        "{} {g:?} {o:?}",
                        arch.name()
                    );
                    assert!(b.estimated >= 1 && b.estimated <= b.candidates);
                }
            }
        }
    }

    /// The bound is tight enough to prune: on a layer with many candidates most are never
    /// estimated.
    #[test]
    fn the_bound_prunes() {
        for name in ["ws_8x8", "os_8x8"] {
            let arch = builtin::arch(name).unwrap();
            let g = Gemm::new("g", 300, 200, 100);
            let b = best_mapping(&Problem::gemm(&g, &arch), &arch, Objective::Latency).unwrap();
            assert!(b.candidates >= 8, "{name}: {b:?}");
            assert!(b.estimated * 2 <= b.candidates, "{name}: {b:?}");
        }
    }

    /// Random small accelerators (either dataflow) and layers (fixed seed): the bound and the
    /// branch and bound against the full model.
    #[test]
    fn random_archs_and_layers() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
        let mut checked = [0; 2];
        while checked.iter().sum::<usize>() < 120 {
            let df = Dataflow::SUPPORTED[rng.random_range(0..2)];
            let mut s = builtin::arch_spec("ws_4x4").unwrap().with_dataflow(df);
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
            if Mapping::default_for(&g, &arch).check(&arch).is_ok() {
                cands.push(Mapping::default_for(&g, &arch));
            }
            if cands.is_empty() {
                assert!(
                    best_mapping(&Problem::gemm(&g, &arch), &arch, Objective::Latency).is_err()
                );
                continue;
            }
            let mut all = vec![];
            for mp in cands {
                let e = estimate(&Problem::gemm(&g, &arch), &arch, &mp).unwrap();
                let (c, pj) = lower_bound(&Problem::gemm(&g, &arch), &arch, &mp).unwrap();
                assert!(
                    c <= e.cycles.get() && pj == e.energy.total_pj,
                    "{s:?} {g:?} {mp:?}"
                );
                all.push((mp, e));
            }
            for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                let (m0, _) = all
                    .iter()
                    .min_by(|a, b| key_cmp(&layer_key(o, &a.1, &a.0), &layer_key(o, &b.1, &b.0)))
                    .unwrap();
                assert_eq!(
                    best_mapping(&Problem::gemm(&g, &arch), &arch, o)
                        .unwrap()
                        .mapping,
                    *m0
                );
            }
            checked[usize::from(df == Dataflow::OutputStationary)] += 1;
        }
        assert!(checked.iter().all(|&c| c >= 30), "{checked:?}");
    }

    #[test]
    fn inner_search_is_no_worse_than_the_default_mapping() {
        for arch in &test_archs() {
            for (m, k, n) in GEMMS {
                let g = Gemm::new("g", m, k, n);
                let d = estimate(
                    &Problem::gemm(&g, arch),
                    arch,
                    &Mapping::default_for(&g, arch),
                )
                .unwrap();
                for o in [Objective::Latency, Objective::Energy, Objective::Edp] {
                    let b = best_mapping(&Problem::gemm(&g, arch), arch, o).unwrap();
                    b.mapping.check(arch).unwrap();
                    let dv = o.value(d.cycles.get(), d.energy.total_pj);
                    let bv = o.value(b.estimate.cycles.get(), b.estimate.energy.total_pj);
                    assert!(bv <= dv, "{} {g:?} {o:?}: {bv} > default {dv}", arch.name());
                }
            }
        }
    }

    /// No program-length limit: a layer that once needed more instructions than an instruction
    /// memory held has a mapping; and convolutions are searched on their own schedules (gathers,
    /// CONFIGs), with bounds that hold.
    #[test]
    fn large_layers_and_convolutions_have_mappings() {
        for name in ["ws_1x1", "os_1x1", "ws_4x4", "os_4x4"] {
            let arch = builtin::arch(name).unwrap();
            let g = Gemm::new("wide", 4, 2048, 4096);
            best_mapping(&Problem::gemm(&g, &arch), &arch, Objective::Latency).unwrap();
            let conv = Layer::Conv2d(Conv2d {
                name: "c".into(),
                batch: 1,
                in_channels: 6,
                in_h: 9,
                in_w: 7,
                out_channels: 10,
                kernel: [3, 3],
                stride: [2, 1],
                dilation: [1, 2],
                pad_begin: [1, 2],
                pad_end: [1, 2],
                groups: 2,
                out_h: 5,
                out_w: 7,
            });
            let p = Problem::new(&conv, &arch).unwrap();
            let b = best_mapping(&p, &arch, Objective::Edp).unwrap();
            for mp in Mapping::candidates(&p.gemm, &arch) {
                let e = estimate(&p, &arch, &mp).unwrap();
                let (c, pj) = lower_bound(&p, &arch, &mp).unwrap();
                assert!(
                    c <= e.cycles.get() && pj == e.energy.total_pj,
                    "{name} {mp:?}"
                );
                assert!(
                    Objective::Edp.value(e.cycles.get(), e.energy.total_pj)
                        >= Objective::Edp
                            .value(b.estimate.cycles.get(), b.estimate.energy.total_pj)
                );
            }
        }
    }

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
}
