//! Pure: the `kbp lag` report from a [`Snapshot`], and its verdict against thresholds.
//!
//! Every rule of the report lives here, so unit tests pin it down without a broker.

use std::collections::HashMap;
use std::time::Duration;

use super::{Selection, Snapshot};
use crate::error::{Error, Result};
use crate::kafka::{
    GroupDescription, GroupOffsets, GroupState, KafkaCode, ListedOffset, RecordTime, TopicPartition,
};
use crate::report::lag::{Coordinator, GroupLag, LagReport, PartitionLag};

/// A cluster without DescribeGroups (librdkafka's mock cluster): the offsets still give
/// the lag, and one warning says what is unknown instead of one per group.
fn cannot_describe(d: &GroupDescription) -> bool {
    d.error
        .as_ref()
        .is_some_and(|e| e.code == KafkaCode::UNSUPPORTED_FEATURE)
}

/// A named group that Kafka does not know: Dead or GROUP_ID_NOT_FOUND, and nothing committed.
pub(super) fn is_missing(d: &GroupDescription, offsets: Option<&GroupOffsets>) -> bool {
    let unknown = d
        .error
        .as_ref()
        .is_some_and(|e| e.code == KafkaCode::GROUP_ID_NOT_FOUND)
        || d.state == GroupState::Dead;
    let committed = offsets
        .and_then(|o| o.offsets.as_ref().ok())
        .is_some_and(|v| !v.is_empty());
    unknown && !committed
}

/// The note when the group patterns keep none of the listed groups: a pattern is never
/// "not found" (exit 4 is for named groups), so the report is empty and this says why.
pub(super) fn no_group_matches(sel: &Selection) -> Option<String> {
    match (&sel.group_regex, &sel.exclude_group_regex) {
        (Some(g), None) => Some(format!("no group matches --group-regex {g}")),
        (Some(g), Some(x)) => Some(format!(
            "no group matches --group-regex {g} and not --exclude-group-regex {x}"
        )),
        (None, Some(x)) => Some(format!("no group is left after --exclude-group-regex {x}")),
        (None, None) => None,
    }
}

/// Per group (in the order of the descriptions), the partitions it has committed or been
/// assigned, after the topic filter, sorted. Borrowed from the snapshot: at 10,000 groups
/// this runs over 80,000 rows per refresh of `kbp serve`.
pub(super) fn rows_of<'a>(snap: &'a Snapshot, sel: &Selection) -> Vec<Vec<&'a TopicPartition>> {
    let committed: HashMap<&str, &GroupOffsets> =
        snap.offsets.iter().map(|o| (o.group.as_str(), o)).collect();
    snap.descriptions
        .iter()
        .map(|d| {
            let mut tps: Vec<&TopicPartition> =
                d.members.iter().flat_map(|m| m.assignment.iter()).collect();
            if let Some(Ok(offs)) = committed.get(d.group.as_str()).map(|o| &o.offsets) {
                tps.extend(offs.iter().map(|(tp, _)| tp));
            }
            tps.retain(|tp| sel.keeps_topic(&tp.topic));
            tps.sort_unstable();
            tps.dedup();
            tps
        })
        .collect()
}

