//! librdkafka's callbacks: error and log lines, redacted, remembered for error messages.
//!
//! librdkafka reports *why* a broker is unreachable (connection refused, DNS, TLS, SASL)
//! only through its error callback; we keep the latest reason so "cannot reach Kafka"
//! can say it. Logs reach stderr only with `--verbose`, and never with a secret in them.

use std::sync::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, ProducerContext};

use crate::config::{Redactor, Settings};
use crate::error::{Error, Result};

pub struct KbpContext {
    redactor: Redactor,
    verbose: bool,
    last_error: Mutex<Option<String>>,
    auth_error: Mutex<Option<String>>,
}

impl KbpContext {
    pub fn new(settings: &Settings) -> Self {
        KbpContext {
            redactor: settings.redactor.clone(),
            verbose: settings.verbose,
            last_error: Mutex::new(None),
            auth_error: Mutex::new(None),
        }
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok()?.clone()
    }

    /// Credentials refused: no point waiting for the timeout.
    pub fn check_auth(&self, bootstrap: &str) -> Result<()> {
        match self.auth_error.lock().ok().and_then(|e| e.clone()) {
            Some(reason) => Err(Error::Authentication {
                bootstrap: bootstrap.to_string(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

impl ClientContext for KbpContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if self.verbose {
            eprintln!(
                "kbp: librdkafka {level:?} {fac}: {}",
                self.redactor.redact(message)
            );
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let reason = self.redactor.redact(reason);
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            if let Ok(mut a) = self.auth_error.lock() {
                *a = Some(reason.clone());
            }
        }
        if self.verbose {
            eprintln!("kbp: librdkafka error: {reason}");
        }
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some(reason);
        }
    }
}

impl ProducerContext for KbpContext {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

impl ConsumerContext for KbpContext {}
