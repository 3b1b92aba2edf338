//! The virtual fleet: pools of Linux and Windows nodes.
//!
//! Invariant: node order is pools in file order, then index within the pool.
//! That order is the "node order" of POLICY.md's tie rules and of every output.

use crate::k8s::ActionKind;
use crate::rng::stable_hash;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    Windows,
}

impl Os {
    pub fn name(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Index of a node in [`Fleet::nodes`].
pub type NodeId = u32;

#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub name: String,
    pub os: Os,
    pub count: u32,
    /// The pool's own action ladder, in place of the policy's for its OS
    /// (an EKS node group or MachineDeployment of its own).
    pub ladder: Option<Vec<ActionKind>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// `<pool>-<index>`, counting from 0.
    pub name: String,
    /// Index into [`Fleet::pools`].
    pub pool: usize,
    pub os: Os,
    /// Names this node's random streams: a hash of its name, so it does not
    /// move when pools are added or reordered.
    pub stream_id: u64,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Fleet {
    pub pools: Vec<Pool>,
    pub nodes: Vec<Node>,
    /// The nodes of pools whose names were given (a recorded cluster's),
    /// by name; empty when every pool names its nodes `<pool>-<index>`.
    named: std::collections::BTreeMap<String, NodeId>,
    /// By pool: its nodes' names were given.
    given: Vec<bool>,
}

impl Fleet {
    /// Nodes named `<pool>-<index>`.
    pub fn new(pools: Vec<Pool>) -> Fleet {
        let none = vec![None; pools.len()];
        Fleet::named(pools, none)
    }

    /// As [`Fleet::new`], but a pool with `Some(names)` has exactly those
    /// nodes (its `count` is their number), as a recorded cluster names
    /// them.
    pub fn named(pools: Vec<Pool>, names: Vec<Option<Vec<String>>>) -> Fleet {
        let mut nodes = Vec::new();
        let mut named = std::collections::BTreeMap::new();
        let given: Vec<bool> = names.iter().map(Option::is_some).collect();
        for (pi, (p, list)) in pools.iter().zip(names).enumerate() {
            let list =
                list.unwrap_or_else(|| (0..p.count).map(|i| format!("{}-{}", p.name, i)).collect());
            for name in list {
                if given[pi] {
                    named.insert(name.clone(), nodes.len() as NodeId);
                }
                nodes.push(Node {
                    stream_id: stable_hash(&name),
                    name,
                    pool: pi,
                    os: p.os,
                });
            }
        }
        Fleet {
            pools,
            nodes,
            named,
            given,
        }
    }

    /// Some pool lists its nodes by name (a recorded cluster's).
    pub fn has_given_names(&self) -> bool {
        !self.named.is_empty()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Finds a node by name. O(pools + log nodes): names are
    /// `<pool>-<index>`, or given.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        if let Some(&id) = self.named.get(name) {
            return Some(id);
        }
        let mut first = 0u32;
        for (pi, p) in self.pools.iter().enumerate() {
            if self.given.get(pi).copied().unwrap_or(false) {
                first += p.count;
                continue;
            }
            let idx = name
                .strip_prefix(p.name.as_str())
                .and_then(|r| r.strip_prefix('-'));
            // "pool-01" is not "pool-1": the index must be written canonically.
            if let Some(i) = idx.and_then(|x| x.parse::<u32>().ok().filter(|i| i.to_string() == x))
                && i < p.count
            {
                return Some(first + i);
            }
            first += p.count;
        }
        None
    }

    /// The node ids of a pool, in order.
    pub fn pool_nodes(&self, pool: usize) -> std::ops::Range<NodeId> {
        let first: u32 = self.pools[..pool].iter().map(|p| p.count).sum();
        first..first + self.pools[pool].count
    }

    pub fn count_os(&self, os: Os) -> usize {
        self.nodes.iter().filter(|n| n.os == os).count()
    }
}

/// What a node's timeline shows: the control plane's Ready condition, or
/// the action (and, for two-phase actions, the phase) running on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeState {
    Ready,
    NotReady,
    Unknown,
    Rebooting,
    Reimaging,
    Redeploying,
    /// `recreate`'s first phase: cordoned and draining, still up.
    Draining,
    /// `recreate`'s second phase: the VM is re-created.
    Recreating,
    /// `replace`'s first phase: the machine is being deleted.
    Deleting,
    /// `replace`'s second phase: the new node is provisioned.
    Provisioning,
    /// `snr-reboot`: the node fences itself with a reboot.
    Fencing,
}

