//! The rdkafka-sys admin wrappers of `kbp::kafka::Session`, each against the real broker.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kbp::config;
use kbp::kafka::{GroupOffsets, GroupState, GroupType, Node, OffsetSpec, Session, TopicPartition};

use crate::common::*;

fn session() -> Session {
    let global = config::Overrides {
        bootstrap_server: Some(bootstrap().to_string()),
        timeout: Some(Duration::from_secs(15)),
        ..Default::default()
    };
    Session::connect(&config::merge(&global, None, &Default::default(), true).unwrap()).unwrap()
}

#[test]
fn list_and_describe_groups_of_both_protocols() {
    let topic = unique("adm-groups");
    create_topic(&topic, 2);
    let classic = unique("adm-classic");
    let kip848 = unique("adm-kip848");
    let empty = unique("adm-empty");
    let _a = Member::join(&classic, &[&topic], "classic", &[]);
    let _b = Member::join(&kip848, &[&topic], "consumer", &[]);
    commit(&empty, &[(&topic, 0, 0)]);
    let s = session();

    let (all, errors) = s.list_groups(&[]).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let find = |g: &str| {
        all.iter()
            .find(|l| l.group == g)
            .unwrap_or_else(|| panic!("{g} not listed"))
    };
    assert_eq!(find(&classic).group_type, GroupType::Classic);
    assert_eq!(find(&kip848).group_type, GroupType::Consumer);
    assert_eq!(find(&empty).state, GroupState::Empty);
    let (only_empty, _) = s.list_groups(&[GroupState::Empty]).unwrap();
    assert!(only_empty.iter().all(|g| g.state == GroupState::Empty));
    assert!(
        only_empty.iter().any(|g| g.group == empty)
            && !only_empty.iter().any(|g| g.group == kip848)
    );

    let described = s
        .describe_groups(&[
            classic.clone(),
            kip848.clone(),
            empty.clone(),
            "adm-missing-group".into(),
        ])
        .unwrap();
    assert_eq!(described.len(), 4);
    let d = |g: &str| described.iter().find(|d| d.group == g).unwrap();
    for g in [&classic, &kip848] {
        let d = d(g);
        assert_eq!(d.state, GroupState::Stable, "{d:?}");
        assert_eq!(d.members.len(), 1);
        assert_eq!(d.members[0].assignment.len(), 2, "{d:?}");
        assert!(d.coordinator.as_ref().is_some_and(|c| c.port > 0));
        assert!(!d.members[0].consumer_id.is_empty());
    }
    assert_eq!(d(&classic).group_type, GroupType::Classic);
    assert_eq!(d(&kip848).group_type, GroupType::Consumer);
    assert!(
        d(&kip848).members[0].target_assignment.is_some(),
        "KIP-848 groups report a target assignment"
    );
    assert_eq!(d(&empty).state, GroupState::Empty);
    let missing = d("adm-missing-group");
    assert!(
        missing.state == GroupState::Dead || missing.error.is_some(),
        "{missing:?}"
    );
}

#[test]
fn group_offsets_many_groups_concurrently() {
    let topic = unique("adm-offsets");
    create_topic(&topic, 3);
    let groups: Vec<String> = (0..300)
        .map(|i| format!("{}-{i}", unique("adm-off")))
        .collect();
    for (i, g) in groups.iter().enumerate() {
        commit(g, &[(&topic, (i % 3) as i32, i as i64)]);
    }
    let s = session();
    let mut res = s.group_offsets(&groups).unwrap();
    assert_eq!(res.len(), 300, "more groups than one in-flight window");
    res.sort_by_key(|g| groups.iter().position(|n| *n == g.group).unwrap());
    for (i, g) in res.iter().enumerate() {
        let offs = g.offsets.as_ref().unwrap();
        assert_eq!(
            offs,
            &vec![(TopicPartition::new(&topic, (i % 3) as i32), Some(i as i64))]
        );
    }
    let none = s.group_offsets(&[unique("adm-no-commits")]).unwrap();
    assert_eq!(none[0].offsets.as_ref().unwrap().len(), 0);
}

