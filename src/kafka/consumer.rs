//! The drain poll loop: the only code that talks to Kafka while `kbp drain` runs.
//!
//! One thread owns the consumer and does nothing but poll, pause, resume, commit and
//! answer rebalances, so `max.poll.interval.ms` holds however slow the sink is. Every
//! decision (what to commit, when to pause, when to stop) belongs to a [`Driver`] that
//! sees only plain data; the engine in `crate::drain` implements it without rdkafka.

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::admin::{self, Committed};
use super::batch::{Fetched, RecordQueue};
use super::context::KbpContext;
use super::native::ClientRef;
use super::types::TopicPartition;
use super::{client_config, config_error};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::flags::{SHUTDOWN_TIMEOUT, TIMEOUT};

/// A record, detached from librdkafka's fetch buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Shared by every record of the topic: one allocation per topic, not per record.
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Where a partition the group has no commit for starts (`--from`); a commit always wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncommitted {
    LogStart,
    LogEnd,
    /// The first record at or after this time (ms since the epoch).
    Time(i64),
}

pub struct ConsumerSpec {
    pub group: String,
    /// How the member names itself; the live-group guard recognises drains by it.
    pub client_id: String,
    pub topics: Vec<String>,
    /// `--from`: where a partition without a commit starts (`auto.offset.reset`, and a
    /// seek for `time:`).
    pub from: Uncommitted,
    /// librdkafka's own prefetch bounds (and any other consumer property), applied before
    /// the user's `-X` properties so those still win.
    pub properties: Vec<(String, String)>,
    /// What of each record to copy out of librdkafka; what the sink never reads is skipped
    /// (parsing headers alone allocates per record).
    pub fields: Fields,
    /// `--shutdown-timeout`: once the drain stops, its last commit and leaving the group
    /// take at most this (and at most `--timeout`), whatever the cluster does.
    pub shutdown_timeout: Duration,
}

/// Which parts of a record [`run`] copies; the others are left empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub payload: bool,
    pub headers: bool,
}

/// Most records taken per poll-loop turn.
const MAX_BATCH: usize = 500;

/// What the poll loop should do before its next poll, in this order: pause, rewind,
/// resume, commit.
#[derive(Debug, Default)]
pub struct Tick {
    pub pause: Vec<TopicPartition>,
    /// Partitions to read again from an offset, each also in `pause`: records the driver
    /// was handed but did not take, or gave back (`on_rewound` reports each outcome).
    pub rewind: Vec<(TopicPartition, i64)>,
    pub resume: Vec<TopicPartition>,
    /// Every assigned partition is paused: poll (to serve events) even without room.
    pub all_paused: bool,
    pub commit: Vec<(TopicPartition, i64)>,
    pub stop: bool,
    /// How many records the engine can take now without passing its queue bound.
    pub room: usize,
    /// Partitions whose group commit the engine wants to know (`on_committed`).
    pub ask_committed: Vec<TopicPartition>,
}

/// A refused commit. `retriable` when the group was mid-rebalance (a new generation or
/// member epoch): the same offsets go again next time, so it is not a failure.
#[derive(Debug, Clone)]
pub struct CommitError {
    pub retriable: bool,
    pub message: String,
}

/// The engine's side of the poll loop. Called only from the poll thread.
///
/// The calls that decide by time (`on_records`, `tick`) are given the poll loop's clock,
/// `now`: a driver reads no clock of its own, so its rules are tested at any time.
pub trait Driver: Send {
    /// A poll batch, taken at `now`.
    fn on_records(&mut self, records: Vec<Record>, now: Instant);
    /// Newly assigned partitions with their committed offsets; returns true when they
    /// must start paused (backpressure is on).
    fn on_assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> bool;
    /// Partitions about to be taken away: let their in-flight work finish (bounded),
    /// and return the offsets to commit for them before they go.
    fn on_revoke(
        &mut self,
        partitions: &[TopicPartition],
        lost: bool,
    ) -> Vec<(TopicPartition, i64)>;
    fn on_commit(
        &mut self,
        offsets: &[(TopicPartition, i64)],
        result: std::result::Result<(), CommitError>,
    );
    /// The group's committed offsets of partitions asked for in `Tick::ask_committed`.
    fn on_committed(&mut self, _offsets: &[(TopicPartition, Option<i64>)]) {}
    /// Whether a `Tick::rewind` took effect; a failed one is asked again.
    fn on_rewound(&mut self, _partition: &TopicPartition, _ok: bool) {}
    fn on_error(&mut self, error: String);
    /// What to do before the next poll, at `now`.
    fn tick(&mut self, now: Instant) -> Tick;
}

