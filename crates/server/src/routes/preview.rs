//! `/api/sessions/{id}/preview`: start, stop and read a session's dev server. The app itself is
//! served at `/preview/{id}/` on the preview origin (see `crate::preview`).

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::PreviewBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/preview",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "Whether the dev server runs, its port, where the app answers, the end of its log", body = PreviewBody),
        (status = 400, description = "A malformed id", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<PreviewBody>, ApiError> {
    let id = parse_id(&id)?;
    let status = state.engine.preview(id).await?;
    let origin = crate::preview::preview_origin(&headers, state.preview_addr);
    Ok(Json(PreviewBody::new(&origin, id, status)))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/preview",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 202, description = "The project's dev script runs in the session's container, apart from turns (a no-op while it runs)"),
        (status = 400, description = "A malformed id", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "The project has no dev script (`no_dev_script`), the session's container did not start (`session_not_started`), or it is done", body = crate::wire::ErrorBody),
        (status = 422, description = "Previews are off with `AGENT_NETWORK=none` (`preview_unavailable`)", body = crate::wire::ErrorBody),
        (status = 503, description = "The Docker Engine is unreachable", body = crate::wire::ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.start_preview(parse_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/preview",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 204, description = "The dev server and what it started are stopped (also when none ran)"),
        (status = 400, description = "A malformed id", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.stop_preview(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
