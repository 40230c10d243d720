//! The drain's decisions, as the poll loop's [`Driver`]: what to hand to workers, when to
//! pause and resume, what to commit, when to stop. No rdkafka here, so every rule can be
//! reasoned about (and tested) as plain state.
//!
//! Invariant: an offset is committed only when every record below it was processed
//! (done, skipped or dead-lettered); the tracker enforces it, and the sink is synced first.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::flow::{FlowChange, Hysteresis};
use super::lanes::{Lane, Lanes};
use super::sinks::Sink;
use super::tracker::OffsetTracker;
use super::workers::{lane_of, Completion, OrderingMode, Outcome, Slot, Work};
use crate::kafka::consumer::{CommitError, Driver, Record, Tick};
use crate::kafka::TopicPartition;

/// Where each partition stops (`--until`).
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Per partition, the first offset not to process (`--until end|offset:`).
    pub offsets: Option<HashMap<TopicPartition, i64>>,
    /// Records with a timestamp at or after this (ms) are not processed (`--until time:`).
    pub time_ms: Option<i64>,
    pub max_records: Option<u64>,
    pub idle: Option<Duration>,
    /// Where a partition without a commit starts (log start or end, per `--from`), so
    /// an empty partition counts as having reached its limit.
    pub default_start: HashMap<TopicPartition, i64>,
}

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

