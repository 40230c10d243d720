//! How `kbp diagnose` and `kbp brokers` look on a terminal: findings as prose (worst
//! first, grouped by group, each with evidence, cause and remedy), then the tables.

use std::fmt::Write as _;

use super::{duration_cell, rate_cell, Block, Metric, Render, Table, View};
use crate::human::{compact_duration, or_dash};
use crate::report::brokers::BrokersReport;
use crate::report::diagnosis::{DiagnoseReport, Finding, Status};

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

impl Render for DiagnoseReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let wide = view != View::Table;
        let ms = |v: Option<u64>| duration_cell(view, v);
        let r = |v: Option<f64>| rate_cell(view, v);
        let mut groups = Table {
            title: None,
            headers: vec![
                "GROUP",
                "STATE",
                "MEMBERS",
                "STATUS",
                "LAG",
                "LAG-CHANGE",
                "PRODUCE",
                "CONSUME",
                "ETA",
                "MAX-TIME-LAG",
            ],
            rows: vec![],
        };
        if wide {
            groups.headers.extend([
                "PROTOCOL",
                "UNOWNED",
                "IDLE-MEMBERS",
                "MEMBERSHIP-CHANGES",
                "RECORDS-LOST",
            ]);
        }
        for g in &self.groups {
            let mut row = vec![
                g.group.clone(),
                g.state.clone(),
                // A cluster that cannot describe groups says nothing of their members.
                if g.state == "Unknown" {
                    "-".to_string()
                } else {
                    g.members.to_string()
                },
                g.status.as_str().to_string(),
                g.total_lag.to_string(),
                format!("{:+}", g.lag_change),
                r(g.produce_rate),
                r(g.consume_rate),
                g.eta.clone(),
                ms(g.max_time_lag_ms),
            ];
            if wide {
                row.extend([
                    g.protocol.clone(),
                    g.unowned_partitions.to_string(),
                    g.idle_members.to_string(),
                    g.membership_changes.to_string(),
                    g.records_lost.to_string(),
                ]);
            }
            groups.rows.push(row);
        }
        let mut parts = Table {
            title: None,
            headers: vec![
                "GROUP",
                "TOPIC",
                "PARTITION",
                "STATUS",
                "LAG",
                "LAG-CHANGE",
                "CURRENT-OFFSET",
                "LOG-END-OFFSET",
                "OWNER",
            ],
            rows: vec![],
        };
        if wide {
            parts.headers.extend([
                "LOG-START-OFFSET",
                "PRODUCE",
                "CONSUME",
                "UNCHANGED",
                "TIME-LAG",
                "RECORDS-LOST",
            ]);
        }
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
            for p in ps {
                let mut row = vec![
                    g.group.clone(),
                    p.topic.clone(),
                    p.partition.to_string(),
                    p.status.as_str().to_string(),
                    or_dash(p.lag),
                    or_dash(p.lag_change.map(|c| format!("{c:+}"))),
                    or_dash(p.current_offset),
                    or_dash(p.log_end_offset),
                    or_dash(p.owner.clone()),
                ];
                if wide {
                    row.extend([
                        or_dash(p.log_start_offset),
                        r(p.produce_rate),
                        r(p.consume_rate),
                        ms(Some(p.unchanged_ms)),
                        ms(p.time_lag_ms),
                        or_dash(p.records_lost),
                    ]);
                }
                parts.rows.push(row);
            }
        }
        let mut out = vec![groups];
        out.extend(self.cluster.tables(view));
        out.push(parts);
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

impl Render for BrokersReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let raw = view == View::Csv;
        let num = |v: Option<f64>, human: &dyn Fn(f64) -> String| {
            if raw {
                or_dash(v.map(|v| format!("{v:.3}")))
            } else {
                or_dash(v.map(human))
            }
        };
        let pct = |v: f64| format!("{:.0}%", v * 100.0);
        let brokers = Table {
            title: None,
            headers: vec![
                "BROKER",
                "HOST:PORT",
                "RACK",
                "UP",
                "CONTROLLER",
                "LEADERS",
                "REPLICAS",
                "URP-LED",
                "RTT-AVG",
                "RTT-P99",
                "THROTTLE-MAX",
            ],
            rows: self
                .brokers
                .iter()
                .map(|b| {
                    vec![
                        b.id.to_string(),
                        or_dash(b.host.as_ref().map(|h| format!("{h}:{}", or_dash(b.port)))),
                        or_dash(b.rack.clone()),
                        if b.up { "yes" } else { "DOWN" }.into(),
                        if b.controller { "*" } else { "" }.into(),
                        b.leaders.to_string(),
                        b.replicas.to_string(),
                        b.under_replicated_led.to_string(),
                        if raw {
                            or_dash(b.rtt_avg_ms)
                        } else {
                            ms_f(b.rtt_avg_ms)
                        },
                        if raw {
                            or_dash(b.rtt_p99_ms)
                        } else {
                            ms_f(b.rtt_p99_ms)
                        },
                        if raw {
                            or_dash(b.throttle_max_ms)
                        } else {
                            ms_f(b.throttle_max_ms)
                        },
                    ]
                })
                .collect(),
        };
        let with_metrics: Vec<_> = self
            .brokers
            .iter()
            .filter(|b| b.metrics.is_some())
            .collect();
        if with_metrics.is_empty() {
            return vec![brokers];
        }
        let metrics = Table {
            title: None,
            headers: vec![
                "BROKER",
                "HANDLER-IDLE",
                "NETWORK-IDLE",
                "REQUEST-QUEUE",
                "PRODUCE-P99",
                "FETCH-P99",
                "BYTES-IN",
                "BYTES-OUT",
                "FLUSHES",
                "FLUSH-P99",
                "URP",
                "LOG-SIZE",
            ],
            rows: with_metrics
                .iter()
                .filter_map(|b| Some((b.id, b.metrics.as_ref()?)))
                .map(|(id, m)| {
                    vec![
                        id.to_string(),
                        num(m.request_handler_idle, &pct),
                        num(m.network_processor_idle, &pct),
                        num(m.request_queue_size, &|v| format!("{v:.0}")),
                        num(m.produce_p99_ms, &|v| format!("{v:.1}ms")),
                        num(m.fetch_p99_ms, &|v| format!("{v:.1}ms")),
                        num(m.bytes_in_per_sec, &|v| format!("{}/s", bytes(v))),
                        num(m.bytes_out_per_sec, &|v| format!("{}/s", bytes(v))),
                        num(m.log_flush_per_sec, &|v| format!("{v:.1}/s")),
                        num(m.log_flush_p99_ms, &|v| format!("{v:.1}ms")),
                        num(m.under_replicated_partitions, &|v| format!("{v:.0}")),
                        num(m.disk_used_bytes, &bytes),
                    ]
                })
                .collect(),
        };
        vec![metrics, brokers]
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
    use crate::report::brokers::BrokerRow;

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
