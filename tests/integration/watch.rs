//! `kbp lag --watch` and `kbp diagnose --watch` on the real broker, judged from outside as
//! an operator would: the JSON-lines stream line by line, the table stream appended off a
//! terminal, the screen drawn on a pseudo-terminal and put back on Ctrl-C, a refresh that
//! fails and a watch that goes on, and a reader that closes the pipe.

use std::fs::File;
use std::io::Read;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kbp::report::diagnosis::{Severity, Status};
use kbp::report::watch::{WatchFrame, WatchGroup};

use crate::common::*;

/// A group that falls behind: commits at 0 on a one-partition topic, no member, and a
/// producer writing 200 records/s until the returned traffic is dropped.
fn falling_behind(prefix: &str) -> (String, String, Background) {
    let topic = unique(prefix);
    create_topic(&topic, 1);
    let group = unique(prefix);
    commit(&group, &[(&topic, 0, 0)]);
    let traffic = traffic(&topic, &[(0, 200)]);
    (topic, group, traffic)
}

/// Waits until `p` has printed `n` lines on stdout.
fn wait_for_stdout_lines(p: &mut Proc, n: usize) {
    wait_until(
        &format!("{n} lines on stdout"),
        Duration::from_secs(60),
        || {
            assert!(p.running(), "kbp ended early; stderr:\n{}", p.stderr());
            p.stdout().lines().count() >= n
        },
    );
}

/// Ctrl-C, then the documented exit code: 130.
fn interrupt(p: &mut Proc) {
    p.signal(libc::SIGINT);
    p.expect_code(130, Duration::from_secs(10));
}

/// Every line of the stream, each parsed on its own into the documented frame.
fn frames(stdout: &str) -> Vec<WatchFrame> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l}: {e}")))
        .collect()
}

fn group<'a>(f: &'a WatchFrame, name: &str) -> &'a WatchGroup {
    f.groups
        .iter()
        .find(|g| g.group == name)
        .unwrap_or_else(|| panic!("no {name} in refresh {}: {f:#?}", f.refresh))
}

#[test]
fn lag_watch_json_lines_show_a_growing_lag_and_its_trend() {
    let dir = tempfile::tempdir().unwrap();
    let (topic, g, traffic) = falling_behind("w-grow");
    let mut p = kbp()
        .broker()
        .args(["lag", "-g", &g, "--watch", "500ms", "-o", "json"])
        .start(dir.path(), "watch");
    wait_for_stdout_lines(&mut p, 6);
    interrupt(&mut p);
    let frames = frames(&p.stdout());
    let lags: Vec<u64> = frames.iter().map(|f| group(f, &g).total_lag).collect();
    eprintln!("lags: {lags:?}");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.refresh, i as u64 + 1, "no refresh failed");
        assert_eq!((f.command.as_str(), f.interval_ms), ("lag", 500));
        let d = group(f, &g);
        let want = i.checked_sub(1).map(|j| lags[i] as i64 - lags[j] as i64);
        assert_eq!(d.lag_delta, want, "change since the refresh before");
        assert!(i == 0 || d.lag_delta.unwrap() >= 0, "{lags:?}");
        // The window (10 intervals) holds every refresh so far.
        assert_eq!(
            d.lag_trend,
            lags[i.saturating_sub(11)..=i],
            "refresh {}",
            i + 1
        );
    }
    assert!(lags.last() > lags.first(), "the lag grows: {lags:?}");
    let last = frames.last().unwrap();
    let d = group(last, &g);
    assert!(d.lag_change > 0, "{d:#?}");
    assert_eq!(d.lag_change, (lags[lags.len() - 1] - lags[0]) as i64);
    assert!(d.produce_rate.is_some_and(|r| r > 0.0), "{d:#?}");
    assert_eq!(d.consume_rate, Some(0.0));
    assert_eq!(d.eta, "never");
    // kbp diagnose's verdict: nobody owns it, its commit stands still, its log grows.
    assert_eq!(
        (d.status, d.severity),
        (Status::Stop, Severity::Crit),
        "{d:#?}"
    );
    assert_eq!(last.worst, Severity::Crit);
    assert_eq!(d.partitions[0].status, Status::Stop);
    assert!(last.findings.is_empty() && last.cluster.is_none());

    // The numbers are kafka-consumer-groups' numbers, once the log stops moving.
    drop(traffic);
    let mut p = kbp()
        .broker()
        .args(["lag", "-g", &g, "--watch", "300ms", "-o", "json"])
        .start(dir.path(), "still");
    wait_for_stdout_lines(&mut p, 2);
    interrupt(&mut p);
    let apache = apache_describe(&g);
    let apache_lag = apache[&(topic.clone(), 0)].2.unwrap() as u64;
    for f in frames_of(&p) {
        let d = group(&f, &g);
        assert_eq!(d.total_lag, apache_lag, "kafka-consumer-groups: {apache:?}");
        assert_eq!(d.partitions[0].lag, Some(apache_lag));
    }
}

