//! Where `--watch` draws. On a terminal, with `table` or `wide`, each refresh replaces the
//! last one in the alternate screen (fitted to the window, verdicts coloured, cursor
//! hidden), and the terminal is put back however the watch ends, a signal included.
//! Anywhere else each refresh is appended: a block headed by its time, one JSON object per
//! line with `-o json`, one YAML document with `-o yaml`, so the stream can be piped. A
//! signal never cuts a frame in half.

use std::collections::BTreeSet;
use std::io::{BufWriter, IsTerminal, StdoutLock, Write};
use std::time::Duration;

use clap::ColorChoice;
use crossterm::style::{Color, Print, ResetColor, SetForegroundColor};
use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, queue};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{printable, watch, Format, View};
use crate::error::{Error, Result};
use crate::flags::{OUTPUT_SHORT, WATCH};
use crate::report::diagnosis::Severity;
use crate::report::watch::WatchFrame;

/// A line of a frame and the severity it shows.
type Line = (String, Option<Severity>);

/// The output of a watch, from its first frame to its restored terminal.
pub struct Screen {
    format: Format,
    /// Redrawn in place (a terminal), or appended.
    redraw: bool,
    colour: bool,
    /// The frame on screen, drawn again above a refresh that failed.
    last: Vec<Line>,
    /// Warnings printed on stderr so far: each is printed once.
    warned: BTreeSet<String>,
}

impl Screen {
    /// Refuses the formats a stream cannot be made of, before anything connects.
    pub fn check(format: Format) -> Result<()> {
        match format {
            Format::Table | Format::Wide | Format::Json | Format::JsonLine | Format::Yaml => {
                Ok(())
            }
            Format::Csv | Format::Prometheus => Err(Error::usage(format!(
                "{OUTPUT_SHORT} {} is not available with {WATCH} (use table, wide, json for JSON lines, or yaml)",
                if format == Format::Csv { "csv" } else { "prometheus" }
            ))),
        }
    }

    /// Takes the terminal when stdout is one and the format is a table; `title` shows
    /// until the first refresh is drawn.
    pub fn open(format: Format, color: ColorChoice, title: &str) -> Result<Screen> {
        Screen::check(format)?;
        super::check_stdout()?;
        let terminal = std::io::stdout().is_terminal();
        let colour = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && colour_wanted(),
        };
        if colour {
            // crossterm honours NO_COLOR by itself; --color always overrides it.
            crossterm::style::force_color_output(true);
        }
        let screen = Screen {
            format,
            redraw: terminal && matches!(format, Format::Table | Format::Wide),
            colour,
            last: Vec::new(),
            warned: BTreeSet::new(),
        };
        crate::signals::on_exit(Some(if screen.redraw {
            put_back_on_exit
        } else {
            finish_on_exit
        }));
        if screen.redraw {
            let mut out = std::io::stdout().lock();
            queue!(out, EnterAlternateScreen, cursor::Hide)
                .and_then(|()| out.flush())
                .map_err(Error::output)?;
            drop(out);
            screen.draw(&[(format!("{title}: first refresh…"), None)])?;
        }
        Ok(screen)
    }

    /// Shows one refresh.
    pub fn show(&mut self, frame: &WatchFrame) -> Result<()> {
        let view = match self.format {
            Format::Table => View::Table,
            Format::Wide => View::Wide,
            _ => {
                self.warn(&frame.notes);
                let mut out = BufWriter::new(std::io::stdout().lock());
                if self.format == Format::Yaml {
                    out.write_all(b"---\n").map_err(Error::output)?;
                    super::write(frame, Format::Yaml, &mut out)?;
                } else {
                    super::write(frame, Format::JsonLine, &mut out)?;
                }
                return out.flush().map_err(Error::output);
            }
        };
        let mut lines = watch::lines(frame, view)?;
        if !self.redraw {
            self.warn(&frame.notes);
            return self.append(&lines);
        }
        if !std::io::stderr().is_terminal() {
            self.warn(&frame.notes);
        }
        let notes = frame
            .notes
            .iter()
            .map(|n| (format!("warning: {}", printable(n)), Some(Severity::Warn)));
        lines.splice(1..1, notes);
        self.draw(&lines)?;
        self.last = lines;
        Ok(())
    }

    /// Reports a refresh that failed; the watch goes on. On a terminal the frame before
    /// stays, the failure above it.
    pub fn failed(&mut self, refresh: u64, error: &Error) -> Result<()> {
        let line = format!(
            "refresh {refresh} failed: {}",
            printable(&error.to_string())
        );
        if !self.redraw || !std::io::stderr().is_terminal() {
            crate::sys::diag!("kbp: {line}");
        }
        if !self.redraw {
            return Ok(());
        }
        let mut lines = self.last.clone();
        lines.insert(lines.len().min(1), (line, Some(Severity::Crit)));
        self.draw(&lines)
    }

    /// Each warning once on stderr.
    fn warn(&mut self, notes: &[String]) {
        for n in notes {
            if self.warned.insert(n.clone()) {
                crate::sys::diag!("kbp: warning: {}", printable(n));
            }
        }
    }

    fn append(&self, lines: &[Line]) -> Result<()> {
        let mut out = BufWriter::new(std::io::stdout().lock());
        for (l, severity) in lines {
            self.line(&mut out, l, *severity)?;
            queue!(out, Print("\n")).map_err(Error::output)?;
        }
        queue!(out, Print("\n")).map_err(Error::output)?;
        out.flush().map_err(Error::output)
    }

    /// Replaces what the screen shows with `lines`, fitted to the terminal: a line that
    /// wrapped or a frame that scrolled would leave the previous frame's remains.
    fn draw(&self, lines: &[Line]) -> Result<()> {
        let (cols, rows) = crossterm::terminal::size().unwrap_or((0, 0));
        let mut out = BufWriter::new(std::io::stdout().lock());
        queue!(out, cursor::MoveTo(0, 0)).map_err(Error::output)?;
        for (i, (l, severity)) in fit(lines, cols.into(), rows.into()).iter().enumerate() {
            if i > 0 {
                queue!(out, cursor::MoveToNextLine(1)).map_err(Error::output)?;
            }
            self.line(&mut out, l, *severity)?;
            queue!(out, Clear(ClearType::UntilNewLine)).map_err(Error::output)?;
        }
        queue!(out, Clear(ClearType::FromCursorDown)).map_err(Error::output)?;
        out.flush().map_err(Error::output)
    }

    fn line(&self, out: &mut impl Write, line: &str, severity: Option<Severity>) -> Result<()> {
        let colour = match severity {
            Some(Severity::Crit) => Some(Color::Red),
            Some(Severity::Warn) => Some(Color::Yellow),
            _ => None,
        };
        match colour.filter(|_| self.colour) {
            Some(c) => queue!(out, SetForegroundColor(c), Print(line), ResetColor)
                .map_err(Error::output)?,
            None => queue!(out, Print(line)).map_err(Error::output)?,
        }
        Ok(())
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if self.redraw {
            put_back(&mut std::io::stdout().lock());
        }
        crate::signals::on_exit(None);
    }
}

