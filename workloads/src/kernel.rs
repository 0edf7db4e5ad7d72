//! The fast functional int8 GEMM kernels: [`gemm`] (the native kernel), and the two tile shapes of
//! the event-level simulator, [`tile_ws`] (a weight-stationary COMPUTE: many streamed rows through an
//! R×C weight tile) and [`tile_os`] (an output-stationary COMPUTE: an R×C output tile accumulated
//! over a long stream). Results are identical to [`crate::reference::gemm`] bit for bit: an
//! int8·int8 product is exact in int32, and int32 wrap-around sums are associative.
//!
//! All three are one GEMM `out[M×N] (+)= A[M×K] · B[K×N]` on packed operands:
//! - K is taken by pairs: the pair `(x[2p], x[2p+1])` of a row of A or of a column of B is stored as two
//!   sign-extended i16 in one i32 (`pair`). That is the operand of x86's `pmaddwd`, which multiplies
//!   the i16 halves lane by lane and adds the two products into one i32: two MACs per lane, exact
//!   (|product| ≤ 2¹⁴), and no saturating step anywhere;
//! - B is packed once per call in panels of one or two eight-column blocks, each pair of K rows one
//!   run of eight or sixteen lanes;
//! - a register block of MR rows × NB eight-lane column blocks accumulates over all of K in registers:
//!   per pair of K, NB vector loads of B, MR broadcasts of A's pairs, MR·NB multiply-adds, and each
//!   output vector is loaded (when accumulating) and stored once. It reads a panel of A (MR rows'
//!   pairs, pair-major) and a panel of B in order. MR × NB is 8 × 1 for an output-stationary tile,
//!   whose streamed words are the columns of A and are packed by pairs of words like B (no separate
//!   transpose), and 4 × 2 for the native GEMM, whose rows of A are packed in panels of 4 (a 4 × 8
//!   transpose of sign-extended pairs at a time);
//! - a weight-stationary tile's K is short (the array's rows), so for the usual array shapes (up to 32
//!   rows and columns, in steps of 8) the weights' vectors are loaded once per tile and each streamed
//!   row is one unrolled pass with no per-block set-up (`few_weight_rows`); its rows are already
//!   pairs along K, so they are only sign-extended. Other shapes take the register blocks.
//!
//! The arithmetic is written once against the small `Simd` trait: a portable backend (eight-lane
//! arrays that the compiler vectorises for the baseline target) and, on x86-64, an AVX2 backend
//! chosen at run time (`avx2.rs`: intrinsics behind a CPU-feature token; with the calls into the
//! `#[target_feature]` copies, the only `unsafe` code).

#[cfg(target_arch = "x86_64")]
mod avx2;

/// `C[M×N] = A[M×K] · B[K×N]`, all row-major, int32 wrap-around accumulation.
pub fn gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    let mut c = vec![0i32; m * n];
    gemm_into(a, b, m, k, n, &mut c);
    c
}

/// [`gemm`] on the portable backend, for tests that compare it with the dispatched one.
pub fn gemm_portable(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    let mut c = vec![0i32; m * n];
    gemm_into_portable(a, b, m, k, n, &mut c);
    c
}

/// Defines `$name` (an AVX2 copy of `$body` when the CPU has AVX2, chosen at run time, else the
/// portable build) and `$portable` (always the portable build), from one `#[inline(always)]` body
/// that takes the [`Simd`] backend as its first argument.
macro_rules! dispatch_simd {
    ($(#[$m:meta])* $name:ident, $portable:ident => $body:ident($($arg:ident: $ty:ty),*)) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if let Some(t) = avx2::Avx2::detect() {
                    #[target_feature(enable = "avx2")]
                    #[allow(clippy::too_many_arguments)]
                    fn avx2(t: avx2::Avx2, $($arg: $ty),*) {
                        $body(t, $($arg),*)
                    }
                    // Reached only with the token `detect` returns when the CPU has AVX2.
                    #[allow(unsafe_code)]
                    return unsafe { avx2(t, $($arg),*) };
                }
            }
            $body(Portable, $($arg),*)
        }

        /// The portable path, for tests that compare it with the dispatched one.
        #[allow(clippy::too_many_arguments)]
        pub fn $portable($($arg: $ty),*) {
            $body(Portable, $($arg),*)
        }
    };
}

dispatch_simd!(
    /// [`gemm`] into `c` (M×N, overwritten).
    gemm_into, gemm_into_portable => gemm_body(a: &[i8], b: &[i8], m: usize, k: usize, n: usize, c: &mut [i32])
);

dispatch_simd!(
    /// One weight-stationary tile: `out[m][c] (+)= Σ_r a[m][r] · w[r][c]` for `a` (rows×R, row-major),
    /// `w` (R×C, row-major) and `out` (rows×C); the rows are `a.len() / r`. Overwrites `out` unless
    /// `accumulate`. Wrap-around int32 arithmetic, identical to the reference.
    tile_ws, tile_ws_portable => tile_ws_body(a: &[i8], w: &[i8], r: usize, c: usize, out: &mut [i32], accumulate: bool, scratch: &mut TileScratch)
);

