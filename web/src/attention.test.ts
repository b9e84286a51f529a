import { describe, expect, it, vi } from 'vitest';
import type { ServerEvent } from './api/wire';
import {
  attentionReducer,
  attentionTitle,
  createAttentionStore,
  type AttentionEnvironment,
  type AttentionMap,
} from './attention';
import { FakeSocket } from './test/fakes';

const done = (sessionId: string): ServerEvent => ({
  type: 'chat:done',
  sessionId,
  messageId: 'm1',
  cost: 0.01,
  interrupted: false,
});
const failed = (sessionId: string, code: string | null = 'agent_exited'): ServerEvent => ({
  type: 'chat:error',
  sessionId,
  error: 'the agent stopped',
  code,
  remediation: null,
});
const permission = (sessionId: string): ServerEvent => ({
  type: 'chat:permission',
  sessionId,
  requestId: 'r1',
  tool: 'Write',
  input: {},
});

function fold(events: ServerEvent[], state: AttentionMap = {}): AttentionMap {
  return events.reduce((current, event) => attentionReducer(current, { type: 'event', event }), state);
}

describe('attentionReducer', () => {
  it('marks a finished turn unread, a failed one failed and a permission request waiting', () => {
    expect(fold([done('a'), failed('b'), permission('c')])).toEqual({ a: 'done', b: 'failed', c: 'waiting' });
  });

  it('keeps the latest need of a session', () => {
    expect(fold([permission('a'), done('a')])).toEqual({ a: 'done' });
  });

  it('ignores reports that end no turn, errors of no session and streaming', () => {
    const state = fold([
      failed('a', 'model_upstream'),
      failed('a', 'git_settings_restored'),
      { type: 'chat:error', sessionId: null, error: 'bad message', code: 'bad_request', remediation: null },
      { type: 'chat:chunk', sessionId: 'a', content: 'hi' },
      { type: 'chat:streaming', sessionIds: ['a'] },
    ]);
    expect(state).toEqual({});
  });

  it('forgets a session once it is seen, and returns the same state when nothing changes', () => {
    const state = fold([done('a'), done('b')]);
    expect(attentionReducer(state, { type: 'seen', sessionId: 'a' })).toEqual({ b: 'done' });
    expect(attentionReducer(state, { type: 'seen', sessionId: 'z' })).toBe(state);
    expect(attentionReducer(state, { type: 'event', event: done('a') })).toBe(state);
  });
});

describe('attentionTitle', () => {
  it('counts the sessions needing attention', () => {
    expect(attentionTitle({})).toBe('Agentyard');
    expect(attentionTitle({ a: 'done', b: 'waiting' })).toBe('(2) Agentyard');
  });
});

/** A document, Notification and API the test controls. */
function environment(visibility: DocumentVisibilityState, permission: NotificationPermission) {
  const shown: { title: string; body?: string }[] = [];
  const visibilityListeners = new Set<() => void>();
  const fakeDocument = {
    visibilityState: visibility,
    title: 'Agentyard',
    addEventListener: (_: string, listener: () => void) => visibilityListeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => visibilityListeners.delete(listener),
  };
  class FakeNotification {
    static permission = permission;
    static requestPermission = vi.fn(async () => 'granted' as NotificationPermission);
    onclick: ((event: Event) => void) | null = null;
    constructor(title: string, options?: NotificationOptions) {
      shown.push({ title, body: options?.body });
    }
  }
  const env = {
    document: fakeDocument,
    Notification: FakeNotification,
    sessionTitle: async (sessionId: string) => `Session ${sessionId}`,
    open: vi.fn(),
  } as unknown as AttentionEnvironment;
  const show = (state: DocumentVisibilityState) => {
    fakeDocument.visibilityState = state;
    visibilityListeners.forEach((listener) => listener());
  };
  return { env, shown, document: fakeDocument, show };
}

describe('createAttentionStore', () => {
  it('counts in the title and notifies while the tab is hidden and notifications are allowed', async () => {
    const { env, shown, document } = environment('hidden', 'granted');
    const store = createAttentionStore(env);
    const socket = new FakeSocket();
    store.connect(socket);
    socket.emit(done('a'));
    socket.emit(permission('b'));
    expect(document.title).toBe('(2) Agentyard');
    await vi.waitFor(() => expect(shown).toHaveLength(2));
    expect(shown[0]).toEqual({ title: 'Session a', body: 'The agent is done.' });
    expect(shown[1].body).toContain('permission');
  });

  it('never notifies a visible tab or without permission', async () => {
    for (const [visibility, permission] of [
      ['visible', 'granted'],
      ['hidden', 'default'],
      ['hidden', 'denied'],
    ] as const) {
      const { env, shown, document } = environment(visibility, permission);
      const store = createAttentionStore(env);
      const socket = new FakeSocket();
      store.connect(socket);
      socket.emit(done('a'));
      await Promise.resolve();
      expect(shown).toEqual([]);
      expect(document.title).toBe('(1) Agentyard');
    }
  });

  it('clears the viewed session, and marks it only while the tab is hidden', () => {
    const { env, document, show } = environment('visible', 'granted');
    const store = createAttentionStore(env);
    const socket = new FakeSocket();
    store.connect(socket);
    socket.emit(done('a'));
    const leave = store.view('a');
    expect(store.snapshot()).toEqual({});
    expect(document.title).toBe('Agentyard');
    socket.emit(done('a'));
    expect(store.snapshot()).toEqual({});
    show('hidden');
    socket.emit(failed('a'));
    expect(store.snapshot()).toEqual({ a: 'failed' });
    show('visible');
    expect(store.snapshot()).toEqual({});
    leave();
    socket.emit(done('a'));
    expect(store.snapshot()).toEqual({ a: 'done' });
  });

  it('asks for permission only when told to', async () => {
    const { env } = environment('visible', 'default');
    const store = createAttentionStore(env);
    store.connect(new FakeSocket());
    expect(env.Notification?.requestPermission).not.toHaveBeenCalled();
    await store.requestNotifications();
    expect(env.Notification?.requestPermission).toHaveBeenCalledOnce();
  });
});