/// Puts the terminal back as the watch found it: colours, cursor, the main screen.
fn put_back(out: &mut StdoutLock<'static>) {
    let _ = queue!(out, ResetColor, cursor::Show, LeaveAlternateScreen);
    let _ = out.flush();
}

/// Before a signal ends a watch on a terminal: the frame being drawn is finished, then
/// the terminal is put back.
fn put_back_on_exit() {
    hold_stdout(put_back);
}

/// Before a signal ends a stream: the frame being written is finished, so the last line
/// of a JSON-lines stream is never cut in half.
fn finish_on_exit() {
    hold_stdout(|_| {});
}

/// Takes stdout once the frame being written is done, runs `then` and keeps stdout to
/// the end, so no frame starts; waits at most a second (a reader may block the writer:
/// Ctrl-C ends kbp within a second all the same).
fn hold_stdout(then: fn(&mut StdoutLock<'static>)) {
    let (done, held) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("kbp-stdout".into())
        .spawn(move || {
            let mut out = std::io::stdout().lock();
            then(&mut out);
            let _ = done.send(());
            std::mem::forget(out);
        });
    if spawned.is_ok() {
        let _ = held.recv_timeout(Duration::from_secs(1));
    }
}

/// `auto` colours unless NO_COLOR is set to anything (no-color.org) or TERM is dumb.
fn colour_wanted() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// `lines` cut to `cols` columns and `rows` lines (0: unknown, no limit); what is cut off
/// the bottom is counted on the last line.
fn fit(lines: &[Line], cols: usize, rows: usize) -> Vec<Line> {
    let mut kept: Vec<Line> = if rows > 0 && lines.len() > rows {
        let mut k = lines[..rows - 1].to_vec();
        k.push((
            format!(
                "… {} more line(s): a taller terminal, or -o json, shows them",
                lines.len() - (rows - 1)
            ),
            None,
        ));
        k
    } else {
        lines.to_vec()
    };
    if cols > 0 {
        for (l, _) in &mut kept {
            if l.width() > cols {
                let mut cut = String::new();
                let mut width = 0;
                for c in l.chars() {
                    width += c.width().unwrap_or(0);
                    if width > cols - 1 {
                        break;
                    }
                    cut.push(c);
                }
                cut.push('…');
                *l = cut;
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_to_the_terminal() {
        let lines: Vec<Line> = (0..10)
            .map(|i| (format!("line {i} ▁▂▃"), Some(Severity::Warn)))
            .collect();
        assert_eq!(fit(&lines, 0, 0), lines, "unknown size: no limit");
        let f = fit(&lines, 8, 4);
        let text: Vec<&str> = f.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(text, vec!["line 0 …", "line 1 …", "line 2 …", "… 7 mor…"]);
        assert_eq!(f[0].1, Some(Severity::Warn));
        assert_eq!(f[3].1, None);
        assert_eq!(fit(&lines, 10, 10), lines, "exactly the width and height");
    }

    #[test]
    fn streams_are_refused_in_formats_without_one() {
        assert!(Screen::check(Format::Json).is_ok());
        let e = Screen::check(Format::Csv).unwrap_err();
        assert_eq!(e.exit_code(), crate::error::exit::USAGE);
        assert!(e
            .to_string()
            .starts_with("-o csv is not available with --watch"));
        assert!(Screen::check(Format::Prometheus).is_err());
    }
}
