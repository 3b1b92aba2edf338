//! Report pages in a real browser: headless Chromium (Debian's `chromium`)
//! loads a page from a file:// URL and the harness checks that the page
//! logged nothing, that every chart is displayed with a non-zero size, and
//! that a screenshot is not blank.
//!
//! The page contract: each chart is
//! `<figure class="chart" data-chart="NAME"><svg>…</svg><figcaption>…</figcaption></figure>`,
//! and an inline script (the text of [`CHART_CHECK_SCRIPT`], which the report
//! page embeds verbatim) runs on `load`, sets `data-visible="WxH"` or
//! `data-visible="0"` on every `figure.chart` and `data-checked="N"` on
//! `<html>`.
//!
//! Without Chromium every check is skipped with a note, unless
//! `REPAIRSIM_REQUIRE_BROWSER=1` (which `.ci/run` sets) makes that a failure.
//! `REPAIRSIM_SCREENSHOT_DIR=DIR` keeps each screenshot as `DIR/<page stem>.png`
//! for a person to look at.

use crate::common::scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The least share of screenshot pixels (1280x3000) that must differ from the
/// background for a page not to count as blank. Measured: a blank page 0, a
/// heading, a line of text and two empty 640x320 figures 0.0016, one
/// white 800x400 chart of thin lines alone 0.0017, one sample chart here
/// 0.055, the two-chart sample page 0.109.
pub const MIN_NON_BACKGROUND_SHARE: f64 = 0.005;

/// The page contract's script: the report page's own.
use repairsim::report::page::CHART_CHECK_SCRIPT;

pub struct PageCheck {
    /// Console lines Chromium logged for the page (console.* calls and
    /// uncaught errors), each as `"MESSAGE", source: URL (LINE)`; a message
    /// with newlines spans several lines of one entry.
    pub console: Vec<String>,
    /// (data-chart, data-visible) of each `figure.chart`, from the DOM after
    /// load; data-visible is "" when the figure has none.
    pub charts: Vec<(String, String)>,
    /// data-checked on `<html>`.
    pub checked: Option<usize>,
    /// PNG bytes.
    pub screenshot: Vec<u8>,
    /// Share of screenshot pixels that differ from the top-left pixel colour.
    pub non_background_share: f64,
}

