//! Verilator `-Wall` lint and Yosys synthesis of the generated RTL, every dataflow; the latch check
//! is shown to catch a latch.

use crate::common;

use common::tools;
use tessera_arch::Arch;

fn builtin(name: &str) -> Arch {
    tessera_arch::builtin::arch(name).unwrap()
}

/// 5×3 with three banks of non-power-of-two depth in every buffer and W = 7.
fn odd() -> Arch {
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3").unwrap();
    s.name = "odd_5x3".into();
    s.array.rows = 5;
    s.array.cols = 3;
    s.buffers.input = tessera_arch::spec::BufferSpec {
        capacity_bytes: 5 * 3 * 7,
        banks: 3,
        ports: Default::default(),
    };
    s.buffers.weight = tessera_arch::spec::BufferSpec {
        capacity_bytes: 3 * 3 * 6,
        banks: 3,
        ports: Default::default(),
    };
    s.buffers.accumulator = tessera_arch::spec::BufferSpec {
        capacity_bytes: 12 * 3 * 5,
        banks: 3,
        ports: Default::default(),
    };
    s.dram.bytes_per_cycle = 7;
    s.validate().unwrap()
}

fn lint(arch: &Arch) {
    let Some(t) = tools(false) else { return };
    let design = tessera_rtl_gen::emit(arch).unwrap();
    let report = tessera_verif::lint(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.files, design.files.len());
}

fn synth(arch: &Arch) -> Option<tessera_verif::SynthReport> {
    let t = tools(true)?;
    let design = tessera_rtl_gen::emit(arch).unwrap();
    let r = tessera_verif::synth(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.latches, 0, "{:?}", r.inferred_latches);
    r.require_no_latches(&design.top).unwrap();
    assert!(r.cells > 0);
    // the memories stay black boxes: one instance per bank (the program streams through a queue of
    // registers, synthesised)
    let n = arch.name();
    // (with P write lanes, P SRAMs per input and weight bank; with S store lanes, S per
    // accumulator bank)
    // (single-ported buffers' SRAMs are `_sram1rw` instances)
    let sram_count = |k: tessera_arch::BufferKind, one_port: bool| {
        let b = arch.buffer(k);
        u64::from(b.banks() * arch.write_lanes(k)) * u64::from(b.single_ported() == one_port)
    };
    let count = |one_port| {
        tessera_arch::BufferKind::ALL
            .iter()
            .map(|&k| sram_count(k, one_port))
            .sum::<u64>()
    };
    let (two, one) = (count(false), count(true));
    assert_eq!(r.cells_by_type.get(&format!("{n}_sram")), Some(&two));
    assert_eq!(
        r.cells_by_type.get(&format!("{n}_sram1rw")).copied(),
        (one > 0).then_some(one)
    );
    println!("{n}: {} cells", r.cells);
    Some(r)
}

#[test]
fn lint_ws_2x3() {
    lint(&builtin("ws_2x3"));
}

#[test]
fn lint_ws_4x4() {
    lint(&builtin("ws_4x4"));
}

#[test]
fn lint_ws_1x1_and_ws_16x16() {
    lint(&builtin("ws_1x1"));
    lint(&builtin("ws_16x16"));
}

#[test]
fn lint_odd_banks() {
    lint(&odd());
}

#[test]
fn lint_output_stationary() {
    for a in ["os_1x1", "os_2x3", "os_4x4", "os_16x16"] {
        lint(&builtin(a));
    }
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3").unwrap();
    s = s.with_dataflow(tessera_arch::Dataflow::OutputStationary);
    s.name = "os_odd_5x3".into();
    s.array.rows = 5;
    s.array.cols = 3;
    s.buffers = odd().spec().buffers.clone();
    s.buffers.accumulator.capacity_bytes = 12 * 3 * 6;
    lint(&s.validate().unwrap());
}

