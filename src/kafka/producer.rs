//! A producer that answers only when Kafka has acknowledged: for `--sink topic:` and the
//! dead-letter queue, where a record counts as processed once its delivery is confirmed.
//! Idempotence is on, so librdkafka's own retries cannot duplicate or reorder.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;

use super::context::KbpContext;
use super::{client_config, config_error};
use crate::config::Settings;
use crate::error::Result;

struct AckContext(KbpContext);

impl ClientContext for AckContext {
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = KbpContext::ENABLE_REFRESH_OAUTH_TOKEN;
    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> std::result::Result<rdkafka::client::OAuthToken, Box<dyn std::error::Error>> {
        self.0.oauth_token()
    }
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.0.log(level, fac, message)
    }
    fn error(&self, error: KafkaError, reason: &str) {
        self.0.error(error, reason)
    }
}

/// The delivery reports of one batch, filled in by the producer's thread. The waiting
/// worker is woken once, by the last report, not once per record.
struct Batch {
    state: Mutex<Reports>,
    all_in: Condvar,
}

struct Reports {
    /// Per record: `None` until its report came (or it was never sent).
    results: Vec<Option<std::result::Result<(), String>>>,
    /// Reports still due.
    due: usize,
}

/// Where a record's delivery report goes: its batch, at its place in the batch.
pub struct Ack {
    batch: Arc<Batch>,
    index: usize,
}

impl Ack {
    fn reports(&self) -> std::sync::MutexGuard<'_, Reports> {
        self.batch.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A record's report is in once its `Ack` is gone: after its delivery callback, or when
/// the producer drops it unreported (the record was refused, or purged).
impl Drop for Ack {
    fn drop(&mut self) {
        let mut reports = self.reports();
        let slot = &mut reports.results[self.index];
        if slot.is_none() {
            *slot = Some(Err("producer closed before the delivery report".into()));
        }
        reports.due -= 1;
        if reports.due == 0 {
            self.batch.all_in.notify_one();
        }
    }
}

impl ProducerContext for AckContext {
    type DeliveryOpaque = Box<Ack>;
    fn delivery(&self, result: &DeliveryResult<'_>, ack: Self::DeliveryOpaque) {
        let result = result.as_ref().map(|_| ()).map_err(|(e, _)| e.to_string());
        ack.reports().results[ack.index] = Some(result);
    }
}

/// One record to produce: key, value and headers.
pub type Outgoing<'a> = (
    Option<&'a [u8]>,
    Option<&'a [u8]>,
    &'a [(String, Option<Vec<u8>>)],
);

pub struct Forwarder {
    producer: ThreadedProducer<AckContext>,
}

impl Forwarder {
    pub fn new(settings: &Settings) -> Result<Forwarder> {
        let mut config = client_config(settings, "kbp-forward");
        config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5");
        for (k, v) in &settings.properties {
            config.set(k, v);
        }
        let producer = config
            .create_with_context(AckContext(KbpContext::new(settings)))
            .map_err(|e| config_error(settings, e))?;
        Ok(Forwarder { producer })
    }

    /// Sends and waits for the acknowledgement. A full producer queue is waited out
    /// (backpressure slows the drain) rather than reported as a failure.
    pub fn send(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(String, Option<Vec<u8>>)],
    ) -> std::result::Result<(), String> {
        self.send_all(topic, &[(key, value, headers)])
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Sends every record, in order, then waits for all their acknowledgements: one round
    /// trip to the brokers for the batch, not one per record. One result per record.
    pub fn send_all(
        &self,
        topic: &str,
        records: &[Outgoing<'_>],
    ) -> Vec<std::result::Result<(), String>> {
        self.send_batch(topic, records).wait()
    }

    /// Sends every record, in order, without waiting: [`Deliveries::wait`] collects the
    /// acknowledgements. A full producer queue is waited out here.
    pub fn send_batch(&self, topic: &str, records: &[Outgoing<'_>]) -> Deliveries {
        let batch = Arc::new(Batch {
            state: Mutex::new(Reports {
                results: vec![None; records.len()],
                // Counted down as each record's `Ack` goes.
                due: records.len(),
            }),
            all_in: Condvar::new(),
        });
        let mut refused = Vec::new();
        for (index, (key, value, headers)) in records.iter().enumerate() {
            let ack = Box::new(Ack {
                batch: Arc::clone(&batch),
                index,
            });
            let mut record = BaseRecord::with_opaque_to(topic, ack);
            if !headers.is_empty() {
                let mut hs = OwnedHeaders::new_with_capacity(headers.len());
                for (k, v) in headers.iter() {
                    hs = hs.insert(Header {
                        key: k,
                        value: v.as_deref(),
                    });
                }
                record = record.headers(hs);
            }
            if let Some(k) = key {
                record = record.key(*k);
            }
            if let Some(v) = value {
                record = record.payload(*v);
            }
            loop {
                match self.producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        record = r;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err((e, _)) => {
                        refused.push((index, e.to_string()));
                        break;
                    }
                }
            }
        }
        if !refused.is_empty() {
            // Their `Ack`s are gone already: only the reason is put in.
            let mut reports = batch.state.lock().unwrap_or_else(|p| p.into_inner());
            for (index, e) in refused {
                reports.results[index] = Some(Err(e));
            }
        }
        Deliveries { batch }
    }
}

/// The acknowledgements of a batch sent by [`Forwarder::send_batch`].
pub struct Deliveries {
    batch: Arc<Batch>,
}

impl Deliveries {
    /// Waits for every acknowledgement: one result per record, in the batch's order.
    pub fn wait(self) -> Vec<std::result::Result<(), String>> {
        let mut reports = self.batch.state.lock().unwrap_or_else(|p| p.into_inner());
        while reports.due > 0 {
            reports = self
                .batch
                .all_in
                .wait(reports)
                .unwrap_or_else(|p| p.into_inner());
        }
        std::mem::take(&mut reports.results)
            .into_iter()
            // Every `Ack` has put a result in by now; a gap would be no acknowledgement.
            .map(|r| r.unwrap_or_else(|| Err("no delivery report".into())))
            .collect()
    }
}
