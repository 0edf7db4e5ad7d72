//! Importers: other tools' files as Tessera specs.

pub mod onnx;
