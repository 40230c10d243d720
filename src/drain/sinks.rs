//! Where drained records go. A sink knows nothing of Kafka: it gets a record and says
//! whether it is processed. Only then may its offset be committed.
//!
//! "Processed" is as strong as each destination allows: stdout counts a record once the
//! reader has taken it out of the pipe (so `| head -n 5` commits exactly five); a file
//! is fsynced before the commit that covers it; exec needs exit status 0. A destination
//! that cannot be written at all (a full disk, a closed stdout) is no record's fault: it
//! fails the sink, and nothing more is committed.

use std::cell::Cell;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use serde::Serialize;

use crate::flags::{SINK, VALUE_FORMAT};
use crate::kafka::consumer::Record;

#[derive(Debug)]
pub enum SinkError {
    /// The destination is gone for good (the pipe's reader exited): stop draining.
    Closed,
    /// This record failed; it may be retried.
    Failed(String),
    /// The command processing it was ended by SIGINT or SIGTERM. When the operator's Ctrl-C
    /// did that (it reaches a command spawned at that instant, before it has its own
    /// process group), the record was not processed; otherwise it is a failure.
    Interrupted(String),
    /// The sink cannot be trusted any more (a pipe child answered something that is not an
    /// acknowledgement): the record failed and the drain stops, whatever `--on-failure`
    /// says, since retrying or skipping would act on answers that mean nothing.
    Fatal(String),
    /// Not processed because the sink broke on an earlier record of the batch: neither
    /// failed nor processed, not committed.
    Abandoned,
    /// The destination itself cannot be written (a full disk, a stdout that fails): no
    /// record's fault, so neither retried, skipped nor dead-lettered. The drain stops as a
    /// sink failure (exit 6) and commits nothing more.
    Broken(String),
}

/// Which worker writes a batch, and which ordered lane it belongs to: a sink with one
/// destination per worker (the pipe's children) keeps a lane on one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Route {
    pub worker: usize,
    /// A stable number for the batch's partition or key; `None` for unordered records.
    pub lane: Option<u64>,
}

/// The answers of a batch a pipelined sink has sent (see [`Sink::send`]).
pub trait Answers: Send {
    /// Waits for them: one result per record, in the batch's order.
    fn wait(self: Box<Self>, results: &mut Vec<Result<(), SinkError>>);
}

/// How many records a worker takes from the queue at once for a sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batching {
    /// About a millisecond of work by the worker's recent pace, and at most this many:
    /// records a worker holds are out of reach of a revoke or a Ctrl-C, so a slow sink
    /// takes one at a time.
    Paced(usize),
    /// Up to this many whatever the pace: the sink's cost is a round trip per batch
    /// (a topic's acknowledgements), not work per record.
    Latency(usize),
    /// A round trip to a process per batch, and work per record: about a millisecond of
    /// work and at most this many, but not an even share of the queue (a fast process
    /// wants few, full trips).
    Trips(usize),
}

/// The most records a worker takes at once for most sinks.
pub const DEFAULT_BATCH: usize = 64;

pub trait Sink: Send + Sync {
    fn write(&self, record: &Record) -> Result<(), SinkError>;
    /// Writes `records`, in order, and pushes one result per record handled onto
    /// `results` (at least one). A sink may stop after the first error (the records after
    /// it are passed again); a pipelined sink reports every record it sent, errors
    /// anywhere. The default writes them one by one.
    fn write_batch(
        &self,
        route: Route,
        records: &[&Record],
        results: &mut Vec<Result<(), SinkError>>,
    ) {
        let _ = route;
        one_by_one(|r| self.write(r), records, results)
    }
    /// A pipelined sink sends the batch and returns what waits for its answers, so the
    /// worker can let the lane's next batch go out meanwhile (records are still sent in
    /// lane order). `None` (the default): the worker calls `write_batch`.
    fn send(&self, route: Route, records: &[&Record]) -> Option<Box<dyn Answers>> {
        let _ = (route, records);
        None
    }
    /// How a worker sizes its batches for this sink.
    fn batching(&self) -> Batching {
        Batching::Paced(DEFAULT_BATCH)
    }
    /// Called before every commit: make everything written so far durable.
    fn sync(&self) -> io::Result<()> {
        Ok(())
    }
    /// Records written with bytes replaced (invalid UTF-8 shown as U+FFFD), for the summary.
    fn replaced(&self) -> u64 {
        0
    }
}

