//! When the poll loop pauses and resumes fetching, so kbp's queue stays bounded.
//!
//! Pausing a partition makes librdkafka drop what it prefetched for it, and resuming
//! fetches it again, so flapping at one threshold costs fetch traffic. Two thresholds
//! (pause at `--high-water`, resume at `--low-water`) and a minimum pause time keep the
//! transitions rare. Pure: the caller passes the queue depth and the time.

use std::time::{Duration, Instant};

use crate::flags::{HIGH_WATER, LOW_WATER};

/// A transition the poll loop must apply to every assigned partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowChange {
    Pause,
    Resume,
}

#[derive(Debug, Clone)]
pub struct Hysteresis {
    high: usize,
    low: usize,
    min_pause: Duration,
    /// Set while paused, to honour `min_pause`.
    paused_since: Option<Instant>,
    pauses: u64,
}

impl Hysteresis {
    /// Pause at `high` queued records, resume at `low` or fewer after `min_pause`.
    pub fn new(high: usize, low: usize, min_pause: Duration) -> Result<Self, String> {
        if high == 0 {
            return Err(format!("{HIGH_WATER} must be at least 1"));
        }
        if low >= high {
            return Err(format!(
                "{LOW_WATER} ({low}) must be below {HIGH_WATER} ({high})"
            ));
        }
        Ok(Self {
            high,
            low,
            min_pause,
            paused_since: None,
            pauses: 0,
        })
    }

    /// Feeds the current queue depth; returns the transition to apply, if any.
    pub fn observe(&mut self, queued: usize, now: Instant) -> Option<FlowChange> {
        match self.paused_since {
            None if queued >= self.high => {
                self.paused_since = Some(now);
                self.pauses += 1;
                Some(FlowChange::Pause)
            }
            // Saturating: an earlier `now` than the pause counts as no time paused.
            Some(since)
                if queued <= self.low && now.saturating_duration_since(since) >= self.min_pause =>
            {
                self.paused_since = None;
                Some(FlowChange::Resume)
            }
            _ => None,
        }
    }

    pub fn low(&self) -> usize {
        self.low
    }

    /// The high-water mark: the queue level the drain does not pass.
    pub fn high(&self) -> usize {
        self.high
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// How many times fetching was paused, for the summary and metrics.
    pub fn pauses(&self) -> u64 {
        self.pauses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FlowChange::{Pause, Resume};

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn rejects_bad_thresholds_naming_the_flags() {
        let e = Hysteresis::new(0, 0, MS).unwrap_err();
        assert!(e.contains("--high-water"), "{e}");
        for (high, low) in [(10, 10), (10, 11), (1, 1)] {
            let e = Hysteresis::new(high, low, MS).unwrap_err();
            assert!(
                e.contains("--low-water") && e.contains("--high-water"),
                "{e}"
            );
            assert!(e.contains(&high.to_string()) && e.contains(&low.to_string()));
        }
        assert!(Hysteresis::new(1, 0, Duration::ZERO).is_ok());
    }

    #[test]
    fn pauses_at_high_and_resumes_at_low() {
        let t0 = Instant::now();
        let mut h = Hysteresis::new(100, 20, Duration::ZERO).unwrap();
        assert!(!h.is_paused());
        assert_eq!(h.observe(99, t0), None);
        assert_eq!(h.observe(100, t0), Some(Pause));
        assert!(h.is_paused());
        assert_eq!(h.observe(150, t0), None);
        assert_eq!(h.observe(21, t0), None);
        assert_eq!(h.observe(20, t0), Some(Resume));
        assert!(!h.is_paused());
        assert_eq!(h.observe(20, t0), None);
        assert_eq!(h.pauses(), 1);
    }

    #[test]
    fn no_flapping_between_low_and_high() {
        let t0 = Instant::now();
        let mut h = Hysteresis::new(100, 20, Duration::ZERO).unwrap();
        // Unpaused, hovering below high.
        for i in 0..1000 {
            assert_eq!(h.observe(21 + i % 79, t0), None);
        }
        assert_eq!(h.observe(100, t0), Some(Pause));
        // Paused, hovering above low.
        for i in 0..1000 {
            let t = t0 + MS * i;
            assert_eq!(h.observe(21 + (i as usize) % 200, t), None);
        }
        assert_eq!(h.pauses(), 1);
    }

    #[test]
    fn min_pause_is_honoured() {
        let t0 = Instant::now();
        let min = Duration::from_millis(500);
        let mut h = Hysteresis::new(10, 2, min).unwrap();
        assert_eq!(h.observe(10, t0), Some(Pause));
        assert_eq!(h.observe(0, t0), None);
        assert_eq!(h.observe(0, t0 + min - MS), None);
        assert!(h.is_paused());
        assert_eq!(h.observe(0, t0 + min), Some(Resume));
        // Pause time counts from the latest pause, not the first.
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(h.observe(12, t1), Some(Pause));
        assert_eq!(h.observe(1, t1 + min - MS), None);
        // After min_pause, resuming still waits for the queue to reach low.
        assert_eq!(h.observe(3, t1 + min * 2), None);
        assert_eq!(h.observe(2, t1 + min * 2), Some(Resume));
        assert_eq!(h.pauses(), 2);
    }

    #[test]
    fn clock_going_backwards_does_not_resume_early() {
        let t0 = Instant::now() + Duration::from_secs(60);
        let mut h = Hysteresis::new(10, 2, Duration::from_secs(1)).unwrap();
        assert_eq!(h.observe(10, t0), Some(Pause));
        assert_eq!(h.observe(0, t0 - Duration::from_secs(30)), None);
        assert!(h.is_paused());
    }

    #[test]
    fn counts_every_pause() {
        let t0 = Instant::now();
        let mut h = Hysteresis::new(5, 1, Duration::ZERO).unwrap();
        for i in 0..7 {
            assert_eq!(h.observe(5, t0), Some(Pause));
            assert_eq!(h.pauses(), i + 1);
            assert_eq!(h.observe(0, t0), Some(Resume));
        }
        assert_eq!(h.pauses(), 7);
    }

    use crate::drain::test_rng::Rng;

    #[test]
    fn random_queue_walks_keep_every_rule() {
        for seed in 0..100 {
            let mut rng = Rng(seed);
            let high = 2 + rng.below(200) as usize;
            let low = rng.below(high as u64) as usize;
            let min = MS * rng.below(300) as u32;
            let mut h = Hysteresis::new(high, low, min).unwrap();
            let mut now = Instant::now();
            let mut queued = 0usize;
            let mut paused_at: Option<Instant> = None;
            let mut pauses = 0;
            for _ in 0..5_000 {
                now += MS * rng.below(20) as u32;
                let step = rng.below(high as u64 / 2 + 2) as usize;
                queued = if rng.below(2) == 0 {
                    queued + step
                } else {
                    queued.saturating_sub(step)
                };
                match h.observe(queued, now) {
                    Some(Pause) => {
                        assert!(paused_at.is_none() && queued >= high);
                        paused_at = Some(now);
                        pauses += 1;
                    }
                    Some(Resume) => {
                        let since = paused_at.take().expect("resume only when paused");
                        assert!(queued <= low && now - since >= min);
                    }
                    None => match paused_at {
                        None => assert!(queued < high, "seed {seed}: should have paused"),
                        Some(since) => assert!(
                            queued > low || now - since < min,
                            "seed {seed}: should have resumed"
                        ),
                    },
                }
                assert_eq!(h.is_paused(), paused_at.is_some());
                assert_eq!(h.pauses(), pauses);
            }
        }
    }
}
