//! What `kbp drain`'s flags mean, as typed values: `--sink`, `--from`, `--until`,
//! `--on-failure`, `--rate`.
//!
//! Each parser is a clap `value_parser`: a bad value is refused at parse time with clap's
//! own message (exit 2), before the cluster is asked, and completion can offer the forms.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::kafka::consumer::Uncommitted;
use crate::kafka::TopicPartition;
use crate::values::{parse_time, parse_topic};

pub use super::workers::OnFailure;

/// `--sink`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkSpec {
    Stdout,
    Null,
    File(PathBuf),
    Exec(String),
    /// Long-lived children that acknowledge each record (`pipe:CMD`).
    Pipe(String),
    /// A topic, on this cluster or on another context's (`topic:NAME@CONTEXT`).
    Topic(String, Option<String>),
}

/// The forms completion offers for `--sink`.
pub const SINK_FORMS: &[&str] = &["stdout", "null", "file:", "exec:", "pipe:", "topic:"];

pub fn parse_sink(s: &str) -> Result<SinkSpec, String> {
    let bad = |why: &str| Err(format!("'{s}': {why}"));
    match s.split_once(':') {
        None if s == "stdout" => Ok(SinkSpec::Stdout),
        None if s == "null" => Ok(SinkSpec::Null),
        Some(("file", p)) if !p.is_empty() => Ok(SinkSpec::File(PathBuf::from(p))),
        Some(("exec", c)) if !c.trim().is_empty() => Ok(SinkSpec::Exec(c.to_string())),
        Some(("pipe", c)) if !c.trim().is_empty() => Ok(SinkSpec::Pipe(c.to_string())),
        Some(("topic", t)) if !t.is_empty() => {
            let (name, ctx) = match t.split_once('@') {
                Some((name, ctx)) if !ctx.is_empty() => (name, Some(ctx.to_string())),
                Some(_) => return bad("expected topic:NAME or topic:NAME@CONTEXT"),
                None => (t, None),
            };
            Ok(SinkSpec::Topic(parse_topic(name)?, ctx))
        }
        Some(("file" | "exec" | "pipe" | "topic", _)) => bad("missing the part after ':'"),
        _ => bad("expected stdout, null, file:PATH, exec:CMD, pipe:CMD or topic:NAME[@CONTEXT]"),
    }
}

pub fn parse_on_failure(s: &str) -> Result<OnFailure, String> {
    match s.split_once(':') {
        None if s == "stop" => Ok(OnFailure::Stop),
        None if s == "skip" => Ok(OnFailure::Skip),
        Some(("dlq", t)) => Ok(OnFailure::Dlq(parse_topic(t)?)),
        _ => Err(format!("'{s}': expected stop, skip or dlq:TOPIC")),
    }
}

/// `--from`: where a partition the group has no commit for starts. A commit always wins:
/// `committed` (the default) says so, and starts the others at the log start, as `earliest`
/// does.
pub fn parse_from(s: &str) -> Result<Uncommitted, String> {
    match s.split_once(':') {
        None if s == "committed" || s == "earliest" => Ok(Uncommitted::LogStart),
        None if s == "latest" => Ok(Uncommitted::LogEnd),
        Some(("time", t)) => Ok(Uncommitted::Time(parse_time(t)?)),
        _ => Err(format!(
            "'{s}': expected committed, earliest, latest or time:TIME (RFC 3339 or epoch ms)"
        )),
    }
}

/// `--until`, as given: the plan (`plan::bounds`) turns it into each partition's stop, asking
/// the cluster where `end` and `time:` are.
#[derive(Debug, Clone, PartialEq)]
pub enum Until {
    /// The log end when the drain starts.
    End,
    /// `offset:N`: every partition stops at N.
    Offset(i64),
    /// `offset:TOPIC/P=N,...`: the partitions named stop there, the others where they are.
    Offsets(NamedOffsets),
    /// `time:`: the first record at or after this time (ms since the epoch).
    Time(i64),
}

/// The partitions `offset:TOPIC/P=N,...` names, each once, and at least one: only
/// [`parse_until`] makes one, and it is read through the map it derefs to.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedOffsets(HashMap<TopicPartition, i64>);

