//! `kbp serve` as Prometheus sees it: the numbers on /metrics against Apache's tool and
//! the records' own timestamps, readiness, a cluster that goes away and comes back, and a
//! graceful stop.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kbp::config;
use kbp::kafka::mock::{DemoCluster, DemoMember, DemoProducer};
use kbp::kafka::TopicPartition;

use crate::common::*;

/// A running `kbp serve` and the address it printed (http or https).
pub struct Served {
    pub proc: Proc,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Served {
    pub fn start(args: &[&str]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let mut proc = kbp()
            .args(["serve", "--listen", "127.0.0.1:0", "--interval", "1s"])
            .args(args)
            .start(dir.path(), "serve");
        let mut addr = None;
        wait_until(
            "kbp serve prints its address",
            Duration::from_secs(20),
            || {
                assert!(proc.running(), "kbp serve exited: {}", proc.stderr());
                addr = proc
                    .stderr()
                    .split_whitespace()
                    .find_map(|w| {
                        w.strip_prefix("http://")
                            .or_else(|| w.strip_prefix("https://"))?
                            .strip_suffix("/metrics,")
                    })
                    .map(String::from);
                addr.is_some()
            },
        );
        Served {
            proc,
            addr: addr.unwrap(),
            _dir: dir,
        }
    }

    /// Status and body of a GET.
    pub fn get(&self, path: &str) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let mut resp = agent
            .get(&format!("http://{}{path}", self.addr))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.body_mut().read_to_string().unwrap())
    }

    pub fn wait_ready(&self) {
        wait_until("/readyz answers 200", Duration::from_secs(30), || {
            self.get("/readyz").0 == 200
        });
    }

    /// Refreshes ended so far (the refresh histogram's count).
    fn refreshes(&self) -> f64 {
        self.value("kbp_refresh_duration_seconds_count", &[])
            .unwrap_or(0.0)
    }

    /// Waits until `cond` holds, with the serve's own refreshes as the clock: fails once
    /// `refreshes` more have ended without it, so a slow machine waits longer rather than
    /// failing; or when no refresh ends for 5 minutes (a serve that hangs).
    fn wait_refreshes(&self, what: &str, refreshes: u32, mut cond: impl FnMut() -> bool) {
        let start = self.refreshes();
        let mut last = (start, std::time::Instant::now());
        loop {
            if cond() {
                return;
            }
            let now = self.refreshes();
            assert!(
                now < start + f64::from(refreshes),
                "{what}: not after {refreshes} refreshes\nstderr:\n{}",
                self.proc.stderr()
            );
            if now > last.0 {
                last = (now, std::time::Instant::now());
            }
            assert!(
                last.1.elapsed() < Duration::from_secs(300),
                "{what}: no refresh ended for 5 minutes\nstderr:\n{}",
                self.proc.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The samples of `name` on /metrics: labels → value.
    pub fn samples(&self, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
        let (status, body) = self.get("/metrics");
        assert_eq!(status, 200, "{body}");
        parse(&body, name)
    }

    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.samples(name)
            .into_iter()
            .find(|(l, _)| {
                labels
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, v)| v)
    }
}

/// The samples of one family in the text format (enough for kbp's own output).
fn parse(body: &str, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, labels) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let labels = labels
                .trim_end_matches('}')
                .split("\",")
                .filter(|kv| !kv.is_empty())
                .filter_map(|kv| {
                    let (k, v) = kv.split_once("=\"")?;
                    Some((k.to_string(), v.trim_end_matches('"').to_string()))
                })
                .collect();
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

#[test]
fn metrics_match_apaches_lag_and_the_records_timestamps() {
    let first_ts = now_ms() - 600_000;
    let topic = topic_stamped("serve", 2, 20, first_ts, 1000);
    let group = unique("serve-group");
    commit(&group, &[(&topic, 0, 5), (&topic, 1, 12)]);
    let served = Served::start(&["-b", bootstrap(), "-g", &group]);
    served.wait_ready();

    let apache: i64 = apache_describe(&group)
        .values()
        .map(|(_, _, lag)| lag.expect("a lag"))
        .sum();
    let g = [("cluster", "default"), ("consumergroup", group.as_str())];
    let sum = served.value(
        "kafka_consumergroup_lag_sum",
        &[g[0], g[1], ("topic", topic.as_str())],
    );
    assert_eq!(
        sum,
        Some(apache as f64),
        "kafka-consumer-groups says {apache}"
    );

    // Partition 0's oldest unconsumed record is record 5, stamped first_ts + 5 s.
    let expected = (now_ms() - (first_ts + 5_000)) as f64 / 1000.0;
    let seconds = served
        .value(
            "kafka_consumergroup_lag_seconds",
            &[g[0], g[1], ("topic", topic.as_str()), ("partition", "0")],
        )
        .expect("time lag of partition 0");
    // The refresh that read it is at most an interval (1 s) old, plus the time to read.
    assert!(
        seconds <= expected && seconds > expected - 3.0,
        "lag_seconds {seconds}, expected about {expected}"
    );
    assert_eq!(
        served.value("kafka_consumergroup_max_lag_seconds", &g),
        Some(seconds),
        "partition 0 holds the oldest record"
    );
    let partitions = [("topic", topic.as_str()), ("partition", "1")];
    assert_eq!(
        served.value("kafka_topic_partition_current_offset", &partitions),
        Some(20.0)
    );
    assert_eq!(
        served.value("kafka_topic_partition_oldest_offset", &partitions),
        Some(0.0)
    );
    // Nobody consumes while records sit there: no verdict is CAUGHT-UP.
    let status = served.samples("kbp_group_status");
    let mine: Vec<_> = status
        .iter()
        .filter(|(l, _)| l.get("consumergroup") == Some(&group))
        .collect();
    assert_eq!(mine.len(), 1, "one verdict per group: {mine:?}");
    assert_ne!(mine[0].0["status"], "CAUGHT-UP");
    // One code path: kbp diagnose over a window of the same steady group says the same.
    let diagnosed: serde_json::Value = kbp()
        .broker()
        .args(["diagnose", "-g", &group, "--window", "2s", "--samples", "3"])
        .args(["-o", "json", "--fail-on", "never"])
        .expect(0)
        .json();
    assert_eq!(
        diagnosed["groups"][0]["status"].as_str(),
        Some(mine[0].0["status"].as_str()),
        "{diagnosed}"
    );
    assert_eq!(served.value("kbp_up", &[g[0]]), Some(1.0));
    assert_eq!(served.get("/healthz"), (200, "ok\n".into()));
}

#[test]
fn sigterm_stops_it_within_a_second() {
    let mut served = Served::start(&["-b", bootstrap(), "-g", &unique("serve-stop")]);
    served.wait_ready();
    let t = Instant::now();
    served.proc.signal(libc::SIGTERM);
    let status = served.proc.wait(Duration::from_secs(5));
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!(status.code(), Some(0), "{}", served.proc.stderr());
}

#[test]
fn a_port_in_use_is_a_usage_error_before_any_cluster_is_asked() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let r = kbp()
        .args(["-b", "127.0.0.1:1", "serve", "--listen", &addr])
        .expect(2);
    assert!(
        r.stderr.contains(&format!("--listen {addr}")),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
}

/// The mock cluster can be taken down and brought back at will: the last values stay
/// with `kbp_up 0`, and the next refresh after the return recovers by itself.
#[test]
fn a_cluster_that_goes_away_keeps_its_last_values_and_comes_back() {
    let cluster = DemoCluster::start(2).unwrap();
    cluster.create_topic("orders", 1, 1).unwrap();
    let settings = config::merge(
        &config::Overrides {
            bootstrap_server: Some(cluster.bootstrap().to_string()),
            timeout: Some(Duration::from_secs(10)),
            ..Default::default()
        },
        None,
        &Default::default(),
        true,
    )
    .unwrap();
    let producer = DemoProducer::new(&settings).unwrap();
    for i in 0..10 {
        producer.send("orders", "k", &format!("v{i}")).unwrap();
    }
    producer.flush(Duration::from_secs(10));
    let member = DemoMember::join(&settings, "billing", &["orders"]).unwrap();

    let served = Served::start(&[
        "-b",
        cluster.bootstrap(),
        "-g",
        "billing",
        "-t",
        "orders",
        "--timeout",
        "2s",
    ]);
    served.wait_ready();
    let lag = [("consumergroup", "billing"), ("partition", "0")];
    // The demo member's commit is refused while the mock coordinator is still loading the
    // group (it leaves it to the next commit): commit until a refresh shows it.
    served.wait_refreshes("the lag of billing", 20, || {
        member.commit(&[(TopicPartition::new("orders", 0), 4)]);
        served.value("kafka_consumergroup_lag", &lag) == Some(6.0)
    });
    drop(member);

    cluster.set_brokers_up(false).unwrap();
    served.wait_refreshes("kbp_up 0", 5, || served.value("kbp_up", &[]) == Some(0.0));
    let (status, why) = served.get("/readyz");
    assert_eq!(status, 503, "{why}");
    // docs/metrics.md: one line per cluster, saying why.
    assert!(
        why.starts_with("cluster default: last refresh failed: ")
            && why.contains("(the last success was "),
        "{why}"
    );
    assert_eq!(
        served.value("kafka_consumergroup_lag", &lag),
        Some(6.0),
        "the last values are still served"
    );
    assert!(served.value("kbp_refresh_errors_total", &[]).unwrap() >= 1.0);
    let stale = served.value("kbp_staleness_seconds", &[]).unwrap();
    served.wait_refreshes("staleness grows", 5, || {
        served.value("kbp_staleness_seconds", &[]).unwrap() > stale
    });

    cluster.set_brokers_up(true).unwrap();
    served.wait_refreshes("kbp_up 1 again", 20, || {
        served.value("kbp_up", &[]) == Some(1.0)
    });
    served.wait_ready();
}

/// Sharding across replicas, as docs/metrics.md describes it: complementary group patterns
/// split the groups between two exporters, each group on exactly one.
#[test]
fn replicas_split_the_groups_by_pattern() {
    let topic = topic_with("serve-shard", 1, 10);
    let prefix = unique("shard");
    let groups: Vec<String> = (0..4).map(|i| format!("{prefix}-{i}")).collect();
    for g in &groups {
        commit(g, &[(&topic, 0, 3)]);
    }
    let low = format!("^{prefix}-[01]$");
    let high = format!("^{prefix}-[23]$");
    let a = Served::start(&["-b", bootstrap(), "--group-regex", &low]);
    let b = Served::start(&["-b", bootstrap(), "--group-regex", &high]);
    a.wait_ready();
    b.wait_ready();
    let exported = |s: &Served| -> Vec<String> {
        let mut g: Vec<String> = s
            .samples("kafka_consumergroup_lag_sum")
            .into_iter()
            .map(|(l, _)| l["consumergroup"].clone())
            .collect();
        g.sort();
        g
    };
    assert_eq!(exported(&a), groups[..2].to_vec());
    assert_eq!(exported(&b), groups[2..].to_vec());
}

/// One exporter, several clusters: each `--context` is refreshed on its own and labelled
/// with its name (here two contexts of the same broker).
#[test]
fn each_context_is_a_cluster_label() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(
        dir.path(),
        "config.yaml",
        &format!(
            "contexts:\n  east:\n    bootstrap-servers: {b}\n  west:\n    bootstrap-servers: {b}\n",
            b = bootstrap()
        ),
    );
    let topic = topic_with("serve-ctx", 1, 10);
    let group = unique("serve-ctx");
    commit(&group, &[(&topic, 0, 4)]);
    let config = config.to_str().unwrap();
    let served = Served::start(&[
        "--config",
        config,
        "--context",
        "east",
        "--context",
        "west",
        "-g",
        &group,
    ]);
    served.wait_ready();
    for cluster in ["east", "west"] {
        assert_eq!(served.value("kbp_up", &[("cluster", cluster)]), Some(1.0));
        let lag = [("cluster", cluster), ("consumergroup", group.as_str())];
        assert_eq!(served.value("kafka_consumergroup_lag", &lag), Some(6.0));
    }
    let (_, body) = served.get("/metrics");
    assert_eq!(
        body.matches("# TYPE kafka_consumergroup_lag gauge").count(),
        1
    );
}

