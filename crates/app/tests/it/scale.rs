//! Scale: 32 sessions streaming a long reply at once, in local and in docker mode.
//!
//! Every session's reply is 200 numbered chunks (20,000 characters) streamed one delta per chunk.
//! The test asserts what must hold whatever the machine: every chunk reaches the WebSocket client,
//! in order, none lost or repeated, each turn ends with `chat:done`, and the stored message is
//! whole. Times are printed, never asserted: each session's turn latency (p50, p99 over the
//! sessions) and the batch time next to the same number of bare CLIs run at once.

use crate::docker_support::{docker_app, require_docker};
use crate::support::{Options, TOKEN, TestApp, claude, model};
use futures::{SinkExt, StreamExt};
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const SESSIONS: usize = 32;
const CHUNKS: usize = 200;
/// Characters of each chunk, its number and the space that ends it included.
const CHUNK_CHARS: usize = 100;
const PROMPT: &str = "stream the numbered chunks";
/// The whole batch, however slow the machine: beyond it the test fails with what arrived.
const BATCH_LIMIT: Duration = Duration::from_secs(600);

/// `[0000:xxx…] [0001:xxx…] …`: one word per chunk, so the scripted model streams one per delta.
fn reply_text() -> String {
    (0..CHUNKS)
        .map(|index| format!("[{index:04}:{}] ", "x".repeat(CHUNK_CHARS - 8)))
        .collect()
}

fn script() -> Script {
    Script::new().rule(PROMPT, [Reply::slow_text(reply_text(), 0)])
}

fn scale_options() -> Options {
    Options {
        tweak: Some(Arc::new(|config: &mut domain::Config| {
            config.max_running = SESSIONS;
        })),
        ..Options::default()
    }
}

/// Names the first chunk out of place, so a failure says what was lost or reordered.
fn check_order(session: &str, text: &str) {
    let numbers: Vec<&str> = text
        .split_whitespace()
        .map(|word| word.get(1..5).unwrap_or(word))
        .collect();
    for (position, number) in numbers.iter().enumerate() {
        assert_eq!(
            *number,
            format!("{position:04}"),
            "session {session}: chunk {position} is out of place ({} chunks arrived)",
            numbers.len()
        );
    }
    assert_eq!(
        numbers.len(),
        CHUNKS,
        "session {session}: {} of {CHUNKS} chunks arrived",
        numbers.len()
    );
    assert_eq!(
        text,
        reply_text(),
        "session {session}: the streamed text differs"
    );
}

/// The `p`th percentile (nearest rank) of `samples`.
fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// What the batch gave: each session's latency and the batch time.
struct Batch {
    latencies: Vec<Duration>,
    total: Duration,
}

/// Creates one project and one session per stream, sends every message at once over one
/// WebSocket and reads until every session is done; asserts every reply whole and in order.
async fn stream_everything(app: &TestApp) -> Batch {
    let mut sessions = Vec::new();
    for index in 0..SESSIONS {
        // A project each, so every session is its project's first writer (no worktrees).
        let project = app.create_project(&format!("scale-{index:02}")).await;
        let session = app.create_session(&project, "execute").await;
        sessions.push(session["id"].as_str().unwrap().to_owned());
    }
    let url = format!(
        "{}/ws?token={TOKEN}",
        app.base_url.replace("http://", "ws://")
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let started = Instant::now();
    let mut sent_at = HashMap::new();
    for session in &sessions {
        let message = json!({"type": "chat:send", "sessionId": session, "content": PROMPT});
        socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
        sent_at.insert(session.clone(), Instant::now());
    }
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut done_at: HashMap<String, Instant> = HashMap::new();
    while done_at.len() < SESSIONS {
        let next = tokio::time::timeout_at(
            tokio::time::Instant::from_std(started + BATCH_LIMIT),
            socket.next(),
        )
        .await;
        let text = match next {
            Ok(Some(Ok(Message::Text(text)))) => text,
            Ok(Some(Ok(_))) => continue,
            Ok(other) => panic!("the WebSocket ended: {other:?}"),
            Err(_) => panic!(
                "{} of {SESSIONS} sessions done after {BATCH_LIMIT:?}",
                done_at.len()
            ),
        };
        let event: Value = serde_json::from_str(&text).unwrap();
        let session = event["sessionId"].as_str().unwrap_or_default().to_owned();
        match event["type"].as_str() {
            Some("chat:chunk") => texts
                .entry(session)
                .or_default()
                .push_str(event["content"].as_str().unwrap()),
            Some("chat:done") => {
                assert_eq!(event["interrupted"], false, "{event}");
                done_at.insert(session, Instant::now());
            }
            Some("chat:error") => panic!("a turn failed: {event}"),
            Some("chat:streaming") => assert_ne!(
                event["resync"], true,
                "the client fell behind and was told to resync: events were dropped"
            ),
            _ => {}
        }
    }
    let total = started.elapsed();
    let mut latencies = Vec::new();
    for session in &sessions {
        check_order(session, texts.get(session).map_or("", String::as_str));
        let stored: Vec<Value> = app.messages(session).await;
        let reply = stored
            .iter()
            .rev()
            .find(|message| message["role"] == "assistant")
            .expect("the reply is stored");
        assert_eq!(
            reply["content"].as_str().unwrap(),
            reply_text(),
            "session {session}: the stored reply is not whole"
        );
        latencies.push(done_at[session] - sent_at[session]);
    }
    Batch { latencies, total }
}

/// One raw `claude` turn from `command`, read until its result.
async fn bare_turn(mut command: Command) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the bare CLI starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", agent::user_message_line(PROMPT)).as_bytes())
        .await
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut text = String::new();
    let mut ended = false;
    while let Some(line) = lines.next_line().await.unwrap() {
        for parsed in agent::parse_line(&line) {
            match parsed.event {
                agent::Event::TextDelta { text: delta } => text.push_str(&delta),
                agent::Event::Result { .. } => ended = true,
                _ => {}
            }
        }
        if ended {
            break;
        }
    }
    let _ = stdin.shutdown().await;
    drop(stdin);
    child.wait().await.unwrap();
    assert_eq!(text, reply_text(), "a bare CLI's reply differs");
}

