//! `repairsim k8s-job`: the manifest parses as YAML, every object holds
//! to the Kubernetes schema vendored from the official client
//! (tests/data/k8s-schema.json, regenerated and diffed by .ci/k8s-job),
//! the Job runs the command as shards, and bad arguments are exit 2.

use crate::common::{repairsim, repo, scratch, stderr};
use saphyr::{LoadableYamlNode, YamlOwned};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// The reduced schema: models by name, each with its fields' JSON names
/// and types and its required fields.
struct Schema(Value);

impl Schema {
    fn load() -> Schema {
        let text = std::fs::read_to_string(repo().join("tests/data/k8s-schema.json")).unwrap();
        Schema(serde_json::from_str(&text).unwrap())
    }

    /// The model of an object, by its apiVersion and kind.
    fn root(&self, doc: &YamlOwned) -> &str {
        let api = str_at(doc, &["apiVersion"]);
        let kind = str_at(doc, &["kind"]);
        self.0["roots"][format!("{api} {kind}")]
            .as_str()
            .unwrap_or_else(|| panic!("no model for apiVersion {api} kind {kind}"))
    }

    /// Every way `v` departs from type `ty`: an unknown field, a wrong
    /// type, a missing required field.
    fn check(&self, v: &YamlOwned, ty: &str, path: &str, errors: &mut Vec<String>) {
        let mut wrong = |what: &str| errors.push(format!("{path}: expected {what}, found {v:?}"));
        match ty {
            "object" => {}
            "str" | "datetime" | "date" | "bytes" => {
                if v.as_str().is_none() {
                    wrong("a string");
                }
            }
            "int" => {
                if v.as_integer().is_none() {
                    wrong("an integer");
                }
            }
            "float" => {
                if v.as_integer().is_none() && v.as_floating_point().is_none() {
                    wrong("a number");
                }
            }
            "bool" => {
                if v.as_bool().is_none() {
                    wrong("a boolean");
                }
            }
            _ if ty.starts_with("List[") && ty.ends_with(']') => {
                let inner = &ty[5..ty.len() - 1];
                match v.as_vec() {
                    Some(items) => {
                        for (i, item) in items.iter().enumerate() {
                            self.check(item, inner, &format!("{path}[{i}]"), errors);
                        }
                    }
                    None => wrong("a sequence"),
                }
            }
            _ if ty.starts_with("Dict[str, ") && ty.ends_with(']') => {
                let inner = &ty[10..ty.len() - 1];
                match v.as_mapping() {
                    Some(m) => {
                        for (k, item) in m {
                            match k.as_str() {
                                Some(k) => self.check(item, inner, &format!("{path}.{k}"), errors),
                                None => errors.push(format!("{path}: a key {k:?} is not a string")),
                            }
                        }
                    }
                    None => wrong("a mapping"),
                }
            }
            model => {
                let schema = &self.0["models"][model];
                assert!(schema.is_object(), "{path}: the schema has no type {model}");
                let Some(m) = v.as_mapping() else {
                    return wrong(&format!("a {model} mapping"));
                };
                for (k, item) in m {
                    let Some(k) = k.as_str() else {
                        errors.push(format!("{path}: a key {k:?} is not a string"));
                        continue;
                    };
                    match schema["fields"][k].as_str() {
                        Some(t) => self.check(item, t, &format!("{path}.{k}"), errors),
                        None => errors.push(format!("{path}: unknown field {k} of {model}")),
                    }
                }
                for r in schema["required"].as_array().unwrap() {
                    let r = r.as_str().unwrap();
                    if v.as_mapping_get(r).is_none() {
                        errors.push(format!("{path}: missing required field {r} of {model}"));
                    }
                }
            }
        }
    }

    /// Panics with every departure of `doc` from its kind's model.
    fn validate(&self, doc: &YamlOwned) {
        let errors = self.errors(doc);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }

    fn errors(&self, doc: &YamlOwned) -> Vec<String> {
        let mut errors = Vec::new();
        let root = self.root(doc);
        self.check(doc, root, root, &mut errors);
        errors
    }
}

