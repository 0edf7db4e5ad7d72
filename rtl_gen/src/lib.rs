//! Synthesizable Verilog-2005 for a validated [`Arch`], written from askama templates
//! (`rtl_gen/templates/`), one module per file.
//!
//! What the RTL models: docs/TIMING.md, cycle for cycle — the controller reading a 128-bit program
//! from an instruction memory, one DMA unit on a DRAM port (read requests, paced write beats,
//! acknowledgements), the weight-stationary int8 systolic array with its preload, skew, deskew and
//! write-back sequencer, and the input / weight / accumulator buffers split into banks of synchronous
//! SRAM. Every register has a synchronous active-high reset. The top also has a few narrow
//! observability outputs (`trace_issue`, `trace_pc`, `trace_op`, `trace_halt`, `trace_dma_done`,
//! `trace_cmp_done`), combinational views of decisions the design makes anyway, from which the
//! testbench writes the architectural event trace; they add no register and change no timing.
//!
//! What it leaves out: the DRAM itself (the memory model lives in the testbench, `tessera-verif`),
//! SRAM and instruction-memory macros (behavioural models, black boxes in synthesis), clock gating,
//! power, scan, and everything docs/TIMING.md leaves out (weight double-buffering in the PEs, several
//! outstanding DRAM requests, other dataflows). This crate knows nothing of the cycle simulator: the
//! two are independent implementations of the contract, compared by `tessera-verif`.
//!
//! Modules (prefix = the arch name): `_top`, `_ctrl`, `_imem`, `_dma`, `_compute`, `_array`, `_pe`,
//! `_sram` (1 write, 1 read port) and `_sram2r` (1 write, 2 read ports, for the accumulator).

mod views;

use askama::Template;
use sha2::{Digest, Sha256};
use std::path::Path;
use tessera_arch::isa::field;
use tessera_arch::spec::{MAX_ARRAY_DIM, MAX_BUFFER_WORDS};
use tessera_arch::{is_safe_identifier, Arch, Buffer, Dataflow};
use tessera_core::diag::{Diagnostic, Result};

pub use views::{IMEM_ADDR_BITS, IMEM_DEPTH};

/// One generated Verilog file; `name` is `<module>.v`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    pub name: String,
    pub text: String,
}

/// The generated design: the top module's name and every file, in a fixed order (leaves first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Design {
    pub top: String,
    pub files: Vec<VerilogFile>,
}

/// Module-name suffixes of the behavioural memories, which synthesis treats as black boxes.
pub const BLACK_BOX_SUFFIXES: &[&str] = &["_sram", "_sram2r", "_imem"];

/// Generate the Verilog for `arch`. Re-checks everything the templates rely on (the name is a safe
/// identifier, sizes are in range and consistent), since `Arch` fields are public.
pub fn emit(arch: &Arch) -> Result<Design> {
    check(arch)?;
    let n = &arch.name;
    let render = |module: &str, r: askama::Result<String>| -> Result<VerilogFile> {
        let text = r.map_err(|e| Diagnostic::new(format!("rendering module {module}: {e}")))?;
        Ok(VerilogFile {
            name: format!("{module}.v"),
            text,
        })
    };
    let hdr = || views::Header::new(arch);
    let files = vec![
        render(
            &format!("{n}_pe"),
            views::PeView {
                hdr: hdr(),
                name: n.clone(),
            }
            .render(),
        )?,
        render(
            &format!("{n}_array"),
            views::ArrayView {
                hdr: hdr(),
                name: n.clone(),
                rows: arch.rows,
                cols: arch.cols,
            }
            .render(),
        )?,
        render(
            &format!("{n}_sram"),
            views::SramView {
                hdr: hdr(),
                name: n.clone(),
            }
            .render(),
        )?,
        render(
            &format!("{n}_sram2r"),
            views::Sram2rView {
                hdr: hdr(),
                name: n.clone(),
            }
            .render(),
        )?,
        render(
            &format!("{n}_imem"),
            views::ImemView {
                hdr: hdr(),
                name: n.clone(),
                depth: IMEM_DEPTH,
                aw: IMEM_ADDR_BITS,
            }
            .render(),
        )?,
        render(&format!("{n}_ctrl"), views::CtrlView::new(arch).render())?,
        render(&format!("{n}_dma"), views::DmaView::new(arch).render())?,
        render(
            &format!("{n}_compute"),
            views::ComputeView::new(arch).render(),
        )?,
        render(&format!("{n}_top"), views::TopView::new(arch).render())?,
    ];
    Ok(Design {
        top: format!("{n}_top"),
        files,
    })
}

