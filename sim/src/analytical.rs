//! The analytical model: a layer's cost from its mapping, without executing the program.
//!
//! Access counters are exact (they follow from the loop nest). Cycles are a closed form over the
//! mapping's steps: each step costs the longer of its COMPUTE and the DMA work that overlaps it (the
//! next step's loads and, at a tile boundary, the previous tile's stores) when the buffers are double
//! buffered, and the sum of the three otherwise. Unit latencies are the contract's busy lengths plus
//! one issue cycle per instruction.
//!
//! Arithmetic: every count is bounded by the lowering's limits (at most 65 536 instructions, so
//! fewer steps; at most 65 535 rows per step; at most 128×128 PEs), far inside u64, which is why
//! plain additions are safe here.
//!
//! What it leaves out, and so where its error against the cycle simulator comes from: the controller's
//! SYNC cycles and in-order issue interactions (an instruction waiting behind another unit's
//! instruction), and the exact cycle at which a tile's first step can start.

use crate::area::Area;
use crate::contract::Contract;
use crate::counters::Counters;
use crate::energy::Energy;
use serde::{Deserialize, Serialize};
use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_core::Cycles;
use tessera_mapping::{Mapping, Step};
use tessera_workloads::Gemm;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub cycles: Cycles,
    pub counters: Counters,
    pub energy: Energy,
    pub area: Area,
    /// Useful MACs / (PEs × cycles).
    pub utilization: f64,
    /// Cycles the array is busy (sum of COMPUTE busy lengths).
    pub compute_cycles: Cycles,
    /// Cycles the DMA is busy (sum of LOAD and STORE busy lengths).
    pub dma_cycles: Cycles,
}

/// Estimate `g` on `arch` with `mapping`.
pub fn estimate(g: &Gemm, arch: &Arch, mapping: &Mapping) -> Result<Estimate> {
    let low = tessera_mapping::lower(g, arch, mapping)?;
    Ok(estimate_steps(g, arch, &low.steps, low.double_buffered))
}

/// The model over precomputed steps (used by search, which lowers nothing it does not simulate).
pub fn estimate_steps(g: &Gemm, arch: &Arch, steps: &[Step], double_buffered: bool) -> Estimate {
    let (r, c) = (u64::from(arch.rows), u64::from(arch.cols));
    let contract = Contract::default();
    let mut k = Counters {
        useful_macs: g.macs(),
        ..Counters::default()
    };
    let (mut compute_cycles, mut dma_cycles) = (0u64, 0u64);
    // Per step: (compute time, load time of this step's inputs, store time after it).
    let mut t = Vec::with_capacity(steps.len());
    for s in steps {
        let rows = u64::from(s.rows);
        let mut load = 0;
        if s.input_words > 0 {
            load += Contract::load_busy(arch, s.input_words.into(), r) + 1;
            k.loads += 1;
            k.dram_read_bytes += u64::from(s.input_words) * r;
            k.input.writes += u64::from(s.input_words);
        }
        load += Contract::load_busy(arch, s.weight_words.into(), c) + 1;
        k.loads += 1;
        k.dram_read_bytes += u64::from(s.weight_words) * c;
        k.weight.writes += u64::from(s.weight_words);
        let comp = contract.compute_busy(arch, rows) + 1;
        k.computes += 1;
        k.input.reads += rows;
        k.weight.reads += r;
        k.accumulator.writes += rows;
        if s.accumulate {
            k.accumulator.reads += rows;
        }
        k.array_macs += r * c * rows;
        let mut store = 0;
        if let Some(per) = s.store_words.checked_div(s.stores) {
            let per = u64::from(per);
            store = u64::from(s.stores) * (Contract::store_busy(arch, per) + 1);
            k.stores += u64::from(s.stores);
            k.dram_write_bytes += u64::from(s.store_words) * 4 * c;
            k.accumulator.reads += u64::from(s.store_words);
        }
        compute_cycles += comp - 1;
        dma_cycles += load + store - (u64::from(s.input_words > 0) + 1 + u64::from(s.stores));
        t.push((comp, load, store));
    }
    // Instruction count follows the lowering's program shape.
    let syncs = if double_buffered {
        steps.len() as u64 + u64::from(steps.iter().any(|s| s.stores > 0))
    } else {
        2 * steps.len() as u64 + steps.iter().filter(|s| s.stores > 0).count() as u64
    };
    k.instructions = k.loads + k.stores + k.computes + syncs + 1;

    let cycles = if double_buffered {
        let mut total = t[0].1 + 1;
        let mut pending_store = 0;
        for j in 0..t.len() {
            let dma = pending_store + t.get(j + 1).map_or(0, |x| x.1);
            total += t[j].0.max(dma + 1);
            pending_store = t[j].2;
        }
        total + pending_store + 1
    } else {
        t.iter()
            .map(|(comp, load, store)| load + 1 + comp + 1 + if *store > 0 { store + 1 } else { 0 })
            .sum::<u64>()
            + 1
    };
    let energy = Energy::of(arch, &k);
    Estimate {
        cycles: Cycles(cycles),
        utilization: k.useful_macs as f64 / (arch.pes() as f64 * cycles as f64),
        counters: k,
        energy,
        area: Area::of(arch),
        compute_cycles: Cycles(compute_cycles),
        dma_cycles: Cycles(dma_cycles),
    }
}
