//! Reading RON specs and writing outputs safely.
//!
//! Specs are parsed with serde (`deny_unknown_fields` on every spec type), and parse errors keep
//! RON's line and column. Spec files are read up to [`MAX_SPEC_BYTES`]; a larger one (or an endless
//! one, like `/dev/zero`) is refused.
//!
//! Outputs ([`write_atomic`]): a regular file (or a new one) is written to a temporary file in its
//! folder and renamed into place, so a failure never leaves a half-written file. A device or FIFO is
//! written through, never replaced; a symbolic link is followed and its target written the same way
//! (the link stays); a folder is refused.

use crate::diag::{Diagnostic, Kind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::Path;

/// Parse RON text; `origin` names the file (or built-in) in errors. The error carries RON's line
/// and column and the dotted path of the field (`buffers.input.capacity_bytes`).
pub fn parse_ron<T: DeserializeOwned>(text: &str, origin: &Path) -> Result<T> {
    // `implicit_some`: an optional field may be written `input: "conv1"` as well as
    // `input: Some("conv1")`.
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(text, &options)
        .map_err(|e| spanned(e, None, origin))?;
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let code = e.into_inner();
            let err = de.span_error(code);
            return Err(refine(spanned(err, Some(path), origin), text));
        }
    };
    de.end()
        .map_err(|code| refine(spanned(de.span_error(code), None, origin), text))?;
    Ok(value)
}

/// Say what a syntax error really is where RON's message is about the symptom: a fractional
/// number where an integer belongs ("Expected comma" after `rows: 4` of `rows: 4.5`), and the field
/// the error is in when the path ends in an unknown `?`.
fn refine(mut d: Diagnostic, text: &str) -> Diagnostic {
    let Some((line, col)) = d.position else {
        return d;
    };
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return d;
    };
    let col = col.saturating_sub(1).min(src.len());
    let (before, after) = src.split_at(col);
    // The last `name:` before the error on its line.
    let field_here = before.rfind(':').and_then(|i| {
        let name: String = before[..i]
            .trim_end()
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        (!name.is_empty()).then_some(name)
    });
    if let Some(f) = d.field.as_mut() {
        if let (Some(prefix), Some(name)) = (f.strip_suffix(".?"), &field_here) {
            *f = format!("{prefix}.{name}");
        } else if f == "?" {
            if let Some(name) = &field_here {
                *f = name.clone();
            }
        }
    }
    let number_before = before.trim_end().ends_with(|c: char| c.is_ascii_digit());
    if number_before && (after.starts_with('.') || after.starts_with(['e', 'E'])) {
        let start = before
            .rfind(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
            .map_or(0, |i| i + 1);
        let end = col
            + after
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-+".contains(c)))
                .unwrap_or(after.len());
        d.message = format!(
            "expected an integer, found the number `{}`",
            src[start..end].trim()
        );
    }
    d
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

/// The largest spec file read (1 MiB): far more than any description needs.
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// Read a whole file of at most `limit` bytes; a larger file is a [`Kind::BadInput`] error naming
/// it and `what` it should be (`a spec file`, `an ONNX model`).
pub fn read_bytes(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    if path.is_dir() {
        return Err(Diagnostic::new("is a folder, not a file").in_file(path));
    }
    let f = std::fs::File::open(path).map_err(|e| Diagnostic::io(path, "cannot read", &e))?;
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::io(path, "cannot read", &e))?;
    if bytes.len() as u64 > limit {
        return Err(Diagnostic::new(format!(
            "is larger than {limit} bytes, the most {what} can be (is it the right file?)"
        ))
        .in_file(path));
    }
    Ok(bytes)
}

/// Read a text file of at most `limit` bytes; a larger file is a [`Kind::BadInput`] error naming it.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    let bytes = read_bytes(path, limit, "a spec file")?;
    String::from_utf8(bytes)
        .map_err(|e| Diagnostic::new(format!("is not UTF-8 text ({e})")).in_file(path))
}

/// Read and parse a RON file (at most [`MAX_SPEC_BYTES`]).
pub fn read_ron<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = read_text(path, MAX_SPEC_BYTES)?;
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
        .map_err(|e| Diagnostic::internal(format!("cannot serialize: {e}")))
}

/// Write `bytes` to `path`: atomically (a temporary file in the same folder, then a rename) when
/// `path` is a regular file or does not exist yet (its folder is created); written through when it
/// is a device or FIFO; through its target when it is a symbolic link. A folder is refused.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            let target = std::fs::canonicalize(path).map_err(|e| {
                Diagnostic::io(
                    path,
                    "is a symbolic link whose target cannot be reached",
                    &e,
                )
            })?;
            write_atomic(&target, bytes)
        }
        Ok(m) if m.is_dir() => Err(Diagnostic::new("is a folder; give a file name")
            .kind(Kind::Io)
            .in_file(path)),
        Ok(m) if !m.is_file() => write_through(path, bytes),
        Ok(_) => replace(path, bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => replace(path, bytes),
        Err(e) => Err(Diagnostic::io(path, "cannot inspect", &e)),
    }
}

/// Write into an existing device or FIFO (never replace it).
fn write_through(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Diagnostic::io(path, "cannot open for writing", &e))?;
    f.write_all(bytes)
        .and_then(|_| f.flush())
        .map_err(|e| Diagnostic::io(path, "cannot write", &e))
}

/// Create or replace a regular file atomically.
fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Diagnostic::io(&dir, "cannot create folder", &e))?;
    let name = path.file_name().ok_or_else(|| {
        Diagnostic::new("output path has no file name")
            .kind(Kind::Io)
            .in_file(path)
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&tmp, bytes).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Diagnostic::io(path, "cannot write", &e)
    })?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Diagnostic::io(path, "cannot rename into place", &e)
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
    fn a_fraction_where_an_integer_belongs_is_named() {
        let e = parse_ron::<S>("(rows: 4.5, cols: 2)", Path::new("x.ron")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("rows"), "{e}");
        assert!(e.message.contains("expected an integer"), "{e}");
        assert!(e.message.contains("4.5"), "{e}");
    }

    #[test]
    fn wrong_type_has_position() {
        let e = parse_ron::<S>("(rows: \"four\", cols: 2)", Path::new("x.ron")).unwrap_err();
        assert_eq!(e.position.map(|p| p.0), Some(1));
    }

    #[test]
    fn devices_fifos_and_links_are_written_through_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let d = std::env::temp_dir().join(format!("tessera-core-special-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        // a device: /dev/null stays a character device
        write_atomic(Path::new("/dev/null"), b"x").unwrap();
        assert!(std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
        // a symbolic link to a regular file: the link stays, the target gets the bytes
        let target = d.join("target.txt");
        std::fs::write(&target, b"old").unwrap();
        let link = d.join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        // a FIFO: written through (a reader drains it), still a FIFO afterwards
        let fifo = d.join("pipe");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
        // a folder is refused, and stays
        let e = write_atomic(&d, b"x").unwrap_err();
        assert_eq!(e.kind, Kind::Io);
        assert!(d.is_dir());
        // a dangling link is refused
        let dangling = d.join("dangling");
        std::os::unix::fs::symlink(d.join("nowhere"), &dangling).unwrap();
        assert!(write_atomic(&dangling, b"x").is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn spec_reads_are_bounded() {
        let e = read_text(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.message.contains("larger than 1024 bytes"), "{e}");
        assert_eq!(e.file.as_deref(), Some(Path::new("/dev/zero")));
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
