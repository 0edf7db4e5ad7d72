//! The mapping space of a layer on an accelerator: the tilings the mapper chooses from.
//!
//! A mapping has two free tiles (module docs of [`crate::mapping`]): the streamed tile `s` (WS
//! `tile_m`, OS `tile_k`, IS `tile_n`) and the output tile's width in array columns `nb`
//! (`tile_n / C`, or `tile_m / C` on an input-stationary array). Each
//! ranges over `1..=cap`, where `cap` is the layer's extent cut to what the buffers hold. The space:
//! - **exhaustive** on a free tile whose range has at most [`EXHAUSTIVE`] values: every value;
//! - otherwise **sampled**: every value up to [`EXHAUSTIVE`], every power of two, the top (the
//!   extent or the cap, whichever is smaller) and the cap with their halvings, and the *balanced* tile of every trip count up to [`BALANCED_TRIPS`] (the smallest
//!   tile that covers the extent in `T` trips, `ceil(extent / T)`: same number of tiles, the least
//!   remainder waste). Tiles that are not sampled are not searched: on a large layer the mapper's
//!   choice is the best of the sample, not necessarily of the whole space (the note of
//!   `tessera_sim::mapper` says so).
//!
//! Doubling a buffer keeps every tile of the smaller space (the small values, the powers of two,
//! the old cap and its halvings as halvings of the new one, the balanced tiles that still fit), so
//! more buffer never makes the mapper's choice slower; a property test holds it, on layers large
//! enough to be sampled too.
//!
//! Pinned tiles (given by the user, [`Pinned`]) take their one value. Every mapping returned is
//! checked ([`Mapping::check`]); the list is sorted and has no duplicates, so the space is the same
//! on every run.

use crate::mapping::{n_slices, streamed, Keep, Mapping, Pinned, MAX_STREAM};
use crate::Dim;
use tessera_arch::{Arch, Dataflow};
use tessera_workloads::Gemm;

/// How much of the space to visit: a free tile with at most `exhaustive` values takes every
/// value; a larger one takes the powers of two, its cap, and the balanced tiles of
/// `1..=balanced_trips` trips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceBudget {
    pub exhaustive: u32,
    pub balanced_trips: u32,
}

impl SpaceBudget {
    /// The mapper's space: every command's default mapping comes from it.
    pub const FULL: SpaceBudget = SpaceBudget {
        exhaustive: EXHAUSTIVE,
        balanced_trips: BALANCED_TRIPS,
    };
    /// A coarser space for screening many accelerators (the search's inner loop; its finalists are
    /// mapped again in the full space).
    pub const SCREEN: SpaceBudget = SpaceBudget {
        exhaustive: 4,
        balanced_trips: 3,
    };
}

/// [`SpaceBudget::FULL`]: a free tile with at most this many values is searched exhaustively.
pub const EXHAUSTIVE: u32 = 64;

/// [`SpaceBudget::FULL`]: on a larger range, the balanced tiles of `1..=BALANCED_TRIPS` trips are
/// sampled (with the powers of two).
pub const BALANCED_TRIPS: u32 = 64;

/// The values of one free tile over an extent of `extent` elements with at most `cap` per tile,
/// in the full space.
pub fn tile_values(extent: u32, cap: u32) -> Vec<u32> {
    tile_values_in(extent, cap, SpaceBudget::FULL)
}

