//! How well the first-order area model (`tessera_sim::area`) ranks designs the way Yosys does.
//!
//! What is compared: the model's compute-unit area ([`Area::compute_unit_um2`]: PE MACs, PE
//! registers, skew and deskew registers, write-back adders; SRAM and the buffers' read select
//! excluded) against the Yosys cell count of the generated
//! compute unit (`<name>_compute`: the PE array, the skew/deskew chains, the write-back adders and
//! the unit's small control), synthesised alone. The SRAM banks are not comparable (Yosys keeps them
//! as black boxes, one cell each), and the controller, DMA and instruction queue are outside the
//! model; both are left out of the comparison rather than counted on one side only.
//!
//! Designs: every weight- and output-stationary built-in accelerator but the 32×32 ones (their
//! compute units alone take about 15 s each to synthesise here, beyond this test's budget), the
//! 2×3 and 4×4 input-stationary ones (whose compute unit is the weight-stationary one with its
//! ports wired to the other buffers, so the larger ones would only repeat the weight-stationary
//! figures), 12 seeded random ones (rows and columns 2..=12, weight- and output-stationary), and
//! the interconnect options (`array.noc`) on ws_8x8 and is_4x4, and three row-stationary arrays
//! (3×4, 4×4 and 2×6 PEs with register files of 6, 16 and 32 operands). The figure is Spearman's rank correlation, printed with
//! `eprintln!`; the test holds it to at least 0.95.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tessera_arch::spec::BufferSpec;
use tessera_arch::{Arch, Dataflow, Noc, Reduce, Stream};
use tessera_core::stats::{ranks, spearman};
use tessera_sim::area::Area;

/// SplitMix64: deterministic design parameters without a dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// `n` random small designs: rows and columns 2..=12, alternating dataflows, two banks of 32 to 256
/// words in every buffer.
fn random_designs(n: usize, seed: u64) -> Vec<Arch> {
    let mut rng = SplitMix(seed);
    (0..n)
        .map(|i| {
            let (r, c) = (rng.range(2, 12) as i64, rng.range(2, 12) as i64);
            let depth = 32 << rng.range(0, 3);
            let dataflow = if i % 2 == 0 {
                Dataflow::WeightStationary
            } else {
                Dataflow::OutputStationary
            };
            let mut s = tessera_arch::builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_dataflow(dataflow);
            s.name = format!("rnd{i}_{}_{r}x{c}", dataflow.short());
            s.array.rows = r;
            s.array.cols = c;
            let buf = |word: i64| BufferSpec {
                capacity_bytes: word * depth * 2,
                banks: 2,
                ports: Default::default(),
            };
            s.buffers.input = buf(r);
            s.buffers.weight = buf(c);
            s.buffers.accumulator = buf(4 * c);
            s.validate().unwrap()
        })
        .collect()
}

/// `synth(design)` of every design on two workers (the machine's cores), in design order.
fn synth_each<T: Send>(designs: &[Arch], synth: impl Fn(&Arch) -> T + Sync) -> Vec<T> {
    let out: Mutex<Vec<Option<T>>> = Mutex::new(designs.iter().map(|_| None).collect());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(arch) = designs.get(i) else { break };
                let r = synth(arch);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .unwrap()
        .into_iter()
        .map(|c| c.expect("every design synthesised"))
        .collect()
}

#[test]
fn spearman_helper() {
    assert_eq!(ranks(&[3.0, 1.0, 2.0, 2.0]), vec![4.0, 1.0, 2.5, 2.5]);
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 90.0]) - 1.0).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

