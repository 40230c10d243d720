//! `kbp diagnose` scenarios on the real broker: each builds one kind of backpressure with
//! live producers and consumers, runs the binary over a short window, and checks the
//! verdict, the key numbers and the exit code.

use std::time::Duration;

use kbp::report::diagnosis::DiagnoseReport;
use kbp::report::diagnosis::{Finding, Severity, Status};
use kbp::report::diagnosis::{GroupDiagnosis, PartitionDiagnosis};

use crate::common::*;

/// `kbp diagnose -g GROUP --window W --samples N -o json`: the report, with the exit code
/// checked against the worst finding (0 ok, 1 warn, 7 crit).
fn diagnose(group: &str, window: &str, samples: &str) -> DiagnoseReport {
    let r = kbp()
        .broker()
        .args([
            "diagnose",
            "-g",
            group,
            "--window",
            window,
            "--samples",
            samples,
        ])
        .args(["-o", "json"])
        .run();
    checked(&r)
}

fn checked(r: &Run) -> DiagnoseReport {
    let report: DiagnoseReport = r.json();
    let want = match report.worst {
        Severity::Ok => 0,
        Severity::Warn => 1,
        Severity::Crit => 7,
    };
    assert_eq!(
        r.code, want,
        "exit code for worst {:?}: {}",
        report.worst, r.stderr
    );
    // The verdict, for the test log (cargo test -- --nocapture).
    for g in &report.groups {
        let found: Vec<String> = findings(&report, &g.group)
            .iter()
            .map(|f| format!("{}:{}", f.rule, f.severity.as_str()))
            .collect();
        eprintln!(
            "verdict {}: {} {} lag {} ({:+}) produce {:?} consume {:?} eta {} members {} idle {} changes {} | {} | exit {}",
            g.group, g.status.as_str(), g.severity.as_str(), g.total_lag, g.lag_change,
            g.produce_rate.map(|r| r.round()), g.consume_rate.map(|r| r.round()), g.eta,
            g.members, g.idle_members, g.membership_changes, found.join(", "), r.code
        );
    }
    report
}

fn group<'a>(r: &'a DiagnoseReport, name: &str) -> &'a GroupDiagnosis {
    r.groups
        .iter()
        .find(|g| g.group == name)
        .unwrap_or_else(|| panic!("no group {name} in {r:#?}"))
}

fn part(g: &GroupDiagnosis, p: i32) -> &PartitionDiagnosis {
    g.partitions.iter().find(|x| x.partition == p).unwrap()
}

fn findings<'a>(r: &'a DiagnoseReport, g: &str) -> Vec<&'a Finding> {
    r.findings
        .iter()
        .filter(|f| f.group.as_deref() == Some(g))
        .collect()
}

fn rules(r: &DiagnoseReport, g: &str) -> Vec<(String, Severity)> {
    findings(r, g)
        .iter()
        .map(|f| (f.rule.clone(), f.severity))
        .collect()
}

fn finding<'a>(r: &'a DiagnoseReport, g: &str, rule: &str) -> &'a Finding {
    findings(r, g)
        .into_iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} finding for {g}: {:#?}", r.findings))
}

fn between(v: Option<f64>, lo: f64, hi: f64) -> bool {
    v.is_some_and(|v| v >= lo && v <= hi)
}

#[test]
fn caught_up_group_is_ok() {
    let topic = topic_with("dg-caught", 2, 50);
    let g = unique("dg-caught");
    let _m = Member::join(
        &g,
        &[&topic],
        "classic",
        &[(&topic, 0, 50), (&topic, 1, 50)],
    );
    let r = diagnose(&g, "2s", "3");
    let d = group(&r, &g);
    assert_eq!((d.status, d.severity), (Status::CaughtUp, Severity::Ok));
    assert_eq!((d.total_lag, d.eta.as_str()), (0, "caught-up"));
    assert_eq!((d.state.as_str(), d.members), ("Stable", 1));
    assert!(d.partitions.iter().all(|p| p.status == Status::CaughtUp));
    assert_eq!(rules(&r, &g), vec![("lag".to_string(), Severity::Ok)]);
    assert_eq!(r.samples, 3);
    assert!(r.window_ms >= 1_500, "{}", r.window_ms);
}

