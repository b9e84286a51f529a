//! What the benchmarks share: the real `agentyard` binary as a child process (so its memory is
//! its own and it finds `agentyard-bridge` next to it), a client of its public API and WebSocket,
//! the raw baselines (`claude` directly, `docker exec`, `docker run`), and the printed table.
//!
//! Every figure is a median of samples taken side by side (platform and baseline alternate), and
//! nothing here asserts a time: the benchmarks print, the reader judges.

#![allow(dead_code)] // Each benchmark uses its own part of this module.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

pub const TOKEN: &str = "benchmark-token-0123456789";
/// The image of every docker-mode figure, the platform's default.
pub const IMAGE: &str = "claude-agent-base";
/// How long one turn may take before the benchmark gives up on it.
const TURN_LIMIT: Duration = Duration::from_secs(300);

/// The first number argument, or `default`.
pub fn repetitions(default: usize) -> usize {
    std::env::args()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .filter(|count| *count > 0)
        .unwrap_or(default)
}

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

pub fn median_f64(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

pub fn millis(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1e3)
}

/// One line of a benchmark's table.
pub struct Row {
    pub measure: String,
    pub agentyard: String,
    pub baseline: String,
    pub ratio: String,
    pub target: String,
}

impl Row {
    /// Two sets of timings: medians and their ratio.
    pub fn times(
        measure: &str,
        agentyard: &[Duration],
        baseline: &[Duration],
        baseline_name: &str,
        target: &str,
    ) -> Row {
        let (ours, theirs) = (median(agentyard), median(baseline));
        Row {
            measure: measure.to_owned(),
            agentyard: millis(ours),
            baseline: format!("{} ({baseline_name})", millis(theirs)),
            ratio: format!("{:.2}×", ours.as_secs_f64() / theirs.as_secs_f64()),
            target: target.to_owned(),
        }
    }

    /// A measure that could not be taken on this build, with the reason in place of figures.
    pub fn unavailable(measure: &str, reason: &str, target: &str) -> Row {
        Row {
            measure: measure.to_owned(),
            agentyard: reason.to_owned(),
            baseline: "-".to_owned(),
            ratio: "-".to_owned(),
            target: target.to_owned(),
        }
    }
}

/// Prints the table: measure | through Agentyard (median) | raw baseline (median) | ratio | target.
pub fn print_table(title: &str, rows: &[Row]) {
    let header = Row {
        measure: "measure".into(),
        agentyard: "through Agentyard (median)".into(),
        baseline: "raw baseline (median)".into(),
        ratio: "ratio".into(),
        target: "target".into(),
    };
    let all: Vec<&Row> = std::iter::once(&header).chain(rows).collect();
    let width = |field: fn(&Row) -> &str| {
        all.iter()
            .map(|row| field(row).chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [
        width(|row| &row.measure),
        width(|row| &row.agentyard),
        width(|row| &row.baseline),
        width(|row| &row.ratio),
        width(|row| &row.target),
    ];
    println!("\n{title}");
    for (index, row) in all.iter().enumerate() {
        println!(
            "| {:<w0$} | {:>w1$} | {:>w2$} | {:>w3$} | {:<w4$} |",
            row.measure,
            row.agentyard,
            row.baseline,
            row.ratio,
            row.target,
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        if index == 0 {
            let rule: Vec<String> = widths.iter().map(|width| "-".repeat(*width)).collect();
            println!("|-{}-|", rule.join("-|-"));
        }
    }
}

/// Builds the platform and the bridge with the benchmark's own profile (once per run), the way
/// a user runs them, and returns the platform binary. `cargo run --example` builds neither.
fn platform_binary() -> PathBuf {
    let release = !cfg!(debug_assertions);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "--quiet", "-p", "agentyard", "--bin", "agentyard"]);
    build.args(["-p", "mcp", "--bin", "agentyard-bridge"]);
    if release {
        build.arg("--release");
    }
    let status = build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building agentyard and agentyard-bridge failed"
    );
    // The benchmark runs from <target>/<profile>/examples/.
    let exe = std::env::current_exe().expect("the benchmark's own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the benchmark runs from <target>/<profile>/examples");
    profile_dir.join("agentyard")
}

