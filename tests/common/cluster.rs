//! The three-node KRaft cluster of the fault tests (scripts/kafka.sh cluster mode): started
//! once per test binary, on first use, in a run dir of its own; nodes killed, stopped,
//! restarted and frozen by the tests, and the cluster brought back whole after each. Topics,
//! records and commits are made with rdkafka directly, as in fixtures.rs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use super::{repo, send};

/// Partitions of `__consumer_offsets` on the cluster (scripts/kafka.sh:
/// offsets.topic.num.partitions).
const OFFSETS_PARTITIONS: i32 = 6;

pub struct Cluster3 {
    run: PathBuf,
    bootstrap: String,
}

/// The run dir of this test binary's cluster.
fn run_dir() -> PathBuf {
    std::env::temp_dir().join(format!("kbp-cluster3-{}", std::process::id()))
}

extern "C" fn stop_at_exit() {
    let run = run_dir();
    let _ = Command::new("bash")
        .arg(repo().join("scripts/kafka.sh"))
        .args(["cluster-stop", "--clean"])
        .env("KBP_KAFKA_RUN", &run)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = std::fs::remove_dir_all(&run);
}

/// The cluster, started on first use. It is stopped and deleted when the test binary exits
/// (and, should the binary be killed, by the watcher `cluster-start` leaves behind).
pub fn cluster3() -> &'static Cluster3 {
    static C: OnceLock<Cluster3> = OnceLock::new();
    C.get_or_init(|| {
        let c = Cluster3 {
            run: run_dir(),
            bootstrap: String::new(),
        };
        let bootstrap = c.sh_env(
            &["cluster-start"],
            &[("KBP_KAFKA_CLUSTER_OWNER", &std::process::id().to_string())],
        );
        // SAFETY: atexit(3) with a plain function that takes and returns nothing.
        unsafe {
            libc::atexit(stop_at_exit);
        }
        Cluster3 { bootstrap, ..c }
    })
}

