//! The integration tests of `tessera-import`, one module per subject, built as one test binary:
//! its tests share the cores instead of each file's waiting for its own slowest test.

mod load;
mod onnx;
mod robust;
mod scalesim;