#[test]
fn consumer_slower_than_producer_warns_eta_never() {
    let topic = unique("dg-slow");
    create_topic(&topic, 1);
    let g = unique("dg-slow");
    let _traffic = traffic(&topic, &[(0, 200)]);
    let _c = consumer(
        &g,
        &topic,
        Behaviour {
            per_sec: Some(60),
            commits: true,
        },
    );
    std::thread::sleep(Duration::from_secs(1));
    let r = diagnose(&g, "4s", "5");
    let d = group(&r, &g);
    assert_eq!(part(d, 0).status, Status::Warn, "{d:#?}");
    assert_eq!(d.eta, "never");
    assert!(d.lag_change > 200, "{d:#?}");
    assert!(between(d.produce_rate, 140.0, 260.0), "{d:#?}");
    assert!(between(d.consume_rate, 30.0, 90.0), "{d:#?}");
    let f = finding(&r, &g, "falling-behind");
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.symptom.contains("never at current rates"),
        "{}",
        f.symptom
    );
    assert!(f.remedy.contains("max.poll.records"), "{}", f.remedy);
}

#[test]
fn consumer_that_stops_while_producers_continue_is_stop() {
    let topic = topic_with("dg-stop", 1, 100);
    let g = unique("dg-stop");
    let c = consumer(
        &g,
        &topic,
        Behaviour {
            per_sec: None,
            commits: true,
        },
    );
    std::thread::sleep(Duration::from_secs(2));
    c.stop();
    let _traffic = traffic(&topic, &[(0, 50)]);
    let r = diagnose(&g, "3s", "4");
    let d = group(&r, &g);
    let p = part(d, 0);
    assert_eq!(p.status, Status::Stop, "{d:#?}");
    assert_eq!(p.consume_rate, Some(0.0));
    assert!(between(p.produce_rate, 25.0, 75.0), "{p:#?}");
    assert!(p.unchanged_ms >= 2_500, "{p:#?}");
    assert_eq!((d.members, d.severity), (0, Severity::Crit));
    let f = finding(&r, &g, "stop");
    assert!(
        f.remedy.contains(&format!(
            "kbp drain --group {g} --topic {topic} --until end"
        )),
        "{}",
        f.remedy
    );
}

#[test]
fn consumer_that_polls_but_never_commits_is_stall() {
    let topic = topic_with("dg-stall", 1, 100);
    let g = unique("dg-stall");
    commit(&g, &[(&topic, 0, 10)]);
    let _c = consumer(
        &g,
        &topic,
        Behaviour {
            per_sec: None,
            commits: false,
        },
    );
    let _traffic = traffic(&topic, &[(0, 20)]);
    let r = diagnose(&g, "3s", "4");
    let d = group(&r, &g);
    let p = part(d, 0);
    assert_eq!(p.status, Status::Stall, "{d:#?}");
    assert_eq!(p.current_offset, Some(10));
    assert!(p.lag.unwrap() >= 90 && p.owner.is_some(), "{p:#?}");
    assert_eq!(d.severity, Severity::Crit);
    assert!(finding(&r, &g, "stall")
        .evidence
        .contains("committed 10 unchanged"));
}

#[test]
fn group_reset_backwards_is_rewind() {
    let topic = topic_with("dg-rewind", 1, 100);
    let g = unique("dg-rewind");
    commit(&g, &[(&topic, 0, 100)]);
    let dir = tempfile::tempdir().unwrap();
    let mut d = kbp()
        .broker()
        .args(["-v", "diagnose", "-g", &g, "--window", "4s"])
        .args(["--samples", "4", "-o", "json"])
        .start(dir.path(), "diagnose");
    // Reset once the first sample is in: kbp -v logs when it waits for the second.
    wait_until("the second sample", Duration::from_secs(30), || {
        assert!(d.running(), "kbp ended early: {}", d.stderr());
        d.stderr().contains("sample 2/4 in")
    });
    commit(&g, &[(&topic, 0, 20)]);
    let status = d.wait(Duration::from_secs(60));
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: d.stdout(),
        stderr: d.stderr(),
        elapsed: Duration::ZERO,
        args: vec![],
    };
    let r = checked(&run);
    let d = group(&r, &g);
    assert_eq!(part(d, 0).status, Status::Rewind, "{d:#?}");
    let f = finding(&r, &g, "rewind");
    assert_eq!(f.severity, Severity::Warn);
    assert!(
        f.evidence
            .contains("committed 100 -> 20; 80 records will be read again"),
        "{}",
        f.evidence
    );
}

