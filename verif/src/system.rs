//! Running a system — several sub-accelerators sharing one DRAM channel (docs/TIMING.md, "Systems:
//! sub-accelerators sharing one DRAM channel") — on the RTL of [`tessera_rtl_gen::emit_system`]
//! under Verilator.
//!
//! The testbench (`verif/templates/tb_system.cpp`) resets the system, fills every sub-accelerator's
//! program queue, pulses the one shared `start`, streams each program as the contract's host does and
//! plays one DRAM of latency L and W bytes per cycle: each read word L cycles after its request with
//! the request's sub-accelerator index (on the request's lane: the port has as many read and write
//! lanes as the sub with the most, a sub with `P` lanes using lanes `0 .. P-1`), each store
//! acknowledged L cycles after its last beat with its index. It checks, per transfer, the pacing of
//! requests and beats (i exactly `k_i - k_0` after the first, with the sub's own `P`), that a sub
//! uses only its own lanes, the valid lanes a prefix, that the request or beat streams of different
//! transfers never interleave and that each transfer's grant (its first request or beat less the
//! pacing's `k_0`, and a cycle for a STORE's beat) comes after the previous holder's request end
//! (the channel is held from the grant through the request end), that a sub-accelerator has at
//! most its `O` transfers in flight and they end in order, and that every access lies inside the
//! image. It records each sub-accelerator's own cycle
//! count (the first cycle its `done` is high, its h + 1) and ends when every one is done.
//!
//! What it leaves out: the arbitration order is not checked here (the testbench sees only the DRAM
//! port; the cycle counts carry it, to be compared with the cycle simulator's), nor that a
//! sub-accelerator stays inside its own DRAM region (the host's relocation places it there); no event
//! trace. Builds share [`crate::run`]'s cache.

use crate::tools::Tools;
use askama::Template;
use std::process::Command;
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_rtl_gen::Design;

/// Outcome of a system run.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemRtlRun {
    /// Per sub-accelerator, its own cycle count `h + 1` (the first cycle its `done` is high).
    pub cycles: Vec<u64>,
    /// The DRAM image after every sub-accelerator is done.
    pub dram: Vec<u8>,
    /// Wall time of the testbench's simulation loop alone, seconds.
    pub run_s: f64,
}

#[derive(Template)]
#[template(path = "tb_system.cpp", escape = "none")]
struct TbSystemView {
    top: String,
    n: usize,
    subs: Vec<usize>,
    latency: u64,
    bytes_per_cycle: u32,
    bus_bytes: u32,
    /// The port's read and write lanes (the most of any sub), and each sub's P and S.
    lanes: u32,
    st_lanes: u32,
    sub_lanes: Vec<u32>,
    sub_st_lanes: Vec<u32>,
    /// Each sub's DMA transfer slots, O.
    sub_slots: Vec<u32>,
    /// Some sub-accelerator has single-ported SRAMs, which stop on a read and a write in one
    /// cycle: the testbench reports that as a contract violation (without them its text is
    /// unchanged).
    stops: bool,
}

fn testbench(subs: &[Arch], design: &Design) -> Result<String> {
    if subs.is_empty() || subs.len() > tessera_rtl_gen::MAX_SUBS {
        return Err(Diagnostic::new(format!(
            "a system has 1 to {} sub-accelerators, not {}",
            tessera_rtl_gen::MAX_SUBS,
            subs.len()
        )));
    }
    let name = design.top.strip_suffix("_system").unwrap_or("");
    let has = |f: &str| design.files.iter().any(|x| x.name == f);
    if !tessera_arch::is_safe_identifier(name)
        || !has(&format!("{name}_arbiter.v"))
        || subs.iter().any(|a| {
            !tessera_arch::is_safe_identifier(a.name()) || !has(&format!("{}_top.v", a.name()))
        })
    {
        return Err(Diagnostic::new(format!(
            "design {:?} is not a system generated for the sub-accelerators {:?}",
            design.top,
            subs.iter().map(Arch::name).collect::<Vec<_>>()
        )));
    }
    let d0 = subs[0].dram();
    if let Some(s) = subs.iter().position(|a| {
        a.dram().bytes_per_cycle() != d0.bytes_per_cycle() || a.dram().latency() != d0.latency()
    }) {
        return Err(Diagnostic::new(format!(
            "sub-accelerator {s} ({}) has another DRAM than sub-accelerator 0; a system has one channel",
            subs[s].name()
        )));
    }
    TbSystemView {
        top: design.top.clone(),
        n: subs.len(),
        subs: (0..subs.len()).collect(),
        latency: d0.latency().get(),
        bytes_per_cycle: d0.bytes_per_cycle(),
        bus_bytes: subs.iter().map(Arch::mem_bus_bytes).max().unwrap_or(1),
        lanes: tessera_arch::spec::channel_lanes(subs).0,
        st_lanes: tessera_arch::spec::channel_lanes(subs).1,
        sub_lanes: subs.iter().map(|a| a.dram().words_per_cycle()).collect(),
        sub_st_lanes: subs.iter().map(Arch::store_lanes).collect(),
        sub_slots: subs
            .iter()
            .map(|a| a.dram().outstanding_transfers())
            .collect(),
        stops: subs
            .iter()
            .any(|a| a.input().single_ported() || a.weight().single_ported()),
    }
    .render()
    .map_err(|e| Diagnostic::internal(format!("rendering the system testbench: {e}")))
}

