//! Outputs written atomically into a directory that one run owns.
//!
//! A command stages every file in a sibling of its output directory,
//! `<parent>/.<name>.repairsim-tmp-<pid>`, and [`Staging::commit`] swaps
//! the finished directory in whole: the previous run's directory is renamed
//! aside and removed, so no file of an earlier run stays beside the new
//! ones (`timeline.svg` after a `--no-charts` run, say). A [`MARKER`] file
//! in the output directory lists what the run wrote. It marks the directory
//! as one repairsim may replace: a directory holding anything else is
//! refused before any work is done, so a user's files are never removed.
//!
//! One writer per output directory: an advisory lock on
//! `<parent>/.<name>.repairsim-lock`, held from [`Staging::new`] until the
//! staging is committed or dropped; a second writer fails at once.
//!
//! What a failure leaves:
//! - an error, or a panic: nothing (the staging directory goes on drop);
//! - SIGINT or SIGTERM: nothing ([`abandon_all`], called by the CLI's
//!   signal handler, removes every live staging directory and lock);
//! - a kill or an abort: the sibling staging directory, never a file in the
//!   output directory. The next `Staging` for that directory removes the
//!   siblings of processes that are gone, and puts back a previous run left
//!   aside if the process died between the two renames of a commit.
//!
//! Golden files are the exception: `check --bless` writes some files of a
//! directory it shares with others, so [`Staging::merge`] renames each file
//! in and leaves the rest alone.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The file in an output directory that lists the run's files, and marks
/// the directory as one repairsim replaces whole.
pub const MARKER: &str = ".repairsim";

/// The marker's first line; the files follow, one per line.
const MARKER_HEAD: &str =
    "# repairsim outputs: the next run into this directory replaces it whole.";

/// Staging directories and locks of this process that a signal must remove.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every staging directory and lock file this process holds, and
/// keeps any commit from starting: for a signal handler that exits next.
/// A commit under way finishes first.
pub fn abandon_all() {
    let guard = live();
    remove_all(&guard);
    // Held until the process exits: no staging is committed after this.
    std::mem::forget(guard);
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        if p.is_dir() {
            let _ = fs::remove_dir_all(p);
        } else {
            let _ = fs::remove_file(p);
        }
    }
}

/// How [`Staging::commit`] puts the files in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// The staging directory replaces the output directory whole.
    Replace,
    /// Each file is renamed into a directory that keeps its other files.
    Merge,
}

/// Outputs being written. Dropped without a commit (an error, a panic), it
/// removes the staging directory and the output directory is as it was.
///
/// A file may be streamed ([`Staging::create`]), so a long run's rows need
/// not be held in memory.
#[derive(Debug)]
pub struct Staging {
    /// The output directory as the user named it (for the returned paths).
    out_dir: PathBuf,
    /// The same, absolute, its symbolic links resolved.
    target: PathBuf,
    dir: PathBuf,
    mode: Mode,
    names: Vec<String>,
    committed: bool,
    lock: Option<OutLock>,
}

impl Staging {
    /// Stages a run's outputs for `out_dir`, which the commit replaces
    /// whole. Fails with [`io::ErrorKind::DirectoryNotEmpty`] when
    /// `out_dir` holds files repairsim did not write, with
    /// [`io::ErrorKind::NotADirectory`] when it is a file, and with
    /// [`io::ErrorKind::ResourceBusy`] while another process writes it.
    pub fn new(out_dir: &Path) -> io::Result<Staging> {
        Staging::open(out_dir, Mode::Replace)
    }

    /// Stages files to be renamed into `dir` one by one, leaving its other
    /// files (golden files beside a scenario's others).
    pub fn merge(dir: &Path) -> io::Result<Staging> {
        Staging::open(dir, Mode::Merge)
    }