dispatch_simd!(
    /// One output-stationary tile: `out[i][c] (+)= Σ_k words[k][i] · w[k][c]` for the streamed input
    /// words as stored (`len`×R, row-major: word k holds column k of the R×len operand), `w` (len×C,
    /// row-major) and `out` (R×C); `len` is `words.len() / r`. Overwrites `out` unless `accumulate`.
    /// Wrap-around int32 arithmetic, identical to the reference.
    tile_os, tile_os_portable => tile_os_body(words: &[i8], w: &[i8], r: usize, c: usize, out: &mut [i32], accumulate: bool, scratch: &mut TileScratch)
);

/// Reusable buffers of [`tile_ws`] and [`tile_os`] (the packed operands), so that a simulator
/// calling them once per COMPUTE does not allocate.
#[derive(Clone, Debug, Default)]
pub struct TileScratch {
    a: Vec<i32>,
    b: Vec<i32>,
}

/// One weight-stationary tile as [`tile_ws`], with the former scratch argument (unused now; kept so
/// that existing callers build). Prefer [`tile_ws`] with a reused [`TileScratch`].
pub fn tile(
    a: &[i8],
    w: &[i8],
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    _w16: &mut Vec<i16>,
) {
    tile_ws(a, w, r, c, out, accumulate, &mut TileScratch::default());
}

/// [`tile`] on the portable backend.
pub fn tile_portable(
    a: &[i8],
    w: &[i8],
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    _w16: &mut Vec<i16>,
) {
    tile_ws_portable(a, w, r, c, out, accumulate, &mut TileScratch::default());
}

/// Lanes of one vector: eight int32 (256 bits).
const L: usize = 8;

/// Two int8 as the two sign-extended i16 halves of an i32 (`x0` low), the operand of [`Simd::madd_add`].
#[inline(always)]
fn pair(x0: i8, x1: i8) -> i32 {
    (i32::from(x1) << 16) | i32::from(x0 as i16 as u16)
}

/// The vector operations the kernels are written in: vectors of [`L`] int32 lanes.
trait Simd: Copy {
    type V: Copy;
    fn zero(self) -> Self::V;
    fn splat(self, x: i32) -> Self::V;
    fn load(self, s: &[i32; L]) -> Self::V;
    fn store(self, d: &mut [i32; L], v: Self::V);
    /// `acc + lo(x)·lo(y) + hi(x)·hi(y)` per lane, with `lo`/`hi` the i16 halves: exact for operands
    /// made by [`pair`], wrapping in the accumulation.
    fn madd_add(self, acc: Self::V, x: Self::V, y: Self::V) -> Self::V;
    /// `d[l] = pair(r0[l], r1[l])`.
    #[inline(always)]
    fn interleave(self, r0: &[i8; L], r1: &[i8; L], d: &mut [i32; L]) {
        let v = self.pairs(r0, r1);
        self.store(d, v);
    }
    /// The vector of `pair(r0[l], r1[l])`.
    fn pairs(self, r0: &[i8; L], r1: &[i8; L]) -> Self::V;
    /// `d[l] = pair(s[2l], s[2l + 1])`.
    fn widen(self, s: &[i8; 2 * L], d: &mut [i32; L]);
    /// Four rows' first eight pairs, pair-major: `d[4p + i] = pair(r[i][2p], r[i][2p + 1])`.
    fn transpose4(self, r: [&[i8; 2 * L]; 4], d: &mut [i32; 4 * L]);
}

/// The portable backend: plain arrays, vectorised by the compiler for whatever the target has.
#[derive(Clone, Copy)]
struct Portable;

impl Simd for Portable {
    type V = [i32; L];
    #[inline(always)]
    fn zero(self) -> [i32; L] {
        [0; L]
    }
    #[inline(always)]
    fn splat(self, x: i32) -> [i32; L] {
        [x; L]
    }
    #[inline(always)]
    fn load(self, s: &[i32; L]) -> [i32; L] {
        *s
    }
    #[inline(always)]
    fn store(self, d: &mut [i32; L], v: [i32; L]) {
        *d = v;
    }
    #[inline(always)]
    fn madd_add(self, acc: [i32; L], x: [i32; L], y: [i32; L]) -> [i32; L] {
        let mut r = acc;
        for ((r, x), y) in r.iter_mut().zip(x).zip(y) {
            let p = i32::from(x as i16) * i32::from(y as i16) + (x >> 16) * (y >> 16);
            *r = r.wrapping_add(p);
        }
        r
    }
    #[inline(always)]
    fn pairs(self, r0: &[i8; L], r1: &[i8; L]) -> [i32; L] {
        let mut d = [0; L];
        for ((d, x0), x1) in d.iter_mut().zip(r0).zip(r1) {
            *d = pair(*x0, *x1);
        }
        d
    }
    #[inline(always)]
    fn widen(self, s: &[i8; 2 * L], d: &mut [i32; L]) {
        for (d, x) in d.iter_mut().zip(s.chunks_exact(2)) {
            *d = pair(x[0], x[1]);
        }
    }
    #[inline(always)]
    fn transpose4(self, r: [&[i8; 2 * L]; 4], d: &mut [i32; 4 * L]) {
        for (p, d) in d.chunks_exact_mut(4).enumerate() {
            for (d, r) in d.iter_mut().zip(r) {
                *d = pair(r[2 * p], r[2 * p + 1]);
            }
        }
    }
}

