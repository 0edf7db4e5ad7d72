//! Synthesizable Verilog-2005 for a validated [`Arch`], written from askama templates
//! (`rtl_gen/templates/`), one module per file.
//!
//! What the RTL models: docs/TIMING.md, cycle for cycle — the controller reading a 128-bit program
//! from a queue the host streams it into (any length), one DMA unit on a DRAM port (paced per-word read requests, linear or
//! gathered by its address generator — an implicit im2col of a convolution's input —, paced write
//! beats, acknowledgements; with `dram.outstanding_transfers` = O > 1, up to O transfers in flight:
//! a FIFO of their descriptors, a request side that runs one transfer's requests or beats at a time
//! in issue order and a completion side that takes the returning words and acknowledgements of the
//! oldest), the systolic array of the accelerator's dataflow with its sequencer
//! (weight-stationary: preload, skew, deskew and write-back, with an optional shadow weight per PE,
//! and the interconnect options of `array.noc` — row broadcast buses without the PEs' forwarding
//! registers and the deskew, column adder trees of ⌈log₂ R⌉ register levels over the PEs' product
//! registers without the input skew;
//! input-stationary: the weight-stationary array and compute unit with the top wiring its preload
//! port to the input buffer and its stream port to the weight buffer; output-stationary: operand
//! skews, the stationary sums and their drain, or with `array.noc.stream: Broadcast` row and
//! column buses from the read ports without the skews and the PEs' forwarding registers;
//! row-stationary: PEs with register files of `array.rf_weights` operands, per-row windows of the
//! input word at offsets and blocks computed from the pass's fields when it issues, one block sum
//! per column and cycle written back), and the input / weight / accumulator buffers split into banks of
//! synchronous SRAM. Every width comes from the accelerator's datatypes; buffer word addresses
//! are as wide as the deepest buffer needs, at least 16 bits (the instruction's are 20: a design
//! ignores the address bits above its own, and its bank-hit logic drops writes to and reads zero
//! from addresses past a buffer below that power of two; programs that do either are illegal). Every register has a synchronous active-high reset. The top also has a few narrow
//! observability outputs (`trace_issue`, `trace_pc`, `trace_op`, `trace_halt`, `trace_dma_done`,
//! `trace_cmp_done`), combinational views of decisions the design makes anyway, from which the
//! testbench writes the architectural event trace; they add no register and change no timing.
//!
//! What it leaves out: the DRAM itself (the memory model lives in the testbench, `tessera-verif`),
//! SRAM macros (behavioural models, black boxes in synthesis), the host that streams the program, clock gating,
//! power, scan, and everything docs/TIMING.md leaves out (several transfers in flight on a shared
//! channel). This crate knows nothing of the cycle simulator: the
//! two are independent implementations of the contract, compared by `tessera-verif`.
//!
//! Modules (prefix = the arch name): `_top`, `_ctrl`, `_queue`, `_dma`, `_compute`, `_array`, `_pe`,
//! `_sram` (1 write, 1 read port; the accumulator's read port is shared by the accumulate and
//! STORE reads, which a program never has on one bank at once: docs/TIMING.md, "Word widths"),
//! and, only in a design with single-ported input or weight banks (`ports: OneReadWrite`),
//! `_sram1rw` (one read-write port, the one address the write's when `we`; a cycle with `we` and
//! `re` both high never happens in a program that passes the check, and in simulation the model
//! stops on it as a contract violation: docs/TIMING.md, "Single-ported banks").
//!
//! Systems ([`emit_system`], docs/TIMING.md "Systems: sub-accelerators sharing one DRAM channel"):
//! up to 8 sub-accelerators, each its own design's modules generated with the DMA's channel
//! handshake (`grant` in; `want`, `hold` out; the top passes them and the DMA's issue pulse through),
//! an arbiter `<system>_arbiter` (transfer-level FIFO by the cycle a DMA began requesting, ties to
//! the lower index; a grant only while no transfer holds the channel) and a system top
//! `<system>_system` with one DRAM port whose requests and beats carry the sub-accelerator's index and
//! whose read words and acknowledgements are routed by the index the DRAM returns; it has as many
//! read lanes as the sub with the most `dram.words_per_cycle` (P) and write lanes as the one with
//! the most store lanes (S), a sub on lanes `0 .. P-1` (`0 .. S-1`), one id per cycle (the lanes
//! of a cycle carry one transfer's words). Left out: a
//! per-sub DRAM channel, arbitration finer than a transfer, and any check that a sub stays in its
//! DRAM region (the host relocates programs; the testbench checks accesses lie in the image).

mod views;

