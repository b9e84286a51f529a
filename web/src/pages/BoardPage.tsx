// A project's session board: four workflow columns, cards that move by buttons, arrow keys or
// drag and drop (PATCH /api/sessions/{id}/status, each move announced in a live region), live
// updates from `session:updated`, what each session needs from the user (`attention.ts`), the
// review summary of cards waiting in In progress and Review, and the form that creates a session.

import { useEffect, useState, type DragEvent, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { describeError, useApi } from '../api/client';
import { useReconnect, useSocketEvents } from '../api/socket';
import type { Agent, ApiError, CreateSession, Project, Session, SessionMode, SessionStatus } from '../api/wire';
import { attentionLabels, useAttention, type Attention } from '../attention';
import { ErrorNote } from '../components/ErrorNote';
import { modeLabels, modes, runStateLabels, statusLabels, statuses } from '../format';
import { useResource } from '../useResource';
import { fileCount, useReview } from '../useReview';

const DRAG_TYPE = 'application/x-agentyard-session';

export function BoardPage() {
  const { projectId = '' } = useParams();
  const api = useApi();
  const project = useResource(() => api.get<Project>(`/api/projects/${projectId}`), [api, projectId]);
  const sessions = useResource(
    () => api.get<Session[]>('/api/sessions', { project_id: projectId }),
    [api, projectId],
  );
  const agents = useResource(() => api.get<Agent[]>('/api/agents'), [api]);
  const [moveError, setMoveError] = useState<ApiError | null>(null);
  const [dropTarget, setDropTarget] = useState<SessionStatus | null>(null);
  const [announcement, setAnnouncement] = useState('');
  // A card moved by the keyboard lands in another column as a new element; focus follows it.
  const [focusAfterMove, setFocusAfterMove] = useState<string | null>(null);

  useEffect(() => {
    if (!focusAfterMove) return;
    document.querySelector<HTMLElement>(`[data-session-card="${focusAfterMove}"]`)?.focus();
    setFocusAfterMove(null);
  }, [focusAfterMove, sessions.data]);

  const upsert = (session: Session) =>
    sessions.set((list) => {
      const current = list ?? [];
      return current.some((item) => item.id === session.id)
        ? current.map((item) => (item.id === session.id ? session : item))
        : [...current, session];
    });

  useSocketEvents((event) => {
    if (event.type === 'session:updated' && event.session.project_id === projectId) upsert(event.session);
  });
  useReconnect(sessions.reload);

  async function move(session: Session, status: SessionStatus, keepFocus = false) {
    if (session.status === status) return;
    try {
      upsert(await api.patch<Session>(`/api/sessions/${session.id}/status`, { status }));
      setMoveError(null);
      setAnnouncement(`Moved ${session.title || 'session'} to ${statusLabels[status]}.`);
      if (keepFocus) setFocusAfterMove(session.id);
    } catch (failure) {
      setMoveError(describeError(failure));
    }
  }

  function drop(event: DragEvent, status: SessionStatus) {
    event.preventDefault();
    setDropTarget(null);
    const id = event.dataTransfer.getData(DRAG_TYPE);
    const session = sessions.data?.find((item) => item.id === id);
    if (session) void move(session, status);
  }

  const attention = useAttention();
  // The card names the agent and the CLI it runs, so Claude and Codex sessions tell apart at a glance.
  const agentName = (id: string) => {
    const agent = agents.data?.find((candidate) => candidate.id === id);
    return agent ? `${agent.name} · ${agent.cli}` : 'Unknown agent';
  };

  return (
    <section className="page">
      <p className="breadcrumb">
        <Link to="/projects">Projects</Link> /
      </p>
      <h1>{project.data?.name ?? 'Project'}</h1>
      {project.data?.description && <p>{project.data.description}</p>}
      <ErrorNote error={project.error ?? sessions.error} />
      <ErrorNote error={moveError} onDismiss={() => setMoveError(null)} />
      <p className="visually-hidden" aria-live="polite" data-testid="board-announcement">
        {announcement}
      </p>
      <p className="hint" id="card-keys-hint">
        Drag a card to another column, or focus it and press the left or right arrow key.
      </p>
      <CreateSessionForm projectId={projectId} agents={agents.data ?? []} onCreated={upsert} />
      <div className="board">
        {statuses.map((status) => {
          const column = (sessions.data ?? []).filter((session) => session.status === status);
          return (
            <section
              key={status}
              className={`column${dropTarget === status ? ' drop-target' : ''}`}
              aria-labelledby={`column-${status}`}
              data-testid={`column-${status}`}
              onDragOver={(event) => {
                if (event.dataTransfer.types.includes(DRAG_TYPE)) {
                  event.preventDefault();
                  setDropTarget(status);
                }
              }}
              onDragLeave={() => setDropTarget(null)}
              onDrop={(event) => drop(event, status)}
            >
              <h2 id={`column-${status}`} className="column-title">
                {statusLabels[status]} <span className="count">{column.length}</span>
              </h2>
              <ul className="column-cards">
                {column.map((session) => (
                  <SessionCard
                    key={session.id}
                    session={session}
                    agentName={agentName(session.agent_id)}
                    attention={attention[session.id]}
                    onMove={(target, keepFocus) => move(session, target, keepFocus)}
                  />
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </section>
  );
}

type SessionCardProps = {
  session: Session;
  agentName: string;
  /** What the session needs from the user, if anything. */
  attention?: Attention;
  /** `keepFocus` when the keyboard moved the card, so focus follows it to its new column. */
  onMove: (status: SessionStatus, keepFocus?: boolean) => void;
};

/** Columns whose cards show their review: work under way, and work waiting to be merged. */
const reviewedStatuses: SessionStatus[] = ['in_progress', 'review'];

function SessionCard({ session, agentName, attention, onMove }: SessionCardProps) {
  function keyDown(event: KeyboardEvent<HTMLLIElement>) {
    // Only the card itself: arrow keys inside its links and buttons keep their usual meaning.
    if (event.target !== event.currentTarget) return;
    const offset = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    const target = statuses[statuses.indexOf(session.status) + offset];
    if (offset === 0 || !target) return;
    event.preventDefault();
    onMove(target, true);
  }

  return (
    <li
      className="card session-card"
      draggable
      tabIndex={0}
      data-session-card={session.id}
      aria-describedby="card-keys-hint"
      onKeyDown={keyDown}
      onDragStart={(event) => {
        event.dataTransfer.setData(DRAG_TYPE, session.id);
        event.dataTransfer.effectAllowed = 'move';
      }}
    >
      <h3 className="card-title">
        <Link to={`/sessions/${session.id}`}>{session.title || 'Untitled session'}</Link>
      </h3>
      <p className="meta">
        {agentName} · {modeLabels[session.mode]}
      </p>
      <p className="badges">
        {attention && (
          <span className={`badge attention attention-${attention}`} data-testid="card-attention">
            {attentionLabels[attention]}
          </span>
        )}
        <span className={`badge run-${session.run_state}`}>{runStateLabels[session.run_state]}</span>
        {session.branch && <span className="badge branch">{session.branch}</span>}
      </p>
      {session.branch && reviewedStatuses.includes(session.status) && <CardReview sessionId={session.id} />}
      <div className="move-buttons" role="group" aria-label={`Move ${session.title || 'session'}`}>
        {statuses
          .filter((status) => status !== session.status)
          .map((status) => (
            <button
              key={status}
              type="button"
              className="small"
              onClick={() => onMove(status)}
              aria-label={`Move ${session.title || 'session'} to ${statusLabels[status]}`}
            >
              → {statusLabels[status]}
            </button>
          ))}
      </div>
    </li>
  );
}

/** The size of a session's work and whether it merges cleanly; nothing for a main-checkout session. */
function CardReview({ sessionId }: { sessionId: string }) {
  const review = useReview(sessionId).data;
  if (!review?.branch) return null;
  const additions = review.files.reduce((sum, file) => sum + file.additions, 0);
  const deletions = review.files.reduce((sum, file) => sum + file.deletions, 0);
  return (
    <p className="card-review" data-testid="card-review">
      <span className="diffstat">
        <span className="added">+{additions}</span> <span className="deleted">−{deletions}</span>
      </span>
      <span>{fileCount(review.files.length)}</span>
      <span>
        {review.ahead} ahead, {review.behind} behind {review.base ?? 'the base'}
      </span>
      {review.conflicts.length > 0 && (
        <span className="badge conflict" title={`Conflicts with ${review.base ?? 'the base'}: ${review.conflicts.join(', ')}`}>
          {review.conflicts.length} {review.conflicts.length === 1 ? 'conflict' : 'conflicts'}
        </span>
      )}
    </p>
  );
}

type CreateSessionFormProps = {
  projectId: string;
  agents: Agent[];
  onCreated: (session: Session) => void;
};

function CreateSessionForm({ projectId, agents, onCreated }: CreateSessionFormProps) {
  const api = useApi();
  const [title, setTitle] = useState('');
  const [agentId, setAgentId] = useState('');
  const [mode, setMode] = useState<SessionMode>('execute');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const body: CreateSession = { project_id: projectId, mode };
    if (title.trim()) body.title = title.trim();
    if (agentId) body.agent_id = agentId;
    setBusy(true);
    try {
      onCreated(await api.post<Session>('/api/sessions', body));
      setTitle('');
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form inline-form panel" onSubmit={submit} aria-label="New session">
      <div className="field">
        <label htmlFor="session-title">Title</label>
        <input id="session-title" value={title} onChange={(event) => setTitle(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="session-agent">Agent</label>
        <select id="session-agent" value={agentId} onChange={(event) => setAgentId(event.target.value)}>
          <option value="">Default agent</option>
          {agents.map((agent) => (
            <option key={agent.id} value={agent.id}>
              {agent.icon ? `${agent.icon} ` : ''}
              {agent.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="session-mode">Mode</label>
        <select id="session-mode" value={mode} onChange={(event) => setMode(event.target.value as SessionMode)}>
          {modes.map((value) => (
            <option key={value} value={value}>
              {modeLabels[value]}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Creating…' : 'New session'}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
