//! `repairsim check`: expectations, golden files and invariants, as test
//! cases for CI.
//!
//! - [`expect`]: what an `[[expect]]` table asserts, validated.
//! - [`load`]: reads a scenario's `[[expect]]` tables into [`expect`]'s
//!   types, at the scenario loader's hook; `Scenario` never holds them.
//! - [`eval`]: checks them, and POLICY.md's invariants, against a run.
//! - [`golden`]: compares a run's events and summary with committed files.
//! - [`render`]: the results as text, JSON and JUnit XML.
//!
//! Invariant: pure. Nothing here reads files, runs a simulation or prints;
//! the CLI (`crate::cli::check`) does, and hands the texts and runs in.

pub mod eval;
pub mod expect;
pub mod golden;
pub mod load;
pub mod render;

use serde::Serialize;

/// How a case ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    /// A golden comparison under `--bless`: the file was rewritten.
    Blessed,
}

/// One test case: an expectation, a golden comparison or the invariants.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Case {
    pub name: String,
    /// `event`, `no_event`, `incident`, `metric`, `golden` or `invariants`.
    pub kind: &'static str,
    /// 1-based line in the scenario file, for expectations.
    pub line: Option<usize>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// What `--bless` did, for blessed cases.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Case {
    /// Passed without a failure, failed with one.
    pub fn new(
        name: String,
        kind: &'static str,
        line: Option<usize>,
        failure: Option<Failure>,
    ) -> Case {
        Case {
            name,
            kind,
            line,
            status: if failure.is_some() {
                Status::Failed
            } else {
                Status::Passed
            },
            failure,
            note: None,
        }
    }

    pub fn failed(&self) -> bool {
        self.status == Status::Failed
    }
}

/// Why a case failed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// One line: what was expected, what happened, by how much.
    pub message: String,
    /// More lines for people (the events involved, the first differences).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
    /// A golden event comparison's differences, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<golden::EventDiff>,
    /// A golden incident comparison's differences, in onset order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incidents: Vec<golden::IncidentDiff>,
    /// A golden summary comparison's differences, in key order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<golden::ValueDiff>,
}

impl Failure {
    pub fn new(message: String, details: Vec<String>) -> Failure {
        Failure {
            message,
            details,
            events: Vec::new(),
            incidents: Vec::new(),
            values: Vec::new(),
        }
    }
}

/// The cases of one scenario file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// The file as the user named it (or as found in a directory).
    pub file: String,
    /// The scenario's `name`.
    pub scenario: String,
    pub cases: Vec<Case>,
}

impl ScenarioReport {
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failed()).count()
    }
}
