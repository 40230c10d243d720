//! How a `--watch` frame looks: a header line, `kbp diagnose`'s findings, then the groups
//! and the partitions that are behind, each with a sparkline of its lag over the last
//! refreshes; and which severity each line shows, for the screen's colours.

use super::diagnosis::finding_lines;
use super::{duration_cell, rate_cell, table, Block, Column, Render, Table, View};
use crate::error::Result;
use crate::flags::WATCH;
use crate::human::{compact_duration, or_dash};
use crate::report::diagnosis::{Severity, Status};
use crate::report::watch::{WatchFrame, WatchGroup, WatchPartition};

/// Eight heights, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as bars scaled from their least to their greatest, so a trend shows whatever
/// its size; a flat series is a low line at zero and a middle one otherwise, an unknown
/// value a space.
pub fn sparkline(values: &[Option<u64>]) -> String {
    let known = values.iter().flatten();
    let (Some(lo), Some(hi)) = (known.clone().min(), known.max()) else {
        return "-".into();
    };
    values
        .iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if lo == hi && *lo == 0 => BARS[0],
            Some(_) if lo == hi => BARS[3],
            Some(v) => {
                let (span, up) = (u128::from(hi - lo), u128::from(v - lo));
                BARS[((up * 7 + span / 2) / span) as usize]
            }
        })
        .collect()
}

/// A block of the frame and the severity of each of its lines (text) or rows (table).
struct Piece {
    block: Block,
    severities: Vec<Option<Severity>>,
}

fn text(lines: Vec<(String, Option<Severity>)>) -> Piece {
    let (lines, severities) = lines.into_iter().unzip();
    Piece {
        block: Block::Text(lines),
        severities,
    }
}

fn change(d: Option<i64>) -> String {
    or_dash(d.map(|d| format!("{d:+}")))
}

fn group_columns<'a>() -> [Column<&'a WatchGroup>; 12] {
    [
        Column::new("GROUP", |g, _| g.group.clone()),
        Column::new("STATUS", |g, _| g.status.as_str().to_string()),
        Column::new("LAG", |g, _| g.total_lag.to_string()),
        Column::new("CHANGE", |g, _| change(g.lag_delta)),
        Column::new("TREND", |g, _| {
            let trend: Vec<Option<u64>> = g.lag_trend.iter().copied().map(Some).collect();
            sparkline(&trend)
        }),
        Column::new("TIME-LAG", |g, v| duration_cell(v, g.max_time_lag_ms)),
        Column::new("PRODUCE", |g, v| rate_cell(v, g.produce_rate)),
        Column::new("CONSUME", |g, v| rate_cell(v, g.consume_rate)),
        Column::new("ETA", |g, _| g.eta.clone()),
        Column::wide("STATE", |g, _| g.state.clone()),
        // A cluster that cannot describe groups says nothing of their members.
        Column::wide("MEMBERS", |g, _| {
            or_dash((g.state != "Unknown").then_some(g.members))
        }),
        Column::wide("WINDOW-CHANGE", |g, _| format!("{:+}", g.lag_change)),
    ]
}

fn group_table(f: &WatchFrame, view: View) -> (Table, Vec<Option<Severity>>) {
    let severities = f.groups.iter().map(|g| Some(g.severity)).collect();
    (
        Table::of(None, &group_columns(), &f.groups, view),
        severities,
    )
}

fn partition_columns<'a>() -> [Column<(&'a WatchGroup, &'a WatchPartition)>; 14] {
    [
        Column::new("GROUP", |(g, _), _| g.group.clone()),
        Column::new("TOPIC", |(_, p), _| p.topic.clone()),
        Column::new("PARTITION", |(_, p), _| p.partition.to_string()),
        Column::new("STATUS", |(_, p), _| p.status.as_str().to_string()),
        Column::new("LAG", |(_, p), _| or_dash(p.lag)),
        Column::new("CHANGE", |(_, p), _| change(p.lag_delta)),
        Column::new("TREND", |(_, p), _| sparkline(&p.lag_trend)),
        Column::new("TIME-LAG", |(_, p), v| duration_cell(v, p.time_lag_ms)),
        Column::wide("PRODUCE", |(_, p), v| rate_cell(v, p.produce_rate)),
        Column::wide("CONSUME", |(_, p), v| rate_cell(v, p.consume_rate)),
        Column::wide("ETA", |(_, p), _| p.eta.clone()),
        Column::wide("CURRENT-OFFSET", |(_, p), _| or_dash(p.current_offset)),
        Column::wide("LOG-END-OFFSET", |(_, p), _| or_dash(p.log_end_offset)),
        Column::wide("OWNER", |(_, p), _| or_dash(p.owner.clone())),
    ]
}

