//! Timeloop v0.4 input files (for its Python front end, `timeloopfe`, as in Timeloop 3.x and the
//! Accelergy/Timeloop exercises): the architecture, the problem (a CNN layer with groups, the
//! exercises' 2024 shape) and the mapping. Sources and the concept mapping: the [module
//! docs](super).
//!
//! - `arch.yaml`: `!Container system` → `DRAM` → `!Container <accelerator>` → `accumulator_buffer`,
//!   `input_buffer`, `weight_buffer` (SRAM, one per operand; in the export's storage order, a kept
//!   panel's buffer first) → `!Container PE` with `spatial:
//!   {meshX: C, meshY: R}` → the PE's register for the stationary operand → `mac` (`intmac`).
//! - `problem.yaml`: the shape (dimensions `C M R S N P Q G`, the data spaces `Weights`, `Inputs`,
//!   `Outputs` and their projections, strides and dilations) and the instance.
//! - `mapping.yaml`: for every storage level, in the same order, a `temporal` directive (factors of all eight
//!   dimensions, the permutation innermost first) and a `dataspace` directive (what it keeps and
//!   bypasses), and a `spatial` directive on the `PE` container (`split: 1`: the columns' dimension
//!   on X, the rows' on Y).

use super::{yaml, Export, Form, Level, PDim};
use crate::{Mapping, Problem};
use std::fmt::Write;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::Result;

/// The three files (YAML text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeloopFiles {
    /// `architecture:` — the hardware.
    pub arch: String,
    /// `problem:` — the layer.
    pub problem: String,
    /// `mapping:` — Tessera's mapping as directives.
    pub mapping: String,
}

impl TimeloopFiles {
    /// `(file name, contents)` of each file: `arch.yaml`, `problem.yaml`, `mapping.yaml`.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [
            ("arch.yaml", &self.arch),
            ("problem.yaml", &self.problem),
            ("mapping.yaml", &self.mapping),
        ]
    }
}

/// Component names; the mapping's targets.
const DRAM: &str = "DRAM";
const ACC: &str = "accumulator_buffer";
const INPUT: &str = "input_buffer";
const WEIGHT: &str = "weight_buffer";
const PE: &str = "PE";

