//! Shared helpers of the RTL tests: tool discovery with the SKIPPED / CI rule, a plain int8 GEMM, the
//! contract's DRAM word formats of both dataflows, and the contract's expectation of a program (its
//! cycles and event trace) from the contract's executable form, the event engine.
#![allow(dead_code)]

use tessera_arch::isa::{Instr, Program};
use tessera_arch::Arch;
use tessera_sim::{Engine, SimOptions};
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

/// What docs/TIMING.md says `prog` does, from its one executable form: the event engine of
/// `tessera-sim`, whose unit times are the contract's functions. Returns the cycle count, the final
/// DRAM image and the event trace (one line per event, canonical order).
pub fn contract_run(arch: &Arch, prog: &[Instr], dram: &[u8]) -> (u64, Vec<u8>, Vec<String>) {
    let program = Program {
        instrs: prog.to_vec(),
    };
    let r = tessera_sim::simulate(
        arch,
        &program,
        dram.to_vec(),
        &SimOptions {
            engine: Engine::Event,
            trace: true,
            ..SimOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: the event engine refused the program: {e}", arch.name()));
    let trace = r.trace.unwrap().iter().map(|e| e.to_string()).collect();
    (r.report.cycles.get(), r.dram, trace)
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
        let (r, c) = (arch.rows() as usize, arch.cols() as usize);
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

/// An output-stationary GEMM `C[R×C] = A[R×K] · B[K×C]` (one output tile), laid out in the
/// contract's output-stationary word formats: input word k holds column k of A (operand r =
/// `A[r][k]`), weight word k holds row k of B, the output is R accumulator words.
pub struct OsGemm {
    pub k: usize,
    pub a: Vec<Vec<i8>>,
    pub b: Vec<Vec<i8>>,
    pub dram: Vec<u8>,
    pub a_addr: u32,
    pub b_addr: u32,
    pub c_addr: u32,
}

impl OsGemm {
    pub fn new(arch: &Arch, k: usize, seed: u64) -> OsGemm {
        let (r, c) = (arch.rows() as usize, arch.cols() as usize);
        let raw_a = bytes(seed, r * k);
        let raw_b = bytes(seed ^ 0x5eed, k * c);
        let a: Vec<Vec<i8>> = (0..r)
            .map(|i| (0..k).map(|kk| raw_a[i * k + kk] as i8).collect())
            .collect();
        let b: Vec<Vec<i8>> = (0..k)
            .map(|kk| (0..c).map(|j| raw_b[kk * c + j] as i8).collect())
            .collect();
        let mut dram = vec![0x77u8; 5];
        let a_addr = dram.len() as u32;
        for kk in 0..k {
            dram.extend(a.iter().map(|row| row[kk] as u8));
        }
        let b_addr = dram.len() as u32;
        for row in &b {
            dram.extend(row.iter().map(|&x| x as u8));
        }
        dram.extend([0x5a; 3]);
        let c_addr = dram.len() as u32;
        dram.extend(std::iter::repeat_n(0xeeu8, r * 4 * c));
        dram.extend([0x3c; 2]);
        OsGemm {
            k,
            a,
            b,
            dram,
            a_addr,
            b_addr,
            c_addr,
        }
    }

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

/// An input-stationary GEMM `out[C×N] = A[C×K] · B[K×N]` (one m-slice of the array's columns, N
/// streamed) with `R < K ≤ 2R` in two k-tiles, in the contract's input-stationary word formats:
/// input word `(t, r)` holds `A[0..C)[tR + r]` (a row of A^T), weight word `(t, n)` holds
/// `B[tR .. tR+R)[n]` (a column of B), output word `n` holds `out[0..C)[n]`.
pub struct IsGemm {
    pub n: usize,
    pub a: Vec<Vec<i8>>,
    pub b: Vec<Vec<i8>>,
    pub dram: Vec<u8>,
    pub a_addr: u32,
    pub b_addr: u32,
    pub c_addr: u32,
}

impl IsGemm {
    /// Depth `k` (the second tile's rows past K face zero bytes of B; the A bytes there are
    /// deliberately non-zero, they must be multiplied by zero), `n` streamed columns.
    pub fn new(arch: &Arch, k: usize, n: usize, seed: u64) -> IsGemm {
        let (r, c) = (arch.rows() as usize, arch.cols() as usize);
        assert!(k <= 2 * r);
        let raw_a = bytes(seed, c * 2 * r);
        let raw_b = bytes(seed ^ 0x5eed, 2 * r * n);
        let a_full: Vec<Vec<i8>> = (0..c)
            .map(|i| (0..2 * r).map(|kk| raw_a[i * 2 * r + kk] as i8).collect())
            .collect();
        let b_full: Vec<Vec<i8>> = (0..2 * r)
            .map(|kk| {
                (0..n)
                    .map(|j| if kk < k { raw_b[kk * n + j] as i8 } else { 0 })
                    .collect()
            })
            .collect();
        let a: Vec<Vec<i8>> = a_full.iter().map(|row| row[..k].to_vec()).collect();
        let b: Vec<Vec<i8>> = b_full[..k].to_vec();
        let mut dram = vec![0x6bu8; 3];
        let a_addr = dram.len() as u32;
        for kk in 0..2 * r {
            dram.extend(a_full.iter().map(|row| row[kk] as u8));
        }
        let b_addr = dram.len() as u32;
        for t in 0..2 {
            // word (t, j): column j of B's rows tR .. tR+R
            let rows = &b_full[t * r..(t + 1) * r];
            dram.extend((0..n).flat_map(|j| rows.iter().map(move |row| row[j] as u8)));
        }
        dram.extend([0x5a; 3]);
        let c_addr = dram.len() as u32;
        dram.extend(std::iter::repeat_n(0xeeu8, n * 4 * c));
        dram.extend([0x3c; 4]);
        IsGemm {
            n,
            a,
            b,
            dram,
            a_addr,
            b_addr,
            c_addr,
        }
    }

    /// The expected DRAM image: word `n` of the output holds column `n` of `out`.
    pub fn expected_dram(&self) -> Vec<u8> {
        let mut d = self.dram.clone();
        let out = gemm(&self.a, &self.b);
        let bytes: Vec<u8> = (0..self.n)
            .flat_map(|j| out.iter().map(move |row| row[j]))
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let at = self.c_addr as usize;
        d[at..at + bytes.len()].copy_from_slice(&bytes);
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

/// Equal traces, or a panic showing the first differing line with some context.
pub fn assert_trace(name: &str, got: &[String], want: &[String]) {
    if got == want {
        return;
    }
    let i = (0..got.len().max(want.len()))
        .find(|&i| got.get(i) != want.get(i))
        .unwrap();
    let ctx = want[i.saturating_sub(4)..i.min(want.len())].join("\n    ");
    panic!(
        "{name}: RTL trace differs from docs/TIMING.md at line {i}:\n    {ctx}\n  - want {:?}\n  + got  {:?}",
        want.get(i),
        got.get(i)
    );
}
