//! `report.md` and `report.html`: one scenario's capacity-review report.
//!
//! The HTML page is self-contained: styles, the charts (inline SVG) and a
//! small script are in the file, and it fetches nothing. The script checks,
//! once the page has loaded, that every chart is displayed with a non-zero
//! size and records it on the page (`data-visible` on each `figure.chart`,
//! `data-checked` on `<html>`), so a headless browser can verify the page.

use crate::charts::Chart;
use crate::mc::estimate::{CONFIDENCE, Estimate};
use crate::mc::fewest::{FewestReady, Proportion};
use crate::mc::format_value;
use crate::mc::metrics::MetricDef;
use crate::observe::incidents::Incident;
use crate::policy::params::ParamRow;
use crate::scenario::Scenario;
use crate::stats::Summary;
use crate::time::{SimDuration, format_duration};
use std::fmt::Write as _;

/// The most incident rows the page lists (the CSV has them all).
pub const MAX_INCIDENT_ROWS: usize = 300;

/// Everything a report shows.
pub struct Report<'a> {
    pub scenario: &'a Scenario,
    pub policy: &'a [ParamRow],
    /// Replication 0, which the charts and the incident table show.
    pub summary: &'a Summary,
    /// The first [`MAX_INCIDENT_ROWS`] incidents (or more), in
    /// `incidents.csv` order.
    pub incidents: &'a [Incident],
    /// Incidents in `incidents.csv`.
    pub incident_total: u64,
    /// Headline metrics over the replications: (definition, estimate).
    pub headline: Vec<(MetricDef, Estimate)>,
    pub replications: u64,
    /// Each pool's fewest Ready nodes over the replications, in file order.
    pub fewest: Vec<FewestReady>,
    /// `--min-ready`: (pool index, N), asking how often a pool had fewer
    /// than N Ready nodes.
    pub thresholds: Vec<(usize, u32)>,
    pub charts: &'a [Chart],
}

/// One pool's row of the fewest-Ready table (and of `report.json`).
#[derive(serde::Serialize)]
struct FewestRow<'a> {
    pool: &'a str,
    os: &'static str,
    nodes: u32,
    median: Option<u32>,
    p1: Option<u32>,
    lowest: Option<u32>,
}

fn fewest_rows<'a>(r: &'a Report) -> Vec<FewestRow<'a>> {
    r.scenario
        .fleet
        .pools
        .iter()
        .zip(&r.fewest)
        .map(|(p, f)| FewestRow {
            pool: &p.name,
            os: p.os.name(),
            nodes: p.count,
            median: f.percentile(50),
            p1: f.percentile(1),
            lowest: f.percentile(0),
        })
        .collect()
}

/// `--min-ready` answers: (pool, N, how often it had fewer than N Ready).
fn threshold_rows<'a>(r: &'a Report) -> Vec<(&'a str, u32, Proportion)> {
    r.thresholds
        .iter()
        .filter_map(|&(p, n)| {
            let f = &r.fewest[p];
            Proportion::wilson(f.below(n), f.replications(), CONFIDENCE)
                .map(|pr| (r.scenario.fleet.pools[p].name.as_str(), n, pr))
        })
        .collect()
}

fn opt_count(v: Option<u32>) -> String {
    v.map_or("-".into(), |k| k.to_string())
}

/// A threshold row as one sentence.
fn threshold_sentence(pool: &str, n: u32, p: &Proportion) -> String {
    let nodes = if n == 1 { "node" } else { "nodes" };
    format!(
        "P({pool} has fewer than {n} Ready {nodes} at some instant) = {:.4} \
         (95% CI {:.4} .. {:.4}; {} of {} replications)",
        p.estimate, p.ci_low, p.ci_high, p.hits, p.trials
    )
}

