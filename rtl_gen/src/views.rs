//! View models: one struct per Verilog template, holding only integers, booleans and names that
//! passed [`tessera_arch::is_safe_identifier`]. Everything the templates print is computed here from a
//! validated [`Arch`] and the [`tessera_arch::isa`] constants; the templates only do width arithmetic
//! (`8 * bytes - 1` and the like) on these integers.

use askama::Template;
use tessera_arch::isa::{field, op, unit};
use tessera_arch::{Arch, Buffer, Dataflow, Noc, Reduce, Stream};

/// Depth of the program queue the host streams instructions into (docs/TIMING.md, "Controller").
pub const QUEUE_DEPTH: u32 = tessera_arch::isa::QUEUE_DEPTH as u32;

/// Number of bits needed to hold every value in `0..=max` (at least 1).
pub(crate) fn bits_for(max: u64) -> u32 {
    (64 - max.leading_zeros()).max(1)
}

/// The file header shared by every template (`header.v`).
pub(crate) struct Header {
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    /// e.g. `weight-stationary`.
    pub dataflow: &'static str,
    /// Operand and accumulator bits.
    pub ob: u32,
    pub ab: u32,
    pub in_capacity: u64,
    pub in_banks: u32,
    pub in_bank_depth: u32,
    pub in_word: u32,
    pub w_capacity: u64,
    pub w_banks: u32,
    pub w_bank_depth: u32,
    pub w_word: u32,
    pub acc_capacity: u64,
    pub acc_banks: u32,
    pub acc_bank_depth: u32,
    pub acc_word: u32,
    pub dram_bytes_per_cycle: u32,
    pub dram_latency: u64,
    /// O: DMA transfers in flight (a line says so when more than one).
    pub dram_outstanding: u32,
    /// The array's interconnect is the default (systolic rows, partial-sum chains): no line for it.
    pub noc_default: bool,
    pub noc_label: &'static str,
}

/// The interconnect in words, for comments (docs/TIMING.md, "Interconnect options").
pub(crate) fn noc_label(noc: Noc) -> &'static str {
    match (noc.stream, noc.reduce) {
        (Stream::Systolic, Reduce::Chain) => "systolic rows and partial-sum chains",
        (Stream::Broadcast, Reduce::Chain) => "row broadcast buses and partial-sum chains",
        (Stream::Systolic, Reduce::AdderTree) => "systolic rows and column adder trees",
        (Stream::Broadcast, Reduce::AdderTree) => "row broadcast buses and column adder trees",
    }
}

impl Header {
    pub fn new(a: &Arch) -> Header {
        let (i, w, acc) = (a.input(), a.weight(), a.accumulator());
        Header {
            name: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            dataflow: a.dataflow().label(),
            ob: a.datatypes().operand_bits(),
            ab: a.datatypes().accumulator_bits(),
            in_capacity: i.capacity().get(),
            in_banks: i.banks(),
            in_bank_depth: i.bank_depth(),
            in_word: i.word_bytes(),
            w_capacity: w.capacity().get(),
            w_banks: w.banks(),
            w_bank_depth: w.bank_depth(),
            w_word: w.word_bytes(),
            acc_capacity: acc.capacity().get(),
            acc_banks: acc.banks(),
            acc_bank_depth: acc.bank_depth(),
            acc_word: acc.word_bytes(),
            dram_bytes_per_cycle: a.dram().bytes_per_cycle(),
            dram_latency: a.dram().latency().get(),
            dram_outstanding: a.dram().outstanding_transfers(),
            noc_default: a.noc().is_default(),
            noc_label: noc_label(a.noc()),
        }
    }
}

/// Word widths in bits, from the datatypes: input word (R operands), weight word (C operands),
/// accumulator word (C lanes), and the element widths.
#[derive(Clone, Copy)]
pub(crate) struct Widths {
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
}

impl Widths {
    pub fn of(a: &Arch) -> Widths {
        Widths {
            ob: a.datatypes().operand_bits(),
            ab: a.datatypes().accumulator_bits(),
            in_bits: 8 * a.input().word_bytes(),
            w_bits: 8 * a.weight().word_bytes(),
            acc_bits: 8 * a.accumulator().word_bytes(),
        }
    }

