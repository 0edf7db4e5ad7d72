//! Hand-written row-stationary programs on the generated RTL under Verilator (docs/TIMING.md,
//! "Compute unit: row-stationary"), against two expectations: the cycle simulator's run of the same
//! program (cycles, DRAM image and event trace equal), and one computed here straight from the
//! contract's definition of a pass, apart from the simulator: output
//! `x` of block `b`, lane `c`, is `Σ_{h<H} Σ_{t<T} in[x·T + t][o(b·H+h) + c] · w[t][b·H+h]` with
//! `o(r) = (r mod H)·step`, written to accumulator word `out_addr + b·E + x` (added to the old word
//! when accumulating), AB-bit wrap-around; and every COMPUTE is busy `T·(E + 1) + B + 2` cycles,
//! read from the event trace (issue cycle `c`, last busy cycle `c + busy`). Hand-chosen passes on a
//! 3×4 and a 1×1 array, and random legal ones on the 3×4 and on a 5×3 array with 16-bit sums.

use crate::common;

use common::{assert_trace, bytes, contract_run, first_diff, tools};
use tessera_arch::isa::{unit, Config, GatherPos, Instr, LoadTarget, RsPass};
use tessera_arch::Arch;

/// A row-stationary `rows`×`cols` array with `rf` operands per PE, two banks per buffer (input:
/// 64 words of R + C - 1 bytes, weight: 32 words of R bytes, accumulator: 32 words of C int32
/// lanes), DRAM of 8 B/cycle and latency 3.
fn rs(name: &str, rows: i64, cols: i64, rf: i64) -> Arch {
    let w = rows + cols - 1;
    tessera_arch::spec::ArchSpec::ws(
        name,
        rows,
        cols,
        [w * 64, rows * 32, 4 * cols * 32],
        2,
        8,
        3,
    )
    .row_stationary(rf)
    .validate()
    .unwrap()
}

/// One pass of a test program: its fields, where its operands lie in the buffers and in DRAM, and
/// its operands (weight word t byte r, input word i byte j).
struct Pass {
    pass: RsPass,
    len: u16,
    in_addr: u32,
    w_addr: u32,
    out_addr: u32,
    accumulate: bool,
    weights: Vec<Vec<i8>>,
    inputs: Vec<Vec<i8>>,
    /// DRAM byte addresses of its weight and input words, and of the STORE after it.
    w_dram: u32,
    in_dram: u32,
    out_dram: u32,
}

impl Pass {
    fn steps(&self) -> usize {
        usize::from(self.pass.steps)
    }
    /// Accumulator words the pass writes: `E·B`.
    fn out_words(&self) -> u32 {
        u32::from(self.len) * u32::from(self.pass.blocks)
    }
    /// The contract's busy length.
    fn busy(&self) -> u64 {
        let (t, e, b) = (
            u64::from(self.pass.steps),
            u64::from(self.len),
            u64::from(self.pass.blocks),
        );
        t * (e + 1) + b + 2
    }

    /// Apply the pass to the accumulator `acc` (words of C int32 lanes), from the contract's
    /// definition.
    fn apply(&self, arch: &Arch, acc: &mut [Vec<i32>]) {
        let (rows, cols) = (arch.rows() as usize, arch.cols() as usize);
        let (t_n, h_n, b_n, step) = (
            self.steps(),
            usize::from(self.pass.block_rows),
            usize::from(self.pass.blocks),
            usize::from(self.pass.row_step),
        );
        assert!(b_n * h_n <= rows && b_n <= t_n);
        let e = usize::from(self.len);
        for b in 0..b_n {
            for x in 0..e {
                let word = &mut acc[self.out_addr as usize + b * e + x];
                for (c, lane) in word.iter_mut().enumerate().take(cols) {
                    let mut sum = 0i32;
                    for h in 0..h_n {
                        let r = b * h_n + h;
                        let o = (r % h_n) * step;
                        for t in 0..t_n {
                            let a = self.inputs[x * t_n + t][o + c];
                            let w = self.weights[t][r];
                            sum = sum.wrapping_add(i32::from(a) * i32::from(w));
                        }
                    }
                    *lane = if self.accumulate {
                        lane.wrapping_add(sum)
                    } else {
                        sum
                    };
                }
            }
        }
    }
}

