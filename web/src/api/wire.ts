// Wire types of the Agentyard platform. Most are generated from the Rust types of
// crates/server/src/wire.rs into ./generated (checked in; a Rust test fails when they drift:
// `bash scripts/gen-wire-types.sh` rewrites them). Only shapes the Rust side of this branch does
// not define yet (image and git routes) are written by hand below, spelled as API.md spells them.
// Ids are UUID strings and times are RFC 3339 strings.

import type { Message, ServerEvent, Session } from './generated';

export type {
  Agent,
  ApiError,
  ClientEvent,
  CreateAgent,
  CreateProject,
  CreateSession,
  DockerHealth,
  Health,
  Message,
  Project,
  SendMessage,
  SendMessageAccepted,
  ServerEvent,
  Session,
  SessionUsage,
  ToolUse,
  UpdateAgent,
  UpdateProject,
  UpdateSession,
  UpdateSessionStatus,
} from './generated';

export type SessionStatus = Session['status'];
export type SessionMode = Session['mode'];
export type RunState = Session['run_state'];
export type Role = Message['role'];
/** The `type` tag of every server envelope. */
export type ServerEventType = ServerEvent['type'];

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
