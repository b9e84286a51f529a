//! The one error type of the `git` crate: what went wrong, and what the user can do about it.

use std::io;
use std::path::PathBuf;

/// Everything a caller of this crate can act on.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "`{0}` is not a git repository the platform can act on (its `.git` must be a directory, not a file or a link); run `git init` there, or point the project at a directory that is one"
    )]
    NotARepository(PathBuf),

    #[error("`{0}` has no commits yet; make a first commit so a worktree can branch from it")]
    NoCommits(PathBuf),

    #[error("path `{0}` is not usable here; give an absolute path to an existing directory")]
    InvalidPath(String),

    #[error("path `{0}` leads outside the work path; name a file inside the project")]
    PathOutside(String),

    #[error("branch `{0}` does not exist; pick one of the repository's branches")]
    InvalidBranch(String),

    #[error("the commit message is empty; write a message that says what the commit changes")]
    EmptyCommitMessage,

    #[error("nothing is staged, so there is nothing to commit; stage the files to commit first")]
    NothingToCommit,

    #[error("the merge would conflict in {}; rebase the session onto its base and resolve them there", .0.join(", "))]
    MergeConflict(Vec<String>),

    #[error("the merge would overwrite uncommitted changes in the main checkout to {}; commit or stash them first", .0.join(", "))]
    CheckoutDirty(Vec<String>),

    #[error(
        "the base branch `{0}` moved while the merge was prepared; review the session again and retry"
    )]
    BaseMoved(String),

    #[error(
        "the base branch `{0}` does not exist in the project any more; recreate it, or push the session's branch instead"
    )]
    BaseMissing(String),

    #[error(
        "the session's worktree is on `{found}`, not on its branch `{expected}`; check out `{expected}` in it first"
    )]
    NotOnSessionBranch { expected: String, found: String },

    #[error("the session has nothing its base does not already have; there is nothing to merge")]
    NothingToMerge,

    #[error(
        "`{0}` is not a remote of the project; add it with `git remote add`, or name one that exists"
    )]
    InvalidRemote(String),

    #[error("`{command}` failed: {stderr}")]
    CommandFailed { command: String, stderr: String },

    #[error("git could not be started ({0}); install git and make sure it is on the PATH")]
    GitMissing(#[source] io::Error),

    #[error("could not access `{path}`: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}
