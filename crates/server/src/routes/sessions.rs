//! `/api/sessions`, including messages and stop (the REST twins of `chat:send` and `chat:stop`).

use crate::AppState;
use crate::error::{ApiError, parse_enum, parse_id};
use crate::extract::{Json, Path, Query};
use crate::wire::{
    CreateSession, MessageBody, Queued, SendMessage, SessionBody, UpdateSession, UpdateStatus,
};
use axum::extract::State;
use axum::http::StatusCode;
use engine::{SendOptions, SessionChanges, SessionInput};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only the sessions of this project.
    project_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/sessions",
    tag = "sessions",
    params(ListQuery),
    responses(
        (status = 200, description = "The sessions, of one project when `project_id` is given", body = [SessionBody]),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<SessionBody>>, ApiError> {
    let project = query.project_id.as_deref().map(parse_id).transpose()?;
    let sessions = state.engine.sessions(project).await?;
    Ok(Json(sessions.into_iter().map(SessionBody::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "The session", body = SessionBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    Ok(Json(state.engine.session(parse_id(&id)?).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/sessions",
    tag = "sessions",
    request_body = CreateSession,
    responses(
        (status = 201, description = "Created in `backlog`; the agent starts with the first message", body = SessionBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project or agent", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateSession>,
) -> Result<(StatusCode, Json<SessionBody>), ApiError> {
    let input = SessionInput {
        project_id: parse_id(&body.project_id)?,
        agent_id: body.agent_id.as_deref().map(parse_id).transpose()?,
        title: body.title,
        mode: body.mode.as_deref().map(parse_enum).transpose()?,
        docker_image: body.docker_image,
    };
    let session = state.engine.create_session(input).await?;
    Ok((StatusCode::CREATED, Json(session.into())))
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = UpdateSession,
    responses(
        (status = 200, description = "The changed session", body = SessionBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<UpdateSession>,
) -> Result<Json<SessionBody>, ApiError> {
    let changes = SessionChanges {
        title: body.title,
        agent_id: body.agent_id.as_deref().map(parse_id).transpose()?,
        mode: body.mode.as_deref().map(parse_enum).transpose()?,
        docker_image: body.docker_image,
    };
    Ok(Json(
        state
            .engine
            .update_session(parse_id(&id)?, changes)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    patch,
    path = "/api/sessions/{id}/status",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = UpdateStatus,
    responses(
        (status = 200, description = "The session in its new column; `done` stops its container and removes its worktree (work kept on its branch)", body = SessionBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<UpdateStatus>,
) -> Result<Json<SessionBody>, ApiError> {
    let id = parse_id(&id)?;
    let status = parse_enum(&body.status)?;
    Ok(Json(
        state.engine.set_session_status(id, status).await?.into(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 204, description = "Deleted, with the same clean-up as `done`"),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_session(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 200, description = "The session's messages, oldest first", body = [MessageBody]),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<MessageBody>>, ApiError> {
    let messages = state.engine.messages(parse_id(&id)?).await?;
    Ok(Json(messages.into_iter().map(MessageBody::from).collect()))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    request_body = SendMessage,
    responses(
        (status = 202, description = "Accepted (as `chat:send`); `queued` when a turn is running and this one waits", body = Queued),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
        (status = 503, description = "The Docker Engine is unavailable", body = crate::wire::ErrorBody),
    )
)]
pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<SendMessage>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let id = parse_id(&id)?;
    let options = SendOptions {
        model: body.model,
        mode: body.mode.as_deref().map(parse_enum).transpose()?,
    };
    let queued = state
        .engine
        .send_message(id, &body.content, options)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { queued })))
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/stop",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 202, description = "The running turn is being interrupted (as `chat:stop`)"),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.stop(parse_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/warm",
    tag = "sessions",
    params(("id" = String, Path, description = "The session's id (UUID)")),
    responses(
        (status = 202, description = "The session is being made ready for its next message: its work path decided, its container and agent process started (`run_state` is `starting` until then). Nothing happens when it is ready or busy"),
        (status = 400, description = "A malformed id", body = crate::wire::ErrorBody),
        (status = 404, description = "No such session", body = crate::wire::ErrorBody),
        (status = 409, description = "The session is done or being ended", body = crate::wire::ErrorBody),
        (status = 503, description = "The Docker Engine is unavailable", body = crate::wire::ErrorBody),
    )
)]
pub async fn warm(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.warm(parse_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}
