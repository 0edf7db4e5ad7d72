//! The row-stationary compute unit (docs/TIMING.md, "Compute unit: row-stationary") on hand-written
//! programs: both engines give the same cycles, trace, counters and DRAM; a pass is busy exactly
//! `T·(E + 1) + B + 2` cycles from its issue; and the stored outputs equal a convolution computed
//! here straight from the filters and the input rows (not from the buffer words). A gather LOAD
//! stores the row-stationary words computed here from the tensor. Then the programs
//! `check_program` must refuse on row-stationary and other arrays.

use tessera_arch::isa::{unit, Config, GatherPos, Instr, LoadTarget, Program, RsPass};
use tessera_arch::{Arch, ArchSpec};
use tessera_sim::{simulate, Engine, SimOptions, SimResult};

/// An `r × c` row-stationary array whose PEs hold `f` operands, 32-bit accumulators, one bank.
fn rs_arch(r: i64, c: i64, f: i64) -> Arch {
    ArchSpec::ws(
        "rs_test",
        r,
        c,
        [(r + c - 1) * 64, r * 64, 4 * c * 64],
        1,
        8,
        5,
    )
    .row_stationary(f)
    .validate()
    .unwrap()
}

/// A small deterministic int8 value (both signs, the extremes included).
fn val(seed: usize) -> i8 {
    let x = (seed as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17);
    [-128i8, 127, -1, 0, 1][seed % 7 % 5].wrapping_add((x >> 40) as i8 & 0x3f)
}

