// A session's setup: the files copied into its worktree and its project's setup script (state,
// exit code, output streamed live), with Retry and "Go on without it" when the script failed.
// The output is the agent's text: shown as plain text, never interpreted.

import { useCallback, useEffect, useState } from 'react';
import { describeError, useApi } from '../api/client';
import { useSocketEvents } from '../api/socket';
import type { ApiError, SessionSetup } from '../api/wire';
import { ErrorNote } from './ErrorNote';

const stateLabels: Record<SessionSetup['state'], string> = {
  pending: 'Setup waits for the first message',
  running: 'Setup script running…',
  succeeded: 'Setup done',
  failed: 'Setup failed',
  skipped: 'Setup skipped',
};

export function SetupPanel({ sessionId }: { sessionId: string }) {
  const api = useApi();
  const [setup, setSetup] = useState<SessionSetup | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const load = useCallback(() => {
    // The panel adds to the chat, which works without it: a setup that cannot be read leaves it
    // out until the next `setup:state` envelope.
    api.get<SessionSetup | null>(`/api/sessions/${sessionId}/setup`).then(setSetup, () => setSetup(null));
  }, [api, sessionId]);

  useEffect(load, [load]);

  useSocketEvents((event) => {
    if (event.type === 'setup:state') setSetup(event.setup);
    if (event.type === 'setup:output') {
      setSetup((current) => (current ? { ...current, output: current.output + event.content } : current));
    }
  }, sessionId);

  async function act(action: 'retry' | 'skip') {
    try {
      setSetup(await api.post<SessionSetup>(`/api/sessions/${sessionId}/setup`, { action }));
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  if (!setup) return null;
  const exit = setup.exit_code !== null ? ` (exit code ${setup.exit_code})` : '';
  return (
    <details className={`setup-panel panel setup-${setup.state}`} open={setup.state === 'failed' || setup.state === 'running'}>
      <summary>
        {stateLabels[setup.state]}
        {exit}
        {setup.copied.length > 0 && ` · ${setup.copied.length} file(s) copied`}
        {setup.refused.length > 0 && ` · ${setup.refused.length} refused`}
      </summary>
      {setup.copied.length > 0 && (
        <p className="meta">
          Copied into the worktree: {setup.copied.map((path) => <code key={path}>{path} </code>)}
        </p>
      )}
      {setup.refused.length > 0 && (
        <ul className="meta" aria-label="Files not copied">
          {setup.refused.map((refusal, index) => (
            <li key={index}>
              <code>{refusal.path}</code> {refusal.reason}
            </li>
          ))}
        </ul>
      )}
      {setup.output && <pre className="code setup-output">{setup.output}</pre>}
      {setup.state === 'failed' && (
        <div className="actions">
          <p>The agent does not start until you decide. Fix the script in the project settings first to retry it.</p>
          <button type="button" className="primary" onClick={() => void act('retry')}>
            Retry
          </button>
          <button type="button" onClick={() => void act('skip')}>
            Go on without it
          </button>
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
    </details>
  );
}
