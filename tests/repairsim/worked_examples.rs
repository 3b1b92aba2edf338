//! POLICY.md section 5, to the second, through the library API.
//! (The CLI's output files are checked in `cli.rs`.)

use crate::common::{check, shipped};

#[test]
fn example_1_not_ready_fixed_by_reboot() {
    check(
        &shipped("example-1-reboot.toml"),
        &[
            "1h00m35s pool-0 FaultArrived kubelet-hang",
            "1h11m pool-0 Detected rule-a",
            "1h16m pool-0 ActionStarted reboot pass=1",
            "1h20m pool-0 ActionEnded reboot",
            "1h20m pool-0 Recovered",
            "1h20m pool-0 Outcome repaired-by-reboot",
        ],
    );
}

#[test]
fn example_2_no_status_fixed_by_reimage() {
    check(
        &shipped("example-2-reimage.toml"),
        &[
            "3h00m30s pool-0 FaultArrived os-disk-corruption",
            "3h11m pool-0 Detected rule-b",
            "3h16m pool-0 ActionStarted reboot pass=1",
            "3h20m pool-0 ActionEnded reboot",
            "3h25m pool-0 ActionStarted reimage pass=1",
            "3h35m pool-0 ActionEnded reimage",
            "3h35m pool-0 Recovered",
            "3h35m pool-0 Outcome repaired-by-reimage",
        ],
    );
}

#[test]
fn example_3_nothing_fixes_it_gives_up_on_timeout() {
    check(
        &shipped("example-3-timeout.toml"),
        &[
            "3h00m30s pool-0 FaultArrived dead-host",
            "3h11m pool-0 Detected rule-b",
            "3h16m pool-0 ActionStarted reboot pass=1",
            "3h20m pool-0 ActionEnded reboot",
            "3h25m pool-0 ActionStarted reimage pass=1",
            "3h35m pool-0 ActionEnded reimage",
            "3h40m pool-0 ActionStarted redeploy pass=1",
            "3h55m pool-0 ActionEnded redeploy",
            "4h pool-0 ActionStarted reboot pass=2",
            "4h04m pool-0 ActionEnded reboot",
            "4h09m pool-0 ActionStarted reimage pass=2",
            "4h19m pool-0 ActionEnded reimage",
            "4h24m pool-0 Outcome gave-up-timeout",
        ],
    );
}
