//! Issue 20, classes 3 and 4: one deadline per command, and retriable answers asked again
//! within it. Faults a row cannot express: answers injected by librdkafka's mock cluster
//! (every error of the retry rule, on each request kind), a cluster that goes down under a
//! session, and a real broker of the test's own that is frozen (SIGSTOP) or killed during
//! a command. Each asserts the exit (or error), the bound in time, and what must not
//! happen: a commit not processed, "moved" for what did not move, "0 moved" for what did.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use kbp::config;
use kbp::error::exit;
use kbp::kafka::mock::DemoCluster;
use kbp::kafka::{OffsetSpec, Session, TopicPartition};

use crate::common::*;

/// A mock cluster of two brokers with `topic` (two partitions), and a session on it with
/// `timeout`, already answered once.
pub(crate) fn mock(topic: &str, timeout: Duration) -> (DemoCluster, Session) {
    let cluster = DemoCluster::start(2).unwrap();
    cluster.create_topic(topic, 2, 1).unwrap();
    let overrides = config::Overrides {
        bootstrap_server: Some(cluster.bootstrap().to_string()),
        timeout: Some(timeout),
        ..Default::default()
    };
    let settings = config::merge(&overrides, None, &Default::default(), true).unwrap();
    let session = Session::connect(&settings).unwrap();
    session.describe_topics(&[topic.to_string()]).unwrap();
    (cluster, session)
}

// Kafka API keys the mock fails.
const LIST_OFFSETS: i16 = 2;
const OFFSET_COMMIT: i16 = 8;
const OFFSET_FETCH: i16 = 9;
const FIND_COORDINATOR: i16 = 10;
// (The mock serves no DescribeGroups, ListGroups or OffsetDelete: those are retried on the
// real broker's restart, below.)

