//! The mapper against the cycle simulator: on layers whose mapping space is enumerable (every free
//! tile has at most `tessera_mapping::space::EXHAUSTIVE` values, so the space is every valid
//! mapping), simulate every mapping with the event engine; the mapper's choice (by the analytical
//! model alone) must be the fastest of them — the true optimum under the cycle simulator — and
//! simulate to the cycle count the model predicted. Also: the mapper keeps pinned tiles.

use tessera_arch::{builtin, ArchSpec, Dataflow};
use tessera_mapping::{Mapping, MappingSpec, Objective, Problem};
use tessera_sim::mapper::{best_mapping, map_layer};
use tessera_sim::{run_layer, Engine, SimOptions};
use tessera_workloads::{Conv2d, Gemm, Layer};

fn archs() -> Vec<tessera_arch::Arch> {
    let mut v = vec![];
    for df in Dataflow::SUPPORTED {
        for (name, bytes, banks, bpc, lat) in [
            ("a", [96, 96, 480], 2, 4, 10),
            ("b", [64, 66, 960], 1, 2, 5),
            ("c", [256, 96, 768], 2, 16, 30),
        ] {
            // input-stationary: the stationary operand's buffer (C-byte words) is the input
            let [i, w, a] = bytes;
            let bytes = if df == Dataflow::InputStationary {
                [w, i, a]
            } else {
                [i, w, a]
            };
            v.push(
                ArchSpec::ws(name, 4, 3, bytes, banks, bpc, lat)
                    .with_dataflow(df)
                    .validate()
                    .unwrap(),
            );
        }
    }
    v
}

fn layers() -> Vec<Layer> {
    vec![
        Layer::Gemm(Gemm::new("g1", 23, 19, 17)),
        Layer::Gemm(Gemm::new("g2", 40, 9, 30)),
        Layer::Conv2d(Conv2d {
            name: "conv".into(),
            batch: 1,
            in_channels: 3,
            in_h: 7,
            in_w: 6,
            out_channels: 7,
            kernel: [3, 3],
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [1, 1],
            pad_end: [1, 1],
            groups: 1,
            out_h: 7,
            out_w: 6,
        }),
    ]
}

#[test]
fn the_mappers_choice_is_the_fastest_under_the_cycle_simulator() {
    let opts = SimOptions {
        engine: Engine::Event,
        ..SimOptions::default()
    };
    let mut checked = 0;
    for arch in &archs() {
        for layer in &layers() {
            let p = Problem::new(layer, arch).unwrap();
            let space = Mapping::candidates(&p.gemm, arch);
            assert!(!space.is_empty(), "{} {}", arch.name(), layer.name());
            let mut best: Option<(u64, Mapping)> = None;
            for m in &space {
                let c = run_layer(layer, arch, m, 1, &opts)
                    .unwrap()
                    .report
                    .cycles
                    .get();
                if best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, *m));
                }
            }
            let (fastest, _) = best.unwrap();
            let chosen = best_mapping(&p, arch, Objective::Latency).unwrap();
            let run = run_layer(layer, arch, &chosen.mapping, 1, &opts).unwrap();
            assert!(run.matches_reference);
            assert_eq!(
                run.report.cycles.get(),
                chosen.estimate.cycles.get(),
                "model and simulator disagree"
            );
            assert_eq!(
                run.report.cycles.get(),
                fastest,
                "{} on {}: mapper chose {:?}",
                layer.name(),
                arch.name(),
                chosen.mapping
            );
            checked += space.len();
        }
    }
    assert!(checked > 300, "{checked} mappings simulated");
}

#[test]
fn pinned_tiles_are_kept_and_the_rest_searched() {
    let arch = builtin::arch("ws_8x8").unwrap();
    let p = Problem::gemm(&Gemm::new("g", 128, 768, 768), &arch);
    let spec = MappingSpec {
        tile_n: Some(16),
        ..MappingSpec::default()
    };
    let m = map_layer(&p, &arch, &spec).unwrap();
    assert_eq!(m.tile_n, 16);
    // the best of every mapping with that width
    for cand in Mapping::candidates(&p.gemm, &arch)
        .into_iter()
        .filter(|c| c.tile_n == 16)
    {
        let a = tessera_sim::estimate(&p, &arch, &cand).unwrap().cycles;
        let b = tessera_sim::estimate(&p, &arch, &m).unwrap().cycles;
        assert!(b <= a, "{cand:?}");
    }
    // nothing given: the mapper's choice is at least as fast as any pinned one
    let free = map_layer(&p, &arch, &MappingSpec::default()).unwrap();
    let e = |m: &Mapping| tessera_sim::estimate(&p, &arch, m).unwrap().cycles;
    assert!(e(&free) <= e(&m));
    // a complete mapping is taken as given
    let full = MappingSpec {
        tile_m: Some(64),
        tile_n: Some(24),
        ..MappingSpec::default()
    };
    let m = map_layer(&p, &arch, &full).unwrap();
    assert_eq!((m.tile_m, m.tile_n), (64, 24));
    // a wrong pinned tile names its field
    let bad = MappingSpec {
        tile_n: Some(12),
        ..MappingSpec::default()
    };
    let err = map_layer(&p, &arch, &bad).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("mapping.tile_n"), "{err}");
    // other objectives: never worse on their own measure than the latency choice
    for o in [Objective::Energy, Objective::Edp] {
        let spec = MappingSpec {
            objective: Some(o),
            ..MappingSpec::default()
        };
        let mo = map_layer(&p, &arch, &spec).unwrap();
        let v = |m: &Mapping| {
            let e = tessera_sim::estimate(&p, &arch, m).unwrap();
            o.value(e.cycles.get(), e.energy.total_pj)
        };
        assert!(v(&mo) <= v(&free), "{o:?}");
    }
}
