//! Event-level engine: time jumps from one controller decision to the next.
//!
//! The controller's in-order issue is exact: an instruction for a unit issues at
//! `max(now, unit free)`, its unit stays busy for the contract's busy length, SYNC and HALT wait for
//! the units they name. The functional effect of each instruction is applied when it issues: LOAD and
//! STORE copy words, COMPUTE runs the fast int8 kernel over the tile. Applying effects at issue is
//! exact only for race-free programs, so the engine checks every pair of overlapping instructions of
//! different units for a buffer conflict and refuses a racy program (the stepped engine runs it as the
//! hardware would).

use super::Machine;
use crate::contract::Contract;
use crate::SimOptions;
use tessera_arch::isa::{Instr, LoadTarget, Program};
use tessera_core::diag::{Diagnostic, Result};

const DMA: usize = 0;
const CU: usize = 1;

/// Buffer word ranges an instruction touches: (buffer id, start, end, writes?).
fn footprint(m: &Machine, ins: &Instr) -> Vec<(u8, u32, u32, bool)> {
    match *ins {
        Instr::Load {
            target,
            count,
            sram_addr,
            ..
        } => {
            let b = if target == LoadTarget::Input { 0 } else { 1 };
            vec![(
                b,
                sram_addr.into(),
                u32::from(sram_addr) + u32::from(count),
                true,
            )]
        }
        Instr::Store {
            count, sram_addr, ..
        } => vec![(
            2,
            sram_addr.into(),
            u32::from(sram_addr) + u32::from(count),
            false,
        )],
        Instr::Compute {
            rows,
            in_addr,
            w_addr,
            out_addr,
            ..
        } => vec![
            (
                0,
                in_addr.into(),
                u32::from(in_addr) + u32::from(rows),
                false,
            ),
            (1, w_addr.into(), u32::from(w_addr) + m.arch.rows, false),
            (
                2,
                out_addr.into(),
                u32::from(out_addr) + u32::from(rows),
                true,
            ),
        ],
        _ => vec![],
    }
}

struct Active {
    start: u64,
    end: u64,
    pc: usize,
    fp: Vec<(u8, u32, u32, bool)>,
}

pub(crate) fn run(m: &mut Machine, program: &Program, opts: &SimOptions) -> Result<u64> {
    let arch = m.arch;
    let (r, c) = (arch.rows as usize, arch.cols as usize);
    let mut now = 0u64;
    let mut free = [0u64; 2];
    // Instructions still running or recently run, per unit, for the race check.
    let mut active: [Vec<Active>; 2] = [vec![], vec![]];
    let mut w16: Vec<i16> = Vec::with_capacity(r * c + c); // widened weight tile, reused
    for (pc, ins) in program.instrs.iter().enumerate() {
        if now > opts.max_cycles {
            return Err(Diagnostic::new(format!(
                "simulation exceeded {} cycles",
                opts.max_cycles
            )));
        }
        m.counters.instructions += 1;
        let u = match ins {
            Instr::Load { .. } | Instr::Store { .. } => DMA,
            Instr::Compute { .. } => CU,
            Instr::Sync { mask } => {
                let mut t = now;
                for (bit, unit) in [(1u8, DMA), (2u8, CU)] {
                    if mask & bit != 0 {
                        t = t.max(free[unit]);
                    }
                }
                m.units.ctrl_wait_sync_cycles += t - now;
                now = t + 1;
                continue;
            }
            Instr::Halt => {
                let h = now.max(free[DMA]).max(free[CU]);
                m.units.ctrl_wait_sync_cycles += h - now;
                m.tracer.emit(h, "ctrl", "halt", String::new);
                return Ok(h + 1);
            }
        };
        let issue = now.max(free[u]);
        if u == DMA {
            m.units.ctrl_wait_dma_cycles += issue - now;
        } else {
            m.units.ctrl_wait_compute_cycles += issue - now;
        }
        let busy = match *ins {
            Instr::Load { target, count, .. } => {
                let b = arch.load_buffer(target).word_bytes;
                Contract::load_busy(arch, count.into(), b.into())
            }
            Instr::Store { count, .. } => Contract::store_busy(arch, count.into()),
            Instr::Compute { rows, .. } => opts.contract.compute_busy(arch, rows.into()),
            _ => unreachable!("SYNC and HALT handled above"),
        };
        let (start, end) = (issue + 1, issue + busy);
        // Race check against the other unit's overlapping instructions.
        let fp = footprint(m, ins);
        let other = 1 - u;
        active[other].retain(|a| a.end >= start);
        for a in &active[other] {
            for x in &fp {
                for y in &a.fp {
                    if x.0 == y.0 && x.1 < y.2 && y.1 < x.2 && (x.3 || y.3) && a.start <= end {
                        return Err(Diagnostic::new(format!(
                            "program race: instruction {pc} ({ins}) and instruction {} ({}) touch the same \
                             buffer words while both run; the event engine cannot order them (use --engine stepped)",
                            a.pc, program.instrs[a.pc]
                        )));
                    }
                }
            }
        }
        active[u].push(Active { start, end, pc, fp });
        m.tracer.emit(issue, "ctrl", "issue", || {
            format!("pc={pc} {}", ins.mnemonic())
        });
        if m.tracer.enabled() {
            trace_dma_beats(m, ins, start);
        }
        m.tracer.emit(
            end,
            if u == DMA { "dma" } else { "compute" },
            "done",
            String::new,
        );
        free[u] = end + 1;
        if u == DMA {
            m.units.dma_busy_cycles += busy;
        } else {
            m.units.compute_busy_cycles += busy;
        }
        apply(m, ins, &mut w16);
        now = issue + 1;
    }
    unreachable!("check_program guarantees a HALT")
}

