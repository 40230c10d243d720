//! Safe wrappers over the librdkafka admin calls that the rdkafka crate does not expose:
//! ListConsumerGroups, DescribeConsumerGroups, ListConsumerGroupOffsets, ListOffsets,
//! DescribeCluster and DescribeTopics; and the writes AlterConsumerGroupOffsets,
//! DeleteConsumerGroupOffsets and DeleteGroups.
//!
//! Every call follows one pattern: options → own result queue → call → poll the queue →
//! copy the result into owned Rust values → destroy. Objects kbp creates are
//! [`NativePtr`]s, freed once; a [`Queue`] and its events borrow their client
//! ([`ClientRef`]), so none can outlive it. Unsafe blocks hold only the C calls and the
//! reads of what they return; the conversions around them are safe Rust. Several calls
//! may be in flight on one queue at once, which is how kbp asks for many groups' offsets
//! in parallel.

use std::ffi::CString;
use std::marker::PhantomData;
use std::os::raw::c_char;
use std::time::Duration;

use rdkafka_sys as sys;
use sys::rd_kafka_admin_op_t as Op;
use sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR as NO_ERROR;

use super::native::{cstr, slice, ClientRef, KafkaDrop, NativePtr};
use super::types::*;

/// An owned result queue on a borrowed client; the admin calls below launch on it.
pub(super) struct Queue<'c> {
    queue: NativePtr<sys::rd_kafka_queue_t>,
    client: ClientRef<'c>,
}

impl<'c> Queue<'c> {
    pub fn new(client: ClientRef<'c>) -> Queue<'c> {
        // SAFETY: the client is live for 'c, which the queue cannot outlive; the new queue
        // is ours.
        let queue = unsafe { NativePtr::from_ptr(sys::rd_kafka_queue_new(client.ptr())) }
            .expect("rd_kafka_queue_new returned NULL");
        Queue { queue, client }
    }

    pub fn poll(&self, wait: Duration) -> Option<Event<'c>> {
        let ms = wait.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: the queue is live; a non-NULL event is ours from here on.
        let ev = unsafe { NativePtr::from_ptr(sys::rd_kafka_queue_poll(self.queue.ptr(), ms)) }?;
        Some(Event {
            ev,
            _client: PhantomData,
        })
    }

    fn rk(&self) -> *mut sys::rd_kafka_t {
        self.client.ptr()
    }

    fn ptr(&self) -> *mut sys::rd_kafka_queue_t {
        self.queue.ptr()
    }
}

/// An owned admin result event, from a queue on a client that lives for `'c`.
pub(super) struct Event<'c> {
    ev: NativePtr<sys::rd_kafka_event_t>,
    _client: PhantomData<ClientRef<'c>>,
}

impl Event<'_> {
    fn ptr(&self) -> *mut sys::rd_kafka_event_t {
        self.ev.ptr()
    }

    /// The request-level error (timeout, transport, authorization), if any.
    pub fn error(&self) -> Option<KafkaCode> {
        // SAFETY: the event is live.
        let code = unsafe { sys::rd_kafka_event_error(self.ptr()) };
        if code == NO_ERROR {
            return None;
        }
        // SAFETY: the event is live and owns the string, which is copied here.
        let message = unsafe { cstr(sys::rd_kafka_event_error_string(self.ptr())) };
        Some(code_of(code, message.unwrap_or_default()))
    }
}

/// Owned admin options, with the request timeout that bounds the call.
pub(super) struct Options(NativePtr<sys::rd_kafka_AdminOptions_t>);

