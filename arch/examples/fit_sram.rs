//! Fit the SRAM model to the CACTI 7 runs of `arch/data/cacti7_sram.csv` for both nodes and both
//! arrangements of ports, and print the coefficients as the technology files write them (four
//! significant figures) with the fit's mean and max relative errors.
//!
//! `cargo run --release -p tessera-arch --example fit_sram`

use tessera_arch::sram_fit::{fit, round_significant};
use tessera_arch::tech::SramEnergySpec;
use tessera_arch::{SramPorts, Tech};

fn main() {
    for (name, node) in [("45nm", 45), ("32nm", 32)] {
        let macro_bits = Tech::builtin(name).unwrap().spec.sram.max_macro_word_bits as u64;
        for ports in SramPorts::ALL {
            let f = fit(node, ports, macro_bits);
            let r = |x| round_significant(x, 4);
            let e = |s: &SramEnergySpec| {
                format!(
                    "(per_macro: {:?}, per_sqrt_bit: {:?}, per_word_bit_sqrt_bit: {:?}, per_word_bit: {:?})",
                    r(s.per_macro),
                    r(s.per_sqrt_bit),
                    r(s.per_word_bit_sqrt_bit),
                    r(s.per_word_bit)
                )
            };
            let pct = |x: f64| format!("{:.1} %", 100.0 * x);
            println!(
                "// {name} {} ({} points), mean / max relative error: area {} / {}, read {} / {}, write {} / {}",
                ports.label(),
                f.points,
                pct(f.mean_error[0]),
                pct(f.max_error[0]),
                pct(f.mean_error[1]),
                pct(f.max_error[1]),
                pct(f.mean_error[2]),
                pct(f.max_error[2]),
            );
            let a = &f.fit.area_um2;
            println!("{}: (", ports.field());
            println!(
                "    area_um2: (per_bit: {:?}, per_word_bit: {:?}, per_macro: {:?}),",
                r(a.per_bit),
                r(a.per_word_bit),
                r(a.per_macro)
            );
            println!("    read_pj: {},", e(&f.fit.read_pj));
            println!("    write_pj: {},", e(&f.fit.write_pj));
            println!("),");
        }
    }
}