struct DrainContext {
    base: KbpContext,
    from: Uncommitted,
    driver: Arc<Mutex<dyn Driver>>,
    timeout: Duration,
    /// Where assigned partitions' records go; taken out (destroyed) before the consumer.
    records: Mutex<Option<Arc<RecordQueue>>>,
    /// Once the drain stops: when its last commits and the leave must be over.
    closing_by: Mutex<Option<Instant>>,
    /// The least time since any broker last sent kbp anything, from librdkafka's
    /// statistics (`rxidle`), and when (epoch ms) those statistics were made.
    silent_for: Mutex<Option<(Duration, u64)>>,
}

impl ClientContext for DrainContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = KbpContext::ENABLE_REFRESH_OAUTH_TOKEN;
    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> std::result::Result<rdkafka::client::OAuthToken, Box<dyn std::error::Error>> {
        self.base.oauth_token()
    }
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.base.log(level, fac, message)
    }
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        self.base.error(error, reason)
    }
    fn stats_raw(&self, statistics: &[u8]) {
        if let Some(idle) = rx_idle(statistics) {
            *self.silent_for.lock().unwrap_or_else(|p| p.into_inner()) = Some(idle);
        }
    }
}

/// The least `rxidle` of the statistics' brokers (bootstrap placeholders left out): the
/// time since the cluster last sent anything, as of the statistics' `time` (epoch
/// seconds, kept in ms). `None` before any broker received.
fn rx_idle(statistics: &[u8]) -> Option<(Duration, u64)> {
    #[derive(serde::Deserialize)]
    struct Stats {
        time: u64,
        #[serde(default)]
        brokers: std::collections::HashMap<String, Broker>,
    }
    #[derive(serde::Deserialize)]
    struct Broker {
        nodeid: i32,
        #[serde(default)]
        rxidle: i64,
    }
    let stats: Stats = serde_json::from_slice(statistics).ok()?;
    let idle = stats
        .brokers
        .values()
        .filter(|b| b.nodeid >= 0 && b.rxidle >= 0)
        .map(|b| Duration::from_micros(b.rxidle as u64))
        .min()?;
    Some((idle, stats.time * 1000))
}

impl ConsumerContext for DrainContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            // Before the assignment starts fetching, so every record comes through it.
            if let Some(q) = self
                .records
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
            {
                for e in tpl.elements() {
                    q.attach(e.topic(), e.partition());
                }
            }
        }
        if let Rebalance::Revoke(tpl) = rebalance {
            let tps = tps_of(tpl);
            let lost = consumer.assignment_lost();
            let commits = self.driver().on_revoke(&tps, lost);
            // Committing partitions already lost fails (illegal generation): don't try.
            if !lost {
                commit(consumer, &mut *self.driver(), &commits, self.bound());
            }
            // Our pause flag would outlive the assignment: clear it for the next owner.
            let _ = consumer.resume(tpl);
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            if tpl.count() == 0 {
                return;
            }
            let committed = consumer
                .committed_offsets((*tpl).clone(), self.timeout)
                .ok();
            let parts: Vec<(TopicPartition, Option<i64>)> = tps_of(tpl)
                .into_iter()
                .map(|tp| {
                    let off = committed.as_ref().and_then(|c| {
                        match c.find_partition(&tp.topic, tp.partition)?.offset() {
                            Offset::Offset(o) if o >= 0 => Some(o),
                            _ => None,
                        }
                    });
                    (tp, off)
                })
                .collect();
            if let Uncommitted::Time(ms) = self.from {
                seek_to_time(consumer, &parts, ms, self.timeout);
            }
            if self.driver().on_assign(&parts) {
                let _ = consumer.pause(tpl);
            }
        }
    }
}

impl DrainContext {
    fn driver(&self) -> MutexGuard<'_, dyn Driver + 'static> {
        self.driver.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How long a commit may wait for its answer: `--timeout`, and once the drain stops,
    /// what is left of its shutdown bound.
    fn bound(&self) -> Duration {
        match *self.closing_by.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(by) => by
                .saturating_duration_since(Instant::now())
                .min(self.timeout),
            None => self.timeout,
        }
    }

