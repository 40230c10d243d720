//! The command line, and nothing else: clap definitions that the rest of kbp reads.
//!
//! Keeping clap out of the other modules lets tests build settings directly and keeps the
//! completions and man page (generated from this definition) the single source of truth.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "kbp",
    version,
    about = "Kafka backpressure toolkit: consumer lag, diagnosis and safe draining",
    long_about = None,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Connection settings shared by every subcommand; merged with the config file in `config`.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Bootstrap servers, comma-separated (overrides the context's)
    #[arg(
        short = 'b',
        long = "bootstrap-server",
        env = "KBP_BOOTSTRAP_SERVER",
        global = true,
        value_name = "HOST:PORT"
    )]
    pub bootstrap_server: Option<String>,

    /// Context of the config file to use (default: its current-context)
    #[arg(long, env = "KBP_CONTEXT", global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]
    #[arg(long, env = "KBP_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// librdkafka property, repeatable (as kcat's -X), e.g. -X security.protocol=SSL
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE", value_parser = parse_property)]
    pub property: Vec<(String, String)>,

    /// Bound on every network operation, e.g. 10s, 500ms
    #[arg(long, env = "KBP_TIMEOUT", global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Forward librdkafka's log lines to stderr (secrets redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how far behind consumer groups are, per partition and per group
    Lag(LagArgs),
    /// Inspect the configuration kbp would use
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Args)]
pub struct LagArgs {
    /// Consumer group to inspect, repeatable (default: all groups)
    #[arg(short, long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,

    /// Inspect every consumer group (the default when no --group is given)
    #[arg(long, conflicts_with = "groups")]
    pub all_groups: bool,

    /// Only partitions of this topic, repeatable
    #[arg(short, long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,

    /// Only rows whose lag is above zero
    #[arg(long)]
    pub only_with_lag: bool,

    /// Only groups in this state, repeatable
    #[arg(long = "state", value_enum, value_name = "STATE")]
    pub states: Vec<GroupStateArg>,

    /// Output format [default: table]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,

    /// Exit with code 1 when a group's total lag is above N records
    #[arg(long, value_name = "N")]
    pub fail_above: Option<u64>,

    /// Exit with code 1 when a group's time lag is above DURATION, e.g. 5m
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub fail_time_above: Option<Duration>,

    /// Skip reading records for TIME-LAG (faster, no per-partition fetches)
    #[arg(long)]
    pub no_time_lag: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the merged effective settings, secrets redacted
    View {
        #[arg(short, long, value_enum, default_value = "yaml")]
        output: DocFormat,
    },
    /// List the contexts of the config file
    Contexts {
        #[arg(short, long, value_enum)]
        output: Option<ListFormat>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    Json,
    Yaml,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Yaml,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupStateArg {
    Stable,
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Dead,
    Unknown,
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got '{s}'")),
    }
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration like 10s, 500ms or 5m ({e})"))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn property_needs_key_and_equals() {
        assert_eq!(
            parse_property("a.b=c=d").unwrap(),
            ("a.b".into(), "c=d".into())
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=x").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("soon").is_err());
    }
}
