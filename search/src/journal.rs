//! The search's journal: every distinct evaluation, appended to a file as it is made, so a run can
//! be resumed after a crash, a SIGKILL or Ctrl-C, and split into shards that run on other machines.
//!
//! What it is. A journal is a text file of one RON record per line: a [`Header`] (what the
//! evaluations depend on, as a SHA-256 fingerprint, and which shard wrote it), then one
//! `Eval` record per distinct candidate evaluated (its [`DesignPoint`], and per layer the mapping,
//! cycles, energy and the mapper's counts; or the reason it could not be mapped), and an `End`
//! record when the run that wrote it finished exploring. Records are written on the calling thread
//! in the order the search makes them and flushed after every batch, so a killed run loses at
//! most the batch in flight; a last line cut short by the kill, wherever it was cut (also inside a
//! multi-byte character), is ignored (and cut off when the file is resumed). Energies are stored as the bits of their `f64`, so a replayed evaluation is
//! bit-identical to a computed one.
//!
//! How it is used. A search that is given journals to replay ([`Replay`]) takes every evaluation
//! it finds there instead of computing it. Because a run is a deterministic function of its
//! configuration and seed, and the strategies only see evaluations (never where they came from),
//! replaying gives exactly the result of an uninterrupted run: the same history, finalists and
//! best design, byte for byte. That is resume (replay the run's own journal, keep appending to
//! it) and that is the merge of shards (replay the union of the shards' journals; see
//! [`crate::search_shard`]).
//!
//! What an evaluation depends on, and so what the fingerprint covers: the base accelerator (its
//! spec and technology figures), the workload, the objective, the mapper's screening budget and
//! Tessera's version. The seed, the strategy, the budget, the space and the constraints are not
//! covered: a journal is a cache of evaluations keyed by design point, valid for any run on the
//! same workload and base (a run with a larger budget replays the smaller run's evaluations and
//! computes the rest). A journal written by a different Tessera build of the same version, whose
//! models changed, is not detected: resume with the build that wrote it.
//!
//! What it leaves out: the finalists' cycle-level re-simulation is not journaled (it is a few
//! layer simulations per finalist, redone on resume); journals are not compressed (about 125 bytes
//! per layer per distinct candidate: ResNet-18's 21 layers × 2,050 candidates is 5.4 MB).

use crate::eval::{Evaluation, LayerChoice, Metrics, Objective};
use crate::space::DesignPoint;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Kind, Result};
use tessera_mapping::{Mapping, SpaceBudget};
use tessera_workloads::Workload;

/// The `format` every journal's header carries.
pub const FORMAT: &str = "tessera-search-journal";
/// The journal format's version. 2: design points carry `weight_double_buffer` (version 1's
/// candidates inherited the base's double-buffering, so their points cannot be read as version 2
/// ones: a version-1 point of a double-buffering base, read with the field's default `false`, would
/// replay a double-buffered evaluation as a single-buffered design).
pub const VERSION: u32 = 2;
/// The largest journal read (a journal is ~125 bytes per layer per distinct candidate).
pub const MAX_JOURNAL_BYTES: u64 = 4 << 30;

