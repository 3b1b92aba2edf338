//! Changes applied to a scenario document before it is validated:
//! `--set KEY=VALUE`, `--preset NAME` and a policy file.
//!
//! A patch edits the parsed TOML document (toml's `DeTable`, which keeps the
//! byte span of every key and value), so that the patched document then goes
//! through exactly the same serde reading and validation as a file: an
//! unknown key, a wrong type or a bad value gets the loader's usual error.
//! Every value a patch brings in carries a span in a virtual range past the
//! end of the scenario text (one range per patch, see `load::load_str_with`),
//! so that an error names the `--set` argument or the policy file it came
//! from.

use super::load::{ScenarioError, index_path, key_path};
use super::resources::Translation;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

/// One change applied to the scenario document before it is validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patch {
    /// `KEY=VALUE` from `--set`: set the value at a dotted path.
    Set { key: String, value: String },
    /// Replace the whole \[policy\] table with `{ preset = NAME }`.
    Preset(String),
    /// Replace the whole \[policy\] table with the top-level table of this TOML file
    /// (a file of policy keys: `preset = "aks-2023-09"`, `repair_delay = "2m"`, ...).
    PolicyFile(PathBuf),
}

impl Patch {
    /// Parses a `--set` argument `KEY=VALUE` (split at the first '='). Errors (no '=', empty key,
    /// bad path syntax) are ScenarioErrors whose `file` is `--set ARG`.
    pub fn parse_set(arg: &str) -> Result<Patch, ScenarioError> {
        let err = |message: String| ScenarioError {
            file: format!("--set {arg}"),
            line: None,
            column: None,
            field: String::new(),
            message,
        };
        let Some((key, value)) = arg.split_once('=') else {
            return Err(err(format!(
                "expected KEY=VALUE, e.g. policy.repair_delay=2m; found no '=' in {arg:?}"
            )));
        };
        let key = key.trim();
        parse_path(key).map_err(err)?;
        Ok(Patch::Set {
            key: key.to_string(),
            value: value.trim().to_string(),
        })
    }

    /// How the patch is written on the command line, e.g. `policy.repair_delay=2m`,
    /// `preset=aks-2023-09`, `policy=FILE`.
    pub fn label(&self) -> String {
        match self {
            Patch::Set { key, value } => format!("{key}={value}"),
            Patch::Preset(name) => format!("preset={name}"),
            Patch::PolicyFile(path) => format!("policy={}", path.display()),
        }
    }

    /// What errors inside the patch name as their file.
    pub(super) fn source_label(&self) -> String {
        match self {
            Patch::Set { key, value } => format!("--set {key}={value}"),
            Patch::Preset(name) => format!("--preset {name}"),
            Patch::PolicyFile(path) => path.display().to_string(),
        }
    }
}

impl fmt::Display for Patch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Seg {
    Key(String),
    Index(usize),
}

const PATH_HELP: &str = "expected a dotted path of keys and [i] indices, e.g. seed, \
                         policy.repair_delay, pools[0].count or actions.reboot.error_rate";

/// Parses `policy.repair_delay`, `pools[0].count`, `actions.reboot.error_codes."A B"`.
pub(super) fn parse_path(key: &str) -> Result<Vec<Seg>, String> {
    if key.is_empty() {
        return Err(format!("the key is empty; {PATH_HELP}"));
    }
    let bad = |why: &str| format!("bad key {key:?} ({why}); {PATH_HELP}");
    let mut segs = Vec::new();
    let mut chars = key.chars().peekable();
    loop {
        // A name: bare or quoted.
        let mut name = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(bad("unterminated quote")),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => name.push(c),
                        None => return Err(bad("unterminated quote")),
                    },
                    Some(c) => name.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                return Err(match chars.peek() {
                    None => bad("a key is missing after '.'"),
                    Some(c) => bad(&format!("unexpected {c:?}")),
                });
            }
        }
        segs.push(Seg::Key(name));
        // Indices.
        while chars.peek() == Some(&'[') {
            chars.next();
            let mut digits = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_digit() {
                    digits.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            if chars.next() != Some(']') || digits.is_empty() {
                return Err(bad("an index is a whole number in brackets, e.g. [0]"));
            }
            // One way to write each index, as error messages write it.
            if digits.len() > 1 && digits.starts_with('0') {
                return Err(bad("an index has no leading zeros, e.g. [0] or [10]"));
            }
            let i = digits
                .parse::<usize>()
                .map_err(|_| bad("the index is too large"))?;
            segs.push(Seg::Index(i));
        }
        match chars.next() {
            None => return Ok(segs),
            Some('.') => {}
            Some(c) => return Err(bad(&format!("unexpected {c:?}"))),
        }
    }
}

