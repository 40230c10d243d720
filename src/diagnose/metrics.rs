//! What a broker's Prometheus endpoint (most often the JMX exporter) says about pressure:
//! request handler and network processor idle, the request queue, produce and fetch p99,
//! bytes in and out, log flushes, under-replicated partitions, log size on disk.
//!
//! Exporter rule files name metrics differently, so series are found by what their name
//! (and `name` label) contains, not by one exact name: the widely copied Kafka example
//! rules (`kafka_server_brokertopicmetrics_bytesin_total`, `..._totaltimems{quantile=}`),
//! and the exporter's default format (`kafka_server_BrokerTopicMetrics_Count{name=...}`)
//! both work. Counters become rates over two scrapes; a counter that went down was reset
//! (broker restart), and its rate counts from zero, as Prometheus's `rate()` does.

use std::collections::BTreeMap;

use crate::report::brokers::BrokerMetrics;

/// One sample of a scrape, with its name and `name` label folded into a search key.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Lowercase letters and digits of the metric name and its `name` label.
    pub key: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses the Prometheus text format with the `prometheus-parse` crate.
pub fn parse(text: &str) -> Result<Vec<Series>, String> {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .map_err(|e| format!("not the Prometheus text format: {e}"))?;
    let mut out = Vec::new();
    for s in scrape.samples {
        let labels: BTreeMap<String, String> = s
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let key = |extra: &str| {
            let name = labels.get("name").map(String::as_str).unwrap_or("");
            format!("{}{name}{extra}", s.metric)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase()
        };
        use prometheus_parse::Value;
        match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => out.push(Series {
                key: key(""),
                labels: labels.clone(),
                value: *v,
            }),
            Value::Summary(qs) => {
                for q in qs {
                    let mut l = labels.clone();
                    l.insert("quantile".into(), q.quantile.to_string());
                    out.push(Series {
                        key: key(""),
                        labels: l,
                        value: q.count,
                    });
                }
            }
            Value::Histogram(_) => {}
        }
    }
    Ok(out)
}

fn find<'a>(
    series: &'a [Series],
    must: &[&str],
    not: &[&str],
) -> impl Iterator<Item = &'a Series> + 'a {
    let must: Vec<String> = must.iter().map(|s| s.to_string()).collect();
    let not: Vec<String> = not.iter().map(|s| s.to_string()).collect();
    series.iter().filter(move |s| {
        must.iter().all(|m| s.key.contains(m.as_str()))
            && !not.iter().any(|n| s.key.contains(n.as_str()))
    })
}

/// The first match, preferring keys that contain `prefer`.
fn pick<'a>(series: &'a [Series], must: &[&str], not: &[&str], prefer: &str) -> Option<&'a Series> {
    let all: Vec<&Series> = find(series, must, not).collect();
    all.iter()
        .find(|s| !prefer.is_empty() && s.key.contains(prefer))
        .or_else(|| all.first())
        .copied()
}

fn label_is(s: &Series, k: &str, v: &str) -> bool {
    s.labels
        .iter()
        .any(|(lk, lv)| lk.eq_ignore_ascii_case(k) && lv.eq_ignore_ascii_case(v))
}

fn is_p99(s: &Series) -> bool {
    let q = s.labels.get("quantile").and_then(|q| q.parse::<f64>().ok());
    q.is_some_and(|q| (q - 0.99).abs() < 1e-9)
        || (s.key.contains("99thpercentile") && !s.key.contains("999thpercentile"))
}

/// A fraction that some rule files scale to percent.
fn fraction(v: f64) -> f64 {
    if v > 1.5 {
        v / 100.0
    } else {
        v
    }
}

fn is_counter(s: &Series) -> bool {
    s.key.ends_with("total") || s.key.contains("count")
}

/// Per-second rate of a counter between two scrapes `dt_s` apart; a drop is a reset.
fn counter_rate(
    first: &[Series],
    last: &[Series],
    dt_s: f64,
    pred: &dyn Fn(&Series) -> bool,
) -> Option<f64> {
    let now = last.iter().find(|s| pred(s) && is_counter(s))?;
    let before = first
        .iter()
        .find(|s| s.key == now.key && s.labels == now.labels)?;
    if dt_s <= 0.0 {
        return None;
    }
    let delta = if now.value >= before.value {
        now.value - before.value
    } else {
        now.value
    };
    Some(delta / dt_s)
}

