// The state of one session's chat and the pure reducer that folds history loads, local sends and
// WebSocket events into it. Kept free of React and IO so the streaming rules (chunks accumulate,
// tool uses pair with their results, queued turns start in order) are unit-tested on their own.

import type { Message, RunState, ServerEvent, Session, ToolUse } from './wire';

/** `chat:error` codes that report something during or after a turn and end nothing. */
export const REPORT_CODES: ReadonlySet<string> = new Set(['model_upstream', 'git_settings_restored']);

/** One piece of the turn being streamed, in arrival order. */
export type LiveSegment =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; tool: string; input: unknown; result?: string };

/** A message this browser sent that the history does not hold yet. */
export type PendingMessage = {
  localId: string;
  content: string;
  /** Sent while a turn ran, so it waits behind it. */
  queued: boolean;
};

export type PermissionRequest = {
  requestId: string;
  tool: string;
  input: unknown;
};

export type ChatError = {
  error: string;
  code?: string;
  remediation?: string;
};

export type ChatState = {
  sessionId: string;
  messages: Message[];
  pending: PendingMessage[];
  live: LiveSegment[];
  running: boolean;
  /** Messages the server reported as queued behind the running turn. */
  queued: number;
  permissions: PermissionRequest[];
  error: ChatError | null;
  session: Session | null;
};

export type ChatAction =
  | { type: 'history'; messages: Message[] }
  | { type: 'session'; session: Session }
  | { type: 'sent'; localId: string; content: string }
  | { type: 'permission-answered'; requestId: string }
  | { type: 'dismiss-error' }
  | { type: 'event'; event: ServerEvent };

export function initialChatState(sessionId: string): ChatState {
  return {
    sessionId,
    messages: [],
    pending: [],
    live: [],
    running: false,
    queued: 0,
    permissions: [],
    error: null,
    session: null,
  };
}

function isBusy(runState: RunState): boolean {
  return runState === 'running' || runState === 'starting';
}

function appendText(live: LiveSegment[], text: string): LiveSegment[] {
  const last = live[live.length - 1];
  if (last?.kind === 'text') {
    return [...live.slice(0, -1), { kind: 'text', text: last.text + text }];
  }
  return [...live, { kind: 'text', text }];
}

/**
 * Gives `result` to the oldest tool use still waiting for one, preferring one of the same tool:
 * the CLI reports results in call order, and a result whose tool name differs (renamed MCP tools)
 * still belongs to the oldest open call rather than being dropped.
 */
function attachResult(live: LiveSegment[], tool: string, result: string): LiveSegment[] {
  const open = (segment: LiveSegment) => segment.kind === 'tool' && segment.result === undefined;
  let index = live.findIndex((segment) => open(segment) && segment.kind === 'tool' && segment.tool === tool);
  if (index < 0) index = live.findIndex(open);
  if (index < 0) return [...live, { kind: 'tool', tool, input: undefined, result }];
  return live.map((segment, i) => (i === index && segment.kind === 'tool' ? { ...segment, result } : segment));
}

/** The assistant message a finished live turn stands for until the history is re-fetched. */
function liveToMessage(state: ChatState, id: string, cost: number | undefined, interrupted: boolean): Message {
  const tools: ToolUse[] = [];
  let content = '';
  for (const segment of state.live) {
    if (segment.kind === 'text') content += segment.text;
    else tools.push({ tool: segment.tool, input: segment.input, result: segment.result });
  }
  return {
    id,
    session_id: state.sessionId,
    role: 'assistant',
    content,
    tool_use: tools.length ? tools : null,
    cost_usd: cost,
    interrupted,
    created_at: new Date().toISOString(),
  };
}

/** Drops pending messages the history now holds (matched by content, each history message once). */
function reconcilePending(pending: PendingMessage[], messages: Message[]): PendingMessage[] {
  const unclaimed = new Map<string, number>();
  for (const message of messages) {
    if (message.role === 'user') unclaimed.set(message.content, (unclaimed.get(message.content) ?? 0) + 1);
  }
  return pending.filter((message) => {
    const count = unclaimed.get(message.content) ?? 0;
    if (count === 0) return true;
    unclaimed.set(message.content, count - 1);
    return false;
  });
}

