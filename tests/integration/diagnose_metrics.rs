//! `--metrics-url` on real metrics: a broker of its own with Prometheus's JMX exporter
//! agent (scripts/kafka.sh with KBP_KAFKA_JMX_EXPORTER=1), scraped while records flow.

use std::process::{Command, Stdio};
use std::time::Duration;

use kbp::report::brokers::BrokersReport;
use kbp::report::diagnosis::DiagnoseReport;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;

use crate::common::*;

#[test]
fn brokers_and_diagnose_read_the_jmx_exporter() {
    let broker = OwnBroker::start(&[("KBP_KAFKA_JMX_EXPORTER", "1")]);
    let b = broker.bootstrap.clone();
    let url = broker.sh(&["metrics-url"]);
    // Records flowing during the measurement: up to 30 s of 1000 records/s, the window
    // taken once they flow (a loaded machine starts the producer's JVM slowly).
    let mut perf = Command::new("bash")
        .arg(repo().join("scripts/kafka.sh"))
        .args([
            "tool",
            "producer-perf-test",
            "--topic",
            "jmx",
            "--num-records",
            "30000",
        ])
        .args([
            "--record-size",
            "100",
            "--throughput",
            "1000",
            "--command-property",
        ])
        .arg(format!("bootstrap.servers={b}"))
        .env("KBP_KAFKA_RUN", std::env::temp_dir().join("kbp-unused-run"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let watch: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &b)
        .create()
        .unwrap();
    wait_until("records to flow into jmx", Duration::from_secs(120), || {
        watch
            .fetch_watermarks("jmx", 0, Duration::from_secs(5))
            .is_ok_and(|(_, high)| high >= 1000)
    });
    let r: BrokersReport = kbp()
        .args([
            "-b",
            &b,
            "brokers",
            "--window",
            "3s",
            "--metrics-url",
            &url,
            "-o",
            "json",
        ])
        .expect(0)
        .json();
    let m = r.brokers[0].metrics.clone().expect("metrics of broker 1");
    assert_eq!((m.url.as_str(), m.error.as_deref()), (url.as_str(), None));
    let fraction = |v: Option<f64>| v.is_some_and(|v| (0.0..=1.0).contains(&v));
    assert!(fraction(m.request_handler_idle), "{m:#?}");
    assert!(fraction(m.network_processor_idle), "{m:#?}");
    assert!(m.request_queue_size.is_some_and(|q| q >= 0.0), "{m:#?}");
    assert!(m.produce_p99_ms.is_some_and(|p| p >= 0.0), "{m:#?}");
    assert!(m.fetch_p99_ms.is_some(), "{m:#?}");
    assert!(
        m.bytes_in_per_sec.is_some_and(|v| v > 10_000.0),
        "records flowed: {m:#?}"
    );
    assert!(
        m.bytes_out_per_sec.is_some() && m.log_flush_per_sec.is_some(),
        "{m:#?}"
    );
    assert!(m.log_flush_p99_ms.is_some(), "{m:#?}");
    assert_eq!(m.under_replicated_partitions, Some(0.0));
    assert!(m.disk_used_bytes.is_some_and(|d| d > 100_000.0), "{m:#?}");
    assert!(r.brokers[0].rtt_avg_ms.is_some());

    // diagnose measures the cluster the same way, with the broker id spelled out.
    let d = kbp()
        .args([
            "-b",
            &b,
            "diagnose",
            "--once",
            "--metrics-url",
            &format!("1={url}"),
        ])
        .args(["-o", "json", "--fail-on", "never"])
        .expect(0);
    let d: DiagnoseReport = d.json();
    let m = d.cluster.brokers[0]
        .metrics
        .as_ref()
        .expect("metrics in diagnose");
    assert!(
        m.error.is_none() && m.request_handler_idle.is_some(),
        "{m:#?}"
    );
    let _ = perf.kill();
    let _ = perf.wait();
}
