//! `kbp diagnose`: samples the cluster over a window and says where backpressure is, why,
//! and what to do.
//!
//! Each sample is `kbp lag`'s own gathering (end, start and committed offsets, group
//! descriptions), so the numbers agree with `kbp lag`; exact time lag is read once, at the
//! last sample. The cluster is measured around the window with `kbp brokers`'
//! [`Measurement`]. The rules are pure, in `crate::diagnose`. A cluster that cannot list
//! or describe groups (librdkafka's mock cluster, some Kafka-compatible brokers) gets a
//! one-line note and a diagnosis from offsets alone.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use crate::cli::{DiagnoseArgs, FailOn};
use crate::cmd::brokers::{self, Measurement};
use crate::cmd::lag;
use crate::diagnose::history::{Index, Look, Trace};
use crate::diagnose::{self, MemberView, Sample};
use crate::error::{Error, Result};
use crate::human::compact_duration;
use crate::kafka::{GroupState, GroupType, Session};
use crate::output::Progress;
use crate::report::brokers::BrokersReport;
use crate::report::diagnosis::{DiagnoseReport, Severity};

#[derive(Debug, Clone)]
pub struct Selection {
    /// The groups and topics, as `kbp lag` selects them (every state and row: the rules
    /// judge them all).
    pub scope: lag::Selection,
    pub window: Duration,
    /// Samples over the window; 1 is a single snapshot (`--once`).
    pub samples: usize,
    pub time_lag: bool,
    pub brokers: brokers::Selection,
}

impl Selection {
    /// Checks the flags before anything connects: a bad value is a usage error.
    pub fn from_args(a: &DiagnoseArgs) -> Result<Selection> {
        // A watch samples once per refresh: --samples and --once do not go with it.
        let sampled = !a.once && a.watch.watch.is_none();
        if sampled && a.samples < 2 {
            return Err(Error::usage(format!(
                "--samples {}: at least 2 are needed for a trend (--once takes one snapshot)",
                a.samples
            )));
        }
        if sampled && a.window < Duration::from_millis(100 * (a.samples as u64 - 1)) {
            return Err(Error::usage(format!(
                "--window {}: too short for {} samples (at least 100ms between samples)",
                humantime::format_duration(a.window),
                a.samples
            )));
        }
        Ok(Selection {
            scope: lag::Selection::from(&a.scope),
            window: if a.once { Duration::ZERO } else { a.window },
            samples: if a.once { 1 } else { a.samples },
            time_lag: !a.no_time_lag,
            brokers: brokers::Selection::of(&a.brokers, Duration::ZERO),
        })
    }

    /// What one sample gathers: the scope, with or without time lag.
    pub fn lag_selection(&self, time_lag: bool) -> lag::Selection {
        lag::Selection {
            time_lag,
            ..self.scope.clone()
        }
    }
}

/// Most times one sample is taken again on a new session (each within what is left of
/// `--timeout`).
const MAX_RETAKES: usize = 5;

/// Samples, measures and diagnoses on sessions from `connect`. `progress` says which sample
/// is being taken.
///
/// A sample the cluster failed before the command's `--timeout` was spent (a broken
/// connection, a broker gone) is taken again at once on a new session that goes on with the
/// old one's silence, as `kbp serve` and `--watch` connect anew after a failure: no request
/// from before an outage is carried into the time after it, which librdkafka 2.12 can abort
/// the process on (librdkafka#4605). Once `--timeout` is spent, the failure is the
/// command's.
pub fn run(
    connect: &dyn Fn() -> Result<Session>,
    sel: &Selection,
    progress: &Progress,
) -> Result<DiagnoseReport> {
    let n = sel.samples.max(1);
    let mut session = connect()?;
    session.renewable();
    let measurement = Measurement::start(&sel.brokers, session.timeout(), progress)?;
    let every = if n > 1 {
        sel.window / (n as u32 - 1)
    } else {
        Duration::ZERO
    };
    let t0 = Instant::now();
    let mut samples = Vec::with_capacity(n);
    let mut notes = Vec::new();
    for i in 0..n {
        let due = t0 + every * i as u32;
        let wait = due.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            progress.set(&format!(
                "sample {}/{n} in {} (window {})",
                i + 1,
                compact_duration(wait.as_millis() as u64),
                compact_duration(sel.window.as_millis() as u64)
            ));
            session.idle(wait);
        }
        progress.set(&format!("taking sample {}/{n}", i + 1));
        let lag_sel = sel.lag_selection(sel.time_lag && i + 1 == n);
        let mut retakes = 0;
        let sample = loop {
            match take_sample(&session, &lag_sel, progress) {
                Err(Error::Unreachable { .. } | Error::Coordinator { .. })
                    if !session.left().is_zero() && retakes < MAX_RETAKES =>
                {
                    retakes += 1;
                    let fresh = connect()?;
                    fresh.renewable();
                    fresh.carry_silence(&session);
                    session = fresh;
                }
                other => break other?,
            }
        };
        if i + 1 == n {
            notes = sample.lag.warnings.clone();
        }
        samples.push(sample);
    }
    let measured = measurement.finish(&session, progress)?;
    notes.extend(measured.report.warnings.iter().cloned());
    Ok(build(
        &samples,
        measured.report,
        &measured.topic_partitions,
        notes,
    ))
}

