//! View models: one struct per Verilog template, holding only integers, booleans, names that
//! passed [`tessera_arch::is_safe_identifier`] and fixed text (labels, and bit selects such as
//! `instr[79:64]` written here from integers). Everything the templates print is computed here from a
//! validated [`Arch`] and the [`tessera_arch::isa`] constants; the templates only do width arithmetic
//! (`8 * bytes - 1` and the like) on these integers.

use askama::Template;
use tessera_arch::isa::{field, op, unit};
use tessera_arch::{Arch, Buffer, BufferKind, Dataflow, Noc, Reduce, Stream};

/// Depth of the program queue the host streams instructions into (docs/TIMING.md, "Controller").
pub const QUEUE_DEPTH: u32 = tessera_arch::isa::QUEUE_DEPTH as u32;

/// Number of bits needed to hold every value in `0..=max` (at least 1).
pub(crate) fn bits_for(max: u64) -> u32 {
    (64 - max.leading_zeros()).max(1)
}

/// Bits of a buffer word address in the Verilog: enough for the deepest buffer's words, at least
/// 16 (the instruction's low address fields). A design whose buffers all hold at most 2^16 words
/// has 16-bit addresses and the Verilog it had before addresses grew to
/// [`tessera_arch::isa::ADDR_BITS`] bits, byte for byte.
pub(crate) fn addr_bits(a: &Arch) -> u32 {
    let deepest = [a.input(), a.weight(), a.accumulator()]
        .iter()
        .map(|b| b.depth())
        .max()
        .unwrap_or(1);
    bits_for(u64::from(deepest) - 1).max(16)
}

/// The Verilog select of bits `msb..=lsb` of `src`: `src[msb:lsb]`, or `src[b]` for one bit.
fn select(src: &str, msb: u32, lsb: u32) -> String {
    if msb == lsb {
        format!("{src}[{lsb}]")
    } else {
        format!("{src}[{msb}:{lsb}]")
    }
}

/// The buffer word address as the templates declare and compute it (docs/TIMING.md,
/// "Instructions": bits 15..0 in the 16-bit fields, 19..16 in the `…_hi` fields).
pub(crate) struct Addr {
    /// AW: bits of every buffer word address (ports, registers, bank-hit arithmetic at AW + 1).
    pub aw: u32,
    /// AW - 16: the low bits of a `…_hi` field the design uses (0 with 16-bit addresses).
    pub hi: u32,
    /// Zero extension of a 16-bit offset to AW bits, added to an address: `{zl}x{zr}` is `x` with
    /// 16-bit addresses (the text is what it was before wide addresses) and `{4'd0, x}` with 20.
    pub zl: String,
    pub zr: &'static str,
}

impl Addr {
    pub fn new(a: &Arch) -> Addr {
        let aw = addr_bits(a);
        debug_assert!(aw <= tessera_arch::isa::ADDR_BITS);
        let wide = aw > 16;
        Addr {
            aw,
            hi: aw - 16,
            zl: if wide {
                format!("{{{}'d0, ", aw - 16)
            } else {
                String::new()
            },
            zr: if wide { "}" } else { "" },
        }
    }

    /// The Verilog of an AW-bit address read from `src` (an instruction, or a part of one declared
    /// with its bit numbers): bits 15..0 from the field `lo`, the rest from the low bits of the
    /// field `hi`.
    pub fn decode(&self, src: &str, lo: (u32, u32), hi: (u32, u32)) -> String {
        debug_assert!(lo.1 == 16 && self.hi <= hi.1);
        let low = select(src, lo.0 + lo.1 - 1, lo.0);
        if self.hi == 0 {
            low
        } else {
            format!("{{{}, {low}}}", select(src, hi.0 + self.hi - 1, hi.0))
        }
    }

    /// The bits of the `…_hi` field `hi` of `src` above this design's addresses (`None` when the
    /// design uses the whole field, or none of it: 16-bit addresses ignore the field).
    pub fn unused_hi(&self, src: &str, hi: (u32, u32)) -> Option<String> {
        (self.hi > 0 && self.hi < hi.1).then(|| select(src, hi.0 + hi.1 - 1, hi.0 + self.hi))
    }
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
    /// The input buffer's SRAMs have one read-write port (said on its line).
    pub in_1rw: bool,
    pub w_capacity: u64,
    pub w_banks: u32,
    pub w_bank_depth: u32,
    pub w_word: u32,
    /// The weight buffer's SRAMs have one read-write port (said on its line).
    pub w_1rw: bool,
    pub acc_capacity: u64,
    pub acc_banks: u32,
    pub acc_bank_depth: u32,
    pub acc_word: u32,
    pub dram_bytes_per_cycle: u32,
    pub dram_latency: u64,
    /// O: DMA transfers in flight (a line says so when more than one).
    pub dram_outstanding: u32,
    /// P: words a LOAD moves per cycle (a line says so when more than one).
    pub dram_words_per_cycle: u32,
    /// S: accumulator words a STORE moves per cycle at most (said when more than one).
    pub dram_store_lanes: u32,
    /// The array's interconnect is the default (systolic rows, partial-sum chains): no line for it.
    pub noc_default: bool,
    pub noc_label: &'static str,
    /// Bits of a buffer word address (a line says so when more than 16).
    pub aw: u32,
    /// F: operands in each PE's register file (row-stationary; 0 elsewhere, and no line for it).
    pub rf: u32,
}

