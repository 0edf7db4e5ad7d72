//! The formal check of the exported PE (Yosys `sat`): the PEs of every dataflow, at two array sizes
//! each, the row-stationary PE at two register-file sizes, and those of the interconnect options
//! (row broadcast, adder-tree product PE) are proven to follow the contract's next state for every state and input; mutated PEs
//! (a subtraction for the addition, a lost sign extension, a lost enable, a lost reset, an `x`, a
//! narrower port, a renamed port) are refused with a counterexample or a connection error, so the
//! proof can fail.

use crate::common;

use common::tools;
use tessera_arch::Arch;
use tessera_core::Kind;
use tessera_rtl_gen::Design;
use tessera_verif::{prove_pe, ProofReport, Tools};

fn builtin(name: &str) -> Arch {
    tessera_arch::builtin::arch(name).unwrap()
}

fn prove(t: &Tools, name: &str) -> ProofReport {
    let arch = builtin(name);
    let design = tessera_rtl_gen::emit(&arch).unwrap();
    let r = prove_pe(&arch, &design, t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.pe, format!("{name}_pe"));
    assert_eq!(r.dataflow, arch.dataflow().name());
    assert_eq!((r.operand_bits, r.accumulator_bits), (8, 32));
    assert!(
        r.yosys_log_tail.contains("no model found: SUCCESS!"),
        "{}",
        r.yosys_log_tail
    );
    println!("{name}: proven in {:.2} s: {}", r.seconds, r.property);
    r
}

/// `name` with double-buffered stationary operands, its design, and its PE proven against the
/// double-buffered reference.
fn prove_double_buffered(t: &Tools, name: &str) -> (Arch, Design) {
    let arch = builtin(name)
        .spec()
        .clone()
        .with_weight_double_buffer(true)
        .validate()
        .unwrap();
    let design = tessera_rtl_gen::emit(&arch).unwrap();
    let r = prove_pe(&arch, &design, t).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.property.contains("sw_in ? w_out : w_act"),
        "{}",
        r.property
    );
    println!("{name} double-buffered: proven in {:.2} s", r.seconds);
    (arch, design)
}

#[test]
fn weight_stationary_pes_are_proven() {
    let Some(t) = tools(true) else { return };
    for name in ["ws_2x3", "ws_4x4"] {
        let r = prove(&t, name);
        assert!(
            r.property.contains("w_shift ? w_in : w_out"),
            "{}",
            r.property
        );
    }
}

#[test]
fn output_stationary_pes_are_proven() {
    let Some(t) = tools(true) else { return };
    for name in ["os_2x3", "os_4x4"] {
        let r = prove(&t, name);
        assert!(r.property.contains("drain ? acc_in"), "{}", r.property);
    }
}

/// An input-stationary array is built from the weight-stationary PE: its exported PE is proven
/// against the same reference (what `tessera export --prove` runs).
#[test]
fn input_stationary_pes_are_proven() {
    let Some(t) = tools(true) else { return };
    let r = prove(&t, "is_2x3");
    assert!(
        r.property.contains("w_shift ? w_in : w_out"),
        "{}",
        r.property
    );
    // with double-buffered inputs: the double-buffered PE, against its reference
    prove_double_buffered(&t, "is_2x3");
}

/// The PE with double-buffered weights: proven, and a PE that multiplies by the active weight even
/// while the switch passes (so a tile's first row would use the previous tile's weights) is refused.
#[test]
fn double_buffered_weight_pe_is_proven_and_a_late_switch_refused() {
    let Some(t) = tools(true) else { return };
    let (arch, design) = prove_double_buffered(&t, "ws_2x3");
    let mut bad = design.clone();
    let pe = bad
        .files
        .iter_mut()
        .find(|f| f.name.ends_with("_pe.v"))
        .unwrap();
    let from = "wire [7:0] w_use = sw_in ? w_out : w_act;";
    assert!(pe.text.contains(from));
    pe.text = pe.text.replace(from, "wire [7:0] w_use = w_act;");
    let e = prove_pe(&arch, &bad, &t).unwrap_err();
    assert_eq!(e.kind, Kind::CheckFailed, "{e}");
}

