//! The worktree lifecycle of write sessions: when one is needed, creating it on its session
//! branch, and removing it without losing work — uncommitted changes are committed to the branch
//! first, and the branch is kept whenever it holds commits beyond the point it started from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::{BranchName, SessionId, SessionMode};

use crate::GitError;
use crate::command::Git;
use crate::paths::require_absolute;
use crate::repository::{head_commit, platform_git, require_repository};

/// The directory, inside a project, that holds its session worktrees.
pub const WORKTREES_DIR: &str = ".worktrees";

/// The config variable, under `branch.<name>`, recording the commit a session branch started from.
const BASE_VARIABLE: &str = "agentyardBase";

/// Whether a session needs a worktree of its own: explore sessions never do (they only read);
/// a writing session does only when another active writer already holds the main checkout.
pub fn needs_worktree(mode: SessionMode, main_checkout_taken_by_another_writer: bool) -> bool {
    mode.writes() && main_checkout_taken_by_another_writer
}

/// The directory a session works in: its worktree when it has one, else the project's main checkout.
pub fn session_work_path(project_path: &Path, worktree_path: Option<&Path>) -> PathBuf {
    worktree_path.unwrap_or(project_path).to_path_buf()
}

/// Where the worktree of `session` lives: `<project>/.worktrees/<session id>`.
pub fn worktree_path(project: &Path, session: SessionId) -> PathBuf {
    project.join(WORKTREES_DIR).join(session.to_string())
}

/// A session's worktree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Worktree {
    pub path: PathBuf,
    pub branch: BranchName,
    /// The commit the branch started from; commits beyond it are the session's work.
    pub base_commit: String,
}

/// What removing a worktree did with the work in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// Uncommitted changes were found and committed before the worktree was removed.
    pub committed_changes: bool,
    /// The branch was kept because it holds commits beyond its base (or is checked out elsewhere).
    pub branch_kept: bool,
    /// Commits made on a detached `HEAD`, which no branch held, were kept on this new branch.
    pub rescue_branch: Option<BranchName>,
}

/// Creates the worktree of `session` at `<project>/.worktrees/<session id>` on the new branch
/// `session/<first 8 of id>` from `HEAD`, and lists `.worktrees` in the project's `.gitignore`
/// (once; the change is left for the user to commit).
///
/// When the worktree already exists it is returned as it is; when only the branch exists (the
/// session's worktree was removed earlier), a new worktree continues that branch.
///
/// The worktree is locked: inside a container the worktree is mounted at `/workspace`, so the path
/// git recorded for it does not exist there, and a `git worktree prune` run by an agent would
/// otherwise delete the records of every worktree of the project. Removal here overrides the lock.
pub async fn create_worktree(project: &Path, session: SessionId) -> Result<Worktree, GitError> {
    require_repository(project).await?;
    let head = head_commit(project)
        .await?
        .ok_or_else(|| GitError::NoCommits(project.to_owned()))?;
    ignore_worktrees_dir(project).await?;

    let path = worktree_path(project, session);
    let branch = BranchName::for_session(session);
    let git = Git::at(project)?;
    let registered = list_worktrees(project).await?;
    if registered.iter().any(|entry| same_path(&entry.path, &path)) {
        let base_commit = match recorded_base(project, &branch).await? {
            Some(base) => base,
            None => head,
        };
        return Ok(Worktree {
            path,
            branch,
            base_commit,
        });
    }

    let base_commit = if branch_exists(project, &branch).await? {
        git.run([
            os("worktree"),
            os("add"),
            os("--quiet"),
            os("--lock"),
            os("--"),
            path.as_os_str(),
            os(branch.as_str()),
        ])
        .await?;
        match recorded_base(project, &branch).await? {
            Some(base) => base,
            None => head,
        }
    } else {
        git.run([
            os("worktree"),
            os("add"),
            os("--quiet"),
            os("--lock"),
            os("-b"),
            os(branch.as_str()),
            os("--"),
            path.as_os_str(),
            os(&head),
        ])
        .await?;
        record_base(project, &branch, &head).await?;
        head
    };
    Ok(Worktree {
        path,
        branch,
        base_commit,
    })
}

