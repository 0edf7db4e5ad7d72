//! The Timeloop and ZigZag exports: golden files for one weight-stationary and one
//! output-stationary case (`TESSERA_BLESS=1 cargo test -p tessera-mapping --test interop` rewrites
//! them; review the diff), every file read back as YAML with its factors checked against the layer
//! and the array, and names that try to break the YAML.

use proptest::prelude::*;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use std::path::{Path, PathBuf};
use tessera_arch::{builtin, Arch, ArchSpec, Dataflow};
use tessera_mapping::interop::{timeloop, zigzag, Export, Form, Level, PDim};
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

fn check_all(arch: &Arch, p: &Problem, m: &Mapping) {
    check_timeloop(arch, p, m);
    check_zigzag(arch, p, m);
    check_against_schedule(arch, p, m);
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
    // a kept panel fits but the formats cannot say it: refused, naming the field
    let (arch, p, m) = ws_case();
    let panel = Mapping {
        keep: Keep::InputPanel,
        tile_m: 10,
        ..m
    };
    panel.check(&p.gemm, &arch).unwrap();
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
        let p = match Problem::new(&layer, &arch) {
            Ok(p) => p,
            Err(_) => return Ok(()),
        };
        // the formats express only `Keep::Tiles` mappings (a kept panel is refused, tested below)
        let cands: Vec<Mapping> = Mapping::candidates(&p.gemm, &arch)
            .into_iter()
            .filter(|m| m.keep == Keep::Tiles)
            .collect();
        prop_assume!(!cands.is_empty());
        let m = cands[pick % cands.len()];
        check_all(&arch, &p, &m);
    }
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
        let p = match Problem::new(&layer, &arch) {
            Ok(p) => p,
            Err(_) => return Ok(()),
        };
        // the formats express only `Keep::Tiles` mappings (a kept panel is refused, tested below)
        let cands: Vec<Mapping> = Mapping::candidates(&p.gemm, &arch)
            .into_iter()
            .filter(|m| m.keep == Keep::Tiles)
            .collect();
        prop_assume!(!cands.is_empty());
        let m = cands[pick % cands.len()];
        check_all(&arch, &p, &m);
    }
}
