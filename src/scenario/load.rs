//! Reading and validating a scenario file.
//!
//! Two stages: serde reads the text into the raw types of [`super::raw`]
//! (syntax, unknown keys, value types), then `validate` checks every value
//! and resolves every name into the validated [`Scenario`]. Both stages
//! report a [`ScenarioError`] that names the file, the 1-based line and
//! column of the offending value (from the byte span toml records), the
//! dotted path of the field (`inject[1].fault`) and a message that says
//! what is wrong and what would be valid. The first error stops the load.
//!
//! Dependency note: `serde_path_to_error` wraps the toml deserializer so that
//! an error raised while serde reads the file (an unknown key, a wrong type)
//! carries the path of the value, e.g. `pools[0].count`. toml's own error
//! has the byte span but keeps only the key names, without array indices,
//! and offers no accessor for them; with this crate, parse-time and
//! validation-time errors name fields the same way.
//!
//! Patches (`--set KEY=VALUE`, a preset, a policy file; see [`super::patch`])
//! edit the parsed document before serde reads it, so a patched key gets
//! exactly the checks and messages of a key in the file. Each patch's text
//! has its own range of span offsets after the scenario text, and `Ctx`
//! maps a span back to the file or the `--set` argument it came from.
//!
//! Nothing here panics on any input: every lookup is checked, numbers are
//! range-checked before conversion, and the proptest below feeds mutated
//! and random text to [`load_str`].

use super::patch::{self, Patch};
use super::raw::{
    RawAction, RawActions, RawDist, RawExpect, RawFailure, RawInject, RawKubernetes, RawOutage,
    RawPause, RawPolicy, RawPool, RawRecreate, RawReplace, RawScenario, RawTaint, RawUpgrade,
    RawValue, SList, SStr,
};
use super::resources;
use super::{ActionSpec, Actions, Scenario};
use crate::dist::DurationDist;
use crate::faults::{
    Arrivals, Fault, FaultId, Injection, Mark, MarkWindow, Outage, RecordedAction, Signal, Target,
};
use crate::fleet::{Fleet, NodeId, Os, Pool};
use crate::k8s::{ActionKind, ERROR_CODES};
use crate::policy::spec::{self, SETTINGS, Section, Setting, Type, Value};
use crate::policy::{Exclusion, Policy, Preset};
use crate::rng::stable_hash;
use crate::time::{Epoch, MAX_SPAN, SECOND, SimDuration, SimTime, parse_duration};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use toml::de::DeTable;

/// The most nodes a fleet may have.
pub const MAX_NODES: u64 = 1_000_000;
/// The longest horizon \[ms\]: 100 years. Every other duration of a
/// scenario has the same limit.
pub const MAX_HORIZON: u64 = MAX_SPAN;
/// The largest lognormal `sigma` (larger ones only produce the clamp values).
pub const MAX_SIGMA: f64 = 10.0;
/// The largest error-code weight (so that the sum of the weights stays finite).
pub const MAX_ERROR_WEIGHT: f64 = 1e9;
/// The most fault arrivals all `[[failures]]` entries together may be
/// expected to generate in one replication (nodes × horizon / mtbf, summed).
/// Arrivals are drawn as the run goes, in memory that does not grow with
/// them, but each costs time: this catches an `mtbf` in the wrong unit
/// before a run of hours.
pub const MAX_ARRIVALS: u64 = 50_000_000;
/// The shortest `mtbf`: arrivals are drawn in whole seconds.
pub const MIN_MTBF: u64 = SECOND;
/// `start` when the file does not say.
pub const DEFAULT_START: &str = "2026-01-01T00:00:00Z";
/// The name of the fault the loader adds for `never_registered` nodes.
pub const NEVER_REGISTERED_FAULT: &str = "never-registered";

/// Why a scenario could not be loaded, and where.
///
/// Displays as `{file}:{line}:{column}: {field}: {message}`; the position
/// is left out when unknown and the field when empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file as the user named it (or the label given to [`load_str`]);
    /// `--set KEY=VALUE: FILE` for an error in the file that a patch
    /// brought about.
    pub file: String,
    /// 1-based line of the offending value.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending value.
    pub column: Option<usize>,
    /// Dotted path of the field, e.g. `inject[1].fault`; empty for errors
    /// about the whole file.
    pub field: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

pub(crate) type Res<T> = Result<T, ScenarioError>;

/// Reads and validates the scenario file at `path`.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    load_file_with(path, &[])
}

/// Reads and validates a scenario from `text`; `path_label` names it in errors.
pub fn load_str(path_label: &str, text: &str) -> Result<Scenario, ScenarioError> {
    load_str_with(path_label, text, &[])
}

/// Reads the scenario file at `path`, applies `patches` in order and validates it.
pub fn load_file_with(path: &Path, patches: &[Patch]) -> Result<Scenario, ScenarioError> {
    load_file_then(path, patches, |_, _, _| Ok(())).map(|(sc, ())| sc)
}

/// What a layer above the input model reads from the same file: the
/// `[[expect]]` tables, as serde read them, given the validated scenario
/// and the [`Ctx`] that turns their spans into file, line and column.
pub type Expect<'t> = &'t [Spanned<RawExpect>];

/// [`load_file_with`], then `then` reads the `[[expect]]` tables (see
/// [`load_str_then`]).
pub fn load_file_then<T>(
    path: &Path,
    patches: &[Patch],
    then: impl Fn(&Ctx, &Scenario, Expect) -> Result<T, ScenarioError>,
) -> Result<(Scenario, T), ScenarioError> {
    let label = path.display().to_string();
    let text = read_regular(path, "scenario").map_err(|message| ScenarioError {
        file: label.clone(),
        line: None,
        column: None,
        field: String::new(),
        message,
    })?;
    load_str_then(&label, &text, patches, then)
}

/// The text of the `what` file at `path`. A FIFO or a device would block
/// the read or never end, so it is refused unopened (a symbolic link to a
/// file is fine).
fn read_regular(path: &Path, what: &str) -> Result<String, String> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => Err(format!(
            "not a regular file (a FIFO or a device?); give a {what} file"
        )),
        _ => std::fs::read_to_string(path)
            .map_err(|e| format!("could not read the {what} file: {e}")),
    }
}

/// Reads a scenario from `text`, applies `patches` in order (later ones win)
/// and validates the result; `path_label` names the text in errors, and an
/// error in a value a patch brought in names the patch (`--set KEY=VALUE`)
/// or the policy file instead.
pub fn load_str_with(
    path_label: &str,
    text: &str,
    patches: &[Patch],
) -> Result<Scenario, ScenarioError> {
    load_str_then(path_label, text, patches, |_, _, _| Ok(())).map(|(sc, ())| sc)
}

/// [`load_str_with`], then `then` reads the `[[expect]]` tables: the
/// scenario is valid by then, and `then`'s errors come first among the
/// warnings' and patches' bookkeeping, so a bad table fails the load.
/// The scenario itself never looks at those tables.
///
/// An error in the scenario text that only a patch brings about (`--set
/// horizon=1h` with an injection at 2h) names that patch first:
/// `--set horizon=1h: FILE:LINE:COLUMN: FIELD: MESSAGE`.
pub fn load_str_then<T>(
    path_label: &str,
    text: &str,
    patches: &[Patch],
    then: impl Fn(&Ctx, &Scenario, Expect) -> Result<T, ScenarioError>,
) -> Result<(Scenario, T), ScenarioError> {
    match load_patched(path_label, text, patches, &then) {
        Err(e) if e.file == path_label && !patches.is_empty() => {
            Err(blame_patch(path_label, text, patches, &then).unwrap_or(e))
        }
        r => r,
    }
}

/// The error of the shortest prefix of `patches` that fails to load,
/// named by its last patch; `None` when the file fails without patches.
fn blame_patch<T>(
    path_label: &str,
    text: &str,
    patches: &[Patch],
    then: &impl Fn(&Ctx, &Scenario, Expect) -> Result<T, ScenarioError>,
) -> Option<ScenarioError> {
    for k in 0..=patches.len() {
        let Err(e) = load_patched(path_label, text, &patches[..k], then) else {
            continue;
        };
        // With no patch at all, the file is to blame.
        let p = patches[..k].last()?;
        if e.file != path_label {
            return Some(e);
        }
        let by = match p {
            Patch::PolicyFile(path) => format!("--policy-file {}", path.display()),
            _ => p.source_label(),
        };
        return Some(ScenarioError {
            file: format!("{by}: {}", e.file),
            ..e
        });
    }
    None
}

fn load_patched<T>(
    path_label: &str,
    text: &str,
    patches: &[Patch],
    then: &impl Fn(&Ctx, &Scenario, Expect) -> Result<T, ScenarioError>,
) -> Result<(Scenario, T), ScenarioError> {
    // The text of every patch, read before anything borrows it; a policy
    // file that is a Kubernetes resource or an EKS configuration is read
    // into [policy] keys here.
    let mut inputs: Vec<String> = Vec::with_capacity(patches.len());
    let mut translations: Vec<Option<resources::Translation>> = Vec::with_capacity(patches.len());
    for p in patches {
        let mut translation = None;
        inputs.push(match p {
            Patch::Set { key, value } => format!("{key}={value}"),
            Patch::Preset(name) => name.clone(),
            Patch::PolicyFile(path) => {
                let (file, select) = resources::split_selector(path);
                let label = file.display().to_string();
                let text = read_regular(&file, "policy").map_err(|message| ScenarioError {
                    file: label.clone(),
                    line: None,
                    column: None,
                    field: String::new(),
                    message,
                })?;
                if select.is_some() || resources::is_resource(&file, &text) {
                    match resources::translate(&text, select.as_deref()) {
                        Ok(t) => translation = Some(t),
                        Err(f) => return Err(finding_error(&label, &text, f)),
                    }
                }
                text
            }
        });
        translations.push(translation);
    }
    // Spans: the scenario text is [0, len], each patch gets its own range after it.
    let mut sources = vec![Source {
        start: 0,
        label: path_label.to_string(),
        text,
        positions: true,
        fields: Vec::new(),
    }];
    let mut next = text.len() + 1;
    for ((p, t), tr) in patches.iter().zip(&inputs).zip(&translations) {
        let label = match p {
            Patch::PolicyFile(path) => resources::split_selector(path).0.display().to_string(),
            _ => p.source_label(),
        };
        sources.push(Source {
            start: next,
            label,
            text: t,
            positions: matches!(p, Patch::PolicyFile(_)),
            fields: tr.as_ref().map_or(Vec::new(), |tr| {
                tr.settings
                    .iter()
                    .map(|s| (next + s.span.start..next + s.span.end, s.field.clone()))
                    .collect()
            }),
        });
        next += t.len() + 1;
    }
    let cx = Ctx { sources, patches };
    let mut root = DeTable::parse(text).map_err(|e| {
        cx.err(
            e.span(),
            "",
            format!("invalid TOML: {}", one_line(e.message())),
        )
    })?;
    for (i, p) in patches.iter().enumerate() {
        let src = &cx.sources[i + 1];
        patch::apply(
            root.get_mut(),
            p,
            src.text,
            src.start,
            translations[i].as_ref(),
        )
        .map_err(|e| cx.err(e.span, e.field, e.message))?;
    }
    let de = toml::de::Deserializer::from(root);
    let mut raw: RawScenario =
        serde_path_to_error::deserialize(de).map_err(|e| cx.serde_error(e))?;
    let expect = std::mem::take(&mut raw.expect);
    let mut sc = validate(&cx, raw)?;
    let extra = then(&cx, &sc, &expect)?;
    if !patches.is_empty() {
        let mut all = text.to_string();
        for (p, t) in patches.iter().zip(&inputs) {
            all.push_str("\n# patch ");
            all.push_str(&p.label());
            if let Patch::PolicyFile(_) = p {
                all.push('\n');
                all.push_str(t);
            }
        }
        sc.content_hash = stable_hash(&all);
        sc.patches = patches.iter().map(Patch::label).collect();
    }
    for (i, tr) in translations.iter().enumerate() {
        let src = &cx.sources[i + 1];
        for w in tr.iter().flat_map(|t| &t.warnings) {
            sc.warnings
                .push(finding_error(&src.label, src.text, w.clone()));
        }
    }
    Ok((sc, extra))
}

/// A finding about a policy file as a ScenarioError naming the file, line
/// and column.
fn finding_error(label: &str, text: &str, f: resources::Finding) -> ScenarioError {
    let (line, column) = match f.span {
        Some(sp) => {
            let (l, c) = line_col(text, sp.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    ScenarioError {
        file: label.to_string(),
        line,
        column,
        field: f.field,
        message: f.message,
    }
}

// ---------------------------------------------------------------------------
// Positions, paths and messages.

/// A text that spans point into: the scenario, or the text of one patch
/// (a `--set` argument, a preset name, a policy file).
struct Source<'a> {
    /// Where the text starts in the virtual range of spans.
    start: usize,
    /// The file named in errors.
    label: String,
    text: &'a str,
    /// Whether errors give a line and column (files, not arguments).
    positions: bool,
    /// For a policy file read from a resource: the virtual span and path
    /// of the field behind each `[policy]` value, so that errors name the
    /// field as the file writes it.
    fields: Vec<(Range<usize>, String)>,
}

/// Where every span of a load points: the scenario text and each patch's
/// text. Layers above the input model that read tables of the same file
/// (`[[expect]]`, in `crate::check::load`) report errors through it.
pub struct Ctx<'a> {
    /// The scenario text first, then one source per patch, by `start`.
    sources: Vec<Source<'a>>,
    /// The patches applied to the scenario text, in order.
    patches: &'a [Patch],
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut off = offset.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let before = &text[..off];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // A byte-order mark is not a column an editor shows.
    let col = before[line_start..].trim_start_matches('\u{feff}');
    (line, col.chars().count() + 1)
}

fn one_line(s: &str) -> String {
    s.trim().replace('\n', "; ")
}

/// `parent.key`, quoting the key when it is not a bare TOML key.
pub(crate) fn key_path(parent: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let k = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        k
    } else {
        format!("{parent}.{k}")
    }
}

pub(crate) fn index_path(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The path serde_path_to_error recorded, without the private keys that
/// `Spanned` uses internally.
fn format_path(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut s = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => s = index_path(&s, *index),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !key.starts_with("$__serde_spanned_private") {
                    s = key_path(&s, key);
                }
            }
            Segment::Unknown => s = key_path(&s, "?"),
        }
    }
    s
}

/// The backticked items of a serde message, e.g. the field list of
/// "unknown field `x`, expected one of `a`, `b`".
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// A serde type expectation in the words of a TOML user.
fn nice_expected(e: &str) -> String {
    match e {
        "i8" | "i16" | "i32" | "i64" | "i128" | "u8" | "u16" | "u32" | "u64" | "u128" => {
            "an integer".into()
        }
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        s if s.starts_with("struct ") => "a table".into(),
        s => s.to_string(),
    }
}

/// The digits of an integer too large for TOML's 64 bits, which serde
/// shows as "integer `18446744073709551616` as i128".
fn out_of_range(found: &str) -> Option<&str> {
    let (n, ty) = found.strip_prefix("integer `")?.split_once("` as ")?;
    ty.starts_with(['i', 'u']).then_some(n)
}

/// What serde found, in the words of a TOML user.
fn nice_found(u: &str) -> String {
    let u = u.replace('`', "");
    match u.as_str() {
        "sequence" => "an array".into(),
        "map" => "a table".into(),
        s => s.replacen("floating point", "number", 1),
    }
}

/// Rewrites a serde message; the second value is a key to add to the path
/// (an unknown or missing key).
fn humanize(msg: &str) -> (String, Option<String>) {
    let msg = msg.trim();
    if let Some(rest) = msg
        .strip_prefix("unknown field ")
        .or_else(|| msg.strip_prefix("unknown variant "))
    {
        let items = backticked(rest);
        let name = items.first().copied().unwrap_or("");
        let valid = if items.len() > 1 {
            items[1..].join(", ")
        } else {
            "none".to_string()
        };
        return (
            format!("unknown key {name:?}; valid keys: {valid}"),
            Some(name.to_string()),
        );
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let name = backticked(rest).first().copied().unwrap_or("").to_string();
        return (format!("missing required key {name:?}"), Some(name));
    }
    if let Some(rest) = msg.strip_prefix("duplicate field ") {
        let name = backticked(rest).first().copied().unwrap_or("").to_string();
        return (format!("key {name:?} is given twice"), None);
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = msg
            .strip_prefix(prefix)
            .and_then(|r| r.split_once(", expected "))
        {
            let message = match out_of_range(found) {
                Some(n) => format!(
                    "expected {}, found {n}, which is out of range: an integer is from {} to {}",
                    nice_expected(expected),
                    i64::MIN,
                    i64::MAX
                ),
                None => format!(
                    "expected {}, found {}",
                    nice_expected(expected),
                    nice_found(found)
                ),
            };
            return (message, None);
        }
    }
    (one_line(msg), None)
}

/// The message for a bad duration string: what is wrong, then what is valid.
fn duration_message(text: &str, parse_error: &str) -> String {
    let detail = parse_error
        .strip_prefix(&format!("bad duration {text:?}: "))
        .map(|d| d.split("; ").next().unwrap_or(d))
        .map(|d| d.split(" (e.g.").next().unwrap_or(d))
        .unwrap_or(parse_error);
    let t = text.trim();
    let detail = if t.is_empty() {
        "it is empty"
    } else if t.contains(char::is_whitespace) {
        "spaces are not allowed"
    } else if t.contains(['.', ',']) {
        "fractions are not allowed: write \"1h30m\", not \"1.5h\""
    } else if detail.contains("has no unit") {
        "a number needs a unit"
    } else {
        detail
    };
    format!(
        "bad duration {text:?} ({detail}); expected a duration such as \"90s\", \"5m\", \"1h30m\" or \"30d\" \
         (whole numbers with units d, h, m, s, ms, largest first)"
    )
}

impl<'a> Ctx<'a> {
    /// The scenario loaded again with `extra` patches after this load's
    /// own: a what-if variant, such as an `[[expect]]` table's `set`.
    pub(crate) fn variant(&self, extra: &[Patch]) -> Res<Scenario> {
        let all: Vec<Patch> = self.patches.iter().chain(extra).cloned().collect();
        let file = &self.sources[0];
        load_str_with(&file.label, file.text, &all)
    }

