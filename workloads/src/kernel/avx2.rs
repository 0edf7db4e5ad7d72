//! The AVX2 backend of the kernels: `vpmaddwd` multiply-adds on eight int32 lanes, `vpbroadcastd`
//! for A's pairs, `vpmovsxbw` to widen the packed operands.

use super::{Simd, L};
use std::arch::x86_64::*;

/// Proof that the CPU has AVX2: only [`Avx2::detect`] makes one.
#[derive(Clone, Copy)]
pub(super) struct Avx2(());

impl Avx2 {
    pub(super) fn detect() -> Option<Avx2> {
        std::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }
}

// Every method runs AVX2 instructions, which is sound because an `Avx2` value exists only on a CPU
// that has them. Every pointer comes from a reference to an array of exactly the bytes the
// instruction reads or writes, and the loads and stores are the unaligned forms. The methods are
// `#[inline(always)]` so that they are compiled inside the kernels' `#[target_feature(enable =
// "avx2")]` copies.
#[allow(unsafe_code)]
impl Simd for Avx2 {
    type V = __m256i;
    #[inline(always)]
    fn zero(self) -> __m256i {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    fn splat(self, x: i32) -> __m256i {
        unsafe { _mm256_set1_epi32(x) }
    }
    #[inline(always)]
    fn load(self, s: &[i32; L]) -> __m256i {
        unsafe { _mm256_loadu_si256(s.as_ptr().cast()) }
    }
    #[inline(always)]
    fn store(self, d: &mut [i32; L], v: __m256i) {
        unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast(), v) }
    }
    #[inline(always)]
    fn madd_add(self, acc: __m256i, x: __m256i, y: __m256i) -> __m256i {
        unsafe { _mm256_add_epi32(acc, _mm256_madd_epi16(x, y)) }
    }
    #[inline(always)]
    fn pairs(self, r0: &[i8; L], r1: &[i8; L]) -> __m256i {
        unsafe {
            let x0 = _mm_loadl_epi64(r0.as_ptr().cast());
            let x1 = _mm_loadl_epi64(r1.as_ptr().cast());
            _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1))
        }
    }
    #[inline(always)]
    fn transpose4(self, r: [&[i8; 2 * L]; 4], d: &mut [i32; 4 * L]) {
        unsafe {
            // x_i: row i's pairs 0..8 (lanes p0 p1 p2 p3 | p4 p5 p6 p7).
            let x = [
                _mm256_cvtepi8_epi16(_mm_loadu_si128(r[0].as_ptr().cast())),
                _mm256_cvtepi8_epi16(_mm_loadu_si128(r[1].as_ptr().cast())),
                _mm256_cvtepi8_epi16(_mm_loadu_si128(r[2].as_ptr().cast())),
                _mm256_cvtepi8_epi16(_mm_loadu_si128(r[3].as_ptr().cast())),
            ];
            let t0 = _mm256_unpacklo_epi32(x[0], x[1]); // 00 10 01 11 | 04 14 05 15
            let t1 = _mm256_unpackhi_epi32(x[0], x[1]); // 02 12 03 13 | 06 16 07 17
            let t2 = _mm256_unpacklo_epi32(x[2], x[3]);
            let t3 = _mm256_unpackhi_epi32(x[2], x[3]);
            let u0 = _mm256_unpacklo_epi64(t0, t2); // pair 0 | pair 4, rows 0..4
            let u1 = _mm256_unpackhi_epi64(t0, t2); // 1 | 5
            let u2 = _mm256_unpacklo_epi64(t1, t3); // 2 | 6
            let u3 = _mm256_unpackhi_epi64(t1, t3); // 3 | 7
            let d = d.as_mut_ptr();
            _mm256_storeu_si256(d.cast(), _mm256_permute2x128_si256(u0, u1, 0x20));
            _mm256_storeu_si256(d.add(L).cast(), _mm256_permute2x128_si256(u2, u3, 0x20));
            _mm256_storeu_si256(d.add(2 * L).cast(), _mm256_permute2x128_si256(u0, u1, 0x31));
            _mm256_storeu_si256(d.add(3 * L).cast(), _mm256_permute2x128_si256(u2, u3, 0x31));
        }
    }
    #[inline(always)]
    fn widen(self, s: &[i8; 2 * L], d: &mut [i32; L]) {
        unsafe {
            let v = _mm256_cvtepi8_epi16(_mm_loadu_si128(s.as_ptr().cast()));
            _mm256_storeu_si256(d.as_mut_ptr().cast(), v);
        }
    }
}
