//! How `kbp diagnose` and `kbp brokers` look on a terminal: findings as prose (worst
//! first, grouped by group, each with evidence, cause and remedy), then the tables.

use std::fmt::Write as _;

use super::{duration_cell, rate_cell, Block, Column, Metric, Render, Table, View};
use crate::human::{compact_duration, or_dash};
use crate::report::brokers::{BrokerMetrics, BrokerRow, BrokersReport};
use crate::report::diagnosis::{
    DiagnoseReport, Finding, GroupDiagnosis, PartitionDiagnosis, Status,
};

/// A finding as prose: its symptom, then its evidence, cause (with `cause`) and remedy,
/// each labelled and indented under it.
pub(super) fn finding_lines(f: &Finding, cause: bool) -> Vec<String> {
    let mut lines = vec![format!(
        "{:<5} {}: {}",
        f.severity.as_str().to_uppercase(),
        f.group.as_deref().unwrap_or("cluster"),
        f.symptom
    )];
    for (label, text) in [
        ("evidence", &f.evidence),
        ("cause", &f.cause),
        ("remedy", &f.remedy),
    ] {
        if !text.is_empty() && (cause || label != "cause") {
            lines.push(format!("      {label:<9} {text}"));
        }
    }
    lines
}

/// `kbp diagnose`'s groups.
fn group_columns<'a>() -> [Column<&'a GroupDiagnosis>; 15] {
    [
        Column::new("GROUP", |g, _| g.group.clone()),
        Column::new("STATE", |g, _| g.state.clone()),
        // A cluster that cannot describe groups says nothing of their members.
        Column::new("MEMBERS", |g, _| {
            if g.state == "Unknown" {
                "-".to_string()
            } else {
                g.members.to_string()
            }
        }),
        Column::new("STATUS", |g, _| g.status.as_str().to_string()),
        Column::new("LAG", |g, _| g.total_lag.to_string()),
        Column::new("LAG-CHANGE", |g, _| format!("{:+}", g.lag_change)),
        Column::new("PRODUCE", |g, v| rate_cell(v, g.produce_rate)),
        Column::new("CONSUME", |g, v| rate_cell(v, g.consume_rate)),
        Column::new("ETA", |g, _| g.eta.clone()),
        Column::new("MAX-TIME-LAG", |g, v| duration_cell(v, g.max_time_lag_ms)),
        Column::wide("PROTOCOL", |g, _| g.protocol.clone()),
        Column::wide("UNOWNED", |g, _| g.unowned_partitions.to_string()),
        Column::wide("IDLE-MEMBERS", |g, _| g.idle_members.to_string()),
        Column::wide("MEMBERSHIP-CHANGES", |g, _| {
            g.membership_changes.to_string()
        }),
        Column::wide("RECORDS-LOST", |g, _| g.records_lost.to_string()),
    ]
}

/// `kbp diagnose`'s partitions.
fn partition_columns<'a>() -> [Column<(&'a GroupDiagnosis, &'a PartitionDiagnosis)>; 15] {
    [
        Column::new("GROUP", |(g, _), _| g.group.clone()),
        Column::new("TOPIC", |(_, p), _| p.topic.clone()),
        Column::new("PARTITION", |(_, p), _| p.partition.to_string()),
        Column::new("STATUS", |(_, p), _| p.status.as_str().to_string()),
        Column::new("LAG", |(_, p), _| or_dash(p.lag)),
        Column::new("LAG-CHANGE", |(_, p), _| {
            or_dash(p.lag_change.map(|c| format!("{c:+}")))
        }),
        Column::new("CURRENT-OFFSET", |(_, p), _| or_dash(p.current_offset)),
        Column::new("LOG-END-OFFSET", |(_, p), _| or_dash(p.log_end_offset)),
        Column::new("OWNER", |(_, p), _| or_dash(p.owner.clone())),
        Column::wide("LOG-START-OFFSET", |(_, p), _| or_dash(p.log_start_offset)),
        Column::wide("PRODUCE", |(_, p), v| rate_cell(v, p.produce_rate)),
        Column::wide("CONSUME", |(_, p), v| rate_cell(v, p.consume_rate)),
        Column::wide("UNCHANGED", |(_, p), v| {
            duration_cell(v, Some(p.unchanged_ms))
        }),
        Column::wide("TIME-LAG", |(_, p), v| duration_cell(v, p.time_lag_ms)),
        Column::wide("RECORDS-LOST", |(_, p), _| or_dash(p.records_lost)),
    ]
}