/// Removes a session's worktree without losing work.
///
/// Uncommitted changes (tracked, and untracked files that are not ignored) are first committed
/// onto the branch checked out there; if that fails, the worktree stays and the error is returned.
/// Then the worktree is removed, and `branch` is deleted only when it holds nothing beyond its base.
/// A worktree that no longer exists on disk is pruned, and its branch settled the same way.
pub async fn remove_worktree(
    project: &Path,
    worktree: &Path,
    branch: &BranchName,
) -> Result<Removal, GitError> {
    require_absolute(worktree)?;
    require_repository(project).await?;
    let registered = list_worktrees(project).await?;
    let main_checkout = registered.first();
    match registered
        .iter()
        .find(|entry| same_path(&entry.path, worktree))
    {
        Some(entry) if Some(entry) != main_checkout => {
            remove_registered(project, worktree, Some(branch)).await
        }
        Some(_) => Err(GitError::NotAWorktree(worktree.to_owned())),
        None if tokio::fs::symlink_metadata(worktree).await.is_err() => {
            Git::at(project)?.run(["worktree", "prune"]).await?;
            Ok(Removal {
                committed_changes: false,
                branch_kept: settle_branch(project, branch).await?,
                rescue_branch: None,
            })
        }
        None => Err(GitError::NotAWorktree(worktree.to_owned())),
    }
}

/// Removes, with [`remove_worktree`]'s care for work, every worktree under `<project>/.worktrees`
/// whose directory is not named by a session `keep` accepts, then prunes git's records of
/// worktrees that no longer exist. Returns the paths it removed.
///
/// A directory there that git does not know as a worktree is left alone (with a warning): it may
/// hold files that exist nowhere else. A worktree that cannot be removed is logged and skipped,
/// so one failure does not keep the others around; the next cleanup tries it again.
pub async fn cleanup_stale_worktrees(
    project: &Path,
    keep: impl Fn(SessionId) -> bool,
) -> Result<Vec<PathBuf>, GitError> {
    require_repository(project).await?;
    let directory = project.join(WORKTREES_DIR);
    let registered = list_worktrees(project).await?;
    let mut removed = Vec::new();
    for path in subdirectories(&directory).await? {
        let session = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<SessionId>().ok());
        if session.is_some_and(&keep) {
            continue;
        }
        let Some(entry) = registered
            .iter()
            .skip(1)
            .find(|entry| same_path(&entry.path, &path))
        else {
            tracing::warn!(path = %path.display(), "not a registered git worktree; left in place");
            continue;
        };
        let branch = entry
            .branch
            .as_deref()
            .and_then(|name| BranchName::parse(name).ok())
            .or_else(|| session.map(BranchName::for_session));
        match remove_registered(project, &path, branch.as_ref()).await {
            Ok(_) => removed.push(path),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "stale worktree could not be removed");
            }
        }
    }
    // Locked worktrees whose directory was deleted by hand survive `git worktree prune`; drop
    // their records explicitly (there is no work left to save) and settle their branches.
    for entry in registered.iter().skip(1) {
        let in_directory = entry
            .path
            .parent()
            .is_some_and(|parent| same_path(parent, &directory));
        let session = entry
            .path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.parse::<SessionId>().ok());
        if !in_directory || session.is_some_and(&keep) || entry.path.exists() {
            continue;
        }
        let branch = entry
            .branch
            .as_deref()
            .and_then(|name| BranchName::parse(name).ok());
        if let Err(error) = remove_registered(project, &entry.path, branch.as_ref()).await {
            tracing::warn!(path = %entry.path.display(), %error, "record of a deleted worktree could not be removed");
        }
    }
    Git::at(project)?.run(["worktree", "prune"]).await?;
    Ok(removed)
}

async fn remove_registered(
    project: &Path,
    worktree: &Path,
    branch: Option<&BranchName>,
) -> Result<Removal, GitError> {
    // A worktree directory deleted by hand has no work left to save, only records to drop.
    let present = tokio::fs::symlink_metadata(worktree).await.is_ok();
    let (committed_changes, rescue_branch) = if present {
        (
            commit_uncommitted_work(worktree, branch).await?,
            rescue_detached_head(project, worktree, branch).await?,
        )
    } else {
        (false, None)
    };
    // Twice `--force`: the work is committed, so neither changes nor a lock may keep the directory.
    Git::at(project)?
        .run([
            os("worktree"),
            os("remove"),
            os("--force"),
            os("--force"),
            os("--"),
            worktree.as_os_str(),
        ])
        .await?;
    let branch_kept = match branch {
        Some(branch) => settle_branch(project, branch).await?,
        None => false,
    };
    Ok(Removal {
        committed_changes,
        branch_kept,
        rescue_branch,
    })
}

