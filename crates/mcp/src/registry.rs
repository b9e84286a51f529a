//! The per-session sockets: opened when a session spawns, closed when its container or process
//! is released, or the session is done or deleted.
//!
//! Each session gets its own listener on `<data dir>/sessions/<id>/run/mcp.sock`, next to a copy
//! of the bridge. Every connection accepted there is served by a [`SessionServer`] bound to that
//! session, so the socket a call arrives on is the caller's identity. Beside it, `model.sock` serves
//! the session's model-API proxy ([`crate::proxy`]). Nothing here listens on TCP.

use crate::proxy::{Account, MODEL_SOCKET_NAME, Upstream};
use crate::server::SessionServer;
use async_trait::async_trait;
use domain::SessionId;
use engine::{Engine, EngineError, SessionEndpoint, SessionEndpoints};
use rmcp::ServiceExt;
use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::UnixListener;
use tokio_util::sync::CancellationToken;

/// The socket's file name in a session's runtime directory.
pub const SOCKET_NAME: &str = "mcp.sock";
/// The bridge's file name, on this machine and in a session's runtime directory.
pub const BRIDGE_NAME: &str = "agentyard-bridge";
/// The longest path a unix socket address can hold (`sun_path` less its final NUL, on Linux).
const MAX_SOCKET_PATH: usize = 107;

/// Serves the `agentyard` MCP server of every spawned session on its own unix socket.
pub struct SocketRegistry {
    /// The bridge executable copied into each runtime directory.
    bridge: PathBuf,
    /// Cancelled when the platform stops: every listener and connection ends.
    shutdown: CancellationToken,
    /// The sessions being served. A tokio mutex, held across the bind, so two turns of one session
    /// starting together cannot both bind its socket.
    listening: tokio::sync::Mutex<HashMap<SessionId, Listening>>,
}

struct Listening {
    endpoint: SessionEndpoint,
    /// Ends this session's listener and its connections.
    stop: CancellationToken,
    /// The session's account with its model proxy (calls in flight, reservations).
    account: Arc<Account>,
}

impl SocketRegistry {
    /// `bridge` is the `agentyard-bridge` executable (see [`find_bridge`]).
    pub fn new(bridge: PathBuf, shutdown: CancellationToken) -> Self {
        Self {
            bridge,
            shutdown,
            listening: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// Sessions with an open socket, for tests and the log.
    pub async fn open_sessions(&self) -> Vec<SessionId> {
        self.listening.lock().await.keys().copied().collect()
    }
}

/// Finds the `agentyard-bridge` executable: `AGENTYARD_BRIDGE` when set, else next to the running
/// binary (where `cargo build` and `cargo install` put it), else one level up when the running
/// binary is a test in cargo's `deps/` directory.
pub fn find_bridge() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("AGENTYARD_BRIDGE") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "AGENTYARD_BRIDGE names {}, which is not a file; build the bridge with `cargo build --release --bin agentyard-bridge`",
                path.display()
            ))
        };
    }
    let exe = std::env::current_exe()
        .map_err(|error| format!("cannot find the running executable: {error}"))?;
    let dir = exe.parent().unwrap_or(Path::new("/"));
    let mut candidates = vec![dir.join(BRIDGE_NAME)];
    if dir.file_name().is_some_and(|name| name == "deps")
        && let Some(parent) = dir.parent()
    {
        candidates.push(parent.join(BRIDGE_NAME));
    }
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "{BRIDGE_NAME} is not next to {} (looked at {}); build it with `cargo build --release --bin agentyard-bridge`, or set AGENTYARD_BRIDGE to its path",
                exe.display(),
                candidates
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

#[async_trait]
impl SessionEndpoints for SocketRegistry {
    async fn open(
        &self,
        engine: &Engine,
        session: SessionId,
    ) -> Result<SessionEndpoint, EngineError> {
        let mut listening = self.listening.lock().await;
        if let Some(open) = listening.get(&session) {
            if open.endpoint.socket.exists() && !open.stop.is_cancelled() {
                // Each turn opens its endpoint: the turn's first model failure is reported anew.
                open.account.new_turn();
                return Ok(open.endpoint.clone());
            }
            open.stop.cancel();
        }
        let dir = engine.session_runtime_dir(session);
        let endpoint = SessionEndpoint {
            socket: dir.join(SOCKET_NAME),
            bridge: dir.join(BRIDGE_NAME),
            model_socket: Some(dir.join(MODEL_SOCKET_NAME)),
            dir,
        };
        let listener = prepare(&endpoint, &self.bridge)?;
        let model_socket = endpoint.model_socket.as_deref().unwrap_or(&endpoint.socket);
        let model_listener = bind(model_socket)?;
        let stop = self.shutdown.child_token();
        let account = Arc::new(Account::default());
        tokio::spawn(crate::proxy::serve(
            model_listener,
            engine.clone(),
            Upstream::new(engine.model_access()),
            account.clone(),
            session,
            stop.clone(),
        ));
        tokio::spawn(serve(
            listener,
            engine.clone(),
            session,
            endpoint.socket.clone(),
            stop.clone(),
            self.shutdown.clone(),
        ));
        tracing::debug!(%session, socket = %endpoint.socket.display(), "serving MCP");
        listening.insert(
            session,
            Listening {
                endpoint: endpoint.clone(),
                stop,
                account,
            },
        );
        Ok(endpoint)
    }

