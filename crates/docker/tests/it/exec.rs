//! Execs in a session container: stdin to stdout, exit codes, stderr, kill.

use std::time::{Duration, Instant};

use docker::{Docker, ExecProcess, ExecSpec};
use tokio::io::AsyncWriteExt;

use crate::{Cleanup, engine, run_id, test_spec};

/// A running container for one test, with its cleanup guard.
async fn container(docker: &Docker) -> (String, Cleanup, tempfile::TempDir) {
    let run = run_id();
    let cleanup = Cleanup { run: run.clone() };
    let workspace = tempfile::tempdir().unwrap();
    let id = docker
        .create_container(&test_spec(&run, workspace.path()))
        .await
        .expect("container starts");
    (id, cleanup, workspace)
}

fn shell(script: &str) -> ExecSpec {
    ExecSpec {
        cmd: vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
        ..Default::default()
    }
}

async fn read_stdout(process: &mut ExecProcess) -> String {
    let mut text = Vec::new();
    while let Some(chunk) = process.stdout.recv().await {
        text.extend_from_slice(&chunk);
    }
    String::from_utf8(text).expect("utf-8 output")
}

#[tokio::test]
async fn stdin_reaches_the_process_and_its_stdout_comes_back() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    let mut process = docker
        .exec(&id, &shell("cat; echo done"))
        .await
        .expect("exec starts");
    process.stdin.write_all(b"hello\nworld\n").await.unwrap();
    process.stdin.shutdown().await.unwrap();
    assert_eq!(read_stdout(&mut process).await, "hello\nworld\ndone\n");
    assert_eq!(process.wait().await.expect("exit code"), 0);
}

#[tokio::test]
async fn a_non_zero_exit_code_is_a_result_not_an_error() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    let mut process = docker
        .exec(&id, &shell("echo failing >&2; exit 3"))
        .await
        .expect("exec starts");
    assert_eq!(read_stdout(&mut process).await, "");
    assert_eq!(process.wait().await.expect("exit code"), 3);
    assert_eq!(process.stderr(), "failing\n");
}

#[tokio::test]
async fn execs_run_as_the_container_user_with_the_given_environment_and_directory() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    let spec = ExecSpec {
        env: vec![("GREETING".to_owned(), "hi there".to_owned())],
        working_dir: Some("/tmp".into()),
        ..shell("echo \"$(id -u):$(id -g) $GREETING $(pwd)\"")
    };
    let mut process = docker.exec(&id, &spec).await.expect("exec starts");
    assert_eq!(read_stdout(&mut process).await, "4321:4321 hi there /tmp\n");
    assert_eq!(process.wait().await.unwrap(), 0);
}

#[tokio::test]
async fn kill_ends_a_running_exec_and_what_it_started_within_two_seconds() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    // The shell's child `sleep` must die too: kill reaches the whole process group.
    let mut process = docker
        .exec(&id, &shell("sleep 60; echo survived"))
        .await
        .expect("exec starts");
    let mut sleeper = docker
        .exec(
            &id,
            &ExecSpec {
                cmd: vec!["sleep".into(), "60".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    process.kill().await.expect("killed");
    sleeper.killer().kill().await.expect("killed from a handle");
    let output = tokio::time::timeout(Duration::from_secs(2), read_stdout(&mut process))
        .await
        .expect("output ends");
    let code = tokio::time::timeout(Duration::from_secs(2), process.wait())
        .await
        .expect("exits in time")
        .unwrap();
    let sleeper_code = tokio::time::timeout(Duration::from_secs(2), sleeper.wait())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!((output.as_str(), code, sleeper_code), ("", 137, 137));

    let mut ps = docker
        .exec(&id, &shell("ps -eo args= | grep -c '^sleep 60$' || true"))
        .await
        .unwrap();
    assert_eq!(
        read_stdout(&mut ps).await.trim(),
        "0",
        "no sleep is left behind"
    );
}

#[tokio::test]
async fn an_exec_in_a_removed_container_names_the_missing_container() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    docker.remove_container(&id).await.unwrap();
    let error = docker
        .exec(&id, &shell("true"))
        .await
        .expect_err("no container");
    assert!(
        matches!(error, docker::DockerError::ContainerMissing { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_pinned_claude_cli_runs_under_the_hardening_as_an_arbitrary_uid() {
    let Some(docker) = engine().await else { return };
    let (id, _cleanup, _workspace) = container(&docker).await;
    let spec = ExecSpec {
        cmd: vec!["claude".to_owned(), "--version".to_owned()],
        ..Default::default()
    };
    let mut process = docker.exec(&id, &spec).await.expect("exec starts");
    assert_eq!(
        read_stdout(&mut process).await.trim(),
        "2.1.332 (Claude Code)"
    );
    assert_eq!(
        process.wait().await.unwrap(),
        0,
        "stderr: {}",
        process.stderr()
    );
}