/// `name`'s design with the first `from` outside comments replaced by `to` in its PE file.
fn mutated(name: &str, from: &str, to: &str) -> (Arch, Design) {
    let arch = builtin(name);
    let mut design = tessera_rtl_gen::emit(&arch).unwrap();
    let pe = format!("{name}_pe.v");
    let f = design.files.iter_mut().find(|f| f.name == pe).unwrap();
    // the first occurrence outside comments
    let at = f
        .text
        .match_indices(from)
        .map(|(i, _)| i)
        .find(|&i| !f.text[..i].rsplit('\n').next().unwrap_or("").contains("//"))
        .unwrap_or_else(|| panic!("{pe} has no {from:?} outside comments:\n{}", f.text));
    f.text.replace_range(at..at + from.len(), to);
    (arch, design)
}

/// The mutation of `name`'s PE is refused as a failed check whose message contains `expect`.
fn refused(t: &Tools, name: &str, from: &str, to: &str, expect: &[&str]) {
    let (arch, design) = mutated(name, from, to);
    let start = std::time::Instant::now();
    let e = prove_pe(&arch, &design, t).expect_err(&format!("{name}: {from:?} -> {to:?} proven"));
    assert_eq!(e.kind, Kind::CheckFailed, "{e}");
    for x in expect {
        assert!(
            e.message.contains(x),
            "{name}: {from:?} -> {to:?}: no {x:?} in\n{e}"
        );
    }
    println!(
        "{name}: {from:?} -> {to:?} refused in {:.2} s:\n{e}\n",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn mutated_weight_stationary_pes_fail() {
    let Some(t) = tools(true) else { return };
    let cex = ["counterexample", "state:", "inputs:"];
    // subtraction for the accumulation
    refused(
        &t,
        "ws_2x3",
        "psum_in + {",
        "psum_in - {",
        &[&cex[..], &["next psum_out"]].concat(),
    );
    // a_in no longer sign-extended (the product becomes unsigned)
    refused(
        &t,
        "ws_2x3",
        "$signed(a_in)",
        "a_in",
        &[&cex[..], &["next psum_out"]].concat(),
    );
    // the weight loads every cycle instead of under w_shift
    refused(
        &t,
        "ws_4x4",
        "if (w_shift) w_out <= w_in;",
        "w_out <= w_in;",
        &[&cex[..], &["next w_out"]].concat(),
    );
    // the sum is not cleared by reset
    refused(
        &t,
        "ws_2x3",
        "psum_out <= 32'd0;",
        "psum_out <= psum_in;",
        &[&cex[..], &["rst = 1", "next psum_out"]].concat(),
    );
    // the product taken with the incoming weight instead of the stationary one
    refused(&t, "ws_2x3", "$signed(w_out);", "$signed(w_in);", &cex);
    // an undefined value after reset (the proof models x bits)
    refused(
        &t,
        "ws_2x3",
        "w_out    <= 8'd0;",
        "w_out    <= 8'bx;",
        &[&cex[..], &["rst = 1", "next w_out"]].concat(),
    );
    // a narrower port: refused as a connection problem, not proven over the bits that remain
    refused(
        &t,
        "ws_2x3",
        "input  wire [7:0]  a_in",
        "input  wire [6:0]  a_in",
        &["Resizing cell port"],
    );
}

#[test]
fn mutated_output_stationary_pes_fail() {
    let Some(t) = tools(true) else { return };
    let cex = ["counterexample", "state:", "inputs:"];
    refused(
        &t,
        "os_2x3",
        "acc + {",
        "acc - {",
        &[&cex[..], &["next acc"]].concat(),
    );
    refused(
        &t,
        "os_2x3",
        "$signed(b_in)",
        "b_in",
        &[&cex[..], &["next acc"]].concat(),
    );
    // the drain keeps the sum instead of taking the one from above
    refused(
        &t,
        "os_4x4",
        "if (drain) acc <= acc_in;",
        "if (drain) acc <= acc;",
        &[&cex[..], &["drain = 1", "next acc"]].concat(),
    );
    // b is not forwarded
    refused(
        &t,
        "os_2x3",
        "b_out <= b_in;",
        "b_out <= a_in;",
        &[&cex[..], &["next b_out"]].concat(),
    );
    // a port of another name
    refused(
        &t,
        "os_2x3",
        "drain,",
        "flush,",
        &["does not have the contract's PE ports"],
    );
}

#[test]
fn designs_of_another_arch_or_without_a_pe_are_bad_input() {
    let Some(t) = tools(true) else { return };
    let ws = builtin("ws_2x3");
    let os_design = tessera_rtl_gen::emit(&builtin("os_2x3")).unwrap();
    let e = prove_pe(&ws, &os_design, &t).unwrap_err();
    assert_eq!(e.kind, Kind::BadInput, "{e}");
    let mut d = tessera_rtl_gen::emit(&ws).unwrap();
    d.files.retain(|f| f.name != "ws_2x3_pe.v");
    let e = prove_pe(&ws, &d, &t).unwrap_err();
    assert_eq!(e.kind, Kind::BadInput, "{e}");
    assert!(e.message.contains("ws_2x3_pe.v"), "{e}");
}

/// PEs with 16- and 24-bit accumulators: the product is added without (or with a shorter) sign
/// extension and the sum wraps at the lane's width; proven against the same reference.
#[test]
fn narrow_accumulator_pes_are_proven() {
    let Some(t) = tools(true) else { return };
    for (name, bits) in [("ws_2x3", 16), ("os_2x3", 16), ("os_2x3", 24)] {
        let mut s = builtin(name).spec().clone().with_accumulator_bits(bits);
        s.buffers.accumulator.capacity_bytes = s.buffers.accumulator.capacity_bytes / 32 * bits;
        let arch = s.validate().unwrap();
        let design = tessera_rtl_gen::emit(&arch).unwrap();
        let r = prove_pe(&arch, &design, &t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.operand_bits, r.accumulator_bits), (8, bits as u32));
        assert!(
            r.yosys_log_tail.contains("no model found: SUCCESS!"),
            "{name} at {bits} bits: {}",
            r.yosys_log_tail
        );
        assert!(
            r.property.contains(&format!("mod 2^{bits}")),
            "{}",
            r.property
        );
    }
}

/// `name` (a built-in) with the interconnect `(stream, reduce)` and `ab`-bit accumulators.
fn with_noc(
    name: &str,
    stream: tessera_arch::Stream,
    reduce: tessera_arch::Reduce,
    ab: i64,
) -> Arch {
    let mut s = builtin(name)
        .spec()
        .clone()
        .with_noc(tessera_arch::Noc { stream, reduce })
        .with_accumulator_bits(ab);
    s.buffers.accumulator.capacity_bytes = s.buffers.accumulator.capacity_bytes / 32 * ab;
    s.validate().unwrap()
}

/// The PEs of the interconnect options (docs/TIMING.md, "Interconnect options"): a row-broadcast
/// PE (no a_out), an adder-tree PE (`p' = a·w`) and both, on both dataflows that have them, at 32
/// and 16 bits; each proven against its own reference, and the default's reference refuses them
/// (their ports differ).
/// Emit `arch`, prove its PE, and check the proof succeeded for the reference `expect` at `ab`-bit
/// sums.
fn proven(arch: &Arch, t: &Tools, expect: &str, ab: i64) -> (Design, ProofReport) {
    let design = tessera_rtl_gen::emit(arch).unwrap();
    let r = prove_pe(arch, &design, t).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.yosys_log_tail.contains("no model found: SUCCESS!"),
        "{}",
        r.yosys_log_tail
    );
    assert!(r.property.contains(expect), "{}", r.property);
    assert_eq!(i64::from(r.accumulator_bits), ab);
    (design, r)
}

