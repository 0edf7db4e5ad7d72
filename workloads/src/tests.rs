use super::*;
use crate::spec::*;

fn parse(text: &str) -> Result<Workload> {
    let spec: WorkloadSpec = tessera_core::load::parse_ron(text, std::path::Path::new("t.ron"))?;
    spec.validate()
}

#[test]
fn zero_dimension_names_layer_field() {
    let e = parse(r#"WorkloadSpec(name: "w", layers: [Gemm((name: "g", m: 4, k: 0, n: 2))])"#)
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("layers[0].Gemm.k"));
}

#[test]
fn a_small_network_infers_shapes_and_counts_ops() {
    let w = parse(
        r#"WorkloadSpec(
            name: "tiny",
            inputs: [(name: "image", shape: [1, 3, 32, 32])],
            layers: [
                Conv2d((name: "conv1", out_channels: 16, kernel: (3, 3), padding: (1, 1))),
                Op((name: "relu1", kind: Relu)),
                Op((name: "pool1", kind: MaxPool((kernel: (2, 2))))),
                Conv2d((name: "conv2", out_channels: 32, kernel: (3, 3), stride: (2, 2), padding: (1, 1))),
                Conv2d((name: "dw", out_channels: 32, kernel: (3, 3), padding: (1, 1), groups: 32)),
                Op((name: "add", kind: Add, inputs: ["conv2", "dw"])),
                Op((name: "gap", kind: GlobalAvgPool)),
                Linear((name: "fc", out_features: 10)),
            ],
        )"#,
    )
    .unwrap();
    let names: Vec<&str> = w.layers.iter().map(|l| l.name()).collect();
    assert_eq!(names, ["conv1", "conv2", "dw", "fc"]);
    let Layer::Conv2d(c2) = &w.layers[1] else {
        panic!()
    };
    assert_eq!(
        (c2.in_channels, c2.in_h, c2.out_h, c2.out_w),
        (16, 16, 8, 8)
    );
    let Layer::Conv2d(dw) = &w.layers[2] else {
        panic!()
    };
    assert!(dw.is_depthwise());
    assert_eq!(dw.macs(), 8 * 8 * 32 * 9);
    let Layer::Gemm(fc) = &w.layers[3] else {
        panic!()
    };
    assert_eq!((fc.m, fc.k, fc.n), (1, 32, 10));
    // conv1: 32·32·16 outputs × 3 channels × 9
    assert_eq!(w.layers[0].macs(), 32 * 32 * 16 * 27);
    let ops: Vec<(&str, u64)> = w.ops.iter().map(|o| (o.name.as_str(), o.ops)).collect();
    assert_eq!(
        ops,
        [
            ("relu1", 16 * 32 * 32),
            ("pool1", 16 * 16 * 16 * 4),
            ("add", 32 * 8 * 8),
            ("gap", 32 * 8 * 8),
        ]
    );
    assert!(w.edges.contains(&("dw".into(), "add".into())));
}

#[test]
fn shape_errors_name_the_layer_and_field() {
    let e = parse(
        r#"WorkloadSpec(name: "w", inputs: [(name: "x", shape: [1, 6, 8, 8])], layers: [
            Conv2d((name: "c", out_channels: 8, kernel: (3, 3), groups: 4)),
        ])"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("layers[0].Conv2d.groups"), "{e}");
    let e = parse(
        r#"WorkloadSpec(name: "w", inputs: [(name: "x", shape: [1, 6, 8, 8])], layers: [
            Conv2d((name: "a", out_channels: 8, kernel: (3, 3))),
            Conv2d((name: "b", input: "x", out_channels: 8, kernel: (1, 1))),
            Op((name: "s", kind: Add, inputs: ["a", "b"])),
        ])"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("layers[2].Op.inputs"), "{e}");
    assert!(e.message.contains("[1, 8, 6, 6]"), "{e}");
    let e = parse(
        r#"WorkloadSpec(name: "w", inputs: [(name: "x", shape: [1, 6, 4, 4])], layers: [
            Conv2d((name: "a", out_channels: 8, kernel: (7, 7))),
        ])"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("layers[0].Conv2d.kernel"), "{e}");
    let e = parse(
        r#"WorkloadSpec(name: "w", layers: [
            Op((name: "a", kind: Relu, inputs: ["b"])),
            Op((name: "b", kind: Relu, inputs: ["a"])),
        ])"#,
    )
    .unwrap_err();
    assert!(e.message.contains("cycle"), "{e}");
    let e = parse(
        r#"WorkloadSpec(name: "w", layers: [Conv2d((name: "c", input: "nope", out_channels: 8, kernel: (1, 1)))])"#,
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("layers[0].Conv2d.input"), "{e}");
}

