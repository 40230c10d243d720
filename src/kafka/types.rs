//! Plain data that leaves the Kafka module: no rdkafka type crosses this line, so command
//! code and tests can build and inspect these values without a client.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// Group states as Kafka reports them (KIP-848 states fold into these in librdkafka).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GroupState {
    Unknown,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
    Empty,
}

impl GroupState {
    pub const ALL: [GroupState; 6] = [
        GroupState::Unknown,
        GroupState::PreparingRebalance,
        GroupState::CompletingRebalance,
        GroupState::Stable,
        GroupState::Dead,
        GroupState::Empty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupState::Unknown => "Unknown",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
            GroupState::Empty => "Empty",
        }
    }
}

/// The group protocol: `classic` (JoinGroup/SyncGroup) or `consumer` (KIP-848).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    Classic,
    Consumer,
    Unknown,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Classic => "classic",
            GroupType::Consumer => "consumer",
            GroupType::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: u16,
    pub rack: Option<String>,
}

impl Node {
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group: String,
    pub state: GroupState,
    pub group_type: GroupType,
    /// No members ever joined: offsets are committed by a standalone ("simple") consumer.
    pub simple: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub consumer_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    pub assignment: Vec<TopicPartition>,
    /// KIP-848 groups only: what the group coordinator wants this member to own.
    pub target_assignment: Option<Vec<TopicPartition>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group: String,
    pub state: GroupState,
    pub group_type: GroupType,
    pub simple: bool,
    pub assignor: String,
    pub coordinator: Option<Node>,
    pub members: Vec<Member>,
    /// The group could not be described (e.g. GROUP_ID_NOT_FOUND); the rest is empty then.
    pub error: Option<KafkaCode>,
}

impl GroupDescription {
    /// A group the cluster would not describe: name only, state and members unknown.
    pub fn unknown(group: &str) -> Self {
        GroupDescription {
            group: group.to_string(),
            state: GroupState::Unknown,
            group_type: GroupType::Unknown,
            simple: false,
            assignor: String::new(),
            coordinator: None,
            members: vec![],
            error: None,
        }
    }
}

/// A Kafka error code with librdkafka's name for it and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaCode {
    pub code: i32,
    pub name: String,
    pub message: String,
}

impl std::fmt::Display for KafkaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() || self.message == self.name {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{} ({})", self.message, self.name)
        }
    }
}

impl KafkaCode {
    pub const GROUP_ID_NOT_FOUND: i32 = 69;
    pub const TOPIC_AUTHORIZATION_FAILED: i32 = 29;
    pub const GROUP_AUTHORIZATION_FAILED: i32 = 30;
    pub const CLUSTER_AUTHORIZATION_FAILED: i32 = 31;
    pub const UNKNOWN_TOPIC_OR_PART: i32 = 3;
    /// librdkafka's own: no broker supports the request (e.g. its mock cluster's groups).
    pub const UNSUPPORTED_FEATURE: i32 = -165;

    pub const LEADER_NOT_AVAILABLE: i32 = 5;
    pub const NOT_LEADER_OR_FOLLOWER: i32 = 6;
    pub const REQUEST_TIMED_OUT: i32 = 7;
    pub const NETWORK_EXCEPTION: i32 = 13;
    pub const COORDINATOR_LOAD_IN_PROGRESS: i32 = 14;
    pub const COORDINATOR_NOT_AVAILABLE: i32 = 15;
    pub const NOT_COORDINATOR: i32 = 16;
    pub const REBALANCE_IN_PROGRESS: i32 = 27;
    pub const FENCED_LEADER_EPOCH: i32 = 74;
    pub const UNKNOWN_LEADER_EPOCH: i32 = 75;
    pub const OFFSET_NOT_AVAILABLE: i32 = 78;
    /// librdkafka's own: the request timed out, its connection broke, no broker is up.
    pub const LOCAL_TIMED_OUT: i32 = -185;
    pub const LOCAL_TRANSPORT: i32 = -195;
    pub const LOCAL_ALL_BROKERS_DOWN: i32 = -187;

    /// The retry rule, the one place that says which answers pass by themselves: a group
    /// coordinator loading or moving (COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE,
    /// NOT_COORDINATOR), a partition leader moving (LEADER_NOT_AVAILABLE,
    /// NOT_LEADER_OR_FOLLOWER, FENCED_ and UNKNOWN_LEADER_EPOCH, OFFSET_NOT_AVAILABLE), a
    /// request the broker dropped (REQUEST_TIMED_OUT, NETWORK_EXCEPTION), a group
    /// mid-rebalance (REBALANCE_IN_PROGRESS); and no answer at all ([`Self::is_unanswered`]).
    /// Every request kbp sends through a [`crate::kafka::Session`] is asked again on these
    /// within the command's `--timeout`.
    pub fn is_retriable(&self) -> bool {
        self.is_unanswered()
            || matches!(
                self.code,
                Self::LEADER_NOT_AVAILABLE
                    | Self::NOT_LEADER_OR_FOLLOWER
                    | Self::REQUEST_TIMED_OUT
                    | Self::NETWORK_EXCEPTION
                    | Self::COORDINATOR_LOAD_IN_PROGRESS
                    | Self::COORDINATOR_NOT_AVAILABLE
                    | Self::NOT_COORDINATOR
                    | Self::REBALANCE_IN_PROGRESS
                    | Self::FENCED_LEADER_EPOCH
                    | Self::UNKNOWN_LEADER_EPOCH
                    | Self::OFFSET_NOT_AVAILABLE
            )
    }

