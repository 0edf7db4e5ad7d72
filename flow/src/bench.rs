//! `tessera bench`: speed of the cycle simulator in the domain's units, beside its peers, for every
//! dataflow.
//!
//! (a) simulated cycles per second of the event-level and stepped engines against Verilator on the
//!     same exported design and program (Verilator's build time reported apart from its run time),
//!     on every dataflow (weight- and output-stationary at 8×8, 16×16 and 32×32, input-stationary
//!     at 16×16, each on a 512×1024×256 GEMM; row-stationary at 16×16 with 32-operand register
//!     files, [`row_stationary_16x16`], on ResNet-18's `layer3_1_conv1`, since it runs a GEMM as
//!     1×1 passes of one output each) and on ws_16x16 with double-buffered weights;
//! (b) a GEMM set on 8×8 and 32×32 arrays: wall time, simulated cycles per second and the functional
//!     MAC rate of the event engine beside the plain native int8 kernel in the same binary;
//! (c) whole networks (ResNet-18, ResNet-50) functionally simulated layer by layer on one core and
//!     on all cores, beside the native int8 execution of the same layers, with peak memory;
//! (d) the mapper: its time per layer of ResNet-18 (the whole network, one thread), and the
//!     analytical model's rates on all cores — closed-form cost bounds per second and full
//!     estimates (every figure of the model, exact) per second over the same candidate mappings,
//!     each priced with the accelerator's energy table (and, for the estimates, its area)
//!     computed once, and estimated by an estimator per thread, as the mapper does;
//! (e) peak resident memory of the process.
//!
//! Every simulated figure uses the mapper's mapping (latency), the default of every command.
//!
//! Simulator and native-kernel figures are the best of [`REPEATS`] wall-clock runs; Verilator's is one
//! run of its simulation loop. They vary from run to run by several percent on a shared machine.

use serde::Serialize;
use std::path::Path;
use std::time::Instant;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{Mapping, MappingSpec, Objective, Problem};
use tessera_sim::analytical::Estimator;
use tessera_sim::{run_layer, Engine, SimOptions};
use tessera_verif::Tools;
use tessera_workloads::data::Operands;
use tessera_workloads::{Gemm, Layer};

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
    pub dataflow: String,
    /// The layer run: `M=… K=… N=…` for the GEMM, else the network's and the layer's names.
    pub layer: String,
    pub verilator_build_s: f64,
    /// The C++ optimisation of the Verilator model (`TESSERA_VERILATOR_OPT`, default `-Os`).
    pub verilator_opt: String,
    pub engines: Vec<EngineFigure>,
    /// Event engine speed-up over Verilator (run time only).
    pub event_speedup: f64,
    /// Cycle counts of both engines and the RTL equal, and the DRAM images identical.
    pub cycles_equal: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct GemmFigure {
    pub arch: String,
    pub dataflow: String,
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
    /// What SCALE-Sim would take at its measured rate ([`SCALESIM_CYCLES_PER_S`]).
    pub scalesim_equivalent_s: f64,
    pub speedup_vs_scalesim: f64,
}

/// A whole network, functionally cycle-simulated layer by layer (event engine, the mapper's mapping)
/// beside the native int8 execution of the same layers in the same binary, on `threads` threads.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkFigure {
    pub network: String,
    pub arch: String,
    pub threads: usize,
    pub layers: usize,
    pub macs: u64,
    pub cycles: u64,
    /// Wall time of the whole run: per layer lowering, operands, DRAM image, simulation, native
    /// execution and the comparison (layers in parallel on `threads` threads).
    pub wall_s: f64,
    /// Σ over layers of the simulation alone (the engine), and of the native execution alone.
    pub engine_s: f64,
    pub native_s: f64,
    /// MACs / engine_s and MACs / native_s: rates per core.
    pub engine_macs_per_s_per_core: f64,
    pub native_macs_per_s_per_core: f64,
    /// engine_s / native_s.
    pub slowdown_vs_native: f64,
    /// Peak resident memory of the run (the process's peak, reset before it where the kernel allows).
    pub peak_rss_mib: Option<f64>,
    /// Every layer's simulated outputs equal the native ones.
    pub matches_native: bool,
}

