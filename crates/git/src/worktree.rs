//! Session worktrees: when one is needed, making one, and finishing one without losing work.
//!
//! A session worktree is not a `git worktree` of the project. It is a work tree at
//! `<project>/.worktrees/<session id>` with a git directory of its own, which the caller keeps
//! outside the project (in the session's data dir). That git directory reads the project's
//! objects through `objects/info/alternates` (read-only to the agent) and holds only the session
//! branch `session/<id8>` and a copy of its base branch. So an agent in a worktree can commit,
//! branch and rewrite its own history, but cannot touch the project's refs, objects or settings,
//! nor another session's. When the session ends, the platform brings its branches back into the
//! project with a fetch, keeps what git does not track (ignored files, nested repositories) in a
//! directory the caller names, and removes the work tree.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use domain::{BranchName, RelPath, SessionId, SessionMode};

use crate::GitError;
use crate::command::{Git, split_nul};
use crate::repository::{Checkout, head_commit, platform_git, require_repository, resolve_commit};

/// The directory, inside a project, that holds its session worktrees.
pub const WORKTREES_DIR: &str = ".worktrees";

/// Build output that is not kept when a worktree is removed: it can be made again.
pub const DISPOSABLE_DIRS: &[&str] = &[
    "node_modules",
    "target",
    ".venv",
    "__pycache__",
    "dist",
    "build",
];

/// Where a finished session's branches are fetched to before they are settled, outside `refs/heads`.
const IMPORT_REFS: &str = "refs/agentyard/import";

/// Whether a session needs a worktree of its own: explore sessions never do (they only read);
/// a writing session does only when another active writer already holds the main checkout.
pub fn needs_worktree(mode: SessionMode, main_checkout_taken_by_another_writer: bool) -> bool {
    mode.writes() && main_checkout_taken_by_another_writer
}

/// Where the worktree of `session` lives: `<project>/.worktrees/<session id>`.
pub fn worktree_path(project: &Path, session: SessionId) -> PathBuf {
    project.join(WORKTREES_DIR).join(session.to_string())
}

/// A session's worktree, as [`create_worktree`] made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worktree {
    pub checkout: Checkout,
    pub branch: BranchName,
    /// The branch the main checkout had when the worktree was cut; `None` when its `HEAD` was detached.
    pub base_branch: Option<String>,
    /// The commit the branch started from; commits beyond it are the session's work.
    pub base_commit: String,
    /// The worktree, or the session branch in the project, existed already (a session continued),
    /// so `base_commit` is the project's `HEAD` now, not where the branch started: keep the base
    /// recorded when it was first cut.
    pub continued: bool,
}

/// Creates the worktree of `session` at `<project>/.worktrees/<session id>`, with its own git
/// directory at `git_dir`, on the branch `session/<first 8 of id>`, and lists `.worktrees` in the
/// project's `.gitignore` (once; the change is left for the user to commit).
///
/// A complete worktree of the session is returned as it is. Otherwise the branch starts at the
/// project's `HEAD`, or continues the project's branch of that name when the session had a
/// worktree before. Whatever is left of an earlier attempt is finished first (its work imported),
/// and a failed creation removes what it made.
pub async fn create_worktree(
    project: &Path,
    session: SessionId,
    git_dir: &Path,
) -> Result<Worktree, GitError> {
    let main = Checkout::main(project)?;
    require_repository(&main).await?;
    let head = head_commit(&main)
        .await?
        .ok_or_else(|| GitError::NoCommits(project.to_owned()))?;
    let base_branch = current_branch(&main).await?;
    let path = worktree_path(project, session);
    let branch = BranchName::for_session(session);
    let checkout = Checkout::session(&path, git_dir)?;
    if git_dir.is_dir() && path.join(".git").is_file() {
        return Ok(Worktree {
            checkout,
            branch,
            base_branch,
            base_commit: head,
            continued: true,
        });
    }
    if git_dir.exists() || path.symlink_metadata().is_ok() {
        // What is left of an earlier attempt: its work goes to the project before a fresh start.
        finish_worktree(&SessionTree {
            project,
            worktree: &path,
            git_dir,
            branch: &branch,
            base_commit: None,
            keep_dir: &git_dir.with_extension("kept"),
        })
        .await?;
    }
    ignore_worktrees_dir(project).await?;
    let existing = resolve_commit(&main, &format!("refs/heads/{branch}")).await?;
    let made = make_worktree(
        &main,
        &checkout,
        &branch,
        existing.as_deref().unwrap_or(&head),
        base_branch.as_deref().map(|base| (base, head.as_str())),
    )
    .await;
    if let Err(error) = made {
        let _ = tokio::fs::remove_dir_all(&path).await;
        let _ = tokio::fs::remove_dir_all(git_dir).await;
        return Err(error);
    }
    Ok(Worktree {
        checkout,
        branch,
        base_branch,
        base_commit: head,
        continued: existing.is_some(),
    })
}

