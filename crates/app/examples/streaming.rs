//! Benchmark: long replies, the relay to WebSocket clients, and the platform's memory.
//!
//! Run: `cargo run --release -p agentyard --example streaming [repetitions] [relay deltas]`
//! (default 7 repetitions, 3 of them for the relay, and 100,000 relay deltas). Local mode; needs
//! the pinned CLI (scripts/install-claude.sh).
//!
//! - 200,000-character reply, streamed as one delta per word, through the platform (until
//!   `chat:done` and the stored message is whole) vs the bare CLI (until its result);
//! - relay: a reply of many small deltas, counted as `chat:chunk` envelopes by each of 10
//!   WebSocket clients (each must receive all of them), as events per second from the first
//!   chunk to the last one the slowest client got. Twice: behind the real CLI, vs the rate at
//!   which the bare CLI prints them (the CLI bounds it); and the relay's own capacity, with the
//!   bare CLI's output for that reply replayed at full speed as the agent's stdout (on this kind
//!   of machine the CLI prints far fewer events per second than the relay's target);
//! - the platform process's resident memory (`VmRSS`) idle, and its peak while 32 sessions
//!   stream at once (agents are separate processes and not counted).

mod common;

use common::{
    Platform, PlatformOptions, Row, local_command, median_f64, millis, numbered_words, print_table,
    repetitions, run_direct,
};
use scripted_model::{Reply, Script, ScriptedModel};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const LONG: &str = "long reply";
const RELAY: &str = "relay reply";
const MEMORY: &str = "memory reply";
const RELAY_CLIENTS: usize = 10;
const STREAMING_SESSIONS: usize = 32;

/// About 200,000 characters: 7,000 numbered words of 29 characters.
fn long_text() -> String {
    numbered_words(7_000, 20)
}

/// One word per delta, as short as the numbering allows.
fn relay_text(deltas: usize) -> String {
    numbered_words(deltas, 0)
}

/// About 20,000 characters per session.
fn memory_text() -> String {
    numbered_words(700, 20)
}

async fn long_reply(platform: &Platform, reps: usize, model_url: &str) -> Row {
    let expected = long_text();
    let project = platform.project("long", None).await;
    let session = platform.session(&project).await;
    let mut ws = platform.ws().await;
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let started = Instant::now();
        ws.send(&session, LONG).await;
        let streamed = ws.until_done(&session).await;
        let stored = platform.last_reply(&session).await;
        ours.push(started.elapsed());
        assert_eq!(streamed, expected, "the streamed reply is not whole");
        assert_eq!(stored, expected, "the stored reply is not whole");

        let started = Instant::now();
        let turn = run_direct(
            local_command(dir.path(), home.path(), model_url, None),
            LONG,
        )
        .await;
        raw.push(started.elapsed());
        assert_eq!(turn.text, expected, "the bare CLI's reply is not whole");
    }
    Row::times(
        &format!("{}-character reply", expected.len()),
        &ours,
        &raw,
        "bare CLI",
        "≤ 1.2×",
    )
}

/// Reads one client's envelopes until the session's `chat:done`; returns the chunks received
/// and when the first and the last arrived.
async fn count_chunks(mut ws: common::Ws, session: String) -> (usize, String, Instant, Instant) {
    let (mut count, mut text) = (0, String::new());
    let (mut first, mut last) = (None, Instant::now());
    loop {
        let event = ws.next().await;
        if event["sessionId"] != session.as_str() {
            continue;
        }
        match event["type"].as_str() {
            Some("chat:chunk") => {
                last = Instant::now();
                first.get_or_insert(last);
                count += 1;
                text.push_str(event["content"].as_str().unwrap_or_default());
            }
            Some("chat:done") => break,
            Some("chat:error") => panic!("the relay turn failed: {event}"),
            Some("chat:streaming") if event["resync"] == true => {
                panic!("a WebSocket client fell behind and was told to resync")
            }
            _ => {}
        }
    }
    (count, text, first.expect("chunks arrived"), last)
}

