//! [`Mapping`]: the tile of each GEMM dimension one COMPUTE covers, and which of them the dataflow
//! leaves free.
//!
//! | dataflow | spatial (fixed by the array) | temporal, streamed per COMPUTE | kept in the accumulator |
//! |---|---|---|---|
//! | weight-stationary | K across rows (`tile_k = R`), N across columns | `tile_m` rows of A | `tile_m × tile_n` outputs |
//! | output-stationary | M across rows (`tile_m = R`), N across columns | `tile_k` steps of A and B | `R × tile_n` outputs |
//! | input-stationary | K across rows (`tile_k = R`), M across columns | `tile_n` columns of B | `tile_m × tile_n` outputs |
//! | row-stationary | `tile_n = B` filters × a group of kernel rows across rows, `C` output rows across columns | `tile_m = E` output columns × `tile_k = q` channels × `KW` taps (`T = q·KW` steps each) | `E × B` words of `C` output rows |
//!
//! A row-stationary array's passes are not a GEMM tiling: its mapping is checked against the
//! layer by `RsGeom::check` and its space is `RsGeom::space` (mapping/src/rs.rs); `keep` is
//! always `Tiles`, and the column-width rules below do not apply to it.
//!
//! The tile across the columns (the *width*: `tile_n`, or `tile_m` on an input-stationary array) is
//! always a multiple of the array's columns: one COMPUTE covers `C` of them, and an output tile is
//! `width / C` COMPUTEs that share one slice of the streamed operand (A, or B on an
//! input-stationary array).
//!
//! [`Keep`] says what the buffers keep across output tiles, and with it the order of the two tile
//! loops at the DRAM level (the k-tiles and the slices are always inside them: the accumulator keeps
//! an output tile across all of K):
//!
//! | `keep` | tile loops, outermost first | loaded from DRAM |
//! |---|---|---|
//! | `Tiles` (default) | m-tiles, n-tiles (input-stationary: n-tiles, m-tiles) | A once per n-tile, B once per m-tile |
//! | `InputPanel` | m-tiles, n-tiles | A once: the input buffer keeps the m-tile's rows of A over all of K (the *A panel*) across the n-tiles |
//! | `WeightPanel` | n-tiles, m-tiles | B once: the weight buffer keeps the n-tile's columns of B over all of K (the *B panel*) across the m-tiles |
//!
//! A panel must fit one bank of its buffer (the half the double-buffered lowering gives it; the next
//! panel goes to the other half), [`Mapping::panel_words`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{ensure, Result};
use tessera_workloads::Gemm;

/// How a GEMM is tiled onto the array (see the module docs for which tiles are free).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mapping {
    /// Rows of A (and of the output) per COMPUTE.
    pub tile_m: u32,
    /// Depth of K per COMPUTE.
    pub tile_k: u32,
    /// Output columns kept in the accumulators (a multiple of the array's columns).
    pub tile_n: u32,
    /// What the buffers keep across output tiles, and so the tile loops' order (module docs).
    #[serde(default)]
    pub keep: Keep,
}

/// What the input and weight buffers keep across output tiles (see the module docs): one tile of
/// each operand, or a whole panel of one of them over all of K, which is then loaded from DRAM once.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Keep {
    /// One tile of each operand; the dataflow's natural loop order.
    #[default]
    Tiles,
    /// The input buffer keeps the m-tile's A panel across the n-tiles (m-tiles outer).
    InputPanel,
    /// The weight buffer keeps the n-tile's B panel across the m-tiles (n-tiles outer).
    WeightPanel,
}

impl Keep {
    pub const ALL: [Keep; 3] = [Keep::Tiles, Keep::InputPanel, Keep::WeightPanel];

