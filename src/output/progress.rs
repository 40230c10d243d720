//! Progress on stderr, only when stderr is a terminal: the one indicatif factory.
//!
//! With `--verbose` the steps are logged as lines with their start time instead, which is
//! what an operator (or a benchmark) needs to see where the time goes.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    log_since: Option<Instant>,
}

impl Progress {
    /// A spinner, hidden when stderr is not a terminal or `quiet` is set.
    pub fn spinner(quiet: bool, verbose: bool) -> Progress {
        let log_since = verbose.then(Instant::now);
        if quiet || verbose || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                log_since,
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress { bar, log_since }
    }

    pub fn set(&self, message: &str) {
        if let Some(t0) = self.log_since {
            crate::sys::diag!("kbp: {:>7.3}s {message}", t0.elapsed().as_secs_f64());
        }
        self.bar.set_message(message.to_string());
    }

    /// The bar itself, for a thread that updates it.
    pub fn handle(&self) -> ProgressBar {
        self.bar.clone()
    }

    pub fn finish(&self) {
        self.set("done");
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
