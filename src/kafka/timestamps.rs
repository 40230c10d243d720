//! Exact time lag: the timestamp of the first record at or after a committed offset.
//!
//! Estimating time lag from offset history (kafka-lag-exporter's interpolation) is wrong
//! after bursts and idle periods and needs history a one-shot tool does not have. So kbp
//! reads the record itself, with a consumer that has no `group.id`: it assigns partitions
//! explicitly and never commits, so it cannot join or disturb any group.
//!
//! Reads are batched: at most [`MAX_ACTIVE`] partitions are assigned at once; for one
//! partition, wanted offsets are visited in order, reading through short gaps (one fetch
//! usually covers many groups' positions) and re-positioning over long ones.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::context::KbpContext;
use super::types::TopicPartition;
use super::{client_config, config_error, Session};
use crate::error::Result;

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

pub(super) fn read(session: &Session, wanted: &[(TopicPartition, i64, i64)]) -> Result<HashMap<(TopicPartition, i64), RecordTime>> {
    let mut by_tp: BTreeMap<TopicPartition, Partition> = BTreeMap::new();
    for (tp, offset, end) in wanted {
        if offset >= end {
            continue;
        }
        let p = by_tp.entry(tp.clone()).or_insert_with(|| Partition { tp: tp.clone(), end: *end, wanted: vec![], next: 0 });
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
    config.remove("group.id");
    let consumer: BaseConsumer<KbpContext> =
        config.create_with_context(KbpContext::new(settings)).map_err(|e| config_error(settings, e))?;

    let mut pending: VecDeque<TopicPartition> = by_tp.keys().cloned().collect();
    let mut active: HashMap<TopicPartition, ()> = HashMap::new();
    let deadline = Instant::now() + settings.timeout;

    let position = |consumer: &BaseConsumer<KbpContext>, tp: &TopicPartition, offset: i64, assign: bool| {
        let mut tpl = TopicPartitionList::new();
        let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(offset));
        if !assign {
            let _ = consumer.incremental_unassign(&tpl);
        }
        let _ = consumer.incremental_assign(&tpl);
    };
    let fill = |active: &mut HashMap<TopicPartition, ()>, pending: &mut VecDeque<TopicPartition>, by_tp: &BTreeMap<TopicPartition, Partition>| {
        while active.len() < MAX_ACTIVE {
            let Some(tp) = pending.pop_front() else { break };
            let p = &by_tp[&tp];
            position(&consumer, &tp, p.wanted[p.next], true);
            active.insert(tp, ());
        }
    };
    let finish = |active: &mut HashMap<TopicPartition, ()>, tp: &TopicPartition| {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition(&tp.topic, tp.partition);
        let _ = consumer.incremental_unassign(&tpl);
        active.remove(tp);
    };

    fill(&mut active, &mut pending, &by_tp);
    while !active.is_empty() && Instant::now() < deadline {
        let Some(result) = consumer.poll(Duration::from_millis(100)) else { continue };
        match result {
            Ok(m) => {
                let tp = TopicPartition::new(m.topic(), m.partition());
                if !active.contains_key(&tp) {
                    continue;
                }
                let ts = m.timestamp().to_millis().filter(|t| *t >= 0);
                let at = m.offset();
                let p = by_tp.get_mut(&tp).expect("active partition is known");
                while p.next < p.wanted.len() && p.wanted[p.next] <= at {
                    out.insert((tp.clone(), p.wanted[p.next]), ts.map_or(RecordTime::Unknown, RecordTime::At));
                    p.next += 1;
                }
                if p.next == p.wanted.len() {
                    finish(&mut active, &tp);
                } else if p.wanted[p.next] - at > READ_THROUGH {
                    position(&consumer, &tp, p.wanted[p.next], false);
                }
            }
            Err(KafkaError::PartitionEOF(_)) => {
                // The event names no topic: ask every active partition where it stands.
                let Ok(positions) = consumer.position() else { continue };
                for el in positions.elements() {
                    let tp = TopicPartition::new(el.topic(), el.partition());
                    let Some(p) = by_tp.get_mut(&tp) else { continue };
                    if active.contains_key(&tp) && matches!(el.offset(), Offset::Offset(o) if o >= p.end) {
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
        fill(&mut active, &mut pending, &by_tp);
    }
    for p in by_tp.values() {
        for w in &p.wanted[p.next..] {
            out.entry((p.tp.clone(), *w)).or_insert(RecordTime::Unknown);
        }
    }
    Ok(out)
}
