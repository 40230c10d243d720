//! The live-group guard, shared by every command that joins a group or writes its offsets.
//!
//! A group's live members undo what is done behind their back: a drain joining takes their
//! partitions, and offsets written under them are overwritten at their next commit. So a
//! command first asks who is in the group and refuses (exit 8) unless its override flag is
//! given. Not knowing (a describe that failed) counts as "members", never as "empty".

use crate::error::{Error, Result};
use crate::kafka::{GroupDescription, KafkaCode, Member, Session};

/// One command's guard: which members count, what they would suffer or undo, and the flag
/// that overrides it.
pub struct Guard {
    /// Members that are welcome (other kbp drains, for a drain); the rest count as live.
    pub welcome: fn(&Member) -> bool,
    /// Said after "live member(s)", e.g. " that are not kbp drains"; empty for all.
    pub which: &'static str,
    /// Why they are in the way, e.g. "a drain would take their partitions".
    pub harm: &'static str,
    /// The override, e.g. "--join-live-group"; empty where there is none.
    pub flag: &'static str,
    /// What the command does, for the messages: "join", "write".
    pub act: &'static str,
    /// The same, as the warning starts when overridden: "joining", "writing to".
    pub doing: &'static str,
    /// The warning's tail when overridden, e.g. "they lose partitions to the drain".
    pub forced: &'static str,
}

impl Guard {
    /// Describes `group` and checks it (see [`Guard::check`]).
    pub fn check_group(&self, session: &Session, group: &str, forced: bool) -> Result<()> {
        let described = session.describe_groups(&[group.to_string()])?;
        self.check(group, described.first(), forced)
    }

    /// `Ok` when `group` (as `d` describes it) has no live member, or `forced` (then with a
    /// warning on stderr); [`Error::LiveGroup`] naming them otherwise.
    pub fn check(&self, group: &str, d: Option<&GroupDescription>, forced: bool) -> Result<()> {
        let Some(d) = d else { return Ok(()) };
        match &d.error {
            None => {}
            Some(e) if e.code == KafkaCode::GROUP_ID_NOT_FOUND => return Ok(()),
            Some(e) if e.code == KafkaCode::UNSUPPORTED_FEATURE => {
                crate::output::warn(&format!(
                    "{}, so whether group {group} has live members is unknown: {e}",
                    crate::output::CANNOT_DESCRIBE_GROUPS
                ));
                return Ok(());
            }
            Some(e) if forced => {
                crate::output::warn(&format!(
                    "cannot tell whether group {group} has live members: {e}"
                ));
                return Ok(());
            }
            Some(e) => {
                return Err(Error::kafka(
                    "DescribeConsumerGroups",
                    format!(
                        "cannot tell whether group {group} has live members ({e}); pass {} to {} anyway",
                        self.flag, self.act
                    ),
                ))
            }
        }
        let live: Vec<String> = d
            .members
            .iter()
            .filter(|m| !(self.welcome)(m))
            .map(|m| format!("client.id '{}' on {}", m.client_id, m.host))
            .collect();
        if live.is_empty() {
            return Ok(());
        }
        if !forced {
            let or_flag = if self.flag.is_empty() {
                String::new()
            } else {
                format!(", or pass {}", self.flag)
            };
            return Err(Error::LiveGroup(format!(
                "group {group} has {} live member(s){}: {}; {}. Stop them first{or_flag}",
                live.len(),
                self.which,
                live.join(", "),
                self.harm,
            )));
        }
        crate::sys::diag!(
            "kbp: warning: {} group {group} with {} live member(s) ({}): {}",
            self.doing,
            live.len(),
            self.flag,
            self.forced
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::{GroupState, GroupType};

    const GUARD: Guard = Guard {
        welcome: |m| m.client_id.starts_with("kbp-drain"),
        which: " that are not kbp drains",
        harm: "a drain would take their partitions",
        flag: "--join-live-group",
        act: "join",
        doing: "joining",
        forced: "they lose partitions",
    };

    fn group(clients: &[&str], error: Option<i32>) -> GroupDescription {
        GroupDescription {
            members: clients
                .iter()
                .map(|c| Member {
                    consumer_id: format!("{c}-id"),
                    group_instance_id: None,
                    client_id: c.to_string(),
                    host: "/10.0.0.7".into(),
                    assignment: vec![],
                    target_assignment: None,
                })
                .collect(),
            state: GroupState::Stable,
            group_type: GroupType::Classic,
            error: error.map(|code| KafkaCode {
                code,
                name: "X".into(),
                message: "x".into(),
            }),
            ..GroupDescription::unknown("g")
        }
    }

    #[test]
    fn live_members_are_named_and_welcome_ones_pass() {
        let e = GUARD
            .check("g", Some(&group(&["billing", "kbp-drain"], None)), false)
            .unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::LIVE_GROUP);
        assert_eq!(
            e.to_string(),
            "group g has 1 live member(s) that are not kbp drains: client.id 'billing' on /10.0.0.7; a drain would take their partitions. Stop them first, or pass --join-live-group"
        );
        assert!(GUARD
            .check("g", Some(&group(&["kbp-drain"], None)), false)
            .is_ok());
        assert!(GUARD
            .check("g", Some(&group(&["billing"], None)), true)
            .is_ok());
        assert!(GUARD.check("g", None, false).is_ok());
    }

    #[test]
    fn not_knowing_is_not_empty() {
        let missing = group(&[], Some(KafkaCode::GROUP_ID_NOT_FOUND));
        assert!(GUARD.check("g", Some(&missing), false).is_ok());
        let denied = group(&[], Some(30));
        let e = GUARD.check("g", Some(&denied), false).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::KAFKA);
        assert!(
            e.to_string()
                .contains("pass --join-live-group to join anyway"),
            "{e}"
        );
        assert!(GUARD.check("g", Some(&denied), true).is_ok());
    }
}
