//! `kbp serve`: a Prometheus exporter of lag, exact time lag and diagnose's verdicts.
//!
//! Each cluster (one per `--context`) has a refresher thread of its own that reads it every
//! `--interval` through `kbp diagnose`'s sampling, keeps the samples of the last `--window`
//! and judges them with the same rules ([`crate::cmd::diagnose::Window`]), so a verdict on
//! `/metrics` is the one `kbp diagnose --window` gives. The HTTP side (`http.rs`) answers
//! from what the last refresh left in [`state::Shared`]: a scrape never waits for Kafka.
//! A failed refresh keeps the last values with `kbp_up 0` and a growing staleness, and the
//! next one recovers by itself.

mod gzip;
mod http;
mod refresh;
mod state;
mod web;

use std::sync::Arc;

use crate::cli::{GlobalArgs, ServeArgs};
use crate::cmd::lag;
use crate::config::{self, Settings};
use crate::error::{Error, Result};

/// One cluster to watch: its label and its merged settings.
struct Target {
    cluster: String,
    settings: Settings,
}

pub fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<()> {
    check_window(args)?;
    crate::sys::tune_malloc_for_a_server();
    let targets = targets(global)?;
    let selection = lag::Selection {
        time_lag: !args.no_time_lag,
        missing_ok: true,
        ..lag::Selection::from(&args.scope)
    };
    let shared = Arc::new(state::Shared::new(
        targets.iter().map(|t| t.cluster.clone()).collect(),
        args.interval,
    ));
    let web = args
        .web_config
        .as_deref()
        .map(web::WebConfig::load)
        .transpose()?;
    let users = web
        .as_ref()
        .and_then(|w| w.auth.as_ref())
        .map(|a| a.users());
    // Bound before any cluster is asked: a port in use is the operator's to fix first.
    let server = http::Server::bind(args.listen, Arc::clone(&shared), web)?;
    crate::sys::diag!(
        "kbp serve: {}://{}/metrics,{} {} cluster(s), refreshed every {}, verdicts over {}",
        server.scheme(),
        server.local_addr(),
        users.map_or(String::new(), |n| format!(" basic auth ({n} user(s)),")),
        targets.len(),
        humantime::format_duration(args.interval),
        humantime::format_duration(args.window),
    );
    let signals = crate::signals::graceful("stopping (Ctrl-C again to exit at once)")?;
    let mut refreshers = Vec::new();
    for (index, target) in targets.into_iter().enumerate() {
        refreshers.push(refresh::spawn(
            Arc::clone(&shared),
            index,
            target.settings,
            selection.clone(),
            args.window,
            args.time_lag_reread,
        )?);
    }
    let served = server.run(Arc::clone(&signals.count));
    // The refreshers stop at their next wake-up; one stuck in a Kafka call ends with the
    // process, bounded by --timeout.
    drop(refreshers);
    drop(signals);
    served
}

/// A verdict compares two samples of the window: one shorter than two refreshes would
/// judge from a sample older than itself, or from none (docs/metrics.md).
fn check_window(args: &ServeArgs) -> Result<()> {
    if args.window >= args.interval * 2 {
        return Ok(());
    }
    // --window is at most a day (values::parse_period).
    if args.interval > std::time::Duration::from_secs(43_200) {
        return Err(Error::usage(format!(
            "--interval {}: no --window (at most 1day) holds two refreshes; give --interval 12h or less",
            humantime::format_duration(args.interval),
        )));
    }
    Err(Error::usage(format!(
        "--window {} is shorter than 2 x --interval {}: a verdict needs two refreshes in the window; give --window {} or more",
        humantime::format_duration(args.window),
        humantime::format_duration(args.interval),
        humantime::format_duration(args.interval * 2),
    )))
}

/// The clusters of the command line: each `--context` (labelled with its name), or the
/// one the flags and the current context give (labelled `default`).
fn targets(global: &GlobalArgs) -> Result<Vec<Target>> {
    let overrides = global.overrides();
    if global.context.len() <= 1 {
        let cluster = global
            .context
            .first()
            .cloned()
            .unwrap_or_else(|| "default".into());
        let settings = config::resolve(&overrides, true)?;
        return Ok(vec![Target { cluster, settings }]);
    }
    if global.bootstrap_server.is_some() {
        return Err(Error::usage(
            "--bootstrap-server with several --context: each context names its own cluster",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    global
        .context
        .iter()
        .map(|name| {
            if !seen.insert(name) {
                return Err(Error::usage(format!("--context {name} given twice")));
            }
            let settings = config::resolve(
                &config::Overrides {
                    context: Some(name.clone()),
                    ..overrides.clone()
                },
                true,
            )?;
            Ok(Target {
                cluster: name.clone(),
                settings,
            })
        })
        .collect()
}
