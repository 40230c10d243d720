//! Offsets files in kafka-consumer-groups' `--export` CSV format, so files move between the
//! two tools: `topic,partition,offset` for one group, `group,topic,partition,offset` for
//! several; no header. kbp reads both (`--from-file`, `restore`), writes the second for its
//! restore files (the group is in each row, so a restore needs nothing else) and either
//! for `export`, as kafka-consumer-groups writes them.
//!
//! A restore file is written and synced (file and directory) before anything is
//! committed: a crash or a full disk after that point still leaves the undo on disk.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::kafka::TopicPartition;
use crate::values::{parse_group, parse_topic};

/// One row of an offsets file, and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `None` in a file without a group column.
    pub group: Option<String>,
    pub tp: TopicPartition,
    pub offset: i64,
    pub line: usize,
}

/// Rows of `path`; a file that is not such a CSV (a header, a JSON document, another
/// tool's table, a negative offset) is a usage error naming the file and line.
pub fn read(path: &Path) -> Result<Vec<Row>> {
    let bad = |line: usize, why: String| {
        Error::usage(format!(
            "{}:{line}: {why}: not an offsets file (topic,partition,offset or group,topic,partition,offset rows, as kafka-consumer-groups --export writes)",
            path.display()
        ))
    };
    let bytes = std::fs::read(path)
        .map_err(|e| Error::usage(format!("{}: cannot read: {e}", path.display())))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        bad(line, "not UTF-8 text".into())
    })?;
    let mut rows = Vec::new();
    let mut width = None;
    for record in records(text) {
        let (line, fields) = record.map_err(|(line, why)| bad(line, why))?;
        if fields.iter().all(String::is_empty) {
            continue;
        }
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        if *width.get_or_insert(fields.len()) != fields.len() {
            return Err(bad(
                line,
                format!(
                    "{} fields where line 1 has {}",
                    fields.len(),
                    width.unwrap_or(0)
                ),
            ));
        }
        let (group, rest) = match fields.as_slice() {
            [t, p, o] => (None, [*t, *p, *o]),
            [g, t, p, o] => (
                Some(parse_group(g).map_err(|e| bad(line, e))?),
                [*t, *p, *o],
            ),
            _ => return Err(bad(line, format!("{} fields", fields.len()))),
        };
        let [topic, partition, offset] = rest;
        let topic = parse_topic(topic).map_err(|e| bad(line, e))?;
        let partition = partition
            .parse::<i32>()
            .ok()
            .filter(|p| *p >= 0)
            .ok_or_else(|| {
                bad(
                    line,
                    format!(
                        "partition '{}' is not a number from 0",
                        partition.escape_debug()
                    ),
                )
            })?;
        let offset = match offset.parse::<i64>() {
            Ok(o) if o >= 0 => o,
            Ok(o) => {
                return Err(Error::usage(format!(
                    "{}:{line}: offset {o} of {topic}/{partition} is negative: offsets start at 0",
                    path.display()
                )))
            }
            Err(_) => {
                return Err(bad(
                    line,
                    format!("offset '{}' is not a number", offset.escape_debug()),
                ))
            }
        };
        rows.push(Row {
            group,
            tp: TopicPartition::new(topic, partition),
            offset,
            line,
        });
    }
    if rows.is_empty() {
        return Err(Error::usage(format!(
            "{}: holds no offsets (expected topic,partition,offset or group,topic,partition,offset rows)",
            path.display()
        )));
    }
    Ok(rows)
}

