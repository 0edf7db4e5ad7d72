//! The mapper: per layer, the best mapping of its space ([`Mapping::space`]) for an
//! [`Objective`] by the analytical model, with any tiles the user pinned kept.
//!
//! Exact branch and bound over the space: every candidate gets a closed-form [`lower_bound`] (one
//! pass over its tile classes), candidates are estimated in order of their bound, and the visit
//! stops when the bound exceeds the best value found — so the answer is the exhaustive search's over
//! the space. The space is every mapping when a free tile has few values and a sample (powers of
//! two and balanced tiles) when it has many (`tessera_mapping::space`); on such layers the choice
//! is the best of the sample. The analytical model equals the cycle simulator on this machine
//! (docs/TIMING.md; `tessera validate` measures it), so the mapper's choice is the fastest mapping
//! of the space under the cycle simulator too; a test checks that on enumerable layers.
//!
//! Deterministic: ties are broken by cycles, energy, then the mapping's order. This is the default
//! mapping of every command ([`crate::workload::mapping_for`]) and the inner search of
//! `tessera_search`.

use crate::analytical::{counters, tile_holds, tile_times, Estimator};
use crate::contract::Contract;
use crate::{Energy, EnergyTable, Estimate, Pricing};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::rs::RsGeom;
use tessera_mapping::{
    DramLayout, Mapping, MappingSpec, Objective, Pinned, Problem, Schedule, SpaceBudget, Summary,
    SummaryAcc,
};

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
/// ([`crate::estimate`]), from the mapping's [`Schedule`] alone, in closed form: one visit
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
/// With several DMA transfer slots (`dram.outstanding_transfers` > 1) the loads or stores of a
/// group overlap their latencies: `L_j` and `S_j` are then lower bounds ([`tile_times`]), and the
/// DMA term of the double-buffered bounds is `Σ_j H_j + 1` with `H_j` the cycles tile `j`'s
/// transfers hold the channel ([`crate::analytical::tile_holds`]; request streams never overlap).
///
/// A convolution's CONFIGs are left out of every `L_j` (they only add cycles, so the bound stays
/// one). An error only when the schedule's totals or the bound overflow u64.
/// `tests::bounds_hold_and_branch_and_bound_is_exact` holds it to the model.
pub fn lower_bound(p: &Problem, arch: &Arch, mapping: &Mapping) -> Result<(u64, f64)> {
    lower_bound_priced(p, arch, mapping, &EnergyTable::of(arch))
}

/// [`lower_bound`] with the accelerator's energy table already computed (many bounds of one
/// accelerator, as the mapper computes them).
pub fn lower_bound_priced(
    p: &Problem,
    arch: &Arch,
    mapping: &Mapping,
    table: &EnergyTable,
) -> Result<(u64, f64)> {
    let schedule = Schedule::new(p, arch, mapping);
    Ok(bound_pass(p, arch, &schedule, table)?.1)
}

/// Tile classes `(C, L, S, multiplicity)` in visit order: on the stack up to a size that covers
/// the usual nests, in a vector past it.
struct Classes {
    inline: [(u64, u64, u64, u64); Classes::INLINE],
    n: usize,
    more: Vec<(u64, u64, u64, u64)>,
}

impl Classes {
    const INLINE: usize = 48;

    fn new() -> Classes {
        Classes {
            inline: [(0, 0, 0, 0); Classes::INLINE],
            n: 0,
            more: Vec::new(),
        }
    }

