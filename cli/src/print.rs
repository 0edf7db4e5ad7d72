//! Text output of every report. Every figure carries its unit.

use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_flow::bench::{BenchEvent, BenchReport};
use tessera_mapping::Mapping;
use tessera_sim::workload::{EstimateReport, SimulateReport, ValidateReport};
use tessera_verif::{ExportReport, VerifyReport};

pub fn list(archs: &[&str], workloads: &[&str]) -> Result<()> {
    outln!("accelerators (--arch):");
    for a in archs {
        let x = tessera_arch::builtin::arch(a)?;
        outln!(
            "  {a:<10} {:<18} {}x{} PEs, {} SRAM, DRAM {} B/cycle, latency {}",
            x.dataflow().name(),
            x.rows(),
            x.cols(),
            x.sram_bytes(),
            x.dram().bytes_per_cycle(),
            x.dram().latency()
        );
    }
    outln!("workloads (--workload):");
    for w in workloads {
        let x = tessera_workloads::builtin::workload(w)?;
        let macs: u64 = x.layers.iter().map(|l| l.macs()).sum();
        outln!("  {w:<20} {} layer(s), {macs} MACs", x.layers.len());
    }
    Ok(())
}

fn tiles(m: &Mapping) -> String {
    format!("tiles m{} k{} n{}", m.tile_m, m.tile_k, m.tile_n)
}

pub fn estimate(r: &EstimateReport, arch: &Arch) {
    outln!(
        "estimate of {} on {} ({}; {})",
        r.workload,
        r.arch,
        r.dataflow,
        r.model
    );
    for l in &r.layers {
        outln!(
            "  {:<12} M={} K={} N={}  {}  {} cycles  {:.1} pJ  util {:.1} %",
            l.layer,
            l.m,
            l.k,
            l.n,
            tiles(&l.mapping),
            l.cycles,
            l.energy_pj,
            100.0 * l.utilization
        );
    }
    outln!(
        "  total: {} cycles ({:.2} µs at {} MHz), {:.1} pJ, area {:.0} µm², utilization {:.1} %",
        r.cycles,
        r.latency_us,
        arch.clock_mhz(),
        r.energy_pj,
        r.area_um2,
        100.0 * r.utilization
    );
}

pub fn simulate(r: &SimulateReport) {
    outln!(
        "cycle simulation of {} on {} ({}, {:?} engine, seed {})",
        r.workload,
        r.arch,
        r.dataflow,
        r.engine,
        r.seed
    );
    for l in &r.layers {
        outln!(
            "  {:<12} {}  {} cycles  {:.1} pJ  util {:.1} %  DMA busy {} cycles  array busy {} cycles  outputs {}",
            l.layer,
            tiles(&l.mapping),
            l.cycles,
            l.energy_pj,
            100.0 * l.utilization,
            l.units.dma_busy_cycles,
            l.units.compute_busy_cycles,
            if l.matches_reference {
                "match the reference"
            } else {
                "DIFFER from the reference"
            }
        );
    }
    outln!(
        "  total: {} cycles ({:.2} µs), {:.1} pJ, utilization {:.1} %",
        r.cycles,
        r.latency_us,
        r.energy_pj,
        100.0 * r.utilization
    );
}

pub fn validate(r: &ValidateReport) {
    outln!("analytical model vs cycle simulator ({})", r.model);
    outln!(
        "  {:<10} {:<10} {:>16} {:>16} {:>9}",
        "arch",
        "layer",
        "analytical",
        "cycle sim",
        "error"
    );
    for c in &r.cases {
        outln!(
            "  {:<10} {:<10} {:>9} cycles {:>9} cycles {:>+8.2} %{}",
            c.arch,
            c.layer,
            c.analytical_cycles,
            c.cycle_sim_cycles,
            c.error_pct,
            if c.counter_mismatches.is_empty() {
                String::new()
            } else {
                format!("  counters differ: {:?}", c.counter_mismatches)
            }
        );
    }
    for c in r.cases.iter().filter(|c| !c.matches_reference) {
        outln!(
            "  {} {}: the cycle simulator's outputs DIFFER from the reference",
            c.arch,
            c.layer
        );
    }
    outln!(
        "  MAPE {:.2} %, max |error| {:.2} % over {} layers; {}",
        r.mape_pct,
        r.max_abs_error_pct,
        r.cases.len(),
        if r.passed {
            "outputs match the reference, counters agree"
        } else {
            "FAILED"
        }
    );
}

