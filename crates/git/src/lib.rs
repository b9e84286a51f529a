//! Worktree lifecycle and git operations, by running `git` on a [`Checkout`].
//!
//! This is the only crate that spawns git. It never relies on the current directory (relative
//! paths are refused), never lets git prompt or discover a repository by itself, and never runs
//! git with configuration, hooks or attributes an agent could have written: every command names
//! its git directory, whose settings are read-only to agents, and switches hooks, fsmonitor,
//! pagers, signing and submodules off. Session worktrees have git directories of their own, so an
//! agent in one cannot reach the project's refs or another session's ([`worktree`]).
//! It knows nothing of HTTP or the database: callers hand it absolute paths and parsed names.

mod branches;
mod changes;
mod command;
mod error;
mod guard;
mod include;
mod ownership;
mod paths;
mod repository;
mod review;
mod status;
mod worktree;

pub use branches::{Branch, Commit, branches, checkout, log};
pub use changes::{commit, diff, stage, unstage};
pub use error::GitError;
pub use guard::{SettingsSnapshot, remove_redirects, restore_settings, snapshot_settings};
pub use include::{MAX_COPY_BYTES, WORKTREE_INCLUDE, copy_included};
pub use ownership::refresh_index;
pub use paths::resolve_inside;
pub use repository::{Checkout, init_repository, is_repository};
pub use review::{
    MergeStrategy, Merged, Pushed, Rebased, Review, ReviewFile, SessionBranch, compare_url,
    delete_merged_branch, merge, push, rebase, review, review_diff, uncommitted_files,
};
pub use status::{FileState, FileStatus, Status, status};
pub use worktree::{
    DISPOSABLE_DIRS, Finish, SessionTree, WORKTREES_DIR, Worktree, create_worktree,
    finish_worktree, needs_worktree, restore_worktree_links, worktree_dirs, worktree_path,
};