    /// The widths as the compute unit and the array see them: `in_bits` is the streamed word (R
    /// operands), `w_bits` the preloaded one (C operands). On an input-stationary array those are
    /// the weight and the input buffer's words.
    pub fn unit(a: &Arch) -> Widths {
        let w = Widths::of(a);
        if a.dataflow() == Dataflow::InputStationary {
            Widths {
                in_bits: w.w_bits,
                w_bits: w.in_bits,
                ..w
            }
        } else {
            w
        }
    }
}

#[derive(Template)]
#[template(path = "pe_ws.v", escape = "none")]
pub(crate) struct PeWsView {
    pub hdr: Header,
    pub name: String,
    pub ob: u32,
    pub ab: u32,
    /// `stream: Systolic`: the PE forwards its operand (`a_out`); else it reads the row bus.
    pub systolic: bool,
    /// `reduce: AdderTree`: the PE registers its product `p`; else it adds to the partial sum.
    pub tree: bool,
    pub noc_label: &'static str,
}

impl PeWsView {
    pub fn new(a: &Arch) -> PeWsView {
        let wd = Widths::unit(a);
        let noc = a.noc();
        PeWsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ob: wd.ob,
            ab: wd.ab,
            systolic: noc.stream == Stream::Systolic,
            tree: noc.reduce == Reduce::AdderTree,
            noc_label: noc_label(noc),
        }
    }
}

/// One register of a column's adder tree: register `j` of its level takes register `left` of the
/// level below plus, when `pair`, register `left + 1` (docs/TIMING.md, "Interconnect options").
pub(crate) struct TreeNode {
    pub j: u32,
    pub left: u32,
    pub pair: bool,
}

/// Level `l` (1..=D) of a column's adder tree: `⌈R / 2^l⌉` registers.
pub(crate) struct TreeLevel {
    pub l: u32,
    pub nodes: Vec<TreeNode>,
}

/// The levels of a column's adder tree over `rows` products: `⌈log₂ rows⌉` of them (none for one
/// row: the product register is the sum).
pub(crate) fn tree_levels(rows: u32) -> Vec<TreeLevel> {
    let mut levels = vec![];
    let mut below = rows;
    for l in 1..=Noc::tree_levels(rows) {
        let n = below.div_ceil(2);
        levels.push(TreeLevel {
            l,
            nodes: (0..n)
                .map(|j| TreeNode {
                    j,
                    left: 2 * j,
                    pair: 2 * j + 1 < below,
                })
                .collect(),
        });
        below = n;
    }
    debug_assert_eq!(below, 1);
    levels
}

#[derive(Template)]
#[template(path = "pe_wsdb.v", escape = "none")]
pub(crate) struct PeWsDbView {
    pub hdr: Header,
    pub name: String,
    pub ob: u32,
    pub ab: u32,
}

#[derive(Template)]
#[template(path = "array_wsdb.v", escape = "none")]
pub(crate) struct ArrayWsDbView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
}

#[derive(Template)]
#[template(path = "compute_wsdb.v", escape = "none")]
pub(crate) struct ComputeWsDbView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// Width of the preload counter: holds R + 1.
    pub pre_bits: u32,
    /// Width of the cycles-since-stream counter: holds R + C.
    pub since_bits: u32,
}

impl ComputeWsDbView {
    pub fn new(a: &Arch) -> ComputeWsDbView {
        let wd = Widths::of(a);
        ComputeWsDbView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            pre_bits: bits_for(u64::from(a.rows()) + 1),
            since_bits: bits_for(u64::from(a.rows()) + u64::from(a.cols())),
        }
    }
}

#[derive(Template)]
#[template(path = "pe_os.v", escape = "none")]
pub(crate) struct PeOsView {
    pub hdr: Header,
    pub name: String,
    pub ob: u32,
    pub ab: u32,
}

#[derive(Template)]
#[template(path = "array_ws.v", escape = "none")]
pub(crate) struct ArrayWsView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// `stream: Systolic` (else row buses).
    pub systolic: bool,
    /// `reduce: AdderTree` (else partial-sum chains).
    pub tree: bool,
    pub noc_label: &'static str,
    /// The adder tree's levels (empty without a tree, or with one row).
    pub levels: Vec<TreeLevel>,
}

impl ArrayWsView {
    pub fn new(a: &Arch) -> ArrayWsView {
        let wd = Widths::unit(a);
        let noc = a.noc();
        let tree = noc.reduce == Reduce::AdderTree;
        ArrayWsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            systolic: noc.stream == Stream::Systolic,
            tree,
            noc_label: noc_label(noc),
            levels: if tree { tree_levels(a.rows()) } else { vec![] },
        }
    }
}