/// Counts the records a sink wrote with bytes replaced, and says so on stderr once: the
/// default `--value-format utf8` cannot show bytes that are not UTF-8, and must not hide
/// that it did not.
#[derive(Default)]
pub struct Replaced(AtomicU64);

impl Replaced {
    /// Notes that `record` was written lossily.
    pub fn note(&self, record: &Record) {
        if self.0.fetch_add(1, Ordering::Relaxed) == 0 {
            crate::sys::diag!(
                "kbp: warning: {}/{}@{} is not valid UTF-8: its invalid bytes are written as U+FFFD ({VALUE_FORMAT} base64 keeps every byte); the summary counts such records as replaced",
                record.topic,
                record.partition,
                record.offset
            );
        }
    }

    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// `write` for each record in turn, up to the first error.
fn one_by_one(
    mut write: impl FnMut(&Record) -> Result<(), SinkError>,
    records: &[&Record],
    results: &mut Vec<Result<(), SinkError>>,
) {
    for r in records {
        let res = write(r);
        let failed = res.is_err();
        results.push(res);
        if failed {
            return;
        }
    }
}

/// The results of a batch written in one go: all done, or the first record failed (the
/// others are passed again).
fn all_or_first(
    n: usize,
    written: Result<(), SinkError>,
    results: &mut Vec<Result<(), SinkError>>,
) {
    match written {
        Ok(()) => results.extend((0..n).map(|_| Ok(()))),
        Err(e) => results.push(Err(e)),
    }
}

/// How record values (and keys) are rendered in JSON lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ValueFormat {
    /// UTF-8 text; invalid bytes become U+FFFD, warned about and counted in the summary
    Utf8,
    /// Base64 of the bytes
    Base64,
    /// Embedded JSON when the value parses as JSON, else a string (as utf8)
    Json,
    /// Array of byte values
    Raw,
}

/// The line format of stdout and file sinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LineFormat {
    /// One JSON object per record
    Json,
    /// The raw value bytes, one record per line. Cannot be read back exactly: a tombstone
    /// and an empty value are both an empty line, and a value with a newline splits
    Raw,
    /// Each value as its byte length (-1 for a tombstone) on a line, then the bytes and a
    /// newline: exact for any value
    LengthPrefixed,
}

/// A JSON line's fields, serialized straight from the record (no intermediate values).
#[derive(Serialize)]
struct JsonRecord<'a> {
    topic: &'a str,
    partition: i32,
    offset: i64,
    timestamp: Option<i64>,
    key: Rendered<'a>,
    value: Rendered<'a>,
    headers: Headers<'a>,
}

/// A key, value or header value in a `ValueFormat`; sets `lossy` when bytes had to be
/// replaced.
struct Rendered<'a>(Option<&'a [u8]>, ValueFormat, &'a Cell<bool>);

impl Rendered<'_> {
    fn text<S: serde::Serializer>(&self, b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        // Valid UTF-8 is the common case, and checking it whole is faster than lossily.
        match std::str::from_utf8(b) {
            Ok(text) => s.serialize_str(text),
            Err(_) => {
                self.2.set(true);
                s.serialize_str(&String::from_utf8_lossy(b))
            }
        }
    }
}

impl Serialize for Rendered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some(b) = self.0 else {
            return s.serialize_none();
        };
        match self.1 {
            ValueFormat::Utf8 => self.text(b, s),
            ValueFormat::Base64 => {
                s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b))
            }
            ValueFormat::Json => match serde_json::from_slice::<serde_json::Value>(b) {
                Ok(v) => v.serialize(s),
                Err(_) => self.text(b, s),
            },
            ValueFormat::Raw => s.collect_seq(b),
        }
    }
}

/// Kafka headers are a list in which a name may repeat: each is kept, in order, as
/// `{"key": …, "value": …}`.
struct Headers<'a>(&'a [(String, Option<Vec<u8>>)], ValueFormat, &'a Cell<bool>);

