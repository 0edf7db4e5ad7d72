//! The array's interconnect as a graph (petgraph), built from the description: the buffer ports,
//! the skew registers, the PEs, the adder trees, the deskew registers and the accumulator's write
//! lanes as nodes; every wire that carries an operand or a partial sum as a link, with its width.
//!
//! [`NocGraph::check`] walks it: every PE is reached by the streamed operand, by the preloaded (or
//! second streamed) operand and delivers its sum to an accumulator lane; it returns the hop counts
//! (registers crossed) and the link, wire and register totals ([`NocStats`]). [`Interconnect::of`]
//! gives the same register, adder and wire counts in closed form for the area and energy models,
//! which run for every search candidate (a test holds the two to each other over shapes and
//! options). [`NocActivity`] says what the interconnect does per event the counters count exactly
//! (a streamed word, a COMPUTE; on a row-stationary array also a weight word read and a capture):
//! the register bits written, the wire bits moved one PE pitch and the adder trees' additions,
//! which the energy model prices.
//!
//! What it models: which registers and adders the dataflow and `array.noc` put between the
//! buffers and the PEs (docs/TIMING.md), and how far values travel: a link that enters or leaves
//! a PE or an adder tree's register is one PE pitch long (a broadcast row or column bus, one link
//! per PE here, is a row or column of pitches: one driver charges the whole bus); links between skew or deskew
//! registers, side by side at the array's edge, are not charged. An adder tree's links carry the
//! significant bits of the register they leave (its root's, sign-extended, the lane's). What it
//! leaves out: fan-out and repeaters (a broadcast bus costs its length, not its loads), the wires
//! from the buffers to the array's edge, and contention — every link carries one value per cycle
//! and none is shared, so there is none to model until a design shares links.

use crate::spec::{Arch, Dataflow, Noc, Reduce, Stream};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::VecDeque;
use tessera_core::diag::{Diagnostic, Result};

/// What a link carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Operand {
    /// The streamed operand (A's rows; B's columns on an input-stationary array; A's columns on an
    /// output-stationary one).
    Stream,
    /// The preloaded stationary operand (the weights, or A on input-stationary); on an
    /// output-stationary array the second streamed operand (B's rows).
    Second,
    /// Partial sums on their way to the accumulator (output-stationary: the drain).
    Sum,
}

/// A node of the interconnect: where values come from, wait, are computed or go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// A buffer read port's lane: the streamed operand's byte `lane`, or the second operand's.
    Port(Operand, u32),
    /// A skew or deskew register stage (`bits` wide).
    Register { bits: u32 },
    /// PE (row, col), with its own register bits.
    Pe { row: u32, col: u32, bits: u32 },
    /// A register of a column's adder tree (`adds`: whether it adds two values).
    Tree { bits: u32, adds: bool },
    /// Row `row`'s input window of a row-stationary array: a multiplexer (no register) that
    /// takes `C` consecutive bytes of the input word at the row's offset onto the row's bus.
    Window { row: u32 },
    /// Column `col`'s block adder of a row-stationary array: `adds` adders (no register) that sum
    /// the `out` registers of one block of rows into the column's lane.
    BlockAdder { col: u32, adds: u32 },
    /// The accumulator's write lane of column `col`.
    Out(u32),
}

/// A link: the operand it carries and its width in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub operand: Operand,
    pub bits: u32,
}

/// The interconnect of one array.
pub struct NocGraph {
    pub graph: DiGraph<Node, Link>,
    rows: u32,
    cols: u32,
}

/// What [`NocGraph::check`] measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NocStats {
    pub links: u64,
    pub link_bits: u64,
    /// Bits × PE pitches of the links that carry the streamed operand (each link that enters or
    /// leaves a PE or an adder tree's register is one pitch; the others are not charged).
    pub stream_wire_bits: u64,
    /// The same for the second operand (the preload; output-stationary: the second stream).
    pub second_wire_bits: u64,
    /// The same for the sums (output-stationary: the drain).
    pub sum_wire_bits: u64,
    /// Flip-flop bits on the interconnect: skew and deskew stages, the PEs' registers, the trees'.
    pub register_bits: u64,
    /// Adders of the adder trees (the PEs' own adders are counted with their MACs).
    pub tree_adders: u64,
    /// The most registers the streamed operand crosses from its port to a PE.
    pub max_stream_hops: u32,
    /// The most registers a PE's sum crosses to the accumulator (its own register included).
    pub max_sum_hops: u32,
}

