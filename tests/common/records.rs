//! What a drain's sink wrote, read back: the JSON lines of a file sink, and the log an
//! exec sink keeps of the records it finished.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

/// The JSON lines of a file sink. A run killed with SIGKILL may leave a torn last line (no
/// newline): allowed only when `torn_tail_ok`, and then left out.
pub fn json_lines(path: &Path, torn_tail_ok: bool) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines: Vec<&str> = text.split('\n').collect();
    let tail = lines.pop().unwrap_or("");
    assert!(
        tail.is_empty() || torn_tail_ok,
        "{}: last line has no newline: {tail:?}",
        path.display()
    );
    lines
        .iter()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad line {l:?}: {e}", path.display()))
        })
        .collect()
}

/// (partition, offset) of every line of a file sink's JSON lines, all of `topic`.
pub fn records_in(path: &Path, topic: &str, torn_tail_ok: bool) -> Vec<(i32, i64)> {
    json_lines(path, torn_tail_ok)
        .iter()
        .map(|v| {
            assert_eq!(v["topic"], topic, "{v}");
            (
                v["partition"].as_i64().unwrap() as i32,
                v["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Complete lines in a file so far.
pub fn line_count(path: &Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

/// Lines of a text file written by an exec sink, split on whitespace.
pub fn exec_lines(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// An exec sink that sleeps `delay`, then appends "PARTITION OFFSET" to `log`: the log
/// holds exactly the records the sink finished.
pub fn logging_sink(log: &Path, delay: &str) -> String {
    format!(
        "exec:sleep {delay}; echo \"$KBP_PARTITION $KBP_OFFSET\" >> '{}'",
        log.display()
    )
}

/// Offsets per partition in an exec sink's log.
pub fn logged(log: &Path) -> BTreeMap<i32, Vec<i64>> {
    let mut m: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for l in exec_lines(log) {
        m.entry(l[0].parse().unwrap())
            .or_default()
            .push(l[1].parse().unwrap());
    }
    m
}
