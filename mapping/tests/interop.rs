//! The Timeloop and ZigZag exports: golden files for one weight-stationary and one
//! output-stationary case (`TESSERA_BLESS=1 cargo test -p tessera-mapping --test interop` rewrites
//! them; review the diff), every file read back as YAML with its factors checked against the layer
//! and the array, and names that try to break the YAML.

use proptest::prelude::*;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use std::path::{Path, PathBuf};
use tessera_arch::{builtin, Arch, ArchSpec, Dataflow};
use tessera_mapping::interop::{timeloop, zigzag, Export, Form, Level, Operand, PDim};
use tessera_mapping::{Keep, Mapping, MappingSpec, Problem, Schedule};
use tessera_workloads::{Conv2d, Gemm, Layer, MatMul};

/// A YAML tree without borrowed data, tags kept.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    Tagged(String, Box<Node>),
}

impl Node {
    fn of(y: &Yaml) -> Node {
        match y {
            Yaml::Value(Scalar::Null) => Node::Null,
            Yaml::Value(Scalar::Boolean(b)) => Node::Bool(*b),
            Yaml::Value(Scalar::Integer(i)) => Node::Int(*i),
            Yaml::Value(Scalar::FloatingPoint(f)) => Node::Float(f.into_inner()),
            Yaml::Value(Scalar::String(s)) => Node::Str(s.to_string()),
            Yaml::Sequence(v) => Node::Seq(v.iter().map(Node::of).collect()),
            Yaml::Mapping(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| {
                        let k = match Node::of(k) {
                            Node::Str(s) => s,
                            other => panic!("a key that is not a string: {other:?}"),
                        };
                        (k, Node::of(v))
                    })
                    .collect(),
            ),
            Yaml::Tagged(tag, node) => Node::Tagged(
                format!("{}{}", tag.handle, tag.suffix),
                Box::new(Node::of(node)),
            ),
            other => panic!("unexpected YAML node {other:?}"),
        }
    }

    fn get(&self, key: &str) -> &Node {
        self.try_get(key)
            .unwrap_or_else(|| panic!("no key {key:?} in {self:?}"))
    }

    fn try_get(&self, key: &str) -> Option<&Node> {
        match self.untagged() {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn untagged(&self) -> &Node {
        match self {
            Node::Tagged(_, n) => n,
            n => n,
        }
    }

    fn seq(&self) -> &[Node] {
        match self.untagged() {
            Node::Seq(v) => v,
            other => panic!("not a sequence: {other:?}"),
        }
    }

    fn int(&self) -> u64 {
        match self {
            Node::Int(i) => u64::try_from(*i).expect("non-negative"),
            other => panic!("not an integer: {other:?}"),
        }
    }

    fn str(&self) -> &str {
        match self {
            Node::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    /// Replace every string equal to `from` by `to` (to compare two documents that differ only in
    /// a name).
    fn renamed(&self, from: &str, to: &str) -> Node {
        match self {
            Node::Str(s) if s == from => Node::Str(to.into()),
            Node::Seq(v) => Node::Seq(v.iter().map(|n| n.renamed(from, to)).collect()),
            Node::Map(m) => Node::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.renamed(from, to)))
                    .collect(),
            ),
            Node::Tagged(t, n) => Node::Tagged(t.clone(), Box::new(n.renamed(from, to))),
            n => n.clone(),
        }
    }
}

/// Parse one YAML document.
fn parse(text: &str) -> Node {
    let docs = Yaml::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(docs.len(), 1, "one document:\n{text}");
    Node::of(&docs[0])
}

/// `X=12` → ("X", 12).
fn split_factor(f: &str) -> (&str, u64) {
    let (d, v) = f.split_once('=').expect("X=n");
    (d, v.parse().expect("an integer factor"))
}

/// The layer's sizes in the export's form, worked out from the problem (not from the export).
fn layer_extents(p: &Problem, form: Form) -> Vec<(PDim, u64)> {
    match (form, &p.conv) {
        (Form::Conv, Some(cg)) => {
            let c = &cg.conv;
            vec![
                (PDim::C, u64::from(cg.cg)),
                (PDim::M, u64::from(p.gemm.n)),
                (PDim::R, u64::from(c.kernel[1])),
                (PDim::S, u64::from(c.kernel[0])),
                (PDim::N, u64::from(c.batch)),
                (PDim::P, u64::from(c.out_w)),
                (PDim::Q, u64::from(c.out_h)),
                (PDim::G, u64::from(p.instances)),
            ]
        }
        _ => vec![
            (PDim::C, u64::from(p.gemm.k)),
            (PDim::M, u64::from(p.gemm.n)),
            (PDim::R, 1),
            (PDim::S, 1),
            (PDim::N, 1),
            (PDim::P, u64::from(p.gemm.m)),
            (PDim::Q, 1),
            (PDim::G, u64::from(p.instances)),
        ],
    }
}

