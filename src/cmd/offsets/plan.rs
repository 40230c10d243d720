//! Pure: each partition's new offset, as kafka-consumer-groups `--reset-offsets` works it
//! out, and what the move means in records and time. No Kafka here, so every rule is
//! pinned down by unit tests:
//!
//! - `--to-earliest`/`--to-latest`: the log start/end.
//! - `--to-current`: the commit; the log end where there is none.
//! - `--to-offset N`, `--shift-by ±N` (from the commit; none is an error) and the offsets
//!   of a file: clamped into [log start, log end], and said.
//! - `--to-datetime`/`--by-duration`: the first offset whose record's timestamp is at or
//!   after the time (ListOffsets by timestamp), the log end when none is. A time before
//!   the oldest record kept, when retention deleted records, is refused: the records of
//!   then are gone, and the log start would pass for them.

use std::collections::{BTreeMap, HashMap};

use crate::error::{Error, Result};
use crate::kafka::{RecordTime, RecordTimes, TopicPartition};
use crate::report::offsets::{MoveStatus, PartitionMove};

/// How each partition's new offset is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Earliest,
    Latest,
    Current,
    Offset(i64),
    Shift(i64),
    /// The first offset at or after this time (ms since the epoch).
    Time(i64),
    /// Per group, the offsets of files (`--from-file`, `restore`).
    Files(BTreeMap<String, BTreeMap<TopicPartition, i64>>),
    /// No offset: the commit is deleted (`offsets delete`, `group delete`).
    Delete,
}

/// A partition's log: its first offset kept and the next one to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log {
    pub start: i64,
    pub end: i64,
}

/// A group, its partitions and its commit on each (`None`: no commit).
pub type GroupParts = (String, Vec<(TopicPartition, Option<i64>)>);

/// Each group's partition moves.
pub type Moves = Vec<(String, Vec<PartitionMove>)>;

/// What the plan starts from.
pub struct Input<'a> {
    pub rule: &'a Rule,
    pub groups: &'a [GroupParts],
    pub logs: &'a HashMap<TopicPartition, Log>,
    /// `Rule::Time`: the offset ListOffsets gave for the time (-1: no record that late).
    pub at_time: &'a HashMap<TopicPartition, i64>,
}

/// Each group's partition moves, and the warnings about them (clamped targets).
pub fn moves(input: &Input<'_>) -> Result<(Moves, Vec<String>)> {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut unshiftable = Vec::new();
    for (group, parts) in input.groups {
        let mut moved = Vec::new();
        let mut clamped = Vec::new();
        for (tp, current) in parts {
            let log = *input.logs.get(tp).ok_or_else(|| {
                Error::Internal(format!("no log offsets for {}/{}", tp.topic, tp.partition))
            })?;
            let wanted = match input.rule {
                Rule::Earliest => Some(log.start),
                Rule::Latest => Some(log.end),
                Rule::Current => Some(current.unwrap_or(log.end)),
                Rule::Offset(n) => Some(*n),
                Rule::Shift(n) => match current {
                    Some(c) => Some(c.saturating_add(*n)),
                    None => {
                        unshiftable.push(format!("{group}: {}/{}", tp.topic, tp.partition));
                        continue;
                    }
                },
                // No record at or after the time: the log end (kafka-consumer-groups'
                // fallback). Not clamped: ListOffsets answers within the log.
                Rule::Time(_) => Some(match input.at_time.get(tp) {
                    Some(&o) if o >= 0 => o,
                    _ => log.end,
                }),
                Rule::Files(by_group) => {
                    let Some(&o) = by_group.get(group).and_then(|f| f.get(tp)) else {
                        continue;
                    };
                    Some(o)
                }
                Rule::Delete => None,
            };
            let clamps = matches!(
                input.rule,
                Rule::Offset(_) | Rule::Shift(_) | Rule::Files(_)
            );
            let new = wanted.map(|w| {
                if clamps {
                    w.clamp(log.start, log.end)
                } else {
                    w
                }
            });
            let requested = wanted.filter(|w| Some(*w) != new);
            if let (Some(w), Some(n)) = (requested, new) {
                let edge = if w > n { "log end" } else { "log start" };
                clamped.push(format!("{}/{} {w} -> {n} ({edge})", tp.topic, tp.partition));
            }
            let records = match (current, new) {
                (Some(c), Some(n)) => Some(n - (*c).clamp(log.start, log.end)),
                _ => None,
            };
            moved.push(PartitionMove {
                topic: tp.topic.clone(),
                partition: tp.partition,
                current_offset: *current,
                new_offset: new,
                requested_offset: requested,
                log_start_offset: log.start,
                log_end_offset: log.end,
                records,
                first_timestamp: None,
                last_timestamp: None,
                status: if new == *current {
                    MoveStatus::Unchanged
                } else {
                    MoveStatus::Planned
                },
                error: None,
            });
        }
        if !clamped.is_empty() {
            warnings.push(format!(
                "group {group}: {} offset(s) outside the log clamped into it, as kafka-consumer-groups does: {}",
                clamped.len(),
                some(&clamped, 5)
            ));
        }
        out.push((group.clone(), moved));
    }
    if !unshiftable.is_empty() {
        return Err(Error::usage(format!(
            "--shift-by needs a commit to shift from, and there is none on {} (kafka-consumer-groups refuses it too): name other partitions with -t, or use another strategy",
            some(&unshiftable, 5)
        )));
    }
    Ok((out, warnings))
}

