//! Energy per component from counters and the accelerator's technology figures
//! (`tessera_arch::tech`):
//! - **PE MACs**: MAC slots × (a multiplier at the operand width + an adder at the accumulator
//!   width); with adder trees (`array.noc`) the PEs only multiply and the trees' adders are the
//!   interconnect's;
//! - **SRAM, per buffer**: word reads × read energy + word writes × write energy of one of its banks
//!   (the CACTI-fitted model of the bank's capacity, word width and ports, `tessera_arch::SramPorts::of`: the buffer's `ports`; one access touches one bank,
//!   every macro of it; with `dram.words_per_cycle` = P the input and weight banks are P
//!   word-interleaved SRAMs of a P-th of the size, the accumulator banks `Arch::store_lanes` of
//!   them, and an access touches one of them);
//! - **DRAM**: bytes moved × energy per byte;
//! - **interconnect** (`noc_pj`): the array's pipeline registers and wires
//!   ([`tessera_arch::noc::NocActivity`]), priced per streamed word and per COMPUTE:
//!   `E_word = bits_w · e_ff + wire_w · p · e_wire + adds_w · e_add(AB)` and
//!   `E_compute = bits_c · e_ff + wire_c · p · e_wire`, with `bits` the flip-flop bits written
//!   (skew and deskew stages, the PEs' operand, partial-sum or product registers, the adder trees';
//!   per COMPUTE the preload's shifts of the stationary operand, or the output-stationary drain),
//!   `wire` the bits moved one PE pitch, `adds` the adder trees' additions, `e_ff` the energy of a
//!   flip-flop bit written with random data, `e_wire` a wire's per bit per mm (technology files),
//!   and `p` the PE pitch the area model implies, `sqrt(PE array area / PEs)`
//!   ([`crate::area::pe_pitch_um`]). So `noc_pj = E_word / (R·C) · array MAC slots +
//!   E_compute · COMPUTEs + E_wread · weight-buffer reads + E_capture · captures`: every counter
//!   is exact and equal in both engines and the analytical model, so the three agree on it by
//!   construction;
//! - **row-stationary PEs** (docs/TIMING.md, "Compute unit: row-stationary"), in `noc_pj` too: per
//!   streamed word (a step) every PE's `ps` (`AB` bits) and the input window buses; per
//!   weight-buffer word read — on this array always a preload step — one register-file entry in
//!   every PE (`R·C·OB` bits) and the row buses that carry it (`E_wread`); per output captured
//!   (the `captures` counter, `E` per pass) every PE's `out` (`R·C·AB` bits) and its link to the
//!   column's block adder (`E_capture`). `E_wread` and `E_capture` are 0 on the other arrays.
//!
//! Left out: leakage, register reads (the row-stationary register files' included: no register
//! read is priced), the row-stationary block adders' additions, the clock tree and the clock energy of registers that hold their value
//! (taken as clock-gated), fan-out and repeaters of long wires (a broadcast bus costs its length),
//! the wires from the buffers to the array's edge, the write-back adders, controller and DMA energy.

use crate::counters::Counters;
use serde::{Deserialize, Serialize};
use tessera_arch::noc::NocActivity;
use tessera_arch::{Arch, BufferKind, Reduce};
use tessera_core::PicoJoules;

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Energy {
    pub mac_pj: f64,
    pub input_pj: f64,
    pub weight_pj: f64,
    pub accumulator_pj: f64,
    pub dram_pj: f64,
    /// The array's interconnect: pipeline registers, wires and adder trees.
    #[serde(default)]
    pub noc_pj: f64,
    pub total_pj: f64,
}

/// An accelerator's energy per event: per MAC slot, per word access of each buffer (a bank of its
/// size and word width), per DRAM byte, and the interconnect's per MAC slot and per COMPUTE.
/// Computing it once and pricing many counters with [`Energy::priced`] gives the same figures as
/// [`Energy::of`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnergyTable {
    pub mac_pj: f64,
    pub input_read_pj: f64,
    pub input_write_pj: f64,
    pub weight_read_pj: f64,
    pub weight_write_pj: f64,
    pub accumulator_read_pj: f64,
    pub accumulator_write_pj: f64,
    pub dram_byte_pj: f64,
    /// The interconnect's energy per streamed word, spread over the array's MAC slots (`E_word /
    /// (R·C)`; a streamed word is R·C MAC slots).
    pub noc_mac_slot_pj: f64,
    /// The interconnect's energy per COMPUTE (the preload, or the output-stationary drain).
    pub noc_compute_pj: f64,
    /// The PEs' energy per weight-buffer word read: on a row-stationary array a preload step (a
    /// register-file entry of every PE written, the row buses); 0 on the others, whose preload is
    /// in [`EnergyTable::noc_compute_pj`].
    pub noc_weight_read_pj: f64,
    /// The PEs' energy per output captured into their `out` registers (row-stationary; 0 on the
    /// others, which capture nothing).
    pub noc_capture_pj: f64,
}