    /// No answer came: the request (or a part of it) timed out, its connection broke, or
    /// no broker is up. Silence, not an answer.
    pub fn is_unanswered(&self) -> bool {
        matches!(
            self.code,
            Self::LOCAL_TIMED_OUT | Self::LOCAL_TRANSPORT | Self::LOCAL_ALL_BROKERS_DOWN
        )
    }

    /// An ACL is missing: TOPIC_, GROUP_, CLUSTER_ or TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
    pub fn is_authorization(&self) -> bool {
        matches!(self.code, 29..=31 | 53)
    }
}

/// The operations of a Kafka ACL that kbp checks before it acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AclOperation {
    Read,
    Write,
    Delete,
    Describe,
}

impl AclOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            AclOperation::Read => "READ",
            AclOperation::Write => "WRITE",
            AclOperation::Delete => "DELETE",
            AclOperation::Describe => "DESCRIBE",
        }
    }
}

/// A topic or group kbp is about to act on, and what it will do to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Need {
    Topic(String, AclOperation),
    Group(String, AclOperation),
}

impl std::fmt::Display for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Need::Topic(t, op) => write!(f, "{} on topic {t}", op.as_str()),
            Need::Group(g, op) => write!(f, "{} on group {g}", op.as_str()),
        }
    }
}

/// What the cluster says the principal may do to one topic or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// These operations, as the broker computed them (READ, WRITE and DELETE imply DESCRIBE).
    Allows(Vec<AclOperation>),
    /// Not even DESCRIBE.
    Denied,
    /// The broker did not say (a topic that does not exist yet, a broker before KIP-430):
    /// left for the operation itself to find out.
    Unknown(Option<KafkaCode>),
}

/// Committed offsets of one group: `None` where the partition has no commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOffsets {
    pub group: String,
    pub offsets: Result<Vec<(TopicPartition, Option<i64>)>, KafkaCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    /// The offset and timestamp of the record with the highest timestamp.
    MaxTimestamp,
    /// The first offset whose record's timestamp is at or after this (ms since the epoch);
    /// -1 when there is none.
    Timestamp(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOffset {
    pub offset: i64,
    /// Milliseconds since the epoch, -1 when the broker gives none.
    pub timestamp: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterDescription {
    pub cluster_id: Option<String>,
    pub controller: Option<Node>,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub leader: Option<i32>,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicDescription {
    pub name: String,
    pub internal: bool,
    pub partitions: Vec<PartitionInfo>,
    pub error: Option<KafkaCode>,
}

/// What librdkafka's statistics measured for one broker while kbp ran: the round trip of
/// kbp's own requests, and the throttle time the broker asked for (quotas).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerLatency {
    pub requests: u64,
    pub rtt_sum_ms: f64,
    /// The highest p99 of any statistics window (librdkafka keeps percentiles per window).
    pub rtt_p99_ms: f64,
    pub rtt_max_ms: f64,
    pub throttled_responses: u64,
    pub throttle_sum_ms: f64,
    pub throttle_max_ms: f64,
}

impl BrokerLatency {
    pub fn rtt_avg_ms(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.rtt_sum_ms / self.requests as f64)
    }

    pub fn throttle_avg_ms(&self) -> Option<f64> {
        (self.throttled_responses > 0)
            .then(|| self.throttle_sum_ms / self.throttled_responses as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(code: i32) -> KafkaCode {
        KafkaCode {
            code,
            name: String::new(),
            message: String::new(),
        }
    }

    /// The one retry rule: what passes by itself is asked again, what an operator must
    /// mend (a missing topic or group, an ACL, a member in the way) is not.
    #[test]
    fn the_retry_rule_retries_what_passes_and_nothing_else() {
        let retried = [
            (5, "LEADER_NOT_AVAILABLE"),
            (6, "NOT_LEADER_OR_FOLLOWER"),
            (7, "REQUEST_TIMED_OUT"),
            (13, "NETWORK_EXCEPTION"),
            (14, "COORDINATOR_LOAD_IN_PROGRESS"),
            (15, "COORDINATOR_NOT_AVAILABLE"),
            (16, "NOT_COORDINATOR"),
            (27, "REBALANCE_IN_PROGRESS"),
            (74, "FENCED_LEADER_EPOCH"),
            (75, "UNKNOWN_LEADER_EPOCH"),
            (78, "OFFSET_NOT_AVAILABLE"),
            (-185, "librdkafka: timed out"),
            (-195, "librdkafka: transport"),
            (-187, "librdkafka: all brokers down"),
        ];
        for (c, name) in retried {
            assert!(code(c).is_retriable(), "{name} ({c}) is retried");
        }
        let final_ = [
            (0, "NONE"),
            (3, "UNKNOWN_TOPIC_OR_PARTITION"),
            (22, "ILLEGAL_GENERATION"),
            (25, "UNKNOWN_MEMBER_ID"),
            (29, "TOPIC_AUTHORIZATION_FAILED"),
            (30, "GROUP_AUTHORIZATION_FAILED"),
            (31, "CLUSTER_AUTHORIZATION_FAILED"),
            (68, "NON_EMPTY_GROUP"),
            (69, "GROUP_ID_NOT_FOUND"),
            (86, "GROUP_SUBSCRIBED_TO_TOPIC"),
            (-165, "librdkafka: unsupported feature"),
            (-169, "librdkafka: authentication"),
        ];
        for (c, name) in final_ {
            assert!(!code(c).is_retriable(), "{name} ({c}) is not retried");
        }
        // Silence is retriable, but it is not an answer.
        assert!(code(-185).is_unanswered() && !code(16).is_unanswered());
    }
}
