//! The platform's integration tests: one binary, a module per capability.

mod api;
mod auth;
mod git_api;
mod support;
mod turns;
mod worktrees;
