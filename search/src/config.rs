//! What a search run is asked to do: [`SearchConfig`] (RON-loadable) and its [`Strategy`].

use crate::eval::Objective;
use crate::space::{Constraints, SearchSpace, MAX_CAPACITY_BYTES};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{ensure, Result};

/// How candidates are proposed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Strategy {
    /// Uniform sampling of the space (with replacement; invalid and infeasible points are redrawn).
    Random,
    /// A generational genetic algorithm; see [`EvolutionParams`].
    Evolutionary(EvolutionParams),
    /// Constrained Bayesian optimisation: a Gaussian-process surrogate of the log objective and a
    /// feasibility model, expected improvement × probability of feasibility; see [`BayesParams`]
    /// and [`crate::bayes`].
    Bayesian(BayesParams),
    /// Screening by a learned predictor: gradient-boosted trees over each layer's physical
    /// features (with the default mapping's closed-form cost), fitted to the run's evaluations,
    /// rank the candidates and the best predicted are evaluated; see [`PredictorParams`] and
    /// [`crate::guided`].
    Predictor(PredictorParams),
}

impl Strategy {
    /// Evolutionary with the default parameters.
    pub fn evolutionary() -> Self {
        Strategy::Evolutionary(EvolutionParams::default())
    }

    /// Bayesian with the default parameters.
    pub fn bayesian() -> Self {
        Strategy::Bayesian(BayesParams::default())
    }

    /// Predictor-guided with the default parameters.
    pub fn predictor() -> Self {
        Strategy::Predictor(PredictorParams::default())
    }

    /// Does the strategy propose the same candidates whatever their outcomes? Only such a run can
    /// be split into shards ([`crate::search_shard`]).
    pub fn ignores_outcomes(&self) -> bool {
        matches!(self, Strategy::Random)
    }

    /// Why a run of this strategy cannot be split into shards, for error messages.
    pub const SEQUENTIAL: &'static str = "only the random strategy can be split into shards: the \
        evolutionary, Bayesian and predictor strategies choose each batch from the outcomes of the ones \
        before, so their runs are sequential (they use every core of one machine instead)";

    /// `random`, `evolutionary`, `bayesian` or `predictor`.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Evolutionary(_) => "evolutionary",
            Strategy::Bayesian(_) => "bayesian",
            Strategy::Predictor(_) => "predictor",
        }
    }
}

/// Parameters of the Bayesian strategy. Every field has a default, so `Bayesian(())` is valid.
///
/// The first `initial` evaluations are distinct random feasible points. Then each batch of `batch`
/// points maximises expected improvement × probability of feasibility over the candidates: every
/// point of the space that passes the exact checks and was not evaluated when the space has at
/// most `candidates` points, else `candidates` uniformly random points plus the one- and two-gene
/// neighbours of the best points found (see [`crate::bayes`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BayesParams {
    /// Random points evaluated before the first model (default 10).
    pub initial: usize,
    /// Points proposed per batch, i.e. evaluated in parallel (default 1). Each point of a batch is
    /// chosen with the previous ones "believed" at their predicted values, so larger batches use
    /// more cores on costly workloads but need somewhat more evaluations: on the 3200-point
    /// default space (mlp_small, EDP, seeds 1–5) 4 per batch took 16 evaluations to within 1 % of
    /// the optimum on average, against 12.8 one at a time.
    pub batch: usize,
    /// Candidates scored per proposal (default 2048); smaller spaces are scored whole.
    pub candidates: usize,
}

impl Default for BayesParams {
    fn default() -> Self {
        Self {
            initial: 10,
            batch: 1,
            candidates: 2048,
        }
    }
}

/// The largest batch of the Bayesian strategy (each point of a batch refits the models).
pub const MAX_BAYES_BATCH: usize = 256;
/// The most candidates the Bayesian strategy scores per proposal.
pub const MAX_BAYES_CANDIDATES: usize = 1 << 20;

impl BayesParams {
    /// Check the parameters. Errors name the field.
    pub fn validate(&self) -> Result<()> {
        ensure(
            (1..=MAX_EVALUATIONS).contains(&self.initial),
            "initial",
            || {
                format!(
                    "must be between 1 and {MAX_EVALUATIONS}, got {}",
                    self.initial
                )
            },
        )?;
        ensure((1..=MAX_BAYES_BATCH).contains(&self.batch), "batch", || {
            format!(
                "must be between 1 and {MAX_BAYES_BATCH}, got {}",
                self.batch
            )
        })?;
        ensure(
            (1..=MAX_BAYES_CANDIDATES).contains(&self.candidates),
            "candidates",
            || {
                format!(
                    "must be between 1 and {MAX_BAYES_CANDIDATES}, got {}",
                    self.candidates
                )
            },
        )?;
        Ok(())
    }
}

