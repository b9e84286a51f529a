//! The `codex exec` command line for one turn.
//!
//! Owns the flags only; spawning the process is the engine's. Every value reaches codex as a
//! `-c key=value` override whose value is TOML, so each is written as a TOML string or array here,
//! never pasted raw.

use crate::cli::{McpServer, PreApproved, TurnSpec, Unsupported};
use domain::SessionMode;

/// The name of the model provider the platform registers for codex: its model proxy.
pub const PROVIDER: &str = "agentyard";

/// The variable codex reads the provider's key from; the agent only ever holds a placeholder.
pub const API_KEY_VARIABLE: &str = "OPENAI_API_KEY";

/// The arguments of a `codex exec` turn, after the program name.
///
/// In a container ([`TurnSpec::in_container`]), which confines the agent already and where codex's
/// own sandbox cannot start (verified: bubblewrap finds no user namespaces), commands run without
/// codex's sandbox in every mode; locally, codex's sandbox confines them (read-only for explore).
pub fn exec_args(turn: &TurnSpec) -> Result<Vec<String>, Unsupported> {
    let mut args: Vec<String> = ["exec", "--json", "--skip-git-repo-check"]
        .map(String::from)
        .to_vec();
    match (turn.mode, turn.in_container) {
        (SessionMode::Ask, _) => {
            return Err(Unsupported {
                message: "codex cannot ask before running a tool (`codex exec` has no permission \
                          prompts), so a codex agent does not run in ask mode; use explore mode \
                          (read-only) or execute mode, or give the session a claude agent"
                    .to_owned(),
            });
        }
        // Codex's own sandbox (bubblewrap) cannot start in a hardened container (no user
        // namespaces): every command would fail. There the container is the sandbox, and an
        // explore session's checkout is mounted read-only.
        (SessionMode::Explore | SessionMode::Execute, true) => {
            args.push("--dangerously-bypass-approvals-and-sandbox".into());
        }
        (SessionMode::Explore, false) => args.extend(["--sandbox".into(), "read-only".into()]),
        (SessionMode::Execute, false) => {
            args.extend(["--sandbox".into(), "workspace-write".into()]);
        }
    }
    if let Some(model) = &turn.model {
        args.extend(["--model".into(), model.clone()]);
    }
    if let Some(base_url) = &turn.model_base_url {
        config(&mut args, "model_provider", &toml_string(PROVIDER));
        config(
            &mut args,
            &format!("model_providers.{PROVIDER}"),
            &format!(
                "{{name={}, base_url={}, env_key={}, wire_api=\"responses\"}}",
                toml_string("Agentyard model proxy"),
                toml_string(base_url),
                toml_string(API_KEY_VARIABLE),
            ),
        );
    }
    if let Some(prompt) = &turn.system_prompt {
        config(&mut args, "developer_instructions", &toml_string(prompt));
    }
    if let Some(server) = &turn.mcp_server {
        mcp_server(&mut args, server)?;
    }
    if let Some(path) = &turn.work_path {
        args.extend(["--cd".into(), path.clone()]);
    }
    if let Some(thread) = &turn.resume {
        if !is_thread_id(thread) {
            return Err(Unsupported {
                message: format!(
                    "`{thread}` is not a codex thread id (a UUID), so the conversation cannot be \
                     resumed; start a new session"
                ),
            });
        }
        args.extend(["resume".into(), thread.clone()]);
    }
    // The prompt is read from stdin, which the engine closes after writing the message.
    args.push("-".into());
    Ok(args)
}

/// Registers the platform's MCP server. Codex runs an MCP tool only when it is approved, and
/// `codex exec` cannot ask: the pre-approved tools are approved, and the others are not offered.
fn mcp_server(args: &mut Vec<String>, server: &McpServer) -> Result<(), Unsupported> {
    let name = &server.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || matches!(character, '_' | '-'))
    {
        return Err(Unsupported {
            message: format!(
                "`{name}` cannot name a codex MCP server (letters, digits, _ and - only)"
            ),
        });
    }
    config(
        args,
        &format!("mcp_servers.{name}.command"),
        &toml_string(&server.command),
    );
    config(
        args,
        &format!("mcp_servers.{name}.args"),
        &toml_array(&server.args),
    );
    config(
        args,
        &format!("mcp_servers.{name}.default_tools_approval_mode"),
        &toml_string("approve"),
    );
    if let PreApproved::Only(tools) = &server.pre_approved {
        config(
            args,
            &format!("mcp_servers.{name}.enabled_tools"),
            &toml_array(tools),
        );
    }
    Ok(())
}

fn config(args: &mut Vec<String>, key: &str, value: &str) {
    args.extend(["--config".into(), format!("{key}={value}")]);
}