impl EnergyTable {
    pub fn of(arch: &Arch) -> EnergyTable {
        let t = arch.tech();
        let bank = |k: BufferKind| t.sram_buffer_lanes(arch.buffer(k), arch.write_lanes(k)).0;
        let (i, w, a) = (
            bank(BufferKind::Input),
            bank(BufferKind::Weight),
            bank(BufferKind::Accumulator),
        );
        let dt = arch.datatypes();
        let add = t.adder(dt.accumulator_bits()).energy.get();
        // with adder trees the PE only multiplies; the trees' adders are the interconnect's
        let mac_pj = if arch.noc().reduce == Reduce::AdderTree {
            t.multiplier(dt.operand_bits()).energy.get()
        } else {
            t.mac_energy(dt).get()
        };
        let act = NocActivity::of(arch);
        let mm = crate::area::pe_pitch_um(arch) / 1000.0;
        let reg = |bits| t.register_energy(bits).get();
        let wire = |bits| t.wire_energy(bits, mm).get();
        let word = reg(act.word_register_bits)
            + wire(act.word_wire_bits)
            + add * act.word_tree_adds as f64;
        EnergyTable {
            mac_pj,
            input_read_pj: i.read.get(),
            input_write_pj: i.write.get(),
            weight_read_pj: w.read.get(),
            weight_write_pj: w.write.get(),
            accumulator_read_pj: a.read.get(),
            accumulator_write_pj: a.write.get(),
            dram_byte_pj: t.dram_energy_per_byte().get(),
            noc_mac_slot_pj: word / arch.pes() as f64,
            noc_compute_pj: reg(act.compute_register_bits) + wire(act.compute_wire_bits),
            noc_weight_read_pj: reg(act.weight_read_register_bits)
                + wire(act.weight_read_wire_bits),
            noc_capture_pj: reg(act.capture_register_bits) + wire(act.capture_wire_bits),
        }
    }
}

impl Energy {
    pub fn of(arch: &Arch, c: &Counters) -> Energy {
        Energy::priced(&EnergyTable::of(arch), c)
    }

