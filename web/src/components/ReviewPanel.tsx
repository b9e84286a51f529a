// The Review tab of a session: its work against its base (files with +/- counts, ahead/behind,
// conflicts), each file's diff with line comments the user sends back as one "Request changes"
// message, and the actions that bring the work home: Merge (squash or merge commit), Rebase and
// Push, each with its result or the API's error and the files a refusal names. Explore sessions
// and sessions on the main checkout have no branch to merge, and say so instead.

import { useEffect, useState, type FormEvent } from 'react';
import { describeError, useApi } from '../api/client';
import type { ApiError, Merged, MergeRequest, Pushed, Rebased, Review, ReviewDiff, Session } from '../api/wire';
import { fileCount, useReview } from '../useReview';
import { commentKey, requestChangesMessage, resolveConflictsMessage, type LineComment } from '../reviewMessages';
import { ErrorNote } from './ErrorNote';
import { ReviewDiffView, type DiffLayout } from './ReviewDiffView';

export type ReviewPanelProps = {
  session: Session;
  /** Called after a message went to the agent, so the chat can show it. */
  onMessageSent: () => void;
};

export function ReviewPanel({ session, onMessageSent }: ReviewPanelProps) {
  const api = useApi();
  const review = useReview(session.id);
  const [selected, setSelected] = useState<string | null>(null);
  const [diff, setDiff] = useState<ReviewDiff | null>(null);
  const [layout, setLayout] = useState<DiffLayout>('unified');
  const [comments, setComments] = useState<Record<string, LineComment>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const data = review.data;

  // The diff is re-read with the review, since a turn or a rebase may have changed it. Only a
  // session branch has per-file diffs, and only of the files its review still lists (after a
  // merge the session is done and has none).
  useEffect(() => {
    if (!selected || !data || !data.branch || !data.files.some((file) => file.path === selected)) {
      setDiff(null);
      return;
    }
    let live = true;
    api.get<ReviewDiff>(`/api/sessions/${session.id}/review/diff`, { path: selected }).then(
      (next) => live && setDiff(next),
      (failure: unknown) => live && setError(describeError(failure)),
    );
    return () => {
      live = false;
    };
  }, [api, session.id, selected, data]);

  /** Runs one action; its success message, or its error, replaces the previous one. */
  async function run(action: () => Promise<string>) {
    setBusy(true);
    setNotice(null);
    setError(null);
    try {
      setNotice(await action());
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function sendMessage(content: string) {
    await api.post(`/api/sessions/${session.id}/messages`, { content });
    onMessageSent();
  }

  const commentList = Object.values(comments);

  function requestChanges() {
    void run(async () => {
      await sendMessage(requestChangesMessage(commentList, data?.branch ?? null, data?.base ?? null));
      setComments({});
      return `Sent ${commentList.length === 1 ? 'your comment' : `your ${commentList.length} comments`} to the agent.`;
    });
  }

  function askToResolve(current: Review & { branch: string }) {
    void run(async () => {
      await sendMessage(resolveConflictsMessage(current.conflicts, current.branch, current.base ?? session.base_branch ?? 'the base'));
      return 'Asked the agent to resolve the conflicts; the review refreshes when its turn ends.';
    });
  }

  if (!data) {
    return (
      <section className="review panel" aria-labelledby="review-heading">
        <h2 id="review-heading">Review</h2>
        <ErrorNote error={review.error} />
        {review.loading && <p className="empty">Loading the review…</p>}
      </section>
    );
  }

  const additions = data.files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = data.files.reduce((sum, file) => sum + file.deletions, 0);
  const branch = data.branch;
  return (
    <section className="review panel" aria-labelledby="review-heading">
      <div className="panel-header">
        <h2 id="review-heading">Review</h2>
        <button type="button" className="small" onClick={review.reload}>
          Refresh
        </button>
      </div>
      <p className="meta">
        {branch ? (
          <>
            <code>{branch}</code> into <code>{data.base ?? 'its base'}</code> · {data.ahead} ahead, {data.behind}{' '}
            behind
          </>
        ) : (
          'Uncommitted changes of the main checkout'
        )}
        {' · '}
        {fileCount(data.files.length)}{' '}
        <span className="diffstat">
          <span className="added">+{additions}</span> <span className="deleted">−{deletions}</span>
        </span>
        {data.uncommitted > 0 && ` · ${fileCount(data.uncommitted)} not committed yet (a merge commits them)`}
      </p>
      <ErrorNote error={review.error} />

      {branch && data.conflicts.length > 0 && (
        <div className="conflicts" role="region" aria-label="Conflicts">
          <p>
            <strong>
              {fileCount(data.conflicts.length)} would conflict with {data.base ?? 'the base'}:
            </strong>
          </p>
          <ul className="file-names">
            {data.conflicts.map((file) => (
              <li key={file}>
                <code>{file}</code>
              </li>
            ))}
          </ul>
          <button type="button" disabled={busy} onClick={() => askToResolve({ ...data, branch })}>
            Ask the agent to resolve
          </button>
        </div>
      )}

      <div className="review-body">
        <ul className="file-list review-files" aria-label="Changed files">
          {data.files.length === 0 && <li className="empty">No changes against the base.</li>}
          {data.files.map((file) => (
            <li key={file.path} className={selected === file.path ? 'selected' : undefined}>
              <span className={`file-status status-${file.status}`} title={file.status}>
                {file.status.slice(0, 1).toUpperCase()}
              </span>
              <button
                type="button"
                className="link-button file-path"
                aria-pressed={selected === file.path}
                onClick={() => setSelected(file.path)}
              >
                {file.path}
              </button>
              <span className="diffstat" aria-label={`${file.additions} added, ${file.deletions} removed`}>
                <span className="added">+{file.additions}</span> <span className="deleted">−{file.deletions}</span>
              </span>
            </li>
          ))}
        </ul>

        {selected && (
          <div className="review-diff-panel">
            <div className="panel-header">
              <h3>
                <code>{selected}</code>
              </h3>
              <div className="layout-toggle" role="group" aria-label="Diff layout">
                <button type="button" className="small" aria-pressed={layout === 'unified'} onClick={() => setLayout('unified')}>
                  Unified
                </button>
                <button type="button" className="small" aria-pressed={layout === 'split'} onClick={() => setLayout('split')}>
                  Side by side
                </button>
              </div>
            </div>
            {diff?.path === selected && (
              <ReviewDiffView
                path={selected}
                diff={diff.diff}
                layout={layout}
                comments={comments}
                onSaveComment={(comment) => setComments((current) => ({ ...current, [commentKey(comment)]: comment }))}
                onRemoveComment={(key) =>
                  setComments((current) => Object.fromEntries(Object.entries(current).filter(([other]) => other !== key)))
                }
              />
            )}
          </div>
        )}
      </div>

      <div className="review-actions">
        <button type="button" className="primary" disabled={busy || commentList.length === 0} onClick={requestChanges}>
          Request changes{commentList.length > 0 ? ` (${commentList.length})` : ''}
        </button>
        {commentList.length === 0 && <p className="hint">Comment on diff lines with their + button, then send them all at once.</p>}
      </div>

      {session.mode === 'explore' ? (
        <p className="hint">An explore session only reads the project, so it has no work to merge.</p>
      ) : !branch ? (
        <p className="hint">
          This session works on the main checkout itself, without a branch of its own: there is nothing to merge,
          rebase or push. Commit its changes in Source control.
        </p>
      ) : (
        <MergeActions sessionId={session.id} branch={branch} review={data} busy={busy} run={run} />
      )}

      {notice && (
        <p className="result-note" role="status">
          {notice}
        </p>
      )}
      <RefusalNote error={error} onDismiss={() => setError(null)} />
    </section>
  );
}

type MergeActionsProps = {
  sessionId: string;
  branch: string;
  review: Review;
  busy: boolean;
  run: (action: () => Promise<string>) => void;
};

function MergeActions({ sessionId, branch, review, busy, run }: MergeActionsProps) {
  const api = useApi();
  const [strategy, setStrategy] = useState<'squash' | 'merge'>('squash');
  const [message, setMessage] = useState('');

  function merge(event: FormEvent) {
    event.preventDefault();
    const body: MergeRequest = { strategy };
    if (message.trim()) body.message = message.trim();
    run(async () => {
      const merged = await api.post<Merged>(`/api/sessions/${sessionId}/merge`, body);
      return `Merged ${branch} into ${merged.base} as ${shortHash(merged.commit)}. The session is done.`;
    });
  }

  function rebase() {
    run(async () => {
      const rebased = await api.post<Rebased>(`/api/sessions/${sessionId}/rebase`);
      return `Rebased ${branch} onto ${review.base ?? 'its base'}; its tip is now ${shortHash(rebased.commit)}.`;
    });
  }

  function push() {
    run(async () => {
      const pushed = await api.post<Pushed>(`/api/sessions/${sessionId}/push`);
      if (pushed.compare_url) window.open(pushed.compare_url, '_blank', 'noopener');
      return `Pushed ${pushed.branch} to ${pushed.remote}.${pushed.compare_url ? ' The pull request page opened in a new tab.' : ''}`;
    });
  }

  return (
    <div className="merge-actions">
      <form className="form merge-form" onSubmit={merge} aria-label="Merge">
        <div className="field">
          <label htmlFor="merge-strategy">Strategy</label>
          <select id="merge-strategy" value={strategy} onChange={(event) => setStrategy(event.target.value === 'merge' ? 'merge' : 'squash')}>
            <option value="squash">Squash into one commit</option>
            <option value="merge">Merge commit</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="merge-message">Commit message (optional)</label>
          <input
            id="merge-message"
            value={message}
            placeholder="The session's title"
            onChange={(event) => setMessage(event.target.value)}
          />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Merge into {review.base ?? 'base'}
        </button>
      </form>
      <div className="actions">
        <button type="button" disabled={busy} onClick={rebase}>
          Rebase onto {review.base ?? 'base'}
        </button>
        <button type="button" disabled={busy} onClick={push}>
          Push
        </button>
      </div>
    </div>
  );
}

function shortHash(commit: string): string {
  return commit.slice(0, 10);
}

/** An API error, with the files a refusal names (`merge_conflict`, `checkout_dirty`). */
function RefusalNote({ error, onDismiss }: { error: ApiError | null; onDismiss: () => void }) {
  if (!error) return null;
  return (
    <>
      <ErrorNote error={error} onDismiss={onDismiss} />
      {error.files && error.files.length > 0 && (
        <div className="refusal-files">
          <p>{error.code === 'checkout_dirty' ? 'Uncommitted changes in the main checkout:' : 'Conflicting files:'}</p>
          <ul className="file-names" aria-label="Files of the refusal">
            {error.files.map((file) => (
              <li key={file}>
                <code>{file}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}
