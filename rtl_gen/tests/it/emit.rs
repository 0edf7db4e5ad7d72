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
    assert_eq!(names.len(), 8 + 8 + 2, "{names:?}");
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
    assert_eq!(d.black_box_modules(), ["ws_2x3_sram", "os_2x3_sram"]);
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

/// A 3×2 output-stationary array with row and column broadcast buses (docs/TIMING.md, "Interconnect
/// options of the output-stationary array"): no skew, no `a_out`/`b_out`, the drain at K+1.
#[test]
fn os_3x2_broadcast_matches_golden() {
    let mut s = builtin::arch_spec("os_2x3")
        .unwrap()
        .with_noc(tessera_arch::Noc {
            stream: tessera_arch::Stream::Broadcast,
            reduce: tessera_arch::Reduce::Chain,
        });
    s.name = "os_3x2_b".into();
    s.array.rows = 3;
    s.array.cols = 2;
    s.buffers.input.capacity_bytes = 3 * 256;
    s.buffers.weight.capacity_bytes = 2 * 256;
    s.buffers.accumulator.capacity_bytes = 8 * 256;
    check_golden_of(&s.validate().unwrap());
}

/// What the output-stationary buses change: the PE loses `a_out` and `b_out`, the compute unit
/// its skew chains, the array its PE-to-PE operand wiring (every PE on its row's and column's
/// bus), and the drain starts at K + F with F = 1 instead of R + C - 1 (R = 5, C = 3: first drain
/// cycle K+7 → K+1, last K+11 → K+5); the drain itself and the header say so.
#[test]
fn output_stationary_buses_change_what_the_contract_says() {
    use tessera_arch::{Reduce, Stream};
    let file = |d: &Design, suffix: &str| {
        d.files
            .iter()
            .find(|f| f.name.ends_with(suffix))
            .unwrap()
            .text
            .clone()
    };
    for stream in [Stream::Systolic, Stream::Broadcast] {
        let mut s = with_noc("os_4x4", "o5x3", stream, Reduce::Chain)
            .spec()
            .clone();
        s.array.rows = 5;
        s.array.cols = 3;
        s.buffers.input.capacity_bytes = 5 * 256;
        s.buffers.weight.capacity_bytes = 3 * 256;
        s.buffers.accumulator.capacity_bytes = 12 * 256;
        let d = emit(&s.validate().unwrap()).unwrap();
        let (pe, array, compute) = (
            file(&d, "_pe.v"),
            file(&d, "_array.v"),
            file(&d, "_compute.v"),
        );
        let systolic = stream == Stream::Systolic;
        let what = format!("{stream:?}");
        assert_eq!(pe.contains("output reg  [7:0]  a_out,"), systolic, "{what}");
        assert_eq!(pe.contains("output reg  [7:0]  b_out,"), systolic, "{what}");
        assert!(pe.contains("if (drain) acc <= acc_in;"), "{what}");
        assert_eq!(compute.contains("g_skew"), systolic, "{what}");
        assert_eq!(array.contains("a_bus"), systolic, "{what}");
        assert_eq!(
            array.contains(".a_in   (a_in[OB*r +: OB]),")
                && array.contains(".b_in   (b_in[OB*c +: OB]),"),
            !systolic,
            "{what}"
        );
        let (first, last) = if systolic { (7, 11) } else { (1, 5) };
        assert!(
            compute.contains(&format!("d_start = k_t + 17'd{first};"))
                && compute.contains(&format!("d_last  = k_t + 17'd{last};")),
            "{what}: drain {first}..{last}\n{compute}"
        );
        assert_eq!(
            d.files[0]
                .text
                .contains("// interconnect: row and column broadcast buses\n"),
            !systolic,
            "{what}"
        );
    }
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

/// A sub-accelerator of a system may keep several transfers in flight (docs/TIMING.md, "Systems"):
/// its DMA's request side tells the arbiter when it takes the next transfer (`take`, its
/// `dram_issue`), and `want` and `hold` follow that side; a sub with one slot keeps its start
/// pulse and its busy register.
#[test]
fn a_system_takes_several_transfer_slots() {
    let subs = small_system();
    let mut os = subs[1].spec().clone();
    os.name = "os_2x3_o2".into();
    os.dram.outstanding_transfers = Some(2);
    let d = emit_system("sys", &[subs[0].clone(), os.validate().unwrap()]).unwrap();
    let text = |f: &str| &d.files.iter().find(|x| x.name == f).unwrap().text;
    let (dma2, top2) = (text("os_2x3_o2_dma.v"), text("os_2x3_o2_top.v"));
    assert!(dma2.contains("output wire          take,"), "{dma2}");
    assert!(dma2.contains("assign take = req_take;"), "{dma2}");
    assert!(
        dma2.contains("assign want = req_busy && !granted;"),
        "{dma2}"
    );
    assert!(
        dma2.contains("assign hold = req_busy && granted &&"),
        "{dma2}"
    );
    assert!(top2.contains("assign dram_issue = dma_take;"), "{top2}");
    let (dma1, top1) = (text("ws_2x3_dma.v"), text("ws_2x3_top.v"));
    assert!(!dma1.contains("output wire          take,"), "{dma1}");
    assert!(dma1.contains("assign want = busy && !granted;"), "{dma1}");
    assert!(top1.contains("assign dram_issue = dma_start;"), "{top1}");
}

/// Designs whose buffers all hold at most 65,536 words: every built-in accelerator and template,
/// and 2×3 arrays of every dataflow whose buffers hold exactly 65,536 words (the most 16-bit
/// addresses reach) in four banks, with one and four DMA transfers in flight, double-buffered
/// weights and the interconnect options.
fn shallow_designs() -> Vec<tessera_arch::Arch> {
    use tessera_arch::{builtin, ArchSpec, Dataflow, Noc, Reduce, Stream};
    let mut v: Vec<tessera_arch::Arch> = builtin::names()
        .iter()
        .map(|n| builtin::arch(n).unwrap())
        .collect();
    let (r, c) = (2i64, 3i64);
    let words = 65_536i64;
    for (df, tag) in [
        (Dataflow::WeightStationary, "ws"),
        (Dataflow::OutputStationary, "os"),
        (Dataflow::InputStationary, "is"),
    ] {
        let (in_word, w_word) = if df == Dataflow::InputStationary {
            (c, r)
        } else {
            (r, c)
        };
        let mut s = ArchSpec::ws(
            &format!("edge_{tag}"),
            r,
            c,
            [words * in_word, words * w_word, words * 4 * c],
            4,
            8,
            9,
        )
        .with_dataflow(df);
        v.push(s.validate().unwrap());
        s.name = format!("edge_{tag}_o4");
        s.dram.outstanding_transfers = Some(4);
        v.push(s.validate().unwrap());
    }
    let ws = ArchSpec::ws(
        "edge_db",
        r,
        c,
        [words * r, words * c, words * 4 * c],
        4,
        8,
        9,
    );
    v.push(
        ws.clone()
            .with_weight_double_buffer(true)
            .validate()
            .unwrap(),
    );
    let mut bt = ws.with_noc(Noc {
        stream: Stream::Broadcast,
        reduce: Reduce::AdderTree,
    });
    bt.name = "edge_bt".into();
    v.push(bt.validate().unwrap());
    v
}

/// Content hashes ([`Design::content_hash`]) of [`shallow_designs`] as emitted at commit f27a914,
/// the last with 16-bit buffer addresses (rtl_gen did not change from there to the work on 20-bit
/// addresses).
const BEFORE_WIDE_ADDRESSES: &[(&str, &str)] = &[
    (
        "ws_1x1",
        "e6fbaef0499658a472d4cf8a15c7cd537b1a2bb916d15df587904c376e2c9798",
    ),
    (
        "ws_2x3",
        "eb93555c7503af0e6a8498be281441c3f0e8d686a385ed9558c3c7b436f935bf",
    ),
    (
        "ws_4x4",
        "c97cbd91bc7f31ca75d3afa3a7cbefbf7af45722596d8f45c44313df1675dcd0",
    ),
    (
        "ws_8x8",
        "34156aaee9e7525f3f48cc1a8bb61bd1e7575795536a55cedc2b907346eb2c19",
    ),
    (
        "ws_16x16",
        "35f0f0f305520b3fa510d1a5a9edfa90655e4e9b73b6edf74ec2d28e91419980",
    ),
    (
        "ws_32x32",
        "349d7634db69ac68793a195f895dee39b6ab969082cb16b64c6efddc49c7766c",
    ),
    (
        "os_1x1",
        "80a14d74d49c9a13869a637878f93765b39ddc4af7d21b099ebd83defee54bf7",
    ),
    (
        "os_2x3",
        "0bf91f0dc0012bf72d3214b116e3592122a8c2429bc25e024c7b3280fcaa3f19",
    ),
    (
        "os_4x4",
        "bae6e638344f4791266139b515c4e0609666e02793bb279383995877be5a16c3",
    ),
    (
        "os_8x8",
        "12668c38c87a9c674117b62b370106ac16e720404f8622906fc360a7153c9757",
    ),
    (
        "os_16x16",
        "8e4de236c8c0aeacf8ca8d68e074450d687ac4ab253297a1dff94eb858d7407e",
    ),
    (
        "os_32x32",
        "5df211912bc439f21d512e60bf27a92ab4c0ab405062da65dc50b49498f050dc",
    ),
    (
        "is_1x1",
        "8c75f25e23153affbad6eb5e4fa5f4af94071398daa725d6f66219fd7253f71e",
    ),
    (
        "is_2x3",
        "c5c4297ca6cea4e9a6ea76487a56ecf80dd992a0151ace753264eeff890681bd",
    ),
    (
        "is_4x4",
        "a4750bc77f46918eaea2e1c62a7c59841858d4d446d907da4ba951e8b66149ee",
    ),
    (
        "is_8x8",
        "53b83ea020b6d1338f26f3f61934b5b6d347fd38193eb5a79863794320b21158",
    ),
    (
        "is_16x16",
        "750fdfe2edabcf4b0dc5ce2964e8893dfc22ccb6d92c2ce59ff0192a8c1585bf",
    ),
    (
        "is_32x32",
        "1db8ecb25b7323141b76ecc3de88387822ee0da919b2f6cfc80906d465619af0",
    ),
    (
        "tpu_like",
        "8da21c685ebab57b937b2bd485b639b75a011fd06c8cf773ef2998bd627cc013",
    ),
    (
        "gemmini",
        "d16bdbf92f07e72af18e1eadc127973113c527961a4028ec4bc6dbe092d5b4eb",
    ),
    (
        "nvdla_like",
        "4757911ed83a602218108bb1b696a43b47c9912d8f78bfd724c8cb1303582c47",
    ),
    (
        "shidiannao_like",
        "649ccee1935c682a3b2919d625e478a330b5839a4d2123bc5479533d80ab8925",
    ),
    (
        "eyeriss_like",
        "1444adb1aa8175c7d3aa338730131ce6def7aabef09716aa62364eb585136900",
    ),
    (
        "edge_ws",
        "73397398cfeca5f52d0c3a7689b2313df03ca133334872845bb2f36ed6253942",
    ),
    (
        "edge_ws_o4",
        "7d28daff5604e4d28d2a583b6a2c998f29828fc538c2708f6c3ed9eccb7e6213",
    ),
    (
        "edge_os",
        "e885a4b1d8246c4a164c30439c5bd093786ff1f1f3603f1c799175cfe3dbb50c",
    ),
    (
        "edge_os_o4",
        "90e2050b4765722c774e9446b14fb60b7e9643cb7ed50ef94a0e9f242cb5096d",
    ),
    (
        "edge_is",
        "a3c0ddddde38fd8287d26b4c433830931a1d527a1dc9f9a5e6b9fde57c595a3b",
    ),
    (
        "edge_is_o4",
        "cb98b78c5241e26c13a419fb81f46e6f995e5132edd5f4125cb791e42384fa00",
    ),
    (
        "edge_db",
        "1b204d6f68f20396622f40ecf7d96e9ae6c1dbe2a0d44e8ab384feb1c8b25e3a",
    ),
    (
        "edge_bt",
        "a8c9101342d8dd07454b3e977e3f0afd28554f0f8e08c4f8d6e2650618eeafd4",
    ),
];

/// Designs whose buffers all hold at most 65,536 words have 16-bit addresses in the Verilog and the
/// very text they had before addresses grew to 20 bits (docs/TIMING.md, "Instructions"), file for
/// file: the goldens above and these hashes. A template change meant to change them updates the
/// table (TESSERA_BLESS=1 prints it): SYNC prev_stream did, for the double-buffered designs only
/// (`tpu_like`, `gemmini`, `edge_db`: the controller's bit 3 and the compute unit's
/// `prev_stream_busy`); `eyeriss_like` became row-stationary (a design of other modules, its
/// hash the row-stationary Verilog's).
#[test]
fn shallow_designs_keep_their_verilog_from_before_wide_addresses() {
    let designs = shallow_designs();
    let bless = std::env::var_os("TESSERA_BLESS").is_some_and(|v| v == "1");
    assert_eq!(designs.len(), BEFORE_WIDE_ADDRESSES.len());
    for (a, (name, hash)) in designs.iter().zip(BEFORE_WIDE_ADDRESSES) {
        for b in [a.input(), a.weight(), a.accumulator()] {
            assert!(b.depth() <= 1 << 16, "{}: {b:?}", a.name());
        }
        let d = emit(a).unwrap();
        if bless {
            println!("    (\"{}\", \"{}\"),", a.name(), d.content_hash());
            continue;
        }
        assert_eq!(a.name(), *name);
        assert_eq!(d.content_hash(), *hash, "{name}: its Verilog changed");
        assert!(!d.files[0].text.contains("buffer word addresses"), "{name}");
    }
    // 65,536 words in a bank: 16-bit addresses; one word more: 17 bits, and the header says so
    for (words, aw) in [(65_536, 16), (65_537, 17)] {
        let s = tessera_arch::ArchSpec::ws("edge", 2, 3, [words * 2, 3 * 64, 12 * 64], 1, 8, 9);
        let d = emit(&s.validate().unwrap()).unwrap();
        let top = &d
            .files
            .iter()
            .find(|f| f.name == "edge_top.v")
            .unwrap()
            .text;
        assert!(
            top.contains(&format!("    wire [{}:0]  f_addr_a;", aw - 1)),
            "{top}"
        );
        assert_eq!(
            top.contains(&format!("// buffer word addresses: {aw} bits")),
            aw > 16,
            "{top}"
        );
    }
}

/// `name` with LOADs of up to `p` words per cycle (docs/TIMING.md, "DMA unit and the DRAM port").
fn with_lanes(name: &str, p: i64, renamed: &str) -> tessera_arch::Arch {
    let mut s = builtin::arch_spec(name).unwrap();
    s.name = renamed.into();
    s.dram.words_per_cycle = Some(p);
    s.validate().unwrap()
}

/// One word per cycle, given or not, is today's design: the same text as without the option.
#[test]
fn one_word_per_cycle_emits_the_one_word_dma() {
    for (name, _) in builtin::ARCHS {
        let a = builtin::arch(name).unwrap();
        assert_eq!(
            emit(&with_lanes(name, 1, name)).unwrap(),
            emit(&a).unwrap(),
            "{name}"
        );
    }
}

/// Two words per cycle: the DRAM port's two request and word lanes, the DMA's per-lane gather
/// address generators and write-lane rotation, the input and weight banks each two interleaved
/// SRAMs, reviewed as text.
#[test]
fn ws_2x3_with_two_words_per_cycle_matches_golden() {
    let a = with_lanes("ws_2x3", 2, "ws_2x3_p2");
    let d = emit(&a).unwrap();
    let file = |suffix: &str| {
        &d.files
            .iter()
            .find(|f| f.name.ends_with(suffix))
            .unwrap()
            .text
    };
    assert!(file("_top.v").contains("output wire [1:0]    mem_rd_req_valid,"));
    assert!(file("_top.v").contains("u_in_bank_1_1 ("));
    assert!(file("_dma.v").contains("assign ld_lane[1] = "));
    assert!(d.files[0]
        .text
        .contains("latency 12 cycles, LOADs of up to 2 words per cycle\n"));
    check_golden_of(&a);
}

/// Sub-accelerators of a system move their own words per cycle (docs/TIMING.md, "Systems"): the
/// system port gets as many read lanes as the sub with the most (its words zero-extended from a
/// narrower sub's on the lanes it has), each sub's DMA gates its lanes by the grant, and a system
/// of one-word subs keeps its text (`system_matches_golden`).
#[test]
fn a_system_carries_each_subs_words_per_cycle() {
    let subs = small_system();
    let mut os = subs[1].spec().clone();
    os.name = "os_2x3_p2".into();
    os.dram.words_per_cycle = Some(2);
    let os = os.validate().unwrap();
    let d = emit_system("sys", &[subs[0].clone(), os.clone()]).unwrap();
    let file = |name: &str| &d.files.iter().find(|f| f.name == name).unwrap().text;
    let sys = file("sys_system.v");
    assert!(
        sys.contains("output wire [1:0]    mem_rd_req_valid,"),
        "{sys}"
    );
    assert!(sys.contains("input  wire [1:0]    mem_rd_valid,"), "{sys}");
    // lane 0 is both subs', lane 1 the two-lane sub's alone
    assert!(
        sys.contains("assign mem_rd_req_valid[0]  = s0_rd_req_valid[0] || s1_rd_req_valid[0];"),
        "{sys}"
    );
    assert!(
        sys.contains("assign mem_rd_req_valid[1]  = s1_rd_req_valid[1];"),
        "{sys}"
    );
    assert!(sys.contains("// sub-accelerator 1: os_2x3_p2, 2x3 output-stationary, LOADs of up to 2 words per cycle"), "{sys}");
    // the write beats keep one lane (both accumulators' words are wider than W)
    assert_eq!(os.store_lanes(), 1);
    assert!(sys.contains("output wire          mem_wr_valid,"), "{sys}");
    let dma = file("os_2x3_p2_dma.v");
    assert!(
        dma.contains("wire ld          = busy && !store_q && go;"),
        "{dma}"
    );
    assert!(dma.contains("input  wire          grant,"), "{dma}");
    // the single design of the same arch has no handshake
    let single = emit(&os).unwrap();
    let dma1 = &single
        .files
        .iter()
        .find(|f| f.name == "os_2x3_p2_dma.v")
        .unwrap()
        .text;
    assert!(!dma1.contains("grant"), "{dma1}");
}

/// Single-ported input and weight banks (`ports: OneReadWrite`): the design gains the one-port SRAM
/// module, a black box in synthesis, which every input and weight bank (each of its P SRAMs)
/// instantiates with one address, the write's when the DMA writes it; the accumulator keeps the
/// two-port SRAM; without the option the files are the ones they were (the goldens above).
#[test]
fn single_ported_banks_use_the_one_port_sram() {
    use tessera_arch::SramPorts;
    for (name, p) in [("ws_2x3", 1), ("os_2x3", 2), ("is_2x3", 1)] {
        let mut s = builtin::arch_spec(name)
            .unwrap()
            .with_operand_ports(SramPorts::OneReadWrite);
        s.dram.words_per_cycle = Some(p);
        let a = s.validate().unwrap();
        let d = emit(&a).unwrap();
        let names: Vec<&str> = d.files.iter().map(|f| f.name.as_str()).collect();
        assert!(
            names.contains(&format!("{name}_sram1rw.v").as_str()),
            "{names:?}"
        );
        assert_eq!(
            d.black_box_modules(),
            [format!("{name}_sram"), format!("{name}_sram1rw")]
        );
        let file = |n: &str| &d.files.iter().find(|f| f.name == n).unwrap().text;
        let top = file(&format!("{name}_top.v"));
        let srams = (a.input().banks() + a.weight().banks()) * a.dram().words_per_cycle();
        assert_eq!(
            top.matches(&format!("{name}_sram1rw #(")).count() as u32,
            srams,
            "{top}"
        );
        let acc = a.accumulator().banks() * a.store_lanes();
        assert_eq!(
            top.matches(&format!("{name}_sram #(")).count() as u32,
            acc,
            "{top}"
        );
        assert!(top.contains("one read-write port"));
        let sram = file(&format!("{name}_sram1rw.v"));
        assert!(sram.contains("$fatal") && sram.contains("`ifndef SYNTHESIS"));
        // only the input buffer single-ported: its banks alone
        let mut s = builtin::arch_spec(name).unwrap();
        s.buffers.input.ports = SramPorts::OneReadWrite;
        let top = emit(&s.validate().unwrap()).unwrap();
        let top = &top
            .files
            .iter()
            .find(|f| f.name == format!("{name}_top.v"))
            .unwrap()
            .text;
        assert!(top.contains(") u_in_bank_0 (") && top.contains("_sram1rw #("));
        assert!(!top
            .lines()
            .any(|l| l.contains("_sram1rw #(") && l.contains("u_w_bank")));
    }
}
