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

/// Families to encode, each sample's labels led by `leading` when set.
#[derive(Debug)]
struct Families {
    metrics: Vec<Metric>,
    leading: Option<(&'static str, String)>,
}

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        for m in self.metrics.iter().filter(|m| !m.is_empty()) {
            let mut family = encoder.encode_descriptor(m.name, m.help, None, MetricType::Gauge)?;
            let mut result = Ok(());
            m.for_each(|labels, value| {
                if result.is_err() {
                    return;
                }
                result = match &self.leading {
                    Some((k, v)) => family
                        .encode_family(&([(*k, v.as_str())], labels))
                        .and_then(|mut e| e.encode_gauge(&value)),
                    None => family
                        .encode_family(&labels)
                        .and_then(|mut e| e.encode_gauge(&value)),
                };
            });
            result?;
        }
        Ok(())
    }
}

/// Only the HELP and TYPE lines of a family.
#[derive(Debug)]
struct Header {
    name: &'static str,
    help: &'static str,
}

impl Collector for Header {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        encoder
            .encode_descriptor(self.name, self.help, None, MetricType::Gauge)
            .map(drop)
    }
}

/// The families as exposition text; families without samples are left out.
pub fn text(metrics: Vec<Metric>) -> Result<String> {
    encode_collector(Families {
        metrics,
        leading: None,
    })
}

/// One family as exposition text, apart: its HELP and TYPE lines, and its samples.
#[derive(Debug, Clone)]
pub struct Encoded<T> {
    pub name: &'static str,
    pub header: String,
    /// The sample lines in pieces of at most [`CHUNK`] bytes, each sealed as soon as it
    /// is full (so a family of tens of MB never exists whole); empty without samples.
    pub samples: Vec<T>,
}

/// Size of the pieces [`encode_apart`] seals.
pub const CHUNK: usize = 256 * 1024;

/// A text sink that hands each [`CHUNK`] of text to `seal` once full, after checking and
/// dropping the family's header at its start.
struct Chunks<'s, T> {
    header: &'s str,
    /// Bytes of the header not seen yet; the text must start with them.
    expect: usize,
    current: String,
    sealed: Vec<T>,
    seal: &'s mut dyn FnMut(&str) -> T,
}

impl<T> Chunks<'_, T> {
    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.sealed.push((self.seal)(&self.current));
            self.current.clear();
        }
    }
}

impl<T> std::fmt::Write for Chunks<'_, T> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let mut rest = s;
        if self.expect > 0 {
            let seen = self.header.len() - self.expect;
            let n = self.expect.min(rest.len());
            if self.header.as_bytes()[seen..seen + n] != rest.as_bytes()[..n] {
                return Err(std::fmt::Error);
            }
            self.expect -= n;
            rest = &rest[n..];
        }
        while !rest.is_empty() {
            let room = CHUNK - self.current.len();
            let mut cut = room.min(rest.len());
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut == 0 {
                // A character that does not fit: the next piece takes it.
                self.flush();
                continue;
            }
            self.current.push_str(&rest[..cut]);
            rest = &rest[cut..];
            if self.current.len() == CHUNK {
                self.flush();
            }
        }
        Ok(())
    }
}

/// Each family encoded apart, every sample's labels led by `leading` (`kbp serve`'s
/// `cluster`), so that families of several sources can be merged; each piece of samples
/// goes through `seal` (`kbp serve` deflates them). Each family is dropped once encoded.
pub fn encode_apart<T>(
    metrics: Vec<Metric>,
    leading: (&'static str, &str),
    mut seal: impl FnMut(&str) -> T,
) -> Result<Vec<Encoded<T>>> {
    let mut current = String::with_capacity(CHUNK);
    metrics
        .into_iter()
        .map(|m| {
            let (name, help) = (m.name, m.help);
            let header = encode_collector(Header { name, help })?;
            let mut samples = Chunks {
                header: &header,
                expect: header.len(),
                current: std::mem::take(&mut current),
                sealed: Vec::new(),
                seal: &mut seal,
            };
            let encoded = encode_into(
                &mut samples,
                Families {
                    metrics: vec![m],
                    leading: Some((leading.0, leading.1.to_string())),
                },
            );
            // A family without samples writes nothing, not even its header.
            if encoded.is_err() || (samples.expect > 0 && samples.expect < header.len()) {
                return Err(Error::Encoding {
                    format: "Prometheus text",
                    reason: format!("{name}: the samples do not follow the family's header"),
                });
            }
            samples.flush();
            let Chunks {
                current: buffer,
                sealed,
                ..
            } = samples;
            current = buffer;
            Ok(Encoded {
                name,
                header,
                samples: sealed,
            })
        })
        .collect()
}

fn encode_collector(collector: impl Collector) -> Result<String> {
    let mut out = String::new();
    encode_into(&mut out, collector)?;
    Ok(out)
}

fn encode_into(out: &mut impl std::fmt::Write, collector: impl Collector) -> Result<()> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(collector));
    encode_registry(out, &registry)
}

