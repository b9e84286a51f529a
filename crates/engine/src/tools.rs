//! The platform's tools for agents: what a session's agent may ask of the platform through MCP,
//! and the hook through which the engine asks for the session's MCP endpoint.
//!
//! The MCP server itself (sockets, the protocol, result formatting) lives in the `mcp` crate, which
//! depends on the engine; the engine only knows the [`SessionEndpoints`] trait, so the dependency
//! points one way. A [`Tools`] value is bound to its caller's session: the socket a call came in on
//! is the caller's identity, so no tool takes a token or trusts a caller-supplied session id.
//!
//! The walls (issue 12), enforced here rather than trusted to the CLI:
//! - Reach: with the agent's `tool_scope` `project` (the default) every tool acts only on the
//!   calling session's own project; `all_projects` reaches every project.
//! - Acting tools ([`ACTING_TOOLS`]) are refused to explore (read-only) sessions; in ask mode the
//!   CLI asks the user before each of them, because only [`READ_ONLY_TOOLS`] are pre-approved there
//!   ([`pre_approved_tools`]).
//! - Nothing a tool starts runs with more than its caller has: a delegated session's mode is capped
//!   at its creator's, a project-scoped caller cannot hand work to an agent that reaches all
//!   projects, and `send_message` reaches no session with a higher mode or a wider scope.
//! - Delegation chains are at most [`MAX_DELEGATION_DEPTH`] sessions deep.
//! - `read_project_file` opens the file so that no symbolic link can lead out of the project at
//!   open time (no check-then-use race), refuses anything but regular files, and reads at most
//!   [`MAX_READ_BYTES`].

use crate::images::{AgentImage, ImageBuildRequest};
use crate::{Engine, EngineError, SendOptions, SessionInput};
use async_trait::async_trait;
use domain::{Agent, Project, ProjectId, RelPath, Session, SessionId, SessionMode, ToolScope};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest file `read_project_file` returns; larger files are refused rather than cut,
/// so an agent never mistakes a prefix for the whole file.
pub const MAX_READ_BYTES: u64 = 256 * 1024;

/// How many delegations deep a chain may go: a session a user created is at depth 0, a session it
/// delegated to at 1, and so on; a session at this depth can no longer delegate.
pub const MAX_DELEGATION_DEPTH: u32 = 3;

/// The name the platform's MCP server is registered under: the CLI calls its tools
/// `mcp__agentyard__<tool>`.
pub const MCP_SERVER: &str = "agentyard";

/// The name the browser MCP server (chrome-devtools-mcp) is registered under: its tools are
/// `mcp__chrome-devtools__<tool>`.
pub const BROWSER_MCP_SERVER: &str = "chrome-devtools";

/// The tools that only read. They run without asking in every mode.
pub const READ_ONLY_TOOLS: &[&str] = &[
    "list_projects",
    "get_project_status",
    "read_project_file",
    "list_agent_images",
];

/// The tools that act: they start work or build images. In ask mode the user approves each
/// call; explore sessions may not call them at all.
pub const ACTING_TOOLS: &[&str] = &["delegate_task", "send_message", "create_agent_image"];

/// What the CLI of a session in `mode` may call of the platform's tools without asking:
/// all of them in execute mode, only the read-only ones otherwise.
///
/// The browser MCP server's tools (sessions on the browser stack) are pre-approved in execute mode
/// only: they act on the session's own browser in its own container, as its shell does.
pub fn pre_approved_tools(mode: SessionMode) -> Vec<String> {
    match mode {
        SessionMode::Execute => vec![
            format!("mcp__{MCP_SERVER}"),
            format!("mcp__{BROWSER_MCP_SERVER}"),
        ],
        SessionMode::Ask | SessionMode::Explore => READ_ONLY_TOOLS
            .iter()
            .map(|tool| format!("mcp__{MCP_SERVER}__{tool}"))
            .collect(),
    }
}

/// How much a mode may do: explore < ask < execute.
fn power(mode: SessionMode) -> u8 {
    match mode {
        SessionMode::Explore => 0,
        SessionMode::Ask => 1,
        SessionMode::Execute => 2,
    }
}

