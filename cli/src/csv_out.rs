//! CSV output of the per-layer reports (`--csv`): one row per layer and a `TOTAL` row, every column
//! named with its unit. Written with the `csv` crate (quoting of names and shapes).

use tessera_core::diag::{Diagnostic, Result};
use tessera_sim::breakdown::Breakdown;
use tessera_sim::workload::{EstimateReport, LayerInfo, SimulateReport, Totals, ValidateReport};
use tessera_sim::Counters;

const LAYER_COLS: [&str; 8] = ["layer", "kind", "shape", "instances", "m", "k", "n", "macs"];
const MAPPING_COLS: [&str; 4] = ["tile_m", "tile_k", "tile_n", "keep"];
const COST_COLS: [&str; 4] = ["cycles", "energy_pj", "noc_energy_pj", "utilization_pct"];
const COUNTER_COLS: [&str; 8] = [
    "dram_read_bytes",
    "dram_write_bytes",
    "input_reads_words",
    "input_writes_words",
    "weight_reads_words",
    "weight_writes_words",
    "accumulator_reads_words",
    "accumulator_writes_words",
];
const BREAKDOWN_COLS: [&str; 6] = [
    "compute_cycles",
    "fill_drain_cycles",
    "first_load_cycles",
    "last_store_cycles",
    "dma_stall_cycles",
    "issue_cycles",
];

fn info(i: &LayerInfo) -> Vec<String> {
    vec![
        i.layer.clone(),
        i.kind.to_string(),
        i.shape.clone(),
        i.instances.to_string(),
        i.m.to_string(),
        i.k.to_string(),
        i.n.to_string(),
        i.macs.to_string(),
    ]
}

fn counters(k: &Counters) -> Vec<String> {
    [
        k.dram_read_bytes,
        k.dram_write_bytes,
        k.input.reads,
        k.input.writes,
        k.weight.reads,
        k.weight.writes,
        k.accumulator.reads,
        k.accumulator.writes,
    ]
    .iter()
    .map(u64::to_string)
    .collect()
}

fn breakdown(b: &Breakdown) -> Vec<String> {
    b.fields().iter().map(|(_, v)| v.to_string()).collect()
}

fn cost(cycles: u64, (energy_pj, noc_pj): (f64, f64), util: f64) -> Vec<String> {
    vec![
        cycles.to_string(),
        format!("{energy_pj:.6}"),
        format!("{noc_pj:.6}"),
        format!("{:.4}", 100.0 * util),
    ]
}

fn total_row(t: &Totals) -> Vec<String> {
    let mut r = vec!["TOTAL".to_string()];
    r.extend(std::iter::repeat_n(String::new(), LAYER_COLS.len() - 2));
    r.push(t.macs.to_string());
    r.extend(cost(
        t.cycles,
        (t.energy_pj, t.noc_energy_pj),
        t.utilization,
    ));
    r.extend(counters(&t.counters));
    r.extend(breakdown(&t.breakdown));
    r
}

fn header(extra: &[&str]) -> Vec<String> {
    LAYER_COLS
        .iter()
        .chain(MAPPING_COLS.iter())
        .chain(COST_COLS.iter())
        .chain(COUNTER_COLS.iter())
        .chain(BREAKDOWN_COLS.iter())
        .chain(extra.iter())
        .map(|s| s.to_string())
        .collect()
}

