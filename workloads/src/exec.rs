//! Layers executed natively on the host, fast: the results every engine's outputs are checked
//! against on real-sized layers, and the native baseline the simulator's speed is measured beside
//! (`tessera bench`). A GEMM or batched product runs the tile kernel ([`crate::kernel::gemm`]); a
//! convolution runs it per group over an explicit im2col of that group (host memory only — the
//! accelerator never sees it). Tests hold this to the plain [`crate::reference`].

use crate::data::Operands;
use crate::{Conv2d, Layer};

/// The layer's int32 outputs: per instance `M×N` row-major for a GEMM or batched product,
/// `[N][O][OH][OW]` for a convolution. Panics if the operands are not this layer's.
pub fn run(layer: &Layer, ops: &Operands) -> Vec<i32> {
    match (layer, ops) {
        (Layer::Gemm(g), Operands::Gemm(p)) => {
            let (a, b) = &p[0];
            crate::kernel::gemm(a, b, g.m as usize, g.k as usize, g.n as usize)
        }
        (Layer::MatMul(mm), Operands::Gemm(p)) => p
            .iter()
            .flat_map(|(a, b)| {
                crate::kernel::gemm(a, b, mm.m as usize, mm.k as usize, mm.n as usize)
            })
            .collect(),
        (Layer::Conv2d(c), Operands::Conv { x, w }) => conv2d(c, x, w),
        _ => panic!("operands of another kind of layer"),
    }
}

/// A convolution as per-group GEMMs over an explicit im2col (`M = N·OH·OW`, `K = Cg·KH·KW` in
/// the weights' own order, `N = O/groups`).
pub fn conv2d(c: &Conv2d, x: &[i8], w: &[i8]) -> Vec<i32> {
    let (cg, kg) = c.group_channels();
    let (cg, kg) = (cg as usize, kg as usize);
    let (nb, ci, h, wi) = (
        c.batch as usize,
        c.in_channels as usize,
        c.in_h as i64,
        c.in_w as i64,
    );
    let (o, oh, ow) = (c.out_channels as usize, c.out_h as usize, c.out_w as usize);
    let [kh, kw] = c.kernel.map(|v| v as usize);
    let (m, k) = (nb * oh * ow, cg * kh * kw);
    let mut y = vec![0i32; nb * o * oh * ow];
    let mut a = vec![0i8; m * k];
    let mut b = vec![0i8; k * kg];
    for g in 0..c.groups as usize {
        // A[m][k], k = (ic·KH + ky)·KW + kx: the weights' order
        for bi in 0..nb {
            for y0 in 0..oh {
                for x0 in 0..ow {
                    let row = &mut a[((bi * oh + y0) * ow + x0) * k..][..k];
                    for icg in 0..cg {
                        let ic = g * cg + icg;
                        for ky in 0..kh {
                            let iy = (y0 * c.stride[0] as usize + ky * c.dilation[0] as usize)
                                as i64
                                - i64::from(c.pad_begin[0]);
                            for kx in 0..kw {
                                let ix = (x0 * c.stride[1] as usize + kx * c.dilation[1] as usize)
                                    as i64
                                    - i64::from(c.pad_begin[1]);
                                row[(icg * kh + ky) * kw + kx] =
                                    if iy < 0 || iy >= h || ix < 0 || ix >= wi {
                                        0
                                    } else {
                                        x[((bi * ci + ic) * h as usize + iy as usize) * wi as usize
                                            + ix as usize]
                                    };
                            }
                        }
                    }
                }
            }
        }
        // B[k][n] = w[g·Kg + n][k]
        for nn in 0..kg {
            let oc = g * kg + nn;
            for kk in 0..k {
                b[kk * kg + nn] = w[oc * k + kk];
            }
        }
        let r = crate::kernel::gemm(&a, &b, m, k, kg);
        for mi in 0..m {
            let (bi, p) = (mi / (oh * ow), mi % (oh * ow));
            for nn in 0..kg {
                y[(bi * o + g * kg + nn) * oh * ow + p] = r[mi * kg + nn];
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fast_conv_equals_the_reference(
            c in 1u32..6, o in 1u32..6, h in 1u32..8, w in 1u32..8, kk in 1u32..4, s in 1u32..3,
            d in 1u32..3, pt in 0u32..3, pl in 0u32..3, grouped: bool, batch in 1u32..3, seed: u64,
        ) {
            let groups = if grouped { c } else { 1 };
            let (Some(out_h), Some(out_w)) = (
                Conv2d::out_size(h, 2 * pt, kk, s, d),
                Conv2d::out_size(w, pl + 1, kk, s, d),
            ) else { return Ok(()) };
            let cv = Conv2d {
                name: "c".into(), batch, in_channels: c, in_h: h, in_w: w,
                out_channels: o * groups, kernel: [kk, kk], stride: [s, s], dilation: [d, d],
                pad_begin: [pt, pl], pad_end: [pt, 1], groups, out_h, out_w,
            };
            let layer = Layer::Conv2d(cv.clone());
            let ops = Operands::seeded(&layer, seed);
            let Operands::Conv { x, w: wt } = &ops else { unreachable!() };
            prop_assert_eq!(run(&layer, &ops), crate::reference::conv2d(&cv, x, wt));
        }
    }
}
