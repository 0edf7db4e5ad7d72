//! An accelerator, a layer and its mapping written as the input files of two other tools, so that
//! anyone who has them can compare their numbers with Tessera's: [Timeloop] (v0.4 YAML, read by its
//! Python front end `timeloopfe`) in [`timeloop`], and [ZigZag] (its hardware, workload and
//! mapping YAML) in [`zigzag`]. Both writers start from one [`Export`]: Tessera's loop nest
//! (`crate::schedule`) in the dimensions of a convolution layer.
//!
//! # How Tessera's concepts are written
//!
//! Tessera's nest is `for instance / (for output row) / for m-tile / for n-tile / for k-tile / for
//! n-slice / COMPUTE` (input-stationary: `for instance / (for output row) / for n-tile / for m-tile /
//! for k-tile / for m-slice / COMPUTE`), on a GEMM `C[M×N] = A[M×K]·B[K×N]` per instance; a kept
//! panel puts the m-tiles outside the n-tiles (`InputPanel`) or the n-tiles outside (`WeightPanel`,
//! [`Keep::tile_order`]). The export writes it over
//! the dimensions of Timeloop's CNN layer, [`PDim`] (ZigZag's names in parentheses):
//!
//! | Tessera | convolution form | GEMM form |
//! |---|---|---|
//! | M (output pixels, `N·OH·OW`) | N (B), Q (OY), P (OX) | P (M) |
//! | K (`KH·KW·C` per group, channels innermost) | S (FY), R (FX), C (C) | C (K) |
//! | N (output channels per group) | M (K) | M (N) |
//! | instances (a batch of products, or groups) | G (G) | G (G) |
//!
//! and its storage as levels, outermost first ([`Level`]): DRAM; the accumulator, input and weight
//! buffers, one memory per operand (each keeps its operand and bypasses the others); the `R × C`
//! array (spatial); one register per PE for the stationary operand; the MACs. With
//! `keep: Tiles` (one tile of each operand in the buffers) the loops sit at these levels:
//!
//! | loop | weight-stationary | output-stationary | input-stationary |
//! |---|---|---|---|
//! | DRAM (temporal) | instances, m-tiles, n-tiles | instances, output rows (convolutions), m-tiles, n-tiles | instances, n-tiles, m-tiles (in output rows, convolutions) |
//! | accumulator buffer | k-tiles (the output tile stays) | k-tiles | k-tiles |
//! | input buffer | n-slices (the A slice stays) | n-slices | — (an A tile per COMPUTE) |
//! | weight buffer | — (a B tile per COMPUTE) | — | m-slices (the B slice stays) |
//! | array (spatial) | K over the `R` rows, N over the `C` columns | M over the rows, N over the columns | K over the rows, M over the columns |
//! | PE register (stationary) | weight; the stream of `tile_m` rows of A | output; the stream of `tile_k` steps | input; the stream of `tile_n` columns of B |
//!
//! # Kept panels
//!
//! A mapping that keeps a panel ([`Keep`]) loads the kept operand once per panel, not once per
//! tile: the A panel (the m-tile's rows of A over all of K) stays in the input buffer while the
//! n-tiles run, or the B panel (the n-tile's columns of B over all of K) stays in the weight buffer
//! while the m-tiles run. In the tools' terms the buffer's tile must span all of K, so the k-tiles
//! run below it, and the tile loop the panel stays across must run below DRAM with nothing that
//! indexes the operand between it and the buffer. So the kept buffer is the level right under
//! DRAM, above the accumulator (which must stay below the tile loops: it keeps one output tile),
//! and holds that tile loop ([`Level::order`], [`Export::order`]; the storage order of `arch.yaml`
//! and `mapping.yaml` follows it):
//!
//! | loop | `InputPanel` | `WeightPanel` |
//! |---|---|---|
//! | storage order | DRAM > input > accumulator > weight | DRAM > weight > accumulator > input |
//! | DRAM | instances, (output rows), m-tiles | instances, (output rows), n-tiles |
//! | kept buffer | n-tiles (the A panel stays) | m-tiles (of an output row; the B panel stays) |
//! | accumulator | k-tiles, then WS/OS: n-slices | k-tiles, then IS: m-slices |
//! | the other buffer | WS/OS: —; IS: m-slices (the weight buffer) | WS/OS: n-slices (the input buffer); IS: — |
//!
//! on every dataflow, with the array and the PE register as for `Tiles`. The slices reuse the
//! streamed operand's slice; when that operand's buffer is the kept one (A on WS and OS, B on IS)
//! it is above the accumulator, so the slices run at the accumulator, inside the k-tiles.
//! Output- and input-stationary convolutions run their output rows outside both tile loops, and
//! Tessera reloads a B panel for each row: with `WeightPanel` the rows stay at DRAM outside the
//! n-tiles and only the m-tiles of a row run at the weight buffer (in the GEMM form P is then
//! split into two loops, the rows and the m-tiles of a row; otherwise, and with `Tiles`, one loop
//! over P counts both). Each buffer keeps only its own operand, so moving one up changes no other
//! operand's reuse. [`Export::dram_elements`] counts what the nest moves by Timeloop's reuse rule;
//! the tests hold it to Tessera's schedule (the kept operand once per panel).
//!
//! A convolution is written in the convolution form when its tiles fall on its dimensions: on a
//! weight-stationary array `tile_m` must divide an output row, or be whole rows dividing the image,
//! or whole images dividing the batch (a k-tile is always `R` channels of one kernel position); on an
//! output-stationary array `tile_k` must divide the channels per group, or be whole channel runs
//! dividing a kernel row, or whole kernel rows dividing the kernel (an m-tile is always `R` pixels of
//! one output row); an input-stationary convolution is always written as its implicit GEMM (its
//! m-tiles follow the output rows, which run outside the n-tiles: a note says so). Otherwise — and
//! for GEMMs and batched products — the problem is the layer's
//! GEMM as Tessera runs it, with `R = S = N = Q = 1`: `P = M`, `C = K`, `M = N`. The files say which
//! form and why in a comment.
//!
//! # Remainders
//!
//! Tessera's tiles need not divide a dimension: the last tile of a loop is a remainder. Each loop's
//! factor is its trip count for whole tiles (ceil-based), so the factors of a dimension multiply to
//! at least its size. Neither tool takes that as it is. Timeloop requires the factors to multiply
//! to the dimension exactly (`src/mapping/parser.cpp` exits otherwise); its C++ parser has had a
//! residual syntax since v2.0 (`M=16,5`: 16, but 5 in the last iteration), but `timeloopfe`'s v0.4
//! `Factors` reads every factor as `name=int` and fails on it. ZigZag uses a given temporal
//! ordering only when its loops multiply to the temporal extent exactly (it rounds up only the
//! spatial unrolling). So where a remainder exists, the problem's size is padded to what the
//! factors cover, and the files state the layer's size and Tessera's remainder (the last
//! iteration's count, which is also Timeloop's residual) in comments: the other tool then counts the
//! padding as work, where Tessera does not.
//!
//! # What the formats cannot say
//!
//! - Timing: the systolic skew, fill and drain, the DMA's per-word pacing, DRAM latency, the SYNC
//!   policy of the program and the overlap of ping-pong halves. Both tools model bandwidth, not
//!   Tessera's timing contract (docs/TIMING.md).
//! - The buffers' banks as Tessera uses them: a tile lives in one bank, the next in another. Timeloop
//!   gets it as `multiple_buffering: banks` (a tile fits `depth / banks`); ZigZag has no banks.
//! - Which level a loop belongs to, in ZigZag: a complete temporal ordering fixes the loops and
//!   their order; ZigZag's memory allocator then assigns them to memories by capacity.
//! - A convolution's gather: Tessera reads each (pixel, kernel position) from DRAM on its own and
//!   reads nothing for padding; the other tools move input tiles (Timeloop without padding at all).
//!   On a weight-stationary array Tessera rounds a convolution's channels per group up to `R` (zero
//!   rows that cost array time, not DRAM traffic); the problem is padded the same way.
//! - Reloads without a cause: Tessera loads the streamed slice at every k-tile of every output
//!   tile, the other operand's slice for every COMPUTE and a B panel for every output row, even
//!   when no loop between two uses moved it (one k-tile; one n-tile of a convolution); the tools
//!   see it stay, and count less traffic.
//! - A kept panel of a padded problem counts its last k-tile whole: where that exceeds the bank
//!   Tessera's panel fits, the files say so (the other tool may find the mapping over capacity).
//! - ZigZag's allocation by capacity may keep more than Tessera does (a panel even with
//!   `Tiles`, when a buffer holds it).
//! - Energies: ZigZag's costs are Tessera's technology figures (`tessera_arch::Tech`); Timeloop's
//!   come from Accelergy's plug-ins for the component classes named, not from Tessera.
//!
//! # Formats followed (read 2026-11)
//!
//! - Timeloop v0.4: github.com/Accelergy-Project/timeloop-accelergy-exercises at `2d551080`
//!   (2025-04-09): `workspace/example_designs/example_designs/simple_weight_stationary/arch.yaml`,
//!   `simple_output_stationary/arch.yaml`, `_include/default_problem.yaml` and
//!   `ref_outputs/default_problem/timeloop-mapper.map.{yaml,txt}` (a permutation lists the
//!   innermost loop first), `workspace/tutorial_exercises/02_interface_and_design_space_exploration_2024/inputs/{arch,problem}.yaml`
//!   (the CNN layer with `G`), `01_accelergy_timeloop_2020_ispass/timeloop/04-model-conv1d+oc-3levelspatial/map`
//!   (a spatial directive targets the `!Container` with the mesh);
//!   github.com/Accelergy-Project/timeloop-python at `b8aaf2cd` (2025-04-16):
//!   `pytimeloop/timeloopfe/v4/{arch,constraints,problem}.py` (component classes, storage
//!   attributes, directive types `temporal | spatial | dataspace`, factor lists),
//!   `common/version_transpilers/v4_to_v3.py`; github.com/NVlabs/timeloop at `4cf6d4cd`
//!   (2025-03-31, after v3.0.3): `src/mapping/parser.cpp` (factors, `split`, the exact-product
//!   check), `src/model/buffer.cpp` (buffer attributes).
//! - ZigZag: github.com/KULeuven-MICAS/zigzag at `3d12a96e` (2026-01-15, package `zigzag-dse`
//!   3.8.5): `zigzag/inputs/hardware/{tpu_like,gemm_l1}.yaml`, `inputs/mapping/{tpu_like,gemm_l1}.yaml`,
//!   `inputs/workload/{gemm_layer,resnet18}.yaml`, the schemas in
//!   `zigzag/parser/{accelerator,mapping,workload}_validator.py`, `parser/mapping_factory.py`
//!   (a mapping is found by layer name, then operator type, then `default`, which must exist),
//!   `parser/onnx/conv_parser.py` (the grouped convolution), `opt/loma/engine.py` and
//!   `stages/mapping/temporal_mapping_generator_stage.py` (when a temporal ordering is used as is).
//!
//! Checked against the tools themselves (by hand, not in the test suite, which needs neither):
//! 240 exports (GEMMs, batched products, strided, dilated, grouped and depthwise convolutions on
//! both dataflows and three array shapes, four mappings each) all parse and transpile with
//! `timeloopfe` (timeloop-python `b8aaf2cd` with accelergy `6911d156`; since timeloop-python
//! `ada06ac`, 2025-04-14, every storage needs a `depth`, DRAM too) and their transpiled factors pass
//! `parser.cpp`'s exact-product check; and `zigzag-dse` 3.9.1 (PyPI) evaluates all of them with
//! Tessera's temporal ordering as given. The exports of kept panels were checked the same way with
//! `zigzag-dse` 3.9.1 only (Timeloop was not at hand): 82 exports of `dqn` and `mlp_small` on six
//! arrays of the three dataflows, 48 of them keeping a panel (convolutions with P split into rows
//! among them), all evaluate with the ordering as given. Their DRAM counts differ from Tessera's
//! only where the sizes are padded (ZigZag counts the padding) or where a buffer holds more than
//! Tessera keeps (a whole operand of a small layer: ZigZag's allocation keeps it, as with `Tiles`,
//! and counts less) or where Tessera reloads a tile no loop moved (above).
//!
//! # Why no YAML library writes the files
//!
//! The files must carry comments: the form and why, the remainders, what is not modelled. No
//! maintained Rust YAML emitter writes comments: `serde_yaml` is archived, and neither its fork
//! `serde_norway` nor `saphyr`'s emitter (which do write `!Tag`s) has them. The writers therefore
//! print their own fixed structure (close to the upstream examples' layout, deterministic) with
//! `writeln!`, and pass the only text that comes from users through the escaping of the private
//! `yaml` module; the tests read every file back with `saphyr` (a dev-dependency).
//!
//! [Timeloop]: https://github.com/NVlabs/timeloop
//! [ZigZag]: https://github.com/KULeuven-MICAS/zigzag

