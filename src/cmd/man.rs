//! `kbp man`: the man page, generated from the clap definition like the completions.
//!
//! clap_mangen renders one command per page and points at a page per subcommand; kbp's
//! flags live on its subcommands, so kbp ships one page: the top level, then a section per
//! subcommand with its own options.

use clap::{Command, CommandFactory};
use clap_mangen::roff::{bold, roman, Roff};
use clap_mangen::Man;

use crate::cli::Cli;
use crate::error::{Error, Result};

/// The preamble every clap_mangen render starts with; the page needs it once.
const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// The whole page, as docs/kbp.1 holds it.
pub fn page() -> Result<String> {
    render().map_err(|e| Error::Internal(format!("rendering the man page: {e}")))
}

fn render() -> std::io::Result<String> {
    let cli = Cli::command().disable_help_subcommand(true);
    let man = Man::new(cli.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut list = Roff::new();
    list.control("SH", ["SUBCOMMANDS"]);
    for sub in cli.get_subcommands() {
        list.control("TP", [])
            .text([bold(format!("kbp {}", sub.get_name()))])
            .text([roman(
                sub.get_about().map(|a| a.to_string()).unwrap_or_default(),
            )]);
    }
    list.to_writer(&mut out)?;
    for sub in cli.get_subcommands() {
        options_section(sub, "kbp", &mut out)?;
    }
    man.render_version_section(&mut out)?;
    let page = String::from_utf8_lossy(&out).replace(PREAMBLE, "");
    Ok(format!("{PREAMBLE}{page}"))
}

/// `.SH "KBP LAG"` with the subcommand's own options; nested subcommands follow.
fn options_section(sub: &Command, parent: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    let own = sub
        .clone()
        .disable_help_flag(true)
        .disable_version_flag(true)
        .mut_args(|a| a.help_heading(name.clone()));
    if own.get_arguments().next().is_some() {
        Man::new(own).render_options_section(out)?;
    }
    for nested in sub.get_subcommands() {
        options_section(nested, &name, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_subcommand_has_its_options_on_the_page() {
        let page = super::page().unwrap();
        assert!(page.contains("\n.TH kbp 1 "), "{}", &page[..80]);
        assert_eq!(page.matches(".el .ds Aq").count(), 1, "one preamble");
        for section in ["KBP LAG", "KBP DRAIN", "KBP DEMO", "KBP CONFIG VIEW"] {
            assert!(page.contains(section), "no {section}");
        }
        assert!(page.contains("\\-\\-fail\\-above"));
        assert!(page.contains("\\-\\-high\\-water"));
        assert!(
            !page.contains("kbp\\-lag(1)"),
            "no page of its own to point to"
        );
    }
}
