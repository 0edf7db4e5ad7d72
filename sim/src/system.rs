//! Systems of sub-accelerators that share one DRAM channel (NASAIC's heterogeneous
//! sub-accelerators; docs/TIMING.md, "Systems"): the description, the host's layout of one DRAM
//! image, the cycle-level run with every sub-accelerator's cycles and the contention it met, and an
//! analytical estimate of that contention.
//!
//! What it models. Each sub-accelerator runs its workloads' MAC layers back to back as one program
//! (`Program::concat`), each layer with the mapper's mapping and its own seeded operands
//! ([`crate::workload::layer_seed`], as `tessera simulate` draws them), in its own DRAM region. All
//! of them start in cycle 0 and share the channel transfer by transfer, first come first served
//! (a DMA with several transfer slots requests for one transfer at a time, the next from the cycle
//! after its current one's request end). The
//! cycle simulator is exact for that contract (both engines; the RTL's system top and testbench
//! implement the same text). Each sub-accelerator's cycles *alone* are the same program simulated
//! without the others, so its **contention** is the difference.
//!
//! The estimate ([`estimate_system`]) keeps the analytical model's exact per-layer cycles alone and
//! adds a queueing approximation of the waits: a transfer of sub-accelerator `i` finds the channel
//! held by sub-accelerator `j` with the probability `ρⱼ` = (`j`'s hold cycles) / (`j`'s run time),
//! while both run, and then waits `j`'s mean residual hold `Σh²/(2Σh)` (random incidence). The
//! waits lengthen the run times, which lowers the `ρ`; a fixed-point iteration solves both. It
//! leaves out that transfers are not random (a sub-accelerator's loads come in bursts at tile
//! boundaries, often in step with another's), queueing behind more than one waiting transfer, and
//! the compute that a waiting transfer would have overlapped anyway (a wait of a transfer off the
//! critical path costs nothing; with several transfer slots more of them are off it, since a
//! transfer waiting for the channel holds a slot, not the controller). A sub-accelerator's own
//! transfers never make each other wait for the channel (each requests after the previous one's
//! request end, as alone), so its holds count only against the others'. `tessera system` prints its error against the cycle simulator.
//!
//! What it leaves out: layers of one network split across sub-accelerators, data passed between
//! sub-accelerators, and the requantisation between layers (each layer's operands are its own, as
//! in every whole-workload operation).

use crate::contract::Contract;
use crate::engine::{check_system, simulate, simulate_system, SimOptions, SubRun};
use crate::workload::{layer_seed, mapping_for, problem_for};
use crate::Engine;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tessera_arch::isa::{Instr, Program};
use tessera_arch::spec::DramSpec;
use tessera_arch::{is_safe_identifier, Arch, ArchSpec};
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{lower, DramLayout, MappingSpec};
use tessera_workloads::data::Operands;
use tessera_workloads::Workload;

/// Regions of the shared DRAM image start at multiples of this many bytes.
pub const REGION_ALIGN: usize = 64;

/// A system file (RON): sub-accelerators, what each runs, and the shared DRAM channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemSpec {
    /// Prefixes the system's Verilog top module: letters, digits and `_`.
    pub name: String,
    /// The shared channel. When absent, every sub-accelerator's own DRAM must be the same.
    #[serde(default)]
    pub dram: Option<DramSpec>,
    pub subs: Vec<SubSpec>,
}

/// One sub-accelerator of a [`SystemSpec`]: an accelerator (a built-in name or a file, resolved by
/// the caller) and the workloads it runs, in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubSpec {
    pub arch: String,
    pub workloads: Vec<String>,
}

/// A validated system: sub-accelerators sharing one DRAM channel, each with its workloads.
#[derive(Clone, Debug)]
pub struct System {
    pub name: String,
    pub subs: Vec<(Arch, Vec<Workload>)>,
}

