//! The platform's integration tests: one binary, a module per capability.

mod api;
mod auth;
mod images;
mod support;
mod turns;