#[test]
fn interconnect_pes_are_proven() {
    use tessera_arch::{Reduce, Stream};
    let Some(t) = tools(true) else { return };
    for (stream, reduce, expect) in [
        (
            Stream::Broadcast,
            Reduce::Chain,
            "(w_out, psum_out)' = rst ? 0 : (w_shift ? w_in : w_out, psum_in + sext(a_in)*sext(w_out))",
        ),
        (
            Stream::Systolic,
            Reduce::AdderTree,
            "(w_out, a_out, p)' = rst ? 0 : (w_shift ? w_in : w_out, a_in, sext(a_in)*sext(w_out))",
        ),
        (
            Stream::Broadcast,
            Reduce::AdderTree,
            "(w_out, p)' = rst ? 0 : (w_shift ? w_in : w_out, sext(a_in)*sext(w_out))",
        ),
    ] {
        for (name, ab) in [("ws_2x3", 32), ("is_2x3", 32), ("ws_4x4", 16)] {
            let arch = with_noc(name, stream, reduce, ab);
            let (design, r) = proven(&arch, &t, expect, ab);
            println!(
                "{name} {stream:?} {reduce:?} int{ab}: proven in {:.2} s: {}",
                r.seconds, r.property
            );
            // the default PE's reference does not fit this PE's ports
            let default = builtin(name);
            let mut swapped = tessera_rtl_gen::emit(&default).unwrap();
            let pe = design.files.iter().find(|f| f.name.ends_with("_pe.v"));
            if ab == 32 {
                for f in &mut swapped.files {
                    if f.name.ends_with("_pe.v") {
                        f.text = pe.unwrap().text.replace(arch.name(), default.name());
                    }
                }
                let e = prove_pe(&default, &swapped, &t).unwrap_err();
                assert_eq!(e.kind, Kind::CheckFailed, "{e}");
            }
        }
    }
}