    /// How long the cluster has been silent now: the statistics may be served late (the
    /// poll loop waits on commits), so their age counts too.
    fn silent_for(&self) -> Option<Duration> {
        let (idle, at_ms) = (*self.silent_for.lock().unwrap_or_else(|p| p.into_inner()))?;
        let age = crate::clock::now_ms().saturating_sub(at_ms);
        Some(idle + Duration::from_millis(age))
    }
}

/// `--from time:`: partitions without a commit start at the first record at or after
/// `ms`, or at the end when there is none. Nothing was polled from them yet, so nothing
/// from before that time is processed.
fn seek_to_time(
    consumer: &BaseConsumer<DrainContext>,
    parts: &[(TopicPartition, Option<i64>)],
    ms: i64,
    timeout: Duration,
) {
    let mut tpl = TopicPartitionList::new();
    for (tp, _) in parts.iter().filter(|(_, committed)| committed.is_none()) {
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(ms));
    }
    if tpl.count() == 0 {
        return;
    }
    let Ok(found) = consumer.offsets_for_times(tpl, timeout) else {
        return;
    };
    for el in found.elements() {
        let to = match el.offset() {
            Offset::Offset(o) if o >= 0 => Offset::Offset(o),
            _ => Offset::End,
        };
        let _ = consumer.seek(el.topic(), el.partition(), to, timeout);
    }
}

fn tpl_of(tps: &[TopicPartition]) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in tps {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}

fn tps_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements()
        .iter()
        .map(|e| TopicPartition::new(e.topic(), e.partition()))
        .collect()
}

/// A commit whose answer is waited for, at most `bound`: the drain never reports an offset
/// committed that Kafka refused or did not confirm.
fn commit(
    consumer: &BaseConsumer<DrainContext>,
    driver: &mut dyn Driver,
    offsets: &[(TopicPartition, i64)],
    bound: Duration,
) {
    if offsets.is_empty() {
        return;
    }
    let mut tpl = TopicPartitionList::new();
    for (tp, off) in offsets {
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
    }
    let answer = if bound.is_zero() {
        Committed::Unanswered
    } else {
        // SAFETY: the list is ours and unchanged until the call returns.
        unsafe { admin::commit_within(ClientRef::new(consumer.client()), tpl.ptr(), bound) }
    };
    let result = match answer {
        Committed::Done => Ok(()),
        Committed::Refused(code) => Err(CommitError {
            retriable: commit_retriable(&code),
            message: code.to_string(),
        }),
        // Not retriable: said in the summary. Not marked committed either, so a drain that
        // goes on sends them again with its next commit.
        Committed::Unanswered => Err(CommitError {
            retriable: false,
            message: if bound.is_zero() {
                format!(
                    "not sent: the drain's shutdown bound ({SHUTDOWN_TIMEOUT}, {TIMEOUT}) was spent"
                )
            } else {
                format!(
                    "no answer from the cluster within {} (the commit may land later, or not)",
                    humantime::format_duration(Duration::from_millis(bound.as_millis() as u64))
                )
            },
        }),
    };
    driver.on_commit(offsets, result);
}

/// A refused commit whose offsets go again with the next one: the group mid-rebalance
/// (librdkafka #4059: a cooperative rebalance's second join can catch a commit with the
/// old generation; the offsets are still ours to commit next time), or an answer that
/// passes by itself ([`super::KafkaCode::is_retriable`]: a coordinator moving).
fn commit_retriable(code: &super::KafkaCode) -> bool {
    const ILLEGAL_GENERATION: i32 = 22;
    const UNKNOWN_MEMBER_ID: i32 = 25;
    const FENCED_MEMBER_EPOCH: i32 = 110;
    const STALE_MEMBER_EPOCH: i32 = 113;
    code.is_retriable()
        || matches!(
            code.code,
            ILLEGAL_GENERATION | UNKNOWN_MEMBER_ID | FENCED_MEMBER_EPOCH | STALE_MEMBER_EPOCH
        )
}

/// A record still in librdkafka's buffer, from either queue.
trait Fetch {
    fn topic(&self) -> &str;
    fn partition(&self) -> i32;
    fn offset(&self) -> i64;
    fn timestamp(&self) -> Option<i64>;
    fn key(&self) -> Option<&[u8]>;
    fn payload(&self) -> Option<&[u8]>;
    fn headers(&self) -> Vec<(String, Option<Vec<u8>>)>;
}

