//! How long a worker waits before retrying a failed record.
//!
//! Exponential backoff with full jitter (AWS style): the delay is uniform between zero and
//! a ceiling that doubles per attempt up to `--backoff-max`. The jitter spreads retries of
//! many workers hitting the same failing sink, so they do not retry in lockstep. The random
//! number is a parameter, so delays are exact in tests; [`Jitter`] supplies it in the engine
//! without a crate for one function.

use std::time::Duration;

use crate::flags::{BACKOFF_INITIAL, BACKOFF_MAX};

const NANOS_PER_SEC: u128 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Result<Self, String> {
        if initial.is_zero() {
            return Err(format!("{BACKOFF_INITIAL} must be greater than 0"));
        }
        if initial > max {
            return Err(format!(
                "{BACKOFF_INITIAL} ({initial:?}) must not exceed {BACKOFF_MAX} ({max:?})"
            ));
        }
        Ok(Self { initial, max })
    }

    /// `min(max, initial * 2^attempt)`; attempt 0 is the first retry.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let initial = self.initial.as_nanos();
        let max = self.max.as_nanos();
        // The shift is exact only while it keeps every bit of `initial`; beyond that the
        // product exceeds any Duration, and so `max`.
        if attempt >= u128::BITS || initial.leading_zeros() <= attempt {
            return self.max;
        }
        from_nanos((initial << attempt).min(max))
    }

    /// The delay before retry `attempt`: `ceiling(attempt) * unit_random`, with
    /// `unit_random` clamped to [0, 1] (NaN counts as 0), so it never exceeds the ceiling.
    pub fn delay(&self, attempt: u32, unit_random: f64) -> Duration {
        let ceiling = self.ceiling(attempt).as_nanos();
        let unit = if unit_random > 0.0 {
            unit_random.min(1.0)
        } else {
            0.0
        };
        // `as` saturates, and f64 rounding may land just above the ceiling: clamp.
        from_nanos(((ceiling as f64 * unit) as u128).min(ceiling))
    }
}

/// `n` must fit a Duration; callers only pass values up to an existing Duration's nanos.
fn from_nanos(n: u128) -> Duration {
    Duration::new((n / NANOS_PER_SEC) as u64, (n % NANOS_PER_SEC) as u32)
}

