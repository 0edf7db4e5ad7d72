//! Running a program on the generated RTL under Verilator.
//!
//! A C++ testbench (`verif/templates/tb.cpp`) drives the top module: it resets, fills the program
//! queue, pulses `start`, streams the rest of the program as the contract's host does (one
//! instruction in every cycle the queue has room) and plays the DRAM of docs/TIMING.md (each read
//! request's word L cycles later, gathered bytes as the request says; write acknowledgement L cycles
//! after the last beat; the pacing of read requests and write beats checked one by one, per transfer;
//! with `dram.outstanding_transfers` = O, up to O transfers awaiting their words or acknowledgement,
//! their request and beat streams never interleaved; with `dram.words_per_cycle` = P, up to P read
//! requests per cycle on P lanes, each word returned on its request's lane, and up to
//! [`Arch::store_lanes`] write beats per cycle on as many lanes; a violation stops the
//! run with an error). It counts cycles as the contract does: cycle 0 is
//! the first cycle after `start`, and the first cycle in which `done` is high is the cycle count h + 1.
//!
//! On request ([`run_rtl_traced`]) the testbench also writes the architectural event trace, in the
//! cycle simulator's format and canonical order (`tessera_sim::trace`), so the two can be diffed line
//! by line:
//!
//! ```text
//! <c> ctrl issue pc=<pc> <LOAD|STORE|COMPUTE|CONFIG>  issue cycle (trace_issue, trace_pc, trace_op)
//! <c> ctrl halt                                 the cycle h HALT completes (trace_halt)
//! <c> dma rreq <i> addr=<a> stride=<s> first=<f> count=<n>   a LOAD's read request i
//! <c> dma rbeat <i>                             read word i delivered by the DRAM
//! <c> dma wbeat <i>                             store write beat i on the DRAM port
//! <c> dma done                                  the DMA unit's last busy cycle (trace_dma_done)
//! <c> compute done                              the compute unit's last busy cycle (trace_cmp_done)
//! ```
//! Lines are ordered by cycle, then unit (ctrl, dma, compute), then as listed. Without a trace the
//! testbench pays one branch per cycle.
//!
//! Builds are cached by the SHA-256 of the emitted sources, the testbench, the flags and the
//! Verilator version, in `$TESSERA_CACHE_DIR` or `<workspace>/target/tessera-verilator-cache`. A build
//! goes into a temporary folder next to the cache entry and is renamed into place, so two processes
//! building the same hash at once both succeed (the loser of the rename uses the winner's build).
//! Yosys syntheses are cached in the same folder (`synth-<top>-<key>`, [`crate::synth`]).
//!
//! What it leaves out: DRAM refresh and bank timing (the contract has neither); X propagation (Verilator is two-state; registers are reset and memories zeroed).

use crate::tools::Tools;
use askama::Template;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_arch::isa::op;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_rtl_gen::Design;

/// Outcome of a run: the contract's cycle count, the DRAM image after `done` and, from
/// [`run_rtl_traced`], the event trace (one line per event, without line ends).
#[derive(Clone, Debug, PartialEq)]
pub struct RtlRun {
    pub cycles: u64,
    pub dram: Vec<u8>,
    /// `Some` only when a trace was requested.
    pub trace: Option<Vec<String>>,
    /// Wall time of the testbench's simulation loop alone (no process start, no file I/O), seconds.
    pub run_s: f64,
}

/// Verilator flags of the testbench build (part of the cache key). The build runs in two steps:
/// Verilator translates the design (these flags), then `make` compiles it with the `make` variables of [`OPT_ENV`].
const BUILD_FLAGS: &[&str] = &[
    "--cc",
    "--exe",
    "-Wno-fatal",
    "--x-assign",
    "0",
    "--x-initial",
    "0",
];
/// The environment variable that sets the C++ optimisation of testbench builds: `-O0`, `-O1`,
/// `-O2`, `-O3`, `-Os` or `-Og` (default: Verilator's `-Os`). `.ci/run` sets `-O0`: the tests build
/// many designs and run each briefly, and `-O0` compiles a 16x16 design in two thirds of the time,
/// while its model runs 1.6 to 6 times slower (`tessera bench`, 8x8 to 32x32). Part of the cache key.
pub const OPT_ENV: &str = "TESSERA_VERILATOR_OPT";

