//! Mapping a GEMM onto a weight-stationary array, and lowering it to a [`Program`].
//!
//! The loop nest (innermost last), for `C[M×N] = A[M×K]·B[K×N]` on an `R×C` array:
//!
//! ```text
//! for each output tile (m0.., tile_m rows) × (n0.., tile_n columns)      -- accumulators hold it
//!   for each k-slice s of R rows of K                                      -- A slice s loaded once
//!     for each n-slice t of C columns inside the tile                      -- weight tile (s,t) loaded
//!       COMPUTE  acc[t] (+)= A[m0.., s] · W[s, t]      (one array tile: tile_m rows streamed)
//!   STORE the tile's accumulators
//! ```
//!
//! A *step* is one COMPUTE together with the loads that feed it. With double buffering (every buffer
//! has ≥ 2 banks) the loads of step j+1 and the store of the previous output tile run on the DMA while
//! step j computes; otherwise load, compute and store run one after the other. The synchronisation is
//! explicit `SYNC` instructions (docs/TIMING.md): the program below is correct for the in-order,
//! one-instruction-per-cycle controller because every buffer half is rewritten only after a `SYNC`
//! that orders it behind its last reader.
//!
//! Reuse captured: an A slice is reused across the tile's `tile_n / C` n-slices; a weight tile is
//! reused across `tile_m` rows (and reloaded for every m-tile); partial sums never leave the
//! accumulators. Not captured (later mappings): weight reuse across m-tiles, K-outer loop orders.

pub mod layout;
pub mod lower;

pub use layout::DramLayout;
pub use lower::{lower, Lowered, Step};

use serde::{Deserialize, Serialize};
use tessera_arch::Arch;
use tessera_core::diag::{ensure, Result};
use tessera_workloads::Gemm;

/// How a GEMM is tiled onto the array. `tile_n` is a multiple of the array's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mapping {
    /// Rows of A streamed per COMPUTE (and rows of the output tile).
    pub tile_m: u32,
    /// Columns of the output tile kept in the accumulators (a multiple of the array's columns).
    pub tile_n: u32,
}

/// A mapping as written in a RON file (signed, so that bad values get field errors).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingSpec {
    pub tile_m: i64,
    pub tile_n: i64,
}

impl MappingSpec {
    pub fn to_mapping(&self) -> Result<Mapping> {
        for (v, f) in [(self.tile_m, "tile_m"), (self.tile_n, "tile_n")] {
            ensure((1..=i64::from(u16::MAX)).contains(&v), f, || {
                format!("must be between 1 and 65535, got {v}")
            })?;
        }
        Ok(Mapping {
            tile_m: self.tile_m as u32,
            tile_n: self.tile_n as u32,
        })
    }
}

/// Number of `C`-wide n-slices of `N`.
pub fn n_slices(g: &Gemm, arch: &Arch) -> u32 {
    g.n.div_ceil(arch.cols)
}
/// Number of `R`-deep k-slices of `K`.
pub fn k_slices(g: &Gemm, arch: &Arch) -> u32 {
    g.k.div_ceil(arch.rows)
}

impl Mapping {
    /// n-slices per output tile.
    pub fn n_per_tile(&self, arch: &Arch) -> u32 {
        self.tile_n / arch.cols
    }

    /// Check that the mapping fits `arch`'s buffers for `g`. Errors name the mapping field.
    pub fn check(&self, g: &Gemm, arch: &Arch) -> Result<()> {
        ensure(
            self.tile_m >= 1 && self.tile_m <= u32::from(u16::MAX),
            "tile_m",
            || format!("must be between 1 and 65535, got {}", self.tile_m),
        )?;
        ensure(
            self.tile_n >= arch.cols && self.tile_n.is_multiple_of(arch.cols),
            "tile_n",
            || {
                format!(
                    "must be a positive multiple of the array's {} columns, got {}",
                    arch.cols, self.tile_n
                )
            },
        )?;
        let in_bank = arch.input.bank_depth();
        ensure(self.tile_m <= in_bank, "tile_m", || {
            format!(
                "{} rows do not fit an input bank of {in_bank} words",
                self.tile_m
            )
        })?;
        let len = self.program_len(g, arch);
        ensure(
            len <= tessera_arch::isa::MAX_PROGRAM_LEN as u64,
            "tile_m",
            || {
                format!(
                "layer {:?} with tiles of {}x{} needs a program of {len} instructions; the instruction memory \
                 holds {} (use larger tiles or a larger array)",
                g.name,
                self.tile_m,
                self.tile_n,
                tessera_arch::isa::MAX_PROGRAM_LEN
            )
            },
        )?;
        let acc_words = u64::from(self.tile_m) * u64::from(self.n_per_tile(arch));
        let acc_bank = arch.accumulator.bank_depth();
        ensure(acc_words <= u64::from(acc_bank), "tile_n", || {
            format!(
                "an output tile of {} rows × {} columns needs {acc_words} accumulator words; a bank holds {acc_bank}",
                self.tile_m, self.tile_n
            )
        })?;
        Ok(())
    }