/// Read the Timeloop files back and check them against the array and the layer.
fn check_timeloop(arch: &Arch, p: &Problem, m: &Mapping) {
    let f = timeloop::write(arch, p, m).unwrap();
    assert_eq!(f, timeloop::write(arch, p, m).unwrap(), "deterministic");
    let e = Export::new(arch, p, m).unwrap();
    // Architecture: tagged nodes with unique names, the PE mesh, a MAC at the end.
    let a = parse(&f.arch);
    let arch_node = a.get("architecture");
    assert_eq!(arch_node.get("version"), &Node::Float(0.4));
    let nodes = arch_node.get("nodes").seq();
    let mut names = Vec::new();
    for n in nodes {
        let Node::Tagged(tag, _) = n else {
            panic!("an untagged node: {n:?}")
        };
        assert!(tag == "!Container" || tag == "!Component", "{tag}");
        names.push(n.get("name").str().to_string());
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "unique names: {names:?}");
    let pe = nodes
        .iter()
        .find(|n| n.get("name").str() == "PE")
        .expect("a PE container");
    assert_eq!(pe.get("spatial").get("meshX").int(), u64::from(arch.cols()));
    assert_eq!(pe.get("spatial").get("meshY").int(), u64::from(arch.rows()));
    assert_eq!(nodes.last().unwrap().get("class").str(), "intmac");
    // Problem: the instance covers the layer.
    let pr = parse(&f.problem);
    let prob = pr.get("problem");
    let dims: Vec<&str> = prob
        .get("shape")
        .get("dimensions")
        .seq()
        .iter()
        .map(Node::str)
        .collect();
    assert_eq!(dims, ["C", "M", "R", "S", "N", "P", "Q", "G"]);
    assert_eq!(prob.get("shape").get("name").str(), p.name);
    let inst = prob.get("instance");
    let layer = layer_extents(p, e.form);
    for &(d, x) in &layer {
        assert!(inst.get(d.name()).int() >= x, "{} covers {x}", d.name());
    }
    // Mapping: per dimension the factors multiply to the instance exactly (Timeloop's check) and
    // so cover the layer; the spatial factors are the array's.
    let mp = parse(&f.mapping);
    let directives = mp.get("mapping").seq();
    let mut product = [1u64; 8];
    let mut spatial = 0;
    for dir in directives {
        let target = dir.get("target").str();
        assert!(names.iter().any(|n| n == target), "target {target}");
        match dir.get("type").str() {
            "temporal" | "spatial" => {
                let mut seen = Vec::new();
                for fa in dir.get("factors").seq() {
                    let (d, v) = split_factor(fa.str());
                    let i = PDim::ALL.iter().position(|x| x.name() == d).unwrap();
                    product[i] *= v;
                    seen.push(d.to_string());
                }
                assert_eq!(seen, dims, "every dimension once, in order");
                let mut perm: Vec<&str> =
                    dir.get("permutation").seq().iter().map(Node::str).collect();
                perm.sort();
                let mut want = dims.clone();
                want.sort();
                assert_eq!(perm, want, "a permutation of the dimensions");
                if dir.get("type").str() == "spatial" {
                    spatial += 1;
                    assert_eq!(target, "PE");
                    assert_eq!(dir.get("split").int(), 1);
                    let fs: Vec<(&str, u64)> = dir
                        .get("factors")
                        .seq()
                        .iter()
                        .map(|x| split_factor(x.str()))
                        .collect();
                    let (rows_dim, cols_dim) = match arch.dataflow() {
                        Dataflow::OutputStationary => ("P", "M"),
                        Dataflow::WeightStationary => ("C", "M"),
                        Dataflow::InputStationary => ("C", "P"),
                        Dataflow::RowStationary => unreachable!("not in SUPPORTED"),
                    };
                    for (d, v) in fs {
                        let want = match d {
                            x if x == cols_dim => arch.cols(),
                            x if x == rows_dim => arch.rows(),
                            _ => 1,
                        };
                        assert_eq!(v, u64::from(want), "spatial {d}");
                    }
                    // the first dimension of the permutation is on X: the columns'
                    assert_eq!(dir.get("permutation").seq()[0].str(), cols_dim);
                }
            }
            "dataspace" => {
                let keep = dir.get("keep").seq().len();
                let bypass = dir.get("bypass").seq().len();
                assert_eq!(keep + bypass, 3, "{dir:?}");
            }
            other => panic!("directive type {other}"),
        }
    }
    assert_eq!(spatial, 1);
    for (i, d) in PDim::ALL.iter().enumerate() {
        assert_eq!(
            product[i],
            inst.get(d.name()).int(),
            "{} multiplies to the instance",
            d.name()
        );
    }
    for &(d, x) in &layer {
        let i = PDim::ALL.iter().position(|y| *y == d).unwrap();
        assert!(
            product[i] >= x,
            "{}: factors {} cover {x}",
            d.name(),
            product[i]
        );
    }
}

/// Read the ZigZag files back and check them against the array and the layer.
fn check_zigzag(arch: &Arch, p: &Problem, m: &Mapping) {
    let f = zigzag::write(arch, p, m).unwrap();
    assert_eq!(f, zigzag::write(arch, p, m).unwrap(), "deterministic");
    let e = Export::new(arch, p, m).unwrap();
    let acc = parse(&f.accelerator);
    assert_eq!(acc.get("name").str(), arch.name());
    let oa = acc.get("operational_array");
    let sizes: Vec<u64> = oa.get("sizes").seq().iter().map(Node::int).collect();
    assert_eq!(sizes, [u64::from(arch.rows()), u64::from(arch.cols())]);
    let Node::Map(mems) = acc.get("memories") else {
        panic!("memories is a map")
    };
    for (name, mem) in mems {
        for key in ["size", "latency"] {
            mem.get(key).int();
        }
        for key in ["r_cost", "w_cost", "area"] {
            assert!(
                matches!(mem.get(key), Node::Float(_)),
                "{name}.{key} is a float"
            );
        }
        for port in mem.get("ports").seq() {
            let n = port.get("name").str();
            assert!(
                ["r_port_", "w_port_", "rw_port_"]
                    .iter()
                    .any(|p| n.starts_with(p)),
                "{n}"
            );
            for a in port.get("allocation").seq() {
                let (op, dir) = a.str().split_once(", ").expect("`op, dir`");
                assert!(["I1", "I2", "O"].contains(&op) && ["fh", "tl", "fl", "th"].contains(&dir));
            }
        }
    }
    let wl = parse(&f.workload);
    let layer = &wl.seq()[0];
    assert_eq!(layer.get("name").str(), p.name);
    let dims: Vec<&str> = layer.get("loop_dims").seq().iter().map(Node::str).collect();
    let sizes: Vec<u64> = layer
        .get("loop_sizes")
        .seq()
        .iter()
        .map(Node::int)
        .collect();
    assert_eq!(dims.len(), sizes.len());
    let size_of = |d: &str| {
        sizes[dims
            .iter()
            .position(|x| *x == d)
            .unwrap_or_else(|| panic!("{d}"))]
    };
    for (d, x) in layer_extents(p, e.form) {
        if let Some(n) = zigzag::dim_name(e.form, d) {
            assert!(size_of(n) >= x, "{n} covers {x}");
        } else {
            assert_eq!(x, 1);
        }
    }
    let mp = parse(&f.mapping);
    let entries = mp.seq();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].get("name").str(), p.name);
    assert_eq!(entries[1].get("name").str(), "default");
    assert_eq!(
        entries[0].get("spatial_mapping"),
        entries[1].get("spatial_mapping")
    );
    for entry in entries {
        let sm = entry.get("spatial_mapping");
        let mut spatial = vec![1u64; dims.len()];
        for (oa, want) in [("D1", arch.rows()), ("D2", arch.cols())] {
            let un = sm.get(oa).seq();
            assert_eq!(un.len(), 1);
            let (d, v) = un[0].str().split_once(", ").unwrap();
            assert_eq!(v.parse::<u32>().unwrap(), want, "{oa}");
            spatial[dims.iter().position(|x| *x == d).unwrap()] *= u64::from(want);
        }
        let mut temporal = vec![1u64; dims.len()];
        for lp in entry.get("temporal_ordering").seq() {
            let l = lp.seq();
            let i = dims.iter().position(|x| *x == l[0].str()).unwrap();
            temporal[i] *= l[1].int();
        }
        for i in 0..dims.len() {
            // complete: ZigZag's temporal extent is ceil(size / spatial)
            assert_eq!(temporal[i], sizes[i].div_ceil(spatial[i]), "{}", dims[i]);
            assert!(temporal[i] * spatial[i] >= sizes[i]);
        }
        assert_eq!(entry.get("memory_operand_links").get("W").str(), "I2");
    }
}

/// The export's nest against Tessera's own schedule: as many COMPUTEs as the factors outside the
/// PE say, when those have no remainders (fewer when they do).
fn check_against_schedule(arch: &Arch, p: &Problem, m: &Mapping) {
    let e = Export::new(arch, p, m).unwrap();
    let steps = Schedule::new(p, arch, m).summary().unwrap().steps;
    let outer: u64 = [Level::Dram, Level::Accumulator, Level::Input, Level::Weight]
        .iter()
        .flat_map(|&l| e.loops(l).iter().map(|f| u64::from(f.factor)))
        .product();
    let exact = e
        .remainders
        .iter()
        .all(|r| matches!(r.level, Level::Array | Level::Pe));
    if exact {
        assert_eq!(steps, outer, "{e:?}");
    } else {
        assert!(steps <= outer, "{steps} > {outer}: {e:?}");
    }
}

