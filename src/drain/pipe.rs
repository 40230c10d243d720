//! `--sink pipe:CMD`: long-lived co-processes that acknowledge each record.
//!
//! `exec:` starts a process per record, so a command is bounded by spawn cost and cannot
//! keep a connection (to a database, say) between records. Here kbp starts one child per
//! worker (`sh -c CMD`, in its own process group) and keeps it: records go to its stdin one
//! per line (the stdout sink's formats), and it answers each, in order, with one line on
//! its stdout: `ok`, or `fail REASON` (retried, then `--on-failure`). A record counts as
//! processed only once acknowledged, so commits stay exact.
//!
//! A partition's (or key's) records always go to the same child, so a child may keep
//! per-partition state; unordered records go to the worker's own child. A batch is written
//! as a whole before its acknowledgements are read (both pipes without blocking, so
//! neither side can fill a pipe and wait on the other), which makes a fast child cost a
//! few system calls per batch rather than two context switches per record. A child that
//! exits, or stays silent for `--ack-timeout` after it was sent a record, is killed and
//! started again; the records it had not acknowledged fail and are retried. Anything else
//! on its stdout is a broken protocol: the drain stops.
//!
//! An answer is bound to one record, and only to a record the child has taken out of its
//! stdin pipe (the pipe's unread byte count says how far it read; all of a line but its
//! final newline counts): a child cannot answer what it has not read. So an extra `ok`,
//! whenever it comes, is never taken for the next record's answer: it is a protocol error
//! ("more answers than records").

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::sinks::{
    line_into, Batching, LineFormat, Replaced, Route, Sink, SinkError, ValueFormat,
};
use crate::kafka::consumer::Record;

/// Process groups of the children alive now, for [`kill_children`].
static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<u32>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills every pipe child at once: for an exit that skips the sink's own clean-up (a
/// second Ctrl-C ends the process from the signal thread).
pub fn kill_children() {
    for pgid in live().iter() {
        crate::sys::signal_group(*pgid, libc::SIGKILL);
    }
}

/// Most records in one batch to a child.
const PIPE_BATCH: usize = 256;

/// How long a child gets to exit on its own after its stdin is closed at the end.
const EXIT_GRACE: Duration = Duration::from_secs(1);

pub struct PipeSink {
    command: String,
    lines: LineFormat,
    values: ValueFormat,
    ack_timeout: Duration,
    seats: Vec<Mutex<Seat>>,
    /// A child broke the protocol: the drain is stopping, nothing more is sent.
    broken: AtomicBool,
    replaced: Replaced,
}

/// One child's place: started again when it dies.
struct Seat {
    index: usize,
    child: Option<Running>,
}

struct Running {
    process: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    /// Bytes read from its stdout after the last whole line.
    partial: Vec<u8>,
    /// The lines of the batch being sent, and where each record's line ends: kept from
    /// batch to batch so that sending allocates nothing once they have grown.
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Running {
    fn pid(&self) -> u32 {
        self.process.id()
    }
}

/// What one line from a child means.
enum Answer {
    Ok,
    Fail(String),
    Garbage(String),
}

fn answer(line: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    match text.split_once(' ') {
        None if text == "ok" => Answer::Ok,
        None if text == "fail" => Answer::Fail("(no reason given)".into()),
        Some(("fail", why)) => Answer::Fail(why.trim().to_string()),
        _ => Answer::Garbage(text.chars().take(80).collect()),
    }
}

impl PipeSink {
    /// Starts `children` copies of `sh -c command` now, so a command that cannot start is
    /// an error before the drain joins its group.
    pub fn start(
        command: String,
        children: usize,
        lines: LineFormat,
        values: ValueFormat,
        ack_timeout: Duration,
    ) -> io::Result<Self> {
        let sink = PipeSink {
            command,
            lines,
            values,
            ack_timeout,
            seats: (0..children.max(1))
                .map(|index| Mutex::new(Seat { index, child: None }))
                .collect(),
            broken: AtomicBool::new(false),
            replaced: Replaced::default(),
        };
        for seat in &sink.seats {
            let mut seat = seat.lock().unwrap_or_else(|p| p.into_inner());
            seat.child = Some(sink.spawn(seat.index)?);
        }
        Ok(sink)
    }

