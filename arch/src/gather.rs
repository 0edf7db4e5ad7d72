//! The DMA's gather address generator (docs/TIMING.md, "Gather registers"): the read request of each
//! word of a gather LOAD, an implicit im2col of an input tensor that lies in DRAM as `[N][H][W][Cs]`.
//!
//! This is the one Rust definition of the addressing: both simulator engines run it, the lowering's
//! tests sum its traffic against the schedule's closed form, and the DMA template implements the
//! same rules in Verilog. `tessera verify --trace` compares every request the RTL presents with the
//! simulator's and fails on the first that differs (`tests/tests/it/rtl_vs_sim.rs` runs it on
//! convolutions of both dataflows).
//!
//! A request `(addr, stride, first, count)` fills bytes `first .. first + count` of the word from
//! `addr + (j - first)·stride`; the other bytes are zero. A word that reads nothing (padding) is the
//! all-zero request.

use crate::isa::{Config, GatherPos};
use crate::Dataflow;
use serde::{Deserialize, Serialize};

/// The gather registers (all zero after reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatherRegs {
    /// Byte address of element `[0][0][0][0]` of the tensor (a group's first channel).
    pub base: u32,
    pub h: u16,
    pub w: u16,
    /// Channels per pixel in DRAM (the pixel's stride in bytes).
    pub cs: u16,
    pub ow: u16,
    pub oh: u16,
    /// (height, width).
    pub stride: [u8; 2],
    pub dilation: [u8; 2],
    /// Padding before: (top, left).
    pub pad: [u8; 2],
    /// Kernel width.
    pub kw: u8,
    /// Channels per group.
    pub cg: u16,
}

impl GatherRegs {
    /// What a CONFIG writes.
    pub fn write(&mut self, c: &Config) {
        match *c {
            Config::Tensor {
                base,
                h,
                w,
                cs,
                ow,
                oh,
            } => {
                self.base = base;
                self.h = h;
                self.w = w;
                self.cs = cs;
                self.ow = ow;
                self.oh = oh;
            }
            Config::Window {
                stride,
                dilation,
                pad,
                kw,
                cg,
            } => {
                self.stride = stride;
                self.dilation = dilation;
                self.pad = pad;
                self.kw = kw;
                self.cg = cg;
            }
        }
    }
}

/// One word's DRAM read request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReq {
    pub addr: u64,
    pub stride: u64,
    pub first: u32,
    pub count: u32,
}

impl ReadReq {
    /// Word `i` of a linear LOAD of `b`-byte words from `addr`.
    pub fn linear(addr: u32, i: u32, b: u32) -> ReadReq {
        ReadReq {
            addr: u64::from(addr) + u64::from(i) * u64::from(b),
            stride: 1,
            first: 0,
            count: b,
        }
    }

    /// The byte after the last one read (0 for a word that reads nothing).
    pub fn end(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.addr + u64::from(self.count - 1) * self.stride + 1
        }
    }

    /// Fill `word` (all its bytes) from `dram`. The request must lie inside `dram` (checked before a
    /// program runs).
    #[inline]
    pub fn fill(&self, dram: &[u8], word: &mut [i8]) {
        word.fill(0);
        let (f, n) = (self.first as usize, self.count as usize);
        let a = self.addr as usize;
        if self.stride == 1 {
            for (d, s) in word[f..f + n].iter_mut().zip(&dram[a..a + n]) {
                *d = *s as i8;
            }
        } else {
            let s = self.stride as usize;
            for (j, d) in word[f..f + n].iter_mut().enumerate() {
                *d = dram[a + j * s] as i8;
            }
        }
    }
}

/// The requests of one gather LOAD, word after word.
#[derive(Clone, Debug)]
pub struct Gather {
    regs: GatherRegs,
    /// A word is one k-step of consecutive output pixels (output- and input-stationary), not
    /// channels of one pixel (weight-stationary).
    os: bool,
    /// Row-stationary: a word is one step `(kw, c)` of consecutive input rows.
    rs: bool,
    /// Bytes per word: the input buffer's word (R operands; C on an input-stationary array).
    r: u32,
    n: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    c: u32,
}

