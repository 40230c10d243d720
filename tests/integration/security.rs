//! Every way in that kbp supports, against the real broker's listeners (scripts/kafka.sh:
//! TLS with a private CA, mutual TLS, SASL_SSL with SCRAM-SHA-256, SCRAM-SHA-512 and
//! PLAIN), from a context and from `-X`; every way of being refused ends at once with exit
//! 3 naming the cause; and the restricted principal `kbp-limited` sees only what its ACLs
//! grant and is refused, exit 9 naming the missing permission, before kbp acts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;

/// Far above how long a refusal takes: a command that waits for it has not failed fast.
pub(crate) const TIMEOUT: &str = "30s";
pub(crate) const FAST: Duration = Duration::from_secs(10);

/// A config file whose current context holds `body` (the context's keys, unindented).
pub(crate) fn context(dir: &Path, body: &str) -> PathBuf {
    let keys: String = body.lines().map(|l| format!("    {l}\n")).collect();
    write_file(
        dir,
        &format!("{}.yaml", unique("kbp")),
        &format!("current-context: c\ncontexts:\n  c:\n{keys}"),
    )
}

/// A topic of 10 records and a group committed at 4 on it: lag 6.
pub(crate) fn lagging(prefix: &str) -> (String, String) {
    let topic = topic_with(&format!("{prefix}-t"), 1, 10);
    let group = unique(&format!("{prefix}-g"));
    commit(&group, &[(&topic, 0, 4)]);
    (topic, group)
}

/// `kbp lag -g GROUP -o json` through the config file `cfg` (with `env`): the group's lag.
pub(crate) fn lag_via(cfg: &Path, env: &[(&str, &str)], group: &str) -> i64 {
    let mut k = kbp().env("KBP_CONFIG", cfg);
    for (name, value) in env {
        k = k.env(name, value);
    }
    let r = k
        .args(["--timeout", TIMEOUT, "lag", "-g", group, "-o", "json"])
        .expect(0);
    let v: serde_json::Value = r.json();
    v["groups"][0]["total_lag"].as_i64().unwrap()
}

/// Runs `args` and expects a prompt refusal: exit `code`, stderr naming `says`, never the
/// timeout.
pub(crate) fn refused(k: Kbp, code: i32, says: &str) -> Run {
    let r = k.expect(code);
    assert!(
        r.stderr.to_lowercase().contains(&says.to_lowercase()),
        "expected '{says}' in:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.to_lowercase().contains("timed out"),
        "{}",
        r.stderr
    );
    assert!(r.elapsed < FAST, "took {:?}:\n{}", r.elapsed, r.stderr);
    r
}

pub(crate) fn ca(name: &str) -> String {
    tls_dir().join(name).display().to_string()
}

#[test]
fn tls_with_a_private_ca_from_a_context_and_from_x() {
    let (_, group) = lagging("sec-tls");
    let dir = tempfile::tempdir().unwrap();
    let cfg = context(
        dir.path(),
        &format!(
            "bootstrap-servers: {}\nsecurity-protocol: SSL\ntls:\n  ca: {}\n",
            listener("ssl"),
            ca("ca.pem")
        ),
    );
    assert_eq!(lag_via(&cfg, &[], &group), 6);
    let r = kbp()
        .args(["-b", &listener("ssl"), "--timeout", TIMEOUT])
        .args(["-X", "security.protocol=SSL"])
        .args(["-X", &format!("ssl.ca.location={}", ca("ca.pem"))])
        .args(["lag", "-g", &group, "-o", "json"])
        .expect(0);
    let v: serde_json::Value = r.json();
    assert_eq!(v["groups"][0]["total_lag"], 6);
}

#[test]
fn tls_refusals_end_at_once_naming_the_cause() {
    let ssl = listener("ssl");
    let port = ssl.rsplit_once(':').unwrap().1.to_string();
    let cases = [
        // Signed by a CA kbp was not told to trust.
        (
            ssl.clone(),
            ca("other-ca.pem"),
            "not signed by a CA kbp trusts",
        ),
        // The expired listener's certificate ended 9 days ago.
        (listener("expired"), ca("ca.pem"), "certificate has expired"),
        // The certificate names IP 127.0.0.1 only.
        (
            format!("localhost:{port}"),
            ca("ca.pem"),
            "hostname mismatch",
        ),
    ];
    for (bootstrap, ca_file, says) in cases {
        for command in [&["lag"][..], &["brokers"], &["lag", "-g", "any"]] {
            let r = refused(
                kbp()
                    .args(["-b", &bootstrap, "--timeout", TIMEOUT])
                    .args(["-X", "security.protocol=SSL"])
                    .args(["-X", &format!("ssl.ca.location={ca_file}")])
                    .args(command),
                3,
                says,
            );
            assert!(r.stderr.contains(&bootstrap), "{}", r.stderr);
        }
    }
}

