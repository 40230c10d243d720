//! `kbp brokers`: each broker's share of the cluster and the pressure on it.
//!
//! Leaders, replicas and under-replicated partitions come from one Metadata request; the
//! controller and racks from DescribeCluster; round-trip and throttle times from
//! librdkafka's statistics of this very session; and, with `--metrics-url`, the broker's
//! own view from its Prometheus endpoint (scraped at the start and the end, so counters
//! become rates). `kbp diagnose` measures the cluster through the same [`Measurement`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use base64::Engine;

use crate::cli::{BrokerScope, BrokersArgs};
use crate::diagnose::metrics::{self, Series};
use crate::error::{Error, Result};
use crate::kafka::{BrokerLatency, ClusterDescription, Node, Session, TopicDescription};
use crate::output::Progress;
use crate::report::brokers::{BrokerMetrics, BrokerRow, BrokersReport};
use crate::values::{CaFile, Secret};

/// What to measure: the metrics endpoints, and the brokers the cluster should have.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `[BROKER-ID=]URL`, one per broker.
    pub metrics_urls: Vec<String>,
    /// How the endpoints are reached: CA and credentials.
    pub access: Access,
    pub expect_brokers: Option<usize>,
    /// The shortest measurement: long enough for one statistics window and a counter rate.
    pub window: Duration,
}

impl From<&BrokersArgs> for Selection {
    fn from(a: &BrokersArgs) -> Self {
        Selection::of(&a.brokers, a.window)
    }
}

impl Selection {
    /// The brokers `scope` names, measured over at least `window`.
    pub fn of(scope: &BrokerScope, window: Duration) -> Selection {
        Selection {
            metrics_urls: scope.metrics_urls.clone(),
            access: Access::from(scope),
            expect_brokers: scope.expect_brokers,
            window,
        }
    }
}

/// What the metrics endpoints are scraped with beyond the URL (`--metrics-ca`, basic or
/// bearer auth); secrets were read by the flags' parsers and are never printed.
#[derive(Debug, Clone, Default)]
pub struct Access {
    pub ca: Option<CaFile>,
    pub auth: Option<Auth>,
}

#[derive(Debug, Clone)]
pub enum Auth {
    Basic { user: String, password: Secret },
    Bearer(Secret),
}

impl From<&BrokerScope> for Access {
    fn from(s: &BrokerScope) -> Self {
        let password = s
            .metrics_password_env
            .clone()
            .or_else(|| s.metrics_password_file.clone());
        let bearer = s
            .metrics_bearer_env
            .clone()
            .or_else(|| s.metrics_bearer_file.clone());
        let auth = match (&s.metrics_user, password, bearer) {
            (Some(user), Some(password), _) => Some(Auth::Basic {
                user: user.clone(),
                password,
            }),
            (_, _, Some(token)) => Some(Auth::Bearer(token)),
            _ => None,
        };
        Access {
            ca: s.metrics_ca.clone(),
            auth,
        }
    }
}

impl Auth {
    /// The `Authorization` header's value.
    fn header(&self) -> String {
        match self {
            Auth::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()))
            ),
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
        }
    }
}

/// A metrics endpoint, and the broker it belongs to when the user said so (`ID=URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub broker: Option<i32>,
    pub url: String,
}

pub fn parse_target(s: &str) -> Result<Target> {
    let (broker, url) = match s.split_once('=') {
        Some((id, url)) if !id.contains(':') && !id.contains('/') => {
            let id = id.trim().parse::<i32>().map_err(|_| {
                Error::usage(format!(
                    "--metrics-url {s}: '{id}' is not a broker id (write ID=URL or URL)"
                ))
            })?;
            (Some(id), url)
        }
        _ => (None, s),
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(Error::usage(format!(
            "--metrics-url {s}: expected an http:// or https:// URL"
        )));
    }
    let authority = url.split_once("://").map_or("", |(_, r)| r);
    if authority.split('/').next().is_some_and(|a| a.contains('@')) {
        // Not echoed: the part before '@' is a secret.
        return Err(Error::usage(
            "--metrics-url: credentials in a URL are visible to every user of this machine (ps, shell history); use --metrics-user with --metrics-password-file or --metrics-password-env",
        ));
    }
    Ok(Target {
        broker,
        url: url.to_string(),
    })
}

/// The host of an http(s) URL, for matching an endpoint to a broker.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') || authority.starts_with('[') => h,
        _ => authority,
    }
    .trim_start_matches('[')
    .trim_end_matches(']')
}

