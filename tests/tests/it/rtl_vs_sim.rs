//! RTL ≡ cycle simulator, for every dataflow: the generated Verilog under Verilator and the simulator
//! run the same program on the same DRAM image; outputs must be bit-exact (and equal the reference
//! executor's), cycle counts equal, the lint clean. Covers the matrix (1×1 … 16×16, GEMMs that are
//! multiples of nothing, DRAM settings that stall the array, single-banked buffers) and random small
//! designs, with both simulator engines.

use tessera_arch::spec::DramSpec;
use tessera_arch::{builtin, Arch, ArchSpec, Dataflow};
use tessera_mapping::{Keep, Mapping, MappingSpec};
use tessera_sim::Engine;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::{verify, VerifyOptions};
use tessera_workloads::data::SplitMix64;
use tessera_workloads::{Conv2d, Gemm, Layer, MatMul, Workload};

const DATAFLOWS: [(Dataflow, &str); 3] = [
    (Dataflow::WeightStationary, "ws"),
    (Dataflow::OutputStationary, "os"),
    (Dataflow::InputStationary, "is"),
];

/// A random design's spec in dataflow `df`: on an input-stationary array the input buffer holds
/// the stationary operand and the weight buffer the streamed one, so their capacities (drawn for
/// a weight-stationary array) swap.
fn in_dataflow(s: ArchSpec, df: Dataflow) -> ArchSpec {
    let mut s = s.with_dataflow(df);
    if df == Dataflow::InputStationary {
        std::mem::swap(&mut s.buffers.input, &mut s.buffers.weight);
    }
    s
}

fn gemm(m: u32, k: u32, n: u32) -> Workload {
    Workload::of_layers("w", vec![Layer::Gemm(Gemm::new("g", m, k, n))])
}

fn with_dram(name: &str, bpc: i64, lat: i64) -> Arch {
    let mut s = builtin::arch_spec(name).unwrap();
    s.name = format!("{name}_slow");
    s.dram = DramSpec {
        bytes_per_cycle: bpc,
        latency_cycles: lat,
        outstanding_transfers: None,
        words_per_cycle: None,
    };
    s.validate().unwrap()
}

fn fixed(m: &Mapping) -> MappingSpec {
    MappingSpec {
        tile_m: Some(m.tile_m.into()),
        tile_k: Some(m.tile_k.into()),
        tile_n: Some(m.tile_n.into()),
        ..MappingSpec::default()
    }
}

fn check(arch: &Arch, w: &Workload, engine: Engine, mapping: MappingSpec) {
    check_with(arch, w, engine, mapping, false);
}

/// [`check`], with the event traces compared too when `trace`.
fn check_with(arch: &Arch, w: &Workload, engine: Engine, mapping: MappingSpec, trace: bool) {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let o = VerifyOptions {
        engine,
        seed: 7,
        mapping,
        trace,
        ..VerifyOptions::default()
    };
    let r = verify(arch, w, &o, &tools).unwrap();
    assert!(r.bit_exact, "{}: outputs differ: {r:?}", arch.name());
    assert_eq!(r.sim_cycles, r.rtl_cycles, "{}: cycles differ", arch.name());
    assert!(r.lint_clean, "{}: {}", arch.name(), r.lint);
    for l in &r.layers {
        assert_eq!(
            l.first_divergence,
            None,
            "{}: {}: traces differ",
            arch.name(),
            l.layer
        );
    }
    assert!(r.passed);
}

#[test]
fn matrix_37x50x19() {
    for (_, df) in DATAFLOWS {
        for size in ["1x1", "2x3", "4x4", "8x8", "16x16"] {
            check(
                &builtin::arch(&format!("{df}_{size}")).unwrap(),
                &gemm(37, 50, 19),
                Engine::Event,
                MappingSpec::default(),
            );
        }
    }
}

#[test]
fn stepped_engine_on_the_matrix() {
    for (_, df) in DATAFLOWS {
        for size in ["1x1", "2x3", "4x4", "8x8"] {
            check(
                &builtin::arch(&format!("{df}_{size}")).unwrap(),
                &gemm(37, 50, 19),
                Engine::Stepped,
                MappingSpec::default(),
            );
        }
    }
}

#[test]
fn dram_settings_that_stall_the_array() {
    // 1 B/cycle and a long latency: the DMA is the bottleneck, the array waits.
    for (_, df) in DATAFLOWS {
        // input-stationary on the 2×3 array runs many short tiles (two preloaded rows, three output
        // lanes), so it takes a longer latency before the DMA leaves the array idle most of the run
        let lat_2x3 = if df == "is" { 30 } else { 17 };
        for (size, bpc, lat) in [
            ("4x4", 1, 60),
            ("2x3", 1, lat_2x3),
            ("8x8", 2, 100),
            ("16x16", 5, 150),
        ] {
            let arch = with_dram(&format!("{df}_{size}"), bpc, lat);
            let w = gemm(37, 50, 19);
            let g = Gemm::new("g", 37, 50, 19);
            let run = tessera_sim::run_layer(
                &Layer::Gemm(g.clone()),
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
                "{}: the array must stall: {u:?}",
                arch.name()
            );
            assert!(
                run.report.cycles.get() > 2 * u.compute_busy_cycles,
                "{}: the array must stall: {u:?}",
                arch.name()
            );
            check(&arch, &w, Engine::Event, MappingSpec::default());
        }
        check(
            &with_dram(&format!("{df}_4x4"), 1, 60),
            &gemm(37, 50, 19),
            Engine::Stepped,
            MappingSpec::default(),
        );
    }
}

#[test]
fn single_banked_buffers_run_sequentially_and_verify() {
    for (_, df) in DATAFLOWS {
        let mut s = builtin::arch_spec(&format!("{df}_4x4")).unwrap();
        s.name = format!("{df}_4x4_1bank");
        s.buffers.input.banks = 1;
        check(
            &s.validate().unwrap(),
            &gemm(37, 50, 19),
            Engine::Event,
            MappingSpec::default(),
        );
    }
}