/// Commits everything uncommitted in `worktree` onto whatever it has checked out.
async fn commit_uncommitted_work(
    worktree: &Path,
    branch: Option<&BranchName>,
) -> Result<bool, GitError> {
    let git = platform_git(worktree).await?;
    git.run(["add", "--all"]).await?;
    let staged = git
        .run_accepting(["diff", "--cached", "--quiet", "--no-ext-diff"], &[0, 1])
        .await?;
    if staged.code == 0 {
        return Ok(false);
    }
    let name = branch.map_or_else(|| worktree.display().to_string(), ToString::to_string);
    let message = format!("agentyard: uncommitted work of session {name}");
    git.run(["commit", "--quiet", "--no-verify", "-m", &message])
        .await?;
    Ok(true)
}

/// When the worktree's `HEAD` is detached on commits no branch holds, keeps them on a new branch:
/// removing the worktree would otherwise leave them reachable from nothing.
async fn rescue_detached_head(
    project: &Path,
    worktree: &Path,
    branch: Option<&BranchName>,
) -> Result<Option<BranchName>, GitError> {
    let git = Git::at(worktree)?;
    let symbolic = git
        .run_accepting(["symbolic-ref", "--quiet", "HEAD"], &[0, 1])
        .await?;
    if symbolic.code == 0 {
        return Ok(None);
    }
    let Some(head) = head_commit(worktree).await? else {
        return Ok(None);
    };
    let holders = Git::at(project)?
        .text([
            "for-each-ref",
            "--format=%(refname)",
            "--contains",
            &head,
            "refs/heads",
        ])
        .await?;
    if !holders.trim().is_empty() {
        return Ok(None);
    }
    let prefix = branch.map_or("agentyard/worktree", BranchName::as_str);
    let rescue = BranchName::parse(&format!("{prefix}-detached-{}", &head[..8]))
        .map_err(|error| GitError::InvalidBranch(error.to_string()))?;
    Git::at(project)?
        .run(["branch", "--", rescue.as_str(), &head])
        .await?;
    Ok(Some(rescue))
}

/// Deletes `branch` when it holds no commits beyond its base; returns whether it was kept.
async fn settle_branch(project: &Path, branch: &BranchName) -> Result<bool, GitError> {
    if !branch_exists(project, branch).await? {
        return Ok(false);
    }
    if commits_beyond_base(project, branch).await? > 0 {
        return Ok(true);
    }
    let deleted = Git::at(project)?
        .run(["branch", "--quiet", "-D", "--", branch.as_str()])
        .await;
    match deleted {
        Ok(_) => Ok(false),
        Err(error) => {
            // Typically the branch is checked out in another worktree: keeping it loses nothing.
            tracing::warn!(%branch, %error, "session branch without new commits was kept");
            Ok(true)
        }
    }
}

/// Commits on `branch` beyond its recorded base; without a recorded base (a branch this crate did
/// not create), commits that no other ref holds.
async fn commits_beyond_base(project: &Path, branch: &BranchName) -> Result<u64, GitError> {
    let git = Git::at(project)?;
    let reference = format!("refs/heads/{branch}");
    let counted = match recorded_base(project, branch).await? {
        Some(base) => {
            git.run_accepting(
                ["rev-list", "--count", &format!("{base}..{reference}"), "--"],
                &[0, 128],
            )
            .await?
        }
        None => {
            let exclude = format!("--exclude={reference}");
            git.run_accepting(
                [
                    "rev-list", "--count", &reference, "--not", &exclude, "--all", "--",
                ],
                &[0],
            )
            .await?
        }
    };
    if counted.code != 0 {
        // The recorded base is gone (history rewritten and collected): keep the branch to be safe.
        return Ok(1);
    }
    Ok(counted.text().trim().parse().unwrap_or(1))
}

async fn branch_exists(project: &Path, branch: &BranchName) -> Result<bool, GitError> {
    let reference = format!("refs/heads/{branch}");
    let found = Git::at(project)?
        .run_accepting(["show-ref", "--verify", "--quiet", &reference], &[0, 1])
        .await?;
    Ok(found.code == 0)
}

async fn recorded_base(project: &Path, branch: &BranchName) -> Result<Option<String>, GitError> {
    let key = format!("branch.{branch}.{BASE_VARIABLE}");
    let found = Git::at(project)?
        .run_accepting(["config", "--get", &key], &[0, 1])
        .await?;
    let base = found.text().trim().to_owned();
    Ok((found.code == 0 && !base.is_empty()).then_some(base))
}