/// The batched OffsetFetch (one request per coordinator) gives what one librdkafka call per
/// group gives: for groups with and without commits, with a partition filter, and for
/// groups whose coordinator is unknown or unreachable (asked through librdkafka instead).
#[test]
fn batched_group_offsets_match_one_call_per_group() {
    let topic = unique("adm-batch");
    create_topic(&topic, 3);
    // Enough groups for kbp to batch them (its BATCH_MIN is 64).
    let groups: Vec<String> = (0..70)
        .map(|i| format!("{}-{i}", unique("adm-batch-g")))
        .collect();
    for (i, g) in groups.iter().enumerate().skip(1) {
        let commits: Vec<(&str, i32, i64)> = (0..(i % 3) as i32 + 1)
            .map(|p| (topic.as_str(), p, (i * 10) as i64 + p as i64))
            .collect();
        commit(g, &commits);
    }
    let s = session();
    let described = s.describe_groups(&groups).unwrap();
    let coordinators: HashMap<&str, &Node> = described
        .iter()
        .filter_map(|d| Some((d.group.as_str(), d.coordinator.as_ref()?)))
        .collect();
    assert_eq!(coordinators.len(), groups.len(), "{described:?}");
    let sorted = |mut v: Vec<GroupOffsets>| {
        v.sort_by(|a, b| a.group.cmp(&b.group));
        for g in &mut v {
            if let Ok(o) = &mut g.offsets {
                o.sort();
            }
        }
        v
    };
    let one_by_one = sorted(s.group_offsets(&groups).unwrap());
    let batched = s.group_offsets_batched(&groups, &coordinators, None);
    assert_eq!(
        batched.len(),
        groups.len(),
        "every group answered in the batch"
    );
    assert_eq!(
        sorted(s.group_offsets_via(&groups, &coordinators, None).unwrap()),
        one_by_one
    );
    let g5 = one_by_one.iter().find(|g| g.group == groups[5]).unwrap();
    assert_eq!(g5.offsets.as_ref().unwrap().len(), 3, "{g5:?}");

    let only = [
        TopicPartition::new(&topic, 1),
        TopicPartition::new(&topic, 2),
    ];
    let want = sorted(s.group_offsets_in(&groups, &only).unwrap());
    assert_eq!(
        sorted(
            s.group_offsets_via(&groups, &coordinators, Some(&only))
                .unwrap()
        ),
        want
    );

    // Without a coordinator, or with one that refuses connections: librdkafka's way.
    let nowhere = Node {
        id: 99,
        host: "127.0.0.1".into(),
        // A port nothing listens on once the listener is dropped.
        port: std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port(),
        rack: None,
    };
    let mut partly: HashMap<&str, &Node> = coordinators.clone();
    partly.remove(groups[3].as_str());
    for g in &groups[10..20] {
        partly.insert(g, &nowhere);
    }
    let batched = s.group_offsets_batched(&groups, &partly, None);
    assert_eq!(
        batched.len(),
        groups.len() - 11,
        "only the reachable coordinator's groups"
    );
    assert_eq!(
        sorted(s.group_offsets_via(&groups, &partly, None).unwrap()),
        one_by_one
    );
}

