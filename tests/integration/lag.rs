//! `kbp lag` against real groups of both protocols, cross-checked with Apache's tool.

use std::collections::BTreeMap;

use kbp::report::lag::{GroupLag, LagReport, PartitionLag};

use crate::common::*;

const HOUR: i64 = 3_600_000;

/// A topic with `partitions` partitions, each holding `per_partition` records stamped one
/// second apart starting an hour ago.
fn topic_with_records(prefix: &str, partitions: i32, per_partition: usize) -> (String, i64) {
    let first_ts = now_ms() - HOUR;
    let topic = topic_stamped(prefix, partitions, per_partition, first_ts, 1000);
    (topic, first_ts)
}

fn lag_json(group: &str) -> LagReport {
    kbp()
        .broker()
        .args(["lag", "-g", group, "-o", "json"])
        .expect(0)
        .json()
}

fn row<'a>(g: &'a GroupLag, topic: &str, partition: i32) -> &'a PartitionLag {
    g.partitions
        .iter()
        .find(|p| p.topic == topic && p.partition == partition)
        .unwrap_or_else(|| panic!("no row {topic}/{partition} in {g:#?}"))
}

/// Time lag must be now minus the timestamp of the record at the committed offset.
fn assert_time_lag(p: &PartitionLag, record_ts: i64, report_ts: u64) {
    let expected = report_ts as i64 - record_ts;
    let got = p.time_lag_ms.expect("time lag known") as i64;
    assert!(
        (got - expected).abs() <= 5_000,
        "time lag {got} ms, expected about {expected} ms for {p:?}"
    );
}

fn check_against_apache(report: &LagReport) {
    for g in &report.groups {
        let apache = apache_describe(&g.group);
        let ours: BTreeMap<(String, i32), ApacheRow> = g
            .partitions
            .iter()
            .map(|p| {
                (
                    (p.topic.clone(), p.partition),
                    (p.current_offset, p.log_end_offset, p.lag.map(|l| l as i64)),
                )
            })
            .collect();
        assert_eq!(
            ours, apache,
            "kbp and kafka-consumer-groups disagree for group {}",
            g.group
        );
    }
}

#[test]
fn classic_group_with_active_member() {
    let (topic, ts0) = topic_with_records("lag-classic", 3, 100);
    let group = unique("g-classic");
    let member = Member::join(
        &group,
        &[&topic],
        "classic",
        &[(&topic, 0, 10), (&topic, 1, 100)],
    );
    let r = lag_json(&group);
    let g = &r.groups[0];
    assert_eq!(
        (g.state.as_str(), g.protocol.as_str(), g.members),
        ("Stable", "classic", 1)
    );
    assert_eq!(g.partitions.len(), 3);
    assert_eq!(row(g, &topic, 0).lag, Some(90));
    assert_time_lag(row(g, &topic, 0), ts0 + 10_000, r.timestamp_ms);
    assert_eq!(row(g, &topic, 1).lag, Some(0));
    assert_eq!(row(g, &topic, 1).time_lag_ms, Some(0));
    // Assigned but never committed.
    assert_eq!(row(g, &topic, 2).current_offset, None);
    assert_eq!(row(g, &topic, 2).lag, None);
    assert_eq!(g.total_lag, 90);
    assert_eq!(g.unowned_partitions, 0);
    assert_eq!(
        row(g, &topic, 0).client_id.as_deref(),
        Some(member.client_id.as_str())
    );
    assert!(g.coordinator.is_some());
    check_against_apache(&r);
    drop(member);
}

#[test]
fn consumer_protocol_group_with_active_member() {
    let (topic, ts0) = topic_with_records("lag-kip848", 2, 50);
    let group = unique("g-kip848");
    let member = Member::join(
        &group,
        &[&topic],
        "consumer",
        &[(&topic, 0, 5), (&topic, 1, 49)],
    );
    let r = lag_json(&group);
    let g = &r.groups[0];
    assert_eq!((g.protocol.as_str(), g.members), ("consumer", 1));
    assert_eq!(row(g, &topic, 0).lag, Some(45));
    assert_eq!(row(g, &topic, 1).lag, Some(1));
    assert_time_lag(row(g, &topic, 1), ts0 + 49_000, r.timestamp_ms);
    assert_eq!(
        row(g, &topic, 0).client_id.as_deref(),
        Some(member.client_id.as_str())
    );
    check_against_apache(&r);
}

