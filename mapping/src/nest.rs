//! A loop nest over the GEMM dimensions, in the field's vocabulary (Timeloop's "temporal loops at a
//! storage level"): loops from outermost to innermost, each stepping one dimension in tiles.
//!
//! The first loop on a dimension covers the whole dimension; a later loop on the same dimension
//! covers the current tile of the enclosing one (so `[M/64, M/8]` tiles M by 64, then each 64-row
//! tile by 8). The last iteration of a loop may be a smaller remainder tile. Nothing is padded here:
//! padding to the array's shape is the dataflow's business.
//!
//! Three ways to walk a nest, from the same definition:
//! - [`Nest::for_each`] visits every iteration of the innermost loop in order, with each loop's
//!   position ([`Pos`]: index, start element, tile size, trip count).
//! - [`Nest::for_each_class`] visits each *class* of iterations once with its multiplicity: within a
//!   loop, iterations differ only in being first, last or in between, and in the size of their tile
//!   (only the last one can be smaller). A function of the classes alone ([`Class`]) therefore sums in
//!   at most 3^depth calls, whatever the trip counts — that is how program lengths, access counts and
//!   cost bounds come out in closed form from the same nest the lowering walks. A loop whose position
//!   does not matter ([`Loop::positional`] false) splits only by tile size, into at most two classes.
//! - [`Nest::tree`] compiles the nest into a [`Tree`]: the same classes as leaves, in program order,
//!   and the loops as runs of alike subtrees. Its walk threads a state through every iteration and
//!   applies repeated runs as whole periods of the state ([`Periodic`]) — the analytical model's
//!   timing walk, which sums the access counts over the leaves in the same pass.

use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;

/// A dimension of the nest: the GEMM's `C[M×N] = A[M×K] · B[K×N]`, and `G`, the independent
/// instances of that GEMM a layer holds (a batch of matrix products, the groups of a convolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Dim {
    M,
    K,
    N,
    G,
}

impl Dim {
    fn idx(self) -> usize {
        match self {
            Dim::M => 0,
            Dim::K => 1,
            Dim::N => 2,
            Dim::G => 3,
        }
    }
}

/// A walk's state that identical stretches of a nest advance by whole periods
/// ([`Tree::walk`]).
pub trait Periodic: Clone {
    type Period;
    /// `Some(p)` when `self` is `before` advanced by exactly one period `p` (every later identical
    /// stretch then advances it by `p` again).
    fn period_since(&self, before: &Self) -> Option<Self::Period>;
    /// Advance by `k` periods; `false` (and `self` unchanged) if that would overflow.
    fn repeat(&mut self, period: &Self::Period, k: u64) -> bool;
}

/// An associative summary of a sequence of leaves ([`Tree::fold`]): a stretch of the tree's
/// leaves in program order summarised once, so that a run of `k` alike subtrees costs one
/// [`Fold::times`], not `k` joins.
pub trait Fold<T> {
    type Sum: Default;
    /// The stretch of the one leaf `v`, into `out` (overwriting all of it: `out` may hold an
    /// earlier stretch).
    fn leaf(&mut self, v: &T, out: &mut Self::Sum);
    /// `a` followed by `b`, into `a` (`None` on overflow).
    fn join(&mut self, a: &mut Self::Sum, b: &Self::Sum) -> Option<()>;
    /// `a` repeated `k ≥ 2` times, into `a` (`None` on overflow): what `k - 1` joins give.
    fn times(&mut self, a: &mut Self::Sum, k: u32) -> Option<()>;
}

/// Subtrees a [`Nest::fold_memo`] has folded before, remembered by the caller: a fold of many
/// nests that share subtrees (the candidate mappings of one layer) folds each once. A subtree is
/// the nest's loops from depth `d` on over `extent`, the tiles of the loops outside it, under
/// those loops' classes `outer`; what makes two subtrees' folds equal is the caller's to know
/// (what its leaf function reads).
pub trait Memo<T, F: Fold<T>> {
    /// The fold of the subtree, if remembered (into `f`'s terms: `f` may hold what the sum refers
    /// to).
    fn get(&mut self, f: &mut F, d: usize, extent: [u32; 4], outer: &[Class]) -> Option<F::Sum>;
    /// Remember the fold of the subtree.
    fn put(&mut self, f: &mut F, d: usize, extent: [u32; 4], outer: &[Class], sum: &F::Sum);
}

/// The memo that remembers nothing ([`Nest::fold`]).
pub struct NoMemo;

impl<T, F: Fold<T>> Memo<T, F> for NoMemo {
    fn get(&mut self, _: &mut F, _: usize, _: [u32; 4], _: &[Class]) -> Option<F::Sum> {
        None
    }
    fn put(&mut self, _: &mut F, _: usize, _: [u32; 4], _: &[Class], _: &F::Sum) {}
}

/// One loop: steps `dim` in tiles of `tile` elements (≥ 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Loop {
    pub dim: Dim,
    pub tile: u32,
    /// Whether what a tile moves may depend on its iteration being the first or the last of this
    /// loop (and not only on its tile size). A loop that is not positional enumerates at most two
    /// classes (whole tiles, and the remainder), and the classes it reports carry the `first` and
    /// `last` of one representative iteration: a shape function must not read them.
    pub positional: bool,
}

/// What a cost or count may depend on: where an iteration stands in its loop, not which one it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Class {
    /// The loop's first iteration.
    pub first: bool,
    /// The loop's last iteration.
    pub last: bool,
    /// Elements in this iteration's tile (the tile, or the remainder on the last iteration).
    pub size: u32,
    /// Iterations of this loop (for the current tile of the enclosing loop on the same dimension).
    pub trips: u32,
}

impl Class {
    /// A loop of one trip before it is entered: what a stack of classes starts as.
    pub const UNENTERED: Class = Class {
        first: true,
        last: true,
        size: 0,
        trips: 1,
    };
}

/// One iteration of one loop: its class, plus which iteration it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    pub class: Class,
    /// 0-based iteration index.
    pub index: u32,
    /// First element of the tile, in the whole dimension.
    pub start: u32,
}

/// The longest period, in runs' subtrees, [`Tree::walk`] looks for: a walk may settle into
/// alternating iterations (an overlapped array whose tiles drift against the DMA's, every other
/// k-tile alike), not only into identical ones. Longer periods were not seen in the mapper's spaces.
const PERIODS: usize = 2;

/// The longest run of leaves [`Tree::walk`] walks without looking for a period: a leaf is one
/// step of the state, about as dear as the copy and the comparison a period takes, and a short
/// run of leaves seldom settles before it ends (on the mapper's candidates of ResNet-18 on a
/// TPU-like array, runs of 3 to 6 leaves found a period in under a third of the cases, most
/// of them at the last leaf but one).
const WALKED_LEAVES: u32 = 6;

/// States [`Tree::walk`] keeps per depth of the tree, for the run it is looking for a period in
/// there (reused with `clone_from`: a walk's state may own buffers).
struct Kept<S> {
    /// Before each of the last [`PERIODS`] subtrees walked.
    saved: [[Option<S>; PERIODS]; MAX_LOOPS],
    /// Within the last two subtrees walked (by the parity of their place in the run): the state
    /// before the subtree's second and its third run, where those are of subtrees
    /// ([`Walking::probed`]).
    probes: [[[Option<S>; 2]; 2]; MAX_LOOPS],
}