    async fn close(&self, session: SessionId) {
        let Some(open) = self.listening.lock().await.remove(&session) else {
            return;
        };
        open.stop.cancel();
        let sockets = std::iter::once(&open.endpoint.socket).chain(&open.endpoint.model_socket);
        for socket in sockets {
            match std::fs::remove_file(socket) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    tracing::warn!(%session, %error, socket = %socket.display(), "could not remove a session socket")
                }
            }
        }
        tracing::debug!(%session, "stopped serving MCP");
    }
}

/// Creates the runtime directory, refreshes the bridge in it and binds the socket.
fn prepare(endpoint: &SessionEndpoint, bridge: &Path) -> Result<UnixListener, EngineError> {
    let failed = |what: &str, path: &Path, error: std::io::Error| {
        EngineError::unexpected(format!("cannot {what} {}: {error}", path.display()))
    };
    let socket_length = std::iter::once(&endpoint.socket)
        .chain(&endpoint.model_socket)
        .map(|socket| socket.as_os_str().len())
        .max()
        .unwrap_or_default();
    if socket_length > MAX_SOCKET_PATH {
        return Err(EngineError::invalid(
            "data_dir_too_deep",
            format!(
                "the session socket paths in {} have up to {socket_length} bytes, more than the {MAX_SOCKET_PATH} a unix socket allows; set AGENTYARD_DATA_DIR to a shorter path",
                endpoint.dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(&endpoint.dir)
        .map_err(|error| failed("create", &endpoint.dir, error))?;
    std::fs::set_permissions(&endpoint.dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|error| failed("restrict", &endpoint.dir, error))?;
    refresh_bridge(bridge, &endpoint.bridge)?;
    bind(&endpoint.socket)
}

/// Binds a session socket afresh (a stale one is removed), readable by its owner only.
fn bind(socket: &Path) -> Result<UnixListener, EngineError> {
    let failed = |what: &str, error: std::io::Error| {
        EngineError::unexpected(format!("cannot {what} {}: {error}", socket.display()))
    };
    match std::fs::remove_file(socket) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(failed("remove the stale socket", error)),
    }
    let listener = UnixListener::bind(socket).map_err(|error| failed("listen on", error))?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .map_err(|error| failed("restrict", error))?;
    Ok(listener)
}

/// Copies the bridge into the runtime directory unless the same file is there. The copy is
/// written aside and renamed, because a running container may be executing the old one.
fn refresh_bridge(source: &Path, target: &Path) -> Result<(), EngineError> {
    let same = match (std::fs::read(source), std::fs::read(target)) {
        (Ok(source), Ok(target)) => source == target,
        (Err(error), _) => {
            return Err(EngineError::unexpected(format!(
                "cannot read the bridge {}: {error}",
                source.display()
            )));
        }
        (Ok(_), Err(_)) => false,
    };
    if same {
        return Ok(());
    }
    let aside = target.with_extension("new");
    std::fs::copy(source, &aside)
        .and_then(|_| std::fs::set_permissions(&aside, std::fs::Permissions::from_mode(0o755)))
        .and_then(|()| std::fs::rename(&aside, target))
        .map_err(|error| {
            EngineError::unexpected(format!(
                "cannot copy the bridge to {}: {error}",
                target.display()
            ))
        })
}

/// Accepts connections on one session's socket until the session is closed or the platform stops.
async fn serve(
    listener: UnixListener,
    engine: Engine,
    session: SessionId,
    socket: PathBuf,
    stop: CancellationToken,
    shutdown: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%session, %error, "the MCP socket failed; it opens again at the next turn");
                    break;
                }
            },
        };
        let server = SessionServer::new(engine.tools(session));
        let stop = stop.clone();
        tokio::spawn(async move {
            let connection = async {
                match server.serve(stream).await {
                    Ok(running) => {
                        let _ = running.waiting().await;
                    }
                    Err(error) => {
                        tracing::debug!(%session, %error, "an MCP client left before it initialized")
                    }
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                () = connection => {}
            }
        });
    }
    if shutdown.is_cancelled() {
        let _ = std::fs::remove_file(&socket);
    }
}