/// The proof with real parts: a real Prometheus scrapes `kbp serve` on the real broker.
/// The group's lag as Prometheus stored it equals kafka-consumer-groups' sum, and its time
/// lag is the committed record's age within the refresh interval.
#[test]
fn a_real_prometheus_stores_what_apache_and_the_records_say() {
    let first_ts = now_ms() - 300_000;
    let topic = topic_stamped("serve-prom", 2, 10, first_ts, 1000);
    let group = unique("serve-prom");
    commit(&group, &[(&topic, 0, 2), (&topic, 1, 7)]);
    let served = Served::start(&["-b", bootstrap(), "-g", &group]);
    served.wait_ready();
    let prom = Prometheus::start(Scrape::kbp(&[&served.addr]));
    let t = Duration::from_secs(60);

    let apache: i64 = apache_describe(&group)
        .values()
        .map(|(_, _, lag)| lag.expect("a lag"))
        .sum();
    let sum = prom.wait_for(
        &format!(r#"sum(kafka_consumergroup_lag_sum{{consumergroup="{group}"}})"#),
        |r| r.len() == 1,
        t,
    );
    assert_eq!(
        sum[0].1, apache as f64,
        "kafka-consumer-groups says {apache}"
    );

    // Partition 0's next record is record 2, stamped first_ts + 2 s. Prometheus stamps
    // the sample with its scrape time, which comes after the refresh that measured it by
    // less than an interval (1 s) and the refresh itself: scrape time - lag = the record's
    // timestamp, late by that much at most.
    let series =
        format!(r#"kafka_consumergroup_lag_seconds{{consumergroup="{group}",partition="0"}}"#);
    let expr = format!("timestamp({series}) - {series}");
    let stamped = prom.wait_for(&expr, |r| r.len() == 1, t)[0].1 * 1000.0;
    let expected = (first_ts + 2_000) as f64;
    assert!(
        stamped >= expected - 5.0 && stamped < expected + 2_000.0,
        "the record's timestamp as Prometheus sees it: {stamped}, the record's: {expected}"
    );
    let up = prom.wait_for(r#"kbp_up{cluster="default"}"#, |r| r.len() == 1, t);
    assert_eq!(up[0].1, 1.0);
    let verdict = prom.wait_for(
        &format!(r#"kbp_group_status{{consumergroup="{group}"}}"#),
        |r| r.len() == 1,
        t,
    );
    assert_eq!(verdict[0].1, 1.0, "{verdict:?}");
}

/// `/readyz` says why a cluster is not ready, in the words the refresh failed with
/// (docs/metrics.md), and never a secret of the connection.
#[test]
fn readyz_says_why_a_cluster_is_not_ready() {
    let served = Served::start(&[
        "-b",
        "127.0.0.1:1",
        "--timeout",
        "1s",
        "-X",
        "sasl.password=readyz-s3cret",
    ]);
    let mut why = String::new();
    wait_until("/readyz says why", Duration::from_secs(20), || {
        let (status, body) = served.get("/readyz");
        assert_eq!(status, 503, "{body}");
        why = body;
        why.contains("last refresh failed")
    });
    assert!(
        why.starts_with("cluster default: last refresh failed: cannot reach Kafka at 127.0.0.1:1")
            && why.trim_end().ends_with("(no refresh has succeeded yet)"),
        "{why}"
    );
    assert_eq!(why.lines().count(), 1, "{why}");
    assert!(!why.contains("readyz-s3cret"), "{why}");
}
