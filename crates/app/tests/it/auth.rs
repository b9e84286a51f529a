//! Token auth: Bearer header, login cookie, WebSocket query; refusals are 401 with a remediation.
//! The browser boundary: writes from another origin (an agent's preview above all) are refused,
//! the platform is never framed, and the preview origin serves previews only.

use crate::support::{TOKEN, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn requests_without_or_with_a_wrong_token_are_refused() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/api/projects", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert!(body["remediation"].as_str().unwrap().contains("login URL"));

    let response = client
        .get(format!("{}/api/projects", app.base_url))
        .bearer_auth("wrong-token-wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = client
        .post(format!("{}/api/projects", app.base_url))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.project_dirs().is_empty(),
        "a refused request created nothing"
    );
}

#[tokio::test]
async fn the_login_url_sets_a_cookie_that_authenticates() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/login?token={TOKEN}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let response = reqwest::Client::new()
        .get(format!("{}/api/projects", app.base_url))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_change_anything_with_the_login_cookie() {
    let app = TestApp::spawn().await;
    let cookie = format!("agentyard_token={TOKEN}");
    let create = |origin: Option<&str>, name: &str| {
        let mut request = app
            .client
            .post(format!("{}/api/projects", app.base_url))
            .header("cookie", &cookie)
            .json(&serde_json::json!({ "name": name }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    // The preview origin is same-site (the Strict cookie goes along), but another origin.
    for origin in [app.preview_url.as_str(), "null", "http://localhost:1"] {
        let response = create(Some(origin), "forged").await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "foreign_origin", "{body}");
        assert!(body["remediation"].as_str().is_some(), "{body}");
    }
    // Refused before the route is even looked at: an unknown one, a DELETE, no body at all.
    let response = app
        .client
        .delete(format!(
            "{}/api/projects/{}",
            app.base_url,
            domain::SessionId::new()
        ))
        .header("cookie", &cookie)
        .header("origin", &app.preview_url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        app.project_dirs().is_empty(),
        "a refused write created nothing"
    );
    let (_, projects) = app.get("/api/projects").await;
    assert_eq!(projects, serde_json::json!([]));

    // The platform's own pages, and programs (no Origin), may write; anyone may read.
    let response = create(Some(&app.base_url), "own").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = create(None, "program").await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = app
        .client
        .get(format!("{}/api/projects", app.base_url))
        .header("cookie", &cookie)
        .header("origin", &app.preview_url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn the_platform_is_never_framed_and_previews_live_on_their_own_origin() {
    let app = TestApp::spawn().await;
    let response = app.client.get(&app.base_url).send().await.unwrap();
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(
        response.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
    // The preview origin serves nothing of the platform's, with or without the token.
    for path in [
        "/api/projects",
        "/api/health",
        "/",
        "/ws",
        &format!("/login?token={TOKEN}"),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.preview_url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
    }
    // The platform's `/preview/…` sends the browser there, path and query kept.
    let id = domain::SessionId::new();
    let response = app
        .client
        .get(format!("{}/preview/{id}/a.js?v=1", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        format!("{}/preview/{id}/a.js?v=1", app.preview_url).as_str()
    );
    // There, an unknown session's preview is a 404, and no login a 401.
    let response = app
        .client
        .get(format!("{}/preview/{id}/", app.preview_url))
        .header("cookie", format!("agentyard_token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .client
        .get(format!("{}/preview/{id}/", app.preview_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_login_token_gets_a_page_that_explains() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/login?token=nope", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get("set-cookie").is_none());
    assert!(response.text().await.unwrap().contains("agentyard serve"));
}

#[tokio::test]
async fn the_websocket_needs_the_token() {
    let app = TestApp::spawn().await;
    let url = format!("{}/ws", app.base_url.replace("http://", "ws://"));
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err()
    );
    let wrong = format!("{url}?token=wrong");
    assert!(
        tokio_tungstenite::connect_async(wrong.as_str())
            .await
            .is_err()
    );
    let mut ws = app.ws().await;
    let hello = ws
        .wait_for(std::time::Duration::from_secs(5), |event| {
            event["type"] == "chat:streaming"
        })
        .await;
    assert_eq!(hello["sessionIds"], serde_json::json!([]));
}

#[tokio::test]
async fn a_generated_token_is_saved_private_and_reused() {
    use std::os::unix::fs::PermissionsExt;
    let data = tempfile::tempdir().unwrap();
    let projects = tempfile::tempdir().unwrap();
    let config = || {
        agentyard::config::ConfigArgs {
            agent_mode: Some("local".into()),
            data_dir: Some(data.path().display().to_string()),
            projects_root: Some(projects.path().display().to_string()),
            ..Default::default()
        }
        .into_config()
        .unwrap()
    };
    let listeners = agentyard::Listeners::loopback().await.unwrap();
    let first = agentyard::start(config(), Some(listeners)).await.unwrap();
    let token = first.token.clone();
    assert!(
        first
            .login_url()
            .ends_with(&format!("/login?token={token}"))
    );
    first.stop().await.unwrap();
    let file = data.path().join("api-token");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let listeners = agentyard::Listeners::loopback().await.unwrap();
    let second = agentyard::start(config(), Some(listeners)).await.unwrap();
    assert_eq!(second.token, token);
    second.stop().await.unwrap();
}

#[tokio::test]
async fn binding_beyond_loopback_without_a_configured_token_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let projects = tempfile::tempdir().unwrap();
    let config = agentyard::config::ConfigArgs {
        agent_mode: Some("local".into()),
        bind: Some("0.0.0.0:0".into()),
        data_dir: Some(data.path().display().to_string()),
        projects_root: Some(projects.path().display().to_string()),
        ..Default::default()
    }
    .into_config()
    .unwrap();
    let error = agentyard::start(config, None)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(error.contains("AGENTYARD_TOKEN"), "{error}");
}
