//! `kbp lag --watch` and `kbp diagnose --watch`: one refresh every interval until Ctrl-C.
//!
//! Each refresh is one sample ([`take_sample`]) in a rolling [`Window`], judged by `kbp
//! diagnose`'s own rules, so a verdict on the screen is the one `kbp diagnose` would give
//! over the same window; [`frame`] adds what only a watch knows (the change since the
//! refresh before, the lag's recent trend) and the order of `--sort`. The [`Screen`]
//! draws it. A refresh that fails (the cluster down, a group not there yet) is reported
//! and the watch goes on: only Ctrl-C, a closed stdout or a usage error end it.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use crate::cli::{DiagnoseArgs, GlobalArgs, LagArgs, WatchSort};
use crate::cmd::brokers::{self, Measurement};
use crate::cmd::diagnose::{self, take_sample, Window};
use crate::cmd::lag;
use crate::diagnose::group::eta;
use crate::diagnose::Sample;
use crate::error::{exit, Result};
use crate::kafka::Session;
use crate::output::{Format, Progress, Screen};
use crate::report::diagnosis::{DiagnoseReport, PartitionDiagnosis, Severity};
use crate::report::lag::GroupLag;
use crate::report::watch::{WatchFrame, WatchGroup, WatchPartition};

/// The refreshes a lag's trend shows.
pub const TREND: usize = 12;
/// `kbp lag --watch` measures rates over this many intervals.
pub const LAG_WINDOW: u32 = 10;

/// The command watching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    Lag,
    Diagnose,
}

/// How a watch refreshes and shows its frames.
#[derive(Debug, Clone)]
pub struct Spec {
    pub command: Watched,
    pub interval: Duration,
    /// The rolling window that rates and verdicts are taken over.
    pub span: Duration,
    pub sort: WatchSort,
    /// Only partitions with lag, and groups with such partitions (`kbp lag --only-with-lag`).
    pub only_with_lag: bool,
}

/// `kbp lag --watch`: the lag of each group and partition, with diagnose's verdicts.
pub fn lag(global: &GlobalArgs, args: &LagArgs, interval: Duration) -> Result<()> {
    let format = args.output.unwrap_or(Format::Table);
    Screen::check(format)?;
    let settings = crate::config::resolve(&global.overrides(), true)?;
    let spec = Spec {
        command: Watched::Lag,
        interval,
        span: interval * LAG_WINDOW,
        sort: args.watch.sort,
        only_with_lag: args.only_with_lag,
    };
    // Every partition is sampled, so a trend has no holes where a lag touched zero.
    let sel = lag::Selection {
        only_with_lag: false,
        ..lag::Selection::from(args)
    };
    let progress = Progress::spinner(true, global.verbose);
    let mut screen = Screen::open(format, args.watch.color, "kbp lag --watch")?;
    let connect = || Session::connect(&settings);
    watch(&spec, &mut screen, connect, |session, window| {
        let sample = take_sample(session, &sel, &progress)?;
        let notes = sample.lag.warnings.clone();
        window.push(sample);
        Ok(window.judge(brokers::unmeasured(), &BTreeMap::new(), notes))
    })
}

