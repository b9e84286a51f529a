//! The model-API proxy: each session's `model.sock` serves the Anthropic Messages API (Claude Code)
//! and the OpenAI Responses API (Codex) by forwarding calls to the platform's real upstreams with
//! the platform's real credentials.
//!
//! What passes, and only that: `POST /v1/messages` and `POST /v1/messages/count_tokens` to the
//! Anthropic upstream, `POST /v1/responses` to the OpenAI upstream (`OPENAI_BASE_URL`, which ends in
//! `/v1`, + `/responses`, with `OPENAI_API_KEY` as the bearer token), any query string, compared byte
//! for byte with the request's raw path, so `..`, doubled slashes and percent-encoding match
//! nothing. Every other method or path (Files, Batches, Models, …) gets an error and never reaches
//! an upstream ([`allowed_route`]).
//!
//! The agent only ever holds a placeholder key ([`engine::model_proxy::PLACEHOLDER_API_KEY`]):
//! whatever key or token it sends is dropped here and the platform's own is added (its key, its
//! token, or the access token of the user's Claude login, read from the platform's own file).
//!
//! Limits, per session: at most [`MAX_CONCURRENT_CALLS`] calls in flight (more wait), request
//! bodies up to [`MAX_REQUEST_BYTES`] (larger ones get 413 before they are read), and the budget
//! (`AGENT_SESSION_BUDGET_USD`): each answer's tokens are priced per model as they stream
//! ([`crate::pricing`]) and recorded when the answer ends, so the cost is known before the next
//! call; each call reserves its worst case while it runs, so calls started together cannot
//! overshoot the budget by more than one call; once spent, calls are refused.
//!
//! The first failure of the upstream in a turn (unreachable, 401, 403, 429, 5xx) is reported to the
//! session at once ([`engine::Engine::report_model_failure`]) while the CLI retries.