    /// Instructions of the lowered program, in closed form (equal to `lower(..).program.instrs.len()`,
    /// a test holds them together), so that a mapping too long for the instruction memory is refused
    /// before anything is built.
    pub fn program_len(&self, g: &Gemm, arch: &Arch) -> u64 {
        let m_tiles = u64::from(g.m.div_ceil(self.tile_m.max(1)));
        let ns = u64::from(n_slices(g, arch));
        let nb = u64::from(self.n_per_tile(arch).max(1));
        let n_tiles = ns.div_ceil(nb);
        let ks = u64::from(k_slices(g, arch));
        let steps = m_tiles * ks * ns;
        let a_loads = m_tiles * n_tiles * ks;
        let stores = m_tiles * ns;
        let tiles = m_tiles * n_tiles;
        let syncs = if arch.double_buffered() {
            steps + 1
        } else {
            2 * steps + tiles
        };
        a_loads + 2 * steps + stores + syncs + 1
    }

    /// A good default: the tallest tile the buffers allow (fewest weight reloads), then the widest.
    pub fn default_for(g: &Gemm, arch: &Arch) -> Mapping {
        let ns = n_slices(g, arch);
        let tile_m =
            g.m.min(arch.input.bank_depth())
                .min(arch.accumulator.bank_depth())
                .min(u32::from(u16::MAX));
        let nb = (arch.accumulator.bank_depth() / tile_m).clamp(1, ns);
        Mapping {
            tile_m,
            tile_n: nb * arch.cols,
        }
    }

    /// Every valid mapping with tile sizes from a small ladder (powers of two, the full size, and the
    /// largest that fits), for search.
    pub fn candidates(g: &Gemm, arch: &Arch) -> Vec<Mapping> {
        let ns = n_slices(g, arch);
        let mut ms: Vec<u32> = (0..17).map(|i| 1u32 << i).filter(|&m| m < g.m).collect();
        ms.push(g.m);
        ms.push(Mapping::default_for(g, arch).tile_m);
        let mut nbs: Vec<u32> = (0..12).map(|i| 1u32 << i).filter(|&n| n < ns).collect();
        nbs.push(ns);
        let mut out = vec![];
        for &m in &ms {
            for &nb in &nbs {
                let mp = Mapping {
                    tile_m: m,
                    tile_n: nb * arch.cols,
                };
                if mp.check(g, arch).is_ok() {
                    out.push(mp);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn default_mapping_fits() {
        for (a, _) in builtin::ARCHS {
            let arch = builtin::arch(a).unwrap();
            for g in [
                Gemm::new("g", 37, 50, 19),
                Gemm::new("g", 3136, 576, 64),
                Gemm::new("g", 1, 1, 1),
            ] {
                match Mapping::default_for(&g, &arch).check(&g, &arch) {
                    Ok(()) => assert!(!Mapping::candidates(&g, &arch).is_empty()),
                    // Only the instruction-memory limit may refuse the default (tiny arrays, big layers).
                    Err(e) => assert!(
                        e.message.contains("instruction memory") && arch.pes() <= 16,
                        "{a}: {e}"
                    ),
                }
            }
        }
    }

    #[test]
    fn oversized_tile_is_an_error_naming_the_field() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let g = Gemm::new("g", 4000, 8, 8);
        let e = Mapping {
            tile_m: 4000,
            tile_n: 4,
        }
        .check(&g, &arch)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_m"));
    }
}
