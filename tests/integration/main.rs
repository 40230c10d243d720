//! Integration tests: the real `kbp` binary and library against a real Apache Kafka broker
//! (KRaft, single node on 127.0.0.1), started on demand by scripts/kafka.sh; faults.rs on a
//! three-node cluster of its own.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod cli;
mod demo;
mod deploy;
mod diagnose;
mod diagnose_metrics;
mod drain;
mod drain_pipe;
mod drain_proof;
mod drain_restart;
mod faults;
mod generated;
mod hostile;
mod kerberos;
mod lag;
mod msk_iam;
mod oauth;
mod offsets;
mod prometheus;
mod security;
mod serve;
mod serve_web;
mod watch;
