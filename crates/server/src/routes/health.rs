//! `GET /api/health`: open to all, 200 when the platform can run agents, 503 when it cannot.
//! It also says which model credentials the platform has (`model`), so a platform that can start
//! containers but cannot reach the model says so before the first message.

use crate::AppState;
use crate::wire::{DockerHealth, HealthBody, ModelHealth};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

#[utoipa::path(
    get,
    path = "/api/health",
    tag = "platform",
    security(()),
    responses(
        (status = 200, description = "The platform can run agents", body = HealthBody),
        (status = 503, description = "It cannot (in docker mode: the engine, the default image or the agent network is missing)", body = HealthBody),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthBody>) {
    let runtime = state.engine.runtime();
    let docker = runtime.health().await;
    let ok = docker.as_ref().is_none_or(|health| health.ok());
    let access = state.engine.model_access();
    let problem = access.missing().map(|error| {
        format!(
            "{error}: {}",
            error.remediation().unwrap_or("set ANTHROPIC_API_KEY")
        )
    });
    let body = HealthBody {
        ok,
        version: crate::VERSION,
        mode: runtime.mode().as_str(),
        docker: docker.map(|health| DockerHealth {
            socket_connected: health.socket_connected,
            image_available: health.image_available,
            image_name: health.image_name,
            network_exists: health.network_exists,
        }),
        model: ModelHealth {
            credentials: access.credentials.as_str(),
            upstream: access.upstream,
            problem,
        },
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
