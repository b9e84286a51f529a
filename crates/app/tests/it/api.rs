//! Every REST route of the foundation, including bad input that must change nothing.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode) {
    assert_eq!(status, expected, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|text| !text.is_empty()),
        "no error text: {body}"
    );
    assert!(
        body["code"].as_str().is_some_and(|code| !code.is_empty()),
        "no code: {body}"
    );
}

#[tokio::test]
async fn health_is_open_and_reports_the_mode() {
    let app = TestApp::spawn().await;
    let response = reqwest::get(format!("{}/api/health", app.base_url))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let version = body["version"].as_str().expect("health names the version");
    assert_eq!(
        body,
        json!({"ok": true, "version": version, "mode": "local", "docker": null, "model": {
            "credentials": "api_key", "upstream": "https://api.anthropic.com", "problem": null
        }})
    );
}

#[tokio::test]
async fn health_carries_the_version_that_the_binary_prints() {
    let app = TestApp::spawn().await;
    let (_, body) = app.get("/api/health").await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_agentyard"))
        .arg("--version")
        .output()
        .expect("run agentyard --version");
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        printed.trim(),
        format!("agentyard {}", body["version"].as_str().unwrap())
    );
}

#[tokio::test]
async fn a_project_is_created_as_a_git_repository_and_listed() {
    let app = TestApp::spawn().await;
    let project = app.create_project("My Shop").await;
    let path = app.root().join("my-shop");
    assert_eq!(project["path"], path.display().to_string());
    assert_eq!(project["name"], "My Shop");
    assert!(path.join(".git").is_dir());
    let head = std::process::Command::new("git")
        .arg("-C")
        .arg(&path)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    assert!(
        head.status.success(),
        "the new repository has an initial commit"
    );

    let (status, list) = app.get("/api/projects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, shown) = app
        .get(&format!(
            "/api/projects/{}",
            project["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, project);
}

#[tokio::test]
async fn relative_and_absolute_paths_inside_the_root_are_accepted() {
    let app = TestApp::spawn().await;
    let (status, relative) = app
        .post("/api/projects", json!({"name": "a", "path": "team/a"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{relative}");
    assert_eq!(
        relative["path"],
        app.root().join("team/a").display().to_string()
    );
    let absolute = app.root().join("b");
    let (status, body) = app
        .post("/api/projects", json!({"name": "b", "path": absolute}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn an_existing_repository_is_adopted_untouched() {
    let app = TestApp::spawn().await;
    let path = app.root().join("existing");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("README"), "mine").unwrap();
    let (status, body) = app
        .post(
            "/api/projects",
            json!({"name": "existing", "path": "existing"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        std::fs::read_to_string(path.join("README")).unwrap(),
        "mine"
    );
}

#[tokio::test]
async fn escaping_project_paths_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), app.projects_root.path().join("link-out")).unwrap();
    let before = app.project_dirs();
    for path in [
        "../escape".to_owned(),
        "a/../../escape".to_owned(),
        outside.path().join("abs").display().to_string(),
        "/etc".to_owned(),
        "link-out".to_owned(),
        "link-out/deeper".to_owned(),
    ] {
        let (status, body) = app
            .post("/api/projects", json!({"name": "x", "path": path}))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("PROJECTS_ROOT"),
            "{body}"
        );
    }
    assert_eq!(app.project_dirs(), before);
    assert!(
        std::fs::read_dir(outside.path()).unwrap().next().is_none(),
        "nothing was created outside"
    );
    assert_eq!(app.get("/api/projects").await.1, json!([]));
}

#[tokio::test]
async fn bad_project_bodies_get_clear_errors_and_change_nothing() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post_raw("/api/projects", "{\"name\": ").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.post("/api/projects", json!({"name": 42})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app.post("/api/projects", json!({"name": "   "})).await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .post("/api/projects", json!({"name": "x", "colour": "red"}))
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get("/api/projects").await.1, json!([]));
    assert!(app.project_dirs().is_empty());
}

#[tokio::test]
async fn a_second_project_on_the_same_path_conflicts() {
    let app = TestApp::spawn().await;
    app.create_project("twin").await;
    let (status, body) = app.post("/api/projects", json!({"name": "Twin"})).await;
    assert_error(status, &body, StatusCode::CONFLICT);
}

#[tokio::test]
async fn projects_update_and_delete_without_touching_the_directory() {
    let app = TestApp::spawn().await;
    let project = app.create_project("keep").await;
    let id = project["id"].as_str().unwrap();
    let (status, updated) = app
        .put(
            &format!("/api/projects/{id}"),
            json!({"description": "kept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["description"], "kept");
    assert_eq!(updated["name"], "keep");
    let (status, _) = app.delete(&format!("/api/projects/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(app.root().join("keep/.git").is_dir(), "the directory stays");
    let (status, body) = app.get(&format!("/api/projects/{id}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_404_and_400() {
    let app = TestApp::spawn().await;
    let unknown = "0b9c7c1e-7a43-4c55-9a39-2f1a3c2e1d00";
    for route in ["projects", "agents", "sessions"] {
        let (status, body) = app.get(&format!("/api/{route}/{unknown}")).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
        let (status, body) = app.get(&format!("/api/{route}/not-an-id")).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        let (status, body) = app.delete(&format!("/api/{route}/{unknown}")).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
    }
    let (status, body) = app.get("/api/nothing-here").await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_default_agent_exists_and_agents_have_crud() {
    let app = TestApp::spawn().await;
    let (_, agents) = app.get("/api/agents").await;
    let agents = agents.as_array().unwrap().clone();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[0]["is_default"], true);

    let (status, agent) = app
        .post("/api/agents", json!({"name": "Reviewer", "system_prompt": "Review.", "model": "claude-x", "icon": "🔍"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    assert_eq!(agent["is_default"], false);
    assert_eq!(agent["docker_image"], Value::Null);
    let id = agent["id"].as_str().unwrap();
    let (status, updated) = app
        .put(
            &format!("/api/agents/{id}"),
            json!({"model": null, "name": "Critic"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["model"], Value::Null);
    assert_eq!(updated["name"], "Critic");
    assert_eq!(updated["system_prompt"], "Review.");

    let (status, body) = app.post("/api/agents", json!({"name": "critic"})).await;
    assert_error(status, &body, StatusCode::CONFLICT);
    let (status, body) = app
        .post(
            "/api/agents",
            json!({"name": "Bad", "docker_image": "--privileged"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .delete(&format!(
            "/api/agents/{}",
            agents[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT);

    let (status, _) = app.delete(&format!("/api/agents/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/agents").await.1.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_agent_chooses_its_cli_and_an_unknown_cli_is_refused_naming_the_accepted_ones() {
    let app = TestApp::spawn().await;
    let (_, agents) = app.get("/api/agents").await;
    assert_eq!(agents[0]["cli"], "claude");
    let (status, coder) = app
        .post("/api/agents", json!({"name": "Coder", "cli": "codex"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{coder}");
    assert_eq!(coder["cli"], "codex");
    let id = coder["id"].as_str().unwrap();
    let (status, switched) = app
        .put(&format!("/api/agents/{id}"), json!({"cli": "claude"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{switched}");
    assert_eq!(switched["cli"], "claude");
    for body in [
        json!({"name": "Gem", "cli": "gemini"}),
        json!({"name": "Gem", "cli": ""}),
    ] {
        let (status, error) = app.post("/api/agents", body).await;
        assert_error(status, &error, StatusCode::UNPROCESSABLE_ENTITY);
        let message = error.to_string();
        assert!(
            message.contains("claude") && message.contains("codex"),
            "{message}"
        );
    }
    let (status, error) = app
        .put(&format!("/api/agents/{id}"), json!({"cli": "gemini"}))
        .await;
    assert_error(status, &error, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&format!("/api/agents/{id}")).await.1["cli"],
        "claude"
    );
    assert_eq!(app.get("/api/agents").await.1.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn sessions_have_crud_status_and_messages() {
    let app = TestApp::spawn().await;
    let project = app.create_project("board").await;
    let (status, session) = app
        .post("/api/sessions", json!({"project_id": project["id"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(session["status"], "backlog");
    assert_eq!(session["mode"], "execute");
    assert_eq!(session["run_state"], "idle");
    assert_eq!(session["worktree_path"], Value::Null);
    let id = session["id"].as_str().unwrap();

    let (status, listed) = app
        .get(&format!(
            "/api/sessions?project_id={}",
            project["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let (status, updated) = app
        .put(
            &format!("/api/sessions/{id}"),
            json!({"title": "Fix login", "mode": "explore"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["title"], "Fix login");
    assert_eq!(updated["mode"], "explore");

    let (status, moved) = app
        .patch(
            &format!("/api/sessions/{id}/status"),
            json!({"status": "review"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["status"], "review");

    let (status, messages) = app.get(&format!("/api/sessions/{id}/messages")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(messages, json!([]));

    let (status, _) = app.delete(&format!("/api/sessions/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/sessions").await.1, json!([]));
}

#[tokio::test]
async fn bad_session_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let project = app.create_project("strict").await;
    let session = app.create_session(&project, "execute").await;
    let id = session["id"].as_str().unwrap();

    let (status, body) = app
        .patch(
            &format!("/api/sessions/{id}/status"),
            json!({"status": "finished"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"].as_str().unwrap().contains("backlog"),
        "lists the accepted values: {body}"
    );
    let (status, body) = app
        .patch(&format!("/api/sessions/{id}/status"), json!({"status": 3}))
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .put(&format!("/api/sessions/{id}"), json!({"mode": "yolo"}))
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = app
        .post(
            "/api/sessions",
            json!({"project_id": "0b9c7c1e-7a43-4c55-9a39-2f1a3c2e1d00"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post("/api/sessions", json!({"project_id": "nope"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app.post_raw("/api/sessions", "[").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .post(
            &format!("/api/sessions/{id}/messages"),
            json!({"content": "  "}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(app.session(id).await, session, "the session is unchanged");
    assert_eq!(
        app.get("/api/sessions").await.1.as_array().unwrap().len(),
        1
    );
    assert!(app.messages(id).await.is_empty());
}

#[tokio::test]
async fn the_ui_is_served_at_the_root_and_for_client_side_routes() {
    let app = TestApp::spawn().await;
    for path in ["/", "/projects/some-id", "/sessions/abc"] {
        let response = reqwest::get(format!("{}{path}", app.base_url))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("<title>Agentyard</title>"),
            "{path}"
        );
    }
}
