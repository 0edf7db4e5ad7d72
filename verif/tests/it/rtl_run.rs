//! Hand-written programs on the generated RTL under Verilator, for every dataflow: the output bytes
//! must equal a plain int8 GEMM, and the cycle count, the DRAM image and the event trace must equal
//! what docs/TIMING.md gives for the program — computed by the contract's executable form (the event
//! engine, whose unit times are `tessera_sim::contract`). With tracing on the run must be otherwise
//! identical.

use crate::common;

use common::{assert_trace, contract_run, first_diff, tools, Gemm, IsGemm, OsGemm};
use tessera_arch::isa::{unit, Instr, LoadTarget};
use tessera_arch::{Arch, Dataflow};

fn builtin(name: &str) -> Arch {
    tessera_arch::builtin::arch(name).unwrap()
}

/// A built-in with a slower DRAM (and its own name, so its RTL is a different design).
fn slow(base: &str, name: &str, bytes_per_cycle: i64, latency: i64) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec(base).unwrap();
    s.name = name.into();
    s.dram.bytes_per_cycle = bytes_per_cycle;
    s.dram.latency_cycles = latency;
    s.validate().unwrap()
}

/// 9×2 with three banks of non-power-of-two depth per buffer, an input word wider than the
/// accumulator word (so the memory bus is wider than a store beat) and W = 5, L = 3.
fn odd() -> Arch {
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3").unwrap();
    s.name = "odd_9x2".into();
    s.array.rows = 9;
    s.array.cols = 2;
    s.buffers.input = tessera_arch::spec::BufferSpec {
        capacity_bytes: 9 * 3 * 10,
        banks: 3,
        ports: Default::default(),
    };
    s.buffers.weight = tessera_arch::spec::BufferSpec {
        capacity_bytes: 2 * 3 * 10,
        banks: 3,
        ports: Default::default(),
    };
    s.buffers.accumulator = tessera_arch::spec::BufferSpec {
        capacity_bytes: 8 * 3 * 6,
        banks: 3,
        ports: Default::default(),
    };
    s.dram.bytes_per_cycle = 5;
    s.dram.latency_cycles = 3;
    let a = s.validate().unwrap();
    assert_eq!(
        (
            a.input().bank_depth(),
            a.weight().bank_depth(),
            a.accumulator().bank_depth()
        ),
        (10, 10, 6)
    );
    a
}

/// Buffer bases one word before a bank boundary when the buffer has several banks, so transfers and
/// tiles straddle two banks.
fn bases(arch: &Arch) -> (u32, u32, u32) {
    let straddle = |b: &tessera_arch::Buffer, words: u32| -> u32 {
        if b.banks() > 1 && b.bank_depth() >= words {
            b.bank_depth() - words / 2
        } else {
            0
        }
    };
    (
        straddle(arch.input(), 2),
        straddle(arch.weight(), arch.rows()),
        straddle(arch.accumulator(), 2),
    )
}

/// LOAD input + LOAD weight + SYNC + COMPUTE + COMPUTE (accumulate) + SYNC + STORE + HALT.
fn simple_program(arch: &Arch, g: &Gemm) -> Vec<Instr> {
    let (r, m) = (arch.rows() as u16, g.m as u16);
    let (ib, wb, ob) = bases(arch);
    vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: 2 * m,
            dram_addr: g.a_addr,
            sram_addr: ib,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: 2 * r,
            dram_addr: g.b_addr,
            sram_addr: wb,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: m,
            in_addr: ib,
            w_addr: wb,
            out_addr: ob,
            accumulate: false,
        },
        Instr::Compute {
            len: m,
            in_addr: ib + u32::from(m),
            w_addr: wb + u32::from(r),
            out_addr: ob,
            accumulate: true,
        },
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: m,
            dram_addr: g.c_addr,
            sram_addr: ob,
        },
        Instr::Halt,
    ]
}

/// The same GEMM with the DMA working while the array computes: the second tile's loads overlap the
/// first COMPUTE, the second COMPUTE waits for the compute unit, SYNC masks 0 and 3 appear.
fn overlapped_program(arch: &Arch, g: &Gemm) -> Vec<Instr> {
    let (r, m) = (arch.rows() as u16, g.m as u16);
    let (rb, mb) = (u32::from(r) * arch.cols(), u32::from(m) * arch.rows());
    let (ib, wb, ob) = bases(arch);
    vec![
        Instr::Load {
            target: LoadTarget::Weight,
            count: r,
            dram_addr: g.b_addr,
            sram_addr: wb,
        },
        Instr::Load {
            target: LoadTarget::Input,
            count: m,
            dram_addr: g.a_addr,
            sram_addr: ib,
        },
        Instr::Sync { mask: 0 },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: m,
            in_addr: ib,
            w_addr: wb,
            out_addr: ob,
            accumulate: false,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: r,
            dram_addr: g.b_addr + rb,
            sram_addr: wb + u32::from(r),
        },
        Instr::Load {
            target: LoadTarget::Input,
            count: m,
            dram_addr: g.a_addr + mb,
            sram_addr: ib + u32::from(m),
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: m,
            in_addr: ib + u32::from(m),
            w_addr: wb + u32::from(r),
            out_addr: ob,
            accumulate: true,
        },
        Instr::Sync {
            mask: unit::DMA | unit::COMPUTE,
        },
        Instr::Store {
            count: m,
            dram_addr: g.c_addr,
            sram_addr: ob,
        },
        Instr::Halt,
    ]
}

/// Run `prog` on the RTL with and without the trace; the DRAM must be `want`, and cycles, DRAM and
/// trace must equal the contract's.
fn check_program(arch: &Arch, dram: &[u8], want: &[u8], prog: &[Instr]) {
    let Some(t) = tools(false) else { return };
    let design = tessera_rtl_gen::emit(arch).unwrap();
    let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
    let run = tessera_verif::run_rtl(arch, &design, &words, dram, 100_000, &t).unwrap();
    assert!(
        run.dram == want,
        "{}: DRAM after the run differs from the GEMM: {}",
        arch.name(),
        first_diff(&run.dram, want)
    );
    let (cycles, contract_dram, contract_trace) = contract_run(arch, prog, dram);
    println!(
        "{}: {} instructions, {} cycles",
        arch.name(),
        prog.len(),
        run.cycles
    );
    assert_eq!(
        run.cycles,
        cycles,
        "{}: RTL cycle count vs docs/TIMING.md",
        arch.name()
    );
    assert!(
        contract_dram == want,
        "{}: the event engine's DRAM",
        arch.name()
    );
    assert_eq!(run.trace, None);
    // the same run with the event trace: same cycles and bytes, the contract's trace
    let traced = tessera_verif::run_rtl_traced(arch, &design, &words, dram, 100_000, &t).unwrap();
    assert_eq!(
        traced.cycles,
        run.cycles,
        "{}: tracing changed the cycle count",
        arch.name()
    );
    assert!(
        traced.dram == run.dram,
        "{}: tracing changed the DRAM image",
        arch.name()
    );
    assert_trace(
        arch.name(),
        traced.trace.as_deref().unwrap(),
        &contract_trace,
    );
}

fn check(arch: &Arch, g: &Gemm, prog: &[Instr]) {
    check_program(arch, &g.dram, &g.expected_dram(), prog);
}