pub fn export(r: &ExportReport) {
    outln!(
        "wrote {} Verilog files for {} ({}) to {} ({})",
        r.files.len(),
        r.arch,
        r.dataflow,
        r.out_dir,
        r.lint
    );
    if let Some(s) = &r.synth {
        outln!(
            "  yosys synth (SRAMs as black boxes): {} cells, {} latches",
            s.cells,
            s.latches
        );
    }
}

pub fn verify(r: &VerifyReport) {
    outln!(
        "verify {} on {} ({}; simulator: {:?} engine; RTL: Verilator; seed {})",
        r.workload,
        r.arch,
        r.dataflow,
        r.engine,
        r.seed
    );
    for l in &r.layers {
        outln!(
            "  {:<12} sim {} cycles, RTL {} cycles, outputs {}{}{}",
            l.layer,
            l.sim_cycles,
            l.rtl_cycles,
            if l.bit_exact && l.matches_reference {
                "bit-exact"
            } else {
                "DIFFER"
            },
            l.rtl_error
                .as_ref()
                .map(|e| format!("\n    RTL run failed: {e}"))
                .unwrap_or_default(),
            l.first_divergence
                .as_ref()
                .map(|d| format!("\n{d}"))
                .unwrap_or_default()
        );
    }
    outln!(
        "  {}: outputs {}, cycles {} (sim {} cycles, RTL {} cycles), verilator -Wall {}",
        if r.passed { "PASS" } else { "FAIL" },
        if r.bit_exact { "bit-exact" } else { "differ" },
        if r.cycles_equal { "equal" } else { "differ" },
        r.sim_cycles,
        r.rtl_cycles,
        if r.lint_clean {
            "clean".to_string()
        } else {
            r.lint.clone()
        }
    );
}

pub fn bench_event(ev: BenchEvent) {
    match ev {
        BenchEvent::VsVerilator(r) => {
            outln!(
                "{} on {} ({}; Verilator build {:.1} s):",
                r.gemm,
                r.arch,
                r.dataflow,
                r.verilator_build_s
            );
            for e in &r.engines {
                outln!(
                    "  {:<9} {:>10} cycles in {:>8.4} s = {:>12.0} cycles/s",
                    e.engine,
                    e.cycles,
                    e.wall_s,
                    e.cycles_per_s
                );
            }
            outln!(
                "  event engine {:.1}x faster than Verilator; cycles and outputs equal: {}",
                r.event_speedup,
                r.cycles_equal
            );
        }
        BenchEvent::Gemm(f) => outln!(
            "{} on {} ({}): {} cycles in {:.3} s ({:.0} cycles/s, {:.2e} MAC/s); native int8 kernel {:.2e} MAC/s ({:.2}x faster); SCALE-Sim at {:.0} cycles/s would take {:.0} s ({:.0}x slower)",
            f.gemm,
            f.arch,
            f.dataflow,
            f.cycles,
            f.event_wall_s,
            f.event_cycles_per_s,
            f.event_macs_per_s,
            f.native_macs_per_s,
            f.slowdown_vs_native,
            tessera_flow::bench::SCALESIM_CYCLES_PER_S,
            f.scalesim_equivalent_s,
            f.speedup_vs_scalesim
        ),
    }
}

pub fn bench_summary(r: &BenchReport) {
    outln!(
        "GEMM set: {:.3} s of event-engine wall time; peak RSS {}",
        r.gemm_set_event_wall_s,
        r.peak_rss_mib
            .map_or("unknown".to_string(), |m| format!("{m:.1} MiB"))
    );
}