#[derive(Template)]
#[template(path = "array_os.v", escape = "none")]
pub(crate) struct ArrayOsView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
}

#[derive(Template)]
#[template(path = "sram.v", escape = "none")]
pub(crate) struct SramView {
    pub hdr: Header,
    pub name: String,
}

#[derive(Template)]
#[template(path = "sram2r.v", escape = "none")]
pub(crate) struct Sram2rView {
    pub hdr: Header,
    pub name: String,
}

#[derive(Template)]
#[template(path = "queue.v", escape = "none")]
pub(crate) struct QueueView {
    pub hdr: Header,
    pub name: String,
    pub depth: u32,
    /// Pointer bits (the depth is a power of two).
    pub aw: u32,
    pub slots: Vec<u32>,
}

impl QueueView {
    pub fn new(a: &Arch) -> QueueView {
        const _: () = assert!(QUEUE_DEPTH.is_power_of_two() && QUEUE_DEPTH >= 2);
        QueueView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            depth: QUEUE_DEPTH,
            aw: QUEUE_DEPTH.trailing_zeros(),
            slots: (0..QUEUE_DEPTH).collect(),
        }
    }
}

/// An instruction field as a Verilog bit range.
pub(crate) struct Bits {
    pub msb: u32,
    pub lsb: u32,
    /// `width - 1`, for declarations `[top:0]`.
    pub top: u32,
}

impl Bits {
    fn of((lsb, width): (u32, u32)) -> Bits {
        Bits {
            msb: lsb + width - 1,
            lsb,
            top: width - 1,
        }
    }
}

#[derive(Template)]
#[template(path = "ctrl.v", escape = "none")]
pub(crate) struct CtrlView {
    pub hdr: Header,
    pub name: String,
    pub op_halt: u8,
    pub op_config: u8,
    pub gather_bit: u8,
    pub op_load: u8,
    pub op_store: u8,
    pub op_compute: u8,
    pub op_sync: u8,
    pub unit_dma: u8,
    pub unit_compute: u8,
    pub unit_prev: u8,
    pub f_op: Bits,
    pub f_flags: Bits,
    pub f_count: Bits,
    pub f_dram_addr: Bits,
    pub f_addr_a: Bits,
    pub f_addr_b: Bits,
    pub f_addr_c: Bits,
    /// First instruction bit above every field (128 when the fields fill the word).
    pub unused_lsb: u32,
    /// The DMA has several transfer slots: LOAD / STORE issue on `dma_full`, not `dma_busy`.
    pub slots: bool,
}

impl CtrlView {
    pub fn new(a: &Arch) -> CtrlView {
        let fields = [
            field::OP,
            field::FLAGS,
            field::COUNT,
            field::DRAM_ADDR,
            field::ADDR_A,
            field::ADDR_B,
            field::ADDR_C,
        ];
        let unused_lsb = fields.iter().map(|(l, w)| l + w).max().unwrap_or(0);
        CtrlView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            op_halt: op::HALT,
            op_config: op::CONFIG,
            gather_bit: field::GATHER_BIT,
            op_load: op::LOAD,
            op_store: op::STORE,
            op_compute: op::COMPUTE,
            op_sync: op::SYNC,
            unit_dma: unit::DMA,
            unit_compute: unit::COMPUTE,
            unit_prev: unit::PREV_COMPUTE,
            f_op: Bits::of(field::OP),
            f_flags: Bits::of(field::FLAGS),
            f_count: Bits::of(field::COUNT),
            f_dram_addr: Bits::of(field::DRAM_ADDR),
            f_addr_a: Bits::of(field::ADDR_A),
            f_addr_b: Bits::of(field::ADDR_B),
            f_addr_c: Bits::of(field::ADDR_C),
            unused_lsb,
            slots: a.dram().outstanding_transfers() > 1,
        }
    }
}