/// The interconnect in words, for comments (docs/TIMING.md, "Interconnect options"), of a weight-
/// or input-stationary array.
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
            in_1rw: i.single_ported(),
            w_capacity: w.capacity().get(),
            w_banks: w.banks(),
            w_bank_depth: w.bank_depth(),
            w_word: w.word_bytes(),
            w_1rw: w.single_ported(),
            acc_capacity: acc.capacity().get(),
            acc_banks: acc.banks(),
            acc_bank_depth: acc.bank_depth(),
            acc_word: acc.word_bytes(),
            dram_bytes_per_cycle: a.dram().bytes_per_cycle(),
            dram_latency: a.dram().latency().get(),
            dram_outstanding: a.dram().outstanding_transfers(),
            dram_words_per_cycle: a.dram().words_per_cycle(),
            dram_store_lanes: a.store_lanes(),
            noc_default: a.noc().is_default(),
            noc_label: if a.dataflow() == Dataflow::OutputStationary {
                // validation leaves an output-stationary array one option: both buses
                "row and column broadcast buses"
            } else {
                noc_label(a.noc())
            },
            aw: addr_bits(a),
            rf: a.rf_weights(),
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
    /// `stream: Systolic`: the PE forwards its operand and switch bit (`a_out`, `sw_out`); else
    /// it reads the row bus.
    pub systolic: bool,
    /// `reduce: AdderTree`: the PE registers its product `p`; else it adds to the partial sum.
    pub tree: bool,
    /// The default interconnect (the comment is the one of docs/TIMING.md's default array).
    pub noc_default: bool,
    pub noc_label: &'static str,
}

impl PeWsDbView {
    pub fn new(a: &Arch) -> PeWsDbView {
        let wd = Widths::unit(a);
        let noc = a.noc();
        PeWsDbView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ob: wd.ob,
            ab: wd.ab,
            systolic: noc.stream == Stream::Systolic,
            tree: noc.reduce == Reduce::AdderTree,
            noc_default: noc.is_default(),
            noc_label: noc_label(noc),
        }
    }
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
    /// `stream: Systolic` (else row buses carry the operand and the switch bit).
    pub systolic: bool,
    /// `reduce: AdderTree` (else partial-sum chains).
    pub tree: bool,
    pub noc_default: bool,
    pub noc_label: &'static str,
    /// The adder tree's levels (empty without a tree, or with one row).
    pub levels: Vec<TreeLevel>,
}

impl ArrayWsDbView {
    pub fn new(a: &Arch) -> ArrayWsDbView {
        let wd = Widths::unit(a);
        let noc = a.noc();
        let tree = noc.reduce == Reduce::AdderTree;
        ArrayWsDbView {
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
            noc_default: noc.is_default(),
            noc_label: noc_label(noc),
            levels: if tree { tree_levels(a.rows()) } else { vec![] },
        }
    }
}

#[derive(Template)]
#[template(path = "compute_wsdb.v", escape = "none")]
pub(crate) struct ComputeWsDbView {
    pub hdr: Header,
    pub name: String,
    /// Buffer word addresses.
    pub ad: Addr,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// Width of the preload counter: holds R + 1.
    pub pre_bits: u32,
    /// Width of the cycles-since-stream counter: holds `capture + 1` (R + C by default).
    pub since_bits: u32,
    /// Input-stationary: the top wires the ports the other way round (see [`ComputeWsView`]).
    pub swapped: bool,
    /// `stream: Systolic` (else row buses, no deskew).
    pub systolic: bool,
    /// `reduce: AdderTree` (else partial-sum chains, with the input and switch skew).
    pub tree: bool,
    pub noc_default: bool,
    pub noc_label: &'static str,
    /// X (docs/TIMING.md, "Interconnect options"), and as a formula for comments.
    pub x: u32,
    pub x_sym: &'static str,
    /// `1 + s_{R-1} + h_{C-1}`: cycles from a stream's start until its switch bit is at the last
    /// PE (the next preload may begin then; R + C - 1 by default), and the formula.
    pub switch_reach: u32,
    pub reach_sym: &'static str,
    /// `X - R - 1`: cycles from a stream's start to its first row's accumulator read (the
    /// write-back's capture; R + C - 1 by default).
    pub capture: u32,
}