/// Each group's offsets from the rows of `files`. `named` are the groups given with `-g`:
/// a file without a group column belongs to the one group named, and a file with one
/// gives the named groups their rows (every group in it when none is named). A named group
/// without rows, or a partition given twice, is a usage error.
pub fn offsets_by_group(
    files: &[(PathBuf, Vec<Row>)],
    named: &[String],
    flag: &str,
) -> Result<BTreeMap<String, BTreeMap<TopicPartition, i64>>> {
    let mut out: BTreeMap<String, BTreeMap<TopicPartition, i64>> = BTreeMap::new();
    let mut ignored = BTreeSet::new();
    for (path, rows) in files {
        for r in rows {
            let group = match (&r.group, named) {
                (Some(g), []) => g.clone(),
                (Some(g), _) if named.contains(g) => g.clone(),
                (Some(g), _) => {
                    ignored.insert(g.clone());
                    continue;
                }
                (None, [one]) => one.clone(),
                (None, []) => {
                    return Err(Error::usage(format!(
                        "{}: its rows have no group column (topic,partition,offset): name the group with {flag}",
                        path.display()
                    )))
                }
                (None, _) => {
                    return Err(Error::usage(format!(
                        "{}: its rows have no group column (topic,partition,offset), so it applies to one group, not {}",
                        path.display(),
                        named.len()
                    )))
                }
            };
            let tp = &r.tp;
            if out
                .entry(group.clone())
                .or_default()
                .insert(tp.clone(), r.offset)
                .is_some()
            {
                return Err(Error::usage(format!(
                    "{}:{}: {}/{} of group {group} is given twice",
                    path.display(),
                    r.line,
                    tp.topic,
                    tp.partition
                )));
            }
        }
    }
    if let Some(g) = named.iter().find(|g| !out.contains_key(*g)) {
        let names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        return Err(Error::usage(format!(
            "{} has no offsets for group {g}",
            names.join(", ")
        )));
    }
    if !ignored.is_empty() {
        let list: Vec<&str> = ignored.iter().map(String::as_str).collect();
        crate::sys::diag!(
            "kbp: warning: left out the rows of group(s) not named with {flag}: {}",
            list.join(", ")
        );
    }
    Ok(out)
}

/// Offsets as kafka-consumer-groups `--export` writes them: without the group column for
/// one group alone, with it otherwise.
pub fn to_csv<'a>(
    rows: impl IntoIterator<Item = (&'a str, &'a str, i32, i64)>,
    with_group: bool,
) -> String {
    let mut out = String::new();
    for (group, topic, partition, offset) in rows {
        if with_group {
            push_field(&mut out, group);
            out.push(',');
        }
        push_field(&mut out, topic);
        out.push_str(&format!(",{partition},{offset}\n"));
    }
    out
}

// The CSV of offsets files is RFC 4180, read strictly and written with quotes wherever a
// reader could misread a name. Hand-written because the csv crate is lenient where a
// restore must not be: it reads an unterminated quote to the end of the file and a quote
// inside a bare field as text, and its writer leaves edge spaces bare, which a trimming
// reader (a spreadsheet, kbp before 0.x) then eats, restoring another group.

/// Appends `field`, bare when it is plain ASCII (letters, digits, punctuation other than
/// the comma and the quote: every topic name), else quoted with its quotes doubled, so
/// that no reader can trim, split or drop a part of it (edge spaces, a byte-order mark).
fn push_field(out: &mut String, field: &str) {
    let quote = field.is_empty()
        || !field
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b',' && b != b'"');
    if !quote {
        out.push_str(field);
        return;
    }
    out.push('"');
    out.push_str(&field.replace('"', "\"\""));
    out.push('"');
}

/// A reason a file is not exact CSV, and the line it is on.
type Bad = (usize, String);

