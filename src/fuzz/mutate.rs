//! The mutations: of a TOML document's values and structure, of text by
//! lines and bytes, of `--set` arguments, and of golden CSV and JSON.
//!
//! Every draw comes from the caller's generator, so a mutant is a pure
//! function of the seed and the execution index.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::Value as Json;
use toml::Value;

/// What the mutations draw names from: strings and keys of the shipped
/// scenarios (fault, pool and preset names mean something to the loader)
/// and key paths as `--set` writes them.
pub struct Words {
    /// Every string value and key of the corpus, sorted, without repeats.
    pub words: Vec<String>,
    /// `pools[0].count`, `policy.repair_delay`, ...: sorted, without repeats.
    pub keys: Vec<String>,
}

/// Integers at and around the limits the loader and the engine care about.
const INTS: &[i64] = &[
    0,
    -1,
    1,
    2,
    3,
    -2,
    7,
    60,
    100,
    255,
    256,
    1_000,
    65_535,
    1_000_000,
    1_000_001,
    999_999,
    50_000_000,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    1 << 53,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
];

const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    1.5,
    1e-9,
    1e9,
    1e9 + 1.0,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN_POSITIVE,
    5e-324,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    18446744073709551616.0,
];

/// Durations as scenarios write them, and the ways they go wrong.
const DURATIONS: &[&str] = &[
    "0s",
    "0ms",
    "1ms",
    "1s",
    "59s",
    "1m",
    "5m",
    "10m",
    "1h",
    "1h30m",
    "1d",
    "30d",
    "365d",
    "36500d",
    "36501d",
    "99999999d",
    "18446744073709551615ms",
    "18446744073709551616ms",
    "9223372036854775807ms",
    "9223372036854775807d",
    "-1s",
    "-0s",
    "1.5m",
    "1e3s",
    "nan",
    "inf",
    "never",
    "5M",
    "5 m",
    " 5m",
    "5m ",
    "5m5m",
    "1h-30m",
    "m",
    "5",
    "٣m",
    "²m",
    "５m",
    "1ｍ",
    "100y",
    "1w",
    "0x10s",
    "+5m",
    "40%",
    "140%",
    "-1%",
    "0%",
    "100%",
    "nan%",
    "1e400%",
    "%",
];

/// Strings that stress a parser or a renderer.
const STRINGS: &[&str] = &[
    "",
    " ",
    "x",
    "\0",
    "\t\n",
    "\r\n",
    "\"",
    "'",
    "\\",
    "a,b",
    "\"a,b\"",
    "=",
    "[",
    "]",
    "{",
    "}",
    "[]",
    "{}",
    "#",
    "..",
    "é",
    "ñandú",
    "😀",
    "\u{202e}rtl",
    "\u{feff}bom",
    "\u{200b}",
    "Ａ",
    "İ",
    "ß",
    "ǅ",
    "<script>&amp;",
    "%s%n",
    "{0}",
    "linux",
    "windows",
    "LINUX",
    "reboot",
    "reimage",
    "redeploy",
    "recreate",
    "replace",
    "snr-reboot",
    "not-ready",
    "unknown",
    "none",
    "all",
    "*",
    "2026-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-01-01",
    "p-0",
    "p-99999",
    "pool-0",
];

const DATETIMES: &[&str] = &[
    "1979-05-27T07:32:00Z",
    "2026-01-01T00:00:00Z",
    "1979-05-27T00:32:00.999999-07:00",
    "1979-05-27T07:32:00",
    "1979-05-27",
    "07:32:00",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    xs.choose(rng).expect("a non-empty list")
}