    /// The source a virtual offset falls in (the scenario text when none).
    fn source(&self, offset: usize) -> &Source<'a> {
        self.sources
            .iter()
            .rev()
            .find(|s| s.start <= offset)
            .unwrap_or(&self.sources[0])
    }

    /// The 1-based line of a virtual offset, in a file (not an argument).
    pub(crate) fn line(&self, offset: usize) -> Option<usize> {
        let s = self.source(offset);
        s.positions.then(|| line_col(s.text, offset - s.start).0)
    }

    /// The text at a virtual span, if it is within one source.
    fn snippet(&self, span: Range<usize>) -> &'a str {
        let s = self.source(span.start);
        let text: &'a str = s.text;
        text.get(span.start - s.start..span.end.saturating_sub(s.start))
            .unwrap_or("")
    }

    pub(crate) fn err(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (file, line, column) = match &span {
            Some(sp) => {
                let s = self.source(sp.start);
                if s.positions {
                    let (l, c) = line_col(s.text, sp.start - s.start);
                    (s.label.clone(), Some(l), Some(c))
                } else {
                    (s.label.clone(), None, None)
                }
            }
            None => (self.sources[0].label.clone(), None, None),
        };
        let mut field = field.into();
        if let Some(sp) = &span
            && let Some((_, f)) = self
                .source(sp.start)
                .fields
                .iter()
                .filter(|(r, _)| r.contains(&sp.start) || *r == *sp)
                .min_by_key(|(r, _)| r.len())
        {
            field = if field.is_empty() {
                f.clone()
            } else {
                format!("{f} ({field})")
            };
        }
        ScenarioError {
            file,
            line,
            column,
            field,
            message: message.into(),
        }
    }

    pub(crate) fn at<T>(
        &self,
        v: &Spanned<T>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        self.err(Some(v.span()), field, message)
    }

    fn serde_error(&self, e: serde_path_to_error::Error<toml::de::Error>) -> ScenarioError {
        let mut field = format_path(e.path());
        let inner = e.inner();
        let (mut message, mut key) = humanize(inner.message());
        // A bare date-time where a table was expected reaches serde as a
        // table with toml's private key: say what the user wrote instead.
        const DATETIME: &str = "$__toml_private_datetime";
        if key.as_deref() == Some(DATETIME) {
            key = None;
            field = field
                .strip_suffix(&format!(".{DATETIME:?}"))
                .unwrap_or(&field)
                .to_string();
            let snippet = inner.span().map(|s| self.snippet(s)).unwrap_or_default();
            message = format!("expected a table, found the TOML date-time {snippet}");
        }
        if let Some(key) = key {
            let last_is_key = e
                .path()
                .iter()
                .next_back()
                .is_some_and(|s| s.to_string() == key);
            if !last_is_key && !key.is_empty() {
                field = key_path(&field, &key);
            }
        }
        // A bare TOML date-time where a string was expected (`start = 2026-01-01T00:00:00Z`).
        if let Some(span) = inner.span() {
            let snippet = self.snippet(span.clone());
            if message.ends_with("found a table")
                && snippet.starts_with(|c: char| c.is_ascii_digit())
            {
                message = message.replace(
                    "found a table",
                    &format!("found the TOML date-time {snippet}"),
                );
                if message.starts_with("expected a string,") {
                    message.push_str(&format!("; quote it: \"{snippet}\""));
                }
            }
        }
        self.err(inner.span(), field, message)
    }

    /// A key the scenario requires; the error points at the enclosing table.
    pub(crate) fn require<'r, T>(
        &self,
        v: &'r Option<T>,
        table: Option<Range<usize>>,
        parent: &str,
        key: &str,
    ) -> Res<&'r T> {
        v.as_ref().ok_or_else(|| {
            let within = if parent.is_empty() {
                String::new()
            } else {
                format!(" in {parent}")
            };
            self.err(
                table,
                key_path(parent, key),
                format!("missing required key {key:?}{within}"),
            )
        })
    }

    /// A duration string of at most 100 years; zero only when `allow_zero`.
    pub(crate) fn duration(&self, v: &SStr, field: &str, allow_zero: bool) -> Res<SimDuration> {
        self.duration_text(v.get_ref(), v.span(), field, allow_zero)
    }

    /// [`Ctx::duration`] of a string at `span`.
    pub(crate) fn duration_text(
        &self,
        text: &str,
        span: Range<usize>,
        field: &str,
        allow_zero: bool,
    ) -> Res<SimDuration> {
        let d = self.duration_unbounded(text, span.clone(), field, allow_zero)?;
        if d.ms() > MAX_SPAN {
            return Err(self.err(
                Some(span),
                field,
                format!(
                    "must be at most 100 years (36500d), found {text:?}; longer spans would \
                     overflow simulated time"
                ),
            ));
        }
        Ok(d)
    }

    /// A duration string with no upper limit (the horizon has its own message).
    fn duration_unbounded(
        &self,
        text: &str,
        span: Range<usize>,
        field: &str,
        allow_zero: bool,
    ) -> Res<SimDuration> {
        let d = parse_duration(text)
            .map_err(|e| self.err(Some(span.clone()), field, duration_message(text, &e)))?;
        if !allow_zero && d.ms() == 0 {
            return Err(self.err(
                Some(span),
                field,
                format!(
                    "must be longer than 0s, found {text:?}; write e.g. \"90s\", \"5m\", \"1h30m\""
                ),
            ));
        }
        Ok(d)
    }

    /// An integer in `lo..=hi`.
    pub(crate) fn int(&self, v: &Spanned<i64>, field: &str, lo: i64, hi: i64) -> Res<i64> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            let want = if hi >= i64::from(u32::MAX) {
                format!("an integer of at least {lo}")
            } else {
                format!("an integer from {lo} to {hi}")
            };
            return Err(self.at(v, field, format!("expected {want}, found {n}")));
        }
        Ok(n)
    }

    /// One of a fixed set of words.
    pub(crate) fn choice<T: Copy>(
        &self,
        v: &SStr,
        field: &str,
        what: &str,
        options: &[(&str, T)],
    ) -> Res<T> {
        options
            .iter()
            .find(|(n, _)| *n == v.get_ref().as_str())
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let valid: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                self.at(
                    v,
                    field,
                    format!(
                        "unknown {what} {:?}; valid values: {}",
                        v.get_ref(),
                        valid.join(", ")
                    ),
                )
            })
    }

    /// A finite number in `[lo, hi]` (`lo` excluded when `lo_open`).
    fn number(
        &self,
        v: &Spanned<f64>,
        field: &str,
        lo: f64,
        lo_open: bool,
        hi: f64,
        what: &str,
    ) -> Res<f64> {
        let x = *v.get_ref();
        let ok = x.is_finite() && (if lo_open { x > lo } else { x >= lo }) && x <= hi;
        if !ok {
            return Err(self.at(v, field, format!("expected {what}, found {x}")));
        }
        Ok(x)
    }
}

// ---------------------------------------------------------------------------
// Validation.

pub(crate) const OS_CHOICES: &[(&str, Os)] = &[("linux", Os::Linux), ("windows", Os::Windows)];
const SIGNAL_CHOICES: &[(&str, Signal)] = &[
    ("not-ready", Signal::NotReady),
    ("no-status", Signal::NoStatus),
];
const FIXED_BY_CHOICES: &[(&str, Option<ActionKind>)] = &[
    ("reboot", Some(ActionKind::Reboot)),
    ("reimage", Some(ActionKind::Reimage)),
    ("redeploy", Some(ActionKind::Redeploy)),
    ("recreate", Some(ActionKind::Recreate)),
    ("replace", Some(ActionKind::Replace)),
    ("snr-reboot", Some(ActionKind::SnrReboot)),
    ("none", None),
];
const ACTION_CHOICES: &[(&str, ActionKind)] = &[
    ("reboot", ActionKind::Reboot),
    ("reimage", ActionKind::Reimage),
    ("redeploy", ActionKind::Redeploy),
    ("recreate", ActionKind::Recreate),
    ("replace", ActionKind::Replace),
    ("snr-reboot", ActionKind::SnrReboot),
];
const TAINT_CHOICES: &[(&str, Mark)] = &[
    ("shutdown", Mark::TaintShutdown),
    ("to-be-deleted", Mark::TaintToBeDeleted),
    (
        "node.cloudprovider.kubernetes.io/shutdown",
        Mark::TaintShutdown,
    ),
    ("ToBeDeletedByClusterAutoscaler", Mark::TaintToBeDeleted),
];
const ANNOTATION_CHOICES: &[(&str, Mark)] = &[
    ("skip-remediation", Mark::SkipRemediation),
    ("paused", Mark::Paused),
    ("cluster.x-k8s.io/skip-remediation", Mark::SkipRemediation),
    ("cluster.x-k8s.io/paused", Mark::Paused),
];
const LABEL_CHOICES: &[(&str, Mark)] = &[
    ("exclude-from-remediation", Mark::ExcludeLabel),
    (
        "remediation.medik8s.io/exclude-from-remediation",
        Mark::ExcludeLabel,
    ),
];
/// Exclusions a fault may carry; the others are cluster-wide guards or
/// marks. `no-action`: an EKS `nodeRepairConfigOverrides` entry with
/// `repairAction: NoAction` for the fault's condition.
const FAULT_EXCLUSIONS: [Exclusion; 7] = [
    Exclusion::NetworkMisconfiguration,
    Exclusion::NeverRegistered,
    Exclusion::TaintShutdown,
    Exclusion::TaintToBeDeleted,
    Exclusion::Upgrading,
    Exclusion::NoAction,
    Exclusion::Unknown,
];

fn validate(cx: &Ctx, raw: RawScenario) -> Res<Scenario> {
    let name = cx.require(&raw.name, None, "", "name")?;
    let n = name.get_ref();
    if n.is_empty()
        || !n
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        || n.bytes().all(|b| b == b'.')
    {
        return Err(cx.at(name, "name", format!("bad name {n:?}: it names the output directory, so use only letters, digits, '.', '_' and '-' (e.g. \"zonal-outage\")")));
    }
    let seed = match &raw.seed {
        Some(s) => cx.int(s, "seed", 0, i64::MAX)? as u64,
        None => 0,
    };
    let start = match &raw.start {
        Some(s) => Epoch::parse(s.get_ref()).map_err(|e| cx.at(s, "start", e))?,
        None => Epoch::parse(DEFAULT_START).map_err(|e| cx.err(None, "start", e))?,
    };
    let h = cx.require(&raw.horizon, None, "", "horizon")?;
    let horizon = cx.duration_unbounded(h.get_ref(), h.span(), "horizon", false)?;
    if horizon.ms() > MAX_HORIZON {
        return Err(cx.at(
            h,
            "horizon",
            format!(
                "horizon {:?} is longer than the limit of 100 years (36500d)",
                h.get_ref()
            ),
        ));
    }

    let (policy, policy_overrides) =
        build_policy(cx, raw.policy.as_ref(), raw.kubernetes.as_ref())?;
    let event = policy.event_driven();
    let fleet = build_fleet(cx, raw.pools.as_ref(), event)?;
    let actions = build_actions(cx, raw.actions.as_ref())?;

    let mut faults = build_faults(cx, &raw)?;
    let fault_names: Vec<String> = faults.iter().map(|f| f.name.clone()).collect();
    let never_registered = build_never_registered(cx, &fleet, raw.never_registered.as_ref())?;

    let injections = raw
        .inject
        .iter()
        .enumerate()
        .map(|(i, r)| build_injection(cx, &fleet, &fault_names, horizon, i, r))
        .collect::<Res<Vec<_>>>()?;
    let arrivals = raw
        .failures
        .iter()
        .enumerate()
        .map(|(i, r)| build_arrivals(cx, &fleet, &fault_names, i, r))
        .collect::<Res<Vec<_>>>()?;
    check_arrival_count(cx, &raw.failures, &arrivals, horizon)?;
    let outages = build_outages(cx, &fleet, &fault_names, &raw.outages)?;
    let mut marks = Vec::new();
    for (i, t) in raw.taints.iter().enumerate() {
        marks.push(build_taint(cx, &fleet, i, t)?);
    }
    for (i, u) in raw.upgrades.iter().enumerate() {
        marks.push(build_upgrade(cx, &fleet, i, u)?);
    }
    for (i, a) in raw.annotations.iter().enumerate() {
        let r = a.get_ref();
        let w = MarkFields {
            table: "annotations",
            key: "annotation",
            value: &r.annotation,
            choices: ANNOTATION_CHOICES,
            from: &r.from,
            until: &r.until,
            node: &r.node,
            pool: &r.pool,
        };
        marks.push(build_mark(cx, &fleet, i, a.span(), &w)?);
    }
    for (i, ps) in raw.pauses.iter().enumerate() {
        marks.push(build_pause(cx, &fleet, &policy, i, ps)?);
    }
    for (i, x) in raw.exclusions.iter().enumerate() {
        let r = x.get_ref();
        let w = MarkFields {
            table: "exclusions",
            key: "reason",
            value: &r.reason,
            choices: &[("unknown", Mark::Unknown)],
            from: &r.from,
            until: &r.until,
            node: &r.node,
            pool: &r.pool,
        };
        marks.push(build_mark(cx, &fleet, i, x.span(), &w)?);
    }
    for (i, l) in raw.labels.iter().enumerate() {
        let r = l.get_ref();
        let w = MarkFields {
            table: "labels",
            key: "label",
            value: &r.label,
            choices: LABEL_CHOICES,
            from: &r.from,
            until: &r.until,
            node: &r.node,
            pool: &r.pool,
        };
        marks.push(build_mark(cx, &fleet, i, l.span(), &w)?);
    }

    if !never_registered.is_empty() {
        faults.push(Fault {
            name: NEVER_REGISTERED_FAULT.to_string(),
            signal: Signal::NoStatus,
            fixed_by: None,
            self_heal_after: None,
            exclude: Some(Exclusion::NeverRegistered),
            recorded: Vec::new(),
        });
    }

    Ok(Scenario {
        name: n.clone(),
        description: raw.description.unwrap_or_default(),
        seed,
        start,
        horizon,
        policy,
        policy_overrides,
        fleet,
        actions,
        faults,
        injections,
        arrivals,
        outages,
        marks,
        never_registered,
        content_hash: stable_hash(cx.sources[0].text),
        patches: vec![],
        warnings: vec![],
    })
}

