//! The fast functional int8 GEMM kernel, used by the event-level simulator and the reference's fast
//! path. It transposes B once so that the inner loop is a contiguous dot product the compiler
//! vectorises; on x86-64 with AVX2 a `target_feature` copy is chosen at run time. Results are
//! identical to [`crate::reference::gemm`] bit for bit (int32 wrap-around sums are associative).

/// `C[M×N] = A[M×K] · B[K×N]`, all row-major, int32 wrap-around accumulation.
pub fn gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k, "A has the wrong length");
    assert_eq!(b.len(), k * n, "B has the wrong length");
    let mut bt = vec![0i8; k * n];
    for x in 0..k {
        for j in 0..n {
            bt[j * k + x] = b[x * n + j];
        }
    }
    let mut c = vec![0i32; m * n];
    gemm_bt(a, &bt, m, k, n, &mut c);
    c
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

dispatch_avx2!(
    /// One array tile: `out[m][c] (+)= Σ_r a[m][r] · w[r][c]` for `a` (rows×R, row-major), `w` (R×C,
    /// row-major) and `out` (rows×C). `w16` is scratch for the widened weights. The loop runs over the C
    /// lanes innermost, so it vectorises for any R (the dot-product form of [`gemm_bt`] is slow when R is
    /// small). Wrap-around int32 arithmetic, identical to the reference.
    tile, tile_portable => tile_body(a: &[i8], w: &[i8], r: usize, c: usize, out: &mut [i32], accumulate: bool, w16: &mut Vec<i16>)
);

#[inline(always)]
fn tile_body(
    a: &[i8],
    w: &[i8],
    r: usize,
    c: usize,
    out: &mut [i32],
    accumulate: bool,
    w16: &mut Vec<i16>,
) {
    assert_eq!(w.len(), r * c);
    assert_eq!(a.len() * c, out.len() * r);
    // Weights widened to i16 and interleaved by pairs of rows: w16[p][j] = (w[2p][j], w[2p+1][j]), so
    // two rows of the tile become one multiply-add of adjacent i16 pairs (pmaddwd on x86).
    let pairs = r.div_ceil(2);
    w16.clear();
    w16.resize(pairs * c * 2, 0);
    for k in 0..r {
        for j in 0..c {
            w16[((k / 2) * c + j) * 2 + (k % 2)] = i16::from(w[k * c + j]);
        }
    }
    for (arow, orow) in a.chunks_exact(r).zip(out.chunks_exact_mut(c)) {
        if !accumulate {
            orow.fill(0);
        }
        for (p, wp) in w16.chunks_exact(2 * c).enumerate() {
            let a0 = i32::from(arow[2 * p]);
            let a1 = arow.get(2 * p + 1).map_or(0, |&x| i32::from(x));
            for (o, pair) in orow.iter_mut().zip(wp.chunks_exact(2)) {
                // Two int8·int8 products fit an i32 with room to spare; the accumulation wraps.
                *o = o.wrapping_add(a0 * i32::from(pair[0]) + a1 * i32::from(pair[1]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{data, reference};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_kernel_matches_reference(m in 1usize..20, k in 1usize..70, n in 1usize..20, seed: u64) {
            let (a, b) = data::gemm_operands(m as u32, k as u32, n as u32, seed);
            prop_assert_eq!(gemm(&a, &b, m, k, n), reference::gemm(&a, &b, m, k, n));
        }
    }

    proptest! {
        #[test]
        fn tile_kernel_matches_reference(rows in 1usize..20, r in 1usize..40, c in 1usize..40, seed: u64, acc: bool) {
            let (a, w) = data::gemm_operands(rows as u32, r as u32, c as u32, seed);
            let expect = reference::gemm(&a, &w, rows, r, c);
            let init: Vec<i32> = (0..rows * c).map(|i| i as i32 * 7 - 100).collect();
            let mut scratch = vec![];
            for f in [tile, tile_portable] {
                let mut out = init.clone();
                f(&a, &w, r, c, &mut out, acc, &mut scratch);
                let want: Vec<i32> = if acc {
                    init.iter().zip(&expect).map(|(x, y)| x.wrapping_add(*y)).collect()
                } else {
                    expect.clone()
                };
                prop_assert_eq!(out, want);
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
    }
}
