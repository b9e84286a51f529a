//! The platform's integration tests: one binary, a module per capability.

mod api;
mod auth;
mod compose;
mod docker_errors;
mod docker_reconcile;
mod docker_support;
mod docker_turns;
mod git_api;
mod hardening;
mod hostile;
mod images;
mod live;
mod mcp;
mod openapi;
mod platform_image;
mod preview;
mod proxy;
mod review;
mod scale;
mod scripts;
mod setup;
mod support;
mod turn_scenarios;
mod turns;
mod webhook;
mod worktrees;
