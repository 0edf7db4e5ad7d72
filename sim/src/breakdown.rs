//! Where a layer's cycles go, by cause. Every cycle of a run is exactly one of:
//!
//! - `compute`: the array streams a word (Σ COMPUTE `len`) — the figure SCALE-Sim calls compute cycles;
//! - `fill_drain`: the array is busy but not streaming (weight preload, skew, deskew, drain);
//! - `first_load`: before the first COMPUTE's first busy cycle (the prologue's loads; every cycle
//!   of a run without a COMPUTE);
//! - `last_store`: after the last COMPUTE's last busy cycle (the epilogue's stores and the HALT);
//! - `dma_stall`: between COMPUTEs, the array idle while the DMA is busy;
//! - `issue`: between COMPUTEs, both idle (SYNC and issue cycles, CONFIGs).
//!
//! The analytical model and both simulator engines fill it: the event engine from each unit's busy
//! intervals as the in-order controller issues them ([`BreakdownAcc::compute`],
//! [`BreakdownAcc::dma`]), the stepped engine cycle by cycle ([`BreakdownAcc::tick`]), and the model
//! from the same intervals through [`SyncedAcc`], which relies on every COMPUTE waiting for the DMA
//! (as the lowering's programs do) to keep a sum where the others keep the intervals.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// DMA busy intervals `(start, end)` in issue order: a queue that keeps a few inline and spills to
/// the heap past that (the common case does not allocate). An interval that starts the cycle after
/// the last one ends extends it: the pair and their union overlap any gap by the same cycles.
#[derive(Debug, Default)]
struct Spans {
    inline: [(u64, u64); Spans::INLINE],
    /// `inline[head..head + len]` while `heap` is empty; every interval is in `heap` once it is not.
    head: usize,
    len: usize,
    heap: VecDeque<(u64, u64)>,
}

/// A busy interval `(start, end)`, both inclusive.
type Span = (u64, u64);

impl Spans {
    const INLINE: usize = 8;

