//! Node faults on a three-node KRaft cluster (scripts/kafka.sh cluster mode, started once
//! per run by tests/common/cluster.rs): kill -9 of a group's coordinator, a rolling restart
//! of every node, and a frozen node, under a drain, a serve, a diagnose window, a bulk
//! offsets reset and lag --all-groups. Each checks the exit code, the time bound, and what
//! must not happen: a record committed that the sink does not hold, a commit that goes
//! backwards, a report that says other than what the cluster holds, an error where a
//! verdict is due. The tests share the cluster, so they run one at a time and each leaves
//! it whole (all nodes up, every replica in sync), failed or not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::serve::Served;

static SERIAL: Mutex<()> = Mutex::new(());

/// The cluster, held by one test; brought back whole when the test ends.
struct Held {
    c: &'static Cluster3,
    _turn: MutexGuard<'static, ()>,
}

fn hold() -> Held {
    let turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    Held {
        c: cluster3(),
        _turn: turn,
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // A panic here (while a failed test unwinds) would abort every other test.
        let out = std::process::Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .arg("cluster-start")
            .env("KBP_KAFKA_RUN", self.c.run_dir())
            .stdin(std::process::Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!(
                "faults: the cluster could not be restored:\n{}",
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("faults: the cluster could not be restored: {e}"),
        }
    }
}

/// Failed checks, gathered so that one run reports every break, not only the first.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let w = what();
            eprintln!("faults: FAILED: {w}");
            self.0.push(w);
        }
    }

    fn done(self, test: &str) {
        assert!(
            self.0.is_empty(),
            "{test}: {} check(s) failed:\n- {}",
            self.0.len(),
            self.0.join("\n- ")
        );
    }
}

const PARTITIONS: i32 = 3;
const PER_PARTITION: i64 = 1000;
/// The `--timeout` of every command under a fault: room for a failover (the cluster fences
/// a node after 3 s, then its groups' new coordinator loads them), as an operator's default
/// of 10 s leaves it.
const TIMEOUT_S: u64 = 10;

/// One drain, one serve and one diagnose window on the same group while `fault` runs; then
/// every check on what each of them did.
struct UnderFault {
    dir: tempfile::TempDir,
    topic: String,
    group: String,
    out: PathBuf,
    drain: Proc,
    diagnose: Proc,
    diagnose_window: Duration,
    /// Faults the diagnose window may meet, each of which may cost it up to --timeout.
    faults: u32,
    served: Served,
}

impl UnderFault {
    /// Records on every partition, then the three commands on `group`: a drain at `rate`
    /// to a file, a serve of the group, a diagnose window of `window`.
    fn start(c: &Cluster3, group: String, rate: u32, window: Duration, faults: u32) -> UnderFault {
        let dir = tempfile::tempdir().unwrap();
        let topic = unique("fault");
        c.create_topic(&topic, PARTITIONS);
        c.produce(&topic, PARTITIONS, PER_PARTITION as usize);
        let out = dir.path().join("out.jsonl");
        let timeout = format!("{TIMEOUT_S}s");
        let drain = kbp()
            .args(["-b", c.bootstrap(), "--timeout", &timeout])
            .drain_until_end(&group, &topic, &format!("file:{}", out.display()))
            .args(["--rate", &format!("{rate}/s"), "-q", "--summary", "json"])
            .start(dir.path(), "drain");
        let served = Served::start(&["-b", c.bootstrap(), "-g", &group, "--timeout", &timeout]);
        // The diagnose window begins once the group exists (its first commit): a group not
        // there yet is exit 4, rightly.
        poll(
            Duration::from_secs(60),
            Duration::from_millis(100),
            || match c.committed(&group, &topic, PARTITIONS) {
                Ok(o) if o.iter().any(Option::is_some) => Ok(()),
                other => Err(format!("the drain's first commit: {other:?}")),
            },
        );
        let diagnose = kbp()
            .args(["-b", c.bootstrap(), "--timeout", &timeout])
            .args(["diagnose", "-g", &group, "-o", "json"])
            .args([
                "--window",
                &format!("{}s", window.as_secs()),
                "--samples",
                "4",
            ])
            .start(dir.path(), "diagnose");
        UnderFault {
            dir,
            topic,
            group,
            out,
            drain,
            diagnose,
            diagnose_window: window,
            faults,
            served,
        }
    }

