import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Agent, Project, Session } from '../api/wire';
import { renderApp } from '../test/render';

const project: Project = {
  id: 'p1',
  name: 'Demo',
  description: 'A demo project',
  path: '/projects/demo',
  agent_image: null,
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};

const agent: Agent = {
  id: 'a1',
  name: 'Coder',
  system_prompt: '',
  model: null,
  icon: null,
  is_default: true,
  docker_image: null,
  tool_scope: 'project',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};

const session: Session = {
  id: 's1',
  project_id: 'p1',
  agent_id: 'a1',
  title: 'Fix the login bug',
  status: 'backlog',
  mode: 'execute',
  worktree_path: null,
  branch: 'session/abcd1234',
  base_branch: null,
  kept_path: null,
  docker_image: null,
  image: null,
  cc_session_id: null,
  run_state: 'idle',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};

function renderBoard() {
  return renderApp('/projects/p1', {
    'GET /api/projects/p1': () => ({ body: project }),
    'GET /api/sessions': (_, url) => ({ body: url.searchParams.get('project_id') === 'p1' ? [session] : [] }),
    'GET /api/agents': () => ({ body: [agent] }),
    'PATCH /api/sessions/s1/status': (body) => ({ body: { ...session, ...(body as object) } }),
  });
}

describe('session board', () => {
  it('renders the four workflow columns with the session card', async () => {
    renderBoard();
    expect(await screen.findByText('Fix the login bug')).toBeTruthy();
    for (const name of ['Backlog', 'In progress', 'Review', 'Done']) {
      expect(screen.getByRole('heading', { level: 2, name: new RegExp(`^${name}`) })).toBeTruthy();
    }
    const backlog = screen.getByTestId('column-backlog');
    expect(within(backlog).getByText('Fix the login bug')).toBeTruthy();
    expect(within(backlog).getByText('session/abcd1234')).toBeTruthy();
    expect(await within(backlog).findByText(/Coder/)).toBeTruthy();
    expect(within(backlog).getByText('Idle')).toBeTruthy();
  });

  it('moves a card to another column through the API', async () => {
    const { fetch } = renderBoard();
    await screen.findByText('Fix the login bug');
    fireEvent.click(screen.getByRole('button', { name: 'Move Fix the login bug to Review' }));

    const review = screen.getByTestId('column-review');
    expect(await within(review).findByText('Fix the login bug')).toBeTruthy();
    expect(within(screen.getByTestId('column-backlog')).queryByText('Fix the login bug')).toBeNull();
    const patch = fetch.mock.calls.find(([, init]) => init?.method === 'PATCH');
    expect(patch?.[0]).toBe('/api/sessions/s1/status');
    expect(patch?.[1]?.body).toBe('{"status":"review"}');
  });

  it('follows session updates pushed over the socket', async () => {
    const { socket } = renderBoard();
    await screen.findByText('Fix the login bug');
    act(() => socket.emit({ type: 'session:updated', session: { ...session, status: 'done', run_state: 'running' } }));
    const done = screen.getByTestId('column-done');
    expect(within(done).getByText('Fix the login bug')).toBeTruthy();
    expect(within(done).getByText('Running')).toBeTruthy();
  });

  it('shows the login view when the API answers 401', async () => {
    renderApp('/projects', {
      'GET /api/projects': () => ({ status: 401, body: { error: 'missing token', code: 'unauthorized' } }),
    });
    expect(await screen.findByRole('heading', { name: 'Sign in to Agentyard' })).toBeTruthy();
    expect(screen.getByLabelText('API token')).toBeTruthy();
  });
});
