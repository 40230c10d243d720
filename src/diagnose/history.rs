//! What a rolling window keeps of its samples, and how the rules look a group up in them.
//!
//! The rules read the newest look at a group in full, but of the older samples only each
//! group's state and members and each partition's committed offset, log end and lag (the
//! trend). A [`Trace`] keeps just that: at 10,000 groups × 8 partitions a full sample is
//! about 20 MB and a trace under 3 MB, and `kbp serve`'s window holds 20 of them. Keys,
//! member lists and names that did not change since the previous trace are shared with
//! it. A group that the next sample no longer shows stays in full, because its last look
//! is the one its diagnosis is built from.
//!
//! [`Look`] is one sample's view of one group, whichever form the sample has; the rules
//! ([`super::group::judge`]) read only looks, and [`Index`] finds a group in a full sample
//! without a scan, so judging N groups over S samples costs N × S lookups, not N² × S.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{MemberView, Sample};
use crate::report::lag::GroupLag;

/// One sample's view of one group.
#[derive(Debug, Clone, Copy)]
pub struct Look<'a> {
    pub t_ms: u64,
    pub rows: Rows<'a>,
    /// None when the cluster would not describe the group in that sample.
    pub members: Option<&'a [MemberView]>,
}

/// A group's rows in one sample: the report's own, or what a trace kept of them.
#[derive(Debug, Clone, Copy)]
pub enum Rows<'a> {
    Full(&'a GroupLag),
    Traced(&'a Traced),
}

/// A partition's committed offset, log end offset and lag in one sample.
pub type Offsets = (Option<i64>, Option<i64>, Option<u64>);

impl<'a> Rows<'a> {
    pub fn state(&self) -> &'a str {
        match self {
            Rows::Full(g) => &g.state,
            Rows::Traced(t) => &t.state,
        }
    }

    /// The whole row; a group's newest look always has it.
    pub fn full(&self) -> Option<&'a GroupLag> {
        match self {
            Rows::Full(g) => Some(g),
            Rows::Traced(_) => None,
        }
    }

    /// The offsets of `topic`/`partition`, if the group had that row. `hint` is the row's
    /// index in the newest look, where it usually is in older ones too.
    pub fn offsets(&self, hint: usize, topic: &str, partition: i32) -> Option<Offsets> {
        match self {
            Rows::Full(g) => {
                let is = |r: &&crate::report::lag::PartitionLag| {
                    r.partition == partition && r.topic == topic
                };
                let r = g
                    .partitions
                    .get(hint)
                    .filter(is)
                    .or_else(|| g.partitions.iter().find(is))?;
                Some((r.current_offset, r.log_end_offset, r.lag))
            }
            Rows::Traced(t) => {
                let is = |k: &&(Arc<str>, i32)| k.1 == partition && &*k.0 == topic;
                let i = match t.keys.get(hint).filter(is) {
                    Some(_) => hint,
                    None => t.keys.iter().position(|k| is(&k))?,
                };
                let (c, e, l) = t.offsets[i];
                Some((
                    (c != NONE_I64).then_some(c),
                    (e != NONE_I64).then_some(e),
                    (l != NONE_U64).then_some(l),
                ))
            }
        }
    }
}

/// Stands for None in a trace's offsets (no offset is negative, no lag that large).
const NONE_I64: i64 = i64::MIN;
const NONE_U64: u64 = u64::MAX;

/// What a trace keeps of a group's rows.
#[derive(Debug)]
pub struct Traced {
    state: Cow<'static, str>,
    /// (topic, partition) of each row, in the report's order.
    keys: Arc<[(Arc<str>, i32)]>,
    /// Committed offset, log end offset and lag of each row.
    offsets: Box<[(i64, i64, u64)]>,
}

#[derive(Debug)]
enum Kept {
    Traced(Traced),
    /// The sample after this one does not show the group: its diagnosis needs the whole row.
    Full(Box<GroupLag>),
}

#[derive(Debug)]
struct TraceGroup {
    members: Option<Arc<[MemberView]>>,
    kept: Kept,
}

/// A sample that is no longer the newest, reduced to what the rules read of it.
#[derive(Debug)]
pub struct Trace {
    pub t_ms: u64,
    groups: HashMap<Arc<str>, TraceGroup>,
}