/// `state` kept in `slot`.
#[inline(always)]
fn keep<S: Clone>(slot: &mut Option<S>, state: &S) {
    match slot {
        Some(s) => s.clone_from(state),
        s @ None => *s = Some(state.clone()),
    }
}

/// The most loops a nest may have (keeps positions on the stack).
pub const MAX_LOOPS: usize = 7;

/// A loop nest over `extent = [M, K, N, G]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nest {
    pub extent: [u32; 4],
    /// Outermost first.
    pub loops: Vec<Loop>,
}

/// `extent` with dimension `dim`'s extent `size`, element by element rather than a copy with one
/// element written: a 16-byte read of an array just written in part stalls store forwarding, and
/// this was the tile tree builder's hottest instruction.
#[inline(always)]
fn resized(extent: [u32; 4], dim: Dim, size: u32) -> [u32; 4] {
    let at = dim.idx();
    let e = |j: usize| if j == at { size } else { extent[j] };
    [e(0), e(1), e(2), e(3)]
}

/// Extent, trip count and remainder of a loop whose parent tile on its dimension has `extent` elements.
/// (A power-of-two tile, the common one, is a shift: the division was 3 % of a walked estimate.)
#[inline(always)]
fn trips(extent: u32, tile: u32) -> (u32, u32) {
    let trips = if tile.is_power_of_two() {
        (extent >> tile.trailing_zeros()) + u32::from(extent & (tile - 1) != 0)
    } else {
        extent.div_ceil(tile)
    }
    .max(1);
    (trips, extent - (trips - 1) * tile)
}

impl Nest {
    pub fn new(extent: [u32; 4], loops: Vec<Loop>) -> Nest {
        assert!(
            loops.len() <= MAX_LOOPS,
            "a nest has at most {MAX_LOOPS} loops"
        );
        assert!(loops.iter().all(|l| l.tile >= 1), "tiles are at least 1");
        assert!(extent.iter().all(|&e| e >= 1), "extents are at least 1");
        Nest { extent, loops }
    }

    /// Visit every innermost iteration in order; `f` gets each loop's position, outermost first.
    pub fn for_each(&self, mut f: impl FnMut(&[Pos])) {
        let _ = self.try_for_each(|p| {
            f(p);
            ControlFlow::Continue(())
        });
    }

    /// [`Nest::for_each`] that stops at the first iteration for which `f` breaks.
    pub fn try_for_each(&self, mut f: impl FnMut(&[Pos]) -> ControlFlow<()>) -> ControlFlow<()> {
        let n = self.loops.len();
        let mut pos = [Pos {
            class: Class::UNENTERED,
            index: 0,
            start: 0,
        }; MAX_LOOPS];
        // (start, size) of the current tile on each dimension, per depth.
        let mut tile_at = [[(0u32, 0u32); 4]; MAX_LOOPS + 1];
        tile_at[0] = self.extent.map(|e| (0, e));
        // Enter loop `d` at its first iteration.
        let enter = |d: usize,
                     tile_at: &mut [[(u32, u32); 4]; MAX_LOOPS + 1],
                     pos: &mut [Pos; MAX_LOOPS]| {
            let l = self.loops[d];
            let (start, extent) = tile_at[d][l.dim.idx()];
            let (t, rem) = trips(extent, l.tile);
            let size = if t == 1 { rem } else { l.tile };
            pos[d] = Pos {
                class: Class {
                    first: true,
                    last: t == 1,
                    size,
                    trips: t,
                },
                index: 0,
                start,
            };
            tile_at[d + 1] = tile_at[d];
            tile_at[d + 1][l.dim.idx()] = (start, size);
        };
        if n == 0 {
            return f(&[]);
        }
        for d in 0..n {
            enter(d, &mut tile_at, &mut pos);
        }
        loop {
            f(&pos[..n])?;
            // Advance the innermost loop that has iterations left; re-enter the ones inside it.
            let mut d = n;
            loop {
                if d == 0 {
                    return ControlFlow::Continue(());
                }
                d -= 1;
                if !pos[d].class.last {
                    break;
                }
            }
            let l = self.loops[d];
            let (parent_start, extent) = tile_at[d][l.dim.idx()];
            let p = &mut pos[d];
            p.index += 1;
            p.start = parent_start + p.index * l.tile;
            let (t, rem) = trips(extent, l.tile);
            p.class.first = false;
            p.class.last = p.index + 1 == t;
            p.class.size = if p.class.last { rem } else { l.tile };
            let (start, size) = (p.start, p.class.size);
            tile_at[d + 1] = tile_at[d];
            tile_at[d + 1][l.dim.idx()] = (start, size);
            for e in d + 1..n {
                enter(e, &mut tile_at, &mut pos);
            }
        }
    }

    /// The nest's [`Tree`]: `leaf(classes, multiplicity)` is called once per leaf, in program
    /// order, and its value is what the walk of the tree hands its step. `reads_first(outer)`
    /// says whether `leaf` reads the `first` of a loop that is not positional, given the classes
    /// of the loops outside it: when it does not, that loop's first iteration is one of its alike
    /// ones (`leaf` never reads the `last` of such a loop). `start`, if given, is a value the walk
    /// hands its step before each iteration of the outermost loop (a mark, not an iteration).
    pub fn tree<T: Clone>(
        &self,
        reads_first: impl Fn(&[Class]) -> bool,
        start: Option<T>,
        leaf: impl FnMut(&[Class], u64) -> T,
    ) -> Tree<T> {
        let mut tree = Tree::new();
        self.tree_in(&mut tree, reads_first, start, leaf);
        tree
    }

    /// [`Nest::tree`] built in `tree`, in place of what it held: a caller that builds many
    /// trees reuses one's memory.
    pub fn tree_in<T: Clone>(
        &self,
        tree: &mut Tree<T>,
        reads_first: impl Fn(&[Class]) -> bool,
        start: Option<T>,
        mut leaf: impl FnMut(&[Class], u64) -> T,
    ) {
        let mut stack = [Class::UNENTERED; MAX_LOOPS];
        tree.nodes.clear();
        tree.leaves.clear();
        let mut build = Build {
            nest: self,
            reads_first: &reads_first,
            start,
            leaf: &mut leaf,
        };
        tree.root = build.from(0, self.extent, 1, &mut stack, tree);
    }

    /// The fold of the nest's [`Tree`] under `f` ([`Tree::fold`]), without building the tree:
    /// `leaf(f, classes, multiplicity)` is called for the same leaves in the same order as
    /// [`Nest::tree`]'s `leaf`, and its value folded at once. `None` when `f` overflows (the
    /// leaves after that point are not visited).
    pub fn fold<T, F: Fold<T>>(
        &self,
        reads_first: impl Fn(&[Class]) -> bool,
        start: Option<T>,
        f: &mut F,
        leaf: impl FnMut(&mut F, &[Class], u64) -> T,
    ) -> Option<F::Sum> {
        self.fold_memo(reads_first, start, f, &mut NoMemo, leaf)
    }

