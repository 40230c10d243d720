//! Seeds the state `bench/lag.sh` measures: topics `bench-lag-t0..t9` (8 partitions, 2,000
//! records of 200 bytes each, about 460 KB per partition, timestamps spread over the 6 hours
//! before the first seeding) and `KBP_BENCH_GROUPS` consumer groups (default 1,000:
//! `bench-lag-g0000..g0999`); group i commits all 8 partitions of topic `t(i % 10)` at varied
//! offsets, so there is real lag and 8 committed positions per group to read for time lag.
//!
//! Idempotent: when the last group (committed last) already has its 8 commits, and every
//! topic holds its records, nothing is written. Records of another size (an older seeding)
//! are an error: reseed a fresh broker (`bash scripts/kafka.sh stop --clean` on its run dir).
//!
//! The record size matters: at 200 bytes a partition spans several 64 KB fetches, so the
//! time-lag reader cannot finish a partition with a single fetch, as it would with tiny records.
//!
//! ```text
//! cargo run --release --example bench_seed                         # seed (idempotent)
//! cargo run --release --example bench_seed -- --hold-members FILE  # seed, then keep live members
//! ```
//!
//! `--hold-members FILE` then joins live members to four of the groups (g0000 and g0002
//! with the classic protocol, g0001 and g0003 with `group.protocol=consumer`, two members
//! each), writes FILE once they own their partitions, and keeps them until FILE is deleted
//! (or 30 minutes pass); then they leave the group cleanly. Members never commit.
//!
//! The broker is `KBP_TEST_BOOTSTRAP`, or the one `scripts/kafka.sh ensure` runs.

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

const PREFIX: &str = "bench-lag";
const TOPICS: usize = 10;
const PARTITIONS: i32 = 8;
const RECORDS: i64 = 2_000;
/// Payload bytes per record (plus a 5-byte key): a modest, realistic event size.
const PAYLOAD_BYTES: usize = 200;
/// Consumer groups seeded unless `KBP_BENCH_GROUPS` says otherwise.
const DEFAULT_GROUPS: usize = 1_000;
const SPAN_MS: i64 = 6 * 3600 * 1000;
const COMMIT_THREADS: usize = 8;

fn topic(t: usize) -> String {
    format!("{PREFIX}-t{t}")
}

fn group(i: usize) -> String {
    format!("{PREFIX}-g{i:04}")
}

/// `KBP_BENCH_GROUPS`, else [`DEFAULT_GROUPS`].
fn groups() -> usize {
    match std::env::var("KBP_BENCH_GROUPS") {
        Err(_) => DEFAULT_GROUPS,
        Ok(v) => match v.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("bench_seed: KBP_BENCH_GROUPS={v}: expected a positive number of groups");
                std::process::exit(2);
            }
        },
    }
}

/// The committed offset of group `i` on partition `p`: spread over 0..=RECORDS, so lag goes
/// from 0 (some partitions are caught up) to the whole partition.
fn committed(i: usize, p: i32) -> i64 {
    ((i as i64) * 7919 + (p as i64) * 104_729) % (RECORDS + 1)
}

fn config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", fixtures::bootstrap());
    c
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let hold = match args.as_slice() {
        [] => None,
        [flag, file] if flag == "--hold-members" => Some(file.clone()),
        _ => {
            eprintln!("usage: bench_seed [--hold-members READY_FILE]");
            std::process::exit(2);
        }
    };
    let bootstrap = fixtures::bootstrap();
    let started = Instant::now();
    if seeded() {
        if hold.is_none() {
            eprintln!("bench_seed: {bootstrap}: state already present ({} groups {PREFIX}-g*, {TOPICS} topics {PREFIX}-t*), nothing to do", groups());
        }
    } else {
        seed_topics();
        seed_groups();
        assert!(seeded(), "bench_seed: state incomplete after seeding");
        eprintln!(
            "bench_seed: {bootstrap}: seeded in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    if let Some(file) = hold {
        hold_members(&file);
    }
}

/// The last group has its commits and every topic its records.
fn seeded() -> bool {
    let last = groups() - 1;
    let consumer: BaseConsumer = config()
        .set("group.id", group(last))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(&topic(last % TOPICS), p);
    }
    let Ok(got) = consumer.committed_offsets(tpl, Duration::from_secs(10)) else {
        return false;
    };
    if !got
        .elements()
        .iter()
        .all(|e| matches!(e.offset(), Offset::Offset(o) if o >= 0))
    {
        return false;
    }
    if !(0..TOPICS).all(|t| {
        (0..PARTITIONS).all(|p| end_offset(&consumer, &topic(t), p).is_some_and(|e| e >= RECORDS))
    }) {
        return false;
    }
    let size = first_payload_len();
    assert!(
        size == PAYLOAD_BYTES,
        "bench_seed: {} holds {size}-byte records, not {PAYLOAD_BYTES}: seeded by an older bench_seed; \
         start from a clean broker (KBP_KAFKA_RUN=<run dir> bash scripts/kafka.sh stop --clean)",
        topic(0)
    );
    true
}

