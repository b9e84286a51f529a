//! Attacks on the browser boundary and on the platform's resources: a page of another origin
//! riding the login cookie, oversized bodies, an agent that defeats Stop or prints an endless
//! line, and more turns at once than `AGENT_MAX_RUNNING`.

use crate::docker_support::{containers_of, docker_app};
use crate::support::{Options, TOKEN, TestApp, model};
use crate::turn_scenarios::TURN;
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// The login cookie, as `/login?token=` sets it.
async fn login_cookie(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/login?token={TOKEN}", app.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Opens `/ws` with exactly these headers; the handshake's status.
async fn handshake(app: &TestApp, headers: &[(&'static str, String)]) -> StatusCode {
    let url = format!("{}/ws", app.base_url.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    for (name, value) in headers {
        request
            .headers_mut()
            .insert(*name, value.parse().expect("a header value"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut socket, response)) => {
            use futures::StreamExt;
            // An accepted socket greets with `chat:streaming`.
            let hello = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .expect("a greeting")
                .expect("an open socket")
                .expect("a frame");
            assert!(hello.to_text().unwrap().contains("chat:streaming"));
            StatusCode::from_u16(response.status().as_u16()).unwrap()
        }
        Err(tungstenite::Error::Http(response)) => {
            StatusCode::from_u16(response.status().as_u16()).unwrap()
        }
        Err(other) => panic!("the handshake failed without an HTTP answer: {other}"),
    }
}

#[tokio::test]
async fn a_page_of_another_origin_cannot_open_the_websocket_with_the_login_cookie() {
    let app = TestApp::spawn().await;
    let cookie = login_cookie(&app).await;
    let own_origin = app.base_url.clone();
    let port = own_origin.rsplit(':').next().unwrap().to_owned();

    // An agent's dev server on the same host, another port; another host name; TLS downgrade.
    for foreign in [
        "http://127.0.0.1:5173".to_owned(),
        format!("http://localhost:{port}"),
        format!("https://127.0.0.1:{port}"),
        "null".to_owned(),
    ] {
        let status = handshake(
            &app,
            &[("cookie", cookie.clone()), ("origin", foreign.clone())],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{foreign} was let in");
    }
    // Even the token in the query does not let another origin in.
    let url_token = format!(
        "{}/ws?token={TOKEN}",
        app.base_url.replace("http://", "ws://")
    );
    let mut request = url_token.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("origin", "http://127.0.0.1:5173".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(
        matches!(&refused, tungstenite::Error::Http(response) if response.status() == 403),
        "{refused}"
    );

    // The platform's own pages, and programs with a Bearer token and no Origin, are let in.
    assert_eq!(
        handshake(&app, &[("cookie", cookie.clone()), ("origin", own_origin)]).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    assert_eq!(
        handshake(&app, &[("authorization", format!("Bearer {TOKEN}"))]).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    // No token at all is still 401, whatever the origin.
    assert_eq!(
        handshake(&app, &[("origin", app.base_url.clone())]).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_login_cookie_is_secure_only_behind_tls_and_stays_strict() {
    let app = TestApp::spawn().await;
    let login = |proto: Option<&'static str>| {
        let mut request = app
            .client
            .get(format!("{}/login?token={TOKEN}", app.base_url));
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        async move {
            let response = request.send().await.unwrap();
            response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let behind_tls = login(Some("https")).await;
    assert!(behind_tls.contains("; Secure"), "{behind_tls}");
    assert!(behind_tls.contains("HttpOnly"), "{behind_tls}");
    assert!(behind_tls.contains("SameSite=Strict"), "{behind_tls}");
    let plain = login(None).await;
    assert!(!plain.contains("Secure"), "{plain}");
    assert!(plain.contains("SameSite=Strict"), "{plain}");
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(3 * 1024 * 1024);
    let (status, body) = app
        .post(
            "/api/projects",
            json!({"name": "huge", "description": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "body_too_large");
    assert!(body["error"].as_str().unwrap().contains("2 MiB"), "{body}");
    assert!(body["remediation"].is_string(), "{body}");
    assert!(app.project_dirs().is_empty());
    assert_eq!(app.get("/api/projects").await.1, json!([]));

    // The same without a length up front (a chunked body) is cut off at the limit.
    let chunks =
        futures::stream::iter((0..48).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
    let response = app
        .client
        .post(format!("{}/api/projects", app.base_url))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "body_too_large");

    // A chat message under the body limit but over the message limit is refused clearly.
    let project = app.create_project("small").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": "y".repeat(1024 * 1024 + 1)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "message_too_long");
    assert!(
        body["error"].as_str().unwrap().contains("1024 KiB"),
        "{body}"
    );
    assert!(app.messages(id).await.is_empty(), "nothing was stored");
}

/// A local-mode agent that floods stdout with one endless line when asked to, and otherwise
/// answers like the CLI: the turn's text and a `result`.
fn flooding_agent(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("flooding-agent");
    std::fs::write(
        &path,
        r#"#!/bin/sh
read -r message
echo '{"type":"system","subtype":"init","session_id":"fake-session","model":"fake","cwd":"/","tools":[]}'
case "$message" in
  *flood*) head -c 40000000 /dev/zero | tr '\0' a; echo ;;
esac
echo '{"type":"assistant","message":{"content":[{"type":"text","text":"still here"}]}}'
echo '{"type":"result","subtype":"success","is_error":false,"session_id":"fake-session","total_cost_usd":0,"result":"still here"}'
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn an_endless_line_ends_the_turn_with_a_clear_error_and_the_session_stays_usable() {
    let programs = tempfile::tempdir().unwrap();
    let agent = flooding_agent(programs.path()).display().to_string();
    let app = TestApp::spawn_with(Options {
        tweak: Some(Arc::new(move |config: &mut domain::Config| {
            config.agent_command = agent.clone();
        })),
        ..Options::default()
    })
    .await;
    let project = app.create_project("flood").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;

    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "flood"}))
        .await;
    let wanted = id.to_owned();
    let ended = ws
        .wait_for(TURN, move |event| {
            (event["type"] == "chat:error" || event["type"] == "chat:done")
                && event["sessionId"] == wanted.as_str()
        })
        .await;
    assert_eq!(ended["type"], "chat:error", "{ended}");
    assert_eq!(ended["code"], "agent_output_too_long", "{ended}");
    assert!(
        ended["error"].as_str().unwrap().contains("16 MiB"),
        "{ended}"
    );
    assert!(ended["remediation"].is_string(), "{ended}");

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "are you there?"}))
        .await;
    ws.done(id, TURN).await;
    let messages = app.messages(id).await;
    assert_eq!(messages.last().unwrap()["content"], "still here");
}

/// The script of the queueing test: each session's message streams for about a second.
fn slow_script() -> Script {
    Script::new().rule(
        "take your time",
        [Reply::slow_text(
            "one two three four five six seven eight",
            120,
        )],
    )
}

#[tokio::test]
async fn turns_beyond_agent_max_running_queue_and_all_finish_in_order() {
    let model = model(slow_script());
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        tweak: Some(Arc::new(|config: &mut domain::Config| {
            config.max_running = 2;
        })),
        ..Options::default()
    })
    .await;
    let project = app.create_project("crowd").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let session = app.create_session(&project, "explore").await;
        ids.push(session["id"].as_str().unwrap().to_owned());
    }
    let mut ws = app.ws().await;
    let mut answers = Vec::new();
    for id in &ids {
        let (status, answer) = app
            .post(
                &format!("/api/sessions/{id}/messages"),
                json!({"content": "take your time"}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let queued = answer["queued"].as_bool().unwrap();
        if queued {
            // In line once it is told so: the next message comes after it.
            ws.wait_for(TURN, |event| {
                event["type"] == "chat:queued" && event["sessionId"] == id.as_str()
            })
            .await;
        }
        answers.push(queued);
    }
    assert_eq!(answers[..2], [false, false], "two slots are free at first");
    assert_eq!(
        answers[2..],
        [true, true, true],
        "the rest wait: {answers:?}"
    );
    for id in &ids {
        ws.done(id, TURN * 2).await;
    }
    for id in &ids[2..] {
        assert!(
            ws.of(id).iter().any(|event| event["type"] == "chat:queued"),
            "{id} was told it waits"
        );
    }
    // Never more than two turns streamed at once, and the waiting ones started in order (a turn
    // starts when it takes its slot: its session goes to `starting`; its first text may come later).
    let mut starts: Vec<String> = Vec::new();
    for event in &ws.seen {
        let session = &event["session"];
        if event["type"] == "session:updated" && session["run_state"] == "starting" {
            let id = session["id"].as_str().unwrap().to_owned();
            if !starts.contains(&id) {
                starts.push(id);
            }
        }
    }
    let mut streaming = std::collections::HashSet::new();
    let mut most = 0;
    for event in &ws.seen {
        let Some(id) = event["sessionId"].as_str() else {
            continue;
        };
        match event["type"].as_str() {
            Some("chat:chunk") => {
                streaming.insert(id.to_owned());
                most = most.max(streaming.len());
            }
            Some("chat:done") => {
                streaming.remove(id);
            }
            _ => {}
        }
    }
    assert!(most <= 2, "{most} turns streamed at once");
    let position = |id: &String| starts.iter().position(|started| started == id).unwrap();
    assert!(position(&ids[2]) < position(&ids[3]) && position(&ids[3]) < position(&ids[4]));
    for id in &ids {
        let messages = app.messages(id).await;
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[1]["content"].as_str().unwrap().contains("eight"));
    }
}

#[tokio::test]
async fn a_reply_of_200000_characters_streams_and_is_stored_whole() {
    let words: Vec<String> = (0..22_500).map(|n| format!("w{n:07}")).collect();
    let text = words.join(" ");
    let model = model(Script::new().rule("say a lot", [Reply::slow_text(text.clone(), 0)]));
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("long").await;
    let session = app.create_session(&project, "explore").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "say a lot"}))
        .await;
    ws.done(id, TURN * 2).await;
    let streamed: String = ws
        .of(id)
        .iter()
        .filter(|event| event["type"] == "chat:chunk")
        .map(|event| event["content"].as_str().unwrap())
        .collect();
    assert!(text.len() >= 200_000, "{}", text.len());
    assert_eq!(streamed.trim(), text);
    let stored = app.messages(id).await[1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(stored, streamed);
}

/// The attack on Stop: the agent's Bash command overwrites every pid file it can find (where the
/// first version looked for what to kill), starts a process outside its process group that holds
/// the exec's stdout open, and blocks.
const DEFEAT_STOP: &str = r#"for f in /tmp/agentyard-exec-*.pid; do echo 99999 > "$f"; done; echo 99999 > /tmp/agentyard-exec-planted.pid; p=$$; while :; do pp=$(awk '/^PPid:/{print $2}' /proc/$p/status); case "$pp" in ''|0|1) break;; esac; p=$pp; done; setsid -f sh -c 'exec sleep 600' > /proc/$p/fd/1 2>/dev/null < /dev/null; sleep 600"#;

#[tokio::test]
async fn stop_ends_a_turn_whose_agent_defeats_the_kill_and_the_next_turn_works() {
    let model = model(
        Script::new()
            .rule(
                "hold on",
                [
                    Reply::tool_use(
                        "Bash",
                        json!({"command": DEFEAT_STOP, "description": "wait"}),
                    ),
                    Reply::text("never reached"),
                ],
            )
            .rule("still there", [Reply::text("yes, still here")]),
    );
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = app.create_project("unstoppable").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "hold on"}))
        .await;
    ws.wait_for(TURN, |event| {
        event["type"] == "chat:tool_use" && event["tool"] == "Bash"
    })
    .await;
    // Give the command time to plant its files and its holder.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let stopped = tokio::time::Instant::now();
    ws.send(json!({"type": "chat:stop", "sessionId": id})).await;
    let done = ws.done(id, Duration::from_secs(60)).await;
    assert_eq!(done["interrupted"], true, "{done}");
    eprintln!("the turn ended {:?} after Stop", stopped.elapsed());

    ws.seen.clear();
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "are you still there"}))
        .await;
    ws.done(id, TURN).await;
    let messages = app.messages(id).await;
    assert_eq!(
        messages.last().unwrap()["content"],
        "yes, still here",
        "{messages:?}"
    );
    assert_eq!(containers_of(id).len(), 1, "one container for the session");
}
