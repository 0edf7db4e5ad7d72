//! The program's timing as a sum of visits, folded in closed form over the schedule's tiles as its
//! loop nest is compiled ([`Schedule::fold_tiles`], the fold of the tile tree without building it),
//! where [`tessera_mapping::Tree::walk`] follows the controller through every stretch until it
//! repeats.
//!
//! A *visit* is the program from one COMPUTE's issue to the next one's. On an array that does not
//! overlap tiles, both of the lowering's programs wait for the DMA (`SYNC dma`) before every
//! COMPUTE, and a COMPUTE issues once the array is free. So at a COMPUTE's issue cycle `i` every
//! transfer issued before it is done and the array is idle: the controller's state is the same up
//! to the shift `i` at every visit, and a visit's figures — the cycles to the next COMPUTE's issue,
//! the DMA and issue cycles of the gap before it, the DMA's busy cycles — depend on the tiles it
//! touches alone:
//! - double-buffered: COMPUTE of tile j, the STOREs of tile j−1 and the CONFIGs and LOADs of j+1;
//! - single-buffered: COMPUTE and STOREs of tile j, the CONFIGs and LOADs of tile j+1.
//!
//! The program's figures are the prologue's (the first tile's loads), a sum over the windows of
//! three consecutive tiles, and the epilogue's (the last COMPUTE and stores). Such a sum is
//! associative, so the nest folds it ([`tessera_mapping::Fold`]): a stretch keeps its first two and
//! last two tiles and the sum of the visits inside it, and a run of `k` alike subtrees is `k` times
//! the subtree's sum plus `k − 1` times the visits across the seam between two of them (a run of
//! one tile: `k − 2` times the visit of that tile three times over). The prologue and the epilogue
//! are walked ([`Walk::double_step`], [`Walk::single_head`], [`Walk::double_end`],
//! [`Walk::single_tail`]).
//!
//! A visit is arithmetic ([`Visits::visit`]): with one transfer slot the DMA's instructions run
//! back to back (each issues the cycle after the one before is done, [`Walk::dma`]), so a visit is
//! a cursor moved by each instruction's length, and the gap before the next COMPUTE holds the part
//! of each transfer past the COMPUTE's last busy cycle. The proptest in the parent module holds the
//! result to the walk of every tile, bit for bit.
//!
//! Premises, checked by [`apply`] and [`resume`], which otherwise return `false` or `None` and
//! the caller walks the tile tree: one transfer slot; an array that does not overlap tiles (an overlapped array may still be
//! busy with one tile when the next issues, so its state carries the tile); and no transfer that
//! holds the DRAM channel longer than it is busy (so no transfer's request window outlives the SYNC
//! that waits for it: true of the contract's lengths, checked per tile cost). Overflow of a sum
//! also returns `None`.

use super::{TileCost, TileCosts, TileId, TileKey, Walk, MARK};
use crate::breakdown::{Breakdown, SyncedAcc};
use crate::contract::OverlapRule;
use tessera_arch::Arch;
use tessera_mapping::{Class, Fold, NoMemo, Schedule, Shape, SubtreeKey, SummaryAcc};

/// A tile of a stretch: its cost id and the CONFIGs marked before it ([`UNMARKED`]: no mark
/// between it and the tile before in the stretch; a stretch before it may still end in one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tile {
    id: TileId,
    configs: u32,
}

/// No CONFIGs marked ([`Tile::configs`], [`Stretch::trail`]); a visit reads it as none.
const UNMARKED: u32 = u32::MAX;

impl Tile {
    fn configs(&self) -> u32 {
        if self.configs == UNMARKED {
            0
        } else {
            self.configs
        }
    }
}

/// What visits add up to: the cycles from the first COMPUTE's issue to the last one's, the DMA
/// cycles in the gaps between COMPUTEs, the DMA's busy cycles, and the COMPUTEs' streamed words and
/// busy cycles (the breakdown's `compute`, and `fill_drain` before [`SyncedAcc::finish`] takes the
/// streamed ones out). The rest of each gap is issue cycles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sum {
    cycles: u64,
    gap_dma: u64,
    dma_cycles: u64,
    streamed: u64,
    busy: u64,
}