/// Run on both engines with a trace; assert they agree on everything and return the event one's.
fn run_both(arch: &Arch, instrs: Vec<Instr>, dram: Vec<u8>) -> SimResult {
    let program = Program { instrs };
    let [ev, st] = [Engine::Event, Engine::Stepped].map(|engine| {
        simulate(
            arch,
            &program,
            dram.clone(),
            &SimOptions {
                engine,
                trace: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{engine:?}: {e}"))
    });
    assert_eq!(ev.report.cycles, st.report.cycles, "cycles");
    assert_eq!(ev.report.counters, st.report.counters, "counters");
    assert_eq!(ev.report.units, st.report.units, "unit statistics");
    assert_eq!(ev.report.breakdown, st.report.breakdown, "breakdown");
    assert!(ev.dram == st.dram, "DRAM images differ");
    let te: Vec<String> = ev
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    let ts: Vec<String> = st
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(te, ts, "traces");
    ev
}

/// The busy length of every COMPUTE in the trace: issue cycle to `compute done`.
fn compute_spans(r: &SimResult) -> Vec<u64> {
    let trace = r.trace.as_ref().unwrap();
    let mut issued = None;
    let mut spans = vec![];
    for e in trace {
        if e.unit == "ctrl" && e.event == "issue" && e.fields.ends_with("COMPUTE") {
            issued = Some(e.cycle);
        }
        if e.unit == "compute" && e.event == "done" {
            spans.push(e.cycle - issued.take().expect("a COMPUTE issued before it is done"));
        }
    }
    spans
}

/// Pack a row-stationary pass's operands the contract's way: weight word `t` byte `r` is
/// `w[r][t]` (row `r` of the array holds filter row `w[r]`), input word `x·T + t` byte `j` is
/// `rows[j][x + t]` (input row `j` at position `x + t`: a stride-1 1-D convolution of width `T`).
fn pack(
    w: &[Vec<i8>],
    rows: &[Vec<i8>],
    (r, c): (usize, usize),
    t_n: usize,
    e: usize,
) -> (Vec<u8>, Vec<u8>) {
    let mut wt = vec![0u8; t_n * r];
    for t in 0..t_n {
        for (row, wr) in w.iter().enumerate() {
            wt[t * r + row] = wr[t] as u8;
        }
    }
    let iw = r + c - 1;
    let mut inp = vec![0u8; e * t_n * iw];
    for x in 0..e {
        for t in 0..t_n {
            for (j, ir) in rows.iter().enumerate() {
                inp[(x * t_n + t) * iw + j] = ir[x + t] as u8;
            }
        }
    }
    (wt, inp)
}

fn read_out(dram: &[u8], at: usize, words: usize, c: usize) -> Vec<Vec<i32>> {
    (0..words)
        .map(|k| {
            (0..c)
                .map(|l| {
                    let o = at + (k * c + l) * 4;
                    i32::from_le_bytes(dram[o..o + 4].try_into().unwrap())
                })
                .collect()
        })
        .collect()
}

/// One pass on a 3×4 array (`F = 6`): `T = 4` kernel columns, one block of the 3 rows, row step 1,
/// `E = 3` outputs: output row `c`, position `x` is `Σ_{kh<3} Σ_{t<4} w[kh][t] · I[c + kh][x + t]`.
#[test]
fn one_pass_on_a_3x4_array_is_a_convolution_and_takes_the_contracts_cycles() {
    let (r, c, f) = (3usize, 4usize, 6);
    let arch = rs_arch(r as i64, c as i64, f);
    let (t_n, e) = (4usize, 3usize);
    let w: Vec<Vec<i8>> = (0..r)
        .map(|kh| (0..t_n).map(|t| val(7 * kh + t + 1)).collect())
        .collect();
    // input rows 0..R+C-1, positions 0..E+T-1
    let rows: Vec<Vec<i8>> = (0..r + c - 1)
        .map(|j| (0..e + t_n - 1).map(|p| val(100 + 13 * j + p)).collect())
        .collect();
    let (wt, inp) = pack(&w, &rows, (r, c), t_n, e);
    let (w_base, out_base) = (inp.len(), inp.len() + wt.len());
    let mut dram = inp.clone();
    dram.extend_from_slice(&wt);
    dram.resize(out_base + e * c * 4, 0xAA);
    let pass = RsPass {
        steps: t_n as u8,
        block_rows: 3,
        blocks: 1,
        row_step: 1,
    };
    let instrs = vec![
        Instr::Load {
            target: LoadTarget::Weight,
            count: t_n as u16,
            dram_addr: w_base as u32,
            sram_addr: 0,
        },
        Instr::Load {
            target: LoadTarget::Input,
            count: (e * t_n) as u16,
            dram_addr: 0,
            sram_addr: 0,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::ComputeRs {
            len: e as u16,
            in_addr: 0,
            w_addr: 0,
            out_addr: 0,
            accumulate: false,
            pass,
        },
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: e as u16,
            dram_addr: out_base as u32,
            sram_addr: 0,
        },
        Instr::Halt,
    ];
    let res = run_both(&arch, instrs, dram);
    // busy T·(E + 1) + B + 2 = 4·4 + 1 + 2 = 19 cycles
    assert_eq!(compute_spans(&res), vec![19]);
    // by hand (W = 8, L = 5, P = 1, one transfer slot): the weight LOAD issues at 0, busy 1..=9
    // (L + k_3 + 1 = 9, k_i = i); the input LOAD issues at 10, busy 11..=27 (L + 11 + 1); the SYNC
    // passes at 28; the pass issues at 29, busy 30..=48; the SYNC passes at 49; the STORE of
    // three 16-byte words issues at 50 (k_i = 2i + 1), busy 51..=62 (k_2 + L + 2 = 12); HALT
    // completes at 63: 64 cycles
    assert_eq!(res.report.cycles.get(), 64);
    assert_eq!(pass.busy(e as u64), 19);
    let out = read_out(&res.dram, out_base, e, c);
    for (x, word) in out.iter().enumerate() {
        for (col, &v) in word.iter().enumerate() {
            let mut want = 0i32;
            for (kh, wr) in w.iter().enumerate() {
                for (t, &wv) in wr.iter().enumerate() {
                    want += i32::from(wv) * i32::from(rows[col + kh][x + t]);
                }
            }
            assert_eq!(v, want, "output row {col}, position {x}");
        }
    }
    let k = &res.report.counters;
    assert_eq!(
        (k.weight.reads, k.input.reads, k.accumulator.writes),
        (4, 12, 3)
    );
    // the accumulator is read only by the STORE (3 words): the pass does not accumulate
    assert_eq!(k.accumulator.reads, 3);
    assert_eq!(k.array_macs, (r * c * e * t_n) as u64);
    assert_eq!(res.report.breakdown.compute, (e * t_n) as u64);
    // every PE's `out` captures the E outputs
    assert_eq!(k.captures, e as u64);
    // the PEs' energy by hand: E·T steps (every `ps`, a window-bus link into each PE), T preload
    // steps (a register-file entry of every PE, a row-bus link into each) and E captures (every
    // `out`, its link to the block adder); the STOREs read no weight
    let (pes, ob, ab) = ((r * c) as u64, 8, 32);
    let (tech, mm) = (arch.tech(), tessera_sim::area::pe_pitch_um(&arch) / 1000.0);
    let cost = |reg_bits, wire_bits| {
        tech.register_energy(reg_bits).get() + tech.wire_energy(wire_bits, mm).get()
    };
    let want = (e * t_n) as f64 * cost(pes * ab, pes * ob)
        + t_n as f64 * cost(pes * ob, pes * ob)
        + e as f64 * cost(pes * ab, pes * ab);
    let got = tessera_sim::Energy::of(&arch, k).noc_pj;
    assert!((got - want).abs() < 1e-9 * want, "{got} != {want}");
}

/// Two filters of two rows each (`H = 2`, `B = 2`) on a 5×3 array, row step 2 (a kernel with
/// dilation 2: block row `h` reads input row `c + 2h`), `T = 3`, `E = 2`; row 4 belongs to no
/// block. The second pass accumulates onto the first: filter `b`'s output row `c`, position `x` is
/// the sum of both passes' `Σ_{h<2} Σ_{t<3} w_b[h][t] · I[c + 2h][x + t]`.
#[test]
fn two_blocks_with_row_step_2_accumulate_onto_a_previous_pass() {
    let (r, c, f) = (5usize, 3usize, 6);
    let arch = rs_arch(r as i64, c as i64, f);
    let (t_n, e, blocks, h_n) = (3usize, 2usize, 2usize, 2usize);
    let pass = RsPass {
        steps: t_n as u8,
        block_rows: h_n as u8,
        blocks: blocks as u8,
        row_step: 2,
    };
    // per pass p: the array's rows' filter rows (row b·H + h = filter b, kernel row h; row 4 is
    // loaded with values too, never summed) and the input rows
    let mk = |p: usize| {
        let w: Vec<Vec<i8>> = (0..r)
            .map(|row| (0..t_n).map(|t| val(1000 * p + 11 * row + t + 3)).collect())
            .collect();
        let rows: Vec<Vec<i8>> = (0..r + c - 1)
            .map(|j| {
                (0..e + t_n - 1)
                    .map(|q| val(500 + 1000 * p + 17 * j + q))
                    .collect()
            })
            .collect();
        (w, rows)
    };
    let passes = [mk(0), mk(1)];
    let packed: Vec<_> = passes
        .iter()
        .map(|(w, rows)| pack(w, rows, (r, c), t_n, e))
        .collect();
    let (in_words, iw) = (e * t_n, r + c - 1);
    // image: pass 0's inputs, pass 1's inputs, pass 0's weights, pass 1's weights, outputs
    let mut dram = vec![];
    for (_, inp) in &packed {
        dram.extend_from_slice(inp);
    }
    let w_base = dram.len();
    for (wt, _) in &packed {
        dram.extend_from_slice(wt);
    }
    let out_base = dram.len();
    let out_words = e * blocks;
    dram.resize(out_base + out_words * c * 4, 0x55);
    let compute = |p: usize, accumulate| Instr::ComputeRs {
        len: e as u16,
        in_addr: (p * in_words) as u32,
        w_addr: (p * t_n) as u32,
        out_addr: 0,
        accumulate,
        pass,
    };
    let instrs = vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: (2 * in_words) as u16,
            dram_addr: 0,
            sram_addr: 0,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: (2 * t_n) as u16,
            dram_addr: w_base as u32,
            sram_addr: 0,
        },
        Instr::Sync { mask: unit::DMA },
        compute(0, false),
        compute(1, true),
        Instr::Sync {
            mask: unit::COMPUTE,
        },
        Instr::Store {
            count: out_words as u16,
            dram_addr: out_base as u32,
            sram_addr: 0,
        },
        Instr::Halt,
    ];
    assert_eq!(dram.len(), out_base + out_words * c * 4);
    assert_eq!(packed[0].1.len(), in_words * iw);
    let res = run_both(&arch, instrs, dram);
    // busy T·(E + 1) + B + 2 = 3·3 + 2 + 2 = 13 cycles each; the second issues the cycle after
    // the first is done
    assert_eq!(compute_spans(&res), vec![13, 13]);
    let out = read_out(&res.dram, out_base, out_words, c);
    for b in 0..blocks {
        for x in 0..e {
            for col in 0..c {
                let mut want = 0i32;
                for (w, rows) in &passes {
                    for h in 0..h_n {
                        for t in 0..t_n {
                            want +=
                                i32::from(w[b * h_n + h][t]) * i32::from(rows[col + 2 * h][x + t]);
                        }
                    }
                }
                assert_eq!(
                    out[b * e + x][col],
                    want,
                    "filter {b}, output row {col}, position {x}"
                );
            }
        }
    }
    let k = &res.report.counters;
    assert_eq!(
        (k.weight.reads, k.input.reads, k.accumulator.writes),
        (6, 12, 8)
    );
    // the second pass reads its 4 words to accumulate, the STORE 4
    assert_eq!(k.accumulator.reads, 8);
    assert_eq!(k.array_macs, 2 * (r * c * e * t_n) as u64);
    assert_eq!(k.captures, 2 * e as u64);
}

