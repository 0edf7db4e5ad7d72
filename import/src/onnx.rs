//! ONNX models (the importer comes next): the protobuf types of the ONNX schema.
//!
//! # Reading the file
//!
//! The ONNX schema (`proto/onnx.proto`, copied from the ONNX project, Apache-2.0) is compiled at
//! build time by [prost](https://crates.io/crates/prost)'s code generator fed by
//! [protox](https://crates.io/crates/protox), a protobuf compiler written in Rust: the types are in
//! [`proto`] and the decoding is prost's. Why these:
//!
//! - **Maintenance.** prost is the most used and actively maintained protobuf implementation for
//!   Rust (tokio-rs); protox is maintained with prost-reflect and follows prost's releases. The
//!   alternatives checked: `onnx-protobuf` 0.2.3 ships pre-generated code pinned to `protobuf` 3.4.0
//!   and does not build against today's `protobuf` 3.7 (its version check fails), and the
//!   `protobuf` 3.x line (rust-protobuf) is in maintenance mode (the crate name moved to Google's
//!   upb-based 4.x, whose code generator needs `protoc`); `onnx-ir` 0.22 (burn) is pure Rust but
//!   brings burn-tensor and 146 crates, and converts the graph to its own IR with its own op rules,
//!   where this importer needs the raw graph to report every unsupported op itself.
//! - **Build.** No `protoc` binary (none is installed here, nor on CI): protox parses the `.proto`
//!   in Rust. Building prost, prost-build and protox from nothing took 19 s on this two-core
//!   machine, once; the rust-protobuf 3.x equivalent took 16 s.
//! - **Dependencies.** 20 crates new to the workspace's lock file, most only at build time
//!   (protox's parser, prost-build and their regex, logos, miette); at run time the importer needs
//!   `prost` and `bytes`, with the `prost-derive` macro (anyhow, itertools). `prost-build` is used
//!   without its formatting feature.

/// The ONNX protobuf types, generated from `proto/onnx.proto` at build time.
#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}
