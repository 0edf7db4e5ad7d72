//! The templates of published designs (`arch/builtin/templates/`): each one validates, says what it
//! approximates in every report, and runs a layer of a real network through every stage — estimate,
//! cycle simulation (outputs checked), validation (analytical = simulated), export (lint-clean,
//! latch-free) and verify under Verilator (bit-exact, cycle-equal).

use tessera_arch::builtin;
use tessera_mapping::MappingSpec;
use tessera_sim::workload::{estimate, simulate, validate};
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::{export, verify, VerifyOptions};

/// The templates, one test each so that the test harness runs them side by side.
const TESTED: [&str; 5] = [
    "tpu_like",
    "gemmini",
    "nvdla_like",
    "shidiannao_like",
    "eyeriss_like",
];

#[test]
fn every_template_has_its_test() {
    let names: Vec<&str> = builtin::TEMPLATES.iter().map(|t| t.0).collect();
    assert_eq!(names, TESTED);
}

#[test]
fn tpu_like_runs_a_real_layer_through_every_stage() {
    runs_a_real_layer_through_every_stage("tpu_like");
}

#[test]
fn gemmini_runs_a_real_layer_through_every_stage() {
    runs_a_real_layer_through_every_stage("gemmini");
}

#[test]
fn nvdla_like_runs_a_real_layer_through_every_stage() {
    runs_a_real_layer_through_every_stage("nvdla_like");
}

#[test]
fn shidiannao_like_runs_a_real_layer_through_every_stage() {
    runs_a_real_layer_through_every_stage("shidiannao_like");
}

#[test]
fn eyeriss_like_runs_a_real_layer_through_every_stage() {
    runs_a_real_layer_through_every_stage("eyeriss_like");
}

fn runs_a_real_layer_through_every_stage(name: &str) {
    // DQN's last convolution (64 -> 64 channels, 3x3, on 9x9) and ResNet-18's last one
    let dqn = tessera_workloads::builtin::workload("dqn").unwrap();
    let conv3 = dqn.select("conv3").unwrap();
    let resnet = tessera_workloads::builtin::workload("resnet18").unwrap();
    let r18 = resnet.select("layer4_1_conv2").unwrap();
    let tools = tools_for_tests(false);
    let arch = builtin::arch(name).unwrap();
    let note = arch
        .note()
        .expect("every template names what it approximates");
    assert!(note.len() > 20, "{name}: {note}");
    let spec = MappingSpec::default();
    for w in [&conv3, &r18] {
        let e = estimate(&arch, w, &spec).unwrap();
        assert_eq!(e.arch_note.as_deref(), Some(note));
        assert!(e.totals.cycles > 0);
        let v = validate(&[(arch.clone(), w.clone())], &spec, 1).unwrap();
        assert!(v.passed, "{name}: {v:?}");
        assert_eq!(v.cases[0].arch_note.as_deref(), Some(note));
        assert_eq!(v.max_abs_error_pct, 0.0, "{name}");
    }
    let (s, _) = simulate(&arch, &conv3, &spec, Engine::Event, 1, false).unwrap();
    assert!(s.layers.iter().all(|l| l.matches_reference), "{name}");
    assert_eq!(s.arch_note.as_deref(), Some(note));
    let Some(tools) = &tools else { return };
    let dir = tempfile::tempdir().unwrap();
    // synthesis (the latch check) on the arrays up to 16x16 of one-operand PEs. Left out: the
    // 32x32 one (tpu_like: half a minute, rendered from the same templates as gemmini, synthesised
    // here) and eyeriss_like's 168 PEs with 224-operand register files (0.9 M cells, a minute and
    // 0.7 GB; its templates are synthesised on row-stationary arrays by
    // verif/tests/it/lint_synth.rs, register files of 6 and 255 operands)
    let synth = arch.pes() <= 256 && arch.pes() * u64::from(arch.rf_weights().max(1)) <= 256;
    let x = export(&arch, dir.path(), synth, tools).unwrap();
    if synth {
        assert_eq!(x.synth.as_ref().map(|s| s.latches), Some(0), "{name}");
    }
    let r = verify(&arch, &conv3, &VerifyOptions::default(), tools).unwrap();
    assert!(r.passed, "{name}: {r:?}");
    assert_eq!(r.sim_cycles, r.rtl_cycles);
    assert_eq!(r.arch_note.as_deref(), Some(note));
}
