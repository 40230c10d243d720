//! Shell completion: scripts generated from the clap definition (`kbp completions`, and the
//! files in completions/), and group and topic names from the cluster through
//! clap_complete's environment hook (`source <(COMPLETE=bash kbp)`).
//!
//! The shell waits on every TAB, so a cluster lookup gets [`LOOKUP_LIMIT`] in all: past
//! that the shell gets no names rather than a frozen prompt.

use std::ffi::OsString;
use std::sync::{mpsc, OnceLock};
use std::time::Duration;

use clap::{Command, CommandFactory, FromArgMatches};
use clap_complete::{ArgValueCandidates, CompleteEnv, CompletionCandidate, Shell};

use crate::cli::{Cli, GlobalArgs};
use crate::config::{self, Settings};
use crate::error::{Error, Result};
use crate::kafka::Session;

/// The longest a TAB waits for names from the cluster.
pub const LOOKUP_LIMIT: Duration = Duration::from_secs(2);

/// The words of the command line being completed, for the connection flags on it.
static LINE: OnceLock<Vec<OsString>> = OnceLock::new();

/// Answers a `COMPLETE=<shell>` request (and returns true), or returns false for a normal run.
pub fn from_env(args: &[OsString]) -> Result<bool> {
    if std::env::var_os("COMPLETE").is_none_or(|v| v.is_empty() || v == "0") {
        return Ok(false);
    }
    // clap_complete hands us `kbp -- kbp <words…>`: the line is what follows `--`.
    let line = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => vec![],
    };
    let _ = LINE.set(line);
    let cwd = std::env::current_dir().ok();
    CompleteEnv::with_factory(command)
        .try_complete(args.to_vec(), cwd.as_deref())
        .map_err(|e| Error::usage(format!("COMPLETE: {}", e.to_string().trim())))
}

/// kbp's command with the cluster lookups attached to every `--group` and `--topic` (and
/// the groups of `kbp group delete`), so the definition in cli.rs never reaches the
/// cluster (nor this module).
pub fn command() -> Command {
    fn attach(cmd: Command) -> Command {
        cmd.mut_args(|arg| match arg.get_long() {
            Some("group") => arg.add(ArgValueCandidates::new(group_names)),
            Some("topic") => arg.add(ArgValueCandidates::new(topic_names)),
            None if arg.is_positional() && arg.get_id() == "groups" => {
                arg.add(ArgValueCandidates::new(group_names))
            }
            _ => arg,
        })
        .mut_subcommands(attach)
    }
    attach(Cli::command())
}

/// The completion script for `shell`, as `kbp completions` prints it.
pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "kbp", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// `--group` candidates: the cluster's consumer groups.
pub fn group_names() -> Vec<CompletionCandidate> {
    lookup(|s| Ok(s.list_groups(&[])?.0.into_iter().map(|g| g.group).collect()))
}

/// `--topic` candidates: the cluster's topics.
pub fn topic_names() -> Vec<CompletionCandidate> {
    lookup(|s| s.topic_names())
}

/// Runs `names` against the cluster of the line being completed, on a thread of its own
/// so that a cluster that never answers is abandoned after [`LOOKUP_LIMIT`].
fn lookup(names: fn(&Session) -> Result<Vec<String>>) -> Vec<CompletionCandidate> {
    let Some(settings) = LINE.get().and_then(|line| settings_of(line)) else {
        return vec![];
    };
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().spawn(move || {
        let _ = tx.send(Session::connect(&settings).and_then(|s| names(&s)));
    });
    if spawned.is_err() {
        return vec![];
    }
    match rx.recv_timeout(LOOKUP_LIMIT) {
        Ok(Ok(names)) => names.into_iter().map(CompletionCandidate::new).collect(),
        _ => vec![],
    }
}

/// The connection settings the completed command would use (its `-b`, `--context`,
/// `--config`, `-X`, the `KBP_*` environment), bounded by [`LOOKUP_LIMIT`].
fn settings_of(line: &[OsString]) -> Option<Settings> {
    let matches = crate::cli::command()
        .ignore_errors(true)
        .try_get_matches_from(rejoin(line))
        .ok()?;
    let mut global = GlobalArgs::from_arg_matches(&matches).ok()?;
    global.note_sources(&matches);
    let mut settings = config::resolve(&global.overrides(), true).ok()?;
    settings.timeout = settings.timeout.min(LOOKUP_LIMIT);
    Some(settings)
}

/// bash splits words at `:` and `=` (its COMP_WORDBREAKS), so `-b host:9092` reaches us
/// as `-b host : 9092`: glue such separators back onto their neighbours.
fn rejoin(line: &[OsString]) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::with_capacity(line.len());
    let mut glue = false;
    for word in line {
        let separator = word == ":" || word == "=";
        match out.last_mut() {
            Some(last) if glue || separator => last.push(word),
            _ => out.push(word.clone()),
        }
        glue = separator;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn connection_flags_come_from_the_partial_line() {
        let s = settings_of(&line(&[
            "kbp",
            "--config",
            "/dev/null",
            "lag",
            "-b",
            "h:1",
            "--timeout",
            "30s",
            "--topic",
            "or",
        ]))
        .unwrap();
        assert_eq!(s.bootstrap, "h:1");
        assert_eq!(s.timeout, LOOKUP_LIMIT, "bounded whatever --timeout says");
        let s = settings_of(&line(&[
            "kbp",
            "--config",
            "/dev/null",
            "-b",
            "h:2",
            "drain",
            "-g",
        ]))
        .unwrap();
        assert_eq!(s.bootstrap, "h:2");
        let s = settings_of(&line(&[
            "kbp",
            "--config=/dev/null",
            "-b",
            "h:3",
            "--timeout",
            "1s",
            "lag",
            "-t",
        ]))
        .unwrap();
        assert_eq!(s.timeout, Duration::from_secs(1));
    }

    #[test]
    fn words_bash_split_at_colons_and_equals_are_joined_again() {
        let joined = rejoin(&line(&[
            "kbp", "-b", "a", ":", "1,b", ":", "2", "-X", "k", "=", "v", "--config", "=", "/c",
            "lag",
        ]));
        assert_eq!(
            joined,
            line(&["kbp", "-b", "a:1,b:2", "-X", "k=v", "--config=/c", "lag"])
        );
        let s = settings_of(&line(&[
            "kbp",
            "--config",
            "=",
            "/dev/null",
            "-b",
            "127.0.0.1",
            ":",
            "9092",
            "lag",
            "-t",
            "",
        ]))
        .unwrap();
        assert_eq!(s.bootstrap, "127.0.0.1:9092");
    }

    #[test]
    fn every_group_and_topic_flag_completes_from_the_cluster() {
        fn flags(cmd: &Command, out: &mut Vec<(String, bool)>) {
            for arg in cmd.get_arguments() {
                if let Some(long @ ("group" | "topic")) = arg.get_long() {
                    let attached = arg.get::<ArgValueCandidates>().is_some();
                    out.push((format!("{} --{long}", cmd.get_name()), attached));
                }
            }
            cmd.get_subcommands().for_each(|sc| flags(sc, out));
        }
        let mut found = Vec::new();
        flags(&command(), &mut found);
        // lag, diagnose and drain each have --group and --topic.
        assert!(found.len() >= 6, "{found:?}");
        assert!(found.iter().all(|(_, attached)| *attached), "{found:?}");
    }

    #[test]
    fn scripts_name_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let s = script(shell);
            for sub in ["lag", "drain", "config", "demo", "completions", "man"] {
                assert!(s.contains(sub), "{shell}: no {sub}");
            }
        }
    }
}
