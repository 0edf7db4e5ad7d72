//! Layers lowered onto row-stationary arrays (mapping/src/rs.rs): both engines agree and equal the
//! reference, and the analytical model's counters and cycles equal the simulator's — on fixed
//! convolutions (strides, dilation, padding, groups, kernels taller than a block), a GEMM, and
//! random small arrays and convolutions; and the mapper maps a small real network.

use proptest::prelude::*;
use tessera_arch::{Arch, ArchSpec};
use tessera_mapping::rs::RsGeom;
use tessera_mapping::{Keep, Mapping, Problem};
use tessera_sim::{estimate, run_layer, Engine, SimOptions};
use tessera_workloads::{Conv2d, Gemm, Layer, MatMul};

/// An `r × c` row-stationary array whose PEs hold `f` operands, one bank per buffer of `words`
/// words each.
fn rs_arch(r: i64, c: i64, f: i64, words: i64, bpc: i64, lat: i64) -> Arch {
    rs_arch_banks(r, c, f, words, 1, bpc, lat)
}

/// [`rs_arch`] with `banks` banks per buffer (two: double-buffered loads and stores).
fn rs_arch_banks(r: i64, c: i64, f: i64, words: i64, banks: i64, bpc: i64, lat: i64) -> Arch {
    ArchSpec::ws(
        "rs_layers",
        r,
        c,
        [(r + c - 1) * words, r * words, 4 * c * words],
        banks,
        bpc,
        lat,
    )
    .row_stationary(f)
    .validate()
    .unwrap()
}

#[allow(clippy::too_many_arguments)]
fn conv(
    batch: u32,
    c: u32,
    h: u32,
    w: u32,
    o: u32,
    k: [u32; 2],
    s: [u32; 2],
    d: [u32; 2],
    p: [u32; 2],
    groups: u32,
) -> Option<Conv2d> {
    let out_h = Conv2d::out_size(h, 2 * p[0], k[0], s[0], d[0])?;
    let out_w = Conv2d::out_size(w, 2 * p[1], k[1], s[1], d[1])?;
    Some(Conv2d {
        name: "c".into(),
        batch,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: o,
        kernel: k,
        stride: s,
        dilation: d,
        pad_begin: p,
        pad_end: p,
        groups,
        out_h,
        out_w,
    })
}

