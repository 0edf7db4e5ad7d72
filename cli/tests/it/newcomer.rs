//! What a newcomer meets (issue "A newcomer's first hour"): the demo without Verilator and Yosys,
//! outputs that are devices, FIFOs or links, exit codes per kind of error, JSON errors, interrupted
//! runs that leave nothing behind, input checks, and smaller surprises.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn tessera(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A PATH with only the shell tools (no verilator, no yosys).
fn path_without_tools() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for tool in ["sh", "kill"] {
        if let Ok(p) = which(tool) {
            std::os::unix::fs::symlink(p, d.path().join(tool)).unwrap();
        }
    }
    d
}

fn which(tool: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(tool))
                .find(|f| f.is_file())
        })
        .ok_or(())
}

#[test]
fn demo_without_the_tools_runs_the_software_stages_and_names_the_skipped_ones() {
    let empty = path_without_tools();
    let cwd = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["demo", "--json"])
        .env("PATH", empty.path())
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["search"]["best"]["arch"]["name"].is_string());
    assert_eq!(v["validate"]["cases"].as_array().unwrap().len(), 24);
    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["export", "verify"]);
    assert!(v["skipped"][0]["install"]
        .as_str()
        .unwrap()
        .contains("apt-get install -y verilator yosys"));
    assert!(v["export"].is_null() && v["verify"].is_null());
    // the text output says the same
    let o = bin()
        .arg("demo")
        .env("PATH", empty.path())
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(
        out.contains("export: SKIPPED") && out.contains("verify: SKIPPED"),
        "{out}"
    );
    assert!(
        out.contains("sudo apt-get install -y verilator yosys"),
        "{out}"
    );
}