impl System {
    /// Validate a system: its name, 1 to 8 sub-accelerators, each with at least one MAC layer to
    /// run, one DRAM channel (`dram` replaces every sub-accelerator's own when given). Errors name
    /// the field (`subs[i]...`).
    pub fn new(
        name: &str,
        dram: Option<&DramSpec>,
        subs: Vec<(ArchSpec, Vec<Workload>)>,
    ) -> Result<System> {
        if !is_safe_identifier(name) {
            return Err(Diagnostic::field(
                "name",
                format!(
                    "{name:?}: a system name is letters, digits and `_`, starting with a letter"
                ),
            ));
        }
        let mut out = vec![];
        for (i, (mut spec, workloads)) in subs.into_iter().enumerate() {
            if let Some(d) = dram {
                spec.dram = d.clone();
            }
            let arch = spec.validate().map_err(|e| Diagnostic {
                field: Some(format!(
                    "subs[{i}].arch{}",
                    e.field
                        .as_deref()
                        .map(|f| format!(".{f}"))
                        .unwrap_or_default()
                )),
                ..e
            })?;
            if workloads.iter().all(|w| w.layers.is_empty()) {
                return Err(Diagnostic::field(
                    format!("subs[{i}].workloads"),
                    "a sub-accelerator needs at least one MAC layer to run",
                ));
            }
            out.push((arch, workloads));
        }
        check_system(&out.iter().map(|(a, _)| a).collect::<Vec<_>>())?;
        Ok(System {
            name: name.to_string(),
            subs: out,
        })
    }
}

/// One layer of a sub-accelerator's program: where its data lie in the sub-accelerator's region.
#[derive(Clone, Debug)]
pub struct Part {
    pub workload: String,
    pub layer: String,
    /// Byte offset of the layer's image inside the region.
    pub offset: usize,
    pub layout: DramLayout,
    /// The reference outputs as the DRAM stores them ([`DramLayout::stored`]).
    pub reference: Vec<i32>,
}

/// A sub-accelerator's program and region, as the host builds them.
#[derive(Clone, Debug)]
pub struct SubJob {
    /// Its layers' programs back to back, addressing the region from 0.
    pub program: Program,
    /// The region's image before the run.
    pub image: Vec<u8>,
    pub parts: Vec<Part>,
}

impl SubJob {
    /// Whether the region image after a run holds every layer's reference outputs.
    pub fn outputs_match(&self, region: &[u8]) -> bool {
        self.parts
            .iter()
            .all(|p| p.layout.read_output(&region[p.offset..]) == p.reference)
    }
}

fn align(n: usize) -> usize {
    n.div_ceil(REGION_ALIGN) * REGION_ALIGN
}

/// Build every sub-accelerator's program and region image (operands from `seed`).
pub fn build_jobs(sys: &System, spec: &MappingSpec, seed: u64) -> Result<Vec<SubJob>> {
    sys.subs
        .iter()
        .enumerate()
        .map(|(s, (arch, workloads))| {
            let mut programs = vec![];
            let mut image = vec![];
            let mut parts = vec![];
            for w in workloads {
                for (i, l) in w.layers.iter().enumerate() {
                    let p = problem_for(l, arch)?;
                    let mapping = mapping_for(&p, arch, spec)?;
                    let lowered = lower(&p, arch, &mapping)?;
                    let ops = Operands::seeded(l, layer_seed(seed, i));
                    let offset = image.len();
                    let off32 = u32::try_from(offset).map_err(|_| {
                        Diagnostic::new(format!(
                            "sub-accelerator {s}: its region passes the 32-bit DRAM address space"
                        ))
                    })?;
                    image.extend(lowered.layout.image(&ops));
                    image.resize(align(image.len()), 0);
                    programs.push(lowered.program.relocate(off32)?);
                    parts.push(Part {
                        workload: w.name.clone(),
                        layer: l.name().to_string(),
                        offset,
                        reference: lowered.layout.stored(tessera_workloads::exec::run(l, &ops)),
                        layout: lowered.layout,
                    });
                }
            }
            Ok(SubJob {
                program: Program::concat(&programs)?,
                image,
                parts,
            })
        })
        .collect()
}

/// The region bases of `jobs` in one shared image, and that image.
pub fn shared_image(jobs: &[SubJob]) -> Result<(Vec<u32>, Vec<u8>)> {
    let mut bases = vec![];
    let mut image = vec![];
    for j in jobs {
        bases.push(u32::try_from(image.len()).map_err(|_| {
            Diagnostic::new("the system's DRAM image passes the 32-bit DRAM address space")
        })?);
        image.extend_from_slice(&j.image);
        image.resize(align(image.len()), 0);
    }
    Ok((bases, image))
}

