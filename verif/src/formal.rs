//! A formal check of the exported processing element: Yosys proves that the PE module of a design
//! computes the contract's next state for every state and every input.
//!
//! **What is proven.** For the `<arch>_pe` module of a [`Design`], one clock step from *any* state
//! under *any* input — every bit pattern of every port, `rst` and the control input included, so
//! all int8 operands, not samples of them — lands in the state the contract's words give
//! (docs/TIMING.md, step 3 of "Compute unit: weight-stationary" / "output-stationary"):
//!
//! - weight-stationary, and input-stationary (whose array is the weight-stationary one, with the
//!   preloaded operand an input and the streamed one a weight): `w_out' = w_shift ? w_in : w_out`,
//!   `a_out' = a_in`, `psum_out' = psum_in + sext(a_in)·sext(w_out) mod 2^ab`;
//! - the same with the interconnect options (docs/TIMING.md, "Interconnect options of the weight- and
//!   input-stationary arrays"): a row-broadcast PE has no `a_out` (the rest as above); an
//!   adder-tree PE has no `psum_in`/`psum_out` but registers its product,
//!   `p' = sext(a_in)·sext(w_out) mod 2^ab` (with `a_out' = a_in` when systolic, none on a broadcast);
//! - weight-stationary with double-buffered weights: the shadow `w_out' = w_shift ? w_in : w_out`,
//!   the active weight `w_act' = sw_in ? w_out : w_act`, `sw_out' = sw_in`, `a_out' = a_in`,
//!   `psum_out' = psum_in + sext(a_in)·sext(sw_in ? w_out : w_act) mod 2^ab`; with the
//!   interconnect options a broadcast PE has neither `a_out` nor `sw_out` (the row bus brings the
//!   operand and the switch bit) and an adder-tree PE registers `p' = sext(a_in)·sext(sw_in ?
//!   w_out : w_act) mod 2^ab` in place of the partial sum;
//! - output-stationary: `a_out' = a_in`, `b_out' = b_in`,
//!   `acc' = drain ? acc_in : acc + sext(a_in)·sext(b_in) mod 2^ab`; with row and column buses
//!   (docs/TIMING.md, "Interconnect options of the output-stationary array") the PE has no `a_out`
//!   or `b_out`, and `acc` steps as above;
//! - output-stationary with double-buffered sums (docs/TIMING.md, "Compute unit: output-stationary
//!   with double-buffered sums"): `a_out' = a_in`, `b_out' = b_in`, `l_out' = l_in`,
//!   `acc' = l_in ? 0 : acc + sext(a_in)·sext(b_in)`, `dr' = l_in ? acc + sext(a_in)·sext(b_in) :
//!   (drain ? dr_in : dr)` (mod 2^ab); with buses the PE has only `acc` and `dr`;
//! - row-stationary (docs/TIMING.md, "Compute unit: row-stationary": the PE, steps 1, 3 and 4):
//!   the register file `rf` of `F` operands (entry `j` in bits `[ob·j +: ob]`) takes `w_in` into
//!   entry `t` when `we` (no entry for `t ≥ F`), `ps' = mac ? (t == 0 ? 0 : ps) +
//!   sext(a_in)·sext(RF[t]) : ps` (`RF[t]` zero for `t ≥ F`), `out' = cap ? ps : out`; the
//!   register file is an output of the PE so that it is part of the proven state;
//! - all: while `rst` is high every register becomes 0.
//!
//! (`ob`/`ab` are the arch's operand and accumulator widths, `sext` sign-extends an operand to `ab`
//! bits.) The registers are the PE's outputs, so the next state is what the outputs show one cycle
//! later. Since the property holds from every state, it holds in every reachable one: by induction
//! on the cycles after a reset, the PE's registers always equal the reference's.
//!
//! **How.** A miter module, generated here, instantiates the PE next to a reference written
//! directly from the words above (independently of the template: operands sign-extended to `ab`
//! bits and multiplied modulo `2^ab`, where the template multiplies at `2·ob` bits and
//! sign-extends the product). The reference's next state is computed from the PE's *current*
//! outputs, so both sides share the current state by construction. `sat -seq 2` starts from a free
//! (defined) initial state, with free defined inputs in the first step, and proves that in the
//! second step every PE output equals the reference's register (`-enable_undef`: an `x` in the PE
//! fails the proof too). Registers inside the PE that are not outputs are free as well, so they
//! cannot hide a difference. A counterexample is reported as the state, the inputs and the
//! registers that differ; a Yosys warning while connecting the PE (a port of another width, say)
//! refuses the proof, since a mis-connected PE would prove nothing.
//!
//! **What is not proven here.** The array's wiring (which PE feeds which, the row and column buses), the
//! columns' adder trees (their registers and additions), the skew and deskew chains, the sequencers, the controller, the DMA and every cycle count: those are checked by
//! running the whole design against the cycle simulator ([`crate::verify()`], RTL ≡ sim), over
//! samples. The clock itself is not modelled: Yosys's `sat` steps every flip-flop once per step,
//! whichever clock edge the Verilog names. The proof is per module text, so two arrays of one
//! dataflow and widths prove the same PE (only the module name differs).

