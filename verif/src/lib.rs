//! Checks of the generated RTL with external tools: lint ([`lint()`], Verilator `-Wall`), synthesis
//! ([`synth()`], Yosys, an area proxy and a latch check) and simulation ([`run_rtl`], a Verilator
//! testbench with the DRAM model of docs/TIMING.md; [`run_rtl_traced`] also writes the architectural
//! event trace the cycle simulator writes; [`run_system_rtl`] runs a system of sub-accelerators sharing
//! one DRAM channel), and a formal proof ([`prove_pe`], Yosys `sat`) that the
//! exported PE computes the contract's next state for every state and input.
//!
//! The RTL ≡ simulator check lives here too ([`verify()`]): the cycle simulator (`tessera-sim`) and
//! the generated Verilog run the same lowered program on the same DRAM image, and must give
//! bit-exact outputs and equal cycle counts; [`export()`] writes a design only after its lint (and
//! synthesis, on request) passes. This crate is where the two independent implementations of
//! docs/TIMING.md meet; neither `tessera-sim` nor `tessera-rtl-gen` knows the other.
//!
//! What it models: the DRAM side of the contract (latency, bytes per cycle, store pacing and
//! acknowledgement, several transfers in flight with their streams in order) and the contract's
//! cycle count. What it leaves out: everything not in the contract (refresh, bank timing).

pub mod formal;
pub mod lint;
pub mod proc;
pub mod run;
pub mod synth;
pub mod system;
pub mod system_verify;
pub mod tools;
pub mod verify;

pub use formal::{prove_pe, ProofReport};
pub use lint::{lint, LintReport};
pub use run::{build_testbench, build_testbench_in, cache_root, run_rtl, run_rtl_traced, RtlRun};
pub use synth::{synth, synth_in, SynthReport};
pub use system::{run_system_rtl, SystemRtlRun};
pub use system_verify::{verify_system, SystemVerifyReport};
pub use tools::Tools;
pub use verify::{
    export, export_system, verify, verify_with, ExportReport, VerifyLayer, VerifyOptions,
    VerifyReport,
};
