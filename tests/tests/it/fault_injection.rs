//! A deliberate fault in the contract the event engine runs on (every COMPUTE one cycle longer) must
//! show up in the trace diff against the stepped engine (which does not read the contract) exactly at
//! the first affected event: the first `compute done`. Both dataflows.

use tessera_mapping::Mapping;
use tessera_sim::contract::Contract;
use tessera_sim::trace::first_divergence;
use tessera_sim::{run_layer, Engine, SimOptions};
use tessera_workloads::Gemm;

#[test]
fn trace_diff_points_at_the_first_affected_event() {
    for name in ["ws_4x4", "os_4x4"] {
        first_divergence_is_the_first_compute_done(name);
    }
}

fn first_divergence_is_the_first_compute_done(name: &str) {
    let arch = tessera_arch::builtin::arch(name).unwrap();
    let g = Gemm::new("g", 37, 50, 19);
    let m = Mapping::default_for(&g, &arch);
    let lines = |o: SimOptions| -> Vec<String> {
        run_layer(&tessera_workloads::Layer::Gemm(g.clone()), &arch, &m, 3, &o)
            .unwrap()
            .trace
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect()
    };
    let good = lines(SimOptions {
        engine: Engine::Stepped,
        trace: true,
        ..Default::default()
    });
    let bad = lines(SimOptions {
        engine: Engine::Event,
        trace: true,
        contract: Contract::with_fault(1),
        ..Default::default()
    });
    let d = first_divergence(&good, &bad, 2).expect("the fault must change the trace");
    let first_done = good
        .iter()
        .position(|l| l.ends_with("compute done"))
        .unwrap();
    assert_eq!(d.index, first_done, "{d}");
    // The faulty engine's first `compute done` is the same event one cycle later (other events of
    // that cycle may come before it in the canonical order).
    let c: u64 = good[first_done].split(' ').next().unwrap().parse().unwrap();
    let bad_done = bad.iter().find(|l| l.ends_with("compute done")).unwrap();
    assert_eq!(bad_done, &format!("{} compute done", c + 1), "{name}: {d}");
}