use askama::Template;
use sha2::{Digest, Sha256};
use std::path::Path;
use tessera_arch::isa::field;
use tessera_arch::{is_safe_identifier, Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};

pub use views::QUEUE_DEPTH;

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
pub const BLACK_BOX_SUFFIXES: &[&str] = &["_sram", "_sram1rw"];

/// Generate the Verilog for `arch`. An [`Arch`] is validated when it is built, so only what the
/// templates themselves assume is checked here: a dataflow they implement, and the instruction field
/// widths they are written for.
pub fn emit(arch: &Arch) -> Result<Design> {
    let files = emit_files(arch, false)?;
    Ok(Design {
        top: format!("{}_top", arch.name()),
        files,
    })
}

/// Most sub-accelerators a system may have (docs/TIMING.md, "Systems"; the DRAM port's ids are
/// 3 bits).
pub const MAX_SUBS: usize = 8;

/// Generate the Verilog of a system (docs/TIMING.md, "Systems: sub-accelerators sharing one DRAM
/// channel"): `subs[s]` is sub-accelerator `s`. Top module `<name>_system` with the arbiter
/// `<name>_arbiter`; each sub-accelerator is its single design's modules (`<arch>_top` and below)
/// generated with the DMA's channel handshake, once per distinct arch name (two subs of the same
/// arch share them). Refuses an unsafe `name`, no sub or more than [`MAX_SUBS`], subs whose DRAM
/// (bytes per cycle, latency) differ — the system has one channel —, a sub with more than one DMA
/// transfer in flight (the arbitration is defined for one) and two different archs of one name.
pub fn emit_system(name: &str, subs: &[Arch]) -> Result<Design> {
    if !is_safe_identifier(name) {
        return Err(Diagnostic::field(
            "name",
            format!("cannot generate RTL: {name:?} is not a safe Verilog identifier"),
        ));
    }
    if subs.is_empty() || subs.len() > MAX_SUBS {
        return Err(Diagnostic::new(format!(
            "cannot generate RTL: a system has 1 to {MAX_SUBS} sub-accelerators, not {}",
            subs.len()
        )));
    }
    let d0 = subs[0].dram();
    for (s, a) in subs.iter().enumerate() {
        let d = a.dram();
        if d.bytes_per_cycle() != d0.bytes_per_cycle() || d.latency() != d0.latency() {
            return Err(Diagnostic::new(format!(
                "cannot generate RTL: sub-accelerator {s} ({}) has a DRAM of {} B/cycle and latency {} \
                 cycles, sub-accelerator 0 ({}) one of {} B/cycle and latency {} cycles; the \
                 sub-accelerators of a system share one DRAM channel",
                a.name(),
                d.bytes_per_cycle(),
                d.latency().get(),
                subs[0].name(),
                d0.bytes_per_cycle(),
                d0.latency().get()
            )));
        }
        if let Some((t, b)) = subs[..s]
            .iter()
            .enumerate()
            .find(|(_, b)| b.name() == a.name())
        {
            if b != a {
                return Err(Diagnostic::new(format!(
                    "cannot generate RTL: sub-accelerators {t} and {s} are different accelerators \
                     named {:?}; one name is one set of modules",
                    a.name()
                )));
            }
        }
    }
    let mut files = vec![];
    for (s, a) in subs.iter().enumerate() {
        if subs[..s].iter().all(|b| b.name() != a.name()) {
            files.extend(emit_files(a, true)?);
        }
    }
    let render = |module: String, r: askama::Result<String>| -> Result<VerilogFile> {
        let text = r.map_err(|e| Diagnostic::new(format!("rendering module {module}: {e}")))?;
        Ok(VerilogFile {
            name: format!("{module}.v"),
            text,
        })
    };
    files.push(render(
        format!("{name}_arbiter"),
        views::ArbiterView::new(name, subs).render(),
    )?);
    files.push(render(
        format!("{name}_system"),
        views::SystemView::new(name, subs).render(),
    )?);
    Ok(Design {
        top: format!("{name}_system"),
        files,
    })
}

