//! Systems of sub-accelerators sharing one DRAM channel (docs/TIMING.md, "Systems"): the stepped and
//! event engines agree on random systems (each sub-accelerator's DMA moving its own 1, 2, 4 or 8
//! words per cycle) in outputs, every sub-accelerator's cycles, counters, unit statistics and
//! traces; one sub-accelerator is exactly one accelerator alone; sharing never makes
//! a sub-accelerator faster, and every one's outputs are the reference's.

use proptest::prelude::*;
use tessera_arch::{Arch, ArchSpec, Dataflow};
use tessera_mapping::MappingSpec;
use tessera_sim::system::{build_jobs, simulate_system_report, System};
use tessera_sim::{simulate, simulate_system, Engine, SimOptions, SubRun};
use tessera_workloads::{Conv2d, Gemm, Layer, Workload};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

/// A small accelerator of `dataflow` whose buffers fit the layers below.
fn small(dataflow: Dataflow, db: bool, rows: i64, cols: i64, bpc: i64, lat: i64) -> ArchSpec {
    let s = ArchSpec::ws(
        &format!("s{rows}x{cols}"),
        rows,
        cols,
        [rows * cols * 64, rows * cols * 64, 4 * cols * 64],
        1,
        bpc,
        lat,
    )
    .with_dataflow(dataflow);
    if db && dataflow != Dataflow::OutputStationary {
        s.with_weight_double_buffer(true)
    } else {
        s
    }
}

fn workload(name: &str, layers: Vec<Layer>) -> Workload {
    Workload::of_layers(name, layers)
}

/// A padded, strided 3×3 convolution (gathered by the DMA).
fn conv() -> Layer {
    Layer::Conv2d(Conv2d {
        name: "c".into(),
        batch: 1,
        in_channels: 3,
        in_h: 6,
        in_w: 6,
        out_channels: 4,
        kernel: [3, 3],
        stride: [2, 2],
        dilation: [1, 1],
        pad_begin: [1, 1],
        pad_end: [1, 1],
        groups: 1,
        out_h: 3,
        out_w: 3,
    })
}

fn run(sys: &System, engine: Engine) -> Vec<tessera_sim::SimResult> {
    let jobs = build_jobs(sys, &MappingSpec::default(), 7).unwrap();
    simulate_system(
        sys.subs
            .iter()
            .zip(&jobs)
            .map(|((arch, _), j)| SubRun {
                arch,
                program: &j.program,
                dram: j.image.clone(),
            })
            .collect(),
        &SimOptions {
            engine,
            trace: true,
            ..SimOptions::default()
        },
    )
    .unwrap()
}

