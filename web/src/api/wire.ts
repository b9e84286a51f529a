// Wire types of the Agentyard platform, written to match /work/shared/API.md field for field.
// The lead will generate this file from the Rust types later, so it holds only plain
// `export type` declarations, spelled (snake_case / camelCase) exactly as API.md spells them.
// Ids are UUID strings and times are RFC 3339 strings.

export type SessionStatus = 'backlog' | 'in_progress' | 'review' | 'done';
export type SessionMode = 'explore' | 'ask' | 'execute';
export type RunState = 'idle' | 'starting' | 'running' | 'error';
export type Role = 'user' | 'assistant';

export type ApiError = {
  error: string;
  code: string;
  remediation?: string;
};

export type DockerHealth = {
  socketConnected: boolean;
  imageAvailable: boolean;
  imageName: string;
  networkExists: boolean;
};

export type Health = {
  ok: boolean;
  mode: 'docker' | 'local';
  docker: DockerHealth | null;
};

export type Project = {
  id: string;
  name: string;
  description: string;
  path: string;
  agent_image: string | null;
  created_at: string;
  updated_at: string;
};

export type CreateProject = {
  name: string;
  path?: string;
  description?: string;
  agent_image?: string;
};

export type UpdateProject = {
  name?: string;
  description?: string;
  agent_image?: string;
};

export type Agent = {
  id: string;
  name: string;
  system_prompt: string;
  model: string | null;
  icon: string | null;
  is_default: boolean;
  docker_image: string | null;
  created_at: string;
  updated_at: string;
};

export type CreateAgent = {
  name: string;
  system_prompt?: string;
  model?: string;
  icon?: string;
  docker_image?: string;
};

export type UpdateAgent = CreateAgent;

export type AgentImage = {
  name: string;
  id: string;
  size: number;
  created: string;
  built_in: boolean;
};

export type BuildImage = {
  name: string;
  base?: string;
  apt_packages?: string[];
  npm_packages?: string[];
  pip_packages?: string[];
};

export type BuildImageAccepted = {
  tag: string;
};

export type Session = {
  id: string;
  project_id: string;
  agent_id: string;
  title: string;
  status: SessionStatus;
  mode: SessionMode;
  worktree_path: string | null;
  branch: string | null;
  docker_image: string | null;
  image: string | null;
  cc_session_id: string | null;
  run_state: RunState;
  created_at: string;
  updated_at: string;
};

export type CreateSession = {
  project_id: string;
  agent_id?: string;
  title?: string;
  mode?: SessionMode;
  docker_image?: string;
};

export type UpdateSession = {
  title?: string;
  agent_id?: string;
  mode?: SessionMode;
  docker_image?: string;
};

export type UpdateSessionStatus = {
  status: SessionStatus;
};

export type ToolUse = {
  tool: string;
  input: unknown;
  result?: string;
};

export type Message = {
  id: string;
  session_id: string;
  role: Role;
  content: string;
  tool_use: ToolUse[] | null;
  cost_usd?: number;
  interrupted: boolean;
  created_at: string;
};

export type SendMessage = {
  content: string;
  model?: string;
  mode?: SessionMode;
};

export type SendMessageAccepted = {
  queued: boolean;
};

export type GitFile = {
  path: string;
  status: string;
  staged: boolean;
};

export type GitStatus = {
  isGitRepo: boolean;
  branch?: string;
  ahead?: number;
  behind?: number;
  files?: GitFile[];
};

export type GitDiff = {
  path: string;
  diff: string;
};

export type Branch = {
  name: string;
  current: boolean;
  remote: boolean;
};

export type Commit = {
  hash: string;
  shortHash: string;
  message: string;
  author: string;
  date: string;
};

export type GitPaths = {
  paths: string[];
};

export type GitCommit = {
  message: string;
};

// WebSocket `/ws`, server → client.
// `chat:permission` is not in API.md yet: it carries an ask-mode permission request
// (the CLI's `can_use_tool` control_request) to the UI.
export type ServerEvent =
  | { type: 'chat:streaming'; sessionIds: string[] }
  | { type: 'chat:queued'; sessionId: string }
  | { type: 'chat:chunk'; sessionId: string; content: string }
  | { type: 'chat:tool_use'; sessionId: string; tool: string; input: unknown }
  | { type: 'chat:tool_result'; sessionId: string; tool: string; result: string }
  | { type: 'chat:done'; sessionId: string; messageId: string; cost?: number; interrupted?: boolean }
  | { type: 'chat:error'; sessionId: string; error: string; code?: string; remediation?: string }
  | { type: 'chat:permission'; sessionId: string; requestId: string; tool: string; input: unknown }
  | { type: 'session:updated'; session: Session }
  | { type: 'image:progress'; tag: string; line: string }
  | { type: 'image:done'; tag: string }
  | { type: 'image:error'; tag: string; error: string };

// WebSocket `/ws`, client → server.
// `chat:permission` is not in API.md yet: it answers a server `chat:permission` request.
export type ClientEvent =
  | { type: 'chat:send'; sessionId: string; content: string; model?: string; mode?: SessionMode }
  | { type: 'chat:stop'; sessionId: string }
  | { type: 'chat:permission'; sessionId: string; requestId: string; allow: boolean };
