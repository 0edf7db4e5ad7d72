//! `tessera baselines`: the co-design search against the templates of published designs, at equal
//! resources.
//!
//! What it compares. For each template `T` (`tessera_arch::builtin::TEMPLATES`: tpu_like, gemmini,
//! nvdla_like, shidiannao_like, eyeriss_like) and each workload `W` (by default ResNet-18,
//! MobileNetV2, DQN and the BERT encoder layer of the model zoo):
//! - `T` itself with the mapper's best mapping of every layer for the objective (the full mapping
//!   space, as every command maps), by the analytical model and re-simulated cycle by cycle on
//!   every layer ([`tessera_search::resimulate_design`]: the search's own re-simulation of its
//!   finalists, event engine, operands from the seed, outputs checked against the host);
//! - a search *at equal resources* from `T` ([`config_for`]): `T` is the base, so the DRAM channel,
//!   clock, technology, datatypes and `T`'s array options (double-buffered weights) carry over; at
//!   most `T`'s PEs and `T`'s SRAM bytes; a space ([`space_for`]) of power-of-two array sides and
//!   buffer capacities that also lists `T`'s own rows, columns, capacities and bank count, the
//!   weight- and output-stationary dataflows and `T`'s own (with its register file, when `T` is
//!   row-stationary);
//! - the ratios `T / found` of EDP, latency (cycles) and energy on the cycle simulator's totals
//!   ([`Comparison::ratios`]; the analytical model's beside them), and per workload their geometric
//!   mean over the templates.
//!
//! `T`'s point is in the space when `T` is expressible in it ([`template_point_gap`] says why not:
//! e.g. different bank counts per buffer, which the space cannot express). Being in the space does
//! not make the search visit it: the search neither seeds its population with the base nor
//! enumerates a large space, so within a budget it may miss `T`'s point and everything better. The
//! report says whether the search evaluated `T`'s point ([`Comparison::template_point_evaluated`])
//! and whether the found design beats `T` on the objective; a ratio below 1 is reported as it is.
//!
//! What it leaves out. The templates are modelled within Tessera's design family (weight-,
//! output- or input-stationary systolic arrays and row-stationary arrays, with three buffers):
//! each is the nearest configuration its `note` names (Eyeriss's input and partial-sum
//! scratchpads and tagged multicast network, ShiDianNao's inter-PE input propagation are not
//! modelled; DRAM figures are assumed). So the ratios measure what the search gains over each design's *array
//! shape, buffer split and dataflow choice* at its resources, not over the published chip's
//! measured efficiency; gains a published design owes to features outside the family (or losses
//! the family cannot represent) are in neither side. Both sides share the first-order energy and
//! area models of `tessera_sim` and run layers back to back. The area is reported, not
//! constrained (equal PEs and SRAM, as the issue asks, not equal area).
//!
//! Determinism: each (template, workload) pair is a pure function of its inputs and the seed; the
//! pairs run in parallel with rayon and are collected in order, so the report is byte-identical
//! for a seed whatever the thread count.

use rayon::prelude::*;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use tessera_arch::spec::MAX_ARRAY_DIM;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_search::space::MAX_CAPACITY_BYTES;
use tessera_search::{
    evaluate, resimulate_design, search_with_progress, Constraints, DesignPoint, Finalist, Metrics,
    Objective, Phase, SearchConfig, SearchSpace, Strategy,
};
use tessera_workloads::Workload;

/// The workloads compared by default: ResNet-18, MobileNetV2, DQN and the BERT encoder layer
/// (the zoo's `bert-layer`: Q/K/V and output projections, both attention MatMuls, the FFN).
pub const DEFAULT_WORKLOADS: [&str; 4] = ["resnet18", "mobilenetv2", "dqn", "bert-layer"];

/// Evaluations per search by default: ResNet-18 against the five templates in under a minute on
/// two cores.
pub const DEFAULT_EVALUATIONS: usize = 1000;

