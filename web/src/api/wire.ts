// Wire types of the Agentyard platform. Most are generated from the Rust types of
// crates/server/src/wire.rs into ./generated (checked in; a Rust test fails when they drift:
// `bash scripts/gen-wire-types.sh` rewrites them); the git and image route shapes come from
// crates/server/src/routes/{git,images}.rs the same way. Ids are UUID strings and times are
// RFC 3339 strings.

import type { Message, ServerEvent, Session } from './generated';

export type {
  Agent,
  AgentImage,
  ApiError,
  Branch,
  BuildImage,
  BuildImageAccepted,
  Commit,
  CopyRefusal,
  GitCheckout,
  GitCommit,
  GitCommitted,
  GitDiff,
  GitFile,
  GitPaths,
  GitStatus,
  ClientEvent,
  CreateAgent,
  CreateProject,
  CreateSession,
  DockerHealth,
  Health,
  Merged,
  MergeRequest,
  Message,
  Project,
  Preview,
  Pushed,
  PushRequest,
  Rebased,
  Review,
  ReviewDiff,
  ReviewFile,
  SendMessage,
  SendMessageAccepted,
  ServerEvent,
  Session,
  SessionSetup,
  SessionUsage,
  SetupActionRequest,
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