/// The mapper on every MAC layer of a network: its time (one thread, the layers one after the
/// other) and the analytical model's evaluation rates on all cores.
#[derive(Clone, Debug, Serialize)]
pub struct MapperFigure {
    pub network: String,
    pub arch: String,
    pub layers: usize,
    /// Wall time of the mapper over every layer, one thread (best of [`REPEATS`] runs).
    pub mapper_wall_s: f64,
    /// The slowest layer's mapper time.
    pub slowest_layer: String,
    pub slowest_layer_s: f64,
    /// Mappings in the layers' spaces, and how many the branch and bound estimated in full.
    pub candidates: usize,
    pub estimated: usize,
    /// Every candidate of every layer evaluated on all cores (`threads`): closed-form cost bounds
    /// per second, and full estimates per second, each the best of [`REPEATS`] runs. A full
    /// estimate is every figure of the analytical model, exact; they are made as the mapper and
    /// the search make them, by an estimator per thread (`tessera_sim::analytical::Estimator`)
    /// whose memo of the tile nest's k-tile subtrees starts empty at every run.
    pub threads: usize,
    pub bounds_per_s: f64,
    pub estimates_per_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub vs_verilator: Vec<VsVerilator>,
    pub gemm_set: Vec<GemmFigure>,
    pub gemm_set_event_wall_s: f64,
    pub networks: Vec<NetworkFigure>,
    pub mapper: Vec<MapperFigure>,
    pub peak_rss_mib: Option<f64>,
}

/// Timed runs per figure (the minimum is reported) for the simulator engines and the native kernel.
/// Verilator runs once (about a second per design).
pub const REPEATS: usize = 3;

/// SCALE-Sim v3's measured rate on this machine kind (issue #8: 10–15 k cycles/s); we use the
/// favourable end.
pub const SCALESIM_CYCLES_PER_S: f64 = 15_000.0;

/// The designs compared with Verilator (weight- and output-stationary at three sizes,
/// input-stationary at 16×16), and the GEMM set's arrays.
pub const VS_VERILATOR_ARCHS: [&str; 7] = [
    "ws_8x8", "ws_16x16", "ws_32x32", "os_8x8", "os_16x16", "os_32x32", "is_16x16",
];
pub const GEMM_SET_ARCHS: [&str; 4] = ["ws_8x8", "ws_32x32", "os_8x8", "os_32x32"];

/// Time one engine on `layer` (the mapper's mapping): the simulation alone, not the lowering, the operand
/// generation or the reference check (which is done, untimed, after). Best of [`REPEATS`].
pub fn time_engine(layer: &Layer, arch: &Arch, engine: Engine) -> Result<EngineFigure> {
    let p = Problem::new(layer, arch)?;
    let mapping = map(&p, arch)?;
    let lowered = tessera_mapping::lower(&p, arch, &mapping)?;
    let ops = Operands::seeded(layer, 1);
    let image = lowered.layout.image(&ops);
    let reference = lowered
        .layout
        .stored(tessera_workloads::exec::run(layer, &ops));
    let mut best = f64::INFINITY;
    let mut cycles = 0;
    for _ in 0..REPEATS {
        let img = image.clone();
        let t = Instant::now();
        let res = tessera_sim::simulate(
            arch,
            &lowered.program,
            img,
            &SimOptions {
                engine,
                ..SimOptions::default()
            },
        )?;
        best = best.min(t.elapsed().as_secs_f64());
        if lowered.layout.read_output(&res.dram) != reference {
            return Err(Diagnostic::internal(format!(
                "{engine:?} engine output differs from the reference on {} ({})",
                layer.name(),
                arch.name()
            )));
        }
        cycles = res.report.cycles.get();
        if engine == Engine::Stepped {
            break; // slow, and steady: one run is enough
        }
    }
    Ok(EngineFigure {
        engine: format!("{engine:?}").to_lowercase(),
        cycles,
        wall_s: best,
        cycles_per_s: cycles as f64 / best,
    })
}

