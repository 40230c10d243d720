//! Flags, config contexts, secrets and exit codes of the real binary.

use std::time::Duration;

use crate::common::*;

#[test]
fn unreachable_cluster_fails_within_timeout_naming_the_address() {
    let r = kbp()
        .args(["-b", "127.0.0.1:1", "--timeout", "2s", "lag"])
        .expect(3);
    assert!(r.elapsed < Duration::from_secs(5), "took {:?}", r.elapsed);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    assert!(
        r.stderr.contains("cannot reach Kafka at 127.0.0.1:1")
            && r.stderr.contains("Connection refused"),
        "{}",
        r.stderr
    );
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let r = kbp().args(["lag"]).expect(2);
    assert!(r.stderr.contains("no bootstrap server"), "{}", r.stderr);
    let r = kbp()
        .broker()
        .args(["-X", "no.such.property=1", "lag"])
        .expect(2);
    assert!(r.stderr.contains("no.such.property"), "{}", r.stderr);
    let r = kbp().broker().args(["--timeout", "soon", "lag"]).expect(2);
    assert!(r.stderr.contains("soon"), "{}", r.stderr);
    let r = kbp()
        .broker()
        .args(["--config", "/nonexistent/kbp.yaml", "lag"])
        .expect(2);
    assert!(r.stderr.contains("/nonexistent/kbp.yaml"), "{}", r.stderr);
    kbp().args(["lag", "--state", "sleepy"]).expect(2);
}

#[test]
fn config_file_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write_file(
        dir.path(),
        "c.yaml",
        "contexts:\n  prod:\n    bootstrap-servers: a:1\n    sasl-user: x\n",
    );
    let r = kbp()
        .args(["--config", f.to_str().unwrap(), "config", "view"])
        .expect(2);
    assert!(
        r.stderr.contains("c.yaml")
            && r.stderr.contains("unknown field `sasl-user`")
            && r.stderr.contains("line 4 column 5"),
        "{}",
        r.stderr
    );
}

fn sasl_config(dir: &std::path::Path, password_env: &str) -> std::path::PathBuf {
    write_file(
        dir,
        "kbp.yaml",
        &format!(
            "current-context: secure\ncontexts:\n  secure:\n    bootstrap-servers: {}\n    security-protocol: SASL_PLAINTEXT\n    sasl:\n      mechanism: SCRAM-SHA-512\n      username: kbp\n      password-env: {password_env}\n  plain:\n    bootstrap-servers: [{}]\n",
            sasl_bootstrap(),
            bootstrap()
        ),
    )
}

#[test]
fn scram_context_authenticates_and_never_shows_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = sasl_config(dir.path(), "KBP_TEST_PW");
    // Through KBP_CONFIG, with librdkafka's security debug logs forwarded.
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_TEST_PW", "kbp-secret")
        .args(["-v", "-X", "debug=security,conf", "lag", "-o", "json"])
        .expect(0);
    assert!(
        !r.stdout.contains("kbp-secret") && !r.stderr.contains("kbp-secret"),
        "password leaked:\n{}",
        r.stderr
    );
    let view = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_TEST_PW", "kbp-secret")
        .args(["config", "view", "-o", "json"])
        .expect(0);
    assert!(!view.stdout.contains("kbp-secret"));
    let v: serde_json::Value = serde_json::from_str(&view.stdout).unwrap();
    assert_eq!(v["context"], "secure");
    assert_eq!(v["properties"]["sasl.password"], "[redacted]");
    assert_eq!(v["properties"]["sasl.mechanism"], "SCRAM-SHA-512");

    // Wrong password: exit 3 at once, naming the address, not the password.
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_TEST_PW", "wrong-pw-123")
        .args(["--timeout", "20s", "lag"])
        .expect(3);
    assert!(
        r.stderr.contains("authentication") || r.stderr.contains("Authentication"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("wrong-pw-123"));
    assert!(
        r.elapsed < Duration::from_secs(15),
        "auth failure should not wait for the timeout: {:?}",
        r.elapsed
    );

    // Flags win over the context: -b with --context plain.
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .args(["--context", "plain", "config", "view", "-o", "json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["bootstrap_servers"], bootstrap());
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_BOOTSTRAP_SERVER", "env:1")
        .args([
            "--context",
            "plain",
            "-b",
            "flag:1",
            "config",
            "view",
            "-o",
            "json",
        ])
        .expect(0);
    assert!(r.stdout.contains("flag:1"));
    // A context chosen with --context is a flag: KBP_BOOTSTRAP_SERVER does not send it to
    // another cluster (issue 20); it still fills in the current context's.
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_BOOTSTRAP_SERVER", "env:1")
        .args(["--context", "plain", "config", "view", "-o", "json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["bootstrap_servers"], bootstrap());
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_BOOTSTRAP_SERVER", "env:1")
        .env("KBP_TEST_PW", "any")
        .args(["config", "view", "-o", "json"])
        .expect(0);
    assert!(r.stdout.contains("env:1"), "{}", r.stdout);

    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .args(["config", "contexts", "-o", "json"])
        .expect(0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "secure" && c["current"] == true));
    // A missing password variable is a config error naming it.
    let r = kbp().env("KBP_CONFIG", &cfg).args(["lag"]).expect(2);
    assert!(r.stderr.contains("KBP_TEST_PW is not set"), "{}", r.stderr);
}
