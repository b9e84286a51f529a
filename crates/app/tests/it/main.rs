//! The platform's integration tests: one binary, a module per capability.

mod api;
mod auth;
mod support;
mod turns;
mod worktrees;
