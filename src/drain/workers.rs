//! The worker pool: takes records from the lanes, writes them to the sink with retries,
//! and reports each outcome to the poll loop. Workers never touch Kafka; what they
//! report is all the engine knows, so a record is committed only after `Done`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::backoff::{Backoff, Jitter};
use super::lanes::{Lane, Lanes};
use super::rate::TokenBucket;
use super::sinks::{Batching, Route, Sink, SinkError};
use crate::kafka::consumer::Record;

/// What to do with a record that still fails after its retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnFailure {
    /// Stop the drain; nothing at or after the record is committed.
    Stop,
    /// Count it as skipped and go on.
    Skip,
    /// Send it to this topic, with the error and origin in headers, and go on.
    Dlq(String),
}

/// Forwards a record to a topic (the DLQ); implemented by the Kafka producer.
pub trait Forward: Send + Sync {
    fn forward(
        &self,
        topic: &str,
        record: &Record,
        extra_headers: &[(String, String)],
    ) -> Result<(), String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done {
        attempts: u32,
    },
    Skipped {
        error: String,
    },
    DeadLettered {
        error: String,
    },
    Failed {
        error: String,
    },
    /// The sink is gone (e.g. the pipe's reader exited): the record was not processed.
    SinkClosed,
    /// The sink cannot write at all (a full disk, a failing stdout): the drain stops as a
    /// sink failure and commits nothing more.
    SinkFailed {
        error: String,
    },
    /// Not processed, so not committed, and read again by the next run: the operator's
    /// signal ended the command processing it while the drain stops, or the sink broke on
    /// an earlier record of its batch.
    Interrupted,
}

/// The engine's number for an assigned partition: the per-record paths index a vector
/// with it instead of hashing topic names.
pub type Slot = u32;

/// A record on its way to a worker, with its partition's slot.
#[derive(Debug)]
pub struct Work {
    pub slot: Slot,
    pub record: Record,
}

#[derive(Debug)]
pub struct Completion {
    pub slot: Slot,
    pub offset: i64,
    pub outcome: Outcome,
}

pub struct Pool {
    pub sink: Arc<dyn Sink>,
    pub retries: u32,
    pub backoff: Backoff,
    pub on_failure: OnFailure,
    pub dlq: Option<Arc<dyn Forward>>,
    pub rate: Option<Mutex<TokenBucket>>,
    /// Set on a second Ctrl-C: abandon retries and waits at once.
    pub abort: Arc<AtomicBool>,
    /// SIGINT/SIGTERM received so far (the drain is stopping when above zero).
    pub signals: Arc<AtomicUsize>,
    /// Set when intake has stopped and the lanes are closed: exit when they run dry.
    pub closing: Arc<AtomicBool>,
    /// How many workers share the lanes (sizes their batches).
    pub workers: usize,
    /// Set by the record that stops the drain: nothing more goes to the sink after it.
    pub halt: Halt,
}

/// The first record that stopped the drain (failed for good with `--on-failure stop`, or
/// broke the sink): once set, workers feed the sink nothing more, and the drain names it.
#[derive(Default)]
pub struct Halt {
    halted: AtomicBool,
    first: Mutex<Option<String>>,
}

impl Halt {
    fn set(&self, record: &Record, error: &str) {
        let mut first = self.first.lock().unwrap_or_else(|p| p.into_inner());
        if first.is_none() {
            *first = Some(format!(
                "{}/{}@{}: {error}",
                record.topic, record.partition, record.offset
            ));
        }
        self.halted.store(true, Ordering::SeqCst);
    }

    fn is_set(&self) -> bool {
        self.halted.load(Ordering::SeqCst)
    }