use crate::pricing::{self, Meter};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use bytes::Bytes;
use domain::SessionId;
use engine::Engine;
use engine::model_proxy::{CredentialKind, ModelAccess, ModelFailure};
use futures::StreamExt;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::UnixListener;
use tokio::sync::{Mutex, Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// The model socket's file name in a session's runtime directory.
pub const MODEL_SOCKET_NAME: &str = "model.sock";
/// The largest request body forwarded: the Messages API's own limit (32 MB). A body is read into
/// memory before it is sent, so this and [`MAX_CONCURRENT_CALLS`] bound the memory one session uses.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// Model calls of one session in flight at once; further calls wait for one to end. The CLI makes
/// one call at a time per agent, a few more with subagents.
pub const MAX_CONCURRENT_CALLS: usize = 4;
/// How long connecting to the upstream may take before the call fails (and the session is told).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes of an upstream error answer read for its message.
const MAX_ERROR_BYTES: usize = 64 * 1024;
/// The beta flag the Messages API wants with an OAuth access token (Claude Code sends it too).
const OAUTH_BETA: &str = "oauth-2025-04-20";

/// Headers that describe one hop, or the agent's credentials: never forwarded as they came.
const DROPPED_REQUEST_HEADERS: [&str; 8] = [
    "host",
    "x-api-key",
    "authorization",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "keep-alive",
];
const DROPPED_RESPONSE_HEADERS: [&str; 4] = [
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

/// A call the proxy forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /v1/messages`: a model call, metered and reserved against the budget.
    Messages,
    /// `POST /v1/messages/count_tokens`: free, but refused like any call once the budget is spent.
    CountTokens,
    /// `POST /v1/responses`: an OpenAI model call (Codex), metered and reserved like `Messages`.
    Responses,
}

/// The allowlist: the route of a request, or `None` when it must not reach the upstream.
///
/// `path` is the request's raw path without its query, exactly as it arrived (never decoded or
/// normalized), so no spelling of another path can pass as an allowed one.
pub fn allowed_route(method: &Method, path: &str) -> Option<Route> {
    if method != Method::POST {
        return None;
    }
    match path {
        // The Anthropic Messages API (Claude Code sessions).
        "/v1/messages" => Some(Route::Messages),
        "/v1/messages/count_tokens" => Some(Route::CountTokens),
        // The OpenAI Responses API (Codex sessions).
        "/v1/responses" => Some(Route::Responses),
        _ => None,
    }
}

/// The platform's upstream and credentials, with the HTTP client that reaches it.
#[derive(Clone, Debug)]
pub struct Upstream {
    access: ModelAccess,
    client: reqwest::Client,
}

impl Upstream {
    pub fn new(access: ModelAccess) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self { access, client }
    }

    /// The URL of a call on `route`: the Anthropic upstream with the request's own path, or the
    /// OpenAI upstream (which holds `/v1`) with `/responses`.
    fn url(&self, route: Route, path: &str, query: &str) -> String {
        match route {
            Route::Messages | Route::CountTokens => {
                format!("{}{path}{query}", self.access.upstream)
            }
            Route::Responses => format!("{}/responses{query}", self.access.openai_upstream),
        }
    }

    fn upstream_of(&self, route: Route) -> &str {
        match route {
            Route::Messages | Route::CountTokens => &self.access.upstream,
            Route::Responses => &self.access.openai_upstream,
        }
    }

    /// The credential headers of a call on `route`.
    fn credentials_for(&self, route: Route, headers: &mut HeaderMap) -> Result<(), String> {
        match route {
            Route::Messages | Route::CountTokens => self.credentials(headers),
            Route::Responses => {
                if let Some(key) = &self.access.openai_key {
                    let value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                        "the platform's OPENAI_API_KEY is not a valid header value".to_owned()
                    })?;
                    headers.insert(header::AUTHORIZATION, value);
                }
                Ok(())
            }
        }
    }

    /// The credential headers of one Anthropic call. A login's token is read now, so a login the
    /// user refreshed on the host is used at once.
    fn credentials(&self, headers: &mut HeaderMap) -> Result<(), String> {
        let bearer = |token: &str| {
            HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| "the platform's model token is not a valid header value".to_owned())
        };
        let oauth = |headers: &mut HeaderMap, token: &str| -> Result<(), String> {
            headers.insert(header::AUTHORIZATION, bearer(token)?);
            let betas = headers
                .get("anthropic-beta")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let betas = match betas {
                Some(betas) if betas.split(',').any(|beta| beta.trim() == OAUTH_BETA) => betas,
                Some(betas) if !betas.trim().is_empty() => format!("{betas},{OAUTH_BETA}"),
                _ => OAUTH_BETA.to_owned(),
            };
            headers.insert(
                "anthropic-beta",
                HeaderValue::from_str(&betas).map_err(|_| "invalid anthropic-beta".to_owned())?,
            );
            Ok(())
        };
        let secret = self.access.secret.as_deref().unwrap_or_default();
        match self.access.credentials {
            CredentialKind::ApiKey => {
                let key = HeaderValue::from_str(secret).map_err(|_| {
                    "the platform's ANTHROPIC_API_KEY is not a valid header value".to_owned()
                })?;
                headers.insert("x-api-key", key);
            }
            CredentialKind::AuthToken => {
                headers.insert(header::AUTHORIZATION, bearer(secret)?);
            }
            CredentialKind::OauthToken => oauth(headers, secret)?,
            CredentialKind::ClaudeLogin => {
                let login = self
                    .access
                    .login
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""));
                let token = engine::model_proxy::read_login_token(login)?;
                oauth(headers, &token)?;
            }
            CredentialKind::None => {}
        }
        Ok(())
    }
}

/// One session's account with the proxy, shared by all its connections.
pub struct Account {
    /// Bounds the session's calls in flight (and so the request bodies held in memory).
    calls: Arc<Semaphore>,
    /// The reservations of the calls in flight. A tokio mutex, held while the spent amount is read
    /// and a call admitted, and while a finished call's cost is recorded and its reservation
    /// released, so no call is admitted on a count that misses another call's cost.
    ledger: Mutex<Ledger>,
    /// Woken when a call settles, so a call waiting for room under the budget checks again.
    settled: Notify,
    /// Whether this turn's first upstream failure has been reported to the session.
    failure_reported: AtomicBool,
}

