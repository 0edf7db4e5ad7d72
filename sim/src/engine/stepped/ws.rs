//! The weight-stationary compute unit (docs/TIMING.md, "Compute unit: weight-stationary"), register
//! by register: the preload sequencer, the input skew chains, the PE mesh (`a` moves right, partial
//! sums move down), the output deskew chains and the write-back.
//!
//! When the unit writes a row, and when it is done, comes out of the pipeline: each streamed input
//! word carries a valid tag (its row index) through the registers its last byte passes — the input
//! port register, the skew chain of PE row R-1, the `a` registers along PE row R-1, and the partial
//! sum of PE (R-1, C-1). The cycle a tag reaches that partial sum, the unit writes that row; the
//! cycle before, it reads the old row when accumulating; the row of the last tag ends the COMPUTE.

use super::{ComputeOp, ComputeOut, Ports, Reads, TagPath};
use std::collections::VecDeque;

pub(crate) struct WsUnit {
    r: usize,
    c: usize,
    op: Option<ComputeOp>,
    /// Cycles since the first busy cycle (τ).
    tau: u32,
    /// Stationary weights, PE (r, c) at r·C + c.
    w: Vec<i8>,
    /// `a_out` registers.
    a: Vec<i8>,
    /// `psum_out` registers.
    psum: Vec<i32>,
    /// Row r's input skew chain (r registers, front = the oldest).
    skew: Vec<VecDeque<i8>>,
    /// Column c's output deskew chain (C-1-c registers).
    deskew: Vec<VecDeque<i32>>,
    /// Valid tags along PE row R-1's operand path, and of the `psum_out` of PE (R-1, C-1).
    tags: TagPath,
    tag_psum: Option<u32>,
    /// The row written this cycle (combinational output of the deskew and the adder).
    out_row: Vec<i32>,
}

impl WsUnit {
    pub fn new(r: usize, c: usize) -> Self {
        Self {
            r,
            c,
            op: None,
            tau: 0,
            w: vec![0; r * c],
            a: vec![0; r * c],
            psum: vec![0; r * c],
            skew: (0..r).map(|k| VecDeque::from(vec![0; k])).collect(),
            deskew: (0..c).map(|k| VecDeque::from(vec![0; c - 1 - k])).collect(),
            tags: TagPath::new(r, c),
            tag_psum: None,
            out_row: vec![0; c],
        }
    }

    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    pub fn start(&mut self, op: ComputeOp) {
        self.op = Some(op);
        self.tau = 0;
    }

    pub fn out_row(&self) -> &[i32] {
        &self.out_row
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let Some(op) = self.op else {
            return out;
        };
        let (r, tau) = (self.r as u32, self.tau);
        out.reads = Reads {
            // preload: weight word w_addr + (R-1-τ) during τ = 0..R-1
            weight: (tau < r).then(|| op.w_addr + r - 1 - tau),
            // stream: input word in_addr + m during τ = R + m
            input: (tau >= r && tau < r + op.len).then(|| op.in_addr + tau - r),
            // the old row, the cycle before its write
            acc_a: self
                .tags
                .last_pe()
                .filter(|_| op.accumulate)
                .map(|m| op.out_addr + m),
            acc_b: None,
        };
        if let Some(m) = self.tag_psum {
            let bottom = (self.r - 1) * self.c;
            write_back_row(
                &mut self.out_row,
                &self.psum[bottom..],
                &self.deskew,
                op.accumulate.then_some(&ports.acc_a[..]),
            );
            out.acc_write = Some(op.out_addr + m);
            out.done = m + 1 == op.len;
        }
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let Some(op) = self.op else {
            return;
        };
        let (r, c) = (self.r, self.c);
        // valid tags, all from this cycle's values
        self.tag_psum = self.tags.last_pe();
        self.tags.shift(out.reads.input.map(|a| a - op.in_addr));
        shift_deskew(&mut self.deskew, &self.psum[(r - 1) * c..]);
        // PEs, a row at a time from the bottom, so the row above still holds this cycle's sums:
        // a_out <= a_in (the row shifts right, a_left enters column 0), psum_out <= psum_in + a_in·w.
        for row in (0..r).rev() {
            let a_left = if row == 0 {
                ports.input[0]
            } else {
                *self.skew[row].front().expect("skew stages")
            };
            let base = row * c;
            let a_row = &mut self.a[base..base + c];
            a_row.copy_within(0..c - 1, 1);
            a_row[0] = a_left;
            let w_row = &self.w[base..base + c];
            let (above, here) = self.psum.split_at_mut(base);
            let here = &mut here[..c];
            if row == 0 {
                for ((p, &a), &w) in here.iter_mut().zip(a_row.iter()).zip(w_row) {
                    *p = i32::from(a) * i32::from(w);
                }
            } else {
                let above = &above[base - c..];
                for (((p, &q), &a), &w) in here.iter_mut().zip(above).zip(a_row.iter()).zip(w_row) {
                    *p = q.wrapping_add(i32::from(a) * i32::from(w));
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew[row];
            s.pop_front();
            s.push_back(ports.input[row]);
        }
        // preload: weights shift down one row; the word read last cycle enters row 0
        if self.tau >= 1 && self.tau <= r as u32 {
            self.w.copy_within(0..(r - 1) * c, c);
            self.w[..c].copy_from_slice(&ports.weight);
        }
        self.tau += 1;
        if out.done {
            self.op = None;
        }
    }
}

/// The row a weight-stationary unit writes this cycle: column c from the end of its deskew chain
/// (the last column straight from PE (R-1, C-1)'s partial sum `bottom[C-1]`), plus the old row
/// `acc` when accumulating.
pub(crate) fn write_back_row(
    out: &mut [i32],
    bottom: &[i32],
    deskew: &[VecDeque<i32>],
    acc: Option<&[i32]>,
) {
    let c = out.len();
    for col in 0..c {
        let v = if col == c - 1 {
            bottom[col]
        } else {
            *deskew[col].front().expect("deskew stages")
        };
        out[col] = acc.map_or(v, |a| a[col].wrapping_add(v));
    }
}

/// Clock edge of the deskew chains: column c takes PE (R-1, c)'s partial sum `bottom[c]`.
pub(crate) fn shift_deskew(deskew: &mut [VecDeque<i32>], bottom: &[i32]) {
    let c = deskew.len();
    for col in 0..c.saturating_sub(1) {
        let d = &mut deskew[col];
        d.pop_front();
        d.push_back(bottom[col]);
    }
}
