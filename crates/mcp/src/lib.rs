//! MCP server over per-session unix sockets and the agentyard-bridge binary.
