//! The command line as a user meets it: exit codes, JSON members, and errors for bad input.

use std::path::Path;
use std::process::{Command, Output};

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("runs")
}

fn bad(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad")
        .join(file)
        .display()
        .to_string()
}

/// Bad input: exit code 2, a message naming the file and the field, no panic. Without `--json` the
/// error is on stderr and stdout is empty; with `--json` it is one JSON object on stdout.
fn assert_bad(args: &[&str], file: &str, field: &str) {
    let o = tessera(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let report = if args.contains(&"--json") {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON error");
        assert_eq!(v["error"]["kind"], "bad_input", "{v}");
        v.to_string()
    } else {
        assert!(
            o.stdout.is_empty(),
            "nothing on stdout for a failed command"
        );
        err.into_owned()
    };
    assert!(
        report.contains(file),
        "error does not name the file {file}: {report}"
    );
    assert!(
        report.contains(field),
        "error does not name the field {field}: {report}"
    );
}

#[test]
fn bad_arch_files_name_file_and_field() {
    for (file, field) in [
        ("zero_rows.ron", "array.rows"),
        ("negative_latency.ron", "dram.latency_cycles"),
        ("zero_outstanding.ron", "dram.outstanding_transfers"),
        ("three_words_per_cycle.ron", "dram.words_per_cycle"),
        ("buffer_too_small.ron", "buffers.weight.capacity_bytes"),
        ("missing_field.ron", "clock_mhz"),
        ("wrong_type.ron", "array.rows"),
        ("unknown_field.ron", "dram.burst"),
        ("path_name.ron", "name"),
    ] {
        let path = bad(file);
        assert_bad(&["estimate", "--arch", &path, "--json"], file, field);
    }
}

#[test]
fn bad_workload_names_layer_field() {
    let path = bad("zero_dim_workload.ron");
    assert_bad(
        &["estimate", "--workload", &path],
        "zero_dim_workload.ron",
        "layers[0].Gemm.k",
    );
}

#[test]
fn parse_errors_carry_the_line() {
    let o = tessera(&["estimate", "--arch", &bad("wrong_type.ron")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("wrong_type.ron:3:"), "no line number: {err}");
}

#[test]
fn unknown_builtin_lists_the_builtins() {
    let o = tessera(&["estimate", "--arch", "ws_99x99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ws_16x16"));
}

fn json(args: &[&str]) -> serde_json::Value {
    let o = tessera(args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("one JSON object on stdout")
}

#[test]
fn estimate_and_simulate_json_members() {
    for cmd in ["estimate", "simulate"] {
        let v = json(&[
            cmd,
            "--arch",
            "ws_4x4",
            "--workload",
            "gemm_37x50x19",
            "--json",
        ]);
        assert!(v["totals"]["cycles"].as_u64().unwrap() > 0, "{cmd}: {v}");
        assert!(
            v["totals"]["energy_pj"].as_f64().unwrap() > 0.0,
            "{cmd}: {v}"
        );
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1, "{cmd}: {v}");
        // the cycle breakdown sums to the cycles
        let b = &v["totals"]["breakdown"];
        let sum: u64 = [
            "compute",
            "fill_drain",
            "first_load",
            "last_store",
            "dma_stall",
            "issue",
        ]
        .iter()
        .map(|k| b[k].as_u64().unwrap())
        .sum();
        assert_eq!(sum, v["totals"]["cycles"].as_u64().unwrap(), "{cmd}: {v}");
    }
    let v = json(&[
        "simulate",
        "--arch",
        "ws_2x3",
        "--workload",
        "gemm_37x50x19",
        "--engine",
        "stepped",
        "--json",
    ]);
    assert_eq!(v["matches_reference"], true);
}

/// An input-stationary built-in from the command line: the DQN simulates to the reference outputs,
/// and a mapping that pins `tile_m` across the columns and streams `tile_n` is kept, while a
/// `tile_k` other than the array's rows is refused naming the field.
#[test]
fn input_stationary_from_the_command_line() {
    let v = json(&[
        "simulate",
        "--arch",
        "is_4x4",
        "--workload",
        "dqn",
        "--json",
    ]);
    assert_eq!(v["matches_reference"], true);
    let v = json(&[
        "estimate",
        "--arch",
        "is_4x4",
        "--workload",
        "gemm_37x50x19",
        "--tile-m",
        "8",
        "--tile-n",
        "7",
        "--json",
    ]);
    let m = &v["layers"][0]["mapping"];
    assert_eq!(
        (m["tile_m"].as_u64(), m["tile_n"].as_u64()),
        (Some(8), Some(7)),
        "{v}"
    );
    let o = tessera(&[
        "estimate",
        "--arch",
        "is_4x4",
        "--workload",
        "gemm_37x50x19",
        "--tile-k",
        "8",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("mapping.tile_k"));
}

/// A network: per-layer rows with kinds and shapes, totals, the operations nobody models; `--layer`
/// picks one layer by name or index; `--csv` gives a row per layer and a TOTAL row.
#[test]
fn networks_layers_and_csv() {
    let v = json(&[
        "simulate",
        "--arch",
        "ws_8x8",
        "--workload",
        "dqn",
        "--json",
    ]);
    let layers = v["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 5);
    assert_eq!(layers[0]["kind"], "Conv2d");
    assert_eq!(v["matches_reference"], true);
    assert_eq!(v["totals"]["macs"].as_u64().unwrap(), 9_352_192);
    assert!(v["not_modelled"]["total_ops"].as_u64().unwrap() > 0);
    let one = json(&[
        "estimate",
        "--arch",
        "os_4x4",
        "--workload",
        "dqn",
        "--layer",
        "conv2",
        "--json",
    ]);
    assert_eq!(one["layers"].as_array().unwrap().len(), 1);
    assert_eq!(one["layers"][0]["layer"], "conv2");
    let by_index = json(&[
        "estimate",
        "--arch",
        "os_4x4",
        "--workload",
        "dqn",
        "--layer",
        "1",
        "--json",
    ]);
    assert_eq!(by_index["layers"], one["layers"]);
    let o = tessera(&[
        "estimate",
        "--arch",
        "ws_4x4",
        "--workload",
        "dqn",
        "--layer",
        "nope",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--layer"));
    let o = tessera(&["estimate", "--arch", "ws_4x4", "--workload", "dqn", "--csv"]);
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + 5 + 1, "{text}");
    assert!(rows[0].starts_with("layer,kind,shape,"), "{text}");
    assert!(rows[0].contains("cycles") && rows[0].contains("dma_stall_cycles"));
    assert!(rows[6].starts_with("TOTAL,"), "{text}");
}

#[test]
fn validate_json_members() {
    let v = json(&[
        "validate",
        "--arch",
        "ws_4x4",
        "--workload",
        "gemm_37x50x19",
        "--json",
    ]);
    let case = &v["cases"][0];
    for k in ["analytical_cycles", "cycle_sim_cycles", "error_pct"] {
        assert!(case.get(k).is_some(), "missing {k}: {v}");
    }
    assert!(v["mape_pct"].as_f64().is_some());
}

#[test]
fn list_names_builtins() {
    let v = json(&["list", "--json"]);
    assert!(v["archs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "ws_16x16"));
    assert!(v["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "mlp_small"));
}

#[test]
fn same_seed_same_bytes() {
    let a = tessera(&[
        "simulate",
        "--arch",
        "ws_4x4",
        "--workload",
        "mlp_small",
        "--json",
        "--seed",
        "5",
    ]);
    let b = tessera(&[
        "simulate",
        "--arch",
        "ws_4x4",
        "--workload",
        "mlp_small",
        "--json",
        "--seed",
        "5",
    ]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn trace_files_are_written() {
    let dir = std::env::temp_dir().join(format!("tessera-cli-trace-{}", std::process::id()));
    let path = dir.join("t.log");
    let chrome_path = dir.join("t.json");
    let o = tessera(&[
        "simulate",
        "--arch",
        "ws_2x3",
        "--workload",
        "gemm_37x50x19",
        "--trace",
        path.to_str().unwrap(),
        "--chrome-trace",
        chrome_path.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let log = std::fs::read_to_string(&path).unwrap();
    assert!(
        log.lines().any(|l| l.contains("ctrl issue pc=0 LOAD")),
        "{log}"
    );
    let chrome: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&chrome_path).unwrap()).unwrap();
    assert!(!chrome["traceEvents"].as_array().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Golden reports: the JSON of `estimate` and `validate` on a small case, compared verbatim.
/// `TESSERA_BLESS=1 cargo test -p tessera-cli --test it cli::golden` rewrites them; review the diff.
#[test]
fn golden_reports() {
    for (name, args) in [
        (
            "estimate_ws_2x3_gemm_37x50x19.json",
            &[
                "estimate",
                "--arch",
                "ws_2x3",
                "--workload",
                "gemm_37x50x19",
                "--json",
            ][..],
        ),
        (
            "validate_ws_4x4_mlp_small.json",
            &[
                "validate",
                "--arch",
                "ws_4x4",
                "--workload",
                "mlp_small",
                "--json",
            ][..],
        ),
    ] {
        let o = tessera(args);
        assert!(o.status.success());
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(name);
        if std::env::var_os("TESSERA_BLESS").is_some() {
            std::fs::write(&path, &o.stdout).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} missing: run with TESSERA_BLESS=1", path.display()));
        let got = String::from_utf8(o.stdout).unwrap();
        if got != want {
            let line = got
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{name} differs from the golden file at line {}:\n  got:  {}\n  want: {}\n(TESSERA_BLESS=1 rewrites it)",
                line + 1,
                got.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}

#[test]
fn closed_stdout_is_not_a_panic() {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["validate", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away, as with `| head`
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0));
}

/// Other tools' files by extension: an ONNX model and a SCALE-Sim topology and configuration
/// simulate; an unsupported, a truncated or a malformed one is a clear error with exit code 2.
#[test]
fn imported_files_run_and_bad_ones_are_refused() {
    let data = |n: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../import/tests/data")
            .join(n)
            .display()
            .to_string()
    };
    let v = json(&[
        "simulate",
        "--arch",
        "ws_4x4",
        "--workload",
        &data("small_cnn.onnx"),
        "--json",
    ]);
    assert_eq!(v["matches_reference"], true);
    let v = json(&[
        "estimate",
        "--arch",
        &data("scalesim/eyeriss.cfg"),
        "--workload",
        &data("scalesim/test_mnk_input.csv"),
        "--json",
    ]);
    // SCALE-Sim's M, N, K columns: M = 128, N = 64, K = 256
    let l = &v["layers"][0];
    assert_eq!(
        (l["m"].as_u64(), l["k"].as_u64(), l["n"].as_u64()),
        (Some(128), Some(256), Some(64))
    );
    for (file, says) in [
        ("unsupported.onnx", "Transpose"),
        ("truncated.onnx", "truncated"),
    ] {
        let o = tessera(&["estimate", "--workload", &data(file)]);
        assert_eq!(o.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(file) && err.contains(says), "{err}");
    }
    let o = tessera(&["estimate", "--arch", &data("scalesim/test.csv")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not an accelerator"));
}

/// The mapper chooses the tiles not given: `--tile-n` alone is accepted and kept, a mapping file
/// gives the same result as the flags, `--map-for energy` never costs more energy than the latency
/// choice, and a bad mapping file names the file and the field.
#[test]
fn the_mapper_fills_in_free_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let layer_tiles = |v: &serde_json::Value| v["layers"][0]["mapping"].clone();
    let n16 = json(&[
        "estimate",
        "--arch",
        "ws_8x8",
        "--workload",
        "bert_ffn",
        "--tile-n",
        "16",
        "--json",
    ]);
    assert_eq!(layer_tiles(&n16)["tile_n"], 16, "{n16}");
    let f = dir.path().join("m.ron");
    std::fs::write(&f, "MappingSpec(tile_n: Some(16))").unwrap();
    let from_file = json(&[
        "estimate",
        "--arch",
        "ws_8x8",
        "--workload",
        "bert_ffn",
        "--mapping",
        f.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(layer_tiles(&from_file), layer_tiles(&n16));
    let free = json(&[
        "estimate",
        "--arch",
        "ws_8x8",
        "--workload",
        "bert_ffn",
        "--json",
    ]);
    let cycles = |v: &serde_json::Value| v["totals"]["cycles"].as_u64().unwrap();
    assert!(cycles(&free) <= cycles(&n16), "{free}");
    let energy = |v: &serde_json::Value| v["totals"]["energy_pj"].as_f64().unwrap();
    let e = json(&[
        "estimate",
        "--arch",
        "ws_8x8",
        "--workload",
        "bert_ffn",
        "--map-for",
        "energy",
        "--json",
    ]);
    assert!(energy(&e) <= energy(&free), "{e}");
    let badf = dir.path().join("bad_mapping.ron");
    std::fs::write(&badf, "MappingSpec(\n  tile_n: Some(0),\n)").unwrap();
    assert_bad(
        &["estimate", "--mapping", badf.to_str().unwrap()],
        "bad_mapping.ron",
        "tile_n",
    );
}

/// `tessera interop` writes three files per layer into one folder per layer, with the mapper's
/// mapping, for both tools; a file where the folder should be is refused.
#[test]
fn interop_writes_each_layer() {
    let dir = tempfile::tempdir().unwrap();
    for (to, first) in [("timeloop", "arch.yaml"), ("zigzag", "accelerator.yaml")] {
        let out = dir.path().join(to);
        let v = json(&[
            "interop",
            "--to",
            to,
            "--arch",
            "ws_8x8",
            "--workload",
            "dqn",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 5, "{v}");
        assert_eq!(v["files"].as_array().unwrap().len(), 15);
        let folder = layers[0]["folder"].as_str().unwrap();
        let text = std::fs::read_to_string(out.join(folder).join(first)).unwrap();
        assert!(text.contains("ws_8x8"), "{text}");
    }
    let file = dir.path().join("f");
    std::fs::write(&file, "x").unwrap();
    let o = tessera(&["interop", "--to", "zigzag", "--out", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// `tessera interop` writes the mappings `estimate` reports for the same options, kept panels
/// included: the mapper's choice, or a pinned `--keep`, said in the files.
#[test]
fn interop_writes_the_estimated_mappings_kept_panels_included() {
    let dir = tempfile::tempdir().unwrap();
    for keep in [None, Some("input-panel"), Some("weight-panel")] {
        let mut opts = vec!["--arch", "ws_8x8", "--workload", "mlp_small", "--json"];
        if let Some(k) = keep {
            opts.extend(["--keep", k]);
        }
        let out = dir.path().join(keep.unwrap_or("mapper"));
        let mut args = vec![
            "interop",
            "--to",
            "timeloop",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(&opts);
        let v = json(&args);
        let e = json(&[&["estimate"][..], &opts].concat());
        let layers = v["layers"].as_array().unwrap();
        assert_eq!(layers.len(), e["layers"].as_array().unwrap().len());
        for (l, el) in layers.iter().zip(e["layers"].as_array().unwrap()) {
            assert_eq!(l["mapping"], el["mapping"], "{l} {el}");
            let label = l["mapping"]["keep"].as_str().unwrap();
            if let Some(k) = keep {
                let want = if k == "input-panel" {
                    "InputPanel"
                } else {
                    "WeightPanel"
                };
                assert_eq!(label, want);
            }
            let folder = l["folder"].as_str().unwrap();
            let text = std::fs::read_to_string(out.join(folder).join("mapping.yaml")).unwrap();
            assert_eq!(
                text.contains(&format!("keep={label}")),
                label != "Tiles",
                "{text}"
            );
        }
        assert!(v["note"].as_str().unwrap().contains("kept panel"), "{v}");
    }
}

/// A saved mapping file holds every layer's tiles; fed back, it gives the same report; an entry for
/// a layer the workload lacks names the file and the entry.
#[test]
fn saved_mappings_feed_back() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("saved.ron");
    let a = json(&[
        "estimate",
        "--arch",
        "os_8x8",
        "--workload",
        "dqn",
        "--map-for",
        "edp",
        "--save-mapping",
        f.to_str().unwrap(),
        "--json",
    ]);
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("\"conv1\"") && text.contains("Edp"), "{text}");
    let b = json(&[
        "estimate",
        "--arch",
        "os_8x8",
        "--workload",
        "dqn",
        "--mapping",
        f.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(a["layers"], b["layers"]);
    // a flag overrides the file's per-layer entries too
    let c = json(&[
        "estimate",
        "--arch",
        "os_8x8",
        "--workload",
        "dqn",
        "--mapping",
        f.to_str().unwrap(),
        "--tile-k",
        "8",
        "--json",
    ]);
    for l in c["layers"].as_array().unwrap() {
        assert_eq!(l["mapping"]["tile_k"], 8, "{l}");
    }
    let bad = dir.path().join("typo.ron");
    std::fs::write(&bad, "MappingSpec(layers: {\"conv9\": (tile_n: Some(8))})").unwrap();
    assert_bad(
        &[
            "estimate",
            "--workload",
            "dqn",
            "--mapping",
            bad.to_str().unwrap(),
        ],
        "typo.ron",
        "conv9",
    );
    assert_bad(
        &[
            "validate",
            "--workload",
            "dqn",
            "--arch",
            "ws_4x4",
            "--mapping",
            bad.to_str().unwrap(),
        ],
        "typo.ron",
        "conv9",
    );
}

/// A search killed with SIGKILL and rerun with `--resume` gives the uninterrupted run's result, byte
/// for byte, without recomputing what the journal holds; Ctrl-C (SIGINT) stops with exit code 130
/// and says how to resume.
#[test]
fn a_killed_search_resumes_to_the_same_result() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("run.journal");
    let j = journal.to_str().unwrap();
    let args = [
        "search",
        "--workload",
        "resnet18",
        "--arch",
        "ws_32x32",
        "--strategy",
        "evolutionary",
        "--evaluations",
        "2000",
        "--json",
    ];
    let lines = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|t| t.matches('\n').count())
            .unwrap_or(0)
    };
    // kill once some evaluations are journaled, mid-run
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .args(["--checkpoint", j])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while lines(&journal) < 40 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(9));
    let kept = lines(&journal);
    let resumed = tessera(&[&args[..], &["--checkpoint", j, "--resume"]].concat());
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let whole = tessera(&args);
    assert!(whole.status.success());
    assert_eq!(resumed.stdout, whole.stdout);
    assert!(lines(&journal) > kept);

    // Ctrl-C
    let second = dir.path().join("second.journal");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(&args[..args.len() - 1])
        .args(["--checkpoint", second.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while lines(&second) < 40 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before Ctrl-C"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("--resume") && err.contains("second.journal"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// `search --pareto DIR`: three files that parse and agree with each other and with `--json`'s
/// `pareto`, a front no feasible candidate dominates, the same bytes on a second run, and a summary
/// line in the text report only when asked.
#[test]
fn search_writes_the_pareto_front() {
    use std::collections::BTreeMap;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let args = |out: &Path| {
        [
            "search",
            "--arch",
            "ws_16x16",
            "--workload",
            "mlp_small",
            "--strategy",
            "random",
            "--evaluations",
            "96",
            "--seed",
            "4",
            "--pareto",
            out.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let mut with_json = args(&a);
    with_json.push("--json".into());
    let v = json(&with_json.iter().map(String::as_str).collect::<Vec<_>>());
    let front = v["pareto"]
        .as_array()
        .expect("--json has the front")
        .clone();
    assert!(!front.is_empty());

    // pareto.json: the same front as --json, and every feasible candidate
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.join("pareto.json")).unwrap()).unwrap();
    assert_eq!(file["front"], v["pareto"]);
    assert_eq!(file["workload"], "mlp_small");
    assert_eq!(file["best"], v["best"]["arch"]["name"]);
    assert_eq!(
        file["costs"],
        serde_json::json!(["cycles", "energy_pj", "area_um2"])
    );
    let feasible = file["feasible"].as_array().unwrap();
    // the feasible candidates are exactly the distinct history entries that mapped and meet the
    // limits, with the objective (EDP) the history gives them
    let history: BTreeMap<&str, f64> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["violation"].is_null() && !h["objective"].is_null())
        .map(|h| {
            (
                h["arch"].as_str().unwrap(),
                h["objective"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(feasible.len(), history.len());
    let costs = |p: &serde_json::Value| {
        (
            p["cycles"].as_u64().unwrap(),
            p["energy_pj"].as_f64().unwrap(),
            p["area_um2"].as_f64().unwrap(),
        )
    };
    // (serde_json's default float parser is not correctly rounded: floats printed alike are
    // compared exactly, floats printed by different writers within 1e-12)
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(y.abs());
    for p in feasible {
        let (c, e, _) = costs(p);
        let edp = p["edp_cycles_pj"].as_f64().unwrap();
        assert_eq!(history[p["name"].as_str().unwrap()], edp, "{p}");
        assert!(close(edp, c as f64 * e), "{p}");
    }
    // nothing on the front is dominated by a feasible candidate, and every candidate off the front
    // is dominated by one on it
    let dominates =
        |q: (u64, f64, f64), p: (u64, f64, f64)| q.0 <= p.0 && q.1 <= p.1 && q.2 <= p.2 && q != p;
    for p in &front {
        assert!(
            !feasible.iter().any(|q| dominates(costs(q), costs(p))),
            "{p} is dominated"
        );
    }
    for q in feasible {
        if !front.contains(q) {
            assert!(front.iter().any(|p| dominates(costs(p), costs(q))), "{q}");
        }
    }
    let cyc: Vec<u64> = front.iter().map(|p| costs(p).0).collect();
    assert!(cyc.windows(2).all(|w| w[0] <= w[1]), "sorted by cycles");

    // pareto.csv: the front, the same figures, units in the headers
    let mut rd = csv::Reader::from_path(a.join("pareto.csv")).unwrap();
    let head = rd.headers().unwrap().clone();
    for col in ["name", "cycles", "energy_pj", "area_um2", "edp_cycles_pj"] {
        assert!(head.iter().any(|h| h == col), "{col} in {head:?}");
    }
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), front.len());
    for (r, p) in rows.iter().zip(&front) {
        assert_eq!(&r[col("name")], p["name"].as_str().unwrap());
        let (c, e, ar) = costs(p);
        assert_eq!(r[col("cycles")].parse::<u64>().unwrap(), c);
        assert!(
            close(r[col("energy_pj")].parse::<f64>().unwrap(), e),
            "{r:?}"
        );
        assert!(
            close(r[col("area_um2")].parse::<f64>().unwrap(), ar),
            "{r:?}"
        );
        assert_eq!(r[col("rows")].parse::<u64>().unwrap(), p["point"]["rows"]);
    }

    // pareto.svg: a whole SVG document with the title, axis labels, a point per candidate and per
    // front design, and the best design named
    let svg = std::fs::read_to_string(a.join("pareto.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "{svg:.200}"
    );
    for text in [
        "Pareto front: mlp_small",
        "cycles (analytical",
        "energy (pJ, analytical",
        v["best"]["arch"]["name"].as_str().unwrap(),
    ] {
        assert!(svg.contains(text), "{text} not in the SVG");
    }
    assert!(svg.matches("<circle").count() >= feasible.len() + front.len());

    // the same run in text: the same bytes in every file, one summary line
    let o = tessera(&args(&b).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    let line = format!("Pareto front: {} designs", front.len());
    assert_eq!(out.matches(&line).count(), 1, "{out}");
    assert!(
        out.contains(&format!("of {} feasible candidates", feasible.len())),
        "{out}"
    );
    for f in ["pareto.json", "pareto.csv", "pareto.svg"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs"
        );
    }
    // without --pareto the text report does not mention it
    let mut plain = args(&b);
    plain.truncate(plain.len() - 2);
    let o = tessera(&plain.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Pareto"));
    // a file where the folder should be: an I/O error naming the path and the flag
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let o = tessera(&args(&file).iter().map(String::as_str).collect::<Vec<_>>());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("--pareto") && err.contains(file.to_str().unwrap()),
        "{err}"
    );
}

#[test]
fn baselines_json_csv_and_bad_names() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("baselines.csv");
    let args = [
        "baselines",
        "--templates",
        "nvdla_like,eyeriss_like",
        "--workloads",
        "dqn",
        "--evaluations",
        "40",
        "--seed",
        "3",
        "--json",
        "--csv",
        csv_path.to_str().unwrap(),
    ];
    let a = tessera(&args);
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).expect("one JSON object");
    assert_eq!(v["options"]["evaluations"], 40);
    assert_eq!(v["objective_unit"], "cycles·pJ");
    let cs = v["comparisons"].as_array().unwrap();
    assert_eq!(cs.len(), 2);
    for c in cs {
        assert_eq!(c["workload"], "dqn");
        let (t, f) = (&c["template_design"], &c["found"]);
        assert!(f["pes"].as_u64() <= t["pes"].as_u64(), "{c}");
        assert!(f["sram_bytes"].as_u64() <= t["sram_bytes"].as_u64(), "{c}");
        let ratio = t["simulated"]["edp_cycles_pj"].as_f64().unwrap()
            / f["simulated"]["edp_cycles_pj"].as_f64().unwrap();
        // serde_json parses floats to within an ulp (no `float_roundtrip`), so not bit for bit
        let got = c["ratios"]["edp"].as_f64().unwrap();
        assert!((got - ratio).abs() <= 1e-12 * ratio, "{got} vs {ratio}");
    }
    assert_eq!(v["summaries"][0]["templates"], 2);
    // The CSV file: a header and a row per pair, the ratio as in the JSON.
    let text = std::fs::read_to_string(&csv_path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head = r.headers().unwrap().clone();
    let col = head.iter().position(|h| h == "edp_ratio").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][1], "eyeriss_like");
    let (csv_ratio, json_ratio) = (
        rows[1][col].parse::<f64>().unwrap(),
        cs[1]["ratios"]["edp"].as_f64().unwrap(),
    );
    assert!((csv_ratio - json_ratio).abs() <= 1e-12 * json_ratio);
    // Same seed, same bytes.
    let b = tessera(&args);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(std::fs::read_to_string(&csv_path).unwrap(), text);
    // Unknown names: exit 2, the flag and the name in the error.
    for (flag, name, listed) in [
        ("--templates", "eyeriss", "eyeriss_like"),
        ("--workloads", "resnet19", "resnet18"),
    ] {
        let o = tessera(&["baselines", flag, name, "--evaluations", "5"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(flag) && err.contains(name) && err.contains(listed),
            "{err}"
        );
        assert!(o.stdout.is_empty());
        let o = tessera(&["baselines", flag, name, "--json"]);
        assert_eq!(o.status.code(), Some(2));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["error"]["field"], flag, "{v}");
    }
    let o = tessera(&["baselines", "--templates", "gemmini,gemmini"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("listed twice"));
    let o = tessera(&["baselines", "--objective", "area", "--workloads", "dqn"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--objective"));
}

fn program(file: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/programs")
        .join(file)
        .display()
        .to_string()
}

/// `tessera run`: a hand-written program through both engines; the outputs written with
/// `--out-dram` are the products; bad program files name the file and the field (and the line).
#[test]
fn run_takes_a_hand_written_program() {
    let dir = std::env::temp_dir().join(format!("tessera-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("dram.bin");
    let v = json(&[
        "run",
        "--arch",
        "ws_2x3",
        "--program",
        &program("ws_2x3_tile.ron"),
        "--out-dram",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["passed"], true, "{v}");
    assert_eq!(v["engines_agree"], true, "{v}");
    assert_eq!(v["cycles"], v["stepped_cycles"], "{v}");
    let dram = std::fs::read(&out).unwrap();
    let lanes: Vec<i32> = dram[64..88]
        .chunks(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(lanes, [5, 7, 9, 2, 4, 6]);
    std::fs::remove_dir_all(&dir).unwrap();
    let p = bad("program_unknown_instr.ron");
    assert_bad(
        &["run", "--arch", "ws_2x3", "--program", &p],
        "program_unknown_instr.ron:5",
        "program[1]",
    );
    let p = bad("program_data_past_end.ron");
    assert_bad(
        &["run", "--arch", "ws_2x3", "--program", &p],
        "program_data_past_end.ron",
        "data[0]",
    );
}

/// Layers map onto a row-stationary accelerator (mapping/src/rs.rs): `validate` runs them with
/// the estimate's cycles and the reference's outputs; the Timeloop/ZigZag export, which has no
/// row-stationary mapping, says so (exit 2, no panic).
#[test]
fn row_stationary_layers_map_and_interop_refuses_with_the_reason() {
    let a = program("rs_3x4.ron");
    let o = tessera(&["validate", "--arch", &a, "--workload", "mlp_small"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("MAPE 0.00 %") && out.contains("outputs match the reference"),
        "{out}"
    );
    let dir = std::env::temp_dir().join(format!("tessera-rs-interop-{}", std::process::id()));
    let o = tessera(&[
        "interop",
        "--arch",
        &a,
        "--to",
        "timeloop",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("row-stationary"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 3×4 convolution written by hand as one row-stationary pass (`tests/programs/rs_3x4_conv.ron`)
/// runs in both engines, and the stored outputs are the convolution's (the file's comment has
/// them, computed apart from Tessera).
#[test]
fn a_row_stationary_pass_computes_a_convolution() {
    let dir = std::env::temp_dir().join(format!("tessera-rs-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("dram.bin");
    let v = json(&[
        "run",
        "--arch",
        &program("rs_3x4.ron"),
        "--program",
        &program("rs_3x4_conv.ron"),
        "--out-dram",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["passed"], true, "{v}");
    let dram = std::fs::read(&out).unwrap();
    let lanes: Vec<i32> = dram[256..304]
        .chunks(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(
        lanes,
        [16, -38, 40, -14, 40, -14, -35, 43, -35, 43, -22, -21]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Eyeriss template, row-stationary, runs DQN: the estimate equals the cycle simulation on
/// every layer and the outputs match the reference.
#[test]
fn the_row_stationary_eyeriss_template_runs_a_network() {
    let v = json(&[
        "validate",
        "--arch",
        "eyeriss_like",
        "--workload",
        "dqn",
        "--json",
    ]);
    assert_eq!(v["passed"], true, "{v}");
    assert_eq!(v["max_abs_error_pct"], 0.0, "{v}");
}

/// Every design the search can return can be exported and verified, row-stationary ones too:
/// `tessera search --export DIR --verify` on a space file that lists RowStationary (with its
/// register files, on arrays of a few PEs) and a small convolution-and-GEMM workload file returns a
/// row-stationary design, writes its Verilog (lint-clean) and its RON (with `rf_weights`), and
/// verifies it under Verilator against the simulator, bit-exact with equal cycles.
#[test]
fn a_row_stationary_search_result_exports_and_verifies() {
    if tessera_verif::tools::tools_for_tests(false).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // input words are R + C − 1 = 3 or 4 bytes, weight words 2, accumulator words 2 or 3 lanes
    let space = dir.path().join("space.ron");
    std::fs::write(
        &space,
        "SearchConfig(
            space: (
                rows: [2], cols: [2, 3],
                input_bytes: [1536], weight_bytes: [1024], accumulator_bytes: [1536],
                dataflow: [RowStationary], rf_weights: [4, 6],
            ),
            objective: Latency, strategy: Random, evaluations: 8, seed: 1, top_k: 1,
        )",
    )
    .unwrap();
    let workload = dir.path().join("conv_fc.ron");
    std::fs::write(
        &workload,
        r#"WorkloadSpec(
            name: "conv_fc",
            inputs: [(name: "x", shape: [1, 2, 6, 6])],
            layers: [
                Conv2d((name: "conv", out_channels: 3, kernel: (3, 3), padding: (1, 1))),
                Op((name: "flatten", kind: Flatten)),
                Linear((name: "fc", out_features: 5)),
            ],
        )"#,
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = tessera(&[
        "search",
        "--arch",
        "ws_4x4",
        "--config",
        space.to_str().unwrap(),
        "--workload",
        workload.to_str().unwrap(),
        "--export",
        out.to_str().unwrap(),
        "--verify",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let name = v["best"]["arch"]["name"].as_str().unwrap();
    assert_eq!(v["best"]["point"]["dataflow"], "RowStationary", "{name}");
    let f = v["best"]["point"]["rf_weights"].as_u64().unwrap();
    assert!(
        name.starts_with("cand_rs_") && name.ends_with(&format!("_f{f}")),
        "{name}"
    );
    let ron = std::fs::read_to_string(out.join(format!("{name}.ron"))).unwrap();
    assert!(ron.contains(&format!("rf_weights: Some({f})")), "{ron}");
    assert_eq!(v["verify"]["passed"], true, "{}", v["verify"]);
    assert_eq!(v["verify"]["bit_exact"], true);
    assert_eq!(v["verify"]["cycles_equal"], true);
    assert_eq!(v["verify"]["dataflow"], "RowStationary");
}