/// Parameters of the predictor-guided strategy. Every field has a default, so `Predictor(())` is
/// valid.
///
/// The first `initial` evaluations are distinct random feasible points. Then the predictor is
/// fitted to every evaluation so far (again whenever they have grown by a quarter), and each batch
/// proposes the `batch` unevaluated candidates with the best predicted objective (those predicted
/// to meet the run's cycle, energy and power limits first). The candidates are every point of the space that passes the exact checks and was
/// not evaluated when the space has at most `candidates` points, else `candidates` uniformly
/// random points plus the one- and two-gene neighbours of the best points found (see
/// [`crate::guided`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PredictorParams {
    /// Random points evaluated before the first fit (default 8).
    pub initial: usize,
    /// Points proposed per fit, i.e. evaluated in parallel (default 2).
    pub batch: usize,
    /// Candidates screened per batch (default 4096); smaller spaces are screened whole.
    pub candidates: usize,
}

impl Default for PredictorParams {
    fn default() -> Self {
        Self {
            initial: 8,
            batch: 2,
            candidates: 4096,
        }
    }
}

impl PredictorParams {
    /// Check the parameters. Errors name the field.
    pub fn validate(&self) -> Result<()> {
        BayesParams {
            initial: self.initial,
            batch: self.batch,
            candidates: self.candidates,
        }
        .validate()
    }
}

/// Parameters of the genetic algorithm. Every field has a default, so `Evolutionary(())` is valid.
///
/// Each generation keeps the `elites` best individuals and fills the rest of the population with
/// children: a parent chosen by a tournament of `tournament` individuals, with probability
/// `crossover_rate` uniformly crossed with a second tournament winner, then mutated by moving one
/// parameter to a neighbouring value of its list. A child that is invalid, infeasible or already
/// evaluated is redrawn (up to a fixed number of attempts, then a uniformly random point is used).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvolutionParams {
    pub population: usize,
    pub tournament: usize,
    pub crossover_rate: f64,
    pub elites: usize,
}

impl Default for EvolutionParams {
    fn default() -> Self {
        Self {
            population: 16,
            tournament: 3,
            crossover_rate: 0.5,
            elites: 2,
        }
    }
}

impl EvolutionParams {
    /// Check the parameters. Errors name the field.
    pub fn validate(&self) -> Result<()> {
        ensure(
            (2..=MAX_EVALUATIONS).contains(&self.population),
            "population",
            || {
                format!(
                    "must be between 2 and {MAX_EVALUATIONS}, got {}",
                    self.population
                )
            },
        )?;
        ensure(
            (1..=self.population).contains(&self.tournament),
            "tournament",
            || {
                format!(
                    "must be between 1 and the population ({}), got {}",
                    self.population, self.tournament
                )
            },
        )?;
        ensure(
            (0.0..=1.0).contains(&self.crossover_rate),
            "crossover_rate",
            || format!("must be between 0 and 1, got {}", self.crossover_rate),
        )?;
        ensure(self.elites < self.population, "elites", || {
            format!(
                "must be less than the population ({}), got {}",
                self.population, self.elites
            )
        })?;
        Ok(())
    }
}

fn default_top_k() -> usize {
    3
}

/// The largest evaluation budget accepted (the history keeps one entry per evaluation).
pub const MAX_EVALUATIONS: usize = 1_000_000;

/// A search run, loadable from RON; `search/examples/search.ron` is a commented example:
///
/// ```text
/// SearchConfig(
///     space: (rows: [4, 8, 16, 32], cols: [4, 8, 16, 32], input_bytes: [8192, 16384, 32768],
///             weight_bytes: [4096, 8192, 16384], accumulator_bytes: [32768, 65536, 131072],
///             dataflow: [WeightStationary, OutputStationary]),
///     // row-stationary too: dataflow: [RowStationary, ...], rf_weights: [4, 16]
///     constraints: (max_pes: Some(256), max_sram_bytes: Some(180224)),
///     objective: Edp,
///     // or Random, or Bayesian((initial: 10, batch: 1, candidates: 2048)), or Bayesian(()),
///     // or Predictor((initial: 8, batch: 2, candidates: 4096))
///     strategy: Evolutionary((population: 16, tournament: 3, crossover_rate: 0.5, elites: 2)),
///     evaluations: 200,
///     seed: 1,
///     top_k: 3,
/// )
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    pub space: SearchSpace,
    #[serde(default)]
    pub constraints: Constraints,
    pub objective: Objective,
    pub strategy: Strategy,
    /// Evaluation budget: candidates proposed and scored by the analytical model, duplicates
    /// included (a duplicate is answered from the run's memo, but still counts).
    pub evaluations: usize,
    /// Seeds the proposal RNG (ChaCha8) and the operands of the cycle-level re-simulation.
    pub seed: u64,
    /// How many of the best distinct candidates are re-simulated cycle by cycle.
    #[serde(default = "default_top_k")]
    pub top_k: usize,
}