    /// [`Nest::fold`] that asks `memo` for every subtree below the outermost loop before folding
    /// it, and tells it each one it folds. The leaves of a remembered subtree are not visited:
    /// `leaf`'s values must depend on the classes alone, not on the multiplicity.
    pub fn fold_memo<T, F: Fold<T>>(
        &self,
        reads_first: impl Fn(&[Class]) -> bool,
        start: Option<T>,
        f: &mut F,
        memo: &mut impl Memo<T, F>,
        mut leaf: impl FnMut(&mut F, &[Class], u64) -> T,
    ) -> Option<F::Sum> {
        let mut stack = [Class::UNENTERED; MAX_LOOPS];
        let mut folding = Folding {
            nest: self,
            reads_first: &reads_first,
            start,
            leaf: &mut leaf,
            f,
            memo,
        };
        let mut sum = F::Sum::default();
        folding.from(0, self.extent, 1, &mut stack, &mut sum)?;
        Some(sum)
    }
}

/// What [`Nest::tree`] builds with.
struct Build<'a, T, R, F> {
    nest: &'a Nest,
    reads_first: &'a R,
    start: Option<T>,
    leaf: &'a mut F,
}

impl<T: Clone, R: Fn(&[Class]) -> bool, F: FnMut(&[Class], u64) -> T> Build<'_, T, R, F> {
    /// `c` after the start mark, if any.
    fn started(&self, c: Child, tree: &mut Tree<T>) -> Child {
        let Some(v) = &self.start else {
            return c;
        };
        tree.leaves.push(v.clone());
        let mark = Child::Leaf(index(tree.leaves.len() - 1));
        tree.nodes.push(Node {
            runs: [(mark, 1), (c, 1), (Child::Leaf(0), 0)],
            len: 2,
        });
        Child::Node(index(tree.nodes.len() - 1))
    }

    fn from(
        &mut self,
        d: usize,
        extent: [u32; 4],
        mult: u64,
        stack: &mut [Class; MAX_LOOPS],
        tree: &mut Tree<T>,
    ) -> Child {
        let loops = &self.nest.loops;
        if d == loops.len() {
            tree.leaves.push((self.leaf)(&stack[..d], mult));
            let c = Child::Leaf(index(tree.leaves.len() - 1));
            return if d == 0 { self.started(c, tree) } else { c };
        }
        let l = loops[d];
        let plan = Runs::of(self.nest, d, extent, stack, self.reads_first);
        let mut run = |r: (u32, u32), tree: &mut Tree<T>| {
            let inner = plan.enter(l, d, r.0, extent, stack);
            let c = self.from(
                d + 1,
                inner,
                mult.saturating_mul(u64::from(r.1)),
                stack,
                tree,
            );
            (if d == 0 { self.started(c, tree) } else { c }, r.1)
        };
        if plan.len == 1 && plan.runs[0].1 == 1 {
            // a loop of one trip adds nothing to walk
            return run(plan.runs[0], tree).0;
        }
        // The node first, its runs written in place as its subtrees are built (its index is
        // fixed; a node assembled on the stack and then copied in stalled store forwarding).
        let at = tree.nodes.len();
        tree.nodes.push(Node {
            runs: [(Child::Leaf(0), 0); 3],
            len: plan.len,
        });
        for (j, &r) in plan.runs().iter().enumerate() {
            let built = run(r, tree);
            tree.nodes[at].runs[j] = built;
        }
        Child::Node(index(at))
    }
}

/// A loop's iterations as runs of alike ones, for the loop at depth `d` under the classes of the
/// loops outside it: (an iteration, how many iterations its subtree stands for), in program
/// order. What [`Nest::tree`] makes its nodes of and [`Nest::fold`] folds.
#[derive(Clone, Copy, Debug)]
struct Runs {
    runs: [(u32, u32); 3],
    len: u8,
    /// The loop's trips and its last iteration's tile.
    trips: u32,
    rem: u32,
}

impl Runs {
    fn of<R: Fn(&[Class]) -> bool>(
        nest: &Nest,
        d: usize,
        extent: [u32; 4],
        stack: &[Class; MAX_LOOPS],
        reads_first: &R,
    ) -> Runs {
        let l = nest.loops[d];
        let (t, rem) = trips(extent[l.dim.idx()], l.tile);
        let first_alike = !l.positional && t > 1 && !reads_first(&stack[..d]);
        // The iterations 1..=middle are alike (their classes here and below are equal), and
        // so is the first one when nothing reads its being first.
        let middle = if !l.positional && rem == l.tile {
            t - 1
        } else {
            t.saturating_sub(2)
        };
        let mut runs = [(0, 0); 3];
        let len = if first_alike {
            // iterations 0..=middle alike, then the remainder
            runs[0] = (0, middle + 1);
            if middle + 1 < t {
                runs[1] = (t - 1, 1);
                2
            } else {
                1
            }
        } else if middle < 2 {
            // (at most three iterations: a positional loop of t - 2 < 2 middle ones)
            for i in 0..t {
                runs[i as usize] = (i, 1);
            }
            t as u8
        } else {
            runs[0] = (0, 1);
            runs[1] = (1, middle);
            // the last iteration, unless it is one of the middle ones
            if middle + 1 < t {
                runs[2] = (t - 1, 1);
                3
            } else {
                2
            }
        };
        Runs {
            runs,
            len,
            trips: t,
            rem,
        }
    }

    fn runs(&self) -> &[(u32, u32)] {
        &self.runs[..usize::from(self.len)]
    }

    /// Enter iteration `i` of loop `l` at depth `d`: its class into `stack[d]`, and the extent
    /// inside it.
    #[inline]
    fn enter(
        &self,
        l: Loop,
        d: usize,
        i: u32,
        extent: [u32; 4],
        stack: &mut [Class; MAX_LOOPS],
    ) -> [u32; 4] {
        let last = i + 1 == self.trips;
        let size = if last { self.rem } else { l.tile };
        stack[d] = Class {
            first: i == 0,
            last,
            size,
            trips: self.trips,
        };
        resized(extent, l.dim, size)
    }
}

/// What [`Nest::fold_memo`] folds with.
struct Folding<'a, T, R, L, F, M> {
    nest: &'a Nest,
    reads_first: &'a R,
    start: Option<T>,
    leaf: &'a mut L,
    f: &'a mut F,
    memo: &'a mut M,
}

