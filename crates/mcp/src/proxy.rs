//! The model-API proxy: each session's `model.sock` serves the Anthropic Messages API by forwarding
//! every request to the platform's real upstream with the platform's real credentials.
//!
//! The agent only ever holds a placeholder key ([`engine::model_proxy::PLACEHOLDER_API_KEY`]); whatever key or token it
//! sends is dropped here and the platform's own is added, so the real one never enters a container.
//! Responses, streaming ones included, pass back chunk by chunk with their status and headers;
//! on the way the `usage` fields are read and added to the session's account, and a session whose
//! budget (`AGENT_SESSION_BUDGET_USD`) is spent gets an Anthropic-style error instead of a call.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use bytes::Bytes;
use domain::SessionId;
use engine::Engine;
use futures::StreamExt;
use serde_json::Value;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// The model socket's file name in a session's runtime directory.
pub const MODEL_SOCKET_NAME: &str = "model.sock";
/// The upstream when the platform sets no `ANTHROPIC_BASE_URL`.
pub const DEFAULT_UPSTREAM: &str = "https://api.anthropic.com";
/// The largest request body forwarded; the Messages API refuses larger ones anyway.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;
/// The most bytes of a non-streaming answer kept to read its `usage`.
const MAX_ACCOUNTED_BYTES: usize = 8 * 1024 * 1024;

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

/// The platform's upstream and credentials, read once from the agent environment of its config.
#[derive(Clone, Debug)]
pub struct Upstream {
    base_url: String,
    credential: Option<(HeaderName, HeaderValue)>,
    client: reqwest::Client,
}

impl Upstream {
    /// From the platform's `ANTHROPIC_BASE_URL` and `ANTHROPIC_API_KEY`, or
    /// `ANTHROPIC_AUTH_TOKEN` / `CLAUDE_CODE_OAUTH_TOKEN` sent as a bearer token.
    pub fn from_env(env: &[(String, String)]) -> Self {
        let get = |name: &str| {
            env.iter()
                .find(|(key, value)| key == name && !value.is_empty())
                .map(|(_, value)| value.clone())
        };
        let base_url = get("ANTHROPIC_BASE_URL")
            .unwrap_or_else(|| DEFAULT_UPSTREAM.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let credential = match get("ANTHROPIC_API_KEY") {
            Some(key) => HeaderValue::from_str(&key)
                .ok()
                .map(|value| (HeaderName::from_static("x-api-key"), value)),
            None => get("ANTHROPIC_AUTH_TOKEN")
                .or_else(|| get("CLAUDE_CODE_OAUTH_TOKEN"))
                .and_then(|token| HeaderValue::from_str(&format!("Bearer {token}")).ok())
                .map(|value| (header::AUTHORIZATION, value)),
        };
        Self {
            base_url,
            credential,
            client: reqwest::Client::new(),
        }
    }
}

/// Serves the proxy on one session's socket until `stop` is cancelled.
pub(crate) async fn serve(
    listener: UnixListener,
    engine: Engine,
    upstream: Upstream,
    session: SessionId,
    stop: CancellationToken,
) {
    let router = axum::Router::new().fallback(move |request: Request<Body>| {
        let engine = engine.clone();
        let upstream = upstream.clone();
        async move { forward(&engine, &upstream, session, request).await }
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

async fn forward(
    engine: &Engine,
    upstream: &Upstream,
    session: SessionId,
    request: Request<Body>,
) -> Response<Body> {
    if let Some(refusal) = budget_refusal(engine, session).await {
        return refusal;
    }
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            return api_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request_too_large",
                format!("the platform's model proxy could not read the request: {error}"),
            );
        }
    };
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let url = format!("{}{path}", upstream.base_url);
    let mut headers = HeaderMap::new();
    // Without credentials of its own the platform passes the agent's login on (a copied
    // credentials file); otherwise whatever the agent sent is replaced.
    let keep_agent_credentials = upstream.credential.is_none();
    for (name, value) in &parts.headers {
        let credential = name == "x-api-key" || name == header::AUTHORIZATION;
        if (keep_agent_credentials && credential)
            || !DROPPED_REQUEST_HEADERS.contains(&name.as_str())
        {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some((name, value)) = &upstream.credential {
        headers.insert(name.clone(), value.clone());
    }
    let sent = upstream
        .client
        .request(parts.method, &url)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) => {
            tracing::warn!(%session, %error, "the model upstream is unreachable");
            return api_error(
                StatusCode::BAD_GATEWAY,
                "api_error",
                format!(
                    "the platform cannot reach the model API at {}: {error}; check the platform's ANTHROPIC_BASE_URL and network",
                    upstream.base_url
                ),
            );
        }
    };
    let mut response = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if !DROPPED_RESPONSE_HEADERS.contains(&name.as_str()) {
            response = response.header(name, value);
        }
    }
    let streaming = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/event-stream"));
    let mut meter = Meter::new(streaming);
    let engine = engine.clone();
    let mut chunks = answer.bytes_stream();
    let stream = async_stream(move |sender| async move {
        while let Some(chunk) = chunks.next().await {
            match chunk {
                Ok(chunk) => {
                    meter.feed(&chunk);
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
        let usage = meter.finish();
        if usage != Usage::default()
            && let Err(error) = engine
                .store()
                .add_session_usage(session, usage.input_tokens, usage.output_tokens)
                .await
        {
            tracing::warn!(%session, %error, "could not record the session's model usage");
        }
    });
    response.body(Body::from_stream(stream)).unwrap_or_default()
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

/// Refuses the call when the session's budget is spent.
async fn budget_refusal(engine: &Engine, session: SessionId) -> Option<Response<Body>> {
    let budget = engine.config().session_budget_usd?;
    let spent = match engine.store().session_cost(session).await {
        Ok(spent) => spent,
        Err(error) => {
            tracing::warn!(%session, %error, "could not read the session's cost; refusing the call");
            return Some(api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                format!("the platform could not read this session's spending: {error}"),
            ));
        }
    };
    (spent >= budget).then(|| {
        api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!(
                "this session's budget is spent: it has used ${spent:.4} of its ${budget:.4} (AGENT_SESSION_BUDGET_USD); start a new session, or raise AGENT_SESSION_BUDGET_USD and restart the platform to continue this one"
            ),
        )
    })
}

/// Tokens of one answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
}

/// Reads `usage` out of an answer as it passes: the SSE events `message_start` (input) and
/// `message_delta` (output, cumulative) of a stream, or the top-level `usage` of a JSON body.
struct Meter {
    streaming: bool,
    pending: Vec<u8>,
    usage: Usage,
}

impl Meter {
    fn new(streaming: bool) -> Self {
        Self {
            streaming,
            pending: Vec::new(),
            usage: Usage::default(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if !self.streaming {
            if self.pending.len() + chunk.len() <= MAX_ACCOUNTED_BYTES {
                self.pending.extend_from_slice(chunk);
            }
            return;
        }
        self.pending.extend_from_slice(chunk);
        while let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            if let Some(data) = line.strip_prefix(b"data:")
                && let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii())
            {
                self.event(&event);
            }
        }
    }