/// docs/TIMING.md, "Single-ported banks": input and weight banks with one read-write port, RTL ≡
/// simulator (bit-exact, equal cycles, equal event traces) under the default mapping on a GEMM
/// and a gathered convolution: weight-stationary 4×4 with double-buffered weights and two words
/// per cycle (two one-port SRAMs per bank), output-stationary 4×4 with double-buffered sums,
/// input-stationary 2×3, and weight-stationary with one input bank (tiles run alone); each takes
/// the cycles of its two-ported twin. `random_designs_verify` draws single-ported banks too.
#[test]
fn single_ported_banks_verify() {
    let w = Workload::of_layers(
        "w",
        vec![
            Layer::Gemm(Gemm::new("g", 37, 50, 19)),
            conv("c", 3, 7, 7, 5, 3, 2, 1, 1, 1),
        ],
    );
    let one_port = |base: &str, tag: &str, edit: &dyn Fn(&mut ArchSpec)| {
        let mut s = builtin::arch_spec(base)
            .unwrap()
            .with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
        s.name = format!("{base}_1rw{tag}");
        edit(&mut s);
        s.validate().unwrap()
    };
    let designs = [
        one_port("ws_4x4", "_db_p2", &|s| {
            s.array.weight_double_buffer = true;
            s.dram.words_per_cycle = Some(2);
        }),
        one_port("os_4x4", "_db", &|s| s.array.weight_double_buffer = true),
        one_port("is_2x3", "", &|_| {}),
        one_port("ws_4x4", "_1bank", &|s| s.buffers.input.banks = 1),
    ];
    for (i, a) in designs.iter().enumerate() {
        assert!(a.input().single_ported() && a.weight().single_ported());
        let engine = if i % 2 == 0 {
            Engine::Stepped
        } else {
            Engine::Event
        };
        check_with(a, &w, engine, MappingSpec::default(), true);
        // the same design with two ports: the same cycles under the same mappings
        let mut s = a.spec().clone();
        s = s.with_operand_ports(tessera_arch::SramPorts::OneReadOneWrite);
        let two = s.validate().unwrap();
        for l in &w.layers {
            let p = tessera_mapping::Problem::new(l, a).unwrap();
            let m = tessera_sim::mapper::map_layer(&p, a, &MappingSpec::default()).unwrap();
            let cycles = |arch: &Arch| {
                tessera_sim::run_layer(l, arch, &m, 7, &tessera_sim::SimOptions::default())
                    .unwrap()
                    .report
                    .cycles
            };
            assert_eq!(cycles(a), cycles(&two), "{}: {}", a.name(), l.name());
        }
    }
}

/// Random designs and GEMMs under Verilator, six per dataflow (deterministic draws, so a failure is
/// reproducible by its index), half with the stepped engine, some with several DMA transfer slots
/// and several words per cycle, and some with the interconnect options of their dataflow.
/// A random small accelerator (`shape` sets its dataflow or options), a random GEMM and one of
/// its mappings at random; `None` when the draw is invalid or nothing fits.
fn random_design(
    pick: &mut impl FnMut(u64, u64) -> u64,
    name: &str,
    banks: i64,
    shape: impl Fn(ArchSpec) -> ArchSpec,
) -> Option<(Arch, Workload, Mapping)> {
    let (rows, cols) = (pick(1, 6) as i64, pick(1, 6) as i64);
    let bytes = [
        rows * banks * pick(8, 40) as i64,
        cols * banks * rows * pick(1, 3) as i64,
        4 * cols * banks * rows.max(pick(8, 64) as i64),
    ];
    let spec = ArchSpec::ws(
        name,
        rows,
        cols,
        bytes,
        banks,
        pick(1, 24) as i64,
        pick(1, 40) as i64,
    );
    let arch = shape(spec).validate().ok()?;
    let g = Gemm::new(
        "g",
        pick(1, 50) as u32,
        pick(1, 40) as u32,
        pick(1, 30) as u32,
    );
    let cands = Mapping::candidates(&g, &arch);
    if cands.is_empty() {
        return None;
    }
    let mp = cands[pick(0, cands.len() as u64 - 1) as usize];
    Some((arch, Workload::of_layers("w", vec![Layer::Gemm(g)]), mp))
}

