//! export and verify: the RTL ≡ cycle-simulator link of the chain.
//!
//! [`verify`] lowers each layer, runs the cycle simulator and the generated Verilog (under
//! Verilator, with the testbench's DRAM model) on the same program and DRAM image, and requires the
//! int32 outputs to be bit-exact (simulator, RTL and reference executor) and the cycle counts equal.
//! [`export`] writes the Verilog after the lint (and, on request, synthesis) has passed.

use crate::tools::Tools;
use serde::Serialize;
use std::path::Path;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Kind, Result};
use tessera_mapping::{Mapping, MappingSpec};
use tessera_sim::contract::Contract;
use tessera_sim::workload::{mapping_for, problem_for};
use tessera_sim::{Engine, SimOptions};
use tessera_workloads::data::Operands;
use tessera_workloads::Workload;

#[derive(Clone, Debug, Serialize)]
pub struct ExportReport {
    pub arch: String,
    pub dataflow: String,
    pub out_dir: String,
    pub files: Vec<String>,
    pub content_hash: String,
    /// What `verilator --lint-only -Wall` said (export fails on any warning).
    pub lint: String,
    pub synth: Option<SynthSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SynthSummary {
    pub cells: u64,
    pub latches: u64,
}

/// Emit the Verilog for `arch`, lint it (zero warnings required) and, when `synth`, synthesise it
/// with Yosys (no latches allowed); then write it into `out`.
pub fn export(arch: &Arch, out: &Path, synth: bool, tools: &Tools) -> Result<ExportReport> {
    let design = tessera_rtl_gen::emit(arch)?;
    let lint = crate::lint(&design, tools)?;
    let synth = if synth {
        let s = crate::synth(&design, tools)?;
        s.require_no_latches(&design.top)?;
        Some(SynthSummary {
            cells: s.cells,
            latches: s.latches,
        })
    } else {
        None
    };
    design.write_to(out)?;
    Ok(ExportReport::of(
        arch.name(),
        arch.dataflow().name(),
        out,
        &design,
        &lint,
        synth,
    ))
}

impl ExportReport {
    fn of(
        arch: &str,
        dataflow: &str,
        out: &Path,
        design: &tessera_rtl_gen::Design,
        lint: &crate::LintReport,
        synth: Option<SynthSummary>,
    ) -> ExportReport {
        ExportReport {
            arch: arch.to_string(),
            dataflow: dataflow.to_string(),
            out_dir: out.display().to_string(),
            files: design.files.iter().map(|f| f.name.clone()).collect(),
            content_hash: design.content_hash(),
            lint: format!(
                "{} -Wall: no warnings in {} files",
                lint.verilator_version, lint.files
            ),
            synth,
        }
    }
}

/// Emit the Verilog of a system of `subs` sharing one DRAM channel
/// ([`tessera_rtl_gen::emit_system`]: every sub-accelerator, the arbiter, the system top), lint it
/// (zero warnings required), then write it into `out`. The report's `arch` is the system's name,
/// its `dataflow` the sub-accelerators', joined by `+`.
pub fn export_system(name: &str, subs: &[Arch], out: &Path, tools: &Tools) -> Result<ExportReport> {
    let design = tessera_rtl_gen::emit_system(name, subs)?;
    let lint = crate::lint(&design, tools)?;
    design.write_to(out)?;
    let dataflows: Vec<&str> = subs.iter().map(|a| a.dataflow().name()).collect();
    Ok(ExportReport::of(
        name,
        &dataflows.join("+"),
        out,
        &design,
        &lint,
        None,
    ))
}

#[derive(Clone, Debug, Serialize)]
pub struct VerifyLayer {
    pub layer: String,
    pub mapping: Mapping,
    pub sim_cycles: u64,
    pub rtl_cycles: u64,
    pub bit_exact: bool,
    pub matches_reference: bool,
    /// The first differing trace event between the simulator and the RTL, when traced.
    pub first_divergence: Option<String>,
    /// The RTL run failed (DRAM contract violation, timeout): the testbench's message.
    pub rtl_error: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct VerifyReport {
    pub arch: String,
    pub dataflow: String,
    /// What the accelerator's description approximates (`ArchSpec::note`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_note: Option<String>,
    pub workload: String,
    pub engine: Engine,
    pub seed: u64,
    /// Outputs of simulator, RTL and reference identical on every layer.
    pub bit_exact: bool,
    pub sim_cycles: u64,
    pub rtl_cycles: u64,
    pub cycles_equal: bool,
    pub passed: bool,
    /// `verilator --lint-only -Wall` passed with no warning.
    pub lint_clean: bool,
    /// What the lint said (the warnings when it failed).
    pub lint: String,
    pub layers: Vec<VerifyLayer>,
    /// The network's operations that are not MAC work: in neither the simulator nor the RTL.
    pub not_modelled: tessera_sim::workload::NotModelled,
}

#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    pub engine: Engine,
    /// The simulator's copy of the timing contract (tests inject faults here).
    pub contract: Contract,
    /// Operand data of layer i come from seed + i.
    pub seed: u64,
    pub trace: bool,
    /// The mapping of every layer (resolved per layer; empty = the default).
    pub mapping: MappingSpec,
}

/// Verify `arch` on every layer of `w`, each layer mapped by `o.mapping`.
pub fn verify(arch: &Arch, w: &Workload, o: &VerifyOptions, tools: &Tools) -> Result<VerifyReport> {
    let mappings = w
        .layers
        .iter()
        .map(|l| mapping_for(&problem_for(l, arch)?, arch, &o.mapping))
        .collect::<Result<Vec<_>>>()?;
    verify_with(arch, w, &mappings, o, tools)
}

/// Verify `arch` on every layer of `w` with the given mapping per layer (e.g. a search's choice).
pub fn verify_with(
    arch: &Arch,
    w: &Workload,
    mappings: &[Mapping],
    o: &VerifyOptions,
    tools: &Tools,
) -> Result<VerifyReport> {
    if mappings.len() != w.layers.len() {
        return Err(Diagnostic::new(format!(
            "{} mappings for the {} layers of {:?}",
            mappings.len(),
            w.layers.len(),
            w.name
        )));
    }
    let design = tessera_rtl_gen::emit(arch)?;
    // A lint warning or an RTL run that breaks the contract (a DRAM contract violation, a timeout)
    // is a failed check, reported in the result (exit code 1). A tool that cannot build or run is an
    // error of its own kind (exit code 3), never reported as differing outputs.
    let lint = match crate::lint(&design, tools) {
        Ok(r) => format!(
            "{} -Wall: no warnings in {} files",
            r.verilator_version, r.files
        ),
        Err(e) if e.kind == Kind::CheckFailed => format!("FAILED: {}", e.message),
        Err(e) => return Err(e),
    };
    let lint_clean = !lint.starts_with("FAILED");
    let mut layers = vec![];
    for (i, (l, mapping)) in w.layers.iter().zip(mappings).enumerate() {
        let seed = tessera_sim::workload::layer_seed(o.seed, i);
        let opts = SimOptions {
            engine: o.engine,
            trace: o.trace,
            contract: o.contract,
            ..SimOptions::default()
        };
        let run = tessera_sim::run_layer(l, arch, mapping, seed, &opts)?;
        let words = run.lowered.program.encode();
        let max_cycles = run
            .report
            .cycles
            .get()
            .saturating_mul(2)
            .saturating_add(10_000);
        let rtl = if o.trace {
            crate::run_rtl_traced(arch, &design, &words, &run.initial_dram, max_cycles, tools)
        } else {
            crate::run_rtl(arch, &design, &words, &run.initial_dram, max_cycles, tools)
        };
        let reference = run
            .lowered
            .layout
            .stored(tessera_workloads::exec::run(l, &Operands::seeded(l, seed)));
        let rtl = match rtl {
            Ok(r) => r,
            Err(e) if e.kind != Kind::CheckFailed => return Err(e),
            Err(e) => {
                layers.push(VerifyLayer {
                    layer: l.name().to_string(),
                    mapping: *mapping,
                    sim_cycles: run.report.cycles.get(),
                    rtl_cycles: 0,
                    bit_exact: false,
                    matches_reference: run.output == reference,
                    first_divergence: None,
                    rtl_error: Some(e.message),
                });
                continue;
            }
        };
        let first_divergence = match (&run.trace, &rtl.trace) {
            (Some(s), Some(r)) => {
                let s: Vec<String> = s.iter().map(|e| e.to_string()).collect();
                tessera_sim::trace::first_divergence(&s, r, 5).map(|d| {
                    format!(
                        "{d}\n  (- cycle simulator, + RTL; {} and {} events)",
                        s.len(),
                        r.len()
                    )
                })
            }
            _ => None,
        };
        let rtl_out = run.lowered.layout.read_output(&rtl.dram);
        layers.push(VerifyLayer {
            layer: l.name().to_string(),
            mapping: *mapping,
            sim_cycles: run.report.cycles.get(),
            rtl_cycles: rtl.cycles,
            bit_exact: rtl_out == run.output && rtl.dram == run.final_dram,
            matches_reference: rtl_out == reference && run.output == reference,
            first_divergence,
            rtl_error: None,
        });
    }
    let sim_cycles =
        tessera_core::units::checked_sum(layers.iter().map(|l| l.sim_cycles), "simulated cycles")?;
    let rtl_cycles =
        tessera_core::units::checked_sum(layers.iter().map(|l| l.rtl_cycles), "RTL cycles")?;
    let bit_exact = layers.iter().all(|l| l.bit_exact && l.matches_reference);
    let cycles_equal = layers
        .iter()
        .all(|l| l.rtl_error.is_none() && l.sim_cycles == l.rtl_cycles);
    Ok(VerifyReport {
        arch: arch.name().to_string(),
        dataflow: arch.dataflow().name().to_string(),
        arch_note: arch.note().map(str::to_string),
        workload: w.name.clone(),
        engine: o.engine,
        seed: o.seed,
        bit_exact,
        sim_cycles,
        rtl_cycles,
        cycles_equal,
        // With traces, the event logs must agree too: every DMA request (address, stride, byte
        // run) of the RTL against the simulator's, not only the outputs they produce.
        passed: bit_exact
            && cycles_equal
            && lint_clean
            && layers.iter().all(|l| l.first_divergence.is_none()),
        lint_clean,
        lint,
        layers,
        not_modelled: tessera_sim::workload::NotModelled::of(w),
    })
}
