//! Typed flag values shared by every command: durations, times, counts, names, bootstrap
//! lists.
//!
//! Each parser is a clap `value_parser`, so a bad value fails at parse time with clap's own
//! message (exit 2) naming the flag, before any cluster is asked; config.rs reuses the same
//! parsers for the config file, so a value means one thing wherever it is written.

use std::path::PathBuf;
use std::time::Duration;

/// The longest `--timeout`: librdkafka's request timeout stops at one hour.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// A duration like `10s`, `500ms`, `5m` or `1h 30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration like 10s, 500ms or 5m ({e})"))
}

/// A duration above zero and at most `max`.
fn duration_within(s: &str, max: Duration) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("'{s}' must be above zero"));
    }
    if d > max {
        return Err(format!(
            "'{s}' is longer than the most allowed, {}",
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

/// `--timeout`: above zero, at most one hour.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    duration_within(s, MAX_TIMEOUT)
}

/// A positive duration of at most a day (`--idle`, `--window`, `--commit-interval`, …).
pub fn parse_period(s: &str) -> Result<Duration, String> {
    duration_within(s, Duration::from_secs(86_400))
}

/// A period of at least `min` (and at most a day).
fn period_from(s: &str, min: Duration) -> Result<Duration, String> {
    let d = parse_period(s)?;
    if d < min {
        return Err(format!(
            "'{s}' is shorter than the least allowed, {}",
            humantime::format_duration(min)
        ));
    }
    Ok(d)
}

/// `--watch INTERVAL`: from 100ms (each refresh asks the cluster several things) to a day.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    period_from(s, Duration::from_millis(100))
}

/// `kbp serve --interval`: from 1s. A refresh reads every group, their commits and log
/// ends and a record per lagging partition; Prometheus scrapes every 15s to 1m, and a
/// faster refresh only loads the cluster.
pub fn parse_serve_interval(s: &str) -> Result<Duration, String> {
    period_from(s, Duration::from_secs(1))
}

/// A duration of at most a day, zero allowed (`kbp brokers --window 0s`: no measuring).
pub fn parse_span(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > Duration::from_secs(86_400) {
        return Err(format!("'{s}' is longer than the most allowed, 1day"));
    }
    Ok(d)
}

/// A point in time as milliseconds since the epoch: RFC 3339 with any offset (`Z`, `z`,
/// `+02:00`), or a plain integer of epoch milliseconds (as Kafka's tools take them).
pub fn parse_time(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .map_err(|_| format!("'{s}' is too large for epoch milliseconds"));
    }
    let not_rfc3339 = |why: String| {
        format!("'{s}' is not an RFC 3339 time with an offset (2026-11-01T00:00:00Z, 2026-11-01T02:00:00+02:00) or epoch milliseconds ({why})")
    };
    rfc3339_shape(t).map_err(|why| not_rfc3339(why.into()))?;
    let ts: jiff::Timestamp = t
        .parse()
        .map_err(|e: jiff::Error| not_rfc3339(e.to_string()))?;
    let ms = ts.as_millisecond();
    if ms < 0 {
        return Err(format!("'{s}' is before 1970, when Kafka timestamps start"));
    }
    Ok(ms)
}

/// RFC 3339's grammar (section 5.6), which jiff's parser widens (ISO 8601's basic format,
/// `+02` and `+0200`, offsets up to 25 hours, a time zone in brackets): a time typed during
/// an incident must mean one thing. jiff then checks the date and the time of day. A space
/// for the `T` is taken, as the RFC's note allows.
fn rfc3339_shape(t: &str) -> Result<(), &'static str> {
    static SHAPE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$",
        )
        .expect("a valid pattern")
    });
    let Some(c) = SHAPE.captures(t) else {
        return Err("expected YYYY-MM-DDTHH:MM:SS[.fraction] then Z or +HH:MM");
    };
    let part = |i| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<u32>().unwrap_or(99))
    };
    if part(1) > 23 || part(2) > 59 {
        return Err("the offset is not from -23:59 to +23:59");
    }
    Ok(())
}

