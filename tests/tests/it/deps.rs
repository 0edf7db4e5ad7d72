//! Architecture invariant: dependencies run one way (docs/ARCHITECTURE.md).
//! workloads, arch → mapping → sim → search; arch → rtl_gen; sim + rtl_gen → verif;
//! search + verif → flow; cli on top.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn workspace_deps() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeSet<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null()) // normal dependencies only
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|d| names.contains(d))
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let deps = workspace_deps();
    let allowed: &[(&str, &[&str])] = &[
        ("tessera-core", &[]),
        ("tessera-arch", &["tessera-core"]),
        ("tessera-workloads", &["tessera-core"]),
        (
            "tessera-mapping",
            &["tessera-core", "tessera-arch", "tessera-workloads"],
        ),
        (
            "tessera-sim",
            &[
                "tessera-core",
                "tessera-arch",
                "tessera-workloads",
                "tessera-mapping",
            ],
        ),
        (
            "tessera-search",
            &[
                "tessera-core",
                "tessera-arch",
                "tessera-workloads",
                "tessera-mapping",
                "tessera-sim",
            ],
        ),
        ("tessera-rtl-gen", &["tessera-core", "tessera-arch"]),
        (
            "tessera-import",
            &["tessera-core", "tessera-arch", "tessera-workloads"],
        ),
        (
            "tessera-verif",
            &[
                "tessera-core",
                "tessera-arch",
                "tessera-rtl-gen",
                "tessera-sim",
                "tessera-mapping",
                "tessera-workloads",
            ],
        ),
        (
            "tessera-flow",
            &[
                "tessera-core",
                "tessera-arch",
                "tessera-workloads",
                "tessera-mapping",
                "tessera-sim",
                "tessera-rtl-gen",
                "tessera-verif",
                "tessera-search",
            ],
        ),
        (
            "tessera-cli",
            &[
                "tessera-core",
                "tessera-arch",
                "tessera-workloads",
                "tessera-mapping",
                "tessera-sim",
                "tessera-rtl-gen",
                "tessera-verif",
                "tessera-search",
                "tessera-flow",
                "tessera-import",
            ],
        ),
    ];
    for (krate, ok) in allowed {
        let Some(actual) = deps.get(*krate) else {
            panic!("{krate} is not in the workspace")
        };
        for d in actual {
            assert!(
                ok.contains(&d.as_str()),
                "{krate} must not depend on {d} (docs/ARCHITECTURE.md)"
            );
        }
    }
    assert!(
        !deps["tessera-rtl-gen"].contains("tessera-sim"),
        "rtl_gen must not depend on sim"
    );
    // The comparison of the two implementations lives in verif, not in the command line.
    assert!(
        deps["tessera-verif"].contains("tessera-sim")
            && deps["tessera-verif"].contains("tessera-rtl-gen"),
        "verif is where the simulator and the RTL meet"
    );
    // No crate depends on the command line.
    for (k, d) in &deps {
        assert!(!d.contains("tessera-cli"), "{k} must not depend on the CLI");
    }
}