impl Render for DiagnoseReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let wide = view != View::Table;
        // Every partition with `-o wide`, those not caught up otherwise; worst first.
        let mut parts = Vec::new();
        for g in &self.groups {
            let mut ps: Vec<_> = g
                .partitions
                .iter()
                .filter(|p| wide || p.status != Status::CaughtUp)
                .collect();
            ps.sort_by(|a, b| {
                b.status
                    .rank()
                    .cmp(&a.status.rank())
                    .then_with(|| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)))
            });
            parts.extend(ps.into_iter().map(|p| (g, p)));
        }
        let mut out = vec![Table::of(None, &group_columns(), &self.groups, view)];
        out.extend(self.cluster.tables(view));
        out.push(Table::of(None, &partition_columns(), parts, view));
        out
    }

    fn blocks(&self, view: View) -> Vec<Block> {
        let mut lines = vec![format!(
            "{} group(s), {} broker(s); {} sample(s) over {}; worst: {}",
            self.groups.len(),
            self.cluster.brokers.iter().filter(|b| b.up).count(),
            self.samples,
            // Sample times jitter by a few ms: 2s, not 1s, for a 2-second window.
            compact_duration((self.window_ms + 500) / 1000 * 1000),
            self.worst.as_str().to_uppercase()
        )];
        let mut scope: Option<&Option<String>> = None;
        for f in &self.findings {
            if scope != Some(&f.group) {
                lines.push(String::new());
                scope = Some(&f.group);
            }
            lines.extend(finding_lines(f, true));
        }
        let mut blocks = vec![Block::Text(lines)];
        let mut tables = self.tables(view);
        let parts = tables.pop();
        blocks.extend(
            tables
                .into_iter()
                .filter(|t| !t.rows.is_empty())
                .map(Block::Table),
        );
        let hidden: usize = self
            .groups
            .iter()
            .flat_map(|g| &g.partitions)
            .filter(|p| p.status == Status::CaughtUp)
            .count();
        if let Some(p) = parts.filter(|p| !p.rows.is_empty()) {
            blocks.push(Block::Table(p));
        }
        if view == View::Table && hidden > 0 {
            blocks.push(Block::Text(vec![format!(
                "{hidden} caught-up partition(s) not shown (-o wide shows every partition)"
            )]));
        }
        blocks
    }

    /// The verdicts, rates and ETA of each group: `kbp serve` exports them beside the lag.
    fn metrics(&self) -> Option<Vec<Metric>> {
        const GROUP: &[&str] = &["consumergroup"];
        let mut status = Metric::new(
            "kbp_group_status",
            "1 for the group's verdict over the window (kbp diagnose's status): CAUGHT-UP, OK, WARN, STALL, STOP, REWIND or UNKNOWN.",
            &["consumergroup", "status"],
        );
        let mut partition_status = Metric::new(
            "kbp_partition_status",
            "1 for the partition's verdict over the window (kbp diagnose's status).",
            &["consumergroup", "topic", "partition", "status"],
        );
        let mut produce = Metric::new(
            "kbp_group_produce_rate",
            "Records per second written to the group's partitions over the window.",
            GROUP,
        );
        let mut consume = Metric::new(
            "kbp_group_consume_rate",
            "Records per second the group's committed offsets advanced over the window.",
            GROUP,
        );
        let mut eta = Metric::new(
            "kbp_group_eta_seconds",
            "Time to catch up at the window's rates: 0 when caught up, +Inf when it never will; absent when unknown.",
            GROUP,
        );
        let mut lost = Metric::new(
            "kbp_group_records_lost",
            "Records deleted by retention before the group read them (committed offset below the log start).",
            GROUP,
        );
        let mut number = String::new();
        for g in &self.groups {
            let group = g.group.as_str();
            status.push(&[group, g.status.as_str()], 1.0);
            for p in &g.partitions {
                number.clear();
                let _ = write!(number, "{}", p.partition);
                partition_status.push(&[group, &p.topic, &number, p.status.as_str()], 1.0);
            }
            if let Some(r) = g.produce_rate {
                produce.push(&[group], r);
            }
            if let Some(r) = g.consume_rate {
                consume.push(&[group], r);
            }
            let seconds = match (g.eta_ms, g.eta.as_str()) {
                (Some(ms), _) => Some(ms as f64 / 1000.0),
                (None, "caught-up") => Some(0.0),
                (None, "never") => Some(f64::INFINITY),
                _ => None,
            };
            if let Some(s) = seconds {
                eta.push(&[group], s);
            }
            lost.push(&[group], g.records_lost as f64);
        }
        Some(vec![status, partition_status, produce, consume, eta, lost])
    }

    fn warnings(&self) -> &[String] {
        &self.notes
    }
}

