//! The cluster reads of `kbp offsets`: the groups, their members and commits and the log
//! offsets come from `kbp lag`'s gathering (the same selection, the same exit 4 for a
//! named group or topic that does not exist); this adds the partitions a reset names but
//! the group never committed, and the offsets a time points at.

use std::collections::{BTreeMap, HashMap};

use regex::Regex;

use super::plan::{GroupParts, Log, Rule};
use crate::cmd::lag::{self, Selection};
use crate::error::{Error, Result};
use crate::kafka::{
    listed_offset, GroupDescription, GroupState, KafkaCode, ListedOffset, OffsetSpec, Session,
    TopicPartition,
};
use crate::output::Progress;
use crate::values::TopicArg;

/// Which partitions of each group a command moves.
pub enum Pick<'a> {
    /// `-t` names them (all partitions of a topic, committed or not); without `-t`, every
    /// partition the group has committed (kafka-consumer-groups' `--all-topics`).
    Scope,
    /// The partitions of `-t` the group has committed (there is something to delete or
    /// export); without `-t`, all of them.
    Committed,
    /// Each group's partitions in the files; the groups are the files'.
    Files(&'a BTreeMap<String, BTreeMap<TopicPartition, i64>>),
}

pub struct Request<'a> {
    pub groups: &'a [String],
    pub group_regex: Option<&'a Regex>,
    pub topics: &'a [TopicArg],
    pub pick: Pick<'a>,
    /// A named group that does not exist is kept with no commits (a restore gives a
    /// deleted group its offsets back) instead of exit 4.
    pub missing_ok: bool,
}

/// What the plan needs from the cluster.
pub struct Gathered {
    /// Per group (sorted): its partitions and its commit on each.
    pub groups: Vec<GroupParts>,
    pub descriptions: HashMap<String, GroupDescription>,
    pub logs: HashMap<TopicPartition, Log>,
    pub warnings: Vec<String>,
}

pub fn gather(session: &Session, req: &Request<'_>, progress: &Progress) -> Result<Gathered> {
    let file_groups: Vec<String> = match &req.pick {
        Pick::Files(f) => f.keys().cloned().collect(),
        _ => req.groups.to_vec(),
    };
    let mut topics: Vec<String> = match &req.pick {
        Pick::Files(f) => f
            .values()
            .flat_map(|o| o.keys().map(|tp| tp.topic.clone()))
            .collect(),
        _ => req.topics.iter().map(|t| t.topic.clone()).collect(),
    };
    topics.sort();
    topics.dedup();
    let sel = Selection {
        groups: file_groups.clone(),
        group_regex: req.group_regex.cloned(),
        exclude_group_regex: None,
        topics,
        topic_regex: None,
        states: vec![],
        only_with_lag: false,
        time_lag: false,
        missing_ok: req.missing_ok,
    };
    let snap = lag::gather(session, &sel, progress)?;
    let mut warnings: Vec<String> = snap
        .warnings
        .iter()
        .filter(|w| !w.starts_with("consumer group not found"))
        .cloned()
        .collect();
    let mut descriptions: HashMap<String, GroupDescription> = snap
        .descriptions
        .iter()
        .map(|d| (d.group.clone(), d.clone()))
        .collect();
    let mut committed: HashMap<String, BTreeMap<TopicPartition, i64>> = HashMap::new();
    for g in &snap.offsets {
        let offsets = g.offsets.as_ref().map_err(|e| {
            Error::kafka(
                "ListConsumerGroupOffsets",
                format!("group {}: {e}", g.group),
            )
        })?;
        committed.insert(
            g.group.clone(),
            offsets
                .iter()
                .filter_map(|(tp, o)| Some((tp.clone(), (*o)?)))
                .collect(),
        );
    }
    let mut names: Vec<String> = descriptions.keys().cloned().collect();
    if req.missing_ok {
        let gone: Vec<&String> = sel
            .groups
            .iter()
            .filter(|g| !descriptions.contains_key(*g))
            .collect();
        for g in gone {
            warnings.push(format!(
                "group {g} does not exist (deleted?): this gives it its offsets back"
            ));
            let dead = GroupDescription {
                state: GroupState::Dead,
                ..GroupDescription::unknown(g)
            };
            descriptions.insert(g.clone(), dead);
            names.push(g.clone());
        }
    }
    names.sort();

    let named = named_partitions(req, &snap.topic_partitions)?;
    let mut groups = Vec::with_capacity(names.len());
    for g in names {
        let commits = committed.remove(&g).unwrap_or_default();
        let tps: Vec<TopicPartition> = match &req.pick {
            Pick::Files(f) => f
                .get(&g)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default(),
            Pick::Scope if req.topics.is_empty() => commits.keys().cloned().collect(),
            Pick::Scope => named.clone(),
            Pick::Committed if req.topics.is_empty() => commits.keys().cloned().collect(),
            Pick::Committed => named
                .iter()
                .filter(|tp| commits.contains_key(*tp))
                .cloned()
                .collect(),
        };
        let parts: Vec<(TopicPartition, Option<i64>)> = tps
            .into_iter()
            .map(|tp| {
                let c = commits.get(&tp).copied();
                (tp, c)
            })
            .collect();
        groups.push((g, parts));
    }

    let mut all: Vec<TopicPartition> = groups
        .iter()
        .flat_map(|(_, ps)| ps.iter().map(|(tp, _)| tp.clone()))
        .collect();
    all.sort();
    all.dedup();
    let logs = log_offsets(session, &all, &snap.starts, &snap.ends, progress)?;
    Ok(Gathered {
        groups,
        descriptions,
        logs,
        warnings,
    })
}

