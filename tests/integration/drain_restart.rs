//! A broker restart in the middle of a drain: nothing lost, nothing skipped. It runs on a
//! broker of its own (its own run dir), so the shared test broker is never disturbed.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn kafka(run: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(repo().join("scripts/kafka.sh"))
        .args(args)
        .env("KBP_KAFKA_RUN", run)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kafka.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Broker(std::path::PathBuf);

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .args(["stop", "--clean"])
            .env("KBP_KAFKA_RUN", &self.0)
            .output();
    }
}

#[test]
fn broker_restart_mid_drain_loses_and_skips_nothing() {
    bootstrap(); // the jars are fetched once, by the shared broker's start
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let broker = Broker(run.clone());
    let b = kafka(&run, &["start"]);
    kafka(
        &run,
        &[
            "tool",
            "topics",
            "--bootstrap-server",
            &b,
            "--create",
            "--topic",
            "restart",
            "--partitions",
            "2",
        ],
    );
    kafka(
        &run,
        &[
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
        ],
    );
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
        assert!(Instant::now() < deadline, "drain made no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    kafka(&run, &["stop"]);
    std::thread::sleep(Duration::from_secs(1));
    kafka(&run, &["start"]);
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
