//! Random programs for differential tests of the engines and the RTL: the lowering emits a few
//! regular instruction patterns, but docs/TIMING.md times *every* program `check_program` accepts,
//! and a timing term the lowering's patterns never make binding (back-to-back COMPUTEs with no
//! DMA work between them, a SYNC of an odd mask, a STORE behind a long overlapped drain, a LOAD
//! running beside a stream) is only checked by a program that has it.
//!
//! [`random_program`] draws one from a seed, deterministically:
//! - the image: the input and weight buffers' contents (random bytes), then a region for the
//!   accumulator's words (random bytes too, so an unwritten word is visible);
//! - the lower part of each operand buffer is loaded first (one to three LOADs each) and then only
//!   read; a `SYNC dma` ends that prologue;
//! - the body is a random sequence of COMPUTEs (random lengths, random operand addresses in the
//!   loaded parts, accumulator regions new or the previous one's, accumulating or not), SYNCs of
//!   random masks (0 included), LOADs into the upper part of a buffer (or, rarely, anywhere), and
//!   STOREs of random accumulator ranges (each behind a `SYNC` of every unit, so that no STORE
//!   reads words a COMPUTE still writes);
//! - the epilogue waits for every unit and stores the whole accumulator.
//!
//! On a row-stationary array every COMPUTE is a pass (`Instr::ComputeRs`) of a random legal shape:
//! `T` in `1..=F`, `B ≤ T`, `H` with `B·H ≤ R`, a row step with `(H - 1)·step ≤ R - 1`, and `E ≥ 1`
//! outputs whose `E·T` input words, `T` weight words and `E·B` accumulator words fit the read parts
//! and the accumulator ([`RsPass::check`] and [`ComputeWords::of_pass`]).
//!
//! On a row-stationary array the body also draws gather LOADs into the input buffer (where a LOAD
//! would write), each now and then behind a CONFIG pair of a random small tensor `[N ≤ 2][H][W][Cs]`
//! lying in the image's input and weight part (never written), with random stride, dilation,
//! padding, kernel width and channels per group, from a random start (`kw < KW`, `c < Cg`, any
//! `kh` and `oh`): every request stays inside the tensor (docs/TIMING.md, "Gather registers").
//!
//! What it leaves out: gathers and CONFIGs on other arrays (the convolution tests cover them),
//! programs that `check_program` refuses (a caller skips those), and racy ones: the event engine
//! refuses a program whose instructions on different units touch one buffer word in overlapping
//! cycles, so a test skips those too and counts how many ran.

use tessera_arch::isa::{unit, Config, GatherPos, Instr, LoadTarget, Program, RsPass};
use tessera_arch::spec::ComputeWords;
use tessera_arch::{Arch, Dataflow};
use tessera_workloads::data::SplitMix64;

/// A random program and the DRAM image it runs on.
#[derive(Clone, Debug)]
pub struct RandomProgram {
    pub program: Program,
    pub dram: Vec<u8>,
}

/// The most body instructions [`random_program`] draws.
const MAX_BODY: u64 = 24;

struct Draw(SplitMix64);

impl Draw {
    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.0.next_u64() % (hi - lo + 1)
        }
    }
    /// True with probability `n / d`.
    fn chance(&mut self, n: u64, d: u64) -> bool {
        self.0.next_u64() % d < n
    }
}

/// LOADs of buffer words `from..to` of `target` from the image at `dram_base` (the buffer's word
/// `a` at byte `dram_base + a · word_bytes`), split into up to `pieces` transfers of at most
/// 65,535 words.
fn loads(
    d: &mut Draw,
    out: &mut Vec<Instr>,
    target: LoadTarget,
    (from, to): (u32, u32),
    word_bytes: u32,
    dram_base: u32,
    pieces: u64,
) {
    let mut at = from;
    let mut left = d.range(1, pieces);
    while at < to {
        let rest = to - at;
        let count = if left <= 1 {
            rest
        } else {
            d.range(1, u64::from(rest)) as u32
        }
        .min(u32::from(u16::MAX));
        out.push(Instr::Load {
            target,
            count: count as u16,
            dram_addr: dram_base + at * word_bytes,
            sram_addr: at,
        });
        at += count;
        left = left.saturating_sub(1);
    }
}

