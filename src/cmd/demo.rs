//! `kbp demo`: the backpressure story of the seeds, played on librdkafka's in-process mock
//! cluster, so that a fresh clone shows every command working with no Kafka installed.
//!
//! The story is a list of [`Step`]s. A command step prints the kbp command line it stands
//! for and runs exactly that line through [`super::dispatch`]: what the user sees is the
//! real output of the real code path, against real (mock) brokers. The traffic, a steady
//! producer and a slower group member, runs on threads of its own, paced by `--speed`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cli::DemoArgs;
use crate::config::{self, ConfigFile, Settings};
use crate::error::{Error, Result};
use crate::kafka::mock::{DemoCluster, DemoMember, DemoProducer};
use crate::output;

pub const TOPIC: &str = "orders";
pub const GROUP: &str = "demo-slow";
const BROKERS: i32 = 3;
const PARTITIONS: i32 = 6;

/// Records per second at `--speed 1`: the producer outruns the group three to one.
const PRODUCE_RATE: f64 = 300.0;
const CONSUME_RATE: f64 = 100.0;
/// The drain's pace: it clears the backlog in a few seconds, slowly enough to watch, and
/// its queue fills, so it pauses and resumes the partitions.
const DRAIN_RATE: f64 = 400.0;
/// `--serve` may run for hours and the mock brokers keep every record in memory.
const SERVE_PRODUCE_RATE: f64 = 50.0;
const SERVE_CONSUME_RATE: f64 = 20.0;
/// How long the group reads before `--serve` leaves it to the user, at `--speed 1`.
const SERVE_HEAD_START: Duration = Duration::from_secs(2);
/// How long the group runs behind before each look at its lag, at `--speed 1`.
const LOOK_EVERY: Duration = Duration::from_secs(3);

/// How long `kbp diagnose` samples the group, at `--speed 1`: long enough to see the lag
/// rise, short enough for the story.
const DIAGNOSE_WINDOW: Duration = Duration::from_secs(4);

/// One beat of the story.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A paragraph of narration.
    Say(String),
    /// Let the traffic run this long (at `--speed 1`).
    Wait(Duration),
    /// Run this kbp command line (after `kbp -b BOOTSTRAP`) and show its output.
    Kbp(Vec<String>),
    /// The producer stops and the slow member leaves its group.
    StopTraffic,
}

fn say(text: &str) -> Step {
    Step::Say(text.to_string())
}

fn kbp(args: &[&str]) -> Step {
    Step::Kbp(args.iter().map(|a| a.to_string()).collect())
}

/// The story at `speed`; rates in it are already scaled, waits are not.
pub fn story(speed: f64) -> Vec<Step> {
    let lag = kbp(&["lag", "--group", GROUP, "--topic", TOPIC]);
    let drain_rate = format!("{}/s", (DRAIN_RATE * speed).round());
    let window = format!("{}ms", (DIAGNOSE_WINDOW.as_millis() as f64 / speed).round());
    let mut steps = vec![
        Step::Wait(LOOK_EVERY),
        say("How far behind is the group? kbp lag reads its committed offsets and the log ends:"),
        lag.clone(),
        Step::Wait(LOOK_EVERY),
        say("A few seconds later the lag has grown: the consumer cannot keep up."),
        lag.clone(),
    ];
    steps.extend([
        say("kbp diagnose samples the group over a window and names the cause:"),
        kbp(&[
            "diagnose",
            "--group",
            GROUP,
            "--topic",
            TOPIC,
            "--window",
            &window,
            "--samples",
            "4",
            "--fail-on",
            "never",
        ]),
        Step::StopTraffic,
        say(&format!(
            "The burst is over: the producer stops, and the slow consumer is stopped so that\n\
             kbp drain can take over {GROUP}. The drain reads up to the log end it captured at\n\
             its start, pauses the partitions whenever its queue is full (PAUSES), and commits\n\
             only offsets whose records were processed (COMMITS):"
        )),
        kbp(&[
            "drain",
            "-g",
            GROUP,
            "-t",
            TOPIC,
            "--until",
            "end",
            "--sink",
            "null",
            "--rate",
            &drain_rate,
            "--high-water",
            "200",
            "--low-water",
            "100",
        ]),
        say("The backlog is gone: the group has caught up."),
        lag,
    ]);
    steps
}

