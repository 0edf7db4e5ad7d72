//! The engines on random programs (`tessera_sim::random_program`), not only lowered ones: on random
//! small accelerators of every dataflow, interconnect, buffer arrangement and DMA, the stepped
//! engine (every register, every cycle: the RTL's twin) and the event engine (the contract's
//! formulas) agree on the DRAM image, the cycles, every counter and statistic, the breakdown and
//! the event trace. A program the event engine refuses as a race is skipped, and the test holds the
//! share of programs that ran to a floor, so that it cannot pass by skipping.

use tessera_arch::isa::{unit, Instr};
use tessera_arch::{Arch, ArchSpec, Dataflow, Noc, Reduce, Stream};
use tessera_sim::random_program::random_program;
use tessera_sim::{simulate, Engine, SimOptions};
use tessera_workloads::data::SplitMix64;

/// A random small accelerator from `seed`, or `None` when the draw does not validate.
fn random_arch(seed: u64) -> Option<Arch> {
    let mut r = SplitMix64::new(seed);
    let mut pick = |lo: u64, hi: u64| lo + r.next_u64() % (hi - lo + 1);
    let df = [
        Dataflow::WeightStationary,
        Dataflow::InputStationary,
        Dataflow::OutputStationary,
    ][pick(0, 2) as usize];
    let (rows, cols, banks) = (pick(1, 5) as i64, pick(1, 5) as i64, pick(1, 3) as i64);
    let bytes = [
        rows.max(cols) * banks * pick(4, 24) as i64,
        rows.max(cols) * banks * rows.max(cols) * pick(1, 4) as i64,
        4 * cols.max(rows) * banks * pick(4, 24) as i64,
    ];
    let mut s = ArchSpec::ws(
        "rp",
        rows,
        cols,
        bytes,
        banks,
        pick(1, 24) as i64,
        pick(1, 30) as i64,
    )
    .with_dataflow(df)
    .with_noc(Noc {
        stream: if pick(0, 1) == 1 {
            Stream::Broadcast
        } else {
            Stream::Systolic
        },
        reduce: if pick(0, 1) == 1 && df != Dataflow::OutputStationary {
            Reduce::AdderTree
        } else {
            Reduce::Chain
        },
    })
    .with_weight_double_buffer(pick(0, 1) == 1);
    s.dram.outstanding_transfers = Some([1, 1, 2, 4][pick(0, 3) as usize]);
    if pick(0, 3) == 0 {
        s = s.with_accumulator_bits(16);
    }
    // single-ported input and weight banks (docs/TIMING.md, "Single-ported banks") on a generator of
    // their own, so the draws above stay what they were
    let mut ports = SplitMix64::new(seed ^ 0x1_0bad);
    if ports.next_u64().is_multiple_of(3) {
        s = s.with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
    }
    let mut lanes = s.clone();
    lanes.dram.words_per_cycle = Some([1, 2, 4][pick(0, 2) as usize]);
    lanes.validate().or_else(|_| s.validate()).ok()
}

fn run(
    arch: &Arch,
    p: &tessera_sim::random_program::RandomProgram,
    engine: Engine,
) -> tessera_core::diag::Result<tessera_sim::SimResult> {
    simulate(
        arch,
        &p.program,
        p.dram.clone(),
        &SimOptions {
            engine,
            trace: true,
            max_cycles: 10_000_000,
            ..Default::default()
        },
    )
}