/// Every partition with `-o wide`; those not caught up otherwise.
fn partition_table(f: &WatchFrame, view: View) -> (Table, Vec<Option<Severity>>) {
    let wide = view != View::Table;
    let rows: Vec<_> = f
        .groups
        .iter()
        .flat_map(|g| g.partitions.iter().map(move |p| (g, p)))
        .filter(|(_, p)| wide || p.status != Status::CaughtUp)
        .collect();
    let severities = rows
        .iter()
        .map(|(_, p)| Some(p.status.severity()))
        .collect();
    (
        Table::of(None, &partition_columns(), rows, view),
        severities,
    )
}

/// Sample times jitter by a few ms: a window of 10s, not 9s, for ten 1s refreshes; of
/// 600ms, not 601ms, for two of 300ms.
fn rounded(ms: u64) -> u64 {
    let unit = if ms < 10_000 { 100 } else { 1000 };
    (ms + unit / 2) / unit * unit
}

/// The header line: what is watched, when, and over what window.
fn header(f: &WatchFrame) -> String {
    let at = jiff::Timestamp::from_millisecond(f.timestamp_ms as i64)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_else(|_| f.timestamp_ms.to_string());
    format!(
        "kbp {} {WATCH} every {}: refresh {} at {at}; {} sample(s) over {}; worst: {}",
        f.command,
        compact_duration(f.interval_ms),
        f.refresh,
        f.samples,
        compact_duration(rounded(f.window_ms)),
        f.worst.as_str().to_uppercase()
    )
}

fn pieces(f: &WatchFrame, view: View) -> Vec<Piece> {
    let mut out = vec![text(vec![(header(f), Some(f.worst))])];
    let findings: Vec<(String, Option<Severity>)> = f
        .findings
        .iter()
        .filter(|x| x.severity > Severity::Ok)
        .flat_map(|x| {
            finding_lines(x, false)
                .into_iter()
                .enumerate()
                .map(move |(i, l)| (l, (i == 0).then_some(x.severity)))
        })
        .collect();
    if !findings.is_empty() {
        out.push(text(findings));
    }
    if f.groups.is_empty() {
        out.push(text(vec![("no consumer groups".into(), None)]));
        return out;
    }
    let (groups, severities) = group_table(f, view);
    out.push(Piece {
        block: Block::Table(groups),
        severities,
    });
    let (parts, severities) = partition_table(f, view);
    if !parts.rows.is_empty() {
        out.push(Piece {
            block: Block::Table(parts),
            severities,
        });
    }
    let hidden = f
        .groups
        .iter()
        .flat_map(|g| &g.partitions)
        .filter(|p| p.status == Status::CaughtUp)
        .count();
    if view == View::Table && hidden > 0 {
        out.push(text(vec![(
            format!("{hidden} caught-up partition(s) not shown (-o wide shows every partition)"),
            None,
        )]));
    }
    out
}

impl Render for WatchFrame {
    fn tables(&self, view: View) -> Vec<Table> {
        vec![group_table(self, view).0, partition_table(self, view).0]
    }

    fn blocks(&self, view: View) -> Vec<Block> {
        pieces(self, view).into_iter().map(|p| p.block).collect()
    }

    fn warnings(&self) -> &[String] {
        &self.notes
    }
}