/// `kbp diagnose --watch`: diagnose over a rolling `--window`, the cluster measured at
/// every refresh (its metrics' rates over the interval since the refresh before).
pub fn diagnose(global: &GlobalArgs, args: &DiagnoseArgs, interval: Duration) -> Result<()> {
    // The window keeps the sample before its span: one shorter than a refresh would be
    // judged over the whole refresh, not over what --window says.
    if args.window < interval {
        return Err(crate::error::Error::usage(format!(
            "--window {} is shorter than --watch {}: each verdict would span a whole refresh; give --window {} or more",
            humantime::format_duration(args.window),
            humantime::format_duration(interval),
            humantime::format_duration(interval),
        )));
    }
    let sel = diagnose::Selection::from_args(args)?;
    let format = args.output.unwrap_or(Format::Table);
    Screen::check(format)?;
    let settings = crate::config::resolve(&global.overrides(), true)?;
    let spec = Spec {
        command: Watched::Diagnose,
        interval,
        span: args.window,
        sort: args.watch.sort,
        only_with_lag: false,
    };
    let lag_sel = sel.lag_selection(sel.time_lag);
    let progress = Progress::spinner(true, global.verbose);
    let mut screen = Screen::open(format, args.watch.color, "kbp diagnose --watch")?;
    let connect = || Session::connect_with_stats(&settings);
    let mut measuring: Option<Measurement> = None;
    watch(&spec, &mut screen, connect, |session, window| {
        let measurement = match measuring.take() {
            Some(m) => m,
            None => Measurement::start(&sel.brokers, session.timeout(), &progress)?,
        };
        let sample = take_sample(session, &lag_sel, &progress)?;
        let measured = measurement.finish(session, &progress)?;
        measuring = Some(Measurement::start(
            &sel.brokers,
            session.timeout(),
            &progress,
        )?);
        let mut notes = sample.lag.warnings.clone();
        notes.extend(measured.report.warnings.iter().cloned());
        window.push(sample);
        Ok(window.judge(measured.report, &measured.topic_partitions, notes))
    })
}

/// Refreshes every `spec.interval` (at once when a refresh took longer) until a signal
/// ends the process, stdout is closed, or a refresh fails for a reason that will not pass
/// (a usage error).
///
/// A refresh that the cluster failed (unreachable, or an operation refused) drops the
/// session, and the next refresh connects anew: while the cluster refuses connections no
/// client is made at all, and none carries requests from before an outage into the time
/// after it. librdkafka 2.12 can abort the process on such a request, a coordinator
/// request whose broker went away (librdkafka#4605); seen here when a broker restarts.
fn watch(
    spec: &Spec,
    screen: &mut Screen,
    connect: impl Fn() -> Result<Session>,
    mut refresh: impl FnMut(&Session, &mut Window) -> Result<DiagnoseReport>,
) -> Result<()> {
    let mut window = Window::new(spec.span);
    let mut session: Option<Session> = None;
    let mut recent: VecDeque<Sample> = VecDeque::with_capacity(TREND + 1);
    let mut next = Instant::now();
    for n in 1.. {
        let wait = next.saturating_duration_since(Instant::now());
        match &session {
            Some(s) => s.idle(wait),
            None => std::thread::sleep(wait),
        }
        next = (next + spec.interval).max(Instant::now());
        let outcome = match session.take() {
            Some(s) => Ok(s),
            None => connect(),
        }
        .and_then(|s| {
            let report = refresh(&s, &mut window);
            session = Some(s);
            report
        });
        match outcome {
            Ok(report) => {
                // The window keeps only its newest sample whole; the trend needs a few.
                if let Some(latest) = window.latest() {
                    recent.push_back(latest.clone());
                }
                while recent.len() > TREND {
                    recent.pop_front();
                }
                screen.show(&frame(report, recent.make_contiguous(), spec, n))?
            }
            Err(e) if e.exit_code() == exit::USAGE => return Err(e),
            Err(e) => {
                if e.spoils_session() {
                    session = None;
                }
                screen.failed(n, &e)?;
            }
        }
    }
    Ok(())
}

