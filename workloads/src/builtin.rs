//! Built-in workloads, usable wherever a file is accepted (`--workload gemm_37x50x19`).

use crate::{Workload, WorkloadSpec};
use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};

pub const WORKLOADS: &[(&str, &str)] = &[
    (
        "gemm_37x50x19",
        include_str!("../builtin/gemm_37x50x19.ron"),
    ),
    (
        "gemm_64x64x64",
        include_str!("../builtin/gemm_64x64x64.ron"),
    ),
    ("mlp_small", include_str!("../builtin/mlp_small.ron")),
    ("bert_ffn", include_str!("../builtin/bert_ffn.ron")),
    (
        "resnet_conv_im2col",
        include_str!("../builtin/resnet_conv_im2col.ron"),
    ),
    // The model zoo: whole networks, with their non-MAC operations (see each file's header).
    ("alexnet", include_str!("../builtin/alexnet.ron")),
    ("vgg16", include_str!("../builtin/vgg16.ron")),
    ("resnet18", include_str!("../builtin/resnet18.ron")),
    ("resnet50", include_str!("../builtin/resnet50.ron")),
    ("mobilenetv2", include_str!("../builtin/mobilenetv2.ron")),
    ("dqn", include_str!("../builtin/dqn.ron")),
    ("mlp", include_str!("../builtin/mlp.ron")),
    ("bert-layer", include_str!("../builtin/bert_layer.ron")),
];

/// The model zoo: the built-in whole networks.
pub const ZOO: [&str; 8] = [
    "alexnet",
    "vgg16",
    "resnet18",
    "resnet50",
    "mobilenetv2",
    "dqn",
    "mlp",
    "bert-layer",
];

pub fn workload(name: &str) -> Result<Workload> {
    let (_, text) = WORKLOADS.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        Diagnostic::new(format!(
            "no built-in workload named {name:?} (built-ins: {})",
            WORKLOADS.iter().map(|w| w.0).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let origin = format!("builtin:{name}");
    let spec: WorkloadSpec = tessera_core::load::parse_ron(text, Path::new(&origin))?;
    spec.validate().map_err(|e| e.in_file(origin))
}

/// Load a workload from a built-in name or a RON file path.
pub fn load_workload(name_or_path: &str) -> Result<Workload> {
    load_workload_noted(name_or_path).map(|(w, _)| w)
}

/// [`load_workload`], and a note when the name is both a built-in and a file in the current folder
/// (the built-in is taken; `./NAME` names the file).
pub fn load_workload_noted(name_or_path: &str) -> Result<(Workload, Option<String>)> {
    if WORKLOADS.iter().any(|(n, _)| *n == name_or_path) {
        let note = Path::new(name_or_path).exists().then(|| {
            format!(
                "`{name_or_path}` is a built-in workload and also a file here; using the built-in \
                 (write `./{name_or_path}` for the file)"
            )
        });
        return Ok((workload(name_or_path)?, note));
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        return Err(Diagnostic::new(format!(
            "{name_or_path:?} is neither a built-in workload ({}) nor an existing file",
            WORKLOADS.iter().map(|w| w.0).collect::<Vec<_>>().join(", ")
        )));
    }
    let spec: WorkloadSpec = tessera_core::load::read_ron(path)?;
    Ok((spec.validate().map_err(|e| e.in_file(path))?, None))
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtins_validate() {
        for (n, _) in super::WORKLOADS {
            super::workload(n).unwrap();
        }
    }
}
