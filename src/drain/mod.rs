//! The engine of `kbp drain`: clear a backlog at a controlled pace without losing a record.
//!
//! One poll loop (`kafka::consumer`) alone talks to Kafka; a bounded, ordering-aware queue
//! ([`lanes`]) feeds a worker pool ([`workers`]) that writes to a sink ([`sinks`], and
//! [`pipe`] for long-lived children) and knows nothing of Kafka; the [`engine`] decides
//! pauses (with [`flow`] hysteresis) and commits only what the [`tracker`] proves processed. The pure parts are unit-tested
//! without a broker. docs/drain.md has the diagram and the guarantees. The command itself
//! (flags, the guard, the sink's wiring, the summary) is `cmd/drain.rs`.

pub mod backoff;
pub mod engine;
pub mod flow;
pub mod lanes;
pub mod pipe;
pub mod plan;
pub mod rate;
pub mod sinks;
pub mod spec;
pub mod tracker;
pub mod workers;

/// The deterministic generator the randomized unit tests share (splitmix64), so a failing
/// seed can be replayed.
#[cfg(test)]
pub(crate) mod test_rng {
    pub struct Rng(pub u64);

    /// The integer types the tests draw bounds in.
    pub trait Bound: Copy {
        fn to_u64(self) -> u64;
        fn from_u64(v: u64) -> Self;
    }

    impl Bound for u64 {
        fn to_u64(self) -> u64 {
            self
        }
        fn from_u64(v: u64) -> Self {
            v
        }
    }

    impl Bound for usize {
        fn to_u64(self) -> u64 {
            self as u64
        }
        fn from_u64(v: u64) -> Self {
            v as usize
        }
    }

    /// Untyped literals (`rng.below(200)`) land here; bounds are positive.
    impl Bound for i32 {
        fn to_u64(self) -> u64 {
            self as u64
        }
        fn from_u64(v: u64) -> Self {
            v as i32
        }
    }

    impl Rng {
        pub fn below<T: Bound>(&mut self, n: T) -> T {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            T::from_u64((z ^ (z >> 31)) % n.to_u64())
        }
    }
}
