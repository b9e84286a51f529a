//! The HTTP face of Agentyard: REST routes, the WebSocket, token auth and the web UI.
//!
//! Handlers parse requests into engine inputs, call the engine, and turn results into the JSON
//! of docs/api.md; they never touch the store, Docker or git directly, and never match on an
//! infrastructure error (the engine has translated those already).

mod auth;
mod error;
mod extract;
mod openapi;
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

/// The whole application: API, WebSocket, login and UI, behind auth where docs/api.md says so.
pub fn router(state: AppState) -> Router {
    routes::router(state)
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