/// Why the drain stopped; part of the summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    Running,
    /// Every assigned partition reached its `--until` limit.
    Done,
    MaxRecords,
    Idle,
    Interrupted,
    /// The sink's reader went away (`| head`).
    SinkClosed,
    /// A record failed after its retries with `--on-failure stop`.
    Failed,
    /// The sink could not make written records durable (a full disk): nothing past the
    /// last commit counts as processed.
    SinkFailed,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PartitionSummary {
    pub topic: String,
    pub partition: i32,
    /// The first offset this run saw (committed position or first record).
    pub start_offset: Option<i64>,
    /// The last offset this run committed.
    pub committed_offset: Option<i64>,
    pub processed: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counters {
    pub processed: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub failed: u64,
    pub retries: u64,
    /// Times the whole assignment was paused because the queue stayed full.
    pub pauses: u64,
    /// Times one partition was paused (and read again later) for holding more than its
    /// share of the queue, with `--ordering partition`.
    pub partition_pauses: u64,
    pub rebalances: u64,
    pub commits: u64,
    pub commit_failures: u64,
    /// Commits refused mid-rebalance and sent again (not failures).
    pub commit_retries: u64,
    pub max_queued: usize,
}

/// Everything the engine knows about one partition, in one place: the per-record paths
/// index a vector by the partition's slot instead of looking up several maps by name.
#[derive(Debug)]
struct Part {
    tp: TopicPartition,
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

pub struct Engine {
    cfg: Settings,
    tracker: OffsetTracker<Slot>,
    flow: Hysteresis,
    lanes: Arc<Lanes<Work>>,
    sink: Arc<dyn Sink>,
    /// Complete records as they arrive, on the poll thread (a sink that does nothing).
    inline: bool,
    completions: Receiver<Vec<Completion>>,
    /// SIGINT/SIGTERM count, set by the signal thread.
    signals: Arc<AtomicUsize>,
    abort: Arc<AtomicBool>,
    parts: Vec<Part>,
    slots: HashMap<TopicPartition, Slot>,
    /// The slot of the last record's partition: records come in runs of one partition.
    last_slot: Option<(Arc<str>, i32, Slot)>,
    outstanding: usize,
    /// Partitions with records outstanding.
    busy_parts: usize,
    /// Since when workers wait while the queue is half full (see `balance`).
    starved_since: Option<Instant>,
    /// Until when partitions take no more than their share (see `balance`).
    capped_until: Option<Instant>,
    /// Partitions not assigned here whose group commit is at their limit.
    done_elsewhere: HashSet<TopicPartition>,
    last_elsewhere_check: Option<Instant>,
    pub counters: Counters,
    received: u64,
    last_commit: Instant,
    last_activity: Instant,
    stopping: Option<(StopReason, Instant)>,
    /// Since when the queue reached its high-water mark without falling to the low one.
    full_since: Option<Instant>,
    pub stop_reason: StopReason,
    pub errors: Vec<String>,
    pub started: Instant,
}

/// With `--ordering partition`: how many records one partition may hold in the queue and
/// in work, and how many partitions it takes to keep every worker busy.
struct Share {
    records: usize,
    lanes: usize,
}

/// How long the queue must stay full before the partitions are paused.
const PAUSE_AFTER: Duration = Duration::from_millis(100);

impl Engine {
    /// `inline`: the sink costs nothing (`--sink null` without `--rate`), so records are
    /// counted as processed on arrival instead of going through lanes and workers.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: Settings,
        flow: Hysteresis,
        lanes: Arc<Lanes<Work>>,
        sink: Arc<dyn Sink>,
        inline: bool,
        completions: Receiver<Vec<Completion>>,
        signals: Arc<AtomicUsize>,
        abort: Arc<AtomicBool>,
    ) -> Self {
        let now = Instant::now();
        Engine {
            cfg,
            tracker: OffsetTracker::new(),
            flow,
            lanes,
            sink,
            inline,
            completions,
            signals,
            abort,
            parts: Vec::new(),
            slots: HashMap::new(),
            last_slot: None,
            outstanding: 0,
            busy_parts: 0,
            starved_since: None,
            capped_until: None,
            done_elsewhere: HashSet::new(),
            last_elsewhere_check: None,
            counters: Counters {
                processed: 0,
                skipped: 0,
                dead_lettered: 0,
                failed: 0,
                retries: 0,
                pauses: 0,
                partition_pauses: 0,
                rebalances: 0,
                commits: 0,
                commit_failures: 0,
                commit_retries: 0,
                max_queued: 0,
            },
            received: 0,
            last_commit: now,
            last_activity: now,
            stopping: None,
            full_since: None,
            stop_reason: StopReason::Running,
            errors: Vec::new(),
            started: now,
        }
    }

    /// Per partition, sorted; only partitions this run committed or saw records of.
    pub fn partition_summaries(&self) -> Vec<PartitionSummary> {
        let mut out: Vec<&Part> = self.parts.iter().filter(|p| p.reported).collect();
        out.sort_by(|a, b| a.tp.cmp(&b.tp));
        out.into_iter().map(|p| p.summary.clone()).collect()
    }

    pub fn in_flight(&self) -> usize {
        self.outstanding
    }

    /// Records left before every assigned partition reaches its `--until` offset.
    pub fn remaining(&self) -> Option<u64> {
        self.cfg.limits.offsets.as_ref()?;
        let mut left = 0u64;
        for p in self.parts.iter().filter(|p| p.assigned) {
            let limit = p.limit?;
            let at = p.position.or(p.default_start)?;
            left += (limit - at).max(0) as u64 + p.outstanding as u64;
        }
        Some(left)
    }

    pub fn is_paused(&self) -> bool {
        self.flow.is_paused()
    }

    /// The slot of `tp`, created on first sight.
    fn slot(&mut self, tp: &TopicPartition) -> Slot {
        if let Some(&s) = self.slots.get(tp) {
            return s;
        }
        let s = self.parts.len() as Slot;
        let limit = self.limit_of(tp);
        let default_start = self.cfg.limits.default_start.get(tp).copied();
        self.parts.push(Part {
            tp: tp.clone(),
            assigned: false,
            position: None,
            outstanding: 0,
            finished: false,
            limit,
            default_start,
            summary: PartitionSummary {
                topic: tp.topic.clone(),
                partition: tp.partition,
                ..Default::default()
            },
            reported: false,
            paused: false,
            held: None,
            rewind_due: false,
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

    fn part(&mut self, slot: Slot) -> &mut Part {
        let p = &mut self.parts[slot as usize];
        p.reported = true;
        p
    }

    fn stop_reason_is(&self, reason: StopReason) -> bool {
        self.stopping.as_ref().is_some_and(|(r, _)| *r == reason)
    }

    fn stop(&mut self, reason: StopReason) {
        if self.stopping.is_none() {
            self.stopping = Some((reason, Instant::now()));
        }
    }

    fn drain_completions(&mut self) {
        while let Ok(batch) = self.completions.try_recv() {
            for c in batch {
                self.complete(c);
            }
        }
    }

    fn release(&mut self, slot: Slot, n: usize) {
        let p = &mut self.parts[slot as usize];
        let n = n.min(p.outstanding);
        if n > 0 && n == p.outstanding {
            self.busy_parts -= 1;
        }
        p.outstanding -= n;
        self.outstanding -= n;
    }

    /// Drops queued records not yet handed to a worker; they stay uncommitted.
    fn drop_queued(&mut self, which: impl Fn(&Work) -> bool) -> Vec<Work> {
        let dropped = self.lanes.drain_where(|_, w| which(w));
        for w in &dropped {
            self.release(w.slot, 1);
        }
        dropped
    }

    fn complete(&mut self, c: Completion) {
        self.release(c.slot, 1);
        let (counted, label, error) = match &c.outcome {
            Outcome::Done { attempts } => {
                self.counters.processed += 1;
                self.counters.retries += u64::from(attempts.saturating_sub(1));
                self.part(c.slot).summary.processed += 1;
                (true, "", None)
            }
            Outcome::Skipped { error } => {
                self.counters.skipped += 1;
                self.part(c.slot).summary.skipped += 1;
                (true, "skipped", Some(error))
            }
            Outcome::DeadLettered { error } => {
                self.counters.dead_lettered += 1;
                self.part(c.slot).summary.dead_lettered += 1;
                (true, "dead-lettered", Some(error))
            }
            Outcome::Failed { error } => {
                self.counters.failed += 1;
                self.part(c.slot).summary.failed += 1;
                self.stop(StopReason::Failed);
                (false, "failed", Some(error))
            }
            Outcome::SinkClosed => {
                self.stop(StopReason::SinkClosed);
                (false, "", None)
            }
            Outcome::Interrupted => (false, "", None),
        };
        if let Some(error) = error {
            let tp = &self.parts[c.slot as usize].tp;
            let msg = format!(
                "{label} {}/{}@{}: {error}",
                tp.topic, tp.partition, c.offset
            );
            self.note(msg);
        }
        // A record not processed stays pending: commits stop below it.
        if counted {
            self.tracker.completed(&c.slot, c.offset);
        }
    }

    fn note(&mut self, msg: String) {
        if self.errors.len() < 1000 {
            self.errors.push(msg);
        }
    }

    /// Offsets to commit now (sink synced first); empty with `--no-commit`.
    fn commits(&mut self) -> Vec<(TopicPartition, i64)> {
        self.last_commit = Instant::now();
        if self.cfg.no_commit || self.stop_reason_is(StopReason::SinkFailed) {
            return vec![];
        }
        let due = self.tracker.to_commit();
        if due.is_empty() {
            return vec![];
        }
        if let Err(e) = self.sink.sync() {
            // Not durable, so not processed: commit nothing this round.
            self.note(format!("cannot write: {e}"));
            // Whatever stop was under way, nothing past the last commit is durable.
            let since = self.stopping.take().map_or_else(Instant::now, |(_, t)| t);
            self.stopping = Some((StopReason::SinkFailed, since));
            return vec![];
        }
        let mut out: Vec<(TopicPartition, i64)> = due
            .into_iter()
            .map(|(s, o)| (self.parts[s as usize].tp.clone(), o))
            .collect();
        out.sort();
        out
    }

    /// With `--ordering partition`, the most records one partition may have queued or in
    /// work: librdkafka hands over a partition's fetch as one long run, which would
    /// otherwise fill the queue with one partition and leave all workers but one idle.
    fn share(&self) -> Share {
        let assigned = self.parts.iter().filter(|p| p.assigned).count();
        match assigned.min(self.cfg.workers) {
            lanes @ 2.. if self.cfg.ordering == OrderingMode::Partition => Share {
                records: (self.flow.high() / lanes).max(1),
                lanes,
            },
            _ => Share {
                records: usize::MAX,
                lanes: 0,
            },
        }
    }

    /// Workers wait for work, yet the queue is at least half full: fewer partitions have
    /// records than could keep them busy, and one partition's records crowd out the
    /// others'. When that lasts PAUSE_AFTER, partitions over their share give their newest
    /// queued records back, to be read again later, and for the next PAUSE_AFTER no
    /// partition takes more than its share, so the room goes to several partitions rather
    /// than to the next one's fetch run. Giving back costs a refetch, so it is kept for that
    /// case: a sink that keeps up has a short queue, and a sink that is the bottleneck as a
    /// whole keeps every worker busy.
    fn balance(&mut self, queued: usize, now: Instant) {
        let share = self.share();
        let starving = share.lanes > 0
            && queued >= self.flow.high() / 2
            && self.busy_parts < share.lanes
            && self.lanes.idle_workers() > 0;
        if !starving {
            self.starved_since = None;
            return;
        }
        let since = *self.starved_since.get_or_insert(now);
        if now.duration_since(since) < PAUSE_AFTER {
            return;
        }
        self.starved_since = Some(now);
        self.capped_until = Some(now + PAUSE_AFTER);
        let keep = (share.records / 2).max(1);
        for slot in 0..self.parts.len() as Slot {
            let p = &self.parts[slot as usize];
            if !p.assigned || p.held.is_some() || p.outstanding <= share.records {
                continue;
            }
            let back = self.lanes.split_off(&Lane::Partition(slot), keep);
            let Some(first) = back.first().map(|w| w.record.offset) else {
                continue;
            };
            self.release(slot, back.len());
            self.tracker.forget_from(&slot, first);
            self.hold(slot, first);
        }
    }

    /// Takes nothing of `slot` from `offset` on until its queue drains.
    fn hold(&mut self, slot: Slot, offset: i64) {
        let p = &mut self.parts[slot as usize];
        p.held = Some(offset);
        p.rewind_due = true;
        p.position = Some(offset);
        self.counters.partition_pauses += 1;
    }

    fn pause_all(&mut self, tick: &mut Tick) {
        for p in self.parts.iter_mut().filter(|p| p.assigned && !p.paused) {
            p.paused = true;
            tick.pause.push(p.tp.clone());
        }
    }

    /// Pauses and rewinds partitions over their share, releases those whose queue fell to
    /// half their share, and resumes every partition neither held nor under global pause.
    fn steer_partitions(&mut self, tick: &mut Tick) {
        let low = self.share().records / 2;
        let all_paused = self.flow.is_paused();
        for p in self.parts.iter_mut().filter(|p| p.assigned) {
            if p.held.is_some() && !p.rewind_due && p.outstanding <= low {
                p.held = None;
            }
            match p.held {
                Some(offset) => {
                    // Paused again with every rewind: the seek is safe only once paused.
                    if !p.paused || p.rewind_due {
                        p.paused = true;
                        tick.pause.push(p.tp.clone());
                    }
                    if p.rewind_due {
                        tick.rewind.push((p.tp.clone(), offset));
                    }
                }
                None if p.paused != all_paused => {
                    p.paused = all_paused;
                    let to = if all_paused {
                        &mut tick.pause
                    } else {
                        &mut tick.resume
                    };
                    to.push(p.tp.clone());
                }
                None => {}
            }
        }
        tick.all_paused = all_paused;
    }

    fn limit_of(&self, tp: &TopicPartition) -> Option<i64> {
        self.cfg
            .limits
            .offsets
            .as_ref()
            .map(|m| m.get(tp).copied().unwrap_or(0))
    }

    fn is_assigned(&self, tp: &TopicPartition) -> bool {
        self.slots
            .get(tp)
            .is_some_and(|&s| self.parts[s as usize].assigned)
    }

    /// Every assigned partition has reached its offset limit and has nothing in flight.
    fn all_limits_reached(&self) -> bool {
        self.partitions_short_of_limit()
            .is_some_and(|others| others.is_empty())
    }

    /// With offset limits, once every assigned partition is done: the partitions held
    /// elsewhere (or by nobody yet, e.g. by a member that crashed) that are not known to
    /// be at their limit. `None` while an assigned partition still has work. A drain
    /// stops only when the whole topic is drained, not just its own share.
    fn partitions_short_of_limit(&self) -> Option<Vec<TopicPartition>> {
        let limits = self.cfg.limits.offsets.as_ref()?;
        let own_done = self.parts.iter().filter(|p| p.assigned).all(|p| {
            let limit = p.limit.unwrap_or(0);
            (p.finished || p.position.or(p.default_start).is_some_and(|at| at >= limit))
                && p.outstanding == 0
        });
        if !own_done {
            return None;
        }
        let mut others: Vec<TopicPartition> = limits
            .iter()
            .filter(|(tp, limit)| {
                let nothing_to_do = self
                    .cfg
                    .limits
                    .default_start
                    .get(*tp)
                    .is_some_and(|s| s >= *limit);
                !self.is_assigned(tp) && !nothing_to_do && !self.done_elsewhere.contains(*tp)
            })
            .map(|(tp, _)| tp.clone())
            .collect();
        others.sort();
        Some(others)
    }
}

impl Engine {
    /// Books a fetched record; `None` when there is nothing to hand to a worker: it was
    /// completed inline, or it is not to be processed (stopping, past a limit). A record not
    /// processed is not tracked, so it is neither processed nor committed.
    fn accept(&mut self, r: Record, now: Instant, share: &Share) -> Option<(Lane, Work)> {
        let slot = self.slot_of(&r.topic, r.partition);
        let stopping = self.stopping.is_some();
        let p = &mut self.parts[slot as usize];
        if p.held.is_some() {
            return None; // read again from the held offset
        }
        p.position = Some(r.offset + 1);
        if stopping || p.finished {
            return None; // not tracked, not processed, not committed: read again next time
        }
        if p.limit.is_some_and(|limit| r.offset >= limit)
            || self
                .cfg
                .limits
                .time_ms
                .zip(r.timestamp)
                .is_some_and(|(limit, ts)| ts >= limit)
        {
            p.finished = true;
            return None;
        }
        if self
            .cfg
            .limits
            .max_records
            .is_some_and(|max| self.received >= max)
        {
            return None;
        }
        if self.capped_until.is_some_and(|t| now < t)
            && self.parts[slot as usize].outstanding >= share.records
            && self.busy_parts < share.lanes
        {
            self.hold(slot, r.offset);
            return None;
        }
        self.received += 1;
        self.last_activity = now;
        let inline = self.inline;
        let p = self.part(slot);
        p.summary.start_offset.get_or_insert(r.offset);
        if inline {
            p.summary.processed += 1;
            self.counters.processed += 1;
            self.tracker.received_done(&slot, r.offset);
            return None;
        }
        let was_idle = p.outstanding == 0;
        p.outstanding += 1;
        self.busy_parts += usize::from(was_idle);
        self.outstanding += 1;
        self.tracker.received(&slot, r.offset);
        let lane = lane_of(slot, &r, self.cfg.ordering);
        Some((lane, Work { slot, record: r }))
    }
}

impl Driver for Engine {
    fn on_record(&mut self, r: Record) {
        self.on_records(vec![r]);
    }

    fn on_records(&mut self, records: Vec<Record>) {
        let now = Instant::now();
        let share = self.share();
        let accepted: Vec<(Lane, Work)> = records
            .into_iter()
            .filter_map(|r| self.accept(r, now, &share))
            .collect();
        if !accepted.is_empty() {
            self.lanes.push_all(accepted);
            self.counters.max_queued = self.counters.max_queued.max(self.lanes.len());
        }
    }

    fn on_assign(&mut self, partitions: &[(TopicPartition, Option<i64>)]) -> bool {
        self.counters.rebalances += 1;
        let start_paused = self.flow.is_paused() || self.stopping.is_some();
        for (tp, committed) in partitions {
            let slot = self.slot(tp);
            let p = &mut self.parts[slot as usize];
            p.assigned = true;
            p.finished = false;
            p.position = *committed;
            p.paused = start_paused;
            p.held = None;
            p.rewind_due = false;
            if let Some(c) = committed {
                self.part(slot).summary.start_offset.get_or_insert(*c);
            }
        }
        start_paused
    }

    fn on_revoke(
        &mut self,
        partitions: &[TopicPartition],
        lost: bool,
    ) -> Vec<(TopicPartition, i64)> {
        self.counters.rebalances += 1;
        let revoked: Vec<Slot> = partitions.iter().map(|tp| self.slot(tp)).collect();
        // Queued, not started: drop them (the next owner reads them again).
        self.drop_queued(|w| revoked.contains(&w.slot));
        // Let what workers hold finish, bounded, draining completions meanwhile.
        let deadline = Instant::now() + self.cfg.shutdown_timeout;
        loop {
            self.drain_completions();
            let busy = revoked
                .iter()
                .any(|&s| self.parts[s as usize].outstanding > 0);
            if !busy || lost || Instant::now() >= deadline || self.abort.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let synced = self.cfg.no_commit
            || lost
            || self.stop_reason_is(StopReason::SinkFailed)
            || self.sink.sync().is_ok();
        let mut out = Vec::new();
        for (tp, slot) in partitions.iter().zip(revoked) {
            let last = self.tracker.last_committed(&slot);
            if let Some(off) = self.tracker.revoke(&slot) {
                let failed = self.stop_reason_is(StopReason::SinkFailed);
                if synced && !lost && !failed && !self.cfg.no_commit && last.is_none_or(|l| off > l)
                {
                    out.push((tp.clone(), off));
                }
            }
            // The consumer clears its pause of a revoked partition.
            let p = &mut self.parts[slot as usize];
            p.assigned = false;
            p.position = None;
            p.paused = false;
            p.held = None;
            p.rewind_due = false;
        }
        out
    }

    fn on_commit(&mut self, offsets: &[(TopicPartition, i64)], result: Result<(), CommitError>) {
        match result {
            Ok(()) => {
                self.counters.commits += 1;
                for (tp, off) in offsets {
                    let slot = self.slot(tp);
                    self.tracker.mark_committed(&slot, *off);
                    self.part(slot).summary.committed_offset = Some(*off);
                }
            }
            // Mid-rebalance: not marked committed, so the next tick sends them again.
            Err(e) if e.retriable => self.counters.commit_retries += 1,
            Err(e) => {
                self.counters.commit_failures += 1;
                self.note(format!("commit failed: {}", e.message));
            }
        }
    }

    fn on_committed(&mut self, offsets: &[(TopicPartition, Option<i64>)]) {
        for (tp, committed) in offsets {
            if committed
                .zip(self.limit_of(tp))
                .is_some_and(|(c, limit)| c >= limit)
            {
                self.done_elsewhere.insert(tp.clone());
            }
        }
    }

    fn on_error(&mut self, error: String) {
        self.note(error);
    }

    fn on_rewound(&mut self, tp: &TopicPartition, ok: bool) {
        if let Some(&slot) = self.slots.get(tp) {
            self.parts[slot as usize].rewind_due &= !ok;
        }
    }

    fn tick(&mut self) -> Tick {
        self.drain_completions();
        let now = Instant::now();
        if self.signals.load(Ordering::Relaxed) > 0 {
            self.stop(StopReason::Interrupted);
        }
        if self.stopping.is_none() {
            if self
                .cfg
                .limits
                .max_records
                .is_some_and(|m| self.received >= m)
                && self.outstanding == 0
            {
                self.stop(StopReason::MaxRecords);
            } else if self.all_limits_reached() {
                self.stop(StopReason::Done);
            } else if self
                .cfg
                .limits
                .idle
                .is_some_and(|d| now.duration_since(self.last_activity) >= d)
                && self.outstanding == 0
            {
                self.stop(StopReason::Idle);
            }
        }
        if let Some((reason, since)) = self.stopping.clone() {
            // Stop intake; only an interruption or a failure abandons queued work.
            if matches!(
                reason,
                StopReason::Interrupted
                    | StopReason::SinkClosed
                    | StopReason::Failed
                    | StopReason::SinkFailed
            ) {
                self.drop_queued(|_| true);
            }
            let waiting = self.outstanding > 0
                && since.elapsed() < self.cfg.shutdown_timeout
                && !self.abort.load(Ordering::Relaxed);
            let mut tick = Tick {
                all_paused: true,
                ..Default::default()
            };
            self.pause_all(&mut tick);
            if waiting {
                std::thread::sleep(Duration::from_millis(2));
                return tick;
            }
            tick.commit = self.commits();
            // The final sync can still fail, turning any stop into a failed one.
            self.stop_reason = if self.stop_reason_is(StopReason::SinkFailed) {
                StopReason::SinkFailed
            } else {
                reason
            };
            tick.stop = true;
            return tick;
        }
        let mut tick = Tick::default();
        // Two levels of backpressure. A full queue first only holds intake (the poll loop
        // skips taking records, librdkafka's bounded prefetch waits); only when it stays
        // full for PAUSE_AFTER are the partitions paused, which keeps the poll loop polling
        // for as long as the sink is slow but drops prefetched data, so it is kept for
        // sustained pressure rather than every burst.
        // A partition crowding out the others gives records back first: that relieves the
        // queue without pausing everything (a full pause stops fetching for up to 1 s).
        self.balance(self.lanes.len(), now);
        let queued = self.lanes.len();
        if queued >= self.flow.high() {
            self.full_since.get_or_insert(now);
        } else if queued <= self.flow.low() {
            self.full_since = None;
        }
        let sustained = self
            .full_since
            .is_some_and(|t| now.duration_since(t) >= PAUSE_AFTER);
        let change = if self.flow.is_paused() || sustained {
            self.flow.observe(queued, now)
        } else {
            None
        };
        if change == Some(FlowChange::Pause) {
            self.counters.pauses += 1;
        }
        self.steer_partitions(&mut tick);
        if now.duration_since(self.last_commit) >= self.cfg.commit_interval {
            tick.commit = self.commits();
        }
        tick.room = self.flow.high().saturating_sub(queued);
        // Our share is drained but the topic is not: ask the group where the rest stands.
        if let Some(others) = self.partitions_short_of_limit().filter(|o| !o.is_empty()) {
            if self
                .last_elsewhere_check
                .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
            {
                self.last_elsewhere_check = Some(now);
                tick.ask_committed = others;
            }
        }
        tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drain::sinks::NullSink;
    use std::sync::mpsc::{channel, Sender};

    fn engine(limits: Limits) -> (Engine, Sender<Vec<Completion>>, Arc<Lanes<Work>>) {
        engine_with(limits, false)
    }

    fn engine_with(
        limits: Limits,
        inline: bool,
    ) -> (Engine, Sender<Vec<Completion>>, Arc<Lanes<Work>>) {
        engine_ordered(limits, inline, OrderingMode::Unordered, 4)
    }

    /// Queue bounds 4 (high) and 1 (low).
    fn engine_ordered(
        limits: Limits,
        inline: bool,
        ordering: OrderingMode,
        high: usize,
    ) -> (Engine, Sender<Vec<Completion>>, Arc<Lanes<Work>>) {
        let lanes = Arc::new(Lanes::new());
        let (tx, rx) = channel();
        let e = Engine::new(
            Settings {
                ordering,
                workers: 4,
                commit_interval: Duration::ZERO,
                shutdown_timeout: Duration::from_millis(200),
                no_commit: false,
                limits,
            },
            Hysteresis::new(high, 1, Duration::ZERO).unwrap(),
            Arc::clone(&lanes),
            Arc::new(NullSink),
            inline,
            rx,
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        (e, tx, lanes)
    }

    fn rec(p: i32, o: i64) -> Record {
        Record {
            topic: "t".into(),
            partition: p,
            offset: o,
            timestamp: Some(0),
            key: None,
            value: None,
            headers: vec![],
        }
    }

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("t", p)
    }

    fn slot(e: &Engine, p: i32) -> Slot {
        e.slots[&tp(p)]
    }

    fn done(e: &Engine, tx: &Sender<Vec<Completion>>, p: i32, o: i64) {
        tx.send(vec![Completion {
            slot: slot(e, p),
            offset: o,
            outcome: Outcome::Done { attempts: 1 },
        }])
        .unwrap();
    }

    #[test]
    fn commits_only_the_contiguous_processed_prefix() {
        let (mut e, tx, lanes) = engine(Limits::default());
        e.on_assign(&[(tp(0), Some(10))]);
        for o in 10..14 {
            e.on_record(rec(0, o));
        }
        assert_eq!(lanes.len(), 4);
        // 11 and 13 finish first: nothing committable past 10.
        done(&e, &tx, 0, 11);
        done(&e, &tx, 0, 13);
        let t = e.tick();
        assert!(t.commit.iter().all(|(_, o)| *o <= 10), "{:?}", t.commit);
        done(&e, &tx, 0, 10);
        let t = e.tick();
        assert_eq!(t.commit, vec![(tp(0), 12)]);
        e.on_commit(&t.commit, Ok(()));
        done(&e, &tx, 0, 12);
        assert_eq!(e.tick().commit, vec![(tp(0), 14)]);
    }

    #[test]
    fn pauses_at_high_water_and_resumes_at_low_water() {
        let (mut e, tx, lanes) = engine(Limits::default());
        e.on_assign(&[(tp(0), None)]);
        for o in 0..4 {
            e.on_record(rec(0, o));
        }
        let first = e.tick();
        assert!(
            first.pause.is_empty() && first.room == 0,
            "a full queue first holds intake"
        );
        std::thread::sleep(PAUSE_AFTER);
        assert!(e.tick().pause == vec![tp(0)], "sustained pressure pauses");
        assert!(
            e.on_assign(&[(tp(1), None)]),
            "new partitions start paused under backpressure"
        );
        for _ in 0..3 {
            let (lane, r) = lanes.pop(Duration::from_millis(10)).unwrap();
            lanes.done(&lane);
            done(&e, &tx, 0, r.record.offset);
        }
        assert_eq!(
            e.tick().resume,
            vec![tp(0), tp(1)],
            "resumed with the partition that started paused"
        );
        assert_eq!(e.counters.pauses, 1);
    }

    #[test]
    fn a_failed_record_stops_the_drain_and_is_never_committed() {
        let (mut e, tx, _lanes) = engine(Limits::default());
        e.on_assign(&[(tp(0), Some(0))]);
        for o in 0..3 {
            e.on_record(rec(0, o));
        }
        done(&e, &tx, 0, 0);
        tx.send(vec![Completion {
            slot: slot(&e, 0),
            offset: 1,
            outcome: Outcome::Failed {
                error: "boom".into(),
            },
        }])
        .unwrap();
        done(&e, &tx, 0, 2);
        let mut t = e.tick();
        for _ in 0..100 {
            if t.stop {
                break;
            }
            t = e.tick();
        }
        assert!(t.stop);
        assert_eq!(e.stop_reason, StopReason::Failed);
        assert_eq!(
            t.commit,
            vec![(tp(0), 1)],
            "offset 1 failed: commit stops below it"
        );
    }

    #[test]
    fn revoke_drops_queued_records_and_commits_what_finished() {
        let (mut e, tx, lanes) = engine(Limits::default());
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        for o in 0..3 {
            e.on_record(rec(0, o));
        }
        e.on_record(rec(1, 0));
        // A worker holds 0@0 and finishes it; 0@1 and 0@2 are still queued.
        let (lane, r) = lanes.pop(Duration::from_millis(10)).unwrap();
        assert_eq!((r.record.partition, r.record.offset), (0, 0));
        lanes.done(&lane);
        done(&e, &tx, 0, 0);
        let commits = e.on_revoke(&[tp(0)], false);
        assert_eq!(commits, vec![(tp(0), 1)]);
        assert_eq!(lanes.len(), 1, "partition 1's record stays queued");
        // A lost assignment commits nothing.
        assert!(e.on_revoke(&[tp(1)], true).is_empty());
    }

    #[test]
    fn until_end_waits_for_partitions_held_elsewhere() {
        let limits = Limits {
            offsets: Some([(tp(0), 1), (tp(1), 5), (tp(2), 3)].into_iter().collect()),
            default_start: [(tp(0), 0), (tp(1), 0), (tp(2), 3)].into_iter().collect(),
            ..Default::default()
        };
        let (mut e, tx, _lanes) = engine(limits);
        e.on_assign(&[(tp(0), Some(0))]);
        e.on_record(rec(0, 0));
        done(&e, &tx, 0, 0);
        let t = e.tick();
        assert!(!t.stop, "partition 1 is held elsewhere and not drained");
        assert_eq!(
            t.ask_committed,
            vec![tp(1)],
            "partition 2 is empty: nothing to ask"
        );
        e.on_committed(&[(tp(1), Some(4))]);
        assert!(!e.tick().stop);
        e.on_committed(&[(tp(1), Some(5))]);
        let t = e.tick();
        let t = if t.stop { t } else { e.tick() };
        assert!(t.stop);
        assert_eq!(e.stop_reason, StopReason::Done);
    }

    #[test]
    fn until_end_stops_when_every_partition_is_at_its_limit() {
        let limits = Limits {
            offsets: Some([(tp(0), 2), (tp(1), 0)].into_iter().collect()),
            default_start: [(tp(1), 0)].into_iter().collect(),
            ..Default::default()
        };
        let (mut e, tx, _lanes) = engine(limits);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), None)]);
        e.on_record(rec(0, 0));
        e.on_record(rec(0, 1));
        e.on_record(rec(0, 2)); // at the limit: not processed
        assert!(!e.tick().stop);
        done(&e, &tx, 0, 0);
        done(&e, &tx, 0, 1);
        let t = e.tick();
        let t = if t.stop { t } else { e.tick() };
        assert!(t.stop, "partition 0 reached 2, partition 1 is empty");
        assert_eq!(e.stop_reason, StopReason::Done);
        assert_eq!(t.commit, vec![(tp(0), 2)]);
        assert_eq!(e.counters.processed, 2);
    }

    #[test]
    fn inline_sink_completes_on_arrival_up_to_the_limit() {
        let limits = Limits {
            offsets: Some([(tp(0), 3), (tp(1), 1)].into_iter().collect()),
            ..Default::default()
        };
        let (mut e, _tx, lanes) = engine_with(limits, true);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..5).map(|o| rec(0, o)).collect());
        assert_eq!(lanes.len(), 0, "nothing goes to workers");
        assert_eq!(e.in_flight(), 0);
        assert!(!e.tick().stop, "partition 1 is not drained yet");
        e.on_records(vec![rec(1, 0)]);
        let t = e.tick();
        let t = if t.stop { t } else { e.tick() };
        assert!(t.stop);
        assert_eq!(
            t.commit,
            vec![(tp(0), 3), (tp(1), 1)],
            "records past the limit are not processed"
        );
        assert_eq!(e.counters.processed, 4);
        let summary = e.partition_summaries();
        assert_eq!(
            summary.iter().map(|s| s.processed).collect::<Vec<_>>(),
            vec![3, 1]
        );
    }

    /// A worker blocked in `pop` (taking the first record that may go); join it to get it.
    fn worker(lanes: &Arc<Lanes<Work>>) -> std::thread::JoinHandle<Option<(Lane, Work)>> {
        let before = lanes.idle_workers();
        let l = Arc::clone(lanes);
        let h = std::thread::spawn(move || l.pop(Duration::from_secs(10)));
        while lanes.idle_workers() == before && !h.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        h
    }

    #[test]
    fn a_partition_starving_the_workers_gives_records_back_and_is_read_again() {
        // 8 queued at most, 2 partitions, 4 workers: a share of 4 each, released at 2.
        let (mut e, tx, lanes) =
            engine_ordered(Limits::default(), false, OrderingMode::Partition, 8);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..7).map(|o| rec(0, o)).collect());
        let first = worker(&lanes).join().unwrap().unwrap();
        assert_eq!(first.1.record.offset, 0);
        // A second worker waits: partition 0's lane is busy and nothing else is queued.
        let idle = worker(&lanes);
        assert!(e.tick().rewind.is_empty(), "starving only just began");
        std::thread::sleep(PAUSE_AFTER);
        let t = e.tick();
        assert_eq!(t.pause, vec![tp(0)]);
        assert_eq!(
            t.rewind,
            vec![(tp(0), 3)],
            "1 and 2 stay queued, 3..=6 go back"
        );
        assert_eq!(e.counters.partition_pauses, 1);
        assert_eq!(lanes.len(), 2);
        e.on_rewound(&tp(0), false);
        assert_eq!(
            e.tick().rewind,
            vec![(tp(0), 3)],
            "a failed rewind is asked again"
        );
        e.on_rewound(&tp(0), true);
        // Stale records of a held partition are not taken; other partitions' are.
        e.on_records(vec![rec(0, 3), rec(1, 0)]);
        let (lane, w) = idle.join().unwrap().unwrap();
        assert_eq!((w.record.partition, w.record.offset), (1, 0));
        lanes.done(&lane);
        lanes.done(&first.0);
        done(&e, &tx, 1, 0);
        done(&e, &tx, 0, 0);
        let t = e.tick();
        assert_eq!(t.resume, vec![tp(0)], "2 left: half its share");
        assert_eq!(t.commit, vec![(tp(0), 1), (tp(1), 1)]);
        e.on_commit(&t.commit, Ok(()));
        for o in 1..3 {
            let (lane, w) = lanes.pop(Duration::from_millis(10)).unwrap();
            assert_eq!(w.record.offset, o);
            lanes.done(&lane);
            done(&e, &tx, 0, o);
        }
        assert_eq!(
            e.tick().commit,
            vec![(tp(0), 3)],
            "never past a record given back"
        );
        e.on_records(vec![rec(0, 3)]);
        assert_eq!(lanes.len(), 1, "read again: taken this time");
    }

    #[test]
    fn a_partition_over_its_share_is_not_held_while_every_worker_is_busy() {
        // The sink as a whole is the bottleneck: holding back would only cost refetches.
        let (mut e, _tx, lanes) =
            engine_ordered(Limits::default(), false, OrderingMode::Partition, 8);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..8).map(|o| rec(0, o)).collect());
        assert_eq!(lanes.len(), 8);
        assert_eq!(e.counters.partition_pauses, 0);
        assert!(e.tick().rewind.is_empty());
    }
}
