//! After a search: export the best design and verify it under Verilator with the mappings the
//! search chose, layer by layer. This is the third link of the chain — every design the search can
//! return can be exported and verified — as one operation.

use std::path::Path;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::Mapping;
use tessera_search::SearchResult;
use tessera_sim::system::{SubSpec, SystemSpec};
use tessera_sim::Engine;
use tessera_verif::{ExportReport, Tools, VerifyOptions, VerifyReport};
use tessera_workloads::Workload;

/// The search's best design, validated again from its spec (as a user's file would be).
pub fn best_arch(r: &SearchResult) -> Result<Arch> {
    r.best.arch.validate()
}

/// Write the best design's Verilog (linted; synthesised when `synth`) and its RON description
/// (`<name>.ron`) into `dir`.
pub fn export_best(
    r: &SearchResult,
    dir: &Path,
    synth: bool,
    tools: &Tools,
) -> Result<ExportReport> {
    let arch = best_arch(r)?;
    let report = tessera_verif::export(&arch, dir, synth, tools)?;
    let mut ron = tessera_core::load::to_ron_string(&r.best.arch)?;
    if !ron.ends_with('\n') {
        ron.push('\n');
    }
    tessera_core::load::write_atomic(&dir.join(format!("{}.ron", arch.name())), ron.as_bytes())?;
    Ok(report)
}

/// Verify the best design on `w` with the search's mapping of each layer, operands from `seed`.
pub fn verify_best(
    r: &SearchResult,
    w: &Workload,
    seed: u64,
    tools: &Tools,
) -> Result<VerifyReport> {
    let arch = best_arch(r)?;
    if r.best.layers.len() != w.layers.len() {
        return Err(Diagnostic::new(format!(
            "the search result has {} layers, the workload {:?} {}",
            r.best.layers.len(),
            w.name,
            w.layers.len()
        )));
    }
    let mappings: Vec<Mapping> = r.best.layers.iter().map(|l| l.mapping).collect();
    let o = VerifyOptions {
        engine: Engine::Event,
        seed,
        ..VerifyOptions::default()
    };
    tessera_verif::verify_with(&arch, w, &mappings, &o, tools)
}

/// Export every sub-accelerator of a multi-task system into `dir/<name>/` (Verilog, linted, and its
/// RON description). With the DRAM partitioned statically, the sub-accelerators are independent
/// designs and this is the whole export; with a shared channel, [`export_shared_system`] adds the
/// system.
pub fn export_system(
    s: &tessera_search::multitask::SystemReport,
    dir: &Path,
    synth: bool,
    tools: &Tools,
) -> Result<Vec<ExportReport>> {
    s.subaccelerators
        .iter()
        .map(|sub| {
            let arch = sub.arch.validate()?;
            let out = dir.join(arch.name());
            let report = tessera_verif::export(&arch, &out, synth, tools)?;
            let mut ron = tessera_core::load::to_ron_string(&sub.arch)?;
            if !ron.ends_with('\n') {
                ron.push('\n');
            }
            tessera_core::load::write_atomic(
                &out.join(format!("{}.ron", arch.name())),
                ron.as_bytes(),
            )?;
            Ok(report)
        })
        .collect()
}

/// The folder, under an export's `dir`, of a shared system's Verilog; beside it, `system.ron`.
pub const SYSTEM_RTL_DIR: &str = "system";

/// Export a multi-task system whose sub-accelerators share one DRAM channel, after
/// [`export_system`] has written each sub-accelerator into `dir/<name>/`: the system's Verilog
/// (every sub-accelerator, the arbiter, the system top; linted) into `dir/system/`, and
/// `dir/system.ron`, a system file that `tessera system` runs (each arch by its path relative to
/// the file, each task's workload as `workloads` names it, in task order).
pub fn export_shared_system(
    s: &tessera_search::multitask::SystemReport,
    workloads: &[String],
    dir: &Path,
    tools: &Tools,
) -> Result<ExportReport> {
    if s.tasks.len() != workloads.len() {
        return Err(Diagnostic::internal(
            "internal error: one workload per task expected",
        ));
    }
    let archs = s
        .subaccelerators
        .iter()
        .map(|sub| sub.arch.validate())
        .collect::<Result<Vec<Arch>>>()?;
    let name = tessera_search::multitask::SHARED_SYSTEM_NAME;
    let report = tessera_verif::export_system(name, &archs, &dir.join(SYSTEM_RTL_DIR), tools)?;
    let spec = SystemSpec {
        name: name.to_string(),
        // one channel: the system's `dram` replaces every sub's, so give it only when the subs'
        // DRAM specs are one (their words per cycle may differ; each arch file keeps its own)
        dram: archs
            .iter()
            .all(|a| a.spec().dram == archs[0].spec().dram)
            .then(|| archs[0].spec().dram.clone()),
        subs: s
            .subaccelerators
            .iter()
            .map(|sub| SubSpec {
                arch: format!("{0}/{0}.ron", sub.name),
                workloads: s
                    .tasks
                    .iter()
                    .zip(workloads)
                    .filter(|(t, _)| t.subaccelerator.as_deref() == Some(sub.name.as_str()))
                    .map(|(_, w)| w.clone())
                    .collect(),
            })
            .collect(),
    };
    let mut ron = tessera_core::load::to_ron_string(&spec)?;
    if !ron.ends_with('\n') {
        ron.push('\n');
    }
    tessera_core::load::write_atomic(&dir.join("system.ron"), ron.as_bytes())?;
    Ok(report)
}

/// Verify a multi-task system that shares one DRAM channel: its Verilog under Verilator against
/// the cycle simulator, with the search's mappings (`objective`), operands from `seed`.
pub fn verify_shared_system(
    s: &tessera_search::multitask::SystemReport,
    workloads: &[Workload],
    objective: tessera_search::Objective,
    seed: u64,
    tools: &Tools,
) -> Result<tessera_verif::SystemVerifyReport> {
    let sys = tessera_search::multitask::shared_system(s, workloads)?;
    let spec = tessera_search::multitask::shared_mapping_spec(objective);
    tessera_verif::verify_system(&sys, &spec, seed, tools)
}

/// Verify every task of a multi-task system under Verilator on its sub-accelerator, with the
/// system's mappings, operands from `seed`: outputs bit-exact and cycles equal to the simulator's.
pub fn verify_system(
    s: &tessera_search::multitask::SystemReport,
    workloads: &[Workload],
    seed: u64,
    tools: &Tools,
) -> Result<Vec<VerifyReport>> {
    if s.tasks.len() != workloads.len() {
        return Err(Diagnostic::internal(
            "internal error: one workload per task expected",
        ));
    }
    s.tasks
        .iter()
        .zip(workloads)
        .map(|(t, w)| {
            let name = t.subaccelerator.as_deref().unwrap_or("");
            let sub = s
                .subaccelerators
                .iter()
                .find(|x| x.name == name)
                .ok_or_else(|| {
                    Diagnostic::internal(format!(
                        "internal error: task {} runs on an unknown sub-accelerator {name:?}",
                        t.workload
                    ))
                })?;
            let arch = sub.arch.validate()?;
            let o = VerifyOptions {
                engine: Engine::Event,
                seed,
                ..VerifyOptions::default()
            };
            tessera_verif::verify_with(&arch, w, &t.mappings, &o, tools)
        })
        .collect()
}
