//! Technology figures: energy and area per component.
//!
//! The numbers live in `arch/data/tech_45nm.ron` and `arch/data/tech_32nm.ron`, which cite their
//! sources in comments (Horowitz ISSCC 2014 for 45 nm arithmetic, NanGate FreePDK45 for a
//! flip-flop's area and energy and a gate's area, Keckler et al. IEEE Micro 2011 for on-chip wire energy, our runs of
//! CACTI 7 for SRAM at both nodes, in `arch/data/cacti7_sram.csv`, and Stillmaker & Baas 2017 for
//! scaling the logic to 32 nm). An [`crate::ArchSpec`] picks one with its
//! `tech` field ([`BUILTIN`]); without it, 45 nm.
//!
//! Components:
//! - **arithmetic**: a multiplier and an adder, each a table of (width, energy, area) points;
//!   between the points a figure follows the power law through the two nearest, beyond them the
//!   nearest segment's ([`Tech::multiplier`], [`Tech::adder`]; a PE's MAC is one of each,
//!   [`Tech::mac`]; an adder tree of n inputs, for later NoC options, is n-1 adders);
//! - **gates**: area of a two-input AND or OR gate ([`Tech::gate_area`]; the buffers' read-select
//!   logic is built of them);
//! - **registers**: area per flip-flop bit ([`Tech::register_area`]) and energy per bit written
//!   with random data, half the writes changing the bit ([`Tech::register_energy`]);
//! - **wires**: energy per bit moved one mm, random data ([`Tech::wire_energy`]);
//! - **SRAM**: a CACTI-fitted model of one bank from its capacity, word width and ports
//!   ([`Tech::sram_bank`], [`SramPorts`]: one read and one write port, or one read-write port on
//!   the input and weight buffers that ask for it, each with its own fit): a bank of N bits with W-bit words is m = ceil(W / max_macro_word_bits)
//!   macros side by side, all accessed together, and
//!   `area = a_bit N + a_word W + a_macro m`,
//!   `E = m (e_macro + e_sqrt sqrt(N/m)) + e_word_sqrt W sqrt(N/m) + e_word W` (reads and writes
//!   separately); a buffer of B banks is B such banks ([`Tech::sram_buffer`]), and with P write
//!   lanes (`dram.words_per_cycle`) B·P banks of a P-th of the size ([`Tech::sram_buffer_lanes`]);
//! - **DRAM**: energy per byte.
//!
//! Left out: leakage, the clock tree (a register's own clock pin energy is in its figure),
//! repeaters and fan-out of long wires, and the energy of multiplexers and gates.

use serde::{Deserialize, Serialize};
use std::path::Path;
use tessera_core::diag::{ensure, Diagnostic, Result};
use tessera_core::{PicoJoules, SquareMicrons};

/// One cited point of an arithmetic unit: its width, energy per operation and area.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitPoint {
    pub bits: i64,
    pub pj: f64,
    pub um2: f64,
}

/// Area of an SRAM bank: `per_bit × N + per_word_bit × W + per_macro × m` (µm²).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SramAreaSpec {
    pub per_bit: f64,
    pub per_word_bit: f64,
    pub per_macro: f64,
}

/// Energy of one word access of an SRAM bank (pJ): `m × (per_macro + per_sqrt_bit × sqrt(N/m)) +
/// per_word_bit_sqrt_bit × W × sqrt(N/m) + per_word_bit × W`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SramEnergySpec {
    pub per_macro: f64,
    pub per_sqrt_bit: f64,
    pub per_word_bit_sqrt_bit: f64,
    pub per_word_bit: f64,
}

/// The SRAM model's figures for one arrangement of ports.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SramFit {
    pub area_um2: SramAreaSpec,
    pub read_pj: SramEnergySpec,
    pub write_pj: SramEnergySpec,
}

