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
/// saying what happened. The whole write shares the command's one `--timeout`: once the
/// cluster has been silent that long, the groups not yet written are not sent (`failed`,
/// not written), and what was sent but cannot be read back is `unknown`.
pub fn execute(session: &Session, report: &mut OffsetsReport, write: &Write) -> Result<()> {
    let action = report.action;
    save(report, write)?;
    report.executed = true;
    match action {
        Action::DeleteGroup => {
            let names: Vec<String> = report.groups.iter().map(|g| g.group.clone()).collect();
            match session.delete_groups(&names) {
                Ok(answers) => {
                    let answers: HashMap<String, Option<KafkaCode>> = answers.into_iter().collect();
                    for g in &mut report.groups {
                        g.error = answers
                            .get(&g.group)
                            .cloned()
                            .flatten()
                            .map(|e| e.to_string());
                    }
                }
                // Sent, maybe done: the read-back tells.
                Err(e) => {
                    for g in &mut report.groups {
                        g.error = Some(format!("no answer to the delete: {e}"));
                    }
                }
            }
        }
        _ => {
            for g in report.groups.iter_mut().filter(|g| writes(action, g)) {
                if session.left().is_zero() {
                    not_sent(g, session);
                } else {
                    write_group(session, action, g);
                }
            }
        }
    }
    verify(session, report)
}

/// A group whose write was not sent: the cluster had been silent for `--timeout`.
fn not_sent(g: &mut GroupMove, session: &Session) {
    let why = format!(
        "not written: no answer from the cluster within --timeout {}",
        humantime::format_duration(session.timeout())
    );
    for p in g.partitions.iter_mut().filter(|p| planned(p)) {
        p.status = MoveStatus::Failed;
        p.error = Some(why.clone());
    }
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

/// One group's write, in one request. Each planned partition stays `planned` (without an
/// error: Kafka took it; with one: Kafka refused it) or becomes `unknown` (the request got
/// no answer: it may have been applied); the read-back settles them.
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
    // Refused partitions stay `planned` with their reason: the read-back says whether
    // they moved all the same.
    let (errors, status): (HashMap<TopicPartition, String>, MoveStatus) = match answer {
        Ok(parts) => (
            parts
                .into_iter()
                .filter_map(|(tp, e)| Some((tp, e?.to_string())))
                .collect(),
            MoveStatus::Planned,
        ),
        // No answer (or a broken connection): the request may have landed.
        Err(e @ (Error::Unreachable { .. } | Error::Coordinator { .. })) => (
            parts
                .into_iter()
                .map(|tp| (tp, format!("no answer to the write: {e}")))
                .collect(),
            MoveStatus::Unknown,
        ),
        Err(e) => (
            parts.into_iter().map(|tp| (tp, e.to_string())).collect(),
            MoveStatus::Planned,
        ),
    };
    for p in g.partitions.iter_mut().filter(|p| planned(p)) {
        p.error = errors.get(&tp(p)).cloned();
        if p.error.is_some() {
            p.status = status;
        }
    }
}

/// Whether the write was sent for `p`: `planned` (taken) or `unknown` (no answer).
fn sent(p: &PartitionMove) -> bool {
    matches!(p.status, MoveStatus::Planned | MoveStatus::Unknown)
}

/// The names in `names`, at most [`LISTED`] of them, then how many more.
fn listing(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let mut s = names
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED {
        s.push_str(&format!(
            " and {} more (see the report)",
            names.len() - LISTED
        ));
    }
    s
}

/// Most partitions or groups an error line names before it counts the rest.
const LISTED: usize = 20;

