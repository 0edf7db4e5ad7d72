//! The row-stationary compute unit (docs/TIMING.md, "Compute unit: row-stationary"), register by
//! register: the preload sequencer and the PE register files, the stream sequencer, every PE's
//! partial sum `ps` and output register `out`, the capture, the block adders and the write-back
//! sequencer (with its accumulate read the cycle before each write).
//!
//! What is modelled: every register the contract names. The register files are kept per array
//! row (`rf[r][t]`): all PEs of row `r` take the same byte `r` of a weight word in the same cycle,
//! so the `C` copies of a row are always equal and one stands for them. `ps` and `out` are kept per
//! PE, and rows no block includes (`r ≥ B·H`) compute like the others, unsummed. The word on each
//! read port carries a tag (which weight step, which input step of which output) from the cycle it
//! is read, and every later event comes from registers: `RF[t]` is written when the weight word of
//! step `t` is on the port, a MAC is made when an input word is, `ps` is marked complete after the
//! MAC of a last step, `out` captures a complete `ps`, and the write-back sequencer walks the
//! blocks from the capture. The unit is done in the cycle it writes the last block of the last
//! output, so its busy length comes out of these registers, not from the contract's formula.
//!
//! Left out: the buses themselves (PE (r, c) reads byte `o(r) + c` of the port's word directly).
//! The energy model's row-stationary counters come from here as from the other engine: a weight
//! word read is a preload step (every PE's `RF[t]` written), and [`ComputeOut::capture`] marks the
//! cycles `out` captures (the `captures` counter).

use super::{ComputeOp, ComputeOut, Ports, Reads};
use tessera_arch::isa::RsPass;

/// Where the read sequencer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seq {
    /// Reading weight word `w_addr + t` this cycle.
    Preload(u32),
    /// Reading input word `in_addr + i` this cycle (output `x`, step `t`: `i = x·T + t`).
    Stream { i: u32, x: u32, t: u32 },
    /// Every word read; the sums drain.
    Drain,
}

pub(crate) struct RsUnit {
    r: usize,
    c: usize,
    op: Option<(ComputeOp, RsPass)>,
    seq: Seq,
    /// The step whose weight word is on the weight port this cycle (read last cycle).
    w_tag: Option<u32>,
    /// The (output, step) whose input word is on the input port this cycle.
    in_tag: Option<(u32, u32)>,
    /// Register files, one per array row (`F` operands each; see the module docs).
    rf: Vec<Vec<i8>>,
    /// Partial sums, PE (r, c) at `r·C + c`.
    ps: Vec<i32>,
    /// The output whose complete sum `ps` holds this cycle (its last step was made last cycle).
    ps_done: Option<u32>,
    /// Output registers, PE (r, c) at `r·C + c`.
    out: Vec<i32>,
    /// The write-back sequencer: (output, block) written this cycle.
    wb: Option<(u32, u32)>,
    /// The word written this cycle (the block adders' result, plus the old word when
    /// accumulating).
    out_row: Vec<i32>,
}

impl RsUnit {
    /// A unit for an `r × c` array whose PEs hold `f` operands.
    pub fn new(r: usize, c: usize, f: usize) -> Self {
        Self {
            r,
            c,
            op: None,
            seq: Seq::Drain,
            w_tag: None,
            in_tag: None,
            rf: vec![vec![0; f]; r],
            ps: vec![0; r * c],
            ps_done: None,
            out: vec![0; r * c],
            wb: None,
            out_row: vec![0; c],
        }
    }

    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    /// The pass issued this cycle: its first busy cycle is the next.
    pub fn start(&mut self, op: ComputeOp, pass: RsPass) {
        self.op = Some((op, pass));
        self.seq = Seq::Preload(0);
    }

    pub fn out_row(&self) -> &[i32] {
        &self.out_row
    }

