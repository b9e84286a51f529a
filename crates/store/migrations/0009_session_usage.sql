-- Tokens each session's agent used, as the platform's model proxy counted them (issue 9).
CREATE TABLE session_usage (
    session_id    TEXT PRIMARY KEY NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0
);