impl Fetch for BorrowedMessage<'_> {
    fn topic(&self) -> &str {
        Message::topic(self)
    }
    fn partition(&self) -> i32 {
        Message::partition(self)
    }
    fn offset(&self) -> i64 {
        Message::offset(self)
    }
    fn timestamp(&self) -> Option<i64> {
        Message::timestamp(self).to_millis()
    }
    fn key(&self) -> Option<&[u8]> {
        Message::key(self)
    }
    fn payload(&self) -> Option<&[u8]> {
        Message::payload(self)
    }
    fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        Message::headers(self)
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec)))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Fetch for Fetched<'_> {
    fn topic(&self) -> &str {
        Fetched::topic(self)
    }
    fn partition(&self) -> i32 {
        Fetched::partition(self)
    }
    fn offset(&self) -> i64 {
        Fetched::offset(self)
    }
    fn timestamp(&self) -> Option<i64> {
        Fetched::timestamp(self)
    }
    fn key(&self) -> Option<&[u8]> {
        Fetched::key(self)
    }
    fn payload(&self) -> Option<&[u8]> {
        Fetched::payload(self)
    }
    fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        Fetched::headers(self)
    }
}

/// Copies what `fields` asks for out of librdkafka's buffer. `topics` holds one shared name
/// per topic seen, so a record costs no allocation for its topic.
fn detach(m: &impl Fetch, fields: Fields, topics: &mut Vec<Arc<str>>) -> Record {
    let name = m.topic();
    let topic = match topics.iter().find(|t| ***t == *name) {
        Some(t) => Arc::clone(t),
        None => {
            topics.push(Arc::from(name));
            Arc::clone(topics.last().expect("pushed above"))
        }
    };
    Record {
        topic,
        partition: m.partition(),
        offset: m.offset(),
        timestamp: m.timestamp(),
        key: m.key().filter(|_| fields.payload).map(<[u8]>::to_vec),
        value: m.payload().filter(|_| fields.payload).map(<[u8]>::to_vec),
        headers: if fields.headers {
            m.headers()
        } else {
            Vec::new()
        },
    }
}

/// Runs the poll loop until the driver says stop, then leaves the group cleanly: the
/// final revoke goes through the same path as a rebalance (finish, commit, release).
/// The driver is shared so the caller can read its final state afterwards.
pub fn run(settings: &Settings, spec: &ConsumerSpec, driver: Arc<Mutex<dyn Driver>>) -> Result<()> {
    let config = consumer_config(settings, spec);
    let context = DrainContext {
        base: KbpContext::new(settings),
        from: spec.from,
        driver,
        timeout: settings.timeout,
        records: Mutex::new(None),
        closing_by: Mutex::new(None),
        silent_for: Mutex::new(None),
    };
    let consumer: BaseConsumer<DrainContext> = config
        .create_with_context(context)
        .map_err(|e| config_error(settings, e))?;
    // SAFETY: the queue goes before the consumer: `records` is declared after it, and
    // `_release` takes the context's copy out first.
    let records = unsafe { RecordQueue::new(ClientRef::new(consumer.client())) };
    let records = Arc::new(
        records.ok_or_else(|| Error::Internal("rd_kafka_queue_new returned NULL".into()))?,
    );
    *consumer
        .context()
        .records
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&records));
    let _release = ReleaseQueue(&consumer.context().records);
    let topics: Vec<&str> = spec.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|e| Error::kafka("subscribe", e))?;

    let fatal = poll_until_stopped(&consumer, &records, settings, spec);
    leave(&consumer, settings, spec);
    // rd_kafka_destroy finishes a leave that did not: with the cluster gone, that is as
    // long as it stays gone. Destroyed on a thread of its own, waited for briefly.
    drop(_release);
    drop(records);
    super::destroy_bounded(super::DESTROY_WAIT, move || drop(consumer));
    match fatal {
        Some(reason) => Err(Error::kafka("joining the group", reason)),
        None => Ok(()),
    }
}

