// The app shell: provides the API client, the socket and the attention store to every view,
// shows the login view after a 401, and maps routes to pages.

import { useEffect, useState } from 'react';
import { Navigate, Route, Routes, useNavigate } from 'react-router-dom';
import { ApiContext, type ApiClient } from './api/client';
import { SocketContext, type Socket } from './api/socket';
import type { Session } from './api/wire';
import { AttentionContext, createAttentionStore, type AttentionEnvironment } from './attention';
import { useLoginRequired, type AuthState } from './auth';
import { Layout } from './components/Layout';
import { LoginPage } from './pages/LoginPage';
import { ProjectsPage } from './pages/ProjectsPage';
import { BoardPage } from './pages/BoardPage';
import { SessionPage } from './pages/SessionPage';
import { AgentsPage } from './pages/AgentsPage';
import { ImagesPage } from './pages/ImagesPage';
import { NotFoundPage } from './pages/NotFoundPage';

export type AppProps = {
  api: ApiClient;
  socket: Socket;
  auth: AuthState;
};

/** The real browser around the attention store: this document, its Notification, the API. */
function browserEnvironment(api: ApiClient, open: (sessionId: string) => void): AttentionEnvironment {
  return {
    document,
    Notification: typeof window.Notification === 'function' ? window.Notification : undefined,
    sessionTitle: (sessionId) =>
      api.get<Session>(`/api/sessions/${sessionId}`).then(
        (session) => session.title,
        () => undefined,
      ),
    open,
  };
}

export function App({ api, socket, auth }: AppProps) {
  const loginRequired = useLoginRequired(auth);
  const navigate = useNavigate();
  const [attention] = useState(() =>
    createAttentionStore(
      browserEnvironment(api, (sessionId) => {
        window.focus();
        void navigate(`/sessions/${sessionId}`);
      }),
    ),
  );
  useEffect(() => attention.connect(socket), [attention, socket]);
  return (
    <ApiContext.Provider value={api}>
      <SocketContext.Provider value={socket}>
        <AttentionContext.Provider value={attention}>
        {loginRequired ? (
          <LoginPage />
        ) : (
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<Navigate to="/projects" replace />} />
              <Route path="projects" element={<ProjectsPage />} />
              <Route path="projects/:projectId" element={<BoardPage />} />
              <Route path="sessions/:sessionId" element={<SessionPage />} />
              <Route path="agents" element={<AgentsPage />} />
              <Route path="images" element={<ImagesPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Routes>
        )}
        </AttentionContext.Provider>
      </SocketContext.Provider>
    </ApiContext.Provider>
  );
}