#[test]
fn random_designs_verify() {
    let mut rng = SplitMix64::new(0x7e55e7a);
    let mut pick = |lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
    // DMA transfers in flight, from a generator of their own (the designs drawn stay those drawn
    // before the option existed): 1, 2 or 4
    let mut slots = SplitMix64::new(0x510757);
    // words per cycle (docs/TIMING.md, "DMA unit and the DRAM port"), from a generator of its own:
    // 1, 2 or 4, kept only where the buffers' banks interleave over that many lanes (the designs
    // drawn stay those drawn before the option existed)
    let mut lanes = SplitMix64::new(0x1a4e5);
    let mut multi = 0;
    // the array's interconnect (docs/TIMING.md, "Interconnect options"), from a generator of its
    // own too: any of the four on weight- and input-stationary arrays, systolic or row and column
    // buses on output-stationary ones
    let mut nocs = SplitMix64::new(0x0c_b0a5);
    let mut several = 0;
    let mut drawn_nocs = vec![];
    // single-ported input and weight banks (docs/TIMING.md, "Single-ported banks"), from a
    // generator of their own too (the designs drawn stay those drawn before the option existed)
    let mut ports = SplitMix64::new(0x1_4e5);
    let mut one_port = 0;
    for (df, short) in DATAFLOWS {
        let mut done = 0;
        while done < 6 {
            let banks = pick(1, 2) as i64;
            let o = [1, 2, 4][(slots.next_u64() % 3) as usize];
            let p = [1, 2, 4][(lanes.next_u64() % 3) as usize];
            let code = nocs.next_u64();
            let noc = tessera_arch::Noc {
                stream: if code & 1 == 1 {
                    tessera_arch::Stream::Broadcast
                } else {
                    tessera_arch::Stream::Systolic
                },
                reduce: if code & 2 == 2 && df != Dataflow::OutputStationary {
                    tessera_arch::Reduce::AdderTree
                } else {
                    tessera_arch::Reduce::Chain
                },
            };
            // double-buffered stationary operands with any interconnect (docs/TIMING.md,
            // "double-buffered weights"; sums on output-stationary arrays, "double-buffered
            // sums"), from the same generator's next bit
            let db = code & 4 == 4;
            let sp = if ports.next_u64() % 2 == 1 {
                tessera_arch::SramPorts::OneReadWrite
            } else {
                tessera_arch::SramPorts::OneReadOneWrite
            };
            let Some((arch, w, mp)) =
                random_design(&mut pick, &format!("rand_{short}{done}"), banks, |s| {
                    let mut s = in_dataflow(s, df)
                        .with_noc(noc)
                        .with_weight_double_buffer(db)
                        .with_operand_ports(sp);
                    s.dram.outstanding_transfers = Some(o);
                    let mut t = s.clone();
                    t.dram.words_per_cycle = Some(p);
                    if t.validate().is_ok() {
                        t
                    } else {
                        s
                    }
                })
            else {
                continue;
            };
            drawn_nocs.push((df, noc, arch.weight_double_buffered()));
            let engine = if done % 2 == 0 {
                Engine::Event
            } else {
                Engine::Stepped
            };
            check(&arch, &w, engine, fixed(&mp));
            several += usize::from(o > 1);
            multi += usize::from(arch.dram().words_per_cycle() > 1);
            one_port += usize::from(arch.input().single_ported());
            done += 1;
        }
    }
    assert!(
        several >= 6,
        "{several} of 18 designs with several transfer slots"
    );
    assert!(
        multi >= 4,
        "{multi} of 18 designs with several words per cycle"
    );
    assert!(
        one_port >= 5,
        "{one_port} of 18 designs with single-ported banks"
    );
    for df in [Dataflow::WeightStationary, Dataflow::OutputStationary] {
        assert!(
            drawn_nocs
                .iter()
                .any(|&(d, n, _)| d == df && n.stream == tessera_arch::Stream::Broadcast),
            "no {df:?} design with buses: {drawn_nocs:?}"
        );
    }
    assert!(
        drawn_nocs.iter().any(|&(_, n, db)| db && !n.is_default()),
        "no double-buffered design with an interconnect option: {drawn_nocs:?}"
    );
    assert!(
        drawn_nocs
            .iter()
            .any(|&(d, _, db)| db && d == Dataflow::OutputStationary),
        "no output-stationary design with double-buffered sums: {drawn_nocs:?}"
    );
}

#[test]
fn traces_agree_and_a_contract_fault_is_found_at_its_first_event() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    for (_, df) in DATAFLOWS {
        let arch = with_dram(&format!("{df}_2x3"), 2, 9);
        let w = gemm(9, 7, 5);
        // one tile of each operand kept: the events around the first COMPUTE below are the
        // ones that mapping gives
        let mapping = MappingSpec {
            keep: Some(Keep::Tiles),
            ..MappingSpec::default()
        };
        for engine in [Engine::Stepped, Engine::Event] {
            let o = VerifyOptions {
                engine,
                seed: 3,
                trace: true,
                mapping: mapping.clone(),
                ..VerifyOptions::default()
            };
            let r = verify(&arch, &w, &o, &tools).unwrap();
            assert!(r.passed, "{r:?}");
            assert_eq!(
                r.layers[0].first_divergence,
                None,
                "{}: traces must be identical",
                arch.name()
            );
        }
        // One latency changed in the contract the event engine runs on: COMPUTE one cycle longer.
        let o = VerifyOptions {
            engine: Engine::Event,
            contract: tessera_sim::contract::Contract::with_fault(1),
            seed: 3,
            trace: true,
            mapping,
        };
        let r = verify(&arch, &w, &o, &tools).unwrap();
        assert!(!r.cycles_equal);
        let d = r.layers[0]
            .first_divergence
            .as_deref()
            .expect("the diff must find the fault");
        // The first affected event is the first COMPUTE's `compute done`, one cycle late in the
        // simulator: the divergence shows it on the simulator's side, or (when another unit's
        // event falls in the cycle it moved past, as a DMA beat does on the input-stationary
        // array, which loads for every COMPUTE) missing from it, on the RTL's side.
        let sim = d.lines().find(|l| l.starts_with("  - ")).unwrap();
        let rtl = d.lines().find(|l| l.starts_with("  + ")).unwrap();
        if df == "is" {
            assert!(
                sim.ends_with("compute done") || rtl.ends_with("compute done"),
                "{d}"
            );
        } else {
            assert!(sim.ends_with("compute done"), "{d}");
        }
    }
}

/// A convolution with square kernel, stride, dilation and padding on both sides.
#[allow(clippy::too_many_arguments)]
fn conv(
    name: &str,
    c: u32,
    h: u32,
    w: u32,
    o: u32,
    k: u32,
    s: u32,
    d: u32,
    p: u32,
    groups: u32,
) -> Layer {
    let out = |x: u32| Conv2d::out_size(x, 2 * p, k, s, d).unwrap();
    Layer::Conv2d(Conv2d {
        name: name.into(),
        batch: 1,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: o,
        kernel: [k, k],
        stride: [s, s],
        dilation: [d, d],
        pad_begin: [p, p],
        pad_end: [p, p],
        groups,
        out_h: out(h),
        out_w: out(w),
    })
}

