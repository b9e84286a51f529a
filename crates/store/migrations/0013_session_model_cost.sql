-- The cost of each session's model calls, priced per model by the platform's model proxy as the
-- answers stream (issue 12): the budget counts it before the next call.
ALTER TABLE session_usage ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
