//! Every accelerator name validation accepts exports, builds and verifies under Verilator.
//! (Verilator escapes `__` in the C++ class names it generates, so `ab_` — module `ab__top`, class
//! `Vab___05Ftop` — used to lint and synthesise but fail to verify; validation now refuses `__` and a
//! trailing `_`.)

use proptest::prelude::*;
use tessera_arch::builtin;
use tessera_verif::tools::tools_for_tests;
use tessera_verif::{verify, VerifyOptions};
use tessera_workloads::{Gemm, Layer, Workload};

/// The grammar validation accepts: a letter, then letters or digits, with single `_` between them.
fn grammar() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9]{0,6}(_[A-Za-z0-9]{1,6}){0,4}"
        .prop_filter("at most 48 characters", |s| s.len() <= 48)
}

fn verifies(name: &str) -> Result<(), TestCaseError> {
    let mut s = builtin::arch_spec("ws_1x1").unwrap();
    s.name = name.to_string();
    let arch = s
        .validate()
        .map_err(|e| TestCaseError::fail(format!("{name:?} refused: {e}")))?;
    let Some(tools) = tools_for_tests(false) else {
        return Ok(());
    };
    let w = Workload::of_layers("w", vec![Layer::Gemm(Gemm::new("g", 3, 2, 2))]);
    let r = verify(&arch, &w, &VerifyOptions::default(), &tools)
        .map_err(|e| TestCaseError::fail(format!("{name:?}: {e}")))?;
    prop_assert!(r.passed, "{name:?}: {r:?}");
    Ok(())
}

proptest! {
    // Each case is a Verilator build (a few seconds): a handful of random names per run, beside the
    // edge cases below.
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]
    #[test]
    fn every_name_validation_accepts_verifies(name in grammar()) {
        verifies(&name)?;
    }
}

#[test]
fn edge_names_verify() {
    for name in [
        "a",
        "Z9",
        "A_b_C_d",
        "x1_2_3",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV", // 48 characters
    ] {
        verifies(name).unwrap();
    }
}

proptest! {
    /// What validation accepts is exactly the grammar: no `__`, no `_` at either end, ASCII
    /// letter first, at most 48 characters (and not a Verilog keyword).
    #[test]
    fn validation_accepts_the_grammar_and_nothing_else(name in "[A-Za-z0-9_]{0,50}") {
        let ok = tessera_arch::is_safe_identifier(&name);
        let grammar = name.len() <= 48
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && !name.contains("__")
            && !name.ends_with('_');
        if ok {
            prop_assert!(grammar, "{name:?} accepted");
        } else if grammar {
            // only keywords are refused beyond the grammar
            prop_assert!(["module", "input", "output", "wire", "reg", "begin", "end", "and", "or",
                "not", "xor", "buf", "for", "if", "else", "case", "task", "signed", "logic",
                "genvar", "generate", "always", "assign", "default", "endcase", "endmodule",
                "function", "initial", "inout", "integer", "localparam", "negedge", "parameter",
                "posedge"].contains(&name.as_str()), "{name:?} refused");
        }
    }
}
