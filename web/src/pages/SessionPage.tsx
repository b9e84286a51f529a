// One session, in three tabs: its chat (history, then live over the WebSocket) beside the Source
// Control panel of the session's effective work path, the Review of its work against its base, and
// the Preview of its dev server.

import { useCallback, useEffect, useReducer, useRef, useState, type KeyboardEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { chatReducer, initialChatState } from '../api/chat';
import { describeError, useApi } from '../api/client';
import { useReconnect, useSocket, useSocketEvents } from '../api/socket';
import type { Agent, ApiError, Message, SendMessageAccepted, Session, SessionMode, SessionUsage } from '../api/wire';
import { useViewing } from '../attention';
import { ChatPanel } from '../components/ChatPanel';
import { ErrorNote } from '../components/ErrorNote';
import { PreviewPanel } from '../components/PreviewPanel';
import { ReviewPanel } from '../components/ReviewPanel';
import { SetupPanel } from '../components/SetupPanel';
import { SourceControl } from '../components/SourceControl';
import { formatCost, modeLabels, modes, runStateLabels, statusLabels } from '../format';

export function SessionPage() {
  const { sessionId = '' } = useParams();
  // A fresh view per session, so no state of the previous one leaks into the next.
  return <SessionView key={sessionId} sessionId={sessionId} />;
}

function SessionView({ sessionId }: { sessionId: string }) {
  const api = useApi();
  const socket = useSocket();
  const [state, dispatch] = useReducer(chatReducer, sessionId, initialChatState);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [gitRefresh, setGitRefresh] = useState(0);
  const [usage, setUsage] = useState<SessionUsage | null>(null);
  const [agent, setAgent] = useState<Agent | null>(null);
  const nextLocalId = useRef(0);
  const [tab, setTab] = useState<Tab>('chat');
  // Opening the page reads what the session had for the user (a reply, an error, a question).
  useViewing(sessionId);

  const loadHistory = useCallback(() => {
    api.get<Message[]>(`/api/sessions/${sessionId}/messages`).then(
      (messages) => dispatch({ type: 'history', messages }),
      (failure: unknown) => setLoadError(describeError(failure)),
    );
  }, [api, sessionId]);

  const loadSession = useCallback(() => {
    api.get<Session>(`/api/sessions/${sessionId}`).then(
      (session) => {
        dispatch({ type: 'session', session });
        setLoadError(null);
      },
      (failure: unknown) => setLoadError(describeError(failure)),
    );
  }, [api, sessionId]);

  const loadUsage = useCallback(() => {
    // The usage badge is a summary of what the history already shows; when it cannot be read
    // the page stays usable, so a failure only leaves the badge out.
    api.get<SessionUsage>(`/api/sessions/${sessionId}/usage`).then(setUsage, () => setUsage(null));
  }, [api, sessionId]);

  useEffect(() => {
    loadSession();
    loadHistory();
    loadUsage();
  }, [loadSession, loadHistory, loadUsage]);

  // The platform starts the session's container and agent ahead of the first message when the
  // page opens, and again when the composer takes focus after the agent was released for being
  // idle. A warm-up is only a head start: when it cannot happen, sending reports the problem.
  const lastWarm = useRef(0);
  const warm = useCallback(() => {
    const now = Date.now();
    if (now - lastWarm.current < WARM_AGAIN_AFTER_MS) return;
    lastWarm.current = now;
    api.post<void>(`/api/sessions/${sessionId}/warm`).catch(() => undefined);
  }, [api, sessionId]);
  const sessionStatus = state.session?.status;
  useEffect(() => {
    if (sessionStatus && sessionStatus !== 'done') warm();
  }, [sessionStatus, warm]);

  // Which CLI the session runs is its agent's; the badge is left out when the agent cannot be read.
  const agentId = state.session?.agent_id;
  useEffect(() => {
    if (!agentId) return;
    api.get<Agent>(`/api/agents/${agentId}`).then(setAgent, () => setAgent(null));
  }, [api, agentId]);

  useSocketEvents((event) => {
    dispatch({ type: 'event', event });
    if (event.type === 'chat:done') {
      // The stored messages carry ids, tool results and costs exactly as persisted.
      loadHistory();
      loadUsage();
      setGitRefresh((value) => value + 1);
    }
  }, sessionId);

  useReconnect(() => {
    loadSession();
    loadHistory();
  });

  async function send(content: string) {
    setActionError(null);
    dispatch({ type: 'sent', localId: `local-${nextLocalId.current++}`, content });
    if (socket.send({ type: 'chat:send', sessionId, content })) return;
    try {
      const accepted = await api.post<SendMessageAccepted>(`/api/sessions/${sessionId}/messages`, { content });
      if (accepted.queued) dispatch({ type: 'event', event: { type: 'chat:queued', sessionId } });
    } catch (failure) {
      setActionError(describeError(failure));
    }
  }

  async function stop() {
    setActionError(null);
    if (socket.send({ type: 'chat:stop', sessionId })) return;
    try {
      await api.post<void>(`/api/sessions/${sessionId}/stop`);
    } catch (failure) {
      setActionError(describeError(failure));
    }
  }

  function answerPermission(requestId: string, allow: boolean) {
    if (socket.send({ type: 'chat:permission', sessionId, requestId, allow })) {
      dispatch({ type: 'permission-answered', requestId });
      setActionError(null);
    } else {
      setActionError({
        error: 'The live connection is down, so the answer was not sent.',
        code: 'socket_closed',
        remediation: 'Wait for the connection to come back (see the header), then answer again.',
      });
    }
  }

  async function changeMode(mode: SessionMode) {
    try {
      dispatch({ type: 'session', session: await api.put<Session>(`/api/sessions/${sessionId}`, { mode }) });
      setActionError(null);
    } catch (failure) {
      setActionError(describeError(failure));
    }
  }

  const session = state.session;
  return (
    <section className="page session-page">
      {session && (
        <p className="breadcrumb">
          <Link to={`/projects/${session.project_id}`}>Back to board</Link>
        </p>
      )}
      <header className="session-header">
        <h1>{session?.title || 'Session'}</h1>
        {session && (
          <div className="session-facts">
            <span className={`badge run-${session.run_state}`}>{runStateLabels[session.run_state]}</span>
            <span className="badge">{statusLabels[session.status]}</span>
            {session.branch && (
              <span className="badge branch" title={session.base_branch ? `cut from ${session.base_branch}` : undefined}>
                {session.branch}
              </span>
            )}
            {session.kept_path && (
              <span className="badge" title="Ignored files and nested repositories of the session's worktree were kept here">
                untracked files kept in {session.kept_path}
              </span>
            )}
            {agent && (
              <span className="badge cli-badge" title={`The agent CLI of ${agent.name}`}>
                {agent.name} · {agent.cli}
              </span>
            )}
            {session.image && <span className="badge">{session.image}</span>}
            {usage && <UsageBadge usage={usage} />}
            <label htmlFor="session-mode-select">Mode</label>
            <select
              id="session-mode-select"
              value={session.mode}
              onChange={(event) => void changeMode(event.target.value as SessionMode)}
            >
              {modes.map((mode) => (
                <option key={mode} value={mode}>
                  {modeLabels[mode]}
                </option>
              ))}
            </select>
          </div>
        )}
      </header>
      <ErrorNote error={loadError} />
      <ErrorNote error={actionError} onDismiss={() => setActionError(null)} />
      <SetupPanel sessionId={sessionId} />
      <Tabs current={tab} onChange={setTab} />
      {/* The chat stays mounted behind the Review tab, so a draft message survives a look at the diff. */}
      <div className="session-layout" role="tabpanel" id="tabpanel-chat" aria-labelledby="tab-chat" hidden={tab !== 'chat'}>
        <ChatPanel
          state={state}
          onSend={send}
          onStop={stop}
          onPermission={answerPermission}
          onDismissError={() => dispatch({ type: 'dismiss-error' })}
          onComposerFocus={() => {
            if (sessionStatus !== 'done') warm();
          }}
        />
        {session && <SourceControl projectId={session.project_id} sessionId={sessionId} refreshKey={gitRefresh} />}
      </div>
      {tab === 'review' && (
        <div role="tabpanel" id="tabpanel-review" aria-labelledby="tab-review">
          {session && <ReviewPanel session={session} onMessageSent={loadHistory} />}
        </div>
      )}
      {tab === 'preview' && (
        <div role="tabpanel" id="tabpanel-preview" aria-labelledby="tab-preview">
          {session && <PreviewPanel session={session} />}
        </div>
      )}
    </section>
  );
}

type Tab = 'chat' | 'review' | 'preview';

/** A warm-up at most this often from one page (the platform ignores one for a ready session). */
const WARM_AGAIN_AFTER_MS = 30_000;
const tabs: { id: Tab; label: string }[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'review', label: 'Review' },
  { id: 'preview', label: 'Preview' },
];

