//! `kbp drain`: clear a backlog at a controlled pace without losing a record.
//!
//! One poll loop (`kafka::consumer`) alone talks to Kafka; a bounded, ordering-aware queue
//! ([`lanes`]) feeds a worker pool ([`workers`]) that writes to a sink ([`sinks`]) and
//! knows nothing of Kafka; the [`engine`] decides pauses (with [`flow`] hysteresis) and
//! commits only what the [`tracker`] proves processed. The pure parts are unit-tested
//! without a broker. docs/drain.md has the diagram and the guarantees.

pub mod backoff;
pub mod engine;
pub mod flow;
pub mod lanes;
pub mod rate;
pub mod sinks;
pub mod tracker;
pub mod workers;

/// The deterministic generator the randomized unit tests share (splitmix64), so a failing
/// seed can be replayed.
#[cfg(test)]
pub(crate) mod test_rng {
    pub struct Rng(pub u64);

    /// The integer types the tests draw bounds in.
    pub trait Bound: Copy {
        fn to_u64(self) -> u64;
        fn from_u64(v: u64) -> Self;
    }

    impl Bound for u64 {
        fn to_u64(self) -> u64 {
            self
        }
        fn from_u64(v: u64) -> Self {
            v
        }
    }

    impl Bound for usize {
        fn to_u64(self) -> u64 {
            self as u64
        }
        fn from_u64(v: u64) -> Self {
            v as usize
        }
    }

    /// Untyped literals (`rng.below(200)`) land here; bounds are positive.
    impl Bound for i32 {
        fn to_u64(self) -> u64 {
            self as u64
        }
        fn from_u64(v: u64) -> Self {
            v as i32
        }
    }

    impl Rng {
        pub fn below<T: Bound>(&mut self, n: T) -> T {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            T::from_u64((z ^ (z >> 31)) % n.to_u64())
        }
    }
}

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cli::{DrainArgs, SummaryFormat};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::kafka::consumer::{ConsumerSpec, Fields, Record, StartFrom};
use crate::kafka::producer::Forwarder;
use crate::kafka::{KafkaCode, OffsetSpec, Session, TopicPartition};
use crate::output::{self, Format, Progress};
use engine::{Counters, Engine, Limits, PartitionSummary, StopReason};
use sinks::{Sink, SinkError};
use workers::{Forward, OnFailure, OrderingMode, Pool};

/// `--sink`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    Null,
    File(PathBuf),
    Exec(String),
    /// A topic, on this cluster or on another context's (`topic:NAME@CONTEXT`).
    Topic(String, Option<String>),
}

impl SinkSpec {
    pub fn parse(s: &str) -> Result<SinkSpec> {
        let bad = |why: &str| Error::usage(format!("--sink {s}: {why}"));
        Ok(match s.split_once(':') {
            None if s == "stdout" => SinkSpec::Stdout,
            None if s == "null" => SinkSpec::Null,
            Some(("file", p)) if !p.is_empty() => SinkSpec::File(PathBuf::from(p)),
            Some(("exec", c)) if !c.trim().is_empty() => SinkSpec::Exec(c.to_string()),
            Some(("topic", t)) if !t.is_empty() => match t.split_once('@') {
                Some((name, ctx)) if !name.is_empty() && !ctx.is_empty() => {
                    SinkSpec::Topic(name.into(), Some(ctx.into()))
                }
                Some(_) => return Err(bad("expected topic:NAME or topic:NAME@CONTEXT")),
                None => SinkSpec::Topic(t.to_string(), None),
            },
            Some(("file" | "exec" | "topic", _)) => return Err(bad("missing the part after ':'")),
            _ => {
                return Err(bad(
                    "expected stdout, null, file:PATH, exec:CMD or topic:NAME",
                ))
            }
        })
    }
}

pub fn parse_on_failure(s: &str) -> Result<OnFailure> {
    match s.split_once(':') {
        None if s == "stop" => Ok(OnFailure::Stop),
        None if s == "skip" => Ok(OnFailure::Skip),
        Some(("dlq", t)) if !t.is_empty() => Ok(OnFailure::Dlq(t.to_string())),
        _ => Err(Error::usage(format!(
            "--on-failure {s}: expected stop, skip or dlq:TOPIC"
        ))),
    }
}

