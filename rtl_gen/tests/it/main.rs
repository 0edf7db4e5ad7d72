//! The integration tests of `tessera-rtl-gen`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod emit;
mod emit_rs;
