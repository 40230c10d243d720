//! One cluster's refresher: read it every interval, judge the window, hand the metric
//! families to the shared state.
//!
//! A thread of its own per cluster, because the Kafka calls block (bounded by `--timeout`):
//! a slow cluster delays only its own series. The session is kept between refreshes
//! (librdkafka reconnects by itself) and made again only when it could not be made.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::state::Shared;
use crate::cmd::diagnose::{take_sample, Window};
use crate::cmd::{brokers, lag};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::kafka::Session;
use crate::output::{Metric, Progress, Render};

/// Dropping it stops the refresher at its next wake-up.
pub struct Refresher {
    _stop: Sender<()>,
}

pub fn spawn(
    shared: Arc<Shared>,
    index: usize,
    settings: Settings,
    selection: lag::Selection,
    window: Duration,
    reread: Duration,
) -> Result<Refresher> {
    let (stop, stopped) = mpsc::channel::<()>();
    let interval = shared.interval();
    std::thread::Builder::new()
        .name(format!("kbp-refresh-{index}"))
        .spawn(move || {
            // Before the session exists, so librdkafka's threads inherit it too.
            crate::sys::lower_thread_priority(5);
            let mut cluster = Watched {
                settings,
                selection,
                session: None,
                window: Window::new(window),
                reread,
            };
            loop {
                let started = Instant::now();
                match cluster.refresh() {
                    Ok(families) => {
                        if let Err(e) = shared.refreshed(index, families, started.elapsed()) {
                            crate::sys::diag!("kbp: warning: {e}");
                        }
                    }
                    Err(e) => {
                        cluster.forget_session_after(&e);
                        crate::sys::diag!(
                            "kbp: warning: cluster {}: refresh failed: {}",
                            shared.cluster_name(index),
                            crate::output::printable(&e.to_string())
                        );
                        let why = crate::output::printable(
                            &cluster.settings.redactor.redact(&e.to_string()),
                        )
                        .into_owned();
                        shared.failed(index, started.elapsed(), why);
                    }
                }
                crate::sys::release_free_memory();
                let next = interval.saturating_sub(started.elapsed());
                match stopped.recv_timeout(next) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        })
        .map_err(|e| Error::io("starting a refresher thread", e))?;
    Ok(Refresher { _stop: stop })
}

struct Watched {
    settings: Settings,
    selection: lag::Selection,
    session: Option<Session>,
    window: Window,
    /// `--time-lag-reread`.
    reread: Duration,
}

impl Watched {
    /// After a failure of the cluster the next refresh connects anew ([`Error::spoils_session`]).
    fn forget_session_after(&mut self, e: &Error) {
        if e.spoils_session() {
            self.session = None;
        }
    }

    /// `kbp diagnose`'s sample and cluster measurement, the window judged, as families.
    fn refresh(&mut self) -> Result<Vec<Metric>> {
        let session = match &self.session {
            Some(s) => s,
            None => {
                let session = Session::connect(&self.settings)?;
                session.reread_time_lag_after(self.reread);
                self.session.insert(session)
            }
        };
        let hidden = Progress::spinner(true, false);
        let measurement = brokers::Measurement::start(
            &brokers::Selection::default(),
            session.timeout(),
            &hidden,
        )?;
        let sample = take_sample(session, &self.selection, &hidden)?;
        let measured = measurement.finish(session, &hidden)?;
        // Pushed first: the sample before it is reduced to a trace before anything is built.
        self.window.push(sample);
        let mut families = self
            .window
            .latest()
            .and_then(|s| s.lag.metrics())
            .unwrap_or_default();
        let verdicts = self
            .window
            .judge(measured.report, &measured.topic_partitions, vec![]);
        families.extend(verdicts.metrics().unwrap_or_default());
        Ok(families)
    }
}