/// Loads `html` in headless Chromium twice (`--dump-dom`, then
/// `--screenshot` at 1280x3000) and reports what it saw. None when Chromium
/// is not installed and `REPAIRSIM_REQUIRE_BROWSER` is not `1`; with it set,
/// a missing Chromium panics. Panics when Chromium fails or runs past 60 s.
pub fn check_page(html: &Path) -> Option<PageCheck> {
    let Some(chromium) = find_chromium() else {
        if std::env::var("REPAIRSIM_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "chromium is required: install the Debian package chromium \
                 (REPAIRSIM_REQUIRE_BROWSER=1 and no chromium on PATH)"
            );
        }
        // Straight to stderr, past the test harness's capture, once.
        static NOTE: std::sync::Once = std::sync::Once::new();
        NOTE.call_once(|| {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "note: chromium is not installed, so the browser checks are skipped \
                 (apt-get install chromium; REPAIRSIM_REQUIRE_BROWSER=1 makes this a failure)"
            );
        });
        return None;
    };
    // One Chromium at a time: two cores, and a timeout that means something.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());

    let html =
        std::fs::canonicalize(html).unwrap_or_else(|e| panic!("page {}: {e}", html.display()));
    let url = file_url(&html);
    let tmp = TempDir::new();
    let start = Instant::now();

    let dom_run = run_chromium(&chromium, &tmp.0.join("dom"), &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&dom_run.stdout).into_owned();
    assert!(
        dom.contains("<html"),
        "chromium dumped no DOM for {url}; stderr:\n{}",
        dom_run.stderr
    );
    let mut console = console_lines(&dom_run.stderr);

    let png_path = tmp.0.join("screenshot.png");
    let screenshot_arg = format!("--screenshot={}", png_path.display());
    let shot_run = run_chromium(
        &chromium,
        &tmp.0.join("shot"),
        &[&screenshot_arg, "--window-size=1280,3000"],
        &url,
    );
    // The page ran a second time: keep what it logged only then.
    for line in console_lines(&shot_run.stderr) {
        if !console.contains(&line) {
            console.push(line);
        }
    }
    let screenshot = std::fs::read(&png_path).unwrap_or_else(|e| {
        panic!(
            "chromium wrote no screenshot for {url} ({e}); stderr:\n{}",
            shot_run.stderr
        )
    });
    if let Some(dir) = std::env::var_os("REPAIRSIM_SCREENSHOT_DIR") {
        let stem = html.file_stem().unwrap_or_default().to_string_lossy();
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{stem}.png")), &screenshot).unwrap();
    }
    let non_background_share = non_background_share(&screenshot);

    let tags = start_tags(&dom);
    let charts = tags
        .iter()
        .filter(|t| {
            t.name == "figure"
                && t.attr("class")
                    .is_some_and(|c| c.split_ascii_whitespace().any(|c| c == "chart"))
        })
        .map(|t| {
            (
                t.attr("data-chart").unwrap_or_default().to_string(),
                t.attr("data-visible").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let checked = tags
        .iter()
        .find(|t| t.name == "html")
        .and_then(|t| t.attr("data-checked"))
        .map(|n| {
            n.parse()
                .unwrap_or_else(|_| panic!("data-checked={n:?} is not a count"))
        });

    // Shown with the output of a failing test (or --nocapture).
    eprintln!(
        "chromium checked {} in {:.1}s: charts {charts:?}, data-checked {checked:?}, \
         {} console lines, non-background share {non_background_share:.4}",
        html.display(),
        start.elapsed().as_secs_f64(),
        console.len()
    );
    Some(PageCheck {
        console,
        charts,
        checked,
        screenshot,
        non_background_share,
    })
}

/// Asserts the contract on `html`: no console lines, every chart visible,
/// `expected_charts` charts, screenshot not blank. Skips (returns false) when
/// Chromium is absent and not required.
pub fn assert_page_ok(html: &Path, expected_charts: usize) -> bool {
    let Some(check) = check_page(html) else {
        return false;
    };
    let failures = contract_failures(&check, expected_charts);
    assert!(
        failures.is_empty(),
        "{} in headless chromium:\n  {}",
        html.display(),
        failures.join("\n  ")
    );
    true
}

/// What breaks the page contract, one line each; empty when nothing does.
fn contract_failures(check: &PageCheck, expected_charts: usize) -> Vec<String> {
    let mut out: Vec<String> = check
        .console
        .iter()
        .map(|l| format!("console: {l}"))
        .collect();
    if check.checked != Some(expected_charts) {
        out.push(format!(
            "data-checked on <html> is {:?}, expected Some({expected_charts}) \
             (did the chart check script run?)",
            check.checked
        ));
    }
    if check.charts.len() != expected_charts {
        out.push(format!(
            "{} figure.chart elements, expected {expected_charts}",
            check.charts.len()
        ));
    }
    for (name, visible) in &check.charts {
        if !is_size(visible) {
            out.push(format!(
                "chart {name:?} is not visible: data-visible={visible:?}"
            ));
        }
    }
    if check.non_background_share < MIN_NON_BACKGROUND_SHARE {
        out.push(format!(
            "screenshot is blank: {:.4} of pixels differ from the background, \
             expected at least {MIN_NON_BACKGROUND_SHARE}",
            check.non_background_share
        ));
    }
    out
}

/// "WxH" with both positive.
fn is_size(v: &str) -> bool {
    let Some((w, h)) = v.split_once('x') else {
        return false;
    };
    matches!((w.parse::<u32>(), h.parse::<u32>()), (Ok(w), Ok(h)) if w > 0 && h > 0)
}

/// `chromium` on PATH, as .ci/run installs it.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
}

fn file_url(p: &Path) -> String {
    let mut url = String::from("file://");
    for b in p.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("repairsim-browser-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    stdout: Vec<u8>,
    stderr: String,
}

/// One headless Chromium on `url` with a fresh profile in `profile`; its
/// output goes to files (no pipe to fill up) and it is killed, with every
/// process it started, past [`TIMEOUT`].
fn run_chromium(chromium: &Path, profile: &Path, args: &[&str], url: &str) -> Run {
    use std::os::unix::process::CommandExt;
    std::fs::create_dir_all(profile).unwrap();
    let out_path = profile.with_extension("stdout");
    let err_path = profile.with_extension("stderr");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            // The whole process group: the browser and its renderer, GPU and
            // zygote processes.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium ran longer than {}s on {url} {args:?} and was killed; stderr:\n{}",
                TIMEOUT.as_secs(),
                String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
    assert!(
        status.success(),
        "chromium {args:?} on {url} failed ({status}); stderr:\n{stderr}"
    );
    Run {
        stdout: std::fs::read(&out_path).unwrap(),
        stderr,
    }
}

/// The page's console lines in Chromium's stderr. Chromium 156 logs every
/// console.* call and every uncaught error or rejection as
/// `[PID:TID:MMDD/HHMMSS.micros:INFO:CONSOLE:LINE] "MESSAGE", source: URL (LINE)`
/// (older versions: `…:INFO:CONSOLE(LINE)]`), the message running over
/// several lines when it has newlines. Every other line is Chromium's own
/// noise (D-Bus, VA-API, sandbox, "N bytes written to file", the launcher
/// script) and is dropped. Each line is returned without the bracketed
/// prefix.
fn console_lines(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = stderr.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some((prefix, message)) = rest.split_once("] ") else {
            continue;
        };
        if !prefix.contains(":CONSOLE") {
            continue;
        }
        let mut entry = message.to_string();
        // A multi-line message ends at the line with its source.
        while !ends_with_source(&entry) {
            match lines.next() {
                Some(more) => {
                    entry.push('\n');
                    entry.push_str(more);
                }
                None => break,
            }
        }
        out.push(entry);
    }
    out
}

/// Ends like `", source: URL (LINE)`.
fn ends_with_source(entry: &str) -> bool {
    let Some(last) = entry.lines().last() else {
        return false;
    };
    let Some((_, tail)) = last.rsplit_once(", source: ") else {
        return false;
    };
    tail.ends_with(')')
}

/// Share of pixels whose colour differs from the top-left pixel's.
fn non_background_share(png_bytes: &[u8]) -> f64 {
    let mut decoder = png::Decoder::new(png_bytes);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG screenshot");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    let pixel = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()]
        .chunks_exact(info.line_size)
        .flat_map(|row| row[..info.width as usize * pixel].chunks_exact(pixel))
        .collect();
    let Some(background) = pixels.first() else {
        return 0.0;
    };
    let differ = pixels.iter().filter(|p| p != &background).count();
    differ as f64 / pixels.len() as f64
}

/// A start tag of the dumped DOM.
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of Chromium's serialised DOM, skipping comments and the
/// text of script and style elements.
fn start_tags(dom: &str) -> Vec<Tag> {
    let mut tags = Vec::new();
    let mut rest = dom;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |j| &after[j + 3..]);
            continue;
        }
        let body = &rest[1..];
        if !body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            rest = body;
            continue;
        }
        let (tag, after) = parse_start_tag(body);
        rest = after;
        if tag.name == "script" || tag.name == "style" {
            let close = format!("</{}", tag.name);
            rest = rest.find(&close).map_or("", |j| &rest[j..]);
        }
        tags.push(tag);
    }
    tags
}

