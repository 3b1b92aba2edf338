//! The scenario file as serde reads it: every table is
//! `#[serde(deny_unknown_fields)]`, and every value that is checked after
//! parsing is a [`Spanned`] so that an error can point at it.
//!
//! Nothing here is validated: keys are optional even when the scenario
//! requires them (so that `load` can say which table lacks them and where),
//! integers are `i64` (so that `count = -1` is reported as a range error,
//! not as a type error), and names are strings. [`super::load`] turns a
//! [`RawScenario`] into a [`super::Scenario`].
//!
//! Field order in each struct is the order the "valid keys" lists of error
//! messages use, so keep it the order of docs/scenario-reference.md.

use crate::policy::spec::{self, Section, Setting, Type};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use toml::Spanned;

/// A string value with its position.
pub type SStr = Spanned<String>;
/// A list of strings with the list's position and each item's.
pub type SList = Spanned<Vec<SStr>>;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a scenario table")]
pub struct RawScenario {
    pub name: Option<SStr>,
    pub description: Option<String>,
    pub seed: Option<Spanned<i64>>,
    pub start: Option<SStr>,
    pub horizon: Option<SStr>,
    pub never_registered: Option<SList>,
    pub policy: Option<Spanned<RawPolicy>>,
    pub kubernetes: Option<Spanned<RawKubernetes>>,
    pub pools: Option<Spanned<Vec<Spanned<RawPool>>>>,
    pub actions: Option<Spanned<RawActions>>,
    #[serde(default)]
    pub faults: Vec<Spanned<RawFault>>,
    #[serde(default)]
    pub inject: Vec<Spanned<RawInject>>,
    #[serde(default)]
    pub failures: Vec<Spanned<RawFailure>>,
    #[serde(default)]
    pub outages: Vec<Spanned<RawOutage>>,
    #[serde(default)]
    pub taints: Vec<Spanned<RawTaint>>,
    #[serde(default)]
    pub upgrades: Vec<Spanned<RawUpgrade>>,
    #[serde(default)]
    pub annotations: Vec<Spanned<RawAnnotation>>,
    #[serde(default)]
    pub labels: Vec<Spanned<RawLabel>>,
    #[serde(default)]
    pub pauses: Vec<Spanned<RawPause>>,
    #[serde(default)]
    pub exclusions: Vec<Spanned<RawExclusion>>,
    #[serde(default)]
    pub expect: Vec<Spanned<RawExpect>>,
}

/// A value of a `[policy]` or `[kubernetes]` key, in the shape its
/// [`Type`] is written in; serde reports a wrong shape as it would for a
/// struct field.
#[derive(Debug)]
pub enum RawValue {
    Text(SStr),
    Int(Spanned<i64>),
    Bool(Spanned<bool>),
    List(SList),
    /// A value of more than one shape (a count or a percentage).
    Any(Spanned<toml::Value>),
}

impl RawValue {
    /// The value's span.
    pub fn span(&self) -> std::ops::Range<usize> {
        match self {
            RawValue::Text(v) => v.span(),
            RawValue::Int(v) => v.span(),
            RawValue::Bool(v) => v.span(),
            RawValue::List(v) => v.span(),
            RawValue::Any(v) => v.span(),
        }
    }
}

/// `\[policy\]`: a preset and keys declared in
/// [`crate::policy::spec::SETTINGS`], in file order.
#[derive(Debug, Default)]
pub struct RawPolicy {
    pub preset: Option<SStr>,
    pub values: Vec<(&'static str, RawValue)>,
}

/// `\[kubernetes\]`: keys declared in [`crate::policy::spec::SETTINGS`]
/// (the kubelet's and the control plane's timing), in file order.
#[derive(Debug, Default)]
pub struct RawKubernetes {
    pub values: Vec<(&'static str, RawValue)>,
}

impl<'de> Deserialize<'de> for RawPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (preset, values) = d.deserialize_struct(
            "RawPolicy",
            spec::POLICY_FIELDS,
            SettingsVisitor {
                section: Section::Policy,
                expecting: "a [policy] table",
            },
        )?;
        Ok(RawPolicy { preset, values })
    }
}