/// Register bits and adders of the interconnect in closed form (equal to [`NocGraph::check`]'s).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Interconnect {
    /// Per PE: stationary operand, streamed operand's register, sum or product (an adder tree's
    /// PE: the product's `2·OB` significant bits).
    pub pe_register_bits: u64,
    /// Skew and deskew stages.
    pub skew_register_bits: u64,
    /// The adder trees' registers (level `l`: `min(2·OB + l, AB)` significant bits).
    pub tree_register_bits: u64,
    pub tree_adders: u64,
    /// Wire bits × PE pitches of the streamed operand's, the second operand's and the sums' links
    /// (as [`NocStats`]).
    pub stream_wire_bits: u64,
    pub second_wire_bits: u64,
    pub sum_wire_bits: u64,
}

/// 0 + 1 + … + (n-1): the stages of `n` skew chains of lengths 0..n.
fn tri(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

impl Interconnect {
    pub fn of(arch: &Arch) -> Interconnect {
        let (r, c) = (u64::from(arch.rows()), u64::from(arch.cols()));
        let dt = arch.datatypes();
        let (ob, ab) = (
            u64::from(dt.operand_bits()),
            u64::from(dt.accumulator_bits()),
        );
        let noc = arch.noc();
        let db = arch.weight_double_buffered();
        match arch.dataflow() {
            // row-stationary (docs/TIMING.md): the register file, `ps` and `out` in every PE; no
            // skew; each PE reached by its row's input window bus and its row's weight bus, and
            // its `out` by its column's block adder (R - 1 adders, combinational)
            Dataflow::RowStationary => Interconnect {
                pe_register_bits: u64::from(arch.rf_weights()) * ob + 2 * ab,
                tree_adders: r.saturating_sub(1) * c,
                stream_wire_bits: r * c * ob,
                second_wire_bits: r * c * ob,
                sum_wire_bits: r * c * ab,
                ..Default::default()
            },
            // systolic: a and b pass through, the sum stays; a skewed over rows, b over columns;
            // broadcast: row and column buses, no skew, the PE keeps only its sum
            // every row's a: one link into each PE (from its left neighbour or the row's bus); b
            // likewise down each column; the drain: a sum link down each column from every PE
            // (the last row's into its lane)
            Dataflow::OutputStationary => {
                let systolic = noc.stream == Stream::Systolic;
                Interconnect {
                    pe_register_bits: if systolic { 2 * ob } else { 0 } + ab,
                    skew_register_bits: if systolic { ob * (tri(r) + tri(c)) } else { 0 },
                    stream_wire_bits: r * c * ob,
                    second_wire_bits: r * c * ob,
                    sum_wire_bits: r * c * ab,
                    ..Default::default()
                }
            }
            Dataflow::WeightStationary | Dataflow::InputStationary => {
                let systolic = noc.stream == Stream::Systolic;
                let chain = noc.reduce == Reduce::Chain;
                // the stationary operand, the streamed one's register (systolic), the sum or
                // product; double-buffered weights add the shadow and, systolic, the switch bit
                // passed on to the right (a broadcast row bus carries it to every PE at once)
                // an adder tree's PE keeps its product's 2·OB significant bits (the rest of the
                // AB-bit register is its sign, which synthesis shares); tree level l's sums 2·OB + l
                let sum = if chain { ab } else { (2 * ob).min(ab) };
                let pe = ob
                    + if systolic { ob } else { 0 }
                    + sum
                    + if db { ob + u64::from(systolic) } else { 0 };
                // the switch bit's skew beside the operand's (partial-sum chain only)
                let skew = if chain { ob * tri(r) } else { 0 }
                    + if systolic { ab * tri(c) } else { 0 }
                    + if db && chain { tri(r) } else { 0 };
                let (mut regs, mut adders, mut n, mut level) = (0, 0, r, 0);
                // a column's sum links: down the chain from every PE (the last row's into the
                // deskew or its lane), or into the tree's levels (each link as wide as the
                // significant bits of the register it leaves) and out of its root, a lane wide
                let mut sum_wires = if chain { r * ab } else { ab };
                if !chain {
                    while n > 1 {
                        sum_wires += n * (2 * ob + level).min(ab);
                        adders += n / 2;
                        n = n.div_ceil(2);
                        level += 1;
                        regs += n * (2 * ob + level).min(ab);
                    }
                }
                Interconnect {
                    pe_register_bits: pe,
                    skew_register_bits: skew,
                    tree_register_bits: regs * c,
                    tree_adders: adders * c,
                    // one link into each PE of a row (from its left neighbour or the row's bus),
                    // and the switch bit's beside it
                    stream_wire_bits: r * c * (ob + u64::from(db)),
                    // the preload: one link into each PE, down the column
                    second_wire_bits: r * c * ob,
                    sum_wire_bits: sum_wires * c,
                }
            }
        }
    }
}

/// What the interconnect does per event that both engines and the analytical model count exactly
/// (docs/TIMING.md, what moves where each cycle): per **streamed word** (a COMPUTE streams `len`
/// words; over a run, the counters' array MAC slots / PEs) and per **COMPUTE**. Registers are
/// counted when they are written (a register that holds its value is taken to be clock-gated);
/// wires in bits × PE pitches (see the module docs).
///
/// - weight- and input-stationary, per streamed word: every register of its path once — the
///   skew stages, each PE's streamed-operand register (systolic), partial sum (chain) or product
///   (adder tree), the double-buffered PE's switch bit, the tree's registers, the deskew stages —
///   and the streamed operand's and the sums' links; the trees add once per register that adds.
///   Per COMPUTE, the preload: R shift cycles, each writing every PE's weight register (the
///   shadow, double-buffered) and moving a value over every preload link; double-buffered, the
///   switch copies every shadow into the active register once;
/// - output-stationary, per streamed word: both skews, every PE's `a`, `b` (systolic only) and sum
///   registers, both operands' links (a PE's link from its neighbour or from its row's or column's
///   bus); per COMPUTE, the drain: R cycles, each shifting every PE's sum one row down over every
///   sum link;
/// - row-stationary (docs/TIMING.md, "Compute unit: row-stationary"), per streamed word (a step):
///   every PE's `ps` and the input window buses (one link into each PE); nothing per COMPUTE. Per
///   **weight-buffer word read** (on this array every one is a preload step: a STORE reads only
///   the accumulator): one register-file entry of every PE (`OB` bits each) and the row buses
///   that carry the word's bytes (one link into each PE). Per **capture** (the counters'
///   `captures`, `E` per pass): every PE's `out` (`AB` bits) and its link to the column's block
///   adder, which carries `out`'s new value. On the other arrays the per-weight-read and
///   per-capture figures are 0: their preload is priced per COMPUTE and they capture nothing.
///
/// No register read is priced (the register files' reads included), nor the row-stationary block
/// adders' additions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NocActivity {
    pub word_register_bits: u64,
    pub word_wire_bits: u64,
    /// Additions of the adder trees per streamed word (an accumulator-wide adder each).
    pub word_tree_adds: u64,
    pub compute_register_bits: u64,
    pub compute_wire_bits: u64,
    /// Per weight-buffer word read (row-stationary: a preload step).
    pub weight_read_register_bits: u64,
    pub weight_read_wire_bits: u64,
    /// Per output captured into the PEs' `out` registers (row-stationary).
    pub capture_register_bits: u64,
    pub capture_wire_bits: u64,
}