/// Deterministic operands for a pass: `T` weight words of R bytes and `E·T` input words of
/// R + C - 1 bytes.
fn operands(arch: &Arch, steps: u8, len: u16, seed: u64) -> (Vec<Vec<i8>>, Vec<Vec<i8>>) {
    let (r, c) = (arch.rows() as usize, arch.cols() as usize);
    let t = usize::from(steps);
    let n_in = usize::from(len) * t;
    let wb = bytes(seed, t * r);
    let ib = bytes(seed + 1, n_in * (r + c - 1));
    let words = |b: &[u8], w: usize| -> Vec<Vec<i8>> {
        b.chunks(w)
            .map(|ch| ch.iter().map(|&x| x as i8).collect())
            .collect()
    };
    (words(&wb, r), words(&ib, r + c - 1))
}

/// Run `passes` as one program: every pass's LOADs first, then per pass COMPUTE, SYNC, STORE of
/// its accumulator words (and a SYNC on the DMA before the next pass, which may accumulate onto
/// them). Checks every STORE's bytes against the contract's definition and every COMPUTE's busy
/// length in the trace; returns the cycle count.
fn run(arch: &Arch, passes: &[Pass], dram_bytes: usize) -> Option<u64> {
    let t = tools(false)?;
    let (in_w, w_w) = (arch.input().word_bytes(), arch.weight().word_bytes());
    let acc_w = arch.accumulator().word_bytes() as usize;
    let mut dram = vec![0u8; dram_bytes];
    let mut prog = vec![];
    for p in passes {
        for (k, w) in p.weights.iter().enumerate() {
            let at = p.w_dram as usize + k * w_w as usize;
            for (j, &b) in w.iter().enumerate() {
                dram[at + j] = b as u8;
            }
        }
        for (k, w) in p.inputs.iter().enumerate() {
            let at = p.in_dram as usize + k * in_w as usize;
            for (j, &b) in w.iter().enumerate() {
                dram[at + j] = b as u8;
            }
        }
        prog.push(Instr::Load {
            target: LoadTarget::Weight,
            count: p.pass.steps.into(),
            dram_addr: p.w_dram,
            sram_addr: p.w_addr,
        });
        prog.push(Instr::Load {
            target: LoadTarget::Input,
            count: u16::try_from(p.inputs.len()).unwrap(),
            dram_addr: p.in_dram,
            sram_addr: p.in_addr,
        });
    }
    prog.push(Instr::Sync { mask: unit::DMA });
    let mut computes = vec![];
    for (k, p) in passes.iter().enumerate() {
        if k > 0 {
            // the STORE before reads the words this pass may accumulate onto
            prog.push(Instr::Sync { mask: unit::DMA });
        }
        computes.push(prog.len());
        prog.push(Instr::ComputeRs {
            len: p.len,
            in_addr: p.in_addr,
            w_addr: p.w_addr,
            out_addr: p.out_addr,
            accumulate: p.accumulate,
            pass: p.pass,
        });
        prog.push(Instr::Sync {
            mask: unit::COMPUTE,
        });
        prog.push(Instr::Store {
            count: u16::try_from(p.out_words()).unwrap(),
            dram_addr: p.out_dram,
            sram_addr: p.out_addr,
        });
    }
    prog.push(Instr::Halt);

    // the expectation: each pass applied to the accumulator, its words stored after it
    let mut want = dram.clone();
    let mut acc = vec![vec![0i32; arch.cols() as usize]; arch.accumulator().depth() as usize];
    for p in passes {
        p.apply(arch, &mut acc);
        for k in 0..p.out_words() as usize {
            let word = &acc[p.out_addr as usize + k];
            let at = p.out_dram as usize + k * acc_w;
            for (c, v) in word.iter().enumerate() {
                // a lane is AB/8 bytes: the int32 sum's low bytes (AB-bit wrap-around)
                let lb = acc_w / arch.cols() as usize;
                want[at + lb * c..at + lb * (c + 1)].copy_from_slice(&v.to_le_bytes()[..lb]);
            }
        }
    }

    let design = tessera_rtl_gen::emit(arch).unwrap();
    let words: Vec<u128> = prog.iter().map(Instr::encode).collect();
    let run = tessera_verif::run_rtl_traced(arch, &design, &words, &dram, 100_000, &t)
        .unwrap_or_else(|e| panic!("{}: {e}", arch.name()));
    assert!(
        run.dram == want,
        "{}: the stored outputs differ from the contract's passes: {}",
        arch.name(),
        first_diff(&run.dram, &want)
    );
    // the simulator's run of the same program: equal cycles, DRAM image and event trace
    let (cycles, sim_dram, sim_trace) = contract_run(arch, &prog, &dram);
    assert_eq!(run.cycles, cycles, "{}: RTL cycles", arch.name());
    assert!(
        run.dram == sim_dram,
        "{}: DRAM after the run: {}",
        arch.name(),
        first_diff(&run.dram, &sim_dram)
    );
    let trace = run.trace.unwrap();
    assert_trace(arch.name(), &trace, &sim_trace);
    // busy lengths: each COMPUTE's issue line, then the next "compute done"
    let cycle = |l: &str| -> u64 { l.split_whitespace().next().unwrap().parse().unwrap() };
    for (p, &pc) in passes.iter().zip(&computes) {
        let tag = format!("ctrl issue pc={pc} COMPUTE");
        let issue = trace
            .iter()
            .position(|l| l.ends_with(&tag))
            .unwrap_or_else(|| panic!("{}: no {tag:?} in the trace", arch.name()));
        let done = trace[issue..]
            .iter()
            .find(|l| l.ends_with(" compute done"))
            .unwrap_or_else(|| panic!("{}: COMPUTE pc={pc} never done", arch.name()));
        assert_eq!(
            cycle(done) - cycle(&trace[issue]),
            p.busy(),
            "{}: busy length of COMPUTE pc={pc} ({:?}, E = {}): T·(E+1)+B+2",
            arch.name(),
            p.pass,
            p.len
        );
    }
    assert_eq!(
        trace
            .iter()
            .filter(|l| l.ends_with(" compute done"))
            .count(),
        passes.len(),
        "{}: one compute done per COMPUTE",
        arch.name()
    );
    for p in passes {
        println!(
            "  T = {}, H = {}, B = {}, step = {}, E = {}, accumulate {}, in {} w {} out {}",
            p.pass.steps,
            p.pass.block_rows,
            p.pass.blocks,
            p.pass.row_step,
            p.len,
            p.accumulate,
            p.in_addr,
            p.w_addr,
            p.out_addr
        );
    }
    println!(
        "{}: {} passes, {} cycles",
        arch.name(),
        passes.len(),
        run.cycles
    );
    Some(run.cycles)
}

