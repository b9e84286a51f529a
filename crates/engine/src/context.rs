//! What an agent process starts with: its system prompt and its environment.
//!
//! The environment is built from an allowlist, never copied from the platform's own: the model
//! credentials, the model endpoint, the git identity and the names the operator listed in
//! `AGENT_ENV_PASSTHROUGH`. The platform's API token is never among them.

use domain::{Agent, Project, SessionMode};
use std::path::Path;

/// Variables an agent may receive from the platform's environment.
const ALLOWED_ENV: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
];

/// Names that must never reach an agent, even when listed in `AGENT_ENV_PASSTHROUGH`: the API
/// token, and the OpenAI credentials and upstream, which only the model proxy uses.
const NEVER_PASSED: &[&str] = &["AGENTYARD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"];

/// The agent's environment: the allowlisted variables present in `lookup`, then the passthrough names.
pub fn agent_environment(
    passthrough: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    ALLOWED_ENV
        .iter()
        .copied()
        .chain(passthrough.iter().map(String::as_str))
        .filter(|name| !NEVER_PASSED.contains(name))
        .filter_map(|name| lookup(name).map(|value| (name.to_owned(), value)))
        .fold(Vec::new(), |mut env, (name, value)| {
            if !env.iter().any(|(known, _)| *known == name) {
                env.push((name, value));
            }
            env
        })
}

/// Where the session works, for the system prompt.
pub(crate) struct Workplace<'a> {
    pub project: &'a Project,
    /// The work path as the agent sees it.
    pub path: &'a Path,
    /// The session branch when the session has its own worktree.
    pub branch: Option<&'a str>,
    pub mode: SessionMode,
}

/// The text appended to the CLI's own system prompt: the persona, then where and how to work.
pub(crate) fn system_prompt(agent: &Agent, workplace: &Workplace<'_>) -> String {
    let mut prompt = String::new();
    if !agent.system_prompt.trim().is_empty() {
        prompt.push_str(agent.system_prompt.trim());
        prompt.push_str("\n\n");
    }
    prompt.push_str(&format!(
        "You are {}, working in the project \"{}\" through Agentyard. Your working directory is {}",
        agent.name,
        workplace.project.name,
        workplace.path.display()
    ));
    match workplace.branch {
        Some(branch) => prompt.push_str(&format!(
            ", a git worktree of its own on branch `{branch}`: other sessions work in other checkouts.\n"
        )),
        None => prompt.push_str(", the project's main checkout.\n"),
    }
    prompt.push_str(match workplace.mode {
        SessionMode::Explore => "Mode: explore. Read, search and explain; do not change files.",
        SessionMode::Ask => "Mode: ask. The user approves each tool use before it runs.",
        SessionMode::Execute => {
            "Mode: execute. You may edit files and run commands to complete the task."
        }
    });
    prompt
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use domain::{AgentId, ProjectId};
    use std::collections::HashMap;
    use std::path::PathBuf;

    #[test]
    fn the_environment_holds_only_allowlisted_and_passthrough_variables() {
        let platform: HashMap<&str, &str> = HashMap::from([
            ("ANTHROPIC_API_KEY", "key"),
            ("AGENTYARD_TOKEN", "secret"),
            ("OPENAI_API_KEY", "sk-openai"),
            ("OPENAI_BASE_URL", "http://gateway"),
            ("AWS_SECRET_ACCESS_KEY", "aws"),
            ("MY_TOOL_HOME", "/opt/tool"),
            ("PATH", "/usr/bin"),
        ]);
        let lookup = |name: &str| platform.get(name).map(|value| value.to_string());
        let env = agent_environment(
            &[
                "MY_TOOL_HOME".to_owned(),
                "AGENTYARD_TOKEN".to_owned(),
                "OPENAI_API_KEY".to_owned(),
                "OPENAI_BASE_URL".to_owned(),
            ],
            lookup,
        );
        assert_eq!(
            env,
            vec![
                ("ANTHROPIC_API_KEY".to_owned(), "key".to_owned()),
                ("MY_TOOL_HOME".to_owned(), "/opt/tool".to_owned()),
            ]
        );
    }

    #[test]
    fn the_system_prompt_names_persona_project_path_branch_and_mode() {
        let now = Utc::now();
        let agent = Agent {
            id: AgentId::new(),
            name: "Reviewer".into(),
            system_prompt: "Be terse.".into(),
            model: None,
            icon: None,
            is_default: false,
            docker_image: None,
            tool_scope: domain::ToolScope::Project,
            cli: domain::AgentCli::Claude,
            created_at: now,
            updated_at: now,
        };
        let project = Project {
            id: ProjectId::new(),
            name: "shop".into(),
            description: String::new(),
            path: PathBuf::from("/p/shop"),
            agent_image: None,
            setup_script: None,
            copy_files: Vec::new(),
            dev_script: None,
            dev_port: None,
            created_at: now,
            updated_at: now,
        };
        let prompt = system_prompt(
            &agent,
            &Workplace {
                project: &project,
                path: Path::new("/workspace"),
                branch: Some("session/0b9c7c1e"),
                mode: SessionMode::Explore,
            },
        );
        for expected in [
            "Be terse.",
            "Reviewer",
            "\"shop\"",
            "/workspace",
            "session/0b9c7c1e",
            "explore",
        ] {
            assert!(
                prompt.contains(expected),
                "{expected} missing from {prompt}"
            );
        }
    }
}
