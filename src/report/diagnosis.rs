//! The report of `kbp diagnose`: statuses, findings and each group's trend.
//!
//! The rules in `diagnose` fill it in, `output` renders it and `kbp diagnose --fail-on`
//! judges it; the vocabulary (Status, Severity, Finding) is shared by all of them.

use serde::{Deserialize, Serialize};

use super::brokers::BrokersReport;

/// The JSON/YAML document of `kbp diagnose` (docs/json-schema.md, docs/diagnose.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnoseReport {
    /// When the last sample was taken, milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// Milliseconds between the first and the last sample (0 with `--once`).
    pub window_ms: u64,
    pub samples: usize,
    /// The worst severity of any finding; the exit code follows it (`--fail-on`).
    pub worst: Severity,
    /// Worst scope first (a group, or the cluster), then worst finding first.
    pub findings: Vec<Finding>,
    /// Worst first.
    pub groups: Vec<GroupDiagnosis>,
    pub cluster: BrokersReport,
    /// What kbp could not see (e.g. group APIs missing), one line each; also on stderr.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How bad a finding is; the report's exit code follows the worst one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warn,
    Crit,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warn => "warn",
            Severity::Crit => "crit",
        }
    }
}

/// A partition's trend over the window, in Burrow's vocabulary plus CAUGHT-UP and UNKNOWN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING-KEBAB-CASE")]
pub enum Status {
    /// Lag is zero (or only transaction markers are left).
    CaughtUp,
    /// Lag, but commits move and it is not rising; or an idle log.
    Ok,
    /// Commits move, but lag rose at every sample.
    Warn,
    /// A member owns the partition, lag > 0, and the committed offset did not move.
    Stall,
    /// Nobody owns it, the committed offset did not move, and the log end did.
    Stop,
    /// The committed offset went backwards and has not caught up since.
    Rewind,
    /// No committed offset, or a single sample with lag: no trend to judge.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::CaughtUp => "CAUGHT-UP",
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Stall => "STALL",
            Status::Stop => "STOP",
            Status::Rewind => "REWIND",
            Status::Unknown => "UNKNOWN",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Status::Stop | Status::Stall => Severity::Crit,
            Status::Warn | Status::Rewind => Severity::Warn,
            Status::CaughtUp | Status::Ok | Status::Unknown => Severity::Ok,
        }
    }

    /// Worst first: the order in which a group's status is picked from its partitions.
    pub fn rank(self) -> u8 {
        match self {
            Status::Stop => 6,
            Status::Stall => 5,
            Status::Rewind => 4,
            Status::Warn => 3,
            Status::Unknown => 2,
            Status::Ok => 1,
            Status::CaughtUp => 0,
        }
    }
}

/// One thing kbp found: what is wrong, the numbers that show it, why, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub severity: Severity,
    /// The rule's name, e.g. `stop`, `falling-behind`, `broker-down` (docs/diagnose.md).
    pub rule: String,
    /// The group it is about; `null` for cluster findings.
    pub group: Option<String>,
    /// What exactly: `orders/3`, `broker 2`, `group billing`.
    pub subject: String,
    pub symptom: String,
    pub evidence: String,
    pub cause: String,
    pub remedy: String,
}

impl Finding {
    pub fn new(severity: Severity, rule: &str, group: Option<&str>, subject: String) -> Finding {
        Finding {
            severity,
            rule: rule.to_string(),
            group: group.map(String::from),
            subject,
            symptom: String::new(),
            evidence: String::new(),
            cause: String::new(),
            remedy: String::new(),
        }
    }

    pub fn says(mut self, symptom: String, evidence: String, cause: &str, remedy: String) -> Self {
        self.symptom = symptom;
        self.evidence = evidence;
        self.cause = cause.to_string();
        self.remedy = remedy;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupDiagnosis {
    pub group: String,
    pub state: String,
    pub protocol: String,
    pub members: usize,
    /// The worst partition status.
    pub status: Status,
    pub severity: Severity,
    pub total_lag: u64,
    /// Lag now minus lag at the first sample, over the partitions seen in both.
    pub lag_change: i64,
    /// Records per second written to the group's partitions over the window.
    pub produce_rate: Option<f64>,
    /// Records per second the group's committed offsets advanced over the window.
    pub consume_rate: Option<f64>,
    /// Time to catch up at current rates; `null` when caught up, never, or unknown (see `eta`).
    pub eta_ms: Option<u64>,
    /// `caught-up`, `never`, `unknown`, or the ETA as a duration.
    pub eta: String,
    pub max_time_lag_ms: Option<u64>,
    pub unowned_partitions: usize,
    /// Members that own no partition.
    pub idle_members: usize,
    pub records_lost: u64,
    /// Membership changes seen between samples (joins plus leaves).
    pub membership_changes: usize,
    /// Samples in which the group was rebalancing.
    pub unstable_samples: usize,
    pub partitions: Vec<PartitionDiagnosis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionDiagnosis {
    pub topic: String,
    pub partition: i32,
    pub status: Status,
    pub lag: Option<u64>,
    pub lag_change: Option<i64>,
    pub current_offset: Option<i64>,
    pub log_start_offset: Option<i64>,
    pub log_end_offset: Option<i64>,
    pub produce_rate: Option<f64>,
    pub consume_rate: Option<f64>,
    /// How long the committed offset has not moved, within the window.
    pub unchanged_ms: u64,
    pub time_lag_ms: Option<u64>,
    pub records_lost: Option<u64>,
    pub owner: Option<String>,
    /// Samples this partition was seen in.
    pub samples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_and_severities() {
        assert_eq!(
            serde_json::to_string(&Status::CaughtUp).unwrap(),
            "\"CAUGHT-UP\""
        );
        assert_eq!(Status::Stop.severity(), Severity::Crit);
        assert_eq!(Status::Rewind.severity(), Severity::Warn);
        assert!(Status::Stop.rank() > Status::Stall.rank());
    }
}