/// An error while applying a patch, positioned by a (virtual) span.
pub(super) struct PatchError {
    pub span: Option<Range<usize>>,
    pub field: String,
    pub message: String,
}

fn shifted(r: Range<usize>, by: usize) -> Range<usize> {
    r.start.saturating_add(by)..r.end.saturating_add(by)
}

/// `v` with every span moved by `by`; TOML date-times become the strings
/// they were written as when `dates` (a `--set` value such as
/// `start=2026-01-01T00:00:00Z`).
fn shift<'a>(
    v: Spanned<DeValue<'a>>,
    src: &'a str,
    by: usize,
    dates: bool,
) -> Spanned<DeValue<'a>> {
    let span = v.span();
    let value = match v.into_inner() {
        DeValue::Datetime(_) if dates => {
            DeValue::String(Cow::Borrowed(src.get(span.clone()).unwrap_or("")))
        }
        DeValue::Array(a) => DeValue::Array(
            a.into_iter()
                .map(|item| shift(item, src, by, dates))
                .collect(),
        ),
        DeValue::Table(t) => DeValue::Table(shift_table(t, src, by, dates)),
        other => other,
    };
    Spanned::new(shifted(span, by), value)
}

/// `v` with every span inside it set to `span`: a value read from a
/// resource file points at the field it came from.
fn respan<'a>(v: DeValue<'a>, span: &Range<usize>) -> Spanned<DeValue<'a>> {
    let value = match v {
        DeValue::Array(a) => DeValue::Array(
            a.into_iter()
                .map(|item| respan(item.into_inner(), span))
                .collect(),
        ),
        other => other,
    };
    Spanned::new(span.clone(), value)
}

fn shift_table<'a>(t: DeTable<'a>, src: &'a str, by: usize, dates: bool) -> DeTable<'a> {
    let mut out = DeTable::new();
    for (k, v) in t {
        let ks = k.span();
        out.insert(
            Spanned::new(shifted(ks, by), k.into_inner()),
            shift(v, src, by, dates),
        );
    }
    out
}

