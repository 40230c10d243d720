//! `kbp config view|contexts`: what kbp would connect with, secrets redacted.

use crate::cli::{ConfigCommand, DocFormat, ListFormat};
use crate::config;
use crate::config::Overrides;
use crate::error::Result;
use crate::output::{self, views::Contexts, Format};

pub fn run(global: &Overrides, command: &ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::View { output } => {
            let settings = config::resolve(global, false)?;
            let format = match output {
                DocFormat::Json => Format::Json,
                DocFormat::Yaml => Format::Yaml,
            };
            output::emit(&settings.view(), format)
        }
        ConfigCommand::Contexts { output } => {
            let (_, file) = config::load_file(global)?;
            let rows = Contexts(config::context_rows(&file, global.context.as_deref()));
            let format = match output.unwrap_or(ListFormat::Table) {
                ListFormat::Table => Format::Table,
                ListFormat::Json => Format::Json,
                ListFormat::Yaml => Format::Yaml,
                ListFormat::Csv => Format::Csv,
            };
            output::emit(&rows, format)
        }
    }
}
