//! When the drain stops and how: the `--until`, `--max-records` and `--idle` limits, the
//! partitions held elsewhere that a drain to the end waits for, and the stop itself
//! (intake held, in-flight work finished or dropped, a last commit).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Engine;
use crate::kafka::consumer::{Record, Tick};
use crate::kafka::TopicPartition;
use crate::report::drain::StopReason;

/// When the drain stops.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    /// Where each partition stops (`--until`); `None` runs on.
    pub until: Option<Stops>,
    pub max_records: Option<u64>,
    pub idle: Option<Duration>,
    /// Where a partition without a commit starts (log start or end, per `--from`), so
    /// an empty partition counts as having reached its limit.
    pub default_start: HashMap<TopicPartition, i64>,
}

/// Where each partition stops, as the plan (`drain::plan`) worked it out from `--until`.
#[derive(Debug, Clone, Default)]
pub struct Stops {
    /// The partitions with a stop of their own: the first offset not to process.
    offsets: HashMap<TopicPartition, i64>,
    /// `--until time:`: records with a timestamp at or after this (ms) are not processed
    /// either, wherever they sit (timestamps need not grow with offsets).
    time_ms: Option<i64>,
}

impl Stops {
    pub fn new(offsets: HashMap<TopicPartition, i64>, time_ms: Option<i64>) -> Stops {
        Stops { offsets, time_ms }
    }

    /// The first offset of `tp` not to process. A partition not named stops where it is:
    /// no offset is below 0 (`--until offset:` that names other partitions, a partition
    /// created after the plan).
    pub fn of(&self, tp: &TopicPartition) -> i64 {
        self.offsets.get(tp).copied().unwrap_or(0)
    }

    /// The partitions with a stop of their own, and where.
    fn named(&self) -> impl Iterator<Item = (&TopicPartition, &i64)> {
        self.offsets.iter()
    }
}

/// What is known of the partitions other drains of the group hold.
#[derive(Debug, Default)]
pub(super) struct Elsewhere {
    /// Not assigned here, and the group commit is at their limit.
    pub(super) done: HashSet<TopicPartition>,
    last_check: Option<Instant>,
}

impl Limits {
    /// Whether `r` is at or past where its partition stops (`limit`, its offset limit).
    pub(super) fn excludes(&self, limit: Option<i64>, r: &Record) -> bool {
        limit.is_some_and(|limit| r.offset >= limit)
            || self
                .until
                .as_ref()
                .and_then(|u| u.time_ms)
                .zip(r.timestamp)
                .is_some_and(|(limit, ts)| ts >= limit)
    }

    /// `--max-records` taken.
    pub(super) fn max_reached(&self, received: u64) -> bool {
        self.max_records.is_some_and(|max| received >= max)
    }
}

impl Engine {
    /// Records left before every assigned partition reaches its `--until` offset.
    pub fn remaining(&self) -> Option<u64> {
        self.cfg.limits.until.as_ref()?;
        let mut left = 0u64;
        for p in self.parts.iter().filter(|p| p.assigned) {
            let limit = p.limit?;
            let at = p.position.or(p.default_start)?;
            left += (limit - at).max(0) as u64 + p.outstanding as u64;
        }
        Some(left)
    }

    pub(super) fn stop_reason_is(&self, reason: StopReason) -> bool {
        self.stopping.as_ref().is_some_and(|(r, _)| *r == reason)
    }

    pub(super) fn stop(&mut self, reason: StopReason) {
        if self.stopping.is_none() {
            self.stopping = Some((reason, self.now));
        }
    }

    /// Starts a stop on a signal, or when a limit is reached.
    pub(super) fn check_limits(&mut self, now: Instant) {
        if self.signals.load(Ordering::Relaxed) > 0 {
            self.stop(StopReason::Interrupted);
        }
        if self.stopping.is_some() {
            return;
        }
        let quiet = self.outstanding == 0;
        if self.cfg.limits.max_reached(self.received) && quiet {
            self.stop(StopReason::MaxRecords);
        } else if self.all_limits_reached() {
            self.stop(StopReason::Done);
        } else if self
            .cfg
            .limits
            .idle
            .is_some_and(|d| now.duration_since(self.last_activity) >= d)
            && quiet
        {
            self.stop(StopReason::Idle);
        }
    }