impl Trace {
    /// `sample` reduced, now that `newer` follows it; `previous` (the trace before it) lends
    /// what did not change.
    pub fn of(sample: Sample, newer: &Sample, previous: Option<&Trace>) -> Trace {
        let Sample {
            t_ms,
            lag,
            mut members,
            undescribed,
        } = sample;
        let in_newer: HashSet<&str> = newer.lag.groups.iter().map(|g| g.group.as_str()).collect();
        let undescribed: HashSet<String> = undescribed.into_iter().collect();
        let mut topics: HashMap<String, Arc<str>> = HashMap::new();
        let mut groups = HashMap::with_capacity(lag.groups.len());
        for g in lag.groups {
            let before = previous.and_then(|p| p.groups.get_key_value(g.group.as_str()));
            let name = before.map_or_else(|| Arc::from(g.group.as_str()), |(k, _)| Arc::clone(k));
            let before = before.map(|(_, v)| v);
            let members = (!undescribed.contains(&g.group)).then(|| {
                let now = members.remove(&g.group).unwrap_or_default();
                match before.and_then(|b| b.members.as_ref()) {
                    Some(m) if **m == *now => Arc::clone(m),
                    _ => Arc::from(now),
                }
            });
            let kept = if in_newer.contains(g.group.as_str()) {
                Kept::Traced(traced(&g, before, &mut topics))
            } else {
                Kept::Full(Box::new(g))
            };
            groups.entry(name).or_insert(TraceGroup { members, kept });
        }
        Trace { t_ms, groups }
    }

    /// This trace's look at `group`, if the sample showed it.
    pub fn look(&self, group: &str) -> Option<Look<'_>> {
        let g = self.groups.get(group)?;
        Some(Look {
            t_ms: self.t_ms,
            rows: match &g.kept {
                Kept::Traced(t) => Rows::Traced(t),
                Kept::Full(full) => Rows::Full(full),
            },
            members: g.members.as_deref(),
        })
    }

    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(|k| &**k)
    }
}

fn traced(
    g: &GroupLag,
    before: Option<&TraceGroup>,
    topics: &mut HashMap<String, Arc<str>>,
) -> Traced {
    let same_keys = |k: &[(Arc<str>, i32)]| {
        k.len() == g.partitions.len()
            && k.iter()
                .zip(&g.partitions)
                .all(|((t, p), r)| *p == r.partition && **t == *r.topic)
    };
    let keys = match before.map(|b| &b.kept) {
        Some(Kept::Traced(t)) if same_keys(&t.keys) => Arc::clone(&t.keys),
        _ => g
            .partitions
            .iter()
            .map(|r| {
                let topic = topics
                    .entry(r.topic.clone())
                    .or_insert_with(|| Arc::from(r.topic.as_str()));
                (Arc::clone(topic), r.partition)
            })
            .collect(),
    };
    Traced {
        state: known_state(&g.state).map_or_else(|| Cow::Owned(g.state.clone()), Cow::Borrowed),
        keys,
        offsets: g
            .partitions
            .iter()
            .map(|r| {
                (
                    r.current_offset.unwrap_or(NONE_I64),
                    r.log_end_offset.unwrap_or(NONE_I64),
                    r.lag.unwrap_or(NONE_U64),
                )
            })
            .collect(),
    }
}

/// The group states `kbp lag` reports, as static strings (a trace keeps no copy of them).
fn known_state(s: &str) -> Option<&'static str> {
    use crate::kafka::GroupState::*;
    [
        Stable,
        Empty,
        PreparingRebalance,
        CompletingRebalance,
        Dead,
        Unknown,
    ]
    .into_iter()
    .map(|g| g.as_str())
    .find(|g| *g == s)
}

/// A full sample's groups by name, for looks without a scan.
pub struct Index<'a> {
    sample: &'a Sample,
    groups: HashMap<&'a str, &'a GroupLag>,
    undescribed: HashSet<&'a str>,
}

impl<'a> Index<'a> {
    pub fn new(sample: &'a Sample) -> Index<'a> {
        Index {
            sample,
            // The first row of a name wins, as a scan would find it.
            groups: sample
                .lag
                .groups
                .iter()
                .rev()
                .map(|g| (g.group.as_str(), g))
                .collect(),
            undescribed: sample.undescribed.iter().map(String::as_str).collect(),
        }
    }

    pub fn look(&self, group: &str) -> Option<Look<'a>> {
        let g = self.groups.get(group)?;
        Some(full_look(self.sample, g, !self.undescribed.contains(group)))
    }
}

/// `sample`'s look at `group`, by a scan (for a few samples of a few groups).
pub fn look<'a>(sample: &'a Sample, group: &str) -> Option<Look<'a>> {
    let g = sample.lag.groups.iter().find(|g| g.group == group)?;
    Some(full_look(
        sample,
        g,
        !sample.undescribed.iter().any(|u| u == group),
    ))
}

fn full_look<'a>(sample: &'a Sample, g: &'a GroupLag, described: bool) -> Look<'a> {
    Look {
        t_ms: sample.t_ms,
        rows: Rows::Full(g),
        members: described.then(|| {
            sample
                .members
                .get(&g.group)
                .map_or(&[][..], |m| m.as_slice())
        }),
    }
}
