//! The platform's MCP tools as agents reach them: the real `claude` CLI (inside a real container,
//! and as a local process) starts `agentyard-bridge`, which pipes to the session's unix socket.
//! The scripted model issues `mcp__agentyard__<tool>` calls; what the CLI sends back on the next
//! request is the tool's result as the agent saw it.

use crate::support::{Options, TestApp, model};
use scripted_model::{Reply, Script, ScriptedModel, ScriptedModelHandle};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

const TURN: Duration = Duration::from_secs(240);

/// A tool call of the conversation and the result the CLI sent back for it.
#[derive(Debug)]
pub struct Call {
    pub name: String,
    pub input: Value,
    pub result: String,
    pub is_error: bool,
}

/// Every tool call of the longest conversation the model received, in order, with its result.
pub fn calls(model: &ScriptedModelHandle, prompt: &str) -> Vec<Call> {
    let conversation = model
        .requests()
        .into_iter()
        .map(|request| request.body)
        .filter(|body| body.to_string().contains(prompt))
        .max_by_key(|body| body["messages"].as_array().map_or(0, Vec::len))
        .expect("the model received the prompt");
    let blocks: Vec<&Value> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|message| message["content"].as_array())
        .flatten()
        .collect();
    let results: HashMap<&str, &Value> = blocks
        .iter()
        .filter(|block| block["type"] == "tool_result")
        .map(|block| (block["tool_use_id"].as_str().unwrap(), *block))
        .collect();
    blocks
        .iter()
        .filter(|block| block["type"] == "tool_use")
        .map(|block| {
            let result = results.get(block["id"].as_str().unwrap());
            let content = result.map(|result| &result["content"]);
            let text = match content {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|part| part["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            };
            Call {
                name: block["name"].as_str().unwrap().to_owned(),
                input: block["input"].clone(),
                result: text,
                is_error: result.is_some_and(|result| result["is_error"] == true),
            }
        })
        .collect()
}

pub fn find<'a>(calls: &'a [Call], name: &str, input_has: &str) -> &'a Call {
    calls
        .iter()
        .find(|call| call.name == name && call.input.to_string().contains(input_has))
        .unwrap_or_else(|| panic!("no call of {name} with {input_has}: {calls:#?}"))
}

/// A loopback address nobody listens on yet, so the app can be configured with the model's URL
/// before the script (which needs the app's ids) exists.
pub fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Removes the containers of the test's projects however the test ends.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        for project in &self.0 {
            let listed = std::process::Command::new("docker")
                .args(["ps", "-aq", "--filter"])
                .arg(format!("label=agentyard.project={project}"))
                .output();
            let Ok(listed) = listed else { continue };
            for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
                let _ = std::process::Command::new("docker")
                    .args(["rm", "-f", id])
                    .output();
            }
        }
    }
}