/// An output-stationary tile in two k-chunks: LOAD input, LOAD weight, SYNC, COMPUTE (k1 steps),
/// COMPUTE (the rest, accumulating), SYNC, STORE the R drained rows, HALT.
fn os_program(arch: &Arch, g: &OsGemm) -> Vec<Instr> {
    let (k, k1) = (g.k as u16, (g.k as u16).div_ceil(2));
    let (ib, wb, ob) = bases(arch);
    vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: k,
            dram_addr: g.a_addr,
            sram_addr: ib,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: k,
            dram_addr: g.b_addr,
            sram_addr: wb,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: k1,
            in_addr: ib,
            w_addr: wb,
            out_addr: ob,
            accumulate: false,
        },
        Instr::Compute {
            len: k - k1,
            in_addr: ib + u32::from(k1),
            w_addr: wb + u32::from(k1),
            out_addr: ob,
            accumulate: true,
        },
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: arch.rows() as u16,
            dram_addr: g.c_addr,
            sram_addr: ob,
        },
        Instr::Halt,
    ]
}

fn check_os(arch: &Arch, k: usize, seed: u64) {
    assert_eq!(arch.dataflow(), Dataflow::OutputStationary);
    let g = OsGemm::new(arch, k, seed);
    check_program(arch, &g.dram, &g.expected_dram(), &os_program(arch, &g));
}

/// An input-stationary tile pair: LOAD the 2R input words (rows of A^T) and the 2N weight words
/// (columns of B), SYNC, COMPUTE (first k-tile, N streamed), COMPUTE (second, accumulating), SYNC,
/// STORE the N output words, HALT. The input tile straddles a bank boundary when it can.
fn is_program(arch: &Arch, g: &IsGemm) -> Vec<Instr> {
    let (r, n) = (arch.rows() as u16, g.n as u16);
    let straddle = |b: &tessera_arch::Buffer, words: u32| -> u32 {
        if b.banks() > 1 && b.bank_depth() >= words {
            b.bank_depth() - words / 2
        } else {
            0
        }
    };
    let (ib, wb, ob) = (
        straddle(arch.input(), arch.rows()),
        straddle(arch.weight(), 2),
        straddle(arch.accumulator(), 2),
    );
    vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: 2 * r,
            dram_addr: g.a_addr,
            sram_addr: ib,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: 2 * n,
            dram_addr: g.b_addr,
            sram_addr: wb,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: n,
            in_addr: ib,
            w_addr: wb,
            out_addr: ob,
            accumulate: false,
        },
        Instr::Compute {
            len: n,
            in_addr: ib + u32::from(r),
            w_addr: wb + u32::from(n),
            out_addr: ob,
            accumulate: true,
        },
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: n,
            dram_addr: g.c_addr,
            sram_addr: ob,
        },
        Instr::Halt,
    ]
}

fn check_is(arch: &Arch, k: usize, n: usize, seed: u64) {
    assert_eq!(arch.dataflow(), Dataflow::InputStationary);
    let g = IsGemm::new(arch, k, n, seed);
    check_program(arch, &g.dram, &g.expected_dram(), &is_program(arch, &g));
}

/// The event trace of LOAD + LOAD + SYNC + COMPUTE + SYNC + STORE + HALT on ws_2x3 with a slow DRAM
/// (W = 1, L = 5), against docs/TIMING.md's formulas, and against the same lines derived by hand.
#[test]
fn trace_of_a_small_program_follows_the_contract() {
    let Some(t) = tools(false) else { return };
    let a = slow("ws_2x3", "ws_2x3_w1_l5", 1, 5);
    let (r, m) = (a.rows() as u16, 3u16);
    let g = Gemm::new(&a, usize::from(m), usize::from(r), 11); // K = R: one weight tile
    let prog = vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: m,
            dram_addr: g.a_addr,
            sram_addr: 0,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: r,
            dram_addr: g.b_addr,
            sram_addr: 0,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Compute {
            len: m,
            in_addr: 0,
            w_addr: 0,
            out_addr: 0,
            accumulate: false,
        },
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: m,
            dram_addr: g.c_addr,
            sram_addr: 0,
        },
        Instr::Halt,
    ];
    let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
    let design = tessera_rtl_gen::emit(&a).unwrap();
    let plain = tessera_verif::run_rtl(&a, &design, &words, &g.dram, 10_000, &t).unwrap();
    let run = tessera_verif::run_rtl_traced(&a, &design, &words, &g.dram, 10_000, &t).unwrap();
    assert_eq!(plain.trace, None);
    assert_eq!(run.cycles, plain.cycles, "tracing changed the cycle count");
    assert!(run.dram == plain.dram, "tracing changed the DRAM image");
    let want_dram = g.expected_dram();
    assert!(
        run.dram == want_dram,
        "{}",
        first_diff(&run.dram, &want_dram)
    );
    let trace = run.trace.unwrap();
    println!("{}", trace.join("\n"));

    // From the contract's executable form.
    let (cycles, _, contract_trace) = contract_run(&a, &prog, &g.dram);
    assert_trace(a.name(), &trace, &contract_trace);
    assert_eq!(run.cycles, cycles);

    // The same by hand: R = 2, C = 3, W = 1, L = 5, so k_i = 2i+1 for input words (b = 2), 3i+2 for
    // weight words (b = 3), 12i+11 for store beats (b = 12).
    //   LOAD input issued at 0, tau 0 = 1: requests at 1+{1,3,5}, words 5 cycles later; done 11.
    //   LOAD weight waits for the DMA, issued at 12, tau 0 = 13: requests at 13+{2,5}, words at
    //   13+5+{2,5}; done 23.
    //   SYNC passes in 24, COMPUTE issued at 25: busy 26 ..= 26 + 2R+C+M - 1 = 35.
    //   SYNC waits through 35, passes in 36; STORE issued at 37, tau 0 = 38: beats at 38+{11,23,35}+1,
    //   acknowledged (done) at 38 + 35 + 1 + 5 = 79. HALT completes in 80: 81 cycles.
    let (ad, bd) = (g.a_addr, g.b_addr);
    let by_hand = [
        "0 ctrl issue pc=0 LOAD".to_string(),
        format!("2 dma rreq 0 addr={ad} stride=1 first=0 count=2"),
        format!("4 dma rreq 1 addr={} stride=1 first=0 count=2", ad + 2),
        format!("6 dma rreq 2 addr={} stride=1 first=0 count=2", ad + 4),
        "7 dma rbeat 0".into(),
        "9 dma rbeat 1".into(),
        "11 dma rbeat 2".into(),
        "11 dma done".into(),
        "12 ctrl issue pc=1 LOAD".into(),
        format!("15 dma rreq 0 addr={bd} stride=1 first=0 count=3"),
        format!("18 dma rreq 1 addr={} stride=1 first=0 count=3", bd + 3),
        "20 dma rbeat 0".into(),
        "23 dma rbeat 1".into(),
        "23 dma done".into(),
        "25 ctrl issue pc=3 COMPUTE".into(),
        "35 compute done".into(),
        "37 ctrl issue pc=5 STORE".into(),
        "50 dma wbeat 0".into(),
        "62 dma wbeat 1".into(),
        "74 dma wbeat 2".into(),
        "79 dma done".into(),
        "80 ctrl halt".into(),
    ];
    assert_trace(a.name(), &trace, &by_hand);
    assert_eq!(run.cycles, 81);
    for l in &trace {
        assert!(
            !l.contains("  ") && !l.ends_with(' ') && !l.contains('\r'),
            "{l:?}"
        );
    }
}

#[test]
fn ws_1x1_gemm() {
    let a = builtin("ws_1x1");
    let g = Gemm::new(&a, 3, 2, 1);
    check(&a, &g, &simple_program(&a, &g));
}

#[test]
fn ws_2x3_gemm() {
    let a = builtin("ws_2x3");
    let g = Gemm::new(&a, 5, 3, 2);
    check(&a, &g, &simple_program(&a, &g));
}