#[derive(Default)]
struct Ledger {
    in_flight: usize,
    reserved: f64,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            calls: Arc::new(Semaphore::new(MAX_CONCURRENT_CALLS)),
            ledger: Mutex::new(Ledger::default()),
            settled: Notify::new(),
            failure_reported: AtomicBool::new(false),
        }
    }
}

impl Account {
    /// A new turn begins: its first upstream failure is reported again.
    pub fn new_turn(&self) {
        self.failure_reported.store(false, Ordering::SeqCst);
    }
}

/// Serves the proxy on one session's socket until `stop` is cancelled.
pub(crate) async fn serve(
    listener: UnixListener,
    engine: Engine,
    upstream: Upstream,
    account: Arc<Account>,
    session: SessionId,
    stop: CancellationToken,
) {
    let router = axum::Router::new().fallback(move |request: Request<Body>| {
        let proxy = Proxy {
            engine: engine.clone(),
            upstream: upstream.clone(),
            account: account.clone(),
            session,
        };
        async move { proxy.forward(request).await }
    });
    tokio::select! {
        () = stop.cancelled() => {}
        result = axum::serve(listener, router) => {
            if let Err(error) = result {
                tracing::warn!(%session, %error, "the model socket failed; it opens again at the next turn");
            }
        }
    }
}

/// An Anthropic-style error answer, so the agent CLI shows `message` to the user.
fn api_error(status: StatusCode, kind: &str, message: String) -> Response<Body> {
    let body = serde_json::json!({
        "type": "error",
        "error": { "type": kind, "message": message },
    });
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_default()
}

fn too_large() -> Response<Body> {
    api_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request_too_large",
        format!(
            "the request body is larger than the {} MiB the platform's model proxy forwards",
            MAX_REQUEST_BYTES / (1024 * 1024)
        ),
    )
}

/// One call's context.
struct Proxy {
    engine: Engine,
    upstream: Upstream,
    account: Arc<Account>,
    session: SessionId,
}