/// Makes the session's git directory and work tree, the branch at `start`, the base branch copied.
async fn make_worktree(
    main: &Checkout,
    checkout: &Checkout,
    branch: &BranchName,
    start: &str,
    base: Option<(&str, &str)>,
) -> Result<(), GitError> {
    let git_dir = checkout.git_dir();
    for directory in ["objects/info", "refs/heads", "refs/tags", "hooks", "info"] {
        create_dir(&git_dir.join(directory)).await?;
    }
    let object_format = Git::at(main)
        .run_accepting(["config", "--get", "extensions.objectformat"], &[0, 1])
        .await?
        .text();
    write(
        &git_dir.join("config"),
        &session_config(object_format.trim()),
    )
    .await?;
    write(
        &git_dir.join("HEAD"),
        &format!("ref: refs/heads/{branch}\n"),
    )
    .await?;
    write(&git_dir.join("objects/info/alternates"), &alternates(main)).await?;
    // The project's own exclusions, so the agent's `git status` hides what the user's hides.
    let exclude = tokio::fs::read(main.git_dir().join("info/exclude"))
        .await
        .unwrap_or_default();
    write_bytes(&git_dir.join("info/exclude"), &exclude).await?;

    create_dir(checkout.work_tree()).await?;
    write(
        &checkout.work_tree().join(".git"),
        &format!("gitdir: {}\n", git_dir.display()),
    )
    .await?;
    let git = Git::at(checkout);
    git.run([
        "update-ref",
        "--no-deref",
        "--end-of-options",
        &format!("refs/heads/{branch}"),
        start,
    ])
    .await?;
    if let Some((base, base_commit)) = base.filter(|(base, _)| *base != branch.as_str()) {
        git.run([
            "update-ref",
            "--no-deref",
            "--end-of-options",
            &format!("refs/heads/{base}"),
            base_commit,
        ])
        .await?;
    }
    git.run(["read-tree", "--reset", "-u", "HEAD"]).await?;
    Ok(())
}

/// The configuration of a session's git directory: written by the platform, read-only to agents.
fn session_config(object_format: &str) -> String {
    let mut config = String::from("[core]\n");
    let version = if object_format.is_empty() { 0 } else { 1 };
    config.push_str(&format!("\trepositoryformatversion = {version}\n"));
    config.push_str("\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n");
    if !object_format.is_empty() {
        config.push_str(&format!("[extensions]\n\tobjectformat = {object_format}\n"));
    }
    config
}

fn alternates(main: &Checkout) -> String {
    format!("{}\n", main.git_dir().join("objects").display())
}

/// A session's worktree as the platform knows it, to finish it.
#[derive(Clone, Copy, Debug)]
pub struct SessionTree<'a> {
    pub project: &'a Path,
    pub worktree: &'a Path,
    pub git_dir: &'a Path,
    pub branch: &'a BranchName,
    /// The commit the branch started from, as the platform recorded it; `None` when unknown.
    pub base_commit: Option<&'a str>,
    /// Where files git does not track are kept: ignored files and nested repositories.
    pub keep_dir: &'a Path,
}

/// What finishing a worktree did with the work in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finish {
    /// Uncommitted changes were found and committed to the session branch.
    pub committed_changes: bool,
    /// The session branch is in the project, because it holds commits beyond its base.
    pub branch_kept: bool,
    /// Other work of the session (another branch it made, commits on a detached `HEAD`) that no
    /// branch of the project held, kept on these new branches.
    pub rescued: Vec<BranchName>,
    /// Files git does not track, moved into the keep directory (paths relative to the worktree).
    pub kept_files: Vec<String>,
    /// The directory was not a worktree made by the platform, so it was left where it is.
    pub left_in_place: bool,
}

