//! How each command's report looks as tables and metrics.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{duration_cell, Column, Metric, Render, Table, View};
use crate::config::{ContextRow, EffectiveView};
use crate::flags::{EXECUTE, UNTIL};
use crate::human::{compact_duration, or_dash};
use crate::report::drain::{Counters, DrainPlan, DrainSummary, PartitionPlan, PartitionSummary};
use crate::report::lag::{lag_by_topic, GroupLag, LagReport, PartitionLag};
use crate::report::offsets::{
    Action, Committed, GroupMove, MoveStatus, OffsetsExport, OffsetsReport, PartitionMove,
};

/// A partition's log offsets, as any group's row saw them.
#[derive(Default)]
struct LogOffsets {
    start: Option<i64>,
    end: Option<i64>,
}

/// `kbp lag`'s summary: one row per group. Unknown, not zero, where the cluster could not
/// describe the group.
fn lag_group_columns<'a>() -> [Column<&'a GroupLag>; 9] {
    fn known(g: &GroupLag, n: usize) -> String {
        or_dash(g.described.then_some(n))
    }
    [
        Column::new("GROUP", |g, _| g.group.clone()),
        Column::new("STATE", |g, _| g.state.clone()),
        Column::new("PROTOCOL", |g, _| g.protocol.clone()),
        Column::wide("COORDINATOR", |g, _| {
            or_dash(
                g.coordinator
                    .as_ref()
                    .map(|c| format!("{} ({}:{})", c.id, c.host, c.port)),
            )
        }),
        Column::new("MEMBERS", |g, _| known(g, g.members)),
        Column::new("TOTAL-LAG", |g, _| g.total_lag.to_string()),
        Column::new("MAX-TIME-LAG", |g, v| duration_cell(v, g.max_time_lag_ms)),
        Column::new("UNOWNED", |g, _| known(g, g.unowned_partitions)),
        Column::wide("RECORDS-LOST", |g, _| g.records_lost.to_string()),
    ]
}

/// `kbp lag`'s detail: one row per group and partition. CSV carries raw milliseconds, and
/// says so.
fn lag_partition_columns<'a>() -> [Column<(&'a GroupLag, &'a PartitionLag)>; 12] {
    [
        Column::new("GROUP", |(g, _), _| g.group.clone()),
        Column::new("TOPIC", |(_, p), _| p.topic.clone()),
        Column::new("PARTITION", |(_, p), _| p.partition.to_string()),
        Column::new("CURRENT-OFFSET", |(_, p), _| or_dash(p.current_offset)),
        Column::wide("LOG-START-OFFSET", |(_, p), _| or_dash(p.log_start_offset)),
        Column::new("LOG-END-OFFSET", |(_, p), _| or_dash(p.log_end_offset)),
        Column::new("LAG", |(_, p), _| or_dash(p.lag)),
        Column::renamed("TIME-LAG", "TIME-LAG-MS", |(_, p), v| {
            duration_cell(v, p.time_lag_ms)
        }),
        Column::wide("RECORDS-LOST", |(_, p), _| or_dash(p.records_lost)),
        Column::wide("CONSUMER-ID", |(_, p), _| or_dash(p.consumer_id.clone())),
        Column::wide("HOST", |(_, p), _| or_dash(p.host.clone())),
        Column::wide("CLIENT-ID", |(_, p), _| or_dash(p.client_id.clone())),
    ]
}

impl Render for LagReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let rows = self
            .groups
            .iter()
            .flat_map(|g| g.partitions.iter().map(move |p| (g, p)));
        vec![
            Table::of(None, &lag_group_columns(), &self.groups, view),
            Table::of(None, &lag_partition_columns(), rows, view),
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
    fn tables(&self, view: View) -> Vec<Table> {
        let columns: [Column<&ContextRow>; 4] = [
            Column::new("CURRENT", |c, _| if c.current { "*" } else { "" }.into()),
            Column::new("NAME", |c, _| c.name.clone()),
            Column::new("BOOTSTRAP-SERVERS", |c, _| c.bootstrap_servers.clone()),
            Column::new("SECURITY-PROTOCOL", |c, _| c.security_protocol.clone()),
        ];
        vec![Table::of(None, &columns, &self.0, view)]
    }
}

impl Render for EffectiveView {
    fn tables(&self, view: View) -> Vec<Table> {
        let mut rows = vec![
            ("config-file".into(), or_dash(self.config_file.clone())),
            ("context".into(), or_dash(self.context.clone())),
            (
                "bootstrap-servers".into(),
                or_dash(self.bootstrap_servers.clone()),
            ),
            ("timeout".into(), self.timeout.clone()),
        ];
        rows.extend(self.properties.iter().map(|(k, v)| (k.clone(), v.clone())));
        let columns: [Column<(String, String)>; 2] = [
            Column::new("SETTING", |(k, _), _| k.clone()),
            Column::new("VALUE", |(_, v), _| v.clone()),
        ];
        vec![Table::of(None, &columns, rows, view)]
    }
}

