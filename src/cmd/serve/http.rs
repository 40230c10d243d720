//! The HTTP side of `kbp serve`: `/metrics`, `/healthz` and `/readyz`, on axum.
//!
//! A tokio runtime of one thread serves every connection; answers come from
//! [`Shared`](super::state::Shared) and never wait for Kafka. The first SIGINT or SIGTERM
//! stops accepting, lets answers in progress finish, and returns within a second.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::state::Shared;
use crate::error::{Error, Result};
use crate::output::prometheus::CONTENT_TYPE;

pub struct Server {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds `--listen` at once, so a port in use fails before any cluster is asked.
    pub fn bind(addr: SocketAddr, shared: Arc<Shared>) -> Result<Server> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::io("starting the HTTP runtime", e))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(addr))
            .map_err(|e| Error::usage(format!("--listen {addr}: {e}")))?;
        Ok(Server {
            runtime,
            listener,
            shared,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `signals` counts a SIGINT or SIGTERM.
    pub fn run(self, signals: Arc<AtomicUsize>) -> Result<()> {
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .with_state(self.shared);
        let stop = async move {
            while signals.load(Ordering::Relaxed) == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        self.runtime
            .block_on(async move {
                axum::serve(self.listener, app)
                    .with_graceful_shutdown(stop)
                    .await
            })
            .map_err(|e| Error::io("serving HTTP", e))
    }
}

async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let gzip = takes_gzip(headers.get_all(header::ACCEPT_ENCODING));
    match shared.scrape(gzip) {
        Ok(body) if gzip => (
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::CONTENT_ENCODING, "gzip"),
                (header::VARY, "accept-encoding"),
            ],
            body,
        )
            .into_response(),
        Ok(body) => (
            [
                (header::CONTENT_TYPE, CONTENT_TYPE),
                (header::VARY, "accept-encoding"),
            ],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

/// Whether an Accept-Encoding takes gzip (RFC 9110 12.5.3): named, or `*`, with a
/// non-zero weight. The page is stored deflated, so this picks between sending it as it
/// is and inflating it; a compression layer would not know that.
fn takes_gzip<'a>(values: impl IntoIterator<Item = &'a HeaderValue>) -> bool {
    let mut star = false;
    for item in values
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or("").to_ascii_lowercase();
        let weight = parts
            .filter_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match coding.as_str() {
            "gzip" | "x-gzip" => return weight > 0.0,
            "*" => star = weight > 0.0,
            _ => {}
        }
    }
    star
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    match shared.ready() {
        Ok(()) => "ready\n".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_sent_to_those_who_take_it() {
        let takes = |values: &[&str]| {
            let values: Vec<HeaderValue> = values
                .iter()
                .map(|v| HeaderValue::from_str(v).unwrap())
                .collect();
            takes_gzip(&values)
        };
        // What Prometheus sends, and curl --compressed.
        assert!(takes(&["gzip"]));
        assert!(takes(&["deflate, gzip"]));
        assert!(takes(&["br;q=1.0, GZIP;q=0.5"]));
        assert!(takes(&["identity", "*"]));
        assert!(!takes(&[]));
        assert!(!takes(&["identity"]));
        assert!(!takes(&["gzip;q=0"]));
        assert!(!takes(&["*;q=0, deflate"]));
        // An explicit refusal wins over a star.
        assert!(!takes(&["*, gzip;q=0"]));
    }
}