impl Sum {
    /// `self + k · o` (`None` on overflow).
    fn plus_times(&self, o: &Sum, k: u64) -> Option<Sum> {
        let add = |x: u64, d: u64| d.checked_mul(k).and_then(|v| x.checked_add(v));
        Some(Sum {
            cycles: add(self.cycles, o.cycles)?,
            gap_dma: add(self.gap_dma, o.gap_dma)?,
            dma_cycles: add(self.dma_cycles, o.dma_cycles)?,
            streamed: add(self.streamed, o.streamed)?,
            busy: add(self.busy, o.busy)?,
        })
    }

    /// `self + o` (`None` on overflow).
    #[inline(always)]
    fn plus(&self, o: &Sum) -> Option<Sum> {
        Some(Sum {
            cycles: self.cycles.checked_add(o.cycles)?,
            gap_dma: self.gap_dma.checked_add(o.gap_dma)?,
            dma_cycles: self.dma_cycles.checked_add(o.dma_cycles)?,
            streamed: self.streamed.checked_add(o.streamed)?,
            busy: self.busy.checked_add(o.busy)?,
        })
    }

    /// The breakdown's terms between the first COMPUTE's start and the last one's.
    fn breakdown(&self) -> Option<Breakdown> {
        Some(Breakdown {
            compute: self.streamed,
            fill_drain: self.busy,
            dma_stall: self.gap_dma,
            issue: self
                .cycles
                .checked_sub(self.busy)?
                .checked_sub(self.gap_dma)?,
            ..Breakdown::default()
        })
    }
}

/// A stretch of the program's tiles: how many, its first two and last two (`last[1]` the last;
/// only as many are meaningful as it has tiles), the CONFIGs marked after its last tile, the
/// sum of the visits whose three tiles all lie in it, and the summary's totals of its tiles.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stretch {
    tiles: u64,
    first: [Tile; 2],
    last: [Tile; 2],
    trail: u32,
    sum: Sum,
    pub(super) acc: SummaryAcc,
}

/// A leaf of the fold: a mark of CONFIGs before the next tile's loads, or a tile's cost id and
/// shape.
#[derive(Clone, Copy, Debug)]
pub(super) enum Leaf {
    Mark(u32),
    Tile(TileId, Shape),
}

/// The empty stretch.
impl Default for Stretch {
    fn default() -> Stretch {
        let t = Tile {
            id: MARK,
            configs: UNMARKED,
        };
        Stretch {
            tiles: 0,
            first: [t; 2],
            last: [t; 2],
            trail: UNMARKED,
            sum: Sum::default(),
            acc: SummaryAcc::default(),
        }
    }
}

impl Stretch {
    /// The stretch after a mark of `n` CONFIGs: its first tile takes them unless a mark of its own
    /// comes before it (the later mark stands, as in the walk).
    fn after_mark(mut self, n: u32) -> Stretch {
        if self.tiles > 0 && self.first[0].configs == UNMARKED {
            self.first[0].configs = n;
            // the same tile among the last two
            if self.tiles <= 2 {
                self.last[2 - self.tiles as usize].configs = n;
            }
        }
        self
    }
}

/// The fold of a schedule's tiles into a [`Stretch`]: it looks each tile's cost up as the fold
/// meets it ([`fold`]).
struct Visits<'a, 'b> {
    costs: &'a mut TileCosts<'b>,
    double: bool,
    /// The array's rows and columns (the summary's MAC slots).
    rows: u32,
    cols: u32,
}

/// The DMA's cursor through a visit: the cycle the next instruction issues at (the later of the
/// controller's and the DMA's), from the COMPUTE of `busy` cycles issued at cycle 0; and what the
/// visit's transfers add up to.
struct Cursor {
    at: u64,
    busy: u64,
    gap_dma: u64,
    dma_cycles: u64,
}

impl Cursor {
    /// A transfer busy `b` cycles (`b = 0`: none): busy in cycles `at + 1 ..= at + b`, then the
    /// next instruction issues when it is done.
    #[inline(always)]
    fn dma(&mut self, b: u64) {
        if b > 0 {
            // its cycles after the COMPUTE's last busy one fall in the gap
            self.gap_dma += (self.at + b).saturating_sub(self.at.max(self.busy));
            self.dma_cycles += b;
            self.at += b + 1;
        }
    }
}

