//! The configuration files users keep in their repositories, as policy
//! input (`--policy-file FILE`, `compare --candidate policy=FILE`):
//!
//! - a Cluster API `MachineHealthCheck` (v1beta1 or v1beta2), with the
//!   `maxInFlight` of a `MachineDeployment` in the same file (`capi.rs`);
//! - a medik8s `NodeHealthCheck` (`nhc.rs`);
//! - an EKS `nodeRepairConfig`, as JSON or YAML: bare, inside an EKS API
//!   request or response, or in an eksctl `ClusterConfig` (`eks.rs`).
//!
//! A file is read into the `[policy]` keys of the matching preset. Each key
//! keeps the span of the field it came from, so the loader validates the
//! values exactly as if a TOML policy file held them, and an error points at
//! the field's line and column. A field the simulator cannot model is an
//! error that names it; one that cannot change what is simulated is a
//! warning. Nothing is ignored in silence.
//!
//! JSON is read by the same YAML 1.2 parser (JSON is a subset of it), so
//! both get the same positions and messages.

mod capi;
mod eks;
mod nhc;

use crate::time::{SimDuration, format_duration};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use std::ops::Range;
use std::path::Path;

/// A policy file read into `[policy]` keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Translation {
    /// In the order the keys are set; `preset` first.
    pub settings: Vec<Setting>,
    pub warnings: Vec<Finding>,
}

/// One `[policy]` key from a field of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    /// The value as a TOML literal, e.g. `"300s"`, `2` or `["replace"]`.
    pub value: String,
    /// Where the field is in the file \[bytes\].
    pub span: Range<usize>,
    /// The field's path in the file, e.g. `spec.checks.nodeStartupTimeoutSeconds`.
    pub field: String,
}

/// An error or a warning about a field of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Where in the file \[bytes\]; `None` for the whole file.
    pub span: Option<Range<usize>>,
    pub field: String,
    pub message: String,
}

impl Finding {
    /// A finding about the whole file, at no position.
    pub(super) fn file(message: impl Into<String>) -> Finding {
        Finding {
            span: None,
            field: String::new(),
            message: message.into(),
        }
    }
}

/// The one of `items` that `select` names, or the only one. `names` are
/// the items' names, in order; `what` and `whats` name one item and several
/// in messages.
fn pick<T>(
    mut items: Vec<T>,
    names: &[String],
    select: Option<&str>,
    what: &str,
    whats: &str,
) -> Result<T, Finding> {
    let list = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    match select {
        Some(s) => {
            let i = names.iter().position(|n| n == s).ok_or_else(|| {
                Finding::file(format!(
                    "no {what} named {s:?} in the file; it holds {list}"
                ))
            })?;
            Ok(items.swap_remove(i))
        }
        None if items.len() > 1 => Err(Finding::file(format!(
            "the file holds {} {whats} ({list}); repairsim applies one policy to every pool: \
             name one as FILE#NAME",
            items.len()
        ))),
        None => items
            .into_iter()
            .next()
            .ok_or_else(|| Finding::file(format!("the file holds no {what}"))),
    }
}

/// The objects' `metadata.name`s, `(unnamed)` where there is none.
fn object_names(r: &Reader, objs: &[Obj]) -> Vec<String> {
    objs.iter()
        .map(|o| {
            r.child(o.node, "metadata")
                .and_then(|m| r.child_str(m, "name"))
                .unwrap_or("(unnamed)")
                .to_string()
        })
        .collect()
}

/// The index in `versions` of the object's `apiVersion`, which must be
/// one of them.
fn api_version(r: &Reader, o: &Obj, kind: &str, versions: &[&str]) -> Result<usize, Finding> {
    let expected = versions.join(" or ");
    let Some(n) = r.child(o.node, "apiVersion") else {
        return Err(r.err(
            o.node,
            &o.path,
            format!("a {kind} needs its apiVersion: {expected}"),
        ));
    };
    let field = join(&o.path, "apiVersion");
    let v = r.str(n, &field)?;
    versions.iter().position(|x| *x == v).ok_or_else(|| {
        r.err(
            n,
            &field,
            format!("apiVersion {v:?} of a {kind} is not one repairsim reads; expected {expected}"),
        )
    })
}