#[test]
fn lint_input_stationary() {
    for a in ["is_1x1", "is_2x3", "is_4x4", "is_16x16"] {
        lint(&builtin(a));
    }
    // 5×3: input words of 3 B (three banks of 7 words), weight words of 5 B (three of 6)
    let mut s = odd().spec().clone();
    s = s.with_dataflow(tessera_arch::Dataflow::InputStationary);
    s.name = "is_odd_5x3".into();
    s.buffers.input.capacity_bytes = 3 * 3 * 7;
    s.buffers.weight.capacity_bytes = 5 * 3 * 6;
    lint(&s.validate().unwrap());
    // double-buffered inputs, on the odd array too (preload and stream words of different widths)
    lint(&s.with_weight_double_buffer(true).validate().unwrap());
    lint(&is_db("is_2x3"));
}

/// A built-in input-stationary array with double-buffered inputs.
fn is_db(name: &str) -> Arch {
    let mut s = builtin(name).spec().clone().with_weight_double_buffer(true);
    s.name = format!("{name}_db");
    s.validate().unwrap()
}

#[test]
fn lint_reports_warnings() {
    let Some(t) = tools(false) else { return };
    let mut design = tessera_rtl_gen::emit(&builtin("ws_1x1")).unwrap();
    let pe = design
        .files
        .iter_mut()
        .find(|f| f.name == "ws_1x1_pe.v")
        .unwrap();
    pe.text = pe
        .text
        .replace("endmodule", "    wire [3:0] dangling = 4'd0;\nendmodule");
    let e = tessera_verif::lint(&design, &t).unwrap_err();
    assert!(e.message.contains("dangling"), "{e}");
}

#[test]
fn synth_ws_2x3() {
    synth(&builtin("ws_2x3"));
}

#[test]
fn synth_os_2x3_and_os_4x4() {
    synth(&builtin("os_2x3"));
    synth(&builtin("os_4x4"));
}

/// The latch check can fail: a PE with a deliberate latch is caught, and export would refuse it.
#[test]
fn synth_is_2x3() {
    synth(&builtin("is_2x3"));
    synth(&is_db("is_2x3"));
}

#[test]
fn synth_reports_an_inferred_latch() {
    let Some(t) = tools(true) else { return };
    let mut design = tessera_rtl_gen::emit(&builtin("ws_1x1")).unwrap();
    let pe = design
        .files
        .iter_mut()
        .find(|f| f.name == "ws_1x1_pe.v")
        .unwrap();
    // a level-sensitive hold of a_in while w_shift is high: a latch
    pe.text = pe.text.replace(
        "endmodule",
        "    reg [7:0] held;\n    always @* begin\n        if (w_shift) held = a_in;\n    end\n    \
         wire unused_held = ^held;\nendmodule",
    );
    let r = tessera_verif::synth(&design, &t).unwrap();
    assert!(
        r.latches > 0 || !r.inferred_latches.is_empty(),
        "the latch must be reported: {r:?}"
    );
    let e = r.require_no_latches(&design.top).unwrap_err();
    assert!(e.message.contains("latch"), "{e}");
}

#[test]
fn synth_ws_4x4() {
    let Some(r4) = synth(&builtin("ws_4x4")) else {
        return;
    };
    let Some(r2) = synth(&builtin("ws_2x3")) else {
        return;
    };
    assert!(r4.cells > r2.cells, "16 PEs must cost more than 6");
}

/// The odd 5×3 design in dataflow `df` with the interconnect `(stream, reduce)`.
fn noc_5x3(
    df: tessera_arch::Dataflow,
    stream: tessera_arch::Stream,
    reduce: tessera_arch::Reduce,
) -> Arch {
    let mut s = odd()
        .spec()
        .clone()
        .with_dataflow(df)
        .with_noc(tessera_arch::Noc { stream, reduce });
    if df == tessera_arch::Dataflow::InputStationary {
        s.buffers.input.capacity_bytes = 3 * 3 * 7;
        s.buffers.weight.capacity_bytes = 5 * 3 * 6;
    }
    s.name = format!(
        "{}_5x3_{stream:?}_{reduce:?}",
        if df == tessera_arch::Dataflow::InputStationary {
            "is"
        } else {
            "ws"
        }
    )
    .to_lowercase();
    s.validate().unwrap()
}