pub mod timeloop;
mod yaml;
pub mod zigzag;

use crate::{Keep, Mapping, Problem};
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{ensure, Result};

/// A dimension of the exported problem, in Timeloop's names for a CNN layer: input channels (per
/// group) `C`, output channels (per group) `M`, kernel width `R` and height `S`, batch `N`, output
/// width `P` and height `Q`, groups `G`. In the GEMM form only `C`, `M`, `P` and `G` are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PDim {
    C,
    M,
    R,
    S,
    N,
    P,
    Q,
    G,
}

impl PDim {
    /// Every dimension, in the order the files list them (Timeloop's).
    pub const ALL: [PDim; 8] = [
        PDim::C,
        PDim::M,
        PDim::R,
        PDim::S,
        PDim::N,
        PDim::P,
        PDim::Q,
        PDim::G,
    ];

    /// Timeloop's name.
    pub fn name(self) -> &'static str {
        match self {
            PDim::C => "C",
            PDim::M => "M",
            PDim::R => "R",
            PDim::S => "S",
            PDim::N => "N",
            PDim::P => "P",
            PDim::Q => "Q",
            PDim::G => "G",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// A level of the exported hierarchy. [`Level::ALL`] lists them outermost first as they nest for
/// `Keep::Tiles`; a kept panel moves its buffer up ([`Level::order`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Dram,
    Accumulator,
    Input,
    Weight,
    /// The PE array: its loops are spatial, rows first, then columns.
    Array,
    /// The register each PE keeps its stationary operand in.
    Pe,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Dram,
        Level::Accumulator,
        Level::Input,
        Level::Weight,
        Level::Array,
        Level::Pe,
    ];