/// The double-buffered PEs of the interconnect options (docs/TIMING.md, "double-buffered weights"):
/// a row-broadcast PE (no `a_out`, no `sw_out`: the row bus brings both), an adder-tree PE
/// (`p' = a·w_use`) and both, on both dataflows, at 32 and 16 bits, each proven against its own
/// reference; and mutants refused: a tree PE that multiplies by the active weight even while the
/// switch passes (a late switch), and a broadcast PE that never takes the shadow.
#[test]
fn double_buffered_interconnect_pes_are_proven_and_mutants_refused() {
    use tessera_arch::{Reduce, Stream};
    let Some(t) = tools(true) else { return };
    let db = |name: &str, stream, reduce, ab| {
        let mut s = with_noc(name, stream, reduce, ab)
            .spec()
            .clone()
            .with_weight_double_buffer(true);
        s.name = format!("{name}_db");
        s.validate().unwrap()
    };
    for (stream, reduce, expect) in [
        (
            Stream::Broadcast,
            Reduce::Chain,
            "(w_out, w_act, psum_out)' = rst ? 0 : (w_shift ? w_in : w_out, sw_in ? w_out : w_act, \
             psum_in + sext(a_in)*sext(sw_in ? w_out : w_act))",
        ),
        (
            Stream::Systolic,
            Reduce::AdderTree,
            "(w_out, w_act, sw_out, a_out, p)' = rst ? 0 : (w_shift ? w_in : w_out, sw_in ? w_out : \
             w_act, sw_in, a_in, sext(a_in)*sext(sw_in ? w_out : w_act))",
        ),
        (
            Stream::Broadcast,
            Reduce::AdderTree,
            "(w_out, w_act, p)' = rst ? 0 : (w_shift ? w_in : w_out, sw_in ? w_out : w_act, \
             sext(a_in)*sext(sw_in ? w_out : w_act))",
        ),
    ] {
        for (name, ab) in [("ws_2x3", 32), ("is_2x3", 32), ("ws_4x4", 16)] {
            let arch = db(name, stream, reduce, ab);
            let (_, r) = proven(&arch, &t, expect, ab);
            println!(
                "{name} double-buffered {stream:?} {reduce:?} int{ab}: proven in {:.2} s",
                r.seconds
            );
        }
    }
    let cex = ["counterexample", "state:", "inputs:"];
    let refuse = |arch: &Arch, from: &str, to: &str, next: &str| {
        let mut design = tessera_rtl_gen::emit(arch).unwrap();
        let f = design
            .files
            .iter_mut()
            .find(|f| f.name.ends_with("_pe.v"))
            .unwrap();
        assert!(f.text.contains(from), "{from:?} not in\n{}", f.text);
        f.text = f.text.replacen(from, to, 1);
        let e = prove_pe(arch, &design, &t).expect_err(&format!("{from:?} -> {to:?} proven"));
        assert_eq!(e.kind, Kind::CheckFailed, "{e}");
        for x in cex.iter().chain([&next]) {
            assert!(
                e.message.contains(x),
                "{from:?} -> {to:?}: no {x:?} in\n{e}"
            );
        }
    };
    let tree = db("ws_2x3", Stream::Systolic, Reduce::AdderTree, 32);
    refuse(&tree, "sw_in ? w_out : w_act;", "w_act;", "next p");
    let bcast = db("ws_2x3", Stream::Broadcast, Reduce::Chain, 32);
    refuse(&bcast, "if (sw_in) w_act <= w_out;", "", "next w_act");
}