/// Sums wrap around at the accumulator's width (docs/TIMING.md, "Accumulator width"): with 16-bit
/// lanes, a pass of `T = 8` steps of `127 · 127` per row, three rows, stores the low 16 bits of
/// the exact sum, the same on both engines.
#[test]
fn sums_wrap_at_16_bits() {
    let (r, c) = (3usize, 2usize);
    let arch = ArchSpec::ws("rs16", 3, 2, [4 * 64, 3 * 64, 2 * 2 * 64], 1, 8, 5)
        .row_stationary(8)
        .with_accumulator_bits(16)
        .validate()
        .unwrap();
    let t_n = 8;
    let mut dram = vec![127u8; t_n * (r + c - 1) + t_n * r];
    let out_base = dram.len();
    dram.resize(out_base + 2 * c, 0);
    let instrs = vec![
        Instr::Load {
            target: LoadTarget::Input,
            count: t_n as u16,
            dram_addr: 0,
            sram_addr: 0,
        },
        Instr::Load {
            target: LoadTarget::Weight,
            count: t_n as u16,
            dram_addr: (t_n * (r + c - 1)) as u32,
            sram_addr: 0,
        },
        Instr::Sync { mask: unit::DMA },
        Instr::ComputeRs {
            len: 1,
            in_addr: 0,
            w_addr: 0,
            out_addr: 0,
            accumulate: false,
            pass: RsPass {
                steps: t_n as u8,
                block_rows: 3,
                blocks: 1,
                row_step: 0,
            },
        },
        Instr::Sync { mask: unit::ALL },
        Instr::Store {
            count: 1,
            dram_addr: out_base as u32,
            sram_addr: 0,
        },
        Instr::Halt,
    ];
    let res = run_both(&arch, instrs, dram);
    let exact = 3 * 8 * 127 * 127i32;
    for l in 0..c {
        let o = out_base + 2 * l;
        let v = i16::from_le_bytes([res.dram[o], res.dram[o + 1]]);
        assert_eq!(v, exact as i16, "lane {l}");
    }
    assert_ne!(i32::from(exact as i16), exact);
}