/// The stepped engine runs `p` and agrees with the event engine's result `ev` on the DRAM image,
/// cycles, counters, statistics, breakdown and trace.
fn assert_agree(
    seed: u64,
    arch: &Arch,
    p: &tessera_sim::random_program::RandomProgram,
    ev: &tessera_sim::SimResult,
) {
    let st = run(arch, p, Engine::Stepped)
        .unwrap_or_else(|e| panic!("seed {seed}: the stepped engine failed: {e}"));
    let ctx = || {
        format!(
            "seed {seed}, {:?}, {} instructions",
            arch.spec(),
            p.program.instrs.len()
        )
    };
    assert!(st.dram == ev.dram, "{}: DRAM images differ", ctx());
    assert_eq!(st.report.cycles, ev.report.cycles, "{}: cycles", ctx());
    assert_eq!(
        st.report.counters,
        ev.report.counters,
        "{}: counters",
        ctx()
    );
    assert_eq!(
        st.report.units,
        ev.report.units,
        "{}: unit statistics",
        ctx()
    );
    assert_eq!(
        st.report.breakdown,
        ev.report.breakdown,
        "{}: breakdown",
        ctx()
    );
    assert_eq!(
        st.report.breakdown.total(),
        st.report.cycles.get(),
        "{}",
        ctx()
    );
    let ts: Vec<String> = st
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let te: Vec<String> = ev
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    if let Some(d) = tessera_sim::trace::first_divergence(&ts, &te, 3) {
        panic!("{}: stepped vs event traces: {d}", ctx());
    }
}

fn cases() -> u64 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn engines_agree_on_random_programs() {
    let (mut ran, mut raced, mut drawn, mut packed) = (0u64, 0u64, 0u64, 0u64);
    let (mut clashed, mut single) = (0u64, 0u64);
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 0..cases() {
        let Some(arch) = random_arch(seed) else {
            continue;
        };
        drawn += 1;
        let p = random_program(&arch, seed ^ 0x5eed);
        let ev = match run(&arch, &p, Engine::Event) {
            Ok(r) => r,
            Err(e) if e.to_string().contains("race") => {
                raced += 1;
                continue;
            }
            // a LOAD into a single-ported bank a COMPUTE may read: the checker refuses it, and
            // so must the stepped engine, in the cycle of the clash if the check is bypassed
            Err(e) if e.to_string().contains("one read-write port") => {
                clashed += 1;
                continue;
            }
            Err(e) => panic!(
                "seed {seed}: the event engine refused the program: {e}\n{:?}",
                arch.spec()
            ),
        };
        assert_agree(seed, &arch, &p, &ev);
        ran += 1;
        single += u64::from(arch.input().single_ported());
        // back-to-back COMPUTEs (nothing but SYNCs without the compute bits between them) on an
        // array that overlaps tiles: where its tiles meet with no DMA work to space them
        let mut last_compute = false;
        for i in &p.program.instrs {
            match i {
                Instr::Compute { .. } => {
                    packed += u64::from(last_compute && arch.weight_double_buffered());
                    last_compute = true;
                }
                Instr::Sync { mask } if mask & (unit::COMPUTE | unit::PREV_COMPUTE) == 0 => {}
                _ => last_compute = false,
            }
        }
        kinds.insert((
            format!("{:?}", arch.dataflow()),
            arch.weight_double_buffered(),
        ));
    }
    println!(
        "{ran} programs ran ({single} on single-ported banks), {raced} refused as races and \
         {clashed} for a single-ported bank, of {drawn} drawn; {packed} back-to-back COMPUTEs on \
         arrays that overlap tiles"
    );
    assert!(
        single >= cases() / 10,
        "only {single} programs ran on single-ported banks"
    );
    assert!(
        packed >= cases() / 20,
        "only {packed} back-to-back overlapped COMPUTEs"
    );
    assert!(
        drawn >= cases() / 2,
        "only {drawn} of {} draws validate",
        cases()
    );
    assert!(
        ran * 10 >= drawn * 7,
        "only {ran} of {drawn} random programs ran ({raced} races, {clashed} port clashes): the \
         generator must make mostly valid programs"
    );
    // every dataflow, with and without overlapped tiles
    assert_eq!(kinds.len(), 6, "{kinds:?}");
}