    /// Waits until the drain's file holds `n` lines.
    fn wait_lines(&mut self, n: usize) {
        self.drain
            .wait_for_lines(&self.out, n, Duration::from_secs(60));
    }

    /// What each of the three did, checked once the fault is over (`fault_at`: when it began).
    fn judge(
        mut self,
        c: &Cluster3,
        f: &mut Findings,
        fault_at: Instant,
        committed_before: Vec<Option<i64>>,
        commits: Background<CommitWatch>,
        scrapes: Background<Vec<Scrape>>,
    ) {
        // The drain: finishes (the cluster is whole again), all records in the file, all committed.
        let st = self.drain.wait(Duration::from_secs(120));
        let drain_s = self.drain.started.elapsed().as_secs_f64();
        f.check(st.code() == Some(0), || {
            format!(
                "drain: exit {st:?} (expected 0: it finishes once the cluster is whole)\nstderr:\n{}",
                self.drain.stderr()
            )
        });
        eprintln!("faults: drain ended after {drain_s:.1}s ({st:?})");
        let seen = records_in(&self.out, &self.topic, false);
        let mut per: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
        for (p, o) in &seen {
            per.entry(*p).or_default().push(*o);
        }
        for p in 0..PARTITIONS {
            let offsets = per.remove(&p).unwrap_or_default();
            let distinct: BTreeSet<i64> = offsets.iter().copied().collect();
            let missing: Vec<i64> = (0..PER_PARTITION)
                .filter(|o| !distinct.contains(o))
                .collect();
            f.check(missing.is_empty(), || {
                format!(
                    "drain: partition {p}: {} record(s) never reached the file (first {:?})",
                    missing.len(),
                    &missing[..missing.len().min(5)]
                )
            });
            let before = committed_before[p as usize].unwrap_or(0);
            let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
            for o in &offsets {
                *counts.entry(*o).or_default() += 1;
            }
            let dups: Vec<i64> = counts
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|(o, _)| *o)
                .collect();
            eprintln!("faults: partition {p}: {} duplicate(s)", dups.len());
            let early: Vec<&i64> = dups.iter().filter(|o| **o < before).collect();
            f.check(early.is_empty(), || {
                format!(
                    "drain: partition {p}: {} record(s) processed twice although committed before the fault (commit {before}): {:?}",
                    early.len(),
                    &early[..early.len().min(5)]
                )
            });
        }
        let end = poll(Duration::from_secs(30), Duration::from_millis(200), || {
            c.committed(&self.group, &self.topic, PARTITIONS)
        });
        f.check(end.iter().all(|o| *o == Some(PER_PARTITION)), || {
            format!(
                "drain: committed at the end {end:?}, expected {PER_PARTITION} on each partition"
            )
        });
        let watch = commits.stop();
        eprintln!(
            "faults: {} commit samples, {} failed reads",
            watch.samples, watch.read_errors
        );
        for v in watch.violations {
            f.check(false, || format!("drain: {v}"));
        }

        // The diagnose window: a verdict (0 ok, 1 warn, 7 crit), within its window + --timeout
        // per fault it meets (each may leave it without an answer that long) + 1 s.
        let st = self.diagnose.wait(Duration::from_secs(120));
        let took = self.diagnose.exited_at().unwrap() - self.diagnose.started;
        let bound =
            self.diagnose_window + Duration::from_secs(TIMEOUT_S * u64::from(self.faults) + 1);
        eprintln!("faults: diagnose took {took:?} ({st:?})");
        f.check(matches!(st.code(), Some(0 | 1 | 7)), || {
            format!(
                "diagnose: exit {st:?}, not a verdict\nstderr:\n{}",
                self.diagnose.stderr()
            )
        });
        f.check(took <= bound, || {
            format!(
                "diagnose: took {took:?}, bound {bound:?} (--window + --timeout per fault + 1 s)\nstderr:\n{}",
                self.diagnose.stderr()
            )
        });
        if matches!(st.code(), Some(0 | 1 | 7)) {
            let doc: Result<serde_json::Value, _> = serde_json::from_str(&self.diagnose.stdout());
            f.check(
                doc.as_ref()
                    .is_ok_and(|d| d["groups"][0]["status"].is_string()),
                || format!("diagnose: no group verdict in {:?}", self.diagnose.stdout()),
            );
        }

