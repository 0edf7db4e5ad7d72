//! First-order area per component, from the accelerator's technology figures
//! (`tessera_arch::tech`):
//! - **PE MACs**: R×C multipliers at the operand width and adders at the accumulator width; with
//!   adder trees (`array.noc`) the PEs only multiply and each column's tree has R-1 adders;
//! - **PE registers**: every PE's registers from the interconnect
//!   ([`tessera_arch::noc::Interconnect`], held to the graph of [`tessera_arch::noc::NocGraph`]):
//!   the stationary operand, the streamed operand's register (none with a broadcast row bus), the
//!   partial sum or product; with double-buffered weights also the shadow weight and the switch bit
//!   (its weight multiplexer is left out); and the adder trees' registers;
//! - **skew registers**: weight- and input-stationary streamed-operand skew (row r delays its
//!   operand r cycles; none with adder trees) and output deskew (column c delays its sum C-1-c
//!   cycles; none with a broadcast); output-stationary input and weight skew, both operand-wide. An
//!   input-stationary array is the weight-stationary one (its buffers' word widths differ, which
//!   the SRAM model sees);
//! - **write-back adders**: the compute unit's C accumulator-wide adders that add a new output row
//!   to the old one (docs/TIMING.md, "write back");
//! - **SRAM**: each buffer as its banks, each bank by the CACTI-fitted model of its capacity,
//!   word width and ports (`tessera_arch::SramPorts::of`, the buffer's `ports`: one read and one
//!   write port, the accumulator's read port shared by the accumulate and the STORE reads, or on
//!   the input and weight buffers one read-write port, about half the area) (macros side by side for wide words); with `dram.words_per_cycle` = P > 1 the
//!   input and weight banks are each P word-interleaved SRAMs of a P-th of the size (the DMA's P
//!   write lanes), and the accumulator banks S = `Arch::store_lanes` of them (the STORE's read
//!   lanes; S = 1 when its words are at least W bytes);
//! - **read select**: each buffer read port's AND-OR multiplexer over the SRAMs it reaches
//!   (`rtl_gen/templates/top.v`: every SRAM's word ANDed with its registered hit bit, the words
//!   ORed together): a port over n SRAMs of w-bit words is n·w AND and (n-1)·w OR gates
//!   ([`read_select_gates`]). The input and weight read ports reach every bank's P SRAMs; the
//!   accumulator's accumulate port every bank's S SRAMs, and its S store read lanes each one SRAM per
//!   bank.
//!
//! [`Area::logic_um2`] is everything but SRAM, [`Area::compute_unit_um2`] its compute unit's part:
//! what `tessera_verif::synth` counts cells of in `verif/tests/it/area_vs_synth.rs`. Left out: the output-stationary drain multiplexers, the
//! controller, DMA (its lane rotation multiplexers included), instruction queue and the compute
//! unit's counters; the buffers' address logic: the bank and lane hit comparators, the registered
//! hit bits, the row-address subtractors and the write enables' decoding (they too grow with banks
//! × lanes); wires, clock tree and I/O.

use serde::{Deserialize, Serialize};
use tessera_arch::noc::Interconnect;
use tessera_arch::{Arch, BufferKind, Reduce};

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// PE multipliers and adders.
    pub pe_mac_um2: f64,
    /// PE pipeline registers.
    pub pe_registers_um2: f64,
    /// `pe_mac_um2 + pe_registers_um2`.
    pub pe_array_um2: f64,
    pub skew_registers_um2: f64,
    pub writeback_adders_um2: f64,
    /// The buffers' read-select multiplexers ([`read_select_gates`]).
    pub read_select_um2: f64,
    /// Everything but SRAM.
    pub logic_um2: f64,
    pub sram_input_um2: f64,
    pub sram_weight_um2: f64,
    pub sram_accumulator_um2: f64,
    /// The three buffers.
    pub sram_um2: f64,
    pub total_um2: f64,
}