/// One look at the cluster through `kbp lag`'s gathering, tolerant of clusters that cannot
/// list or describe groups (their lag still counts).
pub fn take_sample(session: &Session, sel: &lag::Selection, progress: &Progress) -> Result<Sample> {
    let snap = lag::gather_with(session, sel, progress, true)?;
    Ok(sample_of(&snap, sel, crate::clock::now_ms()))
}

/// The samples of the last `span`: the rolling window that `kbp serve` and `--watch` judge
/// with exactly `kbp diagnose`'s rules ([`build`]). Older samples are dropped as new ones
/// come, so memory follows the number of groups and partitions, not the time running; and
/// all but the newest are kept as [`Trace`]s, only what the rules read of them.
#[derive(Debug)]
pub struct Window {
    span: Duration,
    older: VecDeque<Trace>,
    latest: Option<Sample>,
}

impl Window {
    pub fn new(span: Duration) -> Window {
        Window {
            span,
            older: VecDeque::new(),
            latest: None,
        }
    }

    /// Adds the newest sample and forgets those older than the span before it; the one
    /// just before the span stays, so a window always covers the whole span.
    pub fn push(&mut self, sample: Sample) {
        let start = sample.t_ms.saturating_sub(self.span.as_millis() as u64);
        if let Some(previous) = self.latest.take() {
            let trace = Trace::of(previous, &sample, self.older.back());
            self.older.push_back(trace);
        }
        self.latest = Some(sample);
        // The window's second sample is older[1] while two or more traces are kept.
        while self.older.len() > 1 && self.older[1].t_ms <= start {
            self.older.pop_front();
        }
    }

    fn latest_t(&self) -> Option<u64> {
        self.latest.as_ref().map(|s| s.t_ms)
    }

    /// When each sample of the window was taken, oldest first.
    pub fn times(&self) -> Vec<u64> {
        self.older
            .iter()
            .map(|t| t.t_ms)
            .chain(self.latest_t())
            .collect()
    }

    pub fn latest(&self) -> Option<&Sample> {
        self.latest.as_ref()
    }

    /// `kbp diagnose`'s report over the window.
    pub fn judge(
        &self,
        cluster: BrokersReport,
        topic_partitions: &BTreeMap<String, usize>,
        notes: Vec<String>,
    ) -> DiagnoseReport {
        let newest = self.latest.as_ref().map(Index::new);
        // Consecutive traces mostly share a layout: its names and lookups are done once.
        let mut layouts: Vec<&Trace> = Vec::new();
        for t in &self.older {
            if !layouts.last().is_some_and(|l| l.shares_layout(t)) {
                layouts.push(t);
            }
        }
        let mut names: BTreeSet<&str> = layouts.iter().flat_map(|t| t.group_names()).collect();
        if let Some(s) = &self.latest {
            names.extend(s.lag.groups.iter().map(|g| g.group.as_str()));
        }
        let looks = |g: &str| -> Vec<Look> {
            let mut found: Option<(&Trace, Option<u32>)> = None;
            self.older
                .iter()
                .filter_map(|t| {
                    let i = match found {
                        Some((l, i)) if l.shares_layout(t) => i,
                        _ => found.insert((t, t.find(g))).1,
                    };
                    i.map(|i| t.look_at(i))
                })
                .chain(newest.as_ref().and_then(|i| i.look(g)))
                .collect()
        };
        assemble(
            names,
            looks,
            &self.times(),
            cluster,
            topic_partitions,
            notes,
        )
    }
}

