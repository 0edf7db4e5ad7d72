//! The exploration loop: strategies propose candidates through one ask/tell interface
//! ([`Proposer`]), the explorer screens and evaluates each batch in parallel, and keeps the run's
//! memo, counts and history.
//!
//! One round: the explorer asks the strategy for a batch of at most [`Proposer::batch`] genomes
//! (never more than the budget left), screens each with the exact, cheap checks
//! (`ArchSpec::validate` and the PE/SRAM/area limits of [`Constraints`]; a strategy normally asks
//! only for points that pass, through [`Designs::classify`]), evaluates the new ones with the
//! analytical model in parallel, and tells the strategy every asked genome's [`Outcome`] in the
//! order it was asked. Strategies: uniform random sampling ([`RandomSearch`]), the genetic
//! algorithm ([`Evolution`]) and constrained Bayesian optimisation ([`crate::bayes::Bayesian`]).
//!
//! Determinism: every random choice is made on the calling thread from one ChaCha8 stream, inside
//! `ask`, before the batch is handed to rayon; rayon only maps candidates to evaluations (pure
//! functions) and the results are combined and told in batch order. Batch sizes do not depend on
//! the thread count, so the same seed gives the same run on 1 thread or 64.

use crate::config::EvolutionParams;
use crate::eval::{evaluate_in, Evaluation, Objective};
use crate::journal::{Journal, Replay, Shard};
use crate::result::HistoryEntry;
use crate::space::{Constraints, Genome, Space, GENES};
use crate::Phase;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::SpaceBudget;
use tessera_workloads::Workload;

/// Proposals per batch of random search (fixed, so runs do not depend on the thread count).
pub const RANDOM_BATCH: usize = 32;
/// Consecutive invalid or infeasible draws after which the space is declared (practically) empty.
pub const MAX_CONSECUTIVE_REJECTIONS: usize = 10_000;
/// Attempts at a new, feasible, not yet evaluated child before falling back to a random point.
const CHILD_ATTEMPTS: usize = 16;
/// Consecutive batches of which nothing passed the screen after which a strategy is declared stuck.
const MAX_EMPTY_BATCHES: usize = 1_000;
/// How many of a model-based strategy's best points have their neighbours added to sampled
/// candidates ([`Designs::candidates`]).
pub(crate) const NEIGHBOURHOOD_OF: usize = 5;

/// `g` with gene `i` moved by `by`, if still within the gene's `lens[i]` values.
pub(crate) fn step(lens: &[usize; GENES], g: &Genome, i: usize, by: i32) -> Option<Genome> {
    let v = u16::try_from(i32::from(g[i]).checked_add(by)?).ok()?;
    (usize::from(v) < lens[i]).then(|| {
        let mut h = *g;
        h[i] = v;
        h
    })
}

/// The feasible candidates of `observed`, best objective first (ties by genome).
pub(crate) fn best_first(observed: &[(Genome, Outcome)]) -> Vec<Genome> {
    let mut best: Vec<(f64, Genome)> = observed
        .iter()
        .filter_map(|(g, o)| o.feasible().map(|v| (v, *g)))
        .collect();
    best.sort_by(|a, b| fitness_cmp((Some(a.0), &a.1), (Some(b.0), &b.1)));
    best.into_iter().map(|(_, g)| g).collect()
}

/// Orders fitnesses: lower objective first, unmappable (`None`) last, then the genome.
pub(crate) fn fitness_cmp(a: (Option<f64>, &Genome), b: (Option<f64>, &Genome)) -> Ordering {
    let v = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
    v(a.0).total_cmp(&v(b.0)).then(a.1.cmp(b.1))
}

/// What became of one asked candidate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// Evaluated; every layer mapped and every limit met: the objective's value.
    Feasible(f64),
    /// Exceeds a limit. `None`: a limit the screen checks before evaluation (PEs, SRAM, area), so
    /// the point was not evaluated. `Some(objective)`: a limit only evaluation reveals
    /// (`max_cycles`, `max_energy_pj`, `max_power_mw`); the point was evaluated and this is its objective.
    Infeasible(Option<f64>),
    /// Refused by `ArchSpec::validate` (never evaluated).
    Invalid,
    /// Evaluated, but some layer has no mapping on the candidate.
    Unmappable,
}

