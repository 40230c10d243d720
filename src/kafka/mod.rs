//! The one Kafka session every subcommand shares, and the only module that imports rdkafka.
//!
//! It turns [`Settings`] into a librdkafka client, bounds every network call by
//! `--timeout`, turns librdkafka failures into kbp's typed errors (naming the bootstrap
//! address and librdkafka's own reason), and keeps secrets out of anything it forwards.
//! Callers get plain data ([`types`]); no rdkafka type leaves this module.

mod admin;
mod batch;
pub mod consumer;
mod context;
pub mod mock;
#[cfg(feature = "msk-iam")]
mod msk;
mod native;
mod offset_fetch;
mod preflight;
pub mod producer;
mod timestamps;
mod tls;
pub mod types;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::mem::ManuallyDrop;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka_sys as sys;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::flags::{GROUP, TIMEOUT};
use admin::{Options, Queue};
use context::KbpContext;
use native::ClientRef;
pub use timestamps::{RecordTime, RecordTimes};
pub use types::*;

/// Most admin requests kbp keeps in flight at once (one ListConsumerGroupOffsets per group).
const MAX_IN_FLIGHT: usize = 1000;
/// From this many groups on, committed offsets are asked in batches: below it one call per
/// group costs a few ms, and librdkafka's mock cluster (the demo) answers OffsetFetch v8
/// without the groups' commits.
const BATCH_MIN: usize = 64;
/// From this many classic groups on, one cluster-wide classic describe round is cheaper.
const CLASSIC_ROUND_MIN: usize = 8;
/// How often a measuring session's statistics callback fires; each window holds the round
/// trips of the requests sent since the previous one.
const STATS_INTERVAL_MS: &str = "500";

/// How long dropping a client may take before kbp leaves it behind (see [`destroy_bounded`]).
const DESTROY_WAIT: Duration = Duration::from_millis(500);
/// The pause before a request answered with a retriable error is sent again.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// How much longer than librdkafka's own request timeout kbp waits for an answer, so that
/// librdkafka's reason (which broker, which request) comes first.
const GRACE: Duration = Duration::from_millis(200);

/// How long an admin request lives in librdkafka: an hour, the most librdkafka takes, and
/// longer than any session lives once it has given up on a request (see
/// [`Session::options_on`]).
const OUTLIVE: Duration = Duration::from_secs(3600);

pub struct Session {
    settings: Settings,
    /// A producer-type handle is librdkafka's lightest client; it carries the admin calls.
    /// Destroyed in `Drop`, bounded.
    client: ManuallyDrop<BaseProducer<KbpContext>>,
    /// ListConsumerGroupOffsets goes through a consumer-type client with a group of its
    /// own, made on first use: librdkafka 2.12 answers a NOT_COORDINATOR (a coordinator
    /// moving) by asking the client's group to look its coordinator up again, and on the
    /// producer-type client, which has no group, that crashes the process
    /// (librdkafka#5040). The group is never joined and never committed to.
    offsets_client: OnceLock<BaseConsumer<KbpContext>>,
    /// How long the session has waited for the cluster since its last useful answer. The
    /// command's one deadline is `--timeout` of this silence, not `--timeout` per request:
    /// a cluster that stops answering ends any command within `--timeout` (+ [`GRACE`]),
    /// however many requests were still to go; a retriable answer is silence too. Time
    /// kbp spends on its own (between samples, writing output) does not count.
    silent: Mutex<Duration>,
    /// Set by a caller that connects anew on a failure ([`Session::renewable`]): a
    /// coordinator answer that stays retriable is handed back after a third of `--timeout`
    /// instead of being asked again to the end of it.
    renewable: std::sync::atomic::AtomicBool,
    /// A request was given up on while librdkafka still holds it: dropping the session
    /// does not wait for librdkafka to let go of it (see [`destroy_bounded`]).
    abandoned: std::sync::atomic::AtomicBool,
    /// Record timestamps read for time lag, reused by the session's next reads.
    times: std::sync::Mutex<timestamps::Remembered>,
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: `client` is never used again: this is the session's drop.
        let client = unsafe { ManuallyDrop::take(&mut self.client) };
        let offsets = self.offsets_client.take();
        let wait = if self.abandoned.load(std::sync::atomic::Ordering::Relaxed) {
            Duration::ZERO
        } else {
            DESTROY_WAIT
        };
        destroy_bounded(wait, move || {
            if let Some(consumer) = &offsets {
                close_quickly(consumer);
            }
            drop((client, offsets));
        });
    }
}

/// Closes a consumer that has a group.id in 1 ms poll steps, within 2 s: rdkafka's Drop
/// would close it in 100 ms steps, a tenth of a second added to every command.
fn close_quickly(consumer: &BaseConsumer<KbpContext>) {
    if consumer.close_queue().is_ok() {
        let closing = Instant::now() + Duration::from_secs(2);
        while !consumer.closed() && Instant::now() < closing {
            let _ = consumer.poll(Duration::from_millis(1));
        }
    }
}

/// Runs `destroy` (closing and dropping librdkafka clients) on a thread of its own and
/// waits at most [`DESTROY_WAIT`]: rd_kafka_destroy joins the broker threads, and one stuck
/// in a blocking DNS lookup would hold the exit well past `--timeout`. What is left behind
/// ends with the process.
fn destroy_bounded(wait: Duration, destroy: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kbp-destroy".into())
        .spawn(move || {
            destroy();
            let _ = done.send(());
        });
    if spawned.is_ok() {
        let _ = finished.recv_timeout(wait);
    }
}

