//! A learned predictor of a design's whole-workload latency (cycles) and energy (pJ), trained on
//! designs of some networks and adapted to a new network with a few labelled designs of it (as the
//! transferable predictors of Wu et al.), for screening thousands of candidates per second.
//!
//! What it models. The predictor works **per layer** and sums over the layers (layers run back to
//! back, as [`evaluate`] sums them): a network it has never seen is made of GEMM, convolution and
//! batched-matmul layers whose shapes it can describe, so the model transfers through the layer
//! shape rather than through the network's name. For each (design, layer) it computes
//! [`FEATURES`] physically-motivated features ([`layer_features`], named in [`FEATURE_NAMES`]):
//! logs of M, K, N, the instances (groups or batch), rows, columns and PEs; the dataflow,
//! convolution / depthwise flags, kernel area and stride; the ideal compute cycles with ceilings
//! (weight-stationary `I·⌈K/R⌉·⌈N/C⌉·M`, output-stationary `I·⌈M/R⌉·⌈N/C⌉·K`), the utilisation
//! they imply, `MACs / PEs`, and the array's fill per tile; the DMA's time (whole words, at most
//! one per cycle and `W` bytes per cycle on average, the DRAM latency per tile) and the DRAM bytes
//! (linear transfers padded to words, a convolution's gather unpadded), with what re-reading
//! would cost; each buffer's bank depth in words and how much of the layer it holds; tile counts;
//! energy components priced by [`EnergyTable`] (which grows with the buffers); and, strongest,
//! the analytical model's **closed form for the mapper's default mapping**
//! ([`Mapping::default_for`]: the longest stream, the widest output tile; and what keeping an A
//! or B panel, [`Keep`], would save on its tiles) through
//! [`lower_bound`]: a lower bound on its cycles and its exact energy, computed per tile class
//! without any mapping search (microseconds). The learned targets are the ratios
//! `ln(cycles / default-mapping cycle bound)` and `ln(energy / default-mapping energy)` of the
//! mapper's best mapping: they stay in a narrow range whatever the layer's size, so trees (which
//! cannot extrapolate) transfer to networks with larger or smaller layers than the training ones.
//! In words: the model learns how much better than its default mapping the mapper does on a
//! layer of this shape on this design. (Measured while building it on the `predictor` example:
//! without the default-mapping features and references, the same learner's energy MAPE after
//! fine-tuning was 5.3–5.8 % instead of about 1 % with them at the time; the example now gives
//! 0.95 % on dqn and 1.81 % on alexnet.) Rows are weighted by the layer's share of its
//! design's total (with a floor), since the totals are what is predicted.
//!
//! The learner is a small gradient-boosted regression-tree ensemble of its own ([`Gbdt`]:
//! least squares, depth-wise trees over quantile-binned features, shrinkage, L2 on leaves),
//! one for each target. Why not a crate (checked with `cargo info`): `gbdt` 0.1.3 (an inactive
//! project: `f32` values, sampling through an unseeded `thread_rng`, rand 0.8 beside the
//! workspace's 0.10), `forust-ml` 0.8 (no licence in its crates.io metadata, rayon inside
//! training, rand 0.8 and thiserror 1), `perpetual` 3.0 (a release candidate that pulls
//! `sysinfo`, and its self-tuning budget does not let one add a few trees to an existing model for
//! fine-tuning); linfa-trees / smartcore have no boosting. This one is ~300 lines,
//! deterministic, and can continue boosting from any model (fine-tuning).
//!
//! Labels are the analytical model's per-layer cycles and energy under the mapper
//! ([`evaluate`]: the best mapping per layer for the objective), which Tessera validates against
//! the cycle simulator (the analytical model is exact with respect to it; `tessera_sim`'s tests
//! and the search's top-K re-simulation check it), so the predictor learns the cycle simulator's
//! figures without running it. Labelling, the features and each node's per-feature split search
//! are rayon-parallel, always combined in a fixed order (splits: the best gain, ties to the lowest
//! feature and bin): the same data and parameters give the same model and predictions whatever
//! the thread count.
//!
//! Fine-tuning on a target network ([`Predictor::fine_tune`], [`FineTune`]): with a few labelled
//! designs of it, either a per-target linear correction of the log totals (`ln y = a + b ln ŷ`,
//! least squares, `b` clamped to `[0.5, 2]`; it cannot change the ranking), or a few more boosted trees
//! fitted to the per-layer log residuals of the target's designs (it can), or both. The example
//! `predictor` measures which works.
//!
//! What it leaves out: the features describe one base technology, datatypes and DRAM channel
//! (they are inputs, but the training data vary only the searched parameters, so other bases are
//! extrapolation); designs that fail validation or mapping are not labelled, and the predictor
//! does not predict mappability (it gives a figure for any design it can build whose layers fit
//! the gather registers); layers much larger than the training networks' are extrapolated through
//! the ratios only (vgg16's 224×224 convolutions: the weakest held-out network in the example);
//! there is no uncertainty estimate; weight double-buffering is not a feature of its own (only
//! the default mapping's closed-form cost reflects it) and the measured spaces have none, so
//! double-buffered designs are extrapolation; input-stationary designs share the weight-stationary
//! features and are not in the measured spaces either; the DMA's words per cycle
//! (`dram.words_per_cycle`) is not a feature, so designs with several are extrapolation too;
//! row-stationary designs (Eyeriss's passes of 1-D convolutions, not a GEMM tiling) have two
//! features of their own (a flag and the log of the register file), but the GEMM-tiled closed
//! forms above describe them only roughly and their default mapping is the smallest pass, so they
//! are extrapolation unless the training designs include them; one predictor serves one mapper
//! objective and one mapper
//! budget (the labels' mappings depend on them: [`evaluate`] uses the full mapping space); and it
//! is the model of the predictor-guided search strategy ([`crate::guided`]) only as fitted to a
//! run's own evaluations: a pre-trained, fine-tuned [`Predictor`] is not a strategy's input yet.