impl Options {
    pub fn new(client: ClientRef<'_>, op: Op, timeout: Duration) -> Result<Options, String> {
        // SAFETY: the client is live; the options are ours (they keep no link to it).
        let opts = unsafe { NativePtr::from_ptr(sys::rd_kafka_AdminOptions_new(client.ptr(), op)) }
            .map(Options)
            .ok_or_else(|| "rd_kafka_AdminOptions_new returned NULL".to_string())?;
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        let mut err = [0 as c_char; 512];
        // SAFETY: the options are live; librdkafka writes at most `err.len()` bytes.
        let rc = unsafe {
            sys::rd_kafka_AdminOptions_set_request_timeout(
                opts.ptr(),
                ms,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        if rc != NO_ERROR {
            return Err(buf_str(&err));
        }
        Ok(opts)
    }

    fn ptr(&self) -> *mut sys::rd_kafka_AdminOptions_t {
        self.0.ptr()
    }

    /// `Err` with librdkafka's message when a setter returned an error object.
    fn check(err: Option<NativePtr<sys::rd_kafka_error_t>>) -> Result<(), String> {
        match err {
            None => Ok(()),
            // SAFETY: the error object is ours and live until `err` drops.
            Some(err) => Err(unsafe { error_of(err.ptr()) }.message),
        }
    }

    pub fn match_states(&self, states: &[GroupState]) -> Result<(), String> {
        if states.is_empty() {
            return Ok(());
        }
        let raw: Vec<_> = states.iter().map(|s| state_code(*s)).collect();
        // SAFETY: the options are live; librdkafka copies `raw` and returns NULL or an
        // error object that is ours.
        Self::check(unsafe {
            NativePtr::from_ptr(sys::rd_kafka_AdminOptions_set_match_consumer_group_states(
                self.ptr(),
                raw.as_ptr(),
                raw.len(),
            ))
        })
    }

    pub fn match_types(&self, types: &[GroupType]) -> Result<(), String> {
        let raw: Vec<_> = types.iter().map(|t| type_code(*t)).collect();
        // SAFETY: as in `match_states`.
        Self::check(unsafe {
            NativePtr::from_ptr(sys::rd_kafka_AdminOptions_set_match_consumer_group_types(
                self.ptr(),
                raw.as_ptr(),
                raw.len(),
            ))
        })
    }

    /// Asks the broker for the operations the principal may perform on each described
    /// resource (KIP-430).
    pub fn include_authorized_operations(&self) -> Result<(), String> {
        // SAFETY: the options are live; NULL or an error object that is ours comes back.
        Self::check(unsafe {
            NativePtr::from_ptr(
                sys::rd_kafka_AdminOptions_set_include_authorized_operations(self.ptr(), 1),
            )
        })
    }

    pub fn read_uncommitted(&self) -> Result<(), String> {
        // SAFETY: the options are live; NULL or an error object that is ours comes back.
        Self::check(unsafe {
            NativePtr::from_ptr(sys::rd_kafka_AdminOptions_set_isolation_level(
                self.ptr(),
                sys::rd_kafka_IsolationLevel_t::RD_KAFKA_ISOLATION_LEVEL_READ_UNCOMMITTED,
            ))
        })
    }
}

/// An owned topic-partition list.
pub(super) struct Tpl(NativePtr<sys::rd_kafka_topic_partition_list_t>);

impl Tpl {
    pub fn new<'a>(items: impl IntoIterator<Item = (&'a TopicPartition, i64)>) -> Tpl {
        // SAFETY: a new list, ours to destroy.
        let list = unsafe { NativePtr::from_ptr(sys::rd_kafka_topic_partition_list_new(16)) };
        let tpl = Tpl(list.expect("tpl alloc"));
        for (tp, offset) in items {
            let topic = CString::new(tp.topic.as_str()).unwrap_or_default();
            // SAFETY: the list is live and copies the name; the element it returns is valid
            // until the next add, and is written at once.
            unsafe {
                let el = sys::rd_kafka_topic_partition_list_add(
                    tpl.0.ptr(),
                    topic.as_ptr(),
                    tp.partition,
                );
                (*el).offset = offset;
            }
        }
        tpl
    }

    fn ptr(&self) -> *mut sys::rd_kafka_topic_partition_list_t {
        self.0.ptr()
    }

    #[cfg(test)]
    pub fn read(&self) -> Vec<(TopicPartition, i64, Option<KafkaCode>)> {
        // SAFETY: the list is live and not changed while read.
        unsafe { read_tpl(self.ptr()) }
    }
}

// ---- the calls: each launches on a queue; the session waits; `*_result` converts ----

pub(super) fn list_groups(opts: &Options, q: &Queue<'_>) {
    // SAFETY: client, options and queue are live; the result arrives on the queue.
    unsafe { sys::rd_kafka_ListConsumerGroups(q.rk(), opts.ptr(), q.ptr()) }
}

/// Valid listings, and the per-broker errors (a broker that could not answer).
pub(super) fn list_groups_result(ev: &Event<'_>) -> (Vec<GroupListing>, Vec<KafkaCode>) {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { sys::rd_kafka_event_ListConsumerGroups_result(ev.ptr()) };
    if res.is_null() {
        return (vec![], vec![]);
    }
    let (mut n, mut m) = (0usize, 0usize);
    // SAFETY: `res` is live; both arrays (and what they point to) live as long as the event.
    let (valid, errs) = unsafe {
        let valid = sys::rd_kafka_ListConsumerGroups_result_valid(res, &mut n);
        let errs = sys::rd_kafka_ListConsumerGroups_result_errors(res, &mut m);
        (slice(valid, n), slice(errs, m))
    };
    let listings = valid
        .iter()
        .map(|&g| {
            // SAFETY: the listing is live with the event; its name is copied here.
            let (group, state, group_type, simple) = unsafe {
                (
                    cstr(sys::rd_kafka_ConsumerGroupListing_group_id(g)),
                    sys::rd_kafka_ConsumerGroupListing_state(g),
                    sys::rd_kafka_ConsumerGroupListing_type(g),
                    sys::rd_kafka_ConsumerGroupListing_is_simple_consumer_group(g),
                )
            };
            GroupListing {
                group: group.unwrap_or_default(),
                state: state_of(state),
                group_type: type_of(group_type),
                simple: simple != 0,
            }
        })
        .collect();
    let errors = errs
        .iter()
        // SAFETY: each error is live with the event.
        .map(|&e| unsafe { error_of(e) })
        .collect();
    (listings, errors)
}

