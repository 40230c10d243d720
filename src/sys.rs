//! The C library calls std does not offer, behind safe functions.
//!
//! The stdout sink counts a record as processed once the reader has taken it out of the
//! pipe, which needs the pipe's unread byte count (the FIONREAD ioctl) and whether its
//! reader is gone (poll); the pipe sink talks to its children without blocking on either
//! pipe (`O_NONBLOCK`, poll on both ends) and signals them as a group (`kill` of a process
//! group); `kbp serve` tunes malloc for a long-lived process (`mallopt`), gives freed
//! memory back after each refresh (`malloc_trim`) and lets scrapes go before refreshes
//! (`setpriority` on the refresher's thread). Everything else (`fstat`, signals…) comes
//! from std.
//!
//! Also the process's own standard streams, which every layer uses: which of fds 0-2 were
//! closed when kbp started (a daemon, `kbp … >&-`: std reopens them on /dev/null, so a
//! write "succeeds" into nothing), and [`diag!`], the one way to write a diagnostic line
//! on stderr, best effort (`eprintln!` panics when stderr is full, turning a documented
//! exit code into 101).

use std::io::Write;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU8, Ordering};

/// Bit `fd` set: standard fd `fd` (0, 1 or 2) was closed when kbp started.
static CLOSED_AT_START: AtomicU8 = AtomicU8::new(0);

/// Notes which of fds 0, 1 and 2 are closed now. The binary calls it before std's
/// runtime starts (which reopens a closed one on /dev/null and so hides it), and
/// [`guard_std_fds`] again; a note is never taken back.
pub fn note_closed_std_fds() {
    for fd in 0..3 {
        // SAFETY: F_GETFD takes no pointer and only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            CLOSED_AT_START.fetch_or(1 << fd, Ordering::SeqCst);
        }
    }
}

/// Opens /dev/null on any of fds 0, 1, 2 still closed, so that no later `open` (a sink's
/// file, a socket) can become kbp's stdout or stderr. std does this itself on Linux; this
/// keeps it true wherever it does not.
pub fn guard_std_fds() {
    note_closed_std_fds();
    for fd in 0..3 {
        // SAFETY: F_GETFD takes no pointer; open gets a NUL-terminated path and returns
        // the lowest free descriptor, which is `fd` while it is closed.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) == -1 {
                libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            }
        }
    }
}

/// Whether kbp's stdout was closed when it started: nothing written there reaches anyone.
pub fn stdout_closed() -> bool {
    CLOSED_AT_START.load(Ordering::SeqCst) & 0b010 != 0
}

/// Writes one line (`args` and a newline) to stderr in one write, ignoring failure: a
/// diagnostic is best effort, and a full or closed stderr must change nothing else.
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut line = args.to_string();
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `eprintln!` that never panics: see [`stderr_line`].
macro_rules! diag {
    ($($arg:tt)*) => {
        $crate::sys::stderr_line(format_args!($($arg)*))
    };
}
pub(crate) use diag;

/// Bytes written to `fd` and not read yet (FIONREAD); `None` when the fd cannot say.
pub fn unread_bytes(fd: BorrowedFd<'_>) -> Option<usize> {
    let mut pending: libc::c_int = 0;
    // SAFETY: `fd` is open for the borrow; FIONREAD writes one int to `pending`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut pending) };
    (rc == 0).then(|| usize::try_from(pending).unwrap_or(0))
}

/// Whether `fd`'s other end is gone, without waiting: on a pipe's write end, poll reports
/// POLLERR (or POLLHUP) once no reader is left.
pub fn peer_gone(fd: BorrowedFd<'_>) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid pollfd for an fd open for the borrow; a zero timeout never blocks.
    let ready = unsafe { libc::poll(&mut pfd, 1, 0) };
    ready > 0 && pfd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

/// Makes malloc keep less than it would for a short command, for `kbp serve`: blocks from
/// 128 KiB (a refresh's page chunks and window columns) are mapped apart and unmapped when
/// freed, instead of glibc raising that threshold after the first free and carving them
/// out of heaps that then stay fragmented; and one arena serves every thread, so the
/// refresher, the HTTP workers and librdkafka's threads do not each keep their own.
/// Measured on `bench/serve.sh` (10,000 groups): peak RSS 349 → 230 MiB for the same
/// heap. A no-op with other C libraries.
pub fn tune_malloc_for_a_server() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes two ints and only changes malloc's own parameters; it is called
    // before the threads that allocate most are started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Lowers the calling thread's scheduling priority (nice +`by`), and that of the threads it
/// starts afterwards (Linux keeps a nice value per thread and hands it down): `kbp serve`'s
/// refreshers, so that on a busy machine a scrape is answered before a refresh goes on.
/// Best effort: a refusal changes nothing else.
pub fn lower_thread_priority(by: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid and getpriority/setpriority take plain integers; they change only the
    // calling thread's own scheduling.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        libc::setpriority(libc::PRIO_PROCESS, tid, now.saturating_add(by));
    }
}

