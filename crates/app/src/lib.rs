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

/// A platform that is up and serving.
pub struct Running {
    pub addr: SocketAddr,
    pub token: String,
    pub engine: Engine,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    maintenance: tokio::task::JoinHandle<()>,
    webhook: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn login_url(&self) -> String {
        format!("{}/login?token={}", self.base_url(), self.token)
    }

    /// Stops accepting requests, lets open ones finish, and stops background tasks.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.server.await.context("the server task panicked")??;
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

/// Starts the platform on `config.bind`, or on `listener` when given (tests pass port 0).
pub async fn start(config: Config, listener: Option<TcpListener>) -> anyhow::Result<Running> {
    let listener = match listener {
        Some(listener) => listener,
        None => {
            if !config.bind.ip().is_loopback() && config.token.is_none() {
                anyhow::bail!(
                    "refusing to listen on {} without a configured token: anyone who can reach it could run agents. \
                     Set AGENTYARD_TOKEN (at least 16 characters), or bind 127.0.0.1",
                    config.bind
                );
            }
            TcpListener::bind(config.bind)
                .await
                .with_context(|| format!("cannot listen on {} (AGENTYARD_BIND)", config.bind))?
        }
    };
    let addr = listener.local_addr()?;
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
    };
    let stop = shutdown.clone();
    let server = tokio::spawn(server::serve(listener, state, async move {
        stop.cancelled().await
    }));
    Ok(Running {
        addr,
        token,
        engine,
        shutdown,
        server,
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