impl<T, R, L, F, M> Folding<'_, T, R, L, F, M>
where
    R: Fn(&[Class]) -> bool,
    L: FnMut(&mut F, &[Class], u64) -> T,
    F: Fold<T>,
    M: Memo<T, F>,
{
    /// `s` after the start mark, if any.
    fn started(&mut self, s: &mut F::Sum) -> Option<()> {
        let Some(v) = &self.start else {
            return Some(());
        };
        let mut marked = F::Sum::default();
        self.f.leaf(v, &mut marked);
        self.f.join(&mut marked, s)?;
        *s = marked;
        Some(())
    }

    /// The fold of the subtree [`Build::from`] builds at these arguments, into `out`.
    fn from(
        &mut self,
        d: usize,
        extent: [u32; 4],
        mult: u64,
        stack: &mut [Class; MAX_LOOPS],
        out: &mut F::Sum,
    ) -> Option<()> {
        let loops = &self.nest.loops;
        if d == loops.len() {
            let v = (self.leaf)(self.f, &stack[..d], mult);
            self.f.leaf(&v, out);
            return if d == 0 { self.started(out) } else { Some(()) };
        }
        let l = loops[d];
        if d > 0 {
            if let Some(s) = self.memo.get(self.f, d, extent, &stack[..d]) {
                *out = s;
                return Some(());
            }
        }
        let plan = Runs::of(self.nest, d, extent, stack, self.reads_first);
        let mut run = F::Sum::default();
        for (j, &(i, count)) in plan.runs().iter().enumerate() {
            // the first run straight into `out`, each later one joined to it (as
            // [`Tree::fold`])
            let to = if j == 0 { &mut *out } else { &mut run };
            let inner = plan.enter(l, d, i, extent, stack);
            self.from(
                d + 1,
                inner,
                mult.saturating_mul(u64::from(count)),
                stack,
                to,
            )?;
            if d == 0 {
                self.started(to)?;
            }
            if count >= 2 {
                self.f.times(to, count)?;
            }
            if j > 0 {
                self.f.join(out, &run)?;
            }
        }
        if d > 0 {
            self.memo.put(self.f, d, extent, &stack[..d], out);
        }
        Some(())
    }
}

impl Nest {
    /// Visit each class of innermost iterations once: `f(classes, multiplicity)`, where the
    /// multiplicity is how many iterations share those classes. The multiplicities sum to the number
    /// of innermost iterations (saturating at `u64::MAX`, far beyond any valid nest).
    pub fn for_each_class(&self, mut f: impl FnMut(&[Class], u64)) {
        let mut stack = [Class::UNENTERED; MAX_LOOPS];
        self.classes_from(0, self.extent, 1, &mut stack, &mut f);
    }

    fn classes_from(
        &self,
        d: usize,
        extent: [u32; 4],
        mult: u64,
        stack: &mut [Class; MAX_LOOPS],
        f: &mut impl FnMut(&[Class], u64),
    ) {
        if d == self.loops.len() {
            f(&stack[..d], mult);
            return;
        }
        let l = self.loops[d];
        let (t, rem) = trips(extent[l.dim.idx()], l.tile);
        let innermost = d + 1 == self.loops.len();
        // one class: (first, last, size, how many iterations)
        let mut visit = |first: bool, last: bool, size: u32, count: u64| {
            stack[d] = Class {
                first,
                last,
                size,
                trips: t,
            };
            let mult = mult.saturating_mul(count);
            if innermost {
                // (no call per class of the innermost loop)
                f(&stack[..=d], mult);
            } else {
                self.classes_from(d + 1, resized(extent, l.dim, size), mult, stack, f);
            }
        };
        match (t, l.positional) {
            (1, _) => visit(true, true, rem, 1),
            // Only the size matters: the whole tiles, then the remainder (one class if it is whole).
            (_, false) if rem == l.tile => visit(true, false, l.tile, u64::from(t)),
            (_, false) => {
                visit(true, false, l.tile, u64::from(t - 1));
                visit(false, true, rem, 1);
            }
            (2, true) => {
                visit(true, false, l.tile, 1);
                visit(false, true, rem, 1);
            }
            (_, true) => {
                visit(true, false, l.tile, 1);
                visit(false, false, l.tile, u64::from(t - 2));
                visit(false, true, rem, 1);
            }
        }
    }

    /// Number of innermost iterations (saturating).
    pub fn iterations(&self) -> u64 {
        let mut n = 0u64;
        self.for_each_class(|_, m| n = n.saturating_add(m));
        n
    }
}

/// A nest compiled for walking: its innermost iterations in program order as runs of alike
/// subtrees, each distinct subtree once. A loop of `t` trips is a node of at most three runs:
/// iteration 0; the middle iterations `1..=t-2` (and the last one too when the loop is not
/// positional and its remainder is a whole tile), whose classes here and below are equal, as one
/// run of that many; and the last iteration. A loop of one trip is no node at all, and a loop of
/// at most three trips is its iterations one by one. Its leaves are in program order, one per
/// distinct class of innermost iterations — a handful however long the loops are — each with the
/// value [`Nest::tree`]'s `leaf` gave it there (a caller computes what a tile costs once per leaf,
/// and the totals of every tile as the sum of the leaves' by their multiplicities).
///
/// [`Tree::walk`] threads a state through the tiles and skips what repeats: a run of `n ≥ 2` alike
/// subtrees is walked, the state saved before each, until the last one or two of them have
/// advanced the state by one whole [`Periodic`] period; the rest of the run is then applied as that
/// many more periods (the one left over when the period is two subtrees is walked). Trying every
/// subtree of the run rather than the first one or two matters: a pipelined walk (the
/// double-buffered program holds two tiles in flight, an overlapped array drifts behind the DMA by
/// a few cycles a tile until it saturates) settles only after a few of them, and may settle into
/// alternating ones. Exact for any state whose step is shift-invariant (the analytical model's
/// in-order controller is a max-plus recurrence: shifting every time in its state shifts every
/// later time alike), so which stretch settles first does not change the end state. A run of at
/// most six leaves (`WALKED_LEAVES`) is walked leaf by leaf, without looking for a period, and a
/// longer one looks for it from its third leaf on (runs of leaves settle late, if at all). A run
/// of nodes is also compared part way: before each later run of a subtree, the state is compared
/// with the subtree before's at the same place, and once they are a period apart the rest of the
/// subtree is that period applied to where the one before ended (`Walking::probed`; the
/// first subtree of a run often starts from a state the others never see, and the second then
/// settles into it only part way through).
#[derive(Clone, Debug)]
pub struct Tree<T> {
    nodes: Vec<Node>,
    leaves: Vec<T>,
    root: Child,
}

/// A subtree of a [`Tree`]: a leaf or a node, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Child {
    Leaf(u32),
    Node(u32),
}

/// A loop of more than one trip: its runs of alike subtrees (subtree, how many), in order.
#[derive(Clone, Copy, Debug)]
struct Node {
    runs: [(Child, u32); 3],
    len: u8,
}

/// An index into a tree's nodes or leaves (a nest has at most 3^[`MAX_LOOPS`] leaves).
#[inline(always)]
fn index(i: usize) -> u32 {
    u32::try_from(i).expect("a tree has at most 3^7 nodes")
}

impl<T> Default for Tree<T> {
    /// An empty tree (nothing allocated), to build a nest's in ([`Nest::tree_in`]).
    fn default() -> Self {
        Tree {
            nodes: Vec::new(),
            leaves: Vec::new(),
            root: Child::Leaf(0),
        }
    }
}

impl<T> Tree<T> {
    /// An empty tree with room for a typical nest's.
    pub fn new() -> Self {
        Tree {
            nodes: Vec::with_capacity(16),
            leaves: Vec::with_capacity(32),
            root: Child::Leaf(0),
        }
    }

    /// The leaves' values, in program order.
    pub fn leaves(&self) -> &[T] {
        &self.leaves
    }

    /// Visit every innermost iteration in order, threading `state` through `f` (with the leaf's
    /// value), and skip what repeats (see [`Tree`]).
    pub fn walk<S: Periodic>(
        &self,
        state: &mut S,
        f: &mut impl FnMut(&mut S, &T) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let none = || std::array::from_fn(|_| None);
        let mut walking = Walking {
            tree: self,
            kept: Kept {
                saved: std::array::from_fn(|_| none()),
                probes: std::array::from_fn(|_| std::array::from_fn(|_| none())),
            },
            f,
        };
        walking.from(self.root, 0, state)
    }

