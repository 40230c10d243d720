//! kbp: consumer lag, diagnosis and safe draining for the people who run Kafka.
//!
//! [`run`] is the whole program minus process exit, so tests can call it. The pipeline is
//! `cli` (parse) → `config` (merge) → `kafka` (the only rdkafka user) → `cmd` (compute)
//! → `output` (the only stdout writer); `error` maps every failure to an exit code.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod diagnose;
pub mod drain;
pub mod error;
pub mod kafka;
pub mod output;
pub mod signals;
pub mod sys;
pub mod values;

use std::ffi::OsString;

use clap::Parser;

use cli::{Cli, Command};
use error::{exit, Result};
use output::{Format, Progress};

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
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version: clap prints them to stdout.
            let _ = e.print();
            return exit::OK;
        }
        Err(e) => {
            eprintln!("{}", one_line(&e.render().to_string()));
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

/// A report's verdict (a threshold, a finding) outlives its output: a reader that closed
/// stdout early (`| head`) must not turn a breach into exit 0. Other output errors win.
fn verdict_after(shown: Result<()>, verdict: Result<()>) -> Result<()> {
    match shown {
        Err(e) if !e.is_broken_pipe() => Err(e),
        _ => verdict,
    }
}

/// The exit code of a command's outcome; a failure is printed as its one line on stderr.
pub fn finish(outcome: Result<()>) -> i32 {
    match outcome {
        Ok(()) => exit::OK,
        Err(e) if e.is_broken_pipe() => exit::OK,
        Err(e) => {
            eprintln!("kbp: {}", output::printable(&e.to_string()));
            e.exit_code()
        }
    }
}

/// Runs a parsed command line: what `run` does after parsing, and what each `kbp demo` step runs.
pub fn dispatch(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Lag(args) => {
            let settings = config::resolve(&cli.global, true)?;
            let session = kafka::Session::connect(&settings)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let report = cmd::lag::run(&session, &cmd::lag::Selection::from(args), &progress)?;
            progress.finish();
            let shown = output::emit(&report, args.output.unwrap_or(Format::Table));
            let verdict =
                cmd::lag::check_thresholds(&report, args.fail_above, args.fail_time_above);
            verdict_after(shown, verdict)
        }
        Command::Drain(args) => {
            let settings = config::resolve(&cli.global, true)?;
            drain::run(&settings, &cli.global, args)
        }
        Command::Diagnose(args) => {
            let sel = cmd::diagnose::Selection::from_args(args)?;
            let settings = config::resolve(&cli.global, true)?;
            let session = kafka::Session::connect_with_stats(&settings)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let report = cmd::diagnose::run(&session, &sel, &progress)?;
            progress.finish();
            let shown = output::emit(&report, args.output.unwrap_or(Format::Table));
            verdict_after(shown, cmd::diagnose::check(&report, args.fail_on))
        }
        Command::Brokers(args) => {
            let settings = config::resolve(&cli.global, true)?;
            let session = kafka::Session::connect_with_stats(&settings)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let report = cmd::brokers::run(&session, &args.into(), &progress)?;
            progress.finish();
            output::emit(&report, args.output.unwrap_or(Format::Table))
        }
        Command::Config(command) => cmd::config::run(&cli.global, command),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Completions(args) => output::text(&cmd::complete::script(args.shell)),
        Command::Man => output::text(&cmd::man::page()?),
    }
}