use crate::eval::{evaluate, Objective};
use crate::space::{DesignPoint, SearchSpace};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tessera_arch::{Arch, Dataflow};
use tessera_core::diag::{Diagnostic, Result};
use tessera_mapping::{Keep, Mapping, Problem};
use tessera_sim::mapper::lower_bound;
use tessera_sim::EnergyTable;
use tessera_workloads::{Layer, Workload};

/// Number of features per (design, layer).
pub const FEATURES: usize = FEATURE_NAMES.len();

/// Names of the features, in [`layer_features`]' order (for reports).
pub const FEATURE_NAMES: [&str; 64] = [
    "ln_m",
    "ln_k",
    "ln_n",
    "ln_instances",
    "ln_rows",
    "ln_cols",
    "ln_pes",
    "output_stationary",
    "conv",
    "depthwise",
    "ln_kernel_area",
    "stride",
    "ln_ideal_compute_cycles",
    "utilisation",
    "ln_macs_per_pe",
    "ln_compute_with_fill_cycles",
    "ln_min_tiles",
    "ln_dma_input_cycles",
    "ln_dma_weight_cycles",
    "ln_dma_output_cycles",
    "ln_dma_latency_cycles",
    "ln_dma_cycles",
    "ln_dma_input_reread_cycles",
    "ln_reference_cycles",
    "ln_compute_over_dma",
    "ln_input_bank_words",
    "ln_weight_bank_words",
    "ln_accumulator_bank_words",
    "banks",
    "ln_input_fit",
    "ln_weight_fit",
    "ln_accumulator_fit",
    "ln_k_tiles",
    "ln_n_tiles",
    "ln_m_tiles",
    "ln_stream_passes",
    "ln_dram_bytes",
    "ln_dram_reread_bytes",
    "ln_dram_input_bytes",
    "ln_dram_weight_bytes",
    "ln_dram_output_bytes",
    "ln_mac_energy_pj",
    "ln_sram_energy_pj",
    "ln_dram_energy_pj",
    "ln_reference_energy_pj",
    "ln_word_over_bandwidth",
    "dram_input_share",
    "dram_weight_share",
    "ln_reread_over_min",
    "ln_input_words_per_k_tile",
    "ln_weight_words_per_k",
    "ln_accumulator_words_per_n_tile",
    "ln_default_mapping_cycles",
    "ln_default_mapping_energy_pj",
    "ln_default_over_reference_cycles",
    "ln_default_over_reference_energy",
    "ln_dram_latency",
    "weight_double_buffered",
    "a_panel_ln_cycles_ratio",
    "a_panel_ln_energy_ratio",
    "b_panel_ln_cycles_ratio",
    "b_panel_ln_energy_ratio",
    "row_stationary",
    "ln_rf_weights",
];

fn ln(x: f64) -> f64 {
    x.max(1e-300).ln()
}

/// One (design, layer)'s features and the two references its targets are relative to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerFeatures {
    pub x: [f64; FEATURES],
    /// The analytical model's lower bound on the cycles of the mapper's default mapping
    /// ([`lower_bound`]); if it fails, a first-order estimate (compute with the array's fill per
    /// tile and the DMA's time, overlapped when every buffer has two banks). In cycles.
    pub reference_cycles: f64,
    /// The analytical model's energy of the default mapping (or, if that fails, MACs, the
    /// interconnect, buffer accesses and DRAM bytes priced by [`EnergyTable`]). In pJ.
    pub reference_energy_pj: f64,
}

/// The features of `layer` on `arch` (see the module docs). Errors when the layer cannot run on
/// the accelerator (`Problem::new`: a convolution's sizes exceed the gather registers).
pub fn layer_features(arch: &Arch, layer: &Layer) -> Result<LayerFeatures> {
    layer_features_with(arch, &EnergyTable::of(arch), layer)
}

