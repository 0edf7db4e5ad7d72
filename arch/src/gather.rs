//! The DMA's gather address generator (docs/TIMING.md, "Gather registers"): the read request of each
//! word of a gather LOAD, an implicit im2col of an input tensor that lies in DRAM as `[N][H][W][Cs]`.
//!
//! This is the one Rust definition of the addressing: both simulator engines run it, the lowering's
//! tests check the DRAM image against it, and the DMA template implements the same rules in Verilog
//! (held to this by the Verilator comparison, which checks every request the RTL presents).
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
    os: bool,
    /// Bytes per word (the array's rows).
    r: u32,
    n: u32,
    oh: u32,
    ow: u32,
    kh: u32,
    kw: u32,
    c: u32,
}

impl Gather {
    /// A gather LOAD of an array with `r` rows and this dataflow, from `pos`.
    pub fn new(regs: &GatherRegs, dataflow: Dataflow, r: u32, pos: &GatherPos) -> Gather {
        Gather {
            regs: *regs,
            os: dataflow == Dataflow::OutputStationary,
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
        let req = if self.os {
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

    /// Advance to the next word. The walker's registers are as wide as the fields they start from
    /// (16 bits, kernel positions 8) and wrap as the hardware's do.
    fn step(&mut self) {
        let g = &self.regs;
        let inc16 = |v: u32| (v + 1) & 0xFFFF;
        let inc8 = |v: u32| (v + 1) & 0xFF;
        if self.os {
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
