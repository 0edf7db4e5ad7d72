//! Workloads: what the accelerator runs.
//!
//! A [`WorkloadSpec`] (RON, see [`spec`]) lists layers; validation builds the layer DAG, infers and
//! checks tensor shapes, and gives a [`Workload`]: the MAC layers ([`Layer`]: GEMM, 2-D convolution
//! with stride, padding, dilation and groups, batched matrix product) in a topological order, and the
//! operations that are not MAC work ([`OpLayer`]), which every report lists as "not modelled" with
//! their operation counts. [`reference`] is the plain executor every engine is checked against,
//! [`kernel`] the fast functional kernel, and [`data`] makes deterministic operands from a seed.

pub mod builtin;
pub mod data;
pub mod exec;
pub mod kernel;
pub mod layer;
pub mod reference;
pub mod spec;

pub use layer::{Conv2d, Gemm, Layer, MatMul, OpLayer};
pub use spec::{LayerSpec, OpKind, WorkloadSpec};

use serde::{Deserialize, Serialize};
use tessera_core::diag::{Diagnostic, Result};

/// A validated workload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    pub name: String,
    /// MAC layers, in a topological order of the DAG.
    pub layers: Vec<Layer>,
    /// Operations that are not MAC work, in the same order (not modelled by any stage).
    #[serde(default)]
    pub ops: Vec<OpLayer>,
    /// The DAG's edges, (from, to) by name (network inputs included as sources).
    #[serde(default)]
    pub edges: Vec<(String, String)>,
}

impl Workload {
    /// A workload of independent layers (no DAG, no other operations).
    pub fn of_layers(name: &str, layers: Vec<Layer>) -> Workload {
        Workload {
            name: name.into(),
            layers,
            ops: vec![],
            edges: vec![],
        }
    }

    /// Total MACs of the MAC layers, checked.
    pub fn macs(&self) -> Result<u64> {
        tessera_core::units::checked_sum(self.layers.iter().map(Layer::macs), "total MACs")
    }

    /// Total operations that are not modelled.
    pub fn unmodelled_ops(&self) -> u64 {
        self.ops.iter().map(|o| o.ops).fold(0, u64::saturating_add)
    }

    /// The same workload reduced to one MAC layer, chosen by name or by 0-based index among the MAC
    /// layers (`--layer`). Other operations are dropped.
    pub fn select(&self, which: &str) -> Result<Workload> {
        let found = which
            .parse::<usize>()
            .ok()
            .and_then(|i| self.layers.get(i))
            .or_else(|| self.layers.iter().find(|l| l.name() == which));
        match found {
            Some(l) => Ok(Workload::of_layers(&self.name, vec![l.clone()])),
            None => Err(Diagnostic::field(
                "--layer",
                format!(
                    "{which:?} is neither a layer of {:?} nor an index below {} (layers: {})",
                    self.name,
                    self.layers.len(),
                    self.layers
                        .iter()
                        .take(12)
                        .map(|l| l.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                        + if self.layers.len() > 12 { ", …" } else { "" }
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod zoo_tests;
