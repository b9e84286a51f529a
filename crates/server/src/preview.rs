//! `/preview/<session>/…`: a reverse proxy to the session's dev server, for logged-in users only,
//! served only by the preview listener (`AGENTYARD_PREVIEW_BIND`).
//!
//! The app a preview serves is the agent's, and the agent is an attacker: its pages must never run
//! on the platform's origin, where they could call `/api` as the user. So previews have an origin
//! of their own (the same host, the preview listener's port), which serves nothing else; the
//! platform's listener answers `/preview/…` with a redirect there (`elsewhere`), and refuses writes
//! from other origins (`auth::refuse_foreign_writes`). Browsers send a host's cookies to each of its
//! ports, so the login cookie reaches the preview listener.
//!
//! The target comes only from the engine (`Engine::preview_target`: the session's own container on
//! the agent network, or loopback in local mode), never from the request, so this is no open
//! proxy. The request is forwarded without the `/preview/<session>` prefix and without what is the
//! platform's: the `Authorization` header and the login cookie never reach the app, and the app
//! cannot set the login cookie. Bodies are bounded as the API's are; answers stream back as they
//! come. A WebSocket upgrade is proxied both ways (with its subprotocol).

use crate::error::ApiError;
use crate::{AppState, BODY_LIMIT_BYTES, auth};
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{
    self, AUTHORIZATION, CONNECTION, COOKIE, HOST, HeaderMap, HeaderName, HeaderValue, LOCATION,
    SEC_WEBSOCKET_PROTOCOL, SET_COOKIE,
};
use axum::http::{StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use domain::SessionId;
use engine::{Engine, EngineError};
use futures::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The path prefix of previews.
const PREFIX: &str = "/preview/";
/// How long the dev server may take to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Headers that describe one connection, not the message: never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// What the proxy's handlers reach.
#[derive(Clone)]
struct PreviewProxy {
    engine: Engine,
    /// Talks to dev servers: no redirects followed (the browser follows them, through the proxy),
    /// no proxy from the environment (the target is on this machine or the agent network).
    client: reqwest::Client,
}

/// The preview listener's routes: previews behind the same token check as `/api`, and a 404 for
/// everything else (no API, WebSocket, login or UI on the preview origin).
pub(crate) fn listener_routes(state: &AppState) -> Router {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
        .expect("a client without TLS settings always builds");
    let proxy = PreviewProxy {
        engine: state.engine.clone(),
        client,
    };
    Router::new()
        .route("/preview/{id}", any(add_slash))
        .route("/preview/{id}/", any(forward))
        .route("/preview/{id}/{*rest}", any(forward))
        .route_layer(from_fn_with_state(state.clone(), auth::require_token))
        .fallback(only_previews)
        .with_state(proxy)
}

async fn only_previews() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "this address serves only previews, at /preview/<session>/; the platform itself is on its own port.",
    )
}

/// The platform listener's `/preview/…`: a redirect (307, method and body kept) to the same path
/// on the preview origin. Nothing of a preview is ever served on the platform's origin.
pub(crate) fn elsewhere(state: &AppState) -> Router {
    Router::new()
        .route("/preview/{*rest}", any(redirect_to_preview_origin))
        .with_state(state.preview_addr)
}

async fn redirect_to_preview_origin(
    State(preview_addr): State<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map_or(uri.path(), |path| path.as_str());
    let location = format!("{}{path_and_query}", preview_origin(&headers, preview_addr));
    (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, location)]).into_response()
}

/// The preview origin as the browser that sent `headers` reaches it: the host it asked the platform
/// for (so `localhost` stays `localhost` and the login cookie goes along), the preview listener's
/// port, and the scheme it used (`https` behind a TLS proxy, which must then serve that port too).
pub(crate) fn preview_origin(headers: &HeaderMap, preview_addr: SocketAddr) -> String {
    let asked = auth::request_host(headers).and_then(host_name);
    let host = match asked {
        Some(host) => host.to_owned(),
        None if preview_addr.ip().is_unspecified() => "127.0.0.1".to_owned(),
        None => match preview_addr.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        },
    };
    format!(
        "{}://{host}:{}",
        auth::request_scheme(headers),
        preview_addr.port()
    )
}

/// The host name of a `host[:port]`, when it is one (letters, digits, `.`, `-`, or an IPv6 literal
/// in brackets); anything else is ignored rather than put in a URL.
fn host_name(authority: &str) -> Option<&str> {
    let host = if authority.starts_with('[') {
        &authority[..=authority.find(']')?]
    } else {
        authority.split(':').next()?
    };
    let inner = host.trim_start_matches('[').trim_end_matches(']');
    let valid = !inner.is_empty()
        && if host.starts_with('[') {
            inner.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            inner
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        };
    valid.then_some(host)
}

