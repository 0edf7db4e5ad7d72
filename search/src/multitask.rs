//! Multi-task, heterogeneous co-design (NASAIC): several networks, each with a latency spec, on a
//! system of up to `max_subaccelerators` sub-accelerators chosen together — how many, each one's
//! dataflow, array and buffers, each one's share of the DRAM bandwidth, and which network runs
//! where — within one budget of PEs, SRAM and area.
//!
//! What it models. A system is a set of sub-accelerators, each a design point of the
//! [`SearchSpace`] built from the base accelerator, that run concurrently. The DRAM channel of the
//! base (`W` bytes per cycle) is reached in one of two ways ([`DramMode`]).
//!
//! **Partitioned** (the default): the channel is divided statically. Sub-accelerator `i` gets
//! `max(1, ⌊W × wᵢ / Σw⌋)` bytes per cycle for its share weight `wᵢ` (from `share_weights`); when
//! raising small shares to 1 pushes the sum over `W`, the largest shares give up a byte each until
//! it fits, so the shares never sum to more than `W` (a system whose sub-accelerators outnumber `W`
//! is infeasible). With static partitions a sub-accelerator never waits for another one, so each one
//! is exactly an ordinary Tessera accelerator with a narrower DRAM: the analytical model, the
//! cycle simulator and the Verilog of each are the ones the rest of Tessera validates and
//! verifies. The networks assigned to one sub-accelerator run one after another in task order; a
//! task's latency is its finish time (the cycles of the tasks before it on its sub-accelerator plus
//! its own). Energy is the sum over tasks; the system's latency is the last finish; resources are
//! summed over the sub-accelerators in use.
//!
//! **Shared** (`dram: Shared`, `--dram shared`): every sub-accelerator sees the whole channel, `W`
//! bytes per cycle, granted transfer by transfer, first come first served (docs/TIMING.md,
//! "Systems"); the share genes are ignored (held at one value, so equal systems memoise equally).
//! A sub-accelerator now waits for the others, and its tasks' latencies come from the analytical
//! contention estimate of `tessera_sim::system`: per (design, task) the layers' segments (cycles
//! alone and channel holds, with the mapper's mappings) are memoised; a sub-accelerator's segments
//! are its tasks' in task order; `contention_segments` stretches every layer by its expected waits
//! for the other sub-accelerators' transfers while they run, and a task finishes where its last
//! layer ends. Energy is unchanged by contention (a wait costs no energy in the model). The best
//! system — and the baseline's — is then simulated cycle by cycle as one shared system
//! (`simulate_system_report`, event engine), and each sub-accelerator's simulated cycles and the
//! estimate's error are reported; a task's own simulated finish inside its sub-accelerator's run is
//! not observed, so per task only the estimate is given. The estimate is an approximation (its
//! waits assume independent transfers, no queue behind more than one waiting transfer, and that
//! every wait delays the layer; see `tessera_sim::system`): the search ranks systems by it, so a
//! system it ranks best may not be the simulator's best, and a spec met by the estimate may be
//! missed in simulation (`tessera multitask` prints the error and says so; on dqn and mlp_small
//! over `ws_16x16`, 400 systems, the best system's estimate was 1.8 % and 15.7 % under the
//! simulator's cycles). `--export` writes the system file and its Verilog
//! (`emit_system`: the sub-accelerators, the arbiter and the system top), `--verify` checks that
//! Verilog against the simulator under Verilator (`tessera_verif::verify_system`).
//!
//! The search is a genetic algorithm over whole systems (as NAAS, with NASAIC's multi-task
//! fitness): tournament selection, uniform crossover of sub-accelerators and assignments, mutation
//! of one design gene, one assignment or (partitioned) one share; elitism. Candidates that exceed the budget are
//! redrawn; among the rest, those that miss a latency spec rank after every one that meets all, by
//! their total relative excess, so the search is pulled towards the specs. Every (design, share,
//! network) evaluation is memoised and computed in parallel per generation; the run is
//! deterministic for its seed whatever the thread count.
//!
//! The baseline NASAIC argues against, "design each part separately, then combine", is computed
//! beside it: each network's best design alone (a single-task search within the whole budget and
//! with its latency spec, with the whole DRAM), then the designs combined into one system whose
//! DRAM is split equally (partitioned) or shared whole (shared, re-simulated like the best); the
//! report shows each task's spec status and the budget used.
//!
//! What it leaves out: with a partitioned DRAM, contention (unused bandwidth of an idle
//! sub-accelerator is not lent to the others — a conservative, real design choice), and a
//! top-level Verilog wrapper (each sub-accelerator exports and verifies on its own, which with
//! static partitions is the whole system's behaviour); with a shared one, the exact contention in
//! the search (the estimate above; only the best systems are simulated); in both, one network per
//! sub-accelerator at a time (no layer-level interleaving or splitting a network across
//! sub-accelerators), no inter-sub-accelerator traffic, and energy without leakage, so an idle
//! sub-accelerator costs nothing.

use crate::config::EvolutionParams;
use crate::eval::{evaluate_in, Evaluation, Objective};
use crate::space::{Constraints, DesignPoint, Genome, SearchSpace, Space, GENES};
use crate::{SearchConfig, Strategy};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tessera_arch::{Arch, ArchSpec};
use tessera_core::diag::{ensure, Diagnostic, Result};
use tessera_mapping::{Mapping, MappingSpec, SpaceBudget};
use tessera_sim::system::{contention_segments, simulate_system_report, Segment};
use tessera_sim::Engine;
use tessera_workloads::Workload;

/// The most sub-accelerators a system may have.
pub const MAX_SUBACCELERATORS: usize = 8;
/// Redraws of a child or a random system that exceeds the budget before giving up.
const DRAWS: usize = 10_000;

/// How the sub-accelerators reach the base accelerator's DRAM channel of `W` bytes per cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DramMode {
    /// Each gets a static share of `W`, chosen by its share gene (module docs).
    #[default]
    Partitioned,
    /// All of them share the whole channel, arbitrated transfer by transfer, first come first
    /// served (docs/TIMING.md, "Systems"); the share genes are ignored.
    Shared,
}

impl DramMode {
    pub fn is_partitioned(&self) -> bool {
        *self == DramMode::Partitioned
    }
}

/// One network of a multi-task run, and its latency spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// A built-in workload name or a workload file (resolved by the caller).
    pub workload: String,
    /// The task's latency spec: its finish time, in cycles, at most this.
    #[serde(default)]
    pub max_cycles: Option<u64>,
}

