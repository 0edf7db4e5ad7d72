//! The output-stationary compute unit with double-buffered sums (docs/TIMING.md, "Compute unit:
//! output-stationary with double-buffered sums"), register by register, systolic or with row and
//! column buses: every PE has its accumulating sum `acc` and a drain register `dr`; a *last* bit
//! travels with each tile's last pair (beside the input operand: through row r's skew chain and
//! the `l_out` registers along the row; with buses, on the port register to every PE at once). In
//! the cycle its last pair reaches a PE, the PE moves the finished sum into `dr` and restarts
//! `acc` at zero; the drain shifts the `dr` registers down the columns (row 0 takes zero) and PE
//! row R-1's `dr` is the written row, while the next tile streams and accumulates.
//!
//! The sequencers: the streaming tile's k-steps read so far, and the cycles since the last stream
//! read (saturating at `F + R + 1`) for the stream rule (a tile begins streaming only when its
//! sums land after the previous tile's drain). The drain begins the cycle after the last bit
//! reaches PE(R-1, C-1).

use super::{ComputeOp, ComputeOut, Ports, Reads};
use std::collections::VecDeque;
use tessera_arch::{Noc, Stream};

pub(crate) struct OsDbUnit {
    r: usize,
    c: usize,
    broadcast: bool,
    /// `F + R` (docs/TIMING.md): the least gap from one stream's last read to the next one's
    /// last read.
    gap: u32,
    /// Every tile issued and not done, in issue order.
    tiles: VecDeque<ComputeOp>,
    waiting: Option<ComputeOp>,
    /// The streaming tile and its k-steps read so far.
    stream: Option<(ComputeOp, u32)>,
    /// Cycles since the last stream read, saturating at `gap + 1`.
    since: u32,
    /// The port register's data is a streamed pair (else the unit feeds zeros) and the tile's last.
    port_valid: bool,
    port_last: bool,
    /// `a_out`, `b_out`, `l_out` (systolic only), `acc` and `dr`, PE (r, c) at r·C + c.
    a: Vec<i8>,
    b: Vec<i8>,
    l: Vec<bool>,
    acc: Vec<i32>,
    dr: Vec<i32>,
    /// Row r's input and last-bit skew chains (r registers), column c's weight skew chain (c
    /// registers); empty with buses.
    skew_a: Vec<VecDeque<i8>>,
    skew_l: Vec<VecDeque<bool>>,
    skew_b: Vec<VecDeque<i8>>,
    /// The draining tile's drain cycle d: PE row R-1's `dr` holds its output row R-1-d.
    drain: Option<u32>,
    out_row: Vec<i32>,
    begin_stream: bool,
}