/// The partitions `-t` (or the files) name, each checked against its topic's partitions:
/// one that does not exist is exit 4, naming the partitions the topic has.
fn named_partitions(req: &Request<'_>, existing: &[TopicPartition]) -> Result<Vec<TopicPartition>> {
    let count = |topic: &str| existing.iter().filter(|tp| tp.topic == topic).count();
    let wanted: Vec<TopicPartition> = match &req.pick {
        Pick::Files(f) => f.values().flat_map(|o| o.keys().cloned()).collect(),
        _ => req
            .topics
            .iter()
            .flat_map(|t| {
                let all: Vec<i32> = if t.partitions.is_empty() {
                    existing
                        .iter()
                        .filter(|tp| tp.topic == t.topic)
                        .map(|tp| tp.partition)
                        .collect()
                } else {
                    t.partitions.clone()
                };
                all.into_iter()
                    .map(|p| TopicPartition::new(t.topic.clone(), p))
            })
            .collect(),
    };
    let mut missing: Vec<String> = wanted
        .iter()
        .filter(|tp| !existing.contains(tp))
        .map(|tp| {
            format!(
                "{}/{} ({} has partitions 0-{})",
                tp.topic,
                tp.partition,
                tp.topic,
                count(&tp.topic).saturating_sub(1)
            )
        })
        .collect();
    missing.sort();
    missing.dedup();
    if !missing.is_empty() {
        return Err(Error::NotFound {
            what: "partition",
            names: missing.join(", "),
        });
    }
    let mut wanted = wanted;
    wanted.sort();
    wanted.dedup();
    Ok(wanted)
}

type Listed = HashMap<TopicPartition, Result<ListedOffset, KafkaCode>>;

/// Log start and end of `partitions`: what `kbp lag` listed already, the rest asked now.
fn log_offsets(
    session: &Session,
    partitions: &[TopicPartition],
    starts: &Listed,
    ends: &Listed,
    progress: &Progress,
) -> Result<HashMap<TopicPartition, Log>> {
    let rest: Vec<TopicPartition> = partitions
        .iter()
        .filter(|tp| !starts.contains_key(*tp) || !ends.contains_key(*tp))
        .cloned()
        .collect();
    progress.set(&format!("listing offsets of {} partitions", rest.len()));
    let more_starts = session.list_offsets(&rest, OffsetSpec::Earliest)?;
    let more_ends = session.list_offsets(&rest, OffsetSpec::Latest)?;
    partitions
        .iter()
        .map(|tp| {
            let start = listed_offset(tp, starts.get(tp).or_else(|| more_starts.get(tp)))?;
            let end = listed_offset(tp, ends.get(tp).or_else(|| more_ends.get(tp)))?;
            Ok((tp.clone(), Log { start, end }))
        })
        .collect()
}

/// For a time rule, the offset ListOffsets gives each partition for the time (-1: no
/// record that late); empty for other rules.
pub fn at_time(
    session: &Session,
    rule: &Rule,
    gathered: &Gathered,
) -> Result<HashMap<TopicPartition, i64>> {
    let Rule::Time(ms) = rule else {
        return Ok(HashMap::new());
    };
    let partitions: Vec<TopicPartition> = gathered.logs.keys().cloned().collect();
    session
        .list_offsets(&partitions, OffsetSpec::Timestamp(*ms))?
        .into_iter()
        .map(|(tp, r)| {
            let o = listed_offset(&tp, Some(&r))?;
            Ok((tp, o))
        })
        .collect()
}
