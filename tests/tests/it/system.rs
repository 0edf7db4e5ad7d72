//! Systems of sub-accelerators sharing one DRAM channel (docs/TIMING.md, "Systems"), RTL ≡ cycle
//! simulator: the system's Verilog (every sub-accelerator, the arbiter, the system top) under
//! Verilator and the simulator run the same programs on one DRAM image; every sub-accelerator's
//! cycles must be equal, every region bit-exact and holding the reference outputs, the lint clean.
//! The cases are built to contend (narrow channels), mix the dataflows, double-buffered weights,
//! gathered convolutions, the same accelerator twice, their own words per cycle and transfer slots,
//! plus random small systems.

use tessera_arch::spec::DramSpec;
use tessera_arch::{builtin, ArchSpec, Dataflow};
use tessera_mapping::MappingSpec;
use tessera_sim::system::{simulate_system_report, System};
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::verify_system;
use tessera_workloads::data::SplitMix64;
use tessera_workloads::{Conv2d, Gemm, Layer, Workload};

fn gemm(name: &str, m: u32, k: u32, n: u32) -> Workload {
    Workload::of_layers(name, vec![Layer::Gemm(Gemm::new("g", m, k, n))])
}

/// A padded, strided convolution (its input gathered by the DMA) then a linear layer.
fn conv_net() -> Workload {
    Workload::of_layers(
        "convnet",
        vec![
            Layer::Conv2d(Conv2d {
                name: "c".into(),
                batch: 1,
                in_channels: 3,
                in_h: 7,
                in_w: 7,
                out_channels: 5,
                kernel: [3, 3],
                stride: [2, 2],
                dilation: [1, 1],
                pad_begin: [1, 1],
                pad_end: [1, 1],
                groups: 1,
                out_h: 4,
                out_w: 4,
            }),
            Layer::Gemm(Gemm::new("fc", 3, 20, 6)),
        ],
    )
}

fn spec(name: &str) -> ArchSpec {
    builtin::arch_spec(name).unwrap()
}

/// Verify `subs` sharing a channel of `bpc` B/cycle and latency `lat`; returns each one's
/// contention in the cycle simulator.
fn check(name: &str, bpc: i64, lat: i64, subs: Vec<(ArchSpec, Vec<Workload>)>) -> Vec<u64> {
    check_dram(name, Some(&dram(bpc, lat, 1)), subs)
}

fn dram(bpc: i64, lat: i64, words_per_cycle: i64) -> DramSpec {
    DramSpec {
        bytes_per_cycle: bpc,
        latency_cycles: lat,
        outstanding_transfers: None,
        words_per_cycle: Some(words_per_cycle),
    }
}

/// [`check`] with the system's `dram` (`None`: every sub's own, with its own words per cycle).
fn check_dram(
    name: &str,
    dram: Option<&DramSpec>,
    subs: Vec<(ArchSpec, Vec<Workload>)>,
) -> Vec<u64> {
    let sys = System::new(name, dram, subs).unwrap();
    let spec = MappingSpec::default();
    let report = simulate_system_report(&sys, &spec, Engine::Stepped, 5).unwrap();
    assert!(report.matches_reference, "{name}: simulator outputs");
    let Some(tools) = tools_for_tests(false) else {
        return vec![];
    };
    let v = verify_system(&sys, &spec, 5, &tools).unwrap();
    assert!(v.lint_clean, "{name}: {}", v.lint);
    assert!(v.rtl_error.is_none(), "{name}: {:?}", v.rtl_error);
    assert_eq!(v.rtl_cycles, v.sim_cycles, "{name}: cycles");
    assert_eq!(
        v.sim_cycles,
        report.subs.iter().map(|s| s.cycles).collect::<Vec<_>>(),
        "{name}: the stepped and event engines"
    );
    assert!(v.bit_exact && v.matches_reference, "{name}: outputs");
    assert!(v.passed);
    report.subs.iter().map(|s| s.contention_cycles).collect()
}

#[test]
fn two_sub_accelerators_on_a_narrow_channel_verify() {
    let c = check(
        "duo",
        2,
        20,
        vec![
            (spec("ws_4x4"), vec![gemm("a", 12, 40, 10)]),
            (spec("os_4x4"), vec![gemm("b", 9, 36, 11)]),
        ],
    );
    if !c.is_empty() {
        assert!(c.iter().all(|&x| x > 0), "both contend: {c:?}");
    }
}

#[test]
fn three_mixed_sub_accelerators_verify() {
    let db = spec("ws_4x4").with_weight_double_buffer(true);
    let mut db = db;
    db.name = "ws_4x4_db".into();
    check(
        "trio",
        4,
        12,
        vec![
            (spec("is_4x4"), vec![conv_net()]),
            (db, vec![gemm("a", 10, 24, 9), gemm("b", 5, 9, 3)]),
            (spec("os_2x3"), vec![conv_net()]),
        ],
    );
}

#[test]
fn the_same_accelerator_twice_verifies() {
    check(
        "twins",
        1,
        7,
        vec![
            (spec("ws_2x3"), vec![gemm("a", 5, 7, 4)]),
            (spec("ws_2x3"), vec![gemm("b", 3, 11, 5)]),
        ],
    );
}