/// Row broadcast buses and column adder trees (docs/TIMING.md, "Interconnect options"): every
/// option on both dataflows at 5×3 (a tree of three levels, registers passed through), 1×1 (no
/// level) and 16×16, lint clean.
#[test]
fn lint_interconnect_options() {
    use tessera_arch::{Dataflow, Reduce, Stream};
    for (stream, reduce) in [
        (Stream::Broadcast, Reduce::Chain),
        (Stream::Systolic, Reduce::AdderTree),
        (Stream::Broadcast, Reduce::AdderTree),
    ] {
        for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
            lint(&noc_5x3(df, stream, reduce));
        }
        for name in ["ws_1x1", "is_16x16"] {
            let mut s = tessera_arch::builtin::arch_spec(name)
                .unwrap()
                .with_noc(tessera_arch::Noc { stream, reduce });
            s.name = format!("{name}_noc");
            lint(&s.validate().unwrap());
        }
    }
}

/// Synthesis of the interconnect options (both trees, a broadcast with chains): no latch, the
/// memories black boxes.
#[test]
fn synth_interconnect_options() {
    use tessera_arch::{Dataflow, Reduce, Stream};
    synth(&noc_5x3(
        Dataflow::WeightStationary,
        Stream::Broadcast,
        Reduce::AdderTree,
    ));
    synth(&noc_5x3(
        Dataflow::InputStationary,
        Stream::Systolic,
        Reduce::AdderTree,
    ));
    synth(&noc_5x3(
        Dataflow::WeightStationary,
        Stream::Broadcast,
        Reduce::Chain,
    ));
}

/// [`noc_5x3`] with double-buffered stationary operands (docs/TIMING.md, "double-buffered
/// weights"), named `..._db`.
fn noc_db_5x3(
    df: tessera_arch::Dataflow,
    stream: tessera_arch::Stream,
    reduce: tessera_arch::Reduce,
) -> Arch {
    let a = noc_5x3(df, stream, reduce);
    let mut s = a.spec().clone().with_weight_double_buffer(true);
    s.name = format!("{}_db", a.name());
    s.validate().unwrap()
}

/// Double-buffered weights with every interconnect option, on both dataflows at 5×3 (the switch
/// skewed or not, passed on or broadcast; a tree of three levels), 1×1 (no skew, no level) and
/// 16×16: lint clean.
#[test]
fn lint_double_buffered_interconnect_options() {
    use tessera_arch::{Dataflow, Reduce, Stream};
    for (stream, reduce) in [
        (Stream::Broadcast, Reduce::Chain),
        (Stream::Systolic, Reduce::AdderTree),
        (Stream::Broadcast, Reduce::AdderTree),
    ] {
        for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
            let a = noc_db_5x3(df, stream, reduce);
            assert!(a.weight_double_buffered() && a.noc() == tessera_arch::Noc { stream, reduce });
            lint(&a);
        }
        for name in ["ws_1x1", "ws_16x16", "is_16x16"] {
            let mut s = tessera_arch::builtin::arch_spec(name)
                .unwrap()
                .with_noc(tessera_arch::Noc { stream, reduce })
                .with_weight_double_buffer(true);
            s.name = format!("{name}_noc_db");
            lint(&s.validate().unwrap());
        }
    }
}