#[derive(Template)]
#[template(path = "dma.v", escape = "none")]
pub(crate) struct DmaView {
    pub hdr: Header,
    pub name: String,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    pub bus_bytes: u32,
    /// Widest LOAD word.
    pub load_bytes: u32,
    /// STORE word (C accumulator lanes).
    pub store_bytes: u32,
    pub bytes_per_cycle: u32,
    /// min(W, b) per word kind: the credit added per cycle (same k_i schedule as W, bounded counter).
    pub w_eff_in: u32,
    pub w_eff_w: u32,
    pub w_eff_st: u32,
    pub credit_bits: u32,
    /// A gather word is one k-step of consecutive output pixels (output- and input-stationary).
    pub os: bool,
    /// Operands of a gather word: the input word's (R, or C on an input-stationary array).
    pub rows: u32,
    /// 0..rows: the pixels of an output- or input-stationary gather word.
    pub cols_os: Vec<u32>,
    /// What `rows` is in the comments: `R`, or `C` on an input-stationary array.
    pub gather_dim: &'static str,
    pub g_n: Bits,
    pub g_oh: Bits,
    pub g_ow: Bits,
    pub g_kh: Bits,
    pub g_kw: Bits,
    pub g_c: Bits,
    pub t_base: Bits,
    pub t_h: Bits,
    pub t_w: Bits,
    pub t_cs: Bits,
    pub t_ow: Bits,
    pub t_oh: Bits,
    pub w_sh: Bits,
    pub w_sw: Bits,
    pub w_dh: Bits,
    pub w_dw: Bits,
    pub w_pt: Bits,
    pub w_pl: Bits,
    pub w_kw: Bits,
    pub w_cg: Bits,
    /// One of several DMA units on a shared DRAM channel: `grant` in, `want` and `hold` out.
    pub shared: bool,
    /// O = `dram.outstanding_transfers` > 1: a FIFO of transfers in flight, a request side and a
    /// completion side (with O = 1 the unit is the one-transfer DMA, its text unchanged).
    pub slots: bool,
    /// O.
    pub outstanding: u32,
    /// Bits of a slot pointer (0..O-1) and of the count of transfers in flight (0..=O).
    pub ptr_bits: u32,
    pub nfl_bits: u32,
    /// The instruction fields the request and completion sides take from a slot.
    pub f_count: Bits,
    pub f_dram: Bits,
    pub f_sram: Bits,
    /// Prefix of the request side's sources when it takes a transfer: `` (the issue inputs) with
    /// one slot, `nx_` (the oldest waiting slot, else the issue inputs) with several.
    pub src: &'static str,
    /// The request side's "working on a transfer" flag: `busy` with one slot, `req_busy` with
    /// several.
    pub front: &'static str,
}

impl DmaView {
    pub fn new(a: &Arch) -> DmaView {
        let store_bytes = a.accumulator().word_bytes();
        let w = a.dram().bytes_per_cycle();
        let wd = Widths::of(a);
        let widest = store_bytes
            .max(a.input().word_bytes())
            .max(a.weight().word_bytes());
        let gather_word = a.input().word_bytes() / a.datatypes().operand_bytes().max(1);
        let o = a.dram().outstanding_transfers();
        DmaView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            bus_bytes: a.mem_bus_bytes(),
            load_bytes: a.input().word_bytes().max(a.weight().word_bytes()),
            store_bytes,
            bytes_per_cycle: w,
            w_eff_in: w.min(a.input().word_bytes()),
            w_eff_w: w.min(a.weight().word_bytes()),
            w_eff_st: w.min(store_bytes),
            // credit < b before a cycle, credit + min(W, b) < 2b during it
            credit_bits: bits_for(2 * u64::from(widest)),
            os: a.dataflow() != Dataflow::WeightStationary,
            rows: gather_word,
            cols_os: (0..gather_word).collect(),
            gather_dim: if a.dataflow() == Dataflow::InputStationary {
                "C"
            } else {
                "R"
            },
            g_n: Bits::of(field::G_N),
            g_oh: Bits::of(field::G_OH),
            g_ow: Bits::of(field::G_OW),
            g_kh: Bits::of(field::G_KH),
            g_kw: Bits::of(field::G_KW),
            g_c: Bits::of(field::G_C),
            t_base: Bits::of(field::T_BASE),
            t_h: Bits::of(field::T_H),
            t_w: Bits::of(field::T_W),
            t_cs: Bits::of(field::T_CS),
            t_ow: Bits::of(field::T_OW),
            t_oh: Bits::of(field::T_OH),
            w_sh: Bits::of(field::W_SH),
            w_sw: Bits::of(field::W_SW),
            w_dh: Bits::of(field::W_DH),
            w_dw: Bits::of(field::W_DW),
            w_pt: Bits::of(field::W_PT),
            w_pl: Bits::of(field::W_PL),
            w_kw: Bits::of(field::W_KW),
            w_cg: Bits::of(field::W_CG),
            shared: false,
            slots: o > 1,
            outstanding: o,
            ptr_bits: bits_for(u64::from(o.max(2)) - 1),
            nfl_bits: bits_for(u64::from(o)),
            f_count: Bits::of(field::COUNT),
            f_dram: Bits::of(field::DRAM_ADDR),
            f_sram: Bits::of(field::ADDR_A),
            src: if o > 1 { "nx_" } else { "" },
            front: if o > 1 { "req_busy" } else { "busy" },
        }
    }
}

