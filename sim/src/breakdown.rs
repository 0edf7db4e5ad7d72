//! Where a layer's cycles go, by cause. Every cycle of a run is exactly one of:
//!
//! - `compute`: the array streams a word (Σ COMPUTE `len`) — the figure SCALE-Sim calls compute cycles;
//! - `fill_drain`: the array is busy but not streaming (weight preload, skew, deskew, drain);
//! - `first_load`: before the first COMPUTE's first busy cycle (the prologue's loads);
//! - `last_store`: after the last COMPUTE's last busy cycle (the epilogue's stores and the HALT);
//! - `dma_stall`: between COMPUTEs, the array idle while the DMA is busy;
//! - `issue`: between COMPUTEs, both idle (SYNC and issue cycles, CONFIGs).
//!
//! The analytical model and both simulator engines fill it: the event engine and the model from
//! each unit's busy intervals as the in-order controller issues them ([`Breakdown::compute`],
//! [`Breakdown::dma`]), the stepped engine cycle by cycle ([`Breakdown::tick`]).

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Cycles by cause; they sum to the run's cycles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub compute: u64,
    pub fill_drain: u64,
    pub first_load: u64,
    pub last_store: u64,
    pub dma_stall: u64,
    pub issue: u64,
}

impl Breakdown {
    pub fn total(&self) -> u64 {
        self.compute
            + self.fill_drain
            + self.first_load
            + self.last_store
            + self.dma_stall
            + self.issue
    }

    /// The fields with their names, in report order.
    pub fn fields(&self) -> [(&'static str, u64); 6] {
        [
            ("compute", self.compute),
            ("fill_drain", self.fill_drain),
            ("first_load", self.first_load),
            ("last_store", self.last_store),
            ("dma_stall", self.dma_stall),
            ("issue", self.issue),
        ]
    }

    pub fn add(&mut self, o: &Breakdown) {
        self.compute += o.compute;
        self.fill_drain += o.fill_drain;
        self.first_load += o.first_load;
        self.last_store += o.last_store;
        self.dma_stall += o.dma_stall;
        self.issue += o.issue;
    }
}

/// Builds a [`Breakdown`] from busy intervals or from cycles.
#[derive(Debug, Default)]
pub struct BreakdownAcc {
    b: Breakdown,
    /// Last busy cycle of the latest COMPUTE.
    last_end: Option<u64>,
    /// DMA busy intervals that may still overlap a gap between COMPUTEs.
    dma: VecDeque<(u64, u64)>,
    // cycle-by-cycle state
    idle: u64,
    idle_dma: u64,
    was_busy: bool,
}

impl Clone for BreakdownAcc {
    fn clone(&self) -> Self {
        let mut c = BreakdownAcc::default();
        c.clone_from(self);
        c
    }

    /// Field by field, reusing the deque's buffer (the analytical model saves a walk's state at
    /// every loop it tries to skip).
    fn clone_from(&mut self, source: &Self) {
        let BreakdownAcc {
            b,
            last_end,
            dma,
            idle,
            idle_dma,
            was_busy,
        } = source;
        (self.b, self.last_end) = (*b, *last_end);
        self.dma.clone_from(dma);
        (self.idle, self.idle_dma, self.was_busy) = (*idle, *idle_dma, *was_busy);
    }
}

impl BreakdownAcc {
    /// A DMA instruction busy in cycles `start..=end`. Intervals come in issue order, each before any
    /// COMPUTE issued after it.
    pub fn dma(&mut self, start: u64, end: u64) {
        self.dma.push_back((start, end));
    }

    /// A COMPUTE busy in cycles `start..=end`, streaming `len` words, in issue order. Tiles of an
    /// array that overlaps them (double-buffered weights) may begin before the previous one ends:
    /// the busy cycles are the union, and ends never go back.
    pub fn compute(&mut self, start: u64, end: u64, len: u64) {
        let from = match self.last_end {
            None => {
                self.b.first_load = start;
                start
            }
            Some(e) if start > e => {
                // the gap e+1 ..= start-1
                let (g0, g1) = (e + 1, start);
                let mut dma = 0;
                for &(s, t) in &self.dma {
                    let (a, b) = (s.max(g0), (t + 1).min(g1));
                    dma += b.saturating_sub(a);
                }
                self.b.dma_stall += dma;
                self.b.issue += (g1 - g0) - dma;
                start
            }
            Some(e) => e + 1,
        };
        while self.dma.front().is_some_and(|&(_, t)| t < start) {
            self.dma.pop_front();
        }
        self.b.compute += len;
        // busy cycles for now; the streamed ones move to `compute` in `finish`
        self.b.fill_drain += (end + 1).saturating_sub(from);
        self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
    }