/// The smallest buffer capacity [`space_for`] lists besides the template's own.
pub const MIN_LISTED_CAPACITY: u64 = 1024;

/// How each search runs (the same for every pair).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineOptions {
    pub objective: Objective,
    pub strategy: Strategy,
    /// Evaluation budget of each search.
    pub evaluations: usize,
    pub seed: u64,
    /// Candidates of each search re-simulated cycle by cycle (the found design is the best of them
    /// by the cycle simulator).
    pub top_k: usize,
}

impl Default for BaselineOptions {
    fn default() -> Self {
        Self {
            objective: Objective::Edp,
            strategy: Strategy::evolutionary(),
            evaluations: DEFAULT_EVALUATIONS,
            seed: 1,
            top_k: 3,
        }
    }
}

/// The template named `name` (one of `tessera_arch::builtin::TEMPLATES`). The error lists them.
pub fn template(name: &str) -> Result<Arch> {
    if !tessera_arch::builtin::TEMPLATES
        .iter()
        .any(|(n, _)| *n == name)
    {
        return Err(Diagnostic::new(format!(
            "no template named {name:?} (templates: {})",
            template_names().join(", ")
        )));
    }
    tessera_arch::builtin::arch(name)
}

/// Every template's name, in `TEMPLATES` order.
pub fn template_names() -> Vec<&'static str> {
    tessera_arch::builtin::TEMPLATES
        .iter()
        .map(|(n, _)| *n)
        .collect()
}

/// Powers of two from `lo` to `hi`, inclusive.
fn powers_of_two(lo: u64, hi: u64) -> impl Iterator<Item = u64> {
    (0..63)
        .map(|e| 1u64 << e)
        .filter(move |&v| v >= lo && v <= hi)
}

/// Sorted, distinct, as the space's `i64` lists.
fn list(values: impl IntoIterator<Item = u64>) -> Vec<i64> {
    let mut v: Vec<u64> = values.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v.into_iter().map(|x| x as i64).collect()
}

/// The space searched from template `t`: array rows and columns from the powers of two between 2
/// and `t`'s PEs / 2 (the other side is at least 2), and `t`'s own; each buffer's capacity from
/// the powers of two between [`MIN_LISTED_CAPACITY`] and `t`'s SRAM bytes, and `t`'s own capacity
/// of that buffer; the bank counts 2 and `t`'s; the weight- and output-stationary dataflows and
/// `t`'s own (row-stationary with `t`'s register file only); weight double-buffering off and on
/// (so `t`'s own setting is in the space); the default interconnect and `t`'s own (`array.noc`).
/// Points beyond `t`'s PEs or SRAM are screened out by [`constraints_for`]; capacities that are
/// not a whole number of an array's words are refused by validation, so `t`'s odd capacities
/// (Eyeriss's 36,850 B of 25-byte input words) serve only arrays whose words divide them.
pub fn space_for(t: &Arch) -> SearchSpace {
    let pes = t.pes();
    let side = |own: u32| {
        list(powers_of_two(2, (pes / 2).min(MAX_ARRAY_DIM as u64)).chain([u64::from(own)]))
    };
    let sram = t.sram_bytes().get();
    let cap = |own: u64| {
        list(powers_of_two(MIN_LISTED_CAPACITY, sram.min(MAX_CAPACITY_BYTES as u64)).chain([own]))
    };
    SearchSpace {
        rows: side(t.rows()),
        cols: side(t.cols()),
        input_bytes: cap(t.input().capacity().get()),
        weight_bytes: cap(t.weight().capacity().get()),
        accumulator_bytes: cap(t.accumulator().capacity().get()),
        banks: list(
            [
                2,
                t.input().banks(),
                t.weight().banks(),
                t.accumulator().banks(),
            ]
            .map(u64::from),
        ),
        dataflow: {
            let mut d = Dataflow::SEARCH_DEFAULT.to_vec();
            if !d.contains(&t.dataflow()) {
                d.push(t.dataflow());
            }
            d
        },
        weight_double_buffer: vec![false, true],
        // the default interconnect, and the template's own (NVDLA's broadcast and adder trees)
        noc: if t.noc().is_default() {
            vec![Default::default()]
        } else {
            vec![Default::default(), t.noc()]
        },
        words_per_cycle: vec![i64::from(t.dram().words_per_cycle())],
        // a row-stationary template's register file (its only row-stationary points)
        rf_weights: if t.dataflow() == Dataflow::RowStationary {
            vec![i64::from(t.rf_weights())]
        } else {
            vec![]
        },
    }
}

