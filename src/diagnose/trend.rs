//! One partition's trend over the window: its status, and its produce and consume rates.
//!
//! Burrow judges a partition from the commits it sees; a consumer that died commits
//! nothing, so Burrow keeps showing stale lag, and an idle topic looks like a dead
//! consumer. kbp samples the log end too: a dead consumer shows as a log end that moves
//! under a committed offset that does not, and a log end that does not move is never an
//! alarm by itself. Who owns the partition separates a stuck consumer (STALL: a member
//! holds it) from a stopped one (STOP: nobody does).

use serde::{Deserialize, Serialize};

use crate::report::diagnosis::Status;

/// One sample of one partition. `lag` follows `kbp lag`'s rules (never negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    pub t_ms: u64,
    pub committed: Option<i64>,
    pub end: Option<i64>,
    pub lag: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub status: Status,
    pub lag_first: Option<u64>,
    pub lag_last: Option<u64>,
    /// Records per second appended to the log over the judged span.
    pub produce_rate: Option<f64>,
    /// Records per second the committed offset advanced (none across a rewind).
    pub consume_rate: Option<f64>,
    /// Milliseconds between the first and last judged samples.
    pub span_ms: u64,
    /// How long the committed offset stayed where it is now, within the span.
    pub unchanged_ms: u64,
    /// The log end went backwards (topic re-created or truncated): samples before are dropped.
    pub log_reset: bool,
    /// The committed offset moved back: from the highest seen to where it is now.
    pub rewind: Option<(i64, i64)>,
}

/// What the partition's owner and records say beyond the offsets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// A group member holds the partition at the last sample.
    pub owned: bool,
    /// Only transaction markers are left after the committed offset (time lag 0).
    pub nothing_to_read: bool,
}

