//! What `kbp serve` knows between refreshes: each cluster's last good metric families as
//! exposition text (encoded and deflated once per refresh, not per scrape), and kbp's own
//! health.
//!
//! Refreshers write, scrapes read. The page is a list of shared deflated pieces (each
//! family's header, then each cluster's samples of it; [`super::gzip`]), so a scrape
//! copies none of it: a gzip scrape costs the few health series, whatever the number of
//! groups, and a plain one inflates the pieces as the client reads them.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::gzip::{self, Deflater, Piece, Sum};
use crate::error::Result;
use crate::output::{prometheus, Metric};

/// A refresh older than this many intervals makes the exporter not ready.
const READY_INTERVALS: u32 = 3;

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// kbp's own series, one set per cluster.
struct Health {
    registry: Registry,
    up: Family<Labels, Gauge>,
    last_refresh: Family<Labels, Gauge<f64, AtomicU64>>,
    staleness: Family<Labels, Gauge<f64, AtomicU64>>,
    duration: HistogramFamily,
    errors: Family<Labels, Counter>,
}

impl Health {
    fn new() -> Health {
        let mut registry = Registry::default();
        let up = Family::<Labels, Gauge>::default();
        let last_refresh = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        let staleness = Family::<Labels, Gauge<f64, AtomicU64>>::default();
        // Help texts without a final period: the registry adds one.
        // docs/metrics.md: from a small cluster's refresh to one at a long --timeout.
        let duration: HistogramFamily = Family::new_with_constructor(|| {
            Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])
        });
        let errors = Family::<Labels, Counter>::default();
        registry.register(
            "kbp_up",
            "1 when the last refresh of the cluster succeeded, 0 when it failed (the values served are older)",
            up.clone(),
        );
        registry.register(
            "kbp_last_refresh_timestamp_seconds",
            "When the last successful refresh of the cluster finished, in seconds since the epoch",
            last_refresh.clone(),
        );
        registry.register(
            "kbp_staleness_seconds",
            "Age of the values served for the cluster: seconds since its last successful refresh",
            staleness.clone(),
        );
        registry.register(
            "kbp_refresh_duration_seconds",
            "How long each refresh of the cluster took, successful or not",
            duration.clone(),
        );
        registry.register(
            "kbp_refresh_errors",
            "Refreshes of the cluster that failed",
            errors.clone(),
        );
        Health {
            registry,
            up,
            last_refresh,
            staleness,
            duration,
            errors,
        }
    }
}

/// One family of one cluster, encoded and deflated.
struct Encoded {
    name: &'static str,
    header: Piece,
    /// Labelled with `cluster`, in pieces; empty when the family has no samples.
    samples: Vec<Piece>,
}

/// The data part of `/metrics`, and the CRC-32 and length of its text.
#[derive(Default)]
struct PageData {
    pieces: Vec<Piece>,
    sum: Sum,
}

struct Cluster {
    name: String,
    /// The families of the last good refresh, labelled with `cluster`.
    families: Mutex<Vec<Encoded>>,
    /// Epoch milliseconds of the last good refresh; 0 before the first.
    last_ok_ms: AtomicU64,
    /// Why the last refresh failed (its error's one line); `None` when it succeeded.
    failing: Mutex<Option<String>>,
}

pub struct Shared {
    clusters: Vec<Cluster>,
    /// The data part of `/metrics`: pieces shared with the clusters' families.
    page: RwLock<Arc<PageData>>,
    health: Health,
    interval: Duration,
}

