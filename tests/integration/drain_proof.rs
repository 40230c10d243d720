//! `kbp drain`'s guarantees under stress, against the real broker: at-least-once across
//! `kill -9` and restarts, clean hand-over when a second drain joins and leaves the group,
//! SIGINT (graceful) and a second SIGINT (exit at once), per-key ordering with parallel
//! workers, and retries with backoff.
//!
//! Each test runs the real binary as a child process (so it can be killed or signalled),
//! and judges kbp only by what is observable from outside: the sink's output, the exit
//! status, the one-line JSON summary, and the group's committed offsets read with rdkafka
//! (and cross-checked with Apache's kafka-consumer-groups).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Fails unless each partition's committed offset never moves backwards across samples.
fn assert_monotonic(what: &str, samples: &[Vec<Option<i64>>]) {
    let parts = samples.first().map_or(0, Vec::len);
    for p in 0..parts {
        let mut last: Option<(usize, i64)> = None;
        for (i, s) in samples.iter().enumerate() {
            match (s[p], last) {
                (Some(c), Some((j, prev))) => {
                    assert!(
                        c >= prev,
                        "{what}: partition {p}: committed offset went back from {prev} (sample {j}) to {c} (sample {i})"
                    );
                    last = Some((i, c));
                }
                (Some(c), None) => last = Some((i, c)),
                (None, Some((j, prev))) => panic!(
                    "{what}: partition {p}: committed offset {prev} (sample {j}) disappeared (sample {i})"
                ),
                (None, None) => {}
            }
        }
    }
}