    fn as_slices(&self) -> (&[Span], &[Span]) {
        if self.heap.is_empty() {
            (&self.inline[self.head..self.head + self.len], &[])
        } else {
            self.heap.as_slices()
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(u64, u64)> {
        let (a, b) = self.as_slices();
        a.iter().chain(b)
    }

    #[inline]
    fn push_back(&mut self, iv: (u64, u64)) {
        let last = if self.heap.is_empty() {
            match self.len {
                0 => None,
                n => Some(&mut self.inline[self.head + n - 1]),
            }
        } else {
            self.heap.back_mut()
        };
        if let Some(l) = last {
            if iv.0 <= iv.1 && l.0 <= l.1 && l.1.checked_add(1) == Some(iv.0) {
                l.1 = iv.1;
                return;
            }
        }
        if !self.heap.is_empty() {
            self.heap.push_back(iv);
        } else if self.head + self.len < Spans::INLINE {
            self.inline[self.head + self.len] = iv;
            self.len += 1;
        } else if self.len < Spans::INLINE {
            self.inline.copy_within(self.head..self.head + self.len, 0);
            self.head = 0;
            self.inline[self.len] = iv;
            self.len += 1;
        } else {
            self.heap
                .extend(&self.inline[self.head..self.head + self.len]);
            self.heap.push_back(iv);
            (self.head, self.len) = (0, 0);
        }
    }

    /// Forget every cycle before `g`: the intervals that end before it, and the part of the
    /// first one left that starts before it.
    #[inline]
    fn drop_before(&mut self, g: u64) {
        while self.front().is_some_and(|&(_, t)| t < g) {
            self.pop_front();
        }
        let first = if self.heap.is_empty() {
            (self.len > 0).then(|| &mut self.inline[self.head])
        } else {
            self.heap.front_mut()
        };
        if let Some(iv) = first {
            iv.0 = iv.0.max(g);
        }
    }

    fn front(&self) -> Option<&(u64, u64)> {
        if self.heap.is_empty() {
            (self.len > 0).then(|| &self.inline[self.head])
        } else {
            self.heap.front()
        }
    }

    fn pop_front(&mut self) {
        if self.heap.is_empty() {
            if self.len > 0 {
                self.head += 1;
                self.len -= 1;
                if self.len == 0 {
                    self.head = 0;
                }
            }
        } else {
            self.heap.pop_front();
        }
    }

    /// `self` as a copy of `source`, reusing the heap buffer.
    fn copy_from(&mut self, source: &Spans) {
        if source.heap.is_empty() {
            self.heap.clear();
            // the whole array: a fixed-size copy is a few vector moves, a copy of the live part a
            // call to memmove
            (self.inline, self.head, self.len) = (source.inline, source.head, source.len);
        } else {
            self.heap.clone_from(&source.heap);
            (self.head, self.len) = (0, 0);
        }
    }
}

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
    /// The cycles after the array's last busy cycle `last_end` of a run of `cycles` are
    /// `last_store`; without a COMPUTE every cycle is before the first one (`first_load`), as the
    /// stepped engine counts them.
    fn end_at(&mut self, last_end: Option<u64>, cycles: u64) {
        match last_end {
            Some(e) => self.last_store = cycles - (e + 1),
            None => self.first_load = cycles,
        }
    }

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

    /// `self - before`, field by field (`None` if a field went down).
    pub fn checked_since(&self, before: &Breakdown) -> Option<Breakdown> {
        let d = |a: u64, b: u64| a.checked_sub(b);
        Some(Breakdown {
            compute: d(self.compute, before.compute)?,
            fill_drain: d(self.fill_drain, before.fill_drain)?,
            first_load: d(self.first_load, before.first_load)?,
            last_store: d(self.last_store, before.last_store)?,
            dma_stall: d(self.dma_stall, before.dma_stall)?,
            issue: d(self.issue, before.issue)?,
        })
    }

    /// `self + k · inc`, field by field (`None` on overflow).
    pub fn checked_add_times(&self, inc: &Breakdown, k: u64) -> Option<Breakdown> {
        let add = |x: u64, d: u64| d.checked_mul(k).and_then(|v| x.checked_add(v));
        Some(Breakdown {
            compute: add(self.compute, inc.compute)?,
            fill_drain: add(self.fill_drain, inc.fill_drain)?,
            first_load: add(self.first_load, inc.first_load)?,
            last_store: add(self.last_store, inc.last_store)?,
            dma_stall: add(self.dma_stall, inc.dma_stall)?,
            issue: add(self.issue, inc.issue)?,
        })
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
    dma: Spans,
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

    /// Field by field, without allocating while the DMA intervals are few.
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
        self.dma.copy_from(dma);
        (self.idle, self.idle_dma, self.was_busy) = (*idle, *idle_dma, *was_busy);
    }
}

impl BreakdownAcc {
    /// A DMA instruction busy in cycles `start..=end`. Intervals come in issue order, each before any
    /// COMPUTE issued after it.
    #[inline]
    pub fn dma(&mut self, start: u64, end: u64) {
        // Only its cycles after the array's last busy one can fall in a later gap.
        let start = match self.last_end {
            Some(e) => start.max(e.saturating_add(1)),
            None => start,
        };
        if start <= end {
            self.dma.push_back((start, end));
        }
    }

    /// A COMPUTE busy in cycles `start..=end`, streaming `len` words, in issue order. Tiles of an
    /// array that overlaps them (double-buffered weights) may begin before the previous one ends:
    /// the busy cycles are the union, and ends never go back.
    #[inline]
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
                for &(s, t) in self.dma.iter() {
                    let (a, b) = (s.max(g0), (t + 1).min(g1));
                    dma += b.saturating_sub(a);
                }
                self.b.dma_stall += dma;
                self.b.issue += (g1 - g0) - dma;
                start
            }
            Some(e) => e + 1,
        };
        self.b.compute += len;
        // busy cycles for now; the streamed ones move to `compute` in `finish`
        self.b.fill_drain += (end + 1).saturating_sub(from);
        let last_end = self.last_end.map_or(end, |e| e.max(end));
        self.last_end = Some(last_end);
        // Later gaps begin after `last_end`: the DMA's cycles up to it can no longer fall in one.
        // Dropping them keeps the queue short.
        self.dma.drop_before(last_end.saturating_add(1));
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
            self.b.end_at(self.last_end, cycles);
        }
        debug_assert_eq!(self.b.total(), cycles);
        self.b
    }
}

