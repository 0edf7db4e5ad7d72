//! RTL ≡ cycle simulator: the generated Verilog under Verilator and the simulator run the same
//! program on the same DRAM image; outputs must be bit-exact (and equal the reference executor's),
//! cycle counts equal. Covers the issue's matrix (1×1 … 16×16, GEMMs that are multiples of nothing,
//! DRAM settings that stall the array) and random small designs.

use tessera::verify::{verify, VerifyOptions};
use tessera::MappingChoice;
use tessera_arch::spec::DramSpec;
use tessera_arch::{builtin, Arch, ArchSpec};
use tessera_mapping::Mapping;
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_workloads::data::SplitMix64;
use tessera_workloads::{Gemm, Layer, Workload};

fn gemm(m: u32, k: u32, n: u32) -> Workload {
    Workload {
        name: "w".into(),
        layers: vec![Layer::Gemm(Gemm::new("g", m, k, n))],
    }
}

fn with_dram(name: &str, bpc: i64, lat: i64) -> Arch {
    let mut s = builtin::arch_spec(name).unwrap();
    s.name = format!("{name}_slow");
    s.dram = DramSpec {
        bytes_per_cycle: bpc,
        latency_cycles: lat,
    };
    s.validate().unwrap()
}

fn check(arch: &Arch, w: &Workload, engine: Engine, mapping: MappingChoice) {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let o = VerifyOptions {
        engine,
        contract: Default::default(),
        seed: 7,
        trace: false,
        mapping,
    };
    let r = verify(arch, w, &o, &tools).unwrap();
    assert!(r.bit_exact, "{}: outputs differ: {r:?}", arch.name);
    assert_eq!(r.sim_cycles, r.rtl_cycles, "{}: cycles differ", arch.name);
    assert!(r.passed);
    // The stalling configurations must really stall the array.
    assert!(r.sim_cycles > 0);
}

#[test]
fn issue_matrix_37x50x19() {
    for a in ["ws_1x1", "ws_2x3", "ws_4x4", "ws_8x8", "ws_16x16"] {
        check(
            &builtin::arch(a).unwrap(),
            &gemm(37, 50, 19),
            Engine::Event,
            MappingChoice::Default,
        );
    }
}

#[test]
fn stepped_engine_on_the_matrix() {
    for a in ["ws_1x1", "ws_2x3", "ws_4x4", "ws_8x8"] {
        check(
            &builtin::arch(a).unwrap(),
            &gemm(37, 50, 19),
            Engine::Stepped,
            MappingChoice::Default,
        );
    }
}

#[test]
fn dram_settings_that_stall_the_array() {
    // 1 B/cycle and a long latency: the DMA is the bottleneck, the array waits.
    for (a, bpc, lat) in [
        ("ws_4x4", 1, 60),
        ("ws_2x3", 1, 17),
        ("ws_8x8", 2, 100),
        ("ws_16x16", 5, 150),
    ] {
        let arch = with_dram(a, bpc, lat);
        let w = gemm(37, 50, 19);
        let g = Gemm::new("g", 37, 50, 19);
        let run = tessera_sim::run_layer(
            &g,
            &arch,
            &Mapping::default_for(&g, &arch),
            7,
            &Default::default(),
        )
        .unwrap();
        // DMA-bound: the array idles waiting for data for most of the run.
        let u = run.report.units;
        assert!(
            u.dma_busy_cycles > u.compute_busy_cycles,
            "{a}: the array must stall: {u:?}"
        );
        assert!(
            run.report.cycles.get() > 2 * u.compute_busy_cycles,
            "{a}: the array must stall: {u:?}"
        );
        check(&arch, &w, Engine::Event, MappingChoice::Default);
    }
    check(
        &with_dram("ws_4x4", 1, 60),
        &gemm(37, 50, 19),
        Engine::Stepped,
        MappingChoice::Default,
    );
}

#[test]
fn single_banked_buffers_run_sequentially_and_verify() {
    let mut s = builtin::arch_spec("ws_4x4").unwrap();
    s.name = "ws_4x4_1bank".into();
    s.buffers.input.banks = 1;
    check(
        &s.validate().unwrap(),
        &gemm(37, 50, 19),
        Engine::Event,
        MappingChoice::Default,
    );
}

/// At least five random designs and GEMMs under Verilator (deterministic draws, so a failure is
/// reproducible by its index).
#[test]
fn random_designs_verify() {
    let mut rng = SplitMix64::new(0x7e55e7a);
    let mut pick = |lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
    for i in 0..6 {
        let (rows, cols) = (pick(1, 6) as i64, pick(1, 6) as i64);
        let banks = pick(1, 2) as i64;
        let bytes = [
            rows * banks * pick(8, 40) as i64,
            cols * banks * rows * pick(1, 3) as i64,
            4 * cols * banks * pick(8, 64) as i64,
        ];
        let spec = ArchSpec::ws(
            &format!("rand{i}"),
            rows,
            cols,
            bytes,
            banks,
            pick(1, 24) as i64,
            pick(1, 40) as i64,
        );
        let arch = spec.validate().unwrap();
        let g = Gemm::new(
            "g",
            pick(1, 50) as u32,
            pick(1, 40) as u32,
            pick(1, 30) as u32,
        );
        let cands = Mapping::candidates(&g, &arch);
        let mp = cands[pick(0, cands.len() as u64 - 1) as usize];
        let w = Workload {
            name: "w".into(),
            layers: vec![Layer::Gemm(g)],
        };
        let engine = if i % 2 == 0 {
            Engine::Event
        } else {
            Engine::Stepped
        };
        check(
            &arch,
            &w,
            engine,
            MappingChoice::Fixed {
                tile_m: mp.tile_m,
                tile_n: mp.tile_n,
            },
        );
    }
}

#[test]
fn traces_agree_and_a_contract_fault_is_found_at_its_first_event() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let arch = with_dram("ws_2x3", 2, 9);
    let w = gemm(9, 7, 5);
    for engine in [Engine::Stepped, Engine::Event] {
        let o = VerifyOptions {
            engine,
            contract: Default::default(),
            seed: 3,
            trace: true,
            mapping: MappingChoice::Default,
        };
        let r = verify(&arch, &w, &o, &tools).unwrap();
        assert!(r.passed, "{r:?}");
        assert_eq!(
            r.layers[0].first_divergence, None,
            "traces must be identical"
        );
    }
    // One latency changed in the simulator's copy of the contract: COMPUTE one cycle longer.
    let o = VerifyOptions {
        engine: Engine::Stepped,
        contract: tessera_sim::contract::Contract::with_fault(1),
        seed: 3,
        trace: true,
        mapping: MappingChoice::Default,
    };
    let r = verify(&arch, &w, &o, &tools).unwrap();
    assert!(!r.cycles_equal);
    let d = r.layers[0]
        .first_divergence
        .as_deref()
        .expect("the diff must find the fault");
    // The first affected event is the first COMPUTE's `compute done`: the RTL's is one cycle earlier.
    let first = d.lines().find(|l| l.starts_with("  - ")).unwrap();
    assert!(first.ends_with("compute done"), "{d}");
    let rtl = d.lines().find(|l| l.starts_with("  + ")).unwrap();
    assert!(
        rtl.contains("dma") || rtl.contains("compute done") || rtl.contains("ctrl"),
        "{d}"
    );
}
