//! Every way kbp can fail, and the one place that turns a failure into an exit code.
//!
//! Scripts and alerts branch on our exit status, so the mapping must be small, stable and
//! documented (docs/exit-codes.md). Messages are one line and name the flag, file or value
//! at fault; they never carry secrets (see `config::Redactor`).

use std::path::PathBuf;

/// Exit codes, documented in docs/exit-codes.md. Keep both in step.
pub mod exit {
    pub const OK: i32 = 0;
    /// A `--fail-*` threshold was breached.
    pub const THRESHOLD: i32 = 1;
    /// Bad flag, value or configuration file (clap uses 2 for usage errors too).
    pub const USAGE: i32 = 2;
    /// The cluster could not be reached or refused our credentials.
    pub const UNREACHABLE: i32 = 3;
    /// A named group or topic does not exist.
    pub const NOT_FOUND: i32 = 4;
    /// The cluster answered but an operation failed.
    pub const KAFKA: i32 = 5;
    /// `kbp drain` stopped on a record that failed after its retries (`--on-failure stop`).
    pub const DRAIN_FAILED: i32 = 6;
    /// `kbp diagnose` found something critical (`--fail-on`).
    pub const CRITICAL: i32 = 7;
    /// `kbp drain` refused to join a group with live members that are not kbp drains;
    /// `kbp offsets --execute` and `kbp group delete --execute` refused a group with members.
    pub const LIVE_GROUP: i32 = 8;
    /// The principal lacks an ACL the command needs (the message names the operation and
    /// the resource); nothing was written.
    pub const NOT_AUTHORIZED: i32 = 9;
    /// Ended by SIGINT (Ctrl-C) or SIGTERM: 128 + the signal, as shells report it.
    pub const SIGINT: i32 = 130;
    pub const SIGTERM: i32 = 143;
    /// Unexpected local failure: I/O on kbp's own output or a restore file, a report it
    /// cannot encode, a bug.
    pub const INTERNAL: i32 = 70;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),

    #[error("config file {path}: {message}")]
    ConfigFile { path: PathBuf, message: String },

    #[error("cannot reach Kafka at {bootstrap}: {reason}")]
    Unreachable { bootstrap: String, reason: String },

    #[error("authentication to Kafka at {bootstrap} failed: {reason}")]
    Authentication { bootstrap: String, reason: String },

    /// A `--metrics-url` endpoint that cannot be scraped as configured: its certificate
    /// is not trusted, or it refused kbp's credentials. Retrying will not mend it.
    #[error("{} {url}: {reason}", crate::flags::METRICS_URL)]
    MetricsRefused { url: String, reason: String },

    /// An ACL is missing: `what` names the operation and resource (`READ on topic orders`).
    #[error("not authorized: {what}")]
    NotAuthorized { what: String },

    #[error("{what} not found: {names}")]
    NotFound { what: &'static str, names: String },

    #[error("{operation} failed: {reason}")]
    Kafka {
        operation: &'static str,
        reason: String,
    },

    /// A retriable answer (`KafkaCode::is_retriable`: a coordinator loading or moving, a
    /// leader moving, a rebalance): asked again within `--timeout`, a Kafka failure when it
    /// lasts.
    #[error("{operation} failed: {reason}")]
    Coordinator {
        operation: &'static str,
        reason: String,
    },

    /// Local I/O: `context` says on what (`writing output`, `--sink file:F`, a thread).
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    /// A report that serde could not encode: a bug in kbp, not in the cluster.
    #[error("cannot encode the report as {format}: {reason}")]
    Encoding {
        format: &'static str,
        reason: String,
    },

    /// A bug or a broken invariant in kbp itself (a thread of ours panicked).
    #[error("internal error: {0}")]
    Internal(String),

    #[error("drain stopped on a failed record: {0}")]
    DrainStopped(String),

    /// The sink could not write; nothing past the last commit was committed.
    #[error("drain failed: {0}")]
    SinkFailed(String),

    /// The group has live members in the way (`cmd::guard`): not kbp drains for a drain
    /// (`--join-live-group` overrides), any for a write of offsets (`--force`).
    #[error("{0}")]
    LiveGroup(String),

    /// A `kbp demo` step failed; its own error line was printed already.
    #[error("demo stopped: `{command}` exited with {code}")]
    DemoStep { command: String, code: i32 },

    /// Not a failure of kbp: a threshold the user asked us to check was breached.
    #[error("{0}")]
    Threshold(String),

    /// Not a failure of kbp: `kbp diagnose` found a critical problem in the cluster.
    #[error("{0}")]
    Critical(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::ConfigFile { .. } => exit::USAGE,
            Error::Unreachable { .. }
            | Error::Authentication { .. }
            | Error::MetricsRefused { .. } => exit::UNREACHABLE,
            Error::NotFound { .. } => exit::NOT_FOUND,
            Error::Kafka { .. } | Error::Coordinator { .. } => exit::KAFKA,
            Error::Threshold(_) => exit::THRESHOLD,
            Error::Critical(_) => exit::CRITICAL,
            Error::DrainStopped(_) | Error::SinkFailed(_) => exit::DRAIN_FAILED,
            Error::LiveGroup(_) => exit::LIVE_GROUP,
            Error::NotAuthorized { .. } => exit::NOT_AUTHORIZED,
            Error::Io { .. } | Error::Encoding { .. } | Error::Internal(_) => exit::INTERNAL,
            Error::DemoStep { code, .. } => *code,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }

    pub fn kafka(operation: &'static str, reason: impl ToString) -> Self {
        Error::Kafka {
            operation,
            reason: reason.to_string(),
        }
    }

    pub fn not_authorized(what: impl Into<String>) -> Self {
        Error::NotAuthorized { what: what.into() }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An I/O failure of kbp's own output (stdout, stderr, the summary).
    pub fn output(source: std::io::Error) -> Self {
        Error::io("writing output", source)
    }

    /// A failure of the cluster (unreachable, or an operation refused) after which a
    /// long-lived command (`kbp serve`, `--watch`) connects anew: librdkafka 2.12 can abort
    /// the process on a coordinator request that outlives an outage (librdkafka#4605).
    pub fn spoils_session(&self) -> bool {
        matches!(self.exit_code(), exit::UNREACHABLE | exit::KAFKA)
    }

    /// True when stdout was closed by the reader (`kbp lag | head`): not an error.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