/// A random legal row-stationary pass for `arch` ([`RsPass::check`]) with at least one output
/// fitting `in_read` input words, `w_read` weight words and the accumulator's `acc_depth` words
/// (the unit pass, `T = H = B = 1`, when a draw does not fit: the caller has checked that one does).
fn draw_pass(d: &mut Draw, arch: &Arch, in_read: u32, w_read: u32, acc_depth: u32) -> RsPass {
    let (r, f) = (arch.rows(), arch.rf_weights());
    // at most 255 each (the fields are 8 bits)
    let t_max = f.min(in_read).min(w_read).min(255);
    let t = d.range(1, u64::from(t_max)) as u32;
    // B ≤ T, B·H ≤ R, B ≤ the accumulator's words
    let b = d.range(1, u64::from(t.min(r).min(acc_depth).min(255))) as u32;
    let h = d.range(1, u64::from((r / b).min(255))) as u32;
    // (H - 1)·step ≤ R - 1; step 0 (every row reads the same bytes) now and then
    let step = if h == 1 {
        d.range(0, u64::from((r - 1).min(255))) as u32
    } else {
        d.range(0, u64::from(((r - 1) / (h - 1)).min(255))) as u32
    };
    let pass = RsPass {
        steps: t as u8,
        block_rows: h as u8,
        blocks: b as u8,
        row_step: step as u8,
    };
    debug_assert!(pass.check(r, f).is_ok(), "{pass:?}: {:?}", pass.check(r, f));
    pass
}

/// A CONFIG pair of a random small tensor inside the image's first `room` bytes (see the module
/// docs); returns its `(N, Cg, KW)`.
fn draw_config(d: &mut Draw, out: &mut Vec<Instr>, room: u32) -> (u16, u16, u8) {
    let mut dim = |hi: u64| d.range(1, hi) as u32;
    let (mut n, mut h, mut w, mut cs) = (dim(2), dim(6), dim(6), dim(4));
    // shrink until the tensor fits the room (1 byte always does: the image holds a buffer word)
    while n * h * w * cs > room {
        (n, h, w, cs) = (1, h.div_ceil(2), w.div_ceil(2), cs.div_ceil(2));
        if (h, w, cs) == (1, 1, 1) {
            break;
        }
    }
    let size = n * h * w * cs;
    let base = d.range(0, u64::from(room - size)) as u32;
    let cg = d.range(1, u64::from(cs)) as u16;
    let kw = d.range(1, 3) as u8;
    let mut small = |lo: u64, hi: u64| d.range(lo, hi) as u8;
    let stride = [small(1, 3), small(1, 3)];
    let dilation = [small(1, 2), small(1, 2)];
    let pad = [small(0, 2), small(0, 2)];
    out.push(Instr::Config(Config::Tensor {
        base,
        h: h as u16,
        w: w as u16,
        cs: cs as u16,
        ow: d.range(1, 6) as u16,
        oh: d.range(1, 6) as u16,
    }));
    out.push(Instr::Config(Config::Window {
        stride,
        dilation,
        pad,
        kw,
        cg,
    }));
    (n as u16, cg, kw)
}

