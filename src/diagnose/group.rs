//! A consumer group over the window: rates, lag trend, catch-up ETA, and the group rules
//! (stopped, stalled or rewound partitions, consumers slower than producers, partitions
//! without an owner, members without partitions, hot partitions, rebalance churn, records
//! lost to retention). Each rule says why and what to do.

use std::collections::{BTreeMap, BTreeSet};

use super::history::{self, Found, Look};
use super::trend::{self, Context, Point};
use super::{list_some, percent, MemberView, Sample};
use crate::flags::{EXECUTE, GROUP, RATE, TOPIC, TO_DATETIME, UNTIL, WORKERS};
use crate::human::{compact_duration, or_dash, rate};
use crate::report::diagnosis::{Finding, GroupDiagnosis, PartitionDiagnosis, Severity, Status};

/// A hot partition holds at least this share of its topic's lag or traffic...
const HOT_SHARE: f64 = 0.5;
/// ...and at least this many times its fair share (1 / partitions).
const HOT_OVER_FAIR: f64 = 1.5;
/// Below this much lag (records) or traffic (records/s) a topic is too quiet to call hot.
const HOT_MIN_LAG: u64 = 100;
const HOT_MIN_RATE: f64 = 1.0;
/// Production must beat consumption by this factor to call the group slower.
const SLOWER_BY: f64 = 1.05;
/// Rebalance churn: this many membership changes or unstable samples in one window.
const CHURN_MIN: usize = 2;

/// The group over `samples` (found by a scan: for a few samples; a window uses [`judge`]).
pub fn diagnose(
    group: &str,
    samples: &[Sample],
    topic_partitions: &BTreeMap<String, usize>,
) -> Option<(GroupDiagnosis, Vec<Finding>)> {
    let looks: Vec<Look> = samples
        .iter()
        .filter_map(|s| history::look(s, group))
        .collect();
    judge(group, &looks, topic_partitions)
}

/// The group from its looks, oldest first: the samples that showed it. None when there
/// are none, or when the newest is not a full row (a window keeps those in full).
pub fn judge(
    group: &str,
    looks: &[Look],
    topic_partitions: &BTreeMap<String, usize>,
) -> Option<(GroupDiagnosis, Vec<Finding>)> {
    let newest = looks.last()?;
    let last = newest.rows.full()?;
    let last_members = newest.members;
    let last_t = newest.t_ms;
    let mut parts = Vec::new();
    let mut trends = Vec::new();
    let owned_topics: BTreeSet<&str> = last
        .partitions
        .iter()
        .filter(|p| p.consumer_id.is_some())
        .map(|p| p.topic.as_str())
        .collect();
    let mut points: Vec<Point> = Vec::with_capacity(looks.len());
    for (i, p) in last.partitions.iter().enumerate() {
        let mut found = Found::default();
        points.clear();
        points.extend(looks.iter().filter_map(|l| {
            let (committed, end, lag) = l.rows.offsets(&mut found, i, &p.topic, p.partition)?;
            Some(Point {
                t_ms: l.t_ms,
                committed,
                end,
                lag,
            })
        }));
        let mut tr = trend::judge(
            &points,
            Context {
                owned: p.consumer_id.is_some(),
                nothing_to_read: p.lag.unwrap_or(0) > 0 && p.time_lag_ms == Some(0),
            },
        );
        // Commits left on a topic the live members no longer read: stale, not stopped.
        if tr.status == Status::Stop && last.members > 0 && !owned_topics.contains(p.topic.as_str())
        {
            tr.status = Status::Ok;
        }
        parts.push(PartitionDiagnosis {
            topic: p.topic.clone(),
            partition: p.partition,
            status: tr.status,
            lag: p.lag,
            lag_change: tr
                .lag_first
                .zip(tr.lag_last)
                .map(|(a, b)| b as i64 - a as i64),
            current_offset: p.current_offset,
            log_start_offset: p.log_start_offset,
            log_end_offset: p.log_end_offset,
            produce_rate: tr.produce_rate,
            consume_rate: tr.consume_rate,
            unchanged_ms: tr.unchanged_ms,
            time_lag_ms: p.time_lag_ms,
            records_lost: p.records_lost,
            owner: p.client_id.clone().or_else(|| p.consumer_id.clone()),
            samples: points.len(),
        });
        trends.push(tr);
    }

    let sum = |f: &dyn Fn(&PartitionDiagnosis) -> Option<f64>| -> Option<f64> {
        let v: Vec<f64> = parts.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum())
    };
    let produce_rate = sum(&|p| p.produce_rate);
    let consume_rate = sum(&|p| p.consume_rate);
    let lag_change: i64 = parts.iter().filter_map(|p| p.lag_change).sum();
    let (eta_ms, eta) = eta(last.total_lag, produce_rate, consume_rate);
    let status = parts
        .iter()
        .map(|p| p.status)
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::CaughtUp);

    let (membership_changes, unstable_samples, unstable_states) = churn(looks);
    let idle: Vec<&MemberView> = last_members
        .unwrap_or(&[])
        .iter()
        .filter(|m| m.partitions == 0)
        .collect();

    let mut d = GroupDiagnosis {
        group: group.to_string(),
        state: last.state.clone(),
        protocol: last.protocol.clone(),
        members: last.members,
        status,
        severity: Severity::Ok,
        total_lag: last.total_lag,
        lag_change,
        produce_rate,
        consume_rate,
        eta_ms,
        eta,
        max_time_lag_ms: last.max_time_lag_ms,
        unowned_partitions: last.unowned_partitions,
        idle_members: idle.len(),
        records_lost: last.records_lost,
        membership_changes,
        unstable_samples,
        partitions: parts,
    };
    let span_ms = trends.iter().map(|t| t.span_ms).max().unwrap_or(0);
    let mut f = Vec::new();
    f.extend(stopped(&d, last_t));
    f.extend(stalled(&d));
    f.extend(rewound(&d, &trends));
    f.extend(falling_behind(&d, span_ms, topic_partitions, last_t));
    f.extend(records_lost(&d));
    f.extend(unowned(&d));
    f.extend(idle_members(&d, &idle, topic_partitions));
    f.extend(hot_partitions(&d));
    f.extend(rebalance_churn(&d, looks.len(), &unstable_states, span_ms));
    if f.iter().all(|x| x.severity == Severity::Ok) {
        f.push(lag_summary(&d, span_ms));
    }
    d.severity = f.iter().map(|x| x.severity).max().unwrap_or(Severity::Ok);
    Some((d, f))
}