    /// The record that stopped the drain and why (`topic/partition@offset: error`).
    pub fn first(&self) -> Option<String> {
        self.first.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Most work (by recent pace) a worker takes at once.
const BATCH_WORK: Duration = Duration::from_millis(1);

impl Pool {
    pub fn spawn(
        self: &Arc<Self>,
        n: usize,
        lanes: Arc<Lanes<Work>>,
        done: Sender<Vec<Completion>>,
    ) -> crate::error::Result<Vec<JoinHandle<()>>> {
        let mut handles = Vec::with_capacity(n);
        for i in 0..n {
            let pool = Arc::clone(self);
            let work_lanes = Arc::clone(&lanes);
            let done = done.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("kbp-worker-{i}"))
                .spawn(move || pool.work(i as u64, &work_lanes, &done));
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    // The ones started exit once the lanes close and run dry.
                    self.closing.store(true, Ordering::Relaxed);
                    lanes.close();
                    for h in handles {
                        let _ = h.join();
                    }
                    return Err(crate::error::Error::Io {
                        context: format!("starting worker thread {} of {n}", i + 1),
                        source: e,
                    });
                }
            }
        }
        Ok(handles)
    }

    fn work(&self, seed: u64, lanes: &Lanes<Work>, done: &Sender<Vec<Completion>>) {
        // Assume slow records until measured: batches grow only for fast sinks.
        let mut avg_ns = BATCH_WORK.as_nanos() as f64;
        let mut jitter =
            Jitter::new(0x9E37_79B9_7F4A_7C15 ^ (seed + 1) ^ std::process::id() as u64);
        // The lane of the last batch, released when the next is taken ([`Lanes::pop_batch_after`]).
        let mut finished: Option<Lane> = None;
        loop {
            if self.abort.load(Ordering::Relaxed) {
                if let Some(lane) = finished {
                    lanes.done(&lane);
                }
                return;
            }
            // Batches cut lock traffic for cheap records, but records a worker holds are
            // out of reach of a revoke or a Ctrl-C: so a batch is at most about BATCH_WORK
            // of work (by this worker's recent pace) and an even share of the queue.
            let by_pace = || (BATCH_WORK.as_nanos() as f64 / avg_ns.max(1.0)) as usize;
            let share = match self.sink.batching() {
                Batching::Paced(most) => (lanes.len() / self.workers.max(1))
                    .clamp(1, most.max(1))
                    .min(by_pace().max(1)),
                Batching::Trips(most) => lanes.len().clamp(1, most.max(1)).min(by_pace().max(1)),
                // A round trip per batch: take what is there, up to the sink's bound.
                Batching::Latency(most) => lanes.len().clamp(1, most.max(1)),
            };
            let popped =
                lanes.pop_batch_after(finished.take().as_ref(), Duration::from_millis(50), share);
            let Some((lane, records)) = popped else {
                if self.closing.load(Ordering::Relaxed) && lanes.is_empty() {
                    return;
                }
                continue;
            };
            // One clock read and one completion message per batch, not per record.
            let started = Instant::now();
            let n = records.len();
            let route = Route {
                worker: seed as usize,
                lane: lane.pin(),
            };
            // A pipelined sink lets the lane's next batch go once this one is sent.
            let released = std::cell::Cell::new(false);
            let outcomes = self.process_batch(route, &records, &mut jitter, || {
                lanes.done(&lane);
                released.set(true);
            });
            let per_record = started.elapsed().as_nanos() as f64 / n.max(1) as f64;
            avg_ns = 0.8 * avg_ns + 0.2 * per_record;
            let completions = records
                .iter()
                .zip(outcomes)
                .map(|(w, outcome)| Completion {
                    slot: w.slot,
                    offset: w.record.offset,
                    outcome,
                })
                .collect();
            let _ = done.send(completions);
            if !released.get() {
                finished = Some(lane);
            }
        }
    }

    /// One outcome per record of a batch. The batch goes to the sink in one call; records
    /// that fail are retried (one by one, in order) before the records the sink did not
    /// take yet, so a sink that writes one record at a time keeps its order even when one
    /// fails. A pipelined sink (the pipe) has sent the whole batch already: its failed
    /// records are retried after the others.
    ///
    /// `sent` is called once the whole batch is sent to a sink that answers later
    /// ([`Sink::send`]): until then the records' lane must not hand out more.
    fn process_batch(
        &self,
        route: Route,
        works: &[Work],
        jitter: &mut Jitter,
        sent: impl FnOnce(),
    ) -> Vec<Outcome> {
        let mut sent = Some(sent);
        let records: Vec<&Record> = works.iter().map(|w| &w.record).collect();
        let mut outcomes: Vec<Outcome> = Vec::with_capacity(records.len());
        let mut results = Vec::with_capacity(records.len());
        while outcomes.len() < records.len() {
            if self.halt.is_set() {
                // Another record stopped the drain: these were not processed.
                outcomes.resize_with(records.len(), || Outcome::Interrupted);
                break;
            }
            let from = outcomes.len();
            for _ in from..records.len() {
                self.take_token();
            }
            results.clear();
            match self.sink.send(route, &records[from..]) {
                Some(answers) => {
                    if let Some(sent) = sent.take() {
                        sent();
                    }
                    answers.wait(&mut results);
                }
                None => self.sink.write_batch(route, &records[from..], &mut results),
            }
            if results.is_empty() {
                // A sink must answer for at least one record; count the rest as not done.
                outcomes.resize_with(records.len(), || Outcome::Interrupted);
                break;
            }
            let mut failed = Vec::new();
            let mut stop = None;
            for (i, result) in results.drain(..).enumerate() {
                let at = from + i;
                outcomes.push(match result {
                    Ok(()) => Outcome::Done { attempts: 1 },
                    // Nothing more goes to a broken sink, nor to one whose reader left.
                    Err(SinkError::Fatal(error)) => {
                        self.halt.set(records[at], &error);
                        stop = Some(Outcome::Interrupted);
                        Outcome::Failed { error }
                    }
                    Err(SinkError::Broken(error)) => {
                        self.halt.set(records[at], &error);
                        stop = Some(Outcome::Interrupted);
                        Outcome::SinkFailed { error }
                    }
                    Err(SinkError::Closed) => {
                        self.halt.set(records[at], "the sink's reader is gone");
                        stop = Some(Outcome::SinkClosed);
                        Outcome::SinkClosed
                    }
                    Err(e) => match self.first_failure(e) {
                        Ok(error) => {
                            failed.push((at, error));
                            Outcome::Interrupted // until retried, below
                        }
                        Err(outcome) => outcome,
                    },
                });
            }
            if let Some(rest) = stop {
                outcomes.resize_with(records.len(), || rest.clone());
                break;
            }
            for (at, error) in failed {
                outcomes[at] = self.retry(route, records[at], error, jitter);
                if let Outcome::Failed { error } | Outcome::SinkFailed { error } = &outcomes[at] {
                    // Failed for good: the drain stops at this record, and feeds the sink
                    // nothing after it (a pipelined sink's later records were sent already).
                    // Records of `failed` after it keep `Interrupted`: never retried.
                    self.halt.set(records[at], error);
                    outcomes.resize_with(records.len(), || Outcome::Interrupted);
                    return outcomes;
                }
            }
        }
        outcomes
    }

    /// A sink error: `Ok(error)` when the record may be retried, or its final outcome.
    fn first_failure(&self, e: SinkError) -> Result<String, Outcome> {
        match e {
            SinkError::Closed => Err(Outcome::SinkClosed),
            SinkError::Failed(e) => Ok(e),
            SinkError::Interrupted(e) => {
                if self.stopping_on_signal() {
                    Err(Outcome::Interrupted)
                } else {
                    Ok(e)
                }
            }
            SinkError::Fatal(error) => Err(Outcome::Failed { error }),
            SinkError::Broken(error) => Err(Outcome::SinkFailed { error }),
            SinkError::Abandoned => Err(Outcome::Interrupted),
        }
    }

    /// Whether kbp got the signal too. Its signal thread may count it a moment after the
    /// child died of it, so a signal-ended child gets that moment.
    fn stopping_on_signal(&self) -> bool {
        let deadline = Instant::now() + Duration::from_millis(200);
        while self.signals.load(Ordering::SeqCst) == 0 {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// A record's retries after its first attempt failed with `error`, then `--on-failure`.
    fn retry(
        &self,
        route: Route,
        record: &Record,
        mut error: String,
        jitter: &mut Jitter,
    ) -> Outcome {
        let mut attempt = 0;
        let mut results = Vec::with_capacity(1);
        while attempt < self.retries && !self.abort.load(Ordering::Relaxed) {
            self.sleep(self.backoff.delay(attempt, jitter.next_unit()));
            if self.halt.is_set() {
                // The drain stopped meanwhile: this record was not processed.
                return Outcome::Interrupted;
            }
            attempt += 1;
            self.take_token();
            results.clear();
            self.sink.write_batch(route, &[record], &mut results);
            match results.pop().unwrap_or(Err(SinkError::Abandoned)) {
                Ok(()) => {
                    return Outcome::Done {
                        attempts: attempt + 1,
                    }
                }
                Err(e) => match self.first_failure(e) {
                    Ok(e) => error = e,
                    Err(outcome) => return outcome,
                },
            }
        }
        self.give_up(record, error, attempt + 1)
    }

    /// `--on-failure` for a record that failed `attempts` times.
    fn give_up(&self, record: &Record, error: String, attempts: u32) -> Outcome {
        match &self.on_failure {
            OnFailure::Stop => Outcome::Failed { error },
            OnFailure::Skip => Outcome::Skipped { error },
            OnFailure::Dlq(topic) => {
                let headers = [
                    ("kbp.error".to_string(), error.clone()),
                    ("kbp.origin.topic".to_string(), record.topic.to_string()),
                    (
                        "kbp.origin.partition".to_string(),
                        record.partition.to_string(),
                    ),
                    ("kbp.origin.offset".to_string(), record.offset.to_string()),
                    ("kbp.attempts".to_string(), attempts.to_string()),
                ];
                match self
                    .dlq
                    .as_ref()
                    .map(|d| d.forward(topic, record, &headers))
                {
                    Some(Ok(())) => Outcome::DeadLettered { error },
                    Some(Err(e)) => Outcome::Failed {
                        error: format!("{error}; and the DLQ {topic} refused it: {e}"),
                    },
                    None => Outcome::Failed { error },
                }
            }
        }
    }

    fn take_token(&self) {
        let Some(rate) = &self.rate else { return };
        loop {
            let wait = match rate
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .try_take(Instant::now())
            {
                Ok(()) => return,
                Err(wait) => wait,
            };
            self.sleep(wait);
            if self.abort.load(Ordering::Relaxed) {
                return;
            }
        }
    }

    /// Sleeps in short steps so a second Ctrl-C is honoured at once.
    fn sleep(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.abort.load(Ordering::Relaxed) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}

/// The lane of a record of partition `slot` for an ordering mode.
pub fn lane_of(slot: Slot, record: &Record, ordering: OrderingMode) -> Lane {
    match ordering {
        OrderingMode::Partition => Lane::Partition(slot),
        OrderingMode::Key => match &record.key {
            Some(k) => Lane::Key(slot, k.clone()),
            // Records without a key keep partition order among themselves.
            None => Lane::Partition(slot),
        },
        OrderingMode::Unordered => Lane::None,
    }
}

/// `--ordering`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderingMode {
    /// Records of a partition one at a time, in offset order
    Partition,
    /// Records of a key in order; different keys of a partition in parallel
    Key,
    /// Fully parallel
    Unordered,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drain::sinks::ExecSink;

    fn pool(signals: usize) -> Pool {
        Pool {
            sink: Arc::new(ExecSink::new("kill -INT $$".into())),
            retries: 0,
            backoff: Backoff::new(Duration::from_millis(1), Duration::from_millis(1)).unwrap(),
            on_failure: OnFailure::Skip,
            dlq: None,
            rate: None,
            abort: Arc::new(AtomicBool::new(false)),
            signals: Arc::new(AtomicUsize::new(signals)),
            closing: Arc::new(AtomicBool::new(false)),
            workers: 1,
            halt: Halt::default(),
        }
    }

    #[test]
    fn a_command_ended_by_the_operators_signal_is_neither_processed_nor_skipped() {
        let r = Record {
            topic: "t".into(),
            partition: 0,
            offset: 3,
            timestamp: None,
            key: None,
            value: Some(b"v".to_vec()),
            headers: vec![],
        };
        let mut jitter = Jitter::new(1);
        // kbp got the Ctrl-C too: the record was not processed, and is read again.
        let batch = [Work { slot: 0, record: r }];
        let outcome = |p: Pool, jitter: &mut Jitter| {
            p.process_batch(Route::default(), &batch, jitter, || {})
                .remove(0)
        };
        assert!(matches!(
            outcome(pool(1), &mut jitter),
            Outcome::Interrupted
        ));
        // Only the command got it: an ordinary failure, here skipped.
        assert!(matches!(
            outcome(pool(0), &mut jitter),
            Outcome::Skipped { .. }
        ));
    }
}
