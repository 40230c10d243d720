//! Why a TLS connection to the cluster failed, named so an operator can act on it.
//!
//! librdkafka reports every rejected broker certificate as "certificate verify failed" and
//! drops OpenSSL's reason, and it retries such a broker until `--timeout`. kbp treats a
//! TLS failure as final (like refused credentials), and on the first one repeats the
//! handshake itself, once, with the same trust settings and host name check, to read
//! OpenSSL's verify result: expired, signed by a CA kbp does not trust, or not naming the
//! host. A broker that refused kbp's own certificate, or its absence, is told apart by the
//! alert it sent.

use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use openssl::ssl::{HandshakeError, SslConnector, SslMethod};
use openssl::x509::{X509Ref, X509VerifyResult, X509};

/// The most the repeated handshake may take.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// The librdkafka TLS settings the repeated handshake copies.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    ca_location: Option<String>,
    ca_pem: Option<String>,
    verify: bool,
    verify_hostname: bool,
    client_cert: bool,
}

impl Trust {
    /// From the session's librdkafka properties (the last value of a key wins, as in
    /// librdkafka).
    pub fn of(properties: &[(String, String)]) -> Trust {
        let get = |key: &str| {
            properties
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let not_false = |key: &str| get(key).is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        Trust {
            ca_location: get("ssl.ca.location"),
            ca_pem: get("ssl.ca.pem"),
            verify: not_false("enable.ssl.certificate.verification"),
            verify_hostname: get("ssl.endpoint.identification.algorithm")
                .is_none_or(|v| !v.eq_ignore_ascii_case("none")),
            client_cert: [
                "ssl.certificate.location",
                "ssl.certificate.pem",
                "ssl.keystore.location",
            ]
            .iter()
            .any(|k| get(k).is_some()),
        }
    }

    fn trusted(&self) -> String {
        match (&self.ca_location, &self.ca_pem) {
            (Some(l), _) if l != "probe" => format!("tls.ca / ssl.ca.location {l}"),
            (_, Some(_)) => "ssl.ca.pem".into(),
            _ => "the system's CA certificates (set tls.ca or -X ssl.ca.location)".into(),
        }
    }
}

/// Whether a librdkafka error line is a TLS failure that retrying will not mend: a
/// handshake that failed, or an alert from the broker (not the orderly "close notify").
pub fn is_tls_failure(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("ssl handshake failed")
        || r.contains("certificate verify failed")
        || (r.contains("ssl") && r.contains(" alert ") && !r.contains("close notify"))
}

/// What kbp says for `reason`, a TLS failure librdkafka reported for some broker.
pub fn explain(trust: &Trust, reason: &str) -> String {
    let address = broker_address(reason);
    let at = address.as_deref().unwrap_or("the broker");
    let lower = reason.to_ascii_lowercase();
    if lower.contains(" alert ") && !lower.contains("certificate verify failed") {
        return if trust.client_cert {
            format!("TLS: {at} refused kbp's client certificate (tls.cert): {reason}")
        } else {
            format!(
                "TLS: {at} requires a client certificate (mutual TLS) and kbp sent none: set tls.cert and tls.key in the context (or -X ssl.certificate.location and ssl.key.location) ({reason})"
            )
        };
    }
    match address.as_deref().and_then(|a| probe(trust, a)) {
        Some(why) => format!("TLS handshake with {at} failed: {why}"),
        None => format!("TLS: {reason}"),
    }
}

/// `HOST:PORT` of the broker a librdkafka line names (`ssl://HOST:PORT/ID: …`).
fn broker_address(reason: &str) -> Option<String> {
    let rest = &reason[reason.find("://")? + 3..];
    let end = rest.find('/')?;
    Some(rest[..end].to_string()).filter(|a| !a.is_empty() && !a.contains(' '))
}

/// The handshake again, with OpenSSL's verify result; `None` when it passed or could not
/// be tried (the cause is then left as librdkafka gave it).
fn probe(trust: &Trust, address: &str) -> Option<String> {
    if !trust.verify {
        return None;
    }
    let host = address
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))?;
    let addr = address.to_socket_addrs().ok()?.next()?;
    let tcp = TcpStream::connect_timeout(&addr, PROBE_WAIT).ok()?;
    tcp.set_read_timeout(Some(PROBE_WAIT)).ok()?;
    tcp.set_write_timeout(Some(PROBE_WAIT)).ok()?;
    let mut builder = SslConnector::builder(SslMethod::tls_client()).ok()?;
    match (&trust.ca_location, &trust.ca_pem) {
        (Some(l), _) if l != "probe" && Path::new(l).is_dir() => builder
            .load_verify_locations(None, Some(Path::new(l)))
            .ok()?,
        (Some(l), _) if l != "probe" => builder.set_ca_file(l).ok()?,
        (_, Some(pem)) => {
            for cert in X509::stack_from_pem(pem.as_bytes()).ok()? {
                builder.cert_store_mut().add_cert(cert).ok()?;
            }
        }
        _ => builder.set_default_verify_paths().ok()?,
    }
    let mut config = builder.build().configure().ok()?;
    config.set_verify_hostname(trust.verify_hostname);
    match config.connect(host, tcp) {
        Err(HandshakeError::Failure(mid)) => {
            let verdict = mid.ssl().verify_result();
            let leaf = mid.ssl().peer_cert_chain().and_then(|c| c.get(0));
            (verdict != X509VerifyResult::OK).then(|| describe(trust, verdict, leaf, host))
        }
        _ => None,
    }
}

