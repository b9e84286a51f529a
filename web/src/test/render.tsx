// Renders the app at a route with a fake API and socket.

import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { App } from '../App';
import { createApiClient } from '../api/client';
import { createAuthState } from '../auth';
import { FakeSocket, fakeFetch, type Route } from './fakes';

export function renderApp(path: string, routes: Record<string, Route>) {
  const fetch = fakeFetch({
    'GET /api/health': () => ({ body: { ok: true, version: '0.1.0', mode: 'local', docker: null } }),
    ...routes,
  });
  const auth = createAuthState();
  const api = createApiClient({ fetch, onUnauthorized: auth.requireLogin });
  const socket = new FakeSocket();
  const view = render(
    <MemoryRouter initialEntries={[path]}>
      <App api={api} socket={socket} auth={auth} />
    </MemoryRouter>,
  );
  return { ...view, fetch, socket, auth };
}
