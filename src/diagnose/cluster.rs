//! Cluster rules over `kbp brokers`' report: brokers down, no controller, offline and
//! under-replicated partitions, leader skew, slow or throttled brokers, and (with
//! `--metrics-url`) saturated request handlers or network threads, a long request queue,
//! slow produce requests and slow log flushes.

use super::list_some;
use crate::flags::METRICS_URL;
use crate::report::brokers::{BrokerRow, BrokersReport};
use crate::report::diagnosis::{Finding, Severity};

/// A broker leads this many times the mean number of leaders per broker: skewed.
const LEADER_SKEW: f64 = 1.5;
/// Below this many leaders in all, skew is noise.
const LEADER_SKEW_MIN: usize = 10;
/// Mean round trip of kbp's own requests above this: the broker is slow to answer.
const RTT_WARN_MS: f64 = 200.0;
/// Idle fractions of the request handler pool and network threads (Kafka's guidance:
/// investigate below 0.3, act below 0.1).
const IDLE_WARN: f64 = 0.3;
const IDLE_CRIT: f64 = 0.1;
/// Requests waiting for a handler thread.
const QUEUE_WARN: f64 = 50.0;
/// Produce requests slower than this at p99.
const PRODUCE_P99_WARN_MS: f64 = 500.0;
/// Log flushes slower than this at p99: the disk is struggling.
const FLUSH_P99_WARN_MS: f64 = 500.0;

