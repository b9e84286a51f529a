//! A local-mode engine on temporary directories, shared by this crate's tests and its benchmark
//! example (which includes this file by path), so the platform they start is built one way.

use domain::{Config, Session};
use engine::{Engine, ProjectInput, SessionInput};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

/// An engine in local mode; its directories live as long as it does.
pub struct LocalPlatform {
    pub engine: Engine,
    _dirs: (TempDir, TempDir),
}

impl LocalPlatform {
    /// Starts an engine whose agents would receive `agent_env`, with an optional session budget.
    pub async fn start(agent_env: Vec<(String, String)>, budget: Option<f64>) -> LocalPlatform {
        Self::start_with_login(agent_env, budget, None).await
    }

    /// As [`LocalPlatform::start`], with `login` as the platform user's Claude login file.
    pub async fn start_with_login(
        agent_env: Vec<(String, String)>,
        budget: Option<f64>,
        login: Option<std::path::PathBuf>,
    ) -> LocalPlatform {
        Self::start_with(agent_env, budget, login, None).await
    }

    /// As [`LocalPlatform::start_with_login`], with the platform's OpenAI upstream and key
    /// (`OPENAI_BASE_URL`, `OPENAI_API_KEY`) for Codex sessions.
    pub async fn start_with(
        agent_env: Vec<(String, String)>,
        budget: Option<f64>,
        login: Option<std::path::PathBuf>,
        openai: Option<(String, Option<String>)>,
    ) -> LocalPlatform {
        let projects = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let config = Config {
            mode: domain::AgentMode::Local,
            default_image: domain::DEFAULT_IMAGE.to_owned(),
            memory_limit: "4g".parse().unwrap(),
            cpu_limit: "2".parse().unwrap(),
            pids_limit: 512,
            docker_access: domain::DockerAccess::None,
            runtime: None,
            network: domain::NetworkChoice::Host,
            user: domain::UserSpec {
                uid: 1000,
                gid: 1000,
            },
            idle_timeout: Duration::from_secs(300),
            agent_command: "claude".to_owned(),
            codex_command: "codex".to_owned(),
            session_budget_usd: budget,
            max_running: domain::DEFAULT_MAX_RUNNING,
            env_passthrough: Vec::new(),
            projects_root: projects.path().to_owned(),
            data_dir: data.path().to_owned(),
            bind: "127.0.0.1:0".parse().unwrap(),
            preview_bind: "127.0.0.1:0".parse().unwrap(),
            token: None,
            host_projects_dir: None,
            host_data_dir: None,
            agent_env,
            docker_host: None,
            claude_credentials: login,
            webhook: None,
            openai_api_key: openai.as_ref().and_then(|(_, key)| key.clone()),
            openai_base_url: openai.map(|(base_url, _)| base_url),
        };
        let store = store::Store::open(data.path()).await.unwrap();
        let engine = Engine::new(
            config,
            store,
            Arc::new(engine::runtime::LocalRuntime::new()),
        )
        .unwrap();
        LocalPlatform {
            engine,
            _dirs: (projects, data),
        }
    }

    /// A new project named `project` and a session in it titled `title`.
    pub async fn session_in(&self, project: &str, title: &str) -> Session {
        let project = self
            .engine
            .create_project(ProjectInput {
                name: project.to_owned(),
                ..ProjectInput::default()
            })
            .await
            .unwrap();
        self.engine
            .create_session(SessionInput {
                project_id: project.id,
                agent_id: None,
                title: Some(title.to_owned()),
                mode: None,
                docker_image: None,
            })
            .await
            .unwrap()
    }
}