pub fn parse_from(s: &str) -> Result<StartFrom> {
    match s {
        "committed" | "earliest" => Ok(StartFrom::Earliest),
        "latest" => Ok(StartFrom::Latest),
        _ => Err(Error::usage(format!(
            "--from {s}: expected committed, earliest or latest"
        ))),
    }
}

/// `--until` before the cluster is asked: `end` needs the end offsets.
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    End,
    Offsets {
        all: Option<i64>,
        each: HashMap<TopicPartition, i64>,
    },
    Time(i64),
}

pub fn parse_until(s: &str) -> Result<Until> {
    let bad = |why: String| Error::usage(format!("--until {s}: {why}"));
    if s == "end" {
        return Ok(Until::End);
    }
    match s.split_once(':') {
        Some(("time", t)) => {
            let at = humantime::parse_rfc3339_weak(t)
                .map_err(|e| bad(format!("not an RFC 3339 time ({e})")))?;
            let ms = at
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|_| bad("before 1970".into()))?
                .as_millis();
            Ok(Until::Time(ms as i64))
        }
        Some(("offset", spec)) => {
            if let Ok(n) = spec.parse::<i64>() {
                return Ok(Until::Offsets {
                    all: Some(n),
                    each: HashMap::new(),
                });
            }
            let mut each = HashMap::new();
            for part in spec.split(',') {
                let parsed = part.rsplit_once('=').and_then(|(tp, n)| {
                    let (t, p) = tp.rsplit_once('/')?;
                    Some((
                        TopicPartition::new(t, p.parse().ok()?),
                        n.parse::<i64>().ok()?,
                    ))
                });
                let (tp, n) =
                    parsed.ok_or_else(|| bad(format!("'{part}' is not TOPIC/PARTITION=OFFSET")))?;
                each.insert(tp, n);
            }
            Ok(Until::Offsets { all: None, each })
        }
        _ => Err(bad(
            "expected end, offset:N, offset:TOPIC/P=N,... or time:RFC3339".into(),
        )),
    }
}

/// The summary of a drain (`--summary json` on stdout, a table on stderr otherwise).
#[derive(Debug, Serialize)]
pub struct DrainSummary {
    pub group: String,
    pub topics: Vec<String>,
    pub stop_reason: StopReason,
    pub duration_ms: u64,
    pub dry_run: bool,
    #[serde(flatten)]
    pub counters: Counters,
    pub partitions: Vec<PartitionSummary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

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
}

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
fn fields_read(plan: &Plan, args: &DrainArgs) -> Fields {
    let lines = |format| format == sinks::LineFormat::Json;
    let dlq = matches!(plan.on_failure, OnFailure::Dlq(_));
    Fields {
        payload: plan.sink != SinkSpec::Null || args.ordering == OrderingMode::Key || dlq,
        headers: dlq
            || match plan.sink {
                SinkSpec::Null | SinkSpec::Exec(_) => false,
                SinkSpec::Stdout | SinkSpec::File(_) => lines(args.format),
                SinkSpec::Topic(..) => true,
            },
    }
}

/// Every flag as its typed value: all usage errors surface before Kafka is asked.
struct Plan {
    sink: SinkSpec,
    on_failure: OnFailure,
    from: StartFrom,
    until: Option<Until>,
    flow: flow::Hysteresis,
    backoff: backoff::Backoff,
    rate: Option<f64>,
}

fn plan(args: &DrainArgs) -> Result<Plan> {
    if args.workers == 0 {
        return Err(Error::usage("--workers must be at least 1"));
    }
    Ok(Plan {
        sink: SinkSpec::parse(&args.sink)?,
        on_failure: parse_on_failure(&args.on_failure)?,
        from: parse_from(&args.from)?,
        until: args.until.as_deref().map(parse_until).transpose()?,
        flow: flow::Hysteresis::new(args.high_water, args.low_water, Duration::from_millis(50))
            .map_err(Error::usage)?,
        backoff: backoff::Backoff::new(args.backoff_initial, args.backoff_max)
            .map_err(Error::usage)?,
        rate: args
            .rate
            .as_deref()
            .map(rate::parse_rate)
            .transpose()
            .map_err(Error::usage)?,
    })
}