/// A random small row-stationary accelerator from `seed` (docs/TIMING.md, "Compute unit:
/// row-stationary"): `R`, `C` in 1..=5, `F` in 1..=8, one or two banks, `P` 1 or 2, sometimes
/// single-ported input and weight banks, 16- or 32-bit accumulators; `None` when the draw does
/// not validate.
fn random_rs_arch(seed: u64) -> Option<Arch> {
    let mut r = SplitMix64::new(seed ^ 0x0505_7a7e);
    let mut pick = |lo: u64, hi: u64| lo + r.next_u64() % (hi - lo + 1);
    let (rows, cols, banks) = (pick(1, 5) as i64, pick(1, 5) as i64, pick(1, 2) as i64);
    let f = pick(1, 8) as i64;
    let (iw, p) = (rows + cols - 1, pick(1, 2) as i64);
    let bytes = [
        iw * banks * p * pick(2, 12) as i64,
        rows * banks * p * pick(2, 12) as i64,
        4 * cols * banks * p * pick(1, 8) as i64,
    ];
    let mut s = ArchSpec::ws(
        "rs_rp",
        rows,
        cols,
        bytes,
        banks,
        pick(1, 24) as i64,
        pick(1, 30) as i64,
    )
    .row_stationary(f);
    s.dram.outstanding_transfers = Some([1, 1, 2, 4][pick(0, 3) as usize]);
    s.dram.words_per_cycle = Some(p);
    if pick(0, 2) == 0 {
        s = s.with_accumulator_bits(16);
    }
    if pick(0, 2) == 0 {
        s = s.with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
    }
    s.validate().ok()
}

/// Random programs of random legal passes on random row-stationary arrays: the stepped engine's
/// registers and the event engine's `T·(E + 1) + B + 2` and kernel agree on everything, and most
/// programs run (the floor keeps the test from passing by skipping).
#[test]
fn engines_agree_on_random_row_stationary_programs() {
    let (mut ran, mut raced, mut clashed, mut drawn) = (0u64, 0u64, 0u64, 0u64);
    let (mut single, mut passes, mut accumulating) = (0u64, 0u64, 0u64);
    // gather LOADs (docs/TIMING.md, "Gather registers": row-stationary words) and the programs
    // that ran with one
    let (mut gathers, mut gathering) = (0u64, 0u64);
    let mut shapes = std::collections::BTreeSet::new();
    for seed in 0..cases() {
        let Some(arch) = random_rs_arch(seed) else {
            continue;
        };
        drawn += 1;
        let p = random_program(&arch, seed ^ 0x5eed);
        let ev = match run(&arch, &p, Engine::Event) {
            Ok(r) => r,
            Err(e) if e.to_string().contains("race") => {
                raced += 1;
                continue;
            }
            Err(e) if e.to_string().contains("one read-write port") => {
                clashed += 1;
                continue;
            }
            Err(e) => panic!(
                "seed {seed}: the event engine refused the program: {e}\n{:?}",
                arch.spec()
            ),
        };
        assert_agree(seed, &arch, &p, &ev);
        ran += 1;
        single += u64::from(arch.input().single_ported());
        let g = p
            .program
            .instrs
            .iter()
            .filter(|i| matches!(i, Instr::Gather { .. }))
            .count() as u64;
        gathers += g;
        gathering += u64::from(g > 0);
        for i in &p.program.instrs {
            if let Instr::ComputeRs {
                pass, accumulate, ..
            } = i
            {
                passes += 1;
                accumulating += u64::from(*accumulate);
                shapes.insert((
                    arch.rows(),
                    pass.steps,
                    pass.block_rows,
                    pass.blocks,
                    pass.row_step,
                ));
            }
        }
    }
    println!(
        "{ran} row-stationary programs ran ({single} on single-ported banks; {passes} passes, \
         {accumulating} accumulating, {} shapes), {raced} refused as races and {clashed} for a \
         single-ported bank, of {drawn} drawn; {gathering} of them with gather LOADs \
         ({gathers} gathers)",
        shapes.len()
    );
    assert!(
        gathering * 2 >= ran,
        "only {gathering} of {ran} programs that ran gather"
    );
    assert!(
        drawn * 10 >= cases() * 9,
        "only {drawn} of {} draws validate",
        cases()
    );
    assert!(
        ran * 10 >= drawn * 7,
        "only {ran} of {drawn} random row-stationary programs ran ({raced} races, {clashed} port \
         clashes)"
    );
    assert!(
        single * 5 >= ran,
        "only {single} of {ran} on single-ported banks"
    );
    assert!(
        accumulating * 4 >= passes,
        "{accumulating} of {passes} passes accumulate"
    );
    assert!(
        shapes.len() as u64 >= ran.min(100),
        "only {} shapes",
        shapes.len()
    );
}

