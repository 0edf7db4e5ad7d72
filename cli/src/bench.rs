//! `tessera bench`: speed of the cycle simulator in the domain's units, beside its peers.
//!
//! (a) simulated cycles per second of the event-level and stepped engines against Verilator on the
//!     same exported design and program (Verilator's build time reported apart from its run time);
//! (b) a GEMM set on 8×8 and 32×32 arrays: wall time, simulated cycles per second and the functional
//!     MAC rate of the event engine beside the plain native int8 kernel in the same binary;
//! (c) peak resident memory of the process.
//!
//! Simulator and native-kernel figures are the best of [`REPEATS`] wall-clock runs; Verilator's is one
//! run of its simulation loop. They vary from run to run by several percent on a shared machine.

use crate::ops::gemm;
use serde::Serialize;
use std::time::Instant;
use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_mapping::Mapping;
use tessera_sim::{run_layer, Engine, SimOptions};
use tessera_workloads::{data, Gemm, Layer};

#[derive(Clone, Debug, Serialize)]
pub struct EngineFigure {
    pub engine: String,
    pub cycles: u64,
    pub wall_s: f64,
    pub cycles_per_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct VsVerilator {
    pub arch: String,
    pub gemm: String,
    pub verilator_build_s: Option<f64>,
    pub engines: Vec<EngineFigure>,
    /// Event engine speed-up over Verilator (run time only).
    pub event_speedup: Option<f64>,
    pub cycles_equal: Option<bool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GemmFigure {
    pub arch: String,
    pub gemm: String,
    pub macs: u64,
    pub cycles: u64,
    pub event_wall_s: f64,
    pub event_cycles_per_s: f64,
    pub event_macs_per_s: f64,
    pub native_wall_s: f64,
    pub native_macs_per_s: f64,
    /// event wall / native wall.
    pub slowdown_vs_native: f64,
    /// SCALE-Sim's rate on this machine kind (issue #8): 15 k cycles/s at best.
    pub scalesim_equivalent_s: f64,
    pub speedup_vs_scalesim: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub vs_verilator: Vec<VsVerilator>,
    pub gemm_set: Vec<GemmFigure>,
    pub gemm_set_event_wall_s: f64,
    pub peak_rss_mib: Option<f64>,
}

/// Timed runs per figure (the minimum is reported) for the simulator engines and the native kernel.
/// Verilator runs once (about a second per design).
pub const REPEATS: usize = 3;

/// SCALE-Sim v3's measured rate on this machine kind (issue #8: 10–15 k cycles/s); we use the
/// favourable end.
pub const SCALESIM_CYCLES_PER_S: f64 = 15_000.0;

/// Time one engine on `g` (default mapping): the simulation alone, not the lowering, the operand
/// generation or the reference check (which is done, untimed, after).
pub fn time_engine(g: &Gemm, arch: &Arch, engine: Engine) -> Result<EngineFigure> {
    let mapping = Mapping::default_for(g, arch);
    let lowered = tessera_mapping::lower(g, arch, &mapping)?;
    let (a, b) = data::gemm_operands(g.m, g.k, g.n, 1);
    let image = lowered.layout.image(&a, &b);
    let t = Instant::now();
    let res = tessera_sim::simulate(
        arch,
        &lowered.program,
        image,
        &SimOptions {
            engine,
            ..SimOptions::default()
        },
    )?;
    let wall = t.elapsed().as_secs_f64();
    let reference =
        tessera_workloads::kernel::gemm(&a, &b, g.m as usize, g.k as usize, g.n as usize);
    if lowered.layout.read_c(&res.dram) != reference {
        return Err(tessera_core::Diagnostic::new(format!(
            "{engine:?} engine output differs from the reference on {}",
            g.name
        )));
    }
    let cycles = res.report.cycles.get();
    Ok(EngineFigure {
        engine: format!("{engine:?}").to_lowercase(),
        cycles,
        wall_s: wall,
        cycles_per_s: cycles as f64 / wall,
    })
}

pub fn gemm_figure(g: &Gemm, arch: &Arch) -> Result<GemmFigure> {
    let ev = time_engine(g, arch, Engine::Event)?;
    let (a, b) = data::gemm_operands(g.m, g.k, g.n, 1);
    let mut native = f64::INFINITY;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let c = tessera_workloads::kernel::gemm(&a, &b, g.m as usize, g.k as usize, g.n as usize);
        native = native.min(t.elapsed().as_secs_f64());
        std::hint::black_box(c);
    }
    let macs = g.macs();
    let scalesim = ev.cycles as f64 / SCALESIM_CYCLES_PER_S;
    Ok(GemmFigure {
        arch: arch.name.clone(),
        gemm: format!("M={} K={} N={}", g.m, g.k, g.n),
        macs,
        cycles: ev.cycles,
        event_wall_s: ev.wall_s,
        event_cycles_per_s: ev.cycles_per_s,
        event_macs_per_s: macs as f64 / ev.wall_s,
        native_wall_s: native,
        native_macs_per_s: macs as f64 / native,
        slowdown_vs_native: ev.wall_s / native,
        scalesim_equivalent_s: scalesim,
        speedup_vs_scalesim: scalesim / ev.wall_s,
    })
}

/// Simulator engines against Verilator on one exported design and program. Verilator's build is
/// timed apart (into `cache`, which should be empty to measure a cold build); its run time is the
/// testbench's simulation loop alone.
pub fn vs_verilator(
    arch: &Arch,
    g: &Gemm,
    cache: &std::path::Path,
    tools: &tessera_verif::Tools,
) -> Result<VsVerilator> {
    let design = tessera_rtl_gen::emit(arch)?;
    let t = Instant::now();
    tessera_verif::build_testbench_in(cache, arch, &design, tools)?;
    let build = t.elapsed().as_secs_f64();
    let mapping = Mapping::default_for(g, arch);
    let ev = run_layer(g, arch, &mapping, 1, &SimOptions::default())?;
    let words = ev.lowered.program.encode();
    let rtl = tessera_verif::run_rtl(
        arch,
        &design,
        &words,
        &ev.initial_dram,
        ev.report.cycles.get() * 2 + 10_000,
        tools,
    )?;
    let rtl_fig = EngineFigure {
        engine: "verilator".into(),
        cycles: rtl.cycles,
        wall_s: rtl.run_s,
        cycles_per_s: rtl.cycles as f64 / rtl.run_s,
    };
    let event = time_engine(g, arch, Engine::Event)?;
    let stepped = time_engine(g, arch, Engine::Stepped)?;
    Ok(VsVerilator {
        arch: arch.name.clone(),
        gemm: format!("M={} K={} N={}", g.m, g.k, g.n),
        verilator_build_s: Some(build),
        event_speedup: Some(rtl_fig.wall_s / event.wall_s),
        cycles_equal: Some(
            rtl.cycles == event.cycles
                && event.cycles == stepped.cycles
                && rtl.dram == ev.final_dram,
        ),
        engines: vec![event, stepped, rtl_fig],
    })
}

/// The GEMM set of issue #8.
pub fn gemm_set() -> Vec<Gemm> {
    vec![
        Gemm::new("bert_qkv", 128, 768, 768),
        Gemm::new("resnet_conv2", 3136, 576, 64),
    ]
}

/// Peak resident set size of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn layer_gemm(l: &Layer) -> &Gemm {
    gemm(l)
}