    fn open(out_dir: &Path, mode: Mode) -> io::Result<Staging> {
        refuse_file(out_dir)?;
        let target = absolute(out_dir)?;
        let (parent, name) = match (target.parent(), target.file_name()) {
            (Some(p), Some(n)) => (p.to_path_buf(), n.to_string_lossy().into_owned()),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "{} cannot be an output directory: choose a directory inside it",
                        out_dir.display()
                    ),
                ));
            }
        };
        let sibling = |what: &str| parent.join(format!(".{name}.repairsim-{what}"));
        let lock = OutLock::take(sibling("lock"), out_dir)?;
        recover_abandoned(&parent, &name, &target);
        if mode == Mode::Replace {
            refuse_foreign(out_dir, &target)?;
        }
        let dir = sibling(&format!("tmp-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        fs::create_dir(&dir)?;
        live().push(dir.clone());
        Ok(Staging {
            out_dir: out_dir.to_path_buf(),
            target,
            dir,
            mode,
            names: Vec::new(),
            committed: false,
            lock: Some(lock),
        })
    }

    /// Creates the staged file `name` for streaming; it is put in place by
    /// [`Staging::commit`].
    pub fn create(&mut self, name: &str) -> io::Result<fs::File> {
        let f = fs::File::create(self.dir.join(name))?;
        self.names.push(name.to_string());
        Ok(f)
    }

    /// [`Staging::create`] behind a 64 KiB buffer; flush it when done.
    pub fn buffered(&mut self, name: &str) -> io::Result<io::BufWriter<fs::File>> {
        Ok(io::BufWriter::with_capacity(1 << 16, self.create(name)?))
    }

    /// Stages `name` with what `write` writes through [`Staging::buffered`].
    pub fn stream(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut w = self.buffered(name)?;
        write(&mut w)?;
        w.into_inner().map_err(io::IntoInnerError::into_error)?;
        Ok(())
    }

    /// A scratch file's path in the staging directory: never put in place,
    /// and removed with the staging directory.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".scratch-{name}"))
    }

    /// Stages the scratch file at `path`, written and closed, as `name`.
    pub fn adopt(&mut self, path: &Path, name: &str) -> io::Result<()> {
        fs::rename(path, self.dir.join(name))?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Stages `name` with `bytes`.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        fs::write(self.dir.join(name), bytes)?;
        self.names.push(name.to_string());
        Ok(())
    }

    /// Puts the staged files in place and returns their paths in staging
    /// order (the marker not included).
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        let paths: Vec<PathBuf> = self.names.iter().map(|n| self.out_dir.join(n)).collect();
        match self.mode {
            Mode::Replace => self.swap_in()?,
            Mode::Merge => self.rename_in()?,
        }
        self.committed = true;
        Ok(paths)
    }

    /// Replaces the output directory with the staging directory.
    fn swap_in(&mut self) -> io::Result<()> {
        // Scratch files not adopted stay out of the outputs.
        for e in fs::read_dir(&self.dir)? {
            let e = e?;
            let name = e.file_name();
            if !self.names.iter().any(|n| name == n.as_str()) {
                fs::remove_file(e.path())?;
            }
        }
        let mut marker = String::from(MARKER_HEAD);
        for n in &self.names {
            marker.push('\n');
            marker.push_str(n);
        }
        marker.push('\n');
        fs::write(self.dir.join(MARKER), marker)?;
        // No signal handler removes anything while the directories move.
        let mut live = live();
        if self.target.exists() {
            let aside = self
                .dir
                .with_file_name(old_name(&self.target, std::process::id()));
            fs::rename(&self.target, &aside)?;
            if let Err(e) = fs::rename(&self.dir, &self.target) {
                let _ = fs::rename(&aside, &self.target);
                return Err(e);
            }
            let _ = fs::remove_dir_all(&aside);
        } else {
            fs::rename(&self.dir, &self.target)?;
        }
        live.retain(|p| *p != self.dir);
        Ok(())
    }

    /// Renames each staged file into the directory.
    fn rename_in(&mut self) -> io::Result<()> {
        fs::create_dir_all(&self.target)?;
        let targets: Vec<PathBuf> = self.names.iter().map(|n| self.target.join(n)).collect();
        // A rename onto a directory fails; find out before the first rename.
        if let Some(t) = targets.iter().find(|t| t.is_dir()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} is a directory; remove it or choose another output directory",
                    t.display()
                ),
            ));
        }
        let _live = live();
        for (name, target) in self.names.iter().zip(&targets) {
            fs::rename(self.dir.join(name), target)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed || self.mode == Mode::Merge {
            let _ = fs::remove_dir_all(&self.dir);
        }
        live().retain(|p| *p != self.dir);
        // The lock goes last: nobody else sees a half-removed staging.
        self.lock.take();
    }
}

