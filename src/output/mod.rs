//! The only module that writes to stdout: every report goes through [`emit`].
//!
//! Commands compute plain data and implement [`Render`] (in `views`) to say how it looks
//! as tables and metrics; each format is one file that turns that into bytes. Data goes to
//! stdout, progress and warnings to stderr, so `kbp lag -o json | jq` always parses.

mod csv;
mod diagnosis;
mod json;
mod progress;
pub mod prometheus;
mod screen;
mod table;
pub mod views;
mod watch;
mod yaml;

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::human::{compact_duration, or_dash, rate};
pub use progress::Progress;
pub use screen::Screen;
pub use watch::sparkline;

/// Every output format; commands accept the subset that suits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Wide,
    Json,
    Yaml,
    Csv,
    Prometheus,
    /// Compact JSON on one line, for a summary that follows data lines on stdout.
    #[value(skip)]
    JsonLine,
}

/// One titled grid of cells; `table` and `csv` print these.
#[derive(Debug, Clone)]
pub struct Table {
    pub title: Option<String>,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

/// One column of a table, defined once for every view: its header, its name in CSV (where
/// raw numbers may change what it holds: `TIME-LAG-MS`), whether only `-o wide` and CSV
/// show it, and how a row fills its cell.
pub struct Column<R> {
    pub header: &'static str,
    pub csv: &'static str,
    pub wide: bool,
    pub cell: fn(&R, View) -> String,
}

impl<R> Column<R> {
    /// A column every view shows, named the same in CSV.
    pub fn new(header: &'static str, cell: fn(&R, View) -> String) -> Self {
        Column {
            header,
            csv: header,
            wide: false,
            cell,
        }
    }

    /// A column only `-o wide` and CSV show.
    pub fn wide(header: &'static str, cell: fn(&R, View) -> String) -> Self {
        Column {
            wide: true,
            ..Column::new(header, cell)
        }
    }

    /// A column every view shows, named `csv` in CSV.
    pub fn renamed(header: &'static str, csv: &'static str, cell: fn(&R, View) -> String) -> Self {
        Column {
            csv,
            ..Column::new(header, cell)
        }
    }
}

impl Table {
    /// `rows` under `columns`, as `view` shows them.
    pub fn of<R>(
        title: Option<String>,
        columns: &[Column<R>],
        rows: impl IntoIterator<Item = R>,
        view: View,
    ) -> Table {
        let shown: Vec<&Column<R>> = columns
            .iter()
            .filter(|c| !c.wide || view != View::Table)
            .collect();
        Table {
            title,
            headers: shown
                .iter()
                .map(|c| if view == View::Csv { c.csv } else { c.header })
                .collect(),
            rows: rows
                .into_iter()
                .map(|r| shown.iter().map(|c| (c.cell)(&r, view)).collect())
                .collect(),
        }
    }
}

/// A block of the terminal report: a table, or lines of prose (findings, headings).
#[derive(Debug, Clone)]
pub enum Block {
    Table(Table),
    Text(Vec<String>),
}

/// One Prometheus gauge family: every sample has the same label names, and the label
/// values of all samples are kept in one string, so a family of 80,000 partitions is a few
/// MB rather than 80,000 label vectors (`kbp serve` at 10,000 groups).
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
    /// The label values of every sample, one after the other...
    values: String,
    /// ...each ending at these offsets of `values`, `labels.len()` per sample.
    ends: Vec<u32>,
    samples: Vec<f64>,
}

impl Metric {
    pub fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Metric {
        assert!(labels.len() <= MAX_LABELS, "{name}: too many labels");
        Metric {
            name,
            help,
            labels,
            values: String::new(),
            ends: Vec::new(),
            samples: Vec::new(),
        }
    }

