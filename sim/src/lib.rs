//! Performance models of a lowered layer.
//!
//! - [`analytical`]: estimates cycles, accesses, energy and utilization from the layer's
//!   [`Schedule`](tessera_mapping::Schedule), without executing the program: access counts in closed
//!   form, cycles as a sum over the tiles that follows the in-order controller (exact for today's
//!   machine; see its docs for what it will approximate).
//! - [`engine`]: the cycle-level simulator. It executes the [`Program`](tessera_arch::isa::Program)
//!   instruction by instruction against the timing contract of docs/TIMING.md and computes the real
//!   int32 results. Two granularities give one answer: [`Engine::Stepped`] advances every register
//!   of every component every cycle; [`Engine::Event`] jumps from event to event and computes a
//!   tile's results with the fast int8 kernel. Both produce identical outputs, cycle counts,
//!   counters and traces.
//! - [`contract`]: the timing contract as pure functions (busy lengths, beat times), the one
//!   executable copy on the Rust side.
//! - [`workload`]: estimate, simulate and validate over a whole workload, with reports.
//! - [`random_program`]: random valid programs, for differential tests of the engines and the RTL
//!   beyond the lowering's instruction patterns.
//!
//! Both models fill the same [`Counters`], so `tessera validate` diffs them field by field.

pub mod analytical;
pub mod area;
pub mod breakdown;
pub mod contract;
pub mod counters;
pub mod energy;
pub mod engine;
pub mod layer;
pub mod mapper;
pub mod random_program;
pub mod system;
pub mod trace;
pub mod workload;

pub use analytical::{estimate, estimate_schedule, Estimate, Pricing};
pub use counters::Counters;
pub use energy::{Energy, EnergyTable};
pub use engine::{simulate, simulate_system, Engine, SimOptions, SimReport, SimResult, SubRun};
pub use layer::{run_layer, LayerRun};
