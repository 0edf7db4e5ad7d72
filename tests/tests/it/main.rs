//! The integration tests of `tessera-tests`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod deps;
mod fault_injection;
mod imports;
mod names;
mod noc_rtl;
mod rtl_vs_sim;
mod system;
mod templates;
mod zoo;
