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
    // config.rs has refused malformed lists; anything unreadable is left to librdkafka.
    let Ok(entries) = crate::values::bootstrap_entries(bootstrap) else {
        return Ok(());
    };
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
fn verdict(entries: &[(String, u16)], wait: Duration) -> Option<String> {
    let mut reasons = Vec::new();
    for (host, port) in entries {
        let entry = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let addrs: Vec<SocketAddr> = match (host.as_str(), *port).to_socket_addrs() {
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
}
