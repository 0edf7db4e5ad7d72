//! Running the external tools, and their temporary folders.
//!
//! - [`run`] starts a tool in its own process group, collects its output, and polls
//!   [`tessera_core::interrupt`]: on Ctrl-C it kills the whole group (Verilator's `make` and
//!   compilers included) and returns an [`Kind::Interrupted`] error, so the callers' temporary
//!   folders are removed on the way out.
//! - [`temp_dir`] makes a temporary folder named `<prefix><pid>-<random>`; it is removed when
//!   dropped, and [`sweep`] (called when the next one is made) removes the ones whose process is no
//!   longer running — what a killed run (SIGKILL, power loss) left behind.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;
use tessera_core::diag::{Diagnostic, Kind, Result};

/// What a finished tool printed.
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run `cmd` to completion (or until an interruption is requested). `what` names the tool in errors.
pub fn run(cmd: &mut Command, what: &str) -> Result<Output> {
    use std::os::unix::process::CommandExt;
    tessera_core::interrupt::check()?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| Diagnostic::tool(format!("cannot run {what}: {e}")))?;
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = loop {
        if tessera_core::interrupt::requested() {
            kill_group(child.id());
            let _ = child.kill();
            let _ = child.wait();
            let _ = (out.join(), err.join());
            return Err(Diagnostic::interrupted());
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(Diagnostic::tool(format!("waiting for {what}: {e}"))),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    tessera_core::interrupt::check()?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// SIGKILL the process group `pgid` (the tool and everything it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// A temporary folder `<parent>/<prefix><pid>-<random>` (parent: the system's temporary folder),
/// removed when dropped. Leftovers of dead processes with the same prefix are swept first.
pub fn temp_dir(prefix: &str, parent: Option<&Path>) -> Result<tempfile::TempDir> {
    let parent: PathBuf = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    sweep(&parent, prefix);
    tempfile::Builder::new()
        .prefix(&format!("{prefix}{}-", std::process::id()))
        .tempdir_in(&parent)
        .map_err(|e| Diagnostic::io(&parent, "cannot create a temporary folder", &e))
}

/// Put a folder at `entry` (inside `root`) whole or not at all, for a cache: `fill` writes its files
/// into a [`temp_dir`] in `root`, which is renamed to `entry` if `fill` succeeds. Best effort: if
/// anything fails, or `entry` exists already (another process published the same), the temporary
/// folder is removed and nothing is reported.
pub fn publish_dir(root: &Path, prefix: &str, entry: &Path, fill: impl FnOnce(&Path) -> bool) {
    if std::fs::create_dir_all(root).is_err() {
        return;
    }
    let Ok(tmp) = temp_dir(prefix, Some(root)) else {
        return;
    };
    if fill(tmp.path()) {
        let kept = tmp.keep();
        if std::fs::rename(&kept, entry).is_err() {
            let _ = std::fs::remove_dir_all(&kept);
        }
    }
}

/// Remove `<dir>/<prefix><pid>-*` folders whose process `pid` is no longer running. Best effort:
/// what cannot be read or removed is left.
pub fn sweep(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !alive(pid) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Whether process `pid` exists (Linux: `/proc/<pid>`; elsewhere assumed alive, so nothing is swept).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The kind of a tool's failure, for errors built from its exit status.
pub fn tool_failure(what: &str, o: &Output) -> Diagnostic {
    let stderr = String::from_utf8_lossy(&o.stderr);
    Diagnostic::new(format!("{what} failed ({}): {}", o.status, stderr.trim())).kind(Kind::Tool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_removes_only_dead_processes_folders() {
        let root = tempfile::tempdir().unwrap();
        // a pid that cannot be running (above the kernel's pid_max), and our own
        let dead = root.path().join("tessera-x-4294967294-abc");
        let mine = root
            .path()
            .join(format!("tessera-x-{}-abc", std::process::id()));
        let other = root.path().join("unrelated-1-abc");
        for d in [&dead, &mine, &other] {
            std::fs::create_dir_all(d).unwrap();
        }
        sweep(root.path(), "tessera-x-");
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
    }

    #[test]
    fn a_published_folder_is_whole_or_absent() {
        let root = tempfile::tempdir().unwrap();
        let entry = root.path().join("entry");
        let names = || -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(root.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        // a fill that fails publishes nothing and leaves nothing
        publish_dir(root.path(), ".p-", &entry, |d| {
            std::fs::write(d.join("a"), "half").unwrap();
            false
        });
        assert!(names().is_empty());
        publish_dir(root.path(), ".p-", &entry, |d| {
            std::fs::write(d.join("a"), "1").is_ok()
        });
        assert_eq!(names(), ["entry"]);
        // the second publisher of an entry leaves the first's
        publish_dir(root.path(), ".p-", &entry, |d| {
            std::fs::write(d.join("a"), "2").is_ok()
        });
        assert_eq!(names(), ["entry"]);
        assert_eq!(std::fs::read_to_string(entry.join("a")).unwrap(), "1");
    }

    #[test]
    fn a_tool_that_fails_reports_its_stderr() {
        let o = run(
            Command::new("sh").args(["-c", "echo boom >&2; exit 7"]),
            "sh",
        )
        .unwrap();
        assert!(!o.status.success());
        let e = tool_failure("sh", &o);
        assert_eq!(e.kind, Kind::Tool);
        assert!(e.message.contains("boom"), "{e}");
    }
}
