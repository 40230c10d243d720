//! Safe wrappers over the librdkafka admin calls that the rdkafka crate does not expose:
//! ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets, ListOffsets,
//! DescribeCluster and DescribeTopics.
//!
//! Every call follows one pattern: options → own result queue → call → poll the queue →
//! copy the result into owned Rust values → destroy. The raw pointers never leave this
//! file; each owner type frees its object exactly once in `Drop`. Several calls may be in
//! flight on one queue at once, which is how kbp asks for many groups' offsets in parallel.

use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr::NonNull;
use std::time::Duration;

use rdkafka_sys as sys;
use sys::rd_kafka_admin_op_t as Op;

use super::types::*;

/// An owned result queue.
pub(super) struct Queue(NonNull<sys::rd_kafka_queue_t>);

impl Queue {
    pub fn new(rk: *mut sys::rd_kafka_t) -> Queue {
        // SAFETY: rk is a live client owned by the session for the queue's whole life.
        let q = unsafe { sys::rd_kafka_queue_new(rk) };
        Queue(NonNull::new(q).expect("rd_kafka_queue_new returned NULL"))
    }

    pub fn ptr(&self) -> *mut sys::rd_kafka_queue_t {
        self.0.as_ptr()
    }

    pub fn poll(&self, wait: Duration) -> Option<Event> {
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: the queue is live; a non-NULL event is owned by us from here on.
        NonNull::new(unsafe { sys::rd_kafka_queue_poll(self.ptr(), ms) }).map(Event)
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        unsafe { sys::rd_kafka_queue_destroy(self.ptr()) }
    }
}

/// An owned admin result event.
pub(super) struct Event(NonNull<sys::rd_kafka_event_t>);

impl Event {
    fn ptr(&self) -> *mut sys::rd_kafka_event_t {
        self.0.as_ptr()
    }

    /// The request-level error (timeout, transport, authorization), if any.
    pub fn error(&self) -> Option<KafkaCode> {
        let code = unsafe { sys::rd_kafka_event_error(self.ptr()) };
        if code == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return None;
        }
        let message =
            unsafe { cstr(sys::rd_kafka_event_error_string(self.ptr())) }.unwrap_or_default();
        Some(code_of(code, message))
    }
}

impl Drop for Event {
    fn drop(&mut self) {
        unsafe { sys::rd_kafka_event_destroy(self.ptr()) }
    }
}

/// Owned admin options, with the request timeout that bounds the call.
pub(super) struct Options(NonNull<sys::rd_kafka_AdminOptions_t>);

impl Options {
    pub fn new(rk: *mut sys::rd_kafka_t, op: Op, timeout: Duration) -> Result<Options, String> {
        let opts = NonNull::new(unsafe { sys::rd_kafka_AdminOptions_new(rk, op) })
            .ok_or_else(|| "rd_kafka_AdminOptions_new returned NULL".to_string())?;
        let opts = Options(opts);
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        let mut err = [0 as c_char; 512];
        let rc = unsafe {
            sys::rd_kafka_AdminOptions_set_request_timeout(
                opts.ptr(),
                ms,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        if rc != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(unsafe { cstr(err.as_ptr()) }.unwrap_or_default());
        }
        Ok(opts)
    }

    fn ptr(&self) -> *mut sys::rd_kafka_AdminOptions_t {
        self.0.as_ptr()
    }

    fn check(err: *mut sys::rd_kafka_error_t) -> Result<(), String> {
        if err.is_null() {
            return Ok(());
        }
        let msg = unsafe { cstr(sys::rd_kafka_error_string(err)) }.unwrap_or_default();
        unsafe { sys::rd_kafka_error_destroy(err) };
        Err(msg)
    }

    pub fn match_states(&self, states: &[GroupState]) -> Result<(), String> {
        if states.is_empty() {
            return Ok(());
        }
        let raw: Vec<_> = states.iter().map(|s| state_code(*s)).collect();
        Self::check(unsafe {
            sys::rd_kafka_AdminOptions_set_match_consumer_group_states(
                self.ptr(),
                raw.as_ptr(),
                raw.len(),
            )
        })
    }

    pub fn match_types(&self, types: &[GroupType]) -> Result<(), String> {
        let raw: Vec<_> = types.iter().map(|t| type_code(*t)).collect();
        Self::check(unsafe {
            sys::rd_kafka_AdminOptions_set_match_consumer_group_types(
                self.ptr(),
                raw.as_ptr(),
                raw.len(),
            )
        })
    }

    pub fn read_uncommitted(&self) -> Result<(), String> {
        Self::check(unsafe {
            sys::rd_kafka_AdminOptions_set_isolation_level(
                self.ptr(),
                sys::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED,
            )
        })
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        unsafe { sys::rd_kafka_AdminOptions_destroy(self.ptr()) }
    }
}

/// An owned topic-partition list.
pub(super) struct Tpl(NonNull<sys::rd_kafka_topic_partition_list_t>);

impl Tpl {
    pub fn new<'a>(items: impl IntoIterator<Item = (&'a TopicPartition, i64)>) -> Tpl {
        let list =
            NonNull::new(unsafe { sys::rd_kafka_topic_partition_list_new(16) }).expect("tpl alloc");
        let tpl = Tpl(list);
        for (tp, offset) in items {
            let topic = CString::new(tp.topic.as_str()).unwrap_or_default();
            let el = unsafe {
                sys::rd_kafka_topic_partition_list_add(tpl.ptr(), topic.as_ptr(), tp.partition)
            };
            unsafe { (*el).offset = offset };
        }
        tpl
    }

    pub fn ptr(&self) -> *mut sys::rd_kafka_topic_partition_list_t {
        self.0.as_ptr()
    }

    #[cfg(test)]
    pub fn read(&self) -> Vec<(TopicPartition, i64, Option<KafkaCode>)> {
        unsafe { read_tpl(self.ptr()) }
    }
}

