//! librdkafka's callbacks: error and log lines, redacted, remembered for error messages.
//!
//! librdkafka reports *why* a broker is unreachable (connection refused, DNS, TLS, SASL)
//! only through its error callback; we keep the latest reason so "cannot reach Kafka"
//! can say it. Refused credentials and failed TLS handshakes end the command at once. Logs reach stderr only with `--verbose`, and never with a secret in them.
//! With `statistics.interval.ms` set, the statistics callback keeps each broker's request
//! round-trip and throttle times, so `kbp brokers` can report what it measured.

use std::collections::HashMap;
use std::sync::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, ProducerContext};

use serde::Deserialize;

use crate::config::{Redactor, Settings};
use crate::error::{Error, Result};
use crate::kafka::tls::{self, Trust};
use crate::kafka::types::BrokerLatency;

/// A failure librdkafka would retry until `--timeout` but that cannot mend itself.
#[derive(Clone)]
enum Fatal {
    Authentication(String),
    Tls(String),
}

pub struct KbpContext {
    redactor: Redactor,
    verbose: bool,
    last_error: Mutex<Option<String>>,
    fatal: Mutex<Option<Fatal>>,
    /// The `kinit` command that failed, when one did.
    kinit_failure: Mutex<Option<String>>,
    /// What a TLS failure is explained with.
    trust: Trust,
    latency: Mutex<HashMap<i32, BrokerLatency>>,
}

impl KbpContext {
    pub fn new(settings: &Settings) -> Self {
        KbpContext {
            redactor: settings.redactor.clone(),
            verbose: settings.verbose,
            last_error: Mutex::new(None),
            fatal: Mutex::new(None),
            kinit_failure: Mutex::new(None),
            trust: Trust::of(&settings.properties),
            latency: Mutex::new(HashMap::new()),
        }
    }

    /// Round-trip and throttle times per broker id, over every statistics window so far.
    pub fn latency(&self) -> HashMap<i32, BrokerLatency> {
        self.latency.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok()?.clone()
    }

    /// Credentials refused or a TLS handshake failed: no point waiting for the timeout.
    pub fn check_fatal(&self, bootstrap: &str) -> Result<()> {
        let bootstrap = bootstrap.to_string();
        match self.fatal.lock().ok().and_then(|e| e.clone()) {
            Some(Fatal::Authentication(reason)) => Err(Error::Authentication { bootstrap, reason }),
            Some(Fatal::Tls(reason)) => Err(Error::Unreachable {
                bootstrap,
                reason: self.redactor.redact(&tls::explain(&self.trust, &reason)),
            }),
            None => Ok(()),
        }
    }
}

/// The part of librdkafka's statistics JSON kbp reads; rdkafka's typed `Statistics` is not
/// used because one renamed field would make it drop the whole document.
#[derive(Deserialize)]
struct Stats {
    #[serde(default)]
    brokers: HashMap<String, BrokerStats>,
}

#[derive(Deserialize)]
struct BrokerStats {
    nodeid: i32,
    rtt: Option<Window>,
    throttle: Option<Window>,
}

/// One statistics window: rtt in microseconds, throttle in milliseconds.
#[derive(Deserialize, Clone, Copy)]
struct Window {
    max: i64,
    sum: i64,
    cnt: i64,
    p99: i64,
}

/// Folds one statistics document into the per-broker totals. Windows without requests
/// carry nothing; bootstrap placeholders (node id -1) are not brokers.
fn fold_stats(json: &[u8], into: &mut HashMap<i32, BrokerLatency>) {
    let Ok(stats) = serde_json::from_slice::<Stats>(json) else {
        return;
    };
    for b in stats.brokers.into_values().filter(|b| b.nodeid >= 0) {
        let l = into.entry(b.nodeid).or_default();
        if let Some(w) = b.rtt.filter(|w| w.cnt > 0) {
            l.requests += w.cnt as u64;
            l.rtt_sum_ms += w.sum as f64 / 1000.0;
            l.rtt_max_ms = l.rtt_max_ms.max(w.max as f64 / 1000.0);
            l.rtt_p99_ms = l.rtt_p99_ms.max(w.p99 as f64 / 1000.0);
        }
        if let Some(w) = b.throttle.filter(|w| w.cnt > 0) {
            l.throttled_responses += w.cnt as u64;
            l.throttle_sum_ms += w.sum as f64;
            l.throttle_max_ms = l.throttle_max_ms.max(w.max as f64);
        }
    }
}

impl ClientContext for KbpContext {
    fn stats_raw(&self, statistics: &[u8]) {
        if let Ok(mut l) = self.latency.lock() {
            fold_stats(statistics, &mut l);
        }
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        // librdkafka only logs a failed `kinit` and tries the broker anyway (a ticket
        // may still be in the cache): kept to say why, should the broker refuse kbp.
        if fac == "SASLREFRESH" && message.contains("refresh failed") {
            if let Ok(mut slot) = self.kinit_failure.lock() {
                let what = message
                    .split_once("refresh failed: ")
                    .map_or(message, |m| m.1);
                *slot = Some(self.redactor.redact(what));
            }
        }
        if self.verbose {
            eprintln!(
                "kbp: librdkafka {level:?} {fac}: {}",
                self.redactor.redact(message)
            );
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let reason = self.redactor.redact(reason);
        let fatal = if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            let kinit = self.kinit_failure.lock().ok().and_then(|k| k.clone());
            Some(Fatal::Authentication(match kinit {
                Some(cmd) => format!(
                    "Kerberos: kinit could not get a ticket (its reason is above; {cmd}), and the broker refused kbp: {reason}"
                ),
                None => reason.clone(),
            }))
        } else {
            tls::is_tls_failure(&reason).then(|| Fatal::Tls(reason.clone()))
        };
        if let (Some(f), Ok(mut slot)) = (fatal, self.fatal.lock()) {
            // The first cause stands: later lines are its echoes.
            slot.get_or_insert(f);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_fold_per_broker_and_skip_bootstrap_entries() {
        let doc = |rtt_cnt: i64, p99: i64| {
            format!(
                r#"{{"name":"kbp#producer-1","brokers":{{
                "127.0.0.1:9092/bootstrap":{{"nodeid":-1,"rtt":{{"max":9,"sum":9,"cnt":1,"p99":9}}}},
                "127.0.0.1:9092/1":{{"nodeid":1,"state":"UP",
                  "rtt":{{"min":1000,"max":4000,"avg":2000,"sum":{},"cnt":{rtt_cnt},"p99":{p99}}},
                  "throttle":{{"max":0,"sum":0,"cnt":0,"p99":0}}}}}}}}"#,
                2000 * rtt_cnt
            )
        };
        let mut into = HashMap::new();
        fold_stats(doc(4, 3000).as_bytes(), &mut into);
        fold_stats(doc(0, 0).as_bytes(), &mut into);
        fold_stats(doc(1, 4000).as_bytes(), &mut into);
        fold_stats(b"not json", &mut into);
        assert_eq!(into.len(), 1);
        let l = &into[&1];
        assert_eq!(l.requests, 5);
        assert_eq!(l.rtt_avg_ms(), Some(2.0));
        assert_eq!(l.rtt_p99_ms, 4.0);
        assert_eq!(l.rtt_max_ms, 4.0);
        assert_eq!(l.throttled_responses, 0);
        assert_eq!(l.throttle_avg_ms(), None);
    }
}
