//! `--rate`: an upper bound on records handed to the sink per second.
//!
//! A token bucket, so a drain that fell behind may catch up by a small `burst` and then
//! holds the configured rate over any longer window. Time is a parameter, so tests run on
//! synthetic instants; the caller sleeps for the wait it is given.

use std::time::{Duration, Instant};

use crate::flags::RATE;

/// Slack for f64 rounding: after sleeping exactly the returned wait, a token must be there.
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket: up to `burst` records pass at once, then `rate_per_sec` on average.
    pub fn new(rate_per_sec: f64, burst: f64, now: Instant) -> Result<Self, String> {
        if !(rate_per_sec.is_finite() && rate_per_sec > 0.0) {
            return Err(format!(
                "{RATE} must be a positive number of records per second, got {rate_per_sec}"
            ));
        }
        // Below one token the bucket could never hand one out.
        if !(burst.is_finite() && burst >= 1.0) {
            return Err(format!("the {RATE} burst must be at least 1, got {burst}"));
        }
        Ok(Self {
            rate: rate_per_sec,
            burst,
            tokens: burst,
            last: now,
        })
    }

    /// Takes a token, or returns how long until one is available.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        // An instant before the last one adds nothing rather than panicking.
        if now > self.last {
            let earned = (now - self.last).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + earned).min(self.burst);
            self.last = now;
        }
        if self.tokens >= 1.0 - EPSILON {
            self.tokens -= 1.0;
            return Ok(());
        }
        let secs = (1.0 - self.tokens) / self.rate;
        // Rounded up to the nanosecond so the wait is never short; absurdly slow rates
        // wait "forever" instead of overflowing.
        let nanos = (secs * 1e9).ceil();
        Err(Duration::try_from_secs_f64(nanos / 1e9).unwrap_or(Duration::MAX))
    }
}

