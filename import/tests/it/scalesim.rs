//! The SCALE-Sim importers on SCALE-Sim's own example files (`tests/data/scalesim/`, MIT) and on
//! malformed inputs. The expected layer shapes and MACs are what SCALE-Sim's own reader computes
//! (`scalesim/topology_utils.py`, commit 22f88b17: `get_spatiotemporal_dims(i, 'os')` gives each
//! layer's (M, N, K) — output pixels, filters, window — and `get_all_mac_ops()` the total).

use std::path::{Path, PathBuf};
use tessera_arch::Dataflow;
use tessera_core::diag::Kind;
use tessera_import::scalesim::{self, topology, ConfigDefaults, Form};
use tessera_workloads::spec::LayerSpec;
use tessera_workloads::{Layer, Workload};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scalesim")
        .join(name)
}

/// Each MAC layer as SCALE-Sim's (M, N, K): output rows, output columns, reduction.
fn mnk(w: &Workload) -> Vec<(u32, u32, u32)> {
    w.layers
        .iter()
        .map(|l| match l {
            Layer::Gemm(g) => (g.m, g.n, g.k),
            Layer::Conv2d(c) => {
                let g = c.group_gemm().unwrap();
                assert_eq!(c.groups, 1);
                (g.m, g.n, g.k)
            }
            Layer::MatMul(m) => panic!("{m:?}"),
        })
        .collect()
}

fn text_path(name: &str) -> PathBuf {
    PathBuf::from(name)
}

#[test]
fn conv_topologies_have_scalesims_layer_shapes_and_macs() {
    #[allow(clippy::type_complexity)]
    let cases: &[(&str, u64, &[(u32, u32, u32)])] = &[
        ("test.csv", 16_588_800, &[(25, 384, 1728)]),
        (
            "yolo_tiny.csv",
            1_753_649_072,
            &[
                (171_396, 4, 27),
                (42_436, 32, 144),
                (10_404, 64, 288),
                (2_500, 128, 576),
                (576, 256, 1152),
                (121, 512, 2304),
                (81, 1024, 4608),
                (49, 1024, 9216),
                (49, 125, 1024),
            ],
        ),
        (
            "alexnet.csv",
            805_118_496,
            &[
                (3025, 96, 363),
                (529, 256, 2400),
                (121, 384, 2304),
                (121, 384, 3456),
                (121, 256, 3456),
            ],
        ),
        (
            "Resnet18.csv",
            1_471_181_568,
            &[
                (12_100, 64, 147),
                (2916, 64, 576),
                (2916, 64, 576),
                (2916, 64, 576),
                (2916, 64, 576),
                (784, 128, 576),
                (676, 128, 1152),
                (841, 128, 64),
                (676, 128, 1152),
                (676, 128, 1152),
                (196, 256, 1152),
                (144, 256, 2304),
                (225, 256, 128),
                (144, 256, 2304),
                (144, 256, 2304),
                (49, 512, 2304),
                (25, 512, 4608),
                (64, 512, 256),
                (25, 512, 4608),
                (25, 512, 4608),
                (1, 1000, 512),
            ],
        ),
    ];
    for (file, macs, shapes) in cases {
        let imp = scalesim::read_topology(data(file)).unwrap();
        assert!(imp.spec.inputs.is_empty(), "{file}");
        let w = imp.validate().unwrap();
        assert_eq!(mnk(&w), *shapes, "{file}");
        assert_eq!(w.macs().unwrap(), *macs, "{file}");
    }
}

#[test]
fn a_conv_row_is_a_standalone_batch_1_convolution_over_the_ifmap() {
    let imp = scalesim::read_topology(data("test.csv")).unwrap();
    let LayerSpec::Conv2d(c) = &imp.spec.layers[0] else {
        panic!()
    };
    assert_eq!(c.name, "Inc5b_3x3");
    assert_eq!(c.in_shape, Some([1, 192, 7, 7]));
    assert_eq!((c.out_channels, c.kernel, c.stride), (384, (3, 3), (1, 1)));
    assert_eq!((c.padding, c.padding_end, c.groups), ((0, 0), None, 1));
    assert!(c.input.is_none());
}

