//! Where each partition of a drain starts and stops, worked out before the group is joined.
//!
//! The drain's limits and the `--dry-run` plan come from these same numbers, so the plan
//! shows exactly what a run would do. Nothing here joins a group or commits: the offsets
//! come from ListOffsets and OffsetFetch, the times from a reader that joins no group.

use std::collections::HashMap;

use super::engine::{Limits, Stops};
use super::spec::Until;
use crate::error::{Error, Result};
use crate::flags::UNTIL;
use crate::kafka::consumer::Uncommitted;
use crate::kafka::{listed_offset, OffsetSpec, RecordTime, Session, TopicPartition};
use crate::report::drain::{DrainPlan, PartitionPlan};

/// Every partition of the drained topics, with its offsets.
pub struct Bounds {
    pub partitions: Vec<PartitionPlan>,
    /// `--until offset:` past the log end, clamped to it: (partition, asked, log end).
    pub past_end: Vec<(TopicPartition, i64, i64)>,
    /// The engine's limits, from the same numbers (`--max-records` and `--idle` are the
    /// caller's to add).
    pub limits: Limits,
}

impl Bounds {
    /// What `--until offset:` past the log end became, for stderr (the run and the
    /// `--dry-run` say the same): a drain stops at the log end captured at start, as
    /// `--until end` does, rather than wait for records that may never come.
    pub fn past_end_note(&self) -> Option<String> {
        if self.past_end.is_empty() {
            return None;
        }
        const SHOWN: usize = 5;
        let mut each: Vec<String> = self
            .past_end
            .iter()
            .take(SHOWN)
            .map(|(tp, asked, end)| {
                format!("{}/{}={asked} (log end {end})", tp.topic, tp.partition)
            })
            .collect();
        if self.past_end.len() > SHOWN {
            each.push(format!("and {} more", self.past_end.len() - SHOWN));
        }
        Some(format!(
            "{UNTIL} offset: {} {} past the log end: the drain stops at the log end there, as {UNTIL} end does",
            each.join(", "),
            if self.past_end.len() == 1 { "is" } else { "are" }
        ))
    }
}

fn tp(p: &PartitionPlan) -> TopicPartition {
    TopicPartition::new(p.topic.clone(), p.partition)
}

/// `--until offset:` may name only partitions that are drained: a typo would otherwise
/// stop nothing (or everything).
pub fn check_until(until: Option<&Until>, partitions: &[TopicPartition]) -> Result<()> {
    let Some(Until::Offsets(each)) = until else {
        return Ok(());
    };
    let mut foreign: Vec<String> = each
        .keys()
        .filter(|tp| !partitions.contains(tp))
        .map(|tp| format!("{}/{}", tp.topic, tp.partition))
        .collect();
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for tp in partitions {
        match counts.iter_mut().find(|(t, _)| *t == tp.topic) {
            Some((_, n)) => *n += 1,
            None => counts.push((tp.topic.clone(), 1)),
        }
    }
    let drained: Vec<String> = counts
        .iter()
        .map(|(t, n)| format!("{t} has partitions 0-{}", n - 1))
        .collect();
    Err(Error::usage(format!(
        "{UNTIL} offset: {} is not a partition of the drained topics ({})",
        foreign.join(", "),
        drained.join(", ")
    )))
}

/// What the cluster says of the drained partitions: log start and end, the group's
/// commits, and the offsets `--from time:` and `--until time:` point at.
struct Listed {
    log_start: HashMap<TopicPartition, i64>,
    log_end: HashMap<TopicPartition, i64>,
    committed: HashMap<TopicPartition, i64>,
    from_time: Option<HashMap<TopicPartition, i64>>,
    until_time: Option<HashMap<TopicPartition, i64>>,
}

fn list(
    session: &Session,
    group: &str,
    from: Uncommitted,
    until: Option<&Until>,
    partitions: &[TopicPartition],
) -> Result<Listed> {
    let listed = |spec| -> Result<HashMap<TopicPartition, i64>> {
        let found = session.list_offsets(partitions, spec)?;
        partitions
            .iter()
            .map(|tp| Ok((tp.clone(), listed_offset(tp, found.get(tp))?)))
            .collect()
    };
    let log_start = listed(OffsetSpec::Earliest)?;
    let log_end = listed(OffsetSpec::Latest)?;
    // A time with no record at or after it points at the log end.
    let at_time = |ms| -> Result<HashMap<TopicPartition, i64>> {
        Ok(listed(OffsetSpec::Timestamp(ms))?
            .into_iter()
            .map(|(tp, o)| {
                let o = if o < 0 { log_end[&tp] } else { o };
                (tp, o)
            })
            .collect())
    };
    let from_time = match from {
        Uncommitted::Time(ms) => Some(at_time(ms)?),
        _ => None,
    };
    let until_time = match until {
        Some(Until::Time(ms)) => Some(at_time(*ms)?),
        _ => None,
    };
    let mut committed: HashMap<TopicPartition, i64> = HashMap::new();
    for g in session.group_offsets_in(&[group.to_string()], partitions)? {
        let offsets = g
            .offsets
            .map_err(|e| Error::kafka("OffsetFetch", format!("group {group}: {e}")))?;
        committed.extend(offsets.into_iter().filter_map(|(tp, o)| Some((tp, o?))));
    }
    Ok(Listed {
        log_start,
        log_end,
        committed,
        from_time,
        until_time,
    })
}