/// A string a user could write: a corpus word, a duration, or one that
/// stresses what reads it.
pub fn string(rng: &mut ChaCha8Rng, w: &Words) -> String {
    match rng.gen_range(0..20) {
        0..=6 => pick(rng, &w.words).clone(),
        7..=11 => pick(rng, DURATIONS).to_string(),
        12..=15 => pick(rng, STRINGS).to_string(),
        16 => format!("{}{}", pick(rng, &w.words), pick(rng, STRINGS)),
        17 => format!(
            "{}{}",
            rng.gen_range(0..100_000u64),
            pick(rng, &["ms", "s", "m", "h", "d"])
        ),
        18 => {
            // Long strings: names and messages are copied into every output.
            let unit = pick(rng, &["a", "é", "😀", "x,"]);
            unit.repeat(rng.gen_range(100..20_000))
        }
        _ => {
            let n = rng.gen_range(1..12);
            (0..n).map(|_| random_char(rng)).collect()
        }
    }
}

fn random_char(rng: &mut ChaCha8Rng) -> char {
    match rng.gen_range(0..4) {
        0 => rng.gen_range(b' '..=b'~') as char,
        1 => rng.gen_range('\0'..='\u{7f}'),
        2 => rng.gen_range('\u{80}'..='\u{ffff}'),
        _ => rng.r#gen::<char>(),
    }
}

pub fn int(rng: &mut ChaCha8Rng) -> i64 {
    match rng.gen_range(0..4) {
        0 | 1 => *pick(rng, INTS),
        2 => rng.gen_range(-3..50),
        _ => rng.r#gen(),
    }
}

fn float(rng: &mut ChaCha8Rng) -> f64 {
    match rng.gen_range(0..3) {
        0 | 1 => *pick(rng, FLOATS),
        _ => rng.r#gen::<f64>() * 10f64.powi(rng.gen_range(-6..12)),
    }
}

/// A TOML value of any type, nested at most `depth` deep.
pub fn toml_value(rng: &mut ChaCha8Rng, w: &Words, depth: u32) -> Value {
    let kinds = if depth == 0 { 5 } else { 7 };
    match rng.gen_range(0..kinds) {
        0 => Value::Integer(int(rng)),
        1 => Value::Float(float(rng)),
        2 | 3 => Value::String(string(rng, w)),
        4 if rng.gen_bool(0.5) => Value::Boolean(rng.r#gen()),
        4 => Value::Datetime(pick(rng, DATETIMES).parse().expect("a valid datetime")),
        5 => {
            let n = *pick(rng, &[0, 1, 2, 3, 5, 200]);
            Value::Array((0..n).map(|_| toml_value(rng, w, depth - 1)).collect())
        }
        _ => {
            let n = rng.gen_range(0..4);
            Value::Table(
                (0..n)
                    .map(|_| (key_name(rng, w), toml_value(rng, w, depth - 1)))
                    .collect(),
            )
        }
    }
}

/// A key for a table: usually a real one (the last part of a key path).
fn key_name(rng: &mut ChaCha8Rng, w: &Words) -> String {
    match rng.gen_range(0..6) {
        0..=3 => {
            let k = pick(rng, &w.keys);
            let last = k.rsplit('.').next().unwrap_or(k);
            last.split('[').next().unwrap_or(last).to_string()
        }
        4 => pick(rng, &w.words).clone(),
        _ => string(rng, w),
    }
}

/// One step into a TOML document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every value below `v` (not `v` itself), as paths, in document order.
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                here.push(Step::Key(k.clone()));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Step::Index(i));
                out.push(here.clone());
                paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn get_mut<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let Some((s, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match (s, v) {
        (Step::Key(k), Value::Table(t)) => t.get_mut(k)?,
        (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
        _ => return None,
    };
    get_mut(next, rest)
}

fn get<'a>(v: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let Some((s, rest)) = path.split_first() else {
        return Some(v);
    };
    let next = match (s, v) {
        (Step::Key(k), Value::Table(t)) => t.get(k)?,
        (Step::Index(i), Value::Array(a)) => a.get(*i)?,
        _ => return None,
    };
    get(next, rest)
}

