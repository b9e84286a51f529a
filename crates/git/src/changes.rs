//! Changes in a work path: diffs, the index (stage, unstage) and commits made at the user's request.
//!
//! Every path is checked with [`resolve_inside`] before git sees it, and handed to git after `--`
//! with literal pathspecs, so a file named `*` is a file, not a pattern.

use std::ffi::OsStr;

use domain::RelPath;

use crate::GitError;
use crate::command::Git;
use crate::paths::resolve_inside;
use crate::repository::{Checkout, identity_settings, require_repository};

/// The diff of `work`, or of one path in it: of the index against `HEAD` when `staged`, else of the
/// work tree against the index. An untracked file is shown as a new file.
pub async fn diff(
    work: &Checkout,
    path: Option<&RelPath>,
    staged: bool,
) -> Result<String, GitError> {
    require_repository(work).await?;
    if let Some(path) = path {
        resolve_inside(work.work_tree(), path)?;
    }
    let git = Git::at(work).literal_pathspecs();
    let mut args = vec![
        OsStr::new("diff"),
        OsStr::new("--no-ext-diff"),
        OsStr::new("--no-textconv"),
        OsStr::new("--no-color"),
    ];
    if staged {
        args.push(OsStr::new("--cached"));
    }
    args.push(OsStr::new("--"));
    if let Some(path) = path {
        args.push(path.as_path().as_os_str());
    }
    let mut text = git.text(&args).await?;
    if let (Some(path), false) = (path, staged) {
        for untracked in untracked_files(&git, path).await? {
            text.push_str(&new_file_diff(&git, &untracked).await?);
        }
    }
    Ok(text)
}

/// Untracked, not ignored files at or under `path`.
async fn untracked_files(git: &Git<'_>, path: &RelPath) -> Result<Vec<String>, GitError> {
    let stdout = git
        .run([
            OsStr::new("ls-files"),
            OsStr::new("--others"),
            OsStr::new("--exclude-standard"),
            OsStr::new("-z"),
            OsStr::new("--"),
            path.as_path().as_os_str(),
        ])
        .await?;
    Ok(String::from_utf8_lossy(&stdout)
        .split('\0')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect())
}

async fn new_file_diff(git: &Git<'_>, file: &str) -> Result<String, GitError> {
    // `--no-index` exits with 1 when the two sides differ, which they always do here.
    let finished = git
        .run_accepting(
            [
                "diff",
                "--no-index",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                "--",
                "/dev/null",
                file,
            ],
            &[0, 1],
        )
        .await?;
    Ok(finished.text())
}

/// Stages `paths` as they are in the work tree, deletions included.
pub async fn stage(work: &Checkout, paths: &[RelPath]) -> Result<(), GitError> {
    update_index(work, paths, &["add", "--all", "--"]).await
}

/// Takes `paths` out of the index again, leaving the work tree as it is; works before the first commit.
pub async fn unstage(work: &Checkout, paths: &[RelPath]) -> Result<(), GitError> {
    update_index(work, paths, &["reset", "--quiet", "--"]).await
}

async fn update_index(
    work: &Checkout,
    paths: &[RelPath],
    command: &[&str],
) -> Result<(), GitError> {
    require_repository(work).await?;
    for path in paths {
        resolve_inside(work.work_tree(), path)?;
    }
    if paths.is_empty() {
        return Ok(());
    }
    let args = command
        .iter()
        .map(OsStr::new)
        .chain(paths.iter().map(|path| path.as_path().as_os_str()));
    Git::at(work).literal_pathspecs().run(args).await?;
    Ok(())
}

/// Commits what is staged with `message`, under the repository's identity or the platform's
/// fallback, and returns the new commit's hash.
pub async fn commit(work: &Checkout, message: &str) -> Result<String, GitError> {
    if message.trim().is_empty() {
        return Err(GitError::EmptyCommitMessage);
    }
    require_repository(work).await?;
    let git = Git::at(work).configs(identity_settings(work).await?);
    let staged = git
        .run_accepting(["diff", "--cached", "--quiet", "--no-ext-diff"], &[0, 1])
        .await?;
    if staged.code == 0 {
        return Err(GitError::NothingToCommit);
    }
    git.run(["commit", "--quiet", "--no-verify", "-m", message])
        .await?;
    let hash = git.text(["rev-parse", "--verify", "HEAD"]).await?;
    Ok(hash.trim().to_owned())
}
