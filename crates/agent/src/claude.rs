//! Claude Code as an [`AgentCli`]: [`ClaudeCommand`] for the flags, [`crate::input`] for stdin
//! lines, [`LineParser`]'s default reader for stdout.

use crate::cli::{
    AgentCli, Capabilities, Interrupt, McpServer, MessageInput, PreApproved, TurnSpec, Unsupported,
};
use crate::{ClaudeCommand, LineParser, PermissionDecision, input};

/// Claude Code (`claude -p --input-format stream-json --output-format stream-json`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Claude;

impl AgentCli for Claude {
    fn kind(&self) -> domain::AgentCli {
        domain::AgentCli::Claude
    }

    fn program(&self) -> &'static str {
        "claude"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            live_process: true,
            permission_prompts: true,
            interrupt_in_band: true,
            streams_text: true,
        }
    }

    fn args(&self, turn: &TurnSpec) -> Result<Vec<String>, Unsupported> {
        Ok(claude_command(turn).args())
    }

    fn message(&self, text: &str) -> MessageInput {
        MessageInput::StdinLine(input::user_message_line(text))
    }

    fn interrupt(&self, request_id: &str) -> Interrupt {
        Interrupt::StdinLine(input::interrupt_line(request_id))
    }

    fn permission_answer(&self, request_id: &str, decision: &PermissionDecision) -> Option<String> {
        Some(input::permission_response_line(request_id, decision))
    }

    fn parser(&self) -> LineParser {
        LineParser::new()
    }

    fn initialize(&self, request_id: &str) -> Option<String> {
        Some(input::initialize_line(request_id))
    }
}

/// The [`ClaudeCommand`] of a turn: the MCP server as `--mcp-config` JSON, its pre-approved
/// tools in `--allowedTools` (`mcp__<server>` for all of them, else `mcp__<server>__<tool>`).
pub fn claude_command(turn: &TurnSpec) -> ClaudeCommand {
    ClaudeCommand {
        model: turn.model.clone(),
        resume: turn.resume.clone(),
        mode: turn.mode,
        append_system_prompt: turn.system_prompt.clone(),
        mcp_config: turn.mcp_server.as_ref().map(mcp_config),
        allowed_tools: turn
            .mcp_server
            .as_ref()
            .map(allowed_tools)
            .unwrap_or_default(),
    }
}

fn mcp_config(server: &McpServer) -> String {
    serde_json::json!({
        "mcpServers": {
            server.name.as_str(): {
                "type": "stdio",
                "command": server.command,
                "args": server.args,
            }
        }
    })
    .to_string()
}

fn allowed_tools(server: &McpServer) -> Vec<String> {
    match &server.pre_approved {
        PreApproved::All => vec![format!("mcp__{}", server.name)],
        PreApproved::Only(tools) => tools
            .iter()
            .map(|tool| format!("mcp__{}__{tool}", server.name))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::SessionMode;

    fn turn(mode: SessionMode, pre_approved: PreApproved) -> TurnSpec {
        TurnSpec {
            mode,
            model: Some("claude-x".into()),
            resume: Some("abc".into()),
            system_prompt: Some("be brief".into()),
            mcp_server: Some(McpServer {
                name: "agentyard".into(),
                command: "/run/agentyard/agentyard-bridge".into(),
                args: vec!["/run/agentyard/mcp.sock".into()],
                pre_approved,
            }),
            model_base_url: None,
            work_path: Some("/workspace".into()),
            in_container: true,
        }
    }

    #[test]
    fn a_turn_renders_the_flags_the_engine_gave_claude_before() {
        let args = Claude
            .args(&turn(SessionMode::Execute, PreApproved::All))
            .expect("claude runs every mode");
        let expected = ClaudeCommand {
            model: Some("claude-x".into()),
            resume: Some("abc".into()),
            mode: SessionMode::Execute,
            append_system_prompt: Some("be brief".into()),
            // As the engine wrote it before the CLIs had one interface.
            mcp_config: Some(
                serde_json::json!({
                    "mcpServers": {
                        "agentyard": {
                            "type": "stdio",
                            "command": "/run/agentyard/agentyard-bridge",
                            "args": ["/run/agentyard/mcp.sock"],
                        }
                    }
                })
                .to_string(),
            ),
            allowed_tools: vec!["mcp__agentyard".into()],
        }
        .args();
        assert_eq!(args, expected);
    }

    #[test]
    fn only_the_named_tools_are_allowed_when_not_all_are() {
        let args = Claude
            .args(&turn(
                SessionMode::Ask,
                PreApproved::Only(vec!["list_projects".into()]),
            ))
            .expect("claude asks in ask mode");
        assert_eq!(
            args[args.len() - 2..],
            ["--allowedTools", "mcp__agentyard__list_projects"]
        );
    }

    #[test]
    fn messages_interrupts_and_answers_are_stdin_lines() {
        assert!(
            matches!(Claude.message("hi"), MessageInput::StdinLine(line) if line.contains(r#""content":"hi""#))
        );
        assert!(
            matches!(Claude.interrupt("r1"), Interrupt::StdinLine(line) if line.contains("interrupt"))
        );
        let answer = Claude.permission_answer(
            "r2",
            &PermissionDecision::Deny {
                message: "no".into(),
            },
        );
        assert!(answer.is_some_and(|line| line.contains(r#""behavior":"deny""#)));
    }
}
