//! Names the commit in `repairsim --version` (and whether the tree had
//! uncommitted changes). Outputs never carry it: they name the package
//! version only, so they stay byte-identical across commits. Shard files
//! do, because `merge` must fold them with the build that wrote them.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let o = Command::new("git").args(args).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

fn main() {
    let pkg = env!("CARGO_PKG_VERSION");
    // A build without .git (the container image) can name its commit in
    // REPAIRSIM_COMMIT; a checkout asks git.
    let given = std::env::var("REPAIRSIM_COMMIT")
        .ok()
        .map(|c| c.trim().chars().take(12).collect::<String>())
        .filter(|c| !c.is_empty());
    let (commit, dirty) = match given {
        Some(c) => (Some(c), Some(false)),
        None => (
            git(&["rev-parse", "--short=12", "HEAD"]),
            git(&["status", "--porcelain", "--untracked-files=no"]).map(|s| !s.is_empty()),
        ),
    };
    let version = match (commit, dirty) {
        (Some(c), Some(true)) => format!("{pkg} (commit {c}, with uncommitted changes)"),
        (Some(c), _) => format!("{pkg} (commit {c})"),
        _ => format!("{pkg} (commit unknown: not built from a git checkout)"),
    };
    println!("cargo:rustc-env=REPAIRSIM_VERSION={version}");
    println!("cargo:rerun-if-env-changed=REPAIRSIM_COMMIT");
    for path in [
        ".git/HEAD",
        ".git/index",
        ".git/refs",
        "src",
        "Cargo.toml",
        "build.rs",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
}