impl ComputeWsDbView {
    pub fn new(a: &Arch) -> ComputeWsDbView {
        // the streamed and preloaded words (swapped on an input-stationary array)
        let wd = Widths::unit(a);
        let noc = a.noc();
        let (r, c) = (a.rows(), a.cols());
        let systolic = noc.stream == Stream::Systolic;
        let tree = noc.reduce == Reduce::AdderTree;
        let (x, x_sym) = row_latency(r, c, systolic, tree);
        // the switch passes the port register, row R-1's skew (chain) and the sw_out registers
        // along the row (systolic)
        let (switch_reach, reach_sym) = match (systolic, tree) {
            (true, false) => (r + c - 1, "R+C-1"),
            (false, false) => (r, "R"),
            (true, true) => (c, "C"),
            (false, true) => (1, "1"),
        };
        let capture = x - r - 1;
        ComputeWsDbView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
            rows: a.rows(),
            cols: a.cols(),
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            pre_bits: bits_for(u64::from(a.rows()) + 1),
            since_bits: bits_for(u64::from(capture) + 1),
            swapped: a.dataflow() == Dataflow::InputStationary,
            systolic,
            tree,
            noc_default: noc.is_default(),
            noc_label: noc_label(noc),
            x,
            x_sym,
            switch_reach,
            reach_sym,
            capture,
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
    /// `stream: Broadcast`: operands from row and column buses, no `a_out`/`b_out` registers.
    pub broadcast: bool,
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
    /// `stream: Broadcast`: row and column buses instead of PE-to-PE forwarding.
    pub broadcast: bool,
}

#[derive(Template)]
#[template(path = "pe_osdb.v", escape = "none")]
pub(crate) struct PeOsDbView {
    pub hdr: Header,
    pub name: String,
    pub ob: u32,
    pub ab: u32,
    /// `stream: Broadcast`: operands and the last bit from row and column buses, no `a_out`,
    /// `b_out` and `l_out` registers.
    pub broadcast: bool,
}

#[derive(Template)]
#[template(path = "array_osdb.v", escape = "none")]
pub(crate) struct ArrayOsDbView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// `stream: Broadcast`: row and column buses instead of PE-to-PE forwarding.
    pub broadcast: bool,
}

#[derive(Template)]
#[template(path = "compute_osdb.v", escape = "none")]
pub(crate) struct ComputeOsDbView {
    pub hdr: Header,
    pub name: String,
    /// Buffer word addresses.
    pub ad: Addr,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// `stream: Broadcast`: no skew registers, the read ports drive the array's buses.
    pub broadcast: bool,
    /// F = R + C - 1 (systolic) or 1 (buses).
    pub fill: u32,
    /// F + R: a tile streams only when the cycles since the last stream read plus its K exceed it.
    pub gap: u32,
}

impl ComputeOsDbView {
    pub fn new(a: &Arch) -> ComputeOsDbView {
        let (r, c) = (a.rows(), a.cols());
        let broadcast = a.noc().stream == Stream::Broadcast;
        let fill = if broadcast { 1 } else { r + c - 1 };
        let wd = Widths::of(a);
        ComputeOsDbView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
            rows: r,
            cols: c,
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            broadcast,
            fill,
            gap: fill + r,
        }
    }
}

/// The row-stationary PE (`pe_rs.v`): a register file of `rf` operands, `ps` and `out`.
#[derive(Template)]
#[template(path = "pe_rs.v", escape = "none")]
pub(crate) struct PeRsView {
    pub hdr: Header,
    pub name: String,
    pub ob: u32,
    pub ab: u32,
    /// F: operands in the register file.
    pub rf: u32,
    /// Verilog: whether the step index `t` names an entry (`t < F`).
    pub in_range: String,
    /// Bits of `sel`, the first bit of entry `t` in the flattened register file.
    pub sel_bits: u32,
    /// Verilog: `sel` = OB·t in `sel_bits` bits.
    pub sel_expr: String,
}

impl PeRsView {
    pub fn new(a: &Arch) -> PeRsView {
        let wd = Widths::of(a);
        PeRsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ob: wd.ob,
            ab: wd.ab,
            rf: a.rf_weights(),
            in_range: rf_in_range(a.rf_weights()),
            sel_bits: rf_sel_bits(a.rf_weights(), wd.ob),
            sel_expr: rf_sel_expr(a.rf_weights(), wd.ob),
        }
    }
}

/// `t < F` for the 8-bit step index `t` (F <= 255, so it is never always true).
fn rf_in_range(f: u32) -> String {
    if f == 1 {
        "(t == 8'd0)".to_string()
    } else if f.is_power_of_two() {
        let w = f.trailing_zeros();
        format!("(t[7:{w}] == {}'d0)", 8 - w)
    } else {
        format!("(t < 8'd{f})")
    }
}

/// Bits of `sel`, the first bit of entry t < F of a register file of F `ob`-bit entries: the
/// width that addresses its F·OB bits, ceil(log2(F·OB)).
fn rf_sel_bits(f: u32, ob: u32) -> u32 {
    32 - (f * ob - 1).leading_zeros()
}