/// Packs `src` (`k` rows × `w` columns, row-major) by pairs of rows, for B (or for the streamed
/// words of an output-stationary tile), in panels of `P` blocks of [`L`] columns (the last panel
/// may have fewer blocks): panel `q` starts at `q·P·L·⌈k/2⌉` and holds, for each pair `p`, its
/// `w_q` columns `pair(src[2p][x], src[2p+1][x])` contiguous, `x` from `q·P·L`. Zero past the last
/// row or column. A register block of NB = P vector blocks then reads one panel in order.
#[inline(always)]
fn pack_pairs<S: Simd, const P: usize>(s: S, src: &[i8], k: usize, w: usize, dst: &mut Vec<i32>) {
    let kp = k.div_ceil(2);
    // Every element is written below, padding included: no zero fill of the whole buffer.
    dst.resize(w.div_ceil(L) * kp * L, 0);
    if kp == 0 {
        return;
    }
    let src = &src[..k * w];
    // The pairs of rows, and the last row alone when k is odd.
    let (twos, last) = src.split_at(k / 2 * 2 * w);
    for (q, panel) in dst.chunks_mut(P * L * kp).enumerate() {
        let pw = panel.len() / kp;
        let (d2, d_last) = panel.split_at_mut(k / 2 * pw);
        for b in 0..pw / L {
            let c0 = (q * P + b) * L;
            let runs = twos.chunks_exact(2 * w).zip(d2.chunks_exact_mut(pw));
            if c0 + L <= w {
                for (rows, d) in runs {
                    let (r0, r1) = rows.split_at(w);
                    s.interleave(
                        r0[c0..c0 + L].try_into().unwrap(),
                        r1[c0..c0 + L].try_into().unwrap(),
                        (&mut d[b * L..][..L]).try_into().unwrap(),
                    );
                }
            } else {
                for (rows, d) in runs {
                    let (r0, r1) = rows.split_at(w);
                    for (x, d) in (c0..c0 + L).zip(&mut d[b * L..][..L]) {
                        *d = if x < w { pair(r0[x], r1[x]) } else { 0 };
                    }
                }
            }
        }
        if !last.is_empty() {
            for (x, d) in (q * P * L..).zip(d_last) {
                *d = if x < w { pair(last[x], 0) } else { 0 };
            }
        }
    }
}

/// Packs `rows` rows of `src` (row-major, `k` > 0 columns) by pairs along the row, row-major:
/// `dst[i·⌈k/2⌉ + p] = pair(src[i][2p], src[i][2p+1])`, zero past a row's end and for the rows of
/// `dst` past `rows`.
#[inline(always)]
fn pack_rows<S: Simd>(s: S, src: &[i8], rows: usize, k: usize, dst: &mut [i32]) {
    let kp = k.div_ceil(2);
    let src = &src[..rows * k];
    if k.is_multiple_of(2) {
        // Rows of even length are pairs end to end: one sign extension of the whole block.
        // (The chunk iterators are zipped by reference: zipping them by value sets up with two
        // divisions, a cost per tile that small tiles notice.)
        let n = rows * kp;
        let (mut xs, mut ds) = (src.chunks_exact(2 * L), dst.chunks_exact_mut(L));
        for (x, d) in (&mut xs).zip(&mut ds) {
            s.widen(x.try_into().unwrap(), d.try_into().unwrap());
        }
        for q in (n / L) * L..n {
            dst[q] = pair(src[2 * q], src[2 * q + 1]);
        }
    } else {
        for (row, d) in src.chunks_exact(k).zip(dst.chunks_exact_mut(kp)) {
            for (p, d) in d.iter_mut().enumerate() {
                *d = pair(row[2 * p], row.get(2 * p + 1).copied().unwrap_or(0));
            }
        }
    }
    if rows * kp < dst.len() {
        dst[rows * kp..].fill(0);
    }
}