/// A multi-task run, loadable from RON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiTaskConfig {
    pub tasks: Vec<Task>,
    /// Sub-accelerators the system may have (1..=8); the search chooses how many it uses.
    pub max_subaccelerators: usize,
    /// The candidate values of every sub-accelerator's parameters.
    pub space: SearchSpace,
    /// The whole system's budget: `max_pes`, `max_sram_bytes`, `max_area_um2` (summed over the
    /// sub-accelerators). Per-task latency specs are in `tasks`; `max_cycles` and `max_energy_pj`
    /// are refused here.
    pub budget: Constraints,
    /// Share weights a sub-accelerator's DRAM share is chosen from (`Partitioned` only).
    #[serde(default = "default_weights")]
    pub share_weights: Vec<u32>,
    /// A static partition of the DRAM channel (the default) or the whole channel shared.
    #[serde(default)]
    pub dram: DramMode,
    /// What the system minimises among designs that meet every spec: `Energy` (total), `Latency`
    /// (the last task's finish) or `Edp` (their product).
    pub objective: Objective,
    #[serde(default)]
    pub evolution: EvolutionParams,
    /// Systems evaluated (duplicates included).
    pub evaluations: usize,
    pub seed: u64,
}

fn default_weights() -> Vec<u32> {
    vec![1, 2, 3, 4]
}

impl MultiTaskConfig {
    /// The default run for `tasks` around `base`: the single-task search's default space and
    /// budget ([`SearchConfig::default_for`]), up to three sub-accelerators, energy, 2,000 systems.
    pub fn default_for(base: &Arch, tasks: Vec<Task>) -> MultiTaskConfig {
        let single = SearchConfig::default_for(base);
        MultiTaskConfig {
            tasks,
            max_subaccelerators: 3,
            space: single.space,
            budget: single.constraints,
            share_weights: default_weights(),
            dram: DramMode::Partitioned,
            objective: Objective::Energy,
            evolution: EvolutionParams {
                population: 32,
                tournament: 3,
                crossover_rate: 0.5,
                elites: 4,
            },
            evaluations: 2000,
            seed: 1,
        }
    }

    /// Check every field; errors name it.
    pub fn validate(&self) -> Result<()> {
        ensure(!self.tasks.is_empty(), "tasks", || {
            "must list at least one task".into()
        })?;
        ensure(self.tasks.len() <= 64, "tasks", || {
            format!("lists {} tasks; at most 64 are allowed", self.tasks.len())
        })?;
        ensure(
            (1..=MAX_SUBACCELERATORS).contains(&self.max_subaccelerators),
            "max_subaccelerators",
            || {
                format!(
                    "must be between 1 and {MAX_SUBACCELERATORS}, got {}",
                    self.max_subaccelerators
                )
            },
        )?;
        self.space.validate().map_err(|e| e.under("space"))?;
        self.budget.validate().map_err(|e| e.under("budget"))?;
        ensure(
            self.budget.max_cycles.is_none()
                && self.budget.max_energy_pj.is_none()
                && self.budget.max_power_mw.is_none(),
            "budget",
            || {
                "max_cycles, max_energy_pj and max_power_mw are not system-wide limits here: \
                 give tasks[i].max_cycles"
                    .into()
            },
        )?;
        ensure(
            !self.share_weights.is_empty() && self.share_weights.len() <= 16,
            "share_weights",
            || "must list between 1 and 16 weights".into(),
        )?;
        for (i, &w) in self.share_weights.iter().enumerate() {
            ensure(
                (1..=1000).contains(&w),
                &format!("share_weights[{i}]"),
                || format!("must be between 1 and 1000, got {w}"),
            )?;
        }
        self.evolution
            .validate()
            .map_err(|e| e.under("evolution"))?;
        ensure(
            (1..=crate::config::MAX_EVALUATIONS).contains(&self.evaluations),
            "evaluations",
            || {
                format!(
                    "must be between 1 and {}, got {}",
                    crate::config::MAX_EVALUATIONS,
                    self.evaluations
                )
            },
        )?;
        for (i, t) in self.tasks.iter().enumerate() {
            if let Some(c) = t.max_cycles {
                ensure(c >= 1, &format!("tasks[{i}].max_cycles"), || {
                    "must be at least 1".into()
                })?;
            }
        }
        Ok(())
    }
}

/// A system: per slot, a design and a share-weight index; per task, its slot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct System {
    slots: Vec<(Genome, u16)>,
    assign: Vec<u8>,
}

/// One (design, DRAM share, task) evaluation, by the analytical model with the mapper.
#[derive(Clone, Debug, PartialEq)]
struct TaskEval {
    cycles: u64,
    energy_pj: f64,
    mappings: Vec<Mapping>,
    /// Per layer, what the contention estimate needs (`Shared` only; empty when partitioned).
    segments: Vec<Segment>,
}

impl TaskEval {
    /// The figures of `ev`, `arch`'s evaluation on `w`, with its layers' segments when `dram` is
    /// shared.
    fn of(arch: &Arch, w: &Workload, ev: &Evaluation, dram: DramMode) -> Result<TaskEval> {
        let segments = match dram {
            DramMode::Partitioned => vec![],
            DramMode::Shared => w
                .layers
                .iter()
                .zip(&ev.layers)
                .map(|(l, c)| {
                    Segment::of(&tessera_mapping::Problem::new(l, arch)?, arch, &c.mapping)
                })
                .collect::<Result<_>>()?,
        };
        Ok(TaskEval {
            cycles: ev.metrics.cycles,
            energy_pj: ev.metrics.energy_pj,
            mappings: ev.layers.iter().map(|l| l.mapping).collect(),
            segments,
        })
    }
}

type EvalKey = (Genome, u64, usize);

/// A sub-accelerator of the reported system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubAccelerator {
    pub name: String,
    pub point: DesignPoint,
    pub dram_bytes_per_cycle: u64,
    /// The validated description, ready to be written as RON, exported and verified.
    pub arch: ArchSpec,
    pub pes: u64,
    pub sram_bytes: u64,
    pub area_um2: f64,
    /// The tasks it runs, in order.
    pub tasks: Vec<String>,
    /// Its figures on the shared channel (`Shared` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contention: Option<SubContention>,
}

/// A sub-accelerator's cycles on a shared DRAM channel: its tasks back to back, alone and with the
/// others, by the contention estimate and, for a re-simulated system, by the cycle simulator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubContention {
    /// Its tasks' cycles with the channel to itself, summed (the analytical model).
    pub alone_cycles: u64,
    /// With the other sub-accelerators on the channel, by the contention estimate
    /// (`tessera_sim::system::contention`): its last task's finish.
    pub estimated_cycles: u64,
    /// With the others, by the cycle simulator (event engine), when re-simulated.
    pub simulated_cycles: Option<u64>,
    /// Alone, by the cycle simulator, when re-simulated (equal to `alone_cycles`).
    pub simulated_alone_cycles: Option<u64>,
    /// `(estimated - simulated) / simulated`, in %, when re-simulated.
    pub estimate_error_pct: Option<f64>,
}

/// One task of a reported system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskReport {
    pub workload: String,
    /// The sub-accelerator it runs on (`None` in a baseline whose design for it does not exist).
    pub subaccelerator: Option<String>,
    pub start_cycle: u64,
    /// Its cycles on its sub-accelerator: alone (`Partitioned`), or with the contention estimate's
    /// waits for the shared channel (`Shared`). `finish_cycle = start_cycle + cycles`.
    pub cycles: u64,
    pub finish_cycle: u64,
    pub energy_pj: f64,
    pub max_cycles: Option<u64>,
    pub meets_spec: bool,
    /// The per-layer mappings (the mapper's choice).
    pub mappings: Vec<Mapping>,
    /// Cycles by the cycle-level simulator (event engine, all layers), when re-simulated with a
    /// partitioned DRAM. With a shared channel the simulator gives each sub-accelerator's finish,
    /// not each task's (a task's own end inside its sub-accelerator's run is not observed), so this
    /// is `None` and the figures are [`SubContention::simulated_cycles`].
    pub simulated_cycles: Option<u64>,
}