    /// Adds a sample; `values` go with `labels`, in order.
    pub fn push(&mut self, values: &[&str], value: f64) {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        for v in values {
            self.values.push_str(v);
            self.ends.push(self.values.len() as u32);
        }
        self.samples.push(value);
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Calls `f` with each sample's labels (name, value) and value, in order.
    pub fn for_each(&self, mut f: impl FnMut(&[(&'static str, &str)], f64)) {
        let n = self.labels.len();
        let mut labels = [("", ""); MAX_LABELS];
        let mut start = 0;
        for (i, v) in self.samples.iter().enumerate() {
            for (j, name) in self.labels.iter().enumerate() {
                let end = self.ends[i * n + j] as usize;
                labels[j] = (name, &self.values[start..end]);
                start = end;
            }
            f(&labels[..n], *v);
        }
    }

    /// Each sample as owned labels and its value (for tests and small families).
    pub fn samples(&self) -> Vec<(Vec<(&'static str, String)>, f64)> {
        let mut out = Vec::with_capacity(self.len());
        self.for_each(|labels, v| {
            out.push((labels.iter().map(|(k, v)| (*k, v.to_string())).collect(), v));
        });
        out
    }
}

/// Most labels a family's samples carry (kbp's have up to four, five with `cluster`).
const MAX_LABELS: usize = 8;

/// Which tabular view a report is drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The columns that fit 100 characters, durations humanised.
    Table,
    /// Every column, durations humanised.
    Wide,
    /// Every column, raw numbers (durations in milliseconds), for machines.
    Csv,
}

/// How a report looks in the tabular formats and as metrics.
pub trait Render: Serialize {
    /// The tables for `view`; `csv` writes the last one, the detail table.
    fn tables(&self, view: View) -> Vec<Table>;

    /// What `table` and `wide` print: the tables, unless the report has prose to add.
    fn blocks(&self, view: View) -> Vec<Block> {
        self.tables(view).into_iter().map(Block::Table).collect()
    }

    /// Gauges for `-o prometheus`; `None` when the report has no metric form.
    fn metrics(&self) -> Option<Vec<Metric>> {
        None
    }

    /// Lines for stderr, whatever the format.
    fn warnings(&self) -> &[String] {
        &[]
    }
}

/// The start of the warning a cluster without DescribeConsumerGroups gets (librdkafka's
/// mock cluster, `kbp demo`): one text, so that a run that has said it in its own words
/// can leave it out ([`explained`]).
pub const CANNOT_DESCRIBE_GROUPS: &str = "this cluster cannot describe consumer groups";

/// Warnings starting with these are not printed: the run has explained them already.
static EXPLAINED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

/// Leaves out, for the rest of the run, the warnings that start with `prefix`: the caller
/// has said in its own words what they would say (the demo's story, once, rather than a
/// warning per step).
pub fn explained(prefix: &'static str) {
    EXPLAINED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(prefix);
}

/// `kbp: warning: TEXT` on stderr, escaped, best effort; unless explained.
pub fn warn(text: &str) {
    let known = EXPLAINED.lock().unwrap_or_else(|p| p.into_inner());
    if !known.iter().any(|p| text.starts_with(p)) {
        crate::sys::diag!("kbp: warning: {}", printable(text));
    }
}

/// Writes `report` in `format` to stdout; warnings go to stderr.
pub fn emit<R: Render>(report: &R, format: Format) -> Result<()> {
    for w in report.warnings() {
        warn(w);
    }
    check_stdout()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write(report, format, &mut out)?;
    out.flush().map_err(Error::output)
}

/// Refuses a stdout that was closed when kbp started: std put /dev/null there, so a
/// report would "succeed" into nothing (`kbp lag >&-` is exit 70, not a silent 0).
pub fn check_stdout() -> Result<()> {
    if crate::sys::stdout_closed() {
        return Err(Error::output(std::io::Error::other("stdout is closed")));
    }
    Ok(())
}

/// `text` safe for a terminal: control characters (an escape sequence in a group name
/// could clear the operator's screen, a newline would split a one-line message) and
/// characters a terminal hides or acts on (a bidi override reorders the line, a zero-width
/// or non-breaking space hides a difference) are shown escaped, as `\u{1b}`, `\n` and
/// `\u{202e}`. JSON, CSV and Prometheus output escape on their own.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A character a terminal acts on or does not show as itself: a control character, or
/// one Rust's `escape_debug` escapes (format characters, spaces other than ' ', a lone
/// combining mark) other than the quotes and the backslash.
fn hidden(c: char) -> bool {
    c.is_control() || (!matches!(c, '\\' | '\'' | '"') && c.escape_debug().len() > 1)
}

/// A table cell: as it is, or, where a table would hide or blur it (a hidden character,
/// white space at either end, a leading quote), as a quoted string with escapes
/// (`" billing"`), so that two names that differ never show the same.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    let blurred = text.starts_with(char::is_whitespace)
        || text.ends_with(char::is_whitespace)
        || text.starts_with('"')
        || text.chars().any(hidden);
    if blurred {
        std::borrow::Cow::Owned(format!("{text:?}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Writes text as it is to stdout: generated scripts and pages, and the demo's narration.
pub fn text(text: &str) -> Result<()> {
    check_stdout()?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::output)
}

/// Writes `report` to stderr: for summaries that must not mix with data on stdout. Best
/// effort, as every diagnostic: a full or closed stderr does not change the exit code.
pub fn emit_stderr<R: Render>(report: &R, format: Format) -> Result<()> {
    for w in report.warnings() {
        warn(w);
    }
    let mut text = Vec::new();
    write(report, format, &mut text)?;
    let _ = std::io::stderr().lock().write_all(&text);
    Ok(())
}

pub fn write<R: Render>(report: &R, format: Format, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Table => table::write(&report.blocks(View::Table), out),
        Format::Wide => table::write(&report.blocks(View::Wide), out),
        Format::Json => json::write(report, out),
        Format::JsonLine => json::write_line(report, out),
        Format::Yaml => yaml::write(report, out),
        Format::Csv => csv::write(report.tables(View::Csv).last(), out),
        Format::Prometheus => match report.metrics() {
            Some(m) => prometheus::write(m, out),
            None => Err(Error::usage(
                "-o prometheus is not available for this command",
            )),
        },
    }
}

/// A duration cell: humanised for people, raw milliseconds in CSV.
pub fn duration_cell(view: View, ms: Option<u64>) -> String {
    match view {
        View::Csv => or_dash(ms),
        _ => or_dash(ms.map(compact_duration)),
    }
}

/// A rate cell: humanised for people (`3.4k/s`), records per second in CSV.
pub fn rate_cell(view: View, r: Option<f64>) -> String {
    match view {
        View::Csv => or_dash(r.map(|v| format!("{v:.3}"))),
        _ => or_dash(r.map(rate)),
    }
}

#[cfg(test)]
mod tests {
    use super::{cell, printable, Column, Table, View};

    #[test]
    fn one_column_list_draws_every_view() {
        let columns: [Column<(u64, u64)>; 3] = [
            Column::new("A", |(a, _), _| a.to_string()),
            Column::wide("B", |(_, b), _| b.to_string()),
            Column::renamed("C", "C-MS", |(a, b), v| match v {
                View::Csv => (a + b).to_string(),
                _ => format!("{}ms", a + b),
            }),
        ];
        let t = |view| Table::of(None, &columns, [(1, 2)], view);
        assert_eq!(t(View::Table).headers, ["A", "C"]);
        assert_eq!(t(View::Table).rows, [["1", "3ms"]]);
        assert_eq!(t(View::Wide).headers, ["A", "B", "C"]);
        assert_eq!(t(View::Csv).headers, ["A", "B", "C-MS"]);
        assert_eq!(t(View::Csv).rows, [["1", "2", "3"]]);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("orders"), "orders");
        assert_eq!(printable("g\u{1b}[2Jx"), "g\\u{1b}[2Jx");
        assert_eq!(printable("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(
            printable("größe 🚀 \"it's\" a\\b"),
            "größe 🚀 \"it's\" a\\b"
        );
        assert_eq!(printable("a\u{202e}b\u{200b}"), "a\\u{202e}b\\u{200b}");
    }

    #[test]
    fn names_that_differ_show_differently_in_a_table() {
        let names = [
            "g",
            " g",
            "g ",
            " g ",
            "\"g\"",
            "g\u{a0}",
            "g\u{200b}",
            "g\u{1b}[2J",
            "g\\u{1b}[2J",
            "",
            "\" g\"",
        ];
        let shown: std::collections::BTreeSet<String> =
            names.iter().map(|n| cell(n).into_owned()).collect();
        assert_eq!(shown.len(), names.len(), "{shown:?}");
        assert_eq!(cell("billing-eu"), "billing-eu");
        assert_eq!(cell("größe"), "größe");
        assert_eq!(cell(" billing "), "\" billing \"");
        for s in &shown {
            assert!(!s.contains(['\u{1b}', '\n', '\u{200b}']), "{s:?}");
        }
    }
}
