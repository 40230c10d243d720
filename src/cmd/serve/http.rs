//! The HTTP side of `kbp serve`: `/metrics`, `/healthz` and `/readyz`, on axum.
//!
//! A tokio runtime of one thread serves every connection; answers come from
//! [`Shared`](super::state::Shared) and never wait for Kafka. The first SIGINT or SIGTERM
//! stops accepting, lets answers in progress finish, and returns within a second.
//! With `--web-config` ([`super::web`]), connections are TLS (handshakes run beside the
//! accept loop, so a slow or silent client holds up nobody) and every path asks for basic auth.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::state::Shared;
use super::web::{BasicAuth, WebConfig};
use crate::error::{Error, Result};
use crate::output::prometheus::CONTENT_TYPE;
use openssl::ssl::{Ssl, SslAcceptor};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

pub struct Server {
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    web: Option<WebConfig>,
}

impl Server {
    /// Binds `--listen` at once, so a port in use fails before any cluster is asked.
    pub fn bind(addr: SocketAddr, shared: Arc<Shared>, web: Option<WebConfig>) -> Result<Server> {
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
            web,
        })
    }

    /// `http` or `https`, for the line that says where to scrape.
    pub fn scheme(&self) -> &'static str {
        match self.web.as_ref().and_then(|w| w.tls.as_ref()) {
            Some(_) => "https",
            None => "http",
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `signals` counts a SIGINT or SIGTERM.
    pub fn run(self, signals: Arc<AtomicUsize>) -> Result<()> {
        let mut app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .with_state(self.shared);
        let (tls, auth) = match self.web {
            Some(w) => (w.tls, w.auth),
            None => (None, None),
        };
        if let Some(auth) = auth {
            app = app.layer(axum::middleware::from_fn_with_state(
                Arc::new(auth),
                authorize,
            ));
        }
        let stop = async move {
            while signals.load(Ordering::Relaxed) == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let listener = self.listener;
        self.runtime
            .block_on(async move {
                match tls {
                    Some(acceptor) => {
                        axum::serve(TlsListener::start(listener, acceptor), app)
                            .with_graceful_shutdown(stop)
                            .await
                    }
                    None => {
                        axum::serve(listener, app)
                            .with_graceful_shutdown(stop)
                            .await
                    }
                }
            })
            .map_err(|e| Error::io("serving HTTP", e))
    }
}

/// Answers 401 unless the request carries a user and password of `basic_auth_users`.
async fn authorize(State(auth): State<Arc<BasicAuth>>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec());
    // bcrypt is slow on purpose: off the one thread that serves every connection.
    let ok = tokio::task::spawn_blocking(move || auth.check(header.as_deref()))
        .await
        .unwrap_or(false);
    if ok {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"kbp\"")],
            "Unauthorized\n",
        )
            .into_response()
    }
}

/// How long a client may take over its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// TCP connections that completed a TLS handshake: a task accepts and hands each one to
/// a handshake task of its own; axum takes the finished streams from the channel.
struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(SslStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    fn start(tcp: tokio::net::TcpListener, acceptor: SslAcceptor) -> TlsListener {
        let addr = tcp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = Arc::new(acceptor);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    // Out of file descriptors and the like: as axum's own loop, wait a moment.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (Arc::clone(&acceptor), tx.clone());
                tokio::spawn(async move {
                    // A failed handshake (plain HTTP, an untrusted client certificate) is
                    // the client's to see; the connection is closed.
                    if let Ok(Ok(Some(tls))) =
                        tokio::time::timeout(HANDSHAKE, handshake(&acceptor, stream)).await
                    {
                        let _ = tx.send((tls, peer)).await;
                    }
                });
            }
        });
        TlsListener { ready, addr }
    }
}

async fn handshake(
    acceptor: &SslAcceptor,
    stream: TcpStream,
) -> std::result::Result<Option<SslStream<TcpStream>>, openssl::error::ErrorStack> {
    let mut tls = SslStream::new(Ssl::new(acceptor.context())?, stream)?;
    Ok(Pin::new(&mut tls).accept().await.ok().map(|_| tls))
}

impl axum::serve::Listener for TlsListener {
    type Io = SslStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task ends only with the runtime; until then, nothing comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
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
