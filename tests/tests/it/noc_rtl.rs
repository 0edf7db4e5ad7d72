//! RTL ≡ cycle simulator for the interconnect options (docs/TIMING.md, "Interconnect options of the
//! weight- and input-stationary arrays" and "… of the output-stationary array"): row broadcast
//! buses and column adder trees, each combination with the default, on the weight- and
//! input-stationary dataflows, and row and column buses on the output-stationary one; arrays with
//! one row (a tree of no level), odd row counts (a tree whose levels pass a register through) and
//! even ones, 32- and 16-bit accumulators (K = 300 overflows 16 bits, so the tree's and the
//! output-stationary sums' wrap-around is exercised), GEMMs and a padded strided convolution.
//! Outputs bit-exact (and equal to the reference executor's), cycles equal to the event engine's
//! (which follows the contract's busy lengths: `X + len`, and `len + F + R` output-stationary),
//! event traces equal, lint clean. Each option with double-buffered stationary operands too
//! (docs/TIMING.md, "double-buffered weights"), whose tiles overlap in the array.
//!
//! Verilator builds dominate the run time: every design runs all workloads as the layers of one
//! verify (one build), and the sizes are spread over the combinations instead of crossed with them.

use tessera_arch::{Arch, ArchSpec, Dataflow, Noc, Reduce, Stream};
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::{verify, VerifyOptions};
use tessera_workloads::{Conv2d, Gemm, Layer, Workload};

const NOCS: [(Stream, Reduce, &str); 4] = [
    (Stream::Systolic, Reduce::Chain, "sc"),
    (Stream::Broadcast, Reduce::Chain, "bc"),
    (Stream::Systolic, Reduce::AdderTree, "st"),
    (Stream::Broadcast, Reduce::AdderTree, "bt"),
];

const SIZES: [(i64, i64); 5] = [(1, 1), (2, 3), (3, 5), (4, 4), (5, 2)];

/// An `rows`×`cols` array of dataflow `df` with interconnect `noc` and `ab`-bit accumulators; the
/// buffers as the built-in 2×3 array's per row and column (256 streamed words, 128 preloaded ones,
/// 256 accumulator words, two banks each).
fn arch(df: Dataflow, (rows, cols): (i64, i64), noc: Noc, tag: &str, ab: i64) -> Arch {
    let name = format!("{}_{rows}x{cols}_{tag}_a{ab}", df.short());
    let mut s = ArchSpec::ws(
        &name,
        rows,
        cols,
        [rows * 256, cols * 128, 4 * cols * 256],
        2,
        4,
        12,
    )
    .with_dataflow(df)
    .with_noc(noc)
    .with_accumulator_bits(ab);
    if df == Dataflow::InputStationary {
        std::mem::swap(&mut s.buffers.input, &mut s.buffers.weight);
    }
    s.buffers.accumulator.capacity_bytes = s.buffers.accumulator.capacity_bytes / 32 * ab;
    s.validate().unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A convolution with a square kernel, stride, dilation and padding on both sides.
#[allow(clippy::too_many_arguments)]
fn conv(name: &str, c: u32, h: u32, w: u32, o: u32, k: u32, s: u32, p: u32) -> Layer {
    let out = |x: u32| Conv2d::out_size(x, 2 * p, k, s, 1).unwrap();
    Layer::Conv2d(Conv2d {
        name: name.into(),
        batch: 1,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: o,
        kernel: [k, k],
        stride: [s, s],
        dilation: [1, 1],
        pad_begin: [p, p],
        pad_end: [p, p],
        groups: 1,
        out_h: out(h),
        out_w: out(w),
    })
}

/// GEMMs that are multiples of nothing (one with K = 300, whose int8 sums overflow 16 bits) and a
/// padded strided convolution: the layers of one verify.
fn workload() -> Workload {
    Workload::of_layers(
        "noc",
        vec![
            Layer::Gemm(Gemm::new("g", 19, 23, 11)),
            Layer::Gemm(Gemm::new("wrap", 9, 300, 7)),
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1),
        ],
    )
}

