//! Sessions: one conversation of one agent in one project, and its workflow status.

use crate::projects::optional_text;
use crate::{Engine, EngineError, EngineEvent};
use domain::{
    AgentId, BranchName, Message, NewSession, ProjectId, Session, SessionId, SessionMode,
    SessionStatus,
};

/// What a client sends to create a session.
#[derive(Clone, Debug)]
pub struct SessionInput {
    pub project_id: ProjectId,
    pub agent_id: Option<AgentId>,
    pub title: Option<String>,
    pub mode: Option<SessionMode>,
    pub docker_image: Option<String>,
}

/// What a client may change on a session; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct SessionChanges {
    pub title: Option<String>,
    pub agent_id: Option<AgentId>,
    pub mode: Option<SessionMode>,
    pub docker_image: Option<Option<String>>,
}

const MAX_TITLE: usize = 200;

fn checked_title(title: &str) -> Result<String, EngineError> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "invalid_title",
            format!(
                "a session title must be at most {MAX_TITLE} characters with no control characters"
            ),
        ));
    }
    Ok(if title.is_empty() {
        "New session".to_owned()
    } else {
        title.to_owned()
    })
}

impl Engine {
    /// All sessions, or those of one project (which must exist).
    pub async fn sessions(&self, project: Option<ProjectId>) -> Result<Vec<Session>, EngineError> {
        if let Some(project) = project {
            self.project(project).await?;
        }
        Ok(self.store().sessions(project).await?)
    }

    pub async fn session(&self, id: SessionId) -> Result<Session, EngineError> {
        self.store()
            .session(id)
            .await?
            .ok_or_else(|| EngineError::not_found("session", id))
    }

    pub async fn create_session(&self, input: SessionInput) -> Result<Session, EngineError> {
        self.create_session_by(input, None).await
    }

    /// Creates a session; with `delegation` (the creating session and the new session's depth),
    /// as `delegate_task` does, recording who created it.
    pub(crate) async fn create_session_by(
        &self,
        input: SessionInput,
        delegation: Option<(SessionId, u32)>,
    ) -> Result<Session, EngineError> {
        self.project(input.project_id).await?;
        let agent = match input.agent_id {
            Some(id) => self.agent(id).await?,
            None => self.store().default_agent().await?,
        };
        let title = checked_title(input.title.as_deref().unwrap_or_default())?;
        let docker_image = optional_text(input.docker_image);
        if let Some(image) = &docker_image {
            self.check_agent_image(image).await?;
        }
        let new = NewSession {
            project_id: input.project_id,
            agent_id: agent.id,
            title,
            mode: input.mode.unwrap_or(SessionMode::DEFAULT),
            docker_image,
        };
        let session = match delegation {
            None => self.store().create_session(new).await?,
            Some((creator, depth)) => {
                self.store()
                    .create_delegated_session(new, creator, depth)
                    .await?
            }
        };
        self.emit(EngineEvent::SessionUpdated(Box::new(session.clone())));
        Ok(session)
    }

    pub async fn update_session(
        &self,
        id: SessionId,
        changes: SessionChanges,
    ) -> Result<Session, EngineError> {
        self.session(id).await?;
        if let Some(agent) = changes.agent_id {
            self.agent(agent).await?;
        }
        let title = changes.title.as_deref().map(checked_title).transpose()?;
        let docker_image = changes.docker_image.map(optional_text);
        if let Some(Some(image)) = &docker_image {
            self.check_agent_image(image).await?;
        }
        let session = self
            .store()
            .update_session(
                id,
                store::SessionUpdate {
                    title,
                    agent_id: changes.agent_id,
                    mode: changes.mode,
                    docker_image,
                },
            )
            .await?
            .ok_or_else(|| EngineError::not_found("session", id))?;
        self.emit(EngineEvent::SessionUpdated(Box::new(session.clone())));
        Ok(session)
    }

    /// Moves a session to another column. `done` ends it: its turn is stopped, its container
    /// removed and its worktree removed with every uncommitted change committed to its branch.
    pub async fn set_session_status(
        &self,
        id: SessionId,
        status: SessionStatus,
    ) -> Result<Session, EngineError> {
        let session = self.session(id).await?;
        if status == SessionStatus::Done {
            self.end_session(&session).await?;
        }
        let session = self
            .store()
            .set_status(id, status)
            .await?
            .ok_or_else(|| EngineError::not_found("session", id))?;
        self.emit(EngineEvent::SessionUpdated(Box::new(session.clone())));
        Ok(session)
    }

    /// Deletes a session after ending it as `done` does; work on its branch is kept.
    pub async fn delete_session(&self, id: SessionId) -> Result<(), EngineError> {
        let session = self.session(id).await?;
        self.end_session(&session).await?;
        self.store().delete_session(id).await?;
        Ok(())
    }

    pub async fn messages(&self, id: SessionId) -> Result<Vec<Message>, EngineError> {
        self.session(id).await?;
        Ok(self.store().messages(id).await?)
    }

    /// Ends a session: no turn starts while this runs; its running turn is stopped and its queue
    /// dropped, its container removed, and its worktree finished without losing work (see
    /// `git::finish_worktree`): uncommitted changes committed to the session branch, which is
    /// brought into the project, and files git does not track kept in the session's data dir.
    pub(crate) async fn end_session(&self, session: &Session) -> Result<(), EngineError> {
        self.end_turns(session.id).await;
        let ended = self.finish_session(session.id).await;
        self.inner
            .ending
            .lock()
            .expect("ending lock")
            .remove(&session.id);
        ended
    }

    async fn finish_session(&self, id: SessionId) -> Result<(), EngineError> {
        // In local mode nothing else would end it; in docker mode removing the container would.
        self.end_preview(id).await?;
        self.runtime().release(id).await?;
        self.close_endpoint(id).await;
        self.inner
            .main_checkout_claims
            .lock()
            .expect("claims lock")
            .remove(&id);
        self.inner.idle_since.lock().expect("idle lock").remove(&id);
        // Read again now that no turn can run: the last one may have made the worktree.
        let session = self.session(id).await?;
        let project = self.project(session.project_id).await?;
        let Some(worktree) = &session.worktree_path else {
            if git::is_repository(&project.path).await {
                for undone in git::remove_redirects(&project.path.join(".git"))? {
                    tracing::warn!(session = %id, %undone, "git settings restored at the end of a session");
                }
            }
            return Ok(());
        };
        let lock = self.workspace_lock(project.id);
        let _serialized = lock.lock().await;
        let branch = match &session.branch {
            Some(branch) => BranchName::parse(branch)
                .map_err(|error| EngineError::unexpected(error.to_string()))?,
            None => BranchName::for_session(id),
        };
        let keep_dir = self.session_kept_dir(id);
        let finish = git::finish_worktree(&git::SessionTree {
            project: &project.path,
            worktree,
            git_dir: &self.session_git_dir(id),
            branch: &branch,
            base_commit: session.base_commit.as_deref(),
            keep_dir: &keep_dir,
        })
        .await?;
        tracing::info!(
            session = %id,
            committed = finish.committed_changes,
            branch_kept = finish.branch_kept,
            rescued = ?finish.rescued,
            kept_files = ?finish.kept_files,
            kept_in = %keep_dir.display(),
            left_in_place = finish.left_in_place,
            "finished the session's worktree"
        );
        if !finish.kept_files.is_empty() {
            self.store().set_kept_path(id, &keep_dir).await?;
        }
        let kept = finish.branch_kept.then(|| branch.as_str());
        self.store().set_worktree(id, None, kept).await?;
        Ok(())
    }
}
