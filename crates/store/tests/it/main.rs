//! Integration tests of the store against a real SQLite file in a temporary directory,
//! one module per table or concern.

mod agents;
mod cascade;
mod messages;
mod open;
mod projects;
mod sessions;

use domain::{NewAgent, NewProject, NewSession, Project, Session, SessionMode};
use std::path::PathBuf;
use store::Store;
use tempfile::TempDir;

/// A store on a fresh database; the directory lives as long as the value.
pub struct TestStore {
    pub dir: TempDir,
    pub store: Store,
}

impl TestStore {
    pub async fn new() -> TestStore {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).await.expect("the store opens");
        TestStore { dir, store }
    }

    pub async fn project(&self, name: &str) -> Project {
        self.store
            .create_project(new_project(name))
            .await
            .expect("the project is created")
    }

    /// A session of `project` with the default agent.
    pub async fn session(&self, project: &Project) -> Session {
        let agent = self.store.default_agent().await.expect("a default agent");
        self.store
            .create_session(NewSession {
                project_id: project.id,
                agent_id: agent.id,
                title: "a session".into(),
                mode: SessionMode::Execute,
                docker_image: None,
            })
            .await
            .expect("the session is created")
    }
}

pub fn new_project(name: &str) -> NewProject {
    NewProject {
        name: name.into(),
        description: format!("the {name} project"),
        path: PathBuf::from("/projects").join(name),
        agent_image: None,
        setup_script: None,
        copy_files: Vec::new(),
        dev_script: None,
        dev_port: None,
    }
}

pub fn new_agent(name: &str) -> NewAgent {
    NewAgent {
        name: name.into(),
        system_prompt: format!("You are {name}."),
        model: Some("sonnet".into()),
        icon: None,
        docker_image: None,
        tool_scope: domain::ToolScope::Project,
        cli: domain::AgentCli::Claude,
    }
}

/// Lets the clock move on, so a later `updated_at` is strictly later.
pub async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
}