impl Outcome {
    /// The objective of a candidate that meets every limit.
    pub fn feasible(self) -> Option<f64> {
        match self {
            Outcome::Feasible(v) => Some(v),
            _ => None,
        }
    }

    /// The objective, when the candidate was evaluated and mapped (feasible or not).
    pub fn objective(self) -> Option<f64> {
        match self {
            Outcome::Feasible(v) | Outcome::Infeasible(Some(v)) => Some(v),
            _ => None,
        }
    }

    /// Was the candidate evaluated (rather than refused by the screen)?
    pub fn evaluated(self) -> bool {
        matches!(
            self,
            Outcome::Feasible(_) | Outcome::Infeasible(Some(_)) | Outcome::Unmappable
        )
    }
}

/// A search strategy: proposes candidates (`ask`) and learns from their outcomes (`tell`).
///
/// The explorer alternates `batch`, `ask`, `tell` until the budget is spent. A strategy makes
/// every random choice from the `rng` it is given, on the calling thread; it never evaluates.
pub(crate) trait Proposer {
    /// How many candidates the strategy wants to propose next (at least 1). The explorer asks for
    /// `batch().min(budget left)`.
    fn batch(&self) -> usize;

    /// Propose between 1 and `n` candidates. `designs` answers the exact, cheap checks and says
    /// what was evaluated already; it is the only view of the run a strategy has.
    fn ask(&mut self, designs: &mut Designs, rng: &mut ChaCha8Rng, n: usize)
        -> Result<Vec<Genome>>;

    /// The outcome of every candidate of the last `ask`, in the order asked (duplicates included).
    fn tell(&mut self, results: &[(Genome, Outcome)]);

    /// Does the strategy propose the same candidates whatever their outcomes (so a run can be
    /// split into shards that evaluate disjoint parts of one proposal sequence)?
    fn ignores_outcomes(&self) -> bool {
        false
    }
}

/// Why the screen refused a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Refusal {
    /// `ArchSpec::validate` refused it.
    Invalid,
    /// It validates, but exceeds the PE, SRAM or area limit.
    Infeasible,
}

/// The space, the exact checks made before evaluation, and the run's evaluations: what a
/// strategy may consult.
pub(crate) struct Designs<'a> {
    pub space: Space,
    base: &'a Arch,
    constraints: &'a Constraints,
    /// Validated, feasible candidates classified so far.
    pub feasible: BTreeMap<Genome, Arch>,
    /// Points [`Designs::admits`] passed without keeping their accelerator.
    passed: BTreeSet<Genome>,
    /// Points refused by the screen.
    rejected: BTreeMap<Genome, Refusal>,
    /// Evaluations made in this run (the error message when some layer could not be mapped).
    pub memo: BTreeMap<Genome, std::result::Result<Evaluation, String>>,
}

impl<'a> Designs<'a> {
    pub fn new(space: Space, base: &'a Arch, constraints: &'a Constraints) -> Self {
        Self {
            space,
            base,
            constraints,
            feasible: BTreeMap::new(),
            passed: BTreeSet::new(),
            rejected: BTreeMap::new(),
            memo: BTreeMap::new(),
        }
    }

    pub fn invalid_skipped(&self) -> usize {
        self.rejected
            .values()
            .filter(|&&r| r == Refusal::Invalid)
            .count()
    }
    pub fn infeasible_skipped(&self) -> usize {
        self.rejected
            .values()
            .filter(|&&r| r == Refusal::Infeasible)
            .count()
    }

    /// Is `g` a valid accelerator that meets the constraints checked before evaluation? Remembers
    /// the answer (and the accelerator).
    pub fn classify(&mut self, g: Genome) -> bool {
        if self.feasible.contains_key(&g) {
            return true;
        }
        if self.rejected.contains_key(&g) {
            return false;
        }
        match self.check(g) {
            Ok(arch) => {
                self.passed.remove(&g);
                self.feasible.insert(g, arch);
                true
            }
            Err(r) => {
                self.rejected.insert(g, r);
                false
            }
        }
    }