impl Drop for Tpl {
    fn drop(&mut self) {
        unsafe { sys::rd_kafka_topic_partition_list_destroy(self.ptr()) }
    }
}

// ---- the calls: each launches on a queue; the session waits; `*_result` converts ----

pub(super) fn list_groups(rk: *mut sys::rd_kafka_t, opts: &Options, q: &Queue) {
    unsafe { sys::rd_kafka_ListConsumerGroups(rk, opts.ptr(), q.ptr()) }
}

/// Valid listings, and the per-broker errors (a broker that could not answer).
pub(super) fn list_groups_result(ev: &Event) -> (Vec<GroupListing>, Vec<KafkaCode>) {
    unsafe {
        let res = sys::rd_kafka_event_ListConsumerGroups_result(ev.ptr());
        if res.is_null() {
            return (vec![], vec![]);
        }
        let mut n = 0usize;
        let valid = sys::rd_kafka_ListConsumerGroups_result_valid(res, &mut n);
        let listings = slice(valid, n)
            .iter()
            .map(|&g| GroupListing {
                group: cstr(sys::rd_kafka_ConsumerGroupListing_group_id(g)).unwrap_or_default(),
                state: state_of(sys::rd_kafka_ConsumerGroupListing_state(g)),
                group_type: type_of(sys::rd_kafka_ConsumerGroupListing_type(g)),
                simple: sys::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g) != 0,
            })
            .collect();
        let mut m = 0usize;
        let errs = sys::rd_kafka_ListConsumerGroups_result_errors(res, &mut m);
        let errors = slice(errs, m).iter().map(|&e| error_of(e)).collect();
        (listings, errors)
    }
}

