//! Systems of sub-accelerators sharing one DRAM channel (docs/TIMING.md, "Systems") on the generated
//! RTL under Verilator. Each sub-accelerator runs a layer lowered for it alone, relocated to its own
//! 64-byte-aligned region of one DRAM image; the testbench checks the channel's pacing and that
//! transfers never interleave. Expected: every region ends as the sub-accelerator's solo run (the
//! cycle simulator's final DRAM) leaves it, a one-sub system takes exactly the solo cycles, and with
//! several subs each takes at least its solo cycles — strictly more for some when the channel is
//! contended. Exact cycles under contention are the cycle simulator's to match (another test).

use crate::common;

use common::{first_diff, tools};
use tessera_arch::isa::Program;
use tessera_arch::spec::DramSpec;
use tessera_arch::Arch;
use tessera_mapping::MappingSpec;
use tessera_rtl_gen::emit_system;
use tessera_sim::workload::{mapping_for, problem_for};
use tessera_sim::{run_layer, SimOptions};
use tessera_verif::{run_system_rtl, SystemRtlRun, Tools};
use tessera_workloads::{Conv2d, Gemm, Layer};

/// A built-in accelerator with the system's DRAM (and a name of its own), optionally with
/// double-buffered weights.
fn arch(base: &str, bytes_per_cycle: i64, latency: i64, db: bool) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec(base).unwrap();
    s.name = format!(
        "{base}_w{bytes_per_cycle}l{latency}{}",
        if db { "_db" } else { "" }
    );
    s.dram = DramSpec {
        bytes_per_cycle,
        latency_cycles: latency,
        outstanding_transfers: None,
        words_per_cycle: None,
    };
    s.with_weight_double_buffer(db).validate().unwrap()
}

/// `a` with a DMA moving up to `p` words per cycle (docs/TIMING.md, "DMA unit and the DRAM port";
/// in a system, each sub-accelerator's own), named apart.
fn with_lanes(a: &Arch, p: i64) -> Arch {
    let mut s = a.spec().clone();
    s.name = format!("{}_p{p}", a.name());
    s.dram.words_per_cycle = Some(p);
    s.validate().unwrap()
}

fn gemm(m: u32, k: u32, n: u32) -> Layer {
    Layer::Gemm(Gemm::new("g", m, k, n))
}

/// A 3×3 convolution with padding: its input is gathered by the DMA (CONFIG bases are relocated).
fn conv(c: u32, hw: u32, o: u32) -> Layer {
    let out = Conv2d::out_size(hw, 2, 3, 1, 1).unwrap();
    Layer::Conv2d(Conv2d {
        name: "c".into(),
        batch: 1,
        in_channels: c,
        in_h: hw,
        in_w: hw,
        out_channels: o,
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pad_begin: [1, 1],
        pad_end: [1, 1],
        groups: 1,
        out_h: out,
        out_w: out,
    })
}

/// A layer on one accelerator alone, from the cycle simulator.
struct Solo {
    arch: Arch,
    program: Program,
    initial: Vec<u8>,
    fin: Vec<u8>,
    cycles: u64,
}

fn solo(arch: &Arch, layer: &Layer, seed: u64) -> Solo {
    let p = problem_for(layer, arch).unwrap();
    let m = mapping_for(&p, arch, &MappingSpec::default()).unwrap();
    let r = run_layer(layer, arch, &m, seed, &SimOptions::default()).unwrap();
    assert!(
        r.matches_reference,
        "{}: the simulator is wrong",
        arch.name()
    );
    Solo {
        arch: arch.clone(),
        program: r.lowered.program,
        initial: r.initial_dram,
        fin: r.final_dram,
        cycles: r.report.cycles.get(),
    }
}

const FILL: u8 = 0xa5;

