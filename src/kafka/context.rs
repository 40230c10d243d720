//! librdkafka's callbacks: error and log lines, redacted, remembered for error messages.
//!
//! librdkafka reports *why* a broker is unreachable (connection refused, DNS, TLS, SASL)
//! only through its error callback; we keep the latest reason so "cannot reach Kafka"
//! can say it. Refused credentials and failed TLS handshakes end the command at once. Logs reach stderr only with `--verbose`, and never with a secret in them.
//! With `statistics.interval.ms` set, the statistics callback keeps each broker's request
//! round-trip and throttle times, so `kbp brokers` can report what it measured.
//! With `sasl.mechanism: AWS_MSK_IAM`, the token-generation callback signs OAUTHBEARER
//! tokens with AWS credentials (`msk.rs`, cargo feature `msk-iam`).

use std::collections::HashMap;
use std::sync::Mutex;

use rdkafka::client::{ClientContext, OAuthToken};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{DeliveryResult, ProducerContext};

use serde::Deserialize;

use crate::config::{MskIam, Redactor, Settings};
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
    /// Where OAUTHBEARER tokens come from, for AWS MSK IAM.
    msk_iam: Option<MskIam>,
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
            msk_iam: settings.msk_iam.clone(),
        }
    }

    /// An OAUTHBEARER token for librdkafka: signed for AWS MSK IAM, the only mechanism
    /// whose tokens kbp makes (OIDC's come from librdkafka itself).
    pub fn oauth_token(&self) -> std::result::Result<OAuthToken, Box<dyn std::error::Error>> {
        match &self.msk_iam {
            #[cfg(feature = "msk-iam")]
            Some(msk) => crate::kafka::msk::token(msk).map_err(|e| self.redactor.redact(&e).into()),
            _ => Err("kbp makes OAUTHBEARER tokens only for sasl.mechanism AWS_MSK_IAM".into()),
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
    /// Only a build that can sign MSK IAM tokens takes librdkafka's refresh events.
    const ENABLE_REFRESH_OAUTH_TOKEN: bool = cfg!(feature = "msk-iam");

    fn generate_oauth_token(
        &self,
        _config: Option<&str>,
    ) -> std::result::Result<OAuthToken, Box<dyn std::error::Error>> {
        self.oauth_token()
    }

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
            crate::sys::diag!(
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
            crate::sys::diag!("kbp: librdkafka error: {reason}");
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

/// The token-generation callback for AWS MSK IAM, with static test credentials (AWS
/// itself cannot be asked here): each token is a presigned `kafka-cluster:Connect` URL of
/// the context's region, signed (recomputed below, SigV4, independently of the signer)
/// with the credentials of the environment or of the named profile, and a refresh signs
/// anew. One test: it sets the process's AWS environment.
#[cfg(all(test, feature = "msk-iam"))]
mod msk_iam_tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use base64::Engine;
    use openssl::hash::{hash, MessageDigest};
    use openssl::pkey::PKey;
    use openssl::sign::Signer;

    use super::*;
    use crate::config::{merge, parse_file, Overrides};

    const KEY_ID: &str = "AKIAKBPTESTENV000001";
    const SECRET: &str = "kbp/test/secret/from/the/environment00";
    const PROFILE_KEY_ID: &str = "AKIAKBPTESTPROFILE01";
    const PROFILE_SECRET: &str = "kbp/test/secret/of/the/profile/000000000";

    fn context(dir: &Path, sasl: &str) -> KbpContext {
        let path = dir.join("config.yaml");
        let text = format!(
            "current-context: msk\ncontexts:\n  msk:\n    bootstrap-servers: b-1.msk.example:9098\n    sasl: {{{sasl}}}\n"
        );
        std::fs::write(&path, &text).unwrap();
        let file = parse_file(&path, &text).unwrap();
        let settings = merge(&Overrides::default(), Some(path), &file, true).unwrap();
        assert!(settings
            .properties
            .contains(&("sasl.mechanism".into(), "OAUTHBEARER".into())));
        assert!(settings
            .properties
            .contains(&("security.protocol".into(), "SASL_SSL".into())));
        KbpContext::new(&settings)
    }

    /// The signed URL in a token, and its query decoded.
    fn decode(token: &str) -> (String, BTreeMap<String, String>) {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .expect("base64url without padding");
        let url = String::from_utf8(raw).unwrap();
        let query = url.split_once('?').expect("a query").1;
        let params = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (unescape(k), unescape(v))
            })
            .collect();
        (url, params)
    }

    fn unescape(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'%' => {
                    out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                    i += 3;
                }
                b'+' => {
                    out.push(b' ');
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// RFC 3986 encoding as SigV4 canonicalizes query parameters.
    fn escape(s: &str) -> String {
        s.bytes()
            .map(|c| match c {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (c as char).to_string()
                }
                _ => format!("%{c:02X}"),
            })
            .collect()
    }

    fn hmac(key: &[u8], data: &str) -> Vec<u8> {
        let key = PKey::hmac(key).unwrap();
        let mut s = Signer::new(MessageDigest::sha256(), &key).unwrap();
        s.update(data.as_bytes()).unwrap();
        s.sign_to_vec().unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// SigV4's presigned-URL signature of `params` (all but the signature and the user
    /// agent, which the signer appends after signing) for `host`.
    fn signature(host: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
        let mut pairs: Vec<(String, String)> = params
            .iter()
            .filter(|(k, _)| *k != "X-Amz-Signature" && *k != "User-Agent")
            .map(|(k, v)| (escape(k), escape(v)))
            .collect();
        pairs.sort();
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let empty = hex(&hash(MessageDigest::sha256(), b"").unwrap());
        let canonical = format!("GET\n/\n{}\nhost:{host}\n\nhost\n{empty}", query.join("&"));
        let date = &params["X-Amz-Date"];
        let scope = params["X-Amz-Credential"]
            .split_once('/')
            .unwrap()
            .1
            .to_string();
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            hex(&hash(MessageDigest::sha256(), canonical.as_bytes()).unwrap())
        );
        let mut key = format!("AWS4{secret}").into_bytes();
        for part in scope.split('/') {
            key = hmac(&key, part);
        }
        hex(&hmac(&key, &to_sign))
    }

    /// Checks one token against the region, key id and secret; its X-Amz-Date.
    fn check(t: &OAuthToken, region: &str, key_id: &str, secret: &str) -> String {
        let (url, p) = decode(&t.token);
        let host = format!("kafka.{region}.amazonaws.com");
        assert!(url.starts_with(&format!("https://{host}/?")), "{url}");
        assert_eq!(p["Action"], "kafka-cluster:Connect", "{url}");
        assert_eq!(p["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(p["X-Amz-Expires"], "900");
        assert_eq!(p["X-Amz-SignedHeaders"], "host");
        assert!(!p.contains_key("X-Amz-Security-Token"), "{url}");
        assert!(
            p["User-Agent"].starts_with("aws-msk-iam-sasl-signer"),
            "{url}"
        );
        let date = p["X-Amz-Date"].clone();
        let signed_at = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", &date)
            .unwrap()
            .in_tz("UTC")
            .unwrap()
            .timestamp()
            .as_millisecond();
        let now = jiff::Timestamp::now().as_millisecond();
        assert!((now - 10_000..=now + 1_000).contains(&signed_at), "{date}");
        assert_eq!(
            p["X-Amz-Credential"],
            format!(
                "{key_id}/{}/{region}/kafka-cluster/aws4_request",
                &date[..8]
            )
        );
        assert_eq!(
            t.lifetime_ms,
            signed_at + 900_000,
            "15 minutes from signing"
        );
        assert_eq!(p["X-Amz-Signature"], signature(&host, &p, secret), "{url}");
        assert!(!t.token.contains(secret) && !url.contains(secret));
        date
    }

    #[test]
    fn tokens_are_signed_connect_urls_from_env_or_profile_and_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &credentials,
            format!("[kbp-test]\naws_access_key_id = {PROFILE_KEY_ID}\naws_secret_access_key = {PROFILE_SECRET}\n"),
        )
        .unwrap();
        for (k, v) in [
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
            ("AWS_CONFIG_FILE", dir.path().join("none").to_str().unwrap()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ] {
            std::env::set_var(k, v);
        }
        for k in [
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_REGION",
            "AWS_ROLE_ARN",
        ] {
            std::env::remove_var(k);
        }

        // The default chain: the environment's credentials.
        let ctx = context(dir.path(), "mechanism: AWS_MSK_IAM, aws-region: eu-west-1");
        let first = ctx.generate_oauth_token(None).unwrap();
        let first_date = check(&first, "eu-west-1", KEY_ID, SECRET);
        assert_eq!(first.principal_name, "kbp");
        // A refresh a second later is a new signature, valid longer.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let second = ctx.generate_oauth_token(None).unwrap();
        let second_date = check(&second, "eu-west-1", KEY_ID, SECRET);
        assert!(second_date > first_date && second.lifetime_ms > first.lifetime_ms);
        assert_ne!(first.token, second.token);

        // A named profile wins over the environment.
        let ctx = context(
            dir.path(),
            "mechanism: AWS_MSK_IAM, aws-region: us-east-1, aws-profile: kbp-test",
        );
        let t = ctx.generate_oauth_token(None).unwrap();
        check(&t, "us-east-1", PROFILE_KEY_ID, PROFILE_SECRET);

        // Temporary credentials carry their session token.
        std::env::set_var("AWS_SESSION_TOKEN", "kbp-session-token");
        let ctx = context(dir.path(), "mechanism: AWS_MSK_IAM, aws-region: eu-west-1");
        let (_, p) = decode(&ctx.generate_oauth_token(None).unwrap().token);
        assert_eq!(p["X-Amz-Security-Token"], "kbp-session-token");
        std::env::remove_var("AWS_SESSION_TOKEN");

        // A profile that does not exist: an error naming it, not a token.
        let ctx = context(
            dir.path(),
            "mechanism: AWS_MSK_IAM, aws-region: eu-west-1, aws-profile: nope",
        );
        let e = match ctx.generate_oauth_token(None) {
            Ok(_) => panic!("a token from a profile that does not exist"),
            Err(e) => e.to_string(),
        };
        assert!(
            e.contains("AWS MSK IAM: no token for region eu-west-1 from profile nope"),
            "{e}"
        );
    }
}
