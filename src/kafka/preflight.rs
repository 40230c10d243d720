//! Fails at once when no bootstrap server can be reached at all.
//!
//! librdkafka retries a refused or unresolvable bootstrap until the request times out, and
//! reports nothing final before that, so `kbp lag -b typo:9092` would wait out `--timeout`
//! for an answer that cannot come. Before the client is created, one plain TCP connect per
//! address settles it: when every name fails to resolve and every address refuses, the
//! cause is known now. Anything else (an answer, a silent address, a slow DNS) leaves the
//! decision to librdkafka within `--timeout`.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The most the check may take; past it kbp goes on as if it had not run.
const CHECK_WAIT: Duration = Duration::from_secs(2);

/// `Err(reason)` when every bootstrap entry is certainly unreachable.
pub fn check(bootstrap: &str, timeout: Duration) -> Result<(), String> {
    let entries: Vec<String> = bootstrap
        .split(',')
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    let wait = timeout.min(CHECK_WAIT);
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kbp-preflight".into())
        .spawn(move || {
            let _ = tx.send(verdict(&entries, wait));
        });
    if spawned.is_err() {
        return Ok(());
    }
    match rx.recv_timeout(wait) {
        Ok(Some(reasons)) => Err(reasons),
        _ => Ok(()),
    }
}

/// `Some(reasons)` when every entry failed for certain; `None` when one answered or the
/// outcome is unknown.
fn verdict(entries: &[String], wait: Duration) -> Option<String> {
    let mut reasons = Vec::new();
    for entry in entries {
        let target = host_port(entry)?;
        let addrs: Vec<SocketAddr> = match target.to_socket_addrs() {
            Ok(a) => a.collect(),
            Err(e) => {
                reasons.push(format!("{entry}: cannot resolve host ({e})"));
                continue;
            }
        };
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, wait) {
                Ok(_) => return None,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    reasons.push(format!(
                        "{entry}: connect to {addr} failed: Connection refused"
                    ));
                }
                Err(_) => return None,
            }
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// `host:port` as the resolver takes it, from a bootstrap entry (`PROTO://`, brackets and
/// librdkafka's default port 9092 handled); `None` for what it cannot read.
fn host_port(entry: &str) -> Option<String> {
    let addr = entry.split_once("://").map_or(entry, |(_, rest)| rest);
    if let Some(rest) = addr.strip_prefix('[') {
        let (host, port) = rest.split_once(']')?;
        let port = port.strip_prefix(':').unwrap_or("9092");
        return Some(format!(
            "[{host}]:{}",
            if port.is_empty() { "9092" } else { port }
        ));
    }
    Some(match addr.rsplit_once(':') {
        Some((host, port)) => format!("{host}:{port}"),
        None => format!("{addr}:9092"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_unresolvable_fail_and_a_listener_passes() {
        // Port 1 on loopback: nothing listens there.
        let e = check("127.0.0.1:1", Duration::from_secs(2)).unwrap_err();
        assert!(e.contains("Connection refused"), "{e}");
        let e = check(
            "no-such-host.invalid:9092,127.0.0.1:1",
            Duration::from_secs(2),
        )
        .unwrap_err();
        assert!(
            e.contains("cannot resolve") && e.contains("Connection refused"),
            "{e}"
        );
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(check(
            &format!("127.0.0.1:1,127.0.0.1:{port}"),
            Duration::from_secs(2)
        )
        .is_ok());
    }

    #[test]
    fn entries_become_resolver_targets() {
        assert_eq!(host_port("SSL://b:9093").unwrap(), "b:9093");
        assert_eq!(host_port("b").unwrap(), "b:9092");
        assert_eq!(host_port("[::1]:7").unwrap(), "[::1]:7");
        assert_eq!(host_port("[::1]").unwrap(), "[::1]:9092");
    }
}