fn frames_of(p: &Proc) -> Vec<WatchFrame> {
    frames(&p.stdout())
}

#[test]
fn off_a_terminal_the_table_stream_appends_timestamped_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (_topic, g, _traffic) = falling_behind("w-table");
    let mut p = kbp()
        .broker()
        .args(["lag", "-g", &g, "--watch", "300ms"])
        .start(dir.path(), "table");
    wait_until("three refreshes", Duration::from_secs(60), || {
        assert!(p.running(), "{}", p.stderr());
        p.stdout().contains("refresh 4 at")
    });
    interrupt(&mut p);
    let out = p.stdout();
    assert!(
        !out.contains('\u{1b}'),
        "no escape codes off a terminal:\n{out}"
    );
    // Each block starts with its header line and ends with a blank line.
    let starts: Vec<usize> = out
        .match_indices("kbp lag --watch every")
        .map(|(i, _)| i)
        .chain([out.len()])
        .collect();
    let blocks: Vec<&str> = starts.windows(2).map(|w| &out[w[0]..w[1]]).collect();
    assert!(blocks.iter().all(|b| b.ends_with("\n\n")), "{out}");
    assert!(blocks.len() >= 4, "{out}");
    let mut last_time = jiff::Timestamp::MIN;
    for (i, b) in blocks.iter().enumerate() {
        let header = b.lines().next().unwrap();
        let prefix = format!("kbp lag --watch every 300ms: refresh {} at ", i + 1);
        let rest = header
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("block {}: {header}", i + 1));
        let time: jiff::Timestamp = rest.split(';').next().unwrap().parse().unwrap();
        assert!(time >= last_time, "{header}");
        last_time = time;
        assert!(
            b.contains("GROUP") && b.contains("STATUS") && b.contains("TREND"),
            "{b}"
        );
        let row = b
            .lines()
            .find(|l| l.starts_with(&g))
            .unwrap_or_else(|| panic!("no row of {g} in:\n{b}"));
        // By the last refresh the window is long enough for the log end to have moved.
        if i + 1 == blocks.len() {
            assert!(row.contains("STOP"), "{row}");
            assert!(
                row.chars().any(|c| ('▁'..='█').contains(&c)),
                "a sparkline: {row}"
            );
        }
    }
}

#[test]
fn diagnose_watch_streams_its_findings_over_a_rolling_window() {
    let dir = tempfile::tempdir().unwrap();
    let (_topic, g, _traffic) = falling_behind("w-diag");
    let mut p = kbp()
        .broker()
        .args(["diagnose", "-g", &g, "--watch", "400ms", "--window", "1s"])
        .args(["-o", "json"])
        .start(dir.path(), "diagnose");
    wait_for_stdout_lines(&mut p, 6);
    interrupt(&mut p);
    let frames = frames(&p.stdout());
    let last = frames.last().unwrap();
    assert_eq!(last.command, "diagnose");
    // A 1s window at one sample per 400ms: the span and one sample before it.
    assert!(last.samples <= 5, "{} samples", last.samples);
    let d = group(last, &g);
    assert_eq!(
        (d.status, d.severity),
        (Status::Stop, Severity::Crit),
        "{d:#?}"
    );
    assert!(
        last.findings
            .iter()
            .any(|f| f.rule == "stop" && f.group.as_deref() == Some(g.as_str())),
        "{:#?}",
        last.findings
    );
    assert_eq!(last.worst, Severity::Crit);
    let cluster = last.cluster.as_ref().expect("the cluster is measured");
    assert!(cluster.brokers.iter().any(|b| b.up), "{cluster:#?}");
}