pub fn diagnose(r: &BrokersReport) -> Vec<Finding> {
    let mut f = Vec::new();
    let up: Vec<&BrokerRow> = r.brokers.iter().filter(|b| b.up).collect();
    let cluster = |sev, rule: &str, subject: String| Finding::new(sev, rule, None, subject);
    if up.len() < r.expected {
        let ids: Vec<String> = r.down.iter().map(|id| id.to_string()).collect();
        let named: usize = r.brokers.iter().filter(|b| !b.up).map(|b| b.replicas).sum();
        f.push(
            cluster(
                Severity::Crit,
                "broker-down",
                format!("broker(s) {}", or_unknown(&ids)),
            )
            .says(
                format!("{} of {} broker(s) down", r.expected - up.len(), r.expected),
                format!(
                    "{} up; down: {}; replicas on down brokers: {named}",
                    up.len(),
                    or_unknown(&ids)
                ),
                "a broker is not registered with the cluster: crashed, stopped, fenced after \
                 missing heartbeats, or unreachable from the controller",
                "start the broker or look at its log (server.log) for why it stopped; its \
                 partitions run with fewer replicas until it is back"
                    .to_string(),
            ),
        );
    }
    if r.controller.is_none()
        && !r
            .warnings
            .iter()
            .any(|w| w.starts_with("controller unknown"))
    {
        f.push(
            cluster(Severity::Crit, "no-controller", "cluster".into()).says(
                "no active controller".into(),
                "DescribeCluster named no controller".into(),
                "the controller quorum has no leader: too few controllers are up",
                "bring the controllers back (kafka-metadata-quorum describe --status)".into(),
            ),
        );
    }
    if !r.offline.is_empty() {
        f.push(
            cluster(
                Severity::Crit,
                "offline-partitions",
                list_some(&r.offline, 4),
            )
            .says(
                format!("{} partition(s) without a leader", r.offline.len()),
                format!("offline: {}", list_some(&r.offline, 8)),
                "every replica of these partitions is on a down broker (or out of sync with \
                 unclean leader election off): producers and consumers of them are blocked",
                "bring back a broker that holds a replica; as a last resort, with data loss, \
                 kafka-leader-election --election-type unclean"
                    .to_string(),
            ),
        );
    }
    if !r.under_replicated.is_empty() {
        f.push(
            cluster(
                Severity::Warn,
                "under-replicated",
                list_some(&r.under_replicated, 4),
            )
            .says(
                format!("{} under-replicated partition(s)", r.under_replicated.len()),
                format!(
                    "fewer in-sync replicas than replicas: {}",
                    list_some(&r.under_replicated, 8)
                ),
                "followers do not keep up with their leaders: a broker is down or slow (disk, \
                 network, replica fetcher threads); acks=all producers wait on fewer replicas, \
                 and one more failure loses the partition",
                "bring back or unload the lagging broker; raise num.replica.fetchers if followers \
                 are slow; check disks and network between brokers"
                    .to_string(),
            ),
        );
    }
    f.extend(leader_skew(&up));
    for b in &up {
        f.extend(broker_rules(b));
    }
    if f.is_empty() {
        f.push(
            cluster(Severity::Ok, "cluster", "cluster".into()).says(
                format!(
                    "{} broker(s) up, controller {}, {} partition(s) fully replicated",
                    up.len(),
                    r.controller.map_or("unknown".into(), |c| c.to_string()),
                    r.partitions
                ),
                up.iter()
                    .map(|b| {
                        format!(
                            "broker {}: {} leader(s), rtt {}",
                            b.id,
                            b.leaders,
                            b.rtt_avg_ms.map_or("-".into(), |v| format!("{v:.1} ms"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                "",
                String::new(),
            ),
        );
    }
    f
}

fn or_unknown(ids: &[String]) -> String {
    if ids.is_empty() {
        "unknown ids".into()
    } else {
        ids.join(", ")
    }
}

fn leader_skew(up: &[&BrokerRow]) -> Option<Finding> {
    let total: usize = up.iter().map(|b| b.leaders).sum();
    if up.len() < 2 || total < LEADER_SKEW_MIN {
        return None;
    }
    let mean = total as f64 / up.len() as f64;
    let top = up.iter().max_by_key(|b| b.leaders)?;
    if (top.leaders as f64) < LEADER_SKEW * mean {
        return None;
    }
    let spread: Vec<String> = up
        .iter()
        .map(|b| format!("{}: {}", b.id, b.leaders))
        .collect();
    Some(
        Finding::new(
            Severity::Warn,
            "leader-skew",
            None,
            format!("broker {}", top.id),
        )
        .says(
            format!(
                "leader skew: broker {} leads {} of {total} partitions",
                top.id, top.leaders
            ),
            format!("leaders per broker {}; mean {mean:.1}", spread.join(", ")),
            "leadership is not on the preferred replicas (after a restart or failover), or \
             partitions were placed unevenly; the busiest broker serves most produce and \
             fetch traffic",
            "kafka-leader-election --election-type preferred --all-topic-partitions, and keep \
             auto.leader.rebalance.enable=true; spread replicas with kafka-reassign-partitions"
                .to_string(),
        ),
    )
}

fn broker_rules(b: &BrokerRow) -> Vec<Finding> {
    let mut f = Vec::new();
    let subject = format!("broker {}", b.id);
    let on = |sev, rule: &str| Finding::new(sev, rule, None, subject.clone());
    if let Some(rtt) = b.rtt_avg_ms.filter(|r| *r > RTT_WARN_MS) {
        f.push(on(Severity::Warn, "slow-broker").says(
            format!("broker {} answers slowly", b.id),
            format!(
                "kbp's {} request(s): mean round trip {rtt:.0} ms, p99 {:.0} ms",
                b.requests,
                b.rtt_p99_ms.unwrap_or(rtt)
            ),
            "requests wait in the broker's queue (busy handler threads, slow disk) or the \
             network to it is slow",
            format!(
                "check the broker's request handler idle and request queue ({METRICS_URL}), \
                     disks and network"
            ),
        ));
    }
    if let Some(t) = b.throttle_max_ms.filter(|t| *t > 0.0) {
        f.push(on(Severity::Warn, "throttled").says(
            format!("broker {} throttles clients", b.id),
            format!(
                "throttle up to {t:.0} ms (mean {:.0} ms) on kbp's own requests",
                b.throttle_avg_ms.unwrap_or(t)
            ),
            "a client quota (produce, fetch or request rate) applies to this client id or user: \
             clients sharing it are slowed down by the broker on purpose",
            "kafka-configs --describe --entity-type clients/users shows the quota; raise it, or \
             give heavy clients their own client.id"
                .to_string(),
        ));
    }
    let Some(m) = &b.metrics else {
        return f;
    };
    if let Some(e) = &m.error {
        f.push(on(Severity::Warn, "metrics-unavailable").says(
            format!("broker {}'s metrics could not be read", b.id),
            e.clone(),
            "the endpoint is down, wrong, or not the Prometheus text format",
            "check the URL with curl; the JMX exporter serves /metrics on its port".to_string(),
        ));
    }
    let idle = |v: Option<f64>, rule: &str, what: &str, knob: &str| {
        let v = v.filter(|v| *v < IDLE_WARN)?;
        Some(
            on(
                if v < IDLE_CRIT {
                    Severity::Crit
                } else {
                    Severity::Warn
                },
                rule,
            )
            .says(
                format!("broker {}'s {what} are saturated", b.id),
                format!(
                    "{what} idle {:.0}% (warn below {:.0}%)",
                    v * 100.0,
                    IDLE_WARN * 100.0
                ),
                "the broker cannot take requests as fast as clients send them: clients see \
                 rising latency, producers block on buffer.memory, consumers fall behind",
                format!(
                    "raise {knob}, spread load to other brokers; producers send fewer, larger \
                     requests with linger.ms (e.g. 20) and batch.size (e.g. 131072)"
                ),
            ),
        )
    };
    f.extend(idle(
        m.request_handler_idle,
        "request-handlers-busy",
        "request handler threads",
        "num.io.threads",
    ));
    f.extend(idle(
        m.network_processor_idle,
        "network-threads-busy",
        "network threads",
        "num.network.threads",
    ));
    if let Some(q) = m.request_queue_size.filter(|q| *q >= QUEUE_WARN) {
        f.push(
            on(Severity::Warn, "request-queue").says(
                format!("broker {} has a long request queue", b.id),
                format!("{q:.0} requests waiting for a handler thread"),
                "requests arrive faster than the handler threads serve them",
                "raise num.io.threads; producers batch more (linger.ms e.g. 20, batch.size e.g. \
             131072) to send fewer requests"
                    .to_string(),
            ),
        );
    }
    if let Some(p) = m.produce_p99_ms.filter(|p| *p > PRODUCE_P99_WARN_MS) {
        f.push(
            on(Severity::Warn, "slow-produce").says(
                format!("produce requests to broker {} are slow", b.id),
                format!("produce total time p99 {p:.0} ms"),
                "with acks=all a produce waits for followers; slow disks, replication or a busy \
             broker make it worse",
                "check follower lag and disks; producers can batch more (linger.ms e.g. 20, \
             batch.size e.g. 131072) and use acks=1 only where losing a write is acceptable"
                    .to_string(),
            ),
        );
    }
    if let Some(p) = m.log_flush_p99_ms.filter(|p| *p > FLUSH_P99_WARN_MS) {
        f.push(
            on(Severity::Warn, "slow-log-flush").says(
                format!("log flushes on broker {} are slow", b.id),
                format!("log flush time p99 {p:.0} ms"),
                "the disk under log.dirs cannot keep up (saturated or failing), which backs up \
             produce requests",
                "check disk utilisation and latency on the broker; spread log.dirs over more \
             disks; leave flushing to the OS (do not set log.flush.interval.messages)"
                    .to_string(),
            ),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::brokers::BrokerMetrics;

    fn broker(id: i32, leaders: usize) -> BrokerRow {
        BrokerRow {
            id,
            host: Some("h".into()),
            port: Some(9092),
            rack: None,
            up: true,
            controller: id == 1,
            leaders,
            replicas: leaders,
            under_replicated_led: 0,
            requests: 3,
            rtt_avg_ms: Some(2.0),
            rtt_p99_ms: Some(3.0),
            throttle_avg_ms: None,
            throttle_max_ms: None,
            metrics: None,
        }
    }

    fn report(brokers: Vec<BrokerRow>) -> BrokersReport {
        BrokersReport {
            timestamp_ms: 0,
            cluster_id: None,
            controller: Some(1),
            expected: brokers.len(),
            brokers,
            down: vec![],
            partitions: 10,
            under_replicated: vec![],
            offline: vec![],
            warnings: vec![],
        }
    }

    fn rules(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter().map(|f| (f.rule.as_str(), f.severity)).collect()
    }

    #[test]
    fn healthy_cluster_is_one_ok_line() {
        let f = diagnose(&report(vec![broker(1, 5), broker(2, 5)]));
        assert_eq!(rules(&f), vec![("cluster", Severity::Ok)]);
        assert!(f[0].symptom.starts_with("2 broker(s) up, controller 1"));
    }

    #[test]
    fn down_broker_offline_and_urp() {
        let mut r = report(vec![broker(1, 5)]);
        let mut down = broker(2, 0);
        down.up = false;
        down.replicas = 7;
        r.brokers.push(down);
        r.down = vec![2];
        r.expected = 2;
        r.offline = vec!["t/0".into()];
        r.under_replicated = vec!["t/0".into(), "t/1".into()];
        let f = diagnose(&r);
        assert_eq!(
            rules(&f),
            vec![
                ("broker-down", Severity::Crit),
                ("offline-partitions", Severity::Crit),
                ("under-replicated", Severity::Warn)
            ]
        );
        assert!(
            f[0].evidence.contains("replicas on down brokers: 7"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn expected_count_without_ids() {
        let mut r = report(vec![broker(1, 5)]);
        r.expected = 3;
        let f = diagnose(&r);
        assert_eq!(f[0].symptom, "2 of 3 broker(s) down");
        assert_eq!(f[0].subject, "broker(s) unknown ids");
    }

    #[test]
    fn missing_controller_is_crit_unless_the_cluster_could_not_say() {
        let mut r = report(vec![broker(1, 5)]);
        r.controller = None;
        assert_eq!(rules(&diagnose(&r))[0], ("no-controller", Severity::Crit));
        r.warnings
            .push("controller unknown: DescribeCluster failed".into());
        assert_eq!(rules(&diagnose(&r)), vec![("cluster", Severity::Ok)]);
    }

    #[test]
    fn leader_skew_needs_enough_leaders() {
        let f = diagnose(&report(vec![broker(1, 16), broker(2, 2), broker(3, 2)]));
        assert_eq!(rules(&f), vec![("leader-skew", Severity::Warn)]);
        assert!(f[0].symptom.contains("broker 1 leads 16 of 20"));
        let f = diagnose(&report(vec![broker(1, 4), broker(2, 1)]));
        assert_eq!(rules(&f), vec![("cluster", Severity::Ok)]);
    }

    #[test]
    fn broker_pressure_from_stats_and_metrics() {
        let mut b = broker(1, 3);
        b.rtt_avg_ms = Some(450.0);
        b.throttle_max_ms = Some(120.0);
        b.metrics = Some(BrokerMetrics {
            url: "u".into(),
            request_handler_idle: Some(0.05),
            network_processor_idle: Some(0.25),
            request_queue_size: Some(80.0),
            produce_p99_ms: Some(900.0),
            log_flush_p99_ms: Some(1200.0),
            ..Default::default()
        });
        let f = diagnose(&report(vec![b]));
        assert_eq!(
            rules(&f),
            vec![
                ("slow-broker", Severity::Warn),
                ("throttled", Severity::Warn),
                ("request-handlers-busy", Severity::Crit),
                ("network-threads-busy", Severity::Warn),
                ("request-queue", Severity::Warn),
                ("slow-produce", Severity::Warn),
                ("slow-log-flush", Severity::Warn),
            ]
        );
        assert!(f[2].remedy.contains("num.io.threads"));
        assert!(f[3].remedy.contains("num.network.threads"));
    }

    #[test]
    fn unreadable_metrics_are_a_warning() {
        let mut b = broker(1, 3);
        b.metrics = Some(BrokerMetrics {
            url: "u".into(),
            error: Some("cannot scrape u: connection refused".into()),
            ..Default::default()
        });
        assert_eq!(
            rules(&diagnose(&report(vec![b]))),
            vec![("metrics-unavailable", Severity::Warn)]
        );
    }
}