/// Elements of each operand (inputs, weights, outputs) Tessera's schedule moves between DRAM and
/// its buffer — the words its loads write into the input and weight buffers and its stores read
/// from the accumulator (the analytical model's counts), times the operands or accumulator lanes
/// a word holds — and the elements of the output tile the accumulator keeps.
fn tessera_elements(arch: &Arch, p: &Problem, m: &Mapping) -> ([u128; 3], u128) {
    let s = Schedule::new(p, arch, m).summary().unwrap();
    let dt = arch.datatypes();
    let (ob, ab) = (dt.operand_bits() / 8, dt.accumulator_bits() / 8);
    let lanes = |word: u32, per: u32| u128::from(word / per);
    let out_lanes = lanes(arch.accumulator().word_bytes(), ab);
    (
        [
            u128::from(s.input_words) * lanes(arch.input().word_bytes(), ob),
            u128::from(s.weight_words) * lanes(arch.weight().word_bytes(), ob),
            u128::from(s.store_words) * out_lanes,
        ],
        u128::from(m.accumulator_words(arch)) * out_lanes,
    )
}

/// Whether the export covers the layer exactly: no dimension padded.
fn unpadded(e: &Export) -> bool {
    PDim::ALL.iter().all(|&d| e.padded(d).is_none())
}

/// Whether Tessera reloads a tile that no loop between two of its uses moved (see
/// `check_traffic`).
fn reloads_in_place(arch: &Arch, p: &Problem, m: &Mapping) -> bool {
    let g = &p.gemm;
    let k_tiles = g.k.div_ceil(m.tile_k.max(1));
    let n_tiles = g.n.div_ceil(m.tile_n.clamp(1, g.n));
    let panel_per_row = m.keep == Keep::WeightPanel
        && p.conv.is_some()
        && arch.dataflow() != Dataflow::WeightStationary;
    k_tiles < 2 || (panel_per_row && n_tiles < 2)
}

/// The DRAM traffic the exported nest implies (Timeloop's reuse rule, `Export::dram_elements`)
/// against Tessera's schedule, operand by operand, and the tiles the accumulator and a kept
/// panel's buffer hold against what Tessera reserves for them.
///
/// The traffic is equal when the factors cover the layer exactly, unless Tessera reloads a tile
/// whose loops in between did not move it, which the tools count as reuse: with one k-tile (the
/// streamed slice and the per-COMPUTE one then repeat across the tile loops), or a B panel kept
/// across the m-tiles of one output row of an output- or input-stationary convolution with one
/// n-tile (Tessera loads it again for each row). There the export moves at most Tessera's. With
/// padding the export counts the padding too, so it moves at least Tessera's when no such reload
/// happens.
fn check_traffic(arch: &Arch, p: &Problem, m: &Mapping) {
    let e = Export::new(arch, p, m).unwrap();
    let bad = traffic_mismatches(arch, p, m, &e);
    assert!(bad.is_empty(), "{m:?}: {bad:?}\n{e:?}");
}

/// What `check_traffic` finds wrong with `e` as the export of `m` (an export built by hand in
/// the tests that show the check can fail).
fn traffic_mismatches(arch: &Arch, p: &Problem, m: &Mapping, e: &Export) -> Vec<String> {
    let (tessera, acc_tile) = tessera_elements(arch, p, m);
    let reloads = reloads_in_place(arch, p, m);
    let exact = unpadded(e);
    let mut bad = Vec::new();
    for (op, t) in Operand::ALL.into_iter().zip(tessera) {
        let x = e.dram_elements(op);
        let ok = match (exact, reloads) {
            (true, false) => x == t,
            (true, true) => x <= t,
            (false, false) => x >= t,
            (false, true) => true,
        };
        if !ok {
            bad.push(format!(
                "{} from DRAM: the export moves {x}, Tessera {t} (exact: {exact}, reloads: {reloads})",
                op.name()
            ));
        }
    }
    // The accumulator holds one output tile and a kept buffer its panel: no more than Tessera
    // reserves (Mapping::accumulator_words, Mapping::panel_words), which counts the tiles as the
    // mapping gives them where a dimension (an input-stationary convolution's row) is smaller.
    // The padded problem's panel counts its last k-tile whole: no bound.
    let lanes =
        |b: &tessera_arch::Buffer| u128::from(b.word_bytes() * 8 / arch.datatypes().operand_bits());
    let panel = u128::from(m.panel_words(&p.gemm, arch));
    let mut tiles = vec![(Operand::Outputs, acc_tile)];
    if exact {
        match m.keep {
            Keep::Tiles => {}
            Keep::InputPanel => tiles.push((Operand::Inputs, panel * lanes(arch.input()))),
            Keep::WeightPanel => tiles.push((Operand::Weights, panel * lanes(arch.weight()))),
        }
    }
    for (op, t) in tiles {
        let x = e.tile_elements(op);
        if x > t {
            bad.push(format!(
                "{}'s buffer tile: {x}, Tessera reserves {t}",
                op.name()
            ));
        }
    }
    bad
}

fn check_all(arch: &Arch, p: &Problem, m: &Mapping) {
    check_timeloop(arch, p, m);
    check_zigzag(arch, p, m);
    check_against_schedule(arch, p, m);
    check_traffic(arch, p, m);
}

#[allow(clippy::too_many_arguments)]
fn conv(
    name: &str,
    batch: u32,
    (c, h, w): (u32, u32, u32),
    out: u32,
    k: [u32; 2],
    s: [u32; 2],
    d: [u32; 2],
    pad: [u32; 2],
    groups: u32,
) -> Conv2d {
    let out_h = Conv2d::out_size(h, 2 * pad[0], k[0], s[0], d[0]).unwrap();
    let out_w = Conv2d::out_size(w, 2 * pad[1], k[1], s[1], d[1]).unwrap();
    Conv2d {
        name: name.into(),
        batch,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: out,
        kernel: k,
        stride: s,
        dilation: d,
        pad_begin: pad,
        pad_end: pad,
        groups,
        out_h,
        out_w,
    }
}

/// The weight-stationary golden case: a 3x3 convolution whose 6 channels are rounded up to 8
/// rows and whose 19 output channels leave a remainder n-tile, two output rows per m-tile.
fn ws_case() -> (Arch, Problem, Mapping) {
    let arch = builtin::arch("ws_4x4").unwrap();
    let layer = Layer::Conv2d(conv(
        "conv3x3",
        1,
        (6, 10, 10),
        19,
        [3, 3],
        [1, 1],
        [1, 1],
        [1, 1],
        1,
    ));
    let p = Problem::new(&layer, &arch).unwrap();
    let spec = MappingSpec {
        tile_m: Some(20),
        ..MappingSpec::default()
    };
    let m = Mapping::resolve(&spec, &p.gemm, &arch).unwrap();
    (arch, p, m)
}

