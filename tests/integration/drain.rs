//! `kbp drain` against the real broker: commits only what was processed, stops where told,
//! applies backpressure, honours failure policies and ordering.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::common::*;

/// Committed offset per partition of `group`, as Apache's tool reports it.
fn committed(group: &str) -> BTreeMap<(String, i32), Option<i64>> {
    apache_describe(group)
        .into_iter()
        .map(|(k, (cur, _, _))| (k, cur))
        .collect()
}

#[test]
fn until_end_to_a_file_processes_and_commits_everything() {
    let topic = topic_with("drain-file", 3, 100);
    let group = unique("g-drain-file");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let sink = format!("file:{}", out.display());
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args(["--summary", "json", "-q"])
        .expect(0);
    let s = r.summary();
    assert_eq!(s["processed"], 300, "{s}");
    assert_eq!(s["stop_reason"], "done");
    assert_eq!(s["commit_failures"], 0);
    let lines = json_lines(&out, false);
    assert_eq!(lines.len(), 300);
    let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
    for l in &lines {
        assert_eq!(l["topic"], topic.as_str());
        *seen
            .entry((
                l["partition"].as_i64().unwrap(),
                l["offset"].as_i64().unwrap(),
            ))
            .or_default() += 1;
        assert!(l["value"].as_str().unwrap().starts_with("record-"));
    }
    assert_eq!(seen.len(), 300, "every offset once");
    for p in 0..3 {
        assert_eq!(committed(&group)[&(topic.clone(), p)], Some(100));
    }
    // Nothing left: a second run processes nothing and still exits 0.
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, "null")
        .args(["--summary", "json", "-q"])
        .expect(0);
    assert_eq!(r.summary()["processed"], 0);
}

#[test]
fn head_n_5_commits_exactly_5() {
    let topic = topic_with("drain-head", 3, 50);
    let group = unique("g-drain-head");
    let (status, stderr) = kbp_piped(
        &format!("drain -g {group} -t {topic} -q"),
        "head -n 5 > /dev/null",
    );
    assert_eq!(status, "0", "stderr: {stderr}");
    let total: i64 = committed(&group).values().map(|c| c.unwrap_or(0)).sum();
    assert_eq!(
        total,
        5,
        "exactly the 5 records head read are committed: {:?}",
        committed(&group)
    );
}

#[test]
fn slow_sink_pauses_and_resumes_within_the_bound() {
    let topic = topic_with("drain-slow", 2, 150);
    let group = unique("g-drain-slow");
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, "exec:sleep 0.005")
        .args([
            "--workers",
            "2",
            "--high-water",
            "20",
            "--low-water",
            "5",
            "--summary",
            "json",
            "-q",
        ])
        .expect(0);
    let s = r.summary();
    assert_eq!(s["processed"], 300, "{s}");
    let pauses = s["pauses"].as_u64().unwrap() + s["partition_pauses"].as_u64().unwrap();
    assert!(pauses >= 2, "paused under backpressure: {s}");
    assert!(
        s["max_queued"].as_u64().unwrap() <= 21,
        "queue bound held: {s}"
    );
    assert_eq!(s["commit_failures"], 0);
    assert_eq!(
        s["rebalances"], 2,
        "one assignment, one final revoke: never kicked out: {s}"
    );
}

#[test]
fn stop_on_failure_never_commits_past_the_failed_record() {
    let topic = topic_with("drain-fail", 1, 20);
    let group = unique("g-drain-fail");
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, "exec:test \"$KBP_OFFSET\" != 7")
        .args([
            "--retries",
            "2",
            "--backoff-initial",
            "1ms",
            "--backoff-max",
            "5ms",
            "--workers",
            "4",
            "--summary",
            "json",
            "-q",
        ])
        .expect(6);
    let s = r.summary();
    assert_eq!(s["stop_reason"], "failed", "{s}");
    assert_eq!(
        s["retries"], 0,
        "retries count only successes after a retry"
    );
    assert!(
        r.stderr.contains("drain stopped on a failed record"),
        "{}",
        r.stderr
    );
    assert_eq!(committed(&group)[&(topic.clone(), 0)], Some(7));
}