pub fn run(args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let cluster = DemoCluster::start(BROKERS)?;
    cluster.create_topic(TOPIC, PARTITIONS, BROKERS)?;
    let all = cluster.bootstrap().to_string();
    // One broker is enough to bootstrap from, and keeps the command lines short.
    let first = all.split(',').next().unwrap_or(&all).to_string();
    let settings = config::merge(
        &config::Overrides {
            bootstrap_server: Some(all.clone()),
            ..Default::default()
        },
        None,
        &ConfigFile::default(),
        true,
    )?;
    output::text(&format!(
        "kbp demo: a Kafka cluster of {BROKERS} brokers is up at {first}\n\
         (librdkafka's in-process mock cluster: nothing to install, gone when the demo ends).\n\
         The mock cannot describe consumer groups, so a group's state, members and owners\n\
         show as Unknown and -, and kbp cannot check it for live members; on a real\n\
         cluster they are all there.\n"
    ))?;
    // Said once above, in the story's words, instead of a warning at every step.
    output::explained(output::CANNOT_DESCRIBE_GROUPS);
    if args.serve {
        return serve(&settings, &first, args.speed);
    }
    let (produce, consume) = (PRODUCE_RATE * args.speed, CONSUME_RATE * args.speed);
    let traffic = Traffic::start(&settings, produce, consume)?;
    output::text(&format!(
        "\nTopic {TOPIC} ({PARTITIONS} partitions) gets {produce:.0} records/s from a producer, but consumer\n\
         group {GROUP} processes only {consume:.0} records/s: a backlog builds up.\n"
    ))?;
    let mut traffic = Some(traffic);
    for step in story(args.speed) {
        match step {
            Step::Say(text) => output::text(&format!("\n{text}\n"))?,
            Step::Wait(d) => std::thread::sleep(d.div_f64(args.speed)),
            Step::StopTraffic => {
                if let Some(t) = traffic.take() {
                    t.stop()?;
                }
            }
            Step::Kbp(line) => run_step(&first, &line)?,
        }
    }
    output::text(&format!(
        "\nThe whole story took {:.1}s. `kbp demo --serve` keeps a cluster up for your own commands.\n",
        started.elapsed().as_secs_f64()
    ))
}

/// Prints `$ kbp -b BOOTSTRAP ARGS` and runs exactly that, with its own output and errors.
fn run_step(bootstrap: &str, args: &[String]) -> Result<()> {
    let mut line = vec!["kbp".to_string(), "-b".into(), bootstrap.into()];
    line.extend(args.iter().cloned());
    let shown = line.join(" ");
    output::text(&format!("\n$ {shown}\n"))?;
    let mut cli = crate::cli::parse(&line)
        .map_err(|e| Error::usage(format!("demo step `{shown}`: {}", e.to_string().trim())))?;
    // The steps target the mock cluster only: never the user's config file or contexts.
    cli.global.config = Some("/dev/null".into());
    cli.global.context.clear();
    match super::finish(super::dispatch(&cli)) {
        0 => Ok(()),
        code => Err(Error::DemoStep {
            command: shown,
            code,
        }),
    }
}

/// `--serve`: the producer goes on until SIGINT or SIGTERM. The slow consumer reads only
/// for a moment: a second member in its group would hold every rebalance of the mock for
/// the newcomer's session timeout (45 s for kbp drain), so `demo-slow` is left empty, with
/// commits behind a growing log, for the user to lag and drain.
fn serve(settings: &Settings, bootstrap: &str, speed: f64) -> Result<()> {
    let signals = crate::signals::graceful("demo: stopping the cluster")?;
    let produce = SERVE_PRODUCE_RATE * speed;
    let mut traffic = Traffic::start(settings, produce, SERVE_CONSUME_RATE * speed)?;
    std::thread::sleep(SERVE_HEAD_START.div_f64(speed));
    traffic.stop_consumer()?;
    output::text(&format!(
        "\nTopic {TOPIC} ({PARTITIONS} partitions) gets {produce:.0} records/s. Consumer group {GROUP} read\n\
         for a moment and stopped: its backlog grows until you drain it.\n\
         \n\
         bootstrap: {bootstrap}\n\
         \n\
         Try, from another terminal:\n  \
           kbp -b {bootstrap} lag --group {GROUP} --topic {TOPIC}\n  \
           kbp -b {bootstrap} drain -g {GROUP} -t {TOPIC} --until end --sink null\n  \
           kbp -b {bootstrap} serve -g {GROUP} -t {TOPIC}   (then: curl localhost:9308/metrics)\n  \
           kcat -b {bootstrap} -L\n\
         The mock cluster cannot list or describe groups: name them with --group, and topics with --topic.\n\
         Ctrl-C stops the cluster.\n"
    ))?;
    while !signals.interrupted() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // No waiting on the producer: the cluster goes with the process.
    traffic.abandon();
    output::text("kbp demo: stopped\n")
}

/// The producer and the slow group member, each paced on a thread of its own.
struct Traffic {
    producer: Flow,
    consumer: Option<Flow>,
}

