//! Import files and show what came out: the notes, the spec as RON, and the validation result.
//!
//! ```text
//! cargo run -p tessera-import --example import -- model.onnx topology.csv scale.cfg
//! ```

use tessera_import::{load, Import, Validated};

fn main() {
    let mut failed = false;
    for file in std::env::args().skip(1) {
        println!("== {file}");
        let imported = match load(&file) {
            Ok(i) => i,
            Err(e) => {
                println!("error: {e}");
                failed = true;
                continue;
            }
        };
        for n in imported.notes() {
            println!("note: {n}");
        }
        let ron = match &imported {
            Import::Workload(w) => tessera_core::load::to_ron_string(&w.spec),
            Import::Arch(a) => tessera_core::load::to_ron_string(&a.spec),
        };
        match ron {
            Ok(r) => println!("{r}"),
            Err(e) => println!("error: {e}"),
        }
        match imported.validate() {
            Ok(Validated::Workload(w)) => println!(
                "valid: {} MAC layers, {} MACs, {} operations not modelled",
                w.layers.len(),
                w.macs().unwrap_or(0),
                w.ops.len()
            ),
            Ok(Validated::Arch(a)) => {
                println!("valid: {}x{} {}", a.rows(), a.cols(), a.dataflow().name())
            }
            Err(e) => {
                println!("invalid: {e}");
                failed = true;
            }
        }
    }
    std::process::exit(i32::from(failed));
}