    /// The levels as they nest under a mapping that keeps `keep`, outermost first: the buffer
    /// that keeps a panel sits right under DRAM, above the accumulator, so that the tile loop its
    /// panel stays across can be its own (module docs). Each buffer keeps one operand, so their
    /// order changes no other operand's reuse.
    pub fn order(keep: Keep) -> [Level; 6] {
        use Level::*;
        match keep {
            Keep::Tiles => Level::ALL,
            Keep::InputPanel => [Dram, Input, Accumulator, Weight, Array, Pe],
            Keep::WeightPanel => [Dram, Weight, Accumulator, Input, Array, Pe],
        }
    }

    fn idx(self) -> usize {
        self as usize
    }

    /// The level's name in the comments.
    pub fn describe(self) -> &'static str {
        match self {
            Level::Dram => "DRAM",
            Level::Accumulator => "accumulator buffer",
            Level::Input => "input buffer",
            Level::Weight => "weight buffer",
            Level::Array => "PE array",
            Level::Pe => "PE register",
        }
    }
}

/// How the problem is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// A convolution over its own dimensions.
    Conv,
    /// A GEMM (`R = S = N = Q = 1`): the layer's, or a convolution's implicit one.
    Gemm,
}

/// One loop of the exported nest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Factor {
    pub dim: PDim,
    /// Trips of whole tiles (the last may be a remainder in Tessera: see [`Export::remainders`]).
    pub factor: u32,
    /// Which of Tessera's loops it is, for comments.
    pub what: &'static str,
}

/// A loop whose iteration count differs from its factor in the last iteration of the loops around
/// it on the same dimension (Tessera's remainder tile; Timeloop's "residual").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remainder {
    pub level: Level,
    pub dim: PDim,
    pub factor: u32,
    /// Iterations in that last iteration.
    pub last: u64,
}

/// Tessera's loop nest for a (problem, accelerator, mapping), over the exported problem's
/// dimensions: what both writers print (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub form: Form,
    /// Why this form, for comments.
    pub why: String,
    pub dataflow: Dataflow,
    /// Whether the layer is a convolution (in either form): on output- and input-stationary
    /// arrays its output rows run outside both tile loops.
    pub conv: bool,
    /// The layer's size on each dimension (indexed like [`PDim::ALL`]).
    pub extent: [u64; 8],
    /// What the mapping keeps across output tiles: it places the tile loops (module docs).
    pub keep: Keep,
    /// The levels as they nest, outermost first ([`Level::order`]): the storage order of the
    /// files.
    pub order: [Level; 6],
    /// The loops of each level (indexed like [`Level::ALL`], whatever the order), outermost
    /// first; at most one per dimension and level.
    pub levels: [Vec<Factor>; 6],
    /// Where Tessera's last tiles are smaller than the factors say.
    pub remainders: Vec<Remainder>,
    /// Further remarks for the comments (padding Tessera does itself, remainders the form cannot
    /// place).
    pub notes: Vec<String>,
}

/// A layer's m-tile loops, before `keep` places them.
enum MTiles {
    /// Loops that stay together (a weight-stationary convolution's images, rows and pixels).
    Loops(Vec<Factor>),
    /// A convolution's GEMM form on an array whose m-tiles never span two output rows
    /// (output- and input-stationary): `rows` output rows of `per_row` m-tiles each, one loop
    /// over P when nothing runs between them (`merged`), else the rows and the m-tiles within a
    /// row (`in_row`).
    Rows {
        rows: u32,
        per_row: u32,
        merged: &'static str,
        in_row: &'static str,
    },
}

impl MTiles {
    fn one(dim: PDim, factor: u32, what: &'static str) -> MTiles {
        let mut l = Loops::default();
        l.add(dim, factor, what);
        MTiles::Loops(l.0)
    }

