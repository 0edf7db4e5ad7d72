//! First-order area: PEs (MAC + pipeline registers), skew/deskew registers, SRAM bit area with a
//! fixed periphery factor, from the technology file. Left out: controller, DMA, wires, I/O.

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
        let t = &arch.tech;
        let (r, c) = (u64::from(arch.rows), u64::from(arch.cols));
        let pe_array_um2 = t.pe_area().get() * (r * c) as f64;
        // Input skew: row r has r 8-bit registers; output deskew: column c has C-1-c 32-bit registers.
        let skew_bits = 8 * r * r.saturating_sub(1) / 2 + 32 * c * c.saturating_sub(1) / 2;
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