fn pass(steps: u8, block_rows: u8, blocks: u8, row_step: u8) -> RsPass {
    RsPass {
        steps,
        block_rows,
        blocks,
        row_step,
    }
}

/// On a 3×4 array with F = 6: (a) T = 4, H = 3, B = 1, step = 1, E = 3, its words straddling bank
/// boundaries; (b) T = 5, H = 2, B = 1, step = 2, E = 3, accumulating onto (a)'s words (row 2 is in
/// no block); (c) T = 3, H = 1, B = 3 (= T: a block's last write meets the next capture), E = 2,
/// accumulating onto (a)'s and (b)'s words and three more.
#[test]
fn row_stationary_passes_on_3x4() {
    let a = rs("rs_3x4", 3, 4, 6);
    assert_eq!(
        (a.input().word_bytes(), a.weight().word_bytes()),
        (6, 3),
        "R+C-1 and R bytes"
    );
    let mk = |p: RsPass, len: u16, addrs: (u32, u32, u32), acc: bool, seed: u64, dram: u32| {
        let (weights, inputs) = operands(&a, p.steps, len, seed);
        Pass {
            pass: p,
            len,
            in_addr: addrs.0,
            w_addr: addrs.1,
            out_addr: addrs.2,
            accumulate: acc,
            weights,
            inputs,
            w_dram: dram,
            in_dram: dram + 64,
            out_dram: dram + 256,
        }
    };
    let passes = [
        mk(pass(4, 3, 1, 1), 3, (26, 14, 15), false, 1, 0),
        mk(pass(5, 2, 1, 2), 3, (0, 0, 15), true, 3, 512),
        mk(pass(3, 1, 3, 5), 2, (40, 6, 15), true, 5, 1024),
    ];
    run(&a, &passes, 1536);
}

