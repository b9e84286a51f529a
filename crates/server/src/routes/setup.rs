//! `/api/sessions/{id}/setup`: a session's setup (its project's setup script and the files copied
//! into its worktree), and what to do when it failed.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::{SessionSetupBody, SetupActionRequest};
use axum::extract::State;
use engine::{EngineError, SetupAction};

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/setup",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "The session's setup; null when nothing was copied into its worktree and no setup script ran", body = Option<SessionSetupBody>),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Option<SessionSetupBody>>, ApiError> {
    let setup = state.engine.session_setup(parse_id(&id)?).await?;
    Ok(Json(setup.map(SessionSetupBody::from)))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/setup",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = SetupActionRequest,
    responses(
        (status = 200, description = "`retry`: the setup script runs again before the next turn; `skip`: turns go on without it", body = SessionSetupBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "The setup is not in a state the action applies to", body = crate::wire::ErrorBody),
        (status = 422, description = "An action other than `retry` or `skip`", body = crate::wire::ErrorBody),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<SetupActionRequest>,
) -> Result<Json<SessionSetupBody>, ApiError> {
    let id = parse_id(&id)?;
    let action = match body.action.as_str() {
        "retry" => SetupAction::Retry,
        "skip" => SetupAction::Skip,
        other => {
            return Err(EngineError::invalid(
                "invalid_action",
                format!("action `{other}` is not known; send `retry` or `skip`"),
            )
            .into());
        }
    };
    Ok(Json(state.engine.setup_action(id, action).await?.into()))
}