/// The records of `text`: each with the line it starts on and its fields, exactly as
/// written (nothing trimmed); an error names the line and ends the records. Records end at
/// LF or CRLF; a UTF-8 byte-order mark at the start is not part of the first field.
fn records(
    text: &str,
) -> impl Iterator<Item = std::result::Result<(usize, Vec<String>), Bad>> + '_ {
    let mut chars = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .chars()
        .peekable();
    let mut line = 1;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || chars.peek().is_none() {
            return None;
        }
        let start = line;
        let result = record(&mut chars, &mut line);
        line += 1;
        failed = result.is_err();
        Some(result.map(|fields| (start, fields)))
    })
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// One record's fields, up to and including its line end.
fn record(chars: &mut Chars<'_>, line: &mut usize) -> std::result::Result<Vec<String>, Bad> {
    let mut fields = Vec::new();
    loop {
        fields.push(if chars.next_if_eq(&'"').is_some() {
            quoted(chars, line)?
        } else {
            bare(chars, *line)?
        });
        match chars.next() {
            Some(',') => continue,
            None | Some('\n') => return Ok(fields),
            Some('\r') if chars.next_if_eq(&'\n').is_some() => return Ok(fields),
            Some(_) => return Err((*line, "a carriage return that does not end a line".into())),
        }
    }
}

/// A quoted field, its opening quote taken: to the closing quote, which must end the field.
fn quoted(chars: &mut Chars<'_>, line: &mut usize) -> std::result::Result<String, Bad> {
    let opened = *line;
    let mut field = String::new();
    loop {
        match chars.next() {
            None => return Err((opened, "a quote opened on this line is never closed".into())),
            Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
            Some('"') => break,
            Some(c) => {
                *line += usize::from(c == '\n');
                field.push(c);
            }
        }
    }
    match chars.peek() {
        None | Some(',' | '\n' | '\r') => Ok(field),
        Some(_) => Err((
            *line,
            "text after a closing quote (a quote inside a quoted field is written twice)".into(),
        )),
    }
}

/// A field without quotes: to the next comma or line end; a quote inside it is an error.
fn bare(chars: &mut Chars<'_>, line: usize) -> std::result::Result<String, Bad> {
    let mut field = String::new();
    while let Some(c) = chars.next_if(|c| !matches!(c, ',' | '\n' | '\r')) {
        if c == '"' {
            return Err((
                line,
                "a quote inside an unquoted field (quote the field and write the quote twice)"
                    .into(),
            ));
        }
        field.push(c);
    }
    Ok(field)
}

/// Where restore files go: `--restore-dir`, else `$XDG_STATE_HOME/kbp`, else
/// `~/.local/state/kbp` (the XDG base directory rules for state).
pub fn restore_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = flag {
        return Ok(d.to_path_buf());
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    match (env("XDG_STATE_HOME"), env("HOME")) {
        (Some(state), _) if state.is_absolute() => Ok(state.join("kbp")),
        (_, Some(home)) => Ok(home.join(".local/state/kbp")),
        _ => Err(Error::usage(
            "no directory for the restore file: set XDG_STATE_HOME or HOME, or pass --restore-dir",
        )),
    }
}

/// A file name for `group`'s restore file at `now_ms`: the group (characters a file name
/// cannot safely hold as `_`) and the UTC time to the millisecond.
pub fn restore_name(group: &str, now_ms: i64) -> String {
    let safe: String = group
        .chars()
        .take(100)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = jiff::Timestamp::from_millisecond(now_ms)
        .map(|t| t.strftime("%Y%m%dT%H%M%S%.3fZ").to_string())
        .unwrap_or_else(|_| now_ms.to_string());
    format!("offsets-{safe}-{stamp}.csv")
}

/// Writes `text` to a new file `name` in `dir` (created, private, if missing) and syncs
/// the file and the directory; an existing name gets `-2`, `-3`… The path written.
///
/// The file appears under its name only whole: it is written and synced under a hidden
/// name first, then linked to its name (which fails rather than replace a file), so a full
/// disk or a crash never leaves an empty or partial restore file to be trusted.
pub fn write_synced(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let fail = |what: &str, e: std::io::Error| {
        Error::io(
            format!(
                "restore file in {}: cannot {what} (nothing was written to Kafka)",
                dir.display()
            ),
            e,
        )
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| fail("create the directory", e))?;
    let hidden = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&hidden)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&hidden);
        return Err(fail("write it", e));
    }
    let published = publish(dir, name, &hidden);
    let _ = std::fs::remove_file(&hidden);
    let path = published.map_err(|e| fail("create it", e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail("sync the directory", e))?;
    Ok(path)
}