/// Rows of cells as text columns, left-aligned where `left` says so and
/// right-aligned elsewhere.
fn columns(rows: &[Vec<String>], left: &[bool]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..n)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let w = width[c];
            let _ = if left.get(c).copied().unwrap_or(false) {
                write!(line, "{cell:<w$}  ")
            } else {
                write!(line, "{cell:>w$}  ")
            };
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// What `repairsim report` prints: the headline over replications and
/// the fewest-Ready distribution, then one line on replication 0.
pub fn text(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", subtitle(r));
    let mut rows = vec![vec![
        "metric".to_string(),
        "mean".into(),
        "95% CI".into(),
        "column".into(),
    ]];
    for (d, e) in &r.headline {
        let (m, ci) = headline_cells(d, e);
        rows.push(vec![d.label.clone(), m, ci, d.name.clone()]);
    }
    s.push_str(&columns(&rows, &[true, false, false, true]));
    let _ = writeln!(
        s,
        "\nFewest Ready nodes per pool over {} replications:",
        r.replications
    );
    let mut rows = vec![
        ["pool", "OS", "nodes", "median", "1st percentile", "lowest"]
            .map(String::from)
            .to_vec(),
    ];
    for f in fewest_rows(r) {
        rows.push(vec![
            f.pool.to_string(),
            f.os.to_string(),
            f.nodes.to_string(),
            opt_count(f.median),
            opt_count(f.p1),
            opt_count(f.lowest),
        ]);
    }
    s.push_str(&columns(&rows, &[true, true]));
    for (pool, n, p) in threshold_rows(r) {
        let _ = writeln!(s, "{}", threshold_sentence(pool, n, &p));
    }
    let _ = writeln!(
        s,
        "\nThe charts, summary.json and incidents.csv are of replication 0: \
         {} incidents, availability {:.6}.",
        r.summary.incidents.total, r.summary.availability
    );
    s
}

/// `report.json`'s shape.
#[derive(serde::Serialize)]
struct ReportJson<'a> {
    tool: &'static str,
    version: &'static str,
    scenario: &'a str,
    content_hash: String,
    seed: u64,
    replications: u64,
    confidence: f64,
    /// The headline metrics over the replications.
    metrics: crate::mc::sweep::MetricsJson<'a>,
    fewest_ready: Vec<FewestRow<'a>>,
    /// `--min-ready` answers.
    min_ready: Vec<BelowJson<'a>>,
}

#[derive(serde::Serialize)]
struct BelowJson<'a> {
    pool: &'a str,
    fewer_than: u32,
    replications: u64,
    replications_below: u64,
    probability: f64,
    ci_low: f64,
    ci_high: f64,
}

