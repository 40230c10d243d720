//! Backpressure and partition steering: the whole assignment is paused while the queue
//! stays full, and with `--ordering partition` no partition may crowd the others out of
//! the queue (its share), or it gives records back and is read again later.

use std::time::{Duration, Instant};

use super::Engine;
use crate::drain::flow::FlowChange;
use crate::drain::lanes::Lane;
use crate::drain::workers::{OrderingMode, Slot};
use crate::kafka::consumer::Tick;

/// How long the queue must stay full before the partitions are paused.
pub(super) const PAUSE_AFTER: Duration = Duration::from_millis(100);

/// With `--ordering partition`: how many records one partition may hold in the queue and
/// in work, and how many partitions it takes to keep every worker busy.
pub(super) struct Share {
    records: usize,
    lanes: usize,
}

/// Steering's state between ticks.
#[derive(Debug, Default)]
pub(super) struct Steering {
    /// Partitions with records outstanding.
    pub(super) busy_parts: usize,
    /// Since when workers wait while the queue is half full (see `balance`).
    starved_since: Option<Instant>,
    /// Until when partitions take no more than their share (see `balance`).
    capped_until: Option<Instant>,
    /// Since when the queue reached its high-water mark without falling to the low one.
    full_since: Option<Instant>,
}

impl Engine {
    pub fn is_paused(&self) -> bool {
        self.flow.is_paused()
    }

    /// With `--ordering partition`, the most records one partition may have queued or in
    /// work: librdkafka hands over a partition's fetch as one long run, which would
    /// otherwise fill the queue with one partition and leave all workers but one idle.
    pub(super) fn share(&self) -> Share {
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

    /// While capped (see `balance`), whether `slot` already has its share.
    pub(super) fn capped(&self, slot: Slot, now: Instant, share: &Share) -> bool {
        self.steer.capped_until.is_some_and(|t| now < t)
            && self.parts[slot as usize].outstanding >= share.records
            && self.steer.busy_parts < share.lanes
    }

    /// The tick's pauses, resumes and rewinds, and its room for records.
    ///
    /// Two levels of backpressure. A full queue first only holds intake (the poll loop
    /// skips taking records, librdkafka's bounded prefetch waits); only when it stays full
    /// for PAUSE_AFTER are the partitions paused, which keeps the poll loop polling for as
    /// long as the sink is slow but drops prefetched data, so it is kept for sustained
    /// pressure rather than every burst. A partition crowding out the others gives records
    /// back first: that relieves the queue without pausing everything (a full pause stops
    /// fetching for up to 1 s).
    pub(super) fn backpressure(&mut self, now: Instant, tick: &mut Tick) {
        self.balance(self.lanes.len(), now);
        let queued = self.lanes.len();
        if queued >= self.flow.high() {
            self.steer.full_since.get_or_insert(now);
        } else if queued <= self.flow.low() {
            self.steer.full_since = None;
        }
        let sustained = self
            .steer
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
        self.steer_partitions(tick);
        tick.room = self.flow.high().saturating_sub(queued);
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
            && self.steer.busy_parts < share.lanes
            && self.lanes.idle_workers() > 0;
        if !starving {
            self.steer.starved_since = None;
            return;
        }
        let since = *self.steer.starved_since.get_or_insert(now);
        if now.duration_since(since) < PAUSE_AFTER {
            return;
        }
        self.steer.starved_since = Some(now);
        self.steer.capped_until = Some(now + PAUSE_AFTER);
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
    pub(super) fn hold(&mut self, slot: Slot, offset: i64) {
        let p = &mut self.parts[slot as usize];
        p.held = Some(offset);
        p.rewind_due = true;
        p.position = Some(offset);
        self.counters.partition_pauses += 1;
    }

    pub(super) fn pause_all(&mut self, tick: &mut Tick) {
        for p in self.parts.iter_mut().filter(|p| p.assigned && !p.paused) {
            p.paused = true;
            tick.pause.push(p.tp());
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
                        tick.pause.push(p.tp());
                    }
                    if p.rewind_due {
                        tick.rewind.push((p.tp(), offset));
                    }
                }
                None if p.paused != all_paused => {
                    p.paused = all_paused;
                    let to = if all_paused {
                        &mut tick.pause
                    } else {
                        &mut tick.resume
                    };
                    to.push(p.tp());
                }
                None => {}
            }
        }
        tick.all_paused = all_paused;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::testing::*;
    use super::*;
    use crate::drain::engine::Limits;
    use crate::drain::lanes::Lanes;
    use crate::drain::workers::Work;
    use crate::kafka::consumer::Driver;

