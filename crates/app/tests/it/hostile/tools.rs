//! Attacks: the platform's MCP tools. A hostile agent (the real `claude` in a real container,
//! driven by scripted tool calls) tries to reach another project through every tool, plants
//! symbolic links that lead out of its project, swaps a link while the platform reads it, tries to
//! replace another project's image, and tries to escalate through delegation. Each result is read
//! back from what the CLI sent the model, and the platform's state is checked through its API.

use crate::docker_support::{docker, docker_app};
use crate::mcp::{Call, calls, find, free_address};
use crate::support::{Options, TestApp, Ws};
use scripted_model::{Reply, Script, ScriptedModel};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

const TURN: Duration = Duration::from_secs(300);

/// How many times the race test reads the link while the container flips it.
const RACE_READS: usize = 16;

fn tool(name: &str, input: Value) -> Reply {
    Reply::tool_use(format!("mcp__agentyard__{name}"), input)
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

async fn default_agent(app: &TestApp) -> String {
    let (_, agents) = app.get("/api/agents").await;
    agents
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["is_default"] == true)
        .expect("a default agent")["name"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sessions_of(app: &TestApp, project: &str) -> Vec<Value> {
    let (_, sessions) = app
        .get(&format!("/api/sessions?project_id={project}"))
        .await;
    sessions.as_array().cloned().unwrap_or_default()
}

fn refused(call: &Call, why: &str, secrets: &[&str]) {
    assert!(call.is_error, "the call succeeded: {call:?}");
    assert!(call.result.contains(why), "{call:?}");
    for secret in secrets {
        assert!(!call.result.contains(secret), "{call:?}");
    }
}

/// Answers permission requests, of any session, with `allow` until `count` were answered;
/// returns the requests in the order they came.
async fn answer_permissions(ws: &mut Ws, count: usize, allow: bool) -> Vec<Value> {
    let mut answered: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    while answered.len() < count {
        let known = seen.clone();
        let request = ws
            .wait_for(TURN, move |event| {
                event["type"] == "chat:permission"
                    && !known.contains(event["requestId"].as_str().unwrap_or_default())
            })
            .await;
        seen.insert(request["requestId"].as_str().unwrap().to_owned());
        ws.send(json!({
            "type": "chat:permission",
            "sessionId": request["sessionId"],
            "requestId": request["requestId"],
            "allow": allow,
        }))
        .await;
        answered.push(request);
    }
    answered
}

#[tokio::test]
async fn a_project_scoped_agent_reaches_nothing_outside_its_project() {
    let address = free_address();
    let (app, _sweep) = docker_app(Some(format!("http://{address}")), Options::default()).await;
    let own = app.create_project("own").await;
    let other = app.create_project("other").await;
    let (own_id, other_id) = (id(&own), id(&other));
    std::fs::write(app.root().join("own/notes.txt"), "own notes\n").unwrap();
    std::fs::write(
        app.root().join("other/.env"),
        "OTHER_SECRET=s3cr3t-of-other\n",
    )
    .unwrap();
    let host_secret = app.data_dir.path().join("host-secret.txt");
    std::fs::write(&host_secret, "HOST-SECRET-MARKER\n").unwrap();
    let victim = app.create_session(&other, "execute").await;
    let attacker = app.create_session(&own, "execute").await;
    let (victim_id, attacker_id) = (id(&victim), id(&attacker));
    let agent = default_agent(&app).await;
    // An image of the agent family that this project did not build: a tag of the base image.
    let taken = format!("hostile-{}", &attacker_id[..8]);
    docker(&["tag", "claude-agent-base", &format!("claude-agent-{taken}")]);
    let _untag = Untag(format!("claude-agent-{taken}"));
    let base_id = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Id}}",
        "claude-agent-base",
    ]);

    // A link flipped, atomically and for a minute and a half, between a file of the project and
    // the other project's `.env`, by a process that outlives the Bash call; it counts its flips
    // (replacing the count atomically too, so the test never reads a half-written number).
    let flipper = "cd /workspace && setsid nohup sh -c 'n=0; end=$(($(date +%s)+90)); \
        while [ $(date +%s) -lt $end ]; do \
        ln -sfn notes.txt flip.new && mv -Tf flip.new flip; \
        ln -sfn ../other/.env flip.new && mv -Tf flip.new flip; \
        n=$((n+1)); echo $n > flips.new && mv -f flips.new flips; done' >/dev/null 2>&1 < /dev/null & sleep 1; echo started";
    let mut steps = vec![
        tool("list_projects", json!({})),
        tool("get_project_status", json!({"project_id": other_id})),
        tool(
            "read_project_file",
            json!({"project_id": other_id, "path": ".env"}),
        ),
        tool(
            "send_message",
            json!({"session_id": victim_id, "content": "a message from the attacker"}),
        ),
        tool(
            "delegate_task",
            json!({"project_id": other_id, "agent_name": agent, "title": "escape", "instruction": "escape through delegation"}),
        ),
        tool(
            "create_agent_image",
            json!({"name": taken, "apt_packages": ["jq"]}),
        ),
        tool(
            "create_agent_image",
            json!({"name": "base", "apt_packages": ["jq"]}),
        ),
        Reply::tool_use(
            "Bash",
            json!({"command": format!(
                "cd /workspace && ln -s ../other/.env link-other && ln -s {} link-host && mkfifo pipe && echo planted",
                host_secret.display()
            )}),
        ),
        tool(
            "read_project_file",
            json!({"project_id": own_id, "path": "link-other"}),
        ),
        tool(
            "read_project_file",
            json!({"project_id": own_id, "path": "link-host"}),
        ),
        tool(
            "read_project_file",
            json!({"project_id": own_id, "path": "pipe"}),
        ),
        Reply::tool_use("Bash", json!({"command": flipper})),
    ];
    for _ in 0..RACE_READS {
        steps.push(tool(
            "read_project_file",
            json!({"project_id": own_id, "path": "flip"}),
        ));
    }
    steps.push(Reply::text("the neighbours were visited"));
    let model = ScriptedModel::bind(address, Script::new().rule("visit the neighbours", steps))
        .expect("the model binds its address");

    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": attacker_id, "content": "please visit the neighbours"}))
        .await;
    ws.done(&attacker_id, TURN).await;
    let calls = calls(&model, "visit the neighbours");
    let secrets = ["s3cr3t-of-other", "HOST-SECRET-MARKER"];

    let listed = find(&calls, "mcp__agentyard__list_projects", "");
    assert!(!listed.is_error, "{listed:?}");
    assert!(listed.result.contains(&own_id), "{listed:?}");
    assert!(!listed.result.contains(&other_id), "{listed:?}");
    refused(
        find(&calls, "mcp__agentyard__get_project_status", &other_id),
        "is not this session's project",
        &[victim_id.as_str()],
    );
    refused(
        find(&calls, "mcp__agentyard__read_project_file", ".env"),
        "is not this session's project",
        &secrets,
    );
    refused(
        find(&calls, "mcp__agentyard__send_message", &victim_id),
        "not a session of a project this agent reaches",
        &[],
    );
    assert!(
        app.messages(&victim_id).await.is_empty(),
        "the other project's session got no message"
    );
    refused(
        find(&calls, "mcp__agentyard__delegate_task", "escape"),
        "is not this session's project",
        &[],
    );
    assert_eq!(
        sessions_of(&app, &other_id).await.len(),
        1,
        "no session was delegated"
    );
    refused(
        find(&calls, "mcp__agentyard__create_agent_image", &taken),
        "was not built by this session's project",
        &[],
    );
    refused(
        find(&calls, "mcp__agentyard__create_agent_image", "\"base\""),
        "base",
        &[],
    );
    assert_eq!(
        docker(&[
            "image",
            "inspect",
            "--format",
            "{{.Id}}",
            &format!("claude-agent-{taken}")
        ]),
        base_id,
        "the other image is untouched"
    );

    refused(
        find(&calls, "mcp__agentyard__read_project_file", "link-other"),
        "leads outside the project",
        &secrets,
    );
    refused(
        find(&calls, "mcp__agentyard__read_project_file", "link-host"),
        "leads outside the project",
        &secrets,
    );
    refused(
        find(&calls, "mcp__agentyard__read_project_file", "pipe"),
        "not a regular file",
        &secrets,
    );

    let flips: Vec<&Call> = calls
        .iter()
        .filter(|call| call.input.to_string().contains("\"flip\""))
        .collect();
    assert_eq!(flips.len(), RACE_READS, "{calls:#?}");
    for call in &flips {
        for secret in secrets {
            assert!(!call.result.contains(secret), "the race was won: {call:?}");
        }
        assert!(
            call.result.contains("own notes") || call.result.contains("leads outside the project"),
            "{call:?}"
        );
    }
    let flipped: u64 = std::fs::read_to_string(app.root().join("own/flips"))
        .expect("the flipper ran")
        .trim()
        .parse()
        .unwrap();
    assert!(flipped > 10, "the link was flipped only {flipped} times");
}

