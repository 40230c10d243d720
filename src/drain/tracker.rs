//! Which offset is safe to commit, per partition, while workers finish records out of order.
//!
//! The design kbp replaces remembered only the highest processed offset and committed it + 1:
//! with several workers that commits past records still in progress, and a crash then
//! loses them. Here the committable offset is the lowest offset received but not yet
//! completed (or the next offset to fetch when nothing is pending). Offsets never received
//! (compacted away, transaction markers) count as done. Pure and single-threaded: the poll
//! loop owns it and feeds it worker completions.

use std::collections::{BTreeMap, VecDeque};

/// A topic-partition, the key the tests use; the engine keys partitions by a small slot
/// number instead, so the per-record path hashes no strings.
pub type Tp = (String, i32);

#[derive(Debug)]
struct Partition {
    /// Received offsets in order, each with whether it is complete; the front is never
    /// complete, so it holds the committable offset back. Offsets arrive increasing, so
    /// this is sorted, and completions in order (the common case) touch only the front.
    pending: VecDeque<(i64, bool)>,
    last_received: i64,
    committed: Option<i64>,
}

impl Partition {
    fn committable(&self) -> i64 {
        match self.pending.front() {
            Some(&(lowest, _)) => lowest,
            None => self.last_received + 1,
        }
    }

    /// Marks `offset` complete; returns whether it was pending.
    fn complete(&mut self, offset: i64) -> bool {
        // Offsets are usually contiguous: then the place is known without a search.
        let first = self.pending.front().map_or(offset, |&(o, _)| o);
        let guess = usize::try_from(offset - first).unwrap_or(usize::MAX);
        let i = match self.pending.get(guess) {
            Some(&(o, _)) if o == offset => guess,
            _ => match self.pending.binary_search_by_key(&offset, |&(o, _)| o) {
                Ok(i) => i,
                Err(_) => return false,
            },
        };
        if std::mem::replace(&mut self.pending[i].1, true) {
            return false;
        }
        while self.pending.front().is_some_and(|&(_, done)| done) {
            self.pending.pop_front();
        }
        true
    }
}

/// Offsets in flight and committed, for every partition currently owned, keyed by `K`.
#[derive(Debug)]
pub struct OffsetTracker<K = Tp> {
    partitions: BTreeMap<K, Partition>,
    /// Records received and not completed, so the poll loop can read it every turn for free.
    in_flight: usize,
}

impl<K: Ord + Clone + std::fmt::Debug> Default for OffsetTracker<K> {
    fn default() -> Self {
        Self {
            partitions: BTreeMap::new(),
            in_flight: 0,
        }
    }
}

