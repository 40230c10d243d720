//! How each command's report looks as tables and metrics.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{duration_cell, Metric, Render, Table, View};
use crate::config::{ContextRow, EffectiveView};
use crate::human::{compact_duration, or_dash};
use crate::report::lag::{lag_by_topic, LagReport};

/// A partition's log offsets, as any group's row saw them.
#[derive(Default)]
struct LogOffsets {
    start: Option<i64>,
    end: Option<i64>,
}

impl Render for LagReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let wide = view != View::Table;
        let duration = |ms: Option<u64>| duration_cell(view, ms);
        let summary = Table {
            title: None,
            headers: if wide {
                vec![
                    "GROUP",
                    "STATE",
                    "PROTOCOL",
                    "COORDINATOR",
                    "MEMBERS",
                    "TOTAL-LAG",
                    "MAX-TIME-LAG",
                    "UNOWNED",
                    "RECORDS-LOST",
                ]
            } else {
                vec![
                    "GROUP",
                    "STATE",
                    "PROTOCOL",
                    "MEMBERS",
                    "TOTAL-LAG",
                    "MAX-TIME-LAG",
                    "UNOWNED",
                ]
            },
            rows: self
                .groups
                .iter()
                .map(|g| {
                    let mut row = vec![g.group.clone(), g.state.clone(), g.protocol.clone()];
                    if wide {
                        row.push(or_dash(
                            g.coordinator
                                .as_ref()
                                .map(|c| format!("{} ({}:{})", c.id, c.host, c.port)),
                        ));
                    }
                    // Unknown, not zero, where the cluster could not describe the group.
                    let known = |n: usize| or_dash(g.described.then_some(n));
                    row.extend([
                        known(g.members),
                        g.total_lag.to_string(),
                        duration(g.max_time_lag_ms),
                        known(g.unowned_partitions),
                    ]);
                    if wide {
                        row.push(g.records_lost.to_string());
                    }
                    row
                })
                .collect(),
        };
        let headers = if wide {
            vec![
                "GROUP",
                "TOPIC",
                "PARTITION",
                "CURRENT-OFFSET",
                "LOG-START-OFFSET",
                "LOG-END-OFFSET",
                "LAG",
                "TIME-LAG",
                "RECORDS-LOST",
                "CONSUMER-ID",
                "HOST",
                "CLIENT-ID",
            ]
        } else {
            vec![
                "GROUP",
                "TOPIC",
                "PARTITION",
                "CURRENT-OFFSET",
                "LOG-END-OFFSET",
                "LAG",
                "TIME-LAG",
            ]
        };
        // CSV carries raw milliseconds, and says so.
        let headers = headers
            .into_iter()
            .map(|h| {
                if view == View::Csv && h == "TIME-LAG" {
                    "TIME-LAG-MS"
                } else {
                    h
                }
            })
            .collect();
        let mut rows = Vec::new();
        for g in &self.groups {
            for p in &g.partitions {
                let mut row = vec![
                    g.group.clone(),
                    p.topic.clone(),
                    p.partition.to_string(),
                    or_dash(p.current_offset),
                ];
                if wide {
                    row.push(or_dash(p.log_start_offset));
                }
                row.extend([
                    or_dash(p.log_end_offset),
                    or_dash(p.lag),
                    duration(p.time_lag_ms),
                ]);
                if wide {
                    row.extend([
                        or_dash(p.records_lost),
                        or_dash(p.consumer_id.clone()),
                        or_dash(p.host.clone()),
                        or_dash(p.client_id.clone()),
                    ]);
                }
                rows.push(row);
            }
        }
        vec![
            summary,
            Table {
                title: None,
                headers,
                rows,
            },
        ]
    }

    fn metrics(&self) -> Option<Vec<Metric>> {
        const GROUP: &[&str] = &["consumergroup"];
        const PART: &[&str] = &["consumergroup", "topic", "partition"];
        const TOPIC_PART: &[&str] = &["topic", "partition"];
        let mut lag = Metric::new(
            "kafka_consumergroup_lag",
            "Records the group is behind the log end, per partition.",
            PART,
        );
        let mut sum = Metric::new(
            "kafka_consumergroup_lag_sum",
            "Records the group is behind, summed per topic.",
            &["consumergroup", "topic"],
        );
        let mut current = Metric::new(
            "kafka_consumergroup_current_offset",
            "Committed offset of the group, per partition.",
            PART,
        );
        let mut members = Metric::new(
            "kafka_consumergroup_members",
            "Members of the consumer group.",
            GROUP,
        );
        let mut time = Metric::new(
            "kafka_consumergroup_lag_seconds",
            "Age of the oldest unconsumed record (now minus its timestamp), per partition.",
            PART,
        );
        let mut max_time = Metric::new(
            "kafka_consumergroup_max_lag_seconds",
            "Age of the oldest unconsumed record over all of the group's partitions.",
            GROUP,
        );
        let mut ends = Metric::new(
            "kafka_topic_partition_current_offset",
            "Log end offset of the partition (the next offset to be written).",
            TOPIC_PART,
        );
        let mut starts = Metric::new(
            "kafka_topic_partition_oldest_offset",
            "Log start offset of the partition (the oldest offset still kept).",
            TOPIC_PART,
        );
        // Log offsets belong to the partition, whichever groups read it.
        let mut log: BTreeMap<(&str, i32), LogOffsets> = BTreeMap::new();
        let mut number = String::new();
        for g in &self.groups {
            let group = g.group.as_str();
            if g.described {
                members.push(&[group], g.members as f64);
            }
            if let Some(t) = g.max_time_lag_ms {
                max_time.push(&[group], t as f64 / 1000.0);
            }
            for (topic, total) in lag_by_topic(g) {
                sum.push(&[group, topic], total as f64);
            }
            for p in &g.partitions {
                number.clear();
                let _ = write!(number, "{}", p.partition);
                let labels = [group, p.topic.as_str(), number.as_str()];
                if let Some(l) = p.lag {
                    lag.push(&labels, l as f64);
                }
                if let Some(c) = p.current_offset {
                    current.push(&labels, c as f64);
                }
                if let Some(t) = p.time_lag_ms {
                    time.push(&labels, t as f64 / 1000.0);
                }
                let seen = log.entry((&p.topic, p.partition)).or_default();
                seen.end = seen.end.or(p.log_end_offset);
                seen.start = seen.start.or(p.log_start_offset);
            }
        }
        for ((t, p), o) in &log {
            let partition = p.to_string();
            if let Some(end) = o.end {
                ends.push(&[t, &partition], end as f64);
            }
            if let Some(start) = o.start {
                starts.push(&[t, &partition], start as f64);
            }
        }
        Some(vec![
            lag, sum, current, members, time, max_time, ends, starts,
        ])
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// `kbp config contexts`.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Contexts(pub Vec<ContextRow>);

impl Render for Contexts {
    fn tables(&self, _view: View) -> Vec<Table> {
        vec![Table {
            title: None,
            headers: vec!["CURRENT", "NAME", "BOOTSTRAP-SERVERS", "SECURITY-PROTOCOL"],
            rows: self
                .0
                .iter()
                .map(|c| {
                    vec![
                        if c.current { "*" } else { "" }.into(),
                        c.name.clone(),
                        c.bootstrap_servers.clone(),
                        c.security_protocol.clone(),
                    ]
                })
                .collect(),
        }]
    }
}

impl Render for EffectiveView {
    fn tables(&self, _view: View) -> Vec<Table> {
        let mut rows = vec![
            vec!["config-file".into(), or_dash(self.config_file.clone())],
            vec!["context".into(), or_dash(self.context.clone())],
            vec![
                "bootstrap-servers".into(),
                or_dash(self.bootstrap_servers.clone()),
            ],
            vec!["timeout".into(), self.timeout.clone()],
        ];
        rows.extend(
            self.properties
                .iter()
                .map(|(k, v)| vec![k.clone(), v.clone()]),
        );
        vec![Table {
            title: None,
            headers: vec!["SETTING", "VALUE"],
            rows,
        }]
    }
}

impl Render for crate::report::drain::DrainSummary {
    fn tables(&self, _view: View) -> Vec<Table> {
        let c = &self.counters;
        let head = Table {
            title: Some(format!(
                "drain of group {} stopped ({}) after {}",
                self.group,
                serde_json::to_value(&self.stop_reason)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                compact_duration(self.duration_ms)
            )),
            headers: vec![
                "PROCESSED",
                "SKIPPED",
                "DLQ",
                "FAILED",
                "RETRIES",
                "PAUSES",
                "PARTITION-PAUSES",
                "REBALANCES",
                "COMMITS",
                "COMMIT-FAILURES",
            ],
            rows: vec![vec![
                c.processed.to_string(),
                c.skipped.to_string(),
                c.dead_lettered.to_string(),
                c.failed.to_string(),
                c.retries.to_string(),
                c.pauses.to_string(),
                c.partition_pauses.to_string(),
                c.rebalances.to_string(),
                c.commits.to_string(),
                c.commit_failures.to_string(),
            ]],
        };
        let parts = Table {
            title: None,
            headers: vec![
                "TOPIC",
                "PARTITION",
                "START",
                "COMMITTED",
                "PROCESSED",
                "SKIPPED",
                "DLQ",
                "FAILED",
            ],
            rows: self
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.topic.clone(),
                        p.partition.to_string(),
                        or_dash(p.start_offset),
                        or_dash(p.committed_offset),
                        p.processed.to_string(),
                        p.skipped.to_string(),
                        p.dead_lettered.to_string(),
                        p.failed.to_string(),
                    ]
                })
                .collect(),
        };
        vec![head, parts]
    }

    fn warnings(&self) -> &[String] {
        &self.errors
    }
}

