//! Cross-engine tests: the stepped and event-level engines agree bit for bit and cycle for cycle,
//! both match the reference executor, and the analytical model's counters equal the simulator's.

use proptest::prelude::*;
use tessera_arch::{Arch, ArchSpec};
use tessera_mapping::Mapping;
use tessera_sim::{estimate, run_layer, Engine, SimOptions};
use tessera_workloads::Gemm;

pub fn small_arch(
    rows: i64,
    cols: i64,
    banks: i64,
    bpc: i64,
    lat: i64,
    in_words: i64,
    acc_words: i64,
) -> Arch {
    let bytes = [
        rows * in_words * banks,
        cols * rows * banks,
        4 * cols * acc_words * banks,
    ];
    ArchSpec::ws("prop", rows, cols, bytes, banks, bpc, lat)
        .validate()
        .unwrap()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

fn check(arch: &Arch, g: &Gemm, mapping: &Mapping, seed: u64) -> Result<(), TestCaseError> {
    let ev = run_layer(
        g,
        arch,
        mapping,
        seed,
        &SimOptions {
            engine: Engine::Event,
            trace: true,
            ..Default::default()
        },
    )
    .unwrap();
    let st = run_layer(
        g,
        arch,
        mapping,
        seed,
        &SimOptions {
            engine: Engine::Stepped,
            trace: true,
            ..Default::default()
        },
    )
    .unwrap();
    prop_assert!(
        st.matches_reference,
        "stepped engine output differs from the reference"
    );
    prop_assert!(
        ev.matches_reference,
        "event engine output differs from the reference"
    );
    prop_assert_eq!(&st.output, &ev.output);
    prop_assert_eq!(st.report.cycles, ev.report.cycles);
    prop_assert_eq!(st.report.counters, ev.report.counters);
    prop_assert_eq!(st.report.units, ev.report.units);
    let ts: Vec<String> = st.trace.unwrap().iter().map(|e| e.to_string()).collect();
    let te: Vec<String> = ev.trace.unwrap().iter().map(|e| e.to_string()).collect();
    if let Some(d) = tessera_sim::trace::first_divergence(&ts, &te, 3) {
        return Err(TestCaseError::fail(format!("stepped vs event traces: {d}")));
    }
    let est = estimate(g, arch, mapping).unwrap();
    prop_assert_eq!(
        est.counters,
        st.report.counters,
        "analytical counters differ from the simulator's"
    );
    Ok(())
}

proptest! {
    // 48 cases by default (CI); PROPTEST_CASES=300 for a longer local run.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn stepped_and_event_engines_agree(
        rows in 1i64..6, cols in 1i64..6, banks in 1i64..3, bpc in 1i64..20, lat in 1i64..25,
        m in 1u32..24, k in 1u32..20, n in 1u32..20, tm_frac in 0.0f64..1.0, seed: u64,
    ) {
        let arch = small_arch(rows, cols, banks, bpc, lat, 16, 48);
        let g = Gemm::new("g", m, k, n);
        let cands = Mapping::candidates(&g, &arch);
        let mapping = cands[((cands.len() - 1) as f64 * tm_frac) as usize];
        check(&arch, &g, &mapping, seed)?;
    }
}

#[test]
fn issue_example_37x50x19_on_builtins() {
    for name in ["ws_1x1", "ws_2x3", "ws_4x4", "ws_8x8"] {
        let arch = tessera_arch::builtin::arch(name).unwrap();
        let g = Gemm::new("g", 37, 50, 19);
        check(&arch, &g, &Mapping::default_for(&g, &arch), 1).unwrap();
    }
}