/// The output-stationary golden case: a 37x50x19 GEMM, remainders on every dimension.
fn os_case() -> (Arch, Problem, Mapping) {
    let arch = builtin::arch("os_4x4").unwrap();
    let p = Problem::gemm(&Gemm::new("gemm_37x50x19", 37, 50, 19), &arch);
    let spec = MappingSpec {
        tile_k: Some(16),
        ..MappingSpec::default()
    };
    let m = Mapping::resolve(&spec, &p.gemm, &arch).unwrap();
    (arch, p, m)
}

/// The input-stationary golden case: a strided 3x3 convolution (its implicit GEMM, m-tiles in
/// output rows of 5 pixels, a remainder m-slice per row) with a remainder n-tile.
fn is_case() -> (Arch, Problem, Mapping) {
    let arch = builtin::arch("is_4x4").unwrap();
    let layer = Layer::Conv2d(conv(
        "conv3x3s2",
        1,
        (6, 10, 10),
        19,
        [3, 3],
        [2, 2],
        [1, 1],
        [1, 1],
        1,
    ));
    let p = Problem::new(&layer, &arch).unwrap();
    let spec = MappingSpec {
        tile_n: Some(8),
        tile_m: Some(8),
        ..MappingSpec::default()
    };
    let m = Mapping::resolve(&spec, &p.gemm, &arch).unwrap();
    (arch, p, m)
}

fn golden_dir(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/interop")
        .join(case)
}

/// Compare (or with `TESSERA_BLESS=1` rewrite) the files of one case.
fn check_golden(case: &str, files: &[(String, String)]) {
    let dir = golden_dir(case);
    if std::env::var_os("TESSERA_BLESS").is_some_and(|v| v == "1") {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        return;
    }
    for (name, text) in files {
        let path = dir.join(name);
        let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with TESSERA_BLESS=1 to create)",
                path.display()
            )
        });
        if &want != text {
            let line = text
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(text.lines().count().min(want.lines().count()));
            panic!(
                "{name} differs from its golden file at line {} (TESSERA_BLESS=1 rewrites it after \
                 review):\n  got:  {}\n  want: {}",
                line + 1,
                text.lines().nth(line).unwrap_or(""),
                want.lines().nth(line).unwrap_or("")
            );
        }
    }
}

fn case_files(arch: &Arch, p: &Problem, m: &Mapping) -> Vec<(String, String)> {
    let tl = timeloop::write(arch, p, m).unwrap();
    let zz = zigzag::write(arch, p, m).unwrap();
    let mut out: Vec<(String, String)> = tl
        .files()
        .iter()
        .map(|(n, t)| (format!("timeloop/{n}"), t.to_string()))
        .collect();
    out.extend(
        zz.files()
            .iter()
            .map(|(n, t)| (format!("zigzag/{n}"), t.to_string())),
    );
    out
}

#[test]
fn ws_conv_matches_golden() {
    let (arch, p, m) = ws_case();
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!(e.form, Form::Conv);
    check_all(&arch, &p, &m);
    check_golden("ws_4x4_conv3x3", &case_files(&arch, &p, &m));
}

#[test]
fn is_conv_matches_golden() {
    let (arch, p, m) = is_case();
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!(e.form, Form::Gemm);
    assert_eq!((e.rows_dim(), e.cols_dim()), (PDim::C, PDim::P));
    // the stream is tile_n columns of B in the PE, the m-slices stay in the weight buffer
    assert_eq!(e.factor(Level::Pe, PDim::M), 8);
    assert_eq!(e.factor(Level::Weight, PDim::P), 2);
    check_all(&arch, &p, &m);
    check_golden("is_4x4_conv3x3s2", &case_files(&arch, &p, &m));
}

#[test]
fn os_gemm_matches_golden() {
    let (arch, p, m) = os_case();
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!(e.form, Form::Gemm);
    assert!(!e.remainders.is_empty());
    check_all(&arch, &p, &m);
    check_golden("os_4x4_gemm_37x50x19", &case_files(&arch, &p, &m));
}

/// The WS golden case with the input buffer keeping the A panel (a convolution in its own form:
/// the m-tiles at DRAM, the n-tiles at the input buffer).
#[test]
fn ws_conv_input_panel_matches_golden() {
    let (arch, p, m) = ws_case();
    // one output row per m-tile: the panel of 18 k-tiles of 10 rows fits a bank of 256 words
    let m = Mapping {
        tile_m: 10,
        keep: Keep::InputPanel,
        ..m
    };
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!((e.form, e.keep), (Form::Conv, Keep::InputPanel));
    check_all(&arch, &p, &m);
    check_golden("ws_4x4_conv3x3_input_panel", &case_files(&arch, &p, &m));
}

/// The IS golden case with the weight buffer keeping the B panel: the output rows stay at DRAM
/// outside the n-tiles, the m-tiles of a row run at the weight buffer.
#[test]
fn is_conv_weight_panel_matches_golden() {
    let (arch, p, m) = is_case();
    // m-tiles of one m-slice: a row of 5 pixels is 2 of them
    let m = Mapping {
        tile_m: 4,
        keep: Keep::WeightPanel,
        ..m
    };
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!((e.form, e.keep), (Form::Gemm, Keep::WeightPanel));
    assert_eq!(loops_of(&e, Level::Dram), [(PDim::P, 5), (PDim::M, 3)]);
    assert_eq!(loops_of(&e, Level::Weight), [(PDim::P, 2)]);
    check_all(&arch, &p, &m);
    check_golden("is_4x4_conv3x3s2_weight_panel", &case_files(&arch, &p, &m));
}

/// A level's loops as (dimension, factor), outermost first.
fn loops_of(e: &Export, level: Level) -> Vec<(PDim, u32)> {
    e.loops(level).iter().map(|f| (f.dim, f.factor)).collect()
}

/// A roomy array of each dataflow (4 rows, 3 columns), so that every tile and panel fits.
fn roomy(df: Dataflow) -> Arch {
    ArchSpec::ws(
        "roomy",
        4,
        3,
        [12 * 4096, 12 * 4096, 4 * 12 * 4096],
        2,
        8,
        10,
    )
    .with_dataflow(df)
    .validate()
    .unwrap()
}

