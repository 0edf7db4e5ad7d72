//! Stepped engine: every register of the controller, the DMA, the DRAM port, the SRAM read ports,
//! the skew chains, every PE and the deskew chains advances once per cycle. Within a cycle all SRAM
//! reads happen before any write (read-during-write returns the old word, as a synchronous SRAM does),
//! then every register takes its new value. This engine is the reference the event-level engine and
//! the trace diff are written against; it is slow by design (O(R·C) work per computing cycle).
//!
//! The DRAM is modelled as a credit counter (W bytes per cycle after the latency), not with the
//! closed-form pacing of [`Contract::dma_slot`](crate::contract::Contract::dma_slot): the property test
//! between the two engines checks one against the other.

use super::Machine;
use crate::SimOptions;
use std::collections::VecDeque;
use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
use tessera_core::diag::{Diagnostic, Result};

enum DmaOp {
    Load {
        target: LoadTarget,
        n: u64,
        dram_addr: u64,
        sram_addr: u64,
        /// Cycle of the read request (τ = 0).
        req: u64,
        credit: u64,
        delivered: u64,
    },
    Store {
        n: u64,
        dram_addr: u64,
        sram_addr: u64,
        credit: u64,
        read: u64,
        /// Word read from the accumulator last cycle, presented as a beat this cycle.
        beat: Option<(u64, Vec<i32>)>,
        ack_at: Option<u64>,
    },
}

struct ComputeOp {
    start: u64,
    rows: u64,
    in_addr: u64,
    w_addr: u64,
    out_addr: u64,
    accumulate: bool,
}

struct Array {
    r: usize,
    c: usize,
    w: Vec<i8>,
    a: Vec<i8>,
    psum: Vec<i32>,
    skew: Vec<VecDeque<i8>>,
    deskew: Vec<VecDeque<i32>>,
    w_rd: Vec<i8>,
    in_rd: Vec<i8>,
    acc_rd: Vec<i32>,
}

impl Array {
    fn new(r: usize, c: usize) -> Self {
        Self {
            r,
            c,
            w: vec![0; r * c],
            a: vec![0; r * c],
            psum: vec![0; r * c],
            skew: (0..r).map(|k| VecDeque::from(vec![0; k])).collect(),
            deskew: (0..c).map(|k| VecDeque::from(vec![0; c - 1 - k])).collect(),
            w_rd: vec![0; c],
            in_rd: vec![0; r],
            acc_rd: vec![0; c],
        }
    }
}