/// A gather LOAD on a row-stationary array (docs/TIMING.md, "Gather registers"): word `i` is step
/// `(kw, c)` of `R + C - 1` input rows `(oh + j)·sh + kh·dh - pt` at output column `ow` (the start's
/// `(ow, kw, c)` advanced `i` steps, `c` wrapping at `Cg` into `kw`, `kw` at `KW` into `ow`), zero
/// outside the tensor. Passes with `T = 1`, `H = R`, step 1 and a one-hot weight at row `r0` store
/// byte `r0 + c` of each word in lane `c`, so the stored words show every gathered byte; both
/// engines agree, store the words computed here from the tensor element by element, count as DRAM
/// traffic exactly the bytes inside the tensor, and trace one read request per word.
#[test]
fn a_gather_reads_row_stationary_words() {
    let (r, c) = (3usize, 4usize);
    let arch = rs_arch(r as i64, c as i64, 4);
    let b = r + c - 1;
    // tensor [2][5][4][3] at 64; the group's channels 1 and 2
    let (n_, h, w, cs, base, c0) = (2usize, 5usize, 4usize, 3usize, 64usize, 1usize);
    let mut dram: Vec<u8> = (0..4096).map(|k| val(k) as u8).collect();
    let (sh, sw, dh, dw, pt, pl, kw_n, cg) = (2i64, 1i64, 1i64, 2i64, 2i64, 1i64, 2i64, 2i64);
    let (n, oh, kh) = (1i64, 0i64, 0i64);
    let count = 15usize;
    let mut words = vec![];
    let mut valid = 0u64;
    let (mut ow, mut kw, mut ch) = (0i64, 0i64, 1i64);
    for _ in 0..count {
        let iw = ow * sw + kw * dw - pl;
        let word: Vec<i8> = (0..b as i64)
            .map(|j| {
                let ih = (oh + j) * sh + kh * dh - pt;
                if (0..h as i64).contains(&ih) && (0..w as i64).contains(&iw) {
                    valid += 1;
                    let at = base
                        + ((n as usize * h + ih as usize) * w + iw as usize) * cs
                        + c0
                        + ch as usize;
                    dram[at] as i8
                } else {
                    0
                }
            })
            .collect();
        words.push(word);
        ch += 1;
        if ch == cg {
            ch = 0;
            kw += 1;
            if kw == kw_n {
                kw = 0;
                ow += 1;
            }
        }
    }
    assert!(words.iter().any(|x| x.iter().all(|&v| v == 0)));
    assert!(n_ * h * w * cs + base <= 1024);
    let w_dram = 1024;
    for r0 in 0..r {
        for j in 0..r {
            dram[w_dram + r0 * r + j] = u8::from(j == r0);
        }
    }
    let out_dram = 1536;
    let mut prog = vec![
        Instr::Config(Config::Tensor {
            base: (base + c0) as u32,
            h: h as u16,
            w: w as u16,
            cs: cs as u16,
            ow: 1,
            oh: 1,
        }),
        Instr::Config(Config::Window {
            stride: [sh as u8, sw as u8],
            dilation: [dh as u8, dw as u8],
            pad: [pt as u8, pl as u8],
            kw: kw_n as u8,
            cg: cg as u16,
        }),
        Instr::Load {
            target: LoadTarget::Weight,
            count: r as u16,
            dram_addr: w_dram as u32,
            sram_addr: 0,
        },
        Instr::Gather {
            target: LoadTarget::Input,
            count: count as u16,
            sram_addr: 0,
            pos: GatherPos {
                n: n as u16,
                oh: oh as u16,
                ow: 0,
                kh: kh as u8,
                kw: 0,
                c: 1,
            },
        },
    ];
    for r0 in 0..r {
        prog.push(Instr::Sync { mask: unit::DMA });
        prog.push(Instr::ComputeRs {
            len: count as u16,
            in_addr: 0,
            w_addr: r0 as u32,
            out_addr: 0,
            accumulate: false,
            pass: RsPass {
                steps: 1,
                block_rows: r as u8,
                blocks: 1,
                row_step: 1,
            },
        });
        prog.push(Instr::Sync {
            mask: unit::COMPUTE,
        });
        prog.push(Instr::Store {
            count: count as u16,
            dram_addr: (out_dram + r0 * count * 4 * c) as u32,
            sram_addr: 0,
        });
    }
    prog.push(Instr::Halt);
    let res = run_both(&arch, prog, dram);
    for r0 in 0..r {
        let got = read_out(&res.dram, out_dram + r0 * count * 4 * c, count, c);
        for (x, word) in words.iter().enumerate() {
            let want: Vec<i32> = (0..c).map(|l| i32::from(word[r0 + l])).collect();
            assert_eq!(got[x], want, "pass r0 = {r0}, word {x}");
        }
    }
    // the weight LOAD's r words of r bytes, then the gathered bytes inside the tensor
    assert_eq!(res.report.counters.dram_read_bytes, (r * r) as u64 + valid);
    let rreqs = res
        .trace
        .as_ref()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("rreq"))
        .count();
    assert_eq!(rreqs, r + count);
}

