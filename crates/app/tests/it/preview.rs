//! Previews: a project's dev server run in a session's container (warmed up first when it has none
//! yet), reached through the `/preview/<session>/` proxy on the preview origin, never the
//! platform's (HTTP and WebSocket, logged-in users only, the platform's token never forwarded),
//! each session's apart from the others'; a page there cannot write to the API with the login
//! cookie; and the browser stack's `chrome-devtools` MCP server, through which an agent opens its
//! own dev server.

use crate::docker_support::{Sweep, docker_app};
use crate::mcp::{calls, find};
use crate::support::{Options, TOKEN, TestApp, model};
use domain::NetworkChoice;
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TURN: Duration = Duration::from_secs(240);

/// A dev server with the Python standard library only: files of its work path over HTTP, the
/// request's headers at `/headers`, and a WebSocket echo at `/ws` (the handshake and frames by
/// hand, as the python stack has no websocket package).
const SERVE_PY: &str = r#"
import base64, hashlib, http.server, json, os, struct

class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/headers":
            body = json.dumps(dict(self.headers.items())).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            self.echo()
        else:
            super().do_GET()

    def echo(self):
        # A 101 answer must say HTTP/1.1 (the handler's default is 1.0).
        self.protocol_version = "HTTP/1.1"
        key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
        accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        read = self.rfile.read
        while True:
            head = read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", read(8))[0]
            mask = read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(read(length)))
            if opcode == 8:
                self.wfile.write(b"\x88\x00")
                return
            if opcode in (1, 2):
                reply = b"echo: " + data
                self.wfile.write(bytes([0x80 | opcode, len(reply)]) + reply)
                self.wfile.flush()

http.server.ThreadingHTTPServer.allow_reuse_address = True
server = http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler)
print("Serving HTTP on 0.0.0.0 port", os.environ["PORT"], flush=True)
server.serve_forever()
"#;

/// A docker-mode platform whose agents are on a bridge network of their own (each container
/// has its own address), the model reached through the session's socket.
async fn bridged_app(model_url: String, image: &str) -> (TestApp, Sweep) {
    docker_app(
        Some(model_url),
        Options {
            default_image: Some(image.to_owned()),
            tweak: Some(Arc::new(|config: &mut domain::Config| {
                config.network = NetworkChoice::Named("agentyard-net".to_owned());
            })),
            ..Options::default()
        },
    )
    .await
}

/// Commits `files` in the project at `dir`, so worktrees cut from it have them too.
fn commit(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    git(&["add", "--all"]);
    git(&["commit", "--quiet", "-m", "the dev server"]);
}

/// Runs one turn to its `chat:done` (it starts the session's container).
async fn turn(app: &TestApp, session: &str, content: &str) {
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": session, "content": content}))
        .await;
    ws.done(session, TURN).await;
}

