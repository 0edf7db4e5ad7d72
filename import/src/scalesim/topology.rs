//! SCALE-Sim topology CSVs → [`WorkloadSpec`] (the rules are in the [parent module](super)).

use super::at;
use crate::names::Namer;
use crate::{Imported, Origin};
use std::path::Path;
use tessera_core::diag::{Diagnostic, Result};
use tessera_workloads::spec::{
    Conv2dSpec, GemmSpec, LayerSpec, MatMulSpec, WorkloadSpec, MAX_WINDOW,
};

/// The two forms of a SCALE-Sim topology.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter,
    /// Strides,` (SCALE-Sim's default, `-i conv`).
    Conv,
    /// `Layer, M, N, K,` (SCALE-Sim's `-i gemm`).
    Gemm,
}

/// The conv form's columns after the name, as SCALE-Sim's header spells them.
const CONV_COLUMNS: [&str; 8] = [
    "IFMAP Height",
    "IFMAP Width",
    "Filter Height",
    "Filter Width",
    "Channels",
    "Num Filter",
    "Strides",
    "Stride Width",
];
const GEMM_COLUMNS: [&str; 3] = ["M", "N", "K"];

/// Read and import a topology file, telling its form from its header.
pub fn read_topology(path: impl AsRef<Path>) -> Result<Imported<WorkloadSpec>> {
    let path = path.as_ref();
    parse_topology(&super::read_text(path)?, path)
}