fn refused(arch: &Arch, instrs: Vec<Instr>) -> String {
    let program = Program { instrs };
    let msgs: Vec<String> = [Engine::Event, Engine::Stepped]
        .map(|engine| {
            match simulate(
                arch,
                &program,
                vec![0; 1 << 14],
                &SimOptions {
                    engine,
                    ..Default::default()
                },
            ) {
                Ok(_) => panic!("{engine:?} ran {:?}", program.instrs),
                Err(e) => e.message,
            }
        })
        .into();
    assert_eq!(msgs[0], msgs[1]);
    msgs[0].clone()
}

#[test]
fn check_program_refuses_illegal_passes_and_foreign_instructions() {
    let arch = rs_arch(3, 4, 6);
    let pass = |steps, block_rows, blocks, row_step| RsPass {
        steps,
        block_rows,
        blocks,
        row_step,
    };
    let rs = |len, p, in_addr, w_addr, out_addr| Instr::ComputeRs {
        len,
        in_addr,
        w_addr,
        out_addr,
        accumulate: false,
        pass: p,
    };
    let ok = pass(4, 3, 1, 1);
    // the legal one runs
    let program = Program {
        instrs: vec![rs(3, ok, 0, 0, 0), Instr::Halt],
    };
    simulate(&arch, &program, vec![0; 64], &SimOptions::default()).unwrap();
    for (ins, what) in [
        (rs(0, ok, 0, 0, 0), "len must be at least 1"),
        (
            rs(1, pass(0, 1, 1, 0), 0, 0, 0),
            "steps 0 must be between 1",
        ),
        (
            rs(1, pass(7, 1, 1, 0), 0, 0, 0),
            "steps 7 must be between 1",
        ),
        (rs(1, pass(4, 0, 1, 0), 0, 0, 0), "blocks of 0 rows"),
        (rs(1, pass(4, 1, 0, 0), 0, 0, 0), "0 blocks of 1 rows"),
        (rs(1, pass(4, 2, 2, 0), 0, 0, 0), "2 blocks of 2 rows"),
        (rs(1, pass(4, 3, 1, 2), 0, 0, 0), "reach byte 4"),
        (
            rs(1, pass(1, 1, 2, 0), 0, 0, 0),
            "2 blocks need at least as many steps",
        ),
        // input words 60..+8 of 64 are fine, 60..+12 pass the end
        (rs(3, ok, 60, 0, 0), "a buffer range exceeds its buffer"),
        (rs(1, ok, 0, 62, 0), "a buffer range exceeds its buffer"),
        (rs(2, ok, 0, 0, 63), "a buffer range exceeds its buffer"),
        (
            Instr::Compute {
                len: 1,
                in_addr: 0,
                w_addr: 0,
                out_addr: 0,
                accumulate: false,
            },
            "runs only row-stationary passes",
        ),
        // gathers are legal (docs/TIMING.md, "Gather registers"), under the usual rules
        (
            Instr::Gather {
                target: LoadTarget::Weight,
                count: 1,
                sram_addr: 0,
                pos: Default::default(),
            },
            "only the input buffer gathers",
        ),
        (
            Instr::Gather {
                target: LoadTarget::Input,
                count: 5,
                sram_addr: 60,
                pos: Default::default(),
            },
            "buffer range exceeds 64 words",
        ),
    ] {
        let m = refused(&arch, vec![ins, Instr::Halt]);
        assert!(m.starts_with("instruction 0 ("), "{m}");
        assert!(m.contains(what), "{ins:?}: {m}");
    }
    // a pass on a weight-stationary array
    let ws = tessera_arch::builtin::arch("ws_4x4").unwrap();
    let m = refused(&ws, vec![rs(1, pass(1, 1, 1, 0), 0, 0, 0), Instr::Halt]);
    assert!(m.contains("on a weight-stationary array"), "{m}");
}