/// `sel` = OB·t in [`rf_sel_bits`] bits, from the 8-bit step index `t`: `t` shifted left when
/// OB is a power of two, a product by a constant otherwise. Only its value for t < F is used, and
/// that fits. With one entry, it is 0.
fn rf_sel_expr(f: u32, ob: u32) -> String {
    let w = rf_sel_bits(f, ob);
    if f == 1 {
        return format!("{w}'d0");
    }
    // `t` in `tw` bits
    let t_in = |tw: u32| match tw.cmp(&8) {
        std::cmp::Ordering::Less => format!("t[{}:0]", tw - 1),
        std::cmp::Ordering::Equal => "t".to_string(),
        std::cmp::Ordering::Greater => format!("{{{}'d0, t}}", tw - 8),
    };
    if ob.is_power_of_two() {
        // F >= 2 entries of OB = 2^k bits need more than k bits, so tw >= 1
        let k = ob.trailing_zeros();
        let t = t_in(w - k);
        if k == 0 {
            t
        } else {
            format!("{{{t}, {k}'d0}}")
        }
    } else {
        format!("{} * {w}'d{ob}", t_in(w))
    }
}

/// The row-stationary PE array (`array_rs.v`): R×C PEs, each row's weight byte on a row bus.
#[derive(Template)]
#[template(path = "array_rs.v", escape = "none")]
pub(crate) struct ArrayRsView {
    pub hdr: Header,
    pub name: String,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub rf: u32,
    /// The weight word: R operands.
    pub w_bits: u32,
}

impl ArrayRsView {
    pub fn new(a: &Arch) -> ArrayRsView {
        let wd = Widths::of(a);
        ArrayRsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            rows: a.rows(),
            cols: a.cols(),
            ob: wd.ob,
            ab: wd.ab,
            rf: a.rf_weights(),
            w_bits: wd.w_bits,
        }
    }
}

/// The row-stationary compute unit (`compute_rs.v`, docs/TIMING.md "Compute unit: row-stationary").
#[derive(Template)]
#[template(path = "compute_rs.v", escape = "none")]
pub(crate) struct ComputeRsView {
    pub hdr: Header,
    pub name: String,
    /// Buffer word addresses.
    pub ad: Addr,
    pub rows: u32,
    pub cols: u32,
    pub rf: u32,
    pub ob: u32,
    pub ab: u32,
    /// Input word (R + C - 1 operands), weight word (R operands), accumulator word (C lanes).
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
}

impl ComputeRsView {
    pub fn new(a: &Arch) -> ComputeRsView {
        let wd = Widths::of(a);
        ComputeRsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
            rows: a.rows(),
            cols: a.cols(),
            rf: a.rf_weights(),
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
        }
    }
}

#[derive(Template)]
#[template(path = "sram.v", escape = "none")]
pub(crate) struct SramView {
    pub hdr: Header,
    pub name: String,
}

/// The SRAM with one read-write port (`sram1rw.v`), for single-ported input and weight banks.
#[derive(Template)]
#[template(path = "sram1rw.v", escape = "none")]
pub(crate) struct Sram1rwView {
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
    pub unit_prev_stream: u8,
    /// The compute unit overlaps tiles (`array.weight_double_buffer`): SYNC bit 3 (prev_stream)
    /// waits for its `prev_stream_busy`; elsewhere the bit always passes and the controller does
    /// not look at it (its text is the one from before the bit).
    pub overlap: bool,
    pub f_op: Bits,
    /// The flags the controller decodes: [`field::FLAGS`], or with 16-bit addresses the byte
    /// [15:8] (see [`CtrlView::new`]).
    pub f_flags: Bits,
    pub f_count: Bits,
    pub f_dram_addr: Bits,
    pub ad: Addr,
    /// The COMPUTE's (and LOAD / STORE's) buffer word addresses, decoded from `instr`.
    pub dec_a: String,
    pub dec_b: String,
    pub dec_c: String,
    /// The instruction bits the controller decodes no field from, as the operand of a reduction
    /// (`instr[127:112]`, or a concatenation; empty when there are none), and what they are.
    pub unused_bits: String,
    pub unused_notes: Vec<String>,
    /// The DMA has several transfer slots: LOAD / STORE issue on `dma_full`, not `dma_busy`.
    pub slots: bool,
    /// A row-stationary array: the controller also decodes a COMPUTE's pass fields (steps,
    /// block_rows, blocks, row_step) for the compute unit.
    pub rs: bool,
    pub f_steps: Bits,
    pub f_block_rows: Bits,
    pub f_blocks: Bits,
    pub f_row_step: Bits,
}

// The controller tests single flag bits (the SYNC mask's, the gather bit, bit 0: buffer, CONFIG
// register, accumulate), all of them in the 4-bit flags field ([`CtrlView::new`]).
const _: () = assert!(unit::ALL < 1 << 4 && field::GATHER_BIT < 1 << 4);

