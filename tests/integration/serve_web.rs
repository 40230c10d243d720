//! `kbp serve --web-config` (TLS and basic auth, exporter-toolkit's format) as curl, a real
//! Prometheus and `kbp brokers --metrics-url https://…` see it; the certificates are the
//! test broker's PKI (scripts/kafka.sh). Also where `kbp serve` listens by default, and
//! `--metrics-url`'s bearer token as a server receives it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::serve::Served;

const USER: &str = "prom";
const PASSWORD: &str = "web-pw-5c1e";

/// A dir with the broker's certificate and key (the web config names them relatively),
/// the password in a file, and `web.yml` holding `body`.
fn web_dir(body: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let tls = tls_dir();
    for f in ["broker.pem", "broker.key"] {
        std::fs::copy(tls.join(f), dir.path().join(f)).unwrap();
    }
    write_file(dir.path(), "password", &format!("{PASSWORD}\n"));
    let web = write_file(dir.path(), "web.yml", body);
    (dir, web)
}

fn hashed_users() -> String {
    // Cost 4 (the least) keeps the test quick; kbp takes any cost.
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    format!("basic_auth_users:\n  {USER}: '{hash}'\n")
}

/// `curl -sS -D - ARGS`: its exit code, the HTTP status, the response head and body.
fn curl(args: &[&str]) -> (i32, u16, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10", "-D", "-"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let status = text
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (out.status.code().unwrap_or(-1), status, text)
}

fn pem(name: &str) -> String {
    tls_dir().join(name).display().to_string()
}

#[test]
fn tls_and_basic_auth_as_curl_prometheus_and_kbp_brokers_see_them() {
    let (dir, web) = web_dir(&format!(
        "tls_server_config:\n  cert_file: broker.pem\n  key_file: broker.key\n{}",
        hashed_users()
    ));
    let group = unique("web");
    let served = Served::start(&[
        "-b",
        bootstrap(),
        "-g",
        &group,
        "--web-config",
        web.to_str().unwrap(),
    ]);
    assert!(
        served.proc.stderr().contains("https://")
            && served.proc.stderr().contains("basic auth (1 user(s))"),
        "{}",
        served.proc.stderr()
    );
    let url = |path: &str| format!("https://{}{path}", served.addr);
    let ca = pem("ca.pem");
    let auth = format!("{USER}:{PASSWORD}");
    wait_until(
        "/readyz answers 200 over TLS",
        Duration::from_secs(30),
        || curl(&["--cacert", &ca, "-u", &auth, &url("/readyz")]).1 == 200,
    );

    let (code, status, text) = curl(&["--cacert", &ca, "-u", &auth, &url("/metrics")]);
    assert_eq!((code, status), (0, 200), "{text}");
    assert!(text.contains("kbp_up{cluster=\"default\"} 1"), "{text}");
    // The stored gzip goes out as it is, through TLS, to a client that takes it.
    let (_, status, text) = curl(&[
        "--compressed",
        "--cacert",
        &ca,
        "-u",
        &auth,
        &url("/metrics"),
    ]);
    assert_eq!(status, 200, "{text}");
    assert!(
        text.to_ascii_lowercase().contains("content-encoding: gzip") && text.contains("kbp_up{"),
        "{text}"
    );

    // Wrong password, unknown user, no credentials: 401, on every path.
    for (who, path) in [
        (format!("{USER}:wrong"), "/metrics"),
        (format!("nobody:{PASSWORD}"), "/metrics"),
        (format!("{USER}:wrong"), "/healthz"),
    ] {
        let (_, status, text) = curl(&["--cacert", &ca, "-u", &who, &url(path)]);
        assert_eq!(status, 401, "{who} {path}: {text}");
        assert!(!text.contains("kbp_up"), "{text}");
    }
    let (_, status, text) = curl(&["--cacert", &ca, &url("/metrics")]);
    assert_eq!(status, 401, "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("www-authenticate: basic"),
        "{text}"
    );

    // Plain HTTP to the TLS port gets no answer; a client that trusts another CA refuses.
    let (code, status, text) = curl(&["-u", &auth, &format!("http://{}/metrics", served.addr)]);
    assert!(
        code != 0 && status == 0,
        "plain HTTP answered: {code} {text}"
    );
    let (code, _, text) = curl(&[
        "--cacert",
        &pem("other-ca.pem"),
        "-u",
        &auth,
        &url("/metrics"),
    ]);
    assert_eq!(
        code, 60,
        "curl's 'peer certificate cannot be authenticated': {text}"
    );

    // A real Prometheus scrapes it over https with basic auth.
    let password_file = dir.path().join("password").display().to_string();
    let prom = Prometheus::start(Scrape {
        job_yaml: vec![
            "scheme: https".into(),
            format!("tls_config: {{ca_file: '{ca}'}}"),
            format!("basic_auth: {{username: {USER}, password_file: '{password_file}'}}"),
        ],
        ..Scrape::kbp(&[&served.addr])
    });
    let up = prom.wait_for(
        r#"up{job="kbp"} * on() group_left kbp_up{cluster="default"}"#,
        |r| r.len() == 1,
        Duration::from_secs(60),
    );
    assert_eq!(up[0].1, 1.0, "{}", prom.log());

    // kbp brokers --metrics-url scrapes it with the CA and the password from a file.
    let metrics_url = url("/metrics");
    let brokers = |extra: &[&str]| {
        kbp()
            .args([
                "-b",
                bootstrap(),
                "brokers",
                "--window",
                "0s",
                "--metrics-url",
            ])
            .arg(&format!("1={metrics_url}"))
            .args(extra)
    };
    let r = brokers(&["--metrics-ca", &ca, "--metrics-user", USER])
        .args(["--metrics-password-file", &password_file, "-o", "json"])
        .expect(0);
    let v: serde_json::Value = r.json();
    let m = &v["brokers"][0]["metrics"];
    assert_eq!(m["url"], metrics_url.as_str(), "{v}");
    assert!(m["error"].is_null(), "{v}");

    // Each refusal: exit 3 at once, one line, naming the cause, never the password.
    let refused = |k: Kbp, says: &str| {
        let t = Instant::now();
        let r = k.expect(3);
        assert!(
            t.elapsed() < Duration::from_secs(8),
            "took {:?}",
            t.elapsed()
        );
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains(&format!("--metrics-url {metrics_url}: ")),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(says), "expected '{says}' in {}", r.stderr);
        assert!(
            !r.stderr.contains(PASSWORD) && !r.stderr.contains("wrong-pw"),
            "{}",
            r.stderr
        );
    };
    refused(
        brokers(&["--metrics-ca", &pem("other-ca.pem"), "--metrics-user", USER])
            .args(["--metrics-password-file", &password_file]),
        &format!(
            "TLS handshake failed: the endpoint's certificate is not signed by a CA kbp trusts (--metrics-ca {})",
            pem("other-ca.pem")
        ),
    );
    refused(
        brokers(&[
            "--metrics-user",
            USER,
            "--metrics-password-file",
            &password_file,
        ]),
        "not signed by a CA kbp trusts (the system's CA certificates; give --metrics-ca)",
    );
    refused(
        brokers(&[
            "--metrics-ca",
            &ca,
            "--metrics-user",
            USER,
            "--metrics-password-env",
            "KBP_T_PW",
        ])
        .env("KBP_T_PW", "wrong-pw"),
        "the endpoint refused kbp's credentials (HTTP 401)",
    );
    refused(
        brokers(&["--metrics-ca", &ca]),
        "the endpoint asks for credentials (HTTP 401)",
    );
}

