//! Exact time lag: the timestamp of the first record at or after a committed offset.
//!
//! Estimating time lag from offset history (kafka-lag-exporter's interpolation) is wrong
//! after bursts and idle periods and needs history a one-shot tool does not have. So kbp
//! reads the record itself, with a consumer that assigns partitions explicitly under a
//! throwaway group id, never subscribes and never commits: it cannot join or disturb any group.
//!
//! Reads are batched: [`READERS`] consumers split the partitions, each assigning at most
//! [`MAX_ACTIVE`] at once (in waves). Within a partition, wanted offsets are visited in
//! order, reading through short gaps (one fetch usually covers many groups' positions)
//! and seeking over long ones. docs/benchmarks.md has the measurements behind the knobs.
//!
//! A session that reads again (`kbp serve`, `--watch`) reuses the timestamps it read
//! ([`Remembered`]): the record at an offset never changes, and most groups' positions do
//! not move between two refreshes, so only moved positions are read. Two things can change
//! what is at an offset: compaction and a topic deleted and made again. So a partition is
//! read whole again [`REREAD_AFTER`] (spread by partition) after it was, and at once when
//! its log end went back.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::context::KbpContext;
use super::types::TopicPartition;
use super::{client_config, close_quickly, config_error, Session};
use crate::config::Settings;
use crate::error::{Error, Result};

const MAX_ACTIVE: usize = 128;
/// A partition's remembered timestamps are read again this long after they were read, plus
/// up to as long again (by partition, so the re-reads are spread over refreshes), unless
/// the session says otherwise (`kbp serve --time-lag-reread`).
const REREAD_AFTER: Duration = Duration::from_secs(300);
const READERS: usize = 2;
/// Read through gaps up to this many offsets instead of re-positioning.
const READ_THROUGH: i64 = 2000;

/// Per partition, what was found at each wanted offset: a map per partition, so a lookup
/// borrows the partition instead of cloning it into a key.
pub type RecordTimes = HashMap<TopicPartition, HashMap<i64, RecordTime>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordTime {
    /// Record timestamp, milliseconds since the epoch.
    At(i64),
    /// No record between the offset and the log end (only transaction markers).
    NoRecord,
    /// Not read within the timeout, or the record carries no timestamp.
    Unknown,
}

/// What a session's earlier reads found: per partition, the timestamp of the record at or
/// after each offset it was asked for last time. Only the last read's offsets are kept, so
/// it holds one entry per group and partition at most.
#[derive(Debug)]
pub(super) struct Remembered {
    parts: HashMap<TopicPartition, Known>,
    pub(super) reread_after: Duration,
}

impl Default for Remembered {
    fn default() -> Self {
        Remembered {
            parts: HashMap::new(),
            reread_after: REREAD_AFTER,
        }
    }
}

#[derive(Debug)]
struct Known {
    /// Wanted offset → the timestamp found for it.
    times: HashMap<i64, i64>,
    /// The log end when last asked: an end below it means the partition was made again.
    end: i64,
    /// When the partition is read whole again.
    until: Instant,
}

impl Known {
    /// Trusted for a partition whose log end is now `end`.
    fn holds(&self, end: i64, now: Instant) -> bool {
        now < self.until && end >= self.end
    }
}

/// `after` plus a share of it that depends only on the partition.
fn reread_after(after: Duration, tp: &TopicPartition) -> Duration {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tp.hash(&mut h);
    after + after.mul_f64((h.finish() % 1000) as f64 / 1000.0)
}

struct Partition {
    end: i64,
    wanted: Vec<i64>,
    next: usize,
    active: bool,
}

impl Partition {
    fn done(&self) -> bool {
        self.next == self.wanted.len()
    }
}

pub(super) fn read(
    session: &Session,
    wanted: &[(TopicPartition, i64, i64)],
) -> Result<RecordTimes> {
    let now = Instant::now();
    let (before, reread) = {
        let mut remembered = lock(&session.times);
        (
            std::mem::take(&mut remembered.parts),
            remembered.reread_after,
        )
    };
    let mut out = RecordTimes::new();
    // Keyed by topic then partition so the per-record lookup borrows the message's topic
    // instead of allocating a key for each of possibly 100k+ records.
    let mut parts: Parts = BTreeMap::new();
    let mut after: HashMap<TopicPartition, Known> = HashMap::new();
    for (tp, offset, end) in wanted {
        if offset >= end {
            continue;
        }
        let trusted = before.get(tp).filter(|k| k.holds(*end, now));
        if !after.contains_key(tp) {
            let until = trusted.map_or_else(|| now + reread_after(reread, tp), |k| k.until);
            after.insert(
                tp.clone(),
                Known {
                    times: HashMap::new(),
                    end: *end,
                    until,
                },
            );
        }
        if let Some(&at) = trusted.and_then(|k| k.times.get(offset)) {
            if let Some(known) = after.get_mut(tp) {
                known.times.insert(*offset, at);
            }
            insert(&mut out, tp, *offset, RecordTime::At(at));
            continue;
        }
        let p = parts
            .entry(tp.topic.clone())
            .or_default()
            .entry(tp.partition)
            .or_insert_with(|| Partition {
                end: *end,
                wanted: vec![],
                next: 0,
                active: false,
            });
        p.wanted.push(*offset);
    }
    drop(before);
    let read = read_parts(session, parts);
    // Only what was found is kept: an offset not read in time is asked again next time.
    for (tp, times) in read.iter().flatten() {
        let Some(known) = after.get_mut(tp) else {
            continue;
        };
        for (offset, time) in times {
            if let RecordTime::At(at) = time {
                known.times.insert(*offset, *at);
            }
        }
    }
    lock(&session.times).parts = after;
    for (tp, times) in read? {
        match out.get_mut(&tp) {
            Some(m) => m.extend(times),
            None => {
                out.insert(tp, times);
            }
        }
    }
    Ok(out)
}

