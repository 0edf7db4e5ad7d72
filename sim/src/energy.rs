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

impl Energy {
    pub fn of(arch: &Arch, c: &Counters) -> Energy {
        let t = &arch.tech;
        let buf = |k: BufferKind, n: u64| {
            let b = arch.buffer(k);
            t.sram_access_energy(b.capacity.get() / u64::from(b.banks), b.word_bytes)
                .get()
                * n as f64
        };
        let mac_pj = t.mac_energy().get() * c.array_macs as f64;
        let input_pj = buf(BufferKind::Input, c.input.reads + c.input.writes);
        let weight_pj = buf(BufferKind::Weight, c.weight.reads + c.weight.writes);
        let accumulator_pj = buf(
            BufferKind::Accumulator,
            c.accumulator.reads + c.accumulator.writes,
        );
        let dram_pj =
            t.dram_energy_per_byte().get() * (c.dram_read_bytes + c.dram_write_bytes) as f64;
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
