//! librdkafka's in-process mock cluster, and the two plain clients that give `kbp demo`
//! its traffic: a producer and a slow group member.
//!
//! The mock brokers speak the real protocol on 127.0.0.1 (produce, fetch, metadata,
//! ListOffsets, group membership, offset commit and fetch), so every kbp command runs its
//! own code path against them. They have no ListGroups, DescribeGroups or DescribeCluster;
//! the commands say so themselves. rdkafka's `MockCluster` hides the handle that sets the
//! group rebalance delay (3 s by default, far too slow for a demo) and the one that adds a
//! broker, so the cluster is wrapped here over rdkafka-sys, like the admin calls in
//! `admin.rs`.

use std::ffi::CString;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use rdkafka_sys as sys;

use super::context::KbpContext;
use super::native::{cstr, ClientRef, NativePtr};
use super::types::TopicPartition;
use super::{client_config, config_error};
use crate::config::Settings;
use crate::error::{Error, Result};

/// A mock cluster of several brokers, alive until dropped.
pub struct DemoCluster {
    /// Broker ids run from 0 to `brokers - 1`.
    brokers: i32,
    cluster: NativePtr<sys::rd_kafka_mock_cluster_t>,
    /// librdkafka hangs the mock cluster off a client handle, which must outlive it: it is
    /// declared after the cluster, so it is dropped after it.
    _handle: BaseProducer,
    bootstrap: String,
}

impl DemoCluster {
    /// Starts `brokers` brokers (at least 2), with ids 0 to `brokers - 1`.
    pub fn start(brokers: i32) -> Result<DemoCluster> {
        let handle: BaseProducer = rdkafka::ClientConfig::new()
            .create()
            .map_err(|e| Error::kafka("starting the mock cluster", e))?;
        let client = ClientRef::new(handle.client());
        // SAFETY: the handle is live and kept in the struct until after the cluster is
        // destroyed; the new cluster is ours.
        let cluster = unsafe {
            NativePtr::from_ptr(sys::rd_kafka_mock_cluster_new(client.ptr(), brokers - 1))
        }
        .ok_or_else(|| Error::kafka("starting the mock cluster", "librdkafka returned NULL"))?;
        // The mock names broker 0 as its controller but numbers its brokers from 1, so
        // admin requests (which go to the controller) would wait forever. Broker 0 joins.
        // SAFETY: the cluster is live.
        let err = unsafe { sys::rd_kafka_mock_broker_add(cluster.ptr(), 0) };
        if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // `cluster` is destroyed here, before `handle`.
            return Err(Error::kafka(
                "adding the mock controller",
                super::admin::code_of(err, String::new()),
            ));
        }
        // SAFETY: the cluster is live; librdkafka returns a string it owns, copied here.
        let bootstrap = unsafe { cstr(sys::rd_kafka_mock_cluster_bootstraps(cluster.ptr())) }
            .unwrap_or_default();
        // A member joining an empty group gets its partitions at once, not after 3 s.
        // SAFETY: the cluster is live.
        unsafe { sys::rd_kafka_mock_group_initial_rebalance_delay_ms(cluster.ptr(), 0) };
        Ok(DemoCluster {
            brokers,
            cluster,
            _handle: handle,
            bootstrap,
        })
    }

    /// Every broker's address, comma-separated.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Takes every broker down (their connections close and new ones are refused) or
    /// brings them back: a cluster outage for tests.
    pub fn set_brokers_up(&self, up: bool) -> Result<()> {
        for id in 0..self.brokers {
            // SAFETY: the cluster is live; the id is one of its brokers.
            let err = unsafe {
                if up {
                    sys::rd_kafka_mock_broker_set_up(self.cluster.ptr(), id)
                } else {
                    sys::rd_kafka_mock_broker_set_down(self.cluster.ptr(), id)
                }
            };
            if err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                return Err(Error::kafka(
                    "setting a mock broker up or down",
                    super::admin::code_of(err, String::new()),
                ));
            }
        }
        Ok(())
    }

    /// The next `n` OffsetFetch requests are answered NOT_COORDINATOR, as while a group's
    /// coordinator moves to another broker: fault injection for tests.
    pub fn move_coordinators(&self, n: usize) {
        const OFFSET_FETCH: i16 = 9;
        let errors = vec![sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NOT_COORDINATOR; n];
        // SAFETY: the cluster is live; librdkafka copies `n` codes from the array.
        unsafe {
            sys::rd_kafka_mock_push_request_errors_array(
                self.cluster.ptr(),
                OFFSET_FETCH,
                errors.len(),
                errors.as_ptr(),
            )
        };
    }

    /// The next `n` requests of Kafka API `api_key` (2 ListOffsets, 3 Metadata, 8
    /// OffsetCommit, 9 OffsetFetch, 15 DescribeGroups, 16 ListGroups…) are answered with
    /// Kafka error `code` (those of the retry rule, [`crate::kafka::KafkaCode::is_retriable`],
    /// and 25 UNKNOWN_MEMBER_ID, 30 GROUP_AUTHORIZATION_FAILED): fault injection for tests.
    pub fn fail_requests(&self, api_key: i16, code: i32, n: usize) -> Result<()> {
        use sys::rd_kafka_resp_err_t as E;
        let code = match code {
            5 => E::RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            6 => E::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            7 => E::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            13 => E::RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
            14 => E::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            15 => E::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            16 => E::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            25 => E::RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            27 => E::RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            30 => E::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            other => {
                return Err(Error::usage(format!(
                    "the mock cluster injects no error {other}"
                )))
            }
        };
        let errors = vec![code; n];
        // SAFETY: the cluster is live; librdkafka copies `n` codes from the array.
        unsafe {
            sys::rd_kafka_mock_push_request_errors_array(
                self.cluster.ptr(),
                api_key,
                errors.len(),
                errors.as_ptr(),
            )
        };
        Ok(())
    }

    pub fn create_topic(&self, name: &str, partitions: i32, replication: i32) -> Result<()> {
        let c_name = CString::new(name).map_err(|_| Error::usage("topic name contains NUL"))?;
        // SAFETY: the cluster is live; librdkafka copies the name.
        let err = unsafe {
            sys::rd_kafka_mock_topic_create(
                self.cluster.ptr(),
                c_name.as_ptr(),
                partitions,
                replication,
            )
        };
        match err {
            sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => Ok(()),
            e => Err(Error::kafka(
                "creating a mock topic",
                super::admin::code_of(e, String::new()),
            )),
        }
    }
}

