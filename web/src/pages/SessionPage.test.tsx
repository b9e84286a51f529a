import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { GitStatus, Message, Session } from '../api/wire';
import { renderApp } from '../test/render';

const session: Session = {
  id: 's1',
  project_id: 'p1',
  agent_id: 'a1',
  title: 'Add a README',
  status: 'in_progress',
  mode: 'ask',
  worktree_path: null,
  branch: null,
  base_branch: null,
  kept_path: null,
  docker_image: null,
  image: 'claude-agent-base',
  cc_session_id: null,
  run_state: 'idle',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};

const history: Message[] = [
  {
    id: 'm1',
    session_id: 's1',
    role: 'user',
    content: 'Please add a README',
    tool_use: null,
    interrupted: false,
    created_at: '2025-01-01T00:00:00Z',
  },
];

const gitStatus: GitStatus = {
  isGitRepo: true,
  branch: 'main',
  files: [{ path: 'README.md', status: 'untracked', staged: false }],
};

function renderSession() {
  let statusCalls = 0;
  const view = renderApp('/sessions/s1', {
    'GET /api/sessions/s1': () => ({ body: session }),
    'GET /api/sessions/s1/messages': () => ({ body: history }),
    'GET /api/sessions/s1/usage': () => ({
      body: { input_tokens: 1200, output_tokens: 34, cost_usd: 0.012, budget_usd: 5 },
    }),
    'GET /api/git/status/p1': () => {
      statusCalls += 1;
      return { body: gitStatus };
    },
    'GET /api/git/diff/p1': () => ({ body: { path: 'README.md', diff: '+# Demo\n' } }),
    'POST /api/git/stage/p1': () => ({ body: null }),
    'PUT /api/sessions/s1': (body) => ({ body: { ...session, ...(body as object) } }),
    'POST /api/sessions/s1/warm': () => ({ status: 202, body: null }),
  });
  return { ...view, statusCalls: () => statusCalls };
}

describe('session chat', () => {
  it('warms the session up when its page opens, so the first message meets a running agent', async () => {
    const { fetch } = renderSession();
    await screen.findByText('Please add a README');
    await waitFor(() =>
      expect(fetch.mock.calls.some(([url, init]) => url === '/api/sessions/s1/warm' && init?.method === 'POST')).toBe(
        true,
      ),
    );
  });

  it('shows the tokens and cost of the session against its budget', async () => {
    renderSession();
    expect((await screen.findByTestId('session-usage')).textContent).toBe('1,200 in / 34 out · $0.012 of $5.00');
  });

  it('shows the history, then appends streamed chunks as they arrive', async () => {
    const { socket } = renderSession();
    expect(await screen.findByText('Please add a README')).toBeTruthy();

    act(() => socket.emit({ type: 'chat:chunk', sessionId: 's1', content: 'Writing the ' }));
    expect(screen.getByTestId('live-turn').textContent).toContain('Writing the');
    act(() => socket.emit({ type: 'chat:chunk', sessionId: 's1', content: 'README now.' }));
    act(() => socket.emit({ type: 'chat:chunk', sessionId: 'other', content: ' (not this session)' }));
    expect(screen.getByTestId('live-turn').textContent).toBe('Writing the README now.');
    expect(screen.getByRole('button', { name: 'Stop' })).toBeTruthy();
  });

  it('shows tool use with its result and the cost of the finished turn', async () => {
    const { socket } = renderSession();
    await screen.findByText('Please add a README');
    act(() => {
      socket.emit({ type: 'chat:tool_use', sessionId: 's1', tool: 'Write', input: { file_path: 'README.md' } });
      socket.emit({ type: 'chat:tool_result', sessionId: 's1', tool: 'Write', result: 'File created' });
    });
    const live = screen.getByTestId('live-turn');
    expect(within(live).getByText('Write')).toBeTruthy();
    expect(within(live).getByText('File created')).toBeTruthy();

    act(() => socket.emit({ type: 'chat:done', sessionId: 's1', messageId: 'm2', cost: 0.25, interrupted: false }));
    expect(await screen.findByText('Turn cost $0.25')).toBeTruthy();
  });

  it('sends with Enter over the socket and keeps Shift+Enter for new lines', async () => {
    const { socket } = renderSession();
    await screen.findByText('Please add a README');
    const input = screen.getByLabelText('Message');
    fireEvent.change(input, { target: { value: 'Also a LICENSE' } });
    fireEvent.keyDown(input, { key: 'Enter', shiftKey: true });
    expect(socket.sent).toEqual([]);
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(socket.sent).toEqual([{ type: 'chat:send', sessionId: 's1', content: 'Also a LICENSE' }]);
    expect(screen.getByText('Also a LICENSE')).toBeTruthy();
  });

  it('answers a permission request with the chosen decision', async () => {
    const { socket } = renderSession();
    await screen.findByText('Please add a README');
    act(() =>
      socket.emit({
        type: 'chat:permission',
        sessionId: 's1',
        requestId: 'r1',
        tool: 'Write',
        input: { file_path: 'README.md' },
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Deny' }));
    expect(socket.sent).toEqual([{ type: 'chat:permission', sessionId: 's1', requestId: 'r1', allow: false }]);
    expect(screen.queryByRole('button', { name: 'Deny' })).toBeNull();
  });

  it('shows the remediation of a chat error', async () => {
    const { socket } = renderSession();
    await screen.findByText('Please add a README');
    act(() =>
      socket.emit({
        type: 'chat:error',
        sessionId: 's1',
        error: 'The image claude-agent-base is missing',
        code: 'image_missing',
        remediation: 'docker build -t claude-agent-base docker/agent/base',
      }),
    );
    expect(screen.getByText('docker build -t claude-agent-base docker/agent/base')).toBeTruthy();
  });

  it('lists changed files, shows a diff and re-reads the status after each turn', async () => {
    const { socket, fetch, statusCalls } = renderSession();
    fireEvent.click(await screen.findByRole('button', { name: 'README.md' }));
    expect(await screen.findByText('+# Demo')).toBeTruthy();
    const diffCall = fetch.mock.calls.find(([url]) => url.startsWith('/api/git/diff/p1'));
    expect(diffCall?.[0]).toBe('/api/git/diff/p1?path=README.md&staged=false&session_id=s1');

    fireEvent.click(screen.getByRole('button', { name: 'Stage README.md' }));
    await waitFor(() => expect(fetch.mock.calls.some(([url]) => url === '/api/git/stage/p1?session_id=s1')).toBe(true));

    const before = statusCalls();
    act(() => socket.emit({ type: 'chat:done', sessionId: 's1', messageId: 'm2', cost: null, interrupted: false }));
    await waitFor(() => expect(statusCalls()).toBeGreaterThan(before));
  });

  it('changes the mode through the API', async () => {
    const { fetch } = renderSession();
    const select = await screen.findByLabelText('Mode');
    fireEvent.change(select, { target: { value: 'explore' } });
    await waitFor(() => expect((screen.getByLabelText('Mode') as HTMLSelectElement).value).toBe('explore'));
    const put = fetch.mock.calls.find(([, init]) => init?.method === 'PUT');
    expect(put?.[1]?.body).toBe('{"mode":"explore"}');
  });
});
