//! Sessions ready to work: the project's setup script runs in the session's container (or work
//! path, in local mode) before the first turn, a failed one refuses turns until the user retries
//! or goes on without it, and the ignored files a project names are copied into new worktrees,
//! never through a link that leads out of the project.

use crate::docker_support::docker_app;
use crate::support::{Options, TestApp, model, read};
use crate::turn_scenarios::TURN;
use crate::worktrees::{git, local_app, turn};
use reqwest::StatusCode;
use scripted_model::{Reply, Script};
use serde_json::{Value, json};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

fn script() -> Script {
    Script::new()
        .rule("say hello", [Reply::text("hello")])
        .rule(
            "show ready",
            [
                Reply::tool_use(
                    "Bash",
                    json!({"command": "cat ready.txt", "description": "Show ready.txt"}),
                ),
                Reply::text("That is ready.txt."),
            ],
        )
}

async fn project_with_setup(app: &TestApp, name: &str, setup_script: &str) -> Value {
    let (status, project) = app
        .post(
            "/api/projects",
            json!({"name": name, "setup_script": setup_script}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["setup_script"], setup_script);
    project
}

async fn setup_of(app: &TestApp, session: &Value) -> Value {
    let id = session["id"].as_str().unwrap();
    let (status, setup) = app.get(&format!("/api/sessions/{id}/setup")).await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    setup
}

/// Sends a message and returns the `chat:error` its turn ends with.
async fn refused_turn(app: &TestApp, session: &Value, content: &str) -> Value {
    let id = session["id"].as_str().unwrap().to_owned();
    let mut ws = app.ws().await;
    let (status, body) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": content}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    ws.wait_for(TURN, move |event| {
        (event["type"] == "chat:error" || event["type"] == "chat:done")
            && event["sessionId"] == id.as_str()
    })
    .await
}

async fn setup_action(app: &TestApp, session: &Value, action: &str) -> (StatusCode, Value) {
    let id = session["id"].as_str().unwrap();
    app.post(
        &format!("/api/sessions/{id}/setup"),
        json!({"action": action}),
    )
    .await
}

#[tokio::test]
async fn a_docker_setup_script_runs_as_the_agent_before_the_first_turn_which_sees_its_work() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = project_with_setup(
        &app,
        "prepared",
        "echo preparing\necho setup-marker-7f3 > ready.txt\necho 'to stderr' >&2\nid -u",
    )
    .await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;

    turn(&app, &session, "show ready").await;

    let setup = setup_of(&app, &session).await;
    assert_eq!(setup["state"], "succeeded", "{setup}");
    assert_eq!(setup["exit_code"], 0);
    let output = setup["output"].as_str().unwrap();
    assert!(
        output.contains("preparing") && output.contains("to stderr"),
        "{output}"
    );
    assert!(
        output.contains("1000"),
        "the script ran as the agent user: {output}"
    );
    let file = PathBuf::from(project["path"].as_str().unwrap()).join("ready.txt");
    assert_eq!(read(&file), "setup-marker-7f3\n");
    assert_eq!(std::fs::metadata(&file).unwrap().uid(), 1000);
    ws.wait_for(TURN, |event| {
        event["type"] == "setup:state" && event["setup"]["state"] == "succeeded"
    })
    .await;
    let streamed: String = ws
        .of(id)
        .iter()
        .filter(|event| event["type"] == "setup:output")
        .map(|event| event["content"].as_str().unwrap().to_owned())
        .collect();
    assert!(streamed.contains("preparing"), "{:#?}", ws.of(id));
    let saw_file = model.requests().iter().any(|request| {
        let body = request.body.to_string();
        body.contains("tool_result") && body.contains("setup-marker-7f3")
    });
    assert!(
        saw_file,
        "the first turn's agent read the file the setup script wrote"
    );

    turn(&app, &session, "say hello").await;
    let again = setup_of(&app, &session).await;
    assert_eq!(
        again["updated_at"], setup["updated_at"],
        "the script ran once"
    );
}

