//! `--execute`, in an order that can always be undone: every group is guarded first
//! (nothing is written when one has live members), then each group's previous offsets go
//! to a restore file (synced), then each group is written in one request, then everything
//! is read back. The report says, per partition, whether it moved; any that did not is an
//! error naming the partitions that moved and those that did not.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{file, Write};
use crate::cmd::guard::Guard;
use crate::error::{Error, Result};
use crate::kafka::{
    AclOperation, GroupDescription, GroupState, KafkaCode, Need, Session, TopicPartition,
};
use crate::report::offsets::{Action, GroupMove, MoveStatus, OffsetsReport, PartitionMove};

/// Any member of the group is in the way of a write: Kafka refuses offsets written from
/// outside a group that has members (UNKNOWN_MEMBER_ID, both protocols), and a server that
/// took them would see them overwritten at the members' next commit. Kafka deletes only
/// groups without members (NON_EMPTY_GROUP).
pub fn guard(action: Action) -> Guard {
    let delete = action == Action::DeleteGroup;
    Guard {
        welcome: |_| false,
        which: "",
        harm: if delete {
            "Kafka deletes only groups without members"
        } else {
            "Kafka refuses offsets written from outside a group with members, and they would overwrite them at their next commit"
        },
        flag: if delete { "" } else { "--force" },
        act: "write",
        doing: "writing to",
        forced: "Kafka refuses the write while they are in the group (UNKNOWN_MEMBER_ID); what a server takes, they overwrite at their next commit",
    }
}

/// Whether `g` has anything to write.
pub fn writes(action: Action, g: &GroupMove) -> bool {
    action == Action::DeleteGroup || g.partitions.iter().any(planned)
}

/// Guards every group with something to write, before anything is: one with live
/// members is exit 8 (unless `force`), and nothing is saved or written.
pub fn check_guard(
    report: &OffsetsReport,
    descriptions: &HashMap<String, GroupDescription>,
    force: bool,
) -> Result<()> {
    let guard = guard(report.action);
    for g in report.groups.iter().filter(|g| writes(report.action, g)) {
        guard.check(&g.group, descriptions.get(&g.group), force)?;
    }
    Ok(())
}

/// The ACLs the write needs (OffsetCommit: READ on the group and the topic; OffsetDelete:
/// DELETE on the group and READ on the topic; DeleteGroups: DELETE on the group), checked
/// before anything is saved or written: exit 9 naming each one missing.
pub fn check_acls(session: &Session, report: &OffsetsReport) -> Result<()> {
    let action = report.action;
    let group_op = match action {
        Action::Reset | Action::Restore => AclOperation::Read,
        Action::DeleteOffsets | Action::DeleteGroup => AclOperation::Delete,
    };
    let mut needs = BTreeSet::new();
    for g in report.groups.iter().filter(|g| writes(action, g)) {
        needs.insert(Need::Group(g.group.clone(), group_op));
        if action != Action::DeleteGroup {
            needs.extend(
                g.partitions
                    .iter()
                    .filter(|p| planned(p))
                    .map(|p| Need::Topic(p.topic.clone(), AclOperation::Read)),
            );
        }
    }
    let needs: Vec<Need> = needs.into_iter().collect();
    session.require(&needs, &format!("{} --execute", command(action)))
}

/// The command line of each action, for messages.
fn command(action: Action) -> &'static str {
    match action {
        Action::Reset => "kbp offsets reset",
        Action::Restore => "kbp offsets restore",
        Action::DeleteOffsets => "kbp offsets delete",
        Action::DeleteGroup => "kbp group delete",
    }
}

/// The Kafka call of each action, for messages.
fn operation(action: Action) -> &'static str {
    match action {
        Action::Reset | Action::Restore => "AlterConsumerGroupOffsets",
        Action::DeleteOffsets => "DeleteConsumerGroupOffsets",
        Action::DeleteGroup => "DeleteGroups",
    }
}

