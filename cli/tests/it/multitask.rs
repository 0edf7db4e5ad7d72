//! `tessera multitask --export DIR --verify`: every sub-accelerator of the system the search returns
//! is exported (lint-clean) and every task verifies under Verilator on its sub-accelerator,
//! bit-exact and cycle-equal; the JSON carries per-task spec status and the baseline. With
//! `--dram shared`, the system file and the system's Verilog.

use std::process::Command;

#[test]
fn the_multitask_system_exports_and_verifies() {
    if tessera_verif::tools::tools_for_tests(false).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "multitask",
            "--arch",
            "ws_8x8",
            "--tasks",
            "gemm_64x64x64:60000,gemm_37x50x19:9000",
            "--evaluations",
            "200",
            "--export",
            dir.path().to_str().unwrap(),
            "--verify",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let subs = v["best"]["subaccelerators"].as_array().unwrap();
    assert_eq!(v["export"].as_array().unwrap().len(), subs.len());
    for s in subs {
        let name = s["name"].as_str().unwrap();
        assert!(dir.path().join(name).join(format!("{name}.ron")).is_file());
    }
    let verify = v["verify"].as_array().unwrap();
    assert_eq!(verify.len(), 2);
    for (r, t) in verify.iter().zip(v["best"]["tasks"].as_array().unwrap()) {
        assert_eq!(r["passed"], true, "{r}");
        assert_eq!(t["meets_spec"], true, "{t}");
    }
    assert_eq!(v["best"]["meets_specs"], true);
    assert!(v["baseline"]["combined"]["over_budget"].is_string());
}

/// `tessera multitask --dram shared`: the best system is simulated on one shared channel; its
/// export writes `system.ron`, which `tessera system` runs to the same cycles, and the system's
/// Verilog, which verifies against the simulator under Verilator.
#[test]
fn a_shared_channel_system_exports_as_a_system_file_and_verifies() {
    if tessera_verif::tools::tools_for_tests(false).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "multitask",
            "--arch",
            "ws_8x8",
            "--tasks",
            "gemm_64x64x64,gemm_37x50x19",
            "--dram",
            "shared",
            "--max-subaccelerators",
            "2",
            "--evaluations",
            "40",
            "--export",
            dir.path().to_str().unwrap(),
            "--verify",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dram"], "Shared");
    let subs = v["best"]["subaccelerators"].as_array().unwrap();
    // each sub-accelerator's own export, and the system's
    assert_eq!(v["export"].as_array().unwrap().len(), subs.len() + 1);
    assert_eq!(v["verify_system"]["passed"], true, "{}", v["verify_system"]);
    assert!(v["verify"].is_null());
    // `tessera system` loads the exported file (arch paths relative to it, workloads by name) and
    // simulates the same cycles per sub-accelerator
    let file = dir.path().join("system.ron");
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "system",
            file.to_str().unwrap(),
            "--map-for",
            "energy",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (sub, sr) in subs.iter().zip(s["subs"].as_array().unwrap()) {
        let c = &sub["contention"];
        assert_eq!(sr["cycles"], c["simulated_cycles"], "{sub}");
        assert_eq!(sr["estimated_cycles"], c["estimated_cycles"], "{sub}");
        assert_eq!(sr["alone_cycles"], c["alone_cycles"], "{sub}");
    }
}
