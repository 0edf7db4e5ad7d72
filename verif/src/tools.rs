//! Finding and version-checking the external tools (Verilator, Yosys).
//!
//! Tools are looked up on `PATH` (or given explicitly with [`Tools::with_paths`]) and asked for their
//! version; a missing or too old tool is a [`Diagnostic`] that says how to install it. Tested with
//! Verilator 5.006 and Yosys 0.23 (Debian bookworm packages).

use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_core::diag::{Diagnostic, Result};

/// Oldest Verilator accepted (major, minor): `--build`, `-j` and `--x-initial` as used here.
pub const MIN_VERILATOR: (u32, u32) = (5, 0);
/// Oldest Yosys accepted: `stat -json -top` as parsed here.
pub const MIN_YOSYS: (u32, u32) = (0, 23);

/// The one command that installs both tools (Debian/Ubuntu; the project's `scripts/install-tools`
/// runs it when they are missing).
pub const INSTALL_COMMAND: &str = "sudo apt-get install -y verilator yosys";

const INSTALL: &str =
    "install them with `sudo apt-get install -y verilator yosys` (Debian/Ubuntu; `scripts/install-tools` does it) or put them on PATH";

/// The external tools. Verilator is required; Yosys only by [`crate::synth()`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tools {
    pub verilator: PathBuf,
    /// First line of `verilator --version`, e.g. `Verilator 5.006 2023-01-22 rev (Debian 5.006-3)`.
    pub verilator_version: String,
    pub yosys: Option<PathBuf>,
    /// First line of `yosys -V`.
    pub yosys_version: Option<String>,
}

impl Tools {
    /// Find Verilator (required) and Yosys (optional) on `PATH`.
    pub fn find() -> Result<Tools> {
        let verilator = which::which("verilator")
            .map_err(|_| Diagnostic::tool(format!("verilator not found on PATH: {INSTALL}")))?;
        let yosys = which::which("yosys").ok();
        Tools::with_paths(&verilator, yosys.as_deref())
    }

    /// Use the given executables; checks their versions.
    pub fn with_paths(verilator: &Path, yosys: Option<&Path>) -> Result<Tools> {
        let verilator_version = version(verilator, "--version", "Verilator", MIN_VERILATOR)?;
        let (yosys, yosys_version) = match yosys {
            Some(y) => (
                Some(y.to_path_buf()),
                Some(version(y, "-V", "Yosys", MIN_YOSYS)?),
            ),
            None => (None, None),
        };
        Ok(Tools {
            verilator: verilator.to_path_buf(),
            verilator_version,
            yosys,
            yosys_version,
        })
    }

    /// Yosys, or a diagnostic saying how to install it.
    pub fn yosys(&self) -> Result<&Path> {
        self.yosys
            .as_deref()
            .ok_or_else(|| Diagnostic::tool(format!("yosys not found on PATH: {INSTALL}")))
    }
}

/// Run `tool flag`, check that the first line reads `<name> <major>.<minor>...` with at least `min`.
fn version(tool: &Path, flag: &str, name: &str, min: (u32, u32)) -> Result<String> {
    let out = Command::new(tool).arg(flag).output().map_err(|e| {
        Diagnostic::tool(format!(
            "cannot run `{} {flag}`: {e}; {INSTALL}",
            tool.display()
        ))
    })?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().next().unwrap_or("").trim().to_string();
    let parsed = parse_version(&line, name);
    match parsed {
        Some(v) if v >= min => Ok(line),
        Some(_) => Err(Diagnostic::tool(format!(
            "{} is `{line}`; tessera needs {name} {}.{} or newer ({INSTALL})",
            tool.display(),
            min.0,
            min.1
        ))),
        None => Err(Diagnostic::tool(format!(
            "cannot read the version of {} (`{flag}` printed {line:?}); expected {name} {}.{} or newer",
            tool.display(),
            min.0,
            min.1
        ))),
    }
}

/// `"Verilator 5.006 2023-01-22"` → `(5, 6)`; `"Yosys 0.23 (git sha1 ...)"` → `(0, 23)`.
pub(crate) fn parse_version(line: &str, name: &str) -> Option<(u32, u32)> {
    let rest = line.strip_prefix(name)?.trim_start();
    let v = rest
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// For tests: Verilator (and Yosys when `need_yosys`), or `None` after printing `SKIPPED: …` — unless
/// the environment variable `CI` is set (non-empty), in which case a missing tool panics, so CI never
/// skips silently. The tools are looked up (and asked their versions) once per process.
pub fn tools_for_tests(need_yosys: bool) -> Option<Tools> {
    static FOUND: std::sync::OnceLock<std::result::Result<Tools, String>> =
        std::sync::OnceLock::new();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    match FOUND
        .get_or_init(|| Tools::find().map_err(|e| e.to_string()))
        .clone()
    {
        Ok(t) if !need_yosys || t.yosys.is_some() => Some(t),
        Ok(_) => {
            assert!(!ci, "yosys not found and CI is set");
            println!("SKIPPED: yosys not found");
            None
        }
        Err(e) => {
            assert!(!ci, "verilator not found and CI is set: {e}");
            println!("SKIPPED: verilator not found ({e})");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version(
                "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)",
                "Verilator"
            ),
            Some((5, 6))
        );
        assert_eq!(
            parse_version("Yosys 0.23 (git sha1 7ce5011c24b)", "Yosys"),
            Some((0, 23))
        );
        assert_eq!(parse_version("Yosys 0.9+4081", "Yosys"), Some((0, 9)));
        assert_eq!(parse_version("Icarus Verilog 11", "Yosys"), None);
    }

    #[test]
    fn missing_tool_says_how_to_install() {
        let e = Tools::with_paths(Path::new("/nonexistent/verilator"), None).unwrap_err();
        assert!(
            e.message.contains("apt-get install -y verilator yosys"),
            "{e}"
        );
        assert_eq!(e.kind, tessera_core::Kind::Tool);
    }
}