/// The mode of a session delegated by a session in `creator` mode: the requested one, or the
/// creator's when none is requested, never above the creator's. The second value is the mode
/// that was asked for and capped, if any.
pub fn delegated_mode(
    requested: Option<SessionMode>,
    creator: SessionMode,
) -> (SessionMode, Option<SessionMode>) {
    match requested {
        Some(mode) if power(mode) > power(creator) => (creator, Some(mode)),
        Some(mode) => (mode, None),
        None => (creator, None),
    }
}

/// Where a session's agent reaches the platform's MCP server, as paths on this machine.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionEndpoint {
    /// The session's runtime directory: holds the socket and the bridge, and nothing else.
    pub dir: PathBuf,
    /// The unix socket the session's MCP server listens on, inside `dir`.
    pub socket: PathBuf,
    /// The `agentyard-bridge` executable the agent starts as its stdio MCP server, inside `dir`.
    pub bridge: PathBuf,
    /// The unix socket serving the model API with the platform's credentials, inside `dir`:
    /// the bridge forwards the agent's loopback port to it, so the agent never holds the real key.
    pub model_socket: Option<PathBuf>,
}

/// Serves each session's MCP endpoint; implemented by the `mcp` crate and set on the engine
/// with [`Engine::set_endpoints`].
#[async_trait]
pub trait SessionEndpoints: Send + Sync {
    /// Makes sure the session's endpoint is listening (idempotent) and says where it is.
    async fn open(
        &self,
        engine: &Engine,
        session: SessionId,
    ) -> Result<SessionEndpoint, EngineError>;

    /// Stops serving the session and removes its socket. Nothing happens when none is open.
    async fn close(&self, session: SessionId);
}

/// One session as `get_project_status` reports it.
#[derive(Clone, Debug)]
pub struct SessionSummary {
    pub session: Session,
    /// The latest of the session's last change and its last message.
    pub last_activity: chrono::DateTime<chrono::Utc>,
}

/// A project and its sessions, for `get_project_status`.
#[derive(Clone, Debug)]
pub struct ProjectStatus {
    pub project: Project,
    pub sessions: Vec<SessionSummary>,
}

/// A file read by `read_project_file`.
#[derive(Clone, Debug)]
pub struct ProjectFile {
    /// The path inside the project, as normalized.
    pub path: String,
    pub content: String,
}

/// What `delegate_task` needs.
#[derive(Clone, Debug)]
pub struct DelegateTask {
    pub project: ProjectId,
    /// The agent persona's name, matched without regard to case.
    pub agent_name: String,
    pub title: String,
    pub instruction: String,
    /// `explore`, `ask` or `execute`; the default mode when absent.
    pub mode: Option<String>,
}

/// A session created by `delegate_task`.
#[derive(Clone, Debug)]
pub struct Delegated {
    pub session: Session,
    /// The mode the caller asked for when it was above its own and so was capped.
    pub capped_from: Option<SessionMode>,
}

/// The calling session and its agent, read at each call: the user may change either at any time.
struct Caller {
    session: Session,
    agent: Agent,
}

impl Caller {
    /// Refuses a project this caller's tools do not reach. The refusal does not say whether the
    /// project exists.
    fn reach(&self, project: ProjectId) -> Result<(), EngineError> {
        if self.agent.tool_scope == ToolScope::Project && project != self.session.project_id {
            return Err(EngineError::Invalid {
                code: "outside_tool_scope",
                message: format!(
                    "project {project} is not this session's project: agent `{}` has tool_scope `project`, \
                     so its tools act only on project {}",
                    self.agent.name, self.session.project_id
                ),
                remediation: Some(
                    "work on this session's own project, or ask the user to set the agent's tool_scope to `all_projects`"
                        .to_owned(),
                ),
            });
        }
        Ok(())
    }

    /// Refuses an acting tool to an explore (read-only) session.
    fn may_act(&self, tool: &str) -> Result<(), EngineError> {
        if self.session.mode == SessionMode::Explore {
            return Err(EngineError::Invalid {
                code: "read_only_session",
                message: format!(
                    "`{tool}` acts, and this session is in explore mode, which only reads; explore sessions may call {}",
                    READ_ONLY_TOOLS.join(", ")
                ),
                remediation: Some(
                    "ask the user to switch the session to ask or execute mode".to_owned(),
                ),
            });
        }
        Ok(())
    }