fn build_policy(
    cx: &Ctx,
    raw: Option<&Spanned<RawPolicy>>,
    kube: Option<&Spanned<RawKubernetes>>,
) -> Res<(Policy, Vec<String>)> {
    let empty = RawPolicy::default();
    let rp = raw.map_or(&empty, |s| s.get_ref());
    let preset = match &rp.preset {
        Some(p) => Preset::parse(p.get_ref()).ok_or_else(|| {
            cx.at(
                p,
                "policy.preset",
                format!(
                    "unknown preset {:?}; valid presets: {}",
                    p.get_ref(),
                    Preset::names()
                ),
            )
        })?,
        None => Preset::DEFAULT,
    };
    let mut pol = Policy::preset(preset);
    // Every key given, applied in declaration order, so that a rule
    // between keys (a retry mode before its step timeouts) sees the
    // earlier one applied.
    let mut given: Vec<(&'static Setting, Section, &RawValue)> = Vec::new();
    for (section, values) in [
        (Section::Kubernetes, kube.map(|k| &k.get_ref().values)),
        (Section::Policy, Some(&rp.values)),
    ] {
        for (name, v) in values.into_iter().flatten() {
            if let Some(s) = spec::lookup(section, name) {
                given.push((s, section, v));
            }
        }
    }
    let rank = |s: &Setting| SETTINGS.iter().position(|t| t.name == s.name);
    given.sort_by_key(|(s, _, _)| rank(s));
    let keys: Vec<&'static str> = given.iter().map(|(s, _, _)| s.name).collect();
    // Detection is the preset's: no key changes it.
    let event = pol.event_driven();
    for &(setting, section, raw) in &given {
        let field = format!("{}.{}", section.name(), setting.name);
        if let Some(m) = spec::refusal(setting, preset) {
            return Err(cx.err(Some(raw.span()), field, m));
        }
        let Some(key) = setting.key else { continue };
        let value = read_value(cx, setting.name, key.ty, raw, &field, event)?;
        let given = spec::Given {
            preset,
            keys: &keys,
        };
        (key.set)(&mut pol, value, &given).map_err(|r| {
            let item = match (r.item, raw) {
                (Some(i), RawValue::List(l)) => l.get_ref().get(i).map(|x| (i, x.span())),
                _ => None,
            };
            match item {
                Some((i, span)) => cx.err(Some(span), index_path(&field, i), r.message),
                None => cx.err(Some(raw.span()), &field, r.message),
            }
        })?;
    }
    Ok((pol, keys.iter().map(|k| k.to_string()).collect()))
}

/// A value of a declared setting, read by its type.
/// `event`: the policy detects by condition timeouts.
fn read_value(
    cx: &Ctx,
    name: &str,
    ty: Type,
    raw: &RawValue,
    field: &str,
    event: bool,
) -> Res<Value> {
    Ok(match (ty, raw) {
        (Type::Duration { zero }, RawValue::Text(v)) => {
            Value::Duration(cx.duration(v, field, zero)?)
        }
        // "never": no check matches that condition status (a health
        // check that lists only the other one).
        (Type::DurationOrNever, RawValue::Text(v)) if v.get_ref() == "never" => Value::Never,
        (Type::DurationOrNever, RawValue::Text(v)) => Value::Duration(cx.duration(v, field, true)?),
        (Type::Choice(words), RawValue::Text(v)) => {
            let options: Vec<(&str, &'static str)> = words.iter().map(|w| (*w, *w)).collect();
            Value::Word(cx.choice(v, field, name, &options)?)
        }
        (Type::Int { lo, hi }, RawValue::Int(v)) => Value::Int(cx.int(v, field, lo, hi)?),
        (Type::Bool, RawValue::Bool(v)) => Value::Bool(*v.get_ref()),
        (Type::Ladder, RawValue::List(v)) => Value::Ladder(ladder(cx, v, field, event)?),
        (Type::Amount, RawValue::Any(v)) => Value::Amount(amount(cx, v, field)?),
        (Type::IntOrUnlimited, RawValue::Any(v)) => match v.get_ref() {
            toml::Value::Integer(n) if (1..=i64::from(u32::MAX)).contains(n) => Value::Int(*n),
            toml::Value::String(s) if s == "unlimited" => Value::Unlimited,
            other => {
                let found = match other {
                    toml::Value::String(s) => format!("{s:?}"),
                    toml::Value::Integer(n) => n.to_string(),
                    toml::Value::Float(x) => x.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    toml::Value::Array(_) => "an array".into(),
                    toml::Value::Table(_) => "a table".into(),
                    toml::Value::Datetime(d) => d.to_string(),
                };
                return Err(cx.at(
                    v,
                    field,
                    format!("expected an integer of at least 1 or \"unlimited\", found {found}"),
                ));
            }
        },
        (Type::Range, RawValue::Text(r)) => {
            let (lo, hi) = parse_range(r.get_ref()).ok_or_else(|| {
                cx.at(
                    r,
                    field,
                    format!(
                        "expected a range of unhealthy node counts such as \"[3-5]\" (both ends included), found {:?}",
                        r.get_ref()
                    ),
                )
            })?;
            Value::Range(lo, hi)
        }
        (Type::Durations, RawValue::List(v)) => {
            if v.get_ref().is_empty() {
                return Err(cx.at(
                    v,
                    field,
                    "list one timeout per escalation step, e.g. [\"300s\", \"30m\"]",
                ));
            }
            Value::Durations(
                v.get_ref()
                    .iter()
                    .enumerate()
                    .map(|(i, d)| cx.duration(d, &index_path(field, i), false))
                    .collect::<Res<_>>()?,
            )
        }
        // The raw shape is chosen from the type (`raw::RawValue`).
        _ => return Err(cx.err(Some(raw.span()), field, "a value of the wrong shape")),
    })
}

/// A node count (an integer of at least 0) or a percentage such as `"40%"`.
fn amount(cx: &Ctx, v: &Spanned<toml::Value>, field: &str) -> Res<crate::policy::rules::Amount> {
    use crate::policy::rules::Amount;
    let bad = |found: String| {
        cx.at(
            v,
            field,
            format!(
                "expected a node count (an integer of at least 0) or a percentage such as \"40%\", found {found}"
            ),
        )
    };
    match v.get_ref() {
        toml::Value::Integer(n) if (0..=i64::from(u32::MAX)).contains(n) => {
            Ok(Amount::Count(*n as u32))
        }
        toml::Value::String(s) => match s.strip_suffix('%').map(str::parse::<u32>) {
            Some(Ok(p)) if p <= 100 => Ok(Amount::Percent(p)),
            _ => Err(bad(format!("{s:?}"))),
        },
        other => Err(bad(other.to_string())),
    }
}

/// MHC's `unhealthyInRange`: `"[a-b]"` with `a <= b`.
pub(crate) fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.strip_prefix('[')?.strip_suffix(']')?.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

fn ladder(cx: &Ctx, v: &SList, field: &str, event: bool) -> Res<Vec<ActionKind>> {
    // Event-driven detection leaves an OS with an empty ladder alone.
    if v.get_ref().is_empty() && !event {
        return Err(cx.at(
            v,
            field,
            format!(
                "the ladder is empty; list at least one of {} (an empty ladder leaves nodes \
                 alone only under event-driven detection)",
                ACTION_CHOICES
                    .iter()
                    .map(|(n, _)| format!("{n:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    v.get_ref()
        .iter()
        .enumerate()
        .map(|(i, a)| cx.choice(a, &index_path(field, i), "action", ACTION_CHOICES))
        .collect()
}

/// `event`: the policy detects by condition timeouts (an empty ladder
/// then leaves the pool alone).
fn build_fleet(cx: &Ctx, raw: Option<&Spanned<Vec<Spanned<RawPool>>>>, event: bool) -> Res<Fleet> {
    let list: &[Spanned<RawPool>] = raw.map_or(&[], |r| r.get_ref());
    if list.is_empty() {
        return Err(cx.err(
            raw.map(|r| r.span()),
            "pools",
            "the fleet is empty; add at least one [[pools]] table, e.g. [[pools]] name = \"system\", os = \"linux\", count = 3",
        ));
    }
    let mut pools: Vec<Pool> = Vec::new();
    let mut names: Vec<Option<Vec<String>>> = Vec::new();
    let mut node_names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut total: u64 = 0;
    for (i, sp) in list.iter().enumerate() {
        let base = index_path("pools", i);
        let p = sp.get_ref();
        let name = cx.require(&p.name, Some(sp.span()), &base, "name")?;
        let n = name.get_ref();
        if n.is_empty()
            || !n
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(cx.at(name, key_path(&base, "name"), format!("bad pool name {n:?}: use only lowercase letters, digits and '-' (e.g. \"system\", \"zone-1\")")));
        }
        if let Some(j) = seen.insert(n.as_str(), i) {
            return Err(cx.at(name, key_path(&base, "name"), format!("duplicate pool name {n:?}: pools[{j}] already has it; pool names must be unique")));
        }
        let os = cx.choice(
            cx.require(&p.os, Some(sp.span()), &base, "os")?,
            &key_path(&base, "os"),
            "os",
            OS_CHOICES,
        )?;
        // A recorded cluster's pool lists its nodes by name.
        let given = match &p.nodes {
            None => None,
            Some(list) => {
                let field = key_path(&base, "nodes");
                if list.get_ref().is_empty() {
                    return Err(cx.at(
                        list,
                        field,
                        "the list is empty; name at least one node, or give `count` instead",
                    ));
                }
                let mut v = Vec::new();
                for (k, n) in list.get_ref().iter().enumerate() {
                    let t = n.get_ref();
                    if t.is_empty()
                        || t.len() > 253
                        || !t.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                        })
                    {
                        return Err(cx.at(n, index_path(&field, k), format!("bad node name {t:?}: a Kubernetes node name has lowercase letters, digits, '-' and '.' (e.g. \"aks-user-12345678-vmss000000\")")));
                    }
                    if !node_names.insert(t.clone()) {
                        return Err(cx.at(
                            n,
                            index_path(&field, k),
                            format!(
                                "duplicate node name {t:?}: node names must be unique in the fleet"
                            ),
                        ));
                    }
                    v.push(t.clone());
                }
                Some(v)
            }
        };
        let count = match (&p.count, &given) {
            (Some(c), Some(names)) => {
                let n = cx.int(c, &key_path(&base, "count"), 1, MAX_NODES as i64)? as usize;
                if n != names.len() {
                    return Err(cx.at(c, key_path(&base, "count"), format!("count {n} differs from the {} names in `nodes`; leave `count` out, or make them agree", names.len())));
                }
                n as u64
            }
            (None, Some(names)) => names.len() as u64,
            (c, None) => {
                let count_v = cx.require(c, Some(sp.span()), &base, "count")?;
                cx.int(count_v, &key_path(&base, "count"), 1, MAX_NODES as i64)? as u64
            }
        };
        total += count;
        if total > MAX_NODES {
            let (span, key) = match (&p.count, &p.nodes) {
                (Some(c), _) => (c.span(), "count"),
                (None, Some(l)) => (l.span(), "nodes"),
                (None, None) => (sp.span(), "count"),
            };
            return Err(cx.err(
                Some(span),
                key_path(&base, key),
                format!("the fleet would have {total} nodes, more than the limit of {MAX_NODES}"),
            ));
        }
        let ladder = match &p.ladder {
            Some(l) => Some(ladder(cx, l, &key_path(&base, "ladder"), event)?),
            None => None,
        };
        pools.push(Pool {
            name: n.clone(),
            os,
            count: count as u32,
            ladder,
        });
        names.push(given);
    }
    // A given name must not be another pool's `<pool>-<index>` either.
    let given: Vec<bool> = names.iter().map(Option::is_some).collect();
    let fleet = Fleet::named(pools, names);
    if let Some(n) = fleet
        .nodes
        .iter()
        .find(|n| !given[n.pool] && node_names.contains(&n.name))
    {
        let owner = list.iter().position(|sp| {
            sp.get_ref()
                .nodes
                .as_ref()
                .is_some_and(|l| l.get_ref().iter().any(|x| *x.get_ref() == n.name))
        });
        let span = owner.map(|i| list[i].span());
        return Err(cx.err(
            span,
            owner.map_or("pools".to_string(), |i| key_path(&index_path("pools", i), "nodes")),
            format!(
                "duplicate node name {:?}: pool {:?} names its nodes {}-0, {}-1, ...; node names must be unique in the fleet",
                n.name, fleet.pools[n.pool].name, fleet.pools[n.pool].name, fleet.pools[n.pool].name
            ),
        ));
    }
    Ok(fleet)
}

fn build_actions(cx: &Ctx, raw: Option<&Spanned<RawActions>>) -> Res<Actions> {
    let mut out = Actions::default();
    let Some(ra) = raw else { return Ok(out) };
    let ra = ra.get_ref();
    // In ActionKind order, so the first error is the same whatever the
    // file's key order.
    let given = [
        (
            ActionKind::Reboot,
            ra.reboot.as_ref().map(|r| r.get_ref().fields()),
        ),
        (
            ActionKind::Reimage,
            ra.reimage.as_ref().map(|r| r.get_ref().fields()),
        ),
        (
            ActionKind::Redeploy,
            ra.redeploy.as_ref().map(|r| r.get_ref().fields()),
        ),
        (
            ActionKind::Recreate,
            ra.recreate.as_ref().map(|r| r.get_ref().fields()),
        ),
        (
            ActionKind::Replace,
            ra.replace.as_ref().map(|r| r.get_ref().fields()),
        ),
        (
            ActionKind::SnrReboot,
            ra.snr_reboot.as_ref().map(|r| r.get_ref().fields()),
        ),
    ];
    for (kind, fields) in given {
        if let Some(fields) = fields {
            let base = format!("actions.{}", kind.name());
            apply_action(cx, &fields, &base, out.get_mut(kind))?;
        }
    }
    Ok(out)
}

/// One `[actions]` entry's keys, whatever its shape: one `duration`, or
/// two phases (`drain`/`vm`, `delete`/`provision`, PEERS.md section 0).
struct ActionFields<'a> {
    first: (&'static str, Option<&'a Spanned<RawDist>>),
    windows: Option<&'a Spanned<RawDist>>,
    second: Option<(&'static str, Option<&'a Spanned<RawDist>>)>,
    error_rate: Option<&'a Spanned<f64>>,
    error_codes: Option<&'a Spanned<super::raw::OrderedMap<SStr, Spanned<f64>>>>,
}

impl RawAction {
    fn fields(&self) -> ActionFields<'_> {
        ActionFields {
            first: ("duration", self.duration.as_ref()),
            windows: self.windows_duration.as_ref(),
            second: None,
            error_rate: self.error_rate.as_ref(),
            error_codes: self.error_codes.as_ref(),
        }
    }
}

impl RawRecreate {
    fn fields(&self) -> ActionFields<'_> {
        ActionFields {
            first: ("drain", self.drain.as_ref()),
            windows: None,
            second: Some(("vm", self.vm.as_ref())),
            error_rate: self.error_rate.as_ref(),
            error_codes: self.error_codes.as_ref(),
        }
    }
}

impl RawReplace {
    fn fields(&self) -> ActionFields<'_> {
        ActionFields {
            first: ("delete", self.delete.as_ref()),
            windows: None,
            second: Some(("provision", self.provision.as_ref())),
            error_rate: self.error_rate.as_ref(),
            error_codes: self.error_codes.as_ref(),
        }
    }
}

fn apply_action(cx: &Ctx, r: &ActionFields, base: &str, spec: &mut ActionSpec) -> Res<()> {
    if let (key, Some(d)) = r.first {
        spec.duration = dist(cx, d, &key_path(base, key))?;
    }
    if let Some(d) = r.windows {
        spec.windows_duration = Some(dist(cx, d, &key_path(base, "windows_duration"))?);
    }
    if let Some((key, Some(d))) = r.second {
        spec.second_phase = Some(dist(cx, d, &key_path(base, key))?);
    }
    if let Some(e) = r.error_rate {
        spec.error_rate = cx.number(
            e,
            &key_path(base, "error_rate"),
            0.0,
            false,
            1.0,
            "a probability from 0 to 1 (e.g. 0.02)",
        )?;
    }
    if let Some(codes) = r.error_codes {
        let field = key_path(base, "error_codes");
        let mut weights = vec![0.0; ERROR_CODES.len()];
        for (k, w) in &codes.get_ref().0 {
            let Some(i) = ERROR_CODES.iter().position(|c| *c == k.get_ref().as_str()) else {
                let known: Vec<String> = ERROR_CODES.iter().map(|c| format!("{c:?}")).collect();
                return Err(cx.at(
                    k,
                    key_path(&field, k.get_ref()),
                    format!(
                        "unknown error code {:?}; known codes: {}",
                        k.get_ref(),
                        known.join(", ")
                    ),
                ));
            };
            weights[i] = cx.number(
                w,
                &key_path(&field, k.get_ref()),
                0.0,
                false,
                MAX_ERROR_WEIGHT,
                "a weight of at least 0 and at most 1e9 (e.g. 2)",
            )?;
        }
        if weights.iter().all(|w| *w == 0.0) {
            return Err(cx.at(codes, field, "every weight is 0; give at least one error code a weight above 0, e.g. { \"VMExtensionProvisioningError\" = 1 }"));
        }
        spec.error_weights = weights;
    }
    Ok(())
}

/// A duration that may vary. Every value must be longer than 0s.
fn dist(cx: &Ctx, v: &Spanned<RawDist>, field: &str) -> Res<DurationDist> {
    let list = |l: &SList, f: &str| -> Res<Vec<SimDuration>> {
        l.get_ref()
            .iter()
            .enumerate()
            .map(|(i, s)| cx.duration(s, &index_path(f, i), false))
            .collect()
    };
    Ok(match v.get_ref() {
        RawDist::Fixed(s) => DurationDist::Fixed(cx.duration_text(s, v.span(), field, false)?),
        RawDist::Uniform(l) => {
            let f = key_path(field, "uniform");
            if l.get_ref().len() != 2 {
                return Err(cx.at(l, f, format!("uniform takes two durations [low, high], e.g. [\"8m\", \"12m\"]; found {} values", l.get_ref().len())));
            }
            let d = list(l, &f)?;
            if d[0] > d[1] {
                return Err(cx.at(
                    &l.get_ref()[1],
                    index_path(&f, 1),
                    format!(
                        "the high end {} is below the low end {}; write [low, high]",
                        d[1], d[0]
                    ),
                ));
            }
            DurationDist::Uniform(d[0], d[1])
        }
        RawDist::Exponential(s) => {
            DurationDist::Exponential(cx.duration(s, &key_path(field, "exponential"), false)?)
        }
        RawDist::LogNormal(t) => {
            let f = key_path(field, "lognormal");
            let median = cx.require(&t.get_ref().median, Some(t.span()), &f, "median")?;
            let median = cx.duration(median, &key_path(&f, "median"), false)?;
            let sigma = cx.require(&t.get_ref().sigma, Some(t.span()), &f, "sigma")?;
            let sigma = cx.number(
                sigma,
                &key_path(&f, "sigma"),
                0.0,
                false,
                MAX_SIGMA,
                "a finite number of at least 0 and at most 10 (e.g. 0.5)",
            )?;
            DurationDist::LogNormal { median, sigma }
        }
        RawDist::Empirical(l) => {
            let f = key_path(field, "empirical");
            if l.get_ref().is_empty() {
                return Err(cx.at(
                    l,
                    f,
                    "the list is empty; give at least one duration, e.g. [\"1m\", \"2m\", \"5m\"]",
                ));
            }
            DurationDist::Empirical(list(l, &f)?)
        }
    })
}

fn build_faults(cx: &Ctx, raw: &RawScenario) -> Res<Vec<Fault>> {
    let mut out: Vec<Fault> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, sf) in raw.faults.iter().enumerate() {
        let base = index_path("faults", i);
        let f = sf.get_ref();
        let name_v = cx.require(&f.name, Some(sf.span()), &base, "name")?;
        let name = name_v.get_ref();
        let nf = key_path(&base, "name");
        if name.trim().is_empty() {
            return Err(cx.at(
                name_v,
                nf,
                "the fault name is empty; name it, e.g. \"kubelet-hang\"",
            ));
        }
        if name == NEVER_REGISTERED_FAULT {
            return Err(cx.at(name_v, nf, "\"never-registered\" is reserved for the fault the loader adds for `never_registered` nodes; choose another name"));
        }
        if let Some(j) = seen.insert(name.clone(), i) {
            return Err(cx.at(name_v, nf, format!("duplicate fault name {name:?}: faults[{j}] already has it; fault names must be unique")));
        }
        let signal = cx.choice(
            cx.require(&f.signal, Some(sf.span()), &base, "signal")?,
            &key_path(&base, "signal"),
            "signal",
            SIGNAL_CHOICES,
        )?;
        let fixed_by = cx.choice(
            cx.require(&f.fixed_by, Some(sf.span()), &base, "fixed_by")?,
            &key_path(&base, "fixed_by"),
            "fixed_by",
            FIXED_BY_CHOICES,
        )?;
        let self_heal_after = match &f.self_heal_after {
            Some(d) => Some(dist(cx, d, &key_path(&base, "self_heal_after"))?),
            None => None,
        };
        let exclude = match &f.exclude {
            None => None,
            Some(e) => {
                let valid: Vec<&str> = FAULT_EXCLUSIONS.iter().map(|x| x.name()).collect();
                match Exclusion::parse(e.get_ref()) {
                    Some(x) if FAULT_EXCLUSIONS.contains(&x) => Some(x),
                    Some(x) => {
                        return Err(cx.at(e, key_path(&base, "exclude"), format!("{:?} is a cluster-wide guard, not a property of a fault; valid values: {}", x.name(), valid.join(", "))));
                    }
                    None => {
                        return Err(cx.at(
                            e,
                            key_path(&base, "exclude"),
                            format!(
                                "unknown exclusion {:?}; valid values: {}",
                                e.get_ref(),
                                valid.join(", ")
                            ),
                        ));
                    }
                }
            }
        };
        let recorded = match &f.actions {
            None => Vec::new(),
            Some(list) => recorded_actions(cx, list, &key_path(&base, "actions"))?,
        };
        out.push(Fault {
            name: name.clone(),
            signal,
            fixed_by,
            self_heal_after,
            exclude,
            recorded,
        });
    }
    Ok(out)
}

