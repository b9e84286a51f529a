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
//! - first turn on a project of 20,000 files vs on a tiny project, both through the platform, and
//!   the same for the bare CLI alone (which reads the repository when it starts).

mod common;

use common::{
    DirectTurn, Phases, Platform, PlatformOptions, Row, SleepingContainer, docker_exec_command,
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

/// First turns on a big and on a tiny project: through the platform (new sessions, each deleted
/// after its turn so the next one is a first writer again) and of the bare CLI in the same two
/// directories, alternating. The bare CLI's own ratio shows what the project's size costs the
/// CLI itself (it reads the repository when it starts).
struct BySize {
    big: Vec<Duration>,
    tiny: Vec<Duration>,
    raw_big: Vec<Duration>,
    raw_tiny: Vec<Duration>,
}

async fn first_turns_by_size(
    title: &str,
    platform: &Platform,
    reps: usize,
    mut raw_turn: impl AsyncFnMut(&std::path::Path) -> DirectTurn,
) -> BySize {
    let big_dir = platform.projects_root().join("big");
    let tiny_dir = platform.projects_root().join("tiny");
    let started = Instant::now();
    generate_repository(&big_dir, BIG_PROJECT_FILES);
    generate_repository(&tiny_dir, 10);
    println!(
        "  generated a repository of {BIG_PROJECT_FILES} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let big = platform.project("big", Some(&big_dir)).await;
    let tiny = platform.project("tiny", Some(&tiny_dir)).await;
    let mut ws = platform.ws().await;
    let (mut on_big, mut on_tiny) = (Vec::new(), Vec::new());
    let (mut raw_big, mut raw_tiny) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        for (project, dir, samples, raw) in [
            (&big, &big_dir, &mut on_big, &mut raw_big),
            (&tiny, &tiny_dir, &mut on_tiny, &mut raw_tiny),
        ] {
            let session = platform.session(project).await;
            samples.push(ws.turn_phases(&session, PROMPT).await);
            platform.delete_session(&session).await;
            raw.push(raw_turn(dir).await);
        }
    }
    print_phases(&format!("{title}, 20,000 files"), &on_big, &raw_big);
    print_phases(&format!("{title}, tiny project"), &on_tiny, &raw_tiny);
    let done = |phases: &[Phases]| phases.iter().map(|phases| phases.done).collect();
    let exited = |turns: &[DirectTurn]| turns.iter().map(|turn| turn.exited).collect();
    BySize {
        big: done(&on_big),
        tiny: done(&on_tiny),
        raw_big: exited(&raw_big),
        raw_tiny: exited(&raw_tiny),
    }
}

impl BySize {
    fn rows(&self, mode: &str) -> [Row; 2] {
        [
            Row::times(
                &format!("{mode} first turn, 20,000 files"),
                &self.big,
                &self.tiny,
                "tiny project",
                "≤ 1.15×",
            ),
            Row::times(
                &format!("  the bare CLI alone, 20,000 files ({mode})"),
                &self.raw_big,
                &self.raw_tiny,
                "tiny project",
                "-",
            ),
        ]
    }
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
    // A new HOME for each bare run, as each session has its own.
    let by_size = first_turns_by_size("  local first turn", &platform, reps, async |dir| {
        let home = tempfile::tempdir().unwrap();
        run_direct(local_command(dir, home.path(), model_url, None), PROMPT).await
    })
    .await;
    let mut rows = vec![Row::times("local turn", &ours, &raw, "bare CLI", "-")];
    rows.extend(by_size.rows("local"));
    rows
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

    let (mut cold, mut raw_cold, mut raw_cold_turns) = (Vec::new(), Vec::new(), Vec::new());
    let raw_root = tempfile::tempdir().unwrap();
    for round in 0..reps {
        let session = platform.session(&project).await;
        cold.push(ws.turn_phases(&session, PROMPT).await);
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
        raw_cold_turns.push(run_direct(docker_run_command(&path, model_url), PROMPT).await);
        raw_cold.push(started.elapsed());
        git(
            &project_dir,
            &["worktree", "remove", "--force", path.to_str().unwrap()],
        );
        git(&project_dir, &["branch", "-D", "--quiet", &branch]);
    }
    print_phases("  cold first turn", &cold, &raw_cold_turns);
    let cold: Vec<Duration> = cold.iter().map(|phases| phases.done).collect();
    rows.push(Row::times(
        "cold first turn (worktree)",
        &cold,
        &raw_cold,
        "worktree add + docker run",
        "≤ 1.05×",
    ));

    let by_size = first_turns_by_size("  docker first turn", &platform, reps, async |dir| {
        run_direct(docker_run_command(dir, model_url), PROMPT).await
    })
    .await;
    rows.extend(by_size.rows("docker"));
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
