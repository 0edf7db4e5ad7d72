//! The timing contract of docs/TIMING.md as pure functions: busy lengths and beat times. This is the
//! one executable copy on the Rust side; the event engine, the analytical model, the search's cost
//! bound and the RTL tests' expectations (through the event engine) all call it.
//!
//! The stepped engine and the generated Verilog do not: each produces its cycles from its own
//! registers and pipelines (credit counters, valid bits travelling with the data), so the RTL ≡
//! simulator check (`tessera-verif`) and the stepped ≡ event property test hold all three to the
//! text. A deliberate fault in one number here ([`Contract::with_fault`], test builds only) shows up
//! as the first divergent event of a trace diff.
//!
//! Times are relative: τ = 0 is an instruction's first busy cycle (the cycle after it issues).

use tessera_arch::{Arch, Dataflow};

/// Numbers of the contract that are not derived from the architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Contract {
    /// Extra cycles added to every COMPUTE's busy length. Zero in the contract; non-zero only to
    /// inject a fault in tests of the trace diff.
    compute_skew: u64,
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

    /// `k_i = max(⌊i/P⌋, ceil((i+1)·b / W) - 1)`: the DMA pacing slot (relative) of word `i` of `b`
    /// bytes, at most `P` words per cycle (`P ≥ 1`). (Words are at most 65 535
    /// per transfer and 512 bytes wide, W at least 1: far inside u64.)
    pub fn dma_slot(i: u64, word_bytes: u64, bytes_per_cycle: u64, words_per_cycle: u64) -> u64 {
        (i / words_per_cycle.max(1)).max(
            (i.saturating_add(1).saturating_mul(word_bytes))
                .div_ceil(bytes_per_cycle.max(1))
                .saturating_sub(1),
        )
    }

    /// A LOAD's slot: up to `P = dram.words_per_cycle` words per cycle.
    fn slot(arch: &Arch, i: u64, b: u64) -> u64 {
        let d = arch.dram();
        Self::dma_slot(
            i,
            b,
            u64::from(d.bytes_per_cycle()),
            u64::from(d.words_per_cycle()),
        )
    }

    /// A STORE's slot: up to `P` accumulator words per cycle too (never more than `⌈W/b⌉`, so
    /// never more than the accumulator's [`Arch::store_lanes`]).
    fn store_slot(arch: &Arch, i: u64) -> u64 {
        let d = arch.dram();
        Self::dma_slot(
            i,
            u64::from(arch.accumulator().word_bytes()),
            u64::from(d.bytes_per_cycle()),
            u64::from(d.words_per_cycle()),
        )
    }

    /// τ at which a LOAD's read word `i` (of `b` bytes) arrives and is written: `L + k_i`.
    pub fn load_beat(arch: &Arch, i: u64, b: u64) -> u64 {
        arch.dram().latency().get() + Self::slot(arch, i, b)
    }

    /// τ at which a LOAD presents read request `i` (of `b` bytes): `k_i`.
    pub fn load_request(arch: &Arch, i: u64, b: u64) -> u64 {
        Self::slot(arch, i, b)
    }

    /// Busy cycles of a LOAD of `n ≥ 1` words of `b` bytes: `L + k_{n-1} + 1` (`n = 0` is illegal;
    /// it is priced as one word).
    pub fn load_busy(arch: &Arch, n: u64, b: u64) -> u64 {
        Self::load_beat(arch, n.saturating_sub(1), b) + 1
    }

    /// τ at which a STORE presents write beat `i`: `k_i + 1` (the accumulator word is read at `k_i`).
    pub fn store_beat(arch: &Arch, i: u64) -> u64 {
        Self::store_slot(arch, i) + 1
    }

    /// Busy cycles of a STORE of `n ≥ 1` accumulator words: `k_{n-1} + L + 2` (the acknowledgement
    /// comes `L` cycles after the last beat; `n = 0` is illegal and priced as one word).
    pub fn store_busy(arch: &Arch, n: u64) -> u64 {
        Self::store_beat(arch, n.saturating_sub(1)) + arch.dram().latency().get() + 1
    }

    /// Cycles a LOAD of `n ≥ 1` words of `b` bytes holds a shared DRAM channel, from its grant
    /// through its last read request: `k_{n-1} + 1` (docs/TIMING.md, "Systems").
    pub fn load_hold(arch: &Arch, n: u64, b: u64) -> u64 {
        Self::slot(arch, n.saturating_sub(1), b) + 1
    }

    /// Cycles a STORE of `n ≥ 1` words holds a shared DRAM channel, from its grant through its last
    /// write beat: `k_{n-1} + 2`.
    pub fn store_hold(arch: &Arch, n: u64) -> u64 {
        Self::store_beat(arch, n.saturating_sub(1)) + 1
    }

    /// [`OverlappedTile::after`] under this contract (a test fault adds to the tile's last cycle).
    pub fn overlapped_tile(
        &self,
        arch: &Arch,
        issue: u64,
        len: u64,
        prev: Option<&OverlappedTile>,
    ) -> OverlappedTile {
        let mut t = OverlappedTile::after(arch, issue, len, prev);
        t.done += self.compute_skew;
        t
    }

    /// Busy cycles of a COMPUTE streaming `len ≥ 1` words.
    /// - weight- and input-stationary: `X + len` ([`Contract::row_latency`]; `2R + C + len` for the
    ///   default array: R preload, skew, C-1 deskew, one write per row; input-stationary is the same
    ///   unit with its operand ports swapped);
    /// - output-stationary: `len + F + R` ([`Contract::os_fill`]: the stream, its skew and the
    ///   PE-to-PE forwarding until the last MAC at τ = len + F - 1, then R cycles of drain;
    ///   `len + 2R + C - 1` for the default array, `len + R + 1` with row and column buses).
    pub fn compute_busy(&self, arch: &Arch, len: u64) -> u64 {
        let base = match arch.dataflow() {
            Dataflow::RowStationary => unreachable!(
                "a row-stationary COMPUTE's busy length depends on its pass: Contract::rs_busy"
            ),
            Dataflow::OutputStationary => len + Self::os_fill(arch) + u64::from(arch.rows()),
            Dataflow::WeightStationary | Dataflow::InputStationary => Self::row_latency(arch) + len,
        };
        base + self.compute_skew
    }

    /// Busy cycles of a row-stationary pass of `len = E ≥ 1` outputs (docs/TIMING.md, "Compute
    /// unit: row-stationary"): `T·(E + 1) + B + 2` — the preload (`T` weight reads, the first
    /// one's word on the port one cycle later), the stream of `E·T` input words, and the last
    /// output's capture and `B` block write-backs, the last during τ = `T·(E + 1) + B + 1`.
    /// The one executable statement of it (the stepped engine's length comes from its sequencer).
    /// `None` past `u64` (never for a legal pass: `E < 2^16`, `T`, `B < 2^8`).
    pub fn rs_busy(&self, pass: &tessera_arch::isa::RsPass, len: u64) -> Option<u64> {
        u64::from(pass.steps)
            .checked_mul(len.checked_add(1)?)?
            .checked_add(u64::from(pass.blocks))?
            .checked_add(2)?
            .checked_add(self.compute_skew)
    }

    /// MAC slots of the array in a row-stationary pass: every PE makes one step per streamed
    /// input word, `R·C·E·T` (rows no block sums and padding included, as the other arrays count
    /// every PE in every streamed cycle). `None` past `u64`.
    pub fn rs_mac_slots(arch: &Arch, pass: &tessera_arch::isa::RsPass, len: u64) -> Option<u64> {
        arch.pes()
            .checked_mul(len)?
            .checked_mul(u64::from(pass.steps))
    }

    /// `F` of docs/TIMING.md, "Compute unit: output-stationary": an output-stationary COMPUTE of
    /// `len` k-steps makes its last MAC during τ = `len + F - 1` and drains during τ = `len + F ..
    /// len + F + R - 1`. `F = R + C - 1` with systolic forwarding (the last pair passes R-1 + C-1
    /// skew and forwarding registers after the read port), `F = 1` with row and column buses
    /// (every PE multiplies pair k straight from the read ports, during τ = k + 1).
    pub fn os_fill(arch: &Arch) -> u64 {
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        match arch.noc().stream {
            tessera_arch::Stream::Systolic => r + c - 1,
            tessera_arch::Stream::Broadcast => 1,
        }
    }

    /// `X` of docs/TIMING.md, "Interconnect options": the τ at which a weight- or input-stationary
    /// COMPUTE's first row is complete and written, `X₀ + (C - 1)` with systolic streaming or `X₀`
    /// with a broadcast, `X₀ = 2R + 1` with a partial-sum chain or `R + 2 + ⌈log₂ R⌉` with an adder
    /// tree (`2R + C` for the default array).
    pub fn row_latency(arch: &Arch) -> u64 {
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let noc = arch.noc();
        let x0 = match noc.reduce {
            tessera_arch::Reduce::Chain => 2 * r + 1,
            tessera_arch::Reduce::AdderTree => {
                r + 2 + u64::from(tessera_arch::Noc::tree_levels(arch.rows()))
            }
        };
        x0 + match noc.stream {
            tessera_arch::Stream::Systolic => c - 1,
            tessera_arch::Stream::Broadcast => 0,
        }
    }
}