    fn spawn(&self, index: usize) -> io::Result<Running> {
        let mut process = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .env("KBP_CHILD", index.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its own process group: a terminal's Ctrl-C goes to kbp, which lets the child
            // acknowledge what it holds before closing its stdin.
            .process_group(0)
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (process.stdin.take(), process.stdout.take()) else {
            let _ = process.kill();
            let _ = process.wait();
            return Err(io::Error::other("no pipes to the child"));
        };
        crate::sys::set_nonblocking(stdin.as_fd())?;
        crate::sys::set_nonblocking(stdout.as_fd())?;
        live().push(process.id());
        Ok(Running {
            process,
            stdin,
            stdout,
            partial: Vec::new(),
            out: Vec::new(),
            ends: Vec::new(),
        })
    }

    fn seat(&self, route: Route) -> &Mutex<Seat> {
        let n = self.seats.len();
        let i = match route.lane {
            Some(lane) => (lane % n as u64) as usize,
            None => route.worker % n,
        };
        &self.seats[i]
    }
}

/// Kills a child's process group and reaps it.
fn end(mut child: Running) -> Option<ExitStatus> {
    crate::sys::signal_group(child.pid(), libc::SIGKILL);
    let status = child.process.wait().ok();
    live().retain(|p| *p != child.pid());
    status
}

impl Seat {
    /// The running child, started again if it has exited since the last batch (its
    /// records were all acknowledged, so nothing is lost).
    fn running(&mut self, sink: &PipeSink) -> Result<&mut Running, SinkError> {
        let exited = match &mut self.child {
            Some(c) => !matches!(c.process.try_wait(), Ok(None)),
            None => true,
        };
        if exited {
            if let Some(old) = self.child.take() {
                end(old);
            }
            let started = sink.spawn(self.index).map_err(|e| {
                // No record's fault: not retried, skipped or dead-lettered.
                SinkError::Broken(format!("cannot start pipe child {}: {e}", self.index))
            })?;
            self.child = Some(started);
        }
        self.child
            .as_mut()
            .ok_or_else(|| SinkError::Failed("no pipe child".into()))
    }

    /// Kills the child (it is started again for the next batch) and says why, for the
    /// records it had not acknowledged.
    fn lose(&mut self, why: &str) -> String {
        let Some(child) = self.child.take() else {
            return why.to_string();
        };
        let pid = child.pid();
        match end(child) {
            Some(status) if why.is_empty() => format!(
                "pipe child {} (pid {pid}) exited ({status}) before acknowledging",
                self.index
            ),
            _ => format!("pipe child {} (pid {pid}) {why}", self.index),
        }
    }
}

impl Sink for PipeSink {
    fn write(&self, record: &Record) -> Result<(), SinkError> {
        let mut results = Vec::with_capacity(1);
        self.write_batch(Route::default(), &[record], &mut results);
        results.pop().unwrap_or(Ok(()))
    }

    /// Larger batches than most sinks (still about a millisecond of the child's work): a
    /// batch costs a round trip to the child, so a fast child wants many records per trip.
    fn batching(&self) -> Batching {
        Batching::Trips(PIPE_BATCH)
    }

    fn replaced(&self) -> u64 {
        self.replaced.count()
    }

