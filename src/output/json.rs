//! JSON: the stable, documented schema (docs/json-schema.md) that scripts rely on.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

pub fn write<R: Serialize>(report: &R, out: &mut dyn Write) -> Result<()> {
    encode(report, out, true)
}

pub fn write_line<R: Serialize>(report: &R, out: &mut dyn Write) -> Result<()> {
    encode(report, out, false)
}

fn encode<R: Serialize>(report: &R, out: &mut dyn Write, pretty: bool) -> Result<()> {
    let written = if pretty {
        serde_json::to_writer_pretty(&mut *out, report)
    } else {
        serde_json::to_writer(&mut *out, report)
    };
    written.map_err(|e| match e.io_error_kind() {
        Some(kind) => Error::output(kind.into()),
        None => Error::Encoding {
            format: "JSON",
            reason: e.to_string(),
        },
    })?;
    writeln!(out).map_err(Error::output)?;
    Ok(())
}