impl NocActivity {
    /// In closed form, from [`Interconnect::of`].
    pub fn of(arch: &Arch) -> NocActivity {
        let ic = Interconnect::of(arch);
        let wires = [ic.stream_wire_bits, ic.second_wire_bits, ic.sum_wire_bits];
        NocActivity::from_parts(arch, &ic, wires)
    }

    /// From the interconnect's registers and adders and its wire bits `[stream, second, sum]`
    /// (the closed form's or the graph's, [`NocStats`]).
    pub fn from_parts(arch: &Arch, ic: &Interconnect, wires: [u64; 3]) -> NocActivity {
        let (r, pes) = (u64::from(arch.rows()), arch.pes());
        let dt = arch.datatypes();
        let (ob, ab) = (
            u64::from(dt.operand_bits()),
            u64::from(dt.accumulator_bits()),
        );
        let [stream, second, sum] = wires;
        match arch.dataflow() {
            // per streamed word (a step): every PE's `ps`, the window buses; per COMPUTE nothing;
            // per weight word read (a preload step): one register-file entry of every PE, the row
            // buses; per capture: every PE's `out` and its link to the block adder. The register
            // files' reads and the block adds are not priced (docs/TIMING.md, "Compute unit:
            // row-stationary")
            Dataflow::RowStationary => NocActivity {
                word_register_bits: pes * ab,
                word_wire_bits: stream,
                word_tree_adds: 0,
                compute_register_bits: 0,
                compute_wire_bits: 0,
                weight_read_register_bits: pes * ob,
                weight_read_wire_bits: second,
                capture_register_bits: pes * ab,
                capture_wire_bits: sum,
            },
            Dataflow::OutputStationary => NocActivity {
                word_register_bits: pes * ic.pe_register_bits + ic.skew_register_bits,
                word_wire_bits: stream + second,
                word_tree_adds: 0,
                compute_register_bits: r * pes * ab,
                compute_wire_bits: r * sum,
                ..Default::default()
            },
            Dataflow::WeightStationary | Dataflow::InputStationary => {
                let db = u64::from(arch.weight_double_buffered());
                // the stationary operand's register, and the shadow beside it
                let stationary = ob * (1 + db);
                NocActivity {
                    word_register_bits: pes * (ic.pe_register_bits - stationary)
                        + ic.skew_register_bits
                        + ic.tree_register_bits,
                    word_wire_bits: stream + sum,
                    word_tree_adds: ic.tree_adders,
                    compute_register_bits: r * pes * ob + db * pes * ob,
                    compute_wire_bits: r * second,
                    ..Default::default()
                }
            }
        }
    }
}

