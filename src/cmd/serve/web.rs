//! `kbp serve --web-config FILE`: TLS and basic auth, configured as Prometheus' exporters are.
//!
//! The file has the format of Prometheus' exporter-toolkit (node_exporter's
//! `--web.config.file`), so a fleet's web configs and bcrypt hashes work unchanged. What
//! kbp does not implement (`cipher_suites`, `http_server_config`, …) is refused by name
//! rather than ignored: a security setting dropped in silence is worse than an error.
//! Relative paths are taken from the file's directory, as exporter-toolkit does.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine;
use openssl::pkey::PKey;
use openssl::ssl::{SslAcceptor, SslMethod, SslVerifyMode, SslVersion};
use openssl::x509::X509;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    #[serde(default)]
    client_auth_type: ClientAuth,
    client_ca_file: Option<PathBuf>,
    #[serde(default)]
    min_version: Version,
    max_version: Option<Version>,
}

/// Go's `tls.ClientAuthType`, by the names exporter-toolkit reads.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
enum ClientAuth {
    #[default]
    NoClientCert,
    RequestClientCert,
    RequireAnyClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

#[derive(Deserialize, Default, Clone, Copy, Debug)]
#[allow(clippy::upper_case_acronyms)]
enum Version {
    TLS10,
    TLS11,
    #[default]
    TLS12,
    TLS13,
}

impl Version {
    fn openssl(self) -> SslVersion {
        match self {
            Version::TLS10 => SslVersion::TLS1,
            Version::TLS11 => SslVersion::TLS1_1,
            Version::TLS12 => SslVersion::TLS1_2,
            Version::TLS13 => SslVersion::TLS1_3,
        }
    }
}

/// What `--web-config` asks of the server.
pub struct WebConfig {
    pub tls: Option<SslAcceptor>,
    pub auth: Option<BasicAuth>,
}

impl WebConfig {
    /// Reads and checks the file: certificates, keys and hashes are loaded now, so a bad
    /// one is exit 2 before any port is bound or cluster asked.
    pub fn load(path: &Path) -> Result<WebConfig> {
        let bad = |key: &str, why: String| {
            let at = if key.is_empty() {
                String::new()
            } else {
                format!("{key}: ")
            };
            Error::usage(format!("--web-config {}: {at}{why}", path.display()))
        };
        let text = std::fs::read_to_string(path).map_err(|e| bad("", e.to_string()))?;
        let file: File = if text.trim().is_empty() {
            File {
                tls_server_config: None,
                basic_auth_users: BTreeMap::new(),
            }
        } else {
            crate::config::duplicate_keys(&text).map_err(|e| bad("", e))?;
            serde_yaml::from_str(&text).map_err(|e| bad("", e.to_string()))?
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        let tls = match file.tls_server_config {
            Some(t) => Some(acceptor(&t, dir, &bad)?),
            None => None,
        };
        let auth = if file.basic_auth_users.is_empty() {
            None
        } else {
            let mut cost = bcrypt::DEFAULT_COST;
            for (user, hash) in &file.basic_auth_users {
                let key = format!("basic_auth_users.{user}");
                match hash.parse::<bcrypt::HashParts>() {
                    Ok(parts) if parts.get_cost() > MAX_COST => {
                        return Err(bad(
                            &key,
                            format!(
                                "bcrypt cost {} takes more than a second to check each password (at most {MAX_COST}; htpasswd -nBC 10 USER)",
                                parts.get_cost()
                            ),
                        ))
                    }
                    Ok(parts) => cost = cost.max(parts.get_cost()),
                    Err(_) => {
                        return Err(bad(
                            &key,
                            "not a bcrypt hash (e.g. from htpasswd -nBC 10 USER)".into(),
                        ))
                    }
                }
            }
            let nobody = bcrypt::hash(b"kbp: no such user", cost)
                .map_err(|e| bad("basic_auth_users", e.to_string()))?;
            Some(BasicAuth {
                users: file.basic_auth_users,
                nobody,
                verified: Mutex::new(HashSet::new()),
            })
        };
        Ok(WebConfig { tls, auth })
    }
}

/// The highest bcrypt cost taken: each step doubles the time a check takes, and a check
/// at cost 13 takes a second (measured on a loaded 2-core machine: 0.1 s at cost 10,
/// 0.39 s at 12, 1.0 s at 13, 2.1 s at 14), which every new client and every wrong
/// password would wait (docs/metrics.md); cost 31 would take days, at start already.
/// Prometheus' own guide uses 10.
const MAX_COST: u32 = 12;

/// A path of the file, taken from the file's directory when relative.
fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

fn acceptor(t: &TlsFile, dir: &Path, bad: &dyn Fn(&str, String) -> Error) -> Result<SslAcceptor> {
    let key_of = |name: &str| format!("tls_server_config.{name}");
    let read = |name: &str, p: &Option<PathBuf>| -> Result<(PathBuf, Vec<u8>)> {
        let p = p
            .as_deref()
            .filter(|p| !p.as_os_str().is_empty())
            .ok_or_else(|| bad(&key_of(name), "missing".into()))?;
        let p = resolve(dir, p);
        let bytes = std::fs::read(&p)
            .map_err(|e| bad(&key_of(name), format!("cannot read {}: {e}", p.display())))?;
        Ok((p, bytes))
    };
    // The versions first: no file needs reading to know that no client could connect.
    for (name, v) in [
        ("min_version", Some(t.min_version)),
        ("max_version", t.max_version),
    ] {
        if let Some(v @ (Version::TLS10 | Version::TLS11)) = v {
            // Mozilla's intermediate profile has no cipher for them, and OpenSSL 3 refuses
            // them at its default security level: no client could use them.
            return Err(bad(
                &key_of(name),
                format!("{v:?} is refused by kbp's TLS (OpenSSL, Mozilla's intermediate profile): use TLS12 or TLS13"),
            ));
        }
    }
    if let Some(max) = t
        .max_version
        .filter(|max| (*max as u8) < (t.min_version as u8))
    {
        return Err(bad(
            &key_of("max_version"),
            format!(
                "{max:?} is below min_version {:?}: no client could connect",
                t.min_version
            ),
        ));
    }
    let (cert_path, cert_pem) = read("cert_file", &t.cert_file)?;
    let (key_path, key_pem) = read("key_file", &t.key_file)?;
    let chain = X509::stack_from_pem(&cert_pem).unwrap_or_default();
    let Some((leaf, rest)) = chain.split_first() else {
        return Err(bad(
            &key_of("cert_file"),
            format!("{}: no PEM certificate in it", cert_path.display()),
        ));
    };
    // An empty password: an encrypted key fails here instead of prompting on a terminal.
    let key = PKey::private_key_from_pem_callback(&key_pem, |_| Ok(0)).map_err(|_| {
        bad(
            &key_of("key_file"),
            format!("{}: not an unencrypted PEM private key", key_path.display()),
        )
    })?;
    let ssl = |e: openssl::error::ErrorStack| bad("tls_server_config", e.to_string());
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).map_err(ssl)?;
    b.set_certificate(leaf).map_err(ssl)?;
    for c in rest {
        b.add_extra_chain_cert(c.clone()).map_err(ssl)?;
    }
    let mismatch = |_| {
        bad(
            &key_of("key_file"),
            format!(
                "{} is not the key of cert_file {}",
                key_path.display(),
                cert_path.display()
            ),
        )
    };
    b.set_private_key(&key).map_err(mismatch)?;
    b.check_private_key().map_err(mismatch)?;
    b.set_min_proto_version(Some(t.min_version.openssl()))
        .map_err(ssl)?;
    b.set_max_proto_version(t.max_version.map(Version::openssl))
        .map_err(ssl)?;
    let verifies = matches!(
        t.client_auth_type,
        ClientAuth::VerifyClientCertIfGiven | ClientAuth::RequireAndVerifyClientCert
    );
    match (&t.client_ca_file, t.client_auth_type) {
        (Some(_), ClientAuth::NoClientCert) => {
            return Err(bad(
                &key_of("client_ca_file"),
                "given without a client_auth_type that asks for client certificates".into(),
            ))
        }
        (None, _) if verifies => {
            return Err(bad(
                &key_of("client_ca_file"),
                format!(
                    "missing: client_auth_type {:?} verifies client certificates against it",
                    t.client_auth_type
                ),
            ))
        }
        (Some(_), _) => {
            let (ca_path, ca_pem) = read("client_ca_file", &t.client_ca_file)?;
            let cas = X509::stack_from_pem(&ca_pem).unwrap_or_default();
            if cas.is_empty() {
                return Err(bad(
                    &key_of("client_ca_file"),
                    format!("{}: no PEM certificate in it", ca_path.display()),
                ));
            }
            for ca in cas {
                // Sent to clients as the CAs kbp accepts, and trusted for verifying them.
                b.add_client_ca(&ca).map_err(ssl)?;
                b.cert_store_mut().add_cert(ca).map_err(ssl)?;
            }
        }
        (None, _) => {}
    }
    let required = SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT;
    match t.client_auth_type {
        ClientAuth::NoClientCert => b.set_verify(SslVerifyMode::NONE),
        ClientAuth::RequestClientCert => b.set_verify_callback(SslVerifyMode::PEER, |_, _| true),
        ClientAuth::RequireAnyClientCert => b.set_verify_callback(required, |_, _| true),
        ClientAuth::VerifyClientCertIfGiven => b.set_verify(SslVerifyMode::PEER),
        ClientAuth::RequireAndVerifyClientCert => b.set_verify(required),
    }
    Ok(b.build())
}

/// `basic_auth_users`: user name to bcrypt hash. A bcrypt check takes tens of
/// milliseconds by design, so a pair that passed once is remembered (as a digest, never
/// the password) and Prometheus' scrapes every few seconds cost nothing.
pub struct BasicAuth {
    users: BTreeMap<String, String>,
    /// Checked for a user that does not exist, so that takes as long as a wrong password.
    nobody: String,
    verified: Mutex<HashSet<[u8; 32]>>,
}

/// Pairs remembered at most; past it the memory starts over.
const REMEMBERED: usize = 1024;

impl BasicAuth {
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Whether an `Authorization` header names a user and the right password.
    pub fn check(&self, authorization: Option<&[u8]>) -> bool {
        let Some((user, password)) = authorization.and_then(basic_credentials) else {
            return false;
        };
        let hash = self.users.get(&user);
        let digest = {
            let mut d = openssl::sha::Sha256::new();
            for part in [user.as_bytes(), b"\0", &password, b"\0"] {
                d.update(part);
            }
            d.update(hash.map_or("", String::as_str).as_bytes());
            d.finish()
        };
        if hash.is_some() && self.verified.lock().is_ok_and(|v| v.contains(&digest)) {
            return true;
        }
        let ok = bcrypt::verify(&password, hash.unwrap_or(&self.nobody)).unwrap_or(false)
            && hash.is_some();
        if ok {
            if let Ok(mut v) = self.verified.lock() {
                if v.len() >= REMEMBERED {
                    v.clear();
                }
                v.insert(digest);
            }
        }
        ok
    }
}

/// `Basic base64(user:password)` (RFC 7617), the user as text, the password as bytes.
fn basic_credentials(header: &[u8]) -> Option<(String, Vec<u8>)> {
    let header = std::str::from_utf8(header).ok()?.trim();
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let colon = raw.iter().position(|&b| b == b':')?;
    let user = String::from_utf8(raw[..colon].to_vec()).ok()?;
    Some((user, raw[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<WebConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.yml");
        std::fs::write(&path, text).unwrap();
        WebConfig::load(&path)
    }

    fn header(user: &str, password: &str) -> Vec<u8> {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        format!("Basic {enc}").into_bytes()
    }

    #[test]
    fn basic_auth_checks_bcrypt_and_remembers_a_pass() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let w = load(&format!("basic_auth_users:\n  alice: '{hash}'\n")).unwrap();
        assert!(w.tls.is_none());
        let a = w.auth.unwrap();
        assert!(a.check(Some(&header("alice", "s3cret"))));
        // The second time from memory, the same answer.
        assert!(a.check(Some(&header("alice", "s3cret"))));
        assert!(!a.check(Some(&header("alice", "wrong"))));
        assert!(!a.check(Some(&header("bob", "s3cret"))));
        assert!(!a.check(Some(b"Bearer s3cret")));
        assert!(!a.check(Some(b"Basic !!!")));
        assert!(!a.check(None));
    }

    #[test]
    fn bad_files_name_the_key() {
        let err = |text: &str| load(text).err().expect(text).to_string();
        let e = err("basic_auth_users:\n  alice: plain-text\n");
        assert!(
            e.contains("basic_auth_users.alice: not a bcrypt hash"),
            "{e}"
        );
        let e = err("tls_server_config:\n  cert_file: a.pem\n  cipher_suites: [x]\n");
        assert!(e.contains("unknown field `cipher_suites`"), "{e}");
        let e = err("tls_server_config:\n  key_file: k.pem\n");
        assert!(e.contains("tls_server_config.cert_file: missing"), "{e}");
        let e = err("tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_auth_type: Sometimes\n");
        assert!(
            e.contains("client_auth_type") && e.contains("Sometimes"),
            "{e}"
        );
        let e = err("tls_server_config:\n  cert_file: nowhere.pem\n  key_file: k.pem\n");
        assert!(
            e.contains("tls_server_config.cert_file: cannot read") && e.contains("nowhere.pem"),
            "{e}"
        );
        assert!(e.starts_with("--web-config "), "{e}");
    }

    #[test]
    fn a_config_no_client_could_use_is_refused_by_key() {
        let err = |text: &str| load(text).err().expect(text).to_string();
        let tls = "tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n";
        let e = err(&format!(
            "{tls}  min_version: TLS13\n  max_version: TLS12\n"
        ));
        assert!(
            e.contains("tls_server_config.max_version: TLS12 is below min_version TLS13"),
            "{e}"
        );
        let e = err(&format!("{tls}  min_version: TLS11\n"));
        assert!(
            e.contains("tls_server_config.min_version: TLS11 is refused"),
            "{e}"
        );
        let e = err(&format!("{tls}  max_version: TLS10\n"));
        assert!(
            e.contains("tls_server_config.max_version: TLS10 is refused"),
            "{e}"
        );
        let hash = |cost: u32| {
            format!("$2y${cost:02}$X0h1gDsPszWURQaxFh.zouZO54J1sNRunKnOnbv.UQv34sOlEHMvG")
        };
        let e = err(&format!(
            "basic_auth_users:\n  a: '{}'\n  b: '{}'\n",
            hash(4),
            hash(13)
        ));
        assert!(e.contains("basic_auth_users.b: bcrypt cost 13"), "{e}");
        let e = err(&format!(
            "basic_auth_users:\n  a: '{}'\n  a: '{}'\n",
            hash(4),
            hash(4)
        ));
        assert!(
            e.contains("basic_auth_users: key `a` is given twice") && e.contains("line 3 column 3"),
            "{e}"
        );
        assert!(load(&format!("basic_auth_users:\n  a: '{}'\n", hash(4))).is_ok());
    }
}