fn bad(field: &str, msg: String) -> Diagnostic {
    Diagnostic::field(field, format!("cannot generate RTL: {msg}"))
}

/// What the templates assume about an [`Arch`] and the instruction encoding.
fn check(a: &Arch) -> Result<()> {
    if !is_safe_identifier(&a.name) {
        return Err(bad(
            "name",
            format!(
                "{:?} is not a safe Verilog identifier (ASCII letter, then letters, digits, `_`)",
                a.name
            ),
        ));
    }
    if a.dataflow != Dataflow::WeightStationary {
        return Err(bad(
            "array.dataflow",
            format!("{:?} is not supported", a.dataflow),
        ));
    }
    for (v, f) in [(a.rows, "array.rows"), (a.cols, "array.cols")] {
        if v == 0 || i64::from(v) > MAX_ARRAY_DIM {
            return Err(bad(
                f,
                format!("must be between 1 and {MAX_ARRAY_DIM}, got {v}"),
            ));
        }
    }
    let buf = |b: &Buffer, word: u32| -> Result<()> {
        let f = |x: &str| format!("buffers.{}.{x}", b.kind.name());
        if b.word_bytes != word {
            return Err(bad(
                &f("word_bytes"),
                format!("is {} B, the contract says {word} B", b.word_bytes),
            ));
        }
        if b.banks == 0
            || b.banks > 64
            || b.depth == 0
            || b.depth > MAX_BUFFER_WORDS
            || b.bank_depth() * b.banks != b.depth
        {
            return Err(bad(
                &f("banks"),
                format!("{} words in {} banks is not a whole number of words per bank within 1..=64 banks and {MAX_BUFFER_WORDS} words", b.depth, b.banks),
            ));
        }
        if u64::from(b.depth) * u64::from(b.word_bytes) != b.capacity.get() {
            return Err(bad(
                &f("capacity_bytes"),
                format!("{} is not depth × word bytes", b.capacity),
            ));
        }
        Ok(())
    };
    buf(&a.input, a.rows)?;
    buf(&a.weight, a.cols)?;
    buf(&a.accumulator, 4 * a.cols)?;
    if a.dram.bytes_per_cycle == 0 || a.dram.latency.get() == 0 {
        return Err(bad(
            "dram",
            "bytes_per_cycle and latency must be at least 1".into(),
        ));
    }
    // The templates size ports for this encoding (8-bit opcode and flags, 16-bit counts and buffer
    // addresses, 32-bit DRAM addresses); a change in tessera_arch::isa must be matched here.
    let expected = [
        (field::OP.1, 8),
        (field::FLAGS.1, 8),
        (field::COUNT.1, 16),
        (field::DRAM_ADDR.1, 32),
    ];
    let addr = [field::ADDR_A.1, field::ADDR_B.1, field::ADDR_C.1];
    if expected.iter().any(|(w, e)| w != e) || addr.iter().any(|w| *w != 16) {
        return Err(Diagnostic::new(
            "cannot generate RTL: the instruction field widths in tessera_arch::isa::field changed; \
             the Verilog templates assume 8/8/16/32/16/16/16 bits",
        ));
    }
    Ok(())
}