#[test]
fn topic_filter_reads_only_its_partitions_and_agrees_with_the_full_report() {
    let (t1, _) = topic_with_records("lag-filter-a", 3, 20);
    let (t2, _) = topic_with_records("lag-filter-b", 2, 20);
    let group = unique("g-filter");
    // t1/2 and t2/1 were never committed: no row in either report.
    commit(&group, &[(&t1, 0, 5), (&t1, 1, 20), (&t2, 0, 1)]);
    let key = |r: &LagReport, topic: &str| -> Vec<_> {
        r.groups[0]
            .partitions
            .iter()
            .filter(|p| p.topic == topic)
            .map(|p| (p.partition, p.current_offset, p.log_end_offset, p.lag))
            .collect()
    };
    let all = lag_json(&group);
    let only: LagReport = kbp()
        .broker()
        .args(["lag", "-g", &group, "-t", &t1, "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(key(&only, &t1), key(&all, &t1));
    assert_eq!(
        key(&only, &t1),
        vec![
            (0, Some(5), Some(20), Some(15)),
            (1, Some(20), Some(20), Some(0))
        ]
    );
    assert_eq!(only.groups[0].partitions.len(), 2, "nothing of {t2}");
    assert_eq!(only.groups[0].total_lag, 15);
    assert!(only.groups[0].described);
}

#[test]
fn empty_group_with_commits_on_two_topics_and_lost_records() {
    let (t1, ts1) = topic_with_records("lag-empty-a", 2, 40);
    let (t2, _) = topic_with_records("lag-empty-b", 1, 30);
    // Retention deleted records 0..20 of t1/1 while the group sat at 5.
    delete_records(&t1, 1, 20);
    let group = unique("g-empty");
    commit(&group, &[(&t1, 0, 0), (&t1, 1, 5), (&t2, 0, 30)]);
    let r = kbp()
        .broker()
        .args(["lag", "-g", &group, "-o", "json"])
        .expect(0);
    assert!(
        r.stderr.contains("15 records deleted by retention"),
        "{}",
        r.stderr
    );
    let r: LagReport = r.json();
    let g = &r.groups[0];
    assert_eq!((g.state.as_str(), g.members), ("Empty", 0));
    assert_eq!(g.unowned_partitions, 3);
    assert_eq!(row(g, &t1, 0).lag, Some(40));
    assert_time_lag(row(g, &t1, 0), ts1, r.timestamp_ms);
    let lost = row(g, &t1, 1);
    assert_eq!(
        (lost.log_start_offset, lost.records_lost, lost.lag),
        (Some(20), Some(15), Some(35))
    );
    // The oldest record still there is the one at the log start.
    assert_time_lag(lost, ts1 + 20_000, r.timestamp_ms);
    assert_eq!(row(g, &t2, 0).lag, Some(0));
    assert_eq!(g.records_lost, 15);
    assert_eq!(g.total_lag, 75);
    check_against_apache(&r);

    // Filters: one topic; only rows with lag.
    let r: LagReport = kbp()
        .broker()
        .args(["lag", "-g", &group, "-t", &t2, "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(r.groups[0].partitions.len(), 1);
    let r: LagReport = kbp()
        .broker()
        .args(["lag", "-g", &group, "--only-with-lag", "-o", "json"])
        .expect(0)
        .json();
    assert!(r.groups[0].partitions.iter().all(|p| p.lag.unwrap() > 0));
    assert_eq!(r.groups[0].partitions.len(), 2);
}

#[test]
fn all_groups_and_state_filter() {
    let (topic, _) = topic_with_records("lag-all", 2, 10);
    let empty = unique("g-all-empty");
    commit(&empty, &[(&topic, 0, 3)]);
    let stable = unique("g-all-stable");
    let kip848 = Member::join(&stable, &[&topic], "consumer", &[(&topic, 0, 4)]);
    let classic_group = unique("g-all-classic");
    let classic = Member::join(&classic_group, &[&topic], "classic", &[(&topic, 1, 6)]);
    // Enough classic groups that --all-groups takes the cluster-wide classic describe round.
    for i in 0..10 {
        commit(&format!("{empty}-{i}"), &[(&topic, 1, i)]);
    }
    let r: LagReport = kbp().broker().args(["lag", "-o", "json"]).expect(0).json();
    let g = |name: &str| {
        r.groups
            .iter()
            .find(|g| g.group == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(
        (
            g(&empty).state.as_str(),
            g(&empty).members,
            g(&empty).total_lag
        ),
        ("Empty", 0, 7)
    );
    for (name, member, protocol) in [
        (&stable, &kip848, "consumer"),
        (&classic_group, &classic, "classic"),
    ] {
        let grp = g(name);
        assert_eq!(
            (grp.state.as_str(), grp.protocol.as_str(), grp.members),
            ("Stable", protocol, 1),
            "{grp:#?}"
        );
        assert_eq!(grp.unowned_partitions, 0, "{grp:#?}");
        assert!(grp.coordinator.is_some());
        assert!(
            grp.partitions
                .iter()
                .all(|p| p.client_id.as_deref() == Some(member.client_id.as_str())),
            "{grp:#?}"
        );
    }
    // The same groups, described one by one, give the same report.
    let one: LagReport = kbp()
        .broker()
        .args(["lag", "-g", &classic_group, "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(
        serde_json::to_value(
            one.groups[0]
                .partitions
                .iter()
                .map(|p| (
                    &p.topic,
                    p.partition,
                    p.current_offset,
                    &p.consumer_id,
                    &p.host
                ))
                .collect::<Vec<_>>()
        )
        .unwrap(),
        serde_json::to_value(
            g(&classic_group)
                .partitions
                .iter()
                .map(|p| (
                    &p.topic,
                    p.partition,
                    p.current_offset,
                    &p.consumer_id,
                    &p.host
                ))
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
    assert_eq!(one.groups[0].coordinator, g(&classic_group).coordinator);

    let r: LagReport = kbp()
        .broker()
        .args(["lag", "--all-groups", "--state", "empty", "-o", "json"])
        .expect(0)
        .json();
    assert!(r.groups.iter().all(|g| g.state == "Empty"));
    assert!(r.groups.iter().any(|g| g.group == empty));
    assert!(!r
        .groups
        .iter()
        .any(|g| g.group == stable || g.group == classic_group));
}

#[test]
fn every_output_format_parses_back() {
    // Short names, as operators' are, so the 100-column check below is meaningful.
    let short = |p: &str| format!("{p}{}", now_ms() % 1_000_000);
    let topic = short("orders-");
    create_topic(&topic, 2);
    produce(&topic, 0, 20, now_ms() - HOUR, 1000);
    produce(&topic, 1, 20, now_ms() - HOUR, 1000);
    let group = short("billing-");
    commit(&group, &[(&topic, 0, 5), (&topic, 1, 20)]);
    let base = ["lag", "-g", group.as_str(), "-o"];

    let json: LagReport = kbp().broker().args(base).arg("json").expect(0).json();
    let yaml: LagReport =
        serde_yaml::from_str(&kbp().broker().args(base).arg("yaml").expect(0).stdout)
            .expect("YAML parses");
    let offsets = |r: &LagReport| -> Vec<_> {
        r.groups
            .iter()
            .flat_map(|g| {
                g.partitions.iter().map(|p| {
                    (
                        p.topic.clone(),
                        p.partition,
                        p.current_offset,
                        p.log_end_offset,
                        p.lag,
                    )
                })
            })
            .collect()
    };
    assert_eq!(offsets(&json), offsets(&yaml), "YAML and JSON agree");

    let csv_out = kbp().broker().args(base).arg("csv").expect(0).stdout;
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    let headers: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &headers[..7],
        [
            "GROUP",
            "TOPIC",
            "PARTITION",
            "CURRENT-OFFSET",
            "LOG-START-OFFSET",
            "LOG-END-OFFSET",
            "LAG"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!((&rows[0][1], &rows[0][6]), (topic.as_str(), "15"));

    let prom = kbp().broker().args(base).arg("prometheus").expect(0).stdout;
    let sample = |name: &str, labels: &str| -> f64 {
        let prefix = format!("{name}{{{labels}}} ");
        prom.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{prom}"))
            .parse()
            .unwrap()
    };
    let lbl = format!("consumergroup=\"{group}\",topic=\"{topic}\",partition=\"0\"");
    assert_eq!(sample("kafka_consumergroup_lag", &lbl), 15.0);
    assert_eq!(sample("kafka_consumergroup_current_offset", &lbl), 5.0);
    assert!(sample("kafka_consumergroup_lag_seconds", &lbl) > 3000.0);
    assert_eq!(
        sample(
            "kafka_consumergroup_lag_sum",
            &format!("consumergroup=\"{group}\",topic=\"{topic}\"")
        ),
        15.0
    );
    assert_eq!(
        sample(
            "kafka_consumergroup_members",
            &format!("consumergroup=\"{group}\"")
        ),
        0.0
    );
    for line in prom.lines().filter(|l| !l.starts_with('#')) {
        let (_, value) = line.rsplit_once(' ').unwrap();
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("bad sample line {line}"));
    }

    for (fmt, cols) in [("table", 7), ("wide", 12)] {
        let out = kbp().broker().args(base).arg(fmt).expect(0).stdout;
        let detail: Vec<Vec<&str>> = out
            .lines()
            .skip_while(|l| !l.contains("TOPIC"))
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(detail[0].len(), cols, "{fmt} header: {out}");
        assert_eq!(detail.len(), 3, "{fmt}: {out}");
        assert!(
            detail[1..].iter().all(|r| r.len() == cols),
            "{fmt} rows: {out}"
        );
        if fmt == "table" {
            assert!(
                out.lines().all(|l| l.len() <= 100),
                "table wider than 100 columns:\n{out}"
            );
        }
    }
}

#[test]
fn thresholds_exit_1_only_when_breached() {
    let (topic, _) = topic_with_records("lag-threshold", 1, 30);
    let group = unique("g-threshold");
    commit(&group, &[(&topic, 0, 10)]);
    kbp()
        .broker()
        .args(["lag", "-g", &group, "--fail-above", "20"])
        .expect(0);
    let r = kbp()
        .broker()
        .args(["lag", "-g", &group, "--fail-above", "19"])
        .expect(1);
    assert!(
        r.stderr.contains("total lag 20 above --fail-above 19"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains(&group), "the report is still printed");
    kbp()
        .broker()
        .args(["lag", "-g", &group, "--fail-time-above", "2h"])
        .expect(0);
    let r = kbp()
        .broker()
        .args(["lag", "-g", &group, "--fail-time-above", "30m"])
        .expect(1);
    assert!(r.stderr.contains("--fail-time-above"), "{}", r.stderr);
}

#[test]
fn unknown_group_or_topic_exits_4() {
    let r = kbp()
        .broker()
        .args(["lag", "-g", "no-such-group-kbp"])
        .expect(4);
    assert!(
        r.stderr
            .contains("consumer group not found: no-such-group-kbp"),
        "{}",
        r.stderr
    );
    let r = kbp()
        .broker()
        .args(["lag", "-t", "no-such-topic-kbp"])
        .expect(4);
    assert!(
        r.stderr.contains("topic not found: no-such-topic-kbp"),
        "{}",
        r.stderr
    );
}

#[test]
fn closed_stdout_exits_0() {
    let topic = unique("lag-pipe");
    create_topic(&topic, 400);
    let group = unique("g-pipe");
    let commits: Vec<(&str, i32, i64)> = (0..400).map(|p| (topic.as_str(), p, 0)).collect();
    commit(&group, &commits);
    let (status, stderr) = kbp_piped(
        &format!("lag -g {group} -o json --no-time-lag"),
        "head -c 10 >/dev/null",
    );
    assert_eq!(status, "0", "stderr: {stderr}");
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
}

/// `kbp lag -o json` with `args`; the report and stderr.
fn lag_with(args: &[&str]) -> (LagReport, String) {
    let r = kbp()
        .broker()
        .arg("lag")
        .args(args)
        .args(["-o", "json"])
        .expect(0);
    (r.json(), r.stderr)
}

fn names(r: &LagReport) -> Vec<&str> {
    r.groups.iter().map(|g| g.group.as_str()).collect()
}

/// Three groups and two topics under one run tag (letters, digits and '-' only, so the
/// tag is its own pattern); every group commits on both topics.
struct Tagged {
    tag: String,
    orders: String,
    audit: String,
    eu: String,
    us: String,
    fraud: String,
}

fn tagged() -> Tagged {
    let tag = unique("rx");
    let (orders, _) = topic_with_records(&format!("{tag}-orders"), 2, 20);
    let (audit, _) = topic_with_records(&format!("{tag}-audit"), 1, 10);
    let t = Tagged {
        eu: format!("{tag}-billing-eu"),
        us: format!("{tag}-billing-us"),
        fraud: format!("{tag}-fraud"),
        tag,
        orders,
        audit,
    };
    for (i, g) in [&t.eu, &t.us, &t.fraud].into_iter().enumerate() {
        let i = i as i64;
        commit(
            g,
            &[
                (&t.orders, 0, i),
                (&t.orders, 1, 10 + i),
                (&t.audit, 0, 2 * i),
            ],
        );
    }
    t
}

#[test]
fn group_patterns_select_and_exclude_among_listed_groups() {
    let t = tagged();
    let (r, stderr) = lag_with(&["--group-regex", &format!("^{}-billing-", t.tag)]);
    assert_eq!(names(&r), [t.eu.as_str(), t.us.as_str()]);
    assert!(stderr.is_empty(), "{stderr}");
    // Unanchored: the pattern may match anywhere in the name.
    let (r, _) = lag_with(&["--group-regex", &format!("{}-billing", &t.tag[3..])]);
    assert_eq!(names(&r), [t.eu.as_str(), t.us.as_str()]);
    // The exclusion applies after the inclusion...
    let (r, _) = lag_with(&[
        "--group-regex",
        &format!("^{}-", t.tag),
        "--exclude-group-regex",
        "-us$",
    ]);
    assert_eq!(names(&r), [t.eu.as_str(), t.fraud.as_str()]);
    // ...and alone, to every listed group (other tests' groups included).
    let (r, _) = lag_with(&[
        "--exclude-group-regex",
        &format!("^{}-billing", t.tag),
        "--no-time-lag",
    ]);
    assert!(names(&r).contains(&t.fraud.as_str()), "{:?}", names(&r));
    assert!(!names(&r)
        .iter()
        .any(|g| g.starts_with(&format!("{}-billing", t.tag))));
    // With --state: both filters hold.
    let (r, _) = lag_with(&[
        "--group-regex",
        &format!("^{}-", t.tag),
        "--state",
        "stable",
    ]);
    assert!(r.groups.is_empty(), "the tagged groups are all Empty");
    let g = &lag_with(&["--group-regex", &format!("^{}$", t.fraud)])
        .0
        .groups[0];
    assert_eq!(
        (g.group.as_str(), g.total_lag),
        (t.fraud.as_str(), 18 + 8 + 6)
    );
}

#[test]
fn topic_pattern_filters_rows_and_adds_to_named_topics() {
    let t = tagged();
    let groups = format!("^{}-billing-", t.tag);
    let rows = |r: &LagReport| -> Vec<(String, String, i32)> {
        r.groups
            .iter()
            .flat_map(|g| {
                g.partitions
                    .iter()
                    .map(|p| (g.group.clone(), p.topic.clone(), p.partition))
            })
            .collect()
    };
    let (r, _) = lag_with(&["--group-regex", &groups, "--topic-regex", "-audit-"]);
    assert_eq!(
        rows(&r),
        [
            (t.eu.clone(), t.audit.clone(), 0),
            (t.us.clone(), t.audit.clone(), 0)
        ]
    );
    assert_eq!(
        r.groups.iter().map(|g| g.total_lag).collect::<Vec<_>>(),
        [10, 8],
        "totals of the audit rows only"
    );
    // The time lag of an audit row is read, and only audit rows are in the report.
    assert!(r.groups.iter().all(|g| g.max_time_lag_ms.is_some()));
    // --topic and --topic-regex: the partitions of either.
    let (r, _) = lag_with(&[
        "--group-regex",
        &groups,
        "-t",
        &t.orders,
        "--topic-regex",
        &format!("^{}$", t.audit),
    ]);
    assert_eq!(rows(&r).len(), 6, "{:?}", rows(&r));
    // A named topic still must exist; a pattern never has to match.
    kbp()
        .broker()
        .args(["lag", "--group-regex", &groups, "-t", "no-such-topic-kbp"])
        .args(["--topic-regex", "-audit-"])
        .expect(4);
    let (r, stderr) = lag_with(&["--group-regex", &groups, "--topic-regex", "^no-such-"]);
    assert!(r.groups.is_empty(), "{r:#?}");
    assert!(
        stderr.contains(
            "kbp: warning: no topic of the selected groups matches --topic-regex ^no-such-"
        ),
        "{stderr}"
    );
}

#[test]
fn patterns_agree_with_kafka_consumer_groups_all_groups_filtered_the_same_way() {
    let t = tagged();
    let group_re = regex::Regex::new(&format!("^{}-", t.tag)).unwrap();
    let exclude_re = regex::Regex::new("-eu$").unwrap();
    let topic_re = regex::Regex::new("-orders-").unwrap();
    let (r, _) = lag_with(&[
        "--group-regex",
        group_re.as_str(),
        "--exclude-group-regex",
        exclude_re.as_str(),
        "--topic-regex",
        topic_re.as_str(),
    ]);
    let ours: BTreeMap<(String, String, i32), ApacheRow> = r
        .groups
        .iter()
        .flat_map(|g| {
            g.partitions.iter().map(|p| {
                (
                    (g.group.clone(), p.topic.clone(), p.partition),
                    (p.current_offset, p.log_end_offset, p.lag.map(|l| l as i64)),
                )
            })
        })
        .collect();
    let apache: BTreeMap<(String, String, i32), ApacheRow> = apache_describe_all()
        .into_iter()
        .filter(|((g, t, _), _)| {
            group_re.is_match(g) && !exclude_re.is_match(g) && topic_re.is_match(t)
        })
        .collect();
    assert_eq!(ours.len(), 4, "{ours:#?}");
    assert_eq!(
        ours, apache,
        "kbp and kafka-consumer-groups --all-groups disagree"
    );
}

#[test]
fn a_pattern_matching_no_group_is_an_empty_report_not_an_error() {
    let tag = unique("rx-none");
    let r = kbp()
        .broker()
        .args(["lag", "--group-regex", &format!("^{tag}")])
        .expect(0);
    assert_eq!(
        r.stderr.trim_end(),
        format!("kbp: warning: no group matches --group-regex ^{tag}")
    );
    let (r, stderr) = lag_with(&[
        "--group-regex",
        &format!("^{tag}"),
        "--exclude-group-regex",
        "x",
    ]);
    assert!(r.groups.is_empty());
    assert!(
        stderr.contains(&format!(
            "no group matches --group-regex ^{tag} and not --exclude-group-regex x"
        )),
        "{stderr}"
    );
    kbp()
        .broker()
        .args([
            "lag",
            "--group-regex",
            &format!("^{tag}"),
            "--fail-above",
            "0",
        ])
        .expect(0);
}

#[test]
fn bad_patterns_and_conflicts_exit_2_in_one_line_before_connecting() {
    for (args, says) in [
        (vec!["--group-regex", "(billing"], "--group-regex"),
        (
            vec!["--exclude-group-regex", "[a-"],
            "--exclude-group-regex",
        ),
        (vec!["--topic-regex", "a{2,1}"], "--topic-regex"),
        (vec!["--group-regex", ""], "--group-regex"),
        (vec!["-g", "billing", "--group-regex", "b"], "--group"),
        (
            vec!["-g", "billing", "--exclude-group-regex", "b"],
            "--group",
        ),
        (vec!["--all-groups", "--group-regex", "b"], "--all-groups"),
    ] {
        for cmd in ["lag", "diagnose"] {
            // A bootstrap that would refuse: parse errors come first.
            let r = kbp().args(["-b", "127.0.0.1:1", cmd]).args(&args).expect(2);
            assert_eq!(r.stderr.lines().count(), 1, "{cmd} {args:?}: {}", r.stderr);
            assert!(r.stderr.contains(says), "{cmd} {args:?}: {}", r.stderr);
            assert!(r.stdout.is_empty());
        }
    }
    let r = kbp().args(["lag", "--group-regex", "(billing"]).expect(2);
    assert!(
        r.stderr
            .contains("not a regular expression: unclosed group"),
        "{}",
        r.stderr
    );
}