/// Finishes a session's worktree without losing work, also when its work tree or its git
/// directory is already gone.
///
/// In order: ignored files and nested repositories are moved into the keep directory (build output
/// of [`DISPOSABLE_DIRS`] aside); uncommitted changes are committed to whatever the worktree has
/// checked out; the session's branches are fetched into the project (the session branch as itself,
/// any other work no branch holds on a new `session/<id8>-…` branch); the session branch is deleted
/// when it holds nothing beyond its base; then the work tree and the git directory are removed.
/// Nothing is removed when a step before fails.
///
/// Call it only when no agent can write to the worktree any more (its container is gone).
pub async fn finish_worktree(tree: &SessionTree<'_>) -> Result<Finish, GitError> {
    let main = Checkout::main(tree.project)?;
    require_repository(&main).await?;
    let has_git_dir = tree.git_dir.is_dir();
    let has_work_tree = tree.worktree.symlink_metadata().is_ok();
    if has_work_tree && !has_git_dir {
        tracing::warn!(
            path = %tree.worktree.display(),
            "not a worktree made by the platform (no git directory of its own); left in place"
        );
        return Ok(Finish {
            left_in_place: true,
            ..Finish::default()
        });
    }
    let mut finish = Finish::default();
    if has_git_dir {
        for undone in restore_worktree_links(tree.project, tree.worktree, tree.git_dir)? {
            tracing::warn!(%undone, "a session's git directory was restored before its work was fetched");
        }
    }
    if has_work_tree {
        let checkout = Checkout::session(tree.worktree, tree.git_dir)?;
        finish.kept_files = keep_untracked(&checkout, tree.keep_dir).await?;
        finish.committed_changes = commit_uncommitted_work(&checkout, tree.branch).await?;
    }
    if has_git_dir {
        finish.rescued = import_branches(&main, tree.git_dir, tree.branch).await?;
    }
    finish.branch_kept = settle_branch(&main, tree.branch, tree.base_commit).await?;
    if has_work_tree {
        remove_tree(tree.worktree).await?;
    }
    if has_git_dir {
        remove_tree(tree.git_dir).await?;
    }
    Ok(finish)
}

/// Undoes what an agent could plant in its worktree to redirect git: a `commondir` in the session's
/// git directory, alternates that name another object store than the project's, and a `.git` file
/// (in a work tree that still exists) naming another git directory. The platform's own git names
/// its directories and is not misled by these; the user's git, run in the worktree, would be.
/// Returns what was undone, one line each.
pub fn restore_worktree_links(
    project: &Path,
    worktree: &Path,
    git_dir: &Path,
) -> Result<Vec<String>, GitError> {
    let main = Checkout::main(project)?;
    let mut undone = crate::guard::remove_redirects(git_dir)?;
    let alternates_file = git_dir.join("objects/info/alternates");
    let expected = alternates(&main);
    if std::fs::read_to_string(&alternates_file).ok().as_deref() != Some(expected.as_str()) {
        replace_file(&alternates_file, &expected)?;
        undone.push(format!(
            "rewrote {} to name the project's objects",
            alternates_file.display()
        ));
    }
    let git_file = worktree.join(".git");
    let expected = format!("gitdir: {}\n", git_dir.display());
    if worktree.is_dir()
        && std::fs::read_to_string(&git_file).ok().as_deref() != Some(expected.as_str())
    {
        replace_file(&git_file, &expected)?;
        undone.push(format!(
            "rewrote {} to name the session's git directory",
            git_file.display()
        ));
    }
    Ok(undone)
}

/// Puts `text` at `path` in place of whatever is there (a file, a link, a directory).
fn replace_file(path: &Path, text: &str) -> Result<(), GitError> {
    remove_blocking(path)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| io_error(parent, source))?;
    }
    std::fs::write(path, text).map_err(|source| io_error(path, source))
}

