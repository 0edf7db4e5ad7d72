//! `tessera search --pareto DIR`: the search's Pareto front (cycles × energy × area) as
//! `pareto.json`, `pareto.csv` and an SVG plot `pareto.svg`, each written atomically.
//!
//! - `pareto.json`: the run (workload, base, strategy, objective, seed), the best design's name,
//!   `front` (equal to `--json`'s `pareto`) and `feasible`, every distinct evaluated candidate
//!   that maps and meets every limit, with the same figures.
//! - `pareto.csv`: the front, one row per design in the front's order, units in the headers.
//! - `pareto.svg`: energy (pJ) against cycles; every feasible candidate as a light point, the front
//!   highlighted and its cycles × energy staircase drawn as a step line, the best design marked.
//!   An axis is logarithmic when its values span more than 10×. Drawn with `plotters`' SVG
//!   backend, whose text needs no font files; the same inputs give the same bytes.
//!
//! The figures are the analytical totals the search ranked candidates by (see
//! `SearchResult::pareto`).

use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};
use tessera_core::load::write_atomic;
use tessera_search::pareto::{staircase, ParetoPoint};
use tessera_search::{Objective, SearchResult};

pub const FILES: [&str; 3] = ["pareto.json", "pareto.csv", "pareto.svg"];

/// What `pareto.json` holds.
#[derive(Serialize)]
struct ParetoFile<'a> {
    workload: &'a str,
    base_arch: &'a str,
    strategy: &'a str,
    objective: Objective,
    seed: u64,
    /// The costs the front is over, all minimised.
    costs: [&'static str; 3],
    /// The search's best design (by the simulated objective among the re-simulated top-K).
    best: &'a str,
    front: &'a [ParetoPoint],
    feasible: &'a [ParetoPoint],
}

const CSV_HEADER: [&str; 12] = [
    "name",
    "dataflow",
    "rows",
    "cols",
    "input_bytes",
    "weight_bytes",
    "accumulator_bytes",
    "banks",
    "cycles",
    "energy_pj",
    "area_um2",
    "edp_cycles_pj",
];

/// Write the three files into `dir` (created if needed). Errors name the file and `--pareto`.
pub fn write(r: &SearchResult, dir: &Path) -> Result<()> {
    let flag = |mut e: Diagnostic| {
        if e.field.is_none() {
            e.field = Some("--pareto".into());
        }
        e
    };
    let file = ParetoFile {
        workload: &r.workload,
        base_arch: &r.base_arch,
        strategy: r.strategy.name(),
        objective: r.objective,
        seed: r.seed,
        costs: ["cycles", "energy_pj", "area_um2"],
        best: &r.best.arch.name,
        front: &r.pareto,
        feasible: &r.feasible,
    };
    let json = serde_json::to_string_pretty(&file)
        .map_err(|e| Diagnostic::internal(format!("cannot serialize the Pareto front: {e}")))?;
    write_atomic(&dir.join(FILES[0]), format!("{json}\n").as_bytes()).map_err(flag)?;
    write_atomic(&dir.join(FILES[1]), &csv(&r.pareto)?).map_err(flag)?;
    let svg = svg(r).map_err(|e| {
        flag(
            Diagnostic::internal(format!("cannot draw the Pareto front: {e}"))
                .in_file(dir.join(FILES[2])),
        )
    })?;
    write_atomic(&dir.join(FILES[2]), svg.as_bytes()).map_err(flag)
}

/// The front as CSV. Floats are written in Rust's shortest round-trip form, so they read back as
/// the JSON's values exactly.
fn csv(front: &[ParetoPoint]) -> Result<Vec<u8>> {
    let err = |e: csv::Error| Diagnostic::internal(format!("writing the Pareto CSV: {e}"));
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(CSV_HEADER).map_err(err)?;
    for p in front {
        let d = &p.point;
        w.write_record([
            p.name.clone(),
            d.dataflow.short().to_string(),
            d.rows.to_string(),
            d.cols.to_string(),
            d.input_bytes.to_string(),
            d.weight_bytes.to_string(),
            d.accumulator_bytes.to_string(),
            d.banks.to_string(),
            p.cycles.to_string(),
            p.energy_pj.to_string(),
            p.area_um2.to_string(),
            p.edp_cycles_pj.to_string(),
        ])
        .map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| Diagnostic::internal(format!("writing the Pareto CSV: {e}")))
}

/// A tick label: plain for moderate magnitudes, else `1.5e6`.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (0.01..10_000.0).contains(&a) {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.2e}");
        let (m, e) = s.split_once('e').expect("exponent form");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        format!("{m}e{e}")
    }
}

/// An axis' range over `values`: logarithmic (`true`) when they are positive and span more than
/// 10×, padded so that no point sits on the frame, plus `headroom` (a fraction of the padded span,
/// in the axis' scale) above the largest value.
fn axis(values: impl Iterator<Item = f64>, headroom: f64) -> (f64, f64, bool) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if lo > 0.0 && hi / lo > 10.0 {
        let (lo, hi) = ((lo / 1.25).ln(), (hi * 1.25).ln());
        return (lo.exp(), (hi + (hi - lo) * headroom).exp(), true);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        (lo.abs() * 0.05).max(1.0)
    };
    let (lo, hi) = (
        if lo >= 0.0 {
            (lo - pad).max(0.0)
        } else {
            lo - pad
        },
        hi + pad,
    );
    (lo, hi + (hi - lo) * headroom, false)
}