pub(super) fn describe_groups(
    rk: *mut sys::rd_kafka_t,
    groups: &[String],
    opts: &Options,
    q: &Queue,
) {
    let owned: Vec<CString> = groups
        .iter()
        .map(|g| CString::new(g.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    // librdkafka copies the names before returning.
    unsafe {
        sys::rd_kafka_DescribeConsumerGroups(rk, ptrs.as_mut_ptr(), ptrs.len(), opts.ptr(), q.ptr())
    }
}

pub(super) fn describe_groups_result(ev: &Event) -> Vec<GroupDescription> {
    unsafe {
        let res = sys::rd_kafka_event_DescribeConsumerGroups_result(ev.ptr());
        if res.is_null() {
            return vec![];
        }
        let mut n = 0usize;
        let groups = sys::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n);
        slice(groups, n).iter().map(|&g| describe_one(g)).collect()
    }
}

unsafe fn describe_one(g: *const sys::rd_kafka_ConsumerGroupDescription_t) -> GroupDescription {
    let err = sys::rd_kafka_ConsumerGroupDescription_error(g);
    let members = (0..sys::rd_kafka_ConsumerGroupDescription_member_count(g))
        .map(|i| {
            let m = sys::rd_kafka_ConsumerGroupDescription_member(g, i);
            let assigned = |a: *const sys::rd_kafka_MemberAssignment_t| {
                if a.is_null() {
                    return None;
                }
                let parts = sys::rd_kafka_MemberAssignment_partitions(a);
                Some(if parts.is_null() {
                    vec![]
                } else {
                    read_tpl(parts).into_iter().map(|(tp, _, _)| tp).collect()
                })
            };
            Member {
                consumer_id: cstr(sys::rd_kafka_MemberDescription_consumer_id(m))
                    .unwrap_or_default(),
                group_instance_id: cstr(sys::rd_kafka_MemberDescription_group_instance_id(m)),
                client_id: cstr(sys::rd_kafka_MemberDescription_client_id(m)).unwrap_or_default(),
                host: cstr(sys::rd_kafka_MemberDescription_host(m)).unwrap_or_default(),
                assignment: assigned(sys::rd_kafka_MemberDescription_assignment(m))
                    .unwrap_or_default(),
                target_assignment: assigned(sys::rd_kafka_MemberDescription_target_assignment(m)),
            }
        })
        .collect();
    GroupDescription {
        group: cstr(sys::rd_kafka_ConsumerGroupDescription_group_id(g)).unwrap_or_default(),
        state: state_of(sys::rd_kafka_ConsumerGroupDescription_state(g)),
        group_type: type_of(sys::rd_kafka_ConsumerGroupDescription_type(g)),
        simple: sys::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0,
        assignor: cstr(sys::rd_kafka_ConsumerGroupDescription_partition_assignor(g))
            .unwrap_or_default(),
        coordinator: node_of(sys::rd_kafka_ConsumerGroupDescription_coordinator(g)),
        members,
        error: if err.is_null() {
            None
        } else {
            Some(error_of(err))
        },
    }
}

/// One group per call (a librdkafka limit); callers launch many on one queue. `None`
/// asks for every partition the group has committed.
pub(super) fn group_offsets(
    rk: *mut sys::rd_kafka_t,
    group: &str,
    partitions: Option<&Tpl>,
    opts: &Options,
    q: &Queue,
) {
    let name = CString::new(group).unwrap_or_default();
    let parts = partitions.map_or(std::ptr::null(), |t| t.ptr() as *const _);
    unsafe {
        // librdkafka copies the partition list.
        let req = sys::rd_kafka_ListConsumerGroupOffsets_new(name.as_ptr(), parts);
        let mut reqs = [req];
        sys::rd_kafka_ListConsumerGroupOffsets(rk, reqs.as_mut_ptr(), 1, opts.ptr(), q.ptr());
        sys::rd_kafka_ListConsumerGroupOffsets_destroy(req);
    }
}

pub(super) fn group_offsets_result(ev: &Event) -> Vec<GroupOffsets> {
    unsafe {
        let res = sys::rd_kafka_event_ListConsumerGroupOffsets_result(ev.ptr());
        if res.is_null() {
            return vec![];
        }
        let mut n = 0usize;
        let groups = sys::rd_kafka_ListConsumerGroupOffsets_result_groups(res, &mut n);
        slice(groups, n)
            .iter()
            .map(|&g| {
                let group = cstr(sys::rd_kafka_group_result_name(g)).unwrap_or_default();
                let err = sys::rd_kafka_group_result_error(g);
                let offsets = if !err.is_null() {
                    Err(error_of(err))
                } else {
                    let parts = sys::rd_kafka_group_result_partitions(g);
                    Ok(if parts.is_null() {
                        vec![]
                    } else {
                        read_tpl(parts)
                            .into_iter()
                            .map(|(tp, off, _)| (tp, committed(off)))
                            .collect()
                    })
                };
                GroupOffsets { group, offsets }
            })
            .collect()
    }
}

pub(super) fn list_offsets(rk: *mut sys::rd_kafka_t, tpl: &Tpl, opts: &Options, q: &Queue) {
    unsafe { sys::rd_kafka_ListOffsets(rk, tpl.ptr(), opts.ptr(), q.ptr()) }
}

pub(super) fn list_offsets_result(
    ev: &Event,
) -> Vec<(TopicPartition, Result<ListedOffset, KafkaCode>)> {
    unsafe {
        let res = sys::rd_kafka_event_ListOffsets_result(ev.ptr());
        if res.is_null() {
            return vec![];
        }
        let mut n = 0usize;
        let infos = sys::rd_kafka_ListOffsets_result_infos(res, &mut n);
        slice(infos, n)
            .iter()
            .map(|&info| {
                let p = &*sys::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                let tp = TopicPartition::new(cstr(p.topic).unwrap_or_default(), p.partition);
                let r = if p.err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    Err(code_of(p.err, String::new()))
                } else {
                    Ok(ListedOffset {
                        offset: p.offset,
                        timestamp: sys::rd_kafka_ListOffsetsResultInfo_timestamp(info),
                    })
                };
                (tp, r)
            })
            .collect()
    }
}

