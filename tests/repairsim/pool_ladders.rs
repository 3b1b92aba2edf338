//! A pool's own action ladder (`[[pools]] ladder`), in place of the
//! policy's for its OS: an EKS node group or a MachineDeployment with its
//! own remediation, an AKS pool tuned apart.

use crate::common::incident_lines;
use repairsim::scenario::load_str;

const BASE: &str = r#"name = "pools"
horizon = "4h"

[policy]
preset = "eks"

[[pools]]
name = "cpu"
os = "linux"
count = 2

[[pools]]
name = "gpu"
os = "linux"
count = 2
ladder = ["reboot"]

[actions]
reboot = { duration = "3m" }
replace = { delete = "1m", provision = "5m" }

[[faults]]
name = "hang"
signal = "not-ready"
fixed_by = "reboot"

[[inject]]
at = "1h"
node = "cpu-0"
fault = "hang"

[[inject]]
at = "1h"
node = "gpu-0"
fault = "hang"
"#;

#[test]
fn a_pool_ladder_replaces_the_policys_for_that_pool_only() {
    let sc = load_str("pools.toml", BASE).unwrap();
    // Both eligible at 1h30m (Ready=False held 30 minutes): the cpu pool
    // replaces, the gpu pool reboots.
    assert_eq!(
        incident_lines(&sc),
        [
            // Replace: delete 1m, provision 5m. Reboot: 3m.
            "cpu-0 1h 1h30m 1h30m [replace] 1h36m repaired-by-replace -",
            "gpu-0 1h 1h30m 1h30m [reboot] 1h33m repaired-by-reboot -",
        ]
    );
    // Outputs list the kinds a pool adds to the policy's.
    let v = sc.vocabulary();
    assert!(v.has_kind(repairsim::k8s::ActionKind::Reboot));
    assert!(
        !sc.policy
            .vocabulary()
            .has_kind(repairsim::k8s::ActionKind::Reboot)
    );
}

#[test]
fn an_aks_pool_ladder_starts_where_the_policys_would() {
    let text = BASE
        .replace("preset = \"eks\"", "preset = \"aks-2024-08\"")
        .replace("ladder = [\"reboot\"]", "ladder = [\"reimage\"]")
        .replace("fixed_by = \"reboot\"", "fixed_by = \"reimage\"");
    let sc = load_str("pools.toml", &text).unwrap();
    // POLICY.md example 1's grid: detected at 1h10m, first action 1h15m.
    // The cpu pool walks the policy's ladder (reboot, then reimage after
    // the 5-minute settle); the gpu pool starts with its reimage.
    assert_eq!(
        incident_lines(&sc),
        [
            // Reboot 3m, settle 5m, reimage 10m: Ready at 1h33m.
            "cpu-0 1h 1h10m 1h15m [reboot reimage] 1h33m repaired-by-reimage -",
            "gpu-0 1h 1h10m 1h15m [reimage] 1h25m repaired-by-reimage -",
        ]
    );
}

#[test]
fn a_bad_pool_ladder_names_the_pool_and_the_entry() {
    let e = load_str("p.toml", &BASE.replace("[\"reboot\"]", "[\"rebot\"]")).unwrap_err();
    assert_eq!(e.field, "pools[1].ladder[0]", "{e}");
    assert!(e.message.contains("unknown action \"rebot\""), "{e}");
    // An empty ladder leaves the pool alone under event-driven detection,
    // and is refused under periodic detection.
    let empty = BASE.replace("[\"reboot\"]", "[]");
    let sc = load_str("p.toml", &empty).unwrap();
    assert_eq!(
        incident_lines(&sc)[1],
        "gpu-0 1h - - [] - open-at-horizon -"
    );
    let e = load_str(
        "p.toml",
        &empty.replace("preset = \"eks\"", "preset = \"aks-2024-08\""),
    )
    .unwrap_err();
    assert_eq!(e.field, "pools[1].ladder", "{e}");
    assert!(e.message.contains("the ladder is empty"), "{e}");
}