/// Each dataflow × keep on GEMMs (one covered exactly, one with remainders on every dimension)
/// whose tile loops all run more than once: the levels nest in the keep's order, the tile loops
/// sit where the module docs' table puts them, the factors of every dimension multiply to what
/// the `Tiles` export covers (the padded size) with the same remainders, and the kept operand is
/// read from DRAM once, where `Tiles` reads it once per tile of the other dimension.
#[test]
fn each_dataflow_and_keep_places_the_tile_loops() {
    use Level::{Accumulator as Acc, Array, Dram, Input, Pe, Weight};
    for (gm, gk, gn) in [(72, 48, 48), (37, 50, 19)] {
        for df in Dataflow::SUPPORTED {
            let arch = roomy(df);
            let (r, c) = (arch.rows(), arch.cols());
            let g = Gemm::new("g", gm, gk, gn);
            let p = Problem::gemm(&g, &arch);
            // (tile_m, tile_k, tile_n): two slices per output tile
            let (tm, tk, tn) = match df {
                Dataflow::WeightStationary => (8, r, 2 * c),
                Dataflow::OutputStationary => (r, 8, 2 * c),
                Dataflow::InputStationary => (2 * c, r, 8),
                Dataflow::RowStationary => unreachable!("not in SUPPORTED"),
            };
            // the loops' trip counts, from the tiles
            let (mt, nt, kt) = match df {
                Dataflow::InputStationary => {
                    (gm.div_ceil(c).div_ceil(2), gn.div_ceil(tn), gk.div_ceil(r))
                }
                _ => (gm.div_ceil(tm), gn.div_ceil(c).div_ceil(2), gk.div_ceil(tk)),
            };
            let slice_dim = if df == Dataflow::InputStationary {
                PDim::P
            } else {
                PDim::M
            };
            let (m_loop, n_loop, k_loop, slice) =
                ((PDim::P, mt), (PDim::M, nt), (PDim::C, kt), (slice_dim, 2));
            let is = df == Dataflow::InputStationary;
            let tiles = Mapping {
                tile_m: tm,
                tile_k: tk,
                tile_n: tn,
                keep: Keep::Tiles,
            };
            let te = Export::new(&arch, &p, &tiles).unwrap();
            for keep in Keep::ALL {
                let m = Mapping { keep, ..tiles };
                m.check(&g, &arch).unwrap();
                let e = Export::new(&arch, &p, &m).unwrap();
                let what = format!("{gm}x{gk}x{gn} {} {}", df.name(), keep.label());
                let with_slice = |mut v: Vec<(PDim, u32)>, here: bool| {
                    if here {
                        v.push(slice);
                    }
                    v
                };
                let (order, dram, acc, input, weight) = match keep {
                    Keep::Tiles => (
                        [Dram, Acc, Input, Weight, Array, Pe],
                        if is {
                            vec![n_loop, m_loop]
                        } else {
                            vec![m_loop, n_loop]
                        },
                        vec![k_loop],
                        with_slice(vec![], !is),
                        with_slice(vec![], is),
                    ),
                    Keep::InputPanel => (
                        [Dram, Input, Acc, Weight, Array, Pe],
                        vec![m_loop],
                        with_slice(vec![k_loop], !is),
                        vec![n_loop],
                        with_slice(vec![], is),
                    ),
                    Keep::WeightPanel => (
                        [Dram, Weight, Acc, Input, Array, Pe],
                        vec![n_loop],
                        with_slice(vec![k_loop], is),
                        with_slice(vec![], !is),
                        vec![m_loop],
                    ),
                };
                assert_eq!(e.order, order, "{what}");
                assert_eq!(
                    e.kept(),
                    e.order.get(1).copied().filter(|_| keep != Keep::Tiles)
                );
                assert_eq!(loops_of(&e, Dram), dram, "{what}");
                assert_eq!(loops_of(&e, Acc), acc, "{what}");
                assert_eq!(loops_of(&e, Input), input, "{what}");
                assert_eq!(loops_of(&e, Weight), weight, "{what}");
                assert_eq!(loops_of(&e, Array), loops_of(&te, Array), "{what}");
                assert_eq!(loops_of(&e, Pe), loops_of(&te, Pe), "{what}");
                // the same problem, padded alike, with the same remainders (moved with their loops)
                let rem = |e: &Export| {
                    let mut v: Vec<(PDim, u32, u64)> = e
                        .remainders
                        .iter()
                        .map(|x| (x.dim, x.factor, x.last))
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(rem(&e), rem(&te), "{what}");
                for d in PDim::ALL {
                    assert_eq!(e.product(d), te.product(d), "{what} {}", d.name());
                }
                // the kept operand once, its whole (padded) matrix; with one tile of each, once
                // per tile of the other dimension
                let (pp, cc, mm) = (e.product(PDim::P), e.product(PDim::C), e.product(PDim::M));
                let (a, b) = (u128::from(pp * cc), u128::from(cc * mm));
                let (a_reads, b_reads) = (
                    e.dram_elements(Operand::Inputs),
                    e.dram_elements(Operand::Weights),
                );
                match keep {
                    Keep::Tiles => {
                        assert_eq!(a_reads, a * u128::from(nt), "{what}");
                        assert_eq!(b_reads, b * u128::from(mt), "{what}");
                    }
                    Keep::InputPanel => {
                        assert_eq!(a_reads, a, "{what}");
                        assert_eq!(b_reads, b * u128::from(mt), "{what}");
                    }
                    Keep::WeightPanel => {
                        assert_eq!(a_reads, a * u128::from(nt), "{what}");
                        assert_eq!(b_reads, b, "{what}");
                    }
                }
                assert_eq!(
                    e.dram_elements(Operand::Outputs),
                    u128::from(pp * mm),
                    "{what}"
                );
                check_all(&arch, &p, &m);
                // the files say it: the header, the storage order, the kept level's comment
                let tl = timeloop::write(&arch, &p, &m).unwrap();
                let zz = zigzag::write(&arch, &p, &m).unwrap();
                if keep == Keep::Tiles {
                    assert!(!tl.mapping.contains("keep="), "{}", tl.mapping);
                } else {
                    let label = format!("keep={}", keep.label());
                    for text in [&tl.arch, &tl.problem, &tl.mapping, &zz.mapping] {
                        assert!(text.contains(&label), "{text}");
                    }
                    assert!(tl.mapping.contains("(keeps the panel while these run)"));
                    assert!(zz.mapping.contains("(keeps the panel while it runs)"));
                }
                let targets: Vec<String> = parse(&tl.mapping)
                    .get("mapping")
                    .seq()
                    .iter()
                    .filter(|d| d.get("type").str() != "dataspace")
                    .map(|d| d.get("target").str().to_string())
                    .collect();
                let buffer = |l: Level| match l {
                    Dram => "DRAM",
                    Acc => "accumulator_buffer",
                    Input => "input_buffer",
                    Weight => "weight_buffer",
                    Array => "PE",
                    Pe => "reg",
                };
                let want: Vec<&str> = order.iter().map(|&l| buffer(l)).collect();
                let got: Vec<&str> = targets
                    .iter()
                    .map(|t| {
                        if t.starts_with("pe_") {
                            "reg"
                        } else {
                            t.as_str()
                        }
                    })
                    .collect();
                assert_eq!(got, want, "{what}: the directives in the storage order");
                // arch.yaml lists the buffers in the same order
                let a = parse(&tl.arch);
                let names: Vec<&str> = a
                    .get("architecture")
                    .get("nodes")
                    .seq()
                    .iter()
                    .map(|n| n.get("name").str())
                    .filter(|n| n.ends_with("_buffer"))
                    .collect();
                let want: Vec<&str> = order[1..4].iter().map(|&l| buffer(l)).collect();
                assert_eq!(names, want, "{what}");
            }
        }
    }
}

/// Convolutions whose m-tiles follow output rows (output- and input-stationary): a B panel kept
/// across the m-tiles of a row splits P into the rows, at DRAM outside the n-tiles (as Tessera
/// runs them), and the m-tiles of a row at the weight buffer; an A panel keeps them together at
/// DRAM. A weight-stationary convolution's m-tile loops (images, rows, pixels) move as one.
#[test]
fn convolutions_split_the_rows_from_a_kept_b_panel() {
    use Level::{Accumulator as Acc, Dram, Input, Weight};
    // 2 images of 6x7 output pixels (a 3x3 kernel, padding 1), 8 channels, 12 output channels
    let layer = Layer::Conv2d(conv(
        "c",
        2,
        (8, 6, 7),
        12,
        [3, 3],
        [1, 1],
        [1, 1],
        [1, 1],
        1,
    ));
    let rows = 2 * 6;
    // input-stationary (C = 3 columns): a row of 7 pixels is 3 m-slices (the last of 1 pixel);
    // m-tiles of 2 m-slices, so 2 m-tiles per row (the last of 1 m-slice)
    let arch = roomy(Dataflow::InputStationary);
    let p = Problem::new(&layer, &arch).unwrap();
    let base = Mapping {
        tile_m: 6,
        tile_k: 4,
        tile_n: 5,
        keep: Keep::Tiles,
    };
    let (kt, nt) = (72 / 4, 3);
    let cases = [
        (
            Keep::Tiles,
            vec![(PDim::M, nt), (PDim::P, rows * 2)],
            vec![],
            vec![(PDim::P, 2)],
            vec![(PDim::C, kt)],
        ),
        (
            Keep::InputPanel,
            vec![(PDim::P, rows * 2)],
            vec![(PDim::M, nt)],
            vec![(PDim::P, 2)],
            vec![(PDim::C, kt)],
        ),
        (
            Keep::WeightPanel,
            vec![(PDim::P, rows), (PDim::M, nt)],
            vec![],
            vec![(PDim::P, 2)],
            vec![(PDim::C, kt), (PDim::P, 2)],
        ),
    ];
    for (keep, dram, input, weight, acc) in cases {
        let m = Mapping { keep, ..base };
        m.check(&p.gemm, &arch).unwrap();
        let e = Export::new(&arch, &p, &m).unwrap();
        assert_eq!(e.form, Form::Gemm);
        assert_eq!(loops_of(&e, Dram), dram, "{keep:?}");
        assert_eq!(loops_of(&e, Input), input, "{keep:?}");
        assert_eq!(loops_of(&e, Acc), acc, "{keep:?}");
        // WeightPanel: the m-tiles of a row at the weight buffer, the m-slices inside the k-tiles
        assert_eq!(loops_of(&e, Weight), weight, "{keep:?}");
        // the last m-slice of each row's last m-tile: a remainder of the m-slices' loop
        let level = if keep == Keep::WeightPanel {
            Acc
        } else {
            Weight
        };
        assert_eq!(
            e.remainder(level, PDim::P).map(|x| x.last),
            Some(1),
            "{keep:?}"
        );
        check_all(&arch, &p, &m);
    }
    // output-stationary (R = 4 rows), tile_k = 6 k-steps: not on the channels (8), so the GEMM
    // form; 2 m-tiles per row of 7 pixels
    let arch = roomy(Dataflow::OutputStationary);
    let p = Problem::new(&layer, &arch).unwrap();
    let base = Mapping {
        tile_m: 4,
        tile_k: 6,
        tile_n: 6,
        keep: Keep::Tiles,
    };
    let (kt, nt) = (72 / 6, 2);
    for (keep, dram, input, weight) in [
        (
            Keep::Tiles,
            vec![(PDim::P, rows * 2), (PDim::M, nt)],
            vec![(PDim::M, 2)],
            vec![],
        ),
        (
            Keep::InputPanel,
            vec![(PDim::P, rows * 2)],
            vec![(PDim::M, nt)],
            vec![],
        ),
        (
            Keep::WeightPanel,
            vec![(PDim::P, rows), (PDim::M, nt)],
            vec![(PDim::M, 2)],
            vec![(PDim::P, 2)],
        ),
    ] {
        let m = Mapping { keep, ..base };
        m.check(&p.gemm, &arch).unwrap();
        let e = Export::new(&arch, &p, &m).unwrap();
        assert_eq!(e.form, Form::Gemm);
        assert_eq!(loops_of(&e, Dram), dram, "{keep:?}");
        assert_eq!(loops_of(&e, Input), input, "{keep:?}");
        assert_eq!(loops_of(&e, Weight), weight, "{keep:?}");
        let acc = loops_of(&e, Acc);
        assert_eq!(acc[0], (PDim::C, kt), "{keep:?}");
        check_all(&arch, &p, &m);
    }
    // ...and in its own form (tile_k = 8 channels): the images and rows at DRAM
    let m = Mapping {
        tile_k: 8,
        keep: Keep::WeightPanel,
        ..base
    };
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!(e.form, Form::Conv);
    assert_eq!(
        loops_of(&e, Dram),
        vec![(PDim::N, 2), (PDim::Q, 6), (PDim::M, nt)]
    );
    assert_eq!(loops_of(&e, Weight), vec![(PDim::P, 2)]);
    check_all(&arch, &p, &m);
    // weight-stationary, tile_m = 14 (two output rows): the images and row pairs move together
    let arch = roomy(Dataflow::WeightStationary);
    let p = Problem::new(&layer, &arch).unwrap();
    let base = Mapping {
        tile_m: 14,
        tile_k: 4,
        tile_n: 6,
        keep: Keep::Tiles,
    };
    let m_loops = vec![(PDim::N, 2), (PDim::Q, 3)];
    for keep in Keep::ALL {
        let m = Mapping { keep, ..base };
        m.check(&p.gemm, &arch).unwrap();
        let e = Export::new(&arch, &p, &m).unwrap();
        assert_eq!(e.form, Form::Conv);
        let (dram, weight) = match keep {
            Keep::WeightPanel => (vec![(PDim::M, 2)], m_loops.clone()),
            Keep::InputPanel => (m_loops.clone(), vec![]),
            Keep::Tiles => ([m_loops.clone(), vec![(PDim::M, 2)]].concat(), vec![]),
        };
        assert_eq!(loops_of(&e, Dram), dram, "{keep:?}");
        assert_eq!(loops_of(&e, Weight), weight, "{keep:?}");
        check_all(&arch, &p, &m);
    }
}

/// The cross-checks can fail. For an A (B) panel kept on a layer covered exactly, with two or
/// more tiles of every loop, each of these misplacements is caught:
/// - the `Tiles` export (the tile loops at DRAM): the kept operand is read once per tile of the
///   other dimension, more than Tessera's schedule reads it;
/// - the panel's loops with the levels in the `Tiles` order (the kept buffer under the
///   accumulator): the accumulator's tile spans every inner tile, more than Tessera keeps;
/// - the k-tiles' loop at DRAM (above the kept buffer): partial sums leave the accumulator, so
///   the outputs move more than once.
#[test]
fn a_misplaced_panel_loop_fails_the_cross_checks() {
    use Level::{Accumulator as Acc, Dram};
    for df in Dataflow::SUPPORTED {
        let arch = roomy(df);
        let (r, c) = (arch.rows(), arch.cols());
        let g = Gemm::new("g", 72, 48, 48);
        let p = Problem::gemm(&g, &arch);
        let (tm, tk, tn) = match df {
            Dataflow::WeightStationary => (8, r, 2 * c),
            Dataflow::OutputStationary => (r, 8, 2 * c),
            Dataflow::InputStationary => (2 * c, r, 8),
            Dataflow::RowStationary => unreachable!("not in SUPPORTED"),
        };
        for keep in [Keep::InputPanel, Keep::WeightPanel] {
            let m = Mapping {
                tile_m: tm,
                tile_k: tk,
                tile_n: tn,
                keep,
            };
            let e = Export::new(&arch, &p, &m).unwrap();
            assert!(unpadded(&e) && !reloads_in_place(&arch, &p, &m));
            assert_eq!(traffic_mismatches(&arch, &p, &m, &e), Vec::<String>::new());
            let tiles = Export::new(
                &arch,
                &p,
                &Mapping {
                    keep: Keep::Tiles,
                    ..m
                },
            )
            .unwrap();
            let mut order = e.clone();
            order.order = Level::ALL;
            let mut k_out = e.clone();
            let k = std::mem::take(&mut k_out.levels[Acc as usize]);
            let (k, slices): (Vec<_>, Vec<_>) = k.into_iter().partition(|f| f.dim == PDim::C);
            k_out.levels[Acc as usize] = slices;
            k_out.levels[Dram as usize].extend(k);
            for (what, wrong, want) in [
                ("tiles", &tiles, "from DRAM"),
                ("order", &order, "Outputs's buffer tile"),
                ("k-tiles at DRAM", &k_out, "Outputs from DRAM"),
            ] {
                let bad = traffic_mismatches(&arch, &p, &m, wrong);
                assert!(
                    bad.iter().any(|b| b.contains(want)),
                    "{} {keep:?} {what}: {bad:?}",
                    df.name()
                );
            }
        }
    }
}

/// An output-stationary A panel of K = 50 k-steps fits a bank of 56 words, but padded to four
/// whole k-tiles of 16 it is 64: the files say the other tool may find it over capacity.
#[test]
fn a_padded_panel_over_its_bank_is_noted() {
    let arch = ArchSpec::ws("tight", 4, 4, [448, 4096, 16384], 2, 8, 10)
        .with_dataflow(Dataflow::OutputStationary)
        .validate()
        .unwrap();
    assert_eq!(arch.input().bank_depth(), 56);
    let p = Problem::gemm(&Gemm::new("g", 8, 50, 8), &arch);
    let m = Mapping {
        tile_m: 4,
        tile_k: 16,
        tile_n: 4,
        keep: Keep::InputPanel,
    };
    let e = Export::new(&arch, &p, &m).unwrap();
    assert_eq!(e.tile_elements(Operand::Inputs), 64 * 4);
    let note = "the padded problem's panel is 256 elements, more than a bank of the input buffer \
                holds (224)";
    assert!(e.notes.iter().any(|n| n.starts_with(note)), "{:?}", e.notes);
    assert!(timeloop::write(&arch, &p, &m)
        .unwrap()
        .mapping
        .contains(note));
    check_all(&arch, &p, &m);
    // with K = 48 (three whole k-tiles) it fits, and nothing is said
    let p = Problem::gemm(&Gemm::new("g", 8, 48, 8), &arch);
    let e = Export::new(&arch, &p, &m).unwrap();
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

#[test]
fn remainders_are_tesseras_last_tiles() {
    let (arch, p, m) = os_case();
    let e = Export::new(&arch, &p, &m).unwrap();
    // M = 37 in m-tiles of 4 rows: 10 tiles, the last of 1 row.
    assert_eq!(e.factor(Level::Dram, PDim::P), 10);
    assert_eq!(e.remainder(Level::Array, PDim::P).unwrap().last, 1);
    assert_eq!(e.padded(PDim::P), Some(40));
    // K = 50 in k-tiles of 16 steps: 4 tiles, the last of 2.
    assert_eq!(e.factor(Level::Accumulator, PDim::C), 4);
    assert_eq!(e.remainder(Level::Pe, PDim::C).unwrap().last, 2);
    // N = 19 in one n-tile of 5 slices of 4 columns, the last slice of 3.
    assert_eq!(e.factor(Level::Input, PDim::M), 5);
    assert_eq!(e.remainder(Level::Array, PDim::M).unwrap().last, 3);
    let tl = timeloop::write(&arch, &p, &m).unwrap();
    assert!(
        tl.problem.contains("P: 40  # the layer has 37"),
        "{}",
        tl.problem
    );
    assert!(
        tl.mapping.contains("1 in the last iteration"),
        "{}",
        tl.mapping
    );
    // ZigZag rounds up the spatial unrolling itself: only K (Tessera's K, padded in time) grows.
    let zz = zigzag::write(&arch, &p, &m).unwrap();
    assert!(
        zz.workload.contains("loop_sizes: [1, 37, 19, 64]"),
        "{}",
        zz.workload
    );
}

#[test]
fn convolutions_take_the_conv_form_when_tiles_fall_on_pixels() {
    let arch = builtin::arch("ws_4x4").unwrap();
    let layer = Layer::Conv2d(conv(
        "c",
        2,
        (8, 9, 9),
        8,
        [3, 3],
        [1, 1],
        [1, 1],
        [1, 1],
        1,
    ));
    let p = Problem::new(&layer, &arch).unwrap();
    let with = |tile_m| {
        Mapping::resolve(
            &MappingSpec {
                tile_m: Some(tile_m),
                ..MappingSpec::default()
            },
            &p.gemm,
            &arch,
        )
        .unwrap()
    };
    // 3 pixels of a row, 3 whole rows, a whole image: convolution form; 7 pixels: GEMM form
    for (t, form) in [
        (3, Form::Conv),
        (27, Form::Conv),
        (81, Form::Conv),
        (7, Form::Gemm),
    ] {
        let m = with(t);
        let e = Export::new(&arch, &p, &m).unwrap();
        assert_eq!(e.form, form, "tile_m {t}");
        check_all(&arch, &p, &m);
        let tl = timeloop::write(&arch, &p, &m).unwrap();
        assert!(tl.problem.contains(if form == Form::Conv {
            "# Form: convolution"
        } else {
            "# Form: GEMM"
        }));
    }
}

#[test]
fn a_mapping_that_does_not_fit_is_an_error_naming_the_field() {
    let (arch, p, mut m) = ws_case();
    m.tile_k += 1;
    let e = timeloop::write(&arch, &p, &m).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("mapping.tile_k"));
    let os = builtin::arch("os_4x4").unwrap();
    let e = zigzag::write(&os, &p, &m).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("dataflow"));
    // a panel that does not fit its bank is refused, naming the field
    let (arch, p, m) = ws_case();
    let panel = Mapping {
        keep: Keep::WeightPanel,
        tile_n: 24,
        ..m
    };
    assert!(panel.check(&p.gemm, &arch).is_err());
    for e in [
        timeloop::write(&arch, &p, &panel).unwrap_err(),
        zigzag::write(&arch, &p, &panel).unwrap_err(),
    ] {
        assert_eq!(e.field.as_deref(), Some("mapping.keep"), "{e}");
    }
}