/// Equal resources: at most `t`'s PEs and `t`'s SRAM bytes (no area, cycle or energy limit).
pub fn constraints_for(t: &Arch) -> Constraints {
    Constraints {
        max_pes: Some(t.pes()),
        max_sram_bytes: Some(t.sram_bytes().get()),
        ..Constraints::default()
    }
}

/// The search run from template `t`: [`space_for`], [`constraints_for`], and `o`'s objective,
/// strategy, budget, seed and top-K.
pub fn config_for(t: &Arch, o: &BaselineOptions) -> SearchConfig {
    SearchConfig {
        space: space_for(t),
        constraints: constraints_for(t),
        objective: o.objective,
        strategy: o.strategy.clone(),
        evaluations: o.evaluations,
        seed: o.seed,
        top_k: o.top_k,
    }
}

/// Why template `t` is not a point of the search space, or `None` when it is: the space has one
/// bank count for all three buffers, and a point keeps only its array, capacities, banks,
/// dataflow (and register file) and array options from itself (everything else from the base, `t`), so `t`
/// is a point exactly when rebuilding it from [`DesignPoint::of`] gives `t` back (but for its name
/// and note).
pub fn template_point_gap(t: &Arch) -> Option<String> {
    let banks = [
        t.input().banks(),
        t.weight().banks(),
        t.accumulator().banks(),
    ];
    if banks.iter().any(|&b| b != banks[0]) {
        return Some(format!(
            "{} has {} input, {} weight and {} accumulator banks; the space has one bank count \
             for all three buffers",
            t.name(),
            banks[0],
            banks[1],
            banks[2]
        ));
    }
    let p = DesignPoint::of(t);
    match p.to_arch(t) {
        Err(e) => Some(format!(
            "{} rebuilt as the point {} does not validate: {e}",
            t.name(),
            p.name()
        )),
        Ok(a) => {
            let mut spec = a.spec().clone();
            spec.name = t.name().to_string();
            spec.note = t.spec().note.clone();
            (spec != *t.spec() || a.tech() != t.tech()).then(|| {
                format!(
                    "{} rebuilt as the point {} differs from it in more than its name",
                    t.name(),
                    p.name()
                )
            })
        }
    }
}

/// One design of a comparison: what it is and its totals on the workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Design {
    pub name: String,
    pub dataflow: Dataflow,
    pub rows: u32,
    pub cols: u32,
    pub pes: u64,
    pub input_bytes: u64,
    pub weight_bytes: u64,
    pub accumulator_bytes: u64,
    pub sram_bytes: u64,
    /// Banks of the input buffer (the space's one bank count).
    pub banks: u32,
    pub weight_double_buffer: bool,
    /// First-order area model of `tessera_sim::area`.
    pub area_um2: f64,
    /// Totals by the analytical model with the mapper's mappings for the objective.
    pub analytical: Metrics,
    /// Totals by the cycle-level simulator (event engine) with the same mappings.
    pub simulated: Metrics,
}

