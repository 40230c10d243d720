//! Careless and hostile input against the real binary and the real broker: every row is an
//! input class an operator could type during an incident, with the exit code it must get,
//! a fragment of its one-line message, a time bound, and what must not happen because of it
//! (a commit, a side effect of a sink, a partition taken, a secret printed, a raw escape).
//!
//! Rows are data, read by one runner: arguments are split on spaces (`~` stands for a space
//! inside one argument, `''` for an empty argument) and placeholders are filled per row: `{B}` the broker, `{T}` a
//! topic of 2 partitions x 10 records (record i at `T0 + i s`), `{G}` a group of the row's
//! own, `{DIR}` a directory of its own, `{OUT}` an empty topic of its own, `{HOLE}` a
//! listener that accepts and never answers, `{SASL}` the SCRAM listener, `{KBP}` the binary.
//! The runner kills a row 5 s past its bound, so no row can hang the suite, and every row
//! also checks that nothing panicked or printed a Rust debug dump.
//!
//! `KBP_HOSTILE_BIN=/path/to/kbp` runs the rows against another build (for a before/after
//! table); the table of outcomes is printed either way.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::common::*;

/// What must not happen.
#[derive(Clone, Copy, Debug)]
enum Never {
    /// A commit in the row's group.
    Commit,
    /// A commit in the row's group past the first record of a partition (a drain that
    /// failed on its first records commits where it started, and no further).
    CommitPastStart,
    /// This file (under `{DIR}`) exists afterwards: a sink ran.
    File(&'static str),
    /// A record reached `{OUT}`.
    Produce,
    /// The text appears in stdout or stderr (a secret).
    Shows(&'static str),
    /// A raw ESC byte reaches the terminal.
    RawEscape,
    /// A commit in the group of this name (placeholders filled): a write to another group.
    CommitTo(&'static str),
    /// A file in this directory (under `{DIR}`; placeholders filled).
    FilesIn(&'static str),
    /// A commit in the row's group past this offset, in any partition.
    CommitPast(i64),
    /// This file (under `{DIR}`) ends in the middle of a line: a torn record.
    Torn(&'static str),
}

/// What must be true afterwards.
#[derive(Clone, Copy, Debug)]
enum Then {
    /// The row's group committed exactly these (partition, offset) pairs on `{T}`.
    Committed(&'static [(i32, i64)]),
    Stdout(&'static str),
    Stderr(&'static str),
}

/// What the row needs around the command.
#[derive(Clone, Copy, Debug)]
enum Setup {
    Plain,
    /// A live application member (librdkafka's default range assignor) in `{G}`.
    LiveMember,
    /// Another kbp drain (slow: `exec:sleep 0.3`) already in `{G}`.
    DrainMember,
    /// `kill(sig)` after this many milliseconds.
    Signal(i32, u64),
    /// The same, to a kbp that inherited the signal ignored, as a script's background
    /// job does (`kbp … &` in a non-interactive shell).
    IgnoredSignal(i32, u64),
    /// `kbp … | READER` in bash; the code is kbp's own. `{G}` lags `{T}` by 8 records.
    Pipe(&'static str),
    /// `{OUT}` holds a tombstone, an empty value and a value with a newline.
    Tombstones,
    /// `{CFG}` is a config file with this text (`{B}` filled in).
    Config(&'static str),
    /// The group `{G}` is named with an escape sequence and has a commit on `{T}`.
    EscapeGroup,
    /// An environment variable for kbp.
    Env(&'static str, &'static str),
    /// `{CFG}` as [`Setup::Config`], and these environment variables for kbp.
    ConfigEnv(&'static str, &'static [(&'static str, &'static str)]),
    /// `{G}` committed these (partition, offset) pairs on `{T}`.
    Commits(&'static [(i32, i64)]),
    /// `{G}` committed [`COMMITS`] on `{T}`, and `{DIR}/f.csv` holds this text
    /// (placeholders filled in): an offsets file.
    File(&'static str),
    /// `{G}` is this pattern with `{G}` the row's plain group name (`{G0}`), and committed
    /// [`COMMITS`] on `{T}`; `{GQ}` is the name quoted for CSV.
    Named(&'static str),
    /// The same, and `{DIR}/f.csv` holds this text.
    NamedFile(&'static str, &'static str),
    /// `{G}` committed [`COMMITS`]; kbp's files cannot grow past 0 bytes (RLIMIT_FSIZE,
    /// SIGXFSZ ignored): a full disk.
    NoRoom,
    /// kbp run by bash as this script says (placeholders filled in), `{CMD}` standing for
    /// `exec` kbp and its arguments: with a redirection (`{CMD} >&-`), or a step before it.
    /// The script ends with `{CMD}`, so the row's code is kbp's.
    Shell(&'static str),
    /// `{OUT}` holds one record with a key and a value that are not UTF-8, and headers
    /// `h=1`, `h=2`, `x` (null) and `b` (not UTF-8).
    OddBytes,
    /// `{OWN}` is a broker of the table's own (one for all such rows, which take turns),
    /// with topic `fz` (2 partitions) and this many groups `{G}-<i>` committed at offset 1
    /// on both (`{GS}`: their names, space-separated). The broker is frozen (SIGSTOP) once
    /// `{DIR}` holds as many restore files (at once for 0), until the command ends; the
    /// row's bound counts from the freeze.
    Frozen(usize),
}

struct Row {
    class: &'static str,
    args: &'static str,
    code: i32,
    says: &'static str,
    within_ms: u64,
    setup: Setup,
    never: &'static [Never],
    then: &'static [Then],
}

const fn row(class: &'static str, args: &'static str, code: i32, says: &'static str) -> Row {
    Row {
        class,
        args,
        code,
        says,
        within_ms: 10_000,
        setup: Setup::Plain,
        never: &[],
        then: &[],
    }
}

impl Row {
    const fn within(mut self, ms: u64) -> Row {
        self.within_ms = ms;
        self
    }
    const fn setup(mut self, s: Setup) -> Row {
        self.setup = s;
        self
    }
    const fn never(mut self, n: &'static [Never]) -> Row {
        self.never = n;
        self
    }
    const fn then(mut self, t: &'static [Then]) -> Row {
        self.then = t;
        self
    }
}

const INT: i32 = libc::SIGINT;
const TERM: i32 = libc::SIGTERM;
const NO_COMMIT: &[Never] = &[Never::Commit];
const NOTHING_PROCESSED: &[Never] = &[Never::CommitPastStart];
/// The commits of `Setup::Commits(COMMITS)` and `Setup::File`; a row that must not move
/// them checks `Then::Committed(COMMITS)`.
const COMMITS: &[(i32, i64)] = &[(0, 3), (1, 4)];
const UNMOVED: &[Then] = &[Then::Committed(COMMITS)];

/// The rows. Times: `{FROM5}` is T0 + 5 s written with a +02:00 offset, `{LATER}` an hour
/// from now with +02:00, `{LATERZ}` the same with a lowercase `z`, `{LATERMS}` in epoch ms.
const ROWS: &[Row] = &[
    // The drain does what was not asked.
    row("until offset: names an unknown topic", "-b {B} drain -g {G} -t {T} --sink null --until offset:nosuch/0=5", 2, "nosuch/0 is not a partition").never(NO_COMMIT),
    row("until offset: names a partition the topic lacks", "-b {B} drain -g {G} -t {T} --sink null --until offset:{T}/7=3", 2, "/7 is not a partition").never(NO_COMMIT),
    row("until offset: one partition named, the other not drained", "-b {B} drain -g {G} -t {T} --sink null --until offset:{T}/0=5", 0, "stopped (done)").then(&[Then::Committed(&[(0, 5)])]),
    row("until offset:N for every partition", "-b {B} drain -g {G} -t {T} --sink null --until offset:3", 0, "stopped (done)").then(&[Then::Committed(&[(0, 3), (1, 3)])]),
    row("until time: before every record stops at once", "-b {B} drain -g {G} -t {T} --sink null --until time:2020-11-01T00:00:00Z", 0, "stopped (done)").never(NO_COMMIT),
    row("until time: after every record exits (+02:00)", "-b {B} drain -g {G} -t {T} --sink null --until time:{LATER}", 0, "stopped (done)").then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("until time: with a lowercase z", "-b {B} drain -g {G} -t {T} --sink null --until time:{LATERZ}", 0, "stopped (done)").then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("until time: in epoch milliseconds", "-b {B} drain -g {G} -t {T} --sink null --until time:{LATERMS}", 0, "stopped (done)").then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("until time: mid-log stops at the first later record", "-b {B} drain -g {G} -t {T} --sink null --until time:{FROM5}", 0, "stopped (done)").then(&[Then::Committed(&[(0, 5), (1, 5)])]),
    row("until time: without an offset is ambiguous", "-b {B} drain -g {G} -t {T} --until time:2026-11-01T00:00:00", 2, "offset").never(NO_COMMIT),
    row("-X auto.offset.reset=latest with --until end", "-b {B} -X auto.offset.reset=latest drain -g {G} -t {T} --until end", 2, "--from").never(NO_COMMIT),
    row("from time: (RFC 3339, +02:00) is implemented", "-b {B} drain -g {G} -t {T} --sink null --until end --from time:{FROM5} --summary json", 0, "").then(&[Then::Committed(&[(0, 10), (1, 10)]), Then::Stdout("\"processed\":10,")]),
    row("from time: garbage", "-b {B} drain -g {G} -t {T} --from time:yesterday", 2, "yesterday").never(NO_COMMIT),
    row("from with a typo", "-b {B} drain -g {G} -t {T} --from earlist", 2, "earlist").never(NO_COMMIT),
    row("dry run does not exec", "-b {B} drain -g {G} -t {T} --until end --dry-run --sink exec:touch~{DIR}/ran", 0, "dry run").never(&[Never::Commit, Never::File("ran")]),
    row("dry run does not write the file", "-b {B} drain -g {G} -t {T} --until end --dry-run --sink file:{DIR}/out", 0, "would process 20 record(s)").never(&[Never::Commit, Never::File("out")]),
    row("dry run does not produce", "-b {B} drain -g {G} -t {T} --until end --dry-run --sink topic:{OUT}", 0, "dry run").never(&[Never::Commit, Never::Produce]),
    row("dry run plan as JSON", "-b {B} drain -g {G} -t {T} --until time:{FROM5} --dry-run --summary json", 0, "").never(NO_COMMIT).then(&[Then::Stdout("\"records\":10,")]),
    row("dry run does not join a live group, and warns", "-b {B} drain -g {G} -t {T} --dry-run", 0, "a drain would be refused (exit 8)").setup(Setup::LiveMember).then(&[Then::Stderr("up to the current log end")]),
    row("no-commit processes and commits nothing", "-b {B} drain -g {G} -t {T} --sink null --until end --no-commit", 0, "stopped (done)").never(NO_COMMIT),
    row("dry-run and no-commit together", "-b {B} drain -g {G} -t {T} --dry-run --no-commit", 2, "cannot be used with"),
    row("a live application member is not displaced", "-b {B} drain -g {G} -t {T} --until end --sink null", 8, "not kbp drains").setup(Setup::LiveMember).within(5_000).never(NO_COMMIT),
    row("joining anyway with another assignor is an error with its cause", "-b {B} drain -g {G} -t {T} --until end --sink null --join-live-group", 5, "assignor").setup(Setup::LiveMember).within(8_000).never(NO_COMMIT),
    row("another kbp drain in the group is welcome (scale-out)", "-b {B} drain -g {G} -t {T} --until end --sink null", 0, "stopped (done)").setup(Setup::DrainMember).within(30_000).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("-X group.id beside -g", "-b {B} -X group.id=elsewhere drain -g {G} -t {T} --until end", 2, "-X group.id: kbp sets the group itself: use -g/--group").never(NO_COMMIT),
    row("-X group.id in lag too", "-b {B} -X group.id=x lag", 2, "-X group.id"),
    row("-X enable.auto.commit", "-b {B} -X enable.auto.commit=true drain -g {G} -t {T} --until end", 2, "--no-commit").never(NO_COMMIT),
    row("-X enable.auto.offset.store", "-b {B} -X enable.auto.offset.store=true drain -g {G} -t {T}", 2, "enable.auto.offset.store"),
    row("-X partition.assignment.strategy", "-b {B} -X partition.assignment.strategy=range drain -g {G} -t {T}", 2, "assignor"),
    row("-X group.instance.id", "-b {B} -X group.instance.id=app-1 drain -g {G} -t {T}", 2, "static member"),
    row("group.id in a context's properties", "--config {CFG} drain -g {G} -t {T}", 2, "properties.group.id").setup(Setup::Config("current-context: c\ncontexts:\n  c:\n    bootstrap-servers: {B}\n    properties:\n      group.id: other\n")),
    row("a sink that cannot write fails the drain", "-b {B} drain -g {G} -t {T} --until end --sink file:/dev/full", 6, "No space left on device").never(NO_COMMIT).then(&[Then::Stderr("sink-failed")]),
    row("a file sink in a missing directory", "-b {B} drain -g {G} -t {T} --until end --sink file:/nonexistent/dir/out", 2, "--sink file:/nonexistent/dir/out").never(NO_COMMIT),
    row("a hundred million workers", "-b {B} drain -g {G} -t {T} --sink null --workers 100000000", 2, "from 1 to 1024"),
    row("zero workers", "-b {B} drain -g {G} -t {T} --workers 0", 2, "from 1 to 1024"),
    row("high-water 0", "-b {B} drain -g {G} -t {T} --high-water 0", 2, "--high-water"),
    row("low-water above high-water", "-b {B} drain -g {G} -t {T} --high-water 10 --low-water 20", 2, "--low-water (20) must be below --high-water (10)"),
    row("a million retries", "-b {B} drain -g {G} -t {T} --retries 1000000", 2, "from 0 to 1000"),
    row("max-records 0", "-b {B} drain -g {G} -t {T} --max-records 0", 2, "--max-records"),
    row("rate 0/s", "-b {B} drain -g {G} -t {T} --rate 0/s", 2, "--rate"),
    row("rate below one an hour", "-b {B} drain -g {G} -t {T} --rate 1e-9/s", 2, "--rate"),
    row("idle 0s", "-b {B} drain -g {G} -t {T} --idle 0s", 2, "above zero"),
    row("a sink with a typo", "-b {B} drain -g {G} -t {T} --sink nul", 2, "expected stdout, null"),
    row("a pipe sink without a command", "-b {B} drain -g {G} -t {T} --sink pipe:", 2, "missing the part after"),
    row("a pipe sink with a blank command", "-b {B} drain -g {G} -t {T} --sink pipe:~~", 2, "missing the part after"),
    row("an ack timeout of 0s", "-b {B} drain -g {G} -t {T} --sink pipe:cat --ack-timeout 0s", 2, "above zero"),
    row("an ack timeout that is not a duration", "-b {B} drain -g {G} -t {T} --sink pipe:cat --ack-timeout soon", 2, "--ack-timeout"),
    row("a pipe command that does not exist", "-b {B} drain -g {G} -t {T} --until end --sink pipe:no-such-command-kbp --backoff-initial 10ms", 6, "exited (exit status: 127) before acknowledging").never(NOTHING_PROCESSED),
    row("a pipe child that exits at once", "-b {B} drain -g {G} -t {T} --until end --sink pipe:true --backoff-initial 10ms", 6, "exited (exit status: 0) before acknowledging").never(NOTHING_PROCESSED),
    row("a pipe child that echoes its input instead of acking", "-b {B} drain -g {G} -t {T} --until end --sink pipe:cat --on-failure skip", 6, "instead of ok or fail REASON").never(NOTHING_PROCESSED),
    row("a pipe child that answers garbage", "-b {B} drain -g {G} -t {T} --until end --sink pipe:yes~hello", 6, "answered \"hello\" instead of ok or fail REASON").never(NOTHING_PROCESSED),
    row("a pipe child that never acks is bounded by --ack-timeout", "-b {B} drain -g {G} -t {T} --until end --sink pipe:cat~>/dev/null --ack-timeout 1s --retries 1 --backoff-initial 10ms", 6, "acknowledged nothing for 1s").within(8_000).never(NOTHING_PROCESSED),
    row("an empty topic sink", "-b {B} drain -g {G} -t {T} --sink topic:", 2, "missing the part after"),
    row("on-failure with a typo", "-b {B} drain -g {G} -t {T} --on-failure retry", 2, "expected stop, skip or dlq:TOPIC"),
    row("until with a typo", "-b {B} drain -g {G} -t {T} --until never", 2, "expected end, offset:N"),
    row("a negative until offset", "-b {B} drain -g {G} -t {T} --until offset:-1", 2, "negative"),
    row("diagnose with one sample", "-b {B} diagnose --samples 1", 2, "from 2 to 10000"),
    row("diagnose over a zero window", "-b {B} diagnose --window 0s", 2, "above zero"),
    row("brokers expected: 0", "-b {B} brokers --expect-brokers 0", 2, "from 1 to 10000"),
    // Failures that are not bounded.
    row("lag against a cluster that never answers", "-b {HOLE} --timeout 2s lag", 3, "timed out after 2s").within(3_000),
    row("diagnose against a cluster that never answers", "-b {HOLE} --timeout 2s diagnose --once", 3, "cannot reach Kafka").within(3_000),
    row("brokers against a cluster that never answers", "-b {HOLE} --timeout 2s brokers", 3, "cannot reach Kafka").within(3_000),
    row("drain against a cluster that never answers", "-b {HOLE} --timeout 2s drain -g {G} -t {T}", 3, "cannot reach Kafka").within(3_000),
    row("a refused bootstrap fails at once", "-b 127.0.0.1:1 --timeout 30s lag", 3, "Connection refused").within(1_000),
    row("every bootstrap refused fails at once", "-b 127.0.0.1:1,127.0.0.1:2 --timeout 30s diagnose --once", 3, "127.0.0.1:2").within(1_000),
    row("an unresolvable bootstrap is bounded", "-b no-such-host.invalid:9092 --timeout 2s lag", 3, "no-such-host.invalid").within(3_000),
    row("Ctrl-C while lag waits for the cluster", "-b {HOLE} --timeout 60s lag", 130, "interrupted").setup(Setup::Signal(INT, 1_000)).within(2_000),
    row("SIGTERM while lag waits for the cluster", "-b {HOLE} --timeout 60s lag", 143, "interrupted").setup(Setup::Signal(TERM, 1_000)).within(2_000),
    row("Ctrl-C while diagnose waits for the cluster", "-b {HOLE} --timeout 60s diagnose", 130, "interrupted").setup(Setup::Signal(INT, 1_000)).within(2_000),
    row("Ctrl-C while drain waits for the cluster", "-b {HOLE} --timeout 60s drain -g {G} -t {T} --until end", 130, "interrupted").setup(Setup::Signal(INT, 1_000)).within(2_000).never(NO_COMMIT),
    row("Ctrl-C during a diagnose window", "-b {B} diagnose --window 60s", 130, "interrupted").setup(Setup::Signal(INT, 1_500)).within(2_500),
    row("kill -INT to lag started in the background by a script", "-b {HOLE} --timeout 60s lag", 130, "interrupted").setup(Setup::IgnoredSignal(INT, 1_000)).within(2_000),
    row("kill -INT to a drain started in the background by a script", "-b {HOLE} --timeout 60s drain -g {G} -t {T} --until end", 130, "interrupted").setup(Setup::IgnoredSignal(INT, 1_000)).within(2_000).never(NO_COMMIT),
    row("a wrong password with -X debug=all", "-b {SASL} --timeout 60s -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=kbp -X sasl.password=wrong-pw-31337 -X debug=all lag", 3, "authentication").within(15_000).never(&[Never::Shows("wrong-pw-31337")]),
    row("a timeout over an hour", "-b {B} --timeout 2h lag", 2, "longer than the most allowed, 1h"),
    row("a zero timeout", "-b {B} --timeout 0s lag", 2, "above zero"),
    row("a bad KBP_TIMEOUT", "-b {B} lag", 2, "soon").setup(Setup::Env("KBP_TIMEOUT", "soon")),
    // Results that hide.
    row("a breach with a reader that closes early", "-b {B} lag -g {G} --fail-above 1", 1, "above --fail-above 1").setup(Setup::Pipe("(exec 0<&-; sleep 1)")),
    row("a breach with | head -n 1", "-b {B} lag -g {G} --fail-above 1", 1, "above --fail-above 1").setup(Setup::Pipe("head -n 1 >/dev/null")),
    row("a regex as drain topic", "-b {B} drain -g {G} -t ^orders.* --until end", 2, "exact names only").never(NO_COMMIT),
    row("an unknown drain topic", "-b {B} drain -g {G} -t no-such-topic-kbp --until end", 4, "topic not found: no-such-topic-kbp"),
    row("an unknown lag topic", "-b {B} lag -t no-such-topic-kbp", 4, "no-such-topic-kbp"),
    row("an empty drain group", "-b {B} drain -g '' -t {T}", 2, "group name cannot be empty").never(NO_COMMIT),
    row("an empty drain topic", "-b {B} drain -g {G} -t ''", 2, "topic name cannot be empty"),
    row("an empty lag group", "-b {B} lag -g ''", 2, "group name cannot be empty"),
    row("an empty lag topic", "-b {B} lag -t ''", 2, "topic name cannot be empty"),
    row("an empty diagnose group", "-b {B} diagnose -g '' --once", 2, "group name cannot be empty"),
    // Input hygiene.
    row("a port past 65535", "-b localhost:99999 lag", 2, "port '99999' is not from 1 to 65535"),
    row("port 0", "-b localhost:0 lag", 2, "port '0'"),
    row("an IPv6 address without brackets", "-b ::1:9092 lag", 2, "brackets"),
    row("an unclosed IPv6 bracket", "-b [::1:9092 lag", 2, "unclosed"),
    row("an empty bootstrap entry", "-b {B},,{B} lag", 2, "empty entry"),
    row("a bad port in a context", "--config {CFG} lag", 2, "bootstrap-servers").setup(Setup::Config("current-context: c\ncontexts:\n  c:\n    bootstrap-servers: [a:1, b:70000]\n")),
    row("a YAML key at the top level is placed", "--config {CFG} lag", 2, "line 1 column 1").setup(Setup::Config("current_context: c\ncontexts: {}\n")),
    row("a YAML indentation error is placed", "--config {CFG} lag", 2, "line 4 column").setup(Setup::Config("contexts:\n  c:\n    bootstrap-servers: {B}\n   timeout: 5s\n")),
    row("a config timeout over an hour", "--config {CFG} lag", 2, "timeout").setup(Setup::Config("current-context: c\ncontexts:\n  c:\n    bootstrap-servers: {B}\n    timeout: 3h\n")),
    row("an escape sequence in a group name", "-b {B} lag -g {G}", 0, "").setup(Setup::EscapeGroup).never(&[Never::RawEscape]).then(&[Then::Stdout("\\u{1b}[2J")]),
    row("an escape sequence in a missing group's name", "-b {B} lag -g hostile\u{1b}[2J", 4, "\\u{1b}[2J").never(&[Never::RawEscape]),
    row("the effective protocol of a context", "--config {CFG} config contexts", 0, "").setup(Setup::Config("contexts:\n  c:\n    bootstrap-servers: {B}\n    security-protocol: PLAINTEXT\n    properties:\n      security.protocol: SASL_SSL\n")).then(&[Then::Stdout("SASL_SSL")]),
    row("a password on the command line is warned about", "-b {B} -X sasl.password=hunter2-hostile config view", 0, "password-file").never(&[Never::Shows("hunter2-hostile")]),
    row("length-prefixed output tells a tombstone from an empty value", "-b {B} drain -g {G} -t {OUT} --until end --format length-prefixed -q", 0, "").setup(Setup::Tombstones).then(&[Then::Stdout("-1\n0\n\n3\na\nb\n")]),
    row("an unknown librdkafka property", "-b {B} -X no.such.property=1 lag", 2, "no.such.property"),
    row("a missing config file", "--config /nonexistent/kbp.yaml lag", 2, "/nonexistent/kbp.yaml"),
    row("a missing context", "-b {B} --context nope lag", 2, "--context nope"),
    row("drain without a topic", "-b {B} drain -g {G}", 2, "--topic"),
    row("an unknown shell", "completions tcsh", 2, "tcsh"),
    row("a demo at speed 0", "demo --speed 0", 2, "factor"),
    row("serve refreshing every 0s", "-b {B} serve --interval 0s", 2, "--interval"),
    row("serve on an address that is not one", "-b {B} serve --listen localhost:http", 2, "--listen"),
    row("serve re-reading time lag after no duration", "-b {B} serve --time-lag-reread soon", 2, "--time-lag-reread"),
    row("serve re-reading time lag without reading it", "-b {B} serve --no-time-lag --time-lag-reread 1m", 2, "cannot be used with"),
    row("serve with a bad group pattern", "-b {B} serve --group-regex (", 2, "--group-regex"),
    row("serve with a web config that is not there", "-b {B} serve --web-config {DIR}/none.yml", 2, "--web-config"),
    row("serve with a web config key it does not know", "-b {B} serve --web-config {DIR}/f.csv", 2, "unknown field `bogus`").setup(Setup::File("tls_server_config:\n  cert_file: /x\n  bogus: 1\n")),
    row("a metrics CA that is not there", "-b {B} brokers --metrics-url https://127.0.0.1:1/metrics --metrics-ca {DIR}/none.pem", 2, "--metrics-ca"),
    row("a metrics password from an unset variable", "-b {B} brokers --metrics-url https://127.0.0.1:1/metrics --metrics-user u --metrics-password-env KBP_HOSTILE_UNSET_PW", 2, "--metrics-password-env"),
    row("a metrics bearer token file that is not there", "-b {B} brokers --metrics-url https://127.0.0.1:1/metrics --metrics-bearer-file {DIR}/none", 2, "--metrics-bearer-file"),
    row("a watch as CSV", "-b 127.0.0.1:1 lag --watch -o csv", 2, "-o csv is not available with --watch"),
    row("a diagnose watch as Prometheus text", "-b 127.0.0.1:1 diagnose --watch -o prometheus", 2, "-o prometheus is not available"),
    row("a watch with a lag threshold", "-b 127.0.0.1:1 lag --watch --fail-above 5", 2, "cannot be used with '--fail-above"),
    row("a diagnose watch taking one snapshot", "-b 127.0.0.1:1 diagnose --watch --once", 2, "cannot be used with '--once'"),
    row("a diagnose watch with a severity threshold", "-b 127.0.0.1:1 diagnose --watch --fail-on crit", 2, "cannot be used with '--fail-on"),
    row("a sort order without a watch", "-b 127.0.0.1:1 lag --sort lag", 2, "--watch"),
    row("a watch refreshing every 50ms", "-b 127.0.0.1:1 lag --watch 50ms", 2, "shorter than the least allowed, 100ms"),
    row("two contexts for a command that watches one cluster", "-b {B} --context a --context b lag", 2, "only kbp serve"),
    row("serve with one bootstrap for two contexts", "-b {B} --context a --context b serve", 2, "--bootstrap-server with several --context"),
    // Offsets moved where nobody meant to, or from input that means something else.
    row("an offsets reset plan writes nothing", "-b {B} offsets reset -g {G} -t {T} --to-latest", 0, "").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(COMMITS), Then::Stdout("nothing was written")]),
    row("an offsets reset writes, its restore file first", "-b {B} offsets reset -g {G} -t {T} --to-offset 5 --execute --restore-dir {DIR}", 0, "saved to").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(&[(0, 5), (1, 5)])]),
    row("an offset past the log end is clamped, and said", "-b {B} offsets reset -g {G} -t {T} --to-offset 500 --execute --restore-dir {DIR}", 0, "clamped").setup(Setup::Commits(COMMITS)).then(&[Then::Committed(&[(0, 10), (1, 10)])]),
    row("an offsets reset of an unknown group", "-b {B} offsets reset -g {G} -t {T} --to-latest --execute", 4, "consumer group not found").never(NO_COMMIT),
    row("an offsets reset of an unknown topic", "-b {B} offsets reset -g {G} -t no-such-topic-kbp --to-latest --execute", 4, "topic not found: no-such-topic-kbp").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("an offsets reset of a partition the topic lacks", "-b {B} offsets reset -g {G} -t {T}:7 --to-latest --execute", 4, "partition not found").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("a negative --to-offset", "-b {B} offsets reset -g {G} -t {T} --to-offset -5 --execute", 2, "negative").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("a --shift-by where there is no commit to shift", "-b {B} offsets reset -g {G} -t {T} --shift-by -2 --execute", 2, "needs a commit").setup(Setup::Commits(&[(0, 3)])).then(&[Then::Committed(&[(0, 3)])]),
    row("a --to-datetime in the future", "-b {B} offsets reset -g {G} -t {T} --to-datetime {LATER} --execute", 2, "is in the future").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("a --to-datetime without an offset", "-b {B} offsets reset -g {G} --to-datetime 2026-01-01T00:00:00 --execute", 2, "offset"),
    row("a zero --by-duration", "-b {B} offsets reset -g {G} --by-duration 0s --execute", 2, "above zero"),
    row("two strategies at once", "-b {B} offsets reset -g {G} --to-latest --to-earliest --execute", 2, "cannot be used with"),
    row("an offsets reset without a strategy", "-b {B} offsets reset -g {G} --execute", 2, "--to-earliest|--to-latest"),
    row("--force without --execute", "-b {B} offsets reset -g {G} --to-latest --force", 2, "--execute"),
    row("-o prometheus with --execute writes nothing", "-b {B} offsets reset -g {G} -t {T} --to-latest --execute -o prometheus", 2, "prometheus").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("a restore directory that cannot be written", "-b {B} offsets reset -g {G} -t {T} --to-latest --execute --restore-dir /proc/kbp-no", 70, "nothing was written to Kafka").setup(Setup::Commits(COMMITS)).then(UNMOVED),
    row("an offsets reset under a live member", "-b {B} offsets reset -g {G} -t {T} --to-earliest --execute", 8, "live member(s)").setup(Setup::LiveMember).within(5_000).never(NO_COMMIT),
    row("a group delete under a live member", "-b {B} group delete {G} --execute", 8, "Kafka deletes only groups without members").setup(Setup::LiveMember).within(5_000),
    row("a group delete of an unknown group", "-b {B} group delete {G} --execute", 4, "consumer group not found"),
    row("an offsets delete of an unknown group", "-b {B} offsets delete -g {G} -t {T} --execute", 4, "consumer group not found"),
    row("a restore file with a header row", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "not an offsets file").setup(Setup::File("topic,partition,offset\n{T},0,5\n")).then(UNMOVED),
    row("a restore file that is kbp's plan CSV", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "not an offsets file").setup(Setup::File("GROUP,TOPIC,PARTITION,CURRENT-OFFSET,NEW-OFFSET\n{G},{T},0,3,5\n")).then(UNMOVED),
    row("a JSON restore file", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "not an offsets file").setup(Setup::File("{\"groups\": []}\n")).then(UNMOVED),
    row("a restore file with a negative offset", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "is negative").setup(Setup::File("{G},{T},0,-5\n")).then(UNMOVED),
    row("a restore file of a topic this cluster lacks", "-b {B} offsets restore {DIR}/f.csv --execute", 4, "topic not found: no-such-topic-kbp").setup(Setup::File("{G},no-such-topic-kbp,0,5\n")).then(UNMOVED),
    row("a restore file of a partition the topic lacks", "-b {B} offsets restore {DIR}/f.csv --execute", 4, "partition not found").setup(Setup::File("{G},{T},9,5\n")).then(UNMOVED),
    row("a restore file without a group column", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "name the group with -g").setup(Setup::File("{T},0,5\n")).then(UNMOVED),
    row("an empty restore file", "-b {B} offsets restore {DIR}/f.csv --execute", 2, "holds no offsets").setup(Setup::File("")).then(UNMOVED),
    row("a missing restore file", "-b {B} offsets restore {DIR}/none.csv --execute", 2, "cannot read"),
    row("a restore puts the file's offsets back", "-b {B} offsets restore {DIR}/f.csv --execute --restore-dir {DIR}", 0, "saved to").setup(Setup::File("{G},{T},0,1\n{G},{T},1,2\n")).then(&[Then::Committed(&[(0, 1), (1, 2)])]),
    row("--from-file rows of another group", "-b {B} offsets reset -g {G} --from-file {DIR}/f.csv --execute", 2, "has no offsets for group").setup(Setup::File("other,{T},0,1\n")).then(UNMOVED),
];

// The rows of issue 20, one table per class, each in a file of its own (placeholders and
// setups as above). A class's table is named in `TABLES` with the class's title.
include!("hostile/delivery.rs");
include!("hostile/names.rs");
include!("hostile/deadlines.rs");
include!("hostile/retries.rs");
include!("hostile/limits.rs");
include!("hostile/config.rs");
include!("hostile/stderr.rs");
include!("hostile/file_sink.rs");
include!("hostile/formats.rs");
include!("hostile/compat.rs");

/// Every table: its class and its rows.
const TABLES: &[(&str, &[Row])] = &[
    ("before issue 20", ROWS),
    ("1 nothing committed that was not delivered", DELIVERY_ROWS),
    ("2 names exact through files and tables", NAME_ROWS),
    ("3 one deadline per command", DEADLINE_ROWS),
    ("4 retriable errors retried", RETRY_ROWS),
    ("5 unreachable limits refused or clamped", LIMIT_ROWS),
    ("6 configuration unambiguous", CONFIG_ROWS),
    ("7 errors told, not panicked", STDERR_ROWS),
    ("8 sinks check before joining", FILE_SINK_ROWS),
    ("9 data fidelity of formats", FORMAT_ROWS),
    ("10 compatibility", COMPAT_ROWS),
];

/// The broker of the `Setup::Frozen` rows, started by the first of them; stopped at the end.
static FROZEN_BROKER: Mutex<Option<OwnBroker>> = Mutex::new(None);

/// `Setup::Frozen(n)`: the frozen rows' broker, held for this row, and `n` groups `{group}-<i>`
/// on it committed at offset 1 on `fz`.
fn frozen_broker(
    group: &str,
    n: usize,
) -> (
    std::sync::MutexGuard<'static, Option<OwnBroker>>,
    Vec<String>,
) {
    let mut held = FROZEN_BROKER.lock().unwrap_or_else(|p| p.into_inner());
    if held.is_none() {
        let b = OwnBroker::start(&[]);
        let bs = b.bootstrap.clone();
        b.sh(&[
            "tool",
            "topics",
            "--bootstrap-server",
            &bs,
            "--create",
            "--topic",
            "fz",
            "--partitions",
            "2",
        ]);
        b.sh(&[
            "tool",
            "producer-perf-test",
            "--topic",
            "fz",
            "--num-records",
            "100",
            "--record-size",
            "10",
            "--throughput",
            "-1",
            "--producer-props",
            &format!("bootstrap.servers={bs}"),
            "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner",
        ]);
        *held = Some(b);
    }
    let names: Vec<String> = (0..n).map(|i| format!("{group}-{i}")).collect();
    if n > 0 {
        let dir = tempfile::tempdir().unwrap();
        let text: String = names
            .iter()
            .flat_map(|g| (0..2).map(move |p| format!("{g},fz,{p},1\n")))
            .collect();
        let f = write_file(dir.path(), "before.csv", &text);
        let bs = held.as_ref().unwrap().bootstrap.clone();
        kbp()
            .args(["-b", &bs, "offsets", "restore"])
            .arg(&f.display().to_string())
            .args([
                "--execute",
                "--restore-dir",
                &dir.path().display().to_string(),
            ])
            .expect(0);
    }
    (held, names)
}

/// The JVM of `broker`, from `kafka.sh status` (`… pid=N …`).
fn jvm_of(broker: &OwnBroker) -> i32 {
    let status = broker.sh(&["status"]);
    status
        .split_whitespace()
        .find_map(|w| w.strip_prefix("pid=")?.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {status:?}"))
}

/// SIGSTOPs `pid` once `dir` holds `files` restore files (at once for 0), unless `done`;
/// returns when it froze it.
fn freeze_when(
    pid: i32,
    dir: PathBuf,
    files: usize,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Option<Instant>> {
    std::thread::spawn(move || loop {
        let saved = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("offsets-"))
                    .count()
            })
            .unwrap_or(0);
        if saved >= files {
            // SAFETY: kill(2) on the JVM of the table's own broker.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
            return Some(Instant::now());
        }
        if done.load(Ordering::SeqCst) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    })
}

/// The rows of every table, in order, each with its class; `KBP_HOSTILE_ONLY=TEXT` keeps
/// the classes whose title holds TEXT (to work on one).
fn all_rows() -> Vec<(&'static str, &'static Row)> {
    let only = std::env::var("KBP_HOSTILE_ONLY").unwrap_or_default();
    TABLES
        .iter()
        .filter(|(class, _)| class.contains(only.as_str()))
        .flat_map(|(class, rows)| rows.iter().map(move |r| (*class, r)))
        .collect()
}

/// A listener that accepts connections and never answers: a cluster that hangs.
fn black_hole() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in l.incoming().flatten() {
            held.push(c);
        }
    });
    addr
}

/// `ms` in RFC 3339 at a +02:00 offset.
fn plus_two(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .display_with_offset(jiff::tz::Offset::constant(2))
        .to_string()
}

/// What `group` committed on `topic`'s 2 partitions.
fn committed(group: &str, topic: &str) -> Vec<(i32, i64)> {
    (0..)
        .zip(Probe::new(group, topic, 2).now())
        .filter_map(|(p, c)| Some((p, c?)))
        .collect()
}

/// Records in partition 0 of `topic`: its log end.
fn log_end(topic: &str) -> i64 {
    let reader: BaseConsumer = client_config()
        .set("group.id", "kbp-hostile-reader")
        .create()
        .unwrap();
    let (_, high) = reader
        .fetch_watermarks(topic, 0, Duration::from_secs(10))
        .unwrap();
    high
}

/// `{OUT}`: a topic of one partition, empty.
fn out_topic() -> String {
    let t = unique("hostile-out");
    create_topic(&t, 1);
    t
}

/// Fills `{OUT}` with a tombstone, an empty value and a value with a newline.
fn fill_out(topic: &str) {
    let p: BaseProducer = client_config().create().unwrap();
    let key = "k".to_string();
    let values: [Option<&str>; 3] = [None, Some(""), Some("a\nb")];
    for v in values {
        let mut rec: BaseRecord<'_, String, str> = BaseRecord::to(topic).partition(0).key(&key);
        if let Some(v) = v {
            rec = rec.payload(v);
        }
        p.send(rec).map_err(|(e, _)| e).unwrap();
    }
    p.flush(Duration::from_secs(10)).unwrap();
}

/// Fills `{OUT}` with one record of bytes that are not UTF-8 and repeated headers.
fn fill_odd(topic: &str) {
    use rdkafka::message::{Header, OwnedHeaders};
    let p: BaseProducer = client_config().create().unwrap();
    let headers = OwnedHeaders::new()
        .insert(Header {
            key: "h",
            value: Some("1"),
        })
        .insert(Header {
            key: "h",
            value: Some("2"),
        })
        .insert(Header::<&[u8]> {
            key: "x",
            value: None,
        })
        .insert(Header {
            key: "b",
            value: Some(&b"\xff"[..]),
        });
    let key: &[u8] = b"k\xfe";
    let value: &[u8] = b"ok\xffbad";
    p.send(
        BaseRecord::to(topic)
            .partition(0)
            .key(key)
            .payload(value)
            .headers(headers),
    )
    .map_err(|(e, _)| e)
    .unwrap();
    p.flush(Duration::from_secs(10)).unwrap();
}

/// Another kbp drain (slow) in `group`, returned once the group lists it as a member;
/// killed when dropped.
fn drain_member(dir: &Path, group: &str, topic: &str) -> Proc {
    let mut cmd = Command::new(binary());
    isolate(&mut cmd);
    cmd.args(["-b", bootstrap(), "drain", "-g", group, "-t", topic])
        .args(["--until", "end", "--sink", "exec:sleep 0.3", "-q"])
        .stdin(Stdio::null());
    let member = Proc::start(dir, "member", cmd);
    wait_for_group(group, Duration::from_secs(30), |g| g["members"] == 1);
    member
}

struct Outcome {
    /// `None` when it was ended by a signal, or killed at its bound (`killed`).
    code: Option<i32>,
    killed: bool,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn binary() -> PathBuf {
    std::env::var_os("KBP_HOSTILE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kbp")))
}

/// Runs `cmd` until it exits or `limit` passes (then kills it); `signal` is sent first.
/// Its output goes to pipes, not to a [`Proc`]'s files: kbp's stdout behaves as on the
/// operator's pipe.
fn bounded(mut cmd: Command, limit: Duration, signal: Option<(i32, u64)>) -> Outcome {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut signalled = signal.is_none();
    let mut killed = false;
    let mut signal_at = None;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if let Some((sig, after)) = signal {
            if !signalled && start.elapsed() >= Duration::from_millis(after) {
                // SAFETY: kill(2) on our own child, not yet reaped.
                unsafe { libc::kill(child.id() as i32, sig) };
                signalled = true;
                signal_at = Some(Instant::now());
            }
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            killed = true;
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = signal_at.map_or_else(|| start.elapsed(), |t| t.elapsed());
    Outcome {
        code: status.and_then(|s| s.code()),
        killed,
        stdout: String::from_utf8_lossy(&reader.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned(),
        elapsed,
    }
}

struct World {
    topic: String,
    t0: i64,
    hole: String,
    sasl: String,
}

fn fill(text: &str, w: &World, vars: &HashMap<&str, String>) -> String {
    let mut s = text.to_string();
    let later = now_ms() + 3_600_000;
    for (k, v) in [
        ("{B}", bootstrap().to_string()),
        ("{T}", w.topic.clone()),
        ("{HOLE}", w.hole.clone()),
        ("{SASL}", w.sasl.clone()),
        ("{FROM5}", plus_two(w.t0 + 5_000)),
        (
            "{LATERZ}",
            jiff::Timestamp::from_millisecond(later)
                .unwrap()
                .to_string()
                .replace('Z', "z"),
        ),
        ("{LATERMS}", later.to_string()),
        ("{LATER}", plus_two(later)),
    ] {
        s = s.replace(k, &v);
    }
    for (k, v) in vars {
        s = s.replace(k, v);
    }
    s
}

/// A row's failures (none when it holds), how it ended and how long it took.
type Verdict = (Vec<String>, String, Duration);

/// Runs one row.
fn check(r: &Row, w: &World) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    let group = unique("hostile");
    let mut vars: HashMap<&str, String> = HashMap::new();
    vars.insert("{DIR}", dir.path().display().to_string());
    vars.insert("{G0}", group.clone());
    let needs_out = r.args.contains("{OUT}");
    let out = needs_out.then(out_topic);
    if let Some(o) = &out {
        if let Setup::Tombstones = r.setup {
            fill_out(o);
        }
        if let Setup::OddBytes = r.setup {
            fill_odd(o);
        }
        vars.insert("{OUT}", o.clone());
    }
    let mut _live = None;
    let mut _drain = None;
    let group = match r.setup {
        Setup::EscapeGroup => {
            let g = format!("{group}\u{1b}[2J");
            commit(&g, &[(&w.topic, 0, 3)]);
            g
        }
        Setup::DrainMember => {
            _drain = Some(drain_member(dir.path(), &group, &w.topic));
            group
        }
        Setup::LiveMember => {
            _live = Some(consumer(
                &group,
                &w.topic,
                Behaviour {
                    per_sec: Some(1),
                    commits: false,
                },
            ));
            group
        }
        Setup::Named(pattern) | Setup::NamedFile(pattern, _) => pattern.replace("{G}", &group),
        _ => group,
    };
    if let Setup::Pipe(_) = r.setup {
        commit(&group, &[(&w.topic, 0, 2)]);
    }
    let commits = match r.setup {
        Setup::Commits(c) => c,
        Setup::File(_) | Setup::Named(_) | Setup::NamedFile(..) | Setup::NoRoom => COMMITS,
        _ => &[],
    };
    if !commits.is_empty() {
        let c: Vec<(&str, i32, i64)> = commits
            .iter()
            .map(|(p, o)| (w.topic.as_str(), *p, *o))
            .collect();
        commit(&group, &c);
    }
    vars.insert("{G}", group.clone());
    vars.insert("{GQ}", format!("\"{}\"", group.replace('"', "\"\"")));
    let mut _frozen = None;
    let mut freezer = None;
    let frozen_done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Setup::Frozen(n) = r.setup {
        let (held, names) = frozen_broker(&group, n);
        let broker = held.as_ref().unwrap();
        vars.insert("{OWN}", broker.bootstrap.clone());
        vars.insert("{GS}", names.join(" "));
        let pid = jvm_of(broker);
        _frozen = Some((held, pid));
        freezer = Some(freeze_when(
            pid,
            dir.path().to_path_buf(),
            n,
            frozen_done.clone(),
        ));
        if n == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    if let Setup::File(text) | Setup::NamedFile(_, text) = r.setup {
        write_file(dir.path(), "f.csv", &fill(text, w, &vars));
    }
    if let Setup::Config(text) | Setup::ConfigEnv(text, _) = r.setup {
        let f = write_file(dir.path(), "c.yaml", &fill(text, w, &vars));
        vars.insert("{CFG}", f.display().to_string());
    }
    // Split before filling in: a group's name may hold spaces and `~`.
    let args: Vec<String> = r
        .args
        .split(' ')
        .flat_map(|a| match a {
            "''" => vec![String::new()],
            // Several groups, several arguments.
            "{GS}" => vars["{GS}"].split(' ').map(String::from).collect(),
            _ => vec![fill(&a.replace('~', " "), w, &vars)],
        })
        .collect();
    let bin = binary();
    let limit = Duration::from_millis(r.within_ms + 5_000);
    let mut cmd = match r.setup {
        Setup::Shell(script) => {
            let quoted: Vec<String> = std::iter::once(bin.display().to_string())
                .chain(args.iter().cloned())
                .map(|a| format!("'{a}'"))
                .collect();
            // exec: the row's process is kbp itself, killed at the bound with nothing left.
            let script =
                fill(script, w, &vars).replace("{CMD}", &format!("exec {}", quoted.join(" ")));
            let mut c = Command::new("bash");
            c.arg("-c").arg(script);
            c
        }
        Setup::Pipe(reader) => {
            let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
            let mut c = Command::new("bash");
            c.arg("-c").arg(format!(
                "'{}' {} | {reader}; echo \"exit=${{PIPESTATUS[0]}}\" >&2",
                bin.display(),
                quoted.join(" ")
            ));
            c
        }
        _ => {
            let mut c = Command::new(&bin);
            c.args(&args);
            c
        }
    };
    isolate(&mut cmd);
    if let Setup::Env(k, v) = r.setup {
        cmd.env(k, v);
    }
    if let Setup::NoRoom = r.setup {
        // SAFETY: between fork and exec only signal(2) and setrlimit(2), async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let none = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &none) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    if let Setup::ConfigEnv(_, vars) = r.setup {
        cmd.envs(vars.iter().copied());
    }
    let signal = match r.setup {
        Setup::Signal(sig, after) => Some((sig, after)),
        Setup::IgnoredSignal(sig, after) => {
            // SAFETY: between fork and exec only signal(2), which is async-signal-safe.
            unsafe {
                cmd.pre_exec(move || {
                    libc::signal(sig, libc::SIG_IGN);
                    Ok(())
                });
            }
            Some((sig, after))
        }
        _ => None,
    };
    let started = Instant::now();
    let mut never_frozen = false;
    let mut o = bounded(cmd, limit, signal);
    if let Some(freezer) = freezer {
        frozen_done.store(true, Ordering::SeqCst);
        let at = freezer.join().unwrap();
        if let Some((_, pid)) = &_frozen {
            // SAFETY: as in `freeze_when`.
            unsafe { libc::kill(*pid, libc::SIGCONT) };
        }
        match at {
            Some(at) => o.elapsed = (started + o.elapsed).saturating_duration_since(at),
            None => never_frozen = true,
        }
    }
    if let Setup::Pipe(_) = r.setup {
        o.code = o
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("exit=")?.parse().ok());
    }
    let ended = match (o.code, o.killed) {
        (Some(c), _) => c.to_string(),
        (None, true) => "hung, killed".into(),
        (None, false) => "killed by the signal".into(),
    };
    let mut bad = Vec::new();
    if never_frozen {
        bad.push("the row's cluster was never frozen: the command ended first".into());
    }
    if o.code != Some(r.code) {
        bad.push(format!("exit {ended}, want {}", r.code));
    }
    let says = fill(r.says, w, &vars);
    if !o.stderr.contains(&says) {
        bad.push(format!("stderr lacks {says:?}"));
    }
    let bound = Duration::from_millis(r.within_ms);
    if o.elapsed > bound {
        bad.push(format!("took {:?}, bound {bound:?}", o.elapsed));
    }
    for dump in ["panicked", "RUST_BACKTRACE", "Error {", "Kafka {"] {
        if o.stderr.contains(dump) {
            bad.push(format!("stderr has a Rust dump ({dump})"));
        }
    }
    // A usage error is one line of kbp's (clap's own message is its own format).
    if o.code.is_some_and(|c| (2..100).contains(&c)) && o.stderr.starts_with("kbp: ") {
        let errors = o
            .stderr
            .lines()
            .filter(|l| {
                l.starts_with("kbp: ")
                    && !l.starts_with("kbp: warning")
                    && !l.starts_with("kbp: note")
            })
            .count();
        if errors != 1 {
            bad.push(format!("{errors} error lines"));
        }
    }
    for n in r.never {
        match n {
            Never::Commit => {
                let c = committed(&group, &w.topic);
                if !c.is_empty() {
                    bad.push(format!("committed {c:?}"));
                }
            }
            Never::CommitPastStart => {
                let c = committed(&group, &w.topic);
                if c.iter().any(|(_, o)| *o > 0) {
                    bad.push(format!("committed {c:?}"));
                }
            }
            Never::File(f) => {
                if dir.path().join(f).exists() {
                    bad.push(format!("{f} was created: a sink ran"));
                }
            }
            Never::Produce => {
                let n = log_end(out.as_deref().unwrap());
                if n > 0 {
                    bad.push(format!("{n} record(s) produced"));
                }
            }
            Never::Shows(s) => {
                if o.stdout.contains(s) || o.stderr.contains(s) {
                    bad.push(format!("printed {s:?}"));
                }
            }
            Never::CommitTo(name) => {
                let other = fill(name, w, &vars);
                let c = committed(&other, &w.topic);
                if !c.is_empty() {
                    bad.push(format!("committed {c:?} to group {other:?}"));
                }
            }
            Never::FilesIn(sub) => {
                let d = dir.path().join(fill(sub, w, &vars));
                let left: Vec<String> = std::fs::read_dir(&d)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect();
                if !left.is_empty() {
                    bad.push(format!("{} holds {left:?}", d.display()));
                }
            }
            Never::CommitPast(at) => {
                let c = committed(&group, &w.topic);
                if c.iter().any(|(_, o)| o > at) {
                    bad.push(format!("committed {c:?}, past {at}"));
                }
            }
            Never::Torn(f) => {
                let text = std::fs::read(dir.path().join(f)).unwrap_or_default();
                if text.last().is_some_and(|b| *b != b'\n') {
                    bad.push(format!(
                        "{f} ends mid-line: {:?}",
                        String::from_utf8_lossy(&text)
                    ));
                }
            }
            Never::RawEscape => {
                if o.stdout.contains('\u{1b}') || o.stderr.contains('\u{1b}') {
                    bad.push("a raw ESC reached the terminal".into());
                }
            }
        }
    }
    for t in r.then {
        match t {
            Then::Committed(want) => {
                let mut got = committed(&group, &w.topic);
                got.sort();
                if got != *want {
                    bad.push(format!("committed {got:?}, want {want:?}"));
                }
            }
            Then::Stdout(s) => {
                let s = &fill(s, w, &vars);
                if !o.stdout.contains(s) {
                    bad.push(format!("stdout lacks {s:?}"));
                }
            }
            Then::Stderr(s) => {
                let s = &fill(s, w, &vars);
                if !o.stderr.contains(s) {
                    bad.push(format!("stderr lacks {s:?}"));
                }
            }
        }
    }
    if !bad.is_empty() {
        bad.push(format!(
            "args {args:?}\nstdout: {}\nstderr: {}",
            o.stdout.trim(),
            o.stderr.trim()
        ));
    }
    (bad, ended, o.elapsed)
}

#[test]
fn hostile_inputs_hold() {
    let rows = all_rows();
    if std::env::var_os("KBP_HOSTILE_ONLY").is_none() {
        assert!(rows.len() >= 60, "the suite has {} rows", rows.len());
    }
    let t0 = now_ms() - 600_000;
    let topic = topic_stamped("hostile", 2, 10, t0, 1_000);
    let world = World {
        topic,
        t0,
        hole: black_hole(),
        sasl: sasl_bootstrap(),
    };
    // A fresh broker's first SCRAM exchange is slow (its JIT, not kbp): take it here, so
    // the password row measures kbp.
    let _ = kbp()
        .args(["-b", &world.sasl, "--timeout", "20s"])
        .args([
            "-X",
            "security.protocol=SASL_PLAINTEXT",
            "-X",
            "sasl.mechanism=SCRAM-SHA-512",
        ])
        .args([
            "-X",
            "sasl.username=kbp",
            "-X",
            "sasl.password=warm-up",
            "lag",
        ])
        .run();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Verdict)>> = Mutex::new(vec![]);
    std::thread::scope(|s| {
        // Four at a time: enough to finish in seconds, few enough to leave the machine
        // (2 cores) to the other tests running beside this one.
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((_, r)) = rows.get(i) else { return };
                let verdict = check(r, &world);
                results.lock().unwrap().push((i, verdict));
            });
        }
    });
    drop(
        FROZEN_BROKER
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take(),
    );
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);
    let mut table = String::new();
    let mut failures = Vec::new();
    for (i, (bad, ended, took)) in &results {
        let (class, r) = rows[*i];
        let verdict = if bad.is_empty() { "holds" } else { "FAILS" };
        table.push_str(&format!(
            "| {} | {class} | {} | {} | {:.1} s | {verdict} |\n",
            i + 1,
            r.class,
            ended,
            took.as_secs_f64()
        ));
        if !bad.is_empty() {
            failures.push(format!(
                "row {} ({}):\n  {}",
                i + 1,
                r.class,
                bad.join("\n  ")
            ));
        }
    }
    eprintln!(
        "| # | class | input | exit | time | verdict |\n| --- | --- | --- | --- | --- | --- |\n{table}"
    );
    let mut by_class = String::new();
    for (class, _) in TABLES {
        let of = |ok: bool| {
            results
                .iter()
                .filter(|(i, (bad, _, _))| rows[*i].0 == *class && bad.is_empty() == ok)
                .count()
        };
        by_class.push_str(&format!(
            "| {class} | {} | {} |\n",
            of(true) + of(false),
            of(true)
        ));
    }
    eprintln!("| class | rows | hold |\n| --- | --- | --- |\n{by_class}");
    let _ = std::io::stderr().flush();
    assert!(
        failures.is_empty(),
        "{} of {} rows fail:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