use crate::tools::Tools;
use serde::Serialize;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;
use tessera_arch::{Arch, Dataflow, Reduce, Stream};
use tessera_core::diag::{Diagnostic, Result};
use tessera_rtl_gen::Design;

/// Longest time one SAT instance may take (Yosys `sat -timeout`); a timeout is a tool error. The
/// 8/32-bit proofs take a few seconds.
pub const PROOF_TIMEOUT_S: u32 = 600;

/// A proof that a design's PE follows the contract's step (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProofReport {
    pub arch: String,
    /// The PE module proven, `<arch>_pe`.
    pub pe: String,
    pub dataflow: String,
    pub operand_bits: u32,
    pub accumulator_bits: u32,
    /// What was proven, one line: the next state of every register as a formula.
    pub property: String,
    /// Wall time of the Yosys run (parse, elaboration and the SAT proof), seconds.
    pub seconds: f64,
    pub yosys_version: String,
    /// The solver's last lines: the problem's size and the result.
    pub yosys_log_tail: String,
}

/// Prove that the PE module of `design` (emitted for `arch`) follows the contract's next-state
/// function for every state and input (module docs). Errors, by [`Kind`](tessera_core::Kind):
/// `BadInput` when the design was not generated for `arch` or has no PE file; `CheckFailed` with a counterexample when the PE differs from the reference,
/// or when the PE does not connect cleanly to the contract's ports; `Tool` when Yosys is missing,
/// fails otherwise or times out.
pub fn prove_pe(arch: &Arch, design: &Design, tools: &Tools) -> Result<ProofReport> {
    let name = arch.name();
    if !tessera_arch::is_safe_identifier(name) || design.top != format!("{name}_top") {
        return Err(Diagnostic::new(format!(
            "design {:?} was not generated for arch {name:?}",
            design.top
        )));
    }
    let pe = format!("{name}_pe");
    let pe_file = design
        .files
        .iter()
        .find(|f| f.name == format!("{pe}.v"))
        .ok_or_else(|| Diagnostic::new(format!("design {} has no file {pe}.v", design.top)))?;
    let reference = Reference::of(arch)?;
    let d = arch.datatypes();
    let (ob, ab) = (d.operand_bits(), d.accumulator_bits());
    let miter = reference.miter(
        &pe,
        Dims {
            ob,
            ab,
            f: arch.rf_weights(),
        },
    )?;
    let yosys = tools.yosys()?;

    let dir = crate::proc::temp_dir("tessera-formal-", None)?;
    let write = |file: &str, text: &str| {
        tessera_core::load::write_atomic(&dir.path().join(file), text.as_bytes())
    };
    write(&pe_file.name, &pe_file.text)?;
    write("miter.v", &miter.text)?;
    write("formal.ys", &reference.script(&pe_file.name, &miter.module))?;
    let start = Instant::now();
    let out = crate::proc::run(
        Command::new(yosys).current_dir(dir.path()).args([
            "-q",
            "-l",
            "formal.log",
            "-s",
            "formal.ys",
        ]),
        "yosys",
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let log = std::fs::read_to_string(dir.path().join("formal.log")).unwrap_or_default();
    drop(dir);

    let what = format!(
        "{pe} ({}, int{ob} operands, int{ab} sums)",
        arch.dataflow().name()
    );
    let warnings: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("Warning:"))
        .map(str::trim)
        .collect();
    if !warnings.is_empty() {
        return Err(Diagnostic::check_failed(format!(
            "{what} does not connect cleanly to the contract's PE ports, so nothing was proven; \
             Yosys warned:\n{}",
            warnings.join("\n")
        )));
    }
    if let Some(l) = log.lines().find(|l| {
        l.contains("does not have a port named") || l.contains("is not part of the design")
    }) {
        return Err(Diagnostic::check_failed(format!(
            "{what} does not have the contract's PE ports ({}): {}",
            reference.ports(),
            l.trim()
        )));
    }
    if log.contains("SAT proof finished - model found: FAIL!") {
        return Err(Diagnostic::check_failed(format!(
            "{what} differs from the contract's step (docs/TIMING.md, {}); the property\n  {}\n\
             fails for this counterexample:\n{}",
            reference.section,
            reference.property(ab),
            counterexample(
                &log,
                reference,
                Dims {
                    ob,
                    ab,
                    f: arch.rf_weights()
                }
            )
        )));
    }
    if log.contains("Interrupted SAT solver: TIMEOUT!") {
        return Err(Diagnostic::tool(format!(
            "yosys did not finish the proof of {what} within {PROOF_TIMEOUT_S} s"
        )));
    }
    let proven = log.contains("SAT proof finished - no model found: SUCCESS!");
    if !out.status.success() || !proven {
        return Err(Diagnostic::tool(format!(
            "yosys failed on the proof of {what} ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            tail(&log, 20)
        )));
    }
    Ok(ProofReport {
        arch: name.to_string(),
        pe,
        dataflow: arch.dataflow().name().to_string(),
        operand_bits: ob,
        accumulator_bits: ab,
        property: reference.property(ab),
        seconds,
        yosys_version: tools.yosys_version.clone().unwrap_or_default(),
        yosys_log_tail: solver_lines(&log),
    })
}