/// Removes the value at `path` from its parent.
fn remove(doc: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (last, get_mut(doc, parent)) {
        (Step::Key(k), Some(Value::Table(t))) => {
            t.remove(k);
        }
        (Step::Index(i), Some(Value::Array(a))) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

/// Applies one structural mutation to the document `doc` (a table);
/// `others` are the other shipped documents, for grafts.
pub fn mutate_doc(rng: &mut ChaCha8Rng, w: &Words, doc: &mut Value, others: &[&Value]) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    if all.is_empty() {
        if let Value::Table(t) = doc {
            t.insert(key_name(rng, w), toml_value(rng, w, 2));
        }
        return;
    }
    let path = pick(rng, &all).clone();
    match rng.gen_range(0..16) {
        // Replace with any value: wrong types included.
        0..=2 => {
            if let Some(v) = get_mut(doc, &path) {
                *v = toml_value(rng, w, 2);
            }
        }
        // Change the value within its type, towards the boundaries.
        3..=5 => {
            if let Some(v) = get_mut(doc, &path) {
                tweak(rng, w, v);
            }
        }
        6 | 7 => remove(doc, &path),
        // Add a key, usually a real one in the wrong place.
        8 | 9 => {
            let tables: Vec<&Vec<Step>> = all
                .iter()
                .filter(|p| matches!(get(doc, p), Some(Value::Table(_))))
                .collect();
            let at = if tables.is_empty() || rng.gen_bool(0.2) {
                Vec::new()
            } else {
                (*pick(rng, &tables)).clone()
            };
            let (k, v) = (key_name(rng, w), toml_value(rng, w, 1));
            if let Some(Value::Table(t)) = get_mut(doc, &at) {
                t.insert(k, v);
            }
        }
        // Duplicate, swap or reverse array entries ([[pools]] included).
        10 | 11 => {
            let arrays: Vec<&Vec<Step>> = all
                .iter()
                .filter(|p| matches!(get(doc, p), Some(Value::Array(a)) if !a.is_empty()))
                .collect();
            if arrays.is_empty() {
                return;
            }
            let at = (*pick(rng, &arrays)).clone();
            if let Some(Value::Array(a)) = get_mut(doc, &at) {
                let i = rng.gen_range(0..a.len());
                let j = rng.gen_range(0..a.len());
                match rng.gen_range(0..4) {
                    0 | 1 => {
                        let x = a[i].clone();
                        a.insert(j, x);
                    }
                    2 => a.swap(i, j),
                    _ => a.reverse(),
                }
            }
        }
        // Graft a value of another shipped scenario: valid pieces in
        // combinations nobody wrote.
        12 | 13 => {
            let Some(other) = others.choose(rng) else {
                return;
            };
            let mut theirs = Vec::new();
            paths(other, &mut Vec::new(), &mut theirs);
            let Some(from) = theirs.choose(rng) else {
                return;
            };
            let Some(x) = get(other, from).cloned() else {
                return;
            };
            // At the same place if its parent exists here, else where we stand.
            let (last, parent) = from.split_last().expect("a path below the root");
            match (last, get_mut(doc, parent)) {
                (Step::Key(k), Some(Value::Table(t))) => {
                    t.insert(k.clone(), x);
                }
                (Step::Index(_), Some(Value::Array(a))) => a.push(x),
                _ => {
                    if let Some(v) = get_mut(doc, &path) {
                        *v = x;
                    }
                }
            }
        }
        // Change the shape: wrap in an array, unwrap one, numbers as strings.
        _ => {
            if let Some(v) = get_mut(doc, &path) {
                *v = match std::mem::replace(v, Value::Boolean(false)) {
                    Value::Array(mut a) if !a.is_empty() => a.swap_remove(0),
                    Value::Integer(i) => Value::String(i.to_string()),
                    Value::Float(f) => Value::String(f.to_string()),
                    Value::String(s) => match s.parse::<i64>() {
                        Ok(i) => Value::Integer(i),
                        Err(_) => Value::Array(vec![Value::String(s)]),
                    },
                    Value::Table(t) => Value::Array(t.into_iter().map(|(_, x)| x).collect()),
                    other => Value::Array(vec![other]),
                };
            }
        }
    }
}

/// Moves one value of `doc` within its type (see [`tweak`]): mutants that
/// often still load, and so reach validation's corners and the engine.
pub fn tweak_doc(rng: &mut ChaCha8Rng, w: &Words, doc: &mut Value) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    all.retain(|p| !matches!(get(doc, p), Some(Value::Table(_) | Value::Array(_))));
    if let Some(p) = all.choose(rng)
        && let Some(v) = get_mut(doc, p)
    {
        tweak(rng, w, v);
    }
}