/// Which broker each endpoint belongs to: `ID=URL`, else the one broker whose host is the
/// URL's, else the only broker there is.
pub fn assign_targets(targets: &[Target], nodes: &[Node]) -> Result<Vec<(i32, String)>> {
    let mut out = Vec::new();
    for t in targets {
        let id = match t.broker {
            Some(id) => id,
            None => {
                let by_host: Vec<i32> = nodes
                    .iter()
                    .filter(|n| n.host.eq_ignore_ascii_case(url_host(&t.url)))
                    .map(|n| n.id)
                    .collect();
                match (by_host.as_slice(), nodes) {
                    ([one], _) => *one,
                    (_, [only]) => only.id,
                    _ => {
                        return Err(Error::usage(format!(
                            "--metrics-url {}: cannot tell which broker it belongs to (brokers: {}); write it as ID={}",
                            t.url,
                            nodes.iter().map(|n| format!("{} at {}", n.id, n.address())).collect::<Vec<_>>().join(", "),
                            t.url
                        )))
                    }
                }
            }
        };
        if out.iter().any(|(b, _)| *b == id) {
            return Err(Error::usage(format!(
                "--metrics-url: two endpoints for broker {id}"
            )));
        }
        out.push((id, t.url.clone()));
    }
    Ok(out)
}

/// One scrape of every endpoint: parsed series or the reason it failed.
type Scrapes = Vec<(Target, Result<Vec<Series>, Failure>)>;

/// Why a scrape failed: refused (TLS trust, credentials: the command ends), or anything
/// else (down, slow, not Prometheus text: reported with the broker, the rest goes on).
#[derive(Debug, Clone)]
enum Failure {
    Refused(String),
    Failed(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(s) | Failure::Failed(s) => f.write_str(s),
        }
    }
}

/// A measurement of the cluster that spans a command: started before the work (first
/// metrics scrape), finished after it (metadata, statistics, second scrape).
pub struct Measurement {
    sel: Selection,
    targets: Vec<Target>,
    first: Scrapes,
    scraper: Scraper,
    started: Instant,
}

impl Measurement {
    pub fn start(sel: &Selection, timeout: Duration, progress: &Progress) -> Result<Measurement> {
        let targets = sel
            .metrics_urls
            .iter()
            .map(|s| parse_target(s))
            .collect::<Result<Vec<_>>>()?;
        if !targets.is_empty() {
            progress.set(&format!("scraping {} metrics endpoint(s)", targets.len()));
        }
        if sel.access.auth.is_some() && targets.iter().any(|t| t.url.starts_with("http://")) {
            crate::sys::diag!("kbp: warning: --metrics-url over http:// sends the credentials in the clear; use https://");
        }
        let scraper = Scraper::new(&sel.access, timeout);
        let first = scraper.all(&targets);
        // What cannot mend by itself (an untrusted certificate, refused credentials)
        // ends the command now, before the cluster is asked.
        for (t, r) in &first {
            if let Err(Failure::Refused(reason)) = r {
                return Err(Error::MetricsRefused {
                    url: t.url.clone(),
                    reason: reason.clone(),
                });
            }
        }
        Ok(Measurement {
            sel: sel.clone(),
            targets,
            first,
            scraper,
            started: Instant::now(),
        })
    }

    /// Reads the cluster, waits out the rest of the window (serving statistics), scrapes
    /// again, and builds the report; what the cluster would not answer becomes a warning.
    pub fn finish(self, session: &Session, progress: &Progress) -> Result<Measured> {
        progress.set("reading cluster metadata");
        let mut warnings = Vec::new();
        let cluster = match session.describe_cluster() {
            Ok(c) => Some(c),
            Err(e @ Error::Kafka { .. }) => {
                warnings.push(format!("controller unknown: {e}"));
                None
            }
            Err(e) => return Err(e),
        };
        let (nodes, topics) = session.metadata()?;
        let left = self.sel.window.saturating_sub(self.started.elapsed());
        if !left.is_zero() {
            progress.set("measuring round trips");
            session.idle(left);
        }
        let last = self.scraper.all(&self.targets);
        let dt = self.started.elapsed().as_secs_f64();
        let up = cluster.as_ref().map_or(&nodes, |c| &c.nodes);
        let owners = assign_targets(&self.targets, up)?;
        let mut per_broker = BTreeMap::new();
        for ((target, now), (_, before)) in last.iter().zip(&self.first) {
            let Some((id, _)) = owners.iter().find(|(_, u)| *u == target.url) else {
                continue;
            };
            let m = match now {
                Ok(series) => metrics::extract(
                    &target.url,
                    before.as_ref().ok().map(|v| v.as_slice()),
                    series,
                    dt,
                ),
                Err(e) => BrokerMetrics {
                    url: target.url.clone(),
                    error: Some(e.to_string()),
                    ..Default::default()
                },
            };
            per_broker.insert(*id, m);
        }
        Ok(Measured {
            report: build(
                cluster,
                &nodes,
                &topics,
                &session.broker_latency(),
                per_broker,
                self.sel.expect_brokers,
                warnings,
            ),
            topic_partitions: topics
                .iter()
                .map(|t| (t.name.clone(), t.partitions.len()))
                .collect(),
        })
    }
}

