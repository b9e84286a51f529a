//! The platform's integration tests: one binary, a module per capability.

mod api;
mod auth;
mod mcp;
mod support;
mod turns;