    fn push(&mut self, x: (u64, u64, u64, u64)) {
        if self.n < Classes::INLINE {
            self.inline[self.n] = x;
            self.n += 1;
        } else {
            self.more.push(x);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(u64, u64, u64, u64)> {
        self.inline[..self.n].iter().chain(&self.more)
    }
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
    let mut classes = Classes::new();
    // with several transfer slots: Σ over tiles of the cycles their transfers hold the channel
    let serial = arch.dram().outstanding_transfers() == 1;
    let mut holds: Option<u64> = Some(0);
    // overlapped COMPUTEs: consecutive streams start at least max(M, G) apart, G = R + (the
    // cycles the switch takes to the last PE) (2R + C - 1 on the default array)
    // (output-stationary, double-buffered sums: stream ends at least max(K, G) apart, G = F + R,
    // since a tile's sums land only after the previous tile's drain)
    let os = arch.dataflow() == tessera_arch::Dataflow::OutputStationary;
    let gap = u64::from(arch.rows())
        + if os {
            Contract::os_fill(arch)
        } else {
            crate::contract::OverlappedTile::switch_reach(arch)
        };
    let mut streams: Option<u64> = Some(0);
    schedule.for_each_shape(|shape, mult| {
        acc.add(shape, mult, schedule.rows, schedule.cols);
        let (c, l, s) = tile_times(arch, &contract, shape, 0);
        classes.push((c, l, s, mult));
        if !serial {
            holds = holds.and_then(|h| h.checked_add(tile_holds(arch, shape).checked_mul(mult)?));
        }
        streams =
            streams.and_then(|t| t.checked_add(u64::from(shape.len).max(gap).checked_mul(mult)?));
    });
    let summary = schedule.finish(&acc)?;
    let energy_pj = Energy::priced(table, &counters(p, arch, &summary)).total_pj;
    // Σ over the classes of multiplicity × per-tile term, checked (`None` on overflow).
    let sum = |term: &dyn Fn(u64, u64, u64) -> Option<u64>| -> Option<u64> {
        classes.iter().try_fold(0u64, |t, &(c, l, s, mult)| {
            t.checked_add(term(c, l, s)?.checked_mul(mult)?)
        })
    };
    // The DMA term of the double-buffered and overlapped bounds: every load and store one after
    // the other with the issue and SYNC cycles between tiles; with several transfer slots, the
    // cycles their request streams hold the channel (never overlapping).
    let n = summary.steps;
    let dma = if serial {
        sum(&|_, l, s| l.checked_add(s)).and_then(|t| {
            t.checked_add(n.checked_sub(1)?.checked_mul(2)?)?
                .checked_add(3)
        })
    } else {
        holds.and_then(|h| h.checked_add(1))
    };
    let cycles = if schedule.overlapped {
        // The array: tiles stream in order, each at least max(M_j, G) after the one before; the
        // first streams at cycle R + 2 at the earliest and the last writes its rows X - R cycles
        // after its stream start, so cycles ≥ Σ_j max(M_j, G) + R + 2 + (X - R) + 1 - G (the
        // last tile's max overcounts it by at most G - 1): + 4 on the default array
        // (X = 2R + C, G = 2R + C - 1), + 4 + ⌈log₂ R⌉ with an adder tree. The DMA term is the
        // double-buffered one.
        // Output-stationary: the stream ends `e_j = s_j + K_j` grow by at least max(K_j, G),
        // `e_0 ≥ 1 + K_0 ≥ 1 + max(K_0, G) - (G - 1)`, and the last tile ends at `e + G - 1`,
        // so cycles ≥ Σ_j max(K_j, G) + 2.
        let x = Contract::row_latency(arch);
        let array = if os {
            streams.and_then(|t| t.checked_add(2))
        } else {
            streams.and_then(|t| t.checked_add(x.checked_add(3)?.checked_sub(gap)?))
        };
        array.zip(dma).map(|(a, d)| a.max(d))
    } else if schedule.double_buffered {
        let l_min = classes.iter().map(|x| x.1).min().unwrap_or(0);
        let array =
            sum(&|c, _, _| Some(c.max(l_min.checked_add(2)?))).and_then(|t| t.checked_add(1));
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

/// The mapper: the best of [`Mapping::candidates`] (the layer's whole space, module docs) for
/// `p` on `arch` by the analytical model ([`crate::analytical::estimate_priced`] on the
/// mapping's [`Schedule`], the same figures as [`crate::estimate`]) under `objective` (per
/// layer; for [`Objective::Edp`] the layer's own cycles × energy). Ties are broken by cycles,
/// energy, then the mapping's order.
///
/// Exact branch and bound: candidates are visited in order of [`lower_bound`] and the visit stops
/// when the bound exceeds the best value found, so the answer is the exhaustive search's. Each
/// candidate's check, summary and bound come from one pass over its tile classes. An error only if
/// no mapping fits or the layer does not fit the DRAM address space. Returns the mapping, its estimate, and the number of candidates
/// and of mappings actually estimated.
pub fn best_mapping(p: &Problem, arch: &Arch, objective: Objective) -> Result<BestMapping> {
    best_pinned(p, arch, objective, &Pinned::default(), SpaceBudget::FULL)
}

/// [`best_mapping`] with the `pinned` tiles kept, over `Mapping::space_in(g, arch, pinned,
/// budget)`.
pub fn best_pinned(
    p: &Problem,
    arch: &Arch,
    objective: Objective,
    pinned: &Pinned,
    budget: SpaceBudget,
) -> Result<BestMapping> {
    let space = if arch.dataflow() == Dataflow::RowStationary {
        // a row-stationary array's space is the layer's (mapping/src/rs.rs); its pins are
        // applied by `map_layer`
        RsGeom::of(p, arch).space(arch)
    } else {
        Mapping::space_in(&p.gemm, arch, pinned, budget)
    };
    best_in(p, arch, objective, space)
}

/// [`best_pinned`] over the mappings of `space`.
fn best_in(
    p: &Problem,
    arch: &Arch,
    objective: Objective,
    space: Vec<Mapping>,
) -> Result<BestMapping> {
    DramLayout::new(p, arch)?;
    let g = &p.gemm;
    let pricing = Pricing::of(arch);
    if space.is_empty() && arch.dataflow() == Dataflow::RowStationary {
        let geo = RsGeom::of(p, arch);
        let why = geo
            .check(
                &Mapping {
                    tile_m: 1,
                    tile_k: 1,
                    tile_n: 1,
                    keep: tessera_mapping::Keep::Tiles,
                },
                arch,
            )
            .err()
            .map_or_else(|| "no pass fits the buffers".to_string(), |e| e.message);
        return Err(Diagnostic::new(format!(
            "layer {:?} has no mapping on {}: {why}",
            g.name,
            arch.name()
        )));
    }
    let mut first_err = None;
    let mut candidates = 0;
    // The schedules are not kept (rebuilding the few that get estimated is cheaper), and the sort
    // moves only (bound, mapping, index) keys, not the summaries.
    let mut bounded: Vec<(Summary, f64)> = Vec::with_capacity(space.len());
    let mut order: Vec<(f64, Mapping, usize)> = Vec::with_capacity(space.len());
    for m in &space {
        let schedule = Schedule::new(p, arch, m);
        let (summary, (c, e)) = match bound_pass(p, arch, &schedule, &pricing.energy) {
            Ok(x) => x,
            Err(e) => {
                // Not a candidate (its totals overflow): say why if nothing else fits.
                first_err.get_or_insert(e);
                continue;
            }
        };
        candidates += 1;
        order.push((objective.value(c, e), *m, bounded.len()));
        bounded.push((summary, e));
    }
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut best: Option<((f64, u64, f64, Mapping), Estimate)> = None;
    let mut estimated = 0;
    // (the candidates share most subtrees of their tile nests: each is folded once)
    let mut estimator = Estimator::with_pricing(arch, pricing);
    for (bound, m, i) in &order {
        let (summary, energy_pj) = &bounded[*i];
        if best.as_ref().is_some_and(|(bk, _)| *bound > bk.0) {
            break;
        }
        // A candidate whose walk passes this many cycles cannot beat the best (its energy is
        // exact, so its value only grows with its cycles, and equal values go to fewer cycles).
        let cap = match &best {
            None => u64::MAX,
            Some((bk, _)) => match objective {
                Objective::Latency | Objective::Energy => bk.1,
                Objective::Edp => cycles_cap(bk.0, *energy_pj),
            },
        };
        estimated += 1;
        let schedule = Schedule::new(p, arch, m);
        let Some(e) = estimator.capped(p, &schedule, summary, cap) else {
            continue;
        };
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
                    .check(g, arch)
                    .err()
                    .map_or_else(|| "no candidate fits the buffers".into(), |e| e.message),
                |e| e.message
            )
        ))),
    }
}

