//! The integration tests of `tessera-verif`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod common;

mod area_vs_synth;
mod build_cache;
mod formal;
mod lint_synth;
mod rs_rtl;
mod rtl_run;
mod system_rtl;
