// Test doubles: a Socket whose events the test emits, and a fetch that answers from a table of
// routes and records every call.

import { vi } from 'vitest';
import type { Fetch } from '../api/client';
import { eventConcernsSession, type Socket, type SocketStatus } from '../api/socket';
import type { ClientEvent, ServerEvent } from '../api/wire';

export class FakeSocket implements Socket {
  sent: ClientEvent[] = [];
  private listeners = new Set<(event: ServerEvent) => void>();
  private reconnectListeners = new Set<() => void>();
  private statusListeners = new Set<() => void>();
  private current: SocketStatus = 'open';

  status = () => this.current;
  subscribeStatus = (listener: () => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };
  subscribe = (listener: (event: ServerEvent) => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  subscribeSession = (sessionId: string, listener: (event: ServerEvent) => void) =>
    this.subscribe((event) => {
      if (eventConcernsSession(event, sessionId)) listener(event);
    });
  onReconnect = (listener: () => void) => {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  };
  send = (event: ClientEvent) => {
    this.sent.push(event);
    return this.current === 'open';
  };
  close = () => {};

  emit(event: ServerEvent) {
    this.listeners.forEach((listener) => listener(event));
  }
}

export type Route = (body: unknown, url: URL) => { status?: number; body?: unknown };

/** A fetch answering `"METHOD /path"` keys (path without query); unknown routes answer 404. */
export function fakeFetch(routes: Record<string, Route>) {
  return vi.fn<Fetch>(async (input, init) => {
    const url = new URL(input, 'http://localhost');
    const key = `${init?.method ?? 'GET'} ${url.pathname}`;
    const route = routes[key];
    if (!route) {
      return new Response(JSON.stringify({ error: `no route ${key}`, code: 'not_found' }), { status: 404 });
    }
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const answer = route(body, url);
    const status = answer.status ?? 200;
    return new Response(status === 204 ? null : JSON.stringify(answer.body ?? null), { status });
  });
}
