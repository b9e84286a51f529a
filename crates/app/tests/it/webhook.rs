//! The webhook (`AGENTYARD_WEBHOOK_URL`): real turns of the `claude` CLI against the scripted
//! model, notifications posted to a receiver on loopback that fails, refuses or never answers.

use crate::support::{Options, TestApp, model};
use crate::turn_scenarios::{self, TURN};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// How the receiver answers the POSTs it gets, in order.
#[derive(Clone, Copy)]
enum Answer {
    /// `503` to the first `n`, `200` after.
    FailFirst(usize),
    /// Reads the request and never answers.
    Never,
}

/// One POST the receiver got.
#[derive(Debug)]
struct Delivery {
    /// 1 for the first POST the receiver got.
    number: usize,
    event_header: String,
    user_agent: String,
    body: Value,
}

/// An HTTP server on 127.0.0.1 that records every POST to `/hook`.
struct Receiver {
    url: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
}

impl Receiver {
    async fn start(answer: Answer) -> Receiver {
        let (sender, deliveries) = mpsc::unbounded_channel();
        let count = Arc::new(AtomicUsize::new(0));
        let hook = move |headers: HeaderMap, body: String| {
            let sender = sender.clone();
            let count = count.clone();
            async move {
                let number = count.fetch_add(1, Ordering::SeqCst) + 1;
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                let _ = sender.send(Delivery {
                    number,
                    event_header: header("x-agentyard-event"),
                    user_agent: header("user-agent"),
                    body: serde_json::from_str(&body).expect("the webhook posts JSON"),
                });
                match answer {
                    Answer::FailFirst(failures) if number <= failures => {
                        StatusCode::SERVICE_UNAVAILABLE
                    }
                    Answer::FailFirst(_) => StatusCode::OK,
                    Answer::Never => std::future::pending().await,
                }
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(hook));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/hook?token=receiver-secret",
            listener.local_addr().unwrap()
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, deliveries }
    }

    /// The next POST, failing the test when none comes within `limit`.
    async fn next(&mut self, limit: Duration) -> Delivery {
        tokio::time::timeout(limit, self.deliveries.recv())
            .await
            .expect("a webhook POST in time")
            .expect("the receiver runs")
    }

    /// What arrived so far, without waiting.
    fn received(&mut self) -> Vec<Delivery> {
        std::iter::from_fn(|| self.deliveries.try_recv().ok()).collect()
    }
}

/// A local-mode platform whose webhook posts to `receiver`, retrying after 50 ms waits.
async fn app_posting_to(receiver: &Receiver, model_url: String, timeout: Duration) -> TestApp {
    let url = receiver.url.clone();
    TestApp::spawn_with(Options {
        model_url: Some(model_url),
        tweak: Some(Arc::new(move |config: &mut domain::Config| {
            let mut webhook = domain::Webhook::new(url.parse().expect("a valid webhook URL"));
            webhook.timeout = timeout;
            webhook.retry_delays = vec![Duration::from_millis(50); 5];
            config.webhook = Some(webhook);
        })),
        ..Options::default()
    })
    .await
}

fn script() -> scripted_model::Script {
    turn_scenarios::script("hello from the agent\n")
}