#[test]
fn list_offsets_earliest_latest_max_timestamp() {
    let topic = unique("adm-list-offsets");
    create_topic(&topic, 2);
    let t0 = now_ms() - 100_000;
    produce(&topic, 0, 10, t0, 1000);
    delete_records(&topic, 0, 4);
    let s = session();
    let tps = [
        TopicPartition::new(&topic, 0),
        TopicPartition::new(&topic, 1),
        TopicPartition::new("adm-no-such-topic", 0),
    ];
    let earliest = s.list_offsets(&tps, OffsetSpec::Earliest).unwrap();
    let latest = s.list_offsets(&tps, OffsetSpec::Latest).unwrap();
    let max_ts = s.list_offsets(&tps[..1], OffsetSpec::MaxTimestamp).unwrap();
    assert_eq!(earliest[&tps[0]].as_ref().unwrap().offset, 4);
    assert_eq!(latest[&tps[0]].as_ref().unwrap().offset, 10);
    assert_eq!(earliest[&tps[1]].as_ref().unwrap().offset, 0);
    assert_eq!(latest[&tps[1]].as_ref().unwrap().offset, 0);
    let m = max_ts[&tps[0]].as_ref().unwrap();
    assert_eq!((m.offset, m.timestamp), (9, t0 + 9000));
    assert!(
        latest.get(&tps[2]).is_none_or(|r| r.is_err()),
        "unknown topic is an error, not an offset"
    );
}

#[test]
fn record_times_read_again_only_what_may_have_changed() {
    use kbp::kafka::RecordTime::At;
    let topic = unique("adm-record-times");
    create_topic(&topic, 1);
    let t0 = now_ms() - 100_000;
    produce(&topic, 0, 10, t0, 1000);
    let s = session();
    let tp = TopicPartition::new(&topic, 0);
    let at = |wanted: &[(i64, i64)]| {
        let asked: Vec<_> = wanted
            .iter()
            .map(|(o, end)| (tp.clone(), *o, *end))
            .collect();
        let times = s.record_times(&asked).unwrap();
        let mut found: Vec<_> = times[&tp].iter().map(|(o, t)| (*o, *t)).collect();
        found.sort_by_key(|(o, _)| *o);
        found
    };
    assert_eq!(
        at(&[(3, 10), (5, 10)]),
        [(3, At(t0 + 3000)), (5, At(t0 + 5000))]
    );
    // A position that moved is read; one that did not is remembered.
    assert_eq!(
        at(&[(3, 10), (7, 10)]),
        [(3, At(t0 + 3000)), (7, At(t0 + 7000))]
    );
    // The topic made again with other records: its log end went back, so nothing
    // remembered of it is trusted.
    recreate_topic(&topic, 1);
    let t1 = t0 + 50_000;
    produce(&topic, 0, 6, t1, 1000);
    assert_eq!(at(&[(3, 6)]), [(3, At(t1 + 3000))]);
}

#[test]
fn describe_cluster_and_topics() {
    let topic = unique("adm-topics");
    create_topic(&topic, 3);
    let s = session();
    let c = s.describe_cluster().unwrap();
    assert_eq!(c.nodes.len(), 1);
    assert!(c.cluster_id.as_ref().is_some_and(|id| !id.is_empty()));
    assert_eq!(
        c.controller.as_ref().map(|n| n.id),
        Some(c.nodes[0].id),
        "KRaft combined node is its own controller"
    );
    assert_eq!(c.nodes[0].address(), bootstrap());

    let t = s
        .describe_topics(&[topic.clone(), "adm-no-such-topic".into()])
        .unwrap();
    let ours = t.iter().find(|d| d.name == topic).unwrap();
    assert!(ours.error.is_none());
    assert_eq!(ours.partitions.len(), 3);
    assert!(ours
        .partitions
        .iter()
        .all(|p| p.leader == Some(c.nodes[0].id)
            && p.replicas == vec![c.nodes[0].id]
            && p.isr == p.replicas));
    let missing = t.iter().find(|d| d.name == "adm-no-such-topic").unwrap();
    assert_eq!(missing.error.as_ref().map(|e| e.code), Some(3));
}

/// A mock cluster of two brokers with `topic`, and a session on it.
fn mock_with_topic(topic: &str) -> (kbp::kafka::mock::DemoCluster, Session) {
    crate::deadlines::mock(topic, Duration::from_secs(10))
}