    /// [`Designs::classify`] without keeping the accelerator: for strategies that screen many more
    /// points than they propose (the answer is remembered, the accelerator rebuilt if proposed).
    pub fn admits(&mut self, g: Genome) -> bool {
        if self.feasible.contains_key(&g) || self.passed.contains(&g) {
            return true;
        }
        if self.rejected.contains_key(&g) {
            return false;
        }
        match self.check(g) {
            Ok(_) => {
                self.passed.insert(g);
                true
            }
            Err(r) => {
                self.rejected.insert(g, r);
                false
            }
        }
    }

    fn check(&self, g: Genome) -> std::result::Result<Arch, Refusal> {
        match self.space.point(&g).to_arch(self.base) {
            Err(_) => Err(Refusal::Invalid),
            Ok(arch) if self.constraints.violation(&arch).is_some() => Err(Refusal::Infeasible),
            Ok(arch) => Ok(arch),
        }
    }

    /// The screen's outcome for a point it refuses, `None` for one it passes.
    fn refusal(&mut self, g: Genome) -> Option<Outcome> {
        if self.classify(g) {
            return None;
        }
        Some(match self.rejected[&g] {
            Refusal::Invalid => Outcome::Invalid,
            Refusal::Infeasible => Outcome::Infeasible(None),
        })
    }

    /// The accelerator of `g` (built again unless kept), if it validates.
    pub fn arch(&self, g: &Genome) -> Option<Arch> {
        match self.feasible.get(g) {
            Some(a) => Some(a.clone()),
            None => self.space.point(g).to_arch(self.base).ok(),
        }
    }

    /// The clock of every candidate (the base's: the search does not vary it), in MHz.
    pub fn clock_mhz(&self) -> f64 {
        self.base.clock_mhz()
    }

    /// The run's design specs.
    pub fn constraints(&self) -> &Constraints {
        self.constraints
    }

    /// The analytical evaluation of an evaluated candidate that mapped.
    pub fn evaluation(&self, g: &Genome) -> Option<&Evaluation> {
        self.memo.get(g)?.as_ref().ok()
    }

    /// Has `g` been evaluated in this run?
    pub fn evaluated(&self, g: &Genome) -> bool {
        self.memo.contains_key(g)
    }

    /// Evaluated already, or among `pending`?
    pub fn seen(&self, g: &Genome, pending: &[Genome]) -> bool {
        self.evaluated(g) || pending.contains(g)
    }

    /// A uniformly random point of the space (not screened).
    pub fn uniform(&self, rng: &mut ChaCha8Rng) -> Genome {
        let mut g = [0u16; GENES];
        for (i, x) in g.iter_mut().enumerate() {
            *x = rng.random_range(0..self.space.len(i)) as u16;
        }
        g
    }

    /// A uniformly random feasible point (rejection sampling).
    pub fn draw_feasible(&mut self, rng: &mut ChaCha8Rng) -> Result<Genome> {
        for _ in 0..MAX_CONSECUTIVE_REJECTIONS {
            let g = self.uniform(rng);
            if self.classify(g) {
                return Ok(g);
            }
        }
        Err(Diagnostic::new(format!(
            "no design point that validates and meets the constraints was found in \
             {MAX_CONSECUTIVE_REJECTIONS} draws ({} invalid and {} infeasible distinct points seen, \
             of {} in the space): widen the space or relax the constraints",
            self.invalid_skipped(),
            self.infeasible_skipped(),
            self.space.size()
        )))
    }

    /// A random feasible point not evaluated yet nor in `pending`, if one turns up within a few
    /// draws; else a random feasible point.
    pub fn draw_novel(&mut self, rng: &mut ChaCha8Rng, pending: &[Genome]) -> Result<Genome> {
        let mut g = self.draw_feasible(rng)?;
        for _ in 1..CHILD_ATTEMPTS {
            if !self.seen(&g, pending) {
                break;
            }
            g = self.draw_feasible(rng)?;
        }
        Ok(g)
    }

