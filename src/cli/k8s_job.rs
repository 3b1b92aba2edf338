//! `repairsim k8s-job --completions N --parallelism P -- sweep|compare|report ...`:
//! the manifest of a Kubernetes Indexed Job that runs one shard of the
//! command per index, for `kubectl apply -f`, after a comment block with
//! the kubectl commands that run it, collect the shards and merge them.
//!
//! It writes YAML and simulates nothing. Each pod runs the command as
//! given, plus `--shard auto --out /results --quiet`: the shard reads its
//! index from `JOB_COMPLETION_INDEX`, which the Job controller sets, and
//! the shard count from `JOB_COMPLETIONS`, which the manifest sets. The
//! input files the command names travel in a ConfigMap, mounted at the
//! same relative paths under the pod's working directory `/work`, so the
//! pods, and `repairsim merge` run here, read the same bytes under the
//! same names.
//!
//! The manifest is built as [`Node`]s, whose mappings keep the order they
//! were built in, and written as block YAML with every string
//! double-quoted: the output is a function of the arguments and the
//! files' bytes alone.

use super::{Cli, CliError, Command, Out};
use crate::budget::count;
use crate::scenario::Patch;
use crate::scenario::resources::split_selector;
use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches};
use std::path::{Component, Path, PathBuf};

/// The most indexes: the API server refuses an Indexed Job with a
/// parallelism over 100,000, and each index is one pod.
const MAX_COMPLETIONS: u32 = 100_000;
/// The longest Job name: the Job controller names each pod's host
/// `<name>-<index>`, a DNS label of at most 63 characters, and the collect
/// pod is `<name>-collect`.
const MAX_NAME: usize = 52;
/// What one ConfigMap holds \[bytes\]: the API server's limit on its data.
const CONFIGMAP_LIMIT: usize = 1 << 20;
/// The Dockerfile's user and group.
const UID: i64 = 10001;
/// Where the pods read their inputs and write their shard.
const WORKDIR: &str = "/work";
const RESULTS: &str = "/results";
/// The container's name, which the pod failure policy names.
const CONTAINER: &str = "repairsim";
/// The image `docker build -t repairsim:VERSION .` makes of this repository.
const DEFAULT_IMAGE: &str = concat!("repairsim:", env!("CARGO_PKG_VERSION"));

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  repairsim k8s-job --completions 8 --parallelism 4 -- sweep scenarios/default.toml \\
      --grid policy.repair_delay=1m,2m,5m,10m -n 1000 > job.yaml
  repairsim k8s-job --completions 4 --parallelism 4 --image myregistry.azurecr.io/repairsim:TAG \\
      -- compare scenarios/default.toml --candidate policy=nhc.yaml -n 2000 > job.yaml
  repairsim k8s-job --completions 2 --parallelism 2 --claim shared-rwx -- report -n 200 > job.yaml

Prints a YAML stream for `kubectl apply --server-side -f job.yaml`: a ConfigMap
NAME-inputs with the input files the command names (the scenario, --policy-file,
compare's policy=FILE terms; none for the embedded default scenario), a
PersistentVolumeClaim NAME-results (unless --claim) and an Indexed Job NAME whose
pod K runs `repairsim COMMAND... --shard auto --out /results --quiet` as shard K
of N. The comment block at the top has the kubectl commands that run the Job,
wait for it, copy the shards out and merge them with `repairsim merge`.

Input paths must be relative and stay below the current directory (no '..'):
each pod sees every file at the same path under its working directory /work,
and `repairsim merge` reads them here again. The ConfigMap holds at most 1 MiB.

The image is this repository's Dockerfile, built and pushed where the cluster
can pull it: `docker build -t REGISTRY/repairsim:TAG .`, `docker push
REGISTRY/repairsim:TAG`, then --image REGISTRY/repairsim:TAG.
Needs Kubernetes 1.29 or later (backoffLimitPerIndex, podFailurePolicy).")]
pub struct Args {
    /// Shards: indexes of the Job, each run to completion by one pod (1 to 100000).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_COMPLETIONS)))]
    pub completions: u32,
    /// Pods running at once (1 to --completions).
    #[arg(long, value_name = "P", allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_COMPLETIONS)))]
    pub parallelism: u32,
    /// Name of the Job; its ConfigMap, claim and collect pod are NAME-inputs,
    /// NAME-results and NAME-collect. At most 52 lowercase letters, digits
    /// and '-' [default: repairsim-SCENARIO-COMMAND].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The repairsim image the pods run (its entry point is repairsim).
    #[arg(long, value_name = "IMAGE", default_value = DEFAULT_IMAGE)]
    pub image: String,
    /// Namespace of every object [default: the kubectl context's].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Retries of a failed index before it fails (and with it the Job). A
    /// pod evicted or preempted is not counted, and an index whose
    /// repairsim exits 1 or 2 (its inputs) fails at once.
    #[arg(long, value_name = "B", default_value_t = 2, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub backoff_limit_per_index: u32,
    /// Storage class of the results claim: it must offer ReadWriteMany, as
    /// pods on several nodes write into it at once. The default is AKS's
    /// built-in Azure Files class; elsewhere name an NFS, CephFS or other
    /// RWX class.
    #[arg(
        long,
        value_name = "CLASS",
        default_value = "azurefile-csi",
        conflicts_with = "claim"
    )]
    pub storage_class: String,
    /// Size of the results claim, a Kubernetes quantity (1Gi, 500Mi).
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "1Gi",
        conflicts_with = "claim"
    )]
    pub storage: String,
    /// Write into this existing ReadWriteMany claim instead of creating
    /// one: into its directory NAME, so several Jobs can share it.
    #[arg(long, value_name = "EXISTING_PVC")]
    pub claim: Option<String>,
    /// CPU each pod requests, a Kubernetes quantity (1, 500m).
    #[arg(long, value_name = "CPU", default_value = "1")]
    pub cpu: String,
    /// Memory each pod requests, a Kubernetes quantity (512Mi, 2Gi).
    #[arg(long, value_name = "SIZE", default_value = "512Mi")]
    pub memory: String,
    /// The command each pod runs a shard of: sweep, compare or report with
    /// their arguments, after `--`. Not --out, --shard or --shard-count:
    /// k8s-job sets them.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

