//! `/api/git/*`: the Source Control routes of docs/api.md, all session-aware.
//!
//! With `?session_id=` a route acts on that session's effective path (its worktree, else the main
//! checkout); without, on the project's main checkout. The checks (session of this project, paths
//! inside the work path, branch names) live in the engine and run before git changes anything.
//! The JSON shapes of these routes are camelCase, as the clients of the original system expect;
//! they are defined here because no other route uses them.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path, Query};
use axum::extract::State;
use domain::{ProjectId, SessionId};
use engine::{GitBranch, GitCommit, GitStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

/// The query every git route accepts.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Act on this session's work path (its worktree, else the main checkout); it must belong to the project.
    session_id: Option<String>,
}

impl Target {
    fn session(&self) -> Result<Option<SessionId>, ApiError> {
        self.session_id
            .as_deref()
            .filter(|id| !id.is_empty())
            .map(parse_id)
            .transpose()
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// Act on this session's work path.
    session_id: Option<String>,
    /// One file, relative to the work path; absent for the whole work path.
    path: Option<String>,
    /// The staged changes instead of the unstaged ones.
    staged: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Act on this session's work path.
    session_id: Option<String>,
    /// How many commits at most.
    limit: Option<usize>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "GitPaths", export_to = "GitPaths.ts")]
#[schema(as = GitPaths)]
pub struct PathsBody {
    paths: Vec<String>,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "GitCommit", export_to = "GitCommit.ts")]
#[schema(as = GitCommit)]
pub struct CommitBody {
    message: String,
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "GitCheckout", export_to = "GitCheckout.ts")]
#[schema(as = GitCheckout)]
pub struct CheckoutBody {
    branch: String,
}

#[derive(Serialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "GitStatus", export_to = "GitStatus.ts")]
#[schema(as = GitStatus)]
pub struct StatusBody {
    is_git_repo: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    ahead: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    behind: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    files: Option<Vec<FileBody>>,
}

#[derive(Serialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "GitFile", export_to = "GitFile.ts")]
#[schema(as = GitFile)]
pub struct FileBody {
    path: String,
    #[ts(type = "string")]
    status: &'static str,
    staged: bool,
    /// Where a renamed or copied file came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    original_path: Option<String>,
}

impl From<GitStatus> for StatusBody {
    fn from(status: GitStatus) -> Self {
        let files = status.is_git_repo.then(|| {
            status
                .files
                .into_iter()
                .map(|file| FileBody {
                    path: file.path,
                    status: file.status.as_str(),
                    staged: file.staged,
                    original_path: file.original_path,
                })
                .collect()
        });
        Self {
            is_git_repo: status.is_git_repo,
            branch: status.branch,
            ahead: status.ahead,
            behind: status.behind,
            files,
        }
    }
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "GitDiff", export_to = "GitDiff.ts")]
#[schema(as = GitDiff)]
pub struct DiffBody {
    /// The file asked for; `null` for the diff of the whole work path.
    path: Option<String>,
    diff: String,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Branch", export_to = "Branch.ts")]
#[schema(as = Branch)]
pub struct BranchBody {
    name: String,
    current: bool,
    remote: bool,
}

impl From<GitBranch> for BranchBody {
    fn from(branch: GitBranch) -> Self {
        Self {
            name: branch.name,
            current: branch.current,
            remote: branch.remote,
        }
    }
}

#[derive(Serialize, TS, ToSchema)]
#[serde(rename_all = "camelCase")]
#[ts(rename = "Commit", export_to = "Commit.ts")]
#[schema(as = Commit)]
pub struct CommitLogBody {
    hash: String,
    short_hash: String,
    message: String,
    author: String,
    date: String,
}

impl From<GitCommit> for CommitLogBody {
    fn from(commit: GitCommit) -> Self {
        Self {
            hash: commit.hash,
            short_hash: commit.short_hash,
            message: commit.message,
            author: commit.author,
            date: commit.date,
        }
    }
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "GitCommitted", export_to = "GitCommitted.ts")]
#[schema(as = GitCommitted)]
pub struct CommittedBody {
    hash: String,
}

fn project(id: &str) -> Result<ProjectId, ApiError> {
    parse_id(id)
}

