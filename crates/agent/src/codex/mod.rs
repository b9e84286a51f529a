//! OpenAI Codex as an [`AgentCli`]: `codex exec --json`, one process per turn.
//!
//! # What Codex 0.171.0 does, as verified against the real CLI
//!
//! - `codex exec --json [--config k=v]… -` reads the prompt from stdin to its end (close stdin after
//!   writing it), prints one JSON event per line (`thread.started`, `turn.started`, `item.started`,
//!   `item.completed`, `turn.completed` or `turn.failed`) and exits: no live process, no text deltas
//!   (an `agent_message` arrives whole). It exits 0 after `turn.completed`, 1 after `turn.failed`.
//! - `codex exec … resume <thread id> -` continues the conversation kept in `$CODEX_HOME/sessions`
//!   (default `~/.codex`; the directory must exist). The thread id is `thread.started`'s.
//! - SIGINT stops the turn at once: the running command is killed, codex exits 1 without a
//!   `turn.*` event, and a resume later sees the turn as aborted.
//! - The model API is a custom provider (`model_providers.<name>={base_url, env_key,
//!   wire_api="responses"}` and `model_provider=<name>`): `POST <base_url>/responses`, streamed.
//!   The built-in provider ignores `OPENAI_BASE_URL`.
//! - MCP servers are `mcp_servers.<name>.command`/`.args`; their tools are offered to the model
//!   behind its `tool_search` tool, in the namespace `mcp__<name>`. A call runs only when approved,
//!   and `codex exec` never asks (a call is refused as "requires approval, but approval policy is
//!   never"): `default_tools_approval_mode="approve"` approves the tools, `enabled_tools` limits them.
//! - `--sandbox read-only|workspace-write` confines commands with codex's own sandbox
//!   (bubblewrap), which cannot start in a hardened container ("No permissions to create a new
//!   namespace"): there `--dangerously-bypass-approvals-and-sandbox` runs them, the container being
//!   the sandbox. Without a git repository, `--skip-git-repo-check` is needed.
//! - Stderr carries notes (`Reading additional input from stdin...`, warnings); stdout only events.

mod command;
mod events;

pub use command::{API_KEY_VARIABLE, PROVIDER, exec_args, toml_string};
pub use events::CodexLines;

use crate::cli::{AgentCli, Capabilities, Interrupt, MessageInput, TurnSpec, Unsupported};
use crate::{LineParser, MAX_LINE_BYTES, PermissionDecision};

/// OpenAI Codex (`codex exec --json`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Codex;

impl AgentCli for Codex {
    fn kind(&self) -> domain::AgentCli {
        domain::AgentCli::Codex
    }

    fn program(&self) -> &'static str {
        "codex"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            live_process: false,
            permission_prompts: false,
            interrupt_in_band: false,
            streams_text: false,
        }
    }

    fn args(&self, turn: &TurnSpec) -> Result<Vec<String>, Unsupported> {
        exec_args(turn)
    }

    fn message(&self, text: &str) -> MessageInput {
        MessageInput::StdinThenClose(text.to_owned())
    }

    fn interrupt(&self, _request_id: &str) -> Interrupt {
        Interrupt::SigInt
    }

    fn permission_answer(
        &self,
        _request_id: &str,
        _decision: &PermissionDecision,
    ) -> Option<String> {
        None
    }

    fn parser(&self) -> LineParser {
        LineParser::with_reader(Box::new(CodexLines::default()), MAX_LINE_BYTES)
    }
}
