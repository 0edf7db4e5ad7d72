//! Other tools' files through every stage: a SCALE-Sim example topology (unchanged, from SCALE-Sim's
//! repository) and configuration are estimated, simulated, validated and searched, and verified under
//! Verilator against the RTL; an ONNX model simulates with outputs checked.

use std::path::{Path, PathBuf};
use tessera_import::{load, Validated};
use tessera_mapping::MappingSpec;
use tessera_search::{search, Objective, SearchConfig, Strategy};
use tessera_sim::workload::{estimate, simulate, validate};
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::{verify, VerifyOptions};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../import/tests/data")
        .join(name)
}

fn workload(name: &str) -> tessera_workloads::Workload {
    match load(data(name)).unwrap().validate().unwrap() {
        Validated::Workload(w) => w,
        Validated::Arch(_) => panic!("{name} is not a workload"),
    }
}

fn arch_of(path: &Path) -> tessera_arch::Arch {
    match load(path).unwrap().validate().unwrap() {
        Validated::Arch(a) => *a,
        Validated::Workload(_) => panic!("{} is not an accelerator", path.display()),
    }
}

#[test]
fn a_scalesim_topology_goes_through_every_stage() {
    // SCALE-Sim's own example: one 3×3 convolution, 7×7×192 → 384, on its 32×32 OS configuration.
    let w = workload("scalesim/test.csv");
    let scale = arch_of(&data("scalesim/scale.cfg"));
    let spec = MappingSpec::default();
    let e = estimate(&scale, &w, &spec).unwrap();
    // a valid 3×3 convolution of a 7×7 map: 5×5 outputs × 384 filters × 3·3·192
    assert_eq!(e.totals.macs, 5 * 5 * 384 * 3 * 3 * 192);
    let (s, _) = simulate(&scale, &w, &spec, Engine::Event, 1, false).unwrap();
    assert!(s.matches_reference);
    let v = validate(&[(scale.clone(), w.clone())], &spec, 1).unwrap();
    assert!(v.passed, "{v:?}");
    assert_eq!(v.cases[0].analytical_cycles, v.cases[0].cycle_sim_cycles);
    let config = SearchConfig {
        strategy: Strategy::Random,
        evaluations: 8,
        objective: Objective::Edp,
        ..SearchConfig::default_for(&scale)
    };
    let r = search(&config, &scale, &w).unwrap();
    assert!(r.best.simulated.cycles > 0 && r.best.cycle_error_pct == 0.0);

    // The same topology on a SCALE-Sim configuration small enough to verify under Verilator quickly
    // (the file format as SCALE-Sim writes it), in both of its dataflows.
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    for df in ["ws", "os"] {
        let dir = std::env::temp_dir().join(format!("tessera-imports-{}-{df}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join(format!("small_{df}.cfg"));
        std::fs::write(
            &cfg,
            format!(
                "[general]\nrun_name = small_{df}\n\n[architecture_presets]\nArrayHeight:    4\n\
                 ArrayWidth:     4\nIfmapSramSzkB:   4\nFilterSramSzkB:  4\nOfmapSramSzkB:   16\n\
                 IfmapOffset:    0\nFilterOffset:   10000000\nOfmapOffset:    20000000\n\
                 Bandwidth : 10\nDataflow : {df}\nMemoryBanks:   1\n"
            ),
        )
        .unwrap();
        let small = arch_of(&cfg);
        let _ = std::fs::remove_dir_all(&dir);
        let r = verify(&small, &w, &VerifyOptions::default(), &tools).unwrap();
        assert!(r.passed, "{df}: {r:?}");
    }
}

#[test]
fn an_onnx_model_simulates_with_checked_outputs() {
    let w = workload("small_cnn.onnx");
    assert!(w.layers.len() >= 4 && !w.ops.is_empty());
    for a in ["ws_4x4", "os_8x8"] {
        let arch = tessera_arch::builtin::arch(a).unwrap();
        let (s, _) = simulate(&arch, &w, &MappingSpec::default(), Engine::Event, 3, false).unwrap();
        assert!(s.matches_reference, "{a}");
        assert_eq!(s.not_modelled.ops.len(), w.ops.len());
    }
}