/// Sub-accelerators moving their own words per cycle on one 16 B/cycle channel (P = 2, 1 and 4:
/// LOADs on up to four lanes; gathered convolutions; different bus widths), and the same system
/// with one word per cycle: RTL ≡ simulator in both, and the lanes make every sub-accelerator
/// faster.
#[test]
fn subs_with_their_own_words_per_cycle_verify() {
    let subs = |p: [i64; 3]| {
        let mut out = vec![];
        for ((name, p), w) in ["ws_4x4", "os_2x3", "is_4x4"].into_iter().zip(p).zip([
            conv_net(),
            gemm("a", 14, 30, 9),
            conv_net(),
        ]) {
            let mut a = spec(name);
            a.name = format!("{name}_p{p}");
            a.dram = dram(16, 15, p);
            out.push((a, vec![w]));
        }
        out
    };
    let one = check_dram("lanes_one", None, subs([1, 1, 1]));
    let lanes = check_dram("lanes", None, subs([2, 1, 4]));
    let cycles = |p| {
        let sys = System::new("x", None, subs(p)).unwrap();
        let r = simulate_system_report(&sys, &MappingSpec::default(), Engine::Event, 5).unwrap();
        r.subs.iter().map(|s| s.cycles).collect::<Vec<_>>()
    };
    let (c1, cp) = (cycles([1, 1, 1]), cycles([2, 1, 4]));
    assert!(
        cp[0] < c1[0] && cp[2] < c1[2],
        "P = 2, 1, 4: {cp:?}; P = 1: {c1:?}"
    );
    println!("lanes: P = 2, 1, 4: {cp:?} cycles (contention {lanes:?}); P = 1: {c1:?} (contention {one:?})");
}

/// Sub-accelerators keeping their own number of transfers in flight on one slow channel (O = 1, 2
/// and 4; docs/TIMING.md, "Systems": the next transfer requests from the cycle after the current
/// one's request end), and the same system with one slot each: RTL ≡ simulator in both, and the
/// slots make the subs that have several faster.
#[test]
fn subs_with_their_own_transfer_slots_verify() {
    let subs = |o: [i64; 3]| {
        let mut out = vec![];
        for ((name, o), w) in ["ws_4x4", "os_2x3", "is_4x4"].into_iter().zip(o).zip([
            gemm("a", 12, 30, 10),
            conv_net(),
            conv_net(),
        ]) {
            let mut a = spec(name);
            a.name = format!("{name}_o{o}");
            a.dram = dram(8, 40, 1);
            a.dram.outstanding_transfers = Some(o);
            out.push((a, vec![w]));
        }
        out
    };
    let one = check_dram("slots_one", None, subs([1, 1, 1]));
    let slots = check_dram("slots", None, subs([1, 2, 4]));
    let cycles = |o| {
        let sys = System::new("x", None, subs(o)).unwrap();
        let r = simulate_system_report(&sys, &MappingSpec::default(), Engine::Event, 5).unwrap();
        r.subs.iter().map(|s| s.cycles).collect::<Vec<_>>()
    };
    let (c1, co) = (cycles([1, 1, 1]), cycles([1, 2, 4]));
    assert!(
        co[1] < c1[1] && co[2] < c1[2],
        "O = 1, 2, 4: {co:?}; O = 1: {c1:?}"
    );
    println!("slots: O = 1, 2, 4: {co:?} cycles (contention {slots:?}); O = 1: {c1:?} (contention {one:?})");
}

/// Random small systems: 2 or 3 sub-accelerators of random dataflow, shape, double-buffering,
/// words per cycle and transfer slots (each its own), random channels and GEMMs.
#[test]
fn random_systems_verify() {
    let mut rng = SplitMix64::new(2026);
    let mut pick = |n: u64| rng.next_u64() % n;
    for case in 0..2 {
        let subs = 2 + pick(2) as usize;
        let mut specs = vec![];
        for s in 0..subs {
            let df = [
                Dataflow::WeightStationary,
                Dataflow::OutputStationary,
                Dataflow::InputStationary,
            ][pick(3) as usize];
            let (r, c) = (1 + pick(4) as i64, 1 + pick(4) as i64);
            let mut a = ArchSpec::ws(
                &format!("r{case}s{s}"),
                r,
                c,
                [r * c * 64, r * c * 64, 4 * c * 64],
                1 + pick(2) as i64,
                8,
                10,
            )
            .with_dataflow(df);
            if df != Dataflow::OutputStationary && pick(2) == 1 {
                a = a.with_weight_double_buffer(true);
            }
            let (m, k, n) = (
                1 + pick(12) as u32,
                1 + pick(40) as u32,
                1 + pick(12) as u32,
            );
            a.dram.words_per_cycle = Some(1 << pick(4));
            a.dram.outstanding_transfers = Some(1 + pick(4) as i64);
            specs.push((a, vec![gemm("g", m, k, n)]));
        }
        let (bpc, lat) = (1 + pick(16) as i64, 1 + pick(20) as i64);
        for (a, _) in &mut specs {
            a.dram.bytes_per_cycle = bpc;
            a.dram.latency_cycles = lat;
        }
        check_dram(&format!("rand{case}"), None, specs);
    }
}
