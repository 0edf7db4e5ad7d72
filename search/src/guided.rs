//! Predictor-guided search (after the learned screening of Wu et al.): a learned model of each
//! layer's latency and energy, fitted to the run's own evaluations, screens thousands of
//! candidates, and only the ones it predicts best are evaluated.
//!
//! What is modelled. The model is [`crate::predict`]'s: for every (candidate, layer) the
//! physical features of [`layer_features`](crate::predict::layer_features) (array and buffer
//! sizes, ceiling-based compute and DMA times, the default mapping's closed-form cycle bound and
//! energy), and two gradient-boosted tree ensembles ([`Gbdt`]) of `ln(cycles / default-mapping
//! bound)` and `ln(energy / default-mapping energy)` per layer, each row weighted by the layer's
//! share of its design's total. A candidate's prediction is the sum over layers; its predicted
//! objective is `Objective::value` of the predicted totals. Before the model has data, the closed
//! form alone already ranks designs (it is the model's reference); the trees learn how far the
//! mapper's best mapping lands from it on this workload and this space, which is what the closed
//! form misses (layer shapes against the array, buffer depths, the mapper's coarse screening
//! space). Labels are the run's evaluations: the analytical model under the screening mapper, the
//! same figures the search ranks by.
//!
//! - *Schedule*: the first [`PredictorParams::initial`] evaluations are distinct random points.
//!   Then the ensembles are fitted, from scratch, to every evaluation that mapped (feasible or
//!   over a limit): [`TREES`] trees of depth [`DEPTH`]; again each time the evaluations have
//!   grown by [`REFIT_GROWTH`] since the last fit (in between, the same model ranks).
//! - *Candidates*: as the Bayesian strategy's ([`Designs::candidates`]): the whole admissible,
//!   unevaluated space when it has at most [`PredictorParams::candidates`] points, else that many
//!   uniform draws and the neighbours of the best points found. Their features are computed once
//!   and kept, and so are their predictions until the next fit (up to [`FEATURE_CACHE`]
//!   candidates).
//! - *Choice*: candidates predicted to meet the run's `max_cycles`, `max_energy_pj` and
//!   `max_power_mw` rank
//!   before the others; within each class by predicted objective (the others by how far over the
//!   limits they are predicted, the largest ratio first), ties to genome order. The best `batch`
//!   are proposed. A candidate whose features cannot be computed (a layer does not fit its
//!   gather registers) ranks last.
//!
//! Measured (`search/tests/it/bayes.rs`, `--example compare`; evaluations until the best feasible
//! design is within 1 % of the exhaustive optimum, mean over seeds): on the 576-point space of
//! the tests (seeds 1–5) 9.0 for mlp_small's EDP (random: more than 124), 9.0 for dqn's (random:
//! more than 104) and 8.2 for mlp_small's energy within 5,000 cycles (random: 27). With
//! `--example compare` (seeds 1–5, the default spaces of 6,400 points): ResNet-18 around ws_32x32
//! (EDP) 19.4 (Bayesian 16.4, evolutionary 79.4, random more than 200), 2.8 s for a whole
//! 200-evaluation search; DQN around ws_16x16 (EDP) 9.0 (Bayesian 13.8); MobileNetV2 (latency)
//! 9.0 (Bayesian 17.4). Ranking by
//! the closed-form reference alone (no trees) took the same evaluations on the small space and
//! 21.7 on ResNet-18: on these spaces the analytical model's closed form does most of the work,
//! and the learned correction matters where the mapper's best mapping is far from the default
//! one.
//!
//! Determinism: the initial draws come from the run's ChaCha8 stream on the calling thread; the
//! features are a parallel pure map kept in candidate order and the ensembles' fits are
//! deterministic (see [`crate::predict`]), so a seed gives the same run on any number of threads.
//!
//! What is left out: no uncertainty (the trees give a point estimate, so there is no explicit
//! exploration term: the strategy walks down its predicted ranking, refitting as it learns, and
//! relies on the first random points for coverage); unmappable candidates are not modelled (they
//! are rare: see [`crate::bayes`]); no transfer from other workloads inside a run (the
//! `predictor` example measures training on three networks and fine-tuning on a fourth); the fit
//! costs grow with the evaluations × layers, so budgets of a few hundred are the intended range.

