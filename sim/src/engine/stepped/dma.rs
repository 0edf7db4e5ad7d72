//! The DMA unit and the memory side of the DRAM channel (docs/TIMING.md, "DMA unit and the DRAM
//! port").
//!
//! [`Dma`]: one transfer at a time. A LOAD presents its read request in its first busy cycle and
//! writes each word the DRAM returns into its buffer; its last busy cycle is the one its last word
//! arrives in. A STORE reads accumulator word `i` through read port b when its credit counter (W
//! bytes per cycle, spent a word at a time) allows, presents it as write beat `i` the next cycle,
//! and ends in the cycle the DRAM acknowledges the last beat.
//!
//! [`DramPort`]: the memory. It returns a request's words after the latency L, paced by its own
//! credit counter (W bytes per cycle, at most one word per cycle), writes each beat into the DRAM
//! image, and acknowledges a store L cycles after its last beat.

use super::Ports;
use crate::engine::Machine;
use tessera_arch::isa::{Instr, LoadTarget};
use tessera_arch::Arch;

/// A LOAD's word delivered this cycle: where it goes.
pub(crate) struct LoadWrite {
    pub target: LoadTarget,
    pub sram_addr: u32,
    pub dram_addr: u32,
}

/// What the DMA does this cycle.
#[derive(Default)]
pub(crate) struct DmaOut {
    /// The read request presented on the DRAM port (LOAD, first busy cycle).
    pub request: Option<(u32, u32, u32)>,
    /// A read word written into its buffer at the end of this cycle.
    pub load_write: Option<LoadWrite>,
    /// Accumulator address read through port b (STORE).
    pub acc_read: Option<u32>,
    /// Write beat presented this cycle: (index, DRAM address, last); data is port b's word.
    pub beat: Option<(u32, u32, bool)>,
    /// This is the unit's last busy cycle.
    pub done: bool,
}

enum Op {
    Load {
        target: LoadTarget,
        n: u32,
        dram_addr: u32,
        sram_addr: u32,
        /// Words received so far.
        received: u32,
        /// The request has been presented.
        requested: bool,
    },
    Store {
        n: u32,
        dram_addr: u32,
        sram_addr: u32,
        /// Bytes of credit accumulated and not spent.
        credit: u64,
        /// Words read from the accumulator so far.
        read: u32,
        /// The word read last cycle is presented as a beat this cycle.
        beat_pending: bool,
    },
}

#[derive(Default)]
pub(crate) struct Dma {
    op: Option<Op>,
    bytes_per_cycle: u64,
    store_word: u64,
}

impl Dma {
    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    pub fn start(&mut self, m: &mut Machine, ins: &Instr) {
        self.bytes_per_cycle = u64::from(m.arch.dram().bytes_per_cycle());
        self.store_word = u64::from(m.arch.accumulator().word_bytes());
        self.op = Some(match *ins {
            Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            } => {
                m.counters.loads += 1;
                Op::Load {
                    target,
                    n: count.into(),
                    dram_addr,
                    sram_addr: sram_addr.into(),
                    received: 0,
                    requested: false,
                }
            }
            Instr::Store {
                count,
                dram_addr,
                sram_addr,
            } => {
                m.counters.stores += 1;
                Op::Store {
                    n: count.into(),
                    dram_addr,
                    sram_addr: sram_addr.into(),
                    credit: 0,
                    read: 0,
                    beat_pending: false,
                }
            }
            _ => unreachable!("the DMA runs LOAD and STORE"),
        });
    }

    pub fn eval(&self, m: &mut Machine, dram: &FromDram, t: u64) -> DmaOut {
        let mut out = DmaOut::default();
        match &self.op {
            None => {}
            Some(Op::Load {
                target,
                n,
                dram_addr,
                sram_addr,
                received,
                requested,
            }) => {
                let b = m.arch.load_buffer(*target).word_bytes();
                if !requested {
                    out.request = Some((*dram_addr, *n, b));
                    m.tracer.emit(t, "dma", "req", || {
                        format!("addr={dram_addr} count={n} bytes={b}")
                    });
                }
                if dram.word {
                    let i = *received;
                    m.tracer.emit(t, "dma", "rbeat", || i.to_string());
                    out.load_write = Some(LoadWrite {
                        target: *target,
                        sram_addr: sram_addr + i,
                        dram_addr: dram_addr + i * b,
                    });
                    out.done = i + 1 == *n;
                }
            }
            Some(Op::Store {
                n,
                dram_addr,
                sram_addr,
                credit,
                read,
                beat_pending,
            }) => {
                if *read < *n && credit + self.bytes_per_cycle >= self.store_word {
                    out.acc_read = Some(sram_addr + read);
                }
                if *beat_pending {
                    let i = read - 1;
                    m.tracer.emit(t, "dma", "wbeat", || i.to_string());
                    out.beat = Some((i, dram_addr + i * self.store_word as u32, i + 1 == *n));
                }
                out.done = dram.ack;
            }
        }
        out
    }

    pub fn commit(&mut self, out: &DmaOut) {
        if out.done {
            self.op = None;
            return;
        }
        match &mut self.op {
            None => {}
            Some(Op::Load {
                received,
                requested,
                ..
            }) => {
                *requested = true;
                if out.load_write.is_some() {
                    *received += 1;
                }
            }
            Some(Op::Store {
                credit,
                read,
                beat_pending,
                n,
                ..
            }) => {
                if *read < *n {
                    *credit += self.bytes_per_cycle;
                }
                *beat_pending = out.acc_read.is_some();
                if out.acc_read.is_some() {
                    *credit -= self.store_word;
                    *read += 1;
                }
            }
        }
    }
}

