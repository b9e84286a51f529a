//! `/api/sessions/{id}/review`, `…/review/diff`, `…/merge`, `…/rebase`, `…/push`: a session's
//! work against its base branch, and bringing it back (docs/api.md "Review and merge").
//!
//! The engine decides and checks everything; refusals answer 409 with a code and, where files
//! are concerned, their list (`merge_conflict`, `checkout_dirty`). The JSON shapes are defined
//! here because no other route uses them.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path, Query};
use axum::body::Bytes;
use axum::extract::State;
use engine::{MergeStrategy, ReviewFile, SessionReview};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Review", export_to = "Review.ts")]
#[schema(as = Review)]
pub struct ReviewBody {
    /// The session branch; `null` for a session working on the main checkout.
    branch: Option<String>,
    /// The branch the session's worktree was cut from.
    base: Option<String>,
    /// Commits of the session branch the base lacks, and the reverse.
    ahead: u32,
    behind: u32,
    /// Files changed in the worktree and not committed yet.
    uncommitted: u32,
    files: Vec<ReviewFileBody>,
    /// Files a merge into the base's tip would conflict on, found without touching a checkout.
    conflicts: Vec<String>,
    mergeable: bool,
}

impl From<SessionReview> for ReviewBody {
    fn from(review: SessionReview) -> Self {
        Self {
            branch: review.branch,
            base: review.base,
            ahead: review.ahead,
            behind: review.behind,
            uncommitted: review.uncommitted,
            files: review.files.into_iter().map(ReviewFileBody::from).collect(),
            conflicts: review.conflicts,
            mergeable: review.mergeable,
        }
    }
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "ReviewFile", export_to = "ReviewFile.ts")]
#[schema(as = ReviewFile)]
pub struct ReviewFileBody {
    path: String,
    /// `added`, `modified`, `deleted` or `type_changed`.
    status: String,
    /// Lines added and removed (both 0 for a binary file).
    additions: u32,
    deletions: u32,
}

impl From<ReviewFile> for ReviewFileBody {
    fn from(file: ReviewFile) -> Self {
        Self {
            path: file.path,
            status: file.status.as_str().to_owned(),
            additions: file.additions,
            deletions: file.deletions,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReviewDiffQuery {
    /// The file, relative to the work tree.
    path: String,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "ReviewDiff", export_to = "ReviewDiff.ts")]
#[schema(as = ReviewDiff)]
pub struct ReviewDiffBody {
    path: String,
    /// The file's unified diff against the base.
    diff: String,
}

#[derive(Deserialize, Default, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "MergeRequest", export_to = "MergeRequest.ts")]
#[schema(as = MergeRequest)]
pub struct MergeBody {
    /// `squash` (the default: one new commit on the base) or `merge` (a merge commit).
    #[ts(optional)]
    strategy: Option<String>,
    /// The commit message; the session's title when absent.
    #[ts(optional)]
    message: Option<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Merged", export_to = "Merged.ts")]
#[schema(as = Merged)]
pub struct MergedBody {
    /// The base's new tip.
    commit: String,
    base: String,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Rebased", export_to = "Rebased.ts")]
#[schema(as = Rebased)]
pub struct RebasedBody {
    /// The session branch's new tip.
    commit: String,
}

#[derive(Deserialize, Default, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "PushRequest", export_to = "PushRequest.ts")]
#[schema(as = PushRequest)]
pub struct PushBody {
    /// A remote of the project; `origin` when absent.
    #[ts(optional)]
    remote: Option<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "Pushed", export_to = "Pushed.ts")]
#[schema(as = Pushed)]
pub struct PushedBody {
    remote: String,
    branch: String,
    /// The forge's page to open a pull or merge request (GitHub, GitLab, Gitea/Forgejo).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    compare_url: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/review",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "The session's work (commits and uncommitted changes) against its base's tip", body = ReviewBody),
        (status = 400, description = "A malformed id, or an explore session", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "`base_missing` or `not_on_session_branch`", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReviewBody>, ApiError> {
    let review = state.engine.session_review(parse_id(&id)?).await?;
    Ok(Json(review.into()))
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/review/diff",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)"), ReviewDiffQuery),
    responses(
        (status = 200, description = "That file's unified diff against the base", body = ReviewDiffBody),
        (status = 400, description = "A malformed id or path, or a session without a branch", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn diff(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<ReviewDiffQuery>,
) -> Result<Json<ReviewDiffBody>, ApiError> {
    let diff = state
        .engine
        .session_review_diff(parse_id(&id)?, &query.path)
        .await?;
    Ok(Json(ReviewDiffBody {
        path: query.path,
        diff,
    }))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/merge",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = MergeBody,
    responses(
        (status = 200, description = "Merged into the base; the session is `done`, its branch deleted", body = MergedBody),
        (status = 400, description = "A malformed id, an explore session, or a session without a branch", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "Refused, nothing changed: `merge_conflict` or `checkout_dirty` (with `files`), `checkout_busy`, `session_busy`, `base_moved`, `nothing_to_merge`", body = crate::wire::ErrorBody),
        (status = 422, description = "An unknown strategy", body = crate::wire::ErrorBody),
    )
)]
pub async fn merge(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<MergedBody>, ApiError> {
    let id = parse_id(&id)?;
    let body: MergeBody = optional_body(&body)?;
    let strategy = match body.strategy.as_deref() {
        None | Some("squash") => MergeStrategy::Squash,
        Some("merge") => MergeStrategy::Merge,
        Some(other) => {
            return Err(ApiError::unprocessable(
                "invalid_value",
                format!("strategy `{other}` is unknown; use `squash` or `merge`"),
            ));
        }
    };
    let merged = state
        .engine
        .merge_session(id, strategy, body.message.as_deref())
        .await?;
    Ok(Json(MergedBody {
        commit: merged.commit,
        base: merged.base,
    }))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/rebase",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "The session branch, its uncommitted work committed first, replayed onto the base's tip", body = RebasedBody),
        (status = 400, description = "A malformed id, an explore session, or a session without a branch", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "`merge_conflict` (with `files`): branch and worktree left exactly as they were; `session_busy`", body = crate::wire::ErrorBody),
    )
)]
pub async fn rebase(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RebasedBody>, ApiError> {
    let commit = state.engine.rebase_session(parse_id(&id)?).await?;
    Ok(Json(RebasedBody { commit }))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/push",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = PushBody,
    responses(
        (status = 200, description = "The session branch pushed to the remote", body = PushedBody),
        (status = 400, description = "A malformed id, an unknown remote, an explore session, or a session without a branch", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "`session_busy`", body = crate::wire::ErrorBody),
        (status = 422, description = "The push failed (the remote refused it, or could not be reached)", body = crate::wire::ErrorBody),
    )
)]
pub async fn push(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<PushedBody>, ApiError> {
    let id = parse_id(&id)?;
    let body: PushBody = optional_body(&body)?;
    let pushed = state
        .engine
        .push_session(id, body.remote.as_deref())
        .await?;
    Ok(Json(PushedBody {
        remote: pushed.remote,
        branch: pushed.branch,
        compare_url: pushed.compare_url,
    }))
}

/// A JSON body whose fields are all optional, so a request may also send none at all.
fn optional_body<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        ApiError::unprocessable(
            "invalid_body",
            format!("the JSON body does not fit this route: {error}"),
        )
    })
}
