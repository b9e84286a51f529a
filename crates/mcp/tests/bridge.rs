//! The MCP server through the real `agentyard-bridge` binary, in local mode: a JSON-RPC client on
//! the bridge's stdio reaches the session's socket, and every answer is bound to that session.

mod support;

use domain::{Session, SessionId};
use engine::{Engine, SessionEndpoints};
use mcp::SocketRegistry;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use support::LocalPlatform;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio_util::sync::CancellationToken;

const ANSWER: Duration = Duration::from_secs(10);

struct Platform {
    engine: Engine,
    registry: Arc<SocketRegistry>,
    /// Keeps the engine's directories.
    local: LocalPlatform,
}

impl Platform {
    async fn start() -> Platform {
        let local = LocalPlatform::start(Vec::new(), None).await;
        let registry = Arc::new(SocketRegistry::new(
            PathBuf::from(env!("CARGO_BIN_EXE_agentyard-bridge")),
            CancellationToken::new(),
        ));
        local.engine.set_endpoints(registry.clone());
        Platform {
            engine: local.engine.clone(),
            registry,
            local,
        }
    }

    async fn session_in(&self, project: &str) -> Session {
        self.local.session_in(project, "caller").await
    }

    /// Opens the session's socket, starts a bridge to it and initializes, as an MCP client of the
    /// 2025 protocol would.
    async fn connect(&self, session: SessionId) -> Client {
        let mut client = self.bridge(session).await;
        let init = client
            .request(
                "initialize",
                json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}),
            )
            .await;
        assert_eq!(init["result"]["serverInfo"]["name"], "agentyard", "{init}");
        client
            .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        client
    }

    /// Opens the session's socket and starts a bridge to it, as the agent would.
    async fn bridge(&self, session: SessionId) -> Client {
        let endpoint = self.registry.open(&self.engine, session).await.unwrap();
        let mut attempts = 0;
        let mut child = loop {
            let spawned = Command::new(&endpoint.bridge)
                .arg(&endpoint.socket)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn();
            match spawned {
                // Another test's fork may briefly hold the fresh copy open for writing.
                Err(error)
                    if error.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 =>
                {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                spawned => break spawned.expect("the bridge starts"),
            }
        };
        Client {
            stdin: child.stdin.take().unwrap(),
            stdout: BufReader::new(child.stdout.take().unwrap()),
            child,
            next_id: 1,
        }
    }
}

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
}

impl Client {
    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.answer(json!(id)).await
    }

    /// Reads until the answer to the request `id`.
    async fn answer(&mut self, id: Value) -> Value {
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(ANSWER, self.stdout.read_line(&mut line))
                .await
                .expect("the server answers in time")
                .unwrap();
            assert!(read > 0, "the bridge closed before answering {id}");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Calls a tool; returns whether it failed and its text.
    async fn call(&mut self, tool: &str, arguments: Value) -> (bool, String) {
        let answer = self
            .request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await;
        let result = &answer["result"];
        let text = result["content"][0]["text"].as_str().unwrap_or_default();
        (result["isError"] == true, text.to_owned())
    }
}

#[tokio::test]
async fn every_tool_of_api_md_is_listed_with_its_parameters() {
    let platform = Platform::start().await;
    let session = platform.session_in("alpha").await;
    let mut client = platform.connect(session.id).await;
    let tools = client.request("tools/list", json!({})).await;
    let mut names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "create_agent_image",
            "delegate_task",
            "get_project_status",
            "list_agent_images",
            "list_projects",
            "read_project_file",
            "send_message"
        ]
    );
    let read = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "read_project_file")
        .unwrap();
    assert_eq!(
        read["inputSchema"]["required"],
        json!(["project_id", "path"])
    );
}