#[test]
fn mutual_tls_with_plain_and_encrypted_keys() {
    let (_, group) = lagging("sec-mtls");
    let dir = tempfile::tempdir().unwrap();
    let base = format!(
        "bootstrap-servers: {}\nsecurity-protocol: SSL\ntls:\n  ca: {}\n  cert: {}\n",
        listener("mtls"),
        ca("ca.pem"),
        ca("client.pem")
    );
    let plain = context(dir.path(), &format!("{base}  key: {}\n", ca("client.key")));
    assert_eq!(lag_via(&plain, &[], &group), 6);

    let encrypted = format!("{base}  key: {}\n", ca("client-enc.key"));
    let from_env = context(
        dir.path(),
        &format!("{encrypted}  key-password-env: KBP_TEST_KEY_PW\n"),
    );
    let password = std::fs::read_to_string(tls_dir().join("client-key.password")).unwrap();
    assert_eq!(
        lag_via(&from_env, &[("KBP_TEST_KEY_PW", password.trim())], &group),
        6
    );
    let from_file = context(
        dir.path(),
        &format!(
            "{encrypted}  key-password-file: {}\n",
            ca("client-key.password")
        ),
    );
    assert_eq!(lag_via(&from_file, &[], &group), 6);

    // The key password is a secret: `config view` never shows it.
    let view = kbp()
        .env("KBP_CONFIG", &from_env)
        .env("KBP_TEST_KEY_PW", password.trim())
        .args(["config", "view", "-o", "json"])
        .expect(0);
    assert!(!view.stdout.contains(password.trim()), "{}", view.stdout);
    let v: serde_json::Value = view.json();
    assert_eq!(v["properties"]["ssl.key.password"], "[redacted]");
    assert_eq!(
        v["properties"]["ssl.certificate.location"],
        ca("client.pem")
    );

    // A wrong key password is found before the cluster is asked.
    let wrong = kbp()
        .env("KBP_CONFIG", &from_env)
        .env("KBP_TEST_KEY_PW", "not-the-key-password")
        .args(["lag", "-g", &group])
        .expect(2);
    assert!(wrong.stderr.contains("ssl.key"), "{}", wrong.stderr);
    assert!(!wrong.stderr.contains("not-the-key-password"));
}

#[test]
fn mutual_tls_without_a_client_certificate_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = context(
        dir.path(),
        &format!(
            "bootstrap-servers: {}\nsecurity-protocol: SSL\ntls:\n  ca: {}\n",
            listener("mtls"),
            ca("ca.pem")
        ),
    );
    refused(
        kbp()
            .env("KBP_CONFIG", &cfg)
            .args(["--timeout", TIMEOUT, "lag"]),
        3,
        "requires a client certificate",
    );
}

#[test]
fn sasl_ssl_with_scram_sha_256_scram_sha_512_and_plain() {
    let (_, group) = lagging("sec-saslssl");
    let dir = tempfile::tempdir().unwrap();
    for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] {
        let cfg = context(
            dir.path(),
            &format!(
                "bootstrap-servers: {}\nsecurity-protocol: SASL_SSL\nsasl:\n  mechanism: {mechanism}\n  username: kbp\n  password-env: KBP_TEST_PW\ntls:\n  ca: {}\n",
                listener("sasl-ssl"),
                ca("ca.pem")
            ),
        );
        assert_eq!(
            lag_via(&cfg, &[("KBP_TEST_PW", "kbp-secret")], &group),
            6,
            "{mechanism}"
        );
        let r = refused(
            kbp()
                .env("KBP_CONFIG", &cfg)
                .env("KBP_TEST_PW", "wrong-pw-4242")
                .args(["--timeout", TIMEOUT, "lag", "-g", &group]),
            3,
            "authentication failed",
        );
        assert!(!r.stderr.contains("wrong-pw-4242"), "{}", r.stderr);
        eprintln!("{mechanism}: wrong password refused in {:?}", r.elapsed);
    }
}

