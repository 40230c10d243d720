//! Reading the drain's records in batches from a queue of its own.
//!
//! rust-rdkafka's `poll` returns one message per call, and each call reads the clock two or
//! three times and allocates: at a million records a second that is a large part of the
//! poll thread's time. librdkafka's `rd_kafka_consume_batch_queue` takes a whole batch
//! under one lock, but on the consumer queue it would also take the rebalance events (and
//! with no rebalance callback set, librdkafka would answer them by itself). So each
//! partition's fetch queue is forwarded, before its assignment starts fetching, to a queue
//! that holds only records; `poll` keeps serving the events on the consumer queue.

use std::ffi::CStr;
use std::os::raw::c_void;
use std::time::Duration;

use rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR as NO_ERROR;
use rdkafka_sys as rd;

use super::native::{ClientRef, NativePtr};

/// An owned message, as librdkafka fills a batch array with them (same layout as a C
/// `rd_kafka_message_t *`; librdkafka only writes non-NULL pointers).
type Message = Option<NativePtr<rd::rd_kafka_message_t>>;
const _: () = assert!(size_of::<Message>() == size_of::<*mut rd::rd_kafka_message_t>());

/// A queue owned by the drain that receives the records of every attached partition.
pub struct RecordQueue {
    queue: NativePtr<rd::rd_kafka_queue_t>,
    /// The consumer the queue belongs to, which outlives it (`new`'s contract).
    client: *mut rd::rd_kafka_t,
}

// SAFETY: librdkafka queue and client handles may be used from any thread (each call takes
// their locks), and the client outlives the queue (`new`'s contract).
unsafe impl Send for RecordQueue {}
// SAFETY: as for `Send`: `&RecordQueue` only reaches librdkafka's thread-safe calls.
unsafe impl Sync for RecordQueue {}

impl RecordQueue {
    /// A new queue on `client`, a consumer handle.
    ///
    /// # Safety
    /// The queue must be dropped before the client is destroyed: it keeps the client's
    /// handle (to attach partitions), and librdkafka wants its queues gone first. `run`
    /// ensures that (its `ReleaseQueue`).
    pub unsafe fn new(client: ClientRef<'_>) -> Option<Self> {
        // SAFETY: `client` is a live consumer handle; the new queue is ours.
        let queue = unsafe { NativePtr::from_ptr(rd::rd_kafka_queue_new(client.ptr())) }?;
        Some(RecordQueue {
            queue,
            client: client.ptr(),
        })
    }

    /// Routes the records of `topic`/`partition` here from now on, including any it
    /// already fetched. Call it before the partition is assigned, so that none of its
    /// records can reach the consumer queue first and be read out of order.
    pub fn attach(&self, topic: &str, partition: i32) -> bool {
        let Ok(name) = std::ffi::CString::new(topic) else {
            return false;
        };
        // SAFETY: the client is live (`new`'s contract); the partition queue handle is ours
        // and released right after the forward is set (the forward lives on in librdkafka).
        let part = unsafe {
            NativePtr::from_ptr(rd::rd_kafka_queue_get_partition(
                self.client,
                name.as_ptr(),
                partition,
            ))
        };
        let Some(part) = part else {
            return false;
        };
        // SAFETY: both queues are live.
        unsafe { rd::rd_kafka_queue_forward(part.ptr(), self.queue.ptr()) };
        true
    }

    /// Waits up to `timeout` for records, then calls `each` with up to `max` of them in
    /// queue order. A fetch error arrives as `Err` with librdkafka's message.
    pub fn read(
        &self,
        timeout: Duration,
        max: usize,
        mut each: impl FnMut(Result<Fetched<'_>, String>),
    ) {
        // Dropping `buf` destroys every message, after its last use.
        let mut buf: Vec<Message> = Vec::with_capacity(max);
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `buf` has room for `max` message pointers (`Message` has their layout);
        // librdkafka fills the first `n`.
        let n = unsafe {
            rd::rd_kafka_consume_batch_queue(self.queue.ptr(), ms, buf.as_mut_ptr().cast(), max)
        };
        if n <= 0 {
            return;
        }
        // SAFETY: librdkafka wrote `n` valid, non-NULL message pointers, now ours.
        unsafe { buf.set_len(n as usize) };
        for msg in buf.iter().flatten() {
            match msg.err {
                NO_ERROR => each(Ok(Fetched { msg })),
                rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {}
                // SAFETY: err2str returns a static string.
                err => each(Err(unsafe { CStr::from_ptr(rd::rd_kafka_err2str(err)) }
                    .to_string_lossy()
                    .into_owned())),
            }
        }
    }
}

/// A record in librdkafka's buffer, valid during `RecordQueue::read`'s callback.
pub struct Fetched<'a> {
    msg: &'a NativePtr<rd::rd_kafka_message_t>,
}

impl Fetched<'_> {
    pub fn topic(&self) -> &str {
        // SAFETY: a fetched message always has a topic handle with a NUL-terminated name.
        let name = unsafe { CStr::from_ptr(rd::rd_kafka_topic_name(self.msg.rkt)) };
        name.to_str().unwrap_or("")
    }

    pub fn partition(&self) -> i32 {
        self.msg.partition
    }

    pub fn offset(&self) -> i64 {
        self.msg.offset
    }

    /// Milliseconds since the epoch, when the record has a timestamp.
    pub fn timestamp(&self) -> Option<i64> {
        let mut kind = rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
        // SAFETY: `msg` is a live message; `kind` is written.
        let ts = unsafe { rd::rd_kafka_message_timestamp(self.msg.ptr(), &mut kind) };
        (kind != rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0)
            .then_some(ts)
    }

    pub fn key(&self) -> Option<&[u8]> {
        // SAFETY: a live message's key is `key_len` bytes (or NULL), valid while it is.
        unsafe { bytes(self.msg.key, self.msg.key_len) }
    }

    pub fn payload(&self) -> Option<&[u8]> {
        // SAFETY: a live message's payload is `len` bytes (or NULL), valid while it is.
        unsafe { bytes(self.msg.payload, self.msg.len) }
    }

    /// The headers, parsed (which allocates): only call it when they are used.
    pub fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
        let mut out = Vec::new();
        // SAFETY: the message is live; librdkafka points `hdrs` at headers the message owns.
        if unsafe { rd::rd_kafka_message_headers(self.msg.ptr(), &mut hdrs) } != NO_ERROR {
            return out;
        }
        for i in 0.. {
            let mut name = std::ptr::null();
            let mut value: *const c_void = std::ptr::null();
            let mut size = 0usize;
            // SAFETY: the headers are live with the message; librdkafka writes the outputs.
            let err =
                unsafe { rd::rd_kafka_header_get_all(hdrs, i, &mut name, &mut value, &mut size) };
            if err != NO_ERROR {
                break;
            }
            // SAFETY: a header's name is NUL-terminated and its value `size` bytes (or
            // NULL), both valid while the message is.
            let (name, value) = unsafe { (CStr::from_ptr(name), bytes(value, size)) };
            out.push((
                name.to_string_lossy().into_owned(),
                value.map(<[u8]>::to_vec),
            ));
        }
        out
    }
}

/// `len` bytes at `ptr`; `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay valid for `'a`.
unsafe fn bytes<'a>(ptr: *const c_void, len: usize) -> Option<&'a [u8]> {
    // SAFETY: non-NULL here, and `len` bytes valid for 'a (the caller's contract).
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len) })
}