    /// Refuses handing work to a session or agent with more than this caller has.
    fn outranks(&self, mode: SessionMode, agent: &Agent) -> Result<(), EngineError> {
        if power(mode) > power(self.session.mode) {
            return Err(EngineError::Invalid {
                code: "mode_above_caller",
                message: format!(
                    "that session runs in {mode} mode, above this session's {} mode; a session's tools never start work in a higher mode",
                    self.session.mode
                ),
                remediation: Some(
                    "message a session whose mode is not above this one's".to_owned(),
                ),
            });
        }
        if self.agent.tool_scope == ToolScope::Project && agent.tool_scope == ToolScope::AllProjects
        {
            return Err(EngineError::Invalid {
                code: "scope_above_caller",
                message: format!(
                    "agent `{}` reaches all projects, more than this session's agent `{}` (tool_scope `project`)",
                    agent.name, self.agent.name
                ),
                remediation: Some("use an agent whose tool_scope is `project`".to_owned()),
            });
        }
        Ok(())
    }
}

/// The platform as seen by the agent of one session.
#[derive(Clone)]
pub struct Tools {
    engine: Engine,
    caller: SessionId,
}

impl Engine {
    /// The tools, bound to the session that calls them.
    pub fn tools(&self, caller: SessionId) -> Tools {
        Tools {
            engine: self.clone(),
            caller,
        }
    }

    /// Sets who serves sessions' MCP endpoints. Without it, agents run without the platform's tools.
    pub fn set_endpoints(&self, endpoints: std::sync::Arc<dyn SessionEndpoints>) {
        if self.inner.endpoints.set(endpoints).is_err() {
            tracing::warn!("the MCP endpoints were already set; keeping the first");
        }
    }

    /// The session's runtime directory on this machine: its MCP socket and the bridge live here,
    /// and it is the only directory of the platform a session's container sees at `/run/agentyard`.
    pub fn session_runtime_dir(&self, session: SessionId) -> PathBuf {
        self.session_state_dir(session).join("run")
    }

    /// Opens the session's MCP endpoint when endpoints are served at all.
    pub(crate) async fn open_endpoint(
        &self,
        session: SessionId,
    ) -> Result<Option<SessionEndpoint>, EngineError> {
        match self.inner.endpoints.get() {
            Some(endpoints) => Ok(Some(endpoints.open(self, session).await?)),
            None => Ok(None),
        }
    }

    /// Closes the session's MCP endpoint: its container or process is gone, or it has ended.
    pub(crate) async fn close_endpoint(&self, session: SessionId) {
        if let Some(endpoints) = self.inner.endpoints.get() {
            endpoints.close(session).await;
        }
    }
}

impl Tools {
    /// The session whose agent calls these tools.
    pub fn caller(&self) -> SessionId {
        self.caller
    }

    async fn calling(&self) -> Result<Caller, EngineError> {
        let session = self.engine.session(self.caller).await?;
        let agent = self.engine.agent(session.agent_id).await?;
        Ok(Caller { session, agent })
    }

    /// The projects the caller reaches: its own, or every project with `all_projects`.
    pub async fn list_projects(&self) -> Result<Vec<Project>, EngineError> {
        let caller = self.calling().await?;
        match caller.agent.tool_scope {
            ToolScope::Project => Ok(vec![self.engine.project(caller.session.project_id).await?]),
            ToolScope::AllProjects => self.engine.projects().await,
        }
    }

    /// The project and each of its sessions: status, run state, branch and last activity.
    pub async fn project_status(&self, project: ProjectId) -> Result<ProjectStatus, EngineError> {
        self.calling().await?.reach(project)?;
        let project = self.engine.project(project).await?;
        let mut sessions = Vec::new();
        for session in self.engine.sessions(Some(project.id)).await? {
            let last_message = self
                .engine
                .store()
                .messages(session.id)
                .await?
                .last()
                .map(|message| message.created_at);
            let last_activity =
                last_message.map_or(session.updated_at, |at| at.max(session.updated_at));
            sessions.push(SessionSummary {
                session,
                last_activity,
            });
        }
        Ok(ProjectStatus { project, sessions })
    }

