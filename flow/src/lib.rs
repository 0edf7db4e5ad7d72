//! The whole loop as library operations, above the search and the verifier:
//! - [`demo`]: estimate → simulate → validate → search → export → verify on a built-in example;
//! - [`codesign`]: export and verify the design a search returns, with its mappings;
//! - [`baseline`]: the search against the templates of published designs at equal PEs and SRAM;
//! - [`bench`]: the simulator's speed against Verilator and the native kernel.
//! - [`slurm`]: a search split into shards over a Slurm cluster, and their merge;
//! - [`program`]: a hand-written program through both engines and the RTL (`tessera run`).
//!
//! The command line (`tessera`) calls these and only parses arguments and prints results.

pub mod baseline;
pub mod bench;
pub mod codesign;
pub mod demo;
pub mod program;
pub mod slurm;
