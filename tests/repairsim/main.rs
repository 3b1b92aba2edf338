//! The integration tests, one binary: exact timelines from POLICY.md,
//! lifecycle steps, properties, determinism, the CLI and bad input.

mod browser;
mod capacity_report;
mod check;
mod cli;
mod common;
mod determinism;
mod edges;
mod exclusions;
mod failure_behaviour;
mod fuzz;
mod import;
mod k8s_job;
mod lifecycle;
mod montecarlo;
mod overrides;
mod policy_files;
mod pool_ladders;
mod properties;
mod regressions;
mod replay;
mod sharding;
mod streaming;
mod worked_examples;