/// Adds what was found at `offset` of `tp`, cloning `tp` only for its first offset.
fn insert(out: &mut RecordTimes, tp: &TopicPartition, offset: i64, time: RecordTime) {
    match out.get_mut(tp) {
        Some(m) => {
            m.insert(offset, time);
        }
        None => {
            out.insert(tp.clone(), HashMap::from([(offset, time)]));
        }
    }
}

pub(super) fn lock(m: &std::sync::Mutex<Remembered>) -> std::sync::MutexGuard<'_, Remembered> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads the wanted offsets of `parts`.
fn read_parts(session: &Session, mut parts: Parts) -> Result<RecordTimes> {
    let mut out = RecordTimes::new();
    if parts.is_empty() {
        return Ok(out);
    }
    for p in parts.values_mut().flat_map(|m| m.values_mut()) {
        p.wanted.sort_unstable();
        p.wanted.dedup();
    }

    // Two readers (one consumer each) use both cores for record decoding; partitions are
    // dealt out alternately so each gets a similar share.
    let mut shares: Vec<Parts> = (0..READERS).map(|_| BTreeMap::new()).collect();
    let mut i = 0;
    for (topic, ps) in parts {
        for (partition, p) in ps {
            shares[i % READERS]
                .entry(topic.clone())
                .or_default()
                .insert(partition, p);
            i += 1;
        }
    }
    let settings = &session.settings;
    // Reading is waiting for the cluster: it has what is left of the command's deadline.
    let budget = session.left();
    let start = Instant::now();
    let results: Vec<Result<RecordTimes>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .filter(|share| !share.is_empty())
            .map(|share| scope.spawn(move || read_share(settings, share, budget)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Internal("the time lag reader panicked".into())))
            })
            .collect()
    });
    for r in results {
        out.extend(r?);
    }
    let read = out
        .values()
        .flat_map(|m| m.values())
        .any(|t| *t != RecordTime::Unknown);
    if read {
        session.heard();
    } else {
        session.spend(start.elapsed());
    }
    Ok(out)
}

/// The partitions a reader visits, by topic.
type Parts = BTreeMap<String, BTreeMap<i32, Partition>>;

/// One reader: a consumer that visits its partitions' wanted offsets until done or timeout.
fn read_share(settings: &Settings, mut parts: Parts, budget: Duration) -> Result<RecordTimes> {
    let mut out = RecordTimes::new();
    if budget.is_zero() {
        unknown_rest(&parts, &mut out);
        return Ok(out);
    }
    let consumer = reader(settings)?;
    let deadline = Instant::now() + budget;
    let all: Vec<(String, i32)> = parts
        .iter()
        .flat_map(|(t, m)| m.keys().map(move |p| (t.clone(), *p)))
        .collect();
    // Whole assignments (no subscription, so no incremental assign): work in waves.
    for wave in all.chunks(MAX_ACTIVE) {
        read_wave(&consumer, &mut parts, wave, deadline, &mut out)?;
    }
    close_quickly(&consumer);
    unknown_rest(&parts, &mut out);
    Ok(out)
}

/// A consumer that assigns partitions itself and reads through them eagerly.
fn reader(settings: &Settings) -> Result<BaseConsumer<KbpContext>> {
    let mut config = client_config(settings, "kbp-timelag");
    config
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_uncommitted")
        .set("max.partition.fetch.bytes", "65536")
        // Prefetch eagerly (reads go through whole partitions), bounded in memory.
        .set("queued.min.messages", "100000")
        .set("queued.max.messages.kbytes", "32768")
        // The default 1 s back-off after a fetch fills the queue would stall each partition.
        .set("fetch.queue.backoff.ms", "0")
        .set("fetch.wait.max.ms", "50");
    // librdkafka needs a group id to assign partitions; this one is never joined nor
    // committed to, so no group is created on the broker.
    config.set(
        "group.id",
        format!(
            "kbp-timelag-{}-{}",
            std::process::id(),
            crate::clock::now_ms()
        ),
    );
    config
        .create_with_context(KbpContext::new(settings))
        .map_err(|e| config_error(settings, e))
}