/// Pure: one refresh's frame from `kbp diagnose`'s report over the window and the
/// window's samples (oldest first, this refresh's last). Groups not in this refresh's
/// sample (deleted, or no longer in `--state`) are left out.
pub fn frame(report: DiagnoseReport, samples: &[Sample], spec: &Spec, refresh: u64) -> WatchFrame {
    let seen = |s: &'_ Sample, g: &str| -> Option<GroupLag> {
        s.lag.groups.iter().find(|x| x.group == g).cloned()
    };
    let now = samples.last();
    let before = samples.len().checked_sub(2).map(|i| &samples[i]);
    let recent = &samples[samples.len().saturating_sub(TREND)..];
    let mut groups: Vec<WatchGroup> = Vec::new();
    for g in report.groups {
        let Some(current) = now.and_then(|s| seen(s, &g.group)) else {
            continue;
        };
        let previous = before.and_then(|s| seen(s, &g.group));
        let history: Vec<Option<GroupLag>> = recent.iter().map(|s| seen(s, &g.group)).collect();
        let mut partitions: Vec<WatchPartition> = g
            .partitions
            .into_iter()
            .filter(|p| !spec.only_with_lag || p.lag.unwrap_or(0) > 0)
            .map(|p| {
                let lag_of = |s: &Option<GroupLag>| s.as_ref().and_then(|s| lag_in(s, &p));
                let (eta_ms, eta) = match p.lag {
                    Some(lag) => eta(lag, p.produce_rate, p.consume_rate),
                    None => (None, "unknown".into()),
                };
                WatchPartition {
                    lag_delta: delta(lag_of(&previous), p.lag),
                    lag_trend: history.iter().map(lag_of).collect(),
                    eta_ms,
                    eta,
                    topic: p.topic,
                    partition: p.partition,
                    status: p.status,
                    lag: p.lag,
                    lag_change: p.lag_change,
                    time_lag_ms: p.time_lag_ms,
                    produce_rate: p.produce_rate,
                    consume_rate: p.consume_rate,
                    current_offset: p.current_offset,
                    log_end_offset: p.log_end_offset,
                    owner: p.owner,
                }
            })
            .collect();
        if spec.only_with_lag && partitions.is_empty() {
            continue;
        }
        partitions.sort_by(|a, b| compare(spec.sort, &Key::of_partition(a), &Key::of_partition(b)));
        groups.push(WatchGroup {
            lag_delta: delta(previous.map(|p| p.total_lag), Some(current.total_lag)),
            lag_trend: history.iter().flatten().map(|g| g.total_lag).collect(),
            partitions,
            group: g.group,
            state: g.state,
            members: g.members,
            status: g.status,
            severity: g.severity,
            total_lag: g.total_lag,
            lag_change: g.lag_change,
            max_time_lag_ms: g.max_time_lag_ms,
            produce_rate: g.produce_rate,
            consume_rate: g.consume_rate,
            eta_ms: g.eta_ms,
            eta: g.eta,
        });
    }
    groups.sort_by(|a, b| compare(spec.sort, &Key::of_group(a), &Key::of_group(b)));
    let diagnose = spec.command == Watched::Diagnose;
    WatchFrame {
        command: match spec.command {
            Watched::Lag => "lag",
            Watched::Diagnose => "diagnose",
        }
        .into(),
        refresh,
        timestamp_ms: report.timestamp_ms,
        interval_ms: spec.interval.as_millis() as u64,
        window_ms: report.window_ms,
        samples: report.samples,
        // `kbp lag` does not measure the cluster: its verdicts are the groups'.
        worst: if diagnose {
            report.worst
        } else {
            groups
                .iter()
                .map(|g| g.severity)
                .max()
                .unwrap_or(Severity::Ok)
        },
        groups,
        findings: if diagnose { report.findings } else { vec![] },
        cluster: diagnose.then_some(report.cluster),
        notes: report.notes,
    }
}

fn lag_in(g: &GroupLag, p: &PartitionDiagnosis) -> Option<u64> {
    g.partitions
        .iter()
        .find(|r| r.topic == p.topic && r.partition == p.partition)
        .and_then(|r| r.lag)
}

fn delta(before: Option<u64>, now: Option<u64>) -> Option<i64> {
    Some(now? as i64 - before? as i64)
}

/// What `--sort` compares.
struct Key<'a> {
    time_lag: Option<u64>,
    lag: Option<u64>,
    /// Produce minus consume rate: how fast the lag grows.
    growth: Option<f64>,
    name: (&'a str, i32),
}

impl Key<'_> {
    fn of_group(g: &WatchGroup) -> Key<'_> {
        Key {
            time_lag: g.max_time_lag_ms,
            lag: Some(g.total_lag),
            growth: g.produce_rate.zip(g.consume_rate).map(|(p, c)| p - c),
            name: (&g.group, 0),
        }
    }

    fn of_partition(p: &WatchPartition) -> Key<'_> {
        Key {
            time_lag: p.time_lag_ms,
            lag: p.lag,
            growth: p.produce_rate.zip(p.consume_rate).map(|(p, c)| p - c),
            name: (&p.topic, p.partition),
        }
    }
}