impl Design {
    /// Write every file into `dir` (created if needed), each atomically.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        for f in &self.files {
            tessera_core::load::write_atomic(&dir.join(&f.name), f.text.as_bytes())?;
        }
        Ok(())
    }

    /// SHA-256 (hex) of every file name and text, in order.
    pub fn content_hash(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.files {
            for part in [f.name.as_bytes(), f.text.as_bytes()] {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part);
            }
        }
        hex(&h.finalize())
    }

    /// The arch name: the prefix of every module.
    pub fn prefix(&self) -> &str {
        self.top.strip_suffix("_top").unwrap_or(&self.top)
    }

    /// Names of the modules synthesis treats as black boxes (SRAM banks and instruction memory).
    pub fn black_box_modules(&self) -> Vec<String> {
        BLACK_BOX_SUFFIXES
            .iter()
            .map(|s| format!("{}{s}", self.prefix()))
            .collect()
    }

    /// Files of the black-box modules (read with `read_verilog -lib`) and of the rest, in order.
    pub fn synth_files(&self) -> (Vec<&VerilogFile>, Vec<&VerilogFile>) {
        let bb: Vec<String> = self
            .black_box_modules()
            .into_iter()
            .map(|m| format!("{m}.v"))
            .collect();
        self.files.iter().partition(|f| bb.contains(&f.name))
    }

    /// A Yosys script that synthesises the design with the memories as black boxes, run in a folder
    /// holding the files written by [`Design::write_to`]. It writes `stat -json` of the top module
    /// (whole hierarchy) to `stat_json`, a file name relative to that folder (letters, digits, `_`,
    /// `-`, `.` only).
    pub fn yosys_script(&self, stat_json: &str) -> Result<String> {
        if stat_json.is_empty()
            || !stat_json
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return Err(Diagnostic::new(format!(
                "{stat_json:?} is not a plain file name"
            )));
        }
        let (bb, rest) = self.synth_files();
        let mut s = String::from("# generated by tessera-rtl-gen\n");
        for f in bb {
            s += &format!("read_verilog -lib {}\n", f.name);
        }
        for f in rest {
            s += &format!("read_verilog {}\n", f.name);
        }
        s += &format!("hierarchy -check -top {}\n", self.top);
        s += &format!("synth -top {}\n", self.top);
        s += &format!("tee -q -o {stat_json} stat -json -top {}\n", self.top);
        Ok(s)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_for_counts() {
        assert_eq!(views::bits_for(0), 1);
        assert_eq!(views::bits_for(1), 1);
        assert_eq!(views::bits_for(2), 2);
        assert_eq!(views::bits_for(255), 8);
        assert_eq!(views::bits_for(256), 9);
    }

    #[test]
    fn every_file_has_header_timescale_and_trailing_newline() {
        let a = tessera_arch::builtin::arch("ws_2x3").unwrap();
        let d = emit(&a).unwrap();
        assert_eq!(d.top, "ws_2x3_top");
        for f in &d.files {
            assert!(f.text.starts_with("// ws_2x3: 2x3 "), "{}", f.name);
            assert!(
                f.text
                    .contains("generated by tessera-rtl-gen — do not edit"),
                "{}",
                f.name
            );
            assert!(f.text.contains("`timescale 1ns/1ps\n"), "{}", f.name);
            assert!(
                f.text.ends_with("endmodule\n"),
                "{}: {:?}",
                f.name,
                &f.text[f.text.len() - 20..]
            );
            let module = f.name.strip_suffix(".v").unwrap();
            assert!(f.text.contains(&format!("module {module} ")), "{}", f.name);
            assert_eq!(f.text.matches("\nmodule ").count(), 1, "{}", f.name);
            assert!(
                !f.text.contains("{{") && !f.text.contains("{%"),
                "{}",
                f.name
            );
        }
    }

    #[test]
    fn yosys_script_refuses_odd_paths() {
        let d = emit(&tessera_arch::builtin::arch("ws_1x1").unwrap()).unwrap();
        assert!(d
            .yosys_script("stat.json")
            .unwrap()
            .contains("read_verilog -lib ws_1x1_sram.v"));
        assert!(d.yosys_script("a b; shell").is_err());
    }
}