impl Proxy {
    async fn forward(self, request: Request<Body>) -> Response<Body> {
        let session = self.session;
        let Some(route) = allowed_route(request.method(), request.uri().path()) else {
            tracing::warn!(%session, method = %request.method(), path = %request.uri().path(), "refused a model API call outside the allowlist");
            return api_error(
                StatusCode::FORBIDDEN,
                "permission_error",
                format!(
                    "the platform's model proxy forwards only POST /v1/messages, POST /v1/messages/count_tokens and POST /v1/responses; {} {} is refused",
                    request.method(),
                    request.uri().path()
                ),
            );
        };
        let missing = match route {
            Route::Messages | Route::CountTokens => self.upstream.access.missing(),
            Route::Responses => self.upstream.access.openai_missing(),
        };
        if let Some(error) = missing {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                format!("{error}: {}", error.remediation().unwrap_or_default()),
            );
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > MAX_REQUEST_BYTES as u64) {
            return too_large();
        }
        // Held until the answer has streamed to its end.
        let Ok(permit) = self.account.calls.clone().acquire_owned().await else {
            return api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "overloaded_error",
                "the session's model proxy is closing".to_owned(),
            );
        };
        let (parts, body) = request.into_parts();
        let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
            return too_large();
        };
        let reserved = match route {
            Route::Messages | Route::Responses => {
                let parsed = serde_json::from_slice::<Value>(&body).unwrap_or_default();
                pricing::reservation(&parsed, body.len())
            }
            Route::CountTokens => 0.0,
        };
        if let Err(refusal) = self.admit(reserved).await {
            return refusal;
        }
        let reservation = Reservation {
            account: self.account.clone(),
            amount: reserved,
            settled: false,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in &parts.headers {
            if !DROPPED_REQUEST_HEADERS.contains(&name.as_str()) {
                headers.append(name.clone(), value.clone());
            }
        }
        if let Err(error) = self.upstream.credentials_for(route, &mut headers) {
            self.report(Some(401), error.clone()).await;
            self.settle(reservation, None).await;
            return api_error(StatusCode::UNAUTHORIZED, "authentication_error", error);
        }
        let query = parts
            .uri
            .query()
            .map(|query| format!("?{query}"))
            .unwrap_or_default();
        let url = self.upstream.url(route, parts.uri.path(), &query);
        let sent = self
            .upstream
            .client
            .post(&url)
            .headers(headers)
            .body(body)
            .send()
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(error) => {
                let detail = error_chain(&error);
                self.report(None, detail.clone()).await;
                self.settle(reservation, None).await;
                return api_error(
                    StatusCode::BAD_GATEWAY,
                    "api_error",
                    format!(
                        "the platform cannot reach the model API at {}: {detail}; check the platform's {} and network",
                        self.upstream.upstream_of(route),
                        match route {
                            Route::Responses => "OPENAI_BASE_URL",
                            Route::Messages | Route::CountTokens => "ANTHROPIC_BASE_URL",
                        }
                    ),
                );
            }
        };
        let status = answer.status();
        let mut response = Response::builder().status(status);
        for (name, value) in answer.headers() {
            if !DROPPED_RESPONSE_HEADERS.contains(&name.as_str()) {
                response = response.header(name, value);
            }
        }
        if is_failure(status) {
            let body = read_error(answer).await;
            self.report(Some(status.as_u16()), error_message(&body))
                .await;
            self.settle(reservation, None).await;
            return response.body(Body::from(body)).unwrap_or_default();
        }
        if status.is_success() {
            self.account.failure_reported.store(false, Ordering::SeqCst);
        }
        let streaming = answer
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/event-stream"));
        let mut meter =
            (route != Route::CountTokens && status.is_success()).then(|| Meter::new(streaming));
        let mut chunks = answer.bytes_stream();
        let stream = async_stream(move |sender| async move {
            while let Some(chunk) = chunks.next().await {
                match chunk {
                    Ok(chunk) => {
                        if let Some(meter) = &mut meter {
                            meter.feed(&chunk);
                        }
                        if sender.send(Ok(chunk)).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        let _ = sender.send(Err(std::io::Error::other(error))).await;
                        break;
                    }
                }
            }
            self.settle(reservation, meter).await;
            drop(permit);
        });
        response.body(Body::from_stream(stream)).unwrap_or_default()
    }

    /// Admits a call that may cost up to `reserved` under the session's budget: refused once the
    /// budget is spent; made to wait while calls in flight could take what is left.
    async fn admit(&self, reserved: f64) -> Result<(), Response<Body>> {
        let session = self.session;
        let budget = self.engine.config().session_budget_usd;
        loop {
            let settled = self.account.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            {
                let mut ledger = self.account.ledger.lock().await;
                let Some(budget) = budget else {
                    ledger.in_flight += 1;
                    ledger.reserved += reserved;
                    return Ok(());
                };
                let spent = match self.engine.store().session_spent(session).await {
                    Ok(spent) => spent,
                    Err(error) => {
                        tracing::warn!(%session, %error, "could not read the session's cost; refusing the call");
                        return Err(api_error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "api_error",
                            format!("the platform could not read this session's spending: {error}"),
                        ));
                    }
                };
                if spent >= budget {
                    return Err(api_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_request_error",
                        format!(
                            "this session's budget is spent: it has used ${spent:.4} of its ${budget:.4} (AGENT_SESSION_BUDGET_USD); start a new session, or raise AGENT_SESSION_BUDGET_USD and restart the platform to continue this one"
                        ),
                    ));
                }
                // One call always may run when none is in flight: that is the most a budget can
                // be overshot by.
                if ledger.in_flight == 0 || spent + ledger.reserved + reserved <= budget {
                    ledger.in_flight += 1;
                    ledger.reserved += reserved;
                    return Ok(());
                }
            }
            settled.await;
        }
    }

    /// Records what a call cost and releases its reservation.
    async fn settle(&self, mut reservation: Reservation, meter: Option<Meter>) {
        let session = self.session;
        let mut ledger = self.account.ledger.lock().await;
        if let Some(meter) = meter {
            let (model, tokens) = meter.finish();
            let model = model.unwrap_or_default();
            let (price, known) = pricing::price_of(&model);
            if !known {
                tracing::warn!(%session, model, "a model the price table does not know: priced as the dearest model");
            }
            if tokens != pricing::Tokens::default()
                && let Err(error) = self
                    .engine
                    .store()
                    .add_session_usage(
                        session,
                        i64::try_from(tokens.all_input()).unwrap_or(i64::MAX),
                        i64::try_from(tokens.output).unwrap_or(i64::MAX),
                        tokens.cost(price),
                    )
                    .await
            {
                tracing::warn!(%session, %error, "could not record the session's model usage");
            }
        }
        ledger.in_flight = ledger.in_flight.saturating_sub(1);
        ledger.reserved = (ledger.reserved - reservation.amount).max(0.0);
        reservation.settled = true;
        drop(ledger);
        self.account.settled.notify_waiters();
    }

    /// Reports the turn's first upstream failure to the session.
    async fn report(&self, status: Option<u16>, detail: String) {
        if self.account.failure_reported.swap(true, Ordering::SeqCst) {
            return;
        }
        self.engine
            .report_model_failure(
                self.session,
                ModelFailure {
                    upstream: self.upstream.access.upstream.clone(),
                    status,
                    detail,
                },
            )
            .await;
    }
}