    /// The (output, block) the write-back sequencer moves to at the end of this cycle: the next
    /// block of the output it writes, or block 0 of the output `out` captures now.
    fn next_wb(&self, pass: &RsPass) -> Option<(u32, u32)> {
        if let Some(x) = self.ps_done {
            // (B ≤ T: the previous output's last block is written by now)
            return Some((x, 0));
        }
        self.wb
            .and_then(|(x, b)| (b + 1 < u32::from(pass.blocks)).then_some((x, b + 1)))
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let Some((op, pass)) = self.op else {
            return out;
        };
        out.reads = Reads {
            weight: match self.seq {
                Seq::Preload(t) => Some(op.w_addr + t),
                _ => None,
            },
            input: match self.seq {
                Seq::Stream { i, .. } => Some(op.in_addr + i),
                _ => None,
            },
            // the old word, the cycle before its write
            acc_a: self
                .next_wb(&pass)
                .filter(|_| op.accumulate)
                .map(|(x, b)| op.out_addr + b * op.len + x),
            acc_b: None,
        };
        // `out` captures a complete `ps` at the end of this cycle (counted for the energy model)
        out.capture = self.ps_done.is_some();
        if let Some((x, b)) = self.wb {
            let (c, h) = (self.c, usize::from(pass.block_rows));
            let rows = b as usize * h..(b as usize + 1) * h;
            for col in 0..c {
                let sum = rows
                    .clone()
                    .fold(0i32, |s, row| s.wrapping_add(self.out[row * c + col]));
                self.out_row[col] = if op.accumulate {
                    ports.acc_a[col].wrapping_add(sum)
                } else {
                    sum
                };
            }
            out.acc_write = Some(op.out_addr + b * op.len + x);
            out.done = x + 1 == op.len && b + 1 == u32::from(pass.blocks);
        }
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let Some((op, pass)) = self.op else {
            return;
        };
        let (r, c) = (self.r, self.c);
        let steps = u32::from(pass.steps);
        // the write-back sequencer, from this cycle's registers
        let wb = self.next_wb(&pass);
        // capture: out ← ps, before ps takes this cycle's step
        if self.ps_done.is_some() {
            self.out.copy_from_slice(&self.ps);
        }
        // the MAC of the input word on the port: ps ← (t = 0 ? 0 : ps) + a · RF[t]
        self.ps_done = None;
        if let Some((x, t)) = self.in_tag {
            let iw = ports.input.len();
            debug_assert_eq!(iw, r + c - 1);
            for row in 0..r {
                let w = i32::from(self.rf[row][t as usize]);
                let o = pass.offset(row as u32) as usize;
                let bytes = &ports.input[o..o + c];
                for (p, &a) in self.ps[row * c..(row + 1) * c].iter_mut().zip(bytes) {
                    let prod = i32::from(a) * w;
                    *p = if t == 0 { prod } else { p.wrapping_add(prod) };
                }
            }
            if t + 1 == steps {
                self.ps_done = Some(x);
            }
        }
        // preload: every PE of row r writes byte r of the word on the weight port into RF[t]
        if let Some(t) = self.w_tag {
            for (row, rf) in self.rf.iter_mut().enumerate() {
                rf[t as usize] = ports.weight[row];
            }
        }
        // the read sequencer and the tags of the words read this cycle
        self.w_tag = match self.seq {
            Seq::Preload(t) => Some(t),
            _ => None,
        };
        self.in_tag = match self.seq {
            Seq::Stream { x, t, .. } => Some((x, t)),
            _ => None,
        };
        self.seq = match self.seq {
            Seq::Preload(t) if t + 1 < steps => Seq::Preload(t + 1),
            Seq::Preload(_) => Seq::Stream { i: 0, x: 0, t: 0 },
            Seq::Stream { i, x, t } => {
                if t + 1 < steps {
                    Seq::Stream {
                        i: i + 1,
                        x,
                        t: t + 1,
                    }
                } else if x + 1 < op.len {
                    Seq::Stream {
                        i: i + 1,
                        x: x + 1,
                        t: 0,
                    }
                } else {
                    Seq::Drain
                }
            }
            Seq::Drain => Seq::Drain,
        };
        self.wb = wb;
        if out.done {
            self.op = None;
            self.seq = Seq::Drain;
            self.wb = None;
        }
    }
}
