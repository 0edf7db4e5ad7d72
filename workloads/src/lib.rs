//! Workloads: what the accelerator runs.
//!
//! A [`WorkloadSpec`] (RON) is a named list of layers; today a layer is a GEMM `C[M×N] = A[M×K] ·
//! B[K×N]` on int8 operands with int32 results. Convolutions, depthwise and attention layers are later
//! variants of [`LayerSpec`] (they lower to GEMMs or get their own mapping). [`reference`] is the plain
//! executor every engine is checked against, [`kernel`] the fast functional kernel, and [`data`]
//! makes deterministic operands from a seed.

pub mod builtin;
pub mod data;
pub mod kernel;
pub mod reference;

use serde::{Deserialize, Serialize};
use tessera_core::diag::{ensure, Diagnostic, Result};

/// A workload file: `WorkloadSpec(name: "...", layers: [Gemm((name: "fc1", m: 37, k: 50, n: 19))])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    pub layers: Vec<LayerSpec>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LayerSpec {
    Gemm(GemmSpec),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemmSpec {
    pub name: String,
    pub m: i64,
    pub k: i64,
    pub n: i64,
}

/// A validated GEMM layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Gemm {
    pub name: String,
    pub m: u32,
    pub k: u32,
    pub n: u32,
}

/// The largest GEMM dimension accepted (keeps every derived size well inside u32/u64).
pub const MAX_DIM: i64 = 1 << 20;

impl Gemm {
    pub fn new(name: &str, m: u32, k: u32, n: u32) -> Self {
        Self {
            name: name.into(),
            m,
            k,
            n,
        }
    }
    pub fn macs(&self) -> u64 {
        u64::from(self.m) * u64::from(self.k) * u64::from(self.n)
    }
}

/// A validated layer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Layer {
    Gemm(Gemm),
}

impl Layer {
    pub fn name(&self) -> &str {
        match self {
            Layer::Gemm(g) => &g.name,
        }
    }
    pub fn macs(&self) -> u64 {
        match self {
            Layer::Gemm(g) => g.macs(),
        }
    }
}

/// A validated workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    pub layers: Vec<Layer>,
}

impl WorkloadSpec {
    pub fn validate(&self) -> Result<Workload> {
        ensure(is_name(&self.name), "name", || {
            format!("{:?}: use letters, digits and `_` (at most 48)", self.name)
        })?;
        ensure(!self.layers.is_empty(), "layers", || {
            "needs at least one layer".into()
        })?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for (i, l) in self.layers.iter().enumerate() {
            let LayerSpec::Gemm(g) = l;
            // The same path the parser gives: the layer's variant is part of it.
            let under = format!("layers[{i}].Gemm");
            ensure(is_name(&g.name), "name", || {
                format!("{:?}: use letters, digits and `_` (at most 48)", g.name)
            })
            .map_err(|e| e.under(&under))?;
            for (v, f) in [(g.m, "m"), (g.k, "k"), (g.n, "n")] {
                ensure((1..=MAX_DIM).contains(&v), f, || {
                    format!("must be between 1 and {MAX_DIM}, got {v}")
                })
                .map_err(|e| e.under(&under))?;
            }
            if layers.iter().any(|x: &Layer| x.name() == g.name) {
                return Err(Diagnostic::field(
                    "name",
                    format!("duplicate layer name {:?}", g.name),
                )
                .under(&under));
            }
            layers.push(Layer::Gemm(Gemm::new(
                &g.name, g.m as u32, g.k as u32, g.n as u32,
            )));
        }
        Ok(Workload {
            name: self.name.clone(),
            layers,
        })
    }
}

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(x) if x.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && s.len() <= 48
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_dimension_names_layer_field() {
        let s = WorkloadSpec {
            name: "w".into(),
            layers: vec![LayerSpec::Gemm(GemmSpec {
                name: "g".into(),
                m: 4,
                k: 0,
                n: 2,
            })],
        };
        assert_eq!(
            s.validate().unwrap_err().field.as_deref(),
            Some("layers[0].Gemm.k")
        );
    }
}
