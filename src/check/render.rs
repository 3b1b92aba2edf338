//! The results of `repairsim check` for people (text), machines (JSON) and
//! CI servers (JUnit XML). All three list the same cases in the same order.
//!
//! Invariant: no wall clock. JUnit's `time` attributes are left out, so the
//! same run gives byte-identical files.

use super::{Case, ScenarioReport, Status};
use serde::Serialize;
use std::fmt::Write as _;

/// Case counts over every scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub scenarios: usize,
    pub cases: usize,
    pub passed: usize,
    pub failed: usize,
    pub blessed: usize,
}

impl Totals {
    pub fn of(reports: &[ScenarioReport]) -> Totals {
        let mut t = Totals {
            scenarios: reports.len(),
            ..Totals::default()
        };
        for c in reports.iter().flat_map(|r| &r.cases) {
            t.cases += 1;
            match c.status {
                Status::Passed => t.passed += 1,
                Status::Failed => t.failed += 1,
                Status::Blessed => t.blessed += 1,
            }
        }
        t
    }
}

fn where_(file: &str, c: &Case) -> String {
    match c.line {
        Some(l) => format!("{file}:{l}"),
        None => file.to_string(),
    }
}

/// One line per scenario; every failed case with its message and details;
/// blessed golden files; then the totals.
pub fn text(reports: &[ScenarioReport], quiet: bool) -> String {
    let mut s = String::new();
    for r in reports {
        let failed = r.failures();
        if failed == 0 && quiet {
            continue;
        }
        if failed == 0 {
            let n = r.cases.len();
            let plural = if n == 1 { "" } else { "s" };
            let _ = writeln!(s, "ok      {}  ({n} case{plural})", r.file);
        } else {
            let _ = writeln!(
                s,
                "FAILED  {}  ({failed} of {} cases failed)",
                r.file,
                r.cases.len()
            );
        }
        for c in &r.cases {
            if let Some(f) = &c.failure {
                let _ = writeln!(s, "  FAIL  {}  {}", where_(&r.file, c), c.name);
                let _ = writeln!(s, "        {}", f.message);
                for d in &f.details {
                    let _ = writeln!(s, "          {d}");
                }
            } else if let Some(note) = &c.note {
                let _ = writeln!(s, "  bless {}  {note}", c.name);
            }
        }
    }
    let t = Totals::of(reports);
    let verdict = if t.failed == 0 { "ok" } else { "FAILED" };
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let blessed = if t.blessed > 0 {
        format!(
            ", {} blessed",
            plural(t.blessed, "golden file", "golden files")
        )
    } else {
        String::new()
    };
    // A blank line sets the verdict apart, when anything comes before it.
    if !s.is_empty() {
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "check {verdict}: {} passed, {} failed{blessed}; {} in {}",
        t.passed,
        t.failed,
        plural(t.cases, "case", "cases"),
        plural(t.scenarios, "scenario", "scenarios")
    );
    s
}

/// Why a file of a directory is skipped (text, JSON and JUnit say it alike).
pub const SKIP_REASON: &str = "no [[expect]] tables or golden files";

#[derive(Serialize)]
struct SkippedJson<'a> {
    file: &'a str,
    reason: &'static str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    tool: &'static str,
    version: &'static str,
    /// `passed` or `failed`.
    result: &'static str,
    totals: Totals,
    scenarios: &'a [ScenarioReport],
    /// Files of a directory with nothing to check.
    skipped: Vec<SkippedJson<'a>>,
}