/// `s` starts just after `<`; returns the tag and the text after its `>`.
fn parse_start_tag(s: &str) -> (Tag, &str) {
    let end_of_name = s
        .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
        .unwrap_or(s.len());
    let name = s[..end_of_name].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut rest = &s[end_of_name..];
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix('>') {
            rest = after;
            break;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len())
            .max(1);
        let attr = rest[..end].to_ascii_lowercase();
        rest = rest[end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, next) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let j = inner.find(q).unwrap_or(inner.len());
                    (&inner[..j], inner.get(j + 1..).unwrap_or(""))
                }
                _ => {
                    let j = after
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(after.len());
                    (&after[..j], &after[j..])
                }
            };
            value = unescape(raw);
            rest = next;
        }
        attrs.push((attr, value));
    }
    (Tag { name, attrs }, rest)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------- the tests

/// A chart of `kind` ("bars" or "line") as an inline SVG, in the contract's
/// figure; `style` goes on the figure.
fn sample_chart(name: &str, kind: &str, style: &str) -> String {
    let mut shapes = String::new();
    if kind == "bars" {
        for (i, v) in [120, 210, 90, 260, 180, 140].iter().enumerate() {
            let x = 60 + i * 90;
            shapes += &format!(
                r##"<rect x="{x}" y="{}" width="60" height="{v}" fill="#4878d0"/>
<text x="{}" y="300" font-size="14" text-anchor="middle">n{i}</text>
"##,
                280 - v,
                x + 30
            );
        }
    } else {
        shapes += r##"<polyline fill="none" stroke="#d65f5f" stroke-width="4" points="50,250 150,180 250,200 350,90 450,120 550,40 600,60"/>
<polygon fill="#d65f5f" fill-opacity="0.25" points="50,280 50,250 150,180 250,200 350,90 450,120 550,40 600,60 600,280"/>
"##;
    }
    format!(
        r##"<figure class="chart" data-chart="{name}"{style}>
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320" viewBox="0 0 640 320">
<rect x="0" y="0" width="640" height="320" fill="#f4f4f8"/>
<line x1="40" y1="280" x2="620" y2="280" stroke="#333" stroke-width="2"/>
<line x1="40" y1="20" x2="40" y2="280" stroke="#333" stroke-width="2"/>
<text x="320" y="16" font-size="16" text-anchor="middle">{name}</text>
{shapes}</svg>
<figcaption>{name}: a sample chart</figcaption>
</figure>
"##
    )
}

