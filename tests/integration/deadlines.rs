//! Issue 20, classes 3 and 4: one deadline per command, and retriable answers asked again
//! within it. Faults a row cannot express: answers injected by librdkafka's mock cluster
//! (every error of the retry rule, on each request kind), a cluster that goes down under a
//! session, and a real broker of the test's own that is frozen (SIGSTOP) or killed during
//! a command. Each asserts the exit (or error), the bound in time, and what must not
//! happen: a commit not processed, "moved" for what did not move, "0 moved" for what did.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kbp::config;
use kbp::error::exit;
use kbp::kafka::mock::DemoCluster;
use kbp::kafka::{OffsetSpec, Session, TopicPartition};

/// A mock cluster of two brokers with `topic` (two partitions), and a session on it with
/// `timeout`, already answered once.
fn mock(topic: &str, timeout: Duration) -> (DemoCluster, Session) {
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
