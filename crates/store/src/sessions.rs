//! Sessions: one conversation of one agent in one project, with its workflow column, mode,
//! worktree, images, Claude Code session id and live run state.

use crate::error::{corrupt, is_foreign_key_violation};
use crate::{Store, StoreError, path_text};
use chrono::{DateTime, Utc};
use domain::{
    AgentId, Delegation, NewSession, ProjectId, RunState, Session, SessionId, SessionMode,
    SessionStatus,
};
use std::path::{Path, PathBuf};
use uuid::fmt::Hyphenated;

/// A change to a session's settings; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct SessionUpdate {
    pub title: Option<String>,
    pub agent_id: Option<AgentId>,
    pub mode: Option<SessionMode>,
    /// `Some(None)` clears the session's explicit image.
    pub docker_image: Option<Option<String>>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Hyphenated,
    project_id: Hyphenated,
    agent_id: Hyphenated,
    title: String,
    status: String,
    mode: String,
    worktree_path: Option<String>,
    branch: Option<String>,
    base_branch: Option<String>,
    base_commit: Option<String>,
    kept_path: Option<String>,
    docker_image: Option<String>,
    image: Option<String>,
    cc_session_id: Option<String>,
    run_state: String,
    created_by: Option<Hyphenated>,
    delegation_depth: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<SessionRow> for Session {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<Self, StoreError> {
        Ok(Session {
            id: SessionId::from_uuid(row.id.into_uuid()),
            project_id: ProjectId::from_uuid(row.project_id.into_uuid()),
            agent_id: AgentId::from_uuid(row.agent_id.into_uuid()),
            title: row.title,
            status: row
                .status
                .parse::<SessionStatus>()
                .map_err(|error| corrupt("sessions.status", error))?,
            mode: row
                .mode
                .parse::<SessionMode>()
                .map_err(|error| corrupt("sessions.mode", error))?,
            worktree_path: row.worktree_path.map(PathBuf::from),
            branch: row.branch,
            base_branch: row.base_branch,
            base_commit: row.base_commit,
            kept_path: row.kept_path.map(PathBuf::from),
            docker_image: row.docker_image,
            image: row.image,
            cc_session_id: row.cc_session_id,
            run_state: row
                .run_state
                .parse::<RunState>()
                .map_err(|error| corrupt("sessions.run_state", error))?,
            delegation: match (row.created_by, row.delegation_depth) {
                (None, 0) => None,
                (creator, depth) => Some(Delegation {
                    creator: creator.map(|id| SessionId::from_uuid(id.into_uuid())),
                    depth: u32::try_from(depth)
                        .map_err(|error| corrupt("sessions.delegation_depth", error))?,
                }),
            },
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The error for a write to a session that is not there, usually deleted while a turn ran.
pub(crate) fn session_gone(id: SessionId) -> StoreError {
    StoreError::Conflict(format!(
        "session {id} does not exist (it may have just been deleted)"
    ))
}

impl Store {
    /// Stores a new session in the `backlog` column, `idle`.
    pub async fn create_session(&self, new: NewSession) -> Result<Session, StoreError> {
        self.insert_session(new, None).await
    }

    /// Stores a new session that another session's agent created through `delegate_task`,
    /// recording its creator and depth in the same write.
    pub async fn create_delegated_session(
        &self,
        new: NewSession,
        creator: SessionId,
        depth: u32,
    ) -> Result<Session, StoreError> {
        self.insert_session(
            new,
            Some(Delegation {
                creator: Some(creator),
                depth,
            }),
        )
        .await
    }

    async fn insert_session(
        &self,
        new: NewSession,
        delegation: Option<Delegation>,
    ) -> Result<Session, StoreError> {
        let now = Utc::now();
        let result = sqlx::query_as::<_, SessionRow>(
            "INSERT INTO sessions
                 (id, project_id, agent_id, title, status, mode, docker_image, run_state,
                  created_by, delegation_depth, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
             RETURNING *",
        )
        .bind(SessionId::new().to_string())
        .bind(new.project_id.to_string())
        .bind(new.agent_id.to_string())
        .bind(&new.title)
        .bind(SessionStatus::Backlog.as_str())
        .bind(new.mode.as_str())
        .bind(&new.docker_image)
        .bind(RunState::Idle.as_str())
        .bind(
            delegation
                .and_then(|delegation| delegation.creator)
                .map(|creator| creator.to_string()),
        )
        .bind(delegation.map_or(0, |delegation| i64::from(delegation.depth)))
        .bind(now)
        .fetch_one(&self.pool)
        .await;
        match result {
            Ok(row) => row.try_into(),
            Err(error) if is_foreign_key_violation(&error) => {
                // SQLite does not say which reference failed; look, to name it.
                if self.project(new.project_id).await?.is_none() {
                    Err(StoreError::Conflict(format!(
                        "project {} does not exist; create the project first",
                        new.project_id
                    )))
                } else {
                    Err(missing_agent(new.agent_id))
                }
            }
            Err(error) => Err(error.into()),
        }
    }

    pub async fn session(&self, id: SessionId) -> Result<Option<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>("SELECT * FROM sessions WHERE id = ?1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .map(Session::try_from)
            .transpose()
    }

    /// The sessions of one project, or of all projects, oldest first.
    pub async fn sessions(&self, project: Option<ProjectId>) -> Result<Vec<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>(
            "SELECT * FROM sessions
             WHERE ?1 IS NULL OR project_id = ?1
             ORDER BY created_at, rowid",
        )
        .bind(project.map(|id| id.to_string()))
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Session::try_from)
        .collect()
    }

    /// Applies `update`; `None` when no session has this id.
    pub async fn update_session(
        &self,
        id: SessionId,
        update: SessionUpdate,
    ) -> Result<Option<Session>, StoreError> {
        let agent_id = update.agent_id;
        let result = sqlx::query_as::<_, SessionRow>(
            "UPDATE sessions SET
                 title = COALESCE(?2, title),
                 agent_id = COALESCE(?3, agent_id),
                 mode = COALESCE(?4, mode),
                 docker_image = CASE WHEN ?5 THEN ?6 ELSE docker_image END,
                 updated_at = ?7
             WHERE id = ?1
             RETURNING *",
        )
        .bind(id.to_string())
        .bind(update.title)
        .bind(update.agent_id.map(|agent| agent.to_string()))
        .bind(update.mode.map(|mode| mode.as_str()))
        .bind(update.docker_image.is_some())
        .bind(update.docker_image.flatten())
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await;
        match (result, agent_id) {
            (Ok(row), _) => row.map(Session::try_from).transpose(),
            (Err(error), Some(agent)) if is_foreign_key_violation(&error) => {
                Err(missing_agent(agent))
            }
            (Err(error), _) => Err(error.into()),
        }
    }

    /// Moves the session to another workflow column; `None` when no session has this id.
    pub async fn set_status(
        &self,
        id: SessionId,
        status: SessionStatus,
    ) -> Result<Option<Session>, StoreError> {
        sqlx::query_as::<_, SessionRow>(
            "UPDATE sessions SET status = ?2, updated_at = ?3 WHERE id = ?1 RETURNING *",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await?
        .map(Session::try_from)
        .transpose()
    }

    /// Records the live process state; `None` when no session has this id.
    pub async fn set_run_state(
        &self,
        id: SessionId,
        state: RunState,
    ) -> Result<Option<Session>, StoreError> {
        let _turn = self.write_turn().await;
        sqlx::query_as::<_, SessionRow>(
            "UPDATE sessions SET run_state = ?2, updated_at = ?3 WHERE id = ?1 RETURNING *",
        )
        .bind(id.to_string())
        .bind(state.as_str())
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await?
        .map(Session::try_from)
        .transpose()
    }

    /// Records the session's own worktree and branch, or clears both with `None` once the
    /// worktree is removed. A `Conflict` when the session no longer exists.
    pub async fn set_worktree(
        &self,
        id: SessionId,
        worktree: Option<&Path>,
        branch: Option<&str>,
    ) -> Result<(), StoreError> {
        let worktree = worktree.map(path_text).transpose()?;
        let result = sqlx::query(
            "UPDATE sessions SET worktree_path = ?2, branch = ?3, updated_at = ?4 WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(worktree)
        .bind(branch)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        expect_one_row(id, result.rows_affected())
    }

    /// Records where the session's worktree was cut from: the main checkout's branch (if any)
    /// and commit. A `Conflict` when the session no longer exists.
    pub async fn set_base(
        &self,
        id: SessionId,
        base_branch: Option<&str>,
        base_commit: &str,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE sessions SET base_branch = ?2, base_commit = ?3, updated_at = ?4 WHERE id = ?1",
        )
        .bind(id.to_string())
        .bind(base_branch)
        .bind(base_commit)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        expect_one_row(id, result.rows_affected())
    }

    /// Records where the files git does not track were kept when the worktree was removed.
    /// A `Conflict` when the session no longer exists.
    pub async fn set_kept_path(&self, id: SessionId, kept: &Path) -> Result<(), StoreError> {
        let result =
            sqlx::query("UPDATE sessions SET kept_path = ?2, updated_at = ?3 WHERE id = ?1")
                .bind(id.to_string())
                .bind(path_text(kept)?)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
        expect_one_row(id, result.rows_affected())
    }

    /// Records the image the last spawn resolved and used.
    /// A `Conflict` when the session no longer exists.
    pub async fn set_image(&self, id: SessionId, image: &str) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE sessions SET image = ?2, updated_at = ?3 WHERE id = ?1")
            .bind(id.to_string())
            .bind(image)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        expect_one_row(id, result.rows_affected())
    }

    /// Records Claude Code's own session id, which later turns pass to `--resume`.
    /// A `Conflict` when the session no longer exists.
    pub async fn set_cc_session_id(
        &self,
        id: SessionId,
        cc_session_id: &str,
    ) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let result =
            sqlx::query("UPDATE sessions SET cc_session_id = ?2, updated_at = ?3 WHERE id = ?1")
                .bind(id.to_string())
                .bind(cc_session_id)
                .bind(Utc::now())
                .execute(&self.pool)
                .await?;
        expect_one_row(id, result.rows_affected())
    }

    /// At boot no agent process survives from before, so every session is `idle` again.
    /// Returns how many sessions were not.
    pub async fn reset_run_states(&self) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE sessions SET run_state = ?1, updated_at = ?2 WHERE run_state <> ?1",
        )
        .bind(RunState::Idle.as_str())
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    /// Deletes the session with its messages and events. `false` when no session has this id.
    pub async fn delete_session(&self, id: SessionId) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM sessions WHERE id = ?1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }
}

fn missing_agent(id: AgentId) -> StoreError {
    StoreError::Conflict(format!(
        "agent {id} does not exist; pick an existing agent or create it first"
    ))
}

fn expect_one_row(id: SessionId, rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(session_gone(id))
    } else {
        Ok(())
    }
}
