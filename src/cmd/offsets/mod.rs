//! `kbp offsets` (reset, restore, export, delete) and the pipeline `kbp group delete`
//! shares with it: flags checked before the cluster is asked, the cluster read
//! ([`gather`]), the plan (pure, [`plan`]), and with `--execute` the guard, the restore
//! file, the write and the read-back ([`execute`]). Without `--execute` nothing is
//! written, anywhere.

mod execute;
mod file;
mod gather;
mod plan;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use regex::Regex;

use crate::cli::{
    DeleteOffsetsArgs, ExportArgs, GlobalArgs, GroupDeleteArgs, OffsetsCommand, ResetArgs,
    RestoreArgs, Strategy, WriteArgs,
};
use crate::error::{Error, Result};
use crate::kafka::{GroupDescription, Session, TopicPartition};
use crate::output::{self, Format, Progress};
use crate::report::offsets::{
    Action, Committed, GroupCommits, GroupMove, OffsetsExport, OffsetsReport,
};
use crate::values::TopicArg;
use gather::Pick;
use plan::Rule;

pub fn run(global: &GlobalArgs, command: &OffsetsCommand) -> Result<()> {
    match command {
        OffsetsCommand::Reset(a) => Job::reset(a)?.run(global),
        OffsetsCommand::Restore(a) => Job::restore(a)?.run(global),
        OffsetsCommand::Delete(a) => Job::delete_offsets(a)?.run(global),
        OffsetsCommand::Export(a) => export(global, a),
    }
}

/// `kbp group delete`.
pub fn delete_groups(global: &GlobalArgs, args: &GroupDeleteArgs) -> Result<()> {
    Job {
        action: Action::DeleteGroup,
        strategy: String::new(),
        rule: Rule::Delete,
        groups: args.groups.clone(),
        group_regex: None,
        topics: vec![],
        write: Write::of(&args.write, false)?,
        output: args.write.output.unwrap_or(Format::Table),
    }
    .run(global)
}

/// `--execute`: how to write.
pub struct Write {
    pub force: bool,
    pub restore_dir: PathBuf,
}

impl Write {
    /// `None` for a plan. The restore directory is settled before the cluster is asked, so
    /// a missing one is a usage error with nothing done.
    fn of(args: &WriteArgs, force: bool) -> Result<Option<Write>> {
        if args.output == Some(Format::Prometheus) {
            return Err(Error::usage(
                "-o prometheus is not available for this command",
            ));
        }
        if !args.execute {
            return Ok(None);
        }
        Ok(Some(Write {
            force,
            restore_dir: file::restore_dir(args.restore_dir.as_deref())?,
        }))
    }
}

/// One plan-then-write command, its flags checked.
struct Job {
    action: Action,
    /// The strategy as the report and messages name it.
    strategy: String,
    rule: Rule,
    groups: Vec<String>,
    group_regex: Option<Regex>,
    topics: Vec<TopicArg>,
    write: Option<Write>,
    output: Format,
}

impl Job {
    fn reset(a: &ResetArgs) -> Result<Job> {
        let (strategy, rule) =
            rule_of(&a.strategy, &a.groups.groups, crate::clock::now_ms() as i64)?;
        Ok(Job {
            action: Action::Reset,
            strategy,
            rule,
            groups: a.groups.groups.clone(),
            group_regex: a.groups.group_regex.clone(),
            topics: a.topics.clone(),
            write: Write::of(&a.write, a.force)?,
            output: a.write.output.unwrap_or(Format::Table),
        })
    }

    fn restore(a: &RestoreArgs) -> Result<Job> {
        let named: Vec<String> = a.group.iter().cloned().collect();
        let by_group = read_files(&a.files, &named, "-g")?;
        let names: Vec<String> = a.files.iter().map(|f| f.display().to_string()).collect();
        Ok(Job {
            action: Action::Restore,
            strategy: format!("from {}", names.join(" ")),
            groups: by_group.keys().cloned().collect(),
            rule: Rule::Files(by_group),
            group_regex: None,
            topics: vec![],
            write: Write::of(&a.write, a.force)?,
            output: a.write.output.unwrap_or(Format::Table),
        })
    }

