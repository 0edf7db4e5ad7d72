//! `tessera system`: the example system runs, its JSON is the same bytes for the same seed, and bad
//! system files are refused with exit code 2 and the file and field named.

use std::path::Path;
use std::process::{Command, Output};

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .output()
        .expect("runs")
}

/// `tessera system FILE --json --engine ENGINE`, which must succeed: its report.
fn json(file: &str, engine: &str) -> serde_json::Value {
    let o = tessera(&["system", file, "--json", "--engine", engine]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{file}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A whole-number field of every sub-accelerator of a system report.
fn per_sub(v: &serde_json::Value, f: &str) -> Vec<u64> {
    v["subs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[f].as_u64().unwrap())
        .collect()
}

fn path(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn the_example_system_runs_and_repeats_byte_for_byte() {
    let file = path("../examples/systems/duo.ron");
    let a = tessera(&["system", &file, "--json"]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let b = tessera(&["system", &file, "--json"]);
    assert_eq!(a.stdout, b.stdout, "same inputs and seed, same bytes");
    let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(v["matches_reference"], true);
    let subs = v["subs"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    for s in subs {
        let (shared, alone) = (
            s["cycles"].as_u64().unwrap(),
            s["alone_cycles"].as_u64().unwrap(),
        );
        assert!(shared >= alone, "{s}");
        assert_eq!(s["contention_cycles"].as_u64().unwrap(), shared - alone);
    }
    assert_eq!(
        v["cycles"].as_u64().unwrap(),
        subs.iter()
            .map(|s| s["cycles"].as_u64().unwrap())
            .max()
            .unwrap()
    );
    // the stepped engine gives the same cycles
    let st = tessera(&["system", &file, "--json", "--engine", "stepped"]);
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    for (x, y) in subs.iter().zip(st["subs"].as_array().unwrap()) {
        assert_eq!(x["cycles"], y["cycles"]);
    }
}

/// A system whose DMAs move several words per cycle (`examples/systems/lanes.ron`, P = 4 on a
/// 32 B/cycle channel): both engines give the same cycles and the reference outputs, and every
/// sub-accelerator is faster than the same file with one word per cycle.
#[test]
fn a_system_with_several_words_per_cycle_runs_faster() {
    let file = path("../examples/systems/lanes.ron");
    let cycles = |v: &serde_json::Value| per_sub(v, "cycles");
    let ev = json(&file, "event");
    let st = json(&file, "stepped");
    assert_eq!(ev["matches_reference"], true);
    assert_eq!(st["matches_reference"], true);
    assert_eq!(cycles(&ev), cycles(&st), "the two engines");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("words_per_cycle: 4").count(), 1);
    let dir = std::env::temp_dir().join(format!("tessera-lanes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let one = dir.join("lanes1.ron");
    std::fs::write(
        &one,
        text.replace("words_per_cycle: 4", "words_per_cycle: 1"),
    )
    .unwrap();
    let slow = json(&one.display().to_string(), "event");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(slow["matches_reference"], true);
    let (fast, slow) = (cycles(&ev), cycles(&slow));
    assert!(
        fast.iter().zip(&slow).all(|(f, s)| f < s),
        "P = 4: {fast:?}, P = 1: {slow:?}"
    );
}

/// A system whose DMAs keep several transfers in flight (`examples/systems/slots.ron`: duo.ron's
/// sub-accelerators and channel with O = 4): both engines give the same cycles and the reference
/// outputs, every sub-accelerator is faster than in duo.ron (O = 1), and the estimate stays near
/// the simulator.
#[test]
fn a_system_with_several_transfer_slots_runs_faster() {
    let field = per_sub;
    let slots = path("../examples/systems/slots.ron");
    let duo = path("../examples/systems/duo.ron");
    let text = std::fs::read_to_string(&slots).unwrap();
    assert_eq!(text.matches("outstanding_transfers: 4").count(), 1);
    assert_eq!(
        text.split("subs:").nth(1),
        std::fs::read_to_string(&duo).unwrap().split("subs:").nth(1),
        "the same sub-accelerators and workloads as duo.ron"
    );
    let ev = json(&slots, "event");
    let st = json(&slots, "stepped");
    assert_eq!(ev["matches_reference"], true);
    assert_eq!(st["matches_reference"], true);
    assert_eq!(
        field(&ev, "cycles"),
        field(&st, "cycles"),
        "the two engines"
    );
    assert_eq!(
        field(&ev, "dram_wait_cycles"),
        field(&st, "dram_wait_cycles")
    );
    let one = json(&duo, "event");
    let (fast, slow) = (field(&ev, "cycles"), field(&one, "cycles"));
    assert!(
        fast.iter().zip(&slow).all(|(f, s)| f < s),
        "O = 4: {fast:?}, O = 1: {slow:?}"
    );
    for s in ev["subs"].as_array().unwrap() {
        let e = s["estimate_error_pct"].as_f64().unwrap();
        assert!(e.abs() < 10.0, "{s}");
    }
    println!(
        "slots.ron: {fast:?} cycles (alone {:?}, channel {:.3}); duo.ron: {slow:?} (alone {:?}, channel {:.3})",
        field(&ev, "alone_cycles"),
        ev["channel_utilization"].as_f64().unwrap(),
        field(&one, "alone_cycles"),
        one["channel_utilization"].as_f64().unwrap(),
    );
}

#[test]
fn bad_system_files_name_file_and_field() {
    for (file, field) in [
        ("system_mixed_dram.ron", "subs[1]"),
        ("system_unknown_field.ron", "subs[0].worklaods"),
        ("system_missing_arch.ron", "subs[1].arch"),
        (
            "system_outstanding.ron",
            "subs[0].arch.dram.outstanding_transfers",
        ),
    ] {
        let f = path(&format!("tests/bad/{file}"));
        let o = tessera(&["system", &f]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(o.stdout.is_empty());
        assert!(err.contains(file) && err.contains(field), "{file}: {err}");
    }
}