/// The whole result as one JSON document (with a trailing newline);
/// `skipped` are the files of a directory with nothing to check.
pub fn json(reports: &[ScenarioReport], skipped: &[String]) -> String {
    let totals = Totals::of(reports);
    let doc = JsonReport {
        tool: "repairsim",
        version: env!("CARGO_PKG_VERSION"),
        result: if totals.failed == 0 {
            "passed"
        } else {
            "failed"
        },
        totals,
        scenarios: reports,
        skipped: skipped
            .iter()
            .map(|f| SkippedJson {
                file: f,
                reason: SKIP_REASON,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the report always serializes");
    out.push('\n');
    out
}

/// Escapes text for an XML attribute (a newline becomes `&#10;`).
pub fn xml_escape(s: &str) -> String {
    crate::report::escape_markup(s, true)
}

/// Escapes text for an element's content, where newlines stay newlines.
pub fn xml_text(s: &str) -> String {
    crate::report::escape_markup(s, false)
}

/// JUnit XML: one `<testsuite>` per scenario, one `<testcase>` per case
/// (expectations, golden comparisons, invariants), a `<failure>` with the
/// message and details for each failed one, and a `<skipped>` case for
/// each file of a directory with nothing to check. GitHub, GitLab and
/// Azure Pipelines read this shape.
pub fn junit(reports: &[ScenarioReport], skipped: &[String]) -> String {
    let t = Totals::of(reports);
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"repairsim check\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
        t.cases + skipped.len(),
        t.failed,
        skipped.len()
    );
    for r in reports {
        let file = xml_escape(&r.file);
        let suite = xml_escape(&r.scenario);
        let _ = writeln!(
            s,
            "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" file=\"{file}\">",
            r.cases.len(),
            r.failures()
        );
        for c in &r.cases {
            let line = c.line.map(|l| format!(" line=\"{l}\"")).unwrap_or_default();
            let head = format!(
                "    <testcase classname=\"{suite}\" name=\"{}\" file=\"{file}\"{line}",
                xml_escape(&c.name)
            );
            match (&c.failure, &c.note) {
                (Some(f), _) => {
                    let mut body = f.message.clone();
                    for d in &f.details {
                        body.push('\n');
                        body.push_str(d);
                    }
                    let _ = writeln!(s, "{head}>");
                    let _ = writeln!(
                        s,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        xml_escape(&f.message),
                        c.kind,
                        xml_text(&body)
                    );
                    let _ = writeln!(s, "    </testcase>");
                }
                (None, Some(note)) => {
                    let _ = writeln!(s, "{head}>");
                    let _ = writeln!(s, "      <system-out>{}</system-out>", xml_text(note));
                    let _ = writeln!(s, "    </testcase>");
                }
                (None, None) => {
                    let _ = writeln!(s, "{head}/>");
                }
            }
        }
        let _ = writeln!(s, "  </testsuite>");
    }
    for f in skipped {
        let file = xml_escape(f);
        let _ = writeln!(
            s,
            "  <testsuite name=\"{file}\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\" file=\"{file}\">\n    \
             <testcase classname=\"{file}\" name=\"nothing to check\" file=\"{file}\">\n      \
             <skipped message=\"{SKIP_REASON}\"/>\n    </testcase>\n  </testsuite>"
        );
    }
    s.push_str("</testsuites>\n");
    s
}

/// JUnit XML for a check that could not start (bad input): one test case
/// with an `<error>` that carries the message.
pub fn junit_error(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"repairsim check\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n  \
         <testsuite name=\"repairsim check\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
         <testcase classname=\"repairsim check\" name=\"load the scenarios and golden files\">\n      \
         <error message=\"{}\" type=\"bad-input\">{}</error>\n    \
         </testcase>\n  \
         </testsuite>\n\
         </testsuites>\n",
        xml_escape(message.lines().next().unwrap_or("")),
        xml_text(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{Case, Failure};

    fn reports() -> Vec<ScenarioReport> {
        let mut blessed = Case::new("golden events.csv".into(), "golden", None, None);
        blessed.status = Status::Blessed;
        blessed.note = Some("wrote s/a.golden/events.csv".into());
        vec![ScenarioReport {
            file: "scenarios/a&b.toml".into(),
            scenario: "a<b>".into(),
            cases: vec![
                Case::new("ok \"quoted\"".into(), "event", Some(3), None),
                Case::new(
                    "moved".into(),
                    "event",
                    Some(9),
                    Some(Failure::new(
                        "NodeRebootStart on pool-0: expected at 1h16m, found at 1h17m (+1m)".into(),
                        vec!["line one".into(), "a < b & c\u{1}".into()],
                    )),
                ),
                blessed,
            ],
        }]
    }

    #[test]
    fn junit_is_well_formed_and_carries_every_case() {
        let xml = junit(&reports(), &[]);
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        assert_eq!(root.attribute("tests"), Some("3"));
        assert_eq!(root.attribute("failures"), Some("1"));
        let suite = root.children().find(|n| n.is_element()).unwrap();
        assert_eq!(suite.attribute("name"), Some("a<b>"));
        assert_eq!(suite.attribute("file"), Some("scenarios/a&b.toml"));
        let cases: Vec<_> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].attribute("name"), Some("ok \"quoted\""));
        assert_eq!(cases[0].attribute("line"), Some("3"));
        let failure = cases[1]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(
            failure.attribute("message"),
            Some("NodeRebootStart on pool-0: expected at 1h16m, found at 1h17m (+1m)")
        );
        assert_eq!(failure.attribute("type"), Some("event"));
        assert_eq!(
            failure.text(),
            Some(
                "NodeRebootStart on pool-0: expected at 1h16m, found at 1h17m (+1m)\n\
                 line one\na < b & c"
            )
        );
        let out = cases[2]
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .unwrap();
        assert_eq!(out.text(), Some("wrote s/a.golden/events.csv"));
        assert!(!xml.contains("time="), "no wall clock");
    }

    #[test]
    fn bad_input_is_one_junit_error() {
        let xml = junit_error("a.toml:3:9: expect[0].event: unknown <reason>\nb.toml: more");
        let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert_eq!(doc.root_element().attribute("errors"), Some("1"));
        let e = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
        assert_eq!(
            e.attribute("message"),
            Some("a.toml:3:9: expect[0].event: unknown <reason>")
        );
        assert_eq!(
            e.text(),
            Some("a.toml:3:9: expect[0].event: unknown <reason>\nb.toml: more")
        );
    }

    /// `check -q` prints the failures and the verdict, not the scenarios
    /// that passed.
    #[test]
    fn quiet_text_leaves_out_the_scenarios_that_passed() {
        let mut rs = reports();
        let mut ok = rs[0].clone();
        ok.file = "scenarios/ok.toml".into();
        ok.cases.retain(|c| c.failure.is_none());
        rs.insert(0, ok);
        let loud = text(&rs, false);
        assert!(loud.starts_with("ok      scenarios/ok.toml  ("), "{loud}");
        let quiet = text(&rs, true);
        assert!(!quiet.contains("scenarios/ok.toml"), "{quiet}");
        assert!(quiet.starts_with("FAILED  scenarios/a&b.toml"), "{quiet}");
        assert!(quiet.contains("\ncheck FAILED: "), "{quiet}");
    }

    #[test]
    fn text_lists_failures_with_file_and_line() {
        let t = text(&reports(), false);
        assert!(
            t.starts_with("FAILED  scenarios/a&b.toml  (1 of 3 cases failed)\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "  FAIL  scenarios/a&b.toml:9  moved\n        NodeRebootStart on pool-0: \
                 expected at 1h16m, found at 1h17m (+1m)\n          line one\n"
            ),
            "{t}"
        );
        assert!(
            t.contains("  bless golden events.csv  wrote s/a.golden/events.csv\n"),
            "{t}"
        );
        assert!(
            t.ends_with(
                "\ncheck FAILED: 1 passed, 1 failed, 1 golden file blessed; 3 cases in 1 scenario\n"
            ),
            "{t}"
        );
    }

    #[test]
    fn json_has_totals_and_every_case() {
        let v: serde_json::Value = serde_json::from_str(&json(&reports(), &[])).unwrap();
        assert_eq!(v["result"], "failed");
        assert_eq!(v["totals"]["cases"], 3);
        assert_eq!(v["totals"]["blessed"], 1);
        let c = &v["scenarios"][0]["cases"];
        assert_eq!(c[0]["status"], "passed");
        assert_eq!(c[1]["status"], "failed");
        assert_eq!(c[1]["line"], 9);
        assert_eq!(c[1]["failure"]["details"][1], "a < b & c\u{1}");
        assert_eq!(c[2]["status"], "blessed");
    }

    #[test]
    fn skipped_files_are_said_in_junit_and_json() {
        let skipped = ["dir/bare.toml".to_string()];
        let xml = junit(&reports(), &skipped);
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("skipped"), Some("1"));
        let case = doc
            .descendants()
            .find(|n| n.attribute("name") == Some("nothing to check"))
            .unwrap();
        assert_eq!(case.attribute("file"), Some("dir/bare.toml"));
        assert!(case.children().any(|c| c.has_tag_name("skipped")));
        let v: serde_json::Value = serde_json::from_str(&json(&reports(), &skipped)).unwrap();
        assert_eq!(v["skipped"][0]["file"], "dir/bare.toml");
        assert_eq!(v["skipped"][0]["reason"], SKIP_REASON);
    }
}