impl Visits<'_, '_> {
    /// The visit that computes `b`, after `a` (whose stores it issues when double-buffered) and
    /// before `c` (whose CONFIGs and loads it issues).
    ///
    /// From the COMPUTE's issue at cycle 0 (array busy `1..=C`): the controller reaches the next
    /// instruction at 1. With one slot a transfer issues once the one before is done and starts
    /// the next cycle ([`Walk::dma`]: its channel hold is within its busy cycles), so each transfer
    /// of `β` cycles moves the cursor by `β + 1`, each CONFIG by 1, and the SYNC on the DMA ends
    /// the visit one cycle after the cursor. The single-buffered program first waits for the
    /// array (`SYNC compute`: the cursor at `C + 2`) and, after stores, for the DMA (one more).
    /// The next COMPUTE issues at the later of the visit's end and `C + 1`.
    #[inline]
    fn visit(&self, a: Option<Tile>, b: Tile, c: Tile) -> Sum {
        let (tb, tc) = (self.costs.get(b.id), self.costs.get(c.id));
        let mut k = Cursor {
            at: 1,
            busy: tb.compute,
            gap_dma: 0,
            dma_cycles: 0,
        };
        let stores = |k: &mut Cursor, t: &TileCost| {
            for _ in 0..t.stores {
                k.dma(t.store.0);
            }
        };
        if self.double {
            if let Some(a) = a {
                stores(&mut k, self.costs.get(a.id));
            }
        } else {
            k.at = tb.compute + 2;
            if tb.stores > 0 {
                stores(&mut k, tb);
                k.at += 1;
            }
        }
        k.at += u64::from(c.configs());
        k.dma(tc.input.0);
        k.dma(tc.weight.0);
        let end = k.at + 1;
        Sum {
            cycles: end.max(tb.compute + 1),
            gap_dma: k.gap_dma,
            dma_cycles: k.dma_cycles,
            streamed: tb.len,
            busy: tb.compute,
        }
    }
}

impl Fold<Leaf> for Visits<'_, '_> {
    type Sum = Stretch;

    fn leaf(&mut self, leaf: &Leaf, out: &mut Stretch) {
        let (id, tiles, trail, acc) = match leaf {
            Leaf::Mark(n) => (MARK, 0, *n, SummaryAcc::default()),
            Leaf::Tile(id, sh) => (*id, 1, UNMARKED, SummaryAcc::of(sh, self.rows, self.cols)),
        };
        let t = Tile {
            id,
            configs: UNMARKED,
        };
        *out = Stretch {
            tiles,
            first: [t; 2],
            last: [t; 2],
            trail,
            sum: Sum::default(),
            acc,
        };
    }

    fn join(&mut self, a: &mut Stretch, b: &Stretch) -> Option<()> {
        if b.tiles == 0 {
            // marks only: the later one stands
            if b.trail != UNMARKED {
                a.trail = b.trail;
            }
            return Some(());
        }
        if a.tiles == 0 {
            *a = b.after_mark(a.trail);
            return Some(());
        }
        // b's ends, its first tile after a's trailing mark
        let (mut first, mut last) = (b.first, b.last);
        if first[0].configs == UNMARKED {
            first[0].configs = a.trail;
            if b.tiles <= 2 {
                last[2 - b.tiles as usize].configs = a.trail;
            }
        }
        // the visits across the seam: each needs three tiles
        let mut sum = a.sum.plus(&b.sum)?;
        if a.tiles >= 2 {
            sum = sum.plus(&self.visit(Some(a.last[0]), a.last[1], first[0]))?;
        }
        if b.tiles >= 2 {
            sum = sum.plus(&self.visit(Some(a.last[1]), first[0], first[1]))?;
        }
        if a.tiles < 2 {
            a.first[1] = first[0];
        }
        a.last = if b.tiles >= 2 {
            last
        } else {
            [a.last[1], last[1]]
        };
        a.tiles = a.tiles.checked_add(b.tiles)?;
        a.trail = b.trail;
        a.sum = sum;
        a.acc.plus(&b.acc);
        Some(())
    }

    fn times(&mut self, s: &mut Stretch, k: u32) -> Option<()> {
        if s.tiles == 0 {
            return Some(());
        }
        // every copy but the first after the stretch's own trailing mark
        let next = s.after_mark(s.trail);
        let k = u64::from(k);
        s.acc.times(k);
        if s.tiles == 1 {
            // one tile: each window past the first two tiles is the tile three times over (the
            // tile a visit stores and the one it computes read no CONFIGs)
            let n = next.first[0];
            s.sum = Sum::default().plus_times(&self.visit(Some(n), n, n), k - 2)?;
            s.tiles = k;
            s.first[1] = n;
            s.last = [if k == 2 { s.first[0] } else { n }, n];
            return Some(());
        }
        let seam = self
            .visit(Some(s.last[0]), s.last[1], next.first[0])
            .plus(&self.visit(Some(s.last[1]), next.first[0], next.first[1]))?;
        s.sum = Sum::default()
            .plus_times(&s.sum, k)?
            .plus_times(&seam, k - 1)?;
        s.tiles = s.tiles.checked_mul(k)?;
        s.last = next.last;
        Some(())
    }
}