fn check(arch: &Arch, w: &Workload) {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let o = VerifyOptions {
        engine: Engine::Event,
        seed: 11,
        trace: true,
        ..VerifyOptions::default()
    };
    let start = std::time::Instant::now();
    let r = verify(arch, w, &o, &tools).unwrap_or_else(|e| panic!("{}: {e}", arch.name()));
    assert!(r.lint_clean, "{}: {}", arch.name(), r.lint);
    for l in &r.layers {
        assert!(
            l.bit_exact && l.matches_reference,
            "{} {}: outputs differ: {l:?}",
            arch.name(),
            l.layer
        );
        assert_eq!(
            l.sim_cycles,
            l.rtl_cycles,
            "{} {}: cycles differ: {l:?}",
            arch.name(),
            l.layer
        );
        assert_eq!(
            l.first_divergence,
            None,
            "{} {}: traces differ",
            arch.name(),
            l.layer
        );
    }
    assert!(r.passed, "{r:?}");
    println!(
        "{}: {} cycles, {:.1} s",
        arch.name(),
        r.rtl_cycles,
        start.elapsed().as_secs_f64()
    );
}

/// The designs: every interconnect × dataflow, the sizes spread over them so that the trees meet
/// one row (no level), three and five rows (a register passed through) and four (a full tree),
/// each option both accumulator widths; the output-stationary buses at one PE, a wide, a tall and
/// a square array. `(stream, reduce, tag, dataflow, size, accumulator bits)`; the part splits them
/// over two tests that run in parallel (two Verilator builds at a time).
#[allow(clippy::type_complexity)]
const DESIGNS: [(Stream, Reduce, &str, Dataflow, (i64, i64), i64); 14] = {
    use Dataflow::{InputStationary as IS, OutputStationary as OS, WeightStationary as WS};
    use Reduce::{AdderTree as Tree, Chain};
    use Stream::{Broadcast, Systolic};
    [
        (Systolic, Chain, "sc", WS, (4, 4), 16),
        (Systolic, Chain, "sc", IS, (3, 5), 32),
        (Broadcast, Chain, "bc", WS, (5, 2), 32),
        (Broadcast, Chain, "bc", IS, (2, 3), 16),
        (Systolic, Tree, "st", WS, (3, 5), 16),
        (Systolic, Tree, "st", IS, (5, 2), 32),
        (Broadcast, Tree, "bt", WS, (5, 2), 16),
        (Broadcast, Tree, "bt", IS, (3, 5), 32),
        (Broadcast, Tree, "bt", IS, (1, 1), 16),
        (Systolic, Tree, "st", WS, (4, 4), 32),
        (Broadcast, Chain, "bc", OS, (2, 3), 32),
        (Broadcast, Chain, "bc", OS, (5, 2), 16),
        (Broadcast, Chain, "bc", OS, (1, 1), 32),
        (Broadcast, Chain, "bc", OS, (4, 4), 16),
    ]
};

fn matrix(part: usize) {
    let w = workload();
    for (i, (stream, reduce, tag, df, size, ab)) in DESIGNS.into_iter().enumerate() {
        if i % 2 == part {
            check(&arch(df, size, Noc { stream, reduce }, tag, ab), &w);
        }
    }
}

#[test]
fn interconnects_verify_part_a() {
    matrix(0);
}

#[test]
fn interconnects_verify_part_b() {
    matrix(1);
}

/// Double-buffered stationary operands with each interconnect option (docs/TIMING.md, "double-
/// buffered weights"): a broadcast, an adder tree and both, on the weight- and input-stationary
/// dataflows, with a GEMM, the K = 300 GEMM (16-bit sums wrap) and a padded strided convolution;
/// tiles overlap in the array, and the RTL must be bit-exact and cycle-equal to the simulator
/// with identical traces. `(stream, reduce, tag, dataflow, size, accumulator bits)`.
#[allow(clippy::type_complexity)]
const DB_DESIGNS: [(Stream, Reduce, &str, Dataflow, (i64, i64), i64); 6] = {
    use Dataflow::{InputStationary as IS, WeightStationary as WS};
    use Reduce::{AdderTree as Tree, Chain};
    use Stream::{Broadcast, Systolic};
    [
        (Broadcast, Chain, "bc", WS, (3, 5), 32),
        (Broadcast, Chain, "bc", IS, (4, 4), 16),
        (Systolic, Tree, "st", WS, (5, 2), 32),
        (Systolic, Tree, "st", IS, (2, 3), 32),
        (Broadcast, Tree, "bt", WS, (4, 4), 16),
        (Broadcast, Tree, "bt", IS, (3, 5), 32),
    ]
};

fn db_matrix(part: usize) {
    let w = workload();
    for (i, (stream, reduce, tag, df, size, ab)) in DB_DESIGNS.into_iter().enumerate() {
        if i % 2 == part {
            let a = arch(df, size, Noc { stream, reduce }, &format!("{tag}db"), ab);
            let mut s = a.spec().clone().with_weight_double_buffer(true);
            s.name = a.name().to_string();
            let a = s.validate().unwrap();
            assert!(a.weight_double_buffered());
            check(&a, &w);
        }
    }
}

