//! Compiles the vendored ONNX schema (`proto/onnx.proto`) to Rust with a pure-Rust protobuf
//! compiler (protox) and prost's code generator: no `protoc` binary is needed.

fn main() {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    let files = match protox::compile(["proto/onnx.proto"], ["proto"]) {
        Ok(f) => f,
        Err(e) => panic!("proto/onnx.proto does not compile: {e}"),
    };
    if let Err(e) = prost_build::Config::new().compile_fds(files) {
        panic!("cannot generate the ONNX types: {e}");
    }
}
