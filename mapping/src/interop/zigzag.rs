//! ZigZag input files (the YAML of `zigzag-dse` 3.x: `api.get_hardware_performance_zigzag(workload,
//! accelerator, mapping)`): the hardware, the workload (one layer) and the mapping. Sources and the
//! concept mapping: the [module docs](super).
//!
//! - `accelerator.yaml`: the memories from the lowest up (the PE register of the stationary
//!   operand, served per PE; the input, weight and accumulator buffers, one per operand, serving the
//!   whole array; DRAM), with sizes in bits, ports of one buffer word per cycle and Tessera's
//!   per-access energies; the operational array `D1` = rows, `D2` = columns.
//! - `workload.yaml`: the layer as a `Conv` (grouped: `O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]`,
//!   with strides, dilations and padding) or a `Gemm` (`O[g][m][n]+=I[g][m][k]*W[g][k][n]`).
//! - `mapping.yaml`: Tessera's spatial mapping (`D1`: the rows' dimension, `D2`: the columns') and
//!   its complete temporal ordering (innermost first), under the layer's name and as `default`.

use super::{yaml, Export, Form, Level, PDim};
use crate::{Mapping, Problem};
use std::fmt::Write;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::Result;

/// The three files (YAML text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZigZagFiles {
    /// The hardware: memories and the operational array.
    pub accelerator: String,
    /// A one-layer workload.
    pub workload: String,
    /// Tessera's mapping of that layer.
    pub mapping: String,
}

impl ZigZagFiles {
    /// `(file name, contents)` of each file: `accelerator.yaml`, `workload.yaml`, `mapping.yaml`.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [
            ("accelerator.yaml", &self.accelerator),
            ("workload.yaml", &self.workload),
            ("mapping.yaml", &self.mapping),
        ]
    }
}

/// ZigZag's name of a dimension in the form, `None` when the form does not use it.
pub fn dim_name(form: Form, d: PDim) -> Option<&'static str> {
    match form {
        Form::Conv => Some(match d {
            PDim::C => "C",
            PDim::M => "K",
            PDim::R => "FX",
            PDim::S => "FY",
            PDim::N => "B",
            PDim::P => "OX",
            PDim::Q => "OY",
            PDim::G => "G",
        }),
        Form::Gemm => match d {
            PDim::P => Some("M"),
            PDim::C => Some("K"),
            PDim::M => Some("N"),
            PDim::G => Some("G"),
            _ => None,
        },
    }
}

/// The workload's size on `d`: the layer's, unless ZigZag's rule (the temporal loops multiply to
/// `ceil(size / spatial)`) needs it padded to what the factors cover.
pub fn size(e: &Export, d: PDim) -> u64 {
    let (s, t, x) = (e.spatial(d), e.temporal(d), e.extent(d));
    if x.div_ceil(s) == t {
        x
    } else {
        s * t
    }
}

/// Write `problem` on `arch` under `mapping` as ZigZag files. Deterministic: the same inputs give
/// the same bytes. Errors when the mapping does not fit `arch` (see [`Export::new`]).
pub fn write(arch: &Arch, problem: &Problem, mapping: &Mapping) -> Result<ZigZagFiles> {
    let e = Export::new(arch, problem, mapping)?;
    let header = format!(
        "# Tessera: layer \"{}\" on accelerator \"{}\" ({} {}x{}), mapping tile_m={} tile_k={} \
         tile_n={}{}.\n# Written by tessera-mapping's interop::zigzag for ZigZag (zigzag-dse 3.x); \
         see its docs for what maps to what.\n# Form: {}: {}.\n",
        yaml::comment(&problem.name),
        yaml::comment(arch.name()),
        arch.dataflow().name(),
        arch.rows(),
        arch.cols(),
        mapping.tile_m,
        mapping.tile_k,
        mapping.tile_n,
        super::keep_suffix(mapping.keep),
        match e.form {
            Form::Conv => "convolution",
            Form::Gemm => "GEMM",
        },
        yaml::comment(&e.why)
    );
    Ok(ZigZagFiles {
        accelerator: accelerator_yaml(arch, &header),
        workload: workload_yaml(arch, problem, &e, &header),
        mapping: mapping_yaml(problem, &e, &header),
    })
}

