//! The ONNX importer on the fixtures of `tests/data/` (made by `make_onnx_fixtures.py` there) and on
//! small models built here with the generated protobuf types.

use std::path::{Path, PathBuf};
use tessera_core::diag::Kind;
use tessera_import::onnx::{self, proto};
use tessera_import::Imported;
use tessera_workloads::spec::{LayerSpec, OpKind, PoolSpec};
use tessera_workloads::{Layer, Workload, WorkloadSpec};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn layer<'a>(spec: &'a WorkloadSpec, name: &str) -> &'a LayerSpec {
    spec.layers
        .iter()
        .find(|l| l.name() == name)
        .unwrap_or_else(|| {
            panic!(
                "no layer {name}; layers: {:?}",
                spec.layers.iter().map(|l| l.name()).collect::<Vec<_>>()
            )
        })
}

fn op<'a>(spec: &'a WorkloadSpec, name: &str) -> (&'a OpKind, &'a [String]) {
    match layer(spec, name) {
        LayerSpec::Op(o) => (&o.kind, &o.inputs),
        other => panic!("{name} is not an op: {other:?}"),
    }
}

fn conv(w: &Workload, name: &str) -> tessera_workloads::Conv2d {
    w.layers
        .iter()
        .find_map(|l| match l {
            Layer::Conv2d(c) if c.name == name => Some(c.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no conv {name}"))
}

fn notes(i: &Imported<WorkloadSpec>) -> String {
    i.notes.join("\n")
}

#[test]
fn small_cnn_folds_the_pad_keeps_split_bn_depthwise_and_residual() {
    let imp = onnx::read(data("small_cnn.onnx")).unwrap();
    let s = &imp.spec;
    assert_eq!(s.name, "small_cnn");
    assert_eq!(s.inputs.len(), 1);
    assert_eq!(s.inputs[0].name, "input");
    assert_eq!(s.inputs[0].shape, vec![1, 3, 32, 32]);
    let n = notes(&imp);
    assert!(
        n.contains("batch dimension (`batch_size`) is set to 1"),
        "{n}"
    );
    assert!(n.contains("Pad `/stem/Pad`"), "{n}");

    // The explicit Pad (bottom and right only) became the stem's asymmetric padding.
    let LayerSpec::Conv2d(stem) = layer(s, "stem_conv_Conv") else {
        panic!()
    };
    assert_eq!(stem.input.as_deref(), Some("input"));
    assert_eq!(stem.padding, (0, 0));
    assert_eq!(stem.padding_end, Some((1, 1)));
    assert_eq!(
        (stem.stride, stem.kernel, stem.out_channels),
        ((2, 2), (3, 3), 16)
    );
    // BN exported as Mul and Add with constants: one data input each.
    assert_eq!(
        op(s, "stem_bn_Mul"),
        (&OpKind::Mul, &["stem_conv_Conv".to_string()][..])
    );
    assert_eq!(
        op(s, "stem_bn_Add"),
        (&OpKind::Add, &["stem_bn_Mul".to_string()][..])
    );
    let LayerSpec::Conv2d(dw) = layer(s, "block_dw_Conv") else {
        panic!()
    };
    assert_eq!((dw.groups, dw.padding, dw.padding_end), (16, (1, 1), None));
    assert_eq!(op(s, "block_bn_BatchNormalization").0, &OpKind::BatchNorm);
    assert_eq!(op(s, "block_relu6_Clip").0, &OpKind::Relu6);
    // The residual Add reads both branches.
    assert_eq!(
        op(s, "block_add_Add").1,
        &["block_pw_Conv".to_string(), "stem_relu_Relu".to_string()][..]
    );
    assert_eq!(
        op(s, "pool_MaxPool").0,
        &OpKind::MaxPool(PoolSpec {
            kernel: (2, 2),
            stride: Some((2, 2)),
            padding: (0, 0),
            padding_end: None
        })
    );
    let LayerSpec::Linear(fc) = layer(s, "fc_Gemm") else {
        panic!()
    };
    assert_eq!(
        (fc.input.as_deref(), fc.out_features),
        (Some("head_Flatten"), 10)
    );

    let w = imp.validate().unwrap();
    let stem = conv(&w, "stem_conv_Conv");
    assert_eq!((stem.out_h, stem.out_w, stem.pad_end), (16, 16, [1, 1]));
    assert!(conv(&w, "block_dw_Conv").is_depthwise());
    // 16·16·16·3·9 + 16·16·16·9 + 16·16·16·16 + 8·8·32·16·9 + 32·10
    assert_eq!(w.macs().unwrap(), 110_592 + 36_864 + 65_536 + 294_912 + 320);
    let kinds: Vec<&str> = w.ops.iter().map(|o| o.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "Mul",
            "Add",
            "Relu",
            "BatchNorm",
            "Relu6",
            "Add",
            "MaxPool",
            "Relu",
            "GlobalAvgPool",
            "Flatten",
            "Softmax"
        ]
    );
    assert!(w
        .edges
        .contains(&("stem_relu_Relu".into(), "block_add_Add".into())));
}

#[test]
fn branches_concat_pool_gate_reshape_matmul_layernorm_and_erf_gelu() {
    let imp = onnx::read(data("branches.onnx")).unwrap();
    let s = &imp.spec;
    assert_eq!(s.inputs[0].shape, vec![1, 4, 8, 8]);
    let LayerSpec::Conv2d(b) = layer(s, "branch_b") else {
        panic!()
    };
    assert_eq!((b.dilation, b.padding), ((2, 2), (2, 2)));
    assert_eq!(
        op(s, "cat"),
        (
            &OpKind::Concat,
            &["branch_a".to_string(), "branch_b".to_string()][..]
        )
    );
    assert_eq!(
        op(s, "avgpool").0,
        &OpKind::AvgPool(PoolSpec {
            kernel: (3, 3),
            stride: Some((2, 2)),
            padding: (1, 1),
            padding_end: None
        })
    );
    // Two activations of one shape: both are inputs.
    assert_eq!(
        op(s, "gated").1,
        &["avgpool".to_string(), "gate".to_string()][..]
    );
    assert_eq!(op(s, "hswish").0, &OpKind::HardSwish);
    assert_eq!(op(s, "reshape").0, &OpKind::Flatten);
    let LayerSpec::Linear(fc1) = layer(s, "fc1") else {
        panic!()
    };
    assert_eq!(
        (fc1.input.as_deref(), fc1.out_features),
        (Some("reshape"), 16)
    );
    assert_eq!(op(s, "ln").0, &OpKind::LayerNorm);
    assert_eq!(op(s, "gelu_div").0, &OpKind::Mul);
    assert_eq!(op(s, "gelu_erf").0, &OpKind::Gelu);
    // The Dropout passes through: the last Gemm reads the GELU's last Mul.
    let LayerSpec::Linear(fc2) = layer(s, "fc2") else {
        panic!()
    };
    assert_eq!(
        (fc2.input.as_deref(), fc2.out_features),
        (Some("gelu_half"), 10)
    );
    let n = notes(&imp);
    assert!(
        n.contains("Div as Mul (1)") && n.contains("Erf as Gelu (1)"),
        "{n}"
    );
    assert!(n.contains("1 Dropout"), "{n}");

    let w = imp.validate().unwrap();
    // 8·8·4·4 + 8·8·4·4·9 + 128·16 + 16·10
    assert_eq!(w.macs().unwrap(), 1_024 + 9_216 + 2_048 + 160);
    let pool = w.ops.iter().find(|o| o.name == "avgpool").unwrap();
    assert_eq!(pool.shape, vec![1, 8, 4, 4]);
}

#[test]
fn attention_products_of_two_activations_are_batched_matmuls() {
    let imp = onnx::read(data("attention.onnx")).unwrap();
    let s = &imp.spec;
    assert_eq!(s.inputs.len(), 3);
    let mm = |name| match layer(s, name) {
        LayerSpec::MatMul(m) => (m.batch, m.m, m.k, m.n),
        other => panic!("{other:?}"),
    };
    assert_eq!(mm("qk"), (1, 16, 32, 16));
    assert_eq!(mm("av"), (1, 16, 16, 32));
    assert_eq!(mm("out_proj"), (1, 16, 32, 32));
    assert_eq!(op(s, "softmax").1, &["qk".to_string()][..]);
    assert_eq!(
        op(s, "residual").1,
        &["out_proj".to_string(), "q".to_string()][..]
    );
    assert!(notes(&imp).contains("stand alone"), "{}", notes(&imp));
    let w = imp.validate().unwrap();
    assert_eq!(w.macs().unwrap(), 8_192 + 8_192 + 16_384);
}

#[test]
fn quantized_operators_map_to_convolutions_and_matrix_products() {
    let imp = onnx::read(data("quantized.onnx")).unwrap();
    let s = &imp.spec;
    let LayerSpec::Conv2d(q) = layer(s, "qconv") else {
        panic!()
    };
    // QuantizeLinear passes through: the convolution reads the network input.
    assert_eq!(q.input.as_deref(), Some("x"));
    assert_eq!((q.out_channels, q.kernel, q.padding), (8, (3, 3), (1, 1)));
    let LayerSpec::Linear(qfc) = layer(s, "qfc") else {
        panic!()
    };
    assert_eq!(
        (qfc.input.as_deref(), qfc.out_features),
        (Some("flatten"), 10)
    );
    let LayerSpec::Conv2d(ci) = layer(s, "conv_int") else {
        panic!()
    };
    assert_eq!((ci.out_channels, ci.kernel), (4, (1, 1)));
    let LayerSpec::Linear(mi) = layer(s, "matmul_int") else {
        panic!()
    };
    assert_eq!(mi.out_features, 6);
    let n = notes(&imp);
    assert!(
        n.contains("1 DequantizeLinear") && n.contains("1 QuantizeLinear"),
        "{n}"
    );
    let w = imp.validate().unwrap();
    // QLinearConv 8·8·8·3·9, QLinearMatMul 512·10, ConvInteger 8·8·4·3, MatMulInteger 512·6
    assert_eq!(w.macs().unwrap(), 13_824 + 5_120 + 768 + 3_072);
}

#[test]
fn weights_in_absent_external_data_are_not_needed() {
    let imp = onnx::read(data("external_weights.onnx")).unwrap();
    assert!(!data("external_weights.onnx.data").exists());
    assert_eq!(imp.spec.inputs[0].shape, vec![1, 3, 16, 16]);
    assert!(notes(&imp).contains("batch dimension (`N`) is set to 1"));
    let w = imp.validate().unwrap();
    assert_eq!(w.macs().unwrap(), 16 * 16 * 8 * 3 * 9 + 8 * 4);
}

#[test]
fn every_unsupported_operator_is_listed_with_its_nodes() {
    let path = data("unsupported.onnx");
    let e = onnx::read(&path).unwrap_err();
    assert_eq!(e.kind, Kind::BadInput);
    assert_eq!(e.file.as_deref(), Some(path.as_path()));
    let m = &e.message;
    assert!(m.contains("3 operator types"), "{m}");
    assert!(m.contains("LRN (node `lrn1`)"), "{m}");
    assert!(m.contains("ReduceMean (node `mean`)"), "{m}");
    assert!(m.contains("Transpose (2 nodes: `t1`, `t2`)"), "{m}");
    assert!(!m.contains("Relu (node"), "{m}");
    assert!(
        e.to_string().starts_with(&path.display().to_string()),
        "{e}"
    );
}

#[test]
fn a_truncated_file_is_refused_by_name() {
    let path = data("truncated.onnx");
    let e = onnx::read(&path).unwrap_err();
    assert_eq!(e.kind, Kind::BadInput);
    assert_eq!(e.file.as_deref(), Some(path.as_path()));
    assert!(e.message.contains("truncated or corrupt"), "{e}");
}

#[test]
fn empty_garbage_and_missing_files_give_errors_not_panics() {
    let origin = Path::new("x.onnx");
    let e = onnx::from_bytes(b"", origin).unwrap_err();
    assert!(e.message.contains("no graph"), "{e}");
    for bytes in [
        &b"not a model at all"[..],
        &[0xff; 64][..],
        &[0x3a, 0x05, 0x0a, 0x03, 0x41][..],
    ] {
        let e = onnx::from_bytes(bytes, origin).unwrap_err();
        assert_eq!(e.kind, Kind::BadInput);
        assert_eq!(e.file.as_deref(), Some(origin));
    }
    let e = onnx::read(data("no_such_model.onnx")).unwrap_err();
    assert_eq!(e.kind, Kind::Io);
    assert!(e.file.is_some());
}

// Small models built here, for the cases the fixtures do not cover.

fn value_info(name: &str, dims: &[Result<i64, &str>]) -> proto::ValueInfoProto {
    use proto::tensor_shape_proto::{dimension::Value, Dimension};
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Ok(v) => Value::DimValue(*v),
                Err(p) => Value::DimParam(p.to_string()),
            }),
            ..Default::default()
        })
        .collect();
    proto::ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(proto::TypeProto {
            value: Some(proto::type_proto::Value::TensorType(
                proto::type_proto::Tensor {
                    elem_type: Some(1),
                    shape: Some(proto::TensorShapeProto { dim }),
                },
            )),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An initializer with dims only (no data), or with int64 / float values.
fn init(name: &str, dims: &[i64]) -> proto::TensorProto {
    proto::TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(1),
        ..Default::default()
    }
}
fn ints(name: &str, v: &[i64]) -> proto::TensorProto {
    proto::TensorProto {
        name: Some(name.into()),
        dims: vec![v.len() as i64],
        data_type: Some(7),
        int64_data: v.to_vec(),
        ..Default::default()
    }
}
fn scalar(name: &str, v: f32) -> proto::TensorProto {
    proto::TensorProto {
        name: Some(name.into()),
        data_type: Some(1),
        float_data: vec![v],
        ..Default::default()
    }
}

enum A<'a> {
    I(i64),
    Is(&'a [i64]),
    F(f32),
    S(&'a str),
}

fn node(
    op: &str,
    name: &str,
    ins: &[&str],
    outs: &[&str],
    attrs: &[(&str, A)],
) -> proto::NodeProto {
    let attribute = attrs
        .iter()
        .map(|(n, a)| {
            let mut p = proto::AttributeProto {
                name: Some(n.to_string()),
                ..Default::default()
            };
            match a {
                A::I(v) => p.i = Some(*v),
                A::Is(v) => p.ints = v.to_vec(),
                A::F(v) => p.f = Some(*v),
                A::S(v) => p.s = Some(v.as_bytes().to_vec()),
            }
            p
        })
        .collect();
    proto::NodeProto {
        op_type: Some(op.into()),
        name: Some(name.into()),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    }
}

fn model(
    opset: i64,
    inputs: Vec<proto::ValueInfoProto>,
    inits: Vec<proto::TensorProto>,
    nodes: Vec<proto::NodeProto>,
) -> proto::ModelProto {
    proto::ModelProto {
        ir_version: Some(8),
        opset_import: vec![proto::OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(opset),
        }],
        graph: Some(proto::GraphProto {
            name: Some("g".into()),
            node: nodes,
            input: inputs,
            initializer: inits,
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn opset_10_pad_and_clip_attributes_and_unsorted_nodes() {
    let m = model(
        10,
        vec![value_info("x", &[Ok(1), Ok(3), Ok(8), Ok(8)])],
        vec![init("w", &[8, 3, 3, 3])],
        vec![
            // Written out of order: the importer orders them.
            node(
                "Clip",
                "clip",
                &["c"],
                &["y"],
                &[("min", A::F(0.0)), ("max", A::F(6.0))],
            ),
            node("Conv", "conv", &["p", "w"], &["c"], &[]),
            node(
                "Pad",
                "pad",
                &["x"],
                &["p"],
                &[
                    ("pads", A::Is(&[0, 0, 1, 2, 0, 0, 1, 0])),
                    ("mode", A::S("constant")),
                ],
            ),
        ],
    );
    let imp = onnx::from_model(&m, Path::new("opset10.onnx")).unwrap();
    let LayerSpec::Conv2d(c) = layer(&imp.spec, "conv") else {
        panic!()
    };
    assert_eq!((c.padding, c.padding_end), ((1, 2), Some((1, 0))));
    assert_eq!(op(&imp.spec, "clip").0, &OpKind::Relu6);
    let w = imp.validate().unwrap();
    let c = conv(&w, "conv");
    assert_eq!((c.out_h, c.out_w), (8, 8));
}

#[test]
fn clip_with_other_bounds_is_counted_as_relu6_and_noted() {
    let m = model(
        13,
        vec![value_info("x", &[Ok(1), Ok(4)])],
        vec![scalar("lo", -1.0), scalar("hi", 1.0), scalar("zero", 0.0)],
        vec![
            node("Clip", "hardtanh", &["x", "lo", "hi"], &["a"], &[]),
            node("Clip", "relu", &["a", "zero"], &["b"], &[]),
        ],
    );
    let imp = onnx::from_model(&m, Path::new("clip.onnx")).unwrap();
    assert_eq!(op(&imp.spec, "hardtanh").0, &OpKind::Relu6);
    assert_eq!(op(&imp.spec, "relu").0, &OpKind::Relu);
    assert!(notes(&imp).contains("(min -1, max 1) is counted as Relu6"));
    imp.validate().unwrap();
}

#[test]
fn ceil_mode_and_same_padding_give_onnx_output_sizes() {
    let m = model(
        13,
        vec![value_info("x", &[Ok(1), Ok(4), Ok(9), Ok(9)])],
        vec![init("w", &[4, 4, 3, 3])],
        vec![
            node(
                "Conv",
                "same",
                &["x", "w"],
                &["c"],
                &[
                    ("auto_pad", A::S("SAME_UPPER")),
                    ("strides", A::Is(&[2, 2])),
                ],
            ),
            node(
                "MaxPool",
                "ceil",
                &["c"],
                &["p"],
                &[
                    ("kernel_shape", A::Is(&[2, 2])),
                    ("strides", A::Is(&[2, 2])),
                    ("ceil_mode", A::I(1)),
                ],
            ),
        ],
    );
    let imp = onnx::from_model(&m, Path::new("ceil.onnx")).unwrap();
    let LayerSpec::Conv2d(c) = layer(&imp.spec, "same") else {
        panic!()
    };
    // SAME_UPPER, 9 wide, stride 2: out 5, total padding 2, split 1 and 1.
    assert_eq!((c.padding, c.padding_end), ((1, 1), None));
    let w = imp.validate().unwrap();
    assert_eq!(conv(&w, "same").out_h, 5);
    // ceil((5 - 2) / 2) + 1 = 3 (floor would give 2).
    let pool = w.ops.iter().find(|o| o.name == "ceil").unwrap();
    assert_eq!(pool.shape, vec![1, 4, 3, 3]);
    assert!(notes(&imp).contains("ceil_mode"));
}

#[test]
fn every_node_that_cannot_be_modelled_is_listed() {
    let m = model(
        13,
        vec![value_info("x", &[Ok(1), Ok(3), Ok(8), Ok(8)])],
        vec![
            init("w", &[4, 3, 3, 3]),
            ints("pads", &[0, 0, 1, 1, 0, 0, 1, 1]),
            scalar("one", 1.0),
            ints("shape", &[2, -1]),
        ],
        vec![
            node("Pad", "pad_one", &["x", "pads", "one"], &["p1"], &[]),
            node("Pad", "pad_pool", &["x", "pads"], &["p2"], &[]),
            node(
                "MaxPool",
                "pool",
                &["p2"],
                &["m"],
                &[("kernel_shape", A::Is(&[2, 2]))],
            ),
            node("Conv", "conv", &["p1", "w"], &["c"], &[]),
            node("Reshape", "reshape", &["x", "shape"], &["r"], &[]),
            node("Concat", "cat", &["x", "x"], &["k"], &[("axis", A::I(2))]),
        ],
    );
    let e = onnx::from_model(&m, Path::new("bad.onnx")).unwrap_err();
    let msg = &e.message;
    assert!(
        msg.contains("cannot import the ONNX model (4 problems)"),
        "{msg}"
    );
    assert!(
        msg.contains("`pad_one` (Pad): pads with the value 1"),
        "{msg}"
    );
    assert!(
        msg.contains("`pad_pool` (Pad): is read by `pool` (MaxPool)"),
        "{msg}"
    );
    assert!(
        msg.contains("`reshape` (Reshape): reshapes [1, 3, 8, 8] to [2, 96]"),
        "{msg}"
    );
    assert!(
        msg.contains("`cat` (Concat): concatenates along axis 2"),
        "{msg}"
    );
    // The conv and pool after a refused Pad are not reported again.
    assert!(
        !msg.contains("`conv`") && !msg.contains("`pool` (MaxPool):"),
        "{msg}"
    );
    assert_eq!(e.file.as_deref(), Some(Path::new("bad.onnx")));
}

#[test]
fn a_symbolic_spatial_dimension_is_refused() {
    let m = model(
        13,
        vec![value_info("x", &[Err("N"), Ok(3), Err("height"), Ok(8)])],
        vec![],
        vec![node("Relu", "r", &["x"], &["y"], &[])],
    );
    let e = onnx::from_model(&m, Path::new("dyn.onnx")).unwrap_err();
    assert!(
        e.message
            .contains("dimension 2 of graph input `x` is symbolic (`height`)"),
        "{e}"
    );
}

#[test]
fn a_validation_error_names_the_file_and_the_onnx_node() {
    // A 300-wide padding imports (ONNX allows it) but Tessera's limit is 255.
    let m = model(
        13,
        vec![value_info("x", &[Ok(1), Ok(3), Ok(8), Ok(8)])],
        vec![init("w", &[4, 3, 3, 3])],
        vec![node(
            "Conv",
            "/big/Conv",
            &["x", "w"],
            &["c"],
            &[("pads", A::Is(&[300, 0, 300, 0]))],
        )],
    );
    let imp = onnx::from_model(&m, Path::new("big.onnx")).unwrap();
    let e = imp.validate().unwrap_err();
    assert_eq!(e.file.as_deref(), Some(Path::new("big.onnx")));
    assert_eq!(e.field.as_deref(), Some("layers[0].Conv2d.padding.0"));
    assert!(e.message.contains("ONNX node `/big/Conv` (Conv)"), "{e}");
}

#[test]
fn other_domains_are_unsupported_too() {
    let mut n = node("FusedConv", "fc", &["x"], &["y"], &[]);
    n.domain = Some("com.microsoft".into());
    let m = model(
        13,
        vec![value_info("x", &[Ok(1), Ok(3), Ok(8), Ok(8)])],
        vec![],
        vec![n],
    );
    let e = onnx::from_model(&m, Path::new("ms.onnx")).unwrap_err();
    assert!(
        e.message.contains("com.microsoft.FusedConv (node `fc`)"),
        "{e}"
    );
}

#[test]
fn graph_inputs_read_only_as_parameters_are_not_network_inputs() {
    // Weights and a bound given at run time (as ONNX's operator tests do): only `x` is a network
    // input; the weight's declared shape gives the convolution.
    let m = model(
        13,
        vec![
            value_info("x", &[Ok(1), Ok(3), Ok(8), Ok(8)]),
            value_info("w", &[Ok(4), Ok(3), Ok(3), Ok(3)]),
            value_info("low", &[]),
        ],
        vec![],
        vec![
            node("Conv", "conv", &["x", "w"], &["c"], &[]),
            node("Clip", "clip", &["c", "low"], &["y"], &[]),
        ],
    );
    let imp = onnx::from_model(&m, Path::new("params.onnx")).unwrap();
    assert_eq!(imp.spec.inputs.len(), 1);
    // The bound is not known before run time: counted as Relu6, and noted.
    assert_eq!(
        op(&imp.spec, "clip"),
        (&OpKind::Relu6, &["conv".to_string()][..])
    );
    assert!(notes(&imp).contains("`w`, `low`"), "{}", notes(&imp));
    assert_eq!(imp.validate().unwrap().macs().unwrap(), 6 * 6 * 4 * 3 * 9);
}
