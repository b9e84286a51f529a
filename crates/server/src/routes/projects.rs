//! `/api/projects`.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::{CreateProject, ProjectBody, UpdateProject};
use axum::extract::State;
use axum::http::StatusCode;
use engine::{ProjectChanges, ProjectInput};

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ProjectBody>>, ApiError> {
    let projects = state.engine.projects().await?;
    Ok(Json(projects.into_iter().map(ProjectBody::from).collect()))
}

pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProjectBody>, ApiError> {
    Ok(Json(state.engine.project(parse_id(&id)?).await?.into()))
}

pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateProject>,
) -> Result<(StatusCode, Json<ProjectBody>), ApiError> {
    let project = state
        .engine
        .create_project(ProjectInput {
            name: body.name,
            path: body.path,
            description: body.description,
            agent_image: body.agent_image,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<UpdateProject>,
) -> Result<Json<ProjectBody>, ApiError> {
    let changes = ProjectChanges {
        name: body.name,
        description: body.description,
        agent_image: body.agent_image,
    };
    Ok(Json(
        state
            .engine
            .update_project(parse_id(&id)?, changes)
            .await?
            .into(),
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_project(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