fn write(rows: Vec<Vec<String>>) -> Result<()> {
    let mut w = csv::Writer::from_writer(vec![]);
    for r in rows {
        w.write_record(&r)
            .map_err(|e| Diagnostic::internal(format!("writing CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Diagnostic::internal(format!("writing CSV: {e}")))?;
    use std::io::Write as _;
    if std::io::stdout().write_all(&bytes).is_err() {
        std::process::exit(0);
    }
    Ok(())
}

pub fn estimate(r: &EstimateReport) -> Result<()> {
    let mut rows = vec![header(&[])];
    for l in &r.layers {
        let mut row = info(&l.info);
        row.extend([l.mapping.tile_m, l.mapping.tile_k, l.mapping.tile_n].map(|t| t.to_string()));
        row.push(l.mapping.keep.label().to_string());
        row.extend(cost(
            l.cycles,
            (l.energy_pj, l.noc_energy_pj),
            l.utilization,
        ));
        row.extend(counters(&l.counters));
        row.extend(breakdown(&l.breakdown));
        rows.push(row);
    }
    let mut t = total_row(&r.totals);
    t.splice(
        LAYER_COLS.len()..LAYER_COLS.len(),
        std::iter::repeat_n(String::new(), MAPPING_COLS.len()),
    );
    rows.push(t);
    write(rows)
}

pub fn simulate(r: &SimulateReport) -> Result<()> {
    let mut rows = vec![header(&["matches_reference"])];
    for l in &r.layers {
        let mut row = info(&l.info);
        row.extend([l.mapping.tile_m, l.mapping.tile_k, l.mapping.tile_n].map(|t| t.to_string()));
        row.push(l.mapping.keep.label().to_string());
        row.extend(cost(
            l.cycles,
            (l.energy_pj, l.noc_energy_pj),
            l.utilization,
        ));
        row.extend(counters(&l.counters));
        row.extend(breakdown(&l.breakdown));
        row.push(l.matches_reference.to_string());
        rows.push(row);
    }
    let mut t = total_row(&r.totals);
    t.splice(
        LAYER_COLS.len()..LAYER_COLS.len(),
        std::iter::repeat_n(String::new(), MAPPING_COLS.len()),
    );
    t.push(r.matches_reference.to_string());
    rows.push(t);
    write(rows)
}

pub fn validate(r: &ValidateReport) -> Result<()> {
    let mut head: Vec<String> = vec!["arch".into()];
    head.extend(LAYER_COLS.iter().map(|s| s.to_string()));
    head.extend(
        [
            "tile_m",
            "tile_k",
            "tile_n",
            "keep",
            "analytical_cycles",
            "cycle_sim_cycles",
            "error_pct",
            "energy_error_pct",
            "counters_agree",
            "matches_reference",
        ]
        .map(String::from),
    );
    head.extend(BREAKDOWN_COLS.iter().map(|c| format!("analytical_{c}")));
    head.extend(BREAKDOWN_COLS.iter().map(|c| format!("cycle_sim_{c}")));
    let mut rows = vec![head];
    for c in &r.cases {
        let mut row = vec![c.arch.clone()];
        row.extend(info(&c.info));
        row.extend([c.mapping.tile_m, c.mapping.tile_k, c.mapping.tile_n].map(|t| t.to_string()));
        row.push(c.mapping.keep.label().to_string());
        row.extend([
            c.analytical_cycles.to_string(),
            c.cycle_sim_cycles.to_string(),
            format!("{:.4}", c.error_pct),
            format!("{:.4}", c.energy_error_pct),
            c.counter_mismatches.is_empty().to_string(),
            c.matches_reference.to_string(),
        ]);
        row.extend(breakdown(&c.analytical_breakdown));
        row.extend(breakdown(&c.cycle_sim_breakdown));
        rows.push(row);
    }
    write(rows)
}

/// `tessera baselines --csv FILE`: one row per (template, workload), every column with its unit;
/// written atomically (a temporary file, then a rename).
pub fn baselines(r: &tessera_flow::baseline::BaselineReport, path: &std::path::Path) -> Result<()> {
    use tessera_flow::baseline::Design;
    let design_cols = [
        "name",
        "dataflow",
        "rows",
        "cols",
        "pes",
        "input_bytes",
        "weight_bytes",
        "accumulator_bytes",
        "sram_bytes",
        "banks",
        "area_um2",
        "cycles",
        "energy_pj",
        "edp_cycles_pj",
        "analytical_cycles",
        "analytical_energy_pj",
        "analytical_edp_cycles_pj",
    ];
    let design = |d: &Design| -> Vec<String> {
        vec![
            d.name.clone(),
            d.dataflow.name().to_string(),
            d.rows.to_string(),
            d.cols.to_string(),
            d.pes.to_string(),
            d.input_bytes.to_string(),
            d.weight_bytes.to_string(),
            d.accumulator_bytes.to_string(),
            d.sram_bytes.to_string(),
            d.banks.to_string(),
            d.area_um2.to_string(),
            d.simulated.cycles.to_string(),
            d.simulated.energy_pj.to_string(),
            d.simulated.edp_cycles_pj.to_string(),
            d.analytical.cycles.to_string(),
            d.analytical.energy_pj.to_string(),
            d.analytical.edp_cycles_pj.to_string(),
        ]
    };
    let mut head: Vec<String> = vec!["workload".into(), "template".into()];
    head.extend(design_cols.iter().map(|c| format!("template_{c}")));
    head.extend(design_cols.iter().map(|c| format!("found_{c}")));
    head.extend(
        [
            "edp_ratio",
            "latency_ratio",
            "energy_ratio",
            "analytical_edp_ratio",
            "analytical_latency_ratio",
            "analytical_energy_ratio",
            "found_beats_template",
            "template_point_evaluated",
            "template_not_in_space",
            "objective",
            "strategy",
            "seed",
            "evaluations",
            "distinct_evaluated",
            "space_size",
        ]
        .map(String::from),
    );
    let mut w = csv::Writer::from_writer(vec![]);
    let err = |e: csv::Error| Diagnostic::internal(format!("writing CSV: {e}"));
    w.write_record(&head).map_err(err)?;
    for c in &r.comparisons {
        let mut row = vec![c.workload.clone(), c.template.clone()];
        row.extend(design(&c.template_design));
        row.extend(design(&c.found));
        row.extend([
            c.ratios.edp.to_string(),
            c.ratios.latency.to_string(),
            c.ratios.energy.to_string(),
            c.analytical_ratios.edp.to_string(),
            c.analytical_ratios.latency.to_string(),
            c.analytical_ratios.energy.to_string(),
            c.found_beats_template.to_string(),
            c.template_point_evaluated.to_string(),
            c.template_not_in_space.clone().unwrap_or_default(),
            r.options.objective.name().to_string(),
            r.options.strategy.name().to_string(),
            r.options.seed.to_string(),
            c.search.evaluated.to_string(),
            c.search.distinct_evaluated.to_string(),
            c.search.space_size.to_string(),
        ]);
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Diagnostic::internal(format!("writing CSV: {e}")))?;
    tessera_core::load::write_atomic(path, &bytes)
}
