//! The weight-stationary compute unit with double-buffered weights (docs/TIMING.md, "double-
//! buffered weights"), register by register, on every interconnect (`array.noc`): every PE has an
//! active and a shadow weight and a switch bit that travels with the first input row of each
//! tile (through the row's skew chain with a partial-sum chain, from PE to PE with systolic
//! streaming, over the row's bus with a broadcast); the next tile's weights shift into the
//! shadows while the current tile streams, and tiles stream back to back. With an adder tree
//! each PE registers its product and column c's pipelined tree sums them (as in
//! [`super::ws_noc`]).
//!
//! As in [`super::ws`], when rows are written and when a tile is done comes out of the pipeline:
//! each streamed word carries a tag (its tile and row) through the registers its last byte passes
//! (row R-1's skew chain, the `a` registers along row R-1, the PE's sum or product register, the
//! tree's levels); the cycle a tag leaves the last of them, that row is written. The only counters
//! are the sequencers': preload cycles of the waiting tile, rows read of the streaming tile, and
//! cycles since the last stream began (for the preload rule: the switch has passed the registers
//! on its way to PE(R-1, C-1)).

use super::ws_noc::step_tree;
use super::{ComputeOp, ComputeOut, Ports, Reads};
use std::collections::VecDeque;
use tessera_arch::{Noc, Reduce, Stream};

/// A tag: tile sequence number (low 16 bits) above the row index (16 bits).
fn tag(seq: u32, m: u32) -> u32 {
    ((seq & 0xffff) << 16) | m
}

fn untag(t: u32) -> (u32, u32) {
    (t >> 16, t & 0xffff)
}

struct Waiting {
    seq: u32,
    op: ComputeOp,
    /// Cycles since the preload began (`None`: not begun).
    pre: Option<u32>,
}

pub(crate) struct WsDbUnit {
    r: usize,
    c: usize,
    broadcast: bool,
    tree: bool,
    /// Cycles from a stream's first read until its switch bit has reached PE(R-1, C-1): the
    /// registers on the way (the port register, row R-1's switch skew, the `sw_out` registers
    /// along the row).
    switch_reach: u32,
    next_seq: u32,
    /// Every tile issued and not done, in issue order (sequence number, fields).
    tiles: VecDeque<(u32, ComputeOp)>,
    waiting: Option<Waiting>,
    /// The streaming tile: sequence number, fields, rows read so far.
    stream: Option<(u32, ComputeOp, u32)>,
    /// Cycles since the last stream began, saturating (`None`: none yet).
    since_stream: Option<u32>,
    /// Whether the input port holds row 0 of a tile (the switch bit entering row 0).
    port_first: bool,
    w_active: Vec<i8>,
    w_shadow: Vec<i8>,
    /// `a_out` registers (systolic streaming only).
    a: Vec<i8>,
    /// `sw_out` registers (systolic streaming only).
    sw: Vec<bool>,
    /// `psum_out` (chain) or product (tree) registers, PE (r, c) at r·C + c.
    pe: Vec<i32>,
    /// The adder tree's levels 1..=D, level `l` with ⌈R/2^l⌉ registers per column, `[j·C + c]`.
    levels: Vec<Vec<i32>>,
    /// Row r's operand and switch skew chains (chain: r registers; tree: none).
    skew: Vec<VecDeque<i8>>,
    sw_skew: Vec<VecDeque<bool>>,
    /// Column c's deskew chain (systolic: C-1-c registers; broadcast: none).
    deskew: Vec<VecDeque<i32>>,
    /// Tags from the input port register to the row's output: one stage per register on the path
    /// of row R-1's operand to column C-1's result.
    tags: VecDeque<Option<u32>>,
    /// The tag in the input port register.
    port_tag: Option<u32>,
    out_row: Vec<i32>,
    /// Scratch: a row's operands and switch bits as the PEs see them.
    a_in: Vec<i8>,
    sw_in: Vec<bool>,
    /// This cycle's decisions (from `eval`, applied in `commit`).
    begin_preload: bool,
    begin_stream: bool,
}

