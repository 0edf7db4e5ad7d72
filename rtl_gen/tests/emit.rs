//! Golden files, determinism and input checks of the Verilog generator.

use std::path::{Path, PathBuf};
use tessera_arch::builtin;
use tessera_rtl_gen::{emit, emit_system, Design};

fn golden_dir(arch: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(arch)
}

/// The first differing line with a few lines of context, diff style.
fn describe_diff(name: &str, want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let at = w
        .iter()
        .zip(&g)
        .position(|(a, b)| a != b)
        .unwrap_or(w.len().min(g.len()));
    let from = at.saturating_sub(3);
    let mut s = format!(
        "--- golden/{name}\n+++ emitted/{name}\n@@ line {} @@\n",
        at + 1
    );
    for l in &w[from..at.min(w.len())] {
        s += &format!(" {l}\n");
    }
    for l in w.iter().skip(at).take(4) {
        s += &format!("-{l}\n");
    }
    for l in g.iter().skip(at).take(4) {
        s += &format!("+{l}\n");
    }
    s
}

fn check_golden(arch: &str) {
    check_golden_of(&builtin::arch(arch).unwrap());
}

fn check_golden_of(a: &tessera_arch::Arch) {
    check_golden_design(a.name(), &emit(a).unwrap());
}

/// Compare `design` with the golden files in `golden/<arch>` (TESSERA_BLESS=1 rewrites them).
fn check_golden_design(arch: &str, design: &Design) {
    let dir = golden_dir(arch);
    if std::env::var_os("TESSERA_BLESS").is_some_and(|v| v == "1") {
        if dir.exists() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "v") {
                    std::fs::remove_file(p).unwrap();
                }
            }
        }
        design.write_to(&dir).unwrap();
        println!("blessed {}", dir.display());
        return;
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with TESSERA_BLESS=1 to create)",
                dir.display()
            )
        })
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".v"))
        .collect();
    on_disk.sort();
    let mut emitted: Vec<String> = design.files.iter().map(|f| f.name.clone()).collect();
    emitted.sort();
    assert_eq!(
        on_disk, emitted,
        "golden files of {arch} (TESSERA_BLESS=1 rewrites them)"
    );
    for f in &design.files {
        let want = std::fs::read_to_string(dir.join(&f.name)).unwrap();
        assert!(
            want == f.text,
            "{} differs from its golden file (TESSERA_BLESS=1 rewrites it after review):\n{}",
            f.name,
            describe_diff(&f.name, &want, &f.text)
        );
    }
}

#[test]
fn ws_2x3_matches_golden() {
    check_golden("ws_2x3");
}

#[test]
fn is_2x3_matches_golden() {
    check_golden("is_2x3");
}

#[test]
fn os_2x3_matches_golden() {
    check_golden("os_2x3");
}

#[test]
fn ws_2x3_with_double_buffered_weights_matches_golden() {
    let mut s = builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_weight_double_buffer(true);
    s.name = "ws_2x3_db".into();
    check_golden_of(&s.validate().unwrap());
}

#[test]
fn emit_is_deterministic() {
    for (name, _) in builtin::ARCHS {
        let a = builtin::arch(name).unwrap();
        let (d1, d2): (Design, Design) = (emit(&a).unwrap(), emit(&a).unwrap());
        assert_eq!(d1, d2, "{name}");
        assert_eq!(d1.content_hash(), d2.content_hash(), "{name}");
    }
}

#[test]
fn file_order_and_names_are_fixed() {
    let d = emit(&builtin::arch("ws_4x4").unwrap()).unwrap();
    let names: Vec<&str> = d.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "ws_4x4_pe.v",
            "ws_4x4_array.v",
            "ws_4x4_sram.v",
            "ws_4x4_sram2r.v",
            "ws_4x4_queue.v",
            "ws_4x4_ctrl.v",
            "ws_4x4_dma.v",
            "ws_4x4_compute.v",
            "ws_4x4_top.v"
        ]
    );
    assert_eq!(d.top, "ws_4x4_top");
}

#[test]
fn hash_changes_with_the_arch() {
    let a = builtin::arch("ws_4x4").unwrap();
    let mut s = builtin::arch_spec("ws_4x4").unwrap();
    s.dram.latency_cycles = 21;
    let b = s.validate().unwrap();
    assert_ne!(
        emit(&a).unwrap().content_hash(),
        emit(&b).unwrap().content_hash()
    );
}