pub fn run(args: Args, patches: &[Patch]) -> Result<(), CliError> {
    let limits = crate::budget::limits();
    if !patches.is_empty() || limits != crate::budget::Limits::default() {
        return Err(CliError::Input(
            "k8s-job: --set, --policy-file, --max-work and --max-memory belong to the command \
             the Job runs; put them after --, e.g. `repairsim k8s-job --completions 4 \
             --parallelism 4 -- sweep --set seed=7`"
                .into(),
        ));
    }
    let text = manifest(&args)?;
    Out::stdout().print(&text)
}

/// The whole output: the comment block, then one YAML document per object.
pub fn manifest(args: &Args) -> Result<String, CliError> {
    check_flags(args)?;
    let job = JobCommand::parse(&args.command)?;
    let inputs = read_inputs(&job.inputs)?;
    let sc = super::load_scenario(job.scenario.as_deref(), &job.patches)?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => default_name(&sc.name, job.verb),
    };
    let plan = Plan {
        args,
        name,
        cmd: &job,
        inputs,
    };
    let mut text = plan.comments();
    for doc in plan.documents() {
        text.push_str("---\n");
        yaml_document(&mut text, &doc);
    }
    Ok(text)
}

/// Refuses what the flags get wrong, before any file is read: what the
/// API server would refuse, and a missing command.
fn check_flags(args: &Args) -> Result<(), CliError> {
    if args.parallelism > args.completions {
        return Err(CliError::Input(format!(
            "--parallelism {}: more than --completions {}; each index is one shard, so at most \
             {} pods can run at once",
            args.parallelism, args.completions, args.completions
        )));
    }
    if args.command.is_empty() {
        return Err(CliError::Input(
            "k8s-job: no command to run; give it after --, e.g. `repairsim k8s-job \
             --completions 8 --parallelism 4 -- sweep scenarios/default.toml -n 1000`"
                .into(),
        ));
    }
    if let Some(n) = &args.name
        && !(is_dns_label(n) && n.len() <= MAX_NAME)
    {
        return Err(CliError::Input(format!(
            "--name {n}: not a Job name k8s-job can use; give 1 to {MAX_NAME} lowercase \
             letters, digits and '-', starting and ending with a letter or digit (each pod's \
             host name is NAME-INDEX, at most 63 characters)"
        )));
    }
    if let Some(ns) = &args.namespace
        && !(is_dns_label(ns) && ns.len() <= 63)
    {
        return Err(CliError::Input(format!(
            "--namespace {ns}: not a namespace name; give 1 to 63 lowercase letters, digits \
             and '-', starting and ending with a letter or digit"
        )));
    }
    for (flag, value) in [
        ("--claim", args.claim.as_deref()),
        ("--storage-class", Some(args.storage_class.as_str())),
    ] {
        if let Some(v) = value
            && !is_dns_subdomain(v)
        {
            return Err(CliError::Input(format!(
                "{flag} {v}: not a Kubernetes object name; give lowercase letters, digits, \
                 '-' and '.', starting and ending with a letter or digit (at most 253)"
            )));
        }
    }
    quantity("--storage", &args.storage, false)?;
    quantity("--cpu", &args.cpu, true)?;
    quantity("--memory", &args.memory, false)?;
    let image_ok = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
    if args.image.is_empty() || !args.image.chars().all(image_ok) {
        return Err(CliError::Input(format!(
            "--image {:?}: not an image reference; give REGISTRY/REPOSITORY:TAG, e.g. \
             myregistry.azurecr.io/repairsim:{}",
            args.image,
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(())
}

/// What the pods run: the command after `--`, checked as `repairsim`
/// would parse it.
struct JobCommand {
    /// `sweep`, `compare` or `report`.
    verb: &'static str,
    /// The pods' arguments before `--shard auto --out /results --quiet`.
    args: Vec<String>,
    scenario: Option<PathBuf>,
    /// The global `--policy-file` and `--set` flags, in order, to load the
    /// scenario as the command will.
    patches: Vec<Patch>,
    /// Every file the command reads, after the argument that names it.
    inputs: Vec<(String, PathBuf)>,
}

impl JobCommand {
    fn parse(tokens: &[String]) -> Result<JobCommand, CliError> {
        // The shard flags are refused by name, before clap, so that the
        // message quotes the flag as written; a bare `--` ends the flags.
        let flags = tokens.iter().take_while(|t| *t != "--");
        if let Some(t) = flags.clone().find(|t| {
            ["--shard", "--shard-count"]
                .iter()
                .any(|f| *t == f || t.starts_with(&format!("{f}=")))
        }) {
            return Err(CliError::Input(format!(
                "{t}: k8s-job sets --shard auto itself, and the shard count through \
                 JOB_COMPLETIONS (--completions); remove it from the command after --"
            )));
        }
        // k8s-job appends its own --quiet, which clap takes only once.
        let is_quiet = |t: &String| t == "--quiet" || t == "-q";
        let n_flags = flags.count();
        let args: Vec<String> = tokens[..n_flags]
            .iter()
            .filter(|t| !is_quiet(t))
            .chain(&tokens[n_flags..])
            .cloned()
            .collect();
        // Parsed as `repairsim` parses it, keeping the subcommand's name
        // for the refusal of one k8s-job cannot shard.
        let matches = Cli::command()
            .try_get_matches_from(std::iter::once("repairsim".to_string()).chain(args.clone()))
            .map_err(|e| match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => CliError::Input(
                    "the command after -- asks for help or the version; run it without \
                     k8s-job, e.g. `repairsim sweep --help`"
                        .into(),
                ),
                _ => {
                    let text = e.to_string();
                    let text = text.strip_prefix("error: ").unwrap_or(&text);
                    CliError::Input(format!("the command after --: {}", text.trim_end()))
                }
            })?;
        let verb_name = matches.subcommand_name().unwrap_or_default().to_string();
        let cli = Cli::from_arg_matches(&matches)
            .map_err(|e| CliError::Input(format!("the command after --: {e}")))?;
        let (verb, scenario, out, quiet, sides) = match cli.command {
            Command::Sweep(a) => ("sweep", a.scenario, a.out, a.quiet, Vec::new()),
            Command::Report(a) => ("report", a.scenario, a.out, a.quiet, Vec::new()),
            Command::Compare(a) => {
                let sides = a
                    .baseline
                    .iter()
                    .map(|s| ("--baseline", s))
                    .chain(a.candidate.iter().map(|s| ("--candidate", s)))
                    .map(|(f, s)| (f, s.clone()))
                    .collect();
                ("compare", a.scenario, a.out, a.quiet, sides)
            }
            _ => {
                return Err(CliError::Input(format!(
                    "k8s-job runs sweep, compare or report, the commands that can be split \
                     into shards; not {verb_name}"
                )));
            }
        };
        if let Some(out) = out {
            return Err(CliError::Input(format!(
                "--out {}: k8s-job sets --out {RESULTS} (the results claim) itself; remove it \
                 from the command after --, and give the directory to `repairsim merge --out` \
                 instead",
                out.display()
            )));
        }
        if quiet {
            return Err(CliError::Input(
                "-q among other short flags: k8s-job adds --quiet itself; remove the -q from \
                 the command after --"
                    .into(),
            ));
        }
        let mut inputs: Vec<(String, PathBuf)> = Vec::new();
        if let Some(p) = &scenario {
            inputs.push((format!("the scenario {}", p.display()), p.clone()));
        }
        // FILE#NAME names an object of FILE; the loader splits it so.
        if let Some(p) = &cli.policy_file {
            let arg = format!("--policy-file {}", p.display());
            inputs.push((arg, split_selector(p).0));
        }
        for (flag, spec) in &sides {
            for patch in super::compare::parse_side(flag, spec)?.patches {
                if let Patch::PolicyFile(p) = patch {
                    let term = format!("{flag} policy={}", p.display());
                    inputs.push((term, split_selector(&p).0));
                }
            }
        }
        let patches = cli
            .policy_file
            .iter()
            .cloned()
            .map(Patch::PolicyFile)
            .chain(super::parse_sets(&cli.set)?)
            .collect();
        Ok(JobCommand {
            verb,
            args,
            scenario,
            patches,
            inputs,
        })
    }
}

/// An input file as the pods see it.
struct Input {
    /// The path below the working directory, `/`-separated, without `.`.
    rel: String,
    /// Its key in the ConfigMap.
    key: String,
    text: String,
}

/// Reads each input once (the same file named twice is one input), and
/// refuses what cannot be mounted at the same relative path, or does not
/// fit into a ConfigMap.
fn read_inputs(named: &[(String, PathBuf)]) -> Result<Vec<Input>, CliError> {
    let mut inputs: Vec<Input> = Vec::new();
    for (what, path) in named {
        let bad = |why: &str| CliError::Input(format!("{what}: {why}"));
        if path.is_absolute() || path.has_root() {
            return Err(bad(&format!(
                "an absolute path; k8s-job mounts each input at the same path relative to \
                 the pod's working directory {WORKDIR}, so give a path relative to this \
                 directory (and run `repairsim merge` from here too)"
            )));
        }
        let mut parts = Vec::new();
        for c in path.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_str().ok_or_else(|| {
                    bad("not UTF-8; a ConfigMap names its files in UTF-8, so rename it")
                })?),
                Component::CurDir => {}
                _ => {
                    return Err(bad(&format!(
                        "a path with '..'; k8s-job mounts each input at the same relative \
                         path under the pod's working directory {WORKDIR}, which '..' would \
                         leave; give a path below this directory"
                    )));
                }
            }
        }
        let rel = parts.join("/");
        if inputs.iter().any(|i| i.rel == rel) {
            continue;
        }
        let text = read_text(path).map_err(|why| bad(&why))?;
        // A ConfigMap key is [-._a-zA-Z0-9]+; the index keeps two paths
        // that read the same that way apart.
        let flat: String = rel
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-._".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut key = format!("{}-{flat}", inputs.len());
        key.truncate(253);
        inputs.push(Input { rel, key, text });
    }
    let total: usize = inputs.iter().map(|i| i.key.len() + i.text.len()).sum();
    if total > CONFIGMAP_LIMIT {
        let files: Vec<String> = inputs
            .iter()
            .map(|i| format!("{} ({} bytes)", i.rel, count(i.text.len() as u128)))
            .collect();
        return Err(CliError::Input(format!(
            "the input files come to {} bytes with their keys, more than the ConfigMap that \
             carries them to the pods holds (1 MiB, {} bytes): {}",
            count(total as u128),
            count(CONFIGMAP_LIMIT as u128),
            files.join(", ")
        )));
    }
    Ok(inputs)
}

