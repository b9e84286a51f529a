// The app shell: provides the API client and socket to every view, shows the login view after a
// 401, and maps routes to pages.

import { Navigate, Route, Routes } from 'react-router-dom';
import { ApiContext, type ApiClient } from './api/client';
import { SocketContext, type Socket } from './api/socket';
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

export function App({ api, socket, auth }: AppProps) {
  const loginRequired = useLoginRequired(auth);
  return (
    <ApiContext.Provider value={api}>
      <SocketContext.Provider value={socket}>
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
      </SocketContext.Provider>
    </ApiContext.Provider>
  );
}