/// [`BreakdownAcc`] for runs in which every COMPUTE waits for the DMA to be done (the lowering puts
/// a `SYNC dma` before each one, and the analytical model walks its programs): every DMA interval
/// then ends before the next COMPUTE starts, so the DMA cycles in the gap before a COMPUTE are all
/// those recorded since the array's last busy cycle, and their sum stands for the queue of
/// intervals. Plain data, so that a walk's state copies cheaply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncedAcc {
    b: Breakdown,
    /// Last busy cycle of the latest COMPUTE.
    last_end: Option<u64>,
    /// DMA busy cycles after `last_end`: all of them fall in the gap before the next COMPUTE.
    dma: u64,
}

impl SyncedAcc {
    /// A DMA instruction busy in cycles `start..=end`, in issue order, ending before the next
    /// COMPUTE starts.
    #[inline]
    pub fn dma(&mut self, start: u64, end: u64) {
        // only its cycles after the array's last busy one fall in a gap
        let start = match self.last_end {
            Some(e) => start.max(e.saturating_add(1)),
            None => start,
        };
        if start <= end {
            self.dma += end - start + 1;
        }
    }

    /// A COMPUTE busy in cycles `start..=end`, streaming `len` words, in issue order, after every
    /// DMA interval recorded so far (tiles may overlap as in [`BreakdownAcc::compute`]).
    #[inline]
    pub fn compute(&mut self, start: u64, end: u64, len: u64) {
        let from = match self.last_end {
            None => {
                self.b.first_load = start;
                start
            }
            Some(e) if start > e => {
                // the gap e+1 ..= start-1 holds every DMA cycle since e
                self.b.dma_stall += self.dma;
                self.b.issue += (start - e - 1) - self.dma;
                start
            }
            Some(e) => e + 1,
        };
        self.dma = 0;
        self.b.compute += len;
        // busy cycles for now; the streamed ones move to `compute` in `finish`
        self.b.fill_drain += (end + 1).saturating_sub(from);
        self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
    }

    /// An accumulator whose totals so far are `b` and whose array was last busy in cycle
    /// `last_end`, with no DMA cycle since: a run resumed at a COMPUTE's issue, the gap before it
    /// counted already.
    pub fn resumed(b: Breakdown, last_end: u64) -> SyncedAcc {
        SyncedAcc {
            b,
            last_end: Some(last_end),
            dma: 0,
        }
    }

    /// The increment of the totals since `before` if this accumulator is `before` moved by `dt`
    /// cycles (then each further identical stretch of intervals adds the same increment): for
    /// skipping periodic stretches of a walk.
    pub fn period_since(&self, before: &SyncedAcc, dt: u64) -> Option<Breakdown> {
        let same_end = match (self.last_end, before.last_end) {
            (Some(a), Some(b)) => b.checked_add(dt) == Some(a),
            (None, None) => true,
            _ => false,
        };
        if !same_end || self.dma != before.dma {
            return None;
        }
        self.b.checked_since(&before.b)
    }

    /// Apply `k` more periods of `dt` cycles and `inc` totals ([`SyncedAcc::period_since`]);
    /// `false` (unchanged) on overflow.
    pub fn repeat(&mut self, dt: u64, inc: &Breakdown, k: u64) -> bool {
        let last_end = match self.last_end {
            None => None,
            Some(e) => match dt.checked_mul(k).and_then(|s| e.checked_add(s)) {
                None => return false,
                e => e,
            },
        };
        let Some(b) = self.b.checked_add_times(inc, k) else {
            return false;
        };
        (self.b, self.last_end) = (b, last_end);
        true
    }

