//! The rules of `kbp diagnose`: pure functions from samples of the cluster to findings.
//!
//! Nothing here talks to Kafka or prints. `cmd::diagnose` gathers the samples and hands
//! them over; every rule, threshold and edge case (one sample, a log end that goes
//! backwards, partitions appearing mid-window) is unit-tested on synthetic samples.
//! docs/diagnose.md explains each rule and why its threshold is what it is.

pub mod cluster;
pub mod group;
pub mod history;
pub mod metrics;
pub mod trend;

use std::collections::BTreeMap;

use crate::report::diagnosis::{Finding, Severity};
use crate::report::lag::LagReport;

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
    fn lists_are_cut_after_n() {
        assert_eq!(
            list_some(&["a".into(), "b".into(), "c".into()], 2),
            "a; b; and 1 more"
        );
    }
}
