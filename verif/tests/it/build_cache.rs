//! The Verilator build cache: two builds of the same design at once both succeed and share one
//! entry; a later design links the Verilator runtime and reads the precompiled `verilated.h` the
//! first build compiled. The synthesis cache:
//! a second synthesis of the same design is read from its entry, another design gets its own.

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
    let compiles_header = |log: &str| log.contains("-x c++-header");
    // GCC's -Winvalid-pch: a precompiled header found but not used
    let header_refused =
        |log: &str| log.contains("Winvalid-pch]") || log.contains("not used because");
    let (first, second) = (log("ws_1x1"), log("os_1x1"));
    assert!(
        compiles_runtime(&first) && compiles_header(&first),
        "{first}"
    );
    assert!(
        !compiles_runtime(&second) && !compiles_header(&second),
        "{second}"
    );
    assert!(
        !header_refused(&first) && !header_refused(&second),
        "{first}\n{second}"
    );
    let runtimes = std::fs::read_dir(cache.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("verilator-runtime-")
        })
        .count();
    assert_eq!(runtimes, 1);
}

#[test]
fn a_second_synthesis_of_a_design_is_read_from_the_cache() {
    let Some(t) = common::tools(true) else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let design = |name: &str| tessera_rtl_gen::emit(&tessera_arch::builtin::arch(name).unwrap());
    let ws = design("ws_1x1").unwrap();
    let first = tessera_verif::synth_in(cache.path(), &ws, &t).unwrap();
    let entries = || -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(cache.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let [entry] = entries().try_into().expect("one entry, no leftover folder");
    assert!(entry
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("synth-ws_1x1_top-"));
    // the second synthesis reads the entry: a stat.json written over it shows in the report
    std::fs::write(
        entry.join("stat.json"),
        r#"{ "design": { "num_cells": 7, "num_cells_by_type": { "$_DFF_P_": 7 } } }"#,
    )
    .unwrap();
    let read = tessera_verif::synth_in(cache.path(), &ws, &t).unwrap();
    assert_eq!(
        (read.cells, read.unreset_flip_flops()),
        (7, vec!["$_DFF_P_"])
    );
    // another design (one byte of one file changed) is synthesised, not read
    let mut other = ws.clone();
    other.files[0].text.push('\n');
    let r = tessera_verif::synth_in(cache.path(), &other, &t).unwrap();
    assert_eq!(r, first);
    assert_eq!(entries().len(), 2);
}