/// Synthesis of double-buffered weights with the interconnect options: no latch, every flip-flop
/// reset, the memories black boxes; per option, more cells than the same array without the shadow
/// registers.
#[test]
fn synth_double_buffered_interconnect_options() {
    use tessera_arch::{Dataflow, Reduce, Stream};
    for (df, stream, reduce) in [
        (
            Dataflow::WeightStationary,
            Stream::Broadcast,
            Reduce::AdderTree,
        ),
        (
            Dataflow::InputStationary,
            Stream::Systolic,
            Reduce::AdderTree,
        ),
        (Dataflow::WeightStationary, Stream::Broadcast, Reduce::Chain),
    ] {
        let Some(db) = synth(&noc_db_5x3(df, stream, reduce)) else {
            return;
        };
        let Some(single) = synth(&noc_5x3(df, stream, reduce)) else {
            return;
        };
        println!(
            "{df:?} {stream:?} {reduce:?}: {} cells double-buffered, {} without",
            db.cells, single.cells
        );
        assert!(db.cells > single.cells, "{df:?} {stream:?} {reduce:?}");
        let unreset = db.unreset_flip_flops();
        assert!(
            unreset.is_empty(),
            "flip-flops without a reset: {unreset:?}"
        );
    }
}

/// `base` (an output-stationary built-in) with row and column buses (docs/TIMING.md, "Interconnect
/// options of the output-stationary array"), named `name`.
fn os_buses(base: &str, name: &str) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec(base)
        .unwrap()
        .with_noc(tessera_arch::Noc {
            stream: tessera_arch::Stream::Broadcast,
            reduce: tessera_arch::Reduce::Chain,
        });
    s.name = name.into();
    s.validate().unwrap()
}

/// Output-stationary arrays with row and column buses: one PE, 2×3, 4×4, 16×16 and the odd 5×3
/// with three banks, lint clean.
#[test]
fn lint_output_stationary_buses() {
    for base in ["os_1x1", "os_2x3", "os_4x4", "os_16x16"] {
        lint(&os_buses(base, &format!("{base}_b")));
    }
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_dataflow(tessera_arch::Dataflow::OutputStationary)
        .with_noc(tessera_arch::Noc {
            stream: tessera_arch::Stream::Broadcast,
            reduce: tessera_arch::Reduce::Chain,
        });
    s.name = "os_odd_5x3_b".into();
    s.array.rows = 5;
    s.array.cols = 3;
    s.buffers = odd().spec().buffers.clone();
    s.buffers.accumulator.capacity_bytes = 12 * 3 * 6;
    lint(&s.validate().unwrap());
}

/// Synthesis of the output-stationary buses: no latch, the memories black boxes, every flip-flop
/// with its synchronous reset, and fewer cells than the systolic array of the same size (no skew,
/// no forwarding registers).
#[test]
fn synth_output_stationary_buses() {
    let Some(sys) = synth(&builtin("os_4x4")) else {
        return;
    };
    let Some(bus) = synth(&os_buses("os_4x4", "os_4x4_b")) else {
        return;
    };
    let unreset = bus.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
    println!(
        "os_4x4: {} cells systolic, {} with buses; flip-flops {:?} / {:?}",
        sys.cells,
        bus.cells,
        flops(&sys),
        flops(&bus)
    );
    assert!(
        bus.cells < sys.cells,
        "buses {} cells >= systolic {}",
        bus.cells,
        sys.cells
    );
}

/// The flip-flop cells of a synthesis, by type.
fn flops(r: &tessera_verif::SynthReport) -> Vec<(&String, &u64)> {
    r.cells_by_type
        .iter()
        .filter(|(t, _)| t.contains("DFF") || t.contains("dff"))
        .collect()
}

/// `arch` with `o` DMA transfers in flight (docs/TIMING.md, "DMA unit and the DRAM port").
fn with_slots(arch: &Arch, o: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_o{o}", s.name);
    s.dram.outstanding_transfers = Some(o);
    s.validate().unwrap()
}

/// Several transfers in flight (the DMA's FIFO of transfers, its request and completion sides, the
/// controller's `dma_full`), lint clean with three slots (pointers that wrap at no power of two) on
/// odd banks and W = 7, output-stationary; verify lints the designs of tests/tests/it/rtl_vs_sim.rs
/// (every dataflow, double-buffered weights, 2 to 16 slots).
#[test]
fn lint_transfer_slots() {
    let mut os = odd().spec().clone();
    os = os.with_dataflow(tessera_arch::Dataflow::OutputStationary);
    os.name = "os_odd_5x3".into();
    os.buffers.accumulator.capacity_bytes = 12 * 3 * 6;
    lint(&with_slots(&os.validate().unwrap(), 3));
}