#[derive(Template)]
#[template(path = "compute_ws.v", escape = "none")]
pub(crate) struct ComputeWsView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// Width of the cycle counter tau: holds X + 65535.
    pub tau_bits: u32,
    /// X (docs/TIMING.md, "Interconnect options"; 2R + C by default): the tau of the first write
    /// back.
    pub wb_start: u32,
    /// X as a formula, for comments: `2R+C` by default.
    pub x_sym: &'static str,
    /// Input-stationary: the top wires the preload port to the input buffer and the stream port to
    /// the weight buffer (a comment here says so).
    pub swapped: bool,
    /// `stream: Systolic` (else row buses, no deskew).
    pub systolic: bool,
    /// `reduce: AdderTree` (else partial-sum chains, with the input skew).
    pub tree: bool,
    pub noc_label: &'static str,
    /// D = ⌈log₂ R⌉, the adder tree's register levels (comments only).
    pub levels: u32,
}

impl ComputeWsView {
    pub fn new(a: &Arch) -> ComputeWsView {
        let noc = a.noc();
        let (r, c) = (a.rows(), a.cols());
        let d = Noc::tree_levels(r);
        let systolic = noc.stream == Stream::Systolic;
        let tree = noc.reduce == Reduce::AdderTree;
        let (x0, x_sym) = match (systolic, tree) {
            (true, false) => (2 * r + 1, "2R+C"),
            (false, false) => (2 * r + 1, "2R+1"),
            (true, true) => (r + 2 + d, "R+2+D+C-1"),
            (false, true) => (r + 2 + d, "R+2+D"),
        };
        let wb_start = if systolic { x0 + c - 1 } else { x0 };
        let wd = Widths::unit(a);
        ComputeWsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            tau_bits: bits_for(u64::from(wb_start) + u64::from(u16::MAX)).max(17),
            wb_start,
            x_sym,
            swapped: a.dataflow() == Dataflow::InputStationary,
            systolic,
            tree,
            noc_label: noc_label(noc),
            levels: d,
        }
    }
}

#[derive(Template)]
#[template(path = "compute_os.v", escape = "none")]
pub(crate) struct ComputeOsView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// Width of the cycle counter tau: holds 65535 + 2R + C - 2.
    pub tau_bits: u32,
    /// R + C - 1: the first drain cycle is tau = K + drain_start.
    pub drain_start: u32,
    /// 2R + C - 2: the last drain (and busy) cycle is tau = K + drain_last.
    pub drain_last: u32,
}

impl ComputeOsView {
    pub fn new(a: &Arch) -> ComputeOsView {
        let (r, c) = (a.rows(), a.cols());
        let drain_last = 2 * r + c - 2;
        let wd = Widths::of(a);
        ComputeOsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            rows: r,
            cols: c,
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            tau_bits: bits_for(u64::from(drain_last) + u64::from(u16::MAX)).max(17),
            drain_start: r + c - 1,
            drain_last,
        }
    }
}

/// One bank of a buffer.
pub(crate) struct BankView {
    pub idx: u32,
    /// First word address of the bank: idx × bank depth.
    pub base: u32,
    /// `base` modulo 2^aw: subtracted on the bank's own address bits.
    pub row_base: u32,
}

pub(crate) struct BufView {
    pub nbanks: u32,
    pub bank_depth: u32,
    /// Address bits of one bank.
    pub aw: u32,
    pub banks: Vec<BankView>,
}

impl BufView {
    fn new(b: &Buffer) -> BufView {
        let depth = b.bank_depth();
        let aw = bits_for(u64::from(depth) - 1);
        let banks = (0..b.banks())
            .map(|idx| {
                let base = idx * depth;
                BankView {
                    idx,
                    base,
                    row_base: base & ((1u32 << aw) - 1),
                }
            })
            .collect();
        BufView {
            nbanks: b.banks(),
            bank_depth: depth,
            aw,
            banks,
        }
    }
}

