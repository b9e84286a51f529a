//! Agent personas: a system prompt, a model, an icon, an image, the reach of their MCP tools and
//! the agent CLI they run.

use crate::projects::{checked_name, optional_text};
use crate::{Engine, EngineError};
use domain::{Agent, AgentCli, AgentId, ImageRef, NewAgent, ToolScope};

/// What a client sends to create an agent.
#[derive(Clone, Debug, Default)]
pub struct AgentInput {
    pub name: String,
    pub system_prompt: Option<String>,
    pub model: Option<String>,
    pub icon: Option<String>,
    pub docker_image: Option<String>,
    /// `project` (the default) or `all_projects`, as text: parsed here.
    pub tool_scope: Option<String>,
    /// `claude` (the default) or `codex`, as text: parsed here.
    pub cli: Option<String>,
}

/// What a client may change on an agent; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct AgentChanges {
    pub name: Option<String>,
    pub system_prompt: Option<String>,
    pub model: Option<Option<String>>,
    pub icon: Option<Option<String>>,
    pub docker_image: Option<Option<String>>,
    pub tool_scope: Option<String>,
    pub cli: Option<String>,
}

/// Parses an agent's tool scope as a client wrote it; an unknown value names the accepted ones.
fn parse_tool_scope(text: &str) -> Result<ToolScope, EngineError> {
    text.trim().parse().map_err(|error| {
        EngineError::Invalid {
        code: "invalid_tool_scope",
        message: format!("{error}"),
        remediation: Some(
            "use `project` (the agent's MCP tools see only its session's project) or `all_projects`"
                .to_owned(),
        ),
    }
    })
}

/// Parses an agent's CLI as a client wrote it; an unknown value names the accepted ones.
fn parse_cli(text: &str) -> Result<AgentCli, EngineError> {
    text.trim().parse().map_err(|error| EngineError::Invalid {
        code: "invalid_cli",
        message: format!("{error}"),
        remediation: Some(
            "use `claude` (Claude Code, the default) or `codex` (OpenAI Codex)".to_owned(),
        ),
    })
}

impl Engine {
    pub async fn agents(&self) -> Result<Vec<Agent>, EngineError> {
        Ok(self.store().agents().await?)
    }

    pub async fn agent(&self, id: AgentId) -> Result<Agent, EngineError> {
        self.store()
            .agent(id)
            .await?
            .ok_or_else(|| EngineError::not_found("agent", id))
    }

    pub async fn create_agent(&self, input: AgentInput) -> Result<Agent, EngineError> {
        let name = checked_name(&input.name, "agent")?;
        let tool_scope = input
            .tool_scope
            .as_deref()
            .map(parse_tool_scope)
            .transpose()?
            .unwrap_or_default();
        let cli = input
            .cli
            .as_deref()
            .map(parse_cli)
            .transpose()?
            .unwrap_or_default();
        let docker_image = optional_text(input.docker_image);
        if let Some(image) = &docker_image {
            self.check_agent_image(image).await?;
        }
        Ok(self
            .store()
            .create_agent(NewAgent {
                name,
                system_prompt: input.system_prompt.unwrap_or_default(),
                model: optional_text(input.model),
                icon: optional_text(input.icon),
                docker_image,
                tool_scope,
                cli,
            })
            .await?)
    }

    pub async fn update_agent(
        &self,
        id: AgentId,
        changes: AgentChanges,
    ) -> Result<Agent, EngineError> {
        let name = changes
            .name
            .as_deref()
            .map(|name| checked_name(name, "agent"))
            .transpose()?;
        let tool_scope = changes
            .tool_scope
            .as_deref()
            .map(parse_tool_scope)
            .transpose()?;
        let cli = changes.cli.as_deref().map(parse_cli).transpose()?;
        let docker_image = changes.docker_image.map(optional_text);
        if let Some(Some(image)) = &docker_image {
            self.check_agent_image(image).await?;
        }
        self.store()
            .update_agent(
                id,
                store::AgentUpdate {
                    name,
                    system_prompt: changes.system_prompt,
                    model: changes.model.map(optional_text),
                    icon: changes.icon.map(optional_text),
                    docker_image,
                    tool_scope,
                    cli,
                },
            )
            .await?
            .ok_or_else(|| EngineError::not_found("agent", id))
    }

    pub async fn delete_agent(&self, id: AgentId) -> Result<(), EngineError> {
        if self.store().delete_agent(id).await? {
            Ok(())
        } else {
            Err(EngineError::not_found("agent", id))
        }
    }

    /// An image named for agents must be a valid reference and, where the runtime has images,
    /// one of the agent images present in the engine.
    pub(crate) async fn check_agent_image(&self, image: &str) -> Result<ImageRef, EngineError> {
        let image = ImageRef::parse(image)
            .map_err(|error| EngineError::invalid("invalid_image", error.to_string()))?;
        if let Some(available) = self.runtime().agent_image_names().await?
            && !available
                .iter()
                .any(|name| same_image(name, image.as_str()))
        {
            let list = if available.is_empty() {
                "none yet".to_owned()
            } else {
                available.join(", ")
            };
            return Err(EngineError::Invalid {
                code: "image_not_found",
                message: format!("image `{image}` is not an agent image present in the engine (available: {list})"),
                remediation: Some(
                    "pick one of the available images, leave it empty for the default, or build one on the Images page"
                        .to_owned(),
                ),
            });
        }
        Ok(image)
    }
}

/// Whether two image names name the same tag, `:latest` being implied when no tag is written.
pub(crate) fn same_image(a: &str, b: &str) -> bool {
    let bare = |name: &str| name.strip_suffix(":latest").unwrap_or(name).to_owned();
    bare(a) == bare(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_scope_parses_from_its_api_text() {
        assert_eq!(parse_tool_scope("project").unwrap(), ToolScope::Project);
        assert_eq!(
            parse_tool_scope("all_projects").unwrap(),
            ToolScope::AllProjects
        );
    }

    #[test]
    fn an_unknown_tool_scope_is_refused_naming_the_accepted_values() {
        let error = parse_tool_scope("everywhere").unwrap_err();
        assert_eq!(error.code(), "invalid_tool_scope");
        assert!(
            error.to_string().contains("project all_projects"),
            "{error}"
        );
    }
}
