//! SIGINT and SIGTERM for every command, in one place.
//!
//! librdkafka waits in C, where a default signal disposition may be ignored (a background
//! job's SIGINT is) and where nothing checks for an interruption, so Ctrl-C could wait out
//! `--timeout`. A thread of ours takes both signals instead. By default it exits at once,
//! 130 for SIGINT and 143 for SIGTERM: nothing kbp has not committed is lost, because
//! commands change no state outside [`graceful`] sections. Inside one (`kbp drain` once it
//! has joined, `kbp demo --serve`), the first signal is counted for the owner to finish
//! cleanly, and a second one exits at once. Whatever exits, a registered [`on_exit`]
//! clean-up runs first (`--watch` puts the terminal back).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use crate::error::{Error, Result};

/// Who handles the next signal: `None` exits at once.
static GRACEFUL: Mutex<Option<Handlers>> = Mutex::new(None);

/// Runs before a signal ends the process: undoes what a command changed outside it.
static CLEANUP: Mutex<Option<fn()>> = Mutex::new(None);

#[derive(Clone)]
struct Handlers {
    count: Arc<AtomicUsize>,
    abort: Arc<AtomicBool>,
    first: &'static str,
}

/// The exit status of a process ended by `signal`, as shells report it.
pub fn exit_code(signal: i32) -> i32 {
    128 + signal
}

/// Takes SIGINT and SIGTERM from now on; idempotent.
pub fn install() -> Result<()> {
    static INSTALLED: Once = Once::new();
    let mut outcome = Ok(());
    INSTALLED.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        outcome = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .map_err(|e| Error::Io {
                context: "installing signal handlers".into(),
                source: e,
            })
            .and_then(|mut signals| {
                std::thread::Builder::new()
                    .name("kbp-signals".into())
                    .spawn(move || {
                        for signal in signals.forever() {
                            on_signal(signal);
                        }
                    })
                    .map(drop)
                    .map_err(|e| Error::Io {
                        context: "starting the signal thread".into(),
                        source: e,
                    })
            });
    });
    outcome
}

fn on_signal(signal: i32) {
    let handlers = GRACEFUL.lock().unwrap_or_else(|p| p.into_inner()).clone();
    match handlers {
        Some(h) if h.count.fetch_add(1, Ordering::SeqCst) == 0 => {
            crate::sys::diag!("kbp: {}", h.first);
        }
        Some(h) => {
            h.abort.store(true, Ordering::SeqCst);
            cleanup();
            crate::sys::diag!("kbp: interrupted again: exiting at once, committing nothing more");
            std::process::exit(exit_code(signal));
        }
        None => {
            cleanup();
            crate::sys::diag!("kbp: interrupted");
            std::process::exit(exit_code(signal));
        }
    }
}

fn cleanup() {
    if let Some(f) = *CLEANUP.lock().unwrap_or_else(|p| p.into_inner()) {
        f();
    }
}

/// From now on, `cleanup` runs before a signal ends the process (a terminal left in the
/// alternate screen with its cursor hidden would stay so); `None` takes it away.
pub fn on_exit(cleanup: Option<fn()>) {
    *CLEANUP.lock().unwrap_or_else(|p| p.into_inner()) = cleanup;
}

/// While alive, the first signal is counted (and `first` printed) instead of exiting.
pub struct Graceful {
    pub count: Arc<AtomicUsize>,
    pub abort: Arc<AtomicBool>,
}

/// Starts a graceful section; signals exit at once again when the guard is dropped.
pub fn graceful(first: &'static str) -> Result<Graceful> {
    install()?;
    let g = Graceful {
        count: Arc::new(AtomicUsize::new(0)),
        abort: Arc::new(AtomicBool::new(false)),
    };
    *GRACEFUL.lock().unwrap_or_else(|p| p.into_inner()) = Some(Handlers {
        count: Arc::clone(&g.count),
        abort: Arc::clone(&g.abort),
        first,
    });
    Ok(g)
}

impl Graceful {
    pub fn interrupted(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }
}

impl Drop for Graceful {
    fn drop(&mut self) {
        *GRACEFUL.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}
