//! `/api/agents/images`: the agent images present in the engine, and builds of new ones.
//!
//! The JSON shapes of these two routes live here with them. A build request names only a slug,
//! a base and package lists: unknown fields (a `dockerfile`, say) are refused, never ignored.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::ImageBuildRequest;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "AgentImage", export_to = "AgentImage.ts")]
#[schema(as = AgentImage)]
pub struct ImageBody {
    pub name: String,
    pub id: String,
    /// Bytes.
    #[ts(type = "number")]
    pub size: i64,
    /// RFC 3339.
    pub created: String,
    pub built_in: bool,
}

impl From<engine::images::AgentImage> for ImageBody {
    fn from(image: engine::images::AgentImage) -> Self {
        Self {
            name: image.name,
            id: image.id,
            size: image.size_bytes,
            created: chrono::DateTime::from_timestamp(image.created_unix, 0)
                .unwrap_or_default()
                .to_rfc3339(),
            built_in: image.built_in,
        }
    }
}

#[derive(Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
#[ts(rename = "BuildImage", export_to = "BuildImage.ts")]
#[schema(as = BuildImage)]
pub struct CreateImage {
    pub name: String,
    #[ts(optional)]
    pub base: Option<String>,
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub apt_packages: Vec<String>,
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub npm_packages: Vec<String>,
    #[serde(default)]
    #[ts(optional, as = "Option<Vec<String>>")]
    pub pip_packages: Vec<String>,
}

#[derive(Serialize, TS, ToSchema)]
#[ts(rename = "BuildImageAccepted", export_to = "BuildImageAccepted.ts")]
#[schema(as = BuildImageAccepted)]
pub struct BuildStarted {
    pub tag: String,
}

#[utoipa::path(
    get,
    path = "/api/agents/images",
    tag = "agents",
    responses(
        (status = 200, description = "The agent images present in the engine", body = [ImageBody]),
        (status = 503, description = "The Docker Engine is unavailable", body = crate::wire::ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ImageBody>>, ApiError> {
    let images = state.engine.agent_images().await?;
    Ok(Json(images.into_iter().map(ImageBody::from).collect()))
}

#[utoipa::path(
    post,
    path = "/api/agents/images",
    tag = "agents",
    request_body = CreateImage,
    responses(
        (status = 202, description = "The build started; progress streams over the WebSocket as `image:progress`, `image:done`, `image:error`", body = BuildStarted),
        (status = 400, description = "A malformed id or body", body = crate::wire::ErrorBody),
        (status = 409, description = "The state does not allow it", body = crate::wire::ErrorBody),
        (status = 422, description = "Valid JSON with an invalid value", body = crate::wire::ErrorBody),
        (status = 503, description = "The Docker Engine is unavailable", body = crate::wire::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Json(body): Json<CreateImage>,
) -> Result<(StatusCode, Json<BuildStarted>), ApiError> {
    let tag = state
        .engine
        .build_agent_image(ImageBuildRequest {
            name: body.name,
            base: body.base,
            apt_packages: body.apt_packages,
            npm_packages: body.npm_packages,
            pip_packages: body.pip_packages,
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(BuildStarted { tag })))
}
