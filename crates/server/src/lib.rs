//! The HTTP face of Agentyard: REST routes, the WebSocket, token auth and the web UI on the
//! platform's listener, and the preview proxy on a listener (an origin) of its own.
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
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// The API token; compared in constant time.
    pub token: Arc<str>,
    /// Where the preview listener listens: its port makes the preview origin.
    pub preview_addr: SocketAddr,
}

/// The largest request body, and the largest WebSocket message, the platform reads: 2 MiB.
/// Larger bodies are refused with 413 before anything is changed. A chat message has its own,
/// smaller bound (`engine::MAX_MESSAGE_BYTES`).
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// The whole application: API, WebSocket, login and UI, behind auth where docs/api.md says so.
/// A browser's write from another origin is refused before anything else (`auth::refuse_foreign_writes`),
/// and no other origin may frame the platform's pages.
pub fn router(state: AppState) -> Router {
    routes::router(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
        .layer(axum::middleware::from_fn(auth::refuse_foreign_writes))
        .layer(axum::middleware::from_fn(forbid_framing))
}

/// The preview listener's application: `/preview/<session>/…` and nothing else.
pub fn preview_router(state: AppState) -> Router {
    preview::listener_routes(&state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(refuse_large_bodies))
}

/// No page of another origin (an agent's preview above all, which is same-site) may show the
/// platform in a frame and have the user click in it.
async fn forbid_framing(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
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
    axum::serve(without_nagle(listener), router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Every accepted connection sends each write at once: with Nagle's algorithm, an envelope
/// written while the one before is unacknowledged waits for the client's delayed ACK (40 ms).
fn without_nagle(listener: TcpListener) -> impl axum::serve::Listener<Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream: &mut tokio::net::TcpStream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "cannot set TCP_NODELAY on a connection");
        }
    })
}

/// Serves previews until `shutdown` resolves, then lets open requests finish.
pub async fn serve_previews(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(without_nagle(listener), preview_router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