/// The drain summary's counters: one row.
fn counter_columns<'a>() -> [Column<&'a Counters>; 10] {
    [
        Column::new("PROCESSED", |c, _| c.processed.to_string()),
        Column::new("SKIPPED", |c, _| c.skipped.to_string()),
        Column::new("DLQ", |c, _| c.dead_lettered.to_string()),
        Column::new("FAILED", |c, _| c.failed.to_string()),
        Column::new("RETRIES", |c, _| c.retries.to_string()),
        Column::new("PAUSES", |c, _| c.pauses.to_string()),
        Column::new("PARTITION-PAUSES", |c, _| c.partition_pauses.to_string()),
        Column::new("REBALANCES", |c, _| c.rebalances.to_string()),
        Column::new("COMMITS", |c, _| c.commits.to_string()),
        Column::new("COMMIT-FAILURES", |c, _| c.commit_failures.to_string()),
    ]
}

/// The drain summary's partitions.
fn drained_partition_columns<'a>() -> [Column<&'a PartitionSummary>; 8] {
    [
        Column::new("TOPIC", |p, _| p.topic.clone()),
        Column::new("PARTITION", |p, _| p.partition.to_string()),
        Column::new("START", |p, _| or_dash(p.start_offset)),
        Column::new("COMMITTED", |p, _| or_dash(p.committed_offset)),
        Column::new("PROCESSED", |p, _| p.processed.to_string()),
        Column::new("SKIPPED", |p, _| p.skipped.to_string()),
        Column::new("DLQ", |p, _| p.dead_lettered.to_string()),
        Column::new("FAILED", |p, _| p.failed.to_string()),
    ]
}

impl Render for DrainSummary {
    fn tables(&self, view: View) -> Vec<Table> {
        let c = &self.counters;
        let title = format!(
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
        };
        vec![
            Table::of(Some(title), &counter_columns(), [c], view),
            Table::of(None, &drained_partition_columns(), &self.partitions, view),
        ]
    }

    fn warnings(&self) -> &[String] {
        &self.errors
    }
}

/// A drain's `--dry-run` plan, one row per partition.
fn plan_columns<'a>() -> [Column<&'a PartitionPlan>; 8] {
    [
        Column::new("TOPIC", |p, _| p.topic.clone()),
        Column::new("PARTITION", |p, _| p.partition.to_string()),
        Column::new("COMMITTED", |p, _| or_dash(p.committed)),
        Column::new("START", |p, _| p.start.to_string()),
        Column::new("STOP", |p, _| or_dash(p.stop)),
        Column::new("RECORDS", |p, _| p.records.to_string()),
        Column::new("FIRST-TIMESTAMP", |p, v| {
            timestamp_cell(v, p.first_timestamp)
        }),
        Column::new("LAST-TIMESTAMP", |p, v| timestamp_cell(v, p.last_timestamp)),
    ]
}