/// Removes an image tag however the test ends.
struct Untag(String);

impl Drop for Untag {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rmi", &self.0])
            .output();
    }
}

#[tokio::test]
async fn an_agent_granted_all_projects_reads_another_projects_status() {
    let address = free_address();
    let (app, _sweep) = docker_app(Some(format!("http://{address}")), Options::default()).await;
    let own = app.create_project("own").await;
    let other = app.create_project("other").await;
    let victim = app.create_session(&other, "execute").await;
    let (status, roamer) = app
        .post(
            "/api/agents",
            json!({"name": "roamer", "tool_scope": "everywhere"}),
        )
        .await;
    assert_eq!(status, 422, "{roamer}");
    assert!(
        roamer["error"]
            .as_str()
            .unwrap()
            .contains("project all_projects"),
        "{roamer}"
    );
    let (status, roamer) = app
        .post(
            "/api/agents",
            json!({"name": "roamer", "tool_scope": "all_projects"}),
        )
        .await;
    assert_eq!(status, 201, "{roamer}");
    let (status, session) = app
        .post(
            "/api/sessions",
            json!({"project_id": own["id"], "agent_id": roamer["id"], "title": "survey", "mode": "execute"}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let script = Script::new().rule(
        "survey the neighbours",
        [
            tool("get_project_status", json!({"project_id": id(&other)})),
            Reply::text("surveyed"),
        ],
    );
    let model = ScriptedModel::bind(address, script).expect("the model binds its address");
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id(&session), "content": "please survey the neighbours"}))
        .await;
    ws.done(&id(&session), TURN).await;
    let calls = calls(&model, "survey the neighbours");
    let status = find(&calls, "mcp__agentyard__get_project_status", &id(&other));
    assert!(!status.is_error, "{status:?}");
    assert!(status.result.contains(&id(&victim)), "{status:?}");
}