#[test]
fn scalesims_rounded_up_output_size_becomes_end_padding() {
    // AlexNet's Conv1: 224 wide, 11 wide filter, stride 4: SCALE-Sim gives 55 outputs, so the
    // last window overhangs by 3.
    let imp = scalesim::read_topology(data("alexnet.csv")).unwrap();
    let LayerSpec::Conv2d(c) = &imp.spec.layers[0] else {
        panic!()
    };
    assert_eq!((c.padding, c.padding_end), ((0, 0), Some((3, 3))));
    assert!(
        imp.notes.iter().any(|n| n.contains("Conv1 (3, 3)")),
        "{:?}",
        imp.notes
    );
    let w = imp.validate().unwrap();
    let Layer::Conv2d(c) = &w.layers[0] else {
        panic!()
    };
    assert_eq!((c.out_h, c.out_w), (55, 55));
}

#[test]
fn gemm_columns_are_m_n_k() {
    // `Test 1, 128, 64, 256,` under `Layer Name, M, N, K,`: M = 128, N = 64, K = 256.
    let imp = scalesim::read_topology(data("test_mnk_input.csv")).unwrap();
    let LayerSpec::Gemm(g) = &imp.spec.layers[0] else {
        panic!()
    };
    assert_eq!((g.name.as_str(), g.m, g.k, g.n), ("Test_1", 128, 256, 64));
    // Tessera's m, k, n read straight off the columns would be another layer with the same MACs:
    // that is the mistake this pins.
    assert_ne!((g.k, g.n), (64, 256));
    // SCALE-Sim runs a GEMM row as a convolution: IFMAP M × K, one channel, a 1 × K filter, N
    // filters (topology_utils.py, load_arrays_gemm). That convolution, through the conv importer,
    // is the same (m, k, n). (With a K below Tessera's 255-wide kernel limit.)
    let gemm = scalesim::parse_topology("Layer, M, N, K,\nt, 96, 40, 200,\n", &text_path("g.csv"))
        .unwrap()
        .validate()
        .unwrap();
    let as_conv = topology::parse_as(
        "header\nt, 96, 200, 1, 200, 1, 40, 1,\n",
        &text_path("as_conv.csv"),
        Form::Conv,
    )
    .unwrap()
    .validate()
    .unwrap();
    let (Layer::Gemm(g2), Layer::Conv2d(c)) = (&gemm.layers[0], &as_conv.layers[0]) else {
        panic!()
    };
    let cg = c.group_gemm().unwrap();
    assert_eq!((g2.m, g2.k, g2.n), (96, 200, 40));
    assert_eq!((cg.m, cg.k, cg.n), (g2.m, g2.k, g2.n));
    // And SCALE-Sim's own (M, N, K) for the row.
    let w = imp.validate().unwrap();
    assert_eq!(mnk(&w), [(128, 64, 256)]);
    assert_eq!(w.macs().unwrap(), 2_097_152);
}

#[test]
fn gemm_topologies_have_scalesims_shapes() {
    let ncf = scalesim::read_topology(data("NCF.csv")).unwrap();
    assert_eq!(ncf.spec.layers[0].name(), "layer_1");
    let w = ncf.validate().unwrap();
    assert_eq!(
        mnk(&w),
        [
            (256, 128, 2048),
            (128, 64, 2048),
            (256, 256, 2048),
            (2048, 256, 256),
            (2048, 256, 256),
            (2048, 128, 256),
            (2048, 256, 128),
            (2048, 128, 64),
            (2048, 64, 128),
            (128, 1, 2048),
            (2048, 1, 128),
            (2048, 128, 1),
        ]
    );
    assert_eq!(w.macs().unwrap(), 655_097_856);
    let t = scalesim::read_topology(data("transformer_partial.csv"))
        .unwrap()
        .validate()
        .unwrap();
    assert_eq!(
        mnk(&t),
        [
            (128, 512, 1536),
            (128, 64, 128),
            (128, 64, 128),
            (128, 512, 512),
            (128, 512, 2048),
            (128, 2048, 2048),
        ]
    );
    assert_eq!(t.macs().unwrap(), 807_403_520);
}

