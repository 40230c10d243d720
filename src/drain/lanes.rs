//! The work queue between the poll loop and the workers, which keeps per-lane order.
//!
//! Records of one partition (or one key) must reach the sink in offset order, yet a single
//! FIFO with many workers would reorder them. Each lane therefore hands out one item at a
//! time: the next only after the worker calls `done` for the previous one. Items without a
//! lane go to any worker. Among the items that may go, the oldest goes first, since the
//! oldest pending record is what holds each partition's commit back. The poll loop bounds
//! the queue through `len` (it pauses fetching rather than blocking in `push`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Which items must be handed out one at a time, in push order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lane {
    /// A partition (by the engine's slot number): offset order within the partition.
    Partition(u32),
    /// A partition's slot and a record key: order per key, keys of a partition in parallel.
    Key(u32, Vec<u8>),
    /// Any order, any parallelism.
    None,
}

impl Lane {
    /// A number that stays the same for the lane's records (so a sink can keep the lane
    /// on one destination); `None` for unordered items.
    pub fn pin(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        match self {
            Lane::Partition(slot) => Some(u64::from(*slot)),
            Lane::Key(slot, key) => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                (slot, key).hash(&mut h);
                Some(h.finish())
            }
            Lane::None => None,
        }
    }
}

/// The queued items of one ordered lane. It exists only while it has items or one in flight.
struct Queue<T> {
    /// Items with their push sequence number.
    items: VecDeque<(u64, T)>,
    busy: bool,
}

struct State<T> {
    lanes: HashMap<Lane, Queue<T>>,
    /// Idle lanes with items, by the sequence number of their first item: popping the
    /// first entry is the oldest item that may go, in O(log lanes).
    ready: BTreeMap<u64, Lane>,
    /// `Lane::None` items, all free to go.
    free: VecDeque<(u64, T)>,
    next_seq: u64,
    queued: usize,
    closed: bool,
    /// Workers blocked in `pop`: a wake-up is a syscall, so it is skipped when none wait.
    waiters: usize,
}

impl<T> State<T> {
    fn take_ready(&mut self) -> Option<(Lane, T)> {
        let lane_head = self.ready.keys().next().copied();
        let free_head = self.free.front().map(|(seq, _)| *seq);
        let from_free = match (lane_head, free_head) {
            (None, None) => return None,
            (Some(l), Some(f)) => f < l,
            (None, Some(_)) => true,
            (Some(_), None) => false,
        };
        let taken = if from_free {
            let (_, item) = self.free.pop_front()?;
            (Lane::None, item)
        } else {
            let (_, lane) = self.ready.pop_first()?;
            let queue = self.lanes.get_mut(&lane)?;
            let (_, item) = queue.items.pop_front()?;
            queue.busy = true;
            (lane, item)
        };
        self.queued -= 1;
        Some(taken)
    }

    /// Frees `lane` after its item was finished ([`Lanes::done`]); true when its next item
    /// became ready.
    fn release(&mut self, lane: &Lane) -> bool {
        if *lane == Lane::None {
            return false;
        }
        let Some(queue) = self.lanes.get_mut(lane) else {
            return false;
        };
        if !queue.busy {
            return false;
        }
        queue.busy = false;
        match queue.items.front() {
            Some(&(seq, _)) => {
                self.ready.insert(seq, lane.clone());
                true
            }
            None => {
                self.lanes.remove(lane);
                false
            }
        }
    }

    /// After `take_ready` handed out `lane`: up to `more` further items that may go to the
    /// same worker without breaking order (the lane's next items, or free items).
    fn take_more(&mut self, lane: &Lane, more: usize, out: &mut Vec<T>) {
        // One lookup for the batch, not one per item.
        let from = match lane {
            Lane::None => &mut self.free,
            _ => match self.lanes.get_mut(lane) {
                Some(q) => &mut q.items,
                None => return,
            },
        };
        let n = more.min(from.len());
        out.extend(from.drain(..n).map(|(_, item)| item));
        self.queued -= n;
    }
}

/// A multi-producer, multi-consumer queue with per-lane ordering; share it in an `Arc`.
pub struct Lanes<T> {
    state: Mutex<State<T>>,
    /// Signalled when an item becomes ready, and on close.
    changed: Condvar,
}

