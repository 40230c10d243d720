//! Committed offsets of many groups in one request per coordinator: OffsetFetch v8
//! (KIP-709, Kafka 3.0+), which librdkafka cannot send.
//!
//! librdkafka's ListConsumerGroupOffsets takes one group per call, and each call costs an
//! OffsetFetch and a FindCoordinator: at 10,000 groups that is 20,000 requests, most of
//! `kbp lag`'s time. The groups' descriptions already name their coordinators, so this asks
//! each coordinator once for up to [`GROUPS_PER_REQUEST`] groups per request, on a
//! connection of its own. Only plaintext listeners are spoken to this way (TLS and SASL stay
//! librdkafka's), and only clean answers are kept: a group the coordinator answers with an
//! error, and every group of a coordinator that cannot be reached or does not speak v8,
//! is left to the caller to ask through librdkafka, so the results are the same either way.
//! The encoding is the kafka-protocol crate's.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, GroupId, OffsetFetchRequest,
    OffsetFetchResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

use super::types::TopicPartition;

/// OffsetFetch's first version with many groups per request (and the last with topic names).
const VERSION: i16 = 8;
/// Groups per request: a request of a few hundred kB and an answer of a few MB.
pub(super) const GROUPS_PER_REQUEST: usize = 2000;
/// The largest answer accepted (the broker's own default request limit).
const MAX_RESPONSE: usize = 100 * 1024 * 1024;

/// A group's committed offsets, `None` where the partition has no commit.
pub(super) type Committed = Vec<(TopicPartition, Option<i64>)>;

/// Asks the coordinator at `address` for the committed offsets of `groups` (of
/// `partitions` only, when given). The groups answered cleanly, by name; `Err` when the
/// coordinator could not be asked at all (the caller asks the other way).
pub(super) fn fetch(
    address: &str,
    groups: &[&str],
    partitions: Option<&[TopicPartition]>,
    client_id: &str,
    timeout: Duration,
) -> Result<HashMap<String, Committed>, String> {
    let deadline = Instant::now() + timeout;
    let mut conn = Connection::open(address, client_id, deadline)?;
    let versions: ApiVersionsResponse = conn.call(
        ApiKey::ApiVersions,
        0,
        &ApiVersionsRequest::default(),
        deadline,
    )?;
    let speaks = versions.error_code == 0
        && versions.api_keys.iter().any(|k| {
            k.api_key == ApiKey::OffsetFetch as i16
                && k.min_version <= VERSION
                && VERSION <= k.max_version
        });
    if !speaks {
        return Err(format!("{address} does not serve OffsetFetch v{VERSION}"));
    }
    let topics = partitions.map(|ps| {
        let mut by_topic: Vec<(&str, Vec<i32>)> = Vec::new();
        for tp in ps {
            match by_topic.iter_mut().find(|(t, _)| *t == tp.topic) {
                Some((_, v)) => v.push(tp.partition),
                None => by_topic.push((&tp.topic, vec![tp.partition])),
            }
        }
        by_topic
            .into_iter()
            .map(|(t, parts)| {
                OffsetFetchRequestTopics::default()
                    .with_name(TopicName(StrBytes::from_string(t.to_string())))
                    .with_partition_indexes(parts)
            })
            .collect::<Vec<_>>()
    });
    // Every request is written before the first answer is read: the broker answers in order.
    let mut sent = 0;
    for chunk in groups.chunks(GROUPS_PER_REQUEST) {
        let request = OffsetFetchRequest::default().with_groups(
            chunk
                .iter()
                .map(|g| {
                    OffsetFetchRequestGroup::default()
                        .with_group_id(GroupId(StrBytes::from_string(g.to_string())))
                        .with_topics(topics.clone())
                })
                .collect(),
        );
        conn.send(ApiKey::OffsetFetch, VERSION, &request, deadline)?;
        sent += 1;
    }
    let mut out = HashMap::with_capacity(groups.len());
    for _ in 0..sent {
        let answer: OffsetFetchResponse = conn.receive(VERSION, deadline)?;
        for g in answer.groups {
            let clean = g.error_code == 0
                && g.topics
                    .iter()
                    .all(|t| t.partitions.iter().all(|p| p.error_code == 0));
            if !clean {
                continue;
            }
            let offsets = g
                .topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| {
                        (
                            TopicPartition::new(t.name.0.as_str(), p.partition_index),
                            super::admin::committed(p.committed_offset),
                        )
                    })
                })
                .collect();
            out.insert(g.group_id.0.as_str().to_string(), offsets);
        }
    }
    Ok(out)
}