impl Cluster3 {
    /// `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    pub fn run_dir(&self) -> &Path {
        &self.run
    }

    /// Node `n`'s own PLAINTEXT address.
    pub fn node_address(&self, n: i32) -> &str {
        self.bootstrap
            .split(',')
            .nth((n - 1) as usize)
            .expect("node 1, 2 or 3")
    }

    /// `scripts/kafka.sh ARGS` on the cluster's run dir; its stdout, trimmed. Fails the test
    /// with its stderr when it fails.
    pub fn sh(&self, args: &[&str]) -> String {
        self.sh_env(args, &[])
    }

    fn sh_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let t = Instant::now();
        let out = Command::new("bash")
            .arg(repo().join("scripts/kafka.sh"))
            .args(args)
            .env("KBP_KAFKA_RUN", &self.run)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/kafka.sh");
        assert!(
            out.status.success(),
            "kafka.sh {args:?} failed after {:?}:\n{}",
            t.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("cluster3: kafka.sh {args:?} took {:?}", t.elapsed());
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// kill -9 of node `n`; returns once it is gone.
    pub fn kill(&self, n: i32) {
        self.sh(&["node-kill", &n.to_string()]);
    }

    /// SIGTERM (a controlled shutdown); returns once it is gone.
    pub fn stop(&self, n: i32) {
        self.sh(&["node-stop", &n.to_string()]);
    }

    /// Starts node `n` again; returns once it serves and every replica is back in sync.
    pub fn restart(&self, n: i32) {
        self.sh(&["node-start", &n.to_string()]);
    }

    /// SIGSTOP: alive, connections open, no answers.
    pub fn freeze(&self, n: i32) {
        self.sh(&["node-freeze", &n.to_string()]);
    }

    /// SIGCONT; returns once it serves and has rejoined.
    pub fn thaw(&self, n: i32) {
        self.sh(&["node-thaw", &n.to_string()]);
    }

    /// All three nodes up (stopped ones started, frozen ones thawed), every replica in sync.
    pub fn restore(&self) {
        self.sh(&["cluster-start"]);
    }

    /// A client of the cluster.
    pub fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.bootstrap);
        c
    }

    /// A topic with every partition on all three nodes.
    pub fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = self.client_config().create().unwrap();
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(3));
        let res = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(admin.create_topics(
                [&topic],
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            ))
            .expect("create topic");
        for r in res {
            r.unwrap_or_else(|(t, e)| panic!("create topic {t}: {e}"));
        }
        super::poll(Duration::from_secs(30), Duration::from_millis(100), || {
            let leaders = self.leaders(name);
            (leaders.len() == partitions as usize && leaders.iter().all(|l| *l > 0))
                .then_some(())
                .ok_or_else(|| format!("topic {name}: leaders {leaders:?}"))
        });
    }

    /// Produces `count` records (values `record-<i>`) to each of `partitions` partitions,
    /// acknowledged by all in-sync replicas.
    pub fn produce(&self, topic: &str, partitions: i32, count: usize) {
        let producer: BaseProducer = self
            .client_config()
            .set("linger.ms", "5")
            .set("acks", "all")
            .create()
            .unwrap();
        for p in 0..partitions {
            for i in 0..count {
                let (key, payload) = (format!("k{i}"), format!("record-{i}"));
                send(
                    &producer,
                    BaseRecord::to(topic)
                        .partition(p)
                        .payload(&payload)
                        .key(&key),
                );
            }
        }
        producer.flush(Duration::from_secs(30)).expect("flush");
    }

    /// Commits offsets for `group` without joining it.
    pub fn commit(&self, group: &str, offsets: &[(&str, i32, i64)]) {
        let consumer: BaseConsumer = self
            .client_config()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        for (t, p, o) in offsets {
            tpl.add_partition_offset(t, *p, Offset::Offset(*o)).unwrap();
        }
        consumer.commit(&tpl, CommitMode::Sync).expect("commit");
    }

    /// The committed offsets of `group` on partitions 0..`partitions` of `topic` (`None`:
    /// none), or the error of the OffsetFetch (a coordinator that just died).
    pub fn committed(
        &self,
        group: &str,
        topic: &str,
        partitions: i32,
    ) -> Result<Vec<Option<i64>>, String> {
        self.commit_reader(group).read(topic, partitions)
    }

    /// A reader of `group`'s committed offsets (OffsetFetch, without joining), for sampling.
    pub fn commit_reader(&self, group: &str) -> CommitReader {
        CommitReader(
            self.client_config()
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()
                .unwrap(),
        )
    }

    /// The leader (node id, -1 for none) of each partition of `topic`, from the metadata.
    pub fn leaders(&self, topic: &str) -> Vec<i32> {
        let consumer: BaseConsumer = self.client_config().create().unwrap();
        let Ok(md) = consumer.fetch_metadata(Some(topic), Duration::from_secs(5)) else {
            return vec![];
        };
        let Some(t) = md.topics().iter().find(|t| t.name() == topic) else {
            return vec![];
        };
        if t.error().is_some() {
            return vec![];
        }
        let mut parts: Vec<(i32, i32)> = t
            .partitions()
            .iter()
            .map(|p| (p.id(), p.leader()))
            .collect();
        parts.sort();
        parts.into_iter().map(|(_, l)| l).collect()
    }

    /// The leader of each `__consumer_offsets` partition: the coordinators of the groups
    /// that map to it. Kafka makes the topic on the first commit: one is made if needed.
    pub fn coordinators(&self) -> Vec<i32> {
        super::poll(Duration::from_secs(30), Duration::from_millis(200), || {
            let leaders = self.leaders("__consumer_offsets");
            if leaders.len() == OFFSETS_PARTITIONS as usize && leaders.iter().all(|l| *l > 0) {
                return Ok(leaders);
            }
            if leaders.is_empty() {
                let topic = super::unique("offsets-topic");
                self.create_topic(&topic, 1);
                self.commit(&super::unique("offsets-topic"), &[(&topic, 0, 0)]);
            }
            Err(format!("__consumer_offsets leaders: {leaders:?}"))
        })
    }

    /// The node that coordinates `group`: the leader of its `__consumer_offsets` partition
    /// (Kafka's `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`).
    pub fn coordinator(&self, group: &str) -> i32 {
        self.coordinators()[offsets_partition(group) as usize]
    }

    /// A new group name (from `prefix`) that `node` coordinates.
    pub fn group_on(&self, prefix: &str, node: i32) -> String {
        let leaders = self.coordinators();
        assert!(
            leaders.contains(&node),
            "node {node} coordinates no group: {leaders:?}"
        );
        (0..)
            .map(|_| super::unique(prefix))
            .find(|g| leaders[offsets_partition(g) as usize] == node)
            .unwrap()
    }

    /// Apache's kafka-consumer-groups (or another tool) against the cluster: `tool NAME
    /// ARGS --bootstrap-server <cluster>`; its stdout.
    pub fn tool(&self, name: &str, args: &[&str]) -> String {
        let mut all = vec!["tool", name, "--bootstrap-server", &self.bootstrap];
        all.extend_from_slice(args);
        self.sh(&all)
    }

    /// kafka-consumer-groups `--describe --group G --state`: the coordinator's node id.
    pub fn apache_coordinator(&self, group: &str) -> i32 {
        let out = self.tool(
            "consumer-groups",
            &["--describe", "--group", group, "--state"],
        );
        // GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
        out.lines()
            .filter(|l| l.starts_with(group))
            .find_map(|l| {
                let open = l.find(" (")?;
                let close = l[open..].find(')')?;
                l[open + 2..open + close].parse().ok()
            })
            .unwrap_or_else(|| panic!("no coordinator for {group} in:\n{out}"))
    }
}

/// The `__consumer_offsets` partition of a group: Java's `String.hashCode`, made positive
/// as Kafka's `Utils.abs` does, modulo the partition count.
pub fn offsets_partition(group: &str) -> i32 {
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32));
    (hash & 0x7fff_ffff) % OFFSETS_PARTITIONS
}

/// Reads one group's committed offsets, again and again, on one client.
pub struct CommitReader(BaseConsumer);

impl CommitReader {
    /// Committed offset per partition 0..`partitions` of `topic` (`None`: none).
    pub fn read(&self, topic: &str, partitions: i32) -> Result<Vec<Option<i64>>, String> {
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            tpl.add_partition(topic, p);
        }
        let got = self
            .0
            .committed_offsets(tpl, Duration::from_secs(5))
            .map_err(|e| e.to_string())?;
        Ok((0..partitions)
            .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
                Some(Offset::Offset(o)) => Some(o),
                _ => None,
            })
            .collect())
    }
}