/// Mutated interconnect PEs are refused: a product PE that accumulates (p <= p + a·w), one that
/// loses the sign extension, and a broadcast PE whose sum ignores the weight register.
#[test]
fn mutated_interconnect_pes_fail() {
    use tessera_arch::{Reduce, Stream};
    let Some(t) = tools(true) else { return };
    let cex = ["counterexample", "state:", "inputs:"];
    let refuse = |arch: &Arch, from: &str, to: &str, expect: &[&str]| {
        let mut design = tessera_rtl_gen::emit(arch).unwrap();
        let f = design
            .files
            .iter_mut()
            .find(|f| f.name.ends_with("_pe.v"))
            .unwrap();
        assert!(f.text.contains(from), "{from:?} not in\n{}", f.text);
        f.text = f.text.replacen(from, to, 1);
        let e = prove_pe(arch, &design, &t).expect_err(&format!("{from:?} -> {to:?} proven"));
        assert_eq!(e.kind, Kind::CheckFailed, "{e}");
        for x in expect {
            assert!(
                e.message.contains(x),
                "{from:?} -> {to:?}: no {x:?} in\n{e}"
            );
        }
    };
    let tree = with_noc("ws_2x3", Stream::Broadcast, Reduce::AdderTree, 32);
    refuse(
        &tree,
        "p        <= { {",
        "p        <= p + { {",
        &[&cex[..], &["next p"]].concat(),
    );
    refuse(
        &tree,
        "$signed(a_in)",
        "a_in",
        &[&cex[..], &["next p"]].concat(),
    );
    let tree16 = with_noc("is_2x3", Stream::Systolic, Reduce::AdderTree, 16);
    refuse(
        &tree16,
        "a_out    <= a_in;",
        "a_out    <= w_in;",
        &[&cex[..], &["next a_out"]].concat(),
    );
    let bcast = with_noc("ws_2x3", Stream::Broadcast, Reduce::Chain, 32);
    refuse(
        &bcast,
        "$signed(w_out);",
        "$signed(w_in);",
        &[&cex[..], &["next psum_out"]].concat(),
    );
}

