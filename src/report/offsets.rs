//! The reports of `kbp offsets` and `kbp group delete`: what a write of committed offsets
//! would do (the plan), and after `--execute` what it did, partition by partition; and the
//! committed offsets `kbp offsets export` prints.
//!
//! `cmd/offsets` builds them, `output` renders them and docs/json-schema.md documents them.

use serde::{Deserialize, Serialize};

/// What the command writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// `kbp offsets reset`: commits new offsets.
    Reset,
    /// `kbp offsets restore`: commits the offsets of restore files.
    Restore,
    /// `kbp offsets delete`: deletes commits (OffsetDelete).
    DeleteOffsets,
    /// `kbp group delete`: deletes groups with their commits (DeleteGroups).
    DeleteGroup,
}

/// The JSON/YAML document of `kbp offsets reset|restore|delete` and `kbp group delete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetsReport {
    pub action: Action,
    /// The strategy as given (`--to-datetime 2026-05-01T10:00:00Z`, `--shift-by -100`,
    /// the restore files).
    pub strategy: String,
    /// False for a plan: nothing was written.
    pub executed: bool,
    pub groups: Vec<GroupMove>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupMove {
    pub group: String,
    /// The group's state when it was read (`Dead` for a group that does not exist).
    pub state: String,
    pub members: usize,
    /// Where the previous offsets were saved before anything was written (with
    /// `--execute`, when the group had commits to save).
    pub restore_file: Option<String>,
    /// `kbp group delete`: whether the group was deleted (null in a plan, for other
    /// actions, and when it could not be read back: `error` says so).
    pub deleted: Option<bool>,
    /// Why the group could not be deleted (`kbp group delete` only).
    pub error: Option<String>,
    pub partitions: Vec<PartitionMove>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PartitionMove {
    pub topic: String,
    pub partition: i32,
    /// The commit before: null when the group had none on this partition.
    pub current_offset: Option<i64>,
    /// The commit after: null when it is deleted.
    pub new_offset: Option<i64>,
    /// What the strategy asked for, when it lay outside [log start, log end] and was
    /// clamped to `new_offset`; null otherwise.
    pub requested_offset: Option<i64>,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    /// Records the group skips (positive) or reads again (negative); null when it had no
    /// commit or the commit is deleted. Counted in offsets, from the log start when the
    /// commit lies below it.
    pub records: Option<i64>,
    /// Timestamps (ms) of the first and last of those records, when they could be read.
    pub first_timestamp: Option<i64>,
    pub last_timestamp: Option<i64>,
    pub status: MoveStatus,
    /// Why it did not move (`failed`), or what is known (`unknown`).
    pub error: Option<String>,
}

/// A partition's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MoveStatus {
    /// In a plan: it would move.
    Planned,
    /// The new offset is the current one: nothing to write.
    Unchanged,
    /// Written, and read back as planned.
    Moved,
    /// The commit was deleted, and reads back as none.
    Deleted,
    /// Not written (Kafka refused it, or it was not sent: the cluster had been silent for
    /// `--timeout`), or read back otherwise.
    Failed,
    /// Sent, and not read back: the write got no answer, or the read-back failed. It may
    /// have moved; `error` says what is known.
    Unknown,
}

impl MoveStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveStatus::Planned => "planned",
            MoveStatus::Unchanged => "unchanged",
            MoveStatus::Moved => "moved",
            MoveStatus::Deleted => "deleted",
            MoveStatus::Failed => "failed",
            MoveStatus::Unknown => "unknown",
        }
    }
}

/// The JSON/YAML document of `kbp offsets export`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffsetsExport {
    pub groups: Vec<GroupCommits>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupCommits {
    pub group: String,
    pub offsets: Vec<Committed>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Committed {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}
