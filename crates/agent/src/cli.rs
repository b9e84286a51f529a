//! What an agent CLI is, for the engine: one trait, [`AgentCli`], that Claude Code and Codex implement.
//!
//! The engine describes a turn once ([`TurnSpec`]) and asks the session's CLI for its command line,
//! how a message goes in, how a running turn is interrupted, how a permission is answered, and a
//! parser from its stdout to the common [`crate::Event`]s (each keeping its raw JSON). What a CLI
//! cannot do is said by its [`Capabilities`], never discovered by failing.

use crate::parser::LineParser;
use crate::{PermissionDecision, claude, codex};
use domain::SessionMode;

/// One turn as the engine decides it, whatever the CLI.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnSpec {
    pub mode: SessionMode,
    /// The model; `None` leaves the CLI's default.
    pub model: Option<String>,
    /// The CLI's own conversation id of an earlier turn (Claude's session id, Codex's thread id).
    pub resume: Option<String>,
    /// Extra system prompt text (the agent persona and the project context).
    pub system_prompt: Option<String>,
    /// The platform's MCP server, as the agent starts it; `None` without the bridge.
    pub mcp_server: Option<McpServer>,
    /// The model API's base URL as the agent must call it, for a CLI that takes it on its command
    /// line (Codex); Claude reads `ANTHROPIC_BASE_URL` from its environment instead.
    pub model_base_url: Option<String>,
    /// The directory the agent works in, as the agent sees it.
    pub work_path: Option<String>,
    /// The agent runs in a container, which confines it (and where a CLI's own sandbox, such as
    /// Codex's, cannot start); `false` in local mode.
    pub in_container: bool,
}

/// A stdio MCP server the agent starts (the bridge to the session's socket).
#[derive(Clone, Debug, PartialEq)]
pub struct McpServer {
    /// The name the CLI registers it under (`agentyard`): tools are `mcp__<name>__<tool>`.
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    /// Which of its tools run without asking.
    pub pre_approved: PreApproved,
}

/// Which tools of an MCP server run without asking.
#[derive(Clone, Debug, PartialEq)]
pub enum PreApproved {
    /// Every tool of the server.
    All,
    /// Only these tools (bare names, `list_projects`).
    Only(Vec<String>),
}

/// What a CLI can and cannot do, so the engine never asks for what it lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// One process can run turn after turn, each message written into its stdin.
    pub live_process: bool,
    /// A tool that needs approval is asked on stdout and answered on stdin (ask mode).
    pub permission_prompts: bool,
    /// A turn is interrupted by a line on stdin (otherwise by a signal to the process).
    pub interrupt_in_band: bool,
    /// The model's text arrives delta by delta (otherwise one whole message at a time).
    pub streams_text: bool,
}

/// How a user's message reaches the CLI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageInput {
    /// This line on stdin; stdin stays open for control lines and, with a live process, more messages.
    StdinLine(String),
    /// This text on stdin, which is then closed: the CLI reads its prompt to the end of input.
    StdinThenClose(String),
}

/// How a running turn is interrupted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Interrupt {
    /// Write this line to stdin; the CLI answers and ends the turn with a result.
    StdinLine(String),
    /// Send SIGINT to the CLI's process; it stops the turn (its tools' processes too) and exits
    /// without a result, and the conversation can be resumed.
    SigInt,
}

/// The CLI cannot run a turn as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unsupported {
    /// What is refused and what to do instead.
    pub message: String,
}

/// One agent CLI: its command line per mode, its input, its interrupt, its permission answers,
/// its output parser and its capabilities. No IO: the engine spawns and feeds the process.
pub trait AgentCli: Send + Sync {
    /// Which CLI this is.
    fn kind(&self) -> domain::AgentCli;

    /// The program's name on an agent image's `PATH`.
    fn program(&self) -> &'static str;

    fn capabilities(&self) -> Capabilities;

    /// The arguments after the program name, or why this CLI cannot run the turn.
    fn args(&self, turn: &TurnSpec) -> Result<Vec<String>, Unsupported>;

    /// How `text`, the user's message, is written in.
    fn message(&self, text: &str) -> MessageInput;

    /// How the running turn is interrupted; `request_id` names an in-band request.
    fn interrupt(&self, request_id: &str) -> Interrupt;

    /// The stdin line answering permission request `request_id`, or `None` when the CLI never
    /// asks ([`Capabilities::permission_prompts`] is false).
    fn permission_answer(&self, request_id: &str, decision: &PermissionDecision) -> Option<String>;

    /// A parser of the CLI's stdout, for one process.
    fn parser(&self) -> LineParser;

    /// The stdin line that asks a freshly started process to get ready, answered with a
    /// `control_response` of `request_id` once it is; `None` when the CLI has no such request.
    fn initialize(&self, _request_id: &str) -> Option<String> {
        None
    }
}

/// The implementation of `cli`.
pub fn agent_cli(cli: domain::AgentCli) -> &'static dyn AgentCli {
    match cli {
        domain::AgentCli::Claude => &claude::Claude,
        domain::AgentCli::Codex => &codex::Codex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cli_names_its_program_and_kind() {
        for cli in domain::AgentCli::ALL {
            let implementation = agent_cli(*cli);
            assert_eq!(implementation.kind(), *cli);
            assert_eq!(implementation.program(), cli.as_str());
        }
    }

    #[test]
    fn only_claude_asks_for_permissions_and_keeps_a_live_process() {
        let claude = agent_cli(domain::AgentCli::Claude).capabilities();
        let codex = agent_cli(domain::AgentCli::Codex).capabilities();
        assert!(claude.permission_prompts && claude.live_process && claude.interrupt_in_band);
        assert!(!codex.permission_prompts && !codex.live_process && !codex.interrupt_in_band);
    }
}
