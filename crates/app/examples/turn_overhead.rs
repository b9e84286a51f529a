//! Benchmark: the platform's per-turn overhead, as a ratio against running the same `claude`
//! command directly (local mode) and through a raw `docker exec` (docker mode).
//!
//! Run: `cargo run --release -p agentyard --example turn_overhead [turns] [local|docker|both]`
//! (default 20 turns, both modes). Needs the pinned CLI (scripts/install-claude.sh) and, for
//! docker mode, the engine and `claude-agent-base` (scripts/setup-docker.sh). Prints medians.

use agentyard::config::ConfigArgs;
use futures::{SinkExt, StreamExt};
use scripted_model::{Reply, Script, ScriptedModel};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "benchmark-token-0123456789";
const PROMPT: &str = "say hello";

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn args(resume: Option<&str>) -> Vec<String> {
    let mut command = agent::ClaudeCommand::new(domain::SessionMode::Execute);
    command.resume = resume.map(str::to_owned);
    command.args()
}

/// One turn of a `claude` process started by `command`; returns Claude Code's session id.
async fn run_direct(mut command: Command) -> String {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("claude starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", agent::user_message_line(PROMPT)).as_bytes())
        .await
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut session = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        for parsed in agent::parse_line(&line) {
            if let agent::Event::Result { session_id, .. } = parsed.event {
                session = session_id;
            }
        }
        if !session.is_empty() {
            break;
        }
    }
    drop(stdin);
    child.wait().await.unwrap();
    session
}

fn local_command(
    claude: &Path,
    dir: &Path,
    home: &Path,
    model_url: &str,
    resume: Option<&str>,
) -> Command {
    let mut command = Command::new(claude);
    command
        .args(args(resume))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("ANTHROPIC_BASE_URL", model_url)
        .env("ANTHROPIC_API_KEY", "bench")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    command
}

fn docker_command(container: &str, model_url: &str, resume: Option<&str>) -> Command {
    let mut command = Command::new("docker");
    command
        .args([
            "exec",
            "-i",
            "-e",
            &format!("ANTHROPIC_BASE_URL={model_url}"),
            "-e",
            "ANTHROPIC_API_KEY=bench",
        ])
        .args([
            "-e",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
            "-e",
            "HOME=/tmp/home",
            "-w",
            "/tmp",
            container,
            "claude",
        ])
        .args(args(resume));
    command
}

async fn direct_turns(
    turns: usize,
    mut command_for: impl FnMut(Option<&str>) -> Command,
) -> Vec<Duration> {
    let mut resume: Option<String> = None;
    let mut samples = Vec::new();
    for _ in 0..turns {
        let started = Instant::now();
        let session = run_direct(command_for(resume.as_deref())).await;
        samples.push(started.elapsed());
        resume = Some(session);
    }
    samples
}

async fn platform_turns(mode: &str, turns: usize, model_url: &str, claude: &Path) -> Vec<Duration> {
    let data = tempfile::tempdir().unwrap();
    let projects = tempfile::tempdir().unwrap();
    let mut config = ConfigArgs {
        agent_mode: Some(mode.to_owned()),
        agent_command: Some(if mode == "local" {
            claude.display().to_string()
        } else {
            "claude".to_owned()
        }),
        agent_network: Some("host".to_owned()),
        projects_root: Some(projects.path().display().to_string()),
        data_dir: Some(data.path().display().to_string()),
        token: Some(TOKEN.to_owned()),
        ..ConfigArgs::default()
    }
    .into_config()
    .expect("benchmark configuration");
    config.agent_env = vec![
        ("ANTHROPIC_BASE_URL".to_owned(), model_url.to_owned()),
        ("ANTHROPIC_API_KEY".to_owned(), "bench".to_owned()),
        (
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC".to_owned(),
            "1".to_owned(),
        ),
    ];
    let listeners = agentyard::Listeners::loopback().await.unwrap();
    let running = agentyard::start(config, Some(listeners))
        .await
        .expect("the platform starts");
    let base = running.base_url();
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let project: Value = post("/api/projects", json!({"name": "bench"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session: Value = post("/api/sessions", json!({"project_id": project["id"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = session["id"].as_str().unwrap().to_owned();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "{}/ws?token={TOKEN}",
        base.replace("http", "ws")
    ))
    .await
    .unwrap();
    let mut samples = Vec::new();
    for _ in 0..turns {
        let started = Instant::now();
        ws.send(Message::Text(
            json!({"type": "chat:send", "sessionId": id, "content": PROMPT})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                let event: Value = serde_json::from_str(&text).unwrap();
                if event["type"] == "chat:done" && event["sessionId"] == id.as_str() {
                    break;
                }
                if event["type"] == "chat:error" {
                    panic!("turn failed: {event}");
                }
            }
        }
        samples.push(started.elapsed());
    }
    running.stop().await.unwrap();
    samples
}

fn report(mode: &str, direct: Vec<Duration>, platform: Vec<Duration>, baseline: &str) {
    let (direct, platform) = (median(direct), median(platform));
    println!(
        "{mode:>6}: {baseline} median {:>7.1} ms | through Agentyard median {:>7.1} ms | ratio {:.2} | overhead {:+.1} ms",
        direct.as_secs_f64() * 1e3,
        platform.as_secs_f64() * 1e3,
        platform.as_secs_f64() / direct.as_secs_f64(),
        (platform.as_secs_f64() - direct.as_secs_f64()) * 1e3,
    );
}

#[tokio::main]
async fn main() {
    let mut arguments = std::env::args().skip(1);
    let turns: usize = arguments
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(20);
    let which = arguments.next().unwrap_or_else(|| "both".to_owned());
    let claude = scripted_model::claude_binary().unwrap_or_else(|error| panic!("{error}"));
    let model = ScriptedModel::start(Script::new().rule(PROMPT, [Reply::text("hello")]));
    let model_url = model.base_url();
    println!("turn overhead, median of {turns} turns each (scripted model at {model_url})");

    if which == "local" || which == "both" {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let direct = direct_turns(turns, |resume| {
            local_command(&claude, dir.path(), home.path(), &model_url, resume)
        })
        .await;
        let platform = platform_turns("local", turns, &model_url, &claude).await;
        report("local", direct, platform, "claude directly");
    }
    if which == "docker" || which == "both" {
        let name = format!("agentyard-bench-{}", std::process::id());
        let started = std::process::Command::new("docker")
            .args([
                "run",
                "-d",
                "--rm",
                "--name",
                &name,
                "--network",
                "host",
                "--user",
                "1000:1000",
            ])
            .args(["--entrypoint", "sleep", "claude-agent-base", "infinity"])
            .status()
            .expect("docker runs");
        assert!(started.success(), "cannot start the baseline container");
        let direct = direct_turns(turns, |resume| docker_command(&name, &model_url, resume)).await;
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &name])
            .stdout(Stdio::null())
            .status();
        let platform = platform_turns("docker", turns, &model_url, &claude).await;
        report("docker", direct, platform, "raw docker exec");
    }
}