/// A 1×1 array (F = 1; input, weight and accumulator words of one operand or lane): T = 1, E = 5,
/// then an accumulating pass onto the same words.
#[test]
fn row_stationary_1x1_single_step() {
    let a = rs("rs_1x1", 1, 1, 1);
    let mk = |len: u16, acc: bool, seed: u64, dram: u32, (in_addr, w_addr): (u32, u32)| {
        let (weights, inputs) = operands(&a, 1, len, seed);
        Pass {
            pass: pass(1, 1, 1, 0),
            len,
            in_addr,
            w_addr,
            out_addr: 14,
            accumulate: acc,
            weights,
            inputs,
            w_dram: dram,
            in_dram: dram + 16,
            out_dram: dram + 64,
        }
    };
    run(
        &a,
        &[mk(5, false, 7, 0, (30, 15)), mk(5, true, 9, 128, (40, 16))],
        256,
    );
}

/// Random legal passes, one program: each draws T ≤ F, H, B with B·H ≤ R and B ≤ T, a step with
/// (H - 1)·step ≤ R - 1, E, buffer addresses (its own input and weight words; outputs in a shared
/// region, so later passes accumulate onto earlier ones' words) and whether it accumulates.
fn random_passes(arch: &Arch, n: usize, seed: u64, first: Option<(RsPass, u16)>) -> Vec<Pass> {
    let (rows, f) = (arch.rows() as u64, u64::from(arch.rf_weights()));
    let mut s = seed;
    let mut next = |m: u64| -> u64 {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) % m
    };
    let (mut in_at, mut w_at) = (0u32, 0u32);
    let mut passes = vec![];
    for k in 0..n as u32 {
        let t = 1 + next(f.min(6));
        let h = 1 + next(rows);
        let b = 1 + next((rows / h).min(t));
        let step = if h > 1 {
            next((rows - 1) / (h - 1) + 1)
        } else {
            next(4)
        };
        let e = 1 + next(3);
        // the fixed first pass, if any, in place of the first draw
        let (t, h, b, step, e) = match (k, first) {
            (0, Some((p, len))) => (
                u64::from(p.steps),
                u64::from(p.block_rows),
                u64::from(p.blocks),
                u64::from(p.row_step),
                u64::from(len),
            ),
            _ => (t, h, b, step, e),
        };
        if in_at + (e * t) as u32 > arch.input().depth() || w_at + t as u32 > arch.weight().depth()
        {
            break; // the buffers are full: every pass's words are loaded before the first runs
        }
        let p = pass(t as u8, h as u8, b as u8, step as u8);
        p.check(arch.rows(), arch.rf_weights()).unwrap();
        let (weights, inputs) = operands(arch, p.steps, e as u16, seed + 10 * u64::from(k));
        let out_addr = next(4) as u32;
        passes.push(Pass {
            pass: p,
            len: e as u16,
            in_addr: in_at,
            w_addr: w_at,
            out_addr,
            // the first pass sets every word it writes
            accumulate: k > 0 && next(3) > 0,
            w_dram: 512 * k,
            in_dram: 512 * k + 64,
            out_dram: 512 * k + 320,
            weights,
            inputs,
        });
        in_at += (e * t) as u32;
        w_at += t as u32;
    }
    passes
}

/// Up to six random passes (as many as the buffers hold) on the 3×4 array (the design of the test
/// above).
#[test]
fn random_row_stationary_passes_on_3x4() {
    let a = rs("rs_3x4", 3, 4, 6);
    let passes = random_passes(&a, 6, 11, None);
    assert!(passes.len() >= 3, "{}", passes.len());
    run(&a, &passes, 512 * passes.len());
}

/// The 5×3 array with 16-bit sums (2-byte lanes), three banks per buffer and two LOAD words per
/// cycle (W = 7).
fn odd_5x3() -> Arch {
    let mut s = rs("rs_5x3", 5, 3, 8).spec().clone();
    s.name = "rs_odd_5x3".into();
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
}

/// Passes on a 5×3 array with 16-bit sums (2-byte lanes), three banks per buffer and two LOAD
/// words per cycle: first T = 3, H = 2, B = 2, step = 2, E = 2 (two blocks of two rows at offsets 0
/// and 2, row 4 in no block), then random ones.
#[test]
fn random_row_stationary_passes_on_odd_5x3() {
    let a = odd_5x3();
    let passes = random_passes(&a, 5, 23, Some((pass(3, 2, 2, 2), 2)));
    assert!(passes.len() >= 3, "{}", passes.len());
    run(&a, &passes, 512 * passes.len());
}

/// A gather LOAD's start and length, and where its words go in the input buffer.
struct GatherRun {
    pos: GatherPos,
    count: u16,
    sram_addr: u32,
}