impl<K: Ord + Clone + std::fmt::Debug> OffsetTracker<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `offset` of `tp` was handed to a worker; the first call for `tp` starts
    /// tracking it.
    ///
    /// Offsets of one partition must arrive strictly increasing, as a consumer delivers
    /// them; after a seek, `revoke` first. Debug builds panic otherwise. Release builds
    /// ignore such an offset, because accepting it could move the committable offset back.
    pub fn received(&mut self, tp: &K, offset: i64) {
        match self.partitions.get_mut(tp) {
            Some(p) => {
                debug_assert!(
                    offset > p.last_received,
                    "offset {offset} of {tp:?} received after {}",
                    p.last_received
                );
                if offset <= p.last_received {
                    return;
                }
                p.last_received = offset;
                p.pending.push_back((offset, false));
            }
            None => {
                let p = Partition {
                    pending: VecDeque::from([(offset, false)]),
                    last_received: offset,
                    committed: None,
                };
                self.partitions.insert(tp.clone(), p);
            }
        }
        self.in_flight += 1;
    }

    /// `received` and `completed` at once, for a record processed as it arrives (the null
    /// sink): the committable offset moves past it unless earlier records are pending.
    pub fn received_done(&mut self, tp: &K, offset: i64) {
        match self.partitions.get_mut(tp) {
            Some(p) if p.pending.is_empty() && offset > p.last_received => {
                p.last_received = offset;
            }
            _ => {
                self.received(tp, offset);
                self.completed(tp, offset);
            }
        }
    }

    /// Records that a worker finished `offset`; returns whether it was pending.
    ///
    /// Completions for partitions revoked meanwhile are ignored. One that arrives after a
    /// re-assignment re-received the same offset still counts: the record was processed.
    pub fn completed(&mut self, tp: &K, offset: i64) -> bool {
        let Some(p) = self.partitions.get_mut(tp) else {
            return false;
        };
        let was_pending = p.complete(offset);
        if was_pending {
            self.in_flight -= 1;
        }
        was_pending
    }

    /// Forgets the records of `tp` from `offset` on, none of them complete: they were
    /// given back unprocessed and will be received again. Commits stay below `offset`.
    pub fn forget_from(&mut self, tp: &K, offset: i64) {
        let Some(p) = self.partitions.get_mut(tp) else {
            return;
        };
        let keep = p.pending.partition_point(|&(o, _)| o < offset);
        let dropped = p.pending.drain(keep..).filter(|(_, done)| !done).count();
        self.in_flight -= dropped;
        p.last_received = p.last_received.min(offset - 1);
    }

    /// The offset to commit for `tp` now: every received record below it is complete.
    pub fn committable(&self, tp: &K) -> Option<i64> {
        self.partitions.get(tp).map(Partition::committable)
    }

    /// Partitions whose committable offset moved past their last commit, sorted by key.
    pub fn to_commit(&self) -> Vec<(K, i64)> {
        self.partitions
            .iter()
            .filter_map(|(tp, p)| {
                let c = p.committable();
                // Never committed yet: the fetch position is worth committing (it pins a
                // group that had no commit and starts from auto.offset.reset).
                (p.committed.is_none_or(|done| c > done)).then(|| (tp.clone(), c))
            })
            .collect()
    }

    /// Remembers that `offset` was committed for `tp`. Keeps the maximum, since an explicit
    /// commit can move the group's offset backwards. Ignored for untracked partitions, so a
    /// commit that completes after `revoke` leaves no state behind.
    pub fn mark_committed(&mut self, tp: &K, offset: i64) {
        if let Some(p) = self.partitions.get_mut(tp) {
            p.committed = Some(p.committed.map_or(offset, |c| c.max(offset)));
        }
    }

    pub fn last_committed(&self, tp: &K) -> Option<i64> {
        self.partitions.get(tp).and_then(|p| p.committed)
    }

    /// Records of `tp` received but not completed.
    pub fn in_flight(&self, tp: &K) -> usize {
        self.partitions
            .get(tp)
            .map_or(0, |p| p.pending.iter().filter(|(_, done)| !done).count())
    }

    pub fn total_in_flight(&self) -> usize {
        self.in_flight
    }

    /// Stops tracking `tp` and returns its committable offset, for the caller to commit
    /// before the partition is released. Later completions of its offsets are ignored; a
    /// later `received` starts afresh. Calling it again returns `None`, so the revoke hook
    /// can run twice (librdkafka calls it once more on close).
    pub fn revoke(&mut self, tp: &K) -> Option<i64> {
        let p = self.partitions.remove(tp)?;
        self.in_flight -= p.pending.iter().filter(|(_, done)| !done).count();
        Some(p.committable())
    }

    /// Tracked partitions, sorted.
    pub fn partitions(&self) -> Vec<K> {
        self.partitions.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn tp(t: &str, p: i32) -> Tp {
        (t.to_string(), p)
    }

    use crate::drain::test_rng::Rng;

    #[test]
    fn untracked_partition_has_nothing() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        assert_eq!(t.committable(&a), None);
        assert_eq!(t.last_committed(&a), None);
        assert_eq!(t.in_flight(&a), 0);
        assert_eq!(t.total_in_flight(), 0);
        assert!(!t.completed(&a, 0));
        assert_eq!(t.revoke(&a), None);
        assert!(t.to_commit().is_empty());
        assert!(t.partitions().is_empty());
    }

    #[test]
    fn first_record_holds_the_commit_at_its_own_offset() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 100);
        assert_eq!(t.committable(&a), Some(100));
        assert_eq!(t.in_flight(&a), 1);
        assert!(t.completed(&a, 100));
        assert_eq!(t.committable(&a), Some(101));
        assert_eq!(t.in_flight(&a), 0);
    }

    #[test]
    fn records_done_on_arrival_wait_behind_pending_ones() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received_done(&a, 5);
        assert_eq!(t.committable(&a), Some(6));
        t.received(&a, 6);
        t.received_done(&a, 7);
        assert_eq!(t.committable(&a), Some(6), "7 is done but 6 is not");
        assert_eq!(t.in_flight(&a), 1);
        assert!(t.completed(&a, 6));
        assert_eq!(t.committable(&a), Some(8));
        assert_eq!(t.total_in_flight(), 0);
        t.received_done(&a, 9);
        assert_eq!(
            t.committable(&a),
            Some(10),
            "offset 8 was never received: done"
        );
    }

    #[test]
    fn forgotten_records_hold_the_commit_and_come_again() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        for o in 10..15 {
            t.received(&a, o);
        }
        assert!(t.completed(&a, 10));
        t.forget_from(&a, 12);
        assert_eq!(t.in_flight(&a), 1, "11 is still in work");
        assert_eq!(t.total_in_flight(), 1);
        assert!(t.completed(&a, 11));
        assert_eq!(t.committable(&a), Some(12), "never past a forgotten record");
        t.received(&a, 12);
        assert_eq!(t.committable(&a), Some(12));
        assert!(t.completed(&a, 12));
        assert_eq!(t.committable(&a), Some(13));
    }

    #[test]
    fn out_of_order_completion_commits_only_below_the_lowest_pending() {
        // The seed's bug: finishing 12 before 10 must not commit 13.
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        for o in 10..=12 {
            t.received(&a, o);
        }
        assert!(t.completed(&a, 12));
        assert_eq!(t.committable(&a), Some(10));
        assert!(t.completed(&a, 11));
        assert_eq!(t.committable(&a), Some(10));
        assert!(t.completed(&a, 10));
        assert_eq!(t.committable(&a), Some(13));
    }

    #[test]
    fn offsets_never_received_count_as_done() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 5);
        t.received(&a, 9); // 6..=8 compacted away or transaction markers
        t.received(&a, 20);
        assert!(t.completed(&a, 5));
        assert_eq!(t.committable(&a), Some(9));
        assert!(t.completed(&a, 20));
        assert_eq!(t.committable(&a), Some(9));
        assert!(t.completed(&a, 9));
        assert_eq!(t.committable(&a), Some(21));
    }

    #[test]
    fn completing_twice_or_unknown_offsets_is_ignored() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 1);
        t.received(&a, 2);
        assert!(t.completed(&a, 1));
        assert!(!t.completed(&a, 1));
        assert!(!t.completed(&a, 7));
        assert!(!t.completed(&a, 0));
        assert_eq!(t.total_in_flight(), 1);
        assert_eq!(t.committable(&a), Some(2));
    }

    #[test]
    fn partitions_are_independent() {
        let mut t = OffsetTracker::new();
        let (a0, a1, b0) = (tp("a", 0), tp("a", 1), tp("b", 0));
        t.received(&a0, 0);
        t.received(&a1, 0);
        t.received(&b0, 50);
        t.received(&a0, 1);
        assert!(t.completed(&a0, 1));
        assert!(t.completed(&b0, 50));
        assert_eq!(t.committable(&a0), Some(0));
        assert_eq!(t.committable(&a1), Some(0));
        assert_eq!(t.committable(&b0), Some(51));
        assert_eq!(t.in_flight(&a0), 1);
        assert_eq!(t.total_in_flight(), 2);
        assert_eq!(t.partitions(), vec![a0, a1, b0]);
    }

    #[test]
    fn to_commit_lists_only_partitions_that_advanced_sorted() {
        let mut t = OffsetTracker::new();
        let (a0, a1, b0) = (tp("a", 0), tp("a", 1), tp("b", 0));
        t.received(&b0, 7);
        t.received(&a1, 3);
        t.received(&a0, 0);
        assert_eq!(
            t.to_commit(),
            vec![(a0.clone(), 0), (a1.clone(), 3), (b0.clone(), 7)]
        );
        for (tp, o) in t.to_commit() {
            t.mark_committed(&tp, o);
        }
        assert!(t.to_commit().is_empty());
        t.completed(&a1, 3);
        assert_eq!(t.to_commit(), vec![(a1.clone(), 4)]);
        t.mark_committed(&a1, 4);
        assert_eq!(t.last_committed(&a1), Some(4));
        assert!(t.to_commit().is_empty());
    }

    #[test]
    fn mark_committed_keeps_the_maximum() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 10);
        t.mark_committed(&a, 8);
        t.mark_committed(&a, 5);
        assert_eq!(t.last_committed(&a), Some(8));
        // Committed ahead of us (another tool moved the group): nothing to commit.
        t.mark_committed(&a, 30);
        t.completed(&a, 10);
        assert_eq!(t.committable(&a), Some(11));
        assert!(t.to_commit().is_empty());
    }

    #[test]
    fn mark_committed_on_untracked_partition_leaves_no_state() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.mark_committed(&a, 5);
        assert_eq!(t.last_committed(&a), None);
        assert!(t.partitions().is_empty());
    }

    #[test]
    fn revoke_mid_flight_returns_the_safe_offset_and_forgets_the_partition() {
        let mut t = OffsetTracker::new();
        let (a, b) = (tp("a", 0), tp("b", 0));
        for o in 0..5 {
            t.received(&a, o);
        }
        t.received(&b, 0);
        t.completed(&a, 0);
        t.completed(&a, 1);
        t.completed(&a, 3);
        assert_eq!(t.revoke(&a), Some(2));
        assert_eq!(t.total_in_flight(), 1);
        assert_eq!(t.in_flight(&a), 0);
        assert_eq!(t.committable(&a), None);
        assert_eq!(t.partitions(), vec![b.clone()]);
        // Workers still finishing the revoked records.
        assert!(!t.completed(&a, 2));
        assert!(!t.completed(&a, 4));
        assert_eq!(t.committable(&a), None);
        assert_eq!(t.total_in_flight(), 1);
        // The revoke hook runs again on close.
        assert_eq!(t.revoke(&a), None);
        assert_eq!(t.to_commit(), vec![(b, 0)]);
    }

    #[test]
    fn reassignment_starts_fresh() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 40);
        t.received(&a, 41);
        t.completed(&a, 40);
        t.mark_committed(&a, 41);
        assert_eq!(t.revoke(&a), Some(41));
        // Re-assigned: fetching resumes at the commit, below the last offset received before.
        t.received(&a, 41);
        assert_eq!(t.committable(&a), Some(41));
        assert_eq!(t.last_committed(&a), None);
        assert_eq!(t.in_flight(&a), 1);
        assert_eq!(t.to_commit(), vec![(a.clone(), 41)]);
        // A completion from before the revoke for the same offset: the record was
        // processed, so counting it is still at-least-once.
        assert!(t.completed(&a, 41));
        assert_eq!(t.committable(&a), Some(42));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "received after")]
    fn going_backwards_panics_in_debug() {
        let mut t = OffsetTracker::new();
        let a = tp("a", 0);
        t.received(&a, 5);
        t.received(&a, 5);
    }

    /// The model a run is checked against: what was received and what completed.
    #[derive(Default)]
    struct Model {
        received: Vec<i64>,
        completed: HashSet<i64>,
    }

    impl Model {
        fn pending(&self) -> impl Iterator<Item = i64> + '_ {
            self.received
                .iter()
                .copied()
                .filter(|o| !self.completed.contains(o))
        }
    }

    /// Every invariant a commit must keep, checked against the model.
    fn check(t: &OffsetTracker, tp: &Tp, m: &Model, previous: i64) -> i64 {
        let c = t.committable(tp).expect("tracked");
        for o in m.pending() {
            assert!(c <= o, "committable {c} passes unprocessed {o}");
        }
        if let Some(lowest) = m.pending().min() {
            assert_eq!(c, lowest, "committable lags behind the lowest pending");
        } else {
            assert_eq!(c, m.received.last().unwrap() + 1);
        }
        assert!(
            c >= previous,
            "committable went back from {previous} to {c}"
        );
        if let Some(done) = t.last_committed(tp) {
            assert!(done <= c, "last committed {done} beyond committable {c}");
        }
        assert_eq!(t.in_flight(tp), m.pending().count());
        c
    }

    #[test]
    fn random_workers_never_commit_past_unprocessed_records() {
        for seed in 0..200 {
            let mut rng = Rng(seed);
            let parts: Vec<Tp> = (0..3).map(|p| tp("orders", p)).collect();
            let workers = 1 + rng.below(8);
            let records = 50 + rng.below(200);
            let mut t = OffsetTracker::new();
            let mut models: Vec<Model> = parts.iter().map(|_| Model::default()).collect();
            let mut next: Vec<i64> = parts.iter().map(|_| rng.below(1000) as i64).collect();
            let mut previous = vec![i64::MIN; parts.len()];
            let mut busy: Vec<(usize, i64)> = Vec::new();
            let mut handed = 0;
            while handed < records || !busy.is_empty() {
                let receive = handed < records && (busy.len() < workers && rng.below(3) > 0);
                if receive {
                    let p = rng.below(parts.len());
                    // Gaps: compaction and transaction markers.
                    next[p] += 1 + if rng.below(5) == 0 {
                        rng.below(4) as i64
                    } else {
                        0
                    };
                    t.received(&parts[p], next[p]);
                    models[p].received.push(next[p]);
                    busy.push((p, next[p]));
                    handed += 1;
                } else if !busy.is_empty() {
                    let (p, o) = busy.swap_remove(rng.below(busy.len()));
                    assert!(t.completed(&parts[p], o));
                    models[p].completed.insert(o);
                }
                if rng.below(4) == 0 {
                    for (tp, o) in t.to_commit() {
                        assert!(t.last_committed(&tp).is_none_or(|d| o > d));
                        t.mark_committed(&tp, o);
                    }
                }
                for (i, tp) in parts.iter().enumerate() {
                    if !models[i].received.is_empty() {
                        previous[i] = check(&t, tp, &models[i], previous[i]);
                    }
                }
                assert_eq!(t.total_in_flight(), busy.len());
            }
            for (tp, o) in t.to_commit() {
                t.mark_committed(&tp, o);
            }
            for (i, tp) in parts.iter().enumerate() {
                if let Some(&highest) = models[i].received.last() {
                    assert_eq!(t.last_committed(tp), Some(highest + 1), "seed {seed}");
                }
            }
            assert_eq!(t.total_in_flight(), 0);
            assert!(t.to_commit().is_empty());
        }
    }

    #[test]
    fn random_revokes_and_reassignments_resume_from_the_revoke_offset() {
        for seed in 0..200 {
            let mut rng = Rng(1_000 + seed);
            let a = tp("orders", 0);
            let mut t = OffsetTracker::new();
            let mut model = Model::default();
            let mut busy: Vec<i64> = Vec::new();
            // Workers of the previous assignment, still finishing revoked records.
            let mut stale: Vec<i64> = Vec::new();
            let mut next = 0i64; // next offset the consumer fetches
            let mut assigned = true;
            let mut committed = 0i64; // what the group holds
            let mut previous = i64::MIN;
            for _ in 0..400 {
                match rng.below(10) {
                    0..=3 if assigned => {
                        t.received(&a, next);
                        model.received.push(next);
                        busy.push(next);
                        next += 1 + rng.below(2) as i64;
                    }
                    4..=6 if !busy.is_empty() => {
                        let o = busy.swap_remove(rng.below(busy.len()));
                        assert!(t.completed(&a, o));
                        model.completed.insert(o);
                    }
                    7 if !stale.is_empty() => {
                        let o = stale.swap_remove(rng.below(stale.len()));
                        // Revoked meanwhile: ignored unless re-received since.
                        let counted = t.completed(&a, o);
                        assert_eq!(counted, busy.contains(&o));
                        if counted {
                            busy.retain(|&b| b != o);
                            model.completed.insert(o);
                        }
                    }
                    8 if assigned => {
                        let revoked = t.revoke(&a);
                        if let Some(c) = revoked {
                            assert!(c >= committed, "revoke commit went back");
                            committed = c;
                            for o in model.pending() {
                                assert!(c <= o);
                            }
                        }
                        assert_eq!(t.total_in_flight(), 0);
                        stale.append(&mut busy);
                        model = Model::default();
                        assigned = false;
                        previous = i64::MIN;
                    }
                    9 if !assigned => {
                        // Fetching restarts at the group's committed offset.
                        next = committed;
                        assigned = true;
                    }
                    _ => {
                        for (tp, o) in t.to_commit() {
                            t.mark_committed(&tp, o);
                            committed = committed.max(o);
                        }
                    }
                }
                if assigned && !model.received.is_empty() {
                    previous = check(&t, &a, &model, previous);
                }
            }
        }
    }
}