/// Run `programs[s]` (encoded) on sub-accelerator `s` of the system `design` (from
/// [`tessera_rtl_gen::emit_system`] with `subs`), with one DRAM image `dram` all of them share.
/// Errors on a DRAM contract violation (a check failure naming it), on a timeout (not every `done`
/// by cycle `max_cycles`) and on tool failures.
pub fn run_system_rtl(
    subs: &[Arch],
    design: &Design,
    programs: &[Vec<u128>],
    dram: &[u8],
    max_cycles: u64,
    tools: &Tools,
) -> Result<SystemRtlRun> {
    if programs.len() != subs.len() {
        return Err(Diagnostic::new(format!(
            "{} programs for {} sub-accelerators",
            programs.len(),
            subs.len()
        )));
    }
    if let Some(s) = programs.iter().position(Vec::is_empty) {
        return Err(Diagnostic::new(format!(
            "sub-accelerator {s} has an empty program"
        )));
    }
    let tb = testbench(subs, design)?;
    let exe = crate::run::build_cached(&crate::run::cache_root(), design, &tb, tools)?;
    let dir = crate::proc::temp_dir("tessera-system-run-", None)?;
    let p = |n: &str| dir.path().join(n);
    let write = |n: &str, bytes: &[u8]| {
        std::fs::write(p(n), bytes).map_err(|e| Diagnostic::io(p(n), "cannot write", &e))
    };
    let read = |n: &str| std::fs::read(p(n)).map_err(|e| Diagnostic::io(p(n), "cannot read", &e));
    let mut args = vec![];
    for (s, prog) in programs.iter().enumerate() {
        let name = format!("prog_{s}.bin");
        let bytes: Vec<u8> = prog.iter().flat_map(|w| w.to_le_bytes()).collect();
        write(&name, &bytes)?;
        args.push(name);
    }
    write("dram_in.bin", dram)?;
    args.extend(
        ["dram_in.bin", "dram_out.bin", "cycles.txt"]
            .iter()
            .map(|s| s.to_string()),
    );
    args.push(max_cycles.to_string());
    let out = crate::proc::run(
        Command::new(&exe).current_dir(dir.path()).args(&args),
        "the system RTL testbench",
    )?;
    crate::run::testbench_status(
        &out,
        &design.top,
        &format!("not every `done` was high within {max_cycles} cycles"),
    )?;
    let text = String::from_utf8_lossy(&read("cycles.txt")?).into_owned();
    let bad = || Diagnostic::tool(format!("testbench wrote bad cycle counts {text:?}"));
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != subs.len() + 1 {
        return Err(bad());
    }
    let cycles = fields[..subs.len()]
        .iter()
        .map(|c| c.parse().map_err(|_| bad()))
        .collect::<Result<Vec<u64>>>()?;
    let run_s = fields[subs.len()].parse().map_err(|_| bad())?;
    let dram_out = read("dram_out.bin")?;
    if dram_out.len() != dram.len() {
        return Err(Diagnostic::tool(
            "testbench returned a DRAM image of the wrong size",
        ));
    }
    Ok(SystemRtlRun {
        cycles,
        dram: dram_out,
        run_s,
    })
}