#[tokio::test]
async fn in_ask_mode_delegation_waits_for_the_user_and_a_denial_creates_nothing() {
    let address = free_address();
    let (app, _sweep) = docker_app(Some(format!("http://{address}")), Options::default()).await;
    let own = app.create_project("own").await;
    let asker = app.create_session(&own, "ask").await;
    let agent = default_agent(&app).await;
    let script = Script::new().rule(
        "hand this off",
        [
            tool("list_projects", json!({})),
            tool(
                "delegate_task",
                json!({"project_id": id(&own), "agent_name": agent, "title": "handed off", "instruction": "the handed-off work"}),
            ),
            Reply::text("handed off"),
        ],
    );
    let model = ScriptedModel::bind(address, script).expect("the model binds its address");
    let mut ws = app.ws().await;
    ws.send(
        json!({"type": "chat:send", "sessionId": id(&asker), "content": "please hand this off"}),
    )
    .await;
    let asked = answer_permissions(&mut ws, 1, false).await;
    assert_eq!(
        asked[0]["tool"], "mcp__agentyard__delegate_task",
        "{asked:?}"
    );
    assert_eq!(asked[0]["input"]["title"], "handed off");
    ws.done(&id(&asker), TURN).await;
    let permissions: Vec<&Value> = ws
        .of(&id(&asker))
        .into_iter()
        .filter(|event| event["type"] == "chat:permission")
        .collect();
    assert_eq!(
        permissions.len(),
        1,
        "the read-only tool ran without asking: {permissions:?}"
    );

    let calls = calls(&model, "hand this off");
    assert!(!find(&calls, "mcp__agentyard__list_projects", "").is_error);
    let denied = find(&calls, "mcp__agentyard__delegate_task", "handed off");
    assert!(denied.is_error, "{denied:?}");
    assert_eq!(
        sessions_of(&app, &id(&own)).await.len(),
        1,
        "no session was created"
    );
}

#[tokio::test]
async fn delegation_from_ask_mode_is_capped_at_ask_and_chains_stop_at_depth_three() {
    let address = free_address();
    let (app, _sweep) = docker_app(Some(format!("http://{address}")), Options::default()).await;
    let own = app.create_project("own").await;
    let root = app.create_session(&own, "ask").await;
    let agent = default_agent(&app).await;
    // Every session of the chain is told the same thing, so each delegates once more.
    let script = Script::new().rule(
        "pass it down",
        [
            tool(
                "delegate_task",
                json!({"project_id": id(&own), "agent_name": agent, "title": "link", "instruction": "please pass it down", "mode": "execute"}),
            ),
            Reply::text("passed"),
        ],
    );
    let _model = ScriptedModel::bind(address, script).expect("the model binds its address");
    let mut ws = app.ws().await;
    ws.send(json!({"type": "chat:send", "sessionId": id(&root), "content": "please pass it down"}))
        .await;
    // The root and three delegated sessions each ask; the user allows every time.
    let asked = answer_permissions(&mut ws, 4, true).await;
    let askers: Vec<String> = asked
        .iter()
        .map(|request| request["sessionId"].as_str().unwrap().to_owned())
        .collect();
    for asker in &askers {
        ws.done(asker, TURN).await;
    }
    let sessions = sessions_of(&app, &id(&own)).await;
    assert_eq!(sessions.len(), 4, "{sessions:#?}");
    for session in &sessions {
        assert_eq!(
            session["mode"], "ask",
            "capped at the creator's mode: {session}"
        );
    }
    let result = |session: &str| {
        let app = &app;
        let session = session.to_owned();
        async move {
            let messages = app.messages(&session).await;
            messages[1]["tool_use"][0]["result"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let first = result(&askers[0]).await;
    assert!(first.contains("mode_capped"), "{first}");
    assert!(first.contains("\"delegation_depth\": 1"), "{first}");
    let last = result(&askers[3]).await;
    assert!(last.contains("delegation chains stop at 3"), "{last}");
}
