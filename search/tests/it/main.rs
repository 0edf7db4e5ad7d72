//! The integration tests of `tessera-search`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod bayes;
mod journal;
mod multitask;
mod predictor;
mod search;