/// A plaintext connection to one broker, for requests of our own.
struct Connection {
    stream: TcpStream,
    client_id: StrBytes,
    next_id: i32,
    /// Correlation ids and API keys of the requests sent and not yet answered, in order.
    waiting: std::collections::VecDeque<(i32, ApiKey)>,
}

impl Connection {
    fn open(address: &str, client_id: &str, deadline: Instant) -> Result<Connection, String> {
        let addrs: Vec<_> = address
            .to_socket_addrs()
            .map_err(|e| format!("{address}: {e}"))?
            .collect();
        let mut last = format!("{address}: no address");
        for a in addrs {
            let left = left(deadline)?;
            match TcpStream::connect_timeout(&a, left) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(Connection {
                        stream,
                        client_id: StrBytes::from_string(client_id.to_string()),
                        next_id: 1,
                        waiting: Default::default(),
                    });
                }
                Err(e) => last = format!("{address}: {e}"),
            }
        }
        Err(last)
    }

    fn call<Req, Resp>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
        deadline: Instant,
    ) -> Result<Resp, String>
    where
        Req: Encodable + HeaderVersion,
        Resp: Decodable + HeaderVersion,
    {
        self.send(key, version, request, deadline)?;
        self.receive(version, deadline)
    }

    fn send<Req: Encodable + HeaderVersion>(
        &mut self,
        key: ApiKey,
        version: i16,
        request: &Req,
        deadline: Instant,
    ) -> Result<(), String> {
        let id = self.next_id;
        self.next_id += 1;
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(id)
            .with_client_id(Some(self.client_id.clone()));
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[0; 4]);
        header
            .encode(&mut buf, Req::header_version(version))
            .and_then(|()| request.encode(&mut buf, version))
            .map_err(|e| format!("encoding {key:?}: {e}"))?;
        let size = (buf.len() - 4) as i32;
        buf[..4].copy_from_slice(&size.to_be_bytes());
        self.stream
            .set_write_timeout(Some(left(deadline)?))
            .and_then(|()| self.stream.write_all(&buf))
            .map_err(|e| format!("sending {key:?}: {e}"))?;
        self.waiting.push_back((id, key));
        Ok(())
    }

    /// The answer to the oldest request not yet answered.
    fn receive<Resp: Decodable + HeaderVersion>(
        &mut self,
        version: i16,
        deadline: Instant,
    ) -> Result<Resp, String> {
        let (id, key) = self
            .waiting
            .pop_front()
            .ok_or("no request is waiting for an answer")?;
        let mut size = [0u8; 4];
        self.read_exact(&mut size, deadline, key)?;
        let size = i32::from_be_bytes(size);
        let size = usize::try_from(size)
            .ok()
            .filter(|s| *s <= MAX_RESPONSE)
            .ok_or_else(|| format!("{key:?}: answer of {size} bytes"))?;
        let mut body = vec![0u8; size];
        self.read_exact(&mut body, deadline, key)?;
        let mut body = Bytes::from(body);
        let header = ResponseHeader::decode(&mut body, Resp::header_version(version))
            .map_err(|e| format!("decoding {key:?}: {e}"))?;
        if header.correlation_id != id {
            return Err(format!(
                "{key:?}: answer {} to request {id}",
                header.correlation_id
            ));
        }
        Resp::decode(&mut body, version).map_err(|e| format!("decoding {key:?}: {e}"))
    }

    fn read_exact(&mut self, buf: &mut [u8], deadline: Instant, key: ApiKey) -> Result<(), String> {
        self.stream
            .set_read_timeout(Some(left(deadline)?))
            .and_then(|()| self.stream.read_exact(buf))
            .map_err(|e| format!("reading {key:?}: {e}"))
    }
}

/// Time left before `deadline`, or an error when there is none.
fn left(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err("timed out".into())
    } else {
        Ok(left)
    }
}