        // The serve: /metrics answered all along; kbp_up and the group's lag come back, at 0.
        let scrapes = scrapes.stop();
        let failed: Vec<&Scrape> = scrapes.iter().filter(|s| !s.ok).collect();
        let slowest = scrapes.iter().map(|s| s.took).max().unwrap_or_default();
        eprintln!(
            "faults: {} scrapes of /metrics, {} failed, slowest {slowest:?}",
            scrapes.len(),
            failed.len()
        );
        f.check(failed.is_empty(), || {
            let first = failed
                .first()
                .map(|s| format!("{} after {:?}", s.why, s.took));
            format!(
                "serve: {} scrape(s) of /metrics failed, the first: {first:?}",
                failed.len()
            )
        });
        let lag = [("consumergroup", self.group.as_str())];
        let back = Instant::now();
        let mut last = (None, None);
        let recovered = (|| {
            while back.elapsed() < Duration::from_secs(3 * TIMEOUT_S + 3) {
                if !self.served.proc.running() {
                    return false;
                }
                last = (
                    self.served.value("kbp_up", &[]),
                    self.served.value("kafka_consumergroup_lag_sum", &lag),
                );
                if last == (Some(1.0), Some(0.0)) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            false
        })();
        f.check(recovered, || {
            format!(
                "serve: kbp_up and the lag of {} after the drain: {last:?}, expected (1, 0); running: {}\nstderr:\n{}",
                self.group,
                self.served.proc.running(),
                self.served.proc.stderr()
            )
        });
        eprintln!(
            "faults: serve back {:?} after the drain ended, {:?} after the fault began",
            back.elapsed(),
            fault_at.elapsed()
        );
        if self.served.proc.running() {
            self.served.proc.signal(libc::SIGTERM);
            let st = self.served.proc.wait(Duration::from_secs(5));
            f.check(st.code() == Some(0), || {
                format!(
                    "serve: SIGTERM: exit {st:?}\nstderr:\n{}",
                    self.served.proc.stderr()
                )
            });
        }
        drop(self.dir);
    }
}

/// What the committed offsets did while the drain ran.
#[derive(Default)]
struct CommitWatch {
    samples: usize,
    read_errors: usize,
    violations: Vec<String>,
}

/// Every 200 ms: the group's committed offsets, then the file: a commit past a record the
/// file does not hold was committed without delivery; a commit below an earlier one went
/// backwards.
fn watch_commits(
    c: &'static Cluster3,
    group: &str,
    topic: &str,
    out: &Path,
) -> Background<CommitWatch> {
    let (group, topic, out) = (group.to_string(), topic.to_string(), out.to_path_buf());
    Background::spawn(move |stop| {
        let mut w = CommitWatch::default();
        let mut high = vec![0i64; PARTITIONS as usize];
        let reader = c.commit_reader(&group);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            let Ok(committed) = reader.read(&topic, PARTITIONS) else {
                w.read_errors += 1;
                continue;
            };
            w.samples += 1;
            let mut held: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); PARTITIONS as usize];
            for (p, o) in records_in(&out, &topic, true) {
                held[p as usize].insert(o);
            }
            for (p, c) in committed.iter().enumerate() {
                let Some(c) = *c else { continue };
                if c < high[p] {
                    w.violations.push(format!(
                        "partition {p}: the commit went back from {} to {c}",
                        high[p]
                    ));
                }
                high[p] = high[p].max(c);
                if let Some(gap) = (0..c).find(|o| !held[p].contains(o)) {
                    w.violations.push(format!(
                        "partition {p}: committed {c} while the file lacks offset {gap}"
                    ));
                }
            }
        }
        w
    })
}

