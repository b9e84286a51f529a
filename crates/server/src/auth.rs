//! Token auth: `Authorization: Bearer <token>`, the cookie set by `/login?token=`, or (for the
//! WebSocket, which browsers cannot give headers) `?token=`. Only `/api/health` and `/login`
//! are open.
//!
//! Also the browser boundary: which origin is the platform's own (`same_origin`, checked by the
//! WebSocket, where browsers send cookies whatever page opened the socket, and by every write:
//! `refuse_foreign_writes`), and whether the browser reached the platform over TLS
//! (`request_scheme`, for the cookie's `Secure`).

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Query, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
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

/// The header a TLS-terminating reverse proxy sets to the scheme the browser used.
const FORWARDED_PROTO: &str = "x-forwarded-proto";
/// The header a reverse proxy sets to the host the browser asked for, when it rewrites `Host`.
const FORWARDED_HOST: &str = "x-forwarded-host";

/// The first value of a header that a chain of proxies may have made a comma-separated list.
fn first_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(',').next())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// The scheme the browser used to reach the platform. The platform itself serves plain HTTP, so
/// TLS means a reverse proxy in front of it that says `X-Forwarded-Proto: https`. The header is
/// trusted as it comes: a client that lies about it only makes its own cookie `Secure` (useless to
/// it over plain HTTP) or its own WebSocket handshake fail the origin check.
pub(crate) fn request_scheme(headers: &HeaderMap) -> &'static str {
    match first_value(headers, FORWARDED_PROTO) {
        Some(proto) if proto.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    }
}

/// `host:port` in lower case, with the scheme's default port when the text has none.
fn authority_with_port(authority: &str, scheme: &str) -> String {
    let authority = authority.to_ascii_lowercase();
    // The port follows the last `:`, unless that colon belongs to an IPv6 literal (`[::1]`).
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        && !authority.ends_with(']');
    if has_port {
        authority
    } else {
        let port = if scheme == "https" { 443 } else { 80 };
        format!("{authority}:{port}")
    }
}

/// The host (and port, when given) the browser asked for: `X-Forwarded-Host` behind a reverse
/// proxy that rewrites `Host`, else `Host`.
pub(crate) fn request_host(headers: &HeaderMap) -> Option<&str> {
    first_value(headers, FORWARDED_HOST)
        .or_else(|| headers.get(HOST).and_then(|value| value.to_str().ok()))
}

/// Whether the request comes from the platform's own pages, or from no browser at all.
///
/// Browsers send `Origin` on every WebSocket handshake, and send the login cookie whatever page
/// opened the socket; so a browser's `Origin` must be exactly the scheme, host and port the request
/// was made to (`Host`, or `X-Forwarded-Host` and `X-Forwarded-Proto` behind a reverse proxy). A
/// page on the same host but another port, such as an agent's dev server, is another origin. A
/// request without `Origin` comes from a program (a CLI, a test), which had to know the token.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok() else {
        return false;
    };
    let Some((origin_scheme, origin_authority)) = origin.split_once("://") else {
        // `null` (sandboxed frames, files) and anything unreadable is no origin of ours.
        return false;
    };
    let Some(host) = request_host(headers) else {
        return false;
    };
    let scheme = request_scheme(headers);
    origin_scheme.eq_ignore_ascii_case(scheme)
        && authority_with_port(origin_authority.trim_end_matches('/'), scheme)
            == authority_with_port(host, scheme)
}

/// Refuses a browser's write from a page of another origin, before any handler runs.
///
/// `SameSite=Strict` keeps other sites from sending the login cookie, but not another origin of
/// the same site: ports do not count, so an agent's preview (same host, another port) would send
/// it. Browsers put `Origin` on every request but GET and HEAD, so a write whose `Origin` is not
/// the platform's own is refused with 403 `foreign_origin`. A request without `Origin` comes from
/// a program, which had to know the token. Reads (GET, HEAD, OPTIONS) change nothing, and their
/// answers stay unreadable to another origin (no CORS headers).
pub async fn refuse_foreign_writes(request: Request, next: Next) -> Response {
    let reads = [Method::GET, Method::HEAD, Method::OPTIONS];
    if reads.contains(request.method()) || same_origin(request.headers()) {
        return next.run(request).await;
    }
    let origin = request
        .headers()
        .get(ORIGIN)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(unreadable)");
    ApiError::new(
        StatusCode::FORBIDDEN,
        "foreign_origin",
        format!(
            "a {} from a page of {origin} is refused: only the platform's own pages may change anything",
            request.method()
        ),
    )
    .with_remediation(
        "use the platform's UI, or call the API from a program (with `Authorization: Bearer <token>` and no `Origin` header)",
    )
    .into_response()
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
///
/// The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page or form
/// sends it), and `Secure` when the browser came over TLS. Strict does not break the login link
/// opened from elsewhere: the redirect to `/` only loads the UI, which needs no cookie; the UI's
/// own requests that follow are same-site and carry it.
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
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    match query.token {
        Some(token) if same_token(&token, &state.token) => {
            let secure = if request_scheme(&headers) == "https" {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{LOGIN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}"
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_platforms_own_origin_is_accepted() {
        let own = [
            ("host", "127.0.0.1:3001"),
            ("origin", "http://127.0.0.1:3001"),
        ];
        assert!(same_origin(&headers(&own)));
        let default_port = [
            ("host", "agentyard.local"),
            ("origin", "http://Agentyard.local:80"),
        ];
        assert!(same_origin(&headers(&default_port)));
        let ipv6 = [("host", "[::1]:3001"), ("origin", "http://[::1]:3001")];
        assert!(same_origin(&headers(&ipv6)));
    }

    #[test]
    fn another_port_scheme_or_host_is_another_origin() {
        for origin in [
            "http://127.0.0.1:5173",
            "https://127.0.0.1:3001",
            "http://localhost:3001",
            "http://127.0.0.1:3001.evil.example",
            "null",
            "127.0.0.1:3001",
        ] {
            let request = headers(&[("host", "127.0.0.1:3001"), ("origin", origin)]);
            assert!(!same_origin(&request), "{origin} was accepted");
        }
        assert!(!same_origin(&headers(&[(
            "origin",
            "http://127.0.0.1:3001"
        )])));
    }

    #[test]
    fn programs_without_an_origin_are_not_browsers() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:3001")])));
    }

    #[test]
    fn behind_a_tls_proxy_the_origin_is_the_proxys() {
        let proxied = headers(&[
            ("host", "127.0.0.1:3001"),
            ("x-forwarded-host", "yard.example.com"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://yard.example.com"),
        ]);
        assert!(same_origin(&proxied));
        assert_eq!(request_scheme(&proxied), "https");
        let plain = headers(&[
            ("host", "yard.example.com"),
            ("x-forwarded-proto", "https"),
            ("origin", "http://yard.example.com"),
        ]);
        assert!(!same_origin(&plain));
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
