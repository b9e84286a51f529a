//! Worktree isolation with real git and the real `claude` CLI writing files through its tools:
//! the first writer works on the main checkout, concurrent writers get their own worktree and
//! branch, explore sessions never do, and ending a session keeps its work on its branch.

use crate::support::{Options, TestApp, model, read};
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const TURN: Duration = Duration::from_secs(90);

fn script() -> Script {
    let write = |file: &str, content: &str| {
        [
            Reply::tool_use("Write", json!({"file_path": file, "content": content})),
            Reply::text(format!("I wrote {file}.")),
        ]
    };
    Script::new()
        .rule("write alpha", write("alpha.txt", "alpha\n"))
        .rule("write beta", write("beta.txt", "beta\n"))
        .rule("write gamma", write("gamma.txt", "gamma\n"))
        .rule("say hello", [Reply::text("hello")])
}

/// Runs git in `dir` the way a user would look at the result; `safe.directory` because agents in
/// docker mode may own the files.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(["-c", "safe.directory=*", "-C"])
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub async fn local_app(model_url: String) -> TestApp {
    TestApp::spawn_with(Options {
        model_url: Some(model_url),
        ..Options::default()
    })
    .await
}

/// Sends one message over REST and waits for its turn to end.
pub async fn turn(app: &TestApp, session: &Value, content: &str) -> Value {
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    let (status, body) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": content}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let done = ws.done(id, TURN).await;
    assert_eq!(done["interrupted"], false, "{done}");
    app.session(id).await
}

pub fn id8(session: &Value) -> String {
    session["id"].as_str().unwrap()[..8].to_owned()
}

#[tokio::test]
async fn the_first_writer_takes_the_main_checkout_and_concurrent_writers_get_worktrees() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let project = app.create_project("shared").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let first = app.create_session(&project, "execute").await;
    let second = app.create_session(&project, "execute").await;
    let third = app.create_session(&project, "ask").await;
    let explorer = app.create_session(&project, "explore").await;

    let first = turn(&app, &first, "please write alpha").await;
    assert_eq!(first["worktree_path"], Value::Null, "{first}");
    assert_eq!(first["branch"], Value::Null);
    assert_eq!(read(main.join("alpha.txt")), "alpha\n");

    // The first session is still active (not done), so it still holds the main checkout.
    let second = turn(&app, &second, "please write beta").await;
    let second_path = main.join(".worktrees").join(second["id"].as_str().unwrap());
    assert_eq!(
        second["worktree_path"],
        second_path.display().to_string(),
        "{second}"
    );
    assert_eq!(second["branch"], format!("session/{}", id8(&second)));
    assert_eq!(read(second_path.join("beta.txt")), "beta\n");
    assert_eq!(
        git(&second_path, &["branch", "--show-current"]).trim(),
        format!("session/{}", id8(&second))
    );

    let explorer = turn(&app, &explorer, "say hello").await;
    assert_eq!(explorer["worktree_path"], Value::Null, "{explorer}");
    assert_eq!(explorer["branch"], Value::Null);

    let third = turn(&app, &third, "say hello").await;
    let third_path = main.join(".worktrees").join(third["id"].as_str().unwrap());
    assert_eq!(third["worktree_path"], third_path.display().to_string());
    assert!(third_path.is_dir());

    // Files never cross between checkouts.
    assert!(!main.join("beta.txt").exists());
    assert!(!second_path.join("alpha.txt").exists());
    assert!(!third_path.join("alpha.txt").exists());
    assert!(!third_path.join("beta.txt").exists());

    let ignore = read(main.join(".gitignore"));
    assert_eq!(
        ignore.lines().filter(|line| *line == ".worktrees").count(),
        1,
        "{ignore}"
    );
    // The main checkout's status does not show the worktrees.
    let status = git(&main, &["status", "--porcelain"]);
    assert!(!status.contains(".worktrees"), "{status}");
}