/// `text` as a TOML basic string: quotes, backslashes and every control character escaped.
pub fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            control if control.is_control() => {
                quoted.push_str(&format!("\\u{:04X}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

fn toml_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| toml_string(item)).collect();
    format!("[{}]", items.join(", "))
}

/// A codex thread id is a UUID; anything else (an option, a path) is never passed to `resume`.
fn is_thread_id(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(index, character)| match index {
            8 | 13 | 18 | 23 => character == '-',
            _ => character.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREAD: &str = "01a21df0-ab81-7300-a472-9bc1945d42d9";

    fn turn(mode: SessionMode) -> TurnSpec {
        TurnSpec {
            mode,
            model: None,
            resume: None,
            system_prompt: None,
            mcp_server: None,
            model_base_url: None,
            work_path: None,
            in_container: false,
        }
    }

    #[test]
    fn in_a_container_codexs_own_sandbox_is_never_asked_for() {
        let mut explore = turn(SessionMode::Explore);
        explore.in_container = true;
        let args = exec_args(&explore).expect("explore runs");
        assert_eq!(args[3], "--dangerously-bypass-approvals-and-sandbox");
        assert!(!args.contains(&"--sandbox".to_owned()));
    }

    #[test]
    fn a_first_turn_reads_its_prompt_from_stdin_as_json_events() {
        assert_eq!(
            exec_args(&turn(SessionMode::Explore)).expect("explore runs"),
            [
                "exec",
                "--json",
                "--skip-git-repo-check",
                "--sandbox",
                "read-only",
                "-"
            ]
        );
    }

    #[test]
    fn ask_mode_is_refused_because_codex_cannot_ask() {
        let error = exec_args(&turn(SessionMode::Ask)).expect_err("no prompts");
        assert!(error.message.contains("ask mode"), "{}", error.message);
    }

    #[test]
    fn execute_writes_in_codexs_sandbox_or_in_the_container_without_it() {
        let local = exec_args(&turn(SessionMode::Execute)).expect("execute runs");
        assert_eq!(local[3..5], ["--sandbox", "workspace-write"]);
        let mut in_container = turn(SessionMode::Execute);
        in_container.in_container = true;
        let contained = exec_args(&in_container).expect("execute runs");
        assert_eq!(contained[3], "--dangerously-bypass-approvals-and-sandbox");
    }

    #[test]
    fn every_value_is_rendered_as_toml_and_resume_comes_last() {
        let args = exec_args(&TurnSpec {
            mode: SessionMode::Execute,
            model: Some("gpt-5.5".into()),
            resume: Some(THREAD.into()),
            system_prompt: Some("say \"hi\"\nthen stop".into()),
            mcp_server: Some(McpServer {
                name: "agentyard".into(),
                command: "/run/agentyard/agentyard-bridge".into(),
                args: vec!["/run/agentyard/mcp.sock".into()],
                pre_approved: PreApproved::Only(vec!["list_projects".into()]),
            }),
            model_base_url: Some("http://127.0.0.1:9/v1".into()),
            work_path: Some("/workspace".into()),
            in_container: true,
        })
        .expect("execute runs");
        let expected: Vec<String> = [
            "exec",
            "--json",
            "--skip-git-repo-check",
            "--dangerously-bypass-approvals-and-sandbox",
            "--model",
            "gpt-5.5",
            "--config",
            "model_provider=\"agentyard\"",
            "--config",
            "model_providers.agentyard={name=\"Agentyard model proxy\", base_url=\"http://127.0.0.1:9/v1\", env_key=\"OPENAI_API_KEY\", wire_api=\"responses\"}",
            "--config",
            "developer_instructions=\"say \\\"hi\\\"\\nthen stop\"",
            "--config",
            "mcp_servers.agentyard.command=\"/run/agentyard/agentyard-bridge\"",
            "--config",
            "mcp_servers.agentyard.args=[\"/run/agentyard/mcp.sock\"]",
            "--config",
            "mcp_servers.agentyard.default_tools_approval_mode=\"approve\"",
            "--config",
            "mcp_servers.agentyard.enabled_tools=[\"list_projects\"]",
            "--cd",
            "/workspace",
            "resume",
            THREAD,
            "-",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(args, expected);
    }

    #[test]
    fn a_resume_id_that_is_not_a_thread_id_is_refused() {
        let mut spec = turn(SessionMode::Execute);
        spec.resume = Some("--dangerously-bypass-approvals-and-sandbox".into());
        assert!(exec_args(&spec).is_err());
    }

    #[test]
    fn control_characters_are_escaped_in_toml_strings() {
        assert_eq!(toml_string("a\u{7f}b\\"), "\"a\\u007Fb\\\\\"");
    }
}
