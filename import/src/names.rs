//! Names from other tools made into Tessera names.
//!
//! ONNX node names such as `/layer1/0/conv1/Conv` and SCALE-Sim layer names such as `1` or `Test 1`
//! are not names a workload file accepts (an ASCII letter, then letters, digits and `_`, at most 64
//! characters), and an accelerator name must also be a Verilog identifier (no `__`, no `_` at the
//! end, at most 48 characters, not a keyword). [`Namer`] makes one valid, unique name from each.

use std::collections::HashSet;

/// Makes valid, unique names and remembers the ones it had to change.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    used: HashSet<String>,
    /// (original, new) for every name that changed.
    pub changed: Vec<(String, String)>,
}

/// The longest workload name (the workload format's limit).
pub(crate) const MAX_LEN: usize = 64;

/// `raw` made into a name: every character that is not an ASCII letter or digit becomes `_`, runs
/// of `_` become one, `_` at either end goes, a name that does not start with a letter gets
/// `prefix_` in front, and the result is cut to `max` characters. Such a name has no `__` and no `_`
/// at its end, so it suits both workloads and accelerators.
pub(crate) fn sanitize(raw: &str, prefix: &str, max: usize) -> String {
    let mut s = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (s.is_empty() || s.ends_with('_'))) {
            s.push(c);
        }
    }
    let mut s = s.trim_end_matches('_').to_string();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s = if s.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}_{s}")
        };
    }
    s.truncate(max);
    s.trim_end_matches('_').to_string()
}

impl Namer {
    /// A valid name for `raw` that no earlier call returned (`_2`, `_3`, ... is added on a clash).
    pub fn name(&mut self, raw: &str, prefix: &str) -> String {
        let base = sanitize(raw, prefix, MAX_LEN);
        let mut name = base.clone();
        let mut n = 2;
        while self.used.contains(&name) {
            let suffix = format!("_{n}");
            let mut b = base.clone();
            b.truncate(MAX_LEN - suffix.len());
            name = format!("{}{suffix}", b.trim_end_matches('_'));
            n += 1;
        }
        self.used.insert(name.clone());
        if name != raw {
            self.changed.push((raw.to_string(), name.clone()));
        }
        name
    }

    /// A note saying which names changed (at most a few examples), or `None` when none did.
    pub fn note(&self, what: &str) -> Option<String> {
        if self.changed.is_empty() {
            return None;
        }
        let examples: Vec<String> = self
            .changed
            .iter()
            .take(3)
            .map(|(a, b)| format!("{a:?} → {b}"))
            .collect();
        let more = if self.changed.len() > 3 { ", …" } else { "" };
        Some(format!(
            "{} {what} names were made into Tessera names (letters, digits, `_`): {}{more}",
            self.changed.len(),
            examples.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onnx_and_scalesim_names_become_valid() {
        assert_eq!(
            sanitize("/layer1/0/conv1/Conv", "node", 64),
            "layer1_0_conv1_Conv"
        );
        assert_eq!(sanitize("1", "layer", 64), "layer_1");
        assert_eq!(sanitize("Test 1", "layer", 64), "Test_1");
        assert_eq!(sanitize("", "layer", 64), "layer");
        assert_eq!(sanitize("__a__b__", "x", 64), "a_b");
        assert_eq!(sanitize("Ünïcode", "x", 64), "n_code");
        assert_eq!(sanitize(&"a_".repeat(40), "x", 48).len(), 47);
    }

    #[test]
    fn clashes_get_a_number() {
        let mut n = Namer::default();
        assert_eq!(n.name("conv", "node"), "conv");
        assert_eq!(n.name("conv", "node"), "conv_2");
        assert_eq!(n.name("/conv", "node"), "conv_3");
        let long = "a".repeat(80);
        let a = n.name(&long, "node");
        let b = n.name(&long, "node");
        assert_eq!(a.len(), 64);
        assert!(b.len() <= 64 && b.ends_with("_2"), "{b}");
        assert_eq!(n.changed.len(), 4);
    }
}