/// Cycles a program's transfers hold a shared channel, one entry per transfer (docs/TIMING.md),
/// each paced with `arch`'s own words per cycle.
pub fn holds(arch: &Arch, program: &Program) -> Vec<u64> {
    program
        .instrs
        .iter()
        .filter_map(|ins| match *ins {
            Instr::Load { target, count, .. } | Instr::Gather { target, count, .. } => {
                Some(Contract::load_hold(
                    arch,
                    count.into(),
                    arch.load_buffer(target).word_bytes().into(),
                ))
            }
            Instr::Store { count, .. } => Some(Contract::store_hold(arch, count.into())),
            _ => None,
        })
        .collect()
}

/// One sub-accelerator's part of a [`SystemReport`].
#[derive(Clone, Debug, Serialize)]
pub struct SubReport {
    pub index: usize,
    pub arch: String,
    pub dataflow: String,
    pub workloads: Vec<String>,
    pub layers: usize,
    /// Its own cycle count in the system (its HALT).
    pub cycles: u64,
    /// The same program with the channel to itself.
    pub alone_cycles: u64,
    /// `cycles - alone_cycles`: what sharing the channel cost it.
    pub contention_cycles: u64,
    /// Cycles its DMA waited for a channel held by another sub-accelerator.
    pub dram_wait_cycles: u64,
    /// Transfers, and the cycles they held the channel.
    pub transfers: u64,
    pub channel_hold_cycles: u64,
    pub energy_pj: f64,
    /// The part of `energy_pj` spent in the array's interconnect.
    pub noc_energy_pj: f64,
    pub matches_reference: bool,
    /// The analytical estimate of `cycles` ([`estimate_system`]) and its error against them.
    pub estimated_cycles: u64,
    pub estimate_error_pct: f64,
}

/// What `tessera system` reports.
#[derive(Clone, Debug, Serialize)]
pub struct SystemReport {
    pub system: String,
    pub dram_bytes_per_cycle: u32,
    pub dram_latency_cycles: u64,
    pub engine: Engine,
    pub seed: u64,
    pub subs: Vec<SubReport>,
    /// The last sub-accelerator to finish.
    pub cycles: u64,
    /// Σ holds / `cycles`: how busy the shared channel was.
    pub channel_utilization: f64,
    pub energy_pj: f64,
    /// The part of `energy_pj` spent in the sub-accelerators' interconnects.
    pub noc_energy_pj: f64,
    pub matches_reference: bool,
    pub model: &'static str,
}

/// What the estimate assumes, in every report.
pub const CONTENTION_NOTE: &str = "cycles alone: the analytical model (exact for one accelerator); \
contention: each transfer waits the other sub-accelerators' mean residual hold with the probability \
that they hold the channel, layer by layer on their stretched timelines (transfers assumed independent)";

/// Simulate `sys` cycle by cycle, each sub-accelerator also alone, and estimate it.
pub fn simulate_system_report(
    sys: &System,
    spec: &MappingSpec,
    engine: Engine,
    seed: u64,
) -> Result<SystemReport> {
    let jobs = build_jobs(sys, spec, seed)?;
    let opts = SimOptions {
        engine,
        ..SimOptions::default()
    };
    let runs = simulate_system(
        sys.subs
            .iter()
            .zip(&jobs)
            .map(|((arch, _), j)| SubRun {
                arch,
                program: &j.program,
                dram: j.image.clone(),
            })
            .collect(),
        &opts,
    )?;
    let est = estimate_system(sys, spec)?;
    // each sub-accelerator alone, in parallel
    let alone = sys
        .subs
        .par_iter()
        .zip(&jobs)
        .map(|((arch, _), job)| simulate(arch, &job.program, job.image.clone(), &opts))
        .collect::<Result<Vec<_>>>()?;
    let mut subs = vec![];
    for (i, ((((arch, ws), job), run), alone)) in
        sys.subs.iter().zip(&jobs).zip(&runs).zip(alone).enumerate()
    {
        let h = holds(arch, &job.program);
        let cycles = run.report.cycles.get();
        let estimated = est[i];
        subs.push(SubReport {
            index: i,
            arch: arch.name().to_string(),
            dataflow: arch.dataflow().name().to_string(),
            workloads: ws.iter().map(|w| w.name.clone()).collect(),
            layers: job.parts.len(),
            cycles,
            alone_cycles: alone.report.cycles.get(),
            contention_cycles: cycles
                .checked_sub(alone.report.cycles.get())
                .ok_or_else(|| {
                    Diagnostic::internal(format!(
                        "sub-accelerator {i} ran faster sharing the channel than alone"
                    ))
                })?,
            dram_wait_cycles: run.report.units.dram_wait_cycles,
            transfers: h.len() as u64,
            channel_hold_cycles: h.iter().sum(),
            energy_pj: run.report.energy.total_pj,
            noc_energy_pj: run.report.energy.noc_pj,
            matches_reference: job.outputs_match(&run.dram),
            estimated_cycles: estimated,
            estimate_error_pct: (estimated as f64 - cycles as f64) / cycles as f64 * 100.0,
        });
    }
    let cycles = subs.iter().map(|s| s.cycles).max().unwrap_or(0);
    let hold: u64 = subs.iter().map(|s| s.channel_hold_cycles).sum();
    let d = sys.subs[0].0.dram();
    Ok(SystemReport {
        system: sys.name.clone(),
        dram_bytes_per_cycle: d.bytes_per_cycle(),
        dram_latency_cycles: d.latency().get(),
        engine,
        seed,
        cycles,
        channel_utilization: hold as f64 / cycles.max(1) as f64,
        energy_pj: subs.iter().map(|s| s.energy_pj).sum(),
        noc_energy_pj: subs.iter().map(|s| s.noc_energy_pj).sum(),
        matches_reference: subs.iter().all(|s| s.matches_reference),
        subs,
        model: CONTENTION_NOTE,
    })
}