/// A layer name with every character that could end a scalar, a comment or a line changes the
/// files only in that name: the documents read back with the same structure and the name intact.
#[test]
fn names_cannot_inject_yaml() {
    let evil = "x\n  injected: true\n- !Component {name: y}\r\n# \"q\" 'single' key: value #hash \\ é\u{2028}\u{85}\t--- ...";
    for (arch, mut p, m) in [ws_case(), os_case()] {
        p.name = "plain".into();
        let clean_tl = timeloop::write(&arch, &p, &m).unwrap();
        let clean_zz = zigzag::write(&arch, &p, &m).unwrap();
        p.name = evil.into();
        let tl = timeloop::write(&arch, &p, &m).unwrap();
        let zz = zigzag::write(&arch, &p, &m).unwrap();
        for (clean, dirty) in clean_tl
            .files()
            .iter()
            .zip(tl.files())
            .chain(clean_zz.files().iter().zip(zz.files()))
        {
            let (a, b) = (parse(clean.1), parse(dirty.1));
            assert_eq!(b.renamed(evil, "plain"), a, "{}", dirty.0);
            // the comment lines stay comment lines
            assert_eq!(
                clean.1.lines().count(),
                dirty.1.lines().count(),
                "{}",
                dirty.0
            );
        }
        assert_eq!(
            parse(&tl.problem)
                .get("problem")
                .get("shape")
                .get("name")
                .str(),
            evil
        );
        assert_eq!(parse(&zz.workload).seq()[0].get("name").str(), evil);
        assert_eq!(parse(&zz.mapping).seq()[0].get("name").str(), evil);
        check_all(&arch, &p, &m);
    }
    // An accelerator's name never needs it: validation keeps it an identifier.
    let mut spec = builtin::arch_spec("ws_4x4").unwrap();
    spec.name = "a\"\nb: #".into();
    assert_eq!(spec.validate().unwrap_err().field.as_deref(), Some("name"));
}