/// [`layer_features`] with the accelerator's energy table computed once.
pub(crate) fn layer_features_with(
    arch: &Arch,
    e: &EnergyTable,
    layer: &Layer,
) -> Result<LayerFeatures> {
    let p = Problem::new(layer, arch)?;
    let f = |x: u32| f64::from(x);
    let (i, m, k, n) = (f(p.instances), f(p.gemm.m), f(p.gemm.k), f(p.gemm.n));
    let (r, c) = (f(arch.rows()), f(arch.cols()));
    let pes = r * c;
    let os = arch.dataflow() == Dataflow::OutputStationary;
    let dt = arch.datatypes();
    let (ob, ab) = (f(dt.operand_bytes()), f(dt.accumulator_bytes()));
    let macs = layer.macs() as f64;
    // ceil-based passes over the array
    let (kt, nt, mt) = ((k / r).ceil(), (n / c).ceil(), (m / r).ceil());
    let ideal = if os { i * mt * nt * k } else { i * kt * nt * m };
    let bank_words = |b: &tessera_arch::Buffer| f(b.bank_depth());
    let (iw, ww, aw) = (
        bank_words(arch.input()),
        bank_words(arch.weight()),
        bank_words(arch.accumulator()),
    );
    // The streamed dimension (WS: M rows of A; OS: the depth K) per tile is limited by the bank
    // depths of the buffers it streams through.
    let (streamed, depth) = if os { (k, iw.min(ww)) } else { (m, iw.min(aw)) };
    let passes = (streamed / depth.max(1.0)).ceil();
    let tiles = if os {
        i * mt * nt * passes
    } else {
        i * kt * nt * passes
    };
    // an array tile's fill and drain
    let fill = 2.0 * r + c;
    let compute = ideal + tiles * fill;
    // The DMA moves whole words, one per cycle at most, W bytes per cycle on average, and each
    // transfer waits the DRAM latency; the least words: every operand word and output word once.
    let w_bw = f(arch.dram().bytes_per_cycle());
    let lat = arch.dram().latency().get() as f64;
    let word_time = |bytes: f64| (bytes / w_bw).max(1.0);
    let (in_words, w_words, out_words) = if os {
        (i * mt * k, i * k * nt, i * m * nt)
    } else {
        (i * m * kt, i * k * nt, i * m * nt)
    };
    let dma_in = in_words * word_time(r * ob);
    let dma_w = w_words * word_time(c * ob);
    let dma_out = out_words * word_time(c * ab);
    // WS re-reads its inputs for every column tile and OS its weights for every row tile unless
    // a buffer keeps them
    let dma_reread = if os { dma_w * mt } else { dma_in * nt };
    let dma_lat = tiles * lat;
    let dma = dma_in + dma_w + dma_out + dma_lat;
    let reference_cycles = if arch.double_buffered() {
        compute.max(dma)
    } else {
        compute + dma
    };
    // The least DRAM traffic in bytes: every weight and output once, and the input as the
    // DMA reads it (a convolution's gather reads its implicit im2col matrix, every kernel
    // position separately, without the padding).
    let (kernel_area, unpadded_k) = match layer {
        Layer::Conv2d(cv) => {
            let area = f(cv.kernel[0]) * f(cv.kernel[1]);
            (area, area * f(cv.group_channels().0))
        }
        _ => (1.0, k),
    };
    // Linear transfers move whole words (a GEMM's input rows padded to `R` bytes, weight rows
    // to `C`, output rows to `C` lanes); a gather reads only the bytes inside the tensor.
    let conv_layer = matches!(layer, Layer::Conv2d(_));
    let in_bytes = if conv_layer {
        i * m * unpadded_k * ob
    } else if os {
        i * k * mt * r * ob
    } else {
        i * m * kt * r * ob
    };
    let w_bytes = i * k * nt * c * ob;
    let out_bytes = i * m * nt * c * ab;
    let dram_bytes = in_bytes + w_bytes + out_bytes;
    // what re-reading costs: WS reads its inputs again for every column tile, OS its weights for
    // every row tile, and both reload the stationary operand for every pass of the stream
    let reread_bytes = if os {
        in_bytes * nt + w_bytes * mt + out_bytes
    } else {
        in_bytes * nt + w_bytes * passes + out_bytes
    };
    // per instance: how much of each operand one buffer holds
    let input_fit = arch.input().capacity().get() as f64 / (m * k * ob).max(1.0);
    let weight_fit = arch.weight().capacity().get() as f64 / (k * n * ob).max(1.0);
    let acc_fit = arch.accumulator().capacity().get() as f64 / (m * n * ab).max(1.0);
    // The array's MACs count every PE of every streamed cycle (padding included); each streamed
    // cycle reads an input word (and OS a weight word) and WS writes an accumulator word.
    let mac_e = ideal * pes * e.mac_pj;
    // the interconnect: per MAC slot (the streamed words) and per tile (preload or drain)
    let noc_e = ideal * pes * e.noc_mac_slot_pj + tiles * e.noc_compute_pj;
    let sram_e = if os {
        ideal * (e.input_read_pj + e.weight_read_pj)
            + out_words * e.accumulator_write_pj
            + in_words * e.input_write_pj
            + w_words * e.weight_write_pj
    } else {
        ideal * (e.input_read_pj + e.accumulator_write_pj)
            + ideal * (1.0 - 1.0 / kt.max(1.0)) * e.accumulator_read_pj
            + tiles * r * e.weight_read_pj
            + in_words * e.input_write_pj
            + w_words * e.weight_write_pj
    };
    let dram_e = dram_bytes * e.dram_byte_pj;
    let reference_energy_pj = mac_e + noc_e + sram_e + dram_e;
    let (conv, depthwise, stride) = match layer {
        Layer::Conv2d(cv) => (
            1.0,
            if cv.is_depthwise() { 1.0 } else { 0.0 },
            f(cv.stride[0].max(cv.stride[1])),
        ),
        _ => (0.0, 0.0, 1.0),
    };
    // The analytical model's closed form for the mapper's default mapping (longest stream, widest
    // output tile): a lower bound on its cycles and its exact energy, without a mapping search.
    let default = Mapping::default_for(&p.gemm, arch);
    let bound = |m: &Mapping| match lower_bound(&p, arch, m) {
        Ok((c, e)) if c > 0 && e > 0.0 => Some((c as f64, e)),
        _ => None,
    };
    let (default_cycles, default_energy) =
        bound(&default).unwrap_or((reference_cycles, reference_energy_pj));
    // The same tiles with a kept A or B panel, shrunk to fit (`Mapping::with_panel`): how much of
    // the DRAM traffic and time the buffers' arrangement saves (ln ratios to the default's; 0 when
    // no panel fits).
    let panel = |keep: Keep| {
        default
            .with_panel(keep, &p.gemm, arch)
            .and_then(|m| bound(&m))
            .map_or((0.0, 0.0), |(c, e)| {
                (ln(c) - ln(default_cycles), ln(e) - ln(default_energy))
            })
    };
    let (a_panel, b_panel) = (panel(Keep::InputPanel), panel(Keep::WeightPanel));
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let x = [
        ln(m),
        ln(k),
        ln(n),
        ln(i),
        ln(r),
        ln(c),
        ln(pes),
        flag(os),
        conv,
        depthwise,
        ln(kernel_area),
        stride,
        ln(ideal),
        macs / (ideal * pes).max(1.0),
        ln(macs / pes),
        ln(compute),
        ln(tiles),
        ln(dma_in),
        ln(dma_w),
        ln(dma_out),
        ln(dma_lat),
        ln(dma),
        ln(dma_reread),
        ln(reference_cycles),
        ln(compute) - ln(dma),
        ln(iw),
        ln(ww),
        ln(aw),
        f(arch.input().banks()),
        ln(input_fit),
        ln(weight_fit),
        ln(acc_fit),
        ln(kt),
        ln(nt),
        ln(mt),
        ln(passes),
        ln(dram_bytes),
        ln(reread_bytes),
        ln(in_bytes),
        ln(w_bytes),
        ln(out_bytes),
        ln(mac_e),
        ln(sram_e),
        ln(dram_e),
        ln(reference_energy_pj),
        ln(r.max(c) * ob / w_bw),
        in_bytes / dram_bytes,
        w_bytes / dram_bytes,
        ln(reread_bytes) - ln(dram_bytes),
        ln(iw / kt.max(1.0)),
        ln(ww / k.max(1.0)),
        ln(aw / nt.max(1.0)),
        ln(default_cycles),
        ln(default_energy),
        ln(default_cycles) - ln(reference_cycles),
        ln(default_energy) - ln(reference_energy_pj),
        ln(lat.max(1.0)),
        flag(arch.weight_double_buffered()),
        a_panel.0,
        a_panel.1,
        b_panel.0,
        b_panel.1,
        // last, so that on designs without row-stationary they are constant and never split:
        // the other designs' models are what they were
        flag(arch.dataflow() == Dataflow::RowStationary),
        ln(f(arch.rf_weights().max(1))),
    ];
    Ok(LayerFeatures {
        x,
        reference_cycles: default_cycles.max(1.0),
        reference_energy_pj: default_energy.max(1e-9),
    })
}