    /// Every m-tile loop together.
    fn merged(&self) -> Vec<Factor> {
        match self {
            MTiles::Loops(l) => l.clone(),
            MTiles::Rows {
                rows,
                per_row,
                merged,
                ..
            } => {
                let mut l = Loops::default();
                l.add(PDim::P, rows * per_row, merged);
                l.0
            }
        }
    }

    /// (the output rows, the m-tiles within a row): where a loop runs between them.
    fn split(&self) -> (Vec<Factor>, Vec<Factor>) {
        match self {
            MTiles::Loops(l) => (Vec::new(), l.clone()),
            MTiles::Rows {
                rows,
                per_row,
                in_row,
                ..
            } => {
                let (mut out, mut inner) = (Loops::default(), Loops::default());
                out.add(PDim::P, *rows, "output rows (an m-tile never spans two)");
                inner.add(PDim::P, *per_row, in_row);
                (out.0, inner.0)
            }
        }
    }
}

/// Loops of one level under construction: loops of factor 1 are left out.
#[derive(Default)]
struct Loops(Vec<Factor>);

impl Loops {
    fn add(&mut self, dim: PDim, factor: u32, what: &'static str) -> &mut Self {
        if factor > 1 {
            self.0.push(Factor { dim, factor, what });
        }
        self
    }
}

