//! Repositories as a whole: the [`Checkout`] every command runs on, creating a repository for a
//! new project, recognising one, and the identity under which the platform commits.

use std::path::{Path, PathBuf};

use crate::GitError;
use crate::command::Git;
use crate::paths::require_absolute;

/// The identity of commits when the repository (or the user's git configuration) names none.
const FALLBACK_NAME: &str = "Agentyard";
const FALLBACK_EMAIL: &str = "agentyard@localhost";

/// A work tree and the git directory the platform knows it by.
///
/// The platform never lets git discover a repository from a work tree: an agent can rewrite the
/// `.git` file of a worktree, or plant a `commondir` file in a `.git` directory, to point git at
/// configuration it wrote. Every command names its git directory through this type instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    work_tree: PathBuf,
    git_dir: PathBuf,
}

impl Checkout {
    /// The main checkout of a project, whose git directory is `<project>/.git`.
    pub fn main(project: &Path) -> Result<Checkout, GitError> {
        require_absolute(project)?;
        Ok(Checkout {
            work_tree: project.to_path_buf(),
            git_dir: project.join(".git"),
        })
    }

    /// A session's worktree and the git directory of its own that the platform made for it.
    pub fn session(work_tree: &Path, git_dir: &Path) -> Result<Checkout, GitError> {
        require_absolute(work_tree)?;
        require_absolute(git_dir)?;
        Ok(Checkout {
            work_tree: work_tree.to_path_buf(),
            git_dir: git_dir.to_path_buf(),
        })
    }

    pub fn work_tree(&self) -> &Path {
        &self.work_tree
    }

    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }
}

/// Creates `path` if needed, makes it a git repository whose initial branch is `main`, and gives it
/// an initial empty commit so worktrees can branch from `HEAD`.
///
/// Running it again on a repository that already has commits changes nothing. A directory whose
/// `.git` is not a directory (a linked worktree, a submodule, a symbolic link) is refused: its git
/// directory would be whatever that file names.
pub async fn init_repository(path: &Path) -> Result<(), GitError> {
    let checkout = Checkout::main(path)?;
    tokio::fs::create_dir_all(path)
        .await
        .map_err(|source| GitError::Io {
            path: path.to_owned(),
            source,
        })?;
    match std::fs::symlink_metadata(checkout.git_dir()) {
        Ok(metadata) if !metadata.is_dir() => {
            return Err(GitError::NotARepository(path.to_owned()));
        }
        Ok(_) => {}
        Err(_) => {
            Git::at(&checkout)
                .run(["init", "--quiet", "--initial-branch=main"])
                .await?;
        }
    }
    if head_commit(&checkout).await?.is_none() {
        platform_git(&checkout)
            .await?
            .run([
                "commit",
                "--quiet",
                "--allow-empty",
                "--no-verify",
                "-m",
                "Initial commit",
            ])
            .await?;
    }
    Ok(())
}

/// Whether `path` is the main checkout of a git repository the platform can act on: its `.git` is
/// a real directory (not a file naming another place, nor a symbolic link) that git accepts.
pub async fn is_repository(path: &Path) -> bool {
    match Checkout::main(path) {
        Ok(checkout) => is_checkout(&checkout).await,
        Err(_) => false,
    }
}

async fn is_checkout(checkout: &Checkout) -> bool {
    let is_directory = std::fs::symlink_metadata(checkout.git_dir())
        .map(|metadata| metadata.is_dir())
        .unwrap_or(false);
    is_directory
        && Git::at(checkout)
            .run(["rev-parse", "--is-inside-work-tree"])
            .await
            .is_ok()
}

/// Fails with [`GitError::NotARepository`] unless `checkout` is one git accepts.
pub(crate) async fn require_repository(checkout: &Checkout) -> Result<(), GitError> {
    if is_checkout(checkout).await {
        Ok(())
    } else {
        Err(GitError::NotARepository(checkout.work_tree().to_owned()))
    }
}

/// The commit `HEAD` points at, or `None` before the first commit.
pub(crate) async fn head_commit(checkout: &Checkout) -> Result<Option<String>, GitError> {
    resolve_commit(checkout, "HEAD").await
}

/// The commit `revision` names, or `None` when it names none.
pub(crate) async fn resolve_commit(
    checkout: &Checkout,
    revision: &str,
) -> Result<Option<String>, GitError> {
    let finished = Git::at(checkout)
        .run_accepting(
            [
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &format!("{revision}^{{commit}}"),
            ],
            &[0, 1],
        )
        .await?;
    Ok((finished.code == 0).then(|| finished.text().trim().to_owned()))
}

/// `-c` settings that supply the fallback identity for whatever the configuration leaves unset.
pub(crate) async fn identity_settings(checkout: &Checkout) -> Result<Vec<String>, GitError> {
    let git = Git::at(checkout);
    let mut settings = Vec::new();
    for (key, fallback) in [("user.name", FALLBACK_NAME), ("user.email", FALLBACK_EMAIL)] {
        let configured = git.run_accepting(["config", "--get", key], &[0, 1]).await?;
        if configured.code != 0 || configured.text().trim().is_empty() {
            settings.push(format!("{key}={fallback}"));
        }
    }
    Ok(settings)
}

/// A git invocation for commits the platform makes on its own (initial commits, saving a
/// session's work): the repository's identity or the fallback (signing is off for every command).
pub(crate) async fn platform_git(checkout: &Checkout) -> Result<Git<'_>, GitError> {
    let identity = identity_settings(checkout).await?;
    Ok(Git::at(checkout).configs(identity))
}

/// The paths that differ between two trees (or commits) of a checkout.
pub(crate) async fn changed_paths(
    checkout: &Checkout,
    from: &str,
    to: &str,
) -> Result<std::collections::BTreeSet<String>, GitError> {
    let listed = Git::at(checkout)
        .run(["diff", "--name-only", "--no-renames", "-z", from, to, "--"])
        .await?;
    Ok(crate::command::split_nul(&listed).into_iter().collect())
}
