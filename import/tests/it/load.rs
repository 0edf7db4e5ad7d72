//! `tessera_import::load`: the importer chosen by the file's extension.

use std::path::{Path, PathBuf};
use tessera_core::diag::Kind;
use tessera_import::{load, Import, Validated};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn each_extension_gives_its_spec_and_validates() {
    let onnx = load(data("small_cnn.onnx")).unwrap();
    assert!(matches!(&onnx, Import::Workload(w) if w.spec.name == "small_cnn"));
    assert!(!onnx.notes().is_empty());
    assert!(matches!(onnx.validate().unwrap(), Validated::Workload(w) if w.layers.len() == 5));

    let csv = load(data("scalesim/test.csv")).unwrap();
    assert!(matches!(&csv, Import::Workload(w) if w.spec.layers.len() == 1));
    assert!(matches!(csv.validate().unwrap(), Validated::Workload(_)));

    let cfg = load(data("scalesim/scale.cfg")).unwrap();
    assert!(matches!(&cfg, Import::Arch(a) if a.spec.array.rows == 32));
    assert_eq!(cfg.file(), data("scalesim/scale.cfg"));
    assert!(matches!(cfg.validate().unwrap(), Validated::Arch(a) if a.pes() == 1024));
}

#[test]
fn the_extension_is_read_in_any_case() {
    let dir = std::env::temp_dir().join(format!("tessera-import-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upper = dir.join("TEST.CSV");
    std::fs::copy(data("scalesim/test.csv"), &upper).unwrap();
    assert!(matches!(load(&upper).unwrap(), Import::Workload(_)));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_the_file() {
    let e = load("model.txt").unwrap_err();
    assert_eq!(e.kind, Kind::BadInput);
    assert_eq!(e.file.as_deref(), Some(Path::new("model.txt")));
    assert!(
        e.message.contains("`.txt`") && e.message.contains(".onnx"),
        "{e}"
    );
    let e = load("no_extension").unwrap_err();
    assert!(e.message.contains("from the extension:"), "{e}");

    let missing = data("scalesim/missing.cfg");
    let e = load(&missing).unwrap_err();
    assert_eq!(e.kind, Kind::Io);
    assert_eq!(e.file.as_deref(), Some(missing.as_path()));

    let e = load(data("truncated.onnx")).unwrap_err();
    assert_eq!(e.file.as_deref(), Some(data("truncated.onnx").as_path()));

    // A folder with a known extension.
    let dir = std::env::temp_dir().join(format!("tessera-import-dir-{}.onnx", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = load(&dir).unwrap_err();
    assert!(e.message.contains("folder"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    // Validation errors too.
    let google = data("scalesim/google.cfg");
    let e = load(&google).unwrap().validate().unwrap_err();
    assert_eq!(e.file.as_deref(), Some(google.as_path()));
    assert!(
        e.to_string()
            .starts_with(&format!("{}:5:1: field `array.rows`", google.display())),
        "{e}"
    );
}