#[derive(Serialize)]
struct Header<'a> {
    key: &'a str,
    value: Rendered<'a>,
}

impl Serialize for Headers<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(k, v)| Header {
            key: k,
            value: Rendered(v.as_deref(), self.1, self.2),
        }))
    }
}

/// One record as one line (with its newline).
pub fn line(record: &Record, lines: LineFormat, values: ValueFormat) -> Vec<u8> {
    let mut out = Vec::new();
    line_into(&mut out, record, lines, values);
    out
}

/// Appends one record as one line (with its newline) to `out`; true when bytes of it had
/// to be replaced (invalid UTF-8 as text).
pub fn line_into(
    out: &mut Vec<u8>,
    record: &Record,
    lines: LineFormat,
    values: ValueFormat,
) -> bool {
    let lossy = Cell::new(false);
    match lines {
        LineFormat::Raw => out.extend_from_slice(record.value.as_deref().unwrap_or_default()),
        LineFormat::LengthPrefixed => match &record.value {
            None => out.extend_from_slice(b"-1"),
            Some(v) => {
                let _ = writeln!(out, "{}", v.len());
                out.extend_from_slice(v);
            }
        },
        LineFormat::Json => {
            let j = JsonRecord {
                topic: &record.topic,
                partition: record.partition,
                offset: record.offset,
                timestamp: record.timestamp,
                key: Rendered(record.key.as_deref(), values, &lossy),
                value: Rendered(record.value.as_deref(), values, &lossy),
                headers: Headers(&record.headers, values, &lossy),
            };
            // Writing to a Vec cannot fail, and every field serializes.
            let _ = serde_json::to_writer(&mut *out, &j);
        }
    }
    out.push(b'\n');
    lossy.get()
}

/// The lines of `records`, in a buffer of the calling thread's that is reused batch after
/// batch (no allocation per record or per batch once it has grown); records written
/// lossily are noted in `replaced`.
fn with_lines<R>(
    records: &[&Record],
    lines: LineFormat,
    values: ValueFormat,
    replaced: &Replaced,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        for r in records {
            if line_into(&mut buf, r, lines, values) {
                replaced.note(r);
            }
        }
        let out = f(&buf);
        // A batch of huge records must not keep its memory for good.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        out
    })
}

/// Discards records: for skipping a poisoned backlog at a controlled rate.
pub struct NullSink;

impl Sink for NullSink {
    fn write(&self, _: &Record) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Standard output. On a pipe a record counts only once the reader has read it.
pub struct StdoutSink {
    /// fd 1, written directly: every byte is accounted for (std's line buffer would keep
    /// part of a record after a failed or would-block write).
    out: Mutex<File>,
    lines: LineFormat,
    values: ValueFormat,
    pipe: bool,
    replaced: Replaced,
}

impl StdoutSink {
    /// Refuses a stdout that was closed when kbp started: std put /dev/null there, and a
    /// record written to it would be committed as delivered.
    pub fn new(lines: LineFormat, values: ValueFormat) -> io::Result<Self> {
        if crate::sys::stdout_closed() {
            return Err(io::Error::other(
                "stdout is closed: nothing written there reaches anyone",
            ));
        }
        let out = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        let pipe = out.metadata().is_ok_and(|m| m.file_type().is_fifo());
        Ok(StdoutSink {
            out: Mutex::new(out),
            lines,
            values,
            pipe,
            replaced: Replaced::default(),
        })
    }
}

/// Writes all of `bytes` to `out`, waiting while it would block (a stdout a parent left
/// non-blocking): a reader that left is `Closed`, any other failure breaks the sink.
fn put(bytes: &[u8], out: &mut File, what: &str) -> Result<(), SinkError> {
    let mut at = 0;
    while at < bytes.len() {
        match out.write(&bytes[at..]) {
            Ok(0) => return Err(SinkError::Broken(format!("{what}: wrote nothing"))),
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                crate::sys::wait_writable(out.as_fd(), Duration::from_millis(100));
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Err(SinkError::Closed),
            Err(e) => return Err(SinkError::Broken(format!("{what}: {e}"))),
        }
    }
    Ok(())
}

impl Sink for StdoutSink {
    fn write(&self, record: &Record) -> Result<(), SinkError> {
        let mut results = Vec::with_capacity(1);
        self.write_batch(Route::default(), &[record], &mut results);
        results.pop().unwrap_or(Ok(()))
    }