fn at<'y>(v: &'y YamlOwned, path: &[&str]) -> &'y YamlOwned {
    path.iter().fold(v, |v, k| {
        v.as_mapping_get(k)
            .unwrap_or_else(|| panic!("no {k} in {path:?}"))
    })
}

fn str_at<'y>(v: &'y YamlOwned, path: &[&str]) -> &'y str {
    at(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

fn int_at(v: &YamlOwned, path: &[&str]) -> i64 {
    at(v, path)
        .as_integer()
        .unwrap_or_else(|| panic!("{path:?} is not an integer"))
}

fn strings(v: &YamlOwned) -> Vec<String> {
    v.as_vec()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The output of a successful `repairsim k8s-job ARGS` run in `dir`.
struct Manifest {
    comments: Vec<String>,
    docs: Vec<YamlOwned>,
}

impl Manifest {
    fn doc(&self, kind: &str) -> &YamlOwned {
        self.docs
            .iter()
            .find(|d| str_at(d, &["kind"]) == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    fn kinds(&self) -> Vec<&str> {
        self.docs.iter().map(|d| str_at(d, &["kind"])).collect()
    }

    fn container(&self) -> &YamlOwned {
        let job = self.doc("Job");
        &at(job, &["spec", "template", "spec", "containers"])
            .as_vec()
            .unwrap()[0]
    }

    /// The commented command line that starts with `prefix`, after the
    /// namespace flag if any.
    fn command(&self, prefix: &str) -> &str {
        self.comments
            .iter()
            .filter_map(|l| l.strip_prefix("#   "))
            .find(|l| l.starts_with(prefix) || l.replacen(" -n sims", "", 1).starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{}", self.comments.join("\n")))
    }

    /// The collect pod of `kubectl run --overrides='...'`.
    fn collect_pod(&self) -> YamlOwned {
        let run = self.command("kubectl run ");
        let json = run
            .split_once("--overrides='")
            .and_then(|(_, j)| j.strip_suffix('\''))
            .unwrap_or_else(|| panic!("no --overrides='...' in {run}"));
        YamlOwned::load_from_str(json).unwrap().remove(0)
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repairsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

/// Runs `k8s-job ARGS` in `dir`, checks it succeeded, splits the comment
/// block from the documents and validates every object against the schema.
fn manifest_in(dir: &Path, args: &[&str]) -> Manifest {
    let o = run_in(dir, &[&["k8s-job"], args].concat());
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let (head, body) = text
        .split_once("\n---\n")
        .expect("documents after the comments");
    let comments: Vec<String> = head.lines().map(str::to_string).collect();
    assert!(
        comments.iter().all(|l| l.starts_with('#')),
        "only comments before the first document:\n{head}"
    );
    let docs = YamlOwned::load_from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(docs.len(), body.matches("\n---\n").count() + 1, "{text}");
    let schema = Schema::load();
    for d in &docs {
        schema.validate(d);
    }
    let m = Manifest { comments, docs };
    schema.validate(&m.collect_pod());
    m
}

fn manifest(args: &[&str]) -> Manifest {
    manifest_in(&repo(), args)
}

/// The ConfigMap's files, by mount path, as the pod sees them: every
/// mount of the inputs volume names a key of the ConfigMap.
fn mounted_files(m: &Manifest) -> Vec<(String, String)> {
    let data = at(m.doc("ConfigMap"), &["data"]).as_mapping().unwrap();
    let volumes = at(m.doc("Job"), &["spec", "template", "spec", "volumes"]);
    let inputs = volumes
        .as_vec()
        .unwrap()
        .iter()
        .find(|v| str_at(v, &["name"]) == "inputs")
        .expect("an inputs volume");
    assert_eq!(
        str_at(inputs, &["configMap", "name"]),
        str_at(m.doc("ConfigMap"), &["metadata", "name"])
    );
    at(m.container(), &["volumeMounts"])
        .as_vec()
        .unwrap()
        .iter()
        .filter(|v| str_at(v, &["name"]) == "inputs")
        .map(|v| {
            assert_eq!(at(v, &["readOnly"]).as_bool(), Some(true));
            let key = str_at(v, &["subPath"]);
            let text = data
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .and_then(|(_, t)| t.as_str())
                .unwrap_or_else(|| panic!("subPath {key} is not a key of the ConfigMap"));
            (str_at(v, &["mountPath"]).to_string(), text.to_string())
        })
        .collect()
}

fn file(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

const SHARD_ARGS: [&str; 5] = ["--shard", "auto", "--out", "/results", "--quiet"];

#[test]
fn a_sweep_with_a_grid_becomes_an_indexed_job_of_shards() {
    let args = [
        "--completions",
        "4",
        "--parallelism",
        "2",
        "--",
        "sweep",
        "scenarios/default.toml",
        "--grid",
        "policy.repair_delay=1m,2m",
        "-n",
        "20",
    ];
    let m = manifest(&args);
    assert_eq!(m.kinds(), ["ConfigMap", "PersistentVolumeClaim", "Job"]);
    let job = m.doc("Job");
    assert_eq!(
        str_at(job, &["metadata", "name"]),
        "repairsim-default-sweep"
    );
    assert_eq!(str_at(job, &["spec", "completionMode"]), "Indexed");
    assert_eq!(int_at(job, &["spec", "completions"]), 4);
    assert_eq!(int_at(job, &["spec", "parallelism"]), 2);
    assert_eq!(int_at(job, &["spec", "backoffLimitPerIndex"]), 2);
    assert_eq!(int_at(job, &["spec", "maxFailedIndexes"]), 0);
    let pod = at(job, &["spec", "template", "spec"]);
    assert_eq!(str_at(pod, &["restartPolicy"]), "Never");
    assert_eq!(int_at(pod, &["securityContext", "runAsUser"]), 10001);
    assert_eq!(
        at(pod, &["securityContext", "runAsNonRoot"]).as_bool(),
        Some(true)
    );
    let c = m.container();
    assert_eq!(str_at(c, &["name"]), "repairsim");
    assert_eq!(
        str_at(c, &["image"]),
        format!("repairsim:{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(str_at(c, &["workingDir"]), "/work");
    assert!(
        c.as_mapping_get("command").is_none(),
        "the image's entry point runs"
    );
    let want: Vec<&str> = args[5..].iter().chain(&SHARD_ARGS).copied().collect();
    assert_eq!(strings(at(c, &["args"])), want);
    let env = at(c, &["env"]).as_vec().unwrap();
    assert_eq!(env.len(), 1);
    assert_eq!(str_at(&env[0], &["name"]), "JOB_COMPLETIONS");
    assert_eq!(str_at(&env[0], &["value"]), "4");
    assert_eq!(str_at(c, &["resources", "requests", "cpu"]), "1");
    assert_eq!(str_at(c, &["resources", "requests", "memory"]), "512Mi");
    // The inputs, byte for byte, at the same relative path under /work.
    assert_eq!(
        mounted_files(&m),
        [(
            "/work/scenarios/default.toml".to_string(),
            file("scenarios/default.toml")
        )]
    );
    // The results claim, created here and mounted at /results.
    let pvc = m.doc("PersistentVolumeClaim");
    assert_eq!(
        str_at(pvc, &["metadata", "name"]),
        "repairsim-default-sweep-results"
    );
    assert_eq!(
        strings(at(pvc, &["spec", "accessModes"])),
        ["ReadWriteMany"]
    );
    assert_eq!(str_at(pvc, &["spec", "storageClassName"]), "azurefile-csi");
    assert_eq!(
        str_at(pvc, &["spec", "resources", "requests", "storage"]),
        "1Gi"
    );
    let results = &at(c, &["volumeMounts"]).as_vec().unwrap()[0];
    assert_eq!(str_at(results, &["mountPath"]), "/results");
    assert!(results.as_mapping_get("subPath").is_none());
    // The commands around it.
    for cmd in [
        "kubectl apply --server-side -f job.yaml",
        "kubectl wait --for=condition=complete job/repairsim-default-sweep --timeout=",
        "kubectl run repairsim-default-sweep-collect --image=repairsim:",
        "kubectl cp repairsim-default-sweep-collect:/results out/repairsim-default-sweep-shards",
        "repairsim merge out/repairsim-default-sweep-shards --out out/repairsim-default-sweep",
        "kubectl delete pod/repairsim-default-sweep-collect job/repairsim-default-sweep \
         configmap/repairsim-default-sweep-inputs pvc/repairsim-default-sweep-results",
    ] {
        m.command(cmd);
    }
    let collect = m.collect_pod();
    let mount = &at(&collect, &["spec", "containers"]).as_vec().unwrap()[0];
    let mount = &at(mount, &["volumeMounts"]).as_vec().unwrap()[0];
    assert_eq!(at(mount, &["readOnly"]).as_bool(), Some(true));
    // The same arguments, the same bytes.
    let again = run_in(&repo(), &[&["k8s-job"], &args[..]].concat());
    let first = run_in(&repo(), &[&["k8s-job"], &args[..]].concat());
    assert_eq!(again.stdout, first.stdout);
}

#[test]
fn a_compare_carries_its_policy_files_to_the_pods() {
    let args = [
        "--completions",
        "3",
        "--parallelism",
        "3",
        "--namespace",
        "sims",
        "--claim",
        "shared-results",
        "--name",
        "providers",
        "--backoff-limit-per-index",
        "0",
        "--image",
        "example.azurecr.io/repairsim:0.1.0",
        "--",
        "--policy-file",
        "tests/repairsim/policy_files/eksctl-44-node-repair.yaml#gpu-repair-ng",
        "compare",
        "./scenarios/quickstart.toml",
        "--baseline",
        "policy=tests/repairsim/policy_files/eksctl-44-node-repair.yaml#basic-repair-ng",
        "--candidate",
        "policy=tests/repairsim/policy_files/nhc-sample.yaml,name=nhc",
        "--candidate",
        "set=policy.repair_delay=2m,name=$(HOME) costs $$",
        "-q",
    ];
    let m = manifest(&args);
    // An existing claim: no PersistentVolumeClaim of its own.
    assert_eq!(m.kinds(), ["ConfigMap", "Job"]);
    for d in &m.docs {
        assert_eq!(str_at(d, &["metadata", "namespace"]), "sims");
    }
    let job = m.doc("Job");
    assert_eq!(str_at(job, &["metadata", "name"]), "providers");
    assert_eq!(int_at(job, &["spec", "backoffLimitPerIndex"]), 0);
    let c = m.container();
    assert_eq!(str_at(c, &["image"]), "example.azurecr.io/repairsim:0.1.0");
    // As given but its -q, and with every `$` doubled, which Kubernetes
    // turns back into one.
    let mut want: Vec<String> = args[15..args.len() - 1]
        .iter()
        .map(|a| a.replace('$', "$$"))
        .collect();
    want.extend(SHARD_ARGS.map(String::from));
    assert_eq!(strings(at(c, &["args"])), want);
    assert!(want.contains(&"set=policy.repair_delay=2m,name=$$(HOME) costs $$$$".to_string()));
    // Each file once (the eksctl file is named twice), at the path the
    // command names it by.
    assert_eq!(
        mounted_files(&m),
        [
            (
                "/work/scenarios/quickstart.toml".to_string(),
                file("scenarios/quickstart.toml")
            ),
            (
                "/work/tests/repairsim/policy_files/eksctl-44-node-repair.yaml".to_string(),
                file("tests/repairsim/policy_files/eksctl-44-node-repair.yaml")
            ),
            (
                "/work/tests/repairsim/policy_files/nhc-sample.yaml".to_string(),
                file("tests/repairsim/policy_files/nhc-sample.yaml")
            ),
        ]
    );
    // The Job writes into directory NAME of the shared claim.
    let results = &at(c, &["volumeMounts"]).as_vec().unwrap()[0];
    assert_eq!(str_at(results, &["subPath"]), "providers");
    let volume = &at(job, &["spec", "template", "spec", "volumes"])
        .as_vec()
        .unwrap()[0];
    assert_eq!(
        str_at(volume, &["persistentVolumeClaim", "claimName"]),
        "shared-results"
    );
    m.command("kubectl -n sims apply --server-side -f job.yaml");
    m.command(
        "kubectl -n sims delete pod/providers-collect job/providers configmap/providers-inputs",
    );
    assert!(
        !m.comments.iter().any(|l| l.contains("pvc/")),
        "the claim is not k8s-job's to delete"
    );
    let collect = m.collect_pod();
    assert_eq!(str_at(&collect, &["metadata", "namespace"]), "sims");
    let mount = &at(&collect, &["spec", "containers"]).as_vec().unwrap()[0];
    let mount = &at(mount, &["volumeMounts"]).as_vec().unwrap()[0];
    assert_eq!(str_at(mount, &["subPath"]), "providers");
}

#[test]
fn a_report_of_the_embedded_scenario_needs_no_configmap() {
    let m = manifest(&[
        "--completions",
        "2",
        "--parallelism",
        "1",
        "--storage-class",
        "nfs-rwx",
        "--storage",
        "5Gi",
        "--cpu",
        "500m",
        "--memory",
        "1Gi",
        "--",
        "report",
        "-n",
        "8",
    ]);
    assert_eq!(m.kinds(), ["PersistentVolumeClaim", "Job"]);
    let job = m.doc("Job");
    assert_eq!(
        str_at(job, &["metadata", "name"]),
        "repairsim-default-report"
    );
    let c = m.container();
    let want: Vec<&str> = ["report", "-n", "8"]
        .iter()
        .chain(&SHARD_ARGS)
        .copied()
        .collect();
    assert_eq!(strings(at(c, &["args"])), want);
    assert_eq!(str_at(c, &["resources", "requests", "cpu"]), "500m");
    assert_eq!(str_at(c, &["resources", "requests", "memory"]), "1Gi");
    let volumes = at(job, &["spec", "template", "spec", "volumes"]);
    assert_eq!(volumes.as_vec().unwrap().len(), 1, "only the results");
    assert_eq!(at(c, &["volumeMounts"]).as_vec().unwrap().len(), 1);
    let pvc = m.doc("PersistentVolumeClaim");
    assert_eq!(str_at(pvc, &["spec", "storageClassName"]), "nfs-rwx");
    assert_eq!(
        str_at(pvc, &["spec", "resources", "requests", "storage"]),
        "5Gi"
    );
    assert!(!m.comments.iter().any(|l| l.contains("configmap/")));
}

/// Inputs in a directory of their own, named as `./sub/...`: mounted at
/// the same relative path, without the `./`.
#[test]
fn inputs_keep_their_relative_paths() {
    let s = scratch("k8s-job-paths");
    std::fs::create_dir_all(s.join("in/policies")).unwrap();
    let scenario =
        file("scenarios/example-1-reboot.toml").replace("example-1-reboot", "Zonal_Outage.2026");
    std::fs::write(s.join("in/My Scenario.toml"), &scenario).unwrap();
    let policy = "preset = \"aks-2023-09\"\nrepair_delay = \"2m\" # ×2 → faster\n";
    std::fs::write(s.join("in/policies/p.toml"), policy).unwrap();
    let m = manifest_in(
        &s,
        &[
            "--completions",
            "1",
            "--parallelism",
            "1",
            "--",
            "sweep",
            "./in/My Scenario.toml",
            "--policy-file",
            "in//policies/p.toml",
        ],
    );
    assert_eq!(
        mounted_files(&m),
        [
            ("/work/in/My Scenario.toml".to_string(), scenario.clone()),
            ("/work/in/policies/p.toml".to_string(), policy.to_string()),
        ]
    );
    // The scenario's name, made a DNS label.
    assert_eq!(
        str_at(m.doc("Job"), &["metadata", "name"]),
        "repairsim-zonal-outage-2026-sweep"
    );
    // The comment block quotes the argument with a space for the shell.
    assert!(
        m.comments.iter().any(|l| l
            == "#   repairsim sweep './in/My Scenario.toml' --policy-file in//policies/p.toml"),
        "{}",
        m.comments.join("\n")
    );
}

/// The validator is not a formality: it finds an unknown field, a wrong
/// type and a missing required field.
#[test]
fn the_schema_check_refuses_what_kubernetes_would() {
    let schema = Schema::load();
    assert!(
        schema.0["client"]
            .as_str()
            .unwrap()
            .starts_with("kubernetes "),
        "the schema names the client it came from"
    );
    let o = repairsim(&[
        "k8s-job",
        "--completions",
        "2",
        "--parallelism",
        "2",
        "--",
        "sweep",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let job = text.rsplit("\n---\n").next().unwrap();
    let check = |edited: String, expected: &str| {
        assert_ne!(edited, job, "the edit applies");
        let doc = YamlOwned::load_from_str(&edited).unwrap().remove(0);
        let errors = schema.errors(&doc);
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected}: {errors:?}"
        );
    };
    check(
        job.replace("completionMode:", "completionsMode:"),
        "unknown field completionsMode of V1JobSpec",
    );
    check(
        job.replace("parallelism: 2", "parallelism: \"2\""),
        "V1Job.spec.parallelism: expected an integer",
    );
    check(
        job.replace("restartPolicy: \"Never\"", "restartPolicy: [Never]"),
        "restartPolicy: expected a string",
    );
    check(
        job.replace("- name: \"repairsim\"", "- nam: \"repairsim\""),
        "missing required field name of V1Container",
    );
    check(
        job.replace("- \"ALL\"", "- {all: true}"),
        "capabilities.drop[0]: expected a string",
    );
    let doc = YamlOwned::load_from_str(job).unwrap().remove(0);
    assert_eq!(schema.errors(&doc), Vec::<String>::new());
}

/// Runs `k8s-job ARGS` and asserts exit 2, nothing on stdout, and stderr
/// starting with `expected`.
fn refused(args: &[&str], expected: &str) {
    let o = repairsim(&[&["k8s-job"], args].concat());
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "{args:?}");
    assert!(
        stderr(&o).starts_with(expected),
        "{args:?}:\n{}\nexpected to start with\n{expected}",
        stderr(&o)
    );
}

const NP: [&str; 4] = ["--completions", "4", "--parallelism", "2"];

fn with_np(rest: &[&str]) -> Vec<String> {
    NP.iter().chain(rest).map(|s| s.to_string()).collect()
}

fn refused_np(rest: &[&str], expected: &str) {
    let args = with_np(rest);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(&args, expected);
}

#[test]
fn paths_the_pods_cannot_see_at_the_same_place_are_refused() {
    let abs = repo().join("scenarios/default.toml");
    let abs = abs.to_str().unwrap();
    refused_np(
        &["--", "sweep", abs],
        &format!(
            "error: the scenario {abs}: an absolute path; k8s-job mounts each input at the same \
             path relative to the pod's working directory /work"
        ),
    );
    refused_np(
        &["--", "sweep", "scenarios/../scenarios/default.toml"],
        "error: the scenario scenarios/../scenarios/default.toml: a path with '..'",
    );
    refused_np(
        &["--", "compare", "--candidate", "policy=../p.toml"],
        "error: --candidate policy=../p.toml: a path with '..'",
    );
    refused_np(
        &["--", "--policy-file", "/etc/p.yaml", "report"],
        "error: --policy-file /etc/p.yaml: an absolute path",
    );
    refused_np(
        &["--", "sweep", "no/such.toml"],
        "error: the scenario no/such.toml: could not read it:",
    );
    refused_np(
        &["--", "sweep", "scenarios"],
        "error: the scenario scenarios: not a regular file",
    );
}

#[test]
fn inputs_over_a_configmap_are_refused() {
    let s = scratch("k8s-job-big");
    let line = "# a long comment line to fill the file up to more than one MiB\n";
    let big = line.repeat((1 << 20) / line.len() + 1);
    std::fs::write(s.join("big.toml"), &big).unwrap();
    let o = run_in(
        &s,
        &[
            "k8s-job",
            "--completions",
            "1",
            "--parallelism",
            "1",
            "--",
            "sweep",
            "big.toml",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.starts_with("error: the input files come to 1,048,")
            && e.contains("more than the ConfigMap that carries them to the pods holds (1 MiB, 1,048,576 bytes): big.toml (1,048,"),
        "{e}"
    );
    // Just under the limit, with its key, is fine.
    let fits = &big[..(1 << 20) - "0-big.toml".len()];
    std::fs::write(s.join("big.toml"), fits).unwrap();
    let o = run_in(
        &s,
        &[
            "k8s-job",
            "--completions",
            "1",
            "--parallelism",
            "1",
            "--",
            "sweep",
            "big.toml",
        ],
    );
    // The scenario is only comments, so the loader refuses it: after the
    // size check let it through.
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !stderr(&o).contains("ConfigMap") && stderr(&o).contains("big.toml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn flags_k8s_job_sets_or_cannot_shard_are_refused() {
    refused_np(
        &["--", "sweep", "--out", "out/x"],
        "error: --out out/x: k8s-job sets --out /results (the results claim) itself",
    );
    refused_np(
        &["--", "sweep", "--shard", "2"],
        "error: --shard: k8s-job sets --shard auto itself",
    );
    refused_np(
        &[
            "--",
            "compare",
            "--candidate",
            "preset=gke",
            "--shard-count=3",
        ],
        "error: --shard-count=3: k8s-job sets --shard auto itself",
    );
    refused_np(
        &["--", "run", "scenarios/default.toml"],
        "error: k8s-job runs sweep, compare or report, the commands that can be split into \
         shards; not run",
    );
    refused_np(
        &["--", "check", "scenarios/"],
        "error: k8s-job runs sweep, compare or report",
    );
    refused_np(
        &["--", "sweep", "--bogus"],
        "error: the command after --: unexpected argument '--bogus' found",
    );
    refused_np(
        &["--", "compare"],
        "error: the command after --: the following required arguments were not provided",
    );
    refused_np(
        &["--", "sweep", "-qn5"],
        "error: -q among other short flags",
    );
    refused_np(&[], "error: k8s-job: no command to run; give it after --");
    refused(
        &[
            "--set",
            "seed=3",
            "--completions",
            "2",
            "--parallelism",
            "2",
            "--",
            "sweep",
        ],
        "error: k8s-job: --set, --policy-file, --max-work and --max-memory belong to the \
         command the Job runs; put them after --",
    );
}

#[test]
fn counts_out_of_range_are_refused() {
    refused(
        &["--completions", "4", "--parallelism", "5", "--", "sweep"],
        "error: --parallelism 5: more than --completions 4; each index is one shard, so at \
         most 4 pods can run at once",
    );
    refused(
        &["--completions", "0", "--parallelism", "1", "--", "sweep"],
        "error: invalid value '0' for '--completions <N>': 0 is not in 1..=100000",
    );
    refused(
        &[
            "--completions",
            "100001",
            "--parallelism",
            "1",
            "--",
            "sweep",
        ],
        "error: invalid value '100001' for '--completions <N>'",
    );
    refused(
        &["--completions", "2", "--parallelism", "0", "--", "sweep"],
        "error: invalid value '0' for '--parallelism <P>': 0 is not in 1..=100000",
    );
    refused(
        &["--completions", "-2", "--parallelism", "1", "--", "sweep"],
        "error: invalid value '-2' for '--completions <N>'",
    );
    refused_np(
        &["--backoff-limit-per-index", "-1", "--", "sweep"],
        "error: invalid value '-1' for '--backoff-limit-per-index <B>': -1 is not in 0..=1000",
    );
    refused(
        &["--parallelism", "1", "--", "sweep"],
        "error: the following required arguments",
    );
}

#[test]
fn names_and_quantities_kubernetes_would_refuse_are_refused() {
    refused_np(
        &["--name", "Repair_Sim", "--", "sweep"],
        "error: --name Repair_Sim: not a Job name k8s-job can use; give 1 to 52 lowercase",
    );
    let long = "a".repeat(53);
    refused_np(
        &["--name", &long, "--", "sweep"],
        &format!("error: --name {long}:"),
    );
    refused_np(
        &["--namespace", "Sims", "--", "sweep"],
        "error: --namespace Sims: not a namespace name",
    );
    refused_np(
        &["--claim", "Results", "--", "sweep"],
        "error: --claim Results: not a Kubernetes object name",
    );
    refused_np(
        &["--memory", "512m", "--", "sweep"],
        "error: --memory 512m: not a positive Kubernetes quantity",
    );
    refused_np(
        &["--storage", "1GB", "--", "sweep"],
        "error: --storage 1GB: not a positive Kubernetes quantity",
    );
    refused_np(
        &["--cpu", "0", "--", "sweep"],
        "error: --cpu 0: not a positive",
    );
    refused_np(
        &["--image", "my image", "--", "sweep"],
        "error: --image \"my image\": not an image reference",
    );
    refused_np(
        &["--claim", "x", "--storage-class", "y", "--", "sweep"],
        "error: the argument '--claim <EXISTING_PVC>' cannot be used with '--storage-class <CLASS>'",
    );
}

/// The Job's pods emulated here: each runs the container's arguments and
/// environment in a working directory that holds only the ConfigMap's
/// files at their mount paths, with `/results` a shared directory; the
/// shards merge, from the repository, into the single-machine outputs.
#[test]
fn the_jobs_pods_emulated_here_merge_like_one_machine() {
    let command = [
        "sweep",
        "scenarios/default.toml",
        "--grid",
        "policy.repair_delay=1m,2m",
        "-n",
        "7",
    ];
    let m = manifest(
        &[
            &["--completions", "3", "--parallelism", "3", "--"],
            &command[..],
        ]
        .concat(),
    );
    let s = scratch("k8s-pods");
    let work = s.join("work");
    for (path, text) in mounted_files(&m) {
        let local = work.join(path.strip_prefix("/work/").expect("under /work"));
        std::fs::create_dir_all(local.parent().unwrap()).unwrap();
        std::fs::write(local, text).unwrap();
    }
    let c = m.container();
    let results = s.path("results");
    let args: Vec<String> = strings(at(c, &["args"]))
        .into_iter()
        .map(|a| {
            if a == "/results" {
                results.clone()
            } else {
                a.replace("$$", "$")
            }
        })
        .collect();
    let env = at(c, &["env"]).as_vec().unwrap();
    let completions = str_at(&env[0], &["value"]).to_string();
    let n = int_at(m.doc("Job"), &["spec", "completions"]);
    for k in 0..n {
        let o = Command::new(env!("CARGO_BIN_EXE_repairsim"))
            .args(&args)
            .env(str_at(&env[0], &["name"]), &completions)
            .env("JOB_COMPLETION_INDEX", k.to_string())
            .current_dir(&work)
            .output()
            .unwrap();
        assert!(o.status.success(), "pod {k}: {}", stderr(&o));
    }
    let merged = s.path("merged");
    let o = repairsim(&["merge", &results, "--out", &merged, "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let single = s.path("single");
    let o = repairsim(&[&command[..], &["--out", &single, "-q"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let listing = |d: &str| crate::common::files(Path::new(d));
    assert!(listing(&single) == listing(&merged));
}
