//! Where a GEMM's operands and results live in DRAM, in the word formats of docs/TIMING.md. The
//! layout follows the dataflow, so that every LOAD of a [`Step`](crate::Step) is one contiguous run.
//!
//! - A, weight-stationary: `ceil(K/R)` k-slices, each `M` words of `R` bytes (word `(s, m)`, byte `r` =
//!   `A[m][s·R + r]`). Output-stationary: `ceil(M/R)` m-slices, each `K` words of `R` bytes (word
//!   `(i, k)`, byte `r` = `A[i·R + r][k]`: A transposed, a column of the PE rows per word).
//! - B: `ceil(N/C)` n-slices, each `Kb` words of `C` bytes (word `(t, k)`, byte `c` = `B[k][t·C + c]`);
//!   `Kb` is K rounded up to R for weight-stationary (its weight tiles are always R words) and K for
//!   output-stationary.
//! - C: `ceil(N/C)` n-slices, each `M` words of `C` little-endian accumulator lanes.
//!
//! Elements past the layer's edge are zero. Padding is real traffic: the DMA moves the zero bytes
//! too, and the models count them.

use crate::schedule::Step;
use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::Gemm;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DramLayout {
    pub dataflow: Dataflow,
    pub m: u32,
    pub k: u32,
    pub n: u32,
    pub rows: u32,
    pub cols: u32,
    /// Bytes of an input word (R operands), a weight word (C operands) and an accumulator word (C
    /// lanes): the accelerator's, from its datatypes.
    pub in_word_bytes: u32,
    pub w_word_bytes: u32,
    pub acc_word_bytes: u32,
    /// B words per n-slice.
    pub b_words_per_slice: u32,
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
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let (m, k, n) = (u64::from(g.m), u64::from(g.k), u64::from(g.n));
        let opb = u64::from(arch.datatypes().operand_bytes());
        let acc_word = u64::from(arch.accumulator().word_bytes());
        let ns = n.div_ceil(c);
        let (a_words, kb) = match arch.dataflow() {
            Dataflow::OutputStationary => (m.div_ceil(r) * k, k),
            _ => (k.div_ceil(r) * m, k.div_ceil(r) * r),
        };
        let a_bytes = a_words * r * opb;
        let b_bytes = ns * kb * c * opb;
        let c_bytes = ns * m * acc_word;
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
            dataflow: arch.dataflow(),
            m: g.m,
            k: g.k,
            n: g.n,
            rows: arch.rows(),
            cols: arch.cols(),
            in_word_bytes: arch.input().word_bytes(),
            w_word_bytes: arch.weight().word_bytes(),
            acc_word_bytes: acc_word as u32,
            b_words_per_slice: kb as u32,
            a_base: a_base as u32,
            b_base: b_base as u32,
            c_base: c_base as u32,
            total_bytes: total as u32,
        })
    }

    fn ns(&self) -> u32 {
        self.n.div_ceil(self.cols)
    }

    /// A word index of (row `m`, depth `k`): the word holding `A[m][k]`, and the byte within it.
    fn a_word(&self, m: u32, k: u32) -> (u32, u32) {
        match self.dataflow {
            Dataflow::OutputStationary => ((m / self.rows) * self.k + k, m % self.rows),
            _ => ((k / self.rows) * self.m + m, k % self.rows),
        }
    }

    /// Byte address of the first A word a step loads.
    pub fn a_addr(&self, s: &Step) -> u32 {
        let (w, _) = self.a_word(s.m0, s.k0);
        self.a_base + w * self.in_word_bytes
    }
    /// Byte address of the first B word a step loads.
    pub fn b_addr(&self, s: &Step) -> u32 {
        self.b_base + (s.n_slice * self.b_words_per_slice + s.k0) * self.w_word_bytes
    }
    /// Byte address of C's word for n-slice `t`, row `m`.
    pub fn c_addr(&self, t: u32, m: u32) -> u32 {
        self.c_base + (t * self.m + m) * self.acc_word_bytes
    }

    /// The initial DRAM image: A and B in place, C zero. (Operands are int8 here, as the functional
    /// model is; the addresses follow the word widths.)
    pub fn image(&self, a: &[i8], b: &[i8]) -> Vec<u8> {
        let (m, k, n) = (self.m as usize, self.k as usize, self.n as usize);
        let (r, c) = (self.in_word_bytes as usize, self.w_word_bytes as usize);
        let cols = self.cols as usize;
        assert_eq!(a.len(), m * k);
        assert_eq!(b.len(), k * n);
        let mut img = vec![0u8; self.total_bytes as usize];
        for mi in 0..m {
            for kk in 0..k {
                let (w, byte) = self.a_word(mi as u32, kk as u32);
                img[self.a_base as usize + w as usize * r + byte as usize] = a[mi * k + kk] as u8;
            }
        }
        for t in 0..self.ns() as usize {
            for kk in 0..k {
                let base = self.b_base as usize + (t * self.b_words_per_slice as usize + kk) * c;
                for cc in 0..cols {
                    let nn = t * cols + cc;
                    if nn < n {
                        img[base + cc] = b[kk * n + nn] as u8;
                    }
                }
            }
        }
        img
    }

    /// Read C (M×N row-major, int32 lanes) out of a final DRAM image.
    pub fn read_c(&self, img: &[u8]) -> Vec<i32> {
        let (m, n, c) = (self.m as usize, self.n as usize, self.cols as usize);
        let lane = self.acc_word_bytes as usize / c;
        let mut out = vec![0i32; m * n];
        for mi in 0..m {
            for nn in 0..n {
                let t = nn / c;
                let a = self.c_addr(t as u32, mi as u32) as usize + lane * (nn % c);
                out[mi * n + nn] = i32::from_le_bytes([img[a], img[a + 1], img[a + 2], img[a + 3]]);
            }
        }
        out
    }
}