/// Which part of a sharded run a journal holds: the distinct candidates whose 0-based order of
/// first appearance `i` has `i % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parse `I/N` (0 ≤ I < N ≤ 4096), as the command line's `--shard` takes it.
    pub fn parse(text: &str) -> Result<Shard> {
        let bad = || {
            Diagnostic::field(
                "--shard",
                format!("{text:?}: expected I/N with 0 <= I < N <= 4096, e.g. 0/4"),
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > 4096 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Does the distinct candidate of 0-based order `ordinal` belong to this shard?
    pub fn owns(self, ordinal: usize) -> bool {
        ordinal % self.count as usize == self.index as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The first line of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// SHA-256 (hex) of everything an evaluation depends on; see the module docs.
    pub fingerprint: String,
    pub workload: String,
    pub base_arch: String,
    pub objective: Objective,
    /// The shard that wrote the journal; `None` for a whole run.
    pub shard: Option<Shard>,
}

impl Header {
    /// The header of a journal of evaluations of `workload` on candidates built from `base`.
    pub fn new(
        base: &Arch,
        workload: &Workload,
        objective: Objective,
        shard: Option<Shard>,
    ) -> Self {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            fingerprint: fingerprint(base, workload, objective),
            workload: workload.name.clone(),
            base_arch: base.name().to_string(),
            objective,
            shard,
        }
    }
}

/// SHA-256 of what an evaluation depends on.
fn fingerprint(base: &Arch, workload: &Workload, objective: Objective) -> String {
    let mut h = Sha256::new();
    let mut part = |label: &str, text: String| {
        h.update(label.as_bytes());
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    };
    part("tessera", env!("CARGO_PKG_VERSION").to_string());
    part(
        "base",
        ron::ser::to_string(base.spec()).unwrap_or_else(|e| format!("unserializable: {e}")),
    );
    part("tech", format!("{:?}", base.tech()));
    part(
        "workload",
        ron::ser::to_string(workload).unwrap_or_else(|e| format!("unserializable: {e}")),
    );
    part("objective", format!("{objective:?}"));
    let SpaceBudget {
        exhaustive,
        balanced_trips,
    } = SpaceBudget::SCREEN;
    part("screen", format!("{exhaustive}/{balanced_trips}"));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// One layer of a journaled evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LayerRecord {
    mapping: Mapping,
    cycles: u64,
    /// `f64::to_bits` of the energy in pJ.
    energy_pj_bits: u64,
    candidates: usize,
    estimated: usize,
}

/// A line of a journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum Record {
    Header(Header),
    /// A distinct candidate's evaluation: per layer, or why some layer could not be mapped.
    Eval(DesignPoint, std::result::Result<Vec<LayerRecord>, String>),
    /// The run that wrote the journal finished exploring, after this many distinct evaluations
    /// (of its shard).
    End(usize),
}

/// A journaled outcome: an evaluation's per-layer choices, or why it could not be mapped.
type Stored = std::result::Result<Vec<LayerRecord>, String>;

fn store(r: &std::result::Result<Evaluation, String>) -> Stored {
    match r {
        Ok(e) => Ok(e
            .layers
            .iter()
            .map(|l| LayerRecord {
                mapping: l.mapping,
                cycles: l.cycles,
                energy_pj_bits: l.energy_pj.to_bits(),
                candidates: l.mapping_candidates,
                estimated: l.mappings_estimated,
            })
            .collect()),
        Err(m) => Err(m.clone()),
    }
}

/// Evaluations read from journals, answered by design point.
#[derive(Debug, Default)]
pub struct Replay {
    map: BTreeMap<DesignPoint, Stored>,
    /// Shards seen, with the file of each (for the completeness check).
    shards: BTreeMap<Shard, PathBuf>,
    /// Whole-run journals read.
    whole: usize,
    /// Files read without an `End` record.
    unfinished: Vec<PathBuf>,
}

impl Replay {
    /// Read `paths` (none: an empty replay). Every journal must have been written for the same
    /// base, workload and objective as `expect`; an evaluation of the same point in two files must
    /// agree.
    pub fn load(paths: &[PathBuf], expect: &Header) -> Result<Replay> {
        let mut r = Replay::default();
        for p in paths {
            r.read(p, expect)?;
        }
        Ok(r)
    }

    /// Distinct evaluations held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Were any of the journals read written by a shard?
    pub fn has_shards(&self) -> bool {
        !self.shards.is_empty()
    }

    /// Add `other`'s evaluations (those of points not held already).
    pub fn absorb(&mut self, other: Replay) {
        for (p, s) in other.map {
            self.map.entry(p).or_insert(s);
        }
    }

    /// For a merge of shards: every shard `0..N` of one `N` was read, each finished, and no
    /// whole-run journal was mixed in. The error names what is missing.
    pub fn check_complete_shards(&self) -> Result<()> {
        let Some((first, _)) = self.shards.iter().next() else {
            return Err(Diagnostic::new(
                "none of the journals given was written by a shard (--shard I/N)",
            ));
        };
        let n = first.count;
        if let Some((s, p)) = self.shards.iter().find(|(s, _)| s.count != n) {
            return Err(Diagnostic::new(format!(
                "shard {s} does not belong to a run of {n} shards"
            ))
            .in_file(p));
        }
        let missing: Vec<String> = (0..n)
            .filter(|&i| !self.shards.contains_key(&Shard { index: i, count: n }))
            .map(|i| format!("{i}/{n}"))
            .collect();
        if !missing.is_empty() {
            return Err(Diagnostic::new(format!(
                "the journals of shard(s) {} are missing",
                missing.join(", ")
            )));
        }
        if let Some(p) = self.unfinished.first() {
            return Err(Diagnostic::new(
                "this shard did not finish (no end record): rerun it with --resume",
            )
            .in_file(p));
        }
        if self.whole > 0 {
            return Err(Diagnostic::new(
                "a whole-run journal was given with the shards; merge shards only",
            ));
        }
        Ok(())
    }

    /// The evaluation of `point` on `arch` (the accelerator `point` builds), if journaled.
    pub(crate) fn get(
        &self,
        point: &DesignPoint,
        arch: &Arch,
        workload: &Workload,
    ) -> Option<Result<std::result::Result<Evaluation, String>>> {
        let stored = self.map.get(point)?;
        Some(rebuild(stored, arch, workload))
    }

    fn read(&mut self, path: &Path, expect: &Header) -> Result<()> {
        let (records, _) = parse(path)?;
        let mut iter = records.into_iter();
        let header = match iter.next() {
            Some((_, Record::Header(h))) => h,
            _ => {
                return Err(
                    Diagnostic::new("is not a Tessera search journal (no header)").in_file(path),
                )
            }
        };
        check_header(&header, expect, path)?;
        match header.shard {
            Some(s) => {
                if let Some(other) = self.shards.insert(s, path.to_path_buf()) {
                    return Err(Diagnostic::new(format!(
                        "shard {s} was also given as {}",
                        other.display()
                    ))
                    .in_file(path));
                }
            }
            None => self.whole += 1,
        }
        let mut ended = false;
        for (line, rec) in iter {
            match rec {
                Record::Eval(point, stored) => {
                    if let Some(prev) = self.map.get(&point) {
                        if *prev != stored {
                            return Err(Diagnostic::new(format!(
                                "the evaluation of {} on line {line} differs from one read \
                                 before: the journals were not written by the same model",
                                point.name()
                            ))
                            .in_file(path));
                        }
                    } else {
                        self.map.insert(point, stored);
                    }
                }
                Record::End(_) => ended = true,
                Record::Header(_) => {
                    return Err(
                        Diagnostic::new(format!("a second header on line {line}")).in_file(path)
                    )
                }
            }
        }
        if !ended {
            self.unfinished.push(path.to_path_buf());
        }
        Ok(())
    }
}

/// An [`Evaluation`] from its journaled layers (the totals recomputed as `evaluate_in` computes
/// them, so they are bit-identical).
fn rebuild(
    stored: &Stored,
    arch: &Arch,
    workload: &Workload,
) -> Result<std::result::Result<Evaluation, String>> {
    let layers = match stored {
        Err(m) => return Ok(Err(m.clone())),
        Ok(l) => l,
    };
    if layers.len() != workload.layers.len() {
        return Err(Diagnostic::new(format!(
            "a journaled evaluation of {} has {} layers, the workload {}",
            arch.name(),
            layers.len(),
            workload.layers.len()
        )));
    }
    let layers: Vec<LayerChoice> = layers
        .iter()
        .zip(&workload.layers)
        .map(|(r, l)| LayerChoice {
            layer: l.name().to_string(),
            mapping: r.mapping,
            cycles: r.cycles,
            energy_pj: f64::from_bits(r.energy_pj_bits),
            mapping_candidates: r.candidates,
            mappings_estimated: r.estimated,
        })
        .collect();
    let metrics = Metrics::total(arch, layers.iter().map(|l| (l.cycles, l.energy_pj)))?;
    Ok(Ok(Evaluation {
        arch: arch.spec().clone(),
        layers,
        metrics,
    }))
}

fn check_header(found: &Header, expect: &Header, path: &Path) -> Result<()> {
    if found.format != FORMAT || found.version != VERSION {
        return Err(Diagnostic::new(format!(
            "is a {:?} version {} file; this Tessera reads {FORMAT:?} version {VERSION}",
            found.format, found.version
        ))
        .in_file(path));
    }
    if found.fingerprint != expect.fingerprint {
        return Err(Diagnostic::new(format!(
            "was written for workload {:?} on base {:?} with objective {:?} (or another Tessera \
             version), not for this run's workload {:?} on base {:?} with objective {:?}",
            found.workload,
            found.base_arch,
            found.objective,
            expect.workload,
            expect.base_arch,
            expect.objective
        ))
        .in_file(path));
    }
    Ok(())
}

/// The complete records of a journal with their 1-based line numbers, and the byte length of the
/// complete lines (a last line without its newline, cut short by a kill, is left out).
fn parse(path: &Path) -> Result<(Vec<(usize, Record)>, u64)> {
    let bytes = tessera_core::load::read_bytes(path, MAX_JOURNAL_BYTES, "a search journal")?;
    // Cut the torn last line off before decoding: a kill may have split a multi-byte character.
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let text = std::str::from_utf8(&bytes[..complete])
        .map_err(|e| Diagnostic::new(format!("is not UTF-8 text ({e})")).in_file(path))?;
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let rec: Record = ron::from_str(line).map_err(|e| {
            let mut d =
                Diagnostic::new(format!("is not a journal record: {}", e.code)).in_file(path);
            d.position = Some((i + 1, e.span.start.col));
            d
        })?;
        out.push((i + 1, rec));
    }
    Ok((out, complete as u64))
}