/// How the platform under test is configured.
pub struct PlatformOptions<'a> {
    pub mode: &'a str,
    pub model_url: &'a str,
    pub max_running: usize,
    /// The agent program in local mode, instead of the pinned `claude`.
    pub agent_command: Option<&'a Path>,
}

/// The real `agentyard serve`, on loopback, with temp dirs and only the environment set here.
/// Killed when dropped.
pub struct Platform {
    child: std::process::Child,
    pub base_url: String,
    client: reqwest::Client,
    pub projects: TempDir,
    _data: TempDir,
    _home: TempDir,
}

impl Platform {
    pub fn start(options: PlatformOptions<'_>) -> Platform {
        let binary = platform_binary();
        let (data, projects, home) = (
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
            tempfile::tempdir().unwrap(),
        );
        let agent_command = if let Some(program) = options.agent_command {
            program.display().to_string()
        } else if options.mode == "local" {
            claude().display().to_string()
        } else {
            "claude".to_owned()
        };
        let mut child = std::process::Command::new(&binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AGENTYARD_DATA_DIR", data.path())
            .env("PROJECTS_ROOT", projects.path())
            .env("AGENTYARD_BIND", "127.0.0.1:0")
            .env("AGENTYARD_TOKEN", TOKEN)
            .env("AGENT_MODE", options.mode)
            .env("AGENT_COMMAND", agent_command)
            .env("AGENT_NETWORK", "host")
            .env("AGENT_MAX_RUNNING", options.max_running.to_string())
            .env("ANTHROPIC_BASE_URL", options.model_url)
            .env("ANTHROPIC_API_KEY", "bench")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "error".to_owned()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the platform prints its address");
        let base_url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("the platform did not start: {line:?}"))
            .to_owned();
        Platform {
            child,
            base_url,
            client: reqwest::Client::new(),
            projects,
            _data: data,
            _home: home,
        }
    }