pub(crate) fn run(m: &mut Machine, program: &Program, opts: &SimOptions) -> Result<u64> {
    let arch = m.arch;
    let (r, c) = (arch.rows as usize, arch.cols as usize);
    let lat = arch.dram.latency.get();
    let bw = u64::from(arch.dram.bytes_per_cycle);
    let mut arr = Array::new(r, c);
    let mut pc = 0usize;
    let mut dma: Option<DmaOp> = None;
    let mut cu: Option<ComputeOp> = None;
    let mut t = 0u64;
    let mut rd_w = vec![0i8; c];
    let mut rd_in = vec![0i8; r];
    let mut rd_acc = vec![0i32; c];
    loop {
        if t > opts.max_cycles {
            return Err(Diagnostic::new(format!(
                "simulation exceeded {} cycles",
                opts.max_cycles
            )));
        }
        // ---- controller: looks at the busy registers as they are at the start of the cycle.
        let (dma_busy, cu_busy) = (dma.is_some(), cu.is_some());
        let ins = program.instrs[pc];
        let mut issue: Option<Instr> = None;
        match ins {
            Instr::Load { .. } | Instr::Store { .. } => {
                if dma_busy {
                    m.units.ctrl_wait_dma_cycles += 1;
                } else {
                    issue = Some(ins);
                }
            }
            Instr::Compute { .. } => {
                if cu_busy {
                    m.units.ctrl_wait_compute_cycles += 1;
                } else {
                    issue = Some(ins);
                }
            }
            Instr::Sync { mask } => {
                if (mask & unit::DMA != 0 && dma_busy) || (mask & unit::COMPUTE != 0 && cu_busy) {
                    m.units.ctrl_wait_sync_cycles += 1;
                } else {
                    m.counters.instructions += 1;
                    pc += 1;
                }
            }
            Instr::Halt => {
                if dma_busy || cu_busy {
                    m.units.ctrl_wait_sync_cycles += 1;
                } else {
                    m.counters.instructions += 1;
                    m.tracer.emit(t, "ctrl", "halt", String::new);
                    return Ok(t + 1);
                }
            }
        }
        if let Some(i) = issue {
            m.counters.instructions += 1;
            m.tracer
                .emit(t, "ctrl", "issue", || format!("pc={pc} {}", i.mnemonic()));
            pc += 1;
        }

        // ---- read phase: every SRAM read of this cycle sees the words as they were at its start.
        let mut cu_reads = (false, false, false);
        if let Some(op) = &cu {
            let tau = t - op.start;
            let (rr, cc) = (r as u64, c as u64);
            if tau < rr {
                let a = (op.w_addr + rr - 1 - tau) as usize;
                rd_w.copy_from_slice(&m.weight[a * c..(a + 1) * c]);
                m.counters.weight.reads += 1;
                cu_reads.0 = true;
            }
            if tau >= rr && tau < rr + op.rows {
                let a = (op.in_addr + tau - rr) as usize;
                rd_in.copy_from_slice(&m.input[a * r..(a + 1) * r]);
                m.counters.input.reads += 1;
                cu_reads.1 = true;
            }
            let first_rd = 2 * rr + cc - 1;
            if op.accumulate && tau >= first_rd && tau < first_rd + op.rows {
                let a = (op.out_addr + tau - first_rd) as usize;
                rd_acc.copy_from_slice(&m.acc[a * c..(a + 1) * c]);
                m.counters.accumulator.reads += 1;
                cu_reads.2 = true;
            }
        }
        let mut store_read: Option<(u64, Vec<i32>)> = None;
        if let Some(DmaOp::Store {
            n,
            sram_addr,
            credit,
            read,
            ..
        }) = &mut dma
        {
            *credit += bw;
            let b = 4 * c as u64;
            if *read < *n && *credit >= b {
                *credit -= b;
                let a = (*sram_addr + *read) as usize;
                store_read = Some((*read, m.acc[a * c..(a + 1) * c].to_vec()));
                m.counters.accumulator.reads += 1;
                *read += 1;
            }
        }

        // ---- compute unit: array registers and write-back.
        let mut cu_done = false;
        if let Some(op) = &cu {
            let tau = t - op.start;
            m.units.compute_busy_cycles += 1;
            step_array(&mut arr, op, tau, m);
            if cu_reads.0 {
                arr.w_rd.copy_from_slice(&rd_w);
            }
            if cu_reads.1 {
                arr.in_rd.copy_from_slice(&rd_in);
            }
            if cu_reads.2 {
                arr.acc_rd.copy_from_slice(&rd_acc);
            }
            let last = 2 * r as u64 + c as u64 + op.rows - 1 + opts.contract.compute_skew;
            if tau == last {
                cu_done = true;
                m.tracer.emit(t, "compute", "done", String::new);
            }
        }

        // ---- DMA unit and the DRAM port.
        let mut dma_done = false;
        if let Some(op) = &mut dma {
            m.units.dma_busy_cycles += 1;
            match op {
                DmaOp::Load {
                    target,
                    n,
                    dram_addr,
                    sram_addr,
                    req,
                    credit,
                    delivered,
                } => {
                    if t == *req {
                        let b = if *target == LoadTarget::Input { r } else { c };
                        m.tracer.emit(t, "dma", "req", || {
                            format!("addr={dram_addr} count={n} bytes={b}")
                        });
                    }
                    if t >= *req + lat {
                        *credit += bw;
                        let (buf, b) = match target {
                            LoadTarget::Input => (&mut m.input, r),
                            LoadTarget::Weight => (&mut m.weight, c),
                        };
                        if *credit >= b as u64 {
                            *credit -= b as u64;
                            let src = (*dram_addr as usize) + (*delivered as usize) * b;
                            let dst = (*sram_addr + *delivered) as usize * b;
                            for j in 0..b {
                                buf[dst + j] = m.dram[src + j] as i8;
                            }
                            match target {
                                LoadTarget::Input => m.counters.input.writes += 1,
                                LoadTarget::Weight => m.counters.weight.writes += 1,
                            }
                            m.counters.dram_read_bytes += b as u64;
                            let i = *delivered;
                            m.tracer.emit(t, "dma", "rbeat", || i.to_string());
                            *delivered += 1;
                            if *delivered == *n {
                                dma_done = true;
                            }
                        }
                    }
                }
                DmaOp::Store {
                    n,
                    dram_addr,
                    beat,
                    ack_at,
                    ..
                } => {
                    if let Some((i, lanes)) = beat.take() {
                        m.tracer.emit(t, "dma", "wbeat", || i.to_string());
                        let base = *dram_addr as usize + i as usize * c * 4;
                        for (j, v) in lanes.iter().enumerate() {
                            m.dram[base + 4 * j..base + 4 * j + 4]
                                .copy_from_slice(&v.to_le_bytes());
                        }
                        m.counters.dram_write_bytes += 4 * c as u64;
                        if i + 1 == *n {
                            *ack_at = Some(t + lat);
                        }
                    }
                    *beat = store_read.take();
                    if *ack_at == Some(t) {
                        dma_done = true;
                    }
                }
            }
            if dma_done {
                m.tracer.emit(t, "dma", "done", String::new);
            }
        }

        // ---- commit: busy registers and newly issued instructions.
        if cu_done {
            cu = None;
        }
        if dma_done {
            dma = None;
        }
        match issue {
            Some(Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            }) => {
                m.counters.loads += 1;
                dma = Some(DmaOp::Load {
                    target,
                    n: count.into(),
                    dram_addr: dram_addr.into(),
                    sram_addr: sram_addr.into(),
                    req: t + 1,
                    credit: 0,
                    delivered: 0,
                });
            }
            Some(Instr::Store {
                count,
                dram_addr,
                sram_addr,
            }) => {
                m.counters.stores += 1;
                dma = Some(DmaOp::Store {
                    n: count.into(),
                    dram_addr: dram_addr.into(),
                    sram_addr: sram_addr.into(),
                    credit: 0,
                    read: 0,
                    beat: None,
                    ack_at: None,
                });
            }
            Some(Instr::Compute {
                rows,
                in_addr,
                w_addr,
                out_addr,
                accumulate,
            }) => {
                m.counters.computes += 1;
                m.counters.array_macs += m.arch.pes() * u64::from(rows);
                cu = Some(ComputeOp {
                    start: t + 1,
                    rows: rows.into(),
                    in_addr: in_addr.into(),
                    w_addr: w_addr.into(),
                    out_addr: out_addr.into(),
                    accumulate,
                });
            }
            _ => {}
        }
        t += 1;
    }
}