/// One sample from one of `kbp lag`'s snapshots.
pub fn sample_of(snap: &lag::Snapshot, sel: &lag::Selection, t_ms: u64) -> Sample {
    let members = snap
        .descriptions
        .iter()
        .map(|d| {
            let views = d
                .members
                .iter()
                .map(|m| MemberView {
                    id: m.consumer_id.clone(),
                    client_id: m.client_id.clone(),
                    partitions: if m.assignment.is_empty() {
                        m.target_assignment.as_ref().map_or(0, Vec::len)
                    } else {
                        m.assignment.len()
                    },
                })
                .collect();
            (d.group.clone(), views)
        })
        .collect();
    let undescribed = snap
        .descriptions
        .iter()
        .filter(|d| {
            d.error.is_some()
                || (d.state == GroupState::Unknown && d.group_type == GroupType::Unknown)
        })
        .map(|d| d.group.clone())
        .collect();
    Sample {
        t_ms,
        lag: lag::build(snap, sel, t_ms),
        members,
        undescribed,
    }
}

/// Pure: the report from the samples and the cluster measurement.
pub fn build(
    samples: &[Sample],
    cluster: BrokersReport,
    topic_partitions: &BTreeMap<String, usize>,
    notes: Vec<String>,
) -> DiagnoseReport {
    let names: BTreeSet<&str> = samples
        .iter()
        .flat_map(|s| s.lag.groups.iter().map(|g| g.group.as_str()))
        .collect();
    let indexed: Vec<Index> = samples.iter().map(Index::new).collect();
    let looks = |g: &str| -> Vec<Look> { indexed.iter().filter_map(|i| i.look(g)).collect() };
    let times: Vec<u64> = samples.iter().map(|s| s.t_ms).collect();
    assemble(names, looks, &times, cluster, topic_partitions, notes)
}

/// The report from each group's looks over samples taken at `times`.
fn assemble<'a>(
    names: BTreeSet<&str>,
    looks: impl Fn(&str) -> Vec<Look<'a>>,
    times: &[u64],
    cluster: BrokersReport,
    topic_partitions: &BTreeMap<String, usize>,
    notes: Vec<String>,
) -> DiagnoseReport {
    let mut groups = Vec::new();
    let mut findings = Vec::new();
    for g in names {
        if let Some((d, f)) = diagnose::group::judge(g, &looks(g), topic_partitions) {
            groups.push(d);
            findings.extend(f);
        }
    }
    findings.extend(diagnose::cluster::diagnose(&cluster));
    diagnose::sort_findings(&mut findings);
    groups.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.status.rank().cmp(&a.status.rank()))
            .then_with(|| a.group.cmp(&b.group))
    });
    let first = times.first().copied().unwrap_or(0);
    let last = times.last().copied().unwrap_or(0);
    DiagnoseReport {
        timestamp_ms: last,
        window_ms: last.saturating_sub(first),
        samples: times.len(),
        worst: findings
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Ok),
        findings,
        groups,
        cluster,
        notes,
    }
}