/// The width of a port or register, in terms of the arch's datatypes (and, for a row-stationary
/// PE, its register file of `F` operands).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Width {
    Bit,
    Operand,
    Accumulator,
    /// A register-file index: 8 bits (the `steps` field's).
    Index,
    /// A register file: `F` operands, entry `j` in bits `[ob·j +: ob]`.
    File,
}

/// The widths a reference is instantiated at: operand and accumulator bits, register-file
/// operands (0 on PEs without one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Dims {
    ob: u32,
    ab: u32,
    f: u32,
}

impl Width {
    fn bits(self, d: Dims) -> u32 {
        match self {
            Width::Bit => 1,
            Width::Operand => d.ob,
            Width::Accumulator => d.ab,
            Width::Index => 8,
            Width::File => d.f * d.ob,
        }
    }
}

/// One register of the PE (an output port) and its next value while `rst` is low.
struct Register {
    name: &'static str,
    width: Width,
    /// Verilog over the PE's inputs, its current registers and `<signal>_sx` (a signal
    /// sign-extended to the accumulator width). Arithmetic is at the accumulator width, so modulo
    /// `2^ab`.
    next: &'static str,
    /// The same, as the property's text.
    formula: &'static str,
}

/// The contract's words for one dataflow's PE: its ports and next-state function.
struct Reference {
    /// The section of docs/TIMING.md the words come from.
    section: &'static str,
    /// Inputs besides `clk`.
    inputs: &'static [(&'static str, Width)],
    registers: &'static [Register],
    /// Operand signals the reference sign-extends (`<name>_sx`).
    sext: &'static [&'static str],
    /// Verilog declarations the next-state expressions use, written before the sign extensions
    /// with the localparams `OB` (operand bits), `AB` and `F` (register-file operands) in scope;
    /// empty for most PEs (and then no localparam is written).
    locals: &'static str,
}

/// The weight-stationary PEs' registers and inputs, shared by their references.
const W_OUT: Register = Register {
    name: "w_out",
    width: Width::Operand,
    next: "w_shift ? w_in : w_out",
    formula: "w_shift ? w_in : w_out",
};
const A_OUT: Register = Register {
    name: "a_out",
    width: Width::Operand,
    next: "a_in",
    formula: "a_in",
};
const PSUM_OUT: Register = Register {
    name: "psum_out",
    width: Width::Accumulator,
    next: "psum_in + a_in_sx * w_out_sx",
    formula: "psum_in + sext(a_in)*sext(w_out)",
};
/// The product register of an adder-tree PE.
const PRODUCT: Register = Register {
    name: "p",
    width: Width::Accumulator,
    next: "a_in_sx * w_out_sx",
    formula: "sext(a_in)*sext(w_out)",
};
const WS_INPUTS: &[(&str, Width)] = &[
    ("rst", Width::Bit),
    ("w_shift", Width::Bit),
    ("w_in", Width::Operand),
    ("a_in", Width::Operand),
    ("psum_in", Width::Accumulator),
];
/// An adder-tree PE has no partial sum coming in.
const TREE_INPUTS: &[(&str, Width)] = &[
    ("rst", Width::Bit),
    ("w_shift", Width::Bit),
    ("w_in", Width::Operand),
    ("a_in", Width::Operand),
];

const WS: Reference = Reference {
    section: "\"Compute unit: weight-stationary\", step 3",
    inputs: WS_INPUTS,
    registers: &[W_OUT, A_OUT, PSUM_OUT],
    sext: &["a_in", "w_out"],
    locals: "",
};

const NOC_SECTION: &str =
    "\"Interconnect options of the weight- and input-stationary arrays\" (PE step)";

/// `stream: Broadcast`, `reduce: Chain`: the weight-stationary PE without `a_out` (row bus).
const WS_BROADCAST: Reference = Reference {
    section: NOC_SECTION,
    inputs: WS_INPUTS,
    registers: &[W_OUT, PSUM_OUT],
    sext: &["a_in", "w_out"],
    locals: "",
};

/// `stream: Systolic`, `reduce: AdderTree`: the PE registers its product `p` for the column's tree.
const WS_TREE: Reference = Reference {
    section: NOC_SECTION,
    inputs: TREE_INPUTS,
    registers: &[W_OUT, A_OUT, PRODUCT],
    sext: &["a_in", "w_out"],
    locals: "",
};

/// `stream: Broadcast`, `reduce: AdderTree`: the product PE without `a_out`.
const WS_BROADCAST_TREE: Reference = Reference {
    section: NOC_SECTION,
    inputs: TREE_INPUTS,
    registers: &[W_OUT, PRODUCT],
    sext: &["a_in", "w_out"],
    locals: "",
};