#[test]
fn idle_topic_with_idle_group_raises_no_alarm() {
    let topic = topic_with("dg-idle", 1, 100);
    let g = unique("dg-idle");
    commit(&g, &[(&topic, 0, 40)]);
    let r = diagnose(&g, "2s", "3");
    let d = group(&r, &g);
    assert_eq!((d.status, d.severity), (Status::Ok, Severity::Ok));
    assert_eq!((d.total_lag, d.produce_rate), (60, Some(0.0)));
    assert_eq!(rules(&r, &g), vec![("lag".to_string(), Severity::Ok)]);
    assert!(findings(&r, &g)[0].symptom.contains("idle log"));
}

#[test]
fn hot_partition_holds_most_of_the_lag() {
    let topic = unique("dg-hot");
    create_topic(&topic, 4);
    produce(&topic, 0, 1000, now_ms() - 60_000, 1);
    for p in 1..4 {
        produce(&topic, p, 20, now_ms() - 60_000, 1);
    }
    let g = unique("dg-hot");
    commit(
        &g,
        &[
            (&topic, 0, 0),
            (&topic, 1, 0),
            (&topic, 2, 0),
            (&topic, 3, 0),
        ],
    );
    let r = diagnose(&g, "2s", "3");
    let f = finding(&r, &g, "hot-partition");
    assert_eq!(f.subject, format!("{topic}/0"));
    assert!(
        f.evidence
            .contains(&format!("{topic}/0 holds 94% of the lag (1000 of 1060)")),
        "{}",
        f.evidence
    );
    assert_eq!(group(&r, &g).severity, Severity::Warn);
    // The terminal report: worst first, with the evidence under the symptom.
    let t = kbp()
        .broker()
        .args(["diagnose", "-g", &g, "--window", "1s", "--samples", "2"])
        .expect(1);
    assert!(
        t.stdout.contains(&format!("WARN  {g}: hot partition")),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("      evidence  "), "{}", t.stdout);
}

#[test]
fn more_consumers_than_partitions_leaves_members_idle() {
    let topic = unique("dg-idlemembers");
    create_topic(&topic, 1);
    let g = unique("dg-idlemembers");
    let _a = Member::join(&g, &[&topic], "classic", &[(&topic, 0, 0)]);
    let _b = Member::join_idle(&g, &[&topic], "classic");
    let _c = Member::join_idle(&g, &[&topic], "classic");
    wait_for_group(&g, Duration::from_secs(60), |grp| {
        grp["members"] == 3 && grp["state"] == "Stable"
    });
    let r = diagnose(&g, "2s", "3");
    let d = group(&r, &g);
    assert_eq!((d.members, d.idle_members), (3, 2), "{d:#?}");
    let f = finding(&r, &g, "idle-members");
    assert!(
        f.symptom
            .starts_with("more consumers than partitions: 2 of 3"),
        "{}",
        f.symptom
    );
    assert!(
        f.remedy.contains("scale the group down to 1 member"),
        "{}",
        f.remedy
    );
}

#[test]
fn member_that_keeps_rejoining_is_rebalance_churn() {
    let topic = unique("dg-churn");
    create_topic(&topic, 2);
    let g = unique("dg-churn");
    let _stable = Member::join(&g, &[&topic], "classic", &[]);
    let _rejoiner = rejoining_member(&g, &topic);
    std::thread::sleep(Duration::from_secs(1));
    let r = diagnose(&g, "4s", "5");
    let d = group(&r, &g);
    assert!(
        d.membership_changes >= 2 || d.unstable_samples >= 2,
        "{d:#?}"
    );
    let f = finding(&r, &g, "rebalance-churn");
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.remedy.contains("group.instance.id"), "{}", f.remedy);
}

#[test]
fn once_takes_one_snapshot_and_judges_no_trend() {
    let topic = topic_with("dg-once", 2, 10);
    let g = unique("dg-once");
    commit(&g, &[(&topic, 0, 10), (&topic, 1, 4)]);
    let r = kbp()
        .broker()
        .args(["diagnose", "-g", &g, "--once", "-o", "json"])
        .run();
    let r = checked(&r);
    assert_eq!((r.samples, r.window_ms), (1, 0));
    let d = group(&r, &g);
    assert_eq!(part(d, 0).status, Status::CaughtUp);
    assert_eq!(part(d, 1).status, Status::Unknown);
    assert_eq!((d.eta.as_str(), d.total_lag), ("unknown", 6));
}

