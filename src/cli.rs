//! The command line, and nothing else: clap definitions that the rest of kbp reads.
//!
//! Keeping clap out of the other modules lets tests build settings directly and keeps the
//! completions and man page (generated from this definition) the single source of truth.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use clap_complete::ArgValueCandidates;
use regex::Regex;

use crate::drain::spec::{OnFailure, SinkSpec, Until};
use crate::kafka::consumer::Uncommitted;
use crate::values::{
    parse_brokers, parse_duration, parse_group, parse_interval, parse_joinable_group,
    parse_lookback, parse_offset, parse_period, parse_positive, parse_queue_bound, parse_regex,
    parse_retries, parse_samples, parse_serve_interval, parse_shift, parse_span, parse_time,
    parse_timeout, parse_topic, parse_topic_arg, parse_workers, TopicArg,
};
use crate::values::{parse_ca_file, secret_from_env, secret_from_file, CaFile, Secret};

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

    /// Context of the config file to use (default: its current-context); kbp serve takes
    /// several, one per cluster
    #[arg(long, env = "KBP_CONTEXT", global = true, value_name = "NAME", action = clap::ArgAction::Append)]
    pub context: Vec<String>,

    /// Config file [default: $XDG_CONFIG_HOME/kbp/config.yaml]
    #[arg(long, env = "KBP_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// librdkafka property, repeatable (as kcat's -X), e.g. -X security.protocol=SSL
    #[arg(short = 'X', global = true, value_name = "KEY=VALUE", value_parser = parse_property)]
    pub property: Vec<(String, String)>,

    /// Bound on waiting for the cluster, e.g. 10s, 500ms (at most 1h) [default: 10s]
    #[arg(long, env = "KBP_TIMEOUT", global = true, value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,

    /// Forward librdkafka's log lines to stderr (secrets redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// Whether `bootstrap_server` came from `KBP_BOOTSTRAP_SERVER` (set by [`parse`]).
    #[arg(skip)]
    pub bootstrap_from_env: bool,

    /// Whether `context` came from `KBP_CONTEXT` (set by [`parse`]).
    #[arg(skip)]
    pub context_from_env: bool,
}

/// kbp's command line: clap's, with every `KBP_*` variable that is set but empty taken as
/// unset (`KBP_TIMEOUT=` in a unit file or a `docker run -e` means "not given", not "the
/// empty duration").
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    without_env(Cli::command(), |_, value| value.is_empty())
}

/// `cmd` with the `env` of every argument that `drop(id, value)` picks taken away.
fn without_env(
    mut cmd: clap::Command,
    drop: impl Fn(&clap::Id, &std::ffi::OsStr) -> bool,
) -> clap::Command {
    let dropped: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| {
            a.get_env()
                .and_then(std::env::var_os)
                .is_some_and(|v| drop(a.get_id(), &v))
        })
        .map(|a| a.get_id().clone())
        .collect();
    for id in dropped {
        cmd = cmd.mut_arg(id, |a| a.env(None::<&str>));
    }
    cmd
}

/// The arguments with an `env` that `args` gives on the command line. clap reads a global
/// argument's variable again at each subcommand and checks its value even when the flag
/// was given (`KBP_TIMEOUT=soon kbp --timeout 5s lag` failed on `soon`): the flag wins,
/// so its variable is not read at all.
fn given_on_the_command_line(args: &[std::ffi::OsString]) -> Vec<clap::Id> {
    use clap::CommandFactory;
    let probe = without_env(Cli::command(), |_, _| true).ignore_errors(true);
    let Ok(matches) = probe.try_get_matches_from(args) else {
        return vec![];
    };
    let with_env: Vec<clap::Id> = Cli::command()
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .map(|a| a.get_id().clone())
        .collect();
    let mut given = Vec::new();
    let mut m = Some(&matches);
    while let Some(level) = m {
        for id in &with_env {
            if level.try_contains_id(id.as_str()).unwrap_or(false)
                && level.value_source(id.as_str()) == Some(clap::parser::ValueSource::CommandLine)
                && !given.contains(id)
            {
                given.push(id.clone());
            }
        }
        m = level.subcommand().map(|(_, sub)| sub);
    }
    given
}