const DB_SECTION: &str = "\"Compute unit: weight-stationary with double-buffered weights\"";
const W_ACT: Register = Register {
    name: "w_act",
    width: Width::Operand,
    next: "sw_in ? w_out : w_act",
    formula: "sw_in ? w_out : w_act",
};
const SW_OUT: Register = Register {
    name: "sw_out",
    width: Width::Bit,
    next: "sw_in",
    formula: "sw_in",
};
const DB_PSUM_OUT: Register = Register {
    name: "psum_out",
    width: Width::Accumulator,
    next: "psum_in + a_in_sx * (sw_in ? w_out_sx : w_act_sx)",
    formula: "psum_in + sext(a_in)*sext(sw_in ? w_out : w_act)",
};
/// The product register of a double-buffered adder-tree PE: `p ← a·w_use`.
const DB_PRODUCT: Register = Register {
    name: "p",
    width: Width::Accumulator,
    next: "a_in_sx * (sw_in ? w_out_sx : w_act_sx)",
    formula: "sext(a_in)*sext(sw_in ? w_out : w_act)",
};
const DB_INPUTS: &[(&str, Width)] = &[
    ("rst", Width::Bit),
    ("w_shift", Width::Bit),
    ("w_in", Width::Operand),
    ("sw_in", Width::Bit),
    ("a_in", Width::Operand),
    ("psum_in", Width::Accumulator),
];
const DB_TREE_INPUTS: &[(&str, Width)] = &[
    ("rst", Width::Bit),
    ("w_shift", Width::Bit),
    ("w_in", Width::Operand),
    ("sw_in", Width::Bit),
    ("a_in", Width::Operand),
];

const WS_DB: Reference = Reference {
    section: DB_SECTION,
    inputs: DB_INPUTS,
    registers: &[W_OUT, W_ACT, SW_OUT, A_OUT, DB_PSUM_OUT],
    sext: &["a_in", "w_out", "w_act"],
    locals: "",
};

/// Double-buffered with `stream: Broadcast`, `reduce: Chain`: the row bus brings the operand and
/// the switch bit, so the PE has neither `a_out` nor `sw_out`.
const WS_DB_BROADCAST: Reference = Reference {
    section: DB_SECTION,
    inputs: DB_INPUTS,
    registers: &[W_OUT, W_ACT, DB_PSUM_OUT],
    sext: &["a_in", "w_out", "w_act"],
    locals: "",
};

/// Double-buffered with `stream: Systolic`, `reduce: AdderTree`: the PE registers its product by
/// the weight in use.
const WS_DB_TREE: Reference = Reference {
    section: DB_SECTION,
    inputs: DB_TREE_INPUTS,
    registers: &[W_OUT, W_ACT, SW_OUT, A_OUT, DB_PRODUCT],
    sext: &["a_in", "w_out", "w_act"],
    locals: "",
};

/// Double-buffered with `stream: Broadcast`, `reduce: AdderTree`: the product PE without `a_out`
/// and `sw_out`.
const WS_DB_BROADCAST_TREE: Reference = Reference {
    section: DB_SECTION,
    inputs: DB_TREE_INPUTS,
    registers: &[W_OUT, W_ACT, DB_PRODUCT],
    sext: &["a_in", "w_out", "w_act"],
    locals: "",
};

const OS: Reference = Reference {
    section: "\"Compute unit: output-stationary\", step 3-4",
    inputs: &[
        ("rst", Width::Bit),
        ("drain", Width::Bit),
        ("a_in", Width::Operand),
        ("b_in", Width::Operand),
        ("acc_in", Width::Accumulator),
    ],
    registers: &[
        Register {
            name: "a_out",
            width: Width::Operand,
            next: "a_in",
            formula: "a_in",
        },
        Register {
            name: "b_out",
            width: Width::Operand,
            next: "b_in",
            formula: "b_in",
        },
        Register {
            name: "acc",
            width: Width::Accumulator,
            next: "drain ? acc_in : acc + a_in_sx * b_in_sx",
            formula: "drain ? acc_in : acc + sext(a_in)*sext(b_in)",
        },
    ],
    sext: &["a_in", "b_in"],
    locals: "",
};

/// `stream: Broadcast` on an output-stationary array: the PE without `a_out` and `b_out` (its
/// operands come from its row's and its column's buses), the sum's step as above.
const OS_BROADCAST: Reference = Reference {
    section: "\"Interconnect options of the output-stationary array\" (PE step)",
    inputs: &[
        ("rst", Width::Bit),
        ("drain", Width::Bit),
        ("a_in", Width::Operand),
        ("b_in", Width::Operand),
        ("acc_in", Width::Accumulator),
    ],
    registers: &[Register {
        name: "acc",
        width: Width::Accumulator,
        next: "drain ? acc_in : acc + a_in_sx * b_in_sx",
        formula: "drain ? acc_in : acc + sext(a_in)*sext(b_in)",
    }],
    sext: &["a_in", "b_in"],
    locals: "",
};

const OS_DB_SECTION: &str =
    "\"Compute unit: output-stationary with double-buffered sums\" (PE step)";
const OS_DB_INPUTS: &[(&str, Width)] = &[
    ("rst", Width::Bit),
    ("drain", Width::Bit),
    ("l_in", Width::Bit),
    ("a_in", Width::Operand),
    ("b_in", Width::Operand),
    ("dr_in", Width::Accumulator),
];
/// The accumulating sum: restarts at zero with the tile's last pair.
const OS_DB_ACC: Register = Register {
    name: "acc",
    width: Width::Accumulator,
    next: "l_in ? 0 : acc + a_in_sx * b_in_sx",
    formula: "l_in ? 0 : acc + sext(a_in)*sext(b_in)",
};
/// The drain register: takes the finished sum with the last pair, else shifts while draining.
const OS_DB_DR: Register = Register {
    name: "dr",
    width: Width::Accumulator,
    next: "l_in ? acc + a_in_sx * b_in_sx : (drain ? dr_in : dr)",
    formula: "l_in ? acc + sext(a_in)*sext(b_in) : (drain ? dr_in : dr)",
};

