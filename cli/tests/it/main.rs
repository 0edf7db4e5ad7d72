//! The integration tests of `tessera-cli`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod cli;
mod multitask;
mod newcomer;
mod slurm;
mod system;