/// Names become module and file names: only validated names reach the templates (an `Arch` cannot be
/// built any other way), and validation refuses anything that could inject text or a path.
#[test]
fn unsafe_names_never_reach_the_templates() {
    for bad in [
        "x; module evil",
        "ws\"_2x3",
        "a b",
        "../etc",
        "module",
        "1x",
        "",
        "a\nmodule b",
    ] {
        let mut s = builtin::arch_spec("ws_2x3").unwrap();
        s.name = bad.into();
        let e = s.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"), "{bad:?}: {e}");
    }
}

#[test]
fn every_builtin_emits_one_module_per_file_with_its_dataflow() {
    for (name, _) in builtin::ARCHS {
        let a = builtin::arch(name).unwrap();
        let d = emit(&a).unwrap();
        let pe = d.files.iter().find(|f| f.name.ends_with("_pe.v")).unwrap();
        let os = a.dataflow() == tessera_arch::Dataflow::OutputStationary;
        assert_eq!(pe.text.contains("input  wire        drain"), os, "{name}");
        assert!(d.files[0].text.contains(a.dataflow().label()), "{name}");
        // an input-stationary top wires the unit's preload port to the input buffer
        let top = d.files.iter().find(|f| f.name.ends_with("_top.v")).unwrap();
        let is = a.dataflow() == tessera_arch::Dataflow::InputStationary;
        assert_eq!(top.text.contains(".w_rdata    (in_rdata)"), is, "{name}");
    }
}