/// A regular file's text: a FIFO or a device is refused unopened, as the
/// scenario loader refuses it.
fn read_text(path: &Path) -> Result<String, String> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err("not a regular file; give a file".into()),
        Ok(_) => {
            let bytes = std::fs::read(path).map_err(|e| format!("could not read it: {e}"))?;
            String::from_utf8(bytes).map_err(|_| {
                "not UTF-8 text, which is all repairsim reads (and a ConfigMap's data holds)".into()
            })
        }
        Err(e) => Err(format!("could not read it: {e}")),
    }
}

/// `repairsim-<scenario>-<command>`, a DNS label of at most [`MAX_NAME`]
/// characters.
fn default_name(scenario: &str, verb: &str) -> String {
    let mut label = String::new();
    for c in scenario.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            label.push(c);
        } else if !label.is_empty() && !label.ends_with('-') {
            label.push('-');
        }
    }
    label.truncate(MAX_NAME - "repairsim--".len() - verb.len());
    let label = label.trim_end_matches('-');
    if label.is_empty() {
        format!("repairsim-{verb}")
    } else {
        format!("repairsim-{label}-{verb}")
    }
}

/// Lowercase letters, digits and '-', starting and ending with a letter or
/// digit, at most 63 (RFC 1123).
fn is_dns_label(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    s.len() <= 63
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Dot-separated DNS labels, at most 253 characters (RFC 1123).
fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// Refuses what is not a positive Kubernetes quantity: digits, an optional
/// fraction and a suffix (Ki Mi Gi Ti Pi Ei, k M G T P E; `m`, thousandths,
/// only for CPU: 512m of memory would be half a byte).
fn quantity(flag: &str, value: &str, milli: bool) -> Result<(), CliError> {
    let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &value[digits.len()..];
    let mut suffixes = vec![
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E",
    ];
    if milli {
        suffixes.push("m");
    }
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let number_ok = !whole.is_empty()
        && whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
        && digits.chars().any(|c| c.is_ascii_digit() && c != '0');
    if number_ok && suffixes.contains(&suffix) {
        return Ok(());
    }
    let example = if milli {
        "1, 2 or 500m"
    } else {
        "512Mi or 2Gi"
    };
    Err(CliError::Input(format!(
        "{flag} {value}: not a positive Kubernetes quantity; give a number and a suffix, \
         e.g. {example}{}",
        if milli {
            ""
        } else {
            " (Ki, Mi, Gi, Ti: powers of 1024; k, M, G, T: of 1000)"
        }
    )))
}

/// Everything the output is made of.
struct Plan<'a> {
    args: &'a Args,
    name: String,
    cmd: &'a JobCommand,
    inputs: Vec<Input>,
}