/// Convolutions run on the accelerator (implicit im2col in the DMA's gather) and batched products:
/// RTL ≡ simulator, bit-exact and cycle-equal, on both dataflows and both engines.
#[test]
fn convolutions_and_batched_products_verify() {
    let layers = vec![
        conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
        conv("dilation2", 4, 10, 10, 6, 3, 1, 2, 2, 1),
        conv("depthwise", 8, 7, 7, 8, 3, 1, 1, 1, 8),
        conv("pointwise", 16, 7, 7, 12, 1, 1, 1, 0, 1),
        conv("grouped_batch2", 4, 6, 5, 6, 3, 2, 1, 1, 2),
        Layer::MatMul(MatMul {
            name: "batched".into(),
            batch: 3,
            m: 5,
            k: 7,
            n: 6,
        }),
    ];
    let mut layers = layers;
    if let Layer::Conv2d(c) = &mut layers[4] {
        c.batch = 2;
    }
    let w = Workload::of_layers("convs", layers);
    for (_, df) in DATAFLOWS {
        for size in ["4x4", "2x3"] {
            let arch = builtin::arch(&format!("{df}_{size}")).unwrap();
            check(&arch, &w, Engine::Event, MappingSpec::default());
        }
        check(
            &builtin::arch(&format!("{df}_4x4")).unwrap(),
            &w,
            Engine::Stepped,
            MappingSpec::default(),
        );
    }
}

/// The whole Nature DQN (three convolutions and two fully connected layers) on 8×8 arrays.
#[test]
fn the_dqn_network_verifies() {
    let w = tessera_workloads::builtin::workload("dqn").unwrap();
    for (_, df) in DATAFLOWS {
        check(
            &builtin::arch(&format!("{df}_8x8")).unwrap(),
            &w,
            Engine::Event,
            MappingSpec::default(),
        );
    }
}

/// The RTL's gather requests themselves, not only the outputs they produce: traced verify of
/// convolutions with padding wider than the kernel reaches, an output row narrower than the array
/// (OW < R, output-stationary), groups with channels per group not a multiple of R, and batch 2,
/// on both dataflows. Any differing request (address, stride, byte run) fails the check.
#[test]
fn gather_requests_equal_the_simulators_event_by_event() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let mut layers = vec![
        conv("bigpad", 3, 5, 6, 4, 3, 2, 1, 3, 1),
        conv("narrow", 5, 7, 3, 6, 3, 1, 2, 1, 1),
        conv("groups", 6, 6, 6, 6, 3, 1, 1, 1, 3),
    ];
    if let Layer::Conv2d(c) = &mut layers[2] {
        c.batch = 2;
    }
    let w = Workload::of_layers("traced", layers);
    for (_, df) in DATAFLOWS {
        let arch = builtin::arch(&format!("{df}_4x4")).unwrap();
        let o = VerifyOptions {
            trace: true,
            seed: 5,
            ..VerifyOptions::default()
        };
        let r = verify(&arch, &w, &o, &tools).unwrap();
        for l in &r.layers {
            assert_eq!(l.first_divergence, None, "{}: {}", arch.name(), l.layer);
        }
        assert!(r.passed, "{r:?}");
    }
}

/// `arch` with the PEs' weights double-buffered (docs/TIMING.md, "double-buffered weights").
fn double_buffered(arch: &Arch) -> Arch {
    let mut s = arch.spec().clone().with_weight_double_buffer(true);
    s.name = format!("{}_db", s.name);
    s.validate().unwrap()
}

/// Arrays with double-buffered stationary operands, whose tiles overlap in the array: random
/// weight- and input-stationary designs and mappings (one and two banks, both engines),
/// convolutions and batched products on both dataflows, and the whole DQN, each RTL ≡ simulator
/// bit-exact and cycle-equal, with identical event traces.
#[test]
fn double_buffered_weights_verify() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let traced = |arch: &Arch, w: &Workload, engine: Engine, mapping: MappingSpec| {
        let o = VerifyOptions {
            engine,
            seed: 5,
            trace: true,
            mapping,
            ..VerifyOptions::default()
        };
        let r = verify(arch, w, &o, &tools).unwrap();
        assert!(r.passed, "{}: {r:?}", arch.name());
        for l in &r.layers {
            assert_eq!(l.first_divergence, None, "{}: traces differ", arch.name());
        }
    };
    let mut rng = SplitMix64::new(0xdb);
    let mut pick = |lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
    let mut done = 0;
    while done < 6 {
        let banks = if done < 5 { 2 } else { 1 };
        // every third design input-stationary (double-buffered inputs)
        let df = if done % 3 == 1 {
            Dataflow::InputStationary
        } else {
            Dataflow::WeightStationary
        };
        let Some((arch, w, mp)) = random_design(&mut pick, &format!("rand_db{done}"), banks, |s| {
            s.with_dataflow(df).with_weight_double_buffer(true)
        }) else {
            continue;
        };
        let engine = if done % 2 == 0 {
            Engine::Event
        } else {
            Engine::Stepped
        };
        traced(&arch, &w, engine, fixed(&mp));
        done += 1;
    }
    let convs = Workload::of_layers(
        "convs",
        vec![
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
            conv("depthwise", 8, 7, 7, 8, 3, 1, 1, 1, 8),
            Layer::MatMul(MatMul {
                name: "batched".into(),
                batch: 3,
                m: 5,
                k: 7,
                n: 6,
            }),
        ],
    );
    traced(
        &double_buffered(&builtin::arch("ws_4x4").unwrap()),
        &convs,
        Engine::Event,
        MappingSpec::default(),
    );
    traced(
        &double_buffered(&builtin::arch("ws_2x3").unwrap()),
        &convs,
        Engine::Stepped,
        MappingSpec::default(),
    );
    traced(
        &double_buffered(&builtin::arch("is_2x3").unwrap()),
        &convs,
        Engine::Event,
        MappingSpec::default(),
    );
    check(
        &double_buffered(&builtin::arch("ws_8x8").unwrap()),
        &tessera_workloads::builtin::workload("dqn").unwrap(),
        Engine::Event,
        MappingSpec::default(),
    );
}

/// `base` (an output-stationary built-in) with double-buffered sums (docs/TIMING.md, "Compute unit:
/// output-stationary with double-buffered sums"), systolic or with row and column buses.
fn os_double_buffered(base: &str, broadcast: bool) -> Arch {
    let mut s = builtin::arch_spec(base)
        .unwrap()
        .with_weight_double_buffer(true)
        .with_noc(tessera_arch::Noc {
            stream: if broadcast {
                tessera_arch::Stream::Broadcast
            } else {
                tessera_arch::Stream::Systolic
            },
            reduce: tessera_arch::Reduce::Chain,
        });
    s.name = format!("{base}_db{}", if broadcast { "b" } else { "s" });
    s.validate().unwrap()
}