pub(super) fn describe_groups(groups: &[String], opts: &Options, q: &Queue<'_>) {
    let owned: Vec<CString> = groups
        .iter()
        .map(|g| CString::new(g.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: client, options, queue and names are live; librdkafka copies the names
    // before returning.
    unsafe {
        sys::rd_kafka_DescribeConsumerGroups(
            q.rk(),
            ptrs.as_mut_ptr(),
            ptrs.len(),
            opts.ptr(),
            q.ptr(),
        )
    }
}

pub(super) fn describe_groups_result(ev: &Event<'_>) -> Vec<GroupDescription> {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { sys::rd_kafka_event_DescribeConsumerGroups_result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the descriptions live as long as the event.
    let groups = unsafe {
        let groups = sys::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n);
        slice(groups, n)
    };
    groups
        .iter()
        // SAFETY: each description is live with the event.
        .map(|&g| unsafe { describe_one(g) })
        .collect()
}

/// # Safety
/// `g` is a live group description for the whole call.
unsafe fn describe_one(g: *const sys::rd_kafka_ConsumerGroupDescription_t) -> GroupDescription {
    // SAFETY: `g` is live (the caller's contract).
    let count = unsafe { sys::rd_kafka_ConsumerGroupDescription_member_count(g) };
    let members = (0..count)
        // SAFETY: `i` is below the member count; each member lives as long as `g`.
        .map(|i| unsafe { member_of(sys::rd_kafka_ConsumerGroupDescription_member(g, i)) })
        .collect();
    // SAFETY: `g` is live; its strings, coordinator and error are copied here.
    let (group, state, group_type, simple, assignor, coordinator, error) = unsafe {
        let err = sys::rd_kafka_ConsumerGroupDescription_error(g);
        (
            cstr(sys::rd_kafka_ConsumerGroupDescription_group_id(g)),
            sys::rd_kafka_ConsumerGroupDescription_state(g),
            sys::rd_kafka_ConsumerGroupDescription_type(g),
            sys::rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g),
            cstr(sys::rd_kafka_ConsumerGroupDescription_partition_assignor(g)),
            node_of(sys::rd_kafka_ConsumerGroupDescription_coordinator(g)),
            (!err.is_null()).then(|| error_of(err)),
        )
    };
    GroupDescription {
        group: group.unwrap_or_default(),
        state: state_of(state),
        group_type: type_of(group_type),
        simple: simple != 0,
        assignor: assignor.unwrap_or_default(),
        coordinator,
        members,
        error,
    }
}

/// # Safety
/// `m` is a live member description for the whole call.
unsafe fn member_of(m: *const sys::rd_kafka_MemberDescription_t) -> Member {
    // SAFETY: `m` is live (the caller's contract); its strings and assignments are copied
    // here.
    let (consumer_id, group_instance_id, client_id, host, assignment, target) = unsafe {
        (
            cstr(sys::rd_kafka_MemberDescription_consumer_id(m)),
            cstr(sys::rd_kafka_MemberDescription_group_instance_id(m)),
            cstr(sys::rd_kafka_MemberDescription_client_id(m)),
            cstr(sys::rd_kafka_MemberDescription_host(m)),
            assignment_of(sys::rd_kafka_MemberDescription_assignment(m)),
            assignment_of(sys::rd_kafka_MemberDescription_target_assignment(m)),
        )
    };
    Member {
        consumer_id: consumer_id.unwrap_or_default(),
        group_instance_id,
        client_id: client_id.unwrap_or_default(),
        host: host.unwrap_or_default(),
        assignment: assignment.unwrap_or_default(),
        target_assignment: target,
    }
}

/// The partitions of an assignment; `None` when there is none.
///
/// # Safety
/// `a` is NULL or a live assignment for the whole call.
unsafe fn assignment_of(a: *const sys::rd_kafka_MemberAssignment_t) -> Option<Vec<TopicPartition>> {
    if a.is_null() {
        return None;
    }
    // SAFETY: `a` is live (the caller's contract); the list lives as long as it.
    let parts = unsafe { sys::rd_kafka_MemberAssignment_partitions(a) };
    if parts.is_null() {
        return Some(vec![]);
    }
    // SAFETY: as above.
    let read = unsafe { read_tpl(parts) };
    Some(read.into_iter().map(|(tp, _, _)| tp).collect())
}

/// One group per call (a librdkafka limit); callers launch many on one queue. `None`
/// asks for every partition the group has committed.
pub(super) fn group_offsets(group: &str, partitions: Option<&Tpl>, opts: &Options, q: &Queue<'_>) {
    let name = CString::new(group).unwrap_or_default();
    let parts = partitions.map_or(std::ptr::null(), |t| t.ptr().cast_const());
    // SAFETY: the name and list are live for the call and copied; the request is ours.
    let req = unsafe {
        NativePtr::from_ptr(sys::rd_kafka_ListConsumerGroupOffsets_new(
            name.as_ptr(),
            parts,
        ))
    }
    .expect("rd_kafka_ListConsumerGroupOffsets_new returned NULL");
    let mut reqs = [req.ptr()];
    // SAFETY: client, request, options and queue are live; librdkafka copies the request
    // (which `req` destroys afterwards).
    unsafe {
        sys::rd_kafka_ListConsumerGroupOffsets(q.rk(), reqs.as_mut_ptr(), 1, opts.ptr(), q.ptr())
    }
}

