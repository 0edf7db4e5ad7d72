//! The SRAM model's fit to the CACTI 7 runs (`arch/data/cacti7_sram.csv`), as the technology files
//! describe it: for one node and one arrangement of ports, the 54 points; for each of area, read
//! energy and write energy, the non-negative coefficients of the model ([`crate::tech`]) that
//! minimise the sum of squared relative errors. The coefficients in `arch/data/tech_*.ron` are
//! these, rounded to four significant figures (`cargo run --release -p tessera-arch --example
//! fit_sram` prints them; a test holds the files to them).
//!
//! The non-negative least squares is exact: with at most four coefficients, every subset of them
//! is solved unconstrained (normal equations on columns scaled to unit length) and the best
//! solution whose coefficients are all non-negative is kept.

use crate::tech::{SramAreaSpec, SramEnergySpec, SramFit, SramPorts, CACTI_SRAM_CSV};

/// One CACTI run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CactiPoint {
    pub capacity_bytes: u64,
    pub word_bytes: u32,
    pub read_pj: f64,
    pub write_pj: f64,
    pub area_um2: f64,
}

/// The CSV's points for one node and one arrangement of ports, in file order.
pub fn cacti_points(node_nm: i64, ports: SramPorts) -> Vec<CactiPoint> {
    CACTI_SRAM_CSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 7 || f[0].parse::<i64>().ok()? != node_nm || f[1] != ports.label() {
                return None;
            }
            Some(CactiPoint {
                capacity_bytes: f[2].parse().ok()?,
                word_bytes: f[3].parse().ok()?,
                read_pj: f[4].parse().ok()?,
                write_pj: f[5].parse().ok()?,
                area_um2: f[6].parse().ok()?,
            })
        })
        .collect()
}

/// A fit and its relative errors over the points it was fitted to: `[area, read, write]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fitted {
    pub fit: SramFit,
    pub points: usize,
    pub mean_error: [f64; 3],
    pub max_error: [f64; 3],
}

/// The model's terms for a bank of `capacity_bytes` with `word_bytes` words: the area's
/// `[N, W, m]` and the energy's `[m, m·sqrt(N/m), W·sqrt(N/m), W]`.
fn terms(p: &CactiPoint, max_macro_word_bits: u64) -> ([f64; 3], [f64; 4]) {
    let n = p.capacity_bytes as f64 * 8.0;
    let w_bits = u64::from(p.word_bytes) * 8;
    let m = w_bits.div_ceil(max_macro_word_bits).max(1) as f64;
    let w = w_bits as f64;
    let root = (n / m).sqrt();
    ([n, w, m], [m, m * root, w * root, w])
}

/// Fit the model to the CSV's points of `node_nm` and `ports`, with macros of at most
/// `max_macro_word_bits` bits.
pub fn fit(node_nm: i64, ports: SramPorts, max_macro_word_bits: u64) -> Fitted {
    let pts = cacti_points(node_nm, ports);
    assert!(
        !pts.is_empty(),
        "no CACTI points for {node_nm} nm {}",
        ports.label()
    );
    let t: Vec<_> = pts.iter().map(|p| terms(p, max_macro_word_bits)).collect();
    let area_x: Vec<Vec<f64>> = t.iter().map(|(a, _)| a.to_vec()).collect();
    let energy_x: Vec<Vec<f64>> = t.iter().map(|(_, e)| e.to_vec()).collect();
    let ys = |f: fn(&CactiPoint) -> f64| pts.iter().map(f).collect::<Vec<f64>>();
    let (area_y, read_y, write_y) = (ys(|p| p.area_um2), ys(|p| p.read_pj), ys(|p| p.write_pj));
    let a = nnls_relative(&area_x, &area_y);
    let r = nnls_relative(&energy_x, &read_y);
    let w = nnls_relative(&energy_x, &write_y);
    let energy = |c: &[f64]| SramEnergySpec {
        per_macro: c[0],
        per_sqrt_bit: c[1],
        per_word_bit_sqrt_bit: c[2],
        per_word_bit: c[3],
    };
    let fit = SramFit {
        area_um2: SramAreaSpec {
            per_bit: a[0],
            per_word_bit: a[1],
            per_macro: a[2],
        },
        read_pj: energy(&r),
        write_pj: energy(&w),
    };
    let mut mean_error = [0.0; 3];
    let mut max_error = [0.0f64; 3];
    for (k, (x, y, c)) in [
        (&area_x, &area_y, &a),
        (&energy_x, &read_y, &r),
        (&energy_x, &write_y, &w),
    ]
    .into_iter()
    .enumerate()
    {
        for (row, y) in x.iter().zip(y.iter()) {
            let model: f64 = row.iter().zip(c.iter()).map(|(x, c)| x * c).sum();
            let e = (model - y).abs() / y;
            mean_error[k] += e / pts.len() as f64;
            max_error[k] = max_error[k].max(e);
        }
    }
    Fitted {
        fit,
        points: pts.len(),
        mean_error,
        max_error,
    }
}

/// `x` rounded to `digits` significant figures (how the technology files write a coefficient).
pub fn round_significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

/// Non-negative `c` minimising `Σ_i ((x_i · c − y_i) / y_i)²` (every `y_i > 0`): every subset of the
/// coefficients solved unconstrained, the best non-negative solution kept.
fn nnls_relative(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let k = x[0].len();
    // rows divided by their target: the relative error is the residual against 1
    let rows: Vec<Vec<f64>> = x
        .iter()
        .zip(y)
        .map(|(r, y)| r.iter().map(|v| v / y).collect())
        .collect();
    let residual = |c: &[f64]| -> f64 {
        rows.iter()
            .map(|r| {
                let v: f64 = r.iter().zip(c).map(|(a, b)| a * b).sum();
                (v - 1.0) * (v - 1.0)
            })
            .sum()
    };
    let mut best: Option<(f64, Vec<f64>)> = None;
    for subset in 1u32..(1 << k) {
        let cols: Vec<usize> = (0..k).filter(|j| subset & (1 << j) != 0).collect();
        // columns scaled to unit length, for a well-conditioned normal system
        let norm: Vec<f64> = cols
            .iter()
            .map(|&j| rows.iter().map(|r| r[j] * r[j]).sum::<f64>().sqrt())
            .collect();
        if norm.contains(&0.0) {
            continue;
        }
        let n = cols.len();
        let mut a = vec![vec![0.0; n + 1]; n];
        for r in &rows {
            for p in 0..n {
                let xp = r[cols[p]] / norm[p];
                for q in 0..n {
                    a[p][q] += xp * r[cols[q]] / norm[q];
                }
                a[p][n] += xp;
            }
        }
        let Some(z) = solve(a) else { continue };
        let mut c = vec![0.0; k];
        for (p, &j) in cols.iter().enumerate() {
            c[j] = z[p] / norm[p];
        }
        if c.iter().any(|v| *v < 0.0) {
            continue;
        }
        let e = residual(&c);
        if best.as_ref().is_none_or(|(b, _)| e < *b) {
            best = Some((e, c));
        }
    }
    best.expect("a single non-negative coefficient always fits")
        .1
}

/// Gaussian elimination with partial pivoting on the augmented matrix `a` (n × n+1).
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = a.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        let pivot = a[col].clone();
        for (row, r) in a.iter_mut().enumerate() {
            if row != col {
                let f = r[col] / pivot[col];
                for (x, p) in r.iter_mut().zip(&pivot).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}
