//! The agent CLI protocols: what an agent CLI is ([`AgentCli`], [`cli`]), and its two
//! implementations, Claude Code ([`claude`]) and OpenAI Codex ([`codex`]).
//!
//! Knows the wire formats of `claude -p --input-format stream-json --output-format stream-json`
//! and `codex exec --json`, and nothing else: no processes, no IO, no storage. The engine speaks
//! only the common [`Event`]s (text, tool call, tool result, result with usage, error), each with
//! the CLI's raw JSON.
//!
//! The Claude Code protocol:
//! - [`ClaudeCommand`] renders the flags of one turn ([`command`]).
//! - [`user_message_line`], [`interrupt_line`] and [`permission_response_line`] encode stdin lines ([`input`]).
//! - [`LineParser`] frames stdout into lines ([`parser`]); [`parse_line`] types them as [`Event`]s,
//!   each with its raw JSON ([`event`]).
//!
//! # What Claude Code 2.1.332 does, as verified against the real CLI
//!
//! - One process per turn. The first stdin line is the user message; the CLI prints `system/init`
//!   (with its `session_id`), then `stream_event` deltas (only with `--include-partial-messages`),
//!   complete `assistant` messages, `user` lines carrying tool results, and a final `result`.
//!   With stdin left open the process waits for more input after `result`; close stdin to end it.
//!   It then exits 0, or 1 when the turn ended in error (an interrupt included).
//! - The `result` line is printed with `type` far from the start of the object: never find events
//!   by a prefix of the line, parse it.
//! - `--resume <session_id>` continues a conversation when `HOME` (its `~/.claude`) is the same.
//! - Permissions: `--permission-mode bypassPermissions` and `--dangerously-skip-permissions` are
//!   refused as root unless `IS_SANDBOX=1`. `acceptEdits` lets Write and Edit run as any user but
//!   denies shell commands other than plain file operations ("requires approval", listed in the
//!   result's `permission_denials`); adding `--allowedTools Bash` makes Bash run too, as root and as
//!   an unprivileged uid. MCP tools are not covered by `acceptEdits`: allow them by name
//!   (`mcp__agentyard` allows every tool of that server) through [`ClaudeCommand::allowed_tools`].
//! - `--allowedTools` takes several values, so it is rendered last.
//! - With `--permission-prompt-tool stdio` a tool that needs permission arrives on stdout as
//!   `control_request` `can_use_tool`; the turn waits until a `control_response` with
//!   `behavior: allow` (and `updatedInput`) or `behavior: deny` (and `message`) comes on stdin.
//! - `control_request` `interrupt` on stdin is answered at once with a `control_response`; the
//!   turn then ends with `result` `error_during_execution`, `is_error: true`, and no `result` text.

pub mod claude;
pub mod cli;
pub mod codex;
pub mod command;
pub mod event;
pub mod input;
pub mod parser;

pub use cli::{
    AgentCli, Capabilities, Interrupt, McpServer, MessageInput, PreApproved, TurnSpec, Unsupported,
    agent_cli,
};
pub use command::ClaudeCommand;
pub use event::{ContentBlock, Event, INVALID_LINE, ParsedEvent, TokenUsage, parse_line};
pub use input::{
    PermissionDecision, initialize_line, interrupt_line, permission_response_line, set_model_line,
    user_message_line,
};
pub use parser::{ClaudeLines, LineParser, LineReader, LineTooLong, MAX_LINE_BYTES};