/// One file written whole or not at all, without a lock: it is written
/// as a hidden sibling `.NAME.repairsim-tmp-PID` and renamed over `NAME`
/// by [`AtomicFile::commit`]. Two writers of the same bytes (a shard that
/// Kubernetes runs twice) may race: the last rename wins, and the file is
/// whole either way. Dropped without a commit, or at a signal, the
/// temporary file is removed.
#[derive(Debug)]
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// Starts `target`, creating its directory; the file to write.
    pub fn create(target: &Path) -> io::Result<(AtomicFile, fs::File)> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        refuse_file(dir)?;
        fs::create_dir_all(dir)?;
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} names no file", target.display()),
            )
        })?;
        // Unique to this writer, even among pods that are all process 1
        // of their own namespace: a second writer never truncates it.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let tmp = dir.join(format!(
            ".{}.repairsim-tmp-{}-{nanos}-{}",
            name.to_string_lossy(),
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        live().push(tmp.clone());
        Ok((
            AtomicFile {
                tmp,
                target: target.to_path_buf(),
                committed: false,
            },
            f,
        ))
    }

    /// Puts the file, written and flushed, in place.
    pub fn commit(mut self, file: fs::File) -> io::Result<()> {
        file.sync_all()?;
        drop(file);
        let mut live = live();
        fs::rename(&self.tmp, &self.target)?;
        live.retain(|p| *p != self.tmp);
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
        live().retain(|p| *p != self.tmp);
    }
}

/// Fails with [`io::ErrorKind::NotADirectory`] when `out_dir`, or the
/// nearest of its ancestors that exists, is a file.
fn refuse_file(out_dir: &Path) -> io::Result<()> {
    let Some(there) = out_dir.ancestors().find(|a| a.exists()) else {
        return Ok(());
    };
    if there.is_dir() {
        return Ok(());
    }
    let why = if there == out_dir {
        "is a file, not a directory".to_string()
    } else {
        format!("is below {}, which is a file", there.display())
    };
    Err(io::Error::new(
        io::ErrorKind::NotADirectory,
        format!(
            "the output directory {} {why}; the outputs go into a directory: give --out \
             another path, or move the file away",
            out_dir.display()
        ),
    ))
}

/// `path` absolute, with its symbolic links resolved: the existing path
/// itself, or else its parent (created) joined with its name.
fn absolute(path: &Path) -> io::Result<PathBuf> {
    if path.exists() {
        return fs::canonicalize(path);
    }
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no directory", path.display()),
        )
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)?;
    Ok(fs::canonicalize(parent)?.join(name))
}

fn old_name(target: &Path, pid: u32) -> String {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.repairsim-old-{pid}")
}

/// Fails unless `target` is absent, empty, or holds only what its marker
/// lists (and staging directories of older versions, which are removed).
fn refuse_foreign(out_dir: &Path, target: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(target) else {
        return Ok(());
    };
    let listed = fs::read_to_string(target.join(MARKER)).ok();
    let listed: Vec<&str> = listed
        .as_deref()
        .map_or(Vec::new(), |m| m.lines().skip(1).collect());
    let mut foreign = Vec::new();
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name == MARKER || listed.contains(&name.as_str()) {
            continue;
        }
        if let Some(pid) = name.strip_prefix(".repairsim-tmp-") {
            // An older version staged inside the output directory.
            if pid.parse::<u32>().is_ok_and(|p| !alive(p)) {
                let _ = fs::remove_dir_all(e.path());
                continue;
            }
        }
        foreign.push(name);
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown: Vec<&str> = foreign.iter().take(3).map(String::as_str).collect();
    let more = match foreign.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    Err(io::Error::new(
        io::ErrorKind::DirectoryNotEmpty,
        format!(
            "{} holds files repairsim did not write ({}{more}); a run replaces its \
             output directory whole, so choose a new or empty directory, or move them",
            out_dir.display(),
            shown.join(", ")
        ),
    ))
}

/// Whether process `pid` is alive: only where `/proc` tells; elsewhere
/// every process counts as alive, so nothing of another is removed.
fn alive(pid: u32) -> bool {
    pid == std::process::id()
        || !Path::new("/proc/self").exists()
        || Path::new(&format!("/proc/{pid}")).exists()
}

