//! The HTTP server: `POST /v1/messages`, `POST /v1/messages/count_tokens` and (for Codex)
//! `POST /v1/responses` on loopback.
//!
//! Owns sockets, the recorded requests and the server's lifetime; the choice of reply is the script's.

use crate::script::Script;
use crate::wire::{self, ReplyIds};
use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;

/// One model call (`/v1/messages` or `/v1/responses`) as received.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The path with its query, e.g. `/v1/messages?beta=true`.
    pub path: String,
    /// Header names in lower case; a repeated header keeps its last value.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
}

/// Starts scripted model servers.
pub struct ScriptedModel;

impl ScriptedModel {
    /// Serves `script` on `127.0.0.1` at a free port until the handle is dropped.
    ///
    /// # Panics
    /// When no loopback port can be bound: a test cannot go on without its model.
    pub fn start(script: Script) -> ScriptedModelHandle {
        let address = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::bind(address, script)
            .unwrap_or_else(|error| panic!("cannot bind the scripted model to {address}: {error}"))
    }

    /// Serves `script` on `address` until the handle is dropped.
    ///
    /// The server runs on its own thread with its own runtime, so it works the same under
    /// synchronous tests, `#[tokio::test]` and a plain binary.
    pub fn bind(address: SocketAddr, script: Script) -> std::io::Result<ScriptedModelHandle> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let local_address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let state = ServerState {
            script: Arc::new(script),
            requests: Arc::default(),
            other_requests: Arc::default(),
            next_id: Arc::default(),
        };
        let requests = Arc::clone(&state.requests);
        let other_requests = Arc::clone(&state.other_requests);
        let (shutdown, shutdown_signal) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("scripted-model".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            tracing::error!(%error, "scripted model cannot listen");
                            return;
                        }
                    };
                    let app = router(state);
                    tokio::select! {
                        result = axum::serve(listener, app) => {
                            if let Err(error) = result {
                                tracing::error!(%error, "scripted model stopped");
                            }
                        }
                        _ = shutdown_signal => {}
                    }
                });
                // Dropping the runtime here cancels streams still in flight, so shutdown never
                // waits for a client that keeps its connection open.
            })?;
        Ok(ScriptedModelHandle {
            address: local_address,
            requests,
            other_requests,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }
}

/// A running scripted model; dropping it stops the server.
pub struct ScriptedModelHandle {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    other_requests: Arc<Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedModelHandle {
    /// The value for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every model call (`/v1/messages` and `/v1/responses`) received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Every request to any other method or path (`"GET /v1/models"`), oldest first: what a
    /// proxy in front of the model must never let through.
    pub fn other_requests(&self) -> Vec<String> {
        lock(&self.other_requests).clone()
    }
}

impl Drop for ScriptedModelHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            // The server may already have stopped on its own; then there is nobody to tell.
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Clone)]
pub(crate) struct ServerState {
    pub(crate) script: Arc<Script>,
    /// Shared with the handle so tests can read what the CLI sent while the server runs.
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    /// Requests outside the two routes, answered 404 and kept for the same reason.
    other_requests: Arc<Mutex<Vec<String>>>,
    /// Makes message and tool use ids unique across the server's life, as the CLI expects.
    pub(crate) next_id: Arc<AtomicU64>,
}

fn router(state: ServerState) -> Router {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .route("/v1/responses", post(crate::responses::responses))
        .fallback(other)
        .method_not_allowed_fallback(other)
        .with_state(state)
}

/// A poisoned lock only means another request panicked; the recorded list is still whole.
fn lock<T>(requests: &Mutex<Vec<T>>) -> MutexGuard<'_, Vec<T>> {
    requests
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn messages(
    State(state): State<ServerState>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(error) => return invalid_request(&format!("the body is not JSON: {error}")),
    };
    record(&state, &uri, &headers, &body);
    let answer = state.script.answer(&body);
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("scripted-model")
        .to_owned();
    let input_tokens = wire::estimate_input_tokens(&body);
    let number = state.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let ids = ReplyIds {
        message_id: format!("msg_scripted_{number:06}"),
        tool_use_id: format!("toolu_scripted_{number:06}"),
    };
    let streaming = body.get("stream").and_then(Value::as_bool) == Some(true);
    if !streaming {
        return Json(wire::message_json(&answer, &model, input_tokens, &ids)).into_response();
    }
    event_stream(wire::stream_frames(&answer, &model, input_tokens, &ids))
}

/// Keeps one model call for [`ScriptedModelHandle::requests`].
pub(crate) fn record(
    state: &ServerState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &Value,
) {
    lock(&state.requests).push(RecordedRequest {
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |path| path.as_str().to_owned()),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });
}

/// A `text/event-stream` response that sends `frames`, each after its delay.
pub(crate) fn event_stream(frames: Vec<wire::Frame>) -> Response {
    // A bounded channel fed by a task lets the frames keep their delays; a client that hangs up
    // closes the channel and ends the task.
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        for frame in frames {
            if !frame.delay.is_zero() {
                tokio::time::sleep(frame.delay).await;
            }
            if sender.send(Ok(Bytes::from(frame.text))).await.is_err() {
                return;
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(ReceiverStream::new(receiver)))
        .unwrap_or_else(|error| {
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        })
}

/// Records a request to any other method or path and answers 404, without reading its body.
async fn other(
    State(state): State<ServerState>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    let target = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |path| path.as_str().to_owned());
    lock(&state.other_requests).push(format!("{method} {target}"));
    (
        StatusCode::NOT_FOUND,
        Json(json!({
            "type": "error",
            "error": { "type": "not_found_error", "message": format!("{method} {target} is not served") }
        })),
    )
        .into_response()
}

async fn count_tokens(body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body) {
        Ok(body) => {
            Json(json!({ "input_tokens": wire::estimate_input_tokens(&body) })).into_response()
        }
        Err(error) => invalid_request(&format!("the body is not JSON: {error}")),
    }
}

/// The API's own error shape, so the CLI reports it as the real API's error.
pub(crate) fn invalid_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "type": "error",
            "error": { "type": "invalid_request_error", "message": message }
        })),
    )
        .into_response()
}
