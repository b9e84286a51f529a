-- Walls around the MCP tools (issue 12).
-- An agent's tools act on its session's own project unless the agent is granted all projects.
ALTER TABLE agents ADD COLUMN tool_scope TEXT NOT NULL DEFAULT 'project'
    CHECK (tool_scope IN ('project', 'all_projects'));

-- A session created by another session's `delegate_task`: who created it (cleared when that session
-- is deleted) and how deep in a chain of delegations it is (0 for sessions a user created).
ALTER TABLE sessions ADD COLUMN created_by TEXT REFERENCES sessions (id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN delegation_depth INTEGER NOT NULL DEFAULT 0
    CHECK (delegation_depth >= 0);
