//! Shards: one machine's share of a `sweep`, `compare` or `report`, and
//! the merge that turns every shard's share into the outputs one machine
//! would have written, byte for byte.
//!
//! Shard K of N takes a contiguous block of every point's replications of
//! a round: `[from + len·K/N, from + len·(K+1)/N)`. Blocks rather than
//! `r mod N`, because the merge is then a concatenation: it reads one
//! shard file at a time, sequentially, from where it left off, whatever N
//! is (no N files open at once), and a shard's rows of a point come in
//! replication order. Replications are independent and identically
//! distributed, so blocks balance the work as well as `r mod N` would.
//!
//! A shard file is JSON Lines, one object per line:
//! 1. a [`Header`]: the version, the command line, every point's (or
//!    side's) scenario hash, K and N, the round and its replications;
//! 2. per point: one line per replication of the block, `{"point": P,
//!    "replication": R, "sides": [RepRow, ...]}`, then one line
//!    `{"point": P, "rows": n, "pooled": [{"ttr": [[ms, count], ...],
//!    "ttd": [...]}, ...]}` with the block's pooled histograms;
//! 3. a last line `{"complete": {"rows": n}}`.
//!
//! The merge re-folds the rows in replication order through the same
//! estimators as one machine does ([`Source::Shards`]): a Welford mean is
//! not associative, but the same values in the same order give the same
//! bits. Histograms hold integer counts, so a block's pooled one merges
//! exactly in any order. Numbers are written in Rust's shortest
//! round-trip form and read back exactly (serde_json's `float_roundtrip`).
//!
//! Invariant: a shard's bytes depend only on the command line, the
//! scenario files, K, N and the round: an index that Kubernetes runs twice
//! writes the same file.

use super::estimate::{CdfBand, Histogram};
use super::metrics::{METRICS, RepRow, metric_defs, run_replication};
use super::runner::{Flow, replicate};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The version of the shard file format; `merge` refuses any other.
pub const FORMAT: u32 = 1;

/// The most shards a run may have: a Kubernetes Indexed Job's limit on
/// completions.
pub const MAX_SHARDS: u32 = 100_000;

/// This build, as shard headers record it and `merge` requires it: the
/// version and the commit (`repairsim --version`), since the bytes of a
/// merge depend on the build that folds them.
pub fn build() -> &'static str {
    env!("REPAIRSIM_VERSION")
}

/// Shard `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// This shard's block of the replications `span`: the `index`-th of
    /// `count` contiguous blocks whose lengths differ by at most one.
    pub fn block(&self, span: &Span) -> Range<u64> {
        let len = u128::from(span.to - span.from);
        let at = |k: u32| span.from + (len * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }

    /// `--shard K/N`, or `auto`: K from `JOB_COMPLETION_INDEX` (a
    /// Kubernetes Indexed Job) or `SLURM_ARRAY_TASK_ID` (less
    /// `SLURM_ARRAY_TASK_MIN`), N from `count` (`--shard-count`), else
    /// `JOB_COMPLETIONS` or `SLURM_ARRAY_TASK_COUNT`. `env` reads a
    /// variable (the process environment, or a test's).
    pub fn parse(
        spec: &str,
        count: Option<u32>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Shard, String> {
        let number = |what: &str, v: &str| {
            v.trim().parse::<u32>().map_err(|_| {
                format!("--shard {spec}: {what} is {v:?}, not a whole number from 0 to 4294967295")
            })
        };
        let (index, n) = if spec.trim() == "auto" {
            let index = if let Some(v) = env("JOB_COMPLETION_INDEX") {
                number("JOB_COMPLETION_INDEX", &v)?
            } else if let Some(v) = env("SLURM_ARRAY_TASK_ID") {
                let min = match env("SLURM_ARRAY_TASK_MIN") {
                    Some(m) => number("SLURM_ARRAY_TASK_MIN", &m)?,
                    None => 0,
                };
                number("SLURM_ARRAY_TASK_ID", &v)?
                    .checked_sub(min)
                    .ok_or_else(|| {
                        format!("--shard auto: SLURM_ARRAY_TASK_ID {v} is below SLURM_ARRAY_TASK_MIN {min}")
                    })?
            } else {
                return Err(
                    "--shard auto: neither JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) \
                            nor SLURM_ARRAY_TASK_ID (a Slurm array job) is set; give --shard K/N"
                        .into(),
                );
            };
            let n = match count {
                Some(n) => n,
                None => match (env("JOB_COMPLETIONS"), env("SLURM_ARRAY_TASK_COUNT")) {
                    (Some(v), _) => number("JOB_COMPLETIONS", &v)?,
                    (None, Some(v)) => number("SLURM_ARRAY_TASK_COUNT", &v)?,
                    (None, None) => {
                        return Err(
                            "--shard auto: how many shards? give --shard-count N or set \
                                    JOB_COMPLETIONS (or SLURM_ARRAY_TASK_COUNT)"
                                .into(),
                        );
                    }
                },
            };
            (index, n)
        } else {
            let Some((k, n)) = spec.split_once('/') else {
                return Err(format!(
                    "--shard {spec}: expected K/N (shard K of N, K from 0 to N-1, e.g. 0/8) or auto"
                ));
            };
            if count.is_some() {
                return Err(format!(
                    "--shard-count: only with --shard auto (--shard {spec} names N itself)"
                ));
            }
            (number("K", k)?, number("N", n)?)
        };
        if n == 0 || index >= n || n > MAX_SHARDS {
            return Err(format!(
                "--shard {spec}: shard {index} of {n}: K must be from 0 to N-1 and N from 1 to \
                 {MAX_SHARDS}"
            ));
        }
        Ok(Shard { index, count: n })
    }

    /// The file a shard writes: `shard-K-of-N.jsonl`, or
    /// `shard-K-of-N.round-J.jsonl` for rounds after the first.
    pub fn file_name(&self, round: u64) -> String {
        if round <= 1 {
            format!("shard-{}-of-{}.jsonl", self.index, self.count)
        } else {
            format!("shard-{}-of-{}.round-{round}.jsonl", self.index, self.count)
        }
    }
}

/// Replications `from..to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from: u64,
    pub to: u64,
}

