//! The operations behind the `tessera` command line, as a library: each takes validated inputs and
//! returns a serializable report (the `--json` output), so tests and other tools call them directly.
//! Nothing here prints or exits; `main.rs` does.

pub mod bench;
pub mod ops;
pub mod verify;

pub use ops::*;