/// Records the base commit of a new session branch in the repository's configuration.
///
/// Sessions of one project may start at the same moment, and git refuses to write its config
/// while another process holds `config.lock`, so a lock conflict is retried for a short while.
async fn record_base(project: &Path, branch: &BranchName, base: &str) -> Result<(), GitError> {
    let key = format!("branch.{branch}.{BASE_VARIABLE}");
    let git = Git::at(project)?;
    let mut attempts = 0;
    loop {
        match git.run(["config", &key, base]).await {
            Err(GitError::CommandFailed { stderr, .. })
                if attempts < 20 && stderr.contains("could not lock config file") =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            result => return result.map(drop),
        }
    }
}

/// Appends `.worktrees` to the project's `.gitignore` unless it is already listed there.
async fn ignore_worktrees_dir(project: &Path) -> Result<(), GitError> {
    let path = project.join(".gitignore");
    let io_error = |source| GitError::Io {
        path: path.clone(),
        source,
    };
    let existing = match tokio::fs::read_to_string(&path).await {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(io_error(error)),
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
    let appended = format!("{existing}{separator}{WORKTREES_DIR}\n");
    tokio::fs::write(&path, appended).await.map_err(io_error)
}

/// One entry of `git worktree list --porcelain -z`.
#[derive(Debug, PartialEq, Eq)]
struct WorktreeEntry {
    path: PathBuf,
    /// The checked-out branch without `refs/heads/`; `None` when `HEAD` is detached.
    branch: Option<String>,
}

async fn list_worktrees(project: &Path) -> Result<Vec<WorktreeEntry>, GitError> {
    let stdout = Git::at(project)?
        .run(["worktree", "list", "--porcelain", "-z"])
        .await?;
    Ok(parse_worktree_list(&String::from_utf8_lossy(&stdout)))
}

/// Parses NUL-separated attribute lines, with an empty field between worktrees.
fn parse_worktree_list(text: &str) -> Vec<WorktreeEntry> {
    let mut entries = Vec::new();
    for field in text.split('\0') {
        if let Some(path) = field.strip_prefix("worktree ") {
            entries.push(WorktreeEntry {
                path: PathBuf::from(path),
                branch: None,
            });
        } else if let Some(reference) = field.strip_prefix("branch ")
            && let Some(entry) = entries.last_mut()
        {
            let name = reference.strip_prefix("refs/heads/").unwrap_or(reference);
            entry.branch = Some(name.to_owned());
        }
    }
    entries
}

async fn subdirectories(directory: &Path) -> Result<Vec<PathBuf>, GitError> {
    let io_error = |source| GitError::Io {
        path: directory.to_owned(),
        source,
    };
    let mut entries = match tokio::fs::read_dir(directory).await {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(io_error(error)),
    };
    let mut directories = Vec::new();
    while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
        if entry.file_type().await.map_err(io_error)?.is_dir() {
            directories.push(entry.path());
        }
    }
    directories.sort();
    Ok(directories)
}

/// Whether two paths name the same place, looking through symbolic links where they exist.
fn same_path(left: &Path, right: &Path) -> bool {
    match (std::fs::canonicalize(left), std::fs::canonicalize(right)) {
        (Ok(left), Ok(right)) => left == right,
        _ => left == right,
    }
}

fn os(text: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(text)
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
    fn the_work_path_is_the_worktree_when_there_is_one() {
        let project = Path::new("/p");
        let worktree = Path::new("/p/.worktrees/x");
        assert_eq!(session_work_path(project, Some(worktree)), worktree);
        assert_eq!(session_work_path(project, None), project);
    }

    #[test]
    fn worktree_list_parses_branches_and_detached_heads() {
        let text = "worktree /p\0HEAD abc\0branch refs/heads/main\0\0\
                    worktree /p/.worktrees/a b\0HEAD def\0detached\0\0\
                    worktree /p/.worktrees/c\0HEAD 123\0branch refs/heads/session/c\0locked\0\0";
        let entries = parse_worktree_list(text);
        assert_eq!(
            entries,
            vec![
                WorktreeEntry {
                    path: "/p".into(),
                    branch: Some("main".into())
                },
                WorktreeEntry {
                    path: "/p/.worktrees/a b".into(),
                    branch: None
                },
                WorktreeEntry {
                    path: "/p/.worktrees/c".into(),
                    branch: Some("session/c".into())
                },
            ]
        );
    }
}
