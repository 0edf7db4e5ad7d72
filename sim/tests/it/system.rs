//! Systems of sub-accelerators sharing one DRAM channel (docs/TIMING.md, "Systems"): the stepped and
//! event engines agree on random systems (each sub-accelerator's DMA moving its own 1, 2, 4 or 8
//! words per cycle, with its own 1 to 4 transfer slots) in outputs, every sub-accelerator's cycles, counters, unit statistics and
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
            (0usize..3, any::<bool>(), 1i64..5, 1i64..5, 1u32..10, 1u32..40, 1u32..10, any::<bool>(), 0u32..4, 1i64..5),
            1..4,
        ),
        bpc in 1i64..12, lat in 1i64..20,
    ) {
        let mut specs = vec![];
        for (i, &(df, db, r, c, m, k, n, two, lanes, slots)) in subs.iter().enumerate() {
            let mut layers = vec![Layer::Gemm(Gemm::new("g", m, k, n))];
            if two {
                layers.push(conv());
            }
            // each DMA its own words per cycle (P = 1, 2, 4 or 8) on the one channel
            let mut spec = small(DATAFLOWS[df], db, r, c, bpc, lat);
            spec.dram.words_per_cycle = Some(1 << lanes);
            // and its own transfer slots (O = 1 to 4)
            spec.dram.outstanding_transfers = Some(slots);
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
    // each DMA its own words per cycle and its own transfer slots
    let mut p2 = a.clone();
    p2.name = "p2".into();
    p2.dram.words_per_cycle = Some(2);
    let s = System::new("x", None, vec![(a.clone(), w()), (p2.clone(), w())]).unwrap();
    assert_eq!(s.subs[1].0.dram().words_per_cycle(), 2);
    let mut o2 = p2;
    o2.dram.outstanding_transfers = Some(2);
    let s = System::new("x", None, vec![(a.clone(), w()), (o2.clone(), w())]).unwrap();
    assert_eq!(s.subs[0].0.dram().outstanding_transfers(), 1);
    assert_eq!(s.subs[1].0.dram().outstanding_transfers(), 2);
    // still validated: 17 slots is one too many, and the error names the sub-accelerator
    o2.dram.outstanding_transfers = Some(17);
    let e = System::new("x", None, vec![(a.clone(), w()), (o2, w())]).unwrap_err();
    assert_eq!(
        e.field.as_deref(),
        Some("subs[1].arch.dram.outstanding_transfers"),
        "{e:?}"
    );
    let e = System::new("x", None, vec![(a, vec![workload("empty", vec![])])]);
    assert!(e.is_err());
}

/// The hand-timed case of docs/TIMING.md, "Systems", with several transfer slots (O = 2, 1 and 4
/// on a 2 B/cycle channel of latency 5; 2-byte input, 3-byte weight and 12-byte accumulator words,
/// so `k_i = i` for input words, `k = 1, 2, 4` for weight words 0, 1, 2 and `k_0 = 5` for one
/// accumulator word). Worked by hand from the rule (`r = max(c + 1, e' + 1)`, the oldest `r`
/// first, ties to the lower index, `g = max(r, the cycle after the holder's request end)`):
/// - sub 0 (O = 2): LOAD A (4 input words) issued in 0, LOAD B (2 weight words) in 1;
/// - sub 1 (O = 1): SYNC, SYNC, LOAD C (3 weight words) issued in 2;
/// - sub 2 (O = 4): STORE E (1 word) issued in 0, LOAD F (2 input words) in 1.
///
/// A and E both request from 1: A (index 0) is granted in 1 and holds through 1 + 3 = 4. In 5, E
/// (r = 1), C (r = 3) and B (r = e_A + 1 = 5) request: E, holding through 5 + 5 + 1 = 11. In 12, C
/// (r = 3) before B (r = 5) and F (r = e_E + 1 = 12) — B was issued before C, but requests only
/// from its own previous transfer's request end — holding through 12 + 4 = 16. In 17, B (r = 5)
/// before F (r = 12), holding through 17 + 2 = 19; F in 20. Last busy cycles (`g + L + k_{n-1}`,
/// a STORE `g + k + 1 + L`): A 9, E 16, C 21, B 24, F 26; each HALT completes the cycle after its
/// DMA's last one, so the counts are 26, 23 and 28. DRAM waits `g - r`: sub 0 12 (B), sub 1 9,
/// sub 2 4 + 8.
pub fn hand_timed_programs() -> [Vec<tessera_arch::isa::Instr>; 3] {
    use tessera_arch::isa::{unit, Instr, LoadTarget};
    let load = |target, count, dram_addr| Instr::Load {
        target,
        count,
        dram_addr,
        sram_addr: 0,
    };
    let sync = Instr::Sync { mask: unit::DMA };
    [
        vec![
            load(LoadTarget::Input, 4, 0),
            load(LoadTarget::Weight, 2, 16),
            Instr::Halt,
        ],
        vec![sync, sync, load(LoadTarget::Weight, 3, 32), Instr::Halt],
        vec![
            Instr::Store {
                count: 1,
                dram_addr: 128,
                sram_addr: 0,
            },
            load(LoadTarget::Input, 2, 64),
            Instr::Halt,
        ],
    ]
}

#[test]
fn grants_with_several_transfer_slots_follow_the_rule_by_hand() {
    let archs: Vec<Arch> = [2, 1, 4]
        .iter()
        .enumerate()
        .map(|(i, &o)| {
            let mut s = tessera_arch::builtin::arch_spec("ws_2x3").unwrap();
            s.name = format!("h{i}");
            s.dram = tessera_arch::spec::DramSpec {
                bytes_per_cycle: 2,
                latency_cycles: 5,
                outstanding_transfers: Some(o),
                words_per_cycle: None,
            };
            s.validate().unwrap()
        })
        .collect();
    let a = &archs[0];
    assert_eq!(
        (
            a.input().word_bytes(),
            a.weight().word_bytes(),
            a.accumulator().word_bytes()
        ),
        (2, 3, 12),
        "the word widths the case is worked with"
    );
    let programs = hand_timed_programs().map(|instrs| tessera_arch::isa::Program { instrs });
    let image: Vec<u8> = (0..256u32).map(|i| (i * 5) as u8).collect();
    for engine in [Engine::Event, Engine::Stepped] {
        let runs = simulate_system(
            archs
                .iter()
                .zip(&programs)
                .map(|(arch, program)| SubRun {
                    arch,
                    program,
                    dram: image.clone(),
                })
                .collect(),
            &SimOptions {
                engine,
                trace: true,
                ..SimOptions::default()
            },
        )
        .unwrap();
        let cycles: Vec<u64> = runs.iter().map(|r| r.report.cycles.get()).collect();
        assert_eq!(cycles, [26, 23, 28], "{engine:?}");
        let waits: Vec<u64> = runs
            .iter()
            .map(|r| r.report.units.dram_wait_cycles)
            .collect();
        assert_eq!(waits, [12, 9, 12], "{engine:?}");
        // the grants, seen on the port: a LOAD's request 0 in g + k_0, a STORE's beat 0 in
        // g + k_0 + 1
        let firsts = |r: &tessera_sim::SimResult| -> Vec<(u64, &'static str)> {
            r.trace
                .as_ref()
                .unwrap()
                .iter()
                .filter(|e| {
                    (e.event == "rreq" && e.fields.starts_with("0 "))
                        || (e.event == "wbeat" && e.fields == "0")
                })
                .map(|e| (e.cycle, e.event))
                .collect()
        };
        // A in 1 (k_0 = 0), B in 17 (+ 1), C in 12 (+ 1), E in 5 (+ 5 + 1), F in 20
        assert_eq!(firsts(&runs[0]), [(1, "rreq"), (18, "rreq")], "{engine:?}");
        assert_eq!(firsts(&runs[1]), [(13, "rreq")], "{engine:?}");
        assert_eq!(
            firsts(&runs[2]),
            [(11, "wbeat"), (20, "rreq")],
            "{engine:?}"
        );
        // every word loaded is the image's: A's four input words, B's two weight words
        assert_eq!(runs[0].report.counters.dram_read_bytes, 4 * 2 + 2 * 3);
        assert_eq!(
            runs[2].dram[128..140],
            [0; 12],
            "E stores the zero accumulator word"
        );
    }
}

/// A mixed system (O = 1, 2 and 4) running real layers: both engines agree on every
/// sub-accelerator's cycles, counters, unit statistics, breakdown and trace, the outputs are the
/// reference's, and the estimate is near the simulator; with O = 1 everywhere the DMA-bound subs
/// are slower.
#[test]
fn mixed_transfer_slots_agree_and_overlap_latencies() {
    let sys_of = |slots: [i64; 3]| {
        let mut specs = vec![];
        for (i, (df, o)) in DATAFLOWS.into_iter().zip(slots).enumerate() {
            let mut s = small(df, false, 4, 4, 8, 30);
            s.dram.outstanding_transfers = Some(o);
            let g = Layer::Gemm(Gemm::new("g", 20, 36, 10 + 2 * i as u32));
            specs.push((s, vec![workload(&format!("w{i}"), vec![g, conv()])]));
        }
        System::new("slots", None, specs).unwrap()
    };
    let mixed = sys_of([1, 2, 4]);
    let ev = run(&mixed, Engine::Event);
    let st = run(&mixed, Engine::Stepped);
    for (i, (e, s)) in ev.iter().zip(&st).enumerate() {
        let same_engine = tessera_sim::SimReport {
            engine: Engine::Event,
            ..s.report.clone()
        };
        assert_eq!(e.report, same_engine, "sub-accelerator {i}");
        assert_eq!(e.trace, s.trace, "sub-accelerator {i}");
        assert_eq!(e.dram, s.dram);
    }
    let r = simulate_system_report(&mixed, &MappingSpec::default(), Engine::Event, 7).unwrap();
    let r1 = simulate_system_report(
        &sys_of([1, 1, 1]),
        &MappingSpec::default(),
        Engine::Event,
        7,
    )
    .unwrap();
    assert!(r.matches_reference && r1.matches_reference);
    assert_eq!(
        r.subs[0].alone_cycles, r1.subs[0].alone_cycles,
        "O = 1 in both"
    );
    for i in [1, 2] {
        assert!(
            r.subs[i].alone_cycles < r1.subs[i].alone_cycles,
            "{:?}\n{:?}",
            r.subs[i],
            r1.subs[i]
        );
    }
    assert!(r.cycles < r1.cycles, "{} vs {}", r.cycles, r1.cycles);
    for s in r.subs.iter().chain(&r1.subs) {
        assert!(s.cycles >= s.alone_cycles);
        assert!(s.estimate_error_pct.abs() < 25.0, "{s:?}");
    }
    let show = |r: &tessera_sim::system::SystemReport| {
        r.subs
            .iter()
            .map(|s| (s.cycles, s.alone_cycles, s.estimated_cycles))
            .collect::<Vec<_>>()
    };
    println!(
        "O = 1, 2, 4: {} cycles, channel held {:.1} %, (cycles, alone, estimate) {:?}",
        r.cycles,
        100.0 * r.channel_utilization,
        show(&r)
    );
    println!(
        "O = 1 each: {} cycles, channel held {:.1} %, (cycles, alone, estimate) {:?}",
        r1.cycles,
        100.0 * r1.channel_utilization,
        show(&r1)
    );
}
