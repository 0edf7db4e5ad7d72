//! Technology figures: energy per operation and area per component.
//!
//! The numbers live in `arch/data/tech_45nm.ron`, which cites its sources (Horowitz ISSCC 2014 for
//! energies and arithmetic areas, Mistry IEDM 2007 for the SRAM bit cell, NanGate 45 nm for a
//! flip-flop). The model is deliberately first-order: per-access SRAM energy is interpolated in log
//! capacity between the cited points and scaled linearly with the word width; leakage, clock tree,
//! wires and control logic are left out.

use serde::{Deserialize, Serialize};
use std::path::Path;
use tessera_core::diag::{ensure, Result};
use tessera_core::{PicoJoules, SquareMicrons};

/// The technology file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechSpec {
    pub node_nm: u32,
    pub mac_int8_pj: f64,
    pub sram_pj_per_64bit: Vec<(u64, f64)>,
    pub dram_pj_per_byte: f64,
    pub mac_int8_area_um2: f64,
    pub dff_area_um2: f64,
    pub sram_bit_area_um2: f64,
}

/// Validated technology figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Tech {
    pub spec: TechSpec,
}

const DEFAULT_45NM: &str = include_str!("../data/tech_45nm.ron");

impl Default for Tech {
    fn default() -> Self {
        Self::default_45nm()
    }
}

impl Tech {
    /// The built-in 45 nm figures.
    pub fn default_45nm() -> Self {
        let spec: TechSpec =
            tessera_core::load::parse_ron(DEFAULT_45NM, Path::new("arch/data/tech_45nm.ron"))
                .expect("built-in technology file parses");
        Self::validate(spec).expect("built-in technology file is valid")
    }

    pub fn validate(spec: TechSpec) -> Result<Self> {
        ensure(
            !spec.sram_pj_per_64bit.is_empty(),
            "sram_pj_per_64bit",
            || "needs at least one point".into(),
        )?;
        ensure(
            spec.sram_pj_per_64bit.windows(2).all(|w| w[0].0 < w[1].0),
            "sram_pj_per_64bit",
            || "capacities must be strictly increasing".into(),
        )?;
        for (v, f) in [
            (spec.mac_int8_pj, "mac_int8_pj"),
            (spec.dram_pj_per_byte, "dram_pj_per_byte"),
            (spec.mac_int8_area_um2, "mac_int8_area_um2"),
            (spec.dff_area_um2, "dff_area_um2"),
            (spec.sram_bit_area_um2, "sram_bit_area_um2"),
        ] {
            ensure(v.is_finite() && v > 0.0, f, || {
                format!("must be positive, got {v}")
            })?;
        }
        Ok(Self { spec })
    }

    /// Energy of one int8 multiply-accumulate into int32.
    pub fn mac_energy(&self) -> PicoJoules {
        PicoJoules(self.spec.mac_int8_pj)
    }

    /// Energy of one access of `word_bytes` bytes to an SRAM bank of `bank_bytes`.
    pub fn sram_access_energy(&self, bank_bytes: u64, word_bytes: u32) -> PicoJoules {
        let pts = &self.spec.sram_pj_per_64bit;
        let per64 = if bank_bytes <= pts[0].0 {
            pts[0].1
        } else if bank_bytes >= pts[pts.len() - 1].0 {
            pts[pts.len() - 1].1
        } else {
            let i = pts
                .iter()
                .position(|p| p.0 >= bank_bytes)
                .expect("inside range");
            let (c0, e0) = pts[i - 1];
            let (c1, e1) = pts[i];
            let t = ((bank_bytes as f64).ln() - (c0 as f64).ln())
                / ((c1 as f64).ln() - (c0 as f64).ln());
            e0 + t * (e1 - e0)
        };
        PicoJoules(per64 * f64::from(word_bytes) / 8.0)
    }

    pub fn dram_energy_per_byte(&self) -> PicoJoules {
        PicoJoules(self.spec.dram_pj_per_byte)
    }

    /// Area of one PE: a MAC plus two operand registers and one accumulator-wide register. Both
    /// dataflows have that many: weight-stationary holds `a`, the stationary weight and the passing
    /// partial sum; output-stationary `a` and `b` passing through and the stationary sum (its drain
    /// multiplexer is left out).
    pub fn pe_area(&self, dt: crate::Datatypes) -> SquareMicrons {
        let bits = 2 * dt.operand_bits() + dt.accumulator_bits();
        SquareMicrons(self.spec.mac_int8_area_um2 + f64::from(bits) * self.spec.dff_area_um2)
    }

    pub fn sram_area(&self, bytes: u64) -> SquareMicrons {
        SquareMicrons(bytes as f64 * 8.0 * self.spec.sram_bit_area_um2)
    }

    pub fn dff_area(&self, bits: u64) -> SquareMicrons {
        SquareMicrons(bits as f64 * self.spec.dff_area_um2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sram_energy_hits_cited_points_and_interpolates() {
        let t = Tech::default_45nm();
        assert_eq!(t.sram_access_energy(8192, 8).get(), 10.0);
        assert_eq!(t.sram_access_energy(32768, 8).get(), 20.0);
        let mid = t.sram_access_energy(16384, 8).get();
        assert!(mid > 10.0 && mid < 20.0);
        assert_eq!(t.sram_access_energy(1024, 4).get(), 5.0);
    }
}