/// Import a topology, telling its form from its header; `origin` names the file in errors and
/// gives the workload's name (its stem).
pub fn parse_topology(text: &str, origin: &Path) -> Result<Imported<WorkloadSpec>> {
    let text = text.trim_start_matches('\u{feff}');
    let header = text.lines().next().unwrap_or("");
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    if cols.len() >= 4 && cols[1..4] != ["m", "n", "k"] && {
        let mut c = cols[1..4].to_vec();
        c.sort();
        c == ["k", "m", "n"]
    } {
        return Err(at(
            origin,
            1,
            1,
            format!(
                "the header names the GEMM columns `{}`, but SCALE-Sim reads them as M, N, K \
                 whatever the header says; put the columns (and the header) in the order M, N, K",
                header
                    .split(',')
                    .skip(1)
                    .take(3)
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let form = detect(header).ok_or_else(|| {
        let what = if header.trim().is_empty() {
            "has no header line".to_string()
        } else {
            format!("header `{}` is neither", header.trim())
        };
        at(
            origin,
            1,
            1,
            format!(
                "{what} SCALE-Sim's conv form (`Layer name, IFMAP Height, IFMAP Width, Filter \
                 Height, Filter Width, Channels, Num Filter, Strides,`) nor its GEMM form \
                 (`Layer, M, N, K,`)"
            ),
        )
    })?;
    parse_as(text, origin, form)
}

/// The form a header names: GEMM when its columns 2–4 are M, N, K; conv when its second column
/// names the IFMAP.
pub fn detect(header: &str) -> Option<Form> {
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    if cols.len() >= 4 && cols[1..4] == ["m", "n", "k"] {
        Some(Form::Gemm)
    } else if cols.len() >= 8 && cols[1].contains("ifmap") {
        Some(Form::Conv)
    } else {
        None
    }
}

/// The fields of a row with the 1-based column where each starts, spaces trimmed, trailing empty
/// fields dropped.
fn fields(line: &str) -> Vec<(usize, &str)> {
    let mut out = vec![];
    let mut start = 0;
    for part in line.split(',') {
        let lead = part.len() - part.trim_start().len();
        out.push((line[..start + lead].chars().count() + 1, part.trim()));
        start += part.len() + 1;
    }
    while out.last().is_some_and(|(_, f)| f.is_empty()) {
        out.pop();
    }
    out
}

/// Import a topology of the given form (the first line is a header and is skipped, as SCALE-Sim
/// does).
pub fn parse_as(text: &str, origin: &Path, form: Form) -> Result<Imported<WorkloadSpec>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut namer = Namer::default();
    let mut layers = vec![];
    let mut origins = vec![];
    let mut notes = vec![match form {
        Form::Conv => "read as SCALE-Sim's conv form: each row is a convolution of batch 1, \
                       standing alone, over the IFMAP as given (no padding but where SCALE-Sim \
                       rounds the output size up)"
            .to_string(),
        Form::Gemm => "read as SCALE-Sim's GEMM form: the columns are M, N, K, so each row is \
                       Gemm { m: M, k: K, n: N }"
            .to_string(),
    }];
    let mut depthwise = vec![];
    let mut padded = vec![];
    let mut as_gemm = vec![];
    for (i, line) in text.lines().enumerate().skip(1) {
        let lineno = i + 1;
        let f = fields(line);
        if f.iter().all(|(_, s)| s.is_empty()) {
            continue; // blank, or only commas
        }
        let columns: &[&str] = match form {
            Form::Conv => &CONV_COLUMNS,
            Form::Gemm => &GEMM_COLUMNS,
        };
        let counts_ok = match form {
            Form::Conv => f.len() == 8 || f.len() == 9,
            Form::Gemm => f.len() == 4,
        };
        if !counts_ok {
            let expected = match form {
                Form::Conv => {
                    "8 fields (Layer name, IFMAP Height, IFMAP Width, Filter Height, \
                               Filter Width, Channels, Num Filter, Strides) or 9 (a separate \
                               stride for the width)"
                }
                Form::Gemm => "4 fields (Layer, M, N, K)",
            };
            return Err(at(
                origin,
                lineno,
                1,
                format!(
                    "expected {expected}, found {}{}",
                    f.len(),
                    if !line.contains(',') && line.contains('\t') {
                        " (the fields are separated by tabs; SCALE-Sim's are by commas)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let (col0, raw_name) = f[0];
        if raw_name.is_empty() {
            return Err(at(origin, lineno, col0, "the layer has no name".into()));
        }
        let mut v = Vec::with_capacity(f.len() - 1);
        for (j, &(col, s)) in f[1..].iter().enumerate() {
            let n: i64 = s.parse().map_err(|_| {
                at(
                    origin,
                    lineno,
                    col,
                    format!(
                        "{} of layer `{raw_name}` must be a whole number, got `{s}`",
                        columns[j]
                    ),
                )
            })?;
            if n < 1 {
                return Err(at(
                    origin,
                    lineno,
                    col,
                    format!(
                        "{} of layer `{raw_name}` must be at least 1, got {n}",
                        columns[j]
                    ),
                ));
            }
            v.push(n);
        }
        let name = namer.name(raw_name, "layer");
        let spec = match form {
            Form::Gemm => LayerSpec::Gemm(GemmSpec {
                name,
                m: v[0],
                k: v[2],
                n: v[1],
            }),
            Form::Conv => {
                let [ih, iw, fh, fw, c, nf, sh] = [v[0], v[1], v[2], v[3], v[4], v[5], v[6]];
                let sw = v.get(7).copied().unwrap_or(sh);
                for (filter, ifmap, axis, col) in
                    [(fh, ih, "height", f[3].0), (fw, iw, "width", f[4].0)]
                {
                    if filter > ifmap {
                        return Err(at(
                            origin,
                            lineno,
                            col,
                            format!(
                                "the filter {axis} {filter} of layer `{raw_name}` is larger than \
                                 its IFMAP {axis} {ifmap} (SCALE-Sim convolves without padding)"
                            ),
                        ));
                    }
                }
                // SCALE-Sim's output size is ceil((IFMAP - Filter + stride) / stride): when the
                // stride does not divide IFMAP - Filter, its last window runs past the IFMAP and
                // reads nothing there (operand_matrix.py marks those addresses invalid), which is
                // zero padding at the end. Tessera's rule is the floor, so that padding is added.
                let out = |i: i64, k: i64, st: i64| (i - k + st - 1) / st + 1;
                let extra = |i: i64, k: i64, st: i64| (out(i, k, st) - 1) * st + k - i;
                let end = (extra(ih, fh, sh), extra(iw, fw, sw));
                // SCALE-Sim's rule: a name containing "DP" is a depthwise layer, run as one
                // single-channel convolution per channel.
                let dw = raw_name.contains("DP");
                if dw {
                    depthwise.push(name.clone());
                }
                if [fh, fw, sh, sw].iter().any(|&x| x > MAX_WINDOW) {
                    // A GEMM written as a convolution (a filter as wide as the IFMAP, e.g.
                    // 1 × 1600): beyond Tessera's window limit, so it becomes the GEMM SCALE-Sim
                    // itself runs: M = output pixels, K = window, N = filters.
                    let (oh, ow) = (out(ih, fh, sh), out(iw, fw, sw));
                    as_gemm.push(name.clone());
                    let (m, k) = (oh.saturating_mul(ow), fh.saturating_mul(fw));
                    if dw {
                        LayerSpec::MatMul(MatMulSpec {
                            name,
                            batch: c,
                            m,
                            k,
                            n: nf,
                        })
                    } else {
                        LayerSpec::Gemm(GemmSpec {
                            name,
                            m,
                            k: k.saturating_mul(c),
                            n: nf,
                        })
                    }
                } else {
                    if end != (0, 0) {
                        padded.push(format!("{name} ({}, {})", end.0, end.1));
                    }
                    LayerSpec::Conv2d(Conv2dSpec {
                        name,
                        input: None,
                        in_shape: Some([1, c, ih, iw]),
                        out_channels: if dw { c.saturating_mul(nf) } else { nf },
                        kernel: (fh, fw),
                        stride: (sh, sw),
                        padding: (0, 0),
                        padding_end: (end != (0, 0)).then_some(end),
                        dilation: (1, 1),
                        groups: if dw { c } else { 1 },
                    })
                }
            }
        };
        origins.push((
            format!("layers[{}]", layers.len()),
            Origin {
                line: Some(lineno),
                what: format!("line {lineno}, layer `{raw_name}`"),
            },
        ));
        layers.push(spec);
    }
    if layers.is_empty() {
        return Err(Diagnostic::new("has a header but no layers").in_file(origin));
    }
    if !padded.is_empty() {
        notes.push(format!(
            "SCALE-Sim rounds a convolution's output size up where the stride does not divide \
             IFMAP - Filter (its last window reads past the IFMAP, as zeros); these layers get \
             that much zero padding at the bottom and right, so they have SCALE-Sim's output size \
             and MACs: {}",
            padded.join(", ")
        ));
    }
    if !as_gemm.is_empty() {
        notes.push(format!(
            "filters or strides wider than Tessera's {MAX_WINDOW} (GEMMs written as \
             convolutions), imported as the GEMM SCALE-Sim runs (M = output pixels, K = window, \
             N = filters; a depthwise one as a batched MatMul): {}",
            as_gemm.join(", ")
        ));
    }
    if !depthwise.is_empty() {
        notes.push(format!(
            "depthwise (the name contains `DP`, SCALE-Sim's rule), imported as a grouped \
             convolution with one group per channel: {}",
            depthwise.join(", ")
        ));
    }
    notes.extend(namer.note("SCALE-Sim layer"));
    Ok(Imported {
        spec: WorkloadSpec {
            name: crate::names::sanitize(&crate::stem(origin), "scalesim", crate::names::MAX_LEN),
            inputs: vec![],
            layers,
        },
        file: origin.to_path_buf(),
        notes,
        origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_columns() {
        let f = fields("Conv1,  416, 416,    3, 3,      3,      4,     1, ");
        assert_eq!(f.len(), 8);
        assert_eq!(f[0], (1, "Conv1"));
        assert_eq!(f[1], (9, "416"));
        assert_eq!(f[7], (48, "1"));
    }

    #[test]
    fn headers_tell_the_form() {
        assert_eq!(detect("Layer Name, M, N, K,"), Some(Form::Gemm));
        assert_eq!(detect("Layer,M,N,K,"), Some(Form::Gemm));
        assert_eq!(
            detect("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"),
            Some(Form::Conv)
        );
        assert_eq!(
            detect("\u{feff}Layer name,Ifmap height,ifmap width,filter height,filter width,channels,num filters,strides,"),
            Some(Form::Conv)
        );
        assert_eq!(detect("Layer, M, K, N,"), None);
        assert_eq!(detect("name;h;w"), None);
    }
}