    #[test]
    fn pauses_at_high_water_and_resumes_at_low_water() {
        let (mut e, tx, lanes) = engine(Limits::default());
        e.on_assign(&[(tp(0), None)]);
        for o in 0..4 {
            e.on_record(rec(0, o));
        }
        let first = e.tick(e.now);
        assert!(
            first.pause.is_empty() && first.room == 0,
            "a full queue first holds intake"
        );
        let later = after(&e, PAUSE_AFTER);
        assert!(
            e.tick(later).pause == vec![tp(0)],
            "sustained pressure pauses"
        );
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
            e.tick(e.now).resume,
            vec![tp(0), tp(1)],
            "resumed with the partition that started paused"
        );
        assert_eq!(e.counters.pauses, 1);
    }

    /// A worker blocked in `pop` (taking the first record that may go); join it to get it.
    fn worker(lanes: &Arc<Lanes<Work>>) -> std::thread::JoinHandle<Option<(Lane, Work)>> {
        let before = lanes.idle_workers();
        let l = Arc::clone(lanes);
        let h = std::thread::spawn(move || l.pop(Duration::from_secs(10)));
        while lanes.idle_workers() == before && !h.is_finished() {
            std::thread::yield_now();
        }
        h
    }

    #[test]
    fn a_partition_starving_the_workers_gives_records_back_and_is_read_again() {
        // 8 queued at most, 2 partitions, 4 workers: a share of 4 each, released at 2.
        let (mut e, tx, lanes) =
            engine_ordered(Limits::default(), false, OrderingMode::Partition, 8);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..7).map(|o| rec(0, o)).collect(), e.now);
        let first = worker(&lanes).join().unwrap().unwrap();
        assert_eq!(first.1.record.offset, 0);
        // A second worker waits: partition 0's lane is busy and nothing else is queued.
        let idle = worker(&lanes);
        assert!(e.tick(e.now).rewind.is_empty(), "starving only just began");
        let t = e.tick(after(&e, PAUSE_AFTER));
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
            e.tick(e.now).rewind,
            vec![(tp(0), 3)],
            "a failed rewind is asked again"
        );
        e.on_rewound(&tp(0), true);
        // Stale records of a held partition are not taken; other partitions' are.
        e.on_records(vec![rec(0, 3), rec(1, 0)], e.now);
        let (lane, w) = idle.join().unwrap().unwrap();
        assert_eq!((w.record.partition, w.record.offset), (1, 0));
        lanes.done(&lane);
        lanes.done(&first.0);
        done(&e, &tx, 1, 0);
        done(&e, &tx, 0, 0);
        let t = e.tick(e.now);
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
            e.tick(e.now).commit,
            vec![(tp(0), 3)],
            "never past a record given back"
        );
        e.on_records(vec![rec(0, 3)], e.now);
        assert_eq!(lanes.len(), 1, "read again: taken this time");
    }

    #[test]
    fn a_partition_over_its_share_is_not_held_while_every_worker_is_busy() {
        // The sink as a whole is the bottleneck: holding back would only cost refetches.
        let (mut e, _tx, lanes) =
            engine_ordered(Limits::default(), false, OrderingMode::Partition, 8);
        e.on_assign(&[(tp(0), Some(0)), (tp(1), Some(0))]);
        e.on_records((0..8).map(|o| rec(0, o)).collect(), e.now);
        assert_eq!(lanes.len(), 8);
        assert_eq!(e.counters.partition_pauses, 0);
        assert!(e.tick(e.now).rewind.is_empty());
    }
}
