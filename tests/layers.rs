//! One direction through the house: a module of `src/` names only modules of the layers
//! below its own (docs/architecture.md draws the same picture).
//!
//! Every `crate::<module>` path in code counts (`use` lines and inline paths alike, test
//! modules included); comments and string literals do not. A new top-level module fails
//! here until it is given a layer. Run it alone with `cargo test --test layers`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Lowest first. A module may import from any lower layer, and within its own module;
/// never from its own layer's other modules or from above.
const LAYERS: &[&[&str]] = &[
    &["flags"],
    &["error"],
    &["clock", "human", "values", "sys"],
    &["signals"],
    &["config"],
    &["kafka"],
    &["report"],
    &["diagnose", "drain"],
    &["output"],
    &["cli"],
    &["cmd"],
    // lib.rs and main.rs: the crate root calls into `cmd`.
    &["<root>"],
];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a file of `src/` belongs to.
fn module_of(relative: &Path) -> String {
    let first = relative.components().next().unwrap();
    let name = first.as_os_str().to_string_lossy();
    match name.strip_suffix(".rs") {
        Some("lib" | "main") => "<root>".into(),
        Some(stem) => stem.into(),
        None => name.into_owned(),
    }
}

/// `text` without comments and the insides of string and char literals, so only code is
/// searched for paths.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |e| e + 2);
        } else if let Some(hashes) = raw_string_start(rest) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += body
                + rest[body..]
                    .find(&close)
                    .map_or(rest.len() - body, |e| e + close.len());
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' && char_literal_len(rest).is_some() {
            i += char_literal_len(rest).unwrap();
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `r"` or `r#…#"` at the start of `s`: the number of `#`.
fn raw_string_start(s: &str) -> Option<usize> {
    let after = s.strip_prefix('r').or_else(|| s.strip_prefix("br"))?;
    let hashes = after.len() - after.trim_start_matches('#').len();
    after[hashes..]
        .starts_with('"')
        .then_some(hashes + usize::from(s.starts_with('b')))
}

/// The length of a char literal at the start of `s` (`'a'`, `'\n'`, `'\u{1b}'`), or None
/// for a lifetime.
fn char_literal_len(s: &str) -> Option<usize> {
    let body = &s[1..];
    if body.starts_with('\\') {
        return body.find('\'').map(|e| e + 2);
    }
    let c = body.chars().next()?;
    body[c.len_utf8()..]
        .starts_with('\'')
        .then(|| c.len_utf8() + 2)
}

/// Every `crate::<module>` named in `code`, and `crate::{a, b::c}` groups.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        // `kbp_crate::`, `$crate::` are other things.
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            let mut first = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        first = true;
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if first && (c.is_alphanumeric() || c == '_') {
                    item.push(c);
                } else if first && !item.is_empty() {
                    found.insert(std::mem::take(&mut item));
                    first = false;
                }
            }
            if first && !item.is_empty() {
                found.insert(item);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
        }
    }
    found
}

/// The upward (or sideways) imports of one file, as `file → module` lines.
fn violations(file: &Path, module: &str, text: &str) -> Vec<String> {
    let Some(own) = rank(module) else {
        return vec![format!(
            "{}: module `{module}` has no layer in tests/layers.rs",
            file.display()
        )];
    };
    imports(&code_only(text))
        .into_iter()
        .filter(|m| m != module && m != "self" && m != "super")
        .filter_map(|m| match rank(&m) {
            Some(r) if r < own => None,
            Some(r) => Some(format!(
                "{} (`{module}`, layer {own}) imports crate::{m} (layer {r})",
                file.display()
            )),
            None => Some(format!(
                "{}: crate::{m} has no layer in tests/layers.rs",
                file.display()
            )),
        })
        .collect()
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(
        files.len() > 40,
        "found only {} files under src/",
        files.len()
    );
    let mut wrong = Vec::new();
    let mut edges = 0;
    for file in &files {
        let relative = file.strip_prefix(&src).unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        edges += imports(&code_only(&text)).len();
        wrong.extend(violations(relative, &module_of(relative), &text));
    }
    assert!(
        edges > 100,
        "found only {edges} crate:: imports: is the parser broken?"
    );
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_must_and_nothing_else() {
    let file = Path::new("kafka/x.rs");
    let upward = "use crate::cmd::lag::now_ms;\nfn f() { crate::output::text(\"\"); }\n";
    assert_eq!(violations(file, "kafka", upward).len(), 2);
    let grouped = "use crate::{\n    error::Result,\n    report::lag::{GroupLag, LagReport},\n};";
    assert_eq!(
        violations(file, "kafka", grouped).len(),
        1,
        "report is above kafka"
    );
    let quiet = "// crate::cmd in a comment\n/* crate::cli */\nlet s = \"crate::output\";\nlet r = r#\"crate::cmd\"#;\nlet c = '\"'; use crate::error::Error;\nuse super::types; fn g<'a>(x: &'a str) {}\n";
    assert!(
        violations(file, "kafka", quiet).is_empty(),
        "{:?}",
        violations(file, "kafka", quiet)
    );
    assert_eq!(
        violations(file, "kafka", "use crate::config::Settings;").len(),
        0
    );
    assert_eq!(
        violations(Path::new("drain/a.rs"), "drain", "use crate::diagnose::x;").len(),
        1,
        "sideways"
    );
    assert_eq!(
        violations(Path::new("new.rs"), "new", "").len(),
        1,
        "a module without a layer"
    );
}