    pub fn projects_root(&self) -> PathBuf {
        std::fs::canonicalize(self.projects.path()).unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The platform process's resident memory, in KiB; its agents are other processes.
    pub fn rss_kib(&self) -> u64 {
        rss_of(&format!("/proc/{}/status", self.pid())).expect("the platform process is alive")
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the platform answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn created(&self, path: &str, body: Value) -> String {
        let (status, created) = self.request(reqwest::Method::POST, path, Some(body)).await;
        assert!(status.is_success(), "POST {path}: {status} {created}");
        created["id"].as_str().expect("an id").to_owned()
    }

    /// A project at `path` (inside the projects root), or a new one named `name`.
    pub async fn project(&self, name: &str, path: Option<&Path>) -> String {
        let mut body = json!({ "name": name });
        if let Some(path) = path {
            body["path"] = json!(path.display().to_string());
        }
        self.created("/api/projects", body).await
    }

    pub async fn session(&self, project: &str) -> String {
        self.created(
            "/api/sessions",
            json!({ "project_id": project, "title": "bench", "mode": "execute" }),
        )
        .await
    }

    /// Ends a session the way the board does (container removed, worktree finished).
    pub async fn delete_session(&self, session: &str) {
        let (status, body) = self
            .request(
                reqwest::Method::DELETE,
                &format!("/api/sessions/{session}"),
                None,
            )
            .await;
        assert!(status.is_success(), "DELETE session: {status} {body}");
    }

    /// The text of the session's last assistant message, as stored.
    pub async fn last_reply(&self, session: &str) -> String {
        let (status, messages) = self
            .request(
                reqwest::Method::GET,
                &format!("/api/sessions/{session}/messages"),
                None,
            )
            .await;
        assert!(status.is_success(), "GET messages: {status} {messages}");
        messages
            .as_array()
            .and_then(|all| {
                all.iter()
                    .rev()
                    .find(|message| message["role"] == "assistant")
            })
            .and_then(|message| message["content"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// Asks the platform to get the session ready for its first turn (`POST …/warm`) and waits
    /// until it is. `Err` with a line to print when this build has no warm route.
    ///
    /// Ready: `run_state` is `ready`, or it went through `starting` and left it (not for `error`).
    pub async fn warm(&self, session: &str) -> Result<(), String> {
        let (status, body) = self
            .request(
                reqwest::Method::POST,
                &format!("/api/sessions/{session}/warm"),
                None,
            )
            .await;
        if status == reqwest::StatusCode::NOT_FOUND
            || status == reqwest::StatusCode::METHOD_NOT_ALLOWED
        {
            return Err("warm not available on this build".to_owned());
        }
        assert!(status.is_success(), "POST warm: {status} {body}");
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut seen_starting = false;
        loop {
            let (_, session_body) = self
                .request(
                    reqwest::Method::GET,
                    &format!("/api/sessions/{session}"),
                    None,
                )
                .await;
            match session_body["run_state"].as_str().unwrap_or_default() {
                "ready" => return Ok(()),
                "starting" => seen_starting = true,
                "error" => panic!("warming failed: {session_body}"),
                _ if seen_starting => return Ok(()),
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "the session was not ready 120 s after warm: {session_body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn ws(&self) -> Ws {
        let url = format!("{}/ws?token={TOKEN}", self.base_url.replace("http", "ws"));
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the WebSocket connects");
        Ws { stream }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmRSS` in KiB from a `/proc/<pid>/status` file; `None` once the process is gone.
pub fn rss_of(status_file: &str) -> Option<u64> {
    std::fs::read_to_string(status_file)
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A WebSocket client of the platform.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    pub async fn send(&mut self, session: &str, content: &str) {
        self.stream
            .send(Message::Text(
                json!({ "type": "chat:send", "sessionId": session, "content": content })
                    .to_string()
                    .into(),
            ))
            .await
            .expect("the WebSocket takes the message");
    }

    /// The next envelope; panics when the socket ends or nothing comes for `TURN_LIMIT`.
    pub async fn next(&mut self) -> Value {
        loop {
            match tokio::time::timeout(TURN_LIMIT, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    return serde_json::from_str(&text).expect("envelopes are JSON");
                }
                Ok(Some(Ok(_))) => {}
                Ok(other) => panic!("the WebSocket ended: {other:?}"),
                Err(_) => panic!("nothing on the WebSocket for {TURN_LIMIT:?}"),
            }
        }
    }

    /// Reads until the session's `chat:done`; a `chat:error` of it ends the benchmark.
    /// Returns the text of the session's `chat:chunk` envelopes.
    pub async fn until_done(&mut self, session: &str) -> String {
        self.follow(session, Instant::now()).await.0
    }

    /// Reads the session's envelopes until its `chat:done`, noting when each phase began.
    async fn follow(&mut self, session: &str, sent: Instant) -> (String, Phases) {
        let mut text = String::new();
        let mut phases = Phases::default();
        loop {
            let event = self.next().await;
            let since = sent.elapsed();
            if event["type"] == "session:updated" && event["session"]["id"] == session {
                match event["session"]["run_state"].as_str() {
                    Some("starting") => phases.starting = Some(since),
                    Some("running") => phases.running = Some(since),
                    _ => {}
                }
                continue;
            }
            if event["sessionId"] != session {
                continue;
            }
            match event["type"].as_str() {
                Some("chat:chunk") => {
                    phases.first_chunk.get_or_insert(since);
                    phases.last_chunk = Some(since);
                    text.push_str(event["content"].as_str().unwrap_or_default());
                }
                Some("chat:done") => {
                    phases.done = since;
                    return (text, phases);
                }
                Some("chat:error") => panic!("the turn failed: {event}"),
                _ => {}
            }
        }
    }

    /// One turn from the message to its `chat:done`.
    pub async fn turn(&mut self, session: &str, content: &str) -> Duration {
        self.turn_phases(session, content).await.done
    }

    /// One turn, with when each of its phases began.
    pub async fn turn_phases(&mut self, session: &str, content: &str) -> Phases {
        let sent = Instant::now();
        self.send(session, content).await;
        self.follow(session, sent).await.1
    }
}

/// When a turn's phases began, from the `chat:send` (as the WebSocket shows them): the engine
/// began it (`run_state` `starting`), the agent process was started (`running`), the first and
/// the last `chat:chunk`, and `chat:done`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    pub starting: Option<Duration>,
    pub running: Option<Duration>,
    pub first_chunk: Option<Duration>,
    pub last_chunk: Option<Duration>,
    pub done: Duration,
}

/// Prints the median of each phase of `turns`, platform's and raw CLI's, for the profile.
pub fn print_phases(title: &str, turns: &[Phases], raw: &[DirectTurn]) {
    let median_of = |pick: &dyn Fn(&Phases) -> Option<Duration>| {
        let samples: Vec<Duration> = turns.iter().filter_map(pick).collect();
        if samples.is_empty() {
            "-".to_owned()
        } else {
            millis(median(&samples))
        }
    };
    let raw_median = |pick: &dyn Fn(&DirectTurn) -> Duration| {
        millis(median(&raw.iter().map(pick).collect::<Vec<_>>()))
    };
    println!(
        "{title}, medians since the message: starting {}, agent started {}, first chunk {}, last chunk {}, done {} \
         | raw CLI since spawn: first line {}, first delta {}, result {}, exited {}",
        median_of(&|phases| phases.starting),
        median_of(&|phases| phases.running),
        median_of(&|phases| phases.first_chunk),
        median_of(&|phases| phases.last_chunk),
        median_of(&|phases| Some(phases.done)),
        raw_median(&|turn| turn.first_line),
        raw_median(&|turn| turn.first_delta),
        raw_median(&|turn| turn.result),
        raw_median(&|turn| turn.exited),
    );
}

/// The pinned `claude`; the benchmark stops with how to install it when it is missing.
pub fn claude() -> PathBuf {
    scripted_model::claude_binary().unwrap_or_else(|error| panic!("{error}"))
}

/// The arguments the platform gives `claude` in execute mode (without its system prompt and MCP
/// configuration, which the raw baselines do not have).
pub fn claude_args(resume: Option<&str>) -> Vec<String> {
    let mut command = agent::ClaudeCommand::new(domain::SessionMode::Execute);
    command.resume = resume.map(str::to_owned);
    command.args()
}

/// What one raw `claude` turn gave: its session id and the text it streamed.
pub struct DirectTurn {
    pub session_id: String,
    pub text: String,
    /// Text deltas printed, and the time from the first to the last.
    pub deltas: usize,
    pub delta_span: Duration,
    /// Since the spawn: the first line printed, the first text delta, the result, the exit.
    pub first_line: Duration,
    pub first_delta: Duration,
    pub result: Duration,
    pub exited: Duration,
    /// Every line the CLI printed, in order.
    pub lines: Vec<String>,
}

/// One turn of a `claude` process started by `command`, from spawn to its exit.
pub async fn run_direct(mut command: Command, prompt: &str) -> DirectTurn {
    let spawned = Instant::now();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("claude starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", agent::user_message_line(prompt)).as_bytes())
        .await
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut turn = DirectTurn {
        session_id: String::new(),
        text: String::new(),
        deltas: 0,
        delta_span: Duration::ZERO,
        first_line: Duration::ZERO,
        first_delta: Duration::ZERO,
        result: Duration::ZERO,
        exited: Duration::ZERO,
        lines: Vec::new(),
    };
    let mut first_delta: Option<Instant> = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        if turn.first_line.is_zero() {
            turn.first_line = spawned.elapsed();
        }
        for parsed in agent::parse_line(&line) {
            match parsed.event {
                agent::Event::TextDelta { text } => {
                    let now = Instant::now();
                    let first = *first_delta.get_or_insert_with(|| {
                        turn.first_delta = spawned.elapsed();
                        now
                    });
                    turn.delta_span = now - first;
                    turn.deltas += 1;
                    turn.text.push_str(&text);
                }
                agent::Event::Result { session_id, .. } => {
                    turn.session_id = session_id;
                    turn.result = spawned.elapsed();
                }
                _ => {}
            }
        }
        turn.lines.push(line);
        if !turn.session_id.is_empty() {
            break;
        }
    }
    assert!(!turn.session_id.is_empty(), "claude ended without a result");
    // Closing stdin lets the CLI exit; Docker's exec needs the explicit shutdown.
    let _ = stdin.shutdown().await;
    drop(stdin);
    child.wait().await.unwrap();
    turn.exited = spawned.elapsed();
    turn
}

fn model_env(command: &mut Command, model_url: &str) {
    command
        .env("ANTHROPIC_BASE_URL", model_url)
        .env("ANTHROPIC_API_KEY", "bench")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
}

/// The bare CLI in `dir` with its own `home`.
pub fn local_command(dir: &Path, home: &Path, model_url: &str, resume: Option<&str>) -> Command {
    let mut command = Command::new(claude());
    command
        .args(claude_args(resume))
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home);
    model_env(&mut command, model_url);
    command
}

fn docker_model_env(model_url: &str) -> Vec<String> {
    [
        format!("ANTHROPIC_BASE_URL={model_url}"),
        "ANTHROPIC_API_KEY=bench".to_owned(),
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1".to_owned(),
        "HOME=/tmp/home".to_owned(),
    ]
    .into_iter()
    .flat_map(|value| ["-e".to_owned(), value])
    .collect()
}

/// A raw `docker exec` of the CLI in a running container.
pub fn docker_exec_command(container: &str, model_url: &str, resume: Option<&str>) -> Command {
    let mut command = Command::new("docker");
    command
        .args(["exec", "-i", "-w", "/tmp"])
        .args(docker_model_env(model_url))
        .args([container, "claude"])
        .args(claude_args(resume));
    command
}

/// A raw `docker run --rm` of the CLI, with `workspace` mounted as its working directory.
pub fn docker_run_command(workspace: &Path, model_url: &str) -> Command {
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
        .args(["-v", &format!("{}:/workspace", workspace.display())])
        .args(["-w", "/workspace"])
        .args(docker_model_env(model_url))
        .args([IMAGE, "claude"])
        .args(claude_args(None));
    command
}

/// A container of the agent image that sleeps, for raw `docker exec` turns; removed when dropped.
pub struct SleepingContainer {
    pub name: String,
}

impl SleepingContainer {
    pub fn start() -> SleepingContainer {
        let name = format!("agentyard-bench-{}", std::process::id());
        let status = std::process::Command::new("docker")
            .args(["run", "-d", "--rm", "--name", &name, "--network", "host"])
            .args([
                "--user",
                "1000:1000",
                "--entrypoint",
                "sleep",
                IMAGE,
                "infinity",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("docker runs");
        assert!(
            status.success(),
            "cannot start a container of {IMAGE} (run `bash scripts/setup-docker.sh` as root)"
        );
        SleepingContainer { name }
    }
}

impl Drop for SleepingContainer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs git in `dir`; panics with its stderr when it fails. The benchmark's own repositories may
/// belong to the agent user after the platform used them, so git is told they are safe.
pub fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .arg("-c")
        .arg(format!("safe.directory={}", dir.display()))
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A committed repository of `files` small files in directories of 100.
pub fn generate_repository(dir: &Path, files: usize) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    for file in 0..files {
        let directory = dir.join(format!("module{:03}", file / 100));
        if file % 100 == 0 {
            std::fs::create_dir_all(&directory).unwrap();
        }
        std::fs::write(
            directory.join(format!("file{file:05}.rs")),
            format!("// file {file}\npub fn f{file}() -> usize {{ {file} }}\n"),
        )
        .unwrap();
    }
    git(dir, &["add", "--all"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Bench",
            "-c",
            "user.email=bench@localhost",
            "commit",
            "--quiet",
            "-m",
            "generated",
        ],
    );
}

/// Numbered words (`[000001:xxxx] `) of `count` deltas: a reply whose order can be checked and
/// which the scripted model streams one word per delta.
pub fn numbered_words(count: usize, filler: usize) -> String {
    let filler = "x".repeat(filler);
    (0..count)
        .map(|index| format!("[{index:06}:{filler}] "))
        .collect()
}
