//! The command line's flags as the layers below it name them: in messages, notes and
//! remedies (`kbp drain --group G --until end`). The layers below `cli` cannot see its
//! clap definitions, so they name a flag through this table, and a test in `cli` checks
//! every entry against those definitions: a renamed flag fails that test instead of
//! leaving messages that name a flag kbp no longer has.

/// Each flag, spelled as messages print it, with the commands that have it ("" is a
/// global flag); [`ALL`] lists them for the test.
macro_rules! flags {
    ($($(#[$doc:meta])* $name:ident = $flag:literal in [$($command:literal),+];)*) => {
        $($(#[$doc])* pub const $name: &str = $flag;)*

        /// Every flag above, with the commands that have it.
        pub const ALL: &[(&str, &[&str])] = &[$(($flag, &[$($command),+])),*];
    };
}

flags! {
    BOOTSTRAP_SERVER = "--bootstrap-server" in [""];
    BOOTSTRAP_SERVER_SHORT = "-b" in [""];
    CONTEXT = "--context" in [""];
    TIMEOUT = "--timeout" in [""];
    /// `-X KEY=VALUE`: a librdkafka property.
    PROPERTY = "-X" in [""];
    GROUP = "--group" in ["lag", "drain", "offsets reset"];
    GROUP_SHORT = "-g" in ["lag", "drain", "offsets reset"];
    TOPIC = "--topic" in ["lag", "drain", "offsets reset"];
    OUTPUT_SHORT = "-o" in ["lag", "diagnose"];
    WATCH = "--watch" in ["lag", "diagnose"];
    METRICS_URL = "--metrics-url" in ["brokers", "diagnose"];
    UNTIL = "--until" in ["drain"];
    FROM = "--from" in ["drain"];
    RATE = "--rate" in ["drain"];
    WORKERS = "--workers" in ["drain"];
    SINK = "--sink" in ["drain"];
    VALUE_FORMAT = "--value-format" in ["drain"];
    HIGH_WATER = "--high-water" in ["drain"];
    LOW_WATER = "--low-water" in ["drain"];
    BACKOFF_INITIAL = "--backoff-initial" in ["drain"];
    BACKOFF_MAX = "--backoff-max" in ["drain"];
    SHUTDOWN_TIMEOUT = "--shutdown-timeout" in ["drain"];
    NO_COMMIT = "--no-commit" in ["drain"];
    TO_DATETIME = "--to-datetime" in ["offsets reset"];
    EXECUTE = "--execute" in ["offsets reset"];
}
