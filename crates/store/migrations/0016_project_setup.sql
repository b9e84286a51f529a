-- Sessions ready to work (issue 17): a project's setup script, run once in each session's
-- container before its first turn, and the ignored files copied into each new worktree.
ALTER TABLE projects ADD COLUMN setup_script TEXT;
-- JSON array of glob patterns (text), parsed before they are stored.
ALTER TABLE projects ADD COLUMN copy_files TEXT NOT NULL DEFAULT '[]';

-- What became of a session's setup: one row per session, made when files were copied into its
-- worktree or its setup script first ran. `output` is the script's output (its last MiB, the
-- agent's text); `copy_report` the JSON {copied: [path], refused: [{path, reason}]}.
CREATE TABLE session_setup (
    session_id  TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    state       TEXT NOT NULL
                CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    exit_code   INTEGER,
    output      TEXT NOT NULL DEFAULT '',
    copy_report TEXT NOT NULL DEFAULT '{"copied":[],"refused":[]}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