/// The plot as an SVG document.
fn svg(r: &SearchResult) -> std::result::Result<String, String> {
    let x = axis(r.feasible.iter().map(|p| p.cycles as f64), 0.0);
    // room at the top for the legend, so that it hides no point
    let y = axis(r.feasible.iter().map(|p| p.energy_pj), 0.3);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (960, 640)).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let (xr, yr) = (x.0..x.1, y.0..y.1);
        match (x.2, y.2) {
            (false, false) => draw(&root, r, xr, yr, (false, false)),
            (true, false) => draw(&root, r, xr.log_scale(), yr, (true, false)),
            (false, true) => draw(&root, r, xr, yr.log_scale(), (false, true)),
            (true, true) => draw(&root, r, xr.log_scale(), yr.log_scale(), (true, true)),
        }?;
        root.present().map_err(e)?;
    }
    Ok(out)
}

fn draw<X, Y>(
    root: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    r: &SearchResult,
    x: X,
    y: Y,
    log: (bool, bool),
) -> std::result::Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let e = |e: DrawingAreaErrorKind<std::io::Error>| e.to_string();
    let scale = |l: bool| if l { ", log scale" } else { "" };
    let title = format!(
        "Pareto front: {} on {}-based designs, objective {:?} ({}; {}, seed {})",
        r.workload,
        r.base_arch,
        r.objective,
        r.objective_unit,
        r.strategy.name(),
        r.seed
    );
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(90)
        .build_cartesian_2d(x, y)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(format!("cycles (analytical{})", scale(log.0)))
        .y_desc(format!("energy (pJ, analytical{})", scale(log.1)))
        .x_labels(12)
        .y_labels(12)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(RGBColor(225, 225, 225))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(e)?;
    let xy = |p: &ParetoPoint| (p.cycles as f64, p.energy_pj);
    let light = RGBColor(185, 185, 185).filled();
    let front = RGBColor(31, 119, 180);
    let best = RGBColor(214, 39, 40);
    chart
        .draw_series(r.feasible.iter().map(|p| Circle::new(xy(p), 2, light)))
        .map_err(e)?
        .label(format!("feasible candidates ({})", r.feasible.len()))
        .legend(move |c| Circle::new(c, 3, light));
    // the staircase of the front in this plane: from each point right to the next one's cycles,
    // then down to its energy
    let stairs = staircase(&r.pareto);
    let mut steps = Vec::with_capacity(2 * stairs.len());
    for (i, p) in stairs.iter().enumerate() {
        if i > 0 {
            steps.push((p.cycles as f64, stairs[i - 1].energy_pj));
        }
        steps.push(xy(p));
    }
    chart
        .draw_series(LineSeries::new(steps, front.stroke_width(2)))
        .map_err(e)?
        .label("front in cycles × energy (step line)")
        .legend(move |(x, y)| {
            PathElement::new(vec![(x - 8, y), (x + 8, y)], front.stroke_width(2))
        });
    chart
        .draw_series(
            r.pareto
                .iter()
                .map(|p| Circle::new(xy(p), 4, front.filled())),
        )
        .map_err(e)?
        .label(format!(
            "Pareto front, cycles × energy × area ({})",
            r.pareto.len()
        ))
        .legend(move |c| Circle::new(c, 4, front.filled()));
    // the best design at its position among the candidates (the same analytical figures)
    if let Some(b) = r.feasible.iter().find(|p| p.point == r.best.point) {
        chart
            .draw_series(std::iter::once(Cross::new(xy(b), 8, best.stroke_width(3))))
            .map_err(e)?
            .label(format!("best: {} (by simulated {:?})", b.name, r.objective))
            .legend(move |c| Cross::new(c, 5, best.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(12.5), "12.5");
        assert_eq!(tick(300.0), "300");
        assert_eq!(tick(1_500_000.0), "1.5e6");
        assert_eq!(tick(2.0e9), "2e9");
        assert_eq!(tick(0.001), "1e-3");
    }

    #[test]
    fn axes_go_logarithmic_past_ten_times() {
        let (lo, hi, log) = axis([100.0, 1000.0].into_iter(), 0.0);
        assert!(!log && lo < 100.0 && hi > 1000.0);
        assert!((hi - 1045.0).abs() < 1e-9, "{hi}");
        let (lo, hi, log) = axis([100.0, 1001.0].into_iter(), 0.0);
        assert!(log && lo < 100.0 && hi > 1001.0);
        // one value: a non-empty linear range around it
        let (lo, hi, log) = axis([5.0].into_iter(), 0.0);
        assert!(!log && lo < 5.0 && hi > 5.0);
        let (lo, hi, _) = axis([0.0].into_iter(), 0.0);
        assert!(lo == 0.0 && hi > 0.0);
        // headroom: a fraction of the span, linear or in decades
        let (lo, hi, _) = axis([100.0, 1000.0].into_iter(), 0.5);
        assert!((hi - (1045.0 + (1045.0 - lo) * 0.5)).abs() < 1e-9, "{hi}");
        let (lo, hi, _) = axis([1.0, 1000.0].into_iter(), 1.0);
        let decades = (1250.0f64 / 0.8).log10();
        assert!((lo - 0.8).abs() < 1e-12 && ((hi / lo).log10() - 2.0 * decades).abs() < 1e-9);
    }
}