/// Packs the rows of `src` (`rows` × `k` > 0, row-major) by pairs along the row, in panels of 4
/// rows (zero rows past `rows`), pair-major within a panel:
/// `dst[(blk·⌈k/2⌉ + p)·4 + i] = pair(src[4·blk + i][2p], src[4·blk + i][2p+1])`, zero past a row's
/// end. A register block of 4 rows then reads one panel in order.
#[inline(always)]
fn pack_row_panels<S: Simd>(s: S, src: &[i8], rows: usize, k: usize, dst: &mut Vec<i32>) {
    let kp = k.div_ceil(2);
    dst.resize(rows.div_ceil(4) * 4 * kp, 0);
    let full = k / (2 * L); // runs of eight pairs the vector transpose takes
    for (blk, d) in dst.chunks_exact_mut(4 * kp).enumerate() {
        let row = |i: usize| -> &[i8] {
            let m = 4 * blk + i;
            if m < rows {
                &src[m * k..][..k]
            } else {
                &[]
            }
        };
        let r = [row(0), row(1), row(2), row(3)];
        let (dv, dt) = d.split_at_mut(full * 4 * L);
        if r.iter().all(|x| !x.is_empty()) {
            fn run(x: &[i8], q: usize) -> &[i8; 2 * L] {
                x[q * 2 * L..][..2 * L].try_into().unwrap()
            }
            for (q, d) in dv.chunks_exact_mut(4 * L).enumerate() {
                let x = [run(r[0], q), run(r[1], q), run(r[2], q), run(r[3], q)];
                s.transpose4(x, d.try_into().unwrap());
            }
        } else {
            for (q, d) in dv.chunks_exact_mut(4).enumerate() {
                for (d, x) in d.iter_mut().zip(r) {
                    *d = if x.is_empty() {
                        0
                    } else {
                        pair(x[2 * q], x[2 * q + 1])
                    };
                }
            }
        }
        for (q, d) in (full * L..).zip(dt.chunks_exact_mut(4)) {
            for (d, x) in d.iter_mut().zip(r) {
                *d = match x.get(2 * q..) {
                    Some([x0, x1, ..]) => pair(*x0, *x1),
                    Some([x0]) => pair(*x0, 0),
                    _ => 0,
                };
            }
        }
    }
}

/// One register block: `out` rows `m0..m0 + valid` (of MR computed) × columns `col0..col0 + NB·L`
/// (row length `n`; columns past `n` are computed on zero padding and not stored) `(+)=` the
/// product of `ap` (MR rows' pairs, pair-major: ⌈K/2⌉ runs of MR) and `bp` (a panel of NB vector
/// blocks of B: ⌈K/2⌉ runs of NB·L). The loop reads both in order, with no index arithmetic.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn block<S: Simd, const MR: usize, const NB: usize>(
    s: S,
    ap: &[i32],
    bp: &[i32],
    out: &mut [i32],
    n: usize,
    m0: usize,
    valid: usize,
    col0: usize,
    accumulate: bool,
) {
    // Fixed trip counts (MR, NB) throughout, so that the accumulators live in registers.
    let mut acc = [[s.zero(); NB]; MR];
    if accumulate {
        for (i, row) in acc.iter_mut().enumerate() {
            if i < valid {
                for (j, v) in row.iter_mut().enumerate() {
                    *v = s.load(&read_lanes(out, (m0 + i) * n, col0 + j * L, n));
                }
            }
        }
    }
    for (a, b) in ap.chunks_exact(MR).zip(bp.chunks_exact(NB * L)) {
        let a: &[i32; MR] = a.try_into().unwrap();
        let mut bv = [s.zero(); NB];
        for (v, b) in bv.iter_mut().zip(b.chunks_exact(L)) {
            *v = s.load(b.try_into().unwrap());
        }
        for (row, &x) in acc.iter_mut().zip(a) {
            let x = s.splat(x);
            for (v, &b) in row.iter_mut().zip(&bv) {
                *v = s.madd_add(*v, x, b);
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        if i >= valid {
            break;
        }
        for (j, v) in row.iter().enumerate() {
            write_lanes(s, &mut out[(m0 + i) * n..], col0 + j * L, n, *v);
        }
    }
}

/// Stores the lanes of `v` that fall before column `n` into `row` from column `col`.
#[inline(always)]
fn write_lanes<S: Simd>(s: S, row: &mut [i32], col: usize, n: usize, v: S::V) {
    if col + L <= n {
        s.store((&mut row[col..][..L]).try_into().unwrap(), v);
    } else if col < n {
        let mut t = [0; L];
        s.store(&mut t, v);
        row[col..n].copy_from_slice(&t[..n - col]);
    }
}

/// The [`L`] lanes of `out` from `base + col`, zero past column `n`.
#[inline(always)]
fn read_lanes(out: &[i32], base: usize, col: usize, n: usize) -> [i32; L] {
    if col + L <= n {
        out[base + col..][..L].try_into().unwrap()
    } else {
        let mut t = [0; L];
        if col < n {
            t[..n - col].copy_from_slice(&out[base + col..base + n]);
        }
        t
    }
}

/// `out[M×n] (+)= A · B` over `kp` > 0 pairs of K, with A packed in panels of MR rows (`ap`,
/// pair-major within a panel) and B by [`pack_pairs`] in panels of P blocks (`bp`): every panel of
/// A against every panel of B, one register block each.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn panels<S: Simd, const MR: usize, const P: usize>(
    s: S,
    kp: usize,
    ap: &[i32],
    m: usize,
    bp: &[i32],
    n: usize,
    out: &mut [i32],
    accumulate: bool,
) {
    for (rb, a) in ap.chunks_exact(MR * kp).enumerate() {
        let m0 = rb * MR;
        let valid = MR.min(m - m0);
        for (q, b) in bp.chunks(P * L * kp).enumerate() {
            let col0 = q * P * L;
            if b.len() == P * L * kp {
                block::<S, MR, P>(s, a, b, out, n, m0, valid, col0, accumulate);
            } else {
                block::<S, MR, 1>(s, a, b, out, n, m0, valid, col0, accumulate);
            }
        }
    }
}

/// `out[rows×c] (+)= a[rows×r] · w[r×c]`, `r` > 0.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn ws_with<S: Simd>(
    s: S,
    a: &[i8],
    w: &[i8],
    rows: usize,
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    scratch: &mut TileScratch,
) {
    assert_eq!(a.len(), rows * r, "A has the wrong length");
    assert_eq!(w.len(), r * c, "W has the wrong length");
    assert_eq!(out.len(), rows * c, "out has the wrong length");
    let TileScratch { a: abuf, b: bp } = scratch;
    macro_rules! small {
        ($(($kp:literal, $nb:literal)),*) => {
            match (r.div_ceil(2), c / L, c % L, accumulate) {
                $(
                    ($kp, $nb, 0, false) => {
                        return few_weight_rows::<S, $kp, $nb, false>(s, a, w, rows, r, out, abuf)
                    }
                    ($kp, $nb, 0, true) => {
                        return few_weight_rows::<S, $kp, $nb, true>(s, a, w, rows, r, out, abuf)
                    }
                )*
                _ => {}
            }
        };
    }
    // The array shapes that matter (7 or 8, 15 or 16, 31 or 32 rows; 8, 16, 32 columns).
    small!(
        (4, 1),
        (4, 2),
        (4, 4),
        (8, 1),
        (8, 2),
        (8, 4),
        (16, 1),
        (16, 2),
        (16, 4)
    );
    // Register blocks of 4 rows × 2 vector blocks (8 accumulators).
    pack_pairs::<S, 2>(s, w, r, c, bp);
    pack_row_panels(s, a, rows, r, abuf);
    panels::<S, 4, 2>(s, r.div_ceil(2), abuf, rows, bp, c, out, accumulate);
}

