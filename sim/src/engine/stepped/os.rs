//! The output-stationary compute unit (docs/TIMING.md, "Compute unit: output-stationary"), register
//! by register: the stream sequencer, the input skew chains (one per PE row) and weight skew chains
//! (one per PE column), the PE mesh (`a` moves right, `b` moves down, each PE keeps its sum), and the
//! drain (sums shift down one PE row per cycle; PE row R-1's sums are the written row).
//!
//! Outside the stream the unit feeds zeros into the skew chains, so every PE adds 0 after its last
//! pair. When the drain starts comes out of the pipeline: each streamed k-step carries a valid tag
//! through the port register, the skew chain of PE row R-1 and the `a` registers along PE row R-1;
//! the cycle the last tag reaches PE (R-1, C-1) is its last MAC, and the drain follows.

use super::{ComputeOp, ComputeOut, Ports, Reads, TagPath};
use std::collections::VecDeque;

pub(crate) struct OsUnit {
    r: usize,
    c: usize,
    op: Option<ComputeOp>,
    /// Cycles since the first busy cycle (τ).
    tau: u32,
    /// `a_out` and `b_out` registers and the stationary sums, PE (r, c) at r·C + c.
    a: Vec<i8>,
    b: Vec<i8>,
    acc: Vec<i32>,
    /// Row r's input skew chain (r registers) and column c's weight skew chain (c registers).
    skew_a: Vec<VecDeque<i8>>,
    skew_b: Vec<VecDeque<i8>>,
    /// Valid tags (k-step index) along PE row R-1's operand path.
    tags: TagPath,
    /// Drain cycle d (0..R): PE row R-1 holds output row R-1-d.
    drain: Option<u32>,
    out_row: Vec<i32>,
}

impl OsUnit {
    pub fn new(r: usize, c: usize) -> Self {
        Self {
            r,
            c,
            op: None,
            tau: 0,
            a: vec![0; r * c],
            b: vec![0; r * c],
            acc: vec![0; r * c],
            skew_a: (0..r).map(|k| VecDeque::from(vec![0; k])).collect(),
            skew_b: (0..c).map(|k| VecDeque::from(vec![0; k])).collect(),
            tags: TagPath::new(r, c),
            drain: None,
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
        let streaming = tau < op.len;
        // the old row one cycle before its write: row R-1 in the last MAC cycle, then R-2-d in drain d
        let old_row = match self.drain {
            None => (self.tags.last_pe() == Some(op.len - 1)).then_some(r - 1),
            Some(d) => (d + 1 < r).then(|| r - 2 - d),
        };
        out.reads = Reads {
            input: streaming.then(|| op.in_addr + tau),
            weight: streaming.then(|| op.w_addr + tau),
            acc_a: old_row
                .filter(|_| op.accumulate)
                .map(|row| op.out_addr + row),
            acc_b: None,
        };
        if let Some(d) = self.drain {
            let bottom = (self.r - 1) * self.c;
            for col in 0..self.c {
                let v = self.acc[bottom + col];
                self.out_row[col] = if op.accumulate {
                    ports.acc_a[col].wrapping_add(v)
                } else {
                    v
                };
            }
            out.acc_write = Some(op.out_addr + r - 1 - d);
            out.done = d + 1 == r;
        }
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let Some(op) = self.op else {
            return;
        };
        let (r, c) = (self.r, self.c);
        let valid = self.tags.port().is_some();
        // tags
        let last_mac = self.tags.last_pe() == Some(op.len - 1);
        self.tags.shift(out.reads.input.map(|a| a - op.in_addr));
        // PEs, a row at a time from the bottom, so the row above still holds this cycle's values:
        // a_out <= a_in (the row shifts right), b_out <= b_in (the row above's b_out, or the skewed
        // weights for row 0), and acc <= acc + a_in·b_in, or the row above's acc while draining.
        let draining = self.drain.is_some();
        for row in (0..r).rev() {
            let base = row * c;
            let a_left = match row {
                0 if valid => ports.input[0],
                0 => 0,
                _ => *self.skew_a[row].front().expect("skew stages"),
            };
            let a_row = &mut self.a[base..base + c];
            a_row.copy_within(0..c - 1, 1);
            a_row[0] = a_left;
            let (b_above, b_here) = self.b.split_at_mut(base);
            let b_row = &mut b_here[..c];
            if row == 0 {
                b_row[0] = if valid { ports.weight[0] } else { 0 };
                for (col, b) in b_row.iter_mut().enumerate().skip(1) {
                    *b = *self.skew_b[col].front().expect("skew stages");
                }
            } else {
                b_row.copy_from_slice(&b_above[base - c..]);
            }
            let (acc_above, acc_here) = self.acc.split_at_mut(base);
            let acc_row = &mut acc_here[..c];
            if draining {
                // sums shift down one row; row 0 takes zero
                if row == 0 {
                    acc_row.fill(0);
                } else {
                    acc_row.copy_from_slice(&acc_above[base - c..]);
                }
            } else {
                for ((s, &a), &b) in acc_row.iter_mut().zip(a_row.iter()).zip(b_row.iter()) {
                    *s = s.wrapping_add(i32::from(a) * i32::from(b));
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew_a[row];
            s.pop_front();
            s.push_back(if valid { ports.input[row] } else { 0 });
        }
        for col in 1..c {
            let s = &mut self.skew_b[col];
            s.pop_front();
            s.push_back(if valid { ports.weight[col] } else { 0 });
        }
        self.drain = match self.drain {
            None if last_mac => Some(0),
            None => None,
            Some(d) => Some(d + 1),
        };
        self.tau += 1;
        if out.done {
            self.op = None;
            self.drain = None;
        }
    }
}