/// Output-stationary arrays with double-buffered sums, systolic and with buses: GEMMs with several
/// short K-tiles (one and two k-steps, so each tile's sums land right behind the previous drain)
/// on both engines, and small convolutions and a batched product, each RTL ≡ simulator bit-exact
/// and cycle-equal with identical event traces; the option makes the GEMM faster than without it
/// (the drains overlap the next tiles).
#[test]
fn double_buffered_sums_verify() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let run = |arch: &Arch, w: &Workload, engine: Engine, mapping: MappingSpec| {
        let o = VerifyOptions {
            engine,
            seed: 7,
            trace: true,
            mapping,
            ..VerifyOptions::default()
        };
        let r = verify(arch, w, &o, &tools).unwrap();
        assert!(r.passed, "{}: {r:?}", arch.name());
        for l in &r.layers {
            assert_eq!(l.first_divergence, None, "{}: traces differ", arch.name());
        }
        r.layers.iter().map(|l| l.sim_cycles).sum::<u64>()
    };
    let convs = Workload::of_layers(
        "convs",
        vec![
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
            conv("depthwise", 8, 7, 7, 8, 3, 1, 1, 1, 8),
            Layer::MatMul(MatMul {
                name: "batched".into(),
                batch: 3,
                m: 5,
                k: 7,
                n: 6,
            }),
        ],
    );
    for broadcast in [false, true] {
        for (base, tile_k) in [("os_2x3", 1u32), ("os_2x3", 2), ("os_4x4", 3)] {
            let db = os_double_buffered(base, broadcast);
            let plain = {
                let mut s = db.spec().clone().with_weight_double_buffer(false);
                s.name = format!("{base}_plain");
                s.validate().unwrap()
            };
            let w = gemm(7, 13, 8);
            let mapping = MappingSpec {
                tile_k: Some(tile_k.into()),
                ..MappingSpec::default()
            };
            let engine = if tile_k % 2 == 0 {
                Engine::Stepped
            } else {
                Engine::Event
            };
            let with = run(&db, &w, engine, mapping.clone());
            let without = run(&plain, &w, engine, mapping);
            println!(
                "{}: 7x13x8 tile_k {tile_k}: {with} cycles, {without} without",
                db.name()
            );
            assert!(
                with < without,
                "{}: {with} cycles with double-buffered sums, {without} without",
                db.name()
            );
        }
        run(
            &os_double_buffered("os_2x3", broadcast),
            &convs,
            Engine::Stepped,
            MappingSpec::default(),
        );
        run(
            &os_double_buffered("os_4x4", broadcast),
            &convs,
            Engine::Event,
            MappingSpec::default(),
        );
    }
}

/// `name` with `bits`-bit accumulator lanes (its accumulator's capacity scaled to keep the words).
fn narrow_accumulator(name: &str, bits: i64) -> Arch {
    let mut s = builtin::arch_spec(name)
        .unwrap()
        .with_accumulator_bits(bits);
    s.name = format!("{name}_a{bits}");
    s.buffers.accumulator.capacity_bytes = s.buffers.accumulator.capacity_bytes / 32 * bits;
    s.validate().unwrap()
}

/// Narrower accumulators (docs/TIMING.md, "Accumulator width"): sums wrap at 16 or 24 bits in the
/// PEs, the accumulator and the stored outputs alike, on every dataflow and with double-buffered
/// weights. K = 300 makes the int8 sums overflow 16 bits (the test checks that they do, so the
/// wrap-around is exercised), and the cycles are those of the same words moved at the lane width.
#[test]
fn narrow_accumulators_verify() {
    let w = gemm(9, 300, 7);
    let Layer::Gemm(g) = &w.layers[0] else {
        unreachable!()
    };
    let ops = tessera_workloads::data::Operands::seeded(&w.layers[0], 7);
    let exact = tessera_workloads::exec::run(&w.layers[0], &ops);
    assert!(
        exact.iter().any(|v| i16::try_from(*v).is_err()),
        "{}: no sum overflows 16 bits",
        g.name
    );
    for (_, p) in DATAFLOWS {
        check(
            &narrow_accumulator(&format!("{p}_4x4"), 16),
            &w,
            Engine::Event,
            MappingSpec::default(),
        );
    }
    check(
        &narrow_accumulator("ws_2x3", 24),
        &w,
        Engine::Stepped,
        MappingSpec::default(),
    );
    check(
        &double_buffered(&narrow_accumulator("ws_4x4", 16)),
        &w,
        Engine::Event,
        MappingSpec::default(),
    );
}

/// `arch` with `o` DMA transfers in flight (docs/TIMING.md, "DMA unit and the DRAM port") and a
/// DRAM of `bpc` bytes per cycle and latency `lat`.
fn with_slots(arch: &Arch, o: i64, bpc: i64, lat: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_o{o}", s.name);
    s.dram = DramSpec {
        bytes_per_cycle: bpc,
        latency_cycles: lat,
        outstanding_transfers: Some(o),
        words_per_cycle: None,
    };
    s.validate().unwrap()
}

