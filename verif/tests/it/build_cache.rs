//! The Verilator build cache: two builds of the same design at once both succeed and share one
//! entry; a later design links the Verilator runtime the first build compiled.

use crate::common;

#[test]
fn concurrent_builds_of_one_hash_share_the_entry() {
    let Some(t) = common::tools(false) else {
        return;
    };
    let arch = tessera_arch::builtin::arch("ws_1x1").unwrap();
    let design = tessera_rtl_gen::emit(&arch).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let (a, b) = std::thread::scope(|s| {
        let one = s.spawn(|| tessera_verif::build_testbench_in(cache.path(), &arch, &design, &t));
        let two = s.spawn(|| tessera_verif::build_testbench_in(cache.path(), &arch, &design, &t));
        (one.join().unwrap().unwrap(), two.join().unwrap().unwrap())
    });
    assert_eq!(a, b);
    assert!(a.is_file());
    let entries: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "one cache entry and the runtime, no leftover build folders: {entries:?}"
    );
    assert!(entries.iter().any(|e| e.starts_with("verilator-runtime-")));
    // a third call is a cache hit
    let c = tessera_verif::build_testbench_in(cache.path(), &arch, &design, &t).unwrap();
    assert_eq!(a, c);
}

#[test]
fn a_second_design_links_the_runtime_the_first_compiled() {
    let Some(t) = common::tools(false) else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let log = |name: &str| {
        let arch = tessera_arch::builtin::arch(name).unwrap();
        let design = tessera_rtl_gen::emit(&arch).unwrap();
        let exe = tessera_verif::build_testbench_in(cache.path(), &arch, &design, &t).unwrap();
        std::fs::read_to_string(exe.parent().unwrap().parent().unwrap().join("build.log")).unwrap()
    };
    let compiles_runtime = |log: &str| log.contains("verilated.cpp");
    assert!(compiles_runtime(&log("ws_1x1")));
    assert!(!compiles_runtime(&log("os_1x1")));
    let runtimes = std::fs::read_dir(cache.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("verilator-runtime-")
        })
        .count();
    assert_eq!(runtimes, 1);
}