/// Makes reads and writes on `fd` return `WouldBlock` instead of waiting.
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> std::io::Result<()> {
    // SAFETY: `fd` is open for the borrow; F_GETFL/F_SETFL only read and set its flags.
    let rc = unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        if flags < 0 {
            flags
        } else {
            libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK)
        }
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// What [`wait_io`] found: `read` can be read (data, end of file or an error), `write` can
/// be written (room, or the reader is gone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    pub read: bool,
    pub write: bool,
}

/// Waits up to `timeout` until `read` is readable or `write` (when given) writable. An
/// interruption by a signal counts as nothing ready.
pub fn wait_io(
    read: BorrowedFd<'_>,
    write: Option<BorrowedFd<'_>>,
    timeout: std::time::Duration,
) -> std::io::Result<Ready> {
    let pfd = |fd: BorrowedFd<'_>, events| libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    let mut fds = [pfd(read, libc::POLLIN), pfd(read, 0)];
    let n = match write {
        Some(w) => {
            fds[1] = pfd(w, libc::POLLOUT);
            2
        }
        None => 1,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `fds` holds `n` valid pollfds for fds open for the borrows.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), n as libc::nfds_t, ms) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        return match e.kind() {
            std::io::ErrorKind::Interrupted => Ok(Ready::default()),
            _ => Err(e),
        };
    }
    Ok(Ready {
        read: fds[0].revents != 0,
        write: n == 2 && fds[1].revents != 0,
    })
}

/// Waits up to `timeout` until `fd` can be written (or has failed); false when it timed out.
pub fn wait_writable(fd: BorrowedFd<'_>, timeout: std::time::Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: one valid pollfd for an fd open for the borrow.
    unsafe { libc::poll(&mut pfd, 1, ms) > 0 }
}

/// Whether `a` and `b` are the same file (device and inode).
pub fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    let id = |fd: BorrowedFd<'_>| {
        let f = std::fs::File::from(fd.try_clone_to_owned().ok()?);
        let m = f.metadata().ok()?;
        use std::os::unix::fs::MetadataExt;
        Some((m.dev(), m.ino()))
    };
    matches!((id(a), id(b)), (Some(x), Some(y)) if x == y)
}

/// Takes an exclusive advisory lock (`flock`) on `fd`'s file without waiting: false when
/// another open file holds one. It lasts until every descriptor of the open file closes.
pub fn lock_exclusive(fd: BorrowedFd<'_>) -> std::io::Result<bool> {
    // SAFETY: flock takes no pointer; `fd` is open for the borrow.
    let rc = unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EWOULDBLOCK) => Ok(false),
        _ => Err(e),
    }
}

/// Sends `signal` to every process of the group `pgid`; a group already gone is fine.
pub fn signal_group(pgid: u32, signal: i32) {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else {
        return;
    };
    if pgid > 0 {
        // SAFETY: kill takes no pointer; a negative pid names the process group.
        unsafe { libc::kill(-pgid, signal) };
    }
}

/// Hands the memory malloc holds free back to the system (glibc's `malloc_trim`). `kbp
/// serve` calls it after each refresh, whose tens of MB of temporary data would otherwise
/// stay resident between refreshes; a no-op with other C libraries.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer; it only walks malloc's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::process::{Command, Stdio};

    /// `eprintln!` panics on a full stderr and `println!` on a full stdout: src/ writes
    /// diagnostics with `diag!` and reports through `output`.
    #[test]
    fn nothing_in_src_prints_with_a_macro_that_can_panic() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or_default();
                    let called = |m: &str| code.contains(&format!("{m}!("));
                    if ["print", "println", "eprint", "eprintln"]
                        .into_iter()
                        .any(called)
                    {
                        found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "use crate::sys::diag! or output:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn a_pipe_s_write_end_sees_unread_bytes_and_a_gone_reader() {
        // `sleep` never reads its stdin: what is written stays in the pipe.
        let mut child = Command::new("sleep")
            .arg("30")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        assert_eq!(unread_bytes(pipe.as_fd()), Some(0));
        pipe.write_all(b"hello").unwrap();
        assert_eq!(unread_bytes(pipe.as_fd()), Some(5));
        assert!(!peer_gone(pipe.as_fd()));
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(peer_gone(pipe.as_fd()));
    }
}