impl std::ops::Deref for NamedOffsets {
    type Target = HashMap<TopicPartition, i64>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// As the plan shows it: what was given, partitions in order.
impl std::fmt::Display for Until {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Until::End => f.write_str("end"),
            Until::Time(ms) => match jiff::Timestamp::from_millisecond(*ms) {
                Ok(t) => write!(f, "time:{t}"),
                Err(_) => write!(f, "time:{ms}"),
            },
            Until::Offset(n) => write!(f, "offset:{n}"),
            Until::Offsets(each) => {
                let mut parts: Vec<String> = each
                    .iter()
                    .map(|(tp, n)| format!("{}/{}={n}", tp.topic, tp.partition))
                    .collect();
                parts.sort();
                write!(f, "offset:{}", parts.join(","))
            }
        }
    }
}

pub fn parse_until(s: &str) -> Result<Until, String> {
    if s == "end" {
        return Ok(Until::End);
    }
    match s.split_once(':') {
        Some(("time", t)) => Ok(Until::Time(parse_time(t)?)),
        Some(("offset", spec)) => {
            if let Ok(n) = spec.parse::<i64>() {
                if n < 0 {
                    return Err(format!("'{s}': an offset cannot be negative"));
                }
                return Ok(Until::Offset(n));
            }
            let mut each = HashMap::new();
            for part in spec.split(',') {
                let parsed = part.rsplit_once('=').and_then(|(tp, n)| {
                    let (t, p) = tp.rsplit_once('/')?;
                    let p = p.parse::<i32>().ok().filter(|p| *p >= 0)?;
                    let n = n.parse::<i64>().ok().filter(|n| *n >= 0)?;
                    Some((TopicPartition::new(parse_topic(t).ok()?, p), n))
                });
                let (tp, n) = parsed.ok_or_else(|| {
                    format!("'{s}': '{part}' is not TOPIC/PARTITION=OFFSET")
                })?;
                if each.insert(tp, n).is_some() {
                    return Err(format!("'{s}': '{part}' names a partition twice"));
                }
            }
            Ok(Until::Offsets(NamedOffsets(each)))
        }
        _ => Err(format!(
            "'{s}': expected end, offset:N, offset:TOPIC/P=N,... or time:TIME (RFC 3339 or epoch ms)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks() {
        assert_eq!(parse_sink("null"), Ok(SinkSpec::Null));
        assert_eq!(
            parse_sink("pipe:python3 load.py"),
            Ok(SinkSpec::Pipe("python3 load.py".into()))
        );
        assert_eq!(
            parse_sink("topic:out@dr"),
            Ok(SinkSpec::Topic("out".into(), Some("dr".into())))
        );
        for bad in [
            "",
            "nul",
            "file:",
            "exec: ",
            "pipe:",
            "pipe:  ",
            "pipes:cat",
            "topic:",
            "topic:@x",
            "topic:a@",
            "topic:^a",
        ] {
            assert!(parse_sink(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn starts() {
        assert_eq!(parse_from("committed"), Ok(Uncommitted::LogStart));
        assert_eq!(parse_from("latest"), Ok(Uncommitted::LogEnd));
        assert_eq!(
            parse_from("time:2025-11-01T01:00:00+01:00"),
            Ok(Uncommitted::Time(1_761_955_200_000))
        );
        assert_eq!(parse_from("time:5"), Ok(Uncommitted::Time(5)));
        for bad in ["", "begin", "time:", "time:now"] {
            assert!(parse_from(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn untils() {
        assert_eq!(parse_until("end"), Ok(Until::End));
        assert_eq!(
            parse_until("time:2025-11-01T00:00:00z"),
            Ok(Until::Time(1_761_955_200_000))
        );
        let Ok(Until::Offsets(each)) = parse_until("offset:a/0=5,a.b/1=7") else {
            panic!()
        };
        assert_eq!(each[&TopicPartition::new("a.b", 1)], 7);
        for bad in [
            "",
            "never",
            "offset:",
            "offset:-1",
            "offset:a/0",
            "offset:a/x=1",
            "offset:a/-1=3",
            "offset:a/0=1,a/0=2",
            "offset:^a/0=1",
            "time:soon",
        ] {
            assert!(parse_until(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failures() {
        assert_eq!(
            parse_on_failure("dlq:dead"),
            Ok(OnFailure::Dlq("dead".into()))
        );
        for bad in ["", "retry", "dlq:", "dlq:a b"] {
            assert!(parse_on_failure(bad).is_err(), "{bad}");
        }
    }
}