/// One COMPUTE on an array that overlaps tiles, in absolute cycles: weight- or input-stationary
/// with double-buffered weights or inputs (docs/TIMING.md, "double-buffered weights"), or
/// output-stationary with double-buffered sums ("double-buffered sums": no preload, so
/// `preload = stream`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverlappedTile {
    /// First weight read (`P`).
    pub preload: u64,
    /// First input read (`s`).
    pub stream: u64,
    /// Last busy cycle (`D`): the last row's write.
    pub done: u64,
    /// Rows streamed (`M`).
    pub len: u64,
}

impl OverlappedTile {
    /// `1 + s_{R-1} + h_{C-1}` of docs/TIMING.md, "double-buffered weights": the tile's switch bit
    /// reaches the last PE, PE(R-1, C-1), during `s + 1 + s_{R-1} + h_{C-1}` (`s_{R-1} = R - 1`
    /// with a partial-sum chain, 0 with an adder tree; `h_{C-1} = C - 1` systolic, 0 broadcast):
    /// `R + C - 1` on the default array.
    pub fn switch_reach(arch: &Arch) -> u64 {
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let noc = arch.noc();
        let s_last = match noc.reduce {
            tessera_arch::Reduce::Chain => r - 1,
            tessera_arch::Reduce::AdderTree => 0,
        };
        let h_last = match noc.stream {
            tessera_arch::Stream::Systolic => c - 1,
            tessera_arch::Stream::Broadcast => 0,
        };
        1 + s_last + h_last
    }