/// Layers the export must cover, on both dataflows and odd array shapes.
fn layer_strategy() -> impl Strategy<Value = Layer> {
    let gemm =
        (1u32..70, 1u32..70, 1u32..40).prop_map(|(m, k, n)| Layer::Gemm(Gemm::new("g", m, k, n)));
    let matmul = (1u32..4, 1u32..30, 1u32..30, 1u32..20).prop_map(|(b, m, k, n)| {
        Layer::MatMul(MatMul {
            name: "mm".into(),
            batch: b,
            m,
            k,
            n,
        })
    });
    let conv = (
        1u32..3,
        1u32..9,
        3u32..12,
        1u32..10,
        1u32..4,
        1u32..3,
        1u32..3,
        0u32..2,
        prop::bool::ANY,
    )
        .prop_map(|(batch, cg, hw, o, k, s, d, pad, grouped)| {
            let groups = if grouped { 2 } else { 1 };
            let k = k.min((hw + 2 * pad - 1) / d + 1).max(1);
            Layer::Conv2d(conv(
                "cv",
                batch,
                (cg * groups, hw, hw + 1),
                o * groups,
                [k, k.min(2)],
                [s, 1],
                [d, 1],
                [pad, 0],
                groups,
            ))
        });
    prop_oneof![gemm, matmul, conv]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every file of every export reads back as YAML whose factors cover the layer and whose
    /// spatial factors are the array's rows and columns.
    #[test]
    fn exports_read_back_and_cover_the_layer(
        layer in layer_strategy(),
        rows in 1i64..6,
        cols in 1i64..6,
        os in prop::bool::ANY,
        pick in 0usize..1000,
    ) {
        let df = if os { Dataflow::OutputStationary } else { Dataflow::WeightStationary };
        let arch = ArchSpec::ws("p", rows, cols, [rows * 64 * 2, cols * 32 * 2, 4 * cols * 64 * 2], 2, 8, 10)
            .with_dataflow(df)
            .validate()
            .unwrap();
        check_a_candidate(&arch, &layer, pick)?;
    }
}

