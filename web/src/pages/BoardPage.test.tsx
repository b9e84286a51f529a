import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Agent, Project, Review, Session } from '../api/wire';
import { renderApp } from '../test/render';

const project: Project = {
  id: 'p1',
  name: 'Demo',
  description: 'A demo project',
  path: '/projects/demo',
  agent_image: null,
  setup_script: null,
  copy_files: [],
  dev_script: null,
  dev_port: null,
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
  cli: 'claude',
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

const review: Review = {
  branch: 'session/abcd1234',
  base: 'main',
  ahead: 2,
  behind: 1,
  uncommitted: 0,
  files: [
    { path: 'src/login.ts', status: 'modified', additions: 10, deletions: 3 },
    { path: 'src/login.test.ts', status: 'added', additions: 5, deletions: 0 },
  ],
  conflicts: ['src/login.ts'],
  mergeable: true,
};

/** A minimal DataTransfer: jsdom has none. */
function dataTransfer() {
  const data = new Map<string, string>();
  return {
    setData: (type: string, value: string) => data.set(type, value),
    getData: (type: string) => data.get(type) ?? '',
    get types() {
      return [...data.keys()];
    },
    effectAllowed: 'all',
  };
}

function renderBoard(listed: Session = session, reviews: Review[] = [review]) {
  let reviewCalls = 0;
  const view = renderApp('/projects/p1', {
    'GET /api/projects/p1': () => ({ body: project }),
    'GET /api/sessions': (_, url) => ({ body: url.searchParams.get('project_id') === 'p1' ? [listed] : [] }),
    'GET /api/sessions/s1/review': () => ({ body: reviews[Math.min(reviewCalls++, reviews.length - 1)] }),
    'GET /api/agents': () => ({ body: [agent] }),
    'PATCH /api/sessions/s1/status': (body) => ({ body: { ...listed, ...(body as object) } }),
  });
  return { ...view, reviewCalls: () => reviewCalls };
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

  it('shows the review of a card waiting in Review, and refreshes it when a turn ends', async () => {
    const { socket } = renderBoard({ ...session, status: 'review' }, [
      review,
      { ...review, conflicts: [], ahead: 3 },
    ]);
    const summary = await screen.findByTestId('card-review');
    expect(within(summary).getByText('+15')).toBeTruthy();
    expect(within(summary).getByText('−3')).toBeTruthy();
    expect(within(summary).getByText('2 files')).toBeTruthy();
    expect(within(summary).getByText('2 ahead, 1 behind main')).toBeTruthy();
    expect(within(summary).getByText('1 conflict')).toBeTruthy();

    act(() => socket.emit({ type: 'chat:done', sessionId: 's1', messageId: 'm9', cost: null, interrupted: false }));
    expect(await within(summary).findByText('3 ahead, 1 behind main')).toBeTruthy();
    expect(within(summary).queryByText('1 conflict')).toBeNull();
  });

  it('shows no review for a session without a branch, nor for a backlog card', async () => {
    const { reviewCalls } = renderBoard({ ...session, status: 'review', branch: null });
    await screen.findByText('Fix the login bug');
    expect(screen.queryByTestId('card-review')).toBeNull();
    expect(reviewCalls()).toBe(0);
  });

  it('moves a card dropped on another column', async () => {
    const { fetch } = renderBoard();
    const card = (await screen.findByText('Fix the login bug')).closest('li');
    if (!card) throw new Error('no card');
    const transfer = dataTransfer();
    fireEvent.dragStart(card, { dataTransfer: transfer });
    const done = screen.getByTestId('column-done');
    fireEvent.dragOver(done, { dataTransfer: transfer });
    fireEvent.drop(done, { dataTransfer: transfer });

    expect(await within(done).findByText('Fix the login bug')).toBeTruthy();
    const patch = fetch.mock.calls.find(([, init]) => init?.method === 'PATCH');
    expect(patch?.[1]?.body).toBe('{"status":"done"}');
  });

  it('moves a focused card with the arrow keys and announces the move', async () => {
    const { fetch } = renderBoard();
    const card = (await screen.findByText('Fix the login bug')).closest('li');
    if (!card) throw new Error('no card');
    card.focus();
    fireEvent.keyDown(card, { key: 'ArrowLeft' });
    fireEvent.keyDown(card, { key: 'ArrowRight' });

    const inProgress = screen.getByTestId('column-in_progress');
    expect(await within(inProgress).findByText('Fix the login bug')).toBeTruthy();
    expect(screen.getByTestId('board-announcement').textContent).toBe('Moved Fix the login bug to In progress.');
    const patches = fetch.mock.calls.filter(([, init]) => init?.method === 'PATCH');
    expect(patches.map(([, init]) => init?.body)).toEqual(['{"status":"in_progress"}']);
    await waitFor(() => expect(document.activeElement?.getAttribute('data-session-card')).toBe('s1'));
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
  it('badges a card whose turn ended elsewhere, counts it in the title, and forgets it once opened', async () => {
    const { socket } = renderBoard();
    await screen.findByText('Fix the login bug');
    act(() => socket.emit({ type: 'chat:done', sessionId: 's1', messageId: 'm1', cost: null, interrupted: false }));
    expect(within(screen.getByTestId('column-backlog')).getByTestId('card-attention').textContent).toBe('Done, unread');
    expect(screen.getByTestId('attention-summary').textContent).toBe('1 session needs you');
    expect(document.title).toBe('(1) Agentyard');
    act(() => socket.emit({ type: 'chat:permission', sessionId: 's1', requestId: 'r1', tool: 'Write', input: {} }));
    expect(screen.getByTestId('card-attention').textContent).toBe('Waiting for you');

    fireEvent.click(screen.getByRole('link', { name: 'Fix the login bug' }));
    await waitFor(() => expect(document.title).toBe('Agentyard'));
    expect(screen.queryByTestId('attention-summary')).toBeNull();
  });
});
