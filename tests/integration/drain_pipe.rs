//! `kbp drain --sink pipe:CMD` against the real broker: long-lived children that acknowledge
//! each record. Every ordering mode keeps a partition (or key) on one child and in order;
//! a child that dies loses nothing and lets nothing past its unacknowledged records be
//! committed (checked with Apache's kafka-consumer-groups); `fail REASON` goes through the
//! failure policy; Ctrl-C ends the drain and its children. Bad specs, garbage answers and
//! silent children are rows of hostile.rs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

/// The child every test runs: it logs `PARTITION OFFSET KEY` of each record it acknowledges
/// to a file of its own (`child-<KBP_CHILD>-<pid>`) and its pid to `pids`. `PIPE_DELAY`
/// seconds of work per record; `PIPE_DIE_AT=P/O` kills itself (SIGKILL) the first time it
/// gets that record, before acknowledging it; `PIPE_FAIL_AT=P/O` answers `fail` for it.
const CHILD: &str = r#"
import json, os, signal, sys, time
out = os.environ["PIPE_DIR"]
delay = float(os.environ.get("PIPE_DELAY", "0"))
with open(os.path.join(out, "pids"), "a") as f:
    f.write(f"{os.getpid()}\n")
log = open(os.path.join(out, f"child-{os.environ['KBP_CHILD']}-{os.getpid()}"), "a", buffering=1)
for line in sys.stdin:
    r = json.loads(line)
    at = f"{r['partition']}/{r['offset']}"
    if at == os.environ.get("PIPE_DIE_AT") and not os.path.exists(os.path.join(out, "died")):
        open(os.path.join(out, "died"), "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(delay)
    if at == os.environ.get("PIPE_FAIL_AT"):
        print(f"fail bad record {at}", flush=True)
        continue
    log.write(f"{r['partition']} {r['offset']} {r['key']}\n")
    print("ok", flush=True)
"#;

/// A topic of `partitions` x `per_partition` records, keys cycling through 5 values.
fn keyed_topic(prefix: &str, partitions: i32, per_partition: usize) -> String {
    let topic = unique(prefix);
    create_topic(&topic, partitions);
    for p in 0..partitions {
        produce_each(&topic, p, per_partition, |i| {
            (format!("k{}", i % 5), format!("record-{i}"), None)
        });
    }
    topic
}

/// `drain -g GROUP -t TOPIC --until end --sink pipe:python3 CHILD` with the child's
/// directory `dir` (which also holds the script).
fn drain(group: &str, topic: &str, dir: &Path) -> Kbp {
    let script = write_file(dir, "child.py", CHILD);
    kbp()
        .broker()
        .drain_until_end(group, topic, &format!("pipe:python3 {}", script.display()))
        .env("PIPE_DIR", dir)
        .args(["--summary", "json", "-q"])
}

/// Per child log file: its (partition, offset, key) lines, in the order acknowledged.
fn acked(dir: &Path) -> BTreeMap<String, Vec<(i32, i64, String)>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("child-") {
            continue;
        }
        let lines = exec_lines(&path)
            .into_iter()
            .map(|l| (l[0].parse().unwrap(), l[1].parse().unwrap(), l[2].clone()))
            .collect();
        out.insert(name, lines);
    }
    out
}

fn pids(dir: &Path) -> Vec<i32> {
    exec_lines(&dir.join("pids"))
        .iter()
        .map(|l| l[0].parse().unwrap())
        .collect()
}

fn committed(group: &str, topic: &str) -> BTreeMap<i32, Option<i64>> {
    apache_describe(group)
        .into_iter()
        .filter(|((t, _), _)| t == topic)
        .map(|((_, p), (cur, _, _))| (p, cur))
        .collect()
}

/// The highest offset acknowledged per partition, over every child.
fn highest(dir: &Path) -> HashMap<i32, i64> {
    let mut top = HashMap::new();
    for (p, o, _) in acked(dir).into_values().flatten() {
        let t = top.entry(p).or_insert(o);
        *t = (*t).max(o);
    }
    top
}