impl<'de> Deserialize<'de> for RawKubernetes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (_, values) = d.deserialize_struct(
            "RawKubernetes",
            spec::KUBERNETES_FIELDS,
            SettingsVisitor {
                section: Section::Kubernetes,
                expecting: "a [kubernetes] table",
            },
        )?;
        Ok(RawKubernetes { values })
    }
}

/// Reads a table of settings: each key must be declared in `section`, and
/// its value is read in its type's shape.
struct SettingsVisitor {
    section: Section,
    expecting: &'static str,
}

enum Field {
    Preset,
    Key(&'static Setting),
}

/// A key of the table: `preset` (in `[policy]`) or a declared setting;
/// anything else is serde's unknown-field error, listing the valid keys.
struct FieldSeed(Section);

impl<'de> de::DeserializeSeed<'de> for FieldSeed {
    type Value = Field;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Field, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed {
    type Value = Field;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
        match self.0 {
            Section::Policy if v == "preset" => Ok(Field::Preset),
            section => spec::lookup(section, v).map(Field::Key).ok_or_else(|| {
                E::unknown_field(
                    v,
                    match section {
                        Section::Policy => spec::POLICY_FIELDS,
                        Section::Kubernetes => spec::KUBERNETES_FIELDS,
                    },
                )
            }),
        }
    }
}

impl<'de> Visitor<'de> for SettingsVisitor {
    type Value = (Option<SStr>, Vec<(&'static str, RawValue)>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut preset = None;
        let mut values = Vec::new();
        while let Some(field) = map.next_key_seed(FieldSeed(self.section))? {
            let s = match field {
                Field::Preset => {
                    preset = Some(map.next_value()?);
                    continue;
                }
                Field::Key(s) => s,
            };
            let ty = s.key.map_or(Type::Bool, |k| k.ty);
            let v = match ty {
                Type::Duration { .. } | Type::DurationOrNever | Type::Choice(_) | Type::Range => {
                    RawValue::Text(map.next_value()?)
                }
                Type::Int { .. } => RawValue::Int(map.next_value()?),
                Type::Bool => RawValue::Bool(map.next_value()?),
                Type::Ladder | Type::Durations => RawValue::List(map.next_value()?),
                Type::IntOrUnlimited | Type::Amount => RawValue::Any(map.next_value()?),
            };
            values.push((s.name, v));
        }
        Ok((preset, values))
    }
}

/// One `[[pools]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[pools]] table")]
pub struct RawPool {
    pub name: Option<SStr>,
    pub os: Option<SStr>,
    pub count: Option<Spanned<i64>>,
    pub ladder: Option<SList>,
    pub nodes: Option<SList>,
}

/// `[actions]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [actions] table")]
pub struct RawActions {
    pub reboot: Option<Spanned<RawAction>>,
    pub reimage: Option<Spanned<RawAction>>,
    pub redeploy: Option<Spanned<RawAction>>,
    pub recreate: Option<Spanned<RawRecreate>>,
    pub replace: Option<Spanned<RawReplace>>,
    #[serde(rename = "snr-reboot")]
    pub snr_reboot: Option<Spanned<RawAction>>,
}

/// One action's behaviour, e.g. `reboot = { duration = "4m", error_rate = 0.1 }`.
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { duration = \"4m\", error_rate = 0.0 }"
)]
pub struct RawAction {
    pub duration: Option<Spanned<RawDist>>,
    pub windows_duration: Option<Spanned<RawDist>>,
    pub error_rate: Option<Spanned<f64>>,
    pub error_codes: Option<Spanned<OrderedMap<SStr, Spanned<f64>>>>,
}

/// `recreate = { drain = "2m", vm = "4m" }` (PEERS.md section 0).
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { drain = \"2m\", vm = \"4m\", error_rate = 0.0 }"
)]
pub struct RawRecreate {
    pub drain: Option<Spanned<RawDist>>,
    pub vm: Option<Spanned<RawDist>>,
    pub error_rate: Option<Spanned<f64>>,
    pub error_codes: Option<Spanned<OrderedMap<SStr, Spanned<f64>>>>,
}