    /// `X - R`: row m of a tile that starts streaming in cycle `s` is written at the end of
    /// `s + (X - R) + m` ([`Contract::row_latency`]; `R + C` on the default array).
    pub fn write_offset(arch: &Arch) -> u64 {
        Contract::row_latency(arch) - u64::from(arch.rows())
    }

    /// The tile of a COMPUTE of `len` rows issued in cycle `issue`, behind `prev` (the COMPUTE
    /// issued before it, if any): [`OverlapRule::after`] under `arch`'s rule.
    pub fn after(arch: &Arch, issue: u64, len: u64, prev: Option<&OverlappedTile>) -> Self {
        OverlapRule::of(arch).after(issue, len, prev)
    }
}

/// What [`OverlappedTile::after`] reads of an accelerator, looked up once for a run of many
/// tiles (the analytical model's walk places every overlapped tile through it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverlapRule {
    output_stationary: bool,
    rows: u64,
    /// [`OverlappedTile::switch_reach`] (weight- and input-stationary).
    reach: u64,
    /// [`OverlappedTile::write_offset`] (weight- and input-stationary).
    write_offset: u64,
    /// `F + R - 1` ([`Contract::os_fill`]; output-stationary).
    os_tail: u64,
}

impl OverlapRule {
    pub fn of(arch: &Arch) -> OverlapRule {
        let os = arch.dataflow() == Dataflow::OutputStationary;
        let rows = u64::from(arch.rows());
        OverlapRule {
            output_stationary: os,
            rows,
            reach: if os {
                0
            } else {
                OverlappedTile::switch_reach(arch)
            },
            write_offset: if os {
                0
            } else {
                OverlappedTile::write_offset(arch)
            },
            os_tail: if os {
                Contract::os_fill(arch) + rows - 1
            } else {
                0
            },
        }
    }