fn ms_f(v: Option<f64>) -> String {
    or_dash(v.map(|v| format!("{v:.1}ms")))
}

/// Bytes as `512B`, `1.5kB`, `3.2MB`, `1.1GB`.
fn bytes(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.1}GB", v / 1e9),
        v if v >= 1e6 => format!("{:.1}MB", v / 1e6),
        v if v >= 1e3 => format!("{:.1}kB", v / 1e3),
        v => format!("{v:.0}B"),
    }
}

/// A broker's round-trip or throttle time: `1.5ms` for people, raw in CSV.
fn latency_cell(view: View, v: Option<f64>) -> String {
    match view {
        View::Csv => or_dash(v),
        _ => ms_f(v),
    }
}

/// A scraped metric: `human` for people, raw to three decimals in CSV.
fn metric_cell(view: View, v: Option<f64>, human: fn(f64) -> String) -> String {
    match view {
        View::Csv => or_dash(v.map(|v| format!("{v:.3}"))),
        _ => or_dash(v.map(human)),
    }
}

fn broker_columns<'a>() -> [Column<&'a BrokerRow>; 11] {
    [
        Column::new("BROKER", |b, _| b.id.to_string()),
        Column::new("HOST:PORT", |b, _| {
            or_dash(b.host.as_ref().map(|h| format!("{h}:{}", or_dash(b.port))))
        }),
        Column::new("RACK", |b, _| or_dash(b.rack.clone())),
        Column::new("UP", |b, _| if b.up { "yes" } else { "DOWN" }.into()),
        Column::new("CONTROLLER", |b, _| {
            if b.controller { "*" } else { "" }.into()
        }),
        Column::new("LEADERS", |b, _| b.leaders.to_string()),
        Column::new("REPLICAS", |b, _| b.replicas.to_string()),
        Column::new("URP-LED", |b, _| b.under_replicated_led.to_string()),
        Column::new("RTT-AVG", |b, v| latency_cell(v, b.rtt_avg_ms)),
        Column::new("RTT-P99", |b, v| latency_cell(v, b.rtt_p99_ms)),
        Column::new("THROTTLE-MAX", |b, v| latency_cell(v, b.throttle_max_ms)),
    ]
}

