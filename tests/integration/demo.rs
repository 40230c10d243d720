//! `kbp demo` on librdkafka's mock cluster: the story it tells must be true (lag grows,
//! the drain clears it with pauses and commits, the group catches up), and `--serve`
//! must serve other kbp processes until Ctrl-C. No broker is needed here.

use std::collections::HashMap;
use std::fs::File;
use std::process::Child;
use std::time::{Duration, Instant};

use kbp::cmd::lag::LagReport;

use crate::common::*;

/// Each table row under a header line that contains `column`, as column → value. The
/// tables kbp prints have one-word headers and cells (a missing value is `-`).
fn rows_under(text: &str, column: &str) -> Vec<HashMap<String, String>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut rows = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let header: Vec<&str> = line.split_whitespace().collect();
        if !header.contains(&column) {
            continue;
        }
        if let Some(row) = lines.get(i + 1) {
            let cells: Vec<&str> = row.split_whitespace().collect();
            rows.push(
                header
                    .iter()
                    .zip(cells)
                    .map(|(h, c)| (h.to_string(), c.to_string()))
                    .collect(),
            );
        }
    }
    rows
}

fn num(row: &HashMap<String, String>, column: &str) -> u64 {
    row.get(column)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no number in {column}: {row:?}"))
}

#[test]
fn the_demo_shows_lag_growing_a_drain_clearing_it_and_the_group_caught_up() {
    let r = kbp().arg("demo").expect(0);
    assert!(
        r.elapsed < Duration::from_secs(45),
        "took {:?}; stdout:\n{}",
        r.elapsed,
        r.stdout
    );
    // Every command step shows the line it runs, against the mock cluster.
    let shown: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("$ kbp -b 127.0.0.1:"))
        .collect();
    let lag_steps = shown.iter().filter(|l| l.contains(" lag ")).count();
    assert_eq!(lag_steps, 3, "{}", r.stdout);
    let drain_steps: Vec<&&str> = shown.iter().filter(|l| l.contains(" drain ")).collect();
    assert_eq!(drain_steps.len(), 1, "{}", r.stdout);
    assert!(drain_steps[0].contains(" drain -g demo-slow -t orders --until end"));

    let lags: Vec<u64> = rows_under(&r.stdout, "TOTAL-LAG")
        .iter()
        .map(|row| {
            assert_eq!(row["GROUP"], "demo-slow");
            // Unknown on this cluster, not zero.
            assert_eq!(
                (row["MEMBERS"].as_str(), row["UNOWNED"].as_str()),
                ("-", "-")
            );
            num(row, "TOTAL-LAG")
        })
        .collect();
    assert_eq!(lags.len(), 3, "{}", r.stdout);
    assert!(0 < lags[0] && lags[0] < lags[1], "lag grows: {lags:?}");
    assert_eq!(lags[2], 0, "caught up: {}", r.stdout);

    // The drain's summary (stderr): it cleared the backlog (which kept growing after the
    // first look), pausing under its full queue and committing as it went.
    let drain = &rows_under(&r.stderr, "PAUSES")[0];
    assert!(num(drain, "PROCESSED") > lags[0], "{lags:?} {drain:?}");
    assert!(num(drain, "PAUSES") >= 1, "{drain:?}");
    assert!(num(drain, "COMMITS") >= 1, "{drain:?}");
    assert_eq!(num(drain, "FAILED"), 0);

    // kbp diagnose finds the mismatch while the producer runs, and recommends a drain.
    assert!(
        shown
            .iter()
            .any(|l| l.contains(" diagnose --group demo-slow")),
        "{}",
        r.stdout
    );
    let finding = r
        .stdout
        .lines()
        .find(|l| l.starts_with("WARN  demo-slow: consumers slower than producers"))
        .unwrap_or_else(|| panic!("no falling-behind finding:\n{}", r.stdout));
    assert!(finding.contains("catch-up never"), "{finding}");
    assert!(
        r.stdout
            .contains("kbp drain --group demo-slow --topic orders --until end"),
        "{}",
        r.stdout
    );

    // What the mock cannot tell is said once per lag or diagnose command (not per
    // sample), and nothing else is wrong.
    let said = r
        .stderr
        .matches("this cluster cannot describe consumer groups")
        .count();
    assert_eq!(said, 4, "{}", r.stderr);
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
}

#[test]
fn a_bad_speed_is_a_usage_error() {
    let r = kbp().args(["demo", "--speed", "0"]).expect(2);
    assert!(r.stderr.contains("--speed"), "{}", r.stderr);
}

/// `kbp demo --serve` with its output in files; SIGKILLed if a test leaves it running.
struct Served {
    child: Child,
    stdout: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        let dir = tempfile::tempdir().unwrap();
        let stdout = dir.path().join("stdout");
        let child = kbp_command()
            .args(["demo", "--serve", "--speed", "4"])
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(dir.path().join("stderr")).unwrap())
            .spawn()
            .unwrap();
        Served {
            child,
            stdout,
            _dir: dir,
        }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// The address it prints for other terminals.
    fn bootstrap(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.stdout();
            if let Some(b) = out.lines().find_map(|l| l.strip_prefix("bootstrap: ")) {
                return b.trim().to_string();
            }
            assert!(Instant::now() < deadline, "no bootstrap line:\n{out}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_keeps_the_cluster_up_for_other_commands_until_ctrl_c() {
    let mut served = Served::start();
    let bootstrap = served.bootstrap();
    // Another process reaches it: kbp lag sees the group fall behind the producer.
    let lag = || -> LagReport {
        kbp()
            .args([
                "-b",
                &bootstrap,
                "lag",
                "-g",
                "demo-slow",
                "-t",
                "orders",
                "-o",
                "json",
            ])
            .expect(0)
            .json()
    };
    let first = lag();
    let g = &first.groups[0];
    assert!(!g.described, "the mock cannot describe groups: {g:?}");
    assert!(!g.partitions.is_empty(), "{g:?}");
    std::thread::sleep(Duration::from_secs(1));
    let before = lag().groups[0].total_lag;
    assert!(
        before > g.total_lag,
        "lag grows: {} then {before}",
        g.total_lag
    );

    // The drain it suggests clears the backlog.
    let r = kbp()
        .args(["-b", &bootstrap, "drain", "-g", "demo-slow", "-t", "orders"])
        .args(["--until", "end", "--sink", "null", "--summary", "json"])
        .expect(0);
    let summary: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        summary["processed"].as_u64().unwrap() >= before,
        "{summary}"
    );
    let after = lag().groups[0].total_lag;
    assert!(after < before, "drained: {before} then {after}");

    // Ctrl-C: a clean exit at once, and the cluster is gone.
    // SAFETY: kill(2) on our own child, which has not been waited for yet.
    let rc = unsafe { libc::kill(served.child.id() as i32, libc::SIGINT) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = served.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "still serving after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{}", served.stdout());
    assert!(served.stdout().contains("kbp demo: stopped"));
    kbp()
        .args([
            "-b",
            &bootstrap,
            "--timeout",
            "2s",
            "lag",
            "-g",
            "demo-slow",
        ])
        .expect(3);
}
