//! `kbp drain`: the command around the drain engine (`crate::drain`).
//!
//! Everything that happens before the join (flags checked, topics described, the plan, the
//! live-group guard), the wiring of sink, DLQ, workers and engine to the poll loop, the
//! progress line, and the summary with its exit code. The engine itself knows none of the
//! command line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::guard::Guard;
use crate::cli::{DrainArgs, SummaryFormat};
use crate::config::Settings;
use crate::drain::engine::{self, Engine, Limits};
use crate::drain::pipe::{self, PipeSink};
use crate::drain::sinks::{self, Answers, Batching, Route, Sink, SinkError};
use crate::drain::spec::SinkSpec;
use crate::drain::workers::{Forward, OnFailure, OrderingMode, Pool};
use crate::drain::{backoff, flow, lanes, plan, rate};
use crate::error::{Error, Result};
use crate::kafka::consumer::{ConsumerSpec, Fields, Record};
use crate::kafka::producer::{Deliveries, Forwarder};
use crate::kafka::{AclOperation, KafkaCode, Need, Session, TopicPartition};
use crate::output::{self, Format, Progress};
use crate::report::drain::{DrainSummary, StopReason};

/// How kbp drain members name themselves, so the live-group guard tells them from the
/// group's applications (`client.id` is `kbp-drain`, or `kbp-drain-ID` with `-X client.id=ID`).
pub const CLIENT_ID: &str = "kbp-drain";

struct TopicSink {
    forwarder: Forwarder,
    topic: String,
}

impl Sink for TopicSink {
    fn write(&self, r: &Record) -> std::result::Result<(), SinkError> {
        self.forwarder
            .send(
                &self.topic,
                r.key.as_deref(),
                r.value.as_deref(),
                &r.headers,
            )
            .map_err(SinkError::Failed)
    }

    /// The whole batch is sent before any acknowledgement is waited for (and the lane's
    /// next batch may be sent meanwhile): every result is reported, and a failed record is
    /// retried after the others.
    fn send(&self, _: Route, records: &[&Record]) -> Option<Box<dyn Answers>> {
        let outgoing: Vec<_> = records
            .iter()
            .map(|r| (r.key.as_deref(), r.value.as_deref(), r.headers.as_slice()))
            .collect();
        Some(Box::new(Acks(
            self.forwarder.send_batch(&self.topic, &outgoing),
        )))
    }

    fn batching(&self) -> Batching {
        Batching::Latency(TOPIC_BATCH)
    }
}

/// A topic batch's acknowledgements, as sink results.
struct Acks(Deliveries);

impl Answers for Acks {
    fn wait(self: Box<Self>, results: &mut Vec<std::result::Result<(), SinkError>>) {
        results.extend(
            self.0
                .wait()
                .into_iter()
                .map(|r| r.map_err(SinkError::Failed)),
        );
    }
}

/// Most records one worker has in flight to the topic sink's brokers.
const TOPIC_BATCH: usize = 512;

impl Forward for Forwarder {
    fn forward(
        &self,
        topic: &str,
        r: &Record,
        extra: &[(String, String)],
    ) -> std::result::Result<(), String> {
        let mut headers = r.headers.clone();
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone().into_bytes()))),
        );
        self.send(topic, r.key.as_deref(), r.value.as_deref(), &headers)
    }
}

/// What of each record the sink, the lanes and the DLQ read; the rest is not copied.
fn fields_read(args: &DrainArgs) -> Fields {
    let lines = |format| format == sinks::LineFormat::Json;
    let dlq = matches!(args.on_failure, OnFailure::Dlq(_));
    Fields {
        payload: args.sink != SinkSpec::Null || args.ordering == OrderingMode::Key || dlq,
        headers: dlq
            || match args.sink {
                SinkSpec::Null | SinkSpec::Exec(_) => false,
                SinkSpec::Stdout | SinkSpec::File(_) | SinkSpec::Pipe(_) => lines(args.format),
                SinkSpec::Topic(..) => true,
            },
    }
}

/// The partitions of the drained topics; a topic that does not exist is exit 4.
fn drained_partitions(session: &Session, topics: &[String]) -> Result<Vec<TopicPartition>> {
    let described = session.describe_topics(topics)?;
    let missing: Vec<&str> = described
        .iter()
        .filter(|t| {
            t.error
                .as_ref()
                .is_some_and(|e| e.code == KafkaCode::UNKNOWN_TOPIC_OR_PART)
        })
        .map(|t| t.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::NotFound {
            what: "topic",
            names: missing.join(", "),
        });
    }
    if let Some((t, e)) = described.iter().find_map(|t| Some((t, t.error.as_ref()?))) {
        return Err(Error::kafka(
            "DescribeTopics",
            format!("topic {}: {e}", t.name),
        ));
    }
    Ok(described
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| TopicPartition::new(t.name.clone(), p.partition))
        })
        .collect())
}

