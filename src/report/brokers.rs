//! The report of `kbp brokers`: each broker's load, round trips and scraped metrics.
//!
//! `kbp diagnose` embeds it as its cluster part and judges it (`diagnose::cluster`), so it
//! lives below the rules and the renderers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The JSON/YAML document of `kbp brokers` (docs/json-schema.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokersReport {
    pub timestamp_ms: u64,
    pub cluster_id: Option<String>,
    /// `null` when the cluster would not say (DescribeCluster unavailable).
    pub controller: Option<i32>,
    /// Brokers up, then brokers that replicas name but that are not up.
    pub brokers: Vec<BrokerRow>,
    /// Ids of brokers that replicas name but that are not up.
    pub down: Vec<i32>,
    /// Brokers the cluster should have: those up, those down, or `--expect-brokers`.
    pub expected: usize,
    /// Partitions of all topics, internal ones included.
    pub partitions: usize,
    /// `topic/partition` with fewer in-sync replicas than replicas.
    pub under_replicated: Vec<String>,
    /// `topic/partition` without a leader.
    pub offline: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerRow {
    pub id: i32,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub rack: Option<String>,
    pub up: bool,
    pub controller: bool,
    pub leaders: usize,
    pub replicas: usize,
    /// Under-replicated partitions this broker leads.
    pub under_replicated_led: usize,
    /// Round trip of kbp's requests to this broker, from librdkafka's statistics.
    pub requests: u64,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_p99_ms: Option<f64>,
    /// Throttle time the broker asked for (quotas), when it did.
    pub throttle_avg_ms: Option<f64>,
    pub throttle_max_ms: Option<f64>,
    pub metrics: Option<BrokerMetrics>,
}

/// A broker's metrics as `kbp brokers` reports them; `null` where the endpoint has none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerMetrics {
    pub url: String,
    /// Fraction of time the request handler threads were idle (0..1).
    pub request_handler_idle: Option<f64>,
    /// Fraction of time the network processor threads were idle (0..1).
    pub network_processor_idle: Option<f64>,
    pub request_queue_size: Option<f64>,
    pub produce_p99_ms: Option<f64>,
    /// Consumer fetches (FetchConsumer), including the fetch.max.wait.ms long poll.
    pub fetch_p99_ms: Option<f64>,
    pub bytes_in_per_sec: Option<f64>,
    pub bytes_out_per_sec: Option<f64>,
    pub log_flush_per_sec: Option<f64>,
    pub log_flush_p99_ms: Option<f64>,
    pub under_replicated_partitions: Option<f64>,
    /// Sum of the broker's partition log sizes.
    pub disk_used_bytes: Option<f64>,
    /// Log size per log directory, when the exporter labels it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_dirs: BTreeMap<String, f64>,
    /// Why the endpoint could not be read.
    pub error: Option<String>,
}
