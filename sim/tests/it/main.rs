//! The integration tests of `tessera-sim`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod engines_agree;
mod mapper_optimal;
mod mapper_props;
mod random_programs;
mod row_stationary;
mod rs_layers;
mod system;