/// Place every solo image at a 64-byte-aligned base (after some filler), relocate the programs,
/// run the system and check every region against its solo final image and the filler untouched.
fn run(name: &str, solos: &[Solo]) -> Option<SystemRtlRun> {
    let t = tools(false)?;
    let mut image = vec![FILL; 64];
    let mut bases = vec![];
    let mut programs = vec![];
    for s in solos {
        image.resize(image.len().next_multiple_of(64) + 64, FILL);
        let base = image.len();
        image.extend_from_slice(&s.initial);
        bases.push(base);
        programs.push(s.program.relocate(base as u32).unwrap().encode());
    }
    image.extend([FILL; 32]);
    let subs: Vec<Arch> = solos.iter().map(|s| s.arch.clone()).collect();
    let design = emit_system(name, &subs).unwrap();
    let max: u64 = solos.iter().map(|s| s.cycles).sum::<u64>() + 10_000;
    let r = run_system_rtl(&subs, &design, &programs, &image, max, &t)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(r.cycles.len(), solos.len());
    let mut want = image.clone();
    for (s, (solo, base)) in solos.iter().zip(&bases).enumerate() {
        let region = &r.dram[*base..base + solo.fin.len()];
        assert!(
            region == solo.fin.as_slice(),
            "{name}: region of sub-accelerator {s} ({}): {}",
            solo.arch.name(),
            first_diff(region, &solo.fin)
        );
        want[*base..base + solo.fin.len()].copy_from_slice(&solo.fin);
    }
    assert!(
        r.dram == want,
        "{name}: bytes outside the regions changed: {}",
        first_diff(&r.dram, &want)
    );
    println!(
        "{name}: cycles {:?}, solo {:?}",
        r.cycles,
        solos.iter().map(|s| s.cycles).collect::<Vec<_>>()
    );
    Some(r)
}

#[test]
fn one_sub_system_is_the_solo_run() {
    // a GEMM on a weight-stationary array and a gathered convolution on an output-stationary one
    for (i, s) in [
        solo(&arch("ws_4x4", 4, 12, false), &gemm(21, 19, 10), 1),
        solo(&arch("os_4x4", 3, 9, false), &conv(5, 6, 6), 2),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(r) = run(&format!("one{i}"), std::slice::from_ref(&s)) else {
            return;
        };
        assert_eq!(
            r.cycles,
            [s.cycles],
            "{}: a lone sub-accelerator never waits",
            s.arch.name()
        );
    }
}

#[test]
fn two_subs_contend_for_a_slow_channel() {
    // 2 B/cycle and a long latency: both DMA units want the channel most of the time
    let (w, l) = (2, 40);
    let solos = [
        solo(&arch("ws_4x4", w, l, false), &gemm(24, 20, 12), 3),
        solo(&arch("os_4x4", w, l, false), &gemm(16, 24, 9), 4),
    ];
    let Some(r) = run("duo", &solos) else { return };
    for (s, solo) in solos.iter().enumerate() {
        assert!(r.cycles[s] >= solo.cycles, "sub {s}: {:?}", r.cycles);
    }
    assert!(
        r.cycles.iter().zip(&solos).any(|(c, s)| *c > s.cycles),
        "a contended channel must slow some sub-accelerator: {:?}",
        r.cycles
    );
}

/// docs/TIMING.md, "Single-ported banks": a sub-accelerator with one-port input and weight SRAMs
/// (double-buffered weights, two words per cycle) beside a two-ported one on one channel: the RTL
/// system (whose testbench reports a one-port SRAM's stop as a violation) leaves every region as
/// the simulator's solo run does, each sub no faster than alone.
#[test]
fn a_sub_with_single_ported_banks() {
    let (w, l) = (4, 20);
    let mut s = arch("ws_4x4", w, l, true).spec().clone();
    s.name = "ws_4x4_1rw".into();
    let one = with_lanes(
        &s.with_operand_ports(tessera_arch::SramPorts::OneReadWrite)
            .validate()
            .unwrap(),
        2,
    );
    let solos = [
        solo(&one, &gemm(30, 20, 8), 5),
        solo(&arch("os_2x3", w, l, false), &gemm(12, 9, 16), 7),
    ];
    let Some(r) = run("duo_1rw", &solos) else {
        return;
    };
    for (s, solo) in solos.iter().enumerate() {
        assert!(r.cycles[s] >= solo.cycles, "sub {s}: {:?}", r.cycles);
    }
}

#[test]
fn three_subs_mixed_dataflows_one_arch_twice() {
    // double-buffered weight-stationary twice (one set of modules), input-stationary on a narrower
    // bus (its words are zero-extended / truncated on the system's), a gathered convolution
    let (w, l) = (4, 20);
    let db = arch("ws_4x4", w, l, true);
    let solos = [
        solo(&db, &gemm(30, 20, 8), 5),
        solo(&arch("is_2x3", w, l, false), &conv(4, 5, 5), 6),
        solo(&db, &gemm(12, 9, 16), 7),
    ];
    let Some(r) = run("trio", &solos) else { return };
    for (s, solo) in solos.iter().enumerate() {
        assert!(r.cycles[s] >= solo.cycles, "sub {s}: {:?}", r.cycles);
    }
    assert!(
        r.cycles.iter().zip(&solos).any(|(c, s)| *c > s.cycles),
        "three DMA-heavy layers on one channel must wait: {:?}",
        r.cycles
    );
}