fn broker_metric_columns<'a>() -> [Column<(i32, &'a BrokerMetrics)>; 12] {
    fn pct(v: f64) -> String {
        format!("{:.0}%", v * 100.0)
    }
    fn count(v: f64) -> String {
        format!("{v:.0}")
    }
    fn ms(v: f64) -> String {
        format!("{v:.1}ms")
    }
    fn per_sec(v: f64) -> String {
        format!("{}/s", bytes(v))
    }
    [
        Column::new("BROKER", |(id, _), _| id.to_string()),
        Column::new("HANDLER-IDLE", |(_, m), v| {
            metric_cell(v, m.request_handler_idle, pct)
        }),
        Column::new("NETWORK-IDLE", |(_, m), v| {
            metric_cell(v, m.network_processor_idle, pct)
        }),
        Column::new("REQUEST-QUEUE", |(_, m), v| {
            metric_cell(v, m.request_queue_size, count)
        }),
        Column::new("PRODUCE-P99", |(_, m), v| {
            metric_cell(v, m.produce_p99_ms, ms)
        }),
        Column::new("FETCH-P99", |(_, m), v| metric_cell(v, m.fetch_p99_ms, ms)),
        Column::new("BYTES-IN", |(_, m), v| {
            metric_cell(v, m.bytes_in_per_sec, per_sec)
        }),
        Column::new("BYTES-OUT", |(_, m), v| {
            metric_cell(v, m.bytes_out_per_sec, per_sec)
        }),
        Column::new("FLUSHES", |(_, m), v| {
            metric_cell(v, m.log_flush_per_sec, |v| format!("{v:.1}/s"))
        }),
        Column::new("FLUSH-P99", |(_, m), v| {
            metric_cell(v, m.log_flush_p99_ms, ms)
        }),
        Column::new("URP", |(_, m), v| {
            metric_cell(v, m.under_replicated_partitions, count)
        }),
        Column::new("LOG-SIZE", |(_, m), v| {
            metric_cell(v, m.disk_used_bytes, bytes)
        }),
    ]
}

impl Render for BrokersReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let brokers = Table::of(None, &broker_columns(), &self.brokers, view);
        let scraped: Vec<_> = self
            .brokers
            .iter()
            .filter_map(|b| Some((b.id, b.metrics.as_ref()?)))
            .collect();
        if scraped.is_empty() {
            return vec![brokers];
        }
        vec![
            Table::of(None, &broker_metric_columns(), scraped, view),
            brokers,
        ]
    }

    fn blocks(&self, view: View) -> Vec<Block> {
        let mut head = vec![format!(
            "cluster {}: controller {}, {} broker(s) up{}, {} partition(s), {} under-replicated, {} offline",
            or_dash(self.cluster_id.clone()),
            or_dash(self.controller),
            self.brokers.iter().filter(|b| b.up).count(),
            if self.down.is_empty() {
                String::new()
            } else {
                format!(
                    ", DOWN: {}",
                    self.down.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
                )
            },
            self.partitions,
            self.under_replicated.len(),
            self.offline.len()
        )];
        let unhealthy = self
            .brokers
            .iter()
            .filter_map(|b| b.metrics.as_ref()?.error.clone());
        head.extend(unhealthy);
        let mut blocks = vec![Block::Text(head)];
        blocks.extend(self.tables(view).into_iter().rev().map(Block::Table));
        blocks
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{write, Format};

    fn render<R: Render>(r: &R, f: Format) -> String {
        let mut out = Vec::new();
        write(r, f, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn brokers_table_and_csv() {
        let r = BrokersReport {
            timestamp_ms: 0,
            cluster_id: None,
            controller: None,
            brokers: vec![BrokerRow {
                id: 1,
                host: Some("h".into()),
                port: Some(9092),
                rack: None,
                up: true,
                controller: false,
                leaders: 0,
                replicas: 0,
                under_replicated_led: 0,
                requests: 0,
                rtt_avg_ms: None,
                rtt_p99_ms: None,
                throttle_avg_ms: None,
                throttle_max_ms: None,
                metrics: None,
            }],
            down: vec![],
            expected: 1,
            partitions: 0,
            under_replicated: vec![],
            offline: vec![],
            warnings: vec![],
        };
        let t = render(&r, Format::Table);
        assert!(
            t.starts_with("cluster -: controller -, 1 broker(s) up, 0 partition(s)"),
            "{t}"
        );
        assert!(t.contains("h:9092"), "{t}");
        let csv = render(&r, Format::Csv);
        assert!(csv.starts_with("BROKER,HOST:PORT,RACK,UP"), "{csv}");
        assert_eq!(bytes(1_500.0), "1.5kB");
    }
}