/// The output-stationary PE with row and column buses (docs/TIMING.md, "Interconnect options of the
/// output-stationary array"): no `a_out` or `b_out`, `acc` as the systolic PE's; proven at 32 and
/// 16 bits, at two array sizes. The systolic reference refuses it (its ports differ), and mutated
/// bus PEs are refused: one that drops the drain, one that subtracts, one that loses the sign
/// extension of `b_in`, one without a reset.
#[test]
fn output_stationary_bus_pes_are_proven_and_mutants_refused() {
    use tessera_arch::{Reduce, Stream};
    let Some(t) = tools(true) else { return };
    let expect = "(acc)' = rst ? 0 : (drain ? acc_in : acc + sext(a_in)*sext(b_in)), sums mod 2^";
    for (name, ab) in [("os_2x3", 32), ("os_4x4", 16), ("os_4x4", 32)] {
        let arch = with_noc(name, Stream::Broadcast, Reduce::Chain, ab);
        let (_, r) = proven(&arch, &t, expect, ab);
        println!(
            "{name} bus int{ab}: proven in {:.2} s: {}",
            r.seconds, r.property
        );
    }
    // the systolic PE's reference does not fit the bus PE's ports
    let arch = with_noc("os_2x3", Stream::Broadcast, Reduce::Chain, 32);
    let design = tessera_rtl_gen::emit(&arch).unwrap();
    let default = builtin("os_2x3");
    let mut swapped = tessera_rtl_gen::emit(&default).unwrap();
    let pe = design
        .files
        .iter()
        .find(|f| f.name.ends_with("_pe.v"))
        .unwrap();
    for f in &mut swapped.files {
        if f.name.ends_with("_pe.v") {
            f.text = pe.text.replace(arch.name(), default.name());
        }
    }
    let e = prove_pe(&default, &swapped, &t).unwrap_err();
    assert_eq!(e.kind, Kind::CheckFailed, "{e}");
    // mutants
    let cex = ["counterexample", "state:", "inputs:", "next acc"];
    for (from, to) in [
        ("if (drain) acc <= acc_in;", "if (1'b0) acc <= acc_in;"),
        ("else acc <= acc + {", "else acc <= acc - {"),
        ("$signed(b_in)", "b_in"),
        ("            acc   <= 32'd0;\n", ""),
    ] {
        let mut bad = design.clone();
        let f = bad
            .files
            .iter_mut()
            .find(|f| f.name.ends_with("_pe.v"))
            .unwrap();
        assert!(f.text.contains(from), "{from:?} not in\n{}", f.text);
        f.text = f.text.replacen(from, to, 1);
        let e = prove_pe(&arch, &bad, &t).expect_err(&format!("{from:?} -> {to:?} proven"));
        assert_eq!(e.kind, Kind::CheckFailed, "{e}");
        for x in cex {
            assert!(
                e.message.contains(x),
                "{from:?} -> {to:?}: no {x:?} in\n{e}"
            );
        }
    }
}

/// The output-stationary PEs with double-buffered sums (docs/TIMING.md, "Compute unit:
/// output-stationary with double-buffered sums"), systolic and with buses: proven, and two mutants
/// refused: one that lets the drain overwrite the sum its tile's last pair lands (a finished tile
/// lost when its landing meets a drain), and one that keeps accumulating after the last pair (the
/// next tile would start from the previous tile's sum).
#[test]
fn double_buffered_sum_pes_are_proven_and_mutants_refused() {
    let Some(t) = tools(true) else { return };
    for broadcast in [false, true] {
        let mut s = builtin("os_2x3")
            .spec()
            .clone()
            .with_weight_double_buffer(true)
            .with_noc(tessera_arch::Noc {
                stream: if broadcast {
                    tessera_arch::Stream::Broadcast
                } else {
                    tessera_arch::Stream::Systolic
                },
                reduce: tessera_arch::Reduce::Chain,
            });
        s.name = format!("os_2x3_db{}", if broadcast { "b" } else { "s" });
        let arch = s.validate().unwrap();
        let design = tessera_rtl_gen::emit(&arch).unwrap();
        let r = prove_pe(&arch, &design, &t).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            r.property.contains("l_in ? 0 : acc") && r.property.contains("drain ? dr_in : dr"),
            "{}",
            r.property
        );
        assert_eq!(r.property.contains("l_out"), !broadcast, "{}", r.property);
        println!(
            "{}: proven in {:.2} s: {}",
            arch.name(),
            r.seconds,
            r.property
        );
        for (from, to) in [
            ("if (l_in) begin", "if (l_in && !drain) begin"),
            ("acc <= 32'd0;", "acc <= s;"),
        ] {
            let mut bad = design.clone();
            let pe = bad
                .files
                .iter_mut()
                .find(|f| f.name.ends_with("_pe.v"))
                .unwrap();
            assert!(pe.text.contains(from), "{from}");
            pe.text = pe.text.replacen(from, to, 1);
            let e = prove_pe(&arch, &bad, &t).unwrap_err();
            assert_eq!(e.kind, Kind::CheckFailed, "{from:?} -> {to:?}: {e}");
        }
    }
}

