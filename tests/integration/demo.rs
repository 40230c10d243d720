//! `kbp demo` on librdkafka's mock cluster: the story it tells must be true (lag grows,
//! the drain clears it with pauses and commits, the group catches up), and `--serve`
//! must serve other kbp processes until Ctrl-C. No broker is needed here.

use std::collections::HashMap;
use std::time::Duration;

use kbp::report::lag::LagReport;

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

    // What the mock cannot tell is said once, in the story's own words, not as a
    // warning at each step; and nothing else is wrong.
    assert_eq!(
        r.stdout
            .matches("The mock cannot describe consumer groups")
            .count(),
        1,
        "{}",
        r.stdout
    );
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    assert!(!r.stderr.contains("error"), "{}", r.stderr);
}

#[test]
fn a_bad_speed_is_a_usage_error() {
    let r = kbp().args(["demo", "--speed", "0"]).expect(2);
    assert!(r.stderr.contains("--speed"), "{}", r.stderr);
}

/// The address `kbp demo --serve` prints for other terminals.
fn served_bootstrap(served: &Proc) -> String {
    poll(Duration::from_secs(30), Duration::from_millis(50), || {
        let out = served.stdout();
        out.lines()
            .find_map(|l| l.strip_prefix("bootstrap: "))
            .map(|b| b.trim().to_string())
            .ok_or_else(|| format!("no bootstrap line:\n{out}"))
    })
}

#[test]
fn serve_keeps_the_cluster_up_for_other_commands_until_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = kbp()
        .args(["demo", "--serve", "--speed", "4"])
        .start(dir.path(), "serve");
    let bootstrap = served_bootstrap(&served);
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
    let summary: serde_json::Value = r.json();
    assert!(
        summary["processed"].as_u64().unwrap() >= before,
        "{summary}"
    );
    let after = lag().groups[0].total_lag;
    assert!(after < before, "drained: {before} then {after}");

    // Ctrl-C: a clean exit at once, and the cluster is gone.
    served.signal(libc::SIGINT);
    let status = served.wait(Duration::from_secs(10));
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
