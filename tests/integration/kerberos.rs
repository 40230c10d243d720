//! Kerberos (SASL/GSSAPI) against the real broker's KERBEROS listener and the harness's
//! throwaway MIT KDC (scripts/kafka.sh: realm KBP.TEST, broker principal
//! kafka/127.0.0.1). Built with `--features gssapi` (as scripts/test.sh builds), kbp gets
//! in with a keytab, and a missing or wrong keytab, an unknown principal or a wrong
//! service name ends at once with exit 3 naming the cause. Built without it, a GSSAPI
//! context is refused at once, saying how to build kbp with Kerberos.

use std::path::{Path, PathBuf};

use crate::common::*;
use crate::security::{context, TIMEOUT};
#[cfg(feature = "gssapi")]
use crate::security::{lag_via, lagging, refused};

/// The realm's directory (krb5.conf and the keytabs).
fn krb5_dir() -> PathBuf {
    bootstrap();
    let out = kafka_sh(&["krb5-dir"]);
    assert!(
        out.status.success(),
        "no Kerberos realm: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// A GSSAPI context for `principal` with `keytab`, asking for the service `service`.
fn kerberos_context(dir: &Path, principal: &str, keytab: &Path, service: &str) -> PathBuf {
    context(
        dir,
        &format!(
            "bootstrap-servers: {}\nsecurity-protocol: SASL_PLAINTEXT\nsasl:\n  mechanism: GSSAPI\n  kerberos:\n    service-name: {service}\n    principal: {principal}\n    keytab: {}\n",
            listener("kerberos"),
            keytab.display()
        ),
    )
}

/// The realm's krb5.conf, and a ticket cache of the test's own (never the user's).
#[cfg(feature = "gssapi")]
fn kerberos_env(dir: &Path) -> [(String, String); 2] {
    [
        (
            "KRB5_CONFIG".into(),
            krb5_dir().join("krb5.conf").display().to_string(),
        ),
        (
            "KRB5CCNAME".into(),
            format!("FILE:{}", dir.join(unique("cc")).display()),
        ),
    ]
}

#[cfg(feature = "gssapi")]
#[test]
fn kerberos_with_a_keytab() {
    let (_, group) = lagging("sec-krb");
    let dir = tempfile::tempdir().unwrap();
    let keytab = krb5_dir().join("kbp.keytab");
    let cfg = kerberos_context(dir.path(), "kbp@KBP.TEST", &keytab, "kafka");
    let env = kerberos_env(dir.path());
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(lag_via(&cfg, &env, &group), 6);
    // The keytab's path is no secret: `config view` shows where it is.
    let view = kbp()
        .env("KBP_CONFIG", &cfg)
        .args(["config", "view", "-o", "yaml"])
        .expect(0);
    assert!(
        view.stdout
            .contains(&format!("sasl.kerberos.keytab: {}", keytab.display())),
        "{}",
        view.stdout
    );
}

#[cfg(feature = "gssapi")]
#[test]
fn kerberos_refusals_end_at_once_naming_the_cause() {
    let krb = krb5_dir();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.keytab");
    let cases = [
        // No keytab where the context says.
        ("kbp@KBP.TEST", missing.clone(), "kafka", "not found"),
        // Another principal's keytab.
        (
            "kbp@KBP.TEST",
            krb.join("other.keytab"),
            "kafka",
            "no suitable keys for kbp@KBP.TEST",
        ),
        // A principal the KDC does not know (deleted after its keytab was made).
        (
            "ghost@KBP.TEST",
            krb.join("ghost.keytab"),
            "kafka",
            "not found in Kerberos database",
        ),
        // The right ticket, but for a service the broker is not.
        (
            "kbp@KBP.TEST",
            krb.join("kbp.keytab"),
            "kafka-nope",
            "kafka-nope/127.0.0.1",
        ),
    ];
    for (principal, keytab, service, says) in cases {
        let cfg = kerberos_context(dir.path(), principal, &keytab, service);
        let mut k = kbp().env("KBP_CONFIG", &cfg);
        for (name, value) in kerberos_env(dir.path()) {
            k = k.env(&name, value);
        }
        let r = refused(k.args(["--timeout", TIMEOUT, "lag"]), 3, says);
        eprintln!(
            "{principal} {}: refused in {:?}",
            keytab.display(),
            r.elapsed
        );
    }
}

#[cfg(not(feature = "gssapi"))]
#[test]
fn gssapi_without_the_feature_is_refused_saying_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let keytab = krb5_dir().join("kbp.keytab");
    let cfg = kerberos_context(dir.path(), "kbp@KBP.TEST", &keytab, "kafka");
    let r = kbp()
        .env("KBP_CONFIG", &cfg)
        .args(["--timeout", TIMEOUT, "lag"])
        .expect(2);
    assert!(
        r.stderr.contains("built without Kerberos") && r.stderr.contains("--features gssapi"),
        "{}",
        r.stderr
    );
}
