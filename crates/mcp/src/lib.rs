//! MCP for agents: the platform's tools served to each session on its own unix socket (rmcp), and
//! the `agentyard-bridge` binary that joins an agent's stdio to that socket; beside it, the
//! session's model-API proxy (`model.sock`), so the real API key stays in the platform.
//!
//! This crate only wires rmcp tools to the engine's [`engine::Tools`] and formats their results;
//! the tool logic is the engine's. It opens no TCP port: the socket, which only the session's own
//! container mounts, is the caller's identity, so no token is needed.

pub mod bridge;
pub mod pricing;
pub mod proxy;
mod registry;
mod server;

pub use registry::{BRIDGE_NAME, SOCKET_NAME, SocketRegistry, find_bridge};
pub use server::SessionServer;
