//! Token auth: `Authorization: Bearer <token>`, the cookie set by `/login?token=`, or (for the
//! WebSocket, which browsers cannot give headers) `?token=`. Only `/api/health` and `/login`
//! are open.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Query, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

pub const LOGIN_COOKIE: &str = "agentyard_token";

/// Compares in time independent of where the texts first differ.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    if let Some(bearer) = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    {
        return Some(bearer.trim().to_owned());
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == LOGIN_COOKIE)
        .map(|(_, value)| value.to_owned())
}

fn token_from_query(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .map(|(_, value)| value.to_owned())
}

/// Lets a request through only with the right token.
pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let given = token_from_headers(request.headers()).or_else(|| {
        (request.uri().path() == "/ws")
            .then(|| token_from_query(request.uri().query()))
            .flatten()
    });
    match given {
        Some(given) if same_token(&given, &state.token) => next.run(request).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoginQuery {
    /// The API token.
    token: Option<String>,
}

/// `GET /login?token=…`: sets the cookie and opens the app, or explains what is wrong.
#[utoipa::path(
    get,
    path = "/login",
    tag = "platform",
    security(()),
    params(LoginQuery),
    responses(
        (status = 303, description = "The token is right: sets the login cookie and redirects to the app"),
        (status = 401, description = "A sign-in page saying what is wrong", content_type = "text/html"),
    )
)]
pub async fn login(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Response {
    match query.token {
        Some(token) if same_token(&token, &state.token) => {
            let cookie = format!(
                "{LOGIN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000"
            );
            (
                StatusCode::SEE_OTHER,
                [(SET_COOKIE, cookie), (LOCATION, "/".to_owned())],
            )
                .into_response()
        }
        given => {
            let why = if given.is_some() {
                "That token is not the right one."
            } else {
                "The login link has no token."
            };
            (StatusCode::UNAUTHORIZED, Html(login_page(why))).into_response()
        }
    }
}

fn login_page(why: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Agentyard: sign in</title>
<style>body{{font:16px system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5}}code{{background:#8882;padding:0 .3em;border-radius:3px}}input,button{{font:inherit;padding:.4rem .6rem}}</style></head>
<body><h1>Sign in to Agentyard</h1><p><strong>{why}</strong></p>
<p>When <code>agentyard serve</code> starts it prints a login URL such as <code>http://127.0.0.1:3001/login?token=…</code>. Open that URL, or paste the token here. The token is also saved in <code>api-token</code> in the data directory.</p>
<form method="get" action="/login"><label for="token">Token</label><br><input id="token" name="token" type="password" autocomplete="off" size="40" required> <button type="submit">Sign in</button></form></body></html>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "theme=dark; agentyard_token=t0k; x=y".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("t0k"));
    }

    #[test]
    fn the_websocket_token_comes_from_the_query() {
        assert_eq!(
            token_from_query(Some("a=1&token=xyz")).as_deref(),
            Some("xyz")
        );
        assert_eq!(token_from_query(None), None);
    }
}