/// Moves ignored files and nested repositories out of the work tree into `keep_dir`, keeping
/// their relative paths, except build output; returns the paths moved.
async fn keep_untracked(checkout: &Checkout, keep_dir: &Path) -> Result<Vec<String>, GitError> {
    let git = Git::at(checkout);
    let ignored = git
        .run([
            "ls-files",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--directory",
            "-z",
        ])
        .await?;
    // Git lists a nested repository as its directory, with a trailing slash, and never enters it.
    let untracked = git
        .run(["ls-files", "--others", "--exclude-standard", "-z"])
        .await?;
    let nested = split_nul(&untracked)
        .into_iter()
        .filter(|entry| entry.ends_with('/'));
    let mut entries: Vec<String> = split_nul(&ignored)
        .into_iter()
        .chain(nested)
        .map(|entry| entry.trim_end_matches('/').to_owned())
        .collect();
    entries.sort();
    entries.dedup();
    let mut kept: Vec<String> = Vec::new();
    for relative in entries {
        // Git may list a wholly ignored directory and the files in it: the directory moves whole.
        let inside_kept = kept
            .iter()
            .any(|dir| relative.starts_with(&format!("{dir}/")));
        if relative.is_empty() || inside_kept || is_disposable(&relative) {
            continue;
        }
        let Ok(parsed) = RelPath::parse(&relative) else {
            tracing::warn!(
                path = relative,
                "an untracked path with an unusual name was not kept"
            );
            continue;
        };
        move_path(
            &checkout.work_tree().join(parsed.as_path()),
            &keep_dir.join(parsed.as_path()),
        )
        .await?;
        kept.push(relative);
    }
    Ok(kept)
}

fn is_disposable(relative: &str) -> bool {
    relative
        .split('/')
        .any(|part| DISPOSABLE_DIRS.contains(&part))
}

/// Commits everything uncommitted in the worktree onto whatever it has checked out.
pub(crate) async fn commit_uncommitted_work(
    checkout: &Checkout,
    branch: &BranchName,
) -> Result<bool, GitError> {
    let git = platform_git(checkout).await?;
    git.run(["add", "--all"]).await?;
    let staged = git
        .run_accepting(["diff", "--cached", "--quiet", "--no-ext-diff"], &[0, 1])
        .await?;
    if staged.code == 0 {
        return Ok(false);
    }
    let message = format!("agentyard: uncommitted work of session {branch}");
    git.run(["commit", "--quiet", "--no-verify", "-m", &message])
        .await?;
    Ok(true)
}

/// Fetches the session's branches (and a detached `HEAD`) into the project: the session branch
/// as itself, any other tip that no branch of the project holds on a new branch. Returns those.
pub(crate) async fn import_branches(
    main: &Checkout,
    git_dir: &Path,
    branch: &BranchName,
) -> Result<Vec<BranchName>, GitError> {
    let git = Git::at(main);
    let staging = format!("{IMPORT_REFS}/{}", branch.as_str().replace('/', "-"));
    // The fetch reads the session's git directory through `git upload-pack`, which git starts
    // with none of this command's settings, finds the repository by itself, and refuses one owned
    // by the agent's uid unless that one path is declared safe on its own command line.
    let upload_pack = format!(
        "git -c safe.directory={} upload-pack",
        shell_quote(&git_dir.display().to_string())
    );
    git.run([
        OsStr::new("fetch"),
        OsStr::new("--no-tags"),
        OsStr::new("--upload-pack"),
        OsStr::new(&upload_pack),
        OsStr::new("--no-write-fetch-head"),
        OsStr::new("--quiet"),
        OsStr::new("--end-of-options"),
        git_dir.as_os_str(),
        OsStr::new(&format!("+HEAD:{staging}/HEAD")),
        OsStr::new(&format!("+refs/heads/*:{staging}/heads/*")),
    ])
    .await?;
    let listed = git
        .text([
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            &format!("{staging}/"),
        ])
        .await?;
    let imported: Vec<(String, String)> = listed
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(sha, name)| (sha.to_owned(), name.to_owned()))
        .collect();
    let session_ref = format!("{staging}/heads/{branch}");
    if let Some((sha, _)) = imported.iter().find(|(_, name)| *name == session_ref) {
        git.run([
            "update-ref",
            "--no-deref",
            "--end-of-options",
            &format!("refs/heads/{branch}"),
            sha,
        ])
        .await?;
    }
    let mut rescued = Vec::new();
    for (sha, name) in &imported {
        if *name == session_ref || !holds_unique_work(main, sha, &staging).await? {
            continue;
        }
        let label = name
            .strip_prefix(&format!("{staging}/"))
            .unwrap_or("work")
            .trim_start_matches("heads/")
            .replace('/', "-");
        let rescue = rescue_name(main, branch, &label, sha).await?;
        git.run([
            "update-ref",
            "--no-deref",
            "--end-of-options",
            &format!("refs/heads/{rescue}"),
            sha,
        ])
        .await?;
        rescued.push(rescue);
    }
    for (_, name) in &imported {
        git.run(["update-ref", "--no-deref", "-d", "--end-of-options", name])
            .await?;
    }
    Ok(rescued)
}

