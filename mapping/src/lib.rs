//! Mapping a layer onto an accelerator: the layer as the accelerator runs it ([`Problem`]: independent
//! GEMM instances, and a convolution's gather geometry), the tiling ([`Mapping`]), the loop nest and
//! what each tile moves ([`Schedule`], the one place the loop nest is written), where operands live in DRAM
//! ([`DramLayout`]) and the lowering to a [`Program`](tessera_arch::isa::Program) ([`lower()`]).
//! [`interop`] writes a layer, its accelerator and mapping as input files of Timeloop and ZigZag.
//!
//! Everything downstream derives from the schedule: the program, the DRAM image, the analytical model's access counts and timing, and the search's cost bound. A new
//! dataflow is a new arm of [`Schedule::shape`], [`Mapping::check`] and the DRAM word formats — and
//! of the timing contract, simulator and templates, which live elsewhere (docs/TIMING.md).

/// The message of the arms no row-stationary schedule reaches: its passes are made by
/// [`rs`] (mapping/src/rs.rs), not by the GEMM tiling's arms; interop with Timeloop and ZigZag
/// does not describe a row-stationary array.
pub(crate) const NOT_LOWERED: &str =
    "a row-stationary array's passes come from mapping/src/rs.rs, not from the GEMM tiling";

pub mod interop;
pub mod layout;
pub mod lower;
pub mod mapping;
pub mod nest;
pub mod objective;
pub mod problem;
pub mod rs;
pub mod schedule;
pub mod space;

pub use layout::DramLayout;
pub use lower::{lower, Lowered};
pub use mapping::{n_slices, streamed, Keep, LayerTiles, Mapping, MappingSpec, Pinned, MAX_STREAM};
pub use nest::{Class, Dim, Fold, Loop, Memo, Nest, NoMemo, Periodic, Pos, Tree};
pub use objective::Objective;
pub use problem::{ConvGeometry, Problem};
pub use schedule::{
    PrevSync, Schedule, Shape, Step, SubtreeKey, Summary, SummaryAcc, CONFIGS_PER_INSTANCE,
};
pub use space::SpaceBudget;