/// Removes the staging directories that dead processes left beside
/// `<parent>/<name>`, and puts back a previous run that a process dying
/// mid-commit left aside.
fn recover_abandoned(parent: &Path, name: &str, target: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefix = format!(".{name}.repairsim-");
    let mut found: Vec<(PathBuf, bool)> = Vec::new();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let (kind, pid) = rest.split_once('-').unwrap_or((rest, ""));
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if (kind == "tmp" || kind == "old") && !alive(pid) {
            found.push((e.path(), kind == "old"));
        }
    }
    found.sort();
    for (path, old) in found {
        if old && !target.exists() {
            let _ = fs::rename(&path, target);
        } else {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// An advisory lock on a file beside the output directory, released (and
/// the file removed) on drop, or by the system when the process dies.
#[derive(Debug)]
struct OutLock {
    path: PathBuf,
    _file: fs::File,
}

impl OutLock {
    fn take(path: PathBuf, out_dir: &Path) -> io::Result<OutLock> {
        // A holder removes the file before it unlocks: a lock taken on a
        // file no longer at `path` is retried on the new one.
        for _ in 0..16 {
            let mut file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    let holder = fs::read_to_string(&path).unwrap_or_default();
                    let holder = holder.trim();
                    let by = if holder.is_empty() {
                        String::new()
                    } else {
                        format!(" (process {holder})")
                    };
                    return Err(io::Error::new(
                        io::ErrorKind::ResourceBusy,
                        format!(
                            "another repairsim{by} is writing {}; wait for it to finish, \
                             or choose another output directory",
                            out_dir.display()
                        ),
                    ));
                }
                Err(fs::TryLockError::Error(e)) => return Err(e),
            }
            if same_file(&file, &path) {
                file.set_len(0)?;
                write!(file, "{}", std::process::id())?;
                live().push(path.clone());
                return Ok(OutLock { path, _file: file });
            }
        }
        Err(io::Error::new(
            io::ErrorKind::ResourceBusy,
            format!("could not take the lock {}", path.display()),
        ))
    }
}

impl Drop for OutLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
        live().retain(|p| *p != self.path);
    }
}