impl Export {
    /// The nest of `problem` on `arch` under `mapping`. Errors when the mapping does not fit the
    /// accelerator (fields under `mapping`) or the problem was made for another accelerator.
    pub fn new(arch: &Arch, problem: &Problem, mapping: &Mapping) -> Result<Export> {
        let df = arch.dataflow();
        ensure(df != Dataflow::RowStationary, "dataflow", || {
            "a row-stationary accelerator is not exported to Timeloop or ZigZag: its passes \
             (mapping/src/rs.rs) are not a GEMM tiling"
                .to_string()
        })?;
        ensure(problem.dataflow == df, "dataflow", || {
            format!(
                "the problem was made for a {} array, the accelerator is {}",
                problem.dataflow.name(),
                df.name()
            )
        })?;
        let g = &problem.gemm;
        mapping.check(g, arch).map_err(|e| e.under("mapping"))?;
        let (r, c) = (arch.rows(), arch.cols());
        ensure(
            g.m >= 1 && g.k >= 1 && g.n >= 1 && problem.instances >= 1,
            "gemm",
            || {
                format!(
                    "every extent must be at least 1, got {}x{}x{}",
                    g.m, g.k, g.n
                )
            },
        )?;
        if let Some(cg) = &problem.conv {
            let want = match df {
                Dataflow::OutputStationary | Dataflow::InputStationary => cg.cg,
                Dataflow::WeightStationary => cg.cg.div_ceil(r) * r,
                Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
            };
            ensure(cg.k_per_position == want, "conv", || {
                format!(
                    "the problem's K has {} rows per kernel position; an array of {r} rows needs {want} \
                     (the problem was made for another accelerator)",
                    cg.k_per_position
                )
            })?;
        }
        // Tiles larger than their dimension are the dimension (the nest's first loop covers it).
        let tile_m = mapping.tile_m.min(g.m);
        let tile_k = mapping.tile_k.min(g.k);
        let slices_all = g.n.div_ceil(c);
        let slices_n = (mapping.tile_n / c).clamp(1, slices_all);
        let n_tiles = slices_all.div_ceil(slices_n);
        // Input-stationary: the stream of tile_n columns of B, and m-slices (C rows of M each)
        // per m-tile; a convolution's m-slices never span two output rows.
        let tile_n = mapping.tile_n.min(g.n);
        let m_slices_all = match &problem.conv {
            Some(cg) => cg.conv.out_w.div_ceil(c),
            None => g.m.div_ceil(c),
        };
        let m_slices = (mapping.tile_m / c).clamp(1, m_slices_all);
        let (mut outer, mut acc, mut pe) = (Loops::default(), Loops::default(), Loops::default());
        // The two tile loops, placed below by `keep`: the m-tiles and the n-tile.
        let m_tiles;
        let mut n_tile = Loops::default();
        let mut notes = Vec::new();
        outer.add(PDim::G, problem.instances, "instances");
        let conv = problem.conv.as_ref().map(|cg| (cg, &cg.conv));
        // The dimension on the rows, and the form's pieces: M's tile loops and K's buffer loops
        // (conv form), or None for the GEMM form with the reason.
        let rows_dim;
        let form;
        let why;
        match df {
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
            Dataflow::InputStationary => {
                rows_dim = PDim::C;
                form = Form::Gemm;
                let m_tiles_n = m_slices_all.div_ceil(m_slices);
                why = match conv {
                    Some(_) => "an input-stationary convolution is written as its implicit GEMM \
                                (its m-tiles follow the output rows)"
                        .to_string(),
                    None => gemm_why(problem),
                };
                n_tile.add(PDim::M, g.n.div_ceil(tile_n), "n-tiles (streamed)");
                match conv {
                    Some((_, cv)) => {
                        let rows = cv.batch * cv.out_h;
                        m_tiles = MTiles::Rows {
                            rows,
                            per_row: m_tiles_n,
                            merged: "m-tiles (in output rows)",
                            in_row: "m-tiles in an output row",
                        };
                        let covered = m_tiles_n * m_slices * c;
                        notes.push(format!(
                            "{}an m-slice never spans two output rows{}",
                            if mapping.keep == Keep::Tiles {
                                format!("Tessera runs the {rows} output rows outside the n-tiles, and ")
                            } else {
                                format!("the {rows} output rows run outside the n-tiles, as in Tessera, and ")
                            },
                            if covered != cv.out_w {
                                format!(
                                    ": each row of {} pixels is {m_tiles_n} m-tile(s) of up to {} pixels, \
                                     so P counts {covered} pixels per row",
                                    cv.out_w,
                                    m_slices * c
                                )
                            } else {
                                String::new()
                            }
                        ));
                    }
                    None => {
                        m_tiles = MTiles::one(PDim::P, m_tiles_n, "m-tiles");
                    }
                }
                acc.add(PDim::C, g.k.div_ceil(r), "k-tiles");
                pe.add(PDim::M, tile_n, "stream: tile_n columns of B");
            }
            Dataflow::OutputStationary => {
                rows_dim = PDim::P;
                let k_conv = conv.and_then(|(cg, cv)| {
                    os_conv_k(cg.cg, cv.kernel[1], cv.kernel[0], tile_k)
                        .map(|(a, s)| (cg, cv, a, s))
                });
                match (conv, k_conv) {
                    (_, Some((_, cv, k_acc, k_stream))) => {
                        form = Form::Conv;
                        why = format!(
                            "tile_k = {tile_k} k-steps fall on the channels and kernel positions"
                        );
                        outer.add(PDim::N, cv.batch, "images").add(
                            PDim::Q,
                            cv.out_h,
                            "output rows",
                        );
                        m_tiles = MTiles::one(
                            PDim::P,
                            cv.out_w.div_ceil(r),
                            "m-tiles in an output row (a pixel per array row)",
                        );
                        acc.0 = k_acc;
                        pe.0 = k_stream;
                    }
                    (Some((cg, cv)), None) => {
                        form = Form::Gemm;
                        why = format!(
                            "tile_k = {tile_k} k-steps do not fall on the channels and kernel \
                             positions (C = {}, R = {}, S = {}): written as the convolution's \
                             implicit GEMM",
                            cg.cg, cv.kernel[1], cv.kernel[0]
                        );
                        let per_row = cv.out_w.div_ceil(r);
                        m_tiles = MTiles::Rows {
                            rows: cv.batch * cv.out_h,
                            per_row,
                            merged: "m-tiles (in output rows, a pixel per array row)",
                            in_row: "m-tiles in an output row (a pixel per array row)",
                        };
                        if cv.out_w % r != 0 {
                            notes.push(format!(
                                "an m-tile never spans two output rows: each of the {} rows of \
                                 {} pixels is {per_row} m-tiles, the last of {} pixels, so P \
                                 counts {} pixels per row",
                                cv.batch * cv.out_h,
                                cv.out_w,
                                cv.out_w - (per_row - 1) * r,
                                per_row * r
                            ));
                        }
                        acc.add(PDim::C, g.k.div_ceil(tile_k), "k-tiles");
                        pe.add(PDim::C, tile_k, "stream: tile_k steps");
                    }
                    (None, _) => {
                        form = Form::Gemm;
                        why = gemm_why(problem);
                        m_tiles = MTiles::one(PDim::P, g.m.div_ceil(r), "m-tiles");
                        acc.add(PDim::C, g.k.div_ceil(tile_k), "k-tiles");
                        pe.add(PDim::C, tile_k, "stream: tile_k steps");
                    }
                }
            }
            Dataflow::WeightStationary => {
                rows_dim = PDim::C;
                let m_conv = conv.and_then(|(cg, cv)| {
                    ws_conv_m(cv.batch, cv.out_h, cv.out_w, tile_m).map(|(d, s)| (cg, cv, d, s))
                });
                match (conv, m_conv) {
                    (_, Some((cg, cv, m_loops, m_stream))) => {
                        form = Form::Conv;
                        why = format!("tile_m = {tile_m} rows fall on the output pixels");
                        m_tiles = MTiles::Loops(m_loops);
                        acc.add(PDim::S, cv.kernel[0], "k-tiles: kernel rows")
                            .add(PDim::R, cv.kernel[1], "k-tiles: kernel columns")
                            .add(
                                PDim::C,
                                cg.k_per_position / r,
                                "k-tiles of channels (one per array row)",
                            );
                        pe.0 = m_stream;
                        if cg.cg % r != 0 {
                            notes.push(format!(
                                "Tessera rounds the {} channels per group up to {} (a multiple of \
                                 the array's rows): the extra rows of B are zeros and cost array \
                                 time, not DRAM traffic",
                                cg.cg, cg.k_per_position
                            ));
                        }
                    }
                    (Some((cg, cv)), None) => {
                        form = Form::Gemm;
                        why = format!(
                            "tile_m = {tile_m} rows do not fall on the output pixels (P = {}, \
                             Q = {}, N = {}): written as the convolution's implicit GEMM",
                            cv.out_w, cv.out_h, cv.batch
                        );
                        if cg.cg % r != 0 {
                            notes.push(format!(
                                "K = {} includes Tessera's zero rows: the {} channels per group \
                                 are rounded up to {} for every kernel position",
                                g.k, cg.cg, cg.k_per_position
                            ));
                        }
                        m_tiles = MTiles::one(PDim::P, g.m.div_ceil(tile_m), "m-tiles");
                        acc.add(PDim::C, g.k.div_ceil(r), "k-tiles");
                        pe.add(PDim::P, tile_m, "stream: tile_m rows of A");
                    }
                    (None, _) => {
                        form = Form::Gemm;
                        why = gemm_why(problem);
                        m_tiles = MTiles::one(PDim::P, g.m.div_ceil(tile_m), "m-tiles");
                        acc.add(PDim::C, g.k.div_ceil(r), "k-tiles");
                        pe.add(PDim::P, tile_m, "stream: tile_m rows of A");
                    }
                }
            }
        }
        // The slices of an output tile (C columns of the array each), and the buffer of the
        // operand they reuse (the streamed one: A, or B on an input-stationary array).
        let mut slices = Loops::default();
        let (cols_dim, slice_buffer) = match df {
            Dataflow::InputStationary => {
                slices.add(PDim::P, m_slices, "m-slices (the array's columns each)");
                (PDim::P, Level::Weight)
            }
            _ => {
                n_tile.add(PDim::M, n_tiles, "n-tiles");
                slices.add(PDim::M, slices_n, "n-slices (the array's columns each)");
                (PDim::M, Level::Input)
            }
        };
        let mut array = Loops::default();
        array
            .add(rows_dim, r, "array rows")
            .add(cols_dim, c, "array columns");
        // The tile loops by what the buffers keep (module docs): both at DRAM in the dataflow's
        // order, or the inner one at the kept panel's buffer, which then sits right under DRAM.
        let order = Level::order(mapping.keep);
        let mut levels: [Vec<Factor>; 6] = Default::default();
        let mut dram = outer.0;
        match mapping.keep {
            Keep::Tiles => match df {
                Dataflow::InputStationary => {
                    dram.extend(n_tile.0);
                    dram.extend(m_tiles.merged());
                }
                _ => {
                    dram.extend(m_tiles.merged());
                    dram.extend(n_tile.0);
                }
            },
            Keep::InputPanel => {
                dram.extend(m_tiles.merged());
                levels[Level::Input.idx()] = n_tile.0;
            }
            Keep::WeightPanel => {
                let (rows, in_row) = m_tiles.split();
                dram.extend(rows);
                dram.extend(n_tile.0);
                levels[Level::Weight.idx()] = in_row;
            }
        }
        levels[Level::Dram.idx()] = dram;
        // The slices stay at their operand's buffer, below the accumulator, unless that buffer
        // keeps a panel above it: then they run at the accumulator, inside the k-tiles.
        let pos = |l: Level| order.iter().position(|&x| x == l);
        let slice_level = if pos(slice_buffer) < pos(Level::Accumulator) {
            Level::Accumulator
        } else {
            slice_buffer
        };
        levels[Level::Accumulator.idx()] = acc.0;
        levels[slice_level.idx()].extend(slices.0);
        levels[Level::Array.idx()] = array.0;
        levels[Level::Pe.idx()] = pe.0;
        let mut extent = [1u64; 8];
        match (form, conv) {
            (Form::Conv, Some((cg, cv))) => {
                for (d, v) in [
                    (PDim::C, cg.cg),
                    (PDim::M, g.n),
                    (PDim::R, cv.kernel[1]),
                    (PDim::S, cv.kernel[0]),
                    (PDim::N, cv.batch),
                    (PDim::P, cv.out_w),
                    (PDim::Q, cv.out_h),
                ] {
                    extent[d.idx()] = u64::from(v);
                }
            }
            _ => {
                extent[PDim::P.idx()] = u64::from(g.m);
                extent[PDim::C.idx()] = u64::from(g.k);
                extent[PDim::M.idx()] = u64::from(g.n);
            }
        }
        extent[PDim::G.idx()] = u64::from(problem.instances);
        let mut e = Export {
            form,
            why,
            dataflow: df,
            conv: conv.is_some(),
            keep: mapping.keep,
            order,
            extent,
            levels,
            remainders: Vec::new(),
            notes,
        };
        for d in PDim::ALL {
            assert!(
                e.product(d) >= e.extent(d),
                "the factors of {} cover {} of {}",
                d.name(),
                e.product(d),
                e.extent(d)
            );
        }
        e.remainders = e.find_remainders();
        // Per-row remainders of an output-stationary convolution's GEMM form are said in a note:
        // the last-iteration rule of one loop over all of M cannot place them.
        if form == Form::Gemm && df != Dataflow::WeightStationary && conv.is_some() {
            e.remainders.retain(|x| x.dim != PDim::P);
            // ...but an input-stationary row's last m-tile holds fewer m-slices, in every row:
            // said as the m-slices' loop's remainder (it repeats per row, as the note says)
            let last = m_slices_all - (m_slices_all.div_ceil(m_slices) - 1) * m_slices;
            if df == Dataflow::InputStationary && last != m_slices {
                e.remainders.push(Remainder {
                    level: slice_level,
                    dim: PDim::P,
                    factor: m_slices,
                    last: u64::from(last),
                });
            }
        }
        // A panel counts its last k-tile whole in the padded problem: say so where that no longer
        // fits the bank Tessera's panel fits.
        if let Some(level) = e.kept() {
            let (buf, op) = match level {
                Level::Input => (arch.input(), Operand::Inputs),
                _ => (arch.weight(), Operand::Weights),
            };
            let lanes = buf.word_bytes() * 8 / arch.datatypes().operand_bits();
            let bank = u128::from(buf.bank_depth()) * u128::from(lanes);
            let tile = e.tile_elements(op);
            if tile > bank {
                e.notes.push(format!(
                    "the padded problem's panel is {tile} elements, more than a bank of the {} \
                     holds ({bank}): Tessera's panel fits (its last k-tile is a remainder), but \
                     the other tool may find the mapping over capacity",
                    level.describe()
                ));
            }
        }
        Ok(e)
    }

