//! The weight-stationary compute unit with a broadcast row bus and/or adder-tree reduction
//! (docs/TIMING.md, "Interconnect options"), register by register: the preload sequencer (as
//! [`super::ws::WsUnit`]'s), the input skew chains (partial-sum chain only), the PE mesh (`a`
//! registers moving right with systolic streaming; none with a broadcast), the partial sums moving
//! down (chain) or the product registers and each column's pipelined adder tree, the output deskew
//! chains (systolic streaming only) and the write-back.
//!
//! When a row is written comes out of the structure: each streamed word's valid tag passes one
//! register per register its last operand crosses on the way to the output — row R-1's skew chain,
//! the `a` registers along row R-1, the PE's sum or product register, the tree's levels — counted
//! from the unit's own registers, not from the contract's formula. The default interconnect runs on
//! [`super::ws::WsUnit`]; a test holds this unit to it on the default too.

use super::{ComputeOp, ComputeOut, Ports, Reads};
use std::collections::VecDeque;
use tessera_arch::{Noc, Reduce, Stream};

pub(crate) struct WsNocUnit {
    r: usize,
    c: usize,
    broadcast: bool,
    tree: bool,
    op: Option<ComputeOp>,
    /// Cycles since the first busy cycle (τ).
    tau: u32,
    /// Stationary weights, PE (r, c) at r·C + c.
    w: Vec<i8>,
    /// `a_out` registers (systolic streaming only).
    a: Vec<i8>,
    /// `psum_out` (chain) or product (tree) registers, PE (r, c) at r·C + c.
    pe: Vec<i32>,
    /// The adder tree's levels 1..=D, level `l` with ⌈R/2^l⌉ registers per column, `[j·C + c]`.
    levels: Vec<Vec<i32>>,
    /// Row r's input skew chain (chain: r registers; tree: none).
    skew: Vec<VecDeque<i8>>,
    /// Column c's deskew chain (systolic: C-1-c registers; broadcast: none).
    deskew: Vec<VecDeque<i32>>,
    /// Valid tags from the input port register to the row's output: one stage per register on
    /// the path of row R-1's operand to column C-1's result.
    tags: VecDeque<Option<u32>>,
    /// The tag in the input port register.
    port_tag: Option<u32>,
    out_row: Vec<i32>,
    /// Scratch: a row's operands as the PEs see them.
    a_in: Vec<i8>,
}