impl<T> Default for Lanes<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Lanes<T> {
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                lanes: HashMap::new(),
                ready: BTreeMap::new(),
                free: VecDeque::new(),
                next_seq: 0,
                queued: 0,
                closed: false,
                waiters: 0,
            }),
            changed: Condvar::new(),
        }
    }

    /// The state stays consistent even if a thread panicked holding the lock (only a
    /// panicking `drain_where` filter can), so one worker's panic does not cascade.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `item` behind the earlier items of `lane`. Never blocks. Items pushed after
    /// `close` are still handed out.
    pub fn push(&self, lane: Lane, item: T) {
        self.push_all(std::iter::once((lane, item)));
    }

    /// Queues many items under one lock, waking at most one waiting worker per item that
    /// became ready: the poll loop hands over a whole fetch batch this way.
    pub fn push_all(&self, items: impl IntoIterator<Item = (Lane, T)>) {
        let mut guard = self.lock();
        let st = &mut *guard;
        let mut ready = 0;
        // Records come in runs of one partition: a run's lane is looked up once.
        let mut items = items.into_iter().peekable();
        while let Some((lane, item)) = items.next() {
            let seq = st.next_seq;
            st.next_seq += 1;
            st.queued += 1;
            if lane == Lane::None {
                st.free.push_back((seq, item));
                ready += 1;
                continue;
            }
            if !st.lanes.contains_key(&lane) {
                st.ready.insert(seq, lane.clone());
                ready += 1;
            }
            // Busy, or idle and already in `ready` under its first item: order only.
            let queue = &mut st
                .lanes
                .entry(lane.clone())
                .or_insert_with(|| Queue {
                    items: VecDeque::new(),
                    busy: false,
                })
                .items;
            queue.push_back((seq, item));
            while let Some((_, item)) = items.next_if(|(l, _)| *l == lane) {
                queue.push_back((st.next_seq, item));
                st.next_seq += 1;
                st.queued += 1;
            }
        }
        let wake = st.waiters.min(ready);
        drop(guard);
        for _ in 0..wake {
            self.changed.notify_one();
        }
    }

    /// Items queued and not yet handed out, including those waiting for a busy lane.
    pub fn len(&self) -> usize {
        self.lock().queued
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Workers blocked waiting for an item: with items queued, their lanes are all busy.
    pub fn idle_workers(&self) -> usize {
        self.lock().waiters
    }

    /// The oldest item whose lane is free, waiting up to `timeout` for one. `None` on
    /// timeout, or once closed and nothing is queued. The caller must call `done` with the
    /// returned lane when it has finished the item.
    pub fn pop(&self, timeout: Duration) -> Option<(Lane, T)> {
        self.pop_batch(timeout, 1)
            .map(|(lane, mut items)| (lane, items.remove(0)))
    }

    /// Like `pop`, but takes up to `max` items that one worker may process in a row: the
    /// lane's next items in order, or free items. One `done` covers the whole batch.
    /// Batches cut lock traffic and wake-ups when records are cheap to process.
    pub fn pop_batch(&self, timeout: Duration, max: usize) -> Option<(Lane, Vec<T>)> {
        self.pop_batch_after(None, timeout, max)
    }

    /// `done(finished)` and `pop_batch` under one lock. The lane just finished is usually
    /// the one this worker takes next, so no other worker is woken for it: on a busy
    /// ordered drain, that wake-up (and the switch to a sleeping thread) cost more than
    /// the records. Another worker is woken only when this one took something else.
    pub fn pop_batch_after(
        &self,
        finished: Option<&Lane>,
        timeout: Duration,
        max: usize,
    ) -> Option<(Lane, Vec<T>)> {
        let deadline = Instant::now().checked_add(timeout);
        let mut st = self.lock();
        let mut freed = finished.filter(|lane| st.release(lane));
        loop {
            if let Some((lane, first)) = st.take_ready() {
                if freed.is_some_and(|f| *f != lane) && st.waiters > 0 {
                    self.changed.notify_one();
                }
                let mut items = Vec::with_capacity(max.max(1));
                items.push(first);
                st.take_more(&lane, max.saturating_sub(1), &mut items);
                let taken = (lane, items);
                if st.closed && st.queued == 0 {
                    // Other workers are waiting for items that will never come.
                    self.changed.notify_all();
                }
                return Some(taken);
            }
            if st.closed && st.queued == 0 {
                return None;
            }
            // Nothing ready (so not the freed lane either): nobody else could take it.
            freed = None;
            st.waiters += 1;
            st = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        st.waiters -= 1;
                        return None;
                    }
                    self.changed
                        .wait_timeout(st, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
                None => self.changed.wait(st).unwrap_or_else(|e| e.into_inner()),
            };
            st.waiters -= 1;
        }
    }

    /// Frees `lane` after its item was finished, handing out its next item. Call it exactly
    /// once per popped item: an extra call could release a lane whose next item is in flight.
    /// A no-op for `Lane::None` and for lanes not in flight.
    pub fn done(&self, lane: &Lane) {
        let mut st = self.lock();
        if st.release(lane) && st.waiters > 0 {
            self.changed.notify_one();
        }
    }

    /// No more items are coming: once the queue is empty, `pop` returns `None` at once
    /// instead of waiting. Items still queued are handed out first.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// Removes and returns the queued items of `lane` after its first `keep`, in push
    /// order: the newest records of a partition that holds more than its share.
    pub fn split_off(&self, lane: &Lane, keep: usize) -> Vec<T> {
        let mut st = self.lock();
        let Some(queue) = st.lanes.get_mut(lane) else {
            return Vec::new();
        };
        if queue.items.len() <= keep {
            return Vec::new();
        }
        // The lane's head (its key in `ready` when idle) stays when keep > 0.
        let head = queue.items.front().map(|(seq, _)| *seq);
        let removed: Vec<T> = queue
            .items
            .split_off(keep)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        let (busy, empty) = (queue.busy, queue.items.is_empty());
        if empty && !busy {
            st.lanes.remove(lane);
            if let Some(seq) = head {
                st.ready.remove(&seq);
            }
        }
        st.queued -= removed.len();
        if st.closed && st.queued == 0 {
            self.changed.notify_all();
        }
        removed
    }

    /// Removes and returns the queued items matching `f`, in push order, e.g. the records of
    /// a revoked partition. Items already handed out are not affected. O(queued items).
    pub fn drain_where(&self, f: impl Fn(&Lane, &T) -> bool) -> Vec<T> {
        let mut st = self.lock();
        let st = &mut *st;
        let mut removed: Vec<(u64, T)> = Vec::new();

        let mut kept = VecDeque::with_capacity(st.free.len());
        for (seq, item) in st.free.drain(..) {
            if f(&Lane::None, &item) {
                removed.push((seq, item));
            } else {
                kept.push_back((seq, item));
            }
        }
        st.free = kept;

        let ready = &mut st.ready;
        st.lanes.retain(|lane, queue| {
            let head = queue.items.front().map(|(seq, _)| *seq);
            let mut kept = VecDeque::with_capacity(queue.items.len());
            for (seq, item) in queue.items.drain(..) {
                if f(lane, &item) {
                    removed.push((seq, item));
                } else {
                    kept.push_back((seq, item));
                }
            }
            queue.items = kept;
            let new_head = queue.items.front().map(|(seq, _)| *seq);
            // An idle lane is in `ready` under its first item, which may have gone.
            if !queue.busy && head != new_head {
                if let Some(seq) = head {
                    ready.remove(&seq);
                }
                if let Some(seq) = new_head {
                    ready.insert(seq, lane.clone());
                }
            }
            queue.busy || !queue.items.is_empty()
        });

        st.queued -= removed.len();
        if st.closed && st.queued == 0 {
            self.changed.notify_all();
        }
        removed.sort_unstable_by_key(|(seq, _)| *seq);
        removed.into_iter().map(|(_, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;

    const SHORT: Duration = Duration::from_millis(20);
    const LONG: Duration = Duration::from_secs(10);

    fn part(p: i32) -> Lane {
        Lane::Partition(p as u32)
    }

    fn key(p: i32, k: &str) -> Lane {
        Lane::Key(p as u32, k.as_bytes().to_vec())
    }

    fn pop_now<T>(l: &Lanes<T>) -> Option<(Lane, T)> {
        l.pop(Duration::ZERO)
    }

    #[test]
    fn a_lane_hands_out_one_item_at_a_time_in_push_order() {
        let l = Lanes::new();
        for i in 0..3 {
            l.push(part(0), i);
        }
        assert_eq!(l.len(), 3);
        assert_eq!(pop_now(&l), Some((part(0), 0)));
        assert_eq!(pop_now(&l), None, "lane busy");
        assert_eq!(l.len(), 2);
        l.done(&part(0));
        assert_eq!(pop_now(&l), Some((part(0), 1)));
        l.done(&part(0));
        assert_eq!(pop_now(&l), Some((part(0), 2)));
        l.done(&part(0));
        assert_eq!(pop_now(&l), None);
        assert!(l.is_empty());
    }

    #[test]
    fn pushing_to_a_busy_lane_waits_for_done() {
        let l = Lanes::new();
        l.push(part(0), 'a');
        assert_eq!(pop_now(&l), Some((part(0), 'a')));
        l.push(part(0), 'b');
        assert_eq!(pop_now(&l), None);
        l.done(&part(0));
        assert_eq!(pop_now(&l), Some((part(0), 'b')));
    }

    #[test]
    fn lanes_and_keys_are_independent() {
        let l = Lanes::new();
        l.push(part(0), 1);
        l.push(part(0), 2);
        l.push(part(1), 3);
        l.push(key(0, "a"), 4);
        l.push(key(0, "a"), 5);
        l.push(key(0, "b"), 6);
        let mut got: Vec<i32> = std::iter::from_fn(|| pop_now(&l).map(|(_, i)| i)).collect();
        got.sort_unstable();
        assert_eq!(got, [1, 3, 4, 6]);
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn unordered_items_go_without_done() {
        let l = Lanes::new();
        for i in 0..5 {
            l.push(Lane::None, i);
        }
        for i in 0..5 {
            assert_eq!(pop_now(&l), Some((Lane::None, i)));
        }
        assert_eq!(pop_now(&l), None);
        l.done(&Lane::None); // harmless
    }

    #[test]
    fn the_oldest_free_item_goes_first() {
        let l = Lanes::new();
        l.push(part(0), "a1");
        l.push(part(0), "a2");
        l.push(Lane::None, "n1");
        l.push(part(1), "b1");
        l.push(Lane::None, "n2");
        assert_eq!(pop_now(&l).unwrap().1, "a1");
        assert_eq!(pop_now(&l).unwrap().1, "n1");
        l.done(&part(0));
        // a2 was pushed before b1 and n2, and its lane is free again.
        assert_eq!(pop_now(&l).unwrap().1, "a2");
        assert_eq!(pop_now(&l).unwrap().1, "b1");
        assert_eq!(pop_now(&l).unwrap().1, "n2");
    }

    #[test]
    fn stray_done_calls_are_ignored() {
        let l = Lanes::new();
        l.done(&part(9));
        l.push(part(0), 1);
        l.done(&part(0)); // not handed out yet
        assert_eq!(pop_now(&l), Some((part(0), 1)));
        l.done(&part(0));
        l.done(&part(0));
        assert!(l.is_empty());
    }

    #[test]
    fn pop_times_out_when_nothing_is_free() {
        let l: Lanes<u8> = Lanes::new();
        let start = Instant::now();
        assert_eq!(l.pop(SHORT), None);
        assert!(start.elapsed() >= SHORT);
        l.push(part(0), 1);
        l.push(part(0), 2);
        pop_now(&l).unwrap();
        let start = Instant::now();
        assert_eq!(l.pop(SHORT), None);
        assert!(start.elapsed() >= SHORT);
        // A timeout too large for an Instant waits until an item comes.
        l.done(&part(0));
        assert_eq!(l.pop(Duration::MAX), Some((part(0), 2)));
    }

    #[test]
    fn pop_wakes_when_an_item_is_pushed_or_a_lane_freed() {
        let l = Arc::new(Lanes::new());
        let waiter = {
            let l = Arc::clone(&l);
            thread::spawn(move || l.pop(LONG))
        };
        thread::sleep(SHORT);
        l.push(part(0), 1);
        assert_eq!(waiter.join().unwrap(), Some((part(0), 1)));

        l.push(part(0), 2);
        let waiter = {
            let l = Arc::clone(&l);
            thread::spawn(move || l.pop(LONG))
        };
        thread::sleep(SHORT);
        let start = Instant::now();
        l.done(&part(0));
        assert_eq!(waiter.join().unwrap(), Some((part(0), 2)));
        assert!(start.elapsed() < LONG / 2);
    }

    #[test]
    fn a_finished_lane_goes_on_with_its_worker_in_order() {
        let l = Lanes::new();
        l.push(part(0), 1);
        l.push(part(0), 2);
        let (lane, first) = l.pop_batch(Duration::ZERO, 1).unwrap();
        assert_eq!(first, vec![1]);
        // Released and taken again in one step: the lane's next item, in order.
        let (lane, next) = l.pop_batch_after(Some(&lane), Duration::ZERO, 8).unwrap();
        assert_eq!((lane.clone(), next), (part(0), vec![2]));

        // An older item of another lane goes first; the freed lane stays free for others.
        l.push(part(1), 10);
        l.push(part(0), 3);
        let taken = l.pop_batch_after(Some(&lane), Duration::ZERO, 8).unwrap();
        assert_eq!(taken, (part(1), vec![10]));
        assert_eq!(pop_now(&l), Some((part(0), 3)));
    }

    #[test]
    fn close_hands_out_what_is_left_then_returns_none_at_once() {
        let l = Lanes::new();
        l.push(part(0), 1);
        l.push(part(0), 2);
        l.push(Lane::None, 3);
        l.close();
        assert_eq!(pop_now(&l).unwrap().1, 1);
        assert_eq!(pop_now(&l).unwrap().1, 3);
        // 2 waits for its lane even though the queue is closed.
        assert_eq!(l.pop(SHORT), None);
        l.done(&part(0));
        assert_eq!(l.pop(LONG).unwrap().1, 2);
        let start = Instant::now();
        assert_eq!(l.pop(LONG), None);
        assert!(start.elapsed() < LONG / 2);
        // Pushed after close: still handed out.
        l.push(Lane::None, 4);
        assert_eq!(l.pop(LONG).unwrap().1, 4);
        assert_eq!(l.pop(LONG), None);
    }

    #[test]
    fn close_wakes_every_waiter() {
        let l: Arc<Lanes<u8>> = Arc::new(Lanes::new());
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let l = Arc::clone(&l);
                thread::spawn(move || l.pop(LONG))
            })
            .collect();
        thread::sleep(SHORT);
        let start = Instant::now();
        l.close();
        for w in waiters {
            assert_eq!(w.join().unwrap(), None);
        }
        assert!(start.elapsed() < LONG / 2);
    }

    #[test]
    fn waiters_stop_when_the_last_item_of_a_closed_queue_is_taken() {
        let l = Arc::new(Lanes::new());
        l.push(part(0), 1);
        l.push(part(0), 2);
        l.close();
        assert_eq!(pop_now(&l).unwrap().1, 1);
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let l = Arc::clone(&l);
                thread::spawn(move || l.pop(LONG).map(|(_, i)| i))
            })
            .collect();
        thread::sleep(SHORT);
        let start = Instant::now();
        l.done(&part(0));
        let mut got: Vec<_> = waiters.into_iter().map(|w| w.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [None, None, Some(2)]);
        assert!(start.elapsed() < LONG / 2);
    }

    #[test]
    fn drain_where_removes_matching_items_in_push_order() {
        let l = Lanes::new();
        l.push(part(0), "p0-a");
        l.push(part(1), "p1-a");
        l.push(key(0, "k"), "k0-a");
        l.push(Lane::None, "n-a");
        l.push(part(0), "p0-b");
        l.push(part(1), "p1-b");
        l.push(Lane::None, "n-b");
        // p1-a is in flight when partition 1 is revoked.
        assert_eq!(pop_now(&l).unwrap().1, "p0-a");
        assert_eq!(pop_now(&l).unwrap().1, "p1-a");
        let in_p1 = |lane: &Lane| matches!(lane, Lane::Partition(1) | Lane::Key(1, _));
        assert_eq!(l.drain_where(|lane, _| in_p1(lane)), ["p1-b"]);
        assert_eq!(l.len(), 4);
        let revoked_by_item = l.drain_where(|_, item| item.starts_with("k0") || *item == "n-b");
        assert_eq!(revoked_by_item, ["k0-a", "n-b"]);
        assert_eq!(l.len(), 2);
        l.done(&part(1));
        assert_eq!(pop_now(&l).unwrap().1, "n-a");
        assert_eq!(pop_now(&l), None, "p0-b waits for p0-a");
        l.done(&part(0));
        assert_eq!(pop_now(&l).unwrap().1, "p0-b");
        assert!(l.is_empty());
        assert!(l.drain_where(|_, _| true).is_empty());
    }

    #[test]
    fn drain_where_moves_an_idle_lane_to_its_next_item() {
        let l = Lanes::new();
        l.push(part(0), 1);
        l.push(part(1), 2);
        l.push(part(0), 3);
        assert_eq!(l.drain_where(|_, i| *i == 1), [1]);
        // Partition 0's next item is now 3, behind 2.
        assert_eq!(pop_now(&l).unwrap().1, 2);
        assert_eq!(pop_now(&l).unwrap().1, 3);
    }

    #[test]
    fn drain_where_ends_a_closed_queue() {
        let l = Arc::new(Lanes::new());
        l.push(part(0), 1);
        l.push(part(0), 2);
        pop_now(&l).unwrap();
        l.close();
        let waiter = {
            let l = Arc::clone(&l);
            thread::spawn(move || l.pop(LONG))
        };
        thread::sleep(SHORT);
        let start = Instant::now();
        assert_eq!(l.drain_where(|_, _| true), [2]);
        assert_eq!(waiter.join().unwrap(), None);
        assert!(start.elapsed() < LONG / 2);
    }

    #[test]
    fn unordered_items_run_in_parallel() {
        let workers = 4;
        let l = Arc::new(Lanes::new());
        for i in 0..workers {
            l.push(Lane::None, i);
        }
        let running = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (l, running) = (Arc::clone(&l), Arc::clone(&running));
                thread::spawn(move || {
                    let (lane, _) = l.pop(LONG).unwrap();
                    running.fetch_add(1, Ordering::SeqCst);
                    // Hold the item until every worker holds one, or give up.
                    let start = Instant::now();
                    while running.load(Ordering::SeqCst) < workers && start.elapsed() < LONG {
                        thread::yield_now();
                    }
                    l.done(&lane);
                    running.load(Ordering::SeqCst)
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), workers);
        }
    }

    use crate::drain::test_rng::Rng;

    /// (lane number, or None for `Lane::None`; sequence within the lane)
    type Item = (Option<usize>, usize);

    fn lane_of(n: usize) -> Lane {
        if n % 2 == 0 {
            part(n as i32)
        } else {
            key(0, &n.to_string())
        }
    }

    #[test]
    fn threads_keep_lane_order_and_exclusivity() {
        const LANES: usize = 24;
        const ITEMS: usize = 20_000;
        const WORKERS: usize = 8;
        let l: Arc<Lanes<Item>> = Arc::new(Lanes::new());
        let in_flight: Arc<Vec<AtomicUsize>> =
            Arc::new((0..LANES).map(|_| AtomicUsize::new(0)).collect());
        let next: Arc<Vec<AtomicUsize>> =
            Arc::new((0..LANES).map(|_| AtomicUsize::new(0)).collect());
        let unordered = Arc::new(AtomicUsize::new(0));
        let violation = Arc::new(AtomicBool::new(false));

        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (l, in_flight, next) =
                    (Arc::clone(&l), Arc::clone(&in_flight), Arc::clone(&next));
                let (unordered, violation) = (Arc::clone(&unordered), Arc::clone(&violation));
                thread::spawn(move || {
                    let mut rng = Rng(w as u64);
                    let mut handled = 0usize;
                    while let Some((lane, (n, seq))) = l.pop(LONG) {
                        handled += 1;
                        match n {
                            None => {
                                assert_eq!(lane, Lane::None);
                                unordered.fetch_add(1, Ordering::SeqCst);
                            }
                            Some(n) => {
                                assert_eq!(lane, lane_of(n));
                                if in_flight[n].fetch_add(1, Ordering::SeqCst) != 0 {
                                    violation.store(true, Ordering::SeqCst);
                                }
                                if next[n].load(Ordering::SeqCst) != seq {
                                    violation.store(true, Ordering::SeqCst);
                                }
                                next[n].store(seq + 1, Ordering::SeqCst);
                                if rng.below(16) == 0 {
                                    thread::sleep(Duration::from_micros(50));
                                } else {
                                    thread::yield_now();
                                }
                                in_flight[n].fetch_sub(1, Ordering::SeqCst);
                            }
                        }
                        l.done(&lane);
                    }
                    handled
                })
            })
            .collect();

        let mut rng = Rng(99);
        let mut pushed = [0usize; LANES];
        let mut pushed_unordered = 0;
        for _ in 0..ITEMS {
            if rng.below(5) == 0 {
                l.push(Lane::None, (None, pushed_unordered));
                pushed_unordered += 1;
            } else {
                let n = rng.below(LANES);
                l.push(lane_of(n), (Some(n), pushed[n]));
                pushed[n] += 1;
            }
            if rng.below(500) == 0 {
                thread::sleep(Duration::from_micros(200));
            }
        }
        l.close();
        let handled: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();

        assert!(
            !violation.load(Ordering::SeqCst),
            "two items of a lane at once, or reordered"
        );
        assert_eq!(handled, ITEMS);
        assert_eq!(unordered.load(Ordering::SeqCst), pushed_unordered);
        for n in 0..LANES {
            assert_eq!(next[n].load(Ordering::SeqCst), pushed[n], "lane {n}");
        }
        assert!(l.is_empty());
    }

    /// One lane's bookkeeping in the reference model.
    #[derive(Default, Clone)]
    struct ModelLane {
        queued: VecDeque<(u64, u32)>,
        busy: bool,
    }

    #[test]
    fn random_operations_match_a_reference_model() {
        for seed in 0..300 {
            let mut rng = Rng(seed);
            let l: Lanes<u32> = Lanes::new();
            // Lane 0 is `Lane::None`.
            let lanes = 1 + rng.below(6);
            let lane = |n: usize| if n == 0 { Lane::None } else { part(n as i32) };
            let mut model = vec![ModelLane::default(); lanes];
            let mut in_hand: Vec<usize> = Vec::new();
            let (mut seq, mut value) = (0u64, 0u32);
            for _ in 0..300 {
                match rng.below(10) {
                    0..=3 => {
                        let n = rng.below(lanes);
                        l.push(lane(n), value);
                        model[n].queued.push_back((seq, value));
                        seq += 1;
                        value += 1;
                    }
                    4..=6 => {
                        // The oldest item among lanes that are free.
                        let expected = (0..lanes)
                            .filter(|&n| n == 0 || !model[n].busy)
                            .filter_map(|n| model[n].queued.front().map(|&(s, v)| (s, v, n)))
                            .min();
                        let got = pop_now(&l);
                        match expected {
                            None => assert_eq!(got, None, "seed {seed}"),
                            Some((_, v, n)) => {
                                assert_eq!(got, Some((lane(n), v)), "seed {seed}");
                                model[n].queued.pop_front();
                                if n != 0 {
                                    model[n].busy = true;
                                }
                                in_hand.push(n);
                            }
                        }
                    }
                    7 | 8 if !in_hand.is_empty() => {
                        let n = in_hand.swap_remove(rng.below(in_hand.len()));
                        model[n].busy = false;
                        l.done(&lane(n));
                    }
                    _ => {
                        let m = 1 + rng.below(4) as u32;
                        let victim = rng.below(lanes);
                        let f = |ln: &Lane, v: &u32| *ln == lane(victim) || v % m == 0;
                        let mut expected: Vec<(u64, u32)> = Vec::new();
                        for (n, ml) in model.iter_mut().enumerate() {
                            let (gone, kept): (VecDeque<_>, VecDeque<_>) =
                                ml.queued.drain(..).partition(|&(_, v)| f(&lane(n), &v));
                            expected.extend(gone);
                            ml.queued = kept;
                        }
                        expected.sort_unstable();
                        let expected: Vec<u32> = expected.into_iter().map(|(_, v)| v).collect();
                        assert_eq!(l.drain_where(f), expected, "seed {seed}");
                    }
                }
                let queued: usize = model.iter().map(|m| m.queued.len()).sum();
                assert_eq!(l.len(), queued, "seed {seed}");
            }
        }
    }

    #[test]
    fn split_off_keeps_a_lanes_oldest_items() {
        let l = Lanes::new();
        for i in 0..5 {
            l.push(part(0), i);
        }
        l.push(part(1), 10);
        assert_eq!(l.split_off(&part(0), 2), vec![2, 3, 4]);
        assert_eq!(l.len(), 3);
        assert!(l.split_off(&part(0), 2).is_empty());
        assert_eq!(l.split_off(&part(1), 0), vec![10]);
        let (lane, first) = pop_now(&l).unwrap();
        assert_eq!((lane.clone(), first), (part(0), 0));
        l.done(&lane);
        assert_eq!(pop_now(&l).map(|(_, i)| i), Some(1));
        assert!(pop_now(&l).is_none(), "lane 0 in flight, lane 1 emptied");
    }
}