fn planned(p: &PartitionMove) -> bool {
    p.status == MoveStatus::Planned
}

fn tp(p: &PartitionMove) -> TopicPartition {
    TopicPartition::new(p.topic.clone(), p.partition)
}

fn name(p: &PartitionMove) -> String {
    format!("{}/{}", p.topic, p.partition)
}

/// Saves, writes and reads back (the guard has passed: [`check_guard`]); `report` ends up
/// saying what happened.
pub fn execute(session: &Session, report: &mut OffsetsReport, write: &Write) -> Result<()> {
    let action = report.action;
    save(report, write)?;
    report.executed = true;
    match action {
        Action::DeleteGroup => {
            let names: Vec<String> = report.groups.iter().map(|g| g.group.clone()).collect();
            let answers: HashMap<String, Option<KafkaCode>> =
                session.delete_groups(&names)?.into_iter().collect();
            for g in &mut report.groups {
                g.error = answers
                    .get(&g.group)
                    .cloned()
                    .flatten()
                    .map(|e| e.to_string());
            }
        }
        _ => {
            for g in report.groups.iter_mut().filter(|g| writes(action, g)) {
                write_group(session, action, g);
            }
        }
    }
    verify(session, report)
}

/// Each written group's previous offsets, to a restore file of its own, synced before
/// anything is written; the path on stderr.
fn save(report: &mut OffsetsReport, write: &Write) -> Result<()> {
    let now = crate::clock::now_ms() as i64;
    let action = report.action;
    for g in &mut report.groups {
        let touched: Vec<&PartitionMove> = g
            .partitions
            .iter()
            .filter(|p| action == Action::DeleteGroup || planned(p))
            .collect();
        let saved: Vec<(&str, &str, i32, i64)> = touched
            .iter()
            .filter_map(|p| {
                Some((
                    g.group.as_str(),
                    p.topic.as_str(),
                    p.partition,
                    p.current_offset?,
                ))
            })
            .collect();
        let mut fresh: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for p in touched.iter().filter(|p| p.current_offset.is_none()) {
            fresh
                .entry(&p.topic)
                .or_default()
                .push(p.partition.to_string());
        }
        if !fresh.is_empty() && action != Action::DeleteOffsets {
            let topics: Vec<String> = fresh
                .iter()
                .map(|(t, ps)| format!("-t {t}:{}", ps.join(",")))
                .collect();
            report.warnings.push(format!(
                "group {} had no commit before on some partitions, which a restore file cannot say; to undo those too: kbp offsets delete -g {} {} --execute",
                g.group,
                g.group,
                topics.join(" ")
            ));
        }
        if saved.is_empty() {
            continue;
        }
        let text = file::to_csv(saved, true);
        let path = file::write_synced(
            &write.restore_dir,
            &file::restore_name(&g.group, now),
            &text,
        )?;
        crate::sys::diag!(
            "kbp: note: previous offsets of group {} saved to {} (undo: kbp offsets restore {} --execute)",
            crate::output::cell(&g.group),
            path.display(),
            path.display()
        );
        g.restore_file = Some(path.display().to_string());
    }
    Ok(())
}

/// One group's write, in one request; a partition Kafka refused, or a request that
/// failed, leaves its reason on the partitions.
fn write_group(session: &Session, action: Action, g: &mut GroupMove) {
    let parts: Vec<TopicPartition> = g.partitions.iter().filter(|p| planned(p)).map(tp).collect();
    let answer = match action {
        Action::DeleteOffsets => session.delete_group_offsets(&g.group, &parts),
        _ => {
            let offsets: Vec<(TopicPartition, i64)> = g
                .partitions
                .iter()
                .filter(|p| planned(p))
                .filter_map(|p| Some((tp(p), p.new_offset?)))
                .collect();
            session.commit_group_offsets(&g.group, &offsets)
        }
    };
    let errors: HashMap<TopicPartition, String> = match answer {
        Ok(parts) => parts
            .into_iter()
            .filter_map(|(tp, e)| Some((tp, e?.to_string())))
            .collect(),
        Err(e) => parts.into_iter().map(|tp| (tp, e.to_string())).collect(),
    };
    for p in g.partitions.iter_mut().filter(|p| planned(p)) {
        p.error = errors.get(&tp(p)).cloned();
    }
}