/// `replace = { delete = "1m", provision = "5m" }` (PEERS.md section 0).
#[derive(Debug, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { delete = \"1m\", provision = \"5m\", error_rate = 0.0 }"
)]
pub struct RawReplace {
    pub delete: Option<Spanned<RawDist>>,
    pub provision: Option<Spanned<RawDist>>,
    pub error_rate: Option<Spanned<f64>>,
    pub error_codes: Option<Spanned<OrderedMap<SStr, Spanned<f64>>>>,
}

/// One `[[faults]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[faults]] table")]
pub struct RawFault {
    pub name: Option<SStr>,
    pub signal: Option<SStr>,
    pub fixed_by: Option<SStr>,
    pub self_heal_after: Option<Spanned<RawDist>>,
    pub exclude: Option<SStr>,
    pub actions: Option<Spanned<Vec<Spanned<RawRecorded>>>>,
}

/// One recorded action of a `[[faults]] actions` list.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a recorded action such as { kind = \"reboot\", duration = \"4m\" }"
)]
pub struct RawRecorded {
    pub kind: Option<SStr>,
    pub duration: Option<SStr>,
    pub error: Option<SStr>,
}

/// One `[[inject]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[inject]] table")]
pub struct RawInject {
    pub at: Option<SStr>,
    pub fault: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
    pub count: Option<Spanned<i64>>,
}

/// One `[[failures]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[failures]] table")]
pub struct RawFailure {
    pub fault: Option<SStr>,
    pub mtbf: Option<SStr>,
    pub pools: Option<SList>,
    pub os: Option<SStr>,
}

/// One `[[outages]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[outages]] table")]
pub struct RawOutage {
    pub name: Option<SStr>,
    pub at: Option<SStr>,
    pub duration: Option<SStr>,
    pub fault: Option<SStr>,
    pub pools: Option<SList>,
    pub fraction: Option<Spanned<f64>>,
}

/// One `[[taints]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[taints]] table")]
pub struct RawTaint {
    pub taint: Option<SStr>,
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
}

/// One `[[exclusions]]` entry: a window in which a recorded history's
/// policy left a node alone for a reason the record does not show.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[exclusions]] table")]
pub struct RawExclusion {
    pub reason: Option<SStr>,
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
}

/// One `[[annotations]]` entry: a Machine annotation a peer reads
/// (PEERS.md section 3).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[annotations]] table")]
pub struct RawAnnotation {
    pub annotation: Option<SStr>,
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
}

/// One `[[labels]]` entry: a node label a peer reads (PEERS.md section 4).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[labels]] table")]
pub struct RawLabel {
    pub label: Option<SStr>,
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
}

/// One `[[pauses]]` entry: the health check itself is paused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[pauses]] table")]
pub struct RawPause {
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    /// The pool whose health check is paused; every node when absent.
    pub pool: Option<SStr>,
}

/// One `[[upgrades]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[upgrades]] table")]
pub struct RawUpgrade {
    pub from: Option<SStr>,
    pub until: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
}

/// One `[[expect]]` entry. Which kind it is follows from its keys: `event`,
/// `no_event`, `metric`, or else an incident (`outcome`, `outcome_at`,
/// `detected_by`, `time_to_detect`, `time_to_recover`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[expect]] table")]
pub struct RawExpect {
    pub name: Option<SStr>,
    pub event: Option<SStr>,
    pub no_event: Option<SStr>,
    pub metric: Option<SStr>,
    pub node: Option<SStr>,
    pub pool: Option<SStr>,
    pub os: Option<SStr>,
    pub at: Option<SStr>,
    pub within: Option<SList>,
    pub onset: Option<SStr>,
    pub outcome: Option<SStr>,
    pub outcome_at: Option<SStr>,
    pub detected_by: Option<SStr>,
    pub time_to_detect: Option<SStr>,
    pub time_to_recover: Option<SStr>,
    pub replications: Option<Spanned<i64>>,
    pub statistic: Option<SStr>,
    /// `--set` overrides the metric is measured under (`["policy.repair_delay=2m"]`).
    pub set: Option<SList>,
    /// A number, or a duration string for duration metrics.
    pub at_least: Option<Spanned<toml::Value>>,
    pub at_most: Option<Spanned<toml::Value>>,
    pub equals: Option<Spanned<toml::Value>>,
}