#[test]
fn a_client_certificate_is_required_when_the_web_config_says_so() {
    let (_dir, web) = web_dir(&format!(
        "tls_server_config:\n  cert_file: broker.pem\n  key_file: broker.key\n  \
         client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: {}\n  min_version: TLS13\n",
        pem("ca.pem")
    ));
    let served = Served::start(&[
        "-b",
        bootstrap(),
        "-g",
        &unique("web-mtls"),
        "--web-config",
        web.to_str().unwrap(),
    ]);
    let url = format!("https://{}/healthz", served.addr);
    let ca = pem("ca.pem");
    let (code, status, text) = curl(&["--cacert", &ca, &url]);
    assert!(
        code != 0 && status == 0,
        "answered without a client certificate: {text}"
    );
    let (code, status, text) = curl(&[
        "--cacert",
        &ca,
        "--cert",
        &pem("client.pem"),
        "--key",
        &pem("client.key"),
        &url,
    ]);
    assert_eq!((code, status), (0, 200), "{text}");
    // min_version TLS13: a client that stops at TLS 1.2 is refused.
    let (code, status, text) = curl(&[
        "--cacert",
        &ca,
        "--cert",
        &pem("client.pem"),
        "--key",
        &pem("client.key"),
        "--tls-max",
        "1.2",
        &url,
    ]);
    assert!(code != 0 && status == 0, "TLS 1.2 answered: {text}");
}

