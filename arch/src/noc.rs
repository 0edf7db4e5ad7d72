//! The array's interconnect as a graph (petgraph), built from the description: the buffer ports,
//! the skew registers, the PEs, the adder trees, the deskew registers and the accumulator's write
//! lanes as nodes; every wire that carries an operand or a partial sum as a link, with its width.
//!
//! [`NocGraph::check`] walks it: every PE is reached by the streamed operand, by the preloaded (or
//! second streamed) operand and delivers its sum to an accumulator lane; it returns the hop counts
//! (registers crossed) and the link and register totals ([`NocStats`]). [`Interconnect::of`] gives
//! the same register and adder counts in closed form for the area model, which runs for every
//! search candidate (a test holds the two to each other over shapes and options).
//!
//! What it models: which registers and adders the dataflow and `array.noc` put between the
//! buffers and the PEs (docs/TIMING.md). What it leaves out: wire lengths and fan-out (a broadcast
//! row bus is one link per PE here), link energy (the energy model has no wire or register energy),
//! and contention — every link carries one value per cycle and none is shared, so there is none to
//! model until a design shares links.

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
            // a and b pass through, the sum stays; a skewed over rows, b over columns
            Dataflow::OutputStationary => Interconnect {
                pe_register_bits: 2 * ob + ab,
                skew_register_bits: ob * (tri(r) + tri(c)),
                ..Default::default()
            },
            Dataflow::WeightStationary | Dataflow::InputStationary => {
                let systolic = noc.stream == Stream::Systolic;
                let chain = noc.reduce == Reduce::Chain;
                // the stationary operand, the streamed one's register (systolic), the sum or
                // product; double-buffered weights add the shadow and the switch bit
                // an adder tree's PE keeps its product's 2·OB significant bits (the rest of the
                // AB-bit register is its sign, which synthesis shares); tree level l's sums 2·OB + l
                let sum = if chain { ab } else { (2 * ob).min(ab) };
                let pe = ob + if systolic { ob } else { 0 } + sum + if db { ob + 1 } else { 0 };
                let skew = if chain { ob * tri(r) } else { 0 }
                    + if systolic { ab * tri(c) } else { 0 }
                    + if db { tri(r) } else { 0 };
                let (mut regs, mut adders, mut n, mut level) = (0, 0, r, 0);
                if !chain {
                    while n > 1 {
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
            Dataflow::OutputStationary => {
                for row in 0..r {
                    let p = g.add_node(Node::Port(Operand::Stream, row));
                    let end = chain(&mut g, p, row, ob, Operand::Stream);
                    g.add_edge(end, pe(row, 0), link(Operand::Stream, ob));
                    for col in 1..c {
                        g.add_edge(pe(row, col - 1), pe(row, col), link(Operand::Stream, ob));
                    }
                }
                for col in 0..c {
                    let p = g.add_node(Node::Port(Operand::Second, col));
                    let end = chain(&mut g, p, col, ob, Operand::Second);
                    g.add_edge(end, pe(0, col), link(Operand::Second, ob));
                    for row in 1..r {
                        g.add_edge(pe(row - 1, col), pe(row, col), link(Operand::Second, ob));
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
                        // the switch bit's skew chain travels beside the operand's
                        chain(&mut g, p, row, 1, Operand::Stream);
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
                        let mut level: Vec<NodeIndex> = (0..r).map(|row| pe(row, col)).collect();
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
                                    for &x in pair {
                                        g.add_edge(x, t, link(Operand::Sum, ab));
                                    }
                                    t
                                })
                                .collect();
                        }
                        level[0]
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
                // a hop is a register: every node but a port or an output lane holds one
                let w = u32::from(!matches!(g[y], Node::Out(_) | Node::Port(..)));
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
            s.links += 1;
            s.link_bits += u64::from(e.weight().bits);
        }
        for n in g.node_indices() {
            match g[n] {
                Node::Register { bits } => s.register_bits += u64::from(bits),
                Node::Pe { bits, .. } => s.register_bits += u64::from(bits),
                Node::Tree { bits, adds } => {
                    s.register_bits += u64::from(bits);
                    s.tree_adders += u64::from(adds);
                }
                Node::Port(..) | Node::Out(_) => {}
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
            cases.push(arch(
                Dataflow::OutputStationary,
                r,
                c,
                Noc::default(),
                false,
            ));
            cases.push(arch(Dataflow::WeightStationary, r, c, Noc::default(), true));
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
            }
        }
    }

    #[test]
    fn options_a_stage_lacks_are_refused() {
        let bt = Noc {
            stream: Stream::Broadcast,
            reduce: Reduce::AdderTree,
        };
        let os = ArchSpec::ws("n", 2, 2, [512, 512, 2048], 1, 4, 5)
            .with_dataflow(Dataflow::OutputStationary)
            .with_noc(bt)
            .validate()
            .unwrap_err();
        assert_eq!(os.field.as_deref(), Some("array.noc"), "{os}");
        let db = ArchSpec::ws("n", 2, 2, [512, 512, 2048], 1, 4, 5)
            .with_weight_double_buffer(true)
            .with_noc(bt)
            .validate()
            .unwrap_err();
        assert_eq!(db.field.as_deref(), Some("array.noc"), "{db}");
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
    }
}
