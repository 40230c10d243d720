//! `kbp offsets` and `kbp group delete` against the real broker. Every strategy's plan is
//! kafka-consumer-groups' `--reset-offsets --dry-run` on the same group, and after
//! `--execute` its `--describe` shows the planned offsets, for classic and KIP-848 groups;
//! a reset and its restore file put every partition back; live members are refused with
//! nothing written; files move between the two tools.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kbp::report::offsets::{Action, MoveStatus, OffsetsExport, OffsetsReport};

use crate::common::*;

/// Records of these tests are a minute apart, so a time half a minute off a record (or
/// an Apache run seconds later) still lands on the same one.
const STEP: i64 = 60_000;

/// (group, topic, partition) → offset.
type Offsets = BTreeMap<(String, String, i32), i64>;

/// kafka-consumer-groups `--reset-offsets ARGS --dry-run`: its NEW-OFFSET rows.
fn apache_plan(args: &[&str]) -> Offsets {
    let mut all = vec!["--dry-run"];
    all.extend_from_slice(args);
    apache_reset(&all)
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split_whitespace().collect();
            let (p, o) = (c.get(2)?.parse().ok()?, c.get(3)?.parse().ok()?);
            (c.len() == 4).then(|| ((c[0].to_string(), c[1].to_string(), p), o))
        })
        .collect()
}

/// `kbp offsets ARGS -o json` (a state directory of the test's own), expecting `code`.
fn offsets(state: &Path, args: &[&str], code: i32) -> (OffsetsReport, Run) {
    let run = kbp()
        .broker()
        .env("XDG_STATE_HOME", state)
        .arg("offsets")
        .args(args)
        .args(["-o", "json"])
        .expect(code);
    (run.json(), run)
}

/// Each partition's new offset in a report; `None` for a deleted commit.
fn news(r: &OffsetsReport) -> BTreeMap<(String, String, i32), Option<i64>> {
    r.groups
        .iter()
        .flat_map(|g| {
            g.partitions.iter().map(|p| {
                (
                    (g.group.clone(), p.topic.clone(), p.partition),
                    p.new_offset,
                )
            })
        })
        .collect()
}

