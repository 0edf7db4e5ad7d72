//! Access and activity counters, the same struct for the analytical model and the simulator.

use serde::{Deserialize, Serialize};

/// Reads and writes of one buffer, in words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BufferAccesses {
    pub reads: u64,
    pub writes: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub dram_read_bytes: u64,
    pub dram_write_bytes: u64,
    pub input: BufferAccesses,
    pub weight: BufferAccesses,
    pub accumulator: BufferAccesses,
    /// MACs the layer needs (M·K·N).
    pub useful_macs: u64,
    /// MAC slots the array spent streaming (R·C per streamed row): padding and idle PEs included.
    pub array_macs: u64,
    pub instructions: u64,
    pub loads: u64,
    pub stores: u64,
    pub computes: u64,
    /// Outputs captured into the PEs' `out` registers: on a row-stationary array `E` per pass
    /// (`len`, docs/TIMING.md, "Compute unit: row-stationary", step 4), each writing every PE's
    /// `out`; 0 on the other arrays (their sums leave the PEs without a capture).
    #[serde(default)]
    pub captures: u64,
}

impl Counters {
    /// Field-by-field difference report: `(name, self, other)` for every field that differs.
    pub fn diff(&self, other: &Counters) -> Vec<(&'static str, u64, u64)> {
        let a = self.fields();
        let b = other.fields();
        a.iter()
            .zip(b.iter())
            .filter(|(x, y)| x.1 != y.1)
            .map(|(x, y)| (x.0, x.1, y.1))
            .collect()
    }

    pub fn fields(&self) -> [(&'static str, u64); 15] {
        [
            ("dram_read_bytes", self.dram_read_bytes),
            ("dram_write_bytes", self.dram_write_bytes),
            ("input.reads", self.input.reads),
            ("input.writes", self.input.writes),
            ("weight.reads", self.weight.reads),
            ("weight.writes", self.weight.writes),
            ("accumulator.reads", self.accumulator.reads),
            ("accumulator.writes", self.accumulator.writes),
            ("useful_macs", self.useful_macs),
            ("array_macs", self.array_macs),
            ("instructions", self.instructions),
            ("loads", self.loads),
            ("stores", self.stores),
            ("computes", self.computes),
            ("captures", self.captures),
        ]
    }

    pub fn add(&mut self, o: &Counters) {
        let s = |a: &mut u64, b: u64| *a = a.checked_add(b).expect("counter overflow");
        s(&mut self.dram_read_bytes, o.dram_read_bytes);
        s(&mut self.dram_write_bytes, o.dram_write_bytes);
        for (x, y) in [
            (&mut self.input, o.input),
            (&mut self.weight, o.weight),
            (&mut self.accumulator, o.accumulator),
        ] {
            s(&mut x.reads, y.reads);
            s(&mut x.writes, y.writes);
        }
        s(&mut self.useful_macs, o.useful_macs);
        s(&mut self.array_macs, o.array_macs);
        s(&mut self.instructions, o.instructions);
        s(&mut self.loads, o.loads);
        s(&mut self.stores, o.stores);
        s(&mut self.computes, o.computes);
        s(&mut self.captures, o.captures);
    }
}