#[test]
fn gemms_written_as_wide_convolutions_become_scalesims_gemm() {
    // gpt2.csv writes each GEMM as a convolution with a 1 × K filter over an M × K IFMAP; K = 1600
    // is beyond Tessera's 255-wide kernels, so those rows are the GEMM SCALE-Sim runs (QKT, 64
    // wide, stays a convolution).
    let imp = scalesim::read_topology(data("gpt2.csv")).unwrap();
    assert!(
        imp.notes
            .iter()
            .any(|n| n.contains(": Linear1, QKTV, Linear2, PW_FF_L1, PW_FF_L2")),
        "{:?}",
        imp.notes
    );
    assert_eq!(imp.spec.layers[4].name(), "PW_FF_L1");
    let w = imp.validate().unwrap();
    assert_eq!(
        mnk(&w),
        [
            (1024, 4800, 1600),
            (1024, 1024, 64),
            (1024, 64, 1024),
            (1024, 1600, 1600),
            (1024, 3072, 1600),
            (1024, 1600, 3072),
        ]
    );
    assert_eq!(w.macs().unwrap(), 20_686_307_328);
}

#[test]
fn dp_layers_are_depthwise_as_in_scalesim() {
    let imp = scalesim::parse_topology(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n\
         DP_conv1, 56, 56, 3, 3, 32, 1, 1,\n",
        &text_path("dw.csv"),
    )
    .unwrap();
    let w = imp.validate().unwrap();
    let Layer::Conv2d(c) = &w.layers[0] else {
        panic!()
    };
    assert!(c.is_depthwise());
    assert_eq!((c.groups, c.out_channels), (32, 32));
    // SCALE-Sim runs 32 one-channel layers of 54·54·3·3 MACs.
    assert_eq!(w.macs().unwrap(), 32 * 54 * 54 * 9);
}

#[test]
fn rows_without_the_trailing_comma_and_separate_strides() {
    let imp = scalesim::parse_topology(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Stride Height, Stride Width\n\
         a, 9, 9, 3, 3, 4, 8, 2, 1\n\
         ,,,,,,,,\n\
         \n\
         b, 9, 9, 3, 3, 4, 8, 2\n",
        &text_path("s.csv"),
    )
    .unwrap();
    let strides: Vec<_> = imp
        .spec
        .layers
        .iter()
        .map(|l| match l {
            LayerSpec::Conv2d(c) => c.stride,
            _ => panic!(),
        })
        .collect();
    assert_eq!(strides, [(2, 1), (2, 2)]);
}

#[test]
fn malformed_topologies_name_the_file_line_and_column() {
    let header = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,";
    let cases: &[(String, (usize, usize), &str)] = &[
        (
            format!("{header}\nConv1, 224, 224, 3, x3, 3, 64, 1,\n"),
            (2, 21),
            "Filter Width of layer `Conv1` must be a whole number, got `x3`",
        ),
        (
            format!("{header}\nConv1, 224, 224, 3, 3, 3, 64, 1,\nConv2, 224, 224, 3, 3,\n"),
            (3, 1),
            "expected 8 fields",
        ),
        (
            format!("{header}\nConv1, 224, 224, 3, 3, 0, 64, 1,\n"),
            (2, 24),
            "Channels of layer `Conv1` must be at least 1, got 0",
        ),
        (
            format!("{header}\nConv1, 2, 224, 3, 3, 3, 64, 1,\n"),
            (2, 16),
            "the filter height 3 of layer `Conv1` is larger than its IFMAP height 2",
        ),
        (
            "Layer\tM\tN\tK\nl1\t1\t2\t3\n".to_string(),
            (1, 1),
            "neither SCALE-Sim's conv form",
        ),
        (
            "Layer, M, K, N,\nl1, 1, 2, 3,\n".to_string(),
            (1, 1),
            "SCALE-Sim reads them as M, N, K",
        ),
        (
            "Layer, M, N, K,\nl1, 1, 2,\n".to_string(),
            (2, 1),
            "expected 4 fields",
        ),
        (String::new(), (1, 1), "has no header line"),
    ];
    for (text, pos, msg) in cases {
        let path = text_path("bad.csv");
        let e = scalesim::parse_topology(text, &path).unwrap_err();
        assert_eq!(e.kind, Kind::BadInput);
        assert_eq!(e.file.as_deref(), Some(path.as_path()), "{e}");
        assert_eq!(e.position, Some(*pos), "{e}");
        assert!(e.message.contains(msg), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("bad.csv:{}:{}: ", pos.0, pos.1)),
            "{e}"
        );
    }
    let e = scalesim::parse_topology("Layer, M, N, K,\n\n", &text_path("empty.csv")).unwrap_err();
    assert!(e.message.contains("no layers"), "{e}");
}

