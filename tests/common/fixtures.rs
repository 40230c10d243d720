//! Kafka fixtures shared by the integration tests and the benchmarks: the real broker
//! (started on demand by scripts/kafka.sh) and topics, records, commits and live members
//! built with rdkafka directly, so they do not depend on the code under test.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn kafka_sh(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(repo().join("scripts/kafka.sh"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/kafka.sh")
}

/// The broker's PLAINTEXT bootstrap: `KBP_TEST_BOOTSTRAP`, or one started (once, shared by
/// all test processes) by `scripts/kafka.sh ensure`. Never skipped: no broker is a failure.
pub fn bootstrap() -> &'static str {
    static B: OnceLock<String> = OnceLock::new();
    B.get_or_init(|| {
        if let Ok(b) = std::env::var("KBP_TEST_BOOTSTRAP") {
            return b;
        }
        let out = kafka_sh(&["ensure"]);
        assert!(
            out.status.success(),
            "scripts/kafka.sh ensure failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// The SCRAM-SHA-512 listener (user `kbp`, password `kbp-secret`).
pub fn sasl_bootstrap() -> String {
    bootstrap();
    let out = kafka_sh(&["sasl-bootstrap"]);
    assert!(
        out.status.success(),
        "no SASL listener: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000;
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn config() -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap());
    c
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

pub fn create_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = config().create().unwrap();
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let res = block_on(admin.create_topics(
        [&topic],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))
    .expect("create topic");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
    // Wait until the metadata shows every partition with a leader.
    let consumer: BaseConsumer = config().create().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(md) = consumer.fetch_metadata(Some(name), Duration::from_secs(5)) {
            if md.topics().iter().any(|t| {
                t.error().is_none()
                    && t.partitions().len() == partitions as usize
                    && t.partitions().iter().all(|p| p.leader() >= 0)
            }) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "topic {name} not ready");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Produces `count` records to one partition; record i has timestamp `first_ts + i * step_ms`.
pub fn produce(topic: &str, partition: i32, count: usize, first_ts: i64, step_ms: i64) {
    let producer: BaseProducer = config()
        .set("linger.ms", "5")
        .set("acks", "all")
        .create()
        .unwrap();
    for i in 0..count {
        let payload = format!("record-{i}");
        let key = format!("k{i}");
        let rec = BaseRecord::to(topic)
            .partition(partition)
            .payload(&payload)
            .key(&key)
            .timestamp(first_ts + i as i64 * step_ms);
        send(&producer, rec);
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// Sends one record, waiting while the producer queue is full.
pub fn send(producer: &BaseProducer, mut rec: BaseRecord<'_, String, String>) {
    loop {
        match producer.send(rec) {
            Ok(()) => return,
            Err((_, r)) => {
                rec = r;
                producer.poll(Duration::from_millis(10));
            }
        }
    }
}

/// A new topic whose partitions each hold `per_partition` records (values `record-<i>`).
pub fn topic_with(prefix: &str, partitions: i32, per_partition: usize) -> String {
    let topic = unique(prefix);
    create_topic(&topic, partitions);
    for p in 0..partitions {
        produce(&topic, p, per_partition, now_ms() - 60_000, 1);
    }
    topic
}

/// Commits offsets for `group` without joining it (a "simple" consumer); the group is Empty.
pub fn commit(group: &str, offsets: &[(&str, i32, i64)]) {
    let consumer: BaseConsumer = config()
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for (t, p, o) in offsets {
        tpl.add_partition_offset(t, *p, Offset::Offset(*o)).unwrap();
    }
    consumer.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// Moves the log start offset of a partition, as retention would.
pub fn delete_records(topic: &str, partition: i32, before: i64) {
    let admin: AdminClient<DefaultClientContext> = config().create().unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(before))
        .unwrap();
    block_on(admin.delete_records(&tpl, &AdminOptions::new())).expect("delete records");
}

/// A live group member polling in a thread until dropped.
pub struct Member {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    pub client_id: String,
}

impl Member {
    /// Joins `group` on `topics` with `protocol` (`classic` or `consumer`), waits until it
    /// owns partitions, then commits `commits` (the group is Stable with one member).
    pub fn join(
        group: &str,
        topics: &[&str],
        protocol: &str,
        commits: &[(&str, i32, i64)],
    ) -> Member {
        let client_id = unique("member");
        let mut c = config();
        c.set("group.id", group)
            .set("client.id", &client_id)
            .set("group.protocol", protocol)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "latest");
        if protocol == "classic" {
            c.set("session.timeout.ms", "10000")
                .set("heartbeat.interval.ms", "500");
        }
        let consumer: BaseConsumer = c.create().unwrap();
        consumer.subscribe(topics).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while consumer.assignment().map(|a| a.count()).unwrap_or(0) == 0 {
            assert!(
                Instant::now() < deadline,
                "member of {group} got no assignment"
            );
            consumer.poll(Duration::from_millis(100));
        }
        if !commits.is_empty() {
            let mut tpl = TopicPartitionList::new();
            for (t, p, o) in commits {
                tpl.add_partition_offset(t, *p, Offset::Offset(*o)).unwrap();
            }
            consumer
                .commit(&tpl, CommitMode::Sync)
                .expect("member commit");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            // Pause so the member reads nothing (and commits nothing) on its own.
            if let Ok(a) = consumer.assignment() {
                let _ = consumer.pause(&a);
            }
            while !flag.load(Ordering::Relaxed) {
                consumer.poll(Duration::from_millis(100));
                if let Ok(a) = consumer.assignment() {
                    let _ = consumer.pause(&a);
                }
            }
            consumer.unsubscribe();
        });
        Member {
            stop,
            handle: Some(handle),
            client_id,
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