impl Render for DrainPlan {
    fn tables(&self, view: View) -> Vec<Table> {
        let title = format!(
            "dry run: drain of group {} would process {} record(s) {}; nothing was joined, run or committed",
            self.group,
            self.records,
            match &self.until {
                Some(u) => format!("({UNTIL} {u})"),
                None => format!("up to the current log end, then go on (no {UNTIL})"),
            }
        );
        vec![Table::of(
            Some(title),
            &plan_columns(),
            &self.partitions,
            view,
        )]
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

/// What an offsets report did or would do, counted for its title.
struct Tally {
    /// The plan's verb, the result's past participle, and what is counted.
    verb: &'static str,
    did: &'static str,
    noun: &'static str,
    done: usize,
    failed: usize,
    planned: usize,
    unchanged: usize,
    unknown: usize,
}

impl OffsetsReport {
    fn tally(&self) -> Tally {
        let count = |s: MoveStatus| {
            self.groups
                .iter()
                .flat_map(|g| &g.partitions)
                .filter(|p| p.status == s)
                .count()
        };
        let groups =
            |deleted: Option<bool>| self.groups.iter().filter(|g| g.deleted == deleted).count();
        let (verb, did, noun, done, failed, planned) = match self.action {
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
        let unknown = match self.action {
            Action::DeleteGroup => groups(None),
            _ => count(MoveStatus::Unknown),
        };
        Tally {
            verb,
            did,
            noun,
            done,
            failed,
            planned,
            unchanged: count(MoveStatus::Unchanged),
            unknown,
        }
    }

    /// The plan's or the result's one line.
    fn title(&self) -> String {
        let t = self.tally();
        let noun = t.noun;
        let strategy = if self.strategy.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.strategy)
        };
        let unchanged = match t.unchanged {
            0 => String::new(),
            n => format!(", {n} unchanged"),
        };
        if self.executed {
            let unknown = match t.unknown {
                0 => String::new(),
                n => format!(", {n} unknown (not read back)"),
            };
            format!(
                "{} {noun}(s) {}{strategy}, {} failed{unknown}{unchanged}",
                t.done, t.did, t.failed
            )
        } else {
            let sign = matches!(self.action, Action::Reset | Action::Restore)
                .then_some(" (RECORDS: + skipped, - read again)")
                .unwrap_or_default();
            format!(
                "plan: {} {} {noun}(s){strategy}{unchanged}; nothing was written: add {EXECUTE} to write{sign}",
                t.verb, t.planned
            )
        }
    }
}

/// Each partition's move, planned or done.
fn move_columns<'a>() -> [Column<(&'a GroupMove, &'a PartitionMove)>; 14] {
    [
        Column::new("GROUP", |(g, _), _| g.group.clone()),
        Column::new("TOPIC", |(_, p), _| p.topic.clone()),
        Column::new("PARTITION", |(_, p), _| p.partition.to_string()),
        Column::new("CURRENT-OFFSET", |(_, p), _| or_dash(p.current_offset)),
        Column::new("NEW-OFFSET", |(_, p), _| or_dash(p.new_offset)),
        // A sign for people: + skipped, - read again.
        Column::new("RECORDS", |(_, p), v| match p.records {
            Some(r) if r > 0 && v != View::Csv => format!("+{r}"),
            r => or_dash(r),
        }),
        Column::renamed("TIME-SPAN", "TIME-SPAN-MS", |(_, p), v| {
            let span = p
                .first_timestamp
                .zip(p.last_timestamp)
                .map(|(a, b)| b.abs_diff(a));
            duration_cell(v, span)
        }),
        Column::new("STATUS", |(_, p), _| p.status.as_str().to_string()),
        Column::wide("REQUESTED-OFFSET", |(_, p), _| or_dash(p.requested_offset)),
        Column::wide("LOG-START-OFFSET", |(_, p), _| {
            p.log_start_offset.to_string()
        }),
        Column::wide("LOG-END-OFFSET", |(_, p), _| p.log_end_offset.to_string()),
        Column::wide("FIRST-TIMESTAMP", |(_, p), v| {
            timestamp_cell(v, p.first_timestamp)
        }),
        Column::wide("LAST-TIMESTAMP", |(_, p), v| {
            timestamp_cell(v, p.last_timestamp)
        }),
        Column::wide("ERROR", |(_, p), _| or_dash(p.error.clone())),
    ]
}

/// `kbp group delete`: each group, planned or deleted.
fn deleted_group_columns<'a>() -> [Column<&'a GroupMove>; 6] {
    [
        Column::new("GROUP", |g, _| g.group.clone()),
        Column::new("STATE", |g, _| g.state.clone()),
        Column::new("MEMBERS", |g, _| g.members.to_string()),
        Column::new("COMMITS", |g, _| g.partitions.len().to_string()),
        Column::new("STATUS", |g, _| match (g.deleted, &g.error) {
            (None, _) => "planned".to_string(),
            (Some(true), _) => "deleted".to_string(),
            (Some(false), Some(e)) => format!("failed: {e}"),
            (Some(false), None) => "failed".to_string(),
        }),
        Column::new("RESTORE-FILE", |g, _| or_dash(g.restore_file.clone())),
    ]
}

impl Render for OffsetsReport {
    fn tables(&self, view: View) -> Vec<Table> {
        let moves = self
            .groups
            .iter()
            .flat_map(|g| g.partitions.iter().map(move |p| (g, p)));
        let title = Some(self.title());
        if self.action != Action::DeleteGroup {
            return vec![Table::of(title, &move_columns(), moves, view)];
        }
        vec![
            Table::of(title, &deleted_group_columns(), &self.groups, view),
            Table::of(None, &move_columns(), moves, view),
        ]
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

impl Render for OffsetsExport {
    fn tables(&self, view: View) -> Vec<Table> {
        let columns: [Column<(&str, &Committed)>; 4] = [
            Column::new("GROUP", |(g, _), _| g.to_string()),
            Column::new("TOPIC", |(_, c), _| c.topic.clone()),
            Column::new("PARTITION", |(_, c), _| c.partition.to_string()),
            Column::new("OFFSET", |(_, c), _| c.offset.to_string()),
        ];
        let rows = self
            .groups
            .iter()
            .flat_map(|g| g.offsets.iter().map(move |c| (g.group.as_str(), c)));
        vec![Table::of(None, &columns, rows, view)]
    }

    fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
