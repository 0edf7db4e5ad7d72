//! Running one layer end to end: lower, build the DRAM image from seeded operands, simulate, read
//! the results back and check them against the host's native execution of the layer
//! ([`tessera_workloads::exec`], itself tested against the plain reference).

use crate::engine::{simulate, SimOptions, SimReport};
use crate::trace::TraceEvent;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{lower, Lowered, Mapping, Problem};
use tessera_workloads::data::Operands;
use tessera_workloads::Layer;

/// A layer's simulation: the report, the outputs and whether they match the reference.
pub struct LayerRun {
    pub lowered: Lowered,
    pub report: SimReport,
    /// The outputs as computed by the simulator, in the reference's layout
    /// ([`tessera_workloads::exec::run`]).
    pub output: Vec<i32>,
    /// The DRAM image before the run (what the RTL testbench loads).
    pub initial_dram: Vec<u8>,
    pub final_dram: Vec<u8>,
    pub matches_reference: bool,
    pub trace: Option<Vec<TraceEvent>>,
}

/// Simulate `layer` on `arch` with `mapping`, operands drawn from `seed`.
pub fn run_layer(
    layer: &Layer,
    arch: &Arch,
    mapping: &Mapping,
    seed: u64,
    opts: &SimOptions,
) -> Result<LayerRun> {
    let problem = Problem::new(layer, arch)?;
    let lowered = lower(&problem, arch, mapping)?;
    let ops = Operands::seeded(layer, seed);
    let initial_dram = lowered.layout.image(&ops);
    let res =
        simulate(arch, &lowered.program, initial_dram.clone(), opts).map_err(|e| Diagnostic {
            message: format!("layer {:?}: {}", layer.name(), e.message),
            ..e
        })?;
    let output = lowered.layout.read_output(&res.dram);
    let reference = lowered
        .layout
        .stored(tessera_workloads::exec::run(layer, &ops));
    let mut report = res.report;
    let macs = layer.macs();
    report.counters.useful_macs = macs;
    report.utilization = macs as f64 / (arch.pes() as f64 * report.cycles.get() as f64);
    Ok(LayerRun {
        lowered,
        report,
        matches_reference: output == reference,
        output,
        initial_dram,
        final_dram: res.dram,
        trace: res.trace,
    })
}