/// The C++ optimisation testbench builds use: [`OPT_ENV`]'s value, else `-Os` (Verilator's default).
pub fn opt_level() -> Result<String> {
    parse_opt(std::env::var_os(OPT_ENV))
}

fn parse_opt(value: Option<std::ffi::OsString>) -> Result<String> {
    let Some(opt) = value.filter(|v| !v.is_empty()) else {
        return Ok("-Os".to_string());
    };
    let opt = opt.to_string_lossy().into_owned();
    if !["-O0", "-O1", "-O2", "-O3", "-Os", "-Og"].contains(&opt.as_str()) {
        return Err(Diagnostic::new(format!(
            "environment variable {OPT_ENV} is {opt:?}: expected one of -O0, -O1, -O2, -O3, -Os, -Og"
        )));
    }
    Ok(opt)
}

/// `make` variables of the C++ compile (part of the cache key): none at Verilator's default.
fn make_vars() -> Result<Vec<String>> {
    let opt = opt_level()?;
    if opt == "-Os" {
        return Ok(Vec::new());
    }
    Ok(["OPT_FAST", "OPT_SLOW", "OPT_GLOBAL"]
        .iter()
        .map(|v| format!("{v}={opt}"))
        .collect())
}

/// Verilator's runtime library, the same for every design: compiled by the first build, kept in
/// the cache root and linked by every later build instead of being compiled again (a quarter of a
/// 16x16 design's build time at `-Os`, three fifths of a 4x4 one's).
const RUNTIME_OBJECTS: &[&str] = &["verilated.o", "verilated_threads.o"];
/// Verilator's `verilated.h` precompiled (GCC's `.gch`), with the flags of the objects that include
/// it: every object of a build parses it first (through `-include`, [`PCH_CPPFLAGS`]), and reading
/// the precompiled form instead takes most of the compile time of a small design's two objects off
/// (a 4x4 design's at `-O0`: 2.2 s of compiler time to 0.7 s). Compiled by the first build beside
/// the runtime objects and linked into every later one. GCC ignores a header precompiled with other
/// flags (and warns, `-Winvalid-pch`, in the build log), so it can cost time but never change a
/// build.
const PCH: &str = "verilated.h.gch";
/// `USER_CPPFLAGS` of the build: `verilated.h` included first (so GCC may take [`PCH`] from the
/// build folder), a warning when a precompiled header is found but cannot be used.
const PCH_CPPFLAGS: &str = "-include verilated.h -Winvalid-pch";

/// The make file added to Verilator's for [`PCH`]: its rule (the recipe of the objects, less the
/// `-include` of the header itself), a link to the header beside it (GCC opens the header where it
/// found the precompiled one when a nested `#include` meets it again; a phony target, since make
/// finds `verilated.h` itself on Verilator's `VPATH`), and the dependence on both of the objects
/// (`verilated.mk`'s `VK_OBJS`: the design's, one or several; `VK_USER_OBJS`: the testbench's).
fn pch_makefile() -> String {
    format!(
        "# generated by tessera-verif (run.rs): verilated.h precompiled with the objects' flags\n\
         {PCH}: $(VERILATOR_ROOT)/include/verilated.h\n\
         \t$(CXX) $(CXXFLAGS) $(filter-out -include verilated.h,$(CPPFLAGS)) $(OPT_FAST) \
         -x c++-header -o $@ $<\n\
         .PHONY: header_link\n\
         header_link:\n\
         \tln -sf $(VERILATOR_ROOT)/include/verilated.h verilated.h\n\
         $(VK_OBJS) $(VK_USER_OBJS): {PCH} | header_link\n"
    )
}

/// Name of the testbench executable inside the build folder.
const BINARY: &str = "Vtb";