/// `text` as one word for `sh`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether `sha` holds commits that no branch, tag or remote of the project holds.
async fn holds_unique_work(main: &Checkout, sha: &str, staging: &str) -> Result<bool, GitError> {
    let exclude = format!("--exclude={staging}/*");
    let counted = Git::at(main)
        .text(["rev-list", "--count", sha, "--not", &exclude, "--all", "--"])
        .await?;
    Ok(counted.trim().parse::<u64>().unwrap_or(1) > 0)
}

/// A free branch name `session/<id8>-<label>` for rescued work.
async fn rescue_name(
    main: &Checkout,
    branch: &BranchName,
    label: &str,
    sha: &str,
) -> Result<BranchName, GitError> {
    let short = &sha[..sha.len().min(8)];
    for candidate in [
        format!("{branch}-{label}"),
        format!("{branch}-{label}-{short}"),
        format!("{branch}-rescued-{short}"),
    ] {
        let Ok(name) = BranchName::parse(&candidate) else {
            continue;
        };
        if resolve_commit(main, &format!("refs/heads/{name}"))
            .await?
            .is_none()
        {
            return Ok(name);
        }
    }
    BranchName::parse(&format!("{branch}-rescued-{sha}"))
        .map_err(|error| GitError::InvalidBranch(error.to_string()))
}

/// Deletes `branch` when it holds no commits beyond its base; returns whether it was kept.
async fn settle_branch(
    main: &Checkout,
    branch: &BranchName,
    base_commit: Option<&str>,
) -> Result<bool, GitError> {
    let reference = format!("refs/heads/{branch}");
    if resolve_commit(main, &reference).await?.is_none() {
        return Ok(false);
    }
    if commits_beyond_base(main, &reference, base_commit).await? > 0 {
        return Ok(true);
    }
    let deleted = Git::at(main)
        .run(["branch", "--quiet", "-D", "--", branch.as_str()])
        .await;
    match deleted {
        Ok(_) => Ok(false),
        Err(error) => {
            // Typically the branch is checked out in the main checkout: keeping it loses nothing.
            tracing::warn!(%branch, %error, "session branch without new commits was kept");
            Ok(true)
        }
    }
}

/// Commits on `reference` beyond the recorded base; without one, commits that no other ref holds.
async fn commits_beyond_base(
    main: &Checkout,
    reference: &str,
    base_commit: Option<&str>,
) -> Result<u64, GitError> {
    let git = Git::at(main);
    let base = match base_commit {
        Some(base) => resolve_commit(main, base).await?,
        None => None,
    };
    let counted = match base {
        Some(base) => {
            git.text(["rev-list", "--count", &format!("{base}..{reference}"), "--"])
                .await?
        }
        None => {
            let exclude = format!("--exclude={reference}");
            git.text([
                "rev-list", "--count", reference, "--not", &exclude, "--all", "--",
            ])
            .await?
        }
    };
    Ok(counted.trim().parse().unwrap_or(1))
}

/// The branch `HEAD` of a checkout names, or `None` when it is detached.
pub(crate) async fn current_branch(checkout: &Checkout) -> Result<Option<String>, GitError> {
    let found = Git::at(checkout)
        .run_accepting(["symbolic-ref", "--quiet", "--short", "HEAD"], &[0, 1])
        .await?;
    let name = found.text().trim().to_owned();
    Ok((found.code == 0 && !name.is_empty()).then_some(name))
}

/// The directories under `<project>/.worktrees`, with the session each is named after.
pub async fn worktree_dirs(project: &Path) -> Result<Vec<(PathBuf, Option<SessionId>)>, GitError> {
    let directory = project.join(WORKTREES_DIR);
    let io_error = |source| GitError::Io {
        path: directory.clone(),
        source,
    };
    let mut entries = match tokio::fs::read_dir(&directory).await {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error(error)),
    };
    let mut found = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
        if entry.file_type().await.map_err(io_error)?.is_dir() {
            let session = entry
                .file_name()
                .to_str()
                .and_then(|name| name.parse::<SessionId>().ok());
            found.push((entry.path(), session));
        }
    }
    found.sort();
    Ok(found)
}

