-- The agent CLI a persona runs (issue 16): Claude Code, or OpenAI Codex.
ALTER TABLE agents ADD COLUMN cli TEXT NOT NULL DEFAULT 'claude'
    CHECK (cli IN ('claude', 'codex'));