/// The SRAM model's figures for the banks' ports (docs/TIMING.md, "Word widths": a bank has one
/// read and one write port, or — input and weight buffers with `ports: OneReadWrite` — one
/// read-write port; the accumulator's read port serves the accumulate and the STORE reads, never
/// in one cycle).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SramSpec {
    /// The widest word of one macro; a wider bank word is split over macros side by side.
    pub max_macro_word_bits: i64,
    pub one_read_one_write: SramFit,
    pub one_read_write: SramFit,
}

/// The ports of an SRAM bank, as a buffer's `ports` field names them (`arch/data/cacti7_sram.csv`
/// holds CACTI's runs of both, and also of banks with two read ports and one write port, "2r1w",
/// which no design has).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum SramPorts {
    /// One read port and one write port (every buffer; the only choice for the accumulator).
    #[default]
    OneReadOneWrite,
    /// One read-write port: a read or a write per cycle, never both (input and weight buffers;
    /// docs/TIMING.md, "Single-ported banks").
    OneReadWrite,
}

impl SramPorts {
    /// Both arrangements.
    pub const ALL: [SramPorts; 2] = [SramPorts::OneReadOneWrite, SramPorts::OneReadWrite];

    /// The ports a buffer's banks have (its `ports` field).
    pub fn of(b: &crate::spec::Buffer) -> SramPorts {
        b.ports()
    }

    /// One read and one write port, the default a RON file may leave out.
    pub fn is_default(&self) -> bool {
        *self == SramPorts::default()
    }

    /// The label of the arrangement in `arch/data/cacti7_sram.csv`.
    pub fn label(self) -> &'static str {
        match self {
            SramPorts::OneReadOneWrite => "1r1w",
            SramPorts::OneReadWrite => "1rw",
        }
    }

    /// The field of [`SramSpec`] that holds its fit.
    pub fn field(self) -> &'static str {
        match self {
            SramPorts::OneReadOneWrite => "one_read_one_write",
            SramPorts::OneReadWrite => "one_read_write",
        }
    }
}

impl SramSpec {
    /// The fit for banks with these ports.
    pub fn fit(&self, ports: SramPorts) -> &SramFit {
        match ports {
            SramPorts::OneReadOneWrite => &self.one_read_one_write,
            SramPorts::OneReadWrite => &self.one_read_write,
        }
    }
}

/// The technology file as written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechSpec {
    pub node_nm: i64,
    /// Integer multiplier: (width, energy per multiply, area) points, widths increasing.
    pub multiplier: Vec<UnitPoint>,
    /// Integer adder: (width, energy per add, area) points, widths increasing.
    pub adder: Vec<UnitPoint>,
    /// Area of one flip-flop bit.
    pub register_bit_um2: f64,
    /// Energy of one flip-flop bit clocked with a new value of random data (pJ).
    pub register_bit_pj: f64,
    /// Area of one two-input AND or OR gate (the buffers' read-select logic).
    pub gate_um2: f64,
    /// Energy of moving one bit of random data one mm along an on-chip wire (pJ).
    pub wire_pj_per_bit_mm: f64,
    pub sram: SramSpec,
    pub dram_pj_per_byte: f64,
}

/// Validated technology figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Tech {
    pub spec: TechSpec,
}

/// Energy per operation and area of one unit at a width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitCost {
    pub energy: PicoJoules,
    pub area: SquareMicrons,
}

/// One SRAM bank by the model: its macros, area and energy per word read and write.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SramBank {
    pub macros: u64,
    pub area: SquareMicrons,
    pub read: PicoJoules,
    pub write: PicoJoules,
}

/// The built-in technology files: (name an `ArchSpec`'s `tech` field gives, RON text).
pub const BUILTIN: &[(&str, &str)] = &[
    ("45nm", include_str!("../data/tech_45nm.ron")),
    ("32nm", include_str!("../data/tech_32nm.ron")),
];

/// The CACTI 7 runs the SRAM figures are fitted to (see the technology files).
pub const CACTI_SRAM_CSV: &str = include_str!("../data/cacti7_sram.csv");

impl Default for Tech {
    fn default() -> Self {
        Self::default_45nm()
    }
}

impl Tech {
    /// The built-in 45 nm figures.
    pub fn default_45nm() -> Self {
        Self::builtin("45nm").expect("built-in technology file is valid")
    }

