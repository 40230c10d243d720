//! Plain aligned tables (no borders, like kubectl and kafka-consumer-groups), readable in
//! a 100-column terminal and easy to `awk`.

use std::io::Write;

use comfy_table::{presets::NOTHING, CellAlignment, ContentArrangement};

use super::{cell, printable, Block};
use crate::error::{Error, Result};

pub fn write(blocks: &[Block], out: &mut dyn Write) -> Result<()> {
    lines(blocks, out).map_err(Error::output)
}

fn lines(blocks: &[Block], out: &mut dyn Write) -> std::io::Result<()> {
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let t = match b {
            Block::Table(t) => t,
            Block::Text(lines) => {
                for l in lines {
                    writeln!(out, "{}", printable(l))?;
                }
                continue;
            }
        };
        if let Some(title) = &t.title {
            writeln!(out, "{}", printable(title))?;
        }
        let mut grid = comfy_table::Table::new();
        grid.load_preset(NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(t.headers.iter().copied());
        for row in &t.rows {
            grid.add_row(row.iter().map(|c| cell(c)));
        }
        // Numbers right-aligned so magnitudes line up.
        for (idx, col) in grid.column_iter_mut().enumerate() {
            let numeric = t.rows.iter().all(|r| {
                r.get(idx)
                    .is_some_and(|c| c == "-" || c.parse::<f64>().is_ok())
            });
            if numeric && !t.rows.is_empty() {
                col.set_cell_alignment(CellAlignment::Right);
            }
            col.set_padding((0, 2));
        }
        for line in grid.lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}