    /// On a pipe, one record at a time (a reader such as `head -n 5` reads many lines at
    /// once and then leaves: only a record alone in the pipe is known to be taken).
    /// Anywhere else (a file, /dev/null, a terminal), the batch in one write.
    fn write_batch(&self, _: Route, records: &[&Record], results: &mut Vec<Result<(), SinkError>>) {
        let one = |records: &[&Record]| {
            with_lines(records, self.lines, self.values, &self.replaced, |bytes| {
                // Held while waiting for the reader: one record in the pipe at a time.
                let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
                put(bytes, &mut out, "writing to stdout")?;
                if self.pipe {
                    wait_for_reader(out.as_fd())?;
                }
                Ok(())
            })
        };
        if self.pipe {
            return one_by_one(|r| one(&[r]), records, results);
        }
        all_or_first(records.len(), one(records), results);
    }

    fn replaced(&self) -> u64 {
        self.replaced.count()
    }
}

/// Waits until the pipe is empty (the reader took everything) or the reader is gone.
fn wait_for_reader(fd: BorrowedFd<'_>) -> Result<(), SinkError> {
    let mut nap = Duration::from_micros(20);
    loop {
        // On a pipe FIONREAD counts unread bytes from either end.
        let Some(pending) = crate::sys::unread_bytes(fd) else {
            return Ok(()); // not measurable: written and flushed is the best we know
        };
        if pending == 0 {
            return Ok(());
        }
        if crate::sys::peer_gone(fd) {
            return Err(SinkError::Closed);
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(2));
    }
}

/// Appends lines to a file, fsynced before each commit.
///
/// kbp holds an exclusive `flock` on the file while it drains (one drain per file), so a
/// failed write can be undone: the file is cut back to where it ended at the last sync,
/// and no torn record stays behind the last commit. Should that cut fail too, the next
/// run starts on a new line, so a torn line never swallows a record.
///
/// A character device (`/dev/null`, a terminal) is written without fsync, said once on
/// stderr. A FIFO or a socket is refused before the group is joined: whether its reader
/// took a record cannot be known there (`--sink stdout` with a redirection can).
pub struct FileSink {
    file: Mutex<Appender>,
    lines: LineFormat,
    values: ValueFormat,
    replaced: Replaced,
}

struct Appender {
    file: File,
    /// Lines not written yet (up to [`FILE_BUFFER`]).
    pending: Vec<u8>,
    /// The file's length at the last sync (or when opened).
    synced: u64,
    /// fsync before a commit: false on a character device, which cannot.
    durable: bool,
    /// The first failure: the sink takes nothing after it.
    broken: Option<String>,
}

/// Lines gathered before they are written (small batches from a slow drain).
const FILE_BUFFER: usize = 1 << 16;

impl FileSink {
    pub fn open(
        path: &std::path::Path,
        lines: LineFormat,
        values: ValueFormat,
    ) -> io::Result<Self> {
        // Before opening: a FIFO's open could wait for a reader.
        if let Ok(m) = std::fs::metadata(path) {
            refuse_unsyncable(m.file_type())?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let meta = file.metadata()?;
        refuse_unsyncable(meta.file_type())?;
        if crate::sys::stdout_closed() && crate::sys::same_file(file.as_fd(), io::stdout().as_fd())
        {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "is kbp's stdout, which is closed: nothing written there reaches anyone",
            ));
        }
        let durable = meta.file_type().is_file();
        if !durable {
            crate::sys::diag!(
                "kbp: warning: {SINK} file:{} is not a regular file: records are written to it but cannot be fsynced before their commit",
                path.display()
            );
        }
        let mut synced = 0;
        if durable {
            if !crate::sys::lock_exclusive(file.as_fd())? {
                return Err(io::Error::other(
                    "another process holds it (another kbp drain?): one drain writes a file",
                ));
            }
            // A crash can leave half a line (never committed, so it comes again): start on
            // a new line so the torn one cannot swallow the next record.
            let len = meta.len();
            if len > 0 {
                use std::io::{Read, Seek, SeekFrom};
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    file.write_all(b"\n")?;
                }
            }
            synced = file.metadata()?.len();
        }
        Ok(FileSink {
            file: Mutex::new(Appender {
                file,
                pending: Vec::with_capacity(FILE_BUFFER),
                synced,
                durable,
                broken: None,
            }),
            lines,
            values,
            replaced: Replaced::default(),
        })
    }
}