/// Parses `args` with [`command`], noting which connection settings came from the
/// environment: an explicit flag wins over them ([`crate::config::merge`]).
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let given = given_on_the_command_line(&args);
    let matches = without_env(command(), |id, _| given.contains(id)).try_get_matches_from(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.global.note_sources(&matches);
    Ok(cli)
}

impl GlobalArgs {
    /// Which settings the environment gave, from the matches they were parsed from.
    pub fn note_sources(&mut self, matches: &clap::ArgMatches) {
        let from_env =
            |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::EnvVariable);
        self.bootstrap_from_env = from_env("bootstrap_server");
        self.context_from_env = from_env("context");
    }

    /// The connection flags as the config layer takes them, for the last `--context`
    /// (commands other than `kbp serve` refuse more than one).
    pub fn overrides(&self) -> crate::config::Overrides {
        crate::config::Overrides {
            bootstrap_server: self.bootstrap_server.clone(),
            context: self.context.last().cloned(),
            config: self.config.clone(),
            property: self.property.clone(),
            timeout: self.timeout,
            verbose: self.verbose,
            bootstrap_from_env: self.bootstrap_from_env,
            context_from_env: self.context_from_env,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how far behind consumer groups are, per partition and per group
    Lag(LagArgs),
    /// Find backpressure: sample groups and brokers over a window, say why and what to do
    Diagnose(DiagnoseArgs),
    /// Each broker's leaders, replicas, round-trip time and, with --metrics-url, its pressure
    Brokers(BrokersArgs),
    /// Clear a backlog safely: bounded, paused under backpressure, committing only what was processed
    Drain(Box<DrainArgs>),
    /// Move, export, restore or delete committed offsets: a plan first, --execute to write, an undo file
    #[command(subcommand)]
    Offsets(OffsetsCommand),
    /// Delete consumer groups (empty ones): a plan first, --execute to delete, an undo file
    #[command(subcommand)]
    Group(GroupCommand),
    /// Export lag, exact time lag and diagnose verdicts to Prometheus, refreshed in the background
    Serve(ServeArgs),
    /// Inspect the configuration kbp would use
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Play the backpressure story on an in-process mock cluster: nothing to install
    Demo(DemoArgs),
    /// Print a shell completion script (group and topic names: see `COMPLETE=bash kbp`)
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Pace of the story: 2 plays it twice as fast (rates doubled, waits halved)
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR", value_parser = parse_speed)]
    pub speed: f64,

    /// Keep the mock cluster (and its traffic) up, print its address, wait for Ctrl-C
    #[arg(long)]
    pub serve: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to print the script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Which groups and topics a command looks at (`kbp lag`, `kbp diagnose`).
///
/// `--group` names exact groups (a missing one is exit 4); the patterns select among the
/// cluster's groups and never fail for matching none. Patterns are unanchored, in the
/// `regex` crate's syntax (`values::parse_regex`).
#[derive(Debug, Args)]
pub struct Scope {
    /// Consumer group to inspect, repeatable (default: all groups)
    #[arg(short, long = "group", value_name = "GROUP", value_parser = parse_group)]
    pub groups: Vec<String>,

    /// Inspect every consumer group (the default when no --group is given)
    #[arg(long, conflicts_with = "groups")]
    pub all_groups: bool,

    /// Only groups whose name matches this regular expression (unanchored: ^billing$ for
    /// one name)
    #[arg(long, value_name = "RE", value_parser = parse_regex, value_hint = ValueHint::Other, allow_hyphen_values = true, conflicts_with_all = ["groups", "all_groups"])]
    pub group_regex: Option<Regex>,

    /// Leave out groups whose name matches this regular expression (after --group-regex)
    #[arg(long, value_name = "RE", value_parser = parse_regex, value_hint = ValueHint::Other, allow_hyphen_values = true, conflicts_with = "groups")]
    pub exclude_group_regex: Option<Regex>,

    /// Only partitions of this topic, repeatable
    #[arg(short, long = "topic", value_name = "TOPIC", value_parser = parse_topic)]
    pub topics: Vec<String>,

    /// Only partitions of topics whose name matches this regular expression (unanchored);
    /// with --topic, partitions of either
    #[arg(long, value_name = "RE", value_parser = parse_regex, value_hint = ValueHint::Other, allow_hyphen_values = true)]
    pub topic_regex: Option<Regex>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub scope: Scope,

    /// Address for /metrics, /healthz and /readyz (port 0: any free port, printed on start)
    #[arg(long, default_value = "127.0.0.1:9308", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,

    /// How often each cluster is read (at least 1s); scrapes answer from the last refresh
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = parse_serve_interval)]
    pub interval: Duration,

    /// The span the verdicts, rates and ETA judge (as kbp diagnose --window); at least
    /// 2 x --interval
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_period)]
    pub window: Duration,

    /// Skip reading records for the time lag metrics (faster, no per-partition fetches)
    #[arg(long)]
    pub no_time_lag: bool,

    /// A record timestamp read for time lag is reused while the group stays at it, and read
    /// again after this long (up to twice as long, spread by partition); 0s reads every one
    /// at every refresh
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_span, conflicts_with = "no_time_lag")]
    pub time_lag_reread: Duration,

    /// TLS and basic auth, in the web config format of Prometheus' exporters
    /// (tls_server_config, basic_auth_users with bcrypt hashes; docs/metrics.md)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub web_config: Option<std::path::PathBuf>,
}

