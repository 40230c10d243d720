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
use std::ptr::NonNull;
use std::time::Duration;

use rdkafka_sys as rd;

/// A queue owned by the drain that receives the records of every attached partition.
pub struct RecordQueue {
    queue: NonNull<rd::rd_kafka_queue_t>,
    client: *mut rd::rd_kafka_t,
}

// SAFETY: librdkafka queue handles are thread-safe; the client outlives the queue
// (`run` drops the queue before the consumer).
unsafe impl Send for RecordQueue {}
unsafe impl Sync for RecordQueue {}

impl RecordQueue {
    /// A new queue on `client`, a consumer handle.
    pub fn new(client: *mut rd::rd_kafka_t) -> Option<Self> {
        // SAFETY: `client` is a live consumer handle.
        let queue = NonNull::new(unsafe { rd::rd_kafka_queue_new(client) })?;
        Some(RecordQueue { queue, client })
    }

    /// Routes the records of `topic`/`partition` here from now on, including any it
    /// already fetched. Call it before the partition is assigned, so that none of its
    /// records can reach the consumer queue first and be read out of order.
    pub fn attach(&self, topic: &str, partition: i32) -> bool {
        let Ok(name) = std::ffi::CString::new(topic) else {
            return false;
        };
        // SAFETY: live handles; the partition queue handle is released right after the
        // forward is set (the forward itself lives on in librdkafka).
        unsafe {
            let part = rd::rd_kafka_queue_get_partition(self.client, name.as_ptr(), partition);
            if part.is_null() {
                return false;
            }
            rd::rd_kafka_queue_forward(part, self.queue.as_ptr());
            rd::rd_kafka_queue_destroy(part);
        }
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
        let mut buf: Vec<*mut rd::rd_kafka_message_t> = Vec::with_capacity(max);
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `buf` has room for `max` pointers; librdkafka fills the first `n`.
        let n = unsafe {
            rd::rd_kafka_consume_batch_queue(self.queue.as_ptr(), ms, buf.as_mut_ptr(), max)
        };
        if n <= 0 {
            return;
        }
        // SAFETY: librdkafka wrote `n` valid message pointers.
        unsafe { buf.set_len(n as usize) };
        for &m in &buf {
            // SAFETY: each message stays valid until destroyed below.
            let msg = unsafe { &*m };
            match msg.err {
                rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => each(Ok(Fetched { msg })),
                rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF => {}
                // SAFETY: err2str returns a static string.
                err => each(Err(unsafe { CStr::from_ptr(rd::rd_kafka_err2str(err)) }
                    .to_string_lossy()
                    .into_owned())),
            }
        }
        for m in buf {
            // SAFETY: each message is destroyed exactly once, after its last use.
            unsafe { rd::rd_kafka_message_destroy(m) };
        }
    }
}

impl Drop for RecordQueue {
    fn drop(&mut self) {
        // SAFETY: the handle was created by rd_kafka_queue_new and is destroyed once.
        unsafe { rd::rd_kafka_queue_destroy(self.queue.as_ptr()) }
    }
}

/// A record in librdkafka's buffer, valid during `RecordQueue::read`'s callback.
pub struct Fetched<'a> {
    msg: &'a rd::rd_kafka_message_t,
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
        let ts = unsafe { rd::rd_kafka_message_timestamp(self.msg, &mut kind) };
        (kind != rd::rd_kafka_timestamp_type_t::RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0)
            .then_some(ts)
    }

    pub fn key(&self) -> Option<&[u8]> {
        bytes(self.msg.key, self.msg.key_len)
    }

    pub fn payload(&self) -> Option<&[u8]> {
        bytes(self.msg.payload, self.msg.len)
    }

    /// The headers, parsed (which allocates): only call it when they are used.
    pub fn headers(&self) -> Vec<(String, Option<Vec<u8>>)> {
        let mut hdrs: *mut rd::rd_kafka_headers_t = std::ptr::null_mut();
        let mut out = Vec::new();
        // SAFETY: the headers belong to the message; names are NUL-terminated and values
        // are `size` bytes (or null), valid while the message is.
        unsafe {
            let msg = self.msg as *const _ as *mut rd::rd_kafka_message_t;
            if rd::rd_kafka_message_headers(msg, &mut hdrs)
                != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
            {
                return out;
            }
            let mut i = 0;
            loop {
                let mut name = std::ptr::null();
                let mut value: *const c_void = std::ptr::null();
                let mut size = 0usize;
                if rd::rd_kafka_header_get_all(hdrs, i, &mut name, &mut value, &mut size)
                    != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR
                {
                    break;
                }
                let name = CStr::from_ptr(name).to_string_lossy().into_owned();
                out.push((name, bytes(value as *mut c_void, size).map(<[u8]>::to_vec)));
                i += 1;
            }
        }
        out
    }
}

fn bytes<'a>(ptr: *mut c_void, len: usize) -> Option<&'a [u8]> {
    // SAFETY: librdkafka gives `len` readable bytes at a non-null `ptr`.
    (!ptr.is_null()).then(|| unsafe { std::slice::from_raw_parts(ptr as *const u8, len) })
}
