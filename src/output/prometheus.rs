//! The Prometheus text exposition format (0.0.4): `-o prometheus` for node_exporter's
//! textfile collector, and the body of `kbp serve`'s `/metrics`.
//!
//! The bytes come from the prometheus-client crate, so HELP and TYPE lines, label
//! escaping and special values (`+Inf`, `NaN`) are what Prometheus parses. Reports become
//! gauge families ([`Metric`]) that a collector hands to the encoder as they are, without a
//! metric object per series: a refresh of ten thousand groups stays a single pass.

use std::io::Write;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{prometheus_text, DescriptorEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::Metric;
use crate::error::{Error, Result};

/// What `/metrics` answers with.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

#[derive(Debug)]
struct Families(Vec<Metric>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        for m in self.0.iter().filter(|m| !m.samples.is_empty()) {
            let mut family = encoder.encode_descriptor(m.name, m.help, None, MetricType::Gauge)?;
            for (labels, value) in &m.samples {
                family.encode_family(labels)?.encode_gauge(value)?;
            }
        }
        Ok(())
    }
}

/// The families as exposition text; families without samples are left out.
pub fn text(metrics: Vec<Metric>) -> Result<String> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Families(metrics)));
    encode(&registry)
}

/// Any registry (live counters and histograms too) as exposition text.
pub fn encode(registry: &Registry) -> Result<String> {
    let mut out = String::new();
    prometheus_text::encode(&mut out, registry).map_err(|e| Error::Encoding {
        format: "Prometheus text",
        reason: e.to_string(),
    })?;
    Ok(out)
}

pub fn write(metrics: Vec<Metric>, out: &mut dyn Write) -> Result<()> {
    out.write_all(text(metrics)?.as_bytes())
        .map_err(Error::output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format() {
        let m = |name, samples| Metric {
            name,
            help: "Lag.",
            samples,
        };
        let text = text(vec![
            m("x_lag", vec![(vec![("group", "a\"b\\c\nd".into())], 3.0)]),
            m("x_empty", vec![]),
            m("x_eta_seconds", vec![(vec![], f64::INFINITY)]),
        ])
        .unwrap();
        assert_eq!(
            text,
            "# HELP x_lag Lag.\n# TYPE x_lag gauge\nx_lag{group=\"a\\\"b\\\\c\\nd\"} 3.0\n\
             # HELP x_eta_seconds Lag.\n# TYPE x_eta_seconds gauge\nx_eta_seconds +Inf\n"
        );
    }
}
