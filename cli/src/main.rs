//! `tessera`: describe → estimate → simulate → validate → search → export → verify.

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera::verify::{VerifyOptions, VerifyReport};
use tessera::{MappingChoice, ValidateReport};
use tessera_arch::builtin::{load_arch, ARCHS};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_sim::Engine;
use tessera_workloads::builtin::{load_workload, WORKLOADS};
use tessera_workloads::Workload;

/// `println!` that ends the process quietly when stdout has been closed (`tessera list | head`)
/// instead of panicking on the broken pipe.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($t)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod cmd_search;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Design, model, search and verify DNN accelerators"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the built-in accelerators and workloads.
    List(JsonFlag),
    /// Analytical estimate: cycles, accesses, energy, area, utilization.
    Estimate(Common),
    /// Cycle-level simulation with real int32 results.
    Simulate(SimArgs),
    /// Analytical model vs cycle simulator, layer by layer, with the error.
    Validate(ValidateArgs),
    /// Search accelerator architectures and mappings.
    Search(cmd_search::SearchArgs),
    /// Emit synthesizable Verilog for an accelerator (linted; optionally synthesised).
    Export(ExportArgs),
    /// Run the cycle simulator and the RTL (Verilator) on the same program and data and compare.
    Verify(VerifyArgs),
    /// The whole loop on a built-in example, in under a minute.
    Demo(JsonFlag),
    /// Simulator speed: engines vs Verilator (8x8, 16x16, 32x32) and a GEMM set vs the native kernel.
    Bench(BenchArgs),
}