#[test]
fn area_model_ranks_designs_like_yosys() {
    let Some(tools) = common::tools(true) else {
        return;
    };
    let mut designs: Vec<Arch> = tessera_arch::builtin::ARCHS
        .iter()
        .filter(|(n, _)| !n.ends_with("32x32"))
        .filter(|(n, _)| !n.starts_with("is_") || ["is_2x3", "is_4x4"].contains(n))
        .map(|(n, _)| tessera_arch::builtin::arch(n).unwrap())
        .collect();
    let builtins = designs.len();
    designs.extend(random_designs(12, 0x7e55_e7a0));
    // the interconnect options (`array.noc`) on an 8x8 weight-stationary and a 4x4 input-stationary
    // array: broadcast rows drop PE and deskew registers, adder trees the skew and the chain's
    // adders; on an 8x8 output-stationary one, row and column buses drop both skews and the PEs'
    // operand registers
    let nocs = designs.len();
    for (base, stream, reduce) in [
        ("ws_8x8", Stream::Broadcast, Reduce::Chain),
        ("ws_8x8", Stream::Systolic, Reduce::AdderTree),
        ("ws_8x8", Stream::Broadcast, Reduce::AdderTree),
        ("is_4x4", Stream::Broadcast, Reduce::AdderTree),
        ("os_8x8", Stream::Broadcast, Reduce::Chain),
    ] {
        let mut s = tessera_arch::builtin::arch_spec(base)
            .unwrap()
            .with_noc(Noc { stream, reduce });
        s.name = format!("{base}_{stream:?}_{reduce:?}").to_lowercase();
        designs.push(s.validate().unwrap());
    }

    // row-stationary arrays (register files of F operands per PE), on the same buffers' shape
    let rs = designs.len();
    for (r, c, f) in [(3, 4, 6), (4, 4, 16), (2, 6, 32)] {
        let w = r + c - 1;
        let s = tessera_arch::spec::ArchSpec::ws(
            &format!("rs_{r}x{c}_f{f}"),
            r,
            c,
            [w * 2 * 32, r * 2 * 32, 4 * c * 2 * 32],
            2,
            8,
            3,
        )
        .row_stationary(f);
        designs.push(s.validate().unwrap());
    }

    let cells = synth_each(&designs, |arch| {
        let mut design = tessera_rtl_gen::emit(arch).unwrap();
        design.top = format!("{}_compute", arch.name());
        let r = tessera_verif::synth(&design, &tools).unwrap_or_else(|e| panic!("{e}"));
        r.cells as f64
    });
    let model: Vec<f64> = designs
        .iter()
        .map(|a| Area::of(a).compute_unit_um2())
        .collect();
    for ((a, m), c) in designs.iter().zip(&model).zip(&cells) {
        eprintln!(
            "{:<16} model compute unit {:>12.0} um2  yosys compute cells {:>8}",
            a.name(),
            m,
            c
        );
    }
    let all = spearman(&model, &cells);
    let b = spearman(&model[..builtins], &cells[..builtins]);
    let r = spearman(&model[builtins..nocs], &cells[builtins..nocs]);
    eprintln!(
        "Spearman(model compute-unit area, Yosys compute-unit cells): {all:.4} over {} designs \
         ({b:.4} over {builtins} built-ins, {r:.4} over {} random, {} with other interconnects, \
         {} row-stationary)",
        designs.len(),
        nocs - builtins,
        rs - nocs,
        designs.len() - rs
    );
    // on one array, the interconnects in the same order by both: the default, then the options
    let ws8 = designs.iter().position(|a| a.name() == "ws_8x8").unwrap();
    let order = |v: &[f64]| {
        let mut i: Vec<usize> = std::iter::once(ws8).chain(nocs..nocs + 3).collect();
        i.sort_by(|&x, &y| v[x].total_cmp(&v[y]));
        i
    };
    eprintln!(
        "ws_8x8 interconnects by model area {:?}, by Yosys cells {:?}",
        order(&model),
        order(&cells)
    );
    assert!(all >= 0.95, "rank correlation {all:.4} < 0.95");
    // output-stationary buses cost less than the systolic array, by both
    let os8 = designs.iter().position(|a| a.name() == "os_8x8").unwrap();
    let os8b = designs
        .iter()
        .position(|a| a.name() == "os_8x8_broadcast_chain")
        .unwrap();
    eprintln!(
        "os_8x8: model compute unit {:.0} -> {:.0} um2 with buses, Yosys compute cells {} -> {}",
        model[os8], model[os8b], cells[os8], cells[os8b]
    );
    assert!(model[os8b] < model[os8] && cells[os8b] < cells[os8]);
}

/// The buffers' read select (`tessera_sim::area::read_select_gates`, AND-OR trees over banks and
/// DMA lanes) against the Yosys cells of the generated top module synthesised alone
/// ([`tessera_verif::synth::synth_alone`]; its own cells: the read select, the bank hit logic and
/// the hit registers; the SRAMs, compute unit, DMA, controller and queue are black boxes):
/// ws_4x4 with W = 32 B/cycle, 1, 2 or 4 banks per buffer and 1, 2 or 4 words per cycle (two store
/// lanes from P = 2 on). The figure is Spearman's rank
/// correlation, held to at least 0.95.
#[test]
fn read_select_ranks_like_the_top_modules_cells() {
    let Some(tools) = common::tools(true) else {
        return;
    };
    let mut designs = vec![];
    for p in [1, 2, 4] {
        for banks in [1, 2, 4] {
            let mut s = tessera_arch::builtin::arch_spec("ws_4x4").unwrap();
            s.name = format!("sel_p{p}_b{banks}");
            s.dram.bytes_per_cycle = 32;
            s.dram.words_per_cycle = Some(p);
            for b in [
                &mut s.buffers.input,
                &mut s.buffers.weight,
                &mut s.buffers.accumulator,
            ] {
                b.banks = banks;
            }
            designs.push(s.validate().unwrap());
        }
    }
    let reports = synth_each(&designs, |arch| {
        let design = tessera_rtl_gen::emit(arch).unwrap();
        let r = tessera_verif::synth::synth_alone(&design, &tools, &design.top)
            .unwrap_or_else(|e| panic!("{e}"));
        let own = r.own_cells.get(&design.top).copied();
        let and = r.cells_by_type.get("$_AND_").copied().unwrap_or(0);
        (own.expect("the top module's own cells"), and)
    });
    // Yosys maps each `hit ? word : 0` bit to one AND gate: the model's AND count is all of them,
    // and the top module's other logic (the hit compares) adds only a few percent more
    for (a, &(_, and)) in designs.iter().zip(&reports) {
        let model = tessera_sim::area::read_select_and_or(a).0;
        eprintln!(
            "{:<12} model AND gates {model:>6}  yosys $_AND_ {and:>6}",
            a.name()
        );
        assert!(
            model <= and && and * 100 <= model * 105,
            "{}: {and} AND cells, the model counts {model}",
            a.name()
        );
    }
    let cells: Vec<f64> = reports.iter().map(|r| r.0 as f64).collect();
    let model: Vec<f64> = designs
        .iter()
        .map(|a| tessera_sim::area::read_select_gates(a) as f64)
        .collect();
    for ((a, m), c) in designs.iter().zip(&model).zip(&cells) {
        eprintln!(
            "{:<12} model read-select gates {m:>6}  yosys top-module cells {c:>6}",
            a.name()
        );
    }
    let r = spearman(&model, &cells);
    eprintln!(
        "Spearman(read-select gates, Yosys top-module cells): {r:.4} over {} designs",
        designs.len()
    );
    assert!(r >= 0.95, "rank correlation {r:.4} < 0.95");
}
