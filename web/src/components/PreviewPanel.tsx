// The session's preview: the project's dev server run in the session's container, shown in a
// frame (or a new tab) from the preview origin (`url`: the platform's host, another port, so the
// agent's pages never run on the platform's origin), with its log and Start/Stop. The dev script
// and port are the project's, editable here.

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { describeError, useApi } from '../api/client';
import type { ApiError, Preview, Project, Session, UpdateProject } from '../api/wire';
import { ErrorNote } from './ErrorNote';

/** How often the status and log are read while the tab is open. */
const POLL_MS = 2000;

export function PreviewPanel({ session }: { session: Session }) {
  const api = useApi();
  const [preview, setPreview] = useState<Preview | null>(null);
  const [project, setProject] = useState<Project | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped to reload the frame (after a start, or on request).
  const [frameKey, setFrameKey] = useState(0);

  const load = useCallback(() => {
    api.get<Preview>(`/api/sessions/${session.id}/preview`).then(setPreview, (failure: unknown) =>
      setError(describeError(failure)),
    );
  }, [api, session.id]);

  useEffect(() => {
    load();
    const timer = window.setInterval(load, POLL_MS);
    return () => window.clearInterval(timer);
  }, [load]);

  useEffect(() => {
    api.get<Project>(`/api/projects/${session.project_id}`).then(setProject, (failure: unknown) =>
      setError(describeError(failure)),
    );
  }, [api, session.project_id]);

  async function act(action: () => Promise<unknown>) {
    setBusy(true);
    try {
      await action();
      setError(null);
      load();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const start = () =>
    act(async () => {
      await api.post(`/api/sessions/${session.id}/preview`);
      setFrameKey((key) => key + 1);
    });
  const stop = () => act(() => api.del(`/api/sessions/${session.id}/preview`));
  // The frame waits for the server's first output: most print once they listen, and a frame
  // opened before that would only show the proxy's "did not answer" page.
  const ready = preview?.running === true && preview.port !== null && preview.log_tail !== '';

  return (
    <section className="preview panel" aria-labelledby="preview-heading">
      <div className="panel-header">
        <h2 id="preview-heading">Preview</h2>
        <span className="badge" data-testid="preview-state">
          {preview?.running ? `Running${preview.port !== null ? ` on port ${preview.port}` : ''}` : 'Stopped'}
        </span>
        <button type="button" className="primary" onClick={() => void start()} disabled={busy || preview?.running}>
          Start preview
        </button>
        <button type="button" onClick={() => void stop()} disabled={busy || !preview?.running}>
          Stop preview
        </button>
        {preview && ready && (
          <>
            <button type="button" onClick={() => setFrameKey((key) => key + 1)}>
              Reload
            </button>
            <a href={preview.url} target="_blank" rel="noreferrer">
              Open in a new tab
            </a>
          </>
        )}
      </div>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {project && <DevServerSettings project={project} onSaved={setProject} />}
      {preview && ready && (
        <iframe key={frameKey} className="preview-frame" title="Preview of the app" src={preview.url} />
      )}
      {preview?.running && !ready && (
        <p className="meta">
          {preview.port === null
            ? 'Waiting for the dev server to print its port (or set the port above).'
            : 'Waiting for the dev server to start.'}
        </p>
      )}
      <h3>Log</h3>
      <pre className="preview-log" aria-label="Dev server log">
        {preview?.log_tail || 'No output yet.'}
      </pre>
    </section>
  );
}

/** The project's dev script and port. */
function DevServerSettings({ project, onSaved }: { project: Project; onSaved: (project: Project) => void }) {
  const api = useApi();
  const [script, setScript] = useState(project.dev_script ?? '');
  const [port, setPort] = useState(project.dev_port !== null ? String(project.dev_port) : '');
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    const body: UpdateProject = { dev_script: script.trim() || null, dev_port: port.trim() ? Number(port) : null };
    try {
      onSaved(await api.put<Project>(`/api/projects/${project.id}`, body));
      setError(null);
      setSaved(true);
    } catch (failure) {
      setError(describeError(failure));
      setSaved(false);
    }
  }

  return (
    <form className="form dev-server" onSubmit={save}>
      <label htmlFor="dev-script">Dev script (runs in the session&apos;s container, in its work path)</label>
      <textarea
        id="dev-script"
        rows={2}
        value={script}
        onChange={(event) => {
          setScript(event.target.value);
          setSaved(false);
        }}
        placeholder="npm run dev -- --host 0.0.0.0 --port $PORT"
      />
      <label htmlFor="dev-port">Port (empty: read from the script&apos;s output; given to it as $PORT)</label>
      <input
        id="dev-port"
        type="number"
        min={1}
        max={65535}
        value={port}
        onChange={(event) => {
          setPort(event.target.value);
          setSaved(false);
        }}
      />
      <ErrorNote error={error} />
      <button type="submit">{saved ? 'Saved' : 'Save dev server settings'}</button>
    </form>
  );
}
