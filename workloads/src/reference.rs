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

/// A 2-D convolution, plainly: `x` is `[N][C][H][W]`, `w` is `[O][C/groups][KH][KW]`, the result
/// `[N][O][OH][OW]`; int8 × int8 summed in int32 with wrap-around; zero padding.
pub fn conv2d(c: &crate::Conv2d, x: &[i8], w: &[i8]) -> Vec<i32> {
    assert_eq!(x.len(), c.input_len(), "input has the wrong length");
    assert_eq!(w.len(), c.weight_len(), "weights have the wrong length");
    let (cg, kg) = c.group_channels();
    let (n, ci, h, wi) = (
        c.batch as usize,
        c.in_channels as usize,
        c.in_h as i64,
        c.in_w as i64,
    );
    let (o, oh, ow) = (c.out_channels as usize, c.out_h as usize, c.out_w as usize);
    let [kh, kw] = c.kernel.map(|v| v as usize);
    let mut y = vec![0i32; n * o * oh * ow];
    for b in 0..n {
        for oc in 0..o {
            let g = oc / kg as usize;
            for y0 in 0..oh {
                for x0 in 0..ow {
                    let mut s = 0i32;
                    for icg in 0..cg as usize {
                        let ic = g * cg as usize + icg;
                        for ky in 0..kh {
                            let iy = (y0 * c.stride[0] as usize + ky * c.dilation[0] as usize)
                                as i64
                                - i64::from(c.pad_begin[0]);
                            if iy < 0 || iy >= h {
                                continue;
                            }
                            for kx in 0..kw {
                                let ix = (x0 * c.stride[1] as usize + kx * c.dilation[1] as usize)
                                    as i64
                                    - i64::from(c.pad_begin[1]);
                                if ix < 0 || ix >= wi {
                                    continue;
                                }
                                let xv = x[((b * ci + ic) * h as usize + iy as usize)
                                    * wi as usize
                                    + ix as usize];
                                let wv = w[((oc * cg as usize + icg) * kh + ky) * kw + kx];
                                s = s.wrapping_add(i32::from(xv) * i32::from(wv));
                            }
                        }
                    }
                    y[((b * o + oc) * oh + y0) * ow + x0] = s;
                }
            }
        }
    }
    y
}
