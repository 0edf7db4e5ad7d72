//! The DMA unit and the memory side of the DRAM channel (docs/TIMING.md, "DMA unit and the DRAM
//! port").
//!
//! [`Dma`]: up to `O` transfers in flight (`dram.outstanding_transfers`), in issue order. The
//! *requesting* transfer — the oldest one that still has requests or beats to present — is the only
//! one that gains credit and uses the channel; the next one becomes requesting in the cycle after
//! its last request or beat (and, in a system, once granted). A LOAD presents read requests `i`,
//! `i+1`, … in a cycle as far as its credit counter (W bytes per cycle, spent a word at a time)
//! allows, at most `P` (`dram.words_per_cycle`) of them — linear words, or the next words of the
//! gather address generator ([`tessera_arch::gather`]) — and writes each word the DRAM returns into
//! its buffer; its last busy cycle is the one its last word arrives in. A STORE
//! reads accumulator words `i`, `i+1`, … through the store read lanes (port b of the
//! accumulator's word-interleaved SRAMs) as far as the same kind of credit allows, at most `P` of
//! them, presents them as write beats the next cycle, and ends in the cycle the DRAM acknowledges
//! the last beat.
//! Words and acknowledgements come back in issue order (a transfer starts after the previous one's
//! last request or beat), so they always belong to the oldest transfer in flight.
//!
//! [`DramPort`]: the memory. It returns each request's word L cycles after the request (up to `P`
//! in one cycle), writes each
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
    /// The read requests presented on the DRAM port, in word order: (word index, request).
    pub requests: Vec<(u32, ReadReq)>,
    /// The read words written into their buffer at the end of this cycle.
    pub load_writes: Vec<LoadWrite>,
    /// Accumulator words read through the store read lanes (STORE): (first address, count), the
    /// words consecutive.
    pub acc_read: Option<(u32, u32)>,
    /// Write beats presented this cycle: words read last cycle, the data port b's words.
    pub beats: Option<Beats>,
    /// This is the unit's last busy cycle.
    pub done: bool,
}

/// The write beats of one cycle: `count` consecutive words of a STORE, at consecutive DRAM
/// addresses from `dram_addr`.
#[derive(Clone, Copy)]
pub(crate) struct Beats {
    pub count: u32,
    pub dram_addr: u32,
    /// The last beat of the transfer is among them.
    pub last: bool,
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
        /// Words read last cycle, presented as beats this cycle.
        beat_pending: u32,
    },
}

/// A transfer in flight.
struct Slot {
    op: Op,
    /// The transfer has been granted the DRAM channel (docs/TIMING.md, "Systems"; alone, in the
    /// cycle after the previous transfer's last request or beat): until then it presents nothing
    /// and gains no credit.
    granted: bool,
}

impl Op {
    /// Every request (LOAD) or beat (STORE) has been presented: the transfer no longer holds the
    /// channel.
    fn requests_done(&self) -> bool {
        match self {
            Op::Load { n, requested, .. } => requested >= n,
            Op::Store {
                n,
                read,
                beat_pending,
                ..
            } => read >= n && *beat_pending == 0,
        }
    }
}

#[derive(Default)]
pub(crate) struct Dma {
    /// Transfers in flight, oldest first.
    slots: VecDeque<Slot>,
    outstanding: usize,
    bytes_per_cycle: u64,
    /// P: read requests a LOAD may present in one cycle.
    words_per_cycle: u32,
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
    pub fn new(arch: &Arch) -> Self {
        Dma {
            slots: VecDeque::new(),
            outstanding: arch.dram().outstanding_transfers() as usize,
            bytes_per_cycle: u64::from(arch.dram().bytes_per_cycle()),
            words_per_cycle: arch.dram().words_per_cycle(),
            store_word: u64::from(arch.accumulator().word_bytes()),
        }
    }

    /// A transfer is in flight.
    pub fn busy(&self) -> bool {
        !self.slots.is_empty()
    }

    /// A transfer may issue: fewer than `O` are in flight.
    pub fn accepts(&self) -> bool {
        self.slots.len() < self.outstanding
    }

