//! Repositories as a whole: creating one for a new project, recognising one, and the identity
//! under which commits are made.

use std::path::Path;

use crate::GitError;
use crate::command::Git;
use crate::paths::{canonical, require_absolute};

/// The identity of commits when the repository (or the user's git configuration) names none.
const FALLBACK_NAME: &str = "Agentyard";
const FALLBACK_EMAIL: &str = "agentyard@localhost";

/// Creates `path` if needed, makes it a git repository whose initial branch is `main`, and gives it
/// an initial empty commit so worktrees can branch from `HEAD`.
///
/// Running it again on a repository that already has commits changes nothing.
pub async fn init_repository(path: &Path) -> Result<(), GitError> {
    require_absolute(path)?;
    tokio::fs::create_dir_all(path)
        .await
        .map_err(|source| GitError::Io {
            path: path.to_owned(),
            source,
        })?;
    let git = Git::at(path)?;
    if !is_repository(path).await {
        git.run(["init", "--quiet", "--initial-branch=main"])
            .await?;
    }
    if head_commit(path).await?.is_none() {
        platform_git(path)
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

/// Whether `path` is the top directory of a git work tree (a main checkout or a worktree).
///
/// A directory merely nested inside some other repository (a home directory kept in git, say) is
/// not one: git commands there would act on that other repository.
pub async fn is_repository(path: &Path) -> bool {
    let Ok(git) = Git::at(path) else {
        return false;
    };
    let Ok(top) = git.text(["rev-parse", "--show-toplevel"]).await else {
        return false;
    };
    match (
        canonical(Path::new(top.trim_end_matches('\n'))),
        canonical(path),
    ) {
        (Ok(top), Ok(path)) => top == path,
        _ => false,
    }
}

/// Fails with [`GitError::NotARepository`] unless `path` is a repository's top directory.
pub(crate) async fn require_repository(path: &Path) -> Result<(), GitError> {
    require_absolute(path)?;
    if is_repository(path).await {
        Ok(())
    } else {
        Err(GitError::NotARepository(path.to_owned()))
    }
}

/// The commit `HEAD` points at, or `None` before the first commit.
pub(crate) async fn head_commit(work: &Path) -> Result<Option<String>, GitError> {
    let finished = Git::at(work)?
        .run_accepting(
            ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
            &[0, 1],
        )
        .await?;
    Ok((finished.code == 0).then(|| finished.text().trim().to_owned()))
}

/// `-c` settings that supply the fallback identity for whatever the configuration leaves unset.
pub(crate) async fn identity_settings(work: &Path) -> Result<Vec<String>, GitError> {
    let git = Git::at(work)?;
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
/// session's work): the repository's identity or the fallback, and no signing, which would
/// wait for a passphrase nobody can type.
pub(crate) async fn platform_git(work: &Path) -> Result<Git<'_>, GitError> {
    let identity = identity_settings(work).await?;
    Ok(Git::at(work)?
        .configs(identity)
        .config("commit.gpgsign=false"))
}