/// The first items of a list, and how many more there are.
fn some(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(" and {} more", items.len() - n));
    }
    s
}

/// The records whose timestamps the plan reads: the first and last of each move's range,
/// and for a time rule the oldest record kept where retention deleted some.
pub fn wanted_times(
    rule: &Rule,
    moves: &[(String, Vec<PartitionMove>)],
) -> Vec<(TopicPartition, i64, i64)> {
    let mut wanted = Vec::new();
    for m in moves.iter().flat_map(|(_, ms)| ms) {
        let tp = TopicPartition::new(m.topic.clone(), m.partition);
        if let Some((lo, hi)) = range(m) {
            wanted.push((tp.clone(), lo, m.log_end_offset));
            wanted.push((tp.clone(), hi - 1, m.log_end_offset));
        }
        if matches!(rule, Rule::Time(_)) && m.log_start_offset > 0 {
            wanted.push((tp, m.log_start_offset, m.log_end_offset));
        }
    }
    wanted
}

/// The offsets [lo, hi) a move skips or reads again.
fn range(m: &PartitionMove) -> Option<(i64, i64)> {
    let (n, r) = (m.new_offset?, m.records?);
    (r != 0).then(|| (n.min(n - r), n.max(n - r)))
}

/// Fills each move's time span from the record times read.
pub fn fill_spans(moves: &mut [(String, Vec<PartitionMove>)], times: &RecordTimes) {
    for m in moves.iter_mut().flat_map(|(_, ms)| ms.iter_mut()) {
        let Some((lo, hi)) = range(m) else { continue };
        let tp = TopicPartition::new(m.topic.clone(), m.partition);
        let at = |o: i64| match times.get(&tp).and_then(|t| t.get(&o)) {
            Some(RecordTime::At(ms)) => Some(*ms),
            _ => None,
        };
        m.first_timestamp = at(lo);
        m.last_timestamp = at(hi - 1);
    }
}

/// A time rule that lands on the log start of a partition whose older records were
/// deleted, at a time before the oldest record kept: refused, naming the partitions
/// (`flag` is the time as given). Partitions that simply had no record then are fine.
pub fn check_before_log_start(
    rule: &Rule,
    flag: &str,
    moves: &[(String, Vec<PartitionMove>)],
    times: &RecordTimes,
) -> Result<()> {
    let Rule::Time(ms) = rule else { return Ok(()) };
    let mut gone: BTreeMap<String, String> = BTreeMap::new();
    for m in moves.iter().flat_map(|(_, ms)| ms) {
        if m.log_start_offset == 0 || m.new_offset != Some(m.log_start_offset) {
            continue;
        }
        let tp = TopicPartition::new(m.topic.clone(), m.partition);
        let oldest = times.get(&tp).and_then(|t| t.get(&m.log_start_offset));
        if let Some(RecordTime::At(oldest)) = oldest {
            if ms < oldest {
                gone.insert(
                    format!("{}/{}", m.topic, m.partition),
                    format!(
                        "{}/{} keeps records from {} on (log start {})",
                        m.topic,
                        m.partition,
                        iso(*oldest),
                        m.log_start_offset
                    ),
                );
            }
        }
    }
    if gone.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = gone.into_values().collect();
    Err(Error::usage(format!(
        "{flag} reaches back to {}, before the oldest record kept: {}; the records of then were deleted by retention. --to-earliest moves to the log start",
        iso(*ms),
        some(&list, 3)
    )))
}