#[test]
fn a_refresh_that_fails_is_reported_and_the_watch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let topic = topic_with("w-later", 1, 10);
    let g = unique("w-later");
    let mut p = kbp()
        .broker()
        .args(["lag", "-g", &g, "--watch", "300ms", "-o", "json"])
        .start(dir.path(), "later");
    wait_until("two failed refreshes", Duration::from_secs(60), || {
        assert!(p.running(), "{}", p.stderr());
        p.stderr()
            .contains("kbp: refresh 2 failed: consumer group not found")
    });
    assert_eq!(p.stdout(), "", "nothing on stdout for a failed refresh");
    commit(&g, &[(&topic, 0, 4)]);
    wait_for_stdout_lines(&mut p, 2);
    interrupt(&mut p);
    let frames = frames(&p.stdout());
    assert!(frames[0].refresh > 2, "failed refreshes keep their numbers");
    assert_eq!(group(&frames[0], &g).total_lag, 6);
    assert!(frames.windows(2).all(|w| w[1].refresh > w[0].refresh));
}

/// A bootstrap address in front of the test broker that hangs up on every connection for
/// `closed`, and forwards them after: a cluster that does not answer at first.
fn late_front(closed: Duration) -> (String, Background) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let opens = Instant::now() + closed;
    let front = Background::spawn(move |stop| {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let Ok((client, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            if Instant::now() < opens {
                continue; // dropped: hung up
            }
            client.set_nonblocking(false).unwrap();
            let broker = TcpStream::connect(bootstrap()).unwrap();
            for (mut from, mut to) in [
                (client.try_clone().unwrap(), broker.try_clone().unwrap()),
                (broker, client),
            ] {
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(Shutdown::Both);
                });
            }
        }
    });
    (address, front)
}

#[test]
fn a_watch_started_before_the_cluster_answers_shows_it_once_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let topic = topic_with("w-late", 1, 3);
    let g = unique("w-late");
    commit(&g, &[(&topic, 0, 1)]);
    let (front, _front) = late_front(Duration::from_secs(3));
    let mut p = kbp()
        .args(["-b", &front, "--timeout", "1s"])
        .args(["lag", "-g", &g, "--watch", "500ms", "-o", "json"])
        .start(dir.path(), "late");
    wait_for_stdout_lines(&mut p, 1);
    interrupt(&mut p);
    assert!(
        p.stderr()
            .contains("kbp: refresh 1 failed: cannot reach Kafka"),
        "{}",
        p.stderr()
    );
    let frames = frames(&p.stdout());
    assert!(frames[0].refresh > 1);
    assert_eq!(group(&frames[0], &g).total_lag, 2);
}

#[test]
fn a_reader_that_closes_the_pipe_ends_the_watch_with_0() {
    let g = unique("w-pipe");
    let topic = topic_with("w-pipe", 1, 5);
    commit(&g, &[(&topic, 0, 1)]);
    let (out, stderr) = kbp_piped(&format!("lag -g {g} --watch 200ms -o json"), "head -n 2");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "two lines, then kbp's exit code: {out}\n{stderr}"
    );
    assert_eq!(lines[2], "0", "{stderr}");
    for f in frames(&lines[..2].join("\n")) {
        assert_eq!(group(&f, &g).total_lag, 4);
    }
}

/// `kbp ARGS` with stdout on a pseudo-terminal (40 rows of 200 columns): what it drew.
struct OnTerminal {
    child: Child,
    drawn: Arc<Mutex<Vec<u8>>>,
}

