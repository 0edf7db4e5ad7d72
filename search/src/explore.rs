//! The exploration loop: proposing candidates (random or evolutionary), evaluating each batch in
//! parallel, and keeping the run's memo, counts and history.
//!
//! Determinism: every random choice is made on the calling thread from one ChaCha8 stream, before
//! the batch is handed to rayon; rayon only maps candidates to evaluations (pure functions) and the
//! results are combined in batch order. Batch sizes do not depend on the thread count, so the same
//! seed gives the same run on 1 thread or 64.

use crate::config::EvolutionParams;
use crate::eval::{evaluate_in, Evaluation, Objective};
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

/// Orders fitnesses: lower objective first, unmappable (`None`) last, then the genome.
pub(crate) fn fitness_cmp(a: (Option<f64>, &Genome), b: (Option<f64>, &Genome)) -> Ordering {
    let v = |x: Option<f64>| x.unwrap_or(f64::INFINITY);
    v(a.0).total_cmp(&v(b.0)).then(a.1.cmp(b.1))
}

pub(crate) struct Explorer<'a> {
    pub space: Space,
    base: &'a Arch,
    workload: &'a Workload,
    constraints: &'a Constraints,
    objective: Objective,
    budget: usize,
    progress: &'a (dyn Fn(Phase, usize, usize) + Sync),
    /// Validated, feasible candidates seen so far.
    pub feasible: BTreeMap<Genome, Arch>,
    /// Points rejected: `true` = invalid (validation), `false` = infeasible (constraints).
    rejected: BTreeMap<Genome, bool>,
    /// Evaluations made in this run (the error message when some layer could not be mapped).
    pub memo: BTreeMap<Genome, std::result::Result<Evaluation, String>>,
    pub history: Vec<HistoryEntry>,
    best: Option<f64>,
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
            space,
            base,
            workload,
            constraints,
            objective,
            budget,
            progress,
            feasible: BTreeMap::new(),
            rejected: BTreeMap::new(),
            memo: BTreeMap::new(),
            history: Vec::with_capacity(budget),
            best: None,
        }
    }

    pub fn invalid_skipped(&self) -> usize {
        self.rejected.values().filter(|&&invalid| invalid).count()
    }
    pub fn infeasible_skipped(&self) -> usize {
        self.rejected.values().filter(|&&invalid| !invalid).count()
    }
    pub fn unmappable(&self) -> usize {
        self.memo.values().filter(|r| r.is_err()).count()
    }

    fn remaining(&self) -> usize {
        self.budget - self.history.len()
    }

    /// Is `g` a valid accelerator that meets the constraints? Remembers the answer.
    fn classify(&mut self, g: Genome) -> bool {
        if self.feasible.contains_key(&g) {
            return true;
        }
        if self.rejected.contains_key(&g) {
            return false;
        }
        match self.space.point(&g).to_arch(self.base) {
            Err(_) => {
                self.rejected.insert(g, true);
                false
            }
            Ok(arch) if self.constraints.violation(&arch).is_some() => {
                self.rejected.insert(g, false);
                false
            }
            Ok(arch) => {
                self.feasible.insert(g, arch);
                true
            }
        }
    }

    fn seen(&self, g: &Genome, pending: &[Genome]) -> bool {
        self.memo.contains_key(g) || pending.contains(g)
    }

    fn uniform(&self, rng: &mut ChaCha8Rng) -> Genome {
        let mut g = [0u16; GENES];
        for (i, x) in g.iter_mut().enumerate() {
            *x = rng.random_range(0..self.space.len(i)) as u16;
        }
        g
    }

    /// A uniformly random feasible point (rejection sampling).
    fn draw_feasible(&mut self, rng: &mut ChaCha8Rng) -> Result<Genome> {
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
    fn draw_novel(&mut self, rng: &mut ChaCha8Rng, pending: &[Genome]) -> Result<Genome> {
        let mut g = self.draw_feasible(rng)?;
        for _ in 1..CHILD_ATTEMPTS {
            if !self.seen(&g, pending) {
                break;
            }
            g = self.draw_feasible(rng)?;
        }
        Ok(g)
    }

    /// Evaluate a batch (new candidates in parallel), record it, and return each one's objective.
    fn evaluate_batch(&mut self, batch: &[Genome]) -> Vec<Option<f64>> {
        let mut fresh: BTreeSet<Genome> = BTreeSet::new();
        let mut jobs: Vec<(Genome, &Arch)> = vec![];
        for g in batch {
            if !self.memo.contains_key(g) && fresh.insert(*g) {
                let arch = self
                    .feasible
                    .get(g)
                    .expect("only feasible candidates are proposed");
                jobs.push((*g, arch));
            }
        }
        let (workload, objective) = (self.workload, self.objective);
        let results: Vec<(Genome, std::result::Result<Evaluation, String>)> = jobs
            .par_iter()
            .map(|(g, arch)| {
                (
                    *g,
                    evaluate_in(arch, workload, objective, SpaceBudget::SCREEN)
                        .map_err(|e| e.message),
                )
            })
            .collect();
        self.memo.extend(results);
        let mut out = Vec::with_capacity(batch.len());
        for g in batch {
            let ev = &self.memo[g];
            let value = ev.as_ref().ok().map(|e| e.metrics.objective(objective));
            if let Some(v) = value {
                if self.best.is_none_or(|b| v < b) {
                    self.best = Some(v);
                }
            }
            let point = self.space.point(g);
            self.history.push(HistoryEntry {
                index: self.history.len(),
                arch: point.name(),
                point,
                new: fresh.remove(g),
                objective: value,
                best_so_far: self.best,
            });
            out.push(value);
        }
        (self.progress)(Phase::Explore, self.history.len(), self.budget);
        out
    }

    /// Uniform random sampling until the budget is spent.
    pub fn run_random(&mut self, rng: &mut ChaCha8Rng) -> Result<()> {
        while self.remaining() > 0 {
            let n = RANDOM_BATCH.min(self.remaining());
            let mut batch = Vec::with_capacity(n);
            for _ in 0..n {
                batch.push(self.draw_feasible(rng)?);
            }
            self.evaluate_batch(&batch);
        }
        Ok(())
    }

    /// The generational genetic algorithm until the budget is spent.
    pub fn run_evolutionary(&mut self, rng: &mut ChaCha8Rng, p: &EvolutionParams) -> Result<()> {
        let mut init = Vec::with_capacity(p.population);
        for _ in 0..p.population.min(self.remaining()) {
            let g = self.draw_novel(rng, &init)?;
            init.push(g);
        }
        let fit = self.evaluate_batch(&init);
        let mut pop: Vec<(Genome, Option<f64>)> = init.into_iter().zip(fit).collect();
        while self.remaining() > 0 {
            pop.sort_by(|a, b| fitness_cmp((a.1, &a.0), (b.1, &b.0)));
            let elites = p.elites.min(pop.len());
            let n = (p.population - elites).min(self.remaining());
            let mut children = Vec::with_capacity(n);
            for _ in 0..n {
                let c = self.make_child(rng, &pop, p, &children)?;
                children.push(c);
            }
            let fit = self.evaluate_batch(&children);
            pop.truncate(elites);
            pop.extend(children.into_iter().zip(fit));
        }
        Ok(())
    }

    fn tournament(&self, rng: &mut ChaCha8Rng, pop: &[(Genome, Option<f64>)], k: usize) -> Genome {
        let mut best = &pop[rng.random_range(0..pop.len())];
        for _ in 1..k {
            let c = &pop[rng.random_range(0..pop.len())];
            if fitness_cmp((c.1, &c.0), (best.1, &best.0)).is_lt() {
                best = c;
            }
        }
        best.0
    }

    /// Move one parameter (among those with more than one value) to a neighbouring value.
    fn mutate(&self, rng: &mut ChaCha8Rng, g: &mut Genome) {
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

    fn make_child(
        &mut self,
        rng: &mut ChaCha8Rng,
        pop: &[(Genome, Option<f64>)],
        p: &EvolutionParams,
        pending: &[Genome],
    ) -> Result<Genome> {
        for _ in 0..CHILD_ATTEMPTS {
            let mut c = self.tournament(rng, pop, p.tournament);
            if rng.random_bool(p.crossover_rate) {
                let other = self.tournament(rng, pop, p.tournament);
                for (x, y) in c.iter_mut().zip(other) {
                    if rng.random_bool(0.5) {
                        *x = y;
                    }
                }
            }
            self.mutate(rng, &mut c);
            if self.classify(c) && !self.seen(&c, pending) {
                return Ok(c);
            }
        }
        self.draw_novel(rng, pending)
    }
}