    /// The summary of every leaf (innermost iteration or mark) in program order under `f` (`None`
    /// when `f` overflows):
    /// a join per run and a [`Fold::times`] per run of more than one subtree, so its cost is the
    /// tree's size, however long the loops.
    pub fn fold<F: Fold<T>>(&self, f: &mut F) -> Option<F::Sum> {
        let mut sum = F::Sum::default();
        self.fold_into(self.root, f, &mut sum)?;
        Some(sum)
    }

    /// The fold of subtree `c` into `out`.
    fn fold_into<F: Fold<T>>(&self, c: Child, f: &mut F, out: &mut F::Sum) -> Option<()> {
        let n = match c {
            Child::Leaf(i) => {
                f.leaf(&self.leaves[i as usize], out);
                return Some(());
            }
            Child::Node(n) => &self.nodes[n as usize],
        };
        let mut run = F::Sum::default();
        for (i, &(sub, count)) in n.runs[..usize::from(n.len)].iter().enumerate() {
            // the first run straight into `out`, each later one joined to it
            let to = if i == 0 { &mut *out } else { &mut run };
            self.fold_into(sub, f, to)?;
            if count >= 2 {
                f.times(to, count)?;
            }
            if i > 0 {
                f.join(out, &run)?;
            }
        }
        Some(())
    }
}

/// A walk of a [`Tree`] in progress ([`Tree::walk`]): the tree, the states it keeps, and the step.
struct Walking<'a, T, S, F> {
    tree: &'a Tree<T>,
    kept: Kept<S>,
    f: &'a mut F,
}

