//! Where a GEMM's operands and results live in DRAM, in the word formats of docs/TIMING.md.
//!
//! - A: `ceil(K/R)` k-slices, each `M` words of `R` bytes (byte `r` = `A[m][s·R + r]`, zero-padded).
//! - B: `ceil(K/R) × ceil(N/C)` weight tiles, each `R` words of `C` bytes (word `r`, byte `c` =
//!   `B[s·R + r][t·C + c]`, zero-padded), tile `(s, t)` at index `s·ceil(N/C) + t`.
//! - C: `ceil(N/C)` n-slices, each `M` words of `C` little-endian int32 lanes.
//!
//! Padding is real traffic: the DMA moves the zero bytes too, and the models count them.

use serde::{Deserialize, Serialize};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::Gemm;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramLayout {
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub rows: u32,
    pub cols: u32,
    pub a_base: u32,
    pub b_base: u32,
    pub c_base: u32,
    pub total_bytes: u32,
}

const ALIGN: u64 = 64;

fn align(x: u64) -> u64 {
    x.div_ceil(ALIGN) * ALIGN
}

impl DramLayout {
    pub fn new(g: &Gemm, arch: &Arch) -> Result<Self> {
        let (r, c) = (u64::from(arch.rows), u64::from(arch.cols));
        let ks = u64::from(g.k).div_ceil(r);
        let ns = u64::from(g.n).div_ceil(c);
        let a_bytes = ks * u64::from(g.m) * r;
        let b_bytes = ks * ns * r * c;
        let c_bytes = ns * u64::from(g.m) * 4 * c;
        let a_base = 0;
        let b_base = align(a_base + a_bytes);
        let c_base = align(b_base + b_bytes);
        let total = align(c_base + c_bytes);
        if total > u64::from(u32::MAX) {
            return Err(Diagnostic::new(format!(
                "layer {:?} needs {total} B of DRAM, more than the 32-bit DRAM address space",
                g.name
            )));
        }
        Ok(Self {
            m: g.m,
            k: g.k,
            n: g.n,
            rows: arch.rows,
            cols: arch.cols,
            a_base: a_base as u32,
            b_base: b_base as u32,
            c_base: c_base as u32,
            total_bytes: total as u32,
        })
    }

    fn ns(&self) -> u32 {
        self.n.div_ceil(self.cols)
    }

    /// Byte address of A's word for k-slice `s`, row `m`.
    pub fn a_addr(&self, s: u32, m: u32) -> u32 {
        self.a_base + (s * self.m + m) * self.rows
    }
    /// Byte address of weight tile `(s, t)`'s first word.
    pub fn b_addr(&self, s: u32, t: u32) -> u32 {
        self.b_base + (s * self.ns() + t) * self.rows * self.cols
    }
    /// Byte address of C's word for n-slice `t`, row `m`.
    pub fn c_addr(&self, t: u32, m: u32) -> u32 {
        self.c_base + (t * self.m + m) * 4 * self.cols
    }

    /// The initial DRAM image: A and B in place, C zero.
    pub fn image(&self, a: &[i8], b: &[i8]) -> Vec<u8> {
        let (m, k, n) = (self.m as usize, self.k as usize, self.n as usize);
        let (r, c) = (self.rows as usize, self.cols as usize);
        assert_eq!(a.len(), m * k);
        assert_eq!(b.len(), k * n);
        let mut img = vec![0u8; self.total_bytes as usize];
        for s in 0..self.k.div_ceil(self.rows) {
            for mi in 0..self.m {
                let base = self.a_addr(s, mi) as usize;
                for rr in 0..r {
                    let kk = s as usize * r + rr;
                    if kk < k {
                        img[base + rr] = a[mi as usize * k + kk] as u8;
                    }
                }
            }
            for t in 0..self.ns() {
                let base = self.b_addr(s, t) as usize;
                for rr in 0..r {
                    let kk = s as usize * r + rr;
                    for cc in 0..c {
                        let nn = t as usize * c + cc;
                        if kk < k && nn < n {
                            img[base + rr * c + cc] = b[kk * n + nn] as u8;
                        }
                    }
                }
            }
        }
        img
    }

    /// Read C (M×N row-major) out of a final DRAM image.
    pub fn read_c(&self, img: &[u8]) -> Vec<i32> {
        let (m, n, c) = (self.m as usize, self.n as usize, self.cols as usize);
        let mut out = vec![0i32; m * n];
        for mi in 0..m {
            for nn in 0..n {
                let t = nn / c;
                let a = self.c_addr(t as u32, mi as u32) as usize + 4 * (nn % c);
                out[mi * n + nn] = i32::from_le_bytes([img[a], img[a + 1], img[a + 2], img[a + 3]]);
            }
        }
        out
    }
}