#[test]
fn patterns_select_the_groups_and_topics_diagnosed() {
    let tag = unique("dg-rx");
    let orders = topic_with(&format!("{tag}-orders"), 2, 10);
    let audit = topic_with(&format!("{tag}-audit"), 1, 10);
    let (keep, other, left_out) = (
        format!("{tag}-keep"),
        format!("{tag}-other"),
        format!("{tag}-keep-test"),
    );
    for g in [&keep, &other, &left_out] {
        commit(g, &[(&orders, 0, 10), (&orders, 1, 4), (&audit, 0, 10)]);
    }
    // Two samples over a short window: every sample selects the same way.
    let r = kbp()
        .broker()
        .args([
            "diagnose",
            "--window",
            "400ms",
            "--samples",
            "2",
            "-o",
            "json",
        ])
        .args(["--group-regex", &format!("^{tag}-(keep|other)")])
        .args(["--exclude-group-regex", "-test$"])
        .args(["--topic-regex", "-orders-"])
        .run();
    let r = checked(&r);
    let names: Vec<&str> = r.groups.iter().map(|g| g.group.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, [keep.as_str(), other.as_str()], "{r:#?}");
    for g in &r.groups {
        assert_eq!(g.total_lag, 6, "the orders rows only: {g:#?}");
        assert_eq!(g.partitions.len(), 2, "{g:#?}");
        assert!(g.partitions.iter().all(|p| p.topic == orders), "{g:#?}");
    }
    // Matching nothing: a healthy empty report with the note, not "not found".
    let r = kbp()
        .broker()
        .args(["diagnose", "--once", "-o", "json"])
        .args(["--group-regex", &format!("^{tag}-none")])
        .run();
    let report = checked(&r);
    assert!(report.groups.is_empty());
    let note = format!("no group matches --group-regex ^{tag}-none");
    assert!(report.notes.contains(&note), "{:?}", report.notes);
    assert!(
        r.stderr.contains(&format!("kbp: warning: {note}")),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_diagnose_and_brokers_flags_exit_2_before_connecting() {
    for args in [
        vec!["diagnose", "--samples", "1"],
        vec!["diagnose", "--window", "100ms", "--samples", "6"],
        vec!["brokers", "--metrics-url", "localhost:9404"],
        vec!["brokers", "--metrics-url", "x=http://a:1/"],
    ] {
        let r = kbp().broker().args(&args).expect(2);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{args:?}: {}", r.stderr);
    }
    kbp().args(["diagnose", "--fail-on", "sometimes"]).expect(2);
    let r = kbp()
        .broker()
        .args(["diagnose", "--once", "-g", "dg-no-such-group"])
        .expect(4);
    assert!(r.stderr.contains("dg-no-such-group"), "{}", r.stderr);
}

#[test]
fn brokers_reports_the_test_broker() {
    let topic = topic_with("dg-brokers", 3, 5);
    let r: kbp::report::brokers::BrokersReport = kbp()
        .broker()
        .args(["brokers", "--window", "1s", "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(r.controller, Some(1));
    assert_eq!((r.down.len(), r.expected), (0, 1));
    let b = &r.brokers[0];
    assert_eq!((b.id, b.up, b.controller), (1, true, true));
    assert_eq!(
        format!("{}:{}", b.host.as_deref().unwrap(), b.port.unwrap()),
        bootstrap()
    );
    assert!(b.leaders >= 3 && b.replicas == b.leaders, "{b:#?}");
    assert!(
        b.requests > 0 && b.rtt_avg_ms.unwrap() > 0.0,
        "statistics measured: {b:#?}"
    );
    assert!(r.under_replicated.is_empty() && r.offline.is_empty());
    let _ = topic;
    let t = kbp().broker().args(["brokers", "--window", "0s"]).expect(0);
    assert!(t.stdout.starts_with("cluster "), "{}", t.stdout);
    // An endpoint that does not answer is reported, not fatal.
    let r: kbp::report::brokers::BrokersReport = kbp()
        .broker()
        .args([
            "brokers",
            "--window",
            "0s",
            "--metrics-url",
            "http://127.0.0.1:1/metrics",
        ])
        .args(["-o", "json"])
        .expect(0)
        .json();
    let m = r.brokers[0].metrics.as_ref().unwrap();
    assert!(
        m.error.as_deref().unwrap().contains("127.0.0.1:1"),
        "{m:#?}"
    );
}
