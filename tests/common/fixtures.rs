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
    listener("sasl")
}

/// The bootstrap of one of scripts/kafka.sh's listeners (`sasl`, `ssl`, `mtls`, `expired`,
/// `sasl-ssl`: see the script's header) of the shared test broker.
pub fn listener(name: &str) -> String {
    bootstrap();
    let out = kafka_sh(&[&format!("{name}-bootstrap")]);
    assert!(
        out.status.success(),
        "no {name} listener: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The test PKI of the shared broker (`ca.pem`, `other-ca.pem`, `client.pem`, …).
pub fn tls_dir() -> PathBuf {
    bootstrap();
    let out = kafka_sh(&["tls-dir"]);
    assert!(
        out.status.success(),
        "no TLS dir: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// The restricted principal of the test broker and its password (scripts/kafka.sh: only
/// cluster DESCRIBE; READ on topics and groups `lim-*`, DESCRIBE on groups `limd-*`, WRITE
/// on topics `limw-*`).
pub const LIMITED_USER: &str = "kbp-limited";
pub const LIMITED_PASSWORD: &str = "kbp-limited-secret";

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

/// A client of the test broker.
pub fn client_config() -> ClientConfig {
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
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let res = block_on(admin.create_topics(
        [&topic],
        &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
    ))
    .expect("create topic");
    for r in res {
        r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
    }
    create_topic_wait(name, partitions);
}

/// Waits until the metadata shows every partition of `name` with a leader.
fn create_topic_wait(name: &str, partitions: i32) {
    let consumer: BaseConsumer = client_config().create().unwrap();
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

/// Deletes `name` and makes it again, empty, with `partitions` partitions (the broker
/// refuses the name for a moment while the deletion completes).
pub fn recreate_topic(name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for r in block_on(admin.delete_topics(&[name], &opts)).expect("delete topic") {
        r.unwrap_or_else(|(t, e)| panic!("delete topic {t}: {e}"));
    }
    let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let made = block_on(admin.create_topics([&topic], &opts)).expect("create topic");
        if made.iter().all(|r| r.is_ok()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "topic {name} not made again: {made:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    create_topic_wait(name, partitions);
}

/// Produces `count` records to one partition; record i has timestamp `first_ts + i * step_ms`.
pub fn produce(topic: &str, partition: i32, count: usize, first_ts: i64, step_ms: i64) {
    produce_each(topic, partition, count, |i| {
        (
            format!("k{i}"),
            format!("record-{i}"),
            Some(first_ts + i as i64 * step_ms),
        )
    });
}

/// Produces `count` records to one partition, record i as `record(i)` says: its key, its
/// value and its timestamp (`None`: the producer's clock).
pub fn produce_each(
    topic: &str,
    partition: i32,
    count: usize,
    record: impl Fn(usize) -> (String, String, Option<i64>),
) {
    let producer: BaseProducer = client_config()
        .set("linger.ms", "5")
        .set("acks", "all")
        .create()
        .unwrap();
    for i in 0..count {
        let (key, payload, ts) = record(i);
        let mut rec = BaseRecord::to(topic)
            .partition(partition)
            .payload(&payload)
            .key(&key);
        if let Some(ts) = ts {
            rec = rec.timestamp(ts);
        }
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
    topic_stamped(prefix, partitions, per_partition, now_ms() - 60_000, 1)
}

/// [`topic_with`], record i of each partition stamped `first_ts + i * step_ms`.
pub fn topic_stamped(
    prefix: &str,
    partitions: i32,
    per_partition: usize,
    first_ts: i64,
    step_ms: i64,
) -> String {
    let topic = unique(prefix);
    create_topic(&topic, partitions);
    for p in 0..partitions {
        produce(&topic, p, per_partition, first_ts, step_ms);
    }
    topic
}

/// librdkafka left-trims string properties, `group.id` among them (rdkafka_conf.c), so a
/// group whose name starts with white space is out of its reach: such a group is
/// committed and read through kafka-consumer-groups, which takes the name exactly.
fn beyond_librdkafka(group: &str) -> bool {
    group.starts_with([' ', '\t', '\n', '\x0b', '\x0c', '\r'])
}

/// Apache's kafka-consumer-groups `ARGS` against `bootstrap`: its stdout, once it
/// succeeded.
pub fn consumer_groups_at(bootstrap: &str, args: &[&str]) -> String {
    let mut all = vec!["tool", "consumer-groups", "--bootstrap-server", bootstrap];
    all.extend_from_slice(args);
    let out = kafka_sh(&all);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kafka-consumer-groups {args:?}:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// kafka-consumer-groups `--reset-offsets ARGS`; its stdout, which must hold no `Error`
/// (the tool exits 0 on some).
pub fn apache_reset(args: &[&str]) -> String {
    let mut all = vec!["--reset-offsets"];
    all.extend_from_slice(args);
    let text = consumer_groups_at(bootstrap(), &all);
    assert!(
        !text.contains("Error"),
        "kafka-consumer-groups {all:?}:\n{text}"
    );
    text
}

/// Commits offsets for `group` without joining it (a "simple" consumer); the group is Empty.
pub fn commit(group: &str, offsets: &[(&str, i32, i64)]) {
    if beyond_librdkafka(group) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("commits.csv");
        let rows: String = offsets
            .iter()
            .map(|(t, p, o)| format!("{t},{p},{o}\n"))
            .collect();
        std::fs::write(&file, rows).unwrap();
        apache_reset(&[
            "--group",
            group,
            "--from-file",
            file.to_str().unwrap(),
            "--execute",
        ]);
        return;
    }
    let consumer: BaseConsumer = client_config()
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
    let admin: AdminClient<DefaultClientContext> = client_config().create().unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Offset(before))
        .unwrap();
    block_on(admin.delete_records(&tpl, &AdminOptions::new())).expect("delete records");
}

/// A live group member polling in a thread until dropped.
pub struct Member {
    _polling: Background,
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
        Self::start(group, topics, protocol, commits, true)
    }

    /// Joins without waiting for partitions: a member beyond the partition count gets none.
    pub fn join_idle(group: &str, topics: &[&str], protocol: &str) -> Member {
        Self::start(group, topics, protocol, &[], false)
    }

    fn start(
        group: &str,
        topics: &[&str],
        protocol: &str,
        commits: &[(&str, i32, i64)],
        wait_assignment: bool,
    ) -> Member {
        let client_id = unique("member");
        let consumer = group_consumer(group, &client_id, protocol, "latest");
        consumer.subscribe(topics).unwrap();
        if wait_assignment {
            await_assignment(&consumer, &format!("member of {group}"));
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
        let polling = Background::spawn(move |stop| {
            // Pause so the member reads nothing (and commits nothing) on its own.
            if let Ok(a) = consumer.assignment() {
                let _ = consumer.pause(&a);
            }
            while !stop.load(Ordering::Relaxed) {
                consumer.poll(Duration::from_millis(100));
                if let Ok(a) = consumer.assignment() {
                    let _ = consumer.pause(&a);
                }
            }
            consumer.unsubscribe();
        });
        Member {
            _polling: polling,
            client_id,
        }
    }
}

/// Polls a subscribed consumer until it owns partitions; fails after a minute.
fn await_assignment(consumer: &BaseConsumer, who: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while consumer.assignment().map(|a| a.count()).unwrap_or(0) == 0 {
        assert!(Instant::now() < deadline, "{who} got no assignment");
        consumer.poll(Duration::from_millis(100));
    }
}

/// A group consumer with manual commits and quick failure detection (classic protocol).
fn group_consumer(group: &str, client_id: &str, protocol: &str, reset: &str) -> BaseConsumer {
    let mut c = client_config();
    c.set("group.id", group)
        .set("client.id", client_id)
        .set("group.protocol", protocol)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", reset);
    if protocol == "classic" {
        c.set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "500");
    }
    c.create().unwrap()
}

/// Runs `body` in a thread until the returned handle is dropped, or `stop`ped, which
/// returns what `body` returned.
pub struct Background<T = ()> {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<T>>,
}

impl<T: Send + 'static> Background<T> {
    /// `body` runs until the flag it is given is set.
    pub fn spawn(body: impl FnOnce(Arc<AtomicBool>) -> T + Send + 'static) -> Background<T> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        Background {
            stop,
            handle: Some(std::thread::spawn(move || body(flag))),
        }
    }

    pub fn stop(mut self) -> T {
        self.stop.store(true, Ordering::Relaxed);
        let h = self.handle.take().expect("stopped once");
        h.join().expect("background thread panicked")
    }
}

impl<T> Drop for Background<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Calls `take` every `pause` in a thread; `stop` returns the samples, the last of them
/// taken after the stop.
pub fn sample_every<T: Send + 'static>(
    pause: Duration,
    mut take: impl FnMut() -> T + Send + 'static,
) -> Background<Vec<T>> {
    Background::spawn(move |stop| {
        let mut samples = vec![];
        while !stop.load(Ordering::Relaxed) {
            samples.push(take());
            std::thread::sleep(pause);
        }
        samples.push(take());
        samples
    })
}

/// Reads the committed offsets of a group with OffsetFetch, without joining it.
pub struct Probe {
    consumer: BaseConsumer,
    group: String,
    topic: String,
    partitions: i32,
}

impl Probe {
    pub fn new(group: &str, topic: &str, partitions: i32) -> Probe {
        let consumer: BaseConsumer = client_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        Probe {
            consumer,
            group: group.to_string(),
            topic: topic.to_string(),
            partitions,
        }
    }

    /// Committed offset per partition, `None` where the group has none.
    pub fn now(&self) -> Vec<Option<i64>> {
        if beyond_librdkafka(&self.group) {
            return self.now_by_apache();
        }
        let mut tpl = TopicPartitionList::new();
        for p in 0..self.partitions {
            tpl.add_partition(&self.topic, p);
        }
        let got = self
            .consumer
            .committed_offsets(tpl, Duration::from_secs(10))
            .expect("OffsetFetch");
        (0..self.partitions)
            .map(
                |p| match got.find_partition(&self.topic, p).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) => Some(o),
                    _ => None,
                },
            )
            .collect()
    }

    /// `now` through kafka-consumer-groups: its plan to keep the current offsets, as CSV
    /// (a partition without a commit has no row).
    fn now_by_apache(&self) -> Vec<Option<i64>> {
        let topic = self.topic.as_str();
        let csv = apache_reset(&[
            "--group",
            &self.group,
            "--topic",
            topic,
            "--to-current",
            "--dry-run",
            "--export",
        ]);
        let mut out = vec![None; self.partitions as usize];
        let rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_bytes())
            .into_records();
        for r in rows.flatten() {
            let (Some(t), Some(p), Some(o)) = (r.get(0), r.get(1), r.get(2)) else {
                continue;
            };
            if let (true, Ok(p), Ok(o)) = (t == topic, p.parse::<usize>(), o.parse()) {
                if p < out.len() {
                    out[p] = Some(o);
                }
            }
        }
        out
    }

    /// Samples `now` every 50 ms until stopped.
    pub fn sample(self) -> Background<Vec<Vec<Option<i64>>>> {
        sample_every(Duration::from_millis(50), move || self.now())
    }
}