    /// A built-in technology by name (`45nm`, `32nm`).
    pub fn builtin(name: &str) -> Result<Self> {
        let (_, text) = BUILTIN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            Diagnostic::new(format!(
                "no built-in technology named {name:?} (built-ins: {})",
                Self::builtin_names()
            ))
        })?;
        let origin = format!("arch/data/tech_{name}.ron");
        let spec: TechSpec = tessera_core::load::parse_ron(text, Path::new(&origin))?;
        Self::validate(spec).map_err(|e| e.in_file(origin))
    }

    /// The built-in names, comma-separated.
    pub fn builtin_names() -> String {
        BUILTIN.iter().map(|t| t.0).collect::<Vec<_>>().join(", ")
    }

    /// Check every figure. Errors name the field (`multiplier[1].pj`, `sram.one_read_one_write.read_pj.per_macro`).
    pub fn validate(spec: TechSpec) -> Result<Self> {
        ensure((1..=1000).contains(&spec.node_nm), "node_nm", || {
            format!("must be between 1 and 1000 nm, got {}", spec.node_nm)
        })?;
        for (points, f) in [(&spec.multiplier, "multiplier"), (&spec.adder, "adder")] {
            ensure(!points.is_empty(), f, || "needs at least one point".into())?;
            for (i, p) in points.iter().enumerate() {
                ensure(
                    (1..=1024).contains(&p.bits),
                    &format!("{f}[{i}].bits"),
                    || format!("must be between 1 and 1024, got {}", p.bits),
                )?;
                if i > 0 {
                    ensure(
                        p.bits > points[i - 1].bits,
                        &format!("{f}[{i}].bits"),
                        || "widths must be strictly increasing".into(),
                    )?;
                }
                positive(p.pj, &format!("{f}[{i}].pj"))?;
                positive(p.um2, &format!("{f}[{i}].um2"))?;
            }
        }
        positive(spec.register_bit_um2, "register_bit_um2")?;
        positive(spec.gate_um2, "gate_um2")?;
        positive(spec.register_bit_pj, "register_bit_pj")?;
        positive(spec.wire_pj_per_bit_mm, "wire_pj_per_bit_mm")?;
        positive(spec.dram_pj_per_byte, "dram_pj_per_byte")?;
        let s = &spec.sram;
        ensure(
            (1..=1 << 16).contains(&s.max_macro_word_bits),
            "sram.max_macro_word_bits",
            || format!("must be between 1 and 65536, got {}", s.max_macro_word_bits),
        )?;
        for ports in SramPorts::ALL {
            let (fit, p) = (s.fit(ports), format!("sram.{}", ports.field()));
            positive(fit.area_um2.per_bit, &format!("{p}.area_um2.per_bit"))?;
            non_negative(
                fit.area_um2.per_word_bit,
                &format!("{p}.area_um2.per_word_bit"),
            )?;
            non_negative(fit.area_um2.per_macro, &format!("{p}.area_um2.per_macro"))?;
            for (e, f) in [(&fit.read_pj, "read_pj"), (&fit.write_pj, "write_pj")] {
                let f = format!("{p}.{f}");
                let terms = [
                    (e.per_macro, "per_macro"),
                    (e.per_sqrt_bit, "per_sqrt_bit"),
                    (e.per_word_bit_sqrt_bit, "per_word_bit_sqrt_bit"),
                    (e.per_word_bit, "per_word_bit"),
                ];
                for (v, t) in terms {
                    non_negative(v, &format!("{f}.{t}"))?;
                }
                ensure(terms.iter().any(|(v, _)| *v > 0.0), &f, || {
                    "needs at least one positive coefficient".into()
                })?;
            }
        }
        Ok(Self { spec })
    }

    /// A multiplier of `bits`-bit operands.
    pub fn multiplier(&self, bits: u32) -> UnitCost {
        interpolate(&self.spec.multiplier, bits)
    }

    /// An adder of `bits`-bit operands.
    pub fn adder(&self, bits: u32) -> UnitCost {
        interpolate(&self.spec.adder, bits)
    }

    /// A PE's multiply-accumulate: a multiplier at the operand width and an adder at the
    /// accumulator width.
    pub fn mac(&self, dt: crate::Datatypes) -> UnitCost {
        let m = self.multiplier(dt.operand_bits());
        let a = self.adder(dt.accumulator_bits());
        UnitCost {
            energy: PicoJoules(m.energy.get() + a.energy.get()),
            area: SquareMicrons(m.area.get() + a.area.get()),
        }
    }

    /// Energy of one multiply-accumulate (see [`Tech::mac`]).
    pub fn mac_energy(&self, dt: crate::Datatypes) -> PicoJoules {
        self.mac(dt).energy
    }

    /// Area of `bits` flip-flops.
    pub fn register_area(&self, bits: u64) -> SquareMicrons {
        SquareMicrons(bits as f64 * self.spec.register_bit_um2)
    }

    /// Area of `gates` two-input AND or OR gates.
    pub fn gate_area(&self, gates: u64) -> SquareMicrons {
        SquareMicrons(gates as f64 * self.spec.gate_um2)
    }

    /// Energy of writing `bits` flip-flops once with random data.
    pub fn register_energy(&self, bits: u64) -> PicoJoules {
        PicoJoules(bits as f64 * self.spec.register_bit_pj)
    }

    /// Energy of moving `bits` bits of random data `mm` millimetres along on-chip wires.
    pub fn wire_energy(&self, bits: u64, mm: f64) -> PicoJoules {
        PicoJoules(bits as f64 * mm * self.spec.wire_pj_per_bit_mm)
    }

    /// Flip-flop bits of one PE: two operand registers and one accumulator-wide register. Both
    /// dataflows have that many: weight-stationary holds `a`, the stationary weight and the passing
    /// partial sum; output-stationary `a` and `b` passing through and the stationary sum.
    pub fn pe_register_bits(dt: crate::Datatypes) -> u64 {
        2 * u64::from(dt.operand_bits()) + u64::from(dt.accumulator_bits())
    }

    /// Area of one PE: its MAC and registers (the output-stationary drain multiplexer is left out).
    pub fn pe_area(&self, dt: crate::Datatypes) -> SquareMicrons {
        SquareMicrons(
            self.mac(dt).area.get() + self.register_area(Self::pe_register_bits(dt)).get(),
        )
    }

    /// One SRAM bank of `bank_bytes` with words of `word_bytes` and these ports, by the
    /// CACTI-fitted model.
    pub fn sram_bank(&self, bank_bytes: u64, word_bytes: u32, ports: SramPorts) -> SramBank {
        let s = &self.spec.sram;
        let fit = s.fit(ports);
        let n_bits = bank_bytes.checked_mul(8).expect("a bank's bits fit in u64");
        let w_bits = u64::from(word_bytes) * 8;
        let macros = w_bits.div_ceil(s.max_macro_word_bits as u64).max(1);
        let (n, w, m) = (n_bits as f64, w_bits as f64, macros as f64);
        let a = &fit.area_um2;
        let area = a.per_bit * n + a.per_word_bit * w + a.per_macro * m;
        let root = (n / m).sqrt();
        let energy = |e: &SramEnergySpec| {
            m * (e.per_macro + e.per_sqrt_bit * root)
                + e.per_word_bit_sqrt_bit * w * root
                + e.per_word_bit * w
        };
        SramBank {
            macros,
            area: SquareMicrons(area),
            read: PicoJoules(energy(&fit.read_pj)),
            write: PicoJoules(energy(&fit.write_pj)),
        }
    }

    /// A validated buffer: one bank's figures (energy per word access) and the area of all banks,
    /// with the ports its banks have ([`SramPorts::of`]).
    pub fn sram_buffer(&self, b: &crate::spec::Buffer) -> (SramBank, SquareMicrons) {
        self.sram_buffer_lanes(b, 1)
    }

    /// A validated buffer whose every bank is word-interleaved over `lanes` SRAMs (the write lanes
    /// of `dram.words_per_cycle`, [`crate::Arch::write_lanes`]): `banks × lanes` SRAMs of
    /// `bank_bytes / lanes` bytes. One SRAM's figures (energy per word access: an access touches one
    /// of them) and the area of all of them; `lanes = 1` is [`Tech::sram_buffer`].
    pub fn sram_buffer_lanes(
        &self,
        b: &crate::spec::Buffer,
        lanes: u32,
    ) -> (SramBank, SquareMicrons) {
        let lanes = lanes.max(1);
        let bank = self.sram_bank(
            b.bank_bytes() / u64::from(lanes),
            b.word_bytes(),
            SramPorts::of(b),
        );
        let area = SquareMicrons(bank.area.get() * f64::from(b.banks()) * f64::from(lanes));
        (bank, area)
    }

    pub fn dram_energy_per_byte(&self) -> PicoJoules {
        PicoJoules(self.spec.dram_pj_per_byte)
    }
}

