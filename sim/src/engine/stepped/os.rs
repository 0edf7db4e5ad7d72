//! The output-stationary compute unit (docs/TIMING.md, "Compute unit: output-stationary"), register
//! by register: the stream sequencer, the input skew chains (one per PE row) and weight skew chains
//! (one per PE column), the PE mesh (`a` moves right, `b` moves down, each PE keeps its sum), and the
//! drain (sums shift down one PE row per cycle; PE row R-1's sums are the written row).
//!
//! With row and column buses (`array.noc.stream: Broadcast`, docs/TIMING.md, "Interconnect options
//! of the output-stationary array") there are no skew chains and no `a`/`b` registers: byte r of
//! the input port is the `a` of every PE of row r, byte c of the weight port the `b` of every PE of
//! column c, in the same cycle.
//!
//! Outside the stream the unit feeds zeros into the skew chains (or onto the buses), so every PE
//! adds 0 after its last pair. When the drain starts comes out of the pipeline: each streamed
//! k-step carries a valid tag through the port register, the skew chain of PE row R-1 and the `a`
//! registers along PE row R-1 (with buses: the port register alone); the cycle the last tag reaches
//! PE (R-1, C-1) is its last MAC, and the drain follows.

use super::{ComputeOp, ComputeOut, Ports, Reads, TagPath};
use std::collections::VecDeque;
use tessera_arch::{Noc, Stream};

pub(crate) struct OsUnit {
    r: usize,
    c: usize,
    /// Row and column buses instead of skew chains and forwarding registers.
    broadcast: bool,
    op: Option<ComputeOp>,
    /// Cycles since the first busy cycle (τ).
    tau: u32,
    /// `a_out` and `b_out` registers (systolic; with buses, the bus values of this cycle) and the
    /// stationary sums, PE (r, c) at r·C + c.
    a: Vec<i8>,
    b: Vec<i8>,
    acc: Vec<i32>,
    /// Row r's input skew chain (r registers) and column c's weight skew chain (c registers);
    /// empty with buses.
    skew_a: Vec<VecDeque<i8>>,
    skew_b: Vec<VecDeque<i8>>,
    /// Valid tags (k-step index) along PE row R-1's operand path.
    tags: TagPath,
    /// Drain cycle d (0..R): PE row R-1 holds output row R-1-d.
    drain: Option<u32>,
    out_row: Vec<i32>,
}

impl OsUnit {
    pub fn new(r: usize, c: usize, noc: Noc) -> Self {
        let broadcast = noc.stream == Stream::Broadcast;
        let stages = |k: usize| if broadcast { 0 } else { k };
        Self {
            r,
            c,
            broadcast,
            op: None,
            tau: 0,
            a: vec![0; r * c],
            b: vec![0; r * c],
            acc: vec![0; r * c],
            skew_a: (0..r).map(|k| VecDeque::from(vec![0; stages(k)])).collect(),
            skew_b: (0..c).map(|k| VecDeque::from(vec![0; stages(k)])).collect(),
            tags: if broadcast {
                TagPath::port_only()
            } else {
                TagPath::new(r, c)
            },
            drain: None,
            out_row: vec![0; c],
        }
    }

    pub fn busy(&self) -> bool {
        self.op.is_some()
    }

    pub fn start(&mut self, op: ComputeOp) {
        self.op = Some(op);
        self.tau = 0;
    }

    pub fn out_row(&self) -> &[i32] {
        &self.out_row
    }