impl Design {
    fn of(arch: &Arch, f: &Finalist) -> Design {
        Design {
            name: arch.name().to_string(),
            dataflow: arch.dataflow(),
            rows: arch.rows(),
            cols: arch.cols(),
            pes: arch.pes(),
            input_bytes: arch.input().capacity().get(),
            weight_bytes: arch.weight().capacity().get(),
            accumulator_bytes: arch.accumulator().capacity().get(),
            sram_bytes: arch.sram_bytes().get(),
            banks: arch.input().banks(),
            weight_double_buffer: arch.weight_double_buffered(),
            area_um2: f.simulated.area_um2,
            analytical: f.analytical,
            simulated: f.simulated,
        }
    }
}

/// `template / found` of three figures: above 1, the found design is better by that factor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Ratios {
    /// EDP (cycles × pJ).
    pub edp: f64,
    /// Cycles of the whole workload.
    pub latency: f64,
    /// Energy (pJ).
    pub energy: f64,
}

impl Ratios {
    /// `template / found` of `m`'s EDP, cycles and energy. Errors if a figure of `found` is zero.
    pub fn of(template: &Metrics, found: &Metrics) -> Result<Ratios> {
        let r = |t: f64, f: f64, what: &str| {
            if f > 0.0 && t.is_finite() && f.is_finite() {
                Ok(t / f)
            } else {
                Err(Diagnostic::internal(format!(
                    "internal error: cannot form the ratio of {what} {t} / {f}"
                )))
            }
        };
        Ok(Ratios {
            edp: r(template.edp_cycles_pj, found.edp_cycles_pj, "EDP")?,
            latency: r(template.cycles as f64, found.cycles as f64, "cycles")?,
            energy: r(template.energy_pj, found.energy_pj, "energy")?,
        })
    }

    /// The geometric mean of each figure over `rs` (`None` when empty).
    pub fn geomean(rs: &[Ratios]) -> Option<Ratios> {
        if rs.is_empty() {
            return None;
        }
        let n = rs.len() as f64;
        let g = |f: fn(&Ratios) -> f64| (rs.iter().map(|r| f(r).ln()).sum::<f64>() / n).exp();
        Some(Ratios {
            edp: g(|r| r.edp),
            latency: g(|r| r.latency),
            energy: g(|r| r.energy),
        })
    }
}

/// What the search did, in brief.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchFigures {
    /// Points of the space (product of the list lengths).
    pub space_size: u64,
    pub max_pes: u64,
    pub max_sram_bytes: u64,
    pub evaluated: usize,
    pub distinct_evaluated: usize,
    pub invalid_skipped: usize,
    pub infeasible_skipped: usize,
    pub unmappable: usize,
}

/// One template against the search at its resources, on one workload.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub template: String,
    pub workload: String,
    /// The template's note: the nearest configuration it models.
    pub template_note: Option<String>,
    pub template_design: Design,
    pub found: Design,
    /// `template / found` on the cycle simulator's totals.
    pub ratios: Ratios,
    /// `template / found` on the analytical model's totals.
    pub analytical_ratios: Ratios,
    /// The found design's objective (cycle simulator) is below the template's.
    pub found_beats_template: bool,
    /// Why the template is not a point of the space (`None`: it is; see [`template_point_gap`]).
    pub template_not_in_space: Option<String>,
    /// The search evaluated the template's point.
    pub template_point_evaluated: bool,
    pub search: SearchFigures,
}

/// Per workload: the geometric means over the templates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkloadSummary {
    pub workload: String,
    pub templates: usize,
    /// Geometric means of the ratios (cycle simulator).
    pub geomean: Ratios,
    /// The smallest EDP ratio and its template.
    pub min_edp_ratio: f64,
    pub min_edp_template: String,
    /// Templates whose objective the found design does not beat.
    pub not_beaten: Vec<String>,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineReport {
    pub options: BaselineOptions,
    /// The unit of the objective.
    pub objective_unit: String,
    /// Which model the ratios use.
    pub model: String,
    pub comparisons: Vec<Comparison>,
    pub summaries: Vec<WorkloadSummary>,
}