/// Sends the relay prompt to `session` with 10 clients listening; returns the events per second
/// from the first chunk any client got to the last one the slowest client got.
async fn relay_once(platform: &Platform, session: &str, deltas: usize, expected: &str) -> f64 {
    let mut clients = Vec::new();
    for _ in 0..RELAY_CLIENTS {
        clients.push(platform.ws().await);
    }
    let mut sender = platform.ws().await;
    let readers: Vec<_> = clients
        .into_iter()
        .map(|ws| tokio::spawn(count_chunks(ws, session.to_owned())))
        .collect();
    sender.send(session, RELAY).await;
    let (mut start, mut end) = (None::<Instant>, None::<Instant>);
    for reader in readers {
        let (count, text, first, last) = reader.await.expect("a client task");
        assert_eq!(text, expected, "a client did not receive the whole reply");
        start = Some(start.map_or(first, |known| known.min(first)));
        end = Some(end.map_or(last, |known| known.max(last)));
        assert!(count > 0);
    }
    let span = end.unwrap() - start.unwrap();
    deltas as f64 / span.as_secs_f64()
}

/// The relay behind the real CLI, whose own printing bounds it; returns its row and the lines
/// the bare CLI printed for the same reply.
async fn relay_behind_cli(
    platform: &Platform,
    reps: usize,
    deltas: usize,
    model_url: &str,
) -> (Row, Vec<String>) {
    let expected = relay_text(deltas);
    let project = platform.project("relay", None).await;
    let session = platform.session(&project).await;
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (mut ours, mut raw, mut transcript) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..reps {
        ours.push(relay_once(platform, &session, deltas, &expected).await);
        let turn = run_direct(
            local_command(dir.path(), home.path(), model_url, None),
            RELAY,
        )
        .await;
        assert_eq!(turn.text, expected, "the bare CLI's reply is not whole");
        raw.push(turn.deltas as f64 / turn.delta_span.as_secs_f64());
        transcript = turn.lines;
    }
    let (ours, raw) = (median_f64(&ours), median_f64(&raw));
    let row = Row {
        measure: format!("relay behind the real CLI, {deltas} deltas to {RELAY_CLIENTS} clients"),
        agentyard: format!("{ours:.0} events/s"),
        baseline: format!("{raw:.0} events/s (CLI stdout)"),
        ratio: format!("{:.2}×", ours / raw),
        target: "keeps up with the CLI".to_owned(),
    };
    (row, transcript)
}