#[test]
fn ws_2x3_gemm_overlapped() {
    let a = builtin("ws_2x3");
    let g = Gemm::new(&a, 4, 4, 3);
    check(&a, &g, &overlapped_program(&a, &g));
}

#[test]
fn ws_4x4_gemm() {
    let a = builtin("ws_4x4");
    let g = Gemm::new(&a, 7, 7, 4);
    check(&a, &g, &simple_program(&a, &g));
}

#[test]
fn ws_4x4_gemm_overlapped() {
    let a = builtin("ws_4x4");
    let g = Gemm::new(&a, 6, 8, 5);
    check(&a, &g, &overlapped_program(&a, &g));
}

#[test]
fn slow_dram_3_bytes_per_cycle() {
    let a = slow("ws_4x4", "ws_4x4_w3", 3, 17);
    let g = Gemm::new(&a, 5, 6, 6);
    check(&a, &g, &simple_program(&a, &g));
    check(&a, &g, &overlapped_program(&a, &g));
}

#[test]
fn slow_dram_1_byte_per_cycle() {
    let a = slow("ws_2x3", "ws_2x3_w1", 1, 17);
    let g = Gemm::new(&a, 3, 4, 7);
    check(&a, &g, &simple_program(&a, &g));
    check(&a, &g, &overlapped_program(&a, &g));
}

#[test]
fn odd_banks_and_wide_input_words() {
    let a = odd();
    let g = Gemm::new(&a, 5, 13, 10);
    check(&a, &g, &simple_program(&a, &g));
    check(&a, &g, &overlapped_program(&a, &g));
}

#[test]
fn is_2x3_gemm() {
    check_is(&builtin("is_2x3"), 3, 7, 11);
}

#[test]
fn is_4x4_gemm_slow_dram() {
    check_is(&slow("is_4x4", "is_4x4_w3", 3, 17), 7, 9, 12);
}

#[test]
fn os_1x1_gemm() {
    check_os(&builtin("os_1x1"), 5, 1);
}

#[test]
fn os_2x3_gemm() {
    check_os(&builtin("os_2x3"), 7, 2);
}

#[test]
fn os_4x4_gemm_slow_dram() {
    check_os(&slow("os_4x4", "os_4x4_w3", 3, 17), 9, 3);
}

#[test]
fn os_odd_banks_and_wide_input_words() {
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_dataflow(Dataflow::OutputStationary);
    s.name = "os_odd_9x2".into();
    s.array.rows = 9;
    s.array.cols = 2;
    let buf = |capacity_bytes| tessera_arch::spec::BufferSpec {
        capacity_bytes,
        banks: 3,
        ports: Default::default(),
    };
    s.buffers.input = buf(9 * 3 * 10);
    s.buffers.weight = buf(2 * 3 * 10);
    s.buffers.accumulator = buf(8 * 3 * 12);
    s.dram.bytes_per_cycle = 5;
    s.dram.latency_cycles = 3;
    check_os(&s.validate().unwrap(), 13, 4);
}

/// An unknown opcode behaves as HALT: it waits for the busy DMA, then ends the program.
#[test]
fn unknown_opcode_halts() {
    let Some(t) = tools(false) else { return };
    let a = builtin("ws_2x3");
    let g = Gemm::new(&a, 2, 2, 8);
    let load = Instr::Load {
        target: LoadTarget::Input,
        count: 2,
        dram_addr: g.a_addr,
        sram_addr: 0,
    };
    let store = Instr::Store {
        count: 1,
        dram_addr: g.c_addr,
        sram_addr: 0,
    };
    let words = [load.encode(), 0xff, store.encode(), Instr::Halt.encode()];
    let design = tessera_rtl_gen::emit(&a).unwrap();
    let run = tessera_verif::run_rtl(&a, &design, &words, &g.dram, 10_000, &t).unwrap();
    assert_eq!(
        run.cycles,
        contract_run(&a, &[load, Instr::Halt], &g.dram).0
    );
    assert_eq!(
        run.dram, g.dram,
        "the STORE after the unknown opcode must not run"
    );
}

/// The testbench's DRAM fails loudly when the DMA paces store beats faster than W allows.
#[test]
fn testbench_rejects_fast_store_beats() {
    let Some(t) = tools(false) else { return };
    let a = slow("ws_2x3", "ws_2x3_w1", 1, 17);
    let g = Gemm::new(&a, 3, 4, 9);
    let mut design = tessera_rtl_gen::emit(&a).unwrap();
    let dma = design
        .files
        .iter_mut()
        .find(|f| f.name.ends_with("_dma.v"))
        .unwrap();
    let paced = "wire issue = busy && store_q && issuing && credit_ok;";
    assert!(dma.text.contains(paced));
    dma.text = dma
        .text
        .replace(paced, "wire issue = busy && store_q && issuing;");
    let words: Vec<u128> = simple_program(&a, &g).iter().map(Instr::encode).collect();
    let e = tessera_verif::run_rtl(&a, &design, &words, &g.dram, 100_000, &t).unwrap_err();
    assert!(
        e.message.contains("CONTRACT VIOLATION") && e.message.contains("early"),
        "{e}"
    );
}

/// A program that never halts hits the cycle limit.
#[test]
fn timeout_is_an_error() {
    let Some(t) = tools(false) else { return };
    let a = builtin("ws_1x1");
    let design = tessera_rtl_gen::emit(&a).unwrap();
    // 64 SYNCs take 64 cycles before the HALT after them (zeroed memory): a limit of 30 is too short.
    let words = vec![Instr::Sync { mask: 0 }.encode(); 64];
    let e = tessera_verif::run_rtl(&a, &design, &words, &[0u8; 16], 30, &t).unwrap_err();
    assert!(e.message.contains("timed out"), "{e}");
}

/// ws_1x1 with `o` DMA transfers in flight, W = 4 (one word per cycle) and L = 30.
fn slots_1x1(o: i64) -> Arch {
    let mut s = tessera_arch::builtin::arch_spec("ws_1x1").unwrap();
    s.name = format!("ws_1x1_o{o}");
    s.dram.bytes_per_cycle = 4;
    s.dram.latency_cycles = 30;
    s.dram.outstanding_transfers = Some(o);
    s.validate().unwrap()
}

/// Four one-word LOADs back to back: with two slots the third waits for the first's word.
fn four_loads() -> Vec<Instr> {
    let mut p: Vec<Instr> = (0..4)
        .map(|i| Instr::Load {
            target: LoadTarget::Input,
            count: 1,
            dram_addr: 16 + i,
            sram_addr: i,
        })
        .collect();
    p.extend([Instr::Sync { mask: unit::DMA }, Instr::Halt]);
    p
}