    /// Candidates for a model-based strategy to score: admissible and not evaluated, in genome
    /// order. Every point of the space when it has at most `limit` points; else `limit` uniform
    /// draws plus every one- and two-gene neighbour of the first [`NEIGHBOURHOOD_OF`] of `best`
    /// (the strategy's best points, best first).
    pub fn candidates(
        &mut self,
        rng: &mut ChaCha8Rng,
        limit: usize,
        best: &[Genome],
    ) -> Vec<Genome> {
        let lens: [usize; GENES] = std::array::from_fn(|i| self.space.len(i));
        let dims: Vec<usize> = (0..GENES).filter(|&i| lens[i] > 1).collect();
        let mut set: BTreeSet<Genome> = BTreeSet::new();
        if self.space.size() <= limit as u64 {
            // Every point: an odometer over the genes.
            let mut g = [0u16; GENES];
            'all: loop {
                set.insert(g);
                for (x, &len) in g.iter_mut().zip(&lens) {
                    if usize::from(*x) + 1 < len {
                        *x += 1;
                        continue 'all;
                    }
                    *x = 0;
                }
                break;
            }
        } else {
            for _ in 0..limit {
                set.insert(self.uniform(rng));
            }
            let step = |g: &Genome, i: usize, by: i32| step(&lens, g, i, by);
            for g in best.iter().take(NEIGHBOURHOOD_OF) {
                for (a, &i) in dims.iter().enumerate() {
                    for di in [-1i32, 1] {
                        let Some(one) = step(g, i, di) else {
                            continue;
                        };
                        set.insert(one);
                        for &j in &dims[a + 1..] {
                            for dj in [-1i32, 1] {
                                if let Some(two) = step(&one, j, dj) {
                                    set.insert(two);
                                }
                            }
                        }
                    }
                }
            }
        }
        set.into_iter()
            .filter(|g| !self.evaluated(g) && self.admits(*g))
            .collect()
    }

    /// `n` random feasible points, each novel if one turns up ([`Designs::draw_novel`]): a
    /// model-based strategy's initial design.
    pub fn draw_novel_batch(&mut self, rng: &mut ChaCha8Rng, n: usize) -> Result<Vec<Genome>> {
        let mut out: Vec<Genome> = Vec::with_capacity(n);
        for _ in 0..n {
            let g = self.draw_novel(rng, &out)?;
            out.push(g);
        }
        Ok(out)
    }

    /// Move one parameter (among those with more than one value) to a neighbouring value.
    pub fn mutate(&self, rng: &mut ChaCha8Rng, g: &mut Genome) {
        let genes: Vec<usize> = (0..GENES).filter(|&i| self.space.len(i) > 1).collect();
        if genes.is_empty() {
            return;
        }
        let i = genes[rng.random_range(0..genes.len())];
        let (x, last) = (g[i], (self.space.len(i) - 1) as u16);
        g[i] = if x == 0 {
            1
        } else if x == last || rng.random_bool(0.5) {
            x - 1
        } else {
            x + 1
        };
    }
}

pub(crate) struct Explorer<'a> {
    pub designs: Designs<'a>,
    workload: &'a Workload,
    constraints: &'a Constraints,
    objective: Objective,
    budget: usize,
    progress: &'a (dyn Fn(Phase, usize, usize) + Sync),
    pub history: Vec<HistoryEntry>,
    best: Option<f64>,
    /// Evaluations to take instead of computing them (resume, merge of shards).
    replay: Option<&'a Replay>,
    /// Where every computed evaluation is appended.
    journal: Option<&'a mut Journal>,
    /// Distinct evaluations taken from `replay` and computed, in this run.
    pub replayed: usize,
    pub computed: usize,
}

