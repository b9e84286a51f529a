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

#[derive(Serialize, TS)]
#[ts(rename = "AgentImage", export_to = "AgentImage.ts")]
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

#[derive(Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(rename = "BuildImage", export_to = "BuildImage.ts")]
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

#[derive(Serialize, TS)]
#[ts(rename = "BuildImageAccepted", export_to = "BuildImageAccepted.ts")]
pub struct BuildStarted {
    pub tag: String,
}

pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<ImageBody>>, ApiError> {
    let images = state.engine.agent_images().await?;
    Ok(Json(images.into_iter().map(ImageBody::from).collect()))
}

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