/// Per partition, the first offset not to process, from `--until`.
fn offset_limits(
    session: &Session,
    until: &Until,
    partitions: &[TopicPartition],
) -> Result<Option<HashMap<TopicPartition, i64>>> {
    Ok(match until {
        Until::End => {
            let ends = session.list_offsets(partitions, OffsetSpec::Latest)?;
            let mut m = HashMap::new();
            for tp in partitions {
                match ends.get(tp) {
                    Some(Ok(o)) => m.insert(tp.clone(), o.offset),
                    _ => {
                        return Err(Error::kafka(
                            "ListOffsets",
                            format!("no end offset for {}/{}", tp.topic, tp.partition),
                        ))
                    }
                };
            }
            Some(m)
        }
        Until::Offsets { all, each } => Some(
            partitions
                .iter()
                .map(|tp| {
                    (
                        tp.clone(),
                        each.get(tp).copied().or(*all).unwrap_or(i64::MAX),
                    )
                })
                .collect(),
        ),
        Until::Time(_) => None,
    })
}

/// `global` resolves another context for `--sink topic:NAME@CONTEXT`.
pub fn run(settings: &Settings, global: &crate::cli::GlobalArgs, args: &DrainArgs) -> Result<()> {
    let plan = plan(args)?;
    let session = Session::connect(settings)?;
    let described = session.describe_topics(&args.topics)?;
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
    let partitions: Vec<TopicPartition> = described
        .iter()
        .flat_map(|t| {
            t.partitions
                .iter()
                .map(|p| TopicPartition::new(t.name.clone(), p.partition))
        })
        .collect();
    let offsets = match &plan.until {
        Some(u) => offset_limits(&session, u, &partitions)?,
        None => None,
    };
    let default_start = match offsets {
        Some(_) => {
            let spec = if plan.from == StartFrom::Latest {
                OffsetSpec::Latest
            } else {
                OffsetSpec::Earliest
            };
            let listed = session.list_offsets(&partitions, spec)?;
            listed
                .into_iter()
                .filter_map(|(tp, r)| Some((tp, r.ok()?.offset)))
                .collect()
        }
        None => HashMap::new(),
    };
    let limits = Limits {
        offsets,
        default_start,
        time_ms: match plan.until {
            Some(Until::Time(ms)) => Some(ms),
            _ => None,
        },
        max_records: args.max_records,
        idle: args.idle,
    };

    let sink: Arc<dyn Sink> = match &plan.sink {
        SinkSpec::Stdout => Arc::new(sinks::StdoutSink::new(args.format, args.value_format)),
        SinkSpec::Null => Arc::new(sinks::NullSink),
        SinkSpec::File(p) => Arc::new(
            sinks::FileSink::open(p, args.format, args.value_format)
                .map_err(|e| Error::usage(format!("--sink file:{}: {e}", p.display())))?,
        ),
        SinkSpec::Exec(c) => Arc::new(sinks::ExecSink::new(c.clone())),
        SinkSpec::Topic(t, context) => {
            let target = match context {
                // That context's own connection: none of this cluster's flags apply.
                Some(ctx) => crate::config::resolve(
                    &crate::cli::GlobalArgs {
                        context: Some(ctx.clone()),
                        config: global.config.clone(),
                        verbose: global.verbose,
                        ..Default::default()
                    },
                    true,
                )?,
                None => settings.clone(),
            };
            Arc::new(TopicSink {
                forwarder: Forwarder::new(&target)?,
                topic: t.clone(),
            })
        }
    };
    let dlq: Option<Arc<dyn Forward>> = match plan.on_failure {
        OnFailure::Dlq(_) => Some(Arc::new(Forwarder::new(settings)?)),
        _ => None,
    };
    let rate = match plan.rate {
        Some(r) => Some(Mutex::new(
            rate::TokenBucket::new(r, r.max(1.0), Instant::now()).map_err(Error::usage)?,
        )),
        None => None,
    };

    let signals = Arc::new(AtomicUsize::new(0));
    let abort = Arc::new(AtomicBool::new(false));
    watch_signals(&signals, &abort)?;

    // A sink that does nothing needs no worker: a record is processed once it arrives
    // (unless `--rate` paces it, which the workers do).
    let inline = plan.sink == SinkSpec::Null && plan.rate.is_none();
    let fields = fields_read(&plan, args);
    let lanes = Arc::new(lanes::Lanes::new());
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let closing = Arc::new(AtomicBool::new(false));
    let pool = Arc::new(Pool {
        sink: Arc::clone(&sink),
        retries: args.retries,
        backoff: plan.backoff,
        on_failure: plan.on_failure.clone(),
        dlq,
        rate,
        abort: Arc::clone(&abort),
        closing: Arc::clone(&closing),
        workers: args.workers,
    });
    let handles = pool.spawn(args.workers, Arc::clone(&lanes), done_tx);
    let engine = Arc::new(Mutex::new(Engine::new(
        engine::Settings {
            ordering: args.ordering,
            workers: args.workers,
            commit_interval: args.commit_interval,
            shutdown_timeout: args.shutdown_timeout,
            dry_run: args.dry_run,
            limits,
        },
        plan.flow,
        Arc::clone(&lanes),
        Arc::clone(&sink),
        inline,
        done_rx,
        Arc::clone(&signals),
        Arc::clone(&abort),
    )));

    let progress = Progress::spinner(args.quiet, settings.verbose);
    let spec = ConsumerSpec {
        group: args.group.clone(),
        topics: args.topics.clone(),
        from: plan.from,
        // librdkafka's own prefetch, bounded (docs/drain.md, "Memory").
        properties: vec![
            ("queued.max.messages.kbytes".into(), "16384".into()),
            ("queued.min.messages".into(), "10000".into()),
            ("fetch.max.bytes".into(), "8388608".into()),
            ("max.partition.fetch.bytes".into(), "1048576".into()),
            ("fetch.queue.backoff.ms".into(), "10".into()),
        ],
        fields,
    };
    let finished = Arc::new(AtomicBool::new(false));
    let reporter = report_progress(&engine, &progress, &finished);
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
    let summary = DrainSummary {
        group: args.group.clone(),
        topics: args.topics.clone(),
        stop_reason: e.stop_reason.clone(),
        duration_ms: e.started.elapsed().as_millis() as u64,
        dry_run: args.dry_run,
        counters: e.counters.clone(),
        partitions: e.partition_summaries(),
        errors: e.errors.clone(),
    };
    drop(e);
    match args.summary {
        SummaryFormat::Json => output::emit(&summary, Format::JsonLine)?,
        SummaryFormat::Text => output::emit_stderr(&summary, Format::Table)?,
    }
    match summary.stop_reason {
        StopReason::Failed => Err(Error::DrainStopped(
            summary
                .errors
                .last()
                .cloned()
                .unwrap_or_else(|| "a record failed".into()),
        )),
        _ => Ok(()),
    }
}

/// First SIGINT/SIGTERM: finish and commit. Second: leave at once, committing nothing more.
fn watch_signals(count: &Arc<AtomicUsize>, abort: &Arc<AtomicBool>) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).map_err(|e| Error::Io {
            context: "installing signal handlers".into(),
            source: e,
        })?;
    let count = Arc::clone(count);
    let abort = Arc::clone(abort);
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if count.fetch_add(1, Ordering::SeqCst) >= 1 {
                abort.store(true, Ordering::SeqCst);
                eprintln!("kbp: interrupted again: exiting without committing unprocessed records");
                std::process::exit(130);
            }
            eprintln!("kbp: stopping: finishing in-flight records (Ctrl-C again to exit at once)");
        }
    });
    Ok(())
}

fn report_progress(
    engine: &Arc<Mutex<Engine>>,
    progress: &Progress,
    finished: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let engine = Arc::clone(engine);
    let finished = Arc::clone(finished);
    let bar = progress.handle();
    std::thread::spawn(move || {
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
                    output::compact_duration((left as f64 / rate * 1000.0) as u64)
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
    })
}
