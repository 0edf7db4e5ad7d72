//! Constrained Bayesian optimisation of the design (after Shi et al., "Learned hardware/software
//! co-design of neural accelerators"): a Gaussian-process surrogate of the objective, a model of
//! which designs turn out infeasible, and expected improvement × probability of feasibility.
//!
//! What is modelled.
//! - *Inputs*: a genome's normalised coordinates, one per gene with more than one value: the index
//!   in the gene's sorted list divided by the list's last index, so a value ladder of powers of two
//!   is a log scale; the dataflow is one more coordinate (0 or 1 with two dataflows, 0, ½, 1 with
//!   three; row-stationary is one value per register file, after the GEMM-tiled dataflows)
//!   ([`crate::gp`]).
//! - *Objective model*: GP regression ([`Scale::Profiled`], Matérn-5/2, lengthscales and nugget by
//!   marginal likelihood) of `ln(objective)` over every evaluated candidate that mapped, feasible
//!   or not (a candidate over `max_cycles` still tells how good its neighbourhood is).
//! - *Feasibility model*: `P(feasible) = P(mappable) × Π P(under each limit)`, the factors taken as
//!   independent.
//!   - Mappable: GP regression on labels +1 (every layer mapped) / −1 (some layer did not), zero
//!     prior mean and unit variance, a "label regression" approximation of a GP classifier;
//!     `P = Φ(μ / √(σ² + noise))`, the probability that the label's predictive distribution is
//!     positive: ½ far from data, near 1 or 0 next to a known outcome. Fitted only once some
//!     candidate was unmappable (until then `P = 1`). On the built-in workloads and the spaces
//!     tried, every design maps (even 128-byte buffers), so only the unit tests, with synthetic
//!     outcomes, exercise this model today.
//!   - Each performance limit of the run (`max_cycles`, `max_energy_pj`, `max_power_mw`): GP
//!     regression of
//!     `ln(metric)` over the candidates that mapped, `P = Φ((ln limit − μ) / √(σ² + noise))`.
//!     Modelling the metric, not only a feasible/infeasible label, is what made constrained runs
//!     converge: with one ±1 label for "unmappable or over a limit" instead, mlp_small's most
//!     frugal design within 5000 cycles (12 feasible points of 576) took 18.2 evaluations on
//!     average over seeds 1–5 instead of 10.4, and the fastest within an energy cap 30.4
//!     instead of 18.8.
//!
//!   What the exact checks decide before evaluation (validation, PE/SRAM/area limits) is never
//!   modelled: candidates are screened by them instead.
//! - *Acquisition*: `ln EI(x) + ln P(feasible | x)`, EI for minimisation below the best feasible
//!   log objective seen, computed in log space so improvements that underflow still rank. Before
//!   any feasible candidate is seen, `P(feasible)` alone.
//! - *Maximisation*: over a finite candidate set (every admissible, unevaluated point when the
//!   space has at most [`BayesParams::candidates`] points; else that many uniform draws plus every
//!   one- and two-gene neighbour of the five best feasible points), scored in parallel (pure
//!   functions), first maximum in genome order. A batch of `batch > 1` points is chosen one at a
//!   time, each chosen point added to every model at its predicted mean ("kriging believer").
//! - *Schedule*: the first [`BayesParams::initial`] evaluations are distinct random points.
//!   Hyperparameters are selected again when a model's data have grown by a quarter since the
//!   last selection (two sweeps the first time, one after, from the previous kernel); in between
//!   the models are refitted with fixed hyperparameters.
//!
//! Determinism: random draws (initial design, sampled candidates) come from the run's ChaCha8
//! stream on the calling thread; model fits are sequential and the parallel scoring is a pure map
//! combined in candidate order, so a seed gives the same run on any number of threads.
//!
//! What is left out: no true GP classifier (Laplace/EP) for mappability; no correlation between
//! the objective and the limits' models (each is fitted alone, and `P(feasible)` multiplies them
//! as if independent); no multi-objective or cost-aware acquisition; no gradient-based or
//! evolutionary acquisition optimiser (candidates are sampled); no inner (mapping) Bayesian loop:
//! the mapper still maps each layer exactly, so the surrogate is over accelerators only, unlike
//! the paper's nested hardware/software optimisation. Each ask refits the models (`O(n³)` in the
//! `n` candidates evaluated) and scores every candidate (`O(n²)` each), so budgets of a few hundred
//! are the intended range: 200 evaluations on the default space take about a second.

