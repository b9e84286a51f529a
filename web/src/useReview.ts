// The review of one session (its branch against its base), kept fresh: re-read whenever the
// session changes (`session:updated`) or one of its turns ends (`chat:done`), since either may
// have changed its commits, its worktree or the base it is compared with.

import { useApi } from './api/client';
import { useSocketEvents } from './api/socket';
import type { Review } from './api/wire';
import { useResource, type Resource } from './useResource';

export function useReview(sessionId: string): Resource<Review> {
  const api = useApi();
  const review = useResource(() => api.get<Review>(`/api/sessions/${sessionId}/review`), [api, sessionId]);
  useSocketEvents((event) => {
    if (event.type === 'session:updated' || event.type === 'chat:done') review.reload();
  }, sessionId);
  return review;
}

/** "1 file" or "3 files". */
export function fileCount(count: number): string {
  return `${count} ${count === 1 ? 'file' : 'files'}`;
}