/// Refuses to join a group whose live members are not kbp drains: the group protocol
/// would hand the drain their partitions, and their records would go to the sink instead
/// of the application. Other drains are fine: that is how a drain scales out.
const GUARD: Guard = Guard {
    welcome: |m| m.client_id.starts_with(CLIENT_ID),
    which: " that are not kbp drains",
    harm: "a drain would take their partitions",
    flag: "--join-live-group",
    act: "join",
    doing: "joining",
    forced: "they lose partitions to the drain while it runs",
};

fn guard_live_group(session: &Session, group: &str, join_anyway: bool) -> Result<()> {
    GUARD.check_group(session, group, join_anyway)
}

/// The drain's own client.id (see [`CLIENT_ID`]), and its settings without the user's.
fn drain_identity(settings: &Settings) -> (Settings, String) {
    let mut settings = settings.clone();
    let user = settings
        .properties
        .iter()
        .rposition(|(k, _)| k == "client.id")
        .map(|i| settings.properties[i].1.clone());
    settings.properties.retain(|(k, _)| k != "client.id");
    let id = match user {
        Some(u) if !u.is_empty() => format!("{CLIENT_ID}-{u}"),
        _ => CLIENT_ID.to_string(),
    };
    (settings, id)
}

/// The ACLs a drain needs on its own cluster: READ on the topics and the group, WRITE on a
/// `topic:` sink and a `dlq:` topic. Checked before anything is joined or consumed.
fn needs(args: &DrainArgs) -> Vec<Need> {
    let mut needs: Vec<Need> = args
        .topics
        .iter()
        .map(|t| Need::Topic(t.clone(), AclOperation::Read))
        .collect();
    needs.push(Need::Group(args.group.clone(), AclOperation::Read));
    if let SinkSpec::Topic(t, None) = &args.sink {
        needs.push(Need::Topic(t.clone(), AclOperation::Write));
    }
    if let OnFailure::Dlq(t) = &args.on_failure {
        needs.push(Need::Topic(t.clone(), AclOperation::Write));
    }
    needs
}

fn open_sink(
    settings: &Settings,
    global: &crate::config::Overrides,
    args: &DrainArgs,
) -> Result<Arc<dyn Sink>> {
    Ok(match &args.sink {
        SinkSpec::Stdout => Arc::new(
            sinks::StdoutSink::new(args.format, args.value_format)
                .map_err(|e| Error::SinkFailed(format!("--sink stdout: {e}")))?,
        ),
        SinkSpec::Null => Arc::new(sinks::NullSink),
        SinkSpec::File(p) => Arc::new(
            sinks::FileSink::open(p, args.format, args.value_format).map_err(|e| {
                let why = format!("--sink file:{}: {e}", p.display());
                match e.kind() {
                    // kbp's own stdout, closed: a sink failure, as for --sink stdout.
                    std::io::ErrorKind::BrokenPipe => Error::SinkFailed(why),
                    _ => Error::usage(why),
                }
            })?,
        ),
        SinkSpec::Exec(c) => Arc::new(sinks::ExecSink::new(c.clone())),
        SinkSpec::Pipe(c) => Arc::new(
            PipeSink::start(
                c.clone(),
                args.workers,
                args.format,
                args.value_format,
                args.ack_timeout,
            )
            .map_err(|e| Error::Io {
                context: format!("--sink pipe:{c}: starting its children"),
                source: e,
            })?,
        ),
        SinkSpec::Topic(t, context) => {
            let target = match context {
                // That context's own connection: none of this cluster's flags apply.
                Some(ctx) => {
                    let target = crate::config::resolve(&global.context_only(ctx), true)?;
                    Session::connect(&target)?.require(
                        &[Need::Topic(t.clone(), AclOperation::Write)],
                        &format!("kbp drain --sink topic:{t}@{ctx}"),
                    )?;
                    target
                }
                None => settings.clone(),
            };
            Arc::new(TopicSink {
                forwarder: Forwarder::new(&target)?,
                topic: t.clone(),
            })
        }
    })
}