impl Session {
    pub fn connect(settings: &Settings) -> Result<Session> {
        Self::connect_with(settings, client_config(settings, "kbp"))
    }

    /// A session that also measures each broker's round-trip and throttle times through
    /// librdkafka's statistics ([`Session::broker_latency`]). Only for short commands that
    /// poll it ([`Session::idle`] or any admin call): statistics queue up until served.
    pub fn connect_with_stats(settings: &Settings) -> Result<Session> {
        let mut config = client_config(settings, "kbp");
        if !settings
            .properties
            .iter()
            .any(|(k, _)| k == "statistics.interval.ms")
        {
            config.set("statistics.interval.ms", STATS_INTERVAL_MS);
        }
        Self::connect_with(settings, config)
    }

    fn connect_with(settings: &Settings, config: ClientConfig) -> Result<Session> {
        preflight::check(&settings.bootstrap, settings.timeout).map_err(|reason| {
            Error::Unreachable {
                bootstrap: settings.bootstrap.clone(),
                reason,
            }
        })?;
        let client = config
            .create_with_context(KbpContext::new(settings))
            .map_err(|e| config_error(settings, e))?;
        Ok(Session {
            settings: settings.clone(),
            client: ManuallyDrop::new(client),
            offsets_client: OnceLock::new(),
            silent: Mutex::new(Duration::ZERO),
            renewable: Default::default(),
            abandoned: Default::default(),
            times: Default::default(),
        })
    }

    /// `--timeout`: the bound on the command's waiting for the cluster.
    pub fn timeout(&self) -> Duration {
        self.settings.timeout
    }

    /// What is left of `--timeout` to wait for the cluster (see `silent`).
    pub fn left(&self) -> Duration {
        let silent = *self.silent.lock().unwrap_or_else(|p| p.into_inner());
        self.settings.timeout.saturating_sub(silent)
    }

    /// A session that replaces `old` (connected anew after a failure, librdkafka#4605)
    /// goes on with its silence: the command's deadline is not renewed by reconnecting.
    pub fn carry_silence(&self, old: &Session) {
        let silent = *old.silent.lock().unwrap_or_else(|p| p.into_inner());
        *self.silent.lock().unwrap_or_else(|p| p.into_inner()) = silent;
    }

    /// The cluster answered usefully: the silence ends.
    fn heard(&self) {
        *self.silent.lock().unwrap_or_else(|p| p.into_inner()) = Duration::ZERO;
    }

    /// Waited `d` without a useful answer.
    fn spend(&self, d: Duration) {
        *self.silent.lock().unwrap_or_else(|p| p.into_inner()) += d;
    }

    /// The error of a request not sent, or not answered, because the silence has lasted
    /// `--timeout`.
    fn silence(&self, op: &str) -> Error {
        self.unreachable(format!(
            "{op}: no answer from the cluster within {TIMEOUT} {}",
            humantime::format_duration(self.settings.timeout)
        ))
    }