/// The storage levels with a temporal directive, outermost first as the export nests them
/// ([`Export::order`]): (level, component, keeps).
fn storage(e: &Export) -> Vec<(Level, &'static str, &'static [&'static str])> {
    let (reg, keep): (&str, &[&str]) = match e.dataflow {
        Dataflow::OutputStationary => ("pe_output_reg", &["Outputs"]),
        Dataflow::WeightStationary => ("pe_weight_reg", &["Weights"]),
        Dataflow::InputStationary => ("pe_input_reg", &["Inputs"]),
        Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
    };
    e.order
        .iter()
        .filter_map(|&l| {
            Some(match l {
                Level::Dram => (l, DRAM, &["Weights", "Inputs", "Outputs"][..]),
                Level::Accumulator => (l, ACC, &["Outputs"][..]),
                Level::Input => (l, INPUT, &["Inputs"][..]),
                Level::Weight => (l, WEIGHT, &["Weights"][..]),
                Level::Array => return None,
                Level::Pe => (l, reg, keep),
            })
        })
        .collect()
}

/// Write `problem` on `arch` under `mapping` as Timeloop v0.4 files. Deterministic: the same
/// inputs give the same bytes. Errors when the mapping does not fit `arch` (see [`Export::new`]).
pub fn write(arch: &Arch, problem: &Problem, mapping: &Mapping) -> Result<TimeloopFiles> {
    let e = Export::new(arch, problem, mapping)?;
    let header = header(arch, problem, mapping, &e);
    Ok(TimeloopFiles {
        arch: arch_yaml(arch, &e, &header),
        problem: problem_yaml(problem, &e, &header),
        mapping: mapping_yaml(&e, &header),
    })
}

fn header(arch: &Arch, problem: &Problem, mapping: &Mapping, e: &Export) -> String {
    format!(
        "# Tessera: layer \"{}\" on accelerator \"{}\" ({} {}x{}), mapping tile_m={} tile_k={} \
         tile_n={}{}.\n# Written by tessera-mapping's interop::timeloop for Timeloop v0.4 \
         (timeloopfe); see its docs for what maps to what.\n",
        yaml::comment(&problem.name),
        yaml::comment(arch.name()),
        arch.dataflow().name(),
        arch.rows(),
        arch.cols(),
        mapping.tile_m,
        mapping.tile_k,
        mapping.tile_n,
        super::keep_suffix(mapping.keep),
    ) + &format!(
        "# Form: {}: {}.\n",
        match e.form {
            Form::Conv => "convolution",
            Form::Gemm => "GEMM",
        },
        yaml::comment(&e.why)
    )
}

fn arch_yaml(arch: &Arch, e: &Export, header: &str) -> String {
    let (r, c) = (arch.rows(), arch.cols());
    let dt = arch.datatypes();
    let (ob, ab) = (dt.operand_bits(), dt.accumulator_bits());
    let dram = arch.dram();
    let mut s = String::from(header);
    s += "# Not expressible: DRAM latency ";
    let _ = writeln!(
        s,
        "({} cycles), the systolic skew, fill and drain, and the DMA's pacing (docs/TIMING.md).",
        dram.latency().get()
    );
    s +=
        "# Energies come from Accelergy's plug-ins for the classes named here, not from Tessera's \
          technology file.\n";
    s += "architecture:\n  version: 0.4\n  nodes:\n";
    s += "  - !Container\n    name: system\n    attributes:\n";
    let _ = writeln!(
        s,
        "      technology: \"{}nm\"\n      global_cycle_seconds: {}  # {} MHz",
        arch.tech().spec.node_nm,
        yaml::float(1.0 / (arch.clock_mhz() * 1e6)),
        yaml::float(arch.clock_mhz())
    );
    let _ = write!(
        s,
        "  - !Component\n    name: {DRAM}\n    class: DRAM\n    attributes:\n      type: \"LPDDR4\"\n\
         \x20     depth: {depth}  # unbounded in Tessera; timeloopfe needs a depth, Timeloop reads 32 bits\n\
         \x20     width: {w}\n      datawidth: {ob}\n\
         \x20     shared_bandwidth: {bw}  # words per cycle: loads and stores share one channel of {bw} B/cycle\n\
         \x20     per_dataspace_bandwidth_consumption_scale: {{Outputs: {scale}}}  # outputs leave as int{ab}\n",
        depth = u32::MAX,
        w = dram.bytes_per_cycle() * 8,
        bw = dram.bytes_per_cycle(),
        scale = ab / ob,
    );
    let _ = writeln!(
        s,
        "  - !Container\n    name: {}\n    attributes:\n      technology: \"{}nm\"",
        yaml::quoted(arch.name()),
        arch.tech().spec.node_nm
    );
    s += "  # One buffer per operand. A tile lives in one bank (the lowering ping-pongs between \
          banks):\n  # multiple_buffering = n_banks makes a tile fit depth / n_banks words.\n";
    if let (Some(kept), Some(panel)) = (e.kept(), e.panel()) {
        let _ = writeln!(
            s,
            "  # The {} comes first (keep = {}): it keeps {} across output tiles,\n  # so the \
             tile loop the panel stays across is its own, above the accumulator's loops.",
            kept.describe(),
            e.keep.label(),
            yaml::comment(panel)
        );
    }
    let buffers = e.order.iter().filter_map(|l| match l {
        Level::Accumulator => Some((ACC, arch.accumulator(), ab, 2)),
        Level::Input => Some((INPUT, arch.input(), ob, 1)),
        Level::Weight => Some((WEIGHT, arch.weight(), ob, 1)),
        _ => None,
    });
    for (name, buf, bits, read_ports) in buffers {
        let per_word = buf.word_bytes() * 8 / bits;
        let _ = write!(
            s,
            "  - !Component\n    name: {name}\n    class: SRAM\n    attributes:\n\
             \x20     depth: {}\n      width: {}\n      datawidth: {bits}\n      n_banks: {}\n\
             \x20     multiple_buffering: {}\n      read_bandwidth: {}{}\n      write_bandwidth: {per_word}\n",
            buf.depth(),
            buf.word_bytes() * 8,
            buf.banks(),
            buf.banks(),
            per_word * read_ports,
            if read_ports > 1 {
                "  # two read ports: the array's accumulate read and the DMA's store"
            } else {
                ""
            },
        );
    }
    let _ = writeln!(
        s,
        "  - !Container\n    name: {PE}\n    spatial: {{meshX: {c}, meshY: {r}}}  # columns on X, rows on Y"
    );
    let (reg, what, bits) = match arch.dataflow() {
        Dataflow::OutputStationary => ("pe_output_reg", "the stationary output", ab),
        Dataflow::WeightStationary => ("pe_weight_reg", "the stationary weight", ob),
        Dataflow::InputStationary => ("pe_input_reg", "the stationary input", ob),
        Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
    };
    let _ = write!(
        s,
        "  - !Component  # {what}; the passing operands' registers are the array's wiring\n\
         \x20   name: {reg}\n    class: storage\n    subclass: aladdin_register\n    attributes:\n\
         \x20     depth: 1\n      width: {bits}\n      datawidth: {bits}\n"
    );
    let _ = write!(
        s,
        "  - !Component\n    name: mac\n    class: intmac\n    attributes:\n\
         \x20     multiplier_width: {ob}\n      adder_width: {ab}\n"
    );
    s
}

fn problem_yaml(problem: &Problem, e: &Export, header: &str) -> String {
    let mut s = String::from(header);
    let corr = match e.form {
        Form::Conv => {
            "# Tessera's GEMM: M = N*Q*P output pixels, K = S*R*C (channels innermost), N = M output \
             channels per group; instances = G.\n"
        }
        Form::Gemm => {
            "# Tessera's GEMM C[MxN] = A[MxK] * B[KxN] as a layer with R = S = N = Q = 1: P = M, \
             C = K, M = N; instances = G.\n"
        }
    };
    s += corr;
    if let (Form::Conv, Some(cg)) = (e.form, &problem.conv) {
        let cv = &cg.conv;
        let _ = writeln!(
            s,
            "# Timeloop has no zero padding: its input is (P-1)*Wstride+(R-1)*Wdilation+1 wide. \
             Tessera's is {}x{} (HxW),\n# padded by {:?} (top, left) and {:?} (bottom, right), \
             and padding reads nothing from DRAM.",
            cv.in_h, cv.in_w, cv.pad_begin, cv.pad_end
        );
    }
    let lines = e.remainder_lines(|d| d.name());
    if !lines.is_empty() {
        s += "# Sizes padded to what the mapping's ceil-based factors cover (Timeloop needs factors \
              that multiply\n# to each size; the last tiles are remainders in Tessera):\n";
        for l in &lines {
            let _ = writeln!(s, "#   {}", yaml::comment(l));
        }
    }
    s += "problem:\n  version: 0.4\n  shape:\n";
    let _ = writeln!(s, "    name: {}", yaml::quoted(&problem.name));
    s += "    dimensions: [C, M, R, S, N, P, Q, G]\n    coefficients:\n";
    for c in ["Wstride", "Hstride", "Wdilation", "Hdilation"] {
        let _ = writeln!(s, "    - {{name: {c}, default: 1}}");
    }
    s += "    data_spaces:\n    - name: Weights\n      projection: [[[C]], [[M]], [[R]], [[S]], [[G]]]\n\
          \x20   - name: Inputs\n      projection: [[[N]], [[C]], [[R, Wdilation], [P, Wstride]], \
          [[S, Hdilation], [Q, Hstride]], [[G]]]\n\
          \x20   - name: Outputs\n      projection: [[[N]], [[M]], [[Q]], [[P]], [[G]]]\n      read_write: true\n";
    s += "  instance:\n";
    for d in PDim::ALL {
        let v = e.product(d);
        match e.padded(d) {
            Some(_) => {
                let _ = writeln!(s, "    {}: {v}  # the layer has {}", d.name(), e.extent(d));
            }
            None => {
                let _ = writeln!(s, "    {}: {v}", d.name());
            }
        }
    }
    let (stride, dilation) = match (e.form, &problem.conv) {
        (Form::Conv, Some(cg)) => (cg.conv.stride, cg.conv.dilation),
        _ => ([1, 1], [1, 1]),
    };
    let _ = write!(
        s,
        "    Wstride: {}\n    Hstride: {}\n    Wdilation: {}\n    Hdilation: {}\n",
        stride[1], stride[0], dilation[1], dilation[0]
    );
    s
}

/// `[C=1, M=4, ...]`: the level's factor for every dimension.
fn factors(e: &Export, level: Level) -> String {
    let f: Vec<String> = PDim::ALL
        .iter()
        .map(|&d| format!("{}={}", d.name(), e.factor(level, d)))
        .collect();
    format!("[{}]", f.join(", "))
}

/// The level's loops innermost first, then the dimensions without a loop (Timeloop's order).
fn permutation(e: &Export, level: Level) -> String {
    let mut p: Vec<PDim> = e.loops(level).iter().rev().map(|f| f.dim).collect();
    let rest: Vec<PDim> = PDim::ALL.into_iter().filter(|d| !p.contains(d)).collect();
    p.extend(rest);
    let names: Vec<&str> = p.iter().map(|d| d.name()).collect();
    format!("[{}]", names.join(", "))
}

/// A comment naming Tessera's loops at a level, outermost first, with their remainders.
fn loops_comment(e: &Export, level: Level) -> String {
    let parts: Vec<String> = e
        .loops(level)
        .iter()
        .map(|f| {
            let rem = e
                .remainder(level, f.dim)
                .map(|x| format!(", {} in the last iteration", x.last))
                .unwrap_or_default();
            format!("{}={} {}{rem}", f.dim.name(), f.factor, f.what)
        })
        .collect();
    if parts.is_empty() {
        "no loop".into()
    } else {
        parts.join("; ")
    }
}

fn mapping_yaml(e: &Export, header: &str) -> String {
    let mut s = String::from(header);
    s += &super::nest_comment(e);
    s += "# Permutations list the innermost loop first. Factors are trip \
          counts of whole tiles; where Tessera's\n# last tile is a remainder the comment says how \
          many iterations it runs (Timeloop >= 2.0's C++ parser\n# would take that as `X=factor,last`; \
          timeloopfe v0.4 does not, so problem.yaml is padded instead).\n";
    let lines = e.remainder_lines(|d| d.name());
    for l in &lines {
        let _ = writeln!(s, "#   {}", yaml::comment(l));
    }
    for l in e.keep_lines() {
        let _ = writeln!(s, "# {}", yaml::comment(&l));
    }
    s += "mapping:\n";
    let all = ["Weights", "Inputs", "Outputs"];
    // the spatial directive follows the last buffer, whose children are the PEs
    let array = e.order.iter().position(|&l| l == Level::Array);
    let last_buffer = e.order[array.expect("the array is a level") - 1];
    for (level, target, keep) in storage(e) {
        let _ = writeln!(
            s,
            "# {}{}: {}",
            level.describe(),
            if e.kept() == Some(level) {
                " (keeps the panel while these run)"
            } else {
                ""
            },
            yaml::comment(&loops_comment(e, level))
        );
        let _ = writeln!(
            s,
            "- target: {target}\n  type: temporal\n  factors: {}\n  permutation: {}",
            factors(e, level),
            permutation(e, level)
        );
        let bypass: Vec<&str> = all.iter().copied().filter(|d| !keep.contains(d)).collect();
        let _ = writeln!(
            s,
            "- target: {target}\n  type: dataspace\n  keep: [{}]\n  bypass: [{}]",
            keep.join(", "),
            bypass.join(", ")
        );
        if level == last_buffer {
            let _ = writeln!(
                s,
                "# {}: {}",
                Level::Array.describe(),
                yaml::comment(&loops_comment(e, Level::Array))
            );
            // `split: 1`: the permutation's first dimension goes on X (the columns: the output
            // channels M, or the pixels P on an input-stationary array), the others on Y (the
            // rows' dimension first).
            let (cols, rows) = (e.cols_dim(), e.rows_dim());
            let mut perm = vec![cols, rows];
            perm.extend(PDim::ALL.into_iter().filter(|d| *d != cols && *d != rows));
            let names: Vec<&str> = perm.iter().map(|d| d.name()).collect();
            let _ = writeln!(
                s,
                "- target: {PE}\n  type: spatial\n  factors: {}\n  permutation: [{}]\n  split: 1",
                factors(e, Level::Array),
                names.join(", "),
            );
        }
    }
    s
}
