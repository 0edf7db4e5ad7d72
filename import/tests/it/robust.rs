//! Damaged and random inputs give errors, never panics.

use proptest::prelude::*;
use std::path::Path;
use tessera_import::{onnx, scalesim};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Bytes of real models, changed in a few places and cut anywhere.
    #[test]
    fn damaged_onnx_models_do_not_panic(
        which in 0usize..4,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let name = ["small_cnn.onnx", "quantized.onnx", "branches.onnx", "attention.onnx"][which];
        let mut bytes = fixture(name);
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let keep = cut.index(bytes.len() + 1);
        bytes.truncate(keep.max(bytes.len() / 2));
        if let Ok(imp) = onnx::from_bytes(&bytes, Path::new("m.onnx")) {
            let _ = imp.validate();
        }
    }

    #[test]
    fn random_topologies_do_not_panic(rows in prop::collection::vec(
        prop::collection::vec("[ -~]{0,6}|-?[0-9]{1,12}", 0..11), 0..6), gemm in any::<bool>()) {
        let header = if gemm { "Layer, M, N, K," } else {
            "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
        };
        let text = std::iter::once(header.to_string())
            .chain(rows.iter().map(|r| r.join(",")))
            .collect::<Vec<_>>()
            .join("\n");
        if let Ok(imp) = scalesim::parse_topology(&text, Path::new("t.csv")) {
            let _ = imp.validate();
        }
    }

    #[test]
    fn random_configs_do_not_panic(values in prop::collection::vec("[ -~]{0,8}|-?[0-9]{1,20}", 7)) {
        let keys = ["ArrayHeight", "ArrayWidth", "IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB",
                    "Dataflow", "Bandwidth"];
        let mut text = "[general]\nrun_name = r\n[architecture_presets]\n".to_string();
        for (k, v) in keys.iter().zip(&values) {
            text.push_str(&format!("{k}: {v}\n"));
        }
        if let Ok(imp) = scalesim::parse_config(&text, Path::new("c.cfg")) {
            let _ = imp.validate();
        }
    }
}
