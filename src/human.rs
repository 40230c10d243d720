//! Numbers as operators read them: compact durations and `-` for what is unknown.
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
}