fn positive(v: f64, field: &str) -> Result<()> {
    ensure(v.is_finite() && v > 0.0, field, || {
        format!("must be positive, got {v}")
    })
}

fn non_negative(v: f64, field: &str) -> Result<()> {
    ensure(v.is_finite() && v >= 0.0, field, || {
        format!("must be zero or positive, got {v}")
    })
}

/// The power law through the two points nearest `bits` (one point: that point's figures).
fn interpolate(points: &[UnitPoint], bits: u32) -> UnitCost {
    let at = |p: &UnitPoint| UnitCost {
        energy: PicoJoules(p.pj),
        area: SquareMicrons(p.um2),
    };
    if let Some(p) = points.iter().find(|p| p.bits == i64::from(bits)) {
        return at(p);
    }
    if points.len() == 1 {
        return at(&points[0]);
    }
    // the segment holding `bits`, or the first / last one beyond the ends
    let i = points
        .iter()
        .position(|p| p.bits > i64::from(bits))
        .unwrap_or(points.len() - 1)
        .clamp(1, points.len() - 1);
    let (p0, p1) = (&points[i - 1], &points[i]);
    let t = (f64::from(bits).ln() - (p0.bits as f64).ln())
        / ((p1.bits as f64).ln() - (p0.bits as f64).ln());
    let pow = |a: f64, b: f64| (a.ln() + t * (b.ln() - a.ln())).exp();
    UnitCost {
        energy: PicoJoules(pow(p0.pj, p1.pj)),
        area: SquareMicrons(pow(p0.um2, p1.um2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt() -> crate::Datatypes {
        crate::builtin::arch("ws_1x1").unwrap().datatypes()
    }

    #[test]
    fn builtins_validate_and_keep_the_cited_45nm_mac() {
        for (name, _) in BUILTIN {
            Tech::builtin(name).unwrap();
        }
        let t = Tech::default_45nm();
        let mac = t.mac(dt());
        assert!((mac.energy.get() - 0.3).abs() < 1e-12);
        assert!((mac.area.get() - 419.0).abs() < 1e-9);
        assert!(Tech::builtin("7nm")
            .unwrap_err()
            .message
            .contains("45nm, 32nm"));
    }

    #[test]
    fn widths_between_points_follow_the_power_law() {
        let t = Tech::default_45nm();
        let m16 = t.multiplier(16);
        // geometric mean of the 8- and 32-bit figures
        assert!((m16.area.get() - (282.0f64 * 3495.0).sqrt()).abs() < 1e-6);
        assert!(t.multiplier(4).area.get() < 282.0);
        assert!(t.adder(64).area.get() > 137.0);
    }

    #[test]
    fn smaller_node_is_smaller_and_cheaper() {
        let (a, b) = (Tech::default_45nm(), Tech::builtin("32nm").unwrap());
        assert!(b.pe_area(dt()).get() < a.pe_area(dt()).get());
        assert!(b.mac_energy(dt()).get() < a.mac_energy(dt()).get());
        let (x, y) = (
            a.sram_bank(8192, 8, SramPorts::OneReadOneWrite),
            b.sram_bank(8192, 8, SramPorts::OneReadOneWrite),
        );
        assert!(y.area.get() < x.area.get() && y.read.get() < x.read.get());
        assert!(b.register_energy(8).get() < a.register_energy(8).get());
        // a wire's energy per mm is kept across the nodes (same supply; Keckler et al.)
        assert_eq!(b.wire_energy(8, 1.0), a.wire_energy(8, 1.0));
    }

    /// The register and wire energies are the derivations the technology files state: NanGate's
    /// DFF_X1 tables at 1.1 V, half the writes changing the bit, scaled by (0.9/1.1)²; Keckler et
    /// al.'s 310 pJ per 256 bits over 10 mm; 32 nm registers by Stillmaker & Baas's 0.6541.
    #[test]
    fn register_and_wire_energies_follow_their_derivation() {
        let hold = (2.441622 + 4.497803 + 2.627385 + 4.265302) / 2.0;
        let change = (7.539890 + 4.357977 + 7.580013 + 3.976646) / 2.0;
        let fj = (hold + change) / 2.0 * (0.9f64 / 1.1).powi(2);
        let (a, b) = (Tech::default_45nm(), Tech::builtin("32nm").unwrap());
        assert!((a.spec.register_bit_pj - fj / 1000.0).abs() < 5e-7);
        assert!((b.spec.register_bit_pj - a.spec.register_bit_pj * 0.6541).abs() < 5e-7);
        assert!((a.spec.wire_pj_per_bit_mm - 310.0 / 2560.0).abs() < 5e-5);
        // a byte over 25 µm, and 8 flip-flops
        assert!((a.wire_energy(8, 0.025).get() - 8.0 * 0.025 * 0.1211).abs() < 1e-12);
        assert!((a.register_energy(8).get() - 8.0 * 0.006240).abs() < 1e-12);
    }

    #[test]
    fn sram_scales_with_capacity_width_and_macros() {
        let t = Tech::default_45nm();
        let bank = |bytes, word| t.sram_bank(bytes, word, SramPorts::OneReadOneWrite);
        let (small, big) = (bank(1024, 8), bank(65536, 8));
        assert!(big.area.get() > 50.0 * small.area.get());
        assert!(big.read.get() > small.read.get());
        // energy grows sub-linearly in capacity (about its square root)
        assert!(big.read.get() < 16.0 * small.read.get());
        assert!(bank(65536, 16).read.get() > big.read.get());
        assert_eq!(bank(65536, 16).macros, 1);
        assert_eq!(bank(65536, 64).macros, 4);
        assert_eq!(bank(65536, 17).macros, 2);
    }

    /// The coefficients in the technology files are the fit to the CACTI runs they cite: the mean
    /// relative errors stay near the ones the files state.
    #[test]
    fn sram_model_matches_the_cacti_runs_it_was_fitted_to() {
        for (name, node, ports, bounds) in [
            ("45nm", 45, SramPorts::OneReadOneWrite, [0.07, 0.27, 0.06]),
            ("32nm", 32, SramPorts::OneReadOneWrite, [0.07, 0.28, 0.06]),
            ("45nm", 45, SramPorts::OneReadWrite, [0.06, 0.24, 0.07]),
            ("32nm", 32, SramPorts::OneReadWrite, [0.06, 0.25, 0.08]),
        ] {
            let t = Tech::builtin(name).unwrap();
            let mut err = [0.0f64; 3];
            let mut n = 0;
            for line in CACTI_SRAM_CSV.lines().skip(1) {
                let (node_nm, rest) = line.split_once(',').unwrap();
                let (label, rest) = rest.split_once(',').unwrap();
                if node_nm.parse::<i64>().unwrap() != node || label != ports.label() {
                    continue;
                }
                let f: Vec<f64> = rest.split(',').map(|x| x.parse().unwrap()).collect();
                let b = t.sram_bank(f[0] as u64, f[1] as u32, ports);
                for (e, (model, cacti)) in err.iter_mut().zip([
                    (b.area.get(), f[4]),
                    (b.read.get(), f[2]),
                    (b.write.get(), f[3]),
                ]) {
                    *e += (model - cacti).abs() / cacti;
                }
                n += 1;
            }
            assert_eq!(n, 54, "{name} {}", ports.label());
            for (e, bound) in err.iter().zip(bounds) {
                assert!(
                    e / f64::from(n) < bound,
                    "{name} {}: {} >= {bound}",
                    ports.label(),
                    e / f64::from(n)
                );
            }
        }
    }

    /// The coefficients in the technology files are exactly the fitting routine's output
    /// (`crate::sram_fit`, the procedure the files describe) to four significant figures, for both
    /// nodes and both arrangements of ports: the fit is reproducible, not hand-picked.
    #[test]
    fn sram_coefficients_are_the_fitting_routines_output() {
        use crate::sram_fit::{fit, round_significant};
        for (name, node) in [("45nm", 45), ("32nm", 32)] {
            let t = Tech::builtin(name).unwrap();
            for ports in SramPorts::ALL {
                let f = fit(node, ports, t.spec.sram.max_macro_word_bits as u64);
                let (file, refit) = (t.spec.sram.fit(ports), f.fit);
                let coefficients = |x: &SramFit| {
                    let e = |e: &SramEnergySpec| {
                        [
                            e.per_macro,
                            e.per_sqrt_bit,
                            e.per_word_bit_sqrt_bit,
                            e.per_word_bit,
                        ]
                    };
                    let a = &x.area_um2;
                    [a.per_bit, a.per_word_bit, a.per_macro]
                        .into_iter()
                        .chain(e(&x.read_pj))
                        .chain(e(&x.write_pj))
                        .collect::<Vec<f64>>()
                };
                for (i, (a, b)) in coefficients(file)
                    .into_iter()
                    .zip(coefficients(&refit))
                    .enumerate()
                {
                    assert!(
                        (a - round_significant(b, 4)).abs() <= 1e-12 * a.abs().max(1.0),
                        "{name} {} coefficient {i}: file {a}, fit {b}",
                        ports.label()
                    );
                }
            }
        }
    }

    /// One read-write port costs about half the area of one read and one write port (CACTI: 0.49x
    /// on average), and reads and writes cost less too.
    #[test]
    fn a_single_ported_bank_is_smaller() {
        for name in ["45nm", "32nm"] {
            let t = Tech::builtin(name).unwrap();
            for (bytes, word) in [(1024, 4), (8192, 8), (65536, 16)] {
                let two = t.sram_bank(bytes, word, SramPorts::OneReadOneWrite);
                let one = t.sram_bank(bytes, word, SramPorts::OneReadWrite);
                let ratio = one.area.get() / two.area.get();
                assert!((0.4..0.65).contains(&ratio), "{name} {bytes} B: {ratio}");
                assert!(one.read.get() < two.read.get(), "{name} {bytes} B");
            }
        }
    }

    #[test]
    fn bad_figures_name_their_field() {
        let mut s = Tech::default_45nm().spec;
        s.multiplier[1].bits = 8;
        assert_eq!(
            Tech::validate(s).unwrap_err().field.as_deref(),
            Some("multiplier[1].bits")
        );
        let mut s = Tech::default_45nm().spec;
        s.sram.one_read_one_write.write_pj.per_macro = -1.0;
        assert_eq!(
            Tech::validate(s).unwrap_err().field.as_deref(),
            Some("sram.one_read_one_write.write_pj.per_macro")
        );
        let mut s = Tech::default_45nm().spec;
        s.sram.one_read_write.area_um2.per_bit = 0.0;
        assert_eq!(
            Tech::validate(s).unwrap_err().field.as_deref(),
            Some("sram.one_read_write.area_um2.per_bit")
        );
        let mut s = Tech::default_45nm().spec;
        s.register_bit_um2 = f64::NAN;
        assert_eq!(
            Tech::validate(s).unwrap_err().field.as_deref(),
            Some("register_bit_um2")
        );
    }
}
