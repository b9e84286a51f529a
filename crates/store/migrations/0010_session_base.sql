-- Where a session's worktree was cut from, recorded by the platform (never read back from git
-- configuration an agent could write), and where the files git does not track were kept when
-- its worktree was removed (issue 12).
ALTER TABLE sessions ADD COLUMN base_branch TEXT;
ALTER TABLE sessions ADD COLUMN base_commit TEXT;
ALTER TABLE sessions ADD COLUMN kept_path TEXT;