/// Claude Code 2.1.332 speaks MCP 2026-07-28: it opens with `server/discover` and then sends every
/// request with the protocol version and its identity in `_meta`, without `initialize`. These are
/// its first lines, as recorded on a bridge (rmcp 0.8 dropped the probe as an unparsable message).
#[tokio::test]
async fn a_client_of_the_2026_protocol_discovers_the_server_and_calls_tools_without_initialize() {
    let platform = Platform::start().await;
    let session = platform.session_in("alpha").await;
    let mut client = platform.bridge(session.id).await;
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "claude-code", "title": "Claude Code", "version": "2.1.332", "description": "Anthropic's agentic coding tool", "websiteUrl": "https://claude.com/claude-code"},
        "io.modelcontextprotocol/clientCapabilities": {"roots": {"listChanged": true}, "elicitation": {"form": {}, "url": {}}},
    });
    client
        .send(json!({"jsonrpc": "2.0", "id": "server-discover-probe-1", "method": "server/discover", "params": {"_meta": meta}}))
        .await;
    let discovered = client.answer(json!("server-discover-probe-1")).await;
    let result = &discovered["result"];
    assert!(
        result["supportedVersions"]
            .as_array()
            .is_some_and(|versions| versions.contains(&json!("2026-07-28"))),
        "{discovered}"
    );
    assert!(result["capabilities"]["tools"].is_object(), "{discovered}");
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "agentyard",
        "{discovered}"
    );

    let tools = client.request("tools/list", json!({"_meta": meta})).await;
    assert!(
        tools["result"]["tools"]
            .as_array()
            .is_some_and(|tools| tools.iter().any(|tool| tool["name"] == "list_projects")),
        "{tools}"
    );
    let mut params = json!({"name": "list_projects", "arguments": {}, "_meta": meta});
    params["_meta"]["claudecode/toolUseId"] = json!("toolu_scripted_000001");
    params["_meta"]["progressToken"] = json!(1);
    let listed = client.request("tools/call", params).await;
    assert_eq!(listed["result"]["isError"], false, "{listed}");
    let text = listed["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("alpha"), "{listed}");
}

#[tokio::test]
async fn read_project_file_reads_inside_the_project_and_refuses_every_way_out() {
    let platform = Platform::start().await;
    let session = platform.session_in("alpha").await;
    let project = platform.engine.project(session.project_id).await.unwrap();
    std::fs::write(project.path.join("notes.txt"), "inside\n").unwrap();
    let outside = project.path.parent().unwrap().join("secret.txt");
    std::fs::write(&outside, "outside\n").unwrap();
    std::os::unix::fs::symlink(&outside, project.path.join("link.txt")).unwrap();
    let id = project.id.to_string();
    let mut client = platform.connect(session.id).await;

    assert_eq!(
        client
            .call(
                "read_project_file",
                json!({"project_id": id, "path": "notes.txt"})
            )
            .await,
        (false, "inside\n".to_owned())
    );
    for (path, why) in [
        ("../secret.txt", "`..`"),
        ("/etc/passwd", "absolute"),
        ("link.txt", "outside"),
    ] {
        let (failed, text) = client
            .call("read_project_file", json!({"project_id": id, "path": path}))
            .await;
        assert!(failed, "{path} was read: {text}");
        assert!(text.contains(why), "{path}: {text}");
        assert!(!text.contains("outside\n"), "{text}");
    }
    let (failed, text) = client
        .call(
            "read_project_file",
            json!({"project_id": "nope", "path": "notes.txt"}),
        )
        .await;
    assert!(failed && text.contains("not a valid project_id"), "{text}");
}

#[tokio::test]
async fn the_socket_is_the_callers_identity_so_a_session_cannot_message_itself() {
    let platform = Platform::start().await;
    let caller = platform.session_in("alpha").await;
    let mut client = platform.connect(caller.id).await;
    let (failed, text) = client
        .call(
            "send_message",
            json!({"session_id": caller.id.to_string(), "content": "hello me"}),
        )
        .await;
    assert!(failed, "{text}");
    assert!(text.contains("cannot send a message to itself"), "{text}");
    assert!(
        platform
            .engine
            .messages(caller.id)
            .await
            .unwrap()
            .is_empty(),
        "a refused call changes nothing"
    );
}

