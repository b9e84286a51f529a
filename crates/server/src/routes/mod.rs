//! The route table of API.md.

mod agents;
pub(crate) mod git;
mod health;
pub(crate) mod images;
mod projects;
mod sessions;
mod usage;

use crate::{AppState, auth, ws};
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, patch, post};

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/projects", get(projects::list).post(projects::create))
        .route(
            "/api/projects/{id}",
            get(projects::show)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route("/api/agents", get(agents::list).post(agents::create))
        .route("/api/agents/images", get(images::list).post(images::create))
        .route(
            "/api/agents/{id}",
            get(agents::show).put(agents::update).delete(agents::delete),
        )
        .route("/api/sessions", get(sessions::list).post(sessions::create))
        .route(
            "/api/sessions/{id}",
            get(sessions::show)
                .put(sessions::update)
                .delete(sessions::delete),
        )
        .route("/api/sessions/{id}/status", patch(sessions::set_status))
        .route(
            "/api/sessions/{id}/messages",
            get(sessions::messages).post(sessions::send),
        )
        .route("/api/sessions/{id}/stop", post(sessions::stop))
        .route("/api/sessions/{id}/usage", get(usage::show))
        .route("/api/git/status/{id}", get(git::status))
        .route("/api/git/diff/{id}", get(git::diff))
        .route("/api/git/branches/{id}", get(git::branches))
        .route("/api/git/log/{id}", get(git::log))
        .route("/api/git/stage/{id}", post(git::stage))
        .route("/api/git/unstage/{id}", post(git::unstage))
        .route("/api/git/commit/{id}", post(git::commit))
        .route("/api/git/checkout/{id}", post(git::checkout))
        .route("/ws", get(ws::upgrade))
        .route_layer(from_fn_with_state(state.clone(), auth::require_token));
    Router::new()
        .route("/api/health", get(health::health))
        .route("/login", get(auth::login))
        .merge(api)
        .route("/api/{*rest}", axum::routing::any(not_found))
        .fallback(crate::ui::serve)
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_route",
        format!("there is no route {}", uri.path()),
    )
}
