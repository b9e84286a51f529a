//! `agentyard-bridge [SOCKET]`: the stdio MCP server an agent starts; it pipes stdin and stdout to
//! the session's unix socket (the argument, else `AGENTYARD_MCP_SOCKET`, else `/run/agentyard/mcp.sock`).
//!
//! `agentyard-bridge model-proxy SOCKET -- PROGRAM ARGS...`: listens on a free loopback port,
//! forwards each connection to the session's model socket, and runs PROGRAM (the agent) with
//! `ANTHROPIC_BASE_URL` (and `OPENAI_BASE_URL`, with `/v1`) pointing at that port, and that URL in
//! place of the placeholder `engine::model_proxy::MODEL_PROXY_URL` in its arguments (codex takes
//! its provider's URL on the command line); SIGINT is passed on to it. It exits with the program's
//! exit code. The listener
//! lives exactly as long as the turn, and the agent dies with the bridge.

use std::path::PathBuf;

fn main() {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => fail(format!("cannot start: {error}")),
    };
    if args
        .first()
        .is_some_and(|first| first == mcp::bridge::MODEL_PROXY_COMMAND)
    {
        let code = runtime.block_on(model_proxy(&args[1..]));
        std::process::exit(code)
    }
    let socket = args
        .first()
        .cloned()
        .or_else(|| std::env::var_os("AGENTYARD_MCP_SOCKET"))
        .map_or_else(|| PathBuf::from(mcp::bridge::DEFAULT_SOCKET), PathBuf::from);
    let result = runtime.block_on(mcp::bridge::pipe(
        &socket,
        tokio::io::stdin(),
        tokio::io::stdout(),
    ));
    // Exit at once: a read of stdin may still be pending on a blocking thread, and waiting for it
    // would keep the bridge alive after the platform has closed the connection.
    match result {
        Ok(()) => std::process::exit(0),
        Err(error) => fail(error.to_string()),
    }
}

fn fail(message: String) -> ! {
    eprintln!("agentyard-bridge: {message}");
    std::process::exit(1)
}

/// Runs the agent behind the loopback model proxy; returns its exit code.
async fn model_proxy(args: &[std::ffi::OsString]) -> i32 {
    let usage = "usage: agentyard-bridge model-proxy SOCKET -- PROGRAM [ARGS...]";
    let (Some(socket), Some(separator)) = (args.first(), args.get(1)) else {
        fail(usage.to_owned())
    };
    let Some(program) = args.get(2).filter(|_| separator == "--") else {
        fail(usage.to_owned())
    };
    let socket = PathBuf::from(socket);
    let listener = match tokio::net::TcpListener::bind(mcp::bridge::MODEL_PROXY_LISTEN).await {
        Ok(listener) => listener,
        Err(error) => fail(format!(
            "cannot listen on loopback for the model API: {error}"
        )),
    };
    let port = match listener.local_addr() {
        Ok(address) => address.port(),
        Err(error) => fail(format!("cannot read the model proxy's port: {error}")),
    };
    let base_url = format!("http://127.0.0.1:{port}");
    let mut command = tokio::process::Command::new(program);
    command
        .args(
            args[3..]
                .iter()
                .map(|arg| mcp::bridge::with_model_url(arg, &base_url)),
        )
        .env("ANTHROPIC_BASE_URL", &base_url)
        .env("OPENAI_BASE_URL", format!("{base_url}/v1"));
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent. It makes the kernel
    // kill the agent when the bridge dies, so a killed turn never leaves an agent running.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => fail(format!(
            "cannot start the agent `{}`: {error}",
            program.to_string_lossy()
        )),
    };
    // SIGINT is how a turn of a CLI without an in-band interrupt (codex) is stopped: it is passed
    // on to the agent, which ends its turn and exits, instead of killing the bridge.
    let mut interrupts =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    let forwarding = mcp::bridge::forward_model(listener, &socket);
    tokio::pin!(forwarding);
    let mut forwarding_done = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            result = &mut forwarding, if !forwarding_done => {
                forwarding_done = true;
                if let Err(error) = result {
                    eprintln!("agentyard-bridge: the model proxy stopped: {error}");
                }
            }
            Some(()) = async {
                match interrupts.as_mut() {
                    Some(interrupts) => interrupts.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
                    // SAFETY: kill(2) on our own child, which has not been waited for.
                    unsafe { libc::kill(pid, libc::SIGINT) };
                }
            }
        }
    };
    match status {
        Ok(status) => status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }),
        Err(error) => fail(format!("cannot wait for the agent: {error}")),
    }
}