/// Synthesis with several transfer slots (three: pointers that wrap at no power of two): no latch,
/// and every flip-flop has its synchronous reset (the slots' descriptors are registers, not a memory
/// whose reset synthesis may drop).
#[test]
fn synth_transfer_slots() {
    let Some(r) = synth(&with_slots(&builtin("ws_1x1"), 3)) else {
        return;
    };
    let unreset = r.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
}

/// Buffers deeper than 65,536 words (docs/TIMING.md, "Instructions": 20-bit word addresses): a 1×1
/// array with 300,000 input and weight words and as many accumulator words in two banks each, so
/// 19-bit addresses in the Verilog (the controller decodes bits 18..16 from the `…_hi` fields and
/// sinks the unused bit 19), and four DMA transfer slots (a slot keeps `sram_addr_hi`): lint clean,
/// no latch, the banks black boxes and every flip-flop with its synchronous reset.
/// tests/tests/it/rtl_vs_sim.rs runs such designs against the simulator on every dataflow.
#[test]
fn lint_and_synth_buffers_deeper_than_65536_words() {
    let mut s = tessera_arch::builtin::arch_spec("ws_1x1").unwrap();
    s.name = "deep_1x1".into();
    s.buffers.input.capacity_bytes = 300_000;
    s.buffers.weight.capacity_bytes = 300_000;
    s.buffers.accumulator.capacity_bytes = 1_200_000;
    let deep = with_slots(&s.validate().unwrap(), 4);
    let design = tessera_rtl_gen::emit(&deep).unwrap();
    let ctrl = &design
        .files
        .iter()
        .find(|f| f.name.ends_with("_ctrl.v"))
        .unwrap()
        .text;
    assert!(
        ctrl.contains("assign f_addr_a    = {instr[14:12], instr[79:64]};"),
        "{ctrl}"
    );
    assert!(ctrl.contains("wire [3:0] f_flags = instr[11:8];"), "{ctrl}");
    lint(&deep);
    let Some(r) = synth(&deep) else { return };
    let unreset = r.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
}

/// `arch` with LOADs of up to `p` words per cycle (docs/TIMING.md, "DMA unit and the DRAM port").
fn with_lanes(arch: &Arch, p: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_p{p}", s.name);
    s.dram.words_per_cycle = Some(p);
    s.validate().unwrap()
}

/// `arch` with 16-bit accumulators and a channel of `w` bytes per cycle: accumulator words
/// narrower than W, so STOREs of several words per cycle ([`Arch::store_lanes`]).
fn narrow_acc(arch: &Arch, w: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_a16", s.name);
    s.datatypes.accumulator_bits = 16;
    s.dram.bytes_per_cycle = w;
    s.validate().unwrap()
}

/// Several words per cycle (the DMA's request lanes, per-lane gather address generators and
/// write-lane rotation, the word-interleaved input and weight buffers; with accumulator words
/// narrower than W, the store read lanes, their rotation into write beat lanes and the
/// word-interleaved accumulator): lint clean on every dataflow with 2, 4 and 8 lanes, odd banks
/// and W = 7, one and three transfer slots, 1, 2, 4 and 8 store lanes.
#[test]
fn lint_words_per_cycle() {
    let mut odd2 = odd().spec().clone();
    // banks of 8 and 6 words: interleaved over 2 lanes
    odd2.buffers.input.capacity_bytes = 5 * 3 * 8;
    odd2.name = "odd_5x3".into();
    let odd2 = odd2.validate().unwrap();
    lint(&with_lanes(&odd2, 2));
    // 6-byte accumulator words, W = 7: two store lanes, stores paced by the bytes
    let odd2_s2 = with_lanes(&narrow_acc(&odd2, 7), 2);
    assert_eq!(odd2_s2.store_lanes(), 2);
    lint(&with_slots(&odd2_s2, 3));
    let mut os = odd2
        .spec()
        .clone()
        .with_dataflow(tessera_arch::Dataflow::OutputStationary);
    os.name = "os_odd_5x3".into();
    os.buffers.accumulator.capacity_bytes = 12 * 3 * 6;
    lint(&with_lanes(&os.validate().unwrap(), 2));
    let ws_s4 = with_lanes(&narrow_acc(&builtin("ws_4x4"), 32), 4);
    assert_eq!(ws_s4.store_lanes(), 4);
    lint(&ws_s4);
    let is_s8 = with_lanes(&narrow_acc(&builtin("is_4x4"), 64), 8);
    assert_eq!(is_s8.store_lanes(), 8);
    lint(&is_s8);
    lint(&with_slots(&with_lanes(&builtin("os_4x4"), 4), 2));
}