    /// The counters priced by an accelerator's [`EnergyTable`].
    pub fn priced(t: &EnergyTable, c: &Counters) -> Energy {
        let mac_pj = t.mac_pj * c.array_macs as f64;
        let input_pj =
            t.input_read_pj * c.input.reads as f64 + t.input_write_pj * c.input.writes as f64;
        let weight_pj =
            t.weight_read_pj * c.weight.reads as f64 + t.weight_write_pj * c.weight.writes as f64;
        let accumulator_pj = t.accumulator_read_pj * c.accumulator.reads as f64
            + t.accumulator_write_pj * c.accumulator.writes as f64;
        let dram_pj = t.dram_byte_pj * (c.dram_read_bytes + c.dram_write_bytes) as f64;
        let noc_pj = t.noc_mac_slot_pj * c.array_macs as f64
            + t.noc_compute_pj * c.computes as f64
            + t.noc_weight_read_pj * c.weight.reads as f64
            + t.noc_capture_pj * c.captures as f64;
        Energy {
            mac_pj,
            input_pj,
            weight_pj,
            accumulator_pj,
            dram_pj,
            noc_pj,
            total_pj: mac_pj + input_pj + weight_pj + accumulator_pj + dram_pj + noc_pj,
        }
    }
    pub fn total(&self) -> PicoJoules {
        PicoJoules(self.total_pj)
    }
    pub fn add(&mut self, o: &Energy) {
        self.mac_pj += o.mac_pj;
        self.input_pj += o.input_pj;
        self.weight_pj += o.weight_pj;
        self.accumulator_pj += o.accumulator_pj;
        self.dram_pj += o.dram_pj;
        self.noc_pj += o.noc_pj;
        self.total_pj += o.total_pj;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_arch::{builtin, ArchSpec, Dataflow, Noc, Stream};

    fn arch(df: Dataflow, r: i64, c: i64, noc: Noc) -> Arch {
        ArchSpec::ws("e", r, c, [r * c * 256, r * c * 256, 4 * c * 256], 1, 4, 5)
            .with_dataflow(df)
            .with_noc(noc)
            .validate()
            .unwrap()
    }

    /// The interconnect's energy per streamed word.
    fn per_word(a: &Arch) -> f64 {
        EnergyTable::of(a).noc_mac_slot_pj * a.pes() as f64
    }

    /// Counters of `computes` COMPUTEs streaming `words` words in all.
    fn run(a: &Arch, computes: u64, words: u64) -> Counters {
        Counters {
            computes,
            array_macs: a.pes() * words,
            ..Default::default()
        }
    }

    #[test]
    fn noc_energy_is_priced_per_word_and_per_compute_and_adds_up() {
        let a = builtin::arch("ws_16x16").unwrap();
        let t = EnergyTable::of(&a);
        let e = Energy::of(&a, &run(&a, 3, 100));
        assert!((e.noc_pj - (100.0 * per_word(&a) + 3.0 * t.noc_compute_pj)).abs() < 1e-6);
        let parts = e.mac_pj + e.input_pj + e.weight_pj + e.accumulator_pj + e.dram_pj + e.noc_pj;
        assert_eq!(e.total_pj, parts);
        // no COMPUTE, no interconnect energy
        assert_eq!(Energy::of(&a, &Counters::default()).noc_pj, 0.0);
        // by hand: per word 16·16·(8 + 32) PE bits, 8·120 skew and 32·120 deskew bits, 16·16·(8 +
        // 32) wire bits over one pitch; per COMPUTE 16 shifts of 16·16 weights over as many links
        let tech = a.tech();
        let mm = crate::area::pe_pitch_um(&a) / 1000.0;
        let word = tech.register_energy(256 * 40 + 8 * 120 + 32 * 120).get()
            + tech.wire_energy(256 * 40, mm).get();
        assert!((per_word(&a) - word).abs() < 1e-9);
        let compute =
            tech.register_energy(16 * 256 * 8).get() + tech.wire_energy(16 * 256 * 8, mm).get();
        assert!((t.noc_compute_pj - compute).abs() < 1e-9);
    }

    /// A row-stationary pass of `T` steps and `E` outputs, by hand: per step every PE's `ps` and
    /// a window-bus link into each PE, per preload step (weight word read) a register-file entry
    /// of every PE and a row-bus link into each, per capture every PE's `out` and its link to the
    /// block adder; nothing per COMPUTE.
    #[test]
    fn a_row_stationary_pass_prices_its_preload_steps_and_captures() {
        let (r, c, f, ob, ab) = (3u64, 4u64, 6, 8u64, 32u64);
        let a = ArchSpec::ws("rs", 3, 4, [6 * 256, 3 * 256, 4 * 4 * 256], 1, 4, 5)
            .row_stationary(f)
            .validate()
            .unwrap();
        let (e_n, t_n) = (5u64, 6u64);
        let pes = r * c;
        let k = Counters {
            computes: 1,
            array_macs: pes * e_n * t_n,
            weight: crate::counters::BufferAccesses {
                reads: t_n,
                writes: t_n,
            },
            captures: e_n,
            ..Default::default()
        };
        let (tech, mm) = (a.tech(), crate::area::pe_pitch_um(&a) / 1000.0);
        let reg = |bits| tech.register_energy(bits).get();
        let wire = |bits| tech.wire_energy(bits, mm).get();
        let steps = (e_n * t_n) as f64 * (reg(pes * ab) + wire(pes * ob));
        let preload = t_n as f64 * (reg(pes * ob) + wire(pes * ob));
        let captures = e_n as f64 * (reg(pes * ab) + wire(pes * ab));
        let e = Energy::of(&a, &k);
        let want = steps + preload + captures;
        assert!(
            (e.noc_pj - want).abs() < 1e-9 * want,
            "{} != {want}",
            e.noc_pj
        );
        // the register bits alone: T·R·C·OB preloaded and E·R·C·AB captured bits
        let bit = tech.register_energy(1).get();
        let t = EnergyTable::of(&a);
        assert!((t.noc_weight_read_pj - wire(pes * ob) - (pes * ob) as f64 * bit).abs() < 1e-12);
        assert!((t.noc_capture_pj - wire(pes * ab) - (pes * ab) as f64 * bit).abs() < 1e-12);
        assert_eq!(t.noc_compute_pj, 0.0);
        // the other arrays price neither (their preload is per COMPUTE)
        for name in ["ws_16x16", "os_16x16", "is_16x16"] {
            let t = EnergyTable::of(&builtin::arch(name).unwrap());
            assert_eq!(
                (t.noc_weight_read_pj, t.noc_capture_pj),
                (0.0, 0.0),
                "{name}"
            );
        }
    }

    #[test]
    fn a_broadcast_row_costs_less_than_systolic_forwarding() {
        for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
            let e = |stream, reduce| per_word(&arch(df, 8, 8, Noc { stream, reduce }));
            let (sys, bc) = (
                e(Stream::Systolic, Reduce::Chain),
                e(Stream::Broadcast, Reduce::Chain),
            );
            // the same wire length per row, without the PEs' forwarding registers and the deskew
            assert!(bc < sys, "{df:?}: broadcast {bc} >= systolic {sys}");
            let (sys_t, bc_t) = (
                e(Stream::Systolic, Reduce::AdderTree),
                e(Stream::Broadcast, Reduce::AdderTree),
            );
            assert!(bc_t < sys_t, "{df:?}: broadcast {bc_t} >= systolic {sys_t}");
        }
        // output-stationary: row and column buses drop both skews and the PEs' a and b registers
        // over the same wire length, and leave the drain (per COMPUTE) as it was
        let os = |stream| {
            arch(
                Dataflow::OutputStationary,
                8,
                8,
                Noc {
                    stream,
                    reduce: tessera_arch::Reduce::Chain,
                },
            )
        };
        let (sys, bc) = (os(Stream::Systolic), os(Stream::Broadcast));
        assert!(per_word(&bc) < per_word(&sys));
        // the drain's registers are the same; its wires are priced at each array's PE pitch
        let (ts, tb) = (EnergyTable::of(&sys), EnergyTable::of(&bc));
        assert!(tb.noc_compute_pj <= ts.noc_compute_pj);
    }

