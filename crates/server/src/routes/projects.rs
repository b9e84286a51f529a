//! `/api/projects`.

use crate::AppState;
use crate::error::{ApiError, parse_id};
use crate::extract::{Json, Path};
use crate::wire::{CreateProject, ProjectBody, UpdateProject};
use axum::extract::State;
use axum::http::StatusCode;
use engine::{ProjectChanges, ProjectInput};

#[utoipa::path(
    get,
    path = "/api/projects",
    tag = "projects",
    responses(
        (status = 200, description = "Every project", body = [ProjectBody]),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ProjectBody>>, ApiError> {
    let projects = state.engine.projects().await?;
    Ok(Json(projects.into_iter().map(ProjectBody::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/projects/{id}",
    tag = "projects",
    params(("id" = String, Path, description = "The project's id (UUID)")),
    responses(
        (status = 200, description = "The project", body = ProjectBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project", body = crate::wire::ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProjectBody>, ApiError> {
    Ok(Json(state.engine.project(parse_id(&id)?).await?.into()))
}

#[utoipa::path(
    post,
    path = "/api/projects",
    tag = "projects",
    request_body = CreateProject,
    responses(
        (status = 201, description = "Created; a missing directory is made and `git init`-ed with an initial commit", body = ProjectBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 409, description = "The name or path is taken", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
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
            setup_script: body.setup_script,
            copy_files: body.copy_files,
            dev_script: body.dev_script,
            dev_port: body.dev_port,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}

#[utoipa::path(
    put,
    path = "/api/projects/{id}",
    tag = "projects",
    params(("id" = String, Path, description = "The project's id (UUID)")),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "The changed project", body = ProjectBody),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<UpdateProject>,
) -> Result<Json<ProjectBody>, ApiError> {
    let changes = ProjectChanges {
        name: body.name,
        description: body.description,
        agent_image: body.agent_image,
        setup_script: body.setup_script,
        copy_files: body.copy_files,
        dev_script: body.dev_script,
        dev_port: body.dev_port,
    };
    Ok(Json(
        state
            .engine
            .update_project(parse_id(&id)?, changes)
            .await?
            .into(),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/projects/{id}",
    tag = "projects",
    params(("id" = String, Path, description = "The project's id (UUID)")),
    responses(
        (status = 204, description = "Deleted; its sessions end as on session delete, its directory is kept"),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 404, description = "No such project", body = crate::wire::ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_project(parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