/// Producers writing `per_sec` records per second to each `(partition, per_sec)` until dropped.
pub fn traffic(topic: &str, rates: &[(i32, u32)]) -> Background {
    let topic = topic.to_string();
    let rates = rates.to_vec();
    Background::spawn(move |stop| {
        let producer: BaseProducer = client_config().set("linger.ms", "5").create().unwrap();
        let start = Instant::now();
        let mut sent: Vec<u64> = vec![0; rates.len()];
        while !stop.load(Ordering::Relaxed) {
            let secs = start.elapsed().as_secs_f64();
            for (i, (p, per_sec)) in rates.iter().enumerate() {
                while (sent[i] as f64) < secs * *per_sec as f64 {
                    let payload = format!("t-{}", sent[i]);
                    let key = format!("k{}", sent[i]);
                    send(
                        &producer,
                        BaseRecord::to(&topic)
                            .partition(*p)
                            .payload(&payload)
                            .key(&key),
                    );
                    sent[i] += 1;
                }
            }
            producer.poll(Duration::from_millis(10));
        }
        let _ = producer.flush(Duration::from_secs(10));
    })
}

/// How a [`consumer`] behaves.
#[derive(Clone, Copy)]
pub struct Behaviour {
    /// Records per second it processes (`None`: as fast as they come).
    pub per_sec: Option<u32>,
    /// Whether it commits what it processed (every 200 ms).
    pub commits: bool,
}

