//! The use cases behind the git routes: status, diff, branches, log, stage, unstage, commit and
//! checkout of a project, or of one of its sessions.
//!
//! With a session, every operation acts on that session's effective path (its worktree when it
//! has one, else the project's main checkout), so a user sees and commits exactly what that agent
//! works on. Every input is parsed before git runs: a session of another project, a path that
//! leaves the work path or an invalid branch name is refused and nothing is changed.
//! The git commands themselves belong to the `git` crate; this module only decides where they run.

use crate::{Engine, EngineError};
use domain::{BranchName, ProjectId, RelPath, SessionId};

/// The answers of the git operations, re-exported so callers need not depend on the `git` crate.
pub use git::{
    Branch as GitBranch, Commit as GitCommit, FileStatus as GitFileStatus, Status as GitStatus,
};

/// How many commits the log returns when the caller names no limit, and the most it may ask for.
pub const DEFAULT_LOG_LIMIT: usize = 50;
pub const MAX_LOG_LIMIT: usize = 1000;

impl Engine {
    /// The checkout the git routes act on: the session's effective one (its worktree with the git
    /// directory the platform made for it, else the main checkout), or the project's.
    ///
    /// A session of another project is refused, so an id cannot be used to reach a work path
    /// the request does not claim.
    pub async fn git_target(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
    ) -> Result<git::Checkout, EngineError> {
        let project = self.project(project).await?;
        let Some(session) = session else {
            return Ok(git::Checkout::main(&project.path)?);
        };
        let session = self.session(session).await?;
        if session.project_id != project.id {
            return Err(EngineError::bad_request(
                "session_not_in_project",
                format!(
                    "session {} belongs to another project than {}; pass a session_id of this project, or none",
                    session.id, project.id
                ),
            ));
        }
        // A worktree recorded but gone from disk stays the effective path: acting on the main
        // checkout instead would commit a session's request where that session does not work.
        Ok(match &session.worktree_path {
            Some(worktree) => git::Checkout::session(worktree, &self.session_git_dir(session.id))?,
            None => git::Checkout::main(&project.path)?,
        })
    }

    pub async fn git_status(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
    ) -> Result<GitStatus, EngineError> {
        let work = self.git_target(project, session).await?;
        Ok(git::status(&work).await?)
    }

    /// The diff of the work path or of one file in it, of the index when `staged`.
    pub async fn git_diff(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        path: Option<&str>,
        staged: bool,
    ) -> Result<String, EngineError> {
        let path = path
            .filter(|path| !path.is_empty())
            .map(parse_path)
            .transpose()?;
        let work = self.git_target(project, session).await?;
        Ok(git::diff(&work, path.as_ref(), staged).await?)
    }

    pub async fn git_branches(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
    ) -> Result<Vec<GitBranch>, EngineError> {
        let work = self.git_target(project, session).await?;
        Ok(git::branches(&work).await?)
    }

    /// The newest commits of the work path's `HEAD`; `limit` defaults to [`DEFAULT_LOG_LIMIT`].
    pub async fn git_log(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        limit: Option<usize>,
    ) -> Result<Vec<GitCommit>, EngineError> {
        let limit = limit.unwrap_or(DEFAULT_LOG_LIMIT);
        if limit > MAX_LOG_LIMIT {
            return Err(EngineError::bad_request(
                "invalid_limit",
                format!("limit {limit} is too large; ask for at most {MAX_LOG_LIMIT} commits"),
            ));
        }
        let work = self.git_target(project, session).await?;
        Ok(git::log(&work, limit).await?)
    }

    pub async fn git_stage(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        paths: &[String],
    ) -> Result<(), EngineError> {
        let paths = parse_paths(paths)?;
        let work = self.git_target(project, session).await?;
        Ok(git::stage(&work, &paths).await?)
    }

    pub async fn git_unstage(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        paths: &[String],
    ) -> Result<(), EngineError> {
        let paths = parse_paths(paths)?;
        let work = self.git_target(project, session).await?;
        Ok(git::unstage(&work, &paths).await?)
    }

    /// Commits what is staged and returns the new commit's hash.
    pub async fn git_commit(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        message: &str,
    ) -> Result<String, EngineError> {
        let work = self.git_target(project, session).await?;
        Ok(git::commit(&work, message).await?)
    }

    pub async fn git_checkout(
        &self,
        project: ProjectId,
        session: Option<SessionId>,
        branch: &str,
    ) -> Result<(), EngineError> {
        let branch = BranchName::parse(branch)
            .map_err(|error| EngineError::bad_request("invalid_branch", error.to_string()))?;
        let work = self.git_target(project, session).await?;
        Ok(git::checkout(&work, &branch).await?)
    }
}

fn parse_path(text: &str) -> Result<RelPath, EngineError> {
    RelPath::parse(text).map_err(|error| {
        EngineError::bad_request(
            "invalid_path",
            format!("{error}; name a file by its path relative to the top of the work path"),
        )
    })
}

/// Parses every path before any is used, so one bad path means nothing is staged or unstaged.
fn parse_paths(paths: &[String]) -> Result<Vec<RelPath>, EngineError> {
    if paths.is_empty() {
        return Err(EngineError::bad_request(
            "no_paths",
            "`paths` is empty; name at least one file",
        ));
    }
    paths.iter().map(|path| parse_path(path)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_escaping_path_refuses_the_whole_list() {
        let paths = ["ok.txt".to_owned(), "../outside".to_owned()];
        assert!(matches!(
            parse_paths(&paths),
            Err(EngineError::BadRequest {
                code: "invalid_path",
                ..
            })
        ));
    }

    #[test]
    fn absolute_paths_are_refused() {
        assert!(parse_path("/etc/passwd").is_err());
    }

    #[test]
    fn an_empty_path_list_is_refused() {
        assert!(parse_paths(&[]).is_err());
    }
}
