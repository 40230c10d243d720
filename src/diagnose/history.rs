//! What a rolling window keeps of its samples, and how the rules look a group up in them.
//!
//! The rules read the newest look at a group in full, but of the older samples only each
//! group's state and members and each partition's committed offset, log end and lag (the
//! trend). A [`Trace`] keeps just that, in columns: at 10,000 groups × 8 partitions a full
//! sample is about 20 MB, a trace under 1 MB (one committed offset per row, one log end
//! per partition, lags derived by `kbp lag`'s rule), and `kbp serve`'s window holds 20 of
//! them. Which groups a sample showed and the keys of their rows (the [`Layout`]) rarely
//! change, so consecutive traces share one; so do member lists that did not change. A
//! group that the next sample no longer shows is also kept in full, because its last look
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
    Traced(Traced<'a>),
}

/// A partition's committed offset, log end offset and lag in one sample.
pub type Offsets = (Option<i64>, Option<i64>, Option<u64>);

impl<'a> Rows<'a> {
    pub fn state(&self) -> &'a str {
        match self {
            Rows::Full(g) => &g.state,
            Rows::Traced(t) => t.state(),
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
    /// index in the newest look, where it usually is in older ones too. For looks taken in
    /// turn, `found` remembers where the row was: a look over the same layout has it in the
    /// same place (consecutive traces mostly share one, so a partition's row is searched
    /// once per layout, not once per sample).
    pub fn offsets(
        &self,
        found: &mut Found,
        hint: usize,
        topic: &str,
        partition: i32,
    ) -> Option<Offsets> {
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
            Rows::Traced(t) => t.offsets(found, hint, topic, partition),
        }
    }
}

/// Where a row was found in the last trace looked at ([`Rows::offsets`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct Found {
    /// The layout (by address, while the traces live) and group it was looked up in.
    among: Option<(usize, usize)>,
    row: Option<usize>,
}

/// Stands for None in a trace's offsets (no offset is negative).
const NONE: i64 = i64::MIN;

fn some(v: i64) -> Option<i64> {
    (v != NONE).then_some(v)
}

/// `kbp lag`'s lag of a row (never negative), from its committed offset and log end.
fn derived_lag(committed: Option<i64>, end: Option<i64>) -> Option<u64> {
    match (committed, end) {
        (Some(c), Some(e)) => Some(e.saturating_sub(c).max(0) as u64),
        _ => None,
    }
}

/// A group's rows in an older sample, read from its trace's columns.
#[derive(Debug, Clone, Copy)]
pub struct Traced<'a> {
    trace: &'a Trace,
    group: usize,
}

impl<'a> Traced<'a> {
    fn state(&self) -> &'a str {
        &self.trace.state_names[usize::from(self.trace.states[self.group])]
    }

    fn offsets(
        &self,
        found: &mut Found,
        hint: usize,
        topic: &str,
        partition: i32,
    ) -> Option<Offsets> {
        let layout = &*self.trace.layout;
        let among = (Arc::as_ptr(&self.trace.layout) as usize, self.group);
        let row = if found.among == Some(among) {
            found.row?
        } else {
            let rows = layout.rows_of(self.group);
            let is = |row: usize| {
                let (t, p) = &layout.partitions[layout.rows[row] as usize];
                *p == partition && &**t == topic
            };
            let row = match rows.start + hint {
                r if r < rows.end && is(r) => Some(r),
                _ => rows.clone().find(|r| is(*r)),
            };
            *found = Found {
                among: Some(among),
                row,
            };
            row?
        };
        if let Some(odd) = self.trace.odd.get(&(row as u32)) {
            return Some(*odd);
        }
        let committed = some(self.trace.committed[row]);
        let end = some(self.trace.ends[layout.rows[row] as usize]);
        Some((committed, end, derived_lag(committed, end)))
    }
}

/// Which groups a sample showed, in its order, and the (topic, partition) of their rows.
#[derive(Debug)]
pub struct Layout {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
    /// Group i's rows are `rows[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    /// Each row's partition, an index into `partitions`.
    rows: Vec<u32>,
    partitions: Vec<(Arc<str>, i32)>,
}

impl Layout {
    fn rows_of(&self, group: usize) -> std::ops::Range<usize> {
        self.starts[group] as usize..self.starts[group + 1] as usize
    }

    /// The groups of `lag` once each (the first row of a name, as a scan would find it).
    fn groups(lag: &crate::report::lag::LagReport) -> impl Iterator<Item = &GroupLag> {
        let mut seen = HashSet::new();
        lag.groups
            .iter()
            .filter(move |g| seen.insert(g.group.as_str()))
    }