    fn delete_offsets(a: &DeleteOffsetsArgs) -> Result<Job> {
        Ok(Job {
            action: Action::DeleteOffsets,
            strategy: a
                .topics
                .iter()
                .map(|t| match t.partitions.as_slice() {
                    [] => format!("-t {}", t.topic),
                    ps => format!(
                        "-t {}:{}",
                        t.topic,
                        ps.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
                    ),
                })
                .collect::<Vec<_>>()
                .join(" "),
            rule: Rule::Delete,
            groups: a.groups.groups.clone(),
            group_regex: a.groups.group_regex.clone(),
            topics: a.topics.clone(),
            write: Write::of(&a.write, a.force)?,
            output: a.write.output.unwrap_or(Format::Table),
        })
    }

    fn run(&self, global: &GlobalArgs) -> Result<()> {
        let settings = crate::config::resolve(&global.overrides(), true)?;
        let session = Session::connect(&settings)?;
        let progress = Progress::spinner(false, global.verbose);
        let pick = match (&self.rule, self.action) {
            (Rule::Files(f), _) => Pick::Files(f),
            (_, Action::DeleteOffsets) => Pick::Committed,
            _ => Pick::Scope,
        };
        let gathered = gather::gather(
            &session,
            &gather::Request {
                groups: &self.groups,
                group_regex: self.group_regex.as_ref(),
                topics: &self.topics,
                pick,
                // A restore gives a deleted group its offsets back.
                missing_ok: self.action == Action::Restore,
            },
            &progress,
        )?;
        let at_time = gather::at_time(&session, &self.rule, &gathered)?;
        let (mut moves, mut warnings) = plan::moves(&plan::Input {
            rule: &self.rule,
            groups: &gathered.groups,
            logs: &gathered.logs,
            at_time: &at_time,
        })?;
        progress.set("reading record timestamps");
        let times = session.record_times(&plan::wanted_times(&self.rule, &moves))?;
        plan::check_before_log_start(&self.rule, &self.strategy, &moves, &times)?;
        plan::fill_spans(&mut moves, &times);
        progress.finish();

        warnings.splice(0..0, gathered.warnings.iter().cloned());
        let mut report = self.report(moves, warnings, &gathered.descriptions);
        let Some(write) = &self.write else {
            let guard = execute::guard(self.action);
            for g in report
                .groups
                .iter()
                .filter(|g| execute::writes(self.action, g))
            {
                if let Err(Error::LiveGroup(why)) =
                    guard.check(&g.group, gathered.descriptions.get(&g.group), false)
                {
                    report
                        .warnings
                        .push(format!("--execute would be refused (exit 8): {why}"));
                }
            }
            if let Err(e @ Error::NotAuthorized { .. }) = execute::check_acls(&session, &report) {
                report
                    .warnings
                    .push(format!("--execute would be refused (exit 9): {e}"));
            }
            return output::emit(&report, self.output);
        };
        execute::check_guard(&report, &gathered.descriptions, write.force)?;
        execute::check_acls(&session, &report)?;
        let verdict = execute::execute(&session, &mut report, write);
        let shown = output::emit(&report, self.output);
        super::verdict_after(shown, verdict)
    }

    /// The report of a plan: each group with its state and moves, and a warning for each
    /// group with nothing to do.
    fn report(
        &self,
        moves: plan::Moves,
        mut warnings: Vec<String>,
        descriptions: &HashMap<String, GroupDescription>,
    ) -> OffsetsReport {
        let hint = if self.topics.is_empty() {
            "; name topics with -t"
        } else {
            " on these partitions"
        };
        warnings.extend(
            moves
                .iter()
                .filter(|(_, ms)| ms.is_empty() && self.action != Action::DeleteGroup)
                .map(|(g, _)| format!("group {g}: nothing to {} (no commits{hint})", self.verb())),
        );
        OffsetsReport {
            action: self.action,
            strategy: self.strategy.clone(),
            executed: false,
            groups: moves
                .into_iter()
                .map(|(group, partitions)| {
                    let d = descriptions.get(&group);
                    GroupMove {
                        state: d.map_or("Dead", |d| d.state.as_str()).to_string(),
                        members: d.map_or(0, |d| d.members.len()),
                        group,
                        restore_file: None,
                        deleted: None,
                        error: None,
                        partitions,
                    }
                })
                .collect(),
            warnings,
        }
    }