/// Hold an exclusive advisory lock on the journal while it is written (released when the file is
/// closed or the process ends), so two runs never interleave their lines in one journal.
fn lock(f: &File, path: &Path) -> Result<()> {
    match f.try_lock() {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(Diagnostic::new(
            "is being written by another run (it holds the journal's lock): let that run end \
             or stop it first",
        )
        .in_file(path)),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(Diagnostic::io(path, "cannot lock the journal", &e))
        }
    }
}

/// A journal being written.
pub struct Journal {
    path: PathBuf,
    out: BufWriter<File>,
    written: usize,
}

impl Journal {
    /// Start a new journal at `path`; an existing file is refused (resume it or remove it).
    pub fn create(path: &Path, header: &Header) -> Result<Journal> {
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Diagnostic::new(
                        "exists already: pass --resume to continue the run it journals, or \
                         remove it",
                    )
                    .kind(Kind::BadInput)
                    .in_file(path)
                } else {
                    Diagnostic::io(path, "cannot create the journal", &e)
                }
            })?;
        lock(&f, path)?;
        let mut j = Journal {
            path: path.to_path_buf(),
            out: BufWriter::new(f),
            written: 0,
        };
        j.write(&Record::Header(header.clone()))?;
        j.flush()?;
        Ok(j)
    }

    /// Continue the journal at `path` (which must exist and match `header`, shard included): its
    /// evaluations are returned to replay, a last line cut short is cut off, and new records are
    /// appended. An `End` record already there is kept (the run finished before; resuming replays
    /// it whole and appends only what a larger budget adds).
    pub fn resume(path: &Path, header: &Header) -> Result<(Journal, Replay)> {
        let (records, complete) = parse(path)?;
        match records.first() {
            Some((_, Record::Header(h))) => {
                check_header(h, header, path)?;
                if h.shard != header.shard {
                    let name =
                        |s: Option<Shard>| s.map_or("a whole run".into(), |s| format!("shard {s}"));
                    return Err(Diagnostic::new(format!(
                        "journals {}, not {}",
                        name(h.shard),
                        name(header.shard)
                    ))
                    .in_file(path));
                }
            }
            _ => {
                return Err(
                    Diagnostic::new("is not a Tessera search journal (no header)").in_file(path),
                )
            }
        }
        let mut replay = Replay::default();
        replay.read(path, header)?;
        let mut f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Diagnostic::io(path, "cannot open the journal to append", &e))?;
        lock(&f, path)?;
        f.set_len(complete)
            .map_err(|e| Diagnostic::io(path, "cannot cut off the journal's torn last line", &e))?;
        use std::io::Seek;
        f.seek(std::io::SeekFrom::End(0))
            .map_err(|e| Diagnostic::io(path, "cannot open the journal to append", &e))?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                out: BufWriter::new(f),
                written: 0,
            },
            replay,
        ))
    }

    /// Append an evaluation (flushed with the batch, by [`Journal::flush`]).
    pub(crate) fn record(
        &mut self,
        point: DesignPoint,
        r: &std::result::Result<Evaluation, String>,
    ) -> Result<()> {
        self.written += 1;
        self.write(&Record::Eval(point, store(r)))
    }

    /// Append the end record: the run finished exploring after `distinct` evaluations.
    pub(crate) fn end(&mut self, distinct: usize) -> Result<()> {
        self.write(&Record::End(distinct))?;
        self.flush()
    }

    /// Evaluations appended by this writer.
    pub fn written(&self) -> usize {
        self.written
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Push what was appended to the file (after every batch).
    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| Diagnostic::io(&self.path, "cannot write the journal", &e))
    }

    fn write(&mut self, rec: &Record) -> Result<()> {
        let line = ron::ser::to_string(rec)
            .map_err(|e| Diagnostic::internal(format!("cannot serialize a journal record: {e}")))?;
        debug_assert!(!line.contains('\n'));
        self.out
            .write_all(line.as_bytes())
            .and_then(|_| self.out.write_all(b"\n"))
            .map_err(|e| Diagnostic::io(&self.path, "cannot write the journal", &e))
    }
}