use crate::config::BayesParams;
use crate::eval::Evaluation;
use crate::explore::{best_first, Designs, Outcome, Proposer};
use crate::gp::{ln_expected_improvement, ln_norm_cdf, Gp, Kernel, Scale};
use crate::space::{Genome, Space, GENES};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::BTreeSet;
use tessera_core::diag::Result;

/// A model's hyperparameters are selected again once its data have grown by this factor.
const REFIT_GROWTH: f64 = 1.25;

/// One model's hyperparameters between selections.
#[derive(Default)]
struct ModelState {
    kernel: Option<Kernel>,
    selected_at: usize,
}

impl ModelState {
    /// Fit to `data`, selecting the hyperparameters again if the data have grown enough. `None`
    /// without data (or when no kernel can be fitted).
    fn fit(&mut self, data: Series, scale: Scale, dims: usize) -> Option<Fitted> {
        let n = data.x.len();
        if n == 0 {
            return None;
        }
        let fixed = self
            .kernel
            .as_ref()
            .filter(|_| (n as f64) < self.selected_at as f64 * REFIT_GROWTH);
        if let Some(gp) = fixed.and_then(|k| Gp::fit(&data.x, &data.y, k, scale)) {
            return Some(Fitted { gp, data });
        }
        let (start, sweeps) = match &self.kernel {
            Some(k) => (k.clone(), 1),
            None => (Kernel::initial(dims), 2),
        };
        let gp = Gp::select(&data.x, &data.y, &start, scale, sweeps)?;
        self.kernel = Some(gp.kernel.clone());
        self.selected_at = n;
        Some(Fitted { gp, data })
    }
}

/// A model's training data: coordinates and targets.
#[derive(Clone, Default)]
struct Series {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
}

impl Series {
    fn push(&mut self, x: &[f64], y: f64) {
        self.x.push(x.to_vec());
        self.y.push(y);
    }
}

/// A fitted GP with the data it was fitted to.
struct Fitted {
    gp: Gp,
    data: Series,
}

impl Fitted {
    /// Add `x` at the predicted mean ("kriging believer") and refit with the same hyperparameters.
    fn believe(&mut self, x: &[f64]) {
        let y = self.gp.predict(x).0;
        self.data.push(x, y);
        if let Some(g) = Gp::fit(&self.data.x, &self.data.y, &self.gp.kernel, self.gp.scale()) {
            self.gp = g;
        }
    }
}

/// The Bayesian strategy's state: every distinct evaluated candidate and the models'
/// hyperparameters.
pub(crate) struct Bayesian {
    p: BayesParams,
    /// Length of each gene's value list.
    lens: [usize; GENES],
    /// Genes with more than one value: the models' input dimensions.
    dims: Vec<usize>,
    /// Distinct evaluated candidates, in the order first told.
    observed: Vec<(Genome, Outcome)>,
    known: BTreeSet<Genome>,
    objective: ModelState,
    mappable: ModelState,
    /// One per performance limit of the run (`max_cycles`, `max_energy_pj`, then
    /// `max_power_mw`, when set).
    limits: Vec<ModelState>,
}

impl Bayesian {
    pub fn new(p: &BayesParams, space: &Space) -> Self {
        let lens = std::array::from_fn(|i| space.len(i));
        Self {
            p: p.clone(),
            lens,
            dims: (0..GENES).filter(|&i| lens[i] > 1).collect(),
            observed: vec![],
            known: BTreeSet::new(),
            objective: ModelState::default(),
            mappable: ModelState::default(),
            limits: vec![],
        }
    }

    /// The normalised coordinates of `g`.
    fn coords(&self, g: &Genome) -> Vec<f64> {
        self.dims
            .iter()
            .map(|&i| f64::from(g[i]) / (self.lens[i] - 1) as f64)
            .collect()
    }

    /// The candidates to score: admissible, not evaluated, in genome order.
    fn candidates(&self, d: &mut Designs, rng: &mut ChaCha8Rng) -> Vec<Genome> {
        let best = best_first(&self.observed);
        d.candidates(rng, self.p.candidates, &best)
    }

