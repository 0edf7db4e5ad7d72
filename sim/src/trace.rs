//! Architectural event log, one line per event, the same format for every engine (and for the
//! Verilator testbench): `cycle unit event fields`. Off by default; an engine only formats events
//! when a trace is requested.
//!
//! ```text
//! <c> ctrl issue pc=<pc> <LOAD|STORE|COMPUTE>   issue cycle
//! <c> ctrl halt                                 the cycle HALT completes
//! <c> ctrl issue pc=<pc> CONFIG                 a CONFIG writes the gather registers
//! <c> dma rreq <i> addr=<a> stride=<s> first=<f> count=<n>
//!                                               a LOAD's read request for word i (τ = k_i)
//! <c> dma rbeat <i>                             read word i delivered
//! <c> dma wbeat <i>                             store beat i presented
//! <c> dma done | <c> compute done               the unit's last busy cycle
//! ```
//! Canonical order: by cycle, then unit (ctrl, dma, compute), then kind within the DMA (request, read
//! word, write beat, done: with several transfers in flight one cycle may hold a later transfer's
//! request and an earlier one's word), then emission order.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub cycle: u64,
    pub unit: &'static str,
    pub event: &'static str,
    pub fields: String,
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.cycle, self.unit, self.event)?;
        if !self.fields.is_empty() {
            write!(f, " {}", self.fields)?;
        }
        Ok(())
    }
}

/// The fields of a read request event.
pub fn read_request(i: u64, r: &tessera_arch::gather::ReadReq) -> String {
    format!(
        "{i} addr={} stride={} first={} count={}",
        r.addr, r.stride, r.first, r.count
    )
}

/// Where engines write events; `None` costs one branch per event site.
#[derive(Default)]
pub struct Tracer {
    pub events: Option<Vec<TraceEvent>>,
}

impl Tracer {
    pub fn on() -> Self {
        Self {
            events: Some(vec![]),
        }
    }
    /// Whether events are being recorded (engines skip per-beat work when not).
    #[inline]
    pub fn enabled(&self) -> bool {
        self.events.is_some()
    }
    #[inline]
    pub fn emit(
        &mut self,
        cycle: u64,
        unit: &'static str,
        event: &'static str,
        fields: impl FnOnce() -> String,
    ) {
        if let Some(ev) = &mut self.events {
            ev.push(TraceEvent {
                cycle,
                unit,
                event,
                fields: fields(),
            });
        }
    }
}

/// Put events in the canonical order every engine's trace is compared in: by cycle, then unit
/// (`ctrl`, `dma`, `compute`), then the DMA's kinds (`rreq`, `rbeat`, `wbeat`, `done`), keeping
/// emission order otherwise.
pub fn canonical(mut events: Vec<TraceEvent>) -> Vec<TraceEvent> {
    let rank = |u: &str| match u {
        "ctrl" => 0,
        "dma" => 1,
        "compute" => 2,
        _ => 3,
    };
    let kind = |e: &TraceEvent| match (e.unit, e.event) {
        ("dma", "rreq") => 0,
        ("dma", "rbeat") => 1,
        ("dma", "wbeat") => 2,
        ("dma", "done") => 3,
        _ => 0,
    };
    events.sort_by_key(|e| (e.cycle, rank(e.unit), kind(e)));
    events
}

/// One layer's event log, by layer name.
pub type LayerTrace = (String, Vec<TraceEvent>);

/// The event logs of several layers as text: a `# layer NAME` line, then one line per event.
pub fn to_text(traces: &[LayerTrace]) -> String {
    let mut text = String::new();
    for (layer, events) in traces {
        text.push_str(&format!("# layer {layer}\n"));
        for e in events {
            text.push_str(&e.to_string());
            text.push('\n');
        }
    }
    text
}

/// Chrome trace-event JSON (chrome://tracing, Perfetto): one process per layer, one track per unit,
/// one slice per instruction from its issue cycle to its unit's last busy cycle; 1 cycle is shown
/// as 1 µs.
pub fn to_chrome_json(traces: &[LayerTrace]) -> String {
    use serde_json::json;
    let mut out = vec![];
    for (pid, (layer, events)) in traces.iter().enumerate() {
        out.push(json!({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": layer}}));
        // Open instruction per unit: (start cycle, label).
        let mut open: [Option<(u64, String)>; 2] = [None, None];
        for e in events {
            match (e.unit, e.event) {
                ("ctrl", "issue") => {
                    let unit = usize::from(e.fields.contains("COMPUTE"));
                    open[unit] = Some((e.cycle, e.fields.clone()));
                }
                ("dma", "done") | ("compute", "done") => {
                    let unit = usize::from(e.unit == "compute");
                    if let Some((start, label)) = open[unit].take() {
                        out.push(json!({
                            "name": label, "ph": "X", "pid": pid, "tid": e.unit,
                            "ts": start, "dur": e.cycle + 1 - start,
                        }));
                    }
                }
                _ => {}
            }
        }
    }
    json!({"traceEvents": out, "displayTimeUnit": "ns"}).to_string()
}

/// The first line where two traces differ, with up to `context` lines before it from each side.
pub fn first_divergence(a: &[String], b: &[String], context: usize) -> Option<Divergence> {
    let i = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))?;
    let from = i.saturating_sub(context);
    Some(Divergence {
        index: i,
        context: a[from..i].to_vec(),
        left: a.get(i).cloned(),
        right: b.get(i).cloned(),
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// 0-based index of the first differing line.
    pub index: usize,
    /// The common lines just before it.
    pub context: Vec<String>,
    pub left: Option<String>,
    pub right: Option<String>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "first divergence at event {}:", self.index)?;
        for c in &self.context {
            writeln!(f, "    {c}")?;
        }
        writeln!(
            f,
            "  - {}",
            self.left.as_deref().unwrap_or("<end of trace>")
        )?;
        write!(
            f,
            "  + {}",
            self.right.as_deref().unwrap_or("<end of trace>")
        )
    }
}