impl NocGraph {
    /// The interconnect of `arch` (docs/TIMING.md: the dataflow's array and `array.noc`).
    pub fn of(arch: &Arch) -> NocGraph {
        let (r, c) = (arch.rows(), arch.cols());
        let dt = arch.datatypes();
        let (ob, ab) = (dt.operand_bits(), dt.accumulator_bits());
        let mut g: DiGraph<Node, Link> = DiGraph::new();
        let link = |operand, bits| Link { operand, bits };
        let ic = Interconnect::of(arch);
        let pe_bits = u32::try_from(ic.pe_register_bits).unwrap_or(u32::MAX);
        let pes: Vec<NodeIndex> = (0..r * c)
            .map(|i| {
                g.add_node(Node::Pe {
                    row: i / c,
                    col: i % c,
                    bits: pe_bits,
                })
            })
            .collect();
        let pe = |row: u32, col: u32| pes[(row * c + col) as usize];
        // a chain of `n` registers of `bits` from `from`; returns its end
        let chain = |g: &mut DiGraph<Node, Link>, from, n: u32, bits, operand| {
            (0..n).fold(from, |prev, _| {
                let x = g.add_node(Node::Register { bits });
                g.add_edge(prev, x, link(operand, bits));
                x
            })
        };
        let outs: Vec<NodeIndex> = (0..c).map(|k| g.add_node(Node::Out(k))).collect();
        let db_switch = arch.weight_double_buffered();
        match arch.dataflow() {
            Dataflow::RowStationary => {
                // the input word's R + C - 1 bytes reach every row's window; each window's bus
                // reaches the row's PEs; weight byte `row` reaches every PE of the row
                let ports: Vec<NodeIndex> = (0..r + c - 1)
                    .map(|j| g.add_node(Node::Port(Operand::Stream, j)))
                    .collect();
                for row in 0..r {
                    let w = g.add_node(Node::Window { row });
                    for &p in &ports {
                        g.add_edge(p, w, link(Operand::Stream, ob));
                    }
                    let wp = g.add_node(Node::Port(Operand::Second, row));
                    for col in 0..c {
                        g.add_edge(w, pe(row, col), link(Operand::Stream, ob));
                        g.add_edge(wp, pe(row, col), link(Operand::Second, ob));
                    }
                }
                for col in 0..c {
                    let add = g.add_node(Node::BlockAdder { col, adds: r - 1 });
                    for row in 0..r {
                        g.add_edge(pe(row, col), add, link(Operand::Sum, ab));
                    }
                    g.add_edge(add, outs[col as usize], link(Operand::Sum, ab));
                }
            }
            Dataflow::OutputStationary => {
                let systolic = arch.noc().stream == Stream::Systolic;
                for row in 0..r {
                    let p = g.add_node(Node::Port(Operand::Stream, row));
                    if systolic {
                        let end = chain(&mut g, p, row, ob, Operand::Stream);
                        g.add_edge(end, pe(row, 0), link(Operand::Stream, ob));
                        for col in 1..c {
                            g.add_edge(pe(row, col - 1), pe(row, col), link(Operand::Stream, ob));
                        }
                    } else {
                        // the row's bus: byte `row` reaches every PE of the row
                        for col in 0..c {
                            g.add_edge(p, pe(row, col), link(Operand::Stream, ob));
                        }
                    }
                }
                for col in 0..c {
                    let p = g.add_node(Node::Port(Operand::Second, col));
                    if systolic {
                        let end = chain(&mut g, p, col, ob, Operand::Second);
                        g.add_edge(end, pe(0, col), link(Operand::Second, ob));
                        for row in 1..r {
                            g.add_edge(pe(row - 1, col), pe(row, col), link(Operand::Second, ob));
                        }
                    } else {
                        // the column's bus: byte `col` reaches every PE of the column
                        for row in 0..r {
                            g.add_edge(p, pe(row, col), link(Operand::Second, ob));
                        }
                    }
                    // the drain, on either interconnect
                    for row in 1..r {
                        g.add_edge(pe(row - 1, col), pe(row, col), link(Operand::Sum, ab));
                    }
                    g.add_edge(pe(r - 1, col), outs[col as usize], link(Operand::Sum, ab));
                }
            }
            Dataflow::WeightStationary | Dataflow::InputStationary => {
                let Noc { stream, reduce } = arch.noc();
                let systolic = stream == Stream::Systolic;
                let tree = reduce == Reduce::AdderTree;
                for row in 0..r {
                    let p = g.add_node(Node::Port(Operand::Stream, row));
                    let skew = if tree { 0 } else { row };
                    let end = chain(&mut g, p, skew, ob, Operand::Stream);
                    if db_switch {
                        // the switch bit's skew chain travels beside the operand's, and the bit
                        // on from PE to PE with it (systolic) or over the row's bus (broadcast)
                        let sw = chain(&mut g, p, skew, 1, Operand::Stream);
                        if systolic {
                            g.add_edge(sw, pe(row, 0), link(Operand::Stream, 1));
                            for col in 1..c {
                                g.add_edge(
                                    pe(row, col - 1),
                                    pe(row, col),
                                    link(Operand::Stream, 1),
                                );
                            }
                        } else {
                            for col in 0..c {
                                g.add_edge(sw, pe(row, col), link(Operand::Stream, 1));
                            }
                        }
                    }
                    if systolic {
                        g.add_edge(end, pe(row, 0), link(Operand::Stream, ob));
                        for col in 1..c {
                            g.add_edge(pe(row, col - 1), pe(row, col), link(Operand::Stream, ob));
                        }
                    } else {
                        for col in 0..c {
                            g.add_edge(end, pe(row, col), link(Operand::Stream, ob));
                        }
                    }
                }
                for col in 0..c {
                    // the preload shifts down the column
                    let p = g.add_node(Node::Port(Operand::Second, col));
                    g.add_edge(p, pe(0, col), link(Operand::Second, ob));
                    for row in 1..r {
                        g.add_edge(pe(row - 1, col), pe(row, col), link(Operand::Second, ob));
                    }
                    let root = if tree {
                        // (node, its significant bits): the products first
                        let mut level: Vec<(NodeIndex, u32)> =
                            (0..r).map(|row| (pe(row, col), (2 * ob).min(ab))).collect();
                        let mut depth = 0;
                        while level.len() > 1 {
                            depth += 1;
                            // a sum of 2^depth products: 2·OB + depth significant bits
                            let bits = (2 * ob + depth).min(ab);
                            level = level
                                .chunks(2)
                                .map(|pair| {
                                    let t = g.add_node(Node::Tree {
                                        bits,
                                        adds: pair.len() == 2,
                                    });
                                    for &(x, xbits) in pair {
                                        g.add_edge(x, t, link(Operand::Sum, xbits));
                                    }
                                    (t, bits)
                                })
                                .collect();
                        }
                        level[0].0
                    } else {
                        for row in 1..r {
                            g.add_edge(pe(row - 1, col), pe(row, col), link(Operand::Sum, ab));
                        }
                        pe(r - 1, col)
                    };
                    let deskew = if systolic { c - 1 - col } else { 0 };
                    let end = chain(&mut g, root, deskew, ab, Operand::Sum);
                    g.add_edge(end, outs[col as usize], link(Operand::Sum, ab));
                }
            }
        }
        NocGraph {
            graph: g,
            rows: r,
            cols: c,
        }
    }

