//! The schedule: the one place where a (layer, accelerator, mapping) becomes a sequence of tiles.
//!
//! Every dataflow uses the same loop nest, outermost first (a COMPUTE per innermost iteration):
//!
//! ```text
//! for m-tile    (tile_m rows of M)           -- WS: tile_m streamed rows;  OS: R rows, one per PE row
//!   for n-tile  (tile_n columns of N)        -- the output tile the accumulator keeps
//!     for k-tile (tile_k of K)               -- WS: R, one per PE row;      OS: tile_k streamed steps
//!       for n-slice (C columns of the n-tile)
//!         COMPUTE: acc[n-slice] (+)= A[m-tile, k-tile] · B[k-tile, n-slice]
//!     STORE the n-tile's accumulator words, one STORE per n-slice
//! ```
//!
//! What each tile moves is a function of where it stands in the nest ([`Class`]es), written once per
//! dataflow in [`Schedule::shape`]: the slice of A is loaded at the first n-slice of each k-tile and
//! reused by the others, a slice of B is loaded for every COMPUTE, the first k-tile of an output tile
//! writes the accumulators and later ones accumulate, and the last k-tile's last n-slice is followed by
//! the stores. Everything else derives from this:
//! - [`Schedule::for_each_step`] walks the tiles in order with their coordinates (the lowering emits
//!   the program from it, the analytical model times it);
//! - [`Schedule::summary`] sums the shapes in closed form over the nest's classes: instructions,
//!   words moved per buffer, MACs — the program-length check, the analytical model's access counts
//!   and the search's cost bound.
//!
//! Reuse captured: an A slice across the n-slices of an output tile, a partial sum across the
//! k-tiles (it never leaves the accumulator), and the stationary operand across the stream (WS: the
//! weight tile across `tile_m` rows; OS: the output tile across `tile_k` steps). Not captured (later
//! mappings): other loop orders, B reuse across m-tiles, several tiles resident per buffer half.

use crate::mapping::Mapping;
use crate::nest::{Class, Dim, Loop, Nest, Pos};
use serde::{Deserialize, Serialize};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::Gemm;

/// Loop positions in the nest.
const M_TILE: usize = 0;
const N_TILE: usize = 1;
const K_TILE: usize = 2;
const N_SLICE: usize = 3;

/// What one tile (one COMPUTE with its transfers) moves and computes. A function of the loop
/// classes alone, so it sums in closed form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// Words loaded into the input buffer before the COMPUTE (0: the resident A slice is reused).
    pub input_words: u32,
    /// Words loaded into the weight buffer before the COMPUTE (0: reused).
    pub weight_words: u32,
    /// Words the COMPUTE streams (its `len` field).
    pub len: u32,
    /// Whether the COMPUTE adds to the accumulator words (else it overwrites them).
    pub accumulate: bool,
    /// Input-buffer words the COMPUTE reads.
    pub input_reads: u32,
    /// Weight-buffer words the COMPUTE reads.
    pub weight_reads: u32,
    /// Accumulator words the COMPUTE writes (and, when accumulating, reads first).
    pub out_words: u32,
    /// STOREs after the COMPUTE (one per n-slice of the output tile, on its last tile).
    pub stores: u32,
    /// Words per STORE.
    pub store_words: u32,
}

impl Shape {
    /// LOADs before the COMPUTE.
    pub fn loads(&self) -> u32 {
        u32::from(self.input_words > 0) + u32::from(self.weight_words > 0)
    }
}

/// One tile in program order: its shape and where it sits in the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub shape: Shape,
    /// First row of M of the tile.
    pub m0: u32,
    /// Rows of M in the tile (may be a remainder).
    pub m_size: u32,
    /// First element of K of the tile.
    pub k0: u32,
    /// The n-slice (C columns) this COMPUTE produces.
    pub n_slice: u32,
    /// The first n-slice of the output tile, and this one's index within it.
    pub tile_first_slice: u32,
    pub slice_in_tile: u32,
    /// First COMPUTE of a new output tile (the accumulator half changes).
    pub new_tile: bool,
}