/// The tensor `[N][H][W][Cs]` of the gather tests, at byte `BASE` of DRAM (the group's first
/// channel at `BASE + C0`).
const N: usize = 2;
const H: usize = 5;
const W: usize = 4;
const CS: usize = 3;
const BASE: usize = 64;
const C0: usize = 1;

/// The gathered words, computed element by element from the tensor as docs/TIMING.md, "Gather
/// registers" defines a row-stationary word: byte `j` of word `i` is the input at row
/// `(oh + j)·sh + kh·dh - pt`, column `ow'·sw + kw'·dw - pl`, channel `C0 + c'` of image `n`, with
/// `(ow', kw', c')` the start advanced `i` steps (`c` wrapping at `Cg` into `kw`, `kw` at `KW` into
/// `ow`), or zero outside the tensor.
fn gathered_words(dram: &[u8], win: &Config, g: &GatherRun, word_bytes: usize) -> Vec<Vec<i8>> {
    let Config::Window {
        stride,
        dilation,
        pad,
        kw: kw_n,
        cg,
    } = *win
    else {
        unreachable!()
    };
    let p = g.pos;
    let (mut ow, mut kw, mut c) = (i64::from(p.ow), i64::from(p.kw), i64::from(p.c));
    let mut words = vec![];
    for _ in 0..g.count {
        let iw = ow * i64::from(stride[1]) + kw * i64::from(dilation[1]) - i64::from(pad[1]);
        let word = (0..word_bytes as i64)
            .map(|j| {
                let ih = (i64::from(p.oh) + j) * i64::from(stride[0])
                    + i64::from(p.kh) * i64::from(dilation[0])
                    - i64::from(pad[0]);
                if (0..H as i64).contains(&ih) && (0..W as i64).contains(&iw) {
                    let at = BASE
                        + ((usize::from(p.n) * H + ih as usize) * W + iw as usize) * CS
                        + C0
                        + c as usize;
                    dram[at] as i8
                } else {
                    0
                }
            })
            .collect();
        words.push(word);
        c += 1;
        if c == i64::from(cg) {
            c = 0;
            kw += 1;
            if kw == i64::from(kw_n) {
                kw = 0;
                ow += 1;
            }
        }
    }
    words
}

