//! Ownership of librdkafka objects, stated once.
//!
//! Every object kbp creates through rdkafka-sys (queues, events, admin options, partition
//! lists, mock clusters…) must meet its own destroy function exactly once. [`NativePtr`]
//! is that rule as one generic owner: [`KafkaDrop`] names each type's destroy function,
//! and `Drop` calls it. [`ClientRef`] lends a live client handle for a lifetime, so what
//! is made from it cannot outlive the client. The small C helpers ([`cstr`], [`slice`])
//! live here too, so each FFI file reads C data the same way. Nothing here leaves
//! `kafka/`.

use std::ffi::CStr;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::os::raw::c_char;
use std::ptr::NonNull;

use rdkafka::client::Client;
use rdkafka::ClientContext;
use rdkafka_sys as sys;

/// A librdkafka type kbp owns, and the function that frees it.
///
/// # Safety
/// `DROP` must be the destroy function librdkafka documents for objects of this type
/// (the ones kbp hands to [`NativePtr::from_ptr`]).
pub(super) unsafe trait KafkaDrop {
    /// The C type's name, for debugging output.
    const TYPE: &'static str;
    /// Frees one object.
    const DROP: unsafe extern "C" fn(*mut Self);
}

/// Implements [`KafkaDrop`] for C types whose destroy function takes `*mut` of them.
macro_rules! kafka_drop {
    ($($t:ident => $drop:ident),* $(,)?) => {$(
        // SAFETY: `$drop` is librdkafka's destroy function for `$t`.
        unsafe impl KafkaDrop for sys::$t {
            const TYPE: &'static str = stringify!($t);
            const DROP: unsafe extern "C" fn(*mut Self) = sys::$drop;
        }
    )*};
}

kafka_drop! {
    rd_kafka_queue_t => rd_kafka_queue_destroy,
    rd_kafka_event_t => rd_kafka_event_destroy,
    rd_kafka_message_t => rd_kafka_message_destroy,
    rd_kafka_error_t => rd_kafka_error_destroy,
    rd_kafka_AdminOptions_t => rd_kafka_AdminOptions_destroy,
    rd_kafka_topic_partition_list_t => rd_kafka_topic_partition_list_destroy,
    rd_kafka_ListConsumerGroupOffsets_t => rd_kafka_ListConsumerGroupOffsets_destroy,
    rd_kafka_AlterConsumerGroupOffsets_t => rd_kafka_AlterConsumerGroupOffsets_destroy,
    rd_kafka_DeleteConsumerGroupOffsets_t => rd_kafka_DeleteConsumerGroupOffsets_destroy,
    rd_kafka_DeleteGroup_t => rd_kafka_DeleteGroup_destroy,
    rd_kafka_TopicCollection_t => rd_kafka_TopicCollection_destroy,
    rd_kafka_mock_cluster_t => rd_kafka_mock_cluster_destroy,
}

// SAFETY: `destroy_group_list` calls rd_kafka_group_list_destroy, the list's destroy function.
unsafe impl KafkaDrop for sys::rd_kafka_group_list {
    const TYPE: &'static str = "rd_kafka_group_list";
    const DROP: unsafe extern "C" fn(*mut Self) = destroy_group_list;
}

/// rd_kafka_group_list_destroy takes a `const` list; [`KafkaDrop`] wants `*mut`.
///
/// # Safety
/// `list` is a list from rd_kafka_list_groups, destroyed only here.
unsafe extern "C" fn destroy_group_list(list: *mut sys::rd_kafka_group_list) {
    // SAFETY: NativePtr's drop passes a list it owns, once.
    unsafe { sys::rd_kafka_group_list_destroy(list) }
}

/// An owned librdkafka object, freed by its destroy function when dropped.
///
/// `repr(transparent)`: an `Option<NativePtr<T>>` has the layout of a C `T *`, so C can
/// fill an array of them (see `batch.rs`).
#[repr(transparent)]
pub(super) struct NativePtr<T: KafkaDrop> {
    ptr: NonNull<T>,
}

impl<T: KafkaDrop> NativePtr<T> {
    /// Takes ownership of `ptr`; `None` for NULL.
    ///
    /// # Safety
    /// `ptr` is NULL or a live object of type `T` that the caller owns and hands over:
    /// nothing else destroys it, and librdkafka does not change it behind the owner's
    /// back.
    pub unsafe fn from_ptr(ptr: *mut T) -> Option<Self> {
        NonNull::new(ptr).map(|ptr| NativePtr { ptr })
    }

    /// The pointer to pass to librdkafka; valid while `self` is.
    pub fn ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: KafkaDrop> Drop for NativePtr<T> {
    fn drop(&mut self) {
        // SAFETY: `from_ptr`'s contract makes the object ours; this is its only destroy.
        unsafe { (T::DROP)(self.ptr.as_ptr()) }
    }
}

/// Field access for the C structs that are not opaque (partition lists, messages, group
/// lists).
impl<T: KafkaDrop> Deref for NativePtr<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the object is live while owned, and only changed through `ptr()` while no
        // borrow from here is held (`from_ptr`'s contract).
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: KafkaDrop> fmt::Debug for NativePtr<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:p}", T::TYPE, self.ptr)
    }
}

/// A borrowed librdkafka client handle: whatever holds it cannot outlive the client.
#[derive(Clone, Copy)]
pub(super) struct ClientRef<'c> {
    rk: NonNull<sys::rd_kafka_t>,
    _client: PhantomData<&'c ()>,
}

impl<'c> ClientRef<'c> {
    pub fn new<C: ClientContext>(client: &'c Client<C>) -> ClientRef<'c> {
        ClientRef {
            rk: NonNull::new(client.native_ptr()).expect("an rdkafka client has a handle"),
            _client: PhantomData,
        }
    }

    /// The handle to pass to librdkafka; valid for `'c`.
    pub fn ptr(self) -> *mut sys::rd_kafka_t {
        self.rk.as_ptr()
    }
}

/// A C string copied into an owned `String`; `None` for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for the call.
pub(super) unsafe fn cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated (the caller's contract).
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// A C array as a slice; empty for NULL.
///
/// # Safety
/// `ptr` is NULL or points to `len` initialized `T`s that stay valid and unchanged for
/// `'a`.
pub(super) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: non-NULL, `len` items valid for 'a (the caller's contract).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_arrays_and_strings_are_empty() {
        // SAFETY: NULL is allowed by both contracts.
        let s: &[u8] = unsafe { slice(std::ptr::null(), 3) };
        assert!(s.is_empty());
        // SAFETY: as above.
        assert_eq!(unsafe { cstr(std::ptr::null()) }, None);
    }

    #[test]
    fn owned_objects_are_freed_once_and_print_their_type() {
        // SAFETY: a fresh list, ours to destroy.
        let list =
            unsafe { NativePtr::from_ptr(sys::rd_kafka_topic_partition_list_new(4)) }.unwrap();
        assert_eq!(list.cnt, 0);
        assert!(format!("{list:?}").starts_with("rd_kafka_topic_partition_list_t@0x"));
        // SAFETY: NULL is allowed.
        let none = unsafe { NativePtr::<sys::rd_kafka_queue_t>::from_ptr(std::ptr::null_mut()) };
        assert!(none.is_none());
    }
}
