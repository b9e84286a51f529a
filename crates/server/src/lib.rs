//! The HTTP face of Agentyard: REST routes, the WebSocket, token auth and the web UI.
//!
//! Handlers parse requests into engine inputs, call the engine, and turn results into the JSON
//! of docs/api.md; they never touch the store, Docker or git directly, and never match on an
//! infrastructure error (the engine has translated those already).

mod auth;
mod error;
mod extract;
mod openapi;
mod preview;
mod routes;
mod ui;
mod wire;
mod ws;

pub use auth::LOGIN_COOKIE;
pub use error::ApiError;
pub use openapi::ApiDoc;
pub use routes::paths as route_paths;

/// The platform's version: what `agentyard --version` prints and `/api/health` reports (one
/// workspace version for every crate).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

use axum::Router;
use axum::extract::DefaultBodyLimit;
use engine::Engine;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// The API token; compared in constant time.
    pub token: Arc<str>,
}

/// The largest request body, and the largest WebSocket message, the platform reads: 2 MiB.
/// Larger bodies are refused with 413 before anything is changed. A chat message has its own,
/// smaller bound (`engine::MAX_MESSAGE_BYTES`).
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// The whole application: API, WebSocket, login and UI, behind auth where docs/api.md says so.
pub fn router(state: AppState) -> Router {
    routes::router(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
}

/// Refuses a request that announces a body over the limit before any handler runs, even one that
/// would not read its body. A body without a length (chunked) is cut off at the limit by the
/// extractors instead, with the same 413.
async fn refuse_large_bodies(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    match announced {
        Some(length) if length > BODY_LIMIT_BYTES as u64 => {
            ApiError::body_too_large().into_response()
        }
        _ => next.run(request).await,
    }
}

/// Serves until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
