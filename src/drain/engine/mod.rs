//! The drain's decisions, as the poll loop's [`Driver`](crate::kafka::consumer::Driver):
//! what to hand to workers, when to pause and resume, what to commit, when to stop. No
//! rdkafka here, so every rule can be reasoned about (and tested) as plain state.
//!
//! Invariant: an offset is committed only when every record below it was processed
//! (done, skipped or dead-lettered); the tracker enforces it, and the sink is synced first.
//!
//! One [`Engine`], its rules in a file a concern: `shares` (backpressure and partition
//! steering), `limits` (when to stop), `accounting` (outcomes, counters, commits) and
//! `driver` (the poll loop's calls). This file holds the state they share.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::flow::Hysteresis;
use super::lanes::Lanes;
use super::sinks::Sink;
use super::tracker::OffsetTracker;
use super::workers::{Completion, OrderingMode, Slot, Work};
use crate::kafka::TopicPartition;

mod accounting;
mod driver;
mod limits;
mod shares;
#[cfg(test)]
mod testing;

pub use limits::{Limits, Stops};

use crate::report::drain::{Counters, PartitionSummary, StopReason};
use limits::Elsewhere;
use shares::Steering;

pub struct Settings {
    pub ordering: OrderingMode,
    /// Worker count: with partition ordering, how many partitions must have records queued
    /// to keep every worker busy.
    pub workers: usize,
    pub commit_interval: Duration,
    pub shutdown_timeout: Duration,
    /// `--no-commit`: process, never commit.
    pub no_commit: bool,
    pub limits: Limits,
}

/// What [`Engine::new`] builds from: the settings, and the ends of what the engine shares
/// with the workers, the sink and the signal thread.
pub struct EngineConfig {
    pub settings: Settings,
    pub flow: Hysteresis,
    pub lanes: Arc<Lanes<Work>>,
    pub sink: Arc<dyn Sink>,
    /// The sink costs nothing (`--sink null` without `--rate`), so records are counted as
    /// processed on arrival instead of going through lanes and workers.
    pub inline: bool,
    pub completions: Receiver<Vec<Completion>>,
    /// SIGINT/SIGTERM count, set by the signal thread.
    pub signals: Arc<AtomicUsize>,
    pub abort: Arc<AtomicBool>,
}

/// Everything the engine knows about one partition, in one place: the per-record paths
/// index a vector by the partition's slot instead of looking up several maps by name.
#[derive(Debug, Default)]
struct Part {
    assigned: bool,
    /// Next offset to read, when known.
    position: Option<i64>,
    /// Records pushed to the lanes and not yet reported back (any outcome): what shutdown
    /// and revoke wait for. Unlike the tracker's pending set, a record that failed leaves
    /// this count even though it is never committed.
    outstanding: usize,
    /// Reached its limit: its records are not processed.
    finished: bool,
    /// `--until end|offset:`: the first offset not to process.
    limit: Option<i64>,
    /// Where it starts without a commit (log start or end, per `--from`).
    default_start: Option<i64>,
    /// Also the partition's name (see `tp`), kept once.
    summary: PartitionSummary,
    /// Whether it belongs in the summary (it had a commit, a record or an outcome).
    reported: bool,
    /// Paused in the consumer, as last asked.
    paused: bool,
    /// Over its share of the queue: records from this offset on were not taken and are
    /// read again once its queue drains.
    held: Option<i64>,
    /// The consumer has yet to move the partition back to `held`.
    rewind_due: bool,
}

impl Part {
    fn tp(&self) -> TopicPartition {
        TopicPartition::new(self.summary.topic.clone(), self.summary.partition)
    }
}

pub struct Engine {
    cfg: Settings,
    tracker: OffsetTracker<Slot>,
    flow: Hysteresis,
    lanes: Arc<Lanes<Work>>,
    sink: Arc<dyn Sink>,
    /// Complete records as they arrive, on the poll thread (a sink that does nothing).
    inline: bool,
    completions: Receiver<Vec<Completion>>,
    signals: Arc<AtomicUsize>,
    abort: Arc<AtomicBool>,
    parts: Vec<Part>,
    slots: HashMap<TopicPartition, Slot>,
    /// The slot of the last record's partition: records come in runs of one partition.
    last_slot: Option<(Arc<str>, i32, Slot)>,
    outstanding: usize,
    steer: Steering,
    elsewhere: Elsewhere,
    pub counters: Counters,
    /// Records taken (`--max-records`).
    received: u64,
    last_commit: Instant,
    last_activity: Instant,
    /// The poll loop's time, as its latest call gave it: the rules read this, never the
    /// clock, so the tests set the time they need instead of sleeping.
    now: Instant,
    /// The stop under way, and since when.
    stopping: Option<(StopReason, Instant)>,
    pub stop_reason: StopReason,
    pub errors: Vec<String>,
    pub started: Instant,
}

impl Engine {
    pub fn new(c: EngineConfig) -> Self {
        let now = Instant::now();
        Engine {
            cfg: c.settings,
            tracker: OffsetTracker::new(),
            flow: c.flow,
            lanes: c.lanes,
            sink: c.sink,
            inline: c.inline,
            completions: c.completions,
            signals: c.signals,
            abort: c.abort,
            parts: Vec::new(),
            slots: HashMap::new(),
            last_slot: None,
            outstanding: 0,
            steer: Steering::default(),
            elsewhere: Elsewhere::default(),
            counters: Counters::default(),
            received: 0,
            last_commit: now,
            last_activity: now,
            now,
            stopping: None,
            stop_reason: StopReason::Running,
            errors: Vec::new(),
            started: now,
        }
    }

    /// The slot of `tp`, created on first sight.
    fn slot(&mut self, tp: &TopicPartition) -> Slot {
        if let Some(&s) = self.slots.get(tp) {
            return s;
        }
        let s = self.parts.len() as Slot;
        self.parts.push(Part {
            limit: self.limit_of(tp),
            default_start: self.cfg.limits.default_start.get(tp).copied(),
            summary: PartitionSummary {
                topic: tp.topic.clone(),
                partition: tp.partition,
                ..Default::default()
            },
            ..Default::default()
        });
        self.slots.insert(tp.clone(), s);
        s
    }

    /// The slot of a record's partition; a hash lookup only when the partition changes.
    fn slot_of(&mut self, topic: &Arc<str>, partition: i32) -> Slot {
        if let Some((t, p, s)) = &self.last_slot {
            if *p == partition && Arc::ptr_eq(t, topic) {
                return *s;
            }
        }
        let s = self.slot(&TopicPartition::new(topic.to_string(), partition));
        self.last_slot = Some((Arc::clone(topic), partition, s));
        s
    }
}