/// Parses `--rate`: `100` and `100/s` per second, `6000/m` per minute, `10/h` per hour.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let bad = || format!("invalid {RATE} '{s}': expected N, N/s, N/m or N/h from 1/h to 1e9/s");
    let (count, per) = match s.split_once('/') {
        Some((count, unit)) => {
            let per = match unit.trim() {
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3_600.0,
                _ => return Err(bad()),
            };
            (count, per)
        }
        None => (s, 1.0),
    };
    let n: f64 = count.trim().parse().map_err(|_| bad())?;
    let rate = n / per;
    // Below one record an hour a drain would look hung; above 1e9/s is no limit at all.
    if !(n.is_finite() && (1.0 / 3_600.0 - 1e-12..=1e9).contains(&rate)) {
        return Err(bad());
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn parses_rates_per_second() {
        assert_eq!(parse_rate("100"), Ok(100.0));
        assert_eq!(parse_rate("100/s"), Ok(100.0));
        assert_eq!(parse_rate("6000/m"), Ok(100.0));
        assert_eq!(parse_rate("2.5/s"), Ok(2.5));
        assert_eq!(parse_rate("36/h"), Ok(0.01));
        assert_eq!(parse_rate(" 30 / m "), Ok(0.5));
        assert_eq!(parse_rate("1e3/s"), Ok(1000.0));
    }

    #[test]
    fn rejects_bad_rates_naming_the_flag_and_value() {
        for s in [
            "", "/s", "abc", "0", "0/s", "-5/s", "1e-9/s", "1e12", "10/x", "10/", "10/s/s", "inf",
            "NaN/s", "10 s",
        ] {
            let e = parse_rate(s).unwrap_err();
            assert!(
                e.contains("--rate") && e.contains(&format!("'{s}'")),
                "{s}: {e}"
            );
        }
    }

    #[test]
    fn rejects_bad_buckets() {
        let now = Instant::now();
        for r in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let e = TokenBucket::new(r, 1.0, now).unwrap_err();
            assert!(e.contains("--rate"), "{e}");
        }
        for b in [0.0, 0.5, f64::NAN, f64::INFINITY] {
            assert!(TokenBucket::new(1.0, b, now).is_err());
        }
    }

    #[test]
    fn burst_is_honoured_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1.0, 10.0, t0).unwrap();
        for _ in 0..10 {
            assert_eq!(b.try_take(t0), Ok(()));
        }
        assert_eq!(b.try_take(t0), Err(Duration::from_secs(1)));
        // A long idle refills only up to the burst.
        let t1 = t0 + Duration::from_secs(3_600);
        for _ in 0..10 {
            assert_eq!(b.try_take(t1), Ok(()));
        }
        assert!(b.try_take(t1).is_err());
    }

    #[test]
    fn wait_is_exactly_until_the_next_token() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(4.0, 1.0, t0).unwrap();
        assert_eq!(b.try_take(t0), Ok(()));
        assert_eq!(b.try_take(t0), Err(MS * 250));
        // Part of the way there: the wait shrinks accordingly.
        assert_eq!(b.try_take(t0 + MS * 100), Err(MS * 150));
        assert!(b.try_take(t0 + MS * 249).is_err());
        assert_eq!(b.try_take(t0 + MS * 250), Ok(()));
    }

    #[test]
    fn sleeping_the_returned_wait_always_yields_a_token() {
        for rate in [0.3, 1.0, 3.0, 7.0, 1_000.0, 33_333.3, 1e6] {
            let mut now = Instant::now();
            let mut b = TokenBucket::new(rate, 1.0, now).unwrap();
            for _ in 0..2_000 {
                match b.try_take(now) {
                    Ok(()) => {}
                    Err(wait) => {
                        assert!(wait > Duration::ZERO);
                        now += wait;
                        assert_eq!(b.try_take(now), Ok(()), "rate {rate}");
                    }
                }
            }
        }
    }

    #[test]
    fn earlier_instants_add_nothing() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut b = TokenBucket::new(1.0, 1.0, t0).unwrap();
        assert_eq!(b.try_take(t0), Ok(()));
        assert_eq!(
            b.try_take(t0 - Duration::from_secs(5)),
            Err(Duration::from_secs(1))
        );
        assert_eq!(b.try_take(t0 + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn tiny_rates_wait_without_overflow() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(1e-300, 1.0, t0).unwrap();
        assert_eq!(b.try_take(t0), Ok(()));
        assert_eq!(b.try_take(t0), Err(Duration::MAX));
    }

    use crate::drain::test_rng::Rng;

    #[test]
    fn long_run_rate_matches_within_one_percent() {
        let run = Duration::from_secs(600);
        for (seed, rate) in [(1, 100.0), (2, 2.5), (3, 5_000.0), (4, 0.5)] {
            let burst = 5.0;
            // A caller that sleeps exactly the wait it is told.
            let t0 = Instant::now();
            let mut b = TokenBucket::new(rate, burst, t0).unwrap();
            let (mut now, mut taken) = (t0, 0u64);
            while now - t0 < run {
                match b.try_take(now) {
                    Ok(()) => taken += 1,
                    Err(wait) => now += wait,
                }
            }
            let expected = rate * run.as_secs_f64() + burst;
            let got = taken as f64;
            assert!(
                (got / expected - 1.0).abs() < 0.01,
                "rate {rate}: {got} vs {expected}"
            );

            // A caller polling at random moments, sometimes late.
            let mut rng = Rng(seed);
            let mut b = TokenBucket::new(rate, burst, t0).unwrap();
            let (mut now, mut taken) = (t0, 0u64);
            let step = (1e6 / rate) as u64 + 1; // microseconds per token
            while now - t0 < run {
                if b.try_take(now).is_ok() {
                    taken += 1;
                }
                now += Duration::from_micros(rng.below(step));
            }
            let got = taken as f64;
            assert!(got <= expected + 1.0, "rate {rate}: {got} above {expected}");
            assert!(got / expected > 0.99, "rate {rate}: {got} vs {expected}");
        }
    }
}