/// Several DMA transfers in flight, latencies overlapping while the request and beat streams stay
/// in order: 16, 3 and 4 slots on every dataflow (weight-stationary with double-buffered weights), a
/// slow DRAM (2 B/cycle, latency 30, where the slots pay) and a fast one (16 B/cycle, latency 4), a
/// GEMM and a gathered convolution each; RTL ≡ simulator bit-exact and cycle-equal, two with the
/// event traces equal too (one per engine). Each design does run with several transfers in flight
/// (the simulator's run is shorter than with one slot). Two slots, and four on more designs, are
/// drawn by `random_designs_verify`; verif/tests/it/rtl_run.rs checks hand-written programs with two.
#[test]
fn transfer_slots_verify() {
    let w = Workload::of_layers(
        "slots",
        vec![
            Layer::Gemm(Gemm::new("g", 9, 7, 5)),
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
        ],
    );
    let b = |n: &str| builtin::arch(n).unwrap();
    for (arch, engine, trace) in [
        (
            with_slots(&double_buffered(&b("ws_2x3")), 16, 2, 30),
            Engine::Event,
            true,
        ),
        (with_slots(&b("os_2x3"), 3, 2, 30), Engine::Stepped, true),
        (with_slots(&b("is_2x3"), 4, 16, 4), Engine::Event, false),
    ] {
        let d = arch.dram();
        let one = with_slots(
            &arch,
            1,
            i64::from(d.bytes_per_cycle()),
            d.latency().get() as i64,
        );
        let (mut with, mut without) = (0, 0);
        for l in &w.layers {
            let p = tessera_sim::workload::problem_for(l, &arch).unwrap();
            let mp =
                tessera_sim::workload::mapping_for(&p, &arch, &MappingSpec::default()).unwrap();
            let cycles = |a: &Arch| {
                tessera_sim::run_layer(l, a, &mp, 7, &Default::default())
                    .unwrap()
                    .report
                    .cycles
                    .get()
            };
            with += cycles(&arch);
            without += cycles(&one);
        }
        assert!(
            with < without,
            "{}: {with} cycles, {without} with one slot",
            arch.name()
        );
        check_with(&arch, &w, engine, MappingSpec::default(), trace);
    }
}

/// `arch` with LOADs of up to `p` words per cycle (docs/TIMING.md, "DMA unit and the DRAM port"),
/// `o` transfers in flight and a DRAM of `bpc` bytes per cycle and latency `lat`.
fn with_lanes(arch: &Arch, p: i64, o: i64, bpc: i64, lat: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_p{p}", s.name);
    s.dram = DramSpec {
        bytes_per_cycle: bpc,
        latency_cycles: lat,
        outstanding_transfers: Some(o),
        words_per_cycle: Some(p),
    };
    s.validate().unwrap()
}

/// `arch` with `bits`-bit accumulators: narrower accumulator words, STOREs of several per cycle.
fn with_accumulator_bits(arch: &Arch, bits: i64) -> Arch {
    let mut s = arch.spec().clone();
    s.name = format!("{}_a{bits}", s.name);
    s.datatypes.accumulator_bits = bits;
    s.validate().unwrap()
}

/// LOADs and STOREs of several words per cycle (the DMA's request lanes and per-lane gather
/// addresses, the DRAM port's read and write lanes, the word-interleaved buffers, the
/// accumulator's store read lanes): weight-stationary 4×4 with two lanes and 16-bit accumulators
/// (W = 16 B/cycle would allow four 4-byte input words, and takes two 8-byte accumulator words a
/// cycle), output-stationary 2×3 with four lanes, two transfers in flight and 16-bit accumulators
/// (its STOREs move a tile's two 6-byte rows in one cycle at W = 12: two store lanes),
/// input-stationary 4×4 with two lanes at W = 6 (one and a half input words per cycle; its 16-byte
/// accumulator words one per cycle, one store lane); a GEMM and gathered convolutions (strided,
/// dilated, depthwise); RTL ≡ simulator bit-exact, cycle-equal and event-equal, each design runs
/// faster than with one word per cycle, and the two with store lanes present several write beats
/// in one cycle (counted in the simulator's trace, which equals the RTL's).
/// `random_designs_verify` draws two and four lanes too.
#[test]
fn words_per_cycle_verify() {
    let w = Workload::of_layers(
        "lanes",
        vec![
            Layer::Gemm(Gemm::new("g", 23, 13, 11)),
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
            conv("dilation2", 4, 10, 10, 6, 3, 1, 2, 2, 1),
            conv("depthwise", 8, 7, 7, 8, 3, 1, 1, 1, 8),
        ],
    );
    let b = |n: &str| builtin::arch(n).unwrap();
    for (arch, engine, store_lanes) in [
        (
            with_lanes(&with_accumulator_bits(&b("ws_4x4"), 16), 2, 1, 16, 20),
            Engine::Event,
            2,
        ),
        (
            with_lanes(&with_accumulator_bits(&b("os_2x3"), 16), 4, 2, 12, 9),
            Engine::Stepped,
            2,
        ),
        (with_lanes(&b("is_4x4"), 2, 1, 6, 13), Engine::Event, 1),
    ] {
        assert_eq!(arch.store_lanes(), store_lanes, "{}", arch.name());
        let d = arch.dram();
        let one = with_lanes(
            &arch,
            1,
            i64::from(d.outstanding_transfers()),
            i64::from(d.bytes_per_cycle()),
            d.latency().get() as i64,
        );
        let (mut with, mut without, mut multi_beat_cycles) = (0, 0, 0);
        for l in &w.layers {
            let p = tessera_sim::workload::problem_for(l, &arch).unwrap();
            let mp =
                tessera_sim::workload::mapping_for(&p, &arch, &MappingSpec::default()).unwrap();
            let cycles = |a: &Arch| {
                tessera_sim::run_layer(l, a, &mp, 7, &Default::default())
                    .unwrap()
                    .report
                    .cycles
                    .get()
            };
            with += cycles(&arch);
            without += cycles(&one);
            // cycles with more than one write beat, in the trace the RTL's must equal
            let traced = tessera_sim::SimOptions {
                trace: true,
                ..tessera_sim::SimOptions::default()
            };
            let trace = tessera_sim::run_layer(l, &arch, &mp, 7, &traced)
                .unwrap()
                .trace
                .unwrap();
            let mut beats = std::collections::BTreeMap::<u64, u32>::new();
            for e in trace
                .iter()
                .filter(|e| e.unit == "dma" && e.event == "wbeat")
            {
                *beats.entry(e.cycle).or_default() += 1;
            }
            assert!(beats.values().all(|&q| q <= store_lanes));
            multi_beat_cycles += beats.values().filter(|&&q| q > 1).count();
        }
        assert!(
            with < without,
            "{}: {with} cycles, {without} with one word per cycle",
            arch.name()
        );
        assert_eq!(
            multi_beat_cycles > 0,
            store_lanes > 1,
            "{}: {multi_beat_cycles} cycles with several write beats",
            arch.name()
        );
        check_with(&arch, &w, engine, MappingSpec::default(), true);
    }
}