/// [`check_all`] on the candidate at `pick` (modulo their number) of every mapping the space holds
/// for `layer` on `arch`, kept panels included; a layer the accelerator cannot take passes.
fn check_a_candidate(arch: &Arch, layer: &Layer, pick: usize) -> Result<(), TestCaseError> {
    let Ok(p) = Problem::new(layer, arch) else {
        return Ok(());
    };
    let cands = Mapping::candidates(&p.gemm, arch);
    prop_assume!(!cands.is_empty());
    check_all(arch, &p, &cands[pick % cands.len()]);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The same for input-stationary arrays, on their own draws.
    #[test]
    fn input_stationary_exports_read_back_and_cover_the_layer(
        layer in layer_strategy(),
        rows in 1i64..6,
        cols in 1i64..6,
        pick in 0usize..1000,
    ) {
        let arch = ArchSpec::ws("p", rows, cols, [cols * 64 * 2, rows * 64 * 2, 4 * cols * 64 * 2], 2, 8, 10)
            .with_dataflow(Dataflow::InputStationary)
            .validate()
            .unwrap();
        check_a_candidate(&arch, &layer, pick)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// On layers the tiles can cover exactly (GEMMs and convolutions whose sizes are multiples of
    /// the array's rows and columns), every mapping of the drawn `keep` whose factors cover the
    /// layer exactly, with two k-tiles or more, has its exported nest move what Tessera's schedule
    /// moves, operand by operand (`check_traffic`'s equality): with a kept panel, the kept
    /// operand once per panel.
    #[test]
    fn exported_traffic_is_tesseras_on_exact_layers(
        is_conv in prop::bool::ANY,
        (a, b, d) in (1u32..4, 1u32..4, 1u32..4),
        kernel in prop::sample::select(vec![1u32, 3]),
        h in 1u32..4,
        rows in 1i64..5,
        cols in 1i64..5,
        df in 0usize..3,
        keep in 0usize..3,
        pick in 0usize..1000,
    ) {
        let df = Dataflow::SUPPORTED[df];
        let rc = rows * cols;
        let arch = ArchSpec::ws("p", rows, cols, [rc * 1024, rc * 1024, 4 * rc * 1024], 2, 8, 10)
            .with_dataflow(df)
            .validate()
            .unwrap();
        let (r, c) = (arch.rows(), arch.cols());
        let layer = if is_conv {
            // "same" padding: the output is the input's size, its width a multiple of R·C
            Layer::Conv2d(conv(
                "cv", 1, (a * r * c, h, 2 * b * r * c), 2 * d * c, [kernel, kernel],
                [1, 1], [1, 1], [kernel / 2, kernel / 2], 1,
            ))
        } else {
            let unit = 2 * r * c;
            Layer::Gemm(Gemm::new("g", a * unit, 2 * b * unit, d * unit))
        };
        let p = Problem::new(&layer, &arch).unwrap();
        let keep = Keep::ALL[keep];
        let cands: Vec<Mapping> = Mapping::candidates(&p.gemm, &arch)
            .into_iter()
            .filter(|m| {
                m.keep == keep
                    && unpadded(&Export::new(&arch, &p, m).unwrap())
                    && !reloads_in_place(&arch, &p, m)
            })
            .collect();
        prop_assume!(!cands.is_empty());
        let m = cands[pick % cands.len()];
        check_all(&arch, &p, &m);
        let e = Export::new(&arch, &p, &m).unwrap();
        let (tessera, _) = tessera_elements(&arch, &p, &m);
        for (op, t) in Operand::ALL.into_iter().zip(tessera) {
            prop_assert_eq!(e.dram_elements(op), t, "{}", op.name());
        }
    }
}