    /// The dimension on the array's rows: `C` (K), or `P` (M) on an output-stationary array.
    pub fn rows_dim(&self) -> PDim {
        match self.dataflow {
            Dataflow::OutputStationary => PDim::P,
            _ => PDim::C,
        }
    }

    /// The dimension on the array's columns: `M` (Tessera's N), or `P` (M) on an
    /// input-stationary array.
    pub fn cols_dim(&self) -> PDim {
        match self.dataflow {
            Dataflow::InputStationary => PDim::P,
            _ => PDim::M,
        }
    }

    /// The loops of a level, outermost first.
    pub fn loops(&self, level: Level) -> &[Factor] {
        &self.levels[level.idx()]
    }

    /// The layer's size on `d`.
    pub fn extent(&self, d: PDim) -> u64 {
        self.extent[d.idx()]
    }

    /// The product of `d`'s factors at `level` (1 without a loop).
    pub fn factor(&self, level: Level, d: PDim) -> u64 {
        self.loops(level)
            .iter()
            .filter(|f| f.dim == d)
            .map(|f| u64::from(f.factor))
            .product()
    }

    /// The product of all of `d`'s factors: what the nest covers, at least the extent.
    pub fn product(&self, d: PDim) -> u64 {
        Level::ALL.iter().map(|&l| self.factor(l, d)).product()
    }

    /// The spatial factor of `d` (on the array).
    pub fn spatial(&self, d: PDim) -> u64 {
        self.factor(Level::Array, d)
    }

    /// The product of `d`'s temporal factors.
    pub fn temporal(&self, d: PDim) -> u64 {
        self.product(d) / self.spatial(d)
    }

    /// The remainder of `d`'s loop at `level`, if it has one.
    pub fn remainder(&self, level: Level, d: PDim) -> Option<&Remainder> {
        self.remainders
            .iter()
            .find(|x| x.level == level && x.dim == d)
    }