/// Mappings that keep a panel across output tiles (`Keep`, mapping/src/mapping.rs: the other
/// tile-loop order, panel slices at offsets in a buffer half, a new panel in the other half): an
/// A panel across the n-tiles and a B panel across the m-tiles on every dataflow, among them a
/// weight-stationary array whose COMPUTEs overlap (an output tile that loads no input slice is
/// still ordered behind the previous COMPUTE before its stores), on a GEMM and a gathered
/// convolution; RTL ≡ simulator bit-exact, cycle-equal and (on two) event-equal, and each design
/// reads fewer DRAM bytes than the same tiles kept one at a time.
#[test]
fn kept_panels_verify() {
    let w = Workload::of_layers(
        "panels",
        vec![
            Layer::Gemm(Gemm::new("g", 20, 13, 11)),
            conv("stride2_pad1", 3, 9, 9, 8, 3, 2, 1, 1, 1),
        ],
    );
    let b = |n: &str| builtin::arch(n).unwrap();
    let spec = |keep, tile_m: Option<i64>, tile_n: Option<i64>| MappingSpec {
        keep: Some(keep),
        tile_m,
        tile_n,
        ..MappingSpec::default()
    };
    for (arch, mapping, engine, trace) in [
        (
            double_buffered(&b("ws_2x3")),
            spec(Keep::InputPanel, None, Some(3)),
            Engine::Event,
            true,
        ),
        (
            double_buffered(&b("ws_2x3")),
            spec(Keep::WeightPanel, Some(4), None),
            Engine::Stepped,
            true,
        ),
        (
            b("os_2x3"),
            spec(Keep::WeightPanel, None, Some(3)),
            Engine::Event,
            false,
        ),
        (
            b("os_2x3"),
            spec(Keep::InputPanel, None, Some(3)),
            Engine::Stepped,
            false,
        ),
        (
            b("is_2x3"),
            spec(Keep::InputPanel, Some(3), Some(4)),
            Engine::Event,
            false,
        ),
        (
            b("is_2x3"),
            spec(Keep::WeightPanel, Some(3), None),
            Engine::Event,
            false,
        ),
    ] {
        let tiles = MappingSpec {
            keep: Some(Keep::Tiles),
            ..mapping.clone()
        };
        let dram_read = |m: &MappingSpec| -> u64 {
            w.layers
                .iter()
                .map(|l| {
                    let p = tessera_sim::workload::problem_for(l, &arch).unwrap();
                    let mp = tessera_sim::workload::mapping_for(&p, &arch, m).unwrap();
                    assert_eq!(mp.keep, m.keep.unwrap(), "{}", arch.name());
                    tessera_sim::run_layer(l, &arch, &mp, 7, &Default::default())
                        .unwrap()
                        .report
                        .counters
                        .dram_read_bytes
                })
                .sum()
        };
        let (kept, one) = (dram_read(&mapping), dram_read(&tiles));
        assert!(
            kept < one,
            "{} {:?}: {kept} B read, {one} B with one tile of each operand",
            arch.name(),
            mapping.keep
        );
        check_with(&arch, &w, engine, mapping, trace);
    }
}

/// Whether `prog` reads and writes above word 65,535 of every buffer (docs/TIMING.md,
/// "Instructions": 20-bit word addresses, bits 19..16 in the `…_hi` fields): a LOAD and a
/// COMPUTE operand above it in the input and the weight buffer, a COMPUTE result and a STORE above
/// it in the accumulator.
fn above_16_bits_in_every_buffer(prog: &tessera_arch::isa::Program) -> bool {
    use tessera_arch::isa::{Instr, LoadTarget};
    let high = |a: u32| a > u32::from(u16::MAX);
    // [input, weight, accumulator] × [DMA, compute]
    let mut seen = [[false; 2]; 3];
    for ins in &prog.instrs {
        match *ins {
            Instr::Load {
                target, sram_addr, ..
            }
            | Instr::Gather {
                target, sram_addr, ..
            } => seen[(target == LoadTarget::Weight) as usize][0] |= high(sram_addr),
            Instr::Store { sram_addr, .. } => seen[2][0] |= high(sram_addr),
            Instr::Compute {
                in_addr,
                w_addr,
                out_addr,
                ..
            } => {
                seen[0][1] |= high(in_addr);
                seen[1][1] |= high(w_addr);
                seen[2][1] |= high(out_addr);
            }
            _ => {}
        }
    }
    seen.iter().flatten().all(|s| *s)
}