#[derive(Template)]
#[template(path = "tb.cpp", escape = "none")]
struct TbView {
    top: String,
    rows: u32,
    cols: u32,
    latency: u64,
    bytes_per_cycle: u32,
    bus_bytes: u32,
    outstanding: u32,
    /// P: the DRAM port's read lanes (`dram.words_per_cycle`).
    lanes: u32,
    /// S: its write beat lanes ([`Arch::store_lanes`]).
    store_lanes: u32,
    op_load: u8,
    op_config: u8,
    op_store: u8,
    op_compute: u8,
    /// The design has single-ported SRAMs, which stop on a read and a write in one cycle: the
    /// testbench reports that as a contract violation (without them its text is unchanged).
    stops: bool,
}

fn testbench(arch: &Arch, design: &Design) -> Result<String> {
    if !tessera_arch::is_safe_identifier(arch.name())
        || design.top != format!("{}_top", arch.name())
    {
        return Err(Diagnostic::new(format!(
            "design {:?} was not generated for arch {:?}",
            design.top,
            arch.name()
        )));
    }
    TbView {
        top: design.top.clone(),
        rows: arch.rows(),
        cols: arch.cols(),
        latency: arch.dram().latency().get(),
        bytes_per_cycle: arch.dram().bytes_per_cycle(),
        bus_bytes: arch.mem_bus_bytes(),
        outstanding: arch.dram().outstanding_transfers(),
        lanes: arch.dram().words_per_cycle(),
        store_lanes: arch.store_lanes(),
        op_load: op::LOAD,
        op_config: op::CONFIG,
        op_store: op::STORE,
        op_compute: op::COMPUTE,
        stops: arch.input().single_ported() || arch.weight().single_ported(),
    }
    .render()
    .map_err(|e| Diagnostic::internal(format!("rendering the testbench: {e}")))
}

/// Where builds are cached: `$TESSERA_CACHE_DIR`, else `target/tessera-verilator-cache` under the
/// workspace root this crate was built from (the system temp folder if that is gone).
pub fn cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os("TESSERA_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf);
    match workspace {
        Some(w) if w.join("Cargo.toml").is_file() => {
            w.join("target").join("tessera-verilator-cache")
        }
        _ => std::env::temp_dir().join("tessera-verilator-cache"),
    }
}

/// Build (or find in the cache at [`cache_root`]) the Verilator testbench for `design`; returns the
/// executable.
pub fn build_testbench(arch: &Arch, design: &Design, tools: &Tools) -> Result<PathBuf> {
    build_testbench_in(&cache_root(), arch, design, tools)
}

/// [`build_testbench`] with the cache in `root`.
pub fn build_testbench_in(
    root: &Path,
    arch: &Arch,
    design: &Design,
    tools: &Tools,
) -> Result<PathBuf> {
    let tb = testbench(arch, design)?;
    build_cached(root, design, &tb, tools)
}

