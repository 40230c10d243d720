//! CSV: the detail table with every column, one header row, for spreadsheets and `cut`.

use std::io::Write;

use super::Table;
use crate::error::{Error, Result};

pub fn write(table: Option<&Table>, out: &mut dyn Write) -> Result<()> {
    let Some(table) = table else { return Ok(()) };
    let mut w = csv::Writer::from_writer(out);
    let fail = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::output(io),
        other => Error::Encoding {
            format: "CSV",
            reason: format!("{other:?}"),
        },
    };
    w.write_record(&table.headers).map_err(fail)?;
    for row in &table.rows {
        w.write_record(row).map_err(fail)?;
    }
    w.flush().map_err(Error::output)?;
    Ok(())
}