    #[test]
    fn more_pes_cost_more_per_word() {
        for df in [
            Dataflow::WeightStationary,
            Dataflow::InputStationary,
            Dataflow::OutputStationary,
        ] {
            let words: Vec<f64> = [(1, 1), (2, 2), (4, 4), (4, 8), (8, 8), (16, 16)]
                .iter()
                .map(|&(r, c)| per_word(&arch(df, r, c, Noc::default())))
                .collect();
            assert!(words.windows(2).all(|w| w[0] < w[1]), "{df:?}: {words:?}");
        }
        for name in ["ws", "os", "is"] {
            let e = |n: &str| per_word(&builtin::arch(&format!("{name}_{n}")).unwrap());
            assert!(e("4x4") < e("8x8") && e("8x8") < e("16x16") && e("16x16") < e("32x32"));
        }
    }

    /// One PE has no skew, deskew or PE-to-PE link: its interconnect is its own registers and the
    /// links to its ports, the same for a broadcast bus of one PE but for the forwarding register.
    #[test]
    fn one_pe_has_only_its_own_registers_and_port_links() {
        let a = arch(Dataflow::WeightStationary, 1, 1, Noc::default());
        let (t, mm) = (a.tech(), crate::area::pe_pitch_um(&a) / 1000.0);
        let own = t.register_energy(8 + 32).get() + t.wire_energy(8 + 32, mm).get();
        assert!((per_word(&a) - own).abs() < 1e-12);
        let b = arch(
            Dataflow::WeightStationary,
            1,
            1,
            Noc {
                stream: Stream::Broadcast,
                reduce: Reduce::Chain,
            },
        );
        let mm = crate::area::pe_pitch_um(&b) / 1000.0;
        let own = t.register_energy(32).get() + t.wire_energy(8 + 32, mm).get();
        assert!((per_word(&b) - own).abs() < 1e-12);
        // a one-PE adder tree is no tree: no adds, the product register is the sum
        let tr = arch(
            Dataflow::WeightStationary,
            1,
            1,
            Noc {
                stream: Stream::Systolic,
                reduce: Reduce::AdderTree,
            },
        );
        assert_eq!(NocActivity::of(&tr).word_tree_adds, 0);
    }

    /// With adder trees a MAC slot is a multiply; a column's R-1 tree adders are the
    /// interconnect's, so the MACs' and the trees' adds together cost about what the chain's do.
    #[test]
    fn adder_trees_move_the_adds_into_the_interconnect() {
        let tree = arch(
            Dataflow::WeightStationary,
            8,
            8,
            Noc {
                stream: Stream::Systolic,
                reduce: Reduce::AdderTree,
            },
        );
        let chain = arch(Dataflow::WeightStationary, 8, 8, Noc::default());
        let t = tree.tech();
        let dt = tree.datatypes();
        assert_eq!(
            EnergyTable::of(&tree).mac_pj,
            t.multiplier(dt.operand_bits()).energy.get()
        );
        assert_eq!(EnergyTable::of(&chain).mac_pj, t.mac_energy(dt).get());
        assert_eq!(NocActivity::of(&tree).word_tree_adds, 8 * 7);
    }

    #[test]
    fn the_smaller_node_spends_less_on_the_interconnect() {
        let mut s = builtin::arch_spec("ws_16x16").unwrap();
        let a45 = s.validate().unwrap();
        s.tech = Some("32nm".into());
        let a32 = s.validate().unwrap();
        assert!(per_word(&a32) < per_word(&a45));
        assert!(EnergyTable::of(&a32).noc_compute_pj < EnergyTable::of(&a45).noc_compute_pj);
    }
}
