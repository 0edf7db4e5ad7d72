//! The few YAML spellings the writers need, for text that reaches YAML readers of both versions
//! (Timeloop's front end reads YAML 1.2 with ruamel.yaml, ZigZag YAML 1.1 with PyYAML).
//!
//! The documents themselves are written line by line with `writeln!`: their keys, tags, dimension
//! names and numbers are Tessera's own constants, so the only text that comes from a user (a layer
//! name; an accelerator name, which validation already limits to an identifier) goes through
//! [`quoted`] as a value or [`comment`] inside a comment. Neither can end the line, the scalar or
//! the comment it stands in, so no name can add a key, a tag or a document.

/// `s` as a double-quoted YAML scalar that reads back as `s` in YAML 1.1 and 1.2: printable ASCII
/// stays, `"` and `\` are escaped, and every other character (line breaks, tabs, controls, and all
/// non-ASCII, including the characters YAML 1.1 treats as line breaks, U+0085, U+2028, U+2029) is
/// written as an escape.
pub fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    escape_into(s, &mut out, true);
    out.push('"');
    out
}

/// `s` made safe to stand after `# ` in a comment: one line of printable ASCII, other characters
/// escaped as in [`quoted`] (a `"` stays as it is: comments end only at the line's end).
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out, false);
    out
}

fn escape_into(s: &str, out: &mut String, quote: bool) {
    for c in s.chars() {
        match c {
            '"' if quote => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if u32::from(c) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08X}", u32::from(c))),
        }
    }
}

/// A finite float every YAML reader resolves as a float: plain decimal with a point and no
/// exponent (PyYAML's YAML 1.1 float needs the point; `1e-9` would read back as a string there).
pub fn float(x: f64) -> String {
    assert!(x.is_finite(), "only finite floats are written, got {x}");
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        format!("{s}.0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_everything_that_could_end_the_scalar() {
        assert_eq!(quoted("conv1"), "\"conv1\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quoted("x\ny: 1 # z"), "\"x\\ny: 1 # z\"");
        assert_eq!(quoted("é\u{2028}😀"), "\"\\u00E9\\u2028\\U0001F600\"");
        assert_eq!(comment("a\nb\"c"), "a\\nb\"c");
        assert!(!comment("a\r\n\u{85}b").contains(['\r', '\n', '\u{85}']));
    }

    proptest::proptest! {
        /// Any text, quoted as a value and escaped in a comment, reads back as itself and leaves
        /// the document's structure alone.
        #[test]
        fn any_text_reads_back_as_itself(s in ".*", t in "\\PC*") {
            use saphyr::{LoadableYamlNode, Yaml};
            for text in [s, t] {
                let doc = format!(
                    "# {}\na: {}  # {}\nb: [1, {}]\n",
                    comment(&text),
                    quoted(&text),
                    comment(&text),
                    quoted(&text)
                );
                let docs = Yaml::load_from_str(&doc).unwrap();
                proptest::prop_assert_eq!(docs.len(), 1);
                let m = docs[0].as_mapping().unwrap();
                proptest::prop_assert_eq!(m.len(), 2);
                proptest::prop_assert_eq!(docs[0]["a"].as_str(), Some(text.as_str()));
                proptest::prop_assert_eq!(docs[0]["b"][1].as_str(), Some(text.as_str()));
            }
        }
    }

    #[test]
    fn floats_keep_a_point_and_no_exponent() {
        assert_eq!(float(10.0), "10.0");
        assert_eq!(float(0.3), "0.3");
        assert_eq!(float(2e-9), "0.000000002");
        assert_eq!(float(243.75), "243.75");
    }
}