/// The brokers a command measures (`kbp brokers`, `kbp diagnose`).
#[derive(Debug, Args)]
pub struct BrokerScope {
    /// A broker's Prometheus endpoint, [BROKER-ID=]URL, repeatable (one per broker)
    #[arg(long = "metrics-url", value_name = "[ID=]URL")]
    pub metrics_urls: Vec<String>,

    /// How many brokers the cluster should have (brokers down are reported)
    #[arg(long, value_name = "N", value_parser = parse_brokers)]
    pub expect_brokers: Option<usize>,

    /// PEM CA certificates the https --metrics-url endpoints are checked against (default:
    /// the system's)
    #[arg(long, value_name = "FILE", value_parser = parse_ca_file, value_hint = ValueHint::FilePath)]
    pub metrics_ca: Option<CaFile>,

    /// User for the endpoints' basic auth, with --metrics-password-env or --metrics-password-file
    #[arg(long, value_name = "USER", requires = "metrics_password")]
    pub metrics_user: Option<String>,

    /// The basic auth password, from this environment variable
    #[arg(long, value_name = "VAR", value_parser = secret_from_env, group = "metrics_password", requires = "metrics_user")]
    pub metrics_password_env: Option<Secret>,

    /// The basic auth password, from this file
    #[arg(long, value_name = "FILE", value_parser = secret_from_file, group = "metrics_password", requires = "metrics_user", value_hint = ValueHint::FilePath)]
    pub metrics_password_file: Option<Secret>,

    /// A bearer token for the endpoints, from this environment variable
    #[arg(long, value_name = "VAR", value_parser = secret_from_env, group = "metrics_bearer", conflicts_with = "metrics_user")]
    pub metrics_bearer_env: Option<Secret>,

    /// A bearer token for the endpoints, from this file
    #[arg(long, value_name = "FILE", value_parser = secret_from_file, group = "metrics_bearer", conflicts_with = "metrics_user", value_hint = ValueHint::FilePath)]
    pub metrics_bearer_file: Option<Secret>,
}