/// Pure: the report from a snapshot. `now_ms` is injected so tests are exact.
pub fn build(snap: &Snapshot, sel: &Selection, now_ms: u64) -> LagReport {
    let mut warnings = snap.warnings.clone();
    // Each group's commits sorted, searched per row: cheaper than a hash map per group.
    let committed: HashMap<&str, Vec<(&TopicPartition, Option<i64>)>> = snap
        .offsets
        .iter()
        .filter_map(|g| match &g.offsets {
            Ok(v) => {
                let mut commits: Vec<_> = v.iter().map(|(tp, o)| (tp, *o)).collect();
                commits.sort_unstable_by_key(|(tp, _)| *tp);
                Some((g.group.as_str(), commits))
            }
            Err(e) => {
                warnings.push(format!(
                    "group {}: committed offsets unavailable: {e}",
                    g.group
                ));
                None
            }
        })
        .collect();
    let rows = rows_of(snap, sel);
    if let Some(re) = &sel.topic_regex {
        let matched = rows
            .iter()
            .any(|tps| tps.iter().any(|tp| re.is_match(&tp.topic)));
        if !matched && !rows.is_empty() {
            warnings.push(format!(
                "no topic of the selected groups matches --topic-regex {re}"
            ));
        }
    }
    let offset = |m: &HashMap<TopicPartition, Result<ListedOffset, KafkaCode>>,
                  tp: &TopicPartition| {
        m.get(tp).and_then(|r| r.as_ref().ok()).map(|o| o.offset)
    };

    let mut groups = Vec::new();
    for (d, tps) in snap.descriptions.iter().zip(rows) {
        if !sel.states.is_empty() && !sel.states.contains(&d.state) {
            continue;
        }
        let described = !cannot_describe(d);
        if let Some(e) = d
            .error
            .as_ref()
            .filter(|e| e.code != KafkaCode::GROUP_ID_NOT_FOUND && described)
        {
            warnings.push(format!("group {}: could not be described: {e}", d.group));
        }
        // A topic filter that leaves nothing, or a group deleted since it was listed.
        if tps.is_empty() && (sel.filters_topics() || d.state == GroupState::Dead) {
            continue;
        }
        let owners: HashMap<&TopicPartition, &crate::kafka::Member> = d
            .members
            .iter()
            .flat_map(|m| m.assignment.iter().map(move |tp| (tp, m)))
            .collect();
        let commits = committed
            .get(d.group.as_str())
            .map_or(&[][..], Vec::as_slice);
        let partitions: Vec<PartitionLag> = tps
            .iter()
            .map(|&tp| {
                let current = commits
                    .binary_search_by_key(&tp, |(t, _)| *t)
                    .ok()
                    .and_then(|i| commits[i].1);
                let start = offset(&snap.starts, tp);
                let end = offset(&snap.ends, tp);
                let lag = match (current, end) {
                    (Some(c), Some(e)) => Some(e.saturating_sub(c).max(0) as u64),
                    _ => None,
                };
                let records_lost = match (current, start) {
                    (Some(c), Some(s)) if c < s => Some((s - c) as u64),
                    _ => None,
                };
                let time_lag_ms = match (lag, current, start) {
                    (Some(0), _, _) => Some(0),
                    (Some(_), Some(c), s) if sel.time_lag => {
                        let at = c.max(s.unwrap_or(0));
                        match snap.times.get(tp).and_then(|m| m.get(&at)) {
                            Some(RecordTime::At(ts)) => {
                                Some(now_ms.saturating_sub((*ts).max(0) as u64))
                            }
                            Some(RecordTime::NoRecord) => Some(0),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                let owner = owners.get(tp);
                PartitionLag {
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    current_offset: current,
                    log_start_offset: start,
                    log_end_offset: end,
                    lag,
                    time_lag_ms,
                    records_lost,
                    consumer_id: owner.map(|m| m.consumer_id.clone()),
                    host: owner.map(|m| m.host.clone()),
                    client_id: owner.map(|m| m.client_id.clone()),
                }
            })
            .collect();
        let total_lag = partitions.iter().filter_map(|p| p.lag).sum();
        let lost = partitions
            .iter()
            .filter_map(|p| p.records_lost)
            .sum::<u64>();
        if lost > 0 {
            let n = partitions
                .iter()
                .filter(|p| p.records_lost.is_some())
                .count();
            warnings.push(format!(
                "group {}: committed offset below log start on {n} partition(s): {lost} records deleted by retention before they were read",
                d.group
            ));
        }
        let group = GroupLag {
            group: d.group.clone(),
            state: d.state.as_str().to_string(),
            protocol: d.group_type.as_str().to_string(),
            coordinator: d.coordinator.as_ref().map(|n| Coordinator {
                id: n.id,
                host: n.host.clone(),
                port: n.port,
            }),
            members: d.members.len(),
            described,
            total_lag,
            max_time_lag_ms: partitions.iter().filter_map(|p| p.time_lag_ms).max(),
            unowned_partitions: partitions
                .iter()
                .filter(|p| p.consumer_id.is_none())
                .count(),
            records_lost: lost,
            partitions: if sel.only_with_lag {
                partitions
                    .into_iter()
                    .filter(|p| p.lag.unwrap_or(0) > 0)
                    .collect()
            } else {
                partitions
            },
        };
        if sel.only_with_lag && group.partitions.is_empty() {
            continue;
        }
        groups.push(group);
    }
    if snap.descriptions.iter().any(cannot_describe) {
        let hint = if sel.topics.is_empty() {
            "; if no offsets show, name the topics with --topic"
        } else {
            ""
        };
        warnings.push(format!(
            "{}: state, members and owners unknown{hint}",
            crate::output::CANNOT_DESCRIBE_GROUPS
        ));
    }
    groups.sort_by(|a, b| a.group.cmp(&b.group));
    LagReport {
        timestamp_ms: now_ms,
        groups,
        warnings,
    }
}

/// `--fail-above` / `--fail-time-above`: the first breach, as the error that exits 1.
pub fn check_thresholds(
    report: &LagReport,
    fail_above: Option<u64>,
    fail_time_above: Option<Duration>,
) -> Result<()> {
    let mut breaches = Vec::new();
    for g in &report.groups {
        if let Some(n) = fail_above.filter(|n| g.total_lag > *n) {
            breaches.push(format!(
                "group {}: total lag {} above --fail-above {n}",
                g.group, g.total_lag
            ));
        }
        if let (Some(limit), Some(t)) = (fail_time_above, g.max_time_lag_ms) {
            if t > limit.as_millis() as u64 {
                breaches.push(format!(
                    "group {}: time lag {} above --fail-time-above {}",
                    g.group,
                    crate::human::compact_duration(t),
                    humantime::format_duration(limit)
                ));
            }
        }
    }
    match breaches.len() {
        0 => Ok(()),
        1 => Err(Error::Threshold(breaches.remove(0))),
        n => Err(Error::Threshold(format!(
            "{} (and {} more)",
            breaches.remove(0),
            n - 1
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{GroupType, Member, Node};

    fn tp(t: &str, p: i32) -> TopicPartition {
        TopicPartition::new(t, p)
    }

    fn listed(o: i64) -> Result<ListedOffset, KafkaCode> {
        Ok(ListedOffset {
            offset: o,
            timestamp: -1,
        })
    }

    fn sel() -> Selection {
        Selection {
            groups: vec![],
            group_regex: None,
            exclude_group_regex: None,
            topics: vec![],
            topic_regex: None,
            states: vec![],
            only_with_lag: false,
            missing_ok: false,
            time_lag: true,
        }
    }

    fn snapshot() -> Snapshot {
        let member = Member {
            consumer_id: "c-1".into(),
            group_instance_id: None,
            client_id: "app".into(),
            host: "/10.0.0.1".into(),
            assignment: vec![tp("orders", 0), tp("orders", 1)],
            target_assignment: None,
        };
        let g = GroupDescription {
            group: "billing".into(),
            state: GroupState::Stable,
            group_type: GroupType::Consumer,
            simple: false,
            assignor: "uniform".into(),
            coordinator: Some(Node {
                id: 1,
                host: "h".into(),
                port: 9092,
                rack: None,
            }),
            members: vec![member],
            error: None,
        };
        let mut s = Snapshot {
            descriptions: vec![g],
            ..Default::default()
        };
        s.offsets = vec![GroupOffsets {
            group: "billing".into(),
            offsets: Ok(vec![
                (tp("orders", 0), Some(90)),
                (tp("orders", 2), Some(5)),
                (tp("audit", 0), Some(120)),
            ]),
        }];
        for (t, st, en) in [
            (tp("orders", 0), 0, 100),
            (tp("orders", 1), 0, 50),
            (tp("orders", 2), 10, 40),
            (tp("audit", 0), 0, 100),
        ] {
            s.starts.insert(t.clone(), listed(st));
            s.ends.insert(t, listed(en));
        }
        s.times.insert(
            tp("orders", 0),
            HashMap::from([(90, RecordTime::At(1_000))]),
        );
        s.times.insert(
            tp("orders", 2),
            HashMap::from([(10, RecordTime::At(4_000))]),
        );
        s
    }

    #[test]
    fn rows_follow_the_rules() {
        let r = build(&snapshot(), &sel(), 10_000);
        let g = &r.groups[0];
        let row = |t: &str, p: i32| {
            g.partitions
                .iter()
                .find(|r| r.topic == t && r.partition == p)
                .unwrap()
        };
        // Plain lag with exact time lag.
        assert_eq!(row("orders", 0).lag, Some(10));
        assert_eq!(row("orders", 0).time_lag_ms, Some(9_000));
        // Assigned but never committed: no current offset, no lag, counts as zero.
        assert_eq!(row("orders", 1).current_offset, None);
        assert_eq!(row("orders", 1).lag, None);
        // Committed below the log start: flagged with the records lost; time lag from log start.
        assert_eq!(row("orders", 2).records_lost, Some(5));
        assert_eq!(row("orders", 2).lag, Some(35));
        assert_eq!(row("orders", 2).time_lag_ms, Some(6_000));
        assert_eq!(row("orders", 2).consumer_id, None);
        // Committed beyond the end (truncated log): lag never negative, time lag zero.
        assert_eq!(row("audit", 0).lag, Some(0));
        assert_eq!(row("audit", 0).time_lag_ms, Some(0));
        assert_eq!(g.total_lag, 45);
        assert_eq!(g.max_time_lag_ms, Some(9_000));
        assert_eq!(g.unowned_partitions, 2);
        assert_eq!(g.records_lost, 5);
        assert_eq!(g.protocol, "consumer");
        assert!(r
            .warnings
            .iter()
            .any(|w| w.contains("5 records deleted by retention")));
    }

    #[test]
    fn filters() {
        let s = snapshot();
        let r = build(
            &s,
            &Selection {
                only_with_lag: true,
                ..sel()
            },
            10_000,
        );
        assert_eq!(r.groups[0].partitions.len(), 2);
        assert_eq!(
            r.groups[0].total_lag, 45,
            "totals are computed before filtering rows"
        );
        let r = build(
            &s,
            &Selection {
                topics: vec!["audit".into()],
                ..sel()
            },
            10_000,
        );
        assert_eq!(r.groups[0].partitions.len(), 1);
        let r = build(
            &s,
            &Selection {
                topics: vec!["other".into()],
                ..sel()
            },
            10_000,
        );
        assert!(r.groups.is_empty());
        let r = build(
            &s,
            &Selection {
                states: vec![GroupState::Empty],
                ..sel()
            },
            10_000,
        );
        assert!(r.groups.is_empty());
    }

    fn re(p: &str) -> Option<regex::Regex> {
        Some(crate::values::parse_regex(p).unwrap())
    }

    #[test]
    fn group_patterns_include_then_exclude_unanchored() {
        let groups = ["billing-eu", "billing-us", "fraud-eu", "ebilling"];
        let kept = |s: Selection| -> Vec<&str> {
            groups.into_iter().filter(|g| s.keeps_group(g)).collect()
        };
        assert_eq!(kept(sel()), groups, "no pattern keeps every group");
        assert_eq!(
            kept(Selection {
                group_regex: re("billing"),
                ..sel()
            }),
            ["billing-eu", "billing-us", "ebilling"],
            "unanchored, as kafka_exporter's --group.filter"
        );
        assert_eq!(
            kept(Selection {
                group_regex: re("^billing-"),
                exclude_group_regex: re("-us$"),
                ..sel()
            }),
            ["billing-eu"]
        );
        assert_eq!(
            kept(Selection {
                exclude_group_regex: re("eu"),
                ..sel()
            }),
            ["billing-us", "ebilling"]
        );
        assert_eq!(
            kept(Selection {
                group_regex: re("^fraud"),
                exclude_group_regex: re("fraud"),
                ..sel()
            }),
            Vec::<&str>::new(),
            "the exclusion wins"
        );
    }

    #[test]
    fn no_match_notes_name_the_patterns() {
        assert_eq!(no_group_matches(&sel()), None);
        let only = Selection {
            group_regex: re("^pay"),
            ..sel()
        };
        assert_eq!(
            no_group_matches(&only).as_deref(),
            Some("no group matches --group-regex ^pay")
        );
        let both = Selection {
            exclude_group_regex: re("-test$"),
            ..only
        };
        assert_eq!(
            no_group_matches(&both).as_deref(),
            Some("no group matches --group-regex ^pay and not --exclude-group-regex -test$")
        );
        let exclude = Selection {
            group_regex: None,
            ..both
        };
        assert_eq!(
            no_group_matches(&exclude).as_deref(),
            Some("no group is left after --exclude-group-regex -test$")
        );
    }

    #[test]
    fn topic_pattern_keeps_matching_rows_and_adds_to_named_topics() {
        let s = snapshot();
        let topics = |r: &LagReport| -> Vec<(String, i32)> {
            r.groups
                .iter()
                .flat_map(|g| g.partitions.iter().map(|p| (p.topic.clone(), p.partition)))
                .collect()
        };
        let r = build(
            &s,
            &Selection {
                topic_regex: re("^aud"),
                ..sel()
            },
            10_000,
        );
        assert_eq!(topics(&r), [("audit".to_string(), 0)]);
        assert_eq!(r.groups[0].total_lag, 0, "totals of the kept rows only");
        assert!(r.warnings.iter().all(|w| !w.contains("--topic-regex")));
        // Unanchored: "der" is in "orders".
        let r = build(
            &s,
            &Selection {
                topic_regex: re("der"),
                ..sel()
            },
            10_000,
        );
        assert_eq!(r.groups[0].partitions.len(), 3);
        assert_eq!(r.groups[0].total_lag, 45);
        // --topic and --topic-regex: partitions of either.
        let r = build(
            &s,
            &Selection {
                topics: vec!["orders".into()],
                topic_regex: re("^audit$"),
                ..sel()
            },
            10_000,
        );
        assert_eq!(r.groups[0].partitions.len(), 4);
        // Matching nothing: an empty report, and a note that says so.
        let r = build(
            &s,
            &Selection {
                topic_regex: re("^payments"),
                ..sel()
            },
            10_000,
        );
        assert!(r.groups.is_empty());
        assert!(
            r.warnings.contains(
                &"no topic of the selected groups matches --topic-regex ^payments".into()
            ),
            "{:?}",
            r.warnings
        );
    }

    #[test]
    fn unknown_time_lag_is_none_and_no_time_lag_skips() {
        let mut s = snapshot();
        s.times.clear();
        let r = build(&s, &sel(), 10_000);
        assert_eq!(
            r.groups[0].max_time_lag_ms,
            Some(0),
            "only the caught-up row is known"
        );
        let r = build(
            &snapshot(),
            &Selection {
                time_lag: false,
                ..sel()
            },
            10_000,
        );
        assert_eq!(
            r.groups[0]
                .partitions
                .iter()
                .find(|p| p.partition == 0 && p.topic == "orders")
                .unwrap()
                .time_lag_ms,
            None
        );
    }

    #[test]
    fn a_cluster_without_describe_still_gives_lag_and_says_so_once() {
        let mut s = snapshot();
        let d = &mut s.descriptions[0];
        d.members.clear();
        d.state = GroupState::Unknown;
        d.error = Some(KafkaCode {
            code: KafkaCode::UNSUPPORTED_FEATURE,
            name: "_UNSUPPORTED_FEATURE".into(),
            message: "Required feature not supported by broker".into(),
        });
        let mut other = s.descriptions[0].clone();
        other.group = "fraud".into();
        s.descriptions.push(other);
        let r = build(&s, &sel(), 10_000);
        assert_eq!(r.groups[0].total_lag, 45, "the offsets alone give the lag");
        assert!(r.groups.iter().all(|g| !g.described));
        let said = r
            .warnings
            .iter()
            .filter(|w| w.contains("cannot describe consumer groups"))
            .count();
        assert_eq!(said, 1, "{:?}", r.warnings);
        assert!(!r
            .warnings
            .iter()
            .any(|w| w.contains("could not be described")));
        assert!(build(&snapshot(), &sel(), 10_000).groups[0].described);
    }

    #[test]
    fn thresholds() {
        let r = build(&snapshot(), &sel(), 10_000);
        assert!(check_thresholds(&r, Some(45), None).is_ok());
        let e = check_thresholds(&r, Some(44), None).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::THRESHOLD);
        assert!(e.to_string().contains("billing"));
        assert!(check_thresholds(&r, None, Some(Duration::from_secs(9))).is_ok());
        assert!(check_thresholds(&r, None, Some(Duration::from_secs(8))).is_err());
    }

    #[test]
    fn missing_group_detection() {
        let mut d = snapshot().descriptions.remove(0);
        d.state = GroupState::Dead;
        assert!(is_missing(&d, None));
        let some = GroupOffsets {
            group: d.group.clone(),
            offsets: Ok(vec![(tp("a", 0), Some(1))]),
        };
        assert!(!is_missing(&d, Some(&some)));
    }
}
