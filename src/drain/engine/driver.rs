//! The poll loop's calls into the engine ([`Driver`]): records taken or left, partitions
//! assigned and revoked, commit results, and the tick that turns the other files' rules
//! into what the poll loop does next.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::shares::Share;
use super::Engine;
use crate::drain::lanes::Lane;
use crate::drain::workers::{lane_of, Slot, Work};
use crate::kafka::consumer::{CommitError, Driver, Record, Tick};
use crate::kafka::TopicPartition;
use crate::report::drain::StopReason;

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
        if self.cfg.limits.excludes(p.limit, &r) {
            p.finished = true;
            return None;
        }
        if self.cfg.limits.max_reached(self.received) {
            return None;
        }
        if self.capped(slot, now, share) {
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
        self.steer.busy_parts += usize::from(was_idle);
        self.outstanding += 1;
        self.tracker.received(&slot, r.offset);
        let lane = lane_of(slot, &r, self.cfg.ordering);
        Some((lane, Work { slot, record: r }))
    }
}

impl Driver for Engine {
    fn on_records(&mut self, records: Vec<Record>, now: Instant) {
        self.now = now;
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
        // Let what workers hold finish, bounded, draining completions meanwhile: a real
        // wait, so on the real clock.
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
                self.elsewhere.done.insert(tp.clone());
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

    fn tick(&mut self, now: Instant) -> Tick {
        self.now = now;
        self.drain_completions();
        self.check_limits(now);
        if let Some((reason, since)) = self.stopping.clone() {
            return self.stopping_tick(reason, since);
        }
        let mut tick = Tick::default();
        self.backpressure(now, &mut tick);
        if now.duration_since(self.last_commit) >= self.cfg.commit_interval {
            tick.commit = self.commits();
        }
        self.ask_elsewhere(now, &mut tick);
        tick
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::drain::engine::Limits;

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
    fn inline_sink_completes_on_arrival_up_to_the_limit() {
        let limits = Limits {
            until: Some(stops(&[(0, 3), (1, 1)])),
            ..Default::default()
        };
        let (mut e, _tx, lanes) = engine_with(limits, true);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..5).map(|o| rec(0, o)).collect(), e.now);
        assert_eq!(lanes.len(), 0, "nothing goes to workers");
        assert_eq!(e.in_flight(), 0);
        assert!(!e.tick(e.now).stop, "partition 1 is not drained yet");
        e.on_records(vec![rec(1, 0)], e.now);
        let t = e.tick(e.now);
        let t = if t.stop { t } else { e.tick(e.now) };
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
}
