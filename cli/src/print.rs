//! Text output of every report. Every figure carries its unit.

use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_flow::bench::{BenchEvent, BenchReport};
use tessera_mapping::{Keep, Mapping};
use tessera_sim::breakdown::Breakdown;
use tessera_sim::workload::{
    EstimateReport, LayerInfo, NotModelled, SimulateReport, Totals, ValidateReport,
};
use tessera_verif::{ExportReport, VerifyReport};

pub fn list(archs: &[&str], workloads: &[&str]) -> Result<()> {
    outln!("accelerators (--arch):");
    // names padded to the longest, so that the columns line up
    let wa = archs.iter().map(|a| a.len()).max().unwrap_or(0);
    for a in archs {
        let x = tessera_arch::builtin::arch(a)?;
        let mut slots = match x.dram().outstanding_transfers() {
            1 => String::new(),
            o => format!(", {o} transfers in flight"),
        };
        let noc = x.noc();
        if !noc.is_default() {
            slots.push_str(&format!(
                ", stream {:?}, reduce {:?}",
                noc.stream, noc.reduce
            ));
        }
        if x.weight_double_buffered() {
            slots.push_str(", double-buffered PEs");
        }
        if x.dram().words_per_cycle() > 1 {
            slots.push_str(&format!(
                ", LOADs of up to {} words per cycle",
                x.dram().words_per_cycle()
            ));
            if x.store_lanes() > 1 {
                slots.push_str(&format!(", STOREs of up to {}", x.store_lanes()));
            }
        }
        outln!(
            "  {a:<wa$} {:<18} {}x{} PEs, {} SRAM, DRAM {} B/cycle, latency {}{slots}",
            x.dataflow().name(),
            x.rows(),
            x.cols(),
            x.sram_bytes(),
            x.dram().bytes_per_cycle(),
            x.dram().latency()
        );
    }
    outln!("workloads (--workload):");
    let ww = workloads.iter().map(|w| w.len()).max().unwrap_or(0);
    for w in workloads {
        let x = tessera_workloads::builtin::workload(w)?;
        let macs: u64 = x.layers.iter().map(|l| l.macs()).sum();
        outln!("  {w:<ww$} {} layer(s), {macs} MACs", x.layers.len());
    }
    Ok(())
}

/// A mapping's tiles as `m/k/n`, with ` +A` or ` +B` when the input or weight buffer keeps a
/// panel of A or B across output tiles (`tessera_mapping::Keep`).
pub(crate) fn tiles(m: &Mapping) -> String {
    let kept = match m.keep {
        Keep::Tiles => "",
        Keep::InputPanel => " +A",
        Keep::WeightPanel => " +B",
    };
    format!("{}/{}/{}{kept}", m.tile_m, m.tile_k, m.tile_n)
}

/// The per-layer table's header (both estimate and simulate).
fn layer_header(extra: &str) {
    outln!(
        "  {:<22} {:<20} {:>13} {:>18} {:>14} {:>7} {:>15} {:>12} {:>12} {:>12} {:>12} {:>12}  {}{extra}",
        "layer",
        "kind",
        "MACs",
        "tiles m/k/n +kept",
        "cycles",
        "util %",
        "energy pJ",
        "NoC pJ",
        "DRAM rd B",
        "DRAM wr B",
        "compute cyc",
        "stall cyc",
        "shape"
    );
}

#[allow(clippy::too_many_arguments)]
fn layer_row(
    info: &LayerInfo,
    m: &Mapping,
    cycles: u64,
    util: f64,
    (energy_pj, noc_pj): (f64, f64),
    k: &tessera_sim::Counters,
    b: &Breakdown,
    extra: &str,
) {
    outln!(
        "  {:<22} {:<20} {:>13} {:>18} {:>14} {:>7.1} {:>15.4e} {:>12.4e} {:>12} {:>12} {:>12} {:>12}  {}{extra}",
        info.layer,
        info.kind,
        info.macs,
        tiles(m),
        cycles,
        100.0 * util,
        energy_pj,
        noc_pj,
        k.dram_read_bytes,
        k.dram_write_bytes,
        b.compute,
        b.dma_stall,
        info.shape
    );
}