/// Flip-flop bits of the skew and deskew chains of `arch` (docs/TIMING.md, "Compute unit" and
/// "Interconnect options"; [`tessera_arch::noc::Interconnect`]).
pub fn skew_register_bits(arch: &Arch) -> u64 {
    Interconnect::of(arch).skew_register_bits
}

/// Two-input gates of the buffers' read-select logic (docs/TIMING.md, "Word widths"; the AND-OR
/// trees of `rtl_gen/templates/top.v`): a read port over `n` SRAMs of `w`-bit words is `n·w` AND
/// gates and `(n-1)·w` OR gates. Per buffer: input and weight one port over banks × P SRAMs; the
/// accumulator one over banks × S (accumulate) and S store read lanes over one SRAM per bank each.
pub fn read_select_gates(arch: &Arch) -> u64 {
    let (and, or) = read_select_and_or(arch);
    and + or
}

/// The AND gates and the OR gates of [`read_select_gates`], apart.
pub fn read_select_and_or(arch: &Arch) -> (u64, u64) {
    // one port over n SRAMs of `word_bytes`-byte words, repeated `times`
    let port = |n: u64, word_bytes: u32, times: u64| {
        let w = 8 * u64::from(word_bytes) * times;
        (n * w, (n - 1) * w)
    };
    let mut total = (0, 0);
    for k in BufferKind::ALL {
        let b = arch.buffer(k);
        let (banks, lanes) = (u64::from(b.banks()), u64::from(arch.write_lanes(k)));
        // the array's read port over every SRAM; the accumulator's store read lanes, each over one
        // SRAM per bank
        let (and, or) = port(banks * lanes, b.word_bytes(), 1);
        let (s_and, s_or) = if k == BufferKind::Accumulator {
            port(banks, b.word_bytes(), lanes)
        } else {
            (0, 0)
        };
        total = (total.0 + and + s_and, total.1 + or + s_or);
    }
    total
}

/// The PE pitch the area model implies, in µm: the side of a square PE whose area is the PE array's
/// (MACs and registers, adder trees included) divided by its PEs. The energy model's wires are
/// this long per hop.
pub fn pe_pitch_um(arch: &Arch) -> f64 {
    (Area::of(arch).pe_array_um2 / arch.pes() as f64).sqrt()
}

impl Area {
    /// The compute unit's part of [`Area::logic_um2`]: the PE array, the skew and deskew
    /// registers and the write-back adders (what `<name>_compute` of the generated Verilog holds).
    pub fn compute_unit_um2(&self) -> f64 {
        self.pe_array_um2 + self.skew_registers_um2 + self.writeback_adders_um2
    }