/// Moves `v` within its type: boundary numbers, edited durations and
/// names, flipped booleans, emptied collections.
fn tweak(rng: &mut ChaCha8Rng, w: &Words, v: &mut Value) {
    match v {
        Value::Integer(i) => {
            *i = match rng.gen_range(0..5) {
                0 => i.wrapping_add(1),
                1 => i.wrapping_sub(1),
                2 => i.wrapping_neg(),
                3 => i.wrapping_mul(1_000),
                _ => int(rng),
            }
        }
        Value::Float(f) => {
            *f = match rng.gen_range(0..4) {
                0 => -*f,
                1 => *f * 1e6,
                2 => *f + f64::EPSILON,
                _ => float(rng),
            }
        }
        Value::String(s) => {
            *s = match rng.gen_range(0..6) {
                // Same unit, another number: "5m" to "0m", "99999999m".
                0 | 1 => {
                    let unit: String = s.chars().skip_while(|c| c.is_ascii_digit()).collect();
                    let n = pick(
                        rng,
                        &[
                            "0",
                            "1",
                            "2",
                            "00",
                            "99999999",
                            "18446744073709551616",
                            "-1",
                            "",
                        ],
                    );
                    format!("{n}{unit}")
                }
                2 => format!("{s}{}", pick(rng, STRINGS)),
                3 => s.chars().take(s.chars().count() / 2).collect(),
                4 => s.to_uppercase(),
                _ => string(rng, w),
            }
        }
        Value::Boolean(b) => *b = !*b,
        Value::Array(a) => {
            if rng.gen_bool(0.5) {
                a.clear();
            } else {
                a.push(toml_value(rng, w, 1));
            }
        }
        Value::Table(t) => {
            if rng.gen_bool(0.5) {
                t.clear();
            } else {
                t.insert(key_name(rng, w), toml_value(rng, w, 1));
            }
        }
        Value::Datetime(_) => *v = Value::String(string(rng, w)),
    }
}

/// Tokens that open, close or break TOML, CSV and JSON.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "=",
    ",",
    "\n",
    "\r",
    "#",
    ".",
    "\\",
    "\\u",
    "\\U0010FFFF",
    "\0",
    "\u{feff}",
    "é",
    "😀",
    " ",
    "\t",
    "nan",
    "inf",
    "-",
];