/// A whole system's figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SystemReport {
    pub subaccelerators: Vec<SubAccelerator>,
    pub tasks: Vec<TaskReport>,
    /// The last task's finish.
    pub latency_cycles: u64,
    pub energy_pj: f64,
    pub edp_cycles_pj: f64,
    pub pes: u64,
    pub sram_bytes: u64,
    pub area_um2: f64,
    /// Summed over the sub-accelerators (`Partitioned`), or the one channel's (`Shared`).
    pub dram_bytes_per_cycle: u64,
    /// The last sub-accelerator's finish by the cycle simulator on the shared channel, when
    /// re-simulated (`Shared` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulated_latency_cycles: Option<u64>,
    /// Every task meets its spec.
    pub meets_specs: bool,
    /// The budget's first violation, described (`None`: within budget).
    pub over_budget: Option<String>,
}

/// The "design each part separately, then combine" baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeparateBaseline {
    /// Each task's design alone (whole budget, whole DRAM), and its latency there.
    pub alone: Vec<(String, Option<u64>)>,
    /// The designs combined, every task on its own design, the DRAM split equally (`Partitioned`)
    /// or shared whole and re-simulated (`Shared`); `None` when some task has no design that meets
    /// its spec within the budget even alone.
    pub combined: Option<SystemReport>,
    /// Why there is no combined system.
    pub note: Option<String>,
}

/// What a multi-task run reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MultiTaskResult {
    pub objective: Objective,
    #[serde(skip_serializing_if = "DramMode::is_partitioned")]
    pub dram: DramMode,
    pub seed: u64,
    pub evaluations: usize,
    pub distinct_systems: usize,
    /// (design, share, task) evaluations made by the analytical model.
    pub task_evaluations: usize,
    /// The best system found (re-simulated cycle by cycle: each task alone on its sub-accelerator
    /// with a partitioned DRAM, the whole system together with a shared one): the lowest objective
    /// among those that meet every spec, else the one that misses them by the least (`meets_specs`
    /// says which).
    /// A run in which no system maps every task is an error.
    pub best: SystemReport,
    pub baseline: SeparateBaseline,
    /// The best objective of a spec-meeting system after each generation (`None` before one).
    pub best_so_far: Vec<Option<f64>>,
}

struct Ctx<'a> {
    cfg: &'a MultiTaskConfig,
    base: &'a Arch,
    workloads: &'a [Workload],
    space: Space,
    dram: u64,
}

impl Ctx<'_> {
    /// The DRAM share of each used slot (in slot order), or why the DRAM cannot be split.
    fn shares(&self, s: &System) -> std::result::Result<BTreeMap<usize, u64>, String> {
        let used = used_slots(s);
        if self.cfg.dram == DramMode::Shared {
            return Ok(used.into_iter().map(|j| (j, self.dram)).collect());
        }
        let total: u64 = used
            .iter()
            .map(|&j| u64::from(self.cfg.share_weights[usize::from(s.slots[j].1)]))
            .sum();
        if used.len() as u64 > self.dram {
            return Err(format!(
                "{} sub-accelerators cannot share a DRAM of {} B/cycle",
                used.len(),
                self.dram
            ));
        }
        let mut shares: BTreeMap<usize, u64> = used
            .iter()
            .map(|&j| {
                let w = u64::from(self.cfg.share_weights[usize::from(s.slots[j].1)]);
                (j, (self.dram * w / total).max(1))
            })
            .collect();
        // Raising a share that rounds to 0 to 1 B/cycle can push the sum over the channel (W = 3,
        // weights 1, 1, 1000: 1 + 1 + 2): the largest shares (the first of equal ones) give up a
        // byte each until it fits. A largest share is above 1 then, since `used.len() <= W`.
        let mut sum: u64 = shares.values().sum();
        while sum > self.dram {
            let Some((&j, _)) = shares.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
                break;
            };
            if let Some(x) = shares.get_mut(&j) {
                *x -= 1;
            }
            sum -= 1;
        }
        Ok(shares)
    }

    fn arch(&self, g: &Genome, share: u64, slot: usize) -> Result<Arch> {
        let point = self.space.point(g);
        let mut spec = point.to_arch_spec(self.base);
        spec.name = prefixed(&format!("sub{slot}_"), &spec.name);
        spec.dram.bytes_per_cycle = share as i64;
        Ok(spec.validate()?.with_tech(self.base.tech().clone()))
    }

    /// The sub-accelerators of `s` (validated), or why it has none / exceeds the budget.
    fn build(&self, s: &System) -> std::result::Result<Vec<(usize, Arch)>, String> {
        let shares = self.shares(s)?;
        let mut out = vec![];
        let (mut pes, mut sram, mut area) = (0u64, 0u64, 0f64);
        for (&j, &share) in &shares {
            let a = self.arch(&s.slots[j].0, share, j).map_err(|e| e.message)?;
            pes = pes.saturating_add(a.pes());
            sram = sram.saturating_add(a.sram_bytes().get());
            area += tessera_sim::area::Area::of(&a).total_um2;
            out.push((j, a));
        }
        if let Some(v) = budget_violation(&self.cfg.budget, pes, sram, area) {
            return Err(v);
        }
        Ok(out)
    }

    fn random_system(&self, rng: &mut ChaCha8Rng) -> System {
        let k = self.cfg.max_subaccelerators;
        let slots = (0..k)
            .map(|_| {
                let mut g = [0u16; GENES];
                for (i, x) in g.iter_mut().enumerate() {
                    *x = rng.random_range(0..self.space.len(i)) as u16;
                }
                // a shared channel has no shares: one value, so that equal systems are equal
                let share = match self.cfg.dram {
                    DramMode::Partitioned => rng.random_range(0..self.cfg.share_weights.len()),
                    DramMode::Shared => 0,
                };
                (g, share as u16)
            })
            .collect();
        let assign = (0..self.workloads.len())
            .map(|_| rng.random_range(0..k) as u8)
            .collect();
        System { slots, assign }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> Result<System> {
        for _ in 0..DRAWS {
            let s = self.random_system(rng);
            if self.build(&s).is_ok() {
                return Ok(s);
            }
        }
        Err(Diagnostic::new(format!(
            "no system within the budget was found in {DRAWS} random draws: widen the space or \
             the budget, or allow fewer sub-accelerators"
        )))
    }

    fn mutate(&self, rng: &mut ChaCha8Rng, s: &mut System) {
        let k = s.slots.len();
        // a design gene, an assignment or (partitioned only) a share
        let kinds = match self.cfg.dram {
            DramMode::Partitioned => 3,
            DramMode::Shared => 2,
        };
        match rng.random_range(0..kinds) {
            0 => {
                let used = used_slots(s);
                let j = used[rng.random_range(0..used.len())];
                let genes: Vec<usize> = (0..GENES).filter(|&i| self.space.len(i) > 1).collect();
                if genes.is_empty() {
                    return;
                }
                let i = genes[rng.random_range(0..genes.len())];
                let g = &mut s.slots[j].0;
                let last = (self.space.len(i) - 1) as u16;
                g[i] = if g[i] == 0 {
                    1
                } else if g[i] == last || rng.random_bool(0.5) {
                    g[i] - 1
                } else {
                    g[i] + 1
                };
            }
            1 => {
                let t = rng.random_range(0..s.assign.len());
                s.assign[t] = rng.random_range(0..k) as u8;
            }
            _ => {
                let j = rng.random_range(0..k);
                s.slots[j].1 = rng.random_range(0..self.cfg.share_weights.len()) as u16;
            }
        }
    }
}

