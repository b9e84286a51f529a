-- A project's dev server (issue 17): the shell text a preview runs in a session's container, and
-- the port it listens on (NULL: read from the script's output).
ALTER TABLE projects ADD COLUMN dev_script TEXT;
ALTER TABLE projects ADD COLUMN dev_port INTEGER;
