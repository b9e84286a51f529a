//! Test support: an Anthropic Messages API compatible server playing scripted replies.
//!
//! It stands in for the model API only, so the *real* `claude` CLI runs end to end in tests:
//! [`Script`] says what the model answers ([`script`]), [`wire`] renders an answer exactly as the
//! API streams it, [`ScriptedModel`] serves it on loopback and records every request, and
//! [`claude_binary`] finds the pinned CLI to run against it.
//! It depends on no crate of the workspace.

pub mod claude_cli;
pub mod script;
pub mod server;
pub mod wire;

pub use claude_cli::{CLAUDE_BIN_VARIABLE, CLAUDE_VERSION, claude_binary};
pub use script::{Answer, DEFAULT_REPLY, Reply, Rule, Script};
pub use server::{RecordedRequest, ScriptedModel, ScriptedModelHandle};
