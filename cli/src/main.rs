//! `tessera`: describe → estimate → simulate → validate → search → export → verify.
//!
//! This crate only parses arguments, calls the library operations (`tessera_sim::workload`,
//! `tessera_verif`, `tessera_search`, `tessera_flow`) and prints their reports: as text, or with
//! `--json` as one JSON object on stdout — errors included (`{"error": {...}}`). The exit code
//! follows the error's kind (`tessera_core::Kind::exit_code`): 0 success, 1 a check that ran and
//! failed, 2 bad input, 3 a missing or failing external tool, 4 an I/O error, 5 an internal error,
//! 130 interrupted.

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_arch::builtin::load_arch_noted;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{Keep, MappingSpec};
use tessera_sim::Engine;
use tessera_verif::VerifyOptions;
use tessera_workloads::builtin::{load_workload_noted, WORKLOADS};
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

mod cmd_baselines;
mod cmd_interop;
mod cmd_multitask;
mod cmd_search;
mod cmd_system;
mod csv_out;
mod pareto_out;
mod print;

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
    /// Search accelerator architectures (dataflow, array, buffers) and mappings.
    Search(cmd_search::SearchArgs),
    /// Several networks with latency specs on sub-accelerators designed together (NASAIC).
    Multitask(cmd_multitask::MultiTaskArgs),
    /// Sub-accelerators sharing one DRAM channel, each running its workloads, simulated together:
    /// each one's cycles alone and shared, the contention, the estimate's error; `--verify` under
    /// Verilator.
    System(cmd_system::SystemArgs),
    /// The search against the templates of published designs at equal PEs and SRAM: EDP, latency
    /// and energy ratios per workload.
    Baselines(cmd_baselines::BaselinesArgs),
    /// Write each layer, the accelerator and the mapper's mapping as Timeloop v0.4 or ZigZag inputs.
    Interop(cmd_interop::InteropArgs),
    /// Emit synthesizable Verilog for an accelerator (linted; optionally synthesised).
    Export(ExportArgs),
    /// Run the cycle simulator and the RTL (Verilator) on the same program and data and compare.
    Verify(VerifyArgs),
    /// Run a hand-written program (a RON file: DRAM image and instructions) through both
    /// simulator engines and, with `--rtl`, the exported RTL under Verilator, and compare.
    Run(RunArgs),
    /// The whole loop on a built-in example, in under a minute.
    Demo(JsonFlag),
    /// Simulator speed on every dataflow: engines vs Verilator and a GEMM set vs the native kernel.
    Bench(BenchArgs),
}