#[test]
fn double_buffered_interconnects_verify_part_a() {
    db_matrix(0);
}

#[test]
fn double_buffered_interconnects_verify_part_b() {
    db_matrix(1);
}

/// Every interconnect meets every size and both dataflows and widths somewhere in the designs; the
/// output-stationary buses meet every size and both widths.
#[test]
fn the_designs_cover_the_options() {
    for (stream, reduce, _) in NOCS {
        for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
            assert!(DESIGNS
                .iter()
                .any(|d| (d.0, d.1, d.3) == (stream, reduce, df)));
        }
        for ab in [16, 32] {
            assert!(DESIGNS
                .iter()
                .any(|d| (d.0, d.1, d.5) == (stream, reduce, ab)));
        }
    }
    for size in SIZES {
        assert!(DESIGNS
            .iter()
            .any(|d| d.4 == size && d.3 != Dataflow::OutputStationary));
    }
    let os_bus = |d: &&(Stream, Reduce, &str, Dataflow, (i64, i64), i64)| {
        (d.0, d.1, d.3) == (Stream::Broadcast, Reduce::Chain, Dataflow::OutputStationary)
    };
    for ab in [16, 32] {
        assert!(DESIGNS.iter().filter(os_bus).any(|d| d.5 == ab));
    }
    for size in [(1, 1), (2, 3), (5, 2), (4, 4)] {
        assert!(DESIGNS.iter().filter(os_bus).any(|d| d.4 == size));
    }
    // double-buffered: every option but the default (tested in rtl_vs_sim.rs) on both dataflows
    for (stream, reduce, _) in &NOCS[1..] {
        for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
            assert!(DB_DESIGNS
                .iter()
                .any(|d| (d.0, d.1, d.3) == (*stream, *reduce, df)));
        }
    }
    for reduce_rows in [1, 3, 4, 5] {
        assert!(DESIGNS
            .iter()
            .any(|d| d.1 == Reduce::AdderTree && d.4 .0 == reduce_rows));
    }
}

/// The row latencies X the tests above hold the RTL to (through the event engine's busy length
/// `X + len`), for each option on a 5×2 array (D = 3), as docs/TIMING.md states them.
#[test]
fn row_latency_of_each_option() {
    let x = |stream, reduce| {
        tessera_sim::contract::Contract::row_latency(&arch(
            Dataflow::WeightStationary,
            (5, 2),
            Noc { stream, reduce },
            "x",
            32,
        ))
    };
    assert_eq!(x(Stream::Systolic, Reduce::Chain), 2 * 5 + 2);
    assert_eq!(x(Stream::Broadcast, Reduce::Chain), 2 * 5 + 1);
    assert_eq!(x(Stream::Systolic, Reduce::AdderTree), 5 + 2 + 3 + 1);
    assert_eq!(x(Stream::Broadcast, Reduce::AdderTree), 5 + 2 + 3);
}

/// The output-stationary busy lengths the tests above hold the RTL to (through the event engine),
/// on a 5×2 array, as docs/TIMING.md states them: `len + F + R` with `F = R + C - 1` systolic and
/// `F = 1` with row and column buses.
#[test]
fn output_stationary_busy_of_each_option() {
    let busy = |stream| {
        tessera_sim::contract::Contract::default().compute_busy(
            &arch(
                Dataflow::OutputStationary,
                (5, 2),
                Noc {
                    stream,
                    reduce: Reduce::Chain,
                },
                "x",
                32,
            ),
            7,
        )
    };
    assert_eq!(busy(Stream::Systolic), 7 + 2 * 5 + 2 - 1);
    assert_eq!(busy(Stream::Broadcast), 7 + 5 + 1);
}

/// The K = 300 GEMM's int8 sums (seeded as `check` seeds layer 1) overflow 16 bits, so the 16-bit
/// designs wrap in their trees and chains.
#[test]
fn the_wrap_layer_overflows_16_bits() {
    let w = workload();
    let seed = tessera_sim::workload::layer_seed(11, 1);
    let ops = tessera_workloads::data::Operands::seeded(&w.layers[1], seed);
    let exact = tessera_workloads::exec::run(&w.layers[1], &ops);
    assert!(exact.iter().any(|v| i16::try_from(*v).is_err()));
}
