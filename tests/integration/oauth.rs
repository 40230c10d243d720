//! OAUTHBEARER with OIDC against the real broker's SASL_SSL listener: kbp (librdkafka's
//! `sasl.oauthbearer.method=oidc`) fetches JWTs from the harness's OIDC issuer
//! (scripts/kafka/oidc-issuer.py, client credentials over HTTPS) and the broker checks
//! them against the issuer's JWKS. A wrong client secret ends at once; a drain that
//! outlives several 10-second tokens keeps going (the broker ends each session when its
//! token expires) and loses nothing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::common::*;
use crate::security::{ca, context, lag_via, lagging, refused, TIMEOUT};

const SECRET: &str = "kbp-oidc-secret";

/// A context that authenticates as `client` through the issuer, its secret from
/// `$KBP_TEST_OIDC_SECRET`.
fn oidc_context(dir: &Path, client: &str) -> PathBuf {
    let url = String::from_utf8(kafka_sh(&["oidc-url"]).stdout).unwrap();
    context(
        dir,
        &format!(
            "bootstrap-servers: {}\nsecurity-protocol: SASL_SSL\nsasl:\n  mechanism: OAUTHBEARER\n  oidc:\n    token-endpoint: {}\n    client-id: {client}\n    client-secret-env: KBP_TEST_OIDC_SECRET\n    ca: {}\ntls:\n  ca: {}\n",
            listener("sasl-ssl"),
            url.trim(),
            ca("ca.pem"),
            ca("ca.pem")
        ),
    )
}

/// How many tokens the issuer has handed `client` so far.
fn tokens_issued(client: &str) -> usize {
    let dir = String::from_utf8(kafka_sh(&["oidc-dir"]).stdout).unwrap();
    let log = std::fs::read_to_string(Path::new(dir.trim()).join("tokens.log")).unwrap_or_default();
    log.lines()
        .filter(|l| l.split(' ').nth(1) == Some(client))
        .count()
}

#[test]
fn oauthbearer_with_oidc_client_credentials() {
    let (_, group) = lagging("sec-oidc");
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_context(dir.path(), "kbp-oidc");
    let before = tokens_issued("kbp-oidc");
    assert_eq!(
        lag_via(&cfg, &[("KBP_TEST_OIDC_SECRET", SECRET)], &group),
        6
    );
    assert!(tokens_issued("kbp-oidc") > before, "no token was fetched");
    // The secret from a file works the same, and `config view` never shows it.
    let secret_file = write_file(dir.path(), "secret", &format!("{SECRET}\n"));
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        "client-secret-env: KBP_TEST_OIDC_SECRET",
        &format!("client-secret-file: {}", secret_file.display()),
    );
    let cfg = write_file(dir.path(), "file.yaml", &text);
    assert_eq!(lag_via(&cfg, &[], &group), 6);
    let view = kbp()
        .env("KBP_CONFIG", &cfg)
        .args(["config", "view", "-o", "yaml"])
        .expect(0);
    assert!(!view.stdout.contains(SECRET), "{}", view.stdout);
    assert!(
        view.stdout
            .contains("sasl.oauthbearer.client.secret: '[redacted]'")
            && view.stdout.contains("sasl.oauthbearer.method: oidc")
            && view
                .stdout
                .contains("sasl.oauthbearer.token.endpoint.url: https://"),
        "{}",
        view.stdout
    );
}

#[test]
fn oauthbearer_with_a_wrong_client_secret_fails_fast() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_context(dir.path(), "kbp-oidc");
    for command in [&["lag"][..], &["brokers"], &["lag", "-g", "any"]] {
        let r = refused(
            kbp()
                .env("KBP_CONFIG", &cfg)
                .env("KBP_TEST_OIDC_SECRET", "not-the-secret-31")
                .args(["--timeout", TIMEOUT])
                .args(command),
            3,
            "failed to acquire SASL OAUTHBEARER token",
        );
        assert!(r.stderr.contains("invalid_client"), "{}", r.stderr);
        assert!(!r.stderr.contains("not-the-secret-31"), "{}", r.stderr);
    }
}

#[test]
fn oauthbearer_tokens_are_refreshed_during_a_long_drain() {
    // 10-second tokens (client kbp-oidc-short) and a drain paced to ~30 s: the broker ends
    // each session when its token expires, so the drain only finishes if kbp keeps
    // fetching new tokens and re-authenticating.
    const LIFETIME_S: u64 = 10;
    let topic = topic_with("sec-oidc-drain", 3, 100);
    let group = unique("sec-oidc-drain-g");
    let dir = tempfile::tempdir().unwrap();
    let cfg = oidc_context(dir.path(), "kbp-oidc-short");
    let out = dir.path().join("out.jsonl");
    let before = tokens_issued("kbp-oidc-short");
    let started = SystemTime::now();
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_TEST_OIDC_SECRET", SECRET)
        .args(["--timeout", TIMEOUT])
        .drain_until_end(&group, &topic, &format!("file:{}", out.display()))
        .args(["--rate", "10/s", "--summary", "json", "-q"])
        .expect(0);
    let took = started.elapsed().unwrap();
    assert!(
        took.as_secs() > 2 * LIFETIME_S,
        "the drain took {took:?}: too short to outlive two tokens"
    );
    let s = r.summary();
    assert_eq!(s["processed"], 300, "{s}");
    assert_eq!(s["stop_reason"], "done", "{s}");
    assert_eq!(s["commit_failures"], 0, "{s}");
    let mut offsets: Vec<(i64, i64)> = json_lines(&out, false)
        .iter()
        .map(|l| {
            (
                l["partition"].as_i64().unwrap(),
                l["offset"].as_i64().unwrap(),
            )
        })
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    assert_eq!(offsets.len(), 300, "every record once");
    for (_, row) in apache_describe(&group) {
        assert_eq!(row.0, Some(100), "committed to the end");
    }
    let issued = tokens_issued("kbp-oidc-short") - before;
    eprintln!("drain of {took:?} used {issued} tokens of {LIFETIME_S}s");
    assert!(issued >= 3, "{issued} token(s) in {took:?}: not refreshed");
}