/// The most cycles a candidate of exact energy `energy_pj` may take and still have an EDP of at
/// most `best_value` (rounded up, with a relative margin for floating point: a cap may only be
/// loose, never tight).
fn cycles_cap(best_value: f64, energy_pj: f64) -> u64 {
    if energy_pj <= 0.0 || !best_value.is_finite() {
        return u64::MAX;
    }
    let c = (best_value / energy_pj * (1.0 + 1e-9)).ceil() + 1.0;
    if c >= u64::MAX as f64 {
        u64::MAX
    } else {
        c as u64
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

/// The mapping of one layer under the user's (partial) `spec`: the given tiles as given (cut to
/// the layer), the free ones chosen by the mapper for `spec.objective` (default latency). With
/// every free tile given there is nothing to search, and the mapping is checked as given. Errors
/// name the field (`mapping.tile_m`) when a given tile is wrong.
pub fn map_layer(p: &Problem, arch: &Arch, spec: &MappingSpec) -> Result<Mapping> {
    let g = &p.gemm;
    if arch.dataflow() == Dataflow::RowStationary {
        // tile_m = E, tile_k = q, tile_n = B (mapping/src/rs.rs): the given ones kept as given
        let geo = RsGeom::of(p, arch);
        // tiles larger than the layer are cut to it, as on the other arrays (one setting serves
        // every layer of a workload)
        let cut = |v: Option<i64>, max: u32| v.map(|v| v.min(i64::from(max.max(1))));
        let given = [
            cut(spec.tile_m, geo.out_w),
            cut(spec.tile_k, geo.cg),
            cut(spec.tile_n, geo.kg),
        ];
        if let [Some(e), Some(q), Some(b)] = given {
            let m = Mapping {
                tile_m: u32::try_from(e).unwrap_or(0),
                tile_k: u32::try_from(q).unwrap_or(0),
                tile_n: u32::try_from(b).unwrap_or(0),
                keep: spec.keep.unwrap_or_default(),
            };
            geo.check(&m, arch).map_err(|e| e.under("mapping"))?;
            return Ok(m);
        }
        // a given tile that fits no pass, with the free ones at 1: its check names it
        let least = |v: Option<i64>| v.map_or(1, |v| u32::try_from(v).unwrap_or(0));
        geo.check(
            &Mapping {
                tile_m: least(given[0]),
                tile_k: least(given[1]),
                tile_n: least(given[2]),
                keep: spec.keep.unwrap_or_default(),
            },
            arch,
        )
        .map_err(|e| e.under("mapping"))?;
        let space: Vec<Mapping> = geo
            .space(arch)
            .into_iter()
            .filter(|m| {
                let t = [m.tile_m, m.tile_k, m.tile_n];
                given
                    .iter()
                    .zip(t)
                    .all(|(g, v)| g.is_none_or(|g| g == i64::from(v)))
            })
            .collect();
        let objective = spec.objective.unwrap_or_default();
        return best_in(p, arch, objective, space).map(|b| b.mapping);
    }
    if spec.is_complete(arch) {
        return Mapping::resolve(spec, g, arch);
    }
    let pinned = Mapping::pinned(spec, g, arch)?;
    let objective = spec.objective.unwrap_or_default();
    match best_pinned(p, arch, objective, &pinned, SpaceBudget::FULL) {
        Ok(b) => Ok(b.mapping),
        // Nothing fits: the default's check names the tile that cannot fit.
        Err(e) => Err(Mapping::resolve(spec, g, arch).err().unwrap_or(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate;
    use tessera_arch::{builtin, Dataflow};
    use tessera_workloads::{Conv2d, Gemm, Layer};

    /// Every built-in (weight- and output-stationary), and in both dataflows: single-buffered (one
    /// buffer with one bank), DMA-bound (1 B/cycle), short-latency, broadcast-interconnect and
    /// four-bank variants.
    fn test_archs() -> Vec<Arch> {
        let mut archs: Vec<Arch> = builtin::ARCHS
            .iter()
            .map(|(n, _)| builtin::arch(n).unwrap())
            .collect();
        for df in Dataflow::SUPPORTED {
            // input-stationary: the input buffer holds the stationary tiles (C-byte words), the
            // weight buffer the streamed columns of B (R-byte words)
            let spec = |name: &str| {
                let mut s = builtin::arch_spec(name).unwrap().with_dataflow(df);
                if df == Dataflow::InputStationary {
                    std::mem::swap(&mut s.buffers.input, &mut s.buffers.weight);
                }
                s
            };
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
            if df != Dataflow::OutputStationary {
                archs.push(
                    spec("ws_4x4")
                        .with_weight_double_buffer(true)
                        .validate()
                        .unwrap(),
                );
                let mut slow_db = spec("ws_8x8").with_weight_double_buffer(true);
                slow_db.dram.bytes_per_cycle = 2;
                archs.push(slow_db.validate().unwrap());
            }
            // the interconnect options: row broadcast buses and adder trees (weight- and
            // input-stationary), row and column buses (output-stationary)
            let noc = tessera_arch::Noc {
                stream: tessera_arch::Stream::Broadcast,
                reduce: if df == Dataflow::OutputStationary {
                    tessera_arch::Reduce::Chain
                } else {
                    tessera_arch::Reduce::AdderTree
                },
            };
            archs.push(spec("ws_4x4").with_noc(noc).validate().unwrap());
            if df != Dataflow::OutputStationary {
                // double-buffered stationary operands with the interconnect options
                for (stream, reduce) in [
                    (tessera_arch::Stream::Broadcast, tessera_arch::Reduce::Chain),
                    (
                        tessera_arch::Stream::Systolic,
                        tessera_arch::Reduce::AdderTree,
                    ),
                    (
                        tessera_arch::Stream::Broadcast,
                        tessera_arch::Reduce::AdderTree,
                    ),
                ] {
                    archs.push(
                        spec("ws_4x4")
                            .with_noc(tessera_arch::Noc { stream, reduce })
                            .with_weight_double_buffer(true)
                            .validate()
                            .unwrap(),
                    );
                }
            }
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
        assert!(archs
            .iter()
            .any(|a| a.dataflow() == Dataflow::OutputStationary
                && a.noc().stream == tessera_arch::Stream::Broadcast));
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
            // one to four DMA transfer slots (with several the bounds are looser, still bounds)
            s.dram.outstanding_transfers = Some(rng.random_range(1..=4));
            // double-buffered stationary operands (sums on an output-stationary array)
            if rng.random_bool(0.3) {
                s = s.with_weight_double_buffer(true);
            }
            if df == Dataflow::OutputStationary && rng.random_bool(0.5) {
                s = s.with_noc(tessera_arch::Noc {
                    stream: tessera_arch::Stream::Broadcast,
                    reduce: tessera_arch::Reduce::Chain,
                });
            }
            if df != Dataflow::OutputStationary {
                // every interconnect, with or without double-buffered weights
                s = s.with_noc(tessera_arch::Noc {
                    stream: [
                        tessera_arch::Stream::Systolic,
                        tessera_arch::Stream::Broadcast,
                    ][rng.random_range(0..2)],
                    reduce: [tessera_arch::Reduce::Chain, tessera_arch::Reduce::AdderTree]
                        [rng.random_range(0..2)],
                });
            }
            let Ok(arch) = s.validate() else { continue };
            let g = Gemm::new(
                "g",
                rng.random_range(1..=70),
                rng.random_range(1..=70),
                rng.random_range(1..=70),
            );
            let mut cands = Mapping::candidates(&g, &arch);
            if Mapping::default_for(&g, &arch).check(&g, &arch).is_ok() {
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
                    b.mapping.check(&g, arch).unwrap();
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
}