/// The items of `[a, b, "c"]` split at top-level commas, with their byte
/// offsets in `inner` (the text between the brackets).
fn split_items(inner: &str) -> Vec<(usize, &str)> {
    let mut items = Vec::new();
    let (mut depth, mut quote, mut escaped, mut start) = (0i64, None::<char>, false, 0usize);
    for (i, c) in inner.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push((start, &inner[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = &inner[start..];
    // A trailing comma, as TOML allows: `[reboot, reimage,]`.
    if items.is_empty() || !last.trim().is_empty() {
        items.push((start, last));
    }
    items
}

/// The deepest a `--set` value may nest brackets and braces: a scenario
/// value needs 3 at most, and deeper input would only cost stack.
const MAX_VALUE_NESTING: usize = 32;

/// How deep `text` nests `[` and `{` (quotes are not looked into).
fn nesting(text: &str) -> usize {
    let (mut depth, mut most, mut quote) = (0usize, 0usize, None);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                most = most.max(depth);
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    most
}

/// A `--set` value: TOML if it parses (date-times become strings), else a
/// bracketed list of such values or bare strings, else a bare string.
/// `text` is the value as written and `at` its offset in the patch's source
/// text; spans are moved by `base` (where that text starts in the virtual
/// range).
fn set_value(at: usize, text: &str, base: usize) -> Spanned<DeValue<'_>> {
    let lead = text.len() - text.trim_start().len();
    let v = text.trim();
    let at = at + lead;
    if let Ok(parsed) = DeValue::parse(v) {
        // Spans of `parsed` are relative to `v`.
        return shift(parsed, v, base + at, true);
    }
    let span = base + at..base + at + v.len();
    if v.len() >= 2 && v.starts_with('[') && v.ends_with(']') {
        let inner = &v[1..v.len() - 1];
        let items: DeArray<'_> = split_items(inner)
            .into_iter()
            .map(|(off, item)| set_value(at + 1 + off, item, base))
            .collect();
        return Spanned::new(span, DeValue::Array(items));
    }
    Spanned::new(span, DeValue::String(Cow::Borrowed(v)))
}

/// Applies `patch` to the document `root`. `src` is the patch's source text
/// (for a `--set`, `KEY=VALUE`; for a preset, its name; for a policy file,
/// the file) and `base` where it starts in the virtual range of spans.
pub(super) fn apply<'a>(
    root: &mut DeTable<'a>,
    patch: &Patch,
    src: &'a str,
    base: usize,
    translation: Option<&'a Translation>,
) -> Result<(), PatchError> {
    let whole = base..base + src.len();
    match (patch, translation) {
        (Patch::Set { key, .. }, _) => {
            // `src` is `KEY=VALUE` with the key as in the patch.
            let key_len = key.len().min(src.len());
            let key_span = base..base + key_len;
            let segs = parse_path(key).map_err(|message| PatchError {
                span: Some(key_span.clone()),
                field: String::new(),
                message,
            })?;
            let value_at = (key_len + 1).min(src.len());
            if nesting(&src[value_at..]) > MAX_VALUE_NESTING {
                return Err(PatchError {
                    span: Some(base + value_at..base + src.len()),
                    field: key.clone(),
                    message: format!(
                        "the value nests brackets more than {MAX_VALUE_NESTING} deep; \
                         scenario values are strings, numbers, lists and small tables"
                    ),
                });
            }
            let value = set_value(value_at, &src[value_at..], base);
            let mut doc = DeValue::Table(std::mem::take(root));
            let r = set_in(&mut doc, &segs, String::new(), value, key_span);
            if let DeValue::Table(t) = doc {
                *root = t;
            }
            r
        }
        (Patch::Preset(_), _) => {
            let mut t = DeTable::new();
            t.insert(
                Spanned::new(whole.clone(), Cow::Borrowed("preset")),
                Spanned::new(whole.clone(), DeValue::String(Cow::Borrowed(src))),
            );
            root.insert(
                Spanned::new(whole.clone(), Cow::Borrowed("policy")),
                Spanned::new(whole, DeValue::Table(t)),
            );
            Ok(())
        }
        (Patch::PolicyFile(_), Some(t)) => {
            let mut table = DeTable::new();
            for setting in &t.settings {
                let span = shifted(setting.span.clone(), base);
                let mut value = DeValue::parse(&setting.value)
                    .map_err(|e| PatchError {
                        span: Some(span.clone()),
                        field: setting.field.clone(),
                        message: format!("internal: bad value {}: {}", setting.value, e.message()),
                    })?
                    .into_inner();
                value.make_owned();
                table.insert(
                    Spanned::new(span.clone(), Cow::Borrowed(setting.key)),
                    respan(value, &span),
                );
            }
            root.insert(
                Spanned::new(whole.clone(), Cow::Borrowed("policy")),
                Spanned::new(whole, DeValue::Table(table)),
            );
            Ok(())
        }
        (Patch::PolicyFile(_), None) => {
            let parsed = DeTable::parse(src).map_err(|e| PatchError {
                span: e.span().map(|s| shifted(s, base)),
                field: String::new(),
                message: format!("invalid TOML: {}", e.message().trim().replace('\n', "; ")),
            })?;
            let span = shifted(parsed.span(), base);
            let t = shift_table(parsed.into_inner(), src, base, false);
            let (span, t) = policy_header(span, t);
            root.insert(
                Spanned::new(whole, Cow::Borrowed("policy")),
                Spanned::new(span, DeValue::Table(t)),
            );
            Ok(())
        }
    }
}

/// A policy file written as a scenario's `[policy]` table (that header and
/// nothing else) stands for its keys, as one without the header does.
fn policy_header<'a>(span: Range<usize>, t: DeTable<'a>) -> (Range<usize>, DeTable<'a>) {
    let mut entries: Vec<_> = t.into_iter().collect();
    if let [(k, _)] = entries.as_slice()
        && k.get_ref() == "policy"
        && let Some((k, v)) = entries.pop()
    {
        let inner_span = v.span();
        match v.into_inner() {
            DeValue::Table(inner) => return (inner_span, inner),
            other => entries.push((k, Spanned::new(inner_span, other))),
        }
    }
    (span, entries.into_iter().collect())
}

/// `the scenario has 4 [[pools]] entries: pools[0] to pools[3]`, or the
/// same for an array inside a table.
fn entries(field: &str, n: usize) -> String {
    let (count, noun) = match n {
        0 => ("no".to_string(), "entries"),
        1 => ("1".to_string(), "entry"),
        n => (n.to_string(), "entries"),
    };
    let head = if field.contains(['.', '[']) {
        format!("{field} has {count} {noun}")
    } else {
        format!("the scenario has {count} [[{field}]] {noun}")
    };
    match n {
        0 => head,
        1 => format!("{head}: {}", index_path(field, 0)),
        _ => format!(
            "{head}: {} to {}",
            index_path(field, 0),
            index_path(field, n - 1)
        ),
    }
}