/// Folds of k-tile subtrees met before, on one accelerator, by their [`SubtreeKey`] and program
/// (double-buffered or not): the candidate mappings of a layer share most of them
/// ([`super::Estimator`]). Their tiles are kept by [`TileKey`], which a tile's cost is a function
/// of, so that any fold's [`TileCosts`] can take them. Bounded: it starts over when full.
pub(super) struct Memo {
    kept: rustc_hash::FxHashMap<(SubtreeKey, bool), Kept>,
}

impl Default for Memo {
    fn default() -> Memo {
        // (room for a layer's subtrees from the start: a map that grows copies its entries)
        let room = MEMO_ENTRIES / 8;
        Memo {
            kept: rustc_hash::FxHashMap::with_capacity_and_hasher(room, Default::default()),
        }
    }
}

/// The most subtrees a [`Memo`] keeps (each a few hundred bytes).
const MEMO_ENTRIES: usize = 1 << 14;

/// A remembered [`Stretch`], its tiles by key (`None`: no tile there, in a stretch of fewer
/// than two tiles).
#[derive(Clone, Copy)]
struct Kept {
    tiles: u64,
    first: [(Option<TileKey>, u32); 2],
    last: [(Option<TileKey>, u32); 2],
    trail: u32,
    sum: Sum,
    acc: SummaryAcc,
}

/// A [`Memo`] as one schedule's fold asks it ([`tessera_mapping::Memo`]).
struct Remember<'a> {
    memo: &'a mut Memo,
    schedule: &'a Schedule,
    /// The key of the subtree asked for last and not found (what its `put` keeps it under).
    missed: Option<SubtreeKey>,
}

impl tessera_mapping::Memo<Leaf, Visits<'_, '_>> for Remember<'_> {
    fn get(
        &mut self,
        v: &mut Visits,
        d: usize,
        extent: [u32; 4],
        outer: &[Class],
    ) -> Option<Stretch> {
        let key = self.schedule.subtree_key(d, extent, outer)?;
        let Some(k) = self.memo.kept.get(&(key, v.double)) else {
            self.missed = Some(key);
            return None;
        };
        let mut tile = |(key, configs): (Option<TileKey>, u32)| Tile {
            id: key.map_or(MARK, |key| v.costs.find_or_add(key)),
            configs,
        };
        Some(Stretch {
            tiles: k.tiles,
            first: k.first.map(&mut tile),
            last: k.last.map(&mut tile),
            trail: k.trail,
            sum: k.sum,
            acc: k.acc,
        })
    }

    fn put(&mut self, v: &mut Visits, d: usize, _: [u32; 4], _: &[Class], s: &Stretch) {
        // (a subtree is kept only when every tile met so far, its own among them, meets the
        // premise on its costs: a fold that takes it then has no tile that fails it unseen)
        // Only the subtrees `get` keyed are kept, under the key it missed (no keyed subtree
        // holds another).
        if self.schedule.subtree_key_depth() != Some(d) {
            return;
        }
        let Some(key) = self.missed.take() else {
            return;
        };
        if !v.costs.holds_within_busy() {
            return;
        }
        if self.memo.kept.len() >= MEMO_ENTRIES {
            self.memo.kept.clear();
        }
        let tile = |t: Tile| (v.costs.key(t.id), t.configs);
        self.memo.kept.insert(
            (key, v.double),
            Kept {
                tiles: s.tiles,
                first: s.first.map(tile),
                last: s.last.map(tile),
                trail: s.trail,
                sum: s.sum,
                acc: s.acc,
            },
        );
    }
}

/// Whether the visits apply to `schedule`'s program on `arch` as far as the accelerator tells:
/// one transfer slot, and tiles that do not overlap in the array (the premises' third, on the
/// tiles' costs, is [`resume`]'s).
pub(super) fn apply(arch: &Arch, schedule: &Schedule) -> bool {
    arch.dram().outstanding_transfers() == 1 && !schedule.overlapped && schedule.rs.is_none()
}