/// A live group member consuming `topic` from the group's committed offsets (or the
/// earliest) as `b` says, until dropped. Returns once it owns partitions.
pub fn consumer(group: &str, topic: &str, b: Behaviour) -> Background {
    let consumer = group_consumer(group, &unique("consumer"), "classic", "earliest");
    consumer.subscribe(&[topic]).unwrap();
    await_assignment(&consumer, &format!("consumer of {group}"));
    Background::spawn(move |stop| {
        let start = Instant::now();
        let mut done = 0u64;
        let mut last_commit = Instant::now();
        let mut next: std::collections::HashMap<(String, i32), i64> = Default::default();
        while !stop.load(Ordering::Relaxed) {
            if let Some(r) = b.per_sec {
                // Ahead of its rate: wait without polling (a poll would hand over a record).
                if done as f64 >= start.elapsed().as_secs_f64() * r as f64 {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
            }
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(50)) {
                use rdkafka::Message;
                next.insert((m.topic().to_string(), m.partition()), m.offset() + 1);
                done += 1;
            }
            if b.commits && last_commit.elapsed() >= Duration::from_millis(200) && !next.is_empty()
            {
                let mut tpl = TopicPartitionList::new();
                for ((t, p), o) in &next {
                    tpl.add_partition_offset(t, *p, Offset::Offset(*o)).unwrap();
                }
                let _ = consumer.commit(&tpl, CommitMode::Async);
                last_commit = Instant::now();
            }
        }
        consumer.unsubscribe();
    })
}

/// A member that joins, takes partitions, leaves, and joins again, until dropped: every
/// round is a rebalance of its group.
pub fn rejoining_member(group: &str, topic: &str) -> Background {
    let (group, topic) = (group.to_string(), topic.to_string());
    Background::spawn(move |stop| {
        while !stop.load(Ordering::Relaxed) {
            let c = group_consumer(&group, &unique("rejoiner"), "classic", "latest");
            c.subscribe(&[&topic]).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !stop.load(Ordering::Relaxed)
                && Instant::now() < deadline
                && c.assignment().map(|a| a.count()).unwrap_or(0) == 0
            {
                c.poll(Duration::from_millis(50));
            }
            for _ in 0..6 {
                c.poll(Duration::from_millis(50));
            }
            c.unsubscribe();
            drop(c);
        }
    })
}