/// `--watch` and what goes with it (`kbp lag`, `kbp diagnose`).
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Refresh every INTERVAL (5s when not given) until Ctrl-C: redrawn in place on a
    /// terminal, appended otherwise (one JSON object per line with -o json)
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "5s", value_parser = parse_interval)]
    pub watch: Option<Duration>,

    /// With --watch: groups and partitions by time lag, lag, lag growth rate, or name
    #[arg(long, value_enum, default_value = "time-lag", requires = "watch")]
    pub sort: WatchSort,

    /// With --watch: colour the verdicts (auto: on a terminal, unless NO_COLOR is set)
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        requires = "watch"
    )]
    pub color: clap::ColorChoice,
}

/// The order of a `--watch` frame: largest first, ties by lag then name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchSort {
    /// Records behind, most first
    Lag,
    /// Time lag, oldest first
    TimeLag,
    /// How fast the lag grows (produce minus consume rate), fastest first
    Rate,
    /// Group, then topic and partition
    Name,
}

#[derive(Debug, Args)]
pub struct LagArgs {
    #[command(flatten)]
    pub scope: Scope,

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
    #[arg(long, value_name = "N", conflicts_with = "watch")]
    pub fail_above: Option<u64>,

    /// Exit with code 1 when a group's time lag is above DURATION, e.g. 5m
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, conflicts_with = "watch")]
    pub fail_time_above: Option<Duration>,

    /// Skip reading records for TIME-LAG (faster, no per-partition fetches)
    #[arg(long)]
    pub no_time_lag: bool,

    #[command(flatten)]
    pub watch: WatchArgs,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    #[command(flatten)]
    pub scope: Scope,

    /// How long to watch the cluster (with --watch: the rolling window rates are measured over)
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_period)]
    pub window: Duration,

    /// Samples taken over the window (2 to 10000)
    #[arg(long, default_value_t = 6, value_name = "N", value_parser = parse_samples, conflicts_with = "watch")]
    pub samples: usize,

    /// One snapshot, only the checks that need no history
    #[arg(long, conflicts_with = "watch")]
    pub once: bool,

    /// Exit non-zero when the worst finding is at least this severe (1 warn, 7 crit)
    #[arg(
        long,
        value_enum,
        default_value = "warn",
        value_name = "SEVERITY",
        conflicts_with = "watch"
    )]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub brokers: BrokerScope,

    /// Skip reading records for the exact time lag
    #[arg(long)]
    pub no_time_lag: bool,

    /// Output format: table, wide, json, yaml, csv (partitions) [default: table]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,

    #[command(flatten)]
    pub watch: WatchArgs,
}

/// The severity from which `kbp diagnose` exits non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warn,
    Crit,
    Never,
}

#[derive(Debug, Args)]
pub struct BrokersArgs {
    #[command(flatten)]
    pub brokers: BrokerScope,