/// The broker's metrics from its last scrape and, for rates, an earlier one `dt_s` before.
pub fn extract(url: &str, first: Option<&[Series]>, last: &[Series], dt_s: f64) -> BrokerMetrics {
    let first = first.unwrap_or(&[]);
    let value =
        |must: &[&str], not: &[&str], prefer: &str| pick(last, must, not, prefer).map(|s| s.value);
    let p99 = |request: &str| {
        find(last, &["totaltimems"], &[])
            .find(|s| label_is(s, "request", request) && is_p99(s))
            .map(|s| s.value)
    };
    let whole_broker = |word: &'static str| {
        move |s: &Series| {
            s.key.contains(word)
                && !s.key.contains("replication")
                && !s.labels.contains_key("topic")
        }
    };
    let rate_or_gauge = |word: &'static str| {
        counter_rate(first, last, dt_s, &whole_broker(word)).or_else(|| {
            last.iter()
                .find(|s| whole_broker(word)(s) && s.key.contains("oneminuterate"))
                .map(|s| s.value)
        })
    };
    let sizes: Vec<&Series> = find(last, &["kafkalog", "size"], &[])
        .filter(|s| s.labels.contains_key("topic"))
        .collect();
    let mut log_dirs = BTreeMap::new();
    for s in &sizes {
        if let Some(dir) = ["logDirectory", "log_dir", "dir"]
            .iter()
            .find_map(|k| s.labels.get(*k))
        {
            *log_dirs.entry(dir.clone()).or_insert(0.0) += s.value;
        }
    }
    BrokerMetrics {
        url: url.to_string(),
        request_handler_idle: value(&["requesthandleravgidle"], &["count"], "oneminuterate")
            .map(fraction),
        network_processor_idle: value(&["networkprocessoravgidle"], &["count"], "").map(fraction),
        request_queue_size: value(&["requestqueuesize"], &["response", "count"], ""),
        produce_p99_ms: p99("Produce"),
        fetch_p99_ms: p99("FetchConsumer").or_else(|| p99("Fetch")),
        bytes_in_per_sec: rate_or_gauge("bytesin"),
        bytes_out_per_sec: rate_or_gauge("bytesout"),
        log_flush_per_sec: counter_rate(first, last, dt_s, &|s: &Series| {
            s.key.contains("logflushrateandtimems")
        }),
        log_flush_p99_ms: find(last, &["logflushrateandtimems"], &[])
            .find(|s| is_p99(s))
            .map(|s| s.value),
        under_replicated_partitions: value(
            &["underreplicatedpartitions"],
            &["count"],
            "replicamanager",
        ),
        disk_used_bytes: (!sizes.is_empty()).then(|| sizes.iter().map(|s| s.value).sum()),
        log_dirs,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the widely copied Kafka example rules produce (lowercaseOutputName: true).
    const EXAMPLE_RULES: &str = r#"
# HELP kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent x
# TYPE kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent gauge
kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent 0.93
kafka_network_socketserver_networkprocessoravgidlepercent 0.97
kafka_network_requestchannel_requestqueuesize 2.0
kafka_network_requestchannel_responsequeuesize 7.0
kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.99",} 12.5
kafka_network_requestmetrics_totaltimems{request="Produce",quantile="0.999",} 40.0
kafka_network_requestmetrics_totaltimems{request="FetchConsumer",quantile="0.99",} 501.0
# TYPE kafka_server_brokertopicmetrics_bytesin_total counter
kafka_server_brokertopicmetrics_bytesin_total 5000.0
kafka_server_brokertopicmetrics_bytesin_total{topic="orders",} 4000.0
kafka_server_brokertopicmetrics_replicationbytesin_total 99999.0
kafka_server_brokertopicmetrics_bytesout_total 300.0
kafka_log_logflushstats_logflushrateandtimems_count 10.0
kafka_log_logflushstats_logflushrateandtimems{quantile="0.99",} 3.0
kafka_server_replicamanager_underreplicatedpartitions 1.0
kafka_cluster_partition_underreplicated{topic="orders",partition="0",} 1.0
kafka_log_log_size{topic="orders",partition="0",} 1000.0
kafka_log_log_size{topic="orders",partition="1",} 24.0
"#;

    fn bump(text: &str, from: &str, to: &str) -> String {
        text.replace(from, to)
    }

    #[test]
    fn example_rules_names_and_rates() {
        let first = parse(EXAMPLE_RULES).unwrap();
        let later = bump(
            &bump(
                EXAMPLE_RULES,
                "bytesin_total 5000.0",
                "bytesin_total 9000.0",
            ),
            "logflushrateandtimems_count 10.0",
            "logflushrateandtimems_count 14.0",
        );
        let last = parse(&later).unwrap();
        let m = extract("http://b1:9404/metrics", Some(&first), &last, 2.0);
        assert_eq!(m.request_handler_idle, Some(0.93));
        assert_eq!(m.network_processor_idle, Some(0.97));
        assert_eq!(m.request_queue_size, Some(2.0));
        assert_eq!(m.produce_p99_ms, Some(12.5));
        assert_eq!(m.fetch_p99_ms, Some(501.0));
        assert_eq!(m.bytes_in_per_sec, Some(2000.0));
        assert_eq!(m.bytes_out_per_sec, Some(0.0));
        assert_eq!(m.log_flush_per_sec, Some(2.0));
        assert_eq!(m.log_flush_p99_ms, Some(3.0));
        assert_eq!(m.under_replicated_partitions, Some(1.0));
        assert_eq!(m.disk_used_bytes, Some(1024.0));
        assert!(m.log_dirs.is_empty());
    }

    #[test]
    fn counter_reset_counts_from_zero_and_one_scrape_has_no_counter_rates() {
        let first = parse(EXAMPLE_RULES).unwrap();
        let last = parse(&bump(
            EXAMPLE_RULES,
            "bytesin_total 5000.0",
            "bytesin_total 600.0",
        ))
        .unwrap();
        let m = extract("u", Some(&first), &last, 2.0);
        assert_eq!(m.bytes_in_per_sec, Some(300.0));
        let m = extract("u", None, &last, 0.0);
        assert_eq!(m.bytes_in_per_sec, None);
        assert_eq!(m.log_flush_per_sec, None);
        assert_eq!(m.request_handler_idle, Some(0.93), "gauges need one scrape");
    }

    #[test]
    fn default_format_with_name_labels() {
        let text = r#"
kafka_server_KafkaRequestHandlerPool_Count{name="RequestHandlerAvgIdlePercent",} 123456.0
kafka_server_KafkaRequestHandlerPool_OneMinuteRate{name="RequestHandlerAvgIdlePercent",} 0.42
kafka_network_SocketServer_Value{name="NetworkProcessorAvgIdlePercent",} 55.0
kafka_server_BrokerTopicMetrics_OneMinuteRate{name="BytesInPerSec",} 321.0
kafka_network_RequestMetrics_99thPercentile{name="TotalTimeMs",request="Produce",} 8.0
kafka_network_RequestMetrics_999thPercentile{name="TotalTimeMs",request="Produce",} 80.0
kafka_log_Log_Value{name="Size",topic="t",partition="0",logDirectory="/data/a",} 10.0
kafka_log_Log_Value{name="Size",topic="t",partition="1",logDirectory="/data/b",} 5.0
"#;
        let m = extract("u", None, &parse(text).unwrap(), 0.0);
        assert_eq!(m.request_handler_idle, Some(0.42));
        assert_eq!(
            m.network_processor_idle,
            Some(0.55),
            "percent scaled to a fraction"
        );
        assert_eq!(m.bytes_in_per_sec, Some(321.0));
        assert_eq!(m.produce_p99_ms, Some(8.0));
        assert_eq!(m.disk_used_bytes, Some(15.0));
        assert_eq!(m.log_dirs.get("/data/a"), Some(&10.0));
        assert_eq!(m.request_queue_size, None);
    }

    #[test]
    fn summaries_unfold_into_quantiles() {
        let text = "# TYPE kafka_network_requestmetrics_totaltimems summary\n\
kafka_network_requestmetrics_totaltimems{request=\"Produce\",quantile=\"0.5\"} 1\n\
kafka_network_requestmetrics_totaltimems{request=\"Produce\",quantile=\"0.99\"} 9\n";
        let m = extract("u", None, &parse(text).unwrap(), 0.0);
        assert_eq!(m.produce_p99_ms, Some(9.0));
    }

    #[test]
    fn garbage_yields_nothing_rather_than_wrong_numbers() {
        let m = extract(
            "u",
            None,
            &parse("<html>nope</html>").unwrap_or_default(),
            0.0,
        );
        assert_eq!(
            m,
            BrokerMetrics {
                url: "u".into(),
                ..Default::default()
            }
        );
    }
}
