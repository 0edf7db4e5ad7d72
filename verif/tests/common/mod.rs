//! Shared helpers of the RTL tests: tool discovery with the SKIPPED / CI rule, a plain int8 GEMM, the
//! contract's DRAM word formats, and the contract's cycle count computed from its formulas.
#![allow(dead_code)]

use tessera_arch::isa::{unit, Instr, LoadTarget};
use tessera_arch::Arch;
use tessera_verif::Tools;

/// Verilator (and Yosys when `need_yosys`), or `None` after printing SKIPPED (fails when `CI` is set).
pub fn tools(need_yosys: bool) -> Option<Tools> {
    tessera_verif::tools::tools_for_tests(need_yosys)
}

/// Deterministic bytes (a 64-bit LCG), covering -128..=127.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u8
        })
        .collect()
}

/// Plain int8 GEMM: `c[m][n] = sum_k a[m][k] * b[k][n]`, int32 wrap-around.
pub fn gemm(a: &[Vec<i8>], b: &[Vec<i8>]) -> Vec<Vec<i32>> {
    let n = b.first().map_or(0, |r| r.len());
    a.iter()
        .map(|row| {
            (0..n)
                .map(|j| {
                    row.iter().zip(b).fold(0i32, |s, (&x, brow)| {
                        s.wrapping_add(i32::from(x) * i32::from(brow[j]))
                    })
                })
                .collect()
        })
        .collect()
}

/// `k_i = max(i, ceil((i+1)·b / W) - 1)`.
pub fn k(i: u64, b: u64, w: u64) -> u64 {
    i.max(((i + 1) * b).div_ceil(w) - 1)
}

/// The cycle count docs/TIMING.md gives for `prog`: controller issue rules plus the busy lengths
/// (LOAD L + k_{n-1} + 1, STORE k_{n-1} + L + 2, COMPUTE 2R + C + M); an instruction issued in cycle c
/// is busy during c+1 ..= c+len and the next instruction is looked at in cycle c+1; HALT in h gives h+1.
/// `raw` instructions (any opcode other than the five) behave as HALT.
pub fn contract_cycles(arch: &Arch, prog: &[Instr]) -> u64 {
    contract_schedule(arch, prog).0
}

/// The event trace docs/TIMING.md implies for `prog`, in the canonical order (cycle, then ctrl / dma
/// / compute, then issue < halt and req < rbeat / wbeat < done), one line per event:
/// issue in cycle c; with s = c + 1 (τ = 0): LOAD `req` at s, `rbeat i` at s + L + k_i, `done` at
/// s + L + k_{n-1}; STORE `wbeat i` at s + k_i + 1, `done` at s + k_{n-1} + 1 + L; COMPUTE `done` at
/// s + 2R + C + M - 1; `halt` in the cycle h HALT completes.
pub fn contract_trace(arch: &Arch, prog: &[Instr]) -> Vec<String> {
    contract_schedule(arch, prog).1
}

fn contract_schedule(arch: &Arch, prog: &[Instr]) -> (u64, Vec<String>) {
    let (r, c) = (u64::from(arch.rows), u64::from(arch.cols));
    let (l, w) = (
        arch.dram.latency.get(),
        u64::from(arch.dram.bytes_per_cycle),
    );
    // (cycle, unit: 0 ctrl / 1 dma / 2 compute, rank within the unit, text after "<cycle> ")
    let mut ev: Vec<(u64, u8, u8, String)> = vec![];
    let mut dma_last: Option<u64> = None; // last busy cycle
    let mut cmp_last: Option<u64> = None;
    let mut pc = 0;
    for t in 0u64.. {
        let busy = |last: Option<u64>| last.is_some_and(|x| t <= x);
        let s = t + 1;
        let mut issued = true;
        match prog[pc] {
            Instr::Load {
                target,
                count,
                dram_addr,
                ..
            } if !busy(dma_last) => {
                let b = if target == LoadTarget::Input { r } else { c };
                let n = u64::from(count);
                ev.push((
                    s,
                    1,
                    0,
                    format!("dma req addr={dram_addr} count={n} bytes={b}"),
                ));
                for i in 0..n {
                    ev.push((s + l + k(i, b, w), 1, 1, format!("dma rbeat {i}")));
                }
                let last = s + l + k(n - 1, b, w);
                ev.push((last, 1, 2, "dma done".into()));
                dma_last = Some(last);
            }
            Instr::Store { count, .. } if !busy(dma_last) => {
                let (b, n) = (4 * c, u64::from(count));
                for i in 0..n {
                    ev.push((s + k(i, b, w) + 1, 1, 1, format!("dma wbeat {i}")));
                }
                let last = s + k(n - 1, b, w) + 1 + l;
                ev.push((last, 1, 2, "dma done".into()));
                dma_last = Some(last);
            }
            Instr::Compute { rows, .. } if !busy(cmp_last) => {
                let last = s + 2 * r + c + u64::from(rows) - 1;
                ev.push((last, 2, 2, "compute done".into()));
                cmp_last = Some(last);
            }
            Instr::Sync { mask } => {
                issued = false;
                let wait = (mask & unit::DMA != 0 && busy(dma_last))
                    || (mask & unit::COMPUTE != 0 && busy(cmp_last));
                if !wait {
                    pc += 1;
                }
            }
            Instr::Halt if !busy(dma_last) && !busy(cmp_last) => {
                ev.push((t, 0, 1, "ctrl halt".into()));
                ev.sort_by_key(|e| (e.0, e.1, e.2));
                let lines = ev
                    .into_iter()
                    .map(|(cy, _, _, text)| format!("{cy} {text}"))
                    .collect();
                return (t + 1, lines);
            }
            _ => issued = false, // waits
        }
        if issued {
            ev.push((
                t,
                0,
                0,
                format!("ctrl issue pc={pc} {}", prog[pc].mnemonic()),
            ));
            pc += 1;
        }
    }
    unreachable!()
}

