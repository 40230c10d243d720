//! `kbp` as a child process that a test can watch, signal or kill while it runs, and the
//! waiting that goes with it: for tests that judge kbp from outside, as an operator would.
#![allow(dead_code)]

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use super::{kbp, line_count, summary_line, Kbp};

/// A child process with stdout and stderr in files (no pipe can fill up and block it, and
/// both can be read while it runs), in its own process group so that exec-sink children
/// left behind by a kill can be cleaned up with the group.
pub struct Proc {
    child: Child,
    name: String,
    stdout: PathBuf,
    stderr: PathBuf,
    pub started: Instant,
    exited: Option<(ExitStatus, Instant)>,
    /// When it ended, seen by a thread that waits for it without reaping it: the test may
    /// look long after (while it waits for something else).
    ended: std::sync::Arc<std::sync::OnceLock<Instant>>,
}

impl Kbp {
    /// Starts it as a [`Proc`] named `name`, its output in `dir`.
    pub fn start(mut self, dir: &Path, name: &str) -> Proc {
        self.cmd.args(&self.args);
        Proc::start(dir, name, self.cmd)
    }
}

impl Proc {
    /// Starts `cmd` with its output in `dir/NAME.stdout` and `dir/NAME.stderr`.
    pub fn start(dir: &Path, name: &str, mut cmd: Command) -> Proc {
        let stdout = dir.join(format!("{name}.stdout"));
        let stderr = dir.join(format!("{name}.stderr"));
        cmd.stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .process_group(0);
        let child = cmd.spawn().expect("spawn");
        let started = Instant::now();
        let ended = std::sync::Arc::new(std::sync::OnceLock::new());
        let pid = child.id();
        let seen = ended.clone();
        std::thread::spawn(move || {
            // SAFETY: waitid(2) with WNOWAIT on our own child: it waits for the exit and
            // leaves the child to be reaped by `Child`; `info` is plain data it fills.
            let rc = unsafe {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
            };
            if rc == 0 {
                let _ = seen.set(Instant::now());
            }
        });
        Proc {
            child,
            name: name.to_string(),
            stdout,
            stderr,
            started,
            exited: None,
            ended,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn signal(&self, sig: i32) {
        assert!(self.exited.is_none(), "{}: signal after exit", self.name);
        // SAFETY: kill(2) on our own child's pid; it is not reaped yet (exited is None).
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(rc, 0, "kill({}, {sig})", self.pid());
    }

    /// SIGKILL to the child alone (its exec-sink children live on until the drop).
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
    }

    pub fn running(&mut self) -> bool {
        if self.exited.is_none() {
            if let Some(st) = self.child.try_wait().unwrap() {
                self.exited = Some((st, Instant::now()));
            }
        }
        self.exited.is_none()
    }

    /// When it exited (once it has been seen to).
    pub fn exited_at(&self) -> Option<Instant> {
        let (_, seen) = self.exited?;
        // The waiter may have lost the race to a reap; then the reap's time is the nearest.
        Some(self.ended.get().map_or(seen, |at| (*at).min(seen)))
    }

    /// Waits for the exit; on timeout kills it and fails with its stderr.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        while self.running() {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "{}: still running after {limit:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.exited.unwrap().0
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The one-line JSON summary: the last line on stdout (`--summary json`).
    pub fn summary(&self) -> serde_json::Value {
        summary_line(&self.name, &self.stdout(), &self.stderr())
    }

    /// Waits until `path` holds `n` lines; fails if this process ends first.
    pub fn wait_for_lines(&mut self, path: &Path, n: usize, limit: Duration) {
        let what = format!("{n} lines in {}", path.display());
        wait_until(&what, limit, || {
            assert!(
                self.running(),
                "{}: ended before {what}; stderr:\n{}",
                self.name,
                self.stderr()
            );
            line_count(path) >= n
        });
    }

    pub fn expect_code(&mut self, code: i32, limit: Duration) {
        let st = self.wait(limit);
        assert_eq!(
            st.code(),
            Some(code),
            "{}: exit {st:?}\nstdout:\n{}\nstderr:\n{}",
            self.name,
            self.stdout(),
            self.stderr()
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Exec-sink children orphaned by a kill or by exit(130): same process group.
        // SAFETY: a negative pid signals the group we created for this child.
        unsafe {
            libc::kill(-self.pid(), libc::SIGKILL);
        }
    }
}

/// Calls `attempt` every `pause` until it gives a value; after `limit`, fails with the
/// last error it gave. For waiting on progress only, never as the assertion itself.
pub fn poll<T>(
    limit: Duration,
    pause: Duration,
    mut attempt: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        match attempt() {
            Ok(v) => return v,
            Err(e) => assert!(Instant::now() < deadline, "timed out after {limit:?}: {e}"),
        }
        std::thread::sleep(pause);
    }
}

/// Polls `cond` every 10 ms until it holds; fails after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    poll(limit, Duration::from_millis(10), || {
        cond()
            .then_some(())
            .ok_or_else(|| format!("waiting for {what}"))
    })
}

/// Waits until `kbp lag` shows `group` (its JSON row) as `cond` wants it; a lag run that
/// fails (the group is not there yet) is tried again.
pub fn wait_for_group(group: &str, limit: Duration, cond: impl Fn(&serde_json::Value) -> bool) {
    poll(limit, Duration::from_millis(200), || {
        let r = kbp()
            .broker()
            .args(["lag", "-g", group, "-o", "json"])
            .run();
        match serde_json::from_str::<serde_json::Value>(&r.stdout) {
            Ok(v) if cond(&v["groups"][0]) => Ok(()),
            _ => Err(format!("group {group}: {}{}", r.stdout, r.stderr)),
        }
    })
}