/// A STORE and a LOAD right after it: the LOAD's first request comes the cycle after the STORE's
/// last beat, while the STORE awaits its acknowledgement.
fn store_then_load() -> Vec<Instr> {
    vec![
        Instr::Store {
            count: 2,
            dram_addr: 0,
            sram_addr: 0,
        },
        Instr::Load {
            target: LoadTarget::Input,
            count: 1,
            dram_addr: 32,
            sram_addr: 0,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::Halt,
    ]
}

/// The DRAM image of the slot programs: zeros where the STORE writes (the accumulator is zero).
fn slots_dram() -> Vec<u8> {
    (0..64u8).map(|i| if i < 8 { 0 } else { i }).collect()
}

/// Several transfers in flight (docs/TIMING.md, "DMA unit and the DRAM port"): back-to-back LOADs
/// (the third waits for a slot), a LOAD behind a STORE, and the GEMM programs with their loads
/// overlapping the latency, each with the contract's cycles, DRAM and event trace.
#[test]
fn transfer_slots_follow_the_contract() {
    let a = slots_1x1(2);
    let dram = slots_dram();
    check_program(&a, &dram, &dram, &four_loads());
    check_program(&a, &dram, &dram, &store_then_load());
    let g = Gemm::new(&a, 3, 2, 5);
    check(&a, &g, &simple_program(&a, &g));
    check(&a, &g, &overlapped_program(&a, &g));
}

/// The testbench's DRAM refuses what the contract rules out with several slots, in a DMA with two
/// faults: a controller that issues without looking at `dma_full` (a third transfer while two await
/// their words), and a request side that ends a STORE at its last accumulator read instead of its
/// last beat (the LOAD behind it presents its request with that beat: interleaved streams).
#[test]
fn testbench_rejects_more_transfers_than_slots_and_interleaved_streams() {
    let Some(t) = tools(false) else { return };
    let a = slots_1x1(2);
    let mut design = tessera_rtl_gen::emit(&a).unwrap();
    for (suffix, from, to) in [
        ("_ctrl.v", "&& !dma_full;", ";"),
        (
            "_dma.v",
            "(store_q ? mem_wr_last : (ld_issue",
            "(store_q ? (issue && last_idx) : (ld_issue",
        ),
    ] {
        let f = design
            .files
            .iter_mut()
            .find(|f| f.name.ends_with(suffix))
            .unwrap();
        assert!(f.text.contains(from), "{}: {from}", f.name);
        f.text = f.text.replace(from, to);
    }
    for (prog, expect) in [
        (four_loads(), "at most 2 in flight"),
        (store_then_load(), "streams interleave"),
    ] {
        let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
        let e = tessera_verif::run_rtl(&a, &design, &words, &slots_dram(), 10_000, &t).unwrap_err();
        assert!(
            e.message.contains("CONTRACT VIOLATION") && e.message.contains(expect),
            "{e}"
        );
    }
}

/// Three overlapped COMPUTEs on ws_2x3 (R = 2, C = 3, W = 4, L = 12) with double-buffered weights,
/// on each interconnect, timed by hand from docs/TIMING.md ("double-buffered weights": `P_j =
/// max(c_j + 1, s_{j-1} + 1 + s_{R-1} + h_{C-1})`, `s_j = max(P_j + R, s_{j-1} + M_{j-1})`,
/// `D_j = s_j + (X - R) + M_j - 1`): the RTL, the event engine and the stepped engine all issue and
/// finish every COMPUTE in the cycles derived here, with the same trace, cycles and DRAM.
///
/// The program: LOAD 4 weight words (both K-tiles), LOAD 6 input words, SYNC dma, COMPUTE
/// (K-tile 0, M = 3), COMPUTE (K-tile 1, M = 3, accumulating), COMPUTE (K-tile 0 again, M = 1,
/// into a word not stored), SYNC dma|compute, STORE 3, HALT.
/// - weight words (3 B): k = 0, 1, 2, 3 → the first LOAD is busy 12 + 3 + 1 = 16 cycles (1..16);
///   the input LOAD issues at 17, 6 words of 2 B (k_i = i), busy 12 + 5 + 1 = 18 (18..35); SYNC
///   passes at 36; COMPUTE 0 issues at c_0 = 37: P_0 = 38, s_0 = 40.
/// - COMPUTE j+1 issues the cycle after s_j (a tile waits until its stream starts).
/// - SYNC passes the cycle after the last D; STORE issues the cycle after that, 3 words of 12 B
///   (k_i = 3i + 2), busy 8 + 12 + 2 = 22; HALT completes the cycle after its done.
///
/// | option            | X - R | reach | s_0 D_0 | c_1 P_1 s_1 D_1 | c_2 P_2 s_2 D_2 | cycles |
/// | Systolic, Chain   |   5   |   4   | 40  47  | 41  44  46  53  | 47  50  52  57  |   83   |
/// | Broadcast, Chain  |   3   |   2   | 40  45  | 41  42  44  49  | 45  46  48  51  |   77   |
/// | Systolic, Tree    |   5   |   3   | 40  47  | 41  43  45  52  | 46  48  50  55  |   81   |
/// | Broadcast, Tree   |   3   |   1   | 40  45  | 41  42  44  49  | 45  46  48  51  |   77   |
///
/// (X = 2R + C = 7, 2R + 1 = 5, R + 2 + D + C - 1 = 7, R + 2 + D = 5 with D = 1; the reach
/// `1 + s_{R-1} + h_{C-1}` = R + C - 1, R, C, 1.)
#[test]
fn overlapped_tiles_with_every_interconnect_follow_the_rule_by_hand() {
    use tessera_arch::{Noc, Reduce, Stream};
    let Some(t) = tools(false) else { return };
    // (stream, reduce, tag, [c_j], [D_j], cycles)
    let cases = [
        (
            Stream::Systolic,
            Reduce::Chain,
            "sc",
            [37, 41, 47],
            [47, 53, 57],
            83,
        ),
        (
            Stream::Broadcast,
            Reduce::Chain,
            "bc",
            [37, 41, 45],
            [45, 49, 51],
            77,
        ),
        (
            Stream::Systolic,
            Reduce::AdderTree,
            "st",
            [37, 41, 46],
            [47, 52, 55],
            81,
        ),
        (
            Stream::Broadcast,
            Reduce::AdderTree,
            "bt",
            [37, 41, 45],
            [45, 49, 51],
            77,
        ),
    ];
    for (stream, reduce, tag, issues, dones, total) in cases {
        let mut s = tessera_arch::builtin::arch_spec("ws_2x3")
            .unwrap()
            .with_noc(Noc { stream, reduce })
            .with_weight_double_buffer(true);
        s.name = format!("ws_2x3_db_{tag}");
        let a = s.validate().unwrap();
        let (r, m) = (2u16, 3u16);
        let g = Gemm::new(&a, usize::from(m), 2 * usize::from(r), 23); // K = 2R: two K-tiles
        let (ib, wb, ob) = (0u32, 0u32, 0u32);
        let prog = vec![
            Instr::Load {
                target: LoadTarget::Weight,
                count: 2 * r,
                dram_addr: g.b_addr,
                sram_addr: wb,
            },
            Instr::Load {
                target: LoadTarget::Input,
                count: 2 * m,
                dram_addr: g.a_addr,
                sram_addr: ib,
            },
            Instr::Sync { mask: unit::DMA },
            Instr::Compute {
                len: m,
                in_addr: ib,
                w_addr: wb,
                out_addr: ob,
                accumulate: false,
            },
            Instr::Compute {
                len: m,
                in_addr: ib + u32::from(m),
                w_addr: wb + u32::from(r),
                out_addr: ob,
                accumulate: true,
            },
            Instr::Compute {
                len: 1,
                in_addr: ib,
                w_addr: wb,
                out_addr: ob + u32::from(m),
                accumulate: false,
            },
            Instr::Sync {
                mask: unit::DMA | unit::COMPUTE,
            },
            Instr::Store {
                count: m,
                dram_addr: g.c_addr,
                sram_addr: ob,
            },
            Instr::Halt,
        ];
        // the RTL against the event engine: DRAM, cycles, trace
        check(&a, &g, &prog);
        // the hand-derived lines, from the RTL's trace
        let design = tessera_rtl_gen::emit(&a).unwrap();
        let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
        let run = tessera_verif::run_rtl_traced(&a, &design, &words, &g.dram, 10_000, &t).unwrap();
        let trace = run.trace.unwrap();
        let compute_lines = |trace: &[String]| -> Vec<String> {
            trace
                .iter()
                .filter(|l| l.contains("COMPUTE") || l.contains("compute done"))
                .cloned()
                .collect()
        };
        let by_hand: Vec<String> = vec![
            format!("{} ctrl issue pc=3 COMPUTE", issues[0]),
            format!("{} ctrl issue pc=4 COMPUTE", issues[1]),
            format!("{} ctrl issue pc=5 COMPUTE", issues[2]),
            format!("{} compute done", dones[0]),
            format!("{} compute done", dones[1]),
            format!("{} compute done", dones[2]),
        ];
        let mut got = compute_lines(&trace);
        got.sort_by_key(|l| {
            (
                l.contains("done"),
                l.split(' ').next().unwrap().parse::<u64>().unwrap(),
            )
        });
        assert_eq!(got, by_hand, "{}: RTL", a.name());
        assert_eq!(run.cycles, total, "{}: RTL cycles", a.name());
        // both engines: the RTL's trace
        let engines = engines_by_hand(&a, &g.dram, &g.expected_dram(), &prog, total);
        assert_eq!(engines, trace, "{}: engines vs RTL trace", a.name());
        println!("{}: COMPUTE done at {dones:?}, {total} cycles", a.name());
    }
}

/// Three overlapped COMPUTEs on os_2x3 (R = 2, C = 3, W = 4, L = 12) with double-buffered sums,
/// systolic and with buses, timed by hand from docs/TIMING.md ("Compute unit: output-stationary
/// with double-buffered sums": `s_j = max(c_j + 1, s_{j-1} + K_{j-1}, D_{j-1} + 1 - K_j)`,
/// `D_j = s_j + K_j + F + R - 1`, F = R + C - 1 = 4 systolic, 1 with buses): the RTL, the event
/// engine and the stepped engine all issue and finish every COMPUTE in the cycles derived here,
/// with the same trace, cycles and DRAM (the three tiles accumulate one 2×3 output over K = 6).
///
/// The program: LOAD 6 weight words, LOAD 6 input words, SYNC dma, COMPUTE (K = 2), COMPUTE
/// (K = 1, accumulating), COMPUTE (K = 3, accumulating), SYNC dma|compute, STORE 2, HALT.
/// - weight words (3 B): the first LOAD is busy 12 + 5 + 1 = 18 cycles (1..18); the input LOAD
///   issues at 19, 6 words of 2 B, busy 18 (20..37); SYNC passes at 38; COMPUTE 0 issues at
///   c_0 = 39, s_0 = 40.
/// - COMPUTE j+1 issues the cycle after s_j (a tile waits until its stream starts).
/// - SYNC passes the cycle after the last D; STORE issues the cycle after that, 2 words of 12 B
///   (k_i = 3i + 2), busy 5 + 12 + 2 = 19; HALT completes the cycle after its done: cycles
///   `D_2 + 23`.
///
/// | option    | F | s_0 D_0 | c_1 s_1 D_1 | c_2 s_2 D_2 | cycles | without the option |
/// | Systolic  | 4 | 40  47  | 41  47  53  | 48  51  59  |   82   | D = 47, 55, 65: 88 |
/// | Broadcast | 1 | 40  44  | 41  44  47  | 45  46  51  |   74   | D = 44, 49, 56: 79 |
///
/// (Systolic: s_1 = max(42, 42, 48 - 1) = 47, s_2 = max(49, 48, 54 - 3) = 51; buses: s_1 =
/// max(42, 42, 45 - 1) = 44, s_2 = max(46, 45, 48 - 3) = 46. Without the option each COMPUTE
/// issues the cycle after the previous one's last cycle and is busy K + F + R, so D_j = c_j + K_j +
/// F + R: 39 + 8, 48 + 7, 56 + 9 systolic, 39 + 5, 45 + 4, 50 + 6 with buses.)
#[test]
fn double_buffered_sums_follow_the_rule_by_hand() {
    use tessera_arch::{Noc, Reduce, Stream};
    let Some(t) = tools(false) else { return };
    // (stream, tag, [c_j], [D_j], cycles, [D_j] and cycles without the option)
    let cases = [
        (
            Stream::Systolic,
            "s",
            [39, 41, 48],
            [47, 53, 59],
            82,
            [47, 55, 65],
            88,
        ),
        (
            Stream::Broadcast,
            "b",
            [39, 41, 45],
            [44, 47, 51],
            74,
            [44, 49, 56],
            79,
        ),
    ];
    for (stream, tag, issues, dones, total, plain_dones, plain_total) in cases {
        for db in [true, false] {
            let mut s = tessera_arch::builtin::arch_spec("os_2x3")
                .unwrap()
                .with_noc(Noc {
                    stream,
                    reduce: Reduce::Chain,
                })
                .with_weight_double_buffer(db);
            s.name = format!("os_2x3_{}{tag}", if db { "db" } else { "sb" });
            let a = s.validate().unwrap();
            let (issues, dones, total) = if db {
                (issues, dones, total)
            } else {
                // without the option: each COMPUTE issues the cycle after the previous one ends
                (
                    [issues[0], plain_dones[0] + 1, plain_dones[1] + 1],
                    plain_dones,
                    plain_total,
                )
            };
            let g = OsGemm::new(&a, 6, 11);
            let ks = [2u16, 1, 3];
            let mut prog = vec![
                Instr::Load {
                    target: LoadTarget::Weight,
                    count: 6,
                    dram_addr: g.b_addr,
                    sram_addr: 0,
                },
                Instr::Load {
                    target: LoadTarget::Input,
                    count: 6,
                    dram_addr: g.a_addr,
                    sram_addr: 0,
                },
                Instr::Sync { mask: unit::DMA },
            ];
            let mut k0 = 0u32;
            for (j, &k) in ks.iter().enumerate() {
                prog.push(Instr::Compute {
                    len: k,
                    in_addr: k0,
                    w_addr: k0,
                    out_addr: 0,
                    accumulate: j > 0,
                });
                k0 += u32::from(k);
            }
            prog.extend([
                Instr::Sync {
                    mask: unit::DMA | unit::COMPUTE,
                },
                Instr::Store {
                    count: 2,
                    dram_addr: g.c_addr,
                    sram_addr: 0,
                },
                Instr::Halt,
            ]);
            let want = g.expected_dram();
            // the RTL against the event engine: DRAM, cycles, trace
            check_program(&a, &g.dram, &want, &prog);
            let design = tessera_rtl_gen::emit(&a).unwrap();
            let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
            let run =
                tessera_verif::run_rtl_traced(&a, &design, &words, &g.dram, 10_000, &t).unwrap();
            let trace = run.trace.unwrap();
            let mut got: Vec<String> = trace
                .iter()
                .filter(|l| l.contains("COMPUTE") || l.contains("compute done"))
                .cloned()
                .collect();
            got.sort_by_key(|l| {
                (
                    l.contains("done"),
                    l.split(' ').next().unwrap().parse::<u64>().unwrap(),
                )
            });
            let by_hand: Vec<String> = vec![
                format!("{} ctrl issue pc=3 COMPUTE", issues[0]),
                format!("{} ctrl issue pc=4 COMPUTE", issues[1]),
                format!("{} ctrl issue pc=5 COMPUTE", issues[2]),
                format!("{} compute done", dones[0]),
                format!("{} compute done", dones[1]),
                format!("{} compute done", dones[2]),
            ];
            assert_eq!(got, by_hand, "{}: RTL", a.name());
            assert_eq!(run.cycles, total, "{}: RTL cycles", a.name());
            let engines = engines_by_hand(&a, &g.dram, &want, &prog, total);
            assert_eq!(engines, trace, "{}: engines vs RTL trace", a.name());
            println!("{}: COMPUTE done at {dones:?}, {total} cycles", a.name());
        }
    }
}

/// Random programs (`tessera_sim::random_program`: random COMPUTE lengths and addresses, SYNCs of
/// every mask, LOADs beside COMPUTEs, STOREs of random ranges; not only the lowering's patterns) on
/// designs the tests in this file build (so their RTL comes from the build cache): every dataflow,
/// with and without overlapped tiles, the interconnect options, odd banks and single-ported banks. The RTL's cycles, DRAM
/// image and event trace equal the contract's for every program the event engine accepts (it
/// refuses racy ones; most are not).
#[test]
fn random_programs_on_the_rtl() {
    use tessera_arch::{Noc, Reduce, Stream};
    let Some(t) = tools(false) else { return };
    let named = |base: &str, name: &str, noc: Option<(Stream, Reduce)>, db: bool| {
        let mut s = tessera_arch::builtin::arch_spec(base).unwrap();
        if let Some((stream, reduce)) = noc {
            s = s.with_noc(Noc { stream, reduce });
        }
        s = s.with_weight_double_buffer(db);
        s.name = name.into();
        s.validate().unwrap()
    };
    let designs = [
        builtin("ws_2x3"),
        builtin("os_2x3"),
        builtin("is_2x3"),
        odd(),
        named(
            "ws_2x3",
            "ws_2x3_db_sc",
            Some((Stream::Systolic, Reduce::Chain)),
            true,
        ),
        named(
            "ws_2x3",
            "ws_2x3_db_bt",
            Some((Stream::Broadcast, Reduce::AdderTree)),
            true,
        ),
        named(
            "os_2x3",
            "os_2x3_dbs",
            Some((Stream::Systolic, Reduce::Chain)),
            true,
        ),
        named(
            "os_2x3",
            "os_2x3_dbb",
            Some((Stream::Broadcast, Reduce::Chain)),
            true,
        ),
        // row-stationary (docs/TIMING.md, "Compute unit: row-stationary"): the 3×4 design of
        // tests/rs_rtl.rs (the same spec, so the same cached build)
        tessera_arch::spec::ArchSpec::ws("rs_3x4", 3, 4, [6 * 64, 3 * 32, 4 * 4 * 32], 2, 8, 3)
            .row_stationary(6)
            .validate()
            .unwrap(),
        {
            // and its odd 5×3 one: 16-bit sums, three banks, two LOAD words per cycle
            let mut s = tessera_arch::spec::ArchSpec::ws(
                "rs_odd_5x3",
                5,
                3,
                [7 * 64, 5 * 32, 4 * 3 * 32],
                2,
                8,
                3,
            )
            .row_stationary(8);
            s.buffers.input.capacity_bytes = 7 * 3 * 40;
            s.buffers.input.banks = 3;
            s.buffers.weight.capacity_bytes = 5 * 3 * 10;
            s.buffers.weight.banks = 3;
            s.buffers.accumulator.capacity_bytes = 6 * 3 * 10;
            s.buffers.accumulator.banks = 3;
            s.datatypes.accumulator_bits = 16;
            s.dram.words_per_cycle = Some(2);
            s.dram.bytes_per_cycle = 7;
            s.validate().unwrap()
        },
        {
            // single-ported input and weight banks (docs/TIMING.md, "Single-ported banks")
            let mut s = tessera_arch::builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
            s.name = "ws_4x4_1rw".into();
            s.validate().unwrap()
        },
    ];
    let (mut ran, mut tried) = (0, 0);
    // row-stationary programs with gather LOADs (docs/TIMING.md, "Gather registers") that ran, and
    // their gathers
    let (mut rs_gathering, mut rs_gathers) = (0, 0);
    for (i, arch) in designs.iter().enumerate() {
        let design = tessera_rtl_gen::emit(arch).unwrap();
        // more on the row-stationary designs, whose programs also gather
        let rs = arch.dataflow() == tessera_arch::Dataflow::RowStationary;
        for k in 0..if rs { 16u64 } else { 4 } {
            tried += 1;
            let p = tessera_sim::random_program::random_program(arch, 1000 * i as u64 + k);
            let program = tessera_arch::isa::Program {
                instrs: p.program.instrs.clone(),
            };
            let ok = tessera_sim::simulate(arch, &program, p.dram.clone(), &Default::default());
            if ok.is_err() {
                continue; // a race the event engine refuses, or a single-ported bank's clash
            }
            let (cycles, want, trace) = contract_run(arch, &p.program.instrs, &p.dram);
            let words: Vec<u128> = p.program.instrs.iter().map(Instr::encode).collect();
            let run = tessera_verif::run_rtl_traced(arch, &design, &words, &p.dram, 1_000_000, &t)
                .unwrap_or_else(|e| panic!("{} program {k}: {e}", arch.name()));
            assert_eq!(
                run.cycles,
                cycles,
                "{} program {k}: RTL cycles",
                arch.name()
            );
            assert!(
                run.dram == want,
                "{} program {k}: DRAM after the run: {}",
                arch.name(),
                first_diff(&run.dram, &want)
            );
            assert_trace(
                &format!("{} program {k}", arch.name()),
                run.trace.as_deref().unwrap(),
                &trace,
            );
            ran += 1;
            let g = p
                .program
                .instrs
                .iter()
                .filter(|i| matches!(i, Instr::Gather { .. }))
                .count();
            if rs && g > 0 {
                rs_gathering += 1;
                rs_gathers += g;
            }
        }
    }
    println!(
        "{ran} of {tried} random programs ran on the RTL ({rs_gathering} row-stationary ones with \
         {rs_gathers} gather LOADs)"
    );
    assert!(
        rs_gathering >= 12,
        "only {rs_gathering} row-stationary programs with gathers ran"
    );
    assert!(
        ran * 4 >= tried * 3,
        "only {ran} of {tried} random programs ran"
    );
}

/// docs/TIMING.md, "Single-ported banks": a LOAD writing input bank 0 while a COMPUTE streams from
/// it, with no SYNC between them — a program the checker refuses, run on the RTL directly — makes
/// a one-port SRAM read and write in one cycle; its model stops and the testbench reports a
/// contract violation. With a SYNC between them the program runs, and on two-ported banks the
/// RTL takes the first program as it is.
#[test]
fn a_single_ported_sram_read_and_written_in_one_cycle_is_a_contract_violation() {
    let Some(t) = tools(false) else { return };
    let mut s = tessera_arch::builtin::arch_spec("ws_4x4")
        .unwrap()
        .with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
    s.name = "ws_4x4_1rw".into();
    let a = s.validate().unwrap();
    let load = Instr::Load {
        target: LoadTarget::Input,
        count: 64,
        dram_addr: 0,
        sram_addr: 0,
    };
    let compute = Instr::Compute {
        len: 64,
        in_addr: 0,
        w_addr: 0,
        out_addr: 0,
        accumulate: false,
    };
    let clash = [load, compute, Instr::Halt];
    let dram = vec![1u8; 4096];
    let program = |p: &[Instr]| tessera_arch::isa::Program { instrs: p.to_vec() };
    let e = tessera_sim::engine::check_program(&a, &program(&clash), dram.len()).unwrap_err();
    assert!(e.message.contains("one read-write port"), "{e}");
    let words = |p: &[Instr]| p.iter().map(Instr::encode).collect::<Vec<u128>>();
    let design = tessera_rtl_gen::emit(&a).unwrap();
    let e = tessera_verif::run_rtl(&a, &design, &words(&clash), &dram, 100_000, &t).unwrap_err();
    assert!(
        e.message.contains("CONTRACT VIOLATION")
            && e.message.contains("single-ported SRAM")
            && e.message.contains("u_in_bank_0"),
        "{e}"
    );
    let synced = [load, Instr::Sync { mask: unit::DMA }, compute, Instr::Halt];
    tessera_sim::engine::check_program(&a, &program(&synced), dram.len()).unwrap();
    tessera_verif::run_rtl(&a, &design, &words(&synced), &dram, 100_000, &t).unwrap();
    let two = tessera_arch::builtin::arch("ws_4x4").unwrap();
    let design = tessera_rtl_gen::emit(&two).unwrap();
    tessera_verif::run_rtl(&two, &design, &words(&clash), &dram, 100_000, &t).unwrap();
}

/// The issue lines ("<cycle> ctrl issue pc=<pc> <op>") and "compute done" lines of a trace, each
/// group in cycle order.
fn issue_and_done_lines(trace: &[String]) -> Vec<String> {
    let mut got: Vec<String> = trace
        .iter()
        .filter(|l| l.contains("ctrl issue") || l.contains("compute done"))
        .cloned()
        .collect();
    got.sort_by_key(|l| {
        (
            l.contains("done"),
            l.split(' ').next().unwrap().parse::<u64>().unwrap(),
        )
    });
    got
}

/// `prog` on both engines with their traces: each takes `total` cycles and leaves `want` in DRAM,
/// and the two traces are equal; the trace (for the hand-timed tests' RTL comparisons).
fn engines_by_hand(a: &Arch, dram: &[u8], want: &[u8], prog: &[Instr], total: u64) -> Vec<String> {
    use tessera_sim::{Engine, SimOptions};
    let traces = [Engine::Event, Engine::Stepped].map(|engine| {
        let r = tessera_sim::simulate(
            a,
            &tessera_arch::isa::Program {
                instrs: prog.to_vec(),
            },
            dram.to_vec(),
            &SimOptions {
                engine,
                trace: true,
                ..SimOptions::default()
            },
        )
        .unwrap();
        assert_eq!(r.report.cycles.get(), total, "{} {engine:?}", a.name());
        assert!(r.dram == want, "{} {engine:?}: DRAM", a.name());
        r.trace
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<String>>()
    });
    let [event, stepped] = traces;
    assert_eq!(event, stepped, "{}: event vs stepped trace", a.name());
    event
}

/// Run `prog` on both engines and, with the tools, on the RTL: each must issue (pc, op) at the
/// cycles `issues`, finish COMPUTEs at `dones`, take `total` cycles and leave `want` in DRAM, and
/// the three traces must be equal.
fn check_by_hand(
    a: &Arch,
    dram: &[u8],
    want: &[u8],
    prog: &[Instr],
    issues: &[(u64, usize)],
    dones: &[u64],
    total: u64,
) {
    let mut by_hand: Vec<String> = issues
        .iter()
        .map(|&(t, pc)| format!("{t} ctrl issue pc={pc} {}", prog[pc].mnemonic()))
        .collect();
    by_hand.extend(dones.iter().map(|d| format!("{d} compute done")));
    let engines = engines_by_hand(a, dram, want, prog, total);
    assert_eq!(
        issue_and_done_lines(&engines),
        by_hand,
        "{}: engines",
        a.name()
    );
    let Some(t) = tools(false) else { return };
    // the RTL against the event engine (DRAM, cycles, trace), then against the lines by hand
    check_program(a, dram, want, prog);
    let design = tessera_rtl_gen::emit(a).unwrap();
    let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
    let run = tessera_verif::run_rtl_traced(a, &design, &words, dram, 10_000, &t).unwrap();
    let trace = run.trace.unwrap();
    assert_eq!(issue_and_done_lines(&trace), by_hand, "{}: RTL", a.name());
    assert_eq!(run.cycles, total, "{}: RTL cycles", a.name());
    assert_eq!(trace, engines, "{}: RTL vs engines trace", a.name());
}

/// `SYNC prev_stream` passes once the COMPUTE before the last has read its last streamed word,
/// before `SYNC prev_compute` would (docs/TIMING.md, "double-buffered weights": bit 3 passes in
/// `t ≥ s_{j-1} + M_{j-1}`, bit 2 in `t ≥ D_{j-1} + 1`), on ws_2x3 with double-buffered weights
/// (R = 2, C = 3, W = 4, L = 12, X - R = R + C = 5, reach R + C - 1 = 4), timed by hand: both
/// engines and the RTL issue every instruction in the cycles derived here.
///
/// The program (M = 3, K = 2R = 4 in two k-tiles; input word (t, m) = A[m][tR .. tR+R) lies at
/// DRAM word 3t + m): pc 0 LOAD 4 weight words → w 0..3; 1 LOAD 5 input words (k-tile 0 rows 0..2,
/// k-tile 1 rows 0..1) → in 0..4; 2 SYNC dma; 3 COMPUTE k-tile 0, M = 3 (in 0, w 0, out 0); 4
/// COMPUTE k-tile 1 rows 0..1, M = 2 (in 3, w 2, out 0, accumulating); 5 SYNC prev_stream (or
/// prev_compute); 6 LOAD input word (1, 2) → in 0, the word tile 0 streamed from; 7 SYNC dma; 8
/// COMPUTE k-tile 1 row 2, M = 1 (in 0, w 2, out 2, accumulating); 9 SYNC dma|compute; 10 STORE
/// 3; 11 HALT.
/// - LOAD 0 (4 words of 3 B, k = 0..3) issues at 0, busy 12 + 3 + 1 = 16 (1..16); LOAD 1 issues
///   at 17, 5 words of 2 B (k_i = i), busy 12 + 4 + 1 = 17 (18..34); SYNC dma passes at 35.
/// - c_0 = 36: P_0 = 37, s_0 = P_0 + R = 39, D_0 = s_0 + 5 + M_0 - 1 = 46.
/// - c_1 = 40 (tile 0 waits until s_0): P_1 = max(41, s_0 + 4) = 43, s_1 = max(P_1 + 2,
///   s_0 + M_0) = max(45, 42) = 45, D_1 = 45 + 5 + 2 - 1 = 51.
/// - the SYNC is looked at in 41. prev_stream: passes in `t ≥ s_0 + M_0 = 42`, at 42; prev_compute:
///   in `t ≥ D_0 + 1 = 47`, at 47.
/// - LOAD 6 issues the cycle after: 43 (prev_compute: 48), 1 word, busy 12 + 0 + 1 = 13 (44..56;
///   49..61); SYNC dma passes at 57 (62).
/// - c_2 = 58 (63): P_2 = max(59, s_1 + 4 = 49) = 59 (64), s_2 = max(P_2 + 2, s_1 + M_1 = 47) =
///   61 (66), D_2 = s_2 + 5 + 1 - 1 = 66 (71).
/// - SYNC dma|compute passes at D_2 + 1 = 67 (72); STORE issues at 68 (73), 3 words of 12 B
///   (k_i = 3i + 2), busy 8 + 12 + 2 = 22 (69..90; 74..95); HALT completes at 91 (96): 92 cycles
///   (97), X - R = 5 fewer with prev_stream.
#[test]
fn prev_stream_passes_before_prev_compute_with_double_buffered_weights_by_hand() {
    let mut s = tessera_arch::builtin::arch_spec("ws_2x3")
        .unwrap()
        .with_weight_double_buffer(true);
    // the design of the hand-timed interconnect cases' "sc" (same spec): one build for both
    s.name = "ws_2x3_db_sc".into();
    let a = s.validate().unwrap();
    let g = Gemm::new(&a, 3, 4, 41);
    // (mask, [issue cycles of pcs 0, 1, 3, 4, 6, 8, 10], [D_0, D_1, D_2], cycles)
    let cases = [
        (
            unit::PREV_STREAM,
            [0, 17, 36, 40, 43, 58, 68],
            [46, 51, 66],
            92,
        ),
        (
            unit::PREV_COMPUTE,
            [0, 17, 36, 40, 48, 63, 73],
            [46, 51, 71],
            97,
        ),
    ];
    for (mask, at, dones, total) in cases {
        let prog = vec![
            Instr::Load {
                target: LoadTarget::Weight,
                count: 4,
                dram_addr: g.b_addr,
                sram_addr: 0,
            },
            Instr::Load {
                target: LoadTarget::Input,
                count: 5,
                dram_addr: g.a_addr,
                sram_addr: 0,
            },
            Instr::Sync { mask: unit::DMA },
            Instr::Compute {
                len: 3,
                in_addr: 0,
                w_addr: 0,
                out_addr: 0,
                accumulate: false,
            },
            Instr::Compute {
                len: 2,
                in_addr: 3,
                w_addr: 2,
                out_addr: 0,
                accumulate: true,
            },
            Instr::Sync { mask },
            Instr::Load {
                target: LoadTarget::Input,
                count: 1,
                dram_addr: g.a_addr + 5 * 2,
                sram_addr: 0,
            },
            Instr::Sync { mask: unit::DMA },
            Instr::Compute {
                len: 1,
                in_addr: 0,
                w_addr: 2,
                out_addr: 2,
                accumulate: true,
            },
            Instr::Sync {
                mask: unit::DMA | unit::COMPUTE,
            },
            Instr::Store {
                count: 3,
                dram_addr: g.c_addr,
                sram_addr: 0,
            },
            Instr::Halt,
        ];
        let issues: Vec<(u64, usize)> = at.into_iter().zip([0, 1, 3, 4, 6, 8, 10]).collect();
        check_by_hand(
            &a,
            &g.dram,
            &g.expected_dram(),
            &prog,
            &issues,
            &dones,
            total,
        );
    }
}

/// `SYNC prev_stream` on os_2x3 with double-buffered sums (R = 2, C = 3, F = R + C - 1 = 4,
/// W = 4, L = 12), timed by hand from docs/TIMING.md ("double-buffered sums": `s_j = max(c_j + 1,
/// s_{j-1} + K_{j-1}, D_{j-1} + 1 - K_j)`, `D_j = s_j + K_j + F + R - 1`; bit 3 passes in `t ≥
/// s_{j-1} + K_{j-1}`, bit 2 in `t ≥ D_{j-1} + 1`, F + R = 6 cycles later): both engines and the
/// RTL issue every instruction in the cycles derived here.
///
/// The program (one 2×3 output tile over K = 5; input word k = column k of A, weight word k = row
/// k of B): pc 0 LOAD 5 weight words → w 0..4; 1 LOAD 3 input words (k = 0..2) → in 0..2; 2 SYNC
/// dma; 3 COMPUTE K = 2 (in 0, w 0); 4 COMPUTE K = 1 (in 2, w 2, accumulating); 5 SYNC prev_stream
/// (or prev_compute); 6 LOAD 2 input words (k = 3, 4) → in 0..1, the words tile 0 streamed from; 7
/// SYNC dma; 8 COMPUTE K = 2 (in 0, w 3, accumulating); 9 SYNC dma|compute; 10 STORE 2; 11 HALT.
/// - LOAD 0 (5 words of 3 B: k = 0, 1, 2, 3, 4) issues at 0, busy 12 + 4 + 1 = 17 (1..17); LOAD 1
///   issues at 18, 3 words of 2 B, busy 12 + 2 + 1 = 15 (19..33); SYNC dma passes at 34.
/// - c_0 = 35: s_0 = 36, D_0 = 36 + 2 + 4 + 2 - 1 = 43.
/// - c_1 = 37 (tile 0 waits until s_0): s_1 = max(38, s_0 + K_0 = 38, D_0 + 1 - K_1 = 43) = 43,
///   D_1 = 43 + 1 + 5 = 49.
/// - the SYNC is looked at in 38. prev_stream: passes in `t ≥ s_0 + K_0 = 38`, at 38 at once;
///   prev_compute: in `t ≥ D_0 + 1 = 44`, at 44.
/// - LOAD 6 issues the cycle after: 39 (prev_compute: 45), 2 words, busy 12 + 1 + 1 = 14
///   (40..53; 46..59); SYNC dma passes at 54 (60).
/// - c_2 = 55 (61): s_2 = max(c_2 + 1, s_1 + K_1 = 44, D_1 + 1 - K_2 = 48) = 56 (62), D_2 = s_2 +
///   2 + 5 = 63 (69).
/// - SYNC dma|compute passes at 64 (70); STORE issues at 65 (71), 2 words of 12 B (k_i = 3i + 2),
///   busy 5 + 12 + 2 = 19 (66..84; 72..90); HALT completes at 85 (91): 86 cycles (92), F + R = 6
///   fewer with prev_stream.
#[test]
fn prev_stream_passes_before_prev_compute_with_double_buffered_sums_by_hand() {
    let mut s = tessera_arch::builtin::arch_spec("os_2x3")
        .unwrap()
        .with_weight_double_buffer(true);
    // the design of the hand-timed double-buffered sums' systolic case (same spec): one build
    s.name = "os_2x3_dbs".into();
    let a = s.validate().unwrap();
    let g = OsGemm::new(&a, 5, 43);
    let cases = [
        (
            unit::PREV_STREAM,
            [0, 18, 35, 37, 39, 55, 65],
            [43, 49, 63],
            86,
        ),
        (
            unit::PREV_COMPUTE,
            [0, 18, 35, 37, 45, 61, 71],
            [43, 49, 69],
            92,
        ),
    ];
    for (mask, at, dones, total) in cases {
        let compute = |len: u16, at: u32, w: u32, accumulate| Instr::Compute {
            len,
            in_addr: at,
            w_addr: w,
            out_addr: 0,
            accumulate,
        };
        let prog = vec![
            Instr::Load {
                target: LoadTarget::Weight,
                count: 5,
                dram_addr: g.b_addr,
                sram_addr: 0,
            },
            Instr::Load {
                target: LoadTarget::Input,
                count: 3,
                dram_addr: g.a_addr,
                sram_addr: 0,
            },
            Instr::Sync { mask: unit::DMA },
            compute(2, 0, 0, false),
            compute(1, 2, 2, true),
            Instr::Sync { mask },
            Instr::Load {
                target: LoadTarget::Input,
                count: 2,
                dram_addr: g.a_addr + 3 * 2,
                sram_addr: 0,
            },
            Instr::Sync { mask: unit::DMA },
            compute(2, 0, 3, true),
            Instr::Sync {
                mask: unit::DMA | unit::COMPUTE,
            },
            Instr::Store {
                count: 2,
                dram_addr: g.c_addr,
                sram_addr: 0,
            },
            Instr::Halt,
        ];
        let issues: Vec<(u64, usize)> = at.into_iter().zip([0, 1, 3, 4, 6, 8, 10]).collect();
        check_by_hand(
            &a,
            &g.dram,
            &g.expected_dram(),
            &prog,
            &issues,
            &dones,
            total,
        );
    }
}
