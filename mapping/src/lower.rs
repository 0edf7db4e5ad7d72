//! Lowering a [`Schedule`] to a [`Program`]: each tile becomes its LOADs, one COMPUTE and, on an
//! output tile's last tile, its STOREs, tied together with explicit `SYNC`s (docs/TIMING.md). A
//! convolution's input LOADs are gathers, and each of its instances (groups) begins with the two
//! CONFIGs that point the gather registers at the group (they count with the tile's loads below).
//! Programs have no length limit: the host streams them (docs/TIMING.md, "Controller").
//!
//! With double buffering (every buffer has ≥ 2 banks) the loads of tile j+1 and the stores of the
//! previous output tile run on the DMA while tile j computes:
//!
//! ```text
//! loads(0); SYNC dma
//! for each tile j: COMPUTE j; [SYNC prev_compute | SYNC prev_stream]; stores(previous output tile);
//!                  loads(j+1); SYNC dma
//! SYNC compute; stores(last output tile); HALT
//! ```
//!
//! When the PEs double-buffer their stationary operand (or, output-stationary, their sums),
//! COMPUTE j issues while tile j-1 still streams or drains, and a SYNC after it holds what must
//! wait for tile j-1 ([`crate::Shape::prev_sync`]):
//! - `SYNC prev_compute` when tile j starts an output tile: the stores of the output tile j-1
//!   ended follow, and they read what its drain writes, so they need it done;
//! - else `SYNC prev_stream` when tile j loaded a slice of a streamed operand (A; B on an
//!   input-stationary array; A or B on an output-stationary one, which streams both): the loads
//!   of tile j+1 may rewrite the streamed half tile j-1 read (j-1 read the other half only when j
//!   loaded a new one), and only tile j-1's stream reads it, so they need only its stream over
//!   (docs/TIMING.md: the bit passes when tile j-1 has read its last streamed word, a fill and
//!   drain before it completes).
//!
//! Nothing else needs one: tile j+1's preloaded operand (weights; inputs on an input-stationary
//! array) goes to the half (or the panel words) tile j-1 preloaded from, and a tile has finished
//! its preload before the next COMPUTE issues (an output-stationary tile has finished its stream
//! before the next COMPUTE but one issues, docs/TIMING.md, "double-buffered sums"); and
//! `prev_stream` ends no COMPUTE's accumulator reads, so the accumulator read port rule
//! (docs/TIMING.md, "Accumulator read port") still sees every STORE ordered by `prev_compute` or
//! `compute`.
//!
//! Each operand alternates between the two halves of its buffer (bank 0 and the rest) at every new
//! region, and the accumulator at every output tile, so a half is only rewritten after a `SYNC` has
//! ordered it behind its last reader. An operand's region is one slice, so it changes at every
//! load, unless the mapping keeps a panel of it ([`crate::Keep`]): then the region is the panel,
//! its k-tiles' slices at the offsets [`Step`] gives, and the next panel starts in the other half.
//! Otherwise (some buffer has one bank) every tile runs alone:
//! `loads; SYNC dma; COMPUTE; SYNC compute; [stores; SYNC dma]`.
//!
//! So the DMA never writes a bank that a COMPUTE possibly in flight reads, which single-ported
//! (one read-write port) input and weight banks require (docs/TIMING.md, "Single-ported banks";
//! `check_program` holds every program to it): the one exception, a kept panel whose k-slices
//! are loaded into the half its COMPUTEs read, is refused for a single-ported buffer by
//! [`Mapping::check`](crate::Mapping::check). The programs are the same for either kind of port.

use crate::problem::Problem;
use crate::schedule::{PrevSync, Schedule, Step};
use crate::{DramLayout, Mapping};
use serde::{Deserialize, Serialize};
use tessera_arch::isa::{unit, Instr, LoadTarget, Program};
use tessera_arch::Arch;
use tessera_core::diag::{Diagnostic, Result};

/// The result of lowering.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lowered {
    pub program: Program,
    pub layout: DramLayout,
    pub schedule: Schedule,
}

impl Lowered {
    pub fn mapping(&self) -> Mapping {
        self.schedule.mapping
    }
}

