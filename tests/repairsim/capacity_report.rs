//! Issue 11, item 4: a capacity-review report worth handing over. The
//! headline is over replications in every output, pools' fewest Ready
//! nodes are a distribution, metrics have plain names, availability has
//! one convention, and the timeline shows the worst nodes first.

use crate::common::{repairsim, scratch, stderr};
use std::collections::BTreeMap;
use std::path::Path;

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The terminal, report.md, report.html and report.json give the headline
/// over the replications, with intervals and plain names beside the
/// identifiers; the fewest-Ready distribution and `--min-ready` agree with
/// the replications run one by one.
#[test]
fn the_report_gives_replications_not_replication_0() {
    let s = scratch("capacity-report");
    let out = s.path("r");
    let n = 6;
    let o = repairsim(&[
        "report",
        "scenarios/zonal-outage-serial.toml",
        "-n",
        &n.to_string(),
        "--min-ready",
        "zone2=4",
        "--min-ready",
        "zone1=10",
        "--no-charts",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let md = read(&Path::new(&out).join("report.md"));
    let html = read(&Path::new(&out).join("report.html"));
    for shown in [&text, &md, &html] {
        for needle in [
            "Time to recover, mean (recovered only)",
            "time_to_recover_mean_ms",
            "Time to recover, restricted mean (every incident)",
            "time_to_recover_restricted_mean_ms",
            "Availability (fraction of node time Ready)",
            "95% CI",
            "1st percentile",
            "P(zone2 has fewer than 4 Ready nodes at some instant)",
        ] {
            assert!(shown.contains(needle), "{needle:?} missing from:\n{shown}");
        }
    }
    assert!(
        text.contains(&format!("over {n} replications")),
        "the terminal names the replications:\n{text}"
    );

    // The same replications one at a time: their fewest Ready nodes.
    let report = json(&Path::new(&out).join("report.json"));
    assert_eq!(report["replications"], n);
    let mut fewest: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for r in 0..n {
        let one = s.path(&format!("rep{r}"));
        let o = repairsim(&[
            "run",
            "scenarios/zonal-outage-serial.toml",
            "--replication",
            &r.to_string(),
            "--no-charts",
            "-q",
            "--out",
            &one,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let sum = json(&Path::new(&one).join("summary.json"));
        for p in sum["fleet"]["pools"].as_array().unwrap() {
            fewest
                .entry(p["name"].as_str().unwrap().to_string())
                .or_default()
                .push(p["min_ready"].as_u64().unwrap());
        }
    }
    let rows = report["fewest_ready"].as_array().unwrap();
    assert_eq!(
        rows.iter()
            .map(|p| p["pool"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["zone1", "zone2", "zone3"],
        "file order"
    );
    for row in rows {
        let mut v = fewest[row["pool"].as_str().unwrap()].clone();
        v.sort_unstable();
        // Nearest rank over 6 values: the median is the 3rd, the 1st
        // percentile the 1st.
        assert_eq!(row["median"], v[2], "{row}");
        assert_eq!(row["p1"], v[0], "{row}");
        assert_eq!(row["lowest"], v[0], "{row}");
    }
    let below = report["min_ready"].as_array().unwrap();
    assert_eq!(below.len(), 2);
    for (b, (pool, n_ready)) in below.iter().zip([("zone2", 4), ("zone1", 10)]) {
        let hits = fewest[pool].iter().filter(|&&k| k < n_ready).count() as u64;
        assert_eq!(b["pool"], pool);
        assert_eq!(b["fewer_than"], n_ready);
        assert_eq!(b["replications_below"], hits, "{b}");
        let p = hits as f64 / n as f64;
        assert_eq!(b["probability"].as_f64().unwrap(), p);
        assert!(b["ci_low"].as_f64().unwrap() <= p && p <= b["ci_high"].as_f64().unwrap());
    }
    // The outage takes zone2 down in every replication, and no other.
    assert_eq!(below[0]["replications_below"], n);
    assert_eq!(below[1]["replications_below"], 0);
    // The headline in report.json is the mean of replications.csv.
    let csv = read(&Path::new(&out).join("replications.csv"));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "availability").unwrap();
    let values: Vec<f64> = lines
        .map(|l| l.split(',').nth(col).unwrap().parse().unwrap())
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let reported = report["metrics"]["availability"]["mean"].as_f64().unwrap();
    assert!((reported - mean).abs() < 1e-12, "{reported} vs {mean}");
}

#[test]
fn min_ready_names_a_pool_and_a_count() {
    let s = scratch("min-ready-bad");
    for (arg, expected) in [
        (
            "nosuch=1",
            "error: --min-ready nosuch=1: no pool named \"nosuch\"",
        ),
        (
            "system=0",
            "error: --min-ready system=0: \"0\" is not a node count from 1 to 3",
        ),
        (
            "system=4",
            "error: --min-ready system=4: \"4\" is not a node count from 1 to 3",
        ),
        ("system", "error: --min-ready system: no '='"),
    ] {
        crate::common::assert_bad_input(
            &s,
            &["report", "scenarios/quickstart.toml", "--min-ready", arg],
            expected,
        );
    }
}

/// Availability is a fraction from 0 to 1 with six decimals in every
/// output for people, as it is in the JSON and CSV files.
#[test]
fn availability_has_one_convention() {
    let s = scratch("availability-convention");
    let out = s.path("run");
    let o = repairsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--no-charts",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let sum = json(&Path::new(&out).join("summary.json"));
    let a = sum["availability"].as_f64().unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("availability"))
        .unwrap();
    assert_eq!(line, format!("availability      {a:.6}"));
    let rep = s.path("report");
    let o = repairsim(&[
        "report",
        "scenarios/quickstart.toml",
        "-n",
        "3",
        "--no-charts",
        "--out",
        &rep,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let md = read(&Path::new(&rep).join("report.md"));
    for shown in [&stdout(&o), &md] {
        let row = shown
            .lines()
            .find(|l| l.contains("Availability"))
            .unwrap_or_else(|| panic!("no availability row in:\n{shown}"));
        assert!(!row.contains('%'), "{row}");
        assert!(row.contains("0.8"), "a fraction: {row}");
    }
}

/// The rows of a timeline chart, top to bottom: a row label is the text of
/// its own line in the SVG.
fn timeline_rows(svg: &str, names: &[String]) -> Vec<String> {
    svg.lines()
        .map(str::trim)
        .filter(|l| names.iter().any(|n| n == l))
        .map(String::from)
        .collect()
}

/// The timeline shows the nodes that were not Ready longest first, and
/// `--pool`/`--nodes` keep only the nodes asked for.
#[test]
fn the_timeline_shows_the_worst_nodes_first_and_filters() {
    let s = scratch("timeline-worst-first");
    let out = s.path("run");
    let o = repairsim(&["run", "-q", "--out", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Not-Ready time per node from timeline.csv.
    let csv = read(&Path::new(&out).join("timeline.csv"));
    let mut down: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for l in csv.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if !order.iter().any(|n| n == f[0]) {
            order.push(f[0].to_string());
        }
        let e = down
            .entry(f[0].to_string())
            .or_insert((0, f[1].to_string()));
        if f[3] != "Ready" {
            e.0 += f[7].parse::<u64>().unwrap() - f[6].parse::<u64>().unwrap();
        }
    }
    let mut ranked: Vec<(u64, usize, String)> = order
        .iter()
        .enumerate()
        .filter(|(_, n)| down[*n].0 > 0)
        .map(|(i, n)| (down[n].0, i, n.clone()))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let expected: Vec<String> = ranked.iter().take(40).map(|r| r.2.clone()).collect();
    let svg = read(&Path::new(&out).join("timeline.svg"));
    assert_eq!(timeline_rows(&svg, &order), expected);
    assert!(svg.contains("longest not Ready first"));

    // --pool win: only the win pool's nodes, in the same order.
    let o = repairsim(&["run", "-q", "--pool", "win", "--out", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = read(&Path::new(&out).join("timeline.svg"));
    let win: Vec<String> = ranked
        .iter()
        .filter(|r| down[&r.2].1 == "win")
        .map(|r| r.2.clone())
        .collect();
    assert!(!win.is_empty());
    assert_eq!(timeline_rows(&svg, &order), win);
    assert!(svg.contains("(pool win)"), "the title says what was kept");

    // --nodes: just those, worst first whatever order they were named in.
    let (a, b) = (&ranked[3].2, &ranked[1].2);
    let o = repairsim(&["run", "-q", "--nodes", &format!("{a},{b}"), "--out", &out]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = read(&Path::new(&out).join("timeline.svg"));
    assert_eq!(timeline_rows(&svg, &order), [b.clone(), a.clone()]);

    for (args, expected) in [
        (
            vec!["run", "--pool", "nosuch"],
            "error: --pool nosuch: no pool of that name; the pools are system, user, batch, win",
        ),
        (
            vec!["report", "--nodes", "system-0,ghost"],
            "error: --nodes ghost: no node of that name",
        ),
        (
            vec!["run", "--pool", "win", "--nodes", "user-3"],
            "error: --pool win --nodes user-3: no node is in both",
        ),
    ] {
        crate::common::assert_bad_input(&s, &args, expected);
    }
}

/// The README shows this report's terminal output word for word (the
/// charts change only the file count on the last line, which differs by
/// `--out` anyway).
#[test]
fn the_readme_report_is_the_real_output() {
    let s = scratch("readme-report");
    let out = s.path("default");
    let o = repairsim(&[
        "report",
        "--min-ready",
        "system=2",
        "--min-ready",
        "user=17",
        "--no-charts",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let body = &text[..text.trim_end().rfind('\n').unwrap() + 1];
    let shown = format!(
        "$ repairsim report --min-ready system=2 --min-ready user=17 --out out/default\n{body}"
    );
    let readme = read(&crate::common::repo().join("README.md"));
    assert!(
        readme.contains(&shown),
        "README.md's report example is stale; it is now:\n{shown}"
    );
}