/// Any registry (live counters and histograms too) as exposition text.
pub fn encode(registry: &Registry) -> Result<String> {
    let mut out = String::new();
    encode_registry(&mut out, registry)?;
    Ok(out)
}

fn encode_registry(out: &mut impl std::fmt::Write, registry: &Registry) -> Result<()> {
    prometheus_text::encode(out, registry).map_err(|e| Error::Encoding {
        format: "Prometheus text",
        reason: e.to_string(),
    })
}

pub fn write(metrics: Vec<Metric>, out: &mut dyn Write) -> Result<()> {
    out.write_all(text(metrics)?.as_bytes())
        .map_err(Error::output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(
        name: &'static str,
        labels: &'static [&'static str],
        samples: &[(&[&str], f64)],
    ) -> Metric {
        let mut m = Metric::new(name, "Lag.", labels);
        for (values, v) in samples {
            m.push(values, *v);
        }
        m
    }

    #[test]
    fn exposition_format() {
        let text = text(vec![
            family("x_lag", &["group"], &[(&["a\"b\\c\nd"], 3.0)]),
            family("x_empty", &["group"], &[]),
            family("x_eta_seconds", &[], &[(&[], f64::INFINITY)]),
        ])
        .unwrap();
        assert_eq!(
            text,
            "# HELP x_lag Lag.\n# TYPE x_lag gauge\nx_lag{group=\"a\\\"b\\\\c\\nd\"} 3.0\n\
             # HELP x_eta_seconds Lag.\n# TYPE x_eta_seconds gauge\nx_eta_seconds +Inf\n"
        );
    }

    #[test]
    fn families_apart_lead_with_the_label_and_join_to_the_same_text() {
        let parts = || {
            vec![
                family(
                    "x_lag",
                    &["group", "partition"],
                    &[(&["a", "0"], 3.0), (&["b", "1"], 4.0)],
                ),
                family("x_empty", &["group"], &[]),
            ]
        };
        let apart = encode_apart(parts(), ("cluster", "c1"), str::to_string).unwrap();
        assert_eq!(apart[0].header, "# HELP x_lag Lag.\n# TYPE x_lag gauge\n");
        assert_eq!(
            apart[0].samples.concat(),
            "x_lag{cluster=\"c1\",group=\"a\",partition=\"0\"} 3.0\n\
             x_lag{cluster=\"c1\",group=\"b\",partition=\"1\"} 4.0\n"
        );
        assert_eq!((apart[1].name, apart[1].samples.len()), ("x_empty", 0));
        let whole: String = apart
            .iter()
            .filter(|e| !e.samples.is_empty())
            .map(|e| format!("{}{}", e.header, e.samples.concat()))
            .collect();
        let plain = text(parts()).unwrap();
        assert_eq!(whole.replace("cluster=\"c1\",", ""), plain);
    }

    #[test]
    fn big_families_come_in_bounded_chunks_that_join_to_the_text() {
        let n = 20_000;
        let mut m = Metric::new("x_lag", "Lag.", &["group", "partition"]);
        let names: Vec<String> = (0..n).map(|i| format!("grüppe-{i}")).collect();
        for (i, g) in names.iter().enumerate() {
            m.push(&[g, "7"], i as f64);
        }
        let plain = text(vec![m.clone()]).unwrap();
        let apart = encode_apart(vec![m], ("cluster", "c"), str::to_string).unwrap();
        let chunks = &apart[0].samples;
        assert!(chunks.len() > 2, "{} chunks", chunks.len());
        assert!(chunks.iter().all(|c| c.len() <= CHUNK && !c.is_empty()));
        let joined = format!("{}{}", apart[0].header, chunks.concat());
        assert_eq!(joined.replace("cluster=\"c\",", ""), plain);
    }
}