/// Output-stationary with double-buffered sums, systolic: `a_out' = a_in`, `b_out' = b_in`,
/// `l_out' = l_in`, and the two banks of sums.
const OS_DB: Reference = Reference {
    section: OS_DB_SECTION,
    inputs: OS_DB_INPUTS,
    registers: &[
        Register {
            name: "a_out",
            width: Width::Operand,
            next: "a_in",
            formula: "a_in",
        },
        Register {
            name: "b_out",
            width: Width::Operand,
            next: "b_in",
            formula: "b_in",
        },
        Register {
            name: "l_out",
            width: Width::Bit,
            next: "l_in",
            formula: "l_in",
        },
        OS_DB_ACC,
        OS_DB_DR,
    ],
    sext: &["a_in", "b_in"],
    locals: "",
};

/// Output-stationary with double-buffered sums and row and column buses: the two banks of sums
/// only (the buses bring the operands and the last bit).
const OS_DB_BROADCAST: Reference = Reference {
    section: OS_DB_SECTION,
    inputs: OS_DB_INPUTS,
    registers: &[OS_DB_ACC, OS_DB_DR],
    sext: &["a_in", "b_in"],
    locals: "",
};

const RS_SECTION: &str = "\"Compute unit: row-stationary\" (the PE, steps 1, 3 and 4)";

/// The row-stationary PE: a register file RF of `F` operands, the partial sum `ps` and the output
/// register `out`. `RF[t]` is the entry `t` (zero for `t ≥ F`: the reference shifts the file right
/// by `t` operands, where the template takes the part-select at bit OB·`t` when `t < F`); a write
/// to `t ≥ F` is dropped (the reference's mask shifts out; the template's comparators match no
/// entry).
const RS: Reference = Reference {
    section: RS_SECTION,
    inputs: &[
        ("rst", Width::Bit),
        ("we", Width::Bit),
        ("mac", Width::Bit),
        ("cap", Width::Bit),
        ("t", Width::Index),
        ("w_in", Width::Operand),
        ("a_in", Width::Operand),
    ],
    registers: &[
        Register {
            name: "rf",
            width: Width::File,
            next: "we ? ((rf & ~(entry << (t * OB))) | (w_in_z << (t * OB))) : rf",
            formula: "we ? RF with RF[t] = w_in : RF",
        },
        Register {
            name: "ps",
            width: Width::Accumulator,
            next: "mac ? (t == 8'd0 ? {AB{1'b0}} : ps) + a_in_sx * rf_t_sx : ps",
            formula: "mac ? (t == 0 ? 0 : ps) + sext(a_in)*sext(RF[t]) : ps",
        },
        Register {
            name: "out",
            width: Width::Accumulator,
            next: "cap ? ps : out",
            formula: "cap ? ps : out",
        },
    ],
    sext: &["a_in", "rf_t"],
    locals: "    wire [F*OB-1:0] entry = {OB{1'b1}};   // operand 0's bits, zero-extended\n\
             \x20   wire [F*OB-1:0] w_in_z = w_in;\n\
             \x20   wire [OB-1:0] rf_t = rf >> (t * OB);   // RF[t], zero past the file\n",
};

/// The generated miter: its module name and text.
struct Miter {
    module: String,
    text: String,
}