#[tokio::test]
async fn done_and_delete_remove_the_worktree_and_keep_the_uncommitted_work_on_the_branch() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let project = app.create_project("ending").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let holder = app.create_session(&project, "execute").await;
    let finished = app.create_session(&project, "execute").await;
    let deleted = app.create_session(&project, "execute").await;
    turn(&app, &holder, "please write alpha").await;
    let finished = turn(&app, &finished, "please write beta").await;
    let deleted = turn(&app, &deleted, "please write gamma").await;
    let finished_path = PathBuf::from(finished["worktree_path"].as_str().unwrap());
    let deleted_path = PathBuf::from(deleted["worktree_path"].as_str().unwrap());
    assert!(finished_path.is_dir() && deleted_path.is_dir());

    let id = finished["id"].as_str().unwrap();
    let (status, body) = app
        .patch(
            &format!("/api/sessions/{id}/status"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(!finished_path.exists(), "the worktree is removed on done");
    assert_eq!(body["worktree_path"], Value::Null);
    assert_eq!(body["branch"], format!("session/{}", id8(&finished)));
    let branch_file = format!("session/{}:beta.txt", id8(&finished));
    assert_eq!(git(&main, &["show", &branch_file]), "beta\n");

    let id = deleted["id"].as_str().unwrap();
    let (status, body) = app.delete(&format!("/api/sessions/{id}")).await;
    assert_eq!(status, 204, "{body}");
    assert!(!deleted_path.exists(), "the worktree is removed on delete");
    let branch_file = format!("session/{}:gamma.txt", id8(&deleted));
    assert_eq!(git(&main, &["show", &branch_file]), "gamma\n");

    // The session on the main checkout is never touched destructively.
    let id = holder["id"].as_str().unwrap();
    let (status, _) = app
        .patch(
            &format!("/api/sessions/{id}/status"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read(main.join("alpha.txt")), "alpha\n");
    assert!(
        git(&main, &["status", "--porcelain"]).contains("?? alpha.txt"),
        "the main checkout's uncommitted work stays uncommitted"
    );
    let worktrees = git(&main, &["worktree", "list", "--porcelain"]);
    assert_eq!(worktrees.matches("worktree ").count(), 1, "{worktrees}");
}

#[tokio::test]
async fn a_stale_worktree_of_an_unknown_session_disappears_at_boot_with_its_work_kept() {
    let mut app = TestApp::spawn().await;
    let project = app.create_project("stale").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let unknown: domain::SessionId = "3f0c2a9e-1b2c-4d5e-8f90-0a1b2c3d4e5f".parse().unwrap();
    // A worktree the platform made for a session the database no longer knows.
    let git_dir = app
        .data_dir
        .path()
        .join("sessions")
        .join(unknown.to_string())
        .join("git");
    let worktree = git::create_worktree(&main, unknown, &git_dir)
        .await
        .unwrap();
    let stale = worktree.checkout.work_tree().to_path_buf();
    std::fs::write(stale.join("left.txt"), "left behind\n").unwrap();
    std::fs::write(stale.join(".env"), "TOKEN=kept\n").unwrap();
    std::fs::write(stale.join(".gitignore"), ".env\n").unwrap();
    // A directory the platform did not make may hold files found nowhere else: it stays.
    let foreign = main.join(".worktrees").join("made-by-hand");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine\n").unwrap();

    app.restart().await;

    assert!(!stale.exists(), "the stale worktree is removed at boot");
    assert!(!git_dir.exists());
    assert_eq!(
        git(&main, &["show", "session/3f0c2a9e:left.txt"]),
        "left behind\n"
    );
    let kept = app
        .data_dir
        .path()
        .join("sessions")
        .join(unknown.to_string())
        .join("kept");
    assert_eq!(read(kept.join(".env")), "TOKEN=kept\n");
    assert_eq!(read(foreign.join("notes.txt")), "mine\n");
}

#[tokio::test]
async fn twenty_sessions_started_at_once_leave_exactly_one_on_the_main_checkout() {
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let project = app.create_project("crowd").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let mut ids = Vec::new();
    for _ in 0..20 {
        let session = app.create_session(&project, "execute").await;
        ids.push(session["id"].as_str().unwrap().to_owned());
    }
    let mut ws = app.ws().await;
    let sends = ids.iter().map(|id| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/sessions/{id}/messages"),
                json!({"content": "say hello"}),
            )
            .await
        }
    });
    for (status, body) in futures::future::join_all(sends).await {
        assert_eq!(status, 202, "{body}");
    }
    for id in &ids {
        ws.done(id, Duration::from_secs(600)).await;
    }

    let mut on_main = 0;
    let mut worktrees = std::collections::HashSet::new();
    for id in &ids {
        let session = app.session(id).await;
        match session["worktree_path"].as_str() {
            None => on_main += 1,
            Some(path) => {
                assert!(Path::new(path).is_dir(), "{path}");
                worktrees.insert(path.to_owned());
            }
        }
    }
    assert_eq!(on_main, 1);
    assert_eq!(worktrees.len(), 19);
    let listed = std::fs::read_dir(main.join(".worktrees")).unwrap().count();
    assert_eq!(listed, 19);
}

/// Removes the containers of a docker-mode test even when it fails half-way.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        for session in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rm", "--force", &format!("agentyard-{session}")])
                .output();
        }
    }
}

#[tokio::test]
async fn git_status_run_by_the_agent_inside_a_container_works_on_its_worktree() {
    let script = Script::new().rule("say hello", [Reply::text("hello")]).rule(
        "run git status",
        [
            Reply::tool_use(
                "Bash",
                json!({
                    "command": "echo container > made-inside.txt && git status && git rev-parse --abbrev-ref HEAD",
                    "description": "Show the git status"
                }),
            ),
            Reply::text("That is the status."),
        ],
    );
    let model = model(script);
    let app = TestApp::spawn_with(Options {
        mode: "docker",
        model_url: Some(model.base_url()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("contained").await;
    let main = PathBuf::from(project["path"].as_str().unwrap());
    let holder = app.create_session(&project, "execute").await;
    let worker = app.create_session(&project, "execute").await;
    let _containers = Containers(
        [&holder, &worker]
            .iter()
            .map(|session| session["id"].as_str().unwrap().to_owned())
            .collect(),
    );

    turn(&app, &holder, "say hello").await;
    let worker = turn(&app, &worker, "run git status").await;
    let worktree = PathBuf::from(worker["worktree_path"].as_str().expect("a worktree"));
    let branch = format!("session/{}", id8(&worker));

    let reply = app
        .messages(worker["id"].as_str().unwrap())
        .await
        .pop()
        .unwrap();
    let result = reply["tool_use"][0]["result"].as_str().unwrap_or_default();
    assert!(
        result.contains(&format!("On branch {branch}")),
        "git status inside the container: {reply}"
    );
    assert!(result.contains("made-inside.txt"), "{result}");
    assert!(!result.contains("fatal"), "{result}");
    assert_eq!(read(worktree.join("made-inside.txt")), "container\n");
    assert!(!main.join("made-inside.txt").exists());

    // The work made inside the container survives the session's end on its branch.
    for session in [&holder, &worker] {
        let id = session["id"].as_str().unwrap();
        let (status, body) = app.delete(&format!("/api/sessions/{id}")).await;
        assert_eq!(status, 204, "{body}");
    }
    assert!(!worktree.exists());
    assert_eq!(
        git(&main, &["show", &format!("{branch}:made-inside.txt")]),
        "container\n"
    );
}