/// One mutation of a text by whole lines, tables or bytes. `donor` is
/// another shipped text, for splices.
pub fn mutate_text(rng: &mut ChaCha8Rng, w: &Words, text: &str, donor: &str) -> String {
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    let n = lines.len();
    match rng.gen_range(0..12) {
        // Cut at a line boundary, as a full disk or an interrupted copy does.
        0 | 1 => lines.truncate(rng.gen_range(0..=n)),
        2 if n > 0 => {
            lines.remove(rng.gen_range(0..n));
        }
        3 if n > 0 => {
            let i = rng.gen_range(0..n);
            lines.insert(i, lines[i]);
        }
        4 if n > 1 => lines.swap(rng.gen_range(0..n), rng.gen_range(0..n)),
        // Duplicate a whole table: `[policy]` twice, a `[[pools]]` again.
        5 => {
            let heads: Vec<usize> = (0..n)
                .filter(|&i| lines[i].trim_start().starts_with('['))
                .collect();
            if let Some(&h) = heads.choose(rng) {
                let end = (h + 1..n)
                    .find(|&i| lines[i].trim_start().starts_with('['))
                    .unwrap_or(n);
                let block: Vec<&str> = lines[h..end].to_vec();
                let at = if rng.gen_bool(0.5) { n } else { end };
                lines.splice(at..at, block);
            }
        }
        // A line of another file.
        6 => {
            let theirs: Vec<&str> = donor.split_inclusive('\n').collect();
            if let Some(l) = theirs.choose(rng) {
                lines.insert(rng.gen_range(0..=n), l);
            }
        }
        // A `key = value` line anywhere.
        7 => {
            let line = format!("{} = {}\n", key_name(rng, w), toml_value(rng, w, 1));
            let mut out: String = lines.concat();
            let at = line_start(rng, &out);
            out.insert_str(at, &line);
            return out;
        }
        _ => return mutate_bytes(rng, text),
    }
    lines.concat()
}

fn line_start(rng: &mut ChaCha8Rng, text: &str) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    *pick(rng, &starts)
}