/// Whether the policy file is a Kubernetes resource or an EKS
/// configuration rather than a TOML table of `[policy]` keys: by its
/// extension, else because it is not TOML.
pub fn is_resource(path: &Path, text: &str) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml" | "json") => true,
        Some("toml") => false,
        _ => toml::de::DeTable::parse(text).is_err(),
    }
}

/// Splits `FILE#NAME` into the file and the name of the object to read
/// from it, when `FILE` exists and the whole path does not.
pub fn split_selector(path: &Path) -> (std::path::PathBuf, Option<String>) {
    let s = path.to_string_lossy();
    if !path.exists()
        && let Some((file, name)) = s.rsplit_once('#')
        && Path::new(file).exists()
    {
        return (file.into(), Some(name.to_string()));
    }
    (path.to_path_buf(), None)
}

/// Reads `text` (YAML or JSON) into `[policy]` keys. `select` names the
/// object to read when the file holds several (`FILE#NAME`).
pub fn translate(text: &str, select: Option<&str>) -> Result<Translation, Finding> {
    let mut r = Reader::new(text);
    let docs = MarkedYaml::load_from_str(text).map_err(|e| {
        let m = e.marker();
        Finding {
            span: Some(r.byte(m.index())..r.byte(m.index())),
            field: String::new(),
            message: format!("invalid YAML or JSON: {}", e.info()),
        }
    })?;
    // Every document, with the items of a `kind: List` flattened.
    let mut objects: Vec<Obj> = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let base = if docs.len() > 1 {
            format!("(document {})", i + 1)
        } else {
            String::new()
        };
        if matches!(d.data, YamlData::Value(Scalar::Null)) {
            continue;
        }
        let kind = r.opt_str(d, &base, "kind")?;
        if kind == Some("List") {
            let items = r.child(d, "items").ok_or_else(|| {
                r.err(d, &base, "a List needs items: the objects it holds".into())
            })?;
            let path = join(&base, "items");
            for (j, item) in r.seq(items, &path)?.into_iter().enumerate() {
                objects.push(Obj {
                    node: item,
                    path: format!("{path}[{j}]"),
                });
            }
        } else {
            objects.push(Obj {
                node: d,
                path: base,
            });
        }
    }
    let mut mhcs = Vec::new();
    let mut mds = Vec::new();
    let mut nhcs = Vec::new();
    let mut eks = Vec::new();
    for o in objects {
        if !matches!(o.node.data, YamlData::Mapping(_)) {
            return Err(r.err(
                o.node,
                &o.path,
                format!("expected an object, found {}", describe(o.node)),
            ));
        }
        match r.opt_str(o.node, &o.path, "kind")? {
            Some("MachineHealthCheck") => mhcs.push(o),
            Some("MachineDeployment") => mds.push(o),
            Some("NodeHealthCheck") => nhcs.push(o),
            Some("ClusterConfig") => eks.push(o),
            Some(kind) => {
                let k = r.child(o.node, "kind").unwrap_or(o.node);
                r.warn(
                    k,
                    &join(&o.path, "kind"),
                    format!("a {kind} is not remediation policy; skipped ({READS})"),
                );
            }
            None => eks.push(o),
        }
    }
    let families = [!mhcs.is_empty(), !nhcs.is_empty(), !eks.is_empty()];
    if (families[1] || families[2])
        && let Some(md) = mds.first()
    {
        r.warn(
            md.node,
            &md.path,
            "a MachineDeployment's maxInFlight applies only to MachineHealthCheck \
             remediation; skipped"
                .into(),
        );
    }
    match families {
        [true, false, false] => capi::read(&mut r, mhcs, mds, select)?,
        [false, true, false] => nhc::read(&mut r, nhcs, select)?,
        [false, false, true] => eks::read(&mut r, eks, select)?,
        [false, false, false] if mds.is_empty() => {
            return Err(Finding::file(format!(
                "no remediation policy in the file; {READS}"
            )));
        }
        [false, false, false] => {
            return Err(Finding::file(
                "a MachineDeployment alone sets only maxInFlight: add the \
                 MachineHealthCheck that remediates its Machines to the file",
            ));
        }
        _ => {
            return Err(Finding::file(
                "the file mixes providers' policies (MachineHealthCheck, \
                 NodeHealthCheck, EKS node repair); give one per policy file",
            ));
        }
    }
    Ok(Translation {
        settings: r.settings,
        warnings: r.warnings,
    })
}