impl Plan<'_> {
    fn inputs_name(&self) -> String {
        format!("{}-inputs", self.name)
    }
    fn claim_name(&self) -> String {
        self.args
            .claim
            .clone()
            .unwrap_or_else(|| format!("{}-results", self.name))
    }
    fn collect_name(&self) -> String {
        format!("{}-collect", self.name)
    }

    fn metadata(&self, name: String) -> Node {
        let mut m = vec![("name", s(name))];
        if let Some(ns) = &self.args.namespace {
            m.push(("namespace", s(ns)));
        }
        m.push(("labels", self.labels()));
        map(m)
    }

    fn labels(&self) -> Node {
        map(vec![
            ("app.kubernetes.io/name", s("repairsim")),
            ("app.kubernetes.io/instance", s(&self.name)),
        ])
    }

    /// The ConfigMap (when there are inputs), the claim (unless --claim)
    /// and the Job, in the order `kubectl apply` should create them.
    fn documents(&self) -> Vec<Node> {
        let mut docs = Vec::new();
        if !self.inputs.is_empty() {
            let data = self
                .inputs
                .iter()
                .map(|i| (i.key.clone(), s(&i.text)))
                .collect();
            docs.push(map(vec![
                ("apiVersion", s("v1")),
                ("kind", s("ConfigMap")),
                ("metadata", self.metadata(self.inputs_name())),
                ("data", Node::Map(data)),
            ]));
        }
        if self.args.claim.is_none() {
            docs.push(map(vec![
                ("apiVersion", s("v1")),
                ("kind", s("PersistentVolumeClaim")),
                ("metadata", self.metadata(self.claim_name())),
                (
                    "spec",
                    map(vec![
                        ("accessModes", Node::Seq(vec![s("ReadWriteMany")])),
                        ("storageClassName", s(&self.args.storage_class)),
                        (
                            "resources",
                            map(vec![(
                                "requests",
                                map(vec![("storage", s(&self.args.storage))]),
                            )]),
                        ),
                    ]),
                ),
            ]));
        }
        docs.push(self.job());
        docs
    }

    /// The pod's security context: the Dockerfile's non-root user, as the
    /// restricted Pod Security Standard asks.
    fn pod_security(&self, fs_group: bool) -> Node {
        let mut m = vec![
            ("runAsNonRoot", Node::Bool(true)),
            ("runAsUser", Node::Int(UID)),
            ("runAsGroup", Node::Int(UID)),
        ];
        if fs_group {
            // The claim's files belong to the pods' group; checking only
            // the root spares a walk over every shard of a shared claim.
            m.push(("fsGroup", Node::Int(UID)));
            m.push(("fsGroupChangePolicy", s("OnRootMismatch")));
        }
        m.push(("seccompProfile", map(vec![("type", s("RuntimeDefault"))])));
        map(m)
    }

    fn container_security(&self) -> Node {
        map(vec![
            ("allowPrivilegeEscalation", Node::Bool(false)),
            (
                "capabilities",
                map(vec![("drop", Node::Seq(vec![s("ALL")]))]),
            ),
        ])
    }

    /// The results volume: the claim, or its directory NAME when the claim
    /// is the user's and may hold other runs' shards.
    fn results_mount(&self, read_only: bool) -> Node {
        let mut m = vec![("name", s("results")), ("mountPath", s(RESULTS))];
        if self.args.claim.is_some() {
            m.push(("subPath", s(&self.name)));
        }
        if read_only {
            m.push(("readOnly", Node::Bool(true)));
        }
        map(m)
    }

    fn results_volume(&self, read_only: bool) -> Node {
        let mut claim = vec![("claimName", s(self.claim_name()))];
        if read_only {
            claim.push(("readOnly", Node::Bool(true)));
        }
        map(vec![
            ("name", s("results")),
            ("persistentVolumeClaim", map(claim)),
        ])
    }

    /// The pods' arguments. Kubernetes expands `$(VAR)` in a container's
    /// args and turns `$$` into `$`, so every `$` is doubled to pass the
    /// arguments through as written.
    fn pod_args(&self) -> Vec<String> {
        self.cmd
            .args
            .iter()
            .map(String::as_str)
            .chain(["--shard", "auto", "--out", RESULTS, "--quiet"])
            .map(|a| a.replace('$', "$$"))
            .collect()
    }

    fn job(&self) -> Node {
        let a = self.args;
        let mut mounts = vec![self.results_mount(false)];
        for i in &self.inputs {
            mounts.push(map(vec![
                ("name", s("inputs")),
                ("mountPath", s(format!("{WORKDIR}/{}", i.rel))),
                ("subPath", s(&i.key)),
                ("readOnly", Node::Bool(true)),
            ]));
        }
        let mut volumes = vec![self.results_volume(false)];
        if !self.inputs.is_empty() {
            volumes.push(map(vec![
                ("name", s("inputs")),
                ("configMap", map(vec![("name", s(self.inputs_name()))])),
            ]));
        }
        let container = map(vec![
            ("name", s(CONTAINER)),
            ("image", s(&a.image)),
            ("workingDir", s(WORKDIR)),
            (
                "args",
                Node::Seq(self.pod_args().into_iter().map(Node::Str).collect()),
            ),
            (
                "env",
                Node::Seq(vec![map(vec![
                    ("name", s("JOB_COMPLETIONS")),
                    ("value", s(a.completions.to_string())),
                ])]),
            ),
            (
                "resources",
                map(vec![(
                    "requests",
                    map(vec![("cpu", s(&a.cpu)), ("memory", s(&a.memory))]),
                )]),
            ),
            ("securityContext", self.container_security()),
            // repairsim's error goes to stderr: this makes it the pod's
            // termination message, which `kubectl describe` shows.
            ("terminationMessagePolicy", s("FallbackToLogsOnError")),
            ("volumeMounts", Node::Seq(mounts)),
        ]);
        // A pod that was evicted, preempted or drained is not the shard's
        // fault, so it is retried without counting. Exits 1 and 2 depend
        // only on the inputs: a retry would fail the same way.
        let failure_policy = map(vec![(
            "rules",
            Node::Seq(vec![
                map(vec![
                    ("action", s("Ignore")),
                    (
                        "onPodConditions",
                        Node::Seq(vec![map(vec![
                            ("type", s("DisruptionTarget")),
                            ("status", s("True")),
                        ])]),
                    ),
                ]),
                map(vec![
                    ("action", s("FailIndex")),
                    (
                        "onExitCodes",
                        map(vec![
                            ("containerName", s(CONTAINER)),
                            ("operator", s("In")),
                            ("values", Node::Seq(vec![Node::Int(1), Node::Int(2)])),
                        ]),
                    ),
                ]),
            ]),
        )]);
        map(vec![
            ("apiVersion", s("batch/v1")),
            ("kind", s("Job")),
            ("metadata", self.metadata(self.name.clone())),
            (
                "spec",
                map(vec![
                    ("completionMode", s("Indexed")),
                    ("completions", Node::Int(i64::from(a.completions))),
                    ("parallelism", Node::Int(i64::from(a.parallelism))),
                    (
                        "backoffLimitPerIndex",
                        Node::Int(i64::from(a.backoff_limit_per_index)),
                    ),
                    // `merge` needs every shard: once one index has failed
                    // for good the run cannot be merged, so the Job stops
                    // instead of paying for the others.
                    ("maxFailedIndexes", Node::Int(0)),
                    ("podFailurePolicy", failure_policy),
                    (
                        "template",
                        map(vec![
                            ("metadata", map(vec![("labels", self.labels())])),
                            (
                                "spec",
                                map(vec![
                                    ("restartPolicy", s("Never")),
                                    // The pods never call the API server.
                                    ("automountServiceAccountToken", Node::Bool(false)),
                                    ("securityContext", self.pod_security(true)),
                                    ("containers", Node::Seq(vec![container])),
                                    ("volumes", Node::Seq(volumes)),
                                ]),
                            ),
                        ]),
                    ),
                ]),
            ),
        ])
    }

    /// The pod that mounts the claim read-only for `kubectl cp`: the same
    /// image (it has tar, which `kubectl cp` runs, and the nodes have
    /// pulled it), sleeping for an hour so that a forgotten one ends.
    fn collect_pod(&self) -> Node {
        map(vec![
            ("apiVersion", s("v1")),
            ("kind", s("Pod")),
            ("metadata", self.metadata(self.collect_name())),
            (
                "spec",
                map(vec![
                    ("restartPolicy", s("Never")),
                    ("automountServiceAccountToken", Node::Bool(false)),
                    // sleep is PID 1, which ignores SIGTERM: delete it at once.
                    ("terminationGracePeriodSeconds", Node::Int(1)),
                    ("securityContext", self.pod_security(false)),
                    (
                        "containers",
                        Node::Seq(vec![map(vec![
                            ("name", s(self.collect_name())),
                            ("image", s(&self.args.image)),
                            ("command", Node::Seq(vec![s("sleep"), s("3600")])),
                            ("securityContext", self.container_security()),
                            ("volumeMounts", Node::Seq(vec![self.results_mount(true)])),
                        ])]),
                    ),
                    ("volumes", Node::Seq(vec![self.results_volume(true)])),
                ]),
            ),
        ])
    }

    /// The comment block: what the Job runs, and the commands around it.
    fn comments(&self) -> String {
        let a = self.args;
        let name = &self.name;
        let kubectl = match &a.namespace {
            Some(ns) => format!("kubectl -n {ns}"),
            None => "kubectl".to_string(),
        };
        let shown: Vec<String> = self.cmd.args.iter().map(|t| shell_quote(t)).collect();
        let mut objects = Vec::new();
        if !self.inputs.is_empty() {
            let files: Vec<&str> = self.inputs.iter().map(|i| i.rel.as_str()).collect();
            objects.push(format!(
                "  ConfigMap {}: {}",
                self.inputs_name(),
                files.join(", ")
            ));
        }
        match &a.claim {
            None => objects.push(format!(
                "  PersistentVolumeClaim {}: ReadWriteMany, {}, {}",
                self.claim_name(),
                a.storage_class,
                a.storage
            )),
            Some(c) => objects.push(format!(
                "  (the shards go into directory {name} of your PersistentVolumeClaim {c})"
            )),
        }
        objects.push(format!("  Job {name}"));
        let collect = self.collect_name();
        let overrides = shell_quote(&json(&self.collect_pod()));
        let shards = format!("out/{name}-shards");
        let mut cleanup = format!("{kubectl} delete pod/{collect} job/{name}");
        if !self.inputs.is_empty() {
            cleanup.push_str(&format!(" configmap/{}", self.inputs_name()));
        }
        let keep = match &a.claim {
            None => {
                cleanup.push_str(&format!(" pvc/{}", self.claim_name()));
                "the claim holds the shards: delete it once they are merged".to_string()
            }
            Some(c) => format!("the shards stay in directory {name} of {c}"),
        };
        let mut lines: Vec<String> = [
            format!(
                "repairsim k8s-job (repairsim {}): {} shards of",
                env!("CARGO_PKG_VERSION"),
                a.completions
            ),
            format!("  repairsim {}", shown.join(" ")),
            format!(
                "as an Indexed Job, {} pods at a time, each writing {RESULTS}/shard-K-of-{}.jsonl.",
                a.parallelism, a.completions
            ),
            "Objects:".to_string(),
        ]
        .into_iter()
        .chain(objects)
        .chain([
            String::new(),
            "Save this output as job.yaml. Needs Kubernetes 1.29 or later. The pods run"
                .to_string(),
            "this image: build this repository's Dockerfile, push it where the cluster".to_string(),
            "pulls from, and name it with --image.".to_string(),
            format!("  {}", a.image),
            String::new(),
            "Run the Job and wait for it (server-side: a client-side apply copies each".to_string(),
            "object into an annotation of at most 256 KiB, which the inputs can exceed):"
                .to_string(),
            format!("  {kubectl} apply --server-side -f job.yaml"),
            format!("  {kubectl} wait --for=condition=complete job/{name} --timeout=24h"),
            "A Job that fails never completes, and the wait runs into its timeout; which"
                .to_string(),
            "indexes failed, and what their pods said:".to_string(),
            format!(
                "  {kubectl} get job/{name} -o jsonpath='{{.status.failedIndexes}}{{\"\\n\"}}'"
            ),
            format!("  {kubectl} logs -l batch.kubernetes.io/job-name={name} --prefix --tail=20"),
            String::new(),
            "Collect the shards, and merge them here, in the directory the command's".to_string(),
            "paths are relative to:".to_string(),
            format!(
                "  {kubectl} run {collect} --image={} --restart=Never --overrides={overrides}",
                a.image
            ),
            format!("  {kubectl} wait --for=condition=Ready pod/{collect} --timeout=10m"),
            format!("  {kubectl} cp {collect}:{RESULTS} {shards}"),
            format!("  repairsim merge {shards} --out out/{name}"),
        ])
        .collect();
        if self
            .cmd
            .args
            .iter()
            .any(|t| t == "--until-ci" || t.starts_with("--until-ci="))
        {
            lines.extend([
                "  (--until-ci runs in rounds, one Job each (--round J): merge every round's"
                    .to_string(),
                "  shard directories together; when the target is not met yet, merge says"
                    .to_string(),
                "  so, exit 2, and which round to run next)".to_string(),
            ]);
        }
        lines.extend([
            String::new(),
            format!("Clean up ({keep}):"),
            format!("  {cleanup}"),
        ]);
        let mut text = String::new();
        for l in lines {
            text.push('#');
            if !l.is_empty() {
                text.push(' ');
                text.push_str(&l);
            }
            text.push('\n');
        }
        text
    }
}