/// Systems (docs/TIMING.md, "Systems"): two to four random accelerators on one DRAM channel, each
/// with its own random program, through both engines: every sub-accelerator's DRAM region, cycles,
/// counters, statistics (its DRAM wait cycles included), breakdown and trace agree.
#[test]
fn engines_agree_on_random_programs_in_systems() {
    use tessera_sim::{simulate_system, SubRun};
    let (mut ran, mut drawn) = (0u64, 0u64);
    let mut waited = 0u64;
    for seed in 0..cases() / 10 {
        let mut r = SplitMix64::new(seed ^ 0x5157);
        let n = 2 + r.next_u64() % 3;
        // the channel of the first; each later one redrawn until it validates with that channel
        let mut archs: Vec<Arch> = vec![];
        let mut k = 0;
        while (archs.len() as u64) < n && k < 50 {
            k += 1;
            let Some(a) = random_arch(seed * 64 + k) else {
                continue;
            };
            let a = match archs.first() {
                None => a,
                Some(first) => {
                    let mut s = a.spec().clone();
                    s.dram.bytes_per_cycle = first.spec().dram.bytes_per_cycle;
                    s.dram.latency_cycles = first.spec().dram.latency_cycles;
                    s.name = format!("rp{}", archs.len());
                    let Ok(a) = s.validate() else { continue };
                    a
                }
            };
            archs.push(a);
        }
        if (archs.len() as u64) < n {
            continue;
        }
        drawn += 1;
        let progs: Vec<_> = archs
            .iter()
            .enumerate()
            .map(|(i, a)| random_program(a, seed * 8 + i as u64))
            .collect();
        let go = |engine| {
            simulate_system(
                archs
                    .iter()
                    .zip(&progs)
                    .map(|(arch, p)| SubRun {
                        arch,
                        program: &p.program,
                        dram: p.dram.clone(),
                    })
                    .collect(),
                &SimOptions {
                    engine,
                    trace: true,
                    max_cycles: 10_000_000,
                    ..Default::default()
                },
            )
        };
        let ev = match go(Engine::Event) {
            Ok(r) => r,
            Err(e) if e.to_string().contains("race") => continue,
            Err(e) if e.to_string().contains("one read-write port") => continue,
            Err(e) => panic!("seed {seed}: the event engine refused the system: {e}"),
        };
        let st = go(Engine::Stepped).unwrap_or_else(|e| panic!("seed {seed}: stepped: {e}"));
        for (i, (s, e)) in st.iter().zip(&ev).enumerate() {
            let ctx = format!("seed {seed}, sub-accelerator {i} of {n}");
            assert!(s.dram == e.dram, "{ctx}: DRAM regions differ");
            assert_eq!(s.report.cycles, e.report.cycles, "{ctx}: cycles");
            assert_eq!(s.report.counters, e.report.counters, "{ctx}: counters");
            assert_eq!(s.report.units, e.report.units, "{ctx}: unit statistics");
            assert_eq!(s.report.breakdown, e.report.breakdown, "{ctx}: breakdown");
            let ts: Vec<String> = s
                .trace
                .as_ref()
                .unwrap()
                .iter()
                .map(|e| e.to_string())
                .collect();
            let te: Vec<String> = e
                .trace
                .as_ref()
                .unwrap()
                .iter()
                .map(|e| e.to_string())
                .collect();
            if let Some(d) = tessera_sim::trace::first_divergence(&ts, &te, 3) {
                panic!("{ctx}: stepped vs event traces: {d}");
            }
            waited += e.report.units.dram_wait_cycles;
        }
        ran += 1;
    }
    println!("{ran} of {drawn} random systems ran; {waited} DRAM wait cycles in all");
    // (a system runs only if every one of its programs is free of races and port clashes)
    assert!(ran * 2 >= drawn, "only {ran} of {drawn} systems ran");
    assert!(ran >= cases() / 40, "only {ran} systems");
    assert!(waited > 0, "no contention was drawn");
}