    /// Reads a text file of a project's main checkout. `..`, absolute paths, other sessions'
    /// worktrees and symbolic links that lead out of the project are refused, at the moment the
    /// file is opened; so are files that are not regular files and files over [`MAX_READ_BYTES`].
    pub async fn read_project_file(
        &self,
        project: ProjectId,
        path: &str,
    ) -> Result<ProjectFile, EngineError> {
        self.calling().await?.reach(project)?;
        let project = self.engine.project(project).await?;
        let relative = RelPath::parse(path).map_err(|error| {
            EngineError::bad_request(
                "invalid_path",
                format!("{error}; name a file by its path inside the project, like `src/main.rs`"),
            )
        })?;
        if relative.as_path().starts_with(".worktrees") {
            return Err(EngineError::bad_request(
                "invalid_path",
                format!(
                    "`{relative}` is inside another session's worktree, which no tool reads; name a file of the project's main checkout"
                ),
            ));
        }
        let root = project.path.clone();
        let name = project.name.clone();
        let shown = relative.clone();
        let bytes = tokio::task::spawn_blocking(move || read_beneath(&root, &relative))
            .await
            .map_err(|error| EngineError::unexpected(format!("the file read stopped: {error}")))?
            .map_err(|refusal| refusal.into_error(&shown, &name))?;
        let content = String::from_utf8(bytes).map_err(|_| {
            EngineError::invalid(
                "binary_file",
                format!("`{shown}` is not UTF-8 text; this tool reads text files only"),
            )
        })?;
        Ok(ProjectFile {
            path: shown.to_string(),
            content,
        })
    }

    /// Creates a session in the target project with the named agent and starts it with the
    /// instruction. Its mode is the requested one capped at the caller's (the caller's when none
    /// is requested); the chain of delegations stays within [`MAX_DELEGATION_DEPTH`].
    pub async fn delegate_task(&self, task: DelegateTask) -> Result<Delegated, EngineError> {
        let caller = self.calling().await?;
        caller.may_act("delegate_task")?;
        caller.reach(task.project)?;
        if task.instruction.trim().is_empty() {
            return Err(EngineError::invalid(
                "empty_message",
                "the instruction is empty; say what the new session should do",
            ));
        }
        let depth = caller
            .session
            .delegation
            .map_or(0, |delegation| delegation.depth)
            + 1;
        if depth > MAX_DELEGATION_DEPTH {
            return Err(EngineError::Invalid {
                code: "delegation_too_deep",
                message: format!(
                    "this session was itself delegated {} level(s) deep, and delegation chains stop at {MAX_DELEGATION_DEPTH}",
                    depth - 1
                ),
                remediation: Some(
                    "do the work in this session, or report back so that a user starts a new session".to_owned(),
                ),
            });
        }
        let requested = task
            .mode
            .as_deref()
            .map(|mode| mode.trim().parse::<SessionMode>())
            .transpose()
            .map_err(|error| EngineError::invalid("invalid_mode", error.to_string()))?;
        let (mode, capped_from) = delegated_mode(requested, caller.session.mode);
        self.engine.project(task.project).await?;
        let agents = self.engine.agents().await?;
        let wanted = task.agent_name.trim();
        let Some(agent) = agents
            .iter()
            .find(|agent| agent.name.eq_ignore_ascii_case(wanted))
        else {
            let names: Vec<&str> = agents.iter().map(|agent| agent.name.as_str()).collect();
            return Err(EngineError::not_found(
                "agent",
                format!("`{wanted}` (the agents are: {})", names.join(", ")),
            ));
        };
        caller.outranks(mode, agent)?;
        let session = self
            .engine
            .create_session_by(
                SessionInput {
                    project_id: task.project,
                    agent_id: Some(agent.id),
                    title: Some(task.title),
                    mode: Some(mode),
                    docker_image: None,
                },
                Some((self.caller, depth)),
            )
            .await?;
        tracing::info!(caller = %self.caller, session = %session.id, %mode, depth, "an agent delegated a task");
        self.engine
            .send_message(session.id, &task.instruction, SendOptions::default())
            .await?;
        Ok(Delegated {
            session: self.engine.session(session.id).await?,
            capped_from,
        })
    }

