//! User-facing errors. A [`Diagnostic`] names where the problem is (file, field path, line and column
//! when known) and what is wrong. Library code returns them; only the CLI prints and exits.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error a user can act on: bad input, a mapping that does not fit, a missing external tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in, or a built-in name such as `builtin:ws-16x16`.
    pub file: Option<PathBuf>,
    /// Dotted field path, e.g. `array.rows` or `buffers.weight.capacity_bytes`.
    pub field: Option<String>,
    /// 1-based line and column, when the parser gives them.
    pub position: Option<(usize, usize)>,
    pub message: String,
}

pub type Result<T, E = Diagnostic> = std::result::Result<T, E>;

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            file: None,
            field: None,
            position: None,
            message: message.into(),
        }
    }

    /// A problem with one field of a spec.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(message)
        }
    }

    /// Attach the file (keeps an existing one).
    pub fn in_file(mut self, file: impl AsRef<Path>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.as_ref().to_path_buf());
        }
        self
    }

    /// Prefix the field path, e.g. `rows` inside `array` becomes `array.rows`.
    pub fn under(mut self, parent: &str) -> Self {
        self.field = Some(match self.field.take() {
            Some(f) => format!("{parent}.{f}"),
            None => parent.to_string(),
        });
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut wrote = false;
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some((l, c)) = self.position {
                write!(f, ":{l}:{c}")?;
            }
            wrote = true;
        }
        if let Some(field) = &self.field {
            write!(f, "{}field `{field}`", if wrote { ": " } else { "" })?;
            wrote = true;
        }
        write!(f, "{}{}", if wrote { ": " } else { "" }, self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl From<std::io::Error> for Diagnostic {
    fn from(e: std::io::Error) -> Self {
        Diagnostic::new(e.to_string())
    }
}

/// Shorthand for a field check: `ensure(cond, "array.rows", || "must be at least 1")`.
pub fn ensure(cond: bool, field: &str, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(Diagnostic::field(field, msg()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_field_and_line() {
        let mut d = Diagnostic::field("rows", "must be at least 1")
            .under("array")
            .in_file("a.ron");
        d.position = Some((3, 9));
        assert_eq!(
            d.to_string(),
            "a.ron:3:9: field `array.rows`: must be at least 1"
        );
    }
}