/// A GEMM `C[M×N] = A[M×K] · B[K×N]` with N = C (one column tile) and K ≤ 2R split into two
/// K-tiles, laid out in DRAM in the contract's word formats.
pub struct Gemm {
    pub m: usize,
    pub k: usize,
    pub a: Vec<Vec<i8>>,
    pub b: Vec<Vec<i8>>,
    /// DRAM image: input words, weight words, then room for the output.
    pub dram: Vec<u8>,
    pub a_addr: u32,
    pub b_addr: u32,
    pub c_addr: u32,
}

impl Gemm {
    /// Rows `m`, depth `k` (R < k ≤ 2R: the second tile has 2R - k zero weight rows; the input bytes
    /// facing them are deliberately non-zero, they must be multiplied by zero).
    pub fn new(arch: &Arch, m: usize, k: usize, seed: u64) -> Gemm {
        let (r, c) = (arch.rows as usize, arch.cols as usize);
        assert!(k <= 2 * r);
        let raw_a = bytes(seed, m * 2 * r);
        let raw_b = bytes(seed ^ 0x5eed, 2 * r * c);
        // A is M × 2R in DRAM; columns >= k are garbage that meets zero weights.
        let a_full: Vec<Vec<i8>> = (0..m)
            .map(|i| (0..2 * r).map(|j| raw_a[i * 2 * r + j] as i8).collect())
            .collect();
        let b_full: Vec<Vec<i8>> = (0..2 * r)
            .map(|kk| {
                (0..c)
                    .map(|j| if kk < k { raw_b[kk * c + j] as i8 } else { 0 })
                    .collect()
            })
            .collect();
        let a: Vec<Vec<i8>> = a_full.iter().map(|row| row[..k].to_vec()).collect();
        let b: Vec<Vec<i8>> = b_full[..k].to_vec();
        // input word (t, m) = A[m][tR .. tR+R), tile-major; weight word (t, kk) = B[tR+kk][0..C)
        let mut dram = vec![0xa5u8; 8]; // a few bytes before the data, so address 0 is not special
        let a_addr = dram.len() as u32;
        for t in 0..2 {
            for row in &a_full {
                dram.extend(row[t * r..(t + 1) * r].iter().map(|&x| x as u8));
            }
        }
        let b_addr = dram.len() as u32;
        for row in &b_full {
            dram.extend(row.iter().map(|&x| x as u8));
        }
        dram.extend([0x5a; 3]);
        let c_addr = dram.len() as u32;
        dram.extend(std::iter::repeat_n(0xeeu8, m * 4 * c));
        dram.extend([0x3c; 5]);
        Gemm {
            m,
            k,
            a,
            b,
            dram,
            a_addr,
            b_addr,
            c_addr,
        }
    }

    /// The expected DRAM image after the output is stored at `c_addr`.
    pub fn expected_dram(&self) -> Vec<u8> {
        let mut d = self.dram.clone();
        let out: Vec<u8> = gemm(&self.a, &self.b)
            .iter()
            .flatten()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let at = self.c_addr as usize;
        d[at..at + out.len()].copy_from_slice(&out);
        d
    }
}

/// Print where two DRAM images first differ, for assertion messages.
pub fn first_diff(got: &[u8], want: &[u8]) -> String {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        Some(i) => format!(
            "first difference at byte {i}: got {:02x?}, want {:02x?}",
            &got[i..(i + 16).min(got.len())],
            &want[i..(i + 16).min(want.len())]
        ),
        None if got.len() != want.len() => {
            format!("lengths differ: {} vs {}", got.len(), want.len())
        }
        None => "identical".into(),
    }
}