#[tokio::test]
async fn every_tool_answers_through_the_bridge_inside_a_container_and_sees_only_its_own_socket() {
    let address = free_address();
    let app = TestApp::spawn_with(Options {
        mode: "docker",
        model_url: Some(format!("http://{address}")),
        ..Options::default()
    })
    .await;
    let caller_project = app.create_project("caller").await;
    let target = app.create_project("target").await;
    let _containers = Containers(vec![
        caller_project["id"].as_str().unwrap().to_owned(),
        target["id"].as_str().unwrap().to_owned(),
    ]);
    std::fs::write(app.root().join("target/notes.txt"), "the target's notes\n").unwrap();
    std::fs::write(app.root().join("secret.txt"), "outside every project\n").unwrap();
    let peer = app.create_session(&target, "execute").await;
    // The caller's agent is granted all projects: this test reaches into another project on
    // purpose (the walls of the default scope are attacked in `hostile::tools`).
    let (status, roamer) = app
        .post(
            "/api/agents",
            json!({"name": "roamer", "tool_scope": "all_projects"}),
        )
        .await;
    assert_eq!(status, 201, "{roamer}");
    assert_eq!(roamer["tool_scope"], "all_projects");
    let (status, caller) = app
        .post(
            "/api/sessions",
            json!({"project_id": caller_project["id"], "agent_id": roamer["id"], "title": "caller", "mode": "execute"}),
        )
        .await;
    assert_eq!(status, 201, "{caller}");
    let (target_id, peer_id, caller_id) = (
        target["id"].as_str().unwrap(),
        peer["id"].as_str().unwrap(),
        caller["id"].as_str().unwrap(),
    );
    let (_, agents) = app.get("/api/agents").await;
    let default_agent = agents
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["is_default"] == true)
        .unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let peer_socket = app
        .data_dir
        .path()
        .join(format!("sessions/{peer_id}/run/mcp.sock"));
    let tool = |name: &str, input: Value| Reply::tool_use(format!("mcp__agentyard__{name}"), input);
    let script = Script::new().rule(
        "use the platform tools",
        [
            tool("list_projects", json!({})),
            tool("get_project_status", json!({"project_id": target_id})),
            tool(
                "read_project_file",
                json!({"project_id": target_id, "path": "notes.txt"}),
            ),
            tool(
                "read_project_file",
                json!({"project_id": target_id, "path": "../secret.txt"}),
            ),
            tool(
                "delegate_task",
                json!({"project_id": target_id, "agent_name": default_agent, "title": "delegated work", "instruction": "a delegated instruction"}),
            ),
            tool(
                "send_message",
                json!({"session_id": peer_id, "content": "a note from a peer"}),
            ),
            tool("list_agent_images", json!({})),
            tool("create_agent_image", json!({"name": "extra", "apt_packages": ["jq; rm -rf /"]})),
            Reply::tool_use(
                "Bash",
                json!({"command": format!(
                    "ls -A /run/agentyard; touch /run/agentyard/probe 2>/dev/null && echo PROBE-WRITABLE || echo PROBE-READ-ONLY; test -e {} && echo PROBE-PEER-VISIBLE || echo PROBE-PEER-HIDDEN",
                    peer_socket.display()
                )}),
            ),
            Reply::text("all tools called"),
        ],
    );
    let model = ScriptedModel::bind(address, script).expect("the model binds its address");

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": caller_id, "content": "please use the platform tools"}))
        .await;
    let done = ws.done(caller_id, TURN).await;
    assert_eq!(done["interrupted"], false, "{done}");

    let calls = calls(&model, "use the platform tools");
    let projects = find(&calls, "mcp__agentyard__list_projects", "");
    assert!(!projects.is_error, "{projects:?}");
    assert!(
        projects.result.contains(target_id) && projects.result.contains("caller"),
        "{projects:?}"
    );

    let status = find(&calls, "mcp__agentyard__get_project_status", target_id);
    assert!(!status.is_error, "{status:?}");
    assert!(status.result.contains(peer_id), "{status:?}");

    let read = find(&calls, "mcp__agentyard__read_project_file", "notes.txt");
    assert!(!read.is_error, "{read:?}");
    assert!(read.result.contains("the target's notes"), "{read:?}");

    let escape = find(&calls, "mcp__agentyard__read_project_file", "../secret.txt");
    assert!(escape.is_error, "{escape:?}");
    assert!(escape.result.contains("`..`"), "{escape:?}");
    assert!(
        !escape.result.contains("outside every project"),
        "{escape:?}"
    );

    let delegated = find(&calls, "mcp__agentyard__delegate_task", "delegated work");
    assert!(!delegated.is_error, "{delegated:?}");
    let delegated: Value =
        serde_json::from_str(&delegated.result).expect("the new session as JSON");
    let delegated_id = delegated["id"].as_str().unwrap().to_owned();
    assert_eq!(delegated["project_id"], target_id);

    let sent = find(&calls, "mcp__agentyard__send_message", peer_id);
    assert!(!sent.is_error, "{sent:?}");

    let images = find(&calls, "mcp__agentyard__list_agent_images", "");
    assert!(!images.is_error, "{images:?}");
    assert!(images.result.contains("claude-agent-base"), "{images:?}");
    // A build request goes through the same parsing as the REST route: a hostile package is refused.
    let build = find(&calls, "mcp__agentyard__create_agent_image", "extra");
    assert!(build.is_error, "{build:?}");
    assert!(build.result.contains("jq; rm -rf /"), "{build:?}");

    // The container sees its own session's runtime directory, read-only, and no other socket.
    let listing = find(&calls, "Bash", "/run/agentyard");
    let entries: Vec<&str> = listing
        .result
        .lines()
        .filter(|line| !line.starts_with("PROBE-"))
        .collect();
    assert_eq!(
        entries,
        ["agentyard-bridge", "mcp.sock", "model.sock"],
        "{listing:?}"
    );
    assert!(listing.result.contains("PROBE-READ-ONLY"), "{listing:?}");
    assert!(listing.result.contains("PROBE-PEER-HIDDEN"), "{listing:?}");

    // The delegated session and the messaged peer really ran their turns.
    ws.done(&delegated_id, TURN).await;
    ws.done(peer_id, TURN).await;
    let delegated_messages = app.messages(&delegated_id).await;
    assert_eq!(delegated_messages[0]["content"], "a delegated instruction");
    let peer_messages = app.messages(peer_id).await;
    assert_eq!(peer_messages[0]["content"], "a note from a peer");

    // Ending a session removes its container and its socket.
    let caller_socket = app
        .data_dir
        .path()
        .join(format!("sessions/{caller_id}/run/mcp.sock"));
    assert!(caller_socket.exists());
    for session in [caller_id, peer_id, delegated_id.as_str()] {
        let (status, body) = app.delete(&format!("/api/sessions/{session}")).await;
        assert_eq!(status, 204, "{body}");
    }
    assert!(
        !caller_socket.exists(),
        "the socket is removed with the session"
    );
}