#[derive(Args)]
struct JsonFlag {
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct Common {
    /// Built-in accelerator name or RON file.
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    /// Built-in workload name or RON file.
    #[arg(long, default_value = "mlp_small")]
    workload: String,
    /// Rows of A per tile (default: the largest that fits).
    #[arg(long, requires = "tile_n")]
    tile_m: Option<u32>,
    /// Output columns per tile, a multiple of the array's columns.
    #[arg(long, requires = "tile_m")]
    tile_n: Option<u32>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SimArgs {
    #[command(flatten)]
    common: Common,
    /// `event` (default, fast) or `stepped` (every register, every cycle).
    #[arg(long, default_value = "event")]
    engine: String,
    /// Seed of the operand data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the architectural event log to this file (and FILE.chrome.json, a Chrome/Perfetto trace).
    #[arg(long)]
    trace: Option<PathBuf>,
}

#[derive(Args)]
struct BenchArgs {
    /// Skip the Verilator comparison (no Verilator builds).
    #[arg(long)]
    no_verilator: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// Accelerators to validate on (default: a set of built-ins).
    #[arg(long)]
    arch: Vec<String>,
    /// Workloads (default: the demo set).
    #[arg(long)]
    workload: Vec<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExportArgs {
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    /// Output folder (created; files are written atomically).
    #[arg(long, default_value = "tessera-out")]
    out: PathBuf,
    /// Also synthesise with Yosys and report cells (fails on latches).
    #[arg(long)]
    synth: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    common: Common,
    #[arg(long, default_value = "event")]
    engine: String,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Diff the simulator's and the RTL's event logs and print the first divergence.
    #[arg(long)]
    trace: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

pub(crate) fn print_json<T: Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Diagnostic::new(format!("cannot serialize: {e}")))?;
    outln!("{s}");
    Ok(())
}

pub(crate) fn choice_default() -> MappingChoice {
    MappingChoice::Default
}

fn choice(c: &Common) -> MappingChoice {
    match (c.tile_m, c.tile_n) {
        (Some(tile_m), Some(tile_n)) => MappingChoice::Fixed { tile_m, tile_n },
        _ => MappingChoice::Default,
    }
}

fn inputs(c: &Common) -> Result<(Arch, Workload)> {
    Ok((load_arch(&c.arch)?, load_workload(&c.workload)?))
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::List(f) => {
            #[derive(Serialize)]
            struct L {
                archs: Vec<&'static str>,
                workloads: Vec<&'static str>,
            }
            let l = L {
                archs: ARCHS.iter().map(|a| a.0).collect(),
                workloads: WORKLOADS.iter().map(|w| w.0).collect(),
            };
            if f.json {
                print_json(&l)?;
            } else {
                outln!("accelerators (--arch):");
                for a in &l.archs {
                    let x = tessera_arch::builtin::arch(a)?;
                    outln!(
                        "  {a:<10} {}x{} PEs, {} SRAM, DRAM {} B/cycle, latency {}",
                        x.rows,
                        x.cols,
                        x.sram_bytes(),
                        x.dram.bytes_per_cycle,
                        x.dram.latency
                    );
                }
                outln!("workloads (--workload):");
                for w in &l.workloads {
                    let x = tessera_workloads::builtin::workload(w)?;
                    let macs: u64 = x.layers.iter().map(|l| l.macs()).sum();
                    outln!("  {w:<20} {} layer(s), {macs} MACs", x.layers.len());
                }
            }
        }
        Cmd::Estimate(c) => {
            let (arch, w) = inputs(&c)?;
            let r = tessera::estimate(&arch, &w, choice(&c))?;
            if c.json {
                print_json(&r)?;
            } else {
                outln!("estimate of {} on {} ({})", w.name, arch.name, r.model);
                for l in &r.layers {
                    outln!(
                        "  {:<12} M={} K={} N={}  tile {}x{}  {} cycles  {:.1} pJ  util {:.1} %",
                        l.layer,
                        l.m,
                        l.k,
                        l.n,
                        l.mapping.tile_m,
                        l.mapping.tile_n,
                        l.cycles,
                        l.energy_pj,
                        100.0 * l.utilization
                    );
                }
                outln!(
                    "  total: {} cycles ({:.2} µs at {} MHz), {:.1} pJ, area {:.0} µm², utilization {:.1} %",
                    r.cycles, r.latency_us, arch.clock_mhz, r.energy_pj, r.area_um2, 100.0 * r.utilization
                );
            }
        }
        Cmd::Simulate(s) => {
            let (arch, w) = inputs(&s.common)?;
            let engine: Engine = s.engine.parse()?;
            let (r, traces) = tessera::simulate(
                &arch,
                &w,
                choice(&s.common),
                engine,
                s.seed,
                s.trace.is_some(),
            )?;
            if let Some(path) = &s.trace {
                write_trace(path, &traces)?;
            }
            if s.common.json {
                print_json(&r)?;
            } else {
                outln!(
                    "cycle simulation of {} on {} ({:?} engine, seed {})",
                    w.name,
                    arch.name,
                    engine,
                    s.seed
                );
                for l in &r.layers {
                    outln!(
                        "  {:<12} {} cycles  {:.1} pJ  util {:.1} %  DMA busy {} cycles  array busy {} cycles  outputs {}",
                        l.layer,
                        l.cycles,
                        l.energy_pj,
                        100.0 * l.utilization,
                        l.units.dma_busy_cycles,
                        l.units.compute_busy_cycles,
                        if l.matches_reference { "match the reference" } else { "DIFFER from the reference" }
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
            if !r.matches_reference {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Validate(v) => {
            let pairs = validate_pairs(&v.arch, &v.workload)?;
            let r = tessera::validate(&pairs, MappingChoice::Default, v.seed)?;
            if v.json {
                print_json(&r)?;
            } else {
                print_validate(&r);
            }
        }
        Cmd::Search(s) => return cmd_search::run(s),
        Cmd::Export(e) => {
            let arch = load_arch(&e.arch)?;
            let tools = tessera_verif::Tools::find()?;
            let r = tessera::verify::export(&arch, &e.out, e.synth, &tools)?;
            if e.json {
                print_json(&r)?;
            } else {
                outln!(
                    "wrote {} Verilog files for {} to {} ({})",
                    r.files.len(),
                    r.arch,
                    r.out_dir,
                    r.lint
                );
                if let Some(s) = &r.synth {
                    outln!("  yosys: {} cells, {} latches", s.cells, s.latches);
                }
            }
        }
        Cmd::Verify(v) => {
            let (arch, w) = inputs(&v.common)?;
            let tools = tessera_verif::Tools::find()?;
            let o = VerifyOptions {
                engine: v.engine.parse()?,
                contract: Default::default(),
                seed: v.seed,
                trace: v.trace,
                mapping: choice(&v.common),
            };
            let r = tessera::verify::verify(&arch, &w, &o, &tools)?;
            if v.common.json {
                print_json(&r)?;
            } else {
                print_verify(&r);
            }
            if !r.passed {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Demo(f) => return cmd_search::demo(f.json),
        Cmd::Bench(b) => {
            let r = bench(&b)?;
            if b.json {
                print_json(&r)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Default validation set: several array shapes × the demo workloads.
fn validate_pairs(archs: &[String], workloads: &[String]) -> Result<Vec<(Arch, Workload)>> {
    let archs: Vec<String> = if archs.is_empty() {
        ["ws_2x3", "ws_4x4", "ws_8x8", "ws_16x16"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        archs.to_vec()
    };
    let workloads: Vec<String> = if workloads.is_empty() {
        ["gemm_37x50x19", "mlp_small"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        workloads.to_vec()
    };
    let mut pairs = vec![];
    for a in &archs {
        for w in &workloads {
            pairs.push((load_arch(a)?, load_workload(w)?));
        }
    }
    Ok(pairs)
}

pub(crate) fn print_validate(r: &ValidateReport) {
    outln!("analytical model vs cycle simulator ({})", r.model);
    outln!(
        "  {:<10} {:<10} {:>14} {:>14} {:>9}",
        "arch",
        "layer",
        "analytical",
        "cycle sim",
        "error"
    );
    for c in &r.cases {
        outln!(
            "  {:<10} {:<10} {:>7} cycles {:>7} cycles {:>+8.2} %{}",
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
    outln!(
        "  MAPE {:.2} %, max |error| {:.2} %",
        r.mape_pct,
        r.max_abs_error_pct
    );
}

pub(crate) fn print_verify(r: &VerifyReport) {
    outln!(
        "verify {} on {} (simulator: {:?} engine; RTL: Verilator; seed {})",
        r.workload,
        r.arch,
        r.engine,
        r.seed
    );
    for l in &r.layers {
        outln!(
            "  {:<12} sim {} cycles, RTL {} cycles, outputs {}{}",
            l.layer,
            l.sim_cycles,
            l.rtl_cycles,
            if l.bit_exact && l.matches_reference {
                "bit-exact"
            } else {
                "DIFFER"
            },
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

fn write_trace(
    path: &std::path::Path,
    traces: &[(String, Vec<tessera_sim::trace::TraceEvent>)],
) -> Result<()> {
    let mut text = String::new();
    for (layer, events) in traces {
        text.push_str(&format!("# layer {layer}\n"));
        for e in events {
            text.push_str(&e.to_string());
            text.push('\n');
        }
    }
    tessera_core::load::write_atomic(path, text.as_bytes())?;
    let chrome = chrome_json(traces)?;
    let mut json_path = path.as_os_str().to_owned();
    json_path.push(".chrome.json");
    let json_path = std::path::PathBuf::from(json_path);
    tessera_core::load::write_atomic(&json_path, chrome.as_bytes())
}

/// Chrome trace-event JSON (chrome://tracing, Perfetto): one track per unit, one slice per
/// instruction from its issue cycle to its unit's last busy cycle; 1 cycle is shown as 1 µs.
fn chrome_json(traces: &[(String, Vec<tessera_sim::trace::TraceEvent>)]) -> Result<String> {
    use serde_json::json;
    let mut out = vec![];
    for (pid, (layer, events)) in traces.iter().enumerate() {
        out.push(json!({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": layer}}));
        // Open instruction per unit: (start cycle, label).
        let mut open: [Option<(u64, String)>; 2] = [None, None];
        for e in events {
            match (e.unit, e.event) {
                ("ctrl", "issue") => {
                    let unit = if e.fields.contains("COMPUTE") { 1 } else { 0 };
                    open[unit] = Some((e.cycle, e.fields.clone()));
                }
                ("dma", "done") | ("compute", "done") => {
                    let unit = usize::from(e.unit == "compute");
                    if let Some((start, label)) = open[unit].take() {
                        out.push(json!({
                            "name": label, "ph": "X", "pid": pid, "tid": e.unit,
                            "ts": start, "dur": e.cycle + 1 - start,
                        }));
                    }
                }
                _ => {}
            }
        }
    }
    serde_json::to_string(&json!({"traceEvents": out, "displayTimeUnit": "ns"}))
        .map_err(|e| Diagnostic::new(format!("cannot serialize trace: {e}")))
}

fn bench(b: &BenchArgs) -> Result<tessera::bench::BenchReport> {
    use tessera::bench::*;
    let mut vs = vec![];
    if !b.no_verilator {
        let tools = tessera_verif::Tools::find()?;
        let cache =
            std::env::temp_dir().join(format!("tessera-bench-cache-{}", std::process::id()));
        let g = tessera_workloads::Gemm::new("bench", 512, 1024, 256);
        for a in ["ws_8x8", "ws_16x16", "ws_32x32"] {
            let r = vs_verilator(&load_arch(a)?, &g, &cache, &tools)?;
            if !b.json {
                outln!(
                    "{} on {} (Verilator build {:.1} s):",
                    r.gemm,
                    r.arch,
                    r.verilator_build_s.unwrap_or(0.0)
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
                    r.event_speedup.unwrap_or(0.0),
                    r.cycles_equal.unwrap_or(false)
                );
            }
            vs.push(r);
        }
        let _ = std::fs::remove_dir_all(&cache);
    }
    let mut set = vec![];
    for a in ["ws_8x8", "ws_32x32"] {
        let arch = load_arch(a)?;
        for g in gemm_set() {
            let f = gemm_figure(&g, &arch)?;
            if !b.json {
                outln!(
                    "{} on {}: {} cycles in {:.3} s ({:.0} cycles/s, {:.2e} MAC/s); native int8 kernel {:.2e} MAC/s ({:.2}x faster); SCALE-Sim at {:.0} cycles/s would take {:.0} s ({:.0}x slower)",
                    f.gemm, f.arch, f.cycles, f.event_wall_s, f.event_cycles_per_s, f.event_macs_per_s,
                    f.native_macs_per_s, f.slowdown_vs_native, SCALESIM_CYCLES_PER_S, f.scalesim_equivalent_s, f.speedup_vs_scalesim
                );
            }
            set.push(f);
        }
    }
    let total: f64 = set.iter().map(|f| f.event_wall_s).sum();
    let peak = peak_rss_mib();
    if !b.json {
        outln!(
            "GEMM set: {:.3} s of event-engine wall time; peak RSS {:.1} MiB",
            total,
            peak.unwrap_or(f64::NAN)
        );
    }
    Ok(BenchReport {
        vs_verilator: vs,
        gemm_set: set,
        gemm_set_event_wall_s: total,
        peak_rss_mib: peak,
    })
}