/// A whole number from `min` to `max`, the message naming the range.
pub fn count_within(s: &str, min: u64, max: u64) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a whole number from {min} to {max}")),
    }
}

/// `--workers`: at least one thread, and no more than a machine can usefully run.
pub fn parse_workers(s: &str) -> Result<usize, String> {
    count_within(s, 1, 1024).map(|n| n as usize)
}

/// `--high-water` / `--low-water`: queue bounds, in records.
pub fn parse_queue_bound(s: &str) -> Result<usize, String> {
    count_within(s, 0, 1_000_000).map(|n| n as usize)
}

/// `--retries`.
pub fn parse_retries(s: &str) -> Result<u32, String> {
    count_within(s, 0, 1000).map(|n| n as u32)
}

/// A count that must be at least one (`--max-records`, `--expect-brokers`).
pub fn parse_positive(s: &str) -> Result<u64, String> {
    count_within(s, 1, u64::MAX)
}

/// `--expect-brokers`.
pub fn parse_brokers(s: &str) -> Result<usize, String> {
    count_within(s, 1, 10_000).map(|n| n as usize)
}

/// `--samples`.
pub fn parse_samples(s: &str) -> Result<usize, String> {
    count_within(s, 2, 10_000).map(|n| n as usize)
}

/// A consumer group name: Kafka takes any non-empty string.
pub fn parse_group(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("a group name cannot be empty".into());
    }
    Ok(s.to_string())
}

/// A group kbp joins (`kbp drain -g`): librdkafka left-trims `group.id` (as every string
/// property), so a name that starts with white space would join, and commit to, another
/// group; refused rather than moved.
pub fn parse_joinable_group(s: &str) -> Result<String, String> {
    /// C's isspace(), which librdkafka's trim uses.
    const SPACE: [char; 6] = [' ', '\t', '\n', '\x0b', '\x0c', '\r'];
    let group = parse_group(s)?;
    if group.starts_with(SPACE) {
        return Err(format!(
            "{group:?} starts with white space, which librdkafka drops from a group.id: a drain would join and commit to {:?} instead",
            group.trim_start_matches(SPACE)
        ));
    }
    Ok(group)
}

/// A name pattern (`--group-regex`, `--exclude-group-regex`, `--topic-regex`) in the
/// `regex` crate's syntax, unanchored as kafka_exporter's `--group.filter`: `billing`
/// matches `billing-eu`, `^billing$` only `billing`. Compiled here, so a bad pattern is
/// clap's usage error naming the flag; the reason is regex's last line, without the
/// caret drawing above it.
pub fn parse_regex(s: &str) -> Result<regex::Regex, String> {
    if s.is_empty() {
        return Err("an empty pattern matches every name".into());
    }
    regex::Regex::new(s).map_err(|e| match e {
        regex::Error::CompiledTooBig(limit) => {
            format!("the pattern is too large once compiled (over {limit} bytes)")
        }
        other => {
            let text = other.to_string();
            let reason = text
                .lines()
                .find_map(|l| l.strip_prefix("error: "))
                .unwrap_or_else(|| text.lines().last().unwrap_or_default());
            format!("not a regular expression: {reason}")
        }
    })
}

/// A topic name as Kafka allows it: 1–249 of `[a-zA-Z0-9._-]`, not `.` or `..`. Names, not
/// patterns: `^orders.*` is refused here rather than matching nothing later.
pub fn parse_topic(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("a topic name cannot be empty".into());
    }
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if s.len() > 249 || s == "." || s == ".." || !s.chars().all(legal) {
        return Err(format!(
            "'{}' is not a topic name: exact names only (no patterns), 1 to 249 of letters, digits, '.', '_' and '-'",
            s.escape_debug()
        ));
    }
    Ok(s.to_string())
}

/// `-t TOPIC[:P,P…]` of `kbp offsets`: a topic, and the partitions named (none: all of
/// them), as kafka-consumer-groups writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArg {
    pub topic: String,
    pub partitions: Vec<i32>,
}