/// The analytical estimate of every sub-accelerator's cycles in the system (module docs).
pub fn estimate_system(sys: &System, spec: &MappingSpec) -> Result<Vec<u64>> {
    Ok(contention(&segments(sys, spec)?))
}

/// One layer of a sub-accelerator as the contention estimate sees it: its cycles alone (the
/// analytical model's), its transfers, and the sum and sum of squares of their hold cycles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Segment {
    pub alone: f64,
    pub transfers: f64,
    pub hold: f64,
    pub hold_sq: f64,
}

impl Segment {
    /// The segment of layer problem `p` on `arch` under `mapping`.
    pub fn of(
        p: &tessera_mapping::Problem,
        arch: &Arch,
        mapping: &tessera_mapping::Mapping,
    ) -> Result<Segment> {
        let h = holds(arch, &lower(p, arch, mapping)?.program);
        Ok(Segment {
            alone: crate::estimate(p, arch, mapping)?.cycles.get() as f64,
            transfers: h.len() as f64,
            hold: h.iter().map(|&x| x as f64).sum(),
            hold_sq: h.iter().map(|&x| (x as f64) * (x as f64)).sum(),
        })
    }
}

fn segments(sys: &System, spec: &MappingSpec) -> Result<Vec<Vec<Segment>>> {
    sys.subs
        .iter()
        .map(|(arch, workloads)| {
            workloads
                .iter()
                .flat_map(|w| &w.layers)
                .map(|l| {
                    let p = problem_for(l, arch)?;
                    Segment::of(&p, arch, &mapping_for(&p, arch, spec)?)
                })
                .collect()
        })
        .collect()
}

/// The fixed point of the contention model, layer by layer: a transfer of sub-accelerator `i` in
/// its layer `l` waits `Σⱼ` (the mean over the layer's span of `ρⱼ(t)·Rⱼ(t)`), where during `j`'s
/// layer `m` the channel is held by `j` a fraction `ρ = min(1, Hⱼₘ / dⱼₘ)` of the time and a
/// transfer arriving then waits the mean residual hold `R = Σh² / (2 Σh)`; `d` are the layers'
/// durations with their waits, `dᵢₗ = aloneᵢₗ + Nᵢₗ · waitᵢₗ`, solved by damped iteration. Each
/// sub-accelerator's estimate is the sum of its stretched layers ([`contention_segments`]).
pub fn contention(segs: &[Vec<Segment>]) -> Vec<u64> {
    contention_segments(segs)
        .iter()
        .zip(segs)
        .map(|(ds, s)| {
            let alone: f64 = s.iter().map(|x| x.alone).sum();
            ds.iter().sum::<f64>().max(alone).round() as u64
        })
        .collect()
}

