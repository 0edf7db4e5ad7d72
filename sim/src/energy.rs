//! Energy per component from counters and the accelerator's technology figures
//! (`tessera_arch::tech`):
//! - **PE MACs**: MAC slots × (a multiplier at the operand width + an adder at the accumulator
//!   width);
//! - **SRAM, per buffer**: word reads × read energy + word writes × write energy of one of its banks
//!   (the CACTI-fitted model of the bank's capacity and word width; one access touches one bank,
//!   every macro of it);
//! - **DRAM**: bytes moved × energy per byte.
//!
//! Left out: leakage, clock tree, pipeline/skew register and NoC wire energy (no cited per-bit
//! figure yet), the write-back adders, controller and DMA energy.

use crate::counters::Counters;
use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, BufferKind};
use tessera_core::PicoJoules;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    pub mac_pj: f64,
    pub input_pj: f64,
    pub weight_pj: f64,
    pub accumulator_pj: f64,
    pub dram_pj: f64,
    pub total_pj: f64,
}

/// An accelerator's energy per event: per MAC slot, per word access of each buffer (a bank of its
/// size and word width) and per DRAM byte. Computing it once and pricing many counters with
/// [`Energy::priced`] gives the same figures as [`Energy::of`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnergyTable {
    pub mac_pj: f64,
    pub input_read_pj: f64,
    pub input_write_pj: f64,
    pub weight_read_pj: f64,
    pub weight_write_pj: f64,
    pub accumulator_read_pj: f64,
    pub accumulator_write_pj: f64,
    pub dram_byte_pj: f64,
}

impl EnergyTable {
    pub fn of(arch: &Arch) -> EnergyTable {
        let t = arch.tech();
        let bank = |k: BufferKind| t.sram_buffer(arch.buffer(k)).0;
        let (i, w, a) = (
            bank(BufferKind::Input),
            bank(BufferKind::Weight),
            bank(BufferKind::Accumulator),
        );
        EnergyTable {
            mac_pj: t.mac_energy(arch.datatypes()).get(),
            input_read_pj: i.read.get(),
            input_write_pj: i.write.get(),
            weight_read_pj: w.read.get(),
            weight_write_pj: w.write.get(),
            accumulator_read_pj: a.read.get(),
            accumulator_write_pj: a.write.get(),
            dram_byte_pj: t.dram_energy_per_byte().get(),
        }
    }
}

impl Energy {
    pub fn of(arch: &Arch, c: &Counters) -> Energy {
        Energy::priced(&EnergyTable::of(arch), c)
    }

    /// The counters priced by an accelerator's [`EnergyTable`].
    pub fn priced(t: &EnergyTable, c: &Counters) -> Energy {
        let mac_pj = t.mac_pj * c.array_macs as f64;
        let input_pj =
            t.input_read_pj * c.input.reads as f64 + t.input_write_pj * c.input.writes as f64;
        let weight_pj =
            t.weight_read_pj * c.weight.reads as f64 + t.weight_write_pj * c.weight.writes as f64;
        let accumulator_pj = t.accumulator_read_pj * c.accumulator.reads as f64
            + t.accumulator_write_pj * c.accumulator.writes as f64;
        let dram_pj = t.dram_byte_pj * (c.dram_read_bytes + c.dram_write_bytes) as f64;
        Energy {
            mac_pj,
            input_pj,
            weight_pj,
            accumulator_pj,
            dram_pj,
            total_pj: mac_pj + input_pj + weight_pj + accumulator_pj + dram_pj,
        }
    }
    pub fn total(&self) -> PicoJoules {
        PicoJoules(self.total_pj)
    }
    pub fn add(&mut self, o: &Energy) {
        self.mac_pj += o.mac_pj;
        self.input_pj += o.input_pj;
        self.weight_pj += o.weight_pj;
        self.accumulator_pj += o.accumulator_pj;
        self.dram_pj += o.dram_pj;
        self.total_pj += o.total_pj;
    }
}