/// What a policy file may hold, for messages.
const READS: &str = "repairsim reads a Cluster API MachineHealthCheck (with its \
                     MachineDeployment), a medik8s NodeHealthCheck, an eksctl ClusterConfig \
                     or an EKS nodeRepairConfig";

/// One object of the file and its path in messages.
struct Obj<'y> {
    node: &'y MarkedYaml<'y>,
    path: String,
}

/// `parent.key`, or `key` at the top.
fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// What a node is, for "expected ..., found ..." messages.
fn describe(n: &MarkedYaml) -> String {
    match &n.data {
        YamlData::Value(Scalar::Null) => "null".into(),
        YamlData::Value(Scalar::Boolean(b)) => b.to_string(),
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::String(s)) => format!("{s:?}"),
        YamlData::Sequence(_) => "a list".into(),
        YamlData::Mapping(_) => "an object".into(),
        _ => "an unsupported YAML value".into(),
    }
}

/// Walks the parsed file, collecting settings and warnings.
pub(crate) struct Reader {
    /// Byte offset of each character (the parser counts characters), and
    /// the text's length last.
    offsets: Vec<usize>,
    settings: Vec<Setting>,
    warnings: Vec<Finding>,
}

impl Reader {
    fn new(text: &str) -> Reader {
        let mut offsets: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        offsets.push(text.len());
        Reader {
            offsets,
            settings: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.offsets
            .get(char_index)
            .copied()
            .unwrap_or(*self.offsets.last().expect("never empty"))
    }

    fn span(&self, n: &MarkedYaml) -> Range<usize> {
        let (a, b) = (
            self.byte(n.span.start.index()),
            self.byte(n.span.end.index()),
        );
        a..b.max(a)
    }

    fn err(&self, n: &MarkedYaml, field: &str, message: String) -> Finding {
        Finding {
            span: Some(self.span(n)),
            field: field.to_string(),
            message,
        }
    }

    fn warn(&mut self, n: &MarkedYaml, field: &str, message: String) {
        let w = self.err(n, field, message);
        self.warnings.push(w);
    }

    /// Sets `[policy]` key `key` to the TOML literal `value`, from field
    /// `field` at `n`. A later setting of the same key replaces it.
    fn set(&mut self, key: &'static str, value: String, n: &MarkedYaml, field: &str) {
        self.settings.retain(|s| s.key != key);
        let span = self.span(n);
        self.settings.push(Setting {
            key,
            value,
            span,
            field: field.to_string(),
        });
    }

    /// The value at `key` of a mapping node, if any.
    /// The string at `key` of `n`, if it is one (for messages: anything
    /// else reads as absent).
    fn child_str<'y>(&self, n: &'y MarkedYaml<'y>, key: &str) -> Option<&'y str> {
        self.child(n, key).and_then(|v| self.str(v, "").ok())
    }

    fn child<'y>(&self, n: &'y MarkedYaml<'y>, key: &str) -> Option<&'y MarkedYaml<'y>> {
        match &n.data {
            YamlData::Mapping(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.data, YamlData::Value(Scalar::String(s)) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The fields of object `n`, refusing any not in `known`.
    fn fields<'y>(
        &self,
        n: &'y MarkedYaml<'y>,
        path: &str,
        known: &[&str],
    ) -> Result<Vec<(&'y str, &'y MarkedYaml<'y>, String)>, Finding> {
        let YamlData::Mapping(m) = &n.data else {
            if matches!(n.data, YamlData::Value(Scalar::Null)) {
                return Ok(Vec::new());
            }
            return Err(self.err(
                n,
                path,
                format!("expected an object, found {}", describe(n)),
            ));
        };
        let mut out = Vec::new();
        for (k, v) in m {
            let YamlData::Value(Scalar::String(name)) = &k.data else {
                return Err(self.err(
                    k,
                    path,
                    format!("expected a field name, found {}", describe(k)),
                ));
            };
            let field = join(path, name);
            if !known.contains(&name.as_ref()) {
                return Err(self.err(
                    k,
                    &field,
                    format!(
                        "unknown field {name:?}; valid fields here: {}",
                        known.join(", ")
                    ),
                ));
            }
            out.push((name.as_ref(), v, field));
        }
        Ok(out)
    }

    fn str<'y>(&self, n: &'y MarkedYaml<'y>, field: &str) -> Result<&'y str, Finding> {
        match &n.data {
            YamlData::Value(Scalar::String(s)) => Ok(s),
            _ => Err(self.err(
                n,
                field,
                format!("expected a string, found {}", describe(n)),
            )),
        }
    }

    /// The string at `key` of object `n`, if present.
    fn opt_str<'y>(
        &self,
        n: &'y MarkedYaml<'y>,
        path: &str,
        key: &str,
    ) -> Result<Option<&'y str>, Finding> {
        self.child(n, key)
            .map(|v| self.str(v, &join(path, key)))
            .transpose()
    }

