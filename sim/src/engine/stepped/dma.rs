//! The DMA unit and the memory side of the DRAM channel (docs/TIMING.md, "DMA unit and the DRAM
//! port").
//!
//! [`Dma`]: one transfer at a time. A LOAD presents read request `i` when its credit counter (W
//! bytes per cycle, spent a word at a time) allows — a linear word, or the next word of the gather
//! address generator ([`tessera_arch::gather`]) — and writes each word the DRAM returns into its
//! buffer; its last busy cycle is the one its last word arrives in. A STORE reads accumulator word
//! `i` through read port b when the same kind of credit allows, presents it as write beat `i` the
//! next cycle, and ends in the cycle the DRAM acknowledges the last beat.
//!
//! [`DramPort`]: the memory. It returns each request's word L cycles after the request, writes each
//! beat into the DRAM image, and acknowledges a store L cycles after its last beat.

use super::Ports;
use crate::engine::Machine;
use std::collections::VecDeque;
use tessera_arch::gather::{Gather, ReadReq};
use tessera_arch::isa::{Instr, LoadTarget};
use tessera_arch::Arch;

/// A LOAD's word delivered this cycle: where it goes, and the request that read it.
pub(crate) struct LoadWrite {
    pub target: LoadTarget,
    pub sram_addr: u32,
    pub req: ReadReq,
}

/// What the DMA does this cycle.
#[derive(Default)]
pub(crate) struct DmaOut {
    /// The read request presented on the DRAM port: (word index, request).
    pub request: Option<(u32, ReadReq)>,
    /// A read word written into its buffer at the end of this cycle.
    pub load_write: Option<LoadWrite>,
    /// Accumulator address read through port b (STORE).
    pub acc_read: Option<u32>,
    /// Write beat presented this cycle: (index, DRAM address, last); data is port b's word.
    pub beat: Option<(u32, u32, bool)>,
    /// This is the unit's last busy cycle.
    pub done: bool,
}

/// Where a LOAD's words come from.
enum Source {
    Linear { dram_addr: u32, bytes: u32 },
    Gather(Gather),
}

enum Op {
    Load {
        target: LoadTarget,
        n: u32,
        sram_addr: u32,
        source: Source,
        /// The request of word `requested` (the next one to present).
        next: ReadReq,
        /// Bytes of credit accumulated and not spent.
        credit: u64,
        requested: u32,
        /// Words received so far.
        received: u32,
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
    /// The transfer has been granted the DRAM channel (docs/TIMING.md, "Systems"): until then it
    /// presents nothing and gains no credit.
    granted: bool,
    bytes_per_cycle: u64,
    store_word: u64,
}

impl Source {
    fn request(&mut self, i: u32) -> ReadReq {
        match self {
            Source::Linear { dram_addr, bytes } => ReadReq::linear(*dram_addr, i, *bytes),
            Source::Gather(g) => g.next(),
        }
    }
}

impl Dma {
    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    /// Busy and not yet granted the channel: requesting it this cycle.
    pub fn waits(&self) -> bool {
        self.op.is_some() && !self.granted
    }

    /// The granted transfer holds the channel this cycle: a LOAD until its last request has been
    /// presented, a STORE until its last write beat has.
    pub fn holds(&self) -> bool {
        self.granted
            && match &self.op {
                None => false,
                Some(Op::Load { n, requested, .. }) => requested < n,
                Some(Op::Store {
                    n,
                    read,
                    beat_pending,
                    ..
                }) => read < n || *beat_pending,
            }
    }