#[test]
fn layers_in_any_order_are_sorted_topologically() {
    let w = parse(
        r#"WorkloadSpec(name: "w", inputs: [(name: "x", shape: [1, 4, 8, 8])], layers: [
            Conv2d((name: "b", input: "a", out_channels: 4, kernel: (1, 1))),
            Conv2d((name: "a", input: "x", out_channels: 4, kernel: (1, 1))),
        ])"#,
    )
    .unwrap();
    let names: Vec<&str> = w.layers.iter().map(|l| l.name()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn select_by_name_or_index() {
    let w = crate::builtin::workload("mlp_small").unwrap();
    assert_eq!(w.select("1").unwrap().layers[0].name(), "fc2");
    assert_eq!(w.select("fc3").unwrap().layers[0].name(), "fc3");
    assert_eq!(
        w.select("nope").unwrap_err().field.as_deref(),
        Some("--layer")
    );
}

#[test]
fn conv_output_sizes() {
    // 224, pad 3+3, kernel 7, stride 2 -> 112; dilation 2 on a 3x3 spans 5
    assert_eq!(Conv2d::out_size(224, 6, 7, 2, 1), Some(112));
    assert_eq!(Conv2d::out_size(10, 0, 3, 1, 2), Some(6));
    assert_eq!(Conv2d::out_size(4, 0, 7, 1, 1), None);
}

/// The reference convolution equals the explicit im2col GEMM of every group.
#[test]
fn reference_conv_equals_im2col_gemm() {
    let c = Conv2d {
        name: "c".into(),
        batch: 2,
        in_channels: 6,
        in_h: 7,
        in_w: 9,
        out_channels: 4,
        kernel: [3, 2],
        stride: [2, 1],
        dilation: [1, 2],
        pad_begin: [1, 0],
        pad_end: [2, 1],
        groups: 2,
        out_h: Conv2d::out_size(7, 3, 3, 2, 1).unwrap(),
        out_w: Conv2d::out_size(9, 1, 2, 1, 2).unwrap(),
    };
    let (x, w) = data::conv_operands(&c, 3);
    let y = reference::conv2d(&c, &x, &w);
    let (cg, kg) = c.group_channels();
    let g = c.group_gemm().unwrap();
    for grp in 0..c.groups {
        // im2col A [pixels][kh, kw, c] and B [kh, kw, c][o] of this group
        let mut a = vec![0i8; (g.m * g.k) as usize];
        let mut b = vec![0i8; (g.k * g.n) as usize];
        for p in 0..g.m {
            let (n, rest) = (p / (c.out_h * c.out_w), p % (c.out_h * c.out_w));
            let (oy, ox) = (rest / c.out_w, rest % c.out_w);
            for ky in 0..c.kernel[0] {
                for kx in 0..c.kernel[1] {
                    for icg in 0..cg {
                        let k = (ky * c.kernel[1] + kx) * cg + icg;
                        let iy =
                            (oy * c.stride[0] + ky * c.dilation[0]) as i64 - c.pad_begin[0] as i64;
                        let ix =
                            (ox * c.stride[1] + kx * c.dilation[1]) as i64 - c.pad_begin[1] as i64;
                        if iy >= 0 && iy < c.in_h as i64 && ix >= 0 && ix < c.in_w as i64 {
                            let ic = grp * cg + icg;
                            a[(p * g.k + k) as usize] =
                                x[(((n * c.in_channels + ic) * c.in_h + iy as u32) * c.in_w
                                    + ix as u32) as usize];
                        }
                    }
                }
            }
        }
        for ky in 0..c.kernel[0] {
            for kx in 0..c.kernel[1] {
                for icg in 0..cg {
                    let k = (ky * c.kernel[1] + kx) * cg + icg;
                    for o in 0..kg {
                        let oc = grp * kg + o;
                        b[(k * g.n + o) as usize] =
                            w[(((oc * cg + icg) * c.kernel[0] + ky) * c.kernel[1] + kx) as usize];
                    }
                }
            }
        }
        let out = reference::gemm(&a, &b, g.m as usize, g.k as usize, g.n as usize);
        for p in 0..g.m {
            let (n, rest) = (p / (c.out_h * c.out_w), p % (c.out_h * c.out_w));
            for o in 0..kg {
                let oc = grp * kg + o;
                let want = y[((n * c.out_channels + oc) * c.out_h * c.out_w + rest) as usize];
                assert_eq!(out[(p * g.n + o) as usize], want);
            }
        }
    }
}

/// Batch × output pixels beyond 32 bits (the implicit GEMM's rows) is refused, naming the field.
#[test]
fn more_output_pixels_than_32_bits_hold_are_refused() {
    let e = parse(
        r#"WorkloadSpec(name: "huge", inputs: [(name: "x", shape: [16449, 1, 1, 1])], layers: [
            Conv2d((name: "c", out_channels: 1, kernel: (1, 1), padding: (255, 255))),
        ])"#,
    )
    .unwrap_err();
    assert!(
        e.field.as_deref().is_some_and(|f| f.ends_with("in_shape")),
        "{e}"
    );
    assert!(e.message.contains("exceeds"), "{e}");
}
