//! Test support: the Kafka fixtures, a fluent runner for the real `kbp` binary (run to
//! its end, or started as a process to watch), readers of what sinks wrote, Apache's
//! kafka-consumer-groups for cross-checks, a real Prometheus server, and the three-node
//! cluster of the fault tests.
#![allow(dead_code)]

#[path = "cluster.rs"]
mod cluster;
#[path = "fixtures.rs"]
mod fixtures;
#[path = "process.rs"]
mod process;
#[path = "prometheus.rs"]
mod prometheus;
#[path = "records.rs"]
mod records;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use cluster::*;
pub use fixtures::*;
pub use process::*;
pub use prometheus::*;
pub use records::*;

/// Runs the real `kbp` binary: `kbp().args([..]).run()`.
pub struct Kbp {
    cmd: Command,
    args: Vec<String>,
}

pub fn kbp() -> Kbp {
    Kbp {
        cmd: kbp_command(),
        args: vec![],
    }
}

/// The `kbp` binary with no stdin, and no stray user config or environment changing what
/// tests see; for tests that spawn and signal it themselves.
pub fn kbp_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kbp"));
    isolate(&mut cmd);
    cmd.stdin(Stdio::null());
    cmd
}

/// Keeps the user's kbp environment and config file away from a command under test.
pub fn isolate(cmd: &mut Command) {
    for var in [
        "KBP_BOOTSTRAP_SERVER",
        "KBP_CONTEXT",
        "KBP_CONFIG",
        "KBP_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", "/nonexistent-kbp-test");
    // Restore files of `kbp offsets --execute` never land in the user's state directory.
    cmd.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join("kbp-test-state"),
    );
}

/// Runs `kbp -b <broker> ARGS | READER` in bash; returns kbp's own exit status (as text)
/// and the pipeline's stderr.
pub fn kbp_piped(args: &str, reader: &str) -> (String, String) {
    let script = format!(
        "{} -b {} {args} | {reader}; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_kbp"),
        bootstrap()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("XDG_CONFIG_HOME", "/nonexistent-kbp-test")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    pub args: Vec<String>,
}

impl Kbp {
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
        self
    }

    pub fn arg(self, a: &str) -> Self {
        self.args([a])
    }

    /// `-b <test broker>`.
    pub fn broker(self) -> Self {
        self.args(["-b", bootstrap()])
    }

    /// `drain -g GROUP -t TOPIC --until end --sink SINK`: the drain most tests run.
    pub fn drain_until_end(self, group: &str, topic: &str, sink: &str) -> Self {
        self.args([
            "drain", "-g", group, "-t", topic, "--until", "end", "--sink", sink,
        ])
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn run(mut self) -> Run {
        let start = Instant::now();
        let out = self.cmd.args(&self.args).output().expect("run kbp");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
            args: self.args,
        }
    }

    /// Runs and asserts the exit code.
    pub fn expect(self, code: i32) -> Run {
        let r = self.run();
        assert_eq!(
            r.code, code,
            "kbp {:?}\nstdout:\n{}\nstderr:\n{}",
            r.args, r.stdout, r.stderr
        );
        r
    }
}

impl Run {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("kbp {:?}: bad JSON ({e}):\n{}", self.args, self.stdout))
    }

    /// The one-line JSON summary: the last line on stdout (`--summary json`).
    pub fn summary(&self) -> serde_json::Value {
        summary_line(&format!("kbp {:?}", self.args), &self.stdout, &self.stderr)
    }
}

/// The last line of `stdout` as JSON; `who` ran it.
pub fn summary_line(who: &str, stdout: &str, stderr: &str) -> serde_json::Value {
    let last = stdout
        .lines()
        .last()
        .unwrap_or_else(|| panic!("{who}: no summary on stdout; stderr:\n{stderr}"));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{who}: bad summary {last}: {e}"))
}

/// Apache's kafka-consumer-groups `--describe` rows for `group`: (topic, partition) →
/// (CURRENT-OFFSET, LOG-END-OFFSET, LAG), `None` where it prints `-`.
pub type ApacheRow = (Option<i64>, Option<i64>, Option<i64>);

pub fn apache_describe(group: &str) -> std::collections::BTreeMap<(String, i32), ApacheRow> {
    apache_rows(&["--group", group])
        .into_iter()
        .filter(|((g, _, _), _)| g == group)
        .map(|((_, t, p), row)| ((t, p), row))
        .collect()
}

/// kafka-consumer-groups `--describe --all-groups`: (group, topic, partition) → row.
pub fn apache_describe_all() -> std::collections::BTreeMap<(String, String, i32), ApacheRow> {
    apache_rows(&["--all-groups"])
}

fn apache_rows(which: &[&str]) -> std::collections::BTreeMap<(String, String, i32), ApacheRow> {
    apache_rows_at(bootstrap(), which)
}

/// kafka-consumer-groups `--describe` with `which` (`--group G` or `--all-groups`) on the
/// cluster at `bootstrap`, its partition rows parsed; header and note lines are skipped.
pub fn apache_rows_at(
    bootstrap: &str,
    which: &[&str],
) -> std::collections::BTreeMap<(String, String, i32), ApacheRow> {
    let mut args = vec!["--describe"];
    args.extend_from_slice(which);
    let text = consumer_groups_at(bootstrap, &args);
    let num = |s: &str| {
        if s == "-" {
            None
        } else {
            Some(
                s.parse::<i64>()
                    .unwrap_or_else(|_| panic!("not a number: {s}")),
            )
        }
    };
    let mut rows = std::collections::BTreeMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let Some(partition) = cols.get(2).and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        if cols.len() < 6 {
            continue;
        }
        rows.insert(
            (cols[0].to_string(), cols[1].to_string(), partition),
            (num(cols[3]), num(cols[4]), num(cols[5])),
        );
    }
    rows
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A broker of its own (its own run dir), for tests that restart it or start it with other
/// settings; the shared test broker is never disturbed. Stopped and deleted when dropped.
pub struct OwnBroker {
    _dir: tempfile::TempDir,
    run: PathBuf,
    env: Vec<(String, String)>,
    pub bootstrap: String,
}

impl OwnBroker {
    /// Starts it with extra `scripts/kafka.sh` environment, e.g. `KBP_KAFKA_JMX_EXPORTER=1`.
    pub fn start(env: &[(&str, &str)]) -> OwnBroker {
        bootstrap(); // the jars are fetched once, by the shared broker's start
        let dir = tempfile::tempdir().unwrap();
        let mut b = OwnBroker {
            run: dir.path().join("run"),
            _dir: dir,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            bootstrap: String::new(),
        };
        b.bootstrap = b.sh(&["start"]);
        b
    }

    /// `scripts/kafka.sh ARGS` on this broker's run dir; its stdout, trimmed.
    pub fn sh(&self, args: &[&str]) -> String {
        let out = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .args(args)
            .env("KBP_KAFKA_RUN", &self.run)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
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
}

impl Drop for OwnBroker {
    fn drop(&mut self) {
        // A failed test keeps the broker's log: what the broker did is half of the story.
        if std::thread::panicking() {
            let kept = std::env::temp_dir().join(format!(
                "kbp-own-broker-{}-{}.log",
                std::process::id(),
                self.bootstrap.rsplit(':').next().unwrap_or("")
            ));
            if std::fs::copy(self.run.join("server.log"), &kept).is_ok() {
                eprintln!("own broker: its log is kept in {}", kept.display());
            }
        }
        let _ = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .args(["stop", "--clean"])
            .env("KBP_KAFKA_RUN", &self.run)
            .output();
    }
}