#[tokio::test]
async fn a_finished_turn_is_posted_once_after_the_receiver_failed_twice() {
    let model = model(script());
    let mut receiver = Receiver::start(Answer::FailFirst(2)).await;
    let app = app_posting_to(&receiver, model.base_url(), Duration::from_secs(10)).await;
    let project = app.create_project("notified").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    let done = ws.done(id, TURN).await;

    let attempts = [
        receiver.next(TURN).await,
        receiver.next(Duration::from_secs(10)).await,
        receiver.next(Duration::from_secs(10)).await,
    ];
    assert_eq!(attempts.each_ref().map(|attempt| attempt.number), [1, 2, 3]);
    assert!(
        attempts
            .iter()
            .all(|attempt| attempt.body == attempts[0].body)
    );
    let delivered = &attempts[2];
    assert_eq!(delivered.event_header, "turn_done");
    assert_eq!(
        delivered.user_agent,
        format!("agentyard/{}", env!("CARGO_PKG_VERSION"))
    );
    let body = &delivered.body;
    assert_eq!(body["event"], "turn_done");
    assert_eq!(body["session_id"], id);
    assert_eq!(body["project_id"], project["id"]);
    assert_eq!(body["session_title"], "test");
    assert_eq!(body["project_name"], "notified");
    assert_eq!(body["interrupted"], false);
    assert_eq!(body["cost_usd"], done["cost"]);
    assert_eq!(body["url"], format!("{}/sessions/{id}", app.base_url));
    assert!(
        chrono::DateTime::parse_from_rfc3339(body["at"].as_str().unwrap()).is_ok(),
        "{body}"
    );
    for absent in ["message", "code", "tool"] {
        assert!(body.get(absent).is_none(), "{body}");
    }

    // Delivered once: no POST follows the accepted one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = receiver.received();
    assert!(later.is_empty(), "{later:?}");
}

#[tokio::test]
async fn an_ask_mode_permission_request_is_posted() {
    let model = model(script());
    let mut receiver = Receiver::start(Answer::FailFirst(0)).await;
    let app = app_posting_to(&receiver, model.base_url(), Duration::from_secs(10)).await;
    let project = app.create_project("asking").await;
    let session = app.create_session(&project, "ask").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "please write hello"}))
        .await;
    let request = ws
        .wait_for(TURN, |event| event["type"] == "chat:permission")
        .await;

    let asked = receiver.next(TURN).await;
    assert_eq!(asked.event_header, "permission_requested");
    assert_eq!(asked.body["event"], "permission_requested");
    assert_eq!(asked.body["session_id"], id);
    assert_eq!(asked.body["tool"], "Write");
    assert!(
        asked.body.get("input").is_none(),
        "a tool's input never leaves: {}",
        asked.body
    );

    ws.send(json!({
        "type": "chat:permission",
        "sessionId": id,
        "requestId": request["requestId"],
        "allow": false,
    }))
    .await;
    ws.done(id, TURN).await;
    let done = receiver.next(TURN).await;
    assert_eq!(done.body["event"], "turn_done");
}

#[tokio::test]
async fn a_receiver_that_never_answers_does_not_hold_up_turns() {
    let model = model(script());
    let mut receiver = Receiver::start(Answer::Never).await;
    let app = app_posting_to(&receiver, model.base_url(), Duration::from_secs(600)).await;
    let project = app.create_project("unheard").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "first of three"}))
        .await;
    ws.done(id, TURN).await;
    let first = receiver.next(TURN).await;
    assert_eq!(first.body["event"], "turn_done");

    // The first POST is still waiting for its answer, and the next turn runs to its end anyway.
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "second of three"}))
        .await;
    ws.wait_count(id, "chat:done", 2, TURN).await;
    let meanwhile = receiver.received();
    assert!(
        meanwhile.is_empty(),
        "the second notification waits behind the first: {meanwhile:?}"
    );
}

#[tokio::test]
async fn a_bad_webhook_url_stops_startup_naming_the_variable() {
    let data = tempfile::tempdir().unwrap();
    let projects = tempfile::tempdir().unwrap();
    let serve = tokio::process::Command::new(env!("CARGO_BIN_EXE_agentyard"))
        .arg("serve")
        .env("AGENT_MODE", "local")
        .env("AGENTYARD_DATA_DIR", data.path())
        .env("PROJECTS_ROOT", projects.path())
        .env("AGENTYARD_BIND", "127.0.0.1:0")
        .env("AGENTYARD_WEBHOOK_URL", "hooks.example.com/agentyard")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(30), serve)
        .await
        .expect("agentyard serve stops at once")
        .expect("agentyard runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("AGENTYARD_WEBHOOK_URL=hooks.example.com/agentyard")
            && stderr.contains("https://"),
        "{stderr}"
    );
    assert!(
        std::fs::read_dir(data.path()).unwrap().next().is_none(),
        "nothing was created"
    );
}