/// Sets `value` at `segs` below `slot` (whose path is `field`), creating
/// missing tables; new keys get `key_span`.
fn set_in<'a>(
    slot: &mut DeValue<'a>,
    segs: &[Seg],
    field: String,
    value: Spanned<DeValue<'a>>,
    key_span: Range<usize>,
) -> Result<(), PatchError> {
    let err = |field: String, message: String| PatchError {
        span: Some(key_span.clone()),
        field,
        message,
    };
    let Some((seg, rest)) = segs.split_first() else {
        *slot = value.into_inner();
        return Ok(());
    };
    match seg {
        Seg::Key(k) => {
            let DeValue::Table(t) = slot else {
                return Err(err(
                    field.clone(),
                    format!(
                        "it is {}, not a table, so it has no key {k:?}",
                        a_type(slot)
                    ),
                ));
            };
            let f = key_path(&field, k);
            if rest.is_empty() {
                t.insert(Spanned::new(key_span.clone(), Cow::Owned(k.clone())), value);
                return Ok(());
            }
            if t.get(k.as_str()).is_none() {
                if matches!(rest.first(), Some(Seg::Index(_))) {
                    return Err(err(f.clone(), entries(&f, 0)));
                }
                t.insert(
                    Spanned::new(key_span.clone(), Cow::Owned(k.clone())),
                    Spanned::new(key_span.clone(), DeValue::Table(DeTable::new())),
                );
            }
            match t.get_mut(k.as_str()) {
                Some(next) => set_in(next.get_mut(), rest, f, value, key_span),
                None => Err(err(f, "could not create the key".into())),
            }
        }
        Seg::Index(i) => {
            let f = index_path(&field, *i);
            let DeValue::Array(a) = slot else {
                let message = format!("it is {}, not an array, so it has no [{i}]", a_type(slot));
                return Err(err(field, message));
            };
            let n = a.len();
            match a.get_mut(*i) {
                // The whole element, span included: an error in it names the `--set`.
                Some(next) if rest.is_empty() => {
                    *next = value;
                    Ok(())
                }
                Some(next) => set_in(next.get_mut(), rest, f, value, key_span),
                None => Err(err(f, entries(&field, n))),
            }
        }
    }
}

fn a_type(v: &DeValue<'_>) -> String {
    match v.type_str() {
        t @ ("integer" | "array") => format!("an {t}"),
        t => format!("a {t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        use Seg::*;
        assert_eq!(parse_path("seed").unwrap(), vec![Key("seed".into())]);
        assert_eq!(
            parse_path("pools[10].count").unwrap(),
            vec![Key("pools".into()), Index(10), Key("count".into())]
        );
        assert_eq!(
            parse_path("actions.reboot.error_codes.\"A \\\"B\\\"\"").unwrap(),
            vec![
                Key("actions".into()),
                Key("reboot".into()),
                Key("error_codes".into()),
                Key("A \"B\"".into())
            ]
        );
        for bad in [
            "",
            ".",
            "a.",
            ".a",
            "a..b",
            "a[",
            "a[]",
            "a[x]",
            "[0]",
            "a b",
            "a[0]x",
            "\"a",
            "a[99999999999999999999999]",
            "pools[00]",
            "pools[01].count",
        ] {
            assert!(parse_path(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn items() {
        let got: Vec<&str> = split_items("a, \"b,c\" ,[d,e],{f=1,g=2},")
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        assert_eq!(got, vec!["a", " \"b,c\" ", "[d,e]", "{f=1,g=2}"]);
    }

    #[test]
    fn entries_wording() {
        assert_eq!(
            entries("pools", 4),
            "the scenario has 4 [[pools]] entries: pools[0] to pools[3]"
        );
        assert_eq!(
            entries("faults", 1),
            "the scenario has 1 [[faults]] entry: faults[0]"
        );
        assert_eq!(
            entries("inject", 0),
            "the scenario has no [[inject]] entries"
        );
        assert_eq!(
            entries("policy.ladder_linux", 2),
            "policy.ladder_linux has 2 entries: policy.ladder_linux[0] to policy.ladder_linux[1]"
        );
    }
}