#[test]
fn a_bad_web_config_is_one_line_naming_the_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cert = pem("broker.pem");
    let key = pem("broker.key");
    let cases = [
        ("basic_auth_users:\n  prom: not-a-hash\n", "basic_auth_users.prom: not a bcrypt hash"),
        ("tls_server_config:\n  key_file: k.pem\n", "tls_server_config.cert_file: missing"),
        (
            &format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"),
            "unknown field `cipher_suites`",
        ),
        (
            &format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  client_auth_type: Sometimes\n"),
            "client_auth_type: unknown variant `Sometimes`",
        ),
        (
            &format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {}\n", pem("client.key")),
            "is not the key of cert_file",
        ),
        (
            &format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  client_auth_type: RequireAndVerifyClientCert\n"),
            "tls_server_config.client_ca_file: missing",
        ),
        (
            &format!("tls_server_config:\n  cert_file: {cert}\n  key_file: {}\n", pem("client-enc.key")),
            "not an unencrypted PEM private key",
        ),
    ];
    for (i, (body, says)) in cases.iter().enumerate() {
        let file = write_file(dir.path(), &format!("web{i}.yml"), body);
        // 127.0.0.1:1 is never asked: the file is read first.
        let r = kbp()
            .args([
                "-b",
                "127.0.0.1:1",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--web-config",
            ])
            .arg(file.to_str().unwrap())
            .expect(2);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("--web-config {}: ", file.display()))
                && r.stderr.contains(says),
            "expected '{says}' in {}",
            r.stderr
        );
    }
    let r = kbp()
        .args([
            "-b",
            "127.0.0.1:1",
            "serve",
            "--web-config",
            "/nonexistent/web.yml",
        ])
        .expect(2);
    assert!(
        r.stderr
            .contains("--web-config /nonexistent/web.yml: No such file"),
        "{}",
        r.stderr
    );
}

/// Without `--listen`, kbp serve binds 127.0.0.1:9308: the line it prints says so, or,
/// when another process has that port, the error does.
#[test]
fn serve_listens_on_localhost_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc = kbp()
        .args(["-b", "127.0.0.1:1", "serve"])
        .start(dir.path(), "serve-default");
    let mut said = String::new();
    wait_until(
        "kbp serve says where it listens",
        Duration::from_secs(20),
        || {
            said = proc.stderr();
            said.contains("http://127.0.0.1:9308/metrics,")
                || (!proc.running() && said.contains("--listen 127.0.0.1:9308: "))
        },
    );
    if proc.running() {
        proc.signal(libc::SIGTERM);
        proc.wait(Duration::from_secs(5));
    }
    assert!(!said.contains("0.0.0.0"), "{said}");
}

#[test]
fn a_bearer_token_from_a_file_reaches_the_endpoint_and_nowhere_else() {
    let page = TextPage::serve("kafka_server_replicamanager_underreplicatedpartitions 0\n");
    let dir = tempfile::tempdir().unwrap();
    let token = "tok-3f9a-secret";
    let file = write_file(dir.path(), "token", &format!("{token}\n"));
    let r = kbp()
        .args([
            "-b",
            bootstrap(),
            "brokers",
            "--window",
            "0s",
            "--metrics-url",
        ])
        .arg(&format!("1=http://{}/metrics", page.addr))
        .args([
            "--metrics-bearer-file",
            file.to_str().unwrap(),
            "-o",
            "json",
        ])
        .expect(0);
    assert_eq!(
        page.authorizations(),
        vec![Some(format!("Bearer {token}")); 2],
        "both scrapes carry the token"
    );
    assert!(
        !r.stdout.contains(token) && !r.stderr.contains(token),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr
            .contains("warning: --metrics-url over http:// sends the credentials in the clear"),
        "{}",
        r.stderr
    );
    let v: serde_json::Value = r.json();
    assert!(v["brokers"][0]["metrics"]["error"].is_null(), "{v}");

    // The token is read at parse time: a missing variable is clap's exit 2, naming it.
    let r = kbp()
        .args([
            "-b",
            bootstrap(),
            "brokers",
            "--metrics-url",
            "http://127.0.0.1:1/",
        ])
        .args(["--metrics-bearer-env", "KBP_T_UNSET_TOKEN"])
        .expect(2);
    assert!(
        r.stderr
            .contains("environment variable KBP_T_UNSET_TOKEN is not set"),
        "{}",
        r.stderr
    );
    // A URL with credentials in it is refused, without echoing them.
    let r = kbp()
        .args([
            "-b",
            bootstrap(),
            "brokers",
            "--metrics-url",
            "https://u:pw-in-url@127.0.0.1:1/",
        ])
        .expect(2);
    assert!(
        r.stderr.contains("--metrics-user") && !r.stderr.contains("pw-in-url"),
        "{}",
        r.stderr
    );
}