// ---------------------------------------------------------------------------------------------
// The learner: gradient-boosted regression trees, least squares.

/// Hyper-parameters of [`Gbdt`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GbdtParams {
    /// Trees to add.
    pub trees: usize,
    /// Depth of each tree (levels of splits; a tree has at most `2^depth` leaves).
    pub depth: usize,
    /// Shrinkage applied to each tree's leaves.
    pub learning_rate: f64,
    /// Least rows in a leaf.
    pub min_leaf: usize,
    /// L2 penalty on leaf values (added to the leaf's row count).
    pub lambda: f64,
    /// Most quantile bins per feature (at most 256).
    pub bins: usize,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            trees: 300,
            depth: 6,
            learning_rate: 0.1,
            min_leaf: 8,
            lambda: 1.0,
            bins: 64,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// `x[feature] <= threshold` goes to `left`, else `right` (indices into the tree's nodes).
    Split {
        feature: usize,
        threshold: f64,
        left: usize,
        right: usize,
    },
    Leaf(f64),
}

#[derive(Clone, Debug, PartialEq)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn predict(&self, x: &[f64]) -> f64 {
        let mut i = 0;
        loop {
            match self.nodes[i] {
                Node::Leaf(v) => return v,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => i = if x[feature] <= threshold { left } else { right },
            }
        }
    }
}

/// A gradient-boosted ensemble of regression trees (least squares): `init + Σ trees`.
#[derive(Clone, Debug, PartialEq)]
pub struct Gbdt {
    init: f64,
    trees: Vec<Tree>,
    features: usize,
}

/// Features binned for training: per feature, its cut points, and every row's bin.
struct Binned {
    /// Per feature, ascending thresholds: bin `b` holds values in `(cuts[b-1], cuts[b]]`.
    cuts: Vec<Vec<f64>>,
    /// Column-major: `bins[f * rows + row]`.
    bins: Vec<u8>,
    rows: usize,
}

impl Binned {
    fn new(x: &[Vec<f64>], features: usize, max_bins: usize) -> Binned {
        let rows = x.len();
        let max_bins = max_bins.clamp(2, 256);
        let mut cuts = Vec::with_capacity(features);
        let mut bins = vec![0u8; rows * features];
        for f in 0..features {
            let mut v: Vec<f64> = x.iter().map(|r| r[f]).collect();
            v.sort_by(f64::total_cmp);
            v.dedup();
            // thresholds: midpoints between distinct values at (approximate) quantiles
            let mut c: Vec<f64> = if v.len() <= max_bins {
                v.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
            } else {
                (1..max_bins)
                    .map(|q| {
                        let j = q * v.len() / max_bins;
                        0.5 * (v[j - 1] + v[j])
                    })
                    .collect()
            };
            c.dedup();
            for (row, r) in x.iter().enumerate() {
                bins[f * rows + row] = c.partition_point(|&t| t < r[f]) as u8;
            }
            cuts.push(c);
        }
        Binned { cuts, bins, rows }
    }
}

impl Gbdt {
    /// Fit `params.trees` trees to `(x, y)` from the mean of `y`. Rows must all have the same
    /// length. Errors on empty or ragged data, or non-finite values.
    pub fn fit(x: &[Vec<f64>], y: &[f64], params: &GbdtParams) -> Result<Gbdt> {
        Gbdt::fit_weighted(x, y, &vec![1.0; y.len()], params)
    }

    /// [`Gbdt::fit`] with a positive weight per row (weighted least squares).
    pub fn fit_weighted(x: &[Vec<f64>], y: &[f64], w: &[f64], params: &GbdtParams) -> Result<Gbdt> {
        check_data(x, y, w)?;
        let init = y.iter().zip(w).map(|(y, w)| y * w).sum::<f64>() / w.iter().sum::<f64>();
        let mut g = Gbdt {
            init,
            trees: vec![],
            features: x[0].len(),
        };
        g.boost_weighted(x, y, w, params)?;
        Ok(g)
    }

    /// Add `params.trees` trees fitted to the residuals of `(x, y)` under the current model
    /// (continued boosting: fine-tuning on new data).
    pub fn boost(&mut self, x: &[Vec<f64>], y: &[f64], params: &GbdtParams) -> Result<()> {
        self.boost_weighted(x, y, &vec![1.0; y.len()], params)
    }

    /// [`Gbdt::boost`] with a positive weight per row.
    pub fn boost_weighted(
        &mut self,
        x: &[Vec<f64>],
        y: &[f64],
        w: &[f64],
        params: &GbdtParams,
    ) -> Result<()> {
        check_data(x, y, w)?;
        if x[0].len() != self.features {
            return Err(Diagnostic::new(format!(
                "rows have {} features, the model {}",
                x[0].len(),
                self.features
            )));
        }
        let binned = Binned::new(x, self.features, params.bins);
        let mut residual: Vec<f64> = x.iter().zip(y).map(|(r, &t)| t - self.predict(r)).collect();
        for _ in 0..params.trees {
            let tree = grow(&binned, &residual, w, params);
            for (row, res) in residual.iter_mut().enumerate() {
                *res -= tree.predict(&x[row]);
            }
            self.trees.push(tree);
        }
        Ok(())
    }