/// Totals over every tile of a schedule, in closed form. Counts of words and instructions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// COMPUTEs (tiles).
    pub steps: u64,
    pub input_loads: u64,
    pub input_words: u64,
    pub weight_loads: u64,
    pub weight_words: u64,
    pub stores: u64,
    /// Words stored (over all STOREs).
    pub store_words: u64,
    /// Tiles followed by STOREs (= output tiles).
    pub steps_with_stores: u64,
    /// Words streamed by all COMPUTEs (Σ len).
    pub stream_words: u64,
    pub input_reads: u64,
    pub weight_reads: u64,
    pub out_writes: u64,
    /// Accumulator words read by accumulating COMPUTEs.
    pub accumulate_reads: u64,
    /// MAC slots the array spends: R·C per streamed word.
    pub array_macs: u64,
    /// Instructions of the lowered program (with its SYNCs and the HALT).
    pub program_len: u64,
}

/// Accumulates [`Summary`] totals from tile shapes and multiplicities, in 128 bits (a class adds at
/// most 2^32 · 2^64), checked once at the end.
#[derive(Clone, Copy, Debug, Default)]
pub struct SummaryAcc {
    t: [u128; 14],
}

impl SummaryAcc {
    /// Add `mult` tiles of this shape on an `r × c` array.
    #[inline]
    pub fn add(&mut self, sh: &Shape, mult: u64, r: u32, c: u32) {
        let m = u128::from(mult);
        let per = [
            1,
            u128::from(sh.input_words > 0),
            u128::from(sh.input_words),
            u128::from(sh.weight_words > 0),
            u128::from(sh.weight_words),
            u128::from(sh.stores),
            u128::from(sh.stores) * u128::from(sh.store_words),
            u128::from(sh.stores > 0),
            u128::from(sh.len),
            u128::from(sh.input_reads),
            u128::from(sh.weight_reads),
            u128::from(sh.out_words),
            if sh.accumulate {
                u128::from(sh.out_words)
            } else {
                0
            },
            u128::from(r) * u128::from(c) * u128::from(sh.len),
        ];
        for (t, p) in self.t.iter_mut().zip(per) {
            *t = t.saturating_add(p * m);
        }
    }

    /// The totals, with the program length of the lowering's SYNC policy.
    pub fn finish(&self, double_buffered: bool) -> Result<Summary> {
        let over = || {
            Diagnostic::new(
                "the schedule's totals overflow 64 bits (the layer is far too large for the tiles)",
            )
        };
        let mut v = [0u64; 14];
        for (x, t) in v.iter_mut().zip(self.t) {
            *x = u64::try_from(t).map_err(|_| over())?;
        }
        let mut s = Summary {
            steps: v[0],
            input_loads: v[1],
            input_words: v[2],
            weight_loads: v[3],
            weight_words: v[4],
            stores: v[5],
            store_words: v[6],
            steps_with_stores: v[7],
            stream_words: v[8],
            input_reads: v[9],
            weight_reads: v[10],
            out_writes: v[11],
            accumulate_reads: v[12],
            array_macs: v[13],
            program_len: 0,
        };
        let syncs = sync_count(double_buffered, s.steps, s.steps_with_stores);
        s.program_len = [s.input_loads, s.weight_loads, s.steps, s.stores, syncs, 1]
            .into_iter()
            .try_fold(0u64, |a, b| a.checked_add(b))
            .ok_or_else(over)?;
        Ok(s)
    }
}

/// SYNC instructions the lowering ([`crate::lower()`]) emits for `steps` tiles of which
/// `steps_with_stores` end an output tile: its SYNC policy, counted. A test holds it to the emitted
/// program.
pub fn sync_count(double_buffered: bool, steps: u64, steps_with_stores: u64) -> u64 {
    if double_buffered {
        // one after each tile's loads, and the SYNC compute before the last stores
        steps + u64::from(steps_with_stores > 0)
    } else {
        2 * steps + steps_with_stores
    }
}