#[test]
fn each_ordering_mode_keeps_its_lanes_on_one_child_in_order() {
    let topic = keyed_topic("drain-pipe-order", 3, 60);
    for mode in ["partition", "key", "unordered"] {
        let group = unique("g-drain-pipe-order");
        let dir = tempfile::tempdir().unwrap();
        let r = drain(&group, &topic, dir.path())
            .args(["--ordering", mode, "--workers", "4"])
            .expect(0);
        let s = r.summary();
        assert_eq!(s["processed"], 180, "{mode}: {s}");
        assert_eq!(s["retries"], 0, "{mode}: {s}");
        assert_eq!(
            committed(&group, &topic),
            (0..3).map(|p| (p, Some(60))).collect(),
            "{mode}"
        );
        // Started once: one child per worker, none restarted.
        assert_eq!(pids(dir.path()).len(), 4, "{mode}");
        let logs = acked(dir.path());
        let mut seen = HashSet::new();
        // Which child had each lane, and the offsets of the lane in the order acknowledged.
        let mut lanes: HashMap<(i32, Option<String>), (String, Vec<i64>)> = HashMap::new();
        for (child, lines) in &logs {
            for (p, o, k) in lines {
                assert!(seen.insert((*p, *o)), "{mode}: {p}/{o} acknowledged twice");
                let lane = match mode {
                    "partition" => (*p, None),
                    "key" => (*p, Some(k.clone())),
                    _ => continue,
                };
                let (owner, offsets) = lanes.entry(lane).or_insert_with(|| (child.clone(), vec![]));
                assert_eq!(owner, child, "{mode}: lane of {p}/{o} on two children");
                offsets.push(*o);
            }
        }
        assert_eq!(seen.len(), 180, "{mode}: every record once");
        for (lane, (_, offsets)) in &lanes {
            assert!(
                offsets.windows(2).all(|w| w[0] < w[1]),
                "{mode}: lane {lane:?} out of order: {offsets:?}"
            );
        }
        if mode == "key" {
            assert_eq!(lanes.len(), 15, "3 partitions x 5 keys");
        }
    }
}

#[test]
fn a_killed_child_is_restarted_and_its_records_are_retried() {
    let topic = keyed_topic("drain-pipe-kill", 2, 150);
    let group = unique("g-drain-pipe-kill");
    let dir = tempfile::tempdir().unwrap();
    let mut p = drain(&group, &topic, dir.path())
        .env("PIPE_DELAY", "0.005")
        .args(["--workers", "2"])
        .start(dir.path(), "kbp");
    let count = || acked(dir.path()).values().map(Vec::len).sum::<usize>();
    wait_until("40 records acknowledged", Duration::from_secs(30), || {
        assert!(p.running(), "kbp ended early: {}", p.stderr());
        count() >= 40
    });
    let victim = pids(dir.path())[0];
    // SAFETY: kill(2) with a pid the child wrote; SIGKILL ends it mid-record.
    assert_eq!(unsafe { libc::kill(victim, libc::SIGKILL) }, 0);
    p.expect_code(0, Duration::from_secs(60));
    let s = p.summary();
    assert_eq!(s["processed"], 300, "{s}");
    assert_eq!(s["stop_reason"], "done");
    assert_eq!(
        pids(dir.path()).len(),
        3,
        "the killed child was started again"
    );
    let seen: HashSet<(i32, i64)> = acked(dir.path())
        .into_values()
        .flatten()
        .map(|(p, o, _)| (p, o))
        .collect();
    assert_eq!(seen.len(), 300, "nothing lost");
    assert_eq!(
        committed(&group, &topic),
        [(0, Some(150)), (1, Some(150))].into()
    );
}

#[test]
fn nothing_past_a_dead_childs_unacknowledged_record_is_committed() {
    // No retries: the record the child died on fails, and the drain stops on it.
    let topic = keyed_topic("drain-pipe-die", 2, 100);
    let group = unique("g-drain-pipe-die");
    let dir = tempfile::tempdir().unwrap();
    let r = drain(&group, &topic, dir.path())
        .env("PIPE_DIE_AT", "0/40")
        .args(["--workers", "2", "--retries", "0"])
        .expect(6);
    // Killed by SIGKILL: as sh reports it (137) when sh did not exec python itself.
    assert!(
        r.stderr
            .contains("exited (signal: 9 (SIGKILL)) before acknowledging")
            || r.stderr
                .contains("exited (exit status: 137) before acknowledging"),
        "{}",
        r.stderr
    );
    let acked: HashSet<(i32, i64)> = acked(dir.path())
        .into_values()
        .flatten()
        .map(|(p, o, _)| (p, o))
        .collect();
    // Where each partition's acknowledged prefix ends (later records of the lane may have
    // gone to the restarted child before the drain stopped: they are not committed).
    let prefix = |p: i32| (0..).find(|o| !acked.contains(&(p, *o))).unwrap();
    assert_eq!(
        prefix(0),
        40,
        "acknowledged up to the record the child died on"
    );
    let c = committed(&group, &topic);
    assert_eq!(c[&0], Some(40), "committed up to the unacknowledged record");
    // The other child finished what it held: exactly its acknowledged prefix is committed.
    assert_eq!(c[&1].unwrap_or(0), prefix(1));
}