/// Largest first by `sort`, then by lag (or time lag), then by name; unknowns last.
fn compare(sort: WatchSort, a: &Key, b: &Key) -> Ordering {
    // `None` is less than any `Some`: largest first puts it last.
    let desc = |x: Option<u64>, y: Option<u64>| y.cmp(&x);
    let growth = |k: &Key| k.growth.unwrap_or(f64::NEG_INFINITY);
    match sort {
        WatchSort::Name => Ordering::Equal,
        WatchSort::Lag => desc(a.lag, b.lag).then(desc(a.time_lag, b.time_lag)),
        WatchSort::TimeLag => desc(a.time_lag, b.time_lag).then(desc(a.lag, b.lag)),
        WatchSort::Rate => growth(b).total_cmp(&growth(a)).then(desc(a.lag, b.lag)),
    }
    .then_with(|| a.name.cmp(&b.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::diagnosis::Status;
    use crate::report::lag::{LagReport, PartitionLag};

    fn partition(p: i32, committed: i64, end: i64, time_lag_ms: u64) -> PartitionLag {
        PartitionLag {
            topic: "orders".into(),
            partition: p,
            current_offset: Some(committed),
            log_start_offset: Some(0),
            log_end_offset: Some(end),
            lag: Some((end - committed) as u64),
            time_lag_ms: Some(time_lag_ms),
            records_lost: None,
            consumer_id: None,
            host: None,
            client_id: None,
        }
    }

    fn group(name: &str, partitions: Vec<PartitionLag>) -> GroupLag {
        GroupLag {
            group: name.into(),
            state: "Empty".into(),
            protocol: "classic".into(),
            coordinator: None,
            members: 0,
            described: true,
            total_lag: partitions.iter().filter_map(|p| p.lag).sum(),
            max_time_lag_ms: partitions.iter().filter_map(|p| p.time_lag_ms).max(),
            unowned_partitions: 0,
            records_lost: 0,
            partitions,
        }
    }

    fn sample(t_s: u64, groups: Vec<GroupLag>) -> Sample {
        Sample {
            t_ms: t_s * 1000,
            lag: LagReport {
                timestamp_ms: t_s * 1000,
                groups,
                warnings: vec![],
            },
            members: BTreeMap::new(),
            undescribed: vec![],
        }
    }

    fn spec(command: Watched, sort: WatchSort) -> Spec {
        Spec {
            command,
            interval: Duration::from_secs(5),
            span: Duration::from_secs(50),
            sort,
            only_with_lag: false,
        }
    }

    /// `growing` falls behind on partition 0 (commits stopped, the log grows) while its
    /// partition 1 is caught up; `steady` has an old record waiting but keeps up; `gone`
    /// is in the first samples only.
    fn samples(n: u64) -> Vec<Sample> {
        (0..n)
            .map(|i| {
                let mut groups = vec![
                    group(
                        "growing",
                        vec![
                            partition(0, 100, 200 + 50 * i as i64, 1_000 * (i + 1)),
                            partition(1, 30 + i as i64, 30 + i as i64, 0),
                        ],
                    ),
                    group(
                        "steady",
                        vec![partition(0, 10 * i as i64, 10 * i as i64 + 5, 60_000)],
                    ),
                ];
                if i < 2 {
                    groups.push(group("gone", vec![partition(0, 0, 1, 0)]));
                }
                sample(5 * i, groups)
            })
            .collect()
    }

    fn watched(n: u64, spec: &Spec) -> WatchFrame {
        let mut w = Window::new(spec.span);
        let all = samples(n);
        for s in all.clone() {
            w.push(s);
        }
        let report = w.judge(brokers::unmeasured(), &BTreeMap::new(), vec![]);
        frame(report, &all[all.len().saturating_sub(TREND)..], spec, n)
    }

    #[test]
    fn a_growing_lag_shows_its_change_trend_and_verdict() {
        let f = watched(4, &spec(Watched::Lag, WatchSort::Lag));
        let names: Vec<&str> = f.groups.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(
            names,
            vec!["growing", "steady"],
            "gone is not in the last sample"
        );
        let g = &f.groups[0];
        assert_eq!(g.total_lag, 250);
        assert_eq!(g.lag_delta, Some(50), "since the refresh before");
        assert_eq!(g.lag_change, 150, "over the window");
        assert_eq!(g.lag_trend, vec![100, 150, 200, 250]);
        assert_eq!(
            g.partitions[0].lag_trend,
            vec![Some(100), Some(150), Some(200), Some(250)]
        );
        assert_eq!(g.partitions[0].lag_delta, Some(50));
        assert_eq!(g.partitions[1].lag, Some(0));
        assert_eq!(
            g.produce_rate,
            Some(10.2),
            "50/5s on partition 0, 1/5s on 1"
        );
        assert_eq!(g.eta, "never");
        assert_eq!(g.partitions[0].eta, "never");
        assert_eq!(g.partitions[1].eta, "caught-up");
        assert!(g.severity > Severity::Ok, "{g:#?}");
        assert_eq!(f.worst, g.severity);
        assert!(
            f.findings.is_empty() && f.cluster.is_none(),
            "lag shows no findings"
        );
        assert_eq!((f.refresh, f.samples, f.window_ms), (4, 4, 15_000));
        let first = watched(1, &spec(Watched::Lag, WatchSort::Lag));
        assert_eq!(
            first.groups[0].lag_delta, None,
            "no refresh before the first"
        );
        assert_eq!(first.groups[0].partitions[0].status, Status::Unknown);
    }

    #[test]
    fn sort_orders_groups_and_partitions() {
        let order = |sort| {
            let f = watched(4, &spec(Watched::Lag, sort));
            let groups: Vec<String> = f.groups.iter().map(|g| g.group.clone()).collect();
            let parts: Vec<i32> = f
                .groups
                .iter()
                .find(|g| g.group == "growing")
                .unwrap()
                .partitions
                .iter()
                .map(|p| p.partition)
                .collect();
            (groups, parts)
        };
        let g = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        assert_eq!(
            order(WatchSort::TimeLag),
            (g("steady", "growing"), vec![0, 1])
        );
        assert_eq!(order(WatchSort::Lag), (g("growing", "steady"), vec![0, 1]));
        assert_eq!(order(WatchSort::Rate), (g("growing", "steady"), vec![0, 1]));
        assert_eq!(order(WatchSort::Name), (g("growing", "steady"), vec![0, 1]));
        let key = |lag, time_lag, growth| Key {
            lag,
            time_lag,
            growth,
            name: ("a", 0),
        };
        assert_eq!(
            compare(
                WatchSort::TimeLag,
                &key(Some(1), None, None),
                &key(Some(9), Some(1), None)
            ),
            Ordering::Greater,
            "an unknown time lag goes last"
        );
        assert_eq!(
            compare(
                WatchSort::Rate,
                &key(Some(9), None, None),
                &key(Some(1), None, Some(-3.0))
            ),
            Ordering::Greater,
            "an unknown rate goes after a shrinking lag"
        );
    }

    #[test]
    fn only_with_lag_drops_caught_up_rows_but_keeps_the_totals() {
        let mut s = spec(Watched::Lag, WatchSort::Name);
        s.only_with_lag = true;
        let f = watched(3, &s);
        let g = &f.groups[0];
        assert_eq!(g.partitions.len(), 1);
        assert_eq!(g.total_lag, 200);
    }

    #[test]
    fn diagnose_keeps_its_findings_and_the_worst_of_all() {
        let f = watched(4, &spec(Watched::Diagnose, WatchSort::Lag));
        assert_eq!(f.command, "diagnose");
        assert!(!f.findings.is_empty());
        // The unmeasured cluster has no controller: a cluster finding, in diagnose only.
        assert_eq!(f.worst, Severity::Crit);
        assert!(f.cluster.is_some());
    }
}