/// `TOPIC` or `TOPIC:P,P…`: an exact topic name and partition numbers from 0.
pub fn parse_topic_arg(s: &str) -> Result<TopicArg, String> {
    let (name, list) = match s.split_once(':') {
        Some((n, l)) => (n, Some(l)),
        None => (s, None),
    };
    let topic = parse_topic(name)?;
    let mut partitions = Vec::new();
    if let Some(list) = list {
        for p in list.split(',') {
            match p.trim().parse::<i32>() {
                Ok(n) if n >= 0 => partitions.push(n),
                _ => {
                    return Err(format!(
                        "'{}' is not a partition number (expected TOPIC or TOPIC:P,P…, e.g. orders:0,2)",
                        p.escape_debug()
                    ))
                }
            }
        }
        partitions.sort_unstable();
        partitions.dedup();
    }
    Ok(TopicArg { topic, partitions })
}

/// An offset: a whole number from 0 (`--to-offset`).
pub fn parse_offset(s: &str) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err(format!("'{s}' is negative: offsets start at 0")),
        Err(_) => Err(format!("'{s}' is not an offset (a whole number from 0)")),
    }
}

/// A signed count of offsets (`--shift-by -100`, `--shift-by 50`).
pub fn parse_shift(s: &str) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "'{s}' is not a whole number of offsets, e.g. -100 or 50"
        )),
    }
}

/// How far back from now (`--by-duration`): `2h`, `90m`, `1d`, or ISO 8601 as
/// kafka-consumer-groups takes it (Java's `Duration.parse`: `P1D`, `PT2H`, `P1DT2H`,
/// `PT0.5S`, a day being 24 hours); above zero. Years, months and weeks are refused, as
/// kafka-consumer-groups refuses them: a month has no fixed length.
pub fn parse_lookback(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let d = match humantime::parse_duration(t) {
        Ok(d) => d,
        Err(_) if t.starts_with(['P', 'p', '+', '-']) => iso_duration(t).map_err(|why| {
            format!("'{s}' is not an ISO 8601 duration like P1D, PT2H or P1DT2H: {why}")
        })?,
        Err(e) => {
            return Err(format!(
                "'{s}' is not a duration like 2h, 90m, 1d, PT2H or P1DT2H ({e})"
            ))
        }
    };
    if d.is_zero() {
        return Err(format!("'{s}' must be above zero"));
    }
    Ok(d)
}

/// An ISO 8601 duration of days and smaller units, days of 24 hours.
fn iso_duration(t: &str) -> Result<Duration, String> {
    let span: jiff::Span = t.parse().map_err(|e: jiff::Error| e.to_string())?;
    if span.get_years() != 0 || span.get_months() != 0 || span.get_weeks() != 0 {
        return Err("years, months and weeks have no fixed length: give days (P30D)".into());
    }
    if span.is_negative() {
        return Err("it is negative: give how far back, e.g. PT2H".into());
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| e.to_string())?;
    Duration::try_from(d).map_err(|e| e.to_string())
}

/// librdkafka's port when a bootstrap entry names none.
pub const DEFAULT_PORT: u16 = 9092;

/// A bootstrap list: `host:port` entries separated by commas, IPv6 hosts in brackets, an
/// optional `PROTOCOL://` prefix (as librdkafka takes it). A port is 1–65535; librdkafka
/// would otherwise wrap `99999` into another port.
pub fn check_bootstrap(list: &str) -> Result<(), String> {
    bootstrap_entries(list).map(drop)
}

/// The (host, port) of each entry of a bootstrap list, `[` `]` taken off IPv6 hosts and
/// [`DEFAULT_PORT`] where none is given; the first malformed entry is the error.
pub fn bootstrap_entries(list: &str) -> Result<Vec<(String, u16)>, String> {
    list.split(',')
        .map(str::trim)
        .map(bootstrap_entry)
        .collect()
}

