//! What `kbp serve` knows between refreshes: each cluster's last good metric families,
//! their exposition text (rendered once per refresh, not per scrape), and kbp's own health.
//!
//! Refreshers write, scrapes read. A scrape costs a copy of the rendered text plus the few
//! health series, whatever the number of groups.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

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

struct Cluster {
    name: String,
    /// The families of the last good refresh, labelled with `cluster`.
    families: Mutex<Vec<Metric>>,
    /// Epoch milliseconds of the last good refresh; 0 before the first.
    last_ok_ms: AtomicU64,
    /// Whether the last refresh failed.
    failing: std::sync::atomic::AtomicBool,
}

pub struct Shared {
    clusters: Vec<Cluster>,
    rendered: RwLock<Arc<String>>,
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
            rendered: RwLock::new(Arc::new(String::new())),
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
    pub fn refreshed(&self, index: usize, mut families: Vec<Metric>, took: Duration) -> Result<()> {
        let c = &self.clusters[index];
        for m in &mut families {
            for (labels, _) in &mut m.samples {
                labels.insert(0, ("cluster", c.name.clone()));
            }
        }
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

    /// Every cluster's families, merged by name so each family is written once.
    fn render(&self) -> Result<()> {
        let mut merged: Vec<Metric> = Vec::new();
        for c in &self.clusters {
            for m in c.families.lock().unwrap_or_else(|p| p.into_inner()).iter() {
                match merged.iter_mut().find(|f| f.name == m.name) {
                    Some(f) => f.samples.extend(m.samples.iter().cloned()),
                    None => merged.push(m.clone()),
                }
            }
        }
        let text = prometheus::text(merged)?;
        *self.rendered.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(text);
        Ok(())
    }

    /// The `/metrics` body: the last refreshes, then kbp's health as of now.
    pub fn scrape(&self) -> Result<String> {
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
        let data = Arc::clone(&self.rendered.read().unwrap_or_else(|p| p.into_inner()));
        let health = prometheus::encode(&self.health.registry)?;
        let mut body = String::with_capacity(data.len() + health.len());
        body.push_str(&data);
        body.push_str(&health);
        Ok(body)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lag(value: f64) -> Vec<Metric> {
        vec![Metric {
            name: "kafka_consumergroup_lag",
            help: "Lag.",
            samples: vec![(vec![("consumergroup", "g".into())], value)],
        }]
    }

    #[test]
    fn clusters_share_families_and_failures_keep_the_last_values() {
        let s = Shared::new(vec!["a".into(), "b".into()], Duration::from_secs(15));
        assert!(s.ready().is_err(), "not ready before the first refresh");
        s.refreshed(0, lag(3.0), Duration::from_millis(20)).unwrap();
        s.refreshed(1, lag(5.0), Duration::from_millis(20)).unwrap();
        let body = s.scrape().unwrap();
        assert_eq!(
            body.matches("# TYPE kafka_consumergroup_lag gauge").count(),
            1
        );
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"a\",consumergroup=\"g\"} 3.0"));
        assert!(body.contains("kafka_consumergroup_lag{cluster=\"b\",consumergroup=\"g\"} 5.0"));
        assert!(body.contains("kbp_up{cluster=\"b\"} 1"));
        assert!(s.ready().is_ok());

        s.failed(1, Duration::from_secs(10));
        let body = s.scrape().unwrap();
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
        assert!(!s.scrape().unwrap().contains("cluster=\"a\",consumergroup"));
    }
}
