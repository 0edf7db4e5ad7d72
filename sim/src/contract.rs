//! The simulator's copy of the timing contract (docs/TIMING.md). The Verilog templates implement the
//! same text independently; `verif` holds the two together. Every latency the engines use comes from
//! here, so a deliberate fault in one number (see [`Contract::with_fault`]) shows up as the first
//! divergent event of a trace diff.

use tessera_arch::Arch;

/// Numbers of the contract that are not derived from the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Contract {
    /// Extra cycles added to every COMPUTE's busy length. Zero in the contract; non-zero only to
    /// inject a fault in tests of the trace diff.
    pub compute_skew: u64,
}

impl Contract {
    /// A contract with one latency changed: for testing that trace diffs find the first affected
    /// event. Only in test builds (`--features fault-injection`), never in a release binary.
    #[cfg(any(test, feature = "fault-injection"))]
    pub fn with_fault(extra_compute_cycles: u64) -> Self {
        Self {
            compute_skew: extra_compute_cycles,
        }
    }

    /// `k_i = max(i, ceil((i+1)·b / W) - 1)`: the DMA pacing slot (relative) of word `i`.
    pub fn dma_slot(i: u64, word_bytes: u64, bytes_per_cycle: u64) -> u64 {
        i.max(((i + 1) * word_bytes).div_ceil(bytes_per_cycle) - 1)
    }

    /// Busy cycles of a LOAD of `n ≥ 1` words of `b` bytes: `L + k_{n-1} + 1`.
    pub fn load_busy(arch: &Arch, n: u64, b: u64) -> u64 {
        arch.dram.latency.get() + Self::dma_slot(n - 1, b, u64::from(arch.dram.bytes_per_cycle)) + 1
    }

    /// Busy cycles of a STORE of `n ≥ 1` accumulator words: `k_{n-1} + L + 2`.
    pub fn store_busy(arch: &Arch, n: u64) -> u64 {
        let b = u64::from(arch.accumulator.word_bytes);
        Self::dma_slot(n - 1, b, u64::from(arch.dram.bytes_per_cycle)) + arch.dram.latency.get() + 2
    }

    /// Busy cycles of a COMPUTE of `rows ≥ 1`: `2R + C + rows`.
    pub fn compute_busy(&self, arch: &Arch, rows: u64) -> u64 {
        2 * u64::from(arch.rows) + u64::from(arch.cols) + rows + self.compute_skew
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dma_pacing() {
        // W ≥ b: one word per cycle.
        assert_eq!(
            (0..4)
                .map(|i| Contract::dma_slot(i, 4, 8))
                .collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        // b = 3, W = 2: words need 1.5 cycles each.
        assert_eq!(
            (0..4)
                .map(|i| Contract::dma_slot(i, 3, 2))
                .collect::<Vec<_>>(),
            [1, 2, 4, 5]
        );
        // b = 16, W = 1.
        assert_eq!(Contract::dma_slot(0, 16, 1), 15);
    }
}