    /// Sends a message to another session of a project the caller reaches, as a user would; it
    /// runs now or after the turn in progress. Returns whether it was queued.
    pub async fn send_message(
        &self,
        session: SessionId,
        content: &str,
    ) -> Result<bool, EngineError> {
        let caller = self.calling().await?;
        caller.may_act("send_message")?;
        if session == self.caller {
            return Err(EngineError::bad_request(
                "own_session",
                "a session cannot send a message to itself; name another session",
            ));
        }
        // A session outside the caller's reach is refused exactly like a missing one, so the
        // tool does not tell whether it exists.
        let target = match self.engine.session(session).await {
            Ok(target) if caller.reach(target.project_id).is_ok() => target,
            Ok(_) | Err(EngineError::NotFound { .. }) => {
                return Err(EngineError::Invalid {
                    code: "outside_tool_scope",
                    message: format!("session {session} is not a session of a project this agent reaches"),
                    remediation: Some(
                        "name a session that get_project_status lists for a project that list_projects gives".to_owned(),
                    ),
                });
            }
            Err(error) => return Err(error),
        };
        let agent = self.engine.agent(target.agent_id).await?;
        caller.outranks(target.mode, &agent)?;
        self.engine
            .send_message(session, content, SendOptions::default())
            .await
    }

    /// The agent images present in the engine.
    pub async fn list_agent_images(&self) -> Result<Vec<AgentImage>, EngineError> {
        self.engine.agent_images().await
    }

    /// Builds an agent image from validated package lists, with the same checks as the REST
    /// route, labelled with the caller's project; an existing image of that name is replaced only
    /// when the caller's project built it. Progress is broadcast as image events. Returns the tag at once.
    pub async fn create_agent_image(
        &self,
        request: ImageBuildRequest,
    ) -> Result<String, EngineError> {
        let caller = self.calling().await?;
        caller.may_act("create_agent_image")?;
        self.engine
            .build_agent_image_by(request, Some(caller.session.project_id))
            .await
    }
}

/// Why a file was not read.
#[derive(Debug)]
enum ReadRefusal {
    Missing,
    Outside,
    NotAFile,
    TooLarge,
    Failed(std::io::Error),
}

impl ReadRefusal {
    fn into_error(self, path: &RelPath, project: &str) -> EngineError {
        match self {
            ReadRefusal::Missing => {
                EngineError::not_found("file", format!("`{path}` in project {project}"))
            }
            ReadRefusal::Outside => EngineError::bad_request(
                "path_outside",
                format!(
                    "`{path}` leads outside the project through a symbolic link; name a file inside the project"
                ),
            ),
            ReadRefusal::NotAFile => EngineError::bad_request(
                "not_a_file",
                format!("`{path}` is not a regular file; name a file inside the project"),
            ),
            ReadRefusal::TooLarge => EngineError::invalid(
                "file_too_large",
                format!("`{path}` is larger than the {MAX_READ_BYTES} bytes this tool returns"),
            ),
            ReadRefusal::Failed(error) => EngineError::unexpected(format!(
                "cannot read `{path}` in project {project}: {error}"
            )),
        }
    }
}

impl From<rustix::io::Errno> for ReadRefusal {
    fn from(errno: rustix::io::Errno) -> Self {
        use rustix::io::Errno;
        match errno {
            Errno::NOENT | Errno::NOTDIR => ReadRefusal::Missing,
            // EXDEV: `RESOLVE_BENEATH` met a link out; ELOOP: a link where none may be followed.
            Errno::XDEV | Errno::LOOP => ReadRefusal::Outside,
            other => ReadRefusal::Failed(other.into()),
        }
    }
}

/// How the file is opened: read-only, and non-blocking so that opening a fifo returns at once
/// (it is then refused as not a regular file).
const OPEN_FLAGS: rustix::fs::OFlags = rustix::fs::OFlags::RDONLY
    .union(rustix::fs::OFlags::NONBLOCK)
    .union(rustix::fs::OFlags::NOCTTY)
    .union(rustix::fs::OFlags::CLOEXEC);