    /// The model's value at `x`.
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.init + self.trees.iter().map(|t| t.predict(x)).sum::<f64>()
    }

    /// Trees in the ensemble.
    pub fn trees(&self) -> usize {
        self.trees.len()
    }
}

fn check_data(x: &[Vec<f64>], y: &[f64], w: &[f64]) -> Result<()> {
    if x.is_empty() || x.len() != y.len() || x.len() != w.len() {
        return Err(Diagnostic::new(format!(
            "need as many rows as targets and weights, at least one: {} rows, {} targets, {} \
             weights",
            x.len(),
            y.len(),
            w.len()
        )));
    }
    if w.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
        return Err(Diagnostic::new("weights must be finite and positive"));
    }
    let f = x[0].len();
    if f == 0 || x.iter().any(|r| r.len() != f) {
        return Err(Diagnostic::new("rows must have the same, non-zero length"));
    }
    if x.iter().flatten().chain(y).any(|v| !v.is_finite()) {
        return Err(Diagnostic::new("features and targets must be finite"));
    }
    Ok(())
}

/// A node's rows and their weighted residual sum and weight.
struct NodeStats<'a> {
    rows: &'a [usize],
    s: f64,
    w: f64,
}

/// The best split of `node` on feature `f`: `(gain, bin)`, rows with `bin <= b` going left; the
/// lowest bin among equal gains. `None` when no split leaves `min_leaf` rows on both sides and
/// gains.
fn best_split(
    b: &Binned,
    f: usize,
    node: &NodeStats,
    residual: &[f64],
    weight: &[f64],
    p: &GbdtParams,
) -> Option<(f64, usize)> {
    let nb = b.cuts[f].len() + 1;
    if nb < 2 {
        return None;
    }
    let mut hist_s = [0.0f64; 256];
    let mut hist_w = [0.0f64; 256];
    let mut hist_n = [0usize; 256];
    let col = &b.bins[f * b.rows..(f + 1) * b.rows];
    for &r in node.rows {
        let bin = usize::from(col[r]);
        hist_s[bin] += weight[r] * residual[r];
        hist_w[bin] += weight[r];
        hist_n[bin] += 1;
    }
    let parent = node.s * node.s / (node.w + p.lambda);
    let total_n = node.rows.len();
    let (mut ls, mut lw, mut ln_) = (0.0, 0.0, 0usize);
    let mut best: Option<(f64, usize)> = None;
    for bin in 0..nb - 1 {
        ls += hist_s[bin];
        lw += hist_w[bin];
        ln_ += hist_n[bin];
        let rn = total_n - ln_;
        if ln_ < p.min_leaf || rn < p.min_leaf {
            continue;
        }
        let (rs, rw) = (node.s - ls, node.w - lw);
        let gain = ls * ls / (lw + p.lambda) + rs * rs / (rw + p.lambda) - parent;
        if gain > 1e-12 && best.is_none_or(|(g, _)| gain > g) {
            best = Some((gain, bin));
        }
    }
    best
}

/// One least-squares tree on `residual`, grown level by level; leaves are shrunk by the learning
/// rate.
fn grow(b: &Binned, residual: &[f64], weight: &[f64], p: &GbdtParams) -> Tree {
    let lr = p.learning_rate;
    let leaf = |rows: &[usize]| {
        let s: f64 = rows.iter().map(|&r| weight[r] * residual[r]).sum();
        let w: f64 = rows.iter().map(|&r| weight[r]).sum();
        Node::Leaf(lr * s / (w + p.lambda))
    };
    let all: Vec<usize> = (0..b.rows).collect();
    let mut nodes = vec![leaf(&all)];
    // nodes of the current level that may split, with their rows
    let mut frontier: Vec<(usize, Vec<usize>)> = vec![(0, all)];
    let features = b.cuts.len();
    for _ in 0..p.depth {
        let mut next = vec![];
        for (id, rows) in frontier {
            if rows.len() < 2 * p.min_leaf.max(1) {
                continue;
            }
            let total_s: f64 = rows.iter().map(|&r| weight[r] * residual[r]).sum();
            let total_w: f64 = rows.iter().map(|&r| weight[r]).sum();
            let node = NodeStats {
                rows: &rows,
                s: total_s,
                w: total_w,
            };
            // Each feature's best split, in parallel; then the best of them in feature order
            // (strict: ties keep the lowest feature), so the tree does not depend on the thread
            // count.
            let per_feature: Vec<Option<(f64, usize)>> = (0..features)
                .into_par_iter()
                .map(|f| best_split(b, f, &node, residual, weight, p))
                .collect();
            let mut best: Option<(f64, usize, usize)> = None;
            for (f, found) in per_feature.into_iter().enumerate() {
                if let Some((gain, bin)) = found {
                    if best.is_none_or(|(g, _, _)| gain > g) {
                        best = Some((gain, f, bin));
                    }
                }
            }
            let Some((_, f, bin)) = best else { continue };
            let col = &b.bins[f * b.rows..(f + 1) * b.rows];
            let (l, r): (Vec<usize>, Vec<usize>) =
                rows.iter().partition(|&&row| usize::from(col[row]) <= bin);
            let (li, ri) = (nodes.len(), nodes.len() + 1);
            nodes.push(leaf(&l));
            nodes.push(leaf(&r));
            nodes[id] = Node::Split {
                feature: f,
                threshold: b.cuts[f][bin],
                left: li,
                right: ri,
            };
            next.push((li, l));
            next.push((ri, r));
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    Tree { nodes }
}

// ---------------------------------------------------------------------------------------------
// Data: random designs, labelled by the analytical model.

/// A design labelled by the analytical model on one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Labelled {
    pub point: DesignPoint,
    /// Per layer, in the workload's order: `(cycles, energy in pJ)`.
    pub layers: Vec<(u64, f64)>,
    /// Whole-workload cycles (the layers' sum).
    pub cycles: u64,
    /// Whole-workload energy in pJ.
    pub energy_pj: f64,
}

/// `n` distinct points of `space` drawn uniformly (seeded ChaCha8) whose accelerator validates
/// on `base` and is not in `exclude`, in draw order. Errors if the space cannot supply them
/// (after `1000 × n` draws).
pub fn random_points(
    space: &SearchSpace,
    base: &Arch,
    n: usize,
    seed: u64,
    exclude: &BTreeSet<DesignPoint>,
) -> Result<Vec<DesignPoint>> {
    let s = space.to_space()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(n);
    let max_draws = n.saturating_mul(1000).max(1000);
    for _ in 0..max_draws {
        if out.len() == n {
            break;
        }
        let mut g = [0u16; crate::space::GENES];
        for (i, x) in g.iter_mut().enumerate() {
            *x = rng.random_range(0..s.len(i)) as u16;
        }
        let p = s.point(&g);
        if exclude.contains(&p) || !seen.insert(p) {
            continue;
        }
        if p.to_arch(base).is_ok() {
            out.push(p);
        }
    }
    if out.len() < n {
        return Err(Diagnostic::new(format!(
            "the space supplied {} valid distinct points, {n} were asked for",
            out.len()
        )));
    }
    Ok(out)
}

/// Label `points` on `workload` with the analytical model under the mapper ([`evaluate`] with
/// `objective`), in parallel, in order. Points whose accelerator does not validate or whose
/// layers cannot all be mapped are left out; the second value counts them.
pub fn label(
    base: &Arch,
    workload: &Workload,
    points: &[DesignPoint],
    objective: Objective,
) -> (Vec<Labelled>, usize) {
    let out: Vec<Option<Labelled>> = points
        .par_iter()
        .map(|p| {
            let arch = p.to_arch(base).ok()?;
            let ev = evaluate(&arch, workload, objective).ok()?;
            Some(Labelled {
                point: *p,
                layers: ev.layers.iter().map(|l| (l.cycles, l.energy_pj)).collect(),
                cycles: ev.metrics.cycles,
                energy_pj: ev.metrics.energy_pj,
            })
        })
        .collect();
    let skipped = out.iter().filter(|o| o.is_none()).count();
    (out.into_iter().flatten().collect(), skipped)
}

// ---------------------------------------------------------------------------------------------
// The predictor.

/// A prediction for a whole workload.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction {
    pub cycles: f64,
    pub energy_pj: f64,
}