impl Gather {
    /// A gather LOAD of words of `r` bytes (the input buffer's word: the array's rows, or its
    /// columns on an input-stationary array) on an array of this dataflow, from `pos`.
    pub fn new(regs: &GatherRegs, dataflow: Dataflow, r: u32, pos: &GatherPos) -> Gather {
        Gather {
            regs: *regs,
            os: matches!(
                dataflow,
                Dataflow::OutputStationary | Dataflow::InputStationary
            ),
            rs: dataflow == Dataflow::RowStationary,
            r,
            n: pos.n.into(),
            oh: pos.oh.into(),
            ow: pos.ow.into(),
            kh: pos.kh.into(),
            kw: pos.kw.into(),
            c: pos.c.into(),
        }
    }

    /// The current word's request; then step to the next word.
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> ReadReq {
        let g = &self.regs;
        let (h, w, cs) = (i64::from(g.h), i64::from(g.w), u64::from(g.cs));
        let ih = i64::from(self.oh) * i64::from(g.stride[0])
            + i64::from(self.kh) * i64::from(g.dilation[0])
            - i64::from(g.pad[0]);
        let iw0 = i64::from(self.ow) * i64::from(g.stride[1])
            + i64::from(self.kw) * i64::from(g.dilation[1])
            - i64::from(g.pad[1]);
        let at = |iw: i64| {
            u64::from(g.base)
                + ((u64::from(self.n) * h as u64 + ih as u64) * w as u64 + iw as u64) * cs
                + u64::from(self.c)
        };
        let row_ok = (0..h).contains(&ih);
        let req = if self.rs {
            // byte j: input row (oh + j)·sh + kh·dh - pt at column iw0; the rows inside the tensor
            // are a run [lo, hi) (they grow with j)
            let sh = i64::from(g.stride[0]);
            let (mut lo, mut hi) = (None, 0);
            for j in 0..self.r {
                if (0..h).contains(&(ih + i64::from(j) * sh)) {
                    lo.get_or_insert(j);
                    hi = j + 1;
                }
            }
            match lo {
                Some(lo) if (0..w).contains(&iw0) => {
                    let ih_lo = ih + i64::from(lo) * sh;
                    ReadReq {
                        addr: u64::from(g.base)
                            + ((u64::from(self.n) * h as u64 + ih_lo as u64) * w as u64
                                + iw0 as u64)
                                * cs
                            + u64::from(self.c),
                        // (modulo 2^32, as the DMA's address arithmetic: docs/TIMING.md)
                        stride: (sh as u64 * w as u64 * cs) & 0xFFFF_FFFF,
                        first: lo,
                        count: hi - lo,
                    }
                }
                _ => ReadReq::default(),
            }
        } else if self.os {
            // R consecutive output pixels of one row; the valid ones are a run [lo, hi).
            let sw = i64::from(g.stride[1]);
            let (mut lo, mut hi) = (None, 0);
            for j in 0..self.r {
                let iw = iw0 + i64::from(j) * sw;
                if self.ow + j < u32::from(g.ow) && (0..w).contains(&iw) {
                    lo.get_or_insert(j);
                    hi = j + 1;
                }
            }
            match lo {
                Some(lo) if row_ok => ReadReq {
                    addr: at(iw0 + i64::from(lo) * sw),
                    stride: sw as u64 * cs,
                    first: lo,
                    count: hi - lo,
                },
                _ => ReadReq::default(),
            }
        } else {
            let count = self.r.min(u32::from(g.cg).saturating_sub(self.c));
            if row_ok && (0..w).contains(&iw0) && count > 0 {
                ReadReq {
                    addr: at(iw0),
                    stride: 1,
                    first: 0,
                    count,
                }
            } else {
                ReadReq::default()
            }
        };
        self.step();
        req
    }