#[test]
fn two_sub_system_lints_clean_and_synthesises_without_latches() {
    let Some(t) = tools(true) else { return };
    let subs = [arch("ws_2x3", 2, 7, false), arch("os_2x3", 2, 7, false)];
    let design = emit_system("pair", &subs).unwrap();
    let lint = tessera_verif::lint(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lint.files, design.files.len());
    let r = tessera_verif::synth(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    r.require_no_latches(&design.top).unwrap();
    assert_eq!(r.latches, 0);
    for a in &subs {
        // input, weight and accumulator banks: one 1R1W SRAM each
        let banks = u64::from(a.input().banks() + a.weight().banks() + a.accumulator().banks());
        assert_eq!(
            r.cells_by_type.get(&format!("{}_sram", a.name())),
            Some(&banks)
        );
    }
    println!("pair: {} cells", r.cells);
}

/// A system whose subs move different numbers of words per cycle (P = 1, 2 and 4; the last with
/// 16-bit accumulators, so its STOREs take 4 write lanes) and have different bus widths (the
/// port's higher lanes carry a narrower sub's words zero-extended): lint clean, no latch, every
/// flip-flop with its synchronous reset, one SRAM per bank and lane.
#[test]
fn a_system_with_several_words_per_cycle_lints_clean_and_synthesises_without_latches() {
    let Some(t) = tools(true) else { return };
    let (w, l) = (32, 7);
    let mut acc16 = arch("os_4x4", w, l, false).spec().clone();
    acc16.datatypes.accumulator_bits = 16;
    acc16.name = "os_4x4_a16".into();
    let subs = [
        arch("ws_2x3", w, l, false),
        with_lanes(&arch("is_2x3", w, l, false), 2),
        with_lanes(&acc16.validate().unwrap(), 4),
    ];
    assert_eq!(subs[2].store_lanes(), 4);
    assert!(subs[2].mem_bus_bytes() < subs[0].mem_bus_bytes());
    let design = emit_system("lanes_mix", &subs).unwrap();
    let sys = &design.files.last().unwrap().text;
    assert!(
        sys.contains("output wire [3:0]    mem_rd_req_valid,"),
        "{sys}"
    );
    assert!(sys.contains("output wire [3:0]    mem_wr_valid,"), "{sys}");
    let lint = tessera_verif::lint(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lint.files, design.files.len());
    let r = tessera_verif::synth(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    r.require_no_latches(&design.top).unwrap();
    assert_eq!(r.latches, 0);
    let unreset = r.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
    for a in &subs {
        // P SRAMs per input and weight bank, S per accumulator bank
        let p = u64::from(a.dram().words_per_cycle());
        let banks = u64::from(a.input().banks() + a.weight().banks()) * p
            + u64::from(a.accumulator().banks() * a.store_lanes());
        assert_eq!(
            r.cells_by_type.get(&format!("{}_sram", a.name())),
            Some(&banks),
            "{}",
            a.name()
        );
    }
    println!("lanes_mix: {} cells", r.cells);
}

/// The testbench has teeth: an arbiter that ignores `hold` lets a second transfer onto the channel
/// while the first still holds it, and the run fails as a contract violation.
#[test]
fn an_arbiter_ignoring_hold_is_caught() {
    let Some(t) = tools(false) else { return };
    let (w, l) = (2, 40);
    let solos = [
        solo(&arch("ws_4x4", w, l, false), &gemm(24, 20, 12), 3),
        solo(&arch("os_4x4", w, l, false), &gemm(16, 24, 9), 4),
    ];
    let subs: Vec<Arch> = solos.iter().map(|s| s.arch.clone()).collect();
    let mut design = emit_system("duo_bad", &subs).unwrap();
    let arb = design
        .files
        .iter_mut()
        .find(|f| f.name == "duo_bad_arbiter.v")
        .unwrap();
    assert!(arb.text.contains("wire free = ~|hold;"));
    arb.text = arb
        .text
        .replace("wire free = ~|hold;", "wire free = 1'b1 | (^hold & 1'b0);");
    let mut image = vec![];
    let mut programs = vec![];
    for s in &solos {
        image.resize(image.len().next_multiple_of(64), 0);
        let base = image.len() as u32;
        image.extend_from_slice(&s.initial);
        programs.push(s.program.relocate(base).unwrap().encode());
    }
    let e = run_system_rtl(&subs, &design, &programs, &image, 1_000_000, &t).unwrap_err();
    assert!(e.message.contains("CONTRACT VIOLATION"), "{e}");
    assert!(
        e.message.contains("holds the channel") || e.message.contains("two transfers"),
        "{e}"
    );
}

#[test]
fn inputs_are_checked() {
    let Some(t) = tools(false) else { return };
    let subs = [arch("ws_2x3", 2, 7, false)];
    let design = emit_system("lone", &subs).unwrap();
    let e = run_system_rtl(&subs, &design, &[], &[0; 64], 100, &t).unwrap_err();
    assert!(e.message.contains("0 programs for 1"), "{e}");
    let e = run_system_rtl(&subs, &design, &[vec![]], &[0; 64], 100, &t).unwrap_err();
    assert!(e.message.contains("empty program"), "{e}");
    let single = tessera_rtl_gen::emit(&subs[0]).unwrap();
    let e = run_system_rtl(&subs, &single, &[vec![0]], &[0; 64], 100, &t).unwrap_err();
    assert!(e.message.contains("is not a system"), "{e}");
}

/// Word `i`'s slot of a transfer of `b`-byte words at `w` bytes per cycle (docs/TIMING.md).
fn k(i: u64, b: u64, w: u64) -> u64 {
    kp(i, b, w, 1)
}

/// The same with up to `p` words per cycle: `max(⌊i/p⌋, ⌈(i+1)·b/w⌉ - 1)`.
fn kp(i: u64, b: u64, w: u64, p: u64) -> u64 {
    (i / p).max(((i + 1) * b).div_ceil(w) - 1)
}

/// The three programs of the FIFO cases: sub 0 three SYNCs and a LOAD of `n[0]` input words; sub
/// 1 two weight LOADs of `n[1]` and `n[2]` words (the second from `w2`); sub 2 a STORE of `n[3]`
/// words (to `st`).
fn fifo_programs(n: [u64; 4], w2: u32, st: u32) -> [Vec<tessera_arch::isa::Instr>; 3] {
    use tessera_arch::isa::{unit, Instr, LoadTarget};
    let load = |target, count: u64, dram_addr| Instr::Load {
        target,
        count: count as u16,
        dram_addr,
        sram_addr: 0,
    };
    let sync = Instr::Sync { mask: unit::DMA };
    [
        vec![
            sync,
            sync,
            sync,
            load(LoadTarget::Input, n[0], 0),
            Instr::Halt,
        ],
        vec![
            load(LoadTarget::Weight, n[1], 16),
            load(LoadTarget::Weight, n[2], w2),
            Instr::Halt,
        ],
        vec![
            Instr::Store {
                count: n[3] as u16,
                dram_addr: st,
                sram_addr: 0,
            },
            Instr::Halt,
        ],
    ]
}

/// Hand-written programs on a system sharing one image: both engines of the cycle simulator and
/// the RTL (emitted as `name`) must each give `expected` cycles; the RTL's run.
fn hand_timed(
    name: &str,
    subs: &[Arch],
    programs: &[Vec<tessera_arch::isa::Instr>],
    image: &[u8],
    expected: &[u64],
    t: &Tools,
) -> SystemRtlRun {
    let progs: Vec<Program> = programs
        .iter()
        .map(|p| Program { instrs: p.clone() })
        .collect();
    for engine in [tessera_sim::Engine::Event, tessera_sim::Engine::Stepped] {
        let runs = tessera_sim::simulate_system(
            subs.iter()
                .zip(&progs)
                .map(|(arch, program)| tessera_sim::SubRun {
                    arch,
                    program,
                    dram: image.to_vec(),
                })
                .collect(),
            &SimOptions {
                engine,
                ..SimOptions::default()
            },
        )
        .unwrap();
        let c: Vec<u64> = runs.iter().map(|r| r.report.cycles.get()).collect();
        assert_eq!(c, expected, "{engine:?}");
    }
    let design = emit_system(name, subs).unwrap();
    let encoded: Vec<Vec<u128>> = progs.iter().map(Program::encode).collect();
    let r = run_system_rtl(subs, &design, &encoded, image, 10_000, t).unwrap();
    assert_eq!(r.cycles, expected, "RTL");
    r
}

/// The system's cycles by both engines of the cycle simulator, each sub-accelerator on its own
/// (unrelocated) image: they must agree, and the RTL must match them.
fn sim_cycles(solos: &[Solo]) -> Vec<u64> {
    let mut out = vec![];
    for engine in [tessera_sim::Engine::Event, tessera_sim::Engine::Stepped] {
        let runs = tessera_sim::simulate_system(
            solos
                .iter()
                .map(|s| tessera_sim::SubRun {
                    arch: &s.arch,
                    program: &s.program,
                    dram: s.initial.clone(),
                })
                .collect(),
            &SimOptions {
                engine,
                ..SimOptions::default()
            },
        )
        .unwrap();
        for (r, s) in runs.iter().zip(solos) {
            assert_eq!(r.dram, s.fin, "{engine:?}: {} outputs", s.arch.name());
        }
        out.push(
            runs.iter()
                .map(|r| r.report.cycles.get())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(out[0], out[1], "the event and stepped engines");
    out.swap_remove(0)
}

/// Sub-accelerators moving several words per cycle on one channel (P = 2 and 4 on a 16 B/cycle
/// channel, wider than their input and weight words): the RTL's cycles equal the simulator's (both
/// engines) and every region is the solo run's; they contend, and both run faster than the same
/// layers with one word per cycle.
#[test]
fn subs_with_several_words_per_cycle_match_the_simulator() {
    let (w, l) = (16, 20);
    let layers = [gemm(24, 40, 12), conv(6, 7, 8)];
    let bases = [arch("ws_4x4", w, l, false), arch("os_4x4", w, l, false)];
    let wide: Vec<Solo> = bases
        .iter()
        .zip([2, 4])
        .zip(&layers)
        .enumerate()
        .map(|(i, ((a, p), layer))| solo(&with_lanes(a, p), layer, 10 + i as u64))
        .collect();
    let narrow: Vec<Solo> = bases
        .iter()
        .zip(&layers)
        .enumerate()
        .map(|(i, (a, layer))| solo(a, layer, 10 + i as u64))
        .collect();
    let want = sim_cycles(&wide);
    let one = sim_cycles(&narrow);
    let Some(r) = run("lanes", &wide) else { return };
    assert_eq!(r.cycles, want, "RTL vs simulator, P = 2 and 4");
    for (s, solo) in wide.iter().enumerate() {
        assert!(r.cycles[s] >= solo.cycles, "sub {s}: {:?}", r.cycles);
    }
    assert!(
        r.cycles.iter().zip(&wide).any(|(c, s)| *c > s.cycles),
        "the two must contend: {:?}",
        r.cycles
    );
    assert!(
        r.cycles.iter().zip(&one).all(|(p, o)| p < o),
        "several words per cycle: {:?}, one: {one:?}",
        r.cycles
    );
    let Some(r1) = run("lanes1", &narrow) else {
        return;
    };
    assert_eq!(r1.cycles, one, "RTL vs simulator, P = 1");
    println!(
        "lanes: P = 2, 4: {:?} cycles; P = 1: {one:?} cycles",
        r.cycles
    );
}

/// A mixed system: one word per cycle, two, and eight (with stores on several lanes: 32 B/cycle
/// is wider than the accumulator words), different dataflows and bus widths, one of them gathering
/// a convolution. The RTL's cycles equal the simulator's, every region the solo run's.
#[test]
fn mixed_words_per_cycle_match_the_simulator() {
    let (w, l) = (32, 9);
    let solos = [
        solo(&arch("ws_2x3", w, l, false), &gemm(13, 17, 9), 21),
        solo(
            &with_lanes(&arch("is_2x3", w, l, false), 2),
            &conv(4, 5, 5),
            22,
        ),
        solo(
            &with_lanes(&arch("os_4x4", w, l, false), 8),
            &gemm(20, 33, 14),
            23,
        ),
    ];
    assert!(solos[2].arch.store_lanes() > 1, "a STORE on several lanes");
    let want = sim_cycles(&solos);
    let Some(r) = run("mixed", &solos) else {
        return;
    };
    assert_eq!(r.cycles, want, "RTL vs simulator");
    println!("mixed: {:?} cycles", r.cycles);
}

/// Hand-written programs whose grants docs/TIMING.md fixes exactly: sub 1 and sub 2 issue in cycle 0
/// (a tie: the lower index first), sub 0 three cycles later (after the tie, although its index is
/// lower: first come, first served); a STORE holds the channel through its last beat; sub 1's second
/// LOAD, issued after sub 0 began requesting, waits behind it.
#[test]
fn grants_follow_the_contract_exactly() {
    use tessera_arch::isa::Instr;
    let Some(t) = tools(false) else { return };
    let a = arch("ws_2x3", 2, 5, false);
    let (w, l) = (2u64, 5u64);
    let (bi, bw, bs) = (
        u64::from(a.input().word_bytes()),
        u64::from(a.weight().word_bytes()),
        u64::from(a.accumulator().word_bytes()),
    );
    let (n0, n1, n1b, n2) = (4u64, 3u64, 2u64, 2u64);
    let programs = fifo_programs([n0, n1, n1b, n2], 32, 128);
    // the contract, transfer by transfer (a transfer's last busy cycle D; HALT completes in D + 1,
    // so the count is D + 2)
    let want0 = 4; // sub 0's LOAD issues in cycle 3
    let g1 = 1; // tie with sub 2 in cycle 1: index 1 first
    let d1 = g1 + l + k(n1 - 1, bw, w);
    let g2 = g1 + k(n1 - 1, bw, w) + 1; // the LOAD held through its last request
    let g0 = g2 + k(n2 - 1, bs, w) + 2; // the STORE held through its last beat
    let d2 = g2 + k(n2 - 1, bs, w) + 1 + l;
    let want1b = d1 + 2; // sub 1's second LOAD issues in d1 + 1
    assert!(
        want0 < g2 && want0 < want1b && want1b < g0,
        "the case must queue"
    );
    let d0 = g0 + l + k(n0 - 1, bi, w);
    let g1b = g0 + k(n0 - 1, bi, w) + 1;
    let d1b = g1b + l + k(n1b - 1, bw, w);
    let expected = [d0 + 2, d1b + 2, d2 + 2];

    let subs = [a.clone(), a.clone(), a.clone()];
    let design = emit_system("fifo", &subs).unwrap();
    let encoded: Vec<Vec<u128>> = programs
        .iter()
        .map(|p| p.iter().map(Instr::encode).collect())
        .collect();
    let image: Vec<u8> = (0..256u32).map(|i| i as u8).collect();
    let r = run_system_rtl(&subs, &design, &encoded, &image, 10_000, &t).unwrap();
    assert_eq!(r.cycles, expected);
    println!("fifo: cycles {:?}", r.cycles);
}

/// Hand-written programs on one 32 B/cycle channel whose grants docs/TIMING.md fixes exactly, with
/// each sub's own P: sub 1 (P = 2) and sub 2 (P = 4) issue in cycle 0, sub 0 (P = 1) three cycles
/// later. Sub 1's LOAD holds the channel through its last request g + k_{n-1} with P = 2; sub 2's
/// STORE (S = 4 write lanes for 12-byte words) through its last beat g + k_{n-1} + 1 with P = 4; a
/// granted transfer is paced from its grant, not from its issue.
#[test]
fn grants_with_several_words_per_cycle_follow_the_contract_exactly() {
    let Some(t) = tools(false) else { return };
    let (w, l) = (32u64, 5u64);
    let a0 = arch("ws_2x3", w as i64, l as i64, false);
    let a1 = with_lanes(&a0, 2);
    let a2 = with_lanes(&a0, 4);
    assert_eq!(a2.store_lanes(), 4);
    let (bi, bw, bs) = (
        u64::from(a0.input().word_bytes()),
        u64::from(a0.weight().word_bytes()),
        u64::from(a0.accumulator().word_bytes()),
    );
    let (n0, n1, n1b, n2) = (9u64, 11u64, 6u64, 16u64);
    let programs = fifo_programs([n0, n1, n1b, n2], 64, 256);
    let (p0, p1, p2) = (1, 2, 4);
    let want0 = 4; // sub 0's LOAD issues in cycle 3
    let g1 = 1; // tie with sub 2 in cycle 1: index 1 first
    let d1 = g1 + l + kp(n1 - 1, bw, w, p1);
    let g2 = g1 + kp(n1 - 1, bw, w, p1) + 1; // the LOAD held through its last request
    let g0 = g2 + kp(n2 - 1, bs, w, p2) + 2; // the STORE held through its last beat
    let d2 = g2 + kp(n2 - 1, bs, w, p2) + 1 + l;
    let want1b = d1 + 2; // sub 1's second LOAD issues in d1 + 1
    assert!(
        want0 < g2 && want0 < want1b && want1b < g0,
        "the case must queue: {want0} {g2} {want1b} {g0}"
    );
    let d0 = g0 + l + kp(n0 - 1, bi, w, p0);
    let g1b = g0 + kp(n0 - 1, bi, w, p0) + 1;
    let d1b = g1b + l + kp(n1b - 1, bw, w, p1);
    let expected = [d0 + 2, d1b + 2, d2 + 2];
    // the lanes shorten the holds: one word per cycle would pace these transfers more slowly
    assert!(kp(n1 - 1, bw, w, p1) < kp(n1 - 1, bw, w, 1));
    assert!(kp(n2 - 1, bs, w, p2) < kp(n2 - 1, bs, w, 1));

    let subs = [a0, a1, a2];
    let image: Vec<u8> = (0..512u32).map(|i| (i * 7) as u8).collect();
    let r = hand_timed("fifo_lanes", &subs, &programs, &image, &expected, &t);
    println!("fifo_lanes: cycles {:?}", r.cycles);
}

/// `a` with `o` DMA transfer slots (docs/TIMING.md, "Systems": a sub-accelerator's DMA requests
/// the channel for one transfer at a time, the next from the cycle after its current one's request
/// end), named apart.
fn with_slots(a: &Arch, o: i64) -> Arch {
    let mut s = a.spec().clone();
    s.name = format!("{}_o{o}", a.name());
    s.dram.outstanding_transfers = Some(o);
    s.validate().unwrap()
}

/// The hand-timed case of `sim/tests/it/system.rs` (`hand_timed_programs`, worked there step by step
/// from docs/TIMING.md): O = 2, 1 and 4 on a 2 B/cycle channel of latency 5. Grants: A 1, E 5
/// (tie with A in 1, index 0 first), C 12 (requesting since 3, before B, issued earlier but
/// requesting only from A's request end + 1 = 5), B 17, F 20; counts 26, 23 and 28 — the RTL's,
/// and both engines'.
#[test]
fn grants_with_several_transfer_slots_follow_the_rule_by_hand() {
    use tessera_arch::isa::{unit, Instr, LoadTarget};
    let Some(t) = tools(false) else { return };
    let base = arch("ws_2x3", 2, 5, false);
    let subs = [with_slots(&base, 2), base.clone(), with_slots(&base, 4)];
    assert_eq!(
        (
            base.input().word_bytes(),
            base.weight().word_bytes(),
            base.accumulator().word_bytes()
        ),
        (2, 3, 12)
    );
    let load = |target, count, dram_addr| Instr::Load {
        target,
        count,
        dram_addr,
        sram_addr: 0,
    };
    let sync = Instr::Sync { mask: unit::DMA };
    let programs = [
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
    ];
    let expected = [26u64, 23, 28];
    let image: Vec<u8> = (0..256u32).map(|i| (i * 5) as u8).collect();
    let r = hand_timed("slots_hand", &subs, &programs, &image, &expected, &t);
    // sub 2's STORE wrote the zero accumulator word; nothing else changed
    let mut want = image.clone();
    want[128..140].fill(0);
    assert!(r.dram == want, "{}", first_diff(&r.dram, &want));
    println!("slots_hand: cycles {:?}", r.cycles);
}

/// The testbench counts each sub-accelerator's transfers in flight against its slots: the RTL of
/// a system with O = 2 and 1 run by a testbench told every sub has one slot fails as a contract
/// violation when sub 0 starts its second LOAD while the first is in flight.
#[test]
fn a_sub_with_more_transfers_in_flight_than_slots_is_caught() {
    use tessera_arch::isa::{Instr, LoadTarget};
    let Some(t) = tools(false) else { return };
    let base = arch("ws_2x3", 2, 5, false);
    let subs = [with_slots(&base, 2), base.clone()];
    let design = emit_system("slots_bad", &subs).unwrap();
    let load = |target, count, dram_addr| Instr::Load {
        target,
        count,
        dram_addr,
        sram_addr: 0,
    };
    let programs = [
        vec![
            load(LoadTarget::Input, 4, 0),
            load(LoadTarget::Weight, 2, 16),
            Instr::Halt,
        ],
        vec![Instr::Halt],
    ];
    let encoded: Vec<Vec<u128>> = programs
        .iter()
        .map(|p| p.iter().map(Instr::encode).collect())
        .collect();
    let image: Vec<u8> = (0..256u32).map(|i| (i * 5) as u8).collect();
    // the testbench of the system as emitted passes: sub 0's input LOAD is granted in 1 and holds
    // the channel through 4, its weight LOAD is granted in 5 while the input's words still arrive
    // (through 1 + 3 + L = 9); its two 3-byte words take k = 1, 2 on the 2 B/cycle channel, the
    // last arrives in 5 + 2 + L = 12, the HALT completes in 13: 14 cycles
    let r = run_system_rtl(&subs, &design, &encoded, &image, 10_000, &t).unwrap();
    assert_eq!(r.cycles[0], 14);
    // one that believes sub 0 has one slot catches its second transfer
    let told = [base.clone(), base];
    let e = run_system_rtl(&told, &design, &encoded, &image, 10_000, &t).unwrap_err();
    assert!(e.message.contains("CONTRACT VIOLATION"), "{e}");
    assert!(e.message.contains("transfer(s) in flight"), "{e}");
}

/// A mixed system of real layers with O = 1, 2 and 4 (and one sub also moving two words per
/// cycle): the RTL's cycles equal both engines', every region is the solo run's, and the subs with
/// several slots run their layers faster alone than with one.
#[test]
fn mixed_transfer_slots_match_the_simulator() {
    let (w, l) = (8, 30);
    let bases = [
        arch("ws_4x4", w, l, false),
        arch("os_4x4", w, l, false),
        with_lanes(&arch("is_2x3", w, l, false), 2),
    ];
    let layers = [gemm(20, 36, 10), conv(5, 6, 6), gemm(14, 22, 9)];
    let solos: Vec<Solo> = bases
        .iter()
        .zip([1, 2, 4])
        .zip(&layers)
        .enumerate()
        .map(|(i, ((a, o), layer))| solo(&with_slots(a, o), layer, 30 + i as u64))
        .collect();
    for (i, (a, layer)) in bases.iter().zip(&layers).enumerate().skip(1) {
        let one = solo(a, layer, 30 + i as u64);
        assert!(
            solos[i].cycles < one.cycles,
            "{}: O > 1 {} cycles, O = 1 {}",
            a.name(),
            solos[i].cycles,
            one.cycles
        );
    }
    let want = sim_cycles(&solos);
    let Some(r) = run("slots_mix", &solos) else {
        return;
    };
    assert_eq!(r.cycles, want, "RTL vs simulator, O = 1, 2, 4");
    assert!(
        r.cycles.iter().zip(&solos).any(|(c, s)| *c > s.cycles),
        "the three must contend: {:?}",
        r.cycles
    );
    println!(
        "slots_mix: {:?} cycles, solo {:?}",
        r.cycles,
        solos.iter().map(|s| s.cycles).collect::<Vec<_>>()
    );
}

/// A system whose subs keep 1, 2 and 4 transfers in flight (one also with two words per cycle):
/// lint clean, no latch, every flip-flop with its synchronous reset; the subs with several slots
/// tell the arbiter when their request side takes a transfer.
#[test]
fn a_system_with_several_transfer_slots_lints_clean_and_synthesises_without_latches() {
    let Some(t) = tools(true) else { return };
    let (w, l) = (8, 7);
    let subs = [
        arch("ws_2x3", w, l, false),
        with_slots(&arch("os_2x3", w, l, false), 2),
        with_slots(&with_lanes(&arch("is_2x3", w, l, false), 2), 4),
    ];
    let design = emit_system("slots_mix", &subs).unwrap();
    for a in &subs[1..] {
        let top = &design
            .files
            .iter()
            .find(|f| f.name == format!("{}_top.v", a.name()))
            .unwrap()
            .text;
        assert!(top.contains("assign dram_issue = dma_take;"), "{top}");
    }
    let lint = tessera_verif::lint(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(lint.files, design.files.len());
    let r = tessera_verif::synth(&design, &t).unwrap_or_else(|e| panic!("{e}"));
    r.require_no_latches(&design.top).unwrap();
    assert_eq!(r.latches, 0);
    let unreset = r.unreset_flip_flops();
    assert!(unreset.is_empty(), "flip-flops without reset: {unreset:?}");
    println!("slots_mix: {} cells", r.cells);
}