/// The report, and the partition count of every topic (the group rules compare it with
/// the number of consumers).
pub struct Measured {
    pub report: BrokersReport,
    pub topic_partitions: BTreeMap<String, usize>,
}

pub fn run(session: &Session, sel: &Selection, progress: &Progress) -> Result<BrokersReport> {
    Ok(Measurement::start(sel, session.timeout(), progress)?
        .finish(session, progress)?
        .report)
}

/// The HTTP client of a measurement: one agent (its TLS settings built once) for every
/// scrape, each bounded by `--timeout`.
struct Scraper {
    agent: ureq::Agent,
    authorization: Option<String>,
    ca: Option<String>,
}

impl Scraper {
    fn new(access: &Access, timeout: Duration) -> Scraper {
        use ureq::tls::{PemItem, RootCerts, TlsConfig, TlsProvider};
        let roots = match &access.ca {
            Some(ca) => {
                let certs: Vec<_> = ureq::tls::parse_pem(&ca.pem)
                    .filter_map(|item| match item {
                        Ok(PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                RootCerts::new_with_certs(&certs)
            }
            None => RootCerts::PlatformVerifier,
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::NativeTls)
            .root_certs(roots)
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .tls_config(tls)
            .build()
            .into();
        Scraper {
            agent,
            authorization: access.auth.as_ref().map(Auth::header),
            ca: access.ca.as_ref().map(|c| c.path.display().to_string()),
        }
    }

    fn all(&self, targets: &[Target]) -> Scrapes {
        targets
            .iter()
            .map(|t| {
                let parsed = self
                    .get(&t.url)
                    .and_then(|text| metrics::parse(&text).map_err(Failure::Failed));
                (t.clone(), parsed)
            })
            .collect()
    }

    /// One HTTP GET of a metrics endpoint.
    fn get(&self, url: &str) -> Result<String, Failure> {
        let mut request = self.agent.get(url);
        if let Some(a) = &self.authorization {
            request = request.header("Authorization", a);
        }
        let mut resp = request.call().map_err(|e| self.failure(url, e))?;
        resp.body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Failure::Failed(format!("cannot read {url}: {e}")))
    }

    fn failure(&self, url: &str, e: ureq::Error) -> Failure {
        match e {
            ureq::Error::StatusCode(code @ (401 | 403)) => Failure::Refused(match &self.authorization {
                Some(_) => format!("the endpoint refused kbp's credentials (HTTP {code})"),
                None => format!(
                    "the endpoint asks for credentials (HTTP {code}): give --metrics-user with --metrics-password-file (or -env), or --metrics-bearer-file (or -env)"
                ),
            }),
            ureq::Error::NativeTls(e) => Failure::Refused(format!(
                "TLS handshake failed: {}",
                tls_reason(&e.to_string(), self.ca.as_deref())
            )),
            e => Failure::Failed(format!("cannot scrape {url}: {e}")),
        }
    }
}

/// OpenSSL's verify result, which native-tls appends in parentheses, said for an operator.
fn tls_reason(message: &str, ca: Option<&str>) -> String {
    let verdict = message
        .rsplit_once('(')
        .map(|(_, r)| r.trim_end_matches(')').trim())
        .filter(|r| !r.is_empty())
        .unwrap_or(message);
    let trusted = match ca {
        Some(path) => format!("--metrics-ca {path}"),
        None => "the system's CA certificates; give --metrics-ca".into(),
    };
    let lower = verdict.to_ascii_lowercase();
    if lower.contains("self-signed") || lower.contains("unable to get local issuer") {
        format!(
            "the endpoint's certificate is not signed by a CA kbp trusts ({trusted}): {verdict}"
        )
    } else if lower.contains("hostname mismatch") || lower.contains("ip address mismatch") {
        format!("the endpoint's certificate does not name the URL's host: {verdict}")
    } else if lower.contains("expired") {
        format!("the endpoint's certificate has expired: {verdict}")
    } else {
        verdict.to_string()
    }
}

/// The cluster when it was not measured (`kbp lag --watch`, tests): no brokers, no
/// partitions, nothing for the cluster rules to find.
pub fn unmeasured() -> BrokersReport {
    build(
        None,
        &[],
        &[],
        &HashMap::new(),
        BTreeMap::new(),
        None,
        vec![],
    )
}

/// Pure: the report from what was read.
pub fn build(
    cluster: Option<ClusterDescription>,
    metadata_nodes: &[Node],
    topics: &[TopicDescription],
    latency: &HashMap<i32, BrokerLatency>,
    mut metrics: BTreeMap<i32, BrokerMetrics>,
    expect_brokers: Option<usize>,
    mut warnings: Vec<String>,
) -> BrokersReport {
    let nodes: Vec<Node> = match &cluster {
        Some(c) if !c.nodes.is_empty() => c.nodes.clone(),
        _ => metadata_nodes.to_vec(),
    };
    let controller = cluster
        .as_ref()
        .and_then(|c| c.controller.as_ref().map(|n| n.id));
    let mut leaders: HashMap<i32, usize> = HashMap::new();
    let mut replicas: HashMap<i32, usize> = HashMap::new();
    let mut urp_led: HashMap<i32, usize> = HashMap::new();
    let mut named: BTreeSet<i32> = BTreeSet::new();
    let (mut under, mut offline, mut partitions) = (Vec::new(), Vec::new(), 0);
    for t in topics {
        if let Some(e) = &t.error {
            warnings.push(format!("topic {}: {e}", t.name));
        }
        for p in &t.partitions {
            partitions += 1;
            let name = format!("{}/{}", t.name, p.partition);
            for r in &p.replicas {
                *replicas.entry(*r).or_default() += 1;
                named.insert(*r);
            }
            let urp = p.isr.len() < p.replicas.len();
            match p.leader {
                Some(l) => {
                    *leaders.entry(l).or_default() += 1;
                    if urp {
                        *urp_led.entry(l).or_default() += 1;
                    }
                }
                None => offline.push(name.clone()),
            }
            if urp {
                under.push(name);
            }
        }
    }
    let up: BTreeSet<i32> = nodes.iter().map(|n| n.id).collect();
    let down: BTreeSet<i32> = named.difference(&up).copied().collect();
    let expected = (up.len() + down.len()).max(expect_brokers.unwrap_or(0));
    let mut row = |id: i32, node: Option<&Node>| {
        let l = latency.get(&id);
        BrokerRow {
            id,
            host: node.map(|n| n.host.clone()),
            port: node.map(|n| n.port),
            rack: node.and_then(|n| n.rack.clone()),
            up: node.is_some(),
            controller: controller == Some(id),
            leaders: leaders.get(&id).copied().unwrap_or(0),
            replicas: replicas.get(&id).copied().unwrap_or(0),
            under_replicated_led: urp_led.get(&id).copied().unwrap_or(0),
            requests: l.map_or(0, |l| l.requests),
            rtt_avg_ms: l.and_then(BrokerLatency::rtt_avg_ms),
            rtt_p99_ms: l.filter(|l| l.requests > 0).map(|l| l.rtt_p99_ms),
            throttle_avg_ms: l.and_then(BrokerLatency::throttle_avg_ms),
            throttle_max_ms: l
                .filter(|l| l.throttled_responses > 0)
                .map(|l| l.throttle_max_ms),
            metrics: metrics.remove(&id),
        }
    };
    let mut brokers: Vec<BrokerRow> = nodes.iter().map(|n| row(n.id, Some(n))).collect();
    brokers.sort_by_key(|b| b.id);
    brokers.extend(down.iter().map(|id| row(*id, None)));
    BrokersReport {
        timestamp_ms: crate::clock::now_ms(),
        cluster_id: cluster.and_then(|c| c.cluster_id),
        controller,
        brokers,
        down: down.into_iter().collect(),
        expected,
        partitions,
        under_replicated: under,
        offline,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::PartitionInfo;

    fn node(id: i32, host: &str) -> Node {
        Node {
            id,
            host: host.into(),
            port: 9092,
            rack: None,
        }
    }

    fn topic(name: &str, parts: &[(Option<i32>, &[i32], &[i32])]) -> TopicDescription {
        TopicDescription {
            name: name.into(),
            internal: false,
            partitions: parts
                .iter()
                .enumerate()
                .map(|(i, (l, r, isr))| PartitionInfo {
                    partition: i as i32,
                    leader: *l,
                    replicas: r.to_vec(),
                    isr: isr.to_vec(),
                })
                .collect(),
            error: None,
        }
    }

    #[test]
    fn counts_down_brokers_urp_and_offline() {
        let cluster = ClusterDescription {
            cluster_id: Some("c".into()),
            controller: Some(node(1, "a")),
            nodes: vec![node(2, "b"), node(1, "a")],
        };
        let topics = [topic(
            "t",
            &[
                (Some(1), &[1, 2], &[1, 2]),
                (Some(1), &[1, 3], &[1]),
                (None, &[3], &[]),
                (Some(2), &[2, 1], &[2, 1]),
            ],
        )];
        let mut lat = HashMap::new();
        lat.insert(
            1,
            BrokerLatency {
                requests: 4,
                rtt_sum_ms: 8.0,
                rtt_p99_ms: 3.0,
                ..Default::default()
            },
        );
        let r = build(
            Some(cluster),
            &[],
            &topics,
            &lat,
            BTreeMap::new(),
            None,
            vec![],
        );
        assert_eq!(r.controller, Some(1));
        assert_eq!((r.down.clone(), r.expected), (vec![3], 3));
        assert_eq!(r.partitions, 4);
        assert_eq!(r.under_replicated, vec!["t/1", "t/2"]);
        assert_eq!(r.offline, vec!["t/2"]);
        let ids: Vec<(i32, bool, usize, usize, usize)> = r
            .brokers
            .iter()
            .map(|b| (b.id, b.up, b.leaders, b.replicas, b.under_replicated_led))
            .collect();
        assert_eq!(
            ids,
            vec![(1, true, 2, 3, 1), (2, true, 1, 2, 0), (3, false, 0, 2, 0)]
        );
        assert_eq!(r.brokers[0].rtt_avg_ms, Some(2.0));
        assert!(r.brokers[0].controller);
        assert_eq!(r.brokers[1].rtt_avg_ms, None);
    }

    #[test]
    fn expected_brokers_beyond_those_named() {
        let r = build(
            None,
            &[node(1, "a")],
            &[],
            &HashMap::new(),
            BTreeMap::new(),
            Some(3),
            vec![],
        );
        assert_eq!(r.controller, None);
        assert_eq!(r.brokers.len(), 1);
        assert!(r.down.is_empty());
        assert_eq!(r.expected, 3);
    }

    #[test]
    fn targets_parse_and_match_brokers() {
        assert_eq!(
            parse_target("2=http://k2:9404/metrics").unwrap(),
            Target {
                broker: Some(2),
                url: "http://k2:9404/metrics".into()
            }
        );
        assert_eq!(parse_target("http://k:1/m").unwrap().broker, None);
        assert!(parse_target("x=http://k:1/").is_err());
        assert!(parse_target("k:9404").is_err());
        let nodes = [node(1, "k1"), node(2, "k2")];
        let t = |s: &str| parse_target(s).unwrap();
        assert_eq!(
            assign_targets(
                &[t("http://k2:9404/metrics"), t("1=http://10.0.0.1:9404/")],
                &nodes
            )
            .unwrap(),
            vec![
                (2, "http://k2:9404/metrics".into()),
                (1, "http://10.0.0.1:9404/".into())
            ]
        );
        let e = assign_targets(&[t("http://elsewhere:9404/")], &nodes).unwrap_err();
        assert!(
            e.to_string()
                .contains("write it as ID=http://elsewhere:9404/"),
            "{e}"
        );
        assert!(
            assign_targets(&[t("http://x:1/")], &nodes[..1]).is_ok(),
            "one broker takes any URL"
        );
        assert!(assign_targets(&[t("1=http://a:1/"), t("1=http://b:1/")], &nodes).is_err());
        assert_eq!(url_host("http://[::1]:9404/metrics"), "::1");
        assert_eq!(url_host("https://k1/metrics"), "k1");
    }
}
