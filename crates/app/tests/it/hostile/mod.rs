//! The hostile-agent suite: every wall of the sandbox, attacked the way an agent would attack it.
//!
//! Each test plays an attack through the real `claude` CLI (scripted Bash and MCP tool calls from
//! `scripted-model`), then exercises every platform route and lifecycle step that could trigger
//! what the agent planted, and asserts that nothing happened where it must not: on the host (a
//! marker file outside the container), in other projects, sessions or branches, upstream (the
//! scripted model's request log), or to the user's data.

mod browser;
mod git;
mod proxy;
mod tools;