/// The files of one accelerator's design; `shared`: its DMA is one of a system's (the channel
/// handshake on the DMA and the top).
fn emit_files(arch: &Arch, shared: bool) -> Result<Vec<VerilogFile>> {
    check(arch)?;
    let n = arch.name();
    let render = |module: &str, r: askama::Result<String>| -> Result<VerilogFile> {
        let text = r.map_err(|e| Diagnostic::new(format!("rendering module {module}: {e}")))?;
        Ok(VerilogFile {
            name: format!("{module}.v"),
            text,
        })
    };
    let hdr = || views::Header::new(arch);
    // the array and compute unit see the streamed and preloaded words (swapped on IS)
    let wd = views::Widths::unit(arch);
    let name = || n.to_string();
    let (rows, cols) = (arch.rows(), arch.cols());
    let broadcast = arch.noc().stream == tessera_arch::Stream::Broadcast;
    let (pe, array, compute) = match arch.dataflow() {
        // register files, row windows of the input word and block sums (one pass at a time)
        Dataflow::RowStationary => (
            views::PeRsView::new(arch).render(),
            views::ArrayRsView::new(arch).render(),
            views::ComputeRsView::new(arch).render(),
        ),
        // double-buffered sums
        Dataflow::OutputStationary if arch.weight_double_buffered() => (
            views::PeOsDbView {
                hdr: hdr(),
                name: name(),
                ob: wd.ob,
                ab: wd.ab,
                broadcast,
            }
            .render(),
            views::ArrayOsDbView {
                hdr: hdr(),
                name: name(),
                rows,
                cols,
                ob: wd.ob,
                ab: wd.ab,
                in_bits: wd.in_bits,
                w_bits: wd.w_bits,
                acc_bits: wd.acc_bits,
                broadcast,
            }
            .render(),
            views::ComputeOsDbView::new(arch).render(),
        ),
        Dataflow::OutputStationary => (
            views::PeOsView {
                hdr: hdr(),
                name: name(),
                ob: wd.ob,
                ab: wd.ab,
                broadcast: arch.noc().stream == tessera_arch::Stream::Broadcast,
            }
            .render(),
            views::ArrayOsView {
                hdr: hdr(),
                name: name(),
                rows,
                cols,
                ob: wd.ob,
                ab: wd.ab,
                in_bits: wd.in_bits,
                w_bits: wd.w_bits,
                acc_bits: wd.acc_bits,
                broadcast: arch.noc().stream == tessera_arch::Stream::Broadcast,
            }
            .render(),
            views::ComputeOsView::new(arch).render(),
        ),
        // double-buffered, on every interconnect
        _ if arch.weight_double_buffered() => (
            views::PeWsDbView::new(arch).render(),
            views::ArrayWsDbView::new(arch).render(),
            views::ComputeWsDbView::new(arch).render(),
        ),
        _ => (
            views::PeWsView::new(arch).render(),
            views::ArrayWsView::new(arch).render(),
            views::ComputeWsView::new(arch).render(),
        ),
    };
    let mut files = vec![
        render(&format!("{n}_pe"), pe)?,
        render(&format!("{n}_array"), array)?,
        render(
            &format!("{n}_sram"),
            views::SramView {
                hdr: hdr(),
                name: name(),
            }
            .render(),
        )?,
        render(&format!("{n}_queue"), views::QueueView::new(arch).render())?,
    ];
    // single-ported input or weight banks: the one-port SRAM, after the two-port one (which the
    // accumulator always uses); designs without them have exactly the files they had
    if arch.input().single_ported() || arch.weight().single_ported() {
        files.insert(
            3,
            render(
                &format!("{n}_sram1rw"),
                views::Sram1rwView {
                    hdr: hdr(),
                    name: name(),
                }
                .render(),
            )?,
        );
    }
    files.extend([
        render(&format!("{n}_ctrl"), views::CtrlView::new(arch).render())?,
        render(
            &format!("{n}_dma"),
            views::DmaView {
                shared,
                ..views::DmaView::new(arch)
            }
            .render(),
        )?,
        render(&format!("{n}_compute"), compute)?,
        render(
            &format!("{n}_top"),
            views::TopView {
                shared,
                ..views::TopView::new(arch)
            }
            .render(),
        )?,
    ]);
    Ok(files)
}

fn bad(field: &str, msg: String) -> Diagnostic {
    Diagnostic::field(field, format!("cannot generate RTL: {msg}"))
}