/// A YAML (or JSON) value whose mappings keep the order they were built
/// in, so that the output never depends on a hash.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn s(v: impl AsRef<str>) -> Node {
    Node::Str(v.as_ref().to_string())
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    Node::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// Writes `node` as one block-style YAML document.
pub fn yaml_document(out: &mut String, node: &Node) {
    match node {
        Node::Map(entries) if is_block(node) => yaml_map(out, entries, 0, false),
        Node::Seq(items) if is_block(node) => yaml_seq(out, items, 0),
        _ => {
            out.push_str(&inline(node));
            out.push('\n');
        }
    }
}

/// A scalar, or an empty collection, on one line (anything else as JSON,
/// which YAML reads as a flow collection).
fn inline(node: &Node) -> String {
    match node {
        Node::Str(v) => quote(v),
        _ => json(node),
    }
}

/// Whether `node` takes lines of its own: a collection with something in it.
fn is_block(node: &Node) -> bool {
    match node {
        Node::Seq(items) => !items.is_empty(),
        Node::Map(entries) => !entries.is_empty(),
        _ => false,
    }
}

/// `first_inline`: the first key goes right after a `- ` already written.
fn yaml_map(out: &mut String, entries: &[(String, Node)], indent: usize, first_inline: bool) {
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 || !first_inline {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&key(k));
        out.push(':');
        match v {
            Node::Map(inner) if is_block(v) => {
                out.push('\n');
                yaml_map(out, inner, indent + 2, false);
            }
            Node::Seq(items) if is_block(v) => {
                out.push('\n');
                yaml_seq(out, items, indent);
            }
            _ => {
                out.push(' ');
                out.push_str(&inline(v));
                out.push('\n');
            }
        }
    }
}

