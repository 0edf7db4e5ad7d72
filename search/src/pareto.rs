//! The Pareto front of a search: the evaluated candidates no other candidate beats on every cost.
//!
//! The costs are the three the analytical model gives every evaluated candidate, all minimised:
//! the workload's total cycles, its total energy (pJ) and the accelerator's area (µm²). A point
//! *dominates* another when it is no worse on all three and better on at least one; the front is
//! the set of points no other point dominates. Points with equal costs (different designs that cost
//! the same) do not dominate each other, so all of them stay on the front when one does.
//!
//! The search feeds it the distinct evaluated candidates that map every layer and meet every limit,
//! with the totals it ranked them by (the screening mapper's, see
//! [`SpaceBudget::SCREEN`](tessera_mapping::SpaceBudget::SCREEN)).
//!
//! Order is deterministic: by cycles, then energy, then area (floats by `total_cmp`), then the
//! design point field by field (rows, cols, buffers, banks, dataflow: the order of the genome).
//! [`front`] sorts once and sweeps, comparing each point with the front found so far: a point is
//! dominated only by points sorted before it, and by some point of the front whenever it is
//! dominated at all (dominance is transitive), so the cost is `O(n log n + n·f)` for `n` points
//! and a front of `f`.

use crate::eval::Metrics;
use crate::space::DesignPoint;
use serde::Serialize;
use std::cmp::Ordering;

/// One evaluated candidate and its analytical costs. Units are in the field names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParetoPoint {
    /// The candidate's name (as in the history, e.g. `cand_ws_16x8_i32k_w16k_a64k_b2`).
    pub name: String,
    pub point: DesignPoint,
    pub cycles: u64,
    pub energy_pj: f64,
    pub area_um2: f64,
    /// `cycles × energy_pj`.
    pub edp_cycles_pj: f64,
}

impl ParetoPoint {
    /// `point` with the costs of `metrics`.
    pub fn new(point: DesignPoint, metrics: &Metrics) -> Self {
        Self {
            name: point.name(),
            point,
            cycles: metrics.cycles,
            energy_pj: metrics.energy_pj,
            area_um2: metrics.area_um2,
            edp_cycles_pj: metrics.edp_cycles_pj,
        }
    }

    /// The costs alone, compared lexicographically (cycles, energy, area).
    fn cmp_costs(&self, other: &Self) -> Ordering {
        self.cycles
            .cmp(&other.cycles)
            .then(self.energy_pj.total_cmp(&other.energy_pj))
            .then(self.area_um2.total_cmp(&other.area_um2))
    }

    /// The front's order: costs, then the design point.
    pub fn order(&self, other: &Self) -> Ordering {
        self.cmp_costs(other).then(self.point.cmp(&other.point))
    }

    /// No worse than `other` on cycles, energy and area, and better on at least one.
    pub fn dominates(&self, other: &Self) -> bool {
        let le = |o: Ordering| o != Ordering::Greater;
        let (c, e, a) = (
            self.cycles.cmp(&other.cycles),
            self.energy_pj.total_cmp(&other.energy_pj),
            self.area_um2.total_cmp(&other.area_um2),
        );
        le(c) && le(e) && le(a) && (c, e, a) != (Ordering::Equal, Ordering::Equal, Ordering::Equal)
    }
}

/// Sort `points` in the front's order ([`ParetoPoint::order`]).
pub fn sort(points: &mut [ParetoPoint]) {
    points.sort_by(ParetoPoint::order);
}

/// The non-dominated points of `points`, in the front's order. Equal-cost points are all kept.
pub fn front(points: &[ParetoPoint]) -> Vec<ParetoPoint> {
    let mut idx: Vec<usize> = (0..points.len()).collect();
    idx.sort_by(|&a, &b| points[a].order(&points[b]));
    let mut out: Vec<ParetoPoint> = Vec::new();
    for i in idx {
        let p = &points[i];
        if !out.iter().any(|f| f.dominates(p)) {
            out.push(p.clone());
        }
    }
    out
}