/// The schedule's tiles folded into a [`Stretch`] in one pass, without building its tile tree
/// ([`Schedule::fold_tiles`]): each tile's cost looked up in `costs` as the fold meets it, and
/// the summary's totals summed with the visits (the stretch's `acc`). `None` on overflow of a
/// visit's sum.
pub(super) fn fold(
    schedule: &Schedule,
    costs: &mut TileCosts,
    memo: Option<&mut Memo>,
) -> Option<Stretch> {
    let mut visits = Visits {
        costs,
        double: schedule.double_buffered,
        rows: schedule.rows,
        cols: schedule.cols,
    };
    let leaf = |v: &mut Visits, sh: &Shape, _| Leaf::Tile(v.costs.id(sh), *sh);
    match memo {
        Some(memo) => {
            let mut memo = Remember {
                memo,
                schedule,
                missed: None,
            };
            schedule.fold_tiles(Leaf::Mark, &mut visits, &mut memo, leaf)
        }
        None => schedule.fold_tiles(Leaf::Mark, &mut visits, &mut NoMemo, leaf),
    }
}

/// The walk's state just before the last tile's COMPUTE (and that tile), from the schedule's
/// [`fold`], when the premises hold (module docs); `None` otherwise or on overflow. Every figure
/// of the program after this state follows as in the walk: the double-buffered program's
/// [`Walk::double_end`], the single-buffered one's [`Walk::single_tail`] of the last tile.
pub(super) fn resume<const SLOTS: usize, const OVERLAP: bool>(
    arch: &Arch,
    double: bool,
    s: &Stretch,
    costs: &mut TileCosts,
    rule: &OverlapRule,
) -> Option<(Walk<SLOTS, OVERLAP>, TileId)> {
    if OVERLAP || SLOTS != 1 || !costs.holds_within_busy() || s.tiles == 0 {
        return None;
    }
    // the prologue, walked: the first tile's CONFIGs and loads
    let first = s.first[0];
    let mut w = Walk::<SLOTS, OVERLAP>::new(arch);
    if double {
        w.double_step(costs, rule, first.id, first.configs());
    } else {
        w.single_head(costs.get(first.id), first.configs());
    }
    if s.tiles == 1 {
        return Some((w, first.id));
    }
    // The first COMPUTE issues at `i`; the visits from it on bring the controller to the last
    // one's issue at `at`, with every transfer done and the array free.
    let i = w.t.max(w.cmp_free);
    let visits = Visits {
        costs,
        double,
        rows: arch.rows(),
        cols: arch.cols(),
    };
    let sum = s.sum.plus(&visits.visit(None, first, s.first[1]))?;
    let at = i.checked_add(sum.cycles)?;
    let mut b = sum.breakdown()?;
    b.first_load = i + 1;
    w.acc = SyncedAcc::resumed(b, at);
    (w.t, w.cmp_free) = (at, at);
    w.dma_cycles = w.dma_cycles.checked_add(sum.dma_cycles)?;
    let [before, last] = s.last;
    w.prev = Some(last.id);
    w.pending = (double && visits.costs.get(before.id).stores > 0).then_some(before.id);
    Some((w, last.id))
}

#[cfg(test)]
mod tests {
    use super::super::TileKey;
    use super::*;
    use proptest::prelude::*;

    /// A leaf of a test sequence: a mark of CONFIGs, or one of the test's tiles.
    #[derive(Clone, Copy, Debug)]
    enum El {
        Mark(u32),
        Tile(usize),
    }

    /// The stretch of `seq` the long way: its tiles with the CONFIGs of the last mark since the
    /// tile before (as the walk hands them), and the sum of the visit of every window of three.
    fn reference(
        v: &Visits,
        ids: &[(TileId, Shape)],
        seq: &[El],
    ) -> (u64, Vec<Tile>, u32, Sum, SummaryAcc) {
        let (mut tiles, mut mark, mut acc) = (vec![], UNMARKED, SummaryAcc::default());
        for e in seq {
            match *e {
                El::Mark(n) => mark = n,
                El::Tile(i) => {
                    tiles.push(Tile {
                        id: ids[i].0,
                        configs: mark,
                    });
                    acc.add(&ids[i].1, 1, v.rows, v.cols);
                    mark = UNMARKED;
                }
            }
        }
        let mut sum = Sum::default();
        for w in tiles.windows(3) {
            sum = sum.plus(&v.visit(Some(w[0]), w[1], w[2])).unwrap();
        }
        (tiles.len() as u64, tiles, mark, sum, acc)
    }