pub fn judge(points: &[Point], ctx: Context) -> Trend {
    // A log end that goes backwards belongs to another log: judge only what follows it.
    let reset_at = points
        .windows(2)
        .rposition(|w| matches!((w[0].end, w[1].end), (Some(a), Some(b)) if b < a))
        .map(|i| i + 1);
    let pts = &points[reset_at.unwrap_or(0)..];
    let mut t = Trend {
        status: Status::Unknown,
        lag_first: pts.first().and_then(|p| p.lag),
        lag_last: pts.last().and_then(|p| p.lag),
        produce_rate: None,
        consume_rate: None,
        span_ms: 0,
        unchanged_ms: 0,
        log_reset: reset_at.is_some(),
        rewind: None,
    };
    let Some(last) = pts.last() else {
        return t;
    };
    if let (Some(first), Some(l)) = (pts.first(), pts.last()) {
        t.span_ms = l.t_ms.saturating_sub(first.t_ms);
    }
    let per_sec = |from: &Point, to: &Point, delta: i64| {
        let dt = to.t_ms.saturating_sub(from.t_ms);
        (dt > 0).then(|| delta as f64 * 1000.0 / dt as f64)
    };
    let ends: Vec<&Point> = pts.iter().filter(|p| p.end.is_some()).collect();
    if let (Some(a), Some(b)) = (ends.first(), ends.last()) {
        t.produce_rate = per_sec(a, b, b.end.unwrap_or(0) - a.end.unwrap_or(0));
    }
    let commits: Vec<&Point> = pts.iter().filter(|p| p.committed.is_some()).collect();
    let Some(c_last) = last.committed else {
        return t;
    };
    let highest_before = commits[..commits.len().saturating_sub(1)]
        .iter()
        .filter_map(|p| p.committed)
        .max();
    if let Some(h) = highest_before.filter(|h| *h > c_last) {
        t.rewind = Some((h, c_last));
    } else if let Some(first) = commits.first() {
        t.consume_rate = per_sec(first, last, c_last - first.committed.unwrap_or(c_last));
    }
    // Since when the committed offset has been where it is now.
    let since = pts
        .iter()
        .rposition(|p| p.committed != Some(c_last))
        .map_or(pts[0].t_ms, |i| pts[(i + 1).min(pts.len() - 1)].t_ms);
    t.unchanged_ms = last.t_ms.saturating_sub(since);

    let lag = last.lag.unwrap_or(0);
    t.status = if t.rewind.is_some() {
        Status::Rewind
    } else if lag == 0 || ctx.nothing_to_read {
        Status::CaughtUp
    } else if pts.len() < 2 || t.span_ms == 0 {
        Status::Unknown
    } else if pts.iter().all(|p| p.committed == Some(c_last)) {
        let end_moved = match (ends.first(), ends.last()) {
            (Some(a), Some(b)) => b.end > a.end,
            _ => false,
        };
        if ctx.owned {
            Status::Stall
        } else if end_moved {
            Status::Stop
        } else {
            // An idle log under a parked backlog: nothing is getting worse.
            Status::Ok
        }
    } else {
        let lags: Vec<u64> = pts.iter().filter_map(|p| p.lag).collect();
        let rising = lags.windows(2).all(|w| w[1] >= w[0])
            && lags.first().zip(lags.last()).is_some_and(|(a, b)| b > a);
        if rising {
            Status::Warn
        } else {
            Status::Ok
        }
    };
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Points one second apart from (committed, end) pairs; `None` committed is no commit.
    fn pts(v: &[(Option<i64>, i64)]) -> Vec<Point> {
        v.iter()
            .enumerate()
            .map(|(i, (c, e))| Point {
                t_ms: 1_000 * i as u64,
                committed: *c,
                end: Some(*e),
                lag: c.map(|c| (e - c).max(0) as u64),
            })
            .collect()
    }

    fn owned() -> Context {
        Context {
            owned: true,
            ..Default::default()
        }
    }

    #[test]
    fn caught_up_even_when_idle_or_only_markers_left() {
        let t = judge(&pts(&[(Some(10), 10), (Some(10), 10)]), Context::default());
        assert_eq!(t.status, Status::CaughtUp);
        let t = judge(
            &pts(&[(Some(9), 10), (Some(9), 10)]),
            Context {
                owned: true,
                nothing_to_read: true,
            },
        );
        assert_eq!(t.status, Status::CaughtUp);
    }

    #[test]
    fn slower_consumer_is_warn_with_both_rates() {
        // Produces 100/s, consumes 50/s.
        let t = judge(
            &pts(&[
                (Some(0), 100),
                (Some(50), 200),
                (Some(100), 300),
                (Some(150), 400),
            ]),
            owned(),
        );
        assert_eq!(t.status, Status::Warn);
        assert_eq!(t.produce_rate, Some(100.0));
        assert_eq!(t.consume_rate, Some(50.0));
        assert_eq!((t.lag_first, t.lag_last), (Some(100), Some(250)));
        assert_eq!(t.unchanged_ms, 0);
    }

    #[test]
    fn lag_that_dips_once_is_ok_not_warn() {
        let t = judge(
            &pts(&[
                (Some(0), 100),
                (Some(80), 150),
                (Some(100), 210),
                (Some(180), 300),
            ]),
            owned(),
        );
        assert_eq!(t.status, Status::Ok);
    }

    #[test]
    fn log_end_moving_under_a_still_commit_is_stop_without_owner_stall_with_one() {
        let p = pts(&[(Some(50), 100), (Some(50), 130), (Some(50), 160)]);
        let t = judge(&p, Context::default());
        assert_eq!(t.status, Status::Stop);
        assert_eq!(t.unchanged_ms, 2_000);
        assert_eq!(t.produce_rate, Some(30.0));
        assert_eq!(t.consume_rate, Some(0.0));
        assert_eq!(judge(&p, owned()).status, Status::Stall);
    }

    #[test]
    fn idle_log_is_never_an_alarm_without_owner() {
        let p = pts(&[(Some(50), 100), (Some(50), 100), (Some(50), 100)]);
        assert_eq!(judge(&p, Context::default()).status, Status::Ok);
        // An owner sitting on that backlog without committing is stuck.
        assert_eq!(judge(&p, owned()).status, Status::Stall);
    }

    #[test]
    fn committed_going_back_is_rewind_until_it_passes_the_old_high() {
        let t = judge(
            &pts(&[(Some(100), 100), (Some(0), 100), (Some(40), 100)]),
            owned(),
        );
        assert_eq!(t.status, Status::Rewind);
        assert_eq!(t.rewind, Some((100, 40)));
        assert_eq!(t.consume_rate, None);
        let t = judge(
            &pts(&[(Some(100), 200), (Some(0), 200), (Some(150), 200)]),
            owned(),
        );
        assert_ne!(t.status, Status::Rewind);
    }

    #[test]
    fn one_sample_judges_only_caught_up() {
        assert_eq!(
            judge(&pts(&[(Some(5), 10)]), owned()).status,
            Status::Unknown
        );
        assert_eq!(
            judge(&pts(&[(Some(10), 10)]), owned()).status,
            Status::CaughtUp
        );
        let t = judge(&[], owned());
        assert_eq!((t.status, t.lag_last), (Status::Unknown, None));
    }

    #[test]
    fn no_commit_is_unknown() {
        let t = judge(&pts(&[(None, 10), (None, 20)]), owned());
        assert_eq!(t.status, Status::Unknown);
        assert_eq!(t.produce_rate, Some(10.0));
    }

    #[test]
    fn log_end_going_back_drops_the_history_before_it() {
        // Re-created topic: offsets restart; the old commit 500 is not a rewind.
        let t = judge(
            &pts(&[
                (Some(500), 600),
                (Some(0), 10),
                (Some(5), 20),
                (Some(10), 30),
            ]),
            owned(),
        );
        assert!(t.log_reset);
        assert_eq!(t.rewind, None);
        assert_eq!(t.produce_rate, Some(10.0));
        assert_eq!(t.status, Status::Warn);
    }

    #[test]
    fn partition_appearing_mid_window_is_judged_on_its_own_samples() {
        let mut p = pts(&[(Some(0), 10), (Some(0), 20)]);
        for x in &mut p {
            x.t_ms += 4_000;
        }
        let t = judge(&p, Context::default());
        assert_eq!(t.span_ms, 1_000);
        assert_eq!(t.status, Status::Stop);
    }

    #[test]
    fn first_commit_inside_the_window_counts_as_movement() {
        let t = judge(&pts(&[(None, 10), (Some(2), 12), (Some(2), 14)]), owned());
        assert_eq!(t.status, Status::Warn);
    }
}
