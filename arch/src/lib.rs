//! Accelerator descriptions.
//!
//! An [`ArchSpec`] mirrors a RON file field for field; [`ArchSpec::validate`] turns it into an
//! [`Arch`], the only type the rest of Tessera accepts, or a [`Diagnostic`] naming the field.
//! [`tech`] holds the energy and area figures (from a cited data file), [`isa`] the instruction set
//! and its binary encoding, read by both the simulator and the Verilog generator.
//!
//! What is modelled: one array of int8 PEs with wrap-around accumulation (16-, 24- or 32-bit lanes),
//! weight-, input- or output-stationary, or row-stationary (Eyeriss's: per-PE register files of
//! filter rows, input rows shared along the diagonals, block sums down the columns), three on-chip buffers
//! (input, weight, accumulator) split into banks with one read and one write port or one
//! read-write port, one DRAM channel with a fixed latency, a bandwidth in bytes per cycle, several
//! transfers in flight and several words per cycle, the array's interconnect options
//! ([`noc`]), and a clock. Operand and accumulator widths are carried in [`Datatypes`] and every
//! word width derives from them (8-bit operands). Several sub-accelerators sharing one DRAM are a
//! system of such descriptions (`tessera_sim::system`). The cycle-level behaviour is fixed by
//! docs/TIMING.md.

pub mod builtin;
pub mod gather;
pub mod isa;
pub mod noc;
pub mod spec;
pub mod sram_fit;
pub mod tech;

pub use spec::{
    Arch, ArchSpec, Buffer, BufferKind, ComputeWords, Dataflow, Datatypes, Dram, Noc, Reduce,
    Stream,
};
pub use tech::{SramPorts, Tech};
pub use tessera_core::Diagnostic;

/// Is `name` usable as a Verilog identifier, a C++ class name and a file name? (An ASCII letter first,
/// then letters, digits and single `_` between them — no `__`, no `_` at the end — at most 48
/// characters, not a Verilog keyword.) Names from user files reach generated Verilog, the Verilator
/// testbench and output paths only after this check.
///
/// Why no `__` and no trailing `_`: module names are `<name>_top` etc., and Verilator escapes `__`
/// in the C++ class names it generates (`ab_` + `_top` becomes `Vab___05Ftop`), so such a design
/// would lint and synthesise but its testbench would not build.
pub fn is_safe_identifier(name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "always",
        "and",
        "assign",
        "begin",
        "buf",
        "case",
        "default",
        "else",
        "end",
        "endcase",
        "endmodule",
        "for",
        "function",
        "if",
        "initial",
        "inout",
        "input",
        "integer",
        "localparam",
        "module",
        "negedge",
        "not",
        "or",
        "output",
        "parameter",
        "posedge",
        "reg",
        "signed",
        "task",
        "wire",
        "xor",
        "logic",
        "generate",
        "genvar",
    ];
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
        && name.len() <= 48
        && !KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::is_safe_identifier;

    #[test]
    fn identifiers_reject_injection_and_paths() {
        assert!(is_safe_identifier("ws_16x16"));
        for bad in [
            "", "1abc", "a-b", "../x", "a;b", "module", "x y", "a\nb", "é", "ab_", "a__b", "_a",
        ] {
            assert!(!is_safe_identifier(bad), "{bad:?}");
        }
    }
}