#[test]
fn skip_and_dead_letter_go_on() {
    let topic = topic_with("drain-skip", 1, 20);
    let group = unique("g-drain-skip");
    let fail7 = "exec:test \"$KBP_OFFSET\" != 7";
    let r = kbp()
        .broker()
        .args([
            "drain",
            "-g",
            &group,
            "-t",
            &topic,
            "--until",
            "end",
            "--sink",
            fail7,
            "--retries",
            "1",
            "--backoff-initial",
            "1ms",
            "--on-failure",
            "skip",
            "--summary",
            "json",
            "-q",
        ])
        .expect(0);
    let s = r.summary();
    assert_eq!(
        (s["processed"].as_u64(), s["skipped"].as_u64()),
        (Some(19), Some(1)),
        "{s}"
    );
    assert_eq!(committed(&group)[&(topic.clone(), 0)], Some(20));

    let dlq = unique("drain-dlq");
    create_topic(&dlq, 1);
    let group2 = unique("g-drain-dlq");
    let on_failure = format!("dlq:{dlq}");
    let r = kbp()
        .broker()
        .args([
            "drain",
            "-g",
            &group2,
            "-t",
            &topic,
            "--until",
            "end",
            "--sink",
            fail7,
            "--retries",
            "0",
            "--on-failure",
            &on_failure,
            "--summary",
            "json",
            "-q",
        ])
        .expect(0);
    assert_eq!(r.summary()["dead_lettered"], 1);
    // The dead letter carries the error and its origin.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dlq.jsonl");
    let sink = format!("file:{}", out.display());
    kbp()
        .broker()
        .args([
            "drain",
            "-g",
            &unique("g-read-dlq"),
            "-t",
            &dlq,
            "--until",
            "end",
            "--sink",
            &sink,
            "-q",
        ])
        .expect(0);
    let lines = json_lines(&out, false);
    assert_eq!(lines.len(), 1);
    // Headers are a list of {key, value}; look the dead letter's up by name.
    let h: serde_json::Map<String, serde_json::Value> = lines[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| (kv["key"].as_str().unwrap().to_string(), kv["value"].clone()))
        .collect();
    assert_eq!(h["kbp.origin.topic"], topic.as_str());
    assert_eq!(h["kbp.origin.offset"], "7");
    assert!(h["kbp.error"].as_str().unwrap().contains("exited"), "{h:?}");
    assert_eq!(lines[0]["value"], "record-7");
}

#[test]
fn partition_ordering_holds_with_many_workers() {
    let topic = topic_with("drain-order", 3, 60);
    let group = unique("g-drain-order");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    let sink = format!("file:{}", out.display());
    kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args(["--workers", "8", "-q"])
        .expect(0);
    let mut last: HashMap<i64, i64> = HashMap::new();
    for l in json_lines(&out, false) {
        let (p, o) = (
            l["partition"].as_i64().unwrap(),
            l["offset"].as_i64().unwrap(),
        );
        if let Some(prev) = last.insert(p, o) {
            assert!(o > prev, "partition {p}: offset {o} after {prev}");
        }
    }
    assert_eq!(last.len(), 3);
}

#[test]
fn partition_ordering_with_a_slow_sink_keeps_every_partition_moving() {
    // One partition's fetch run must not fill the queue: with a share of 60 / 6 = 10 per
    // partition, the partitions over it are paused and read again later, so six lanes
    // work at once. Reading again must neither skip nor repeat a record.
    let topic = topic_with("drain-fair", 6, 100);
    let group = unique("g-drain-fair");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    let sink = logging_sink(&out, "0.02");
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args([
            "--workers",
            "6",
            "--high-water",
            "60",
            "--low-water",
            "30",
            "--summary",
            "json",
            "-q",
        ])
        .expect(0);
    let s = r.summary();
    assert_eq!(s["processed"], 600);
    assert!(s["partition_pauses"].as_u64().unwrap() > 0, "{s}");
    let done: Vec<(i64, i64)> = exec_lines(&out)
        .iter()
        .map(|l| (l[0].parse().unwrap(), l[1].parse().unwrap()))
        .collect();
    let first: HashSet<i64> = done.iter().take(30).map(|(p, _)| *p).collect();
    assert!(
        first.len() >= 4,
        "the first 30 records came from {first:?} only"
    );
    let mut next: HashMap<i64, i64> = HashMap::new();
    for (p, o) in &done {
        let want = next.entry(*p).or_insert(0);
        assert_eq!(o, want, "partition {p}: offset {o} where {want} was due");
        *want += 1;
    }
    assert!((0..6).all(|p| next[&p] == 100), "{next:?}");
}

