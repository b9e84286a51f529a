import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Review, Session } from '../api/wire';
import type { Route } from '../test/fakes';
import { renderApp } from '../test/render';

const session: Session = {
  id: 's1',
  project_id: 'p1',
  agent_id: 'a1',
  title: 'Fix the login bug',
  status: 'review',
  mode: 'execute',
  worktree_path: '/data/worktrees/s1',
  branch: 'session/abcd1234',
  base_branch: 'main',
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
  behind: 0,
  uncommitted: 0,
  files: [
    { path: 'src/login.ts', status: 'modified', additions: 2, deletions: 1 },
    { path: 'README.md', status: 'added', additions: 1, deletions: 0 },
  ],
  conflicts: [],
  mergeable: true,
};

const loginDiff = [
  'diff --git a/src/login.ts b/src/login.ts',
  '--- a/src/login.ts',
  '+++ b/src/login.ts',
  '@@ -10,3 +10,4 @@ export function login() {',
  ' const user = find(name);',
  "-if (user) return 'ok';",
  '+if (!user) throw new Error("no user");',
  '+return check(user, password);',
  ' // done',
].join('\n');

function renderReview(routes: Record<string, Route> = {}, reviews: Review[] = [review]) {
  let reviewCalls = 0;
  const view = renderApp('/sessions/s1', {
    'GET /api/sessions/s1': () => ({ body: session }),
    'GET /api/sessions/s1/messages': () => ({ body: [] }),
    'GET /api/sessions/s1/usage': () => ({ body: { input_tokens: 0, output_tokens: 0, cost_usd: 0, budget_usd: null } }),
    'GET /api/git/status/p1': () => ({ body: { isGitRepo: true, branch: 'session/abcd1234', files: [] } }),
    'GET /api/sessions/s1/review': () => ({ body: reviews[Math.min(reviewCalls++, reviews.length - 1)] }),
    'GET /api/sessions/s1/review/diff': (_, url) => ({ body: { path: url.searchParams.get('path'), diff: loginDiff } }),
    'POST /api/sessions/s1/messages': () => ({ status: 202, body: { queued: false } }),
    ...routes,
  });
  return view;
}

async function openReview() {
  fireEvent.click(await screen.findByRole('tab', { name: 'Review' }));
  return screen.findByRole('list', { name: 'Changed files' });
}

