//! The cluster reads of `kbp lag`, in a fixed number of batched rounds.
//!
//! Not one round per group and member as kafka-consumer-groups does: list groups, describe
//! them all at once, fetch committed offsets concurrently, list start and end offsets for
//! every partition at once, then read the records at the committed offsets for exact time
//! lag. Everything this file decides about the answers is in `build.rs`.

use std::collections::{BTreeSet, HashMap};

use super::build::{is_missing, no_group_matches, rows_of};
use super::{Selection, Snapshot};
use crate::error::{Error, Result};
use crate::kafka::{
    GroupDescription, KafkaCode, Node, OffsetSpec, RecordTime, Session, TopicPartition,
};
use crate::output::Progress;

/// All the cluster reads, in a fixed number of batched rounds.
pub fn gather(session: &Session, sel: &Selection, progress: &Progress) -> Result<Snapshot> {
    gather_with(session, sel, progress, false)
}

/// [`gather`]; with `lenient`, a cluster that refuses to list or describe groups (one
/// without those APIs, such as librdkafka's mock cluster) yields a warning and groups
/// without state or members instead of an error. `kbp diagnose` samples this way.
pub fn gather_with(
    session: &Session,
    sel: &Selection,
    progress: &Progress,
    lenient: bool,
) -> Result<Snapshot> {
    let mut snap = Snapshot::default();
    let listed = if sel.groups.is_empty() {
        progress.set("listing groups");
        match tolerate(session.list_groups(&sel.states), lenient)? {
            Ok((mut listed, errors)) => {
                snap.warnings.extend(
                    errors
                        .iter()
                        .map(|e| format!("a broker could not list its groups: {e}")),
                );
                // Only the kept groups are described and asked for offsets.
                listed.retain(|g| sel.keeps_group(&g.group));
                if listed.is_empty() {
                    snap.warnings.extend(no_group_matches(sel));
                }
                Some(listed)
            }
            Err(e) => {
                snap.warnings.push(format!(
                    "cannot list consumer groups ({e}); name them with --group"
                ));
                Some(vec![])
            }
        }
    } else {
        None
    };
    let mut names: Vec<String> = match &listed {
        Some(l) => l.iter().map(|g| g.group.clone()).collect(),
        None => {
            let mut n = sel.groups.clone();
            n.sort();
            n.dedup();
            n
        }
    };
    // With --topic alone, committed offsets are asked for those topics' partitions only;
    // --topic-regex filters the groups' committed partitions instead (no topic listing).
    let mut selected: Vec<TopicPartition> = Vec::new();
    if !sel.topics.is_empty() {
        let (mut missing, mut denied) = (Vec::new(), Vec::new());
        for t in session.describe_topics(&sel.topics)? {
            if t.error
                .as_ref()
                .is_some_and(|e| e.code == KafkaCode::UNKNOWN_TOPIC_OR_PART)
            {
                missing.push(t.name);
            } else if t.error.as_ref().is_some_and(KafkaCode::is_authorization) {
                denied.push(t.name);
            } else {
                selected.extend(
                    t.partitions
                        .iter()
                        .map(|p| TopicPartition::new(t.name.clone(), p.partition)),
                );
            }
        }
        if !denied.is_empty() {
            return Err(Error::not_authorized(format!(
                "DESCRIBE on topic {} (TOPIC_AUTHORIZATION_FAILED): a group's offsets on a topic are read with DESCRIBE on the topic",
                denied.join(", ")
            )));
        }
        if !missing.is_empty() {
            return Err(Error::NotFound {
                what: "topic",
                names: missing.join(", "),
            });
        }
    }
    snap.topic_partitions = selected.clone();
    if names.is_empty() {
        return Ok(snap);
    }
    progress.set(&format!("describing {} groups", names.len()));
    let described = match &listed {
        Some(l) => session.describe_listed(l),
        None => session.describe_groups(&names),
    };
    snap.descriptions = match tolerate(described, lenient)? {
        Ok(d) => d,
        Err(e) => {
            snap.warnings.push(format!(
                "cannot describe consumer groups ({e}); state and members unknown"
            ));
            names.iter().map(|g| GroupDescription::unknown(g)).collect()
        }
    };
    drop_denied(&mut snap, &mut names, sel)?;
    progress.set(&format!(
        "fetching committed offsets of {} groups",
        names.len()
    ));
    // The descriptions name each group's coordinator: asked directly, in batches.
    let coordinators: HashMap<&str, &Node> = snap
        .descriptions
        .iter()
        .filter_map(|d| Some((d.group.as_str(), d.coordinator.as_ref()?)))
        .collect();
    let only = (!selected.is_empty() && sel.topic_regex.is_none()).then_some(&selected[..]);
    snap.offsets = session.group_offsets_via(&names, &coordinators, only)?;

    if !sel.groups.is_empty() {
        let missing: Vec<&str> = snap
            .descriptions
            .iter()
            .filter(|d| is_missing(d, snap.offsets.iter().find(|o| o.group == d.group)))
            .map(|d| d.group.as_str())
            .collect();
        if !missing.is_empty() && !sel.missing_ok {
            return Err(Error::NotFound {
                what: "consumer group",
                names: missing.join(", "),
            });
        }
        if !missing.is_empty() {
            let gone: BTreeSet<String> = missing.iter().map(|g| g.to_string()).collect();
            snap.warnings
                .push(format!("consumer group not found: {}", missing.join(", ")));
            snap.descriptions.retain(|d| !gone.contains(&d.group));
            snap.offsets.retain(|o| !gone.contains(&o.group));
        }
    }

    let partitions: Vec<TopicPartition> = rows_of(&snap, sel)
        .into_iter()
        .flatten()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .cloned()
        .collect();
    progress.set(&format!(
        "listing offsets of {} partitions",
        partitions.len()
    ));
    snap.starts = session.list_offsets(&partitions, OffsetSpec::Earliest)?;
    snap.ends = session.list_offsets(&partitions, OffsetSpec::Latest)?;

    if sel.time_lag {
        let wanted: Vec<(TopicPartition, i64, i64)> = snap
            .offsets
            .iter()
            .filter_map(|g| g.offsets.as_ref().ok())
            .flatten()
            .filter(|(tp, _)| sel.keeps_topic(&tp.topic))
            .filter_map(|(tp, off)| {
                let end = snap.ends.get(tp)?.as_ref().ok()?.offset;
                let start = snap
                    .starts
                    .get(tp)
                    .and_then(|s| s.as_ref().ok())
                    .map_or(0, |s| s.offset);
                Some((tp.clone(), (*off)?.max(start), end))
            })
            .collect();
        progress.set(&format!("reading {} records for time lag", wanted.len()));
        snap.times = session.record_times(&wanted)?;
        let unknown = snap
            .times
            .values()
            .flat_map(|m| m.values())
            .filter(|t| **t == RecordTime::Unknown)
            .count();
        if unknown > 0 {
            snap.warnings.push(format!("time lag unknown for {unknown} partition offsets (not read within --timeout or no timestamp)"));
        }
    }
    Ok(snap)
}