/// [`ws_with`] when the weight tile is KP pairs of rows × NB whole vector blocks of columns: the
/// weights' KP·NB vectors are made once, in registers (no packed copy), and each row of A is one
/// unrolled pass (KP broadcasts, KP·NB multiply-adds, each output vector
/// loaded if ACC and stored once), two rows per iteration, with no per-block bookkeeping and no
/// branch. A weight-stationary tile's K is only the array's rows, so a register block's set-up
/// would cost more than its arithmetic.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn few_weight_rows<S: Simd, const KP: usize, const NB: usize, const ACC: bool>(
    s: S,
    a: &[i8],
    w: &[i8],
    rows: usize,
    r: usize,
    out: &mut [i32],
    abuf: &mut Vec<i32>,
) {
    // The weights' pairs of rows straight into vectors (zero past row r).
    let c = NB * L;
    let zero = [0i8; L];
    let mut bv = [[s.zero(); NB]; KP];
    for (p, row) in bv.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            let at = |k: usize| -> &[i8; L] {
                if k < r {
                    w[k * c + j * L..][..L].try_into().unwrap()
                } else {
                    &zero
                }
            };
            *v = s.pairs(at(2 * p), at(2 * p + 1));
        }
    }
    abuf.resize(rows * KP, 0);
    pack_rows(s, a, rows, r, abuf);
    let mut a2 = abuf.chunks_exact(2 * KP);
    let mut o2 = out.chunks_exact_mut(2 * c);
    for (a, o) in (&mut a2).zip(&mut o2) {
        let (a0, a1) = a.split_at(KP);
        let (o0, o1) = o.split_at_mut(c);
        one_row::<S, KP, NB, ACC>(s, a0, o0, &bv);
        one_row::<S, KP, NB, ACC>(s, a1, o1, &bv);
    }
    if let (Some(a), Some(o)) = (a2.remainder().get(..KP), o2.into_remainder().get_mut(..c)) {
        one_row::<S, KP, NB, ACC>(s, a, o, &bv);
    }
}

/// One row of [`few_weight_rows`]: `o (+)= Σ_p a[p] · bv[p]` over NB vectors.
#[inline(always)]
fn one_row<S: Simd, const KP: usize, const NB: usize, const ACC: bool>(
    s: S,
    a: &[i32],
    o: &mut [i32],
    bv: &[[S::V; NB]; KP],
) {
    let a: &[i32; KP] = a.try_into().unwrap();
    let mut acc = [s.zero(); NB];
    if ACC {
        for (j, v) in acc.iter_mut().enumerate() {
            *v = s.load(o[j * L..][..L].try_into().unwrap());
        }
    }
    for (&x, b) in a.iter().zip(bv) {
        let x = s.splat(x);
        for (v, &b) in acc.iter_mut().zip(b) {
            *v = s.madd_add(*v, x, b);
        }
    }
    for (j, v) in acc.iter().enumerate() {
        s.store((&mut o[j * L..][..L]).try_into().unwrap(), *v);
    }
}