/// Reads `relative` inside `root` (a directory the platform trusts), at most [`MAX_READ_BYTES`].
/// Nothing is checked and then used: the file is opened by a call that cannot leave `root`, and
/// the checks (regular file, size) are made on the open file itself.
///
/// The kernel resolves the path with `openat2` and `RESOLVE_BENEATH`, following links only while
/// they stay inside, in the same call that opens the file. Where `openat2` is missing (kernels
/// before 5.6, or a seccomp filter that refuses it) the path is walked one component at a time
/// with `O_NOFOLLOW`, so no link at all is followed.
fn read_beneath(root: &Path, relative: &RelPath) -> Result<Vec<u8>, ReadRefusal> {
    use rustix::fs::{Mode, ResolveFlags};
    let directory = open_root(root)?;
    let opened = match rustix::fs::openat2(
        &directory,
        relative.as_path(),
        OPEN_FLAGS,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    ) {
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {
            walk_beneath(directory, relative)
        }
        other => other,
    }?;
    read_regular(opened)
}

fn open_root(root: &Path) -> Result<rustix::fd::OwnedFd, rustix::io::Errno> {
    use rustix::fs::{Mode, OFlags};
    rustix::fs::open(
        root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// The content of an open file, when it is a regular file of at most [`MAX_READ_BYTES`].
fn read_regular(opened: rustix::fd::OwnedFd) -> Result<Vec<u8>, ReadRefusal> {
    use rustix::fs::FileType;
    let stat = rustix::fs::fstat(&opened)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(ReadRefusal::NotAFile);
    }
    let mut bytes = Vec::new();
    // The file may grow after fstat: read one byte past the limit to know.
    std::fs::File::from(opened)
        .take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadRefusal::Failed)?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(ReadRefusal::TooLarge);
    }
    Ok(bytes)
}