/// One port of `bits` per cycle.
fn port(s: &mut String, name: &str, kind: &str, bits: u32, allocation: &[&str]) {
    let _ = write!(
        s,
        "      - name: {name}\n        type: {kind}\n        bandwidth_min: {bits}\n        \
         bandwidth_max: {bits}\n        allocation:\n"
    );
    for a in allocation {
        let _ = writeln!(s, "          - {a}");
    }
}

/// A memory's fixed fields.
#[allow(clippy::too_many_arguments)]
fn memory(
    s: &mut String,
    name: &str,
    comment: &str,
    size_bits: u64,
    (r_cost, w_cost): (f64, f64),
    area: f64,
    latency: u64,
    operands: &str,
) {
    let _ = write!(
        s,
        "  {name}:  # {comment}\n    size: {size_bits}\n    r_cost: {}\n    w_cost: {}\n    \
         area: {}\n    latency: {latency}\n    operands: [{operands}]\n    ports:\n",
        yaml::float(r_cost),
        yaml::float(w_cost),
        yaml::float(area),
    );
}

/// A buffer's (read, write) energy per word access: one of its banks, by the technology's SRAM model.
fn sram_costs(tech: &tessera_arch::Tech, buf: &tessera_arch::Buffer) -> (f64, f64) {
    let bank = tech.sram_buffer(buf).0;
    (bank.read.get(), bank.write.get())
}

