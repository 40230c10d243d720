//! One module per subcommand: each gathers data through `kafka`, computes a report, and
//! hands it to `output`. None of them prints.

pub mod brokers;
pub mod complete;
pub mod config;
pub mod demo;
pub mod diagnose;
pub mod lag;
pub mod man;