#[test]
fn scale_cfg_is_a_32x32_output_stationary_accelerator() {
    let imp = scalesim::read_config(data("scale.cfg")).unwrap();
    let s = &imp.spec;
    assert_eq!(s.name, "scale_example_run_32x32_os");
    assert_eq!(
        (s.array.rows, s.array.cols, s.array.dataflow),
        (32, 32, Dataflow::OutputStationary)
    );
    for b in [&s.buffers.input, &s.buffers.weight, &s.buffers.accumulator] {
        assert_eq!((b.capacity_bytes, b.banks), (64 * 1024, 2));
    }
    assert_eq!(
        (s.datatypes.operand_bits, s.datatypes.accumulator_bits),
        (8, 32)
    );
    assert_eq!((s.dram.bytes_per_cycle, s.dram.latency_cycles), (10, 1));
    assert_eq!(s.clock_mhz, 500.0);
    let notes = imp.notes.join("\n");
    assert!(notes.contains("InterfaceBandwidth is CALC"), "{notes}");
    assert!(notes.contains("MemoryBanks (line 15)"), "{notes}");
    let a = imp.validate().unwrap();
    assert_eq!(a.accumulator().word_bytes(), 128);
}

#[test]
fn eyeriss_cfg_capacities_are_rounded_down_to_whole_words() {
    let imp = scalesim::read_config(data("eyeriss.cfg")).unwrap();
    let s = &imp.spec;
    assert_eq!(
        (s.array.rows, s.array.cols, s.array.dataflow),
        (12, 14, Dataflow::WeightStationary)
    );
    // 36 KiB = 36864 B: input words are 12 B (2 banks: 24 B, divides), weight words 14 B (28 B:
    // 36848), accumulator words 56 B (112 B: 36848).
    assert_eq!(s.buffers.input.capacity_bytes, 36_864);
    assert_eq!(s.buffers.weight.capacity_bytes, 36_848);
    assert_eq!(s.buffers.accumulator.capacity_bytes, 36_848);
    let notes = imp.notes.join("\n");
    assert!(
        notes.contains("FilterSramSzkB = 36 KiB = 36864 B is rounded down to 36848 B"),
        "{notes}"
    );
    assert!(!notes.contains("IfmapSramSzkB = "), "{notes}");
    imp.validate().unwrap();
}

#[test]
fn google_cfg_imports_and_validation_points_at_array_height() {
    let path = data("google.cfg");
    let imp = scalesim::read_config(&path).unwrap();
    assert_eq!(imp.spec.name, "GoogleTPU_v1_ws");
    let e = imp.validate().unwrap_err();
    assert_eq!(e.file.as_deref(), Some(path.as_path()));
    assert_eq!(e.field.as_deref(), Some("array.rows"));
    assert_eq!(e.position, Some((5, 1)));
    assert!(e.message.contains("got 256"), "{e}");
    assert!(e.message.contains("`ArrayHeight` on line 5"), "{e}");
}

fn cfg(dataflow: &str, extra: &str) -> String {
    format!(
        "[general]\nrun_name = t\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\n\
         IfmapSramSzkB: 8\nFilterSramSzkB: 8\nOfmapSramSzkB: 8\nDataflow : {dataflow}\n{extra}"
    )
}

#[test]
fn input_stationary_imports_and_other_dataflows_are_refused() {
    let path = text_path("is.cfg");
    let text = "[general]\nrun_name = t\n\n[architecture_presets]\nArrayHeight: 4\nArrayWidth: 6\n\
         IfmapSramSzkB: 1\nFilterSramSzkB: 1\nOfmapSramSzkB: 8\nDataflow : is\n";
    let imported = scalesim::parse_config(text, &path).unwrap();
    let arch = imported.spec.validate().unwrap();
    assert_eq!(arch.dataflow(), Dataflow::InputStationary);
    // the ifmap (input) buffer's words are rows of the 6 columns, the filter's feed the 4 rows
    assert_eq!(arch.input().word_bytes(), 6);
    assert_eq!(arch.weight().word_bytes(), 4);
    let e = scalesim::parse_config(&cfg("rs", ""), &path).unwrap_err();
    assert!(e.message.contains("must be ws, os or is"), "{e}");
}