    /// The name used in RON files and on the command line.
    pub fn label(self) -> &'static str {
        match self {
            Keep::Tiles => "Tiles",
            Keep::InputPanel => "InputPanel",
            Keep::WeightPanel => "WeightPanel",
        }
    }

    /// The dimensions of the two tile loops, outermost first, on a `dataflow` array.
    pub fn tile_order(self, dataflow: Dataflow) -> [crate::Dim; 2] {
        use crate::Dim::{M, N};
        match (self, dataflow) {
            (Keep::InputPanel, _) => [M, N],
            (Keep::WeightPanel, _) => [N, M],
            (Keep::Tiles, Dataflow::InputStationary) => [N, M],
            (Keep::Tiles, _) => [M, N],
        }
    }
}

/// A mapping as written in a RON file or on the command line: any tile may be left out (`None`), and
/// then takes the default's value. Signed, so that bad values get field errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MappingSpec {
    pub tile_m: Option<i64>,
    pub tile_k: Option<i64>,
    pub tile_n: Option<i64>,
    /// What the buffers keep across output tiles ([`Keep`]; the mapper chooses when absent).
    pub keep: Option<Keep>,
    /// What the mapper minimises for the tiles left out (default: latency).
    pub objective: Option<crate::Objective>,
    /// Tiles for single layers, by layer name: a layer's entry overrides the tiles above for that
    /// layer (`tessera estimate --save-mapping` writes every layer's chosen tiles here, so a
    /// mapper's output can be edited and fed back in).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub layers: BTreeMap<String, LayerTiles>,
}

/// One layer's tiles in a [`MappingSpec`]; a tile left out comes from the spec's global tiles, then
/// from the mapper.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayerTiles {
    pub tile_m: Option<i64>,
    pub tile_k: Option<i64>,
    pub tile_n: Option<i64>,
    pub keep: Option<Keep>,
}

impl LayerTiles {
    /// A mapping's tiles, all given.
    pub fn of(m: &Mapping) -> LayerTiles {
        LayerTiles {
            tile_m: Some(m.tile_m.into()),
            tile_k: Some(m.tile_k.into()),
            tile_n: Some(m.tile_n.into()),
            keep: Some(m.keep),
        }
    }
}

impl MappingSpec {
    /// The spec for the layer named `layer`: its own entry's tiles over the global ones (no
    /// per-layer entries left).
    pub fn for_layer(&self, layer: &str) -> MappingSpec {
        let own = self.layers.get(layer).cloned().unwrap_or_default();
        MappingSpec {
            tile_m: own.tile_m.or(self.tile_m),
            tile_k: own.tile_k.or(self.tile_k),
            tile_n: own.tile_n.or(self.tile_n),
            keep: own.keep.or(self.keep),
            objective: self.objective,
            layers: BTreeMap::new(),
        }
    }