impl<T, S: Periodic, F: FnMut(&mut S, &T) -> ControlFlow<()>> Walking<'_, T, S, F> {
    /// Subtree `c` at depth `d`.
    fn from(&mut self, c: Child, d: usize, state: &mut S) -> ControlFlow<()> {
        let tree = self.tree;
        let n = match c {
            Child::Leaf(i) => return (self.f)(state, &tree.leaves[i as usize]),
            Child::Node(n) => &tree.nodes[n as usize],
        };
        for &(sub, count) in &n.runs[..usize::from(n.len)] {
            self.run(sub, count, d, state)?;
        }
        ControlFlow::Continue(())
    }

    /// A run of `count` subtrees `sub` of a node at depth `d`.
    #[inline(always)]
    fn run(&mut self, sub: Child, count: u32, d: usize, state: &mut S) -> ControlFlow<()> {
        if count < 2 || matches!(sub, Child::Leaf(_)) && count <= WALKED_LEAVES {
            for _ in 0..count {
                self.one(sub, d, state)?;
            }
            return ControlFlow::Continue(());
        }
        // The subtrees of the run, the state saved before each (the last `PERIODS` of them
        // kept), until the last `p ≤ PERIODS` of them have advanced the state by a whole
        // period: as many more periods of `p` subtrees as fit in the run are applied, and the
        // few left over are walked. A run of leaves settles after a few of them at the
        // earliest: its first test is after its third leaf, so the state before its first
        // is not saved. A subtree of a run of nodes is walked probed: it may settle into the
        // one before it part way ([`Walking::probed`]).
        let first_test = if matches!(sub, Child::Leaf(_)) { 3 } else { 1 };
        let mut done = 0;
        let mut found = false;
        'find: while done + 1 < count {
            if done + PERIODS as u32 >= first_test {
                keep(&mut self.kept.saved[d][done as usize % PERIODS], state);
            }
            match sub {
                Child::Leaf(_) => self.one(sub, d, state)?,
                Child::Node(m) => self.probed(m, d, done, state)?,
            }
            done += 1;
            if done < first_test {
                continue;
            }
            for p in 1..=done.min(PERIODS as u32) {
                let before = self.kept.saved[d][(done - p) as usize % PERIODS]
                    .as_ref()
                    .expect("saved before");
                if let Some(period) = state.period_since(before) {
                    let k = (count - done) / p;
                    if k > 0 && state.repeat(&period, u64::from(k)) {
                        done += k * p;
                    }
                    found = true;
                    break 'find;
                }
            }
        }
        if let (false, Child::Node(m)) = (found, sub) {
            // no period before the last subtree, which is probed like the ones before it
            keep(&mut self.kept.saved[d][done as usize % PERIODS], state);
            return self.probed(m, d, done, state);
        }
        for _ in done..count {
            self.one(sub, d, state)?;
        }
        ControlFlow::Continue(())
    }

    /// One subtree `sub` of a run at depth `d` (a leaf without a call).
    #[inline(always)]
    fn one(&mut self, sub: Child, d: usize, state: &mut S) -> ControlFlow<()> {
        match sub {
            Child::Leaf(i) => (self.f)(state, &self.tree.leaves[i as usize]),
            Child::Node(_) => self.from(sub, d + 1, state),
        }
    }

    /// Node `m`, the `j`-th subtree of a run of them at depth `d` whose period is being looked
    /// for: its runs in order, and before its second and third run (where those are of subtrees,
    /// not leaves) the state kept for the next subtree and compared with the one the subtree
    /// before kept at the same place. When the two are a period apart, the rest of this subtree
    /// walks as the rest of the one before did, shifted by that period, so it ends where the one
    /// before ended (the state saved before this one) advanced by the period: that is the state,
    /// and the rest is not walked. The run's period test then finds that period at once. (The
    /// first subtree of a run often starts from a state the later ones never see again, so the
    /// second differs from it at its start; but once its first stretch has settled, the two
    /// agree, and the second need not be walked to its end.)
    fn probed(&mut self, m: u32, d: usize, j: u32, state: &mut S) -> ControlFlow<()> {
        let tree = self.tree;
        let n = &tree.nodes[m as usize];
        for (r, &(sub, count)) in n.runs[..usize::from(n.len)].iter().enumerate() {
            if r > 0 && matches!(sub, Child::Node(_)) {
                let (at, kept) = (r - 1, &mut self.kept);
                let settled = j.checked_sub(1).and_then(|before| {
                    let there = kept.probes[d][before as usize % 2][at].as_ref()?;
                    let period = state.period_since(there)?;
                    let mut end = kept.saved[d][j as usize % PERIODS]
                        .clone()
                        .expect("saved before");
                    end.repeat(&period, 1).then_some(end)
                });
                if let Some(end) = settled {
                    *state = end;
                    return ControlFlow::Continue(());
                }
                keep(&mut kept.probes[d][j as usize % 2][at], state);
            }
            self.run(sub, count, d + 1, state)?;
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Visit every innermost iteration in order like [`Nest::try_for_each`] (with its loop
    /// classes only), threading `state` through `f`, and skip what repeats: the walk of the
    /// nest's [`Tree`] with the classes as its leaves (`f` reads every `first`).
    fn walk_periodic<S: Periodic>(
        nest: &Nest,
        state: &mut S,
        f: &mut impl FnMut(&mut S, &[Class]) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let tree = nest.tree(|_| true, None, |c, _| classes_of(c));
        let depth = nest.loops.len();
        tree.walk(state, &mut |s, c| f(s, &c[..depth]))
    }

    /// `c` in a fixed array (a tree's leaf value).
    fn classes_of(c: &[Class]) -> [Class; MAX_LOOPS] {
        let mut classes = [Class::UNENTERED; MAX_LOOPS];
        classes[..c.len()].copy_from_slice(c);
        classes
    }

    fn nest(m: u32, k: u32, n: u32, tiles: [u32; 4]) -> Nest {
        nest_with(m, k, n, tiles, [true; 4])
    }

    fn nest_with(m: u32, k: u32, n: u32, tiles: [u32; 4], positional: [bool; 4]) -> Nest {
        let dims = [Dim::M, Dim::N, Dim::K, Dim::N];
        Nest::new(
            [m, k, n, 1],
            (0..4)
                .map(|i| Loop {
                    dim: dims[i],
                    tile: tiles[i],
                    positional: positional[i],
                })
                .collect(),
        )
    }

    /// A toy in-order machine (two units, max-plus like the analytical model's controller) whose
    /// durations depend on the classes: the periodic walk must end in the state of the plain walk,
    /// and count every iteration.
    #[derive(Clone, Debug, PartialEq)]
    struct Toy {
        t: u64,
        a_free: u64,
        b_free: u64,
        visits: u64,
        work: u64,
    }

    impl Periodic for Toy {
        type Period = (u64, u64, u64);
        fn period_since(&self, b: &Toy) -> Option<(u64, u64, u64)> {
            let dt = self.t.checked_sub(b.t)?;
            (self.a_free.max(self.t) - self.t == b.a_free.max(b.t) - b.t
                && self.b_free.max(self.t) - self.t == b.b_free.max(b.t) - b.t)
                .then(|| (dt, self.visits - b.visits, self.work - b.work))
        }
        fn repeat(&mut self, p: &(u64, u64, u64), k: u64) -> bool {
            self.a_free = self.a_free.max(self.t) + k * p.0;
            self.b_free = self.b_free.max(self.t) + k * p.0;
            self.t += k * p.0;
            self.visits += k * p.1;
            self.work += k * p.2;
            true
        }
    }

    impl Toy {
        /// What a walk ends with: the time, each unit's free time from it on, the visits and the
        /// work.
        fn end(&self) -> (u64, u64, u64, u64, u64) {
            let (t, a, b) = (self.t, self.a_free.max(self.t), self.b_free.max(self.t));
            (t, a, b, self.visits, self.work)
        }

        fn step(&mut self, c: &[Class]) {
            self.step_reading(c, &[true; MAX_LOOPS]);
        }

        /// A step that reads `last` only of the loops that are positional (the contract of
        /// [`Nest::tree`]).
        fn step_reading(&mut self, c: &[Class], positional: &[bool]) {
            let size: u64 = c.iter().map(|c| u64::from(c.size)).sum();
            let da = 1 + size % 7 + u64::from(c.iter().any(|c| c.first)) * 3;
            let last = c.iter().zip(positional).any(|(c, &p)| p && c.last);
            let db = 2 + size % 5 + u64::from(last) * 4;
            let i = self.t.max(self.a_free);
            self.a_free = i + da;
            let j = (i + 1).max(self.b_free);
            self.b_free = j + db;
            self.t = j + 1;
            self.visits += 1;
            self.work += da + db;
        }
    }

    proptest! {
        #[test]
        fn periodic_walk_equals_the_plain_walk(
            m in 1u32..60, k in 1u32..60, n in 1u32..60,
            t0 in 1u32..9, t1 in 1u32..9, t2 in 1u32..9, t3 in 1u32..9,
        ) {
            let nest = nest(m, k, n, [t0, t1, t2, t3]);
            let zero = Toy { t: 0, a_free: 0, b_free: 0, visits: 0, work: 0 };
            let mut plain = zero.clone();
            let mut classes = vec![];
            nest.for_each(|p| {
                classes.clear();
                classes.extend(p.iter().map(|q| q.class));
                plain.step(&classes);
            });
            let mut fast = zero;
            let _ = walk_periodic(&nest, &mut fast, &mut |s: &mut Toy, c: &[Class]| {
                s.step(c);
                ControlFlow::Continue(())
            });
            prop_assert_eq!(fast.end(), plain.end());
        }

        /// The same with loops that are not positional, whose last iteration is skipped with
        /// the middle ones when their remainder is a whole tile.
        #[test]
        fn periodic_walk_equals_the_plain_walk_loosely(
            m in 1u32..60, k in 1u32..60, n in 1u32..60,
            t0 in 1u32..9, t1 in 1u32..9, t2 in 1u32..9, t3 in 1u32..9,
            p in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        ) {
            let positional = [p.0, p.1, p.2, p.3];
            let nest = nest_with(m, k, n, [t0, t1, t2, t3], positional);
            let zero = Toy { t: 0, a_free: 0, b_free: 0, visits: 0, work: 0 };
            let mut plain = zero.clone();
            let mut classes = vec![];
            nest.for_each(|q| {
                classes.clear();
                classes.extend(q.iter().map(|q| q.class));
                plain.step_reading(&classes, &positional);
            });
            let mut fast = zero;
            let _ = walk_periodic(&nest, &mut fast, &mut |s: &mut Toy, c: &[Class]| {
                s.step_reading(c, &positional);
                ControlFlow::Continue(())
            });
            prop_assert_eq!(fast.end(), plain.end());
        }
    }

    proptest! {
        /// A tree whose leaves read neither the `first` nor the `last` of the loops that are not
        /// positional (their first iteration is then one of the alike ones), with a start mark
        /// before each outermost iteration: its walk ends where the plain walk does, the marks
        /// included, and its leaves' multiplicities sum any function of what they read to the
        /// sum over every iteration.
        #[test]
        fn a_tree_with_marks_walks_and_sums_like_the_iterations(
            m in 1u32..60, k in 1u32..60, n in 1u32..60,
            t in (1u32..9, 1u32..9, 1u32..9, 1u32..9),
            p in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        ) {
            let positional = [p.0, p.1, p.2, p.3];
            let nest = nest_with(m, k, n, [t.0, t.1, t.2, t.3], positional);
            // what the step reads: the sizes, and the first and last of the positional loops
            let seen = |c: &[Class]| -> [Class; MAX_LOOPS] {
                let mut c = classes_of(c);
                for (c, &p) in c.iter_mut().zip(&positional) {
                    if !p {
                        (c.first, c.last) = (false, false);
                    }
                }
                c
            };
            let weight = |c: &[Class; MAX_LOOPS]| -> u64 {
                c[..4].iter().map(|c| {
                    u64::from(c.size) + 3 * u64::from(c.first) + 7 * u64::from(c.last) + 1
                }).product()
            };
            let zero = Toy { t: 0, a_free: 0, b_free: 0, visits: 0, work: 0 };
            let mark = |s: &mut Toy| {
                s.t = s.t.max(s.a_free) + 2;
                s.work += 1000;
            };
            let (mut plain, mut sum) = (zero.clone(), 0u64);
            nest.for_each(|q| {
                if q[1..].iter().all(|q| q.index == 0) {
                    mark(&mut plain);
                }
                let c = seen(&q.iter().map(|q| q.class).collect::<Vec<_>>());
                plain.step(&c[..4]);
                sum += weight(&c);
            });
            let (mut fast, mut by_leaf) = (zero, 0u64);
            let tree = nest.tree(|_| false, Some(None), |c, mult| {
                let c = seen(c);
                by_leaf += mult * weight(&c);
                Some(c)
            });
            let _ = tree.walk(&mut fast, &mut |s: &mut Toy, c: &Option<[Class; MAX_LOOPS]>| {
                match c {
                    None => mark(s),
                    Some(c) => s.step(&c[..4]),
                }
                ControlFlow::Continue(())
            });
            prop_assert_eq!(fast.end(), plain.end());
            prop_assert_eq!(by_leaf, sum);
            // one leaf per class (and one mark): as many as the class enumeration's
            let mut classes = 0;
            nest.for_each_class(|_, _| classes += 1);
            prop_assert_eq!(tree.leaves().iter().filter(|l| l.is_some()).count(), classes);
        }
    }

    /// A memo of [`Sequence`] folds that keys a subtree by everything it could depend on: its
    /// depth, extent and loops, and the outer loops' classes.
    #[derive(Default)]
    struct Everything {
        kept: std::collections::HashMap<SubtreeOf, Vec<u64>>,
        /// The loops of the nest being folded.
        loops: Vec<Loop>,
        hits: usize,
    }

    type SubtreeOf = (usize, [u32; 4], Vec<(bool, bool, u32, u32)>, Vec<Loop>);

    impl Everything {
        fn key(&self, d: usize, extent: [u32; 4], outer: &[Class]) -> SubtreeOf {
            let classes = outer
                .iter()
                .map(|c| (c.first, c.last, c.size, c.trips))
                .collect();
            (d, extent, classes, self.loops[d..].to_vec())
        }
    }

    impl Memo<u64, Sequence> for Everything {
        fn get(
            &mut self,
            _: &mut Sequence,
            d: usize,
            e: [u32; 4],
            o: &[Class],
        ) -> Option<Vec<u64>> {
            let s = self.kept.get(&self.key(d, e, o)).cloned();
            self.hits += usize::from(s.is_some());
            s
        }
        fn put(&mut self, _: &mut Sequence, d: usize, e: [u32; 4], o: &[Class], s: &Vec<u64>) {
            self.kept.insert(self.key(d, e, o), s.clone());
        }
    }

    /// A [`Fold`] that keeps the whole sequence: the reference for any other.
    struct Sequence;

    impl Fold<u64> for Sequence {
        type Sum = Vec<u64>;
        fn leaf(&mut self, v: &u64, out: &mut Vec<u64>) {
            out.clear();
            out.push(*v);
        }
        fn join(&mut self, a: &mut Vec<u64>, b: &Vec<u64>) -> Option<()> {
            a.extend_from_slice(b);
            Some(())
        }
        fn times(&mut self, a: &mut Vec<u64>, k: u32) -> Option<()> {
            *a = a.repeat(k as usize);
            Some(())
        }
    }

    proptest! {
        /// The fold of a tree (with a start mark, and loops positional or not) is the sequence
        /// of its iterations and marks in program order, and so is the nest's fold without a tree.
        #[test]
        fn a_fold_sees_the_iterations_in_order(
            m in 1u32..40, k in 1u32..40, n in 1u32..40,
            t in (1u32..9, 1u32..9, 1u32..9, 1u32..9),
            p in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            rf in any::<bool>(),
        ) {
            let positional = [p.0, p.1, p.2, p.3];
            let nest = nest_with(m, k, n, [t.0, t.1, t.2, t.3], positional);
            // a leaf's value: its sizes and the first and last of its positional loops (0 marks)
            let value = |c: &[Class]| -> u64 {
                c.iter().zip(&positional).fold(1, |h, (c, &p)| {
                    let pos = if p { 2 * u64::from(c.first) + u64::from(c.last) } else { 0 };
                    h * 1_000 + u64::from(c.size) * 4 + pos
                })
            };
            let mut plain = vec![];
            nest.for_each(|q| {
                if q[1..].iter().all(|q| q.index == 0) {
                    plain.push(0);
                }
                plain.push(value(&q.iter().map(|q| q.class).collect::<Vec<_>>()));
            });
            let mut leaves = vec![];
            let tree = nest.tree(|_| rf, Some(0), |c, mult| {
                leaves.push((value(c), mult));
                value(c)
            });
            prop_assert_eq!(tree.fold(&mut Sequence), Some(plain.clone()));
            // and without the tree: the same leaves, in the same order, folded alike
            let mut folded_leaves = vec![];
            let folded = nest.fold(|_| rf, Some(0), &mut Sequence, |_, c, mult| {
                folded_leaves.push((value(c), mult));
                value(c)
            });
            prop_assert_eq!(folded, Some(plain.clone()));
            prop_assert_eq!(folded_leaves, leaves);
            // and with a memo of subtrees, shared with another nest's fold: cold, then warm (every
            // subtree below the outermost loop taken from the memo), the same sequence
            let other = nest_with(k, n, m, [t.3, t.2, t.1, t.0], positional);
            let mut memo = Everything::default();
            for (which, warm) in [(&nest, false), (&other, false), (&nest, true)] {
                memo.loops = which.loops.clone();
                memo.hits = 0;
                let folded = which.fold_memo(|_| rf, Some(0), &mut Sequence, &mut memo, |_, c, _| {
                    value(c)
                });
                let alone = which.fold(|_| rf, Some(0), &mut Sequence, |_, c, _| value(c));
                prop_assert_eq!(&folded, &alone);
                if std::ptr::eq(which, &nest) {
                    prop_assert_eq!(folded, Some(plain.clone()));
                }
                if warm {
                    prop_assert!(memo.hits > 0);
                }
            }
        }
    }

    /// A loop's trips cover its extent, the last one a remainder of 1 to `tile` elements (the
    /// shift for a power-of-two tile and the division agree).
    #[test]
    fn trips_cover_the_extent_with_one_remainder() {
        for extent in 1..300 {
            for tile in 1..70 {
                let (t, rem) = trips(extent, tile);
                assert_eq!(t, extent.div_ceil(tile), "{extent} / {tile}");
                assert!((1..=tile).contains(&rem) && (t - 1) * tile + rem == extent);
            }
        }
    }

    /// The periodic walk does skip: a long loop is walked in a handful of steps.
    #[test]
    fn periodic_walk_skips_long_loops() {
        let nest = nest(1000, 1, 3, [1, 3, 1, 3]);
        let mut calls = 0;
        let mut s = Toy {
            t: 0,
            a_free: 0,
            b_free: 0,
            visits: 0,
            work: 0,
        };
        let _ = walk_periodic(&nest, &mut s, &mut |s: &mut Toy, c: &[Class]| {
            calls += 1;
            s.step(c);
            ControlFlow::Continue(())
        });
        assert_eq!(s.visits, 1000);
        assert!(calls < 20, "{calls} steps walked");
    }

    /// A state that is periodic only once a three-deep pipeline of past iterations has filled
    /// with middle ones (as the double-buffered walk holds its previous and pending tiles): the
    /// walk still skips, and ends where the plain walk does.
    #[derive(Clone, Debug, PartialEq)]
    struct Piped {
        t: u64,
        line: [u32; 3],
        visits: u64,
    }

    impl Periodic for Piped {
        type Period = (u64, u64);
        fn period_since(&self, b: &Piped) -> Option<(u64, u64)> {
            (self.line == b.line).then(|| (self.t - b.t, self.visits - b.visits))
        }
        fn repeat(&mut self, p: &(u64, u64), k: u64) -> bool {
            self.t += k * p.0;
            self.visits += k * p.1;
            true
        }
    }

    /// A [`Piped`] state walked over `nest` by `step`: every iteration, and periodically (with the
    /// number of steps the periodic walk took).
    fn plain_and_periodic(nest: &Nest, step: impl Fn(&mut Piped, &[Class])) -> (Piped, Piped, u32) {
        let zero = Piped {
            t: 0,
            line: [0; 3],
            visits: 0,
        };
        let mut plain = zero.clone();
        let mut classes = vec![];
        nest.for_each(|p| {
            classes.clear();
            classes.extend(p.iter().map(|q| q.class));
            step(&mut plain, &classes);
        });
        let (mut fast, mut calls) = (zero, 0);
        let _ = walk_periodic(nest, &mut fast, &mut |s: &mut Piped, c: &[Class]| {
            calls += 1;
            step(s, c);
            ControlFlow::Continue(())
        });
        (plain, fast, calls)
    }

    #[test]
    fn periodic_walk_skips_once_a_pipeline_settles() {
        let nest = nest(1, 1, 1000, [1, 1, 1, 1]);
        let step = |s: &mut Piped, c: &[Class]| {
            s.t += u64::from(s.line[2]) + u64::from(c[3].first) * 5;
            s.line = [u32::from(c[3].first) + 1, s.line[0], s.line[1]];
            s.visits += 1;
        };
        let (plain, fast, calls) = plain_and_periodic(&nest, step);
        assert_eq!(fast, plain);
        assert!(calls < 10, "{calls} steps walked");
    }

    /// A run whose subtrees are loops of their own (three n-tiles of a k-tile loop each): the
    /// first subtree of the run starts with the pipeline holding the first m-tile's last tiles,
    /// the second with it holding the first subtree's, so the two differ at their starts; once
    /// the second's first k-tile loop has refilled the pipeline, it agrees with the first at the
    /// same place, and the rest of it is not walked (nor the rest of the run). The walk ends
    /// where the plain walk does.
    #[test]
    fn periodic_walk_settles_part_way_into_a_subtree() {
        let nest = nest(8, 50, 3, [1, 1, 1, 1]);
        let step = |s: &mut Piped, c: &[Class]| {
            s.t += u64::from(s.line[2]) + 1 + u64::from(c[2].first) * 7;
            let first_m = 4 * u32::from(c[0].first);
            s.line = [
                u32::from(c[2].first) + 2 * u32::from(c[1].last) + first_m + 1,
                s.line[0],
                s.line[1],
            ];
            s.visits += 1;
        };
        let (plain, fast, calls) = plain_and_periodic(&nest, step);
        assert_eq!(fast, plain);
        assert_eq!(plain.visits, 8 * 3 * 50);
        // the first and the last m-tile, the first subtree of the run of six between them, and
        // the first k-tile loop of the second: 60 steps (72 when the second is walked whole)
        assert!(calls <= 64, "{calls} steps walked");
    }

    /// A state that alternates between two phases (as an overlapped array's does over k-tiles
    /// when its drift against the DMA flips every other tile): no single iteration is a period,
    /// two are. The walk skips pairs of iterations, walks the one left over, and ends where the
    /// plain walk does, whatever the trip counts.
    #[test]
    fn periodic_walk_skips_alternating_iterations() {
        for n in [5, 6, 7, 1000, 1001] {
            let nest = nest(1, 1, n, [1, 1, 1, 1]);
            let step = |s: &mut Piped, c: &[Class]| {
                s.t += 3 + 2 * u64::from(s.line[0]) + u64::from(c[3].last);
                s.line[0] ^= 1;
                s.visits += 1;
            };
            let (plain, fast, calls) = plain_and_periodic(&nest, step);
            assert_eq!(fast, plain, "{n} iterations");
            assert!(calls < 8, "{n} iterations: {calls} steps walked");
        }
    }

    #[test]
    fn walks_tiles_and_remainders() {
        // N = 10 in groups of 4, each group in slices of 3: [0..3, 3..4], [4..7, 7..8], [8..10].
        let n = nest(1, 1, 10, [1, 4, 1, 3]);
        let mut seen = vec![];
        n.for_each(|p| {
            seen.push((
                p[1].start,
                p[1].class.size,
                p[3].start,
                p[3].class.size,
                p[3].class.last,
            ))
        });
        assert_eq!(
            seen,
            [
                (0, 4, 0, 3, false),
                (0, 4, 3, 1, true),
                (4, 4, 4, 3, false),
                (4, 4, 7, 1, true),
                (8, 2, 8, 2, true),
            ]
        );
    }

    proptest! {
        /// Summing any function of the classes over the class enumeration equals summing it over
        /// every iteration.
        #[test]
        fn classes_sum_like_iterations(
            m in 1u32..40, k in 1u32..40, n in 1u32..40,
            t in (1u32..12, 1u32..12, 1u32..12, 1u32..12),
        ) {
            let nest = nest(m, k, n, [t.0, t.1, t.2, t.3]);
            let weight = |c: &[Class]| -> u64 {
                c.iter().enumerate().map(|(i, c)| {
                    (u64::from(c.size) + 3 * u64::from(c.first) + 7 * u64::from(c.last))
                        * (i as u64 + 1) + u64::from(c.trips)
                }).product()
            };
            let mut by_iter = 0u64;
            let mut count = 0u64;
            nest.for_each(|p| {
                let c: Vec<Class> = p.iter().map(|p| p.class).collect();
                by_iter += weight(&c);
                count += 1;
            });
            let mut by_class = 0u64;
            nest.for_each_class(|c, mult| by_class += mult * weight(c));
            prop_assert_eq!(by_iter, by_class);
            prop_assert_eq!(count, nest.iterations());
            // Loops that are not positional: the same sums for any function of the sizes (and of
            // the positions of the positional loops).
            let loose = nest_with(m, k, n, [t.0, t.1, t.2, t.3], [false, false, true, true]);
            let by_size = |c: &[Class]| -> u64 {
                (u64::from(c[0].size) + 1) * (u64::from(c[1].size) + 2) * (u64::from(c[1].trips) + 5)
                    * weight(&c[2..])
            };
            let (mut a, mut b) = (0u64, 0u64);
            loose.for_each(|p| {
                let c: Vec<Class> = p.iter().map(|p| p.class).collect();
                a += by_size(&c);
            });
            loose.for_each_class(|c, mult| b += mult * by_size(c));
            prop_assert_eq!(a, b);
            // Every element of every dimension is covered exactly once by the innermost tiles.
            let mut covered = 0u64;
            nest.for_each(|p| covered += u64::from(p[0].class.size) * u64::from(p[3].class.size) * u64::from(p[2].class.size));
            prop_assert_eq!(covered, u64::from(m) * u64::from(k) * u64::from(n));
        }
    }
}