    /// The tile of a COMPUTE of `len` rows (k-steps on an output-stationary array) issued in
    /// cycle `issue`, behind `prev`:
    /// - weight- and input-stationary (docs/TIMING.md, "double-buffered weights"):
    ///   `P = max(c+1, s' + 1 + s_{R-1} + h_{C-1})`, `s = max(P + R, s' + M')`,
    ///   `D = s + (X - R) + M - 1` (on the default array `P = max(c+1, s' + R + C - 1)`,
    ///   `D = s + R + C + M - 1`);
    /// - output-stationary with double-buffered sums (docs/TIMING.md, "output-stationary with
    ///   double-buffered sums"): no preload (`preload = stream`), `s = max(c + 1, s' + K',
    ///   D' + 1 - K)`, `D = s + K + F + R - 1` ([`Contract::os_fill`]); its first accumulator
    ///   read is during `s + K + F - 1` ([`OverlappedTile::first_acc`]).
    #[inline]
    pub fn after(&self, issue: u64, len: u64, prev: Option<&OverlappedTile>) -> OverlappedTile {
        if self.output_stationary {
            let mut stream = issue + 1;
            if let Some(p) = prev {
                stream = stream
                    .max(p.stream + p.len)
                    .max((p.done + 1).saturating_sub(len));
            }
            return OverlappedTile {
                preload: stream,
                stream,
                done: stream + len + self.os_tail,
                len,
            };
        }
        let mut preload = issue + 1;
        let mut stream = 0;
        if let Some(p) = prev {
            preload = preload.max(p.stream + self.reach);
            stream = p.stream + p.len;
        }
        let stream = stream.max(preload + self.rows);
        OverlappedTile {
            preload,
            stream,
            done: stream + self.write_offset + len - 1,
            len,
        }
    }
}

impl OverlappedTile {
    /// The first cycle the tile reads or writes the accumulator: `s + (X - R) - 1` (weight- and
    /// input-stationary), `s + K + F - 1` (output-stationary).
    pub fn first_acc(&self, arch: &Arch) -> u64 {
        match arch.dataflow() {
            Dataflow::OutputStationary => self.stream + self.len + Contract::os_fill(arch) - 1,
            _ => self.stream + Self::write_offset(arch) - 1,
        }
    }

    /// The first cycle after the tile's stream: it reads its last streamed word (input word on a
    /// weight-stationary array, weight word on an input-stationary one, both on an
    /// output-stationary one) during `s + len - 1`, so from `s + len` on it reads neither operand
    /// buffer again (its preload, if any, ended before `s`). SYNC prev_stream passes from here on
    /// for this tile (docs/TIMING.md).
    pub fn stream_end(&self) -> u64 {
        self.stream + self.len
    }