/// One GET of /metrics while the fault ran.
struct Scrape {
    ok: bool,
    took: Duration,
    why: String,
}

/// GETs /metrics every 250 ms: each must answer 200 within 2 s (it serves the last refresh).
fn scrape_metrics(addr: &str) -> Background<Vec<Scrape>> {
    let url = format!("http://{addr}/metrics");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    sample_every(Duration::from_millis(250), move || {
        let t = Instant::now();
        match agent.get(&url).call() {
            Ok(r) if r.status().as_u16() == 200 => Scrape {
                ok: true,
                took: t.elapsed(),
                why: String::new(),
            },
            Ok(r) => Scrape {
                ok: false,
                took: t.elapsed(),
                why: format!("HTTP {}", r.status()),
            },
            Err(e) => Scrape {
                ok: false,
                took: t.elapsed(),
                why: e.to_string(),
            },
        }
    })
}

/// kill -9 of the node that coordinates the group (and leads some of its partitions) while
/// a drain, a serve and a diagnose window work on it; the node comes back after a while.
#[test]
fn kill_9_of_the_coordinators_node_under_drain_serve_and_diagnose() {
    let held = hold();
    let c = held.c;
    let group = c.group_on("fault-kill", 2);
    let mut f = Findings::default();
    let mut run = UnderFault::start(c, group.clone(), 150, Duration::from_secs(12), 1);
    run.served.wait_ready();
    run.wait_lines(300);
    // The coordinator as the group's own FindCoordinator answers it now (the metadata read
    // before may predate the last leader election).
    let victim = c.apache_coordinator(&group);
    eprintln!("faults: group {group} is coordinated by node {victim}");
    let committed_before = c.committed(&group, &run.topic, PARTITIONS).unwrap();
    let commits = watch_commits(c, &group, &run.topic, &run.out);
    let scrapes = scrape_metrics(&run.served.addr);
    let lines = line_count(&run.out);
    let fault_at = Instant::now();
    c.kill(victim);
    // The drain goes on with two nodes: new records reach the file.
    let stalled = Instant::now();
    let resumed = (|| {
        while stalled.elapsed() < Duration::from_secs(30) {
            if line_count(&run.out) > lines + 150 || !run.drain.running() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    })();
    eprintln!(
        "faults: 150 more records in the file {:?} after the kill",
        stalled.elapsed()
    );
    f.check(resumed && run.drain.running(), || {
        format!(
            "drain: no progress within 30 s of the kill (running: {}); stderr:\n{}",
            run.drain.running(),
            run.drain.stderr()
        )
    });
    c.restart(victim);
    eprintln!(
        "faults: node {victim} back {:?} after the kill",
        fault_at.elapsed()
    );
    run.judge(c, &mut f, fault_at, committed_before, commits, scrapes);
    f.done("kill -9 of the coordinator's node");
}

/// Every node stopped (SIGTERM) and started again in turn, each once the drain has moved on,
/// while a drain, a serve and a diagnose window work on a group.
#[test]
fn a_rolling_restart_under_drain_serve_and_diagnose() {
    let held = hold();
    let c = held.c;
    let mut f = Findings::default();
    let group = unique("fault-roll");
    let mut run = UnderFault::start(c, group.clone(), 50, Duration::from_secs(20), 3);
    run.served.wait_ready();
    run.wait_lines(200);
    let committed_before = c.committed(&group, &run.topic, PARTITIONS).unwrap();
    let commits = watch_commits(c, &group, &run.topic, &run.out);
    let scrapes = scrape_metrics(&run.served.addr);
    let fault_at = Instant::now();
    let mut running_at_last_stop = false;
    for n in [1, 2, 3] {
        running_at_last_stop = run.drain.running();
        c.stop(n);
        c.restart(n);
        // The next node only once records flow again (unless the drain is done).
        let lines = line_count(&run.out);
        if run.drain.running() {
            let t = Instant::now();
            while run.drain.running()
                && line_count(&run.out) < lines + 50
                && t.elapsed() < Duration::from_secs(30)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        eprintln!(
            "faults: node {n} restarted, {} lines, {:?} into the restart",
            line_count(&run.out),
            fault_at.elapsed()
        );
    }
    // Otherwise the last restart tested nothing: the drain is paced to outlast them.
    f.check(running_at_last_stop, || {
        "drain: ended before the last node was stopped".to_string()
    });
    run.judge(c, &mut f, fault_at, committed_before, commits, scrapes);
    f.done("rolling restart");
}

/// `kbp offsets reset --execute` over 200 groups, the node coordinating the most of them
/// frozen and then killed once the restore files are saved (the writes begin). Twice: with
/// a --timeout that ends during the failover (the node is fenced after 3 s), and with one
/// that leaves room for it. Each run ends within --timeout + 1 s of the fault and its
/// report says exactly what kafka-consumer-groups reads back afterwards; with room, every
/// group moves (NOT_COORDINATOR and a lost connection are retried within the deadline).
#[test]
fn a_bulk_offsets_reset_while_a_coordinator_dies_reports_what_happened() {
    let held = hold();
    let c = held.c;
    let mut f = Findings::default();
    let topic = unique("fault-bulk");
    c.create_topic(&topic, 2);
    c.produce(&topic, 2, 100);
    let prefix = unique("fault-bulk");
    let groups: Vec<String> = (0..BULK_GROUPS)
        .map(|i| format!("{prefix}-{i:03}"))
        .collect();
    for (timeout_s, all_move) in [(3, false), (10, true)] {
        bulk_reset(c, &mut f, &topic, &prefix, &groups, timeout_s, all_move);
    }
    f.done("bulk offsets reset");
}

const BULK_GROUPS: usize = 200;

/// One run of [`a_bulk_offsets_reset_while_a_coordinator_dies_reports_what_happened`]:
/// every group committed at 10 on both partitions, reset to the log end (100).
fn bulk_reset(
    c: &Cluster3,
    f: &mut Findings,
    topic: &str,
    prefix: &str,
    groups: &[String],
    timeout_s: u64,
    all_move: bool,
) {
    let run = format!("reset --timeout {timeout_s}s");
    std::thread::scope(|s| {
        for chunk in groups.chunks(BULK_GROUPS / 8) {
            s.spawn(move || {
                for g in chunk {
                    c.commit(g, &[(topic, 0, 10), (topic, 1, 10)]);
                }
            });
        }
    });
    // The node that coordinates the most of them.
    let leaders = c.coordinators();
    let mut per_node: BTreeMap<i32, usize> = BTreeMap::new();
    for g in groups {
        *per_node
            .entry(leaders[offsets_partition(g) as usize])
            .or_default() += 1;
    }
    let (&victim, &coordinated) = per_node.iter().max_by_key(|(_, n)| **n).unwrap();
    eprintln!("faults: {run}: groups per coordinator {per_node:?}; killing node {victim}");

    let dir = tempfile::tempdir().unwrap();
    let restore = dir.path().join("restore");
    std::fs::create_dir(&restore).unwrap();
    let mut reset = kbp()
        .args(["-b", c.bootstrap(), "--timeout", &format!("{timeout_s}s")])
        .args(["offsets", "reset", "--group-regex", &format!("^{prefix}-")])
        .args(["--to-latest", "--execute", "-o", "json"])
        .args(["--restore-dir", restore.to_str().unwrap()])
        .start(dir.path(), "reset");
    let saved = |dir: &Path| std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0);
    let mut fault_at = None;
    wait_until("the restore files saved", Duration::from_secs(60), || {
        saved(&restore) >= groups.len() || !reset.running()
    });
    if reset.running() {
        // Frozen first, so that writes to its groups are in flight when it dies (a long
        // pause, then the end: "Failed while waiting for response from broker"); the length
        // of the pause only shapes the fault, no check depends on it.
        c.freeze(victim);
        fault_at = Some(Instant::now());
        std::thread::sleep(Duration::from_millis(500));
        c.kill(victim);
    }
    let st = reset.wait(Duration::from_secs(120));
    let ended = reset.exited_at().unwrap();
    eprintln!(
        "faults: {run}: took {:?} ({st:?}), {:?} after the fault",
        ended - reset.started,
        fault_at.map(|t| ended - t)
    );
    f.check(fault_at.is_some(), || {
        format!(
            "{run}: ended before the writes began ({} restore files); stderr:\n{}",
            saved(&restore),
            reset.stderr()
        )
    });
    // A run that gave up did so within --timeout + 1 s of the fault; one that wrote every
    // group went on working once the cluster answered again, and is judged by its report.
    if let (Some(t), false) = (fault_at, st.success()) {
        let bound = Duration::from_secs(timeout_s + 1);
        f.check(ended - t <= bound, || {
            format!(
                "{run}: ended {:?} after the fault, bound {bound:?} (--timeout + 1 s)",
                ended - t
            )
        });
    }
    // 0: all moved; 5: some did not, named after the report (docs/exit-codes.md).
    let expected: &[i32] = if all_move { &[0] } else { &[0, 5] };
    f.check(st.code().is_some_and(|code| expected.contains(&code)), || {
        format!(
            "{run}: exit {st:?}, expected one of {expected:?} ({coordinated} groups coordinated by the killed node)\nstderr (last lines):\n{}",
            tail(&reset.stderr(), 12)
        )
    });
    // Whole again, with its leaderships back (the next run kills a node that coordinates).
    c.restore();

    // The report against what kafka-consumer-groups reads back.
    let report: Option<serde_json::Value> = serde_json::from_str(&reset.stdout()).ok();
    f.check(report.is_some(), || {
        format!(
            "{run}: no JSON report on stdout: {:?}",
            tail(&reset.stdout(), 5)
        )
    });
    let apache = apache_rows_at(c.bootstrap(), &["--all-groups"]);
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut reported = 0usize;
    let mut moved_groups = 0usize;
    for g in report
        .as_ref()
        .and_then(|r| r["groups"].as_array())
        .into_iter()
        .flatten()
    {
        let name = g["group"].as_str().unwrap_or_default().to_string();
        reported += 1;
        let mut any_moved = false;
        for p in g["partitions"].as_array().into_iter().flatten() {
            let status = p["status"].as_str().unwrap_or("?").to_string();
            *statuses.entry(status.clone()).or_default() += 1;
            let key = (
                name.clone(),
                p["topic"].as_str().unwrap_or_default().to_string(),
                p["partition"].as_i64().unwrap_or(-1) as i32,
            );
            let now = apache.get(&key).and_then(|row| row.0);
            any_moved |= now == Some(100);
            let truth = match status.as_str() {
                "moved" => now == Some(100),
                "unknown" => now == Some(100) || now == Some(10),
                // planned, unchanged, failed: nothing was written there.
                _ => now == Some(10),
            };
            f.check(truth, || {
                format!("{run}: {key:?} reported {status}, kafka-consumer-groups reads {now:?}")
            });
        }
        moved_groups += any_moved as usize;
    }
    eprintln!("faults: {run}: report {statuses:?}, {moved_groups} group(s) moved");
    f.check(reported == groups.len(), || {
        format!(
            "{run}: the report has {reported} groups of {}",
            groups.len()
        )
    });
    // The groups at the new offsets, as Apache reads them, are the ones reported moved.
    let at_new: usize = groups
        .iter()
        .filter(|g| {
            (0..2).any(|p| {
                apache
                    .get(&((*g).clone(), topic.to_string(), p))
                    .and_then(|r| r.0)
                    == Some(100)
            })
        })
        .count();
    f.check(at_new == moved_groups, || {
        format!("{run}: {at_new} group(s) moved as read back, {moved_groups} as reported")
    });
    // "0 moved" is a lie only when nothing is said to be unknown either (sent, not read
    // back: it may have moved).
    let err = reset.stderr();
    f.check(
        !(at_new > 0 && err.contains(" 0 partition(s) moved") && !err.contains(" unknown")),
        || {
            format!(
                "{run}: says 0 moved while {at_new} group(s) moved:\n{}",
                tail(&err, 5)
            )
        },
    );
}

/// `kbp lag --all-groups` with one node frozen (SIGSTOP: connections accepted, nothing
/// answered): at once, while it still leads partitions and coordinates groups, and again
/// once the cluster has fenced it. Both within --timeout + 1 s; the second a full report.
#[test]
fn lag_all_groups_with_a_frozen_node_is_bounded() {
    let held = hold();
    let c = held.c;
    let mut f = Findings::default();
    let victim = 3;
    let topic = unique("fault-frozen");
    c.create_topic(&topic, PARTITIONS);
    c.produce(&topic, PARTITIONS, 20);
    let groups: Vec<String> = (1..=3).map(|n| c.group_on("fault-frozen", n)).collect();
    for g in &groups {
        c.commit(g, &[(&topic, 0, 5), (&topic, 1, 5), (&topic, 2, 5)]);
    }
    let lag = || {
        kbp()
            .args(["-b", c.bootstrap(), "--timeout", &format!("{TIMEOUT_S}s")])
            .args(["lag", "--all-groups", "-o", "json"])
            .run()
    };
    let bound = Duration::from_secs(TIMEOUT_S + 1);
    c.freeze(victim);
    let frozen = lag();
    eprintln!(
        "faults: lag --all-groups, node {victim} just frozen: exit {} in {:?}; stderr: {}",
        frozen.code, frozen.elapsed, frozen.stderr
    );
    f.check(frozen.elapsed <= bound, || {
        format!(
            "lag just after the freeze: took {:?}, bound {bound:?} (exit {}); stderr:\n{}",
            frozen.elapsed, frozen.code, frozen.stderr
        )
    });
    f.check(![101, -1].contains(&frozen.code), || {
        format!(
            "lag just after the freeze: exit {}\n{}",
            frozen.code, frozen.stderr
        )
    });
    // Fenced: its partitions and groups have moved to the other two.
    poll(Duration::from_secs(30), Duration::from_millis(200), || {
        let l = c.leaders(&topic);
        let o = c.leaders("__consumer_offsets");
        (l.len() == PARTITIONS as usize
            && !l.contains(&victim)
            && !l.contains(&-1)
            && !o.is_empty()
            && !o.contains(&victim)
            && !o.contains(&-1))
        .then_some(())
        .ok_or_else(|| format!("leaders {l:?}, coordinators {o:?}"))
    });
    let fenced = lag();
    eprintln!(
        "faults: lag --all-groups, node {victim} fenced: exit {} in {:?}",
        fenced.code, fenced.elapsed
    );
    f.check(fenced.elapsed <= bound, || {
        format!(
            "lag once the node is fenced: took {:?}, bound {bound:?}; stderr:\n{}",
            fenced.elapsed, fenced.stderr
        )
    });
    f.check(fenced.code == 0, || {
        format!(
            "lag once the node is fenced: exit {}\n{}",
            fenced.code, fenced.stderr
        )
    });
    if fenced.code == 0 {
        let doc: serde_json::Value = fenced.json();
        let mine: Vec<(String, i64)> = doc["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|g| groups.iter().any(|n| g["group"] == n.as_str()))
            .map(|g| {
                (
                    g["group"].as_str().unwrap().to_string(),
                    g["total_lag"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        f.check(
            mine.len() == groups.len() && mine.iter().all(|(_, l)| *l == 45),
            || format!("lag once the node is fenced: my groups {mine:?}, expected 3 with lag 45"),
        );
    }
    c.thaw(victim);
    f.done("lag --all-groups with a frozen node");
}

/// The last `n` lines of `text`, leaving out kbp's notes (one per restore file saved).
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("kbp: note: "))
        .collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
