//! A broker restart in the middle of a drain: nothing lost, nothing skipped. It runs on a
//! broker of its own (its own run dir), so the shared test broker is never disturbed.

use std::collections::HashSet;
use std::process::{Command, Stdio};

use std::time::{Duration, Instant};

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
    let mut drain = Command::new(env!("CARGO_BIN_EXE_kbp"))
        .args([
            "-b",
            &b,
            "--timeout",
            "30s",
            "drain",
            "-g",
            "restart-g",
            "-t",
            "restart",
            "--until",
            "end",
            "--rate",
            "400/s",
            "-q",
            "--summary",
            "json",
        ])
        .arg("--sink")
        .arg(format!("file:{}", out.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Restart once the drain is well under way.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&out)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 800
    {
        if let Some(st) = drain.try_wait().unwrap() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(drain.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("drain ended before the restart: {st}\n{stderr}");
        }
        assert!(Instant::now() < deadline, "drain made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    broker.sh(&["stop"]);
    std::thread::sleep(Duration::from_secs(1));
    broker.sh(&["start"]);
    let status = drain.wait().unwrap();
    let mut stdout = String::new();
    std::io::Read::read_to_string(drain.stdout.as_mut().unwrap(), &mut stdout).unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(drain.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "drain failed: {status}\n{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["stop_reason"], "done", "{summary}");
    let seen: HashSet<(i64, i64)> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["partition"].as_i64().unwrap(),
                v["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    let produced: usize = 3000;
    assert_eq!(
        seen.len(),
        produced,
        "every record drained despite the restart"
    );
    drop(broker);
}
