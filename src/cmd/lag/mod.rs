//! `kbp lag`: how far behind each consumer group is, per partition and per group.
//!
//! Two halves, so the rules are tested without Kafka: [`gather`] reads the cluster into a
//! [`Snapshot`] (all the I/O), and [`build`] turns a snapshot into the report (pure: missing
//! commits, negative lag, offsets lost to retention, thresholds). `kbp diagnose` samples
//! through the same two.

mod build;
mod gather;

use std::collections::HashMap;

use regex::Regex;

use crate::cli::{GroupStateArg, LagArgs, Scope};
use crate::error::Result;
use crate::kafka::{
    GroupDescription, GroupOffsets, GroupState, KafkaCode, ListedOffset, RecordTimes, Session,
    TopicPartition,
};
use crate::output::Progress;
use crate::report::lag::LagReport;

pub use build::{build, check_thresholds};
pub use gather::{gather, gather_with};

/// What `build` needs from the cluster, gathered by `gather`.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub descriptions: Vec<GroupDescription>,
    pub offsets: Vec<GroupOffsets>,
    pub starts: HashMap<TopicPartition, Result<ListedOffset, KafkaCode>>,
    pub ends: HashMap<TopicPartition, Result<ListedOffset, KafkaCode>>,
    pub times: RecordTimes,
    /// Every partition of the topics named with `--topic` (`kbp offsets -t` checks named
    /// partitions against them).
    pub topic_partitions: Vec<TopicPartition>,
    pub warnings: Vec<String>,
}

/// Which groups, topics and rows a report covers. `kbp lag`, `kbp diagnose` and
/// `kbp serve` all select through it, so a pattern means the same in each.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Exact names (`--group`); empty: the cluster's groups, listed and kept by the
    /// patterns below.
    pub groups: Vec<String>,
    /// Listed groups are kept when they match (`--group-regex`, unanchored)...
    pub group_regex: Option<Regex>,
    /// ...and do not match this (`--exclude-group-regex`).
    pub exclude_group_regex: Option<Regex>,
    /// Exact topic names (`--topic`): must exist.
    pub topics: Vec<String>,
    /// Topics matching it are kept too (`--topic-regex`, unanchored).
    pub topic_regex: Option<Regex>,
    pub states: Vec<GroupState>,
    pub only_with_lag: bool,
    pub time_lag: bool,
    /// A named group that does not exist is a warning and no rows, not exit 4: `kbp serve`
    /// keeps exporting the others when one is deleted.
    pub missing_ok: bool,
}

impl Selection {
    /// A listed group kept by the patterns (named groups are not filtered: `--group`
    /// conflicts with them).
    pub fn keeps_group(&self, group: &str) -> bool {
        self.group_regex.as_ref().is_none_or(|r| r.is_match(group))
            && !self
                .exclude_group_regex
                .as_ref()
                .is_some_and(|r| r.is_match(group))
    }

    /// Whether any topic filter is on (`--topic` or `--topic-regex`).
    pub fn filters_topics(&self) -> bool {
        !self.topics.is_empty() || self.topic_regex.is_some()
    }

    /// A topic whose partitions are reported: any without a topic filter, else one named
    /// with `--topic` or matching `--topic-regex`.
    pub fn keeps_topic(&self, topic: &str) -> bool {
        !self.filters_topics()
            || self.topics.iter().any(|t| t == topic)
            || self.topic_regex.as_ref().is_some_and(|r| r.is_match(topic))
    }
}

/// The scope alone: every state, every row, with time lag.
impl From<&Scope> for Selection {
    fn from(s: &Scope) -> Self {
        Selection {
            groups: s.groups.clone(),
            group_regex: s.group_regex.clone(),
            exclude_group_regex: s.exclude_group_regex.clone(),
            topics: s.topics.clone(),
            topic_regex: s.topic_regex.clone(),
            states: vec![],
            only_with_lag: false,
            time_lag: true,
            missing_ok: false,
        }
    }
}

impl From<&LagArgs> for Selection {
    fn from(a: &LagArgs) -> Self {
        Selection {
            states: a.states.iter().map(|s| state_of_arg(*s)).collect(),
            only_with_lag: a.only_with_lag,
            time_lag: !a.no_time_lag,
            ..Selection::from(&a.scope)
        }
    }
}

pub fn state_of_arg(s: GroupStateArg) -> GroupState {
    match s {
        GroupStateArg::Stable => GroupState::Stable,
        GroupStateArg::Empty => GroupState::Empty,
        GroupStateArg::PreparingRebalance => GroupState::PreparingRebalance,
        GroupStateArg::CompletingRebalance => GroupState::CompletingRebalance,
        GroupStateArg::Dead => GroupState::Dead,
        GroupStateArg::Unknown => GroupState::Unknown,
    }
}

pub fn run(session: &Session, sel: &Selection, progress: &Progress) -> Result<LagReport> {
    let snapshot = gather(session, sel, progress)?;
    Ok(build(&snapshot, sel, crate::clock::now_ms()))
}
