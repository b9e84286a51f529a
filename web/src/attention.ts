// Which sessions need the user: a turn ended and its reply is unread, a turn failed, or the agent
// waits for a permission answer. Derived from the WebSocket envelopes by a pure reducer, cleared
// when the user opens the session's page. The store built on it keeps the tab title counting
// those sessions and, when the user allowed it and the tab is hidden, shows a browser notification.
// Notifications are asked for only through `requestNotifications` (a button), never on load.

import { createContext, useContext, useEffect, useSyncExternalStore } from 'react';
import { REPORT_CODES } from './api/chat';
import type { Socket } from './api/socket';
import type { ServerEvent } from './api/wire';

export type Attention = 'done' | 'failed' | 'waiting';

/** Sessions needing attention, by session id. */
export type AttentionMap = Readonly<Record<string, Attention>>;

export type AttentionAction = { type: 'event'; event: ServerEvent } | { type: 'seen'; sessionId: string };

export const attentionLabels: Record<Attention, string> = {
  done: 'Done, unread',
  failed: 'Failed',
  waiting: 'Waiting for you',
};

const notificationTexts: Record<Attention, string> = {
  done: 'The agent is done.',
  failed: 'The turn failed.',
  waiting: 'The agent waits for your permission answer.',
};

/** The attention an envelope calls for, with its session; null when it calls for none. */
function attentionOf(event: ServerEvent): { sessionId: string; attention: Attention } | null {
  switch (event.type) {
    case 'chat:done':
      return { sessionId: event.sessionId, attention: 'done' };
    case 'chat:permission':
      return { sessionId: event.sessionId, attention: 'waiting' };
    case 'chat:error':
      // Reports during or after a turn end nothing; an error without a session is one client's own.
      if (!event.sessionId || (event.code && REPORT_CODES.has(event.code))) return null;
      return { sessionId: event.sessionId, attention: 'failed' };
    default:
      return null;
  }
}

export function attentionReducer(state: AttentionMap, action: AttentionAction): AttentionMap {
  if (action.type === 'seen') {
    if (!(action.sessionId in state)) return state;
    const next = { ...state };
    delete next[action.sessionId];
    return next;
  }
  const marked = attentionOf(action.event);
  if (!marked || state[marked.sessionId] === marked.attention) return state;
  return { ...state, [marked.sessionId]: marked.attention };
}

/** `(N) Agentyard` while N sessions need attention, else the plain name. */
export function attentionTitle(state: AttentionMap, base = 'Agentyard'): string {
  const count = Object.keys(state).length;
  return count > 0 ? `(${count}) ${base}` : base;
}

/** What a browser notification says about one session. */
export function notificationText(attention: Attention, sessionTitle: string | undefined) {
  return { title: sessionTitle || 'Agentyard session', body: notificationTexts[attention] };
}

export type NotificationPermissionState = NotificationPermission | 'unsupported';

/** The browser parts the store uses; tests pass their own. */
export type AttentionEnvironment = {
  document: Pick<Document, 'visibilityState' | 'title' | 'addEventListener' | 'removeEventListener'>;
  /** The browser's Notification constructor, absent where the browser has none. */
  Notification?: {
    readonly permission: NotificationPermission;
    requestPermission(): Promise<NotificationPermission>;
    new (title: string, options?: NotificationOptions): { onclick: ((event: Event) => void) | null };
  };
  /** The session's title for a notification; undefined when it cannot be read. */
  sessionTitle(sessionId: string): Promise<string | undefined>;
  /** Brings the session's page forward after a click on its notification. */
  open(sessionId: string): void;
};

export type AttentionStore = {
  snapshot(): AttentionMap;
  subscribe(listener: () => void): () => void;
  /** Follows the socket, the tab's visibility and keeps the title; returns the undo. */
  connect(socket: Socket): () => void;
  /** The user has `sessionId`'s page open: it is seen now, and whenever the tab shows again. */
  view(sessionId: string): () => void;
  notificationPermission(): NotificationPermissionState;
  /** Asks the browser once the user clicked for it. */
  requestNotifications(): Promise<void>;
};

export function createAttentionStore(environment: AttentionEnvironment): AttentionStore {
  const { document } = environment;
  const listeners = new Set<() => void>();
  let state: AttentionMap = {};
  let viewing: string | null = null;

  function dispatch(action: AttentionAction) {
    const next = attentionReducer(state, action);
    if (next === state) return;
    state = next;
    document.title = attentionTitle(state);
    listeners.forEach((listener) => listener());
  }

  const visible = () => document.visibilityState === 'visible';

  function notify(sessionId: string, attention: Attention) {
    const Notify = environment.Notification;
    if (!Notify || Notify.permission !== 'granted' || visible()) return;
    void environment.sessionTitle(sessionId).then((sessionTitle) => {
      const text = notificationText(attention, sessionTitle);
      const shown = new Notify(text.title, { body: text.body, tag: `agentyard-${sessionId}` });
      shown.onclick = () => environment.open(sessionId);
    });
  }

  function receive(event: ServerEvent) {
    const marked = attentionOf(event);
    if (!marked) return;
    // The page the user is looking at shows the event itself.
    if (marked.sessionId === viewing && visible()) return;
    const before = state;
    dispatch({ type: 'event', event });
    if (state !== before) notify(marked.sessionId, marked.attention);
  }

  function visibilityChanged() {
    if (viewing && visible()) dispatch({ type: 'seen', sessionId: viewing });
  }

  return {
    snapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connect(socket) {
      const unsubscribe = socket.subscribe(receive);
      document.addEventListener('visibilitychange', visibilityChanged);
      return () => {
        unsubscribe();
        document.removeEventListener('visibilitychange', visibilityChanged);
      };
    },
    view(sessionId) {
      viewing = sessionId;
      dispatch({ type: 'seen', sessionId });
      return () => {
        if (viewing === sessionId) viewing = null;
      };
    },
    notificationPermission: () => environment.Notification?.permission ?? 'unsupported',
    async requestNotifications() {
      await environment.Notification?.requestPermission();
      listeners.forEach((listener) => listener());
    },
  };
}

export const AttentionContext = createContext<AttentionStore | null>(null);

function useAttentionStore(): AttentionStore {
  const store = useContext(AttentionContext);
  if (!store) throw new Error('useAttention needs an AttentionContext provider');
  return store;
}

/** The sessions needing attention, re-rendering when that changes. */
export function useAttention(): AttentionMap {
  const store = useAttentionStore();
  return useSyncExternalStore(store.subscribe, store.snapshot);
}

/** Marks `sessionId` as seen while its page is open. */
export function useViewing(sessionId: string): void {
  const store = useAttentionStore();
  useEffect(() => store.view(sessionId), [store, sessionId]);
}

/** Whether notifications are allowed, and the way to ask. */
export function useNotificationPermission(): [NotificationPermissionState, () => Promise<void>] {
  const store = useAttentionStore();
  const permission = useSyncExternalStore(store.subscribe, store.notificationPermission);
  return [permission, store.requestNotifications];
}