#[tokio::test]
async fn a_local_agent_reaches_the_platform_through_the_bridge() {
    let script = Script::new().rule(
        "which projects exist",
        [
            Reply::tool_use("mcp__agentyard__list_projects", json!({})),
            Reply::text("listed"),
        ],
    );
    let model = model(script);
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("local-tools").await;
    let session = app.create_session(&project, "explore").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "which projects exist?"}))
        .await;
    ws.done(id, TURN).await;

    let calls = calls(&model, "which projects exist");
    let listed = find(&calls, "mcp__agentyard__list_projects", "");
    assert!(!listed.is_error, "{listed:?}");
    assert!(listed.result.contains("local-tools"), "{listed:?}");
    // The engine records the call like any other tool use.
    let messages = app.messages(id).await;
    assert_eq!(
        messages[1]["tool_use"][0]["tool"],
        "mcp__agentyard__list_projects"
    );

    let socket = app
        .data_dir
        .path()
        .join(format!("sessions/{id}/run/mcp.sock"));
    assert!(socket.exists());
    let (status, _) = app
        .patch(
            &format!("/api/sessions/{id}/status"),
            json!({"status": "done"}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!socket.exists(), "a done session has no socket");
}

/// The platform's log, down to debug level for MCP and rmcp's transport, from the first test that
/// asks for it to the end of the test binary. It is the global subscriber: one scoped to the test's
/// thread misses events whose callsites a concurrent test's thread registered first.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    fn global() -> &'static LogCapture {
        static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
        CAPTURE.get_or_init(|| {
            let capture = LogCapture::default();
            let writer = capture.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_env_filter("warn,rmcp=debug,mcp=debug")
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other test sets a global subscriber");
            capture
        })
    }

    /// Where the log ends now.
    fn mark(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// The log from `mark` on.
    fn since(&self, mark: usize) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()[mark..]).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The CLI speaks the current MCP protocol: it opens with a `server/discover` request (MCP
/// 2026-07-28), which rmcp 0.8 could not parse and logged as `Error reading from stream: serde error
/// data did not match any variant of untagged enum JsonRpcMessage`. No such line, nor a message rmcp
/// refuses as an invalid request, may appear in a session that calls the platform's tools.
#[tokio::test]
async fn a_session_with_mcp_tool_calls_logs_no_protocol_error() {
    let capture = LogCapture::global();
    let mark = capture.mark();
    let script = Script::new().rule(
        "list the projects twice",
        [
            Reply::tool_use("mcp__agentyard__list_projects", json!({})),
            Reply::tool_use("mcp__agentyard__list_agent_images", json!({})),
            Reply::text("listed"),
        ],
    );
    let model = model(script);
    let app = TestApp::spawn_with(Options {
        model_url: Some(model.base_url()),
        ..Options::default()
    })
    .await;
    let project = app.create_project("quiet-protocol").await;
    let session = app.create_session(&project, "explore").await;
    let id = session["id"].as_str().unwrap();
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id, "content": "list the projects twice"}))
        .await;
    ws.done(id, TURN).await;

    let calls = calls(&model, "list the projects twice");
    let listed = find(&calls, "mcp__agentyard__list_projects", "");
    assert!(!listed.is_error, "{listed:?}");
    assert!(listed.result.contains("quiet-protocol"), "{listed:?}");
    let log = capture.since(mark);
    assert!(
        log.contains("rmcp::service") && log.contains("CallToolRequest"),
        "the capture sees rmcp serve the CLI's calls:\n{log}"
    );
    for protocol_error in [
        "Error reading from stream",
        "serde error",
        "did not match any variant",
        "Protocol error on incoming message",
        "Ignoring unparsable incoming message",
    ] {
        assert!(
            !log.contains(protocol_error),
            "the platform logged `{protocol_error}`:\n{log}"
        );
    }
}
