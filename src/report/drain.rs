//! The reports of `kbp drain`: the summary of a run and the `--dry-run` plan.
//!
//! The engine counts into them, `cmd/drain.rs` prints them (JSON on stdout or a table on
//! stderr) and docs/json-schema.md documents them.

use serde::Serialize;

/// The summary of a drain (`--summary json` on stdout, a table on stderr otherwise).
#[derive(Debug, Serialize)]
pub struct DrainSummary {
    pub group: String,
    pub topics: Vec<String>,
    pub stop_reason: StopReason,
    pub duration_ms: u64,
    pub no_commit: bool,
    #[serde(flatten)]
    pub counters: Counters,
    pub partitions: Vec<PartitionSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Why the drain stopped; part of the summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    Running,
    /// Every assigned partition reached its `--until` limit.
    Done,
    MaxRecords,
    Idle,
    Interrupted,
    /// The sink's reader went away (`| head`).
    SinkClosed,
    /// A record failed after its retries with `--on-failure stop`.
    Failed,
    /// The sink could not make written records durable (a full disk): nothing past the
    /// last commit counts as processed.
    SinkFailed,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PartitionSummary {
    pub topic: String,
    pub partition: i32,
    /// The first offset this run saw (committed position or first record).
    pub start_offset: Option<i64>,
    /// The last offset this run committed.
    pub committed_offset: Option<i64>,
    pub processed: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counters {
    pub processed: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    pub failed: u64,
    pub retries: u64,
    /// Times the whole assignment was paused because the queue stayed full.
    pub pauses: u64,
    /// Times one partition was paused (and read again later) for holding more than its
    /// share of the queue, with `--ordering partition`.
    pub partition_pauses: u64,
    pub rebalances: u64,
    pub commits: u64,
    pub commit_failures: u64,
    /// Commits refused mid-rebalance and sent again (not failures).
    pub commit_retries: u64,
    pub max_queued: usize,
    /// Records written with bytes replaced: a key, value or header value that is not
    /// UTF-8, shown as text with U+FFFD in place of its invalid bytes.
    pub replaced: u64,
}

/// One partition's bounds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartitionPlan {
    pub topic: String,
    pub partition: i32,
    /// The group's commit, if any.
    pub committed: Option<i64>,
    /// The first offset the drain would process.
    pub start: i64,
    /// The first offset it would not process; `None` without `--until` (runs on).
    pub stop: Option<i64>,
    /// Records from start to stop, or to the current log end without `--until`.
    pub records: u64,
    /// Timestamps (ms) of the first and last of those records, when they could be read.
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
    pub log_start: i64,
    pub log_end: i64,
    /// Where it would start without a commit (`--from`).
    #[serde(skip)]
    pub fresh: i64,
}

/// The `--dry-run` report: what a drain would do, per partition.
#[derive(Debug, Serialize)]
pub struct DrainPlan {
    pub group: String,
    pub topics: Vec<String>,
    /// The `--until` as given, or null.
    pub until: Option<String>,
    pub records: u64,
    pub partitions: Vec<PartitionPlan>,
}