/// A row-stationary `rows`×`cols` array whose PEs hold `rf` operands.
fn rs(name: &str, rows: i64, cols: i64, rf: i64, acc_bits: i64) -> Arch {
    let w = rows + cols - 1;
    tessera_arch::spec::ArchSpec::ws(
        name,
        rows,
        cols,
        [w * 32, rows * 32, 4 * cols * 32],
        2,
        8,
        3,
    )
    .row_stationary(rf)
    .with_accumulator_bits(acc_bits)
    .validate()
    .unwrap()
}

/// The row-stationary PE (docs/TIMING.md, "Compute unit: row-stationary"): register files of 6
/// operands with 32-bit sums and of 1 with 16-bit sums (the product used without sign extension)
/// proven; mutants refused: a step that never restarts at
/// t = 0, a register file written at the wrong entry, a capture that takes the next sum, an entry
/// not cleared by reset.
#[test]
fn row_stationary_pes_are_proven_and_mutants_refused() {
    let Some(t) = tools(true) else { return };
    for (arch, ab) in [
        (rs("rs_3x4", 3, 4, 6, 32), 32),
        (rs("rs_2x2_h", 2, 2, 1, 16), 16),
    ] {
        let design = tessera_rtl_gen::emit(&arch).unwrap();
        let r = prove_pe(&arch, &design, &t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.dataflow, "RowStationary");
        assert_eq!(r.accumulator_bits, ab);
        assert!(
            r.property
                .contains("mac ? (t == 0 ? 0 : ps) + sext(a_in)*sext(RF[t]) : ps"),
            "{}",
            r.property
        );
        println!(
            "{}: proven in {:.2} s: {}",
            arch.name(),
            r.seconds,
            r.property
        );
    }
    let arch = rs("rs_3x4", 3, 4, 6, 32);
    let design = tessera_rtl_gen::emit(&arch).unwrap();
    let cex = ["counterexample", "state:", "inputs:"];
    for (from, to, want) in [
        ("(t == 8'd0) ? 32'd0 : ps", "ps", "next ps"),
        (
            "if (t == k[7:0]) rf",
            "if (t == k[7:0] + 8'd1) rf",
            "next rf",
        ),
        ("if (cap) out <= ps;", "if (cap) out <= base;", "next out"),
        ("rf  <= 48'd0;", "rf  <= 48'd1;", "next rf"),
    ] {
        let mut bad = design.clone();
        let pe = bad
            .files
            .iter_mut()
            .find(|f| f.name.ends_with("_pe.v"))
            .unwrap();
        assert!(pe.text.contains(from), "{from}");
        pe.text = pe.text.replacen(from, to, 1);
        let e = prove_pe(&arch, &bad, &t).unwrap_err();
        assert_eq!(e.kind, Kind::CheckFailed, "{from:?} -> {to:?}: {e}");
        for w in cex.iter().chain([&want]) {
            assert!(e.message.contains(w), "{from:?} -> {to:?}: {w:?} in {e}");
        }
    }
}