    fn bool(&self, n: &MarkedYaml, field: &str) -> Result<bool, Finding> {
        match &n.data {
            YamlData::Value(Scalar::Boolean(b)) => Ok(*b),
            _ => Err(self.err(
                n,
                field,
                format!("expected true or false, found {}", describe(n)),
            )),
        }
    }

    fn int(&self, n: &MarkedYaml, field: &str, min: i64, max: i64) -> Result<i64, Finding> {
        match &n.data {
            YamlData::Value(Scalar::Integer(i)) if (min..=max).contains(i) => Ok(*i),
            _ => Err(self.err(
                n,
                field,
                format!(
                    "expected an integer from {min} to {max}, found {}",
                    describe(n)
                ),
            )),
        }
    }

    fn seq<'y>(
        &self,
        n: &'y MarkedYaml<'y>,
        field: &str,
    ) -> Result<Vec<&'y MarkedYaml<'y>>, Finding> {
        match &n.data {
            YamlData::Sequence(v) => Ok(v.iter().collect()),
            YamlData::Value(Scalar::Null) => Ok(Vec::new()),
            _ => Err(self.err(n, field, format!("expected a list, found {}", describe(n)))),
        }
    }

    /// A condition status: `"True"`, `"False"` or `"Unknown"`. An unquoted
    /// `False` is a YAML boolean; it is taken as the string it spells.
    fn status(&self, n: &MarkedYaml, field: &str) -> Result<&'static str, Finding> {
        match &n.data {
            YamlData::Value(Scalar::Boolean(true)) => Ok("True"),
            YamlData::Value(Scalar::Boolean(false)) => Ok("False"),
            YamlData::Value(Scalar::String(s)) if s == "True" => Ok("True"),
            YamlData::Value(Scalar::String(s)) if s == "False" => Ok("False"),
            YamlData::Value(Scalar::String(s)) if s == "Unknown" => Ok("Unknown"),
            _ => Err(self.err(
                n,
                field,
                format!(
                    "expected a condition status \"True\", \"False\" or \"Unknown\", found {}",
                    describe(n)
                ),
            )),
        }
    }

    /// An IntOrString count or percentage, as the TOML literal `2` or
    /// `"40%"`.
    fn int_or_percent(&self, n: &MarkedYaml, field: &str) -> Result<String, Finding> {
        match &n.data {
            YamlData::Value(Scalar::Integer(i)) if *i >= 0 => Ok(i.to_string()),
            YamlData::Value(Scalar::String(s))
                if s.strip_suffix('%')
                    .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
            {
                Ok(format!("{s:?}"))
            }
            _ => Err(self.err(
                n,
                field,
                format!(
                    "expected a count (an integer of at least 0) or a percentage such as \"40%\", found {}",
                    describe(n)
                ),
            )),
        }
    }

    /// A Kubernetes duration (`metav1.Duration`, Go's `time.ParseDuration`):
    /// `"300s"`, `"5m0s"`, `"1h30m"`, `"1.5h"`.
    fn go_duration(&self, n: &MarkedYaml, field: &str) -> Result<SimDuration, Finding> {
        let text = match &n.data {
            YamlData::Value(Scalar::String(s)) => s.as_ref(),
            _ => {
                return Err(self.err(
                    n,
                    field,
                    format!(
                        "expected a duration string such as \"300s\" or \"5m0s\", found {}",
                        describe(n)
                    ),
                ));
            }
        };
        parse_go_duration(text).map_err(|why| {
            self.err(
                n,
                field,
                format!(
                    "bad duration {text:?} ({why}); expected a Kubernetes duration such as \
                     \"300s\", \"5m0s\" or \"1h30m\""
                ),
            )
        })
    }
}

