//! A small Gaussian process for the Bayesian strategy: exact GP regression with a Matérn-5/2
//! kernel, a Cholesky solve, hyperparameters by a deterministic grid search of the marginal
//! likelihood, and the normal-distribution functions expected improvement needs.
//!
//! What it models. Inputs are points of the unit cube (the search's normalised genome coordinates).
//! The kernel is `σ² · ρ(r)`, with the Matérn-5/2 correlation `ρ(r) = (1 + √5 r + 5r²/3)
//! e^{−√5 r}` of the scaled distance `r = ‖(a − b) / ℓ‖` (one lengthscale `ℓ` per dimension,
//! "automatic relevance determination"), plus a noise (nugget) variance `σ² τ` on the diagonal.
//! Two prior scales ([`Scale`]): `Profiled` for an objective (constant mean = the targets' mean,
//! `σ²` at its maximum-likelihood value given `ℓ` and `τ`, so it is never searched), `Unit` for
//! ±1 labels (zero mean, `σ² = 1`: far from data a label is 0, i.e. undecided). The lengthscales
//! and `τ` are chosen by coordinate ascent over fixed grids ([`LENGTHSCALES`], [`NOISES`]) of the
//! log marginal likelihood, in a fixed order: the same data always give the same model.
//!
//! What it leaves out: no gradient-based hyperparameter optimisation, no priors on
//! hyperparameters, no input warping, no categorical kernel (a two-valued gene such as the
//! dataflow is one more coordinate, 0 or 1, whose lengthscale says how much the two sides share),
//! no sparse approximation (the cost is `O(n³)` per fit, fine for the few hundred points of a
//! search budget), no incremental Cholesky update (a batch's "believer" points refit).

use std::f64::consts::{PI, SQRT_2};

/// The lengthscale grid, in units of the unit cube (a gene's whole range is 1).
pub const LENGTHSCALES: [f64; 7] = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4];
/// The noise grid, as a fraction `τ` of the signal variance. The smallest is the jitter that keeps
/// the Cholesky factorisation stable.
pub const NOISES: [f64; 5] = [1e-6, 1e-4, 1e-3, 1e-2, 1e-1];

/// How the prior is scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Constant mean = the targets' mean; signal variance at its maximum-likelihood value.
    Profiled,
    /// Zero mean, unit signal variance (for ±1 labels).
    Unit,
}

/// The kernel's hyperparameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Kernel {
    /// One per input dimension.
    pub lengthscales: Vec<f64>,
    /// Noise variance as a fraction of the signal variance.
    pub noise: f64,
}

impl Kernel {
    /// The starting point of the grid search: every lengthscale 0.4, noise 1e-4.
    pub fn initial(dims: usize) -> Kernel {
        Kernel {
            lengthscales: vec![0.4; dims],
            noise: 1e-4,
        }
    }

    /// The Matérn-5/2 correlation of two points.
    pub fn corr(&self, a: &[f64], b: &[f64]) -> f64 {
        let r2: f64 = a
            .iter()
            .zip(b)
            .zip(&self.lengthscales)
            .map(|((x, y), l)| ((x - y) / l).powi(2))
            .sum();
        let s = (5.0 * r2).sqrt();
        (1.0 + s + s * s / 3.0) * (-s).exp()
    }
}

/// In-place Cholesky factorisation of the symmetric `n × n` matrix `a` (row-major): on success
/// its lower triangle holds `L` with `L Lᵀ = a` (the upper triangle is zeroed). `false` when `a` is
/// not (numerically) positive definite.
pub fn cholesky(a: &mut [f64], n: usize) -> bool {
    assert_eq!(a.len(), n * n, "cholesky: matrix is not n × n");
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= 0.0 {
            return false;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
        for k in j + 1..n {
            a[j * n + k] = 0.0;
        }
    }
    true
}