/// Lets a KIP-848 group fence a dead member after 3 s instead of the broker's 10 s, so a
/// restart after `kill -9` gets the partitions back quickly.
fn fast_session(group: &str) {
    let out = kafka_sh(&[
        "tool",
        "configs",
        "--bootstrap-server",
        bootstrap(),
        "--entity-type",
        "groups",
        "--entity-name",
        group,
        "--alter",
        "--add-config",
        "consumer.session.timeout.ms=3000,consumer.heartbeat.interval.ms=500",
    ]);
    assert!(
        out.status.success(),
        "group config: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `DRAIN_PROOF_DEBUG=cgrp,...` adds `-v -X debug=...` to the drains of some tests, whose
/// stderr is then printed (run with `--nocapture`).
fn debug_args() -> Vec<String> {
    match std::env::var("DRAIN_PROOF_DEBUG") {
        Ok(d) if !d.is_empty() => vec!["-v".into(), "-X".into(), format!("debug={d}")],
        _ => vec![],
    }
}

fn u(v: &serde_json::Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {v}"))
}

// ---------------------------------------------------------------------------------------
// 1. At-least-once under kill -9
// ---------------------------------------------------------------------------------------

/// How a run of the crash test ends.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// SIGKILL this long after the start (maybe before the group assigned anything).
    After(Duration),
    /// SIGKILL as soon as the run's file holds this many lines.
    AtLines(usize),
    /// SIGINT once the file holds this many lines, then SIGKILL as soon as kbp says it
    /// is stopping: dies in the middle of its graceful shutdown (final commit, leave).
    DuringShutdown(usize),
}

#[test]
fn drain_proof_sigkill_at_any_point_then_restart_loses_nothing() {
    const PARTS: i32 = 3;
    const PER: i64 = 10_000;
    const RATE: u64 = 2_000; // --rate, records/s
    const HIGH: u64 = 200; // --high-water
    const WORKERS: u64 = 8; // --workers (the default)
    const INTERVAL: Duration = Duration::from_millis(200); // --commit-interval
    let topic = topic_with("proof-kill", PARTS, PER as usize);
    let group = unique("g-proof-kill");
    fast_session(&group);
    let dir = tempfile::tempdir().unwrap();
    let probe = Probe::new(&group, &topic, PARTS);
    let rate = format!("{RATE}/s");
    let high = HIGH.to_string();
    let interval = format!("{}ms", INTERVAL.as_millis());
    let drain = |sink: &str| {
        kbp()
            .broker()
            .drain_until_end(&group, &topic, sink)
            .args(["--commit-interval", &interval, "--rate", &rate])
            .args(["--high-water", &high, "--low-water", "100"])
            .args(["--summary", "json", "-q", "-X", "group.protocol=consumer"])
    };
    // A run killed at any point re-reads at most what it processed since its last
    // commit: up to one commit interval (plus the commit's own latency, generously 1 s)
    // at --rate, plus the token bucket's initial burst (one second's worth), plus what
    // sat in the queue and in the workers.
    let dup_bound = (RATE as f64 * (INTERVAL.as_secs_f64() + 1.0)) as u64 + RATE + HIGH + WORKERS;

    let plan = [
        Kill::After(Duration::from_millis(300)),
        Kill::AtLines(1),
        Kill::After(Duration::from_millis(2_500)),
        Kill::AtLines(2_500),
        Kill::DuringShutdown(1_000),
        Kill::After(Duration::from_millis(1_700)),
    ];
    // Every (partition, offset) written by any run, with its count.
    let mut seen: BTreeMap<(i32, i64), u32> = BTreeMap::new();
    let mut report = vec![];
    let started = Instant::now();
    let mut run = 0;
    loop {
        let before = probe.now();
        let out = dir.path().join(format!("run-{run}.jsonl"));
        let sink = format!("file:{}", out.display());
        let mut d = drain(&sink).start(dir.path(), &format!("run-{run}"));
        let kill = plan.get(run).copied();
        match kill {
            Some(Kill::After(t)) => {
                while d.running() && d.started.elapsed() < t {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            Some(Kill::AtLines(n)) | Some(Kill::DuringShutdown(n)) => {
                wait_until(
                    &format!("run {run}: {n} lines"),
                    Duration::from_secs(30),
                    || line_count(&out) >= n || !d.running(),
                );
                if let (Some(Kill::DuringShutdown(_)), true) = (kill, d.running()) {
                    d.signal(libc::SIGINT);
                    wait_until("kbp to acknowledge SIGINT", Duration::from_secs(10), || {
                        d.stderr().contains("stopping") || !d.running()
                    });
                }
            }
            None => {}
        }
        if kill.is_some() {
            // A graceful stop may complete before the SIGKILL lands: that is fine.
            let stopped_itself = matches!(kill, Some(Kill::DuringShutdown(_))) && !d.running();
            assert!(
                d.running() || stopped_itself,
                "run {run} ended before its kill ({kill:?}): the backlog is too small for this plan; stderr:\n{}",
                d.stderr()
            );
            if d.running() {
                d.kill();
            }
        }
        let status = d.wait(Duration::from_secs(60));
        let after = probe.now();
        let recs = records_in(&out, &topic, kill.is_some());

        // Within a run, each partition is read from the committed offset on, in order,
        // without gaps (partition ordering, nothing fails).
        let mut per: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
        for &(p, o) in &recs {
            per.entry(p).or_default().push(o);
        }
        for (p, offs) in &per {
            let from = before[*p as usize].unwrap_or(0);
            assert_eq!(
                offs[0], from,
                "run {run}: partition {p} started at {} but the group had committed {from}",
                offs[0]
            );
            for w in offs.windows(2) {
                assert_eq!(
                    w[1],
                    w[0] + 1,
                    "run {run}: partition {p}: {} after {}",
                    w[1],
                    w[0]
                );
            }
        }
        for &r in &recs {
            *seen.entry(r).or_default() += 1;
        }
        // No loss: whatever is committed now was written (and flushed) by some run.
        for p in 0..PARTS {
            if let Some(c) = after[p as usize] {
                let missing: Vec<i64> = (0..c).filter(|o| !seen.contains_key(&(p, *o))).collect();
                assert!(
                    missing.is_empty(),
                    "run {run} ({kill:?}): partition {p} committed {c} but {} offsets below it were never written, first {:?}",
                    missing.len(),
                    &missing[..missing.len().min(10)]
                );
            }
        }
        // Duplicates this run causes: what it wrote at or past the offset it left committed.
        let dups: usize = recs
            .iter()
            .filter(|(p, o)| after[*p as usize].is_none_or(|c| *o >= c))
            .count();
        report.push(format!(
            "run {run} {kill:?}: {:?} after {:?}, wrote {}, committed {before:?} -> {after:?}, re-read next: {dups}",
            status,
            d.started.elapsed(),
            recs.len()
        ));
        match kill {
            Some(_) if status.signal().is_none() => {
                // Only a SIGINT'ed run can get here: it finished its graceful stop.
                assert_eq!(status.code(), Some(0), "run {run}: {}", d.stderr());
                assert_eq!(d.summary()["stop_reason"], "interrupted");
                assert_eq!(dups, 0, "a graceful stop commits all it processed");
            }
            Some(_) => {
                assert_eq!(status.signal(), Some(libc::SIGKILL), "run {run}");
                assert!(
                    dups as u64 <= dup_bound,
                    "run {run} ({kill:?}): {dups} records processed but not committed (bound {dup_bound})\n{}",
                    report.join("\n")
                );
            }
            None => {
                assert_eq!(
                    status.code(),
                    Some(0),
                    "final run: stdout\n{}\nstderr\n{}",
                    d.stdout(),
                    d.stderr()
                );
                let s = d.summary();
                assert_eq!(s["stop_reason"], "done", "{s}");
                assert_eq!(u(&s, "commit_failures"), 0, "{s}");
                assert_eq!(u(&s, "processed") as usize, recs.len(), "{s}");
                assert_eq!(dups, 0, "a clean finish leaves nothing uncommitted");
                break;
            }
        }
        run += 1;
    }
    eprintln!("{}\ntotal {:?}", report.join("\n"), started.elapsed());

    // Every produced offset is in the output at least once, and nothing else is.
    let missing: Vec<(i32, i64)> = (0..PARTS)
        .flat_map(|p| (0..PER).map(move |o| (p, o)))
        .filter(|k| !seen.contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} offsets never written, first {:?}\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        report.join("\n")
    );
    assert_eq!(
        seen.len() as i64,
        PARTS as i64 * PER,
        "no offset beyond the log end"
    );
    assert_eq!(probe.now(), vec![Some(PER); PARTS as usize]);
    let apache = apache_describe(&group);
    for p in 0..PARTS {
        assert_eq!(apache[&(topic.clone(), p)].0, Some(PER), "{apache:?}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. A second drain joins and leaves mid-drain
// ---------------------------------------------------------------------------------------

/// Two drains of one group, both rate-limited so they overlap: the second joins while the
/// first is busy, takes some partitions, and leaves on SIGINT; the first takes them back and
/// finishes. Nothing is lost, nothing is processed twice (each hand-over commits exactly
/// what was processed), no commit fails, and no committed offset ever moves backwards.
fn second_drain_joins_and_leaves(protocol: &str) {
    const PARTS: i32 = 4;
    // Enough that the first drain (200/s) cannot finish the partitions it keeps before the
    // second leaves (about 7 s in): with `--until end` it would stop as soon as every
    // partition *it* holds is done, and nobody would drain the second's afterwards.
    const PER: i64 = 1_200;
    let topic = topic_with("proof-rebalance", PARTS, PER as usize);
    let group = unique("g-proof-rebalance");
    let dir = tempfile::tempdir().unwrap();
    let out_a = dir.path().join("a.jsonl");
    let out_b = dir.path().join("b.jsonl");
    let proto = format!("group.protocol={protocol}");
    let drain = |out: &Path| {
        let sink = format!("file:{}", out.display());
        kbp()
            .broker()
            .args(["drain", "-g", &group, "-t", &topic, "--rate", "200/s"])
            .args(["--sink", &sink, "--summary", "json", "-q", "-X", &proto])
            .args(debug_args())
    };
    let started = Instant::now();
    let probe = Probe::new(&group, &topic, PARTS);
    let committed_total = || probe.now().iter().map(|c| c.unwrap_or(0)).sum::<i64>();
    let sampler = Probe::new(&group, &topic, PARTS).sample();
    let apache = {
        let group = group.clone();
        sample_every(Duration::ZERO, move || apache_describe(&group))
    };

    let mut a = drain(&out_a)
        .args(["--until", "end"])
        .start(dir.path(), "first");
    wait_until(
        "the first drain to commit 300 records",
        Duration::from_secs(30),
        || {
            assert!(a.running(), "first drain exited early: {}", a.stderr());
            committed_total() >= 300
        },
    );
    let mut b = drain(&out_b).start(dir.path(), "second");
    let joined_at = committed_total();
    b.wait_for_lines(&out_b, 100, Duration::from_secs(30));
    assert!(
        a.running(),
        "the first drain must still be running when the second leaves"
    );
    b.signal(libc::SIGINT);
    b.expect_code(0, Duration::from_secs(20));
    let left_at = committed_total();
    a.expect_code(0, Duration::from_secs(40));
    let samples = sampler.stop();
    let apache_samples = apache.stop();

    if !debug_args().is_empty() {
        eprintln!(
            "first stderr:\n{}\nsecond stderr:\n{}",
            a.stderr(),
            b.stderr()
        );
    }
    let sa = a.summary();
    let sb = b.summary();
    let ra = records_in(&out_a, &topic, false);
    let rb = records_in(&out_b, &topic, false);
    eprintln!(
        "{protocol}: first {} records, second {}; committed {joined_at} when the second joined, {left_at} when it left; {} samples, {} from Apache; {:?}\nfirst: {sa}\nsecond: {sb}",
        ra.len(),
        rb.len(),
        samples.len(),
        apache_samples.len(),
        started.elapsed()
    );
    assert_eq!(sa["stop_reason"], "done", "{sa}");
    assert_eq!(sb["stop_reason"], "interrupted", "{sb}");
    assert_eq!(u(&sa, "failed") + u(&sb, "failed"), 0);
    assert!(
        u(&sb, "processed") > 0,
        "the second drain got partitions: {sb}"
    );
    assert_eq!(u(&sa, "processed") as usize, ra.len(), "{sa}");
    assert_eq!(u(&sb, "processed") as usize, rb.len(), "{sb}");
    // Partitions the second drain worked on went back to the first and were finished there.
    let b_parts: BTreeSet<i32> = rb.iter().map(|r| r.0).collect();
    let a_parts: BTreeSet<i32> = ra.iter().map(|r| r.0).collect();
    assert!(
        b_parts.iter().all(|p| a_parts.contains(p)),
        "first drained {a_parts:?}, second {b_parts:?}"
    );

    // Union: every offset; and each exactly once, since every hand-over was clean.
    let mut seen: BTreeMap<(i32, i64), Vec<&str>> = BTreeMap::new();
    for r in &ra {
        seen.entry(*r).or_default().push("first");
    }
    for r in &rb {
        seen.entry(*r).or_default().push("second");
    }
    let missing: Vec<(i32, i64)> = (0..PARTS)
        .flat_map(|p| (0..PER).map(move |o| (p, o)))
        .filter(|k| !seen.contains_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} offsets in neither file, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let twice: Vec<_> = seen.iter().filter(|(_, w)| w.len() > 1).take(10).collect();
    assert!(twice.is_empty(), "processed more than once: {twice:?}");
    assert_eq!(seen.len() as i64, PARTS as i64 * PER);

    // Committed offsets only ever move forward, in both views.
    assert!(samples.len() >= 20, "too few samples: {}", samples.len());
    assert_monotonic("OffsetFetch samples", &samples);
    let apache_rows: Vec<Vec<Option<i64>>> = apache_samples
        .iter()
        .map(|m| {
            (0..PARTS)
                .map(|p| m.get(&(topic.clone(), p)).and_then(|r| r.0))
                .collect()
        })
        .collect();
    assert_monotonic("kafka-consumer-groups samples", &apache_rows);
    assert_eq!(samples.last().unwrap(), &vec![Some(PER); PARTS as usize]);
    let end = apache_describe(&group);
    for p in 0..PARTS {
        assert_eq!(end[&(topic.clone(), p)].0, Some(PER), "{end:?}");
    }
    // A rebalance is routine: no commit may fail because of one.
    assert_eq!(u(&sa, "commit_failures"), 0, "first drain: {sa}");
    assert_eq!(u(&sb, "commit_failures"), 0, "second drain: {sb}");
}

#[test]
fn drain_proof_second_drain_joins_and_leaves_classic() {
    second_drain_joins_and_leaves("classic");
}

#[test]
fn drain_proof_second_drain_joins_and_leaves_consumer_protocol() {
    second_drain_joins_and_leaves("consumer");
}

// ---------------------------------------------------------------------------------------
// 3. SIGINT: finish in-flight work, commit exactly the processed prefix; twice: leave now
// ---------------------------------------------------------------------------------------

#[test]
fn drain_proof_sigint_finishes_in_flight_and_commits_exactly_the_processed_prefix() {
    const PARTS: i32 = 4;
    const PER: usize = 40;
    let topic = topic_with("proof-sigint", PARTS, PER);
    let group = unique("g-proof-sigint");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sink.log");
    let sink = logging_sink(&log, "0.2");
    let mut d = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args(["--workers", "4", "--summary", "json", "-q"])
        .start(dir.path(), "drain");
    // About 2 s of processing (4 partitions in parallel at most, 0.2 s a record).
    d.wait_for_lines(&log, 20, Duration::from_secs(30));
    let before_signal = line_count(&log);
    let signalled = Instant::now();
    d.signal(libc::SIGINT);
    // Generous, so that a slow stop still reaches the checks below and is measured.
    d.expect_code(0, Duration::from_secs(40));
    let took = d.exited_at().unwrap() - signalled;
    let s = d.summary();
    let done = logged(&log);
    let probe = Probe::new(&group, &topic, PARTS);
    let committed = probe.now();
    let apache = apache_describe(&group);
    eprintln!("SIGINT to exit: {took:?}; processed {done:?}\ncommitted {committed:?}\n{s}");

    assert_eq!(s["stop_reason"], "interrupted", "{s}");
    assert!(
        d.stderr().contains("stopping"),
        "announces the stop: {}",
        d.stderr()
    );
    let processed = u(&s, "processed") as usize;
    assert_eq!(
        processed,
        done.values().map(Vec::len).sum::<usize>(),
        "the summary counts what the sink finished: {s}"
    );
    assert!(
        processed >= 20 && processed < PARTS as usize * PER,
        "stopped mid-drain: {s}"
    );
    let summary_parts: BTreeMap<i64, &serde_json::Value> = s["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["partition"].as_i64().unwrap(), p))
        .collect();
    for p in 0..PARTS {
        // Partition order: the sink finished exactly offsets 0..n of each partition.
        let offs = done.get(&p).cloned().unwrap_or_default();
        let n = offs.len() as i64;
        assert_eq!(
            offs,
            (0..n).collect::<Vec<_>>(),
            "partition {p}: processed in order, no gap"
        );
        // Committed = start + processed = the processed prefix: nothing more, nothing less.
        let c = committed[p as usize];
        if n == 0 {
            assert!(
                c.is_none() || c == Some(0),
                "partition {p}: committed {c:?}, processed none"
            );
        } else {
            assert_eq!(
                c,
                Some(n),
                "partition {p}: committed vs processed prefix {offs:?}"
            );
        }
        assert_eq!(apache[&(topic.clone(), p)].0, committed[p as usize]);
        if n > 0 {
            let ps = summary_parts[&(p as i64)];
            assert_eq!(
                ps["start_offset"].as_i64().unwrap() + ps["processed"].as_i64().unwrap(),
                n,
                "{ps}"
            );
            assert_eq!(ps["committed_offset"].as_i64(), Some(n), "{ps}");
        }
    }
    // "Finishing in-flight records" means the ones the 4 workers were running at the
    // signal (one per partition lane), not the queued ones: those are dropped and stay
    // uncommitted for the next run. Slack of one more per worker for the race between
    // counting the log and the signal landing.
    let after_signal = processed - before_signal;
    assert!(
        after_signal <= 2 * 4,
        "{after_signal} records finished after SIGINT (in flight at most 4); the stop took {took:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "in-flight records take 0.2 s; the stop took {took:?}"
    );
}

#[test]
fn drain_proof_second_sigint_exits_130_at_once_committing_nothing_unprocessed() {
    const PARTS: i32 = 4;
    let topic = topic_with("proof-sigint2", PARTS, 30);
    let group = unique("g-proof-sigint2");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sink.log");
    // Offsets 0..5 of each partition are quick; offset 5 then hangs (30 s), holding every
    // worker, so the first SIGINT's graceful stop would have to wait for it.
    let sink = format!(
        "exec:if [ \"$KBP_OFFSET\" -ge 5 ]; then sleep 30; fi; echo \"$KBP_PARTITION $KBP_OFFSET\" >> '{}'",
        log.display()
    );
    let mut d = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args([
            "--workers",
            "4",
            "--commit-interval",
            "100ms",
            "--summary",
            "json",
            "-q",
        ])
        .start(dir.path(), "drain");
    let probe = Probe::new(&group, &topic, PARTS);
    wait_until(
        "offsets 0..5 of every partition processed and committed",
        Duration::from_secs(30),
        || {
            assert!(d.running(), "drain ended early: {}", d.stderr());
            probe.now() == vec![Some(5); PARTS as usize]
        },
    );
    d.signal(libc::SIGINT);
    wait_until(
        "kbp to acknowledge the first SIGINT",
        Duration::from_secs(5),
        || d.stderr().contains("stopping"),
    );
    assert!(d.running(), "the first SIGINT waits for in-flight records");
    let second = Instant::now();
    d.signal(libc::SIGINT);
    d.expect_code(130, Duration::from_secs(10));
    let took = d.exited_at().unwrap() - second;
    let committed = probe.now();
    let done = logged(&log);
    eprintln!(
        "second SIGINT to exit: {took:?}; committed {committed:?}; stderr:\n{}",
        d.stderr()
    );
    assert!(
        took < Duration::from_secs(2),
        "exits at once on the second SIGINT, took {took:?}"
    );
    assert!(d.stderr().contains("interrupted again"), "{}", d.stderr());
    for p in 0..PARTS {
        assert_eq!(
            done.get(&p),
            Some(&(0..5).collect::<Vec<i64>>()),
            "partition {p}"
        );
    }
    assert_eq!(
        committed,
        vec![Some(5); PARTS as usize],
        "nothing past the processed prefix (offset 5 was in flight)"
    );
    let apache = apache_describe(&group);
    for p in 0..PARTS {
        assert_eq!(apache[&(topic.clone(), p)].0, Some(5), "{apache:?}");
    }
}

/// Ctrl-C in a terminal sends SIGINT to the whole foreground process group, so the exec
/// sink's commands get it too, not only kbp. The graceful stop must still finish in-flight
/// records: a record whose command died of the operator's Ctrl-C was not processed, and must
/// not fail the drain (exit 6), be skipped or be committed.
#[test]
fn drain_proof_ctrl_c_to_the_process_group_still_stops_gracefully() {
    const PARTS: i32 = 4;
    const PER: usize = 40;
    let topic = topic_with("proof-ctrlc", PARTS, PER);
    let group = unique("g-proof-ctrlc");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sink.log");
    let sink = logging_sink(&log, "0.3");
    let mut d = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args([
            "--workers",
            "4",
            "--retries",
            "0",
            "--on-failure",
            "skip",
            "--summary",
            "json",
            "-q",
        ])
        .start(dir.path(), "drain");
    d.wait_for_lines(&log, 12, Duration::from_secs(30));
    // What a terminal does: the signal goes to the process group (kbp is its leader).
    // SAFETY: kill(2) on the process group we created for this child.
    assert_eq!(unsafe { libc::kill(-d.pid(), libc::SIGINT) }, 0);
    let status = d.wait(Duration::from_secs(40));
    let done = logged(&log);
    let committed = Probe::new(&group, &topic, PARTS).now();
    eprintln!(
        "exit {status:?}; processed {done:?}; committed {committed:?}\nstdout: {}\nstderr: {}",
        d.stdout(),
        d.stderr()
    );
    // Nothing the sink did not finish is committed (the core guarantee, checked first):
    // the committed offset is at most the first offset missing from the sink's log.
    for p in 0..PARTS {
        let offs: BTreeSet<i64> = done
            .get(&p)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let prefix = (0..).find(|o| !offs.contains(o)).unwrap();
        assert!(
            committed[p as usize].unwrap_or(0) <= prefix,
            "partition {p}: committed {:?}, but offset {prefix} was never processed (the sink finished {offs:?})",
            committed[p as usize]
        );
    }
    assert_eq!(status.code(), Some(0), "stderr:\n{}", d.stderr());
    let s = d.summary();
    assert_eq!(s["stop_reason"], "interrupted", "{s}");
    assert_eq!(u(&s, "skipped") + u(&s, "failed"), 0, "{s}");
}

// ---------------------------------------------------------------------------------------
// 4. --ordering key: per-key order with parallel workers
// ---------------------------------------------------------------------------------------

#[test]
fn drain_proof_key_ordering_keeps_each_key_in_order_and_runs_keys_in_parallel() {
    const N: usize = 160;
    const KEYS: usize = 4;
    let topic = unique("proof-keys");
    create_topic(&topic, 1);
    produce_each(&topic, 0, N, |i| {
        (format!("key{}", i % KEYS), format!("v{i}"), None)
    });
    let group = unique("g-proof-keys");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sink.log");
    // 0 to 90 ms, varying from record to record (dash has no $RANDOM): without per-key
    // lanes a later record of a key would often finish before an earlier one.
    let sink = format!(
        "exec:sleep 0.0$(( (KBP_OFFSET * 7) % 10 )); echo \"$KBP_KEY $KBP_OFFSET\" >> '{}'",
        log.display()
    );
    let started = Instant::now();
    let mut d = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args([
            "--ordering",
            "key",
            "--workers",
            "8",
            "--summary",
            "json",
            "-q",
        ])
        .start(dir.path(), "drain");
    d.expect_code(0, Duration::from_secs(45));
    let s = d.summary();
    let lines = exec_lines(&log);
    eprintln!("{} records in {:?}: {s}", lines.len(), started.elapsed());
    assert_eq!(u(&s, "processed") as usize, N, "{s}");
    let order: Vec<(String, i64)> = lines
        .iter()
        .map(|l| (l[0].clone(), l[1].parse().unwrap()))
        .collect();
    let offsets: BTreeSet<i64> = order.iter().map(|r| r.1).collect();
    assert_eq!(offsets.len(), N, "each record once");
    assert_eq!(order.len(), N, "each record once");
    // Per key: in offset order.
    let mut last: BTreeMap<&str, i64> = BTreeMap::new();
    for (k, o) in &order {
        assert_eq!(
            k,
            &format!("key{}", *o as usize % KEYS),
            "key of offset {o}"
        );
        if let Some(prev) = last.insert(k, *o) {
            assert!(o > &prev, "key {k}: offset {o} finished after {prev}");
        }
    }
    // Keys ran in parallel: the partition's offsets finished out of order somewhere.
    let inversions = order.windows(2).filter(|w| w[1].1 < w[0].1).count();
    assert!(
        inversions > 0,
        "records finished in strict offset order: keys did not run in parallel"
    );
    let committed = Probe::new(&group, &topic, 1).now();
    assert_eq!(committed, vec![Some(N as i64)]);
}

// ---------------------------------------------------------------------------------------
// 5. Retries with backoff
// ---------------------------------------------------------------------------------------

#[test]
fn drain_proof_retries_with_backoff_until_each_record_succeeds() {
    const PARTS: i32 = 2;
    const PER: usize = 20;
    let topic = topic_with("proof-retry", PARTS, PER);
    let group = unique("g-proof-retry");
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    // Attempt k of a record leaves mark .k; attempts 0 and 1 fail, attempt 2 succeeds.
    let sink = format!(
        "exec:m='{}'/$KBP_PARTITION-$KBP_OFFSET; \
         if [ -e $m.1 ]; then touch $m.2; exit 0; \
         elif [ -e $m.0 ]; then touch $m.1; exit 1; \
         else touch $m.0; exit 1; fi",
        marks.display()
    );
    let mut d = kbp()
        .broker()
        .drain_until_end(&group, &topic, &sink)
        .args([
            "--retries",
            "3",
            "--backoff-initial",
            "10ms",
            "--on-failure",
            "skip",
            "--summary",
            "json",
            "-q",
        ])
        .start(dir.path(), "drain");
    d.expect_code(0, Duration::from_secs(45));
    let s = d.summary();
    eprintln!("{s}");
    let total = (PARTS as usize * PER) as u64;
    assert_eq!(s["stop_reason"], "done", "{s}");
    assert_eq!(u(&s, "processed"), total, "{s}");
    assert_eq!(
        (u(&s, "skipped"), u(&s, "failed"), u(&s, "dead_lettered")),
        (0, 0, 0),
        "{s}"
    );
    assert_eq!(u(&s, "retries"), 2 * total, "two retries per record: {s}");
    // Exactly three attempts per record, none after its success.
    let mut attempts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in std::fs::read_dir(&marks).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let (rec, k) = name.rsplit_once('.').unwrap();
        attempts
            .entry(rec.to_string())
            .or_default()
            .insert(k.to_string());
    }
    assert_eq!(attempts.len() as u64, total);
    for (rec, ks) in &attempts {
        assert_eq!(
            ks.iter().map(String::as_str).collect::<Vec<_>>(),
            ["0", "1", "2"],
            "{rec}"
        );
    }
    assert_eq!(
        Probe::new(&group, &topic, PARTS).now(),
        vec![Some(PER as i64); PARTS as usize]
    );
}