/// A FIFO or a socket cannot say whether a record was taken, nor be fsynced.
fn refuse_unsyncable(t: std::fs::FileType) -> io::Result<()> {
    let what = if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        return Ok(());
    };
    Err(io::Error::other(format!(
        "is {what}: a file sink cannot know its reader took a record; use {SINK} stdout with a redirection (kbp drain … > FIFO), which can"
    )))
}

impl Appender {
    /// Writes what is pending; on failure cuts the file back to its last sync.
    fn flush(&mut self) -> Result<(), SinkError> {
        if let Some(why) = &self.broken {
            return Err(SinkError::Broken(why.clone()));
        }
        let written = put(&self.pending, &mut self.file, "writing");
        self.pending.clear();
        written.map_err(|e| {
            let why = match e {
                SinkError::Broken(why) => why,
                SinkError::Closed => "writing: its reader is gone".into(),
                other => format!("{other:?}"),
            };
            self.fail(why)
        })
    }

    /// Marks the sink broken and cuts the file back to its length at the last sync.
    fn fail(&mut self, why: String) -> SinkError {
        self.pending.clear();
        let why = match self.durable.then(|| self.file.set_len(self.synced)) {
            Some(Err(e)) => format!("{why} (and cutting the file back to its last sync failed: {e}; the next run starts on a new line)"),
            _ => why,
        };
        self.broken = Some(why.clone());
        SinkError::Broken(why)
    }
}

impl Sink for FileSink {
    fn write(&self, record: &Record) -> Result<(), SinkError> {
        let mut results = Vec::with_capacity(1);
        self.write_batch(Route::default(), &[record], &mut results);
        results.pop().unwrap_or(Ok(()))
    }

    /// The batch's lines are made outside the lock and appended under it in one go.
    fn write_batch(&self, _: Route, records: &[&Record], results: &mut Vec<Result<(), SinkError>>) {
        let written = with_lines(records, self.lines, self.values, &self.replaced, |bytes| {
            let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(why) = &f.broken {
                return Err(SinkError::Broken(why.clone()));
            }
            f.pending.extend_from_slice(bytes);
            if f.pending.len() >= FILE_BUFFER {
                f.flush()?;
            }
            Ok(())
        });
        all_or_first(records.len(), written, results);
    }

    fn sync(&self) -> io::Result<()> {
        let mut f = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f.flush() {
            return Err(io::Error::other(broken_why(e)));
        }
        if !f.durable {
            return Ok(());
        }
        if let Err(e) = f.file.sync_data() {
            return Err(io::Error::other(broken_why(f.fail(format!("fsync: {e}")))));
        }
        f.synced = f.file.metadata()?.len();
        Ok(())
    }

    fn replaced(&self) -> u64 {
        self.replaced.count()
    }
}

fn broken_why(e: SinkError) -> String {
    match e {
        SinkError::Broken(why) | SinkError::Failed(why) => why,
        other => format!("{other:?}"),
    }
}

/// Runs a shell command per record: value on stdin, coordinates in the environment.
pub struct ExecSink {
    command: String,
}

impl ExecSink {
    pub fn new(command: String) -> Self {
        ExecSink { command }
    }
}

