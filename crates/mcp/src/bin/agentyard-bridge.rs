//! `agentyard-bridge [SOCKET]`: the stdio MCP server an agent starts; it pipes stdin and stdout to
//! the session's unix socket (the argument, else `AGENTYARD_MCP_SOCKET`, else `/run/agentyard/mcp.sock`).

use std::path::PathBuf;

fn main() {
    let socket = std::env::args_os()
        .nth(1)
        .or_else(|| std::env::var_os("AGENTYARD_MCP_SOCKET"))
        .map_or_else(|| PathBuf::from(mcp::bridge::DEFAULT_SOCKET), PathBuf::from);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("agentyard-bridge: cannot start: {error}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(mcp::bridge::pipe(
        &socket,
        tokio::io::stdin(),
        tokio::io::stdout(),
    ));
    // Exit at once: a read of stdin may still be pending on a blocking thread, and waiting for it
    // would keep the bridge alive after the platform has closed the connection.
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("agentyard-bridge: {error}");
            1
        }
    };
    std::process::exit(code)
}
