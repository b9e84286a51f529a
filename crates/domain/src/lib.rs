//! Agentyard's vocabulary, shared by every other crate.
//!
//! Ids, newtypes that parse untrusted input once (`ImageRef`, `BranchName`, `RelPath`, package names),
//! the session enums, the agent CLIs and which image carries them, the records the store returns, the image resolution chain and the
//! configuration types. This crate performs no IO and knows no wire format: serde lives at
//! the edges (`server`, `mcp`), SQL lives in `store`.

mod cli;
mod config;
mod ids;
mod image;
mod names;
mod packages;
mod records;
mod session;
mod setup;

pub use cli::{AgentCli, IMAGE_CLIS_LABEL, MissingCli, check_image_cli, image_clis};
pub use config::{
    AgentMode, Config, ConfigError, CpuLimit, DEFAULT_MAX_RUNNING, DockerAccess, MemoryLimit,
    NetworkChoice, UserSpec, Webhook, WebhookUrl,
};
pub use ids::{AgentId, IdError, MessageId, ProjectId, SessionId};
pub use image::{DEFAULT_IMAGE, ImageChoice, ImageRef, ImageRefError, resolve_image};
pub use names::{BranchName, NameError, RelPath};
pub use packages::{
    AGENT_IMAGE_PREFIX, AptPackage, ImageSlug, NpmPackage, PackageError, PipPackage, SHIPPED_STACKS,
};
pub use records::{
    Agent, Delegation, Message, NewAgent, NewProject, NewSession, Project, Role, Session,
    ToolScope, ToolUse,
};
pub use session::{ParseEnumError, RunState, SessionMode, SessionStatus};
pub use setup::{
    COPY_PATTERN_GRAMMAR, CopyPattern, CopyRefusal, CopyReport, MAX_COPY_PATTERN_BYTES,
    MAX_COPY_PATTERNS, MAX_SETUP_SCRIPT_BYTES, SessionSetup, SetupState, parse_copy_patterns,
    parse_worktree_include,
};