    /// The fold of `seq` by random splits (`cuts` picks each split point).
    fn folded(
        v: &mut Visits,
        ids: &[(TileId, Shape)],
        seq: &[El],
        cuts: &mut impl Iterator<Item = usize>,
    ) -> Stretch {
        if seq.len() == 1 {
            let mut s = Stretch::default();
            let leaf = match seq[0] {
                El::Mark(n) => Leaf::Mark(n),
                El::Tile(i) => Leaf::Tile(ids[i].0, ids[i].1),
            };
            v.leaf(&leaf, &mut s);
            return s;
        }
        let at = 1 + cuts.next().unwrap_or(0) % (seq.len() - 1);
        let mut a = folded(v, ids, &seq[..at], cuts);
        let b = folded(v, ids, &seq[at..], cuts);
        v.join(&mut a, &b).unwrap();
        a
    }

    proptest! {
        /// Any grouping of a sequence of tiles and marks (marks anywhere: several in a row, after
        /// the last tile, of 0 CONFIGs), with a stretch of it repeated `k` times by
        /// [`Fold::times`], folds to the sequence's own stretch: its tiles, its ends, its trailing
        /// mark, the sum of the visits of its windows and the summary's totals of its tiles, on
        /// either program.
        #[test]
        fn any_grouping_folds_to_the_sum_of_the_windows(
            keys in proptest::collection::vec((0u32..5, 0u32..5, 1u32..20, 0u32..3, 1u32..4), 1..5),
            seq in proptest::collection::vec((any::<bool>(), 0usize..8, 0u32..4), 1..12),
            rep in (0usize..12, 1usize..6, 2u32..7),
            cuts in proptest::collection::vec(any::<usize>(), 64),
            double in any::<bool>(),
        ) {
            let arch = tessera_arch::builtin::arch("ws_4x4").unwrap();
            let mut costs = TileCosts::new(&arch);
            let ids: Vec<(TileId, Shape)> = keys.iter().map(|&(i, w, len, stores, sw)| {
                let id = costs.find_or_add(TileKey {
                    input_words: i, weight_words: w, len, stores, store_words: sw,
                    ..TileKey::default()
                });
                let shape = Shape {
                    input_words: i, weight_words: w, len, stores, store_words: sw,
                    accumulate: i % 2 == 1, input_reads: len + i, out_words: len * 2,
                    ..Shape::default()
                };
                (id, shape)
            }).collect();
            let seq: Vec<El> = seq.iter().map(|&(mark, i, n)| {
                if mark { El::Mark(n) } else { El::Tile(i % ids.len()) }
            }).collect();
            // prefix, a stretch repeated k times, suffix
            let (from, len, k) = rep;
            let from = from % seq.len();
            let to = (from + len).min(seq.len());
            let (pre, mid, post) = (&seq[..from], &seq[from..to], &seq[to..]);
            let flat: Vec<El> = pre.iter().chain(mid.iter().cycle().take(mid.len() * k as usize)).chain(post).copied().collect();
            let mut v = Visits { costs: &mut costs, double, rows: 4, cols: 4 };
            let mut cuts = cuts.into_iter().cycle();
            let mut s = folded(&mut v, &ids, mid, &mut cuts);
            v.times(&mut s, k).unwrap();
            if !pre.is_empty() {
                let mut p = folded(&mut v, &ids, pre, &mut cuts);
                v.join(&mut p, &s).unwrap();
                s = p;
            }
            if !post.is_empty() {
                let p = folded(&mut v, &ids, post, &mut cuts);
                v.join(&mut s, &p).unwrap();
            }
            let (n, tiles, trail, sum, acc) = reference(&v, &ids, &flat);
            prop_assert_eq!(s.tiles, n);
            prop_assert_eq!(s.trail, trail);
            prop_assert_eq!(s.sum, sum);
            prop_assert_eq!(s.acc, acc);
            if n >= 1 {
                prop_assert_eq!(s.first[0], tiles[0]);
                prop_assert_eq!(s.last[1], tiles[n as usize - 1]);
            }
            if n >= 2 {
                prop_assert_eq!(s.first[1], tiles[1]);
                prop_assert_eq!(s.last[0], tiles[n as usize - 2]);
            }
        }
    }
}