/// Totals, the cycle breakdown, accesses per level and the operations nobody models.
fn totals(t: &Totals, clock_mhz: Option<f64>, nm: &NotModelled) {
    outln!(
        "  total: {} cycles ({:.2} µs{}), {:.4e} pJ (interconnect {:.4e} pJ), {} MACs, utilization {:.1} %",
        t.cycles,
        t.latency_us,
        clock_mhz.map_or(String::new(), |c| format!(" at {c} MHz")),
        t.energy_pj,
        t.noc_energy_pj,
        t.macs,
        100.0 * t.utilization
    );
    let b = &t.breakdown;
    let pct = |x: u64| 100.0 * x as f64 / t.cycles.max(1) as f64;
    outln!(
        "  cycles by cause: array compute {} ({:.1} %), fill/drain {} ({:.1} %), DMA stall {} ({:.1} %), issue gaps {} ({:.1} %), first load {} ({:.1} %), last store {} ({:.1} %)",
        b.compute, pct(b.compute), b.fill_drain, pct(b.fill_drain), b.dma_stall, pct(b.dma_stall),
        b.issue, pct(b.issue), b.first_load, pct(b.first_load), b.last_store, pct(b.last_store)
    );
    let k = &t.counters;
    outln!(
        "  accesses: DRAM {} B read, {} B written; input buffer {} reads, {} writes; weight buffer {} reads, {} writes; accumulator {} reads, {} writes (words)",
        k.dram_read_bytes, k.dram_write_bytes, k.input.reads, k.input.writes, k.weight.reads,
        k.weight.writes, k.accumulator.reads, k.accumulator.writes
    );
    if !nm.ops.is_empty() {
        let mut by_kind: std::collections::BTreeMap<&str, (usize, u64)> = Default::default();
        for o in &nm.ops {
            let e = by_kind.entry(o.kind.as_str()).or_default();
            e.0 += 1;
            e.1 += o.ops;
        }
        outln!(
            "  not modelled (no MAC work; not in cycles or energy): {} ops in {} layers: {}",
            nm.total_ops,
            nm.ops.len(),
            by_kind
                .iter()
                .map(|(k, (n, ops))| format!("{k} ×{n} {ops} ops"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// The accelerator description's note, on its own line, when it has one.
fn arch_note(arch: &str, note: Option<&str>) {
    if let Some(n) = note {
        outln!("  note on {arch}: {n}");
    }
}

pub fn estimate(r: &EstimateReport, arch: &Arch) {
    outln!(
        "estimate of {} on {} ({}; {})",
        r.workload,
        r.arch,
        r.dataflow,
        r.model
    );
    arch_note(&r.arch, r.arch_note.as_deref());
    if let Some(n) = &r.accumulator_note {
        outln!("  note: {n}");
    }
    layer_header("");
    for l in &r.layers {
        layer_row(
            &l.info,
            &l.mapping,
            l.cycles,
            l.utilization,
            (l.energy_pj, l.noc_energy_pj),
            &l.counters,
            &l.breakdown,
            "",
        );
    }
    totals(&r.totals, Some(arch.clock_mhz()), &r.not_modelled);
    let a = &r.area;
    outln!(
        "  area (µm²): total {:.0}; SRAM {:.0} (input {:.0}, weight {:.0}, accumulator {:.0}); PE \
         array {:.0} (MACs {:.0}, registers {:.0}); skew registers {:.0}; write-back adders {:.0}; \
         buffer read select {:.0} (controller, DMA and wires left out: sim/src/area.rs)",
        r.area_um2,
        a.sram_um2,
        a.sram_input_um2,
        a.sram_weight_um2,
        a.sram_accumulator_um2,
        a.pe_array_um2,
        a.pe_mac_um2,
        a.pe_registers_um2,
        a.skew_registers_um2,
        a.writeback_adders_um2,
        a.read_select_um2
    );
    let i = &r.interconnect;
    let kind = if arch.dataflow() == tessera_arch::Dataflow::RowStationary {
        "row-stationary buses (an input window per row, weights along the rows, a block adder per column)".to_string()
    } else {
        format!("stream {:?}, reduce {:?}", i.stream, i.reduce)
    };
    outln!(
        "  interconnect: {kind}: {} links ({} bits), {} register bits, {} tree adders; registers crossed: at most {} from a port to a PE, {} from a PE's sum to the accumulator",
        i.stats.links,
        i.stats.link_bits,
        i.stats.register_bits,
        i.stats.tree_adders,
        i.stats.max_stream_hops,
        i.stats.max_sum_hops
    );
    outln!(
        "  interconnect energy: {:.4e} pJ, {:.4} pJ per streamed word, {:.4} pJ per COMPUTE (preload or drain); wire bit-hops with every link used once: streamed operand {}, second operand {}, sums {} (a hop = the PE pitch, {:.1} µm)",
        r.totals.noc_energy_pj,
        i.energy_per_word_pj,
        i.energy_per_compute_pj,
        i.stats.stream_wire_bits,
        i.stats.second_wire_bits,
        i.stats.sum_wire_bits,
        i.pe_pitch_um
    );
    if arch.dataflow() == tessera_arch::Dataflow::RowStationary {
        outln!(
            "  PE register files and outputs: {:.4} pJ per weight word read (a preload step: an entry of every PE's register file and the row buses), {:.4} pJ per output captured into every PE's `out` (register reads not priced)",
            i.energy_per_weight_read_pj,
            i.energy_per_capture_pj
        );
    }
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
    arch_note(&r.arch, r.arch_note.as_deref());
    if let Some(n) = &r.accumulator_note {
        outln!("  note: {n}");
    }
    layer_header("  outputs");
    for l in &r.layers {
        layer_row(
            &l.info,
            &l.mapping,
            l.cycles,
            l.utilization,
            (l.energy_pj, l.noc_energy_pj),
            &l.counters,
            &l.breakdown,
            if l.matches_reference {
                "  match"
            } else {
                "  DIFFER from the reference"
            },
        );
    }
    totals(&r.totals, None, &r.not_modelled);
    outln!(
        "  outputs {} the host's native execution of every layer",
        if r.matches_reference {
            "match"
        } else {
            "DIFFER from"
        }
    );
}

pub fn validate(r: &ValidateReport) {
    outln!("analytical model vs cycle simulator ({})", r.model);
    let mut noted: Vec<&str> = vec![];
    for c in &r.cases {
        if c.arch_note.is_some() && !noted.contains(&c.arch.as_str()) {
            arch_note(&c.arch, c.arch_note.as_deref());
            noted.push(&c.arch);
        }
    }
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
            c.info.layer,
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
            c.info.layer
        );
    }
    outln!(
        "  MAPE {:.2} %, max |error| {:.2} % over {} layers; total {} vs {} cycles ({:+.2} %); {}",
        r.mape_pct,
        r.max_abs_error_pct,
        r.cases.len(),
        r.analytical_cycles,
        r.cycle_sim_cycles,
        r.total_error_pct,
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
    arch_note(&r.arch, r.arch_note.as_deref());
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
    if !r.not_modelled.ops.is_empty() {
        outln!(
            "  not modelled (no MAC work; in neither the simulator nor the RTL): {} ops in {} layers",
            r.not_modelled.total_ops,
            r.not_modelled.ops.len()
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
                "{} on {} ({}; Verilator build {:.1} s, C++ at {}):",
                r.layer,
                r.arch,
                r.dataflow,
                r.verilator_build_s,
                r.verilator_opt
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
        BenchEvent::Network(f) => network_line(f),
        BenchEvent::Mapper(f) => outln!(
            "mapper on {} ({} layers) on {}: {:.3} s for the whole network on one thread (slowest layer {} {:.1} ms); {} candidate mappings, {} estimated in full; on {} thread(s): {:.3e} cost bounds/s, {:.3e} full estimates/s",
            f.network,
            f.layers,
            f.arch,
            f.mapper_wall_s,
            f.slowest_layer,
            f.slowest_layer_s * 1e3,
            f.candidates,
            f.estimated,
            f.threads,
            f.bounds_per_s,
            f.estimates_per_s
        ),
    }
}

fn network_line(f: &tessera_flow::bench::NetworkFigure) {
    outln!(
        "{} ({} layers, {:.3e} MACs) on {}, {} thread(s): {:.2} s wall; engine {:.2} s = {:.2e} MAC/s per core; native int8 {:.2} s = {:.2e} MAC/s per core ({:.2}x); peak RSS {}; outputs {}",
        f.network,
        f.layers,
        f.macs as f64,
        f.arch,
        f.threads,
        f.wall_s,
        f.engine_s,
        f.engine_macs_per_s_per_core,
        f.native_s,
        f.native_macs_per_s_per_core,
        f.slowdown_vs_native,
        f.peak_rss_mib.map_or("unknown".to_string(), |m| format!("{m:.0} MiB")),
        if f.matches_native { "match native" } else { "DIFFER from native" }
    );
}

pub fn bench_summary(r: &BenchReport) {
    let rss = r
        .peak_rss_mib
        .map_or("unknown".to_string(), |m| format!("{m:.1} MiB"));
    if r.gemm_set.is_empty() {
        outln!("peak RSS {rss}");
    } else {
        outln!(
            "GEMM set: {:.3} s of event-engine wall time; peak RSS {rss}",
            r.gemm_set_event_wall_s
        );
    }
}

/// `tessera baselines`: a table per workload (the template, the design found at its resources,
/// the ratios template / found), a summary line per workload, then the templates' notes.
pub fn baselines(r: &tessera_flow::baseline::BaselineReport) {
    let o = &r.options;
    outln!(
        "baselines: {} search, objective {:?} ({}), {} evaluations per search, seed {}; each search at most the template's PEs and SRAM bytes",
        o.strategy.name(),
        o.objective,
        r.objective_unit,
        o.evaluations,
        o.seed
    );
    outln!("  {}", r.model);
    let design = |d: &tessera_flow::baseline::Design| {
        format!(
            "{} {}x{}, {} PEs, {} B SRAM",
            d.dataflow.short().to_uppercase(),
            d.rows,
            d.cols,
            d.pes,
            d.sram_bytes
        )
    };
    for s in &r.summaries {
        outln!("\n{}:", s.workload);
        outln!(
            "  {:<16} {:<30} {:>12} {:>12} {:>12}   {:<36} {:<30} {:>12} {:>12} {:>12}   {:>8} {:>8} {:>8}",
            "template",
            "array, PEs, SRAM",
            "cycles",
            "energy pJ",
            "EDP cyc·pJ",
            "found design",
            "array, PEs, SRAM",
            "cycles",
            "energy pJ",
            "EDP cyc·pJ",
            "EDP ×",
            "cycles ×",
            "energy ×"
        );
        for c in r.comparisons.iter().filter(|c| c.workload == s.workload) {
            let (t, f) = (&c.template_design, &c.found);
            let mut flags = vec![];
            if !c.found_beats_template {
                flags.push("not beaten".to_string());
            }
            if let Some(why) = &c.template_not_in_space {
                flags.push(format!("template not in the space: {why}"));
            } else if !c.template_point_evaluated {
                flags.push("the search did not evaluate the template's point".to_string());
            }
            outln!(
                "  {:<16} {:<30} {:>12} {:>12.4e} {:>12.4e}   {:<36} {:<30} {:>12} {:>12.4e} {:>12.4e}   {:>7.3}× {:>7.3}× {:>7.3}×{}",
                c.template,
                design(t),
                t.simulated.cycles,
                t.simulated.energy_pj,
                t.simulated.edp_cycles_pj,
                f.name,
                design(f),
                f.simulated.cycles,
                f.simulated.energy_pj,
                f.simulated.edp_cycles_pj,
                c.ratios.edp,
                c.ratios.latency,
                c.ratios.energy,
                if flags.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", flags.join("; "))
                }
            );
        }
        outln!(
            "  {}: geometric mean over {} template(s): EDP {:.3}×, latency {:.3}×, energy {:.3}× better; lowest EDP ratio {:.3}× ({}){}",
            s.workload,
            s.templates,
            s.geomean.edp,
            s.geomean.latency,
            s.geomean.energy,
            s.min_edp_ratio,
            s.min_edp_template,
            if s.not_beaten.is_empty() {
                "; every template beaten on the objective".to_string()
            } else {
                format!("; NOT beaten: {}", s.not_beaten.join(", "))
            }
        );
    }
    outln!();
    let mut noted: Vec<&str> = vec![];
    for c in &r.comparisons {
        if !noted.contains(&c.template.as_str()) {
            arch_note(&c.template, c.template_note.as_deref());
            noted.push(&c.template);
        }
    }
}

pub fn run(r: &tessera_flow::program::RunReport) {
    outln!(
        "run {} instructions on {}: {} cycles (event engine), {} cycles (stepped engine)",
        r.instructions,
        r.arch,
        r.cycles,
        r.stepped_cycles
    );
    let b = &r.breakdown;
    outln!(
        "  cycles by cause: array compute {}, fill/drain {}, DMA stall {}, issue gaps {}, first load {}, last store {}",
        b.compute, b.fill_drain, b.dma_stall, b.issue, b.first_load, b.last_store
    );
    let k = &r.counters;
    outln!(
        "  accesses: DRAM {} B read, {} B written; input buffer {} reads, {} writes; weight buffer {} reads, {} writes; accumulator {} reads, {} writes (words); {} array MAC slots",
        k.dram_read_bytes, k.dram_write_bytes, k.input.reads, k.input.writes, k.weight.reads,
        k.weight.writes, k.accumulator.reads, k.accumulator.writes, k.array_macs
    );
    outln!(
        "  engines: {}",
        match &r.engines_difference {
            None => "equal cycles, DRAM image and event trace".to_string(),
            Some(d) => format!("DIFFER: {d}"),
        }
    );
    if let Some(x) = &r.rtl {
        outln!(
            "  RTL (Verilator): {} cycles, {}",
            x.cycles,
            match &x.difference {
                None => "equal to the simulator's cycles, DRAM image and event trace".to_string(),
                Some(d) => format!("DIFFERS: {d}"),
            }
        );
    }
    outln!("  {}", if r.passed { "PASS" } else { "FAIL" });
}