/// Reads every written group back and marks each partition moved or failed; `Err` names
/// the partitions that moved and those that did not.
fn verify(session: &Session, report: &mut OffsetsReport) -> Result<()> {
    let action = report.action;
    let groups: Vec<String> = report.groups.iter().map(|g| g.group.clone()).collect();
    let parts: Vec<TopicPartition> = report
        .groups
        .iter()
        .flat_map(|g| g.partitions.iter().map(tp))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let now: HashMap<String, HashMap<TopicPartition, i64>> = if parts.is_empty() {
        HashMap::new()
    } else {
        session
            .group_offsets_in(&groups, &parts)?
            .into_iter()
            .map(|g| {
                let offsets = match g.offsets {
                    Ok(o) => o.into_iter().filter_map(|(tp, o)| Some((tp, o?))).collect(),
                    // A group that no longer exists has no commits.
                    Err(e) if e.code == KafkaCode::GROUP_ID_NOT_FOUND => HashMap::new(),
                    Err(e) => {
                        return Err(Error::kafka(
                            "ListConsumerGroupOffsets",
                            format!("reading group {} back: {e}", g.group),
                        ))
                    }
                };
                Ok((g.group, offsets))
            })
            .collect::<Result<_>>()?
    };
    let gone: HashMap<String, bool> = if action == Action::DeleteGroup {
        session
            .describe_groups(&groups)?
            .into_iter()
            .map(|d| {
                let missing = d.state == GroupState::Dead
                    || d.error
                        .as_ref()
                        .is_some_and(|e| e.code == KafkaCode::GROUP_ID_NOT_FOUND);
                (d.group, missing)
            })
            .collect()
    } else {
        HashMap::new()
    };
    let mut failures = Vec::new();
    for g in &mut report.groups {
        let empty = HashMap::new();
        let read = now.get(&g.group).unwrap_or(&empty);
        if action == Action::DeleteGroup {
            let deleted = gone.get(&g.group).copied().unwrap_or(false) && read.is_empty();
            g.deleted = Some(deleted);
            if !deleted {
                let why = g
                    .error
                    .clone()
                    .unwrap_or_else(|| "it is still there".into());
                g.error = Some(why.clone());
                failures.push(format!("group {}: {why}", g.group));
            }
        }
        let mut moved = Vec::new();
        let mut stuck = Vec::new();
        for p in g.partitions.iter_mut() {
            if !(planned(p) || action == Action::DeleteGroup) {
                continue;
            }
            let back = read.get(&tp(p)).copied();
            if back == p.new_offset {
                p.status = match p.new_offset {
                    Some(_) => MoveStatus::Moved,
                    None => MoveStatus::Deleted,
                };
                moved.push(name(p));
            } else {
                p.status = MoveStatus::Failed;
                let why = p.error.clone().unwrap_or_else(|| {
                    format!(
                        "read back {}",
                        back.map_or("no commit".to_string(), |o| o.to_string())
                    )
                });
                stuck.push(format!("{} ({why})", name(p)));
                p.error = Some(why);
            }
        }
        if !stuck.is_empty() && action != Action::DeleteGroup {
            failures.push(format!(
                "group {}: {} partition(s) did not move: {}; moved: {}",
                g.group,
                stuck.len(),
                stuck.join(", "),
                if moved.is_empty() {
                    "none".to_string()
                } else {
                    moved.join(", ")
                }
            ));
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    Err(Error::kafka(operation(action), failures.join("; ")))
}