pub(super) fn group_offsets_result(ev: &Event<'_>) -> Vec<GroupOffsets> {
    group_results(
        ev,
        sys::rd_kafka_event_ListConsumerGroupOffsets_result,
        sys::rd_kafka_ListConsumerGroupOffsets_result_groups,
    )
    .into_iter()
    .map(|(group, parts)| GroupOffsets {
        group,
        offsets: parts.map(|parts| {
            parts
                .into_iter()
                .map(|(tp, off, _)| (tp, committed(off)))
                .collect()
        }),
    })
    .collect()
}

/// A list request on a group: AlterConsumerGroupOffsets and DeleteConsumerGroupOffsets
/// take one group and its partitions, and the same launch.
type GroupListNew<T> =
    unsafe extern "C" fn(*const c_char, *const sys::rd_kafka_topic_partition_list_t) -> *mut T;
type GroupListCall<T> = unsafe extern "C" fn(
    *mut sys::rd_kafka_t,
    *mut *mut T,
    usize,
    *const sys::rd_kafka_AdminOptions_t,
    *mut sys::rd_kafka_queue_t,
);

/// Launches `call` for one group with `partitions` (one group per call: a librdkafka
/// limit of both).
fn group_list_call<T: KafkaDrop>(
    group: &str,
    partitions: &Tpl,
    new: GroupListNew<T>,
    call: GroupListCall<T>,
    opts: &Options,
    q: &Queue<'_>,
) {
    let name = CString::new(group).unwrap_or_default();
    // SAFETY: the name and list are live for the call and copied; the request is ours.
    let req = unsafe { NativePtr::from_ptr(new(name.as_ptr(), partitions.ptr().cast_const())) }
        .unwrap_or_else(|| panic!("{}_new returned NULL", T::TYPE));
    let mut reqs = [req.ptr()];
    // SAFETY: client, request, options and queue are live; librdkafka copies the request
    // (which `req` destroys afterwards).
    unsafe { call(q.rk(), reqs.as_mut_ptr(), 1, opts.ptr(), q.ptr()) }
}

/// Commits `offsets` (the list's offsets) for `group`: one OffsetCommit request.
pub(super) fn alter_group_offsets(group: &str, offsets: &Tpl, opts: &Options, q: &Queue<'_>) {
    group_list_call(
        group,
        offsets,
        sys::rd_kafka_AlterConsumerGroupOffsets_new,
        sys::rd_kafka_AlterConsumerGroupOffsets,
        opts,
        q,
    )
}

/// Per group, each partition's error (`None`: committed), or the group's own error.
pub(super) fn alter_group_offsets_result(ev: &Event<'_>) -> Vec<GroupResult> {
    group_results(
        ev,
        sys::rd_kafka_event_AlterConsumerGroupOffsets_result,
        sys::rd_kafka_AlterConsumerGroupOffsets_result_groups,
    )
}

/// Deletes `group`'s commits on `partitions`: one OffsetDelete request.
pub(super) fn delete_group_offsets(group: &str, partitions: &Tpl, opts: &Options, q: &Queue<'_>) {
    group_list_call(
        group,
        partitions,
        sys::rd_kafka_DeleteConsumerGroupOffsets_new,
        sys::rd_kafka_DeleteConsumerGroupOffsets,
        opts,
        q,
    )
}

pub(super) fn delete_group_offsets_result(ev: &Event<'_>) -> Vec<GroupResult> {
    group_results(
        ev,
        sys::rd_kafka_event_DeleteConsumerGroupOffsets_result,
        sys::rd_kafka_DeleteConsumerGroupOffsets_result_groups,
    )
}

/// Deletes `groups` (distinct names: librdkafka refuses duplicates); one request per
/// coordinator.
pub(super) fn delete_groups(groups: &[String], opts: &Options, q: &Queue<'_>) {
    let reqs: Vec<NativePtr<sys::rd_kafka_DeleteGroup_t>> = groups
        .iter()
        .map(|g| {
            let name = CString::new(g.as_str()).unwrap_or_default();
            // SAFETY: the name is live for the call and copied; the request is ours.
            unsafe { NativePtr::from_ptr(sys::rd_kafka_DeleteGroup_new(name.as_ptr())) }
                .expect("rd_kafka_DeleteGroup_new returned NULL")
        })
        .collect();
    let mut ptrs: Vec<*mut sys::rd_kafka_DeleteGroup_t> = reqs.iter().map(|r| r.ptr()).collect();
    // SAFETY: client, requests, options and queue are live; librdkafka copies the requests
    // (which `reqs` destroys afterwards).
    unsafe {
        sys::rd_kafka_DeleteGroups(q.rk(), ptrs.as_mut_ptr(), ptrs.len(), opts.ptr(), q.ptr())
    }
}