/// How to adapt a trained predictor to a target network ([`Predictor::fine_tune`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FineTune {
    /// `ln y = a + b ln ŷ` on the whole-workload totals, per target (least squares over the
    /// samples, `b` clamped to `[0.5, 2]`; with fewer than 3 samples `b = 1`). Monotone: the
    /// ranking is unchanged.
    Linear,
    /// `trees` more boosted trees (learning rate `learning_rate`, depth `depth`) on the per-layer
    /// log residuals of the target's samples.
    Boost {
        trees: usize,
        depth: usize,
        learning_rate: f64,
    },
    /// [`FineTune::Boost`], then [`FineTune::Linear`] on what remains.
    BoostThenLinear {
        trees: usize,
        depth: usize,
        learning_rate: f64,
    },
}

impl FineTune {
    /// The fine-tuning the `predictor` example found best: 40 trees of depth 3 (it lowered the
    /// held-out energy MAPE of vgg16 from 7.0 % to 4.8 % when chosen, and from 6.0 % to 5.5 % with
    /// today's mapper; on dqn and alexnet, 100 trees, 200 trees of depth 2 or 40 of depth 4 did no
    /// better then).
    pub const BOOST: FineTune = FineTune::Boost {
        trees: 40,
        depth: 3,
        learning_rate: 0.1,
    };
}

/// `ln y = a + b ln ŷ` applied to a total.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Affine {
    a: f64,
    b: f64,
}

impl Affine {
    const IDENTITY: Affine = Affine { a: 0.0, b: 1.0 };
    fn apply(&self, v: f64) -> f64 {
        (self.a + self.b * ln(v)).exp()
    }
    /// Least squares of `ln y` on `ln ŷ`.
    fn fit(pred: &[f64], truth: &[f64]) -> Affine {
        let n = pred.len() as f64;
        if pred.is_empty() {
            return Affine::IDENTITY;
        }
        let xs: Vec<f64> = pred.iter().map(|&v| ln(v)).collect();
        let ys: Vec<f64> = truth.iter().map(|&v| ln(v)).collect();
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let b = if pred.len() >= 3 && sxx > 1e-12 {
            (sxy / sxx).clamp(0.5, 2.0)
        } else {
            1.0
        };
        Affine { a: my - b * mx, b }
    }
}

/// The trained predictor: two [`Gbdt`]s (log cycle and log energy ratios per layer) and a
/// per-target correction of the totals.
#[derive(Clone, Debug, PartialEq)]
pub struct Predictor {
    base: Arch,
    objective: Objective,
    cycles: Gbdt,
    energy: Gbdt,
    cycles_fix: Affine,
    energy_fix: Affine,
}

/// Per-layer training rows of labelled designs.
#[derive(Default)]
pub(crate) struct Rows {
    pub x: Vec<Vec<f64>>,
    /// The log-ratio targets (cycles, energy).
    pub yc: Vec<f64>,
    pub ye: Vec<f64>,
    /// Row weights: `FLOOR + (1 - FLOOR) · L · share`, with `share` the layer's share of its
    /// design's total cycles (energy) and `L` the layers, so a design's weights sum to `L` and
    /// the layers that make the total count most.
    pub wc: Vec<f64>,
    pub we: Vec<f64>,
}

/// Least weight of a row (see [`Rows`]).
const WEIGHT_FLOOR: f64 = 0.25;

impl Rows {
    pub fn extend(&mut self, o: Rows) {
        self.x.extend(o.x);
        self.yc.extend(o.yc);
        self.ye.extend(o.ye);
        self.wc.extend(o.wc);
        self.we.extend(o.we);
    }
}