#[test]
fn user_bandwidth_takes_the_first_value_and_defaults_can_change() {
    let text = cfg(
        "ws",
        "Bandwidth : 20, 30\n[run_presets]\nInterfaceBandwidth: USER\n",
    );
    let imp = scalesim::parse_config(&text, &text_path("u.cfg")).unwrap();
    assert_eq!(imp.spec.dram.bytes_per_cycle, 20);
    let notes = imp.notes.join("\n");
    assert!(notes.contains("the first, 20, is used"), "{notes}");
    assert!(!notes.contains("CALC"), "{notes}");
    imp.validate().unwrap();
    let d = ConfigDefaults {
        banks: 4,
        dram_latency_cycles: 40,
        dram_bytes_per_cycle: 16,
        clock_mhz: 1000.0,
    };
    let imp = scalesim::parse_config_with(&cfg("os", ""), &text_path("d.cfg"), &d).unwrap();
    let s = &imp.spec;
    assert_eq!(
        (
            s.buffers.input.banks,
            s.dram.latency_cycles,
            s.dram.bytes_per_cycle,
            s.clock_mhz
        ),
        (4, 40, 16, 1000.0)
    );
    imp.validate().unwrap();
}

#[test]
fn malformed_configs_name_the_file_line_and_key() {
    let path = text_path("bad.cfg");
    type Case = (String, Option<(usize, usize)>, &'static str);
    let cases: &[Case] = &[
        (
            cfg("ws", "").replace("ArrayWidth: 8", "ArrayWidth: 8x"),
            Some((6, 13)),
            "`ArrayWidth` must be a whole number of PE columns, at least 1, got `8x`",
        ),
        (
            cfg("ws", "").replace("ArrayWidth: 8\n", ""),
            None,
            "is missing from [architecture_presets]",
        ),
        (
            cfg("ws", "just some words\n"),
            Some((11, 1)),
            "`just some words` is neither a [section] header nor a `key: value` line",
        ),
        (
            format!("ArrayHeight: 8\n{}", cfg("ws", "")),
            Some((1, 1)),
            "comes before any [section] header",
        ),
        (
            cfg("ws", "arrayheight = 16\n"),
            Some((11, 1)),
            "`arrayheight` is given twice in [architecture_presets] (first on line 5)",
        ),
        (
            cfg("ws", "").replace("OfmapSramSzkB: 8", "OfmapSramSzkB: 0"),
            Some((9, 16)),
            "`OfmapSramSzkB` must be a whole number of KiB, at least 1, got `0`",
        ),
        (
            cfg("ws", "Bandwidth: fast\n"),
            Some((11, 12)),
            "`Bandwidth` must be a whole number of words per cycle",
        ),
        (
            cfg("ws", "[broken\n"),
            Some((11, 1)),
            "`[broken` is not a [section] header",
        ),
    ];
    for (text, pos, msg) in cases {
        let e = scalesim::parse_config(text, &path).unwrap_err();
        assert_eq!(e.kind, Kind::BadInput);
        assert_eq!(e.file.as_deref(), Some(path.as_path()), "{e}");
        assert_eq!(e.position, *pos, "{e}");
        assert!(e.message.contains(msg), "{e}");
    }
    let e =
        scalesim::parse_config(&cfg("ws", "").replace("ArrayWidth: 8\n", ""), &path).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("ArrayWidth"));
}

#[test]
fn a_name_that_is_no_identifier_is_made_one() {
    let text = cfg("ws", "").replace("run_name = t", "run_name = my run (v2)__");
    let imp = scalesim::parse_config(&text, &text_path("n.cfg")).unwrap();
    assert_eq!(imp.spec.name, "my_run_v2");
    let text = cfg("ws", "").replace("run_name = t", "run_name = module");
    let imp = scalesim::parse_config(&text, &text_path("n.cfg")).unwrap();
    assert_eq!(imp.spec.name, "module_arch");
    imp.validate().unwrap();
}
