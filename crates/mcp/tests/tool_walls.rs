//! The walls of the platform's tools (issue 12), through `engine::Tools` as the MCP server calls
//! them: reach limited to the caller's project unless its agent has `all_projects`, acting tools
//! refused to explore sessions, delegation capped at the creator's mode and bounded in depth.
//! The same walls are attacked through the real CLI in a container by `agentyard`'s
//! `hostile::tools` suite.

mod support;

use domain::{Session, SessionMode};
use engine::{AgentInput, DelegateTask, EngineError, MAX_DELEGATION_DEPTH, SessionInput};
use support::LocalPlatform;

/// Two projects, `own` and `other`, with one session each (execute mode, the default agent).
async fn two_projects() -> (LocalPlatform, Session, Session) {
    let platform = LocalPlatform::start(Vec::new(), None).await;
    let caller = platform.session_in("own", "caller").await;
    let victim = platform.session_in("other", "victim").await;
    (platform, caller, victim)
}

fn task(session: &Session, mode: Option<&str>) -> DelegateTask {
    DelegateTask {
        project: session.project_id,
        agent_name: "Claude".to_owned(),
        title: "delegated".to_owned(),
        instruction: "do the work".to_owned(),
        mode: mode.map(str::to_owned),
    }
}

fn code(error: EngineError) -> &'static str {
    error.code()
}

async fn default_agent_name(platform: &LocalPlatform) -> String {
    platform.engine.agents().await.unwrap()[0].name.clone()
}

#[tokio::test]
async fn a_project_scoped_agent_reaches_only_its_sessions_project() {
    let (platform, caller, victim) = two_projects().await;
    let tools = platform.engine.tools(caller.id);
    let projects = tools.list_projects().await.unwrap();
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].id, caller.project_id);

    let refused = tools.project_status(victim.project_id).await.unwrap_err();
    assert_eq!(refused.code(), "outside_tool_scope");
    assert!(
        refused.to_string().contains("tool_scope `project`"),
        "{refused}"
    );
    let other = platform.engine.project(victim.project_id).await.unwrap();
    std::fs::write(other.path.join(".env"), "SECRET=other\n").unwrap();
    let refused = tools
        .read_project_file(victim.project_id, ".env")
        .await
        .unwrap_err();
    assert_eq!(code(refused), "outside_tool_scope");

    let refused = tools
        .send_message(victim.id, "from the neighbour")
        .await
        .unwrap_err();
    assert_eq!(code(refused), "outside_tool_scope");
    assert!(
        platform
            .engine
            .messages(victim.id)
            .await
            .unwrap()
            .is_empty()
    );

    let mut delegation = task(&victim, None);
    delegation.agent_name = default_agent_name(&platform).await;
    let refused = tools.delegate_task(delegation).await.unwrap_err();
    assert_eq!(code(refused), "outside_tool_scope");
    assert_eq!(
        platform
            .engine
            .sessions(Some(victim.project_id))
            .await
            .unwrap()
            .len(),
        1,
        "a refused delegation creates no session"
    );
}

#[tokio::test]
async fn an_agent_granted_all_projects_reaches_every_project() {
    let (platform, caller, victim) = two_projects().await;
    let roamer = platform
        .engine
        .create_agent(AgentInput {
            name: "roamer".to_owned(),
            tool_scope: Some("all_projects".to_owned()),
            ..AgentInput::default()
        })
        .await
        .unwrap();
    let session = platform
        .engine
        .create_session(SessionInput {
            project_id: caller.project_id,
            agent_id: Some(roamer.id),
            title: None,
            mode: None,
            docker_image: None,
        })
        .await
        .unwrap();
    let tools = platform.engine.tools(session.id);
    assert_eq!(tools.list_projects().await.unwrap().len(), 2);
    let status = tools.project_status(victim.project_id).await.unwrap();
    assert_eq!(status.sessions[0].session.id, victim.id);

    // A project-scoped session cannot hand work to the roamer, nor message its sessions.
    let scoped = platform.engine.tools(caller.id);
    let mut delegation = task(&caller, None);
    delegation.agent_name = "roamer".to_owned();
    let refused = scoped.delegate_task(delegation).await.unwrap_err();
    assert_eq!(code(refused), "scope_above_caller");
    let refused = scoped
        .send_message(session.id, "go wide")
        .await
        .unwrap_err();
    assert_eq!(code(refused), "scope_above_caller");
}

#[tokio::test]
async fn explore_sessions_may_only_read() {
    let (platform, caller, _) = two_projects().await;
    platform
        .engine
        .update_session(
            caller.id,
            engine::SessionChanges {
                mode: Some(SessionMode::Explore),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let peer = platform
        .engine
        .create_session(SessionInput {
            project_id: caller.project_id,
            agent_id: None,
            title: None,
            mode: Some(SessionMode::Explore),
            docker_image: None,
        })
        .await
        .unwrap();
    let tools = platform.engine.tools(caller.id);
    assert!(tools.list_projects().await.is_ok());
    let mut delegation = task(&caller, None);
    delegation.agent_name = default_agent_name(&platform).await;
    let refused = tools.delegate_task(delegation).await.unwrap_err();
    assert_eq!(code(refused), "read_only_session");
    let refused = tools.send_message(peer.id, "hello").await.unwrap_err();
    assert_eq!(code(refused), "read_only_session");
    let refused = tools
        .create_agent_image(engine::ImageBuildRequest {
            name: "mine".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(code(refused), "read_only_session");
    assert_eq!(platform.engine.sessions(None).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_delegated_session_gets_at_most_its_creators_mode_and_chains_stop_at_the_limit() {
    let (platform, caller, _) = two_projects().await;
    let agent = default_agent_name(&platform).await;
    platform
        .engine
        .update_session(
            caller.id,
            engine::SessionChanges {
                mode: Some(SessionMode::Ask),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut creator = caller.id;
    for depth in 1..=MAX_DELEGATION_DEPTH {
        let mut delegation = task(&caller, Some("execute"));
        delegation.agent_name = agent.clone();
        let delegated = platform
            .engine
            .tools(creator)
            .delegate_task(delegation)
            .await
            .unwrap();
        assert_eq!(delegated.session.mode, SessionMode::Ask, "capped");
        assert_eq!(delegated.capped_from, Some(SessionMode::Execute));
        let recorded = delegated.session.delegation.expect("recorded");
        assert_eq!(recorded.creator, Some(creator));
        assert_eq!(recorded.depth, depth);
        creator = delegated.session.id;
    }
    let before = platform.engine.sessions(None).await.unwrap().len();
    let mut delegation = task(&caller, Some("explore"));
    delegation.agent_name = agent.clone();
    let refused = platform
        .engine
        .tools(creator)
        .delegate_task(delegation)
        .await
        .unwrap_err();
    assert_eq!(code(refused), "delegation_too_deep");
    assert_eq!(platform.engine.sessions(None).await.unwrap().len(), before);

    // Messages never reach a session in a higher mode than the caller's.
    let execute = platform
        .engine
        .create_session(SessionInput {
            project_id: caller.project_id,
            agent_id: None,
            title: None,
            mode: Some(SessionMode::Execute),
            docker_image: None,
        })
        .await
        .unwrap();
    let refused = platform
        .engine
        .tools(caller.id)
        .send_message(execute.id, "run this for me")
        .await
        .unwrap_err();
    assert_eq!(code(refused), "mode_above_caller");
    assert!(
        platform
            .engine
            .messages(execute.id)
            .await
            .unwrap()
            .is_empty()
    );
}