/// The rows of `data` (features computed in parallel, kept in order).
fn rows(base: &Arch, workload: &Workload, data: &[Labelled]) -> Result<Rows> {
    let per_design: Vec<Result<Rows>> = data
        .par_iter()
        .map(|d| design_rows(base, workload, d))
        .collect();
    let mut out = Rows::default();
    for r in per_design {
        out.extend(r?);
    }
    Ok(out)
}

fn design_rows(base: &Arch, workload: &Workload, d: &Labelled) -> Result<Rows> {
    if d.layers.len() != workload.layers.len() {
        return Err(Diagnostic::new(format!(
            "a labelled design of {} has {} layers, the workload {}",
            workload.name,
            d.layers.len(),
            workload.layers.len()
        )));
    }
    let arch = d.point.to_arch(base)?;
    let table = EnergyTable::of(&arch);
    let feats = workload
        .layers
        .iter()
        .map(|layer| layer_features_with(&arch, &table, layer))
        .collect::<Result<Vec<_>>>()?;
    Ok(labelled_rows(&feats, &d.layers))
}

/// The rows of one design from its layers' features and labels `(cycles, energy in pJ)`, in the
/// same order.
pub(crate) fn labelled_rows(feats: &[LayerFeatures], layers: &[(u64, f64)]) -> Rows {
    let mut out = Rows::default();
    let total_cycles: f64 = layers.iter().map(|&(c, _)| c as f64).sum();
    let total_energy: f64 = layers.iter().map(|&(_, e)| e).sum();
    let l = layers.len() as f64;
    let weight = |share: f64| WEIGHT_FLOOR + (1.0 - WEIGHT_FLOOR) * l * share;
    for (f, &(c, e)) in feats.iter().zip(layers) {
        out.x.push(f.x.to_vec());
        out.yc.push(ln(c as f64) - ln(f.reference_cycles));
        out.ye.push(ln(e) - ln(f.reference_energy_pj));
        out.wc.push(weight(c as f64 / total_cycles.max(1.0)));
        out.we.push(weight(e / total_energy.max(1e-300)));
    }
    out
}

impl Predictor {
    /// Train on labelled designs of source workloads (`sets`: each workload with its designs,
    /// labelled under `objective` on `base`).
    pub fn train(
        base: &Arch,
        objective: Objective,
        sets: &[(&Workload, &[Labelled])],
        params: &GbdtParams,
    ) -> Result<Predictor> {
        let mut r = Rows::default();
        for (w, data) in sets {
            r.extend(rows(base, w, data)?);
        }
        let (cycles, energy) = rayon::join(
            || Gbdt::fit_weighted(&r.x, &r.yc, &r.wc, params),
            || Gbdt::fit_weighted(&r.x, &r.ye, &r.we, params),
        );
        Ok(Predictor {
            base: base.clone(),
            objective,
            cycles: cycles?,
            energy: energy?,
            cycles_fix: Affine::IDENTITY,
            energy_fix: Affine::IDENTITY,
        })
    }

    /// The objective the labels' mappings were chosen for.
    pub fn objective(&self) -> Objective {
        self.objective
    }

    /// Predicted whole-workload cycles and energy of `point` (built on the training base).
    pub fn predict(&self, point: &DesignPoint, workload: &Workload) -> Result<Prediction> {
        self.predict_arch(&point.to_arch(&self.base)?, workload)
    }

    /// [`Predictor::predict`] for an accelerator already built.
    pub fn predict_arch(&self, arch: &Arch, workload: &Workload) -> Result<Prediction> {
        let raw = self.raw(arch, workload)?;
        Ok(Prediction {
            cycles: self.cycles_fix.apply(raw.cycles),
            energy_pj: self.energy_fix.apply(raw.energy_pj),
        })
    }

    /// The summed per-layer predictions, before the per-target correction.
    fn raw(&self, arch: &Arch, workload: &Workload) -> Result<Prediction> {
        let (mut cycles, mut energy_pj) = (0.0, 0.0);
        let table = EnergyTable::of(arch);
        for layer in &workload.layers {
            let f = layer_features_with(arch, &table, layer)?;
            cycles += f.reference_cycles * self.cycles.predict(&f.x).exp();
            energy_pj += f.reference_energy_pj * self.energy.predict(&f.x).exp();
        }
        Ok(Prediction { cycles, energy_pj })
    }

    /// A copy adapted to `workload` with its labelled `samples` (see [`FineTune`]).
    pub fn fine_tune(
        &self,
        workload: &Workload,
        samples: &[Labelled],
        how: FineTune,
    ) -> Result<Predictor> {
        let mut p = self.clone();
        p.cycles_fix = Affine::IDENTITY;
        p.energy_fix = Affine::IDENTITY;
        let (boost, linear) = match how {
            FineTune::Linear => (None, true),
            FineTune::Boost {
                trees,
                depth,
                learning_rate,
            } => (Some((trees, depth, learning_rate)), false),
            FineTune::BoostThenLinear {
                trees,
                depth,
                learning_rate,
            } => (Some((trees, depth, learning_rate)), true),
        };
        if let Some((trees, depth, learning_rate)) = boost {
            let r = rows(&self.base, workload, samples)?;
            let params = GbdtParams {
                trees,
                depth,
                learning_rate,
                min_leaf: 4,
                ..GbdtParams::default()
            };
            p.cycles.boost_weighted(&r.x, &r.yc, &r.wc, &params)?;
            p.energy.boost_weighted(&r.x, &r.ye, &r.we, &params)?;
        }
        if linear {
            let mut raw = Vec::with_capacity(samples.len());
            for s in samples {
                raw.push(p.raw(&s.point.to_arch(&self.base)?, workload)?);
            }
            let cycles: Vec<f64> = raw.iter().map(|r| r.cycles).collect();
            let energy: Vec<f64> = raw.iter().map(|r| r.energy_pj).collect();
            let tc: Vec<f64> = samples.iter().map(|s| s.cycles as f64).collect();
            let te: Vec<f64> = samples.iter().map(|s| s.energy_pj).collect();
            p.cycles_fix = Affine::fit(&cycles, &tc);
            p.energy_fix = Affine::fit(&energy, &te);
        }
        Ok(p)
    }
}