    /// The models, fitted to every evaluation so far.
    fn fit(&mut self, d: &Designs) -> Models {
        let c = d.constraints();
        // The performance limits and how to read each one's metric from an evaluation.
        type Metric = fn(&Evaluation) -> f64;
        let cycles: Metric = |e| e.metrics.cycles as f64;
        let energy: Metric = |e| e.metrics.energy_pj;
        let power: Metric = |e| e.metrics.average_power_mw(e.arch.clock_mhz);
        let limits: Vec<(f64, Metric)> = [
            c.max_cycles.map(|m| (m as f64, cycles)),
            c.max_energy_pj.map(|m| (m, energy)),
            c.max_power_mw.map(|m| (m, power)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let ln = |v: f64| v.max(f64::MIN_POSITIVE).ln();
        let mut objective = Series::default();
        let mut mappable = Series::default();
        let mut limit_data = vec![Series::default(); limits.len()];
        let mut best: Option<f64> = None;
        for (g, o) in &self.observed {
            let x = self.coords(g);
            if let Some(v) = o.objective() {
                objective.push(&x, ln(v));
            }
            if let Some(m) = d.evaluation(g) {
                for ((_, metric), data) in limits.iter().zip(&mut limit_data) {
                    data.push(&x, ln(metric(m)));
                }
            }
            if let Some(v) = o.feasible() {
                best = Some(best.map_or(ln(v), |b: f64| b.min(ln(v))));
            }
            mappable.push(&x, if o.objective().is_some() { 1.0 } else { -1.0 });
        }
        let dims = self.dims.len();
        let objective = self.objective.fit(objective, Scale::Profiled, dims);
        let mappable = if mappable.y.iter().any(|&l| l < 0.0) {
            self.mappable.fit(mappable, Scale::Unit, dims)
        } else {
            None
        };
        self.limits.resize_with(limits.len(), ModelState::default);
        let limits = limits
            .iter()
            .zip(limit_data)
            .zip(&mut self.limits)
            .filter_map(|(((limit, _), data), state)| {
                state
                    .fit(data, Scale::Profiled, dims)
                    .map(|model| LimitModel {
                        model,
                        ln_limit: ln(*limit),
                    })
            })
            .collect();
        Models {
            objective,
            mappable,
            limits,
            best,
        }
    }
}

/// A performance limit's model: `ln(metric)` over the evaluated candidates that mapped, and
/// `ln(limit)`.
struct LimitModel {
    model: Fitted,
    ln_limit: f64,
}

/// The fitted models of one ask.
struct Models {
    /// `ln(objective)` over every evaluated candidate that mapped.
    objective: Option<Fitted>,
    /// ±1: mapped every layer / did not (fitted once some candidate was unmappable).
    mappable: Option<Fitted>,
    /// One per performance limit of the run.
    limits: Vec<LimitModel>,
    /// The best feasible `ln(objective)` so far.
    best: Option<f64>,
}

impl Models {
    /// `ln P(feasible)` at `x`: mappable and under every limit, taken as independent.
    fn ln_feasible(&self, x: &[f64]) -> f64 {
        let mut ln_p = self.mappable.as_ref().map_or(0.0, |f| {
            let (m, v) = f.gp.predict(x);
            ln_norm_cdf(m / (v + f.gp.noise_variance()).sqrt())
        });
        for l in &self.limits {
            let (m, v) = l.model.gp.predict(x);
            ln_p += ln_norm_cdf((l.ln_limit - m) / (v + l.model.gp.noise_variance()).sqrt());
        }
        ln_p
    }

    /// The log acquisition at `x`: `ln EI + ln P(feasible)`, or `ln P(feasible)` before any
    /// feasible candidate was seen.
    fn acquisition(&self, x: &[f64]) -> f64 {
        let ln_ei = match (&self.objective, self.best) {
            (Some(o), Some(b)) => {
                let (m, v) = o.gp.predict(x);
                ln_expected_improvement(m, v, b)
            }
            _ => 0.0,
        };
        let a = ln_ei + self.ln_feasible(x);
        if a.is_nan() {
            f64::NEG_INFINITY
        } else {
            a
        }
    }

    fn is_empty(&self) -> bool {
        self.objective.is_none() && self.mappable.is_none() && self.limits.is_empty()
    }

    /// Add `x` to every model at its predicted mean ("kriging believer").
    fn believe(&mut self, x: &[f64]) {
        let limits = self.limits.iter_mut().map(|l| &mut l.model);
        for m in self
            .objective
            .iter_mut()
            .chain(&mut self.mappable)
            .chain(limits)
        {
            m.believe(x);
        }
    }
}

impl Proposer for Bayesian {
    fn batch(&self) -> usize {
        if self.observed.len() < self.p.initial {
            self.p.initial - self.observed.len()
        } else {
            self.p.batch
        }
    }

    fn ask(&mut self, d: &mut Designs, rng: &mut ChaCha8Rng, n: usize) -> Result<Vec<Genome>> {
        if self.observed.len() < self.p.initial {
            return d.draw_novel_batch(rng, n);
        }
        let mut out: Vec<Genome> = Vec::with_capacity(n);
        let mut cands = self.candidates(d, rng);
        let mut models = self.fit(d);
        for k in 0..n {
            if cands.is_empty() || models.is_empty() {
                // Every admissible point was evaluated (or nothing can be modelled): random.
                let g = d.draw_novel(rng, &out)?;
                out.push(g);
                continue;
            }
            let coords: Vec<Vec<f64>> = cands.iter().map(|g| self.coords(g)).collect();
            let scores: Vec<f64> = coords.par_iter().map(|x| models.acquisition(x)).collect();
            let mut pick = 0;
            for (i, s) in scores.iter().enumerate() {
                if *s > scores[pick] {
                    pick = i;
                }
            }
            out.push(cands.remove(pick));
            if k + 1 < n {
                models.believe(&coords[pick]);
            }
        }
        Ok(out)
    }

    fn tell(&mut self, results: &[(Genome, Outcome)]) {
        for &(g, o) in results {
            if o.evaluated() && self.known.insert(g) {
                self.observed.push((g, o));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Metrics;
    use crate::explore::step;
    use crate::space::{Constraints, SearchSpace};
    use rand::SeedableRng;
    use tessera_arch::{builtin, Arch, Dataflow};

    fn base() -> Arch {
        builtin::arch("ws_16x16").unwrap()
    }

    /// rows × cols from {2, 4, 8, 16}, everything else fixed (16 points, all valid).
    fn space(base: &Arch) -> Space {
        let c = |b: u64| vec![b as i64];
        SearchSpace {
            rows: vec![2, 4, 8, 16],
            cols: vec![2, 4, 8, 16],
            input_bytes: c(base.input().capacity().get()),
            weight_bytes: c(base.weight().capacity().get()),
            accumulator_bytes: c(base.accumulator().capacity().get()),
            banks: vec![2],
            dataflow: vec![Dataflow::WeightStationary],
            weight_double_buffer: vec![false],
            noc: vec![Default::default()],
            words_per_cycle: vec![1],
            rf_weights: vec![],
        }
        .to_space()
        .unwrap()
    }

    fn genome(rows: u16, cols: u16) -> Genome {
        let mut g = [0; GENES];
        g[0] = rows;
        g[1] = cols;
        g
    }

    /// Record `g` as evaluated in `d` with objective (= energy) `v`, or unmappable.
    fn record(d: &mut Designs, base: &Arch, g: Genome, v: Option<f64>) -> (Genome, Outcome) {
        let r = match v {
            Some(v) => Ok(Evaluation {
                arch: base.spec().clone(),
                layers: vec![],
                metrics: Metrics {
                    cycles: 1,
                    energy_pj: v,
                    edp_cycles_pj: v,
                    area_um2: 1.0,
                    pes: 1,
                    sram_bytes: 1,
                },
            }),
            None => Err("no mapping".to_string()),
        };
        d.memo.insert(g, r);
        (g, v.map_or(Outcome::Unmappable, Outcome::Feasible))
    }

    #[test]
    fn coordinates_are_normalised_indices_of_the_varying_genes() {
        let base = base();
        let s = space(&base);
        let b = Bayesian::new(&BayesParams::default(), &s);
        assert_eq!(b.dims, vec![0, 1]);
        assert_eq!(b.coords(&genome(3, 1)), vec![1.0, 1.0 / 3.0]);
        assert_eq!(step(&b.lens, &genome(3, 0), 0, 1), None);
        assert_eq!(step(&b.lens, &genome(3, 0), 1, -1), None);
        assert_eq!(step(&b.lens, &genome(3, 0), 0, -1), Some(genome(2, 0)));
    }

    #[test]
    fn candidates_are_admissible_unevaluated_and_deterministic() {
        let base = base();
        let c = Constraints {
            max_pes: Some(64),
            ..Constraints::default()
        };
        let mut d = Designs::new(space(&base), &base, &c);
        let mut b = Bayesian::new(&BayesParams::default(), &d.space);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Small space: every admissible point (16 minus 8×16, 16×8 and 16×16, over 64 PEs).
        let all = b.candidates(&mut d, &mut rng);
        assert_eq!(all.len(), 13);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let told = record(&mut d, &base, genome(1, 1), Some(5.0));
        b.tell(&[told]);
        let rest = b.candidates(&mut d, &mut rng);
        assert_eq!(rest.len(), 12);
        assert!(!rest.contains(&genome(1, 1)));
        // Sampled: fewer candidates than points; neighbours of the best are always in.
        b.p.candidates = 2;
        let mut again = ChaCha8Rng::seed_from_u64(7);
        let sampled = b.candidates(&mut d, &mut again);
        for g in [
            genome(0, 1),
            genome(2, 1),
            genome(1, 0),
            genome(1, 2),
            genome(2, 2),
        ] {
            assert!(sampled.contains(&g), "{g:?}");
        }
        for g in &sampled {
            assert!(d.admits(*g) && !d.evaluated(g));
        }
        let mut again = ChaCha8Rng::seed_from_u64(7);
        assert_eq!(b.candidates(&mut d, &mut again), sampled);
        // Screening candidates keeps no accelerator.
        assert!(d.feasible.is_empty());
    }

    /// Rows 0–2 evaluated (but `holes`), objective falling with the rows, so the model
    /// extrapolates that row 3 is best; row 3's first three points are told as `row3`.
    fn choose_after(row3: Option<f64>) -> Genome {
        let base = base();
        let c = Constraints::default();
        let mut d = Designs::new(space(&base), &base, &c);
        let p = BayesParams {
            initial: 1,
            ..BayesParams::default()
        };
        let mut b = Bayesian::new(&p, &d.space);
        let holes = [genome(1, 3), genome(2, 3)];
        let mut told = vec![];
        for r in 0..3u16 {
            for col in 0..4u16 {
                let g = genome(r, col);
                if !holes.contains(&g) {
                    let v = 100.0 * (-f64::from(r)).exp() * (1.0 + 0.1 * f64::from(col));
                    told.push(record(&mut d, &base, g, Some(v)));
                }
            }
        }
        for col in 0..3u16 {
            let v = row3.map(|v| v * (1.0 + 0.1 * f64::from(col)));
            told.push(record(&mut d, &base, genome(3, col), v));
        }
        b.tell(&told);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let picks = b.ask(&mut d, &mut rng, 1).unwrap();
        assert_eq!(picks.len(), 1);
        picks[0]
    }

    #[test]
    fn the_feasibility_model_steers_away_from_unmappable_regions() {
        // Row 3 mapped and best: the last point of row 3 is the one to try.
        assert_eq!(choose_after(Some(100.0 * (-3f64).exp())), genome(3, 3));
        // Row 3 unmappable: the same objective trend, but not there.
        let g = choose_after(None);
        assert_ne!(g[0], 3, "{g:?}");
    }

    #[test]
    fn batches_are_distinct_and_deterministic() {
        let base = base();
        let c = Constraints::default();
        let run = || {
            let mut d = Designs::new(space(&base), &base, &c);
            let p = BayesParams {
                initial: 3,
                batch: 4,
                ..BayesParams::default()
            };
            let mut b = Bayesian::new(&p, &d.space);
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let mut all = vec![];
            while all.len() < 15 {
                let n = b.batch().min(15 - all.len());
                let ask = b.ask(&mut d, &mut rng, n).unwrap();
                assert_eq!(ask.len(), n);
                let told: Vec<_> = ask
                    .iter()
                    .map(|&g| record(&mut d, &base, g, Some(1.0 + f64::from(g[0] + g[1]))))
                    .collect();
                b.tell(&told);
                all.extend(ask);
            }
            all
        };
        let a = run();
        assert_eq!(a, run());
        let distinct: BTreeSet<_> = a.iter().collect();
        assert_eq!(distinct.len(), 15, "{a:?}");
    }
}