impl Reference {
    fn of(arch: &Arch) -> Result<&'static Reference> {
        match arch.dataflow() {
            Dataflow::RowStationary => Ok(&RS),
            // an input-stationary array with double-buffered inputs uses the same PE
            Dataflow::WeightStationary | Dataflow::InputStationary
                if arch.weight_double_buffered() =>
            {
                let noc = arch.noc();
                Ok(match (noc.stream, noc.reduce) {
                    (Stream::Systolic, Reduce::Chain) => &WS_DB,
                    (Stream::Broadcast, Reduce::Chain) => &WS_DB_BROADCAST,
                    (Stream::Systolic, Reduce::AdderTree) => &WS_DB_TREE,
                    (Stream::Broadcast, Reduce::AdderTree) => &WS_DB_BROADCAST_TREE,
                })
            }
            // an input-stationary array is built from the weight-stationary PE (the operands'
            // roles are swapped outside it, docs/TIMING.md): the same reference holds, for each
            // interconnect
            Dataflow::WeightStationary | Dataflow::InputStationary => {
                let noc = arch.noc();
                Ok(match (noc.stream, noc.reduce) {
                    (Stream::Systolic, Reduce::Chain) => &WS,
                    (Stream::Broadcast, Reduce::Chain) => &WS_BROADCAST,
                    (Stream::Systolic, Reduce::AdderTree) => &WS_TREE,
                    (Stream::Broadcast, Reduce::AdderTree) => &WS_BROADCAST_TREE,
                })
            }
            Dataflow::OutputStationary if arch.weight_double_buffered() => {
                Ok(match arch.noc().stream {
                    Stream::Systolic => &OS_DB,
                    Stream::Broadcast => &OS_DB_BROADCAST,
                })
            }
            Dataflow::OutputStationary => Ok(match arch.noc().stream {
                Stream::Systolic => &OS,
                Stream::Broadcast => &OS_BROADCAST,
            }),
        }
    }

    /// `clk, rst, ...`: the PE's ports, for messages.
    fn ports(&self) -> String {
        let mut p = vec!["clk"];
        p.extend(self.inputs.iter().map(|i| i.0));
        p.extend(self.registers.iter().map(|r| r.name));
        p.join(", ")
    }

    /// The property, one line: `(r1, r2, ...)' = rst ? 0 : (f1, f2, ...), mod 2^ab`.
    fn property(&self, ab: u32) -> String {
        let names: Vec<&str> = self.registers.iter().map(|r| r.name).collect();
        let next: Vec<&str> = self.registers.iter().map(|r| r.formula).collect();
        format!(
            "for every state and input: ({})' = rst ? 0 : ({}), sums mod 2^{ab}, sext to {ab} bits",
            names.join(", "),
            next.join(", ")
        )
    }

    /// The miter module `<pe>_miter`: the PE as `dut`, the reference registers `<reg>_ref` computed
    /// from the PE's current outputs, and the output `equal` (every PE register equals the
    /// reference's).
    fn miter(&self, pe: &str, d: Dims) -> Result<Miter> {
        let Dims { ob, ab, f } = d;
        if ob == 0 || ab <= ob {
            return Err(Diagnostic::field(
                "datatypes",
                format!(
                    "the PE reference needs accumulators wider than operands, \
                     got {ob} and {ab} bits"
                ),
            ));
        }
        if self.registers.iter().any(|r| r.width == Width::File) && f == 0 {
            return Err(Diagnostic::new(
                "the row-stationary PE reference needs a register file of at least one operand",
            ));
        }
        let range = |w: Width| match w.bits(d) {
            1 => String::new(),
            b => format!("[{}:0] ", b - 1),
        };
        let module = format!("{pe}_miter");
        let mut t = String::new();
        let _ = writeln!(
            t,
            "// generated by tessera-verif (formal.rs): {pe} against the contract's next state,\n\
             // docs/TIMING.md {}.\n\
             module {module} (\n    input  wire clk,",
            self.section
        );
        for (name, w) in self.inputs {
            let _ = writeln!(t, "    input  wire {}{name},", range(*w));
        }
        let _ = writeln!(t, "    output wire equal\n);");
        for r in self.registers {
            let _ = writeln!(t, "    wire {}{};", range(r.width), r.name);
        }
        let conns: Vec<String> = std::iter::once("clk")
            .chain(self.inputs.iter().map(|i| i.0))
            .chain(self.registers.iter().map(|r| r.name))
            .map(|p| format!(".{p}({p})"))
            .collect();
        let _ = writeln!(t, "    {pe} dut ({});", conns.join(", "));
        let _ = writeln!(
            t,
            "    // The reference: the next state from the PE's current registers (its outputs)."
        );
        if !self.locals.is_empty() {
            let _ = writeln!(
                t,
                "    localparam OB = {ob};\n    localparam AB = {ab};\n    localparam F = {f};"
            );
            t.push_str(self.locals);
        }
        for s in self.sext {
            let _ = writeln!(
                t,
                "    wire [{}:0] {s}_sx = {{{{{}{{{s}[{}]}}}}, {s}}};",
                ab - 1,
                ab - ob,
                ob - 1
            );
        }
        for r in self.registers {
            let _ = writeln!(t, "    reg  {}{}_ref;", range(r.width), r.name);
        }
        let _ = writeln!(t, "    always @(posedge clk) begin\n        if (rst) begin");
        for r in self.registers {
            let _ = writeln!(t, "            {}_ref <= {}'d0;", r.name, r.width.bits(d));
        }
        let _ = writeln!(t, "        end else begin");
        for r in self.registers {
            let _ = writeln!(t, "            {}_ref <= {};", r.name, r.next);
        }
        let _ = writeln!(t, "        end\n    end");
        let eq: Vec<String> = self
            .registers
            .iter()
            .map(|r| format!("({0} == {0}_ref)", r.name))
            .collect();
        let _ = writeln!(t, "    assign equal = {};\nendmodule", eq.join(" && "));
        Ok(Miter { module, text: t })
    }

    /// The Yosys script: read both files, flatten, and prove `equal` in step 2 of 2 from a free
    /// defined state with free defined inputs. Before the proof, `opt_expr` folds constants and
    /// `opt_clean` drops unused wires (neither merges the PE's cells with the reference's), which
    /// takes a third off the row-stationary proof.
    fn script(&self, pe_file: &str, miter: &str) -> String {
        let mut show = String::new();
        for r in self.registers {
            let _ = write!(show, " -show {0} -show {0}_ref", r.name);
        }
        format!(
            "# generated by tessera-verif (formal.rs)\n\
             read_verilog {pe_file}\n\
             read_verilog miter.v\n\
             hierarchy -check -top {miter}\n\
             proc\n\
             flatten\n\
             opt_expr\n\
             opt_clean\n\
             sat -verify -enable_undef -set-def-inputs -set-init-def -seq 2 -prove-skip 1 \
             -prove equal 1 -timeout {PROOF_TIMEOUT_S} -show-inputs{show} {miter}\n"
        )
    }
}

