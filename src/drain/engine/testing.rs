//! What the engine's tests share: an engine on a null sink with small queue bounds, and
//! records and completions to feed it, so each concern's tests sit next to its code.

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Engine, EngineConfig, Limits, Settings, Stops};
use crate::drain::flow::Hysteresis;
use crate::drain::lanes::Lanes;
use crate::drain::sinks::NullSink;
use crate::drain::workers::{Completion, OrderingMode, Outcome, Slot, Work};
use crate::kafka::consumer::{Driver, Record};
use crate::kafka::TopicPartition;

pub(super) type Harness = (Engine, Sender<Vec<Completion>>, Arc<Lanes<Work>>);

pub(super) fn engine(limits: Limits) -> Harness {
    engine_with(limits, false)
}

pub(super) fn engine_with(limits: Limits, inline: bool) -> Harness {
    engine_ordered(limits, inline, OrderingMode::Unordered, 4)
}

/// Queue bounds `high` and 1 (low), 4 workers.
pub(super) fn engine_ordered(
    limits: Limits,
    inline: bool,
    ordering: OrderingMode,
    high: usize,
) -> Harness {
    let lanes = Arc::new(Lanes::new());
    let (tx, rx) = channel();
    let e = Engine::new(EngineConfig {
        settings: Settings {
            ordering,
            workers: 4,
            commit_interval: Duration::ZERO,
            shutdown_timeout: Duration::from_millis(200),
            no_commit: false,
            limits,
        },
        flow: Hysteresis::new(high, 1, Duration::ZERO).unwrap(),
        lanes: Arc::clone(&lanes),
        sink: Arc::new(NullSink),
        inline,
        completions: rx,
        signals: Arc::new(AtomicUsize::new(0)),
        abort: Arc::new(AtomicBool::new(false)),
    });
    (e, tx, lanes)
}

pub(super) fn rec(p: i32, o: i64) -> Record {
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

pub(super) fn tp(p: i32) -> TopicPartition {
    TopicPartition::new("t", p)
}

pub(super) fn slot(e: &Engine, p: i32) -> Slot {
    e.slots[&tp(p)]
}

pub(super) fn done(e: &Engine, tx: &Sender<Vec<Completion>>, p: i32, o: i64) {
    tx.send(vec![Completion {
        slot: slot(e, p),
        offset: o,
        outcome: Outcome::Done { attempts: 1 },
    }])
    .unwrap();
}

impl Engine {
    /// One record, taken at the engine's time.
    pub(super) fn on_record(&mut self, r: Record) {
        self.on_records(vec![r], self.now);
    }
}

/// `d` after the engine started: the tests' clock.
pub(super) fn after(e: &Engine, d: Duration) -> Instant {
    e.started + d
}

/// `--until offset:` stops on topic `t`: (partition, first offset not to process).
pub(super) fn stops(at: &[(i32, i64)]) -> Stops {
    Stops::new(at.iter().map(|&(p, o)| (tp(p), o)).collect(), None)
}