impl NodeState {
    pub const ALL: [NodeState; 11] = [
        NodeState::Ready,
        NodeState::NotReady,
        NodeState::Unknown,
        NodeState::Rebooting,
        NodeState::Reimaging,
        NodeState::Redeploying,
        NodeState::Draining,
        NodeState::Recreating,
        NodeState::Deleting,
        NodeState::Provisioning,
        NodeState::Fencing,
    ];

    /// The state's place in [`NodeState::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            NodeState::Ready => "Ready",
            NodeState::NotReady => "NotReady",
            NodeState::Unknown => "Unknown",
            NodeState::Rebooting => "Rebooting",
            NodeState::Reimaging => "Reimaging",
            NodeState::Redeploying => "Redeploying",
            NodeState::Draining => "Draining",
            NodeState::Recreating => "Recreating",
            NodeState::Deleting => "Deleting",
            NodeState::Provisioning => "Provisioning",
            NodeState::Fencing => "Fencing",
        }
    }

    /// The state while `kind` runs its phase `phase` (0 or 1).
    pub fn acting(kind: ActionKind, phase: u8) -> NodeState {
        match (kind, phase) {
            (ActionKind::Reboot, _) => NodeState::Rebooting,
            (ActionKind::Reimage, _) => NodeState::Reimaging,
            (ActionKind::Redeploy, _) => NodeState::Redeploying,
            (ActionKind::Recreate, 0) => NodeState::Draining,
            (ActionKind::Recreate, _) => NodeState::Recreating,
            (ActionKind::Replace, 0) => NodeState::Deleting,
            (ActionKind::Replace, _) => NodeState::Provisioning,
            (ActionKind::SnrReboot, _) => NodeState::Fencing,
        }
    }

    /// The action kind behind an acting state; `None` for a condition.
    pub fn kind(self) -> Option<ActionKind> {
        match self {
            NodeState::Ready | NodeState::NotReady | NodeState::Unknown => None,
            NodeState::Rebooting => Some(ActionKind::Reboot),
            NodeState::Reimaging => Some(ActionKind::Reimage),
            NodeState::Redeploying => Some(ActionKind::Redeploy),
            NodeState::Draining | NodeState::Recreating => Some(ActionKind::Recreate),
            NodeState::Deleting | NodeState::Provisioning => Some(ActionKind::Replace),
            NodeState::Fencing => Some(ActionKind::SnrReboot),
        }
    }

    /// An action runs on the node.
    pub fn is_acting(self) -> bool {
        self.kind().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_index_is_its_place_in_all() {
        for (i, s) in NodeState::ALL.into_iter().enumerate() {
            assert_eq!(s.index(), i, "{s:?}");
        }
    }

    #[test]
    fn names_and_lookup() {
        let f = Fleet::new(vec![
            Pool {
                name: "system".into(),
                os: Os::Linux,
                count: 3,
                ladder: None,
            },
            Pool {
                name: "win".into(),
                os: Os::Windows,
                count: 2,
                ladder: None,
            },
        ]);
        assert_eq!(f.nodes[4].name, "win-1");
        assert_eq!(f.find("win-1"), Some(4));
        assert_eq!(f.find("system-0"), Some(0));
        assert_eq!(f.find("system-3"), None);
        assert_eq!(f.find("system-01"), None);
        assert_eq!(f.pool_nodes(1), 3..5);
    }
}