/// `report.json`: the headline over replications and the fewest-Ready
/// distribution, for `jq`.
pub fn report_json(r: &Report) -> String {
    let defs: Vec<MetricDef> = r.headline.iter().map(|(d, _)| d.clone()).collect();
    let estimates: Vec<Estimate> = r.headline.iter().map(|(_, e)| *e).collect();
    let shown: Vec<usize> = (0..defs.len()).collect();
    let j = ReportJson {
        tool: "repairsim",
        version: env!("CARGO_PKG_VERSION"),
        scenario: &r.scenario.name,
        content_hash: format!("{:016x}", r.scenario.content_hash),
        seed: r.scenario.seed,
        replications: r.replications,
        confidence: CONFIDENCE,
        metrics: crate::mc::sweep::MetricsJson {
            defs: &defs,
            estimates: &estimates,
            shown: &shown,
        },
        fewest_ready: fewest_rows(r),
        min_ready: threshold_rows(r)
            .into_iter()
            .map(|(pool, n, p)| BelowJson {
                pool,
                fewer_than: n,
                replications: p.trials,
                replications_below: p.hits,
                probability: p.estimate,
                ci_low: p.ci_low,
                ci_high: p.ci_high,
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&j).expect("a report always serializes");
    s.push('\n');
    s
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    super::escape_markup(s, false)
}

fn dur(ms: Option<u64>) -> String {
    ms.map_or("-".into(), |m| format_duration(SimDuration(m)))
}

/// The headline row's cells: mean and interval for people.
fn headline_cells(d: &MetricDef, e: &Estimate) -> (String, String) {
    let f = |v: Option<f64>| v.map_or("-".to_string(), |x| format_value(d.unit, x));
    let ci = match (e.ci_low, e.ci_high) {
        (Some(lo), Some(hi)) => format!("{} .. {}", f(Some(lo)), f(Some(hi))),
        _ => "-".into(),
    };
    (f(e.mean), ci)
}

/// One sentence that says what the run is.
fn subtitle(r: &Report) -> String {
    let s = r.scenario;
    let f = &r.summary.fleet;
    format!(
        "{} nodes ({} Linux, {} Windows) in {} pools for {}, policy preset {}, seed {}; \
         headline numbers over {} replications with 95% confidence intervals; \
         charts and incidents of replication 0.",
        f.nodes,
        f.linux,
        f.windows,
        f.pools.len(),
        r.summary.horizon,
        s.policy.preset.name(),
        s.seed,
        r.replications
    )
}

/// `report.md`: the page's content but the incident table (it points to
/// `incidents.csv`), with the charts as PNG links. Text from the scenario
/// is escaped like HTML, since Markdown viewers render inline HTML.
pub fn markdown(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}: auto-repair report\n", r.scenario.name);
    if !r.scenario.description.is_empty() {
        let _ = writeln!(s, "{}\n", esc(&r.scenario.description));
    }
    let _ = writeln!(s, "{}\n", subtitle(r));
    let _ = writeln!(s, "## Headline numbers\n");
    let _ = writeln!(s, "| metric | mean | 95% CI | column |");
    let _ = writeln!(s, "|---|---:|---:|---|");
    for (d, e) in &r.headline {
        let (m, ci) = headline_cells(d, e);
        let _ = writeln!(s, "| {} | {m} | {ci} | `{}` |", d.label, d.name);
    }
    if !r.charts.is_empty() {
        let _ = writeln!(s, "\n## Charts\n");
    }
    for c in r.charts {
        let _ = writeln!(s, "![{}]({}.png)\n", c.title, c.name);
    }
    let _ = writeln!(
        s,
        "## Fewest Ready nodes per pool\n\nOver {} replications; replication 0 is the one the charts show.\n",
        r.replications
    );
    let _ = writeln!(
        s,
        "| pool | OS | nodes | median | 1st percentile | lowest | replication 0 |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|");
    for (f, p) in fewest_rows(r).iter().zip(&r.summary.fleet.pools) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            esc(f.pool),
            f.os,
            f.nodes,
            opt_count(f.median),
            opt_count(f.p1),
            opt_count(f.lowest),
            p.min_ready
        );
    }
    let below = threshold_rows(r);
    if !below.is_empty() {
        let _ = writeln!(s);
    }
    for (pool, n, p) in below {
        let _ = writeln!(s, "- {}", esc(&threshold_sentence(pool, n, &p)));
    }
    let _ = writeln!(s, "\n## Policy\n");
    let _ = writeln!(s, "| parameter | value | provenance |");
    let _ = writeln!(s, "|---|---|---|");
    for p in r.policy {
        let _ = writeln!(s, "| {} | {} | {} |", p.parameter, p.value, p.provenance);
    }
    let _ = writeln!(
        s,
        "\nIncidents of replication 0: `incidents.csv` ({} rows).",
        r.incident_total
    );
    s
}

