//! Numbers as operators read them: compact durations, rates, and `-` for what is unknown.
//!
//! Tables (`output`) and the prose of findings (`diagnose`) must spell a duration the same
//! way, so the spelling lives below both.

/// A duration as operators read it in a narrow column: `850ms`, `42s`, `3m07s`, `4h05m`, `2d03h`.
pub fn compact_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 if ms == 0 => "0s".into(),
        0 => format!("{ms}ms"),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// `-` for a missing value, as kafka-consumer-groups prints it.
pub fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Records per second as operators read them: `0.5/s`, `12/s`, `3.4k/s`.
pub fn rate(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.0}k/s", r / 1000.0)
    } else if r >= 1000.0 {
        format!("{:.1}k/s", r / 1000.0)
    } else if r >= 10.0 || r == 0.0 {
        format!("{r:.0}/s")
    } else {
        format!("{r:.1}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_durations() {
        assert_eq!(compact_duration(0), "0s");
        assert_eq!(compact_duration(850), "850ms");
        assert_eq!(compact_duration(42_300), "42s");
        assert_eq!(compact_duration(187_000), "3m07s");
        assert_eq!(compact_duration(4 * 3_600_000 + 5 * 60_000), "4h05m");
        assert_eq!(compact_duration(2 * 86_400_000 + 3 * 3_600_000), "2d03h");
    }

    #[test]
    fn rates() {
        assert_eq!(rate(3400.0), "3.4k/s");
        assert_eq!(rate(2.25), "2.2/s");
        assert_eq!(rate(120.0), "120/s");
    }
}