impl Render for crate::report::drain::DrainPlan {
    fn tables(&self, view: View) -> Vec<Table> {
        let time = |ms: Option<i64>| match (ms, view) {
            (Some(ms), View::Csv) => ms.to_string(),
            (Some(ms), _) => jiff::Timestamp::from_millisecond(ms)
                .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
                .unwrap_or_else(|_| ms.to_string()),
            (None, _) => "-".into(),
        };
        let head = Table {
            title: Some(format!(
                "dry run: drain of group {} would process {} record(s) {}; nothing was joined, run or committed",
                self.group,
                self.records,
                match &self.until {
                    Some(u) => format!("(--until {u})"),
                    None => "up to the current log end, then go on (no --until)".into(),
                }
            )),
            headers: vec![
                "TOPIC",
                "PARTITION",
                "COMMITTED",
                "START",
                "STOP",
                "RECORDS",
                "FIRST-TIMESTAMP",
                "LAST-TIMESTAMP",
            ],
            rows: self
                .partitions
                .iter()
                .map(|p| {
                    vec![
                        p.topic.clone(),
                        p.partition.to_string(),
                        or_dash(p.committed),
                        p.start.to_string(),
                        or_dash(p.stop),
                        p.records.to_string(),
                        time(p.first_timestamp),
                        time(p.last_timestamp),
                    ]
                })
                .collect(),
        };
        vec![head]
    }
}