/// `{ lognormal = { median = "10m", sigma = 0.5 } }`.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as { median = \"10m\", sigma = 0.5 }"
)]
pub struct RawLogNormal {
    pub median: Option<SStr>,
    pub sigma: Option<Spanned<f64>>,
}

/// A duration that may vary, as written: a string (`"4m"`) or an inline
/// table with exactly one key.
#[derive(Debug)]
pub enum RawDist {
    /// `"4m"`; its position is the enclosing `Spanned`'s.
    Fixed(String),
    /// `{ uniform = ["8m", "12m"] }`
    Uniform(SList),
    /// `{ exponential = "30m" }` (the mean)
    Exponential(SStr),
    /// `{ lognormal = { median = "10m", sigma = 0.5 } }`
    LogNormal(Spanned<RawLogNormal>),
    /// `{ empirical = ["1m", "2m", "5m"] }`
    Empirical(SList),
}

/// The keys a distribution table may have.
pub const DIST_KINDS: &[&str] = &["uniform", "exponential", "lognormal", "empirical"];

#[derive(Clone, Copy)]
enum DistKind {
    Uniform,
    Exponential,
    LogNormal,
    Empirical,
}

/// Deserialized by hand (not derived) so that an unknown key fails while
/// the key itself is read, and the error points at the key.
impl<'de> Deserialize<'de> for DistKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DistKind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one of the keys uniform, exponential, lognormal, empirical")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DistKind, E> {
                match v {
                    "uniform" => Ok(DistKind::Uniform),
                    "exponential" => Ok(DistKind::Exponential),
                    "lognormal" => Ok(DistKind::LogNormal),
                    "empirical" => Ok(DistKind::Empirical),
                    other => Err(E::unknown_field(other, DIST_KINDS)),
                }
            }
        }
        d.deserialize_str(V)
    }
}

const DIST_EXPECTING: &str = "a duration such as \"4m\", or a table with exactly one key: \
                              { uniform = [\"8m\", \"12m\"] }, { exponential = \"30m\" }, \
                              { lognormal = { median = \"10m\", sigma = 0.5 } } or \
                              { empirical = [\"1m\", \"2m\"] }";

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(DIST_EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDist, E> {
                Ok(RawDist::Fixed(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDist, A::Error> {
                let Some(kind) = map.next_key::<DistKind>()? else {
                    return Err(de::Error::custom(format!(
                        "empty table; expected {DIST_EXPECTING}"
                    )));
                };
                let dist = match kind {
                    DistKind::Uniform => RawDist::Uniform(map.next_value()?),
                    DistKind::Exponential => RawDist::Exponential(map.next_value()?),
                    DistKind::LogNormal => RawDist::LogNormal(map.next_value()?),
                    DistKind::Empirical => RawDist::Empirical(map.next_value()?),
                };
                if map.next_key::<DistKind>()?.is_some() {
                    return Err(de::Error::custom(
                        "a distribution table has exactly one key: uniform, exponential, \
                         lognormal or empirical",
                    ));
                }
                Ok(dist)
            }
        }
        d.deserialize_any(V)
    }
}

/// A TOML table read as a list of pairs in file order (so that the first
/// bad entry in the file is the one reported).
#[derive(Debug)]
pub struct OrderedMap<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Vis<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for Vis<K, V> {
            type Value = OrderedMap<K, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table such as { \"VMExtensionProvisioningError\" = 2, \"InvalidParameter\" = 1 }")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key()? {
                    out.push((k, map.next_value()?));
                }
                Ok(OrderedMap(out))
            }
        }
        d.deserialize_map(Vis(std::marker::PhantomData))
    }
}
