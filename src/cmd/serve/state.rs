//! What `kbp serve` knows between refreshes: each cluster's last good metric families as
//! exposition text (encoded once per refresh, not per scrape), and kbp's own health.
//!
//! Refreshers write, scrapes read. The page is a list of shared chunks (each family's
//! header, then each cluster's samples of it), so a scrape copies none of its tens of MB:
//! it costs the few health series, whatever the number of groups.

use std::convert::Infallible;
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

/// One family of one cluster, encoded.
struct Encoded {
    name: &'static str,
    header: Bytes,
    /// Labelled with `cluster`, in chunks; empty when the family has no samples.
    samples: Vec<Bytes>,
}

struct Cluster {
    name: String,
    /// The families of the last good refresh, labelled with `cluster`.
    families: Mutex<Vec<Encoded>>,
    /// Epoch milliseconds of the last good refresh; 0 before the first.
    last_ok_ms: AtomicU64,
    /// Whether the last refresh failed.
    failing: std::sync::atomic::AtomicBool,
}

pub struct Shared {
    clusters: Vec<Cluster>,
    /// The data part of `/metrics`: chunks shared with the clusters' families.
    page: RwLock<Arc<Vec<Bytes>>>,
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
                    failing: false.into(),
                })
                .collect(),
            page: RwLock::new(Arc::new(Vec::new())),
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
        let families = prometheus::encode_apart(families, ("cluster", &c.name))?
            .into_iter()
            .map(|e| Encoded {
                name: e.name,
                header: Bytes::from(e.header),
                samples: e.samples.into_iter().map(Bytes::from).collect(),
            })
            .collect();
        *c.families.lock().unwrap_or_else(|p| p.into_inner()) = families;
        let now = crate::clock::now_ms();
        c.last_ok_ms.store(now, Ordering::Relaxed);
        c.failing.store(false, Ordering::Relaxed);
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

    /// A failed refresh: the last values stay, marked down.
    pub fn failed(&self, index: usize, took: Duration) {
        let c = &self.clusters[index];
        c.failing.store(true, Ordering::Relaxed);
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
        let mut page = Vec::new();
        for name in names {
            let parts: Vec<&Encoded> = clusters
                .iter()
                .flat_map(|c| c.iter().filter(|f| f.name == name))
                .collect();
            if parts.iter().all(|f| f.samples.is_empty()) {
                continue;
            }
            page.push(parts[0].header.clone());
            page.extend(parts.iter().flat_map(|f| f.samples.iter().cloned()));
        }
        *self.page.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(page);
        Ok(())
    }

    /// The `/metrics` body: the last refreshes, then kbp's health as of now.
    pub fn scrape(&self) -> Result<Page> {
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
        let health = Bytes::from(prometheus::encode(&self.health.registry)?);
        Ok(Page::new(data, health))
    }

    /// Ready when every cluster's last refresh succeeded and is recent; otherwise why not.
    pub fn ready(&self) -> std::result::Result<(), String> {
        let now = crate::clock::now_ms();
        let limit = (self.interval * READY_INTERVALS).as_millis() as u64;
        let mut why = Vec::new();
        for c in &self.clusters {
            let last = c.last_ok_ms.load(Ordering::Relaxed);
            if last == 0 {
                why.push(format!("cluster {}: no successful refresh yet", c.name));
            } else if c.failing.load(Ordering::Relaxed) {
                why.push(format!("cluster {}: the last refresh failed", c.name));
            } else if now.saturating_sub(last) > limit {
                why.push(format!(
                    "cluster {}: last refresh {} ago",
                    c.name,
                    crate::human::compact_duration(now.saturating_sub(last))
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

fn cluster_label(name: &str) -> Labels {
    vec![("cluster", name.to_string())]
}

/// A `/metrics` answer: the shared chunks of the last refreshes, then the health series;
/// written chunk by chunk, with its length known up front.
pub struct Page {
    data: Arc<Vec<Bytes>>,
    next: usize,
    health: Option<Bytes>,
    left: u64,
}

impl Page {
    fn new(data: Arc<Vec<Bytes>>, health: Bytes) -> Page {
        let left = data.iter().chain([&health]).map(|b| b.len() as u64).sum();
        Page {
            data,
            next: 0,
            health: Some(health),
            left,
        }
    }

    #[cfg(test)]
    fn text(&self) -> String {
        let bytes: Vec<u8> = self
            .data
            .iter()
            .chain(self.health.as_ref())
            .flat_map(|b| b.iter().copied())
            .collect();
        String::from_utf8(bytes).unwrap()
    }
}

impl http_body::Body for Page {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        let chunk = match self.data.get(self.next) {
            Some(b) => {
                let b = b.clone();
                self.next += 1;
                Some(b)
            }
            None => self.health.take(),
        };
        if let Some(b) = &chunk {
            self.left -= b.len() as u64;
        }
        Poll::Ready(chunk.map(|b| Ok(Frame::data(b))))
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

    #[test]
    fn clusters_share_families_and_failures_keep_the_last_values() {
        let s = Shared::new(vec!["a".into(), "b".into()], Duration::from_secs(15));
        assert!(s.ready().is_err(), "not ready before the first refresh");
        s.refreshed(0, lag(3.0), Duration::from_millis(20)).unwrap();
        s.refreshed(1, lag(5.0), Duration::from_millis(20)).unwrap();
        let body = s.scrape().unwrap().text();
        assert_eq!(
            body.matches("# TYPE kafka_consumergroup_lag gauge").count(),
            1
        );
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"a\",consumergroup=\"g\"} 3.0"));
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"b\",consumergroup=\"g\"} 5.0"));
        assert!(body.contains("kbp_up{cluster=\"b\"} 1"));
        assert!(s.ready().is_ok());

        s.failed(1, Duration::from_secs(10));
        let body = s.scrape().unwrap().text();
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"b\",consumergroup=\"g\"} 5.0"));
        assert!(body.contains("kbp_up{cluster=\"b\"} 0"));
        assert!(body.contains("kbp_refresh_errors_total{cluster=\"b\"} 1"));
        assert!(
            body.contains("kbp_refresh_duration_seconds_bucket{cluster=\"b\",le=\"+Inf\"} 2"),
            "{body}"
        );
        assert_eq!(s.ready().unwrap_err(), "cluster b: the last refresh failed");

        // A group gone from the next refresh is gone from the page.
        s.refreshed(0, vec![], Duration::from_millis(20)).unwrap();
        assert!(!s
            .scrape()
            .unwrap()
            .text()
            .contains("cluster=\"a\",consumergroup"));
    }
}
