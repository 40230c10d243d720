//! AWS MSK IAM as far as it goes without AWS: a context with `sasl.mechanism: AWS_MSK_IAM`
//! against the real broker's SASL_SSL listener, whose OAUTHBEARER validates JWTs from the
//! harness's OIDC issuer. With credentials, librdkafka gets a token from kbp's callback and
//! sends it; the broker reads it and refuses it (an MSK token is a signed URL, not a JWT
//! of that issuer); without, the callback's reason ends the command. Both exit 3 at once. The token itself is checked in `src/kafka/context.rs`.
//! A kbp built without the `msk-iam` feature says how to build it.

use std::path::Path;

use crate::common::*;

fn msk_context(dir: &Path, sasl_extra: &str) -> std::path::PathBuf {
    write_file(
        dir,
        "config.yaml",
        &format!(
            "current-context: msk\ncontexts:\n  msk:\n    bootstrap-servers: {}\n    \
             sasl: {{mechanism: AWS_MSK_IAM, aws-region: eu-west-1{sasl_extra}}}\n    \
             tls: {{ca: {}}}\n",
            listener("sasl-ssl"),
            tls_dir().join("ca.pem").display()
        ),
    )
}

/// `kbp lag --all-groups` through the MSK context, with `env` (and no AWS settings of
/// the machine: HOME is the temp dir, instance metadata off).
fn lag(dir: &Path, cfg: &Path, env: &[(&str, &str)]) -> Kbp {
    let mut k = kbp()
        .env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("none"));
    for (name, value) in env {
        k = k.env(name, value);
    }
    k.arg("--config")
        .arg(cfg.to_str().unwrap())
        .args(["--timeout", "30s", "lag", "--all-groups"])
}

#[cfg(feature = "msk-iam")]
#[test]
fn msk_iam_tokens_reach_librdkafka_and_a_missing_one_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "kbp-msk-test-secret-9d2f";
    let cfg = msk_context(dir.path(), "");
    let t = std::time::Instant::now();
    let r = lag(
        dir.path(),
        &cfg,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAKBPTESTENV000001"),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ],
    )
    .expect(3);
    assert!(
        r.stderr.contains("SASL authentication error")
            && r.stderr.contains("invalid_token")
            && !r.stderr.contains("Failed to acquire"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(secret), "{}", r.stderr);

    let cfg = msk_context(dir.path(), ", aws-profile: nope");
    let r = lag(dir.path(), &cfg, &[]).expect(3);
    assert!(
        r.stderr.contains("Failed to acquire SASL OAUTHBEARER token: AWS MSK IAM: no token for region eu-west-1 from profile nope"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        t.elapsed()
    );
}

#[cfg(not(feature = "msk-iam"))]
#[test]
fn a_build_without_msk_iam_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = msk_context(dir.path(), "");
    let r = lag(dir.path(), &cfg, &[]).expect(2);
    assert!(
        r.stderr
            .contains("sasl.mechanism AWS_MSK_IAM: this kbp was built without it")
            && r.stderr.contains("--features msk-iam"),
        "{}",
        r.stderr
    );
}