/// The relay's own capacity: the bare CLI's output for the relay reply, replayed at full speed
/// as the agent's stdout (the CLI prints far fewer events per second than the target), through
/// a platform whose agent program is that replay.
async fn relay_capacity(reps: usize, deltas: usize, model_url: &str, transcript: &[String]) -> Row {
    let expected = relay_text(deltas);
    let dir = tempfile::tempdir().unwrap();
    let lines = dir.path().join("transcript.jsonl");
    std::fs::write(&lines, transcript.join("\n") + "\n").unwrap();
    // Every message written in gets the whole transcript back, the way the CLI answered it.
    let replay = dir.path().join("replay");
    std::fs::write(
        &replay,
        format!(
            "#!/bin/sh\nwhile IFS= read -r _message; do cat '{}'; done\n",
            lines.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&replay, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let platform = Platform::start(PlatformOptions {
        mode: "local",
        model_url,
        max_running: 1,
        agent_command: Some(&replay),
    });
    let project = platform.project("relay capacity", None).await;
    let session = platform.session(&project).await;
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        ours.push(relay_once(&platform, &session, deltas, &expected).await);
        let turn = run_direct(tokio::process::Command::new(&replay), RELAY).await;
        assert_eq!(turn.text, expected, "the replay's reply is not whole");
        raw.push(turn.deltas as f64 / turn.delta_span.as_secs_f64());
    }
    let (ours, raw) = (median_f64(&ours), median_f64(&raw));
    Row {
        measure: format!("relay, {deltas} replayed deltas to {RELAY_CLIENTS} clients"),
        agentyard: format!("{ours:.0} events/s"),
        baseline: format!("{raw:.0} events/s (replay stdout)"),
        ratio: format!("{:.2}×", ours / raw),
        target: "≥ 50,000 events/s".to_owned(),
    }
}

/// Idle memory, then the peak while 32 sessions stream a reply each; also the batch time.
async fn memory(platform: &Platform) -> Vec<Row> {
    let idle = platform.rss_kib();
    let expected = memory_text();
    let project = platform.project("memory", None).await;
    let mut sessions = Vec::new();
    for _ in 0..STREAMING_SESSIONS {
        sessions.push(platform.session(&project).await);
    }
    let peak = Arc::new(AtomicU64::new(idle));
    let sampling = Arc::new(AtomicBool::new(true));
    let pid_status = format!("/proc/{}/status", platform.pid());
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(Ordering::Relaxed) {
                if let Some(rss) = common::rss_of(&pid_status) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let mut ws = platform.ws().await;
    let started = Instant::now();
    for session in &sessions {
        ws.send(session, MEMORY).await;
    }
    let mut done = 0;
    let mut texts = std::collections::HashMap::<String, String>::new();
    while done < STREAMING_SESSIONS {
        let event = ws.next().await;
        let session = event["sessionId"].as_str().unwrap_or_default().to_owned();
        match event["type"].as_str() {
            Some("chat:chunk") => texts
                .entry(session)
                .or_default()
                .push_str(event["content"].as_str().unwrap_or_default()),
            Some("chat:done") => done += 1,
            Some("chat:error") => panic!("a streaming turn failed: {event}"),
            _ => {}
        }
    }
    let batch = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.await.unwrap();
    for session in &sessions {
        assert_eq!(texts.get(session), Some(&expected), "a reply was not whole");
    }
    let streaming = peak.load(Ordering::Relaxed);
    println!(
        "  {STREAMING_SESSIONS} sessions streamed {} characters each in {}",
        expected.len(),
        millis(batch)
    );
    vec![
        Row {
            measure: "platform RSS, idle".to_owned(),
            agentyard: format!("{:.1} MB", idle as f64 / 1024.0),
            baseline: "-".to_owned(),
            ratio: "-".to_owned(),
            target: "≤ 30 MB".to_owned(),
        },
        Row {
            measure: format!("platform RSS, {STREAMING_SESSIONS} sessions streaming (peak)"),
            agentyard: format!("{:.1} MB", streaming as f64 / 1024.0),
            baseline: "-".to_owned(),
            ratio: "-".to_owned(),
            target: "≤ 60 MB".to_owned(),
        },
    ]
}

#[tokio::main]
async fn main() {
    let reps = repetitions(7);
    let relay_deltas: usize = std::env::args()
        .nth(2)
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let model = ScriptedModel::start(
        Script::new()
            .rule(LONG, [Reply::slow_text(long_text(), 0)])
            .rule(RELAY, [Reply::slow_text(relay_text(relay_deltas), 0)])
            .rule(MEMORY, [Reply::slow_text(memory_text(), 0)]),
    );
    let model_url = model.base_url();
    println!("streaming, {reps} repetitions (scripted model at {model_url})");
    let platform = Platform::start(PlatformOptions {
        mode: "local",
        model_url: &model_url,
        max_running: STREAMING_SESSIONS,
        agent_command: None,
    });
    let mut rows = memory(&platform).await;
    rows.insert(0, long_reply(&platform, reps, &model_url).await);
    let (behind_cli, transcript) =
        relay_behind_cli(&platform, reps.min(3), relay_deltas, &model_url).await;
    rows.insert(1, behind_cli);
    drop(platform);
    rows.insert(
        2,
        relay_capacity(reps.min(3), relay_deltas, &model_url, &transcript).await,
    );
    print_table("streaming (local mode)", &rows);
}