    /// What the action does to a partition, for messages.
    fn verb(&self) -> &'static str {
        match self.action {
            Action::Reset => "move",
            Action::Restore => "restore",
            Action::DeleteOffsets | Action::DeleteGroup => "delete",
        }
    }
}

/// The strategy's label and rule; a time in the future, or a duration reaching before
/// 1970, is a usage error before the cluster is asked.
fn rule_of(s: &Strategy, groups: &[String], now_ms: i64) -> Result<(String, Rule)> {
    if let Some(ms) = s.to_datetime {
        let label = format!("--to-datetime {}", plan::iso(ms));
        if ms > now_ms {
            return Err(Error::usage(format!(
                "{label} is in the future: no record is that late, so every partition would go to its log end (--to-latest says that)"
            )));
        }
        return Ok((label, Rule::Time(ms)));
    }
    if let Some(d) = s.by_duration {
        let ms = now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let label = format!("--by-duration {}", humantime::format_duration(d));
        if ms < 0 {
            return Err(Error::usage(format!(
                "{label} reaches back before 1970, when Kafka timestamps start"
            )));
        }
        return Ok((label, Rule::Time(ms)));
    }
    Ok(match s {
        _ if s.to_earliest => ("--to-earliest".into(), Rule::Earliest),
        _ if s.to_latest => ("--to-latest".into(), Rule::Latest),
        _ if s.to_current => ("--to-current".into(), Rule::Current),
        Strategy { to_offset: Some(n), .. } => (format!("--to-offset {n}"), Rule::Offset(*n)),
        Strategy { shift_by: Some(n), .. } => (format!("--shift-by {n}"), Rule::Shift(*n)),
        Strategy { from_file: Some(f), .. } => (
            format!("--from-file {}", f.display()),
            Rule::Files(read_files(std::slice::from_ref(f), groups, "--group")?),
        ),
        _ => return Err(Error::usage("a strategy is needed: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime, --by-duration or --from-file")),
    })
}

fn read_files(
    files: &[PathBuf],
    named: &[String],
    flag: &str,
) -> Result<BTreeMap<String, BTreeMap<TopicPartition, i64>>> {
    let read = files
        .iter()
        .map(|f| Ok((f.clone(), file::read(f)?)))
        .collect::<Result<Vec<_>>>()?;
    file::offsets_by_group(&read, named, flag)
}

/// `kbp offsets export`: committed offsets, in kafka-consumer-groups' CSV by default.
fn export(global: &GlobalArgs, args: &ExportArgs) -> Result<()> {
    let format = args.output.unwrap_or(Format::Csv);
    if format == Format::Prometheus {
        return Err(Error::usage(
            "-o prometheus is not available for this command",
        ));
    }
    let settings = crate::config::resolve(&global.overrides(), true)?;
    let session = Session::connect(&settings)?;
    let progress = Progress::spinner(false, global.verbose);
    let gathered = gather::gather(
        &session,
        &gather::Request {
            groups: &args.groups.groups,
            group_regex: args.groups.group_regex.as_ref(),
            topics: &args.topics,
            pick: Pick::Committed,
            missing_ok: false,
        },
        &progress,
    );
    progress.finish();
    let gathered = gathered?;
    let report = OffsetsExport {
        groups: gathered
            .groups
            .iter()
            .map(|(group, parts)| GroupCommits {
                group: group.clone(),
                offsets: parts
                    .iter()
                    .filter_map(|(tp, o)| {
                        Some(Committed {
                            topic: tp.topic.clone(),
                            partition: tp.partition,
                            offset: (*o)?,
                        })
                    })
                    .collect(),
            })
            .collect(),
        warnings: gathered.warnings,
    };
    if format != Format::Csv {
        return output::emit(&report, format);
    }
    for w in &report.warnings {
        crate::sys::diag!("kbp: warning: {}", output::printable(w));
    }
    // One group named alone: its rows without the group column, as kafka-consumer-groups.
    let with_group = !(args.groups.groups.len() == 1 && args.groups.group_regex.is_none());
    let rows = report.groups.iter().flat_map(|g| {
        g.offsets
            .iter()
            .map(move |c| (g.group.as_str(), c.topic.as_str(), c.partition, c.offset))
    });
    output::text(&file::to_csv(rows, with_group))
}
