//! The report of `kbp lag`: each group's lag per partition, in records and in time.
//!
//! `kbp diagnose` samples it, `output` renders it and docs/json-schema.md documents it, so
//! it lives below all three.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The JSON/YAML document of `kbp lag` (docs/json-schema.md); field names are stable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LagReport {
    /// When the offsets were read, milliseconds since the epoch.
    pub timestamp_ms: u64,
    pub groups: Vec<GroupLag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupLag {
    pub group: String,
    pub state: String,
    /// `classic`, `consumer` (KIP-848) or `unknown`.
    pub protocol: String,
    pub coordinator: Option<Coordinator>,
    pub members: usize,
    /// False when the cluster cannot describe groups (librdkafka's mock cluster): then
    /// state, protocol, coordinator, members and owners are unknown, not empty.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub described: bool,
    /// Sum of known partition lags; partitions without a commit count as no lag.
    pub total_lag: u64,
    pub max_time_lag_ms: Option<u64>,
    /// Partitions with a commit or an assignment but no owning member.
    pub unowned_partitions: usize,
    /// Records deleted by retention before the group read them, over all partitions.
    pub records_lost: u64,
    pub partitions: Vec<PartitionLag>,
}

#[cfg(test)]
impl GroupLag {
    /// A described classic group of `partitions`, with the totals `kbp lag` derives from
    /// them: the rows the rule tests build samples of.
    pub fn of(group: &str, state: &str, members: usize, partitions: Vec<PartitionLag>) -> GroupLag {
        GroupLag {
            group: group.into(),
            state: state.into(),
            protocol: "classic".into(),
            coordinator: None,
            members,
            described: true,
            total_lag: partitions.iter().filter_map(|p| p.lag).sum(),
            max_time_lag_ms: partitions.iter().filter_map(|p| p.time_lag_ms).max(),
            unowned_partitions: partitions
                .iter()
                .filter(|p| p.consumer_id.is_none())
                .count(),
            records_lost: 0,
            partitions,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Coordinator {
    pub id: i32,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    pub current_offset: Option<i64>,
    pub log_start_offset: Option<i64>,
    pub log_end_offset: Option<i64>,
    pub lag: Option<u64>,
    pub time_lag_ms: Option<u64>,
    /// Set when the committed offset is below the log start: records skipped by retention.
    pub records_lost: Option<u64>,
    pub consumer_id: Option<String>,
    pub host: Option<String>,
    pub client_id: Option<String>,
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

/// Per group and topic totals, for the Prometheus `_sum` metric.
pub fn lag_by_topic(g: &GroupLag) -> BTreeMap<&str, u64> {
    let mut m = BTreeMap::new();
    for p in &g.partitions {
        *m.entry(p.topic.as_str()).or_insert(0) += p.lag.unwrap_or(0);
    }
    m
}