    /// The breakdown of a run of `cycles` cycles.
    pub fn finish(mut self, cycles: u64) -> Breakdown {
        self.b.fill_drain -= self.b.compute;
        self.b.end_at(self.last_end, cycles);
        debug_assert_eq!(self.b.total(), cycles);
        self.b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The accumulator as first written: every DMA interval queued as given, dropped once it ends
    /// before a COMPUTE's start.
    #[derive(Default)]
    struct Reference {
        b: Breakdown,
        last_end: Option<u64>,
        dma: VecDeque<(u64, u64)>,
    }

    impl Reference {
        fn compute(&mut self, start: u64, end: u64, len: u64) {
            let from = match self.last_end {
                None => {
                    self.b.first_load = start;
                    start
                }
                Some(e) if start > e => {
                    let (g0, g1) = (e + 1, start);
                    let mut dma = 0;
                    for &(s, t) in &self.dma {
                        dma += (t + 1).min(g1).saturating_sub(s.max(g0));
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
            self.b.fill_drain += (end + 1).saturating_sub(from);
            self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
        }
        fn finish(mut self, cycles: u64) -> Breakdown {
            self.b.fill_drain -= self.b.compute;
            match self.last_end {
                Some(e) => self.b.last_store = cycles - (e + 1),
                None => self.b.first_load = cycles,
            }
            self.b
        }
    }

    proptest! {
        /// Merging touching DMA intervals, forgetting the cycles no later gap can hold, and
        /// keeping few of them inline (spilling to the heap past that) change nothing: random runs
        /// of DMA transfers (back to back or not, many between two COMPUTEs) and COMPUTEs (some
        /// overlapping the one before, as double-buffered weights do) give the reference's
        /// breakdown. A copy taken mid-run (`clone_from`, as the walk saves its state) carries on
        /// alike.
        #[test]
        fn the_accumulator_equals_the_reference(
            ops in proptest::collection::vec((proptest::bool::weighted(0.75), 0u64..20, 1u64..9, 0u64..30), 1..160),
            copy_at in 0usize..160,
        ) {
            let (mut acc, mut r) = (BreakdownAcc::default(), Reference::default());
            // the controller's clock, the DMA's and the array's next free cycles
            let (mut t, mut dma_free, mut cmp_end) = (0u64, 0u64, 0u64);
            let mut copy = BreakdownAcc::default();
            for (i, &(is_dma, gap, busy, len)) in ops.iter().enumerate() {
                t += gap;
                if is_dma {
                    let start = t.max(dma_free);
                    let end = start + busy - 1;
                    acc.dma(start, end);
                    r.dma.push_back((start, end));
                    dma_free = end + 1;
                } else {
                    // a COMPUTE may begin before the previous one ends (overlapped tiles)
                    let start = t.max(cmp_end.saturating_sub(len % 3));
                    let end = start + busy + len;
                    acc.compute(start, end, len.min(busy + len));
                    r.compute(start, end, len.min(busy + len));
                    cmp_end = cmp_end.max(end + 1);
                }
                if i == copy_at {
                    copy.clone_from(&acc);
                    acc = std::mem::take(&mut copy);
                }
            }
            let cycles = t.max(dma_free).max(cmp_end) + 1;
            prop_assert_eq!(acc.finish(cycles, false), r.finish(cycles));
        }

        /// On runs in which every COMPUTE starts after the DMA is done (a SYNC on the DMA before
        /// each), the sum [`SyncedAcc`] keeps gives the reference's breakdown.
        #[test]
        fn the_synced_accumulator_equals_the_reference_on_synced_runs(
            ops in proptest::collection::vec((proptest::bool::weighted(0.75), 0u64..20, 1u64..9, 0u64..30), 1..160),
        ) {
            let (mut acc, mut r) = (SyncedAcc::default(), Reference::default());
            let (mut t, mut dma_free, mut cmp_end) = (0u64, 0u64, 0u64);
            for &(is_dma, gap, busy, len) in &ops {
                t += gap;
                if is_dma {
                    let start = t.max(dma_free);
                    let end = start + busy - 1;
                    acc.dma(start, end);
                    r.dma.push_back((start, end));
                    dma_free = end + 1;
                } else {
                    // after the DMA; possibly before the previous COMPUTE ends (overlapped tiles)
                    let start = t.max(dma_free).max(cmp_end.saturating_sub(len % 3));
                    let end = start + busy + len;
                    acc.compute(start, end, len.min(busy + len));
                    r.compute(start, end, len.min(busy + len));
                    cmp_end = cmp_end.max(end + 1);
                }
            }
            let cycles = t.max(dma_free).max(cmp_end) + 1;
            prop_assert_eq!(acc.finish(cycles), r.finish(cycles));
        }
    }
}
