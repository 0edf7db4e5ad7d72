//! Importers: other tools' files as Tessera specs.
//!
//! | file | importer | gives |
//! | --- | --- | --- |
//! | `.onnx` (an ONNX model) | [`onnx`] | a [`WorkloadSpec`] |
//! | `.csv` (a SCALE-Sim topology, conv or GEMM form) | [`scalesim::topology`] | a [`WorkloadSpec`] |
//! | `.cfg` (a SCALE-Sim configuration) | [`scalesim::config`] | an [`ArchSpec`] |
//!
//! [`load`] picks the importer by the file's extension. Every importer returns an [`Imported`]: the
//! spec, exactly as a RON file would give it, the notes a user should read (what was assumed,
//! rounded, folded or left out), and where each part came from, so that
//! [`Imported::validate`] reports a validation error with the file, the line (CSV, cfg) or the
//! ONNX node, and what is wrong. Nothing here panics on bad input: every error is a
//! [`Diagnostic`] of kind `BadInput` (or `Io` when a file cannot be read) that names the file.
//!
//! In short (the modules have the full tables):
//!
//! - **Mapped.** ONNX convolutions (float and integer), GEMMs and matrix products become `Conv2d`,
//!   `Linear`, `Gemm` and `MatMul` layers with the shapes inferred through the graph; SCALE-Sim
//!   rows become standalone `Conv2d` or `Gemm` layers with SCALE-Sim's own shapes and MACs; a
//!   SCALE-Sim configuration becomes an accelerator with the same array, dataflow, SRAM sizes and
//!   bandwidth.
//! - **Reported as not modelled.** ONNX activations, normalisations, element-wise operations,
//!   pooling, Flatten and Concat become `Op` layers, which every report lists with their operation
//!   counts; what is folded, passed through, counted as a nearby kind or assumed is in the notes.
//! - **Refused, with every cause in one error.** ONNX operators outside the table (all of them
//!   listed, with their nodes), uses Tessera cannot model (3-D convolutions, non-zero padding,
//!   Reshapes other than a flatten, ...), symbolic sizes other than the batch, SCALE-Sim
//!   dataflows other than ws, os and is, and malformed or truncated files.
//!
//! What each importer maps, reports as not modelled, and refuses is documented in its module:
//! [`onnx`] and [`scalesim`].

pub mod onnx;
pub mod scalesim;

mod names;

use std::path::{Path, PathBuf};
use tessera_arch::{Arch, ArchSpec};
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::{Workload, WorkloadSpec};

/// Where a part of an imported spec came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// 1-based line in the source file (text formats).
    pub line: Option<usize>,
    /// What it is in the source, e.g. ``ONNX node `/stem/conv/Conv` (Conv)`` or
    /// ``line 3, layer `Conv2` `` or `` `IfmapSramSzkB` on line 7 in [architecture_presets] ``.
    pub what: String,
}

/// An imported spec, the notes about it, and where its parts came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported<S> {
    pub spec: S,
    /// The file it was read from (every error names it).
    pub file: PathBuf,
    /// What the importer assumed, rounded, folded or left out: show these to the user.
    pub notes: Vec<String>,
    /// The source of each part of the spec, keyed by its field path in the spec (`layers[3]`,
    /// `inputs[0]`, `array.rows`, `buffers.input.capacity_bytes`, ...).
    pub origins: Vec<(String, Origin)>,
}

impl<S> Imported<S> {
    /// The source of a spec field (the longest key that is the field or one of its parents).
    pub fn origin_of(&self, field: &str) -> Option<&Origin> {
        self.origins
            .iter()
            .filter(|(k, _)| {
                field == k
                    || field
                        .strip_prefix(k.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
            .max_by_key(|(k, _)| k.len())
            .map(|(_, o)| o)
    }

    /// A validation error made to point at the source: the file, the line, and what the field was
    /// in the source.
    fn locate(&self, e: Diagnostic) -> Diagnostic {
        let mut e = e;
        if e.file.is_none() {
            if let Some(o) = e.field.as_deref().and_then(|f| self.origin_of(f)) {
                if let Some(line) = o.line {
                    e.position = Some((line, 1));
                }
                e.message = format!("{} (from {})", e.message, o.what);
            }
        }
        e.in_file(&self.file)
    }
}

impl Imported<WorkloadSpec> {
    /// Validate the workload; an error names the file and the source of the layer.
    pub fn validate(&self) -> Result<Workload> {
        self.spec.validate().map_err(|e| self.locate(e))
    }
}

impl Imported<ArchSpec> {
    /// Validate the accelerator; an error names the file and the source line of the field.
    pub fn validate(&self) -> Result<Arch> {
        self.spec.validate().map_err(|e| self.locate(e))
    }
}

/// What [`load`] read.
#[derive(Clone, Debug, PartialEq)]
pub enum Import {
    /// From an ONNX model or a SCALE-Sim topology.
    Workload(Imported<WorkloadSpec>),
    /// From a SCALE-Sim configuration.
    Arch(Imported<ArchSpec>),
}

/// What [`Import::validate`] gives.
#[derive(Clone, Debug, PartialEq)]
pub enum Validated {
    Workload(Workload),
    Arch(Box<Arch>),
}

impl Import {
    pub fn file(&self) -> &Path {
        match self {
            Import::Workload(i) => &i.file,
            Import::Arch(i) => &i.file,
        }
    }
    pub fn notes(&self) -> &[String] {
        match self {
            Import::Workload(i) => &i.notes,
            Import::Arch(i) => &i.notes,
        }
    }
    /// Validate the spec (see [`Imported::validate`]).
    pub fn validate(&self) -> Result<Validated> {
        match self {
            Import::Workload(i) => i.validate().map(Validated::Workload),
            Import::Arch(i) => i.validate().map(|a| Validated::Arch(Box::new(a))),
        }
    }
}

/// The extensions [`load`] knows.
pub const EXTENSIONS: [&str; 3] = ["onnx", "csv", "cfg"];

/// Import a file by its extension: `.onnx` → [`onnx::read`], `.csv` → [`scalesim::read_topology`],
/// `.cfg` → [`scalesim::read_config`] (case does not matter). Errors name the file.
pub fn load(path: impl AsRef<Path>) -> Result<Import> {
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("onnx") => onnx::read(path).map(Import::Workload),
        Some("csv") => scalesim::read_topology(path).map(Import::Workload),
        Some("cfg") => scalesim::read_config(path).map(Import::Arch),
        _ => Err(Diagnostic::new(format!(
            "cannot tell what to import from the extension{}: use .onnx (an ONNX model), .csv (a \
             SCALE-Sim topology) or .cfg (a SCALE-Sim configuration)",
            ext.map(|e| format!(" `.{e}`")).unwrap_or_default()
        ))
        .in_file(path)),
    }
}

/// Read a whole file of at most `limit` bytes (a larger one is refused, naming the file).
pub(crate) fn read_bytes(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    tessera_core::load::read_bytes(path, limit, what)
}

/// The file's stem, for a spec's name.
pub(crate) fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
