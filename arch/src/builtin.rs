//! Built-in accelerators, usable wherever a file is accepted (`--arch ws_16x16`).

use crate::spec::{Arch, ArchSpec};
use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};

/// (name, RON text) of every built-in accelerator.
pub const ARCHS: &[(&str, &str)] = &[
    ("ws_1x1", include_str!("../builtin/ws_1x1.ron")),
    ("ws_2x3", include_str!("../builtin/ws_2x3.ron")),
    ("ws_4x4", include_str!("../builtin/ws_4x4.ron")),
    ("ws_8x8", include_str!("../builtin/ws_8x8.ron")),
    ("ws_16x16", include_str!("../builtin/ws_16x16.ron")),
    ("ws_32x32", include_str!("../builtin/ws_32x32.ron")),
    ("os_1x1", include_str!("../builtin/os_1x1.ron")),
    ("os_2x3", include_str!("../builtin/os_2x3.ron")),
    ("os_4x4", include_str!("../builtin/os_4x4.ron")),
    ("os_8x8", include_str!("../builtin/os_8x8.ron")),
    ("os_16x16", include_str!("../builtin/os_16x16.ron")),
    ("os_32x32", include_str!("../builtin/os_32x32.ron")),
    ("is_1x1", include_str!("../builtin/is_1x1.ron")),
    ("is_2x3", include_str!("../builtin/is_2x3.ron")),
    ("is_4x4", include_str!("../builtin/is_4x4.ron")),
    ("is_8x8", include_str!("../builtin/is_8x8.ron")),
    ("is_16x16", include_str!("../builtin/is_16x16.ron")),
    ("is_32x32", include_str!("../builtin/is_32x32.ron")),
];

/// (name, RON text) of the templates of published designs: built-ins too, each file citing its
/// sources and its `note` naming the nearest configuration where the design is approximated.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "tpu_like",
        include_str!("../builtin/templates/tpu_like.ron"),
    ),
    ("gemmini", include_str!("../builtin/templates/gemmini.ron")),
    (
        "nvdla_like",
        include_str!("../builtin/templates/nvdla_like.ron"),
    ),
    (
        "shidiannao_like",
        include_str!("../builtin/templates/shidiannao_like.ron"),
    ),
    (
        "eyeriss_like",
        include_str!("../builtin/templates/eyeriss_like.ron"),
    ),
];

/// Every built-in name: the arrays, then the templates.
pub fn names() -> Vec<&'static str> {
    ARCHS.iter().chain(TEMPLATES).map(|a| a.0).collect()
}

/// The spec of a built-in accelerator or template.
pub fn arch_spec(name: &str) -> Result<ArchSpec> {
    let (_, text) = ARCHS
        .iter()
        .chain(TEMPLATES)
        .find(|(n, _)| *n == name)
        .ok_or_else(|| {
            Diagnostic::new(format!(
                "no built-in accelerator named {name:?} (built-ins: {})",
                names().join(", ")
            ))
        })?;
    tessera_core::load::parse_ron(text, Path::new(&format!("builtin:{name}")))
}

/// A validated built-in accelerator.
pub fn arch(name: &str) -> Result<Arch> {
    arch_spec(name)?
        .validate()
        .map_err(|e| e.in_file(format!("builtin:{name}")))
}

/// Load an accelerator from a built-in name or a RON file path.
pub fn load_arch(name_or_path: &str) -> Result<Arch> {
    load_arch_noted(name_or_path).map(|(a, _)| a)
}

/// [`load_arch`], and a note when the name is both a built-in and a file in the current folder
/// (the built-in is taken; `./NAME` names the file).
pub fn load_arch_noted(name_or_path: &str) -> Result<(Arch, Option<String>)> {
    if names().contains(&name_or_path) {
        let note = Path::new(name_or_path).exists().then(|| {
            format!(
                "`{name_or_path}` is a built-in accelerator and also a file here; using the \
                 built-in (write `./{name_or_path}` for the file)"
            )
        });
        return Ok((arch(name_or_path)?, note));
    }
    let path = Path::new(name_or_path);
    if !path.exists() {
        return Err(Diagnostic::new(format!(
            "{name_or_path:?} is neither a built-in accelerator ({}) nor an existing file",
            names().join(", ")
        )));
    }
    let spec: ArchSpec = tessera_core::load::read_ron(path)?;
    Ok((spec.validate().map_err(|e| e.in_file(path))?, None))
}