/// What a point (a grid point, or a whole comparison) is: its label, and
/// of each side's scenario the content hash (of the file and every patch)
/// and the patches that made it, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointKey {
    pub label: String,
    pub content_hashes: Vec<String>,
    pub patches: Vec<Vec<String>>,
}

impl PointKey {
    /// The key of a point labelled `label` whose sides run `sides`.
    pub fn of(label: String, sides: &[&Scenario]) -> PointKey {
        PointKey {
            label,
            content_hashes: sides.iter().map(|sc| hash_of(sc)).collect(),
            patches: sides.iter().map(|sc| sc.patches.clone()).collect(),
        }
    }
}

/// The first line of a shard file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The format ([`FORMAT`]).
    pub repairsim_shard: u32,
    pub version: String,
    /// `sweep`, `compare` or `report`.
    pub command: String,
    /// The command line after `repairsim`, as given: what `merge` runs.
    pub argv: Vec<String>,
    pub scenario: String,
    pub seed: u64,
    pub stopping_rule: String,
    /// With `--until-ci`: replications per round (the target is checked
    /// only at round ends).
    pub round_size: Option<u64>,
    /// The metric columns of `values`, in order.
    pub metrics: Vec<String>,
    pub points: Vec<PointKey>,
    pub shard: Shard,
    /// From 1.
    pub round: u64,
    /// The round's replications, of every shard: this shard ran
    /// [`Shard::block`] of them.
    pub replications: Span,
}

impl Header {
    /// A header of this version and metric list.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        command: &str,
        argv: Vec<String>,
        base: &Scenario,
        stopping_rule: &str,
        round_size: Option<u64>,
        points: Vec<PointKey>,
        shard: Shard,
        round: u64,
        replications: Span,
    ) -> Header {
        Header {
            repairsim_shard: FORMAT,
            version: build().into(),
            command: command.into(),
            argv,
            scenario: base.name.clone(),
            seed: base.seed,
            stopping_rule: stopping_rule.into(),
            round_size,
            metrics: metric_defs().into_iter().map(|d| d.name).collect(),
            points,
            shard,
            round,
            replications,
        }
    }
}

impl Header {
    /// Its rows carry CDF counts: every command but `compare` draws a band.
    pub fn band(&self) -> bool {
        self.command != "compare"
    }
}

/// A scenario's hash as outputs spell it.
pub fn hash_of(sc: &Scenario) -> String {
    format!("{:016x}", sc.content_hash)
}

/// A block's pooled histograms of one side, as `[ms, count]` runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct PooledRuns {
    ttr: Vec<(u64, u64)>,
    ttd: Vec<(u64, u64)>,
}