/// OpenSSL's verify result in the operator's terms, with what the certificate says.
fn describe(
    trust: &Trust,
    verdict: X509VerifyResult,
    leaf: Option<&X509Ref>,
    host: &str,
) -> String {
    // X509_V_ERR_* codes (openssl/x509_vfy.h).
    const UNABLE_TO_GET_ISSUER_CERT: i32 = 2;
    const CERT_NOT_YET_VALID: i32 = 9;
    const CERT_HAS_EXPIRED: i32 = 10;
    const DEPTH_ZERO_SELF_SIGNED_CERT: i32 = 18;
    const SELF_SIGNED_CERT_IN_CHAIN: i32 = 19;
    const UNABLE_TO_GET_ISSUER_CERT_LOCALLY: i32 = 20;
    const UNABLE_TO_VERIFY_LEAF_SIGNATURE: i32 = 21;
    const HOSTNAME_MISMATCH: i32 = 62;
    const IP_ADDRESS_MISMATCH: i32 = 64;
    let why = verdict.error_string();
    match verdict.as_raw() {
        CERT_HAS_EXPIRED => match leaf {
            Some(c) => format!(
                "the broker's certificate has expired (valid until {}): {why}",
                c.not_after()
            ),
            None => format!("the broker's certificate has expired: {why}"),
        },
        CERT_NOT_YET_VALID => match leaf {
            Some(c) => format!(
                "the broker's certificate is not valid yet (valid from {}; is this machine's clock right?): {why}",
                c.not_before()
            ),
            None => format!("the broker's certificate is not valid yet: {why}"),
        },
        HOSTNAME_MISMATCH | IP_ADDRESS_MISMATCH => {
            let names = leaf.map(names_of).unwrap_or_default();
            format!(
                "hostname mismatch: the broker's certificate does not name {host} (it names {}): {why}",
                if names.is_empty() { "nothing".into() } else { names.join(", ") }
            )
        }
        UNABLE_TO_GET_ISSUER_CERT
        | DEPTH_ZERO_SELF_SIGNED_CERT
        | SELF_SIGNED_CERT_IN_CHAIN
        | UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        | UNABLE_TO_VERIFY_LEAF_SIGNATURE => format!(
            "the broker's certificate is not signed by a CA kbp trusts ({}): {why}",
            trust.trusted()
        ),
        _ => format!("the broker's certificate was rejected: {why}"),
    }
}

/// The DNS names and IP addresses a certificate's subjectAltName lists.
fn names_of(cert: &X509Ref) -> Vec<String> {
    let Some(sans) = cert.subject_alt_names() else {
        return vec![];
    };
    sans.iter()
        .filter_map(|n| {
            if let Some(d) = n.dnsname() {
                return Some(format!("DNS {d}"));
            }
            let ip: IpAddr = match n.ipaddress()? {
                b if b.len() == 4 => <[u8; 4]>::try_from(b).ok()?.into(),
                b => <[u8; 16]>::try_from(b).ok()?.into(),
            };
            Some(format!("IP {ip}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_told_from_transient_ones() {
        assert!(is_tls_failure("ssl://h:1/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified"));
        assert!(is_tls_failure("ssl://h:1/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42"));
        assert!(!is_tls_failure("ssl://h:1/1: Receive failed: error:0A000126:SSL routines::unexpected eof while reading"));
        assert!(!is_tls_failure(
            "ssl://h:1/1: SSL routines::sslv3 alert close notify"
        ));
        assert!(!is_tls_failure(
            "h:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused"
        ));
    }

    #[test]
    fn broker_address_is_read_from_librdkafkas_line() {
        assert_eq!(
            broker_address("ssl://127.0.0.1:9093/bootstrap: SSL handshake failed").as_deref(),
            Some("127.0.0.1:9093")
        );
        assert_eq!(
            broker_address("sasl_ssl://[::1]:9093/1: x").as_deref(),
            Some("[::1]:9093")
        );
        assert_eq!(broker_address("no address here"), None);
    }

    #[test]
    fn a_missing_client_certificate_is_named() {
        let line = "ssl://127.0.0.1:9/bootstrap: Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42";
        let none = explain(&Trust::of(&[]), line);
        assert!(none.contains("requires a client certificate"), "{none}");
        let with = Trust::of(&[("ssl.certificate.location".into(), "/c.pem".into())]);
        assert!(explain(&with, line).contains("refused kbp's client certificate"));
    }
}
