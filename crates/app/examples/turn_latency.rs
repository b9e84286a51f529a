//! Benchmark: how long a turn takes through Agentyard against the same `claude` run raw.
//!
//! Run: `cargo run --release -p agentyard --example turn_latency [repetitions] [local|docker|both]`
//! (default 7 repetitions, both modes). Needs the pinned CLI (scripts/install-claude.sh) and, for
//! docker mode, the engine and `claude-agent-base` (scripts/setup-docker.sh).
//!
//! Each turn is timed from `chat:send` on the WebSocket to `chat:done`; platform and baseline
//! samples alternate, and the table shows medians:
//! - local turn: a session's later message vs the bare CLI resuming its conversation;
//! - warm docker turn: a session's later message vs a raw `docker exec` of the same `claude` in a
//!   running container of the same image;
//! - first turn of a warmed session (`POST /api/sessions/{id}/warm`, then wait until ready) vs a
//!   raw `docker run --rm`;
//! - cold first turn (a second writer session, so it gets a worktree) vs a raw `git worktree add`
//!   plus `docker run --rm`;
//! - first turn on a project of 20,000 files vs on a tiny project, both through the platform.

mod common;

use common::{
    DirectTurn, Platform, PlatformOptions, Row, SleepingContainer, docker_exec_command,
    docker_run_command, generate_repository, git, local_command, print_phases, print_table,
    repetitions, run_direct,
};
use scripted_model::{Reply, Script, ScriptedModel};
use std::time::{Duration, Instant};

const PROMPT: &str = "say hello";
const BIG_PROJECT_FILES: usize = 20_000;

/// A session's later turns against the bare CLI resuming its own conversation, alternating;
/// prints where each one's time went.
async fn later_turns(
    title: &str,
    platform: &Platform,
    reps: usize,
    mut raw_turn: impl AsyncFnMut(Option<&str>) -> DirectTurn,
) -> (Vec<Duration>, Vec<Duration>) {
    let project = platform.project("later-turns", None).await;
    let session = platform.session(&project).await;
    let mut ws = platform.ws().await;
    ws.turn(&session, PROMPT).await;
    let mut resume = raw_turn(None).await.session_id;
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        ours.push(ws.turn_phases(&session, PROMPT).await);
        let turn = raw_turn(Some(&resume)).await;
        resume = turn.session_id.clone();
        raw.push(turn);
    }
    print_phases(title, &ours, &raw);
    (
        ours.iter().map(|phases| phases.done).collect(),
        raw.iter().map(|turn| turn.exited).collect(),
    )
}

/// First turns of new sessions on a big and on a tiny project, alternating; each session is
/// deleted after its turn so the next one is a first writer again.
async fn first_turns_by_size(platform: &Platform, reps: usize) -> (Vec<Duration>, Vec<Duration>) {
    let big_dir = platform.projects_root().join("big");
    let started = Instant::now();
    generate_repository(&big_dir, BIG_PROJECT_FILES);
    println!(
        "  generated a repository of {BIG_PROJECT_FILES} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let big = platform.project("big", Some(&big_dir)).await;
    let tiny = platform.project("tiny", None).await;
    let mut ws = platform.ws().await;
    let (mut on_big, mut on_tiny) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        for (project, samples) in [(&big, &mut on_big), (&tiny, &mut on_tiny)] {
            let session = platform.session(project).await;
            samples.push(ws.turn(&session, PROMPT).await);
            platform.delete_session(&session).await;
        }
    }
    (on_big, on_tiny)
}