impl Shared {
    pub fn new(names: Vec<String>, interval: Duration) -> Shared {
        let health = Health::new();
        for name in &names {
            // Down until the first refresh says otherwise; no errors yet (rate() needs a 0).
            health.up.get_or_create(&cluster_label(name)).set(0);
            let _ = health.errors.get_or_create(&cluster_label(name));
        }
        Shared {
            clusters: names
                .into_iter()
                .map(|name| Cluster {
                    name,
                    families: Mutex::new(Vec::new()),
                    last_ok_ms: AtomicU64::new(0),
                    failing: Mutex::new(None),
                })
                .collect(),
            page: RwLock::new(Arc::default()),
            health,
            interval,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn cluster_name(&self, index: usize) -> &str {
        &self.clusters[index].name
    }

    /// A good refresh: its families replace the cluster's (a deleted group's series go).
    pub fn refreshed(&self, index: usize, families: Vec<Metric>, took: Duration) -> Result<()> {
        let c = &self.clusters[index];
        let families = encode_on_two_threads(families, &c.name)?;
        *c.families.lock().unwrap_or_else(|p| p.into_inner()) = families;
        let now = crate::clock::now_ms();
        c.last_ok_ms.store(now, Ordering::Relaxed);
        *c.failing.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let label = cluster_label(&c.name);
        self.health.up.get_or_create(&label).set(1);
        self.health
            .last_refresh
            .get_or_create(&label)
            .set(now as f64 / 1000.0);
        self.health
            .duration
            .get_or_create(&label)
            .observe(took.as_secs_f64());
        self.render()
    }

    /// A failed refresh: the last values stay, marked down; `why` is for `/readyz`.
    pub fn failed(&self, index: usize, took: Duration, why: String) {
        let c = &self.clusters[index];
        *c.failing.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        let label = cluster_label(&c.name);
        self.health.up.get_or_create(&label).set(0);
        self.health.errors.get_or_create(&label).inc();
        self.health
            .duration
            .get_or_create(&label)
            .observe(took.as_secs_f64());
    }

    /// Every cluster's families, merged by name so each family is written once: in the
    /// order they first appear, each cluster's samples in cluster order; a family without
    /// samples in any cluster is left out. The clusters stay locked until the page is
    /// swapped, so two refreshers cannot leave an older merge behind.
    fn render(&self) -> Result<()> {
        let clusters: Vec<_> = self
            .clusters
            .iter()
            .map(|c| c.families.lock().unwrap_or_else(|p| p.into_inner()))
            .collect();
        let mut names: Vec<&'static str> = Vec::new();
        for f in clusters.iter().flat_map(|c| c.iter()) {
            if !names.contains(&f.name) {
                names.push(f.name);
            }
        }
        let mut page = PageData::default();
        for name in names {
            let parts: Vec<&Encoded> = clusters
                .iter()
                .flat_map(|c| c.iter().filter(|f| f.name == name))
                .collect();
            if parts.iter().all(|f| f.samples.is_empty()) {
                continue;
            }
            let pieces = parts.iter().flat_map(|f| f.samples.iter());
            for p in [&parts[0].header].into_iter().chain(pieces) {
                page.sum.add(p);
                page.pieces.push(p.clone());
            }
        }
        *self.page.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(page);
        Ok(())
    }

    /// The `/metrics` body: the last refreshes, then kbp's health as of now; gzipped when
    /// the client takes it.
    pub fn scrape(&self, gzip: bool) -> Result<Page> {
        let now = crate::clock::now_ms();
        for c in &self.clusters {
            let last = c.last_ok_ms.load(Ordering::Relaxed);
            if last > 0 {
                let age = now.saturating_sub(last) as f64 / 1000.0;
                self.health
                    .staleness
                    .get_or_create(&cluster_label(&c.name))
                    .set(age);
            }
        }
        let data = Arc::clone(&self.page.read().unwrap_or_else(|p| p.into_inner()));
        let health = prometheus::encode(&self.health.registry)?;
        Ok(Page::new(data, &health, gzip))
    }

    /// Ready when every cluster's last refresh succeeded and is recent; otherwise why not.
    pub fn ready(&self) -> std::result::Result<(), String> {
        let now = crate::clock::now_ms();
        let limit = (self.interval * READY_INTERVALS).as_millis() as u64;
        let mut why = Vec::new();
        for c in &self.clusters {
            let last = c.last_ok_ms.load(Ordering::Relaxed);
            let failing = c.failing.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(error) = failing {
                let since = match last {
                    0 => "no refresh has succeeded yet".to_string(),
                    _ => format!(
                        "the last success was {} ago",
                        crate::human::compact_duration(now.saturating_sub(last))
                    ),
                };
                why.push(format!(
                    "cluster {}: last refresh failed: {error} ({since})",
                    c.name
                ));
            } else if last == 0 {
                why.push(format!(
                    "cluster {}: the first refresh has not finished yet",
                    c.name
                ));
            } else if now.saturating_sub(last) > limit {
                why.push(format!(
                    "cluster {}: last refresh {} ago, more than 3 x --interval ({}): a refresh is taking longer than it should",
                    c.name,
                    crate::human::compact_duration(now.saturating_sub(last)),
                    humantime::format_duration(self.interval),
                ));
            }
        }
        if why.is_empty() {
            Ok(())
        } else {
            Err(why.join("\n"))
        }
    }
}

/// The families encoded and deflated, half of them on a second thread: at 10,000 groups
/// this is 46 MB of text and about a fifth of a refresh's CPU, and the other core is
/// otherwise idle by then (the cluster has answered). The order is kept.
fn encode_on_two_threads(families: Vec<Metric>, cluster: &str) -> Result<Vec<Encoded>> {
    let encode = |families: Vec<Metric>| -> Result<Vec<Encoded>> {
        let mut deflater = Deflater::default();
        Ok(
            prometheus::encode_apart(families, ("cluster", cluster), |text| deflater.piece(text))?
                .into_iter()
                .map(|e| Encoded {
                    name: e.name,
                    header: deflater.piece(&e.header),
                    samples: e.samples,
                })
                .collect(),
        )
    };
    // Alternate families, so both halves get some of the large per-partition ones.
    let (mut even, mut odd) = (Vec::new(), Vec::new());
    for (i, f) in families.into_iter().enumerate() {
        if i % 2 == 0 {
            even.push(f)
        } else {
            odd.push(f)
        }
    }
    let (even, odd) = std::thread::scope(|scope| {
        let other = scope.spawn(|| encode(odd));
        let mine = encode(even);
        let other = other.join().unwrap_or_else(|_| {
            Err(crate::error::Error::Internal(
                "encoding /metrics panicked".into(),
            ))
        });
        (mine, other)
    });
    let (even, mut odd) = (even?, odd?.into_iter());
    let mut all = Vec::with_capacity(even.len() + odd.len());
    for e in even {
        all.push(e);
        all.extend(odd.next());
    }
    Ok(all)
}

fn cluster_label(name: &str) -> Labels {
    vec![("cluster", name.to_string())]
}

/// A `/metrics` answer: the shared pieces of the last refreshes, then the health series;
/// written piece by piece, with its length known up front.
pub struct Page {
    data: Arc<PageData>,
    /// Whether the pieces go as they are (gzip) or inflated.
    gzip: bool,
    /// Before the pieces: the gzip header.
    head: Option<Bytes>,
    next: usize,
    /// After the pieces: the health series (deflated, then the gzip trailer, for gzip).
    tail: VecDeque<Bytes>,
    left: u64,
}

impl Page {
    fn new(data: Arc<PageData>, health: &str, gzip: bool) -> Page {
        let (head, tail, data_len) = if gzip {
            let health = Deflater::default().piece(health);
            let mut sum = data.sum.clone();
            sum.add(&health);
            let tail = VecDeque::from([health.deflated().clone(), sum.trailer()]);
            let pieces: u64 = data.pieces.iter().map(|p| p.deflated().len() as u64).sum();
            (Some(Bytes::from_static(&gzip::HEADER)), tail, pieces)
        } else {
            let tail = VecDeque::from([Bytes::from(health.to_string())]);
            (None, tail, data.sum.len())
        };
        let left = data_len
            + head
                .iter()
                .chain(&tail)
                .map(|b| b.len() as u64)
                .sum::<u64>();
        Page {
            data,
            gzip,
            head,
            next: 0,
            tail,
            left,
        }
    }

    fn next_frame(&mut self) -> std::io::Result<Option<Bytes>> {
        if let Some(h) = self.head.take() {
            return Ok(Some(h));
        }
        if let Some(p) = self.data.pieces.get(self.next) {
            self.next += 1;
            return if self.gzip {
                Ok(Some(p.deflated().clone()))
            } else {
                p.inflate().map(Some)
            };
        }
        Ok(self.tail.pop_front())
    }

    #[cfg(test)]
    fn text(mut self) -> String {
        let gzip = self.gzip;
        let mut bytes = Vec::new();
        while let Some(b) = self.next_frame().unwrap() {
            bytes.extend_from_slice(&b);
        }
        assert_eq!(self.left, bytes.len() as u64, "the announced length");
        if gzip {
            use std::io::Read;
            let mut text = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .unwrap();
            text
        } else {
            String::from_utf8(bytes).unwrap()
        }
    }
}

impl http_body::Body for Page {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<std::io::Result<Frame<Bytes>>>> {
        let frame = match self.next_frame() {
            Ok(Some(b)) => {
                self.left = self.left.saturating_sub(b.len() as u64);
                Some(Ok(Frame::data(b)))
            }
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        };
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        Body::new(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(value: f64) -> Vec<Metric> {
        let mut m = Metric::new("kafka_consumergroup_lag", "Lag.", &["consumergroup"]);
        m.push(&["g"], value);
        vec![m]
    }

    /// The page as text, checked to be the same whether sent plain or gzipped.
    fn page(s: &Shared) -> String {
        let plain = s.scrape(false).unwrap().text();
        let zipped = s.scrape(true).unwrap().text();
        let steady = |t: &str| -> String {
            t.lines()
                .filter(|l| !l.starts_with("kbp_staleness_seconds{"))
                .collect()
        };
        assert_eq!(steady(&plain), steady(&zipped));
        plain
    }

    #[test]
    fn families_encoded_on_two_threads_keep_their_order() {
        const NAMES: [&str; 5] = ["kbp_a", "kbp_b", "kbp_c", "kbp_d", "kbp_e"];
        let families = NAMES
            .iter()
            .map(|name| {
                let mut m = Metric::new(name, "A family.", &["consumergroup"]);
                m.push(&["g"], 1.0);
                m
            })
            .collect();
        let encoded = encode_on_two_threads(families, "c").unwrap();
        let names: Vec<&str> = encoded.iter().map(|e| e.name).collect();
        assert_eq!(names, NAMES);
        let text = encoded[3].samples[0].inflate().unwrap();
        assert_eq!(&text[..], b"kbp_d{cluster=\"c\",consumergroup=\"g\"} 1.0\n");
    }

    #[test]
    fn clusters_share_families_and_failures_keep_the_last_values() {
        let s = Shared::new(vec!["a".into(), "b".into()], Duration::from_secs(15));
        assert!(s.ready().is_err(), "not ready before the first refresh");
        s.refreshed(0, lag(3.0), Duration::from_millis(20)).unwrap();
        s.refreshed(1, lag(5.0), Duration::from_millis(20)).unwrap();
        let body = page(&s);
        assert_eq!(
            body.matches("# TYPE kafka_consumergroup_lag gauge").count(),
            1
        );
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"a\",consumergroup=\"g\"} 3.0"));
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"b\",consumergroup=\"g\"} 5.0"));
        assert!(body.contains("kbp_up{cluster=\"b\"} 1"));
        assert!(s.ready().is_ok());

        s.failed(
            1,
            Duration::from_secs(10),
            "cannot reach Kafka at b:9092".into(),
        );
        let body = page(&s);
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"b\",consumergroup=\"g\"} 5.0"));
        assert!(body.contains("kbp_up{cluster=\"b\"} 0"));
        assert!(body.contains("kbp_refresh_errors_total{cluster=\"b\"} 1"));
        assert!(
            body.contains("kbp_refresh_duration_seconds_bucket{cluster=\"b\",le=\"+Inf\"} 2"),
            "{body}"
        );
        let why = s.ready().unwrap_err();
        assert!(
            why.starts_with("cluster b: last refresh failed: cannot reach Kafka at b:9092 (the last success was "),
            "{why}"
        );
        assert!(!why.contains("cluster a"), "{why}");

        // A group gone from the next refresh is gone from the page.
        s.refreshed(0, vec![], Duration::from_millis(20)).unwrap();
        assert!(!page(&s).contains("cluster=\"a\",consumergroup"));
    }
}
