//! First-order area: PEs (MAC + pipeline registers, per dataflow), skew/deskew registers, SRAM bit
//! area with a fixed periphery factor, from the technology file. Left out: controller, DMA, wires,
//! I/O.

use serde::{Deserialize, Serialize};
use tessera_arch::Arch;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub pe_array_um2: f64,
    pub skew_registers_um2: f64,
    pub sram_um2: f64,
    pub total_um2: f64,
}

impl Area {
    pub fn of(arch: &Arch) -> Area {
        let t = arch.tech();
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let dt = arch.datatypes();
        let (ob, ab) = (
            u64::from(dt.operand_bits()),
            u64::from(dt.accumulator_bits()),
        );
        let pe_array_um2 = t.pe_area(dt).get() * (r * c) as f64;
        // Weight-stationary: input skew (row r has r operand registers) and output deskew (column c
        // has C-1-c accumulator registers). Output-stationary: input skew per row and weight skew per
        // column, both operand registers.
        let tri = |n: u64| n * n.saturating_sub(1) / 2;
        let skew_bits = match arch.dataflow() {
            tessera_arch::Dataflow::OutputStationary => ob * (tri(r) + tri(c)),
            _ => ob * tri(r) + ab * tri(c),
        };
        let skew_registers_um2 = t.dff_area(skew_bits).get();
        let sram_um2 = t.sram_area(arch.sram_bytes().get()).get();
        Area {
            pe_array_um2,
            skew_registers_um2,
            sram_um2,
            total_um2: pe_array_um2 + skew_registers_um2 + sram_um2,
        }
    }
}