#[test]
fn trace_outputs_write_through_devices_fifos_and_links() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let sim = |trace: &Path, chrome: &Path| {
        tessera(&[
            "simulate",
            "--arch",
            "ws_2x3",
            "--workload",
            "gemm_37x50x19",
            "--trace",
            trace.to_str().unwrap(),
            "--chrome-trace",
            chrome.to_str().unwrap(),
        ])
    };
    // a device: stays a device, and no companion file appears beside it
    let o = sim(Path::new("/dev/null"), Path::new("/dev/null"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    assert!(!Path::new("/dev/null.chrome.json").exists());
    // a symbolic link: the link stays, its target holds the log
    let target = d.path().join("target.log");
    std::fs::write(&target, "old").unwrap();
    let link = d.path().join("link.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let o = sim(&link, &d.path().join("t.json"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("ctrl issue"));
    // a FIFO: written through to its reader, still a FIFO
    let fifo = d.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let o = sim(&fifo, &d.path().join("t2.json"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(reader.join().unwrap().contains("ctrl issue"));
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn exit_codes_follow_the_kind_of_error() {
    // bad input: 2
    let o = tessera(&["estimate", "--arch", "ws_99x99"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // a missing tool: 3, and the reason on stderr
    let empty = path_without_tools();
    let o = bin()
        .args(["verify", "--arch", "ws_1x1", "--workload", "gemm_37x50x19"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("verilator not found"));
    // an I/O error: 4, naming the path
    let o = tessera(&[
        "simulate",
        "--arch",
        "ws_2x3",
        "--workload",
        "gemm_37x50x19",
        "--trace",
        "/dev/null/cannot/be",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("/dev/null"), "{}", text(&o.stderr));
}

/// A Verilator that reports a version but cannot build: `verify` fails with the tool's kind (exit
/// 3) and prints the build error in text mode — not "outputs differ".
#[test]
fn a_failing_tool_is_not_reported_as_a_failed_check() {
    let bin_dir = path_without_tools();
    let fake = bin_dir.path().join("verilator");
    std::fs::write(
        &fake,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Verilator 5.006 2023-01-22'; exit 0; fi\n\
         if [ \"$1\" = --lint-only ]; then exit 0; fi\necho 'broken toolchain: no C++ compiler' >&2; exit 1\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let o = bin()
        .args(["verify", "--arch", "ws_1x1", "--workload", "gemm_37x50x19"])
        .env("PATH", bin_dir.path())
        .env("TESSERA_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("broken toolchain"), "{err}");
    assert!(!text(&o.stdout).contains("differ"), "{}", text(&o.stdout));
    // and as JSON
    let o = bin()
        .args([
            "verify",
            "--arch",
            "ws_1x1",
            "--workload",
            "gemm_37x50x19",
            "--json",
        ])
        .env("PATH", bin_dir.path())
        .env("TESSERA_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "tool");
    assert_eq!(v["error"]["exit_code"], 3);
}

#[test]
fn json_errors_are_one_object_on_stdout() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/wrong_type.ron");
    let o = tessera(&["estimate", "--arch", bad.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    let e = &v["error"];
    assert_eq!(e["kind"], "bad_input");
    assert_eq!(e["field"], "array.rows");
    assert!(e["file"].as_str().unwrap().ends_with("wrong_type.ron"));
    assert_eq!(e["line"], 3);
    assert!(e["column"].as_u64().is_some());
    assert!(e["message"].as_str().is_some());
    // a flag clap refuses, with --json: still JSON
    let o = tessera(&["estimate", "--no-such-flag", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["error"]["kind"], "bad_input");
}

/// Every `.building-*` and temporary folder is gone after a run interrupted during its Verilator
/// build (SIGINT: cleaned on the way out, exit 130), and after a killed run (SIGKILL: swept by the
/// next run).
#[test]
fn interrupted_builds_leave_nothing_behind() {
    if which("verilator").is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "verilator not found and CI is set"
        );
        println!("SKIPPED: verilator not found");
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let start = || {
        bin()
            .args(["verify", "--arch", "ws_2x3", "--workload", "gemm_37x50x19"])
            .env("TESSERA_CACHE_DIR", cache.path())
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let building = || -> Vec<String> {
        std::fs::read_dir(cache.path())
            .map(|r| {
                r.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(".building-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let leftovers = || -> Vec<String> {
        let mut v = building();
        v.extend(
            std::fs::read_dir(tmp.path())
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("tessera-")),
        );
        v
    };
    let wait_for_build = || {
        let t = Instant::now();
        while building().is_empty() {
            assert!(t.elapsed() < Duration::from_secs(60), "no build started");
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(300)); // well inside Verilator
    };
    let signal = |sig: &str, pid: u32| {
        assert!(Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success());
    };
    // SIGINT: the run kills its tools, removes its folders and exits with 130
    let child = start();
    wait_for_build();
    signal("-INT", child.id());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("interrupted"));
    assert_eq!(leftovers(), Vec::<String>::new());
    // SIGKILL: the folder stays, and the next build sweeps it
    let mut child = start();
    wait_for_build();
    signal("-KILL", child.id());
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200)); // let the killed group's tools exit
    assert!(!building().is_empty(), "a killed build leaves its folder");
    let o = bin()
        .args(["export", "--arch", "ws_1x1", "--out"])
        .arg(tmp.path().join("out-unused"))
        .env("TESSERA_CACHE_DIR", cache.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = bin()
        .args(["verify", "--arch", "ws_1x1", "--workload", "gemm_37x50x19"])
        .env("TESSERA_CACHE_DIR", cache.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(building().is_empty(), "{:?}", building());
}

#[test]
fn input_checks() {
    let d = tempfile::tempdir().unwrap();
    let builtin = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../arch/builtin")
                .join(format!("{name}.ron")),
        )
        .unwrap()
    };
    let write = |name: &str, text: String| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    // a subnormal clock: refused, readably
    let p = write(
        "subnormal.ron",
        builtin("ws_4x4").replace("clock_mhz: 500.0", "clock_mhz: 1e-320"),
    );
    let o = tessera(&["estimate", "--arch", &p]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("clock_mhz") && err.contains("1e-320"), "{err}");
    // an endless file: refused with a size limit, fast
    let o = tessera(&["estimate", "--arch", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("larger than"),
        "{}",
        text(&o.stderr)
    );
    // a fraction where an integer belongs: named as such, with the field
    let p = write(
        "frac.ron",
        builtin("ws_4x4").replace("rows: 4,", "rows: 4.5,"),
    );
    let err = text(&tessera(&["estimate", "--arch", &p]).stderr);
    assert!(
        err.contains("array.rows") && err.contains("expected an integer"),
        "{err}"
    );
    assert!(!err.contains(".?"), "{err}");
    // the parser and validation spell a layer's field alike
    let w = |m: &str| {
        write(
            &format!("w_{}.ron", m.len()),
            format!("WorkloadSpec(name: \"w\", layers: [Gemm((name: \"g\", m: {m}, k: 2, n: 2))])"),
        )
    };
    let parse = text(&tessera(&["estimate", "--workload", &w("\"x\"")]).stderr);
    let validate = text(&tessera(&["estimate", "--workload", &w("0")]).stderr);
    for e in [&parse, &validate] {
        assert!(e.contains("`layers[0].Gemm.m`"), "{e}");
    }
    // a layer whose program once overflowed a 65 536-entry instruction memory runs: programs stream
    let big = write(
        "big.ron",
        "WorkloadSpec(name: \"big\", layers: [Gemm((name: \"wide\", m: 64, k: 512, n: 512))])"
            .into(),
    );
    let o = tessera(&["estimate", "--arch", "ws_1x1", "--workload", &big]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // a tile the accelerator cannot take names the flag's field and the layer
    let err = text(
        &tessera(&[
            "estimate",
            "--arch",
            "ws_1x1",
            "--workload",
            &big,
            "--tile-m",
            "100000",
        ])
        .stderr,
    );
    assert!(
        err.contains("mapping.tile_m") && err.contains("wide"),
        "{err}"
    );
}

#[test]
fn smaller_surprises() {
    let d = tempfile::tempdir().unwrap();
    // a file named like a built-in: the built-in is taken, and a note says so
    std::fs::write(d.path().join("ws_4x4"), "not RON").unwrap();
    let o = bin()
        .args(["estimate", "--arch", "ws_4x4"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(
        text(&o.stderr).contains("note: `ws_4x4` is a built-in"),
        "{}",
        text(&o.stderr)
    );
    // --tile-n alone is accepted
    let o = tessera(&[
        "estimate",
        "--arch",
        "ws_4x4",
        "--workload",
        "gemm_37x50x19",
        "--tile-n",
        "8",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["layers"][0]["mapping"]["tile_n"], 8);
    // --tile-m beyond the 16-bit stream is an error like --tile-m 0, not silently clamped
    for bad in ["0", "100000"] {
        let o = tessera(&[
            "estimate",
            "--arch",
            "ws_4x4",
            "--workload",
            "gemm_37x50x19",
            "--tile-m",
            bad,
        ]);
        assert_eq!(o.status.code(), Some(2), "--tile-m {bad}");
        assert!(
            text(&o.stderr).contains("mapping.tile_m"),
            "{}",
            text(&o.stderr)
        );
    }
    // search compares like with like: the base's analytical line beside the best's analytical line
    let o = tessera(&[
        "search",
        "--arch",
        "ws_4x4",
        "--workload",
        "gemm_37x50x19",
        "--evaluations",
        "32",
    ]);
    let out = text(&o.stdout);
    assert!(
        out.contains("analytical: ") && out.contains("(analytical, as the best's"),
        "{out}"
    );
}

#[test]
fn the_exported_description_ends_with_a_newline() {
    if which("verilator").is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "verilator not found and CI is set"
        );
        println!("SKIPPED: verilator not found");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let o = tessera(&[
        "search",
        "--arch",
        "ws_4x4",
        "--workload",
        "gemm_37x50x19",
        "--evaluations",
        "16",
        "--export",
        d.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let ron = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".ron"))
        .unwrap();
    assert!(std::fs::read_to_string(ron.path())
        .unwrap()
        .ends_with(")\n"));
}
