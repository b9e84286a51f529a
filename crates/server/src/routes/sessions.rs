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

#[derive(Deserialize)]
pub struct ListQuery {
    project_id: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<SessionBody>>, ApiError> {
    let project = query.project_id.as_deref().map(parse_id).transpose()?;
    let sessions = state.engine.sessions(project).await?;
    Ok(Json(sessions.into_iter().map(SessionBody::from).collect()))
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    Ok(Json(state.engine.session(parse_id(&id)?).await?.into()))
}

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

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_session(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<MessageBody>>, ApiError> {
    let messages = state.engine.messages(parse_id(&id)?).await?;
    Ok(Json(messages.into_iter().map(MessageBody::from).collect()))
}

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

pub async fn stop(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.stop(parse_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}