// ---------------------------------------------------------------------------------------------
// Metrics.

pub use tessera_core::stats::{mape, spearman};

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::stats::ranks;

    /// A smooth function of two features plus a step in a third.
    fn target(x: &[f64]) -> f64 {
        x[0].sin() + 0.5 * x[1] * x[1] + if x[2] > 0.5 { 1.0 } else { 0.0 }
    }

    fn grid(n: usize, offset: f64) -> Vec<Vec<f64>> {
        (0..n)
            .map(|i| {
                let t = i as f64 + offset;
                vec![
                    (t * 0.37).rem_euclid(6.0),
                    (t * 0.61).rem_euclid(2.0) - 1.0,
                    (t * 0.13).rem_euclid(1.0),
                ]
            })
            .collect()
    }

    fn rmse(g: &Gbdt, x: &[Vec<f64>]) -> f64 {
        let se: f64 = x.iter().map(|r| (g.predict(r) - target(r)).powi(2)).sum();
        (se / x.len() as f64).sqrt()
    }

    #[test]
    fn learner_fits_a_known_function() {
        let x = grid(2000, 0.0);
        let y: Vec<f64> = x.iter().map(|r| target(r)).collect();
        let sd = {
            let m = y.iter().sum::<f64>() / y.len() as f64;
            (y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / y.len() as f64).sqrt()
        };
        let g = Gbdt::fit(&x, &y, &GbdtParams::default()).unwrap();
        assert_eq!(g.trees(), 300);
        // held-out points between the training ones
        let test = grid(500, 0.5);
        let e = rmse(&g, &test);
        assert!(e < 0.15 * sd, "held-out RMSE {e} vs target SD {sd}");
        // deterministic
        assert_eq!(g, Gbdt::fit(&x, &y, &GbdtParams::default()).unwrap());
    }

    #[test]
    fn continued_boosting_fits_a_shift() {
        let x = grid(1000, 0.0);
        let y: Vec<f64> = x.iter().map(|r| target(r)).collect();
        let params = GbdtParams {
            trees: 100,
            ..GbdtParams::default()
        };
        let mut g = Gbdt::fit(&x, &y, &params).unwrap();
        // new data: the same function shifted by 0.8 where x0 > 3
        let shifted: Vec<f64> = x
            .iter()
            .map(|r| target(r) + if r[0] > 3.0 { 0.8 } else { 0.0 })
            .collect();
        let err = |g: &Gbdt| {
            x.iter()
                .zip(&shifted)
                .map(|(r, t)| (g.predict(r) - t).abs())
                .sum::<f64>()
                / x.len() as f64
        };
        let before = err(&g);
        g.boost(&x, &shifted, &params).unwrap();
        assert_eq!(g.trees(), 200);
        let after = err(&g);
        assert!(after < 0.2 * before, "{before} -> {after}");
    }

    #[test]
    fn weights_pull_the_fit() {
        // one leaf (depth 0): the fit is the weighted mean
        let x = vec![vec![0.0], vec![1.0]];
        let y = vec![0.0, 10.0];
        let p = GbdtParams {
            trees: 0,
            ..GbdtParams::default()
        };
        let g = Gbdt::fit_weighted(&x, &y, &[3.0, 1.0], &p).unwrap();
        assert!((g.predict(&[0.5]) - 2.5).abs() < 1e-12);
    }

    #[test]
    fn bad_data_is_refused() {
        let p = GbdtParams::default();
        assert!(Gbdt::fit(&[], &[], &p).is_err());
        assert!(Gbdt::fit(&[vec![1.0], vec![1.0, 2.0]], &[1.0, 2.0], &p).is_err());
        assert!(Gbdt::fit(&[vec![f64::NAN]], &[1.0], &p).is_err());
        assert!(Gbdt::fit_weighted(&[vec![1.0]], &[1.0], &[0.0], &p).is_err());
        let mut g = Gbdt::fit(&[vec![1.0, 2.0]], &[1.0], &p).unwrap();
        assert!(g.boost(&[vec![1.0]], &[1.0], &p).is_err());
    }

    #[test]
    fn spearman_and_mape() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((spearman(&a, &[10.0, 20.0, 30.0, 40.0, 50.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // monotone but not linear: still 1
        assert!((spearman(&a, &a.map(|v: f64| v.exp())) - 1.0).abs() < 1e-12);
        // ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]; of [1, 3, 2, 4] [1, 3, 2, 4]:
        // Pearson of those = 4.5 / sqrt(4.5 · 5)
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 4.0]);
        assert!((r - 4.5 / (4.5f64 * 5.0).sqrt()).abs() < 1e-12, "{r}");
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        assert!(spearman(&[1.0, 1.0], &[1.0, 2.0]).is_nan());
        assert!((mape(&[110.0, 90.0], &[100.0, 100.0]) - 10.0).abs() < 1e-12);
        assert!((mape(&[150.0], &[100.0]) - 50.0).abs() < 1e-12);
    }

    #[test]
    fn affine_correction() {
        // y = e · ŷ²: ln y = 1 + 2 ln ŷ
        let pred = [2.0, 3.0, 5.0, 7.0];
        let truth = pred.map(|v: f64| std::f64::consts::E * v * v);
        let a = Affine::fit(&pred, &truth);
        assert!(
            (a.a - 1.0).abs() < 1e-9 && (a.b - 2.0).abs() < 1e-9,
            "{a:?}"
        );
        assert!((a.apply(4.0) - std::f64::consts::E * 16.0).abs() < 1e-6);
        // too few samples: a pure scale
        let one = Affine::fit(&[2.0], &[4.0]);
        assert_eq!(one.b, 1.0);
        assert!((one.apply(3.0) - 6.0).abs() < 1e-9);
    }
}