/// The shared ports see a pass's reads: a LOAD into the single-ported input bank a pass reads, or
/// a STORE of the accumulator bank an accumulating pass reads, with no SYNC between them, is
/// refused; with a SYNC it runs.
#[test]
fn a_pass_shares_its_ports_like_any_compute() {
    let arch = ArchSpec::ws("rs_sp", 3, 4, [6 * 64, 3 * 64, 16 * 64], 1, 8, 5)
        .row_stationary(6)
        .with_operand_ports(tessera_arch::SramPorts::OneReadWrite)
        .validate()
        .unwrap();
    let pass = RsPass {
        steps: 2,
        block_rows: 1,
        blocks: 1,
        row_step: 0,
    };
    let compute = |accumulate| Instr::ComputeRs {
        len: 2,
        in_addr: 0,
        w_addr: 0,
        out_addr: 0,
        accumulate,
        pass,
    };
    let load = Instr::Load {
        target: LoadTarget::Input,
        count: 2,
        dram_addr: 0,
        sram_addr: 40,
    };
    let store = Instr::Store {
        count: 2,
        dram_addr: 0,
        sram_addr: 10,
    };
    let m = refused(&arch, vec![compute(false), load, Instr::Halt]);
    assert!(m.contains("input buffer banks 0..=0"), "{m}");
    let m = refused(&arch, vec![compute(true), store, Instr::Halt]);
    assert!(m.contains("accumulator banks 0..=0"), "{m}");
    for prog in [
        vec![
            compute(false),
            Instr::Sync {
                mask: unit::COMPUTE,
            },
            load,
            Instr::Halt,
        ],
        vec![
            compute(true),
            Instr::Sync {
                mask: unit::COMPUTE,
            },
            store,
            Instr::Halt,
        ],
        // a pass that does not accumulate does not read the accumulator
        vec![compute(false), store, Instr::Halt],
    ] {
        let program = Program { instrs: prog };
        let [e, s] = [Engine::Event, Engine::Stepped].map(|engine| {
            simulate(
                &arch,
                &program,
                vec![0; 1 << 12],
                &SimOptions {
                    engine,
                    ..Default::default()
                },
            )
            .unwrap()
            .report
            .cycles
        });
        assert_eq!(e, s);
    }
}