/// Appends `.worktrees` to the project's `.gitignore` unless it is already listed there.
async fn ignore_worktrees_dir(project: &Path) -> Result<(), GitError> {
    let path = project.join(".gitignore");
    let existing = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(GitError::Io { path, source }),
    };
    let listed = existing.lines().any(|line| {
        let line = line.trim();
        let line = line.strip_prefix('/').unwrap_or(line);
        line.strip_suffix('/').unwrap_or(line) == WORKTREES_DIR
    });
    if listed {
        return Ok(());
    }
    let separator = if existing.is_empty() || existing.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    write(&path, &format!("{existing}{separator}{WORKTREES_DIR}\n")).await
}

/// Moves `from` to `to` (parents created), copying across filesystems; symbolic links are moved
/// as links, never followed.
async fn move_path(from: &Path, to: &Path) -> Result<(), GitError> {
    let (from, to) = (from.to_path_buf(), to.to_path_buf());
    tokio::task::spawn_blocking(move || {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|source| io_error(parent, source))?;
        }
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(error) if error.raw_os_error() == Some(18) => {
                // EXDEV: the keep directory is on another filesystem than the project.
                copy_tree(&from, &to)?;
                remove_blocking(&from)
            }
            Err(source) => Err(io_error(&from, source)),
        }
    })
    .await
    .map_err(|error| GitError::Io {
        path: PathBuf::new(),
        source: std::io::Error::other(error),
    })?
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), GitError> {
    let metadata = std::fs::symlink_metadata(from).map_err(|source| io_error(from, source))?;
    if metadata.file_type().is_symlink() {
        let target = std::fs::read_link(from).map_err(|source| io_error(from, source))?;
        std::os::unix::fs::symlink(target, to).map_err(|source| io_error(to, source))
    } else if metadata.is_dir() {
        std::fs::create_dir_all(to).map_err(|source| io_error(to, source))?;
        for entry in std::fs::read_dir(from).map_err(|source| io_error(from, source))? {
            let entry = entry.map_err(|source| io_error(from, source))?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if metadata.is_file() {
        std::fs::copy(from, to)
            .map(drop)
            .map_err(|source| io_error(from, source))
    } else {
        // Sockets, fifos and devices hold no work.
        Ok(())
    }
}

fn remove_blocking(path: &Path) -> Result<(), GitError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(io_error(path, source)),
    };
    // `remove_dir_all` never follows symbolic links; a link or file is removed as itself.
    let removed = if metadata.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.map_err(|source| io_error(path, source))
}

async fn remove_tree(path: &Path) -> Result<(), GitError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || remove_blocking(&path))
        .await
        .map_err(|error| GitError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other(error),
        })?
}

async fn create_dir(path: &Path) -> Result<(), GitError> {
    tokio::fs::create_dir_all(path)
        .await
        .map_err(|source| io_error(path, source))
}

async fn write(path: &Path, text: &str) -> Result<(), GitError> {
    write_bytes(path, text.as_bytes()).await
}

async fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), GitError> {
    tokio::fs::write(path, bytes)
        .await
        .map_err(|source| io_error(path, source))
}

fn io_error(path: &Path, source: std::io::Error) -> GitError {
    GitError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explore_sessions_never_get_a_worktree() {
        assert!(!needs_worktree(SessionMode::Explore, false));
        assert!(!needs_worktree(SessionMode::Explore, true));
    }

    #[test]
    fn writers_get_a_worktree_only_when_another_writer_holds_the_main_checkout() {
        for mode in [SessionMode::Ask, SessionMode::Execute] {
            assert!(!needs_worktree(mode, false), "{mode}");
            assert!(needs_worktree(mode, true), "{mode}");
        }
    }

    #[test]
    fn build_output_is_disposable_and_secrets_are_not() {
        assert!(is_disposable("node_modules"));
        assert!(is_disposable("web/node_modules/react/index.js"));
        assert!(is_disposable("crates/x/target"));
        assert!(!is_disposable(".env"));
        assert!(!is_disposable("config/.env.local"));
        assert!(!is_disposable("targets.txt"));
    }

    #[test]
    fn shell_quoting_keeps_a_path_one_word() {
        assert_eq!(shell_quote("/data/it's here"), r"'/data/it'\''s here'");
    }

    #[test]
    fn session_git_dirs_keep_the_projects_object_format() {
        assert!(session_config("").contains("repositoryformatversion = 0"));
        let sha256 = session_config("sha256");
        assert!(sha256.contains("repositoryformatversion = 1"));
        assert!(sha256.contains("objectformat = sha256"));
    }
}
