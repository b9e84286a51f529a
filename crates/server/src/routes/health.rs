//! `GET /api/health`: open to all, 200 when the platform can run agents, 503 when it cannot.

use crate::AppState;
use crate::wire::{DockerHealth, HealthBody};
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
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}