/// The checks of a mapping that need its schedule: the whole check, and the program length.
impl Mapping {
    /// Check that the mapping fits `arch` for `g`: tiles in range, the dataflow's fixed tiles, buffer
    /// banks, and a program that fits the instruction memory. Errors name the mapping field.
    pub fn check(&self, g: &Gemm, arch: &Arch) -> Result<()> {
        self.check_tiles(arch)?;
        self.check_program_len(&Schedule::new(g, arch, self).summary()?)
    }

    /// The program-length part of [`Mapping::check`], from the schedule's summary.
    pub fn check_program_len(&self, summary: &crate::Summary) -> Result<()> {
        let len = summary.program_len;
        if len > tessera_arch::isa::MAX_PROGRAM_LEN as u64 {
            return Err(Diagnostic::new(format!(
                "tiled {}×{}×{} (m×k×n) it needs a program of {len} instructions; the \
                 instruction memory holds {} (use larger tiles or a larger array)",
                self.tile_m,
                self.tile_k,
                self.tile_n,
                tessera_arch::isa::MAX_PROGRAM_LEN
            ))
            .under("mapping"));
        }
        Ok(())
    }

    /// Every valid mapping with tile sizes from a small ladder (powers of two, the full size, and the
    /// default's), for search.
    pub fn candidates(g: &Gemm, arch: &Arch) -> Vec<Mapping> {
        Mapping::ladder(g, arch)
            .into_iter()
            .filter(|m| m.check(g, arch).is_ok())
            .collect()
    }
}

/// A layer's schedule on an accelerator under a mapping (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub dataflow: Dataflow,
    /// The array's rows and columns.
    pub rows: u32,
    pub cols: u32,
    pub mapping: Mapping,
    pub nest: Nest,
    /// Whether load, compute and store overlap through ping-pong buffer halves.
    pub double_buffered: bool,
}

impl Schedule {
    /// The schedule of `g` on `arch` under `mapping` (not checked: see [`Mapping::check`]).
    pub fn new(g: &Gemm, arch: &Arch, mapping: &Mapping) -> Schedule {
        let tile = |t: u32| t.max(1);
        Schedule {
            dataflow: arch.dataflow(),
            rows: arch.rows(),
            cols: arch.cols(),
            mapping: *mapping,
            nest: Nest::new(
                [g.m, g.k, g.n],
                // Shapes read only the sizes of the m- and n-tiles, and the positions of the k-tile
                // and of the n-slice (see `shape`).
                vec![
                    Loop {
                        dim: Dim::M,
                        tile: tile(mapping.tile_m),
                        positional: false,
                    },
                    Loop {
                        dim: Dim::N,
                        tile: tile(mapping.tile_n),
                        positional: false,
                    },
                    Loop {
                        dim: Dim::K,
                        tile: tile(mapping.tile_k),
                        positional: true,
                    },
                    Loop {
                        dim: Dim::N,
                        tile: arch.cols(),
                        positional: true,
                    },
                ],
            ),
            double_buffered: arch.double_buffered(),
        }
    }