/// Both engines, the reference and the estimate on one layer; the cycles.
fn check(arch: &Arch, layer: &Layer, m: &Mapping, seed: u64) -> Result<u64, TestCaseError> {
    let run = |engine| {
        run_layer(
            layer,
            arch,
            m,
            seed,
            &SimOptions {
                engine,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{engine:?} {m:?}: {e}"))
    };
    let (ev, st) = (run(Engine::Event), run(Engine::Stepped));
    prop_assert!(
        ev.matches_reference,
        "event engine output differs from the reference ({m:?})"
    );
    prop_assert!(
        st.matches_reference,
        "stepped engine output differs from the reference"
    );
    prop_assert_eq!(ev.report.cycles, st.report.cycles);
    prop_assert_eq!(ev.report.counters, st.report.counters);
    prop_assert_eq!(ev.report.breakdown, st.report.breakdown);
    let est = estimate(&Problem::new(layer, arch).unwrap(), arch, m).unwrap();
    prop_assert_eq!(est.counters, st.report.counters, "analytical counters");
    // every pass captures its E outputs, and the energy, priced from these exact counters, is
    // the same in the three
    let outputs: u64 = ev
        .lowered
        .program
        .instrs
        .iter()
        .map(|i| match i {
            tessera_arch::isa::Instr::ComputeRs { len, .. } => u64::from(*len),
            _ => 0,
        })
        .sum();
    prop_assert_eq!(st.report.counters.captures, outputs);
    prop_assert_eq!(est.energy, st.report.energy, "analytical energy");
    prop_assert_eq!(ev.report.energy, st.report.energy);
    prop_assert_eq!(est.cycles, st.report.cycles, "analytical cycles");
    prop_assert_eq!(est.breakdown, st.report.breakdown);
    let sum = ev.lowered.schedule.summary().unwrap();
    prop_assert_eq!(sum.program_len, ev.lowered.program.instrs.len() as u64);
    Ok(st.report.cycles.get())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

/// The layer's row-stationary mapping space on `arch`.
fn space(arch: &Arch, layer: &Layer) -> Vec<Mapping> {
    let p = Problem::new(layer, arch).unwrap();
    RsGeom::of(&p, arch).space(arch)
}

fn cases_of(arch: &Arch, layer: &Layer, what: &str) {
    let what = format!("{what} ({} bank(s))", arch.input().banks());
    let sp = space(arch, layer);
    assert!(!sp.is_empty(), "{what}: no mapping");
    // the fullest mapping and the smallest
    for m in [sp[sp.len() - 1], sp[0]] {
        let cycles = check(arch, layer, &m, 7).unwrap_or_else(|e| panic!("{what} {m:?}: {e}"));
        println!("{what}: {m:?}: {cycles} cycles");
    }
}

#[test]
fn convolutions_and_a_gemm_equal_the_reference_and_the_estimate() {
    for banks in [1, 2] {
        convolutions_on(&rs_arch_banks(4, 3, 12, 256, banks, 8, 5));
    }
}

fn convolutions_on(a: &Arch) {
    let l = |c: Option<Conv2d>| Layer::Conv2d(c.unwrap());
    for (what, layer) in [
        (
            "3x3 s1 p1",
            l(conv(1, 3, 7, 6, 5, [3, 3], [1, 1], [1, 1], [1, 1], 1)),
        ),
        (
            "3x3 s2 p1",
            l(conv(2, 2, 9, 8, 3, [3, 3], [2, 2], [1, 1], [1, 1], 1)),
        ),
        (
            "3x3 d2",
            l(conv(1, 2, 9, 9, 2, [3, 3], [1, 1], [2, 2], [0, 0], 1)),
        ),
        (
            "3x2 s2 d3",
            l(conv(1, 2, 11, 9, 2, [3, 2], [2, 1], [3, 1], [1, 0], 1)),
        ),
        (
            "groups",
            l(conv(1, 4, 6, 5, 6, [3, 3], [1, 1], [1, 1], [1, 1], 2)),
        ),
        (
            "7x7: rows split",
            l(conv(1, 1, 10, 10, 2, [7, 1], [1, 1], [1, 1], [3, 0], 1)),
        ),
        (
            "5x3 s2 many channels",
            l(conv(1, 9, 9, 7, 3, [5, 3], [2, 1], [1, 1], [2, 1], 1)),
        ),
        ("gemm", Layer::Gemm(Gemm::new("g", 11, 7, 5))),
        (
            "batched matmul",
            Layer::MatMul(MatMul {
                name: "mm".into(),
                batch: 3,
                m: 5,
                k: 6,
                n: 4,
            }),
        ),
    ] {
        cases_of(a, &layer, what);
    }
}

#[test]
fn a_kernel_row_past_the_register_file_is_refused() {
    let a = rs_arch(4, 3, 2, 256, 8, 5);
    let layer = Layer::Conv2d(conv(1, 1, 6, 6, 1, [1, 3], [1, 1], [1, 1], [0, 0], 1).unwrap());
    let p = Problem::new(&layer, &a).unwrap();
    let m = Mapping {
        tile_m: 1,
        tile_k: 1,
        tile_n: 1,
        keep: Keep::Tiles,
    };
    let e = RsGeom::of(&p, &a).check(&m, &a).unwrap_err();
    assert!(e.message.contains("register file"), "{}", e.message);
    assert!(space(&a, &layer).is_empty());
}

proptest! {
    // 24 cases by default; PROPTEST_CASES=300 for a longer local run.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    /// Random small RS arrays and convolutions: engines agree, outputs equal the reference, the
    /// estimate equals the simulation.
    #[test]
    fn random_convolutions_on_random_rs_arrays(
        r in 1i64..6, c in 1i64..5, f in 3i64..20, bpc in 1i64..9, lat in 1i64..12,
        batch in 1u32..3, cg in 1u32..4, h in 1u32..9, w in 1u32..8, o in 1u32..4,
        kh in 1u32..5, kw in 1u32..4, s in (1u32..3, 1u32..3), d in (1u32..3, 1u32..3),
        p in (0u32..2, 0u32..2), groups in 1u32..3, pick in 0usize..1000, seed: u64,
        banks in 1i64..3,
    ) {
        let arch = rs_arch_banks(r, c, f, 128, banks, bpc, lat);
        let Some(cv) = conv(batch, cg * groups, h, w, o * groups, [kh, kw], [s.0, s.1], [d.0, d.1], [p.0, p.1], groups)
            else { return Ok(()) };
        let layer = Layer::Conv2d(cv);
        let sp = space(&arch, &layer);
        prop_assume!(!sp.is_empty());
        let cycles = check(&arch, &layer, &sp[pick % sp.len()], seed)?;
        prop_assert!(cycles > 0);
    }
}

/// The Eyeriss template: a 12×14 row-stationary array with 224-operand register files.
fn eyeriss_rs() -> Arch {
    tessera_arch::builtin::arch("eyeriss_like").unwrap()
}

/// The mapper maps every layer of `mlp_small` and the first layers of ResNet-18 onto the
/// Eyeriss-like array; each chosen mapping's estimate is its own, and the smaller layers run.
#[test]
fn the_mapper_maps_a_small_network_onto_an_eyeriss_like_array() {
    let arch = eyeriss_rs();
    let mlp = tessera_workloads::builtin::workload("mlp_small").unwrap();
    let resnet = tessera_workloads::builtin::workload("resnet18").unwrap();
    let layers: Vec<&Layer> = mlp
        .layers
        .iter()
        .chain(resnet.layers.iter().take(3))
        .collect();
    for layer in layers {
        let p = Problem::new(layer, &arch).unwrap();
        let b = tessera_sim::mapper::best_mapping(&p, &arch, tessera_mapping::Objective::Latency)
            .unwrap_or_else(|e| panic!("{}: {e}", layer.name()));
        let est = estimate(&p, &arch, &b.mapping).unwrap();
        assert_eq!(est.cycles, b.estimate.cycles);
        // the branch and bound's bound holds on every candidate, so the search is exhaustive
        for m in space(&arch, layer) {
            let bound = tessera_sim::mapper::lower_bound(&p, &arch, &m).unwrap().0;
            let cycles = estimate(&p, &arch, &m).unwrap().cycles.get();
            assert!(
                bound <= cycles,
                "{}: {m:?}: bound {bound} > {cycles}",
                layer.name()
            );
            assert!(
                cycles >= est.cycles.get(),
                "{}: {m:?} beats the mapper's",
                layer.name()
            );
        }
        println!(
            "{}: {:?} of {} candidates: {} cycles, utilization {:.3}",
            layer.name(),
            b.mapping,
            b.candidates,
            est.cycles.get(),
            est.utilization
        );
        if layer.macs() <= 120_000_000 {
            let cycles = check(&arch, layer, &b.mapping, 3).unwrap();
            assert_eq!(cycles, est.cycles.get());
        }
    }
}

/// A user's tiles on a row-stationary array (`tile_m = E`, `tile_k = q`, `tile_n = B`): kept as
/// given, cut to the layer when larger, the free ones from the mapper; a given tile no pass fits
/// is an error that names it.
#[test]
fn given_tiles_are_kept_cut_or_refused() {
    let arch = rs_arch(4, 3, 12, 256, 8, 5);
    let layer = Layer::Conv2d(conv(1, 3, 7, 6, 5, [3, 3], [1, 1], [1, 1], [1, 1], 1).unwrap());
    let p = Problem::new(&layer, &arch).unwrap();
    let spec = |m: Option<i64>, k: Option<i64>, n: Option<i64>| tessera_mapping::MappingSpec {
        tile_m: m,
        tile_k: k,
        tile_n: n,
        ..Default::default()
    };
    let map = |s| tessera_sim::mapper::map_layer(&p, &arch, &s);
    let m = map(spec(Some(2), Some(100), None)).unwrap();
    assert_eq!((m.tile_m, m.tile_k), (2, 3));
    let m = map(spec(Some(3), Some(2), Some(1))).unwrap();
    assert_eq!((m.tile_m, m.tile_k, m.tile_n), (3, 2, 1));
    check(&arch, &layer, &m, 1).unwrap();
    // 3 filters of 3 kernel rows need 9 array rows
    let e = map(spec(None, None, Some(3))).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("mapping.tile_n"), "{}", e.message);
}