    fn write_batch(
        &self,
        route: Route,
        records: &[&Record],
        results: &mut Vec<Result<(), SinkError>>,
    ) {
        if self.broken.load(Ordering::Relaxed) {
            results.extend(records.iter().map(|_| Err(SinkError::Abandoned)));
            return;
        }
        let mut seat = self.seat(route).lock().unwrap_or_else(|p| p.into_inner());
        let first = results.len();
        let failure = match seat.running(self) {
            Ok(child) => self.exchange(child, records, results).err(),
            Err(e) => {
                results.push(Err(e));
                return;
            }
        };
        let Some(failure) = failure else { return };
        // The child is lost: what it had not acknowledged fails (and is retried on a new
        // one), or after a broken answer is abandoned.
        let acked = results.len() - first;
        let (garbage, why) = match failure {
            Lost::Garbage(why) => (true, why),
            Lost::Silent => (
                false,
                format!(
                    "acknowledged nothing for {}",
                    crate::human::compact_duration(self.ack_timeout.as_millis() as u64)
                ),
            ),
            Lost::Gone(e) => (false, e),
        };
        let why = seat.lose(&why);
        if garbage {
            self.broken.store(true, Ordering::Relaxed);
        }
        for i in acked..records.len() {
            results.push(Err(match (garbage, i == acked) {
                (true, true) => SinkError::Fatal(why.clone()),
                (true, false) => SinkError::Abandoned,
                (false, _) => SinkError::Failed(why.clone()),
            }));
        }
    }
}

/// Why a child is given up.
enum Lost {
    /// Its answers break the protocol (why).
    Garbage(String),
    /// Nothing for `--ack-timeout`.
    Silent,
    /// It closed its end, or a pipe failed; empty when it exited (its status says why).
    Gone(String),
}

impl PipeSink {
    /// Sends `records` and reads their acknowledgements; on success every record has a
    /// result. On `Err`, the results pushed are for the records acknowledged so far.
    fn exchange(
        &self,
        child: &mut Running,
        records: &[&Record],
        results: &mut Vec<Result<(), SinkError>>,
    ) -> Result<(), Lost> {
        let (mut out, mut ends) = (
            std::mem::take(&mut child.out),
            std::mem::take(&mut child.ends),
        );
        out.clear();
        ends.clear();
        // A record is sent once the last byte of its line is.
        for r in records {
            if line_into(&mut out, r, self.lines, self.values) {
                self.replaced.note(r);
            }
            ends.push(out.len());
        }
        let answered = self.trade(child, &out, &ends, results);
        // A batch of huge records must not keep its memory for good.
        if out.capacity() <= 1 << 20 {
            (child.out, child.ends) = (out, ends);
        }
        answered
    }

    /// Writes `out` (whose records end at `ends`) and reads one answer per record.
    fn trade(
        &self,
        child: &mut Running,
        out: &[u8],
        ends: &[usize],
        results: &mut Vec<Result<(), SinkError>>,
    ) -> Result<(), Lost> {
        let mut written = 0;
        let mut acked = 0;
        let mut last_progress = Instant::now();
        let mut buf = [0u8; 8192];
        // Whatever the child wrote since its last batch was answered is unsolicited.
        match child.stdout.read(&mut buf) {
            Ok(n) => child.partial.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => {} // the loop below meets it again
        }
        loop {
            // Lines already read (left from before, or just now). Lines past the batch's
            // answers stay for the next batch, which finds them unsolicited.
            while acked < ends.len() {
                let Some(nl) = child.partial.iter().position(|&b| b == b'\n') else {
                    break;
                };
                let line: Vec<u8> = child.partial.drain(..=nl).collect();
                let result = match answer(&line) {
                    Answer::Garbage(g) => {
                        return Err(Lost::Garbage(format!(
                            "answered {g:?} instead of ok or fail REASON"
                        )))
                    }
                    _ if !taken(child, ends, written, acked) => {
                        return Err(Lost::Garbage(format!(
                            "answered {:?} with no record waiting for it: more answers than records (one answer per record it has read)",
                            String::from_utf8_lossy(&line).trim_end()
                        )))
                    }
                    Answer::Ok => Ok(()),
                    Answer::Fail(why) => Err(SinkError::Failed(why)),
                };
                results.push(result);
                acked += 1;
                last_progress = Instant::now();
            }
            if acked == ends.len() {
                return Ok(());
            }
            let left = (last_progress + self.ack_timeout).saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Lost::Silent);
            }
            let sending = written < out.len();
            let ready = crate::sys::wait_io(
                child.stdout.as_fd(),
                sending.then(|| child.stdin.as_fd()),
                left,
            )
            .map_err(|e| Lost::Gone(format!("cannot wait for its answer: {e}")))?;
            if ready.write {
                match child.stdin.write(&out[written..]) {
                    Ok(n) => {
                        written += n;
                        last_progress = Instant::now();
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // It closed its stdin: it exited, or will say why on stdout first.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        return Err(Lost::Gone(String::new()))
                    }
                    Err(e) => return Err(Lost::Gone(format!("cannot be written to: {e}"))),
                }
            }
            if ready.read {
                match child.stdout.read(&mut buf) {
                    Ok(0) => return Err(Lost::Gone(String::new())),
                    Ok(n) => child.partial.extend_from_slice(&buf[..n]),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) => {}
                    Err(e) => return Err(Lost::Gone(format!("cannot be read from: {e}"))),
                }
            }
        }
    }
}