impl SearchConfig {
    /// A small default run around `base`: both dataflows (weight- and output-stationary, whatever
    /// `base`'s); rows and cols from {2, 4, 8, 16, 32}; each buffer from {¼, ½, 1, 2} × `base`'s
    /// capacity; 2 banks; double-buffering of the stationary operand off and on (weight- and input-stationary points);
    /// constrained to `base`'s PEs and SRAM (the search looks for a better
    /// design with the same resources); EDP; evolutionary; 200 evaluations.
    pub fn default_for(base: &Arch) -> SearchConfig {
        let ladder = |c: u64| -> Vec<i64> {
            let mut v: Vec<i64> = [c / 4, c / 2, c, 2 * c]
                .into_iter()
                .map(|x| x as i64)
                .filter(|&x| (1..=MAX_CAPACITY_BYTES).contains(&x))
                .collect();
            v.dedup();
            v
        };
        SearchConfig {
            space: SearchSpace {
                rows: vec![2, 4, 8, 16, 32],
                cols: vec![2, 4, 8, 16, 32],
                input_bytes: ladder(base.input().capacity().get()),
                weight_bytes: ladder(base.weight().capacity().get()),
                accumulator_bytes: ladder(base.accumulator().capacity().get()),
                banks: vec![2],
                dataflow: Dataflow::SEARCH_DEFAULT.to_vec(),
                weight_double_buffer: vec![false, true],
                noc: vec![Default::default()],
                words_per_cycle: vec![i64::from(base.dram().words_per_cycle())],
                rf_weights: vec![],
            },
            constraints: Constraints {
                max_pes: Some(base.pes()),
                max_sram_bytes: Some(base.sram_bytes().get()),
                max_area_um2: None,
                max_cycles: None,
                max_energy_pj: None,
                max_power_mw: None,
            },
            objective: Objective::Edp,
            strategy: Strategy::evolutionary(),
            evaluations: 200,
            seed: 1,
            top_k: default_top_k(),
        }
    }

    /// Check the whole configuration. Errors name the dotted field (`space.rows`,
    /// `strategy.population`, `top_k`, ...).
    pub fn validate(&self) -> Result<()> {
        self.space.validate().map_err(|e| e.under("space"))?;
        self.constraints
            .validate()
            .map_err(|e| e.under("constraints"))?;
        match &self.strategy {
            Strategy::Random => {}
            Strategy::Evolutionary(p) => p.validate().map_err(|e| e.under("strategy"))?,
            Strategy::Bayesian(p) => p.validate().map_err(|e| e.under("strategy"))?,
            Strategy::Predictor(p) => p.validate().map_err(|e| e.under("strategy"))?,
        }
        ensure(
            (1..=MAX_EVALUATIONS).contains(&self.evaluations),
            "evaluations",
            || {
                format!(
                    "must be between 1 and {MAX_EVALUATIONS}, got {}",
                    self.evaluations
                )
            },
        )?;
        ensure(self.top_k >= 1, "top_k", || "must be at least 1".into())?;
        Ok(())
    }

    /// Parse RON text and validate; `origin` names the file in errors.
    pub fn from_ron_str(text: &str, origin: &Path) -> Result<SearchConfig> {
        let c: SearchConfig = tessera_core::load::parse_ron(text, origin)?;
        c.validate().map_err(|e| e.in_file(origin))?;
        Ok(c)
    }