/// Groups the principal may not describe (no DESCRIBE ACL): a named one is an error; listed
/// ones are left out, and a warning says how many. (Without DESCRIBE on the cluster, Kafka
/// does not even list them.)
fn drop_denied(snap: &mut Snapshot, names: &mut Vec<String>, sel: &Selection) -> Result<()> {
    let denied: BTreeSet<String> = snap
        .descriptions
        .iter()
        .filter(|d| d.error.as_ref().is_some_and(KafkaCode::is_authorization))
        .map(|d| d.group.clone())
        .collect();
    if denied.is_empty() {
        return Ok(());
    }
    if !sel.groups.is_empty() {
        let list: Vec<&str> = denied.iter().map(String::as_str).collect();
        return Err(Error::not_authorized(format!(
            "DESCRIBE on consumer group {} (GROUP_AUTHORIZATION_FAILED): reading a group's lag needs DESCRIBE on the group and on its topics",
            list.join(", ")
        )));
    }
    snap.warnings.push(format!(
        "not authorized to describe {} of {} consumer groups (no DESCRIBE ACL on them); they are left out",
        denied.len(),
        names.len()
    ));
    snap.descriptions.retain(|d| !denied.contains(&d.group));
    names.retain(|g| !denied.contains(g));
    Ok(())
}

/// With `lenient`, a failure of the cluster's answer (not of reaching it) is handed back
/// as a value for the caller to note.
fn tolerate<T>(r: Result<T>, lenient: bool) -> Result<Result<T, Error>> {
    match r {
        Err(e @ Error::Kafka { .. }) if lenient => Ok(Err(e)),
        Err(e) => Err(e),
        Ok(v) => Ok(Ok(v)),
    }
}