    /// The cycles the tile reads the input and the weight buffer, first and last.
    pub fn operand_reads(&self, arch: &Arch) -> [(u64, u64); 2] {
        let streamed = (self.stream, self.stream_end() - 1);
        let preloaded = (self.preload, self.preload + u64::from(arch.rows()) - 1);
        match arch.dataflow() {
            // (validation refuses double buffering on a row-stationary array: no overlapped tiles)
            Dataflow::RowStationary => unreachable!("a row-stationary array never overlaps passes"),
            Dataflow::OutputStationary => [streamed, streamed],
            Dataflow::InputStationary => [preloaded, streamed],
            Dataflow::WeightStationary => [streamed, preloaded],
        }
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
                .map(|i| Contract::dma_slot(i, 4, 8, 1))
                .collect::<Vec<_>>(),
            [0, 1, 2, 3]
        );
        // b = 3, W = 2: words need 1.5 cycles each.
        assert_eq!(
            (0..4)
                .map(|i| Contract::dma_slot(i, 3, 2, 1))
                .collect::<Vec<_>>(),
            [1, 2, 4, 5]
        );
        // b = 16, W = 1.
        assert_eq!(Contract::dma_slot(0, 16, 1, 1), 15);
        // several words per cycle: b = 4, W = 8, P = 2: two words in every cycle
        assert_eq!(
            (0..6)
                .map(|i| Contract::dma_slot(i, 4, 8, 2))
                .collect::<Vec<_>>(),
            [0, 0, 1, 1, 2, 2]
        );
        // P = 4 but W = 8 bytes of 4-byte words: the bytes bound, two a cycle
        assert_eq!(
            (0..6)
                .map(|i| Contract::dma_slot(i, 4, 8, 4))
                .collect::<Vec<_>>(),
            [0, 0, 1, 1, 2, 2]
        );
        // b = 16, W = 32 (ws_16x16's input words), P = 4: the channel's 2 words per cycle
        assert_eq!(
            (0..5)
                .map(|i| Contract::dma_slot(i, 16, 32, 4))
                .collect::<Vec<_>>(),
            [0, 0, 1, 1, 2]
        );
        // b = 3, W = 7, P = 2: 7/3 words per cycle allowed by the bytes, capped at 2 a cycle
        assert_eq!(
            (0..8)
                .map(|i| Contract::dma_slot(i, 3, 7, 2))
                .collect::<Vec<_>>(),
            [0, 0, 1, 1, 2, 2, 3, 3]
        );
        // b = 3, W = 5, P = 4: the bytes bound, 5/3 words per cycle on average
        assert_eq!(
            (0..6)
                .map(|i| Contract::dma_slot(i, 3, 5, 4))
                .collect::<Vec<_>>(),
            [0, 1, 1, 2, 2, 3]
        );
        // never more than P words in one cycle, never more bytes than the credit, for every
        // small (b, W, P)
        for b in 1..=9u64 {
            for w in 1..=20u64 {
                for p in [1u64, 2, 4, 8] {
                    let k: Vec<u64> = (0..40).map(|i| Contract::dma_slot(i, b, w, p)).collect();
                    for (i, &ki) in k.iter().enumerate() {
                        let i = i as u64;
                        assert!(ki >= i / p, "b={b} W={w} P={p} i={i}");
                        assert!((i + 1) * b <= (ki + 1) * w, "b={b} W={w} P={p} i={i}");
                        // the earliest such slot
                        assert!(
                            ki == i / p || (i + 1) * b > ki * w,
                            "b={b} W={w} P={p} i={i}"
                        );
                    }
                    assert!(k.windows(2).all(|x| x[0] <= x[1]));
                    for t in 0..k[39] {
                        assert!(k.iter().filter(|&&x| x == t).count() as u64 <= p);
                    }
                }
            }
        }
    }

    /// A LOAD with several words per cycle: its requests and busy length follow the new pacing;
    /// a STORE of accumulator words at least W bytes wide still moves one word per cycle.
    #[test]
    fn words_per_cycle_pace_loads() {
        let mut spec = tessera_arch::builtin::arch_spec("ws_16x16").unwrap(); // W = 32, L = 40
        let one = spec.clone().validate().unwrap();
        spec.dram.words_per_cycle = Some(2);
        let two = spec.validate().unwrap();
        // 100 input words of 16 B: one per cycle, or two per cycle (32 B = W)
        assert_eq!(Contract::load_busy(&one, 100, 16), 40 + 99 + 1);
        assert_eq!(Contract::load_busy(&two, 100, 16), 40 + 49 + 1);
        assert_eq!(Contract::load_request(&two, 3, 16), 1);
        assert_eq!(Contract::load_hold(&two, 100, 16), 50);
        // 64-byte accumulator words are paced by W either way
        assert_eq!(
            Contract::store_busy(&one, 10),
            Contract::store_busy(&two, 10)
        );
        assert_eq!(Contract::store_beat(&two, 1), 4);
    }

    /// A STORE of accumulator words narrower than W moves up to P of them per cycle: ws_2x3 with
    /// 16-bit accumulators (6-byte words) on a 16 B/cycle channel.
    #[test]
    fn words_per_cycle_pace_stores() {
        let mut spec = tessera_arch::builtin::arch_spec("ws_2x3").unwrap(); // L = 12
        spec.datatypes.accumulator_bits = 16;
        spec.dram.bytes_per_cycle = 16;
        let one = spec.clone().validate().unwrap();
        let beats = |a: &Arch| {
            (0..6)
                .map(|i| Contract::store_beat(a, i))
                .collect::<Vec<_>>()
        };
        assert_eq!(beats(&one), [1, 2, 3, 4, 5, 6]);
        assert_eq!(Contract::store_busy(&one, 6), 5 + 12 + 2);
        spec.dram.words_per_cycle = Some(2);
        let two = spec.clone().validate().unwrap();
        assert_eq!(two.store_lanes(), 2);
        // two words (12 B ≤ 16 B) a cycle
        assert_eq!(beats(&two), [1, 1, 2, 2, 3, 3]);
        assert_eq!(Contract::store_busy(&two, 6), 2 + 12 + 2);
        assert_eq!(Contract::store_hold(&two, 6), 4);
        spec.dram.words_per_cycle = Some(8);
        let eight = spec.clone().validate().unwrap();
        // ⌈16/6⌉ = 3 words at most in one cycle: four store lanes; 16 B a cycle on average
        assert_eq!(eight.store_lanes(), 4);
        assert_eq!(beats(&eight), [1, 1, 2, 2, 2, 3]);
        // whatever (b, W, P), pacing with P is pacing with the store lanes S, and no cycle holds
        // more than S words
        for b in 1..=12u64 {
            for w in 1..=40u64 {
                for p in [1u32, 2, 4, 8] {
                    let s = tessera_arch::spec::store_lanes_of(p, w as u32, b as u32);
                    let k: Vec<u64> = (0..50)
                        .map(|i| Contract::dma_slot(i, b, w, p.into()))
                        .collect();
                    for (i, &ki) in k.iter().enumerate() {
                        assert_eq!(ki, Contract::dma_slot(i as u64, b, w, s.into()));
                    }
                    for t in 0..=k[49] {
                        assert!(k.iter().filter(|&&x| x == t).count() as u64 <= u64::from(s));
                    }
                }
            }
        }
    }

    /// An overlapped tile behind nothing (or behind an idle unit) times as a plain COMPUTE; behind
    /// a running one it preloads after the switch has passed and streams right behind.
    #[test]
    fn overlapped_tiles_follow_the_text() {
        let ws = tessera_arch::builtin::arch("ws_2x3").unwrap(); // R = 2, C = 3
        let c = Contract::default();
        let a = OverlappedTile::after(&ws, 10, 20, None);
        assert_eq!((a.preload, a.stream, a.done), (11, 13, 13 + 2 + 3 + 20 - 1));
        assert_eq!(a.done - 10, c.compute_busy(&ws, 20));
        // issued at a.stream + 1: preload waits for the switch (s + R + C - 1), the stream for the
        // previous stream's end
        let b = OverlappedTile::after(&ws, a.stream + 1, 5, Some(&a));
        assert_eq!(b.preload, a.stream + 4);
        assert_eq!(b.stream, a.stream + 20);
        assert_eq!(b.done, b.stream + 2 + 3 + 5 - 1);
        // a short previous tile: the preload bound wins
        let d = OverlappedTile::after(&ws, b.stream + 1, 1, Some(&b));
        assert_eq!(d.stream, b.stream + 4 + 2);
        // behind an idle unit: as if alone
        let e = OverlappedTile::after(&ws, d.done + 7, 3, Some(&d));
        assert_eq!(e, OverlappedTile::after(&ws, d.done + 7, 3, None));
    }

    /// With the interconnect options the switch reaches the last PE after `1 + s_{R-1} + h_{C-1}`
    /// cycles and rows are written `X - R` after the stream start; alone, a tile times as a plain
    /// COMPUTE of its array.
    #[test]
    fn overlapped_tiles_with_the_interconnect_options() {
        use tessera_arch::{Reduce, Stream};
        let c = Contract::default();
        // R = 4, C = 5: D = ⌈log₂ 4⌉ = 2
        for (stream, reduce, reach, offset) in [
            (Stream::Systolic, Reduce::Chain, 4 + 5 - 1, 4 + 5),
            (Stream::Broadcast, Reduce::Chain, 4, 4 + 1),
            (Stream::Systolic, Reduce::AdderTree, 5, 2 + 2 + 4),
            (Stream::Broadcast, Reduce::AdderTree, 1, 2 + 2),
        ] {
            let mut spec = tessera_arch::builtin::arch_spec("ws_4x4").unwrap();
            spec.array.cols = 5;
            spec.buffers.weight.capacity_bytes = 1000;
            spec.buffers.accumulator.capacity_bytes = 8000;
            let a = spec
                .with_noc(tessera_arch::Noc { stream, reduce })
                .with_weight_double_buffer(true)
                .validate()
                .unwrap();
            assert_eq!(
                OverlappedTile::switch_reach(&a),
                reach,
                "{stream:?} {reduce:?}"
            );
            assert_eq!(
                OverlappedTile::write_offset(&a),
                offset,
                "{stream:?} {reduce:?}"
            );
            let t = OverlappedTile::after(&a, 10, 7, None);
            assert_eq!((t.preload, t.stream), (11, 15));
            assert_eq!(t.done - 10, c.compute_busy(&a, 7));
            // issued right behind: the preload waits for the switch, the stream for the rows
            let u = OverlappedTile::after(&a, t.stream + 1, 3, Some(&t));
            assert_eq!(u.preload, (t.stream + 2).max(t.stream + reach));
            assert_eq!(u.stream, (u.preload + 4).max(t.stream + 7));
            assert_eq!(u.done, u.stream + offset + 3 - 1);
        }
    }

    /// docs/TIMING.md, "output-stationary with double-buffered sums": a tile alone times as a
    /// plain COMPUTE; behind another it streams at `max(c + 1, s' + K', D' + 1 - K)` and ends
    /// `K + F + R - 1` after its stream start, so its first accumulator read comes after the
    /// previous tile's last write; on os_2x3 (F = 4 systolic, 1 with buses).
    #[test]
    fn overlapped_output_stationary_tiles_follow_the_text() {
        for (broadcast, f) in [(false, 4u64), (true, 1)] {
            let mut s = tessera_arch::builtin::arch_spec("os_2x3")
                .unwrap()
                .with_weight_double_buffer(true);
            if broadcast {
                s = s.with_noc(tessera_arch::Noc {
                    stream: tessera_arch::Stream::Broadcast,
                    reduce: tessera_arch::Reduce::Chain,
                });
            }
            let a = s.validate().unwrap();
            assert_eq!(Contract::os_fill(&a), f);
            let c = Contract::default();
            let t0 = OverlappedTile::after(&a, 39, 2, None);
            assert_eq!((t0.preload, t0.stream, t0.done), (40, 40, 40 + 2 + f + 1));
            assert_eq!(t0.done - 39, c.compute_busy(&a, 2));
            // a short tile waits for the drain: D' + 1 - K
            let t1 = OverlappedTile::after(&a, 41, 1, Some(&t0));
            assert_eq!(t1.stream, (t0.done + 1 - 1).max(42));
            assert_eq!(t1.done, t1.stream + 1 + f + 1);
            // a long one streams as soon as it is issued, while the previous tile drains
            let t2 = OverlappedTile::after(&a, t1.stream + 1, 40, Some(&t1));
            assert_eq!(t2.stream, t1.stream + 2);
            assert!(t2.stream <= t1.done);
            for (p, t) in [(t0, t1), (t1, t2)] {
                assert!(t.first_acc(&a) > p.done);
                assert_eq!(t.operand_reads(&a), [(t.stream, t.stream + t.len - 1); 2]);
            }
            // an idle unit: the tile times alone
            let t3 = OverlappedTile::after(&a, t2.done + 5, 3, Some(&t2));
            assert_eq!(t3.stream, t2.done + 6);
        }
    }

    #[test]
    fn busy_lengths_follow_the_text() {
        let ws = tessera_arch::builtin::arch("ws_2x3").unwrap(); // W = 4, L = 12
        let os = tessera_arch::builtin::arch("os_2x3").unwrap();
        let is = tessera_arch::builtin::arch("is_2x3").unwrap();
        let c = Contract::default();
        assert_eq!(c.compute_busy(&ws, 5), 2 * 2 + 3 + 5);
        assert_eq!(c.compute_busy(&is, 5), 2 * 2 + 3 + 5);
        // an input-stationary LOAD of 3 weight words (columns of B) of R = 2 bytes
        assert_eq!(Contract::load_busy(&is, 3, 2), 12 + 2 + 1);
        assert_eq!(c.compute_busy(&os, 5), 5 + 2 * 2 + 3 - 1);
        // output-stationary with row and column buses: the last MAC at τ = len, R drain cycles
        let osb = tessera_arch::builtin::arch_spec("os_2x3")
            .unwrap()
            .with_noc(tessera_arch::Noc {
                stream: tessera_arch::Stream::Broadcast,
                reduce: tessera_arch::Reduce::Chain,
            })
            .validate()
            .unwrap();
        assert_eq!(c.compute_busy(&osb, 5), 5 + 2 + 1);
        assert_eq!(Contract::os_fill(&osb), 1);
        assert_eq!(Contract::os_fill(&os), 2 + 3 - 1);
        // LOAD of 3 input words of 2 bytes at 4 B/cycle: k = 0, 1, 2.
        assert_eq!(Contract::load_busy(&ws, 3, 2), 12 + 2 + 1);
        // STORE of 2 words of 12 bytes at 4 B/cycle: k = 2, 5; ack L after beat 1 at τ = 6.
        assert_eq!(Contract::store_beat(&ws, 1), 6);
        assert_eq!(Contract::store_busy(&ws, 2), 6 + 12 + 1);
        // the interconnect options: X = X₀ + (C-1 | 0), X₀ = 2R+1 | R+2+⌈log₂R⌉
        let noc = |stream, reduce| {
            tessera_arch::builtin::arch_spec("ws_4x4")
                .unwrap()
                .with_noc(tessera_arch::Noc { stream, reduce })
                .validate()
                .unwrap()
        };
        use tessera_arch::{Reduce, Stream};
        assert_eq!(
            c.compute_busy(&noc(Stream::Systolic, Reduce::Chain), 5),
            8 + 4 + 5
        );
        assert_eq!(
            c.compute_busy(&noc(Stream::Broadcast, Reduce::Chain), 5),
            9 + 5
        );
        assert_eq!(
            c.compute_busy(&noc(Stream::Systolic, Reduce::AdderTree), 5),
            8 + 3 + 5
        );
        assert_eq!(
            c.compute_busy(&noc(Stream::Broadcast, Reduce::AdderTree), 5),
            8 + 5
        );
        // a shared channel is held through the last request (τ = 2) or the last beat (τ = 6)
        assert_eq!(Contract::load_hold(&ws, 3, 2), 3);
        assert_eq!(Contract::store_hold(&ws, 2), 7);
        // a DMA's busy outlasts its hold, so a lone DMA never waits for the channel
        assert!(Contract::load_hold(&ws, 3, 2) < Contract::load_busy(&ws, 3, 2));
        assert!(Contract::store_hold(&ws, 2) < Contract::store_busy(&ws, 2));
    }
}
