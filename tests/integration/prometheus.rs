//! The Prometheus harness (tests/common/prometheus.rs) against a real Prometheus: it
//! scrapes a fixed page, sees a target that is down, and sees a value change.

use std::time::Duration;

use crate::common::{free_port, Prometheus, Row, Scrape, TextPage};

const PAGE: &str = "\
# HELP kbp_up 1 when the last refresh of the cluster succeeded.
# TYPE kbp_up gauge
kbp_up{cluster=\"prod\"} 1
# TYPE kafka_consumergroup_lag gauge
kafka_consumergroup_lag{cluster=\"prod\",consumergroup=\"billing\",topic=\"orders\",partition=\"0\"} 824
# TYPE kbp_group_eta_seconds gauge
kbp_group_eta_seconds{cluster=\"prod\",consumergroup=\"billing\"} +Inf
";

fn one(rows: &[Row]) -> &Row {
    assert_eq!(rows.len(), 1, "one series expected: {rows:?}");
    &rows[0]
}

#[test]
fn prometheus_scrapes_a_page_and_answers_queries() {
    let page = TextPage::serve(PAGE);
    // Nothing listens there: Prometheus must report that target down.
    let closed = format!("127.0.0.1:{}", free_port());
    let prom = Prometheus::start(Scrape::kbp(&[&page.addr, &closed]));
    let t = Duration::from_secs(30);

    let up = prom.wait_for(r#"up{job="kbp"}"#, |r| r.len() == 2, t);
    let health = |addr: &str| {
        up.iter()
            .find(|(l, _)| l["instance"] == addr)
            .unwrap_or_else(|| panic!("no up for {addr}: {up:?}"))
            .1
    };
    prom.wait_for(
        &format!(r#"up{{instance="{}"}} == 1"#, page.addr),
        |r| r.len() == 1,
        t,
    );
    assert_eq!(health(&closed), 0.0, "{up:?}");
    assert!(page.requests() >= 1, "the page was never requested");

    let lag = prom.query("kafka_consumergroup_lag");
    let (labels, value) = one(&lag);
    assert_eq!(*value, 824.0);
    for (k, v) in [
        ("__name__", "kafka_consumergroup_lag"),
        ("cluster", "prod"),
        ("consumergroup", "billing"),
        ("topic", "orders"),
        ("partition", "0"),
        ("job", "kbp"),
        ("instance", page.addr.as_str()),
    ] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "{labels:?}");
    }
    assert_eq!(one(&prom.query("kbp_group_eta_seconds")).1, f64::INFINITY);
    assert_eq!(one(&prom.query("scalar(kbp_up) * 2")).1, 2.0);
    assert!(prom.query("kafka_consumergroup_lag > 1000").is_empty());
    let refused = prom.try_query("sum(").unwrap_err();
    assert!(refused.contains("bad_data"), "{refused}");

    // A new value on the page reaches the next scrapes.
    page.set(&PAGE.replace("} 824", "} 900"));
    prom.wait_for(
        "kafka_consumergroup_lag",
        |r| r.len() == 1 && r[0].1 == 900.0,
        t,
    );
}