impl<'a> Explorer<'a> {
    pub fn new(
        space: Space,
        base: &'a Arch,
        workload: &'a Workload,
        constraints: &'a Constraints,
        objective: Objective,
        budget: usize,
        progress: &'a (dyn Fn(Phase, usize, usize) + Sync),
    ) -> Self {
        Self {
            designs: Designs::new(space, base, constraints),
            workload,
            constraints,
            objective,
            budget,
            progress,
            history: Vec::with_capacity(budget),
            best: None,
            replay: None,
            journal: None,
            replayed: 0,
            computed: 0,
        }
    }

    /// How this run's distinct evaluations were obtained.
    pub fn stats(&self) -> crate::RunStats {
        crate::RunStats {
            computed: self.computed,
            replayed: self.replayed,
        }
    }

    /// Take evaluations from `replay` and append the computed ones to `journal`.
    pub fn persist(&mut self, replay: Option<&'a Replay>, journal: Option<&'a mut Journal>) {
        self.replay = replay;
        self.journal = journal;
    }

    pub fn unmappable(&self) -> usize {
        self.designs.memo.values().filter(|r| r.is_err()).count()
    }

    /// Distinct evaluated candidates that map but exceed a performance limit.
    pub fn over_limits(&self) -> usize {
        self.designs
            .memo
            .values()
            .filter(|r| {
                r.as_ref()
                    .is_ok_and(|e| self.constraints.performance_violation(e).is_some())
            })
            .count()
    }

    fn remaining(&self) -> usize {
        self.budget - self.history.len()
    }

    /// Ask, evaluate and tell until the budget is spent.
    pub fn run(&mut self, strategy: &mut dyn Proposer, rng: &mut ChaCha8Rng) -> Result<()> {
        let mut empty = 0usize;
        while self.remaining() > 0 {
            tessera_core::interrupt::check()?;
            let n = strategy.batch().min(self.remaining()).max(1);
            let batch = strategy.ask(&mut self.designs, rng, n)?;
            if batch.is_empty() || batch.len() > n {
                return Err(Diagnostic::internal(format!(
                    "internal error: a strategy asked for at most {n} candidates proposed {}",
                    batch.len()
                )));
            }
            let before = self.history.len();
            let results = self.evaluate_batch(&batch)?;
            if self.history.len() == before {
                empty += 1;
                if empty >= MAX_EMPTY_BATCHES {
                    return Err(Diagnostic::internal(format!(
                        "internal error: the strategy proposed only points the screen refuses \
                         in {MAX_EMPTY_BATCHES} batches in a row"
                    )));
                }
            } else {
                empty = 0;
            }
            strategy.tell(&results);
        }
        if let Some(j) = self.journal.as_deref_mut() {
            j.end(self.designs.memo.len())?;
        }
        Ok(())
    }

    /// Evaluate `jobs` (distinct, not evaluated yet): each from the replay when it holds it, the
    /// others computed in parallel and journaled, in `jobs` order.
    fn evaluate_jobs(
        &mut self,
        jobs: &[(Genome, &Arch)],
    ) -> Result<Vec<(Genome, std::result::Result<Evaluation, String>)>> {
        let (workload, objective) = (self.workload, self.objective);
        let mut out: Vec<Option<std::result::Result<Evaluation, String>>> = vec![None; jobs.len()];
        let mut todo = vec![];
        for (i, (g, arch)) in jobs.iter().enumerate() {
            let point = self.designs.space.point(g);
            match self.replay.and_then(|r| r.get(&point, arch, workload)) {
                Some(r) => {
                    out[i] = Some(r?);
                    self.replayed += 1;
                }
                None => todo.push(i),
            }
        }
        let computed: Vec<(usize, std::result::Result<Evaluation, String>)> = todo
            .par_iter()
            .map(|&i| {
                let arch = jobs[i].1;
                (
                    i,
                    evaluate_in(arch, workload, objective, SpaceBudget::SCREEN)
                        .map_err(|e| e.message),
                )
            })
            .collect();
        self.computed += computed.len();
        for (i, r) in computed {
            if let Some(j) = self.journal.as_deref_mut() {
                j.record(self.designs.space.point(&jobs[i].0), &r)?;
            }
            out[i] = Some(r);
        }
        if let Some(j) = self.journal.as_deref_mut() {
            j.flush()?;
        }
        Ok(jobs
            .iter()
            .zip(out)
            .map(|((g, _), r)| (*g, r.expect("every job answered")))
            .collect())
    }

