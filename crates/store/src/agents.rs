//! Agents: personas with a system prompt, a model, an image and an agent CLI. Exactly one is the default.

use crate::error::{corrupt, is_foreign_key_violation, is_unique_violation};
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use domain::{Agent, AgentCli, AgentId, NewAgent, ToolScope};
use uuid::fmt::Hyphenated;

/// A change to an agent; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AgentUpdate {
    pub name: Option<String>,
    pub system_prompt: Option<String>,
    /// `Some(None)` clears the model, so the CLI's own default applies.
    pub model: Option<Option<String>>,
    pub icon: Option<Option<String>>,
    pub docker_image: Option<Option<String>>,
    pub tool_scope: Option<ToolScope>,
    pub cli: Option<AgentCli>,
}

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: Hyphenated,
    name: String,
    system_prompt: String,
    model: Option<String>,
    icon: Option<String>,
    is_default: bool,
    docker_image: Option<String>,
    tool_scope: String,
    cli: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AgentRow> for Agent {
    type Error = StoreError;

    fn try_from(row: AgentRow) -> Result<Self, StoreError> {
        Ok(Agent {
            id: AgentId::from_uuid(row.id.into_uuid()),
            name: row.name,
            system_prompt: row.system_prompt,
            model: row.model,
            icon: row.icon,
            is_default: row.is_default,
            docker_image: row.docker_image,
            tool_scope: row
                .tool_scope
                .parse()
                .map_err(|error| corrupt("agents.tool_scope", error))?,
            cli: row
                .cli
                .parse()
                .map_err(|error| corrupt("agents.cli", error))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn duplicate_name(name: &str) -> StoreError {
    StoreError::Conflict(format!(
        "an agent named `{name}` already exists (names ignore case); choose another name"
    ))
}

impl Store {
    /// Stores a new, non-default agent. Names are unique, ignoring case.
    pub async fn create_agent(&self, new: NewAgent) -> Result<Agent, StoreError> {
        let now = Utc::now();
        sqlx::query_as::<_, AgentRow>(
            "INSERT INTO agents
                 (id, name, system_prompt, model, icon, is_default, docker_image, tool_scope,
                  cli, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?9, ?8, ?8)
             RETURNING *",
        )
        .bind(AgentId::new().to_string())
        .bind(&new.name)
        .bind(&new.system_prompt)
        .bind(&new.model)
        .bind(&new.icon)
        .bind(&new.docker_image)
        .bind(new.tool_scope.as_str())
        .bind(now)
        .bind(new.cli.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(|error| {
            if is_unique_violation(&error) {
                duplicate_name(&new.name)
            } else {
                error.into()
            }
        })?
        .try_into()
    }

    pub async fn agent(&self, id: AgentId) -> Result<Option<Agent>, StoreError> {
        let row = sqlx::query_as::<_, AgentRow>("SELECT * FROM agents WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Agent::try_from).transpose()
    }

    /// The agent with this name, ignoring case (how `delegate_task` names agents).
    pub async fn agent_by_name(&self, name: &str) -> Result<Option<Agent>, StoreError> {
        let row = sqlx::query_as::<_, AgentRow>("SELECT * FROM agents WHERE name = ?1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Agent::try_from).transpose()
    }

    /// The agent sessions get when none is named. `open` guarantees one exists.
    pub async fn default_agent(&self) -> Result<Agent, StoreError> {
        let row = sqlx::query_as::<_, AgentRow>("SELECT * FROM agents WHERE is_default = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(Agent::try_from).transpose()?.ok_or_else(|| {
            StoreError::Unexpected(anyhow::anyhow!(
                "the database has no default agent, so it was changed outside Agentyard; restore it from a backup"
            ))
        })
    }

    /// Every agent, oldest first (so the seeded default comes first).
    pub async fn agents(&self) -> Result<Vec<Agent>, StoreError> {
        let rows = sqlx::query_as::<_, AgentRow>("SELECT * FROM agents ORDER BY created_at, rowid")
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Agent::try_from).collect()
    }

    /// Applies `update`; `None` when no agent has this id.
    pub async fn update_agent(
        &self,
        id: AgentId,
        update: AgentUpdate,
    ) -> Result<Option<Agent>, StoreError> {
        let new_name = update.name.clone();
        let row = sqlx::query_as::<_, AgentRow>(
            "UPDATE agents SET
                 name = COALESCE(?2, name),
                 system_prompt = COALESCE(?3, system_prompt),
                 model = CASE WHEN ?4 THEN ?5 ELSE model END,
                 icon = CASE WHEN ?6 THEN ?7 ELSE icon END,
                 docker_image = CASE WHEN ?8 THEN ?9 ELSE docker_image END,
                 tool_scope = COALESCE(?10, tool_scope),
                 updated_at = ?11,
                 cli = COALESCE(?12, cli)
             WHERE id = ?1
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(update.name)
        .bind(update.system_prompt)
        .bind(update.model.is_some())
        .bind(update.model.flatten())
        .bind(update.icon.is_some())
        .bind(update.icon.flatten())
        .bind(update.docker_image.is_some())
        .bind(update.docker_image.flatten())
        .bind(update.tool_scope.map(|scope| scope.as_str()))
        .bind(Utc::now())
        .bind(update.cli.map(|cli| cli.as_str()))
        .fetch_optional(&self.pool)
        .await
        .map_err(|error| match new_name {
            Some(name) if is_unique_violation(&error) => duplicate_name(&name),
            _ => error.into(),
        })?;
        row.map(Agent::try_from).transpose()
    }

    /// Deletes an agent that no session uses. The default agent cannot be deleted.
    /// `false` when no agent has this id.
    pub async fn delete_agent(&self, id: AgentId) -> Result<bool, StoreError> {
        let Some(agent) = self.agent(id).await? else {
            return Ok(false);
        };
        if agent.is_default {
            return Err(StoreError::Conflict(format!(
                "`{}` is the default agent and cannot be deleted",
                agent.name
            )));
        }
        let in_use = |count: i64| {
            StoreError::Conflict(format!(
                "agent `{}` is used by {count} session(s); delete them or switch them to another agent first",
                agent.name
            ))
        };
        let sessions = self.count_sessions_of_agent(id).await?;
        if sessions > 0 {
            return Err(in_use(sessions));
        }
        let result = sqlx::query("DELETE FROM agents WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await;
        match result {
            Ok(done) => Ok(done.rows_affected() > 0),
            // A session created between the count and the delete: the foreign key refuses.
            Err(error) if is_foreign_key_violation(&error) => {
                Err(in_use(self.count_sessions_of_agent(id).await?))
            }
            Err(error) => Err(error.into()),
        }
    }

    async fn count_sessions_of_agent(&self, id: AgentId) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE agent_id = ?1")
            .bind(id.to_string())
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }
}
