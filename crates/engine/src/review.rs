//! The use cases of review and merge: a session's work against its base branch, merging it into
//! the base (which ends the session as `done` does), rebasing it onto the base's tip, pushing it.
//!
//! Only sessions with a worktree have a branch to review against a base; the base branch and
//! commit come from the store. An operation that writes holds the session (no turn of it starts
//! or runs meanwhile) and the project's workspace lock (no worktree is decided, created or
//! finished meanwhile); a merge is also refused while another session's turn runs on the main
//! checkout. The git work itself, and its guarantee that a refusal changes nothing, is
//! `git::review`'s.

use domain::{BranchName, RelPath, Session, SessionId, SessionMode, SessionStatus};

use crate::{Engine, EngineError, EngineEvent};

pub use git::{MergeStrategy, Pushed, ReviewFile};

/// The remote a push goes to when the caller names none.
pub const DEFAULT_REMOTE: &str = "origin";

/// A session's work against its base, as the review route answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionReview {
    /// The session branch; `None` for a session working on the main checkout.
    pub branch: Option<String>,
    pub base: Option<String>,
    pub ahead: u32,
    pub behind: u32,
    pub uncommitted: u32,
    pub files: Vec<ReviewFile>,
    pub conflicts: Vec<String>,
    pub mergeable: bool,
}

/// What a merge did: the base's new tip, and the base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    pub commit: String,
    pub base: String,
}

/// A session's branch and base, as the store records them.
struct SessionBranch {
    session: Session,
    project: std::path::PathBuf,
    worktree: git::Checkout,
    branch: BranchName,
    base: String,
}

impl SessionBranch {
    fn git(&self) -> git::SessionBranch<'_> {
        git::SessionBranch {
            project: &self.project,
            worktree: &self.worktree,
            branch: &self.branch,
            base_branch: &self.base,
        }
    }
}

/// Keeps turns of one session from starting while an operation acts on its worktree; released
/// when dropped.
struct HeldSession<'a> {
    engine: &'a Engine,
    id: SessionId,
}

impl Drop for HeldSession<'_> {
    fn drop(&mut self) {
        self.engine
            .inner
            .ending
            .lock()
            .expect("ending lock")
            .remove(&self.id);
    }
}

impl Engine {
    /// The session's work against the current tip of its base. A session on the main checkout
    /// answers with its uncommitted changes and no branch.
    pub async fn session_review(&self, id: SessionId) -> Result<SessionReview, EngineError> {
        let session = self.session(id).await?;
        refuse_explore(&session)?;
        if session.worktree_path.is_none() {
            let project = self.project(session.project_id).await?;
            let files = if git::is_repository(&project.path).await {
                git::uncommitted_files(&project.path).await?
            } else {
                Vec::new()
            };
            return Ok(SessionReview {
                branch: None,
                base: None,
                ahead: 0,
                behind: 0,
                uncommitted: u32::try_from(files.len()).unwrap_or(u32::MAX),
                files,
                conflicts: Vec::new(),
                mergeable: false,
            });
        }
        let target = self.session_branch(session).await?;
        let review = git::review(&target.git()).await?;
        Ok(SessionReview {
            branch: Some(target.branch.to_string()),
            base: Some(target.base.clone()),
            ahead: review.ahead,
            behind: review.behind,
            uncommitted: review.uncommitted,
            mergeable: review.mergeable(),
            files: review.files,
            conflicts: review.conflicts,
        })
    }

    /// One file's unified diff against the session's base.
    pub async fn session_review_diff(
        &self,
        id: SessionId,
        path: &str,
    ) -> Result<String, EngineError> {
        let path = RelPath::parse(path)
            .map_err(|error| EngineError::bad_request("invalid_path", error.to_string()))?;
        let session = self.session(id).await?;
        refuse_explore(&session)?;
        let target = self.session_branch(session).await?;
        Ok(git::review_diff(&target.git(), &path).await?)
    }

    /// Merges the session's work into its base, then ends the session as `done` does; the
    /// session branch is deleted once its work is on the base.
    pub async fn merge_session(
        &self,
        id: SessionId,
        strategy: MergeStrategy,
        message: Option<&str>,
    ) -> Result<MergeOutcome, EngineError> {
        let session = self.session(id).await?;
        refuse_explore(&session)?;
        let target = self.session_branch(session).await?;
        let held = self.hold_session(id)?;
        let merged = {
            let lock = self.workspace_lock(target.session.project_id);
            let _serialized = lock.lock().await;
            self.refuse_busy_main_checkout(&target.session).await?;
            let message = match message.map(str::trim).filter(|text| !text.is_empty()) {
                Some(message) => message.to_owned(),
                None => format!(
                    "{}\n\nThe work of session {} (branch {}).",
                    target.session.title, id, target.branch
                ),
            };
            git::merge(&target.git(), strategy, &message).await?
        };
        drop(held);
        // The worktree is finished (its branch fetched once more, nothing left behind), then the
        // branch goes: its work is on the base.
        self.end_session(&target.session).await?;
        match git::delete_merged_branch(&target.project, &target.branch, &merged.merged_tip).await {
            Ok(()) => self.store().set_worktree(id, None, None).await?,
            Err(error) => {
                tracing::warn!(session = %id, %error, "the merged session branch was kept")
            }
        }
        let session = self
            .store()
            .set_status(id, SessionStatus::Done)
            .await?
            .ok_or_else(|| EngineError::not_found("session", id))?;
        self.emit(EngineEvent::SessionUpdated(Box::new(session)));
        Ok(MergeOutcome {
            commit: merged.commit,
            base: target.base,
        })
    }