/// What the templates assume beyond a validated [`Arch`].
fn check(a: &Arch) -> Result<()> {
    // Validation already guarantees this; the name reaches every module and file name, so it is
    // checked again right where it becomes text.
    if !is_safe_identifier(a.name()) {
        return Err(bad(
            "name",
            format!("{:?} is not a safe Verilog identifier", a.name()),
        ));
    }
    // (row-stationary is not in `Dataflow::SUPPORTED`, which lists the dataflows every stage
    // implements, layer mapping included; its templates exist)
    if !Dataflow::SUPPORTED.contains(&a.dataflow()) && a.dataflow() != Dataflow::RowStationary {
        return Err(bad(
            "array.dataflow",
            format!("{} has no templates", a.dataflow().name()),
        ));
    }
    // Validation already refuses these; the interconnect options exist in the weight-stationary
    // templates (which the input-stationary array shares) and, row and column buses only, in the
    // output-stationary ones.
    if a.dataflow() == Dataflow::OutputStationary && a.noc().reduce != tessera_arch::Reduce::Chain {
        return Err(bad(
            "array.noc",
            "broadcast rows and adder trees have weight- and input-stationary templates (with \
             or without double-buffered weights), output-stationary ones have broadcast buses \
             only"
                .into(),
        ));
    }
    // The templates size ports for this encoding (8-bit opcode, 4-bit flags, 16-bit counts, 32-bit
    // DRAM addresses, 20-bit buffer word addresses: bits 15..0 in 16-bit fields, 19..16 in 4-bit
    // `_hi` fields); a change in tessera_arch::isa must be matched here. `sram_addr_hi` lies
    // between the flags and the count: with 16-bit addresses the controller reads the flags and it
    // as one byte (views::CtrlView), and a DMA transfer slot keeps the instruction from it up.
    let expected = [
        (field::OP.1, 8),
        (field::FLAGS.1, 4),
        (field::COUNT.1, 16),
        (field::DRAM_ADDR.1, 32),
        (tessera_arch::isa::ADDR_BITS, 20),
    ];
    let addr = [field::ADDR_A.1, field::ADDR_B.1, field::ADDR_C.1];
    let hi = [field::ADDR_A_HI.1, field::ADDR_B_HI.1, field::ADDR_C_HI.1];
    let between = field::FLAGS.0 + field::FLAGS.1 == field::ADDR_A_HI.0
        && field::ADDR_A_HI.0 + field::ADDR_A_HI.1 == field::COUNT.0;
    if expected.iter().any(|(w, e)| w != e)
        || addr.iter().any(|w| *w != 16)
        || hi.iter().any(|w| *w != 4)
        || !between
    {
        return Err(Diagnostic::new(
            "cannot generate RTL: the instruction field widths in tessera_arch::isa::field changed; \
             the Verilog templates assume 8/4/16/32 bits, 20-bit buffer addresses in 16-bit fields \
             and 4-bit `_hi` fields, and sram_addr_hi between the flags and the count",
        ));
    }
    // The DMA's gather walker and registers (dma.v) are declared at these widths.
    let gather = [
        (field::G_N.1, 16),
        (field::G_OH.1, 16),
        (field::G_OW.1, 16),
        (field::G_KH.1, 8),
        (field::G_KW.1, 8),
        (field::G_C.1, 16),
        (field::T_BASE.1, 32),
        (field::T_H.1, 16),
        (field::T_W.1, 16),
        (field::T_CS.1, 16),
        (field::T_OW.1, 16),
        (field::T_OH.1, 16),
        (field::W_SH.1, 8),
        (field::W_SW.1, 8),
        (field::W_DH.1, 8),
        (field::W_DW.1, 8),
        (field::W_PT.1, 8),
        (field::W_PL.1, 8),
        (field::W_KW.1, 8),
        (field::W_CG.1, 16),
    ];
    if gather.iter().any(|(w, e)| w != e) {
        return Err(Diagnostic::new(
            "cannot generate RTL: the gather and CONFIG field widths in tessera_arch::isa::field \
             changed; the DMA template assumes 16/16/16/8/8/16 and 32/16×5 and 8×7/16 bits",
        ));
    }
    // The DMA's credit counter is zero-extended to 16-bit request counts.
    let widest = a
        .accumulator()
        .word_bytes()
        .max(a.input().word_bytes())
        .max(a.weight().word_bytes());
    if views::bits_for(2 * u64::from(widest)) >= 16 {
        return Err(bad(
            "array",
            format!("buffer words of {widest} B are wider than the DMA template handles"),
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

    /// The arch name: the prefix of every module (of a system, the system's name).
    pub fn prefix(&self) -> &str {
        self.top
            .strip_suffix("_top")
            .or_else(|| self.top.strip_suffix("_system"))
            .unwrap_or(&self.top)
    }

    /// Names of the modules synthesis treats as black boxes (the SRAM banks, of the kinds the design
    /// has): those of every
    /// accelerator whose `<arch>_top` is in the design (one for a single design, one per distinct
    /// sub-accelerator of a system).
    pub fn black_box_modules(&self) -> Vec<String> {
        self.files
            .iter()
            .filter_map(|f| f.name.strip_suffix("_top.v"))
            .flat_map(|p| BLACK_BOX_SUFFIXES.iter().map(move |s| format!("{p}{s}")))
            .filter(|m| self.files.iter().any(|f| f.name == format!("{m}.v")))
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
