// The Source Control panel of one session: changed files of its effective work path, a diff
// viewer, stage/unstage per file and a commit box. Every call names the session (`session_id`)
// so the platform acts on the session's worktree when it has one.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError, useApi } from '../api/client';
import type { ApiError, GitDiff, GitFile, GitStatus } from '../api/wire';
import { ErrorNote } from './ErrorNote';

export type SourceControlProps = {
  projectId: string;
  sessionId: string;
  /** Changes whenever a turn ends, to re-read the status. */
  refreshKey: number;
};

type Selected = { path: string; staged: boolean };

export function SourceControl({ projectId, sessionId, refreshKey }: SourceControlProps) {
  const api = useApi();
  const [status, setStatus] = useState<GitStatus | null>(null);
  const [selected, setSelected] = useState<Selected | null>(null);
  const [diff, setDiff] = useState<GitDiff | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const query = { session_id: sessionId };

  const refresh = useCallback(() => {
    api.get<GitStatus>(`/api/git/status/${projectId}`, { session_id: sessionId }).then(
      (next) => {
        setStatus(next);
        setError(null);
      },
      (failure: unknown) => setError(describeError(failure)),
    );
  }, [api, projectId, sessionId]);

  useEffect(refresh, [refresh, refreshKey]);

  useEffect(() => {
    if (!selected) {
      setDiff(null);
      return;
    }
    let live = true;
    api
      .get<GitDiff>(`/api/git/diff/${projectId}`, {
        path: selected.path,
        staged: selected.staged,
        session_id: sessionId,
      })
      .then(
        (next) => live && setDiff(next),
        (failure: unknown) => live && setError(describeError(failure)),
      );
    return () => {
      live = false;
    };
  }, [api, projectId, sessionId, selected, refreshKey]);

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
      refresh();
    }
  }

  function toggleStage(file: GitFile) {
    const route = file.staged ? 'unstage' : 'stage';
    void run(async () => {
      await api.post(`/api/git/${route}/${projectId}`, { paths: [file.path] }, query);
      if (selected?.path === file.path) setSelected({ path: file.path, staged: !file.staged });
    });
  }

  function commit(event: FormEvent) {
    event.preventDefault();
    const text = message.trim();
    if (!text) return;
    void run(async () => {
      await api.post(`/api/git/commit/${projectId}`, { message: text }, query);
      setMessage('');
      setSelected(null);
    });
  }

  const files = status?.files ?? [];
  const staged = files.filter((file) => file.staged);
  const changes = files.filter((file) => !file.staged);

  return (
    <section className="source-control panel" aria-labelledby="source-control-heading">
      <div className="panel-header">
        <h2 id="source-control-heading">Source control</h2>
        <button type="button" className="small" onClick={refresh}>
          Refresh
        </button>
      </div>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {status && !status.isGitRepo && <p className="empty">This work path is not a git repository.</p>}
      {status?.isGitRepo && (
        <>
          <p className="meta">
            {status.branch && (
              <>
                On <code>{status.branch}</code>
              </>
            )}
            {!!status.ahead && ` · ${status.ahead} ahead`}
            {!!status.behind && ` · ${status.behind} behind`}
          </p>
          {files.length === 0 && <p className="empty">No changes.</p>}
          <FileGroup
            title="Staged"
            files={staged}
            selected={selected}
            busy={busy}
            onSelect={setSelected}
            onToggle={toggleStage}
          />
          <FileGroup
            title="Changes"
            files={changes}
            selected={selected}
            busy={busy}
            onSelect={setSelected}
            onToggle={toggleStage}
          />
          <form className="form commit-box" onSubmit={commit}>
            <label htmlFor="commit-message">Commit message</label>
            <textarea
              id="commit-message"
              rows={2}
              value={message}
              onChange={(event) => setMessage(event.target.value)}
            />
            <button type="submit" className="primary" disabled={busy || !message.trim()}>
              Commit
            </button>
          </form>
        </>
      )}
      {selected && (
        <div className="diff-panel">
          <div className="panel-header">
            <h3>
              <code>{selected.path}</code> {selected.staged ? '(staged)' : ''}
            </h3>
            <button type="button" className="small" onClick={() => setSelected(null)}>
              Close diff
            </button>
          </div>
          {diff && <DiffView diff={diff.diff} />}
        </div>
      )}
    </section>
  );
}

type FileGroupProps = {
  title: string;
  files: GitFile[];
  selected: Selected | null;
  busy: boolean;
  onSelect: (selected: Selected) => void;
  onToggle: (file: GitFile) => void;
};

function FileGroup({ title, files, selected, busy, onSelect, onToggle }: FileGroupProps) {
  if (files.length === 0) return null;
  return (
    <div className="file-group">
      <h3>{title}</h3>
      <ul className="file-list">
        {files.map((file) => {
          const isSelected = selected?.path === file.path && selected.staged === file.staged;
          return (
            <li key={`${file.staged}-${file.path}`} className={isSelected ? 'selected' : undefined}>
              <span className={`file-status status-${file.status}`} title={file.status}>
                {file.status.slice(0, 1).toUpperCase()}
              </span>
              <button
                type="button"
                className="link-button file-path"
                aria-pressed={isSelected}
                onClick={() => onSelect({ path: file.path, staged: file.staged })}
              >
                {file.path}
              </button>
              <button
                type="button"
                className="small"
                disabled={busy}
                onClick={() => onToggle(file)}
                aria-label={`${file.staged ? 'Unstage' : 'Stage'} ${file.path}`}
              >
                {file.staged ? 'Unstage' : 'Stage'}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** A unified diff with added, removed and hunk lines colored. */
export function DiffView({ diff }: { diff: string }) {
  if (!diff.trim()) return <p className="empty">No textual difference.</p>;
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    <pre className="diff" aria-label="Diff">
      {lines.map((line, index) => (
        <span key={index} className={diffLineClass(line)}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function diffLineClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'diff-file';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  if (line.startsWith('@@')) return 'diff-hunk';
  return 'diff-context';
}