pub(super) fn delete_groups_result(ev: &Event<'_>) -> Vec<GroupResult> {
    group_results(
        ev,
        sys::rd_kafka_event_DeleteGroups_result,
        sys::rd_kafka_DeleteGroups_result_groups,
    )
}

/// One group's answer to a group admin call: its name, and each partition's offset and
/// error, or the group's own error.
pub(super) type GroupResult = (
    String,
    Result<Vec<(TopicPartition, i64, Option<KafkaCode>)>, KafkaCode>,
);

/// The group results of `ev`, read through the call's own result accessors (`result`
/// gives NULL when the event holds another call's result).
fn group_results<R>(
    ev: &Event<'_>,
    result: unsafe extern "C" fn(*mut sys::rd_kafka_event_t) -> *const R,
    groups: unsafe extern "C" fn(*const R, *mut usize) -> *mut *const sys::rd_kafka_group_result_t,
) -> Vec<GroupResult> {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the group results live as long as the event.
    let groups = unsafe { slice(groups(res, &mut n).cast_const(), n) };
    groups
        .iter()
        .map(|&g| {
            // SAFETY: the group result is live with the event; what it holds is copied here.
            unsafe {
                let err = sys::rd_kafka_group_result_error(g);
                let parts = sys::rd_kafka_group_result_partitions(g);
                let outcome = match (err.is_null(), parts.is_null()) {
                    (false, _) => Err(error_of(err)),
                    (true, true) => Ok(vec![]),
                    (true, false) => Ok(read_tpl(parts)),
                };
                (
                    cstr(sys::rd_kafka_group_result_name(g)).unwrap_or_default(),
                    outcome,
                )
            }
        })
        .collect()
}

pub(super) fn list_offsets(tpl: &Tpl, opts: &Options, q: &Queue<'_>) {
    // SAFETY: client, list, options and queue are live; librdkafka copies the list.
    unsafe { sys::rd_kafka_ListOffsets(q.rk(), tpl.ptr(), opts.ptr(), q.ptr()) }
}

