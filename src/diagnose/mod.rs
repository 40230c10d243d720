//! The rules of `kbp diagnose`: pure functions from samples of the cluster to findings.
//!
//! Nothing here talks to Kafka or prints. `cmd::diagnose` gathers the samples and hands
//! them over; every rule, threshold and edge case (one sample, a log end that goes
//! backwards, partitions appearing mid-window) is unit-tested on synthetic samples.
//! docs/diagnose.md explains each rule and why its threshold is what it is.

pub mod cluster;
pub mod group;
pub mod metrics;
pub mod trend;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cmd::lag::LagReport;

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

/// A member as one sample saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    pub id: String,
    pub client_id: String,
    /// Partitions assigned, or targeted (KIP-848) while the assignment is still empty.
    pub partitions: usize,
}

/// One look at the cluster: the lag report of that moment, and each group's members.
#[derive(Debug, Clone)]
pub struct Sample {
    pub t_ms: u64,
    pub lag: LagReport,
    pub members: BTreeMap<String, Vec<MemberView>>,
    /// Groups whose state and members the cluster would not describe.
    pub undescribed: Vec<String>,
}

/// Worst first, then by scope: the order findings are reported in.
pub fn sort_findings(findings: &mut [Finding]) {
    let mut worst: BTreeMap<Option<String>, Severity> = BTreeMap::new();
    for f in findings.iter() {
        let w = worst.entry(f.group.clone()).or_insert(Severity::Ok);
        *w = (*w).max(f.severity);
    }
    findings.sort_by(|a, b| {
        worst[&b.group]
            .cmp(&worst[&a.group])
            .then_with(|| a.group.is_some().cmp(&b.group.is_some()))
            .then_with(|| a.group.cmp(&b.group))
            .then_with(|| b.severity.cmp(&a.severity))
    });
}

/// `a/b` as a share, for evidence lines.
pub(crate) fn percent(part: f64, whole: f64) -> String {
    if whole <= 0.0 {
        return "-".into();
    }
    format!("{:.0}%", 100.0 * part / whole)
}

/// Records per second as operators read them: `0.5/s`, `12/s`, `3.4k/s`.
pub fn rate(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.0}k/s", r / 1000.0)
    } else if r >= 1000.0 {
        format!("{:.1}k/s", r / 1000.0)
    } else if r >= 10.0 || r == 0.0 {
        format!("{r:.0}/s")
    } else {
        format!("{r:.1}/s")
    }
}

/// At most `n` items, then "and N more".
pub(crate) fn list_some(items: &[String], n: usize) -> String {
    if items.len() <= n {
        items.join("; ")
    } else {
        format!("{}; and {} more", items[..n].join("; "), items.len() - n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_sort_worst_scope_first_then_worst_finding() {
        let f = |s, g: Option<&str>| Finding::new(s, "r", g, String::new());
        let mut v = vec![
            f(Severity::Ok, None),
            f(Severity::Warn, Some("a")),
            f(Severity::Ok, Some("b")),
            f(Severity::Crit, Some("b")),
            f(Severity::Ok, Some("a")),
        ];
        sort_findings(&mut v);
        let got: Vec<(Severity, Option<&str>)> =
            v.iter().map(|f| (f.severity, f.group.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                (Severity::Crit, Some("b")),
                (Severity::Ok, Some("b")),
                (Severity::Warn, Some("a")),
                (Severity::Ok, Some("a")),
                (Severity::Ok, None),
            ]
        );
    }

    #[test]
    fn status_names_and_severities() {
        assert_eq!(
            serde_json::to_string(&Status::CaughtUp).unwrap(),
            "\"CAUGHT-UP\""
        );
        assert_eq!(Status::Stop.severity(), Severity::Crit);
        assert_eq!(Status::Rewind.severity(), Severity::Warn);
        assert!(Status::Stop.rank() > Status::Stall.rank());
        assert_eq!(rate(3400.0), "3.4k/s");
        assert_eq!(rate(2.25), "2.2/s");
        assert_eq!(rate(120.0), "120/s");
        assert_eq!(
            list_some(&["a".into(), "b".into(), "c".into()], 2),
            "a; b; and 1 more"
        );
    }
}