const DATAFLOWS: [Dataflow; 3] = [
    Dataflow::WeightStationary,
    Dataflow::OutputStationary,
    Dataflow::InputStationary,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn engines_agree_on_random_systems(
        subs in prop::collection::vec(
            (0usize..3, any::<bool>(), 1i64..5, 1i64..5, 1u32..10, 1u32..40, 1u32..10, any::<bool>(), 0u32..4),
            1..4,
        ),
        bpc in 1i64..12, lat in 1i64..20,
    ) {
        let mut specs = vec![];
        for (i, &(df, db, r, c, m, k, n, two, lanes)) in subs.iter().enumerate() {
            let mut layers = vec![Layer::Gemm(Gemm::new("g", m, k, n))];
            if two {
                layers.push(conv());
            }
            // each DMA its own words per cycle (P = 1, 2, 4 or 8) on the one channel
            let mut spec = small(DATAFLOWS[df], db, r, c, bpc, lat);
            spec.dram.words_per_cycle = Some(1 << lanes);
            specs.push((spec, vec![workload(&format!("w{i}"), layers)]));
        }
        let sys = System::new("sys", None, specs).unwrap();
        let ev = run(&sys, Engine::Event);
        let st = run(&sys, Engine::Stepped);
        let jobs = build_jobs(&sys, &MappingSpec::default(), 7).unwrap();
        for (i, ((e, s), job)) in ev.iter().zip(&st).zip(&jobs).enumerate() {
            prop_assert_eq!(e.report.cycles, s.report.cycles, "sub-accelerator {}", i);
            prop_assert_eq!(&e.report.counters, &s.report.counters);
            prop_assert_eq!(&e.report.units, &s.report.units);
            prop_assert_eq!(&e.report.breakdown, &s.report.breakdown);
            prop_assert_eq!(&e.dram, &s.dram);
            prop_assert!(job.outputs_match(&e.dram), "sub-accelerator {} outputs", i);
            let te: Vec<String> = e.trace.as_ref().unwrap().iter().map(|x| x.to_string()).collect();
            let ts: Vec<String> = s.trace.as_ref().unwrap().iter().map(|x| x.to_string()).collect();
            if let Some(d) = tessera_sim::trace::first_divergence(&ts, &te, 3) {
                return Err(TestCaseError::fail(format!("sub-accelerator {i}: stepped vs event: {d}")));
            }
            // alone, the same program is never slower, and waits for nothing
            let arch: &Arch = &sys.subs[i].0;
            let alone = simulate(arch, &job.program, job.image.clone(), &SimOptions::default()).unwrap();
            prop_assert!(alone.report.cycles <= e.report.cycles);
            prop_assert_eq!(alone.report.units.dram_wait_cycles, 0);
            prop_assert_eq!(
                e.report.cycles.get() - alone.report.cycles.get() <= e.report.units.dram_wait_cycles,
                true,
                "a sub-accelerator is slowed by at most the cycles its DMA waited"
            );
        }
        if ev.len() == 1 {
            let job = &jobs[0];
            let alone = simulate(&sys.subs[0].0, &job.program, job.image.clone(), &SimOptions::default()).unwrap();
            prop_assert_eq!(alone.report, ev[0].report.clone());
        }
    }
}

/// Two DMA-heavy sub-accelerators on a narrow, slow channel: both are slowed, the report's
/// contention is each one's waiting, the estimate sees it, and the outputs stay the reference's.
#[test]
fn a_narrow_shared_channel_slows_both() {
    let gemm = |n| workload("g", vec![Layer::Gemm(Gemm::new("g", 24, 64, n))]);
    let sys = System::new(
        "duo",
        Some(&tessera_arch::spec::DramSpec {
            bytes_per_cycle: 2,
            latency_cycles: 30,
            outstanding_transfers: None,
            words_per_cycle: None,
        }),
        vec![
            (
                small(Dataflow::WeightStationary, false, 4, 4, 8, 5),
                vec![gemm(24)],
            ),
            (
                small(Dataflow::OutputStationary, false, 4, 4, 8, 5),
                vec![gemm(20)],
            ),
        ],
    )
    .unwrap();
    let r = simulate_system_report(&sys, &MappingSpec::default(), Engine::Event, 3).unwrap();
    assert!(r.matches_reference);
    for s in &r.subs {
        assert!(s.contention_cycles > 0, "{s:?}");
        assert!(s.dram_wait_cycles >= s.contention_cycles);
        assert!(s.estimated_cycles > s.alone_cycles, "{s:?}");
    }
    assert!(r.channel_utilization > 0.5 && r.channel_utilization <= 1.0);
}