pub fn gemm_figure(g: &Gemm, arch: &Arch) -> Result<GemmFigure> {
    let layer = Layer::Gemm(g.clone());
    let ev = time_engine(&layer, arch, Engine::Event)?;
    let ops = Operands::seeded(&layer, 1);
    let mut native = f64::INFINITY;
    for _ in 0..REPEATS {
        let t = Instant::now();
        let c = tessera_workloads::exec::run(&layer, &ops);
        native = native.min(t.elapsed().as_secs_f64());
        std::hint::black_box(c);
    }
    let macs = g.macs();
    let scalesim = ev.cycles as f64 / SCALESIM_CYCLES_PER_S;
    Ok(GemmFigure {
        arch: arch.name().to_string(),
        dataflow: arch.dataflow().name().to_string(),
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
    layer: &Layer,
    what: &str,
    cache: &Path,
    tools: &Tools,
) -> Result<VsVerilator> {
    let design = tessera_rtl_gen::emit(arch)?;
    let t = Instant::now();
    tessera_verif::build_testbench_in(cache, arch, &design, tools)?;
    let build = t.elapsed().as_secs_f64();
    let layer = layer.clone();
    let mapping = map(&Problem::new(&layer, arch)?, arch)?;
    let ev = run_layer(&layer, arch, &mapping, 1, &SimOptions::default())?;
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
    let event = time_engine(&layer, arch, Engine::Event)?;
    let stepped = time_engine(&layer, arch, Engine::Stepped)?;
    Ok(VsVerilator {
        arch: arch.name().to_string(),
        dataflow: arch.dataflow().name().to_string(),
        layer: what.to_string(),
        verilator_build_s: build,
        verilator_opt: tessera_verif::run::opt_level()?,
        event_speedup: rtl_fig.wall_s / event.wall_s,
        cycles_equal: rtl.cycles == event.cycles
            && event.cycles == stepped.cycles
            && rtl.dram == ev.final_dram,
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

/// The GEMM compared with Verilator.
pub fn vs_verilator_gemm() -> Gemm {
    Gemm::new("bench", 512, 1024, 256)
}

/// The row-stationary design of part (a): ws_16x16's array, DRAM and clock as a row-stationary
/// array with 32-operand register files, its buffers cut to whole words (31-byte input words, 512
/// per bank; 16-byte weight words; 64-byte accumulator words).
pub fn row_stationary_16x16() -> Result<Arch> {
    let mut s = tessera_arch::builtin::arch_spec("ws_16x16")?.row_stationary(32);
    s.name = "rs_16x16".into();
    s.buffers.input.capacity_bytes = 31 * 2 * 512;
    s.validate()
}

/// The layer row-stationary is timed on in part (a): ResNet-18's `layer3_1_conv1` (3×3, 256
/// channels on 14×14).
pub const RS_BENCH_LAYER: (&str, &str) = ("resnet18", "layer3_1_conv1");

/// The networks of the network figures, and their accelerators.
pub const NETWORKS: [&str; 2] = ["resnet18", "resnet50"];
pub const NETWORK_ARCHS: [&str; 2] = ["ws_16x16", "os_16x16"];

/// Simulate every MAC layer of `w` on `arch` with `threads` threads (see [`NetworkFigure`]).
pub fn network_figure(
    w: &tessera_workloads::Workload,
    arch: &Arch,
    threads: usize,
) -> Result<NetworkFigure> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Diagnostic::internal(format!("thread pool: {e}")))?;
    reset_peak_rss();
    let t = Instant::now();
    let per_layer: Vec<Result<(u64, f64, f64, bool)>> = pool.install(|| {
        w.layers
            .par_iter()
            .enumerate()
            .map(|(i, layer)| {
                let p = Problem::new(layer, arch)?;
                let mapping = map(&p, arch)?;
                let lowered = tessera_mapping::lower(&p, arch, &mapping)?;
                let ops = Operands::seeded(layer, tessera_sim::workload::layer_seed(1, i));
                let image = lowered.layout.image(&ops);
                let t0 = Instant::now();
                let res =
                    tessera_sim::simulate(arch, &lowered.program, image, &SimOptions::default())?;
                let engine_s = t0.elapsed().as_secs_f64();
                let t1 = Instant::now();
                let native = tessera_workloads::exec::run(layer, &ops);
                let native_s = t1.elapsed().as_secs_f64();
                let ok = lowered.layout.read_output(&res.dram) == lowered.layout.stored(native);
                Ok((res.report.cycles.get(), engine_s, native_s, ok))
            })
            .collect()
    });
    let wall_s = t.elapsed().as_secs_f64();
    let per_layer = per_layer.into_iter().collect::<Result<Vec<_>>>()?;
    let macs = w.macs()?;
    let engine_s: f64 = per_layer.iter().map(|x| x.1).sum();
    let native_s: f64 = per_layer.iter().map(|x| x.2).sum();
    Ok(NetworkFigure {
        network: w.name.clone(),
        arch: arch.name().to_string(),
        threads,
        layers: w.layers.len(),
        macs,
        cycles: per_layer.iter().map(|x| x.0).sum(),
        wall_s,
        engine_s,
        native_s,
        engine_macs_per_s_per_core: macs as f64 / engine_s,
        native_macs_per_s_per_core: macs as f64 / native_s,
        slowdown_vs_native: engine_s / native_s,
        peak_rss_mib: peak_rss_mib(),
        matches_native: per_layer.iter().all(|x| x.3),
    })
}

/// Built-in `name` with double-buffered PE weights, named `<name>_db`.
pub fn double_buffered(name: &str) -> Result<Arch> {
    let mut s = tessera_arch::builtin::arch_spec(name)?.with_weight_double_buffer(true);
    s.name = format!("{name}_db");
    s.validate()
}

/// The mapper's choice (latency) for `p`: what every command uses.
fn map(p: &Problem, arch: &Arch) -> Result<Mapping> {
    tessera_sim::mapper::map_layer(p, arch, &MappingSpec::default())
}

/// The networks and accelerators of the mapper figures.
pub const MAPPER_NETWORK: &str = "resnet18";
/// `tpu_like` is the reference: the whole network mapped in under a second.
pub const MAPPER_ARCHS: [&str; 5] = ["ws_16x16", "os_16x16", "is_16x16", "ws_32x32", "tpu_like"];

/// A value on cache lines of its own. The bench's per-thread estimators sit side by side in one
/// `Vec`, and every estimate writes its estimator's lock and scratch: where one shared a line
/// with the next thread's estimator, that line would move between the cores at every estimate.
/// (On this two-vCPU machine the effect is within the noise: two A/B runs by turns of 6 and 8
/// gave +13 % and 0 % on tpu_like.)
#[repr(align(128))]
pub struct OwnLines<T>(pub T);

/// The mapper on every MAC layer of `w` on `arch` (see [`MapperFigure`]). Every figure is the
/// best of [`REPEATS`] runs: the mapper's whole-network time (with its slowest layer in that run)
/// and each rate (one run: every candidate of every layer, on all cores).
pub fn mapper_figure(w: &tessera_workloads::Workload, arch: &Arch) -> Result<MapperFigure> {
    use rayon::prelude::*;
    let problems = w
        .layers
        .iter()
        .map(|l| Problem::new(l, arch))
        .collect::<Result<Vec<_>>>()?;
    let (mut candidates, mut estimated) = (0, 0);
    let (mut mapper_wall_s, mut slowest) = (f64::INFINITY, (String::new(), 0.0f64));
    for _ in 0..REPEATS {
        let (mut c, mut e, mut slow) = (0, 0, (String::new(), 0.0f64));
        let t = Instant::now();
        for p in &problems {
            let t0 = Instant::now();
            let b = tessera_sim::mapper::best_mapping(p, arch, Objective::Latency)?;
            let dt = t0.elapsed().as_secs_f64();
            if dt > slow.1 {
                slow = (p.name.clone(), dt);
            }
            c += b.candidates;
            e += b.estimated;
        }
        let wall = t.elapsed().as_secs_f64();
        if wall < mapper_wall_s {
            (mapper_wall_s, slowest) = (wall, slow);
        }
        (candidates, estimated) = (c, e);
    }
    let jobs: Vec<(&Problem, Mapping)> = problems
        .iter()
        .flat_map(|p| {
            Mapping::candidates(&p.gemm, arch)
                .into_iter()
                .map(move |m| (p, m))
        })
        .collect();
    // The energy table and the area once per accelerator, as the mapper prices its candidates.
    let pricing = tessera_sim::Pricing::of(arch);
    let table = pricing.energy;
    // The best of REPEATS runs of `f` over every job on all cores, in jobs per second.
    let rate = |f: &(dyn Fn(&Problem, &Mapping) -> Result<u64> + Sync)| -> Result<f64> {
        let mut best = f64::INFINITY;
        for _ in 0..REPEATS {
            let t = Instant::now();
            let sum = jobs
                .par_iter()
                .map(|(p, m)| f(p, m))
                .collect::<Result<Vec<_>>>()?
                .iter()
                .fold(0u64, |a, &b| a.wrapping_add(b));
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(sum);
        }
        Ok(jobs.len() as f64 / best)
    };
    let bounds_per_s =
        rate(&|p, m| tessera_sim::mapper::lower_bound_priced(p, arch, m, &table).map(|b| b.0))?;
    // Full estimates as the mapper and the search make them: through an estimator per thread,
    // new for every run (its memo of the tile nest's subtrees warms over the run), bit for bit
    // the fresh estimates (a test holds them equal).
    let mut best = f64::INFINITY;
    for _ in 0..REPEATS {
        let ests: Vec<OwnLines<std::sync::Mutex<Estimator>>> = (0..rayon::current_num_threads())
            .map(|_| {
                OwnLines(std::sync::Mutex::new(Estimator::with_pricing(
                    arch, pricing,
                )))
            })
            .collect();
        let t = Instant::now();
        let sum = jobs
            .par_iter()
            .map(|(p, m)| {
                let i = rayon::current_thread_index().unwrap_or(0) % ests.len();
                let mut e = ests[i]
                    .0
                    .lock()
                    .map_err(|_| Diagnostic::new("an estimator panicked"))?;
                let s = tessera_mapping::Schedule::new(p, arch, m);
                Ok(e.estimate(p, &s)?.cycles.get())
            })
            .collect::<Result<Vec<_>>>()?
            .iter()
            .fold(0u64, |a, &b| a.wrapping_add(b));
        best = best.min(t.elapsed().as_secs_f64());
        std::hint::black_box(sum);
    }
    let estimates_per_s = jobs.len() as f64 / best;
    Ok(MapperFigure {
        network: w.name.clone(),
        arch: arch.name().to_string(),
        layers: problems.len(),
        mapper_wall_s,
        slowest_layer: slowest.0,
        slowest_layer_s: slowest.1,
        candidates,
        estimated,
        threads: rayon::current_num_threads(),
        bounds_per_s,
        estimates_per_s,
    })
}

/// Reset the process's peak RSS (Linux ≥ 4.0: `5` into `/proc/self/clear_refs`); ignored elsewhere.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// One finished figure, for progress output.
pub enum BenchEvent<'a> {
    VsVerilator(&'a VsVerilator),
    Gemm(&'a GemmFigure),
    Network(&'a NetworkFigure),
    Mapper(&'a MapperFigure),
}

/// The whole benchmark: against Verilator (unless `tools` is `None`) and the GEMM set; `on_figure`
/// sees each figure as it is measured.
pub fn run(tools: Option<&Tools>, on_figure: &mut dyn FnMut(BenchEvent)) -> Result<BenchReport> {
    run_parts(tools, false, on_figure)
}

/// [`run`], or its part (d) alone (the mapper and the analytical model's rates) when
/// `mapper_only`.
pub fn run_parts(
    tools: Option<&Tools>,
    mapper_only: bool,
    on_figure: &mut dyn FnMut(BenchEvent),
) -> Result<BenchReport> {
    let mut vs = vec![];
    let tools = if mapper_only { None } else { tools };
    if let Some(tools) = tools {
        let cache =
            std::env::temp_dir().join(format!("tessera-bench-cache-{}", std::process::id()));
        let g = vs_verilator_gemm();
        let result = (|| -> Result<()> {
            let mut archs = VS_VERILATOR_ARCHS
                .iter()
                .map(|a| tessera_arch::builtin::arch(a))
                .collect::<Result<Vec<_>>>()?;
            archs.push(double_buffered("ws_16x16")?);
            let gemm = Layer::Gemm(g.clone());
            let gemm_name = format!("M={} K={} N={}", g.m, g.k, g.n);
            let mut runs: Vec<(Arch, Layer, String)> = archs
                .into_iter()
                .map(|a| (a, gemm.clone(), gemm_name.clone()))
                .collect();
            let (net, name) = RS_BENCH_LAYER;
            let conv = tessera_workloads::builtin::workload(net)?.select(name)?;
            let [conv] = <[Layer; 1]>::try_from(conv.layers)
                .map_err(|_| Diagnostic::internal(format!("{net}'s {name} is not one layer")))?;
            runs.push((row_stationary_16x16()?, conv, format!("{net} {name}")));
            for (arch, layer, what) in &runs {
                let r = vs_verilator(arch, layer, what, &cache, tools)?;
                on_figure(BenchEvent::VsVerilator(&r));
                vs.push(r);
            }
            Ok(())
        })();
        let _ = std::fs::remove_dir_all(&cache);
        result?;
    }
    let mut set = vec![];
    for a in GEMM_SET_ARCHS.iter().filter(|_| !mapper_only) {
        let arch = tessera_arch::builtin::arch(a)?;
        for g in gemm_set() {
            let f = gemm_figure(&g, &arch)?;
            on_figure(BenchEvent::Gemm(&f));
            set.push(f);
        }
    }
    let mut networks = vec![];
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for a in NETWORK_ARCHS.iter().filter(|_| !mapper_only) {
        let arch = tessera_arch::builtin::arch(a)?;
        for n in NETWORKS {
            let w = tessera_workloads::builtin::workload(n)?;
            for threads in if cores > 1 { vec![1, cores] } else { vec![1] } {
                let f = network_figure(&w, &arch, threads)?;
                on_figure(BenchEvent::Network(&f));
                networks.push(f);
            }
        }
    }
    let mut mapper = vec![];
    let w = tessera_workloads::builtin::workload(MAPPER_NETWORK)?;
    for a in MAPPER_ARCHS {
        let f = mapper_figure(&w, &tessera_arch::builtin::arch(a)?)?;
        on_figure(BenchEvent::Mapper(&f));
        mapper.push(f);
    }
    Ok(BenchReport {
        networks,
        mapper,
        gemm_set_event_wall_s: set.iter().map(|f| f.event_wall_s).sum(),
        vs_verilator: vs,
        gemm_set: set,
        peak_rss_mib: peak_rss_mib(),
    })
}

/// Peak resident set size of this process (Linux `VmHWM`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Part (a)'s row-stationary design validates, and its layer is one convolution that maps
    /// onto it.
    #[test]
    fn the_row_stationary_design_and_layer_of_part_a() {
        let a = row_stationary_16x16().unwrap();
        assert_eq!(a.dataflow(), tessera_arch::Dataflow::RowStationary);
        assert_eq!((a.rows(), a.cols(), a.rf_weights()), (16, 16, 32));
        let (net, name) = RS_BENCH_LAYER;
        let w = tessera_workloads::builtin::workload(net)
            .unwrap()
            .select(name)
            .unwrap();
        assert!(matches!(w.layers.as_slice(), [Layer::Conv2d(_)]));
        map(&Problem::new(&w.layers[0], &a).unwrap(), &a).unwrap();
    }
}