impl Traffic {
    fn start(settings: &Settings, produce: f64, consume: f64) -> Result<Traffic> {
        let producer = DemoProducer::new(settings)?;
        let member = DemoMember::join(settings, GROUP, &[TOPIC])?;
        let producer = Flow::spawn(move |stop| {
            let mut n = 0u64;
            paced(produce, stop, || {
                n += 1;
                let value = format!("{{\"order\":{n},\"amount\":{}}}", n % 97 + 3);
                producer.send(TOPIC, &format!("customer-{}", n % 50), &value)?;
                Ok(true)
            })?;
            producer.flush(Duration::from_secs(5));
            Ok(())
        })?;
        let consumer = Flow::spawn(move |stop| {
            let mut positions = HashMap::new();
            let mut committed_at = Instant::now();
            paced(consume, stop, || {
                let Some((tp, next)) = member.next(Duration::from_millis(10)) else {
                    return Ok(false);
                };
                positions.insert(tp, next);
                // Commits as it goes, as most services do: lag counts from these.
                if committed_at.elapsed() >= Duration::from_millis(200) {
                    member.commit(&positions.drain().collect::<Vec<_>>());
                    committed_at = Instant::now();
                }
                Ok(true)
            })?;
            member.commit(&positions.drain().collect::<Vec<_>>());
            Ok(())
        })?;
        Ok(Traffic {
            producer,
            consumer: Some(consumer),
        })
    }

    /// The consumer commits what it processed and leaves its group; the producer goes on.
    fn stop_consumer(&mut self) -> Result<()> {
        self.consumer.take().map_or(Ok(()), Flow::stop)
    }

    /// Stops both, and reports the first failure.
    fn stop(self) -> Result<()> {
        let consumer = self.consumer.map_or(Ok(()), Flow::stop);
        consumer.and(self.producer.stop())
    }

    /// Tells both to stop, without waiting for them.
    fn abandon(mut self) {
        self.producer.abandon();
        if let Some(mut c) = self.consumer.take() {
            c.abandon();
        }
    }
}

/// One paced loop on its own thread, stopped (and joined) on request or when dropped.
struct Flow {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl Flow {
    /// Runs `body` on its own thread; it should return soon after its flag is set.
    fn spawn(body: impl FnOnce(&AtomicBool) -> Result<()> + Send + 'static) -> Result<Flow> {
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .spawn(move || body(&s))
            .map_err(|e| Error::Io {
                context: "starting a demo thread".into(),
                source: e,
            })?;
        Ok(Flow {
            stop,
            thread: Some(thread),
        })
    }

    fn stop(mut self) -> Result<()> {
        self.stop.store(true, Ordering::Relaxed);
        match self.thread.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(outcome)) => outcome,
            Some(Err(_)) => Err(Error::Internal("the demo traffic thread panicked".into())),
        }
    }

    fn abandon(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread = None;
    }
}

impl Drop for Flow {
    /// A failed step ends the demo: its clients go before the cluster they talk to.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Calls `unit` `rate` times a second until `stop`; `unit` returns false when it had
/// nothing to do (the rest of that turn is skipped).
fn paced(rate: f64, stop: &AtomicBool, mut unit: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    let mut done = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = (start.elapsed().as_secs_f64() * rate) as u64;
        while done < due && !stop.load(Ordering::Relaxed) {
            if !unit()? {
                // Nothing arrived: owe nothing for the time spent waiting.
                done = due;
                break;
            }
            done += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Kbp(a) => Some(a.join(" ")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_story_lags_drains_and_catches_up() {
        let steps = story(1.0);
        let cmds = commands(&steps);
        assert_eq!(
            cmds.first().unwrap(),
            "lag --group demo-slow --topic orders"
        );
        assert!(cmds[cmds.len() - 2].starts_with("drain -g demo-slow -t orders --until end"));
        assert_eq!(cmds.last().unwrap(), "lag --group demo-slow --topic orders");
        let stop = steps.iter().position(|s| *s == Step::StopTraffic).unwrap();
        let drain = steps
            .iter()
            .position(|s| matches!(s, Step::Kbp(a) if a[0] == "drain"))
            .unwrap();
        assert!(
            stop < drain,
            "the drain takes over once the traffic stopped"
        );
    }

    #[test]
    fn every_step_is_a_valid_kbp_command_line() {
        for speed in [0.1, 1.0, 20.0] {
            for cmd in commands(&story(speed)) {
                let line = format!("kbp -b 127.0.0.1:1 {cmd}");
                crate::cli::parse(line.split(' ')).unwrap_or_else(|e| panic!("{line}: {e}"));
            }
        }
    }

    #[test]
    fn speed_scales_the_drain_rate() {
        let at = |speed| {
            commands(&story(speed))
                .into_iter()
                .find(|c| c.starts_with("drain"))
                .unwrap()
        };
        assert!(at(1.0).contains("--rate 400/s"), "{}", at(1.0));
        assert!(at(4.0).contains("--rate 1600/s"), "{}", at(4.0));
    }

    #[test]
    fn paced_units_follow_the_rate() {
        let stop = Arc::new(AtomicBool::new(false));
        let s = Arc::clone(&stop);
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            s.store(true, Ordering::Relaxed);
        });
        let mut n = 0;
        paced(200.0, &stop, || {
            n += 1;
            Ok(true)
        })
        .unwrap();
        stopper.join().unwrap();
        assert!((80..=110).contains(&n), "{n} units in 0.5 s at 200/s");
    }
}
