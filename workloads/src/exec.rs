//! Layers executed natively on the host, fast: the results every engine's outputs are checked
//! against on real-sized layers, and the native baseline the simulator's speed is measured beside
//! (`tessera bench`). A GEMM or batched product runs the kernel ([`crate::kernel::gemm`]); a
//! convolution runs it per image and group, weights times an explicit im2col of that group (host
//! memory only — the accelerator never sees it). Tests hold this to the plain [`crate::reference`].

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

/// A convolution as per-(batch, group) GEMMs `Y[Kg × P] = W[Kg × K] · col[K × P]` over an explicit
/// im2col of that group (`P = OH·OW` output pixels, `K = Cg·KH·KW` in the weights' own order), so that
/// the weights are used as they lie and the result lands in the output's own `[O][OH][OW]` order.
pub fn conv2d(c: &Conv2d, x: &[i8], w: &[i8]) -> Vec<i32> {
    let (cg, kg) = c.group_channels();
    let (cg, kg) = (cg as usize, kg as usize);
    let (nb, ci, h, wi) = (
        c.batch as usize,
        c.in_channels as usize,
        c.in_h as usize,
        c.in_w as usize,
    );
    let (o, oh, ow) = (c.out_channels as usize, c.out_h as usize, c.out_w as usize);
    let [kh, kw] = c.kernel.map(|v| v as usize);
    let [sh, sw] = c.stride.map(|v| v as usize);
    let [dh, dw] = c.dilation.map(|v| v as usize);
    let [pt, pl] = c.pad_begin.map(|v| v as usize);
    let (k, plane) = (cg * kh * kw, oh * ow);
    let mut y = vec![0i32; nb * o * plane];
    let mut col = vec![0i8; k * plane];
    // The output columns x0 whose input column x0·sw + kx·dw - pl lies inside [0, W).
    let cols = |kx: usize| {
        let off = kx * dw;
        let lo = if off >= pl {
            0
        } else {
            (pl - off).div_ceil(sw)
        };
        let hi = if wi + pl > off {
            ((wi + pl - off - 1) / sw + 1).min(ow)
        } else {
            0
        };
        (lo.min(hi), hi)
    };
    for bi in 0..nb {
        for g in 0..c.groups as usize {
            for icg in 0..cg {
                let plane_in = &x[(bi * ci + g * cg + icg) * h * wi..][..h * wi];
                for ky in 0..kh {
                    for kx in 0..kw {
                        let row = &mut col[((icg * kh + ky) * kw + kx) * plane..][..plane];
                        let (lo, hi) = cols(kx);
                        for y0 in 0..oh {
                            let out = &mut row[y0 * ow..][..ow];
                            let iy = (y0 * sh + ky * dh).checked_sub(pt).filter(|&v| v < h);
                            let Some(iy) = iy else {
                                out.fill(0);
                                continue;
                            };
                            let src = &plane_in[iy * wi..][..wi];
                            out[..lo].fill(0);
                            out[hi..].fill(0);
                            for (x0, d) in out[lo..hi].iter_mut().enumerate() {
                                *d = src[(lo + x0) * sw + kx * dw - pl];
                            }
                        }
                    }
                }
            }
            let wg = &w[g * kg * k..][..kg * k];
            let dst = &mut y[(bi * o + g * kg) * plane..][..kg * plane];
            crate::kernel::gemm_into(wg, &col, kg, k, plane, dst);
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