/// Solve `L x = b` for lower-triangular `L` (in place on `b`).
pub fn solve_lower(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solve `Lᵀ x = b` for lower-triangular `L` (in place on `b`).
pub fn solve_upper_t(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// A fitted Gaussian process.
#[derive(Clone, Debug)]
pub struct Gp {
    pub kernel: Kernel,
    scale: Scale,
    x: Vec<Vec<f64>>,
    /// Cholesky factor of the correlation matrix (with the noise on its diagonal).
    l: Vec<f64>,
    /// `C⁻¹ (y − mean)`.
    alpha: Vec<f64>,
    mean: f64,
    /// Signal variance `σ²`.
    amplitude: f64,
    log_likelihood: f64,
}

/// The smallest signal variance of a profiled fit (targets that are all equal would give 0).
const MIN_AMPLITUDE: f64 = 1e-10;

impl Gp {
    /// Fit to targets `y` at points `x` with fixed hyperparameters. `None` when the correlation
    /// matrix cannot be factorised (or there are no points).
    pub fn fit(x: &[Vec<f64>], y: &[f64], kernel: &Kernel, scale: Scale) -> Option<Gp> {
        let n = x.len();
        assert_eq!(n, y.len(), "one target per point");
        if n == 0 {
            return None;
        }
        let mut c = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..=i {
                let v = kernel.corr(&x[i], &x[j]);
                c[i * n + j] = v;
                c[j * n + i] = v;
            }
            c[i * n + i] += kernel.noise;
        }
        if !cholesky(&mut c, n) {
            return None;
        }
        let mean = match scale {
            Scale::Profiled => y.iter().sum::<f64>() / n as f64,
            Scale::Unit => 0.0,
        };
        let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
        let mut alpha = centred.clone();
        solve_lower(&c, n, &mut alpha);
        // (y − m)ᵀ C⁻¹ (y − m) = ‖L⁻¹ (y − m)‖².
        let quad: f64 = alpha.iter().map(|v| v * v).sum();
        solve_upper_t(&c, n, &mut alpha);
        let log_det_l: f64 = (0..n).map(|i| c[i * n + i].ln()).sum();
        let nf = n as f64;
        let (amplitude, log_likelihood) = match scale {
            Scale::Profiled => {
                let a = (quad / nf).max(MIN_AMPLITUDE);
                (
                    a,
                    -0.5 * nf * a.ln() - log_det_l - 0.5 * nf * (1.0 + (2.0 * PI).ln()),
                )
            }
            Scale::Unit => (1.0, -0.5 * quad - log_det_l - 0.5 * nf * (2.0 * PI).ln()),
        };
        if !log_likelihood.is_finite() {
            return None;
        }
        Some(Gp {
            kernel: kernel.clone(),
            scale,
            x: x.to_vec(),
            l: c,
            alpha,
            mean,
            amplitude,
            log_likelihood,
        })
    }

    /// The log marginal likelihood of the targets (for `Profiled`, at the best signal variance).
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// The signal variance `σ²`.
    pub fn amplitude(&self) -> f64 {
        self.amplitude
    }

    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// The noise variance `σ² τ`.
    pub fn noise_variance(&self) -> f64 {
        self.amplitude * self.kernel.noise
    }

    /// Posterior mean and variance of the latent function at `x` (the variance without the
    /// noise; never below a tiny fraction of the signal variance).
    pub fn predict(&self, x: &[f64]) -> (f64, f64) {
        let n = self.x.len();
        let mut k: Vec<f64> = self.x.iter().map(|xi| self.kernel.corr(xi, x)).collect();
        let mean = self.mean + k.iter().zip(&self.alpha).map(|(a, b)| a * b).sum::<f64>();
        solve_lower(&self.l, n, &mut k);
        let explained: f64 = k.iter().map(|v| v * v).sum();
        let var = self.amplitude * (1.0 - explained).max(1e-12);
        (mean, var)
    }

    /// Choose the kernel by coordinate ascent of the log marginal likelihood over the grids, from
    /// `start`: `sweeps` passes, each trying every grid lengthscale of each dimension in turn, then
    /// every grid noise, keeping a value only when it strictly improves the likelihood. `None`
    /// when no kernel of the path could be fitted.
    pub fn select(
        x: &[Vec<f64>],
        y: &[f64],
        start: &Kernel,
        scale: Scale,
        sweeps: usize,
    ) -> Option<Gp> {
        let mut best = Gp::fit(x, y, start, scale).or_else(|| {
            // The start may be singular at the smallest noise: retry along the noise grid.
            NOISES.iter().find_map(|&noise| {
                let k = Kernel {
                    noise,
                    ..start.clone()
                };
                Gp::fit(x, y, &k, scale)
            })
        })?;
        for _ in 0..sweeps {
            for d in 0..start.lengthscales.len() {
                for &l in &LENGTHSCALES {
                    if best.kernel.lengthscales[d] == l {
                        continue;
                    }
                    let mut k = best.kernel.clone();
                    k.lengthscales[d] = l;
                    if let Some(g) = Gp::fit(x, y, &k, scale) {
                        if g.log_likelihood > best.log_likelihood {
                            best = g;
                        }
                    }
                }
            }
            for &noise in &NOISES {
                if best.kernel.noise == noise {
                    continue;
                }
                let k = Kernel {
                    noise,
                    ..best.kernel.clone()
                };
                if let Some(g) = Gp::fit(x, y, &k, scale) {
                    if g.log_likelihood > best.log_likelihood {
                        best = g;
                    }
                }
            }
        }
        Some(best)
    }
}

/// `exp(x²) · erfc(x)` for `x ≥ 0` (Numerical Recipes' `erfcc` without its `exp(−x²)` factor;
/// fractional error below 1.2e-7), so tails do not underflow.
fn erfcx(x: f64) -> f64 {
    debug_assert!(x >= 0.0);
    let t = 1.0 / (1.0 + 0.5 * x);
    t * (-1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
        .exp()
}

/// The standard normal density.
pub fn norm_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// The standard normal distribution function `Φ(x)`.
pub fn norm_cdf(x: f64) -> f64 {
    let t = x.abs() / SQRT_2;
    let tail = 0.5 * erfcx(t) * (-t * t).exp();
    if x >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// `ln Φ(x)`, accurate far into the lower tail (no underflow).
pub fn ln_norm_cdf(x: f64) -> f64 {
    if x >= 0.0 {
        norm_cdf(x).ln()
    } else {
        let t = -x / SQRT_2;
        (0.5 * erfcx(t)).ln() - t * t
    }
}

/// `ln h(z)` with `h(z) = z Φ(z) + φ(z)`, the expected improvement of a unit normal over `−z`;
/// accurate for very negative `z` (where `h` underflows).
pub fn ln_ei_unit(z: f64) -> f64 {
    let ln_pdf = -0.5 * z * z - 0.5 * (2.0 * PI).ln();
    if z >= 0.0 {
        (z * norm_cdf(z) + norm_pdf(z)).ln()
    } else if z > -10.0 {
        // h = φ(z) (1 − t Φ(−t)/φ(t)) with t = −z; Φ(−t)/φ(t) = ½ √(2π) erfcx(t/√2).
        let t = -z;
        let mills = 0.5 * (2.0 * PI).sqrt() * erfcx(t / SQRT_2);
        ln_pdf + (1.0 - t * mills).ln()
    } else {
        // The asymptotic series of 1 − t·Mills(t): 1/t² − 3/t⁴ + 15/t⁶ − 105/t⁸ (relative error
        // below 1e-5 for t ≥ 10, like the cancellation in the branch above at t = 10).
        let u = 1.0 / (z * z);
        ln_pdf + (u * (1.0 - u * (3.0 - u * (15.0 - 105.0 * u)))).ln()
    }
}

/// `ln EI` for minimisation: the log expected improvement below `best` of a normal with mean
/// `mean` and variance `var` (> 0).
pub fn ln_expected_improvement(mean: f64, var: f64, best: f64) -> f64 {
    let sd = var.sqrt();
    sd.ln() + ln_ei_unit((best - mean) / sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn cholesky_factors_and_solves() {
        // A = M Mᵀ + I for a fixed M.
        let n = 4;
        let m = [
            1.0, 2.0, 0.5, -1.0, 0.0, 1.5, 2.0, 0.3, -0.7, 0.2, 1.0, 1.1, 0.4, -0.3, 0.8, 2.0,
        ];
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let orig = a.clone();
        assert!(cholesky(&mut a, n));
        for i in 0..n {
            for j in 0..n {
                let llt: f64 = (0..n).map(|k| a[i * n + k] * a[j * n + k]).sum();
                assert!(
                    close(llt, orig[i * n + j], 1e-12) || (llt - orig[i * n + j]).abs() < 1e-12
                );
            }
            for j in i + 1..n {
                assert_eq!(a[i * n + j], 0.0);
            }
        }
        // Solve A x = b through L and Lᵀ and check the residual.
        let b = [1.0, -2.0, 3.0, 0.5];
        let mut x = b.to_vec();
        solve_lower(&a, n, &mut x);
        solve_upper_t(&a, n, &mut x);
        for i in 0..n {
            let r: f64 = (0..n).map(|k| orig[i * n + k] * x[k]).sum();
            assert!((r - b[i]).abs() < 1e-10, "{r} vs {}", b[i]);
        }
        // Not positive definite.
        let mut bad = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky(&mut bad, 2));
    }

    #[test]
    fn matern_correlation() {
        let k = Kernel {
            lengthscales: vec![0.5, 2.0],
            noise: 0.0,
        };
        assert_eq!(k.corr(&[0.3, 0.1], &[0.3, 0.1]), 1.0);
        // r = 1: (1 + √5 + 5/3) e^{−√5}.
        let s = 5f64.sqrt();
        let want = (1.0 + s + 5.0 / 3.0) * (-s).exp();
        assert!(close(k.corr(&[0.0, 0.0], &[0.5, 0.0]), want, 1e-12));
        assert!(close(k.corr(&[0.0, 0.0], &[0.0, 2.0]), want, 1e-12));
        assert!(k.corr(&[0.0, 0.0], &[0.5, 0.0]) < k.corr(&[0.0, 0.0], &[0.25, 0.0]));
    }

    #[test]
    fn two_point_likelihood_matches_the_closed_form() {
        let k = Kernel {
            lengthscales: vec![0.4],
            noise: 0.01,
        };
        let x = vec![vec![0.0], vec![0.5]];
        let y = [1.0, -1.0];
        let g = Gp::fit(&x, &y, &k, Scale::Unit).unwrap();
        let rho = k.corr(&x[0], &x[1]);
        let (a, b) = (1.0 + k.noise, rho);
        let det = a * a - b * b;
        // yᵀ C⁻¹ y with C⁻¹ = [[a, −b], [−b, a]] / det.
        let quad = (a * 1.0 + a * 1.0 + 2.0 * b) / det;
        let want = -0.5 * quad - 0.5 * det.ln() - (2.0 * PI).ln();
        assert!(
            close(g.log_likelihood(), want, 1e-12),
            "{} vs {want}",
            g.log_likelihood()
        );
        // Profiled: mean 0 here too, σ² = quad / 2.
        let p = Gp::fit(&x, &y, &k, Scale::Profiled).unwrap();
        assert!(close(p.amplitude(), quad / 2.0, 1e-12));
        let want = -(quad / 2.0).ln() - 0.5 * det.ln() - (1.0 + (2.0 * PI).ln());
        assert!(close(p.log_likelihood(), want, 1e-12));
    }

    /// A smooth function of the first coordinate only, on a fixed pseudo-random design.
    fn data(n: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<Vec<f64>> = (0..n).map(|_| vec![next(), next()]).collect();
        let y = x.iter().map(|p| (3.0 * p[0]).sin() * 5.0 + 20.0).collect();
        (x, y)
    }

    #[test]
    fn interpolates_and_reverts_to_the_prior() {
        let (x, y) = data(12);
        let g = Gp::fit(&x, &y, &Kernel::initial(2), Scale::Profiled).unwrap();
        for (p, v) in x.iter().zip(&y) {
            let (m, var) = g.predict(p);
            assert!((m - v).abs() < 1e-2, "{m} vs {v}");
            assert!(var < 1e-3 * g.amplitude(), "{var}");
        }
        // Far away: the prior mean and variance.
        let (m, var) = g.predict(&[50.0, 50.0]);
        let mean = y.iter().sum::<f64>() / y.len() as f64;
        assert!((m - mean).abs() < 1e-6);
        assert!(close(var, g.amplitude(), 1e-6));
        // Unit scale reverts to 0.
        let u = Gp::fit(&x, &vec![1.0; x.len()], &Kernel::initial(2), Scale::Unit).unwrap();
        assert!(u.predict(&[50.0, 50.0]).0.abs() < 1e-9);
        assert!(u.predict(&x[0]).0 > 0.99);
    }

    #[test]
    fn selection_finds_the_irrelevant_dimension_and_is_deterministic() {
        let (x, y) = data(40);
        let start = Kernel::initial(2);
        let g = Gp::select(&x, &y, &start, Scale::Profiled, 2).unwrap();
        let fixed = Gp::fit(&x, &y, &start, Scale::Profiled).unwrap();
        assert!(g.log_likelihood() >= fixed.log_likelihood());
        let [l0, l1] = [g.kernel.lengthscales[0], g.kernel.lengthscales[1]];
        assert!(
            l1 > l0,
            "the second coordinate does not matter: {l0} vs {l1}"
        );
        assert!(l1 >= 1.6, "{l1}");
        let again = Gp::select(&x, &y, &start, Scale::Profiled, 2).unwrap();
        assert_eq!(again.kernel, g.kernel);
        assert_eq!(again.log_likelihood(), g.log_likelihood());
        // It predicts a held-out point well.
        let (m, _) = g.predict(&[0.5, 0.9]);
        assert!((m - ((1.5f64).sin() * 5.0 + 20.0)).abs() < 0.1, "{m}");
    }

    #[test]
    fn duplicate_points_are_fine_with_noise() {
        let x = vec![vec![0.2], vec![0.2], vec![0.8]];
        let g = Gp::select(
            &x,
            &[1.0, 1.0, 3.0],
            &Kernel::initial(1),
            Scale::Profiled,
            1,
        );
        assert!(g.is_some());
        assert!(Gp::fit(&[], &[], &Kernel::initial(1), Scale::Unit).is_none());
    }

    #[test]
    fn normal_functions() {
        assert!(close(norm_cdf(0.0), 0.5, 1e-7));
        assert!(close(norm_cdf(1.959_963_985), 0.975, 1e-7));
        assert!(close(norm_cdf(-3.0), 1.349_898_031_630_094_6e-3, 1e-6));
        assert!(close(
            ln_norm_cdf(-3.0),
            (1.349_898_031_630_094_6e-3f64).ln(),
            1e-7
        ));
        // Far tail: ln Φ(−40) ≈ −800 − ln(40 √(2π)) − 1/1600.
        let want = -800.0 - (40.0 * (2.0 * PI).sqrt()).ln() - 1.0 / 1600.0;
        assert!(
            close(ln_norm_cdf(-40.0), want, 1e-6),
            "{}",
            ln_norm_cdf(-40.0)
        );
        // h(0) = φ(0), h(−1) = −Φ(−1) + φ(1), h(2) = 2Φ(2) + φ(2).
        assert!(close(ln_ei_unit(0.0), norm_pdf(0.0).ln(), 1e-7));
        let h1: f64 = -0.158_655_253_931_457_05 + 0.241_970_724_519_143_37;
        assert!(close(ln_ei_unit(-1.0), h1.ln(), 1e-6));
        assert!(close(
            ln_ei_unit(2.0),
            (2.0 * 0.977_249_868_051_820_8 + 0.053_990_966_513_188_06f64).ln(),
            1e-7
        ));
        // Increasing in z, and continuous where the formula changes.
        let zs: Vec<f64> = (0..=400).map(|i| -40.0 + 0.125 * f64::from(i)).collect();
        for w in zs.windows(2) {
            assert!(ln_ei_unit(w[1]) > ln_ei_unit(w[0]), "{w:?}");
        }
        let (a, b) = (ln_ei_unit(-10.0 + 1e-9), ln_ei_unit(-10.0 - 1e-9));
        assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        // EI of a sure improvement is the improvement.
        assert!(close(
            ln_expected_improvement(1.0, 1e-12, 3.0),
            2f64.ln(),
            1e-6
        ));
    }
}