fn sample_page(body: &str, script: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sample report</title>
<style>body {{ font-family: sans-serif; margin: 24px; background: #fff; color: #111; }}</style>
</head><body>
<h1>Sample report</h1>
<p>Two charts, as a report page shows them.</p>
{body}<script>{CHART_CHECK_SCRIPT}</script>
{script}</body></html>
"#
    )
}

fn write(dir: &Path, name: &str, html: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, html).unwrap();
    p
}

#[test]
fn browser_sample_page_meets_the_contract() {
    let dir = scratch("browser-sample");
    let body = sample_chart("recoveries", "bars", "") + &sample_chart("ready-nodes", "line", "");
    let page = write(&dir, "sample.html", &sample_page(&body, ""));
    let Some(check) = check_page(&page) else {
        return;
    };
    assert!(check.console.is_empty(), "console: {:?}", check.console);
    assert_eq!(
        check.charts,
        [
            ("recoveries".to_string(), "640x320".to_string()),
            ("ready-nodes".to_string(), "640x320".to_string())
        ]
    );
    assert_eq!(check.checked, Some(2));
    assert!(check.screenshot.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        check.non_background_share > 0.05,
        "share {}",
        check.non_background_share
    );
    assert!(contract_failures(&check, 2).is_empty());
    assert!(assert_page_ok(&page, 2));
}

