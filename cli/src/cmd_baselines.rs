//! `tessera baselines`: the search against the templates of published designs at equal PEs and
//! SRAM (`tessera_flow::baseline`): arguments, progress bar, output.

use crate::cmd_search::{parse_objective, parse_strategy, progress_bar};
use crate::{csv_out, load_workload, print, print_json};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use tessera_core::diag::{Diagnostic, Result};
use tessera_flow::baseline::{self, BaselineOptions, DEFAULT_EVALUATIONS, DEFAULT_WORKLOADS};

#[derive(Args)]
pub struct BaselinesArgs {
    /// Workloads, comma-separated (built-in names or files). Default: resnet18, mobilenetv2, dqn,
    /// bert-layer.
    #[arg(long, value_delimiter = ',')]
    workloads: Vec<String>,
    /// Templates, comma-separated (tpu_like, gemmini, nvdla_like, shidiannao_like, eyeriss_like).
    /// Default: all five.
    #[arg(long, value_delimiter = ',')]
    templates: Vec<String>,
    /// Evaluation budget of each search (one per template and workload).
    #[arg(long, default_value_t = DEFAULT_EVALUATIONS)]
    evaluations: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What the searches and the template's mapper minimise: latency | energy | edp.
    #[arg(long, default_value = "edp")]
    objective: String,
    /// random | evolutionary | bayesian | predictor
    #[arg(long, default_value = "evolutionary")]
    strategy: String,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Also write one CSV row per (template, workload) to this file (atomically).
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// The names given to a list flag, or the defaults; a name given twice is an error naming the flag.
fn names(flag: &str, given: &[String], defaults: &[&str]) -> Result<Vec<String>> {
    let v: Vec<String> = if given.is_empty() {
        defaults.iter().map(|s| s.to_string()).collect()
    } else {
        given.iter().map(|s| s.trim().to_string()).collect()
    };
    for (i, n) in v.iter().enumerate() {
        if n.is_empty() {
            return Err(Diagnostic::field(flag, "an empty name in the list"));
        }
        if v[..i].contains(n) {
            return Err(Diagnostic::field(flag, format!("{n:?} is listed twice")));
        }
    }
    Ok(v)
}

pub fn run(a: BaselinesArgs) -> Result<ExitCode> {
    let o = BaselineOptions {
        objective: parse_objective(&a.objective)?,
        strategy: parse_strategy(&a.strategy)?,
        evaluations: a.evaluations,
        seed: a.seed,
        ..BaselineOptions::default()
    };
    let templates = names("--templates", &a.templates, &baseline::template_names())?
        .iter()
        .map(|n| baseline::template(n).map_err(|e| Diagnostic::field("--templates", e.message)))
        .collect::<Result<Vec<_>>>()?;
    let workloads = names("--workloads", &a.workloads, &DEFAULT_WORKLOADS)?
        .iter()
        .map(|n| {
            load_workload(n).map_err(|e| {
                if e.field.is_none() && e.file.is_none() {
                    Diagnostic::field("--workloads", e.message).kind(e.kind)
                } else {
                    e
                }
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let bar = progress_bar(a.json, 0);
    let start = Instant::now();
    let r = baseline::run(&templates, &workloads, &o, &|p| {
        bar.set_message(format!(
            "searching ({}/{} pairs)",
            p.pairs_done, p.pairs_total
        ));
        bar.set_length(p.evaluations_total as u64);
        bar.set_position(p.evaluations_done as u64);
    });
    bar.finish_and_clear();
    let r = r?;
    let wall_s = start.elapsed().as_secs_f64();
    if let Some(path) = &a.csv {
        csv_out::baselines(&r, path)?;
    }
    if a.json {
        print_json(&r)?;
    } else {
        print::baselines(&r);
        // On stderr: stdout is the same bytes for the same inputs and seed.
        eprintln!(
            "{} searches of {} evaluations in {wall_s:.1} s",
            r.comparisons.len(),
            o.evaluations
        );
    }
    Ok(ExitCode::SUCCESS)
}