#[tokio::test]
async fn a_failed_docker_setup_refuses_turns_until_it_is_retried_or_skipped() {
    let model = model(script());
    let (app, _sweep) = docker_app(Some(model.base_url()), Options::default()).await;
    let project = project_with_setup(&app, "broken", "echo missing dependency\nexit 3").await;
    let project_id = project["id"].as_str().unwrap();
    let first = app.create_session(&project, "execute").await;

    let error = refused_turn(&app, &first, "say hello").await;
    assert_eq!(error["code"], "setup_failed", "{error}");
    assert!(
        error["remediation"].as_str().unwrap().contains("retry"),
        "{error}"
    );
    let setup = setup_of(&app, &first).await;
    assert_eq!(setup["state"], "failed");
    assert_eq!(setup["exit_code"], 3);
    assert!(
        setup["output"]
            .as_str()
            .unwrap()
            .contains("missing dependency")
    );
    let again = refused_turn(&app, &first, "say hello").await;
    assert_eq!(
        again["code"], "setup_failed",
        "still refused without a decision"
    );

    let (status, fixed) = app
        .put(
            &format!("/api/projects/{project_id}"),
            json!({"setup_script": "echo fixed > fixed.txt"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fixed}");
    let (status, retried) = setup_action(&app, &first, "retry").await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["state"], "pending");
    turn(&app, &first, "say hello").await;
    assert_eq!(setup_of(&app, &first).await["state"], "succeeded");
    let main = PathBuf::from(project["path"].as_str().unwrap());
    assert_eq!(read(main.join("fixed.txt")), "fixed\n");

    app.put(
        &format!("/api/projects/{project_id}"),
        json!({"setup_script": "exit 1"}),
    )
    .await;
    let second = app.create_session(&project, "execute").await;
    let error = refused_turn(&app, &second, "say hello").await;
    assert_eq!(error["code"], "setup_failed", "{error}");
    let (status, skipped) = setup_action(&app, &second, "skip").await;
    assert_eq!(status, StatusCode::OK, "{skipped}");
    assert_eq!(skipped["state"], "skipped");
    turn(&app, &second, "say hello").await;

    let (status, body) = setup_action(&app, &second, "skip").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = setup_action(&app, &second, "again").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn named_ignored_files_reach_a_new_worktree_before_its_local_setup_and_links_out_are_refused()
{
    let model = model(script());
    let app = local_app(model.base_url()).await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("host-secret"), "HOST ONLY").unwrap();
    let (status, project) = app
        .post(
            "/api/projects",
            json!({
                "name": "included",
                "setup_script": "ls -a > setup-saw.txt\necho local setup ran",
                "copy_files": [".env", "secrets/"],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    assert_eq!(project["copy_files"], json!([".env", "secrets/"]));
    let main = PathBuf::from(project["path"].as_str().unwrap());
    std::fs::write(
        main.join(".gitignore"),
        ".env*\n*.local\nsecrets/\nbuild/\n",
    )
    .unwrap();
    std::fs::write(main.join(".worktreeinclude"), "# local settings\n*.local\n").unwrap();
    git(&main, &["add", ".gitignore", ".worktreeinclude"]);
    git(
        &main,
        &[
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "commit",
            "--quiet",
            "-m",
            "ignore local files",
        ],
    );
    std::os::unix::fs::symlink(outside.path().join("host-secret"), main.join(".env")).unwrap();
    std::fs::write(main.join("app.local"), "LOCAL=1\n").unwrap();
    std::fs::create_dir_all(main.join("secrets")).unwrap();
    std::fs::write(main.join("secrets/key.txt"), "key\n").unwrap();
    std::fs::create_dir_all(main.join("build")).unwrap();
    std::fs::write(main.join("build/out.txt"), "output\n").unwrap();

    let holder = app.create_session(&project, "execute").await;
    turn(&app, &holder, "say hello").await;
    assert_eq!(setup_of(&app, &holder).await["state"], "succeeded");
    let worker = app.create_session(&project, "execute").await;
    let worker = turn(&app, &worker, "say hello").await;

    let tree = PathBuf::from(worker["worktree_path"].as_str().expect("a worktree"));
    assert_eq!(read(tree.join("app.local")), "LOCAL=1\n");
    assert_eq!(read(tree.join("secrets/key.txt")), "key\n");
    assert!(
        !tree.join("build").exists(),
        "an ignored file nobody named was copied"
    );
    assert!(
        tree.join(".env").symlink_metadata().is_err(),
        "the link out of the project was followed or copied"
    );
    let saw = read(tree.join("setup-saw.txt"));
    assert!(
        saw.contains("app.local"),
        "the setup ran after the copy: {saw}"
    );
    let setup = setup_of(&app, &worker).await;
    assert_eq!(setup["state"], "succeeded", "{setup}");
    assert!(
        setup["output"]
            .as_str()
            .unwrap()
            .contains("local setup ran")
    );
    let mut copied: Vec<&str> = setup["copied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| path.as_str().unwrap())
        .collect();
    copied.sort();
    assert_eq!(copied, vec!["app.local", "secrets/key.txt"]);
    let refused = &setup["refused"][0];
    assert_eq!(refused["path"], ".env", "{setup}");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("outside the project"),
        "{setup}"
    );
    assert!(
        !setup.to_string().contains("HOST ONLY"),
        "the host file was read"
    );
}

#[tokio::test]
async fn bad_setup_fields_are_refused_with_what_is_accepted_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/projects",
            json!({"name": "escape", "copy_files": ["../../etc/passwd"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_copy_files");
    assert!(
        body["error"].as_str().unwrap().contains("copy_files"),
        "{body}"
    );
    assert!(
        app.project_dirs().is_empty(),
        "a refused project left a directory"
    );

    let project = app.create_project("kept").await;
    let id = project["id"].as_str().unwrap();
    let huge = "x".repeat(domain::MAX_SETUP_SCRIPT_BYTES + 1);
    let (status, body) = app
        .put(
            &format!("/api/projects/{id}"),
            json!({"setup_script": huge}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_setup_script");
    let (status, body) = app
        .put(
            &format!("/api/projects/{id}"),
            json!({"copy_files": ["/etc/shadow"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, unchanged) = app.get(&format!("/api/projects/{id}")).await;
    assert_eq!(unchanged["copy_files"], json!([]));
    assert_eq!(unchanged["setup_script"], Value::Null);
}