pub(super) fn spec_offset(spec: OffsetSpec) -> i64 {
    (match spec {
        OffsetSpec::Earliest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_EARLIEST,
        OffsetSpec::Latest => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_LATEST,
        OffsetSpec::MaxTimestamp => sys::rd_kafka_OffsetSpec_t::RD_KAFKA_OFFSET_SPEC_MAX_TIMESTAMP,
        // librdkafka reads a non-negative spec as a timestamp.
        OffsetSpec::Timestamp(ms) => return ms.max(0),
    }) as i64
}

pub(super) fn describe_cluster(rk: *mut sys::rd_kafka_t, opts: &Options, q: &Queue) {
    unsafe { sys::rd_kafka_DescribeCluster(rk, opts.ptr(), q.ptr()) }
}

pub(super) fn describe_cluster_result(ev: &Event) -> Option<ClusterDescription> {
    unsafe {
        let res = sys::rd_kafka_event_DescribeCluster_result(ev.ptr());
        if res.is_null() {
            return None;
        }
        let mut n = 0usize;
        let nodes = sys::rd_kafka_DescribeCluster_result_nodes(res, &mut n);
        Some(ClusterDescription {
            cluster_id: cstr(sys::rd_kafka_DescribeCluster_result_cluster_id(res)),
            controller: node_of(sys::rd_kafka_DescribeCluster_result_controller(res)),
            nodes: slice(nodes, n).iter().filter_map(|&p| node_of(p)).collect(),
        })
    }
}