#[utoipa::path(
    get,
    path = "/api/git/status/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    responses(
        (status = 200, description = "The status of the work path", body = StatusBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<StatusBody>, ApiError> {
    let status = state
        .engine
        .git_status(project(&id)?, target.session()?)
        .await?;
    Ok(Json(status.into()))
}

#[utoipa::path(
    get,
    path = "/api/git/diff/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), DiffQuery),
    responses(
        (status = 200, description = "The diff of one file, or of the whole work path", body = DiffBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
    )
)]
pub async fn diff(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<DiffQuery>,
) -> Result<Json<DiffBody>, ApiError> {
    let session = Target {
        session_id: query.session_id,
    }
    .session()?;
    let path = query.path.filter(|path| !path.is_empty());
    let diff = state
        .engine
        .git_diff(
            project(&id)?,
            session,
            path.as_deref(),
            query.staged.unwrap_or(false),
        )
        .await?;
    Ok(Json(DiffBody { path, diff }))
}

#[utoipa::path(
    get,
    path = "/api/git/branches/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    responses(
        (status = 200, description = "Local and remote branches", body = [BranchBody]),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
    )
)]
pub async fn branches(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
) -> Result<Json<Vec<BranchBody>>, ApiError> {
    let branches = state
        .engine
        .git_branches(project(&id)?, target.session()?)
        .await?;
    Ok(Json(branches.into_iter().map(BranchBody::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/git/log/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), LogQuery),
    responses(
        (status = 200, description = "The newest commits first", body = [CommitLogBody]),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
    )
)]
pub async fn log(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<Json<Vec<CommitLogBody>>, ApiError> {
    let session = Target {
        session_id: query.session_id,
    }
    .session()?;
    let commits = state
        .engine
        .git_log(project(&id)?, session, query.limit)
        .await?;
    Ok(Json(commits.into_iter().map(CommitLogBody::from).collect()))
}

/// Stages the paths and answers with the status after it, which is what a Source Control view shows next.
#[utoipa::path(
    post,
    path = "/api/git/stage/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    request_body = PathsBody,
    responses(
        (status = 200, description = "The status after staging", body = StatusBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn stage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
    Json(body): Json<PathsBody>,
) -> Result<Json<StatusBody>, ApiError> {
    let (project, session) = (project(&id)?, target.session()?);
    state
        .engine
        .git_stage(project, session, &body.paths)
        .await?;
    Ok(Json(
        state.engine.git_status(project, session).await?.into(),
    ))
}

#[utoipa::path(
    post,
    path = "/api/git/unstage/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    request_body = PathsBody,
    responses(
        (status = 200, description = "The status after unstaging", body = StatusBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn unstage(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
    Json(body): Json<PathsBody>,
) -> Result<Json<StatusBody>, ApiError> {
    let (project, session) = (project(&id)?, target.session()?);
    state
        .engine
        .git_unstage(project, session, &body.paths)
        .await?;
    Ok(Json(
        state.engine.git_status(project, session).await?.into(),
    ))
}

#[utoipa::path(
    post,
    path = "/api/git/commit/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    request_body = CommitBody,
    responses(
        (status = 200, description = "The new commit", body = CommittedBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
        (status = 409, description = "Nothing to commit", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn commit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
    Json(body): Json<CommitBody>,
) -> Result<Json<CommittedBody>, ApiError> {
    let hash = state
        .engine
        .git_commit(project(&id)?, target.session()?, &body.message)
        .await?;
    Ok(Json(CommittedBody { hash }))
}

#[utoipa::path(
    post,
    path = "/api/git/checkout/{id}",
    tag = "git",
    params(("id" = String, Path, description = "The project's id (UUID)"), Target),
    request_body = CheckoutBody,
    responses(
        (status = 200, description = "The status on the branch checked out", body = StatusBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or session", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn checkout(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(target): Query<Target>,
    Json(body): Json<CheckoutBody>,
) -> Result<Json<StatusBody>, ApiError> {
    let (project, session) = (project(&id)?, target.session()?);
    state
        .engine
        .git_checkout(project, session, &body.branch)
        .await?;
    Ok(Json(
        state.engine.git_status(project, session).await?.into(),
    ))
}
