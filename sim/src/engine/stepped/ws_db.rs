//! The weight-stationary compute unit with double-buffered weights (docs/TIMING.md, "double-
//! buffered weights"), register by register: every PE has an active and a shadow weight and a
//! switch bit that travels with the first input row of each tile; the next tile's weights shift
//! into the shadows while the current tile streams, and tiles stream back to back.
//!
//! As in [`super::ws`], when rows are written and when a tile is done comes out of the pipeline:
//! each streamed word carries a tag (its tile and row) through the registers its last byte passes;
//! the cycle a tag reaches the partial sum of PE (R-1, C-1), that row is written. The only counters
//! are the sequencers': preload cycles of the waiting tile, rows read of the streaming tile, and
//! cycles since the last stream began (for the preload rule).

use super::ws::{shift_deskew, write_back_row};
use super::{ComputeOp, ComputeOut, Ports, Reads, TagPath};
use std::collections::VecDeque;

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
    a: Vec<i8>,
    sw: Vec<bool>,
    psum: Vec<i32>,
    skew: Vec<VecDeque<i8>>,
    sw_skew: Vec<VecDeque<bool>>,
    deskew: Vec<VecDeque<i32>>,
    tags: TagPath,
    tag_psum: Option<u32>,
    out_row: Vec<i32>,
    /// This cycle's decisions (from `eval`, applied in `commit`).
    begin_preload: bool,
    begin_stream: bool,
}

impl WsDbUnit {
    pub fn new(r: usize, c: usize) -> Self {
        Self {
            r,
            c,
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
            psum: vec![0; r * c],
            skew: (0..r).map(|k| VecDeque::from(vec![0; k])).collect(),
            sw_skew: (0..r).map(|k| VecDeque::from(vec![false; k])).collect(),
            deskew: (0..c).map(|k| VecDeque::from(vec![0; c - 1 - k])).collect(),
            tags: TagPath::new(r, c),
            tag_psum: None,
            out_row: vec![0; c],
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
        let (r, c) = (self.r as u32, self.c as u32);
        // the preload rule: the previous tile's switch has reached the last PE
        let switch_passed = self.since_stream.is_none_or(|d| d + 1 >= r + c);
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
        let acc_a = self.tags.last_pe().and_then(|t| {
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
        if let Some(t) = self.tag_psum {
            let (seq, m) = untag(t);
            let op = self.op_of(seq);
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
        // busy: some tile between its preload start and its last write
        out.busy = self.tiles.len() > usize::from(pre.is_none() && self.waiting.is_some());
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let (r, c) = (self.r, self.c);
        // tags, from this cycle's values
        self.tag_psum = self.tags.last_pe();
        let read_tag = out.reads.input.map(|a| {
            if self.begin_stream {
                let w = self.waiting.as_ref().expect("a waiting tile begins");
                tag(w.seq, a - w.op.in_addr)
            } else {
                let (seq, op, _) = self.stream.as_ref().expect("a streaming tile");
                tag(*seq, a - op.in_addr)
            }
        });
        self.tags.shift(read_tag);
        shift_deskew(&mut self.deskew, &self.psum[(r - 1) * c..]);
        // PEs, bottom row first so the row above still holds this cycle's sums; switch bits and
        // weights from this cycle's registers
        for row in (0..r).rev() {
            let (a_left, sw_left) = if row == 0 {
                (ports.input[0], self.port_first)
            } else {
                (
                    *self.skew[row].front().expect("skew stages"),
                    *self.sw_skew[row].front().expect("switch skew stages"),
                )
            };
            let base = row * c;
            let a_row = &mut self.a[base..base + c];
            a_row.copy_within(0..c - 1, 1);
            a_row[0] = a_left;
            let sw_row = &mut self.sw[base..base + c];
            sw_row.copy_within(0..c - 1, 1);
            sw_row[0] = sw_left;
            // sw_row now holds each PE's sw_in of this cycle (= next cycle's sw_out)
            for col in 0..c {
                let i = base + col;
                let w = if self.sw[i] {
                    self.w_shadow[i]
                } else {
                    self.w_active[i]
                };
                let above = if row == 0 { 0 } else { self.psum[i - c] };
                self.psum[i] = above.wrapping_add(i32::from(self.a[i]) * i32::from(w));
                if self.sw[i] {
                    self.w_active[i] = self.w_shadow[i];
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew[row];
            s.pop_front();
            s.push_back(ports.input[row]);
        }
        // switch skew: row r's chain takes the port's switch bit
        for row in 1..r {
            let s = &mut self.sw_skew[row];
            s.pop_front();
            s.push_back(self.port_first);
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