/// Reads every written group back and marks each partition sent `moved` (`deleted`) or
/// `failed`, or `unknown` when its group could not be read back; `Err` names the
/// partitions that did not move, those unknown, and those that moved.
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
    // Each group's commits as read back, or why they could not be.
    let mut now: HashMap<String, std::result::Result<HashMap<TopicPartition, i64>, String>> =
        HashMap::new();
    if !parts.is_empty() {
        match session.group_offsets_in(&groups, &parts) {
            Ok(read) => {
                for g in read {
                    let offsets = match g.offsets {
                        Ok(o) => Ok(o.into_iter().filter_map(|(tp, o)| Some((tp, o?))).collect()),
                        // A group that no longer exists has no commits.
                        Err(e) if e.code == KafkaCode::GROUP_ID_NOT_FOUND => Ok(HashMap::new()),
                        Err(e) => Err(e.to_string()),
                    };
                    now.insert(g.group, offsets);
                }
            }
            Err(e) => {
                for g in &groups {
                    now.insert(g.clone(), Err(e.to_string()));
                }
            }
        }
    }
    let gone: HashMap<String, std::result::Result<bool, String>> = if action == Action::DeleteGroup
    {
        match session.describe_groups(&groups) {
            Ok(described) => described
                .into_iter()
                .map(|d| {
                    let missing = d.state == GroupState::Dead
                        || d.error
                            .as_ref()
                            .is_some_and(|e| e.code == KafkaCode::GROUP_ID_NOT_FOUND);
                    (d.group, Ok(missing))
                })
                .collect(),
            Err(e) => groups
                .iter()
                .map(|g| (g.clone(), Err(e.to_string())))
                .collect(),
        }
    } else {
        HashMap::new()
    };
    let mut failures = Vec::new();
    let mut unknown_all = Vec::new();
    // Why the read-back failed, said once.
    let mut unread: Option<String> = None;
    for g in &mut report.groups {
        let empty = Ok(HashMap::new());
        let read = now.get(&g.group).unwrap_or(&empty);
        if action == Action::DeleteGroup {
            let deleted = match (gone.get(&g.group), read) {
                (Some(Ok(gone)), Ok(read)) => Ok(*gone && read.is_empty()),
                (Some(Err(e)), _) | (_, Err(e)) => {
                    unread.get_or_insert_with(|| e.clone());
                    Err(e.clone())
                }
                (None, Ok(_)) => Ok(false),
            };
            match deleted {
                Ok(true) => g.deleted = Some(true),
                Ok(false) => {
                    g.deleted = Some(false);
                    let why = g
                        .error
                        .clone()
                        .unwrap_or_else(|| "it is still there".into());
                    g.error = Some(why.clone());
                    failures.push(format!("group {}: {why}", g.group));
                }
                Err(e) => {
                    g.deleted = None;
                    let why = format!(
                        "unknown: {}not read back: {e}",
                        g.error.as_ref().map_or(String::new(), |w| format!("{w}; "))
                    );
                    g.error = Some(why);
                    unknown_all.push(format!("group {}", g.group));
                }
            }
        }
        let mut moved = Vec::new();
        let mut stuck = Vec::new();
        let mut unknown = Vec::new();
        for p in g.partitions.iter_mut() {
            if !(sent(p) || action == Action::DeleteGroup) {
                if p.status == MoveStatus::Failed {
                    let why = p.error.clone().unwrap_or_default();
                    stuck.push(format!("{} ({why})", name(p)));
                }
                continue;
            }
            let read = match (read, p.status, &p.error) {
                (Ok(read), _, _) => read,
                // Refused by Kafka: not written, whatever the read-back.
                (Err(_), MoveStatus::Planned, Some(why)) => {
                    p.status = MoveStatus::Failed;
                    stuck.push(format!("{} ({why})", name(p)));
                    continue;
                }
                (Err(e), status, why) => {
                    let how = match (status, why) {
                        (MoveStatus::Unknown, Some(why)) => why.clone(),
                        _ => "written (Kafka took it)".into(),
                    };
                    p.status = MoveStatus::Unknown;
                    p.error = Some(format!("{how}; not read back: {e}"));
                    unknown.push(name(p));
                    unread.get_or_insert_with(|| e.clone());
                    continue;
                }
            };
            let back = read.get(&tp(p)).copied();
            if back == p.new_offset {
                p.status = match p.new_offset {
                    Some(_) => MoveStatus::Moved,
                    None => MoveStatus::Deleted,
                };
                p.error = None;
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
        if (!stuck.is_empty() || !unknown.is_empty()) && action != Action::DeleteGroup {
            let mut line = format!("group {}: ", g.group);
            if !stuck.is_empty() {
                line.push_str(&format!(
                    "{} partition(s) did not move: {}; ",
                    stuck.len(),
                    listing(&stuck)
                ));
            }
            if !unknown.is_empty() {
                line.push_str(&format!(
                    "{} partition(s) unknown: {}; ",
                    unknown.len(),
                    listing(&unknown)
                ));
            }
            line.push_str(&format!("moved: {}", listing(&moved)));
            failures.push(line);
        }
    }
    if failures.is_empty() && unknown_all.is_empty() {
        return Ok(());
    }
    if !unknown_all.is_empty() {
        failures.push(format!(
            "{} unknown: {}",
            unknown_all.len(),
            listing(&unknown_all)
        ));
    }
    let mut line = if failures.len() <= FEW {
        failures.join("; ")
    } else {
        // Many groups: the totals, then the first of them.
        let all = || report.groups.iter().flat_map(|g| g.partitions.iter());
        let of = |s: MoveStatus| all().filter(|p| p.status == s).count();
        format!(
            "{} group(s) not wholly written: {} partition(s) {}, {} did not move, {} unknown; the first: {}; the report has each",
            failures.len(),
            of(MoveStatus::Moved) + of(MoveStatus::Deleted),
            if action == Action::Reset || action == Action::Restore { "moved" } else { "deleted" },
            of(MoveStatus::Failed),
            of(MoveStatus::Unknown),
            failures[0]
        )
    };
    if let Some(e) = unread {
        line.push_str(&format!(" (unknown: sent, but not read back: {e})"));
    }
    Err(Error::kafka(operation(action), line))
}

/// Up to this many groups, the error line names each one's partitions.
const FEW: usize = 5;