/// The page's self-check: see the module doc.
pub const CHART_CHECK_SCRIPT: &str = r#"
window.addEventListener("load", function () {
  var figures = document.querySelectorAll("figure.chart");
  for (var i = 0; i < figures.length; i++) {
    var figure = figures[i];
    var svg = figure.querySelector("svg");
    var visible = "0";
    if (svg) {
      var rect = svg.getBoundingClientRect();
      var w = Math.round(rect.width);
      var h = Math.round(rect.height);
      var displayed = svg.getClientRects().length > 0 &&
        (typeof svg.checkVisibility === "function"
          ? svg.checkVisibility({ visibilityProperty: true, opacityProperty: true })
          : getComputedStyle(svg).visibility !== "hidden");
      if (displayed && w > 0 && h > 0) {
        visible = w + "x" + h;
      }
    }
    figure.setAttribute("data-visible", visible);
  }
  document.documentElement.setAttribute("data-checked", String(figures.length));
});
"#;

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 2em auto; max-width: 1240px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
p.sub { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
figure.chart { margin: 1em 0 2em 0; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
"#;

/// Strips the XML declaration plotters may put first, so the SVG can sit
/// inside HTML.
fn inline_svg(svg: &str) -> &str {
    let t = svg.trim_start();
    if t.starts_with("<?xml") {
        t.find("?>").map_or(t, |i| t[i + 2..].trim_start())
    } else {
        t
    }
}

/// `report.html`.
pub fn html(r: &Report) -> String {
    let mut s = String::new();
    let title = format!("{}: auto-repair report", r.scenario.name);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    if !r.scenario.description.is_empty() {
        let _ = writeln!(s, "<p>{}</p>", esc(&r.scenario.description));
    }
    let _ = writeln!(s, "<p class=\"sub\">{}</p>", esc(&subtitle(r)));

    let _ = writeln!(s, "<h2>Headline numbers</h2>");
    let _ = writeln!(
        s,
        "<table><tr><th>metric</th><th>mean</th><th>95% CI</th><th>column</th><th>what it is</th></tr>"
    );
    for (d, e) in &r.headline {
        let (m, ci) = headline_cells(d, e);
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td><td>{}</td></tr>",
            esc(&d.label),
            esc(&m),
            esc(&ci),
            esc(&d.name),
            esc(&d.about)
        );
    }
    let _ = writeln!(s, "</table>");

    if !r.charts.is_empty() {
        let _ = writeln!(s, "<h2>Charts</h2>");
    }
    for c in r.charts {
        let _ = writeln!(
            s,
            "<figure class=\"chart\" data-chart=\"{}\">\n{}\n<figcaption>{} \
             (<a href=\"{}.svg\">SVG</a>, <a href=\"{}.png\">PNG</a>)</figcaption>\n</figure>",
            esc(&c.name),
            inline_svg(&c.svg),
            esc(&c.title),
            esc(&c.name),
            esc(&c.name)
        );
    }

    let _ = writeln!(s, "<h2>Fewest Ready nodes per pool</h2>");
    let _ = writeln!(
        s,
        "<p>Over {} replications; replication 0 is the one the charts show.</p>",
        r.replications
    );
    let _ = writeln!(
        s,
        "<table><tr><th>pool</th><th>OS</th><th>nodes</th><th>median</th><th>1st percentile</th>\
         <th>lowest</th><th>replication 0</th><th>first at (replication 0)</th></tr>"
    );
    for (f, p) in fewest_rows(r).iter().zip(&r.summary.fleet.pools) {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(f.pool),
            f.os,
            f.nodes,
            opt_count(f.median),
            opt_count(f.p1),
            opt_count(f.lowest),
            p.min_ready,
            esc(&r
                .scenario
                .start
                .format(crate::time::SimTime(p.min_ready_at_ms)))
        );
    }
    let _ = writeln!(s, "</table>");
    let below = threshold_rows(r);
    if !below.is_empty() {
        let _ = writeln!(s, "<ul>");
        for (pool, n, p) in below {
            let _ = writeln!(s, "<li>{}</li>", esc(&threshold_sentence(pool, n, &p)));
        }
        let _ = writeln!(s, "</ul>");
    }

    let _ = writeln!(s, "<h2>Policy</h2>");
    let _ = writeln!(
        s,
        "<table><tr><th>parameter</th><th>value</th><th>provenance</th></tr>"
    );
    for p in r.policy {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p.parameter),
            esc(&p.value),
            esc(&p.provenance)
        );
    }
    let _ = writeln!(s, "</table>");

    let _ = writeln!(s, "<h2>Incidents (replication 0)</h2>");
    if r.incident_total > MAX_INCIDENT_ROWS as u64 {
        let _ = writeln!(
            s,
            "<p>The first {MAX_INCIDENT_ROWS} of {} incidents; all are in \
             <a href=\"incidents.csv\">incidents.csv</a>.</p>",
            r.incident_total
        );
    }
    let _ = writeln!(
        s,
        "<table><tr><th>node</th><th>fault</th><th>onset</th><th>detected after</th>\
         <th>actions</th><th>outcome</th><th>time to recover</th></tr>"
    );
    for i in r.incidents.iter().take(MAX_INCIDENT_ROWS) {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(i.node_name(r.scenario)),
            esc(i.fault_name(r.scenario)),
            esc(&r.scenario.start.format(i.onset)),
            dur(i.ttd().map(|d| d.ms())),
            esc(&i.actions_joined().replace(';', ", ")),
            esc(&i.outcome.name()),
            dur(i.ttr().map(|d| d.ms()))
        );
    }
    let _ = writeln!(s, "</table>");
    let _ = writeln!(
        s,
        "<p class=\"sub\">repairsim {} · scenario hash {:016x}</p>",
        env!("CARGO_PKG_VERSION"),
        r.scenario.content_hash
    );
    let _ = write!(
        s,
        "<script>{CHART_CHECK_SCRIPT}</script>\n</body>\n</html>\n"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }

    #[test]
    fn svg_declarations_are_stripped() {
        assert_eq!(inline_svg("<?xml version=\"1.0\"?>\n<svg/>"), "<svg/>");
        assert_eq!(inline_svg("<svg/>"), "<svg/>");
    }
}
