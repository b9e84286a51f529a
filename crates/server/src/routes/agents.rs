//! `/api/agents`.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::{AgentBody, CreateAgent, UpdateAgent};
use axum::extract::State;
use axum::http::StatusCode;
use engine::{AgentChanges, AgentInput};

#[utoipa::path(
    get,
    path = "/api/agents",
    tag = "agents",
    responses(
        (status = 200, description = "Every agent", body = [AgentBody]),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<AgentBody>>, ApiError> {
    let agents = state.engine.agents().await?;
    Ok(Json(agents.into_iter().map(AgentBody::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id (UUID)")),
    responses(
        (status = 200, description = "The agent", body = AgentBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such agent", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AgentBody>, ApiError> {
    Ok(Json(state.engine.agent(parse_id(&id)?).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/agents",
    tag = "agents",
    request_body = CreateAgent,
    responses(
        (status = 201, description = "Created", body = AgentBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
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
            cli: body.cli,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(agent.into())))
}

#[utoipa::path(
    put,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id (UUID)")),
    request_body = UpdateAgent,
    responses(
        (status = 200, description = "The changed agent", body = AgentBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such agent", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
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
        cli: body.cli,
    };
    Ok(Json(
        state
            .engine
            .update_agent(parse_id(&id)?, changes)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/agents/{id}",
    tag = "agents",
    params(("id" = String, Path, description = "The agent's id (UUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such agent", body = crate::wire::ErrorBody),
        (status = 409, description = "The default agent, or an agent sessions still use", body = crate::wire::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_agent(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