    /// The client handle for the FFI calls in this module; no raw pointer leaves it.
    fn client_ref(&self) -> ClientRef<'_> {
        ClientRef::new(self.client.client())
    }

    /// The client for ListConsumerGroupOffsets (see `offsets_client`), made on first use.
    fn offsets_client_ref(&self) -> Result<ClientRef<'_>> {
        if self.offsets_client.get().is_none() {
            let mut config = client_config(&self.settings, "kbp");
            let group = format!(
                "kbp-offsets-{}-{}",
                std::process::id(),
                crate::clock::now_ms()
            );
            config.set("group.id", group);
            let client = config
                .create_with_context(KbpContext::new(&self.settings))
                .map_err(|e| config_error(&self.settings, e))?;
            // Only this thread can have set it: a session is not shared while it queries.
            let _ = self.offsets_client.set(client);
        }
        let client = self
            .offsets_client
            .get()
            .ok_or_else(|| Error::Internal("the offsets client was not kept".into()))?;
        Ok(ClientRef::new(client.client()))
    }

    /// Serves the callbacks (errors, logs, statistics) of every client of the session; an
    /// authentication or TLS failure on any of them is an error at once.
    fn serve(&self) -> Result<()> {
        self.client.poll(Duration::ZERO);
        self.client
            .context()
            .check_fatal(&self.settings.bootstrap)?;
        if let Some(offsets) = self.offsets_client.get() {
            // Errors come back as values here, and through the context as for the other.
            let _ = offsets.poll(Duration::ZERO);
            offsets.context().check_fatal(&self.settings.bootstrap)?;
        }
        Ok(())
    }

    fn options(&self, op: sys::rd_kafka_admin_op_t) -> Result<Options> {
        self.options_on(self.client_ref(), op)
    }

    /// Admin options whose librdkafka timeout is the longest librdkafka takes, [`OUTLIVE`],
    /// not kbp's deadline (at most `--timeout`, itself at most an hour): kbp stops waiting
    /// at its deadline ([`Session::wait`]), and the request stays alive in librdkafka until
    /// the session is destroyed. A request that librdkafka timed out
    /// while it waited for a coordinator that was down aborts the process when the
    /// coordinator comes back (librdkafka#4605, fixed by confluentinc/librdkafka#5397, not
    /// released): a request that is still alive then is answered, into a queue kbp has
    /// dropped.
    fn options_on(&self, client: ClientRef<'_>, op: sys::rd_kafka_admin_op_t) -> Result<Options> {
        Options::new(client, op, OUTLIVE).map_err(|e| Error::kafka("admin options", e))
    }

    /// Waits for `expected` results on `q`, serving librdkafka's error and log callbacks
    /// meanwhile so that an authentication failure ends the wait at once.
    fn wait<'c>(
        &self,
        q: &Queue<'c>,
        expected: usize,
        op: &'static str,
    ) -> Result<Vec<admin::Event<'c>>> {
        let left = self.left();
        if left.is_zero() {
            return Err(self.silence(op));
        }
        let slice = if self.renewable.load(std::sync::atomic::Ordering::Relaxed) {
            left.min(self.timeout() / 3)
        } else {
            left
        };
        let deadline = Instant::now() + slice + GRACE;
        let mut events = Vec::with_capacity(expected);
        while events.len() < expected {
            self.serve()?;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                self.abandoned
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let waited = Duration::from_millis(slice.as_millis() as u64);
                return Err(self.unreachable(format!(
                    "{op} timed out after {}",
                    humantime::format_duration(if slice < self.timeout() {
                        waited
                    } else {
                        self.settings.timeout
                    })
                )));
            }
            if let Some(ev) = q.poll(left.min(Duration::from_millis(50))) {
                if let Some(err) = ev.error() {
                    return Err(self.request_error(op, err));
                }
                events.push(ev);
            }
        }
        Ok(events)
    }

    /// The cluster did not answer `what`; the last connection error, when there is one,
    /// says why (a broker refusing connections, a name that does not resolve).
    fn unreachable(&self, what: String) -> Error {
        let reason = match self.client.context().last_error() {
            Some(last) => format!("{what}; last connection error: {last}"),
            None => what,
        };
        Error::Unreachable {
            bootstrap: self.settings.bootstrap.clone(),
            reason,
        }
    }

    fn request_error(&self, op: &'static str, err: KafkaCode) -> Error {
        const TIMED_OUT: i32 = sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TIMED_OUT as i32;
        const TRANSPORT: i32 = sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TRANSPORT as i32;
        const ALL_DOWN: i32 = sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN as i32;
        const AUTH: i32 = sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__AUTHENTICATION as i32;
        let reason = self.settings.redactor.redact(&err.to_string());
        match err.code {
            // librdkafka's request timeout is what is left of --timeout: said as such.
            TIMED_OUT => self.unreachable(format!(
                "{op} timed out after {}",
                humantime::format_duration(self.settings.timeout)
            )),
            TRANSPORT | ALL_DOWN => self.unreachable(format!("{op}: {reason}")),
            _ if err.is_retriable() => Error::Coordinator {
                operation: op,
                reason,
            },
            AUTH => Error::Authentication {
                bootstrap: self.settings.bootstrap.clone(),
                reason,
            },
            _ if err.is_authorization() => Error::not_authorized(format!("{op}: {reason}")),
            _ => Error::Kafka {
                operation: op,
                reason,
            },
        }
    }

    /// ListConsumerGroups: classic and KIP-848 consumer groups, optionally by state.
    pub fn list_groups(
        &self,
        states: &[GroupState],
    ) -> Result<(Vec<GroupListing>, Vec<KafkaCode>)> {
        let (mut groups, errors) = self.patiently("ListConsumerGroups", || {
            let opts =
                self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS)?;
            opts.match_states(states)
                .map_err(|e| Error::kafka("ListConsumerGroups", e))?;
            opts.match_types(&[GroupType::Classic, GroupType::Consumer])
                .map_err(|e| Error::kafka("ListConsumerGroups", e))?;
            let q = Queue::new(self.client_ref());
            admin::list_groups(&opts, &q);
            let ev = self.wait(&q, 1, "ListConsumerGroups")?;
            let (groups, errors) = admin::list_groups_result(&ev[0]);
            // A broker whose coordinator is loading lists its groups a moment later.
            if let Some(e) = errors.iter().find(|e| e.is_retriable()) {
                return Err(self.request_error("ListConsumerGroups", e.clone()));
            }
            // A broker that has just started answers an empty list, without an error,
            // until its group coordinator runs: an empty listing is believed once a group's
            // coordinator answers.
            if groups.is_empty() && errors.is_empty() {
                self.coordinator_answers()?;
            }
            Ok((groups, errors))
        })?;
        if groups.is_empty() {
            if errors
                .iter()
                .any(|e| e.code == KafkaCode::UNSUPPORTED_FEATURE)
            {
                return Err(Error::kafka(
                    "ListConsumerGroups",
                    format!("this cluster cannot list consumer groups: name them with {GROUP}"),
                ));
            }
            if let Some(first) = errors.first() {
                return Err(self.request_error("ListConsumerGroups", first.clone()));
            }
        }
        groups.sort_by(|a, b| a.group.cmp(&b.group));
        Ok((groups, errors))
    }

    /// DescribeConsumerGroups for many groups in one call (librdkafka batches per coordinator).
    pub fn describe_groups(&self, groups: &[String]) -> Result<Vec<GroupDescription>> {
        if groups.is_empty() {
            return Ok(vec![]);
        }
        self.patiently("DescribeConsumerGroups", || {
            let opts =
                self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS)?;
            let q = Queue::new(self.client_ref());
            admin::describe_groups(groups, &opts, &q);
            let ev = self.wait(&q, 1, "DescribeConsumerGroups")?;
            let described = admin::describe_groups_result(&ev[0]);
            match described.iter().find_map(|d| d.error.as_ref()) {
                Some(e) if e.is_retriable() => {
                    Err(self.request_error("DescribeConsumerGroups", e.clone()))
                }
                _ => Ok(described),
            }
        })
    }

    /// Whether the group coordinator runs: a group no one uses (named for this process) is
    /// described; a retriable answer is an `Err` (asked again by the caller's
    /// [`Session::patiently`]), anything else is an answer.
    fn coordinator_answers(&self) -> Result<()> {
        let probe = vec![format!("kbp-probe-{}", std::process::id())];
        let opts =
            self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS)?;
        let q = Queue::new(self.client_ref());
        admin::describe_groups(&probe, &opts, &q);
        let ev = self.wait(&q, 1, "DescribeConsumerGroups")?;
        match admin::describe_groups_result(&ev[0])
            .iter()
            .find_map(|d| d.error.as_ref().filter(|e| e.is_retriable()))
        {
            Some(e) => Err(self.request_error("ListConsumerGroups", e.clone())),
            None => Ok(()),
        }
    }

    /// Every request of the session goes through here: `call` sends it and reads the
    /// answer, and is asked again while the answer is retriable
    /// ([`KafkaCode::is_retriable`], turned into [`Error::Coordinator`] by
    /// [`Session::request_error`]) or the connection broke, for as long as the command's
    /// one deadline allows (`silent`). A useful answer ends the silence; one that is not,
    /// or none, adds to it.
    fn patiently<T>(&self, op: &'static str, mut call: impl FnMut() -> Result<T>) -> Result<T> {
        let mut last = None;
        loop {
            if self.left().is_zero() {
                // The last answer says more than the silence does.
                return Err(last.unwrap_or_else(|| self.silence(op)));
            }
            let start = Instant::now();
            let outcome = call();
            let took = start.elapsed();
            match outcome {
                Err(e @ (Error::Coordinator { .. } | Error::Unreachable { .. }))
                    if self.hand_back() =>
                {
                    self.spend(took);
                    return Err(e);
                }
                Err(e) if Self::retriable(&e) => {
                    self.spend(took);
                    // Credentials refused or TLS failed meanwhile: that does not pass.
                    self.serve()?;
                    let pause = RETRY_PAUSE.min(self.left());
                    if pause.is_zero() {
                        return Err(e);
                    }
                    std::thread::sleep(pause);
                    self.spend(pause);
                    last = Some(e);
                }
                Err(e @ Error::Unreachable { .. }) => {
                    self.spend(took);
                    return Err(e);
                }
                other => {
                    self.heard();
                    return other;
                }
            }
        }
    }

    /// The caller connects anew on a failure (a `kbp diagnose` window): librdkafka keeps
    /// asking the coordinator it has cached, so a NOT_COORDINATOR from a coordinator that
    /// moved (a node killed), or a request waiting on the dead node, repeats until
    /// `--timeout` on this session (librdkafka#3847), while a new session asks who the
    /// coordinator is. So a wait is cut after a third of `--timeout`, and a failure after
    /// that much silence goes back to the caller.
    pub fn renewable(&self) {
        self.renewable
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a retriable failure should go back to a caller that connects anew: a third
    /// of `--timeout` has passed without a useful answer.
    fn hand_back(&self) -> bool {
        self.renewable.load(std::sync::atomic::Ordering::Relaxed)
            && self.timeout().saturating_sub(self.left()) >= self.timeout() / 3
    }

    /// Whether a failed request is worth sending again: a retriable answer, or a broken
    /// connection (a broker that died; librdkafka finds the new leader or coordinator).
    fn retriable(e: &Error) -> bool {
        match e {
            Error::Coordinator { .. } => true,
            // A timeout has spent what was left, so it is not sent again.
            Error::Unreachable { .. } => true,
            _ => false,
        }
    }

    /// Describes listed groups at the lowest request cost: when many are classic, all
    /// classic groups come from one ListGroups + DescribeGroups round per broker; the
    /// KIP-848 groups (and any classic group that round missed) from DescribeConsumerGroups.
    pub fn describe_listed(&self, listed: &[GroupListing]) -> Result<Vec<GroupDescription>> {
        let classic: HashSet<&str> = listed
            .iter()
            .filter(|l| l.group_type == GroupType::Classic)
            .map(|l| l.group.as_str())
            .collect();
        let mut out = Vec::with_capacity(listed.len());
        if classic.len() >= CLASSIC_ROUND_MIN {
            let start = Instant::now();
            let (all, partial) = self.patiently("DescribeGroups", || {
                admin::describe_classic_all(self.client_ref(), self.left())
                    .map_err(|e| self.request_error("DescribeGroups", e))
            })?;
            if partial {
                // Some broker did not answer within what was left: not a useful answer.
                self.spend(start.elapsed());
            }
            out.extend(
                all.into_iter()
                    .filter(|d| classic.contains(d.group.as_str())),
            );
        }
        let described: HashSet<&str> = out.iter().map(|d| d.group.as_str()).collect();
        let rest: Vec<String> = listed
            .iter()
            .filter(|l| !described.contains(l.group.as_str()))
            .map(|l| l.group.clone())
            .collect();
        out.extend(self.describe_groups(&rest)?);
        Ok(out)
    }

    /// Committed offsets of each group, of `partitions` only when given (as
    /// [`Session::group_offsets_in`]): from [`BATCH_MIN`] groups on, the groups
    /// [`Session::group_offsets_batched`] answers, then the others one call per group
    /// through librdkafka.
    pub fn group_offsets_via(
        &self,
        groups: &[String],
        coordinators: &HashMap<&str, &Node>,
        partitions: Option<&[TopicPartition]>,
    ) -> Result<Vec<GroupOffsets>> {
        let mut answered = if groups.len() >= BATCH_MIN {
            self.group_offsets_batched(groups, coordinators, partitions)
        } else {
            HashMap::new()
        };
        let rest: Vec<String> = groups
            .iter()
            .filter(|g| !answered.contains_key(g.as_str()))
            .cloned()
            .collect();
        let mut others: HashMap<String, GroupOffsets> = match (rest.is_empty(), partitions) {
            (true, _) => vec![],
            (false, None) => self.group_offsets(&rest)?,
            (false, Some(p)) => self.group_offsets_in(&rest, p)?,
        }
        .into_iter()
        .map(|g| (g.group.clone(), g))
        .collect();
        Ok(groups
            .iter()
            .filter_map(|g| match answered.remove(g.as_str()) {
                Some(mut offsets) => {
                    if partitions.is_some() {
                        offsets.retain(|(_, o)| o.is_some());
                    }
                    Some(GroupOffsets {
                        group: g.clone(),
                        offsets: Ok(offsets),
                    })
                }
                None => others.remove(g.as_str()),
            })
            .collect())
    }

    /// Committed offsets (every partition with a commit, `None` where `partitions` names
    /// one without) of the groups whose coordinator `coordinators` names (from their
    /// descriptions): one OffsetFetch per coordinator and [`offset_fetch::GROUPS_PER_REQUEST`]
    /// groups, coordinators in parallel, when the listener is plaintext. Only the groups
    /// answered without an error are in the map.
    pub fn group_offsets_batched(
        &self,
        groups: &[String],
        coordinators: &HashMap<&str, &Node>,
        partitions: Option<&[TopicPartition]>,
    ) -> HashMap<String, Vec<(TopicPartition, Option<i64>)>> {
        let mut answered = HashMap::new();
        if !self.plaintext() {
            return answered;
        }
        let mut by_node: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for g in groups {
            if let Some(node) = coordinators.get(g.as_str()) {
                by_node.entry(node.address()).or_default().push(g);
            }
        }
        let timeout = self.left();
        if timeout.is_zero() {
            return answered;
        }
        let start = Instant::now();
        let fetched: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = by_node
                .iter()
                .map(|(address, gs)| {
                    scope
                        .spawn(move || offset_fetch::fetch(address, gs, partitions, "kbp", timeout))
                })
                .collect();
            handles.into_iter().map(|h| h.join()).collect()
        });
        for (result, address) in fetched.into_iter().zip(by_node.keys()) {
            match result {
                Ok(Ok(found)) => answered.extend(found),
                // Those groups are left to librdkafka.
                Ok(Err(e)) if self.settings.verbose => {
                    crate::sys::diag!("kbp: batched OffsetFetch to {address}: {e}")
                }
                _ => {}
            }
        }
        if answered.is_empty() {
            self.spend(start.elapsed());
        } else {
            self.heard();
        }
        answered
    }

    /// Whether the session's listener is plaintext (no TLS, no SASL): then kbp may open
    /// connections of its own ([`offset_fetch`]).
    fn plaintext(&self) -> bool {
        self.settings
            .properties
            .iter()
            .rev()
            .find(|(k, _)| k == "security.protocol")
            .is_none_or(|(_, v)| v.eq_ignore_ascii_case("plaintext"))
    }

    /// Committed offsets of each group; up to [`MAX_IN_FLIGHT`] requests run concurrently.
    pub fn group_offsets(&self, groups: &[String]) -> Result<Vec<GroupOffsets>> {
        self.offsets_of(groups, None)
    }

    /// Committed offsets of each group within `partitions` only; partitions without a
    /// commit are left out, as [`Session::group_offsets`] leaves them out.
    pub fn group_offsets_in(
        &self,
        groups: &[String],
        partitions: &[TopicPartition],
    ) -> Result<Vec<GroupOffsets>> {
        let tpl = admin::Tpl::new(partitions.iter().map(|tp| (tp, -1)));
        let mut out = self.offsets_of(groups, Some(&tpl))?;
        for g in &mut out {
            if let Ok(offsets) = &mut g.offsets {
                offsets.retain(|(_, o)| o.is_some());
            }
        }
        Ok(out)
    }

    fn offsets_of(
        &self,
        groups: &[String],
        partitions: Option<&admin::Tpl>,
    ) -> Result<Vec<GroupOffsets>> {
        self.patiently("ListConsumerGroupOffsets", || {
            let client = self.offsets_client_ref()?;
            let opts = self.options_on(
                client,
                sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            )?;
            let q = Queue::new(client);
            let mut out = Vec::with_capacity(groups.len());
            for chunk in groups.chunks(MAX_IN_FLIGHT) {
                for g in chunk {
                    admin::group_offsets(g, partitions, &opts, &q);
                }
                for ev in self.wait(&q, chunk.len(), "ListConsumerGroupOffsets")? {
                    out.extend(admin::group_offsets_result(&ev));
                }
            }
            let transient = out.iter().find_map(|g| match &g.offsets {
                Err(e) if e.is_retriable() => Some(e.clone()),
                _ => None,
            });
            match transient {
                Some(e) => Err(self.request_error("ListConsumerGroupOffsets", e)),
                None => Ok(out),
            }
        })
    }

    /// AlterConsumerGroupOffsets: commits `offsets` for `group` in one request, each
    /// partition's error coming back (`None`: committed). Through the admin client: its
    /// response handling does not touch the client's group (unlike OffsetFetch's,
    /// librdkafka#5040), and a coordinator that is loading or moving is asked again with
    /// the same offsets.
    pub fn commit_group_offsets(
        &self,
        group: &str,
        offsets: &[(TopicPartition, i64)],
    ) -> Result<Vec<(TopicPartition, Option<KafkaCode>)>> {
        let tpl = admin::Tpl::new(offsets.iter().map(|(tp, o)| (tp, *o)));
        self.group_write(
            group,
            (
                "AlterConsumerGroupOffsets",
                sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
            ),
            |opts, q| admin::alter_group_offsets(group, &tpl, opts, q),
            admin::alter_group_offsets_result,
        )
    }

    /// DeleteConsumerGroupOffsets (OffsetDelete): removes `group`'s commits on
    /// `partitions`, each partition's error coming back. Kafka refuses it for a partition
    /// the group's live members read (GROUP_SUBSCRIBED_TO_TOPIC).
    pub fn delete_group_offsets(
        &self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<Vec<(TopicPartition, Option<KafkaCode>)>> {
        let tpl = admin::Tpl::new(partitions.iter().map(|tp| (tp, -1)));
        self.group_write(
            group,
            (
                "DeleteConsumerGroupOffsets",
                sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
            ),
            |opts, q| admin::delete_group_offsets(group, &tpl, opts, q),
            admin::delete_group_offsets_result,
        )
    }

    /// One group write and its per-partition answer, asked again (within `--timeout`)
    /// while the coordinator loads or moves: writing the same offsets again is harmless.
    fn group_write(
        &self,
        group: &str,
        (name, op): (&'static str, sys::rd_kafka_admin_op_t),
        launch: impl Fn(&Options, &Queue<'_>),
        read: fn(&admin::Event<'_>) -> Vec<admin::GroupResult>,
    ) -> Result<Vec<(TopicPartition, Option<KafkaCode>)>> {
        self.patiently(name, || {
            let opts = self.options(op)?;
            let q = Queue::new(self.client_ref());
            launch(&opts, &q);
            let ev = self.wait(&q, 1, name)?;
            let parts = match read(&ev[0]).into_iter().find(|(g, _)| g == group) {
                Some((_, Ok(parts))) => parts,
                Some((_, Err(e))) => return Err(self.request_error(name, e)),
                None => return Err(Error::kafka(name, format!("no answer for group {group}"))),
            };
            let transient = parts
                .iter()
                .find_map(|(_, _, e)| e.as_ref().filter(|e| e.is_retriable()));
            match transient {
                Some(e) => Err(self.request_error(name, e.clone())),
                None => Ok(parts.into_iter().map(|(tp, _, e)| (tp, e)).collect()),
            }
        })
    }

    /// DeleteGroups: each group's error (`None`: deleted). Kafka deletes only groups
    /// without members (NON_EMPTY_GROUP otherwise). A group whose coordinator is loading
    /// or moving is asked again within `--timeout`; the others are not (a second delete
    /// of a deleted group would answer GROUP_ID_NOT_FOUND).
    pub fn delete_groups(&self, groups: &[String]) -> Result<Vec<(String, Option<KafkaCode>)>> {
        let mut pending: Vec<String> = groups.to_vec();
        pending.sort();
        pending.dedup();
        let mut out = Vec::with_capacity(pending.len());
        // Groups answered usefully end the silence; those asked again share this bound.
        let deadline = Instant::now() + self.left();
        while !pending.is_empty() {
            let answers = self.patiently("DeleteGroups", || {
                let opts =
                    self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DELETEGROUPS)?;
                let q = Queue::new(self.client_ref());
                admin::delete_groups(&pending, &opts, &q);
                let ev = self.wait(&q, 1, "DeleteGroups")?;
                let answers = admin::delete_groups_result(&ev[0]);
                // No group answered: silence, asked again within what is left.
                let silent = answers
                    .iter()
                    .map(|(_, o)| o.as_ref().err().filter(|e| e.is_unanswered()))
                    .collect::<Option<Vec<_>>>();
                match silent.and_then(|s| s.first().cloned().cloned()) {
                    Some(e) => Err(self.request_error("DeleteGroups", e)),
                    None => Ok(answers),
                }
            })?;
            let mut again = Vec::new();
            for (group, outcome) in answers {
                match outcome.err() {
                    Some(e) if e.is_retriable() && Instant::now() < deadline => again.push(group),
                    e => out.push((group, e)),
                }
            }
            if !again.is_empty() {
                // Not a useful answer for these: the silence goes on.
                let pause = RETRY_PAUSE.min(self.left());
                std::thread::sleep(pause);
                self.spend(pause);
            }
            pending = again;
        }
        Ok(out)
    }

    /// ListOffsets for many partitions in one call (librdkafka batches per leader).
    pub fn list_offsets(
        &self,
        partitions: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<HashMap<TopicPartition, Result<ListedOffset, KafkaCode>>> {
        if partitions.is_empty() {
            return Ok(HashMap::new());
        }
        let mut unique = partitions.to_vec();
        unique.sort();
        unique.dedup();
        let tpl = admin::Tpl::new(unique.iter().map(|tp| (tp, admin::spec_offset(spec))));
        self.patiently("ListOffsets", || {
            let opts = self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTOFFSETS)?;
            opts.read_uncommitted()
                .map_err(|e| Error::kafka("ListOffsets", e))?;
            let q = Queue::new(self.client_ref());
            admin::list_offsets(&tpl, &opts, &q);
            let ev = self.wait(&q, 1, "ListOffsets")?;
            let listed: HashMap<_, _> = admin::list_offsets_result(&ev[0]).into_iter().collect();
            // A partition whose leader is moving is asked again, with the others, once the
            // topic's leaders are read anew: librdkafka would send it to the leader it has
            // cached, which answers FENCED_LEADER_EPOCH or NOT_LEADER until its cache ages.
            let moving: BTreeSet<&str> = listed
                .iter()
                .filter(|(_, r)| r.as_ref().is_err_and(KafkaCode::is_retriable))
                .map(|(tp, _)| tp.topic.as_str())
                .collect();
            match listed
                .values()
                .find_map(|r| r.as_ref().err().filter(|e| e.is_retriable()))
            {
                Some(e) => {
                    for topic in moving {
                        let _ = self
                            .client
                            .client()
                            .fetch_metadata(Some(topic), self.left());
                    }
                    Err(self.request_error("ListOffsets", e.clone()))
                }
                None => Ok(listed),
            }
        })
    }

    pub fn describe_cluster(&self) -> Result<ClusterDescription> {
        self.patiently("DescribeCluster", || {
            let opts = self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER)?;
            let q = Queue::new(self.client_ref());
            admin::describe_cluster(&opts, &q);
            let ev = self.wait(&q, 1, "DescribeCluster")?;
            admin::describe_cluster_result(&ev[0])
                .ok_or_else(|| Error::kafka("DescribeCluster", "empty result"))
        })
    }

    pub fn describe_topics(&self, topics: &[String]) -> Result<Vec<TopicDescription>> {
        if topics.is_empty() {
            return Ok(vec![]);
        }
        self.patiently("DescribeTopics", || {
            let opts = self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS)?;
            let q = Queue::new(self.client_ref());
            admin::describe_topics(topics, &opts, &q);
            let ev = self.wait(&q, 1, "DescribeTopics")?;
            let described = admin::describe_topics_result(&ev[0]);
            match described
                .iter()
                .find_map(|t| t.error.as_ref().filter(|e| e.is_retriable()))
            {
                Some(e) => Err(self.request_error("DescribeTopics", e.clone())),
                None => Ok(described),
            }
        })
    }

    /// Fails with [`Error::NotAuthorized`] naming every need the principal's ACLs do not
    /// grant, before kbp acts: `doing` says what for (`kbp drain`). Asks the broker which
    /// operations the principal may perform on each topic and group (one DescribeTopics
    /// and one DescribeConsumerGroups); where it does not say, the need passes and the
    /// operation itself finds out.
    pub fn require(&self, needs: &[Need], doing: &str) -> Result<()> {
        let mut topics: Vec<String> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        for need in needs {
            match need {
                Need::Topic(t, _) => topics.push(t.clone()),
                Need::Group(g, _) => groups.push(g.clone()),
            }
        }
        for list in [&mut topics, &mut groups] {
            list.sort();
            list.dedup();
        }
        let mut known: HashMap<(bool, String), Permission> = HashMap::new();
        if !topics.is_empty() {
            let described = self.patiently("DescribeTopics", || {
                let opts =
                    self.options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBETOPICS)?;
                opts.include_authorized_operations()
                    .map_err(|e| Error::kafka("DescribeTopics", e))?;
                let q = Queue::new(self.client_ref());
                admin::describe_topics(&topics, &opts, &q);
                let ev = self.wait(&q, 1, "DescribeTopics")?;
                Ok(admin::topic_permissions_result(&ev[0]))
            })?;
            known.extend(described.into_iter().map(|(t, p)| ((true, t), p)));
        }
        if !groups.is_empty() {
            let described = self.patiently("DescribeConsumerGroups", || {
                let opts = self
                    .options(sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS)?;
                opts.include_authorized_operations()
                    .map_err(|e| Error::kafka("DescribeConsumerGroups", e))?;
                let q = Queue::new(self.client_ref());
                admin::describe_groups(&groups, &opts, &q);
                let ev = self.wait(&q, 1, "DescribeConsumerGroups")?;
                let found = admin::group_permissions_result(&ev[0]);
                match found.iter().find_map(|(_, p)| match p {
                    Permission::Unknown(Some(e)) if e.is_retriable() => Some(e),
                    _ => None,
                }) {
                    Some(e) => Err(self.request_error("DescribeConsumerGroups", e.clone())),
                    None => Ok(found),
                }
            })?;
            known.extend(described.into_iter().map(|(g, p)| ((false, g), p)));
        }
        let missing: Vec<String> = needs
            .iter()
            .filter(|need| {
                let (key, op) = match need {
                    Need::Topic(t, op) => ((true, t.clone()), *op),
                    Need::Group(g, op) => ((false, g.clone()), *op),
                };
                match known.get(&key) {
                    Some(Permission::Denied) => true,
                    Some(Permission::Allows(ops)) => !ops.contains(&op),
                    _ => false,
                }
            })
            .map(|need| need.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::not_authorized(format!(
            "{doing} needs {} (the principal's ACLs do not grant it; nothing was done)",
            missing.join(", ")
        )))
    }

    /// Metadata of every topic (partitions, leaders, replicas, ISR) and the brokers it
    /// names: one Metadata request, which every Kafka-compatible cluster serves.
    pub fn metadata(&self) -> Result<(Vec<Node>, Vec<TopicDescription>)> {
        let md = self.patiently("Metadata", || {
            self.client
                .client()
                .fetch_metadata(None, self.left())
                .map_err(|e| match e.rdkafka_error_code() {
                    Some(code) => self.request_error(
                        "Metadata",
                        KafkaCode {
                            code: code as i32,
                            name: format!("{code:?}"),
                            message: code.to_string(),
                        },
                    ),
                    None => Error::kafka("Metadata", e),
                })
        })?;
        let nodes = md
            .brokers()
            .iter()
            .map(|b| Node {
                id: b.id(),
                host: b.host().to_string(),
                port: b.port().clamp(0, u16::MAX as i32) as u16,
                rack: None,
            })
            .collect();
        let topics = md
            .topics()
            .iter()
            .map(|t| TopicDescription {
                name: t.name().to_string(),
                internal: t.name().starts_with("__"),
                partitions: t
                    .partitions()
                    .iter()
                    .map(|p| PartitionInfo {
                        partition: p.id(),
                        leader: Some(p.leader()).filter(|l| *l >= 0),
                        replicas: p.replicas().to_vec(),
                        isr: p.isr().to_vec(),
                    })
                    .collect(),
                error: t.error().map(|e| {
                    let code = rdkafka::error::RDKafkaErrorCode::from(e);
                    KafkaCode {
                        code: code as i32,
                        name: format!("{code:?}"),
                        message: code.to_string(),
                    }
                }),
            })
            .collect();
        Ok((nodes, topics))
    }

    /// Waits `d` while serving librdkafka's callbacks (statistics, errors, logs).
    pub fn idle(&self, d: Duration) {
        self.client.poll(d);
    }

    /// Per broker id, what the statistics measured so far (empty without
    /// [`Session::connect_with_stats`]).
    pub fn broker_latency(&self) -> HashMap<i32, BrokerLatency> {
        self.client.poll(Duration::ZERO);
        self.client.context().latency()
    }

    /// Names of the cluster's topics, internal ones (`__consumer_offsets`, …) left out.
    pub fn topic_names(&self) -> Result<Vec<String>> {
        let (_, topics) = self.metadata()?;
        let mut names: Vec<String> = topics
            .into_iter()
            .filter(|t| !t.internal)
            .map(|t| t.name)
            .collect();
        names.sort();
        Ok(names)
    }

    /// The timestamp of the first record at or after each wanted offset, read without
    /// joining any group. See [`timestamps`] for how reads are batched, and for why a
    /// session that reads again (`kbp serve`, `--watch`) reuses what it read before.
    pub fn record_times(&self, wanted: &[(TopicPartition, i64, i64)]) -> Result<RecordTimes> {
        timestamps::read(self, wanted)
    }

    /// How long a timestamp [`Session::record_times`] read is reused (up to twice as long,
    /// by partition); zero reads every one every time. Default 5 minutes.
    pub fn reread_time_lag_after(&self, after: Duration) {
        timestamps::lock(&self.times).reread_after = after;
    }
}