/// A point's name with `prefix` (at most 5 characters) in place of its `cand_`: a point's name has
/// at most 48 characters (see [`DesignPoint::name`]), and so has the prefixed one.
fn prefixed(prefix: &str, name: &str) -> String {
    format!("{prefix}{}", name.strip_prefix("cand_").unwrap_or(name))
}

fn used_slots(s: &System) -> Vec<usize> {
    let mut u: Vec<usize> = s.assign.iter().map(|&j| usize::from(j)).collect();
    u.sort_unstable();
    u.dedup();
    u
}

fn budget_violation(b: &Constraints, pes: u64, sram: u64, area: f64) -> Option<String> {
    if let Some(m) = b.max_pes.filter(|&m| pes > m) {
        return Some(format!("{pes} PEs exceed max_pes = {m}"));
    }
    if let Some(m) = b.max_sram_bytes.filter(|&m| sram > m) {
        return Some(format!("{sram} B of SRAM exceed max_sram_bytes = {m}"));
    }
    if let Some(m) = b.max_area_um2.filter(|&m| area > m) {
        return Some(format!("{area:.0} µm² exceed max_area_um2 = {m}"));
    }
    None
}

/// The figures of a system of `subs` (slot, arch) with tasks assigned by `assign` and evaluated
/// as `eval(slot index in subs, task)`.
fn report(
    cfg: &MultiTaskConfig,
    workloads: &[Workload],
    subs: &[(usize, Arch)],
    assign: &[usize],
    eval: &dyn Fn(usize, usize) -> TaskEval,
) -> Result<SystemReport> {
    let on: Vec<usize> = assign
        .iter()
        .map(|slot| {
            subs.iter()
                .position(|(j, _)| j == slot)
                .ok_or_else(|| Diagnostic::internal("internal error: a task on an unused slot"))
        })
        .collect::<Result<_>>()?;
    let evals: Vec<TaskEval> = on.iter().enumerate().map(|(t, &si)| eval(si, t)).collect();
    let (times, mut contention) = timeline(cfg.dram, subs.len(), &on, &evals)?;
    let mut tasks = vec![];
    let mut per_sub: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (((t, w), e), (start, finish)) in workloads.iter().enumerate().zip(evals).zip(times) {
        let si = on[t];
        per_sub.entry(si).or_default().push(w.name.clone());
        let spec = cfg.tasks[t].max_cycles;
        tasks.push(TaskReport {
            workload: w.name.clone(),
            subaccelerator: Some(subs[si].1.name().to_string()),
            start_cycle: start,
            cycles: finish - start,
            finish_cycle: finish,
            energy_pj: e.energy_pj,
            max_cycles: spec,
            meets_spec: spec.is_none_or(|m| finish <= m),
            mappings: e.mappings,
            simulated_cycles: None,
        });
    }
    let subaccelerators: Vec<SubAccelerator> = subs
        .iter()
        .enumerate()
        .map(|(si, (_, a))| SubAccelerator {
            name: a.name().to_string(),
            point: DesignPoint::of(a),
            dram_bytes_per_cycle: a.spec().dram.bytes_per_cycle as u64,
            arch: a.spec().clone(),
            pes: a.pes(),
            sram_bytes: a.sram_bytes().get(),
            area_um2: tessera_sim::area::Area::of(a).total_um2,
            tasks: per_sub.remove(&si).unwrap_or_default(),
            contention: contention.as_mut().map(|c| c[si].clone()),
        })
        .collect();
    let latency = tasks.iter().map(|t| t.finish_cycle).max().unwrap_or(0);
    let energy: f64 = tasks.iter().map(|t| t.energy_pj).sum();
    let pes = subaccelerators.iter().map(|s| s.pes).sum();
    let sram = subaccelerators.iter().map(|s| s.sram_bytes).sum();
    let area = subaccelerators.iter().map(|s| s.area_um2).sum();
    Ok(SystemReport {
        meets_specs: tasks.iter().all(|t| t.meets_spec),
        over_budget: budget_violation(&cfg.budget, pes, sram, area),
        dram_bytes_per_cycle: match cfg.dram {
            DramMode::Partitioned => subaccelerators.iter().map(|s| s.dram_bytes_per_cycle).sum(),
            DramMode::Shared => subaccelerators
                .first()
                .map_or(0, |s| s.dram_bytes_per_cycle),
        },
        simulated_latency_cycles: None,
        subaccelerators,
        tasks,
        latency_cycles: latency,
        energy_pj: energy,
        edp_cycles_pj: latency as f64 * energy,
        pes,
        sram_bytes: sram,
        area_um2: area,
    })
}

/// Each task's (start, finish) on its sub-accelerator (`on[t]`, an index of the system's `subs`
/// sub-accelerators), its tasks back to back in task order, and with a shared channel each
/// sub-accelerator's contention figures. Partitioned, a task takes its cycles alone. Shared, every
/// layer takes its duration stretched by the contention estimate over the whole system's layers
/// (`contention_segments`), and a task ends where its last layer does (rounded, never before its
/// cycles alone): the last task's finish is then the sub-accelerator's estimate.
#[allow(clippy::type_complexity)]
fn timeline(
    dram: DramMode,
    subs: usize,
    on: &[usize],
    evals: &[TaskEval],
) -> Result<(Vec<(u64, u64)>, Option<Vec<SubContention>>)> {
    let overflow = || Diagnostic::new("task finish time overflows u64");
    let mut clock = vec![0u64; subs];
    let mut times = vec![];
    if dram == DramMode::Partitioned {
        for (e, &si) in evals.iter().zip(on) {
            let start = clock[si];
            clock[si] = start.checked_add(e.cycles).ok_or_else(overflow)?;
            times.push((start, clock[si]));
        }
        return Ok((times, None));
    }
    let tasks_of = |si: usize| (0..evals.len()).filter(move |&t| on[t] == si);
    let segments: Vec<Vec<Segment>> = (0..subs)
        .map(|si| {
            tasks_of(si)
                .flat_map(|t| evals[t].segments.iter().copied())
                .collect()
        })
        .collect();
    let stretched = contention_segments(&segments);
    // per sub-accelerator: the stretched layers still to place, their running sum, the cycles
    // alone so far
    let mut next: Vec<std::slice::Iter<f64>> = stretched.iter().map(|d| d.iter()).collect();
    let mut sum = vec![0f64; subs];
    let mut alone = vec![0u64; subs];
    for (e, &si) in evals.iter().zip(on) {
        let start = clock[si];
        // one running sum, in the order `contention` adds the same durations
        for d in next[si].by_ref().take(e.segments.len()) {
            sum[si] += d;
        }
        alone[si] = alone[si].checked_add(e.cycles).ok_or_else(overflow)?;
        clock[si] = (sum[si].round() as u64).max(alone[si]).max(start);
        times.push((start, clock[si]));
    }
    let figures = (0..subs)
        .map(|si| SubContention {
            alone_cycles: alone[si],
            estimated_cycles: clock[si],
            simulated_cycles: None,
            simulated_alone_cycles: None,
            estimate_error_pct: None,
        })
        .collect();
    Ok((times, Some(figures)))
}