/// `global` resolves another context for `--sink topic:NAME@CONTEXT`.
pub fn run(settings: &Settings, global: &crate::config::Overrides, args: &DrainArgs) -> Result<()> {
    // Every flag is checked before Kafka is asked.
    let flow = flow::Hysteresis::new(args.high_water, args.low_water, Duration::from_millis(50))
        .map_err(Error::usage)?;
    let backoff =
        backoff::Backoff::new(args.backoff_initial, args.backoff_max).map_err(Error::usage)?;
    if args.summary == SummaryFormat::Json {
        output::check_stdout()?;
    }
    let (settings, client_id) = drain_identity(settings);
    let settings = &settings;

    let session = Session::connect(settings)?;
    session.require(&needs(args), "kbp drain")?;
    let partitions = drained_partitions(&session, &args.topics)?;
    let bounds = plan::bounds(
        &session,
        &args.group,
        args.from,
        args.until.as_ref(),
        &partitions,
    )?;
    if let Some(note) = bounds.past_end_note() {
        crate::sys::diag!("kbp: note: {note}");
    }
    if args.dry_run {
        // What the run would meet, said without joining.
        if let Err(Error::LiveGroup(why)) =
            guard_live_group(&session, &args.group, args.join_live_group)
        {
            crate::output::warn(&format!("a drain would be refused (exit 8): {why}"));
        }
        if args.sink == SinkSpec::Stdout && crate::sys::stdout_closed() {
            crate::sys::diag!(
                "kbp: warning: a drain would fail (exit 6): --sink stdout: stdout is closed"
            );
        }
        let shown = plan::plan(
            &session,
            &args.group,
            &args.topics,
            args.until.as_ref(),
            bounds,
        )?;
        return match args.summary {
            SummaryFormat::Json => output::emit(&shown, Format::JsonLine),
            SummaryFormat::Text => output::emit_stderr(&shown, Format::Table),
        };
    }
    guard_live_group(&session, &args.group, args.join_live_group)?;
    let limits = Limits {
        max_records: args.max_records,
        idle: args.idle,
        ..bounds.limits
    };
    drop(session);

    let sink = open_sink(settings, global, args)?;
    if matches!(args.sink, SinkSpec::Pipe(_)) {
        // A signal that ends kbp at once skips the sink's drop: its children go with it.
        crate::signals::on_exit(Some(pipe::kill_children));
    }
    let dlq: Option<Arc<dyn Forward>> = match args.on_failure {
        OnFailure::Dlq(_) => Some(Arc::new(Forwarder::new(settings)?)),
        _ => None,
    };
    let rate = match args.rate {
        Some(r) => Some(Mutex::new(
            rate::TokenBucket::new(r, r.max(1.0), Instant::now()).map_err(Error::usage)?,
        )),
        None => None,
    };

    // From here on the first signal finishes in-flight work and commits it.
    let signals = crate::signals::graceful(
        "stopping: finishing in-flight records (Ctrl-C again to exit at once)",
    )?;
    // A sink that does nothing needs no worker: a record is processed once it arrives
    // (unless `--rate` paces it, which the workers do).
    let inline = args.sink == SinkSpec::Null && args.rate.is_none();
    let fields = fields_read(args);
    let lanes = Arc::new(lanes::Lanes::new());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let closing = Arc::new(AtomicBool::new(false));
    let pool = Arc::new(Pool {
        sink: Arc::clone(&sink),
        retries: args.retries,
        backoff,
        on_failure: args.on_failure.clone(),
        dlq,
        rate,
        abort: Arc::clone(&signals.abort),
        signals: Arc::clone(&signals.count),
        closing: Arc::clone(&closing),
        workers: args.workers,
        halt: Default::default(),
    });
    let workers = if inline { 0 } else { args.workers };
    let handles = pool.spawn(workers, Arc::clone(&lanes), done_tx)?;
    let engine = Arc::new(Mutex::new(Engine::new(engine::EngineConfig {
        settings: engine::Settings {
            ordering: args.ordering,
            workers: args.workers,
            commit_interval: args.commit_interval,
            shutdown_timeout: args.shutdown_timeout,
            no_commit: args.no_commit,
            limits,
        },
        flow,
        lanes: Arc::clone(&lanes),
        sink: Arc::clone(&sink),
        inline,
        completions: done_rx,
        signals: Arc::clone(&signals.count),
        abort: Arc::clone(&signals.abort),
    })));

    let progress = Progress::spinner(args.quiet, settings.verbose);
    let spec = ConsumerSpec {
        group: args.group.clone(),
        client_id,
        topics: args.topics.clone(),
        from: args.from,
        // librdkafka's own prefetch, bounded (docs/drain.md, "Memory").
        properties: vec![
            ("queued.max.messages.kbytes".into(), "16384".into()),
            ("queued.min.messages".into(), "10000".into()),
            ("fetch.max.bytes".into(), "8388608".into()),
            ("max.partition.fetch.bytes".into(), "1048576".into()),
            ("fetch.queue.backoff.ms".into(), "10".into()),
        ],
        fields,
        shutdown_timeout: args.shutdown_timeout,
    };
    let finished = Arc::new(AtomicBool::new(false));
    let reporter = report_progress(&engine, &progress, &finished)?;
    let driver: Arc<Mutex<dyn crate::kafka::consumer::Driver>> = engine.clone();
    let result = crate::kafka::consumer::run(settings, &spec, driver);
    finished.store(true, Ordering::Relaxed);
    reporter.thread().unpark();
    let _ = reporter.join();
    progress.finish();
    closing.store(true, Ordering::Relaxed);
    lanes.close();
    for h in handles {
        let _ = h.join();
    }
    result?;

    let e = engine.lock().unwrap_or_else(|p| p.into_inner());
    let mut counters = e.counters.clone();
    counters.replaced = sink.replaced();
    let summary = DrainSummary {
        group: args.group.clone(),
        topics: args.topics.clone(),
        stop_reason: e.stop_reason.clone(),
        duration_ms: e.started.elapsed().as_millis() as u64,
        no_commit: args.no_commit,
        counters,
        partitions: e.partition_summaries(),
        errors: e.errors.clone(),
    };
    drop(e);
    drop(signals);
    match args.summary {
        SummaryFormat::Json => output::emit(&summary, Format::JsonLine)?,
        SummaryFormat::Text => output::emit_stderr(&summary, Format::Table)?,
    }
    let last_error = || {
        summary
            .errors
            .last()
            .cloned()
            .unwrap_or_else(|| "a record failed".into())
    };
    match summary.stop_reason {
        // The record that stopped it, not whichever failed last.
        StopReason::Failed => Err(Error::DrainStopped(
            pool.halt
                .first()
                .map(|f| format!("failed {f}"))
                .unwrap_or_else(last_error),
        )),
        StopReason::SinkFailed => Err(Error::SinkFailed(format!(
            "--sink {}: {}",
            sink_label(&args.sink),
            last_error()
        ))),
        _ => Ok(()),
    }
}

