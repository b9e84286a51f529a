-- Agentyard's first schema.
-- Ids are hyphenated UUID text; times are RFC 3339 text in UTC, written by the store.
-- Foreign keys are enforced (the store turns them on for every connection):
-- a project's sessions, and a session's messages and events, go with it.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Two projects on one directory would fight over its checkout and worktrees.
    path        TEXT NOT NULL UNIQUE,
    agent_image TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE agents (
    id            TEXT PRIMARY KEY NOT NULL,
    -- Agents are addressed by name (MCP `delegate_task`), so names are unique, ignoring case.
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    system_prompt TEXT NOT NULL DEFAULT '',
    model         TEXT,
    icon          TEXT,
    is_default    INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    docker_image  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- At most one default agent, even if two processes open a fresh database at once.
CREATE UNIQUE INDEX agents_single_default ON agents (is_default) WHERE is_default = 1;

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- An agent in use cannot be deleted: the store reports how many sessions use it.
    agent_id      TEXT NOT NULL REFERENCES agents (id) ON DELETE RESTRICT,
    title         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL CHECK (status IN ('backlog', 'in_progress', 'review', 'done')),
    mode          TEXT NOT NULL CHECK (mode IN ('explore', 'ask', 'execute')),
    worktree_path TEXT,
    branch        TEXT,
    docker_image  TEXT,
    image         TEXT,
    cc_session_id TEXT,
    run_state     TEXT NOT NULL CHECK (run_state IN ('idle', 'starting', 'running', 'error')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX sessions_by_project ON sessions (project_id);
CREATE INDEX sessions_by_agent ON sessions (agent_id);

CREATE TABLE messages (
    -- Gives a stable order to messages written within the same clock tick.
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content     TEXT NOT NULL,
    -- JSON array of {id, tool, input, result}; `input` is the tool's input as JSON text.
    tool_use    TEXT NOT NULL DEFAULT '[]',
    cost_usd    REAL,
    interrupted INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1)),
    created_at  TEXT NOT NULL
);

CREATE INDEX messages_by_session ON messages (session_id, seq);

-- Append-only log of every raw event an agent emitted, for debugging and replay.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at   TEXT NOT NULL
);

CREATE INDEX events_by_session ON events (session_id, seq);
