// Entry point: creates the one API client and the one WebSocket, and mounts the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';
import { createApiClient } from './api/client';
import { createSocket, socketUrl } from './api/socket';
import { createAuthState } from './auth';
import './styles.css';

const auth = createAuthState();
const api = createApiClient({
  fetch: (input, init) => window.fetch(input, init),
  onUnauthorized: auth.requireLogin,
});
const socket = createSocket({ url: socketUrl(window.location), WebSocket: window.WebSocket });
// Without a valid cookie every reconnect would fail too; signing in reloads the page.
auth.subscribe(() => {
  if (auth.loginRequired()) socket.close();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <App api={api} socket={socket} auth={auth} />
    </BrowserRouter>
  </StrictMode>,
);
