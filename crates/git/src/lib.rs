//! Worktree lifecycle and git operations, by running `git -C <absolute path>`.
//!
//! This is the only crate that spawns git. It never relies on the current directory (relative
//! paths are refused), never lets git prompt, and never runs hooks or other programs named by a
//! repository's configuration, because agents can write that configuration.
//! It knows nothing of HTTP or the database: callers hand it absolute paths and parsed names.

mod branches;
mod changes;
mod command;
mod error;
mod paths;
mod repository;
mod status;
mod worktree;

pub use branches::{Branch, Commit, branches, checkout, log};
pub use changes::{commit, diff, stage, unstage};
pub use error::GitError;
pub use paths::resolve_inside;
pub use repository::{init_repository, is_repository};
pub use status::{FileState, FileStatus, Status, status};
pub use worktree::{
    Removal, WORKTREES_DIR, Worktree, cleanup_stale_worktrees, create_worktree, needs_worktree,
    remove_worktree, session_work_path, worktree_path,
};