    /// An error naming the first per-layer entry whose name is not in `layers` (a typo would
    /// otherwise be ignored silently).
    pub fn check_layer_names<'a>(&self, layers: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let known: std::collections::BTreeSet<&str> = layers.into_iter().collect();
        match self.layers.keys().find(|k| !known.contains(k.as_str())) {
            None => Ok(()),
            Some(k) => Err(tessera_core::diag::Diagnostic::field(
                format!("layers.{k:?}"),
                format!(
                    "names no layer of the workload (its layers: {})",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// Whether every tile the dataflow leaves free is given (then there is nothing to search).
    pub fn is_complete(&self, arch: &Arch) -> bool {
        let pick = |d: crate::Dim| match d {
            crate::Dim::K => self.tile_k,
            crate::Dim::N => self.tile_n,
            _ => self.tile_m,
        };
        pick(streamed(arch.dataflow())).is_some()
            && pick(across(arch.dataflow())).is_some()
            && self.keep.is_some()
    }
}

/// The tiles a user pinned, range-checked and cut to the layer; `None` = free for the mapper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pinned {
    /// The streamed tile (`tile_m` on WS, `tile_k` on OS, `tile_n` on IS).
    pub stream: Option<u32>,
    /// The tile across the array's columns (`tile_n`, or `tile_m` on IS; a multiple of the
    /// columns once checked).
    pub width: Option<u32>,
    /// What the buffers keep across output tiles.
    pub keep: Option<Keep>,
}

/// The largest stream per COMPUTE: the instruction's 16-bit `len` field.
pub const MAX_STREAM: u32 = u16::MAX as u32;

/// The dimension a dataflow streams through the array in one COMPUTE (the free temporal tile).
pub fn streamed(dataflow: Dataflow) -> crate::Dim {
    match dataflow {
        Dataflow::OutputStationary => crate::Dim::K,
        Dataflow::WeightStationary => crate::Dim::M,
        Dataflow::InputStationary => crate::Dim::N,
        Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
    }
}

/// The dimension a dataflow spreads across the array's columns: N, or M on an input-stationary
/// array.
pub fn across(dataflow: Dataflow) -> crate::Dim {
    match dataflow {
        Dataflow::InputStationary => crate::Dim::M,
        _ => crate::Dim::N,
    }
}

/// The dimension the array's rows hold: K, or M on an output-stationary array.
pub fn fixed(dataflow: Dataflow) -> crate::Dim {
    match dataflow {
        Dataflow::OutputStationary => crate::Dim::M,
        _ => crate::Dim::K,
    }
}

fn extent(g: &Gemm, d: crate::Dim) -> u32 {
    match d {
        crate::Dim::M => g.m,
        crate::Dim::K => g.k,
        _ => g.n,
    }
}

fn tile_name(d: crate::Dim) -> &'static str {
    match d {
        crate::Dim::M => "tile_m",
        crate::Dim::K => "tile_k",
        _ => "tile_n",
    }
}

/// Number of `C`-wide slices of the dimension across the columns ([`across`]): n-slices of `N`,
/// or m-slices of `M` on an input-stationary array.
pub fn n_slices(g: &Gemm, arch: &Arch) -> u32 {
    extent(g, across(arch.dataflow())).div_ceil(arch.cols())
}

impl Mapping {
    fn tile(&self, d: crate::Dim) -> u32 {
        match d {
            crate::Dim::M => self.tile_m,
            crate::Dim::K => self.tile_k,
            _ => self.tile_n,
        }
    }

    fn set(&mut self, d: crate::Dim, v: u32) {
        match d {
            crate::Dim::M => self.tile_m = v,
            crate::Dim::K => self.tile_k = v,
            _ => self.tile_n = v,
        }
    }

    /// Slices across the columns (COMPUTEs sharing one slice of the streamed operand) per output
    /// tile.
    pub fn n_per_tile(&self, arch: &Arch) -> u32 {
        self.width(arch) / arch.cols()
    }

    /// The stream length of a full COMPUTE: `tile_m` (WS), `tile_k` (OS) or `tile_n` (IS).
    pub fn stream(&self, arch: &Arch) -> u32 {
        self.tile(streamed(arch.dataflow()))
    }

    /// The tile across the array's columns: `tile_n`, or `tile_m` on an input-stationary array.
    pub fn width(&self, arch: &Arch) -> u32 {
        self.tile(across(arch.dataflow()))
    }

    /// Accumulator words one output tile occupies: `tile_n / C` COMPUTEs' outputs
    /// ([`Arch::compute_words`] of a full stream).
    pub fn accumulator_words(&self, arch: &Arch) -> u64 {
        u64::from(arch.compute_words(self.stream(arch)).out) * u64::from(self.n_per_tile(arch))
    }

    /// Words of the panel the mapping keeps in the input (`InputPanel`) or weight (`WeightPanel`)
    /// buffer for `g` on `arch`: the kept operand's words of every k-tile of one output tile's
    /// row or column of tiles (0 for `Keep::Tiles`). With `r` rows, `S` = the stream, `w` = the
    /// slices per output tile:
    ///
    /// | | A panel | B panel |
    /// |---|---|---|
    /// | weight-stationary | ⌈K/R⌉ · S (S rows per k-tile) | ⌈K/R⌉ · R · w (a weight tile per slice) |
    /// | output-stationary | K (one word per k-step) | K · w |
    /// | input-stationary | ⌈K/R⌉ · R · w (an input tile per slice, R words as the preload reads) | ⌈K/R⌉ · S |
    pub fn panel_words(&self, g: &Gemm, arch: &Arch) -> u64 {
        let (r, k) = (u64::from(arch.rows()), u64::from(g.k));
        let (s, w) = (
            u64::from(self.stream(arch)),
            u64::from(self.n_per_tile(arch)),
        );
        let k_tiles = k.div_ceil(r);
        match (self.keep, arch.dataflow()) {
            (Keep::Tiles, _) => 0,
            (Keep::InputPanel, Dataflow::WeightStationary) => k_tiles * s,
            (Keep::InputPanel, Dataflow::OutputStationary) => k,
            (Keep::InputPanel, Dataflow::InputStationary) => k_tiles * r * w,
            (Keep::WeightPanel, Dataflow::WeightStationary) => k_tiles * r * w,
            (Keep::WeightPanel, Dataflow::OutputStationary) => k * w,
            (Keep::WeightPanel, Dataflow::InputStationary) => k_tiles * s,
            (_, Dataflow::RowStationary) => unreachable!("{}", crate::NOT_LOWERED),
        }
    }

    /// These tiles with the buffers keeping `keep`, the panel's free tile shrunk until the panel
    /// fits its bank (the stream for an A panel on a weight-stationary array and a B panel on an
    /// input-stationary one, the output tile's width otherwise; an A panel on an output-stationary
    /// array holds all of K whatever the tiles); `None` when no shrinking makes it fit.
    pub fn with_panel(self, keep: Keep, g: &Gemm, arch: &Arch) -> Option<Mapping> {
        let mut m = Mapping { keep, ..self };
        let bank = u64::from(match keep {
            Keep::Tiles => return m.check(g, arch).ok().map(|()| m),
            Keep::InputPanel => arch.input().bank_depth(),
            Keep::WeightPanel => arch.weight().bank_depth(),
        });
        let (r, c) = (u64::from(arch.rows()), arch.cols());
        let k_tiles = u64::from(g.k).div_ceil(r);
        let shrink = |have: u32, per: u64| -> Option<u32> {
            let most = u32::try_from(bank / per.max(1)).unwrap_or(u32::MAX);
            (most >= 1).then(|| have.min(most))
        };
        match (keep, arch.dataflow()) {
            (Keep::InputPanel, Dataflow::WeightStationary)
            | (Keep::WeightPanel, Dataflow::InputStationary) => {
                m = m.with_stream(arch, shrink(m.stream(arch), k_tiles)?);
            }
            (Keep::InputPanel, Dataflow::OutputStationary) => {}
            (_, df) => {
                let per = match df {
                    Dataflow::OutputStationary => u64::from(g.k),
                    _ => k_tiles * r,
                };
                m = m.with_width(arch, shrink(m.n_per_tile(arch), per)? * c);
            }
        }
        m.check(g, arch).ok().map(|()| m)
    }

    /// Check that the mapping fits `arch` for the layer `g`: tiles in range (the 16-bit stream
    /// length), the dataflow's fixed tiles, the buffer banks, and a kept panel in one bank of its
    /// buffer (and, on a double-buffered accelerator, of a buffer with one read and one write
    /// port). Errors name the mapping field. (No program-length limit: programs stream through the
    /// host queue, docs/TIMING.md.)
    pub fn check(&self, g: &Gemm, arch: &Arch) -> Result<()> {
        if arch.dataflow() == Dataflow::RowStationary {
            // the pass's limits depend on the convolution: `RsGeom::check`, which the lowering
            // and the estimate call (mapping/src/rs.rs)
            ensure(self.keep == Keep::Tiles, "keep", || {
                "a row-stationary array keeps one pass of each operand (Tiles)".to_string()
            })?;
            return Ok(());
        }
        self.check_tiles(arch)?;
        let (buffer, name) = match self.keep {
            Keep::Tiles => return Ok(()),
            Keep::InputPanel => (arch.input(), "input"),
            Keep::WeightPanel => (arch.weight(), "weight"),
        };
        // With double buffering the panel's k-slices are loaded one by one into the half its
        // COMPUTEs read, which one read-write port cannot do (docs/TIMING.md, "Single-ported
        // banks"); with one bank every tile runs alone and the panel is fine.
        ensure(
            !(buffer.single_ported() && arch.double_buffered()),
            "keep",
            || {
                format!(
                    "{}: a kept panel is loaded slice by slice into the bank its COMPUTEs read, \
                     and the {name} buffer's banks have one read-write port (ports: \
                     OneReadWrite): keep tiles, or give the {name} buffer one read and one \
                     write port",
                    self.keep.label()
                )
            },
        )?;
        let (words, bank) = (self.panel_words(g, arch), buffer.bank_depth());
        ensure(words <= u64::from(bank), "keep", || {
            format!(
                "{}: the panel of {words} {name} words (all {} of K) does not fit the {bank}-word \
                 {name} bank",
                self.keep.label(),
                g.k
            )
        })
    }

    /// The part of [`Mapping::check`] that does not depend on the layer.
    fn check_tiles(&self, arch: &Arch) -> Result<()> {
        let (r, c) = (arch.rows(), arch.cols());
        let df = arch.dataflow();
        let (fixed_dim, stream_dim, width_dim) = (fixed(df), streamed(df), across(df));
        ensure(self.tile(fixed_dim) == r, tile_name(fixed_dim), || {
            format!(
                "is fixed to the array's {r} rows on this {} array, got {}",
                df.label(),
                self.tile(fixed_dim)
            )
        })?;
        // The stream reads its operand's words from one bank: the input's (WS), the weight's
        // (IS) or both (OS).
        let (bank, which) = match df {
            Dataflow::OutputStationary => (
                arch.input().bank_depth().min(arch.weight().bank_depth()),
                "input and weight banks",
            ),
            Dataflow::WeightStationary => (arch.input().bank_depth(), "input bank"),
            Dataflow::InputStationary => (arch.weight().bank_depth(), "weight bank"),
            Dataflow::RowStationary => unreachable!("{}", crate::NOT_LOWERED),
        };
        let stream = self.tile(stream_dim);
        ensure(
            (1..=MAX_STREAM.min(bank)).contains(&stream),
            tile_name(stream_dim),
            || {
                format!(
                    "must be between 1 and {} (the 16-bit stream length, and the {bank}-word \
                     {which}), got {stream}",
                    MAX_STREAM.min(bank),
                )
            },
        )?;
        let width = self.tile(width_dim);
        ensure(
            width >= c && width.is_multiple_of(c),
            tile_name(width_dim),
            || format!("must be a positive multiple of the array's {c} columns, got {width}"),
        )?;
        let acc_words = self.accumulator_words(arch);
        let acc_bank = arch.accumulator().bank_depth();
        // Blame the tile that can fix it: the width if one slice would fit, else the stream (the
        // height of the output tile).
        let one_slice = u64::from(arch.compute_words(self.stream(arch)).out);
        let field = if one_slice > u64::from(acc_bank) {
            match df {
                Dataflow::InputStationary => "tile_n",
                _ => "tile_m",
            }
        } else {
            tile_name(width_dim)
        };
        ensure(acc_words <= u64::from(acc_bank), field, || {
            format!(
                "an output tile of {} rows × {} columns needs {acc_words} accumulator words; a bank holds {acc_bank}",
                self.tile_m, self.tile_n
            )
        })?;
        Ok(())
    }

    /// A good default: the longest stream the buffers allow (fewest reloads of the stationary
    /// operand), then the widest output tile.
    pub fn default_for(g: &Gemm, arch: &Arch) -> Mapping {
        let ns = n_slices(g, arch);
        let acc_bank = arch.accumulator().bank_depth();
        let (r, c) = (arch.rows(), arch.cols());
        match arch.dataflow() {
            // the smallest pass (one output column, one channel, one filter), valid whenever a
            // kernel row fits the register file; the mapper searches the layer's space instead
            // (`RsGeom::space`, mapping/src/rs.rs)
            Dataflow::RowStationary => Mapping {
                tile_m: 1,
                tile_k: 1,
                tile_n: 1,
                keep: Keep::Tiles,
            },
            Dataflow::OutputStationary => {
                let tile_k =
                    g.k.min(arch.input().bank_depth())
                        .min(arch.weight().bank_depth())
                        .min(MAX_STREAM);
                let nb = (acc_bank / r).clamp(1, ns);
                Mapping {
                    tile_m: r,
                    tile_k,
                    tile_n: nb * c,
                    keep: Keep::Tiles,
                }
            }
            Dataflow::WeightStationary => {
                let tile_m =
                    g.m.min(arch.input().bank_depth())
                        .min(acc_bank)
                        .min(MAX_STREAM);
                let nb = (acc_bank / tile_m).clamp(1, ns);
                Mapping {
                    tile_m,
                    tile_k: r,
                    tile_n: nb * c,
                    keep: Keep::Tiles,
                }
            }
            Dataflow::InputStationary => {
                let tile_n =
                    g.n.min(arch.weight().bank_depth())
                        .min(acc_bank)
                        .min(MAX_STREAM);
                let nb = (acc_bank / tile_n).clamp(1, ns);
                Mapping {
                    tile_m: nb * c,
                    tile_k: r,
                    tile_n,
                    keep: Keep::Tiles,
                }
            }
        }
    }

    /// This mapping with the streamed tile set to `s`.
    pub fn with_stream(mut self, arch: &Arch, s: u32) -> Mapping {
        self.set(streamed(arch.dataflow()), s);
        self
    }

    /// This mapping with the tile across the columns ([`Mapping::width`]) set to `w`.
    pub fn with_width(mut self, arch: &Arch, w: u32) -> Mapping {
        self.set(across(arch.dataflow()), w);
        self
    }

    /// Resolve a user's (partial) mapping for `g` on `arch`: given tiles are range-checked, tiles
    /// larger than the layer are cut to the layer (one setting then serves every layer of a
    /// workload), missing tiles come from [`Mapping::default_for`], and the result is checked.
    /// Errors name the field as `mapping.tile_m` etc.
    pub fn resolve(spec: &MappingSpec, g: &Gemm, arch: &Arch) -> Result<Mapping> {
        let pinned = Mapping::pinned(spec, g, arch)?;
        let mut m = Mapping::default_for(g, arch);
        if let Some(s) = pinned.stream {
            m = m.with_stream(arch, s);
        }
        if let Some(w) = pinned.width {
            m = m.with_width(arch, w);
        }
        m.keep = pinned.keep.unwrap_or_default();
        if pinned.width.is_none() && pinned.stream.is_some() {
            // A longer stream than the default's: keep the default width only if it fits.
            let out = arch.compute_words(m.stream(arch)).out.max(1);
            let max_nb = (arch.accumulator().bank_depth() / out).max(1);
            m = m.with_width(arch, m.width(arch).min(max_nb * arch.cols()));
        }
        m.check(g, arch).map_err(|e| {
            if e.field.as_deref().is_some_and(|f| f.starts_with("mapping")) {
                e
            } else {
                e.under("mapping")
            }
        })?;
        Ok(m)
    }

    /// The tiles `spec` pins for `g` on `arch`: each given tile range-checked, the array's fixed
    /// tile refused unless it is the array's, tiles larger than the layer cut to the layer (one
    /// setting then serves every layer of a workload; `tile_n` in whole array columns). Not checked
    /// against the buffers (that needs the other tiles). Errors name the field as `mapping.tile_m`.
    pub fn pinned(spec: &MappingSpec, g: &Gemm, arch: &Arch) -> Result<Pinned> {
        // The array fixes one tile (its rows): a different value is an error, with the value given.
        let df = arch.dataflow();
        let given = |d: crate::Dim| match d {
            crate::Dim::M => spec.tile_m,
            crate::Dim::K => spec.tile_k,
            _ => spec.tile_n,
        };
        let field = tile_name(fixed(df));
        if let Some(v) = given(fixed(df)) {
            ensure(v == i64::from(arch.rows()), field, || {
                format!(
                    "is fixed to the array's {} rows on this {} array, got {v}",
                    arch.rows(),
                    arch.dataflow().label()
                )
            })
            .map_err(|e| e.under("mapping"))?;
        }
        let pick = |v: Option<i64>, f: &str, dim: u32| -> Result<Option<u32>> {
            match v {
                None => Ok(None),
                Some(v) => {
                    ensure((1..=i64::from(MAX_STREAM)).contains(&v), f, || {
                        format!("must be between 1 and {MAX_STREAM}, got {v}")
                    })
                    .map_err(|e| e.under("mapping"))?;
                    Ok(Some((v as u32).min(dim.max(1))))
                }
            }
        };
        let sd = streamed(df);
        let stream = pick(given(sd), tile_name(sd), extent(g, sd))?;
        // The width is cut to the layer in whole array columns.
        let w_cap = n_slices(g, arch) * arch.cols();
        let wd = across(df);
        let width = pick(given(wd), tile_name(wd), w_cap)?;
        Ok(Pinned {
            stream,
            width,
            keep: spec.keep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    /// A kept panel of a single-ported buffer is refused on a double-buffered accelerator (its
    /// slices would be loaded into the bank its COMPUTEs read), kept panels of the other operand
    /// and one-bank accelerators keep theirs.
    #[test]
    fn single_ported_buffers_keep_no_panel_when_double_buffered() {
        use tessera_arch::SramPorts;
        let g = Gemm::new("g", 23, 19, 17);
        for name in ["ws_4x4", "os_4x4", "is_4x4"] {
            let spec = builtin::arch_spec(name).unwrap();
            let two = spec.clone().validate().unwrap();
            let mut s = spec.clone();
            s.buffers.input.ports = SramPorts::OneReadWrite;
            let one = s.validate().unwrap();
            let keeps = |a: &Arch, keep| Mapping::candidates(&g, a).iter().any(|m| m.keep == keep);
            assert!(
                keeps(&two, Keep::InputPanel) && keeps(&two, Keep::WeightPanel),
                "{name}"
            );
            assert!(!keeps(&one, Keep::InputPanel), "{name}");
            assert!(keeps(&one, Keep::WeightPanel), "{name}");
            let m = Mapping::candidates(&g, &two)
                .into_iter()
                .find(|m| m.keep == Keep::InputPanel)
                .unwrap();
            let e = m.check(&g, &one).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("keep"));
            assert!(e.message.contains("one read-write port"), "{e}");
            // one bank: every tile runs alone
            let mut s = spec.with_operand_ports(SramPorts::OneReadWrite);
            s.buffers.input.banks = 1;
            assert!(keeps(&s.validate().unwrap(), Keep::InputPanel), "{name}");
        }
    }

    #[test]
    fn default_mapping_fits() {
        for (a, _) in builtin::ARCHS {
            let arch = builtin::arch(a).unwrap();
            for g in [
                Gemm::new("g", 37, 50, 19),
                Gemm::new("g", 3136, 576, 64),
                Gemm::new("g", 1, 1, 1),
            ] {
                Mapping::default_for(&g, &arch).check(&g, &arch).unwrap();
                assert!(!Mapping::candidates(&g, &arch).is_empty());
            }
        }
    }

    /// `with_panel` returns a mapping that keeps the panel and passes the check, with no tile
    /// larger than the one it started from, or `None` only when even the smallest tiles' panel
    /// does not fit.
    #[test]
    fn panels_shrink_to_fit() {
        for (a, _) in builtin::ARCHS {
            let arch = builtin::arch(a).unwrap();
            for g in [
                Gemm::new("g", 37, 50, 19),
                Gemm::new("g", 3136, 576, 64),
                Gemm::new("g", 1, 100_000, 3),
                Gemm::new("g", 1, 1, 1),
            ] {
                let d = Mapping::default_for(&g, &arch);
                for keep in Keep::ALL {
                    match d.with_panel(keep, &g, &arch) {
                        Some(m) => {
                            assert_eq!(m.keep, keep);
                            m.check(&g, &arch).unwrap();
                            assert!(
                                m.tile_m <= d.tile_m
                                    && m.tile_n <= d.tile_n
                                    && m.tile_k == d.tile_k
                            );
                        }
                        None => {
                            let least = d.with_stream(&arch, 1).with_width(&arch, arch.cols());
                            assert!(
                                Mapping { keep, ..least }.check(&g, &arch).is_err(),
                                "{a} {g:?} {keep:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn oversized_tile_is_an_error_naming_the_field() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let g = Gemm::new("g", 37, 50, 19);
        let e = Mapping {
            tile_m: 4000,
            tile_k: 4,
            tile_n: 4,
            keep: Keep::Tiles,
        }
        .check(&g, &arch)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_m"));
        let os = builtin::arch("os_4x4").unwrap();
        let e = Mapping {
            tile_m: 4,
            tile_k: 100_000,
            tile_n: 4,
            keep: Keep::Tiles,
        }
        .check(&g, &os)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_k"));
        let e = Mapping {
            tile_m: 8,
            tile_k: 4,
            tile_n: 4,
            keep: Keep::Tiles,
        }
        .check(&g, &os)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_m"));
        // input-stationary: K on the rows, tile_n streamed, tile_m across the columns
        let is = builtin::arch("is_4x4").unwrap();
        let ok = Mapping {
            tile_m: 8,
            tile_k: 4,
            tile_n: 100,
            keep: Keep::Tiles,
        };
        ok.check(&g, &is).unwrap();
        assert_eq!((ok.stream(&is), ok.width(&is)), (100, 8));
        for (bad, field) in [
            (Mapping { tile_k: 8, ..ok }, "tile_k"),
            (Mapping { tile_m: 6, ..ok }, "tile_m"),
            (
                Mapping {
                    tile_n: 100_000,
                    ..ok
                },
                "tile_n",
            ),
            // 64 slices of 100 words do not fit a 256-word accumulator bank
            (Mapping { tile_m: 256, ..ok }, "tile_m"),
        ] {
            assert_eq!(
                bad.check(&g, &is).unwrap_err().field.as_deref(),
                Some(field),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn partial_specs_resolve_with_defaults() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let g = Gemm::new("g", 37, 50, 19);
        let only_n = MappingSpec {
            tile_n: Some(8),
            ..MappingSpec::default()
        };
        let m = Mapping::resolve(&only_n, &g, &arch).unwrap();
        assert_eq!(m.tile_n, 8);
        assert_eq!(m.tile_m, Mapping::default_for(&g, &arch).tile_m);
        let big = MappingSpec {
            tile_m: Some(64),
            ..MappingSpec::default()
        };
        assert_eq!(Mapping::resolve(&big, &g, &arch).unwrap().tile_m, 37);
        let zero = MappingSpec {
            tile_m: Some(0),
            ..MappingSpec::default()
        };
        assert_eq!(
            Mapping::resolve(&zero, &g, &arch)
                .unwrap_err()
                .field
                .as_deref(),
            Some("mapping.tile_m")
        );
        // the array's fixed tile: refused with the value given, not the one cut to the layer
        let os = builtin::arch("os_4x4").unwrap();
        let small = Gemm::new("g", 3, 50, 19);
        let e = Mapping::resolve(
            &MappingSpec {
                tile_m: Some(64),
                ..MappingSpec::default()
            },
            &small,
            &os,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("mapping.tile_m"));
        assert!(e.message.contains("got 64"), "{e}");
        // a height no accumulator bank holds blames the height, not the width
        let tall = Gemm::new("g", 2000, 8, 8);
        let e = Mapping::resolve(
            &MappingSpec {
                tile_m: Some(1000),
                ..MappingSpec::default()
            },
            &tall,
            &arch,
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("mapping.tile_m"), "{e}");
        let huge = MappingSpec {
            tile_m: Some(100_000),
            ..MappingSpec::default()
        };
        assert_eq!(
            Mapping::resolve(&huge, &g, &arch)
                .unwrap_err()
                .field
                .as_deref(),
            Some("mapping.tile_m")
        );
    }
}
