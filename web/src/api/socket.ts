// The one WebSocket to `/ws`: connects, reconnects with backoff after any close, fans server
// events out to subscribers (all events, or those of one session), and tells listeners when a
// connection comes back so they can re-fetch what they missed. Created once in main.tsx and
// handed down through React context; tests pass a fake WebSocket constructor.

import { createContext, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ClientEvent, ServerEvent } from './wire';

export type SocketStatus = 'connecting' | 'open' | 'closed';

type Listener<T> = (value: T) => void;
type Unsubscribe = () => void;

/** What components need from the socket; `createSocket` is the real one. */
export type Socket = {
  status(): SocketStatus;
  subscribeStatus(listener: () => void): Unsubscribe;
  subscribe(listener: Listener<ServerEvent>): Unsubscribe;
  subscribeSession(sessionId: string, listener: Listener<ServerEvent>): Unsubscribe;
  /**
   * Called each time the socket opens again after having been open before, and when the server
   * says this client fell behind (`chat:streaming` with `resync`): either way events were missed,
   * and the store has them.
   */
  onReconnect(listener: () => void): Unsubscribe;
  /** Sends when open; returns false (nothing sent) otherwise. */
  send(event: ClientEvent): boolean;
  close(): void;
};

/** The subset of the browser WebSocket this module uses. */
export type WebSocketLike = {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(): void;
};

export type SocketOptions = {
  url: string;
  WebSocket: new (url: string) => WebSocketLike;
  /** Delays before successive reconnect attempts; the last one repeats. */
  reconnectDelaysMs?: number[];
};

const OPEN = 1;

/** Whether a server event concerns `sessionId`. */
export function eventConcernsSession(event: ServerEvent, sessionId: string): boolean {
  switch (event.type) {
    case 'chat:streaming':
      // Every session's view needs this one: it says whether that session is running or not.
      return true;
    case 'session:updated':
      return event.session.id === sessionId;
    case 'image:progress':
    case 'image:done':
    case 'image:error':
      return false;
    default:
      return event.sessionId === sessionId;
  }
}

function parseEvent(data: unknown): ServerEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const value = JSON.parse(data) as { type?: unknown };
    return typeof value?.type === 'string' ? (value as ServerEvent) : null;
  } catch {
    return null;
  }
}

export function createSocket(options: SocketOptions): Socket {
  const delays = options.reconnectDelaysMs ?? [500, 1000, 2000, 5000, 10000];
  const statusListeners = new Set<() => void>();
  const eventListeners = new Set<Listener<ServerEvent>>();
  const reconnectListeners = new Set<() => void>();
  let status: SocketStatus = 'closed';
  let socket: WebSocketLike | null = null;
  let attempts = 0;
  let hasBeenOpen = false;
  let closedByUs = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function setStatus(next: SocketStatus) {
    if (status === next) return;
    status = next;
    statusListeners.forEach((listener) => listener());
  }

  function scheduleReconnect() {
    const delay = delays[Math.min(attempts, delays.length - 1)];
    attempts += 1;
    timer = setTimeout(connect, delay);
  }

  function connect() {
    timer = null;
    setStatus('connecting');
    const current = new options.WebSocket(options.url);
    socket = current;
    current.onopen = () => {
      attempts = 0;
      setStatus('open');
      if (hasBeenOpen) reconnectListeners.forEach((listener) => listener());
      hasBeenOpen = true;
    };
    current.onmessage = (message) => {
      const event = parseEvent(message.data);
      if (!event) return;
      eventListeners.forEach((listener) => listener(event));
      if (event.type === 'chat:streaming' && event.resync) reconnectListeners.forEach((listener) => listener());
    };
    current.onclose = () => {
      if (socket !== current) return;
      socket = null;
      setStatus('closed');
      if (!closedByUs) scheduleReconnect();
    };
    // An error is always followed by a close, which schedules the retry.
    current.onerror = () => {};
  }

  connect();

  return {
    status: () => status,
    subscribeStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    subscribe(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    subscribeSession(sessionId, listener) {
      const filtered = (event: ServerEvent) => {
        if (eventConcernsSession(event, sessionId)) listener(event);
      };
      eventListeners.add(filtered);
      return () => eventListeners.delete(filtered);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    send(event) {
      if (!socket || socket.readyState !== OPEN) return false;
      socket.send(JSON.stringify(event));
      return true;
    },
    close() {
      closedByUs = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      socket = null;
      setStatus('closed');
    },
  };
}

/** The `/ws` URL on the page's own origin, so the session cookie goes along. */
export function socketUrl(location: Location): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

export const SocketContext = createContext<Socket | null>(null);

export function useSocket(): Socket {
  const socket = useContext(SocketContext);
  if (!socket) throw new Error('useSocket needs a SocketContext provider');
  return socket;
}

export function useSocketStatus(): SocketStatus {
  const socket = useSocket();
  return useSyncExternalStore(socket.subscribeStatus, socket.status);
}

/**
 * Calls `handler` for every server event (or only those of `sessionId` when given).
 * The latest handler is kept in a ref so callers need not memoise it.
 */
export function useSocketEvents(handler: Listener<ServerEvent>, sessionId?: string): void {
  const socket = useSocket();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const forward = (event: ServerEvent) => latest.current(event);
    return sessionId ? socket.subscribeSession(sessionId, forward) : socket.subscribe(forward);
  }, [socket, sessionId]);
}

/** Calls `handler` each time the socket comes back after a disconnect. */
export function useReconnect(handler: () => void): void {
  const socket = useSocket();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => socket.onReconnect(() => latest.current()), [socket]);
}