/// Every retriable answer of the rule, on each kind of request the mock serves, is asked
/// again and the call succeeds: `kbp diagnose`, `lag`, `serve` and `offsets` read and write
/// through these calls. (Before issue 20 only the coordinator's three were, and not on
/// ListOffsets.)
#[test]
fn every_retriable_answer_is_asked_again_within_the_deadline() {
    let topic = "retried";
    let (cluster, s) = mock(topic, Duration::from_secs(10));
    let tps = [TopicPartition::new(topic, 0), TopicPartition::new(topic, 1)];
    s.commit_group_offsets("g", &[(tps[0].clone(), 0)]).unwrap();
    let cases: &[(&str, i16, i32)] = &[
        ("ListOffsets: LEADER_NOT_AVAILABLE", LIST_OFFSETS, 5),
        ("ListOffsets: NOT_LEADER_OR_FOLLOWER", LIST_OFFSETS, 6),
        ("ListOffsets: REQUEST_TIMED_OUT", LIST_OFFSETS, 7),
        (
            "OffsetCommit: COORDINATOR_LOAD_IN_PROGRESS",
            OFFSET_COMMIT,
            14,
        ),
        ("OffsetCommit: NOT_COORDINATOR", OFFSET_COMMIT, 16),
        ("OffsetCommit: REBALANCE_IN_PROGRESS", OFFSET_COMMIT, 27),
        ("OffsetFetch: COORDINATOR_NOT_AVAILABLE", OFFSET_FETCH, 15),
        ("OffsetFetch: NOT_COORDINATOR", OFFSET_FETCH, 16),
        (
            "FindCoordinator: COORDINATOR_NOT_AVAILABLE",
            FIND_COORDINATOR,
            15,
        ),
    ];
    let mut failures = Vec::new();
    for (what, api, code) in cases {
        cluster.fail_requests(*api, *code, 2).unwrap();
        let start = Instant::now();
        let outcome: Result<(), String> = match *api {
            LIST_OFFSETS => s
                .list_offsets(&tps, OffsetSpec::Latest)
                .map_err(|e| e.to_string())
                .and_then(|m| match m.values().find_map(|r| r.as_ref().err()) {
                    Some(e) => Err(format!("a partition answered {e}")),
                    None => Ok(()),
                }),
            OFFSET_COMMIT | FIND_COORDINATOR => s
                .commit_group_offsets("g", &[(tps[0].clone(), 0)])
                .map_err(|e| e.to_string())
                .and_then(|parts| match parts.iter().find_map(|(_, e)| e.as_ref()) {
                    Some(e) => Err(format!("a partition answered {e}")),
                    None => Ok(()),
                }),
            OFFSET_FETCH => s
                .group_offsets_in(&["g".into()], &tps)
                .map_err(|e| e.to_string())
                .and_then(|g| g[0].offsets.clone().map(|_| ()).map_err(|e| e.to_string())),
            _ => unreachable!(),
        };
        let took = start.elapsed();
        match outcome {
            Ok(()) if took < Duration::from_secs(5) => {}
            Ok(()) => failures.push(format!("{what}: took {took:?}")),
            Err(e) => failures.push(format!("{what}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An answer that keeps being retriable is asked again until `--timeout` and no longer:
/// then it is a Kafka failure (exit 5), not a hang. One that is not retriable fails at once.
#[test]
fn an_answer_that_never_passes_ends_at_the_timeout_and_a_final_one_at_once() {
    let topic = "never-passes";
    let timeout = Duration::from_secs(2);
    let (cluster, s) = mock(topic, timeout);
    let tp = TopicPartition::new(topic, 0);
    cluster.fail_requests(OFFSET_COMMIT, 16, 10_000).unwrap();
    let start = Instant::now();
    let e = s.commit_group_offsets("g", &[(tp.clone(), 0)]).unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= timeout && took <= timeout + Duration::from_secs(1),
        "took {took:?}: {e}"
    );
    assert_eq!(e.exit_code(), exit::KAFKA, "{e}");
    assert!(e.to_string().contains("NOT_COORDINATOR"), "{e}");

    // A new session: the one above has spent its --timeout.
    let (cluster, s) = mock(topic, timeout);
    cluster.fail_requests(OFFSET_COMMIT, 25, 1).unwrap();
    let start = Instant::now();
    let wrote = s.commit_group_offsets("g", &[(tp, 0)]).unwrap();
    assert!(start.elapsed() < Duration::from_secs(1), "not asked again");
    assert_eq!(wrote[0].1.as_ref().map(|e| e.code), Some(25), "{wrote:?}");
}

/// A cluster that goes away under a session ends a bulk write of many groups within one
/// `--timeout`, not one per group (before: 40 x --timeout).
#[test]
fn a_cluster_gone_ends_a_bulk_write_within_one_timeout() {
    let topic = "gone";
    let timeout = Duration::from_secs(2);
    let (cluster, s) = mock(topic, timeout);
    let tp = TopicPartition::new(topic, 0);
    s.commit_group_offsets("g0", &[(tp.clone(), 0)]).unwrap();
    cluster.set_brokers_up(false).unwrap();
    let start = Instant::now();
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for i in 0..40 {
        let outcome = match s.commit_group_offsets(&format!("g{i}"), &[(tp.clone(), 1)]) {
            Ok(_) => "answered".to_string(),
            Err(e) => format!("exit {}", e.exit_code()),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    let took = start.elapsed();
    assert!(
        took <= timeout + Duration::from_secs(1),
        "40 writes took {took:?}: {outcomes:?}"
    );
    assert_eq!(outcomes.get("exit 3"), Some(&40), "{outcomes:?}");
}

// ---------------------------------------------------------------- a broker of the test's own

/// A broker of the test's own with topic `fz` (2 partitions x 500 records) and `groups`
/// groups `fz-g<i>` committed at offset 1 on both partitions.
fn own_broker(dir: &Path, groups: usize) -> (OwnBroker, String) {
    let broker = OwnBroker::start(&[]);
    let b = broker.bootstrap.clone();
    broker.sh(&[
        "tool",
        "topics",
        "--bootstrap-server",
        &b,
        "--create",
        "--topic",
        "fz",
        "--partitions",
        "2",
    ]);
    broker.sh(&[
        "tool",
        "producer-perf-test",
        "--topic",
        "fz",
        "--num-records",
        "1000",
        "--record-size",
        "20",
        "--throughput",
        "-1",
        "--producer-props",
        &format!("bootstrap.servers={b}"),
        "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner",
    ]);
    let names: Vec<String> = (0..groups).map(|i| format!("fz-g{i}")).collect();
    let file = offsets_file(dir, "start.csv", &names, 1);
    kbp()
        .args(["-b", &b, "offsets", "restore"])
        .arg(&file)
        .args(["--execute", "--restore-dir", &dir.display().to_string()])
        .expect(0);
    (broker, b)
}

/// An offsets file putting every group of `groups` at `offset` on both partitions of `fz`.
/// `kbp offsets restore --execute` (`--timeout 3s`) of `groups` at offset 5 on broker `b`,
/// returned once every group's restore file is saved (its writes begin).
fn restore_started(dir: &Path, b: &str, restore_dir: &str, groups: &[String]) -> Proc {
    let file = offsets_file(dir, "b.csv", groups, 5);
    let mut p = kbp()
        .args([
            "-b",
            b,
            "--timeout",
            "3s",
            "offsets",
            "restore",
            &file,
            "--execute",
        ])
        .args(["--restore-dir", restore_dir, "-o", "json"])
        .start(dir, "restore");
    wait_until("the restore files", Duration::from_secs(60), || {
        assert!(p.running(), "ended early: {}", p.stderr());
        p.stderr().matches("saved to").count() >= groups.len()
    });
    p
}

fn offsets_file(dir: &Path, name: &str, groups: &[String], offset: i64) -> String {
    let text: String = groups
        .iter()
        .flat_map(|g| (0..2).map(move |p| format!("{g},fz,{p},{offset}\n")))
        .collect();
    write_file(dir, name, &text).display().to_string()
}

/// The broker's JVM, from `kafka.sh status` (`… pid=N …`).
fn broker_pid(broker: &OwnBroker) -> i32 {
    let status = broker.sh(&["status"]);
    status
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pid=")?.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {status:?}"))
}

/// SIGSTOP to the broker; SIGCONT when dropped, whatever the test's outcome.
struct Frozen(i32);

impl Frozen {
    fn now(broker: &OwnBroker) -> (Frozen, Instant) {
        let pid = broker_pid(broker);
        // SAFETY: kill(2) on the broker JVM the test started (its own run dir).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
        (Frozen(pid), Instant::now())
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        // SAFETY: as above.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

/// What the groups matching `regex` have committed on `fz`, read by kbp itself.
///
/// Asked again while it cannot reach the cluster (exit 3), for up to two minutes: a broker
/// thawed after a pause longer than its session (3 s here) is fenced and unfenced at once,
/// and a librdkafka client that starts then can be told the cluster has no broker and not
/// ask again for its --timeout (ListConsumerGroups; docs/testing.md). The truth is what
/// the broker holds once it is whole again.
fn truth(b: &str, regex: &str) -> HashMap<(String, i32), i64> {
    let asked = Instant::now();
    let r = loop {
        let r = kbp()
            .args(["-b", b, "--timeout", "30s", "offsets", "export"])
            .args(["--group-regex", regex, "-o", "json"])
            .run();
        if r.code != 3 || asked.elapsed() > Duration::from_secs(120) {
            break r;
        }
        eprintln!("deadlines: the truth asked again: {}", r.stderr.trim());
    };
    assert_eq!(r.code, 0, "kbp {:?}\nstderr:\n{}", r.args, r.stderr);
    let v: serde_json::Value = r.json();
    let mut out = HashMap::new();
    for g in v["groups"].as_array().unwrap() {
        for o in g["offsets"].as_array().unwrap() {
            out.insert(
                (
                    g["group"].as_str().unwrap().to_string(),
                    o["partition"].as_i64().unwrap() as i32,
                ),
                o["offset"].as_i64().unwrap(),
            );
        }
    }
    out
}

/// Checks an executed offsets report (JSON) against what the groups committed: nothing is
/// left `planned`, `moved` moved, `failed` did not, and whatever moved is `moved` or
/// `unknown` (never "0 moved" for what did). Returns the count of each status.
fn check_report(report: &str, truth: &HashMap<(String, i32), i64>) -> HashMap<String, usize> {
    let v: serde_json::Value = serde_json::from_str(report)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {report}"));
    assert_eq!(v["executed"], true, "{v}");
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut bad = Vec::new();
    for g in v["groups"].as_array().unwrap() {
        let group = g["group"].as_str().unwrap();
        for p in g["partitions"].as_array().unwrap() {
            let status = p["status"].as_str().unwrap().to_string();
            let partition = p["partition"].as_i64().unwrap() as i32;
            let now = truth.get(&(group.to_string(), partition)).copied();
            let new = p["new_offset"].as_i64();
            let before = p["current_offset"].as_i64();
            let moved = now == new && now != before;
            match status.as_str() {
                "moved" if now != new => {
                    bad.push(format!("{group}/{partition}: moved, but at {now:?}"))
                }
                "failed" if now != before => {
                    bad.push(format!("{group}/{partition}: failed, but at {now:?}"))
                }
                "planned" => bad.push(format!("{group}/{partition}: still planned")),
                "unknown" | "moved" | "failed" | "unchanged" => {}
                other => bad.push(format!("{group}/{partition}: status {other}")),
            }
            if moved && !(status == "moved" || status == "unknown") {
                bad.push(format!("{group}/{partition}: moved, reported {status}"));
            }
            *counts.entry(status).or_default() += 1;
        }
    }
    assert!(bad.is_empty(), "{}\n{counts:?}", bad.join("\n"));
    counts
}

/// After `at` (the fault), the process must end within `bound`.
fn ended_within(p: &mut Proc, at: Instant, bound: Duration) -> i32 {
    let st = p.wait(bound + Duration::from_secs(20));
    let took = p.exited_at().unwrap() - at;
    assert!(
        took <= bound,
        "ended {took:?} after the fault, bound {bound:?}; stderr:\n{}",
        p.stderr()
    );
    st.code().unwrap_or(-1)
}

/// A frozen cluster (SIGSTOP: connections open, nothing answered) ends every command within
/// `--timeout` + 1 s of the freeze, and the reports say exactly what was written.
#[test]
fn a_frozen_cluster_ends_each_command_within_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let groups = 200;
    let (broker, b) = own_broker(dir.path(), groups);
    let names: Vec<String> = (0..groups).map(|i| format!("fz-g{i}")).collect();
    let bound = Duration::from_secs(3 + 1);

    // 1. A bulk restore frozen as its writes begin (before: 3 s per group, then 0 moved).
    let mut p = restore_started(dir.path(), &b, &d, &names);
    let (frozen, at) = Frozen::now(&broker);
    let code = ended_within(&mut p, at, bound);
    drop(frozen);
    assert_eq!(code, 5, "{}", p.stderr());
    let stderr = p.stderr();
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("kbp: Alter"))
        .count();
    assert_eq!(errors, 1, "one error line: {stderr}");
    let counts = check_report(&p.stdout(), &truth(&b, "fz-g.*"));
    assert!(
        counts.get("unknown").copied().unwrap_or(0) > 0,
        "{counts:?}"
    );

    // 2. Commands started against the frozen cluster end at --timeout, with exit 3.
    for args in [
        "lag --all-groups",
        "offsets reset --group-regex fz-g.* -t fz --to-latest --execute",
        "group delete fz-g1 fz-g2 --execute",
        "diagnose --window 10s --samples 3",
        "offsets export --group-regex fz-g.*",
    ] {
        let (frozen, at) = Frozen::now(&broker);
        let mut p = kbp()
            .args(["-b", &b, "--timeout", "3s"])
            .args(args.split(' '))
            .args(
                ["--restore-dir", &d]
                    .iter()
                    .filter(|_| args.contains("--execute")),
            )
            .start(dir.path(), "frozen");
        let code = ended_within(&mut p, at, bound);
        drop(frozen);
        assert_eq!(code, 3, "kbp {args}: {}", p.stderr());
    }

    // 3. A drain whose cluster freezes says so within --timeout, and a SIGTERM then ends
    //    it within its shutdown bound (before: the last commit waited for the cluster).
    let out = dir.path().join("drained.jsonl");
    let mut drain = kbp()
        .args([
            "-b",
            &b,
            "--timeout",
            "3s",
            "drain",
            "-g",
            "fz-drain",
            "-t",
            "fz",
        ])
        .args([
            "--rate",
            "100/s",
            "--shutdown-timeout",
            "2s",
            "--summary",
            "json",
        ])
        .args(["--sink", &format!("file:{}", out.display())])
        .start(dir.path(), "drain");
    drain.wait_for_lines(&out, 150, Duration::from_secs(60));
    let (frozen, at) = Frozen::now(&broker);
    wait_until(
        "the drain to say the cluster is silent",
        Duration::from_secs(10),
        || drain.stderr().contains("no answer from the cluster"),
    );
    let told = at.elapsed();
    assert!(
        told <= bound + Duration::from_secs(1),
        "told after {told:?}"
    );
    drain.signal(libc::SIGTERM);
    let term = Instant::now();
    // In-flight records get --shutdown-timeout, the last commit and the leave as much.
    let code = ended_within(&mut drain, term, Duration::from_secs(2 + 2 + 1));
    drop(frozen);
    assert_eq!(code, 0, "{}", drain.stderr());
    let delivered = records_in(&out, "fz", false);
    let committed = truth(&b, "fz-drain");
    for ((_, p), off) in &committed {
        let upto = delivered
            .iter()
            .filter(|(q, _)| q == p)
            .map(|(_, o)| o + 1)
            .max();
        assert!(
            upto.is_some_and(|u| *off <= u),
            "partition {p}: committed {off}, delivered up to {upto:?}"
        );
    }
}

/// kill -9 of the broker: a bulk restore under way ends within `--timeout` + 1 s and its
/// report is true; commands started while it comes back (coordinator loading, leaders
/// not yet known) are asked again within their deadline and give a verdict; a drain
/// whose broker dies says so and stops within its shutdown bound.
#[test]
fn a_killed_broker_ends_commands_in_time_and_its_restart_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let groups = 200;
    let (broker, b) = own_broker(dir.path(), groups);
    let names: Vec<String> = (0..groups).map(|i| format!("fz-g{i}")).collect();
    let bound = Duration::from_secs(3 + 1);
    let kill = |broker: &OwnBroker| {
        let pid = broker_pid(broker);
        // SAFETY: kill(2) on the broker JVM the test started (its own run dir).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
        Instant::now()
    };

    // 1. A bulk restore whose broker dies as its writes begin (the first ten groups are
    //    left to step 2).
    let mut p = restore_started(dir.path(), &b, &d, &names[10..]);
    let at = kill(&broker);
    let code = ended_within(&mut p, at, bound);
    assert!(code == 5 || code == 3, "exit {code}: {}", p.stderr());

    // 2. Commands started as soon as it listens again get a verdict, not an error.
    let port: u16 = b.rsplit(':').next().unwrap().parse().unwrap();
    // Its pid file names a dead JVM: `stop` clears it, keeping the data.
    broker.sh(&["stop"]);
    let started = std::thread::scope(|s| {
        let up = s.spawn(|| broker.sh(&["start"]));
        wait_until("the broker to listen", Duration::from_secs(120), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        let runs: Vec<_> = [
            "lag -g fz-g0",
            "diagnose --once -g fz-g0 --fail-on never",
            "offsets reset -g fz-g3 -t fz --to-latest --execute",
            "offsets delete -g fz-g4 -t fz:1 --execute",
            "group delete fz-g5 --execute",
        ]
        .into_iter()
        .map(|args| {
            let d = d.clone();
            let b = b.clone();
            s.spawn(move || {
                let mut cmd = kbp()
                    .args(["-b", &b, "--timeout", "30s"])
                    .args(args.split(' '));
                if args.contains("--execute") {
                    cmd = cmd.args(["--restore-dir", &d]);
                }
                (args, cmd.run())
            })
        })
        .collect();
        let out: Vec<_> = runs.into_iter().map(|h| h.join().unwrap()).collect();
        up.join().unwrap();
        out
    });
    for (args, r) in &started {
        assert_eq!(
            r.code, 0,
            "kbp {args} while the broker starts: {}",
            r.stderr
        );
        assert!(
            r.elapsed < Duration::from_secs(30),
            "kbp {args} took {:?}",
            r.elapsed
        );
        if args.starts_with("lag --all-groups") {
            // Before its coordinator runs, the broker lists no group, without an error.
            let listed = r.json::<serde_json::Value>()["groups"]
                .as_array()
                .map_or(0, Vec::len);
            assert!(listed >= groups - 1, "listed {listed} groups: {}", r.stdout);
        }
    }
    let counts = check_report(&p.stdout(), &truth(&b, "fz-g.*"));
    assert!(!counts.contains_key("planned"), "{counts:?}");

    // 3. A drain whose broker dies.
    let out = dir.path().join("drained.jsonl");
    let mut drain = kbp()
        .args([
            "-b",
            &b,
            "--timeout",
            "3s",
            "drain",
            "-g",
            "fz-kill",
            "-t",
            "fz",
        ])
        .args([
            "--rate",
            "100/s",
            "--shutdown-timeout",
            "2s",
            "--summary",
            "json",
        ])
        .args(["--sink", &format!("file:{}", out.display())])
        .start(dir.path(), "drain");
    drain.wait_for_lines(&out, 150, Duration::from_secs(60));
    let at = kill(&broker);
    wait_until(
        "the drain to say the cluster is silent",
        Duration::from_secs(10),
        || drain.stderr().contains("no answer from the cluster"),
    );
    let told = at.elapsed();
    assert!(
        told <= bound + Duration::from_secs(1),
        "told after {told:?}"
    );
    drain.signal(libc::SIGTERM);
    let code = ended_within(&mut drain, Instant::now(), Duration::from_secs(2 + 2 + 1));
    assert_eq!(code, 0, "{}", drain.stderr());
}