impl WsDbUnit {
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
        let skew_len = |k: usize| if tree { 0 } else { k };
        let deskew: Vec<VecDeque<i32>> = (0..c)
            .map(|k| VecDeque::from(vec![0; if broadcast { 0 } else { c - 1 - k }]))
            .collect();
        let row_regs = if broadcast { 0 } else { c - 1 };
        // the last operand's path: its skew chain, the `a` registers to column C-1, the PE's
        // register, the tree's levels (column C-1 has no deskew register)
        let stages = skew_len(r - 1) + row_regs + 1 + levels.len();
        let switch_reach = u32::try_from(1 + skew_len(r - 1) + row_regs).expect("a small array");
        Self {
            r,
            c,
            broadcast,
            tree,
            switch_reach,
            next_seq: 0,
            tiles: VecDeque::new(),
            waiting: None,
            stream: None,
            since_stream: None,
            port_first: false,
            w_active: vec![0; r * c],
            w_shadow: vec![0; r * c],
            a: vec![0; r * c],
            sw: vec![false; r * c],
            pe: vec![0; r * c],
            levels,
            skew: (0..r)
                .map(|k| VecDeque::from(vec![0; skew_len(k)]))
                .collect(),
            sw_skew: (0..r)
                .map(|k| VecDeque::from(vec![false; skew_len(k)]))
                .collect(),
            deskew,
            tags: VecDeque::from(vec![None; stages]),
            port_tag: None,
            out_row: vec![0; c],
            a_in: vec![0; c],
            sw_in: vec![false; c],
            begin_preload: false,
            begin_stream: false,
        }
    }

    /// No tile is waiting: a COMPUTE may issue.
    pub fn accepts(&self) -> bool {
        self.waiting.is_none()
    }

    /// Every tile is done.
    pub fn idle(&self) -> bool {
        self.tiles.is_empty()
    }

    /// Every tile but the last issued is done.
    pub fn prev_done(&self) -> bool {
        self.tiles.len() <= 1
    }

    /// Every tile but the last issued has read its last streamed row: when a tile waits it is
    /// the last issued, and the one before is the streaming tile (the earlier ones streamed
    /// before it); when none waits, the last issued streams or has streamed.
    pub fn prev_streamed(&self) -> bool {
        self.waiting.is_none() || self.stream.as_ref().is_none_or(|(_, op, m)| *m >= op.len)
    }

    pub fn start(&mut self, op: ComputeOp) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.tiles.push_back((seq, op));
        self.waiting = Some(Waiting { seq, op, pre: None });
    }

    pub fn out_row(&self) -> &[i32] {
        &self.out_row
    }

    fn op_of(&self, seq: u32) -> ComputeOp {
        self.tiles
            .iter()
            .find(|(s, _)| s & 0xffff == seq)
            .map(|(_, op)| *op)
            .expect("a tag belongs to a tile in flight")
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let r = self.r as u32;
        // the preload rule: the previous tile's switch has reached the last PE
        let switch_passed = self.since_stream.is_none_or(|d| d >= self.switch_reach);
        self.begin_preload = self
            .waiting
            .as_ref()
            .is_some_and(|w| w.pre.is_none() && switch_passed);
        let pre = match &self.waiting {
            Some(_) if self.begin_preload => Some(0),
            Some(w) => w.pre,
            None => None,
        };
        // the stream rule: preload done and the previous stream has read all its rows
        let stream_free = self.stream.as_ref().is_none_or(|(_, op, m)| *m >= op.len);
        self.begin_stream = pre.is_some_and(|p| p >= r) && stream_free;
        let weight = match (&self.waiting, pre) {
            (Some(w), Some(p)) if p < r => Some(w.op.w_addr + r - 1 - p),
            _ => None,
        };
        let input = if self.begin_stream {
            self.waiting.as_ref().map(|w| w.op.in_addr)
        } else {
            match &self.stream {
                Some((_, op, m)) if *m < op.len => Some(op.in_addr + m),
                _ => None,
            }
        };
        // the tag reaching the output next cycle: the row to read when accumulating
        let next = if self.tags.len() >= 2 {
            self.tags[1]
        } else {
            self.port_tag
        };
        let acc_a = next.and_then(|t| {
            let (seq, m) = untag(t);
            let op = self.op_of(seq);
            op.accumulate.then_some(op.out_addr + m)
        });
        out.reads = Reads {
            weight,
            input,
            acc_a,
            acc_b: None,
        };
        if let Some(t) = self.tags.front().copied().flatten() {
            let (seq, m) = untag(t);
            let op = self.op_of(seq);
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
        // busy: some tile between its preload start and its last write
        out.busy = self.tiles.len() > usize::from(pre.is_none() && self.waiting.is_some());
        out
    }

    /// Column c's result as it leaves the array: the last PE row's partial sum, or the tree's root.
    fn column(&self, col: usize) -> i32 {
        match self.levels.last() {
            Some(root) => root[col],
            None => self.pe[(self.r - 1) * self.c + col],
        }
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let (r, c) = (self.r, self.c);
        // tags, from this cycle's values: the port's enters the path, the one at the output
        // leaves it
        let read_tag = out.reads.input.map(|a| {
            if self.begin_stream {
                let w = self.waiting.as_ref().expect("a waiting tile begins");
                tag(w.seq, a - w.op.in_addr)
            } else {
                let (seq, op, _) = self.stream.as_ref().expect("a streaming tile");
                tag(*seq, a - op.in_addr)
            }
        });
        self.tags.pop_front();
        self.tags.push_back(self.port_tag);
        self.port_tag = read_tag;
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
        // PEs, bottom row first so the row above still holds this cycle's sums; switch bits and
        // weights from this cycle's registers
        for row in (0..r).rev() {
            let (x, sw_x) = if self.tree || row == 0 {
                (ports.input[row], self.port_first)
            } else {
                (
                    *self.skew[row].front().expect("skew stages"),
                    *self.sw_skew[row].front().expect("switch skew stages"),
                )
            };
            let base = row * c;
            if self.broadcast {
                self.a_in.fill(x);
                self.sw_in.fill(sw_x);
            } else {
                let a_row = &mut self.a[base..base + c];
                a_row.copy_within(0..c - 1, 1);
                a_row[0] = x;
                self.a_in.copy_from_slice(a_row);
                let sw_row = &mut self.sw[base..base + c];
                sw_row.copy_within(0..c - 1, 1);
                sw_row[0] = sw_x;
                self.sw_in.copy_from_slice(sw_row);
            }
            // a_in / sw_in: each PE's inputs of this cycle
            for col in 0..c {
                let i = base + col;
                let w = if self.sw_in[col] {
                    self.w_shadow[i]
                } else {
                    self.w_active[i]
                };
                let prod = i32::from(self.a_in[col]) * i32::from(w);
                self.pe[i] = if self.tree || row == 0 {
                    prod
                } else {
                    self.pe[i - c].wrapping_add(prod)
                };
                if self.sw_in[col] {
                    self.w_active[i] = self.w_shadow[i];
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew[row];
            if s.pop_front().is_some() {
                s.push_back(ports.input[row]);
            }
        }
        // switch skew: row r's chain takes the port's switch bit
        for row in 1..r {
            let s = &mut self.sw_skew[row];
            if s.pop_front().is_some() {
                s.push_back(self.port_first);
            }
        }
        self.port_first = self.begin_stream;
        // preload: shadows shift down one row after each of the R cycles following a read
        if let Some(w) = &mut self.waiting {
            if self.begin_preload {
                w.pre = Some(0);
            }
            if let Some(p) = w.pre {
                if p >= 1 && p <= r as u32 {
                    self.w_shadow.copy_within(0..(r - 1) * c, c);
                    self.w_shadow[..c].copy_from_slice(&ports.weight);
                }
            }
        }
        // sequencers
        if let Some((_, _, m)) = &mut self.stream {
            if !self.begin_stream {
                *m += u32::from(out.reads.input.is_some());
            }
        }
        self.since_stream = self.since_stream.map(|d| d.saturating_add(1));
        if self.begin_stream {
            let w = self.waiting.take().expect("a waiting tile begins");
            self.stream = Some((w.seq, w.op, 1));
            self.since_stream = Some(1);
        } else if let Some(w) = &mut self.waiting {
            if let Some(p) = &mut w.pre {
                *p += 1;
            }
        }
        if out.done {
            self.tiles.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ws_noc::WsNocUnit;
    use super::*;

    /// One tile alone on the double-buffered unit is the single-buffered unit of the same
    /// interconnect, cycle for cycle: same reads, same writes, same rows, on random port data,
    /// for every interconnect (the switch reaches each PE with the tile's first operand).
    #[test]
    fn a_lone_tile_is_the_single_buffered_unit() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for stream in [Stream::Systolic, Stream::Broadcast] {
            for reduce in [Reduce::Chain, Reduce::AdderTree] {
                let noc = Noc { stream, reduce };
                for (r, c, len, acc) in [
                    (1, 1, 3, false),
                    (3, 2, 5, true),
                    (4, 5, 9, true),
                    (2, 6, 1, false),
                    (5, 3, 4, true),
                ] {
                    let mut a = WsNocUnit::new(r, c, noc);
                    let mut b = WsDbUnit::new(r, c, noc);
                    let op = ComputeOp {
                        len,
                        in_addr: 7,
                        w_addr: 3,
                        out_addr: 11,
                        accumulate: acc,
                    };
                    a.start(op);
                    b.start(op);
                    let mut writes = 0;
                    for _ in 0..200 {
                        let ports = Ports {
                            input: (0..r).map(|_| next() as i8).collect(),
                            weight: (0..c).map(|_| next() as i8).collect(),
                            acc_a: (0..c).map(|_| next() as i32).collect(),
                            acc_b: vec![0; c],
                        };
                        let (oa, ob) = (a.eval(&ports), b.eval(&ports));
                        let key = |o: &ComputeOut| {
                            (
                                o.reads.input,
                                o.reads.weight,
                                o.reads.acc_a,
                                o.acc_write,
                                o.done,
                            )
                        };
                        assert_eq!(key(&oa), key(&ob), "{noc:?} {r}x{c}");
                        if oa.acc_write.is_some() {
                            writes += 1;
                            assert_eq!(a.out_row(), b.out_row(), "{noc:?} {r}x{c}");
                        }
                        a.commit(&ports, &oa);
                        b.commit(&ports, &ob);
                        if oa.done {
                            break;
                        }
                    }
                    assert_eq!(writes, len, "{noc:?} {r}x{c}");
                    assert!(!a.busy() && b.idle(), "{noc:?} {r}x{c}: both finish");
                }
            }
        }
    }
}
