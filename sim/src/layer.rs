//! Running one layer end to end: lower, build the DRAM image from seeded operands, simulate, read
//! the results back and check them against the reference executor.

use crate::engine::{simulate, SimOptions, SimReport};
use crate::trace::TraceEvent;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{lower, Lowered, Mapping};
use tessera_workloads::{data, Gemm};

/// A layer's simulation: the report, the outputs and whether they match the reference.
pub struct LayerRun {
    pub lowered: Lowered,
    pub report: SimReport,
    /// C (M×N, row-major) as computed by the simulator.
    pub output: Vec<i32>,
    /// The DRAM image before the run (what the RTL testbench loads).
    pub initial_dram: Vec<u8>,
    pub final_dram: Vec<u8>,
    pub matches_reference: bool,
    pub trace: Option<Vec<TraceEvent>>,
}

/// Simulate `g` on `arch` with `mapping`, operands drawn from `seed`.
pub fn run_layer(
    g: &Gemm,
    arch: &Arch,
    mapping: &Mapping,
    seed: u64,
    opts: &SimOptions,
) -> Result<LayerRun> {
    let lowered = lower(g, arch, mapping)?;
    let (a, b) = data::gemm_operands(g.m, g.k, g.n, seed);
    let initial_dram = lowered.layout.image(&a, &b);
    let res =
        simulate(arch, &lowered.program, initial_dram.clone(), opts).map_err(|e| Diagnostic {
            message: format!("layer {:?}: {}", g.name, e.message),
            ..e
        })?;
    let output = lowered.layout.read_c(&res.dram);
    let reference =
        tessera_workloads::kernel::gemm(&a, &b, g.m as usize, g.k as usize, g.n as usize);
    let mut report = res.report;
    report.counters.useful_macs = g.macs();
    report.utilization = g.macs() as f64 / (arch.pes() as f64 * report.cycles.get() as f64);
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