/// One wave: its partitions assigned at their first wanted offset and read until each is
/// done, the deadline passes, or the cluster refuses in a way no retry mends.
fn read_wave(
    consumer: &BaseConsumer<KbpContext>,
    parts: &mut Parts,
    wave: &[(String, i32)],
    deadline: Instant,
    out: &mut RecordTimes,
) -> Result<()> {
    let mut tpl = TopicPartitionList::new();
    for (t, p) in wave {
        let part = parts
            .get_mut(t)
            .and_then(|m| m.get_mut(p))
            .expect("known partition");
        part.active = true;
        let _ = tpl.add_partition_offset(t, *p, Offset::Offset(part.wanted[0]));
    }
    consumer
        .assign(&tpl)
        .map_err(|e| Error::kafka("assign for time lag", e))?;
    let mut active = wave.len();
    while active > 0 && Instant::now() < deadline {
        let Some(result) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        match result {
            Ok(m) => active -= read_record(consumer, parts, &m, out),
            // The event names no topic: ask every active partition where it stands.
            Err(KafkaError::PartitionEOF(_)) => active -= read_ends(consumer, parts, out),
            // No READ on a topic (DESCRIBE was enough to list its offsets): retrying
            // cannot help, and the error names no partition. This wave's times stay
            // unknown rather than costing the whole --timeout.
            Err(KafkaError::MessageConsumption(
                RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed,
            )) => break,
            Err(_) => {} // transient fetch errors: librdkafka retries; the deadline bounds us
        }
    }
    Ok(())
}

/// A record read: the wanted offsets up to it take its time. Returns how many partitions
/// it finished (0 or 1).
fn read_record(
    consumer: &BaseConsumer<KbpContext>,
    parts: &mut Parts,
    m: &BorrowedMessage<'_>,
    out: &mut RecordTimes,
) -> usize {
    let Some(p) = parts
        .get_mut(m.topic())
        .and_then(|t| t.get_mut(&m.partition()))
    else {
        return 0;
    };
    if !p.active {
        return 0;
    }
    let at = m.offset();
    if p.wanted[p.next] > at {
        return 0; // reading through a gap
    }
    let time = m
        .timestamp()
        .to_millis()
        .filter(|t| *t >= 0)
        .map_or(RecordTime::Unknown, RecordTime::At);
    let found = out
        .entry(TopicPartition::new(m.topic(), m.partition()))
        .or_default();
    while !p.done() && p.wanted[p.next] <= at {
        found.insert(p.wanted[p.next], time);
        p.next += 1;
    }
    if p.done() {
        finish(consumer, m.topic(), m.partition(), p);
        return 1;
    }
    if p.wanted[p.next] - at > READ_THROUGH {
        let _ = consumer.seek(
            m.topic(),
            m.partition(),
            Offset::Offset(p.wanted[p.next]),
            Duration::from_secs(1),
        );
    }
    0
}

/// A partition reached its end: every active partition at its end has no record at its
/// wanted offsets. Returns how many partitions that finished.
fn read_ends(
    consumer: &BaseConsumer<KbpContext>,
    parts: &mut Parts,
    out: &mut RecordTimes,
) -> usize {
    let Ok(positions) = consumer.position() else {
        return 0;
    };
    let mut finished = 0;
    for el in positions.elements() {
        let Some(p) = parts
            .get_mut(el.topic())
            .and_then(|t| t.get_mut(&el.partition()))
        else {
            continue;
        };
        if p.active && matches!(el.offset(), Offset::Offset(o) if o >= p.end) {
            let found = out
                .entry(TopicPartition::new(el.topic(), el.partition()))
                .or_default();
            for w in &p.wanted[p.next..] {
                found.insert(*w, RecordTime::NoRecord);
            }
            p.next = p.wanted.len();
            finish(consumer, el.topic(), el.partition(), p);
            finished += 1;
        }
    }
    finished
}

/// A partition done with: paused, and no longer counted active.
fn finish(consumer: &BaseConsumer<KbpContext>, topic: &str, partition: i32, p: &mut Partition) {
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition(topic, partition);
    let _ = consumer.pause(&tpl);
    p.active = false;
}

/// What was not read is unknown.
fn unknown_rest(parts: &Parts, out: &mut RecordTimes) {
    for (t, m) in parts {
        for (partition, p) in m {
            let found = out.entry(TopicPartition::new(t, *partition)).or_default();
            for w in &p.wanted[p.next..] {
                found.entry(*w).or_insert(RecordTime::Unknown);
            }
        }
    }
}
