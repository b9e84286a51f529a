//! `/api/agents`.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::{AgentBody, CreateAgent, UpdateAgent};
use axum::extract::State;
use axum::http::StatusCode;
use engine::{AgentChanges, AgentInput};

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AgentBody>>, ApiError> {
    let agents = state.engine.agents().await?;
    Ok(Json(agents.into_iter().map(AgentBody::from).collect()))
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AgentBody>, ApiError> {
    Ok(Json(state.engine.agent(parse_id(&id)?).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateAgent>,
) -> Result<(StatusCode, Json<AgentBody>), ApiError> {
    let agent = state
        .engine
        .create_agent(AgentInput {
            name: body.name,
            system_prompt: body.system_prompt,
            model: body.model,
            icon: body.icon,
            docker_image: body.docker_image,
            tool_scope: body.tool_scope,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<UpdateAgent>,
) -> Result<Json<AgentBody>, ApiError> {
    let changes = AgentChanges {
        name: body.name,
        system_prompt: body.system_prompt,
        model: body.model,
        icon: body.icon,
        docker_image: body.docker_image,
        tool_scope: body.tool_scope,
    };
    Ok(Json(
        state
            .engine
            .update_agent(parse_id(&id)?, changes)
            .await?
            .into(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_agent(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