/// `kbp` as the restricted principal, over SASL_PLAINTEXT (SCRAM-SHA-512).
fn limited() -> Kbp {
    kbp()
        .args(["-b", &sasl_bootstrap(), "--timeout", TIMEOUT])
        .args(["-X", "security.protocol=SASL_PLAINTEXT"])
        .args(["-X", "sasl.mechanism=SCRAM-SHA-512"])
        .args(["-X", &format!("sasl.username={LIMITED_USER}")])
        .args(["-X", &format!("sasl.password={LIMITED_PASSWORD}")])
}

/// The ACLs the harness gave `kbp-limited` cover exactly these names.
fn limited_may_describe(group: &str) -> bool {
    group.starts_with("lim-") || group.starts_with("limd-")
}

#[test]
fn lag_of_all_groups_shows_only_what_the_principal_may_describe() {
    let (_, allowed) = lagging("lim-all");
    let (_, hidden) = lagging("sec-hidden");
    let r = limited()
        .args(["lag", "--all-groups", "-o", "json"])
        .expect(0);
    let v: serde_json::Value = r.json();
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert!(groups.contains(&allowed.as_str()), "{groups:?}");
    assert!(!groups.contains(&hidden.as_str()), "{groups:?}");
    assert!(groups.iter().all(|g| limited_may_describe(g)), "{groups:?}");
    // The count on stderr is of the groups Kafka listed (the principal may describe the
    // cluster) and would not describe: at least the hidden one.
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("not authorized to describe"))
        .unwrap_or_else(|| panic!("no count on stderr:\n{}", r.stderr));
    let n: usize = line
        .split("describe ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line}"));
    assert!(n >= 1, "{line}");
}

#[test]
fn a_named_group_or_topic_without_describe_is_not_authorized() {
    let (topic, hidden) = lagging("sec-named");
    let (lim_topic, allowed) = lagging("lim-named");
    for args in [
        vec!["lag", "-g", &hidden],
        vec!["lag", "-g", &allowed, "-g", &hidden],
        vec!["diagnose", "-g", &hidden],
        vec!["offsets", "export", "-g", &hidden],
    ] {
        let r = refused(limited().args(&args), 9, "not authorized");
        assert!(
            r.stderr
                .contains(&format!("DESCRIBE on consumer group {hidden}")),
            "{}",
            r.stderr
        );
    }
    let r = refused(
        limited().args(["lag", "-g", &allowed, "-t", &topic]),
        9,
        "not authorized",
    );
    assert!(
        r.stderr.contains(&format!("DESCRIBE on topic {topic}")),
        "{}",
        r.stderr
    );
    // What the principal may read, it reads.
    let r = limited()
        .args(["lag", "-g", &allowed, "-t", &lim_topic, "-o", "json"])
        .expect(0);
    assert_eq!(r.json::<serde_json::Value>()["groups"][0]["total_lag"], 6);
}

/// The committed offsets of `group` as the super user sees them (Apache's tool).
fn committed(group: &str) -> Vec<Option<i64>> {
    apache_describe(group).into_values().map(|r| r.0).collect()
}

#[test]
fn drain_without_read_or_write_fails_before_joining() {
    let (lim_topic, lim_group) = lagging("lim-drain");
    let (nope_topic, _) = lagging("sec-drain");
    let nope_group = unique("sec-drain-g");
    let limd_group = unique("limd-drain-g");
    commit(&limd_group, &[(&lim_topic, 0, 4)]);
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec![
                "-g".into(),
                lim_group.clone(),
                "-t".into(),
                nope_topic.clone(),
            ],
            format!("READ on topic {nope_topic}"),
        ),
        (
            vec![
                "-g".into(),
                nope_group.clone(),
                "-t".into(),
                lim_topic.clone(),
            ],
            format!("READ on group {nope_group}"),
        ),
        // DESCRIBE alone on the group is not enough to join it.
        (
            vec![
                "-g".into(),
                limd_group.clone(),
                "-t".into(),
                lim_topic.clone(),
            ],
            format!("READ on group {limd_group}"),
        ),
        // A topic sink it may read but not write.
        (
            vec![
                "-g".into(),
                lim_group.clone(),
                "-t".into(),
                lim_topic.clone(),
                "--sink".into(),
                format!("topic:{lim_topic}"),
            ],
            format!("WRITE on topic {lim_topic}"),
        ),
        (
            vec![
                "-g".into(),
                lim_group.clone(),
                "-t".into(),
                lim_topic.clone(),
                "--on-failure".into(),
                format!("dlq:{nope_topic}"),
            ],
            format!("WRITE on topic {nope_topic}"),
        ),
    ];
    for (args, says) in cases {
        let r = refused(
            limited()
                .args(["drain", "--until", "end"])
                .args(&args)
                .args(if args.contains(&"--sink".to_string()) {
                    vec![]
                } else {
                    vec!["--sink", "null"]
                }),
            9,
            &says,
        );
        assert!(r.stderr.contains("kbp drain needs"), "{}", r.stderr);
    }
    // Nothing was consumed or committed: the groups' commits are as they were.
    assert_eq!(committed(&lim_group), vec![Some(4)]);
    assert_eq!(committed(&limd_group), vec![Some(4)]);
    assert!(committed(&nope_group).is_empty());

    // With READ on both and WRITE on the sink, it drains.
    let out = unique("limw-out");
    create_topic(&out, 1);
    let r = limited()
        .drain_until_end(&lim_group, &lim_topic, &format!("topic:{out}"))
        .args(["--summary", "json"])
        .expect(0);
    assert_eq!(r.summary()["processed"], 6, "{}", r.stdout);
    assert_eq!(committed(&lim_group), vec![Some(10)]);
}