use crate::config::PredictorParams;
use crate::eval::power_mw;
use crate::explore::{best_first, Designs, Outcome, Proposer};
use crate::predict::{labelled_rows, layer_features_with, Gbdt, GbdtParams, LayerFeatures, Rows};
use crate::space::Genome;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use tessera_core::diag::Result;
use tessera_mapping::Objective;
use tessera_sim::EnergyTable;
use tessera_workloads::Workload;

/// Trees per ensemble (refitted as the evaluations grow by [`REFIT_GROWTH`]).
pub const TREES: usize = 60;
/// Depth of each tree.
pub const DEPTH: usize = 3;
/// The ensembles are fitted again once the evaluations have grown by this factor since the last
/// fit.
pub const REFIT_GROWTH: f64 = 1.25;
/// Most candidates whose features are kept between batches (the cache is emptied beyond).
pub const FEATURE_CACHE: usize = 16_384;

/// The fitted ensembles of one batch.
struct Model {
    cycles: Gbdt,
    energy: Gbdt,
}

impl Model {
    fn predict(&self, feats: &[LayerFeatures]) -> (f64, f64) {
        let (mut cycles, mut energy) = (0.0, 0.0);
        for f in feats {
            cycles += f.reference_cycles * self.cycles.predict(&f.x).exp();
            energy += f.reference_energy_pj * self.energy.predict(&f.x).exp();
        }
        (cycles, energy)
    }
}

/// A candidate's predicted rank key: (predicted to miss a limit, by how much or its objective).
type Key = (bool, f64);

/// The predictor-guided strategy's state.
pub(crate) struct Guided {
    p: PredictorParams,
    workload: Workload,
    objective: Objective,
    /// Distinct evaluated candidates, in the order first told.
    observed: Vec<(Genome, Outcome)>,
    known: BTreeSet<Genome>,
    /// Per candidate, its layers' features (`None`: some layer has none).
    features: BTreeMap<Genome, Option<Vec<LayerFeatures>>>,
    /// The ensembles and how many evaluations they were fitted to.
    model: Option<(Model, usize)>,
    /// Rank keys under the current model (emptied when it is fitted again).
    keys: BTreeMap<Genome, Option<Key>>,
}

impl Guided {
    pub fn new(p: &PredictorParams, workload: &Workload, objective: Objective) -> Self {
        Self {
            p: p.clone(),
            workload: workload.clone(),
            objective,
            observed: vec![],
            known: BTreeSet::new(),
            features: BTreeMap::new(),
            model: None,
            keys: BTreeMap::new(),
        }
    }

    /// Compute and keep the features of those of `gs` not kept yet.
    fn featurise(&mut self, d: &Designs, gs: &[Genome]) {
        let todo: Vec<(Genome, tessera_arch::Arch)> = gs
            .iter()
            .filter(|g| !self.features.contains_key(*g))
            .filter_map(|g| d.arch(g).map(|a| (*g, a)))
            .collect();
        if self.features.len() + todo.len() > FEATURE_CACHE {
            let keep: BTreeSet<Genome> = gs.iter().copied().collect();
            self.features.retain(|g, _| keep.contains(g));
        }
        let workload = &self.workload;
        let computed: Vec<(Genome, Option<Vec<LayerFeatures>>)> = todo
            .par_iter()
            .map(|(g, arch)| {
                let table = EnergyTable::of(arch);
                let f = workload
                    .layers
                    .iter()
                    .map(|l| layer_features_with(arch, &table, l))
                    .collect::<Result<Vec<_>>>()
                    .ok();
                (*g, f)
            })
            .collect();
        self.features.extend(computed);
    }