    /// Registers crossed from `from` to every node along `operand`'s links (breadth first: the
    /// fewest; `None` where unreachable).
    fn hops(&self, from: &[NodeIndex], operand: Operand) -> Vec<Option<u32>> {
        let g = &self.graph;
        let mut d = vec![None; g.node_count()];
        let mut q = VecDeque::new();
        for &f in from {
            d[f.index()] = Some(0);
            q.push_back(f);
        }
        while let Some(x) = q.pop_front() {
            for e in g.edges(x).filter(|e| e.weight().operand == operand) {
                let y = e.target();
                // a hop is a register: every node but a port, an output lane, a window or a
                // block adder holds one
                let w = u32::from(!matches!(
                    g[y],
                    Node::Out(_) | Node::Port(..) | Node::Window { .. } | Node::BlockAdder { .. }
                ));
                let dy = d[x.index()].map(|v: u32| v + w);
                if d[y.index()].is_none() {
                    d[y.index()] = dy;
                    q.push_back(y);
                }
            }
        }
        d
    }

    /// Check the interconnect (every PE reached by both operands and delivering its sum) and
    /// measure it. An error is a broken invariant of the builder, named with the PE.
    pub fn check(&self) -> Result<NocStats> {
        let g = &self.graph;
        let ports = |op: Operand| -> Vec<NodeIndex> {
            g.node_indices()
                .filter(|&n| matches!(g[n], Node::Port(o, _) if o == op))
                .collect()
        };
        let stream = self.hops(&ports(Operand::Stream), Operand::Stream);
        let second = self.hops(&ports(Operand::Second), Operand::Second);
        // sums: every PE must reach an output lane; hops from each PE
        let mut rev = g.clone();
        rev.reverse();
        let outs: Vec<NodeIndex> = g
            .node_indices()
            .filter(|&n| matches!(g[n], Node::Out(_)))
            .collect();
        let to_out = NocGraph {
            graph: rev,
            rows: self.rows,
            cols: self.cols,
        }
        .hops(&outs, Operand::Sum);
        let mut s = NocStats::default();
        for n in g.node_indices() {
            let Node::Pe { row, col, .. } = g[n] else {
                continue;
            };
            let missing = |what: &str| {
                Diagnostic::internal(format!(
                    "the interconnect leaves PE ({row}, {col}) without {what}"
                ))
            };
            let hs = stream[n.index()].ok_or_else(|| missing("the streamed operand"))?;
            second[n.index()].ok_or_else(|| missing("its second operand"))?;
            // the PE's own register is the first of its sum's hops
            let hsum = to_out[n.index()].ok_or_else(|| missing("a way to the accumulator"))?;
            s.max_stream_hops = s.max_stream_hops.max(hs);
            s.max_sum_hops = s.max_sum_hops.max(hsum);
        }
        for e in g.edge_references() {
            let bits = u64::from(e.weight().bits);
            s.links += 1;
            s.link_bits += bits;
            // a link is one PE pitch long when it enters or leaves a PE or a tree register
            let placed = |n: NodeIndex| matches!(g[n], Node::Pe { .. } | Node::Tree { .. });
            if placed(e.source()) || placed(e.target()) {
                *match e.weight().operand {
                    Operand::Stream => &mut s.stream_wire_bits,
                    Operand::Second => &mut s.second_wire_bits,
                    Operand::Sum => &mut s.sum_wire_bits,
                } += bits;
            }
        }
        for n in g.node_indices() {
            match g[n] {
                Node::Register { bits } => s.register_bits += u64::from(bits),
                Node::Pe { bits, .. } => s.register_bits += u64::from(bits),
                Node::Tree { bits, adds } => {
                    s.register_bits += u64::from(bits);
                    s.tree_adders += u64::from(adds);
                }
                Node::BlockAdder { adds, .. } => s.tree_adders += u64::from(adds),
                Node::Port(..) | Node::Out(_) | Node::Window { .. } => {}
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{ArchSpec, Reduce, Stream};

    fn arch(df: Dataflow, r: i64, c: i64, noc: Noc, db: bool) -> Arch {
        ArchSpec::ws("n", r, c, [r * c * 256, r * c * 256, 4 * c * 256], 1, 4, 5)
            .with_dataflow(df)
            .with_noc(noc)
            .with_weight_double_buffer(db)
            .validate()
            .unwrap()
    }

    /// The closed form the area model uses is the graph's count, over shapes and options.
    #[test]
    fn closed_form_counts_equal_the_graph() {
        let nocs = [
            (Stream::Systolic, Reduce::Chain),
            (Stream::Broadcast, Reduce::Chain),
            (Stream::Systolic, Reduce::AdderTree),
            (Stream::Broadcast, Reduce::AdderTree),
        ];
        for (r, c) in [(1, 1), (1, 4), (2, 3), (3, 5), (5, 2), (7, 7), (8, 4)] {
            let mut cases = vec![];
            for (stream, reduce) in nocs {
                for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
                    cases.push(arch(df, r, c, Noc { stream, reduce }, false));
                }
            }
            for stream in [Stream::Systolic, Stream::Broadcast] {
                let reduce = Reduce::Chain;
                cases.push(arch(
                    Dataflow::OutputStationary,
                    r,
                    c,
                    Noc { stream, reduce },
                    false,
                ));
            }
            // double-buffered stationary operands, with every interconnect
            for (stream, reduce) in nocs {
                for df in [Dataflow::WeightStationary, Dataflow::InputStationary] {
                    cases.push(arch(df, r, c, Noc { stream, reduce }, true));
                }
            }
            // row-stationary: input words of R + C - 1 bytes
            let d = r + c - 1;
            cases.push(
                ArchSpec::ws("n", r, c, [d * 256, r * 256, 4 * c * 256], 1, 4, 5)
                    .row_stationary(7)
                    .validate()
                    .unwrap(),
            );
            for a in cases {
                let s = NocGraph::of(&a).check().unwrap();
                let ic = Interconnect::of(&a);
                let pes = u64::from(a.rows() * a.cols());
                assert_eq!(
                    s.register_bits,
                    ic.pe_register_bits * pes + ic.skew_register_bits + ic.tree_register_bits,
                    "{r}x{c} {:?} {:?}",
                    a.dataflow(),
                    a.noc()
                );
                assert_eq!(s.tree_adders, ic.tree_adders);
                let graph_wires = [s.stream_wire_bits, s.second_wire_bits, s.sum_wire_bits];
                assert_eq!(
                    graph_wires,
                    [ic.stream_wire_bits, ic.second_wire_bits, ic.sum_wire_bits],
                    "{r}x{c} {:?} {:?}",
                    a.dataflow(),
                    a.noc()
                );
                assert_eq!(
                    NocActivity::from_parts(&a, &ic, graph_wires),
                    NocActivity::of(&a)
                );
            }
        }
    }

    /// Wires and register writes per event, counted by hand on small arrays.
    #[test]
    fn activity_per_word_and_per_compute() {
        let ws = |noc| arch(Dataflow::WeightStationary, 4, 5, noc, false);
        let a = NocActivity::of(&ws(Noc::default()));
        // a: 8 bits into each of 20 PEs; sums: 32 bits out of each of 20 PEs
        assert_eq!(a.word_wire_bits, 20 * 8 + 20 * 32);
        // PE a and psum registers, input skew 8·(0+1+2+3), output deskew 32·(0+1+2+3+4)
        assert_eq!(a.word_register_bits, 20 * (8 + 32) + 8 * 6 + 32 * 10);
        assert_eq!(a.word_tree_adds, 0);
        // the preload: 4 shifts of every PE's weight over every preload link
        assert_eq!(a.compute_register_bits, 4 * 20 * 8);
        assert_eq!(a.compute_wire_bits, 4 * 20 * 8);
        let bt = NocActivity::of(&ws(Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::AdderTree,
        }));
        // a column's tree of 4: 4 products (16 bits) in, 2 sums (17 bits) in, the root out (32)
        assert_eq!(bt.word_wire_bits, 20 * 8 + 5 * (4 * 16 + 2 * 17 + 32));
        // products 16 bits, tree registers 2 × 17 + 18 per column, no skew or deskew
        assert_eq!(bt.word_register_bits, 20 * 16 + 5 * (2 * 17 + 18));
        assert_eq!(bt.word_tree_adds, 5 * 3);
        let os = NocActivity::of(&arch(
            Dataflow::OutputStationary,
            4,
            5,
            Noc::default(),
            false,
        ));
        assert_eq!(os.word_wire_bits, 2 * 20 * 8);
        assert_eq!(os.word_register_bits, 20 * (8 + 8 + 32) + 8 * (6 + 10));
        // the drain: 4 shifts of every PE's sum
        assert_eq!(os.compute_register_bits, 4 * 20 * 32);
        assert_eq!(os.compute_wire_bits, 4 * 20 * 32);
        // output-stationary with row and column buses: the same links (one into each PE from its
        // row's bus and one from its column's), no skew and no a or b register, the same drain
        let osb = NocActivity::of(&arch(
            Dataflow::OutputStationary,
            4,
            5,
            Noc {
                stream: Stream::Broadcast,
                reduce: Reduce::Chain,
            },
            false,
        ));
        assert_eq!(osb.word_wire_bits, 2 * 20 * 8);
        assert_eq!(osb.word_register_bits, 20 * 32);
        assert_eq!(
            (osb.compute_register_bits, osb.compute_wire_bits),
            (os.compute_register_bits, os.compute_wire_bits)
        );
        // double-buffered weights: the switch bit moves and is kept beside the operand, and a
        // COMPUTE also copies every shadow into the active weight
        let db = NocActivity::of(&arch(
            Dataflow::WeightStationary,
            4,
            5,
            Noc::default(),
            true,
        ));
        assert_eq!(db.word_wire_bits, a.word_wire_bits + 20);
        assert_eq!(db.word_register_bits, a.word_register_bits + 20 + 6);
        assert_eq!(db.compute_register_bits, a.compute_register_bits + 20 * 8);
        // one PE: no skew, deskew or PE-to-PE link, only its own registers and its port links
        let one = NocActivity::of(&arch(
            Dataflow::WeightStationary,
            1,
            1,
            Noc::default(),
            false,
        ));
        assert_eq!(
            (one.word_register_bits, one.word_wire_bits),
            (8 + 32, 8 + 32)
        );
        // only a row-stationary array writes registers per weight word read or per capture
        for x in [a, bt, os, osb, db, one] {
            assert_eq!(
                (
                    x.weight_read_register_bits,
                    x.weight_read_wire_bits,
                    x.capture_register_bits,
                    x.capture_wire_bits
                ),
                (0, 0, 0, 0)
            );
        }
        // row-stationary 4×5: per step every PE's `ps` and one window-bus link into each PE; per
        // weight word one register-file entry of every PE and one row-bus link into each; per
        // capture every PE's `out` and its link to the block adder
        let rs = NocActivity::of(
            &ArchSpec::ws("n", 4, 5, [8 * 256, 4 * 256, 4 * 5 * 256], 1, 4, 5)
                .row_stationary(7)
                .validate()
                .unwrap(),
        );
        assert_eq!(
            rs,
            NocActivity {
                word_register_bits: 20 * 32,
                word_wire_bits: 20 * 8,
                weight_read_register_bits: 20 * 8,
                weight_read_wire_bits: 20 * 8,
                capture_register_bits: 20 * 32,
                capture_wire_bits: 20 * 32,
                ..Default::default()
            }
        );
    }

    #[test]
    fn options_a_stage_lacks_are_refused() {
        let bt = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::AdderTree,
        };
        let os = |noc| {
            ArchSpec::ws("n", 2, 2, [512, 512, 2048], 1, 4, 5)
                .with_dataflow(Dataflow::OutputStationary)
                .with_noc(noc)
                .validate()
        };
        // an output-stationary array has nothing to reduce: adder trees are refused, with or
        // without buses, and the message says what to use instead
        for stream in [Stream::Systolic, Stream::Broadcast] {
            let e = os(Noc {
                stream,
                reduce: Reduce::AdderTree,
            })
            .unwrap_err();
            assert_eq!(e.field.as_deref(), Some("array.noc"), "{e}");
            assert!(
                e.message.contains("AdderTree") && e.message.contains("reduce: Chain"),
                "{e}"
            );
        }
        // its row and column buses are accepted
        let b = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::Chain,
        };
        assert_eq!(os(b).unwrap().noc(), b);
        // with double-buffered weights too (docs/TIMING.md, "double-buffered weights")
        let db = ArchSpec::ws("n", 2, 2, [512, 512, 2048], 1, 4, 5)
            .with_weight_double_buffer(true)
            .with_noc(bt)
            .validate()
            .unwrap();
        assert_eq!((db.noc(), db.weight_double_buffered()), (bt, true));
        // and on an output-stationary array (double-buffered sums) with its own options only
        let os_db = |noc| {
            ArchSpec::ws("n", 2, 2, [512, 512, 2048], 1, 4, 5)
                .with_dataflow(Dataflow::OutputStationary)
                .with_weight_double_buffer(true)
                .with_noc(noc)
                .validate()
        };
        assert_eq!(os_db(bt).unwrap_err().field.as_deref(), Some("array.noc"));
        assert!(os_db(b).unwrap().weight_double_buffered());
        // written in RON, the options parse by name and an unknown one names the field
        let text = "ArchSpec(name: \"n\", array: (rows: 2, cols: 2, dataflow: InputStationary, \
            noc: (stream: Broadcast, reduce: AdderTree)), datatypes: (operand_bits: 8, \
            accumulator_bits: 32), buffers: (input: (capacity_bytes: 512, banks: 1), weight: \
            (capacity_bytes: 512, banks: 1), accumulator: (capacity_bytes: 2048, banks: 1)), \
            dram: (bytes_per_cycle: 4, latency_cycles: 5), clock_mhz: 100.0)";
        let a: ArchSpec = ron::from_str(text).unwrap();
        assert_eq!(a.validate().unwrap().noc(), bt);
        assert!(ron::from_str::<ArchSpec>(&text.replace("AdderTree", "Ring")).is_err());
    }

    #[test]
    fn hop_counts_follow_the_options() {
        let (r, c) = (4, 5);
        let s = |noc, df| NocGraph::of(&arch(df, r, c, noc, false)).check().unwrap();
        let ws = Dataflow::WeightStationary;
        let default = s(Noc::default(), ws);
        // row 3's operand: 3 skew stages, then 5 PEs; a sum: 4 PEs down, then 4 deskew stages
        assert_eq!(
            (default.max_stream_hops, default.max_sum_hops),
            (3 + 5, 4 + 4)
        );
        let bt = s(
            Noc {
                stream: Stream::Broadcast,
                reduce: Reduce::AdderTree,
            },
            ws,
        );
        // a broadcast reaches every PE of a row at once; a tree of 4 is 2 levels
        assert_eq!((bt.max_stream_hops, bt.max_sum_hops), (1, 1 + 2));
        assert_eq!(bt.tree_adders, 3 * 5);
        let os = s(Noc::default(), Dataflow::OutputStationary);
        assert_eq!(os.max_stream_hops, 3 + 5);
        // row buses: every PE one hop (its own register) from its port, the drain unchanged
        let osb = s(
            Noc {
                stream: Stream::Broadcast,
                reduce: Reduce::Chain,
            },
            Dataflow::OutputStationary,
        );
        assert_eq!(osb.max_stream_hops, 1);
        assert_eq!(osb.max_sum_hops, os.max_sum_hops);
        assert_eq!(osb.max_sum_hops, 4);
    }
}