/** The session's tabs, with the arrow keys moving between them as the ARIA tabs pattern says. */
function Tabs({ current, onChange }: { current: Tab; onChange: (tab: Tab) => void }) {
  function keyDown(event: KeyboardEvent<HTMLDivElement>) {
    const offset = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (offset === 0) return;
    event.preventDefault();
    const index = (tabs.findIndex((tab) => tab.id === current) + offset + tabs.length) % tabs.length;
    onChange(tabs[index].id);
    document.getElementById(`tab-${tabs[index].id}`)?.focus();
  }

  return (
    <div className="tabs" role="tablist" aria-label="Session views" onKeyDown={keyDown}>
      {tabs.map((tab) => (
        <button
          key={tab.id}
          type="button"
          role="tab"
          id={`tab-${tab.id}`}
          aria-selected={current === tab.id}
          aria-controls={`tabpanel-${tab.id}`}
          tabIndex={current === tab.id ? 0 : -1}
          onClick={() => onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** Tokens in and out and the cost so far, against the session's budget when one is set. */
function UsageBadge({ usage }: { usage: SessionUsage }) {
  const tokens = `${usage.input_tokens.toLocaleString('en-US')} in / ${usage.output_tokens.toLocaleString('en-US')} out`;
  const budget = usage.budget_usd !== null ? ` of ${formatCost(usage.budget_usd)}` : '';
  return (
    <span className="badge" data-testid="session-usage" title="Model tokens and cost of this session">
      {`${tokens} · ${formatCost(usage.cost_usd)}${budget}`}
    </span>
  );
}