/// Lower `p` on `arch` with `mapping`. Errors if the mapping does not fit.
pub fn lower(p: &Problem, arch: &Arch, mapping: &Mapping) -> Result<Lowered> {
    if arch.dataflow() == tessera_arch::Dataflow::RowStationary {
        return crate::rs::lower(p, arch, mapping);
    }
    mapping.check(&p.gemm, arch)?;
    let layout = DramLayout::new(p, arch)?;
    let schedule = Schedule::new(p, arch, mapping);
    let conv = schedule.is_conv();
    let db = schedule.double_buffered;
    let overlapped = schedule.overlapped;
    // Word offset of the "pong" half of each buffer: bank 1 onwards; 0 when single-buffered.
    let pong = |b: &tessera_arch::Buffer| if db { b.bank_depth() } else { 0 };
    let (in_pong, w_pong, acc_pong) = (
        pong(arch.input()),
        pong(arch.weight()),
        pong(arch.accumulator()),
    );
    let half = |count: u32, pong: u32| if count % 2 == 1 { pong } else { 0 };
    let to16 = |v: u32, what: &str| -> Result<u16> {
        u16::try_from(v).map_err(|_| {
            Diagnostic::new(format!(
                "{what} = {v} does not fit the 16-bit instruction field"
            ))
        })
    };
    let addr = |v: u32, what: &str| -> Result<u32> {
        if v < 1 << tessera_arch::isa::ADDR_BITS {
            Ok(v)
        } else {
            Err(Diagnostic::new(format!(
                "{what} = {v} does not fit the {}-bit buffer address",
                tessera_arch::isa::ADDR_BITS
            )))
        }
    };

    struct Tile {
        loads: Vec<Instr>,
        compute: Instr,
        stores: Vec<Instr>,
        /// The SYNC that follows its COMPUTE when COMPUTEs overlap ([`crate::Shape::prev_sync`]).
        prev_sync: Option<PrevSync>,
    }
    // The program is assembled as the tiles come, one tile behind (see the module docs): nothing
    // but the program itself grows with the layer.
    let sync = |mask| Instr::Sync { mask };
    let mut p: Vec<Instr> = Vec::with_capacity(
        schedule
            .summary()
            .map_or(0, |s| usize::try_from(s.program_len).unwrap_or(0)),
    );
    let mut prev: Option<Tile> = None;
    let mut pending: Vec<Instr> = vec![];
    let mut emit = |t: Tile| {
        if db {
            match prev.take() {
                None => p.extend(&t.loads),
                Some(q) => {
                    p.push(q.compute);
                    if let Some(s) = q.prev_sync.filter(|_| overlapped) {
                        p.push(sync(s.mask()));
                    }
                    p.append(&mut pending);
                    p.extend(&t.loads);
                    pending = q.stores;
                }
            }
            p.push(sync(unit::DMA));
            prev = Some(t);
        } else {
            p.extend(&t.loads);
            p.push(sync(unit::DMA));
            p.push(t.compute);
            p.push(sync(unit::COMPUTE));
            if !t.stores.is_empty() {
                p.extend(&t.stores);
                p.push(sync(unit::DMA));
            }
        }
    };
    // Regions so far per operand (a load at offset 0 starts one: every load, unless a panel is
    // kept), and output tiles so far: which half each uses.
    let (mut in_loads, mut w_loads, mut out_tiles) = (0u32, 0u32, 0u32);
    // The half each operand's current region is in, and the current output tile's accumulator half.
    let (mut in_base, mut w_base, mut acc_base) = (0u32, 0u32, 0u32);
    let mut err = None;
    schedule.for_each_step(|st: &Step| {
        if err.is_some() {
            return;
        }
        let r = (|| -> Result<Tile> {
            let sh = st.shape;
            if st.new_tile {
                acc_base = half(out_tiles, acc_pong);
                out_tiles += 1;
            }
            let mut loads = vec![];
            if st.configs(conv) > 0 {
                loads.extend(layout.configs(st.instance).map(Instr::Config));
            }
            if sh.input_words > 0 {
                if st.in_offset == 0 {
                    in_base = half(in_loads, in_pong);
                    in_loads += 1;
                }
                let count = to16(sh.input_words, "input words")?;
                let sram_addr = addr(in_base + st.in_offset, "input address")?;
                loads.push(if conv {
                    Instr::Gather {
                        target: LoadTarget::Input,
                        count,
                        sram_addr,
                        pos: layout.gather_pos(st),
                    }
                } else {
                    Instr::Load {
                        target: LoadTarget::Input,
                        count,
                        dram_addr: layout.a_addr(st),
                        sram_addr,
                    }
                });
            }
            if sh.weight_words > 0 {
                if st.w_offset == 0 {
                    w_base = half(w_loads, w_pong);
                    w_loads += 1;
                }
                loads.push(Instr::Load {
                    target: LoadTarget::Weight,
                    count: to16(sh.weight_words, "weight words")?,
                    dram_addr: layout.b_addr(st),
                    sram_addr: addr(w_base + st.w_offset, "weight address")?,
                });
            }
            let compute = Instr::Compute {
                len: to16(sh.len, "stream length")?,
                in_addr: addr(in_base + st.in_offset, "input address")?,
                w_addr: addr(w_base + st.w_offset, "weight address")?,
                out_addr: addr(
                    acc_base + st.slice_in_tile * sh.out_words,
                    "accumulator address",
                )?,
                accumulate: sh.accumulate,
            };
            let mut stores = vec![];
            for dt in 0..sh.stores {
                stores.push(Instr::Store {
                    count: to16(sh.store_words, "store words")?,
                    dram_addr: layout.store_addr(st, dt),
                    sram_addr: addr(acc_base + dt * sh.out_words, "accumulator address")?,
                });
            }
            Ok(Tile {
                loads,
                compute,
                stores,
                prev_sync: sh.prev_sync(),
            })
        })();
        match r {
            Ok(t) => emit(t),
            Err(e) => err = Some(e),
        }
    });
    if let Some(e) = err {
        return Err(e);
    }
    if db {
        // The last tile: its COMPUTE, the stores before it, no loads and no SYNC dma after; then
        // its own stores once the array is done.
        let last = prev.expect("a schedule has at least one tile");
        p.push(last.compute);
        if let Some(s) = last.prev_sync.filter(|_| overlapped) {
            p.push(sync(s.mask()));
        }
        p.append(&mut pending);
        if !last.stores.is_empty() {
            p.push(sync(unit::COMPUTE));
            p.extend(&last.stores);
        }
    }
    p.push(Instr::Halt);
    Ok(Lowered {
        program: Program { instrs: p },
        layout,
        schedule,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Keep;
    use proptest::prelude::*;
    use tessera_arch::builtin;
    use tessera_workloads::Gemm;

    proptest! {
        #[test]
        fn program_len_matches_the_lowering(m in 1u32..60, k in 1u32..60, n in 1u32..60, pick in 0usize..1000, one_bank: bool, df in 0usize..3) {
            let mut s = builtin::arch_spec(["ws_4x4", "os_4x4", "is_2x3"][df]).unwrap();
            if one_bank {
                s.buffers.input.banks = 1;
            }
            let arch = s.validate().unwrap();
            let g = Gemm::new("g", m, k, n);
            let cands = Mapping::candidates(&g, &arch);
            let mp = cands[pick % cands.len()];
            let l = lower(&Problem::gemm(&g, &arch), &arch, &mp).unwrap();
            let summary = l.schedule.summary().unwrap();
            prop_assert_eq!(summary.program_len, l.program.instrs.len() as u64);
            let count = |f: fn(&Instr) -> bool| l.program.instrs.iter().filter(|i| f(i)).count() as u64;
            prop_assert_eq!(count(|i| matches!(i, Instr::Compute { .. })), summary.steps);
            prop_assert_eq!(count(|i| matches!(i, Instr::Store { .. })), summary.stores);
            prop_assert_eq!(count(|i| matches!(i, Instr::Load { .. })), summary.input_loads + summary.weight_loads);
        }
    }

    proptest! {
        /// A kept panel stays inside its region: every LOAD into the kept operand's buffer and
        /// every COMPUTE read of it lies within `Mapping::panel_words` words of the start of the
        /// buffer half it is in (so it never reaches into the other half, where the next panel
        /// goes), and the panel is loaded once per outer tile, at most as many words as with one
        /// tile of each operand kept.
        #[test]
        fn kept_panels_stay_in_their_region(
            m in 1u32..60, k in 1u32..70, n in 1u32..60, pick in 0usize..1000,
            one_bank: bool, df in 0usize..3, input: bool,
        ) {
            let mut s = builtin::arch_spec(["ws_4x4", "os_4x4", "is_2x3"][df]).unwrap();
            if one_bank {
                s.buffers.input.banks = 1;
                s.buffers.weight.banks = 1;
            }
            let arch = s.validate().unwrap();
            let g = Gemm::new("g", m, k, n);
            let keep = if input { Keep::InputPanel } else { Keep::WeightPanel };
            let cands: Vec<Mapping> = Mapping::candidates(&g, &arch)
                .into_iter()
                .filter(|c| c.keep == keep)
                .collect();
            prop_assume!(!cands.is_empty());
            let mp = cands[pick % cands.len()];
            let panel = mp.panel_words(&g, &arch);
            let buf = if input { arch.input() } else { arch.weight() };
            prop_assert!(panel >= 1 && panel <= u64::from(buf.bank_depth()));
            let l = lower(&Problem::gemm(&g, &arch), &arch, &mp).unwrap();
            let db = arch.double_buffered();
            let within = |addr: u32, words: u32| {
                let half = if db && addr >= buf.bank_depth() { buf.bank_depth() } else { 0 };
                u64::from(addr - half) + u64::from(words) <= panel
            };
            let target = if input { LoadTarget::Input } else { LoadTarget::Weight };
            let mut loaded = 0u64;
            for ins in &l.program.instrs {
                match *ins {
                    Instr::Load { target: t, count, sram_addr, .. } if t == target => {
                        prop_assert!(within(sram_addr, count.into()), "{ins:?}");
                        loaded += u64::from(count);
                    }
                    Instr::Compute { len, in_addr, w_addr, .. } => {
                        let w = arch.compute_words(len.into());
                        let (addr, words) = if input { (in_addr, w.input) } else { (w_addr, w.weight) };
                        prop_assert!(within(addr, words), "{ins:?}");
                    }
                    _ => {}
                }
            }
            let tiles = lower(&Problem::gemm(&g, &arch), &arch, &Mapping { keep: Keep::Tiles, ..mp }).unwrap();
            let tiles_loaded: u64 = tiles.program.instrs.iter().map(|i| match *i {
                Instr::Load { target: t, count, .. } if t == target => u64::from(count),
                _ => 0,
            }).sum();
            prop_assert!(loaded <= tiles_loaded);
        }
    }

    proptest! {
        /// On arrays that overlap COMPUTEs, the SYNC after each COMPUTE is the one its tile needs
        /// (docs/TIMING.md): `prev_compute` after a tile that starts an output tile (the previous
        /// output tile's stores follow), else `prev_stream` after one that loaded a slice of a
        /// streamed operand (only the previous tile's stream reads the half the next loads may
        /// rewrite), else none; every kept-operand choice, every dataflow.
        #[test]
        fn overlapped_tiles_are_followed_by_the_sync_they_need(
            m in 1u32..60, k in 1u32..70, n in 1u32..60, pick in 0usize..1000, df in 0usize..3,
        ) {
            let arch = builtin::arch_spec(["ws_4x4", "os_4x4", "is_2x3"][df])
                .unwrap()
                .with_weight_double_buffer(true)
                .validate()
                .unwrap();
            let g = Gemm::new("g", m, k, n);
            let cands = Mapping::candidates(&g, &arch);
            let mp = cands[pick % cands.len()];
            let l = lower(&Problem::gemm(&g, &arch), &arch, &mp).unwrap();
            prop_assert!(l.schedule.overlapped);
            let mut steps = vec![];
            l.schedule.for_each_step(|st| steps.push(st.shape));
            let computes: Vec<usize> = (0..l.program.instrs.len())
                .filter(|&i| matches!(l.program.instrs[i], Instr::Compute { .. }))
                .collect();
            prop_assert_eq!(computes.len(), steps.len());
            for (&i, sh) in computes.iter().zip(&steps) {
                let want = if sh.new_tile {
                    Some(unit::PREV_COMPUTE)
                } else if sh.stream_loaded {
                    Some(unit::PREV_STREAM)
                } else {
                    None
                };
                let got = match l.program.instrs[i + 1] {
                    Instr::Sync { mask } if mask & (unit::PREV_COMPUTE | unit::PREV_STREAM) != 0 => {
                        Some(mask)
                    }
                    _ => None,
                };
                prop_assert_eq!(got, want, "COMPUTE at {}: {:?}", i, sh);
                prop_assert_eq!(sh.prev_sync().map(PrevSync::mask), want);
            }
        }
    }

    /// On every dataflow with overlapped COMPUTEs, a layer of several k-tiles per output tile has
    /// both SYNCs: `prev_stream` after the k-tiles after the first (they load streamed slices),
    /// `prev_compute` after each output tile's first.
    #[test]
    fn k_tiles_are_followed_by_prev_stream_and_output_tiles_by_prev_compute() {
        for name in ["ws_4x4", "os_4x4", "is_2x3"] {
            let arch = builtin::arch_spec(name)
                .unwrap()
                .with_weight_double_buffer(true)
                .validate()
                .unwrap();
            let g = Gemm::new("g", 16, 64, 16);
            let counts = Mapping::candidates(&g, &arch)
                .iter()
                .filter(|mp| mp.keep == Keep::Tiles)
                .map(|mp| {
                    let l = lower(&Problem::gemm(&g, &arch), &arch, mp).unwrap();
                    let n = |mask| {
                        l.program
                            .instrs
                            .iter()
                            .filter(|&&i| i == Instr::Sync { mask })
                            .count()
                    };
                    (n(unit::PREV_STREAM), n(unit::PREV_COMPUTE))
                })
                .collect::<Vec<_>>();
            assert!(
                counts.iter().any(|&(s, c)| s > 0 && c > 0),
                "{name}: {counts:?}"
            );
        }
    }

    #[test]
    fn long_programs_are_not_refused() {
        // 64·512·512 on one PE: 4 M instructions, once refused by a 65 536-entry instruction memory.
        let arch = builtin::arch("ws_1x1").unwrap();
        let g = Gemm::new("big", 64, 512, 512);
        let l = lower(
            &Problem::gemm(&g, &arch),
            &arch,
            &Mapping::default_for(&g, &arch),
        )
        .unwrap();
        assert!(l.program.instrs.len() > 65_536);
    }

    #[test]
    fn program_shape_for_a_small_gemm() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let g = Gemm::new("g", 6, 5, 9);
        let m = Mapping {
            tile_m: 4,
            tile_k: 4,
            tile_n: 8,
            keep: Keep::Tiles,
        };
        let l = lower(&Problem::gemm(&g, &arch), &arch, &m).unwrap();
        // m-tiles 2 × n-tiles 2 (8 + 4 columns) × k-slices 2; n-slices per tile 2 then 1.
        let count = |f: fn(&Instr) -> bool| l.program.instrs.iter().filter(|i| f(i)).count();
        assert_eq!(
            count(|i| matches!(i, Instr::Compute { .. })),
            2 * (2 * 2 + 2)
        );
        assert_eq!(count(|i| matches!(i, Instr::Store { .. })), 2 * 3);
        assert_eq!(l.program.instrs.last(), Some(&Instr::Halt));
    }

    #[test]
    fn input_stationary_streams_n_and_preloads_the_k_tile() {
        let arch = builtin::arch("is_4x4").unwrap();
        let g = Gemm::new("g", 6, 5, 9);
        let m = Mapping {
            tile_m: 8,
            tile_k: 4,
            tile_n: 5,
            keep: Keep::Tiles,
        };
        let l = lower(&Problem::gemm(&g, &arch), &arch, &m).unwrap();
        let is = |f: fn(&Instr) -> Option<u16>| -> Vec<u16> {
            l.program.instrs.iter().filter_map(f).collect()
        };
        // per n-tile (5 then 4 columns of B): k-tiles of 4 then 1 rows, over the 2 m-slices
        let lens = is(|i| match i {
            Instr::Compute { len, .. } => Some(*len),
            _ => None,
        });
        assert_eq!(lens, [5, 5, 5, 5, 4, 4, 4, 4]);
        // input (A^T) loads: the k-tile's rows for every COMPUTE; weight (B) loads: the n-tile's
        // columns once per k-tile
        let loads = |t: LoadTarget| -> Vec<u16> {
            l.program
                .instrs
                .iter()
                .filter_map(|i| match i {
                    Instr::Load { target, count, .. } if *target == t => Some(*count),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(loads(LoadTarget::Input), [4, 4, 1, 1, 4, 4, 1, 1]);
        assert_eq!(loads(LoadTarget::Weight), [5, 5, 4, 4]);
        // one STORE per m-slice of the n-tile's columns
        let stores = is(|i| match i {
            Instr::Store { count, .. } => Some(*count),
            _ => None,
        });
        assert_eq!(stores, [5, 5, 4, 4]);
    }

    #[test]
    fn output_stationary_streams_k_and_drains_r_words() {
        let arch = builtin::arch("os_4x4").unwrap();
        let g = Gemm::new("g", 6, 5, 9);
        let m = Mapping {
            tile_m: 4,
            tile_k: 3,
            tile_n: 8,
            keep: Keep::Tiles,
        };
        let l = lower(&Problem::gemm(&g, &arch), &arch, &m).unwrap();
        let lens: Vec<u16> = l
            .program
            .instrs
            .iter()
            .filter_map(|i| match i {
                Instr::Compute { len, .. } => Some(*len),
                _ => None,
            })
            .collect();
        // per (m-slice, n-tile): k-tiles of 3 then 2, over 2 then 1 n-slices.
        assert_eq!(lens, [3, 3, 2, 2, 3, 2, 3, 3, 2, 2, 3, 2]);
        let stores: Vec<u16> = l
            .program
            .instrs
            .iter()
            .filter_map(|i| match i {
                Instr::Store { count, .. } => Some(*count),
                _ => None,
            })
            .collect();
        // the second m-slice has 2 valid rows of 4
        assert_eq!(stores, [4, 4, 4, 2, 2, 2]);
    }
}