    /// Fit the ensembles to every evaluation that mapped. `None` without data.
    fn fit(&mut self, d: &Designs) -> Option<Model> {
        let mapped: Vec<Genome> = self
            .observed
            .iter()
            .filter(|(g, _)| d.evaluation(g).is_some())
            .map(|(g, _)| *g)
            .collect();
        self.featurise(d, &mapped);
        let mut rows = Rows::default();
        for g in &mapped {
            let (Some(e), Some(Some(f))) = (d.evaluation(g), self.features.get(g)) else {
                continue;
            };
            let labels: Vec<(u64, f64)> =
                e.layers.iter().map(|l| (l.cycles, l.energy_pj)).collect();
            rows.extend(labelled_rows(f, &labels));
        }
        if rows.x.is_empty() {
            return None;
        }
        let params = GbdtParams {
            trees: TREES,
            depth: DEPTH,
            learning_rate: 0.1,
            min_leaf: 2,
            ..GbdtParams::default()
        };
        let (cycles, energy) = rayon::join(
            || Gbdt::fit_weighted(&rows.x, &rows.yc, &rows.wc, &params),
            || Gbdt::fit_weighted(&rows.x, &rows.ye, &rows.we, &params),
        );
        Some(Model {
            cycles: cycles.ok()?,
            energy: energy.ok()?,
        })
    }

    /// The rank key of a candidate's prediction.
    fn key(&self, d: &Designs, model: Option<&Model>, feats: &[LayerFeatures]) -> Key {
        let (cycles, energy) = match model {
            Some(m) => m.predict(feats),
            None => feats.iter().fold((0.0, 0.0), |(c, e), f| {
                (c + f.reference_cycles, e + f.reference_energy_pj)
            }),
        };
        let c = d.constraints();
        let over = [
            c.max_cycles.map(|m| cycles / m as f64),
            c.max_energy_pj.map(|m| energy / m),
            c.max_power_mw
                .map(|m| power_mw(cycles, energy, d.clock_mhz()) / m),
        ]
        .into_iter()
        .flatten()
        // a NaN prediction counts as missing the limit
        .fold(
            0.0f64,
            |m, r| if r.is_nan() { f64::INFINITY } else { m.max(r) },
        );
        if over > 1.0 {
            (true, over)
        } else {
            (
                false,
                match self.objective {
                    Objective::Latency => cycles,
                    Objective::Energy => energy,
                    Objective::Edp => cycles * energy,
                },
            )
        }
    }
}

fn key_cmp(a: &(Option<Key>, Genome), b: &(Option<Key>, Genome)) -> Ordering {
    let rank = |k: &Option<Key>| match k {
        Some((miss, v)) => (u8::from(*miss), if v.is_nan() { f64::INFINITY } else { *v }),
        None => (2, f64::INFINITY),
    };
    let (ra, rb) = (rank(&a.0), rank(&b.0));
    ra.0.cmp(&rb.0)
        .then(ra.1.total_cmp(&rb.1))
        .then(a.1.cmp(&b.1))
}

impl Proposer for Guided {
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
        let best = best_first(&self.observed);
        let cands = d.candidates(rng, self.p.candidates, &best);
        let n_obs = self.observed.len();
        if self
            .model
            .as_ref()
            .is_none_or(|(_, at)| n_obs as f64 >= *at as f64 * REFIT_GROWTH)
        {
            self.model = self.fit(d).map(|m| (m, n_obs));
            self.keys.clear();
        }
        let todo: Vec<Genome> = cands
            .iter()
            .filter(|g| !self.keys.contains_key(*g))
            .copied()
            .collect();
        self.featurise(d, &todo);
        let model = self.model.as_ref().map(|(m, _)| m);
        let dr = &*d;
        let fresh: Vec<(Genome, Option<Key>)> = todo
            .par_iter()
            .map(|g| {
                let key = match self.features.get(g) {
                    Some(Some(f)) => Some(self.key(dr, model, f)),
                    _ => None,
                };
                (*g, key)
            })
            .collect();
        if self.keys.len() + fresh.len() > FEATURE_CACHE {
            let now: BTreeSet<Genome> = cands.iter().copied().collect();
            self.keys.retain(|g, _| now.contains(g));
        }
        self.keys.extend(fresh);
        let mut ranked: Vec<(Option<Key>, Genome)> = cands
            .iter()
            .map(|g| (self.keys.get(g).copied().flatten(), *g))
            .collect();
        ranked.sort_by(key_cmp);
        let mut out: Vec<Genome> = ranked.iter().take(n).map(|(_, g)| *g).collect();
        if out.is_empty() {
            // Every admissible point was evaluated: random (repeats).
            out.push(d.draw_novel(rng, &out)?);
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