/// The kinds a recorded action may have: one phase, one duration.
const RECORDED_KINDS: [ActionKind; 4] = [
    ActionKind::Reboot,
    ActionKind::Reimage,
    ActionKind::Redeploy,
    ActionKind::SnrReboot,
];

/// `[[faults]] actions`: the recorded attempts of a history's episode.
fn recorded_actions(
    cx: &Ctx,
    list: &Spanned<Vec<Spanned<super::raw::RawRecorded>>>,
    field: &str,
) -> Res<Vec<RecordedAction>> {
    let mut out = Vec::new();
    for (i, r) in list.get_ref().iter().enumerate() {
        let base = index_path(field, i);
        let e = r.get_ref();
        let kind_v = cx.require(&e.kind, Some(r.span()), &base, "kind")?;
        let kind = RECORDED_KINDS
            .into_iter()
            .find(|k| k.name() == kind_v.get_ref())
            .ok_or_else(|| {
                let names: Vec<&str> = RECORDED_KINDS.iter().map(|k| k.name()).collect();
                cx.at(
                    kind_v,
                    key_path(&base, "kind"),
                    format!(
                        "{:?} is not a recorded action kind; valid values: {} (the one-phase kinds)",
                        kind_v.get_ref(),
                        names.join(", ")
                    ),
                )
            })?;
        let d = cx.require(&e.duration, Some(r.span()), &base, "duration")?;
        let duration = cx.duration(d, &key_path(&base, "duration"), false)?;
        let error = match &e.error {
            None => None,
            Some(c) if c.get_ref().is_empty() => Some(""),
            Some(c) => Some(
                ERROR_CODES
                    .into_iter()
                    .find(|k| *k == c.get_ref())
                    .ok_or_else(|| {
                        cx.at(
                            c,
                            key_path(&base, "error"),
                            format!(
                                "unknown error code {:?}; valid values: \"\" (an error without a code), {}",
                                c.get_ref(),
                                ERROR_CODES.join(", ")
                            ),
                        )
                    })?,
            ),
        };
        out.push(RecordedAction {
            kind,
            duration,
            error,
        });
    }
    Ok(out)
}

fn lookup_fault(cx: &Ctx, names: &[String], v: &SStr, field: &str) -> Res<FaultId> {
    names
        .iter()
        .position(|n| n == v.get_ref())
        .map(|i| i as FaultId)
        .ok_or_else(|| {
            if names.is_empty() {
                cx.at(
                    v,
                    field,
                    format!(
                        "unknown fault {:?}; no faults are defined: add a [[faults]] table",
                        v.get_ref()
                    ),
                )
            } else {
                cx.at(
                    v,
                    field,
                    format!(
                        "unknown fault {:?}; known faults: {}",
                        v.get_ref(),
                        names.join(", ")
                    ),
                )
            }
        })
}

fn describe_nodes(fleet: &Fleet) -> String {
    let parts: Vec<String> = (0..fleet.pools.len())
        .map(|i| {
            let r = fleet.pool_nodes(i);
            let first = &fleet.node(r.start).name;
            if r.len() == 1 {
                first.clone()
            } else {
                format!("{first}..{}", fleet.node(r.end - 1).name)
            }
        })
        .collect();
    parts.join(", ")
}

pub(crate) fn lookup_node(cx: &Ctx, fleet: &Fleet, v: &SStr, field: &str) -> Res<NodeId> {
    fleet.find(v.get_ref()).ok_or_else(|| {
        cx.at(
            v,
            field,
            format!(
                "unknown node {:?}; {}: {}",
                v.get_ref(),
                if fleet.has_given_names() {
                    "the nodes are"
                } else {
                    "nodes are named <pool>-<index>"
                },
                describe_nodes(fleet)
            ),
        )
    })
}

pub(crate) fn lookup_pool(cx: &Ctx, fleet: &Fleet, v: &SStr, field: &str) -> Res<usize> {
    fleet
        .pools
        .iter()
        .position(|p| p.name == *v.get_ref())
        .ok_or_else(|| {
            let names: Vec<&str> = fleet.pools.iter().map(|p| p.name.as_str()).collect();
            cx.at(
                v,
                field,
                format!(
                    "unknown pool {:?}; pools: {}",
                    v.get_ref(),
                    names.join(", ")
                ),
            )
        })
}

fn build_never_registered(cx: &Ctx, fleet: &Fleet, raw: Option<&SList>) -> Res<Vec<NodeId>> {
    let mut ids = Vec::new();
    let Some(list) = raw else { return Ok(ids) };
    let mut seen = HashSet::new();
    for (i, v) in list.get_ref().iter().enumerate() {
        let f = index_path("never_registered", i);
        let id = lookup_node(cx, fleet, v, &f)?;
        if !seen.insert(id) {
            return Err(cx.at(v, f, format!("node {:?} is listed twice", v.get_ref())));
        }
        ids.push(id);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// `node = ...` or `pool = ...`, exactly one. Returns the node, or the pool.
fn node_or_pool(
    cx: &Ctx,
    fleet: &Fleet,
    node: &Option<SStr>,
    pool: &Option<SStr>,
    table: Range<usize>,
    base: &str,
) -> Res<Result<NodeId, usize>> {
    match (node, pool) {
        (Some(n), None) => Ok(Ok(lookup_node(cx, fleet, n, &key_path(base, "node"))?)),
        (None, Some(p)) => Ok(Err(lookup_pool(cx, fleet, p, &key_path(base, "pool"))?)),
        (Some(_), Some(p)) => Err(cx.at(
            p,
            key_path(base, "pool"),
            "give exactly one of `node` or `pool`, not both",
        )),
        (None, None) => Err(cx.err(
            Some(table),
            base,
            "missing target: give exactly one of `node = \"system-0\"` or `pool = \"system\"`",
        )),
    }
}

fn build_injection(
    cx: &Ctx,
    fleet: &Fleet,
    faults: &[String],
    horizon: SimDuration,
    i: usize,
    si: &Spanned<RawInject>,
) -> Res<Injection> {
    let base = index_path("inject", i);
    let r = si.get_ref();
    let at_v = cx.require(&r.at, Some(si.span()), &base, "at")?;
    let at = cx.duration(at_v, &key_path(&base, "at"), true)?;
    if at >= horizon {
        return Err(cx.at(at_v, key_path(&base, "at"), format!("at {at} is not before the horizon {horizon}; injections must happen before the run ends")));
    }
    let fault = lookup_fault(
        cx,
        faults,
        cx.require(&r.fault, Some(si.span()), &base, "fault")?,
        &key_path(&base, "fault"),
    )?;
    let target = match node_or_pool(cx, fleet, &r.node, &r.pool, si.span(), &base)? {
        Ok(node) => {
            if let Some(c) = &r.count {
                return Err(cx.at(
                    c,
                    key_path(&base, "count"),
                    "`count` goes with `pool`, not with `node`",
                ));
            }
            Target::Node(node)
        }
        Err(pool) => {
            let size = fleet.pools[pool].count;
            let count = match &r.count {
                Some(c) => cx.int(c, &key_path(&base, "count"), 1, i64::from(size))? as u32,
                None => 1,
            };
            Target::Pool { pool, count }
        }
    };
    Ok(Injection {
        at: SimTime(at.ms()),
        fault,
        target,
    })
}

/// The pool indices a `pools = [...]` filter names.
fn pool_filter(cx: &Ctx, fleet: &Fleet, list: &SList, field: &str) -> Res<Vec<bool>> {
    let mut keep = vec![false; fleet.pools.len()];
    for (i, p) in list.get_ref().iter().enumerate() {
        keep[lookup_pool(cx, fleet, p, &index_path(field, i))?] = true;
    }
    Ok(keep)
}

fn build_arrivals(
    cx: &Ctx,
    fleet: &Fleet,
    faults: &[String],
    i: usize,
    sf: &Spanned<RawFailure>,
) -> Res<Arrivals> {
    let base = index_path("failures", i);
    let r = sf.get_ref();
    let fault = lookup_fault(
        cx,
        faults,
        cx.require(&r.fault, Some(sf.span()), &base, "fault")?,
        &key_path(&base, "fault"),
    )?;
    let mtbf_v = cx.require(&r.mtbf, Some(sf.span()), &base, "mtbf")?;
    let mtbf = cx.duration(mtbf_v, &key_path(&base, "mtbf"), false)?;
    if mtbf.ms() < MIN_MTBF {
        return Err(cx.at(
            mtbf_v,
            key_path(&base, "mtbf"),
            format!(
                "must be at least 1s, found {:?}; arrivals are drawn in whole seconds",
                mtbf_v.get_ref()
            ),
        ));
    }
    let keep = match &r.pools {
        Some(l) => pool_filter(cx, fleet, l, &key_path(&base, "pools"))?,
        None => vec![true; fleet.pools.len()],
    };
    let os = match &r.os {
        Some(o) => Some(cx.choice(o, &key_path(&base, "os"), "os", OS_CHOICES)?),
        None => None,
    };
    let nodes: Vec<NodeId> = fleet
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| keep[n.pool] && os.is_none_or(|o| n.os == o))
        .map(|(id, _)| id as NodeId)
        .collect();
    if nodes.is_empty() {
        return Err(cx.err(Some(sf.span()), base, "no node matches the `pools` and `os` filters; widen them or remove this [[failures]] entry"));
    }
    Ok(Arrivals { fault, mtbf, nodes })
}

/// Expected arrivals of one `[[failures]]` entry: nodes × horizon / mtbf.
fn expected_arrivals(a: &Arrivals, horizon: SimDuration) -> u128 {
    a.nodes.len() as u128 * u128::from(horizon.ms()) / u128::from(a.mtbf.ms().max(1))
}

/// Bounds the failure trace: the expected number of arrivals, summed over
/// the `[[failures]]` entries, must be at most [`MAX_ARRIVALS`]. The error
/// points at the `mtbf` of the largest contributor among the entries up to
/// the one that pushes the sum over.
fn check_arrival_count(
    cx: &Ctx,
    raw: &[Spanned<RawFailure>],
    arrivals: &[Arrivals],
    horizon: SimDuration,
) -> Res<()> {
    let mut total: u128 = 0;
    let mut largest: Option<(usize, u128)> = None;
    for (i, a) in arrivals.iter().enumerate() {
        let n = expected_arrivals(a, horizon);
        total += n;
        if largest.is_none_or(|(_, m)| n > m) {
            largest = Some((i, n));
        }
        if total <= u128::from(MAX_ARRIVALS) {
            continue;
        }
        let (j, n) = largest.unwrap_or((i, n));
        let r = raw[j].get_ref();
        let base = index_path("failures", j);
        let nodes = arrivals[j].nodes.len();
        let mtbf = arrivals[j].mtbf;
        let others = if total > n {
            format!(" ({} with the other [[failures]] entries)", approx(total))
        } else {
            String::new()
        };
        let message = format!(
            "mtbf {mtbf} on {nodes} node{} over the horizon {horizon} would generate about {} \
             fault arrivals per run{others}, more than the limit of {}; \
             use a longer mtbf, fewer nodes (`pools`, `os`) or a shorter horizon",
            if nodes == 1 { "" } else { "s" },
            approx(n),
            approx(u128::from(MAX_ARRIVALS)),
        );
        return Err(match &r.mtbf {
            Some(m) => cx.at(m, key_path(&base, "mtbf"), message),
            None => cx.err(Some(raw[j].span()), key_path(&base, "mtbf"), message),
        });
    }
    Ok(())
}

/// A count rounded to 2 significant digits, e.g. `260,000,000`.
fn approx(n: u128) -> String {
    let mut scale = 1u128;
    while n / scale >= 100 {
        scale *= 10;
    }
    let rounded = (n + scale / 2) / scale * scale;
    let digits = rounded.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn build_outages(
    cx: &Ctx,
    fleet: &Fleet,
    faults: &[String],
    raw: &[Spanned<RawOutage>],
) -> Res<Vec<Outage>> {
    let mut out: Vec<Outage> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, so) in raw.iter().enumerate() {
        let base = index_path("outages", i);
        let r = so.get_ref();
        let name = match &r.name {
            Some(n) => {
                if n.get_ref().trim().is_empty() {
                    return Err(cx.at(
                        n,
                        key_path(&base, "name"),
                        "the outage name is empty; leave it out for \"outage-N\" or name it",
                    ));
                }
                n.get_ref().clone()
            }
            None => format!("outage-{i}"),
        };
        if let Some(j) = seen.insert(name.clone(), i) {
            return Err(cx.err(
                Some(r.name.as_ref().map_or(so.span(), |n| n.span())),
                key_path(&base, "name"),
                format!("duplicate outage name {name:?}: outages[{j}] already has it"),
            ));
        }
        let at = cx.duration(
            cx.require(&r.at, Some(so.span()), &base, "at")?,
            &key_path(&base, "at"),
            true,
        )?;
        let duration = cx.duration(
            cx.require(&r.duration, Some(so.span()), &base, "duration")?,
            &key_path(&base, "duration"),
            false,
        )?;
        let fault = lookup_fault(
            cx,
            faults,
            cx.require(&r.fault, Some(so.span()), &base, "fault")?,
            &key_path(&base, "fault"),
        )?;
        let keep = match &r.pools {
            Some(l) => pool_filter(cx, fleet, l, &key_path(&base, "pools"))?,
            None => vec![true; fleet.pools.len()],
        };
        let candidates: Vec<NodeId> = fleet
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| keep[n.pool])
            .map(|(id, _)| id as NodeId)
            .collect();
        if candidates.is_empty() {
            return Err(cx.err(
                Some(so.span()),
                key_path(&base, "pools"),
                "the outage has no candidate nodes; list at least one pool",
            ));
        }
        let fraction = match &r.fraction {
            Some(f) => cx.number(
                f,
                &key_path(&base, "fraction"),
                0.0,
                true,
                1.0,
                "a fraction above 0 and at most 1 (e.g. 0.34)",
            )?,
            None => 1.0,
        };
        out.push(Outage {
            name,
            at: SimTime(at.ms()),
            duration,
            fault,
            candidates,
            fraction,
        });
    }
    Ok(out)
}

fn window_nodes(fleet: &Fleet, target: Result<NodeId, usize>) -> Vec<NodeId> {
    match target {
        Ok(n) => vec![n],
        Err(p) => fleet.pool_nodes(p).collect(),
    }
}

/// `from` and `until`; `until` must be after `from`.
fn window(
    cx: &Ctx,
    from: &Option<SStr>,
    until: &Option<SStr>,
    until_required: bool,
    table: Range<usize>,
    base: &str,
) -> Res<(SimTime, Option<SimTime>)> {
    let from = cx.duration(
        cx.require(from, Some(table.clone()), base, "from")?,
        &key_path(base, "from"),
        true,
    )?;
    let until_v = if until_required {
        Some(cx.require(until, Some(table), base, "until")?)
    } else {
        until.as_ref()
    };
    let until = match until_v {
        Some(u) => {
            let t = cx.duration(u, &key_path(base, "until"), true)?;
            if t <= from {
                return Err(cx.at(
                    u,
                    key_path(base, "until"),
                    format!("until {t} is not after from {from}"),
                ));
            }
            Some(SimTime(t.ms()))
        }
        None => None,
    };
    Ok((SimTime(from.ms()), until))
}

fn build_taint(cx: &Ctx, fleet: &Fleet, i: usize, st: &Spanned<RawTaint>) -> Res<MarkWindow> {
    let r = st.get_ref();
    let w = MarkFields {
        table: "taints",
        key: "taint",
        value: &r.taint,
        choices: TAINT_CHOICES,
        from: &r.from,
        until: &r.until,
        node: &r.node,
        pool: &r.pool,
    };
    build_mark(cx, fleet, i, st.span(), &w)
}

/// The keys of a `[[taints]]`, `[[annotations]]` or `[[labels]]` entry.
struct MarkFields<'a> {
    table: &'static str,
    /// The key that names the mark (`taint`, `annotation`, `label`).
    key: &'static str,
    value: &'a Option<SStr>,
    choices: &'static [(&'static str, Mark)],
    from: &'a Option<SStr>,
    until: &'a Option<SStr>,
    node: &'a Option<SStr>,
    pool: &'a Option<SStr>,
}

fn build_mark(
    cx: &Ctx,
    fleet: &Fleet,
    i: usize,
    span: Range<usize>,
    w: &MarkFields,
) -> Res<MarkWindow> {
    let base = index_path(w.table, i);
    let mark = cx.choice(
        cx.require(w.value, Some(span.clone()), &base, w.key)?,
        &key_path(&base, w.key),
        w.key,
        w.choices,
    )?;
    let (from, until) = window(cx, w.from, w.until, false, span.clone(), &base)?;
    let target = node_or_pool(cx, fleet, w.node, w.pool, span, &base)?;
    Ok(MarkWindow {
        mark,
        nodes: window_nodes(fleet, target),
        from,
        until,
    })
}

/// A paused health check: a pool's MachineHealthCheck, or (no pool) every
/// node, as one NodeHealthCheck covers them.
fn build_pause(
    cx: &Ctx,
    fleet: &Fleet,
    policy: &Policy,
    i: usize,
    sp: &Spanned<RawPause>,
) -> Res<MarkWindow> {
    let base = index_path("pauses", i);
    let r = sp.get_ref();
    if let (Some(p), crate::policy::rules::Detection::Event(d)) = (&r.pool, policy.detection)
        && d.unit == crate::policy::rules::EvalUnit::Cluster
    {
        return Err(cx.at(
            p,
            key_path(&base, "pool"),
            format!(
                "preset {} runs one health check over every node, so its pause covers them \
                 all; leave `pool` out",
                policy.preset.name()
            ),
        ));
    }
    let (from, until) = window(cx, &r.from, &r.until, false, sp.span(), &base)?;
    let nodes = match &r.pool {
        Some(p) => window_nodes(
            fleet,
            Err(lookup_pool(cx, fleet, p, &key_path(&base, "pool"))?),
        ),
        None => (0..fleet.len() as NodeId).collect(),
    };
    Ok(MarkWindow {
        mark: Mark::CheckPaused,
        nodes,
        from,
        until,
    })
}