#[test]
fn bad_flags_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--sink", "kafka"),
        ("--on-failure", "retry"),
        ("--until", "soon"),
        ("--from", "middle"),
        ("--rate", "fast"),
    ] {
        let r = kbp()
            .broker()
            .args(["drain", "-g", "g", "-t", "t", flag, value])
            .expect(2);
        assert!(r.stderr.contains(flag), "{flag}: {}", r.stderr);
    }
    let r = kbp()
        .broker()
        .args([
            "drain",
            "-g",
            "g",
            "-t",
            "t",
            "--high-water",
            "5",
            "--low-water",
            "9",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("--low-water") || r.stderr.contains("--high-water"),
        "{}",
        r.stderr
    );
    let r = kbp()
        .broker()
        .args([
            "drain",
            "-g",
            "g",
            "-t",
            "no-such-topic-kbp-drain",
            "--until",
            "end",
        ])
        .expect(4);
    assert!(r.stderr.contains("no-such-topic-kbp-drain"));
}

#[test]
fn consumer_protocol_group_drains_and_commits() {
    let topic = topic_with("drain-kip848", 3, 40);
    let group = unique("g-drain-kip848");
    let r = kbp()
        .broker()
        .drain_until_end(&group, &topic, "null")
        .args(["-X", "group.protocol=consumer", "--summary", "json", "-q"])
        .expect(0);
    assert_eq!(r.summary()["processed"], 120);
    let lag: serde_json::Value = serde_json::from_str(
        &kbp()
            .broker()
            .args(["lag", "-g", &group, "-o", "json"])
            .expect(0)
            .stdout,
    )
    .unwrap();
    assert_eq!(lag["groups"][0]["total_lag"], 0, "{lag}");
    assert!(committed(&group).values().all(|c| *c == Some(40)));
}

#[test]
fn topic_sink_copies_records_to_another_context() {
    let src = topic_with("drain-copy-src", 2, 30);
    let dst = unique("drain-copy-dst");
    create_topic(&dst, 1);
    let dir = tempfile::tempdir().unwrap();
    // "mirror" stands for another cluster's context; here it is the same broker.
    let cfg = write_file(
        dir.path(),
        "kbp.yaml",
        &format!(
            "contexts:\n  mirror:\n    bootstrap-servers: {}\n",
            bootstrap()
        ),
    );
    let sink = format!("topic:{dst}@mirror");
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .broker()
        .args([
            "drain",
            "-g",
            &unique("g-copy"),
            "-t",
            &src,
            "--until",
            "end",
            "--sink",
            &sink,
            "--summary",
            "json",
            "-q",
        ])
        .expect(0);
    assert_eq!(r.summary()["processed"], 60);
    let out = dir.path().join("copy.jsonl");
    let file = format!("file:{}", out.display());
    kbp()
        .broker()
        .args([
            "drain",
            "-g",
            &unique("g-copy-check"),
            "-t",
            &dst,
            "--until",
            "end",
            "--sink",
            &file,
            "-q",
        ])
        .expect(0);
    let mut values: Vec<String> = json_lines(&out, false)
        .iter()
        .map(|l| l["value"].as_str().unwrap().to_string())
        .collect();
    values.sort();
    values.dedup();
    assert_eq!(
        values.len(),
        30,
        "both partitions' record-0..29, each copied"
    );
    let r = kbp()
        .broker()
        .args([
            "drain",
            "-g",
            "g",
            "-t",
            &src,
            "--sink",
            "topic:x@nosuchcontext",
            "--until",
            "end",
        ])
        .env("KBP_CONFIG", &cfg)
        .expect(2);
    assert!(r.stderr.contains("nosuchcontext"), "{}", r.stderr);
}