fn objective_of(o: Objective, r: &SystemReport) -> f64 {
    o.value(r.latency_cycles, r.energy_pj)
}

/// Total relative excess over the latency specs (0 when every spec is met).
fn excess(r: &SystemReport) -> f64 {
    r.tasks
        .iter()
        .filter_map(|t| {
            t.max_cycles
                .map(|m| (t.finish_cycle as f64 / m as f64 - 1.0).max(0.0))
        })
        .sum()
}

fn eval_task(
    arch: &Arch,
    w: &Workload,
    objective: Objective,
    budget: SpaceBudget,
    dram: DramMode,
) -> std::result::Result<TaskEval, String> {
    // A task's own mapping objective: latency when the system minimises latency, else the
    // system's objective (energy, or EDP per layer).
    evaluate_in(arch, w, objective, budget)
        .and_then(|e| TaskEval::of(arch, w, &e, dram))
        .map_err(|e| e.message)
}

/// The mapper's settings that give a shared system's simulation the mappings the search
/// evaluated it with: every tile free, for the run's objective (the full mapping space).
pub fn shared_mapping_spec(objective: Objective) -> MappingSpec {
    MappingSpec {
        objective: Some(objective),
        ..MappingSpec::default()
    }
}

/// The name of a shared system (its Verilog top's prefix).
pub const SHARED_SYSTEM_NAME: &str = "multitask";

/// The system of `r` on one shared channel, as `tessera system` runs it: each sub-accelerator
/// with the workloads of its tasks, in task order (`workloads` in task order).
pub fn shared_system(
    r: &SystemReport,
    workloads: &[Workload],
) -> Result<tessera_sim::system::System> {
    if workloads.len() != r.tasks.len() {
        return Err(Diagnostic::internal(
            "internal error: one workload per task expected",
        ));
    }
    let subs = r
        .subaccelerators
        .iter()
        .map(|sub| {
            let ws = r
                .tasks
                .iter()
                .zip(workloads)
                .filter(|(t, _)| t.subaccelerator.as_deref() == Some(sub.name.as_str()))
                .map(|(_, w)| w.clone())
                .collect();
            (sub.arch.clone(), ws)
        })
        .collect();
    tessera_sim::system::System::new(SHARED_SYSTEM_NAME, None, subs)
}

/// Simulate the shared system of `r` cycle by cycle (event engine, operands from `seed`, the
/// mappings of `objective`) and fill in each sub-accelerator's simulated cycles and the estimate's
/// error. A simulated output that differs from the reference is an internal error.
fn resimulate_shared(
    r: &mut SystemReport,
    workloads: &[Workload],
    objective: Objective,
    seed: u64,
) -> Result<()> {
    let sys = shared_system(r, workloads)?;
    let sim = simulate_system_report(&sys, &shared_mapping_spec(objective), Engine::Event, seed)?;
    if !sim.matches_reference {
        return Err(Diagnostic::internal(
            "simulator bug: a shared system's outputs differ from the host's execution",
        ));
    }
    for (sub, s) in r.subaccelerators.iter_mut().zip(&sim.subs) {
        let c = sub.contention.as_mut().ok_or_else(|| {
            Diagnostic::internal("internal error: a shared system without figures")
        })?;
        c.simulated_cycles = Some(s.cycles);
        c.simulated_alone_cycles = Some(s.alone_cycles);
        c.estimate_error_pct =
            Some((c.estimated_cycles as f64 - s.cycles as f64) / s.cycles.max(1) as f64 * 100.0);
    }
    r.simulated_latency_cycles = Some(sim.cycles);
    Ok(())
}

