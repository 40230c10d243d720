//! YAML: the same document as JSON, for people who read it.

use std::io::Write;

use serde::Serialize;

use crate::error::{Error, Result};

pub fn write<R: Serialize>(report: &R, out: &mut dyn Write) -> Result<()> {
    let text = serde_yaml::to_string(report).map_err(|e| Error::Encoding {
        format: "YAML",
        reason: e.to_string(),
    })?;
    out.write_all(text.as_bytes()).map_err(Error::output)?;
    Ok(())
}