#[derive(Serialize)]
struct RowOut<'a> {
    point: usize,
    replication: u64,
    sides: &'a [RepRow],
}

#[derive(Serialize)]
struct EndOut<'a> {
    point: usize,
    rows: u64,
    pooled: &'a [PooledRuns],
}

#[derive(Debug, Serialize, Deserialize)]
struct Complete {
    rows: u64,
}

#[derive(Serialize)]
struct CompleteOut {
    complete: Complete,
}

/// Any line of a shard file after the header.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    point: Option<usize>,
    replication: Option<u64>,
    sides: Option<Vec<RepRow>>,
    rows: Option<u64>,
    pooled: Option<Vec<PooledRuns>>,
    complete: Option<Complete>,
}

/// Writes a shard file, line by line.
pub struct ShardWriter<W: Write> {
    w: W,
    rows: u64,
}

impl<W: Write> ShardWriter<W> {
    /// Starts a shard file with its header.
    pub fn new(mut w: W, header: &Header) -> io::Result<ShardWriter<W>> {
        serde_json::to_writer(&mut w, header)?;
        w.write_all(b"\n")?;
        Ok(ShardWriter { w, rows: 0 })
    }

    fn line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.w, value)?;
        self.w.write_all(b"\n")
    }

    /// Runs replications `block` of every side of point `point` on `pool`
    /// and writes them, then the point's pooled histograms. `band`: the
    /// point draws a CDF band, so its rows carry their CDF counts.
    pub fn point(
        &mut self,
        pool: &rayon::ThreadPool,
        point: usize,
        sides: &[&Scenario],
        band: bool,
        block: Range<u64>,
        mut tick: impl FnMut(),
    ) -> io::Result<()> {
        let mut pooled: Vec<(Histogram, Histogram)> = vec![Default::default(); sides.len()];
        let mut rows = 0;
        simulate(pool, sides, band, block, |rep, hists| {
            for (p, (ttr, ttd)) in pooled.iter_mut().zip(hists) {
                p.0.merge(ttr);
                p.1.merge(ttd);
            }
            self.line(&RowOut {
                point,
                replication: rep[0].replication,
                sides: &rep,
            })?;
            rows += 1;
            tick();
            Ok::<_, io::Error>(Flow::Continue)
        })?;
        let pooled: Vec<PooledRuns> = pooled
            .iter()
            .map(|(ttr, ttd)| PooledRuns {
                ttr: ttr.runs().collect(),
                ttd: ttd.runs().collect(),
            })
            .collect();
        self.line(&EndOut {
            point,
            rows,
            pooled: &pooled,
        })?;
        self.rows += rows;
        Ok(())
    }

    /// Ends the file and hands the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        let rows = self.rows;
        self.line(&CompleteOut {
            complete: Complete { rows },
        })?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Why shards cannot be merged: bad input (exit 2).
#[derive(Debug, Clone, PartialEq)]
pub struct MergeError(pub String);

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a shard file's next unread line is.
#[derive(Clone, Debug)]
struct Cursor {
    path: PathBuf,
    shard: Shard,
    /// Byte offset of the next line.
    offset: u64,
    /// Its line number, from 1.
    line: u64,
}

/// One round's shard files, by K.
#[derive(Clone, Debug)]
struct Round {
    span: Span,
    files: Vec<Cursor>,
}

/// Every shard file of a run, checked to belong together and to cover
/// its replications once each, read back point by point.
#[derive(Debug)]
pub struct ShardSet {
    /// Shard 0's header of round 1: the command line `merge` runs.
    pub header: Header,
    rounds: Vec<Round>,
    /// The rows carry CDF counts ([`Self::fold_point`] checks them).
    band: bool,
}

