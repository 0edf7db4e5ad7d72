//! [`Mapping`]: the tile of each GEMM dimension one COMPUTE covers, and which of them the dataflow
//! leaves free.
//!
//! | dataflow | spatial (fixed by the array) | temporal, streamed per COMPUTE | kept in the accumulator |
//! |---|---|---|---|
//! | weight-stationary | K across rows (`tile_k = R`), N across columns | `tile_m` rows of A | `tile_m × tile_n` outputs |
//! | output-stationary | M across rows (`tile_m = R`), N across columns | `tile_k` steps of A and B | `R × tile_n` outputs |
//!
//! `tile_n` is always a multiple of the array's columns: one COMPUTE covers `C` columns, and an
//! output tile of `tile_n` columns is `tile_n / C` COMPUTEs that share one slice of A.

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
}

/// A mapping as written in a RON file or on the command line: any tile may be left out (`None`), and
/// then takes the default's value. Signed, so that bad values get field errors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MappingSpec {
    pub tile_m: Option<i64>,
    pub tile_k: Option<i64>,
    pub tile_n: Option<i64>,
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
}

impl LayerTiles {
    /// A mapping's tiles, all given.
    pub fn of(m: &Mapping) -> LayerTiles {
        LayerTiles {
            tile_m: Some(m.tile_m.into()),
            tile_k: Some(m.tile_k.into()),
            tile_n: Some(m.tile_n.into()),
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
        let stream = match streamed(arch.dataflow()) {
            crate::Dim::K => self.tile_k,
            _ => self.tile_m,
        };
        stream.is_some() && self.tile_n.is_some()
    }
}

/// The tiles a user pinned, range-checked and cut to the layer; `None` = free for the mapper.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pinned {
    /// The streamed tile (`tile_m` on WS, `tile_k` on OS).
    pub stream: Option<u32>,
    /// Output columns (a multiple of the array's columns once checked).
    pub tile_n: Option<u32>,
}

/// The largest stream per COMPUTE: the instruction's 16-bit `len` field.
pub const MAX_STREAM: u32 = u16::MAX as u32;

/// The dimension a dataflow streams through the array in one COMPUTE (the free temporal tile).
pub fn streamed(dataflow: Dataflow) -> crate::Dim {
    match dataflow {
        Dataflow::OutputStationary => crate::Dim::K,
        _ => crate::Dim::M,
    }
}

/// Number of `C`-wide n-slices of `N`.
pub fn n_slices(g: &Gemm, arch: &Arch) -> u32 {
    g.n.div_ceil(arch.cols())
}

impl Mapping {
    /// n-slices (COMPUTEs sharing one A slice) per output tile.
    pub fn n_per_tile(&self, arch: &Arch) -> u32 {
        self.tile_n / arch.cols()
    }

    /// The stream length of a full COMPUTE: `tile_m` (WS) or `tile_k` (OS).
    pub fn stream(&self, arch: &Arch) -> u32 {
        match streamed(arch.dataflow()) {
            crate::Dim::K => self.tile_k,
            _ => self.tile_m,
        }
    }

    /// Accumulator words one output tile occupies: `tile_n / C` COMPUTEs' outputs
    /// ([`Arch::compute_words`] of a full stream).
    pub fn accumulator_words(&self, arch: &Arch) -> u64 {
        u64::from(arch.compute_words(self.stream(arch)).out) * u64::from(self.n_per_tile(arch))
    }

