//! `kbp lag`: how far behind each consumer group is, per partition and per group.
//!
//! Two halves, so the rules are tested without Kafka: [`gather`] reads the cluster into a
//! [`Snapshot`] (all the I/O), and [`build`] turns a snapshot into the report (pure: missing
//! commits, negative lag, offsets lost to retention, thresholds). `kbp diagnose` samples
//! through the same two.

mod build;
mod gather;

use std::collections::HashMap;

use crate::cli::{GroupStateArg, LagArgs};
use crate::error::Result;
use crate::kafka::{
    GroupDescription, GroupOffsets, GroupState, KafkaCode, ListedOffset, RecordTime, Session,
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
    pub times: HashMap<(TopicPartition, i64), RecordTime>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Selection {
    pub groups: Vec<String>,
    pub topics: Vec<String>,
    pub states: Vec<GroupState>,
    pub only_with_lag: bool,
    pub time_lag: bool,
    /// A named group that does not exist is a warning and no rows, not exit 4: `kbp serve`
    /// keeps exporting the others when one is deleted.
    pub missing_ok: bool,
}

impl From<&LagArgs> for Selection {
    fn from(a: &LagArgs) -> Self {
        Selection {
            groups: a.scope.groups.clone(),
            topics: a.scope.topics.clone(),
            states: a.states.iter().map(|s| state_of_arg(*s)).collect(),
            only_with_lag: a.only_with_lag,
            missing_ok: false,
            time_lag: !a.no_time_lag,
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
