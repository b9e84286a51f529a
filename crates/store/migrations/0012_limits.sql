-- Bounded costs for what agents emit (the agent is hostile: its output must not cost the platform
-- more than it is worth).

-- The text of a streaming reply, one row per delta: appending a delta writes the delta alone,
-- where rewriting `messages.content` would rewrite the whole reply each time (quadratic in its
-- length). Readers see `content` followed by the parts in order; the parts are folded into
-- `content` when the turn ends.
CREATE TABLE message_parts (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    text       TEXT NOT NULL
);

CREATE INDEX message_parts_by_message ON message_parts (message_id, seq);

-- The size of each raw event in bytes, so retention sums sizes from an index alone, without
-- reading payloads.
ALTER TABLE events ADD COLUMN size INTEGER NOT NULL DEFAULT 0;

UPDATE events SET size = length(CAST(payload_json AS BLOB));

CREATE INDEX events_retention ON events (session_id, seq, size);

DROP INDEX events_by_session;