/// Opens `relative` one component at a time from `directory`, refusing every symbolic link.
fn walk_beneath(
    directory: rustix::fd::OwnedFd,
    relative: &RelPath,
) -> Result<rustix::fd::OwnedFd, rustix::io::Errno> {
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    let components: Vec<_> = relative.as_path().components().collect();
    let (last, parents) = components.split_last().expect("a RelPath names something");
    let mut current = directory;
    for component in parents {
        let next = rustix::fs::openat(
            &current,
            component.as_os_str(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        );
        current = match next {
            // A link where a directory is expected fails with ENOTDIR, like a file would: tell
            // them apart only to word the refusal.
            Err(rustix::io::Errno::NOTDIR)
                if rustix::fs::statat(
                    &current,
                    component.as_os_str(),
                    AtFlags::SYMLINK_NOFOLLOW,
                )
                .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode) == FileType::Symlink) =>
            {
                return Err(rustix::io::Errno::LOOP);
            }
            other => other?,
        };
    }
    rustix::fs::openat(
        &current,
        last.as_os_str(),
        OPEN_FLAGS | OFlags::NOFOLLOW,
        Mode::empty(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// How a test reads: as the tool does (the kernel resolves), or by the fallback walk.
    #[derive(Clone, Copy, Debug)]
    enum Resolver {
        Kernel,
        Walk,
    }

    fn read(root: &Path, path: &str, resolver: Resolver) -> Result<Vec<u8>, ReadRefusal> {
        let relative = RelPath::parse(path).unwrap();
        match resolver {
            Resolver::Kernel => read_beneath(root, &relative),
            Resolver::Walk => read_regular(walk_beneath(open_root(root)?, &relative)?),
        }
    }

    /// A project directory with `src/main.rs`, next to a secret outside it.
    fn project() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("project");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.path().join("secret"), "outside\n").unwrap();
        (dir, root)
    }

    #[test]
    fn a_file_inside_the_project_is_read_by_either_resolver() {
        let (_dir, root) = project();
        for resolver in [Resolver::Kernel, Resolver::Walk] {
            assert_eq!(
                read(&root, "src/main.rs", resolver).unwrap(),
                b"fn main() {}\n"
            );
        }
    }

    #[test]
    fn links_out_of_the_project_are_refused_by_either_resolver() {
        let (dir, root) = project();
        symlink(dir.path().join("secret"), root.join("absolute")).unwrap();
        symlink("../secret", root.join("relative")).unwrap();
        symlink(dir.path(), root.join("src/up")).unwrap();
        for resolver in [Resolver::Kernel, Resolver::Walk] {
            for path in ["absolute", "relative", "src/up/secret"] {
                assert!(
                    matches!(read(&root, path, resolver), Err(ReadRefusal::Outside)),
                    "{path} with {resolver:?}"
                );
            }
        }
    }

    #[test]
    fn a_link_that_stays_inside_is_followed_by_the_kernel_resolver_only() {
        let (_dir, root) = project();
        symlink("src/main.rs", root.join("main")).unwrap();
        assert_eq!(
            read(&root, "main", Resolver::Kernel).unwrap(),
            b"fn main() {}\n"
        );
        assert!(matches!(
            read(&root, "main", Resolver::Walk),
            Err(ReadRefusal::Outside)
        ));
    }

    #[test]
    fn fifos_and_directories_are_refused_without_blocking() {
        let (_dir, root) = project();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("pipe"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        for resolver in [Resolver::Kernel, Resolver::Walk] {
            assert!(matches!(
                read(&root, "pipe", resolver),
                Err(ReadRefusal::NotAFile)
            ));
            assert!(matches!(
                read(&root, "src", resolver),
                Err(ReadRefusal::NotAFile)
            ));
        }
    }

    #[test]
    fn files_over_the_limit_are_refused_and_files_at_it_are_read() {
        let (_dir, root) = project();
        let limit = usize::try_from(MAX_READ_BYTES).unwrap();
        std::fs::write(root.join("big"), vec![b'a'; limit + 1]).unwrap();
        std::fs::write(root.join("full"), vec![b'a'; limit]).unwrap();
        assert!(matches!(
            read(&root, "big", Resolver::Kernel),
            Err(ReadRefusal::TooLarge)
        ));
        assert_eq!(read(&root, "full", Resolver::Kernel).unwrap().len(), limit);
    }

    #[test]
    fn a_link_swapped_while_reading_never_yields_the_outside_file() {
        let (dir, root) = project();
        let link = root.join("flip");
        symlink("src/main.rs", &link).unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flipper = {
            let stop = stop.clone();
            let (link, secret) = (link.clone(), dir.path().join("secret"));
            std::thread::spawn(move || {
                let staged = link.with_extension("new");
                let mut outside = false;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = std::fs::remove_file(&staged);
                    if outside {
                        symlink("src/main.rs", &staged).unwrap();
                    } else {
                        symlink(&secret, &staged).unwrap();
                    }
                    std::fs::rename(&staged, &link).unwrap();
                    outside = !outside;
                }
            })
        };
        let mut inside = 0;
        for _ in 0..2000 {
            match read(&root, "flip", Resolver::Kernel) {
                Ok(bytes) => {
                    assert_eq!(bytes, b"fn main() {}\n");
                    inside += 1;
                }
                Err(ReadRefusal::Outside | ReadRefusal::Missing) => {}
                Err(other) => panic!("{other:?}"),
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        flipper.join().unwrap();
        assert!(inside > 0, "the link pointed inside half of the time");
    }

    #[test]
    fn execute_sessions_pre_approve_every_tool_and_the_others_only_the_read_only_ones() {
        assert_eq!(
            pre_approved_tools(SessionMode::Execute),
            ["mcp__agentyard", "mcp__chrome-devtools"]
        );
        for mode in [SessionMode::Ask, SessionMode::Explore] {
            let tools = pre_approved_tools(mode);
            assert_eq!(tools.len(), READ_ONLY_TOOLS.len());
            assert!(
                !tools.iter().any(|tool| tool.contains("chrome-devtools")),
                "{mode}: the browser acts, so it asks: {tools:?}"
            );
            for acting in ACTING_TOOLS {
                assert!(
                    !tools.iter().any(|tool| tool.ends_with(acting)),
                    "{mode}: {tools:?}"
                );
            }
            assert!(tools.contains(&"mcp__agentyard__read_project_file".to_owned()));
        }
    }

    #[test]
    fn a_delegated_mode_never_exceeds_its_creators() {
        use SessionMode::{Ask, Execute, Explore};
        assert_eq!(delegated_mode(Some(Execute), Ask), (Ask, Some(Execute)));
        assert_eq!(delegated_mode(Some(Ask), Explore), (Explore, Some(Ask)));
        assert_eq!(delegated_mode(Some(Explore), Execute), (Explore, None));
        assert_eq!(delegated_mode(None, Ask), (Ask, None));
        assert_eq!(delegated_mode(Some(Execute), Execute), (Execute, None));
    }
}