/// Catch-up time at current rates: lag / (consume − produce).
pub fn eta(lag: u64, produce: Option<f64>, consume: Option<f64>) -> (Option<u64>, String) {
    if lag == 0 {
        return (None, "caught-up".into());
    }
    match (produce, consume) {
        (Some(p), Some(c)) if c > p && c > 0.0 => {
            let ms = (lag as f64 / (c - p) * 1000.0).round() as u64;
            (Some(ms), compact_duration(ms))
        }
        (Some(_), Some(_)) => (None, "never".into()),
        _ => (None, "unknown".into()),
    }
}

/// Joins plus leaves between consecutive described samples, and the unstable samples.
fn churn(looks: &[Look]) -> (usize, usize, Vec<String>) {
    let described: Vec<(&str, &[MemberView])> = looks
        .iter()
        .filter_map(|l| Some((l.rows.state(), l.members?)))
        .collect();
    let ids = |m: &[MemberView]| -> BTreeSet<String> { m.iter().map(|m| m.id.clone()).collect() };
    let changes = described
        .windows(2)
        .map(|w| ids(w[0].1).symmetric_difference(&ids(w[1].1)).count())
        .sum();
    let unstable: Vec<String> = described
        .iter()
        .filter(|(s, _)| *s == "PreparingRebalance" || *s == "CompletingRebalance")
        .map(|(s, _)| s.to_string())
        .collect();
    (changes, unstable.len(), unstable)
}

fn with_status(d: &GroupDiagnosis, s: Status) -> Vec<&PartitionDiagnosis> {
    d.partitions.iter().filter(|p| p.status == s).collect()
}

/// The partitions a rule is about, each with its evidence line (`topic/partition: what`);
/// None when there are none, and the rule says nothing.
fn partitions_where(
    d: &GroupDiagnosis,
    about: impl Fn(&PartitionDiagnosis) -> bool,
    what: impl Fn(&PartitionDiagnosis) -> String,
) -> Option<(Vec<&PartitionDiagnosis>, Vec<String>)> {
    let ps: Vec<&PartitionDiagnosis> = d.partitions.iter().filter(|p| about(p)).collect();
    let evidence = ps
        .iter()
        .map(|p| format!("{}/{}: {}", p.topic, p.partition, what(p)))
        .collect();
    (!ps.is_empty()).then_some((ps, evidence))
}

