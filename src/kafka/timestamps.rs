//! Exact time lag: the timestamp of the first record at or after a committed offset.
//!
//! Estimating time lag from offset history (kafka-lag-exporter's interpolation) is wrong
//! after bursts and idle periods and needs history a one-shot tool does not have. So kbp
//! reads the record itself, with a consumer that assigns partitions explicitly under a
//! throwaway group id, never subscribes and never commits: it cannot join or disturb any group.
//!
//! Reads are batched: at most [`MAX_ACTIVE`] partitions are assigned at once (in waves); for one
//! partition, wanted offsets are visited in order, reading through short gaps (one fetch
//! usually covers many groups' positions) and re-positioning over long ones.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::context::KbpContext;
use super::types::TopicPartition;
use super::{client_config, config_error, Session};
use crate::error::{Error, Result};

const MAX_ACTIVE: usize = 128;
/// Read through gaps up to this many offsets instead of re-positioning.
const READ_THROUGH: i64 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordTime {
    /// Record timestamp, milliseconds since the epoch.
    At(i64),
    /// No record between the offset and the log end (only transaction markers).
    NoRecord,
    /// Not read within the timeout, or the record carries no timestamp.
    Unknown,
}

struct Partition {
    tp: TopicPartition,
    end: i64,
    wanted: Vec<i64>,
    next: usize,
}

pub(super) fn read(
    session: &Session,
    wanted: &[(TopicPartition, i64, i64)],
) -> Result<HashMap<(TopicPartition, i64), RecordTime>> {
    let mut by_tp: BTreeMap<TopicPartition, Partition> = BTreeMap::new();
    for (tp, offset, end) in wanted {
        if offset >= end {
            continue;
        }
        let p = by_tp.entry(tp.clone()).or_insert_with(|| Partition {
            tp: tp.clone(),
            end: *end,
            wanted: vec![],
            next: 0,
        });
        p.wanted.push(*offset);
    }
    let mut out = HashMap::new();
    if by_tp.is_empty() {
        return Ok(out);
    }
    for p in by_tp.values_mut() {
        p.wanted.sort_unstable();
        p.wanted.dedup();
    }

    let settings = &session.settings;
    let mut config = client_config(settings, "kbp-timelag");
    config
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "true")
        .set("isolation.level", "read_uncommitted")
        .set("max.partition.fetch.bytes", "65536")
        .set("queued.min.messages", "100")
        .set("fetch.wait.max.ms", "50");
    // librdkafka needs a group id to assign partitions; this one is never joined nor
    // committed to, so no group is created on the broker.
    config.set(
        "group.id",
        format!(
            "kbp-timelag-{}-{}",
            std::process::id(),
            crate::cmd::lag::now_ms()
        ),
    );
    let consumer: BaseConsumer<KbpContext> = config
        .create_with_context(KbpContext::new(settings))
        .map_err(|e| config_error(settings, e))?;

    let tpl_of = |tp: &TopicPartition, offset: Option<i64>| {
        let mut tpl = TopicPartitionList::new();
        let _ = tpl.add_partition_offset(
            &tp.topic,
            tp.partition,
            offset.map_or(Offset::Invalid, Offset::Offset),
        );
        tpl
    };
    let deadline = Instant::now() + settings.timeout;
    let all: Vec<TopicPartition> = by_tp.keys().cloned().collect();
    // Whole assignments (no subscription, so no incremental assign): work in waves.
    for wave in all.chunks(MAX_ACTIVE) {
        let mut tpl = TopicPartitionList::new();
        for tp in wave {
            let p = &by_tp[tp];
            let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(p.wanted[0]));
        }
        consumer
            .assign(&tpl)
            .map_err(|e| Error::kafka("assign for time lag", e))?;
        let mut active: HashSet<TopicPartition> = wave.iter().cloned().collect();
        let finish = |active: &mut HashSet<TopicPartition>, tp: &TopicPartition| {
            let _ = consumer.pause(&tpl_of(tp, None));
            active.remove(tp);
        };
        while !active.is_empty() && Instant::now() < deadline {
            let Some(result) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            match result {
                Ok(m) => {
                    let tp = TopicPartition::new(m.topic(), m.partition());
                    if !active.contains(&tp) {
                        continue;
                    }
                    let ts = m.timestamp().to_millis().filter(|t| *t >= 0);
                    let at = m.offset();
                    let p = by_tp.get_mut(&tp).expect("active partition is known");
                    while p.next < p.wanted.len() && p.wanted[p.next] <= at {
                        out.insert(
                            (tp.clone(), p.wanted[p.next]),
                            ts.map_or(RecordTime::Unknown, RecordTime::At),
                        );
                        p.next += 1;
                    }
                    if p.next == p.wanted.len() {
                        finish(&mut active, &tp);
                    } else if p.wanted[p.next] - at > READ_THROUGH {
                        let _ = consumer.seek(
                            &tp.topic,
                            tp.partition,
                            Offset::Offset(p.wanted[p.next]),
                            Duration::from_secs(1),
                        );
                    }
                }
                Err(KafkaError::PartitionEOF(_)) => {
                    // The event names no topic: ask every active partition where it stands.
                    let Ok(positions) = consumer.position() else {
                        continue;
                    };
                    for el in positions.elements() {
                        let tp = TopicPartition::new(el.topic(), el.partition());
                        let Some(p) = by_tp.get_mut(&tp) else {
                            continue;
                        };
                        if active.contains(&tp)
                            && matches!(el.offset(), Offset::Offset(o) if o >= p.end)
                        {
                            for w in &p.wanted[p.next..] {
                                out.insert((tp.clone(), *w), RecordTime::NoRecord);
                            }
                            p.next = p.wanted.len();
                            finish(&mut active, &tp);
                        }
                    }
                }
                Err(_) => {} // transient fetch errors: librdkafka retries; the deadline bounds us
            }
        }
    }
    let _ = consumer.unassign();
    for p in by_tp.values() {
        for w in &p.wanted[p.next..] {
            out.entry((p.tp.clone(), *w)).or_insert(RecordTime::Unknown);
        }
    }
    Ok(out)
}
