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
            title: Some(
                format!(
                    "drain of group {} stopped ({}) after {}",
                    self.group,
                    serde_json::to_value(&self.stop_reason)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    compact_duration(self.duration_ms)
                ) + &match c.replaced {
                    0 => String::new(),
                    n => format!("; {n} record(s) written with invalid UTF-8 replaced by U+FFFD"),
                },
            ),
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
        let time = |ms| timestamp_cell(view, ms);
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

/// A record timestamp: RFC 3339 UTC to the second for people, raw milliseconds in CSV.
fn timestamp_cell(view: View, ms: Option<i64>) -> String {
    match (ms, view) {
        (Some(ms), View::Csv) => ms.to_string(),
        (Some(ms), _) => jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
            .unwrap_or_else(|_| ms.to_string()),
        (None, _) => "-".into(),
    }
}

impl Render for crate::report::offsets::OffsetsReport {
    fn tables(&self, view: View) -> Vec<Table> {
        use crate::report::offsets::{Action, MoveStatus};
        let wide = view != View::Table;
        let parts: Vec<_> = self
            .groups
            .iter()
            .flat_map(|g| g.partitions.iter().map(move |p| (g, p)))
            .collect();
        let count = |s: MoveStatus| parts.iter().filter(|(_, p)| p.status == s).count();
        let groups =
            |deleted: Option<bool>| self.groups.iter().filter(|g| g.deleted == deleted).count();
        // (plan verb, done as, what is counted, done, failed, planned)
        let (verb, did, noun, done, failed, total) = match self.action {
            Action::DeleteGroup => (
                "delete",
                "deleted",
                "group",
                groups(Some(true)),
                groups(Some(false)),
                self.groups.len(),
            ),
            Action::DeleteOffsets => (
                "delete the commits of",
                "deleted",
                "partition",
                count(MoveStatus::Deleted),
                count(MoveStatus::Failed),
                count(MoveStatus::Planned),
            ),
            Action::Reset => (
                "move",
                "moved",
                "partition",
                count(MoveStatus::Moved),
                count(MoveStatus::Failed),
                count(MoveStatus::Planned),
            ),
            Action::Restore => (
                "restore",
                "restored",
                "partition",
                count(MoveStatus::Moved),
                count(MoveStatus::Failed),
                count(MoveStatus::Planned),
            ),
        };
        let strategy = if self.strategy.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.strategy)
        };
        let unchanged = match count(MoveStatus::Unchanged) {
            0 => String::new(),
            n => format!(", {n} unchanged"),
        };
        let unknown = match self.action {
            Action::DeleteGroup => self.groups.iter().filter(|g| g.deleted.is_none()).count(),
            _ => count(MoveStatus::Unknown),
        };
        let unknown = match unknown {
            0 => String::new(),
            n => format!(", {n} unknown (not read back)"),
        };
        let title = if self.executed {
            format!(
                "{} {noun}(s) {did}{strategy}, {failed} failed{unknown}{unchanged}",
                done
            )
        } else {
            let sign = matches!(self.action, Action::Reset | Action::Restore)
                .then_some(" (RECORDS: + skipped, - read again)")
                .unwrap_or_default();
            format!("plan: {verb} {total} {noun}(s){strategy}{unchanged}; nothing was written: add --execute to write{sign}")
        };
        let mut headers = vec![
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "NEW-OFFSET",
            "RECORDS",
            if view == View::Csv {
                "TIME-SPAN-MS"
            } else {
                "TIME-SPAN"
            },
            "STATUS",
        ];
        if wide {
            headers.extend([
                "REQUESTED-OFFSET",
                "LOG-START-OFFSET",
                "LOG-END-OFFSET",
                "FIRST-TIMESTAMP",
                "LAST-TIMESTAMP",
                "ERROR",
            ]);
        }
        let rows = parts
            .iter()
            .map(|(g, p)| {
                let span = p
                    .first_timestamp
                    .zip(p.last_timestamp)
                    .map(|(a, b)| b.abs_diff(a));
                let mut row = vec![
                    g.group.clone(),
                    p.topic.clone(),
                    p.partition.to_string(),
                    or_dash(p.current_offset),
                    or_dash(p.new_offset),
                    // A sign for people: + skipped, - read again.
                    match p.records {
                        Some(r) if r > 0 && view != View::Csv => format!("+{r}"),
                        r => or_dash(r),
                    },
                    duration_cell(view, span),
                    p.status.as_str().to_string(),
                ];
                if wide {
                    row.extend([
                        or_dash(p.requested_offset),
                        p.log_start_offset.to_string(),
                        p.log_end_offset.to_string(),
                        timestamp_cell(view, p.first_timestamp),
                        timestamp_cell(view, p.last_timestamp),
                        or_dash(p.error.clone()),
                    ]);
                }
                row
            })
            .collect();
        if self.action != Action::DeleteGroup {
            return vec![Table {
                title: Some(title),
                headers,
                rows,
            }];
        }
        let groups = Table {
            title: Some(title),
            headers: vec![
                "GROUP",
                "STATE",
                "MEMBERS",
                "COMMITS",
                "STATUS",
                "RESTORE-FILE",
            ],
            rows: self
                .groups
                .iter()
                .map(|g| {
                    vec![
                        g.group.clone(),
                        g.state.clone(),
                        g.members.to_string(),
                        g.partitions.len().to_string(),
                        match (g.deleted, &g.error) {
                            (None, _) => "planned".to_string(),
                            (Some(true), _) => "deleted".to_string(),
                            (Some(false), Some(e)) => format!("failed: {e}"),
                            (Some(false), None) => "failed".to_string(),
                        },
                        or_dash(g.restore_file.clone()),
                    ]
                })
                .collect(),
        };
        vec![
            groups,
            Table {
                title: None,
                headers,
                rows,
            },
        ]
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl Render for crate::report::offsets::OffsetsExport {
    fn tables(&self, _view: View) -> Vec<Table> {
        vec![Table {
            title: None,
            headers: vec!["GROUP", "TOPIC", "PARTITION", "OFFSET"],
            rows: self
                .groups
                .iter()
                .flat_map(|g| {
                    g.offsets.iter().map(move |c| {
                        vec![
                            g.group.clone(),
                            c.topic.clone(),
                            c.partition.to_string(),
                            c.offset.to_string(),
                        ]
                    })
                })
                .collect(),
        }]
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::offsets::{Action, GroupMove, MoveStatus, OffsetsReport, PartitionMove};

    fn report(action: Action, executed: bool, statuses: &[MoveStatus]) -> OffsetsReport {
        let partitions = statuses
            .iter()
            .enumerate()
            .map(|(i, s)| PartitionMove {
                topic: "orders".into(),
                partition: i as i32,
                current_offset: Some(40),
                new_offset: Some(100 - 90 * i as i64),
                requested_offset: None,
                log_start_offset: 0,
                log_end_offset: 100,
                records: Some(60 - 90 * i as i64),
                first_timestamp: Some(1_000),
                last_timestamp: Some(62_000),
                status: *s,
                error: None,
            })
            .collect();
        OffsetsReport {
            action,
            strategy: "--to-latest".into(),
            executed,
            groups: vec![GroupMove {
                group: "billing".into(),
                state: "Empty".into(),
                members: 0,
                restore_file: None,
                deleted: executed.then_some(true),
                error: None,
                partitions,
            }],
            warnings: vec![],
        }
    }

    #[test]
    fn offsets_plans_say_what_would_move_and_results_what_did() {
        use MoveStatus::*;
        let plan = report(Action::Reset, false, &[Planned, Planned, Unchanged]);
        let t = &plan.tables(View::Table)[0];
        assert_eq!(
            t.title.as_deref(),
            Some("plan: move 2 partition(s) (--to-latest), 1 unchanged; nothing was written: add --execute to write (RECORDS: + skipped, - read again)")
        );
        let row = |t: &Table, i: usize| t.rows[i][3..8].join(" ");
        assert_eq!(row(t, 0), "40 100 +60 1m01s planned");
        assert_eq!(row(t, 1), "40 10 -30 1m01s planned");
        let csv = &plan.tables(View::Csv)[0];
        assert_eq!(
            row(csv, 0),
            "40 100 60 61000 planned",
            "raw numbers for machines"
        );
        let done = report(Action::Reset, true, &[Moved, Failed]);
        assert_eq!(
            done.tables(View::Table)[0].title.as_deref(),
            Some("1 partition(s) moved (--to-latest), 1 failed")
        );
        // What was sent and not read back is neither moved nor failed.
        let cut = report(Action::Reset, true, &[Moved, Unknown, Failed]);
        let t = &cut.tables(View::Table)[0];
        assert_eq!(
            t.title.as_deref(),
            Some("1 partition(s) moved (--to-latest), 1 failed, 1 unknown (not read back)")
        );
        assert_eq!(t.rows[1][7], "unknown");
        let gone = report(Action::DeleteGroup, true, &[Deleted]);
        let tables = gone.tables(View::Table);
        assert_eq!(tables.len(), 2, "the groups, then their partitions");
        assert_eq!(tables[0].rows[0][4], "deleted");
    }
}