    /// Whether `groups` are this layout's, row for row.
    fn fits<'g>(&self, groups: impl Iterator<Item = &'g GroupLag>) -> bool {
        let mut n = 0;
        for (i, g) in groups.enumerate() {
            n = i + 1;
            if i >= self.names.len() || *self.names[i] != *g.group {
                return false;
            }
            let rows = self.rows_of(i);
            if rows.len() != g.partitions.len()
                || !rows.zip(&g.partitions).all(|(row, r)| {
                    let (t, p) = &self.partitions[self.rows[row] as usize];
                    *p == r.partition && **t == *r.topic
                })
            {
                return false;
            }
        }
        n == self.names.len()
    }

    /// The layout of `groups`, reusing `previous`'s names where it can.
    fn of<'g>(groups: impl Iterator<Item = &'g GroupLag>, previous: Option<&Layout>) -> Layout {
        let mut l = Layout {
            names: Vec::new(),
            index: HashMap::new(),
            starts: vec![0],
            rows: Vec::new(),
            partitions: Vec::new(),
        };
        let mut partitions: HashMap<(&str, i32), u32> = HashMap::new();
        for g in groups {
            let name = previous
                .and_then(|p| p.index.get_key_value(g.group.as_str()))
                .map_or_else(|| Arc::from(g.group.as_str()), |(k, _)| Arc::clone(k));
            l.index.insert(Arc::clone(&name), l.names.len() as u32);
            l.names.push(name);
            for r in &g.partitions {
                let next = l.partitions.len() as u32;
                let i = *partitions.entry((&r.topic, r.partition)).or_insert(next);
                if i == next {
                    l.partitions
                        .push((Arc::from(r.topic.as_str()), r.partition));
                }
                l.rows.push(i);
            }
            l.starts.push(l.rows.len() as u32);
        }
        l
    }
}

/// A sample that is no longer the newest, reduced to what the rules read of it.
#[derive(Debug)]
pub struct Trace {
    pub t_ms: u64,
    layout: Arc<Layout>,
    /// Committed offset of each row of the layout.
    committed: Box<[i64]>,
    /// Log end offset of each partition of the layout.
    ends: Box<[i64]>,
    /// Rows whose log end is not their partition's or whose lag is not the derived one.
    odd: HashMap<u32, Offsets>,
    /// Each group's state, an index into `state_names`.
    states: Box<[u8]>,
    state_names: Vec<Cow<'static, str>>,
    /// Each group's members; None when the cluster would not describe it.
    members: Box<[Option<Arc<[MemberView]>>]>,
    /// The groups the next sample no longer shows.
    full: HashMap<u32, Box<GroupLag>>,
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
        let shown: Vec<&GroupLag> = Layout::groups(&lag).collect();
        let before = previous.map(|p| &p.layout);
        let layout = match before {
            Some(l) if l.fits(shown.iter().copied()) => Arc::clone(l),
            _ => Arc::new(Layout::of(shown.iter().copied(), before.map(|l| &**l))),
        };
        let in_newer: HashSet<&str> = newer.lag.groups.iter().map(|g| g.group.as_str()).collect();
        let undescribed: HashSet<String> = undescribed.into_iter().collect();
        let n = layout.names.len();
        let mut t = Trace {
            t_ms,
            committed: vec![NONE; layout.rows.len()].into(),
            ends: vec![NONE; layout.partitions.len()].into(),
            odd: HashMap::new(),
            states: vec![0; n].into(),
            state_names: Vec::new(),
            members: vec![None; n].into(),
            full: HashMap::new(),
            layout: Arc::clone(&layout),
        };
        let mut end_known = vec![false; layout.partitions.len()];
        let mut gone = Vec::new();
        for (i, g) in shown.into_iter().enumerate() {
            t.states[i] = t.state_code(&g.state);
            if !undescribed.contains(&g.group) {
                let now = members.remove(&g.group).unwrap_or_default();
                let earlier = previous
                    .and_then(|p| Some((p, *p.layout.index.get(g.group.as_str())?)))
                    .and_then(|(p, j)| p.members[j as usize].as_ref());
                t.members[i] = Some(match earlier {
                    Some(m) if **m == *now => Arc::clone(m),
                    _ => Arc::from(now),
                });
            }
            for (row, r) in layout.rows_of(i).zip(&g.partitions) {
                let tp = layout.rows[row] as usize;
                t.committed[row] = r.current_offset.unwrap_or(NONE);
                if !end_known[tp] {
                    end_known[tp] = true;
                    t.ends[tp] = r.log_end_offset.unwrap_or(NONE);
                }
                let end = some(t.ends[tp]);
                if r.log_end_offset != end || r.lag != derived_lag(r.current_offset, end) {
                    t.odd
                        .insert(row as u32, (r.current_offset, r.log_end_offset, r.lag));
                }
            }
            if !in_newer.contains(g.group.as_str()) {
                gone.push(i);
            }
        }
        if !gone.is_empty() {
            let mut rows: HashMap<&str, GroupLag> = HashMap::new();
            for g in lag.groups {
                if !rows.contains_key(g.group.as_str()) {
                    // Keyed by the layout's name, which outlives the report.
                    let name = &*layout.names[layout.index[g.group.as_str()] as usize];
                    rows.insert(name, g);
                }
            }
            for i in gone {
                if let Some(g) = rows.remove(&*layout.names[i]) {
                    t.full.insert(i as u32, Box::new(g));
                }
            }
        }
        t
    }

    fn state_code(&mut self, state: &str) -> u8 {
        if let Some(i) = self.state_names.iter().position(|s| s == state) {
            return i as u8;
        }
        // More distinct states than a u8 holds never come from a cluster; keep the last.
        if self.state_names.len() == usize::from(u8::MAX) {
            return u8::MAX - 1;
        }
        self.state_names
            .push(known_state(state).map_or_else(|| Cow::Owned(state.to_string()), Cow::Borrowed));
        (self.state_names.len() - 1) as u8
    }

    /// This trace's look at `group`, if the sample showed it.
    pub fn look(&self, group: &str) -> Option<Look<'_>> {
        self.find(group).map(|i| self.look_at(i))
    }

    /// Where `group` is in this trace's layout: the same in every trace that shares it.
    pub fn find(&self, group: &str) -> Option<u32> {
        self.layout.index.get(group).copied()
    }

    /// Whether `other` has this trace's layout, so a [`Trace::find`] in one holds in both.
    pub fn shares_layout(&self, other: &Trace) -> bool {
        Arc::ptr_eq(&self.layout, &other.layout)
    }

    /// The look at the group [`Trace::find`] found.
    pub fn look_at(&self, i: u32) -> Look<'_> {
        let g = i as usize;
        Look {
            t_ms: self.t_ms,
            rows: match self.full.get(&i) {
                Some(full) => Rows::Full(full),
                None => Rows::Traced(Traced {
                    trace: self,
                    group: g,
                }),
            },
            members: self.members[g].as_deref(),
        }
    }

    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.layout.names.iter().map(|k| &**k)
    }
}