pub(super) fn describe_topics(
    rk: *mut sys::rd_kafka_t,
    topics: &[String],
    opts: &Options,
    q: &Queue,
) {
    let owned: Vec<CString> = topics
        .iter()
        .map(|t| CString::new(t.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    unsafe {
        let coll = sys::rd_kafka_TopicCollection_of_topic_names(ptrs.as_mut_ptr(), ptrs.len());
        sys::rd_kafka_DescribeTopics(rk, coll, opts.ptr(), q.ptr());
        sys::rd_kafka_TopicCollection_destroy(coll);
    }
}

pub(super) fn describe_topics_result(ev: &Event) -> Vec<TopicDescription> {
    unsafe {
        let res = sys::rd_kafka_event_DescribeTopics_result(ev.ptr());
        if res.is_null() {
            return vec![];
        }
        let mut n = 0usize;
        let topics = sys::rd_kafka_DescribeTopics_result_topics(res, &mut n);
        slice(topics, n)
            .iter()
            .map(|&t| {
                let err = sys::rd_kafka_TopicDescription_error(t);
                let err = if err.is_null() {
                    None
                } else {
                    Some(error_of(err)).filter(|e| e.code != 0)
                };
                let mut pn = 0usize;
                let parts = sys::rd_kafka_TopicDescription_partitions(t, &mut pn);
                let ids = |f: unsafe extern "C" fn(
                    *const sys::rd_kafka_TopicPartitionInfo_t,
                    *mut usize,
                )
                    -> *mut *const sys::rd_kafka_Node_t,
                           p: *const sys::rd_kafka_TopicPartitionInfo_t| {
                    let mut c = 0usize;
                    let nodes = f(p, &mut c);
                    slice(nodes, c)
                        .iter()
                        .map(|&n| sys::rd_kafka_Node_id(n))
                        .collect::<Vec<i32>>()
                };
                TopicDescription {
                    name: cstr(sys::rd_kafka_TopicDescription_name(t)).unwrap_or_default(),
                    internal: sys::rd_kafka_TopicDescription_is_internal(t) != 0,
                    partitions: slice(parts, pn)
                        .iter()
                        .map(|&p| PartitionInfo {
                            partition: sys::rd_kafka_TopicPartitionInfo_partition(p),
                            leader: node_of(sys::rd_kafka_TopicPartitionInfo_leader(p))
                                .map(|n| n.id),
                            replicas: ids(sys::rd_kafka_TopicPartitionInfo_replicas, p),
                            isr: ids(sys::rd_kafka_TopicPartitionInfo_isr, p),
                        })
                        .collect(),
                    error: err,
                }
            })
            .collect()
    }
}

/// Every classic group of the cluster described in one ListGroups + DescribeGroups round
/// per broker (librdkafka's `rd_kafka_list_groups`). DescribeConsumerGroups fans out one
/// request per group (and tries ConsumerGroupDescribe first), which costs ~4 requests per
/// group; this costs a few per broker. KIP-848 groups come back Dead here: the caller
/// describes those with DescribeConsumerGroups. `Err` carries librdkafka's error code.
pub(super) fn describe_classic_all(
    rk: *mut sys::rd_kafka_t,
    timeout: Duration,
) -> Result<(Vec<GroupDescription>, bool), KafkaCode> {
    let mut list: *const sys::rd_kafka_group_list = std::ptr::null();
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    let rc = unsafe { sys::rd_kafka_list_groups(rk, std::ptr::null(), &mut list, ms) };
    let partial = rc == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTIAL;
    if rc != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && !partial {
        if !list.is_null() {
            unsafe { sys::rd_kafka_group_list_destroy(list) };
        }
        return Err(code_of(rc, String::new()));
    }
    let groups = unsafe {
        let l = &*list;
        let out = slice(l.groups, l.group_cnt.max(0) as usize)
            .iter()
            .filter(|g| g.err == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
            .map(|g| {
                let members = slice(g.members, g.member_cnt.max(0) as usize)
                    .iter()
                    .map(|m| Member {
                        consumer_id: cstr(m.member_id).unwrap_or_default(),
                        group_instance_id: None,
                        client_id: cstr(m.client_id).unwrap_or_default(),
                        host: cstr(m.client_host).unwrap_or_default(),
                        assignment: parse_assignment(slice(
                            m.member_assignment as *const u8,
                            m.member_assignment_size.max(0) as usize,
                        )),
                        target_assignment: None,
                    })
                    .collect();
                GroupDescription {
                    group: cstr(g.group).unwrap_or_default(),
                    state: state_named(&cstr(g.state).unwrap_or_default()),
                    group_type: GroupType::Classic,
                    simple: cstr(g.protocol_type).unwrap_or_default().is_empty(),
                    assignor: cstr(g.protocol).unwrap_or_default(),
                    coordinator: Some(Node {
                        id: g.broker.id,
                        host: cstr(g.broker.host).unwrap_or_default(),
                        port: g.broker.port as u16,
                        rack: None,
                    }),
                    members,
                    error: None,
                }
            })
            .collect();
        sys::rd_kafka_group_list_destroy(list);
        out
    };
    Ok((groups, partial))
}

/// The classic consumer protocol's member assignment: version (i16), then
/// `[topic (i16-length string), [partition (i32)]]`, then user data. Malformed or
/// non-consumer assignments yield no partitions rather than an error.
pub(super) fn parse_assignment(bytes: &[u8]) -> Vec<TopicPartition> {
    struct R<'a>(&'a [u8]);
    impl R<'_> {
        fn take(&mut self, n: usize) -> Option<&[u8]> {
            (self.0.len() >= n).then(|| {
                let (a, b) = self.0.split_at(n);
                self.0 = b;
                a
            })
        }
        fn i16(&mut self) -> Option<i16> {
            self.take(2).map(|b| i16::from_be_bytes([b[0], b[1]]))
        }
        fn i32(&mut self) -> Option<i32> {
            self.take(4)
                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        }
    }
    let mut r = R(bytes);
    let mut out = Vec::new();
    let parse = |r: &mut R, out: &mut Vec<TopicPartition>| -> Option<()> {
        r.i16()?;
        for _ in 0..r.i32()?.max(0) {
            let len = usize::try_from(r.i16()?).ok()?;
            let topic = std::str::from_utf8(r.take(len)?).ok()?.to_string();
            for _ in 0..r.i32()?.max(0) {
                out.push(TopicPartition::new(topic.clone(), r.i32()?));
            }
        }
        Some(())
    };
    match parse(&mut r, &mut out) {
        Some(()) => out,
        None => Vec::new(),
    }
}

/// Group state from the names classic DescribeGroups returns.
pub(super) fn state_named(name: &str) -> GroupState {
    match name {
        "Stable" => GroupState::Stable,
        "Empty" => GroupState::Empty,
        "PreparingRebalance" => GroupState::PreparingRebalance,
        "CompletingRebalance" | "AwaitingSync" => GroupState::CompletingRebalance,
        "Dead" => GroupState::Dead,
        _ => GroupState::Unknown,
    }
}

// ---- conversions (pure where possible, unit-tested) ----

/// librdkafka's "no offset" sentinel (RD_KAFKA_OFFSET_INVALID) means "never committed".
pub(super) fn committed(offset: i64) -> Option<i64> {
    (offset >= 0).then_some(offset)
}

pub(super) fn state_of(s: sys::rd_kafka_consumer_group_state_t) -> GroupState {
    use sys::rd_kafka_consumer_group_state_t::*;
    match s {
        RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE => GroupState::PreparingRebalance,
        RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE => GroupState::CompletingRebalance,
        RD_KAFKA_CONSUMER_GROUP_STATE_STABLE => GroupState::Stable,
        RD_KAFKA_CONSUMER_GROUP_STATE_DEAD => GroupState::Dead,
        RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY => GroupState::Empty,
        _ => GroupState::Unknown,
    }
}

pub(super) fn state_code(s: GroupState) -> sys::rd_kafka_consumer_group_state_t {
    use sys::rd_kafka_consumer_group_state_t::*;
    match s {
        GroupState::PreparingRebalance => RD_KAFKA_CONSUMER_GROUP_STATE_PREPARING_REBALANCE,
        GroupState::CompletingRebalance => RD_KAFKA_CONSUMER_GROUP_STATE_COMPLETING_REBALANCE,
        GroupState::Stable => RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
        GroupState::Dead => RD_KAFKA_CONSUMER_GROUP_STATE_DEAD,
        GroupState::Empty => RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY,
        GroupState::Unknown => RD_KAFKA_CONSUMER_GROUP_STATE_UNKNOWN,
    }
}

pub(super) fn type_of(t: sys::rd_kafka_consumer_group_type_t) -> GroupType {
    use sys::rd_kafka_consumer_group_type_t::*;
    match t {
        RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC => GroupType::Classic,
        RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER => GroupType::Consumer,
        _ => GroupType::Unknown,
    }
}

pub(super) fn type_code(t: GroupType) -> sys::rd_kafka_consumer_group_type_t {
    use sys::rd_kafka_consumer_group_type_t::*;
    match t {
        GroupType::Classic => RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC,
        GroupType::Consumer => RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER,
        GroupType::Unknown => RD_KAFKA_CONSUMER_GROUP_TYPE_UNKNOWN,
    }
}

pub(super) fn code_of(code: sys::rd_kafka_resp_err_t, message: String) -> KafkaCode {
    let name = unsafe { cstr(sys::rd_kafka_err2name(code)) }.unwrap_or_default();
    let message = if message.is_empty() {
        unsafe { cstr(sys::rd_kafka_err2str(code)) }.unwrap_or_default()
    } else {
        message
    };
    KafkaCode {
        code: code as i32,
        name,
        message,
    }
}

unsafe fn error_of(e: *const sys::rd_kafka_error_t) -> KafkaCode {
    KafkaCode {
        code: sys::rd_kafka_error_code(e) as i32,
        name: cstr(sys::rd_kafka_error_name(e)).unwrap_or_default(),
        message: cstr(sys::rd_kafka_error_string(e)).unwrap_or_default(),
    }
}

unsafe fn node_of(n: *const sys::rd_kafka_Node_t) -> Option<Node> {
    if n.is_null() {
        return None;
    }
    Some(Node {
        id: sys::rd_kafka_Node_id(n),
        host: cstr(sys::rd_kafka_Node_host(n)).unwrap_or_default(),
        port: sys::rd_kafka_Node_port(n),
        rack: cstr(sys::rd_kafka_Node_rack(n)),
    })
}

unsafe fn read_tpl(
    list: *const sys::rd_kafka_topic_partition_list_t,
) -> Vec<(TopicPartition, i64, Option<KafkaCode>)> {
    let list = &*list;
    slice(
        list.elems as *const sys::rd_kafka_topic_partition_t,
        list.cnt.max(0) as usize,
    )
    .iter()
    .map(|p| {
        let err = (p.err != sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR)
            .then(|| code_of(p.err, String::new()));
        (
            TopicPartition::new(cstr(p.topic).unwrap_or_default(), p.partition),
            p.offset,
            err,
        )
    })
    .collect()
}

/// A C array as a slice; empty for NULL.
unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, len)
    }
}

