//! repairsim: a deterministic discrete-event simulator of AKS node auto-repair.

pub mod dist;
pub mod faults;
pub mod fleet;
pub mod k8s;
pub mod observe;
pub mod policy;
pub mod rng;
pub mod scenario;
pub mod time;
