//! The journal: a resumed run (from a journal cut anywhere, as a kill leaves it) and a merge of
//! shards give exactly the result of one uninterrupted run; journals of another run and damaged
//! files are refused with the file and line.

use std::path::{Path, PathBuf};
use tessera_arch::{builtin, Arch};
use tessera_search::journal::{Header, Journal, Replay, Shard};
use tessera_search::{
    search_persisted, search_shard, Persist, RunStats, SearchConfig, SearchResult, Strategy,
};
use tessera_workloads::Workload;

fn setup(strategy: Strategy, evaluations: usize) -> (Arch, Workload, SearchConfig) {
    let base = builtin::arch("ws_16x16").unwrap();
    let w = tessera_workloads::builtin::workload("dqn").unwrap();
    let mut c = SearchConfig::default_for(&base);
    c.strategy = strategy;
    c.evaluations = evaluations;
    c.seed = 11;
    c.top_k = 2;
    (base, w, c)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tessera-journal-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let p = d.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

fn json(r: &SearchResult) -> String {
    serde_json::to_string(r).unwrap()
}

/// A run journaled into `path` (created), or resumed from it.
fn run(
    c: &SearchConfig,
    base: &Arch,
    w: &Workload,
    path: &Path,
    resume: bool,
) -> (SearchResult, RunStats) {
    let header = Header::new(base, w, c.objective, None);
    let (mut j, replay) = if resume {
        Journal::resume(path, &header).unwrap()
    } else {
        (Journal::create(path, &header).unwrap(), Replay::default())
    };
    search_persisted(
        c,
        base,
        w,
        &|_, _, _| {},
        Persist {
            replay: Some(&replay),
            journal: Some(&mut j),
        },
    )
    .unwrap()
}

/// Cut a journal as a kill would: after `keep` complete lines, plus half of the next one.
fn cut(from: &Path, to: &Path, keep: usize) {
    let text = std::fs::read_to_string(from).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(keep < lines.len());
    let mut out: String = lines[..keep].iter().map(|l| format!("{l}\n")).collect();
    out.push_str(&lines[keep][..lines[keep].len() / 2]);
    std::fs::write(to, out).unwrap();
}

#[test]
fn a_resumed_run_is_the_uninterrupted_run_for_every_strategy() {
    for (name, strategy, n) in [
        ("random", Strategy::Random, 300),
        ("evolutionary", Strategy::evolutionary(), 300),
        ("bayesian", Strategy::bayesian(), 40),
    ] {
        let (base, w, c) = setup(strategy, n);
        let whole = tmp(&format!("{name}-whole.journal"));
        let (r, stats) = run(&c, &base, &w, &whole, false);
        assert_eq!(stats.replayed, 0);
        assert_eq!(stats.computed, r.distinct_evaluated, "{name}");
        let lines = std::fs::read_to_string(&whole).unwrap().lines().count();
        // header + one line per distinct evaluation + the end record
        assert_eq!(lines, r.distinct_evaluated + 2, "{name}");
        for keep in [1, lines / 3, lines - 2] {
            let cut_file = tmp(&format!("{name}-cut-{keep}.journal"));
            cut(&whole, &cut_file, keep);
            let (again, stats) = run(&c, &base, &w, &cut_file, true);
            assert_eq!(json(&again), json(&r), "{name}, resumed after {keep} lines");
            assert_eq!(stats.replayed, keep - 1, "{name}");
            assert_eq!(stats.computed + stats.replayed, r.distinct_evaluated);
            // the torn line was cut off and the rest appended in the same order
            assert_eq!(
                std::fs::read(&cut_file).unwrap(),
                std::fs::read(&whole).unwrap(),
                "{name}, resumed after {keep} lines"
            );
        }
        // a finished run resumed computes nothing
        let (again, stats) = run(&c, &base, &w, &whole, true);
        assert_eq!(json(&again), json(&r));
        assert_eq!(stats.computed, 0);
    }
}

#[test]
fn shards_merge_to_the_one_machine_run() {
    let (base, w, c) = setup(Strategy::Random, 700);
    let one = tessera_search::search(&c, &base, &w).unwrap();
    let n = 3;
    let mut files = vec![];
    let mut owned = 0;
    for i in 0..n {
        let shard = Shard { index: i, count: n };
        let path = tmp(&format!("shard-{i}.journal"));
        let mut j =
            Journal::create(&path, &Header::new(&base, &w, c.objective, Some(shard))).unwrap();
        let rep = search_shard(
            &c,
            &base,
            &w,
            shard,
            &|_, _, _| {},
            Persist {
                replay: None,
                journal: Some(&mut j),
            },
        )
        .unwrap();
        assert_eq!(rep.distinct, one.distinct_evaluated);
        assert_eq!(rep.stats.computed, rep.owned);
        owned += rep.owned;
        files.push(path);
    }
    assert_eq!(owned, one.distinct_evaluated);
    let header = Header::new(&base, &w, c.objective, None);
    let replay = Replay::load(&files, &header).unwrap();
    replay.check_complete_shards().unwrap();
    let (merged, stats) = search_persisted(
        &c,
        &base,
        &w,
        &|_, _, _| {},
        Persist {
            replay: Some(&replay),
            journal: None,
        },
    )
    .unwrap();
    assert_eq!(json(&merged), json(&one));
    assert_eq!(
        stats,
        RunStats {
            computed: 0,
            replayed: one.distinct_evaluated
        }
    );
    // a missing shard is named
    let e = Replay::load(&files[..2], &header)
        .unwrap()
        .check_complete_shards()
        .unwrap_err();
    assert!(e.message.contains("2/3"), "{e}");
}

#[test]
fn only_strategies_that_ignore_outcomes_are_sharded() {
    let (base, w, c) = setup(Strategy::evolutionary(), 50);
    let shard = Shard { index: 0, count: 2 };
    let e = search_shard(&c, &base, &w, shard, &|_, _, _| {}, Persist::default()).unwrap_err();
    assert!(e.message.contains("only the random strategy"), "{e}");
    assert!(Shard::parse("2/2").is_err());
    assert!(Shard::parse("1/0").is_err());
    assert!(Shard::parse("x").is_err());
    assert_eq!(
        Shard::parse(" 1 / 4").unwrap(),
        Shard { index: 1, count: 4 }
    );
}

#[test]
fn journals_of_another_run_and_damaged_ones_are_refused() {
    let (base, w, c) = setup(Strategy::Random, 40);
    let path = tmp("other.journal");
    run(&c, &base, &w, &path, false);
    // another workload
    let mlp = tessera_workloads::builtin::workload("mlp_small").unwrap();
    let e = Replay::load(
        std::slice::from_ref(&path),
        &Header::new(&base, &mlp, c.objective, None),
    )
    .unwrap_err();
    assert!(e.message.contains("\"dqn\""), "{e}");
    assert_eq!(e.file.as_deref(), Some(path.as_path()));
    // another objective
    let e = Journal::resume(
        &path,
        &Header::new(&base, &w, tessera_search::Objective::Latency, None),
    )
    .err()
    .unwrap();
    assert!(e.message.contains("Edp"), "{e}");
    // a journal being written by another run is not resumed
    {
        let held = tmp("held.journal");
        let _writer = Journal::create(&held, &Header::new(&base, &w, c.objective, None)).unwrap();
        let e = Journal::resume(&held, &Header::new(&base, &w, c.objective, None))
            .err()
            .unwrap();
        assert!(e.message.contains("another run"), "{e}");
    }
    // an existing journal is not overwritten
    let e = Journal::create(&path, &Header::new(&base, &w, c.objective, None))
        .err()
        .unwrap();
    assert!(e.message.contains("--resume"), "{e}");
    // a damaged line (complete, but not a record) is named by its line
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "Eval(garbage";
    let bad = tmp("bad.journal");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let e = Replay::load(
        std::slice::from_ref(&bad),
        &Header::new(&base, &w, c.objective, None),
    )
    .unwrap_err();
    assert_eq!(e.position.map(|p| p.0), Some(4), "{e}");
    assert_eq!(e.file.as_deref(), Some(bad.as_path()));
    // not a journal at all
    std::fs::write(&bad, "(rows: 4)\n").unwrap();
    let e = Replay::load(&[bad], &Header::new(&base, &w, c.objective, None)).unwrap_err();
    assert!(e.message.contains("journal"), "{e}");
}

/// A kill can cut the last line anywhere, also inside a multi-byte character (an unmappable
/// candidate's reason may hold `×`): the torn line is dropped and the journal still resumes.
#[test]
fn a_last_line_cut_inside_a_multibyte_character_still_resumes() {
    let (base, w, c) = setup(Strategy::Random, 40);
    let whole = tmp("utf8-whole.journal");
    let (r, _) = run(&c, &base, &w, &whole, false);
    let torn = tmp("utf8-torn.journal");
    let mut bytes = std::fs::read(&whole).unwrap();
    // a record cut after the first byte of `×` (U+00D7, bytes C3 97)
    bytes.extend_from_slice(b"Eval((rows:2), Err(\"an output tile of 2 rows \xc3");
    std::fs::write(&torn, &bytes).unwrap();
    let (again, stats) = run(&c, &base, &w, &torn, true);
    assert_eq!(json(&again), json(&r));
    assert_eq!(stats.computed, 0);
    // the torn line was cut off (the resumed run appended only its end record)
    let got = std::fs::read(&torn).unwrap();
    assert!(got.starts_with(&std::fs::read(&whole).unwrap()));
    assert!(std::str::from_utf8(&got).is_ok());
}

/// Journals written before the weight double-buffering gene hold design points without it, which
/// the current reader would take for single-buffered points although a double-buffering base
/// (gemmini, tpu_like) made them double-buffered: such journals must be refused, not replayed.
#[test]
fn journals_from_before_the_double_buffering_gene_are_refused() {
    let (base, w, c) = setup(Strategy::Random, 20);
    let path = tmp("v1.journal");
    run(&c, &base, &w, &path, false);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("weight_double_buffer:"), "{text}");
    let old = text
        .replace("weight_double_buffer:false,", "")
        .replace("weight_double_buffer:true,", "")
        .replace("weight_double_buffer:false", "")
        .replace("weight_double_buffer:true", "")
        .replacen(
            &format!("version:{}", tessera_search::journal::VERSION),
            "version:1",
            1,
        );
    let v1 = tmp("v1-old.journal");
    std::fs::write(&v1, old).unwrap();
    let header = Header::new(&base, &w, c.objective, None);
    let e = Replay::load(std::slice::from_ref(&v1), &header).unwrap_err();
    assert!(e.message.contains("version 1"), "{e}");
    assert_eq!(e.file.as_deref(), Some(v1.as_path()));
    let e = Journal::resume(&v1, &header).err().unwrap();
    assert!(e.message.contains("version 1"), "{e}");
}