/// Buffers deeper than 65,536 words (20-bit word addresses; the RTL's addresses are as wide as the
/// deepest buffer needs): 1×1 and 2×2 arrays with a few hundred KiB to 4 MiB per buffer in two banks,
/// so the lowering's second half of every buffer (bank 1) starts above word 65,535 — up to the most
/// words a buffer may hold, 2^20 (20-bit RTL addresses; 19 and 18 bits on the others) —, on every
/// dataflow and with double-buffered weights, two with several DMA transfers in flight (a slot
/// keeps `sram_addr_hi`). A GEMM and a gathered convolution each, mapped so that the program reads
/// and writes above word 65,535 of every buffer; RTL ≡ simulator bit-exact and cycle-equal, with
/// the event traces equal too.
#[test]
fn buffers_deeper_than_65536_words_verify() {
    let Some(tools) = tools_for_tests(false) else {
        return;
    };
    let w = Workload::of_layers(
        "deep",
        vec![
            Layer::Gemm(Gemm::new("g", 40, 6, 5)),
            conv("conv_pad1", 3, 6, 6, 4, 3, 1, 1, 1, 1),
        ],
    );
    let deep = |name: &str, n: i64, bytes: [i64; 3], df: Dataflow, db: bool, o: i64| {
        let mut s = ArchSpec::ws(name, n, n, bytes, 2, 8, 9)
            .with_dataflow(df)
            .with_weight_double_buffer(db);
        s.dram.outstanding_transfers = Some(o);
        let a = s.validate().unwrap();
        for b in [a.input(), a.weight(), a.accumulator()] {
            assert!(b.bank_depth() > 1 << 16, "{name}: {b:?}");
        }
        a
    };
    let most = 1i64 << tessera_arch::isa::ADDR_BITS;
    let few = [300_000, 300_000, 1_200_000];
    for (arch, engine) in [
        (
            deep(
                "deep_ws",
                1,
                [most, most, 4 * most],
                Dataflow::WeightStationary,
                false,
                1,
            ),
            Engine::Event,
        ),
        (
            deep("deep_wsdb", 2, few, Dataflow::WeightStationary, true, 1),
            Engine::Stepped,
        ),
        (
            deep("deep_os", 1, few, Dataflow::OutputStationary, false, 2),
            Engine::Event,
        ),
        (
            deep("deep_is", 2, few, Dataflow::InputStationary, false, 4),
            Engine::Event,
        ),
    ] {
        // per layer, the first candidate mapping whose program goes above word 65,535 everywhere
        let mappings: Vec<Mapping> = w
            .layers
            .iter()
            .map(|l| {
                let p = tessera_sim::workload::problem_for(l, &arch).unwrap();
                Mapping::candidates(&p.gemm, &arch)
                    .into_iter()
                    .find(|m| {
                        tessera_mapping::lower(&p, &arch, m)
                            .is_ok_and(|lw| above_16_bits_in_every_buffer(&lw.program))
                    })
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: no mapping of {} above word 65,535",
                            arch.name(),
                            l.name()
                        )
                    })
            })
            .collect();
        let o = VerifyOptions {
            engine,
            seed: 11,
            trace: true,
            ..VerifyOptions::default()
        };
        let r = tessera_verif::verify_with(&arch, &w, &mappings, &o, &tools).unwrap();
        assert!(r.bit_exact, "{}: outputs differ: {r:?}", arch.name());
        assert_eq!(r.sim_cycles, r.rtl_cycles, "{}: cycles differ", arch.name());
        assert!(r.lint_clean, "{}: {}", arch.name(), r.lint);
        for l in &r.layers {
            assert_eq!(l.first_divergence, None, "{}: {}", arch.name(), l.layer);
        }
        assert!(r.passed, "{r:?}");
    }
}

/// Row-stationary designs under Verilator (docs/TIMING.md, "Compute unit: row-stationary"):
/// random small arrays (register files, banks, DRAM, transfer slots, words per cycle, single-ported
/// banks, 16-bit sums) running a random convolution (kernel, stride, dilation, padding, groups) and
/// a GEMM lowered into passes by the mapper — outputs bit-exact, cycles and event traces equal.
#[test]
fn random_row_stationary_designs_verify() {
    let mut rng = SplitMix64::new(0x05ee_d0e5);
    let mut pick = |lo: u64, hi: u64| lo + rng.next_u64() % (hi - lo + 1);
    let (mut done, mut tried, mut strided) = (0, 0, 0);
    while done < 4 {
        tried += 1;
        assert!(tried < 200, "only {done} row-stationary designs drawn");
        let (rows, cols) = (pick(1, 5) as i64, pick(1, 5) as i64);
        let banks = pick(1, 2) as i64;
        let word = rows + cols - 1;
        let mut s = ArchSpec::ws(
            &format!("rand_rs{done}"),
            rows,
            cols,
            [
                word * banks * pick(16, 96) as i64,
                rows * banks * pick(16, 64) as i64,
                4 * cols * banks * pick(16, 64) as i64,
            ],
            banks,
            pick(1, 24) as i64,
            pick(1, 40) as i64,
        )
        .row_stationary(pick(9, 40) as i64);
        s.dram.outstanding_transfers = Some([1, 2][pick(0, 1) as usize]);
        if pick(0, 2) == 0 {
            s = s.with_operand_ports(tessera_arch::SramPorts::OneReadWrite);
        }
        if pick(0, 3) == 0 {
            s.datatypes.accumulator_bits = 16;
        }
        let mut t = s.clone();
        t.dram.words_per_cycle = Some(2);
        let Ok(arch) = t.validate().or_else(|_| s.validate()) else {
            continue;
        };
        let (k, st, d) = (pick(1, 3) as u32, pick(1, 2) as u32, pick(1, 2) as u32);
        let groups = pick(1, 2) as u32;
        let span = (k - 1) * d + 1;
        let side = span + pick(2, 6) as u32;
        let w = Workload::of_layers(
            "w",
            vec![
                conv(
                    "c",
                    groups * pick(1, 3) as u32,
                    side,
                    side,
                    groups * pick(1, 4) as u32,
                    k,
                    st,
                    d,
                    pick(0, 1) as u32,
                    groups,
                ),
                Layer::Gemm(Gemm::new(
                    "g",
                    pick(1, 12) as u32,
                    pick(1, 20) as u32,
                    pick(1, 8) as u32,
                )),
            ],
        );
        // layers the mapper cannot place (nothing fits the buffers) are redrawn
        if w.layers.iter().any(|l| {
            tessera_mapping::Problem::new(l, &arch)
                .and_then(|p| tessera_sim::mapper::map_layer(&p, &arch, &MappingSpec::default()))
                .is_err()
        }) {
            continue;
        }
        let engine = if done % 2 == 0 {
            Engine::Event
        } else {
            Engine::Stepped
        };
        check_with(&arch, &w, engine, MappingSpec::default(), true);
        strided += usize::from(st > 1 || d > 1);
        done += 1;
    }
    assert!(strided >= 1, "no strided or dilated convolution drawn");
}