impl OnTerminal {
    fn start(args: &[&str], env: &[(&str, &str)], stderr: File) -> OnTerminal {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two new descriptors into `master` and `slave`; the name
        // and termios pointers may be null, `size` outlives the call.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened by openpty and belong to nothing else.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = kbp_command();
        cmd.args(["-b", bootstrap()])
            .args(args)
            .env_remove("NO_COLOR")
            .env("TERM", "xterm")
            .stdout(Stdio::from(slave))
            .stderr(stderr)
            .process_group(0);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        // The parent's copy of the terminal goes with `cmd`: reads end when kbp's does.
        drop(cmd);
        let drawn = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&drawn);
        std::thread::spawn(move || {
            let mut master = File::from(master);
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = master.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        OnTerminal { child, drawn }
    }

    fn drawn(&self) -> String {
        String::from_utf8_lossy(&self.drawn.lock().unwrap()).into_owned()
    }

    /// Waits for `text` on the screen, then Ctrl-C; returns the exit code and the screen.
    fn interrupt_after(mut self, text: &str) -> (Option<i32>, String) {
        wait_until(text, Duration::from_secs(60), || {
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "ended early:\n{}",
                self.drawn()
            );
            self.drawn().contains(text)
        });
        // SAFETY: kill(2) on our own child, not reaped yet.
        let rc = unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        assert_eq!(rc, 0);
        let code = poll(Duration::from_secs(10), Duration::from_millis(10), || {
            self.child
                .try_wait()
                .unwrap()
                .ok_or_else(|| "kbp still running after SIGINT".to_string())
        })
        .code();
        // What kbp wrote before exiting is all in the terminal by now; let the reader get it.
        std::thread::sleep(Duration::from_millis(200));
        (code, self.drawn())
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn on_a_terminal_it_redraws_in_colour_and_ctrl_c_puts_the_terminal_back() {
    let dir = tempfile::tempdir().unwrap();
    let (_topic, g, _traffic) = falling_behind("w-tty");
    const ENTER: &str = "\u{1b}[?1049h";
    const LEAVE: &str = "\u{1b}[?1049l";
    const HIDE: &str = "\u{1b}[?25l";
    const SHOW: &str = "\u{1b}[?25h";
    const RED: &str = "\u{1b}[38;5;9m";
    let args = ["lag", "-g", &g, "--watch", "300ms"];
    let stderr = || File::create(dir.path().join("stderr")).unwrap();

    let (code, drawn) = OnTerminal::start(&args, &[], stderr()).interrupt_after("refresh 3 at");
    assert_eq!(code, Some(130), "{drawn:?}");
    assert!(
        drawn.starts_with(ENTER) && drawn.contains(HIDE),
        "{drawn:?}"
    );
    let last_frame = drawn.rfind(&g).unwrap();
    let (leave, show) = (drawn.rfind(LEAVE), drawn.rfind(SHOW));
    assert!(
        leave > Some(last_frame) && show > Some(last_frame),
        "the terminal is put back after the last frame: {:?}",
        &drawn[last_frame..]
    );
    // Redrawn in place: each frame from the top left, none scrolled after the other.
    assert!(drawn.matches("\u{1b}[1;1H").count() >= 3, "{drawn:?}");
    assert!(!drawn.contains("\n\n"), "{drawn:?}");
    // The stopped group's rows are red.
    assert!(drawn.contains(&format!("{RED}{g}")), "{drawn:?}");

    for env in [("NO_COLOR", "1"), ("KBP_UNUSED", "")] {
        let mut args = args.to_vec();
        if env.0 != "NO_COLOR" {
            args.extend(["--color", "never"]);
        }
        let (code, drawn) =
            OnTerminal::start(&args, &[env], stderr()).interrupt_after("refresh 2 at");
        assert_eq!(code, Some(130));
        assert!(drawn.contains(&g), "{drawn:?}");
        assert!(
            !drawn.contains("\u{1b}[38;5;"),
            "{env:?}: no colour: {drawn:?}"
        );
    }
}