    /// Replays the session's work (its uncommitted changes committed first) onto its base's tip;
    /// returns the branch's new tip.
    pub async fn rebase_session(&self, id: SessionId) -> Result<String, EngineError> {
        let session = self.session(id).await?;
        refuse_explore(&session)?;
        let target = self.session_branch(session).await?;
        let _held = self.hold_session(id)?;
        let lock = self.workspace_lock(target.session.project_id);
        let _serialized = lock.lock().await;
        let rebased = git::rebase(&target.git()).await?;
        self.store()
            .set_base(id, Some(&target.base), &rebased.onto)
            .await?;
        Ok(rebased.commit)
    }

    /// Pushes the session branch (its uncommitted work committed first) to a remote of the
    /// project, [`DEFAULT_REMOTE`] unless named.
    pub async fn push_session(
        &self,
        id: SessionId,
        remote: Option<&str>,
    ) -> Result<Pushed, EngineError> {
        let session = self.session(id).await?;
        refuse_explore(&session)?;
        let target = self.session_branch(session).await?;
        let _held = self.hold_session(id)?;
        let lock = self.workspace_lock(target.session.project_id);
        let _serialized = lock.lock().await;
        let remote = remote
            .filter(|remote| !remote.is_empty())
            .unwrap_or(DEFAULT_REMOTE);
        Ok(git::push(&target.git(), remote).await?)
    }

    /// The session's worktree, branch and base; sessions without them are refused clearly.
    async fn session_branch(&self, session: Session) -> Result<SessionBranch, EngineError> {
        let Some(worktree) = session.worktree_path.clone() else {
            let message = if session.branch.is_some() {
                "this session has ended and its worktree is gone; its branch is in the project, merge it with git"
            } else {
                "this session works on the project's main checkout, so its changes are already there and it has no branch to merge; commit them with Source Control"
            };
            return Err(EngineError::bad_request("no_session_branch", message));
        };
        let Some(base) = session.base_branch.clone() else {
            return Err(EngineError::bad_request(
                "no_base_branch",
                "the main checkout had no branch checked out (a detached HEAD) when this session's worktree was cut, so it has no base to merge into; push its branch instead",
            ));
        };
        let branch = match &session.branch {
            Some(branch) => BranchName::parse(branch)
                .map_err(|error| EngineError::unexpected(error.to_string()))?,
            None => BranchName::for_session(session.id),
        };
        let project = self.project(session.project_id).await?.path;
        let worktree = git::Checkout::session(&worktree, &self.session_git_dir(session.id))?;
        Ok(SessionBranch {
            session,
            project,
            worktree,
            branch,
            base,
        })
    }

    /// Marks the session so no turn of it starts, refusing when one is running or queued.
    fn hold_session(&self, id: SessionId) -> Result<HeldSession<'_>, EngineError> {
        // `runs` is locked first, as `send_message` does, so a turn either is in flight here or
        // sees the mark and is refused.
        let runs = self.inner.runs.lock().expect("runs lock");
        if runs.contains_key(&id) {
            return Err(EngineError::refused(
                "session_busy",
                "the session's agent is working; wait for its turn to end, or stop it, then try again",
            ));
        }
        let mut ending = self.inner.ending.lock().expect("ending lock");
        if !ending.insert(id) {
            return Err(EngineError::refused(
                "session_busy",
                "the session is being ended or changed by another request; try again in a moment",
            ));
        }
        Ok(HeldSession { engine: self, id })
    }

    /// Refuses while a turn of another session of the project runs on the main checkout.
    async fn refuse_busy_main_checkout(&self, session: &Session) -> Result<(), EngineError> {
        let others = self.store().sessions(Some(session.project_id)).await?;
        let runs = self.inner.runs.lock().expect("runs lock");
        let busy = others.iter().find(|other| {
            other.id != session.id && other.worktree_path.is_none() && runs.contains_key(&other.id)
        });
        match busy {
            Some(other) => Err(EngineError::refused(
                "checkout_busy",
                format!(
                    "session \"{}\" has a turn running on the main checkout; merge when it ends",
                    other.title
                ),
            )),
            None => Ok(()),
        }
    }
}

fn refuse_explore(session: &Session) -> Result<(), EngineError> {
    if session.mode == SessionMode::Explore {
        return Err(EngineError::bad_request(
            "explore_session",
            "explore sessions only read the project; they have no work to review or merge",
        ));
    }
    Ok(())
}