fn sink_label(sink: &SinkSpec) -> String {
    match sink {
        SinkSpec::Stdout => "stdout".into(),
        SinkSpec::Null => "null".into(),
        SinkSpec::File(p) => format!("file:{}", p.display()),
        SinkSpec::Exec(c) => format!("exec:{c}"),
        SinkSpec::Pipe(c) => format!("pipe:{c}"),
        SinkSpec::Topic(t, None) => format!("topic:{t}"),
        SinkSpec::Topic(t, Some(c)) => format!("topic:{t}@{c}"),
    }
}

fn report_progress(
    engine: &Arc<Mutex<Engine>>,
    progress: &Progress,
    finished: &Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>> {
    let engine = Arc::clone(engine);
    let finished = Arc::clone(finished);
    let bar = progress.handle();
    let spawned = std::thread::Builder::new().name("kbp-progress".into()).spawn(move || {
        let started = Instant::now();
        loop {
            // Parked, not slept: the end of the drain unparks it at once.
            std::thread::park_timeout(Duration::from_millis(250));
            if finished.load(Ordering::Relaxed) {
                return;
            }
            let Ok(e) = engine.lock() else { return };
            let c = &e.counters;
            let secs = started.elapsed().as_secs_f64().max(0.001);
            let rate = c.processed as f64 / secs;
            let remaining = match e.remaining() {
                Some(left) if rate > 0.0 => format!(
                    ", {left} to go (ETA {})",
                    crate::human::compact_duration((left as f64 / rate * 1000.0) as u64)
                ),
                Some(left) => format!(", {left} to go"),
                None => String::new(),
            };
            bar.set_message(format!(
                "{} processed ({:.0}/s){remaining}, {} skipped, {} failed, {} in flight{}, {} retries, {} pauses",
                c.processed,
                rate,
                c.skipped + c.dead_lettered,
                c.failed,
                e.in_flight(),
                if e.is_paused() { " (paused)" } else { "" },
                c.retries,
                c.pauses,
            ));
        }
    });
    spawned.map_err(|e| Error::Io {
        context: "starting the progress thread".into(),
        source: e,
    })
}