/// Row-stationary gathers on the RTL (docs/TIMING.md, "Gather registers"): a CONFIG pair of a
/// 2×5×4×3 tensor (a group of two channels from channel 1, padding 2 on top and 1 on the left,
/// stride (2, 1), dilation (1, 2): every term differs; kernel width 2), three gather LOADs from different starts (rows and columns
/// in and out of the tensor, some words all zero), then one pass per array row `r0` with `T = 1`,
/// `H = R`, `B = 1`, `step = 1` and the weight one-hot at row `r0`: its output `x`, lane `c`, is
/// byte `r0 + c` of gathered word `x`, so the stored outputs show every byte of every word. The
/// stored outputs equal the words computed here from the tensor; cycles, DRAM image and trace
/// (every read request) equal the event engine's.
fn gathers(arch: &Arch) -> Option<()> {
    let t = tools(false)?;
    let (r, c) = (arch.rows() as usize, arch.cols() as usize);
    let b = r + c - 1;
    assert_eq!(arch.input().word_bytes() as usize, b);
    let acc_w = arch.accumulator().word_bytes() as usize;
    let mut dram = bytes(77, 4096);
    let window = Config::Window {
        stride: [2, 1],
        dilation: [1, 2],
        pad: [2, 1],
        kw: 2,
        cg: 2,
    };
    let runs = [
        // image 1, rows 2j - 2 (j = 0 is padding, j ≥ 3 past the tensor), from c = 1: columns
        // ow + 2kw - 1 = -1 (padding: a zero word), then 1, 1, 0, 0, 2, 2, 1, 1, 3, 3, 2, 2, and
        // 4, 4 (past the tensor: zero words)
        GatherRun {
            pos: GatherPos {
                n: 1,
                oh: 0,
                ow: 0,
                kh: 0,
                kw: 0,
                c: 1,
            },
            count: 15,
            sram_addr: 0,
        },
        // image 0, rows 1 + 2j: the run [0, 2) ends inside the word
        GatherRun {
            pos: GatherPos {
                n: 0,
                oh: 1,
                ow: 1,
                kh: 1,
                kw: 0,
                c: 0,
            },
            count: 6,
            sram_addr: 15,
        },
        // rows 6 + 2j: past the tensor, every word zero
        GatherRun {
            pos: GatherPos {
                n: 1,
                oh: 3,
                ow: 0,
                kh: 2,
                kw: 0,
                c: 1,
            },
            count: 3,
            sram_addr: 21,
        },
    ];
    let e: usize = runs.iter().map(|g| usize::from(g.count)).sum();
    let mut words = vec![];
    for g in &runs {
        words.extend(gathered_words(&dram, &window, g, b));
    }
    assert!(words.iter().any(|w| w.iter().all(|&x| x == 0)));
    assert!(words.iter().any(|w| w[0] == 0 && w.iter().any(|&x| x != 0)));
    // weights: word r0 one-hot at byte r0
    let w_dram = 1024;
    for r0 in 0..r {
        for j in 0..r {
            dram[w_dram + r0 * r + j] = u8::from(j == r0);
        }
    }
    let out_dram = 1536;
    let mut prog = vec![
        Instr::Config(Config::Tensor {
            base: (BASE + C0) as u32,
            h: H as u16,
            w: W as u16,
            cs: CS as u16,
            ow: 3,
            oh: 2,
        }),
        Instr::Config(window),
        Instr::Load {
            target: LoadTarget::Weight,
            count: r as u16,
            dram_addr: w_dram as u32,
            sram_addr: 0,
        },
    ];
    for g in &runs {
        prog.push(Instr::Gather {
            target: LoadTarget::Input,
            count: g.count,
            sram_addr: g.sram_addr,
            pos: g.pos,
        });
    }
    let mut want = dram.clone();
    for r0 in 0..r {
        prog.push(Instr::Sync { mask: unit::DMA });
        prog.push(Instr::ComputeRs {
            len: e as u16,
            in_addr: 0,
            w_addr: r0 as u32,
            out_addr: 0,
            accumulate: false,
            pass: pass(1, r as u8, 1, 1),
        });
        prog.push(Instr::Sync {
            mask: unit::COMPUTE,
        });
        let at = out_dram + r0 * e * acc_w;
        prog.push(Instr::Store {
            count: e as u16,
            dram_addr: at as u32,
            sram_addr: 0,
        });
        let lb = acc_w / c;
        for (x, word) in words.iter().enumerate() {
            for lane in 0..c {
                let v = i32::from(word[r0 + lane]);
                let o = at + x * acc_w + lane * lb;
                want[o..o + lb].copy_from_slice(&v.to_le_bytes()[..lb]);
            }
        }
    }
    prog.push(Instr::Halt);
    assert!(N * H * W * CS + BASE <= w_dram && out_dram + r * e * acc_w <= dram.len());

    let design = tessera_rtl_gen::emit(arch).unwrap();
    let enc: Vec<u128> = prog.iter().map(Instr::encode).collect();
    let run = tessera_verif::run_rtl_traced(arch, &design, &enc, &dram, 100_000, &t)
        .unwrap_or_else(|e| panic!("{}: {e}", arch.name()));
    assert!(
        run.dram == want,
        "{}: the stored words differ from the tensor's: {}",
        arch.name(),
        first_diff(&run.dram, &want)
    );
    let (cycles, sim_dram, sim_trace) = contract_run(arch, &prog, &dram);
    assert_eq!(run.cycles, cycles, "{}: RTL cycles", arch.name());
    assert!(run.dram == sim_dram, "{}: DRAM after the run", arch.name());
    let trace = run.trace.unwrap();
    let rreqs = trace.iter().filter(|l| l.contains(" dma rreq")).count();
    assert_eq!(rreqs, r + e, "{}: read requests in the trace", arch.name());
    assert_trace(arch.name(), &trace, &sim_trace);
    println!(
        "{}: {e} gathered words ({} all zero), {} passes, {} cycles",
        arch.name(),
        words.iter().filter(|w| w.iter().all(|&x| x == 0)).count(),
        r,
        run.cycles
    );
    Some(())
}

#[test]
fn row_stationary_gathers_on_3x4() {
    gathers(&rs("rs_3x4", 3, 4, 6));
}

/// Two read requests per cycle: the DMA's per-lane address generators walk `(c, kw, ow)`.
#[test]
fn row_stationary_gathers_on_odd_5x3() {
    gathers(&odd_5x3());
}