function applyEvent(state: ChatState, event: ServerEvent): ChatState {
  switch (event.type) {
    case 'chat:streaming':
      return { ...state, running: event.sessionIds.includes(state.sessionId) };
    case 'chat:queued':
      return { ...state, queued: state.queued + 1 };
    case 'chat:chunk':
      return { ...state, running: true, live: appendText(state.live, event.content) };
    case 'chat:tool_use':
      return {
        ...state,
        running: true,
        live: [...state.live, { kind: 'tool', tool: event.tool, input: event.input }],
      };
    case 'chat:tool_result':
      return { ...state, live: attachResult(state.live, event.tool, event.result) };
    case 'chat:permission':
      return {
        ...state,
        permissions: [
          ...state.permissions.filter((request) => request.requestId !== event.requestId),
          { requestId: event.requestId, tool: event.tool, input: event.input },
        ],
      };
    case 'chat:done': {
      const finished = liveToMessage(state, event.messageId, event.cost ?? undefined, event.interrupted);
      const messages = state.messages.some((message) => message.id === event.messageId)
        ? state.messages
        : [...state.messages, finished];
      // A queued message starts its turn as soon as this one ends.
      const next = state.queued > 0;
      let pending = state.pending;
      const firstQueued = pending.findIndex((message) => message.queued);
      if (next && firstQueued >= 0) {
        pending = pending.map((message, i) => (i === firstQueued ? { ...message, queued: false } : message));
      }
      return {
        ...state,
        messages,
        pending,
        live: [],
        running: next,
        queued: next ? state.queued - 1 : 0,
        permissions: [],
      };
    }
    case 'chat:error': {
      const error = { error: event.error, code: event.code ?? undefined, remediation: event.remediation ?? undefined };
      // Reports while a turn goes on (the model's upstream failing while the CLI retries; git
      // settings put back after a turn) say what happened without ending anything.
      if (event.code && REPORT_CODES.has(event.code)) {
        return { ...state, error };
      }
      const partial = state.live.length
        ? [...state.messages, liveToMessage(state, `error-${state.messages.length}`, undefined, true)]
        : state.messages;
      return {
        ...state,
        messages: partial,
        live: [],
        running: false,
        queued: 0,
        permissions: [],
        error,
      };
    }
    case 'session:updated':
      return { ...state, session: event.session, running: isBusy(event.session.run_state) || state.live.length > 0 };
    case 'setup:output':
    case 'setup:state':
    case 'image:progress':
    case 'image:done':
    case 'image:error':
      return state;
  }
}

/**
 * The server stores the running turn's reply as it streams (an assistant message with no cost
 * yet, inserted when the turn started), so a history loaded mid-turn (a reload, a reconnect, a
 * resync) already holds what was streamed so far. Shown as a stored message it would be doubled
 * by the chunks that follow; so while a turn runs that reply becomes the live turn again, and
 * the user messages stored after it wait behind it as queued.
 */
function adoptRunningReply(state: ChatState): ChatState {
  if (!state.running) return state;
  let index = state.messages.length - 1;
  while (index >= 0 && state.messages[index].role !== 'assistant') index -= 1;
  const reply = state.messages[index];
  if (!reply || reply.interrupted || (reply.cost_usd ?? null) !== null) return state;
  const live: LiveSegment[] = [];
  if (reply.content) live.push({ kind: 'text', text: reply.content });
  for (const use of reply.tool_use ?? []) {
    live.push({ kind: 'tool', tool: use.tool, input: use.input, result: use.result ?? undefined });
  }
  const waiting = state.messages.slice(index + 1).filter((message) => message.role === 'user');
  return {
    ...state,
    messages: state.messages.slice(0, index),
    live,
    pending: [
      ...state.pending,
      ...waiting.map((message) => ({ localId: message.id, content: message.content, queued: true })),
    ],
    queued: waiting.length,
  };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'history':
      return adoptRunningReply({
        ...state,
        messages: action.messages,
        pending: reconcilePending(state.pending, action.messages),
      });
    case 'session': {
      const next = { ...state, session: action.session, running: state.running || isBusy(action.session.run_state) };
      // Only a live turn that has not started streaming here yet may be taken from the history.
      return next.live.length === 0 ? adoptRunningReply(next) : next;
    }
    case 'sent':
      return {
        ...state,
        error: null,
        pending: [...state.pending, { localId: action.localId, content: action.content, queued: state.running }],
      };
    case 'permission-answered':
      return { ...state, permissions: state.permissions.filter((request) => request.requestId !== action.requestId) };
    case 'dismiss-error':
      return { ...state, error: null };
    case 'event':
      return applyEvent(state, action.event);
  }
}