/// What [`run`] reports as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Evaluations made so far over every search, of `evaluations_total`.
    pub evaluations_done: usize,
    pub evaluations_total: usize,
    /// Pairs (template, workload) finished, of `pairs_total`.
    pub pairs_done: usize,
    pub pairs_total: usize,
}

/// Compare template `t` with the search at its resources on `w` (see the module documentation).
/// `explored(n)` is called with the search's evaluations so far.
pub fn compare(
    t: &Arch,
    w: &Workload,
    o: &BaselineOptions,
    explored: &(dyn Fn(usize) + Sync),
) -> Result<Comparison> {
    let cfg = config_for(t, o);
    cfg.validate()?;
    let in_pair = |e: Diagnostic| {
        let m = format!("{} on {:?}: {}", t.name(), w.name, e.message);
        Diagnostic { message: m, ..e }
    };
    let ev = evaluate(t, w, o.objective).map_err(in_pair)?;
    let own = resimulate_design(t, &ev, w, o.seed, o.objective).map_err(in_pair)?;
    let r = search_with_progress(&cfg, t, w, &|phase, done, _| {
        if phase == Phase::Explore {
            explored(done)
        }
    })
    .map_err(in_pair)?;
    let found_arch = r.best.arch.validate()?;
    let point = DesignPoint::of(t);
    let gap = template_point_gap(t);
    Ok(Comparison {
        template: t.name().to_string(),
        workload: w.name.clone(),
        template_note: t.spec().note.clone(),
        template_design: Design::of(t, &own),
        found: Design::of(&found_arch, &r.best),
        ratios: Ratios::of(&own.simulated, &r.best.simulated)?,
        analytical_ratios: Ratios::of(&own.analytical, &r.best.analytical)?,
        found_beats_template: r.best.simulated_objective < own.simulated_objective,
        template_point_evaluated: gap.is_none() && r.history.iter().any(|h| h.point == point),
        template_not_in_space: gap,
        search: SearchFigures {
            space_size: r.space_size,
            max_pes: t.pes(),
            max_sram_bytes: t.sram_bytes().get(),
            evaluated: r.evaluated,
            distinct_evaluated: r.distinct_evaluated,
            invalid_skipped: r.invalid_skipped,
            infeasible_skipped: r.infeasible_skipped,
            unmappable: r.unmappable,
        },
    })
}

