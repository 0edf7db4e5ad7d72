//! [`Objective`]: what a mapper (per layer) or a search (per workload) minimises.

use serde::{Deserialize, Serialize};

/// What the mapper and the search minimise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Objective {
    /// Cycles.
    #[default]
    Latency,
    /// Energy in pJ.
    Energy,
    /// Energy-delay product: cycles × energy (cycles·pJ).
    Edp,
}

impl Objective {
    pub const ALL: [Objective; 3] = [Objective::Latency, Objective::Energy, Objective::Edp];

    /// The objective's value for a cost of `cycles` and `energy_pj`.
    pub fn value(self, cycles: u64, energy_pj: f64) -> f64 {
        match self {
            Objective::Latency => cycles as f64,
            Objective::Energy => energy_pj,
            Objective::Edp => cycles as f64 * energy_pj,
        }
    }

    /// The unit of [`Objective::value`].
    pub fn unit(self) -> &'static str {
        match self {
            Objective::Latency => "cycles",
            Objective::Energy => "pJ",
            Objective::Edp => "cycles·pJ",
        }
    }

    /// The command-line name (`latency`, `energy`, `edp`).
    pub fn name(self) -> &'static str {
        match self {
            Objective::Latency => "latency",
            Objective::Energy => "energy",
            Objective::Edp => "edp",
        }
    }

    /// Parse a command-line name.
    pub fn parse(s: &str) -> Option<Objective> {
        Objective::ALL.into_iter().find(|o| o.name() == s)
    }
}