    /// How long to measure round trips and metric rates
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = parse_span)]
    pub window: Duration,

    /// Output format: table, wide, json, yaml, csv [default: table]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    /// Consumer group to drain as (joins it)
    #[arg(short, long, value_parser = parse_joinable_group)]
    pub group: String,

    /// Topic to drain (an exact name), repeatable
    #[arg(short, long = "topic", value_name = "TOPIC", required = true, value_parser = parse_topic)]
    pub topics: Vec<String>,

    /// Destination: stdout, null, file:PATH, exec:CMD, pipe:CMD, topic:NAME[@CONTEXT]
    #[arg(long, default_value = "stdout", value_name = "SINK", value_parser = crate::drain::spec::parse_sink, add = ArgValueCandidates::new(sink_forms))]
    pub sink: SinkSpec,

    /// Line format of stdout, file and pipe sinks (raw cannot be read back: see docs/drain.md)
    #[arg(long, value_enum, default_value = "json")]
    pub format: crate::drain::sinks::LineFormat,

    /// How keys and values appear in JSON lines
    #[arg(long, value_enum, default_value = "utf8")]
    pub value_format: crate::drain::sinks::ValueFormat,

    /// Worker threads processing records (1 to 1024)
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = parse_workers)]
    pub workers: usize,

    /// Order guarantee: per partition, per key, or none
    #[arg(long, value_enum, default_value = "partition")]
    pub ordering: crate::drain::workers::OrderingMode,

    /// Pause the assigned partitions when this many records are queued
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = parse_queue_bound)]
    pub high_water: usize,

    /// Resume them when the queue is back to this many
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = parse_queue_bound)]
    pub low_water: usize,

    /// Stop at: end (the log end captured at start), offset:N, offset:TOPIC/P=N,... (partitions
    /// not named are not drained), time:TIME (RFC 3339 with an offset, or epoch ms)
    #[arg(long, value_name = "LIMIT", value_parser = crate::drain::spec::parse_until, add = ArgValueCandidates::new(until_forms))]
    pub until: Option<Until>,

    /// Stop after this many records
    #[arg(long, value_name = "N", value_parser = parse_positive)]
    pub max_records: Option<u64>,

    /// Stop when no record arrived for this long, e.g. 30s
    #[arg(long, value_name = "DURATION", value_parser = parse_period)]
    pub idle: Option<Duration>,

    /// Where partitions without a commit start: committed (= earliest), earliest, latest,
    /// time:TIME (RFC 3339 with an offset, or epoch ms)
    #[arg(long, default_value = "committed", value_name = "FROM", value_parser = crate::drain::spec::parse_from, add = ArgValueCandidates::new(from_forms))]
    pub from: Uncommitted,

    /// At most this many records per second, e.g. 500/s or 6000/m
    #[arg(long, value_name = "RATE", value_parser = crate::drain::rate::parse_rate)]
    pub rate: Option<f64>,

    /// Retries of a failed record before --on-failure applies (0 to 1000)
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = parse_retries)]
    pub retries: u32,

    /// First retry delay (exponential, full jitter)
    #[arg(long, default_value = "100ms", value_name = "DURATION", value_parser = parse_period)]
    pub backoff_initial: Duration,

    /// Longest retry delay
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_period)]
    pub backoff_max: Duration,

    /// After the retries: stop, skip, or dlq:TOPIC
    #[arg(long, default_value = "stop", value_name = "ACTION", value_parser = crate::drain::spec::parse_on_failure, add = ArgValueCandidates::new(on_failure_forms))]
    pub on_failure: OnFailure,

    /// Print the plan (per partition: start, stop, records, time span) and exit; joins no
    /// group, runs no sink, commits nothing
    #[arg(long, conflicts_with = "no_commit")]
    pub dry_run: bool,

    /// Process records through the sink, but commit nothing
    #[arg(long)]
    pub no_commit: bool,

    /// Join the group even when it has live members that are not kbp drains (they lose
    /// partitions to the drain while it runs)
    #[arg(long)]
    pub join_live_group: bool,

    /// How often processed offsets are committed
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = parse_period)]
    pub commit_interval: Duration,

    /// With --sink pipe: a child that acknowledges nothing for this long after it was sent
    /// a record is killed and started again, and its unacknowledged records are retried
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_period)]
    pub ack_timeout: Duration,

    /// Bound on finishing in-flight work at shutdown and on revoke
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_period)]
    pub shutdown_timeout: Duration,

    /// No progress on stderr
    #[arg(short, long)]
    pub quiet: bool,

    /// Final summary (and the --dry-run plan): text on stderr, or json on stdout
    #[arg(long, value_enum, default_value = "text")]
    pub summary: SummaryFormat,
}

fn candidates(forms: &[&str]) -> Vec<clap_complete::CompletionCandidate> {
    forms
        .iter()
        .map(|f| clap_complete::CompletionCandidate::new(*f))
        .collect()
}

