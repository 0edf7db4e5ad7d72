//! The Verilator build cache: two builds of the same design at once both succeed and share one entry.
//! (Its own test binary, so that its two builds are the only ones running: the machine has 2 cores.)

mod common;

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
        1,
        "one cache entry, no leftover build folders: {entries:?}"
    );
    // a third call is a cache hit
    let c = tessera_verif::build_testbench_in(cache.path(), &arch, &design, &t).unwrap();
    assert_eq!(a, c);
}