    /// A tick of the stop under way: intake held, in-flight work waited for (bounded),
    /// then a last commit and `stop`.
    pub(super) fn stopping_tick(&mut self, reason: StopReason, since: Instant) -> Tick {
        // Only an interruption or a failure abandons queued work.
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
            && self.now.duration_since(since) < self.cfg.shutdown_timeout
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
        tick
    }

    /// Our share is drained but the topic is not: asks the group (at most once a second)
    /// where the rest stands.
    pub(super) fn ask_elsewhere(&mut self, now: Instant, tick: &mut Tick) {
        let Some(others) = self.partitions_short_of_limit().filter(|o| !o.is_empty()) else {
            return;
        };
        if self
            .elsewhere
            .last_check
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            self.elsewhere.last_check = Some(now);
            tick.ask_committed = others;
        }
    }

    pub(super) fn limit_of(&self, tp: &TopicPartition) -> Option<i64> {
        self.cfg.limits.until.as_ref().map(|u| u.of(tp))
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
        let stops = self.cfg.limits.until.as_ref()?;
        // Every part has its limit (`limit_of`) once there are stops.
        let own_done = self.parts.iter().filter(|p| p.assigned).all(|p| {
            let reached = p
                .limit
                .is_none_or(|limit| p.position.or(p.default_start).is_some_and(|at| at >= limit));
            (p.finished || reached) && p.outstanding == 0
        });
        if !own_done {
            return None;
        }
        let mut others: Vec<TopicPartition> = stops
            .named()
            .filter(|(tp, limit)| {
                let nothing_to_do = self
                    .cfg
                    .limits
                    .default_start
                    .get(*tp)
                    .is_some_and(|s| s >= *limit);
                !self.is_assigned(tp) && !nothing_to_do && !self.elsewhere.done.contains(*tp)
            })
            .map(|(tp, _)| tp.clone())
            .collect();
        others.sort();
        Some(others)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::kafka::consumer::Driver;

    #[test]
    fn until_end_waits_for_partitions_held_elsewhere() {
        let limits = Limits {
            until: Some(stops(&[(0, 1), (1, 5), (2, 3)])),
            default_start: [(tp(0), 0), (tp(1), 0), (tp(2), 3)].into_iter().collect(),
            ..Default::default()
        };
        let (mut e, tx, _lanes) = engine(limits);
        e.on_assign(&[(tp(0), Some(0))]);
        e.on_record(rec(0, 0));
        done(&e, &tx, 0, 0);
        let t = e.tick(e.now);
        assert!(!t.stop, "partition 1 is held elsewhere and not drained");
        assert_eq!(
            t.ask_committed,
            vec![tp(1)],
            "partition 2 is empty: nothing to ask"
        );
        e.on_committed(&[(tp(1), Some(4))]);
        assert!(!e.tick(e.now).stop);
        e.on_committed(&[(tp(1), Some(5))]);
        let t = e.tick(e.now);
        let t = if t.stop { t } else { e.tick(e.now) };
        assert!(t.stop);
        assert_eq!(e.stop_reason, StopReason::Done);
    }

    #[test]
    fn until_end_stops_when_every_partition_is_at_its_limit() {
        let limits = Limits {
            until: Some(stops(&[(0, 2), (1, 0)])),
            default_start: [(tp(1), 0)].into_iter().collect(),
            ..Default::default()
        };
        let (mut e, tx, _lanes) = engine(limits);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), None)]);
        e.on_record(rec(0, 0));
        e.on_record(rec(0, 1));
        e.on_record(rec(0, 2)); // at the limit: not processed
        assert!(!e.tick(e.now).stop);
        done(&e, &tx, 0, 0);
        done(&e, &tx, 0, 1);
        let t = e.tick(e.now);
        let t = if t.stop { t } else { e.tick(e.now) };
        assert!(t.stop, "partition 0 reached 2, partition 1 is empty");
        assert_eq!(e.stop_reason, StopReason::Done);
        assert_eq!(t.commit, vec![(tp(0), 2)]);
        assert_eq!(e.counters.processed, 2);
    }
}