    /// Walk each dimension's loops from the outermost: a loop runs `ceil(extent / tile)` times in the
    /// last iteration of the loops around it (`tile` = what the loops inside cover), and the last
    /// tile's extent is what remains.
    fn find_remainders(&self) -> Vec<Remainder> {
        let mut out = Vec::new();
        for d in PDim::ALL {
            let chain: Vec<(Level, u32)> = self
                .order
                .iter()
                .flat_map(|&l| {
                    self.loops(l)
                        .iter()
                        .filter(|f| f.dim == d)
                        .map(move |f| (l, f.factor))
                })
                .collect();
            let mut cur = self.extent(d);
            for (i, &(level, factor)) in chain.iter().enumerate() {
                let tile: u64 = chain[i + 1..].iter().map(|x| u64::from(x.1)).product();
                let trips = cur.div_ceil(tile).max(1);
                if trips != u64::from(factor) {
                    out.push(Remainder {
                        level,
                        dim: d,
                        factor,
                        last: trips,
                    });
                }
                cur -= (trips - 1) * tile;
            }
        }
        out
    }

    /// What the factors cover on `d` when it is more than the layer's size: the size the problem
    /// is padded to in Timeloop.
    pub fn padded(&self, d: PDim) -> Option<u64> {
        (self.product(d) != self.extent(d)).then(|| self.product(d))
    }

    /// Lines describing the padding and remainders, for the files' comments, with the
    /// dimensions called `name(d)`.
    pub fn remainder_lines(&self, name: impl Fn(PDim) -> &'static str) -> Vec<String> {
        let mut out = Vec::new();
        for d in PDim::ALL {
            if let Some(p) = self.padded(d) {
                let rems: Vec<String> = self
                    .remainders
                    .iter()
                    .filter(|x| x.dim == d)
                    .map(|x| {
                        format!(
                            "{} {}={} runs {} in its last iteration",
                            x.level.describe(),
                            name(d),
                            x.factor,
                            x.last
                        )
                    })
                    .collect();
                out.push(format!(
                    "{}: the layer has {}, the factors cover {p}{}",
                    name(d),
                    self.extent(d),
                    if rems.is_empty() {
                        String::new()
                    } else {
                        format!(" (Tessera's remainders: {})", rems.join("; "))
                    }
                ));
            }
        }
        out.extend(self.notes.iter().cloned());
        out
    }
}

/// A data space of the exported problem, in Timeloop's names (ZigZag's `I`, `W`, `O`): A, B and
/// the output of Tessera's GEMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    Inputs,
    Weights,
    Outputs,
}

impl Operand {
    pub const ALL: [Operand; 3] = [Operand::Inputs, Operand::Weights, Operand::Outputs];

    /// Timeloop's name.
    pub fn name(self) -> &'static str {
        match self {
            Operand::Inputs => "Inputs",
            Operand::Weights => "Weights",
            Operand::Outputs => "Outputs",
        }
    }

    /// The buffer that keeps it under DRAM.
    pub fn buffer(self) -> Level {
        match self {
            Operand::Inputs => Level::Input,
            Operand::Weights => Level::Weight,
            Operand::Outputs => Level::Accumulator,
        }
    }
}

impl Export {
    /// The buffer that keeps a panel across output tiles, if the mapping keeps one.
    pub fn kept(&self) -> Option<Level> {
        match self.keep {
            Keep::Tiles => None,
            Keep::InputPanel => Some(Level::Input),
            Keep::WeightPanel => Some(Level::Weight),
        }
    }

    /// What a kept panel is, for comments: `None` for `Keep::Tiles`.
    pub fn panel(&self) -> Option<&'static str> {
        match self.keep {
            Keep::Tiles => None,
            Keep::InputPanel => Some("the m-tile's rows of A over all of K (the A panel)"),
            Keep::WeightPanel => Some("the n-tile's columns of B over all of K (the B panel)"),
        }
    }

    /// Lines saying how a kept panel is written, for the files' comments (none for
    /// `Keep::Tiles`).
    pub fn keep_lines(&self) -> Vec<String> {
        let (Some(level), Some(panel)) = (self.kept(), self.panel()) else {
            return Vec::new();
        };
        let rows = self.conv && self.dataflow != Dataflow::WeightStationary;
        let (inner, outer) = match self.keep {
            Keep::InputPanel => ("n-tiles", "m-tile"),
            _ if rows => ("m-tiles of an output row", "output row and n-tile"),
            _ => ("m-tiles", "n-tile"),
        };
        vec![
            format!(
                "keep = {}: the {} keeps {panel} while the {inner} run, so it is the level under \
                 DRAM, above the accumulator, and the loop over them is its own: the panel is read \
                 from DRAM once per {outer}, not once per output tile",
                self.keep.label(),
                level.describe()
            ),
            format!(
                "storage order, outermost first: {}",
                self.order
                    .iter()
                    .map(|l| l.describe())
                    .collect::<Vec<_>>()
                    .join(" > ")
            ),
        ]
    }

    /// Whether `d` indexes `op`: the weights are indexed by C, M, R, S and G, the outputs by M, N,
    /// P, Q and G, and the inputs by every dimension but M — in the convolution form, as the
    /// implicit GEMM's A that Tessera gathers (each (pixel, kernel position) on its own), not as
    /// the tools' sliding windows, which overlap. (The GEMM form has loops only on C, M, P, G.)
    pub fn indexes(&self, op: Operand, d: PDim) -> bool {
        match op {
            Operand::Inputs => d != PDim::M,
            Operand::Weights => matches!(d, PDim::C | PDim::M | PDim::R | PDim::S | PDim::G),
            Operand::Outputs => matches!(d, PDim::M | PDim::N | PDim::P | PDim::Q | PDim::G),
        }
    }

    /// Elements of `op` its buffer ([`Operand::buffer`]) holds at a time: what the loops at and
    /// below it ([`Export::order`]) cover on the dimensions that index `op` ([`Export::indexes`]),
    /// the tile Timeloop checks against the buffer's capacity. Saturates at `u128::MAX`.
    pub fn tile_elements(&self, op: Operand) -> u128 {
        self.order[self.position(op.buffer())..]
            .iter()
            .flat_map(|&l| self.loops(l))
            .filter(|f| self.indexes(op, f.dim))
            .fold(1u128, |t, f| t.saturating_mul(u128::from(f.factor)))
    }

    /// Elements of `op` moved between DRAM and its buffer over the whole nest, by the reuse rule
    /// of Timeloop's nest analysis: the buffer's tile ([`Export::tile_elements`]) moves once per
    /// iteration of the loops above it (the levels before it in [`Export::order`], whichever
    /// operand they keep), except the innermost of those that do not index `op`: until the first
    /// loop that does, the tile stays. Reads for the inputs and weights; for the outputs, writes
    /// (no loop over K runs above the accumulator, so each output leaves once). Counts the problem
    /// the factors cover (padded where Tessera has remainders). ZigZag, which allocates loops to
    /// memories by capacity, may find more reuse; Tessera finds less where a loop between two uses
    /// of a tile has one iteration (it reloads the tile all the same). Saturates at `u128::MAX`.
    pub fn dram_elements(&self, op: Operand) -> u128 {
        let above: Vec<&Factor> = self.order[..self.position(op.buffer())]
            .iter()
            .flat_map(|&l| self.loops(l))
            .collect();
        let mut trips = 1u128;
        let mut relevant = false;
        for f in above.into_iter().rev() {
            relevant |= self.indexes(op, f.dim);
            if relevant {
                trips = trips.saturating_mul(u128::from(f.factor));
            }
        }
        self.tile_elements(op).saturating_mul(trips)
    }

    /// Where `level` nests in [`Export::order`] (0: DRAM).
    fn position(&self, level: Level) -> usize {
        self.order
            .iter()
            .position(|&l| l == level)
            .expect("every level is in the order")
    }
}