#[inline(always)]
fn gemm_body<S: Simd>(s: S, a: &[i8], b: &[i8], m: usize, k: usize, n: usize, c: &mut [i32]) {
    assert_eq!(a.len(), m * k, "A has the wrong length");
    assert_eq!(b.len(), k * n, "B has the wrong length");
    assert_eq!(c.len(), m * n, "C has the wrong length");
    if k == 0 {
        c.fill(0);
        return;
    }
    ws_with(s, a, b, m, k, n, c, false, &mut TileScratch::default());
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile_ws_body<S: Simd>(
    s: S,
    a: &[i8],
    w: &[i8],
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    scratch: &mut TileScratch,
) {
    assert!(r > 0, "a tile has at least one row of weights");
    ws_with(s, a, w, a.len() / r, r, c, out, accumulate, scratch);
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn tile_os_body<S: Simd>(
    s: S,
    words: &[i8],
    w: &[i8],
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    scratch: &mut TileScratch,
) {
    assert!(r > 0, "a tile has at least one row");
    let len = words.len() / r;
    assert_eq!(
        words.len(),
        len * r,
        "the input words have the wrong length"
    );
    assert_eq!(w.len(), len * c, "W has the wrong length");
    assert_eq!(out.len(), r * c, "out has the wrong length");
    let kp = len.div_ceil(2);
    if kp == 0 {
        if !accumulate {
            out.fill(0);
        }
        return;
    }
    // The words are the columns of A: packed by pairs of words like B, in blocks of 8 rows of the
    // tile, they are A's panels for register blocks of 8 rows × 1 vector block (8 broadcasts and 1
    // vector load per 8 multiply-adds, both streams read in order).
    pack_pairs::<S, 1>(s, words, len, r, &mut scratch.a);
    pack_pairs::<S, 1>(s, w, len, c, &mut scratch.b);
    panels::<S, L, 1>(s, kp, &scratch.a, r, &scratch.b, c, out, accumulate);
}

/// Defines `$name` (an AVX2 copy of `$body` when the CPU has AVX2, chosen at run time, else the
/// portable build) and `$portable` (always the portable build), from one `#[inline(always)]` body.
macro_rules! dispatch_avx2 {
    ($(#[$m:meta])* $name:ident, $portable:ident => $body:ident($($arg:ident: $ty:ty),*)) => {
        $(#[$m])*
        pub fn $name($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx2") {
                    #[target_feature(enable = "avx2")]
                    fn avx2($($arg: $ty),*) {
                        $body($($arg),*)
                    }
                    // Reached only after the runtime check above found AVX2.
                    #[allow(unsafe_code)]
                    return unsafe { avx2($($arg),*) };
                }
            }
            $body($($arg),*)
        }

        /// The portable path, for tests that compare it with the dispatched one.
        pub fn $portable($($arg: $ty),*) {
            $body($($arg),*)
        }
    };
}

dispatch_avx2!(
    /// `C = A · Btᵀ` where `bt` is B transposed (N×K). Writes `c` (M×N).
    gemm_bt, gemm_bt_portable => gemm_bt_body(a: &[i8], bt: &[i8], m: usize, k: usize, n: usize, c: &mut [i32])
);

#[inline(always)]
fn dot(x: &[i8], y: &[i8]) -> i32 {
    // i16 products of int8 fit; sum in i32 in chunks so the loop vectorises.
    let mut s = 0i32;
    for (p, q) in x.iter().zip(y) {
        s = s.wrapping_add(i32::from(*p as i16 * *q as i16));
    }
    s
}

#[inline(always)]
fn gemm_bt_body(a: &[i8], bt: &[i8], m: usize, k: usize, n: usize, c: &mut [i32]) {
    for i in 0..m {
        let row = &a[i * k..(i + 1) * k];
        for j in 0..n {
            c[i * n + j] = dot(row, &bt[j * k..(j + 1) * k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{data, reference};
    use proptest::prelude::*;

    /// `init + expect` (wrapping) when accumulating, else `expect`.
    fn want(init: &[i32], expect: &[i32], acc: bool) -> Vec<i32> {
        if acc {
            init.iter()
                .zip(expect)
                .map(|(x, y)| x.wrapping_add(*y))
                .collect()
        } else {
            expect.to_vec()
        }
    }

    /// An output tile's prior contents: distinct, some near the int32 limits so that accumulation
    /// wraps.
    fn init(len: usize, seed: u64) -> Vec<i32> {
        (0..len)
            .map(|i| match (i as u64 + seed) % 5 {
                0 => i32::MAX - i as i32,
                1 => i32::MIN + i as i32,
                _ => (i as i32).wrapping_mul(7919) - 100,
            })
            .collect()
    }

    /// Operands of extreme values (all -128, all 127, alternating), where an i16 pair sum would
    /// saturate or overflow if the kernel were not exact.
    fn extreme(len: usize, kind: u64) -> Vec<i8> {
        (0..len)
            .map(|i| match kind % 3 {
                0 => -128,
                1 => 127,
                _ => {
                    if i % 2 == 0 {
                        -128
                    } else {
                        127
                    }
                }
            })
            .collect()
    }

    /// The OS words (len × R as streamed) of the R × len operand `at`.
    fn words_of(at: &[i8], r: usize, len: usize) -> Vec<i8> {
        let mut words = vec![0i8; len * r];
        for i in 0..r {
            for k in 0..len {
                words[k * r + i] = at[i * len + k];
            }
        }
        words
    }

    proptest! {
        #[test]
        fn fast_kernel_matches_reference(m in 0usize..20, k in 0usize..70, n in 0usize..40, seed: u64) {
            let (a, b) = data::gemm_operands(m as u32, k as u32, n as u32, seed);
            let expect = reference::gemm(&a, &b, m, k, n);
            prop_assert_eq!(gemm(&a, &b, m, k, n), expect.clone());
            prop_assert_eq!(gemm_portable(&a, &b, m, k, n), expect);
        }
    }

    proptest! {
        #[test]
        fn tile_kernel_matches_reference(rows in 1usize..20, r in 1usize..40, c in 1usize..40, seed: u64, acc: bool) {
            let (a, w) = data::gemm_operands(rows as u32, r as u32, c as u32, seed);
            let expect = reference::gemm(&a, &w, rows, r, c);
            let init = init(rows * c, seed);
            let mut scratch = vec![];
            for f in [tile, tile_portable] {
                let mut out = init.clone();
                f(&a, &w, r, c, &mut out, acc, &mut scratch);
                prop_assert_eq!(out, want(&init, &expect, acc));
            }
        }

        /// Weight-stationary tiles: both backends, accumulate on and off, odd sizes and sizes that
        /// are not multiples of the vector width, one scratch reused across shapes.
        #[test]
        fn tile_ws_matches_reference(rows in 1usize..40, r in 1usize..40, c in 1usize..40, seed: u64, acc: bool) {
            let (a, w) = data::gemm_operands(rows as u32, r as u32, c as u32, seed);
            let expect = reference::gemm(&a, &w, rows, r, c);
            let init = init(rows * c, seed);
            let mut scratch = TileScratch::default();
            for f in [tile_ws, tile_ws_portable] {
                for _ in 0..2 {
                    let mut out = init.clone();
                    f(&a, &w, r, c, &mut out, acc, &mut scratch);
                    prop_assert_eq!(out, want(&init, &expect, acc));
                }
            }
        }

        /// Weight-stationary tiles of the array shapes with an unrolled path (7/8, 15/16, 31/32
        /// weight rows; 8, 16, 32 columns), odd and even numbers of streamed rows.
        #[test]
        fn tile_ws_matches_reference_on_array_widths(
            rows in 1usize..70,
            r in prop::sample::select(vec![7usize, 8, 15, 16, 31, 32]),
            c in prop::sample::select(vec![8usize, 16, 32]),
            seed: u64,
            acc: bool,
        ) {
            let (a, w) = data::gemm_operands(rows as u32, r as u32, c as u32, seed);
            let expect = reference::gemm(&a, &w, rows, r, c);
            let init = init(rows * c, seed);
            let mut scratch = TileScratch::default();
            for f in [tile_ws, tile_ws_portable] {
                let mut out = init.clone();
                f(&a, &w, r, c, &mut out, acc, &mut scratch);
                prop_assert_eq!(out, want(&init, &expect, acc));
            }
        }

        /// Output-stationary tiles: the streamed words against the reference on the operand they are
        /// the columns of.
        #[test]
        fn tile_os_matches_reference(r in 1usize..40, len in 0usize..80, c in 1usize..40, seed: u64, acc: bool) {
            let (at, w) = data::gemm_operands(r as u32, len as u32, c as u32, seed);
            let expect = reference::gemm(&at, &w, r, len, c);
            let words = words_of(&at, r, len);
            let init = init(r * c, seed);
            let mut scratch = TileScratch::default();
            for f in [tile_os, tile_os_portable] {
                for _ in 0..2 {
                    let mut out = init.clone();
                    f(&words, &w, r, c, &mut out, acc, &mut scratch);
                    prop_assert_eq!(out, want(&init, &expect, acc));
                }
            }
        }

        /// Extreme operands (-128·-128 in both halves of a pair, long sums that wrap): exact on every
        /// entry point and backend.
        #[test]
        fn kernels_exact_on_extreme_operands(m in 1usize..12, k in 1usize..300, n in 1usize..20, ka in 0u64..3, kb in 0u64..3, acc: bool) {
            let (a, b) = (extreme(m * k, ka), extreme(k * n, kb));
            let expect = reference::gemm(&a, &b, m, k, n);
            prop_assert_eq!(gemm(&a, &b, m, k, n), expect.clone());
            prop_assert_eq!(gemm_portable(&a, &b, m, k, n), expect.clone());
            let init = init(m * n, ka + kb);
            let words = words_of(&a, m, k);
            let mut scratch = TileScratch::default();
            for f in [tile_ws, tile_ws_portable] {
                let mut out = init.clone();
                f(&a, &b, k, n, &mut out, acc, &mut scratch);
                prop_assert_eq!(out, want(&init, &expect, acc));
            }
            for f in [tile_os, tile_os_portable] {
                let mut out = init.clone();
                f(&words, &b, m, n, &mut out, acc, &mut scratch);
                prop_assert_eq!(out, want(&init, &expect, acc));
            }
        }
    }

    proptest! {
        /// One scratch through a sequence of tiles of both kinds and changing shapes, so that a
        /// packed buffer shrinks and grows over stale contents (the kernels write all of it,
        /// padding included, instead of zero-filling it).
        #[test]
        fn one_scratch_across_shapes(
            shapes in prop::collection::vec((1usize..40, 1usize..70, 1usize..40, any::<bool>(), any::<bool>()), 1..8),
            seed: u64,
        ) {
            let mut scratch = TileScratch::default();
            let mut scratch_p = TileScratch::default();
            for (i, &(x, k, c, os, acc)) in shapes.iter().enumerate() {
                let seed = seed.wrapping_add(i as u64);
                let (a, w) = data::gemm_operands(x as u32, k as u32, c as u32, seed);
                let expect = reference::gemm(&a, &w, x, k, c);
                let init = init(x * c, seed);
                let mut out = init.clone();
                let mut out_p = init.clone();
                if os {
                    let words = words_of(&a, x, k);
                    tile_os(&words, &w, x, c, &mut out, acc, &mut scratch);
                    tile_os_portable(&words, &w, x, c, &mut out_p, acc, &mut scratch_p);
                } else {
                    tile_ws(&a, &w, k, c, &mut out, acc, &mut scratch);
                    tile_ws_portable(&a, &w, k, c, &mut out_p, acc, &mut scratch_p);
                }
                prop_assert_eq!(&out, &want(&init, &expect, acc));
                prop_assert_eq!(&out_p, &want(&init, &expect, acc));
            }
        }
    }

    /// The benchmark's shapes (8, 16, 32 lanes; long streams), where the register blocks are full.
    #[test]
    fn tiles_match_reference_on_array_shapes() {
        for (rows, r, c) in [
            (512, 8, 8),
            (128, 16, 16),
            (64, 32, 32),
            (33, 32, 24),
            (7, 128, 128),
        ] {
            let (a, w) = data::gemm_operands(rows, r, c, 11);
            let (rows, r, c) = (rows as usize, r as usize, c as usize);
            let expect = reference::gemm(&a, &w, rows, r, c);
            let init = init(rows * c, 5);
            let mut scratch = TileScratch::default();
            for acc in [false, true] {
                for f in [tile_ws, tile_ws_portable] {
                    let mut out = init.clone();
                    f(&a, &w, r, c, &mut out, acc, &mut scratch);
                    assert_eq!(out, want(&init, &expect, acc), "ws {rows}×{r}×{c}");
                }
            }
        }
        for (r, len, c) in [(8, 256, 8), (16, 512, 16), (32, 577, 32), (24, 300, 40)] {
            let (at, w) = data::gemm_operands(r, len, c, 12);
            let (r, len, c) = (r as usize, len as usize, c as usize);
            let expect = reference::gemm(&at, &w, r, len, c);
            let words = words_of(&at, r, len);
            let init = init(r * c, 6);
            let mut scratch = TileScratch::default();
            for acc in [false, true] {
                for f in [tile_os, tile_os_portable] {
                    let mut out = init.clone();
                    f(&words, &w, r, c, &mut out, acc, &mut scratch);
                    assert_eq!(out, want(&init, &expect, acc), "os {r}×{len}×{c}");
                }
            }
        }
    }

    #[test]
    fn portable_and_dispatched_paths_agree() {
        let (m, k, n) = (17, 300, 13);
        let (a, b) = data::gemm_operands(m, k, n, 3);
        let (m, k, n) = (m as usize, k as usize, n as usize);
        let mut bt = vec![0i8; k * n];
        for x in 0..k {
            for j in 0..n {
                bt[j * k + x] = b[x * n + j];
            }
        }
        let mut c1 = vec![0; m * n];
        let mut c2 = vec![0; m * n];
        gemm_bt_portable(&a, &bt, m, k, n, &mut c1);
        gemm_bt(&a, &bt, m, k, n, &mut c2);
        assert_eq!(c1, c2);
        assert_eq!(c1, reference::gemm(&a, &b, m, k, n));
        assert_eq!(gemm(&a, &b, m, k, n), c1);
        assert_eq!(gemm_portable(&a, &b, m, k, n), c1);
    }
}
