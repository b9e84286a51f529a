// The chat of one session as the reducer describes it: stored messages, messages on their way,
// the turn being streamed, permission prompts, and the composer (Enter sends, Shift+Enter is a
// new line).

import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { ChatState, LiveSegment } from '../api/chat';
import type { Message, ToolUse } from '../api/wire';
import { formatCost, formatJson } from '../format';
import { ErrorNote } from './ErrorNote';

export type ChatPanelProps = {
  state: ChatState;
  onSend: (content: string) => void;
  onStop: () => void;
  onPermission: (requestId: string, allow: boolean) => void;
  onDismissError: () => void;
  /** The composer took focus: a message may follow soon. */
  onComposerFocus?: () => void;
};

export function ChatPanel({ state, onSend, onStop, onPermission, onDismissError, onComposerFocus }: ChatPanelProps) {
  const [draft, setDraft] = useState('');
  const log = useRef<HTMLDivElement>(null);

  // Follow the conversation as it grows.
  useEffect(() => {
    const element = log.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [state.messages, state.pending, state.live, state.permissions]);

  function submit() {
    const content = draft.trim();
    if (!content) return;
    onSend(content);
    setDraft('');
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  }

  const beforeLive = state.pending.filter((message) => !message.queued);
  const afterLive = state.pending.filter((message) => message.queued);

  return (
    <section className="chat panel" aria-label="Chat">
      <div className="chat-log" ref={log} aria-live="polite">
        {state.messages.length === 0 && state.pending.length === 0 && state.live.length === 0 && (
          <p className="empty">No messages yet. Say what the agent should do.</p>
        )}
        {state.messages.map((message) => (
          <MessageView key={message.id} message={message} />
        ))}
        {beforeLive.map((message) => (
          <article key={message.localId} className="message user pending">
            <p className="message-text">{message.content}</p>
          </article>
        ))}
        {state.live.length > 0 && <LiveTurn segments={state.live} />}
        {state.running && state.live.length === 0 && <p className="thinking">The agent is working…</p>}
        {afterLive.map((message) => (
          <article key={message.localId} className="message user pending">
            <p className="message-text">{message.content}</p>
            <p className="meta">Queued</p>
          </article>
        ))}
        {state.permissions.map((request) => (
          <article key={request.requestId} className="permission" aria-label={`Permission for ${request.tool}`}>
            <p>
              The agent asks to use <strong>{request.tool}</strong>.
            </p>
            <pre className="code">{formatJson(request.input)}</pre>
            <div className="actions">
              <button type="button" className="primary" onClick={() => onPermission(request.requestId, true)}>
                Allow
              </button>
              <button type="button" className="danger" onClick={() => onPermission(request.requestId, false)}>
                Deny
              </button>
            </div>
          </article>
        ))}
      </div>
      {state.queued > 0 && (
        <p className="queued" role="status">
          {state.queued === 1 ? '1 message queued' : `${state.queued} messages queued`} behind the running turn.
        </p>
      )}
      <ErrorNote error={state.error} onDismiss={onDismissError} />
      <form
        className="composer"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <label htmlFor="chat-input" className="visually-hidden">
          Message
        </label>
        <textarea
          id="chat-input"
          rows={3}
          value={draft}
          placeholder="Message the agent (Enter sends, Shift+Enter for a new line)"
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
          onFocus={onComposerFocus}
        />
        <div className="composer-actions">
          <button type="submit" className="primary" disabled={!draft.trim()}>
            Send
          </button>
          {state.running && (
            <button type="button" className="danger" onClick={onStop}>
              Stop
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function MessageView({ message }: { message: Message }) {
  // The server may send a missing cost as null rather than leaving it out.
  const cost = message.cost_usd ?? null;
  const facts = [cost !== null ? `Turn cost ${formatCost(cost)}` : '', message.interrupted ? 'Interrupted' : '']
    .filter(Boolean)
    .join(' · ');
  return (
    <article className={`message ${message.role}`}>
      {message.content && <p className="message-text">{message.content}</p>}
      {message.tool_use?.map((use, index) => (
        <ToolCard key={index} use={use} />
      ))}
      {facts && <p className="meta">{facts}</p>}
    </article>
  );
}

function LiveTurn({ segments }: { segments: LiveSegment[] }) {
  return (
    <article className="message assistant live" aria-busy="true" data-testid="live-turn">
      {segments.map((segment, index) =>
        segment.kind === 'text' ? (
          <p key={index} className="message-text">
            {segment.text}
          </p>
        ) : (
          <ToolCard key={index} use={segment} />
        ),
      )}
    </article>
  );
}

function ToolCard({ use }: { use: ToolUse }) {
  const done = use.result !== undefined && use.result !== null;
  return (
    <details className="tool-card">
      <summary>
        <span className="tool-name">{use.tool}</span> <span className="meta">{done ? 'done' : 'running…'}</span>
      </summary>
      <h4>Input</h4>
      <pre className="code">{formatJson(use.input)}</pre>
      {done && (
        <>
          <h4>Result</h4>
          <pre className="code">{formatJson(use.result)}</pre>
        </>
      )}
    </details>
  );
}
