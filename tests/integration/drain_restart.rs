//! A broker restart in the middle of a drain: nothing lost, nothing skipped. It runs on a
//! broker of its own (its own run dir), so the shared test broker is never disturbed.

use std::collections::HashSet;
use std::time::Duration;

use crate::common::*;

#[test]
fn broker_restart_mid_drain_loses_and_skips_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = OwnBroker::start(&[]);
    let b = broker.bootstrap.clone();
    broker.sh(&[
        "tool",
        "topics",
        "--bootstrap-server",
        &b,
        "--create",
        "--topic",
        "restart",
        "--partitions",
        "2",
    ]);
    broker.sh(&[
        "tool",
        "producer-perf-test",
        "--topic",
        "restart",
        "--num-records",
        "3000",
        "--record-size",
        "50",
        "--throughput",
        "-1",
        "--command-property",
        &format!("bootstrap.servers={b}"),
    ]);
    let out = dir.path().join("out.jsonl");
    let sink = format!("file:{}", out.display());
    let mut drain = kbp()
        .args(["-b", &b, "--timeout", "30s"])
        .args([
            "drain",
            "-g",
            "restart-g",
            "-t",
            "restart",
            "--until",
            "end",
        ])
        .args([
            "--rate",
            "400/s",
            "-q",
            "--summary",
            "json",
            "--sink",
            &sink,
        ])
        .start(dir.path(), "drain");
    // Restart once the drain is well under way.
    drain.wait_for_lines(&out, 800, Duration::from_secs(30));
    broker.sh(&["stop"]);
    std::thread::sleep(Duration::from_secs(1));
    broker.sh(&["start"]);
    // Done once it exits; stuck only when no record reaches the file for two minutes (a
    // loaded machine restarts the broker and rejoins the group slowly, not never).
    let lines = || std::fs::read(&out).map_or(0, |b| b.iter().filter(|c| **c == b'\n').count());
    let (mut seen, mut moved) = (lines(), std::time::Instant::now());
    while drain.running() {
        let now = lines();
        if now > seen {
            (seen, moved) = (now, std::time::Instant::now());
        }
        assert!(
            moved.elapsed() < Duration::from_secs(120),
            "no record for 120 s after the restart ({seen} lines); stderr:\n{}",
            drain.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drain.expect_code(0, Duration::from_secs(10));
    let summary = drain.summary();
    assert_eq!(summary["stop_reason"], "done", "{summary}");
    let seen: HashSet<(i32, i64)> = records_in(&out, "restart", false).into_iter().collect();
    let produced: usize = 3000;
    assert_eq!(
        seen.len(),
        produced,
        "every record drained despite the restart"
    );
    drop(broker);
}