pub(super) unsafe fn cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_librdkafka_codes() {
        use GroupState::*;
        for s in [
            Unknown,
            PreparingRebalance,
            CompletingRebalance,
            Stable,
            Dead,
            Empty,
        ] {
            assert_eq!(state_of(state_code(s)), s);
            // librdkafka's own name for the state matches ours.
            let name =
                unsafe { cstr(sys::rd_kafka_consumer_group_state_name(state_code(s))) }.unwrap();
            assert_eq!(name, s.as_str());
        }
    }

    #[test]
    fn types_round_trip_through_librdkafka_codes() {
        for t in [GroupType::Classic, GroupType::Consumer, GroupType::Unknown] {
            assert_eq!(type_of(type_code(t)), t);
            let name =
                unsafe { cstr(sys::rd_kafka_consumer_group_type_name(type_code(t))) }.unwrap();
            assert_eq!(name.to_ascii_lowercase(), t.as_str());
        }
    }

    #[test]
    fn invalid_offset_means_no_commit() {
        assert_eq!(committed(-1001), None);
        assert_eq!(committed(-1), None);
        assert_eq!(committed(0), Some(0));
        assert_eq!(committed(42), Some(42));
    }

    #[test]
    fn offset_specs_are_librdkafkas() {
        assert_eq!(spec_offset(OffsetSpec::Earliest), -2);
        assert_eq!(spec_offset(OffsetSpec::Latest), -1);
        assert_eq!(spec_offset(OffsetSpec::MaxTimestamp), -3);
    }

    #[test]
    fn partition_lists_round_trip() {
        let a = TopicPartition::new("orders", 3);
        let b = TopicPartition::new("päyments", 0);
        let tpl = Tpl::new([(&a, 17), (&b, -2)]);
        let back = tpl.read();
        assert_eq!(back, vec![(a, 17, None), (b, -2, None)]);
    }

    #[test]
    fn error_codes_carry_librdkafka_names() {
        let c = code_of(
            sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND,
            String::new(),
        );
        assert_eq!(c.code, KafkaCode::GROUP_ID_NOT_FOUND);
        assert_eq!(c.name, "GROUP_ID_NOT_FOUND");
        assert!(!c.message.is_empty());
    }

    fn assignment_bytes(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut b = vec![0, 1]; // version 1
        b.extend((topics.len() as i32).to_be_bytes());
        for (t, parts) in topics {
            b.extend((t.len() as i16).to_be_bytes());
            b.extend(t.as_bytes());
            b.extend((parts.len() as i32).to_be_bytes());
            for p in *parts {
                b.extend(p.to_be_bytes());
            }
        }
        b.extend((-1i32).to_be_bytes()); // no user data
        b
    }

    #[test]
    fn classic_assignments_parse() {
        let bytes = assignment_bytes(&[("orders", &[0, 2]), ("audit", &[1])]);
        assert_eq!(
            parse_assignment(&bytes),
            vec![
                TopicPartition::new("orders", 0),
                TopicPartition::new("orders", 2),
                TopicPartition::new("audit", 1)
            ]
        );
        assert_eq!(parse_assignment(&[]), vec![]);
        // Truncated: nothing rather than a partial or wrong list.
        assert_eq!(parse_assignment(&bytes[..bytes.len() - 9]), vec![]);
        assert_eq!(parse_assignment(&[0, 0, 0x7f, 0xff, 0xff, 0xff]), vec![]);
    }

    #[test]
    fn classic_state_names() {
        for s in [
            GroupState::Stable,
            GroupState::Empty,
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Dead,
        ] {
            assert_eq!(state_named(s.as_str()), s);
        }
        assert_eq!(state_named("Assigning"), GroupState::Unknown);
    }

    #[test]
    fn null_arrays_are_empty() {
        let s: &[u8] = unsafe { slice(std::ptr::null(), 3) };
        assert!(s.is_empty());
        assert_eq!(unsafe { cstr(std::ptr::null()) }, None);
    }
}