/// The restore files the state directory holds.
fn restore_files(state: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(state.join("kbp"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// An Empty group of `protocol` with commits on partitions 0 and 1 of `topic`: a member
/// joins, commits and leaves.
fn left_group(protocol: &str, topic: &str, commits: &[(&str, i32, i64)]) -> String {
    let group = unique(&format!("offsets-{protocol}"));
    drop(Member::join(&group, &[topic], protocol, commits));
    wait_for_group(&group, Duration::from_secs(60), |g| {
        g["state"] == "Empty" && g["protocol"] == protocol
    });
    group
}

/// RFC 3339 to the millisecond in UTC: what both tools read.
fn at(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn strategies_plan_and_write_what_kafka_consumer_groups_does(protocol: &str) {
    let t0 = now_ms() - 2 * 3_600_000;
    let topic = topic_stamped("offsets", 3, 50, t0, STEP);
    let t = topic.as_str();
    let group = left_group(protocol, t, &[(t, 0, 10), (t, 1, 30)]);
    let g = group.as_str();
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let three = write_file(
        dir.path(),
        "three.csv",
        &format!("{t},0,7\n{t},1,60\n{t},2,3\n"),
    );
    let four = write_file(
        dir.path(),
        "four.csv",
        &format!("{g},{t},0,9\n{g},{t},2,44\n"),
    );
    let (t01, t1, t12) = (format!("{t}:0,1"), format!("{t}:1"), format!("{t}:1,2"));
    let datetime = at(t0 + 20 * STEP + STEP / 2);
    // (kbp's scope and strategy, kafka-consumer-groups' own), in an order that moves
    // every partition, uncommitted ones too.
    let steps: Vec<(Vec<String>, Vec<String>)> = vec![
        (
            vec!["--shift-by", "-5"],
            vec!["--all-topics", "--shift-by", "-5"],
        ),
        (
            vec!["-t", t, "--to-current"],
            vec!["--topic", t, "--to-current"],
        ),
        (
            vec!["-t", &t01, "--to-offset", "500"],
            vec!["--topic", &t01, "--to-offset", "500"],
        ),
        (
            vec!["--to-datetime", &datetime],
            vec!["--all-topics", "--to-datetime", &datetime],
        ),
        (
            vec!["-t", &t1, "--shift-by", "100"],
            vec!["--topic", &t1, "--shift-by", "100"],
        ),
        (
            vec!["--by-duration", "DURATION"],
            vec!["--all-topics", "--by-duration", "DURATION"],
        ),
        (vec!["--to-earliest"], vec!["--all-topics", "--to-earliest"]),
        (
            vec!["-t", &t12, "--to-latest"],
            vec!["--topic", &t12, "--to-latest"],
        ),
        (
            vec!["--from-file", three.to_str().unwrap()],
            vec!["--from-file", three.to_str().unwrap()],
        ),
        (
            vec!["--from-file", four.to_str().unwrap()],
            vec!["--from-file", four.to_str().unwrap()],
        ),
    ]
    .into_iter()
    .map(|(a, b)| {
        let own = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
        (own(a), own(b))
    })
    .collect();
    for (ours, theirs) in steps {
        // Half a step past record 35, from now: the same record for both tools.
        let back = (now_ms() - (t0 + 35 * STEP + STEP / 2)) / 1000;
        let fill = |v: &[String], iso: bool| -> Vec<String> {
            v.iter()
                .map(|a| match (a.as_str(), iso) {
                    ("DURATION", false) => format!("{back}s"),
                    ("DURATION", true) => format!("PT{back}S"),
                    _ => a.clone(),
                })
                .collect()
        };
        let ours = fill(&ours, false);
        let mut theirs = fill(&theirs, true);
        theirs.extend(["--group".to_string(), group.clone()]);
        let mut args = vec!["reset", "-g", g];
        args.extend(ours.iter().map(String::as_str));
        let (plan, _) = offsets(state.path(), &args, 0);
        assert!(!plan.executed);
        let apache = apache_plan(&theirs.iter().map(String::as_str).collect::<Vec<_>>());
        let planned: Offsets = news(&plan)
            .into_iter()
            .map(|(k, v)| (k, v.unwrap()))
            .collect();
        assert_eq!(
            planned, apache,
            "{protocol}: kbp {ours:?} and kafka-consumer-groups {theirs:?} disagree"
        );

        args.push("--execute");
        let (done, run) = offsets(state.path(), &args, 0);
        assert!(done.executed, "{}", run.stderr);
        let described = apache_describe(g);
        for ((_, topic, p), new) in &planned {
            assert_eq!(
                described.get(&(topic.clone(), *p)).and_then(|r| r.0),
                Some(*new),
                "{protocol} {ours:?}: kafka-consumer-groups --describe after --execute: {described:?}"
            );
        }
        for p in done.groups.iter().flat_map(|g| &g.partitions) {
            assert!(
                matches!(p.status, MoveStatus::Moved | MoveStatus::Unchanged),
                "{ours:?}: {p:?}"
            );
        }
    }
    // Every write left its undo on disk.
    assert!(restore_files(state.path()).len() >= 8);
}

#[test]
fn classic_group_strategies_are_kafka_consumer_groups() {
    strategies_plan_and_write_what_kafka_consumer_groups_does("classic");
}

#[test]
fn consumer_protocol_group_strategies_are_kafka_consumer_groups() {
    strategies_plan_and_write_what_kafka_consumer_groups_does("consumer");
}

/// The path after "saved to " on stderr.
fn saved_to(stderr: &str) -> PathBuf {
    let line = stderr
        .lines()
        .find(|l| l.contains("saved to "))
        .unwrap_or_else(|| panic!("no restore file named in:\n{stderr}"));
    let rest = line.split("saved to ").nth(1).unwrap();
    PathBuf::from(rest.split(" (undo").next().unwrap())
}

#[test]
fn a_reset_then_its_restore_file_puts_every_partition_back() {
    let topic = topic_with("restore", 3, 20);
    let t = topic.as_str();
    let group = unique("restore");
    commit(&group, &[(t, 0, 4), (t, 1, 9), (t, 2, 20)]);
    let state = tempfile::tempdir().unwrap();
    let probe = Probe::new(&group, t, 3);

    let (plan, _) = offsets(
        state.path(),
        &["reset", "-g", &group, "--shift-by", "-3"],
        0,
    );
    assert_eq!(plan.action, Action::Reset);
    let records: Vec<Option<i64>> = plan.groups[0]
        .partitions
        .iter()
        .map(|p| p.records)
        .collect();
    assert_eq!(records, [Some(-3), Some(-3), Some(-3)], "read again: minus");
    let span = &plan.groups[0].partitions[0];
    assert!(
        span.first_timestamp.is_some() && span.last_timestamp > span.first_timestamp,
        "{span:?}"
    );
    assert_eq!(
        probe.now(),
        [Some(4), Some(9), Some(20)],
        "a plan writes nothing"
    );
    assert!(
        restore_files(state.path()).is_empty(),
        "a plan saves nothing"
    );

    let (done, run) = offsets(
        state.path(),
        &["reset", "-g", &group, "--to-earliest", "--execute"],
        0,
    );
    assert_eq!(probe.now(), [Some(0), Some(0), Some(0)]);
    let file = saved_to(&run.stderr);
    assert_eq!(
        done.groups[0].restore_file.as_deref(),
        Some(file.to_str().unwrap())
    );
    assert!(
        file.starts_with(state.path().join("kbp")),
        "{}",
        file.display()
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{group},{t},0,4\n{group},{t},1,9\n{group},{t},2,20\n")
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The file is kafka-consumer-groups' own format: its --from-file plans the same.
    let apache = apache_plan(&["--from-file", file.to_str().unwrap(), "--group", &group]);
    let want: Offsets = [(0, 4), (1, 9), (2, 20)]
        .into_iter()
        .map(|(p, o)| ((group.clone(), topic.clone(), p), o))
        .collect();
    assert_eq!(apache, want);

    let (undo, _) = offsets(
        state.path(),
        &["restore", file.to_str().unwrap(), "--execute"],
        0,
    );
    assert_eq!(undo.action, Action::Restore);
    assert_eq!(probe.now(), [Some(4), Some(9), Some(20)]);
    let described = apache_describe(&group);
    let back: Vec<Option<i64>> = (0..3).map(|p| described[&(topic.clone(), p)].0).collect();
    assert_eq!(back, [Some(4), Some(9), Some(20)]);
    // The restore saved what it replaced, too: the undo has its own undo.
    assert_eq!(restore_files(state.path()).len(), 2);
}

#[test]
fn live_members_are_refused_and_nothing_is_written() {
    let topic = topic_with("offsets-live", 2, 10);
    let t = topic.as_str();
    for protocol in ["classic", "consumer"] {
        let group = unique(&format!("offsets-live-{protocol}"));
        let member = Member::join(&group, &[t], protocol, &[(t, 0, 5)]);
        let probe = Probe::new(&group, t, 2);
        let state = tempfile::tempdir().unwrap();
        // `kbp offsets reset -g G -t T --to-earliest EXTRA`, expecting `code`.
        let reset = |extra: &[&str], code: i32| {
            kbp()
                .broker()
                .env("XDG_STATE_HOME", state.path())
                .args(["offsets", "reset", "-g", &group, "-t", t, "--to-earliest"])
                .args(extra)
                .expect(code)
        };
        let run = reset(&[], 0);
        assert!(
            run.stderr.contains("--execute would be refused (exit 8)"),
            "{}",
            run.stderr
        );
        let run = reset(&["--execute"], 8);
        assert!(
            run.stderr.contains(&format!(
                "group {group} has 1 live member(s): client.id '{}'",
                member.client_id
            )),
            "{protocol}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert_eq!(probe.now(), [Some(5), None], "{protocol}: nothing written");
        assert!(restore_files(state.path()).is_empty(), "nothing saved");
        // --force writes; Kafka itself refuses a write from outside a group with members,
        // and kbp says which partitions did not move.
        let run = reset(&["--execute", "--force"], 5);
        assert!(
            run.stderr.contains("2 partition(s) did not move")
                && run.stderr.contains("UNKNOWN_MEMBER_ID"),
            "{protocol}: {}",
            run.stderr
        );
        assert_eq!(probe.now(), [Some(5), None], "{protocol}");
        let run = kbp()
            .broker()
            .args(["group", "delete", &group, "--execute"])
            .expect(8);
        assert!(
            run.stderr
                .contains("Kafka deletes only groups without members. Stop them first"),
            "{}",
            run.stderr
        );
        drop(member);
    }
}

#[test]
fn a_time_before_the_records_retention_deleted_is_refused() {
    let t0 = now_ms() - 3_600_000;
    let topic = topic_stamped("offsets-old", 1, 20, t0, STEP);
    delete_records(&topic, 0, 10);
    let group = unique("offsets-old");
    commit(&group, &[(&topic, 0, 15)]);
    let state = tempfile::tempdir().unwrap();
    let before = at(t0 + 2 * STEP);
    let run = kbp()
        .broker()
        .env("XDG_STATE_HOME", state.path())
        .args([
            "offsets",
            "reset",
            "-g",
            &group,
            "--to-datetime",
            &before,
            "--execute",
        ])
        .expect(2);
    assert!(
        run.stderr.contains("before the oldest record kept")
            && run
                .stderr
                .contains(&format!("{topic}/0 keeps records from")),
        "{}",
        run.stderr
    );
    assert_eq!(Probe::new(&group, &topic, 1).now(), [Some(15)]);
    // A time within what is kept is fine: record 13 is the first at or after it.
    let (plan, _) = offsets(
        state.path(),
        &[
            "reset",
            "-g",
            &group,
            "--to-datetime",
            &at(t0 + 12 * STEP + STEP / 2),
        ],
        0,
    );
    assert_eq!(plan.groups[0].partitions[0].new_offset, Some(13));
    assert_eq!(plan.groups[0].partitions[0].records, Some(-2));
}

#[test]
fn export_is_kafka_consumer_groups_export() {
    let topic = topic_with("offsets-export", 2, 10);
    let t = topic.as_str();
    let (a, b) = (unique("export-a"), unique("export-b"));
    commit(&a, &[(t, 0, 3), (t, 1, 7)]);
    commit(&b, &[(t, 1, 2)]);
    // Records, not bytes: Jackson (kafka-consumer-groups) quotes every field longer than
    // 24 characters; both tools read either.
    let lines = |s: &str| -> Vec<String> {
        let mut l: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(s.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().collect::<Vec<_>>().join(","))
            .collect();
        l.sort();
        l
    };
    let apache = |groups: &[&str]| {
        let mut args = vec!["tool", "consumer-groups", "--bootstrap-server", bootstrap()];
        args.extend([
            "--reset-offsets",
            "--to-current",
            "--all-topics",
            "--export",
            "--dry-run",
        ]);
        for g in groups {
            args.extend(["--group", g]);
        }
        String::from_utf8_lossy(&kafka_sh(&args).stdout).into_owned()
    };
    let one = kbp()
        .broker()
        .args(["offsets", "export", "-g", &a])
        .expect(0);
    assert_eq!(lines(&one.stdout), lines(&apache(&[&a])));
    assert_eq!(lines(&one.stdout), [format!("{t},0,3"), format!("{t},1,7")]);
    let two = kbp()
        .broker()
        .args(["offsets", "export", "-g", &a, "-g", &b])
        .expect(0);
    assert_eq!(lines(&two.stdout), lines(&apache(&[&a, &b])));
    assert_eq!(lines(&two.stdout).len(), 3);
    let json: OffsetsExport = kbp()
        .broker()
        .args(["offsets", "export", "-g", &b, "-o", "json"])
        .expect(0)
        .json();
    assert_eq!(json.groups[0].offsets[0].offset, 2);
    // What export writes, --from-file reads back.
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(dir.path(), "a.csv", &one.stdout);
    let (plan, _) = offsets(
        dir.path(),
        &["reset", "-g", &a, "--from-file", f.to_str().unwrap()],
        0,
    );
    assert!(
        plan.groups[0]
            .partitions
            .iter()
            .all(|p| p.status == MoveStatus::Unchanged),
        "{plan:?}"
    );
}

#[test]
fn deleting_offsets_and_groups_is_undone_by_their_restore_files() {
    let (x, y) = (
        topic_with("offsets-del-x", 2, 10),
        topic_with("offsets-del-y", 1, 10),
    );
    let group = unique("offsets-del");
    commit(&group, &[(&x, 0, 3), (&x, 1, 4), (&y, 0, 5)]);
    let state = tempfile::tempdir().unwrap();
    let (px, py) = (Probe::new(&group, &x, 2), Probe::new(&group, &y, 1));

    let (plan, _) = offsets(state.path(), &["delete", "-g", &group, "-t", &x], 0);
    assert_eq!(news(&plan).values().collect::<Vec<_>>(), [&None, &None]);
    assert_eq!(px.now(), [Some(3), Some(4)], "a plan deletes nothing");
    let (done, run) = offsets(
        state.path(),
        &["delete", "-g", &group, "-t", &x, "--execute"],
        0,
    );
    assert!(done.groups[0]
        .partitions
        .iter()
        .all(|p| p.status == MoveStatus::Deleted));
    assert_eq!((px.now(), py.now()), (vec![None, None], vec![Some(5)]));
    offsets(
        state.path(),
        &[
            "restore",
            saved_to(&run.stderr).to_str().unwrap(),
            "--execute",
        ],
        0,
    );
    assert_eq!(px.now(), [Some(3), Some(4)]);

    let run = kbp()
        .broker()
        .env("XDG_STATE_HOME", state.path())
        .args(["group", "delete", &group])
        .expect(0);
    assert!(
        run.stdout.contains("plan: delete 1 group(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(py.now(), [Some(5)]);
    let run = kbp()
        .broker()
        .env("XDG_STATE_HOME", state.path())
        .args(["group", "delete", &group, "--execute", "-o", "json"])
        .expect(0);
    let gone: OffsetsReport = run.json();
    assert_eq!(gone.groups[0].deleted, Some(true));
    let missing = kbp().broker().args(["lag", "-g", &group]).expect(4);
    assert!(
        missing.stderr.contains("consumer group not found"),
        "{}",
        missing.stderr
    );
    // Its restore file gives the deleted group its offsets back.
    let (back, _) = offsets(
        state.path(),
        &[
            "restore",
            saved_to(&run.stderr).to_str().unwrap(),
            "--execute",
        ],
        0,
    );
    assert!(
        back.warnings.iter().any(|w| w.contains("does not exist")),
        "{:?}",
        back.warnings
    );
    assert_eq!(
        (px.now(), py.now()),
        (vec![Some(3), Some(4)], vec![Some(5)])
    );
}

/// Group names a trimming or unquoting reader would turn into another group's: a reset's
/// restore file quotes them, kafka-consumer-groups reads that file as the same group, and
/// `kbp offsets restore` puts the offsets back on exactly that group and no other.
#[test]
fn restore_files_keep_every_group_name_exact() {
    let topic = topic_with("restore-names", 2, 10);
    let t = topic.as_str();
    let state = tempfile::tempdir().unwrap();
    let base = unique("names");
    for (i, pattern) in [
        " {} ",
        "{},eu",
        "\"{}\" v2",
        "{}\nx",
        "{}\t",
        "{}-größe-🚀",
        "{}\u{a0}",
    ]
    .into_iter()
    .enumerate()
    {
        let plain = format!("{base}-{i}");
        let group = pattern.replace("{}", &plain);
        commit(&group, &[(t, 0, 4), (t, 1, 9)]);
        let probe = Probe::new(&group, t, 2);
        let (_, run) = offsets(
            state.path(),
            &["reset", "-g", &group, "--to-earliest", "--execute"],
            0,
        );
        assert_eq!(probe.now(), [Some(0), Some(0)], "{group:?}");
        let file = saved_to(&run.stderr);
        let quoted = format!("\"{}\"", group.replace('"', "\"\""));
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("{quoted},{t},0,4\n{quoted},{t},1,9\n"),
            "{group:?}"
        );
        // kafka-consumer-groups reads the file as the same group: its plan for exactly
        // this group (as CSV, since its table splits names on white space) is the file's.
        // It reads its files line by line, so a name with a line break cannot pass through
        // them (its own export of such a group is unreadable to it); kbp's can.
        if group.contains('\n') {
            offsets(
                state.path(),
                &["restore", file.to_str().unwrap(), "--execute"],
                0,
            );
            assert_eq!(probe.now(), [Some(4), Some(9)], "{group:?}");
            continue;
        }
        let out = apache_reset(&[
            "--from-file",
            file.to_str().unwrap(),
            "--group",
            &group,
            "--dry-run",
            "--export",
        ]);
        let mut apache: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(out.as_bytes())
            .records()
            .flatten()
            .filter(|r| r.len() == 3)
            .map(|r| r.iter().collect::<Vec<_>>().join(","))
            .collect();
        apache.sort();
        assert_eq!(
            apache,
            [format!("{t},0,4"), format!("{t},1,9")],
            "{group:?}: kafka-consumer-groups printed\n{out}"
        );
        offsets(
            state.path(),
            &["restore", file.to_str().unwrap(), "--execute"],
            0,
        );
        assert_eq!(probe.now(), [Some(4), Some(9)], "{group:?}");
        assert_eq!(
            Probe::new(&plain, t, 2).now(),
            [None, None],
            "{group:?}: a restore wrote to {plain:?}"
        );
    }
}

/// `--by-duration` in the ISO 8601 forms kafka-consumer-groups takes (Java's
/// `Duration.parse`: days of 24 hours, a fraction of a second, either case), given to both
/// tools as written: the same plan.
#[test]
fn by_duration_takes_kafka_consumer_groups_iso_forms() {
    const HOUR: i64 = 3_600_000;
    // Record i at now - 30.5 h + i h: a look-back of 26 h starts at record 5, of 24 h at 7.
    let topic = topic_stamped("offsets-iso", 1, 10, now_ms() - 30 * HOUR - HOUR / 2, HOUR);
    let group = unique("offsets-iso");
    commit(&group, &[(&topic, 0, 1)]);
    let state = tempfile::tempdir().unwrap();
    for (iso, want) in [
        ("P1DT2H", 5),
        ("p1dt2h", 5),
        ("P1D", 7),
        ("PT25H", 6),
        ("PT0.5S", 10),
    ] {
        let (plan, _) = offsets(
            state.path(),
            &["reset", "-g", &group, "-t", &topic, "--by-duration", iso],
            0,
        );
        let ours: Offsets = news(&plan)
            .into_iter()
            .map(|(k, v)| (k, v.unwrap()))
            .collect();
        let apache = apache_plan(&["--group", &group, "--topic", &topic, "--by-duration", iso]);
        assert_eq!(ours, apache, "--by-duration {iso}");
        assert_eq!(
            ours.values().copied().collect::<Vec<_>>(),
            vec![want],
            "--by-duration {iso}"
        );
    }
}