    /// Run `strategy` (which must ignore outcomes) and evaluate only `shard`'s part of the distinct
    /// candidates it proposes, in the order of first appearance: the proposals are exactly those
    /// of a whole run with the same seed, so the shards' journals together hold every evaluation
    /// of that run. Nothing is ranked or re-simulated. Returns the distinct candidates of the
    /// whole run and how many this shard owns.
    pub fn run_shard(
        &mut self,
        strategy: &mut dyn Proposer,
        rng: &mut ChaCha8Rng,
        shard: Shard,
    ) -> Result<(usize, usize)> {
        if !strategy.ignores_outcomes() {
            return Err(Diagnostic::field(
                "--shard",
                crate::config::Strategy::SEQUENTIAL,
            ));
        }
        let mut seen: BTreeSet<Genome> = BTreeSet::new();
        let (mut asked, mut owned) = (0usize, 0usize);
        while asked < self.budget {
            tessera_core::interrupt::check()?;
            let n = strategy.batch().min(self.budget - asked).max(1);
            let batch = strategy.ask(&mut self.designs, rng, n)?;
            if batch.is_empty() || batch.len() > n {
                return Err(Diagnostic::internal(format!(
                    "internal error: a strategy asked for at most {n} candidates proposed {}",
                    batch.len()
                )));
            }
            asked += batch.len();
            let mut jobs: Vec<(Genome, Arch)> = vec![];
            for g in &batch {
                if !self.designs.classify(*g) {
                    return Err(Diagnostic::internal(
                        "internal error: a strategy that ignores outcomes proposed a point the \
                         screen refuses",
                    ));
                }
                if seen.insert(*g) && shard.owns(seen.len() - 1) {
                    owned += 1;
                    jobs.push((*g, self.designs.feasible[g].clone()));
                }
            }
            let refs: Vec<(Genome, &Arch)> = jobs.iter().map(|(g, a)| (*g, a)).collect();
            let results = self.evaluate_jobs(&refs)?;
            self.designs.memo.extend(results);
            (self.progress)(Phase::Explore, asked, self.budget);
        }
        if let Some(j) = self.journal.as_deref_mut() {
            j.end(owned)?;
        }
        Ok((seen.len(), owned))
    }

    /// Screen a batch, evaluate its new candidates in parallel, record it, and return each
    /// candidate's outcome in batch order.
    fn evaluate_batch(&mut self, batch: &[Genome]) -> Result<Vec<(Genome, Outcome)>> {
        let mut refused: BTreeMap<Genome, Outcome> = BTreeMap::new();
        let mut fresh: BTreeSet<Genome> = BTreeSet::new();
        let mut jobs: Vec<(Genome, Arch)> = vec![];
        for g in batch {
            if let Some(o) = self.designs.refusal(*g) {
                refused.insert(*g, o);
            }
        }
        for g in batch {
            if !refused.contains_key(g) && !self.designs.memo.contains_key(g) && fresh.insert(*g) {
                jobs.push((*g, self.designs.feasible[g].clone()));
            }
        }
        let refs: Vec<(Genome, &Arch)> = jobs.iter().map(|(g, a)| (*g, a)).collect();
        let results = self.evaluate_jobs(&refs)?;
        let objective = self.objective;
        self.designs.memo.extend(results);
        let mut out = Vec::with_capacity(batch.len());
        for g in batch {
            if let Some(&o) = refused.get(g) {
                out.push((*g, o));
                continue;
            }
            let ev = &self.designs.memo[g];
            let value = ev.as_ref().ok().map(|e| e.metrics.objective(objective));
            let violation = ev
                .as_ref()
                .ok()
                .and_then(|e| self.constraints.performance_violation(e));
            let outcome = match (value, &violation) {
                (Some(v), None) => Outcome::Feasible(v),
                (Some(v), Some(_)) => Outcome::Infeasible(Some(v)),
                (None, _) => Outcome::Unmappable,
            };
            if let Some(v) = outcome.feasible() {
                if self.best.is_none_or(|b| v < b) {
                    self.best = Some(v);
                }
            }
            let point = self.designs.space.point(g);
            self.history.push(HistoryEntry {
                index: self.history.len(),
                arch: point.name(),
                point,
                new: fresh.remove(g),
                objective: value,
                violation,
                best_so_far: self.best,
            });
            out.push((*g, outcome));
        }
        (self.progress)(Phase::Explore, self.history.len(), self.budget);
        Ok(out)
    }
}