async fn local_rows(reps: usize, model_url: &str) -> Vec<Row> {
    let platform = Platform::start(PlatformOptions {
        mode: "local",
        model_url,
        max_running: 8,
        agent_command: None,
    });
    let (dir, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (ours, raw) = later_turns("  local turn", &platform, reps, async |resume| {
        run_direct(
            local_command(dir.path(), home.path(), model_url, resume),
            PROMPT,
        )
        .await
    })
    .await;
    let (big, tiny) = first_turns_by_size(&platform, reps).await;
    vec![
        Row::times("local turn", &ours, &raw, "bare CLI", "-"),
        Row::times(
            "local first turn, 20,000 files",
            &big,
            &tiny,
            "tiny project",
            "≤ 1.15×",
        ),
    ]
}

async fn docker_rows(reps: usize, model_url: &str) -> Vec<Row> {
    let platform = Platform::start(PlatformOptions {
        mode: "docker",
        model_url,
        max_running: 8,
        agent_command: None,
    });
    let mut rows = Vec::new();

    let container = SleepingContainer::start();
    let (ours, raw) = later_turns("  warm docker turn", &platform, reps, async |resume| {
        run_direct(
            docker_exec_command(&container.name, model_url, resume),
            PROMPT,
        )
        .await
    })
    .await;
    drop(container);
    rows.push(Row::times(
        "warm docker turn",
        &ours,
        &raw,
        "docker exec",
        "≤ 0.5×",
    ));

    // A holder takes the main checkout, so every measured session is a second writer.
    let project_dir = platform.projects_root().join("writers");
    generate_repository(&project_dir, 10);
    let project = platform.project("writers", Some(&project_dir)).await;
    let holder = platform.session(&project).await;
    let mut ws = platform.ws().await;
    ws.turn(&holder, PROMPT).await;
    let raw_workspace = tempfile::tempdir().unwrap();

    let (mut warmed, mut raw_run, mut unavailable) = (Vec::new(), Vec::new(), None);
    for _ in 0..reps {
        let session = platform.session(&project).await;
        match platform.warm(&session).await {
            Ok(()) => warmed.push(ws.turn(&session, PROMPT).await),
            Err(reason) => unavailable = Some(reason),
        }
        platform.delete_session(&session).await;
        if unavailable.is_some() {
            break;
        }
        let turn = run_direct(docker_run_command(raw_workspace.path(), model_url), PROMPT).await;
        raw_run.push(turn.exited);
    }
    rows.push(match unavailable {
        Some(reason) => Row::unavailable("first turn of a warmed session", &reason, "≤ 0.5×"),
        None => Row::times(
            "first turn of a warmed session",
            &warmed,
            &raw_run,
            "docker run",
            "≤ 0.5×",
        ),
    });

    let (mut cold, mut raw_cold) = (Vec::new(), Vec::new());
    let raw_root = tempfile::tempdir().unwrap();
    for round in 0..reps {
        let session = platform.session(&project).await;
        cold.push(ws.turn(&session, PROMPT).await);
        platform.delete_session(&session).await;

        let path = raw_root.path().join(format!("worktree-{round}"));
        let branch = format!("raw/{round}");
        let started = Instant::now();
        git(
            &project_dir,
            &[
                "worktree",
                "add",
                "--quiet",
                "-b",
                &branch,
                path.to_str().unwrap(),
                "HEAD",
            ],
        );
        run_direct(docker_run_command(&path, model_url), PROMPT).await;
        raw_cold.push(started.elapsed());
        git(
            &project_dir,
            &["worktree", "remove", "--force", path.to_str().unwrap()],
        );
        git(&project_dir, &["branch", "-D", "--quiet", &branch]);
    }
    rows.push(Row::times(
        "cold first turn (worktree)",
        &cold,
        &raw_cold,
        "worktree add + docker run",
        "≤ 1.05×",
    ));

    let (big, tiny) = first_turns_by_size(&platform, reps).await;
    rows.push(Row::times(
        "docker first turn, 20,000 files",
        &big,
        &tiny,
        "tiny project",
        "≤ 1.15×",
    ));
    rows
}

#[tokio::main]
async fn main() {
    let reps = repetitions(7);
    let which = std::env::args().nth(2).unwrap_or_else(|| "both".to_owned());
    let model = ScriptedModel::start(Script::new().rule(PROMPT, [Reply::text("hello")]));
    let model_url = model.base_url();
    println!("turn latency, {reps} repetitions (scripted model at {model_url})");
    let mut rows = Vec::new();
    if which == "local" || which == "both" {
        rows.extend(local_rows(reps, &model_url).await);
    }
    if which == "docker" || which == "both" {
        rows.extend(docker_rows(reps, &model_url).await);
    }
    print_table("turn latency", &rows);
}
