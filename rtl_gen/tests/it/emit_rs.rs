//! The row-stationary templates (docs/TIMING.md, "Compute unit: row-stationary"): what an RS design
//! is made of and what its controller decodes. (Lint, synthesis, the PE's proof and runs under
//! Verilator are in tessera-verif's tests.)

use tessera_arch::Arch;
use tessera_rtl_gen::emit;

fn rs(name: &str, rows: i64, cols: i64, rf: i64) -> Arch {
    let w = rows + cols - 1;
    tessera_arch::spec::ArchSpec::ws(
        name,
        rows,
        cols,
        [w * 64, rows * 32, 4 * cols * 32],
        2,
        8,
        3,
    )
    .row_stationary(rf)
    .validate()
    .unwrap()
}

fn file<'d>(d: &'d tessera_rtl_gen::Design, module: &str) -> &'d str {
    &d.files
        .iter()
        .find(|f| f.name == format!("{module}.v"))
        .unwrap_or_else(|| panic!("no {module}.v"))
        .text
}

#[test]
fn a_row_stationary_design_has_the_usual_modules() {
    let d = emit(&rs("rs_3x4", 3, 4, 6)).unwrap();
    assert_eq!(d.top, "rs_3x4_top");
    let names: Vec<&str> = d.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "rs_3x4_pe.v",
            "rs_3x4_array.v",
            "rs_3x4_sram.v",
            "rs_3x4_queue.v",
            "rs_3x4_ctrl.v",
            "rs_3x4_dma.v",
            "rs_3x4_compute.v",
            "rs_3x4_top.v"
        ]
    );
    for f in &d.files {
        assert!(
            f.text
                .starts_with("// rs_3x4: 3x4 row-stationary int8 spatial array (int32 accumulation)\n// PE register files: 6 operands each\n"),
            "{}",
            f.name
        );
        assert!(f.text.ends_with("endmodule\n"), "{}", f.name);
        assert!(
            !f.text.contains("{{") && !f.text.contains("{%"),
            "{}",
            f.name
        );
    }
    // the PE's register file, the words' widths on the compute unit's ports
    assert!(file(&d, "rs_3x4_pe").contains("output reg  [47:0] rf,"));
    let cu = file(&d, "rs_3x4_compute");
    assert!(cu.contains("input  wire [23:0] w_rdata,"), "R bytes");
    assert!(cu.contains("input  wire [47:0] in_rdata,"), "R+C-1 bytes");
    assert!(cu.contains("input  wire [127:0] acc_rdata,"), "C lanes");
}

#[test]
fn the_controller_decodes_the_pass_fields_on_row_stationary_arrays_only() {
    let d = emit(&rs("rs_3x4", 3, 4, 6)).unwrap();
    let ctrl = file(&d, "rs_3x4_ctrl");
    for l in [
        "assign f_steps      = instr[47:40];",
        "assign f_block_rows = instr[55:48];",
        "assign f_blocks     = instr[63:56];",
        "assign f_row_step   = instr[119:112];",
        "wire unused_instr_bits = ^instr[127:120];",
    ] {
        assert!(ctrl.contains(l), "{l}");
    }
    let top = file(&d, "rs_3x4_top");
    assert!(top.contains(".row_step   (f_row_step),"));
    let ws = emit(&tessera_arch::builtin::arch("ws_2x3").unwrap()).unwrap();
    for f in &ws.files {
        assert!(!f.text.contains("row_step"), "{}", f.name);
        assert!(!f.text.contains("register files"), "{}", f.name);
    }
}

#[test]
fn one_pe_with_one_operand() {
    let d = emit(&rs("rs_1x1", 1, 1, 1)).unwrap();
    assert!(file(&d, "rs_1x1_pe").contains("output reg  [7:0] rf,"));
    assert!(file(&d, "rs_1x1_compute").contains("input  wire [7:0] in_rdata,"));
}