impl OsDbUnit {
    pub fn new(r: usize, c: usize, noc: Noc) -> Self {
        let broadcast = noc.stream == Stream::Broadcast;
        let stages = |k: usize| if broadcast { 0 } else { k };
        let fill = if broadcast { 1 } else { r + c - 1 };
        let gap = u32::try_from(fill + r).expect("a small array");
        Self {
            r,
            c,
            broadcast,
            gap,
            tiles: VecDeque::new(),
            waiting: None,
            stream: None,
            since: gap + 1,
            port_valid: false,
            port_last: false,
            a: vec![0; r * c],
            b: vec![0; r * c],
            l: vec![false; r * c],
            acc: vec![0; r * c],
            dr: vec![0; r * c],
            skew_a: (0..r).map(|k| VecDeque::from(vec![0; stages(k)])).collect(),
            skew_l: (0..r)
                .map(|k| VecDeque::from(vec![false; stages(k)]))
                .collect(),
            skew_b: (0..c).map(|k| VecDeque::from(vec![0; stages(k)])).collect(),
            drain: None,
            out_row: vec![0; c],
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

    /// Every tile but the last issued has read its last pair: when a tile waits it is the last
    /// issued, and the one before is the streaming tile (the earlier ones streamed before it);
    /// when none waits, the last issued streams or has streamed.
    pub fn prev_streamed(&self) -> bool {
        self.waiting.is_none() || self.stream.as_ref().is_none_or(|(op, k)| *k >= op.len)
    }

    pub fn start(&mut self, op: ComputeOp) {
        self.tiles.push_back(op);
        self.waiting = Some(op);
    }

    pub fn out_row(&self) -> &[i32] {
        &self.out_row
    }

    /// The last bit at PE(R-1, C-1) this cycle: its tile's last pair lands there.
    fn last_lands(&self) -> bool {
        let (r, c) = (self.r, self.c);
        if self.broadcast || (r == 1 && c == 1) {
            self.port_last
        } else if c == 1 {
            *self.skew_l[r - 1].front().expect("skew stages")
        } else {
            self.l[(r - 1) * c + c - 2]
        }
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let r = self.r as u32;
        // the stream rule: the previous stream has read all its k-steps and this tile's sums
        // land after the previous tile's drain (s + K ≥ D' + 1)
        let stream_free = self.stream.as_ref().is_none_or(|(op, k)| *k >= op.len);
        self.begin_stream = self.waiting.as_ref().is_some_and(|w| {
            stream_free && u64::from(self.since) + u64::from(w.len) > u64::from(self.gap)
        });
        let read = if self.begin_stream {
            self.waiting.as_ref().map(|w| (w.in_addr, w.w_addr))
        } else {
            match &self.stream {
                Some((op, k)) if *k < op.len => Some((op.in_addr + k, op.w_addr + k)),
                _ => None,
            }
        };
        // the tile whose sums land or drain: the oldest in flight (drains never overlap)
        let front = self.tiles.front().copied();
        let old_row = match self.drain {
            None => self.last_lands().then_some(r - 1),
            Some(d) => (d + 1 < r).then(|| r - 2 - d),
        };
        out.reads = Reads {
            input: read.map(|x| x.0),
            weight: read.map(|x| x.1),
            acc_a: old_row.and_then(|row| {
                let op = front.expect("a tile lands or drains");
                op.accumulate.then_some(op.out_addr + row)
            }),
            acc_b: None,
        };
        if let Some(d) = self.drain {
            let op = front.expect("a tile drains");
            let bottom = (self.r - 1) * self.c;
            for col in 0..self.c {
                let v = self.dr[bottom + col];
                self.out_row[col] = if op.accumulate {
                    ports.acc_a[col].wrapping_add(v)
                } else {
                    v
                };
            }
            out.acc_write = Some(op.out_addr + r - 1 - d);
            out.done = d + 1 == r;
        }
        // busy: some tile between its stream start and its last write
        out.busy = self.tiles.len() > usize::from(self.waiting.is_some() && !self.begin_stream);
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let (r, c) = (self.r, self.c);
        let valid = self.port_valid;
        let last_in_port = self.port_last;
        let lands = self.last_lands();
        let draining = self.drain.is_some();
        // PEs, a row at a time from the bottom, so the row above still holds this cycle's values
        for row in (0..r).rev() {
            let base = row * c;
            // the row's operand and last bit entering column 0 (or, with buses, every column)
            let (x, lx) = match row {
                _ if self.broadcast || row == 0 => (
                    if valid { ports.input[row] } else { 0 },
                    valid && last_in_port,
                ),
                _ => (
                    *self.skew_a[row].front().expect("skew stages"),
                    *self.skew_l[row].front().expect("skew stages"),
                ),
            };
            let (b_above, b_here) = self.b.split_at_mut(base);
            let b_row = &mut b_here[..c];
            if self.broadcast {
                for (b, &w) in b_row.iter_mut().zip(&ports.weight) {
                    *b = if valid { w } else { 0 };
                }
                self.a[base..base + c].fill(x);
                self.l[base..base + c].fill(lx);
            } else {
                if row == 0 {
                    b_row[0] = if valid { ports.weight[0] } else { 0 };
                    for (col, b) in b_row.iter_mut().enumerate().skip(1) {
                        *b = *self.skew_b[col].front().expect("skew stages");
                    }
                } else {
                    b_row.copy_from_slice(&b_above[base - c..]);
                }
                let a_row = &mut self.a[base..base + c];
                a_row.copy_within(0..c - 1, 1);
                a_row[0] = x;
                let l_row = &mut self.l[base..base + c];
                l_row.copy_within(0..c - 1, 1);
                l_row[0] = lx;
            }
            // a, b, l now hold each PE's inputs of this cycle (its `_out` registers' next values)
            let (dr_above, dr_here) = self.dr.split_at_mut(base);
            for col in 0..c {
                let i = base + col;
                let sum = self.acc[i].wrapping_add(i32::from(self.a[i]) * i32::from(self.b[i]));
                if self.l[i] {
                    dr_here[col] = sum;
                    self.acc[i] = 0;
                } else {
                    self.acc[i] = sum;
                    if draining {
                        dr_here[col] = if row == 0 {
                            0
                        } else {
                            dr_above[base - c + col]
                        };
                    }
                }
            }
        }
        for row in 1..r {
            if self.broadcast {
                break;
            }
            let s = &mut self.skew_a[row];
            s.pop_front();
            s.push_back(if valid { ports.input[row] } else { 0 });
            let s = &mut self.skew_l[row];
            s.pop_front();
            s.push_back(valid && last_in_port);
        }
        for col in 1..c {
            if self.broadcast {
                break;
            }
            let s = &mut self.skew_b[col];
            s.pop_front();
            s.push_back(if valid { ports.weight[col] } else { 0 });
        }
        // the port register takes this cycle's read
        self.port_valid = out.reads.input.is_some();
        self.port_last = false;
        if self.begin_stream {
            let w = self.waiting.take().expect("a waiting tile begins");
            self.stream = Some((w, 0));
        }
        if out.reads.input.is_some() {
            let (op, k) = self.stream.as_mut().expect("a streaming tile reads");
            *k += 1;
            self.port_last = *k == op.len;
            self.since = 1;
        } else {
            self.since = (self.since + 1).min(self.gap + 1);
        }
        self.drain = match self.drain {
            None if lands => Some(0),
            None => None,
            Some(_) if out.done => None,
            Some(d) => Some(d + 1),
        };
        if out.done {
            self.tiles.pop_front();
            // a tile whose last pair landed in this same cycle cannot exist (drains never
            // overlap a landing), so the next drain starts only from a later landing
            debug_assert!(!lands);
        }
    }
}
