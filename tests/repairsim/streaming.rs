//! Streamed outputs (issue 13): what `run` writes as the simulation goes,
//! through external sorts that spill to scratch files, is byte for byte
//! what the in-memory path renders from kept records, charts included.

use crate::common::{files, repairsim, scratch};
use clap::Parser;
use repairsim::cli::run::{ChartArgs, Events, charts_of, simulate_run_with};
use repairsim::scenario::Patch;

/// A year of the default fleet grown to 800 nodes: megabytes of events
/// that the in-memory design held before writing a byte.
const GROW: [&str; 5] = [
    "horizon=365d",
    "pools[0].count=60",
    "pools[1].count=400",
    "pools[2].count=200",
    "pools[3].count=140",
];

#[test]
fn a_streamed_run_writes_what_the_in_memory_path_renders() {
    let s = scratch("streamed");
    // The second run draws a window of the year and one pool only; the
    // third runs a peer (Cluster API), whose events borrow their text.
    let cases: [(Events, &str, &[&str], &[&str]); 3] = [
        (Events::AutoRepair, "auto-repair", &[], &[]),
        (
            Events::All,
            "all",
            &["--from", "40d", "--to", "200d", "--pool", "user"],
            &[],
        ),
        (
            Events::AutoRepair,
            "auto-repair",
            &[],
            &["policy.preset=capi-mhc"],
        ),
    ];
    for (case, (which, flag, chart_flags, sets)) in cases.into_iter().enumerate() {
        let streamed = s.join(format!("streamed-{case}"));
        // 64 KiB per sort: the rows spill to many sorted runs.
        let mut args = vec![
            "run".to_string(),
            "-q".into(),
            "--spill-kib".into(),
            "64".into(),
        ];
        args.extend(chart_flags.iter().map(|f| f.to_string()));
        for g in GROW.iter().chain(sets) {
            args.extend(["--set".to_string(), g.to_string()]);
        }
        args.extend(["--events".into(), flag.into(), "--out".into()]);
        args.push(streamed.display().to_string());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = repairsim(&argv);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

        let patches: Vec<Patch> = GROW
            .iter()
            .chain(sets)
            .map(|g| {
                let (key, value) = g.split_once('=').unwrap();
                Patch::Set {
                    key: key.into(),
                    value: value.into(),
                }
            })
            .collect();
        let sc = repairsim::cli::load_scenario(None, &patches).unwrap();
        let r = simulate_run_with(&sc, 0, which);
        assert!(
            r.events.events().len() > 10_000,
            "{} events",
            r.events.events().len()
        );
        let kept = s.join(format!("kept-{case}"));
        repairsim::report::write_run(&kept, &sc, &r.incidents, &r.timeline, &r.events, &r.summary)
            .unwrap();
        let chart_args =
            Charts::try_parse_from(std::iter::once("charts").chain(chart_flags.iter().copied()))
                .unwrap()
                .charts;
        for c in charts_of(&sc, &r, &chart_args).unwrap() {
            std::fs::write(kept.join(format!("{}.svg", c.name)), &c.svg).unwrap();
            std::fs::write(kept.join(format!("{}.png", c.name)), &c.png).unwrap();
        }

        let (a, b) = (files(&streamed), files(&kept));
        let names = |v: &[(String, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&a), names(&b));
        let jsonl = &a.iter().find(|f| f.0 == "events.jsonl").unwrap().1;
        assert!(
            jsonl.len() > 4 << 20,
            "{} bytes of events.jsonl",
            jsonl.len()
        );
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            assert!(
                x == y,
                "case {case} ({flag}): {name} differs between the streamed and the kept path"
            );
        }
    }
}

/// [`ChartArgs`] parsed as `run` parses them.
#[derive(clap::Parser)]
struct Charts {
    #[command(flatten)]
    charts: ChartArgs,
}