/// The frame as the table writer prints it, each line with the severity it shows.
pub(super) fn lines(f: &WatchFrame, view: View) -> Result<Vec<(String, Option<Severity>)>> {
    let mut out = Vec::new();
    for (i, p) in pieces(f, view).into_iter().enumerate() {
        if i > 0 {
            out.push((String::new(), None));
        }
        let mut buf = Vec::new();
        table::write(std::slice::from_ref(&p.block), &mut buf)?;
        // A table's first line (after its title) is its header; its rows follow in order.
        let skip = match &p.block {
            Block::Table(t) => 1 + usize::from(t.title.is_some()),
            Block::Text(_) => 0,
        };
        for (n, l) in String::from_utf8_lossy(&buf).lines().enumerate() {
            let severity = n
                .checked_sub(skip)
                .and_then(|r| p.severities.get(r).copied().flatten());
            out.push((l.to_string(), severity));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_from_least_to_greatest() {
        let s = |v: &[u64]| sparkline(&v.iter().copied().map(Some).collect::<Vec<_>>());
        assert_eq!(s(&[0, 1, 2, 3, 4, 5, 6, 7]), "▁▂▃▄▅▆▇█");
        assert_eq!(s(&[1000, 1500, 2000]), "▁▅█");
        assert_eq!(s(&[9, 3]), "█▁");
        assert_eq!(s(&[0, 0, 0]), "▁▁▁");
        assert_eq!(s(&[40, 40]), "▄▄");
        assert_eq!(s(&[u64::MAX, 0]), "█▁");
        assert_eq!(sparkline(&[Some(1), None, Some(3)]), "▁ █");
        assert_eq!(sparkline(&[None]), "-");
        assert_eq!(sparkline(&[]), "-");
    }

    #[test]
    fn windows_are_rounded_to_what_their_refreshes_can_tell() {
        assert_eq!(compact_duration(rounded(601)), "600ms");
        assert_eq!(compact_duration(rounded(9_996)), "10s");
        assert_eq!(compact_duration(rounded(29_480)), "29s");
    }

    fn frame() -> WatchFrame {
        let part = |p: i32, status: Status, lag: u64| WatchPartition {
            topic: "orders".into(),
            partition: p,
            status,
            lag: Some(lag),
            lag_delta: Some(5),
            lag_change: Some(10),
            lag_trend: vec![Some(lag - 10), Some(lag - 5), Some(lag)],
            time_lag_ms: Some(3_000),
            produce_rate: Some(20.0),
            consume_rate: Some(10.0),
            eta_ms: None,
            eta: "never".into(),
            current_offset: Some(1),
            log_end_offset: Some(1 + lag as i64),
            owner: None,
        };
        WatchFrame {
            command: "lag".into(),
            refresh: 3,
            timestamp_ms: 1_795_441_318_998,
            interval_ms: 5_000,
            window_ms: 9_996,
            samples: 3,
            worst: Severity::Warn,
            groups: vec![WatchGroup {
                group: "billing".into(),
                state: "Empty".into(),
                members: 0,
                status: Status::Warn,
                severity: Severity::Warn,
                total_lag: 100,
                lag_delta: Some(5),
                lag_change: 10,
                lag_trend: vec![90, 95, 100],
                max_time_lag_ms: Some(3_000),
                produce_rate: Some(20.0),
                consume_rate: Some(10.0),
                eta_ms: None,
                eta: "never".into(),
                partitions: vec![
                    part(0, Status::Warn, 100),
                    part(1, Status::CaughtUp, 10),
                    part(2, Status::Stall, 10),
                ],
            }],
            findings: vec![],
            cluster: None,
            notes: vec![],
        }
    }

    #[test]
    fn each_row_carries_its_own_severity() {
        let lines = lines(&frame(), View::Table).unwrap();
        let text: Vec<&str> = lines.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            text[0],
            "kbp lag --watch every 5s: refresh 3 at 2026-11-23T13:41:59Z; 3 sample(s) over 10s; worst: WARN"
        );
        let row = |needle: &str| {
            lines
                .iter()
                .find(|(l, _)| l.contains(needle))
                .unwrap_or_else(|| panic!("no {needle} in {text:#?}"))
        };
        assert_eq!(row("billing  WARN").1, Some(Severity::Warn));
        assert!(row("billing  WARN").0.contains("+5  ▁▅█"), "{text:#?}");
        assert_eq!(row("STALL").1, Some(Severity::Crit));
        assert_eq!(row("GROUP    STATUS").1, None, "headers are not coloured");
        assert_eq!(row("caught-up partition(s) not shown").1, None);
        assert!(!text.iter().any(|l| l.contains("CAUGHT-UP")), "{text:#?}");
        let wide = lines_of(View::Wide);
        assert!(wide.iter().any(|l| l.contains("CAUGHT-UP")), "{wide:#?}");
    }

    fn lines_of(view: View) -> Vec<String> {
        lines(&frame(), view)
            .unwrap()
            .into_iter()
            .map(|(l, _)| l)
            .collect()
    }
}
