//! Reading RON specs and writing outputs safely.
//!
//! Specs are parsed with serde (`deny_unknown_fields` on every spec type), and parse errors keep
//! RON's line and column. Outputs are written to a temporary file in the target folder and renamed,
//! so a failure never leaves a half-written file.

use crate::diag::{Diagnostic, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// Parse RON text; `origin` names the file (or built-in) in errors. The error carries RON's line
/// and column and the dotted path of the field (`buffers.input.capacity_bytes`).
pub fn parse_ron<T: DeserializeOwned>(text: &str, origin: &Path) -> Result<T> {
    let mut de = ron::Deserializer::from_str(text).map_err(|e| spanned(e, None, origin))?;
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let code = e.into_inner();
            let err = de.span_error(code);
            return Err(spanned(err, Some(path), origin));
        }
    };
    de.end()
        .map_err(|code| spanned(de.span_error(code), None, origin))?;
    Ok(value)
}

fn spanned(e: ron::error::SpannedError, path: Option<String>, origin: &Path) -> Diagnostic {
    let mut d = Diagnostic::new(describe_ron_error(&e.code)).in_file(origin);
    d.position = Some((e.span.start.line, e.span.start.col));
    let inner = ron_field(&e.code);
    d.field = match (path.filter(|p| p != "."), inner) {
        (Some(p), Some(f)) if !p.ends_with(&f) => Some(format!("{p}.{f}")),
        (Some(p), _) => Some(p),
        (None, f) => f,
    };
    d
}

/// Read and parse a RON file.
pub fn read_ron<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::new(format!("cannot read: {e}")).in_file(path))?;
    parse_ron(&text, path)
}

/// The field a structural error is about (the struct's own path is added by the caller).
fn ron_field(code: &ron::Error) -> Option<String> {
    use ron::Error as E;
    match code {
        E::MissingStructField { field, .. } | E::DuplicateStructField { field, .. } => {
            Some(field.to_string())
        }
        E::NoSuchStructField { found, .. } => Some(found.clone()),
        _ => None,
    }
}

fn describe_ron_error(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::MissingStructField { .. } => "missing field".into(),
        E::NoSuchStructField { expected, .. } => {
            format!("unknown field (expected one of: {})", expected.join(", "))
        }
        other => other.to_string(),
    }
}

/// Serialize to pretty RON (deterministic: struct field order, no maps with random order).
pub fn to_ron_string<T: Serialize>(value: &T) -> Result<String> {
    ron::ser::to_string_pretty(value, ron::ser::PrettyConfig::default().struct_names(true))
        .map_err(|e| Diagnostic::new(format!("cannot serialize: {e}")))
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| Diagnostic::new(format!("cannot create folder: {e}")).in_file(&dir))?;
    let name = path
        .file_name()
        .ok_or_else(|| Diagnostic::new("output path has no file name").in_file(path))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes)
        .map_err(|e| Diagnostic::new(format!("cannot write: {e}")).in_file(&tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Diagnostic::new(format!("cannot rename into place: {e}")).in_file(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        rows: u32,
        cols: u32,
    }

    #[test]
    fn missing_field_is_named_with_line() {
        let e = parse_ron::<S>("(\n  rows: 4,\n)", Path::new("x.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("cols"));
        assert!(e.position.is_some());
        assert!(e.to_string().starts_with("x.ron:"), "{e}");
    }

    #[test]
    fn wrong_type_has_position() {
        let e = parse_ron::<S>("(rows: \"four\", cols: 2)", Path::new("x.ron")).unwrap_err();
        assert_eq!(e.position.map(|p| p.0), Some(1));
    }

    #[test]
    fn atomic_write_leaves_no_temp() {
        let d = std::env::temp_dir().join(format!("tessera-core-{}", std::process::id()));
        let p = d.join("out.txt");
        write_atomic(&p, b"hi").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hi");
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[cfg(test)]
mod path_tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        rows: u32,
    }

    #[test]
    fn nested_errors_carry_the_dotted_path() {
        let e = parse_ron::<Outer>("(inner: (rows: -1))", Path::new("f.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.rows"), "{e}");
        let e = parse_ron::<Outer>("(inner: ())", Path::new("f.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.rows"), "{e}");
        let e = parse_ron::<Outer>("(inner: (rows: 1, cols: 2))", Path::new("f.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("inner.cols"), "{e}");
    }
}