    /// What a tile at these loop classes moves and computes: the dataflow's one definition. It reads
    /// the m-tile and n-tile only through their sizes (their loops are not positional). The words
    /// the COMPUTE itself touches are the ISA's ([`Arch::compute_words`]).
    pub fn shape(&self, c: &[Class]) -> Shape {
        let (m, k, slice) = (c[M_TILE], c[K_TILE], c[N_SLICE]);
        let stores = if k.last && slice.last { slice.trips } else { 0 };
        // What one COMPUTE streams, and the operand slice loaded for the tile: A is loaded at the
        // first n-slice and reused by the others; B for every COMPUTE.
        let (len, a_words, b_words) = match self.dataflow {
            // k-steps of both operands; the last m-tile's rows past M are zero and not stored
            Dataflow::OutputStationary => (k.size, k.size, k.size),
            // rows of A; the whole R-row weight tile, zero rows included
            _ => (m.size, m.size, self.rows),
        };
        let words = tessera_arch::ComputeWords::of(self.dataflow, self.rows, len);
        Shape {
            input_words: if slice.first { a_words } else { 0 },
            weight_words: b_words,
            len,
            accumulate: !k.first,
            input_reads: words.input,
            weight_reads: words.weight,
            out_words: words.out,
            stores,
            store_words: m.size,
        }
    }

    /// Visit every tile in program order.
    pub fn for_each_step(&self, mut f: impl FnMut(&Step)) {
        let mut classes = [self.nest_class_default(); 4];
        self.nest.for_each(|p: &[Pos]| {
            for (c, p) in classes.iter_mut().zip(p) {
                *c = p.class;
            }
            let shape = self.shape(&classes);
            let (m, nt, k, s) = (p[M_TILE], p[N_TILE], p[K_TILE], p[N_SLICE]);
            let first_slice = nt.start / self.cols;
            f(&Step {
                shape,
                m0: m.start,
                m_size: m.class.size,
                k0: k.start,
                n_slice: s.start / self.cols,
                tile_first_slice: first_slice,
                slice_in_tile: s.index,
                new_tile: k.class.first && s.class.first,
            });
        });
    }

    fn nest_class_default(&self) -> Class {
        Class {
            first: true,
            last: true,
            size: 0,
            trips: 1,
        }
    }

    /// Closed-form totals (see [`Summary`]); an error only if a total overflows 64 bits.
    pub fn summary(&self) -> Result<Summary> {
        let mut acc = SummaryAcc::default();
        self.nest
            .for_each_class(|cls, mult| acc.add(&self.shape(cls), mult, self.rows, self.cols));
        acc.finish(self.double_buffered)
    }

    /// Visit each class of tiles once with its shape and multiplicity (for closed-form costs).
    pub fn for_each_shape(&self, mut f: impl FnMut(&Shape, u64)) {
        self.nest
            .for_each_class(|cls, mult| f(&self.shape(cls), mult));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tessera_arch::builtin;

    proptest! {
        /// The closed-form summary equals the walk, tile by tile.
        #[test]
        fn summary_equals_the_walk(m in 1u32..80, k in 1u32..80, n in 1u32..80, pick in 0usize..1000, os: bool) {
            let arch = builtin::arch(if os { "os_4x4" } else { "ws_4x4" }).unwrap();
            let g = Gemm::new("g", m, k, n);
            let cands = Mapping::candidates(&g, &arch);
            let mp = cands[pick % cands.len()];
            let sch = Schedule::new(&g, &arch, &mp);
            let s = sch.summary().unwrap();
            let mut w = Summary::default();
            sch.for_each_step(|st| {
                let sh = st.shape;
                w.steps += 1;
                w.input_words += u64::from(sh.input_words);
                w.weight_words += u64::from(sh.weight_words);
                w.store_words += u64::from(sh.stores * sh.store_words);
                w.stream_words += u64::from(sh.len);
                w.out_writes += u64::from(sh.out_words);
            });
            prop_assert_eq!((s.steps, s.input_words, s.weight_words, s.store_words, s.stream_words, s.out_writes),
                (w.steps, w.input_words, w.weight_words, w.store_words, w.stream_words, w.out_writes));
            // Every output element is stored exactly once; every MAC of the layer is in some tile.
            let out_words_needed = u64::from(m) * u64::from(n.div_ceil(arch.cols()));
            prop_assert_eq!(s.store_words, out_words_needed);
            prop_assert!(s.array_macs >= u64::from(m) * u64::from(k) * u64::from(n));
        }
    }
}