impl Sink for ExecSink {
    fn write(&self, record: &Record) -> Result<(), SinkError> {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&self.command)
            .env("KBP_TOPIC", &*record.topic)
            .env("KBP_PARTITION", record.partition.to_string())
            .env("KBP_OFFSET", record.offset.to_string())
            .env(
                "KBP_TIMESTAMP",
                record.timestamp.map(|t| t.to_string()).unwrap_or_default(),
            )
            // The key's bytes as they are: an environment value is bytes, not text.
            .env(
                "KBP_KEY",
                OsStr::from_bytes(record.key.as_deref().unwrap_or_default()),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            // Its own process group: a terminal's Ctrl-C goes to kbp, which finishes
            // in-flight records, and must not kill the commands processing them.
            .process_group(0);
        let mut child = cmd
            .spawn()
            // No process (a limit, no sh): no record's fault, so none may be skipped.
            .map_err(|e| SinkError::Broken(format!("cannot run sh -c: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A command that does not read its stdin is fine: ignore EPIPE here.
            let _ = stdin.write_all(record.value.as_deref().unwrap_or_default());
        }
        let status = child.wait().map_err(|e| SinkError::Failed(e.to_string()))?;
        match status.signal() {
            _ if status.success() => Ok(()),
            Some(libc::SIGINT | libc::SIGTERM) => {
                Err(SinkError::Interrupted(format!("command ended by {status}")))
            }
            _ => Err(SinkError::Failed(format!("command exited with {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec() -> Record {
        Record {
            topic: "t".into(),
            partition: 2,
            offset: 7,
            timestamp: Some(1000),
            key: Some(b"k".to_vec()),
            value: Some(br#"{"a":1}"#.to_vec()),
            headers: vec![
                ("h".into(), Some(b"v".to_vec())),
                ("n".into(), None),
                ("h".into(), Some(b"w".to_vec())),
            ],
        }
    }

    #[test]
    fn json_lines_in_each_value_format() {
        let l = |f| String::from_utf8(line(&rec(), LineFormat::Json, f)).unwrap();
        assert_eq!(
            l(ValueFormat::Utf8),
            "{\"topic\":\"t\",\"partition\":2,\"offset\":7,\"timestamp\":1000,\"key\":\"k\",\"value\":\"{\\\"a\\\":1}\",\"headers\":[{\"key\":\"h\",\"value\":\"v\"},{\"key\":\"n\",\"value\":null},{\"key\":\"h\",\"value\":\"w\"}]}\n"
        );
        assert!(l(ValueFormat::Json).contains("\"value\":{\"a\":1}"));
        assert!(l(ValueFormat::Base64).contains("\"key\":\"aw==\""));
        assert!(l(ValueFormat::Raw).contains("\"key\":[107]"));
        assert_eq!(
            line(&rec(), LineFormat::Raw, ValueFormat::Utf8),
            b"{\"a\":1}\n"
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_only_as_text_and_said() {
        let bad = Record {
            key: Some(vec![0xff, b'k']),
            ..rec()
        };
        let mut out = Vec::new();
        assert!(line_into(
            &mut out,
            &bad,
            LineFormat::Json,
            ValueFormat::Utf8
        ));
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("\"key\":\"\u{fffd}k\""));
        for (lines, values) in [
            (LineFormat::Json, ValueFormat::Base64),
            (LineFormat::Json, ValueFormat::Raw),
            (LineFormat::Raw, ValueFormat::Utf8),
            (LineFormat::LengthPrefixed, ValueFormat::Utf8),
        ] {
            assert!(
                !line_into(&mut Vec::new(), &bad, lines, values),
                "{lines:?} {values:?}"
            );
        }
        assert!(!line_into(
            &mut Vec::new(),
            &rec(),
            LineFormat::Json,
            ValueFormat::Utf8
        ));
    }

    #[test]
    fn a_failed_write_leaves_the_file_as_it_was_at_the_last_sync() {
        let dir = tempfile_dir("cut");
        let path = dir.join("out");
        let s = FileSink::open(&path, LineFormat::Json, ValueFormat::Utf8).unwrap();
        s.write(&rec()).unwrap();
        s.sync().unwrap();
        let synced = std::fs::read(&path).unwrap();
        // Half a record reaches the file, then the write fails (as on a full disk).
        {
            let mut f = s.file.lock().unwrap();
            f.file.write_all(b"{\"torn\":").unwrap();
            let e = f.fail("writing: No space left on device".into());
            assert!(matches!(e, SinkError::Broken(_)));
        }
        assert_eq!(std::fs::read(&path).unwrap(), synced);
        assert!(matches!(s.write(&rec()), Err(SinkError::Broken(_))));
        assert!(s.sync().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_drain_writes_a_file() {
        let dir = tempfile_dir("lock");
        let path = dir.join("out");
        let _first = FileSink::open(&path, LineFormat::Json, ValueFormat::Utf8).unwrap();
        let second = FileSink::open(&path, LineFormat::Json, ValueFormat::Utf8);
        assert!(second.is_err_and(|e| e.to_string().contains("one drain writes a file")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_fifo_is_refused_and_a_device_written_without_fsync() {
        let dir = tempfile_dir("fifo");
        let fifo = dir.join("fifo");
        let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let refused = FileSink::open(&fifo, LineFormat::Json, ValueFormat::Utf8);
        assert!(refused.is_err_and(|e| e.to_string().contains("is a FIFO")));
        let null = FileSink::open(
            std::path::Path::new("/dev/null"),
            LineFormat::Json,
            ValueFormat::Utf8,
        )
        .unwrap();
        null.write(&rec()).unwrap();
        null.sync().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_non_blocking_stdout_is_waited_for_not_failed() {
        // A reader that starts late: a non-blocking pipe (as a parent may leave stdout)
        // fills and says WouldBlock, which is not a failure of the record.
        let mut reader = Command::new("sh")
            .args(["-c", "sleep 0.3; wc -c"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = std::os::fd::OwnedFd::from(reader.stdin.take().unwrap());
        crate::sys::set_nonblocking(pipe.as_fd()).unwrap();
        let mut out = File::from(pipe);
        assert!(put(&vec![b'x'; 1 << 20], &mut out, "writing").is_ok());
        drop(out);
        let counted = reader.wait_with_output().unwrap().stdout;
        assert_eq!(
            String::from_utf8_lossy(&counted).trim(),
            (1 << 20).to_string()
        );
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kbp-sink-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn length_prefixed_values_read_back_exactly() {
        let with = |value: Option<&[u8]>| Record {
            value: value.map(<[u8]>::to_vec),
            ..rec()
        };
        let framed = |value| line(&with(value), LineFormat::LengthPrefixed, ValueFormat::Utf8);
        assert_eq!(framed(None), b"-1\n");
        assert_eq!(framed(Some(b"")), b"0\n\n");
        assert_eq!(framed(Some(b"a\nb")), b"3\na\nb\n");
        // Raw cannot tell these apart; that is why length-prefixed exists.
        let raw = |value| line(&with(value), LineFormat::Raw, ValueFormat::Utf8);
        assert_eq!(raw(None), raw(Some(b"")));
    }

    #[test]
    fn exec_sink_exit_status_decides() {
        assert!(
            ExecSink::new("cat >/dev/null; test \"$KBP_OFFSET\" = 7".into())
                .write(&rec())
                .is_ok()
        );
        assert!(matches!(
            ExecSink::new("exit 3".into()).write(&rec()),
            Err(SinkError::Failed(_))
        ));
        for signal in ["INT", "TERM"] {
            assert!(matches!(
                ExecSink::new(format!("kill -{signal} $$")).write(&rec()),
                Err(SinkError::Interrupted(_))
            ));
        }
        assert!(matches!(
            ExecSink::new("kill -KILL $$".into()).write(&rec()),
            Err(SinkError::Failed(_))
        ));
    }

    #[test]
    fn file_sink_starts_on_a_new_line_after_a_torn_write() {
        let path = std::env::temp_dir().join(format!("kbp-file-sink-torn-{}", std::process::id()));
        std::fs::write(&path, "{\"half\":").unwrap();
        let s = FileSink::open(&path, LineFormat::Json, ValueFormat::Utf8).unwrap();
        s.write(&rec()).unwrap();
        s.sync().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(text.lines().nth(1).unwrap()).is_ok(),
            "{text}"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn file_sink_appends_and_syncs() {
        let dir = std::env::temp_dir().join(format!("kbp-file-sink-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let s = FileSink::open(&dir, LineFormat::Json, ValueFormat::Utf8).unwrap();
        s.write(&rec()).unwrap();
        s.sync().unwrap();
        assert_eq!(std::fs::read_to_string(&dir).unwrap().lines().count(), 1);
        let _ = std::fs::remove_file(&dir);
    }
}
