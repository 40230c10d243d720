//! A producer that answers only when Kafka has acknowledged: for `--sink topic:` and the
//! dead-letter queue, where a record counts as processed once its delivery is confirmed.
//! Idempotence is on, so librdkafka's own retries cannot duplicate or reorder.

use std::sync::mpsc::{sync_channel, SyncSender};
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

impl ProducerContext for AckContext {
    type DeliveryOpaque = Box<SyncSender<std::result::Result<(), String>>>;
    fn delivery(&self, result: &DeliveryResult<'_>, ack: Self::DeliveryOpaque) {
        let _ = ack.send(result.as_ref().map(|_| ()).map_err(|(e, _)| e.to_string()));
    }
}

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
        let (tx, rx) = sync_channel(1);
        let mut hs = OwnedHeaders::new();
        for (k, v) in headers {
            hs = hs.insert(Header {
                key: k,
                value: v.as_deref(),
            });
        }
        let mut record = BaseRecord::with_opaque_to(topic, Box::new(tx)).headers(hs);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(v) = value {
            record = record.payload(v);
        }
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                    record = r;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((e, _)) => return Err(e.to_string()),
            }
        }
        rx.recv()
            .map_err(|_| "producer closed before the delivery report".to_string())?
    }
}