/// Build (or find in the cache at `root`) the Verilator executable of `design` with the testbench
/// source `tb`, keyed by the design, the testbench, the flags and the Verilator version.
pub(crate) fn build_cached(
    root: &Path,
    design: &Design,
    tb: &str,
    tools: &Tools,
) -> Result<PathBuf> {
    let make_vars = make_vars()?;
    let mut h = Sha256::new();
    for part in [
        design.content_hash().as_str(),
        tb,
        &BUILD_FLAGS.join(" "),
        &make_vars.join(" "),
        PCH_CPPFLAGS,
        &tools.verilator_version,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let entry = root.join(format!("{}-{}", design.top, &key[..32]));
    let binary = |dir: &Path| dir.join("obj").join(BINARY);
    if binary(&entry).is_file() {
        return Ok(binary(&entry));
    }
    std::fs::create_dir_all(root)
        .map_err(|e| Diagnostic::io(root, "cannot create the build cache", &e))?;
    // `.building-<pid>-…`: removed if this build fails or is interrupted; swept by a later build if
    // this process is killed outright.
    let tmp = crate::proc::temp_dir(".building-", Some(root))?;
    let src = tmp.path().join("src");
    design.write_to(&src)?;
    tessera_core::load::write_atomic(&src.join("tb.cpp"), tb.as_bytes())?;
    let obj = tmp.path().join("obj");
    let mut cmd = Command::new(&tools.verilator);
    cmd.current_dir(&src)
        .args(BUILD_FLAGS)
        .args(["--top-module", &design.top, "-Mdir"])
        .arg(&obj)
        .args(["-o", BINARY])
        .args(design.files.iter().map(|f| src.join(&f.name)))
        .arg(src.join("tb.cpp"));
    let verilated = crate::proc::run(&mut cmd, "verilator")?;
    let mut log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&verilated.stdout),
        String::from_utf8_lossy(&verilated.stderr)
    );
    let runtime = runtime_dir(root, &make_vars, tools);
    if verilated.status.success() {
        // A copy is newer than the makefile Verilator just wrote, so `make` links it as it is; the
        // precompiled header is linked, not copied (it is tens of megabytes).
        let compiled_runtime = !RUNTIME_OBJECTS
            .iter()
            .all(|o| std::fs::copy(runtime.join(o), obj.join(o)).is_ok())
            | std::fs::hard_link(runtime.join(PCH), obj.join(PCH)).is_err();
        tessera_core::load::write_atomic(&obj.join("pch.mk"), pch_makefile().as_bytes())?;
        let mut make = Command::new("make");
        make.current_dir(&obj)
            .args([
                "-j",
                "1",
                "-f",
                &format!("V{}.mk", design.top),
                "-f",
                "pch.mk",
            ])
            .args(&make_vars)
            .arg(format!("USER_CPPFLAGS={PCH_CPPFLAGS}"))
            .arg(BINARY);
        let made = crate::proc::run(&mut make, "make (the Verilator build)")?;
        log.push_str(&String::from_utf8_lossy(&made.stdout));
        log.push_str(&String::from_utf8_lossy(&made.stderr));
        if made.status.success() && compiled_runtime {
            publish_runtime(root, &runtime, &obj);
        }
        // the entry keeps no copy of the header (the runtime folder has it)
        let _ = std::fs::remove_file(obj.join(PCH));
    }
    // Keep the build log beside the build; failure to write it is not an error.
    let _ = std::fs::write(tmp.path().join("build.log"), &log);
    if !binary(tmp.path()).is_file() {
        let tail: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
        let tail = tail[tail.len().saturating_sub(30)..].join("\n");
        return Err(Diagnostic::tool(format!(
            "Verilator build of the {} testbench failed:\n{tail}",
            design.top
        )));
    }
    let built = tmp.keep();
    match std::fs::rename(&built, &entry) {
        Ok(()) => Ok(binary(&entry)),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&built);
            if binary(&entry).is_file() {
                Ok(binary(&entry)) // another process won the race with the same build
            } else {
                Err(Diagnostic::io(
                    &entry,
                    "cannot move the build into the cache",
                    &e,
                ))
            }
        }
    }
}