    /// The requesting transfer (the oldest with requests or beats left).
    fn requesting(&self) -> Option<&Slot> {
        self.slots.iter().find(|s| !s.op.requests_done())
    }

    /// A transfer with requests left waits for the channel: requesting it this cycle.
    pub fn waits(&self) -> bool {
        self.requesting().is_some_and(|s| !s.granted)
    }

    /// The granted transfer holds the channel this cycle: a LOAD until its last request has been
    /// presented, a STORE until its last write beat has.
    pub fn holds(&self) -> bool {
        self.requesting().is_some_and(|s| s.granted)
    }

    pub fn start(&mut self, m: &mut Machine, ins: &Instr) {
        let load = |target: LoadTarget, count: u16, sram_addr: u32, mut source: Source| Op::Load {
            target,
            n: count.into(),
            sram_addr,
            next: source.request(0),
            source,
            credit: 0,
            requested: 0,
            received: 0,
        };
        let op = match *ins {
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
                    sram_addr,
                    credit: 0,
                    read: 0,
                    beat_pending: 0,
                }
            }
            _ => unreachable!("the DMA runs LOAD and STORE"),
        };
        self.slots.push_back(Slot { op, granted: false });
    }

    /// This cycle's outputs; `grant`: the channel is granted to this unit's requesting transfer
    /// this cycle.
    pub fn eval(&mut self, m: &mut Machine, dram: &FromDram, t: u64, grant: bool) -> DmaOut {
        let mut out = DmaOut::default();
        let (p, w) = (self.words_per_cycle, self.bytes_per_cycle);
        // the request side: the requesting transfer, once granted
        if let Some(s) = self.slots.iter_mut().find(|s| !s.op.requests_done()) {
            let go = s.granted || grant;
            match &mut s.op {
                Op::Load {
                    target,
                    n,
                    next,
                    source,
                    credit,
                    requested,
                    ..
                } => {
                    let b = u64::from(m.arch.load_buffer(*target).word_bytes());
                    // the words whose credit has accumulated, at most P of them: requests
                    // `requested .. requested + q` (the gather generator runs ahead here; commit
                    // takes the counts, and `next` stays the first word not yet presented)
                    let mut avail = *credit + w;
                    let mut i = *requested;
                    while go && i < *n && i - *requested < p && avail >= b {
                        let r = if i == *requested {
                            *next
                        } else {
                            source.request(i)
                        };
                        m.tracer.emit(t, "dma", "rreq", || {
                            crate::trace::read_request(i.into(), &r)
                        });
                        out.requests.push((i, r));
                        avail -= b;
                        i += 1;
                    }
                }
                Op::Store {
                    n,
                    dram_addr,
                    sram_addr,
                    credit,
                    read,
                    beat_pending,
                } => {
                    // the words whose credit has accumulated, at most P of them
                    let b = self.store_word;
                    let mut q = 0u32;
                    while go && *read + q < *n && q < p && *credit + w >= b * u64::from(q + 1) {
                        q += 1;
                    }
                    if q > 0 {
                        out.acc_read = Some((*sram_addr + *read, q));
                    }
                    if *beat_pending > 0 {
                        let first = *read - *beat_pending;
                        for i in first..*read {
                            m.tracer.emit(t, "dma", "wbeat", || i.to_string());
                        }
                        out.beats = Some(Beats {
                            count: *beat_pending,
                            dram_addr: *dram_addr + first * b as u32,
                            last: *read == *n,
                        });
                    }
                }
            }
        }
        // the completion side: words and acknowledgements belong to the oldest transfer
        if let Some(s) = self.slots.front() {
            match &s.op {
                Op::Load {
                    target,
                    n,
                    sram_addr,
                    ..
                } => {
                    for &(i, req) in &dram.words {
                        m.tracer.emit(t, "dma", "rbeat", || i.to_string());
                        out.load_writes.push(LoadWrite {
                            target: *target,
                            sram_addr: sram_addr + i,
                            req,
                        });
                        out.done |= i + 1 == *n;
                    }
                }
                Op::Store { .. } => {
                    debug_assert!(dram.words.is_empty(), "a read word while a STORE is oldest");
                    out.done = dram.ack;
                }
            }
        }
        out
    }

    pub fn commit(&mut self, m: &Machine, out: &DmaOut, grant: bool) {
        if let Some(s) = self.slots.iter_mut().find(|s| !s.op.requests_done()) {
            s.granted |= grant;
            if s.granted {
                match &mut s.op {
                    Op::Load {
                        target,
                        n,
                        source,
                        next,
                        credit,
                        requested,
                        ..
                    } => {
                        let b = u64::from(m.arch.load_buffer(*target).word_bytes());
                        if *requested < *n {
                            *credit += self.bytes_per_cycle;
                        }
                        if !out.requests.is_empty() {
                            let q = out.requests.len() as u32;
                            *credit -= b * u64::from(q);
                            *requested += q;
                            if *requested < *n {
                                *next = source.request(*requested);
                            }
                        }
                    }
                    Op::Store {
                        credit,
                        read,
                        beat_pending,
                        n,
                        ..
                    } => {
                        if *read < *n {
                            *credit += self.bytes_per_cycle;
                        }
                        let q = out.acc_read.map_or(0, |(_, q)| q);
                        *beat_pending = q;
                        *credit -= self.store_word * u64::from(q);
                        *read += q;
                    }
                }
            }
        }
        if !out.load_writes.is_empty() {
            if let Some(Slot {
                op: Op::Load { received, .. },
                ..
            }) = self.slots.front_mut()
            {
                *received += out.load_writes.len() as u32;
            }
        }
        if out.done {
            self.slots.pop_front();
        }
    }
}