/// One byte-level mutation; invalid UTF-8 is replaced, as the file is read
/// as text.
pub fn mutate_bytes(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut b = text.as_bytes().to_vec();
    let n = b.len();
    match rng.gen_range(0..7) {
        0 if n > 0 => {
            let i = rng.gen_range(0..n);
            b[i] ^= 1 << rng.gen_range(0..8);
        }
        1 if n > 0 => {
            let i = rng.gen_range(0..n);
            b[i] = *pick(rng, b"0123456789-+.e[]{}\"'=,\n#%\\ ");
        }
        2 | 3 => {
            let t = pick(rng, TOKENS);
            let times = *pick(rng, &[1, 1, 1, 2, 3, 40, 300]);
            let i = rng.gen_range(0..=n);
            b.splice(i..i, t.repeat(times).into_bytes());
        }
        4 if n > 0 => {
            let i = rng.gen_range(0..n);
            let j = (i + rng.gen_range(1..64)).min(n);
            b.drain(i..j);
        }
        5 if n > 0 => {
            let i = rng.gen_range(0..n);
            let j = (i + rng.gen_range(1..32)).min(n);
            let piece = b[i..j].to_vec();
            b.splice(i..i, piece);
        }
        _ => b.truncate(rng.gen_range(0..=n)),
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// A `--set` argument: usually a key path of the scenario it patches
/// (`own`, with the value there), with that value moved or a random one.
pub fn set_arg(rng: &mut ChaCha8Rng, w: &Words, own: &[(String, Value)]) -> String {
    let (key, value) = match rng.gen_range(0..14) {
        // Near the value the file has: the likeliest to be valid.
        0..=4 if !own.is_empty() => {
            let (k, v) = pick(rng, own);
            let mut v = v.clone();
            if rng.gen_bool(0.8) {
                tweak(rng, w, &mut v);
            }
            let text = match v {
                Value::String(s) if rng.gen_bool(0.5) => s,
                v => v.to_string(),
            };
            (k.clone(), text)
        }
        0..=7 if !own.is_empty() => (pick(rng, own).0.clone(), set_value(rng, w)),
        0..=9 => (pick(rng, &w.keys).clone(), set_value(rng, w)),
        10 | 11 => {
            let k = pick(rng, &w.keys).clone();
            (mutate_key(rng, &k), set_value(rng, w))
        }
        12 => (key_name(rng, w), set_value(rng, w)),
        _ => (string(rng, w), set_value(rng, w)),
    };
    match rng.gen_range(0..30) {
        0 => format!("{key}{value}"),
        1 => format!("{key} = {value}"),
        2 => format!("{key}=={value}"),
        _ => format!("{key}={value}"),
    }
}

/// A key path gone wrong: bad indices, stray dots, quotes, unicode.
fn mutate_key(rng: &mut ChaCha8Rng, key: &str) -> String {
    match rng.gen_range(0..10) {
        0 => key.replace("[0]", "[00]"),
        1 => key.replace("[0]", "[18446744073709551616]"),
        2 => key.replace("[0]", &format!("[{}]", rng.gen_range(1..100))),
        3 => key.replace("[0]", "[-1]"),
        4 => key.replace("[0]", "[]"),
        5 => format!("{key}.{}", pick(rng, &["x", "0", "[0]", "\"a b\"", ""])),
        6 => format!("{key}[0]"),
        7 => {
            let seps: [&str; 5] = ["..", ".\"", "\".\"", " . ", "．"];
            let sep = pick(rng, &seps);
            key.replace('.', sep)
        }
        8 => format!("\"{key}\""),
        _ => key.split('.').next().unwrap_or(key).to_string(),
    }
}

/// A `--set` value as typed: TOML, a bare word, a bare list, or broken.
fn set_value(rng: &mut ChaCha8Rng, w: &Words) -> String {
    match rng.gen_range(0..12) {
        0..=2 => toml_value(rng, w, 2).to_string(),
        3..=5 => string(rng, w),
        6 => {
            let n = rng.gen_range(0..5);
            let items: Vec<String> = (0..n)
                .map(|_| {
                    if rng.gen_bool(0.7) {
                        pick(rng, &w.words).clone()
                    } else {
                        set_value(rng, w)
                    }
                })
                .collect();
            format!("[{}]", items.join(*pick(rng, &[",", ", ", ",,", " "])))
        }
        7 => {
            let d = rng.gen_range(28..40);
            format!("{}1{}", "[".repeat(d), "]".repeat(d))
        }
        8 => format!("{{ {} = {} }}", key_name(rng, w), toml_value(rng, w, 0)),
        9 => pick(
            rng,
            &[
                "[", "]", "{", "\"", "[a", "{a=", "'", "[,]", "[]", "{}", "\"\\", "[\"]",
            ],
        )
        .to_string(),
        10 => String::new(),
        _ => pick(rng, DATETIMES).to_string(),
    }
}

/// One mutation of a CSV text: lines, a field, the header, or bytes.
pub fn mutate_csv(rng: &mut ChaCha8Rng, w: &Words, text: &str) -> String {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let n = lines.len();
    if n == 0 {
        return mutate_bytes(rng, text);
    }
    match rng.gen_range(0..10) {
        // A field: a boundary number, an empty cell, quotes, unicode.
        0..=3 => {
            let i = if rng.gen_bool(0.15) {
                0
            } else {
                rng.gen_range(0..n)
            };
            let line = lines[i].trim_end_matches('\n');
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            let f = rng.gen_range(0..fields.len());
            fields[f] = match rng.gen_range(0..8) {
                0 => String::new(),
                1 => int(rng).to_string(),
                2 => pick(
                    rng,
                    &[
                        "18446744073709551616",
                        "18446744073709551615",
                        "-0",
                        "1e3",
                        "0x10",
                        " 5",
                        "٣",
                    ],
                )
                .to_string(),
                3 => "\"a,\nb\"".to_string(),
                4 => "\"".to_string(),
                5 => fields
                    .get(rng.gen_range(0..fields.len()))
                    .cloned()
                    .unwrap_or_default(),
                6 => format!("{},{}", fields[f], pick(rng, &w.words)),
                _ => string(rng, w).replace('\n', " "),
            };
            lines[i] = format!("{}\n", fields.join(","));
        }
        4 | 5 => lines.truncate(rng.gen_range(0..=n)),
        6 => {
            lines.remove(rng.gen_range(0..n));
        }
        7 => {
            let i = rng.gen_range(0..n);
            let l = lines[i].clone();
            lines.insert(rng.gen_range(0..=n), l);
        }
        8 => lines.swap(rng.gen_range(0..n), rng.gen_range(0..n)),
        _ => return mutate_bytes(rng, text),
    }
    lines.concat()
}

/// A JSON value of any type, nested at most `depth` deep.
fn json_value(rng: &mut ChaCha8Rng, w: &Words, depth: u32) -> Json {
    let kinds = if depth == 0 { 6 } else { 8 };
    match rng.gen_range(0..kinds) {
        0 => Json::Null,
        1 => Json::Bool(rng.r#gen()),
        2 => Json::from(int(rng)),
        3 => Json::from(*pick(rng, &[u64::MAX, 1 << 63, 0])),
        // NaN and infinities have no JSON: serde_json writes null.
        4 => Json::from(float(rng)),
        5 => Json::String(string(rng, w)),
        6 => Json::Array(
            (0..rng.gen_range(0..4))
                .map(|_| json_value(rng, w, depth - 1))
                .collect(),
        ),
        _ => Json::Object(
            (0..rng.gen_range(0..4))
                .map(|_| (key_name(rng, w), json_value(rng, w, depth - 1)))
                .collect(),
        ),
    }
}

/// Every value below `v`, as JSON pointers.
fn pointers(v: &Json, here: &str, out: &mut Vec<String>) {
    let esc = |k: &str| k.replace('~', "~0").replace('/', "~1");
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                let p = format!("{here}/{}", esc(k));
                out.push(p.clone());
                pointers(x, &p, out);
            }
        }
        Json::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{here}/{i}");
                out.push(p.clone());
                pointers(x, &p, out);
            }
        }
        _ => {}
    }
}

