//! repairsim: a deterministic discrete-event simulator of node auto-repair
//! in managed Kubernetes: Azure Kubernetes Service (AKS) first, and the
//! peers platform teams compare it with (GKE, EKS and EKS Auto Mode,
//! Cluster API MachineHealthCheck, medik8s NodeHealthCheck).
//!
//! A simulated clock drives virtual node pools through injected failures
//! and through the remediation policy AKS documents, exactly as
//! `POLICY.md` pins it: detection (NotReady for 10 minutes, or no status for
//! 10 minutes), a 5-minute delay, the reboot → reimage → redeploy ladder,
//! retries within about an hour, the exclusions, and the Kubernetes events
//! AKS emits. The outputs are event streams, per-node timelines, incidents
//! and statistics.
//!
//! # Bird's-eye view
//!
//! A [`scenario::Scenario`] (read from TOML and validated) describes a fleet,
//! a fault catalogue, how faults arrive and the policy. The
//! [`engine::Sim`] owns the clock and one queue of a closed `Event` enum. For
//! every node it keeps what the kubelet and the control plane show and asks
//! the policy's pure state machine ([`policy::Phase`]) what the auto-repair
//! controller does on a check. What happens leaves the engine as
//! [`observe::Record`]s to [`observe::Observer`]s, which build incidents,
//! timelines and Kubernetes events; [`stats`] and [`report`] read only those.
//!
//! Time is an integer count of milliseconds ([`time::SimTime`]). Kubelet
//! ticks, lease renewals, node-monitor ticks and auto-repair checks are global
//! grids, so the engine computes the one instant on a grid that matters for a
//! node and never simulates idle ticks: cost grows with faults and actions,
//! not with nodes × time.
//!
//! # Example
//!
//! Worked example 1 of POLICY.md: a kubelet hang at 1h00m35s is detected at
//! 1h11m, rebooted at 1h16m and Ready again at 1h20m.
//!
//! ```
//! use repairsim::engine::simulate;
//! use repairsim::observe::{Record, Trace};
//! use repairsim::policy::Outcome;
//! use repairsim::k8s::ActionKind;
//! use repairsim::time::parse_duration;
//!
//! let text = include_str!("../scenarios/example-1-reboot.toml");
//! let scenario = repairsim::scenario::load_str("example-1-reboot.toml", text).unwrap();
//! let mut trace = Trace::default();
//! simulate(&scenario, 0, &mut trace);
//!
//! let at = |s| parse_duration(s).unwrap().ms();
//! let outcome = trace.0.iter().find_map(|r| match r {
//!     Record::Outcome { at, outcome, .. } => Some((at.ms(), *outcome)),
//!     _ => None,
//! });
//! assert_eq!(outcome, Some((at("1h20m"), Outcome::RepairedBy(ActionKind::Reboot))));
//! ```
//!
//! # The specification
//!
//! `docs/POLICY.md` (AKS) and `docs/PEERS.md` (GKE, EKS, Cluster API,
//! medik8s) pin every parameter with its provenance, and hold the worked
//! examples the tests assert to the second. Comments cite them as
//! "POLICY.md section N" and "PEERS.md section N".
//!
//! # Code map
//!
//! - [`time`]: `SimTime`, `SimDuration`, `"1h30m"` parsing, RFC 3339 labels.
//! - [`rng`]: ChaCha streams per (seed, replication, entity, purpose).
//!   Invariant: an entity is named by a hash of its name, never its index.
//! - [`fleet`], [`faults`], [`k8s`]: the domain vocabulary.
//! - [`policy`]: parameters, presets, provenance, and the state machine.
//!   Invariant: it knows nothing of queues, fleets or outputs.
//!   [`policy::providers`] says whose remediation a preset models (AKS,
//!   GKE, EKS, Karpenter, Cluster API, medik8s): its action kinds,
//!   exclusions and how it reports repairs, and the
//!   [`policy::providers::Vocabulary`] every output enumerates.
//!   [`policy::spec`] declares each setting once (name, table, type,
//!   provenance, doc, row, read and write); loading, `--set`, `repairsim
//!   policy`, validation errors and the README's key tables follow it.
//!   [`policy::rules`] holds the event-driven peers' rules as data:
//!   condition timeouts from the Ready condition's lastTransitionTime, and
//!   guards; the engine's event-driven evaluation applies them.
//!   Invariant: the engine and the observers know no provider by name.
//! - [`scenario`]: raw serde types, then validation. Invariant: the only
//!   place besides IO that can fail, and it depends on nothing above the
//!   model: `check` reads the `[[expect]]` tables through the loader's
//!   hook ([`scenario::load_file_then`]), so `Scenario` never holds them.
//! - [`engine`]: the queue (FIFO among equal time and rank) and the loop.
//!   Invariant: never reads a file, never prints, cannot fail.
//!   [`cache`] is its one hint to the processor (prefetch the next
//!   arrival's node); invariant: no output depends on it.
//! - [`observe`]: the records and the observers. [`invariants`] checks
//!   POLICY.md's rules on any record stream.
//! - [`import`]: a recorded history of Kubernetes events as a scenario,
//!   one injected fault per not-Ready episode. Invariant: pure inference;
//!   the replay is an ordinary run.
//! - [`mc`]: replications, estimates with intervals, `sweep` and
//!   `compare`; [`mc::shard`]: one machine's share of them as a shard file,
//!   and the merge. Invariant: replications are folded in replication
//!   order, so no output depends on the thread count or on the shards.
//! - [`budget`]: a command's work and memory, estimated from its scenarios
//!   before it runs, against `--max-work` and `--max-memory`.
//! - [`stats`], [`report`]: pure statistics and atomic writers.
//!   [`report::stream`] writes a run's files while it runs, through
//!   external sorts ([`report::spill`]). Invariant: memory follows the
//!   live state (nodes, open incidents, fixed buffers), not the horizon,
//!   and the bytes are those the in-memory path renders.
//! - [`check`]: `[[expect]]` tables (validated in [`check::load`]), golden-file diffs and the invariants
//!   as test cases, rendered as text, JSON and JUnit. Invariant: pure; the
//!   CLI hands in runs and file texts.
//! - `cli`: one module per subcommand; `main` only dispatches.
//! - [`fuzz`]: a seeded mutation fuzzer of scenarios, `--set` arguments
//!   and golden files (`examples/fuzz.rs`, `tests/repairsim/fuzz.rs`).
//!   Invariant: nothing else depends on it.
//!
//! # Determinism
//!
//! The same scenario and seed give the same bytes. No OS entropy, no wall
//! clock in the model, and no iteration over a hash map on any path that
//! reaches an output.

pub mod budget;
pub mod cache;
pub mod charts;
pub mod check;
pub mod cli;
pub mod dist;
pub mod engine;
pub mod faults;
pub mod fleet;
pub mod fuzz;
pub mod import;
pub mod invariants;
pub mod k8s;
pub mod mc;
pub mod observe;
pub mod policy;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod stats;
pub mod time;
pub mod trace;