fn topics_of(ps: &[&PartitionDiagnosis]) -> Vec<String> {
    ps.iter()
        .map(|p| p.topic.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn subject(ps: &[&PartitionDiagnosis]) -> String {
    let names: Vec<String> = ps
        .iter()
        .map(|p| format!("{}/{}", p.topic, p.partition))
        .collect();
    list_some(&names, 4).replace("; ", ", ")
}

fn drain_command(group: &str, topics: &[String]) -> String {
    let t: Vec<String> = topics.iter().map(|t| format!("{TOPIC} {t}")).collect();
    format!("kbp drain {GROUP} {group} {} {UNTIL} end", t.join(" "))
}

/// The `kbp offsets reset` plan that skips what was written before `at_ms` (the last
/// sample, to the second): records arriving after the diagnosis are still read.
fn skip_command(group: &str, topics: &[String], at_ms: u64) -> String {
    let t: Vec<String> = topics.iter().map(|t| format!("{TOPIC} {t}")).collect();
    let at = i64::try_from(at_ms - at_ms % 1000).unwrap_or(i64::MAX);
    let time = jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| at.to_string());
    format!(
        "kbp offsets reset {GROUP} {group} {} {TO_DATETIME} {time} (a plan; {EXECUTE} writes it once the group's consumers are stopped)",
        t.join(" ")
    )
}

fn stopped(d: &GroupDiagnosis, at_ms: u64) -> Option<Finding> {
    let (ps, evidence) = partitions_where(
        d,
        |p| p.status == Status::Stop,
        |p| {
            format!(
                "committed {} unchanged for {}, log end now {} ({} in), lag {}",
                or_dash(p.current_offset),
                compact_duration(p.unchanged_ms),
                or_dash(p.log_end_offset),
                rate(p.produce_rate.unwrap_or(0.0)),
                or_dash(p.lag)
            )
        },
    )?;
    Some(
        Finding::new(Severity::Crit, "stop", Some(&d.group), subject(&ps)).says(
            format!(
                "{} partition(s) STOP: nothing consumes them while records keep arriving",
                ps.len()
            ),
            format!(
                "{}; group {} with {} member(s)",
                list_some(&evidence, 3),
                d.state,
                d.members
            ),
            "no member owns these partitions and their committed offsets did not move for the \
             whole window while producers kept writing: the consumers are down, crashed, or \
             left the group (a consumer that exceeds max.poll.interval.ms is also removed)",
            format!(
                "restart the consumers of group {g} and check why they stopped (crash loop, \
                 deployment, max.poll.interval.ms exceeded); to clear the backlog meanwhile: {}; \
                 to skip it instead: {}",
                drain_command(&d.group, &topics_of(&ps)),
                skip_command(&d.group, &topics_of(&ps), at_ms),
                g = d.group
            ),
        ),
    )
}

fn stalled(d: &GroupDiagnosis) -> Option<Finding> {
    let (ps, evidence) = partitions_where(
        d,
        |p| p.status == Status::Stall,
        |p| {
            format!(
                "owned by {}, committed {} unchanged for {}, lag {}",
                or_dash(p.owner.clone()),
                or_dash(p.current_offset),
                compact_duration(p.unchanged_ms),
                or_dash(p.lag)
            )
        },
    )?;
    Some(
        Finding::new(Severity::Crit, "stall", Some(&d.group), subject(&ps)).says(
            format!(
                "{} partition(s) STALL: a live member owns them but their committed offsets do not move",
                ps.len()
            ),
            list_some(&evidence, 3),
            "the member is in the group (it heartbeats) but does not commit: it is stuck on a \
             record (poison message, blocked call), one poll's batch takes longer than the \
             window, or it never commits (enable.auto.commit=false and no commit calls)",
            "look at that member's logs and thread dump; if a poll's batch takes too long, lower \
             max.poll.records (e.g. 100) or raise max.poll.interval.ms (e.g. 600000); make sure \
             it commits after processing"
                .to_string(),
        ),
    )
}

fn rewound(d: &GroupDiagnosis, trends: &[trend::Trend]) -> Option<Finding> {
    let back: Vec<(&PartitionDiagnosis, (i64, i64))> = d
        .partitions
        .iter()
        .zip(trends)
        .filter_map(|(p, t)| Some((p, t.rewind?)))
        .collect();
    if back.is_empty() {
        return None;
    }
    let ps: Vec<&PartitionDiagnosis> = back.iter().map(|(p, _)| *p).collect();
    let again: i64 = back.iter().map(|(_, (from, to))| from - to).sum();
    let evidence: Vec<String> = back
        .iter()
        .map(|(p, (from, to))| format!("{}/{}: committed {from} -> {to}", p.topic, p.partition))
        .collect();
    Some(
        Finding::new(Severity::Warn, "rewind", Some(&d.group), subject(&ps)).says(
            format!(
                "{} partition(s) REWIND: the committed offset went backwards during the window",
                ps.len()
            ),
            format!(
                "{}; {again} records will be read again",
                list_some(&evidence, 3)
            ),
            "an offset reset (kafka-consumer-groups --reset-offsets, a seek and commit), or a \
             consumer that lost its position and fell back to auto.offset.reset=earliest",
            "if nobody meant to reprocess, find who reset the group; expect duplicates downstream \
             for the records between the two offsets"
                .to_string(),
        ),
    )
}

fn falling_behind(
    d: &GroupDiagnosis,
    span_ms: u64,
    topic_partitions: &BTreeMap<String, usize>,
    at_ms: u64,
) -> Option<Finding> {
    let warn = with_status(d, Status::Warn);
    let (p, c) = (d.produce_rate?, d.consume_rate?);
    let slower = c > 0.0 && p > c * SLOWER_BY && d.lag_change > 0;
    if warn.is_empty() && !slower {
        return None;
    }
    let topics: BTreeSet<&str> = d.partitions.iter().map(|p| p.topic.as_str()).collect();
    let partitions: usize = topics
        .iter()
        .map(|t| topic_partitions.get(*t).copied().unwrap_or(0))
        .sum::<usize>()
        .max(d.partitions.len());
    let names: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
    // The backlog built so far stays even once consumers keep up: say how to clear it.
    let clear = format!(
        "; to clear the backlog built so far at a pace the downstream takes: {} {RATE} N/s; \
         to skip it instead: {}",
        drain_command(&d.group, &names),
        skip_command(&d.group, &names, at_ms)
    );
    // A cluster that cannot describe groups (state Unknown) reports no members.
    let members = if d.state == "Unknown" {
        "an unknown number of member(s)".to_string()
    } else {
        format!("{} member(s)", d.members)
    };
    let remedy = if d.members < partitions {
        format!(
            "add consumers: {members} share {partitions} partition(s), so up to {partitions} \
             can work in parallel; or make each faster: raise max.poll.records (e.g. 2000) and \
             fetch.max.bytes (e.g. 104857600) when per-poll overhead dominates{clear}"
        )
    } else {
        format!(
            "every one of the {partitions} partition(s) already has a consumer: add partitions \
             (kafka-topics --alter --partitions {}) and consumers, or make each consumer faster \
             (parallel processing, e.g. kbp drain {WORKERS}; max.poll.records e.g. 2000, \
             fetch.max.bytes e.g. 104857600){clear}",
            partitions * 2
        )
    };
    let subject = if warn.is_empty() {
        format!("group {}", d.group)
    } else {
        subject(&warn)
    };
    Some(
        Finding::new(Severity::Warn, "falling-behind", Some(&d.group), subject).says(
            format!(
                "consumers slower than producers: lag grows, catch-up {}",
                if d.eta == "never" {
                    "never at current rates".to_string()
                } else {
                    format!("in {}", d.eta)
                }
            ),
            format!(
                "produce {}, consume {} over {}; lag {} -> {} ({:+}); {} partition(s) rising at every sample",
                rate(p),
                rate(c),
                compact_duration(span_ms),
                d.total_lag as i64 - d.lag_change,
                d.total_lag,
                d.lag_change,
                warn.len()
            ),
            "the group consumes more slowly than producers write, so the backlog only grows \
             (the mismatch of seed 002: buffering hides it until lag or retention bites)",
            remedy,
        ),
    )
}

fn records_lost(d: &GroupDiagnosis) -> Option<Finding> {
    let (ps, evidence) = partitions_where(
        d,
        |p| p.records_lost.is_some(),
        |p| {
            format!(
                "committed {} < log start {} ({} records)",
                or_dash(p.current_offset),
                or_dash(p.log_start_offset),
                or_dash(p.records_lost)
            )
        },
    )?;
    Some(
        Finding::new(Severity::Crit, "records-lost", Some(&d.group), subject(&ps)).says(
            format!(
                "{} records deleted by retention before the group read them",
                d.records_lost
            ),
            list_some(&evidence, 3),
            "the group stayed behind longer than the topic keeps data (retention.ms / \
             retention.bytes), so the log start passed its committed offset",
            format!(
                "catch the group up first, then raise retention on {} (kafka-configs --alter \
                 --entity-type topics --entity-name TOPIC --add-config retention.ms=...); the \
                 next poll jumps to the log start (auto.offset.reset)",
                topics_of(&ps).join(", ")
            ),
        ),
    )
}

fn unowned(d: &GroupDiagnosis) -> Option<Finding> {
    if d.state != "Stable" || d.members == 0 {
        return None;
    }
    let owned_topics: BTreeSet<&str> = d
        .partitions
        .iter()
        .filter(|p| p.owner.is_some())
        .map(|p| p.topic.as_str())
        .collect();
    let ps: Vec<&PartitionDiagnosis> = d
        .partitions
        .iter()
        .filter(|p| p.owner.is_none() && owned_topics.contains(p.topic.as_str()))
        .collect();
    if ps.is_empty() {
        return None;
    }
    Some(
        Finding::new(Severity::Warn, "unowned", Some(&d.group), subject(&ps)).says(
            format!(
                "{} partition(s) of subscribed topics have no owner in a Stable group",
                ps.len()
            ),
            format!(
                "{} member(s); unowned: {}; their lag {}",
                d.members,
                subject(&ps),
                ps.iter().filter_map(|p| p.lag).sum::<u64>()
            ),
            "the assignment left them out: members subscribe to different topic lists, a \
             custom assignor skipped them, or partitions were added after the last rebalance",
            "give every member the same subscription; after adding partitions, consumers see \
             them at their next metadata refresh (metadata.max.age.ms, e.g. 30000)"
                .to_string(),
        ),
    )
}

fn idle_members(
    d: &GroupDiagnosis,
    idle: &[&MemberView],
    topic_partitions: &BTreeMap<String, usize>,
) -> Option<Finding> {
    if idle.is_empty() || d.state != "Stable" {
        return None;
    }
    let topics: BTreeSet<&str> = d.partitions.iter().map(|p| p.topic.as_str()).collect();
    let counts: Vec<String> = topics
        .iter()
        .map(|t| format!("{t}: {}", or_dash(topic_partitions.get(*t))))
        .collect();
    let partitions: usize = topics.iter().filter_map(|t| topic_partitions.get(*t)).sum();
    let more = d.members > partitions && partitions > 0;
    let clients: Vec<String> = idle.iter().map(|m| m.client_id.clone()).collect();
    Some(
        Finding::new(
            Severity::Warn,
            "idle-members",
            Some(&d.group),
            format!("group {}", d.group),
        )
        .says(
            if more {
                format!(
                    "more consumers than partitions: {} of {} member(s) own nothing",
                    idle.len(),
                    d.members
                )
            } else {
                format!("{} of {} member(s) own no partition", idle.len(), d.members)
            },
            format!(
                "{} member(s), {partitions} partition(s) ({}); idle client ids: {}",
                d.members,
                counts.join(", "),
                list_some(&clients, 3)
            ),
            if more {
                "a partition is read by one member of a group at a time, so members beyond \
                     the partition count sit idle and add nothing but rebalance cost"
            } else {
                "the assignor gave these members nothing: they subscribe to topics with no \
                     partitions left, or the assignment is still being reconciled"
            },
            if more {
                format!(
                    "scale the group down to {partitions} member(s), or add partitions to \
                         match the consumers (kafka-topics --alter --partitions {})",
                    d.members
                )
            } else {
                "check the members' subscriptions and the group's assignor".to_string()
            },
        ),
    )
}

fn hot_partitions(d: &GroupDiagnosis) -> Vec<Finding> {
    let mut out = Vec::new();
    let topics: BTreeSet<&str> = d.partitions.iter().map(|p| p.topic.as_str()).collect();
    for t in topics {
        let ps: Vec<&PartitionDiagnosis> = d.partitions.iter().filter(|p| p.topic == t).collect();
        if ps.len() < 2 {
            continue;
        }
        let threshold = HOT_SHARE.max(HOT_OVER_FAIR / ps.len() as f64);
        let lag_total: u64 = ps.iter().filter_map(|p| p.lag).sum();
        let traffic: f64 = ps.iter().filter_map(|p| p.produce_rate).sum();
        let top_lag = ps.iter().max_by_key(|p| p.lag.unwrap_or(0));
        let top_traffic = ps.iter().max_by(|a, b| {
            a.produce_rate
                .unwrap_or(0.0)
                .total_cmp(&b.produce_rate.unwrap_or(0.0))
        });
        let mut lines = Vec::new();
        let mut hot = BTreeSet::new();
        if let Some(p) = top_lag.filter(|p| {
            lag_total >= HOT_MIN_LAG && p.lag.unwrap_or(0) as f64 >= threshold * lag_total as f64
        }) {
            hot.insert(p.partition);
            lines.push(format!(
                "{t}/{} holds {} of the lag ({} of {lag_total})",
                p.partition,
                percent(p.lag.unwrap_or(0) as f64, lag_total as f64),
                p.lag.unwrap_or(0)
            ));
        }
        if let Some(p) = top_traffic.filter(|p| {
            traffic >= HOT_MIN_RATE && p.produce_rate.unwrap_or(0.0) >= threshold * traffic
        }) {
            hot.insert(p.partition);
            let r = p.produce_rate.unwrap_or(0.0);
            lines.push(format!(
                "{t}/{} receives {} of the records ({} of {})",
                p.partition,
                percent(r, traffic),
                rate(r),
                rate(traffic)
            ));
        }
        if lines.is_empty() {
            continue;
        }
        let names: Vec<String> = hot.iter().map(|p| format!("{t}/{p}")).collect();
        out.push(
            Finding::new(
                Severity::Warn,
                "hot-partition",
                Some(&d.group),
                names.join(", "),
            )
            .says(
                format!(
                    "hot partition: {} of {t}'s {} partitions carries most of it",
                    names.join(", "),
                    ps.len()
                ),
                lines.join("; "),
                "records are not spread evenly: a few keys dominate (one customer, a null or \
                 constant key), or a custom partitioner; one partition is read by one member only, \
                 so adding consumers does not help it",
                "spread the hot key (add a suffix to it, or key by a finer field); without \
                 per-key ordering needs, produce without a key (the sticky partitioner spreads \
                 batches)"
                    .to_string(),
            ),
        );
    }
    out
}

fn rebalance_churn(
    d: &GroupDiagnosis,
    samples: usize,
    unstable_states: &[String],
    span_ms: u64,
) -> Option<Finding> {
    if d.membership_changes < CHURN_MIN && d.unstable_samples < CHURN_MIN {
        return None;
    }
    let states: BTreeSet<&str> = unstable_states.iter().map(String::as_str).collect();
    Some(
        Finding::new(
            Severity::Warn,
            "rebalance-churn",
            Some(&d.group),
            format!("group {}", d.group),
        )
        .says(
            "rebalance churn: members keep joining and leaving".to_string(),
            format!(
                "membership changed {} time(s) (joins plus leaves) in {}; rebalancing in {} of {samples} samples{}; {} member(s) now, state {}",
                d.membership_changes,
                compact_duration(span_ms),
                d.unstable_samples,
                if states.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", states.into_iter().collect::<Vec<_>>().join(", "))
                },
                d.members,
                d.state
            ),
            "each rebalance pauses consumption: a member is kicked for missing \
             max.poll.interval.ms (slow processing) or session.timeout.ms (GC or network \
             pauses) and rejoins, or a deployment restarts members one by one",
            "if a poll's batch is slow, lower max.poll.records (e.g. 100) or raise \
             max.poll.interval.ms (e.g. 600000); raise session.timeout.ms (e.g. 45000); use \
             static membership (group.instance.id) for rolling restarts; prefer incremental \
             rebalancing (group.protocol=consumer, or the cooperative-sticky assignor)"
                .to_string(),
        ),
    )
}