/// ` keep=<label>` for the files' first line when a panel is kept (nothing for `Keep::Tiles`).
fn keep_suffix(keep: Keep) -> String {
    match keep {
        Keep::Tiles => String::new(),
        k => format!(" keep={}", k.label()),
    }
}

/// Tessera's loop nest as the mapping files' comment says it (two lines).
fn nest_comment(e: &Export) -> String {
    let (rows, slice) = match e.dataflow {
        Dataflow::InputStationary => ("convolutions", "m-slice"),
        _ => ("output-stationary convolutions", "n-slice"),
    };
    let tiles = match e.keep {
        Keep::Tiles => match e.dataflow {
            Dataflow::InputStationary => "for n-tile / for m-tile /",
            _ => "for m-tile /\n# for n-tile /",
        },
        Keep::InputPanel => {
            "for m-tile /\n# for n-tile (the input buffer keeps the m-tile's A panel while they run) /"
        }
        Keep::WeightPanel => {
            "for n-tile /\n# for m-tile (the weight buffer keeps the n-tile's B panel while they run) /"
        }
    };
    let brk = if e.keep == Keep::Tiles && e.dataflow == Dataflow::InputStationary {
        "\n#"
    } else {
        ""
    };
    format!(
        "# Tessera's nest: for instance / (for output row: {rows}) / {tiles}{brk} for k-tile / \
         for {slice} / COMPUTE.\n"
    )
}

/// Why a layer that is not a convolution takes the GEMM form.
fn gemm_why(p: &Problem) -> String {
    if p.instances > 1 {
        format!(
            "the layer is {} independent GEMMs (a batched product)",
            p.instances
        )
    } else {
        "the layer is a GEMM".into()
    }
}

/// A weight-stationary convolution's m-tiles over (N, Q, P) when `tile_m` pixels fall on them:
/// (the DRAM loops, the stream in the PEs).
fn ws_conv_m(batch: u32, oh: u32, ow: u32, tile_m: u32) -> Option<(Vec<Factor>, Vec<Factor>)> {
    let (mut dram, mut stream) = (Loops::default(), Loops::default());
    if ow.is_multiple_of(tile_m) {
        dram.add(PDim::N, batch, "m-tiles: images")
            .add(PDim::Q, oh, "m-tiles: output rows")
            .add(PDim::P, ow / tile_m, "m-tiles in a row");
        stream.add(PDim::P, tile_m, "stream: tile_m pixels of a row");
    } else if tile_m.is_multiple_of(ow) && oh.is_multiple_of(tile_m / ow) {
        let t = tile_m / ow;
        dram.add(PDim::N, batch, "m-tiles: images")
            .add(PDim::Q, oh / t, "m-tiles of whole rows");
        stream
            .add(PDim::Q, t, "stream: output rows")
            .add(PDim::P, ow, "stream: pixels of a row");
    } else if tile_m.is_multiple_of(ow * oh) && batch.is_multiple_of(tile_m / (ow * oh)) {
        let t = tile_m / (ow * oh);
        dram.add(PDim::N, batch / t, "m-tiles of whole images");
        stream
            .add(PDim::N, t, "stream: images")
            .add(PDim::Q, oh, "stream: output rows")
            .add(PDim::P, ow, "stream: pixels of a row");
    } else {
        return None;
    }
    Some((dram.0, stream.0))
}

/// An output-stationary convolution's k-tiles over (S, R, C) when `tile_k` steps fall on them:
/// (the accumulator's loops, the stream in the PEs). K runs over `(kh, kw, c)`, `c` innermost.
fn os_conv_k(cg: u32, kw: u32, kh: u32, tile_k: u32) -> Option<(Vec<Factor>, Vec<Factor>)> {
    let (mut acc, mut stream) = (Loops::default(), Loops::default());
    if cg.is_multiple_of(tile_k) {
        acc.add(PDim::S, kh, "k-tiles: kernel rows")
            .add(PDim::R, kw, "k-tiles: kernel columns")
            .add(PDim::C, cg / tile_k, "k-tiles of channels");
        stream.add(PDim::C, tile_k, "stream: channels");
    } else if tile_k.is_multiple_of(cg) && kw.is_multiple_of(tile_k / cg) {
        let t = tile_k / cg;
        acc.add(PDim::S, kh, "k-tiles: kernel rows").add(
            PDim::R,
            kw / t,
            "k-tiles of kernel columns",
        );
        stream
            .add(PDim::R, t, "stream: kernel columns")
            .add(PDim::C, cg, "stream: channels");
    } else if tile_k.is_multiple_of(cg * kw) && kh.is_multiple_of(tile_k / (cg * kw)) {
        let t = tile_k / (cg * kw);
        acc.add(PDim::S, kh / t, "k-tiles of kernel rows");
        stream
            .add(PDim::S, t, "stream: kernel rows")
            .add(PDim::R, kw, "stream: kernel columns")
            .add(PDim::C, cg, "stream: channels");
    } else {
        return None;
    }
    Some((acc.0, stream.0))
}