/// Uniform random sampling (with replacement; invalid and infeasible points are redrawn).
pub(crate) struct RandomSearch;

impl Proposer for RandomSearch {
    fn batch(&self) -> usize {
        RANDOM_BATCH
    }

    fn ask(&mut self, d: &mut Designs, rng: &mut ChaCha8Rng, n: usize) -> Result<Vec<Genome>> {
        (0..n).map(|_| d.draw_feasible(rng)).collect()
    }

    fn tell(&mut self, _: &[(Genome, Outcome)]) {}

    fn ignores_outcomes(&self) -> bool {
        true
    }
}

/// The generational genetic algorithm of [`EvolutionParams`]: the first batch is the initial
/// population (novel random points), every later batch one generation's children.
pub(crate) struct Evolution {
    p: EvolutionParams,
    /// The population with its fitnesses (`None`: unmappable or over a limit); empty before the
    /// first tell.
    pop: Vec<(Genome, Option<f64>)>,
    /// How many of the (sorted) population the generation being evaluated keeps.
    elites: usize,
}

impl Evolution {
    pub fn new(p: &EvolutionParams) -> Self {
        Self {
            p: p.clone(),
            pop: vec![],
            elites: 0,
        }
    }

    fn tournament(&self, rng: &mut ChaCha8Rng, k: usize) -> Genome {
        let pop = &self.pop;
        let mut best = &pop[rng.random_range(0..pop.len())];
        for _ in 1..k {
            let c = &pop[rng.random_range(0..pop.len())];
            if fitness_cmp((c.1, &c.0), (best.1, &best.0)).is_lt() {
                best = c;
            }
        }
        best.0
    }

    fn make_child(
        &self,
        d: &mut Designs,
        rng: &mut ChaCha8Rng,
        pending: &[Genome],
    ) -> Result<Genome> {
        for _ in 0..CHILD_ATTEMPTS {
            let mut c = self.tournament(rng, self.p.tournament);
            if rng.random_bool(self.p.crossover_rate) {
                let other = self.tournament(rng, self.p.tournament);
                for (x, y) in c.iter_mut().zip(other) {
                    if rng.random_bool(0.5) {
                        *x = y;
                    }
                }
            }
            d.mutate(rng, &mut c);
            if d.classify(c) && !d.seen(&c, pending) {
                return Ok(c);
            }
        }
        d.draw_novel(rng, pending)
    }
}

impl Proposer for Evolution {
    fn batch(&self) -> usize {
        if self.pop.is_empty() {
            self.p.population
        } else {
            self.p.population - self.p.elites.min(self.pop.len())
        }
    }

    fn ask(&mut self, d: &mut Designs, rng: &mut ChaCha8Rng, n: usize) -> Result<Vec<Genome>> {
        let mut out = Vec::with_capacity(n);
        if self.pop.is_empty() {
            for _ in 0..n {
                let g = d.draw_novel(rng, &out)?;
                out.push(g);
            }
            return Ok(out);
        }
        self.pop
            .sort_by(|a, b| fitness_cmp((a.1, &a.0), (b.1, &b.0)));
        self.elites = self.p.elites.min(self.pop.len());
        for _ in 0..n {
            let c = self.make_child(d, rng, &out)?;
            out.push(c);
        }
        Ok(out)
    }

    fn tell(&mut self, results: &[(Genome, Outcome)]) {
        self.pop.truncate(self.elites);
        self.pop
            .extend(results.iter().map(|&(g, o)| (g, o.feasible())));
    }
}