    fn event(&mut self, event: &Value) {
        match event["type"].as_str() {
            Some("message_start") => add_usage(&mut self.usage, &event["message"]["usage"]),
            Some("message_delta") => {
                if let Some(output) = event["usage"]["output_tokens"].as_i64() {
                    self.usage.output_tokens = output;
                }
            }
            _ => {}
        }
    }

    fn finish(self) -> Usage {
        if self.streaming {
            return self.usage;
        }
        let mut usage = Usage::default();
        if let Ok(body) = serde_json::from_slice::<Value>(&self.pending)
            && body["type"] == "message"
        {
            add_usage(&mut usage, &body["usage"]);
        }
        usage
    }
}

/// Input counts cached and cache-writing tokens too: they are all tokens the session sent.
fn add_usage(usage: &mut Usage, fields: &Value) {
    let count = |name: &str| fields[name].as_i64().unwrap_or(0);
    usage.input_tokens += count("input_tokens")
        + count("cache_creation_input_tokens")
        + count("cache_read_input_tokens");
    usage.output_tokens = usage.output_tokens.max(count("output_tokens"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_is_metered_from_message_start_and_the_last_message_delta() {
        let mut meter = Meter::new(true);
        meter.feed(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"usa");
        meter.feed(b"ge\":{\"output_tokens\":7}}\n\n");
        assert_eq!(
            meter.finish(),
            Usage {
                input_tokens: 15,
                output_tokens: 7
            }
        );
    }

    #[test]
    fn a_json_message_is_metered_from_its_usage() {
        let mut meter = Meter::new(false);
        meter.feed(br#"{"type":"message","usage":{"input_tokens":4,"#);
        meter.feed(br#""output_tokens":9}}"#);
        assert_eq!(
            meter.finish(),
            Usage {
                input_tokens: 4,
                output_tokens: 9
            }
        );
    }

    #[test]
    fn the_platform_key_wins_over_a_token() {
        let upstream = Upstream::from_env(&[
            ("ANTHROPIC_AUTH_TOKEN".to_owned(), "token".to_owned()),
            ("ANTHROPIC_API_KEY".to_owned(), "sk-real".to_owned()),
            (
                "ANTHROPIC_BASE_URL".to_owned(),
                "http://127.0.0.1:9/".to_owned(),
            ),
        ]);
        assert_eq!(upstream.base_url, "http://127.0.0.1:9");
        let (name, value) = upstream.credential.expect("a credential");
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("x-api-key", "sk-real")
        );
    }

    #[test]
    fn an_oauth_token_is_sent_as_a_bearer_token() {
        let upstream =
            Upstream::from_env(&[("CLAUDE_CODE_OAUTH_TOKEN".to_owned(), "oauth".to_owned())]);
        assert_eq!(upstream.base_url, DEFAULT_UPSTREAM);
        let (name, value) = upstream.credential.expect("a credential");
        assert_eq!(
            (name.as_str(), value.to_str().unwrap()),
            ("authorization", "Bearer oauth")
        );
    }
}