/// The shard files among `inputs`: a directory stands for its
/// `shard-*.jsonl` files, in name order.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, MergeError> {
    let mut files = Vec::new();
    for p in inputs {
        let meta = std::fs::metadata(p).map_err(|e| MergeError(format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| MergeError(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".jsonl"))
                        && f.is_file()
                })
                .collect();
            if found.is_empty() {
                return Err(MergeError(format!(
                    "{}: no shard files in it (shard-K-of-N.jsonl, as `--shard` writes them)",
                    p.display()
                )));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// A line's parse error as `FILE:LINE:COLUMN: ...`.
fn parse_error(path: &Path, line: u64, e: &serde_json::Error) -> MergeError {
    MergeError(format!(
        "{}:{line}:{}: not a line of a repairsim shard file: {e}",
        path.display(),
        e.column()
    ))
}

/// Reads a shard file's header, and checks that the file ends with its
/// `complete` line (a file cut short in a copy is refused here).
fn read_header(path: &Path) -> Result<Header, MergeError> {
    let io_err = |e: io::Error| MergeError(format!("{}: {e}", path.display()));
    let mut f = File::open(path).map_err(io_err)?;
    let mut first = String::new();
    BufReader::new(&mut f)
        .take(1 << 24)
        .read_line(&mut first)
        .map_err(io_err)?;
    let header: Header = serde_json::from_str(&first).map_err(|e| parse_error(path, 1, &e))?;
    if header.repairsim_shard != FORMAT {
        return Err(MergeError(format!(
            "{}: shard file format {}, this repairsim reads format {FORMAT}",
            path.display(),
            header.repairsim_shard
        )));
    }
    let (k, n, span) = (header.shard.index, header.shard.count, header.replications);
    if n == 0 || n > MAX_SHARDS || k >= n || span.from > span.to || header.round == 0 {
        return Err(MergeError(format!(
            "{}:1: shard {k} of {n}, round {}, replications {}..{}: not a shard's header (K from \
             0 to N-1, N from 1 to {MAX_SHARDS}, rounds from 1)",
            path.display(),
            header.round,
            span.from,
            span.to
        )));
    }
    let len = f.seek(SeekFrom::End(0)).map_err(io_err)?;
    let tail_len = len.min(256);
    f.seek(SeekFrom::Start(len - tail_len)).map_err(io_err)?;
    let mut tail = String::new();
    f.read_to_string(&mut tail).map_err(io_err)?;
    let last = tail
        .trim_end_matches('\n')
        .rsplit('\n')
        .next()
        .unwrap_or("");
    if !tail.ends_with('\n') || !last.starts_with("{\"complete\":") {
        return Err(MergeError(format!(
            "{}: the file is cut short (its last line is not {{\"complete\": ...}}): copy it \
             whole, or run its shard again",
            path.display()
        )));
    }
    Ok(header)
}

/// The first field in which two headers of one run differ, as a phrase.
fn differs(a: &Header, b: &Header) -> Option<String> {
    if a.version != b.version {
        return Some(format!(
            "written by repairsim {} and {}: merge the shards of one version",
            a.version, b.version
        ));
    }
    if a.shard.count != b.shard.count {
        return Some(format!(
            "shards of {} and of {}: every shard of a run has the same N",
            a.shard.count, b.shard.count
        ));
    }
    if a.command != b.command {
        return Some(format!("of `{}` and of `{}`", a.command, b.command));
    }
    if a.points.len() != b.points.len() {
        return Some(format!(
            "of {} and of {} points",
            a.points.len(),
            b.points.len()
        ));
    }
    for (i, (p, q)) in a.points.iter().zip(&b.points).enumerate() {
        if p != q {
            return Some(format!(
                "of different scenarios: point {i} is {} (scenario hash {}) in one and {} \
                 (scenario hash {}) in the other",
                p.label,
                p.content_hashes.join(", "),
                q.label,
                q.content_hashes.join(", ")
            ));
        }
    }
    if (&a.scenario, a.seed) != (&b.scenario, b.seed) {
        return Some(format!(
            "of scenario {} seed {} and of scenario {} seed {}",
            a.scenario, a.seed, b.scenario, b.seed
        ));
    }
    if (&a.stopping_rule, a.round_size) != (&b.stopping_rule, b.round_size) {
        return Some(format!(
            "with stopping rules {:?} and {:?}",
            a.stopping_rule, b.stopping_rule
        ));
    }
    if a.metrics != b.metrics {
        return Some("with different metric columns".into());
    }
    None
}

impl ShardSet {
    /// Opens the shard files among `inputs` (files, or directories of
    /// `shard-*.jsonl`) and checks that they are one run's, with every
    /// shard of every round present once, the rounds contiguous from
    /// replication 0.
    pub fn open(inputs: &[PathBuf]) -> Result<ShardSet, MergeError> {
        let files = expand(inputs)?;
        let mut headers: Vec<(PathBuf, Header)> = Vec::with_capacity(files.len());
        for f in files {
            let h = read_header(&f)?;
            if let Some((first, h0)) = headers.first()
                && let Some(why) = differs(h0, &h)
            {
                return Err(MergeError(format!(
                    "{} and {} are not shards of one run: {why}",
                    first.display(),
                    f.display()
                )));
            }
            headers.push((f, h));
        }
        let Some((first, any)) = headers.first() else {
            return Err(MergeError("no shard files given".into()));
        };
        if any.version != build() {
            return Err(MergeError(format!(
                "{} was written by repairsim {}, and this is repairsim {}: merge with the build \
                 that ran the shards (the bytes of the outputs depend on it)",
                first.display(),
                any.version,
                build()
            )));
        }
        let n = any.shard.count;
        // Round → (span, by K: the file).
        let mut rounds: BTreeMap<u64, (Span, BTreeMap<u32, PathBuf>)> = BTreeMap::new();
        let mut first_header = None;
        for (path, h) in headers {
            let entry = rounds
                .entry(h.round)
                .or_insert_with(|| (h.replications, BTreeMap::new()));
            if entry.0 != h.replications {
                return Err(MergeError(format!(
                    "{}: round {} covers replications {}..{} here and {}..{} in another shard",
                    path.display(),
                    h.round,
                    h.replications.from,
                    h.replications.to,
                    entry.0.from,
                    entry.0.to
                )));
            }
            if let Some(other) = entry.1.get(&h.shard.index) {
                return Err(MergeError(format!(
                    "shard {} of {n}{} is given twice: {} and {}; pass each shard once",
                    h.shard.index,
                    round_label(h.round),
                    other.display(),
                    path.display()
                )));
            }
            if h.round == 1 && h.shard.index == 0 {
                first_header = Some(h.clone());
            }
            entry.1.insert(h.shard.index, path);
        }
        let mut out = Vec::with_capacity(rounds.len());
        let mut next_from = 0;
        for (round, (span, by_k)) in rounds {
            if out.len() as u64 + 1 != round || span.from != next_from {
                return Err(MergeError(format!(
                    "round {} is missing: the shards given start round {round} at replication {}, \
                     the rounds before it end at {next_from}",
                    out.len() + 1,
                    span.from
                )));
            }
            let count = n as usize - by_k.len();
            let missing: Vec<String> = (0..n)
                .filter(|k| !by_k.contains_key(k))
                .take(10)
                .map(|k| k.to_string())
                .chain((count > 10).then(|| format!("and {} more", count - 10)))
                .collect();
            if !missing.is_empty() {
                let mut have: Vec<String> = by_k.keys().take(10).map(|k| k.to_string()).collect();
                if by_k.len() > 10 {
                    have.push(format!("and {} more", by_k.len() - 10));
                }
                return Err(MergeError(format!(
                    "shard{} {} of {n}{} {} missing (given: {}): run {} again \
                     (JOB_COMPLETION_INDEX={}) or pass {} file",
                    if missing.len() > 1 { "s" } else { "" },
                    missing.join(", "),
                    round_label(round),
                    if missing.len() > 1 { "are" } else { "is" },
                    if have.is_empty() {
                        "none".into()
                    } else {
                        have.join(", ")
                    },
                    if missing.len() > 1 { "them" } else { "it" },
                    missing[0],
                    if missing.len() > 1 { "their" } else { "its" },
                )));
            }
            next_from = span.to;
            out.push(Round {
                span,
                files: by_k
                    .into_iter()
                    .map(|(k, path)| Cursor {
                        path,
                        shard: Shard { index: k, count: n },
                        offset: 0,
                        line: 1,
                    })
                    .collect(),
            });
        }
        let header = first_header.expect("round 1 has shard 0: checked above");
        Ok(ShardSet {
            band: header.band(),
            header,
            rounds: out,
        })
    }

    /// How many replications of every point the shards hold.
    pub fn available(&self) -> u64 {
        self.rounds.last().map_or(0, |r| r.span.to)
    }

    /// Checks the scenarios the merge reloaded against the shards'
    /// hashes: the files must not have changed since the shards ran.
    pub fn check_points(&self, points: &[PointKey]) -> Result<(), MergeError> {
        let theirs = &self.header.points;
        let first = theirs.iter().zip(points).position(|(a, b)| a != b);
        if theirs.len() != points.len() || first.is_some() {
            let i = first.unwrap_or(theirs.len().min(points.len()));
            let show = |p: Option<&PointKey>| {
                p.map_or("nothing".to_string(), |p| {
                    format!(
                        "{} (scenario hash {})",
                        p.label,
                        p.content_hashes.join(", ")
                    )
                })
            };
            return Err(MergeError(format!(
                "the scenario is not what the shards ran: point {i} is {} in the shards and {} \
                 here; merge re-reads the files on the shards' command line ({}) from the current \
                 directory, so run it where those paths name the same files",
                show(theirs.get(i)),
                show(points.get(i)),
                self.header.argv.join(" ")
            )));
        }
        Ok(())
    }

    /// Reads point `point`'s rows in replication order and hands each
    /// to `consume` (with its sides' histograms to pool: a block's pooled
    /// ones with the block's last row), until it returns [`Flow::Stop`].
    /// Returns how many rows it consumed. A stop must fall at the end of
    /// a block, which every stopping rule of a sharded run does.
    pub fn fold_point<E: From<MergeError>>(
        &mut self,
        point: usize,
        sides: usize,
        mut consume: impl FnMut(Vec<RepRow>, &[(Histogram, Histogram)]) -> Result<Flow, E>,
    ) -> Result<u64, E> {
        let band = self.band;
        let mut next = 0u64;
        for round in &mut self.rounds {
            for cursor in &mut round.files {
                let block = cursor.shard.block(&round.span);
                let stop = read_block(cursor, point, sides, band, &block, &mut next, &mut consume)?;
                if stop {
                    return Ok(next);
                }
            }
        }
        let h = &self.header;
        let more = match h.round_size {
            Some(size) => format!(
                "its --until-ci target is not met after {next} replications (round {} of {size}): \
                 run round {} (the same command with --round {}) and merge every round",
                self.rounds.len(),
                self.rounds.len() + 1,
                self.rounds.len() + 1
            ),
            None => format!("the command needs more replications than the {next} they hold"),
        };
        Err(MergeError(format!(
            "point {point} ({}) of the shards: {more}",
            h.points.get(point).map_or("", |p| p.label.as_str())
        ))
        .into())
    }
}

/// " (round J)" after the first round.
fn round_label(round: u64) -> String {
    if round > 1 {
        format!(" (round {round})")
    } else {
        String::new()
    }
}

/// Reads one file's block of `point` (see [`ShardSet::fold_point`]);
/// `next` is the replication expected next. True when `consume` stopped.
fn read_block<E: From<MergeError>>(
    cursor: &mut Cursor,
    point: usize,
    sides: usize,
    band: bool,
    block: &Range<u64>,
    next: &mut u64,
    consume: &mut impl FnMut(Vec<RepRow>, &[(Histogram, Histogram)]) -> Result<Flow, E>,
) -> Result<bool, E> {
    let path = cursor.path.clone();
    let io_err = |e: io::Error| MergeError(format!("{}: {e}", path.display()));
    let mut f = File::open(&path).map_err(io_err)?;
    if cursor.offset == 0 {
        // Past the header.
        let mut header = String::new();
        let n = BufReader::new(&mut f)
            .read_line(&mut header)
            .map_err(io_err)?;
        cursor.offset = n as u64;
        cursor.line = 2;
    }
    f.seek(SeekFrom::Start(cursor.offset)).map_err(io_err)?;
    let mut reader = BufReader::with_capacity(1 << 16, f);
    let mut buf = String::new();
    let mut held: Option<Vec<RepRow>> = None;
    // By side: how many times to recover and to detect the rows counted,
    // which the block's pooled histograms must hold.
    let mut counted: Vec<Option<(u64, u64)>> = vec![Some((0, 0)); sides];
    let bad = |line: u64, why: String| MergeError(format!("{}:{line}: {why}", path.display()));
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(io_err)?;
        if n == 0 {
            return Err(bad(
                cursor.line,
                format!("the file ends before point {point}'s rows do: copy it whole, or run its shard again"),
            )
            .into());
        }
        let at = cursor.line;
        let line: Line = serde_json::from_str(&buf).map_err(|e| parse_error(&path, at, &e))?;
        cursor.offset += n as u64;
        cursor.line += 1;
        if line.complete.is_some() {
            return Err(bad(at, format!("the file has no rows of point {point}")).into());
        }
        let Some(p) = line.point else {
            return Err(bad(at, "a line without \"point\"".into()).into());
        };
        // Rows of an earlier point left unread after its stop.
        if p < point {
            continue;
        }
        if p > point {
            return Err(bad(
                at,
                format!("point {p} where point {point}'s rows were expected"),
            )
            .into());
        }
        if let Some(rows) = line.sides {
            let r = line.replication.unwrap_or(u64::MAX);
            if r != *next || !block.contains(&r) || held.is_some() {
                return Err(bad(
                    at,
                    format!(
                        "replication {r} of point {point} where replication {next} was expected"
                    ),
                )
                .into());
            }
            check_rows(&rows, sides, band).map_err(|why| bad(at, why))?;
            for (c, row) in counted.iter_mut().zip(&rows) {
                let n = |cdf: &Option<super::estimate::CdfCounts>| cdf.as_ref().map_or(0, |c| c.n);
                *c = c.and_then(|(r, d)| {
                    Some((
                        r.checked_add(n(&row.ttr_cdf))?,
                        d.checked_add(n(&row.ttd_cdf))?,
                    ))
                });
            }
            let rows = rows
                .into_iter()
                .map(|mut row| {
                    row.replication = r;
                    row
                })
                .collect();
            *next += 1;
            if *next == block.end {
                // The block's last row goes with its pooled histograms.
                held = Some(rows);
                continue;
            }
            if consume(rows, &[])? == Flow::Stop {
                return Err(bad(
                    at,
                    format!(
                        "the stopping rule stopped at replication {r}, inside this shard's block \
                         {}..{}: a sharded run stops only at the end of a round",
                        block.start, block.end
                    ),
                )
                .into());
            }
            continue;
        }
        // The block's end.
        let (Some(rows), Some(pooled)) = (line.rows, line.pooled) else {
            return Err(bad(at, "a line that is neither a row nor a point's end".into()).into());
        };
        if rows != block.end - block.start || *next != block.end || pooled.len() != sides {
            return Err(bad(
                at,
                format!(
                    "point {point} ends after {rows} rows with {} sides; this shard's block is \
                     {}..{} with {sides}",
                    pooled.len(),
                    block.start,
                    block.end
                ),
            )
            .into());
        }
        let hists = pooled
            .iter()
            .map(|p| {
                Histogram::from_runs(&p.ttr)
                    .zip(Histogram::from_runs(&p.ttd))
                    .ok_or_else(|| bad(at, "a pooled histogram out of order".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if band {
            for (side, (c, (ttr, ttd))) in counted.iter().zip(&hists).enumerate() {
                if *c != Some((ttr.count(), ttd.count())) {
                    return Err(bad(
                        at,
                        format!(
                            "side {side}'s pooled histograms hold {} and {} values, and its rows \
                             count {}: the file was changed after its shard wrote it",
                            ttr.count(),
                            ttd.count(),
                            c.map_or("more than 2^64".into(), |(r, d)| format!("{r} and {d}"))
                        ),
                    )
                    .into());
                }
            }
        }
        return match held {
            Some(rows) => Ok(consume(rows, &hists)? == Flow::Stop),
            // An empty block (more shards than replications).
            None => Ok(false),
        };
    }
}

/// Checks a row's shape against what the fold expects.
fn check_rows(rows: &[RepRow], sides: usize, band: bool) -> Result<(), String> {
    if rows.len() != sides {
        return Err(format!("{} sides where {sides} were expected", rows.len()));
    }
    for r in rows {
        if r.values.len() != METRICS {
            return Err(format!(
                "{} metric values where {METRICS} were expected",
                r.values.len()
            ));
        }
        if band && (r.ttr_cdf.is_none() || r.ttd_cdf.is_none()) {
            return Err("a row without its ttr_cdf and ttd_cdf".into());
        }
        for c in r.ttr_cdf.iter().chain(&r.ttd_cdf) {
            if c.at_most.windows(2).any(|w| w[0] > w[1]) || c.at_most.iter().any(|&a| a > c.n) {
                return Err("a CDF whose counts are not ascending up to n".into());
            }
        }
    }
    Ok(())
}

/// Runs replications `reps` of every side on `pool` and hands each, in
/// order, to `consume` as its sides' rows and histograms, until it
/// returns [`Flow::Stop`]. `band`: the rows carry their CDF counts on the
/// first side's band grid. Returns how many it consumed.
fn simulate<E>(
    pool: &rayon::ThreadPool,
    sides: &[&Scenario],
    band: bool,
    reps: Range<u64>,
    mut consume: impl FnMut(Vec<RepRow>, &[(Histogram, Histogram)]) -> Result<Flow, E>,
) -> Result<u64, E> {
    let grid = band.then(|| CdfBand::new(sides[0].horizon.ms()).xs);
    replicate(
        pool,
        reps.end - reps.start,
        |i| {
            sides
                .iter()
                .map(|sc| run_replication(sc, reps.start + i, false).split(grid.as_deref()))
                .collect::<Vec<_>>()
        },
        |_, results| {
            let (rows, hists): (Vec<RepRow>, Vec<(Histogram, Histogram)>) = results
                .into_iter()
                .map(|(row, ttr, ttd)| (row, (ttr, ttd)))
                .unzip();
            consume(rows, &hists)
        },
    )
}

/// Where a command's replications come from.
pub enum Source<'a> {
    /// Simulated here, on this pool.
    Simulate(&'a rayon::ThreadPool),
    /// Read back from shard files, in replication order (`merge`).
    Shards(&'a mut ShardSet),
}

impl Source<'_> {
    /// Hands point `point`'s replications 0, 1, ... (each side's row of
    /// `sides`, with the histograms to pool) to `consume` until it
    /// returns [`Flow::Stop`], or `max` are done. `band`: the point draws
    /// a CDF band, so its rows carry their CDF counts. Returns how many
    /// it consumed.
    pub fn replications<E: From<MergeError>>(
        &mut self,
        point: usize,
        sides: &[&Scenario],
        band: bool,
        max: u64,
        consume: impl FnMut(Vec<RepRow>, &[(Histogram, Histogram)]) -> Result<Flow, E>,
    ) -> Result<u64, E> {
        match self {
            Source::Simulate(pool) => simulate(pool, sides, band, 0..max, consume),
            Source::Shards(set) => set.fold_point(point, sides.len(), consume),
        }
    }
}

/// `merge`'s one-line account of what it read, for stderr.
pub fn describe(set: &ShardSet) -> String {
    let n = set.header.shard.count;
    format!(
        "{n} shard{} of `{}` ({} replications{})",
        if n == 1 { "" } else { "s" },
        set.header.command,
        set.available(),
        if set.rounds.len() > 1 {
            format!(" in {} rounds", set.rounds.len())
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn blocks_tile_the_span_in_order() {
        for n in 1..=9u32 {
            for len in [0u64, 1, 5, 10, 11, 100] {
                let span = Span {
                    from: 7,
                    to: 7 + len,
                };
                let mut at = 7;
                for k in 0..n {
                    let b = Shard { index: k, count: n }.block(&span);
                    assert_eq!(b.start, at, "n {n} len {len} k {k}");
                    assert!(b.end - b.start <= len.div_ceil(u64::from(n)));
                    at = b.end;
                }
                assert_eq!(at, 7 + len);
            }
        }
    }

    #[test]
    fn shard_specs_and_the_environment() {
        let none = env(&[]);
        assert_eq!(
            Shard::parse("2/7", None, &none),
            Ok(Shard { index: 2, count: 7 })
        );
        assert!(
            Shard::parse("7/7", None, &none)
                .unwrap_err()
                .contains("0 to N-1")
        );
        assert!(Shard::parse("0/0", None, &none).is_err());
        assert!(
            Shard::parse("x/3", None, &none)
                .unwrap_err()
                .contains("K is \"x\"")
        );
        assert!(
            Shard::parse("3", None, &none)
                .unwrap_err()
                .contains("expected K/N")
        );
        assert!(
            Shard::parse("1/3", Some(3), &none)
                .unwrap_err()
                .contains("only with --shard auto")
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "4"), ("JOB_COMPLETIONS", "5")]);
        assert_eq!(
            Shard::parse("auto", None, &k8s),
            Ok(Shard { index: 4, count: 5 })
        );
        assert_eq!(
            Shard::parse("auto", Some(6), &k8s),
            Ok(Shard { index: 4, count: 6 })
        );
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::parse("auto", None, &slurm),
            Ok(Shard { index: 2, count: 4 })
        );
        assert!(
            Shard::parse("auto", None, &none)
                .unwrap_err()
                .contains("JOB_COMPLETION_INDEX")
        );
        let no_n = env(&[("JOB_COMPLETION_INDEX", "0")]);
        assert!(
            Shard::parse("auto", None, &no_n)
                .unwrap_err()
                .contains("--shard-count")
        );
        assert_eq!(
            Shard { index: 3, count: 8 }.file_name(1),
            "shard-3-of-8.jsonl"
        );
        assert_eq!(
            Shard { index: 3, count: 8 }.file_name(2),
            "shard-3-of-8.round-2.jsonl"
        );
    }
}