/// A call's claim on the budget; released by [`Proxy::settle`], or when dropped unsettled (a task
/// cancelled by shutdown), by a task of its own.
struct Reservation {
    account: Arc<Account>,
    amount: f64,
    settled: bool,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let account = self.account.clone();
        let amount = self.amount;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut ledger = account.ledger.lock().await;
                ledger.in_flight = ledger.in_flight.saturating_sub(1);
                ledger.reserved = (ledger.reserved - amount).max(0.0);
                drop(ledger);
                account.settled.notify_waiters();
            });
        }
    }
}

/// The statuses that mean the upstream, not the agent's request, is the problem.
fn is_failure(status: StatusCode) -> bool {
    matches!(status.as_u16(), 401 | 403 | 429) || status.is_server_error()
}

/// An upstream error answer, bounded: the agent gets it as it came (cut at [`MAX_ERROR_BYTES`]).
async fn read_error(answer: reqwest::Response) -> Bytes {
    let mut body = Vec::new();
    let mut chunks = answer.bytes_stream();
    while let Some(Ok(chunk)) = chunks.next().await {
        let room = MAX_ERROR_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BYTES {
            break;
        }
    }
    Bytes::from(body)
}

/// The message of an Anthropic-style error body, or the start of whatever the body is.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|body| body["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "no message".to_owned()
            } else {
                text.chars().take(300).collect()
            }
        })
}