#[derive(Args)]
struct JsonFlag {
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

/// A layer's mapping: tiles given here (or in `--mapping FILE`) are kept, and the mapper chooses
/// the others for `--map-for`.
#[derive(Args)]
struct MappingArgs {
    /// Rows of A per COMPUTE (weight-stationary: streamed; output-stationary: the array's rows;
    /// input-stationary: output rows kept in the accumulator, a multiple of the array's columns).
    #[arg(long)]
    tile_m: Option<i64>,
    /// Depth of K per COMPUTE (output-stationary: streamed; weight- and input-stationary: the
    /// array's rows).
    #[arg(long)]
    tile_k: Option<i64>,
    /// Output columns kept in the accumulator, a multiple of the array's columns (input-stationary:
    /// columns of B streamed per COMPUTE).
    #[arg(long)]
    tile_n: Option<i64>,
    /// What the input and weight buffers keep across output tiles: `tiles` (one tile of each
    /// operand), `input-panel` (the A panel over all of K, across the n-tiles) or `weight-panel`
    /// (the B panel, across the m-tiles); the mapper chooses when absent.
    #[arg(long, value_parser = ["tiles", "input-panel", "weight-panel"])]
    keep: Option<String>,
    /// What the mapper minimises for the tiles not given: latency (default), energy or edp.
    #[arg(long, value_parser = ["latency", "energy", "edp"])]
    map_for: Option<String>,
    /// A mapping file (RON, `MappingSpec(tile_n: Some(16))`); the flags above override its fields.
    #[arg(long)]
    mapping: Option<PathBuf>,
}

impl MappingArgs {
    fn spec(&self) -> Result<MappingSpec> {
        let file: MappingSpec = match &self.mapping {
            Some(p) => {
                let f: MappingSpec = tessera_core::load::read_ron(p)?;
                // Range errors name the file here; whether a tile fits is per layer, later.
                let max = i64::from(tessera_mapping::MAX_STREAM);
                let global = [("", f.tile_m, f.tile_k, f.tile_n)];
                let per_layer = f
                    .layers
                    .iter()
                    .map(|(name, t)| (name.as_str(), t.tile_m, t.tile_k, t.tile_n));
                for (layer, m, k, n) in global.into_iter().chain(per_layer) {
                    for (field, v) in [("tile_m", m), ("tile_k", k), ("tile_n", n)] {
                        if let Some(v) = v.filter(|v| !(1..=max).contains(v)) {
                            let field = if layer.is_empty() {
                                field.to_string()
                            } else {
                                format!("layers.{layer:?}.{field}")
                            };
                            return Err(Diagnostic::field(
                                field,
                                format!("must be between 1 and {max}, got {v}"),
                            )
                            .in_file(p));
                        }
                    }
                }
                f
            }
            None => MappingSpec::default(),
        };
        let keep = self.keep.as_deref().map(|k| match k {
            "input-panel" => Keep::InputPanel,
            "weight-panel" => Keep::WeightPanel,
            _ => Keep::Tiles,
        });
        Ok(MappingSpec {
            tile_m: self.tile_m.or(file.tile_m),
            tile_k: self.tile_k.or(file.tile_k),
            tile_n: self.tile_n.or(file.tile_n),
            keep: keep.or(file.keep),
            objective: self
                .map_for
                .as_deref()
                .and_then(tessera_mapping::Objective::parse)
                .or(file.objective),
            // flags override the file, its per-layer entries included
            layers: file
                .layers
                .into_iter()
                .map(|(name, mut t)| {
                    t.tile_m = self.tile_m.or(t.tile_m);
                    t.tile_k = self.tile_k.or(t.tile_k);
                    t.tile_n = self.tile_n.or(t.tile_n);
                    t.keep = keep.or(t.keep);
                    (name, t)
                })
                .collect(),
        })
    }
}

#[derive(Args)]
pub(crate) struct Common {
    /// Built-in accelerator name, RON file, or SCALE-Sim configuration (.cfg).
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    /// Built-in workload name, RON file, ONNX model (.onnx) or SCALE-Sim topology (.csv).
    #[arg(long, default_value = "mlp_small")]
    workload: String,
    #[command(flatten)]
    mapping: MappingArgs,
    /// Run only this MAC layer of the workload, by name or 0-based index.
    #[arg(long)]
    layer: Option<String>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the per-layer table as CSV (a row per layer and a TOTAL row) instead of text.
    #[arg(long)]
    csv: bool,
    /// Write every layer's mapping (the tiles given and the mapper's choices) to this RON file, to
    /// edit and feed back with `--mapping` (estimate and simulate).
    #[arg(long)]
    save_mapping: Option<PathBuf>,
}

/// Write the per-layer mappings `rows` as a mapping file (see `Common::save_mapping`).
fn save_mapping<'a>(
    path: Option<&PathBuf>,
    spec: &MappingSpec,
    rows: impl Iterator<Item = (&'a str, &'a tessera_mapping::Mapping)>,
) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let out = MappingSpec {
        objective: spec.objective,
        layers: rows
            .map(|(l, m)| (l.to_string(), tessera_mapping::LayerTiles::of(m)))
            .collect(),
        ..MappingSpec::default()
    };
    let text = tessera_core::load::to_ron_string(&out)?;
    tessera_core::load::write_atomic(path, format!("{text}\n").as_bytes())
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
    /// Write the architectural event log to this file (a device such as /dev/stdout works too).
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Write the same events as a Chrome / Perfetto timeline (JSON) to this file.
    #[arg(long)]
    chrome_trace: Option<PathBuf>,
}

