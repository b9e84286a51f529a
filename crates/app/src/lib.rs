//! Wiring: configuration → store → runtime → engine → server, the webhook, and the token.
//!
//! `main.rs` is only the command line; everything here can be started in-process by tests
//! (`start` with port 0) exactly as the binary starts it.

pub mod config;
pub mod health;
mod token;
pub mod webhook;

use anyhow::Context;
use domain::{AgentMode, Config};
use engine::Engine;
use engine::runtime::{DockerRuntime, LocalRuntime, Runtime};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The platform's two listeners: its own (API, WebSocket, UI) and the previews' (an origin apart).
pub struct Listeners {
    pub api: TcpListener,
    pub preview: TcpListener,
}

impl Listeners {
    /// Both on loopback, each on a free port (what tests use).
    pub async fn loopback() -> std::io::Result<Self> {
        Ok(Self {
            api: TcpListener::bind("127.0.0.1:0").await?,
            preview: TcpListener::bind("127.0.0.1:0").await?,
        })
    }

    /// `AGENTYARD_BIND` and `AGENTYARD_PREVIEW_BIND`. Beyond loopback, either needs a configured
    /// token: anyone who can reach it could run agents, or see what they serve.
    async fn bind(config: &Config) -> anyhow::Result<Self> {
        for (variable, addr) in [
            ("AGENTYARD_BIND", config.bind),
            ("AGENTYARD_PREVIEW_BIND", config.preview_bind),
        ] {
            if !addr.ip().is_loopback() && config.token.is_none() {
                anyhow::bail!(
                    "refusing to listen on {addr} ({variable}) without a configured token: anyone who can reach it could run agents or see what they serve. \
                     Set AGENTYARD_TOKEN (at least 16 characters), or bind 127.0.0.1"
                );
            }
        }
        let api = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {} (AGENTYARD_BIND)", config.bind))?;
        let preview = TcpListener::bind(config.preview_bind)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {} (AGENTYARD_PREVIEW_BIND, where previews are served)",
                    config.preview_bind
                )
            })?;
        Ok(Self { api, preview })
    }
}

/// A platform that is up and serving.
pub struct Running {
    pub addr: SocketAddr,
    /// Where previews are served.
    pub preview_addr: SocketAddr,
    pub token: String,
    pub engine: Engine,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    previews: tokio::task::JoinHandle<std::io::Result<()>>,
    maintenance: tokio::task::JoinHandle<()>,
    webhook: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The preview origin, as reached on loopback.
    pub fn preview_base_url(&self) -> String {
        format!("http://{}", self.preview_addr)
    }

    pub fn login_url(&self) -> String {
        format!("{}/login?token={}", self.base_url(), self.token)
    }

    /// Stops accepting requests, lets open ones finish, and stops background tasks.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.server.await.context("the server task panicked")??;
        self.previews
            .await
            .context("the preview server task panicked")??;
        self.maintenance
            .await
            .context("the maintenance task panicked")?;
        if let Some(webhook) = self.webhook {
            webhook.await.context("the webhook task panicked")?;
        }
        Ok(())
    }

    /// Resolves when the server has stopped by itself or been stopped.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// The runtime for the configured mode. In docker mode the engine must answer and the default
/// image and network must be usable; otherwise this fails with what is wrong and how to fix it.
pub async fn runtime_for(config: &Config) -> anyhow::Result<Arc<dyn Runtime>> {
    match config.mode {
        AgentMode::Local => Ok(Arc::new(LocalRuntime::new())),
        AgentMode::Docker => {
            let report = health::check(config).await;
            if !report.ok() {
                anyhow::bail!("docker mode cannot start.\n{report}");
            }
            Ok(Arc::new(DockerRuntime::connect(config).await?))
        }
    }
}

/// Starts the platform on `config.bind` and `config.preview_bind`, or on `listeners` when given
/// (tests pass port 0).
pub async fn start(config: Config, listeners: Option<Listeners>) -> anyhow::Result<Running> {
    let listeners = match listeners {
        Some(listeners) => listeners,
        None => Listeners::bind(&config).await?,
    };
    let addr = listeners.api.local_addr()?;
    let preview_addr = listeners.preview.local_addr()?;
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create AGENTYARD_DATA_DIR {}",
            config.data_dir.display()
        )
    })?;
    std::fs::create_dir_all(&config.projects_root).with_context(|| {
        format!(
            "cannot create PROJECTS_ROOT {}",
            config.projects_root.display()
        )
    })?;
    let token = token::load_or_create(&config)?;
    let store = store::Store::open(&config.data_dir)
        .await
        .context("cannot open the database")?;
    let runtime = runtime_for(&config).await?;
    let engine = Engine::new(config, store, runtime)?;
    engine.reconcile_at_boot().await?;
    engine.remove_stale_credentials();
    let shutdown = CancellationToken::new();
    let webhook = match engine.config().webhook.clone() {
        Some(webhook) => Some(
            webhook::spawn(&engine, webhook, format!("http://{addr}"), shutdown.clone())
                .context("AGENTYARD_WEBHOOK_URL cannot be used")?,
        ),
        None => None,
    };
    serve_mcp(&engine, &shutdown);
    let maintenance = engine.spawn_maintenance(shutdown.clone());
    let state = server::AppState {
        engine: engine.clone(),
        token: token.clone().into(),
        preview_addr,
    };
    let stop = shutdown.clone();
    let server = tokio::spawn(server::serve(listeners.api, state.clone(), async move {
        stop.cancelled().await
    }));
    let stop = shutdown.clone();
    let previews = tokio::spawn(server::serve_previews(
        listeners.preview,
        state,
        async move { stop.cancelled().await },
    ));
    Ok(Running {
        addr,
        preview_addr,
        token,
        engine,
        shutdown,
        server,
        previews,
        maintenance,
        webhook,
    })
}

/// Gives the engine the per-session MCP sockets and model proxies, and says which model
/// credentials the proxy presents. Without the bridge, local-mode agents still run (without the
/// platform's tools, with the platform's model variables); docker-mode turns are refused, since
/// the only other way would put the platform's key in a container.
fn serve_mcp(engine: &Engine, shutdown: &CancellationToken) {
    match mcp::find_bridge() {
        Ok(bridge) => {
            tracing::info!(bridge = %bridge.display(), "agents get the platform's MCP tools and model proxy");
            engine.set_endpoints(Arc::new(mcp::SocketRegistry::new(bridge, shutdown.clone())));
        }
        Err(error) if engine.config().mode == AgentMode::Docker => {
            tracing::error!("docker-mode turns will be refused until the bridge is there: {error}")
        }
        Err(error) => tracing::warn!("agents run without the platform's MCP tools: {error}"),
    }
    let access = engine.model_access();
    match access.missing() {
        Some(error) => tracing::warn!(
            upstream = %access.upstream,
            "model credentials: none. {error}; {}",
            error.remediation().unwrap_or_default()
        ),
        None => tracing::info!(
            credentials = access.credentials.as_str(),
            upstream = %access.upstream,
            "model credentials: the proxy presents them upstream; agents hold a placeholder key"
        ),
    }
}