/// Run the multi-task search. `workloads` are the tasks' workloads, in `cfg.tasks` order.
pub fn search_multitask(
    cfg: &MultiTaskConfig,
    base: &Arch,
    workloads: &[Workload],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<MultiTaskResult> {
    cfg.validate()?;
    if workloads.len() != cfg.tasks.len() {
        return Err(Diagnostic::internal(
            "internal error: one workload per task expected",
        ));
    }
    let ctx = Ctx {
        cfg,
        base,
        workloads,
        space: cfg.space.to_space()?,
        dram: base.spec().dram.bytes_per_cycle as u64,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut memo: BTreeMap<EvalKey, std::result::Result<TaskEval, String>> = BTreeMap::new();
    // Fitness per distinct system: (spec excess, objective), None if a task cannot be mapped.
    let mut seen: BTreeMap<System, Option<(f64, f64)>> = BTreeMap::new();
    let p = &cfg.evolution;
    let mut pop: Vec<(System, Option<(f64, f64)>)> = vec![];
    let mut evaluated = 0usize;
    let mut best_so_far = vec![];
    let mut best: Option<(Option<(f64, f64)>, System)> = None;
    while evaluated < cfg.evaluations {
        tessera_core::interrupt::check()?;
        let n = if pop.is_empty() {
            p.population
        } else {
            p.population - p.elites.min(pop.len())
        }
        .min(cfg.evaluations - evaluated);
        let mut batch = Vec::with_capacity(n);
        if pop.is_empty() {
            for _ in 0..n {
                batch.push(ctx.draw(&mut rng)?);
            }
        } else {
            pop.sort_by(|a, b| rank_cmp(a.1, b.1).then(a.0.cmp(&b.0)));
            let parents = pop.clone();
            pop.truncate(p.elites.min(pop.len()));
            let pick = |rng: &mut ChaCha8Rng| -> System {
                let mut b = &parents[rng.random_range(0..parents.len())];
                for _ in 1..p.tournament {
                    let c = &parents[rng.random_range(0..parents.len())];
                    if rank_cmp(c.1, b.1).then(c.0.cmp(&b.0)).is_lt() {
                        b = c;
                    }
                }
                b.0.clone()
            };
            for _ in 0..n {
                let mut child = None;
                for _ in 0..DRAWS {
                    let mut c = pick(&mut rng);
                    if rng.random_bool(p.crossover_rate) {
                        let o = pick(&mut rng);
                        for (x, y) in c.slots.iter_mut().zip(&o.slots) {
                            if rng.random_bool(0.5) {
                                *x = *y;
                            }
                        }
                        for (x, y) in c.assign.iter_mut().zip(&o.assign) {
                            if rng.random_bool(0.5) {
                                *x = *y;
                            }
                        }
                    }
                    ctx.mutate(&mut rng, &mut c);
                    if ctx.build(&c).is_ok() {
                        child = Some(c);
                        break;
                    }
                }
                batch.push(match child {
                    Some(c) => c,
                    None => ctx.draw(&mut rng)?,
                });
            }
        }
        // evaluate every new (design, share, task) of the batch in parallel
        let mut jobs: Vec<(EvalKey, Arch)> = vec![];
        for s in &batch {
            let subs = ctx.build(s).map_err(Diagnostic::internal)?;
            for (t, &slot) in s.assign.iter().enumerate() {
                let slot = usize::from(slot);
                let (_, a) = subs.iter().find(|(j, _)| *j == slot).expect("used slot");
                let key = (s.slots[slot].0, a.spec().dram.bytes_per_cycle as u64, t);
                if !memo.contains_key(&key) && !jobs.iter().any(|(k, _)| *k == key) {
                    jobs.push((key, a.clone()));
                }
            }
        }
        let done: Vec<(EvalKey, std::result::Result<TaskEval, String>)> = jobs
            .par_iter()
            .map(|(k, a)| {
                (
                    *k,
                    eval_task(
                        a,
                        &workloads[k.2],
                        cfg.objective,
                        SpaceBudget::SCREEN,
                        cfg.dram,
                    ),
                )
            })
            .collect();
        memo.extend(done);
        for s in batch {
            let fit = match seen.get(&s) {
                Some(f) => *f,
                None => {
                    let subs = ctx.build(&s).map_err(Diagnostic::internal)?;
                    let assign: Vec<usize> = s.assign.iter().map(|&j| usize::from(j)).collect();
                    let lookup = |si: usize, t: usize| {
                        let (j, a) = &subs[si];
                        memo[&(s.slots[*j].0, a.spec().dram.bytes_per_cycle as u64, t)].clone()
                    };
                    let mapped = (0..workloads.len()).all(|t| {
                        lookup(
                            subs.iter()
                                .position(|(j, _)| *j == assign[t])
                                .expect("used"),
                            t,
                        )
                        .is_ok()
                    });
                    let f = if mapped {
                        let r = report(cfg, workloads, &subs, &assign, &|si, t| {
                            lookup(si, t).expect("mapped")
                        })?;
                        Some((excess(&r), objective_of(cfg.objective, &r)))
                    } else {
                        None
                    };
                    seen.insert(s.clone(), f);
                    f
                }
            };
            if fit.is_some()
                && best
                    .as_ref()
                    .is_none_or(|(bf, bs)| rank_cmp(fit, *bf).then(s.cmp(bs)).is_lt())
            {
                best = Some((fit, s.clone()));
            }
            pop.push((s, fit));
            evaluated += 1;
        }
        best_so_far.push(match best {
            Some((Some((0.0, v)), _)) => Some(v),
            _ => None,
        });
        progress(evaluated, cfg.evaluations);
    }
    let Some((_, best)) = best else {
        return Err(Diagnostic::new(
            "no system evaluated could map every task: widen the space",
        ));
    };
    // the best system, mapped in the full space and re-simulated cycle by cycle
    let subs = ctx.build(&best).map_err(Diagnostic::internal)?;
    let assign: Vec<usize> = best.assign.iter().map(|&j| usize::from(j)).collect();
    let arch_of = |t: usize| {
        let si = subs
            .iter()
            .position(|(j, _)| *j == assign[t])
            .expect("used");
        &subs[si].1
    };
    let full: Vec<Evaluation> = (0..workloads.len())
        .into_par_iter()
        .map(|t| evaluate_in(arch_of(t), &workloads[t], cfg.objective, SpaceBudget::FULL))
        .collect::<Result<_>>()?;
    let evals: Vec<TaskEval> = (0..workloads.len())
        .map(|t| TaskEval::of(arch_of(t), &workloads[t], &full[t], cfg.dram))
        .collect::<Result<_>>()?;
    let mut best_report = report(cfg, workloads, &subs, &assign, &|_, t| evals[t].clone())?;
    match cfg.dram {
        DramMode::Partitioned => {
            for (t, tr) in best_report.tasks.iter_mut().enumerate() {
                let sim = crate::resimulate_design(
                    arch_of(t),
                    &full[t],
                    &workloads[t],
                    cfg.seed,
                    cfg.objective,
                )?;
                tr.simulated_cycles = Some(sim.simulated.cycles);
            }
        }
        DramMode::Shared => {
            resimulate_shared(&mut best_report, workloads, cfg.objective, cfg.seed)?
        }
    }
    let baseline = separate_baseline(cfg, base, workloads)?;
    Ok(MultiTaskResult {
        objective: cfg.objective,
        dram: cfg.dram,
        seed: cfg.seed,
        evaluations: evaluated,
        distinct_systems: seen.len(),
        task_evaluations: memo.len(),
        best: best_report,
        baseline,
        best_so_far,
    })
}

/// Orders fitnesses: systems that meet every spec by objective, then the ones that miss a spec by
/// their total excess, then unmappable ones. Compared exactly (a single number such as
/// `ln(objective)` or `1e6 + excess` merges close values and would let the tie-break on the
/// system, not the objective, pick the best).
fn rank_cmp(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> std::cmp::Ordering {
    let key = |f: Option<(f64, f64)>| match f {
        Some((0.0, v)) => (0u8, v),
        Some((x, _)) => (1, x),
        None => (2, 0.0),
    };
    let (a, b) = (key(a), key(b));
    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
}

/// Each task's best design alone (a single-task search in the whole budget, the whole DRAM, its
/// latency spec), then combined: the DRAM split equally (`Partitioned`), or the whole channel
/// shared and the system re-simulated (`Shared`).
fn separate_baseline(
    cfg: &MultiTaskConfig,
    base: &Arch,
    workloads: &[Workload],
) -> Result<SeparateBaseline> {
    let per_task_budget = (cfg.evaluations / workloads.len()).max(1);
    let mut alone = vec![];
    let mut archs = vec![];
    let mut missing = vec![];
    for (t, w) in workloads.iter().enumerate() {
        let single = SearchConfig {
            space: cfg.space.clone(),
            constraints: Constraints {
                max_cycles: cfg.tasks[t].max_cycles,
                ..cfg.budget.clone()
            },
            objective: cfg.objective,
            strategy: Strategy::Evolutionary(cfg.evolution.clone()),
            evaluations: per_task_budget,
            seed: cfg.seed,
            top_k: 1,
        };
        match crate::search(&single, base, w) {
            Ok(r) => {
                alone.push((w.name.clone(), Some(r.best.simulated.cycles)));
                archs.push(r.best.point);
            }
            // the single-task search's "nothing feasible" (bad input: the spec or the budget);
            // anything else (an interruption, an internal error) is the whole run's error
            Err(e) if e.kind == tessera_core::diag::Kind::BadInput => {
                alone.push((w.name.clone(), None));
                missing.push(w.name.clone());
            }
            Err(e) => return Err(e),
        }
    }
    if !missing.is_empty() {
        return Ok(SeparateBaseline {
            alone,
            combined: None,
            note: Some(format!(
                "no design meets the spec of {} within the budget even alone",
                missing.join(", ")
            )),
        });
    }
    let dram = base.spec().dram.bytes_per_cycle as u64;
    let n = archs.len() as u64;
    let cannot = match cfg.dram {
        DramMode::Partitioned => n > dram,
        DramMode::Shared => n > MAX_SUBACCELERATORS as u64,
    };
    if cannot {
        return Ok(SeparateBaseline {
            alone,
            combined: None,
            note: Some(match cfg.dram {
                DramMode::Partitioned => format!(
                    "{n} separately designed accelerators cannot share a DRAM of {dram} B/cycle"
                ),
                DramMode::Shared => format!(
                    "{n} separately designed accelerators: a shared channel serves at most \
                     {MAX_SUBACCELERATORS}"
                ),
            }),
        });
    }
    let subs: Vec<(usize, Arch)> = archs
        .iter()
        .enumerate()
        .map(|(j, p)| {
            let mut spec = p.to_arch_spec(base);
            spec.name = prefixed(&format!("s{j}_"), &spec.name);
            spec.dram.bytes_per_cycle = match cfg.dram {
                DramMode::Partitioned => dram / n,
                DramMode::Shared => dram,
            } as i64;
            Ok((j, spec.validate()?.with_tech(base.tech().clone())))
        })
        .collect::<Result<_>>()?;
    let evals: Vec<TaskEval> = (0..workloads.len())
        .into_par_iter()
        .map(|t| {
            eval_task(
                &subs[t].1,
                &workloads[t],
                cfg.objective,
                SpaceBudget::FULL,
                cfg.dram,
            )
            .map_err(Diagnostic::new)
        })
        .collect::<Result<_>>()?;
    let assign: Vec<usize> = (0..workloads.len()).collect();
    let mut combined = report(cfg, workloads, &subs, &assign, &|si, _| evals[si].clone())?;
    if cfg.dram == DramMode::Shared {
        resimulate_shared(&mut combined, workloads, cfg.objective, cfg.seed)?;
    }
    Ok(SeparateBaseline {
        alone,
        combined: Some(combined),
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    /// Two GEMM tasks without latency specs on `base`, 300 evaluations: the config and the
    /// workloads.
    fn two_gemm_tasks(base: &Arch) -> (MultiTaskConfig, Vec<tessera_workloads::Workload>) {
        let names = ["gemm_37x50x19", "gemm_64x64x64"];
        let tasks = names
            .iter()
            .map(|n| Task {
                workload: n.to_string(),
                max_cycles: None,
            })
            .collect();
        let mut cfg = MultiTaskConfig::default_for(base, tasks);
        cfg.evaluations = 300;
        let w = names
            .iter()
            .map(|n| tessera_workloads::builtin::workload(n).unwrap())
            .collect();
        (cfg, w)
    }

    /// A shared channel takes a base with several DMA transfer slots (docs/TIMING.md, "Systems": a
    /// DMA requests the channel for one transfer at a time, from the cycle after its previous one's
    /// request end): the best system is re-simulated on the one channel with the slots its
    /// sub-accelerators keep, each no faster than alone; partitioned too.
    #[test]
    fn a_shared_channel_takes_several_transfer_slots() {
        let mut spec = builtin::arch_spec("ws_8x8").unwrap();
        spec.dram.outstanding_transfers = Some(4);
        let base = spec.validate().unwrap();
        let (mut cfg, w) = two_gemm_tasks(&base);
        cfg.dram = DramMode::Shared;
        let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
        assert!(r.best.simulated_latency_cycles.expect("re-simulated") > 0);
        for s in &r.best.subaccelerators {
            assert_eq!(
                s.arch.dram.outstanding_transfers,
                Some(4),
                "the base's slots"
            );
            let c = s.contention.as_ref().unwrap();
            assert!(c.simulated_cycles.unwrap() >= c.simulated_alone_cycles.unwrap());
        }
        cfg.dram = DramMode::Partitioned;
        search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    }

    /// A shared channel takes a base whose DMA moves several words per cycle (docs/TIMING.md,
    /// "Systems": each granted transfer is paced with its DMA's own lanes): the best system is
    /// re-simulated on the one channel with the lanes its sub-accelerators have, and the simulator
    /// finds each no faster than alone; partitioned too.
    #[test]
    fn a_shared_channel_takes_several_words_per_cycle() {
        let mut spec = builtin::arch_spec("ws_8x8").unwrap();
        spec.dram.words_per_cycle = Some(2);
        spec.dram.bytes_per_cycle = 32;
        let base = spec.validate().unwrap();
        let (mut cfg, w) = two_gemm_tasks(&base);
        cfg.dram = DramMode::Shared;
        let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
        let sim = r.best.simulated_latency_cycles.expect("re-simulated");
        assert!(sim > 0);
        for s in &r.best.subaccelerators {
            let p = s.arch.dram.words_per_cycle.unwrap_or(1);
            assert!([1, 2, 4, 8].contains(&p), "{p}");
            let c = s.contention.as_ref().unwrap();
            assert!(c.simulated_cycles.unwrap() >= c.simulated_alone_cycles.unwrap());
        }
        assert!(
            r.best
                .subaccelerators
                .iter()
                .any(|s| s.arch.dram.words_per_cycle.unwrap_or(1) > 1),
            "the base's lanes reach the system: {:?}",
            r.best
                .subaccelerators
                .iter()
                .map(|s| s.arch.dram.words_per_cycle)
                .collect::<Vec<_>>()
        );
        cfg.dram = DramMode::Partitioned;
        search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
    }

    /// On a space small enough to enumerate every system, the search returns the optimum.
    #[test]
    fn the_search_finds_the_optimum_of_an_enumerable_space() {
        let base = builtin::arch("ws_8x8").unwrap();
        let mut cfg = MultiTaskConfig::default_for(
            &base,
            vec![
                Task {
                    workload: "gemm_64x64x64".into(),
                    max_cycles: Some(60_000),
                },
                Task {
                    workload: "gemm_37x50x19".into(),
                    max_cycles: Some(9_000),
                },
            ],
        );
        cfg.space.rows = vec![2, 4, 8];
        cfg.space.cols = vec![4, 8];
        cfg.space.input_bytes = vec![cfg.space.input_bytes[0]];
        cfg.space.weight_bytes = vec![cfg.space.weight_bytes[0]];
        cfg.space.accumulator_bytes = vec![cfg.space.accumulator_bytes[0]];
        cfg.space.weight_double_buffer = vec![false];
        cfg.max_subaccelerators = 2;
        cfg.share_weights = vec![1, 3];
        cfg.evaluations = 1200;
        let w: Vec<Workload> = cfg
            .tasks
            .iter()
            .map(|t| tessera_workloads::builtin::workload(&t.workload).unwrap())
            .collect();
        let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
        // brute force over every system: 12 designs x 2 shares per slot, 2 slots, 4 assignments
        let ctx = Ctx {
            cfg: &cfg,
            base: &base,
            workloads: &w,
            space: cfg.space.to_space().unwrap(),
            dram: base.spec().dram.bytes_per_cycle as u64,
        };
        let mut designs = vec![];
        for a in 0..3u16 {
            for b in 0..2u16 {
                for d in 0..2u16 {
                    for s in 0..2u16 {
                        designs.push(([a, b, 0, 0, 0, 0, d, 0], s));
                    }
                }
            }
        }
        let mut best: Option<(f64, System)> = None;
        for x in &designs {
            for y in &designs {
                for assign in [[0u8, 0], [0, 1], [1, 0], [1, 1]] {
                    let s = System {
                        slots: vec![*x, *y],
                        assign: assign.to_vec(),
                    };
                    let Ok(subs) = ctx.build(&s) else { continue };
                    let assign: Vec<usize> = s.assign.iter().map(|&j| usize::from(j)).collect();
                    let evals: Vec<Option<TaskEval>> = (0..w.len())
                        .map(|t| {
                            let si = subs.iter().position(|(j, _)| *j == assign[t]).unwrap();
                            eval_task(
                                &subs[si].1,
                                &w[t],
                                cfg.objective,
                                SpaceBudget::SCREEN,
                                cfg.dram,
                            )
                            .ok()
                        })
                        .collect();
                    if evals.iter().any(Option::is_none) {
                        continue;
                    }
                    let rep = report(&cfg, &w, &subs, &assign, &|_, t| evals[t].clone().unwrap())
                        .unwrap();
                    if excess(&rep) > 0.0 {
                        continue;
                    }
                    let v = objective_of(cfg.objective, &rep);
                    if best.as_ref().is_none_or(|(b, _)| v < *b) {
                        best = Some((v, s));
                    }
                }
            }
        }
        let (optimum, _) = best.expect("a feasible system exists");
        let found = r.best_so_far.last().copied().flatten().unwrap();
        assert_eq!(found, optimum);
        assert!(r.best.meets_specs);
    }

    fn ctx_for<'a>(cfg: &'a MultiTaskConfig, base: &'a Arch, w: &'a [Workload]) -> Ctx<'a> {
        Ctx {
            cfg,
            base,
            workloads: w,
            space: cfg.space.to_space().unwrap(),
            dram: base.spec().dram.bytes_per_cycle as u64,
        }
    }

    /// The static partition never hands out more DRAM bandwidth than the channel has, even when
    /// the `max(1, ...)` floor of a small share meets a large one (W = 3, weights 1, 1, 1000:
    /// ⌊3·1/1002⌋ = 0 → 1, 0 → 1, ⌊3·1000/1002⌋ = 2: 4 B/cycle of 3).
    #[test]
    fn dram_shares_never_exceed_the_channel() {
        let mut spec = builtin::arch("ws_8x8").unwrap().spec().clone();
        for dram in [3i64, 4, 5, 7, 16] {
            spec.dram.bytes_per_cycle = dram;
            let base = spec.validate().unwrap();
            let mut cfg = MultiTaskConfig::default_for(
                &base,
                (0..3)
                    .map(|_| Task {
                        workload: "mlp_small".into(),
                        max_cycles: None,
                    })
                    .collect(),
            );
            cfg.max_subaccelerators = 3;
            cfg.share_weights = vec![1, 2, 1000];
            let w = vec![tessera_workloads::builtin::workload("mlp_small").unwrap(); 3];
            let ctx = ctx_for(&cfg, &base, &w);
            let g = [0u16; GENES];
            for a in 0..3u16 {
                for b in 0..3u16 {
                    for c in 0..3u16 {
                        let s = System {
                            slots: vec![(g, a), (g, b), (g, c)],
                            assign: vec![0, 1, 2],
                        };
                        let shares = ctx.shares(&s).unwrap();
                        let total: u64 = shares.values().sum();
                        assert!(
                            total <= dram as u64,
                            "W = {dram}, weights {a} {b} {c}: shares {shares:?}"
                        );
                        assert!(shares.values().all(|&x| x >= 1));
                    }
                }
            }
        }
    }

    /// Every point whose accelerator validates has a name of at most 48 characters; its
    /// sub-accelerator and its baseline design must validate too (their names carry a prefix).
    #[test]
    fn long_point_names_still_make_valid_sub_accelerators() {
        let base = builtin::arch("ws_8x8").unwrap();
        let mut cfg = MultiTaskConfig::default_for(
            &base,
            vec![Task {
                workload: "gemm_37x50x19".into(),
                max_cycles: None,
            }],
        );
        // the longest names: capacities that are not whole KiB
        cfg.space.rows = vec![16];
        cfg.space.cols = vec![16];
        cfg.space.input_bytes = vec![1_000_016];
        cfg.space.weight_bytes = vec![1_000_016];
        cfg.space.accumulator_bytes = vec![4_160_064];
        cfg.space.banks = vec![1];
        cfg.space.dataflow = vec![tessera_arch::Dataflow::WeightStationary];
        cfg.space.weight_double_buffer = vec![true];
        cfg.budget = Constraints::default();
        cfg.max_subaccelerators = 8;
        let w = vec![tessera_workloads::builtin::workload("gemm_37x50x19").unwrap()];
        let ctx = ctx_for(&cfg, &base, &w);
        let g = [0u16; GENES];
        let point = ctx.space.point(&g);
        let arch = point.to_arch(&base).unwrap();
        assert!(arch.name().len() >= 44, "{}", arch.name());
        for slot in 0..8 {
            let a = ctx.arch(&g, 1, slot).unwrap();
            assert!(a.name().starts_with(&format!("sub{slot}_")), "{}", a.name());
        }
        cfg.evaluations = 1200;
        cfg.evolution.population = 2;
        cfg.evolution.tournament = 2;
        cfg.evolution.elites = 1;
        let r = search_multitask(&cfg, &base, &w, &|_, _| {}).unwrap();
        assert!(r.baseline.combined.is_some(), "{:?}", r.baseline);
    }

    /// Close objectives and small excesses are ordered by their value, not merged into a tie that
    /// the system's own order would then break.
    #[test]
    fn fitness_order_is_exact() {
        let lo = 1e20_f64;
        let hi = f64::from_bits(lo.to_bits() + 1);
        assert_eq!(
            rank_cmp(Some((0.0, lo)), Some((0.0, hi))),
            std::cmp::Ordering::Less
        );
        assert_eq!(
            rank_cmp(Some((1e-12, 1.0)), Some((2e-12, 1.0))),
            std::cmp::Ordering::Less
        );
        assert_eq!(
            rank_cmp(Some((0.0, f64::MAX)), Some((1e-300, 1.0))),
            std::cmp::Ordering::Less
        );
        assert_eq!(rank_cmp(Some((1e300, 1.0)), None), std::cmp::Ordering::Less);
    }
}