fn yaml_seq(out: &mut String, items: &[Node], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Node::Map(inner) if is_block(item) => {
                out.push(' ');
                yaml_map(out, inner, indent + 2, true);
            }
            Node::Seq(inner) if is_block(item) => {
                out.push('\n');
                yaml_seq(out, inner, indent + 2);
            }
            _ => {
                out.push(' ');
                out.push_str(&inline(item));
                out.push('\n');
            }
        }
    }
}

/// A mapping key: plain when it cannot be read as anything but that
/// string, else quoted.
fn key(k: &str) -> String {
    let plain = k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        // YAML 1.1 reads these as booleans or null.
        && !matches!(
            k.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain { k.to_string() } else { quote(k) }
}

/// A double-quoted YAML string, in pure ASCII: JSON's escapes, and `\u` or
/// `\U` for everything else that is not printable ASCII. Kubernetes' YAML
/// 1.1 parser would read a raw U+0085, U+2028 or U+2029 as a line break,
/// and fold it into a space.
fn quote(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// `node` as compact JSON, its mappings in their order.
pub fn json(node: &Node) -> String {
    match node {
        Node::Str(v) => serde_json::Value::from(v.as_str()).to_string(),
        Node::Int(i) => i.to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Seq(items) => {
            let items: Vec<String> = items.iter().map(json).collect();
            format!("[{}]", items.join(","))
        }
        Node::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), json(v)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

/// `t` as one POSIX shell word, on one line: bare when it is safe,
/// single-quoted, or `$'...'` with escapes when it holds a control
/// character (which would end the comment line).
fn shell_quote(t: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !t.is_empty() && t.chars().all(safe) {
        return t.to_string();
    }
    if !t.chars().any(char::is_control) {
        return format!("'{}'", t.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in t.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr::{LoadableYamlNode, ScalarOwned, YamlOwned};

    fn parse(text: &str) -> Vec<YamlOwned> {
        YamlOwned::load_from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    /// The parsed value of a string written by [`yaml_document`].
    fn round_trip(v: &str) -> String {
        let mut out = String::new();
        yaml_document(&mut out, &map(vec![("k", s(v))]));
        let docs = parse(&out);
        match &docs[0] {
            YamlOwned::Mapping(m) => match m.values().next() {
                Some(YamlOwned::Value(ScalarOwned::String(got))) => got.clone(),
                other => panic!("{other:?} in {out}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn strings_come_back_as_written() {
        for v in [
            "",
            "plain",
            "true",
            "0",
            "1e3",
            "null",
            "- dash",
            "# hash",
            "quote \" and backslash \\",
            "line\nbreak\r\n\ttab",
            "arrow → and NEL \u{85} and LS \u{2028}",
            "emoji 😀 and nul \u{0}",
            "$(HOME) $$ %",
        ] {
            assert_eq!(round_trip(v), v);
        }
        assert!(quote("→ 😀").is_ascii());
        assert_eq!(quote("→ 😀"), "\"\\u2192 \\U0001F600\"");
    }

    #[test]
    fn nested_collections_keep_their_order_and_shape() {
        let doc = map(vec![
            ("zeta", Node::Int(1)),
            ("alpha", Node::Bool(false)),
            (
                "list",
                Node::Seq(vec![
                    map(vec![("b", s("x")), ("a", Node::Seq(vec![Node::Int(2)]))]),
                    s("y"),
                    Node::Seq(vec![s("inner")]),
                    Node::Map(Vec::new()),
                ]),
            ),
            ("empty", Node::Seq(Vec::new())),
            ("0-odd.key", s("v")),
            ("yes", s("v")),
        ]);
        let mut out = String::new();
        yaml_document(&mut out, &doc);
        assert_eq!(
            out,
            "zeta: 1\nalpha: false\nlist:\n- b: \"x\"\n  a:\n  - 2\n- \"y\"\n-\n  - \"inner\"\n\
             - {}\nempty: []\n\"0-odd.key\": \"v\"\n\"yes\": \"v\"\n"
        );
        let parsed = &parse(&out)[0];
        let keys: Vec<String> = match parsed {
            YamlOwned::Mapping(m) => m
                .keys()
                .map(|k| k.as_str().unwrap_or_default().to_string())
                .collect(),
            _ => panic!(),
        };
        assert_eq!(keys, ["zeta", "alpha", "list", "empty", "0-odd.key", "yes"]);
        assert_eq!(
            json(&doc),
            r#"{"zeta":1,"alpha":false,"list":[{"b":"x","a":[2]},"y",["inner"],{}],"empty":[],"0-odd.key":"v","yes":"v"}"#
        );
    }

    #[test]
    fn default_names_are_dns_labels_with_room_for_the_pod_suffix() {
        assert_eq!(default_name("default", "sweep"), "repairsim-default-sweep");
        assert_eq!(
            default_name("Zonal outage: serial_2", "compare"),
            "repairsim-zonal-outage-serial-2-compare"
        );
        assert_eq!(default_name("--", "report"), "repairsim-report");
        assert_eq!(default_name("été", "sweep"), "repairsim-t-sweep");
        let long = default_name(&"a-".repeat(100), "compare");
        assert!(long.len() <= MAX_NAME && is_dns_label(&long), "{long}");
        for verb in ["sweep", "compare", "report"] {
            let n = default_name(&"x".repeat(100), verb);
            assert_eq!(n.len(), MAX_NAME, "{n}");
            assert!(is_dns_label(&n));
        }
    }

    #[test]
    fn quantities() {
        for (v, milli) in [("1", true), ("500m", true), ("0.5", true), ("1Gi", false)] {
            assert!(quantity("--x", v, milli).is_ok(), "{v}");
        }
        for (v, milli) in [
            ("", false),
            ("0", true),
            ("0Gi", false),
            ("512m", false),
            ("1GB", false),
            ("-1Gi", false),
            (".5", true),
            ("1.2.3", true),
            ("Gi", false),
        ] {
            assert!(quantity("--x", v, milli).is_err(), "{v}");
        }
    }

    #[test]
    fn shell_words() {
        assert_eq!(
            shell_quote("policy.repair_delay=1m,2m"),
            "policy.repair_delay=1m,2m"
        );
        assert_eq!(shell_quote("pools[0].count=5"), "'pools[0].count=5'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("a\nb"), "$'a\\nb'");
        assert_eq!(shell_quote(""), "''");
    }
}