/// librdkafka 2.12 answers a NOT_COORDINATOR to ListConsumerGroupOffsets by asking the
/// client's own consumer group to look up its coordinator, and a client without one
/// crashed the process (librdkafka#5040): `kbp lag` during a coordinator move, or a drain
/// right after a broker restart. On the mock cluster, where the coordinator moves at will.
#[test]
fn a_moving_coordinator_is_asked_again_not_a_crash() {
    let (cluster, session) = mock_with_topic("moving");
    let partition = [TopicPartition::new("moving", 0)];
    // Answered once, so the moves below hit a session that is already connected.
    session.group_offsets_in(&["g".into()], &partition).unwrap();
    cluster.move_coordinators(2);
    let got = session.group_offsets_in(&["g".into()], &partition).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].offsets.as_ref().map(Vec::len), Ok(0), "{got:?}");
}

/// AlterConsumerGroupOffsets goes through the admin client: its answer handling leaves the
/// client's (absent) group alone, so a coordinator that moves is asked again, not a crash.
#[test]
fn offsets_written_while_the_coordinator_moves_land() {
    let (cluster, session) = mock_with_topic("moved");
    let partition = TopicPartition::new("moved", 0);
    let wrote = session
        .commit_group_offsets("g", &[(partition.clone(), 0)])
        .unwrap();
    assert_eq!(wrote, vec![(partition.clone(), None)]);
    cluster.move_coordinators(2);
    let wrote = session
        .commit_group_offsets("g", &[(partition.clone(), 0)])
        .unwrap();
    assert_eq!(wrote, vec![(partition.clone(), None)]);
    let got = session
        .group_offsets_in(&["g".into()], std::slice::from_ref(&partition))
        .unwrap();
    assert_eq!(got[0].offsets, Ok(vec![(partition, Some(0))]));
}

/// librdkafka#4605 (its fix, confluentinc/librdkafka#5397, is not released): an admin
/// request whose librdkafka timeout passes while it waits for a coordinator that is down
/// leaves its coordinator request behind, and when the coordinator comes back that request
/// frees the reply's once-only handle and reads it again: `rd_kafka_enq_once_del_source_return:
/// Assertion 'eonce->refcnt > 0' failed`, SIGABRT. kbp's requests live in librdkafka past
/// kbp's own deadline, so the coordinator's return finds them alive. In a child process (the
/// abort would take the test binary with it), on the mock cluster, several times.
#[test]
fn a_request_abandoned_while_the_coordinator_is_down_cannot_abort_the_process() {
    const TEST: &str = "a_request_abandoned_while_the_coordinator_is_down_cannot_abort_the_process";
    if std::env::var_os("KBP_ABANDONED_CHILD").is_some() {
        abandon_requests_while_the_coordinator_is_down();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &format!("admin::{TEST}"), "--nocapture"])
        .env("KBP_ABANDONED_CHILD", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn abandon_requests_while_the_coordinator_is_down() {
    let (cluster, session) = crate::deadlines::mock("abandoned", Duration::from_secs(1));
    let partition = [TopicPartition::new("abandoned", 0)];
    session
        .commit_group_offsets("g", &[(partition[0].clone(), 0)])
        .unwrap();
    for round in 0..3 {
        cluster.set_brokers_up(false).unwrap();
        let started = Instant::now();
        let groups: Vec<String> = (0..8).map(|i| format!("g{round}-{i}")).collect();
        assert!(session.group_offsets_in(&groups, &partition).is_err());
        assert!(session
            .commit_group_offsets("g", &[(partition[0].clone(), 1)])
            .is_err());
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{:?}",
            started.elapsed()
        );
        // The session lives on (as a serve's does until its refresh ends) while the
        // coordinator comes back and the requests left behind are sent.
        cluster.set_brokers_up(true).unwrap();
        session.idle(Duration::from_secs(3));
    }
}