#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &fs::File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::listing;

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("repairsim-staging-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn two_writers_of_one_file_never_share_a_temporary_file() {
        let d = scratch("atomic");
        let target = d.join("shard-0-of-1.jsonl");
        let (a, mut fa) = AtomicFile::create(&target).unwrap();
        let (b, mut fb) = AtomicFile::create(&target).unwrap();
        fa.write_all(b"first half, ").unwrap();
        fb.write_all(b"the same bytes\n").unwrap();
        fa.write_all(b"then the rest\n").unwrap();
        a.commit(fa).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"first half, then the rest\n");
        b.commit(fb).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"the same bytes\n");
        // Dropped uncommitted: nothing is left but the file.
        let (_c, _) = AtomicFile::create(&target).unwrap();
        drop(_c);
        assert_eq!(listing(&d), ["shard-0-of-1.jsonl"]);
        fs::remove_dir_all(&d).unwrap();
    }

    fn run(out: &Path, files: &[&str]) -> io::Result<Vec<PathBuf>> {
        let mut st = Staging::new(out)?;
        for f in files {
            st.write(f, f.as_bytes())?;
        }
        st.commit()
    }

    #[test]
    fn a_run_replaces_the_previous_one_whole() {
        let root = scratch("replace");
        let out = root.join("out");
        let paths = run(&out, &["summary.json", "timeline.svg"]).unwrap();
        assert_eq!(paths, [out.join("summary.json"), out.join("timeline.svg")]);
        assert_eq!(listing(&out), [MARKER, "summary.json", "timeline.svg"]);
        // A run without charts: the earlier chart does not stay beside it.
        run(&out, &["summary.json"]).unwrap();
        assert_eq!(listing(&out), [MARKER, "summary.json"]);
        let marker = fs::read_to_string(out.join(MARKER)).unwrap();
        assert_eq!(marker, format!("{MARKER_HEAD}\nsummary.json\n"));
        // Nothing beside the output directory either.
        assert_eq!(listing(&root), ["out"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_directory_with_other_files_is_refused_and_left_alone() {
        let root = scratch("foreign");
        let out = root.join("mine");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("notes.txt"), "keep").unwrap();
        let err = run(&out, &["summary.json"]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::DirectoryNotEmpty);
        assert!(err.to_string().contains("(notes.txt)"), "{err}");
        assert_eq!(listing(&out), ["notes.txt"]);
        assert_eq!(listing(&root), ["mine"], "no staging or lock left");
        // A file added to a run's directory is foreign too.
        let out = root.join("run");
        run(&out, &["summary.json"]).unwrap();
        fs::write(out.join("notes.txt"), "keep").unwrap();
        assert!(run(&out, &["summary.json"]).is_err());
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "keep");
        // An empty directory is fine.
        let out = root.join("empty");
        fs::create_dir_all(&out).unwrap();
        run(&out, &["a.csv"]).unwrap();
        assert_eq!(listing(&out), [MARKER, "a.csv"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_file_is_not_an_output_directory() {
        let root = scratch("file");
        let f = root.join("out");
        fs::write(&f, "x").unwrap();
        let err = run(&f, &["a.csv"]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
        assert_eq!(fs::read_to_string(&f).unwrap(), "x");
        assert_eq!(listing(&root), ["out"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn dropped_without_commit_leaves_nothing_and_the_old_run_stays() {
        let root = scratch("dropped");
        let out = root.join("out");
        {
            let mut st = Staging::new(&out).unwrap();
            st.write("a.txt", b"a").unwrap();
            let _f = st.create("rows.csv").unwrap();
        }
        assert_eq!(listing(&root), Vec::<String>::new(), "nothing created");
        run(&out, &["a.txt"]).unwrap();
        {
            let mut st = Staging::new(&out).unwrap();
            st.write("b.txt", b"b").unwrap();
        }
        assert_eq!(listing(&out), [MARKER, "a.txt"]);
        assert_eq!(listing(&root), ["out"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn one_writer_at_a_time() {
        let root = scratch("lock");
        let out = root.join("out");
        let first = Staging::new(&out).unwrap();
        let err = Staging::new(&out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ResourceBusy);
        let msg = err.to_string();
        assert!(msg.contains("another repairsim"), "{msg}");
        assert!(
            msg.contains(&format!("process {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        // Released: the next writer goes ahead, and no lock file stays.
        run(&out, &["a.txt"]).unwrap();
        assert_eq!(listing(&root), ["out"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn leftovers_of_dead_processes_are_removed_or_put_back() {
        let root = scratch("leftovers");
        let out = root.join("out");
        // No process has these pids (Linux pids stay below 2^22).
        let dead_tmp = root.join(".out.repairsim-tmp-999999999");
        let other = root.join(".other.repairsim-tmp-999999998");
        fs::create_dir_all(dead_tmp.join("x")).unwrap();
        fs::create_dir_all(&other).unwrap();
        run(&out, &["a.txt"]).unwrap();
        assert_eq!(listing(&root), [".other.repairsim-tmp-999999998", "out"]);
        // A process died between the two renames of a commit: the
        // previous run was aside and the output directory gone.
        fs::rename(&out, root.join(".out.repairsim-old-999999997")).unwrap();
        let st = Staging::new(&out).unwrap();
        assert_eq!(listing(&out), [MARKER, "a.txt"], "the previous run is back");
        drop(st);
        // An older version's staging inside the output directory.
        fs::create_dir_all(out.join(".repairsim-tmp-999999996")).unwrap();
        run(&out, &["b.txt"]).unwrap();
        assert_eq!(listing(&out), [MARKER, "b.txt"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn merge_keeps_the_other_files() {
        let root = scratch("merge");
        let dir = root.join("x.golden");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("events.csv"), "old").unwrap();
        fs::write(dir.join("README"), "keep").unwrap();
        let mut st = Staging::merge(&dir).unwrap();
        st.write("events.csv", b"new").unwrap();
        st.commit().unwrap();
        assert_eq!(listing(&dir), ["README", "events.csv"]);
        assert_eq!(fs::read_to_string(dir.join("events.csv")).unwrap(), "new");
        assert_eq!(listing(&root), ["x.golden"]);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn abandon_all_removes_live_staging() {
        // Only this test's own staging: other tests' may be live in this
        // process, so it looks at its own paths only.
        let root = scratch("abandon");
        let out = root.join("out");
        let mut st = Staging::new(&out).unwrap();
        st.write("a.txt", b"a").unwrap();
        let dir = st.dir.clone();
        assert!(live().contains(&dir));
        // What abandon_all does, without holding the registry forever
        // (the test process goes on).
        let mine: Vec<PathBuf> = live()
            .iter()
            .filter(|p| p.starts_with(&root))
            .cloned()
            .collect();
        assert_eq!(mine.len(), 2, "the staging directory and the lock");
        remove_all(&mine);
        assert_eq!(listing(&root), Vec::<String>::new());
        assert!(st.commit().is_err(), "nothing left to commit");
        let _ = fs::remove_dir_all(&root);
    }
}