#[derive(Template)]
#[template(path = "top.v", escape = "none")]
pub(crate) struct TopView {
    pub hdr: Header,
    pub name: String,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    pub bus_bytes: u32,
    pub queue_depth: u32,
    pub in_buf: BufView,
    pub w_buf: BufView,
    pub acc_buf: BufView,
    /// Input-stationary: the compute unit preloads from the input buffer and streams the weight
    /// buffer.
    pub swapped: bool,
    /// A sub-accelerator of a system: the DMA's channel handshake (`dram_issue`, `dram_want`,
    /// `dram_hold`, `dram_grant`) are ports.
    pub shared: bool,
    /// The DMA has several transfer slots (`dma_full` to the controller).
    pub slots: bool,
    pub outstanding: u32,
}

impl TopView {
    pub fn new(a: &Arch) -> TopView {
        let wd = Widths::of(a);
        TopView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            bus_bytes: a.mem_bus_bytes(),
            queue_depth: QUEUE_DEPTH,
            in_buf: BufView::new(a.input()),
            w_buf: BufView::new(a.weight()),
            acc_buf: BufView::new(a.accumulator()),
            swapped: a.dataflow() == Dataflow::InputStationary,
            shared: false,
            slots: a.dram().outstanding_transfers() > 1,
            outstanding: a.dram().outstanding_transfers(),
        }
    }
}

/// Width of the system's id fields (sub-accelerator index on the DRAM port): up to 8 subs.
pub const ID_BITS: u32 = 3;

/// One sub-accelerator of a system, as the system templates see it.
pub(crate) struct SubView {
    pub idx: u32,
    /// Its arch name: the prefix of its modules.
    pub arch: String,
    pub rows: u32,
    pub cols: u32,
    pub dataflow: &'static str,
    /// Its DRAM data buses' bytes (`Arch::mem_bus_bytes`).
    pub bus_bytes: u32,
    /// Indices of the lower-numbered subs (the arbiter's tie order).
    pub lower: Vec<u32>,
}

/// The file header of the system templates (`sys_header.v`).
pub(crate) struct SysHeader {
    pub name: String,
    pub subs: Vec<SubView>,
    pub dram_bytes_per_cycle: u32,
    pub dram_latency: u64,
}

impl SysHeader {
    pub fn new(name: &str, subs: &[Arch]) -> SysHeader {
        let dram = subs[0].dram();
        SysHeader {
            name: name.to_string(),
            subs: sub_views(subs),
            dram_bytes_per_cycle: dram.bytes_per_cycle(),
            dram_latency: dram.latency().get(),
        }
    }
}

fn sub_views(subs: &[Arch]) -> Vec<SubView> {
    (0u32..)
        .zip(subs)
        .map(|(idx, a)| SubView {
            idx,
            arch: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            dataflow: a.dataflow().label(),
            bus_bytes: a.mem_bus_bytes(),
            lower: (0..idx).collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "arbiter.v", escape = "none")]
pub(crate) struct ArbiterView {
    pub hdr: SysHeader,
    pub name: String,
    pub n: u32,
    pub subs: Vec<SubView>,
    /// Ticket bits: more than the most tickets outstanding at once (one per sub).
    pub tb: u32,
}

impl ArbiterView {
    pub fn new(name: &str, subs: &[Arch]) -> ArbiterView {
        ArbiterView {
            hdr: SysHeader::new(name, subs),
            name: name.to_string(),
            n: subs.len() as u32,
            subs: sub_views(subs),
            tb: bits_for(2 * subs.len() as u64 - 1).max(2),
        }
    }
}

#[derive(Template)]
#[template(path = "system.v", escape = "none")]
pub(crate) struct SystemView {
    pub hdr: SysHeader,
    pub name: String,
    pub n: u32,
    pub subs: Vec<SubView>,
    /// The system's DRAM data buses: the widest sub's.
    pub bus_bytes: u32,
    pub id_bits: u32,
}

impl SystemView {
    pub fn new(name: &str, subs: &[Arch]) -> SystemView {
        SystemView {
            hdr: SysHeader::new(name, subs),
            name: name.to_string(),
            n: subs.len() as u32,
            subs: sub_views(subs),
            bus_bytes: subs.iter().map(Arch::mem_bus_bytes).max().unwrap_or(1),
            id_bits: ID_BITS,
        }
    }
}