/// The DMA's request and beat events of a LOAD or STORE whose first busy cycle is `start`
/// (docs/TIMING.md: request at τ = 0, read word i at τ = L + k_i, store beat i at τ = k_i + 1).
fn trace_dma_beats(m: &mut Machine, ins: &Instr, start: u64) {
    let arch = m.arch;
    let bw = u64::from(arch.dram.bytes_per_cycle);
    match *ins {
        Instr::Load {
            target,
            count,
            dram_addr,
            ..
        } => {
            let b = u64::from(arch.load_buffer(target).word_bytes);
            m.tracer.emit(start, "dma", "req", || {
                format!("addr={dram_addr} count={count} bytes={b}")
            });
            for i in 0..u64::from(count) {
                let at = start + arch.dram.latency.get() + Contract::dma_slot(i, b, bw);
                m.tracer.emit(at, "dma", "rbeat", || i.to_string());
            }
        }
        Instr::Store { count, .. } => {
            let b = u64::from(arch.accumulator.word_bytes);
            for i in 0..u64::from(count) {
                m.tracer.emit(
                    start + Contract::dma_slot(i, b, bw) + 1,
                    "dma",
                    "wbeat",
                    || i.to_string(),
                );
            }
        }
        _ => {}
    }
}

/// The functional effect of one instruction, with its counters.
fn apply(m: &mut Machine, ins: &Instr, w16: &mut Vec<i16>) {
    let arch = m.arch;
    let (r, c) = (arch.rows as usize, arch.cols as usize);
    match *ins {
        Instr::Load {
            target,
            count,
            dram_addr,
            sram_addr,
        } => {
            let (buf, wb) = match target {
                LoadTarget::Input => (&mut m.input, r),
                LoadTarget::Weight => (&mut m.weight, c),
            };
            let n = count as usize * wb;
            let src = &m.dram[dram_addr as usize..dram_addr as usize + n];
            let dst = &mut buf[sram_addr as usize * wb..sram_addr as usize * wb + n];
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s as i8;
            }
            m.counters.loads += 1;
            m.counters.dram_read_bytes += n as u64;
            match target {
                LoadTarget::Input => m.counters.input.writes += u64::from(count),
                LoadTarget::Weight => m.counters.weight.writes += u64::from(count),
            }
        }
        Instr::Store {
            count,
            dram_addr,
            sram_addr,
        } => {
            let words = count as usize;
            let base = dram_addr as usize;
            for w in 0..words {
                let lanes = &m.acc[(sram_addr as usize + w) * c..(sram_addr as usize + w + 1) * c];
                for (j, v) in lanes.iter().enumerate() {
                    let a = base + (w * c + j) * 4;
                    m.dram[a..a + 4].copy_from_slice(&v.to_le_bytes());
                }
            }
            m.counters.stores += 1;
            m.counters.dram_write_bytes += (words * c * 4) as u64;
            m.counters.accumulator.reads += u64::from(count);
        }
        Instr::Compute {
            rows,
            in_addr,
            w_addr,
            out_addr,
            accumulate,
        } => {
            let rows_u = rows as usize;
            let wt = &m.weight[w_addr as usize * c..(w_addr as usize + r) * c];
            let a = &m.input[in_addr as usize * r..(in_addr as usize + rows_u) * r];
            let dst = &mut m.acc[out_addr as usize * c..(out_addr as usize + rows_u) * c];
            tessera_workloads::kernel::tile(a, wt, r, c, dst, accumulate, w16);
            m.counters.computes += 1;
            m.counters.input.reads += u64::from(rows);
            m.counters.weight.reads += u64::from(arch.rows);
            m.counters.accumulator.writes += u64::from(rows);
            if accumulate {
                m.counters.accumulator.reads += u64::from(rows);
            }
            m.counters.array_macs += arch.pes() * u64::from(rows);
        }
        Instr::Sync { .. } | Instr::Halt => {}
    }
}
