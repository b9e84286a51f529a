import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSocket, type WebSocketLike } from './socket';
import type { ServerEvent } from './wire';

class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  sent: string[] = [];

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  drop() {
    this.readyState = 3;
    this.onclose?.(new CloseEvent('close'));
  }
  deliver(event: ServerEvent | string) {
    const data = typeof event === 'string' ? event : JSON.stringify(event);
    this.onmessage?.(new MessageEvent('message', { data }));
  }
}

const latest = () => FakeWebSocket.instances[FakeWebSocket.instances.length - 1];

describe('socket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.instances = [];
  });
  afterEach(() => vi.useRealTimers());

  it('delivers only the events of a subscribed session', () => {
    const socket = createSocket({ url: 'ws://x/ws', WebSocket: FakeWebSocket });
    latest().open();
    const seen: string[] = [];
    socket.subscribeSession('s1', (event) => seen.push(event.type));
    latest().deliver({ type: 'chat:chunk', sessionId: 's2', content: 'not mine' });
    latest().deliver({ type: 'chat:chunk', sessionId: 's1', content: 'mine' });
    latest().deliver({ type: 'image:done', tag: 'claude-agent-x' });
    latest().deliver('not json');
    expect(seen).toEqual(['chat:chunk']);
  });

  it('reconnects after a drop and tells listeners it is back', () => {
    const socket = createSocket({ url: 'ws://x/ws', WebSocket: FakeWebSocket, reconnectDelaysMs: [100] });
    const reconnected = vi.fn();
    socket.onReconnect(reconnected);
    latest().open();
    expect(reconnected).not.toHaveBeenCalled();

    latest().drop();
    expect(socket.status()).toBe('closed');
    vi.advanceTimersByTime(100);
    expect(FakeWebSocket.instances).toHaveLength(2);
    latest().open();
    expect(socket.status()).toBe('open');
    expect(reconnected).toHaveBeenCalledTimes(1);
  });

  it('asks listeners to reload when the server says this client fell behind', () => {
    const socket = createSocket({ url: 'ws://x/ws', WebSocket: FakeWebSocket });
    const reload = vi.fn();
    socket.onReconnect(reload);
    latest().open();
    latest().deliver({ type: 'chat:streaming', sessionIds: [] });
    expect(reload).not.toHaveBeenCalled();
    latest().deliver({ type: 'chat:streaming', sessionIds: ['s1'], resync: true });
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('sends only while open', () => {
    const socket = createSocket({ url: 'ws://x/ws', WebSocket: FakeWebSocket });
    expect(socket.send({ type: 'chat:stop', sessionId: 's1' })).toBe(false);
    latest().open();
    expect(socket.send({ type: 'chat:stop', sessionId: 's1' })).toBe(true);
    expect(latest().sent).toEqual(['{"type":"chat:stop","sessionId":"s1"}']);
  });

  it('stays closed once closed on purpose', () => {
    const socket = createSocket({ url: 'ws://x/ws', WebSocket: FakeWebSocket, reconnectDelaysMs: [100] });
    latest().open();
    socket.close();
    vi.advanceTimersByTime(1000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});
