//! Test support: a model API server playing scripted replies, speaking Anthropic's Messages API
//! (for Claude Code) and OpenAI's Responses API (for Codex).
//!
//! It stands in for the model API only, so the *real* `claude` and `codex` CLIs run end to end in
//! tests: [`Script`] says what the model answers ([`script`]), [`wire`] and [`responses`] render an
//! answer exactly as each API streams it, [`ScriptedModel`] serves both on loopback and records
//! every request, and [`claude_binary`] and [`codex_binary`] find the pinned CLIs to run against it.
//! It depends on no crate of the workspace.

pub mod claude_cli;
pub mod codex_cli;
mod pinned_cli;
pub mod responses;
pub mod script;
pub mod server;
pub mod wire;

pub use claude_cli::{CLAUDE_BIN_VARIABLE, CLAUDE_VERSION, claude_binary};
pub use codex_cli::{CODEX_BIN_VARIABLE, CODEX_VERSION, codex_binary};
pub use script::{Answer, DEFAULT_REPLY, Reply, Rule, Script};
pub use server::{RecordedRequest, ScriptedModel, ScriptedModelHandle};
