//! The analytical model: a layer's cost from its [`Schedule`], without executing the program.
//!
//! Access counters are exact and in closed form: they are the schedule's [`Summary`] in words and
//! bytes. Cycles are a sum over the schedule's tiles of each tile's unit times — the contract's busy
//! lengths ([`Contract`]) plus one issue cycle per instruction — combined the way the program's
//! in-order issue and SYNCs combine them: with double buffering a tile costs the longer of its
//! COMPUTE and the DMA work issued behind it (the previous output tile's stores and the next tile's
//! loads) plus the SYNC and issue cycles between them; without, the sum of its loads, COMPUTE and
//! stores and their SYNCs. It never runs the program and never touches data.
//!
//! For today's machine — one in-order controller, one DMA, an uncontended DRAM channel with fixed
//! latency, no bank conflicts — this recurrence follows the controller exactly, and `tessera
//! validate` reports an error of 0. What it leaves out, and so where its error will come from when
//! the machine grows: several outstanding DRAM requests, contention for the channel, bank conflicts,
//! and any issue order other than the lowering's.
//!
//! Arithmetic: counts come from the checked summary; per-tile times are bounded by the contract's
//! 16-bit fields, and a program has at most 65 536 instructions, so the cycle sum stays far inside u64.

use crate::area::Area;
use crate::contract::Contract;
use crate::counters::{BufferAccesses, Counters};
use crate::energy::{Energy, EnergyTable};
use serde::{Deserialize, Serialize};
use tessera_arch::Arch;
use tessera_core::diag::Result;
use tessera_core::Cycles;
use tessera_mapping::{Mapping, Schedule, Shape, Summary};
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

/// What the model is and leaves out, for reports.
pub const MODEL_NOTE: &str = "analytical: a sum over the mapping's tiles of the contract's unit \
times, combined as the in-order controller issues them; exact access counts; assumes one DMA, an \
uncontended DRAM channel and no bank conflicts (see sim/src/analytical.rs)";

/// Estimate `g` on `arch` with `mapping` (checked first).
pub fn estimate(g: &Gemm, arch: &Arch, mapping: &Mapping) -> Result<Estimate> {
    mapping.check(g, arch)?;
    tessera_mapping::DramLayout::new(g, arch)?;
    estimate_schedule(g, arch, &Schedule::new(g, arch, mapping))
}

/// The counters a schedule implies (exact; the simulator's must equal them).
pub fn counters(g: &Gemm, arch: &Arch, s: &Summary) -> Counters {
    let (inw, ww, accw) = (
        u64::from(arch.input().word_bytes()),
        u64::from(arch.weight().word_bytes()),
        u64::from(arch.accumulator().word_bytes()),
    );
    Counters {
        dram_read_bytes: s.input_words * inw + s.weight_words * ww,
        dram_write_bytes: s.store_words * accw,
        input: BufferAccesses {
            reads: s.input_reads,
            writes: s.input_words,
        },
        weight: BufferAccesses {
            reads: s.weight_reads,
            writes: s.weight_words,
        },
        accumulator: BufferAccesses {
            reads: s.accumulate_reads + s.store_words,
            writes: s.out_writes,
        },
        useful_macs: g.macs(),
        array_macs: s.array_macs,
        instructions: s.program_len,
        loads: s.input_loads + s.weight_loads,
        stores: s.stores,
        computes: s.steps,
    }
}

/// A tile's unit times, each including its instructions' issue cycles: (COMPUTE, LOADs before it,
/// STOREs after it).
pub fn tile_times(arch: &Arch, contract: &Contract, sh: &Shape) -> (u64, u64, u64) {
    let (inw, ww) = (
        u64::from(arch.input().word_bytes()),
        u64::from(arch.weight().word_bytes()),
    );
    let mut load = 0;
    if sh.input_words > 0 {
        load += Contract::load_busy(arch, sh.input_words.into(), inw) + 1;
    }
    if sh.weight_words > 0 {
        load += Contract::load_busy(arch, sh.weight_words.into(), ww) + 1;
    }
    let store = if sh.stores > 0 {
        u64::from(sh.stores) * (Contract::store_busy(arch, sh.store_words.into()) + 1)
    } else {
        0
    };
    (contract.compute_busy(arch, sh.len.into()) + 1, load, store)
}

/// The model over a schedule.
pub fn estimate_schedule(g: &Gemm, arch: &Arch, schedule: &Schedule) -> Result<Estimate> {
    Ok(estimate_priced(
        g,
        arch,
        schedule,
        &schedule.summary()?,
        &EnergyTable::of(arch),
    ))
}

/// [`estimate_schedule`] with the schedule's summary and the accelerator's energy table already
/// computed (the search evaluates many schedules of one accelerator).
pub fn estimate_priced(
    g: &Gemm,
    arch: &Arch,
    schedule: &Schedule,
    summary: &Summary,
    table: &EnergyTable,
) -> Estimate {
    let k = counters(g, arch, summary);
    let contract = Contract::default();
    let (mut compute_cycles, mut dma_cycles) = (0u64, 0u64);
    let cycles = if schedule.double_buffered {
        // The program (mapping/src/lower.rs): loads(0); SYNC dma; then per tile j: COMPUTE j;
        // stores(previous output tile); loads(j+1); SYNC dma; and at the end SYNC compute;
        // stores(last); HALT. With D_j the DMA work issued after COMPUTE j (each instruction's busy
        // length plus its issue cycle), the SYNC passes at X_j + D_j + 1 and COMPUTE j+1 issues one
        // cycle later unless the array is still busy: X_{j+1} = X_j + max(C_j, D_j + 2), C_j = the
        // COMPUTE's busy length + 1. After the last COMPUTE, the SYNC compute lets the last stores
        // issue at X + max(C + 1, D + 1); HALT completes when they end.
        let mut total = 0u64;
        let mut prev: Option<(u64, u64, u64)> = None;
        let mut pending_store = 0u64;
        schedule.for_each_step(|st| {
            let t = tile_times(arch, &contract, &st.shape);
            match prev {
                None => total += t.1 + 1,
                Some(p) => {
                    total += p.0.max(pending_store + t.1 + 2);
                    pending_store = p.2;
                }
            }
            compute_cycles += t.0 - 1;
            dma_cycles += t.1 + t.2 - u64::from(st.shape.loads() + st.shape.stores);
            prev = Some(t);
        });
        let last = prev.expect("a schedule has at least one tile");
        total += (last.0 + 1).max(pending_store + 1);
        total + last.2 + 1
    } else {
        // Every tile alone: loads; SYNC dma; COMPUTE; SYNC compute; [stores; SYNC dma]; one cycle
        // per SYNC that passes, and the HALT.
        let mut total = 1u64;
        schedule.for_each_step(|st| {
            let (comp, load, store) = tile_times(arch, &contract, &st.shape);
            total += load + 1 + comp + 1 + if store > 0 { store + 1 } else { 0 };
            compute_cycles += comp - 1;
            dma_cycles += load + store - u64::from(st.shape.loads() + st.shape.stores);
        });
        total
    };
    let energy = Energy::priced(table, &k);
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