/// One row of Yosys's model table: step (`init`, `1`, `2`), signal, bits (MSB first).
fn model_rows(log: &str) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for l in log.lines() {
        if l.trim_start().starts_with("Time Signal Name") {
            in_table = true;
            rows.clear();
            continue;
        }
        if !in_table {
            continue;
        }
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.is_empty() {
            if !rows.is_empty() {
                in_table = false;
            }
            continue;
        }
        if f[0].starts_with("----") {
            continue;
        }
        match (f.first(), f.get(1), f.last()) {
            (Some(step), Some(sig), Some(bits)) if f.len() >= 3 && sig.starts_with('\\') => {
                rows.push((
                    step.to_string(),
                    sig.trim_start_matches('\\').to_string(),
                    bits.to_string(),
                ));
            }
            _ => in_table = false,
        }
    }
    rows
}

/// `bits` (MSB first, `0`/`1`/`x`) as a value: a signed decimal and hex for operands and sums, the
/// bit for 1-bit signals.
fn show_value(bits: &str) -> String {
    if bits.len() <= 1 || bits.len() > 128 || !bits.chars().all(|c| c == '0' || c == '1') {
        return bits.to_string();
    }
    let Ok(u) = u128::from_str_radix(bits, 2) else {
        return bits.to_string();
    };
    let n = bits.len() as u32;
    let signed = if n < 128 && (u >> (n - 1)) & 1 == 1 {
        (u as i128).wrapping_sub(1i128.wrapping_shl(n))
    } else {
        u as i128
    };
    format!("{signed} (0x{u:0w$x})", w = n.div_ceil(4) as usize)
}

/// The counterexample in the log, as state, inputs and the registers that differ; the raw table
/// when it cannot be read.
fn counterexample(log: &str, r: &Reference, d: Dims) -> String {
    let rows = model_rows(log);
    let get = |step: &str, sig: &str| {
        rows.iter()
            .find(|(s, n, _)| s == step && n == sig)
            .map(|(_, _, b)| b.as_str())
    };
    let list = |step: &str, names: &mut dyn Iterator<Item = (&str, Width)>| -> Option<String> {
        let mut parts = Vec::new();
        for (n, w) in names {
            let bits = get(step, n)?;
            if bits.len() != w.bits(d) as usize {
                return None;
            }
            parts.push(format!("{n} = {}", show_value(bits)));
        }
        Some(parts.join(", "))
    };
    let state = list("1", &mut r.registers.iter().map(|x| (x.name, x.width)));
    let inputs = list("1", &mut r.inputs.iter().copied());
    let mut diffs = Vec::new();
    for x in r.registers {
        let (Some(pe), Some(reference)) = (get("2", x.name), get("2", &format!("{}_ref", x.name)))
        else {
            diffs.clear();
            break;
        };
        if pe != reference {
            diffs.push(format!(
                "  next {}: PE {}, reference {}",
                x.name,
                show_value(pe),
                show_value(reference)
            ));
        }
    }
    match (state, inputs) {
        (Some(s), Some(i)) if !diffs.is_empty() => {
            format!("  state:  {s}\n  inputs: {i}\n{}", diffs.join("\n"))
        }
        _ => {
            let table: Vec<&str> = log
                .lines()
                .skip_while(|l| !l.trim_start().starts_with("Time Signal Name"))
                .take_while(|l| !l.starts_with("ERROR"))
                .collect();
            if table.is_empty() {
                tail(log, 30)
            } else {
                table.join("\n")
            }
        }
    }
}

/// The solver's lines of a successful proof: from the problem's size to the result.
fn solver_lines(log: &str) -> String {
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.starts_with("Solving problem with")
                || l.starts_with("SAT proof finished")
                || l.starts_with("Import proof")
                || l.starts_with("Final proof equation")
        })
        .collect();
    if lines.is_empty() {
        tail(log, 20)
    } else {
        lines.join("\n")
    }
}