/// One mutation of a JSON text: of its values and structure, or of the text.
pub fn mutate_json(rng: &mut ChaCha8Rng, w: &Words, text: &str) -> String {
    if rng.gen_bool(0.3) {
        return match rng.gen_range(0..4) {
            0 => mutate_text(rng, w, text, "[]\nnull\n{}\n"),
            1 => pick(rng, &["[]", "null", "{}", "1", "\"x\"", ""]).to_string(),
            2 => format!("{}{}", "[".repeat(rng.gen_range(100..200)), "]".repeat(150)),
            _ => mutate_bytes(rng, text),
        };
    }
    let Ok(mut v) = serde_json::from_str::<Json>(text) else {
        return mutate_bytes(rng, text);
    };
    let mut all = Vec::new();
    pointers(&v, "", &mut all);
    let Some(p) = all.choose(rng).cloned() else {
        return json_value(rng, w, 2).to_string();
    };
    match rng.gen_range(0..5) {
        0 | 1 => {
            if let Some(x) = v.pointer_mut(&p) {
                *x = json_value(rng, w, 2);
            }
        }
        2 => {
            let (parent, last) = p.rsplit_once('/').expect("a pointer below the root");
            match v.pointer_mut(parent) {
                Some(Json::Object(m)) => {
                    m.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Json::Array(a)) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < a.len()
                    {
                        a.remove(i);
                    }
                }
                _ => {}
            }
        }
        3 => {
            let (k, x) = (key_name(rng, w), json_value(rng, w, 1));
            match v.pointer_mut(&p) {
                Some(Json::Object(m)) => {
                    m.insert(k, x);
                }
                Some(Json::Array(a)) => a.push(x),
                _ => {
                    if let Json::Object(m) = &mut v {
                        m.insert(k, x);
                    }
                }
            }
        }
        _ => match v.pointer_mut(&p) {
            Some(Json::Array(a)) if !a.is_empty() => {
                let i = rng.gen_range(0..a.len());
                let x = a[i].clone();
                a.push(x);
            }
            Some(x @ Json::Number(_)) => *x = Json::from(int(rng)),
            _ => {}
        },
    }
    if rng.gen_bool(0.5) {
        serde_json::to_string_pretty(&v).unwrap_or_default()
    } else {
        v.to_string()
    }
}