fn sink_forms() -> Vec<clap_complete::CompletionCandidate> {
    candidates(crate::drain::spec::SINK_FORMS)
}

fn until_forms() -> Vec<clap_complete::CompletionCandidate> {
    candidates(&["end", "offset:", "time:"])
}

fn from_forms() -> Vec<clap_complete::CompletionCandidate> {
    candidates(&["committed", "earliest", "latest", "time:"])
}

fn on_failure_forms() -> Vec<clap_complete::CompletionCandidate> {
    candidates(&["stop", "skip", "dlq:"])
}

#[derive(Debug, Subcommand)]
pub enum OffsetsCommand {
    /// Move committed offsets as kafka-consumer-groups --reset-offsets does: a plan, or
    /// with --execute the write (after saving the previous offsets to a restore file)
    Reset(Box<ResetArgs>),
    /// Put back the offsets of restore files (or kafka-consumer-groups --export CSVs): the
    /// undo of a reset, with the same plan, guard and check
    Restore(RestoreArgs),
    /// Print committed offsets as kafka-consumer-groups --export writes them (-o csv), or
    /// as json, yaml or a table
    Export(ExportArgs),
    /// Delete a group's commits on topics (OffsetDelete): a plan, or with --execute the
    /// delete (after saving them to a restore file)
    Delete(DeleteOffsetsArgs),
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Delete consumer groups and their commits (Kafka deletes only groups without
    /// members): a plan, or with --execute the delete (after saving the commits to a
    /// restore file)
    Delete(GroupDeleteArgs),
}

/// The groups a `kbp offsets` command works on: named, or matching a pattern.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct OffsetGroups {
    /// Consumer group, repeatable
    #[arg(short, long = "group", value_name = "GROUP", value_parser = parse_group)]
    pub groups: Vec<String>,

    /// Every group whose name matches this regular expression (unanchored: ^billing$ for
    /// one name)
    #[arg(long, value_name = "RE", value_parser = parse_regex, value_hint = ValueHint::Other, allow_hyphen_values = true)]
    pub group_regex: Option<Regex>,
}

/// How `kbp offsets reset` finds each partition's new offset (exactly one).
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Strategy {
    /// To the log start (the oldest record kept)
    #[arg(long)]
    pub to_earliest: bool,

    /// To the log end (skip everything written so far)
    #[arg(long)]
    pub to_latest: bool,

    /// To the committed offset; the log end where there is none
    #[arg(long)]
    pub to_current: bool,

    /// To offset N (clamped into the log)
    #[arg(long, value_name = "N", value_parser = parse_offset, allow_negative_numbers = true)]
    pub to_offset: Option<i64>,

    /// By N from the committed offset, e.g. -100 (read again) or 100 (skip); clamped
    #[arg(long, value_name = "N", value_parser = parse_shift, allow_negative_numbers = true)]
    pub shift_by: Option<i64>,

    /// To the first record at or after TIME (RFC 3339 with an offset, or epoch ms); the log
    /// end where none is that late
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub to_datetime: Option<i64>,

    /// To the first record of the last DURATION, e.g. 2h, 1d, PT2H
    #[arg(long, value_name = "DURATION", value_parser = parse_lookback, allow_hyphen_values = true)]
    pub by_duration: Option<Duration>,

    /// To the offsets of a kafka-consumer-groups --export CSV (topic,partition,offset for
    /// one --group; group,topic,partition,offset); clamped
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub from_file: Option<PathBuf>,
}