#[test]
fn offsets_writes_refuse_cleanly_without_the_acl() {
    // READ on `lim-*` groups and topics; DESCRIBE only on `limd-*` groups and (through
    // WRITE) on `limw-*` topics; DELETE on nothing.
    let (lim_topic, lim_group) = lagging("lim-offsets");
    let limd_group = unique("limd-offsets-g");
    commit(&limd_group, &[(&lim_topic, 0, 4)]);
    let write_only = topic_with("limw-offsets", 1, 10);
    commit(&lim_group, &[(&write_only, 0, 4)]);
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().display().to_string();
    let cases: [(Vec<&str>, String); 4] = [
        (
            vec![
                "offsets",
                "reset",
                "-g",
                &limd_group,
                "-t",
                &lim_topic,
                "--to-earliest",
            ],
            format!("kbp offsets reset --execute needs READ on group {limd_group}"),
        ),
        (
            vec![
                "offsets",
                "reset",
                "-g",
                &lim_group,
                "-t",
                &write_only,
                "--to-earliest",
            ],
            format!("kbp offsets reset --execute needs READ on topic {write_only}"),
        ),
        (
            vec!["offsets", "delete", "-g", &lim_group, "-t", &lim_topic],
            format!("kbp offsets delete --execute needs DELETE on group {lim_group}"),
        ),
        (
            vec!["group", "delete", &limd_group],
            format!("kbp group delete --execute needs DELETE on group {limd_group}"),
        ),
    ];
    for (args, says) in cases {
        // The plan says the write would be refused …
        let plan = limited().args(&args).expect(0);
        assert!(
            plan.stderr.contains("--execute would be refused (exit 9)"),
            "{}",
            plan.stderr
        );
        // … and the write is refused before a restore file or a commit is written.
        refused(
            limited()
                .args(&args)
                .args(["--execute", "--restore-dir", &dir]),
            9,
            &says,
        );
    }
    assert_eq!(std::fs::read_dir(state.path()).unwrap().count(), 0);
    assert_eq!(committed(&limd_group), vec![Some(4)]);
    let lim: Vec<Option<i64>> = committed(&lim_group);
    assert_eq!(lim, vec![Some(4), Some(4)]);
}

#[test]
fn config_view_redacts_every_secret_of_each_mechanism() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = write_file(dir.path(), "pw", "file-secret-777\n");
    let cfg = context(
        dir.path(),
        &format!(
            "bootstrap-servers: {}\nsecurity-protocol: SASL_SSL\nsasl:\n  mechanism: PLAIN\n  username: kbp\n  password-env: KBP_TEST_PW\ntls:\n  ca: {}\n  cert: {}\n  key: {}\n  key-password-file: {}\n",
            listener("sasl-ssl"),
            ca("ca.pem"),
            ca("client.pem"),
            ca("client-enc.key"),
            secret_file.display()
        ),
    );
    let view = kbp()
        .env("KBP_CONFIG", &cfg)
        .env("KBP_TEST_PW", "env-secret-555")
        .args(["config", "view", "-o", "yaml"])
        .expect(0);
    for secret in ["env-secret-555", "file-secret-777"] {
        assert!(!view.stdout.contains(secret), "{}", view.stdout);
        assert!(!view.stderr.contains(secret), "{}", view.stderr);
    }
    assert!(
        view.stdout.contains("sasl.password: '[redacted]'")
            && view.stdout.contains("ssl.key.password: '[redacted]'"),
        "{}",
        view.stdout
    );
}