impl CtrlView {
    pub fn new(a: &Arch) -> CtrlView {
        let ad = Addr::new(a);
        // The flags are bits [11:8]. With 16-bit addresses the controller reads the byte [15:8]
        // as it did before addresses had 20 bits, so that such designs keep their Verilog byte for
        // byte: every decision tests one bit of bits 8..11 alone (`f_flags[0]`, `f_flags & GATHER`,
        // `f_flags & UNIT_*`), so the byte decodes exactly the [11:8] field whatever bits [15:12]
        // (the address's bits 19..16, which such a design ignores) hold.
        let f_flags = if ad.hi == 0 {
            Bits::of((field::FLAGS.0, 8))
        } else {
            Bits::of(field::FLAGS)
        };
        let hi_used = |(lsb, _): (u32, u32)| (lsb, ad.hi);
        let decoded = [
            field::OP,
            (f_flags.lsb, f_flags.top + 1),
            field::COUNT,
            field::DRAM_ADDR,
            field::ADDR_A,
            field::ADDR_B,
            field::ADDR_C,
            hi_used(field::ADDR_A_HI),
            hi_used(field::ADDR_B_HI),
            hi_used(field::ADDR_C_HI),
        ];
        let rs = a.dataflow() == Dataflow::RowStationary;
        let pass = [
            field::RS_STEPS,
            field::RS_BLOCK_ROWS,
            field::RS_BLOCKS,
            field::RS_ROW_STEP,
        ];
        let mut used = [false; 128];
        for (lsb, width) in decoded.into_iter().chain(pass.into_iter().filter(|_| rs)) {
            for b in lsb..lsb + width {
                used[b as usize] = true;
            }
        }
        // runs of unused bits, highest first
        let mut runs: Vec<(u32, u32)> = vec![];
        for b in (0..128u32).rev() {
            if used[b as usize] {
                continue;
            }
            match runs.last_mut() {
                Some((_, lsb)) if *lsb == b + 1 => *lsb = b,
                _ => runs.push((b, b)),
            }
        }
        let selects: Vec<String> = runs.iter().map(|&(m, l)| select("instr", m, l)).collect();
        let unused_bits = match selects.len() {
            0 => String::new(),
            1 => selects[0].clone(),
            _ => format!("{{{}}}", selects.join(", ")),
        };
        let unused_notes: Vec<String> = runs
            .iter()
            .map(|&(m, l)| {
                let (a_hi, _) = field::ADDR_A_HI;
                let inside = l >= a_hi + ad.hi && m < a_hi + field::ADDR_A_HI.1;
                let (bits, addr_bits) = if m == l {
                    (format!("bit {m}"), format!("bit {}", m - a_hi + 16))
                } else {
                    (
                        format!("bits [{m}:{l}]"),
                        format!("bits {}..{}", m - a_hi + 16, l - a_hi + 16),
                    )
                };
                if inside {
                    format!(
                        "{bits}: address {addr_bits}, zero in every program this design can run \
                         ({}-bit addresses)",
                        ad.aw
                    )
                } else {
                    format!("{bits} belong to the DMA's gather and CONFIG fields only")
                }
            })
            .collect();
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
            unit_prev_stream: unit::PREV_STREAM,
            overlap: a.weight_double_buffered(),
            f_op: Bits::of(field::OP),
            f_flags,
            f_count: Bits::of(field::COUNT),
            f_dram_addr: Bits::of(field::DRAM_ADDR),
            dec_a: ad.decode("instr", field::ADDR_A, field::ADDR_A_HI),
            dec_b: ad.decode("instr", field::ADDR_B, field::ADDR_B_HI),
            dec_c: ad.decode("instr", field::ADDR_C, field::ADDR_C_HI),
            ad,
            unused_bits,
            unused_notes,
            slots: a.dram().outstanding_transfers() > 1,
            rs,
            f_steps: Bits::of(field::RS_STEPS),
            f_block_rows: Bits::of(field::RS_BLOCK_ROWS),
            f_blocks: Bits::of(field::RS_BLOCKS),
            f_row_step: Bits::of(field::RS_ROW_STEP),
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
    /// What `rows` is in the comments: `R`, `C` on an input-stationary array, `R+C-1` on a
    /// row-stationary one.
    pub gather_dim: &'static str,
    /// A row-stationary array: a gather word is one step (kw, c) of `rows` input rows at one
    /// output column.
    pub rs: bool,
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
    pub ad: Addr,
    /// A slot holds the instruction's bits from `q_lsb` up: 16, or 12 with the `sram_addr_hi`
    /// field (addresses wider than 16 bits); the DMA reads no instruction bit below it.
    pub q_lsb: u32,
    /// The buffer word address of the next transfer and of the head, from the slot's bits.
    pub nx_sram: String,
    pub h_sram: String,
    /// The bits of `sram_addr_hi` above the design's address width, in a slot (or empty).
    pub nx_unused: String,
    /// Prefix of the request side's sources when it takes a transfer: `` (the issue inputs) with
    /// one slot, `nx_` (the oldest waiting slot, else the issue inputs) with several.
    pub src: &'static str,
    /// The request side's "working on a transfer" flag: `busy` with one slot, `req_busy` with
    /// several.
    pub front: &'static str,
    /// P = `dram.words_per_cycle`: request, read and buffer write lanes (1: the one-word DMA, its
    /// text unchanged).
    pub lanes: u32,
    /// log2 P: the write lane of word address `a` is `a[lp-1:0]`.
    pub lp: u32,
    /// The lanes 0..P, and the same in reverse order (P-1..0, and P-1..1).
    pub lane_v: Vec<LaneView>,
    pub lane_rev: Vec<LaneView>,
    pub lane_rev_hi: Vec<LaneView>,
    /// S = [`Arch::store_lanes`]: a STORE's accumulator read lanes and write beat lanes (1: the
    /// one-word STORE, its text unchanged).
    pub st_lanes: u32,
    /// log2 S: the store read lane of accumulator word `a` is `a[slp-1:0]`.
    pub slp: u32,
    /// The store lanes 0..S, and the same in reverse order.
    pub st_lane_v: Vec<StLaneView>,
    pub st_lane_rev: Vec<StLaneView>,
}

/// One lane of a STORE moving several accumulator words per cycle.
#[derive(Clone, Copy)]
pub(crate) struct StLaneView {
    /// The lane, j.
    pub j: u32,
    /// j + 1.
    pub next: u32,
    /// Credit bytes for j + 1 accumulator words.
    pub need: u32,
    /// Byte offset of beat j from the cycle's first beat.
    pub off: u32,
}

/// One lane of a DMA moving several words per cycle (`dram.words_per_cycle`).
#[derive(Clone, Copy)]
pub(crate) struct LaneView {
    /// The lane, j.
    pub j: u32,
    /// j + 1.
    pub next: u32,
    /// Credit bytes for j + 1 words of the input and of the weight buffer.
    pub in_need: u32,
    pub w_need: u32,
    /// Byte offset of word j of a linear LOAD into the input and the weight buffer.
    pub in_off: u32,
    pub w_off: u32,
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
        let p = a.dram().words_per_cycle();
        let (inb, wb) = (a.input().word_bytes(), a.weight().word_bytes());
        let lane_v: Vec<LaneView> = (0..p)
            .map(|j| LaneView {
                j,
                next: j + 1,
                in_need: (j + 1) * inb,
                w_need: (j + 1) * wb,
                in_off: j * inb,
                w_off: j * wb,
            })
            .collect();
        let s = a.store_lanes();
        let st_lane_v: Vec<StLaneView> = (0..s)
            .map(|j| StLaneView {
                j,
                next: j + 1,
                need: (j + 1) * store_bytes,
                off: j * store_bytes,
            })
            .collect();
        let ad = Addr::new(a);
        // with wide addresses a slot keeps sram_addr_hi too (the fields below it are the
        // controller's); the one-transfer DMA takes its address from the issue inputs
        let q_lsb = if ad.hi > 0 && o > 1 {
            field::ADDR_A_HI.0
        } else {
            field::COUNT.0
        };
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
            // a LOAD's credit adds min(W, P·b): the same schedule as W (P = 1: min(W, b))
            w_eff_in: w.min(p * inb),
            w_eff_w: w.min(p * wb),
            // a STORE's adds min(W, S·b) (S = 1: min(W, b))
            w_eff_st: w.min(s * store_bytes),
            // credit < b before a cycle, credit + min(W, P·b) < (P+1)·b during it (at most b
            // is left after a cycle's words unless the transfer's last words were taken; after
            // the last request the credit no longer grows)
            credit_bits: bits_for((u64::from(p) + 1) * u64::from(widest)),
            os: a.dataflow() != Dataflow::WeightStationary,
            rows: gather_word,
            cols_os: (0..gather_word).collect(),
            gather_dim: match a.dataflow() {
                Dataflow::InputStationary => "C",
                Dataflow::RowStationary => "R+C-1",
                _ => "R",
            },
            rs: a.dataflow() == Dataflow::RowStationary,
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
            q_lsb,
            nx_sram: ad.decode("nx_instr", field::ADDR_A, field::ADDR_A_HI),
            h_sram: ad.decode("h_instr", field::ADDR_A, field::ADDR_A_HI),
            nx_unused: ad
                .unused_hi("nx_instr", field::ADDR_A_HI)
                .unwrap_or_default(),
            ad,
            src: if o > 1 { "nx_" } else { "" },
            front: if o > 1 { "req_busy" } else { "busy" },
            lanes: p,
            lp: p.trailing_zeros(),
            lane_rev: lane_v.iter().rev().copied().collect(),
            lane_rev_hi: lane_v.iter().skip(1).rev().copied().collect(),
            lane_v,
            st_lanes: s,
            slp: s.trailing_zeros(),
            st_lane_rev: st_lane_v.iter().rev().copied().collect(),
            st_lane_v,
        }
    }
}