    /// Check that the mapping fits `arch`: tiles in range (the 16-bit stream length), the dataflow's
    /// fixed tiles, and the buffer banks. Errors name the mapping field. (No program-length limit:
    /// programs stream through the host queue, docs/TIMING.md.)
    pub fn check(&self, arch: &Arch) -> Result<()> {
        let (r, c) = (arch.rows(), arch.cols());
        match arch.dataflow() {
            Dataflow::OutputStationary => {
                ensure(self.tile_m == r, "tile_m", || {
                    format!(
                        "is fixed to the array's {r} rows on an output-stationary array, got {}",
                        self.tile_m
                    )
                })?;
                let bank = arch.input().bank_depth().min(arch.weight().bank_depth());
                ensure(
                    (1..=MAX_STREAM.min(bank)).contains(&self.tile_k),
                    "tile_k",
                    || {
                        format!(
                            "must be between 1 and {} (the 16-bit stream length, and the {bank}-word \
                             input and weight banks), got {}",
                            MAX_STREAM.min(bank),
                            self.tile_k
                        )
                    },
                )?;
            }
            _ => {
                ensure(self.tile_k == r, "tile_k", || {
                    format!(
                        "is fixed to the array's {r} rows on a weight-stationary array, got {}",
                        self.tile_k
                    )
                })?;
                let bank = arch.input().bank_depth();
                ensure(
                    (1..=MAX_STREAM.min(bank)).contains(&self.tile_m),
                    "tile_m",
                    || {
                        format!(
                            "must be between 1 and {} (the 16-bit stream length, and the {bank}-word \
                             input bank), got {}",
                            MAX_STREAM.min(bank),
                            self.tile_m
                        )
                    },
                )?;
            }
        }
        ensure(
            self.tile_n >= c && self.tile_n.is_multiple_of(c),
            "tile_n",
            || {
                format!(
                    "must be a positive multiple of the array's {c} columns, got {}",
                    self.tile_n
                )
            },
        )?;
        let acc_words = self.accumulator_words(arch);
        let acc_bank = arch.accumulator().bank_depth();
        // Blame the tile that can fix it: the width if one n-slice would fit, else the height.
        let one_slice = u64::from(arch.compute_words(self.stream(arch)).out);
        let field = if one_slice > u64::from(acc_bank) {
            "tile_m"
        } else {
            "tile_n"
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
        match arch.dataflow() {
            Dataflow::OutputStationary => {
                let tile_k =
                    g.k.min(arch.input().bank_depth())
                        .min(arch.weight().bank_depth())
                        .min(MAX_STREAM);
                let nb = (acc_bank / arch.rows()).clamp(1, ns);
                Mapping {
                    tile_m: arch.rows(),
                    tile_k,
                    tile_n: nb * arch.cols(),
                }
            }
            _ => {
                let tile_m =
                    g.m.min(arch.input().bank_depth())
                        .min(acc_bank)
                        .min(MAX_STREAM);
                let nb = (acc_bank / tile_m).clamp(1, ns);
                Mapping {
                    tile_m,
                    tile_k: arch.rows(),
                    tile_n: nb * arch.cols(),
                }
            }
        }
    }

    /// This mapping with the streamed tile set to `s`.
    pub fn with_stream(mut self, arch: &Arch, s: u32) -> Mapping {
        match streamed(arch.dataflow()) {
            crate::Dim::K => self.tile_k = s,
            _ => self.tile_m = s,
        }
        self
    }

    pub fn with_tile_n(mut self, tile_n: u32) -> Mapping {
        self.tile_n = tile_n;
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
        if let Some(n) = pinned.tile_n {
            m.tile_n = n;
        }
        if spec.tile_n.is_none() && spec.tile_m.is_some() {
            // A narrower or taller tile than the default's: keep the default width only if it fits.
            let max_nb = (arch.accumulator().bank_depth() / m.tile_m.max(1)).max(1);
            m.tile_n = m.tile_n.min(max_nb * arch.cols());
        }
        m.check(arch).map_err(|e| {
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
        let (fixed, field) = match arch.dataflow() {
            Dataflow::OutputStationary => (spec.tile_m, "tile_m"),
            _ => (spec.tile_k, "tile_k"),
        };
        if let Some(v) = fixed {
            ensure(v == i64::from(arch.rows()), field, || {
                format!(
                    "is fixed to the array's {} rows on a {} array, got {v}",
                    arch.rows(),
                    arch.dataflow().name()
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
        let (stream_spec, stream_field, extent) = match streamed(arch.dataflow()) {
            crate::Dim::K => (spec.tile_k, "tile_k", g.k),
            _ => (spec.tile_m, "tile_m", g.m),
        };
        let stream = pick(stream_spec, stream_field, extent)?;
        // tile_n is cut to the layer in whole array columns.
        let n_cap = n_slices(g, arch) * arch.cols();
        let tile_n = pick(spec.tile_n, "tile_n", n_cap)?;
        Ok(Pinned { stream, tile_n })
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
                Mapping::default_for(&g, &arch).check(&arch).unwrap();
                assert!(!Mapping::candidates(&g, &arch).is_empty());
            }
        }
    }

    #[test]
    fn oversized_tile_is_an_error_naming_the_field() {
        let arch = builtin::arch("ws_4x4").unwrap();
        let e = Mapping {
            tile_m: 4000,
            tile_k: 4,
            tile_n: 4,
        }
        .check(&arch)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_m"));
        let os = builtin::arch("os_4x4").unwrap();
        let e = Mapping {
            tile_m: 4,
            tile_k: 100_000,
            tile_n: 4,
        }
        .check(&os)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_k"));
        let e = Mapping {
            tile_m: 8,
            tile_k: 4,
            tile_n: 4,
        }
        .check(&os)
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("tile_m"));
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