/// One cycle of the compute unit at relative cycle `tau` (docs/TIMING.md, "Compute unit").
/// Uses the registers' values during this cycle and writes their next values.
fn step_array(arr: &mut Array, op: &ComputeOp, tau: u64, m: &mut Machine) {
    let (r, c) = (arr.r, arr.c);
    let (rr, cc) = (r as u64, c as u64);
    // Deskew outputs during this cycle (column C-1 has no register: the PE's own psum).
    let bottom = (r - 1) * c;
    let first_wb = 2 * rr + cc;
    if tau >= first_wb && tau < first_wb + op.rows {
        let mi = tau - first_wb;
        let a = ((op.out_addr + mi) as usize) * c;
        for col in 0..c {
            let v = if col == c - 1 {
                arr.psum[bottom + col]
            } else {
                *arr.deskew[col].front().expect("deskew")
            };
            let v = if op.accumulate {
                arr.acc_rd[col].wrapping_add(v)
            } else {
                v
            };
            m.acc[a + col] = v;
        }
        m.counters.accumulator.writes += 1;
    }
    for col in 0..c.saturating_sub(1) {
        let d = &mut arr.deskew[col];
        d.pop_front();
        d.push_back(arr.psum[bottom + col]);
    }
    // PEs, bottom-right first so every neighbour read is still this cycle's value.
    for row in (0..r).rev() {
        let a_left = if row == 0 {
            arr.in_rd[0]
        } else {
            *arr.skew[row].front().expect("skew")
        };
        for col in (0..c).rev() {
            let i = row * c + col;
            let a_in = if col == 0 { a_left } else { arr.a[i - 1] };
            let p_in = if row == 0 { 0 } else { arr.psum[i - c] };
            arr.a[i] = a_in;
            arr.psum[i] = p_in.wrapping_add(i32::from(a_in) * i32::from(arr.w[i]));
        }
    }
    for row in 1..r {
        let s = &mut arr.skew[row];
        s.pop_front();
        s.push_back(arr.in_rd[row]);
    }
    // Weight preload: shift down, the word read last cycle enters row 0.
    if tau >= 1 && tau <= rr {
        arr.w.copy_within(0..(r - 1) * c, c);
        arr.w[..c].copy_from_slice(&arr.w_rd);
    }
}