#[derive(Args)]
struct BenchArgs {
    /// Skip the Verilator comparison (no Verilator builds).
    #[arg(long)]
    no_verilator: bool,
    /// Only part (d): the mapper's time per network and the analytical model's cost bounds and
    /// full estimates per second (no simulation, no Verilator).
    #[arg(long)]
    mapper_only: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ValidateArgs {
    /// Accelerators to validate on (default: a set of built-ins of both dataflows; `builtins`:
    /// every built-in array; `templates`: every template of a published design).
    #[arg(long)]
    arch: Vec<String>,
    /// Workloads (default: the demo set; `zoo`: every network of the model zoo).
    #[arg(long)]
    workload: Vec<String>,
    /// Validate only this MAC layer of each workload, by name or 0-based index.
    #[arg(long)]
    layer: Option<String>,
    #[command(flatten)]
    mapping: MappingArgs,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print one CSV row per (accelerator, layer) instead of text.
    #[arg(long)]
    csv: bool,
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
    /// Also prove with Yosys that the exported PE computes the contract's multiply-accumulate for
    /// every state and input (exit 1 with a counterexample if not).
    #[arg(long)]
    prove: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    #[arg(long, default_value = "ws_16x16")]
    arch: String,
    /// The program file: `(dram_bytes: N, data: [(at: A, bytes: [..])], program: [..])`, the
    /// instructions in docs/TIMING.md's instruction set (e.g. `Sync(mask: 1)`, `Halt`).
    #[arg(long)]
    program: PathBuf,
    /// Also run it on the exported RTL under Verilator.
    #[arg(long)]
    rtl: bool,
    /// Write the DRAM image after the run to this file (atomically).
    #[arg(long)]
    out_dram: Option<PathBuf>,
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
    // Ctrl-C asks the running operation to stop at its next safe point; it cleans up and returns
    // an `Interrupted` error (exit code 130).
    let _ = ctrlc::set_handler(tessera_core::interrupt::request);
    let json = std::env::args().any(|a| a == "--json");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if json && e.use_stderr() => {
            let d = Diagnostic::new(e.kind().to_string() + ": " + e.to_string().trim());
            return fail(&d, true);
        }
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => fail(&e, json),
    }
}

/// Report `e` (as text on stderr, or with `--json` as `{"error": {...}}` on stdout) and return the
/// exit code of its kind.
fn fail(e: &Diagnostic, json: bool) -> ExitCode {
    if json {
        #[derive(Serialize)]
        struct Wrapped {
            error: tessera_core::diag::JsonError,
        }
        let _ = print_json(&Wrapped {
            error: e.to_json_value(),
        });
    } else {
        eprintln!("error: {e}");
    }
    ExitCode::from(e.kind.exit_code())
}

pub(crate) fn print_json<T: Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Diagnostic::new(format!("cannot serialize: {e}")))?;
    outln!("{s}");
    Ok(())
}

