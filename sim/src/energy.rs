//! Energy from counters: MAC slots × MAC energy, buffer words × per-access energy of a bank of that
//! size and word width, DRAM bytes × DRAM energy per byte (figures from the technology file).
//! Left out: leakage, clock tree, register-file and NoC wire energy, controller energy.

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
    pub input_access_pj: f64,
    pub weight_access_pj: f64,
    pub accumulator_access_pj: f64,
    pub dram_byte_pj: f64,
}

impl EnergyTable {
    pub fn of(arch: &Arch) -> EnergyTable {
        let t = arch.tech();
        let access = |k: BufferKind| {
            let b = arch.buffer(k);
            t.sram_access_energy(b.bank_bytes(), b.word_bytes()).get()
        };
        EnergyTable {
            mac_pj: t.mac_energy().get(),
            input_access_pj: access(BufferKind::Input),
            weight_access_pj: access(BufferKind::Weight),
            accumulator_access_pj: access(BufferKind::Accumulator),
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
        let input_pj = t.input_access_pj * (c.input.reads + c.input.writes) as f64;
        let weight_pj = t.weight_access_pj * (c.weight.reads + c.weight.writes) as f64;
        let accumulator_pj =
            t.accumulator_access_pj * (c.accumulator.reads + c.accumulator.writes) as f64;
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