/// Fire-and-forget records: the demo's producer sets its own pace.
pub struct DemoProducer {
    producer: BaseProducer<KbpContext>,
}

impl DemoProducer {
    pub fn new(settings: &Settings) -> Result<DemoProducer> {
        let mut config = client_config(settings, "kbp-demo-producer");
        config.set("linger.ms", "5");
        let producer = config
            .create_with_context(KbpContext::new(settings))
            .map_err(|e| config_error(settings, e))?;
        Ok(DemoProducer { producer })
    }

    /// Queues one record (waiting while librdkafka's queue is full).
    pub fn send(&self, topic: &str, key: &str, value: &str) -> Result<()> {
        let mut record = BaseRecord::to(topic).key(key).payload(value);
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    self.producer.poll(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(Error::kafka("producing", e)),
            }
        }
        self.producer.poll(Duration::ZERO);
        Ok(())
    }

    pub fn flush(&self, timeout: Duration) {
        let _ = self.producer.flush(timeout);
    }
}

/// A plain classic-protocol group member that commits what its caller says it processed.
/// Dropping it leaves the group at once (rdkafka closes the consumer), so the next member
/// gets the partitions without waiting for a session timeout.
pub struct DemoMember {
    consumer: BaseConsumer<KbpContext>,
}

impl DemoMember {
    pub fn join(settings: &Settings, group: &str, topics: &[&str]) -> Result<DemoMember> {
        let mut config = client_config(settings, "kbp-demo-member");
        config
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            // The mock holds a group's rebalance for the session timeout less a second;
            // this keeps the hand-over to the next member (the drain) under one second.
            .set("session.timeout.ms", "1500")
            .set("heartbeat.interval.ms", "300")
            // The mock aborts when a group's members name different assignors first;
            // kbp drain names this one (kafka/consumer.rs).
            .set("partition.assignment.strategy", "cooperative-sticky");
        let consumer: BaseConsumer<KbpContext> = config
            .create_with_context(KbpContext::new(settings))
            .map_err(|e| config_error(settings, e))?;
        consumer
            .subscribe(topics)
            .map_err(|e| Error::kafka("subscribing", e))?;
        Ok(DemoMember { consumer })
    }

    /// The position after the next record, or `None` when none arrived within `wait`.
    pub fn next(&self, wait: Duration) -> Option<(TopicPartition, i64)> {
        match self.consumer.poll(wait)? {
            Ok(m) => Some((
                TopicPartition::new(m.topic(), m.partition()),
                m.offset() + 1,
            )),
            Err(_) => None,
        }
    }

    /// Commits these positions; a refused commit is left for the next one to cover.
    pub fn commit(&self, positions: &[(TopicPartition, i64)]) {
        let mut tpl = TopicPartitionList::new();
        for (tp, off) in positions {
            let _ = tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*off));
        }
        if tpl.count() > 0 {
            let _ = self.consumer.commit(&tpl, CommitMode::Sync);
        }
    }
}