    /// Run the next `out.len() / r` words into `out` (words of `r` bytes), reading `dram`: the
    /// functional effect of a gather LOAD in one call. Returns the bytes read from DRAM, or the index
    /// and end of the first word that would read past `dram` (nothing after it is written).
    pub fn read_words(&mut self, dram: &[u8], out: &mut [i8]) -> Result<u64, (usize, u64)> {
        let r = self.r as usize;
        let words = out.len() / r;
        let mut bytes = 0u64;
        let mut i = 0;
        while i < words {
            // Weight-stationary, inside an output row: the words of the rest of the row differ only
            // in their column, so they are read in one run (the same requests as `next`, which the
            // tests hold it to).
            let g = &self.regs;
            if !self.os && !self.rs && self.ow < u32::from(g.ow) {
                let run = (u32::from(g.ow) - self.ow).min((words - i) as u32);
                let (h, w, cs) = (i64::from(g.h), i64::from(g.w), u64::from(g.cs));
                let ih = i64::from(self.oh) * i64::from(g.stride[0])
                    + i64::from(self.kh) * i64::from(g.dilation[0])
                    - i64::from(g.pad[0]);
                let count = self.r.min(u32::from(g.cg).saturating_sub(self.c)) as usize;
                let row = (0..h).contains(&ih) && count > 0;
                let row_base = u64::from(g.base)
                    + (u64::from(self.n) * h as u64 + ih.max(0) as u64) * w as u64 * cs
                    + u64::from(self.c);
                let (sw, kwo) = (
                    i64::from(g.stride[1]),
                    i64::from(self.kw) * i64::from(g.dilation[1]) - i64::from(g.pad[1]),
                );
                for j in 0..run as usize {
                    let word = &mut out[(i + j) * r..(i + j + 1) * r];
                    let iw = (i64::from(self.ow) + j as i64) * sw + kwo;
                    if row && (0..w).contains(&iw) {
                        let a = row_base + iw as u64 * cs;
                        let end = a + count as u64;
                        if end > dram.len() as u64 {
                            return Err((i + j, end));
                        }
                        for (d, s) in word[..count]
                            .iter_mut()
                            .zip(&dram[a as usize..end as usize])
                        {
                            *d = *s as i8;
                        }
                        word[count..].fill(0);
                        bytes += count as u64;
                    } else {
                        word.fill(0);
                    }
                }
                // as `run` calls of `step`: the column advances, and wraps into the row at the end
                self.ow += run - 1;
                self.step();
                i += run as usize;
                continue;
            }
            let req = self.next();
            if req.end() > dram.len() as u64 {
                return Err((i, req.end()));
            }
            req.fill(dram, &mut out[i * r..(i + 1) * r]);
            bytes += u64::from(req.count);
            i += 1;
        }
        Ok(bytes)
    }