/// `/preview/<id>` → `/preview/<id>/`, so the app's relative links resolve under its prefix.
async fn add_slash(uri: Uri) -> Response {
    let location = match uri.query() {
        Some(query) => format!("{}/?{query}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    (StatusCode::PERMANENT_REDIRECT, [(LOCATION, location)]).into_response()
}

async fn forward(State(proxy): State<PreviewProxy>, request: Request) -> Response {
    let Some((id, path)) = split_path(request.uri().path()) else {
        return page(
            StatusCode::NOT_FOUND,
            "There is no such preview: the address names no session.",
        );
    };
    let target = match proxy.engine.preview_target(id).await {
        Ok(target) => target,
        Err(error) => return refusal(id, error),
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let is_upgrade = request
        .headers()
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"));
    if is_upgrade {
        return forward_websocket(request, target, &path_and_query).await;
    }
    forward_http(&proxy.client, request, target, &path_and_query).await
}

/// The session and the path under its prefix (`/` at least), from `/preview/<id>/<rest>`.
fn split_path(path: &str) -> Option<(SessionId, &str)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (id, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    Some((id.parse().ok()?, path))
}

async fn forward_http(
    client: &reqwest::Client,
    request: Request,
    target: SocketAddr,
    path_and_query: &str,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT_BYTES).await {
        Ok(body) => body,
        Err(_) => return ApiError::body_too_large().into_response(),
    };
    let mut headers = parts.headers;
    strip_platform_headers(&mut headers);
    // reqwest sets `Host` from the address it connects to.
    headers.remove(HOST);
    let sent = client
        .request(parts.method, format!("http://{target}{path_and_query}"))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) => {
            tracing::debug!(%target, %error, "the dev server did not answer");
            return page(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "The dev server did not answer ({error}). Is it still starting, or does it listen on another port or only on 127.0.0.1? Its log is in the session's Preview tab."
                ),
            );
        }
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    strip_connection_headers(&mut headers);
    remove_login_cookie(&mut headers);
    let mut response = Response::new(Body::from_stream(answer.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

async fn forward_websocket(request: Request, target: SocketAddr, path_and_query: &str) -> Response {
    let (mut parts, _body) = request.into_parts();
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let mut upstream = match format!("ws://{target}{path_and_query}").into_client_request() {
        Ok(upstream) => upstream,
        Err(error) => {
            return page(
                StatusCode::BAD_REQUEST,
                &format!("This WebSocket address cannot be forwarded: {error}"),
            );
        }
    };
    let mut headers = parts.headers.clone();
    strip_platform_headers(&mut headers);
    // What the app may care about; the handshake's own headers are the client library's.
    for name in [
        SEC_WEBSOCKET_PROTOCOL,
        COOKIE,
        header::ORIGIN,
        header::USER_AGENT,
    ] {
        for value in headers.get_all(&name) {
            upstream.headers_mut().append(name.clone(), value.clone());
        }
    }
    let connected =
        tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(upstream)).await;
    let (upstream, answer) = match connected {
        Ok(Ok(connected)) => connected,
        Ok(Err(error)) => {
            return page(
                StatusCode::BAD_GATEWAY,
                &format!("The dev server refused the WebSocket: {error}"),
            );
        }
        Err(_) => {
            return page(
                StatusCode::GATEWAY_TIMEOUT,
                "The dev server did not accept the WebSocket in time.",
            );
        }
    };
    let upgrade = match answer
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
    {
        Some(protocol) => upgrade.protocols([protocol.to_owned()]),
        None => upgrade,
    };
    upgrade.on_upgrade(move |browser| relay(browser, upstream))
}

type Upstream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Passes messages both ways until either side closes.
async fn relay(browser: WebSocket, upstream: Upstream) {
    let (mut to_browser, mut from_browser) = browser.split();
    let (mut to_app, mut from_app) = upstream.split();
    let inbound = async {
        while let Some(Ok(message)) = from_browser.next().await {
            let close = matches!(message, ws::Message::Close(_));
            if to_app.send(to_app_message(message)).await.is_err() || close {
                break;
            }
        }
        let _ = to_app.close().await;
    };
    let outbound = async {
        while let Some(Ok(message)) = from_app.next().await {
            let Some(message) = to_browser_message(message) else {
                continue;
            };
            let close = matches!(message, ws::Message::Close(_));
            if to_browser.send(message).await.is_err() || close {
                break;
            }
        }
        let _ = to_browser.close().await;
    };
    tokio::select! {
        () = inbound => {}
        () = outbound => {}
    }
}

fn to_app_message(message: ws::Message) -> tungstenite::Message {
    match message {
        ws::Message::Text(text) => tungstenite::Message::text(text.as_str()),
        ws::Message::Binary(data) => tungstenite::Message::binary(data),
        ws::Message::Ping(data) => tungstenite::Message::Ping(data),
        ws::Message::Pong(data) => tungstenite::Message::Pong(data),
        ws::Message::Close(frame) => {
            tungstenite::Message::Close(frame.map(|frame| tungstenite::protocol::CloseFrame {
                code: frame.code.into(),
                reason: frame.reason.as_str().into(),
            }))
        }
    }
}

fn to_browser_message(message: tungstenite::Message) -> Option<ws::Message> {
    Some(match message {
        tungstenite::Message::Text(text) => ws::Message::text(text.as_str()),
        tungstenite::Message::Binary(data) => ws::Message::binary(data),
        tungstenite::Message::Ping(data) => ws::Message::Ping(data),
        tungstenite::Message::Pong(data) => ws::Message::Pong(data),
        tungstenite::Message::Close(frame) => {
            ws::Message::Close(frame.map(|frame| ws::CloseFrame {
                code: frame.code.into(),
                reason: frame.reason.as_str().into(),
            }))
        }
        // Raw frames are never produced when reading.
        tungstenite::Message::Frame(_) => return None,
    })
}

/// Removes what belongs to the platform from a request: the token (header or cookie) and the
/// connection's own headers.
fn strip_platform_headers(headers: &mut HeaderMap) {
    strip_connection_headers(headers);
    headers.remove(AUTHORIZATION);
    let cookies: Vec<String> = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .map(str::trim)
        .filter(|cookie| {
            !cookie.is_empty()
                && cookie
                    .split_once('=')
                    .is_none_or(|(name, _)| name.trim() != auth::LOGIN_COOKIE)
        })
        .map(str::to_owned)
        .collect();
    headers.remove(COOKIE);
    if !cookies.is_empty()
        && let Ok(value) = HeaderValue::from_str(&cookies.join("; "))
    {
        headers.insert(COOKIE, value);
    }
}

/// Removes hop-by-hop headers, and those the `Connection` header names.
fn strip_connection_headers(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP {
        headers.remove(*name);
    }
    for name in named {
        headers.remove(name);
    }
}

/// The app may not set (or clear) the platform's login cookie.
fn remove_login_cookie(headers: &mut HeaderMap) {
    let kept: Vec<HeaderValue> = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter(|value| {
            value
                .to_str()
                .ok()
                .and_then(|cookie| cookie.split_once('='))
                .is_none_or(|(name, _)| name.trim() != auth::LOGIN_COOKIE)
        })
        .cloned()
        .collect();
    headers.remove(SET_COOKIE);
    for value in kept {
        headers.append(SET_COOKIE, value);
    }
}

/// Why there is nothing to show, as a page a person reads in the preview tab.
fn refusal(id: SessionId, error: EngineError) -> Response {
    match error {
        EngineError::NotFound { .. } => {
            page(StatusCode::NOT_FOUND, &format!("There is no session {id}."))
        }
        EngineError::Refused { .. } | EngineError::Conflict(_) | EngineError::Invalid { .. } => {
            page(StatusCode::BAD_GATEWAY, &error.to_string())
        }
        other => ApiError::from(other).into_response(),
    }
}

fn page(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("Agentyard preview: {message}\n"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_origin_keeps_the_host_the_browser_asked_for() {
        let addr: SocketAddr = "0.0.0.0:3002".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "localhost:3001".parse().unwrap());
        assert_eq!(preview_origin(&headers, addr), "http://localhost:3002");
        headers.insert(HOST, "[::1]:3001".parse().unwrap());
        assert_eq!(preview_origin(&headers, addr), "http://[::1]:3002");
        headers.insert("x-forwarded-host", "yard.example.com".parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert_eq!(
            preview_origin(&headers, addr),
            "https://yard.example.com:3002"
        );
        let mut odd = HeaderMap::new();
        odd.insert(HOST, "evil.example/@x:1".parse().unwrap());
        assert_eq!(preview_origin(&odd, addr), "http://127.0.0.1:3002");
        let loopback: SocketAddr = "[::1]:4000".parse().unwrap();
        assert_eq!(
            preview_origin(&HeaderMap::new(), loopback),
            "http://[::1]:4000"
        );
    }

    #[test]
    fn the_prefix_and_session_are_taken_off_the_path() {
        let id = SessionId::new();
        let path = format!("/preview/{id}/assets/app.js");
        assert_eq!(split_path(&path), Some((id, "/assets/app.js")));
        let root = format!("/preview/{id}/");
        assert_eq!(split_path(&root), Some((id, "/")));
        assert_eq!(split_path("/preview/not-a-session/x"), None);
    }

    #[test]
    fn the_platforms_token_never_reaches_the_app() {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, "Bearer secret".parse().unwrap());
        headers.append(
            COOKIE,
            "theme=dark; agentyard_token=secret; cart=3"
                .parse()
                .unwrap(),
        );
        headers.insert(CONNECTION, "keep-alive, x-private".parse().unwrap());
        headers.insert("x-private", "1".parse().unwrap());
        headers.insert("accept", "text/html".parse().unwrap());
        strip_platform_headers(&mut headers);
        assert!(headers.get(AUTHORIZATION).is_none());
        assert_eq!(headers[COOKIE], "theme=dark; cart=3");
        assert!(headers.get("x-private").is_none());
        assert!(headers.get(CONNECTION).is_none());
        assert_eq!(headers["accept"], "text/html");
    }

    #[test]
    fn the_app_cannot_set_the_login_cookie() {
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, "agentyard_token=x; Path=/".parse().unwrap());
        headers.append(SET_COOKIE, "session=abc; Path=/".parse().unwrap());
        remove_login_cookie(&mut headers);
        let set: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
        assert_eq!(set, ["session=abc; Path=/"]);
    }
}
