//! What happened to the records: outcomes counted into the run's counters and the
//! per-partition summaries, errors noted, records in flight tracked, and the offsets that
//! are safe to commit.

use super::{Engine, Part};
use crate::drain::workers::{Completion, Outcome, Slot, Work};
use crate::kafka::TopicPartition;
use crate::report::drain::{PartitionSummary, StopReason};

impl Engine {
    /// Per partition, sorted; only partitions this run committed or saw records of.
    pub fn partition_summaries(&self) -> Vec<PartitionSummary> {
        let mut out: Vec<PartitionSummary> = self
            .parts
            .iter()
            .filter(|p| p.reported)
            .map(|p| p.summary.clone())
            .collect();
        out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        out
    }

    pub fn in_flight(&self) -> usize {
        self.outstanding
    }

    /// The partition of `slot`, which from now on belongs in the summary.
    pub(super) fn part(&mut self, slot: Slot) -> &mut Part {
        let p = &mut self.parts[slot as usize];
        p.reported = true;
        p
    }

    pub(super) fn drain_completions(&mut self) {
        while let Ok(batch) = self.completions.try_recv() {
            for c in batch {
                self.complete(c);
            }
        }
    }

    /// `n` records of `slot` are no longer outstanding.
    pub(super) fn release(&mut self, slot: Slot, n: usize) {
        let p = &mut self.parts[slot as usize];
        let n = n.min(p.outstanding);
        if n > 0 && n == p.outstanding {
            self.steer.busy_parts -= 1;
        }
        p.outstanding -= n;
        self.outstanding -= n;
    }

    /// Drops queued records not yet handed to a worker; they stay uncommitted.
    pub(super) fn drop_queued(&mut self, which: impl Fn(&Work) -> bool) -> Vec<Work> {
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
            Outcome::SinkFailed { error } => {
                // Whatever stop was under way, nothing past the last commit is committed.
                let since = self.stopping.take().map_or(self.now, |(_, t)| t);
                self.stopping = Some((StopReason::SinkFailed, since));
                (false, "cannot write", Some(error))
            }
            Outcome::Interrupted => (false, "", None),
        };
        if let Some(error) = error {
            let s = &self.parts[c.slot as usize].summary;
            let msg = format!("{label} {}/{}@{}: {error}", s.topic, s.partition, c.offset);
            self.note(msg);
        }
        // A record not processed stays pending: commits stop below it.
        if counted {
            self.tracker.completed(&c.slot, c.offset);
        }
    }

    pub(super) fn note(&mut self, msg: String) {
        if self.errors.len() < 1000 {
            self.errors.push(msg);
        }
    }

    /// Offsets to commit now (sink synced first); empty with `--no-commit`.
    pub(super) fn commits(&mut self) -> Vec<(TopicPartition, i64)> {
        self.last_commit = self.now;
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
            let since = self.stopping.take().map_or(self.now, |(_, t)| t);
            self.stopping = Some((StopReason::SinkFailed, since));
            return vec![];
        }
        let mut out: Vec<(TopicPartition, i64)> = due
            .into_iter()
            .map(|(s, o)| (self.parts[s as usize].tp(), o))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::drain::engine::Limits;
    use crate::kafka::consumer::Driver;

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
        let t = e.tick(e.now);
        assert!(t.commit.iter().all(|(_, o)| *o <= 10), "{:?}", t.commit);
        done(&e, &tx, 0, 10);
        let t = e.tick(e.now);
        assert_eq!(t.commit, vec![(tp(0), 12)]);
        e.on_commit(&t.commit, Ok(()));
        done(&e, &tx, 0, 12);
        assert_eq!(e.tick(e.now).commit, vec![(tp(0), 14)]);
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
        let mut t = e.tick(e.now);
        for _ in 0..100 {
            if t.stop {
                break;
            }
            t = e.tick(e.now);
        }
        assert!(t.stop);
        assert_eq!(e.stop_reason, StopReason::Failed);
        assert_eq!(
            t.commit,
            vec![(tp(0), 1)],
            "offset 1 failed: commit stops below it"
        );
    }
}