    pub fn of(arch: &Arch) -> Area {
        let t = arch.tech();
        let dt = arch.datatypes();
        let pes = arch.pes() as f64;
        let ic = Interconnect::of(arch);
        // a PE's multiplier and adder; with adder trees the PE only multiplies and the trees add
        let pe_mac_um2 = if arch.noc().reduce == Reduce::AdderTree {
            t.multiplier(dt.operand_bits()).area.get() * pes
                + t.adder(dt.accumulator_bits()).area.get() * ic.tree_adders as f64
        } else {
            t.mac(dt).area.get() * pes
        };
        // every PE's registers (double-buffered weights: a shadow weight and the switch bit too),
        // and the adder trees'
        let pe_registers_um2 = t
            .register_area(
                ic.pe_register_bits
                    .checked_mul(arch.pes())
                    .and_then(|b| b.checked_add(ic.tree_register_bits))
                    .expect("PE register bits fit in u64"),
            )
            .get();
        let skew_registers_um2 = t.register_area(skew_register_bits(arch)).get();
        let writeback_adders_um2 =
            t.adder(dt.accumulator_bits()).area.get() * f64::from(arch.cols());
        let sram = |k: BufferKind| {
            t.sram_buffer_lanes(arch.buffer(k), arch.write_lanes(k))
                .1
                .get()
        };
        let (sram_input_um2, sram_weight_um2, sram_accumulator_um2) = (
            sram(BufferKind::Input),
            sram(BufferKind::Weight),
            sram(BufferKind::Accumulator),
        );
        let read_select_um2 = t.gate_area(read_select_gates(arch)).get();
        let pe_array_um2 = pe_mac_um2 + pe_registers_um2;
        let logic_um2 = pe_array_um2 + skew_registers_um2 + writeback_adders_um2 + read_select_um2;
        let sram_um2 = sram_input_um2 + sram_weight_um2 + sram_accumulator_um2;
        Area {
            pe_mac_um2,
            pe_registers_um2,
            pe_array_um2,
            skew_registers_um2,
            writeback_adders_um2,
            read_select_um2,
            logic_um2,
            sram_input_um2,
            sram_weight_um2,
            sram_accumulator_um2,
            sram_um2,
            total_um2: logic_um2 + sram_um2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::builtin;

    #[test]
    fn components_add_up_and_grow_with_the_array() {
        let a4 = Area::of(&builtin::arch("ws_4x4").unwrap());
        let a8 = Area::of(&builtin::arch("ws_8x8").unwrap());
        for a in [a4, a8] {
            let sum = a.pe_mac_um2
                + a.pe_registers_um2
                + a.skew_registers_um2
                + a.writeback_adders_um2
                + a.read_select_um2
                + a.sram_input_um2
                + a.sram_weight_um2
                + a.sram_accumulator_um2;
            assert!((sum - a.total_um2).abs() < 1e-6 * a.total_um2);
            assert!((a.logic_um2 + a.sram_um2 - a.total_um2).abs() < 1e-6 * a.total_um2);
        }
        assert!((a8.pe_mac_um2 / a4.pe_mac_um2 - 4.0).abs() < 1e-9);
        assert!(a8.sram_um2 > a4.sram_um2);
    }

    /// Single-ported input and weight banks (`ports: OneReadWrite`, docs/TIMING.md, "Single-ported
    /// banks"): their SRAMs take about half the area (CACTI: 0.49x), the accumulator and the logic
    /// keep theirs, and a layer under the mapper's mapping for the single-ported design takes
    /// exactly the cycles it takes on the two-ported one, with less SRAM energy.
    #[test]
    fn single_ported_banks_save_area_not_cycles() {
        use tessera_mapping::{MappingSpec, Problem};
        use tessera_workloads::{Gemm, Layer};
        for name in ["ws_16x16", "os_16x16", "is_16x16"] {
            let spec = builtin::arch_spec(name).unwrap();
            let two = spec.clone().validate().unwrap();
            let one = spec
                .with_operand_ports(tessera_arch::SramPorts::OneReadWrite)
                .validate()
                .unwrap();
            let (a2, a1) = (Area::of(&two), Area::of(&one));
            for (x, y) in [
                (a1.sram_input_um2, a2.sram_input_um2),
                (a1.sram_weight_um2, a2.sram_weight_um2),
            ] {
                assert!((0.4..0.65).contains(&(x / y)), "{name}: {x} vs {y}");
            }
            assert_eq!(a1.sram_accumulator_um2, a2.sram_accumulator_um2);
            assert_eq!(a1.logic_um2, a2.logic_um2);
            println!(
                "{name}: input + weight SRAM {:.0} um2 (1rw) vs {:.0} um2 (1r1w); total {:.0} vs {:.0} um2",
                a1.sram_input_um2 + a1.sram_weight_um2,
                a2.sram_input_um2 + a2.sram_weight_um2,
                a1.total_um2,
                a2.total_um2
            );
            let layer = Layer::Gemm(Gemm::new("g", 64, 96, 80));
            let p = Problem::new(&layer, &one).unwrap();
            let m = crate::mapper::map_layer(&p, &one, &MappingSpec::default()).unwrap();
            let run = |a: &Arch| {
                crate::run_layer(&layer, a, &m, 1, &crate::SimOptions::default())
                    .unwrap()
                    .report
            };
            let (r1, r2) = (run(&one), run(&two));
            assert_eq!(r1.cycles, r2.cycles, "{name}");
            assert_eq!(r1.counters, r2.counters, "{name}");
            assert!(r1.energy.input_pj < r2.energy.input_pj, "{name}");
            assert!(r1.energy.weight_pj < r2.energy.weight_pj, "{name}");
            // the two-ported design's own best mapping may keep a panel, which the single-ported
            // one cannot (Mapping::check): said, not assumed equal
            let p2 = Problem::new(&layer, &two).unwrap();
            let m2 = crate::mapper::map_layer(&p2, &two, &MappingSpec::default()).unwrap();
            let own = crate::run_layer(&layer, &two, &m2, 1, &crate::SimOptions::default())
                .unwrap()
                .report
                .cycles;
            assert!(own <= r2.cycles, "{name}");
            println!(
                "{name}: {} cycles both under {m:?} (the two-ported design's own best, {m2:?}: {}); \
                 input + weight SRAM energy {:.0} pJ (1rw) vs {:.0} pJ (1r1w)",
                r1.cycles.get(),
                own.get(),
                r1.energy.input_pj + r1.energy.weight_pj,
                r2.energy.input_pj + r2.energy.weight_pj
            );
        }
    }

    #[test]
    fn skew_bits_per_dataflow() {
        let ws = builtin::arch("ws_4x4").unwrap();
        // input skew 8 x (0+1+2+3), output deskew 32 x (0+1+2+3)
        assert_eq!(skew_register_bits(&ws), 8 * 6 + 32 * 6);
        let os = builtin::arch("os_4x4").unwrap();
        assert_eq!(skew_register_bits(&os), 8 * 12);
        // input-stationary: the weight-stationary array (the streamed B skewed over the rows)
        let is = builtin::arch("is_4x4").unwrap();
        assert_eq!(skew_register_bits(&is), skew_register_bits(&ws));
        assert_eq!(Area::of(&is).logic_um2, Area::of(&ws).logic_um2);
    }

    #[test]
    fn read_select_follows_the_read_ports() {
        let mut s = builtin::arch_spec("ws_4x4").unwrap();
        // input and weight: 4-byte words over 2 banks, (2·2-1)·32 gates each; accumulator: 16-byte
        // words over 2 banks on the accumulate port and on the one store read lane
        assert_eq!(
            read_select_gates(&s.validate().unwrap()),
            2 * 3 * 32 + 2 * 3 * 128
        );
        // two DMA lanes: input and weight ports reach 4 SRAMs; W = 8 B < one 16-byte accumulator
        // word, so one store lane
        s.dram.words_per_cycle = Some(2);
        let two = s.validate().unwrap();
        assert_eq!(read_select_gates(&two), 2 * 7 * 32 + 2 * 3 * 128);
        // W = 32 B: two store lanes, the accumulate port over 4 SRAMs and each lane over 2
        s.dram.bytes_per_cycle = 32;
        let wide = s.validate().unwrap();
        assert_eq!(wide.store_lanes(), 2);
        assert_eq!(read_select_gates(&wide), 2 * 7 * 32 + 7 * 128 + 2 * 3 * 128);
        let a = Area::of(&wide);
        assert!((a.read_select_um2 - read_select_gates(&wide) as f64 * 1.064).abs() < 1e-9);
    }

    #[test]
    fn smaller_node_gives_smaller_area() {
        let mut s = builtin::arch_spec("ws_16x16").unwrap();
        let a45 = Area::of(&s.validate().unwrap());
        s.tech = Some("32nm".into());
        let a32 = Area::of(&s.validate().unwrap());
        assert!(a32.logic_um2 < 0.5 * a45.logic_um2);
        assert!(a32.sram_um2 < 0.6 * a45.sram_um2);
    }

    #[test]
    fn more_banks_cost_area() {
        let mut s = builtin::arch_spec("ws_8x8").unwrap();
        let two = Area::of(&s.validate().unwrap());
        s.buffers.input.banks = 4;
        let four = Area::of(&s.validate().unwrap());
        assert!(four.sram_input_um2 > two.sram_input_um2);
        assert_eq!(four.sram_weight_um2, two.sram_weight_um2);
    }
}
