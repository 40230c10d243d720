//! One module per subcommand, and [`dispatch`], which runs a parsed command line.
//!
//! Each command gathers data through `kafka`, computes a report, and hands it to `output`.
//! This is the top of the house: everything else is imported from here, nothing imports it
//! (lib.rs only calls in).

pub mod brokers;
pub mod complete;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod drain;
pub mod guard;
pub mod lag;
pub mod man;
pub mod offsets;
pub mod serve;
pub mod watch;

use crate::cli::{Cli, Command};
use crate::error::{exit, Result};
use crate::kafka;
use crate::output::{self, Format, Progress};

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
            crate::sys::diag!("kbp: {}", output::printable(&e.to_string()));
            e.exit_code()
        }
    }
}

/// Runs a parsed command line: what `run` does after parsing, and what each `kbp demo` step runs.
pub fn dispatch(cli: &Cli) -> Result<()> {
    if cli.global.context.len() > 1 && !matches!(cli.command, Command::Serve(_)) {
        return Err(crate::error::Error::usage(format!(
            "--context given {} times: only kbp serve watches several clusters",
            cli.global.context.len()
        )));
    }
    // A report no one can read is not a success: refused before the cluster is asked (an
    // `--execute` must not write what it cannot report). A drain checks its own sink.
    if !matches!(cli.command, Command::Drain(_) | Command::Serve(_)) {
        output::check_stdout()?;
    }
    match &cli.command {
        Command::Lag(args) => {
            if let Some(every) = args.watch.watch {
                return watch::lag(&cli.global, args, every);
            }
            let settings = crate::config::resolve(&cli.global.overrides(), true)?;
            let session = kafka::Session::connect(&settings)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let report = lag::run(&session, &lag::Selection::from(args), &progress)?;
            progress.finish();
            let shown = output::emit(&report, args.output.unwrap_or(Format::Table));
            let verdict = lag::check_thresholds(&report, args.fail_above, args.fail_time_above);
            verdict_after(shown, verdict)
        }
        Command::Drain(args) => {
            let settings = crate::config::resolve(&cli.global.overrides(), true)?;
            self::drain::run(&settings, &cli.global.overrides(), args)
        }
        Command::Diagnose(args) => {
            if let Some(every) = args.watch.watch {
                return watch::diagnose(&cli.global, args, every);
            }
            let sel = diagnose::Selection::from_args(args)?;
            let settings = crate::config::resolve(&cli.global.overrides(), true)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let connect = || kafka::Session::connect_with_stats(&settings);
            let report = diagnose::run(&connect, &sel, &progress)?;
            progress.finish();
            let shown = output::emit(&report, args.output.unwrap_or(Format::Table));
            verdict_after(shown, diagnose::check(&report, args.fail_on))
        }
        Command::Brokers(args) => {
            let settings = crate::config::resolve(&cli.global.overrides(), true)?;
            let session = kafka::Session::connect_with_stats(&settings)?;
            let progress = Progress::spinner(false, cli.global.verbose);
            let report = brokers::run(&session, &args.into(), &progress)?;
            progress.finish();
            output::emit(&report, args.output.unwrap_or(Format::Table))
        }
        Command::Serve(args) => self::serve::run(&cli.global, args),
        Command::Offsets(command) => offsets::run(&cli.global, command),
        Command::Group(crate::cli::GroupCommand::Delete(args)) => {
            offsets::delete_groups(&cli.global, args)
        }
        Command::Config(command) => self::config::run(&cli.global.overrides(), command),
        Command::Demo(args) => demo::run(args),
        Command::Completions(args) => output::text(&complete::script(args.shell)),
        Command::Man => output::text(&man::page()?),
    }
}
