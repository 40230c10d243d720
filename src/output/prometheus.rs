//! Prometheus text exposition format, for node_exporter's textfile collector.

use std::io::Write;

use super::Metric;
use crate::error::{Error, Result};

pub fn write(metrics: &[Metric], out: &mut dyn Write) -> Result<()> {
    exposition(metrics, out).map_err(Error::output)
}

fn exposition(metrics: &[Metric], out: &mut dyn Write) -> std::io::Result<()> {
    for m in metrics {
        writeln!(out, "# HELP {} {}", m.name, m.help)?;
        writeln!(out, "# TYPE {} gauge", m.name)?;
        for (labels, value) in &m.samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                .collect();
            writeln!(out, "{}{{{}}} {}", m.name, labels.join(","), value)?;
        }
    }
    Ok(())
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format() {
        let m = Metric {
            name: "x_lag",
            help: "Lag.",
            samples: vec![(vec![("group", "a\"b".into())], 3.0)],
        };
        let mut out = Vec::new();
        write(&[m], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP x_lag Lag.\n# TYPE x_lag gauge\nx_lag{group=\"a\\\"b\"} 3\n"
        );
    }
}
