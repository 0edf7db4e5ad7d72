//! Lowering (layer, arch, mapping) to a [`Program`] and a [`DramLayout`].

use crate::{k_slices, n_slices, DramLayout, Mapping};
use serde::{Deserialize, Serialize};
use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::Gemm;

/// One COMPUTE and the transfers tied to it (the unit the double-buffered schedule pipelines).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Output tile index (in loop order).
    pub tile: u32,
    /// Rows streamed (the output tile's height).
    pub rows: u32,
    /// Input words loaded before this step (0 when the A slice is reused).
    pub input_words: u32,
    /// Weight words loaded before this step (always one tile: R words).
    pub weight_words: u32,
    /// Whether this COMPUTE accumulates onto earlier partial sums.
    pub accumulate: bool,
    /// Accumulator words stored after this step (non-zero on the tile's last step).
    pub store_words: u32,
    /// Number of STORE instructions after this step (one per n-slice of the tile).
    pub stores: u32,
}

/// The result of lowering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lowered {
    pub program: Program,
    pub layout: DramLayout,
    pub mapping: Mapping,
    pub steps: Vec<Step>,
    /// Whether the program overlaps DMA with compute (every buffer has ≥ 2 banks).
    pub double_buffered: bool,
}

#[derive(Clone, Copy)]
struct Half {
    input: u32,
    weight: u32,
    acc: u32,
}