    pub fn start(&mut self, m: &mut Machine, ins: &Instr) {
        self.bytes_per_cycle = u64::from(m.arch.dram().bytes_per_cycle());
        self.store_word = u64::from(m.arch.accumulator().word_bytes());
        self.granted = false;
        let load = |target: LoadTarget, count: u16, sram_addr: u16, mut source: Source| Op::Load {
            target,
            n: count.into(),
            sram_addr: sram_addr.into(),
            next: source.request(0),
            source,
            credit: 0,
            requested: 0,
            received: 0,
        };
        self.op = Some(match *ins {
            Instr::Load {
                target,
                count,
                dram_addr,
                sram_addr,
            } => {
                m.counters.loads += 1;
                let bytes = m.arch.load_buffer(target).word_bytes();
                load(
                    target,
                    count,
                    sram_addr,
                    Source::Linear { dram_addr, bytes },
                )
            }
            Instr::Gather {
                target,
                count,
                sram_addr,
                pos,
            } => {
                m.counters.loads += 1;
                load(target, count, sram_addr, Source::Gather(m.gather(&pos)))
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

    /// This cycle's outputs; `grant`: the channel is granted to this unit this cycle.
    pub fn eval(&self, m: &mut Machine, dram: &FromDram, t: u64, grant: bool) -> DmaOut {
        let mut out = DmaOut::default();
        let go = self.granted || grant;
        match &self.op {
            None => {}
            Some(Op::Load {
                target,
                n,
                sram_addr,
                next,
                credit,
                requested,
                ..
            }) => {
                let b = u64::from(m.arch.load_buffer(*target).word_bytes());
                if go && *requested < *n && credit + self.bytes_per_cycle >= b {
                    let i = *requested;
                    m.tracer.emit(t, "dma", "rreq", || {
                        crate::trace::read_request(i.into(), next)
                    });
                    out.request = Some((i, *next));
                }
                if let Some((i, req)) = dram.word {
                    m.tracer.emit(t, "dma", "rbeat", || i.to_string());
                    out.load_write = Some(LoadWrite {
                        target: *target,
                        sram_addr: sram_addr + i,
                        req,
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
                if go && *read < *n && credit + self.bytes_per_cycle >= self.store_word {
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

    pub fn commit(&mut self, m: &Machine, out: &DmaOut, grant: bool) {
        if out.done {
            self.op = None;
            return;
        }
        self.granted |= grant;
        if !self.granted {
            return;
        }
        match &mut self.op {
            None => {}
            Some(Op::Load {
                target,
                n,
                source,
                next,
                credit,
                requested,
                received,
                ..
            }) => {
                let b = u64::from(m.arch.load_buffer(*target).word_bytes());
                if *requested < *n {
                    *credit += self.bytes_per_cycle;
                }
                if out.request.is_some() {
                    *credit -= b;
                    *requested += 1;
                    if *requested < *n {
                        *next = source.request(*requested);
                    }
                }
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

/// What the DRAM drives this cycle.
pub(crate) struct FromDram {
    /// A read word is on the data bus: its index in the transfer and its request.
    pub word: Option<(u32, ReadReq)>,
    /// The write acknowledgement.
    pub ack: bool,
}

/// The memory side of the channel.
pub(crate) struct DramPort {
    latency: u64,
    /// Read requests in flight: (cycle the word is returned, index, request), in order.
    reads: VecDeque<(u64, u32, ReadReq)>,
    ack_at: Option<u64>,
}

impl DramPort {
    pub fn new(arch: &Arch) -> Self {
        Self {
            latency: arch.dram().latency().get(),
            reads: VecDeque::new(),
            ack_at: None,
        }
    }

    pub fn eval(&self, t: u64) -> FromDram {
        FromDram {
            word: match self.reads.front() {
                Some(&(at, i, req)) if at == t => Some((i, req)),
                _ => None,
            },
            ack: self.ack_at == Some(t),
        }
    }

    /// Take this cycle's request or beat, and retire the word returned this cycle. A beat's data is
    /// port b's word (the accumulator word the DMA read last cycle).
    pub fn commit(&mut self, m: &mut Machine, out: &DmaOut, ports: &Ports, t: u64) {
        if self.reads.front().is_some_and(|r| r.0 == t) {
            self.reads.pop_front();
        }
        if let Some((i, req)) = out.request {
            self.reads.push_back((t + self.latency, i, req));
        }
        if let Some((_, addr, last)) = out.beat {
            let base = addr as usize;
            // each lane's low accumulator_bytes, little-endian (the lane's width)
            let lane = m.arch.datatypes().accumulator_bytes() as usize;
            for (j, v) in ports.acc_b.iter().enumerate() {
                m.dram[base + lane * j..base + lane * (j + 1)]
                    .copy_from_slice(&v.to_le_bytes()[..lane]);
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