fn accelerator_yaml(arch: &Arch, header: &str) -> String {
    let (r, c) = (arch.rows(), arch.cols());
    let dt = arch.datatypes();
    let (ob, ab) = (dt.operand_bits(), dt.accumulator_bits());
    let tech = arch.tech();
    let mut s = String::from(header);
    s += "# Sizes and bandwidths in bits; costs in pJ per access of one port word and areas in um^2, \
          from Tessera's\n# technology file (PE registers cost nothing there: their area is in \
          unit_area, their energy in unit_energy).\n";
    let _ = writeln!(
        s,
        "# Not expressible: the buffers' {} banks (a tile lives in one bank, the next in another), \
         DRAM latency\n# and the systolic skew, fill and drain (docs/TIMING.md).",
        arch.input().banks()
    );
    let _ = writeln!(s, "name: {}", yaml::quoted(arch.name()));
    s += "memories:\n";
    // Lowest first: the PE register of the stationary operand.
    match arch.dataflow() {
        Dataflow::OutputStationary => {
            memory(
                &mut s,
                "pe_output_reg",
                "the stationary output of each PE",
                u64::from(ab),
                (0.0, 0.0),
                0.0,
                1,
                "O",
            );
            port(&mut s, "w_port_1", "write", ab, &["O, fh"]);
            port(&mut s, "r_port_1", "read", ab, &["O, tl"]);
            port(&mut s, "w_port_2", "write", ab, &["O, fl"]);
            port(&mut s, "r_port_2", "read", ab, &["O, th"]);
        }
        Dataflow::InputStationary => {
            memory(
                &mut s,
                "pe_input_reg",
                "the stationary input of each PE",
                u64::from(ob),
                (0.0, 0.0),
                0.0,
                1,
                "I1",
            );
            port(&mut s, "r_port_1", "read", ob, &["I1, tl"]);
            port(&mut s, "w_port_1", "write", ob, &["I1, fh"]);
        }
        Dataflow::WeightStationary => {
            memory(
                &mut s,
                "pe_weight_reg",
                "the stationary weight of each PE",
                u64::from(ob),
                (0.0, 0.0),
                0.0,
                1,
                "I2",
            );
            port(&mut s, "r_port_1", "read", ob, &["I2, tl"]);
            port(&mut s, "w_port_1", "write", ob, &["I2, fh"]);
        }
        Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
    }
    s += "    served_dimensions: []\n";
    for (name, buf, op) in [
        ("input_buffer", arch.input(), "I1"),
        ("weight_buffer", arch.weight(), "I2"),
    ] {
        let bits = buf.word_bytes() * 8;
        memory(
            &mut s,
            name,
            &format!(
                "{} B in {} banks, words of {} B",
                buf.capacity().get(),
                buf.banks(),
                buf.word_bytes()
            ),
            buf.capacity().get() * 8,
            sram_costs(tech, buf),
            tech.sram_buffer(buf).1.get(),
            1,
            op,
        );
        port(&mut s, "w_port_1", "write", bits, &[&format!("{op}, fh")]);
        port(&mut s, "r_port_1", "read", bits, &[&format!("{op}, tl")]);
        s += "    served_dimensions: [D1, D2]\n";
    }
    let acc = arch.accumulator();
    let bits = acc.word_bytes() * 8;
    memory(
        &mut s,
        "accumulator_buffer",
        &format!(
            "{} B in {} banks, words of {} int{ab} lanes; outputs are never reloaded from DRAM",
            acc.capacity().get(),
            acc.banks(),
            c
        ),
        acc.capacity().get() * 8,
        sram_costs(tech, acc),
        tech.sram_buffer(acc).1.get(),
        1,
        "O",
    );
    port(&mut s, "w_port_1", "write", bits, &["O, fl", "O, fh"]);
    port(&mut s, "r_port_1", "read", bits, &["O, tl"]);
    port(&mut s, "r_port_2", "read", bits, &["O, th"]);
    s += "    served_dimensions: [D1, D2]\n";
    let dram = arch.dram();
    let bits = dram.bytes_per_cycle() * 8;
    memory(
        &mut s,
        "dram",
        &format!(
            "unbounded; one channel of {} B/cycle for loads and stores",
            dram.bytes_per_cycle()
        ),
        1 << 48,
        {
            let word = tech.dram_energy_per_byte().get() * f64::from(dram.bytes_per_cycle());
            (word, word)
        },
        0.0,
        dram.latency().get(),
        "I1, I2, O",
    );
    port(
        &mut s,
        "rw_port_1",
        "read_write",
        bits,
        &[
            "I1, fh", "I1, tl", "I2, fh", "I2, tl", "O, fh", "O, tl", "O, fl", "O, th",
        ],
    );
    s += "    served_dimensions: [D1, D2]\n";
    let _ = write!(
        s,
        "operational_array:\n  input_precision: [{ob}, {ob}]\n  unit_energy: {}  # pJ per MAC\n  \
         unit_area: {}  # um^2 per PE, its registers included\n  dimensions: [D1, D2]  # rows, columns\n  \
         sizes: [{r}, {c}]\n",
        yaml::float(tech.mac_energy(dt).get()),
        yaml::float(tech.pe_area(dt).get()),
    );
    s
}

