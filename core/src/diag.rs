//! User-facing errors. A [`Diagnostic`] says what kind of failure it is ([`Kind`]), where the problem
//! is (file, field path, line and column when known) and what is wrong. Library code returns them;
//! only the CLI prints them and turns the kind into the exit code.

use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// What kind of failure a [`Diagnostic`] reports; the command line's exit code follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The input is wrong: a file, a flag, a value, a mapping that does not fit. Exit code 2.
    BadInput,
    /// A check ran and failed: outputs or cycles differ, a lint warning, a latch, a contract
    /// violation in the RTL. Exit code 1.
    CheckFailed,
    /// An external tool (Verilator, Yosys, a C++ compiler) is missing or failed to run. Exit code 3.
    Tool,
    /// Reading or writing a file failed. Exit code 4.
    Io,
    /// A bug in Tessera: a broken internal invariant. Exit code 5.
    Internal,
    /// The run was interrupted (Ctrl-C). Exit code 130.
    Interrupted,
}

impl Kind {
    /// The exit code of a command that fails with this kind of error.
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::CheckFailed => 1,
            Kind::BadInput => 2,
            Kind::Tool => 3,
            Kind::Io => 4,
            Kind::Internal => 5,
            Kind::Interrupted => 130,
        }
    }
}

/// An error a user can act on: bad input, a mapping that does not fit, a missing external tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub kind: Kind,
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
    /// A [`Kind::BadInput`] error (the common case); see [`Diagnostic::kind`] for the others.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::BadInput,
            file: None,
            field: None,
            position: None,
            message: message.into(),
        }
    }

    /// The same error with another kind.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// A missing or failing external tool.
    pub fn tool(message: impl Into<String>) -> Self {
        Self::new(message).kind(Kind::Tool)
    }

    /// A check that ran and failed.
    pub fn check_failed(message: impl Into<String>) -> Self {
        Self::new(message).kind(Kind::CheckFailed)
    }

    /// A broken internal invariant.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(message).kind(Kind::Internal)
    }

    /// The run was interrupted.
    pub fn interrupted() -> Self {
        Self::new("interrupted").kind(Kind::Interrupted)
    }

    /// An I/O failure on `path`: what was being done, and the system's message.
    pub fn io(path: impl AsRef<Path>, doing: &str, e: &std::io::Error) -> Self {
        Self::new(format!("{doing}: {e}"))
            .kind(Kind::Io)
            .in_file(path)
    }

    /// The error as the JSON object `--json` prints: kind, message, file, field, line, column.
    pub fn to_json_value(&self) -> JsonError {
        JsonError {
            kind: self.kind,
            exit_code: self.kind.exit_code(),
            message: self.message.clone(),
            file: self.file.as_ref().map(|f| f.display().to_string()),
            field: self.field.clone(),
            line: self.position.map(|p| p.0),
            column: self.position.map(|p| p.1),
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

/// An I/O error without a known path (prefer [`Diagnostic::io`], which keeps the path).
impl From<std::io::Error> for Diagnostic {
    fn from(e: std::io::Error) -> Self {
        Diagnostic::new(e.to_string()).kind(Kind::Io)
    }
}

/// The members of a `--json` error: `{"error": {kind, exit_code, message, file, field, line, column}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonError {
    pub kind: Kind,
    pub exit_code: u8,
    pub message: String,
    pub file: Option<String>,
    pub field: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
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