/// The points of `points` that no other point beats on both cycles and energy (area ignored), in
/// the front's order: the staircase a cycles × energy plot of the front draws. Equal-cost points
/// are all kept.
pub fn staircase(points: &[ParetoPoint]) -> Vec<&ParetoPoint> {
    let mut sorted: Vec<&ParetoPoint> = points.iter().collect();
    sorted.sort_by(|a, b| a.order(b));
    let mut out: Vec<&ParetoPoint> = Vec::new();
    for p in sorted {
        // sorted by cycles then energy: `p` is beaten in the plane exactly when some earlier point
        // has less energy, or the same energy and fewer cycles
        let beaten = out.last().is_some_and(|l| {
            let e = l.energy_pj.total_cmp(&p.energy_pj);
            e == Ordering::Less || (e == Ordering::Equal && l.cycles < p.cycles)
        });
        if !beaten {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tessera_arch::Dataflow;

    fn pt(id: u32, cycles: u64, energy_pj: f64, area_um2: f64) -> ParetoPoint {
        let point = DesignPoint {
            rows: id,
            cols: 1,
            input_bytes: 1024,
            weight_bytes: 1024,
            accumulator_bytes: 1024,
            banks: 1,
            dataflow: Dataflow::WeightStationary,
            weight_double_buffer: false,
            noc: Default::default(),
            words_per_cycle: 1,
            rf_weights: 0,
        };
        ParetoPoint {
            name: point.name(),
            point,
            cycles,
            energy_pj,
            area_um2,
            edp_cycles_pj: cycles as f64 * energy_pj,
        }
    }

    fn rows(v: &[ParetoPoint]) -> Vec<u32> {
        v.iter().map(|p| p.point.rows).collect()
    }

    #[test]
    fn dominance() {
        let a = pt(1, 10, 5.0, 3.0);
        assert!(a.dominates(&pt(2, 11, 5.0, 3.0)));
        assert!(a.dominates(&pt(2, 10, 5.5, 3.0)));
        assert!(a.dominates(&pt(2, 10, 5.0, 3.5)));
        assert!(a.dominates(&pt(2, 20, 6.0, 4.0)));
        // equal costs: neither dominates
        assert!(!a.dominates(&pt(2, 10, 5.0, 3.0)));
        assert!(!pt(2, 10, 5.0, 3.0).dominates(&a));
        // a trade-off: neither dominates
        let b = pt(2, 9, 6.0, 3.0);
        assert!(!a.dominates(&b) && !b.dominates(&a));
        let c = pt(3, 10, 5.0, 2.0);
        assert!(c.dominates(&a) && !a.dominates(&c));
    }

    #[test]
    fn front_of_a_known_set() {
        let pts = vec![
            pt(1, 100, 50.0, 10.0), // dominated by 2
            pt(2, 90, 40.0, 10.0),
            pt(3, 80, 60.0, 10.0),  // fewer cycles: on the front
            pt(4, 120, 30.0, 10.0), // less energy: on the front
            pt(5, 130, 45.0, 5.0),  // smallest area: on the front
            pt(6, 130, 45.0, 6.0),  // dominated by 5
            pt(7, 90, 40.0, 11.0),  // dominated by 2 (area)
        ];
        assert_eq!(rows(&front(&pts)), vec![3, 2, 4, 5]);
        // the staircase of cycles × energy drops 5, which is on the front for its area only
        assert_eq!(
            staircase(&front(&pts))
                .iter()
                .map(|p| p.point.rows)
                .collect::<Vec<_>>(),
            vec![3, 2, 4]
        );
    }

    #[test]
    fn ties_and_duplicates_stay_in_design_order() {
        // two designs with equal costs are both on the front, ordered by the design point
        let pts = vec![
            pt(9, 10, 1.0, 1.0),
            pt(4, 10, 1.0, 1.0),
            pt(7, 10, 1.0, 2.0),
            pt(3, 5, 2.0, 1.0),
        ];
        assert_eq!(rows(&front(&pts)), vec![3, 4, 9]);
        // the order does not depend on the input order
        let mut rev = pts.clone();
        rev.reverse();
        assert_eq!(front(&rev), front(&pts));
        // same cycles: only the lower energy is on the staircase; equal costs both are
        let s = [
            pt(1, 10, 2.0, 1.0),
            pt(2, 10, 1.0, 9.0),
            pt(3, 10, 1.0, 1.0),
        ];
        let st: Vec<u32> = staircase(&s).iter().map(|p| p.point.rows).collect();
        assert_eq!(st, vec![3, 2]);
        assert!(front(&[]).is_empty());
    }

    #[test]
    fn a_chain_has_one_point_and_an_antichain_all() {
        let chain: Vec<ParetoPoint> = (0..50)
            .map(|i| pt(i, 100 + u64::from(i), 10.0 + f64::from(i), 5.0))
            .collect();
        assert_eq!(rows(&front(&chain)), vec![0]);
        let anti: Vec<ParetoPoint> = (0..50)
            .map(|i| pt(i, 100 + u64::from(i), 100.0 - f64::from(i), 5.0))
            .collect();
        assert_eq!(front(&anti).len(), 50);
        assert_eq!(staircase(&anti).len(), 50);
    }

    /// The definition, checked against every pair.
    fn brute_force(points: &[ParetoPoint]) -> Vec<ParetoPoint> {
        let mut out: Vec<ParetoPoint> = points
            .iter()
            .filter(|p| !points.iter().any(|q| q.dominates(p)))
            .cloned()
            .collect();
        sort(&mut out);
        out
    }

    fn brute_staircase(points: &[ParetoPoint]) -> Vec<ParetoPoint> {
        let flat = |p: &ParetoPoint| ParetoPoint {
            area_um2: 0.0,
            ..p.clone()
        };
        let flat: Vec<ParetoPoint> = points.iter().map(flat).collect();
        let keep = brute_force(&flat);
        let mut out: Vec<ParetoPoint> = points
            .iter()
            .filter(|p| keep.iter().any(|k| k.point == p.point))
            .cloned()
            .collect();
        sort(&mut out);
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Small value ranges so that ties on every cost are frequent.
        #[test]
        fn matches_brute_force(costs in prop::collection::vec((0u64..8, 0u8..8, 0u8..8), 0..60)) {
            let pts: Vec<ParetoPoint> = costs
                .iter()
                .enumerate()
                .map(|(i, &(c, e, a))| pt(i as u32, c, f64::from(e) * 0.5, f64::from(a) * 100.0))
                .collect();
            let f = front(&pts);
            prop_assert_eq!(&f, &brute_force(&pts));
            for p in &pts {
                let on = f.iter().any(|q| q.point == p.point);
                prop_assert_eq!(on, !f.iter().any(|q| q.dominates(p)));
            }
            let st: Vec<ParetoPoint> = staircase(&pts).into_iter().cloned().collect();
            prop_assert_eq!(st, brute_staircase(&pts));
        }
    }
}
