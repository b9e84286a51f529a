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