/// The same two sub-accelerators and layers on a 16 B/cycle channel, with one word per cycle and
/// with P = 2 and 4 (each DMA its own): the lanes shorten every hold, so the channel is held less,
/// both finish sooner, the estimate (from the same holds) sees it, both engines agree and the
/// outputs stay the reference's.
#[test]
fn several_words_per_cycle_shorten_the_holds_of_a_system() {
    let run = |p: [i64; 2]| {
        let mut specs = vec![];
        for (i, (df, p)) in [Dataflow::WeightStationary, Dataflow::OutputStationary]
            .into_iter()
            .zip(p)
            .enumerate()
        {
            let mut s = small(df, false, 4, 4, 16, 20);
            s.dram.words_per_cycle = Some(p);
            let g = Layer::Gemm(Gemm::new("g", 24, 40, 12 + i as u32));
            specs.push((s, vec![workload(&format!("w{i}"), vec![g, conv()])]));
        }
        let sys = System::new("lanes", None, specs).unwrap();
        let ev = simulate_system_report(&sys, &MappingSpec::default(), Engine::Event, 3).unwrap();
        let st = simulate_system_report(&sys, &MappingSpec::default(), Engine::Stepped, 3).unwrap();
        assert!(ev.matches_reference && st.matches_reference);
        for (e, s) in ev.subs.iter().zip(&st.subs) {
            assert_eq!((e.cycles, e.alone_cycles), (s.cycles, s.alone_cycles));
            assert_eq!(e.dram_wait_cycles, s.dram_wait_cycles);
        }
        ev
    };
    let one = run([1, 1]);
    let lanes = run([2, 4]);
    for (o, l) in one.subs.iter().zip(&lanes.subs) {
        assert!(
            l.channel_hold_cycles < o.channel_hold_cycles,
            "{o:?}\n{l:?}"
        );
        assert!(l.cycles < o.cycles, "{o:?}\n{l:?}");
        assert!(l.alone_cycles < o.alone_cycles, "{o:?}\n{l:?}");
        assert!(l.estimated_cycles < o.estimated_cycles, "{o:?}\n{l:?}");
        assert_eq!(l.transfers, o.transfers);
    }
    println!(
        "P = 1: {:?} cycles (holds {:?}); P = 2, 4: {:?} cycles (holds {:?})",
        one.subs.iter().map(|s| s.cycles).collect::<Vec<_>>(),
        one.subs
            .iter()
            .map(|s| s.channel_hold_cycles)
            .collect::<Vec<_>>(),
        lanes.subs.iter().map(|s| s.cycles).collect::<Vec<_>>(),
        lanes
            .subs
            .iter()
            .map(|s| s.channel_hold_cycles)
            .collect::<Vec<_>>(),
    );
}

#[test]
fn a_system_is_validated() {
    let w = || vec![workload("g", vec![Layer::Gemm(Gemm::new("g", 4, 4, 4))])];
    let a = small(Dataflow::WeightStationary, false, 2, 2, 4, 5);
    let b = small(Dataflow::OutputStationary, false, 2, 2, 8, 5);
    let e = System::new("x", None, vec![(a.clone(), w()), (b.clone(), w())]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("subs[1]"), "{e:?}");
    // a shared channel replaces both
    let d = tessera_arch::spec::DramSpec {
        bytes_per_cycle: 4,
        latency_cycles: 9,
        outstanding_transfers: None,
        words_per_cycle: None,
    };
    let s = System::new("x", Some(&d), vec![(a.clone(), w()), (b, w())]).unwrap();
    assert!(s.subs.iter().all(|(x, _)| x.dram().bytes_per_cycle() == 4));
    assert!(System::new("bad name", None, vec![(a.clone(), w())]).is_err());
    assert!(System::new("x", None, vec![]).is_err());
    assert!(System::new("x", None, vec![(a.clone(), w()); 9]).is_err());
    // each DMA its own words per cycle; still one transfer slot each
    let mut p2 = a.clone();
    p2.name = "p2".into();
    p2.dram.words_per_cycle = Some(2);
    let s = System::new("x", None, vec![(a.clone(), w()), (p2.clone(), w())]).unwrap();
    assert_eq!(s.subs[1].0.dram().words_per_cycle(), 2);
    let mut o2 = p2;
    o2.dram.outstanding_transfers = Some(2);
    let e = System::new("x", None, vec![(a.clone(), w()), (o2, w())]).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("subs[1].arch.dram.outstanding_transfers"),
        "{e:?}"
    );
    let e = System::new("x", None, vec![(a, vec![workload("empty", vec![])])]);
    assert!(e.is_err());
}