/// [`tile_values`] under `budget`.
pub fn tile_values_in(extent: u32, cap: u32, budget: SpaceBudget) -> Vec<u32> {
    let top = extent.min(cap).max(1);
    if top <= budget.exhaustive {
        return (1..=top).collect();
    }
    let mut v: Vec<u32> = (1..=budget.exhaustive).collect();
    v.extend((0..32).map(|i| 1u32 << i).take_while(|&p| p < top));
    // The top and the cap with their halvings (see the module docs): the cap's keep a smaller
    // cap's tiles when a doubled buffer lifts the top to the extent.
    v.extend((0..32).map(|i| top >> i).take_while(|&t| t > 0));
    v.extend(
        (0..32)
            .map(|i| cap >> i)
            .take_while(|&t| t > 0)
            .filter(|&t| t <= top),
    );
    for trips in 1..=budget.balanced_trips {
        let t = extent.div_ceil(trips);
        if t <= top {
            v.push(t);
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

impl Mapping {
    /// The mapping space of `g` on `arch` with the `pinned` tiles fixed (see the module docs):
    /// checked, sorted, without duplicates. Empty when nothing fits.
    pub fn space(g: &Gemm, arch: &Arch, pinned: &Pinned) -> Vec<Mapping> {
        Mapping::space_in(g, arch, pinned, SpaceBudget::FULL)
    }

    /// [`Mapping::space`] under `budget`.
    pub fn space_in(g: &Gemm, arch: &Arch, pinned: &Pinned, budget: SpaceBudget) -> Vec<Mapping> {
        if !arch.dataflow().tiles_gemm() {
            // a row-stationary array's space is its layer's (`RsGeom::space`, mapping/src/rs.rs)
            return Vec::new();
        }
        let (r, c) = (arch.rows(), arch.cols());
        let acc_bank = arch.accumulator().bank_depth();
        let (extent, stream_cap) = match streamed(arch.dataflow()) {
            Dim::K => (
                g.k,
                arch.input()
                    .bank_depth()
                    .min(arch.weight().bank_depth())
                    .min(MAX_STREAM),
            ),
            // An IS stream of s columns of B needs s accumulator words per m-slice.
            Dim::N => (
                g.n,
                arch.weight().bank_depth().min(acc_bank).min(MAX_STREAM),
            ),
            // A WS stream of s rows needs s accumulator words per n-slice.
            _ => (g.m, arch.input().bank_depth().min(acc_bank).min(MAX_STREAM)),
        };
        let streams = match pinned.stream {
            Some(s) => vec![s],
            None => tile_values_in(extent, stream_cap, budget),
        };
        let ns = n_slices(g, arch);
        let base = match arch.dataflow() {
            Dataflow::OutputStationary => Mapping {
                tile_m: r,
                tile_k: 1,
                tile_n: c,
                keep: Keep::Tiles,
            },
            Dataflow::WeightStationary => Mapping {
                tile_m: 1,
                tile_k: r,
                tile_n: c,
                keep: Keep::Tiles,
            },
            Dataflow::InputStationary => Mapping {
                tile_m: c,
                tile_k: r,
                tile_n: 1,
                keep: Keep::Tiles,
            },
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
        };
        let mut out = Vec::new();
        for s in streams {
            let m = base.with_stream(arch, s);
            // The widest output tile the accumulator bank holds at this stream.
            let out_words = u64::from(arch.compute_words(s).out).max(1);
            let nb_cap = (u64::from(acc_bank) / out_words).min(u64::from(u32::MAX)) as u32;
            let nbs = match pinned.width {
                Some(w) => vec![w / c.max(1)],
                None => tile_values_in(ns, nb_cap.max(1), budget),
            };
            for nb in nbs {
                let m = match pinned.width {
                    Some(w) => m.with_width(arch, w),
                    None => m.with_width(arch, nb * c),
                };
                for keep in Keep::ALL {
                    let m = Mapping { keep, ..m };
                    if pinned.keep.is_none_or(|k| k == keep) && m.check(g, arch).is_ok() {
                        out.push(m);
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The whole space of `g` on `arch`, nothing pinned.
    pub fn candidates(g: &Gemm, arch: &Arch) -> Vec<Mapping> {
        Mapping::space(g, arch, &Pinned::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn small_ranges_are_exhaustive_large_ones_sampled() {
        assert_eq!(tile_values(5, 100), vec![1, 2, 3, 4, 5]);
        assert_eq!(tile_values(100, 3), vec![1, 2, 3]);
        let v = tile_values(3136, 1024);
        assert!(v.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*v.last().unwrap(), 1024);
        for t in [1, 2, 512, 1024, 784, 628, 49] {
            assert!(v.contains(&t), "{t} in {v:?}");
        }
        assert!(v.len() <= 2 * 64 + 2 * 32);
    }

    /// On a small layer the space is every valid mapping: each (stream, width) pair in range that
    /// passes the check is in it, and nothing else.
    #[test]
    fn small_spaces_hold_every_valid_mapping() {
        for name in ["ws_4x4", "os_4x4", "ws_2x3", "is_2x3"] {
            let arch = builtin::arch(name).unwrap();
            let g = Gemm::new("g", 23, 19, 17);
            let space = Mapping::candidates(&g, &arch);
            let mut all = vec![];
            let (r, c) = (arch.rows(), arch.cols());
            for s in 1..=70u32 {
                for nb in 1..=20u32 {
                    let m = match arch.dataflow() {
                        Dataflow::OutputStationary => Mapping {
                            tile_m: r,
                            tile_k: s,
                            tile_n: nb * c,
                            keep: Keep::Tiles,
                        },
                        Dataflow::WeightStationary => Mapping {
                            tile_m: s,
                            tile_k: r,
                            tile_n: nb * c,
                            keep: Keep::Tiles,
                        },
                        Dataflow::InputStationary => Mapping {
                            tile_m: nb * c,
                            tile_k: r,
                            tile_n: s,
                            keep: Keep::Tiles,
                        },
                        Dataflow::RowStationary => unreachable!("not in SUPPORTED"),
                    };
                    let extent_ok = match arch.dataflow() {
                        Dataflow::OutputStationary => s <= g.k,
                        Dataflow::WeightStationary => s <= g.m,
                        Dataflow::InputStationary => s <= g.n,
                        Dataflow::RowStationary => unreachable!("not in SUPPORTED"),
                    } && nb <= n_slices(&g, &arch);
                    for keep in Keep::ALL {
                        let m = Mapping { keep, ..m };
                        if extent_ok && m.check(&g, &arch).is_ok() {
                            all.push(m);
                        }
                    }
                }
            }
            all.sort();
            assert_eq!(space, all, "{name}");
        }
    }

    #[test]
    fn pinned_tiles_take_their_value() {
        let arch = builtin::arch("ws_8x8").unwrap();
        let g = Gemm::new("g", 128, 768, 768);
        let p = Pinned {
            stream: None,
            width: Some(16),
            keep: None,
        };
        let s = Mapping::space(&g, &arch, &p);
        assert!(s.len() > 10);
        assert!(s.iter().all(|m| m.tile_n == 16 && m.tile_k == 8));
        let p = Pinned {
            stream: Some(64),
            width: None,
            keep: None,
        };
        assert!(Mapping::space(&g, &arch, &p).iter().all(|m| m.tile_m == 64));
        // input-stationary: the stream is tile_n, the width tile_m
        let is = builtin::arch("is_8x8").unwrap();
        let p = Pinned {
            stream: Some(64),
            width: Some(16),
            keep: None,
        };
        let s = Mapping::space(&g, &is, &p);
        assert_eq!(
            s,
            vec![Mapping {
                tile_m: 16,
                tile_k: 8,
                tile_n: 64,
                keep: Keep::Tiles,
            }]
        );
    }
}