/// `--execute` and what goes with it, for every command that writes offsets.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Write: save the previous offsets to a restore file, write, read back and check.
    /// Without it, print the plan and change nothing
    #[arg(long)]
    pub execute: bool,

    /// Directory for restore files [default: $XDG_STATE_HOME/kbp, else ~/.local/state/kbp]
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub restore_dir: Option<PathBuf>,

    /// Output format: table, wide, json, yaml, csv [default: table]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    #[command(flatten)]
    pub groups: OffsetGroups,

    /// Topic, or TOPIC:P,P... for some of its partitions, repeatable (default: every
    /// partition the group has committed)
    #[arg(short, long = "topic", value_name = "TOPIC[:P,...]", value_parser = parse_topic_arg)]
    pub topics: Vec<TopicArg>,

    #[command(flatten)]
    pub strategy: Strategy,

    #[command(flatten)]
    pub write: WriteArgs,

    /// With --execute: write even to a group with live members, or one kbp cannot describe
    /// (Kafka answers UNKNOWN_MEMBER_ID while members are in; they overwrite what a server
    /// takes)
    #[arg(long, requires = "execute")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Restore files (group,topic,partition,offset rows), as kbp offsets reset --execute
    /// writes them
    #[arg(required = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,

    /// Only this group's rows; the group of a file without a group column
    /// (topic,partition,offset)
    #[arg(short, long, value_name = "GROUP", value_parser = parse_group)]
    pub group: Option<String>,

    #[command(flatten)]
    pub write: WriteArgs,

    /// With --execute: write even to a group with live members
    #[arg(long, requires = "execute")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub groups: OffsetGroups,

    /// Only this topic, or TOPIC:P,P..., repeatable
    #[arg(short, long = "topic", value_name = "TOPIC[:P,...]", value_parser = parse_topic_arg)]
    pub topics: Vec<TopicArg>,

    /// Output format: csv (kafka-consumer-groups --export: no header, a group column for
    /// several groups), json, yaml, table [default: csv]
    #[arg(short, long, value_enum)]
    pub output: Option<Format>,
}

#[derive(Debug, Args)]
pub struct DeleteOffsetsArgs {
    #[command(flatten)]
    pub groups: OffsetGroups,

    /// Topic, or TOPIC:P,P... for some of its partitions, repeatable
    #[arg(short, long = "topic", value_name = "TOPIC[:P,...]", required = true, value_parser = parse_topic_arg)]
    pub topics: Vec<TopicArg>,

    #[command(flatten)]
    pub write: WriteArgs,

    /// With --execute: delete even for a group with live members (Kafka refuses it for
    /// topics they read)
    #[arg(long, requires = "execute")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct GroupDeleteArgs {
    /// Consumer group to delete, one or more
    #[arg(required = true, value_name = "GROUP", value_parser = parse_group)]
    pub groups: Vec<String>,

    #[command(flatten)]
    pub write: WriteArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
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

/// `--speed`: a factor from 0.1 (ten times slower) to 20.
fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(f) if (0.1..=20.0).contains(&f) => Ok(f),
        _ => Err(format!("'{s}' is not a factor from 0.1 to 20")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The flags the lower layers name in messages (`crate::flags`) are flags of the
    /// commands they are listed with: renaming one here fails this test.
    #[test]
    fn every_flag_messages_name_is_defined() {
        let root = command();
        for (flag, commands) in crate::flags::ALL {
            for path in *commands {
                let cmd = path.split_whitespace().fold(&root, |cmd, name| {
                    cmd.find_subcommand(name)
                        .unwrap_or_else(|| panic!("{flag}: no command `kbp {path}`"))
                });
                // Global flags are defined on the root only.
                let defined = cmd.get_arguments().any(|a| match flag.strip_prefix("--") {
                    Some(long) => a.get_long() == Some(long),
                    None => {
                        let mut short = flag.strip_prefix('-').unwrap_or_default().chars();
                        short.next().is_some_and(|c| a.get_short() == Some(c))
                            && short.next().is_none()
                    }
                });
                assert!(defined, "{flag} is not a flag of `kbp {path}`");
            }
        }
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
    fn speeds() {
        assert_eq!(parse_speed("2").unwrap(), 2.0);
        assert_eq!(parse_speed("0.5").unwrap(), 0.5);
        for bad in ["0", "-1", "21", "fast", "NaN", "inf"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
    }
}