#[derive(Template)]
#[template(path = "compute_ws.v", escape = "none")]
pub(crate) struct ComputeWsView {
    pub hdr: Header,
    pub name: String,
    /// Buffer word addresses.
    pub ad: Addr,
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

/// X of docs/TIMING.md, "Interconnect options" (the τ of a weight-stationary tile's first write,
/// `2R + C` by default), and its formula for comments.
fn row_latency(r: u32, c: u32, systolic: bool, tree: bool) -> (u32, &'static str) {
    let d = Noc::tree_levels(r);
    let (x0, x_sym) = match (systolic, tree) {
        (true, false) => (2 * r + 1, "2R+C"),
        (false, false) => (2 * r + 1, "2R+1"),
        (true, true) => (r + 2 + d, "R+2+D+C-1"),
        (false, true) => (r + 2 + d, "R+2+D"),
    };
    (if systolic { x0 + c - 1 } else { x0 }, x_sym)
}

impl ComputeWsView {
    pub fn new(a: &Arch) -> ComputeWsView {
        let noc = a.noc();
        let (r, c) = (a.rows(), a.cols());
        let d = Noc::tree_levels(r);
        let systolic = noc.stream == Stream::Systolic;
        let tree = noc.reduce == Reduce::AdderTree;
        let (wb_start, x_sym) = row_latency(r, c, systolic, tree);
        let wd = Widths::unit(a);
        ComputeWsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
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
    /// Buffer word addresses.
    pub ad: Addr,
    pub rows: u32,
    pub cols: u32,
    pub ob: u32,
    pub ab: u32,
    pub in_bits: u32,
    pub w_bits: u32,
    pub acc_bits: u32,
    /// Width of the cycle counter tau: holds 65535 + drain_last.
    pub tau_bits: u32,
    /// F = R + C - 1 (systolic) or 1 (buses): the first drain cycle is tau = K + drain_start.
    pub drain_start: u32,
    /// F + R - 1 (2R + C - 2, or R): the last drain (and busy) cycle is tau = K + drain_last.
    pub drain_last: u32,
    /// The first and last drain cycles as formulas, for comments (`K+R+C-1`, `K+2R+C-2`; with
    /// buses `K+1`, `K+R`).
    pub drain_start_sym: &'static str,
    pub drain_last_sym: &'static str,
    /// `stream: Broadcast`: no skew registers, the read ports drive the array's buses.
    pub broadcast: bool,
}

impl ComputeOsView {
    pub fn new(a: &Arch) -> ComputeOsView {
        let (r, c) = (a.rows(), a.cols());
        let broadcast = a.noc().stream == Stream::Broadcast;
        // F of docs/TIMING.md: the last MAC is at tau = K + F - 1, the drain follows for R cycles
        let fill = if broadcast { 1 } else { r + c - 1 };
        let drain_last = fill + r - 1;
        let (drain_start_sym, drain_last_sym) = if broadcast {
            ("K+1", "K+R")
        } else {
            ("K+R+C-1", "K+2R+C-2")
        };
        let wd = Widths::of(a);
        ComputeOsView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
            rows: r,
            cols: c,
            ob: wd.ob,
            ab: wd.ab,
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            tau_bits: bits_for(u64::from(drain_last) + u64::from(u16::MAX)).max(17),
            drain_start: fill,
            drain_last,
            drain_start_sym,
            drain_last_sym,
            broadcast,
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
    /// P DMA lanes ([`Arch::write_lanes`]: `dram.words_per_cycle` write lanes for the input and
    /// weight buffers, [`Arch::store_lanes`] store read lanes for the accumulator): each bank is P
    /// SRAMs of `lane_depth` words, word `a` of the bank in SRAM `a mod P` at row `a / P`.
    pub nlanes: u32,
    /// log2 P.
    pub lp: u32,
    pub lane_ids: Vec<u32>,
    pub lane_depth: u32,
    /// Address bits of one SRAM (`lane_depth` words).
    pub lane_aw: u32,
    /// Its SRAMs have one read-write port (`_sram1rw`; docs/TIMING.md, "Single-ported banks").
    pub one_port: bool,
}

impl BufView {
    /// A buffer of `lanes` write lanes (a power of two dividing the bank depth; validation
    /// guarantees both).
    fn with_lanes(b: &Buffer, lanes: u32) -> BufView {
        let mut v = BufView::new(b);
        let lane_depth = v.bank_depth / lanes;
        v.nlanes = lanes;
        v.lp = lanes.trailing_zeros();
        v.lane_ids = (0..lanes).collect();
        v.lane_depth = lane_depth;
        v.lane_aw = bits_for(u64::from(lane_depth) - 1);
        v
    }

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
            nlanes: 1,
            lp: 0,
            lane_ids: vec![0],
            lane_depth: depth,
            lane_aw: aw,
            one_port: b.single_ported(),
        }
    }
}

#[derive(Template)]
#[template(path = "top.v", escape = "none")]
pub(crate) struct TopView {
    pub hdr: Header,
    pub name: String,
    /// Buffer word addresses.
    pub ad: Addr,
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
    /// P = `dram.words_per_cycle`: the DRAM port's read lanes and the input and weight buffers'
    /// write lanes (1: the text of the one-word DMA).
    pub lanes: u32,
    /// S = [`Arch::store_lanes`]: the DRAM port's write beat lanes and the accumulator's store
    /// read lanes (1: the text of the one-word STORE).
    pub st_lanes: u32,
    /// The compute unit overlaps tiles: its `prev_stream_busy` goes to the controller (SYNC
    /// prev_stream).
    pub overlap: bool,
    /// A row-stationary array: the controller's pass fields go to the compute unit.
    pub rs: bool,
}

impl TopView {
    pub fn new(a: &Arch) -> TopView {
        let wd = Widths::of(a);
        TopView {
            hdr: Header::new(a),
            name: a.name().to_string(),
            ad: Addr::new(a),
            in_bits: wd.in_bits,
            w_bits: wd.w_bits,
            acc_bits: wd.acc_bits,
            bus_bytes: a.mem_bus_bytes(),
            queue_depth: QUEUE_DEPTH,
            in_buf: BufView::with_lanes(a.input(), a.write_lanes(BufferKind::Input)),
            w_buf: BufView::with_lanes(a.weight(), a.write_lanes(BufferKind::Weight)),
            acc_buf: BufView::with_lanes(a.accumulator(), a.write_lanes(BufferKind::Accumulator)),
            swapped: a.dataflow() == Dataflow::InputStationary,
            shared: false,
            slots: a.dram().outstanding_transfers() > 1,
            outstanding: a.dram().outstanding_transfers(),
            lanes: a.dram().words_per_cycle(),
            st_lanes: a.store_lanes(),
            overlap: a.weight_double_buffered(),
            rs: a.dataflow() == Dataflow::RowStationary,
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
    /// P = `dram.words_per_cycle`: its read request and word lanes (the system port's lanes
    /// `0 .. P-1`), and the same lanes from the highest down.
    pub lanes: u32,
    pub lanes_rev: Vec<u32>,
    /// S = [`Arch::store_lanes`]: its write beat lanes (the system port's lanes `0 .. S-1`).
    pub st_lanes: u32,
}

/// One lane of the system's DRAM port: its index and the subs that have it (whose P, or S for a
/// write lane, exceeds it).
pub(crate) struct SysLane {
    pub j: u32,
    pub subs: Vec<LaneSub>,
}

/// A sub on a lane of the system's DRAM port: its index and its data buses' bytes.
pub(crate) struct LaneSub {
    pub idx: u32,
    pub bus_bytes: u32,
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
            lanes: a.dram().words_per_cycle(),
            lanes_rev: (0..a.dram().words_per_cycle()).rev().collect(),
            st_lanes: a.store_lanes(),
        })
        .collect()
}

/// The lanes `0 .. max` of the system port, each with the subs whose `lanes_of` exceeds it.
fn sys_lanes(subs: &[Arch], lanes_of: impl Fn(&Arch) -> u32) -> Vec<SysLane> {
    let max = subs.iter().map(&lanes_of).max().unwrap_or(1);
    (0..max)
        .map(|j| SysLane {
            j,
            subs: (0u32..)
                .zip(subs)
                .filter(|(_, a)| lanes_of(a) > j)
                .map(|(idx, a)| LaneSub {
                    idx,
                    bus_bytes: a.mem_bus_bytes(),
                })
                .collect(),
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
    /// The system port's read lanes (the most `P` of a sub) and write lanes (the most `S`); with
    /// one of each, the text of the one-word port.
    pub lanes: u32,
    pub st_lanes: u32,
    pub rd_lanes: Vec<SysLane>,
    pub wr_lanes: Vec<SysLane>,
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
            lanes: tessera_arch::spec::channel_lanes(subs).0,
            st_lanes: tessera_arch::spec::channel_lanes(subs).1,
            rd_lanes: sys_lanes(subs, |a| a.dram().words_per_cycle()),
            wr_lanes: sys_lanes(subs, Arch::store_lanes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_file_select_has_the_files_address_width() {
        // (F, OB) -> (t < F, sel bits, sel)
        let cases = [
            (1, 8, "(t == 8'd0)", 3, "3'd0"),
            (2, 8, "(t[7:1] == 7'd0)", 4, "{t[0:0], 3'd0}"),
            (6, 8, "(t < 8'd6)", 6, "{t[2:0], 3'd0}"),
            (32, 8, "(t[7:5] == 3'd0)", 8, "{t[4:0], 3'd0}"),
            (33, 8, "(t < 8'd33)", 9, "{t[5:0], 3'd0}"),
            (224, 8, "(t < 8'd224)", 11, "{t, 3'd0}"),
            (255, 16, "(t < 8'd255)", 12, "{t, 4'd0}"),
            (200, 12, "(t < 8'd200)", 12, "{4'd0, t} * 12'd12"),
            (6, 12, "(t < 8'd6)", 7, "t[6:0] * 7'd12"),
        ];
        for (f, ob, range, bits, sel) in cases {
            assert_eq!(rf_in_range(f), range, "F = {f}");
            assert_eq!(rf_sel_bits(f, ob), bits, "F = {f}, OB = {ob}");
            assert_eq!(rf_sel_expr(f, ob), sel, "F = {f}, OB = {ob}");
            // the last entry's first bit fits, the file's width does not
            assert!(ob * (f - 1) < 1 << bits && (f * ob) <= 1 << bits);
        }
    }
}