fn claude_args() -> Vec<String> {
    agent::ClaudeCommand::new(domain::SessionMode::Execute).args()
}

/// The same number of bare CLIs at once; returns the batch time.
async fn bare_batch(command: impl Fn(usize) -> Command) -> Duration {
    let started = Instant::now();
    let turns: Vec<_> = (0..SESSIONS)
        .map(|index| tokio::spawn(bare_turn(command(index))))
        .collect();
    for turn in turns {
        turn.await.expect("a bare CLI turn");
    }
    started.elapsed()
}

fn report(mode: &str, batch: &Batch, bare: Duration, bare_name: &str) {
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    let mut each: Vec<String> = batch
        .latencies
        .iter()
        .map(|latency| format!("{:.0}", ms(*latency)))
        .collect();
    each.sort_by_key(|text| text.parse::<u64>().unwrap_or(0));
    println!(
        "scale, {mode} mode: {SESSIONS} sessions × {} characters in {CHUNKS} deltas\n  \
         turn latency p50 {:.0} ms, p99 {:.0} ms (each, ms: {})\n  \
         batch {:.0} ms through Agentyard vs {:.0} ms for {SESSIONS} {bare_name} at once: {:.2}× (target ≤ 1.2×)",
        reply_text().len(),
        ms(percentile(&batch.latencies, 50.0)),
        ms(percentile(&batch.latencies, 99.0)),
        each.join(" "),
        ms(batch.total),
        ms(bare),
        batch.total.as_secs_f64() / bare.as_secs_f64(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_local_sessions_stream_every_chunk_in_order() {
    let model = model(script());
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        ..scale_options()
    })
    .await;
    let batch = stream_everything(&app).await;
    let dirs: Vec<tempfile::TempDir> = (0..SESSIONS * 2)
        .map(|_| tempfile::tempdir().unwrap())
        .collect();
    let model_url = model.base_url();
    let bare = bare_batch(|index| {
        let mut command = Command::new(claude());
        command
            .args(claude_args())
            .current_dir(dirs[index * 2].path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", dirs[index * 2 + 1].path())
            .env("ANTHROPIC_BASE_URL", &model_url)
            .env("ANTHROPIC_API_KEY", "sk-test-key")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        command
    })
    .await;
    report("local", &batch, bare, "bare CLIs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_docker_sessions_stream_every_chunk_in_order() {
    require_docker();
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), scale_options()).await;
    let batch = stream_everything(&app).await;
    let model_url = model.base_url();
    let bare = bare_batch(|_| {
        let mut command = Command::new("docker");
        command
            .args([
                "run",
                "--rm",
                "-i",
                "--network",
                "host",
                "--user",
                "1000:1000",
            ])
            .args(["-e", &format!("ANTHROPIC_BASE_URL={model_url}")])
            .args(["-e", "ANTHROPIC_API_KEY=sk-test-key"])
            .args(["-e", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"])
            .args(["-e", "HOME=/tmp/home", "-w", "/tmp"])
            .args(["claude-agent-base", "claude"])
            .args(claude_args());
        command
    })
    .await;
    report("docker", &batch, bare, "`docker run` CLIs");
}