    /// The increment of the totals since `before` if every time this accumulator holds is
    /// `before`'s moved by `dt` (then each further identical stretch of busy intervals adds the same
    /// increment): for skipping periodic stretches of a walk.
    pub fn period_since(&self, before: &BreakdownAcc, dt: u64) -> Option<Breakdown> {
        let shifted = |a: u64, b: u64| b.checked_add(dt) == Some(a);
        let same_end = match (self.last_end, before.last_end) {
            (Some(a), Some(b)) => shifted(a, b),
            (None, None) => true,
            _ => false,
        };
        let same_dma = self.dma.len() == before.dma.len()
            && self
                .dma
                .iter()
                .zip(&before.dma)
                .all(|(&(s, t), &(s0, t0))| shifted(s, s0) && shifted(t, t0));
        let stepped_idle = self.idle == 0 && before.idle == 0 && !self.was_busy && !before.was_busy;
        if !(same_end && same_dma && stepped_idle) {
            return None;
        }
        let d = |a: u64, b: u64| a.checked_sub(b);
        Some(Breakdown {
            compute: d(self.b.compute, before.b.compute)?,
            fill_drain: d(self.b.fill_drain, before.b.fill_drain)?,
            first_load: d(self.b.first_load, before.b.first_load)?,
            last_store: d(self.b.last_store, before.b.last_store)?,
            dma_stall: d(self.b.dma_stall, before.b.dma_stall)?,
            issue: d(self.b.issue, before.b.issue)?,
        })
    }

    /// Apply `k` more periods of `dt` cycles and `inc` totals ([`BreakdownAcc::period_since`]);
    /// `false` (unchanged) on overflow.
    pub fn repeat(&mut self, dt: u64, inc: &Breakdown, k: u64) -> bool {
        let Some(shift) = dt.checked_mul(k) else {
            return false;
        };
        let add = |x: u64, d: u64| d.checked_mul(k).and_then(|v| x.checked_add(v));
        let b = (|| {
            Some(Breakdown {
                compute: add(self.b.compute, inc.compute)?,
                fill_drain: add(self.b.fill_drain, inc.fill_drain)?,
                first_load: add(self.b.first_load, inc.first_load)?,
                last_store: add(self.b.last_store, inc.last_store)?,
                dma_stall: add(self.b.dma_stall, inc.dma_stall)?,
                issue: add(self.b.issue, inc.issue)?,
            })
        })();
        let last_end = match self.last_end {
            Some(e) => match e.checked_add(shift) {
                Some(v) => Some(v),
                None => return false,
            },
            None => None,
        };
        // check that every interval shifts without overflow before changing anything (no copy of
        // the deque)
        if self
            .dma
            .iter()
            .any(|iv| iv.0.checked_add(shift).is_none() || iv.1.checked_add(shift).is_none())
        {
            return false;
        }
        let Some(b) = b else { return false };
        for iv in self.dma.iter_mut() {
            *iv = (iv.0 + shift, iv.1 + shift);
        }
        (self.b, self.last_end) = (b, last_end);
        true
    }

    /// One cycle of a cycle-stepped run: whether the compute and DMA units are busy in it. The
    /// streamed words are added with [`BreakdownAcc::streamed`].
    pub fn tick(&mut self, cu_busy: bool, dma_busy: bool) {
        if cu_busy {
            if !self.was_busy && self.last_end.is_some() {
                self.b.dma_stall += self.idle_dma;
                self.b.issue += self.idle - self.idle_dma;
                self.idle = 0;
                self.idle_dma = 0;
            }
            self.b.fill_drain += 1;
            self.last_end = Some(0);
        } else if self.last_end.is_none() {
            self.b.first_load += 1;
        } else {
            self.idle += 1;
            self.idle_dma += u64::from(dma_busy);
        }
        self.was_busy = cu_busy;
    }

    /// Words a COMPUTE streams (cycle-stepped runs: moved from fill/drain to compute at the end).
    pub fn streamed(&mut self, len: u64) {
        self.b.compute += len;
    }

    /// The breakdown of a run of `cycles` cycles.
    pub fn finish(mut self, cycles: u64, stepped: bool) -> Breakdown {
        self.b.fill_drain -= self.b.compute;
        if stepped {
            self.b.last_store = self.idle;
        } else {
            self.b.last_store = cycles - self.last_end.map_or(0, |e| e + 1);
        }
        debug_assert_eq!(self.b.total(), cycles);
        self.b
    }
}