/// The exit status: 1 when the worst finding is warn (with `--fail-on warn`), 7 when it is
/// crit (unless `--fail-on never`); the report is printed first either way.
pub fn check(report: &DiagnoseReport, fail_on: FailOn) -> Result<()> {
    let Some(worst) = report.findings.first() else {
        return Ok(());
    };
    let others = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warn)
        .count()
        - usize::from(worst.severity >= Severity::Warn);
    let line = format!(
        "diagnosis {}: {}{}{}",
        worst.severity.as_str(),
        worst
            .group
            .as_ref()
            .map_or("cluster: ".to_string(), |g| format!("group {g}: ")),
        worst.symptom,
        if others > 0 {
            format!(" (and {others} more finding(s))")
        } else {
            String::new()
        }
    );
    match (report.worst, fail_on) {
        (_, FailOn::Never) | (Severity::Ok, _) | (Severity::Warn, FailOn::Crit) => Ok(()),
        (Severity::Warn, FailOn::Warn) => Err(Error::Threshold(line)),
        (Severity::Crit, _) => Err(Error::Critical(line)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit;
    use crate::report::diagnosis::Finding;

    fn report(severities: &[Severity]) -> DiagnoseReport {
        let findings: Vec<Finding> = severities
            .iter()
            .map(|s| {
                let mut f = Finding::new(*s, "r", Some("g"), "g".into());
                f.symptom = format!("{} thing", s.as_str());
                f
            })
            .collect();
        let mut r = build(&[], brokers::unmeasured(), &BTreeMap::new(), vec![]);
        r.worst = severities.iter().copied().max().unwrap_or(Severity::Ok);
        r.findings = findings;
        diagnose::sort_findings(&mut r.findings);
        r
    }

    #[test]
    fn exit_codes_follow_the_worst_finding_and_fail_on() {
        let code = |s: &[Severity], f| check(&report(s), f).err().map_or(0, |e| e.exit_code());
        assert_eq!(code(&[Severity::Ok], FailOn::Warn), exit::OK);
        assert_eq!(code(&[Severity::Warn], FailOn::Warn), exit::THRESHOLD);
        assert_eq!(code(&[Severity::Warn], FailOn::Crit), exit::OK);
        assert_eq!(
            code(&[Severity::Crit, Severity::Warn], FailOn::Warn),
            exit::CRITICAL
        );
        assert_eq!(code(&[Severity::Crit], FailOn::Crit), exit::CRITICAL);
        assert_eq!(code(&[Severity::Crit], FailOn::Never), exit::OK);
        let e = check(
            &report(&[Severity::Warn, Severity::Crit, Severity::Warn]),
            FailOn::Warn,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "diagnosis crit: group g: crit thing (and 2 more finding(s))"
        );
    }

    fn at(t_ms: u64) -> Sample {
        Sample {
            t_ms,
            lag: crate::report::lag::LagReport {
                timestamp_ms: t_ms,
                groups: vec![],
                warnings: vec![],
            },
            members: BTreeMap::new(),
            undescribed: vec![],
        }
    }

    #[test]
    fn the_window_keeps_its_span_and_no_more() {
        let mut w = Window::new(Duration::from_secs(10));
        for t in (0..=60).step_by(5) {
            w.push(at(t * 1000));
        }
        let kept: Vec<u64> = w.times().iter().map(|t| t / 1000).collect();
        // 50 stays: the window starts at 50 and must cover it.
        assert_eq!(kept, vec![50, 55, 60]);
        let mut w = Window::new(Duration::from_secs(10));
        w.push(at(0));
        w.push(at(60_000));
        assert_eq!(
            w.times().len(),
            2,
            "two samples make a trend, however far apart"
        );
        assert_eq!(w.latest().map(|s| s.t_ms), Some(60_000));
    }

    /// Sample `i` of a cluster whose groups change over the window: `gone` leaves after
    /// sample 2, `late` comes at sample 3, `churn` changes members and state, `moved`
    /// changes partitions, `hidden` is not described in sample 1, and `odd`'s row is not
    /// what the other groups' rows of its partition say.
    fn changing(i: u64) -> Sample {
        use crate::report::lag::{GroupLag, LagReport, PartitionLag};
        let row = |topic: &str, p: i32, committed: Option<i64>, end: i64, owner: Option<&str>| {
            PartitionLag {
                topic: topic.into(),
                partition: p,
                current_offset: committed,
                log_start_offset: Some(0),
                log_end_offset: Some(end),
                lag: committed.map(|c| (end - c).max(0) as u64),
                time_lag_ms: committed.map(|c| if c >= end { 0 } else { 500 }),
                records_lost: None,
                consumer_id: owner.map(|o| format!("id-{o}")),
                host: owner.map(|_| "/127.0.0.1".into()),
                client_id: owner.map(String::from),
            }
        };
        let group = GroupLag::of;
        let n = i as i64;
        let mut groups = vec![
            group(
                "steady",
                "Stable",
                1,
                vec![
                    row("t", 0, Some(10 * n), 100 + 20 * n, Some("a")),
                    row("t", 1, Some(5), 50, Some("a")),
                ],
            ),
            group(
                "churn",
                if i % 2 == 0 {
                    "Stable"
                } else {
                    "PreparingRebalance"
                },
                1,
                vec![row("t", 0, Some(3 * n), 100 + 20 * n, Some("b"))],
            ),
            group(
                "moved",
                "Empty",
                0,
                if i < 2 {
                    vec![
                        row("t", 0, Some(1), 100 + 20 * n, None),
                        row("u", 0, Some(0), 7, None),
                    ]
                } else {
                    vec![
                        row("u", 0, Some(n), 7, None),
                        row("t", 0, Some(1), 100 + 20 * n, None),
                    ]
                },
            ),
            group("hidden", "Empty", 0, vec![row("u", 0, None, 7, None)]),
            // A log end unlike the other groups' for t/1, and a lag not derived from it.
            group(
                "odd",
                "Empty",
                0,
                vec![PartitionLag {
                    lag: Some(1_000 + i),
                    ..row("t", 1, Some(n), 60 + n, None)
                }],
            ),
        ];
        if i <= 2 {
            groups.push(group(
                "gone",
                "Empty",
                0,
                vec![row("t", 1, Some(n), 50, None)],
            ));
        }
        if i >= 3 {
            groups.push(group(
                "late",
                "Empty",
                0,
                vec![row("t", 1, Some(40), 50, None)],
            ));
        }
        let members = [
            (
                "steady",
                vec![MemberView {
                    id: "id-a".into(),
                    client_id: "a".into(),
                    partitions: 2,
                }],
            ),
            (
                "churn",
                vec![MemberView {
                    id: format!("id-b{}", i % 2),
                    client_id: "b".into(),
                    partitions: 1,
                }],
            ),
        ];
        Sample {
            t_ms: 1_000 * i,
            lag: LagReport {
                timestamp_ms: 1_000 * i,
                groups,
                warnings: vec![],
            },
            members: members
                .into_iter()
                .map(|(g, m)| (g.to_string(), m))
                .collect(),
            undescribed: if i == 1 {
                vec!["hidden".into()]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn a_window_of_traces_judges_as_the_full_samples_do() {
        let cluster = brokers::unmeasured;
        let tp: BTreeMap<String, usize> = [("t".to_string(), 2), ("u".to_string(), 1)].into();
        // The cluster part carries the time it was built at.
        let json = |mut r: DiagnoseReport| {
            r.cluster.timestamp_ms = 0;
            serde_json::to_string_pretty(&r).unwrap()
        };
        let samples: Vec<Sample> = (0..6).map(changing).collect();
        let mut w = Window::new(Duration::from_secs(60));
        for (i, s) in samples.iter().enumerate() {
            w.push(s.clone());
            let want = build(&samples[..=i], cluster(), &tp, vec![]);
            let got = json(w.judge(cluster(), &tp, vec![]));
            assert!(got == json(want), "after sample {i}: {got}");
        }
        let r = w.judge(cluster(), &tp, vec![]);
        let names: Vec<&str> = r.groups.iter().map(|g| g.group.as_str()).collect();
        assert!(
            names.contains(&"gone") && names.contains(&"late"),
            "{names:?}"
        );
        assert!(r.groups.iter().any(|g| g.membership_changes > 0));
        // A window that drops its oldest samples judges the ones it kept.
        let mut w = Window::new(Duration::from_secs(2));
        for s in &samples {
            w.push(s.clone());
        }
        assert_eq!(w.times(), vec![3_000, 4_000, 5_000]);
        let want = build(&samples[3..], cluster(), &tp, vec![]);
        assert!(json(w.judge(cluster(), &tp, vec![])) == json(want));
    }

    #[test]
    fn empty_cluster_without_groups_is_ok() {
        let r = report(&[]);
        assert!(r.groups.is_empty());
        assert_eq!(r.worst, Severity::Ok);
        assert!(check(&r, FailOn::Warn).is_ok());
    }
}