/// The fixed point of [`contention`], segment by segment: each layer's duration with its waits
/// (never below its cycles alone), so that a caller can place the end of any layer — say, of one
/// of several networks a sub-accelerator runs back to back.
pub fn contention_segments(segs: &[Vec<Segment>]) -> Vec<Vec<f64>> {
    let mut d: Vec<Vec<f64>> = segs
        .iter()
        .map(|s| s.iter().map(|x| x.alone).collect())
        .collect();
    for _ in 0..500 {
        // each sub-accelerator's timeline: (start, end, ρ·R) per layer
        let lines: Vec<Vec<(f64, f64, f64)>> = segs
            .iter()
            .zip(&d)
            .map(|(s, ds)| {
                let mut t = 0.0;
                s.iter()
                    .zip(ds)
                    .map(|(x, &dur)| {
                        let density = if x.hold > 0.0 && dur > 0.0 {
                            (x.hold / dur).min(1.0) * x.hold_sq / (2.0 * x.hold)
                        } else {
                            0.0
                        };
                        let seg = (t, t + dur, density);
                        t += dur;
                        seg
                    })
                    .collect()
            })
            .collect();
        let mut change: f64 = 0.0;
        let next: Vec<Vec<f64>> = (0..segs.len())
            .map(|i| {
                segs[i]
                    .iter()
                    .zip(&lines[i])
                    .zip(&d[i])
                    .map(|((x, &(a, b, _)), &old)| {
                        let wait: f64 = if b > a {
                            (0..segs.len())
                                .filter(|&j| j != i)
                                .flat_map(|j| &lines[j])
                                .map(|&(s, e, rho_r)| (b.min(e) - a.max(s)).max(0.0) * rho_r)
                                .sum::<f64>()
                                / (b - a)
                        } else {
                            0.0
                        };
                        let new = 0.5 * (old + x.alone + x.transfers * wait);
                        change = change.max((new - old).abs());
                        new
                    })
                    .collect()
            })
            .collect();
        d = next;
        // converged: no layer moved by more than a quarter cycle or a millionth of the longest
        let longest = d.iter().flatten().fold(0.0f64, |a, &b| a.max(b));
        if change <= 0.25f64.max(1e-6 * longest) {
            break;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(alone: f64, transfers: f64, hold: f64, mean: f64) -> Segment {
        Segment {
            alone,
            transfers,
            hold,
            hold_sq: hold * mean,
        }
    }

    #[test]
    fn one_sub_accelerator_meets_no_contention() {
        assert_eq!(
            contention(&[vec![seg(1000.0, 10.0, 500.0, 50.0)]]),
            vec![1000]
        );
    }

    #[test]
    fn contention_grows_with_the_others_load_and_only_while_they_run() {
        let light = contention(&[
            vec![seg(1000.0, 10.0, 100.0, 10.0)],
            vec![seg(1000.0, 10.0, 100.0, 10.0)],
        ]);
        let heavy = contention(&[
            vec![seg(1000.0, 10.0, 100.0, 10.0)],
            vec![seg(1000.0, 10.0, 800.0, 80.0)],
        ]);
        assert!(
            light[0] > 1000 && heavy[0] > light[0],
            "{light:?} {heavy:?}"
        );
        // the heavy one waits on the light one's short holds only
        assert!(heavy[1] < heavy[0]);
        // a channel-heavy layer that runs after the other sub-accelerator has finished costs it nothing
        let later = contention(&[
            vec![seg(1000.0, 10.0, 100.0, 10.0)],
            vec![seg(5000.0, 0.0, 0.0, 0.0), seg(1000.0, 10.0, 800.0, 80.0)],
        ]);
        assert_eq!(later[0], 1000);
    }

    #[test]
    fn stretched_segments_sum_to_the_estimate_and_never_shrink() {
        let segs = [
            vec![
                seg(1000.0, 10.0, 100.0, 10.0),
                seg(3000.0, 40.0, 900.0, 20.0),
            ],
            vec![seg(2500.0, 10.0, 800.0, 80.0), seg(0.0, 0.0, 0.0, 0.0)],
        ];
        let d = contention_segments(&segs);
        let total = contention(&segs);
        for ((ds, s), t) in d.iter().zip(&segs).zip(&total) {
            assert_eq!(ds.len(), s.len());
            assert!(ds.iter().zip(s).all(|(d, x)| *d >= x.alone), "{ds:?}");
            assert_eq!(ds.iter().sum::<f64>().round() as u64, *t);
        }
        // both layers of the first overlap the second's heavy one and wait
        assert!(d[0][0] > 1000.0 && d[0][1] > 3000.0, "{d:?}");
    }
}
