//! Keeping the world in line with the store: at boot and periodically, containers and worktrees
//! of sessions that are gone or done are removed, and idle sessions give their container back.

use crate::{Engine, EngineError};
use domain::BranchName;
use domain::{SessionId, SessionStatus};
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the maintenance task runs.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);

impl Engine {
    /// Run once at start, before serving: no session is running after a restart, and nothing
    /// a previous run left behind (containers, stale worktrees) survives it.
    pub async fn reconcile_at_boot(&self) -> Result<(), EngineError> {
        let reset = self.store().reset_run_states().await?;
        let live = self.live_sessions().await?;
        let removed = self.runtime().reconcile(&live, true).await?;
        let worktrees = self.clean_stale_worktrees().await?;
        tracing::info!(
            reset,
            containers_removed = removed.len(),
            worktrees_removed = worktrees,
            "reconciled at boot"
        );
        Ok(())
    }

    /// Starts the periodic maintenance: idle containers removed after `AGENT_IDLE_TIMEOUT`,
    /// containers and worktrees of ended sessions removed. Ends when `shutdown` is cancelled.
    pub fn spawn_maintenance(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(
                MAINTENANCE_EVERY.min(engine.config().idle_timeout.max(Duration::from_secs(1))),
            );
            ticker.tick().await;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticker.tick() => {
                        if let Err(error) = engine.maintain().await {
                            tracing::warn!(%error, "maintenance failed; will try again");
                        }
                    }
                }
            }
        })
    }

    async fn maintain(&self) -> Result<(), EngineError> {
        self.despawn_idle().await?;
        let live = self.live_sessions().await?;
        let removed = self.runtime().reconcile(&live, false).await?;
        if !removed.is_empty() {
            tracing::info!(?removed, "removed containers of ended sessions");
        }
        self.clean_stale_worktrees().await?;
        Ok(())
    }

    /// Releases the agent process and the container of every session idle (or warmed and not
    /// used) for longer than `AGENT_IDLE_TIMEOUT`.
    pub async fn despawn_idle(&self) -> Result<(), EngineError> {
        let timeout = self.config().idle_timeout;
        let expired: Vec<SessionId> = {
            let running = self.streaming_sessions();
            let idle = self.inner.idle_since.lock().expect("idle lock");
            idle.iter()
                // A running preview is use too: its dev server lives in the container.
                .filter(|(id, since)| {
                    since.elapsed() >= timeout
                        && !running.contains(id)
                        && !self.preview_running(**id)
                })
                .map(|(id, _)| *id)
                .collect()
        };
        for id in expired {
            // The release is the session's own work, so no turn starts while it runs: a message
            // arriving meanwhile waits for it, then starts a new agent.
            self.release_when_idle(id);
        }
        Ok(())
    }

    async fn live_sessions(&self) -> Result<HashSet<SessionId>, EngineError> {
        Ok(self
            .store()
            .sessions(None)
            .await?
            .into_iter()
            .filter(|session| session.status != SessionStatus::Done)
            .map(|session| session.id)
            .collect())
    }

    /// Finishes worktrees of sessions that are unknown or done, as ending a session does: their
    /// work is committed and brought into the project, untracked files kept in the session's data
    /// dir. A directory the platform did not make is left in place.
    ///
    /// Each project is swept under its workspace lock, with its live sessions read inside the lock:
    /// a snapshot taken before would not know a session whose worktree was created since.
    async fn clean_stale_worktrees(&self) -> Result<usize, EngineError> {
        let mut removed = 0;
        for project in self.store().projects().await? {
            if !project.path.join(git::WORKTREES_DIR).is_dir() {
                continue;
            }
            let lock = self.workspace_lock(project.id);
            let _serialized = lock.lock().await;
            let live = self.live_sessions().await?;
            let dirs = match git::worktree_dirs(&project.path).await {
                Ok(dirs) => dirs,
                Err(error) => {
                    tracing::warn!(project = %project.id, %error, "could not list worktrees");
                    continue;
                }
            };
            for (path, session) in dirs {
                let Some(session) = session.filter(|id| !live.contains(id)) else {
                    continue;
                };
                let recorded = self.store().session(session).await?;
                let branch = recorded
                    .as_ref()
                    .and_then(|session| session.branch.as_deref())
                    .and_then(|name| BranchName::parse(name).ok())
                    .unwrap_or_else(|| BranchName::for_session(session));
                let base_commit = recorded
                    .as_ref()
                    .and_then(|session| session.base_commit.clone());
                let finished = git::finish_worktree(&git::SessionTree {
                    project: &project.path,
                    worktree: &path,
                    git_dir: &self.session_git_dir(session),
                    branch: &branch,
                    base_commit: base_commit.as_deref(),
                    keep_dir: &self.session_kept_dir(session),
                })
                .await;
                match finished {
                    Ok(finish) if !finish.left_in_place => {
                        removed += 1;
                        if recorded.is_some() {
                            if !finish.kept_files.is_empty() {
                                self.store()
                                    .set_kept_path(session, &self.session_kept_dir(session))
                                    .await?;
                            }
                            let kept = finish.branch_kept.then(|| branch.as_str());
                            self.store().set_worktree(session, None, kept).await?;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(path = %path.display(), %error, "stale worktree could not be finished");
                    }
                }
            }
        }
        Ok(removed)
    }
}