/// Whether the child has taken record `k` out of its stdin: the record was sent (its line
/// ends within the `written` bytes) and the child read all of that line but perhaps its
/// final newline (a length-prefixed reader takes the bytes it was told of), and at least
/// its first byte. Where the pipe cannot say, a record sent counts as taken.
fn taken(child: &Running, ends: &[usize], written: usize, k: usize) -> bool {
    let Some(&end) = ends.get(k) else {
        return false;
    };
    if end > written {
        return false;
    }
    let unread = crate::sys::unread_bytes(child.stdin.as_fd()).unwrap_or(0);
    let read = written.saturating_sub(unread);
    let start = if k == 0 { 0 } else { ends[k - 1] };
    read >= (end - 1).max(start + 1)
}

impl Drop for PipeSink {
    /// Closes every child's stdin (a child ends when its input does), gives them
    /// [`EXIT_GRACE`] together to exit, then kills what is left.
    fn drop(&mut self) {
        let mut children: Vec<Child> = self
            .seats
            .iter_mut()
            .filter_map(|s| {
                let seat = s.get_mut().unwrap_or_else(|p| p.into_inner());
                seat.child.take().map(|c| c.process)
            })
            .collect();
        let pids: Vec<u32> = children.iter().map(Child::id).collect();
        let deadline = Instant::now() + EXIT_GRACE;
        while Instant::now() < deadline {
            children.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
            if children.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        for mut c in children {
            crate::sys::signal_group(c.id(), libc::SIGKILL);
            let _ = c.wait();
        }
        live().retain(|p| !pids.contains(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(offset: i64) -> Record {
        Record {
            topic: "t".into(),
            partition: 0,
            offset,
            timestamp: None,
            key: None,
            value: Some(format!("v{offset}").into_bytes()),
            headers: vec![],
        }
    }

    fn sink(command: &str, timeout_ms: u64) -> PipeSink {
        PipeSink::start(
            command.into(),
            2,
            LineFormat::Raw,
            ValueFormat::Utf8,
            Duration::from_millis(timeout_ms),
        )
        .unwrap()
    }

    /// The results of one batch of `n` records on worker 0's child.
    fn batch(s: &PipeSink, n: i64) -> Vec<Result<(), SinkError>> {
        let records: Vec<Record> = (0..n).map(rec).collect();
        let refs: Vec<&Record> = records.iter().collect();
        let mut results = Vec::new();
        s.write_batch(Route::default(), &refs, &mut results);
        results
    }

    const ACK: &str =
        "while read -r v; do case $v in v3) echo 'fail no 3';; *) echo ok;; esac; done";

    #[test]
    fn each_record_gets_its_own_answer_in_order() {
        let s = sink(ACK, 5_000);
        let r = batch(&s, 5);
        assert_eq!(r.len(), 5);
        assert!(r[..3].iter().all(Result::is_ok), "{r:?}");
        assert!(
            matches!(&r[3], Err(SinkError::Failed(why)) if why == "no 3"),
            "{r:?}"
        );
        assert!(r[4].is_ok());
        // The same child goes on with the next batch.
        assert!(batch(&s, 2).iter().all(Result::is_ok));
    }

    #[test]
    fn a_child_that_dies_fails_what_it_held_and_is_started_again() {
        // Acknowledges one record, then exits: the rest of the batch was never acknowledged.
        let s = sink("read -r v; echo ok; exit 3", 5_000);
        let r = batch(&s, 3);
        assert!(r[0].is_ok(), "{r:?}");
        for e in &r[1..] {
            assert!(
                matches!(e, Err(SinkError::Failed(why)) if why.contains("exited (exit status: 3) before acknowledging")),
                "{r:?}"
            );
        }
        // A new child takes the next batch.
        assert!(batch(&s, 1)[0].is_ok());
    }

    #[test]
    fn an_answer_that_is_not_an_ack_breaks_the_sink() {
        let s = sink("while read -r v; do echo hello; done", 5_000);
        let r = batch(&s, 3);
        assert!(
            matches!(&r[0], Err(SinkError::Fatal(why)) if why.contains("answered \"hello\" instead of ok or fail REASON")),
            "{r:?}"
        );
        assert!(matches!(r[1], Err(SinkError::Abandoned)));
        assert!(matches!(r[2], Err(SinkError::Abandoned)));
        // Two answers for one record are as broken.
        let s = sink("while read -r v; do echo ok; echo ok; done", 5_000);
        let r = batch(&s, 1);
        assert!(r[0].is_ok());
        std::thread::sleep(Duration::from_millis(200));
        let r = batch(&s, 1);
        assert!(
            matches!(&r[0], Err(SinkError::Fatal(why)) if why.contains("with no record waiting")),
            "{r:?}"
        );
    }

    #[test]
    fn an_answer_is_bound_to_a_record_the_child_has_read() {
        // Reads one record, answers it twice, and reads nothing more: the second `ok`
        // must not acknowledge the second record, which was sent but never read.
        for _ in 0..5 {
            let s = sink("read -r v; echo ok; echo ok; exec sleep 5", 5_000);
            let r = batch(&s, 3);
            assert!(r[0].is_ok(), "{r:?}");
            assert!(
                matches!(&r[1], Err(SinkError::Fatal(why)) if why.contains("more answers than records")),
                "{r:?}"
            );
            assert!(matches!(r[2], Err(SinkError::Abandoned)), "{r:?}");
        }
        // A length-prefixed reader may answer before taking the newline after the bytes.
        let s = PipeSink::start(
            "while read -r n; do dd bs=1 count=\"$n\" of=/dev/null 2>/dev/null; echo ok; read -r _; done".into(),
            1,
            LineFormat::LengthPrefixed,
            ValueFormat::Utf8,
            Duration::from_secs(5),
        )
        .unwrap();
        assert!(batch(&s, 4).iter().all(Result::is_ok));
    }

    #[test]
    fn a_silent_child_is_bounded_by_the_ack_timeout() {
        // Reads everything and never answers.
        let s = sink("cat >/dev/null", 300);
        let started = Instant::now();
        let r = batch(&s, 2);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            r.iter().all(|e| matches!(e, Err(SinkError::Failed(why)) if why.contains("acknowledged nothing for 300ms"))),
            "{r:?}"
        );
        // One that does not even read its stdin cannot block a large record either.
        let s = sink("sleep 60", 300);
        let big = Record {
            value: Some(vec![b'x'; 1 << 20]),
            ..rec(0)
        };
        let mut results = Vec::new();
        let started = Instant::now();
        s.write_batch(Route::default(), &[&big], &mut results);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            matches!(results[0], Err(SinkError::Failed(_))),
            "{results:?}"
        );
    }

    #[test]
    fn a_lane_always_goes_to_the_same_child() {
        let s = sink(ACK, 5_000);
        let on = |worker, lane| s.seat(Route { worker, lane }) as *const _;
        assert_eq!(on(0, Some(7)), on(1, Some(7)));
        assert_ne!(on(0, Some(7)), on(0, Some(8)));
        assert_ne!(
            on(0, None),
            on(1, None),
            "unordered: each worker its own child"
        );
    }

    #[test]
    fn children_end_with_the_sink() {
        let s = sink("while read -r v; do echo ok; done", 5_000);
        let pids: Vec<u32> = s
            .seats
            .iter()
            .map(|seat| seat.lock().unwrap().child.as_ref().unwrap().pid())
            .collect();
        drop(s);
        for pid in pids {
            // SAFETY: kill with signal 0 only checks whether the process exists.
            let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
            assert!(!alive, "child {pid} outlived the sink");
        }
    }
}