/// Where the compiled Verilator runtime ([`RUNTIME_OBJECTS`]) is kept: keyed by the Verilator
/// version, the flags and the `make` variables, as the builds that link it are.
fn runtime_dir(root: &Path, make_vars: &[String], tools: &Tools) -> PathBuf {
    let mut h = Sha256::new();
    for part in [
        BUILD_FLAGS.join(" "),
        make_vars.join(" "),
        PCH_CPPFLAGS.to_string(),
        tools.verilator_version.clone(),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    root.join(format!("verilator-runtime-{}", &key[..32]))
}

/// Keep the runtime objects and the precompiled header a build compiled in `obj` for later builds,
/// whole or not at all ([`crate::proc::publish_dir`]), so a reader never sees a partial set.
/// Failure only costs time.
fn publish_runtime(root: &Path, runtime: &Path, obj: &Path) {
    if runtime.is_dir() {
        return;
    }
    crate::proc::publish_dir(root, ".runtime-", runtime, |dir| {
        RUNTIME_OBJECTS
            .iter()
            .all(|o| std::fs::copy(obj.join(o), dir.join(o)).is_ok())
            && (std::fs::hard_link(obj.join(PCH), dir.join(PCH)).is_ok()
                || std::fs::copy(obj.join(PCH), dir.join(PCH)).is_ok())
    });
}

/// Run `program` on the RTL of `arch` with `dram_image` as the DRAM contents. Errors on a DRAM
/// contract violation, on a timeout (no `done` by cycle `max_cycles`) and on tool failures. The
/// returned [`RtlRun::trace`] is `None`.
pub fn run_rtl(
    arch: &Arch,
    design: &Design,
    program: &[u128],
    dram_image: &[u8],
    max_cycles: u64,
    tools: &Tools,
) -> Result<RtlRun> {
    run(arch, design, program, dram_image, max_cycles, tools, false)
}

/// [`run_rtl`] that also records the event trace (see the module docs): [`RtlRun::trace`] is `Some`,
/// in canonical order. Cycle count and DRAM image are the same as without the trace.
pub fn run_rtl_traced(
    arch: &Arch,
    design: &Design,
    program: &[u128],
    dram_image: &[u8],
    max_cycles: u64,
    tools: &Tools,
) -> Result<RtlRun> {
    run(arch, design, program, dram_image, max_cycles, tools, true)
}

fn run(
    arch: &Arch,
    design: &Design,
    program: &[u128],
    dram_image: &[u8],
    max_cycles: u64,
    tools: &Tools,
    trace: bool,
) -> Result<RtlRun> {
    if program.is_empty() {
        return Err(Diagnostic::new("an empty program"));
    }
    let exe = build_testbench(arch, design, tools)?;
    let dir = crate::proc::temp_dir("tessera-rtl-run-", None)?;
    let p = |n: &str| dir.path().join(n);
    let write = |n: &str, bytes: &[u8]| {
        std::fs::write(p(n), bytes).map_err(|e| Diagnostic::io(p(n), "cannot write", &e))
    };
    let read = |n: &str| std::fs::read(p(n)).map_err(|e| Diagnostic::io(p(n), "cannot read", &e));
    let prog: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
    write("program.bin", &prog)?;
    write("dram_in.bin", dram_image)?;
    let mut cmd = Command::new(&exe);
    cmd.current_dir(dir.path()).args([
        "program.bin",
        "dram_in.bin",
        "dram_out.bin",
        "cycles.txt",
        &max_cycles.to_string(),
    ]);
    if trace {
        cmd.arg("trace.txt");
    }
    let out = crate::proc::run(&mut cmd, "the RTL testbench")?;
    testbench_status(
        &out,
        &design.top,
        &format!("`done` was not high within {max_cycles} cycles"),
    )?;
    let cycles_text = String::from_utf8_lossy(&read("cycles.txt")?).into_owned();
    let mut fields = cycles_text.split_whitespace();
    let bad = || Diagnostic::tool(format!("testbench wrote a bad cycle count {cycles_text:?}"));
    let cycles = fields.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
    let run_s = fields.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
    let dram = read("dram_out.bin")?;
    if dram.len() != dram_image.len() {
        return Err(Diagnostic::tool(
            "testbench returned a DRAM image of the wrong size",
        ));
    }
    let trace = if trace {
        let text = String::from_utf8_lossy(&read("trace.txt")?).into_owned();
        // split on `\n` only: any other line end stays in the line and fails a comparison
        Some(text.split_terminator('\n').map(str::to_string).collect())
    } else {
        None
    };
    Ok(RtlRun {
        cycles,
        dram,
        trace,
        run_s,
    })
}

/// A testbench's exit status as a result: 2 (a DRAM contract violation) and 3 (a timeout, said as
/// `timeout`) are the RTL failing the check; anything but 0 is the tool failing.
pub(crate) fn testbench_status(out: &crate::proc::Output, top: &str, timeout: &str) -> Result<()> {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    match out.status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(Diagnostic::check_failed(format!(
            "RTL run of {top}: {stderr}"
        ))),
        Some(3) => Err(Diagnostic::check_failed(format!(
            "RTL run of {top} timed out: {timeout}"
        ))),
        _ => Err(crate::proc::tool_failure(
            &format!("the RTL testbench of {top}"),
            out,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_opt;

    #[test]
    fn the_optimisation_level_is_checked() {
        assert_eq!(parse_opt(None).unwrap(), "-Os");
        assert_eq!(parse_opt(Some("".into())).unwrap(), "-Os");
        assert_eq!(parse_opt(Some("-O0".into())).unwrap(), "-O0");
        let e = parse_opt(Some("-O0 -DX".into())).unwrap_err().to_string();
        assert!(
            e.contains("TESSERA_VERILATOR_OPT") && e.contains("-O0 -DX"),
            "{e}"
        );
    }
}
