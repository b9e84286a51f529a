//! How much the platform adds to making a session's worktree, against raw `git worktree add`.
//!
//! Generates a repository of 20,000 committed files, starts the real platform on it (local mode,
//! with `true` as the agent so no model is involved), and times, in alternating rounds:
//! - raw: `git worktree add -b <branch> <path> HEAD`, the floor;
//! - platform: from a session's first message to the engine announcing its worktree, i.e. the
//!   serialized decision, the checks of `git::create_worktree`, the worktree itself and the store write.
//!
//! A first session holds the main checkout, so every measured session needs a worktree.
//! Run with `cargo run --release -p agentyard --example worktree_bench`.

use agentyard::config::ConfigArgs;
use engine::{EngineEvent, SendOptions, SessionInput};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 20_000;
const FILES_PER_DIRECTORY: usize = 100;
const ROUNDS: usize = 9;

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
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

fn generate_repository(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    for file in 0..FILES {
        let directory = dir.join(format!("module{:03}", file / FILES_PER_DIRECTORY));
        if file % FILES_PER_DIRECTORY == 0 {
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
            "20,000 files",
        ],
    );
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let projects_root = tempfile::tempdir()?;
    let repository = std::fs::canonicalize(projects_root.path())?.join("big");
    let started = Instant::now();
    generate_repository(&repository);
    println!(
        "generated a repository of {FILES} files in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let config = ConfigArgs {
        agent_mode: Some("local".to_owned()),
        agent_command: Some("true".to_owned()),
        projects_root: Some(projects_root.path().display().to_string()),
        data_dir: Some(data_dir.path().display().to_string()),
        token: Some("bench-token-0123456789abcdef".to_owned()),
        ..ConfigArgs::default()
    }
    .into_config()?;
    let listeners = agentyard::Listeners::loopback().await?;
    let running = agentyard::start(config, Some(listeners)).await?;
    let engine = running.engine.clone();
    let project = engine
        .create_project(engine::ProjectInput {
            name: "big".to_owned(),
            path: Some(repository.display().to_string()),
            ..Default::default()
        })
        .await?;
    let new_session = || {
        engine.create_session(SessionInput {
            project_id: project.id,
            agent_id: None,
            title: Some("bench".to_owned()),
            mode: None,
            docker_image: None,
        })
    };
    let holder = new_session().await?;
    engine
        .send_message(holder.id, "hold the main checkout", SendOptions::default())
        .await?;

    let mut raw = Vec::new();
    let mut platform = Vec::new();
    for round in 0..ROUNDS {
        let path = projects_root.path().join(format!("raw-worktree-{round}"));
        let branch = format!("raw/{round}");
        let started = Instant::now();
        git(
            &repository,
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
        raw.push(started.elapsed());
        git(
            &repository,
            &["worktree", "remove", "--force", path.to_str().unwrap()],
        );
        git(&repository, &["branch", "-D", "--quiet", &branch]);

        let session = new_session().await?;
        let mut events = engine.subscribe();
        let started = Instant::now();
        engine
            .send_message(session.id, "make my worktree", SendOptions::default())
            .await?;
        loop {
            match events.recv().await? {
                EngineEvent::SessionUpdated(updated)
                    if updated.id == session.id && updated.worktree_path.is_some() =>
                {
                    break;
                }
                _ => {}
            }
        }
        platform.push(started.elapsed());
        // Removing it (nothing to commit, branch deleted) keeps every round on the same repository.
        engine.delete_session(session.id).await?;
    }

    let (raw, platform) = (median(raw), median(platform));
    println!("median of {ROUNDS} rounds, repository of {FILES} files:");
    println!(
        "  raw `git worktree add`:          {:8.1} ms",
        raw.as_secs_f64() * 1000.0
    );
    println!(
        "  platform (first message → worktree): {:5.1} ms",
        platform.as_secs_f64() * 1000.0
    );
    println!(
        "  ratio platform / raw:            {:8.2}",
        platform.as_secs_f64() / raw.as_secs_f64()
    );
    engine.delete_session(holder.id).await?;
    running.stop().await?;
    Ok(())
}
