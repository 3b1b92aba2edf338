//! `--set KEY=VALUE` through the binary: bad values are bad input (exit 2,
//! nothing written), and `--set seed=N` is exactly `--seed N`.

use crate::common::{assert_bad_input, files, repairsim, scratch, stderr};
use std::path::Path;

#[test]
fn a_bad_set_value_exits_2_names_the_argument_and_writes_nothing() {
    let s = scratch("bad");
    for (args, expected) in [
        (
            vec!["run", "--set", "policy.repair_delay=2x"],
            "error: --set policy.repair_delay=2x: policy.repair_delay: bad duration \"2x\" \
             (unknown unit \"x\"); expected a duration such as",
        ),
        (
            vec![
                "run",
                "scenarios/quickstart.toml",
                "--set",
                "pools[7].count=1",
            ],
            "error: --set pools[7].count=1: pools[7]: the scenario has 2 [[pools]] entries: \
             pools[0] to pools[1]\n",
        ),
        (
            // Global: before the subcommand too.
            vec!["--set", "policy.repair_dela=2m", "run"],
            "error: --set policy.repair_dela=2m: policy.repair_dela: unknown key \
             \"repair_dela\"; valid keys: preset, check_interval,",
        ),
        (
            vec!["run", "--set", "seed"],
            "error: --set seed: expected KEY=VALUE",
        ),
    ] {
        assert_bad_input(&s, &args, expected);
    }
}

#[test]
fn set_seed_is_the_seed_flag_byte_for_byte() {
    let s = scratch("seed");
    let (a, b, c) = (s.path("set"), s.path("flag"), s.path("file"));
    let sc = "scenarios/quickstart.toml";
    for args in [
        vec!["run", sc, "-q", "--set", "seed=9", "--out", &a],
        vec!["run", sc, "-q", "--seed", "9", "--out", &b],
        vec!["run", sc, "-q", "--out", &c],
    ] {
        let o = repairsim(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let (fa, fb) = (files(Path::new(&a)), files(Path::new(&b)));
    assert!(
        fa.len() >= 5,
        "{:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(fa == fb, "--set seed=9 and --seed 9 wrote different files");
    // The seed did change the run (the file says seed = 7).
    let summary = |d: &str| std::fs::read_to_string(Path::new(d).join("summary.json")).unwrap();
    assert!(summary(&a).contains("\"seed\": 9"), "{}", summary(&a));
    assert_ne!(summary(&a), summary(&c));
}

#[test]
fn set_applies_to_policy_and_validate() {
    let o = repairsim(&[
        "policy",
        "--preset",
        "aks-2023-09",
        "--set",
        "policy.repair_delay=2m",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let row = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row:\n{text}"))
            .to_string()
    };
    let line = row("repair_delay ");
    assert!(
        line.contains(" 2m ") && line.contains("scenario override"),
        "{line}"
    );
    assert!(row("retry_mode").contains("preset aks-2023-09"), "{text}");

    let o = repairsim(&[
        "validate",
        "scenarios/quickstart.toml",
        "scenarios/default.toml",
        "--set",
        "pools[3].count=1",
    ]);
    assert_eq!(o.status.code(), Some(2));
    // Only the quickstart (2 pools) lacks pools[3].
    assert_eq!(
        stderr(&o),
        "error: --set pools[3].count=1: pools[3]: the scenario has 2 [[pools]] entries: \
         pools[0] to pools[1]\n"
    );
}