/// The drain's consumer: never auto-committing, starting where `--from` says, with the
/// user's `-X` over the prefetch bounds.
fn consumer_config(settings: &Settings, spec: &ConsumerSpec) -> ClientConfig {
    let mut config = client_config(settings, &spec.client_id);
    for (k, v) in &spec.properties {
        config.set(k, v);
    }
    config
        .set("group.id", &spec.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set(
            "auto.offset.reset",
            match spec.from {
                Uncommitted::LogStart | Uncommitted::Time(_) => "earliest",
                Uncommitted::LogEnd => "latest",
            },
        );
    // The user's -X properties win over the prefetch bounds (e.g. group.protocol); the
    // ones kbp owns (group.id, commits, reset, assignor) config.rs refuses.
    for (k, v) in &settings.properties {
        config.set(k, v);
    }
    let classic = config.get("group.protocol").is_none_or(|p| p == "classic");
    if classic && config.get("partition.assignment.strategy").is_none() {
        config.set("partition.assignment.strategy", "cooperative-sticky");
    }
    // Statistics say how long the cluster has been silent (`rxidle`), once a second.
    if config.get("statistics.interval.ms").is_none() {
        config.set("statistics.interval.ms", "1000");
    }
    config
}

/// Each turn: the driver's tick and what it asks, then the records there is room for.
/// Until the driver says stop (`None`) or the group fails for good (why).
fn poll_until_stopped(
    consumer: &BaseConsumer<DrainContext>,
    records: &RecordQueue,
    settings: &Settings,
    spec: &ConsumerSpec,
) -> Option<String> {
    let mut topics = Vec::new();
    let mut silence = Silence::new(settings.timeout);
    loop {
        let tick = consumer.context().driver().tick(Instant::now());
        carry_out(consumer, &tick, settings, spec, &mut silence);
        if tick.stop {
            return None;
        }
        // Take up to `room` records per turn: one driver lock and one tick per batch,
        // and the queue bound still holds (room is what is left below the high-water mark).
        // No room: hold intake for a moment; the engine pauses if the pressure lasts.
        if tick.room == 0 && !tick.all_paused {
            std::thread::sleep(Duration::from_micros(50));
            continue;
        }
        let limit = tick.room.clamp(1, MAX_BATCH);
        let taken = take(consumer, records, limit, settings, spec.fields, &mut topics);
        if !taken.batch.is_empty() || taken.error.is_some() {
            let mut driver = consumer.context().driver();
            driver.on_records(taken.batch, Instant::now());
            if let Some(e) = taken.error {
                driver.on_error(e);
            }
        }
        if taken.fatal.is_some() {
            return taken.fatal;
        }
    }
}

/// What a tick asks of the consumer, in order: pause, rewind, resume, the stop's bound,
/// commit, and the group's commits of partitions held elsewhere.
fn carry_out(
    consumer: &BaseConsumer<DrainContext>,
    tick: &Tick,
    settings: &Settings,
    spec: &ConsumerSpec,
    silence: &mut Silence,
) {
    let paused = tick.pause.is_empty() || consumer.pause(&tpl_of(&tick.pause)).is_ok();
    for (tp, offset) in &tick.rewind {
        // Only once paused: nothing is fetched from the old position meanwhile, and
        // the seek drops what was prefetched. A failure is asked again next turn.
        let ok = paused
            && consumer
                .seek(
                    &tp.topic,
                    tp.partition,
                    Offset::Offset(*offset),
                    settings.timeout,
                )
                .is_ok();
        consumer.context().driver().on_rewound(tp, ok);
    }
    if !tick.resume.is_empty() {
        let _ = consumer.resume(&tpl_of(&tick.resume));
    }
    if tick.stop {
        let by = Instant::now() + settings.timeout.min(spec.shutdown_timeout);
        *consumer
            .context()
            .closing_by
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(by);
    }
    let bound = consumer.context().bound();
    commit(
        consumer,
        &mut *consumer.context().driver(),
        &tick.commit,
        bound,
    );
    silence.check(consumer.context().silent_for(), &consumer.context().base);
    if !tick.ask_committed.is_empty() {
        if let Ok(found) = consumer.committed_offsets(tpl_of(&tick.ask_committed), settings.timeout)
        {
            let offsets: Vec<(TopicPartition, Option<i64>)> = found
                .elements()
                .iter()
                .map(|e| {
                    let off = match e.offset() {
                        Offset::Offset(o) if o >= 0 => Some(o),
                        _ => None,
                    };
                    (TopicPartition::new(e.topic(), e.partition()), off)
                })
                .collect();
            consumer.context().driver().on_committed(&offsets);
        }
    }
}

/// One turn's records, and what ended the batch early.
struct Taken {
    batch: Vec<Record>,
    /// A poll error the drain goes on after (said in the summary).
    error: Option<String>,
    /// A poll error the group cannot go on after.
    fatal: Option<String>,
}

/// Up to `limit` records. Events (rebalances, errors) come on the consumer queue, and so
/// would the records of a partition that could not be attached to ours; the rest come on
/// `records`, waited for briefly when the consumer queue had none.
fn take(
    consumer: &BaseConsumer<DrainContext>,
    records: &RecordQueue,
    limit: usize,
    settings: &Settings,
    fields: Fields,
    topics: &mut Vec<Arc<str>>,
) -> Taken {
    let mut taken = Taken {
        batch: Vec::with_capacity(limit),
        error: None,
        fatal: None,
    };
    while taken.batch.len() < limit {
        match consumer.poll(Duration::ZERO) {
            Some(Ok(m)) => taken.batch.push(detach(&m, fields, topics)),
            Some(Err(e)) => {
                let message = settings.redactor.redact(&e.to_string());
                match fatal_cause(&e) {
                    Some(cause) => taken.fatal = Some(format!("{cause} ({message})")),
                    None => taken.error = Some(message),
                }
                break;
            }
            None => break,
        }
    }
    if taken.batch.len() < limit && taken.error.is_none() {
        let wait = if taken.batch.is_empty() {
            Duration::from_millis(20)
        } else {
            Duration::ZERO
        };
        records.read(
            wait,
            limit - taken.batch.len(),
            |r: Result<Fetched<'_>, String>| match r {
                Ok(m) => taken.batch.push(detach(&m, fields, topics)),
                Err(e) => taken.error = Some(settings.redactor.redact(&e)),
            },
        );
    }
    taken
}