fn bootstrap_entry(entry: &str) -> Result<(String, u16), String> {
    let bad = |why: &str| Err(format!("'{}': {why}", entry.escape_debug()));
    if entry.is_empty() {
        return bad("empty entry (expected HOST:PORT[,HOST:PORT...])");
    }
    let addr = entry.split_once("://").map_or(entry, |(_, rest)| rest);
    let (host, port) = if let Some(rest) = addr.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, "")) => (h, None),
            Some((h, p)) => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return bad("expected [IPV6]:PORT"),
            },
            None => return bad("unclosed '[' (expected [IPV6]:PORT)"),
        }
    } else {
        match addr.rsplit_once(':') {
            Some((h, _)) if h.contains(':') => {
                return bad("an IPv6 address needs brackets: [IPV6]:PORT")
            }
            Some((h, p)) => (h, Some(p)),
            None => (addr, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '%'));
    if !host_ok {
        return bad("not a host name or address");
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n >= 1 => n,
            _ => return bad(&format!("port '{p}' is not from 1 to 65535")),
        },
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_timeout("1h").unwrap(), MAX_TIMEOUT);
        for bad in ["0s", "61m", "2h", "-1s"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_interval("100ms").unwrap(), Duration::from_millis(100));
        for bad in ["99ms", "0s", "2days", "5"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_serve_interval("1s").unwrap(), Duration::from_secs(1));
        let e = parse_serve_interval("999ms").unwrap_err();
        assert!(e.contains("shorter than the least allowed, 1s"), "{e}");
    }

    #[test]
    fn times_take_any_offset_and_epoch_milliseconds() {
        let utc = 1_761_955_200_000; // 2025-11-01T00:00:00Z
        assert_eq!(parse_time("2025-11-01T00:00:00Z").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01T00:00:00z").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01T02:00:00+02:00").unwrap(), utc);
        assert_eq!(parse_time("2025-10-31T19:00:00-05:00").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01T00:00:00.250Z").unwrap(), utc + 250);
        assert_eq!(parse_time("1761955200000").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01 00:00:00Z").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01T00:00:00-00:00").unwrap(), utc);
        assert_eq!(parse_time("2025-11-01T23:59:00+23:59").unwrap(), utc);
        // What RFC 3339 refuses, and jiff's wider grammar would take.
        for bad in [
            "",
            "yesterday",
            "2025-11-01",
            "2025-11-01T00:00:00",
            "2025-11-01T00:00:00.000",
            "1969-12-31T23:59:59Z",
            "99999999999999999999",
            "2025-11-01T00:00:00+24:00",
            "2025-11-01T00:00:00+02:60",
            "2025-11-01T24:00:00Z",
            "2025-11-01T00:00Z",
            "2025-11-01T00:00:00+0200",
            "2025-11-01T00:00:00+02",
            "20251101T000000Z",
            "2025-11-01T00:00:00,5Z",
            "2025-11-01T00:00:00+02:00[Europe/Paris]",
            "2025-02-30T00:00:00Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_are_bounded() {
        assert_eq!(parse_workers("8").unwrap(), 8);
        for bad in ["0", "100000000", "-1", "many", ""] {
            assert!(parse_workers(bad).is_err(), "{bad}");
        }
        assert!(parse_samples("1").is_err());
        assert!(parse_positive("0").is_err());
    }

    #[test]
    fn patterns_compile_at_parse_time_and_fail_in_one_line() {
        assert!(parse_regex("^billing-").unwrap().is_match("billing-eu"));
        assert!(
            parse_regex("eu").unwrap().is_match("billing-eu"),
            "unanchored"
        );
        for (bad, reason) in [
            ("(orders", "unclosed group"),
            ("[a-", "unclosed character class"),
            ("a{2,1}", "invalid repetition count range"),
            ("x{99999999}", "too large"),
            ("", "empty pattern"),
        ] {
            let e = parse_regex(bad).unwrap_err();
            assert!(e.contains(reason), "{bad}: {e}");
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
    }

    #[test]
    fn names() {
        assert!(parse_group("").is_err());
        assert_eq!(parse_group(" g ").unwrap(), " g ");
        assert_eq!(parse_topic("orders.v1_a-b").unwrap(), "orders.v1_a-b");
        for bad in [
            "",
            ".",
            "..",
            "^orders.*",
            "a b",
            "t\x1b[2J",
            &"x".repeat(250),
        ] {
            assert!(parse_topic(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn topic_args_take_partitions_as_kafka_consumer_groups_does() {
        let t = parse_topic_arg("orders").unwrap();
        assert_eq!((t.topic.as_str(), t.partitions.len()), ("orders", 0));
        let t = parse_topic_arg("orders:2,0,2").unwrap();
        assert_eq!(t.partitions, vec![0, 2]);
        for bad in [
            "orders:",
            "orders:x",
            "orders:-1",
            "orders:1,,2",
            "^o.*:1",
            ":1",
            "a b:0",
        ] {
            assert!(parse_topic_arg(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets_shifts_and_lookbacks() {
        assert_eq!(parse_offset("0").unwrap(), 0);
        assert!(parse_offset("-1").unwrap_err().contains("negative"));
        assert!(parse_offset("ten").is_err());
        assert_eq!(parse_shift("-100").unwrap(), -100);
        assert_eq!(parse_shift("+5").unwrap(), 5);
        assert!(parse_shift("1.5").is_err());
        assert_eq!(parse_lookback("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_lookback("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(
            parse_lookback("PT1H30M").unwrap(),
            Duration::from_secs(5400)
        );
        // The forms of Java's Duration.parse, which kafka-consumer-groups uses.
        for (iso, secs) in [
            ("P1D", 86_400),
            ("PT1H", 3600),
            ("P1DT2H", 93_600),
            ("p1dt2h", 93_600),
            ("P2DT3H4M", 183_840),
            ("PT15M", 900),
        ] {
            assert_eq!(
                parse_lookback(iso).unwrap(),
                Duration::from_secs(secs),
                "{iso}"
            );
        }
        assert_eq!(
            parse_lookback("PT0.5S").unwrap(),
            Duration::from_millis(500)
        );
        for bad in [
            "0s", "PT0S", "-PT1H", "soon", "", "P1M", "P1Y", "P1W", "P", "PT",
        ] {
            assert!(parse_lookback(bad).is_err(), "{bad}");
        }
        assert!(parse_lookback("P1M").unwrap_err().contains("P30D"));
    }

    #[test]
    fn bootstrap_lists() {
        for ok in [
            "localhost:9092",
            "a:1,b:65535",
            "[::1]:9092",
            "[fe80::1%eth0]:9092",
            "kafka",
            "SSL://broker.example:9093",
            "10.0.0.1:9092, 10.0.0.2:9092",
        ] {
            assert!(check_bootstrap(ok).is_ok(), "{ok}");
        }
        for bad in [
            "host:99999",
            "host:0",
            "host:",
            "host:port",
            "::1:9092",
            "[::1:9092",
            "a:1,,b:2",
            "",
            "ho st:1",
            ":9092",
        ] {
            assert!(check_bootstrap(bad).is_err(), "{bad}");
        }
        assert_eq!(
            bootstrap_entries("SSL://b:9093,[::1],k").unwrap(),
            vec![("b".into(), 9093), ("::1".into(), 9092), ("k".into(), 9092)]
        );
    }
}

/// A secret read at parse time from the environment variable or file a flag names, so
/// the secret itself is never on the command line; its `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

fn secret(value: String, from: &str) -> Result<Secret, String> {
    if value.is_empty() {
        return Err(format!("{from} is empty"));
    }
    Ok(Secret(value))
}

/// The secret in environment variable `var`.
pub fn secret_from_env(var: &str) -> Result<Secret, String> {
    match std::env::var(var) {
        Ok(v) => secret(v, &format!("environment variable {var}")),
        Err(_) => Err(format!("environment variable {var} is not set")),
    }
}

/// The secret in file `path`, without its trailing newline.
pub fn secret_from_file(path: &str) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    secret(
        text.trim_end_matches(['\n', '\r']).to_string(),
        &format!("file {path}"),
    )
}

/// A file of PEM CA certificates, read at parse time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    pub path: PathBuf,
    pub pem: Vec<u8>,
}

pub fn parse_ca_file(s: &str) -> Result<CaFile, String> {
    let pem = std::fs::read(s).map_err(|e| format!("cannot read {s}: {e}"))?;
    match openssl::x509::X509::stack_from_pem(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(CaFile {
            path: s.into(),
            pem,
        }),
        _ => Err(format!("{s}: no PEM certificate in it")),
    }
}
