//! kbp: consumer lag, diagnosis and safe draining for the people who run Kafka.
//!
//! [`run`] is the whole program minus process exit, so tests can call it. The pipeline is
//! `cli` (parse) → `config` (merge) → `kafka` (the only rdkafka user) → `cmd` (compute)
//! → `output` (the only stdout writer); `error` maps every failure to an exit code.

pub mod cli;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod diagnose;
pub mod drain;
pub mod error;
pub mod flags;
pub mod human;
pub mod kafka;
pub mod output;
pub mod report;
pub mod signals;
pub mod sys;
pub mod values;

use std::ffi::OsString;

use cmd::{dispatch, finish};
use error::{exit, Error};

/// Runs kbp with `args` (including the program name); returns the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    match cmd::complete::from_env(&args) {
        Ok(true) => return exit::OK,
        Ok(false) => {}
        Err(e) => return finish(Err(e)),
    }
    let cli = match cli::parse(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: clap prints them to stdout, which must take them.
            let shown = output::check_stdout().and_then(|()| e.print().map_err(Error::output));
            return finish(shown);
        }
        Err(e) => {
            crate::sys::diag!("{}", one_line(&e.render().to_string()));
            return exit::USAGE;
        }
    };
    // Before any cluster is asked: Ctrl-C must end a command at any phase.
    if let Err(e) = signals::install() {
        return finish(Err(e));
    }
    finish(dispatch(&cli))
}

/// clap's usage error as one line: its message up to the first blank line (the usage and
/// the `--help` tip after it add nothing a script can use), lines joined.
fn one_line(rendered: &str) -> String {
    rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}