/// Whether `name` is a file another tool wrote (`.onnx`, `.csv`, `.cfg`), which `tessera_import`
/// reads, rather than a built-in name or a RON file.
fn imported(name: &str) -> bool {
    std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| tessera_import::EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Import `name`, printing the importer's notes (what it assumed, folded or left out).
fn import(name: &str) -> Result<tessera_import::Validated> {
    let i = tessera_import::load(name)?;
    for n in i.notes() {
        eprintln!("note: {}: {n}", i.file().display());
    }
    i.validate()
}

pub(crate) fn load_arch(name: &str) -> Result<Arch> {
    if imported(name) && !tessera_arch::builtin::names().contains(&name) {
        return match import(name)? {
            tessera_import::Validated::Arch(a) => Ok(*a),
            tessera_import::Validated::Workload(_) => Err(Diagnostic::field(
                "--arch",
                format!("{name} describes a workload, not an accelerator (a SCALE-Sim .cfg does)"),
            )),
        };
    }
    let (a, note) = load_arch_noted(name)?;
    if let Some(n) = note {
        eprintln!("note: {n}");
    }
    Ok(a)
}

pub(crate) fn load_workload(name: &str) -> Result<Workload> {
    if imported(name) && !WORKLOADS.iter().any(|w| w.0 == name) {
        return match import(name)? {
            tessera_import::Validated::Workload(w) => Ok(w),
            tessera_import::Validated::Arch(_) => Err(Diagnostic::field(
                "--workload",
                format!(
                    "{name} describes an accelerator, not a workload (an ONNX model or a SCALE-Sim \
                     topology .csv does)"
                ),
            )),
        };
    }
    let (w, note) = load_workload_noted(name)?;
    if let Some(n) = note {
        eprintln!("note: {n}");
    }
    Ok(w)
}

/// The accelerator, the workload (or its `--layer`) and the mapping spec; per-layer entries of a
/// mapping file must name layers of the whole workload.
pub(crate) fn inputs(c: &Common) -> Result<(Arch, Workload, MappingSpec)> {
    let arch = load_arch(&c.arch)?;
    let w = load_workload(&c.workload)?;
    let spec = c.mapping.spec()?;
    check_mapping_layers(&c.mapping, &spec, &w)?;
    Ok((arch, select(w, c.layer.as_deref())?, spec))
}

/// Per-layer entries of a mapping file must name layers of the whole workload `w`.
fn check_mapping_layers(args: &MappingArgs, spec: &MappingSpec, w: &Workload) -> Result<()> {
    spec.check_layer_names(w.layers.iter().map(|l| l.name()))
        .map_err(|e| match &args.mapping {
            Some(f) => e.in_file(f),
            None => e,
        })
}

/// The workload, or only its layer `which` (`--layer`).
pub(crate) fn select(w: Workload, which: Option<&str>) -> Result<Workload> {
    match which {
        Some(l) => w.select(l),
        None => Ok(w),
    }
}

/// Name the workload's file in a mapping error that names none (the tiles are the workload's
/// layers' on this accelerator).
pub(crate) fn in_workload(e: Diagnostic, workload: &str) -> Diagnostic {
    if e.file.is_none() && e.field.as_deref().is_some_and(|f| f.starts_with("mapping")) {
        let origin = if std::path::Path::new(workload).exists() {
            workload.to_string()
        } else {
            format!("builtin:{workload}")
        };
        e.in_file(origin)
    } else {
        e
    }
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
                archs: tessera_arch::builtin::names(),
                workloads: WORKLOADS.iter().map(|w| w.0).collect(),
            };
            if f.json {
                print_json(&l)?;
            } else {
                print::list(&l.archs, &l.workloads)?;
            }
        }
        Cmd::Estimate(c) => {
            let (arch, w, spec) = inputs(&c)?;
            let r = tessera_sim::workload::estimate(&arch, &w, &spec)
                .map_err(|e| in_workload(e, &c.workload))?;
            save_mapping(
                c.save_mapping.as_ref(),
                &spec,
                r.layers.iter().map(|l| (l.info.layer.as_str(), &l.mapping)),
            )?;
            if c.json {
                print_json(&r)?;
            } else if c.csv {
                csv_out::estimate(&r)?;
            } else {
                print::estimate(&r, &arch);
            }
        }
        Cmd::Simulate(s) => {
            let (arch, w, spec) = inputs(&s.common)?;
            let engine: Engine = s.engine.parse()?;
            let (r, traces) = tessera_sim::workload::simulate(
                &arch,
                &w,
                &spec,
                engine,
                s.seed,
                s.trace.is_some() || s.chrome_trace.is_some(),
            )
            .map_err(|e| in_workload(e, &s.common.workload))?;
            save_mapping(
                s.common.save_mapping.as_ref(),
                &spec,
                r.layers.iter().map(|l| (l.info.layer.as_str(), &l.mapping)),
            )?;
            if let Some(path) = &s.trace {
                tessera_core::load::write_atomic(
                    path,
                    tessera_sim::trace::to_text(&traces).as_bytes(),
                )?;
            }
            if let Some(path) = &s.chrome_trace {
                tessera_core::load::write_atomic(
                    path,
                    tessera_sim::trace::to_chrome_json(&traces).as_bytes(),
                )?;
            }
            if s.common.json {
                print_json(&r)?;
            } else if s.common.csv {
                csv_out::simulate(&r)?;
            } else {
                print::simulate(&r);
            }
            if !r.matches_reference {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Validate(v) => {
            let spec = v.mapping.spec()?;
            let pairs =
                validate_pairs(&v.arch, &v.workload, v.layer.as_deref(), &v.mapping, &spec)?;
            let r = tessera_sim::workload::validate(&pairs, &spec, v.seed)?;
            if v.json {
                print_json(&r)?;
            } else if v.csv {
                csv_out::validate(&r)?;
            } else {
                print::validate(&r);
            }
            if !r.passed {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Search(s) => return cmd_search::run(s),
        Cmd::Multitask(m) => return cmd_multitask::run(m),
        Cmd::System(a) => return cmd_system::run(a),
        Cmd::Baselines(b) => return cmd_baselines::run(b),
        Cmd::Interop(a) => cmd_interop::run(a)?,
        Cmd::Export(e) => {
            let arch = load_arch(&e.arch)?;
            let tools = tessera_verif::Tools::find()?;
            let r = tessera_verif::export(&arch, &e.out, e.synth, &tools)?;
            let proof = if e.prove {
                let design = tessera_rtl_gen::emit(&arch)?;
                Some(tessera_verif::prove_pe(&arch, &design, &tools)?)
            } else {
                None
            };
            if e.json {
                let mut v = serde_json::to_value(&r)
                    .map_err(|x| Diagnostic::internal(format!("cannot serialize: {x}")))?;
                if let (Some(p), Some(o)) = (&proof, v.as_object_mut()) {
                    let p = serde_json::to_value(p)
                        .map_err(|x| Diagnostic::internal(format!("cannot serialize: {x}")))?;
                    o.insert("proof".into(), p);
                }
                print_json(&v)?;
            } else {
                print::export(&r);
                if let Some(p) = &proof {
                    outln!(
                        "PE {} proven by {} in {:.2} s, {}",
                        p.pe,
                        p.yosys_version,
                        p.seconds,
                        p.property
                    );
                }
            }
        }
        Cmd::Verify(v) => {
            let (arch, w, spec) = inputs(&v.common)?;
            let tools = tessera_verif::Tools::find()?;
            let o = VerifyOptions {
                engine: v.engine.parse()?,
                seed: v.seed,
                trace: v.trace,
                mapping: spec,
                ..VerifyOptions::default()
            };
            let r = tessera_verif::verify(&arch, &w, &o, &tools)
                .map_err(|e| in_workload(e, &v.common.workload))?;
            if v.common.json {
                print_json(&r)?;
            } else {
                print::verify(&r);
            }
            if !r.passed {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Run(a) => {
            let arch = load_arch(&a.arch)?;
            let file: tessera_flow::program::ProgramFile =
                tessera_core::load::read_ron(&a.program)?;
            let tools = if a.rtl {
                Some(tessera_verif::Tools::find()?)
            } else {
                None
            };
            // the file's own errors (the image, an illegal program) name it; the run's do not
            file.check(&arch).map_err(|e| e.in_file(&a.program))?;
            let (r, dram) = tessera_flow::program::run_program(&arch, &file, tools.as_ref())?;
            if let Some(path) = &a.out_dram {
                tessera_core::load::write_atomic(path, &dram)?;
            }
            if a.json {
                print_json(&r)?;
            } else {
                print::run(&r);
            }
            if !r.passed {
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::Demo(f) => return cmd_search::demo(f.json),
        Cmd::Bench(b) => {
            let tools = if b.no_verilator || b.mapper_only {
                None
            } else {
                Some(tessera_verif::Tools::find()?)
            };
            let json = b.json;
            let r = tessera_flow::bench::run_parts(tools.as_ref(), b.mapper_only, &mut |ev| {
                if !json {
                    print::bench_event(ev)
                }
            })?;
            if json {
                print_json(&r)?;
            } else {
                print::bench_summary(&r);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Default validation set: several array shapes of both dataflows × the demo workloads.
fn validate_pairs(
    archs: &[String],
    workloads: &[String],
    layer: Option<&str>,
    args: &MappingArgs,
    spec: &MappingSpec,
) -> Result<Vec<(Arch, Workload)>> {
    let archs: Vec<String> = if archs.is_empty() {
        [
            "ws_2x3", "ws_4x4", "ws_8x8", "ws_16x16", "os_2x3", "os_4x4", "os_8x8", "os_16x16",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    } else {
        archs
            .iter()
            .flat_map(|a| -> Vec<String> {
                if a == "builtins" {
                    tessera_arch::builtin::ARCHS
                        .iter()
                        .map(|(n, _)| n.to_string())
                        .collect()
                } else if a == "templates" {
                    tessera_arch::builtin::TEMPLATES
                        .iter()
                        .map(|(n, _)| n.to_string())
                        .collect()
                } else {
                    vec![a.clone()]
                }
            })
            .collect()
    };
    let workloads: Vec<String> = if workloads.is_empty() {
        ["gemm_37x50x19", "mlp_small"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        workloads
            .iter()
            .flat_map(|w| -> Vec<String> {
                if w == "zoo" {
                    tessera_workloads::builtin::ZOO
                        .iter()
                        .map(|n| n.to_string())
                        .collect()
                } else {
                    vec![w.clone()]
                }
            })
            .collect()
    };
    let mut pairs = vec![];
    for a in &archs {
        for w in &workloads {
            let wl = load_workload(w)?;
            check_mapping_layers(args, spec, &wl)?;
            pairs.push((load_arch(a)?, select(wl, layer)?));
        }
    }
    Ok(pairs)
}
