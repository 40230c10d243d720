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
use axum::http::{header, StatusCode};
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

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    match shared.scrape() {
        Ok(body) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

async fn ready(State(shared): State<Arc<Shared>>) -> Response {
    match shared.ready() {
        Ok(()) => "ready\n".into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response(),
    }
}