/// A duration as a TOML literal of repairsim's own syntax, e.g. `"5m"`.
fn duration_literal(d: SimDuration) -> String {
    format!("{:?}", format_duration(d))
}

/// Go's `time.ParseDuration`, to whole milliseconds: a sequence of decimal
/// numbers with units `h`, `m`, `s`, `ms`, `us`, `µs`, `ns`; `"0"` alone.
pub(crate) fn parse_go_duration(text: &str) -> Result<SimDuration, String> {
    if text == "0" {
        return Ok(SimDuration::ZERO);
    }
    if text.starts_with('-') {
        return Err("it is negative".into());
    }
    let s = text.strip_prefix('+').unwrap_or(text);
    if s.is_empty() {
        return Err("it is empty".into());
    }
    // Nanoseconds, so that "1.5s" and "1500ms" agree exactly.
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(num_len);
        if num.is_empty() || num == "." {
            return Err(format!("expected a number at {rest:?}"));
        }
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale: u128 = match unit {
            "h" => 3_600_000_000_000,
            "m" => 60_000_000_000,
            "s" => 1_000_000_000,
            "ms" => 1_000_000,
            "us" | "µs" | "μs" => 1_000,
            "ns" => 1,
            "" => return Err(format!("{num} has no unit (h, m, s, ms, us, ns)")),
            u => return Err(format!("unknown unit {u:?} (h, m, s, ms, us, ns)")),
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if frac.contains('.') {
            return Err(format!("bad number {num:?}"));
        }
        let int: u128 = if int.is_empty() {
            0
        } else {
            int.parse().map_err(|_| "too large".to_string())?
        };
        let mut ns = int.checked_mul(scale).ok_or("too large")?;
        let mut place = scale;
        for d in frac.bytes() {
            place /= 10;
            ns += u128::from(d - b'0') * place;
        }
        total = total.checked_add(ns).ok_or("too large")?;
        rest = next;
    }
    if !total.is_multiple_of(1_000_000) {
        return Err("the simulated clock counts whole milliseconds".into());
    }
    u64::try_from(total / 1_000_000)
        .map(SimDuration)
        .map_err(|_| "too large".into())
}

/// One entry of an unhealthy-condition list.
struct CondEntry<'y> {
    node: &'y MarkedYaml<'y>,
    path: String,
    ty: &'y str,
    status: &'static str,
    timeout: SimDuration,
}

/// Reads `{type, status, <timeout_key>}`: `timeoutSeconds` is whole
/// seconds (Cluster API v1beta2), any other key a Kubernetes duration.
fn condition_entry<'y>(
    r: &Reader,
    item: &'y MarkedYaml<'y>,
    path: &str,
    timeout_key: &str,
) -> Result<CondEntry<'y>, Finding> {
    let (mut ty, mut status, mut timeout) = (None, None, None);
    for (name, node, field) in r.fields(item, path, &["type", "status", timeout_key])? {
        match name {
            "type" => ty = Some(r.str(node, &field)?),
            "status" => status = Some(r.status(node, &field)?),
            "timeoutSeconds" => {
                let s = r.int(node, &field, 0, i64::from(i32::MAX))?;
                timeout = Some(SimDuration::from_secs(s as u64));
            }
            _ => timeout = Some(r.go_duration(node, &field)?),
        }
    }
    let missing = |what: &str| r.err(item, path, format!("missing required field {what:?}"));
    Ok(CondEntry {
        node: item,
        path: path.to_string(),
        ty: ty.ok_or_else(|| missing("type"))?,
        status: status.ok_or_else(|| missing("status"))?,
        timeout: timeout.ok_or_else(|| missing(timeout_key))?,
    })
}

