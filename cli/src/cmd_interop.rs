//! `tessera interop`: a workload's layers, the accelerator and their mappings written as another
//! tool's inputs (Timeloop v0.4 or ZigZag), one folder per layer, files written atomically.

use crate::{in_workload, inputs, print_json, Common};
use clap::Args;
use std::path::PathBuf;
use tessera_core::diag::{Diagnostic, Result};
use tessera_sim::workload::InteropFormat;

#[derive(Args)]
pub(crate) struct InteropArgs {
    #[command(flatten)]
    common: Common,
    /// `timeloop` (v0.4 YAML: arch, problem, mapping) or `zigzag` (accelerator, workload, mapping).
    #[arg(long, value_parser = ["timeloop", "zigzag"])]
    to: String,
    /// Output folder; each layer gets a subfolder `NNN_<layer>`.
    #[arg(long, default_value = "tessera-interop")]
    out: PathBuf,
}

pub(crate) fn run(a: InteropArgs) -> Result<()> {
    let (arch, w, spec) = inputs(&a.common)?;
    let format = match a.to.as_str() {
        "zigzag" => InteropFormat::ZigZag,
        _ => InteropFormat::Timeloop,
    };
    let layers = tessera_sim::workload::interop(&arch, &w, &spec, format)
        .map_err(|e| in_workload(e, &a.common.workload))?;
    if a.out.exists() && !a.out.is_dir() {
        return Err(Diagnostic::new("exists and is not a folder").in_file(&a.out));
    }
    let mut written = vec![];
    for l in &layers {
        for (name, text) in &l.files {
            let path = a.out.join(&l.folder).join(name);
            tessera_core::load::write_atomic(&path, text.as_bytes())?;
            written.push(path.display().to_string());
        }
    }
    if a.common.json {
        print_json(&serde_json::json!({
            "format": format,
            "arch": arch.name(),
            "workload": w.name,
            "out_dir": a.out.display().to_string(),
            "layers": layers.iter().map(|l| serde_json::json!({
                "layer": l.layer,
                "folder": l.folder,
                "mapping": l.mapping,
            })).collect::<Vec<_>>(),
            "files": written,
            "note": INTEROP_NOTE,
        }))?;
    } else {
        outln!(
            "wrote {} files for {} layer(s) of {} on {} as {:?} inputs to {}",
            written.len(),
            layers.len(),
            w.name,
            arch.name(),
            format,
            a.out.display()
        );
        for l in &layers {
            let m = l.mapping;
            outln!(
                "  {}  {}  (tile_m {}, tile_k {}, tile_n {}, keep {})",
                l.folder,
                l.layer,
                m.tile_m,
                m.tile_k,
                m.tile_n,
                m.keep.label()
            );
        }
        outln!("note: {INTEROP_NOTE}");
    }
    Ok(())
}

/// Which mappings the files hold, so their figures are compared with Tessera's for the same ones,
/// and how a kept panel is written.
const INTEROP_NOTE: &str = "the mappings are the mapper's choice, kept panels included: \
`tessera estimate` with the same options gives Tessera's figures for them; a kept panel \
(`--keep input-panel|weight-panel`, or the mapper's choice) is written with its buffer as the \
level under DRAM, above the accumulator, holding the tile loop the panel stays across, so the \
other tool reads the panel from DRAM once per panel (each mapping.yaml says how)";