/// A row-stationary accelerator in a system (docs/TIMING.md, "Systems"): beside a
/// weight-stationary one on one DRAM channel, random programs on both agree between the engines
/// (each one's region, cycles, counters, statistics and trace), and the channel was contended.
#[test]
fn a_row_stationary_accelerator_shares_a_channel() {
    use tessera_sim::random_program::random_program;
    use tessera_sim::{simulate_system, SubRun};
    let rs = ArchSpec::ws("rs_sub", 3, 4, [6 * 64, 3 * 64, 16 * 64], 2, 8, 5)
        .row_stationary(5)
        .validate()
        .unwrap();
    let mut ws = tessera_arch::builtin::arch_spec("ws_4x4").unwrap();
    ws.dram.bytes_per_cycle = rs.spec().dram.bytes_per_cycle;
    ws.dram.latency_cycles = rs.spec().dram.latency_cycles;
    let ws = ws.validate().unwrap();
    let (mut ran, mut waited) = (0, 0);
    for seed in 0..40 {
        let progs = [random_program(&rs, seed), random_program(&ws, seed + 1000)];
        let archs = [&rs, &ws];
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
            Err(e) => panic!("seed {seed}: {e}"),
        };
        let st = go(Engine::Stepped).unwrap_or_else(|e| panic!("seed {seed}: stepped: {e}"));
        for (i, (s, e)) in st.iter().zip(&ev).enumerate() {
            let ctx = format!("seed {seed}, sub-accelerator {i}");
            assert!(s.dram == e.dram, "{ctx}: DRAM regions differ");
            assert_eq!(s.report.cycles, e.report.cycles, "{ctx}: cycles");
            assert_eq!(s.report.counters, e.report.counters, "{ctx}: counters");
            assert_eq!(s.report.units, e.report.units, "{ctx}: statistics");
            assert_eq!(s.report.breakdown, e.report.breakdown, "{ctx}: breakdown");
            assert_eq!(s.trace, e.trace, "{ctx}: traces");
            waited += e.report.units.dram_wait_cycles;
        }
        ran += 1;
    }
    println!("{ran} of 40 systems ran, {waited} DRAM wait cycles");
    assert!(ran >= 20, "only {ran} of 40 systems ran");
    assert!(waited > 0);
}
