//! The reference executor: the plainest possible int8 × int8 → int32 GEMM. Every engine (fast kernel,
//! cycle simulator, RTL) is checked against it. Accumulation wraps in two's complement, as the
//! hardware's int32 adders do (with int8 operands it cannot overflow below K = 131 072).

/// `C[M×N] = A[M×K] · B[K×N]`, all row-major.
pub fn gemm(a: &[i8], b: &[i8], m: usize, k: usize, n: usize) -> Vec<i32> {
    assert_eq!(a.len(), m * k, "A has the wrong length");
    assert_eq!(b.len(), k * n, "B has the wrong length");
    let mut c = vec![0i32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = 0i32;
            for x in 0..k {
                s = s.wrapping_add(i32::from(a[i * k + x]) * i32::from(b[x * n + j]));
            }
            c[i * n + j] = s;
        }
    }
    c
}