/// Write a LOAD's word from the DRAM image into its buffer, with its counters.
pub(crate) fn write_load_word(m: &mut Machine, w: &LoadWrite) {
    m.load_words(w.target, w.sram_addr as usize, w.dram_addr as usize, 1);
}

/// What the DRAM drives this cycle.
pub(crate) struct FromDram {
    /// A read word is on the data bus (the DMA's next word).
    pub word: bool,
    /// The write acknowledgement.
    pub ack: bool,
}

/// The memory side of the channel.
pub(crate) struct DramPort {
    latency: u64,
    bytes_per_cycle: u64,
    /// A read in progress: (cycle of the request, words, bytes per word, credit, words delivered).
    read: Option<(u64, u32, u64, u64, u32)>,
    ack_at: Option<u64>,
}

impl DramPort {
    pub fn new(arch: &Arch) -> Self {
        Self {
            latency: arch.dram().latency().get(),
            bytes_per_cycle: arch.dram().bytes_per_cycle().into(),
            read: None,
            ack_at: None,
        }
    }

    pub fn eval(&self, t: u64) -> FromDram {
        let word = match self.read {
            Some((req, _, b, credit, _)) if t >= req + self.latency => {
                credit + self.bytes_per_cycle >= b
            }
            _ => false,
        };
        FromDram {
            word,
            ack: self.ack_at == Some(t),
        }
    }

    /// Take this cycle's request or beat, and advance the read's credit. A beat's data is port b's
    /// word (the accumulator word the DMA read last cycle).
    pub fn commit(&mut self, m: &mut Machine, out: &DmaOut, ports: &Ports, t: u64) {
        if let Some((req, n, b, credit, delivered)) = &mut self.read {
            if t >= *req + self.latency {
                *credit += self.bytes_per_cycle;
                if *credit >= *b {
                    *credit -= *b;
                    *delivered += 1;
                }
            }
            if *delivered == *n {
                self.read = None;
            }
        }
        if let Some((_, n, b)) = out.request {
            self.read = Some((t, n, u64::from(b), 0, 0));
        }
        if let Some((_, addr, last)) = out.beat {
            let base = addr as usize;
            for (j, v) in ports.acc_b.iter().enumerate() {
                m.dram[base + 4 * j..base + 4 * j + 4].copy_from_slice(&v.to_le_bytes());
            }
            m.counters.dram_write_bytes += u64::from(m.arch.accumulator().word_bytes());
            if last {
                self.ack_at = Some(t + self.latency);
            }
        }
        if self.ack_at == Some(t) {
            self.ack_at = None;
        }
    }
}