/// The unhealthy-condition list of a MachineHealthCheck or a
/// NodeHealthCheck, read into `unhealthy_false_after` and
/// `unhealthy_unknown_after` (the shortest timeout of each status, as the
/// entries are OR-ed; `"never"` for a status no entry lists). Only Ready is
/// simulated: other condition types get a warning; Ready=True is refused.
fn conditions(
    r: &mut Reader,
    list: &MarkedYaml,
    list_field: &str,
    timeout_key: &str,
) -> Result<(), Finding> {
    let mut entries = Vec::new();
    for (i, item) in r.seq(list, list_field)?.into_iter().enumerate() {
        entries.push(condition_entry(
            r,
            item,
            &format!("{list_field}[{i}]"),
            timeout_key,
        )?);
    }
    let mut shortest: [Option<&CondEntry>; 2] = [None, None];
    for e in &entries {
        if e.ty != "Ready" {
            r.warn(
                e.node,
                &e.path,
                format!(
                    "condition {} is not simulated (repairsim's faults change only Ready); \
                     this entry never matches",
                    e.ty
                ),
            );
            continue;
        }
        let slot = match e.status {
            "False" => 0,
            "Unknown" => 1,
            _ => {
                return Err(r.err(
                    e.node,
                    &e.path,
                    "Ready=True as an unhealthy condition would remediate every healthy node; \
                     repairsim cannot simulate it"
                        .into(),
                ));
            }
        };
        if shortest[slot].is_none_or(|s| e.timeout < s.timeout) {
            shortest[slot] = Some(e);
        }
    }
    for (slot, key) in [(0, "unhealthy_false_after"), (1, "unhealthy_unknown_after")] {
        match shortest[slot] {
            Some(e) => r.set(key, duration_literal(e.timeout), e.node, &e.path),
            None => r.set(key, "\"never\"".into(), list, list_field),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_become_milliseconds() {
        let ms = |s: &str| parse_go_duration(s).map(|d| d.ms());
        assert_eq!(ms("300s"), Ok(300_000));
        assert_eq!(ms("5m0s"), Ok(300_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("1.5h"), Ok(5_400_000));
        assert_eq!(ms("1500ms"), Ok(1_500));
        assert_eq!(ms("0"), Ok(0));
        assert_eq!(ms("0s"), Ok(0));
        assert!(ms("300").unwrap_err().contains("no unit"));
        assert!(ms("5x").unwrap_err().contains("unknown unit"));
        assert!(ms("1us").unwrap_err().contains("whole milliseconds"));
        assert!(ms("-1s").is_err());
        assert!(ms("").is_err());
    }

    #[test]
    fn selectors_split_only_when_the_file_exists() {
        let (f, sel) = split_selector(Path::new("/no/such/file.yaml#ng-1"));
        assert_eq!((f, sel), ("/no/such/file.yaml#ng-1".into(), None));
        let dir = std::env::temp_dir().join("repairsim-selector-test.yaml");
        std::fs::write(&dir, "a: 1\n").unwrap();
        let with = format!("{}#ng-1", dir.display());
        let (f, sel) = split_selector(Path::new(&with));
        assert_eq!(f, dir);
        assert_eq!(sel.as_deref(), Some("ng-1"));
    }

    #[test]
    fn a_bad_document_points_at_its_line() {
        let e = translate("kind: MachineHealthCheck\nkind: x\n", None).unwrap_err();
        assert!(e.message.starts_with("invalid YAML or JSON"), "{e:?}");
        assert_eq!(e.span, Some(25..25));
    }
}
