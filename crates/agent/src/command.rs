//! The `claude` command line for one headless turn.
//!
//! Owns the flags only; spawning the process (locally or by exec in a container) is the engine's.

use domain::SessionMode;

/// Every flag of one `claude` turn, as named fields; [`ClaudeCommand::args`] renders them.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaudeCommand {
    /// `--model`; `None` leaves the CLI's default.
    pub model: Option<String>,
    /// Claude Code's own session id of an earlier turn, for `--resume`.
    pub resume: Option<String>,
    pub mode: SessionMode,
    /// Extra system prompt text (the agent persona and the project context).
    pub append_system_prompt: Option<String>,
    /// MCP servers as JSON text or a path to a JSON file; when set, only these servers are used.
    pub mcp_config: Option<String>,
    /// Tools allowed without a prompt on top of what the mode allows, e.g. `mcp__agentyard`
    /// (every tool of that MCP server) or `Bash(git log:*)`.
    pub allowed_tools: Vec<String>,
}

/// The tools execute mode runs without asking, besides the edits that `acceptEdits` allows.
const EXECUTE_ALLOWED_TOOLS: &[&str] = &["Bash"];

impl ClaudeCommand {
    /// A first turn in `mode` with the CLI's defaults for everything else.
    pub fn new(mode: SessionMode) -> Self {
        Self {
            model: None,
            resume: None,
            mode,
            append_system_prompt: None,
            mcp_config: None,
            allowed_tools: Vec::new(),
        }
    }

    /// The arguments after the program name.
    pub fn args(&self) -> Vec<String> {
        let mut args: Vec<String> = [
            "-p",
            "--input-format",
            "stream-json",
            "--output-format",
            "stream-json",
            "--verbose",
            "--include-partial-messages",
        ]
        .map(String::from)
        .to_vec();
        if let Some(resume) = &self.resume {
            args.extend(["--resume".into(), resume.clone()]);
        }
        if let Some(model) = &self.model {
            args.extend(["--model".into(), model.clone()]);
        }
        let mut allowed_tools: Vec<String> = Vec::new();
        match self.mode {
            SessionMode::Explore => args.extend(["--permission-mode".into(), "plan".into()]),
            // With `stdio` the CLI asks us: each tool call that needs a permission arrives on
            // stdout as a `control_request` `can_use_tool` and waits for our `control_response`.
            SessionMode::Ask => {
                args.extend(["--permission-prompt-tool".into(), "stdio".into()]);
            }
            // `bypassPermissions` (and `--dangerously-skip-permissions`) would be simpler, but the
            // CLI refuses them when run as root unless IS_SANDBOX=1, and tests and local mode may run
            // as root. `acceptEdits` lets Write and Edit run for any user, yet still refuses shell
            // commands that are not plain file operations ("requires approval"); allowing `Bash`
            // explicitly closes that gap. Verified with claude 2.1.332 as root and as uid 1000.
            SessionMode::Execute => {
                args.extend(["--permission-mode".into(), "acceptEdits".into()]);
                allowed_tools.extend(EXECUTE_ALLOWED_TOOLS.iter().map(|tool| tool.to_string()));
            }
        }
        if let Some(prompt) = &self.append_system_prompt {
            args.extend(["--append-system-prompt".into(), prompt.clone()]);
        }
        if let Some(config) = &self.mcp_config {
            args.extend([
                "--mcp-config".into(),
                config.clone(),
                "--strict-mcp-config".into(),
            ]);
        }
        for tool in &self.allowed_tools {
            if !allowed_tools.contains(tool) {
                allowed_tools.push(tool.clone());
            }
        }
        if !allowed_tools.is_empty() {
            // The option takes several values; it comes last so that nothing after it can be
            // mistaken for one more tool.
            args.push("--allowedTools".into());
            args.extend(allowed_tools);
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [&str; 7] = [
        "-p",
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--verbose",
        "--include-partial-messages",
    ];

    fn command(mode: SessionMode) -> ClaudeCommand {
        ClaudeCommand::new(mode)
    }

    #[test]
    fn every_turn_streams_json_both_ways_with_partial_messages() {
        for mode in SessionMode::ALL {
            assert_eq!(command(*mode).args()[..7], BASE);
        }
    }

    #[test]
    fn explore_runs_in_plan_mode() {
        assert_eq!(
            command(SessionMode::Explore).args()[7..],
            ["--permission-mode", "plan"]
        );
    }

    #[test]
    fn ask_asks_for_permissions_over_stdio() {
        assert_eq!(
            command(SessionMode::Ask).args()[7..],
            ["--permission-prompt-tool", "stdio"]
        );
    }

    #[test]
    fn execute_accepts_edits_and_allows_the_shell_without_bypassing_permissions() {
        let args = command(SessionMode::Execute).args();
        assert_eq!(
            args[7..],
            ["--permission-mode", "acceptEdits", "--allowedTools", "Bash"]
        );
        assert!(
            !args
                .iter()
                .any(|arg| arg.contains("bypass") || arg.contains("dangerously"))
        );
    }

    #[test]
    fn every_optional_flag_is_rendered_with_its_value() {
        let args = ClaudeCommand {
            model: Some("claude-x".into()),
            resume: Some("abc".into()),
            mode: SessionMode::Execute,
            append_system_prompt: Some("be brief".into()),
            mcp_config: Some(r#"{"mcpServers":{}}"#.into()),
            allowed_tools: vec!["mcp__agentyard".into(), "Bash".into()],
        }
        .args();
        assert_eq!(
            args[7..],
            [
                "--resume",
                "abc",
                "--model",
                "claude-x",
                "--permission-mode",
                "acceptEdits",
                "--append-system-prompt",
                "be brief",
                "--mcp-config",
                r#"{"mcpServers":{}}"#,
                "--strict-mcp-config",
                "--allowedTools",
                "Bash",
                "mcp__agentyard",
            ]
        );
    }
}