/// The last `n` non-empty lines of `log`.
fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims(ob: u32, ab: u32) -> Dims {
        Dims { ob, ab, f: 0 }
    }

    #[test]
    fn the_row_stationary_miter_declares_its_register_file() {
        let m = RS
            .miter(
                "rs_3x4_pe",
                Dims {
                    ob: 8,
                    ab: 32,
                    f: 6,
                },
            )
            .unwrap();
        for p in [
            "input  wire [7:0] t,",
            "wire [47:0] rf;",
            "localparam F = 6;",
            "wire [OB-1:0] rf_t = rf >> (t * OB);",
            "wire [31:0] rf_t_sx = {{24{rf_t[7]}}, rf_t};",
            "rf_ref <= 48'd0;",
            "ps_ref <= mac ? (t == 8'd0 ? {AB{1'b0}} : ps) + a_in_sx * rf_t_sx : ps;",
            "assign equal = (rf == rf_ref) && (ps == ps_ref) && (out == out_ref);",
        ] {
            assert!(m.text.contains(p), "{p}\n{}", m.text);
        }
        assert!(RS
            .miter(
                "x_pe",
                Dims {
                    ob: 8,
                    ab: 32,
                    f: 0
                }
            )
            .is_err());
        // the other references write no localparam
        assert!(!WS
            .miter("x_pe", dims(8, 32))
            .unwrap()
            .text
            .contains("localparam"));
    }

    #[test]
    fn miters_name_every_port_and_register() {
        let m = WS.miter("ws_2x3_pe", dims(8, 32)).unwrap();
        assert_eq!(m.module, "ws_2x3_pe_miter");
        for p in [
            "input  wire [7:0] w_in,",
            "input  wire [31:0] psum_in,",
            "input  wire w_shift,",
            "ws_2x3_pe dut (.clk(clk), .rst(rst), .w_shift(w_shift), .w_in(w_in), .a_in(a_in), \
             .psum_in(psum_in), .w_out(w_out), .a_out(a_out), .psum_out(psum_out));",
            "wire [31:0] a_in_sx = {{24{a_in[7]}}, a_in};",
            "psum_out_ref <= 32'd0;",
            "w_out_ref <= w_shift ? w_in : w_out;",
            "psum_out_ref <= psum_in + a_in_sx * w_out_sx;",
            "assign equal = (w_out == w_out_ref) && (a_out == a_out_ref) && \
             (psum_out == psum_out_ref);",
        ] {
            assert!(m.text.contains(p), "{p}\n{}", m.text);
        }
        let m = OS.miter("os_1x1_pe", dims(8, 32)).unwrap();
        assert!(m
            .text
            .contains("acc_ref <= drain ? acc_in : acc + a_in_sx * b_in_sx;"));
        assert!(m
            .text
            .contains("wire [31:0] b_in_sx = {{24{b_in[7]}}, b_in};"));
        assert!(OS.miter("x_pe", dims(8, 8)).is_err());
        assert!(OS.miter("x_pe", dims(0, 8)).is_err());
    }

    #[test]
    fn property_reads_as_the_contract() {
        assert_eq!(
            WS.property(32),
            "for every state and input: (w_out, a_out, psum_out)' = rst ? 0 : (w_shift ? w_in : \
             w_out, a_in, psum_in + sext(a_in)*sext(w_out)), sums mod 2^32, sext to 32 bits"
        );
    }

    #[test]
    fn values_print_signed_and_hex() {
        assert_eq!(show_value("11111101"), "-3 (0xfd)");
        assert_eq!(
            show_value("0000000000000000000000000000000101"),
            "5 (0x000000005)"
        );
        assert_eq!(show_value("1"), "1");
        assert_eq!(show_value("1x"), "1x");
        assert!(show_value(&"1".repeat(127)).starts_with("-1 (0x7fff"));
        assert!(show_value(&"1".repeat(128)).starts_with("-1 (0xffff"));
        assert!(show_value(&format!("1{}", "0".repeat(127)))
            .starts_with("-1701411834604692317316873037158841057"));
        assert_eq!(show_value(&"1".repeat(129)).len(), 129);
    }

    const FAIL_LOG: &str = r"
SAT proof finished - model found: FAIL!

  Time Signal Name                Dec       Hex                                 Bin
  ---- ------------------ ----------- --------- -----------------------------------
  init \a_out_ref                 168        a8                            10101000
  ---- ------------------ ----------- --------- -----------------------------------
     1 \a_in                       67        43                            01000011
     1 \a_out                      66        42                            01000010
     1 \acc                         5         5    00000000000000000000000000000101
     1 \acc_in                   -107  ffffff95    11111111111111111111111110010101
     1 \b_in                      253        fd                            11111101
     1 \b_out                       0         0                            00000000
     1 \drain                       0         0                                   0
     1 \rst                         0         0                                   0
  ---- ------------------ ----------- --------- -----------------------------------
     2 \a_out                      67        43                            01000011
     2 \a_out_ref                  67        43                            01000011
     2 \acc                       206        ce    00000000000000000000000011001110
     2 \acc_ref                  -196  ffffff3c    11111111111111111111111100111100
     2 \b_out                     253        fd                            11111101
     2 \b_out_ref                 253        fd                            11111101

ERROR: Called with -verify and proof did fail!
";

    #[test]
    fn counterexample_names_state_inputs_and_the_difference() {
        let c = counterexample(FAIL_LOG, &OS, dims(8, 32));
        assert!(
            c.contains("state:  a_out = 66 (0x42), b_out = 0 (0x00), acc = 5 (0x00000005)"),
            "{c}"
        );
        assert!(
            c.contains("inputs: rst = 0, drain = 0, a_in = 67 (0x43), b_in = -3 (0xfd)"),
            "{c}"
        );
        assert!(
            c.contains("next acc: PE 206 (0x000000ce), reference -196 (0xffffff3c)"),
            "{c}"
        );
        assert!(!c.contains("next a_out"), "{c}");
        // unreadable (other widths): the raw table
        let raw = counterexample(FAIL_LOG, &OS, dims(8, 16));
        assert!(
            raw.contains("Time Signal Name") && raw.contains("\\acc_ref"),
            "{raw}"
        );
    }
}