/// Links `hidden` to `name` in `dir`, or to the first free `-2`, `-3`… name.
fn publish(dir: &Path, name: &str, hidden: &Path) -> std::io::Result<PathBuf> {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "csv"));
    for n in 1..1000 {
        let path = if n == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem}-{n}.{ext}"))
        };
        match std::fs::hard_link(hidden, &path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: impl AsRef<[u8]>) -> Result<Vec<Row>> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        std::fs::write(&p, text).unwrap();
        read(&p)
    }

    #[test]
    fn both_export_formats_read() {
        let r = rows_of("orders,0,5\norders,1,7\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].group.as_deref(), r[1].offset), (None, 7));
        let r = rows_of("g,orders,0,5\n\"a,b\",orders,1,7").unwrap();
        assert_eq!(r[1].group.as_deref(), Some("a,b"));
        assert_eq!(r[1].tp, TopicPartition::new("orders", 1));
    }

    #[test]
    fn foreign_files_are_refused_with_their_line() {
        for (text, says) in [
            (
                "topic,partition,offset\norders,0,5\n",
                "f.csv:1: partition 'partition'",
            ),
            ("{\"groups\": []}\n", "f.csv:1"),
            ("GROUP  TOPIC  PARTITION\ng orders 0\n", "f.csv:1: 1 fields"),
            (
                "orders,0,5\ng,orders,1,5\n",
                "f.csv:2: 4 fields where line 1 has 3",
            ),
            ("orders,0,-5\n", "offset -5 of orders/0 is negative"),
            ("orders,0,five\n", "offset 'five' is not a number"),
            ("^bad,0,5\n", "not a topic name"),
            ("", "holds no offsets"),
            ("\u{0}\u{1}\u{2}", "f.csv:1"),
        ] {
            let e = rows_of(text).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{text}");
            assert!(e.to_string().contains(says), "{text:?}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn rows_go_to_their_groups() {
        let f = |text: &str| (PathBuf::from("f.csv"), rows_of(text).unwrap());
        let plain = [f("orders,0,5\n")];
        let by = offsets_by_group(&plain, &["g".into()], "-g").unwrap();
        assert_eq!(by["g"][&TopicPartition::new("orders", 0)], 5);
        assert!(offsets_by_group(&plain, &[], "-g")
            .unwrap_err()
            .to_string()
            .contains("name the group with -g"));
        assert!(offsets_by_group(&plain, &["a".into(), "b".into()], "-g").is_err());
        let grouped = [f("a,orders,0,5\nb,orders,0,6\n")];
        assert_eq!(offsets_by_group(&grouped, &[], "-g").unwrap().len(), 2);
        let only_b = offsets_by_group(&grouped, &["b".into()], "-g").unwrap();
        assert_eq!(only_b.keys().collect::<Vec<_>>(), ["b"]);
        let e = offsets_by_group(&grouped, &["c".into()], "-g").unwrap_err();
        assert!(e.to_string().contains("has no offsets for group c"), "{e}");
        let twice = [f("a,orders,0,5\na,orders,0,6\n")];
        let e = offsets_by_group(&twice, &[], "-g").unwrap_err();
        assert!(
            e.to_string()
                .contains("f.csv:2: orders/0 of group a is given twice"),
            "{e}"
        );
    }

    #[test]
    fn every_name_reads_back_exactly() {
        let names = [
            " lead",
            "trail ",
            " both ",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\r\nlf",
            "tab\tin",
            "\u{1b}[2J",
            "größe 🚀 עברית",
            "\u{a0}nbsp\u{a0}",
            "\u{feff}bom",
        ];
        for name in names {
            let text = to_csv([(name, "orders", 3, 42)], true);
            let r = rows_of(&text).unwrap_or_else(|e| panic!("{name:?}: {text:?}: {e}"));
            assert_eq!(r.len(), 1, "{name:?}: {text:?}");
            assert_eq!(r[0].group.as_deref(), Some(name), "{text:?}");
            assert_eq!((r[0].tp.partition, r[0].offset), (3, 42));
        }
    }

    #[test]
    fn inexact_csv_is_refused_whole() {
        for (text, says) in [
            (
                "\"g,orders,0,5\n",
                "f.csv:1: a quote opened on this line is never closed",
            ),
            (
                "g,orders,0,5\n\"h,orders,0,6\nh,orders,1,7\n",
                "f.csv:2: a quote opened",
            ),
            (
                "g\",orders,0,5\n",
                "f.csv:1: a quote inside an unquoted field",
            ),
            ("\"g\"x,orders,0,5\n", "f.csv:1: text after a closing quote"),
            ("g,orders,0,5\rh,orders,0,6\n", "f.csv:1: a carriage return"),
        ] {
            let e = rows_of(text).unwrap_err();
            assert_eq!(e.exit_code(), crate::error::exit::USAGE, "{text:?}");
            assert!(e.to_string().contains(says), "{text:?}: {e}");
        }
        let e = rows_of(b"g,orders,0,5\n\xff").unwrap_err();
        assert!(e.to_string().contains("f.csv:2: not UTF-8"), "{e}");
        // Not trimmed: the spaces belong to the name.
        let r = rows_of(" g ,orders,0,5\r\n").unwrap();
        assert_eq!(r[0].group.as_deref(), Some(" g "));
        // A byte-order mark is an encoding's mark, not the first group's name.
        let r = rows_of("\u{feff}g,orders,0,5\n").unwrap();
        assert_eq!(r[0].group.as_deref(), Some("g"));
    }

    /// Runs itself again in a child whose files cannot grow past 0 bytes (RLIMIT_FSIZE is
    /// per process): a full disk for the restore file, without a full disk.
    #[test]
    fn a_restore_file_that_cannot_be_written_leaves_nothing() {
        const TEST: &str = "a_restore_file_that_cannot_be_written_leaves_nothing";
        if let Some(dir) = std::env::var_os("KBP_RESTORE_CHILD_DIR") {
            let e = write_synced(Path::new(&dir), "r.csv", "g,t,0,1\n").unwrap_err();
            assert!(
                e.to_string().contains("nothing was written to Kafka"),
                "{e}"
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("trap '' XFSZ; ulimit -f 0; exec \"$0\" --exact --nocapture \"$1\"")
            .arg(std::env::current_exe().unwrap())
            .arg(format!("cmd::offsets::file::tests::{TEST}"))
            .env("KBP_RESTORE_CHILD_DIR", dir.path())
            .output()
            .unwrap();
        let told = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && told.contains("1 passed"), "{told}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn csv_as_kafka_consumer_groups_writes_it() {
        let rows = [("g", "orders", 0, 5), ("g", "orders", 1, 7)];
        assert_eq!(to_csv(rows, false), "orders,0,5\norders,1,7\n");
        assert_eq!(to_csv([("a,b", "t", 0, 1)], true), "\"a,b\",t,0,1\n");
    }

    #[test]
    fn restore_files_are_new_private_and_named_after_the_group() {
        let name = restore_name("billing/eu v2", 1_761_955_200_123);
        assert_eq!(name, "offsets-billing_eu_v2-20251101T000000.123Z.csv");
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("state/kbp");
        let a = write_synced(&sub, &name, "g,t,0,1\n").unwrap();
        let b = write_synced(&sub, &name, "g,t,0,2\n").unwrap();
        assert_ne!(a, b);
        assert!(
            b.to_string_lossy().ends_with(".123Z-2.csv"),
            "{}",
            b.display()
        );
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "g,t,0,1\n");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&a).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let e = write_synced(Path::new("/proc/kbp-no"), &name, "").unwrap_err();
        assert!(
            e.to_string().contains("nothing was written to Kafka"),
            "{e}"
        );
    }
}