/// Leaves the group: librdkafka revokes everything through pre_rebalance first. Bounded
/// by the same shutdown bound as the last commit, so a cluster gone meanwhile cannot hold
/// the exit.
fn leave(consumer: &BaseConsumer<DrainContext>, settings: &Settings, spec: &ConsumerSpec) {
    let by = consumer
        .context()
        .closing_by
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .unwrap_or_else(|| Instant::now() + settings.timeout.min(spec.shutdown_timeout));
    if consumer.close_queue().is_ok() {
        while !consumer.closed() && Instant::now() < by {
            let _ = consumer.poll(Duration::from_millis(10));
        }
    }
}

/// Says once on stderr when the cluster has sent nothing for `--timeout` (a drain waits
/// for it to come back, as through a broker restart), and once when it answers again.
struct Silence {
    timeout: Duration,
    told: bool,
}

impl Silence {
    fn new(timeout: Duration) -> Silence {
        Silence {
            timeout,
            told: false,
        }
    }

    fn check(&mut self, silent_for: Option<Duration>, context: &KbpContext) {
        let Some(silent) = silent_for else { return };
        // Best effort: a diagnostic that cannot be written changes nothing.
        let mut err = std::io::stderr();
        if !self.told && silent >= self.timeout {
            self.told = true;
            let why = context
                .last_error()
                .map_or(String::new(), |e| format!(" (last error: {e})"));
            let _ = writeln!(
                err,
                "kbp: warning: no answer from the cluster for {}{why}; the drain waits for it and commits nothing meanwhile",
                humantime::format_duration(Duration::from_secs(silent.as_secs()))
            );
        } else if self.told && silent < self.timeout {
            self.told = false;
            let _ = writeln!(err, "kbp: note: the cluster answers again");
        }
    }
}

/// Errors after which the group will not take this member (waiting would only idle), with
/// what they mean for a drain.
fn fatal_cause(e: &rdkafka::error::KafkaError) -> Option<&'static str> {
    use rdkafka::error::RDKafkaErrorCode as C;
    Some(match e.rdkafka_error_code()? {
        C::InconsistentGroupProtocol | C::UnsupportedAssignor => {
            "the group's members use a partition assignor kbp drain does not (it uses cooperative-sticky), so Kafka refuses it"
        }
        C::GroupAuthorizationFailed => "not authorized to join the group",
        C::TopicAuthorizationFailed => "not authorized to read the topic",
        C::InvalidGroupId => "the group id is not valid",
        C::Fatal => "librdkafka reported a fatal error",
        _ => return None,
    })
}

/// Takes the record queue out of the context on every way out of `run`, so that it is
/// destroyed before the consumer (declared after it, it is dropped first): librdkafka
/// wants its queues gone before the client.
struct ReleaseQueue<'a>(&'a Mutex<Option<Arc<RecordQueue>>>);

impl Drop for ReleaseQueue<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}