/// Payload size of the first record of t0/0, read without joining a group.
fn first_payload_len() -> usize {
    let consumer: BaseConsumer = config()
        .set("group.id", format!("{PREFIX}-probe"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&topic(0), 0, Offset::Beginning)
        .unwrap();
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            return m.payload().map_or(0, |p| p.len());
        }
    }
    panic!("bench_seed: could not read a record of {}", topic(0));
}

fn payload(i: i64) -> String {
    let head = format!("bench-record-{i:06}-");
    format!("{head}{}", "x".repeat(PAYLOAD_BYTES - head.len()))
}

fn end_offset(consumer: &BaseConsumer, topic: &str, p: i32) -> Option<i64> {
    consumer
        .fetch_watermarks(topic, p, Duration::from_secs(10))
        .ok()
        .map(|(_, high)| high)
}

fn seed_topics() {
    let consumer: BaseConsumer = config().create().unwrap();
    let producer: BaseProducer = config()
        .set("linger.ms", "20")
        .set("acks", "1")
        .set("batch.num.messages", "10000")
        .create()
        .unwrap();
    let first_ts = fixtures::now_ms() - SPAN_MS;
    let step = SPAN_MS / RECORDS;
    let mut produced = 0;
    for t in 0..TOPICS {
        let name = topic(t);
        let exists = consumer
            .fetch_metadata(Some(&name), Duration::from_secs(10))
            .map(|md| {
                md.topics()
                    .iter()
                    .any(|t| t.error().is_none() && !t.partitions().is_empty())
            })
            .unwrap_or(false);
        if !exists {
            fixtures::create_topic(&name, PARTITIONS);
        }
        for p in 0..PARTITIONS {
            // Right after creation the leader may not answer yet: retry for a while.
            let deadline = Instant::now() + Duration::from_secs(30);
            let end = loop {
                match end_offset(&consumer, &name, p) {
                    Some(e) => break e,
                    None if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(200))
                    }
                    None => panic!("bench_seed: no end offset for {name}/{p}"),
                }
            };
            for i in end..RECORDS {
                let payload = payload(i);
                let key = format!("k{i}");
                let rec = BaseRecord::to(&name)
                    .partition(p)
                    .payload(&payload)
                    .key(&key)
                    .timestamp(first_ts + i * step);
                fixtures::send(&producer, rec);
                produced += 1;
            }
        }
    }
    producer.flush(Duration::from_secs(60)).expect("flush");
    eprintln!("bench_seed: {TOPICS} topics ready, {produced} records produced");
}

/// Commits for all groups from a few threads, one simple (non-joining) consumer per group;
/// the last group commits only after every other group has, so it marks completion.
fn seed_groups() {
    let next = AtomicUsize::new(0);
    let last = groups() - 1;
    std::thread::scope(|s| {
        for _ in 0..COMMIT_THREADS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= last {
                    break;
                }
                commit_group(i);
            });
        }
    });
    commit_group(last);
    eprintln!("bench_seed: {} groups committed", last + 1);
}

fn commit_group(i: usize) {
    let offsets: Vec<(String, i32, i64)> = (0..PARTITIONS)
        .map(|p| (topic(i % TOPICS), p, committed(i, p)))
        .collect();
    let offsets: Vec<(&str, i32, i64)> = offsets
        .iter()
        .map(|(t, p, o)| (t.as_str(), *p, *o))
        .collect();
    fixtures::commit(&group(i), &offsets);
}

fn hold_members(ready_file: &str) {
    let mut members = Vec::new();
    for (i, protocol) in [
        (0, "classic"),
        (1, "consumer"),
        (2, "classic"),
        (3, "consumer"),
    ] {
        let t = topic(i % TOPICS);
        for _ in 0..2 {
            members.push(fixtures::Member::join(
                &group(i),
                &[t.as_str()],
                protocol,
                &[],
            ));
        }
    }
    std::fs::write(ready_file, format!("{} live members\n", members.len()))
        .expect("write ready file");
    eprintln!(
        "bench_seed: {} live members in 4 groups; holding until {ready_file} is deleted",
        members.len()
    );
    let deadline = Instant::now() + Duration::from_secs(30 * 60);
    while std::path::Path::new(ready_file).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(members);
    eprintln!("bench_seed: live members left");
}