#[test]
fn browser_hidden_chart_is_reported_not_visible() {
    let dir = scratch("browser-hidden");
    let body = sample_chart("recoveries", "bars", "")
        + &sample_chart("ready-nodes", "line", r#" style="display:none""#);
    let page = write(&dir, "hidden.html", &sample_page(&body, ""));
    let Some(check) = check_page(&page) else {
        return;
    };
    assert!(check.console.is_empty(), "console: {:?}", check.console);
    assert_eq!(
        check.charts,
        [
            ("recoveries".to_string(), "640x320".to_string()),
            ("ready-nodes".to_string(), "0".to_string())
        ]
    );
    assert_eq!(check.checked, Some(2));
    assert_eq!(
        contract_failures(&check, 2),
        [r#"chart "ready-nodes" is not visible: data-visible="0""#]
    );
}

#[test]
fn browser_uncaught_error_is_a_console_line() {
    let dir = scratch("browser-throws");
    let body = sample_chart("recoveries", "bars", "");
    let page = write(
        &dir,
        "throws.html",
        &sample_page(&body, "<script>undefinedFunction();</script>\n"),
    );
    let Some(check) = check_page(&page) else {
        return;
    };
    assert_eq!(check.console.len(), 1, "console: {:?}", check.console);
    assert!(
        check.console[0].starts_with(
            r#""Uncaught ReferenceError: undefinedFunction is not defined", source: file://"#
        ),
        "{:?}",
        check.console
    );
    assert_eq!(check.checked, Some(1));
    assert_eq!(contract_failures(&check, 1).len(), 1);
}

#[test]
fn browser_console_error_is_a_console_line() {
    let dir = scratch("browser-console-error");
    let body = sample_chart("recoveries", "bars", "");
    let page = write(
        &dir,
        "console-error.html",
        &sample_page(
            &body,
            "<script>console.error(\"chart data missing\\nsecond line\");</script>\n",
        ),
    );
    let Some(check) = check_page(&page) else {
        return;
    };
    assert_eq!(check.console.len(), 1, "console: {:?}", check.console);
    assert!(
        check.console[0].starts_with("\"chart data missing\nsecond line\", source: file://"),
        "{:?}",
        check.console
    );
    assert_eq!(contract_failures(&check, 1).len(), 1);
}

#[test]
fn browser_blank_page_is_blank() {
    let dir = scratch("browser-blank");
    let page = write(
        &dir,
        "blank.html",
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>blank</title></head><body></body></html>\n",
    );
    let Some(check) = check_page(&page) else {
        return;
    };
    assert!(check.console.is_empty(), "console: {:?}", check.console);
    assert!(check.charts.is_empty());
    assert_eq!(check.checked, None);
    assert!(
        check.non_background_share < 0.0001,
        "share {}",
        check.non_background_share
    );
    let failures = contract_failures(&check, 0);
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures[1].starts_with("screenshot is blank"),
        "{failures:?}"
    );
}

#[test]
fn browser_console_lines_are_parsed_from_stderr() {
    // Real stderr of Chromium 156 (Debian bookworm), shortened.
    let stderr = r#"/usr/bin/chromium: 9: [: 25276510208: unexpected operator
[28576:28605:1128/004706.016594:ERROR:dbus/bus.cc:405] Failed to connect to the bus: Failed to connect to socket /run/dbus/system_bus_socket: No such file or directory
[28619:28619:1128/004706.070118:WARNING:media/gpu/vaapi/vaapi_wrapper.cc:1655] drmGetDevices2() has not found any devices
[28576:28576:1128/004706.493620:INFO:CONSOLE:2] "an error msg", source: file:///tmp/bx/t.html (2)
[28734:28734:1128/004715.353512:INFO:CONSOLE:2] "line one
line two", source: file:///tmp/bx/t2.html (2)
[28576:28576:1128/004706.495463:INFO:CONSOLE(3)] "Uncaught ReferenceError: undefinedFunction is not defined", source: file:///tmp/bx/t.html (3)
17803 bytes written to file /tmp/bx/s.png
"#;
    assert_eq!(
        console_lines(stderr),
        [
            r#""an error msg", source: file:///tmp/bx/t.html (2)"#,
            "\"line one\nline two\", source: file:///tmp/bx/t2.html (2)",
            r#""Uncaught ReferenceError: undefinedFunction is not defined", source: file:///tmp/bx/t.html (3)"#,
        ]
    );
}

#[test]
fn browser_dom_attributes_are_parsed() {
    let dom = r#"<!DOCTYPE html>
<html lang="en" data-checked="2"><head><script>var s = "<figure class=\"chart\" data-chart=\"fake\">";</script></head><body>
<!-- <figure class="chart" data-chart="commented"> -->
<figure class="wide chart" data-chart="a &amp; b" data-visible="640x320"><svg></svg></figure>
<figure class="charts" data-chart="not-a-chart"></figure>
<figure data-visible="0" class=chart data-chart='x>y'></figure>
</body></html>"#;
    let tags = start_tags(dom);
    let html = tags.iter().find(|t| t.name == "html").unwrap();
    assert_eq!(html.attr("data-checked"), Some("2"));
    let charts: Vec<(&str, Option<&str>)> = tags
        .iter()
        .filter(|t| t.name == "figure")
        .map(|t| (t.attr("data-chart").unwrap(), t.attr("data-visible")))
        .collect();
    assert_eq!(
        charts,
        [
            ("a & b", Some("640x320")),
            ("not-a-chart", None),
            ("x>y", Some("0"))
        ]
    );
    assert!(is_size("640x320") && !is_size("0") && !is_size("0x320") && !is_size(""));
}

/// The real report page: every chart visible, nothing logged, not blank.
#[test]
fn the_report_page_renders_in_a_browser() {
    let s = scratch("report-page");
    let out = s.path("report");
    let o = crate::common::repairsim(&[
        "report",
        "scenarios/quickstart.toml",
        "-n",
        "5",
        "-q",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let html = Path::new(&out).join("report.html");
    let page = std::fs::read_to_string(&html).unwrap();
    // Self-contained: nothing the browser would fetch (links are not fetched).
    for fetch in ["src=", "<link", "url(", "@import"] {
        assert!(!page.contains(fetch), "the page would fetch: {fetch}");
    }
    assert_eq!(page.matches("<figure class=\"chart\"").count(), 6);
    assert_page_ok(&html, 6);
}