#[tokio::test]
async fn list_projects_and_status_report_the_platform_and_errors_are_tool_errors() {
    let platform = Platform::start().await;
    let caller = platform.session_in("alpha").await;
    let mut client = platform.connect(caller.id).await;
    let (failed, text) = client.call("list_projects", json!({})).await;
    assert!(!failed, "{text}");
    let projects: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(projects[0]["name"], "alpha");
    let (failed, text) = client
        .call(
            "get_project_status",
            json!({"project_id": caller.project_id.to_string()}),
        )
        .await;
    assert!(!failed, "{text}");
    let status: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(status["sessions"][0]["id"], caller.id.to_string());
    assert_eq!(status["sessions"][0]["status"], "backlog");
    assert!(status["sessions"][0]["last_activity"].is_string());

    let (failed, text) = client
        .call(
            "delegate_task",
            json!({"project_id": caller.project_id.to_string(), "agent_name": "nobody", "title": "t", "instruction": "do it"}),
        )
        .await;
    assert!(failed && text.contains("the agents are:"), "{text}");
    assert_eq!(
        platform.engine.sessions(None).await.unwrap().len(),
        1,
        "a refused delegation creates no session"
    );
    // Local mode has no image engine: the list is empty, not an error.
    let (failed, text) = client.call("list_agent_images", json!({})).await;
    assert!(!failed && text.contains("[]"), "{text}");
}

#[tokio::test]
async fn closing_a_session_removes_its_socket_and_ends_its_bridges() {
    let platform = Platform::start().await;
    let session = platform.session_in("alpha").await;
    let mut client = platform.connect(session.id).await;
    let socket = platform
        .engine
        .session_runtime_dir(session.id)
        .join(mcp::SOCKET_NAME);
    assert!(socket.exists());
    platform.registry.close(session.id).await;
    assert!(!socket.exists(), "the socket is removed");
    assert!(platform.registry.open_sessions().await.is_empty());
    let exit = tokio::time::timeout(ANSWER, client.child.wait())
        .await
        .expect("the bridge ends when its session is closed")
        .unwrap();
    let mut stderr = String::new();
    client
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?} {stderr}");
}

/// Inodes of the sockets this process holds open.
fn own_socket_inodes() -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_link(entry.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .map(str::to_owned)
        })
        .collect()
}

/// Inodes of listening sockets in a `/proc/self/net/*` table, with the line that names each.
fn listening(
    table: &str,
    inode_column: usize,
    is_listening: impl Fn(&[&str]) -> bool,
) -> Vec<(String, String)> {
    std::fs::read_to_string(format!("/proc/self/net/{table}"))
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.len() > inode_column && is_listening(&fields))
                .then(|| (fields[inode_column].to_owned(), line.to_owned()))
        })
        .collect()
}

#[tokio::test]
async fn the_mcp_server_listens_on_unix_sockets_only() {
    let platform = Platform::start().await;
    let first = platform.session_in("alpha").await;
    let second = platform.session_in("beta").await;
    let mut clients = Vec::new();
    for session in [first.id, second.id] {
        let mut client = platform.connect(session).await;
        let (failed, text) = client.call("list_projects", json!({})).await;
        assert!(!failed, "{text}");
        clients.push(client);
    }
    let own = own_socket_inodes();
    // No test of this binary opens TCP, so any listening TCP socket of ours would be MCP's.
    for table in ["tcp", "tcp6"] {
        let tcp_listening: Vec<String> = listening(table, 9, |fields| fields[3] == "0A")
            .into_iter()
            .filter(|(inode, _)| own.contains(inode))
            .map(|(_, line)| line)
            .collect();
        assert!(tcp_listening.is_empty(), "{table}: {tcp_listening:#?}");
    }
    // The unix table: flags 00010000 is __SO_ACCEPTCON, a listening socket; the path is last.
    let unix_listening: Vec<String> = listening("unix", 6, |fields| fields[3] == "00010000")
        .into_iter()
        .filter(|(inode, _)| own.contains(inode))
        .map(|(_, line)| line)
        .collect();
    for session in [first.id, second.id] {
        let socket = platform
            .engine
            .session_runtime_dir(session)
            .join(mcp::SOCKET_NAME);
        assert!(
            unix_listening
                .iter()
                .any(|line| line.ends_with(&socket.display().to_string())),
            "{socket:?} not in {unix_listening:#?}"
        );
    }
}