/// The offset ListOffsets gave `tp` (`listed`: its entry of [`Session::list_offsets`]), or
/// the failure naming the partition.
pub fn listed_offset(
    tp: &TopicPartition,
    listed: Option<&std::result::Result<ListedOffset, KafkaCode>>,
) -> Result<i64> {
    match listed {
        Some(Ok(o)) => Ok(o.offset),
        Some(Err(e)) => Err(Error::kafka(
            "ListOffsets",
            format!("{}/{}: {e}", tp.topic, tp.partition),
        )),
        None => Err(Error::kafka(
            "ListOffsets",
            format!("no offset for {}/{}", tp.topic, tp.partition),
        )),
    }
}

/// The librdkafka configuration every kbp client starts from; user properties come last
/// so `-X` and the context can override anything.
fn client_config(settings: &Settings, client_id: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.bootstrap)
        .set("client.id", client_id)
        .set(
            "socket.connection.setup.timeout.ms",
            settings
                .timeout
                .as_millis()
                .clamp(1000, 2_147_483_647)
                .to_string(),
        )
        .set_log_level(if settings.verbose {
            // rdkafka applies this after `debug=`, so it must not cut debug lines off.
            rdkafka::config::RDKafkaLogLevel::Debug
        } else {
            rdkafka::config::RDKafkaLogLevel::Warning
        });
    // librdkafka's own command, except that the renewal tried first keeps quiet: when
    // there is no ticket to renew, kinit's reason is printed once, by the second kinit.
    #[cfg(feature = "gssapi")]
    config.set(
        "sasl.kerberos.kinit.cmd",
        r#"kinit -R -t "%{sasl.kerberos.keytab}" -k %{sasl.kerberos.principal} 2>/dev/null || kinit -t "%{sasl.kerberos.keytab}" -k %{sasl.kerberos.principal}"#,
    );
    for (k, v) in &settings.properties {
        config.set(k, v);
    }
    config
}

/// A property librdkafka rejects is a usage error naming the property, never its value.
fn config_error(settings: &Settings, e: KafkaError) -> Error {
    match e {
        KafkaError::ClientConfig(_, desc, key, _) => Error::usage(format!(
            "librdkafka property {key}: {}",
            settings.redactor.redact(&desc)
        )),
        KafkaError::ClientCreation(msg) => {
            // librdkafka suggests recompiling it; what kbp's user can do is build kbp so.
            let hint = if msg.contains("SASL mechanism GSSAPI") && !cfg!(feature = "gssapi") {
                " (this kbp was built without Kerberos: build it with --features gssapi, see README: Install)"
            } else {
                ""
            };
            Error::usage(format!(
                "cannot create Kafka client: {}{hint}",
                settings.redactor.redact(&msg)
            ))
        }
        other => Error::kafka("client setup", settings.redactor.redact(&other.to_string())),
    }
}