/// Synthesis with four words per cycle: no latch, the buffers' SRAMs black boxes (four per input
/// and weight bank, and four per accumulator bank: 6-byte accumulator words on a 16 B/cycle
/// channel take up to three store lanes), every flip-flop with its synchronous reset.
#[test]
fn synth_words_per_cycle() {
    let arch = with_lanes(&narrow_acc(&builtin("os_2x3"), 16), 4);
    assert_eq!(arch.store_lanes(), 4);
    let Some(r) = synth(&arch) else {
        return;
    };
    let unreset = r.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
}

/// `base` (an output-stationary built-in) with double-buffered sums (docs/TIMING.md, "Compute
/// unit: output-stationary with double-buffered sums"), systolic or with buses, named `name`.
fn os_db(base: &str, name: &str, broadcast: bool) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec(base)
        .unwrap()
        .with_weight_double_buffer(true)
        .with_noc(tessera_arch::Noc {
            stream: if broadcast {
                tessera_arch::Stream::Broadcast
            } else {
                tessera_arch::Stream::Systolic
            },
            reduce: tessera_arch::Reduce::Chain,
        });
    s.name = name.into();
    let a = s.validate().unwrap();
    assert!(a.weight_double_buffered());
    a
}

/// Output-stationary arrays with double-buffered sums, systolic and with buses: one PE, 2×3,
/// 4×4, 16×16 and the odd 5×3 with three banks and 20-bit addresses' neighbour, lint clean.
#[test]
fn lint_output_stationary_double_buffered() {
    for broadcast in [false, true] {
        let tag = if broadcast { "b" } else { "s" };
        for base in ["os_1x1", "os_2x3", "os_4x4", "os_16x16"] {
            lint(&os_db(base, &format!("{base}_db{tag}"), broadcast));
        }
        let mut s = os_db("os_2x3", &format!("os_odd_5x3_db{tag}"), broadcast)
            .spec()
            .clone();
        s.array.rows = 5;
        s.array.cols = 3;
        s.buffers = odd().spec().buffers.clone();
        s.buffers.accumulator.capacity_bytes = 12 * 3 * 6;
        lint(&s.validate().unwrap());
    }
}

/// Synthesis of the double-buffered output-stationary arrays: no latch, the memories black boxes,
/// every flip-flop with its synchronous reset, and more cells than without the second bank of
/// sums (a drain register per PE).
#[test]
fn synth_output_stationary_double_buffered() {
    for broadcast in [false, true] {
        let tag = if broadcast { "b" } else { "s" };
        let plain = if broadcast {
            os_buses("os_4x4", "os_4x4_b")
        } else {
            builtin("os_4x4")
        };
        let Some(one) = synth(&plain) else {
            return;
        };
        let Some(db) = synth(&os_db("os_4x4", &format!("os_4x4_db{tag}"), broadcast)) else {
            return;
        };
        let unreset = db.unreset_flip_flops();
        assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
        println!(
            "os_4x4 {tag}: {} cells, {} with double-buffered sums; flip-flops {:?} / {:?}",
            one.cells,
            db.cells,
            flops(&one),
            flops(&db)
        );
        assert!(db.cells > one.cells, "{} <= {}", db.cells, one.cells);
    }
}