function sentMessages(fetch: ReturnType<typeof renderReview>['fetch']): string[] {
  return fetch.mock.calls
    .filter(([url, init]) => url === '/api/sessions/s1/messages' && init?.method === 'POST')
    .map(([, init]) => (JSON.parse(String(init?.body)) as { content: string }).content);
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('review tab', () => {
  it('lists the changed files with their counts and shows a file diff, unified or side by side', async () => {
    renderReview();
    const files = await openReview();
    expect(within(files).getByText('src/login.ts')).toBeTruthy();
    expect(within(files).getByLabelText('2 added, 1 removed')).toBeTruthy();
    expect(within(files).getByText('README.md')).toBeTruthy();

    fireEvent.click(within(files).getByRole('button', { name: 'src/login.ts' }));
    const table = await screen.findByRole('table', { name: 'Diff of src/login.ts' });
    expect(table.textContent).toContain('return check(user, password);');
    expect(within(table).getByText('throw').className).toBe('tok-keyword');
    expect(within(table).getByText('"no user"').className).toBe('tok-string');

    fireEvent.click(screen.getByRole('button', { name: 'Side by side' }));
    const split = screen.getByRole('table', { name: 'Diff of src/login.ts' });
    expect(split.className).toContain('split');
    // The removed line and the first added line share a row.
    const row = within(split).getByText("'ok'").closest('tr');
    expect(row?.textContent).toContain('"no user"');
  });

  it('collects two line comments and sends them in one message', async () => {
    const { fetch } = renderReview();
    fireEvent.click(within(await openReview()).getByRole('button', { name: 'src/login.ts' }));
    await screen.findByRole('table', { name: 'Diff of src/login.ts' });

    fireEvent.click(screen.getByRole('button', { name: 'Comment on src/login.ts:11' }));
    fireEvent.change(screen.getByLabelText('Your comment on src/login.ts:11'), { target: { value: 'Say which user.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    fireEvent.click(screen.getByRole('button', { name: 'Comment on src/login.ts:11 (removed line)' }));
    fireEvent.change(screen.getByLabelText('Your comment on src/login.ts:11 (removed line)'), {
      target: { value: 'Keep the ok result for callers.' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add comment' }));
    expect(sentMessages(fetch)).toEqual([]);

    fireEvent.click(screen.getByRole('button', { name: 'Request changes (2)' }));
    expect(await screen.findByText('Sent your 2 comments to the agent.')).toBeTruthy();
    const [message] = sentMessages(fetch);
    expect(sentMessages(fetch)).toHaveLength(1);
    expect(message).toContain('session/abcd1234');
    expect(message).toContain('src/login.ts:11\n> if (!user) throw new Error("no user");\nSay which user.');
    expect(message).toContain("src/login.ts:11 (removed line)\n> if (user) return 'ok';\nKeep the ok result for callers.");
    expect(screen.getByRole('button', { name: 'Request changes' })).toHaveProperty('disabled', true);
  });

  it('merges with the chosen strategy and shows the new commit', async () => {
    const { fetch } = renderReview({
      'POST /api/sessions/s1/merge': () => ({ body: { commit: '0123456789abcdef0123', base: 'main' } }),
    });
    await openReview();
    fireEvent.change(screen.getByLabelText('Strategy'), { target: { value: 'merge' } });
    fireEvent.change(screen.getByLabelText('Commit message (optional)'), { target: { value: 'Fix login' } });
    fireEvent.click(screen.getByRole('button', { name: 'Merge into main' }));

    expect(await screen.findByText('Merged session/abcd1234 into main as 0123456789. The session is done.')).toBeTruthy();
    const merge = fetch.mock.calls.find(([url]) => url === '/api/sessions/s1/merge');
    expect(merge?.[1]?.body).toBe('{"strategy":"merge","message":"Fix login"}');
  });

  it('lists the files of a merge_conflict refusal with its remediation', async () => {
    renderReview({
      'POST /api/sessions/s1/merge': () => ({
        status: 409,
        body: {
          error: 'Merging session/abcd1234 into main would conflict.',
          code: 'merge_conflict',
          remediation: 'Rebase the session onto main and resolve the conflicts.',
          files: ['src/login.ts', 'src/session.ts'],
        },
      }),
    });
    await openReview();
    fireEvent.click(screen.getByRole('button', { name: 'Merge into main' }));

    expect((await screen.findByRole('alert')).textContent).toContain('would conflict');
    expect(screen.getByText('Rebase the session onto main and resolve the conflicts.')).toBeTruthy();
    const files = screen.getByRole('list', { name: 'Files of the refusal' });
    expect(within(files).getAllByRole('listitem').map((item) => item.textContent)).toEqual([
      'src/login.ts',
      'src/session.ts',
    ]);
  });

  it('pushes and opens the compare page in a new tab', async () => {
    const open = vi.fn();
    vi.stubGlobal('open', open);
    renderReview({
      'POST /api/sessions/s1/push': () => ({
        body: { remote: 'origin', branch: 'session/abcd1234', compare_url: 'https://github.com/o/r/compare/session/abcd1234' },
      }),
    });
    await openReview();
    fireEvent.click(screen.getByRole('button', { name: 'Push' }));
    expect(await screen.findByText(/^Pushed session\/abcd1234 to origin\./)).toBeTruthy();
    expect(open).toHaveBeenCalledWith('https://github.com/o/r/compare/session/abcd1234', '_blank', 'noopener');
  });

  it('asks the agent to resolve conflicts, then refreshes the review when its turn ends', async () => {
    const conflicted = { ...review, behind: 1, conflicts: ['src/login.ts'] };
    const { fetch, socket } = renderReview({}, [conflicted, { ...conflicted, conflicts: [] }]);
    await openReview();
    const conflicts = screen.getByRole('region', { name: 'Conflicts' });
    expect(within(conflicts).getByText('src/login.ts')).toBeTruthy();
    fireEvent.click(within(conflicts).getByRole('button', { name: 'Ask the agent to resolve' }));

    await waitFor(() => expect(sentMessages(fetch)).toHaveLength(1));
    const [message] = sentMessages(fetch);
    expect(message).toContain('conflicts with main');
    expect(message).toContain('- src/login.ts');
    expect(message).toContain('git rebase main');

    act(() => socket.emit({ type: 'chat:done', sessionId: 's1', messageId: 'm2', cost: null, interrupted: false }));
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Conflicts' })).toBeNull());
  });

  it('explains instead of offering merge for a session on the main checkout', async () => {
    renderReview({
      'GET /api/sessions/s1': () => ({ body: { ...session, branch: null, worktree_path: null, base_branch: null } }),
      'GET /api/sessions/s1/review': () => ({ body: { ...review, branch: null, base: null, mergeable: false } }),
    });
    await openReview();
    expect(screen.getByText(/works on the main checkout itself/)).toBeTruthy();
    expect(screen.queryByRole('button', { name: /^Merge/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Push' })).toBeNull();
  });
});