/// xorshift64*: a tiny, fast PRNG, good enough to jitter retries (not for anything secret).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Every seed works, zero included; nearby seeds give unrelated sequences.
    pub fn new(seed: u64) -> Self {
        // splitmix64's finaliser scrambles the seed; it is a bijection, so only one seed
        // maps to xorshift's forbidden zero state.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    /// A uniform number in [0, 1).
    pub fn next_unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // The top 53 bits fill an f64 mantissa exactly, so 1.0 is never reached.
        (r >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn backoff(initial_ms: u64, max_ms: u64) -> Backoff {
        Backoff::new(MS * initial_ms as u32, MS * max_ms as u32).unwrap()
    }

    #[test]
    fn rejects_bad_bounds_naming_the_flags() {
        let e = Backoff::new(Duration::ZERO, MS).unwrap_err();
        assert!(e.contains("--backoff-initial"), "{e}");
        let e = Backoff::new(MS * 2, MS).unwrap_err();
        assert!(
            e.contains("--backoff-initial") && e.contains("--backoff-max"),
            "{e}"
        );
        assert!(e.contains("2ms") && e.contains("1ms"), "{e}");
        assert!(Backoff::new(MS, MS).is_ok());
    }

    #[test]
    fn ceilings_double_then_cap() {
        let b = backoff(100, 5_000);
        let ms: Vec<u128> = (0..8).map(|a| b.ceiling(a).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        let b = backoff(7, 7);
        assert_eq!(b.ceiling(0), MS * 7);
        assert_eq!(b.ceiling(9), MS * 7);
    }

    #[test]
    fn huge_attempts_do_not_overflow() {
        let b = backoff(100, 60_000);
        for attempt in [31, 32, 63, 64, 93, 127, 128, 1_000, u32::MAX] {
            assert_eq!(b.ceiling(attempt), MS * 60_000, "attempt {attempt}");
        }
        let b = Backoff::new(Duration::from_nanos(1), Duration::MAX).unwrap();
        assert_eq!(b.ceiling(40), Duration::from_nanos(1 << 40));
        assert_eq!(b.ceiling(93), from_nanos(1 << 93));
        assert_eq!(b.ceiling(94), Duration::MAX);
        assert_eq!(b.ceiling(u32::MAX), Duration::MAX);
        for u in [0.0, 0.5, 0.999_999_999, 1.0] {
            assert!(b.delay(u32::MAX, u) <= Duration::MAX);
        }
        assert_eq!(b.delay(u32::MAX, 1.0), Duration::MAX);
    }

    #[test]
    fn ceilings_never_decrease() {
        let b = Backoff::new(Duration::from_nanos(3), Duration::from_secs(3_600)).unwrap();
        for a in 0..200 {
            assert!(b.ceiling(a) <= b.ceiling(a + 1));
        }
    }

    #[test]
    fn delay_scales_the_ceiling_and_clamps_the_random() {
        let b = backoff(100, 1_000);
        assert_eq!(b.delay(0, 0.0), Duration::ZERO);
        assert_eq!(b.delay(0, 0.5), MS * 50);
        assert_eq!(b.delay(2, 0.25), MS * 100);
        assert_eq!(b.delay(9, 0.5), MS * 500);
        for odd in [-1.0, -0.0, f64::NAN, f64::NEG_INFINITY] {
            assert_eq!(b.delay(3, odd), Duration::ZERO, "{odd}");
        }
        for odd in [1.0, 1.5, f64::INFINITY] {
            assert_eq!(b.delay(3, odd), b.ceiling(3), "{odd}");
        }
    }

    #[test]
    fn delays_stay_within_the_ceiling() {
        let b = Backoff::new(Duration::from_nanos(1_234_567), Duration::from_secs(90)).unwrap();
        let mut j = Jitter::new(7);
        for i in 0..50_000u32 {
            let attempt = i % 40;
            let d = b.delay(attempt, j.next_unit());
            assert!(d <= b.ceiling(attempt), "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn delays_are_roughly_uniform() {
        let b = backoff(1_000, 1_000);
        let ceiling = b.ceiling(0).as_secs_f64();
        let mut j = Jitter::new(42);
        let n = 10_000;
        let samples: Vec<f64> = (0..n)
            .map(|_| b.delay(0, j.next_unit()).as_secs_f64())
            .collect();
        let mean = samples.iter().sum::<f64>() / n as f64;
        assert!((mean / ceiling - 0.5).abs() < 0.02, "mean {mean}");
        let mut deciles = [0usize; 10];
        for s in &samples {
            deciles[((s / ceiling * 10.0) as usize).min(9)] += 1;
        }
        for (i, &c) in deciles.iter().enumerate() {
            assert!((850..=1150).contains(&c), "decile {i}: {c} of {n}");
        }
    }

    #[test]
    fn jitter_is_in_the_unit_interval_and_deterministic() {
        for seed in [0, 1, 2, u64::MAX, 0x9E37_79B9_7F4A_7C15] {
            let mut a = Jitter::new(seed);
            let mut b = Jitter::new(seed);
            for _ in 0..10_000 {
                let x = a.next_unit();
                assert!((0.0..1.0).contains(&x), "seed {seed}: {x}");
                assert_eq!(x.to_bits(), b.next_unit().to_bits());
            }
        }
    }

    #[test]
    fn nearby_seeds_give_different_sequences() {
        let firsts: Vec<u64> = (0..100)
            .map(|s| Jitter::new(s).next_unit().to_bits())
            .collect();
        let mut unique = firsts.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), firsts.len());
        // Not stuck near zero for small seeds, a weakness of raw xorshift.
        let mut j = Jitter::new(1);
        assert!(j.next_unit() > 1e-6);
    }
}