/// Where each partition stops: the one place `--until` becomes offsets. An offset past the
/// log end is clamped to it, and noted in `past_end`.
fn stops(
    until: &Until,
    listed: &Listed,
    partitions: &[TopicPartition],
    past_end: &mut Vec<(TopicPartition, i64, i64)>,
) -> Stops {
    let mut clamped = |tp: &TopicPartition, asked: i64| {
        let last = listed.log_end[tp];
        if asked > last {
            past_end.push((tp.clone(), asked, last));
        }
        (tp.clone(), asked.min(last))
    };
    let offsets = match until {
        Until::End => listed.log_end.clone(),
        Until::Time(_) => listed.until_time.clone().unwrap_or_default(),
        Until::Offset(n) => partitions.iter().map(|tp| clamped(tp, *n)).collect(),
        Until::Offsets(each) => partitions
            .iter()
            .filter_map(|tp| Some(clamped(tp, *each.get(tp)?)))
            .collect(),
    };
    let time_ms = match until {
        Until::Time(ms) => Some(*ms),
        _ => None,
    };
    Stops::new(offsets, time_ms)
}

/// Asks the cluster for everything the bounds need, and works out each partition's start
/// and stop, and the engine's limits.
pub fn bounds(
    session: &Session,
    group: &str,
    from: Uncommitted,
    until: Option<&Until>,
    partitions: &[TopicPartition],
) -> Result<Bounds> {
    check_until(until, partitions)?;
    let listed = list(session, group, from, until, partitions)?;
    let mut past_end = Vec::new();
    let stops = until.map(|u| stops(u, &listed, partitions, &mut past_end));
    let fresh_of = |tp: &TopicPartition| match (from, &listed.from_time) {
        (Uncommitted::LogEnd, _) => listed.log_end[tp],
        (Uncommitted::Time(_), Some(t)) => t[tp],
        _ => listed.log_start[tp],
    };
    let plans = partitions
        .iter()
        .map(|tp| {
            let (first, last) = (listed.log_start[tp], listed.log_end[tp]);
            let fresh = fresh_of(tp);
            let commit = listed.committed.get(tp).copied();
            // An out-of-range commit is reset as librdkafka resets it (auto.offset.reset).
            let start = match commit {
                Some(c) if (first..=last).contains(&c) => c,
                Some(_) if from == Uncommitted::LogEnd => last,
                Some(_) => first,
                None => fresh,
            };
            let stop = stops.as_ref().map(|s| s.of(tp));
            let to = stop.unwrap_or(last).min(last);
            PartitionPlan {
                topic: tp.topic.clone(),
                partition: tp.partition,
                committed: commit,
                start,
                stop,
                records: (to - start).max(0) as u64,
                first_timestamp: None,
                last_timestamp: None,
                log_start: first,
                log_end: last,
                fresh,
            }
        })
        .collect::<Vec<_>>();
    let limits = Limits {
        until: stops,
        default_start: plans.iter().map(|p| (tp(p), p.fresh)).collect(),
        ..Limits::default()
    };
    Ok(Bounds {
        partitions: plans,
        past_end,
        limits,
    })
}

/// The plan with the time span of each partition's records, read without joining a group.
pub fn plan(
    session: &Session,
    group: &str,
    topics: &[String],
    until: Option<&Until>,
    bounds: Bounds,
) -> Result<DrainPlan> {
    let mut wanted = Vec::new();
    for p in bounds.partitions.iter().filter(|p| p.records > 0) {
        let end = p.start + p.records as i64;
        wanted.push((tp(p), p.start, end));
        wanted.push((tp(p), end - 1, end));
    }
    let times = session.record_times(&wanted)?;
    let at = |p: &PartitionPlan, o: i64| match times.get(&tp(p)).and_then(|t| t.get(&o)) {
        Some(RecordTime::At(ms)) => Some(*ms),
        _ => None,
    };
    let mut partitions = bounds.partitions;
    for p in partitions.iter_mut().filter(|p| p.records > 0) {
        p.first_timestamp = at(p, p.start);
        p.last_timestamp = at(p, p.start + p.records as i64 - 1);
    }
    partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(DrainPlan {
        group: group.to_string(),
        topics: topics.to_vec(),
        until: until.map(Until::to_string),
        records: partitions.iter().map(|p| p.records).sum(),
        partitions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_offsets_must_name_drained_partitions() {
        let parts = [TopicPartition::new("t", 0), TopicPartition::new("t", 1)];
        let until = |s: &str| super::super::spec::parse_until(s).unwrap();
        assert!(check_until(Some(&until("offset:t/1=3")), &parts).is_ok());
        assert!(check_until(Some(&until("offset:5")), &parts).is_ok());
        assert!(check_until(None, &parts).is_ok());
        let e = check_until(Some(&until("offset:t/7=3")), &parts).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e.to_string().contains("t/7"), "{e}");
        assert!(e.to_string().contains("t has partitions 0-1"), "{e}");
        let e = check_until(Some(&until("offset:nosuch/0=5,t/0=1")), &parts).unwrap_err();
        assert!(e.to_string().contains("nosuch/0"), "{e}");
    }
}