impl WsNocUnit {
    pub fn new(r: usize, c: usize, noc: Noc) -> Self {
        let broadcast = noc.stream == Stream::Broadcast;
        let tree = noc.reduce == Reduce::AdderTree;
        let mut levels = vec![];
        if tree {
            let mut n = r;
            while n > 1 {
                n = n.div_ceil(2);
                levels.push(vec![0; n * c]);
            }
        }
        let skew: Vec<VecDeque<i8>> = (0..r)
            .map(|k| VecDeque::from(vec![0; if tree { 0 } else { k }]))
            .collect();
        let deskew: Vec<VecDeque<i32>> = (0..c)
            .map(|k| VecDeque::from(vec![0; if broadcast { 0 } else { c - 1 - k }]))
            .collect();
        // registers on the last operand's path: its skew chain, the `a` registers to column C-1,
        // the PE's register, the tree's levels (column C-1 has no deskew register)
        let stages = skew[r - 1].len() + if broadcast { 0 } else { c - 1 } + 1 + levels.len();
        Self {
            r,
            c,
            broadcast,
            tree,
            op: None,
            tau: 0,
            w: vec![0; r * c],
            a: vec![0; r * c],
            pe: vec![0; r * c],
            levels,
            skew,
            deskew,
            tags: VecDeque::from(vec![None; stages]),
            port_tag: None,
            out_row: vec![0; c],
            a_in: vec![0; c],
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

    /// Column c's result as it leaves the array: the last PE row's partial sum, or the tree's root.
    fn column(&self, col: usize) -> i32 {
        match self.levels.last() {
            Some(root) => root[col],
            None => self.pe[(self.r - 1) * self.c + col],
        }
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let Some(op) = self.op else {
            return out;
        };
        let (r, tau) = (self.r as u32, self.tau);
        // the tag reaching the output next cycle: the row to read when accumulating
        let next = if self.tags.len() >= 2 {
            self.tags[1]
        } else {
            self.port_tag
        };
        out.reads = Reads {
            weight: (tau < r).then(|| op.w_addr + r - 1 - tau),
            input: (tau >= r && tau < r + op.len).then(|| op.in_addr + tau - r),
            acc_a: next.filter(|_| op.accumulate).map(|m| op.out_addr + m),
            acc_b: None,
        };
        if let Some(m) = self.tags.front().copied().flatten() {
            for col in 0..self.c {
                let v = match self.deskew[col].front() {
                    Some(&d) => d,
                    None => self.column(col),
                };
                self.out_row[col] = if op.accumulate {
                    ports.acc_a[col].wrapping_add(v)
                } else {
                    v
                };
            }
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
        // tags: the port's enters the path, the one at the output leaves it
        self.tags.pop_front();
        self.tags.push_back(self.port_tag);
        self.port_tag = out.reads.input.map(|a| a - op.in_addr);
        // deskew chains take the array's outputs of this cycle
        for col in 0..c {
            let v = self.column(col);
            let d = &mut self.deskew[col];
            if d.pop_front().is_some() {
                d.push_back(v);
            }
        }
        // the adder tree, top level first, each level from the one below as it was this cycle
        step_tree(&mut self.levels, &self.pe, c);
        // PEs, a row at a time from the bottom, so the row above still holds this cycle's sums
        for row in (0..r).rev() {
            let x = if self.tree || row == 0 {
                ports.input[row]
            } else {
                *self.skew[row].front().expect("skew stages")
            };
            let base = row * c;
            if self.broadcast {
                self.a_in.fill(x);
            } else {
                let a_row = &mut self.a[base..base + c];
                a_row.copy_within(0..c - 1, 1);
                a_row[0] = x;
                self.a_in.copy_from_slice(a_row);
            }
            let w_row = &self.w[base..base + c];
            let (above, here) = self.pe.split_at_mut(base);
            let here = &mut here[..c];
            if self.tree || row == 0 {
                for ((p, &a), &w) in here.iter_mut().zip(&self.a_in).zip(w_row) {
                    *p = i32::from(a) * i32::from(w);
                }
            } else {
                let above = &above[base - c..];
                for (((p, &q), &a), &w) in here.iter_mut().zip(above).zip(&self.a_in).zip(w_row) {
                    *p = q.wrapping_add(i32::from(a) * i32::from(w));
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew[row];
            if s.pop_front().is_some() {
                s.push_back(ports.input[row]);
            }
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

/// One cycle of the columns' adder trees (docs/TIMING.md, "Interconnect options"): level `l`'s
/// register `j` of column `col` takes the sum of registers `2j` and `2j+1` of level `l-1` (level 0
/// = the PE products `products`, row-major over `c` columns), or register `2j` alone when `2j+1`
/// does not exist; top level first, so each level reads the one below as it was this cycle.
pub(super) fn step_tree(levels: &mut [Vec<i32>], products: &[i32], c: usize) {
    for l in (0..levels.len()).rev() {
        let (below, here) = levels.split_at_mut(l);
        let src: &[i32] = if l == 0 { products } else { &below[l - 1] };
        let n_src = src.len() / c;
        for (j, regs) in here[0].chunks_mut(c).enumerate() {
            for (col, reg) in regs.iter_mut().enumerate() {
                let x = src[2 * j * c + col];
                *reg = if 2 * j + 1 < n_src {
                    x.wrapping_add(src[(2 * j + 1) * c + col])
                } else {
                    x
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ws::WsUnit;
    use super::*;

    /// On the default interconnect this unit is [`WsUnit`], cycle for cycle: same reads, same
    /// writes, same rows, on random port data.
    #[test]
    fn the_default_interconnect_is_the_weight_stationary_unit() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (r, c, len, acc) in [
            (1, 1, 3, false),
            (3, 2, 5, true),
            (4, 5, 9, true),
            (2, 6, 1, false),
        ] {
            let mut a = WsUnit::new(r, c);
            let mut b = WsNocUnit::new(r, c, Noc::default());
            let op = ComputeOp {
                len,
                in_addr: 7,
                w_addr: 3,
                out_addr: 11,
                accumulate: acc,
            };
            a.start(op);
            b.start(op);
            for _ in 0..200 {
                let ports = Ports {
                    input: (0..r).map(|_| next() as i8).collect(),
                    weight: (0..c).map(|_| next() as i8).collect(),
                    acc_a: (0..c).map(|_| next() as i32).collect(),
                    acc_b: vec![0; c],
                };
                let (oa, ob) = (a.eval(&ports), b.eval(&ports));
                assert_eq!(
                    (
                        oa.reads.input,
                        oa.reads.weight,
                        oa.reads.acc_a,
                        oa.acc_write,
                        oa.done
                    ),
                    (
                        ob.reads.input,
                        ob.reads.weight,
                        ob.reads.acc_a,
                        ob.acc_write,
                        ob.done
                    )
                );
                if oa.acc_write.is_some() {
                    assert_eq!(a.out_row(), b.out_row());
                }
                a.commit(&ports, &oa);
                b.commit(&ports, &ob);
                if oa.done {
                    break;
                }
            }
            assert!(!a.busy() && !b.busy(), "{r}x{c}: both finish");
        }
    }
}