/// What the DRAM drives this cycle.
pub(crate) struct FromDram {
    /// The read words on the data bus (up to `P`, in word order): their index in the transfer and
    /// their request.
    pub words: Vec<(u32, ReadReq)>,
    /// The write acknowledgement.
    pub ack: bool,
}

/// The memory side of the channel.
pub(crate) struct DramPort {
    latency: u64,
    /// Read requests in flight: (cycle the word is returned, index, request), in order.
    reads: VecDeque<(u64, u32, ReadReq)>,
    /// Write acknowledgements due (one per STORE in flight whose last beat has been seen), in order.
    acks: VecDeque<u64>,
}

impl DramPort {
    pub fn new(arch: &Arch) -> Self {
        Self {
            latency: arch.dram().latency().get(),
            reads: VecDeque::new(),
            acks: VecDeque::new(),
        }
    }

    pub fn eval(&self, t: u64) -> FromDram {
        FromDram {
            words: self
                .reads
                .iter()
                .take_while(|r| r.0 == t)
                .map(|&(_, i, req)| (i, req))
                .collect(),
            ack: self.acks.front() == Some(&t),
        }
    }

    /// Take this cycle's requests or beats, and retire the words returned this cycle. The beats'
    /// data are port b's words (the accumulator words the DMA read last cycle).
    pub fn commit(&mut self, m: &mut Machine, out: &DmaOut, ports: &Ports, t: u64) {
        while self.reads.front().is_some_and(|r| r.0 == t) {
            self.reads.pop_front();
        }
        for &(i, req) in &out.requests {
            self.reads.push_back((t + self.latency, i, req));
        }
        if let Some(Beats {
            count,
            dram_addr,
            last,
        }) = out.beats
        {
            let base = dram_addr as usize;
            // each lane's low accumulator_bytes, little-endian (the lane's width); the beats'
            // words lie back to back
            let lane = m.arch.datatypes().accumulator_bytes() as usize;
            let words = m.arch.cols() as usize * count as usize;
            for (j, v) in ports.acc_b[..words].iter().enumerate() {
                m.dram[base + lane * j..base + lane * (j + 1)]
                    .copy_from_slice(&v.to_le_bytes()[..lane]);
            }
            m.counters.dram_write_bytes +=
                u64::from(m.arch.accumulator().word_bytes()) * u64::from(count);
            if last {
                self.acks.push_back(t + self.latency);
            }
        }
        if self.acks.front() == Some(&t) {
            self.acks.pop_front();
        }
    }
}
