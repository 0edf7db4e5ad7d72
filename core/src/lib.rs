//! Shared foundations for Tessera: typed units ([`units`]), user-facing diagnostics ([`diag`]) and
//! loading of RON spec files with errors that name the file, the field and the line ([`load`]), and
//! the statistics models are compared by ([`stats`]).
//!
//! This crate models nothing about hardware; it only keeps the other crates honest about units and
//! errors.

pub mod diag;
pub mod interrupt;
pub mod load;
pub mod stats;
pub mod units;

pub use diag::{Diagnostic, Kind, Result};
pub use units::{Bytes, Cycles, PicoJoules, SquareMicrons};