#[test]
fn a_fail_answer_goes_through_retries_and_on_failure() {
    let topic = keyed_topic("drain-pipe-fail", 1, 20);
    let group = unique("g-drain-pipe-fail");
    let dir = tempfile::tempdir().unwrap();
    let r = drain(&group, &topic, dir.path())
        .env("PIPE_FAIL_AT", "0/3")
        .args([
            "--retries",
            "2",
            "--backoff-initial",
            "10ms",
            "--on-failure",
            "skip",
        ])
        .expect(0);
    let s = r.summary();
    assert_eq!(
        (s["processed"].as_u64(), s["skipped"].as_u64()),
        (Some(19), Some(1)),
        "{s}"
    );
    assert!(s["errors"].to_string().contains("bad record 0/3"), "{s}");
    assert_eq!(committed(&group, &topic), [(0, Some(20))].into());
}

#[test]
fn ctrl_c_ends_the_drain_and_its_children() {
    let topic = keyed_topic("drain-pipe-int", 2, 2000);
    let group = unique("g-drain-pipe-int");
    let dir = tempfile::tempdir().unwrap();
    let mut p = drain(&group, &topic, dir.path())
        .env("PIPE_DELAY", "0.01")
        .args(["--workers", "2"])
        .start(dir.path(), "kbp");
    wait_until("20 records acknowledged", Duration::from_secs(30), || {
        assert!(p.running(), "kbp ended early: {}", p.stderr());
        acked(dir.path()).values().map(Vec::len).sum::<usize>() >= 20
    });
    let signalled = Instant::now();
    p.signal(libc::SIGINT);
    p.expect_code(0, Duration::from_secs(10));
    let took = p.exited_at().unwrap() - signalled;
    assert!(took < Duration::from_secs(3), "took {took:?} after Ctrl-C");
    assert_eq!(p.summary()["stop_reason"], "interrupted");
    for pid in pids(dir.path()) {
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        assert!(!alive, "child {pid} outlived kbp");
    }
    // What the children acknowledged is committed, nothing more.
    let top = highest(dir.path());
    let c = committed(&group, &topic);
    for part in 0..2 {
        assert_eq!(
            c.get(&part).copied().flatten(),
            top.get(&part).map(|o| o + 1)
        );
    }
}

/// A child that answers `ok` twice for the one record it reads, then exits: however its
/// second answer and the next record cross, that answer must never acknowledge a record
/// the child did not read (issue 20: 4 drains of 6 committed one). Each run is a fresh
/// group; every record below the commit must have been read by some child.
#[test]
fn a_surplus_answer_never_acknowledges_a_record_no_child_read() {
    let topic = keyed_topic("drain-pipe-surplus", 1, 40);
    for run in 0..8 {
        let group = unique("g-drain-pipe-surplus");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("read");
        let child = format!(
            "pipe:read -r v; printf '%s\\n' \"$v\" >> '{}'; echo ok; echo ok",
            log.display()
        );
        let r = kbp()
            .broker()
            .drain_until_end(&group, &topic, &child)
            .args(["--format", "raw", "--workers", "1", "-q"])
            .args(["--retries", "1000", "--backoff-initial", "1ms"])
            .run();
        let read: HashSet<String> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect();
        let committed = Probe::new(&group, &topic, 1).now()[0].unwrap_or(0);
        for o in 0..committed {
            assert!(
                read.contains(&format!("record-{o}")),
                "run {run}: record {o} committed (up to {committed}) though no child read it"
            );
        }
        // Done (every child was new when it got its record), or stopped on the surplus.
        assert!(
            r.code == 0 || (r.code == 6 && r.stderr.contains("with no record waiting")),
            "run {run}: exit {}: {}",
            r.code,
            r.stderr
        );
    }
}
