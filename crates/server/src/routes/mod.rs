//! The route table of docs/api.md.
//!
//! Routes are added through `RouteList`, which remembers each path, so a test can compare the
//! router with the OpenAPI document (`crate::openapi`): every handler there carries its annotation.

pub(crate) mod agents;
pub(crate) mod git;
pub(crate) mod health;
pub(crate) mod images;
pub(crate) mod preview;
pub(crate) mod projects;
pub(crate) mod review;
pub(crate) mod sessions;
pub(crate) mod setup;
pub(crate) mod usage;

use crate::{AppState, auth, ws};
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{MethodRouter, get, patch, post};

/// A router being built, with the path of every route added to it.
#[derive(Default)]
struct RouteList {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl RouteList {
    fn route(mut self, path: &'static str, handlers: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, handlers);
        self.paths.push(path);
        self
    }
}

/// The routes anyone may call.
fn open_routes() -> RouteList {
    RouteList::default()
        .route("/api/health", get(health::health))
        .route("/api/openapi.json", get(crate::openapi::document))
        .route("/login", get(auth::login))
}

/// The routes behind the token.
fn token_routes() -> RouteList {
    RouteList::default()
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
        .route("/api/sessions/{id}/warm", post(sessions::warm))
        .route("/api/sessions/{id}/usage", get(usage::show))
        .route(
            "/api/sessions/{id}/setup",
            get(setup::show).post(setup::act),
        )
        .route(
            "/api/sessions/{id}/preview",
            get(preview::show)
                .post(preview::start)
                .delete(preview::stop),
        )
        .route("/api/sessions/{id}/review", get(review::show))
        .route("/api/sessions/{id}/review/diff", get(review::diff))
        .route("/api/sessions/{id}/merge", post(review::merge))
        .route("/api/sessions/{id}/rebase", post(review::rebase))
        .route("/api/sessions/{id}/push", post(review::push))
        .route("/api/git/status/{id}", get(git::status))
        .route("/api/git/diff/{id}", get(git::diff))
        .route("/api/git/branches/{id}", get(git::branches))
        .route("/api/git/log/{id}", get(git::log))
        .route("/api/git/stage/{id}", post(git::stage))
        .route("/api/git/unstage/{id}", post(git::unstage))
        .route("/api/git/commit/{id}", post(git::commit))
        .route("/api/git/checkout/{id}", post(git::checkout))
        .route("/ws", get(ws::upgrade))
}

/// Every path of the router (the catch-all of unknown `/api` paths and the UI's fallback aside).
pub fn paths() -> Vec<&'static str> {
    let mut paths = open_routes().paths;
    paths.extend(token_routes().paths);
    paths
}

pub fn router(state: AppState) -> Router {
    let api = token_routes()
        .router
        .route_layer(from_fn_with_state(state.clone(), auth::require_token));
    Router::new()
        .merge(open_routes().router)
        .merge(api)
        .route("/api/{*rest}", axum::routing::any(not_found))
        .fallback(crate::ui::serve)
        .with_state(state.clone())
        .merge(crate::preview::elsewhere(&state))
}

async fn not_found(uri: axum::http::Uri) -> crate::ApiError {
    crate::ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "no_such_route",
        format!("there is no route {}", uri.path()),
    )
}
