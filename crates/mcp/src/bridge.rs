//! The bridge's work: join a stdio MCP client (the agent) to a session's unix socket.
//!
//! Bytes pass through unchanged in both directions; the bridge knows nothing of MCP. It ends when
//! the platform closes the connection, or when the agent closes its side and the platform has
//! answered everything.

use std::io;
use std::path::Path;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixStream;

/// The socket inside a container, where the bridge looks when it is given none.
pub const DEFAULT_SOCKET: &str = "/run/agentyard/mcp.sock";

/// Pipes `input` to the socket and the socket to `output` until the platform's side ends.
pub async fn pipe(
    socket: &Path,
    mut input: impl AsyncRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
) -> io::Result<()> {
    let stream = UnixStream::connect(socket).await.map_err(|error| {
        io::Error::new(
            error.kind(),
            format!(
                "cannot connect to the platform's MCP socket {}: {error}",
                socket.display()
            ),
        )
    })?;
    let (mut from_platform, mut to_platform) = stream.into_split();
    let upstream = async {
        tokio::io::copy(&mut input, &mut to_platform).await?;
        // The agent is done sending; the platform may still be answering.
        to_platform.shutdown().await?;
        std::future::pending::<io::Result<()>>().await
    };
    let downstream = async {
        tokio::io::copy(&mut from_platform, &mut output).await?;
        output.flush().await
    };
    let result = tokio::select! {
        result = upstream => result,
        result = downstream => result,
    };
    match result {
        // The other side went away (the session was closed, or the agent exited): a normal end.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// The first argument that puts the bridge in model-proxy mode.
pub const MODEL_PROXY_COMMAND: &str = "model-proxy";
/// The loopback address the model proxy listens on; port 0 lets the kernel pick a free one, so
/// local sessions on one machine never collide.
pub const MODEL_PROXY_LISTEN: &str = "127.0.0.1:0";

/// An agent argument with the model proxy's URL (`http://127.0.0.1:PORT`) in place of
/// [`engine::model_proxy::MODEL_PROXY_URL`]; an argument that is not UTF-8 is left as it is.
pub fn with_model_url(arg: &std::ffi::OsStr, base_url: &str) -> std::ffi::OsString {
    match arg.to_str() {
        Some(text) if text.contains(engine::model_proxy::MODEL_PROXY_URL) => text
            .replace(engine::model_proxy::MODEL_PROXY_URL, base_url)
            .into(),
        _ => arg.to_owned(),
    }
}

/// Forwards every connection accepted on `listener` (the agent's loopback port) to the session's
/// model socket, bytes unchanged both ways, until the listener fails.
pub async fn forward_model(listener: tokio::net::TcpListener, socket: &Path) -> io::Result<()> {
    loop {
        let (mut agent, _) = listener.accept().await?;
        // Each streamed event goes out as it comes: Nagle's algorithm would hold a small write
        // back until the agent acknowledges the one before.
        agent.set_nodelay(true)?;
        let socket = socket.to_path_buf();
        tokio::spawn(async move {
            match UnixStream::connect(&socket).await {
                Ok(mut platform) => {
                    let _ = tokio::io::copy_bidirectional(&mut agent, &mut platform).await;
                }
                Err(error) => eprintln!(
                    "agentyard-bridge: cannot connect to the platform's model socket {}: {error}",
                    socket.display()
                ),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_model_url_placeholder_is_replaced_inside_an_argument() {
        let arg = format!(
            "model_providers.agentyard={{base_url=\"{}\"}}",
            engine::model_proxy::codex_model_base_url()
        );
        assert_eq!(
            with_model_url(OsStr::new(&arg), "http://127.0.0.1:4242"),
            OsStr::new("model_providers.agentyard={base_url=\"http://127.0.0.1:4242/v1\"}")
        );
        assert_eq!(
            with_model_url(OsStr::new("--json"), "http://127.0.0.1:4242"),
            OsStr::new("--json")
        );
    }
}