/// Every template of `templates` against the search at its resources, on every workload of
/// `workloads` (pairs in parallel, reported template-major in the order given), and a summary per
/// workload. Names must be distinct.
pub fn run(
    templates: &[Arch],
    workloads: &[Workload],
    o: &BaselineOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BaselineReport> {
    if templates.is_empty() || workloads.is_empty() {
        return Err(Diagnostic::new(
            "baselines need at least one template and one workload",
        ));
    }
    for (i, t) in templates.iter().enumerate() {
        if templates[..i].iter().any(|u| u.name() == t.name()) {
            return Err(Diagnostic::new(format!(
                "template {:?} is listed twice",
                t.name()
            )));
        }
    }
    for (i, w) in workloads.iter().enumerate() {
        if workloads[..i].iter().any(|u| u.name == w.name) {
            return Err(Diagnostic::new(format!(
                "workload {:?} is listed twice",
                w.name
            )));
        }
    }
    // Bad options fail before any search starts (the configurations differ only in the space and
    // constraints, which come from valid templates).
    for t in templates {
        config_for(t, o).validate()?;
    }
    let pairs: Vec<(&Arch, &Workload)> = templates
        .iter()
        .flat_map(|t| workloads.iter().map(move |w| (t, w)))
        .collect();
    let evaluations_total = pairs
        .len()
        .checked_mul(o.evaluations)
        .ok_or_else(|| Diagnostic::new("the total evaluation count overflows"))?;
    let explored: Vec<AtomicUsize> = pairs.iter().map(|_| AtomicUsize::new(0)).collect();
    let finished = AtomicUsize::new(0);
    let report = |pairs_done: usize| {
        progress(Progress {
            evaluations_done: explored.iter().map(|a| a.load(Ordering::Relaxed)).sum(),
            evaluations_total,
            pairs_done,
            pairs_total: pairs.len(),
        })
    };
    let comparisons: Vec<Comparison> = pairs
        .par_iter()
        .enumerate()
        .map(|(i, (t, w))| {
            let c = compare(t, w, o, &|done| {
                explored[i].store(done, Ordering::Relaxed);
                report(finished.load(Ordering::Relaxed));
            })?;
            report(finished.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(c)
        })
        .collect::<Result<_>>()?;
    let summaries = workloads
        .iter()
        .map(|w| summary(&w.name, &comparisons))
        .collect::<Result<_>>()?;
    Ok(BaselineReport {
        options: o.clone(),
        objective_unit: o.objective.unit().to_string(),
        model: "ratios are template / found on the cycle-level simulator's totals (event engine, \
                every layer, the mapper's mappings for the objective on both sides); the \
                analytical model's ratios are given beside them"
            .into(),
        comparisons,
        summaries,
    })
}

fn summary(workload: &str, all: &[Comparison]) -> Result<WorkloadSummary> {
    let cs: Vec<&Comparison> = all.iter().filter(|c| c.workload == workload).collect();
    let ratios: Vec<Ratios> = cs.iter().map(|c| c.ratios).collect();
    let geomean = Ratios::geomean(&ratios)
        .ok_or_else(|| Diagnostic::internal(format!("internal error: no pair ran {workload}")))?;
    let min = cs
        .iter()
        .min_by(|a, b| a.ratios.edp.total_cmp(&b.ratios.edp))
        .expect("non-empty");
    Ok(WorkloadSummary {
        workload: workload.to_string(),
        templates: cs.len(),
        geomean,
        min_edp_ratio: min.ratios.edp,
        min_edp_template: min.template.clone(),
        not_beaten: cs
            .iter()
            .filter(|c| !c.found_beats_template)
            .map(|c| c.template.clone())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_point_of_its_space() {
        for name in template_names() {
            let t = template(name).unwrap();
            assert_eq!(template_point_gap(&t), None, "{name}");
            let s = space_for(&t);
            s.validate().unwrap();
            let p = DesignPoint::of(&t);
            assert!(s.points().any(|q| q == p), "{name}");
            assert_eq!(constraints_for(&t).violation(&t), None, "{name}");
        }
    }

    #[test]
    fn per_buffer_banks_are_not_expressible() {
        let t = template("nvdla_like").unwrap();
        let mut spec = t.spec().clone();
        spec.buffers.accumulator.banks = 4;
        let a = spec.validate().unwrap();
        let gap = template_point_gap(&a).unwrap();
        assert!(gap.contains("one bank count"), "{gap}");
        assert!(space_for(&a).banks.contains(&4));
    }

    #[test]
    fn unknown_template_lists_the_templates() {
        let e = template("ws_16x16").unwrap_err();
        assert!(e.message.contains("eyeriss_like"), "{e}");
    }

    #[test]
    fn ratios_and_geomean() {
        let m = |cycles: u64, energy_pj: f64| Metrics {
            cycles,
            energy_pj,
            edp_cycles_pj: cycles as f64 * energy_pj,
            area_um2: 1.0,
            pes: 1,
            sram_bytes: 1,
        };
        let r = Ratios::of(&m(400, 6.0), &m(100, 2.0)).unwrap();
        assert_eq!((r.edp, r.latency, r.energy), (12.0, 4.0, 3.0));
        let g = Ratios::geomean(&[r, Ratios::of(&m(100, 2.0), &m(400, 6.0)).unwrap()]).unwrap();
        assert!((g.edp - 1.0).abs() < 1e-12 && (g.latency - 1.0).abs() < 1e-12);
        assert!(Ratios::of(&m(1, 1.0), &m(0, 1.0)).is_err());
        assert_eq!(Ratios::geomean(&[]), None);
    }
}
