//! One module per subcommand: each gathers data through `kafka`, computes a report, and
//! hands it to `output`. None of them prints.

pub mod brokers;
pub mod config;
pub mod diagnose;
pub mod lag;