/// An error with its causes, which say what actually failed (refused, timed out, no route).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A body stream fed by a task, so the accounting runs to its end even when the agent hangs up.
fn async_stream<F, Fut>(
    produce: F,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(produce(sender));
    tokio_stream::wrappers::ReceiverStream::new(receiver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_messages_and_responses_routes_pass_and_only_as_post() {
        assert_eq!(
            allowed_route(&Method::POST, "/v1/messages"),
            Some(Route::Messages)
        );
        assert_eq!(
            allowed_route(&Method::POST, "/v1/messages/count_tokens"),
            Some(Route::CountTokens)
        );
        assert_eq!(
            allowed_route(&Method::POST, "/v1/responses"),
            Some(Route::Responses)
        );
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            assert_eq!(allowed_route(&method, "/v1/messages"), None, "{method}");
            assert_eq!(allowed_route(&method, "/v1/responses"), None, "{method}");
        }
    }

    #[test]
    fn other_paths_and_every_spelling_trick_are_refused() {
        for path in [
            "/v1/files",
            "/v1/messages/batches",
            "/v1/messages/batches/msgbatch_1/results",
            "/v1/models",
            "/v1/messages/../files",
            "/v1/messages/%2e%2e/files",
            "/v1/messages/",
            "/v1/messages/count_tokens/",
            "//v1/messages",
            "//v1/files",
            "/v1//messages",
            "/v1/%6dessages",
            "/v1/messages%2fbatches",
            "/v1/Messages",
            "/V1/messages",
            "/v1/messages;x",
            "/v1/messages/count_tokens/../../files",
            "/v1/responses/",
            "/v1/responses/resp_1",
            "/v1/responses/compact",
            "/v1/responses/../files",
            "/v1/%72esponses",
            "//v1/responses",
            "/v1/Responses",
            "/responses",
            "/v1/chat/completions",
            "/v1/realtime",
            "",
            "/",
        ] {
            assert_eq!(allowed_route(&Method::POST, path), None, "{path}");
        }
    }

    #[test]
    fn an_upstream_error_message_is_read_from_its_body() {
        assert_eq!(
            error_message(br#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#),
            "invalid x-api-key"
        );
        assert_eq!(error_message(b" Bad Gateway \n"), "Bad Gateway");
        assert_eq!(error_message(b""), "no message");
    }

    #[test]
    fn upstream_failures_are_the_statuses_a_user_must_see() {
        for status in [401, 403, 429, 500, 502, 503, 529] {
            assert!(
                is_failure(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
        for status in [200, 400, 404, 413] {
            assert!(
                !is_failure(StatusCode::from_u16(status).unwrap()),
                "{status}"
            );
        }
    }

    fn headers_for(access: ModelAccess) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("anthropic-beta", HeaderValue::from_static("tools-1"));
        Upstream::new(access).credentials(&mut headers).unwrap();
        headers
    }

    #[test]
    fn the_platform_key_is_sent_as_x_api_key() {
        let headers = headers_for(ModelAccess::new(
            &[("ANTHROPIC_API_KEY".to_owned(), "sk-real".to_owned())],
            None,
        ));
        assert_eq!(headers["x-api-key"], "sk-real");
        assert!(headers.get(header::AUTHORIZATION).is_none());
        assert_eq!(headers["anthropic-beta"], "tools-1");
    }

    #[test]
    fn a_claude_login_is_presented_as_an_oauth_bearer_token_read_at_each_call() {
        let dir = tempfile::tempdir().unwrap();
        let login = dir.path().join(".credentials.json");
        std::fs::write(&login, r#"{"claudeAiOauth":{"accessToken":"first"}}"#).unwrap();
        let upstream = Upstream::new(ModelAccess::new(&[], Some(&login)));
        let mut headers = HeaderMap::new();
        upstream.credentials(&mut headers).unwrap();
        assert_eq!(headers[header::AUTHORIZATION], "Bearer first");
        assert_eq!(headers["anthropic-beta"], OAUTH_BETA);
        // The user's own `claude` refreshed the login on the host.
        std::fs::write(&login, r#"{"claudeAiOauth":{"accessToken":"second"}}"#).unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("anthropic-beta", HeaderValue::from_static("tools-1"));
        upstream.credentials(&mut headers).unwrap();
        assert_eq!(headers[header::AUTHORIZATION], "Bearer second");
        assert_eq!(headers["anthropic-beta"], "tools-1,oauth-2025-04-20");
    }

    #[test]
    fn a_gateway_token_is_a_bearer_token_without_the_oauth_flag() {
        let headers = headers_for(ModelAccess::new(
            &[("ANTHROPIC_AUTH_TOKEN".to_owned(), "gw".to_owned())],
            None,
        ));
        assert_eq!(headers[header::AUTHORIZATION], "Bearer gw");
        assert_eq!(headers["anthropic-beta"], "tools-1");
    }
}