    /// Read a RON file and validate.
    pub fn load(path: &Path) -> Result<SearchConfig> {
        let c: SearchConfig = tessera_core::load::read_ron(path)?;
        c.validate().map_err(|e| e.in_file(path))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn default_config_is_valid_and_round_trips_through_ron() {
        let base = builtin::arch("ws_16x16").unwrap();
        let c = SearchConfig::default_for(&base);
        c.validate().unwrap();
        assert_eq!(c.space.input_bytes, vec![8192, 16384, 32768, 65536]);
        assert_eq!(c.space.dataflow, Dataflow::SEARCH_DEFAULT.to_vec());
        assert_eq!(c.space.size(), 2 * 5 * 5 * 4 * 4 * 4 * 2);
        // The same from an output-stationary base.
        let os = SearchConfig::default_for(&builtin::arch("os_16x16").unwrap());
        assert_eq!(os.space, c.space);
        let text = tessera_core::load::to_ron_string(&c).unwrap();
        let back = SearchConfig::from_ron_str(&text, Path::new("x.ron")).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn example_file_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/search.ron");
        let c = SearchConfig::load(&p).unwrap();
        assert_eq!(c.space.size(), 4 * 4 * 3 * 3 * 3 * 2 * 2);
        assert_eq!(c.space.weight_double_buffer, vec![false, true]);
        assert_eq!(c.space.dataflow, Dataflow::SEARCH_DEFAULT.to_vec());
        assert_eq!(c.constraints.max_pes, Some(256));
        assert_eq!(c.strategy, Strategy::evolutionary());
    }

    #[test]
    fn minimal_ron_uses_defaults() {
        let text = "SearchConfig(space: (rows: [4], cols: [4], input_bytes: [2048], \
                    weight_bytes: [1024], accumulator_bytes: [8192]), objective: Latency, \
                    strategy: Evolutionary(()), evaluations: 5, seed: 9)";
        let c = SearchConfig::from_ron_str(text, Path::new("x.ron")).unwrap();
        assert_eq!(c.space.banks, vec![2]);
        assert_eq!(
            c.space.dataflow,
            vec![Dataflow::WeightStationary, Dataflow::OutputStationary]
        );
        assert_eq!(c.top_k, 3);
        assert_eq!(c.constraints, Constraints::default());
        assert_eq!(c.strategy, Strategy::evolutionary());
        let b = text.replace("Evolutionary(())", "Bayesian(())");
        let c = SearchConfig::from_ron_str(&b, Path::new("x.ron")).unwrap();
        assert_eq!(c.strategy, Strategy::bayesian());
        assert_eq!(c.strategy.name(), "bayesian");
        let p = text.replace("Evolutionary(())", "Predictor((batch: 4))");
        let c = SearchConfig::from_ron_str(&p, Path::new("x.ron")).unwrap();
        assert_eq!(
            c.strategy,
            Strategy::Predictor(PredictorParams {
                batch: 4,
                ..PredictorParams::default()
            })
        );
        assert_eq!(c.strategy.name(), "predictor");
        let bad = text.replace("Evolutionary(())", "Predictor((batch: 0))");
        let e = SearchConfig::from_ron_str(&bad, Path::new("x.ron")).unwrap_err();
        assert!(e.to_string().contains("strategy.batch"), "{e}");
        let b = text.replace(
            "Evolutionary(())",
            "Bayesian((initial: 4, batch: 2, candidates: 100))",
        );
        let c = SearchConfig::from_ron_str(
            &b.replace(
                "objective: Latency",
                "constraints: (max_cycles: Some(5000)), objective: Latency",
            ),
            Path::new("x.ron"),
        )
        .unwrap();
        assert_eq!(
            c.strategy,
            Strategy::Bayesian(BayesParams {
                initial: 4,
                batch: 2,
                candidates: 100
            })
        );
        assert_eq!(c.constraints.max_cycles, Some(5000));
    }

    #[test]
    fn bad_values_name_their_field() {
        let base = builtin::arch("ws_4x4").unwrap();
        let mut c = SearchConfig::default_for(&base);
        c.strategy = Strategy::Evolutionary(EvolutionParams {
            elites: 16,
            ..EvolutionParams::default()
        });
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("strategy.elites")
        );
        let mut c = SearchConfig::default_for(&base);
        c.strategy = Strategy::Bayesian(BayesParams {
            batch: 0,
            ..BayesParams::default()
        });
        assert_eq!(
            c.validate().unwrap_err().field.as_deref(),
            Some("strategy.batch")
        );
        let mut c = SearchConfig::default_for(&base);
        c.top_k = 0;
        assert_eq!(c.validate().unwrap_err().field.as_deref(), Some("top_k"));
        let text = "SearchConfig(space: (rows: [4], cols: [4], input_bytes: [2048], \
                    weight_bytes: [1024], accumulator_bytes: [8192], \
                    dataflow: [OutputStationary, OutputStationary]), objective: Latency, \
                    strategy: Random, evaluations: 5, seed: 9)";
        let e = SearchConfig::from_ron_str(text, Path::new("x.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("space.dataflow[1]"), "{e}");
        let one = text.replace(", OutputStationary]", "]");
        let c = SearchConfig::from_ron_str(&one, Path::new("x.ron")).unwrap();
        assert_eq!(c.space.dataflow, vec![Dataflow::OutputStationary]);
        // input-stationary is searched when a space lists it
        let with_is = text.replace(", OutputStationary]", ", InputStationary]");
        let c = SearchConfig::from_ron_str(&with_is, Path::new("x.ron")).unwrap();
        assert_eq!(
            c.space.dataflow,
            vec![Dataflow::OutputStationary, Dataflow::InputStationary]
        );
    }
}
