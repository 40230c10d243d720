//! One refresh of `kbp lag --watch` and `kbp diagnose --watch`: each group and partition
//! with its verdict, rates and ETA over the rolling window, and how its lag moved since
//! the refresh before. `-o json` writes one per line (docs/json-schema.md).

use serde::{Deserialize, Serialize};

use super::brokers::BrokersReport;
use super::diagnosis::{Finding, Severity, Status};

/// One frame of a watch; the stream is one of these per refresh that succeeded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFrame {
    /// `lag` or `diagnose`: the command watching.
    pub command: String,
    /// 1 at the first refresh; a refresh that failed uses its number up too.
    pub refresh: u64,
    /// When this refresh's offsets were read, milliseconds since the epoch.
    pub timestamp_ms: u64,
    pub interval_ms: u64,
    /// Milliseconds between the window's first and last sample: what rates are taken over.
    pub window_ms: u64,
    /// Samples in the window (one per refresh).
    pub samples: usize,
    /// The worst verdict: of the groups (`lag`), or of every finding (`diagnose`).
    pub worst: Severity,
    /// Ordered by `--sort`.
    pub groups: Vec<WatchGroup>,
    /// `kbp diagnose --watch` only: its findings over the window, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// `kbp diagnose --watch` only: the cluster as `kbp brokers` measured it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<BrokersReport>,
    /// What kbp could not see at this refresh, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchGroup {
    pub group: String,
    pub state: String,
    pub members: usize,
    /// `kbp diagnose`'s verdict over the window: the worst partition status...
    pub status: Status,
    /// ...and the worst of the group's findings.
    pub severity: Severity,
    pub total_lag: u64,
    /// Total lag now minus at the refresh before; `null` at the first refresh.
    pub lag_delta: Option<i64>,
    /// Lag now minus lag at the window's first sample.
    pub lag_change: i64,
    /// Total lag at each of the last refreshes (at most 12), oldest first.
    pub lag_trend: Vec<u64>,
    pub max_time_lag_ms: Option<u64>,
    /// Records per second written to, and committed by the group in, its partitions.
    pub produce_rate: Option<f64>,
    pub consume_rate: Option<f64>,
    /// Time to catch up at current rates; `null` when caught up, never, or unknown.
    pub eta_ms: Option<u64>,
    /// `caught-up`, `never`, `unknown`, or the ETA as a duration.
    pub eta: String,
    /// Ordered by `--sort`.
    pub partitions: Vec<WatchPartition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchPartition {
    pub topic: String,
    pub partition: i32,
    pub status: Status,
    pub lag: Option<u64>,
    pub lag_delta: Option<i64>,
    pub lag_change: Option<i64>,
    /// Lag at each of the last refreshes (at most 12), oldest first; `null` where unknown.
    pub lag_trend: Vec<Option<u64>>,
    pub time_lag_ms: Option<u64>,
    pub produce_rate: Option<f64>,
    pub consume_rate: Option<f64>,
    pub eta_ms: Option<u64>,
    pub eta: String,
    pub current_offset: Option<i64>,
    pub log_end_offset: Option<i64>,
    pub owner: Option<String>,
}