/// When nothing is wrong: the lag and where it is going.
fn lag_summary(d: &GroupDiagnosis, span_ms: u64) -> Finding {
    let f = Finding::new(
        Severity::Ok,
        "lag",
        Some(&d.group),
        format!("group {}", d.group),
    );
    let rates = match (d.produce_rate, d.consume_rate) {
        (Some(p), Some(c)) => format!(
            "; produce {}, consume {} over {}",
            rate(p),
            rate(c),
            compact_duration(span_ms)
        ),
        _ => String::new(),
    };
    let idle = d.produce_rate == Some(0.0) && d.consume_rate.unwrap_or(0.0) == 0.0;
    let symptom = match (d.total_lag, d.eta.as_str()) {
        (0, _) => "caught up".to_string(),
        (_, "never") if idle => "backlog parked on an idle log: no traffic, not an alarm".into(),
        (_, "never") => "lag not shrinking".into(),
        (_, "unknown") => "lag (trend needs more than one sample)".into(),
        (_, eta) => format!("catching up in {eta}"),
    };
    f.says(
        symptom,
        format!(
            "lag {}, max time lag {}{rates}",
            d.total_lag,
            or_dash(d.max_time_lag_ms.map(compact_duration))
        ),
        "",
        String::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lag::{GroupLag, LagReport, PartitionLag};

    /// A partition row: (topic, partition, committed, end, owner).
    type Row<'a> = (&'a str, i32, Option<i64>, i64, Option<&'a str>);

    fn group_lag(group: &str, state: &str, members: usize, rows: &[Row]) -> GroupLag {
        let partitions: Vec<PartitionLag> = rows
            .iter()
            .map(|(t, p, c, e, o)| PartitionLag {
                topic: t.to_string(),
                partition: *p,
                current_offset: *c,
                log_start_offset: Some(0),
                log_end_offset: Some(*e),
                lag: c.map(|c| (e - c).max(0) as u64),
                time_lag_ms: c.map(|c| if c >= *e { 0 } else { 1000 }),
                records_lost: None,
                consumer_id: o.map(|o| format!("id-{o}")),
                host: o.map(|_| "/127.0.0.1".to_string()),
                client_id: o.map(String::from),
            })
            .collect();
        GroupLag::of(group, state, members, partitions)
    }

    fn member(id: &str, partitions: usize) -> MemberView {
        MemberView {
            id: format!("id-{id}"),
            client_id: id.into(),
            partitions,
        }
    }

    fn sample(i: u64, g: GroupLag, members: Vec<MemberView>) -> Sample {
        let name = g.group.clone();
        Sample {
            t_ms: 1_000 * i,
            lag: LagReport {
                timestamp_ms: 1_000 * i,
                groups: vec![g],
                warnings: vec![],
            },
            members: [(name, members)].into_iter().collect(),
            undescribed: vec![],
        }
    }

    /// `n` samples a second apart of group g, Stable, whose member a owns `owned`
    /// partitions; `rows(i)` are the partitions at sample i.
    fn stable(n: u64, owned: usize, rows: impl Fn(i64) -> Vec<Row<'static>>) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let g = group_lag("g", "Stable", 1, &rows(i as i64));
                sample(i, g, vec![member("a", owned)])
            })
            .collect()
    }

    fn run(samples: &[Sample], parts: &[(&str, usize)]) -> (GroupDiagnosis, Vec<Finding>) {
        let tp = parts.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        diagnose("g", samples, &tp).expect("group seen")
    }

    fn rules(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter().map(|f| (f.rule.as_str(), f.severity)).collect()
    }

    #[test]
    fn caught_up_group_has_one_ok_finding() {
        let s: Vec<Sample> = (0..3)
            .map(|i| {
                let e = 100 + 10 * i as i64;
                sample(
                    i,
                    group_lag("g", "Stable", 1, &[("t", 0, Some(e), e, Some("a"))]),
                    vec![member("a", 1)],
                )
            })
            .collect();
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.status, Status::CaughtUp);
        assert_eq!(d.eta, "caught-up");
        assert_eq!(rules(&f), vec![("lag", Severity::Ok)]);
        assert_eq!(f[0].symptom, "caught up");
        assert_eq!(d.produce_rate, Some(10.0));
        assert_eq!(d.consume_rate, Some(10.0));
    }

    #[test]
    fn slower_consumer_warns_with_eta_never_and_suggests_more_consumers() {
        let s: Vec<Sample> = stable(4, 2, |i| {
            [
                ("t", 0, Some(50 * i), 100 + 100 * i, Some("a")),
                ("t", 1, Some(50 * i), 100 + 100 * i, Some("a")),
            ]
            .to_vec()
        });
        let (d, f) = run(&s, &[("t", 2)]);
        assert_eq!(d.status, Status::Warn);
        assert_eq!((d.produce_rate, d.consume_rate), (Some(200.0), Some(100.0)));
        assert_eq!(d.eta, "never");
        assert_eq!(d.lag_change, 300);
        assert_eq!(rules(&f), vec![("falling-behind", Severity::Warn)]);
        assert!(
            f[0].symptom.contains("never at current rates"),
            "{}",
            f[0].symptom
        );
        assert!(f[0].remedy.contains("add consumers"), "{}", f[0].remedy);
        // The backlog so far: drained at a pace, or skipped up to the last sample (3 s).
        assert!(
            f[0].remedy.contains("kbp drain --group g --topic t --until end --rate N/s")
                && f[0].remedy.contains(
                    "kbp offsets reset --group g --topic t --to-datetime 1970-01-01T00:00:03Z (a plan;"
                ),
            "{}",
            f[0].remedy
        );
        assert_eq!(d.severity, Severity::Warn);
    }

    #[test]
    fn catching_up_gives_an_eta() {
        let s: Vec<Sample> = stable(3, 1, |i| {
            [("t", 0, Some(100 * i), 1000 + 10 * i, Some("a"))].to_vec()
        });
        let (d, f) = run(&s, &[("t", 1)]);
        // lag 820, net 90/s.
        assert_eq!(d.eta_ms, Some(9_111));
        assert_eq!(rules(&f), vec![("lag", Severity::Ok)]);
        assert!(
            f[0].symptom.starts_with("catching up in 9s"),
            "{}",
            f[0].symptom
        );
    }

    #[test]
    fn dead_consumer_stops_and_remedy_names_drain() {
        let s: Vec<Sample> = (0..3)
            .map(|i| {
                sample(
                    i,
                    group_lag(
                        "g",
                        "Empty",
                        0,
                        &[("t", 0, Some(10), 20 + 5 * i as i64, None)],
                    ),
                    vec![],
                )
            })
            .collect();
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.status, Status::Stop);
        assert_eq!(d.severity, Severity::Crit);
        assert_eq!(rules(&f)[0], ("stop", Severity::Crit));
        assert!(f[0]
            .remedy
            .contains("kbp drain --group g --topic t --until end"));
        assert!(
            f[0].remedy.contains(
                "to skip it instead: kbp offsets reset --group g --topic t --to-datetime 1970-01-01T00:00:02Z"
            ),
            "{}",
            f[0].remedy
        );
        assert!(
            f[0].evidence.contains("unchanged for 2s"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn stale_commits_of_an_unsubscribed_topic_are_not_stop() {
        let s: Vec<Sample> = stable(3, 1, |i| {
            [
                ("new", 0, Some(5), 5, Some("a")),
                ("old", 0, Some(10), 20 + i, None),
            ]
            .to_vec()
        });
        let (d, f) = run(&s, &[("new", 1), ("old", 1)]);
        assert_eq!(d.status, Status::Ok);
        assert!(
            f.iter().all(|f| f.rule != "stop" && f.rule != "unowned"),
            "{f:?}"
        );
    }

    #[test]
    fn member_holding_still_commits_stalls() {
        let s: Vec<Sample> = stable(3, 1, |_| [("t", 0, Some(10), 50, Some("a"))].to_vec());
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.status, Status::Stall);
        assert_eq!(rules(&f), vec![("stall", Severity::Crit)]);
        assert!(f[0].evidence.contains("owned by a"), "{}", f[0].evidence);
    }

    #[test]
    fn reset_backwards_is_rewind_with_the_reread_count() {
        let commits = [100, 20, 20];
        let s: Vec<Sample> = commits
            .iter()
            .enumerate()
            .map(|(i, c)| {
                sample(
                    i as u64,
                    group_lag("g", "Empty", 0, &[("t", 0, Some(*c), 100, None)]),
                    vec![],
                )
            })
            .collect();
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.status, Status::Rewind);
        assert_eq!(rules(&f), vec![("rewind", Severity::Warn)]);
        assert!(
            f[0].evidence
                .contains("100 -> 20; 80 records will be read again"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn idle_topic_and_idle_group_raise_nothing() {
        let s: Vec<Sample> = (0..3)
            .map(|i| {
                sample(
                    i,
                    group_lag("g", "Empty", 0, &[("t", 0, Some(40), 100, None)]),
                    vec![],
                )
            })
            .collect();
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.status, Status::Ok);
        assert_eq!(d.severity, Severity::Ok);
        assert_eq!(rules(&f), vec![("lag", Severity::Ok)]);
        assert!(f[0].symptom.contains("idle log"), "{}", f[0].symptom);
    }

    #[test]
    fn hot_partition_by_lag_and_by_traffic() {
        let s: Vec<Sample> = stable(3, 3, |i| {
            [
                ("t", 0, Some(100 * i), 900 + 100 * i + 10, Some("a")),
                ("t", 1, Some(i), 10 + i, Some("a")),
                ("t", 2, Some(i), 10 + i, Some("a")),
            ]
            .to_vec()
        });
        let (_, f) = run(&s, &[("t", 3)]);
        let hot: Vec<&Finding> = f.iter().filter(|f| f.rule == "hot-partition").collect();
        assert_eq!(hot.len(), 1, "{f:?}");
        assert_eq!(hot[0].subject, "t/0");
        assert!(
            hot[0].evidence.contains("t/0 holds 98% of the lag"),
            "{}",
            hot[0].evidence
        );
        assert!(
            hot[0].evidence.contains("t/0 receives 98% of the records"),
            "{}",
            hot[0].evidence
        );
    }

    #[test]
    fn even_spread_is_not_hot() {
        let s: Vec<Sample> = stable(2, 2, |_| {
            [
                ("t", 0, Some(0), 300, Some("a")),
                ("t", 1, Some(0), 280, Some("a")),
            ]
            .to_vec()
        });
        let (_, f) = run(&s, &[("t", 2)]);
        assert!(f.iter().all(|f| f.rule != "hot-partition"), "{f:?}");
    }

    #[test]
    fn more_consumers_than_partitions() {
        let s = vec![
            sample(
                0,
                group_lag("g", "Stable", 3, &[("t", 0, Some(5), 5, Some("a"))]),
                vec![member("a", 1), member("b", 0), member("c", 0)],
            ),
            sample(
                1,
                group_lag("g", "Stable", 3, &[("t", 0, Some(5), 5, Some("a"))]),
                vec![member("a", 1), member("b", 0), member("c", 0)],
            ),
        ];
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!(d.idle_members, 2);
        assert_eq!(rules(&f), vec![("idle-members", Severity::Warn)]);
        assert!(
            f[0].symptom
                .starts_with("more consumers than partitions: 2 of 3"),
            "{}",
            f[0].symptom
        );
        assert!(f[0].remedy.contains("scale the group down to 1 member"));
    }

    #[test]
    fn members_coming_and_going_is_churn() {
        let states = [
            "Stable",
            "PreparingRebalance",
            "Stable",
            "CompletingRebalance",
        ];
        let members = [vec!["a"], vec!["a", "b"], vec!["a"], vec!["a", "c"]];
        let s: Vec<Sample> = (0..4)
            .map(|i| {
                sample(
                    i as u64,
                    group_lag(
                        "g",
                        states[i],
                        members[i].len(),
                        &[("t", 0, Some(5), 5, Some("a"))],
                    ),
                    members[i]
                        .iter()
                        .map(|m| member(m, usize::from(*m == "a")))
                        .collect(),
                )
            })
            .collect();
        let (d, f) = run(&s, &[("t", 1)]);
        assert_eq!((d.membership_changes, d.unstable_samples), (3, 2));
        assert!(
            rules(&f).contains(&("rebalance-churn", Severity::Warn)),
            "{f:?}"
        );
        // One scale-up is not churn.
        let (d, f) = run(&s[..2], &[("t", 1)]);
        assert_eq!(d.membership_changes, 1);
        assert!(f.iter().all(|f| f.rule != "rebalance-churn"));
    }

    #[test]
    fn undescribed_groups_are_judged_on_offsets_alone() {
        let mut s: Vec<Sample> = (0..3)
            .map(|i| {
                sample(
                    i,
                    group_lag(
                        "g",
                        "Unknown",
                        0,
                        &[("t", 0, Some(10), 20 + i as i64, None)],
                    ),
                    vec![],
                )
            })
            .collect();
        for x in &mut s {
            x.undescribed.push("g".into());
        }
        let (d, _) = run(&s, &[("t", 1)]);
        assert_eq!(d.membership_changes, 0);
        assert_eq!(d.status, Status::Stop);
    }

    #[test]
    fn records_lost_to_retention_is_crit() {
        let mut g = group_lag("g", "Empty", 0, &[("t", 0, Some(5), 100, None)]);
        g.partitions[0].log_start_offset = Some(30);
        g.partitions[0].records_lost = Some(25);
        g.records_lost = 25;
        let (d, f) = run(&[sample1(g)], &[("t", 1)]);
        assert_eq!(d.status, Status::Unknown, "one sample");
        assert_eq!(rules(&f), vec![("records-lost", Severity::Crit)]);
        assert!(f[0]
            .evidence
            .contains("committed 5 < log start 30 (25 records)"));
    }

    fn sample1(g: GroupLag) -> Sample {
        sample(0, g, vec![])
    }

    #[test]
    fn single_sample_has_no_rates() {
        let (d, f) = run(
            &[sample1(group_lag(
                "g",
                "Empty",
                0,
                &[("t", 0, Some(5), 10, None)],
            ))],
            &[("t", 1)],
        );
        assert_eq!(d.eta, "unknown");
        assert_eq!(d.produce_rate, None);
        assert!(f[0].symptom.contains("more than one sample"));
    }

    #[test]
    fn group_missing_from_every_sample_is_none() {
        assert!(diagnose(
            "other",
            &[sample1(group_lag("g", "Empty", 0, &[]))],
            &BTreeMap::new()
        )
        .is_none());
    }
}