/// Lower `g` on `arch` with `mapping`. Errors if the mapping does not fit.
pub fn lower(g: &Gemm, arch: &Arch, mapping: &Mapping) -> Result<Lowered> {
    mapping.check(g, arch)?;
    let layout = DramLayout::new(g, arch)?;
    let (r, _c) = (arch.rows, arch.cols);
    let ks = k_slices(g, arch);
    let ns = n_slices(g, arch);
    let nb = mapping.n_per_tile(arch);
    let tm = mapping.tile_m;
    let db = arch.double_buffered();
    // Word offset of bank 1 in each buffer (the "pong" half); 0 when single-buffered.
    let pong = Half {
        input: if db { arch.input.bank_depth() } else { 0 },
        weight: if db { arch.weight.bank_depth() } else { 0 },
        acc: if db { arch.accumulator.bank_depth() } else { 0 },
    };
    let half = |i: u32, which: fn(&Half) -> u32| if i % 2 == 1 { which(&pong) } else { 0 };
    let to16 = |v: u32, what: &str| -> Result<u16> {
        u16::try_from(v).map_err(|_| {
            Diagnostic::new(format!(
                "{what} = {v} does not fit the 16-bit instruction field"
            ))
        })
    };

    // Build the steps with their instructions grouped: loads (before), compute, stores (after).
    struct StepInstrs {
        loads: Vec<Instr>,
        compute: Instr,
        stores: Vec<Instr>,
    }
    let mut steps = vec![];
    let mut groups: Vec<StepInstrs> = vec![];
    let (mut a_loads, mut w_loads) = (0u32, 0u32);
    let mut tile = 0u32;
    for m0 in (0..g.m).step_by(tm as usize) {
        let rows = tm.min(g.m - m0);
        for t0 in (0..ns).step_by(nb as usize) {
            let tiles_n = nb.min(ns - t0);
            let acc_base = half(tile, |h| h.acc);
            for s in 0..ks {
                let in_base = half(a_loads, |h| h.input);
                let a_load = Instr::Load {
                    target: LoadTarget::Input,
                    count: to16(rows, "input rows")?,
                    dram_addr: layout.a_addr(s, m0),
                    sram_addr: to16(in_base, "input address")?,
                };
                a_loads += 1;
                for dt in 0..tiles_n {
                    let t = t0 + dt;
                    let w_base = half(w_loads, |h| h.weight);
                    w_loads += 1;
                    let mut loads = vec![];
                    if dt == 0 {
                        loads.push(a_load);
                    }
                    loads.push(Instr::Load {
                        target: LoadTarget::Weight,
                        count: to16(r, "weight words")?,
                        dram_addr: layout.b_addr(s, t),
                        sram_addr: to16(w_base, "weight address")?,
                    });
                    let out_addr = acc_base + dt * rows;
                    let compute = Instr::Compute {
                        rows: to16(rows, "rows")?,
                        in_addr: to16(in_base, "input address")?,
                        w_addr: to16(w_base, "weight address")?,
                        out_addr: to16(out_addr, "accumulator address")?,
                        accumulate: s > 0,
                    };
                    let last = s == ks - 1 && dt == tiles_n - 1;
                    let mut stores = vec![];
                    if last {
                        for dt2 in 0..tiles_n {
                            stores.push(Instr::Store {
                                count: to16(rows, "rows")?,
                                dram_addr: layout.c_addr(t0 + dt2, m0),
                                sram_addr: to16(acc_base + dt2 * rows, "accumulator address")?,
                            });
                        }
                    }
                    steps.push(Step {
                        tile,
                        rows,
                        input_words: if dt == 0 { rows } else { 0 },
                        weight_words: r,
                        accumulate: s > 0,
                        store_words: if last { rows * tiles_n } else { 0 },
                        stores: stores.len() as u32,
                    });
                    groups.push(StepInstrs {
                        loads,
                        compute,
                        stores,
                    });
                }
            }
            tile += 1;
        }
    }

    let sync = |mask| Instr::Sync { mask };
    let mut p = vec![];
    if db {
        // loads(0); SYNC dma; for j { COMPUTE j; stores(previous tile); loads(j+1); SYNC dma }
        // stores(last) after SYNC compute. See the module docs for why each half is safe.
        p.extend(&groups[0].loads);
        p.push(sync(unit::DMA));
        let mut pending: Vec<Instr> = vec![];
        for j in 0..groups.len() {
            p.push(groups[j].compute);
            p.append(&mut pending);
            if let Some(next) = groups.get(j + 1) {
                p.extend(&next.loads);
            }
            pending = groups[j].stores.clone();
            if j + 1 < groups.len() {
                p.push(sync(unit::DMA));
            }
        }
        if !pending.is_empty() {
            p.push(sync(unit::COMPUTE));
            p.append(&mut pending);
        }
    } else {
        for gi in &groups {
            p.extend(&gi.loads);
            p.push(sync(unit::DMA));
            p.push(gi.compute);
            if !gi.stores.is_empty() {
                p.push(sync(unit::COMPUTE));
                p.extend(&gi.stores);
                p.push(sync(unit::DMA));
            } else {
                p.push(sync(unit::COMPUTE));
            }
        }
    }
    p.push(Instr::Halt);
    Ok(Lowered {
        program: Program { instrs: p },
        layout,
        mapping: *mapping,
        steps,
        double_buffered: db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tessera_arch::builtin;

    proptest! {
        #[test]
        fn program_len_matches_the_lowering(m in 1u32..60, k in 1u32..60, n in 1u32..60, pick in 0usize..1000, one_bank: bool) {
            let mut s = builtin::arch_spec("ws_4x4").unwrap();
            if one_bank {
                s.buffers.input.banks = 1;
            }
            let arch = s.validate().unwrap();
            let g = Gemm::new("g", m, k, n);
            let cands = Mapping::candidates(&g, &arch);
            let mp = cands[pick % cands.len()];
            let l = lower(&g, &arch, &mp).unwrap();
            prop_assert_eq!(mp.program_len(&g, &arch), l.program.instrs.len() as u64);
        }
    }

    #[test]
    fn programs_longer_than_the_instruction_memory_are_refused() {
        let arch = builtin::arch("ws_1x1").unwrap();
        let g = Gemm::new("big", 64, 512, 512);
        let e = lower(&g, &arch, &Mapping::default_for(&g, &arch)).unwrap_err();
        assert!(e.message.contains("instruction memory"), "{e}");
    }

    #[test]
    fn program_shape_for_a_small_gemm() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let g = Gemm::new("g", 6, 5, 9);
        let m = Mapping {
            tile_m: 4,
            tile_n: 8,
        };
        let l = lower(&g, &arch, &m).unwrap();
        assert_eq!(m.program_len(&g, &arch), l.program.instrs.len() as u64);
        // m-tiles 2 × n-tiles 2 (8 + 4 columns) × k-slices 2; n-slices per tile 2 then 1.
        assert_eq!(l.steps.len(), 2 * (2 * 2 + 2));
        let computes = l
            .program
            .instrs
            .iter()
            .filter(|i| matches!(i, Instr::Compute { .. }))
            .count();
        assert_eq!(computes, l.steps.len());
        let stores = l
            .program
            .instrs
            .iter()
            .filter(|i| matches!(i, Instr::Store { .. }))
            .count();
        assert_eq!(stores, 2 * 3);
        assert_eq!(l.program.instrs.last(), Some(&Instr::Halt));
    }
}