/// A time in RFC 3339 UTC, to the second.
pub fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.round(jiff::Unit::Second).unwrap_or(t).to_string())
        .unwrap_or_else(|_| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    /// Group `g`'s moves on partitions of `t`, each `(partition, commit, log start, log end)`.
    fn plan_of(
        rule: Rule,
        parts: &[(i32, Option<i64>, i64, i64)],
        at_time: &[(i32, i64)],
    ) -> Result<(Vec<PartitionMove>, Vec<String>)> {
        let groups = vec![(
            "g".to_string(),
            parts.iter().map(|(p, c, _, _)| (tp(*p), *c)).collect(),
        )];
        let logs: HashMap<TopicPartition, Log> = parts
            .iter()
            .map(|(p, _, start, end)| {
                (
                    tp(*p),
                    Log {
                        start: *start,
                        end: *end,
                    },
                )
            })
            .collect();
        let at: HashMap<TopicPartition, i64> = at_time.iter().map(|(p, o)| (tp(*p), *o)).collect();
        let (mut m, w) = moves(&Input {
            rule: &rule,
            groups: &groups,
            logs: &logs,
            at_time: &at,
        })?;
        Ok((m.remove(0).1, w))
    }

    /// Partitions 0..3 of `t`: logs [0,100), [50,100), [0,0); commits 40, 10 (below the
    /// log start), none.
    fn plan(rule: Rule, at_time: &[(i32, i64)]) -> Result<(Vec<PartitionMove>, Vec<String>)> {
        plan_of(
            rule,
            &[
                (0, Some(40), 0, 100),
                (1, Some(10), 50, 100),
                (2, None, 0, 0),
            ],
            at_time,
        )
    }

    fn news(ms: &[PartitionMove]) -> Vec<Option<i64>> {
        ms.iter().map(|m| m.new_offset).collect()
    }

    #[test]
    fn strategies_are_kafka_consumer_groups() {
        let n = |rule| news(&plan(rule, &[]).unwrap().0);
        assert_eq!(n(Rule::Earliest), [Some(0), Some(50), Some(0)]);
        assert_eq!(n(Rule::Latest), [Some(100), Some(100), Some(0)]);
        assert_eq!(
            n(Rule::Current),
            [Some(40), Some(10), Some(0)],
            "no commit: the log end"
        );
        assert_eq!(n(Rule::Offset(70)), [Some(70), Some(70), Some(0)]);
        assert_eq!(n(Rule::Delete), [None, None, None]);
    }

    #[test]
    fn offsets_outside_the_log_are_clamped_and_said() {
        let (m, w) = plan(Rule::Offset(500), &[]).unwrap();
        assert_eq!(news(&m), [Some(100), Some(100), Some(0)]);
        assert_eq!(m[0].requested_offset, Some(500));
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("3 offset(s)") && w[0].contains("t/0 500 -> 100 (log end)"),
            "{w:?}"
        );
        let (m, _) = plan(Rule::Offset(20), &[]).unwrap();
        assert_eq!(m[1].new_offset, Some(50));
        assert_eq!(m[1].requested_offset, Some(20));
        assert_eq!(m[0].requested_offset, None);
    }

    #[test]
    fn shifting_needs_a_commit_and_clamps() {
        let e = plan(Rule::Shift(-5), &[]).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e.to_string().contains("g: t/2"), "{e}");
        let input = |rule| {
            let parts = [(0, Some(40), 0, 100), (1, Some(60), 50, 100)];
            plan_of(rule, &parts, &[]).unwrap().0
        };
        assert_eq!(news(&input(Rule::Shift(-50))), [Some(0), Some(50)]);
        assert_eq!(news(&input(Rule::Shift(45))), [Some(85), Some(100)]);
        assert_eq!(news(&input(Rule::Shift(i64::MAX))), [Some(100), Some(100)]);
    }

    #[test]
    fn times_fall_back_to_the_log_end_unclamped() {
        let (m, w) = plan(Rule::Time(1), &[(0, 30), (1, -1)]).unwrap();
        assert_eq!(news(&m), [Some(30), Some(100), Some(0)]);
        assert!(w.is_empty());
    }

    #[test]
    fn files_give_their_offsets_clamped() {
        let file: BTreeMap<String, BTreeMap<TopicPartition, i64>> =
            [("g".to_string(), [(tp(0), 7), (tp(1), 7), (tp(2), 7)].into())].into();
        let (m, w) = plan(Rule::Files(file), &[]).unwrap();
        assert_eq!(news(&m), [Some(7), Some(50), Some(0)]);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn records_are_skipped_plus_and_read_again_minus() {
        let (m, _) = plan(Rule::Latest, &[]).unwrap();
        // 40 -> 100 skips 60; 10 is below the log start 50, so 50 of them are left.
        assert_eq!(
            m.iter().map(|m| m.records).collect::<Vec<_>>(),
            [Some(60), Some(50), None]
        );
        let (m, _) = plan(Rule::Earliest, &[]).unwrap();
        assert_eq!(m[0].records, Some(-40));
        assert_eq!(m[1].records, Some(0));
        assert_eq!(m[1].status, MoveStatus::Planned, "10 -> 50 is a write");
        let (m, _) = plan(Rule::Current, &[]).unwrap();
        assert_eq!(m[0].status, MoveStatus::Unchanged);
        assert_eq!(m[2].status, MoveStatus::Planned);
    }

    #[test]
    fn spans_come_from_the_first_and_last_record_of_the_range() {
        let (m, _) = plan(Rule::Earliest, &[]).unwrap();
        let mut ms = vec![("g".to_string(), m)];
        let wanted = wanted_times(&Rule::Earliest, &ms);
        assert_eq!(wanted, vec![(tp(0), 0, 100), (tp(0), 39, 100)]);
        let times: RecordTimes = [(
            tp(0),
            [(0, RecordTime::At(1_000)), (39, RecordTime::At(40_000))].into(),
        )]
        .into();
        fill_spans(&mut ms, &times);
        assert_eq!(
            (ms[0].1[0].first_timestamp, ms[0].1[0].last_timestamp),
            (Some(1_000), Some(40_000))
        );
        assert_eq!(ms[0].1[1].first_timestamp, None);
    }

    #[test]
    fn a_time_before_the_records_retention_deleted_is_refused() {
        // t/1 lost offsets 0..50 to retention; its oldest record kept is at 5000 ms.
        let (m, _) = plan(Rule::Time(1_000), &[(0, 0), (1, 50)]).unwrap();
        let ms = vec![("g".to_string(), m)];
        let wanted = wanted_times(&Rule::Time(1_000), &ms);
        assert!(wanted.contains(&(tp(1), 50, 100)), "{wanted:?}");
        let times: RecordTimes = [(tp(1), [(50, RecordTime::At(5_000))].into())].into();
        let e =
            check_before_log_start(&Rule::Time(1_000), "--to-datetime X", &ms, &times).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(
            e.to_string()
                .contains("t/1 keeps records from 1970-01-01T00:00:05Z on (log start 50)"),
            "{e}"
        );
        // t/0 also lands on its log start, but nothing was deleted there: not refused.
        let (m, _) = plan(Rule::Time(9_000), &[(0, 0), (1, 50)]).unwrap();
        let ms = vec![("g".to_string(), m)];
        assert!(check_before_log_start(&Rule::Time(9_000), "x", &ms, &times).is_ok());
    }
}
