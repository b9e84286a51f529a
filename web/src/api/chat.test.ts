import { describe, expect, it } from 'vitest';
import { chatReducer, initialChatState, type ChatAction, type ChatState } from './chat';
import type { Message, ServerEvent, Session } from './wire';

const id = 's1';

function fold(actions: ChatAction[], state: ChatState = initialChatState(id)): ChatState {
  return actions.reduce(chatReducer, state);
}

const event = (value: ServerEvent): ChatAction => ({ type: 'event', event: value });

function message(overrides: Partial<Message>): Message {
  return {
    id: 'm1',
    session_id: id,
    role: 'user',
    content: 'hello',
    tool_use: null,
    interrupted: false,
    created_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

function session(overrides: Partial<Session>): Session {
  return {
    id,
    project_id: 'p1',
    agent_id: 'a1',
    title: 'Fix the bug',
    status: 'in_progress',
    mode: 'execute',
    worktree_path: null,
    branch: null,
    base_branch: null,
    kept_path: null,
    docker_image: null,
    image: null,
    cc_session_id: null,
    run_state: 'idle',
    created_at: '2025-01-01T00:00:00Z',
    updated_at: '2025-01-01T00:00:00Z',
    ...overrides,
  };
}

describe('chat reducer', () => {
  it('accumulates streamed chunks into one text segment', () => {
    const state = fold([
      event({ type: 'chat:chunk', sessionId: id, content: 'Hel' }),
      event({ type: 'chat:chunk', sessionId: id, content: 'lo ' }),
      event({ type: 'chat:chunk', sessionId: id, content: 'world' }),
    ]);
    expect(state.live).toEqual([{ kind: 'text', text: 'Hello world' }]);
    expect(state.running).toBe(true);
  });

  it('keeps text and tool uses in arrival order', () => {
    const state = fold([
      event({ type: 'chat:chunk', sessionId: id, content: 'Let me look.' }),
      event({ type: 'chat:tool_use', sessionId: id, tool: 'Read', input: { file_path: 'a.txt' } }),
      event({ type: 'chat:chunk', sessionId: id, content: 'Done.' }),
    ]);
    expect(state.live.map((segment) => segment.kind)).toEqual(['text', 'tool', 'text']);
  });

  it('pairs each tool result with the oldest open use of that tool', () => {
    const state = fold([
      event({ type: 'chat:tool_use', sessionId: id, tool: 'Read', input: { file_path: 'a' } }),
      event({ type: 'chat:tool_use', sessionId: id, tool: 'Bash', input: { command: 'ls' } }),
      event({ type: 'chat:tool_use', sessionId: id, tool: 'Read', input: { file_path: 'b' } }),
      event({ type: 'chat:tool_result', sessionId: id, tool: 'Read', result: 'contents of a' }),
      event({ type: 'chat:tool_result', sessionId: id, tool: 'Bash', result: 'a b' }),
      event({ type: 'chat:tool_result', sessionId: id, tool: 'Read', result: 'contents of b' }),
    ]);
    expect(state.live).toEqual([
      { kind: 'tool', tool: 'Read', input: { file_path: 'a' }, result: 'contents of a' },
      { kind: 'tool', tool: 'Bash', input: { command: 'ls' }, result: 'a b' },
      { kind: 'tool', tool: 'Read', input: { file_path: 'b' }, result: 'contents of b' },
    ]);
  });

  it('gives a result under another tool name to the oldest open use', () => {
    const state = fold([
      event({ type: 'chat:tool_use', sessionId: id, tool: 'mcp__agentyard__list_projects', input: {} }),
      event({ type: 'chat:tool_result', sessionId: id, tool: 'list_projects', result: '[]' }),
    ]);
    expect(state.live).toEqual([{ kind: 'tool', tool: 'mcp__agentyard__list_projects', input: {}, result: '[]' }]);
  });

  it('turns the live turn into a message with its cost when done', () => {
    const state = fold([
      event({ type: 'chat:chunk', sessionId: id, content: 'All set.' }),
      event({ type: 'chat:tool_use', sessionId: id, tool: 'Write', input: { file_path: 'x' } }),
      event({ type: 'chat:tool_result', sessionId: id, tool: 'Write', result: 'ok' }),
      event({ type: 'chat:done', sessionId: id, messageId: 'm9', cost: 0.0123, interrupted: false }),
    ]);
    expect(state.live).toEqual([]);
    expect(state.running).toBe(false);
    expect(state.messages).toHaveLength(1);
    expect(state.messages[0]).toMatchObject({
      id: 'm9',
      role: 'assistant',
      content: 'All set.',
      cost_usd: 0.0123,
      interrupted: false,
      tool_use: [{ tool: 'Write', input: { file_path: 'x' }, result: 'ok' }],
    });
  });

  it('counts queued messages and starts the next one when a turn is done', () => {
    let state = fold([
      { type: 'sent', localId: 'l1', content: 'first' },
      event({ type: 'chat:chunk', sessionId: id, content: 'working' }),
      { type: 'sent', localId: 'l2', content: 'second' },
      event({ type: 'chat:queued', sessionId: id }),
    ]);
    expect(state.queued).toBe(1);
    expect(state.pending.map((pending) => [pending.content, pending.queued])).toEqual([
      ['first', false],
      ['second', true],
    ]);

    state = fold([event({ type: 'chat:done', sessionId: id, messageId: 'm2', cost: null, interrupted: false })], state);
    expect(state.queued).toBe(0);
    expect(state.running).toBe(true);
    expect(state.pending.map((pending) => pending.queued)).toEqual([false, false]);

    state = fold([event({ type: 'chat:done', sessionId: id, messageId: 'm3', cost: null, interrupted: false })], state);
    expect(state.running).toBe(false);
  });

  it('drops pending messages once the history holds them', () => {
    const state = fold([
      { type: 'sent', localId: 'l1', content: 'hello' },
      { type: 'sent', localId: 'l2', content: 'hello' },
      { type: 'history', messages: [message({ id: 'm1', content: 'hello' })] },
    ]);
    expect(state.messages).toHaveLength(1);
    expect(state.pending.map((pending) => pending.localId)).toEqual(['l2']);
  });

  it('shows a report of the model upstream without ending the running turn', () => {
    const state = fold([
      event({ type: 'chat:chunk', sessionId: id, content: 'Thinking' }),
      event({
        type: 'chat:error',
        sessionId: id,
        error: 'the model API at https://api.anthropic.com cannot be reached: timed out; the agent retries',
        code: 'model_upstream',
        remediation: 'check the platform network and ANTHROPIC_BASE_URL, or stop the turn',
      }),
    ]);
    expect(state.running).toBe(true);
    expect(state.live).toHaveLength(1);
    expect(state.error?.code).toBe('model_upstream');
  });

  it('keeps the partial reply and the remediation of an error', () => {
    const state = fold([
      event({ type: 'chat:chunk', sessionId: id, content: 'Starting' }),
      event({
        type: 'chat:error',
        sessionId: id,
        error: 'Image claude-agent-node is missing',
        code: 'image_missing',
        remediation: 'docker build -t claude-agent-node docker/agent/node',
      }),
    ]);
    expect(state.running).toBe(false);
    expect(state.messages[0]).toMatchObject({ content: 'Starting', interrupted: true });
    expect(state.error).toEqual({
      error: 'Image claude-agent-node is missing',
      code: 'image_missing',
      remediation: 'docker build -t claude-agent-node docker/agent/node',
    });
  });

  it('collects permission requests until they are answered', () => {
    let state = fold([
      event({ type: 'chat:permission', sessionId: id, requestId: 'r1', tool: 'Write', input: { file_path: 'a' } }),
      event({ type: 'chat:permission', sessionId: id, requestId: 'r2', tool: 'Bash', input: { command: 'ls' } }),
    ]);
    expect(state.permissions.map((request) => request.requestId)).toEqual(['r1', 'r2']);
    state = fold([{ type: 'permission-answered', requestId: 'r1' }], state);
    expect(state.permissions.map((request) => request.requestId)).toEqual(['r2']);
  });

  it('follows the session run state and the streaming list', () => {
    let state = fold([event({ type: 'session:updated', session: session({ run_state: 'starting' }) })]);
    expect(state.running).toBe(true);
    expect(state.session?.run_state).toBe('starting');
    state = fold([event({ type: 'chat:streaming', sessionIds: ['other'] })], state);
    expect(state.running).toBe(false);
    state = fold([event({ type: 'chat:streaming', sessionIds: [id] })], state);
    expect(state.running).toBe(true);
  });

  it('takes the reply a running turn has streamed so far from a history loaded mid-turn', () => {
    const history = [
      message({ id: 'u1', content: 'write hello' }),
      message({ id: 'a1', role: 'assistant', content: 'Writing', tool_use: [{ tool: 'Write', input: { file_path: 'x' } }] }),
      message({ id: 'u2', content: 'then test it' }),
    ];
    let state = fold([
      event({ type: 'chat:streaming', sessionIds: [id] }),
      event({ type: 'chat:chunk', sessionId: id, content: 'Wri' }),
      { type: 'history', messages: history },
    ]);
    expect(state.messages.map((stored) => stored.id)).toEqual(['u1']);
    expect(state.live).toEqual([
      { kind: 'text', text: 'Writing' },
      { kind: 'tool', tool: 'Write', input: { file_path: 'x' }, result: undefined },
    ]);
    expect(state.pending).toEqual([{ localId: 'u2', content: 'then test it', queued: true }]);
    expect(state.queued).toBe(1);

    state = fold([event({ type: 'chat:chunk', sessionId: id, content: ' done.' })], state);
    expect(state.live[state.live.length - 1]).toEqual({ kind: 'text', text: ' done.' });
  });

  it('leaves a finished reply in the history when no turn runs', () => {
    const history = [message({ id: 'u1' }), message({ id: 'a1', role: 'assistant', content: 'Hi', cost_usd: 0.01 })];
    const state = fold([{ type: 'history', messages: history }]);
    expect(state.messages).toHaveLength(2);
    expect(state.live).toEqual([]);
  });
});