/// The group states `kbp lag` reports, as static strings (a trace keeps no copy of them).
fn known_state(s: &str) -> Option<&'static str> {
    crate::kafka::GroupState::ALL
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lag::{LagReport, PartitionLag};
    use std::collections::BTreeMap;

    fn sample(t_ms: u64, groups: &[(&str, &[(&str, i32)])], committed: i64) -> Sample {
        let row = |(topic, partition): &(&str, i32)| PartitionLag {
            topic: topic.to_string(),
            partition: *partition,
            current_offset: Some(committed),
            log_start_offset: Some(0),
            log_end_offset: Some(100),
            lag: Some((100 - committed) as u64),
            time_lag_ms: None,
            records_lost: None,
            consumer_id: None,
            host: None,
            client_id: None,
        };
        let group = |(name, rows): &(&str, &[(&str, i32)])| {
            GroupLag::of(name, "Empty", 0, rows.iter().map(row).collect())
        };
        Sample {
            t_ms,
            lag: LagReport {
                timestamp_ms: t_ms,
                groups: groups.iter().map(group).collect(),
                warnings: vec![],
            },
            members: BTreeMap::new(),
            undescribed: vec![],
        }
    }

    #[test]
    fn traces_share_an_unchanged_layout_and_keep_one_log_end_per_partition() {
        let rows: &[(&str, i32)] = &[("t", 0), ("t", 1)];
        let same = [("a", rows), ("b", rows)];
        let first = Trace::of(sample(1, &same, 10), &sample(2, &same, 20), None);
        let second = Trace::of(sample(2, &same, 20), &sample(3, &same, 30), Some(&first));
        assert!(Arc::ptr_eq(&first.layout, &second.layout));
        // Two groups on the same two partitions: two log ends, four committed offsets.
        assert_eq!((second.ends.len(), second.committed.len()), (2, 4));
        assert!(second.odd.is_empty() && second.full.is_empty());
        let look = second.look("b").unwrap();
        assert_eq!(
            look.rows.offsets(&mut Found::default(), 1, "t", 1),
            Some((Some(20), Some(100), Some(80)))
        );
        assert_eq!(
            look.rows.offsets(&mut Found::default(), 0, "t", 1),
            Some((Some(20), Some(100), Some(80)))
        );
        assert_eq!(look.rows.offsets(&mut Found::default(), 0, "t", 2), None);

        // A group more: a layout of its own, the names lent by the one before.
        let more = [("a", rows), ("b", rows), ("c", &rows[..1])];
        let third = Trace::of(sample(3, &more, 30), &sample(4, &same, 40), Some(&second));
        assert!(!Arc::ptr_eq(&second.layout, &third.layout));
        assert!(Arc::ptr_eq(&second.layout.names[0], &third.layout.names[0]));
        // "c" is gone from the next sample: kept in full.
        assert!(matches!(third.look("c").unwrap().rows, Rows::Full(_)));
        assert!(matches!(third.look("a").unwrap().rows, Rows::Traced(_)));
    }
}