pub(super) fn list_offsets_result(
    ev: &Event<'_>,
) -> Vec<(TopicPartition, Result<ListedOffset, KafkaCode>)> {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { sys::rd_kafka_event_ListOffsets_result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the infos live as long as the event.
    let infos = unsafe {
        let infos = sys::rd_kafka_ListOffsets_result_infos(res, &mut n);
        slice(infos, n)
    };
    infos
        .iter()
        .map(|&info| {
            // SAFETY: the info and its partition are live with the event; the topic name is
            // copied here.
            let (topic, p, timestamp) = unsafe {
                let p = *sys::rd_kafka_ListOffsetsResultInfo_topic_partition(info);
                (
                    cstr(p.topic),
                    p,
                    sys::rd_kafka_ListOffsetsResultInfo_timestamp(info),
                )
            };
            let tp = TopicPartition::new(topic.unwrap_or_default(), p.partition);
            let r = if p.err != NO_ERROR {
                Err(code_of(p.err, String::new()))
            } else {
                Ok(ListedOffset {
                    offset: p.offset,
                    timestamp,
                })
            };
            (tp, r)
        })
        .collect()
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

pub(super) fn describe_cluster(opts: &Options, q: &Queue<'_>) {
    // SAFETY: client, options and queue are live.
    unsafe { sys::rd_kafka_DescribeCluster(q.rk(), opts.ptr(), q.ptr()) }
}

pub(super) fn describe_cluster_result(ev: &Event<'_>) -> Option<ClusterDescription> {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { sys::rd_kafka_event_DescribeCluster_result(ev.ptr()) };
    if res.is_null() {
        return None;
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; its id, controller and nodes live as long as the event and
    // are copied here.
    let (cluster_id, controller, nodes) = unsafe {
        let nodes = sys::rd_kafka_DescribeCluster_result_nodes(res, &mut n);
        let nodes: Vec<Node> = slice(nodes, n).iter().filter_map(|&p| node_of(p)).collect();
        (
            cstr(sys::rd_kafka_DescribeCluster_result_cluster_id(res)),
            node_of(sys::rd_kafka_DescribeCluster_result_controller(res)),
            nodes,
        )
    };
    Some(ClusterDescription {
        cluster_id,
        controller,
        nodes,
    })
}

pub(super) fn describe_topics(topics: &[String], opts: &Options, q: &Queue<'_>) {
    let owned: Vec<CString> = topics
        .iter()
        .map(|t| CString::new(t.as_str()).unwrap_or_default())
        .collect();
    let mut ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
    // SAFETY: the names are live for the call and copied; the collection is ours.
    let coll = unsafe {
        NativePtr::from_ptr(sys::rd_kafka_TopicCollection_of_topic_names(
            ptrs.as_mut_ptr(),
            ptrs.len(),
        ))
    }
    .expect("rd_kafka_TopicCollection_of_topic_names returned NULL");
    // SAFETY: client, collection, options and queue are live; librdkafka copies the
    // collection.
    unsafe { sys::rd_kafka_DescribeTopics(q.rk(), coll.ptr(), opts.ptr(), q.ptr()) }
}

pub(super) fn describe_topics_result(ev: &Event<'_>) -> Vec<TopicDescription> {
    // SAFETY: the event is live; NULL means it holds another result.
    let res = unsafe { sys::rd_kafka_event_DescribeTopics_result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the descriptions live as long as the event.
    let topics = unsafe {
        let topics = sys::rd_kafka_DescribeTopics_result_topics(res, &mut n);
        slice(topics, n)
    };
    topics
        .iter()
        // SAFETY: each description is live with the event.
        .map(|&t| unsafe { topic_of(t) })
        .collect()
}

/// What each described topic allows the principal (see [`Options::include_authorized_operations`]).
pub(super) fn topic_permissions_result(ev: &Event<'_>) -> Vec<(String, Permission)> {
    // SAFETY: as in `describe_topics_result`.
    let res = unsafe { sys::rd_kafka_event_DescribeTopics_result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the descriptions live as long as the event.
    let topics = unsafe { slice(sys::rd_kafka_DescribeTopics_result_topics(res, &mut n), n) };
    topics
        .iter()
        .map(|&t| {
            let mut cnt = 0usize;
            // SAFETY: each description is live with the event; its name, error and
            // operations are copied here.
            unsafe {
                let err = sys::rd_kafka_TopicDescription_error(t);
                let ops = sys::rd_kafka_TopicDescription_authorized_operations(t, &mut cnt);
                (
                    cstr(sys::rd_kafka_TopicDescription_name(t)).unwrap_or_default(),
                    permission((!err.is_null()).then(|| error_of(err)), ops, cnt),
                )
            }
        })
        .collect()
}

/// What each described group allows the principal (see [`Options::include_authorized_operations`]).
pub(super) fn group_permissions_result(ev: &Event<'_>) -> Vec<(String, Permission)> {
    // SAFETY: as in `describe_groups_result`.
    let res = unsafe { sys::rd_kafka_event_DescribeConsumerGroups_result(ev.ptr()) };
    if res.is_null() {
        return vec![];
    }
    let mut n = 0usize;
    // SAFETY: `res` is live; the descriptions live as long as the event.
    let groups = unsafe {
        slice(
            sys::rd_kafka_DescribeConsumerGroups_result_groups(res, &mut n),
            n,
        )
    };
    groups
        .iter()
        .map(|&g| {
            let mut cnt = 0usize;
            // SAFETY: each description is live with the event; its name, error and
            // operations are copied here.
            unsafe {
                let err = sys::rd_kafka_ConsumerGroupDescription_error(g);
                let ops = sys::rd_kafka_ConsumerGroupDescription_authorized_operations(g, &mut cnt);
                (
                    cstr(sys::rd_kafka_ConsumerGroupDescription_group_id(g)).unwrap_or_default(),
                    permission((!err.is_null()).then(|| error_of(err)), ops, cnt),
                )
            }
        })
        .collect()
}

/// # Safety
/// `ops` is NULL or points at `cnt` operations.
unsafe fn permission(
    error: Option<KafkaCode>,
    ops: *const sys::rd_kafka_AclOperation_t,
    cnt: usize,
) -> Permission {
    use sys::rd_kafka_AclOperation_t as A;
    match error.filter(|e| e.code != 0) {
        Some(e) if e.is_authorization() => Permission::Denied,
        Some(e) => Permission::Unknown(Some(e)),
        // SAFETY: the caller's contract.
        None if !ops.is_null() => Permission::Allows(
            unsafe { slice(ops, cnt) }
                .iter()
                .filter_map(|op| match op {
                    A::RD_KAFKA_ACL_OPERATION_READ => Some(AclOperation::Read),
                    A::RD_KAFKA_ACL_OPERATION_WRITE => Some(AclOperation::Write),
                    A::RD_KAFKA_ACL_OPERATION_DELETE => Some(AclOperation::Delete),
                    A::RD_KAFKA_ACL_OPERATION_DESCRIBE => Some(AclOperation::Describe),
                    _ => None,
                })
                .collect(),
        ),
        None => Permission::Unknown(None),
    }
}

/// # Safety
/// `t` is a live topic description for the whole call.
unsafe fn topic_of(t: *const sys::rd_kafka_TopicDescription_t) -> TopicDescription {
    let mut pn = 0usize;
    // SAFETY: `t` is live (the caller's contract); its name and error are copied here, its
    // partitions live as long as it.
    let (name, internal, error, parts) = unsafe {
        let err = sys::rd_kafka_TopicDescription_error(t);
        let parts = sys::rd_kafka_TopicDescription_partitions(t, &mut pn);
        (
            cstr(sys::rd_kafka_TopicDescription_name(t)),
            sys::rd_kafka_TopicDescription_is_internal(t),
            (!err.is_null()).then(|| error_of(err)),
            slice(parts, pn),
        )
    };
    TopicDescription {
        name: name.unwrap_or_default(),
        internal: internal != 0,
        partitions: parts
            .iter()
            // SAFETY: each partition info lives as long as `t`.
            .map(|&p| unsafe { partition_of(p) })
            .collect(),
        error: error.filter(|e| e.code != 0),
    }
}

/// # Safety
/// `p` is a live partition info for the whole call.
unsafe fn partition_of(p: *const sys::rd_kafka_TopicPartitionInfo_t) -> PartitionInfo {
    let (mut rn, mut isrn) = (0usize, 0usize);
    // SAFETY: `p` is live (the caller's contract); its leader and nodes live as long as it
    // and are read here.
    unsafe {
        let replicas = sys::rd_kafka_TopicPartitionInfo_replicas(p, &mut rn);
        let isr = sys::rd_kafka_TopicPartitionInfo_isr(p, &mut isrn);
        PartitionInfo {
            partition: sys::rd_kafka_TopicPartitionInfo_partition(p),
            leader: node_of(sys::rd_kafka_TopicPartitionInfo_leader(p)).map(|n| n.id),
            replicas: node_ids(slice(replicas, rn)),
            isr: node_ids(slice(isr, isrn)),
        }
    }
}

/// # Safety
/// Every pointer in `nodes` is a live node.
unsafe fn node_ids(nodes: &[*const sys::rd_kafka_Node_t]) -> Vec<i32> {
    nodes
        .iter()
        // SAFETY: the node is live (the caller's contract).
        .map(|&n| unsafe { sys::rd_kafka_Node_id(n) })
        .collect()
}

/// Every classic group of the cluster described in one ListGroups + DescribeGroups round
/// per broker (librdkafka's `rd_kafka_list_groups`). DescribeConsumerGroups fans out one
/// request per group (and tries ConsumerGroupDescribe first), which costs ~4 requests per
/// group; this costs a few per broker. KIP-848 groups come back Dead here: the caller
/// describes those with DescribeConsumerGroups. `Err` carries librdkafka's error code.
pub(super) fn describe_classic_all(
    client: ClientRef<'_>,
    timeout: Duration,
) -> Result<(Vec<GroupDescription>, bool), KafkaCode> {
    let mut list: *const sys::rd_kafka_group_list = std::ptr::null();
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: the client is live; librdkafka leaves `list` NULL or points it at a list
    // that is ours, taken over at once.
    let (rc, list) = unsafe {
        let rc = sys::rd_kafka_list_groups(client.ptr(), std::ptr::null(), &mut list, ms);
        (rc, NativePtr::from_ptr(list.cast_mut()))
    };
    let partial = rc == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTIAL;
    if rc != NO_ERROR && !partial {
        return Err(code_of(rc, String::new()));
    }
    let Some(list) = list else {
        return Ok((vec![], partial));
    };
    // SAFETY: the list holds `group_cnt` groups, live as long as it.
    let infos = unsafe { slice(list.groups, list.group_cnt.max(0) as usize) };
    let groups = infos
        .iter()
        .filter(|g| g.err == NO_ERROR)
        // SAFETY: each group's strings and members live as long as the list.
        .map(|g| unsafe { classic_group_of(g) })
        .collect();
    Ok((groups, partial))
}

/// # Safety
/// `g` is a group of a live `rd_kafka_group_list`: its strings and members are valid for
/// the whole call.
unsafe fn classic_group_of(g: &sys::rd_kafka_group_info) -> GroupDescription {
    // SAFETY: the caller's contract; the strings are copied here.
    let (group, state, protocol_type, protocol, host, members) = unsafe {
        (
            cstr(g.group),
            cstr(g.state),
            cstr(g.protocol_type),
            cstr(g.protocol),
            cstr(g.broker.host),
            slice(g.members, g.member_cnt.max(0) as usize),
        )
    };
    GroupDescription {
        group: group.unwrap_or_default(),
        state: state_named(&state.unwrap_or_default()),
        group_type: GroupType::Classic,
        simple: protocol_type.unwrap_or_default().is_empty(),
        assignor: protocol.unwrap_or_default(),
        coordinator: Some(Node {
            id: g.broker.id,
            host: host.unwrap_or_default(),
            port: g.broker.port as u16,
            rack: None,
        }),
        members: members
            .iter()
            // SAFETY: each member's strings and assignment live as long as the list.
            .map(|m| unsafe { classic_member_of(m) })
            .collect(),
        error: None,
    }
}

/// # Safety
/// `m` is a member of a live `rd_kafka_group_list`: its strings and assignment bytes are
/// valid for the whole call.
unsafe fn classic_member_of(m: &sys::rd_kafka_group_member_info) -> Member {
    // SAFETY: the caller's contract; strings are copied and the bytes parsed here.
    let (consumer_id, client_id, host, assignment) = unsafe {
        (
            cstr(m.member_id),
            cstr(m.client_id),
            cstr(m.client_host),
            parse_assignment(slice(
                m.member_assignment.cast_const().cast::<u8>(),
                m.member_assignment_size.max(0) as usize,
            )),
        )
    };
    Member {
        consumer_id: consumer_id.unwrap_or_default(),
        group_instance_id: None,
        client_id: client_id.unwrap_or_default(),
        host: host.unwrap_or_default(),
        assignment,
        target_assignment: None,
    }
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
    // SAFETY: err2name takes any code and returns a static string.
    let name = unsafe { cstr(sys::rd_kafka_err2name(code)) }.unwrap_or_default();
    let message = if message.is_empty() {
        // SAFETY: err2str takes any code and returns a static string.
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

/// A message librdkafka wrote into a buffer of ours: up to the first NUL.
fn buf_str(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// # Safety
/// `e` is a live error object for the whole call.
unsafe fn error_of(e: *const sys::rd_kafka_error_t) -> KafkaCode {
    // SAFETY: `e` is live (the caller's contract); its strings are copied here.
    unsafe {
        KafkaCode {
            code: sys::rd_kafka_error_code(e) as i32,
            name: cstr(sys::rd_kafka_error_name(e)).unwrap_or_default(),
            message: cstr(sys::rd_kafka_error_string(e)).unwrap_or_default(),
        }
    }
}

/// # Safety
/// `n` is NULL or a live node for the whole call.
unsafe fn node_of(n: *const sys::rd_kafka_Node_t) -> Option<Node> {
    if n.is_null() {
        return None;
    }
    // SAFETY: `n` is live (the caller's contract); its strings are copied here.
    unsafe {
        Some(Node {
            id: sys::rd_kafka_Node_id(n),
            host: cstr(sys::rd_kafka_Node_host(n)).unwrap_or_default(),
            port: sys::rd_kafka_Node_port(n),
            rack: cstr(sys::rd_kafka_Node_rack(n)),
        })
    }
}

/// How a commit of a consumer's offsets ended ([`commit_within`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Committed {
    Done,
    /// Kafka refused it (the first partition's error when the request itself succeeded).
    Refused(KafkaCode),
    /// No answer within the bound: it may still land, or not.
    Unanswered,
}

/// Commits `offsets` for the consumer `client`'s group and waits at most `wait` for the
/// answer. librdkafka's synchronous commit waits as long as the coordinator takes to come
/// back, which is forever when the cluster is gone; this one's reply goes to a queue of its
/// own, read with a bound. Not answering in time leaves the commit to librdkafka (the
/// queue holds a reference until the reply comes).
///
/// # Safety
/// `offsets` is a live partition list, not changed during the call.
pub(super) unsafe fn commit_within(
    client: ClientRef<'_>,
    offsets: *const sys::rd_kafka_topic_partition_list_t,
    wait: Duration,
) -> Committed {
    let q = Queue::new(client);
    // SAFETY: client and queue are live, `offsets` too (the caller's contract); librdkafka
    // copies the list, and without a callback posts the result on the queue.
    let err =
        unsafe { sys::rd_kafka_commit_queue(q.rk(), offsets, q.ptr(), None, std::ptr::null_mut()) };
    if err != NO_ERROR {
        return Committed::Refused(code_of(err, String::new()));
    }
    let deadline = std::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Committed::Unanswered;
        }
        let Some(ev) = q.poll(left.min(Duration::from_millis(100))) else {
            continue;
        };
        // SAFETY: the event is live.
        if unsafe { sys::rd_kafka_event_type(ev.ptr()) } != sys::RD_KAFKA_EVENT_OFFSET_COMMIT {
            continue;
        }
        if let Some(e) = ev.error() {
            return Committed::Refused(e);
        }
        // SAFETY: the event is live; its list (NULL or live) belongs to it.
        let list = unsafe { sys::rd_kafka_event_topic_partition_list(ev.ptr()) };
        let refused = if list.is_null() {
            None
        } else {
            // SAFETY: a live list of the live event, read at once.
            unsafe { read_tpl(list) }
                .into_iter()
                .find_map(|(_, _, e)| e)
        };
        return refused.map_or(Committed::Done, Committed::Refused);
    }
}

/// # Safety
/// `list` is a live partition list, not changed during the call.
unsafe fn read_tpl(
    list: *const sys::rd_kafka_topic_partition_list_t,
) -> Vec<(TopicPartition, i64, Option<KafkaCode>)> {
    // SAFETY: the list is live (the caller's contract) and holds `cnt` elements.
    let elems = unsafe {
        let list = &*list;
        slice(list.elems.cast_const(), list.cnt.max(0) as usize)
    };
    elems
        .iter()
        .map(|p| {
            let err = (p.err != NO_ERROR).then(|| code_of(p.err, String::new()));
            // SAFETY: the topic name is a C string owned by the live list.
            let topic = unsafe { cstr(p.topic) }.unwrap_or_default();
            (TopicPartition::new(topic, p.partition), p.offset, err)
        })
        .collect()
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
            // SAFETY: the name function returns a static string for any state.
            let name =
                unsafe { cstr(sys::rd_kafka_consumer_group_state_name(state_code(s))) }.unwrap();
            assert_eq!(name, s.as_str());
        }
    }

    #[test]
    fn types_round_trip_through_librdkafka_codes() {
        for t in [GroupType::Classic, GroupType::Consumer, GroupType::Unknown] {
            assert_eq!(type_of(type_code(t)), t);
            // SAFETY: the name function returns a static string for any type.
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
}