#[test]
fn write_to_writes_every_file() {
    let d = emit(&builtin::arch("ws_1x1").unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("tessera-rtl-gen-write-{}", std::process::id()));
    d.write_to(&dir).unwrap();
    for f in &d.files {
        assert_eq!(std::fs::read_to_string(dir.join(&f.name)).unwrap(), f.text);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A system of two sub-accelerators of different dataflows and bus widths, one arch twice.
fn small_system() -> Vec<tessera_arch::Arch> {
    let ws = builtin::arch("ws_2x3").unwrap();
    let mut os = builtin::arch_spec("os_2x3").unwrap();
    os.dram = ws.spec().dram.clone();
    let os = os.validate().unwrap();
    vec![ws.clone(), os, ws]
}

#[test]
fn system_matches_golden() {
    let subs = small_system();
    let d = emit_system("sys3", &subs).unwrap();
    assert_eq!(d.top, "sys3_system");
    check_golden_design("sys3", &d);
}

#[test]
fn system_shares_modules_of_one_arch_and_keeps_single_designs_apart() {
    let subs = small_system();
    let d = emit_system("sys3", &subs).unwrap();
    let names: Vec<&str> = d.files.iter().map(|f| f.name.as_str()).collect();
    // ws_2x3 once, os_2x3 once, then the arbiter and the system top
    assert_eq!(names.len(), 9 + 9 + 2, "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "ws_2x3_top.v").count(), 1);
    assert_eq!(
        names[names.len() - 2..],
        ["sys3_arbiter.v", "sys3_system.v"]
    );
    let top = &d
        .files
        .iter()
        .find(|f| f.name == "ws_2x3_top.v")
        .unwrap()
        .text;
    assert!(top.contains("input  wire          dram_grant,"), "{top}");
    let sys = &d.files.last().unwrap().text;
    for s in 0..3 {
        assert!(sys.contains(&format!("u_sub_{s} (")), "{sys}");
        assert!(sys.contains(&format!("output wire          done_{s},")));
    }
    // the single design has no channel handshake
    let single = emit(&subs[0]).unwrap();
    let top = &single
        .files
        .iter()
        .find(|f| f.name == "ws_2x3_top.v")
        .unwrap()
        .text;
    assert!(!top.contains("dram_grant"));
    // the memories of every sub are black boxes, once
    assert_eq!(
        d.black_box_modules(),
        [
            "ws_2x3_sram",
            "ws_2x3_sram2r",
            "os_2x3_sram",
            "os_2x3_sram2r"
        ]
    );
    assert_eq!(d.prefix(), "sys3");
    let again = emit_system("sys3", &subs).unwrap();
    assert_eq!(again.content_hash(), d.content_hash());
}

#[test]
fn system_inputs_are_checked() {
    let subs = small_system();
    let err =
        |name: &str, subs: &[tessera_arch::Arch]| emit_system(name, subs).unwrap_err().message;
    assert!(err("bad name", &subs).contains("safe Verilog identifier"));
    assert!(err("sys", &[]).contains("1 to 8"));
    let nine: Vec<_> = std::iter::repeat_n(subs[0].clone(), 9).collect();
    assert!(err("sys", &nine).contains("not 9"));
    assert!(emit_system("sys", &nine[..8]).is_ok());
    // a different DRAM: named by index
    let mut slow = builtin::arch_spec("os_2x3").unwrap();
    slow.dram.latency_cycles += 1;
    let m = err(
        "sys",
        &[subs[0].clone(), subs[1].clone(), slow.validate().unwrap()],
    );
    assert!(m.contains("sub-accelerator 2 (os_2x3)"), "{m}");
    assert!(m.contains("one DRAM channel"), "{m}");
    let mut faster = builtin::arch_spec("ws_2x3").unwrap();
    faster.dram.bytes_per_cycle += 1;
    let m = err("sys", &[subs[0].clone(), faster.validate().unwrap()]);
    assert!(m.contains("sub-accelerator 1"), "{m}");
    // one name, two accelerators
    let other = builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_weight_double_buffer(true);
    let m = err(
        "sys",
        &[subs[0].clone(), subs[1].clone(), other.validate().unwrap()],
    );
    assert!(m.contains("sub-accelerators 0 and 2"), "{m}");
}

/// `name` (a built-in) with the interconnect `noc`, named `new`.
fn with_noc(
    name: &str,
    new: &str,
    stream: tessera_arch::Stream,
    reduce: tessera_arch::Reduce,
) -> tessera_arch::Arch {
    let mut s = builtin::arch_spec(name)
        .unwrap()
        .with_noc(tessera_arch::Noc { stream, reduce });
    s.name = new.into();
    s.validate().unwrap()
}

/// A 3×2 weight-stationary array with row broadcast buses and column adder trees (docs/TIMING.md,
/// "Interconnect options"): three rows, so the tree's first level passes product 2 through.
#[test]
fn ws_3x2_broadcast_adder_tree_matches_golden() {
    let mut s = builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_noc(tessera_arch::Noc {
            stream: tessera_arch::Stream::Broadcast,
            reduce: tessera_arch::Reduce::AdderTree,
        });
    s.name = "ws_3x2_bt".into();
    s.array.rows = 3;
    s.array.cols = 2;
    s.buffers.input.capacity_bytes = 3 * 256;
    s.buffers.weight.capacity_bytes = 2 * 128;
    s.buffers.accumulator.capacity_bytes = 8 * 256;
    check_golden_of(&s.validate().unwrap());
}

/// What each interconnect changes in the PE, the array and the compute unit: `a_out` only with
/// systolic rows, skew registers only with chains, deskew only with systolic rows, a product
/// register and `⌈log₂ R⌉` tree levels with adder trees (R = 5: 3, 2 and 1 registers, the odd
/// ones passed through), and the first write back at X.
#[test]
fn each_interconnect_changes_what_the_contract_says() {
    use tessera_arch::{Reduce, Stream};
    let file = |d: &Design, suffix: &str| {
        d.files
            .iter()
            .find(|f| f.name.ends_with(suffix))
            .unwrap()
            .text
            .clone()
    };
    for (stream, reduce) in [
        (Stream::Systolic, Reduce::Chain),
        (Stream::Broadcast, Reduce::Chain),
        (Stream::Systolic, Reduce::AdderTree),
        (Stream::Broadcast, Reduce::AdderTree),
    ] {
        for base in ["ws_4x4", "is_4x4"] {
            let a = with_noc(base, "n5x3", stream, reduce);
            let mut s = a.spec().clone();
            s.array.rows = 5;
            s.array.cols = 3;
            s.buffers.input.capacity_bytes = 5 * 3 * 256;
            s.buffers.weight.capacity_bytes = 5 * 3 * 128;
            s.buffers.accumulator.capacity_bytes = 12 * 256;
            let a = s.validate().unwrap();
            let d = emit(&a).unwrap();
            let (pe, array, compute) = (
                file(&d, "_pe.v"),
                file(&d, "_array.v"),
                file(&d, "_compute.v"),
            );
            let systolic = stream == Stream::Systolic;
            let tree = reduce == Reduce::AdderTree;
            let what = format!("{base} {stream:?} {reduce:?}");
            assert_eq!(pe.contains("output reg  [7:0]  a_out,"), systolic, "{what}");
            assert_eq!(pe.contains("psum_in"), !tree, "{what}");
            assert_eq!(pe.contains("output reg  [31:0] p\n"), tree, "{what}");
            assert_eq!(compute.contains("g_skew"), !tree, "{what}");
            assert_eq!(compute.contains("g_deskew"), systolic, "{what}");
            assert_eq!(
                d.files[0].text.contains("// interconnect: "),
                !systolic || tree,
                "{what}"
            );
            if tree {
                for l in [
                    "reg [AB-1:0] t1_0, t1_1, t1_2;   // level 1",
                    "reg [AB-1:0] t2_0, t2_1;   // level 2",
                    "reg [AB-1:0] t3_0;   // level 3",
                    "t1_0 <= p_bus[AB*(0*C+c) +: AB] + p_bus[AB*(1*C+c) +: AB];",
                    "t1_2 <= p_bus[AB*(4*C+c) +: AB];",
                    "t2_1 <= t1_2;",
                    "t3_0 <= t2_0 + t2_1;",
                    "assign psum_out[AB*c +: AB] = t3_0;",
                ] {
                    assert!(array.contains(l), "{what}: no {l:?} in\n{array}");
                }
            } else {
                assert!(!array.contains("g_tree"), "{what}");
            }
            // X: 2R+C = 13, 2R+1 = 11, R+2+D+C-1 = 12, R+2+D = 10
            let x = match (systolic, tree) {
                (true, false) => 13,
                (false, false) => 11,
                (true, true) => 12,
                (false, true) => 10,
            };
            assert!(
                compute.contains(&format!("wb_end    = 17'd{x} + m_t;")),
                "{what}: X = {x}\n{compute}"
            );
        }
    }
    // one row: no tree level, the product register is the column's sum
    let d = emit(&with_noc(
        "ws_1x1",
        "one",
        Stream::Broadcast,
        Reduce::AdderTree,
    ))
    .unwrap();
    let array = file(&d, "_array.v");
    assert!(array.contains("assign psum_out[AB*c +: AB] = p_bus[AB*c +: AB];"));
    assert!(!array.contains("t1_0"));
}

/// `name` with `o` DMA transfers in flight (docs/TIMING.md, "DMA unit and the DRAM port").
fn with_slots(name: &str, o: i64, renamed: &str) -> tessera_arch::Arch {
    let mut s = builtin::arch_spec(name).unwrap();
    s.name = renamed.into();
    s.dram.outstanding_transfers = Some(o);
    s.validate().unwrap()
}

/// One transfer slot, given or not, is today's design: the same text as without the option.
#[test]
fn one_transfer_slot_emits_the_one_transfer_dma() {
    for (name, _) in builtin::ARCHS {
        let a = builtin::arch(name).unwrap();
        assert_eq!(
            emit(&with_slots(name, 1, name)).unwrap(),
            emit(&a).unwrap(),
            "{name}"
        );
    }
    check_golden_of(&with_slots("ws_2x3", 1, "ws_2x3"));
}

/// Four transfers in flight: the DMA's FIFO of transfers, its request and completion sides, and
/// the controller's issue on a free slot (`dma_full`), reviewed as text.
#[test]
fn ws_2x3_with_four_transfer_slots_matches_golden() {
    let a = with_slots("ws_2x3", 4, "ws_2x3_o4");
    let d = emit(&a).unwrap();
    let file = |suffix: &str| {
        &d.files
            .iter()
            .find(|f| f.name.ends_with(suffix))
            .unwrap()
            .text
    };
    assert!(file("_ctrl.v").contains("&& !dma_full;"));
    assert!(file("_top.v").contains(".full             (dma_full),"));
    assert!(file("_dma.v").contains("reg [127:16] q_instr [0:3];"));
    assert!(d.files[0]
        .text
        .contains("latency 12 cycles, up to 4 transfers in flight\n"));
    check_golden_of(&a);
}

#[test]
fn slot_counts_size_the_pointers() {
    for (o, ptr, count) in [(2, 1, 2), (3, 2, 2), (4, 2, 3), (5, 3, 3), (16, 4, 5)] {
        let d = emit(&with_slots("os_2x3", o, "os_2x3_slots")).unwrap();
        let dma = &d
            .files
            .iter()
            .find(|f| f.name.ends_with("_dma.v"))
            .unwrap()
            .text;
        assert!(
            dma.contains(&format!("reg [{}:0] head;", ptr - 1)),
            "O = {o}"
        );
        assert!(
            dma.contains(&format!("reg [{}:0] nfl;", count - 1)),
            "O = {o}"
        );
        assert!(dma.contains(&format!("SLOTS = {count}'d{o};")), "O = {o}");
    }
}

/// A sub-accelerator of a system keeps one transfer slot (docs/TIMING.md, "Systems").
#[test]
fn a_system_refuses_several_transfer_slots() {
    let subs = small_system();
    let mut os = subs[1].spec().clone();
    os.dram.outstanding_transfers = Some(2);
    let e = emit_system("sys", &[subs[0].clone(), os.validate().unwrap()]).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("subs[1].arch.dram.outstanding_transfers"),
        "{e}"
    );
    assert!(e.message.contains("keeps 2 DMA transfers in flight"), "{e}");
}
