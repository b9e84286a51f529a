//! Integration tests of the `git` crate, against the real git binary in temporary directories.

mod include;
mod operations;
mod paths;
mod repository;
mod review;
mod support;
mod worktrees;