/// Waits until the session's preview runs with a known port and answers `path` with 200.
async fn wait_until_served(app: &TestApp, session: &str, path: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = get_preview(app, session, path, Some(TOKEN)).await;
        if status == StatusCode::OK {
            return body;
        }
        let (_, preview) = app.get(&format!("/api/sessions/{session}/preview")).await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "the preview never answered {path}: {status} {body}; preview: {preview}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `GET /preview/<session><path>` on the preview origin, with the login cookie when `token` is
/// given.
async fn get_preview(
    app: &TestApp,
    session: &str,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, String) {
    let mut request = app
        .client
        .get(format!("{}/preview/{session}{path}", app.preview_url));
    if let Some(token) = token {
        request = request.header("cookie", format!("theme=dark; agentyard_token={token}"));
    }
    let response = request.send().await.expect("request sent");
    (response.status(), response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_dev_server_is_served_through_the_platform_to_logged_in_users_only_and_apart_per_session()
{
    let model = model(Script::new().rule("hello", [Reply::text("hi")]));
    let (app, _sweep) = bridged_app(model.base_url(), "claude-agent-python").await;
    let project = app.create_project("site").await;
    let project_id = project["id"].as_str().unwrap();
    let dir = app.root().join("site");
    commit(&dir, &[("serve.py", SERVE_PY)]);

    // Bad ports are refused and change nothing.
    for port in [0, 65536, -3] {
        let (status, body) = app
            .put(
                &format!("/api/projects/{project_id}"),
                json!({"dev_port": port}),
            )
            .await;
        assert_eq!(status, 422, "{port}: {body}");
        assert_eq!(body["code"], "invalid_dev_port", "{body}");
    }
    let (status, project) = app
        .put(
            &format!("/api/projects/{project_id}"),
            json!({"dev_script": "python3 serve.py", "dev_port": 8000}),
        )
        .await;
    assert_eq!(status, 200, "{project}");
    assert_eq!(project["dev_script"], "python3 serve.py");
    assert_eq!(project["dev_port"], 8000);

    // Neither session has had a turn: starting the preview warms each up first (its work path and
    // container), as a first message would.
    let first = app.create_session(&project, "execute").await;
    let first = first["id"].as_str().unwrap();
    let second = app.create_session(&project, "execute").await;
    let second = second["id"].as_str().unwrap();
    for session in [first, second] {
        let (status, body) = app
            .post(&format!("/api/sessions/{session}/preview"), json!({}))
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // The second writer works in a worktree of its own, in a container of its own.
    let worktree = app.session(second).await["worktree_path"]
        .as_str()
        .expect("the second writer got a worktree")
        .to_owned();
    std::fs::write(dir.join("who.txt"), "the main checkout\n").unwrap();
    std::fs::write(Path::new(&worktree).join("who.txt"), "the worktree\n").unwrap();

    // Both on port 8000, each in its own container: no collision, each serves its own work path.
    assert_eq!(
        wait_until_served(&app, first, "/who.txt").await,
        "the main checkout\n"
    );
    assert_eq!(
        wait_until_served(&app, second, "/who.txt").await,
        "the worktree\n"
    );
    let (_, preview) = app.get(&format!("/api/sessions/{first}/preview")).await;
    assert_eq!(preview["running"], true, "{preview}");
    assert_eq!(preview["port"], 8000, "{preview}");
    // On the preview origin: the host the request named, the preview listener's port.
    assert_eq!(
        preview["url"],
        format!("{}/preview/{first}/", app.preview_url)
    );
    assert!(
        preview["log_tail"]
            .as_str()
            .unwrap()
            .contains("Serving HTTP on 0.0.0.0 port 8000"),
        "{preview}"
    );

    // The app sees its own cookies, never the platform's token (cookie or header).
    let (status, headers) = get_preview(&app, first, "/headers", Some(TOKEN)).await;
    assert_eq!(status, 200, "{headers}");
    assert!(!headers.contains(TOKEN), "the app saw the token: {headers}");
    let headers: Value = serde_json::from_str(&headers).unwrap();
    assert_eq!(headers["cookie"], "theme=dark", "{headers}");
    let response = app
        .client
        .get(format!("{}/preview/{first}/headers", app.preview_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.text().await.unwrap();
    assert!(
        !headers.contains(TOKEN) && !headers.to_lowercase().contains("authorization"),
        "{headers}"
    );

    // Without login: refused before anything reaches the app; a token in the query is no login.
    for path in ["/who.txt", &format!("/who.txt?token={TOKEN}")] {
        let (status, body) = get_preview(&app, first, path, None).await;
        assert_eq!(status, 401, "{path}: {body}");
    }
    let (status, _) = get_preview(&app, first, "/who.txt", Some("wrong-token")).await;
    assert_eq!(status, 401);

    // The platform's own origin never serves a preview: it sends the browser to the preview origin.
    let response = app
        .client
        .get(format!("{}/preview/{first}/who.txt", app.base_url))
        .header("cookie", format!("agentyard_token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        format!("{}/preview/{first}/who.txt", app.preview_url).as_str()
    );
    let response = app
        .client
        .get(format!("{}/api/projects", app.preview_url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "the preview origin has no API"
    );

    // A page of the preview, with the user's cookie, cannot write to the API: refused, nothing
    // changes. The platform's own pages and programs with the token (no Origin) can.
    let write = |method: reqwest::Method, path: String, origin: Option<&str>| {
        let mut request = app
            .client
            .request(method, format!("{}{path}", app.base_url))
            .header("cookie", format!("agentyard_token={TOKEN}"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let stop_second = format!("/api/sessions/{second}/preview");
    let response = write(
        reqwest::Method::DELETE,
        stop_second.clone(),
        Some(&app.preview_url),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "foreign_origin", "{body}");
    let response = write(
        reqwest::Method::POST,
        format!("/api/sessions/{first}/stop"),
        Some(&app.preview_url),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_preview(&app, second, "/who.txt", Some(TOKEN)).await,
        (StatusCode::OK, "the worktree\n".to_owned()),
        "a refused write stopped nothing"
    );
    let (status, body) = app
        .post(&format!("/api/sessions/{first}/stop"), json!({}))
        .await;
    assert_eq!(
        status, 202,
        "a program with the token and no Origin: {body}"
    );

    // A WebSocket through the proxy, both ways.
    let url = format!(
        "{}/preview/{first}/ws",
        app.preview_url.replace("http://", "ws://")
    );
    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {TOKEN}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the WebSocket opens through the preview");
    socket
        .send(WsMessage::Text("ping through the preview".into()))
        .await
        .unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("an echo within 10 s")
        .expect("a message")
        .expect("no error");
    assert_eq!(
        echoed,
        WsMessage::Text("echo: ping through the preview".into())
    );
    let unauthenticated = tokio_tungstenite::connect_async(url.as_str()).await;
    assert!(
        unauthenticated.is_err(),
        "a WebSocket without login was let through"
    );

    // Stopped from the platform's own page: the session's preview answers 502 with a page saying
    // so; the other one still runs.
    let response = write(
        reqwest::Method::DELETE,
        format!("/api/sessions/{first}/preview"),
        Some(&app.base_url),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = get_preview(&app, first, "/who.txt", Some(TOKEN)).await;
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("no preview running"), "{body}");
    let (_, preview) = app.get(&format!("/api/sessions/{first}/preview")).await;
    assert_eq!(preview["running"], false, "{preview}");
    assert_eq!(
        get_preview(&app, second, "/who.txt", Some(TOKEN)).await,
        (StatusCode::OK, "the worktree\n".to_owned())
    );
    let (status, _) = get_preview(
        &app,
        &domain::SessionId::new().to_string(),
        "/",
        Some(TOKEN),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_agent_on_the_browser_stack_opens_its_own_dev_server_with_the_browser_tools() {
    let prompt = "open the dev server in your browser";
    let model = model(Script::new().rule("hello", [Reply::text("hi")]).rule(
        prompt,
        [
            Reply::tool_use(
                "mcp__chrome-devtools__navigate_page",
                // Chromium's first start is slow on a loaded machine.
                json!({"type": "url", "url": "http://127.0.0.1:8000/", "timeout": 60000}),
            ),
            Reply::tool_use("mcp__chrome-devtools__take_snapshot", json!({})),
            Reply::text("I saw the page."),
        ],
    ));
    let (app, _sweep) = bridged_app(model.base_url(), "claude-agent-browser").await;
    let (status, project) = app
        .post(
            "/api/projects",
            json!({
                "name": "browsed",
                "dev_script": "exec node -e \"require('http').createServer((q, s) => s.end('<h1>Hello from the dev server</h1>')).listen(8000, () => console.log('listening on port 8000'))\"",
            }),
        )
        .await;
    assert_eq!(status, 201, "{project}");
    assert_eq!(project["dev_port"], Value::Null);
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    turn(&app, id, "hello").await;
    let (status, body) = app
        .post(&format!("/api/sessions/{id}/preview"), json!({}))
        .await;
    assert_eq!(status, 202, "{body}");
    // The port comes from the script's output.
    let page = wait_until_served(&app, id, "/").await;
    assert!(page.contains("Hello from the dev server"), "{page}");
    assert_eq!(
        app.get(&format!("/api/sessions/{id}/preview")).await.1["port"],
        8000
    );

    turn(&app, id, prompt).await;
    let calls = calls(&model, prompt);
    let navigated = find(&calls, "mcp__chrome-devtools__navigate_page", "8000");
    assert!(!navigated.is_error, "{calls:#?}");
    let snapshot = find(&calls, "mcp__chrome-devtools__take_snapshot", "");
    assert!(!snapshot.is_error, "{calls:#?}");
    assert!(
        snapshot.result.contains("Hello from the dev server"),
        "the snapshot has the page's text: {calls:#?}"
    );
}