fn build_upgrade(cx: &Ctx, fleet: &Fleet, i: usize, su: &Spanned<RawUpgrade>) -> Res<MarkWindow> {
    let base = index_path("upgrades", i);
    let r = su.get_ref();
    let (from, until) = window(cx, &r.from, &r.until, true, su.span(), &base)?;
    let target = node_or_pool(cx, fleet, &r.node, &r.pool, su.span(), &base)?;
    Ok(MarkWindow {
        mark: Mark::Upgrading,
        nodes: window_nodes(fleet, target),
        from,
        until,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::{DelayAnchor, EventWording, RetryMode};
    use proptest::prelude::*;

    /// The quickstart scenario without its comments.
    pub(crate) const BASE: &str = r#"name = "t"
seed = 7
start = "2026-01-01T00:00:00Z"
horizon = "2d"

[policy]
preset = "aks-2024-08"

[[pools]]
name = "system"
os = "linux"
count = 3

[[pools]]
name = "win"
os = "windows"
count = 2

[actions]
reboot = { duration = "4m" }
reimage = { duration = { uniform = ["8m", "12m"] } }
redeploy = { duration = "15m", error_rate = 0.0 }

[[faults]]
name = "kubelet-hang"
signal = "not-ready"
fixed_by = "reboot"

[[faults]]
name = "host-hardware"
signal = "no-status"
fixed_by = "redeploy"

[[inject]]
at = "1h00m35s"
node = "system-0"
fault = "kubelet-hang"

[[inject]]
at = "3h00m30s"
node = "win-1"
fault = "host-hardware"

[[failures]]
fault = "kubelet-hang"
mtbf = "30d"
pools = ["system"]
"#;

    /// BASE with the first occurrence of `from` replaced by `to`.
    fn with(from: &str, to: &str) -> String {
        assert!(BASE.contains(from), "{from:?} is not in BASE");
        BASE.replacen(from, to, 1)
    }

    fn load(text: &str) -> Result<Scenario, ScenarioError> {
        load_str("t.toml", text)
    }

    fn fail(text: &str) -> ScenarioError {
        match load(text) {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    }

    /// 1-based line and column of the `nth` (0-based) occurrence of `needle`.
    pub(crate) fn pos(text: &str, needle: &str, nth: usize) -> (Option<usize>, Option<usize>) {
        let off = text
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle:?} not found"))
            .0;
        let (l, c) = line_col(text, off);
        (Some(l), Some(c))
    }

    /// Asserts the error's file, position (the `nth` `needle`), field and a
    /// phrase of its message.
    fn check(text: &str, needle: &str, nth: usize, field: &str, phrase: &str) -> ScenarioError {
        let e = fail(text);
        assert_eq!(e.file, "t.toml", "{e}");
        assert_eq!((e.line, e.column), pos(text, needle, nth), "{e}");
        assert_eq!(e.field, field, "{e}");
        assert!(
            e.message.contains(phrase),
            "message {:?} lacks {phrase:?}",
            e.message
        );
        e
    }

    #[test]
    fn base_loads_into_the_expected_scenario() {
        let s = load(BASE).unwrap();
        assert_eq!(s.name, "t");
        assert_eq!(s.seed, 7);
        assert_eq!(s.start, Epoch::parse("2026-01-01T00:00:00Z").unwrap());
        assert_eq!(s.horizon, SimDuration(2 * crate::time::DAY));
        assert_eq!(s.policy, Policy::preset(Preset::Aks2024_08));
        assert!(s.policy_overrides.is_empty());
        assert_eq!(s.fleet.len(), 5);
        assert_eq!(s.fleet.nodes[4].name, "win-1");
        assert_eq!(
            s.actions.reboot.duration,
            DurationDist::Fixed(SimDuration::from_mins(4))
        );
        assert_eq!(
            s.actions.reimage.duration,
            DurationDist::Uniform(SimDuration::from_mins(8), SimDuration::from_mins(12))
        );
        assert_eq!(s.actions.redeploy, Actions::default().redeploy);
        assert_eq!(s.faults.len(), 2);
        assert_eq!(s.faults[1].signal, Signal::NoStatus);
        assert_eq!(s.faults[1].fixed_by, Some(ActionKind::Redeploy));
        assert_eq!(
            s.injections,
            vec![
                Injection {
                    at: SimTime(3_635_000),
                    fault: 0,
                    target: Target::Node(0)
                },
                Injection {
                    at: SimTime(10_830_000),
                    fault: 1,
                    target: Target::Node(4)
                },
            ]
        );
        assert_eq!(
            s.arrivals,
            vec![Arrivals {
                fault: 0,
                mtbf: SimDuration(30 * crate::time::DAY),
                nodes: vec![0, 1, 2]
            }]
        );
        assert!(s.outages.is_empty() && s.marks.is_empty() && s.never_registered.is_empty());
        assert_eq!(s.content_hash, stable_hash(BASE));
    }

    #[test]
    fn every_shipped_scenario_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let s = load_file(&path).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    Some(s.name.as_str()),
                    path.file_stem().and_then(|s| s.to_str()),
                    "name = file name"
                );
                n += 1;
            }
        }
        assert!(n >= 11, "only {n} scenarios in {}", dir.display());
        load_str("default.toml", super::super::DEFAULT_SCENARIO).unwrap();
    }

    #[test]
    fn quickstart_body_is_exactly_the_documented_one() {
        let q = include_str!("../../scenarios/quickstart.toml");
        let body: String = q
            .lines()
            .skip_while(|l| l.starts_with('#') || l.is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        let expected = BASE
            .replacen("name = \"t\"", "name = \"quickstart\"", 1)
            .replacen(
                "[[failures]]\n",
                "[[failures]]            # stochastic arrivals on every node of the listed pools\n",
                1,
            );
        assert_eq!(body, expected);
    }

    #[test]
    fn worked_examples_use_the_section_5_parameters() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for (file, at, signal, fixed_by) in [
            (
                "example-1-reboot.toml",
                3_635_000,
                Signal::NotReady,
                Some(ActionKind::Reboot),
            ),
            (
                "example-2-reimage.toml",
                10_830_000,
                Signal::NoStatus,
                Some(ActionKind::Reimage),
            ),
            ("example-3-timeout.toml", 10_830_000, Signal::NoStatus, None),
        ] {
            let s = load_file(&dir.join(file)).unwrap();
            assert_eq!(s.policy, Policy::preset(Preset::Aks2024_08), "{file}");
            assert_eq!(s.actions, Actions::default(), "{file}");
            assert_eq!(s.horizon, SimDuration::from_hours(6), "{file}");
            assert_eq!(s.fleet.len(), 3, "{file}");
            assert!(s.fleet.nodes.iter().all(|n| n.os == Os::Linux), "{file}");
            assert!(
                s.arrivals.is_empty() && s.outages.is_empty() && s.marks.is_empty(),
                "{file}"
            );
            assert_eq!(
                s.injections,
                vec![Injection {
                    at: SimTime(at),
                    fault: 0,
                    target: Target::Node(0)
                }],
                "{file}"
            );
            assert_eq!(s.fleet.nodes[0].name, "pool-0");
            assert_eq!(
                (s.faults[0].signal, s.faults[0].fixed_by),
                (signal, fixed_by),
                "{file}"
            );
            assert_eq!(s.faults[0].self_heal_after, None);
        }
    }

    #[test]
    fn zonal_outage_variants_differ_only_in_concurrency() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let a = load_file(&dir.join("zonal-outage-serial.toml")).unwrap();
        let b = load_file(&dir.join("zonal-outage-unlimited.toml")).unwrap();
        assert_eq!(a.policy.max_concurrent_repairs, Some(1));
        assert_eq!(b.policy.max_concurrent_repairs, None);
        let strip = |s: Scenario| Scenario {
            name: String::new(),
            policy: Policy::preset(Preset::DEFAULT),
            content_hash: 0,
            ..s
        };
        assert_eq!(strip(a), strip(b));
    }

    #[test]
    fn exclusions_scenario_covers_every_fault_level_reason() {
        let s = load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/exclusions.toml"))
            .unwrap();
        assert!(
            s.faults
                .iter()
                .any(|f| f.exclude == Some(Exclusion::NetworkMisconfiguration))
        );
        assert!(!s.never_registered.is_empty());
        for m in [Mark::TaintShutdown, Mark::TaintToBeDeleted, Mark::Upgrading] {
            assert!(s.marks.iter().any(|w| w.mark == m), "{m:?}");
        }
        assert!(
            s.outages
                .iter()
                .any(|o| o.candidates.len() == s.fleet.len() && o.fraction == 1.0)
        );
    }

    // --- the errors the brief lists, one test each ---

    #[test]
    fn malformed_toml() {
        let t = with("[[pools]]\nname = \"win\"", "[[pools]\nname = \"win\"");
        let e = fail(&t);
        assert_eq!(e.file, "t.toml");
        assert_eq!(e.line, Some(14));
        assert!(e.column.is_some());
        assert_eq!(e.field, "");
        assert!(e.message.starts_with("invalid TOML"), "{e}");
    }

    #[test]
    fn a_date_time_where_a_table_goes_names_no_internal_key() {
        let t = with("seed = 7\n", "seed = 7\noutages = [1979-05-27]\n");
        let e = fail(&t);
        assert_eq!(e.field, "outages[0]");
        assert_eq!(
            e.message,
            "expected a table, found the TOML date-time 1979-05-27"
        );
        assert!(!e.to_string().contains("$__toml"), "{e}");
    }

    #[test]
    fn unknown_key_at_top_level() {
        let t = with("seed = 7\n", "seed = 7\nsede = 8\n");
        check(
            &t,
            "sede",
            0,
            "sede",
            "unknown key \"sede\"; valid keys: name, description, seed, start, horizon",
        );
    }

    #[test]
    fn unknown_key_in_policy() {
        let t = with(
            "preset = \"aks-2024-08\"\n",
            "preset = \"aks-2024-08\"\nrepair_dealy = \"5m\"\n",
        );
        let e = check(
            &t,
            "repair_dealy",
            0,
            "policy.repair_dealy",
            "unknown key \"repair_dealy\"",
        );
        for k in spec::POLICY_FIELDS {
            assert!(e.message.contains(k), "{k} missing from {e}");
        }
    }

    #[test]
    fn unknown_key_in_fault() {
        let t = with(
            "fixed_by = \"redeploy\"\n",
            "fixed_by = \"redeploy\"\nfixed = true\n",
        );
        check(
            &t,
            "fixed =",
            0,
            "faults[1].fixed",
            "unknown key \"fixed\"; valid keys: name, signal, fixed_by, self_heal_after, exclude",
        );
    }

    #[test]
    fn a_pool_may_name_its_nodes() {
        let t = with(
            "name = \"win\"\nos = \"windows\"\ncount = 2",
            "name = \"win\"\nos = \"windows\"\nnodes = [\"akswin000000\", \"akswin000001\"]",
        )
        .replace("\"win-1\"", "\"akswin000001\"");
        let s = load(&t).unwrap();
        assert_eq!(s.fleet.pools[1].count, 2);
        assert_eq!(s.fleet.node(4).name, "akswin000001");
        assert_eq!(s.fleet.find("akswin000000"), Some(3));
        assert_eq!(s.fleet.find("system-2"), Some(2));
        assert_eq!(
            s.fleet.find("win-0"),
            None,
            "a named pool has no POOL-INDEX names"
        );
        check(
            &t.replace("\"akswin000001\"]", "\"akswin000001\"]\ncount = 3"),
            "3\n\n[actions]",
            0,
            "pools[1].count",
            "count 3 differs from the 2 names in `nodes`",
        );
        check(
            &t.replace("\"akswin000001\"", "\"akswin000000\""),
            "\"akswin000000\"",
            1,
            "pools[1].nodes[1]",
            "duplicate node name \"akswin000000\"",
        );
        check(
            &t.replace("\"akswin000001\"", "\"AKS_win\""),
            "\"AKS_win\"",
            0,
            "pools[1].nodes[1]",
            "bad node name \"AKS_win\"",
        );
        let e = fail(&t.replace("\"akswin000001\"", "\"system-1\""));
        assert!(
            e.message
                .contains("duplicate node name \"system-1\": pool \"system\" names its nodes"),
            "{e}"
        );
    }

    #[test]
    fn recorded_actions_of_a_fault() {
        let t = with(
            "fixed_by = \"redeploy\"\n",
            "fixed_by = \"redeploy\"\nactions = [{ kind = \"reboot\", duration = \"138ms\" }, { kind = \"redeploy\", duration = \"120ms\", error = \"\" }, { kind = \"reboot\", duration = \"4m\", error = \"InvalidParameter\" }]\n",
        );
        let s = load(&t).unwrap();
        let f = &s.faults[1];
        assert_eq!(f.recorded.len(), 3);
        assert_eq!(
            f.recorded(ActionKind::Reboot, 0).unwrap().duration.ms(),
            138
        );
        let second = f.recorded(ActionKind::Reboot, 1).unwrap();
        assert_eq!(
            (second.duration.ms(), second.error),
            (240_000, Some("InvalidParameter"))
        );
        assert_eq!(f.recorded(ActionKind::Redeploy, 0).unwrap().error, Some(""));
        assert_eq!(f.recorded(ActionKind::Reboot, 2), None);
        check(
            &t.replace("\"InvalidParameter\"", "\"Oops\""),
            "\"Oops\"",
            0,
            "faults[1].actions[2].error",
            "unknown error code \"Oops\"; valid values: \"\" (an error without a code), VMExtensionProvisioningError",
        );
        check(
            &t.replace("kind = \"redeploy\"", "kind = \"replace\""),
            "\"replace\"",
            0,
            "faults[1].actions[1].kind",
            "\"replace\" is not a recorded action kind; valid values: reboot, reimage, redeploy, snr-reboot",
        );
        check(
            &t.replace(", duration = \"4m\"", ""),
            "{ kind = \"reboot\", error",
            0,
            "faults[1].actions[2].duration",
            "duration",
        );
    }

    #[test]
    fn unknown_key_in_inline_table() {
        let t = with(
            "reboot = { duration = \"4m\" }",
            "reboot = { duraton = \"4m\" }",
        );
        check(
            &t,
            "duraton",
            0,
            "actions.reboot.duraton",
            "valid keys: duration, windows_duration, error_rate, error_codes",
        );
    }

    #[test]
    fn wrong_type() {
        let t = with("count = 3", "count = \"three\"");
        check(
            &t,
            "\"three\"",
            0,
            "pools[0].count",
            "expected an integer, found string \"three\"",
        );
    }

    #[test]
    fn bad_duration_string() {
        let t = with("at = \"3h00m30s\"", "at = \"3h00x30s\"");
        check(
            &t,
            "\"3h00x30s\"",
            0,
            "inject[1].at",
            "bad duration \"3h00x30s\"",
        );
    }

    #[test]
    fn zero_horizon() {
        let t = with("horizon = \"2d\"", "horizon = \"0s\"");
        check(&t, "\"0s\"", 0, "horizon", "must be longer than 0s");
    }

    #[test]
    fn zero_action_duration() {
        let t = with(
            "reboot = { duration = \"4m\" }",
            "reboot = { duration = \"0s\" }",
        );
        check(
            &t,
            "\"0s\"",
            0,
            "actions.reboot.duration",
            "must be longer than 0s",
        );
        let t = with("[\"8m\", \"12m\"]", "[\"0s\", \"12m\"]");
        check(
            &t,
            "\"0s\"",
            0,
            "actions.reimage.duration.uniform[0]",
            "must be longer than 0s",
        );
    }

    #[test]
    fn zero_mtbf() {
        let t = with("mtbf = \"30d\"", "mtbf = \"0s\"");
        check(
            &t,
            "\"0s\"",
            0,
            "failures[0].mtbf",
            "must be longer than 0s",
        );
    }

    #[test]
    fn negative_count() {
        let t = with("count = 2", "count = -1");
        check(
            &t,
            "-1",
            0,
            "pools[1].count",
            "expected an integer from 1 to 1000000, found -1",
        );
    }

    #[test]
    fn error_rate_above_one() {
        let t = with("error_rate = 0.0", "error_rate = 1.5");
        check(
            &t,
            "1.5",
            0,
            "actions.redeploy.error_rate",
            "expected a probability from 0 to 1",
        );
    }

    #[test]
    fn unknown_fault_in_inject() {
        let t = with(
            "fault = \"kubelet-hang\"\n\n[[inject]]",
            "fault = \"kubelet-hng\"\n\n[[inject]]",
        );
        check(
            &t,
            "\"kubelet-hng\"",
            0,
            "inject[0].fault",
            "unknown fault \"kubelet-hng\"; known faults: kubelet-hang, host-hardware",
        );
    }

    #[test]
    fn unknown_node() {
        let t = with("node = \"win-1\"", "node = \"win-2\"");
        check(
            &t,
            "\"win-2\"",
            0,
            "inject[1].node",
            "unknown node \"win-2\"; nodes are named <pool>-<index>: system-0..system-2, win-0..win-1",
        );
    }

    #[test]
    fn unknown_pool() {
        let t = with("pools = [\"system\"]", "pools = [\"system\", \"sytem\"]");
        check(
            &t,
            "\"sytem\"",
            0,
            "failures[0].pools[1]",
            "unknown pool \"sytem\"; pools: system, win",
        );
        let t = with("node = \"win-1\"", "pool = \"windows\"");
        check(
            &t,
            "\"windows\"",
            1,
            "inject[1].pool",
            "unknown pool \"windows\"",
        );
    }

    #[test]
    fn unknown_preset() {
        let t = with("preset = \"aks-2024-08\"", "preset = \"aks-2025-01\"");
        check(
            &t,
            "\"aks-2025-01\"",
            0,
            "policy.preset",
            "unknown preset \"aks-2025-01\"; valid presets: aks-2020-08, aks-2021-09, aks-2023-09, aks-2024-08, aks-observed-2026",
        );
    }

    #[test]
    fn empty_fleet() {
        let t = "name = \"t\"\nhorizon = \"1d\"\n";
        let e = fail(t);
        assert_eq!(
            (e.file.as_str(), e.line, e.column, e.field.as_str()),
            ("t.toml", None, None, "pools")
        );
        assert!(e.message.contains("the fleet is empty"), "{e}");
        assert_eq!(e.to_string(), format!("t.toml: pools: {}", e.message));
        let t = "name = \"t\"\nhorizon = \"1d\"\npools = []\n";
        check(t, "[]", 0, "pools", "the fleet is empty");
    }

    #[test]
    fn horizon_over_100_years() {
        let t = with("horizon = \"2d\"", "horizon = \"36501d\"");
        check(
            &t,
            "\"36501d\"",
            0,
            "horizon",
            "longer than the limit of 100 years",
        );
        let t = with("horizon = \"2d\"", "horizon = \"36500d\"");
        assert!(load(&t).is_ok());
    }

    // --- limits that keep accepted input from hanging, panicking or
    // exhausting memory ---

    #[test]
    fn every_duration_is_at_most_100_years() {
        let policy = |key: &str| {
            with(
                "preset = \"aks-2024-08\"\n",
                &format!("preset = \"aks-2024-08\"\n{key} = \"36501d\"\n"),
            )
        };
        let kube = |key: &str| format!("{BASE}\n[kubernetes]\n{key} = \"36501d\"\n");
        let reboot = |d: &str| {
            with(
                "reboot = { duration = \"4m\" }",
                &format!("reboot = {{ {d} }}"),
            )
        };
        let extra = |table: &str| format!("{BASE}\n{table}\n");
        let mut cases: Vec<(String, String)> = Vec::new();
        for key in [
            "check_interval",
            "detect_window",
            "no_status_timeout",
            "repair_delay",
            "settle",
            "overall_timeout",
            "event_ttl",
        ] {
            cases.push((policy(key), format!("policy.{key}")));
        }
        for key in spec::KUBERNETES_FIELDS {
            cases.push((kube(key), format!("kubernetes.{key}")));
        }
        cases.extend([
            (
                reboot("duration = \"36501d\""),
                "actions.reboot.duration".to_string(),
            ),
            (
                reboot("windows_duration = \"36501d\""),
                "actions.reboot.windows_duration".to_string(),
            ),
            (
                reboot("duration = { uniform = [\"1m\", \"36501d\"] }"),
                "actions.reboot.duration.uniform[1]".to_string(),
            ),
            (
                reboot("duration = { exponential = \"36501d\" }"),
                "actions.reboot.duration.exponential".to_string(),
            ),
            (
                reboot("duration = { lognormal = { median = \"36501d\", sigma = 1 } }"),
                "actions.reboot.duration.lognormal.median".to_string(),
            ),
            (
                reboot("duration = { empirical = [\"1m\", \"36501d\"] }"),
                "actions.reboot.duration.empirical[1]".to_string(),
            ),
            (
                with(
                    "fixed_by = \"redeploy\"",
                    "fixed_by = \"redeploy\"\nself_heal_after = { exponential = \"36501d\" }",
                ),
                "faults[1].self_heal_after.exponential".to_string(),
            ),
            (
                with("mtbf = \"30d\"", "mtbf = \"36501d\""),
                "failures[0].mtbf".to_string(),
            ),
            (
                with("at = \"3h00m30s\"", "at = \"36501d\""),
                "inject[1].at".to_string(),
            ),
            (
                extra("[[outages]]\nat = \"36501d\"\nduration = \"1h\"\nfault = \"kubelet-hang\""),
                "outages[0].at".to_string(),
            ),
            (
                extra("[[outages]]\nat = \"1h\"\nduration = \"36501d\"\nfault = \"kubelet-hang\""),
                "outages[0].duration".to_string(),
            ),
            (
                extra("[[taints]]\ntaint = \"shutdown\"\nnode = \"system-1\"\nfrom = \"36501d\""),
                "taints[0].from".to_string(),
            ),
            (
                extra("[[taints]]\ntaint = \"shutdown\"\nnode = \"system-1\"\nfrom = \"1h\"\nuntil = \"36501d\""),
                "taints[0].until".to_string(),
            ),
            (
                extra("[[upgrades]]\npool = \"win\"\nfrom = \"36501d\"\nuntil = \"36502d\""),
                "upgrades[0].from".to_string(),
            ),
            (
                extra("[[upgrades]]\npool = \"win\"\nfrom = \"1h\"\nuntil = \"36501d\""),
                "upgrades[0].until".to_string(),
            ),
        ]);
        for (text, field) in &cases {
            check(
                text,
                "\"36501d\"",
                0,
                field,
                "must be at most 100 years (36500d), found \"36501d\"",
            );
        }
        // Too large for u64 milliseconds is still a duration error, not a panic.
        check(
            &policy("settle").replace("36501d", "99999999999999d"),
            "\"99999999999999d\"",
            0,
            "policy.settle",
            "too large",
        );
        // Exactly 100 years is allowed.
        for text in [
            policy("settle").replace("36501d", "36500d"),
            kube("not_ready_toleration").replace("36501d", "36500d"),
            reboot("duration = { lognormal = { median = \"36500d\", sigma = 1 } }"),
            with("mtbf = \"30d\"", "mtbf = \"36500d\""),
        ] {
            load(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
        // The horizon keeps its own wording.
        check(
            &with("horizon = \"2d\"", "horizon = \"99999d\""),
            "\"99999d\"",
            0,
            "horizon",
            "longer than the limit of 100 years (36500d)",
        );
    }

    #[test]
    fn lognormal_sigma_is_at_most_10() {
        let r = |sigma: &str| {
            with(
                "reboot = { duration = \"4m\" }",
                &format!(
                    "reboot = {{ duration = {{ lognormal = {{ median = \"1m\", sigma = {sigma} }} }} }}"
                ),
            )
        };
        for bad in ["10.5", "1e300", "inf"] {
            check(
                &r(bad),
                bad,
                0,
                "actions.reboot.duration.lognormal.sigma",
                "a finite number of at least 0 and at most 10",
            );
        }
        for good in ["10", "10.0", "0"] {
            load(&r(good)).unwrap();
        }
    }

    #[test]
    fn error_code_weights_are_at_most_1e9() {
        let t = |w: &str| {
            with(
                "error_rate = 0.0",
                &format!(
                    "error_rate = 0.5, error_codes = {{ \"InvalidParameter\" = 1, \"VMRedeploymentFailed\" = {w} }}"
                ),
            )
        };
        for bad in ["1e10", "1.7976931348623157e308", "inf", "nan"] {
            check(
                &t(bad),
                bad,
                0,
                "actions.redeploy.error_codes.VMRedeploymentFailed",
                "at most 1e9",
            );
        }
        let s = load(&t("1e9")).unwrap();
        assert!(
            s.actions
                .redeploy
                .error_weights
                .iter()
                .sum::<f64>()
                .is_finite()
        );
    }

    #[test]
    fn mtbf_is_at_least_one_second() {
        for bad in ["500ms", "999ms", "1ms"] {
            check(
                &with("mtbf = \"30d\"", &format!("mtbf = \"{bad}\"")),
                &format!("\"{bad}\""),
                0,
                "failures[0].mtbf",
                "must be at least 1s",
            );
        }
        let s = load(&with("mtbf = \"30d\"", "mtbf = \"1s\"")).unwrap();
        assert_eq!(s.arrivals[0].mtbf, SimDuration::from_secs(1));
    }

    #[test]
    fn expected_arrivals_are_bounded() {
        // 1000 nodes for 100 years: mtbf 1h would mean ~876 million arrivals.
        let big = with("count = 3", "count = 1000").replacen(
            "horizon = \"2d\"",
            "horizon = \"36500d\"",
            1,
        );
        let one = |mtbf: &str| big.replacen("mtbf = \"30d\"", &format!("mtbf = \"{mtbf}\""), 1);
        let e = check(
            &one("1h"),
            "\"1h\"",
            0,
            "failures[0].mtbf",
            "would generate about 880,000,000 fault arrivals per run, more than the limit of 50,000,000",
        );
        assert!(e.message.contains("longer mtbf"), "{e}");
        // 29h: ~30.2 million, under the limit on its own.
        load(&one("29h")).unwrap();
        // A second entry of ~25 million pushes the sum over; the error points
        // at the largest contributor.
        let two = format!(
            "{}\n[[failures]]\nfault = \"host-hardware\"\nmtbf = \"35h\"\npools = [\"system\"]\n",
            one("29h")
        );
        let e = check(
            &two,
            "\"29h\"",
            0,
            "failures[0].mtbf",
            "about 30,000,000 fault arrivals per run (55,000,000 with the other [[failures]] entries)",
        );
        assert!(e.to_string().starts_with("t.toml:"), "{e}");
        // When the later entry is the larger, it is the one reported.
        let two = format!(
            "{}\n[[failures]]\nfault = \"host-hardware\"\nmtbf = \"20h\"\npools = [\"system\"]\n",
            one("29h")
        );
        check(
            &two,
            "\"20h\"",
            0,
            "failures[1].mtbf",
            "about 44,000,000 fault arrivals",
        );
        assert_eq!(approx(0), "0");
        assert_eq!(approx(99), "99");
        assert_eq!(approx(30_206_896), "30,000,000");
        assert_eq!(approx(876_000_000), "880,000,000");
    }

    #[test]
    fn extreme_accepted_values_build_a_trace_without_panicking() {
        let t = with(
            "reboot = { duration = \"4m\" }",
            "reboot = { duration = { lognormal = { median = \"36500d\", sigma = 10 } } }",
        )
        .replacen("horizon = \"2d\"", "horizon = \"36500d\"", 1)
        .replacen("mtbf = \"30d\"", "mtbf = \"1s\"", 1)
        .replacen(
            "fixed_by = \"redeploy\"",
            "fixed_by = \"redeploy\"\nself_heal_after = { lognormal = { median = \"2s\", sigma = 10 } }",
            1,
        )
        .replacen("count = 3", "count = 1", 1)
        .replacen("pools = [\"system\"]", "pools = [\"system\"]\nfault = \"host-hardware\"", 1)
        .replacen("fault = \"kubelet-hang\"\nmtbf", "mtbf", 1);
        // 1 node × 100 years / 1s is above the limit; a day is not.
        check(
            &t,
            "\"1s\"",
            0,
            "failures[0].mtbf",
            "more than the limit of 50,000,000",
        );
        let t = t.replacen("mtbf = \"1s\"", "mtbf = \"1d\"", 1);
        let s = load(&t).unwrap_or_else(|e| panic!("{e}\n{t}"));
        let trace = crate::trace::FailureTrace::build(&s, 0);
        assert!(trace.len() > 30_000);
        for (at, input) in &trace.inputs {
            if let crate::trace::Input::Fault {
                heal_at: Some(h), ..
            } = input
            {
                assert!(*h > *at);
            }
        }
    }

    #[test]
    fn duplicate_pool_name() {
        let t = with("name = \"win\"", "name = \"system\"");
        check(
            &t,
            "\"system\"",
            1,
            "pools[1].name",
            "duplicate pool name \"system\"",
        );
    }

    // --- more validation ---

    #[test]
    fn display_and_error_trait() {
        let t = with("count = 3", "count = \"three\"");
        let e = fail(&t);
        assert_eq!(
            e.to_string(),
            "t.toml:12:9: pools[0].count: expected an integer, found string \"three\""
        );
        let _: &dyn std::error::Error = &e;
    }

    #[test]
    fn unreadable_file() {
        let e = load_file(Path::new("/nonexistent/dir/x.toml")).unwrap_err();
        assert_eq!((e.line, e.column, e.field.as_str()), (None, None, ""));
        assert_eq!(e.file, "/nonexistent/dir/x.toml");
        assert!(
            e.message.contains("could not read the scenario file"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("/nonexistent/dir/x.toml: could not read")
        );
    }

    #[test]
    fn missing_required_keys() {
        let e = fail(&with("horizon = \"2d\"\n", ""));
        assert_eq!((e.field.as_str(), e.line), ("horizon", None));
        assert!(e.message.contains("missing required key \"horizon\""));
        let t = with("os = \"windows\"\n", "");
        check(
            &t,
            "[[pools]]",
            1,
            "pools[1].os",
            "missing required key \"os\"",
        );
        let t = with("node = \"win-1\"\n", "");
        check(
            &t,
            "[[inject]]",
            1,
            "inject[1]",
            "give exactly one of `node",
        );
    }

    #[test]
    fn bad_names() {
        check(
            &with("name = \"t\"", "name = \"a/b\""),
            "\"a/b\"",
            0,
            "name",
            "use only letters, digits",
        );
        check(
            &with("name = \"t\"", "name = \"..\""),
            "\"..\"",
            0,
            "name",
            "use only letters",
        );
        check(
            &with("name = \"t\"", "name = \"\""),
            "\"\"",
            0,
            "name",
            "use only letters",
        );
        check(
            &with("name = \"win\"", "name = \"Win\""),
            "\"Win\"",
            0,
            "pools[1].name",
            "lowercase letters",
        );
    }

    /// Every key's value under every preset it applies to, written back
    /// with `--set`, loads and reads the same: what `get` prints (the
    /// README's defaults) is what `set` takes.
    #[test]
    fn every_declared_value_reads_back_under_every_preset() {
        let mut checked = 0;
        for preset in Preset::ALL {
            let base = Policy::preset(preset);
            for s in SETTINGS {
                let Some(k) = s.key else { continue };
                if spec::refusal(s, preset).is_some() {
                    continue;
                }
                let Some(lit) = (k.get)(&base) else { continue };
                let patches = [
                    Patch::Preset(preset.name().to_string()),
                    Patch::parse_set(&format!("{}.{}={lit}", k.section.name(), s.name)).unwrap(),
                ];
                let sc = load_str_with("t.toml", BASE, &patches)
                    .unwrap_or_else(|e| panic!("{} {}={lit}: {e}", preset.name(), s.name));
                assert_eq!(
                    (k.get)(&sc.policy).as_deref(),
                    Some(lit.as_str()),
                    "{} {}",
                    preset.name(),
                    s.name
                );
                assert!(sc.policy_overrides.contains(&s.name.to_string()));
                checked += 1;
            }
        }
        assert!(checked > 200, "{checked}");
    }

    /// Each key set to another preset's value reads that value back, for
    /// at least one pair of presets wherever the presets differ: a setter
    /// that did nothing would fail here.
    #[test]
    fn every_key_takes_another_presets_value() {
        for s in SETTINGS {
            let Some(k) = s.key else { continue };
            let values: Vec<(Preset, String)> = Preset::ALL
                .into_iter()
                .filter_map(|p| (k.get)(&Policy::preset(p)).map(|v| (p, v)))
                .collect();
            let mut differ = false;
            let mut taken = 0;
            for (a, va) in &values {
                for (_, vb) in &values {
                    if va == vb {
                        continue;
                    }
                    differ = true;
                    let patches = [
                        Patch::Preset(a.name().to_string()),
                        Patch::parse_set(&format!("{}.{}={vb}", k.section.name(), s.name)).unwrap(),
                    ];
                    // Some values do not fit another preset (an escalation
                    // under periodic detection); those are refused.
                    if let Ok(sc) = load_str_with("t.toml", BASE, &patches) {
                        assert_eq!((k.get)(&sc.policy).as_ref(), Some(vb), "{}", s.name);
                        taken += 1;
                    }
                }
            }
            assert!(
                !differ || taken > 0,
                "{}: no preset took another's value",
                s.name
            );
        }
    }

    #[test]
    fn every_policy_key_overrides_in_declaration_order() {
        let values = [
            ("check_interval", "\"30s\""),
            ("detect_window", "\"5m\""),
            ("no_status_timeout", "\"7m\""),
            ("repair_delay", "\"0s\""),
            ("repair_delay_anchor", "\"onset\""),
            ("settle", "\"0s\""),
            ("healthy_on", "\"first-ready-check\""),
            ("ladder_linux", "[\"reimage\", \"redeploy\"]"),
            ("ladder_windows", "[\"reboot\"]"),
            ("retry_mode", "\"per_step\""),
            ("max_attempts", "2"),
            ("overall_timeout", "\"2h\""),
            ("on_action_error", "\"next_step\""),
            ("emit_end_on_error", "true"),
            ("event_wording", "\"observed\""),
            ("max_concurrent_repairs", "4"),
            ("min_cluster_nodes", "0"),
            ("all_not_ready_suppresses", "false"),
            ("event_ttl", "\"90d\""),
            ("drain_timeout", "\"30m\""),
        ];
        // The event-driven keys have their own test below.
        assert_eq!(
            values.map(|(k, _)| k),
            spec::POLICY_FIELDS[1..=values.len()]
        );
        // Written in reverse: the record is still in declaration order.
        let body: String = values
            .iter()
            .rev()
            .map(|(k, v)| format!("{k} = {v}\n"))
            .collect();
        let t = with(
            "preset = \"aks-2024-08\"\n",
            &format!("preset = \"aks-2020-08\"\n{body}"),
        );
        let s = load(&t).unwrap();
        assert_eq!(
            s.policy_overrides,
            values.map(|(k, _)| k.to_string()).to_vec()
        );
        let p = &s.policy;
        assert_eq!(p.preset, Preset::Aks2020_08);
        assert_eq!(p.check_interval, SimDuration::from_secs(30));
        assert_eq!(p.detect_window, SimDuration::from_mins(5));
        assert_eq!(p.no_status_timeout, SimDuration::from_mins(7));
        assert_eq!(p.repair_delay, SimDuration::ZERO);
        assert_eq!(p.repair_delay_anchor, DelayAnchor::Onset);
        assert_eq!(p.settle, SimDuration::ZERO);
        assert_eq!(
            p.ladder_linux,
            vec![ActionKind::Reimage, ActionKind::Redeploy]
        );
        assert_eq!(p.ladder_windows, vec![ActionKind::Reboot]);
        assert_eq!(p.retry_mode, RetryMode::PerStep);
        assert_eq!(p.max_attempts, 2);
        assert_eq!(p.overall_timeout, SimDuration::from_hours(2));
        assert!(p.emit_end_on_error);
        assert_eq!(p.event_wording, EventWording::Observed);
        assert_eq!(p.max_concurrent_repairs, Some(4));
        assert_eq!(p.min_cluster_nodes, 0);
        assert!(!p.all_not_ready_suppresses);
        assert_eq!(p.event_ttl, SimDuration(90 * crate::time::DAY));
        let t = with(
            "preset = \"aks-2024-08\"\n",
            "preset = \"aks-2020-08\"\nmax_concurrent_repairs = \"unlimited\"\n",
        );
        assert_eq!(load(&t).unwrap().policy.max_concurrent_repairs, None);
    }

    #[test]
    fn bad_policy_values() {
        let p = |line: &str| {
            with(
                "preset = \"aks-2024-08\"\n",
                &format!("preset = \"aks-2024-08\"\n{line}\n"),
            )
        };
        check(
            &p("check_interval = \"0s\""),
            "\"0s\"",
            0,
            "policy.check_interval",
            "longer than 0s",
        );
        check(
            &p("retry_mode = \"per-step\""),
            "\"per-step\"",
            0,
            "policy.retry_mode",
            "valid values: sequence, per_step",
        );
        check(
            &p("ladder_linux = []"),
            "[]",
            0,
            "policy.ladder_linux",
            "the ladder is empty",
        );
        check(
            &p("ladder_linux = [\"reboot\", \"rebuild\"]"),
            "\"rebuild\"",
            0,
            "policy.ladder_linux[1]",
            "unknown action \"rebuild\"",
        );
        check(
            &p("max_attempts = 0"),
            "0\n\n[[pools]]",
            0,
            "policy.max_attempts",
            "from 1 to 1000",
        );
        check(
            &p("max_concurrent_repairs = 0"),
            "0\n\n[[pools]]",
            0,
            "policy.max_concurrent_repairs",
            "\"unlimited\"",
        );
        check(
            &p("max_concurrent_repairs = \"many\""),
            "\"many\"",
            0,
            "policy.max_concurrent_repairs",
            "found \"many\"",
        );
        check(
            &p("min_cluster_nodes = -2"),
            "-2\n",
            0,
            "policy.min_cluster_nodes",
            "at least 0",
        );
        check(
            &p("healthy_on = \"second-check\""),
            "\"second",
            0,
            "policy.healthy_on",
            "first-ready-check",
        );
        check(
            &p("all_not_ready_suppresses = \"yes\""),
            "\"yes\"",
            0,
            "policy.all_not_ready_suppresses",
            "expected true or false",
        );
    }

    #[test]
    fn kubernetes_overrides() {
        let t = format!(
            "{BASE}\n[kubernetes]\nnode_monitor_grace_period = \"40s\"\nstatus_update_interval = \"5s\"\n"
        );
        let s = load(&t).unwrap();
        assert_eq!(
            s.policy.kubelet.node_monitor_grace_period,
            SimDuration::from_secs(40)
        );
        assert_eq!(
            s.policy.kubelet.status_update_interval,
            SimDuration::from_secs(5)
        );
        assert_eq!(
            s.policy_overrides,
            vec!["status_update_interval", "node_monitor_grace_period"]
        );
        let t = format!("{BASE}\n[kubernetes]\nnode_monitor_period = \"0s\"\n");
        check(
            &t,
            "\"0s\"",
            0,
            "kubernetes.node_monitor_period",
            "longer than 0s",
        );
    }

    #[test]
    fn distributions() {
        let t = with(
            "reboot = { duration = \"4m\" }",
            "reboot = { duration = { exponential = \"5m\" }, windows_duration = { empirical = [\"1m\", \"2m\"] } }",
        )
        .replacen(
            "redeploy = { duration = \"15m\", error_rate = 0.0 }",
            "redeploy = { duration = { lognormal = { median = \"10m\", sigma = 0.5 } } }",
            1,
        );
        let s = load(&t).unwrap();
        assert_eq!(
            s.actions.reboot.duration,
            DurationDist::Exponential(SimDuration::from_mins(5))
        );
        assert_eq!(
            s.actions.reboot.windows_duration,
            Some(DurationDist::Empirical(vec![
                SimDuration::from_mins(1),
                SimDuration::from_mins(2)
            ]))
        );
        assert_eq!(
            s.actions.redeploy.duration,
            DurationDist::LogNormal {
                median: SimDuration::from_mins(10),
                sigma: 0.5
            }
        );
        let r = |d: &str| {
            with(
                "reboot = { duration = \"4m\" }",
                &format!("reboot = {{ duration = {d} }}"),
            )
        };
        check(
            &r("{ uniform = [\"9m\", \"8m\"] }"),
            "\"8m\"",
            0,
            "actions.reboot.duration.uniform[1]",
            "below the low end",
        );
        check(
            &r("{ exponential = \"0s\" }"),
            "\"0s\"",
            0,
            "actions.reboot.duration.exponential",
            "longer than 0s",
        );
        check(
            &r("{ empirical = [] }"),
            "[]",
            0,
            "actions.reboot.duration.empirical",
            "the list is empty",
        );
        check(
            &r("{ lognormal = { median = \"1m\", sigma = -1 } }"),
            "-1",
            0,
            "actions.reboot.duration.lognormal.sigma",
            "at least 0",
        );
        check(
            &r("{ lognormal = { median = \"1m\", sigma = nan } }"),
            "nan",
            0,
            "actions.reboot.duration.lognormal.sigma",
            "finite",
        );
        check(
            &r("{ gamma = \"1m\" }"),
            "gamma",
            0,
            "actions.reboot.duration.gamma",
            "valid keys: uniform, exponential, lognormal, empirical",
        );
        check(
            &r("{ exponential = \"1m\", uniform = [\"1m\", \"2m\"] }"),
            "{ exp",
            0,
            "actions.reboot.duration",
            "exactly one key",
        );
        check(&r("{}"), "{}", 0, "actions.reboot.duration", "empty table");
        check(
            &r("4"),
            "4 }",
            0,
            "actions.reboot.duration",
            "expected a duration such as \"4m\"",
        );
    }

    #[test]
    fn peer_actions_and_fixed_by() {
        let t = with(
            "redeploy = { duration = \"15m\", error_rate = 0.0 }\n",
            "redeploy = { duration = \"15m\", error_rate = 0.0 }\n\
             recreate = { drain = \"3m\", vm = \"6m\", error_rate = 0.5 }\n\
             replace = { delete = \"2m\", provision = \"7m\" }\n\
             snr-reboot = { duration = \"90s\" }\n",
        );
        let t = t.replacen("fixed_by = \"reboot\"", "fixed_by = \"snr-reboot\"", 1);
        let s = load(&t).unwrap();
        let fixed = |m: u64| DurationDist::Fixed(SimDuration(m * 60_000));
        assert_eq!(s.actions.recreate.duration, fixed(3));
        assert_eq!(s.actions.recreate.second_phase, Some(fixed(6)));
        assert_eq!(s.actions.recreate.error_rate, 0.5);
        assert_eq!(s.actions.replace.duration, fixed(2));
        assert_eq!(s.actions.replace.second_phase, Some(fixed(7)));
        assert_eq!(
            s.actions.snr_reboot.duration,
            DurationDist::Fixed(SimDuration(90_000))
        );
        assert_eq!(s.faults[0].fixed_by, Some(ActionKind::SnrReboot));
        // A tier-1 fault: any action fixes it; a reboot fixes no tier-4 one.
        assert!(s.faults[0].fixed_by_action(ActionKind::Reboot));
        let mut f = s.faults[0].clone();
        f.fixed_by = Some(ActionKind::Replace);
        assert!(f.fixed_by_action(ActionKind::Recreate));
        assert!(!f.fixed_by_action(ActionKind::Redeploy));

        // Each shape takes only its own keys, and the error says which.
        let e = fail(&with(
            "redeploy = { duration = \"15m\", error_rate = 0.0 }\n",
            "recreate = { duration = \"3m\" }\n",
        ));
        let m = e.to_string();
        assert!(m.contains("actions.recreate"), "{m}");
        assert!(m.contains("drain, vm, error_rate, error_codes"), "{m}");
        let e = fail(&with(
            "redeploy = { duration = \"15m\", error_rate = 0.0 }\n",
            "replace = { delete = \"0s\" }\n",
        ));
        assert!(e.to_string().contains("actions.replace.delete"), "{e}");
    }

    #[test]
    fn error_codes() {
        let t = with(
            "redeploy = { duration = \"15m\", error_rate = 0.0 }",
            "redeploy = { error_rate = 0.5, error_codes = { \"VMRedeploymentFailed\" = 3, \"InvalidParameter\" = 1 } }",
        );
        let s = load(&t).unwrap();
        assert_eq!(
            s.actions.redeploy.duration,
            Actions::default().redeploy.duration
        );
        assert_eq!(s.actions.redeploy.error_rate, 0.5);
        assert_eq!(
            s.actions.redeploy.error_weights,
            vec![0.0, 1.0, 0.0, 0.0, 3.0, 0.0, 0.0]
        );
        let t = with(
            "error_rate = 0.0",
            "error_codes = { \"VMRedeployFailed\" = 1 }",
        );
        check(
            &t,
            "\"VMRedeployFailed\"",
            0,
            "actions.redeploy.error_codes.VMRedeployFailed",
            "known codes: \"VMExtensionProvisioningError\"",
        );
        let t = with(
            "error_rate = 0.0",
            "error_codes = { \"InvalidParameter\" = 0 }",
        );
        check(
            &t,
            "{ \"Inv",
            0,
            "actions.redeploy.error_codes",
            "every weight is 0",
        );
        let t = with(
            "error_rate = 0.0",
            "error_codes = { \"InvalidParameter\" = -1 }",
        );
        check(
            &t,
            "-1",
            0,
            "actions.redeploy.error_codes.InvalidParameter",
            "at least 0",
        );
    }

    #[test]
    fn fault_properties() {
        let t = with(
            "fixed_by = \"redeploy\"",
            "fixed_by = \"none\"\nself_heal_after = { exponential = \"8m\" }\nexclude = \"network-misconfiguration\"",
        );
        let f = &load(&t).unwrap().faults[1];
        assert_eq!(f.fixed_by, None);
        assert_eq!(
            f.self_heal_after,
            Some(DurationDist::Exponential(SimDuration::from_mins(8)))
        );
        assert_eq!(f.exclude, Some(Exclusion::NetworkMisconfiguration));
        let t = with(
            "fixed_by = \"redeploy\"",
            "fixed_by = \"redeploy\"\nexclude = \"cluster-too-small\"",
        );
        check(
            &t,
            "\"cluster-too-small\"",
            0,
            "faults[1].exclude",
            "cluster-wide guard",
        );
        let t = with("signal = \"no-status\"", "signal = \"silent\"");
        check(
            &t,
            "\"silent\"",
            0,
            "faults[1].signal",
            "valid values: not-ready, no-status",
        );
        let t = with("fixed_by = \"redeploy\"", "fixed_by = \"rebuild\"");
        check(
            &t,
            "\"rebuild\"",
            0,
            "faults[1].fixed_by",
            "valid values: reboot, reimage, redeploy, recreate, replace, snr-reboot, none",
        );
        let t = with("name = \"host-hardware\"", "name = \"kubelet-hang\"");
        check(
            &t,
            "\"kubelet-hang\"",
            1,
            "faults[1].name",
            "duplicate fault name",
        );
    }

    #[test]
    fn never_registered_adds_the_synthetic_fault() {
        let t = with(
            "seed = 7\n",
            "seed = 7\nnever_registered = [\"win-0\", \"system-2\"]\n",
        );
        let s = load(&t).unwrap();
        assert_eq!(s.never_registered, vec![2, 3]);
        assert_eq!(
            s.faults.last(),
            Some(&Fault {
                name: "never-registered".into(),
                signal: Signal::NoStatus,
                fixed_by: None,
                self_heal_after: None,
                exclude: Some(Exclusion::NeverRegistered),
                recorded: Vec::new(),
            })
        );
        assert_eq!(s.faults.len(), 3);
        let t = with("name = \"host-hardware\"", "name = \"never-registered\"");
        check(&t, "\"never-registered\"", 0, "faults[1].name", "reserved");
        let t = with(
            "seed = 7\n",
            "seed = 7\nnever_registered = [\"win-0\", \"win-9\"]\n",
        );
        check(&t, "\"win-9\"", 0, "never_registered[1]", "unknown node");
    }

    #[test]
    fn injections_on_pools() {
        let t = with("node = \"win-1\"", "pool = \"system\"\ncount = 3");
        assert_eq!(
            load(&t).unwrap().injections[1].target,
            Target::Pool { pool: 0, count: 3 }
        );
        let t = with("node = \"win-1\"", "pool = \"win\"");
        assert_eq!(
            load(&t).unwrap().injections[1].target,
            Target::Pool { pool: 1, count: 1 }
        );
        let t = with("node = \"win-1\"", "pool = \"win\"\ncount = 3");
        check(&t, "3\n", 1, "inject[1].count", "from 1 to 2, found 3");
        let t = with("node = \"win-1\"", "node = \"win-1\"\npool = \"win\"");
        check(
            &t,
            "\"win\"\nfault",
            0,
            "inject[1].pool",
            "exactly one of `node` or `pool`",
        );
        let t = with("node = \"win-1\"", "node = \"win-1\"\ncount = 1");
        check(&t, "1\nfault", 0, "inject[1].count", "goes with `pool`");
        let t = with("at = \"3h00m30s\"", "at = \"2d\"");
        check(&t, "\"2d\"", 1, "inject[1].at", "not before the horizon");
    }

    #[test]
    fn failures_filters() {
        let t = with("pools = [\"system\"]", "os = \"windows\"");
        assert_eq!(load(&t).unwrap().arrivals[0].nodes, vec![3, 4]);
        let t = with(
            "pools = [\"system\"]",
            "pools = [\"system\"]\nos = \"windows\"",
        );
        check(&t, "[[failures]]", 0, "failures[0]", "no node matches");
        let t = with("pools = [\"system\"]", "");
        assert_eq!(load(&t).unwrap().arrivals[0].nodes, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn outages_taints_upgrades() {
        let t = format!(
            "{BASE}
[[outages]]
at = \"1h\"
duration = \"45m\"
fault = \"host-hardware\"

[[outages]]
name = \"zone\"
at = \"2h\"
duration = \"1h\"
fault = \"kubelet-hang\"
pools = [\"win\"]
fraction = 0.5

[[taints]]
taint = \"node.cloudprovider.kubernetes.io/shutdown\"
node = \"system-1\"
from = \"1h\"
until = \"2h\"

[[taints]]
taint = \"to-be-deleted\"
pool = \"win\"
from = \"0s\"

[[upgrades]]
pool = \"system\"
from = \"3h\"
until = \"4h\"
"
        );
        let s = load(&t).unwrap();
        assert_eq!(s.outages[0].name, "outage-0");
        assert_eq!(s.outages[0].candidates, vec![0, 1, 2, 3, 4]);
        assert_eq!(s.outages[0].fraction, 1.0);
        assert_eq!(s.outages[1].name, "zone");
        assert_eq!(s.outages[1].candidates, vec![3, 4]);
        assert_eq!(s.outages[1].fault, 0);
        assert_eq!(
            s.marks,
            vec![
                MarkWindow {
                    mark: Mark::TaintShutdown,
                    nodes: vec![1],
                    from: SimTime(3_600_000),
                    until: Some(SimTime(7_200_000))
                },
                MarkWindow {
                    mark: Mark::TaintToBeDeleted,
                    nodes: vec![3, 4],
                    from: SimTime(0),
                    until: None
                },
                MarkWindow {
                    mark: Mark::Upgrading,
                    nodes: vec![0, 1, 2],
                    from: SimTime(10_800_000),
                    until: Some(SimTime(14_400_000))
                },
            ]
        );
        check(
            &t.replacen("fraction = 0.5", "fraction = 0.0", 1),
            "0.0\n",
            0,
            "outages[1].fraction",
            "above 0 and at most 1",
        );
        check(
            &t.replacen("until = \"2h\"", "until = \"1h\"", 1),
            "\"1h\"\n\n[[taints]]",
            0,
            "taints[0].until",
            "not after from",
        );
        check(
            &t.replacen("taint = \"to-be-deleted\"", "taint = \"deleted\"", 1),
            "\"deleted\"",
            0,
            "taints[1].taint",
            "valid values: shutdown, to-be-deleted",
        );
        check(
            &t.replacen("until = \"4h\"\n", "", 1),
            "[[upgrades]]",
            0,
            "upgrades[0].until",
            "missing required key \"until\"",
        );
        check(
            &t.replacen("duration = \"45m\"", "duration = \"0s\"", 1),
            "\"0s\"",
            0,
            "outages[0].duration",
            "longer than 0s",
        );
    }

    #[test]
    fn bare_datetime_start_says_to_quote_it() {
        let t = with(
            "start = \"2026-01-01T00:00:00Z\"",
            "start = 2026-01-01T00:00:00Z",
        );
        check(&t, "2026", 0, "start", "quote it");
        let t = with(
            "start = \"2026-01-01T00:00:00Z\"",
            "start = \"2026-13-01T00:00:00Z\"",
        );
        check(&t, "\"2026", 0, "start", "RFC 3339");
    }

    #[test]
    fn node_limit() {
        let t = with("count = 3", "count = 999999");
        check(
            &t,
            "2\n",
            0,
            "pools[1].count",
            "more than the limit of 1000000",
        );
    }

    #[test]
    fn no_panic_on_hostile_values() {
        for t in [
            with("seed = 7", "seed = -7"),
            with("seed = 7", "seed = 18446744073709551615"),
            with("count = 3", "count = 99999999999999999999"),
            with("error_rate = 0.0", "error_rate = inf"),
            with("error_rate = 0.0", "error_rate = nan"),
            with("horizon = \"2d\"", "horizon = \"99999999999999999999d\""),
            with("horizon = \"2d\"", "horizon = \"é\""),
            with(
                "start = \"2026-01-01T00:00:00Z\"",
                "start = \"2026-01-01T00:00:0éZ\"",
            ),
            with("start = \"2026-01-01T00:00:00Z\"", "start = \"\""),
            "\u{feff}name = \"x\"".to_string(),
            "[[pools]]\n[pools]\n".to_string(),
            "a = [".to_string(),
            String::new(),
        ] {
            let _ = load(&t);
        }
    }

    // --- patches: --set, presets, policy files ------------------------------

    fn set(arg: &str) -> Patch {
        Patch::parse_set(arg).unwrap_or_else(|e| panic!("{e}"))
    }

    fn load_with(text: &str, patches: &[Patch]) -> Scenario {
        load_str_with("t.toml", text, patches).unwrap_or_else(|e| panic!("{e}"))
    }

    fn fail_with(text: &str, patches: &[Patch]) -> ScenarioError {
        match load_str_with("t.toml", text, patches) {
            Ok(_) => panic!("expected an error for {patches:?}"),
            Err(e) => e,
        }
    }

    /// Asserts an error inside a `--set` argument: its file is `--set ARG`,
    /// with no line or column.
    fn set_error(arg: &str, field: &str, phrase: &str) -> ScenarioError {
        let e = fail_with(BASE, &[set(arg)]);
        assert_eq!(e.file, format!("--set {arg}"), "{e}");
        assert_eq!((e.line, e.column), (None, None), "{e}");
        assert_eq!(e.field, field, "{e}");
        assert!(e.message.contains(phrase), "{e} lacks {phrase:?}");
        e
    }

    /// A scratch file under the temporary directory, removed when dropped.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str, text: &str) -> TempFile {
            let p = std::env::temp_dir().join(format!(
                "repairsim-{}-{name}-{:?}.toml",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&p, text).unwrap();
            TempFile(p)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn set_changes_nested_keys_after_validation() {
        let s = load_with(
            BASE,
            &[
                set("policy.repair_delay=7m"),
                set("kubernetes.node_monitor_grace_period=40s"),
                set("pools[1].count=5"),
                set("actions.reboot.error_rate=0.25"),
                set("failures[0].mtbf=10d"),
                set("faults[1].self_heal_after={ exponential = \"5m\" }"),
                set("actions.reimage.error_codes.\"VMExtensionProvisioningError\"=1"),
            ],
        );
        assert_eq!(s.policy.repair_delay, SimDuration::from_mins(7));
        assert_eq!(
            s.policy.kubelet.node_monitor_grace_period,
            SimDuration(40 * SECOND)
        );
        assert_eq!(s.fleet.pools[1].count, 5);
        assert_eq!(s.fleet.len(), 8);
        assert_eq!(s.actions.reboot.error_rate, 0.25);
        assert_eq!(s.arrivals[0].mtbf, SimDuration(10 * crate::time::DAY));
        assert_eq!(
            s.faults[1].self_heal_after,
            Some(DurationDist::Exponential(SimDuration::from_mins(5)))
        );
        assert_eq!(s.actions.reimage.error_weights[0], 1.0);
        assert!(s.policy_overrides.contains(&"repair_delay".to_string()));
        // Without the patches, the file's values.
        let plain = load(BASE).unwrap();
        assert_ne!(plain.policy.repair_delay, s.policy.repair_delay);
        assert_eq!(plain.fleet.pools[1].count, 2);
    }

    #[test]
    fn set_creates_a_missing_table() {
        let t = with("[policy]\npreset = \"aks-2024-08\"\n", "");
        assert!(!t.contains("[policy]"));
        let s = load_with(&t, &[set("policy.repair_delay=2m")]);
        assert_eq!(s.policy.repair_delay, SimDuration::from_mins(2));
        assert!(!t.contains("[kubernetes]"));
        let s = load_with(&t, &[set("kubernetes.node_monitor_period=2s")]);
        assert_eq!(
            s.policy.kubelet.node_monitor_period,
            SimDuration(2 * SECOND)
        );
    }

    #[test]
    fn set_index_out_of_range_names_the_entries() {
        set_error(
            "pools[2].count=1",
            "pools[2]",
            "the scenario has 2 [[pools]] entries: pools[0] to pools[1]",
        );
        set_error(
            "failures[1].mtbf=1d",
            "failures[1]",
            "the scenario has 1 [[failures]] entry: failures[0]",
        );
        set_error(
            "outages[0].at=1h",
            "outages",
            "the scenario has no [[outages]] entries",
        );
        set_error(
            "seed[0]=1",
            "seed",
            "it is an integer, not an array, so it has no [0]",
        );
        set_error("seed.x=1", "seed", "it is an integer, not a table");
    }

    #[test]
    fn set_unknown_key_is_the_loaders_unknown_key_error() {
        let e = set_error(
            "policy.repair_dela=2m",
            "policy.repair_dela",
            "unknown key \"repair_dela\"; valid keys: preset, check_interval, detect_window",
        );
        // The same message as in a file.
        let in_file = fail(&with("preset = \"aks-2024-08\"", "repair_dela = \"2m\""));
        assert_eq!(e.message, in_file.message);
        assert_eq!(
            e.to_string(),
            format!(
                "--set policy.repair_dela=2m: policy.repair_dela: {}",
                e.message
            )
        );
        set_error(
            "polcy.repair_delay=2m",
            "polcy",
            "unknown key \"polcy\"; valid keys: name, description, seed",
        );
        set_error(
            "pools[0].colour=red",
            "pools[0].colour",
            "unknown key \"colour\"; valid keys: name, os, count",
        );
    }

    #[test]
    fn set_bad_value_is_the_loaders_error_naming_the_argument() {
        let e = set_error(
            "policy.repair_delay=2x",
            "policy.repair_delay",
            "bad duration \"2x\"",
        );
        let in_file = fail(&with("preset = \"aks-2024-08\"", "repair_delay = \"2x\""));
        assert_eq!(e.message, in_file.message);
        assert_eq!(in_file.file, "t.toml");
        set_error(
            "seed=-1",
            "seed",
            "expected an integer of at least 0, found -1",
        );
        set_error(
            "seed=abc",
            "seed",
            "expected an integer, found string \"abc\"",
        );
        set_error("name=12", "name", "expected a string, found integer");
        set_error(
            "policy.ladder_linux=[reboot,reimag]",
            "policy.ladder_linux[1]",
            "unknown action \"reimag\"",
        );
    }

    #[test]
    fn set_values_are_toml_or_bare_strings() {
        // A bare string and a quoted TOML string are the same.
        let a = load_with(BASE, &[set("policy.preset=aks-2023-09")]);
        let b = load_with(BASE, &[set("policy.preset=\"aks-2023-09\"")]);
        assert_eq!(a.policy, b.policy);
        assert_eq!(a.policy.preset, Preset::Aks2023_09);
        // A TOML integer is an integer, its quoted form a string.
        assert_eq!(load_with(BASE, &[set("seed=9")]).seed, 9);
        assert_eq!(load_with(BASE, &[set(" seed = 10 ")]).seed, 10);
        // An integer or the string "unlimited".
        let s = load_with(BASE, &[set("policy.max_concurrent_repairs=unlimited")]);
        assert_eq!(s.policy.max_concurrent_repairs, None);
        let s = load_with(BASE, &[set("policy.max_concurrent_repairs=2")]);
        assert_eq!(s.policy.max_concurrent_repairs, Some(2));
        let s = load_with(BASE, &[set("policy.all_not_ready_suppresses=false")]);
        assert!(!s.policy.all_not_ready_suppresses);
        // A value with '=' in it: split at the first '='.
        let s = load_with(BASE, &[set("description=a=b")]);
        assert_eq!(s.description, "a=b");
    }

    #[test]
    fn set_lists_of_bare_names() {
        let want = vec![ActionKind::Reboot, ActionKind::Reimage];
        for arg in [
            "policy.ladder_linux=[reboot,reimage]",
            "policy.ladder_linux=[ reboot , \"reimage\", ]",
            "policy.ladder_linux=[\"reboot\", \"reimage\"]",
        ] {
            let s = load_with(BASE, &[set(arg)]);
            assert_eq!(s.policy.ladder_linux, want, "{arg}");
        }
        let s = load_with(BASE, &[set("failures[0].pools=[system,win]")]);
        assert_eq!(s.arrivals[0].nodes.len(), 5);
    }

    #[test]
    fn set_datetime_is_taken_as_the_string() {
        let s = load_with(BASE, &[set("start=2026-03-01T12:00:00Z")]);
        assert_eq!(s.start, Epoch::parse("2026-03-01T12:00:00Z").unwrap());
        let s = load_with(BASE, &[set("start=\"2026-03-02T00:00:00Z\"")]);
        assert_eq!(s.start, Epoch::parse("2026-03-02T00:00:00Z").unwrap());
    }

    #[test]
    fn parse_set_rejects_bad_arguments() {
        for (arg, phrase) in [
            ("seed", "expected KEY=VALUE"),
            ("=5", "the key is empty"),
            ("pools[x].count=1", "bad key \"pools[x].count\""),
            ("a..b=1", "bad key \"a..b\""),
        ] {
            let e = Patch::parse_set(arg).unwrap_err();
            assert_eq!(e.file, format!("--set {arg}"));
            assert_eq!((e.line, e.column), (None, None));
            assert!(e.message.contains(phrase), "{e}");
        }
        assert_eq!(
            set("policy.repair_delay=2m"),
            Patch::Set {
                key: "policy.repair_delay".into(),
                value: "2m".into()
            }
        );
        assert_eq!(set("seed=9").label(), "seed=9");
        assert_eq!(
            Patch::Preset("aks-2023-09".into()).to_string(),
            "preset=aks-2023-09"
        );
        assert_eq!(Patch::PolicyFile("p.toml".into()).label(), "policy=p.toml");
    }

    #[test]
    fn later_patches_win() {
        let s = load_with(
            BASE,
            &[set("policy.repair_delay=3m"), set("policy.repair_delay=4m")],
        );
        assert_eq!(s.policy.repair_delay, SimDuration::from_mins(4));
        // A preset replaces the whole [policy] table, earlier --set included.
        let s = load_with(
            BASE,
            &[
                set("policy.repair_delay=3m"),
                Patch::Preset("aks-2023-09".into()),
            ],
        );
        assert_eq!(s.policy, Policy::preset(Preset::Aks2023_09));
        let s = load_with(
            BASE,
            &[
                Patch::Preset("aks-2023-09".into()),
                set("policy.repair_delay=3m"),
            ],
        );
        assert_eq!(s.policy.preset, Preset::Aks2023_09);
        assert_eq!(s.policy.repair_delay, SimDuration::from_mins(3));
    }

    #[test]
    fn preset_patch_replaces_the_policy_table() {
        let t = with(
            "preset = \"aks-2024-08\"",
            "preset = \"aks-2024-08\"\nrepair_delay = \"9m\"",
        );
        assert_eq!(
            load(&t).unwrap().policy.repair_delay,
            SimDuration::from_mins(9)
        );
        let s = load_with(&t, &[Patch::Preset("aks-2021-09".into())]);
        assert_eq!(s.policy, Policy::preset(Preset::Aks2021_09));
        assert!(s.policy_overrides.is_empty());
        let e = fail_with(&t, &[Patch::Preset("aks-1999".into())]);
        assert_eq!(
            e.to_string(),
            format!(
                "--preset aks-1999: policy.preset: unknown preset \"aks-1999\"; valid presets: {}",
                Preset::names()
            )
        );
    }

    #[test]
    fn policy_file_patch() {
        let f = TempFile::new(
            "policy-ok",
            "preset = \"aks-2023-09\"\nrepair_delay = \"2m\"\n",
        );
        let t = with(
            "preset = \"aks-2024-08\"",
            "preset = \"aks-2024-08\"\nsettle = \"9m\"",
        );
        let s = load_with(&t, &[Patch::PolicyFile(f.0.clone())]);
        assert_eq!(s.policy.preset, Preset::Aks2023_09);
        assert_eq!(s.policy.repair_delay, SimDuration::from_mins(2));
        assert_eq!(s.policy.settle, Policy::preset(Preset::Aks2023_09).settle);
        assert_eq!(s.patches, vec![format!("policy={}", f.0.display())]);

        // An error inside the policy file points at that file's line:col.
        let bad = TempFile::new("policy-bad", "preset = \"aks-2023-09\"\nsettle = \"5x\"\n");
        let e = fail_with(BASE, &[Patch::PolicyFile(bad.0.clone())]);
        assert_eq!(e.file, bad.0.display().to_string());
        assert_eq!((e.line, e.column), (Some(2), Some(10)), "{e}");
        assert_eq!(e.field, "policy.settle");
        assert!(e.message.contains("bad duration \"5x\""), "{e}");
        let unknown = TempFile::new("policy-unknown", "# policy\n\n  colour = 1\n");
        let e = fail_with(BASE, &[Patch::PolicyFile(unknown.0.clone())]);
        assert_eq!(e.file, unknown.0.display().to_string());
        assert_eq!((e.line, e.column), (Some(3), Some(3)), "{e}");
        assert_eq!(e.field, "policy.colour");
        let broken = TempFile::new("policy-broken", "preset = = 1\n");
        let e = fail_with(BASE, &[Patch::PolicyFile(broken.0.clone())]);
        assert_eq!((e.file.as_str(), e.line), (bad_path(&broken), Some(1)));
        assert!(e.message.starts_with("invalid TOML"), "{e}");
        // Errors in the scenario text still point into it.
        let t0 = with("count = 3", "count = 0");
        let e = fail_with(&t0, &[Patch::PolicyFile(f.0.clone())]);
        assert_eq!(
            (e.file.as_str(), e.field.as_str()),
            ("t.toml", "pools[0].count")
        );
        let (line, col) = pos(&t0, "count = 0", 0);
        assert_eq!((e.line, e.column), (line, col.map(|c| c + 8)));
        let missing = std::env::temp_dir().join("repairsim-no-such-policy-file.toml");
        let e = fail_with(BASE, &[Patch::PolicyFile(missing.clone())]);
        assert_eq!(e.file, missing.display().to_string());
        assert!(e.message.contains("could not read the policy file"), "{e}");
    }

    fn bad_path(f: &TempFile) -> &str {
        f.0.to_str().unwrap()
    }

    #[test]
    fn content_hash_names_the_patches() {
        let plain = load(BASE).unwrap();
        assert_eq!(plain.content_hash, stable_hash(BASE));
        assert!(plain.patches.is_empty());
        let a = load_with(BASE, &[set("seed=7")]);
        let b = load_with(BASE, &[set("seed=8")]);
        // seed=7 is the file's own seed: same scenario, but another input.
        assert_eq!(a.seed, plain.seed);
        assert_ne!(a.content_hash, plain.content_hash);
        assert_ne!(a.content_hash, b.content_hash);
        assert_eq!(a.patches, vec!["seed=7".to_string()]);
        assert_eq!(
            load_with(BASE, &[set("seed=7")]).content_hash,
            a.content_hash
        );
        // A policy file's contents count, not only its name.
        let f = TempFile::new("hash", "repair_delay = \"2m\"\n");
        let h1 = load_with(BASE, &[Patch::PolicyFile(f.0.clone())]).content_hash;
        std::fs::write(&f.0, "repair_delay = \"3m\"\n").unwrap();
        let h2 = load_with(BASE, &[Patch::PolicyFile(f.0.clone())]).content_hash;
        assert_ne!(h1, h2);
    }

    fn mutate(base: &str, ops: &[(usize, u8, char)]) -> String {
        let mut s: Vec<char> = base.chars().collect();
        for &(at, op, c) in ops {
            if s.is_empty() {
                s.push(c);
                continue;
            }
            let i = at % s.len();
            match op % 4 {
                0 => s[i] = c,
                1 => {
                    s.remove(i);
                }
                2 => s.insert(i, c),
                _ => {
                    // Duplicate a line-sized chunk.
                    let end = (i + 20).min(s.len());
                    let chunk: Vec<char> = s[i..end].to_vec();
                    s.splice(i..i, chunk);
                }
            }
        }
        s.into_iter().collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_on_mutated_quickstart(
            ops in proptest::collection::vec(
                (any::<usize>(), any::<u8>(), prop_oneof![
                    Just('"'), Just('='), Just('['), Just(']'), Just('{'), Just('}'), Just('\n'),
                    Just('0'), Just('-'), Just('.'), Just('é'), Just(' '), Just('m'), Just(','), any::<char>()
                ]),
                1..6,
            )
        ) {
            let text = mutate(BASE, &ops);
            let _ = load_str("fuzz.toml", &text);
        }

        #[test]
        fn never_panics_on_random_text(text in ".{0,200}") {
            let _ = load_str("fuzz.toml", &text);
        }

        #[test]
        fn never_panics_on_random_sets(
            key in prop_oneof![
                Just("seed".to_string()), Just("policy.repair_delay".to_string()),
                Just("pools[1].count".to_string()), Just("pools[9]".to_string()),
                Just("actions.reboot".to_string()), Just("failures[0]".to_string()),
                Just("faults[1].self_heal_after".to_string()), Just("policy".to_string()),
                "[a-z_.\\[\\]0-9\"]{0,16}", ".{0,12}",
            ],
            value in prop_oneof!["[-+0-9a-z\".\\[\\]{}, =_:TZ']{0,24}", ".{0,24}"],
        ) {
            if let Ok(p) = Patch::parse_set(&format!("{key}={value}")) {
                let _ = load_str_with("fuzz.toml", BASE, &[p]);
            }
            // Patches built in code skip parse_set's checks.
            let p = Patch::Set { key: key.clone(), value: value.clone() };
            let _ = load_str_with("fuzz.toml", BASE, &[p, Patch::Preset(value)]);
        }

        #[test]
        fn never_panics_on_random_values(
            key in prop_oneof![Just("count = 3"), Just("horizon = \"2d\""), Just("mtbf = \"30d\""), Just("at = \"1h00m35s\""), Just("error_rate = 0.0"), Just("seed = 7")],
            value in "[-+0-9a-z\".\\[\\]{} =_]{0,24}",
        ) {
            let name = key.split(" = ").next().unwrap_or("");
            let _ = load_str("fuzz.toml", &with(key, &format!("{name} = {value}")));
        }
    }
}