fn workload_yaml(arch: &Arch, problem: &Problem, e: &Export, header: &str) -> String {
    let mut s = String::from(header);
    let pads: Vec<String> = PDim::ALL
        .iter()
        .filter_map(|&d| {
            let n = dim_name(e.form, d)?;
            (size(e, d) != e.extent(d)).then(|| {
                format!(
                    "{n}: the layer has {}, padded to {} so that the temporal ordering is complete",
                    e.extent(d),
                    size(e, d)
                )
            })
        })
        .collect();
    if !pads.is_empty() {
        s += "# Sizes padded where Tessera's last tile is a remainder (ZigZag rounds up only the \
              spatial unrolling):\n";
        for p in &pads {
            let _ = writeln!(s, "#   {}", yaml::comment(p));
        }
    }
    for n in &e.notes {
        let _ = writeln!(s, "# {}", yaml::comment(n));
    }
    let _ = writeln!(s, "- id: 0\n  name: {}", yaml::quoted(&problem.name));
    let dims: &[PDim] = match e.form {
        Form::Conv => &[
            PDim::N,
            PDim::M,
            PDim::G,
            PDim::P,
            PDim::Q,
            PDim::C,
            PDim::R,
            PDim::S,
        ],
        Form::Gemm => &[PDim::G, PDim::P, PDim::M, PDim::C],
    };
    let names: Vec<&str> = dims
        .iter()
        .map(|&d| dim_name(e.form, d).expect("the form's dimension"))
        .collect();
    let sizes: Vec<String> = dims.iter().map(|&d| size(e, d).to_string()).collect();
    match (e.form, &problem.conv) {
        (Form::Conv, Some(cg)) => {
            let cv = &cg.conv;
            let _ = write!(
                s,
                "  operator_type: Conv\n  equation: O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]\n  \
                 dimension_relations: [ix={}*ox+{}*fx, iy={}*oy+{}*fy]\n",
                cv.stride[1], cv.dilation[1], cv.stride[0], cv.dilation[0]
            );
            let _ = write!(
                s,
                "  loop_dims: [{}]\n  loop_sizes: [{}]\n",
                names.join(", "),
                sizes.join(", ")
            );
            let _ = write!(
                s,
                "  pr_loop_dims: [IX, IY]\n  pr_loop_sizes: [{}, {}]\n  padding: [[{}, {}], [{}, {}]]  \
                 # (before, after) of IX, IY\n",
                cv.in_w, cv.in_h, cv.pad_begin[1], cv.pad_end[1], cv.pad_begin[0], cv.pad_end[0]
            );
        }
        _ => {
            let _ = write!(
                s,
                "  operator_type: Gemm\n  equation: O[g][m][n]+=I[g][m][k]*W[g][k][n]\n  \
                 dimension_relations: []\n  loop_dims: [{}]\n  loop_sizes: [{}]\n",
                names.join(", "),
                sizes.join(", ")
            );
        }
    }
    let _ = write!(
        s,
        "  operand_precision:\n    W: {ob}\n    I: {ob}\n    O: {ab}\n    O_final: {ab}  # Tessera stores \
         int{ab} outputs\n  operand_source:\n    I: 0\n    W: 0\n",
        ob = arch.datatypes().operand_bits(),
        ab = arch.datatypes().accumulator_bits(),
    );
    s
}

fn mapping_yaml(problem: &Problem, e: &Export, header: &str) -> String {
    let mut s = String::from(header);
    s += "# The temporal ordering lists the innermost loop first; each comment names the level \
          Tessera keeps it at.\n# ZigZag takes a complete ordering as it is but assigns loops to \
          memories by capacity itself.\n";
    for l in e.remainder_lines(|d| dim_name(e.form, d).unwrap_or(d.name())) {
        let _ = writeln!(s, "#   {}", yaml::comment(&l));
    }
    for l in e.keep_lines() {
        let _ = writeln!(s, "# {}", yaml::comment(&l));
    }
    let name = |d: PDim| dim_name(e.form, d).expect("a mapped dimension is in the form");
    let mut body = String::from("  spatial_mapping:\n");
    let array = e.loops(Level::Array);
    for (oa, d, what) in [
        ("D1", e.rows_dim(), "rows"),
        ("D2", e.cols_dim(), "columns"),
    ] {
        let _ = write!(
            body,
            "    {oa}:  # {what}\n      - {}, {}\n",
            name(d),
            array.iter().find(|f| f.dim == d).map_or(1, |f| f.factor)
        );
    }
    body += "  temporal_ordering:\n";
    let mut any = false;
    for level in e.order.iter().rev() {
        if *level == Level::Array {
            continue;
        }
        for f in e.loops(*level).iter().rev() {
            any = true;
            let _ = writeln!(
                body,
                "    - [{}, {}]  # {}{}: {}",
                name(f.dim),
                f.factor,
                level.describe(),
                if e.kept() == Some(*level) {
                    " (keeps the panel while it runs)"
                } else {
                    ""
                },
                f.what
            );
        }
    }
    if !any {
        body += "    - [G, 1]  # every loop is spatial\n";
    }
    body += "  memory_operand_links:\n    O: O\n    W: I2\n    I: I1\n";
    let _ = write!(
        s,
        "- name: {}\n{body}- name: default  # the same mapping; ZigZag requires a default\n{body}",
        yaml::quoted(&problem.name)
    );
    s
}