    pub fn eval(&mut self, ports: &Ports) -> ComputeOut {
        let mut out = ComputeOut::default();
        let Some(op) = self.op else {
            return out;
        };
        let (r, tau) = (self.r as u32, self.tau);
        let streaming = tau < op.len;
        // the old row one cycle before its write: row R-1 in the last MAC cycle, then R-2-d in drain d
        let old_row = match self.drain {
            None => (self.tags.last_pe() == Some(op.len - 1)).then_some(r - 1),
            Some(d) => (d + 1 < r).then(|| r - 2 - d),
        };
        out.reads = Reads {
            input: streaming.then(|| op.in_addr + tau),
            weight: streaming.then(|| op.w_addr + tau),
            acc_a: old_row
                .filter(|_| op.accumulate)
                .map(|row| op.out_addr + row),
            acc_b: None,
        };
        if let Some(d) = self.drain {
            let bottom = (self.r - 1) * self.c;
            for col in 0..self.c {
                let v = self.acc[bottom + col];
                self.out_row[col] = if op.accumulate {
                    ports.acc_a[col].wrapping_add(v)
                } else {
                    v
                };
            }
            out.acc_write = Some(op.out_addr + r - 1 - d);
            out.done = d + 1 == r;
        }
        out
    }

    pub fn commit(&mut self, ports: &Ports, out: &ComputeOut) {
        let Some(op) = self.op else {
            return;
        };
        let (r, c) = (self.r, self.c);
        let valid = self.tags.port().is_some();
        // tags
        let last_mac = self.tags.last_pe() == Some(op.len - 1);
        self.tags.shift(out.reads.input.map(|a| a - op.in_addr));
        // PEs, a row at a time from the bottom, so the row above still holds this cycle's values:
        // a_out <= a_in (the row shifts right), b_out <= b_in (the row above's b_out, or the skewed
        // weights for row 0), and acc <= acc + a_in·b_in, or the row above's acc while draining.
        // With buses, a_in and b_in are the (masked) port bytes of the PE's row and column.
        let draining = self.drain.is_some();
        for row in (0..r).rev() {
            let base = row * c;
            let a_row = &mut self.a[base..base + c];
            if self.broadcast {
                a_row.fill(if valid { ports.input[row] } else { 0 });
            } else {
                let a_left = match row {
                    0 if valid => ports.input[0],
                    0 => 0,
                    _ => *self.skew_a[row].front().expect("skew stages"),
                };
                a_row.copy_within(0..c - 1, 1);
                a_row[0] = a_left;
            }
            let (b_above, b_here) = self.b.split_at_mut(base);
            let b_row = &mut b_here[..c];
            if self.broadcast {
                for (b, &w) in b_row.iter_mut().zip(&ports.weight) {
                    *b = if valid { w } else { 0 };
                }
            } else if row == 0 {
                b_row[0] = if valid { ports.weight[0] } else { 0 };
                for (col, b) in b_row.iter_mut().enumerate().skip(1) {
                    *b = *self.skew_b[col].front().expect("skew stages");
                }
            } else {
                b_row.copy_from_slice(&b_above[base - c..]);
            }
            let (acc_above, acc_here) = self.acc.split_at_mut(base);
            let acc_row = &mut acc_here[..c];
            if draining {
                // sums shift down one row; row 0 takes zero
                if row == 0 {
                    acc_row.fill(0);
                } else {
                    acc_row.copy_from_slice(&acc_above[base - c..]);
                }
            } else {
                for ((s, &a), &b) in acc_row.iter_mut().zip(a_row.iter()).zip(b_row.iter()) {
                    *s = s.wrapping_add(i32::from(a) * i32::from(b));
                }
            }
        }
        for row in 1..r {
            let s = &mut self.skew_a[row];
            if s.pop_front().is_some() {
                s.push_back(if valid { ports.input[row] } else { 0 });
            }
        }
        for col in 1..c {
            let s = &mut self.skew_b[col];
            if s.pop_front().is_some() {
                s.push_back(if valid { ports.weight[col] } else { 0 });
            }
        }
        self.drain = match self.drain {
            None if last_mac => Some(0),
            None => None,
            Some(d) => Some(d + 1),
        };
        self.tau += 1;
        if out.done {
            self.op = None;
            self.drain = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::Reduce;

    /// What one tile did: its busy cycles, the rows it wrote (address, lanes) and the τ of each
    /// write.
    struct Tile {
        busy: u32,
        writes: Vec<(u32, Vec<i32>)>,
        taus: Vec<u32>,
    }

    /// One COMPUTE of `k` k-steps on an `r`×`c` unit over SRAM words drawn from a seed, with the
    /// read ports sampled as the engine samples them (and holding other data before the stream,
    /// which the unit must mask). Panics if a written row is not `Σ_k A[row][k]·B[k][col]` (plus the old
    /// row when accumulating).
    fn run(r: usize, c: usize, noc: Noc, k: u32, accumulate: bool) -> Tile {
        let mut x = 0x2545_f491_4f6c_dd1du64 ^ u64::from(k);
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let input: Vec<i8> = (0..k as usize * r).map(|_| next() as i8).collect();
        let weight: Vec<i8> = (0..k as usize * c).map(|_| next() as i8).collect();
        let old: Vec<i32> = (0..r * c).map(|_| next() as i32 >> 8).collect();
        let mut u = OsUnit::new(r, c, noc);
        u.start(ComputeOp {
            len: k,
            in_addr: 0,
            w_addr: 0,
            out_addr: 0,
            accumulate,
        });
        let mut ports = Ports {
            input: vec![0x55; r],
            weight: vec![0x33; c],
            acc_a: vec![0; c],
            acc_b: vec![0; c],
        };
        let (mut writes, mut taus) = (vec![], vec![]);
        for tau in 0..10_000u32 {
            let out = u.eval(&ports);
            if let Some(a) = out.acc_write {
                writes.push((a, u.out_row().to_vec()));
                taus.push(tau);
            }
            u.commit(&ports, &out);
            if let Some(a) = out.reads.input {
                ports.input = input[a as usize * r..(a as usize + 1) * r].to_vec();
            }
            if let Some(a) = out.reads.weight {
                ports.weight = weight[a as usize * c..(a as usize + 1) * c].to_vec();
            }
            if let Some(a) = out.reads.acc_a {
                ports.acc_a = old[a as usize * c..(a as usize + 1) * c].to_vec();
            }
            if out.done {
                assert!(!u.busy());
                for (a, row) in &writes {
                    let a = *a as usize;
                    for (col, &v) in row.iter().enumerate() {
                        let mut s = (0..k as usize).fold(0i32, |s, j| {
                            s.wrapping_add(
                                i32::from(input[j * r + a]) * i32::from(weight[j * c + col]),
                            )
                        });
                        if accumulate {
                            s = s.wrapping_add(old[a * c + col]);
                        }
                        assert_eq!(v, s, "{r}x{c} {noc:?} k={k}: row {a} col {col}");
                    }
                }
                return Tile {
                    busy: tau + 1,
                    writes,
                    taus,
                };
            }
        }
        panic!("{r}x{c} {noc:?}: the tile never finished");
    }

    /// The unit's own registers give docs/TIMING.md's timing: with systolic forwarding the drain
    /// starts at τ = K + R + C - 1 (busy K + 2R + C - 1), with row and column buses at τ = K + 1
    /// (busy K + R + 1); rows R-1 down to 0 are written one per cycle, with the right sums.
    #[test]
    fn buses_remove_the_fill_and_keep_the_drain() {
        let buses = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::Chain,
        };
        for (r, c, k, acc) in [
            (1, 1, 1, false),
            (2, 3, 5, true),
            (4, 4, 9, false),
            (5, 2, 1, true),
        ] {
            let sys = run(r, c, Noc::default(), k, acc);
            let bus = run(r, c, buses, k, acc);
            let (r32, c32) = (r as u32, c as u32);
            assert_eq!(sys.busy, k + 2 * r32 + c32 - 1);
            assert_eq!(bus.busy, k + r32 + 1);
            assert_eq!(sys.taus, (k + r32 + c32 - 1..sys.busy).collect::<Vec<_>>());
            assert_eq!(bus.taus, (k + 1..bus.busy).collect::<Vec<_>>());
            let order: Vec<u32> = (0..r32).rev().collect();
            assert_eq!(bus.writes.iter().map(|w| w.0).collect::<Vec<_>>(), order);
            assert_eq!(sys.writes, bus.writes, "{r}x{c}: the same rows on both");
        }
    }
}