/// A random program for `arch` from `seed` (see the module docs).
pub fn random_program(arch: &Arch, seed: u64) -> RandomProgram {
    let mut d = Draw(SplitMix64::new(seed));
    let (inb, wb, accb) = (arch.input(), arch.weight(), arch.accumulator());
    let (iw, ww, aw) = (inb.word_bytes(), wb.word_bytes(), accb.word_bytes());
    let (in_depth, w_depth, acc_depth) = (inb.depth(), wb.depth(), accb.depth());
    // the image: input words, weight words, accumulator words
    let (w_base, acc_base) = (in_depth * iw, in_depth * iw + w_depth * ww);
    let len = (acc_base + acc_depth * aw) as usize;
    let mut dram = Vec::with_capacity(len);
    while dram.len() < len {
        dram.extend_from_slice(&d.0.next_u64().to_le_bytes());
    }
    dram.truncate(len);

    // the longest COMPUTE whose reads fit `(input, weight)` words and whose writes fit the
    // accumulator
    let rs = arch.dataflow() == Dataflow::RowStationary;
    // the words of a COMPUTE of `n` (a pass of `n` outputs of `pass` on a row-stationary array)
    let words = |n: u32, pass: &RsPass| -> ComputeWords {
        if rs {
            ComputeWords::of_pass(n, pass.steps.into(), pass.blocks.into()).unwrap_or(
                ComputeWords {
                    input: u32::MAX,
                    weight: u32::MAX,
                    out: u32::MAX,
                },
            )
        } else {
            arch.compute_words(n)
        }
    };
    // the smallest pass (T = H = B = 1) for sizing the read parts
    let unit_pass = RsPass {
        steps: 1,
        block_rows: 1,
        blocks: 1,
        row_step: 0,
    };
    let longest_of = |inp: u32, wt: u32, pass: &RsPass| -> u32 {
        let fits = |n: u32| {
            let w = words(n, pass);
            w.input <= inp && w.weight <= wt && w.out <= acc_depth
        };
        let (mut lo, mut hi) = (0u32, u32::from(u16::MAX));
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    };
    let longest = |inp: u32, wt: u32| longest_of(inp, wt, &unit_pass);
    // Read parts: the lower half of each operand buffer, or all of it when half holds no COMPUTE.
    let (mut in_read, mut w_read) = (in_depth.div_ceil(2), w_depth.div_ceil(2));
    if longest(in_read, w_read) == 0 {
        (in_read, w_read) = (in_depth, w_depth);
    }
    let max_len = longest(in_read, w_read).min(4 * arch.rows().max(arch.cols()) + 8);

    let mut instrs = vec![];
    loads(
        &mut d,
        &mut instrs,
        LoadTarget::Input,
        (0, in_read),
        iw,
        0,
        3,
    );
    loads(
        &mut d,
        &mut instrs,
        LoadTarget::Weight,
        (0, w_read),
        ww,
        w_base,
        3,
    );
    instrs.push(Instr::Sync { mask: unit::DMA });

    let mut prev_out: Option<(u32, u32)> = None;
    // a STORE possibly in flight (no SYNC with the DMA bit since): an accumulating COMPUTE then
    // waits for it, as the accumulator's read port requires (docs/TIMING.md, "Accumulator read
    // port")
    let mut storing = false;
    // the gather registers' tensor (`None` before the first CONFIG): (N, Cg, KW)
    let mut tensor: Option<(u16, u16, u8)> = None;
    let body = d.range(4, MAX_BODY);
    for _ in 0..body {
        // a row-stationary array also draws gathers (choice 10)
        match d.range(0, if rs { 10 } else { 9 }) {
            // COMPUTE
            0..=4 if max_len > 0 => {
                let pass = if rs {
                    draw_pass(&mut d, arch, in_read, w_read, acc_depth)
                } else {
                    unit_pass
                };
                let max_len = if rs {
                    longest_of(in_read, w_read, &pass).min(4 * arch.rows().max(arch.cols()) + 8)
                } else {
                    max_len
                };
                let len = d.range(1, u64::from(max_len)) as u32;
                let w = words(len, &pass);
                let in_addr = d.range(0, u64::from(in_read - w.input)) as u32;
                let w_addr = d.range(0, u64::from(w_read - w.weight)) as u32;
                // the previous COMPUTE's region again (when it is as long), or a new one
                let out_addr = match prev_out {
                    Some((a, n)) if n == w.out && d.chance(1, 3) => a,
                    _ => d.range(0, u64::from(acc_depth - w.out)) as u32,
                };
                prev_out = Some((out_addr, w.out));
                let accumulate = d.chance(1, 2);
                // (most COMPUTEs wait for a STORE in flight: one that overwrites the words it
                // reads is a race the event engine refuses)
                if storing && (accumulate || d.chance(3, 4)) {
                    instrs.push(Instr::Sync { mask: unit::DMA });
                    storing = false;
                }
                instrs.push(if rs {
                    Instr::ComputeRs {
                        len: len as u16,
                        in_addr,
                        w_addr,
                        out_addr,
                        accumulate,
                        pass,
                    }
                } else {
                    Instr::Compute {
                        len: len as u16,
                        in_addr,
                        w_addr,
                        out_addr,
                        accumulate,
                    }
                });
            }
            5 | 6 => {
                let mask = d.range(0, u64::from(unit::ALL)) as u8;
                storing &= mask & unit::DMA == 0;
                instrs.push(Instr::Sync { mask });
            }
            // a LOAD into the part nothing reads, or (rarely) anywhere
            7 => {
                let input = d.chance(1, 2);
                let (depth, read, target, wbytes, base) = if input {
                    (in_depth, in_read, LoadTarget::Input, iw, 0)
                } else {
                    (w_depth, w_read, LoadTarget::Weight, ww, w_base)
                };
                let lo = if d.chance(1, 8) || read >= depth {
                    0
                } else {
                    read
                };
                let from = d.range(u64::from(lo), u64::from(depth - 1)) as u32;
                let to = d.range(u64::from(from) + 1, u64::from(depth)) as u32;
                loads(&mut d, &mut instrs, target, (from, to), wbytes, base, 1);
            }
            // a gather LOAD into the input buffer, now and then behind a new CONFIG pair
            10 => {
                if tensor.is_none() || d.chance(1, 3) {
                    tensor = Some(draw_config(&mut d, &mut instrs, w_base + w_depth * ww));
                }
                let (n, cg, kw) = tensor.expect("configured");
                let lo = if d.chance(1, 8) || in_read >= in_depth {
                    0
                } else {
                    in_read
                };
                let from = d.range(u64::from(lo), u64::from(in_depth - 1)) as u32;
                let count = d.range(1, u64::from((in_depth - from).min(40))) as u16;
                let pos = GatherPos {
                    n: d.range(0, u64::from(n - 1)) as u16,
                    oh: d.range(0, 4) as u16,
                    ow: d.range(0, 4) as u16,
                    kh: d.range(0, 3) as u8,
                    kw: d.range(0, u64::from(kw - 1)) as u8,
                    c: d.range(0, u64::from(cg - 1)) as u16,
                };
                instrs.push(Instr::Gather {
                    target: LoadTarget::Input,
                    count,
                    sram_addr: from,
                    pos,
                });
            }
            // a STORE of an accumulator range, behind a SYNC of every unit
            _ => {
                instrs.push(Instr::Sync { mask: unit::ALL });
                let from = d.range(0, u64::from(acc_depth - 1)) as u32;
                let to = d.range(u64::from(from) + 1, u64::from(acc_depth)) as u32;
                let count = (to - from).min(u32::from(u16::MAX));
                instrs.push(Instr::Store {
                    count: count as u16,
                    dram_addr: acc_base + from * aw,
                    sram_addr: from,
                });
                storing = true;
            }
        }
    }
    // epilogue: every unit done, the whole accumulator stored
    instrs.push(Instr::Sync { mask: unit::ALL });
    let mut at = 0;
    while at < acc_depth {
        let count = (acc_depth - at).min(u32::from(u16::MAX));
        instrs.push(Instr::Store {
            count: count as u16,
            dram_addr: acc_base + at * aw,
            sram_addr: at,
        });
        at += count;
    }
    instrs.push(Instr::Halt);
    RandomProgram {
        program: Program { instrs },
        dram,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_accepted_by_the_checker() {
        let arch = tessera_arch::builtin::arch("ws_4x4").unwrap();
        for seed in 0..50 {
            let a = random_program(&arch, seed);
            let b = random_program(&arch, seed);
            assert_eq!(a.program, b.program);
            assert_eq!(a.dram, b.dram);
            crate::engine::check_program(&arch, &a.program, a.dram.len())
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
        assert_ne!(
            random_program(&arch, 1).program,
            random_program(&arch, 2).program
        );
    }

    /// On a row-stationary array every COMPUTE drawn is a legal pass, and the shapes vary.
    #[test]
    fn row_stationary_programs_draw_legal_passes() {
        let arch =
            tessera_arch::ArchSpec::ws("rs", 3, 4, [3 * 6 * 16, 3 * 64, 4 * 4 * 64], 1, 8, 4)
                .row_stationary(6)
                .validate()
                .unwrap();
        let mut shapes = std::collections::BTreeSet::new();
        let (mut gathers, mut configs) = (0, 0);
        for seed in 0..100 {
            let p = random_program(&arch, seed);
            crate::engine::check_program(&arch, &p.program, p.dram.len())
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            for i in &p.program.instrs {
                assert!(!matches!(i, Instr::Compute { .. }));
                if let Instr::ComputeRs { pass, .. } = i {
                    shapes.insert((pass.steps, pass.block_rows, pass.blocks, pass.row_step));
                }
                gathers += usize::from(matches!(i, Instr::Gather { .. }));
                configs += usize::from(matches!(i, Instr::Config(_)));
            }
        }
        assert!(shapes.len() >= 20, "{shapes:?}");
        // gathers, each run under a CONFIG pair drawn before it
        assert!(
            gathers >= 50 && configs >= 40,
            "{gathers} gathers, {configs} CONFIGs"
        );
    }
}