    /// Advance to the next word. The walker's registers are as wide as the fields they start from
    /// (16 bits, kernel positions 8) and wrap as the hardware's do.
    fn step(&mut self) {
        let g = &self.regs;
        let inc16 = |v: u32| (v + 1) & 0xFFFF;
        let inc8 = |v: u32| (v + 1) & 0xFF;
        if self.rs {
            // c innermost, wrapping at Cg into kw; kw at KW into the next output column
            if inc16(self.c) == u32::from(g.cg) {
                self.c = 0;
                if inc8(self.kw) == u32::from(g.kw) {
                    self.kw = 0;
                    self.ow = inc16(self.ow);
                } else {
                    self.kw = inc8(self.kw);
                }
            } else {
                self.c = inc16(self.c);
            }
        } else if self.os {
            if inc16(self.c) == u32::from(g.cg) {
                self.c = 0;
                if inc8(self.kw) == u32::from(g.kw) {
                    self.kw = 0;
                    self.kh = inc8(self.kh);
                } else {
                    self.kw = inc8(self.kw);
                }
            } else {
                self.c = inc16(self.c);
            }
        } else if inc16(self.ow) == u32::from(g.ow) {
            self.ow = 0;
            if inc16(self.oh) == u32::from(g.oh) {
                self.oh = 0;
                self.n = inc16(self.n);
            } else {
                self.oh = inc16(self.oh);
            }
        } else {
            self.ow = inc16(self.ow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `read_words` (with its row runs) reads exactly what `next` word by word does.
        #[test]
        fn read_words_equals_next_word_by_word(
            h in 0u16..7, w in 0u16..7, cs in 1u16..6, ow in 0u16..6, oh in 0u16..5,
            stride in (0u8..3, 0u8..3), dilation in (0u8..3, 0u8..3), pad in (0u8..3, 0u8..3),
            kw in 0u8..4, cg in 0u16..6, os: bool, r in 1u32..6, count in 1usize..40,
            pos in (0u16..2, 0u16..6, 0u16..7, 0u8..3, 0u8..3, 0u16..6),
        ) {
            let regs = GatherRegs {
                base: 3, h, w, cs, ow, oh,
                stride: [stride.0, stride.1], dilation: [dilation.0, dilation.1],
                pad: [pad.0, pad.1], kw, cg,
            };
            let dram: Vec<u8> = (0..600u32).map(|x| (x * 7 + 1) as u8).collect();
            let p = GatherPos { n: pos.0, oh: pos.1, ow: pos.2, kh: pos.3, kw: pos.4, c: pos.5 };
            let df = if os { Dataflow::OutputStationary } else { Dataflow::WeightStationary };
            let mut fast = Gather::new(&regs, df, r, &p);
            let mut slow = Gather::new(&regs, df, r, &p);
            let mut got = vec![7i8; count * r as usize];
            let res = fast.read_words(&dram, &mut got);
            let mut want = vec![0i8; count * r as usize];
            let mut bytes = 0u64;
            let mut err = None;
            for (i, word) in want.chunks_exact_mut(r as usize).enumerate() {
                let q = slow.next();
                if q.end() > dram.len() as u64 {
                    err = Some((i, q.end()));
                    break;
                }
                q.fill(&dram, word);
                bytes += u64::from(q.count);
            }
            match err {
                Some(e) => prop_assert_eq!(res, Err(e)),
                None => {
                    prop_assert_eq!(res, Ok(bytes));
                    prop_assert_eq!(got, want);
                    prop_assert_eq!(fast.next(), slow.next());
                }
            }
        }
    }

    proptest! {
        /// Row-stationary (docs/TIMING.md, "Gather registers"): byte `j` of word `i` is the input
        /// at row `(oh + j)·sh + kh·dh - pt`, column `ow'·sw + kw'·dw - pl`, channel `c'`, where
        /// `(ow', kw', c')` is the start advanced by `i` with `c` innermost (wrapping at `Cg` into
        /// `kw`, `kw` at `KW` into `ow`), or zero outside the tensor — computed here element by
        /// element — and `read_words` reads the same.
        #[test]
        fn row_stationary_words_are_diagonal_rows(
            h in 1u16..7, w in 1u16..7, cs in 1u16..5, sh in 1u8..3, sw in 1u8..3,
            dh in 1u8..3, dw in 1u8..3, pt in 0u8..3, pl in 0u8..3, kw in 1u8..4, cg in 1u16..4,
            r in 1u32..7, count in 1usize..30,
            pos in (0u16..2, 0u16..5, 0u16..5, 0u8..3, 0u8..3, 0u16..3),
        ) {
            prop_assume!(cg <= cs && pos.4 < kw && pos.5 < cg);
            let regs = GatherRegs {
                base: 5, h, w, cs, ow: 9, oh: 9, stride: [sh, sw], dilation: [dh, dw],
                pad: [pt, pl], kw, cg,
            };
            let dram: Vec<u8> = (0..2000u32).map(|x| (x * 13 + 7) as u8).collect();
            let p = GatherPos { n: pos.0, oh: pos.1, ow: pos.2, kh: pos.3, kw: pos.4, c: pos.5 };
            let mut g = Gather::new(&regs, Dataflow::RowStationary, r, &p);
            let mut fast = g.clone();
            let (mut ow, mut kwi, mut c) = (u32::from(p.ow), u32::from(p.kw), u32::from(p.c));
            let mut want = vec![0i8; count * r as usize];
            for word in want.chunks_exact_mut(r as usize) {
                let q = g.next();
                let mut got = vec![0i8; r as usize];
                q.fill(&dram, &mut got);
                let iw = i64::from(ow) * i64::from(sw) + i64::from(kwi) * i64::from(dw)
                    - i64::from(pl);
                for (j, b) in word.iter_mut().enumerate() {
                    let ih = (i64::from(p.oh) + j as i64) * i64::from(sh)
                        + i64::from(p.kh) * i64::from(dh) - i64::from(pt);
                    if (0..i64::from(h)).contains(&ih) && (0..i64::from(w)).contains(&iw) {
                        let a = u64::from(regs.base)
                            + ((u64::from(p.n) * u64::from(h) + ih as u64) * u64::from(w)
                                + iw as u64) * u64::from(cs) + u64::from(c);
                        *b = dram[a as usize] as i8;
                    }
                }
                prop_assert_eq!(&got, &word.to_vec());
                c += 1;
                if c == u32::from(cg) {
                    c = 0;
                    kwi += 1;
                    if kwi == u32::from(kw) {
                        kwi = 0;
                        ow += 1;
                    }
                }
            }
            let mut got = vec![7i8; count * r as usize];
            prop_assert!(fast.read_words(&dram, &mut got).is_ok());
            prop_assert_eq!(got, want);
        }
    }

    fn regs() -> GatherRegs {
        // a 1×4×5×3 tensor at 100, 3×3 kernel, stride 2, padding 1, output 2×3
        GatherRegs {
            base: 100,
            h: 4,
            w: 5,
            cs: 3,
            ow: 3,
            oh: 2,
            stride: [2, 2],
            dilation: [1, 1],
            pad: [1, 1],
            kw: 3,
            cg: 3,
        }
    }

    #[test]
    fn weight_stationary_walks_pixels_and_pads_with_zero_words() {
        let pos = GatherPos {
            n: 0,
            oh: 0,
            ow: 0,
            kh: 0,
            kw: 0,
            c: 0,
        };
        let mut g = Gather::new(&regs(), Dataflow::WeightStationary, 4, &pos);
        let reqs: Vec<ReadReq> = (0..7).map(|_| g.next()).collect();
        // (oh, ow) = (0,0): ih = -1, padding; (0,1), (0,2) too; (1,0): ih = 1, iw = -1, padding;
        // (1,1): ih = 1, iw = 1 → 100 + (1·5 + 1)·3 = 118, 3 of 4 bytes; then (1,2), and n = 1.
        assert!(reqs[..4].iter().all(|r| *r == ReadReq::default()));
        assert_eq!(
            reqs[4],
            ReadReq {
                addr: 118,
                stride: 1,
                first: 0,
                count: 3
            }
        );
        assert_eq!(reqs[5].addr, 124);
        assert_eq!(reqs[6], ReadReq::default()); // n = 1, oh = 0: padding row again
    }

    #[test]
    fn output_stationary_reads_a_strided_run_of_pixels() {
        let pos = GatherPos {
            n: 0,
            oh: 1,
            ow: 0,
            kh: 1,
            kw: 0,
            c: 2,
        };
        let mut g = Gather::new(&regs(), Dataflow::OutputStationary, 4, &pos);
        // ih = 2; iw_j = 2j - 1: j = 0 is padding, j = 1, 2 valid (iw 1, 3), j = 3 past OW.
        assert_eq!(
            g.next(),
            ReadReq {
                addr: 100 + (2 * 5 + 1) * 3 + 2,
                stride: 6,
                first: 1,
                count: 2
            }
        );
        // c wraps into kw = 1: iw_j = 2j, all of j < 3 valid
        let r = g.next();
        assert_eq!((r.first, r.count, r.addr), (0, 3, 100 + 2 * 5 * 3));
        let mut word = [9i8; 4];
        let dram: Vec<u8> = (0..200u32).map(|x| x as u8).collect();
        r.fill(&dram, &mut word);
        assert_eq!(word, [130u8 as i8, 136u8 as i8, 142u8 as i8, 0]);
    }
}