/// Single-ported input and weight banks (`ports: OneReadWrite`; docs/TIMING.md, "Single-ported
/// banks") on every dataflow, with one and with several word-interleaved SRAMs per bank: `-Wall`
/// clean, and synthesis has no latch, with the one-port SRAMs black boxes like the others.
fn single_ported(name: &str, p: i64) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec(name)
        .unwrap()
        .with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
    s.name = format!("{name}_1rw_p{p}");
    s.dram.words_per_cycle = Some(p);
    s.validate().unwrap()
}

#[test]
fn lint_and_synth_single_ported_banks() {
    // every design linted; synthesis (the slow part) of one design per SRAM form: one word per
    // bank (ws_2x3) and P word-interleaved SRAMs per bank (os_2x3, P = 2) — the one-port SRAM is a
    // black box and its address multiplexer the same text in every design
    for (name, p, synthesise) in [
        ("ws_2x3", 1, true),
        ("os_2x3", 2, true),
        ("is_2x3", 1, false),
        ("ws_4x4", 4, false),
    ] {
        let a = single_ported(name, p);
        lint(&a);
        if synthesise {
            synth(&a);
        }
    }
    // one buffer single-ported, three banks of non-power-of-two depth
    let mut s = odd().spec().clone();
    s.name = "odd_1rw".into();
    s.buffers.weight.ports = tessera_arch::SramPorts::OneReadWrite;
    lint(&s.validate().unwrap());
}

/// A row-stationary `rows`×`cols` array whose PEs hold `rf` operands: two banks per buffer, input
/// words of R + C - 1 bytes, weight words of R bytes.
fn rs(name: &str, rows: i64, cols: i64, rf: i64) -> Arch {
    let w = rows + cols - 1;
    tessera_arch::spec::ArchSpec::ws(
        name,
        rows,
        cols,
        [w * 2 * 16, rows * 2 * 16, 4 * cols * 2 * 16],
        2,
        8,
        3,
    )
    .row_stationary(rf)
    .validate()
    .unwrap()
}

/// The widest register file, three banks of odd depth, 16-bit sums, two words per cycle (the
/// DMA's two gather address generators).
fn rs_odd_5x3() -> Arch {
    let mut s = rs("rs_5x3", 5, 3, 255).spec().clone();
    s.name = "rs_odd_5x3".into();
    s.buffers.input.capacity_bytes = 7 * 3 * 10;
    s.buffers.input.banks = 3;
    s.buffers.weight.capacity_bytes = 5 * 3 * 10;
    s.buffers.weight.banks = 3;
    s.buffers.accumulator.capacity_bytes = 6 * 3 * 10;
    s.buffers.accumulator.banks = 3;
    s.datatypes.accumulator_bits = 16;
    s.dram.words_per_cycle = Some(2);
    s.dram.bytes_per_cycle = 7;
    s.validate().unwrap()
}

#[test]
fn lint_row_stationary() {
    lint(&rs("rs_3x4", 3, 4, 6));
    lint(&rs("rs_1x1", 1, 1, 1));
    lint(&rs_odd_5x3());
    // the register file's select at the widths' edges: 2 entries (a one-bit index), 32 (an 8-bit
    // bit offset, no padding) and 33 (a 9-bit one)
    lint(&rs("rs_2x2", 2, 2, 2));
    lint(&rs("rs_2x3", 2, 3, 32));
    lint(&rs("rs_3x2", 3, 2, 33));
}

#[test]
fn synth_row_stationary() {
    let Some(r) = synth(&rs("rs_3x4", 3, 4, 6)) else {
        return;
    };
    assert!(r.unreset_flip_flops().is_empty(), "{:?}", r.cells_by_type);
    // and with two gather address generators (no latch: `synth` checks)
    let r = synth(&rs_odd_5x3()).expect("the tools were found above");
    assert!(r.unreset_flip_flops().is_empty(), "{:?}", r.cells_by_type);
}
