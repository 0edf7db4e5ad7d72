//! Checks of the generated RTL with external tools: lint ([`lint()`], Verilator `-Wall`), synthesis
//! ([`synth()`], Yosys, an area proxy and a latch check) and simulation ([`run_rtl`], a Verilator
//! testbench with the DRAM model of docs/TIMING.md; [`run_rtl_traced`] also writes the architectural
//! event trace the cycle simulator writes).
//!
//! What it models: the DRAM side of the contract (latency, bytes per cycle, store pacing and
//! acknowledgement) and the contract's cycle count. What it leaves out: everything not in the
//! contract (refresh, bank timing, several outstanding requests), and — until the cycle simulator is
//! wired in — the comparison with `tessera-sim`: today the expected outputs and cycle counts come from
//! the tests themselves.

pub mod lint;
pub mod run;
pub mod synth;
pub mod tools;

pub use lint::{lint, LintReport};
pub use run::{build_testbench, build_testbench_in, cache_root, run_rtl, run_rtl_traced, RtlRun};
pub use synth::{synth, SynthReport};
pub use tools::Tools;
